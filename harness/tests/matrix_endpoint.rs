//! The fidelity matrix through the endpoint target against `firedrill serve`
//! running in another process, as any AWS client would reach it.

use firedrill::matrix::{MatrixReport, ProbeId, run_matrix};
use firedrill::stack::EndpointTarget;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `firedrill serve --port 0`, stopped with SIGINT when dropped.
struct Serve {
    child: Child,
    endpoint: String,
}

impl Serve {
    fn start(extra: &[&str]) -> Self {
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
    fn stop(mut self) -> std::process::ExitStatus {
        let status = self.interrupt();
        std::mem::forget(self);
        status
    }

    fn interrupt(&mut self) -> std::process::ExitStatus {
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

/// The probes that were not honoured (RDS is excused where the machine has
/// no PostgreSQL), with what they saw.
fn not_honoured(report: &MatrixReport) -> Vec<String> {
    let postgres = Command::new("initdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    report
        .probes
        .iter()
        .filter(|p| !p.outcome.is_honoured())
        .filter(|p| postgres || p.probe != ProbeId::RdsPitrToT)
        .map(|p| format!("{}: {:?}\n    {}", p.probe, p.outcome, p.details.join("\n    ")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firedrill_serve_honours_every_probe_through_the_endpoint_target() {
    let serve = Serve::start(&["--simulated-clock"]);
    let target = EndpointTarget::connect(&serve.endpoint, "us-east-1", Some("us-west-2"))
        .await
        .expect("connect");
    let caps = firedrill::Target::capabilities(&target);
    assert!(
        caps.simulated_clock,
        "the endpoint target finds the firedrill admin API"
    );
    let report = run_matrix(&target).await;
    println!("{}", report.to_table());
    let failures = not_honoured(&report);
    assert_eq!(report.probes.len(), ProbeId::ALL.len());
    assert!(report.cleanup.is_empty(), "left behind: {:?}", report.cleanup);
    assert!(
        failures.is_empty(),
        "not honoured by firedrill serve:\n{}",
        failures.join("\n")
    );
    let status = serve.stop();
    assert!(status.success(), "firedrill serve exited with {status}");
}

/// The same on a real clock: nothing is advanced, the waits are real.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firedrill_serve_on_a_real_clock_honours_every_probe() {
    let serve = Serve::start(&[]);
    let target = EndpointTarget::connect(&serve.endpoint, "us-east-1", Some("us-west-2"))
        .await
        .expect("connect");
    assert!(!firedrill::Target::capabilities(&target).simulated_clock);
    let report = run_matrix(&target).await;
    println!("{}", report.to_table());
    let failures = not_honoured(&report);
    assert!(report.cleanup.is_empty(), "left behind: {:?}", report.cleanup);
    assert!(
        failures.is_empty(),
        "not honoured by firedrill serve (real clock):\n{}",
        failures.join("\n")
    );
    let status = serve.stop();
    assert!(status.success(), "firedrill serve exited with {status}");
}
