//! The fidelity matrix on our own emulator, in-process: every probe the
//! emulator supports must be honoured. A probe that is not is a real gap in
//! the emulator, and this test names it.

use firedrill::matrix::{Outcome, ProbeId, run_matrix};
use firedrill::stack::EmbeddedTarget;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_emulator_honours_every_probe() {
    let target = EmbeddedTarget::start(Default::default())
        .await
        .expect("emulator starts");
    let report = run_matrix(&target).await;
    println!("{}", report.to_table());
    println!("{}", report.to_json());
    let postgres = std::process::Command::new("initdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut failures = Vec::new();
    for p in &report.probes {
        let skippable = p.probe == ProbeId::RdsPitrToT && !postgres;
        if !p.outcome.is_honoured() && !skippable {
            failures.push(format!(
                "{}: {:?}\n    {}",
                p.probe,
                p.outcome,
                p.details.join("\n    ")
            ));
        }
    }
    assert_eq!(report.probes.len(), ProbeId::ALL.len());
    assert!(report.cleanup.is_empty(), "left behind: {:?}", report.cleanup);
    assert!(
        failures.is_empty(),
        "probes not honoured by the embedded emulator:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        report.outcome(ProbeId::DynamodbRestoreToT),
        Some(&Outcome::Honoured)
    );
    target.shutdown().await;
}
