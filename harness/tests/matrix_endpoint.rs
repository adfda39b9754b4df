//! The fidelity matrix through the endpoint target against `firedrill serve`
//! running in another process, as any AWS client would reach it.

use firedrill::matrix::{MatrixReport, ProbeId, run_matrix};
use firedrill::stack::EndpointTarget;
use std::process::Command;

mod support;
use support::serve::Serve;

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
