//! `firedrill drill --junit FILE` as a CI job runs it: two scenarios played at
//! once, one with a wrong expectation. The file must be valid against the
//! JUnit schema CI systems read (`tests/data/junit.xsd`, checked with
//! `xmllint`), list both scenarios in the order given and report the failed
//! expectation as a failure carrying the verdict. Skipped, with a line saying
//! so, where xmllint (Debian's libxml2-utils) or PostgreSQL is not installed;
//! `cargo xtask test` installs both.

use std::path::Path;
use std::process::Command;

#[path = "support/drills.rs"]
mod drills;
use drills::{SCENARIO, postgres_installed, write_expects_loss};

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/junit.xsd");

fn xmllint_installed() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The string value of an XPath expression over `file`.
fn xpath(file: &Path, expr: &str) -> String {
    let out = Command::new("xmllint")
        .args(["--xpath", expr])
        .arg(file)
        .output()
        .expect("run xmllint --xpath");
    assert!(
        out.status.success(),
        "xmllint --xpath {expr:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn drill_junit_output_is_schema_valid_and_reports_the_failed_expectation() {
    if !xmllint_installed() {
        println!("SKIPPED: xmllint not installed (Debian libxml2-utils)");
        return;
    }
    if !postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the drills need RDS)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    // The same story, expecting loss where the runbook recovers everything:
    // its expectation must fail and so must the run.
    let wrong_path = write_expects_loss(dir.path());
    let junit = dir.path().join("out.xml");

    let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["drill", "--jobs", "2", "--quiet", "--junit"])
        .arg(&junit)
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
    let xml = std::fs::read_to_string(&junit)
        .unwrap_or_else(|e| panic!("{} not written ({e})\nstderr:\n{stderr}", junit.display()));

    let valid = Command::new("xmllint")
        .args(["--noout", "--schema", SCHEMA])
        .arg(&junit)
        .output()
        .expect("run xmllint --schema");
    assert!(
        valid.status.success(),
        "out.xml is not valid JUnit XML: {}\n{xml}",
        String::from_utf8_lossy(&valid.stderr)
    );

    assert_eq!(xpath(&junit, "name(/*)"), "testsuites");
    let suite = "/testsuites/testsuite[@name='firedrill']";
    assert_eq!(xpath(&junit, &format!("string({suite}/@tests)")), "2");
    assert_eq!(xpath(&junit, &format!("string({suite}/@failures)")), "1");
    assert_eq!(xpath(&junit, &format!("string({suite}/@skipped)")), "0");
    assert_eq!(
        xpath(&junit, &format!("string({suite}/testcase[1]/@name)")),
        "junior-dev-expects-loss",
        "test cases in the order given"
    );
    assert_eq!(
        xpath(&junit, &format!("string({suite}/testcase[2]/@name)")),
        "junior-dev-cart-batch-delete"
    );
    assert_eq!(
        xpath(&junit, "count(//testcase[@classname='firedrill.drill'])"),
        "2"
    );
    let failure = "//testcase[@name='junior-dev-expects-loss']/failure";
    let message = xpath(&junit, &format!("string({failure}/@message)"));
    assert!(
        message.starts_with("FAIL junior-dev-expects-loss: recovered"),
        "the message is the verdict's headline: {message}"
    );
    assert_eq!(
        xpath(&junit, &format!("string({failure}/@type)")),
        "expectation-not-met"
    );
    let body = xpath(&junit, &format!("string({failure})"));
    assert!(
        body.contains("no data was lost, but loss was expected"),
        "the failure text carries the expectation's reasons: {body}"
    );
    assert_eq!(
        xpath(
            &junit,
            "count(//testcase[@name='junior-dev-cart-batch-delete']/*[name()!='system-out'])"
        ),
        "0",
        "the scenario that passed has no failure"
    );
    let system_out = xpath(
        &junit,
        "string(//testcase[@name='junior-dev-cart-batch-delete']/system-out)",
    );
    assert!(
        system_out.starts_with("PASS junior-dev-cart-batch-delete"),
        "system-out holds the text report: {system_out}"
    );
}
