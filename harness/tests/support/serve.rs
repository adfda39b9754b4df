//! `firedrill serve --port 0` in a subprocess, as any AWS client reaches it.
//!
//! Its stdout is drained for the whole life of the process (a reader that
//! stops after the endpoint line would close the pipe under later output),
//! and it is stopped with SIGINT, bounded, when dropped.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `firedrill serve`.
pub struct Serve {
    child: Child,
    /// The `AWS_ENDPOINT_URL` it printed.
    pub endpoint: String,
}

impl Serve {
    /// Starts `firedrill serve --port 0 <extra...>` and waits (bounded) for
    /// the endpoint line.
    pub fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args(["serve", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("firedrill serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("export AWS_ENDPOINT_URL=") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let endpoint = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("firedrill serve printed no AWS_ENDPOINT_URL line: {e}");
            }
        };
        Self { child, endpoint }
    }

    /// SIGINT, then wait (bounded) for a clean exit.
    #[allow(dead_code)]
    pub fn stop(mut self) -> ExitStatus {
        let status = self.interrupt();
        std::mem::forget(self);
        status
    }

    fn interrupt(&mut self) -> ExitStatus {
        if let Some(status) = self.child.try_wait().expect("wait") {
            return status;
        }
        let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"));
        let _ = kill(pid, Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().expect("wait after kill");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.interrupt();
    }
}
