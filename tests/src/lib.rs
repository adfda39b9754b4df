//! Shared pieces of firedrill's scenario runner and property tests: running
//! one scenario on its own embedded stack, and building scenarios in code.
//!
//! Each drill starts its own in-process emulator (its own port, data
//! directory and PostgreSQL servers), so tests run in parallel without
//! sharing anything.

use firedrill::drill::{DrillOptions, run};
use firedrill::report::Report;
use firedrill::scenario::Scenario;
use firedrill::stack::EmbeddedTarget;
use std::path::PathBuf;

/// The shipped scenarios directory.
pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
}

/// Plays `scenario` on a fresh embedded stack and returns its report.
pub fn drill(scenario: &Scenario, seed: Option<u64>) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (target, scenario) = EmbeddedTarget::for_scenario(scenario).await?;
        let options = DrillOptions {
            seed,
            ..DrillOptions::default()
        };
        let report = run(&target, &scenario, &options).await;
        target.shutdown().await;
        report
    })
}

/// What to print when a drill does not meet its expectation: the report and
/// how to replay it.
pub fn failure_text(report: &Report) -> String {
    format!(
        "{}\nreplay: cargo run -p firedrill -- drill {} --seed {}",
        report.to_text(),
        report.file.as_deref().unwrap_or(&report.scenario),
        report.seed
    )
}
