//! `firedrill drill` as users run it: several scenarios played at once
//! (`--jobs`), reports printed and written in the order given, and a non-zero
//! exit when one scenario's expectation fails. Skipped, with a line saying
//! so, where PostgreSQL is not installed (the scenarios need RDS).

use std::process::Command;

const SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/junior-dev-cart-batch-delete.toml"
);

fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql").is_ok()
        || Command::new("pg_config")
            .output()
            .is_ok_and(|o| o.status.success())
        || std::env::var_os("FIREDRILL_PG_BIN").is_some()
}

#[test]
fn two_scenarios_at_once_report_in_order_and_a_failed_expectation_fails_the_run() {
    if !postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the drills need RDS)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    // The same story, expecting loss where the runbook recovers everything:
    // its expectation must fail and so must the run.
    let wrong = std::fs::read_to_string(SCENARIO)
        .expect("the shipped scenario")
        .replace(
            "name = \"junior-dev-cart-batch-delete\"",
            "name = \"junior-dev-expects-loss\"",
        )
        .replace("outcome = \"recovered\"", "outcome = \"data-loss\"");
    assert!(wrong.contains("junior-dev-expects-loss") && wrong.contains("data-loss"));
    let wrong_path = dir.path().join("junior-dev-expects-loss.toml");
    std::fs::write(&wrong_path, wrong).unwrap();
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
