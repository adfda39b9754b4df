//! `firedrill drill` as users run it: several scenarios played at once
//! (`--jobs`), reports printed and written in the order given, and a non-zero
//! exit when one scenario's expectation fails. Skipped, with a line saying
//! so, where PostgreSQL is not installed (the scenarios need RDS).

use std::process::Command;

#[path = "support/drills.rs"]
mod drills;
use drills::{SCENARIO, postgres_installed, write_expects_loss};

#[test]
fn two_scenarios_at_once_report_in_order_and_a_failed_expectation_fails_the_run() {
    if !postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the drills need RDS)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    // The same story, expecting loss where the runbook recovers everything:
    // its expectation must fail and so must the run.
    let wrong_path = write_expects_loss(dir.path());
    let reports = dir.path().join("reports");

    let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["drill", "--jobs", "2", "--quiet", "--report"])
        .arg(&reports)
        .arg(&wrong_path)
        .arg(SCENARIO)
        .output()
        .expect("run firedrill drill");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a failed expectation must fail the run\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stderr.contains("2 at a time"), "stderr:\n{stderr}");
    let failed = stdout
        .find("FAIL junior-dev-expects-loss")
        .unwrap_or_else(|| panic!("no FAIL line:\n{stdout}\nstderr:\n{stderr}"));
    let passed = stdout
        .find("PASS junior-dev-cart-batch-delete")
        .unwrap_or_else(|| panic!("no PASS line:\n{stdout}\nstderr:\n{stderr}"));
    assert!(failed < passed, "reports print in the order given:\n{stdout}");
    assert!(stdout.contains("1 passed, 1 failed, 0 unsupported"), "{stdout}");
    for name in ["junior-dev-expects-loss", "junior-dev-cart-batch-delete"] {
        for ext in ["json", "md", "html"] {
            let file = reports.join(format!("{name}.{ext}"));
            assert!(file.exists(), "{} was not written", file.display());
        }
    }
}
