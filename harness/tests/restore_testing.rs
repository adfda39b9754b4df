//! `firedrill drill --restore-testing` end to end on the embedded
//! emulator: after the drill, an AWS Backup restore testing plan restores
//! the vault's newest recovery points and the checker validates each one
//! against the history at the point's creation. Intact backups validate
//! SUCCESSFUL; a recovery point taken after orders were corrupted holds the
//! corruption and validates FAILED, its message naming the wrong values.

#[path = "support/drills.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod drills;

use firedrill::drill::DrillOptions;
use firedrill::restore_testing::RestoreTestingReport;
use std::path::Path;

async fn play_with_restore_testing(path: &Path) -> firedrill::report::Report {
    let s = firedrill::scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    let options = DrillOptions {
        restore_testing: true,
        ..DrillOptions::default()
    };
    firedrill::stack::EmbeddedTarget::play(&s, &options)
        .await
        .expect("the drill runs")
}

fn restore_testing(r: &firedrill::report::Report) -> &RestoreTestingReport {
    let rt = r.restore_testing.as_ref().expect("a restore test ran");
    assert!(rt.error.is_none(), "{:#?}", rt);
    assert!(!rt.entries.is_empty(), "{rt:#?}");
    for e in &rt.entries {
        assert_eq!(e.restore_status, "COMPLETED", "{e:#?}");
        assert!(e.restore_seconds.is_some_and(|s| s >= 0.0), "{e:#?}");
        assert!(
            e.recovery_point_age_seconds.is_some_and(|s| s > 0.0),
            "the point is older than the run: {e:#?}"
        );
        assert!(e.message.starts_with("firedrill checker"), "{e:#?}");
    }
    rt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intact_backups_validate_successful() {
    if !drills::postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL server binaries are not installed (the store has an RDS layer)");
        return;
    }
    // The hourly rule backs the store up at 11:00, during the traffic and
    // before the 11:05 cart deletion.
    let r = play_with_restore_testing(Path::new(drills::SCENARIO)).await;
    let rt = restore_testing(&r);
    let text = rt.lines().join("\n");
    for kind in ["DynamoDB", "S3", "RDS"] {
        assert!(
            rt.entries.iter().any(|e| e.resource_type == kind),
            "a {kind} point was restored: {text}"
        );
    }
    assert!(rt.all_successful(), "{text}");
    let carts = rt
        .entries
        .iter()
        .find(|e| e.resource_arn.ends_with("-carts"))
        .expect("the carts table was restored");
    assert!(carts.census.correct > 0, "{carts:#?}");
    assert!(
        r.to_text().contains("restore testing plan"),
        "the text report tells the run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_point_taken_after_a_corruption_validates_failed() {
    if !drills::postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL server binaries are not installed (the store has an RDS layer)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("corrupted-then-backed-up.toml");
    // Orders are corrupted at 10:55; the hourly backup at 11:00, while the
    // team has not yet noticed, takes the corrupted orders with it.
    std::fs::write(
        &path,
        r#"
name = "corrupted-then-backed-up"
description = "Orders corrupted at 10:55, backed up at 11:00, restored by PITR to 10:55."
policy = "four_layer"

[workload]
seed = 1055
start = "10:40"
products = 10
customers = 40
orders_per_hour = 120.0
cart_churn_per_hour = 60.0
sessions_per_hour = 30.0

[[fault]]
at = "10:55"
kind = "corrupt_orders"
window_minutes = 15

[recovery]
detect_after = "10m"
[[recovery.step]]
runbook = "rds_pitr"

[expect]
outcome = "recovered"
"#,
    )
    .expect("write the scenario");
    let r = play_with_restore_testing(&path).await;
    let rt = restore_testing(&r);
    let text = rt.lines().join("\n");
    let rds = rt
        .entries
        .iter()
        .find(|e| e.resource_type == "RDS")
        .unwrap_or_else(|| panic!("the orders instance was restored: {text}"));
    assert!(!rds.successful, "{text}");
    assert!(rds.census.wrong_value > 0, "{rds:#?}");
    assert!(!rds.message.contains(" 0 wrong value"), "{}", rds.message);
    let dynamodb: Vec<_> = rt
        .entries
        .iter()
        .filter(|e| e.resource_type == "DynamoDB")
        .collect();
    assert!(!dynamodb.is_empty(), "{text}");
    assert!(
        dynamodb.iter().all(|e| e.successful),
        "the tables the fault did not touch validate: {text}"
    );
}
