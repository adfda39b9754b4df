//! The fidelity matrix against moto's server through the endpoint target,
//! when `moto_server` is installed (`pip install 'moto[server]'`); skipped
//! with a printed reason otherwise. moto is another emulator: what it does
//! not honour is reported, not asserted away. What is asserted is that every
//! probe reached a verdict (none ended in `error`, which would mean the probe
//! itself is broken against a foreign endpoint) and that the run cleaned up.

use firedrill::matrix::{MatrixOptions, Outcome, ProbeId, run_matrix_with};
use firedrill::stack::EndpointTarget;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_moto() -> Option<(Moto, String)> {
    let port = free_port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("SKIPPED: moto_server is not installed ({e}); pip install 'moto[server]'");
            return None;
        }
    };
    let moto = Moto(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            println!("SKIPPED: moto_server did not listen on {port} within 30 s");
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((moto, format!("http://127.0.0.1:{port}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_reaches_a_verdict_for_every_probe_on_moto() {
    let Some((_moto, endpoint)) = start_moto() else {
        return;
    };
    let target = EndpointTarget::connect(&endpoint, "us-east-1", Some("us-west-2"))
        .await
        .expect("connect");
    // moto's states never change by themselves: short waits keep the test
    // quick without changing a verdict.
    let mut options = MatrixOptions::for_target(&target);
    options.wait.timeout = Duration::from_secs(5);
    options.rds_wait.timeout = Duration::from_secs(20);
    let report = run_matrix_with(&target, &options).await;
    println!("{}", report.to_table());
    println!("{}", report.to_markdown());
    for p in &report.probes {
        println!("{}: {:?}\n    {}", p.probe, p.outcome, p.details.join("\n    "));
    }
    assert_eq!(report.probes.len(), ProbeId::ALL.len());
    let errors: Vec<_> = report
        .probes
        .iter()
        .filter(|p| matches!(p.outcome, Outcome::Error(_)))
        .map(|p| format!("{}: {}", p.probe, p.outcome.reason()))
        .collect();
    assert!(
        errors.is_empty(),
        "probes that reached no verdict on moto: {errors:?}"
    );
    assert!(report.cleanup.is_empty(), "left behind: {:?}", report.cleanup);
}
