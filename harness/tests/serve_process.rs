//! `firedrill serve` as a long-running process: it outlives whoever read its
//! banner, and stops cleanly on SIGINT.

use firedrill_emulator::AdminClient;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// Regression: the banner line after `export AWS_ENDPOINT_URL=` used to
/// panic the server when its reader had already gone away (CI saw the AWS
/// CLI get "Could not connect" from a server that had died this way).
#[tokio::test]
async fn serve_keeps_serving_when_nobody_reads_its_stdout() {
    let port = free_port();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("firedrill serve starts");
    let admin = AdminClient::new(&format!("http://127.0.0.1:{port}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut healthy = false;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("firedrill serve exited with {status} after its stdout was closed");
        }
        if admin.health().await.is_ok() {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "firedrill serve never answered its health check");
    // Past the banner, it is still up and answering.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(child.try_wait().expect("wait").is_none(), "serve died");
    admin.health().await.expect("still healthy");

    let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    kill(pid, Signal::SIGINT).expect("SIGINT");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("firedrill serve did not stop within 30 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "firedrill serve exited with {status}");
}
