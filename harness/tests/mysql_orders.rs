//! The shop with its orders in RDS for MySQL (`[store] orders_engine =
//! "mysql"`), end to end through `firedrill drill` on the embedded emulator
//! (real MariaDB servers, binary log replication and replay): the four
//! shipped MySQL stories, with exact record counts and RPOs.
//!
//! - A bad deploy's UPDATE recovered by binlog point-in-time restore: every
//!   record back, nothing lost.
//! - The same store on `backup_hope`: an UPDATE without WHERE and only the
//!   03:00 snapshot, so the day's orders are lost (about 12.8 h).
//! - A us-east-1 outage, twice on the same traffic: the orders recovered by
//!   promoting their us-west-2 read replica lose nothing, while restoring
//!   them from the hourly AWS Backup copy loses every order since that copy.
//! - A cleanup job's DELETE of half an hour of orders, then a DROP TABLE of
//!   the payments: binlog PITR to before the DELETE brings both back.
//!
//! Skipped, with a line saying so, where MariaDB or PostgreSQL is missing.

#[path = "support/drills.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod drills;

use firedrill::checker::Verdict;
use firedrill::history::Layer;
use firedrill::report::{Report, layer};
use std::path::Path;
use std::process::Command;

/// Whether MariaDB's server is installed (the MySQL orders database).
fn mariadb_installed() -> bool {
    std::env::var_os("FIREDRILL_MARIADB_BIN").is_some()
        || ["mariadbd", "mysqld"].iter().any(|b| {
            std::env::var_os("PATH").is_some_and(|p| {
                std::env::split_paths(&p).any(|d| d.join(b).exists())
                    || Path::new("/usr/sbin").join(b).exists()
            })
        })
}

const SCENARIOS: [&str; 5] = [
    "mysql-flash-sale-corrupted-orders",
    "mysql-backup-hope-nightly-snapshot",
    "mysql-us-east-1-outage-replica-promotion",
    "mysql-us-east-1-outage-copy-restore",
    "mysql-cleanup-job-deletes-orders",
];

fn read_report(dir: &Path, name: &str) -> Report {
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_mysql_stories_recover_or_lose_exactly_what_their_backups_allow() {
    if !drills::postgres_installed() || !mariadb_installed() {
        println!("SKIPPED: MariaDB or PostgreSQL server binaries are not installed (the drills need RDS)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let reports = dir.path().join("reports");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_firedrill"));
    cmd.current_dir(root)
        .args(["drill", "--jobs", "2", "--quiet", "--report"])
        .arg(&reports);
    for s in SCENARIOS {
        cmd.args(["--scenario", s]);
    }
    let out = cmd.output().expect("run firedrill drill");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "every MySQL story meets its expectation\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("5 passed, 0 failed"), "{stdout}");

    let pitr = read_report(&reports, SCENARIOS[0]);
    let text = pitr.to_text();
    println!("{text}");
    assert!(pitr.check.recovered(), "{text}");
    let rds = layer(&pitr, Layer::Rds).expect("the orders layer is judged");
    assert_eq!(rds.verdict, Verdict::Valid, "{text}");
    assert_eq!(rds.census.correct, rds.records_expected, "{text}");
    assert_eq!((rds.census.missing, rds.census.wrong_value), (0, 0), "{text}");
    assert_eq!(pitr.check.rpo.records_lost, 0, "{text}");
    assert_eq!(rds.records_expected, 256, "{text}");
    // The per-layer table names the engine serving the orders.
    assert_eq!(rds.engine.as_deref(), Some("mysql"), "{text}");
    assert!(text.contains("\n  rds (mysql) "), "{text}");
    assert!(pitr.to_markdown().contains("| rds (mysql) | valid |"), "{text}");
    assert_eq!(pitr.faults[0].fault, "corrupt_orders");
    let run = pitr.recovery.as_ref().expect("a recovery");
    assert!(
        run.checklist
            .iter()
            .any(|s| s.detail.starts_with("RestoreDBInstanceToPointInTime")),
        "{text}"
    );

    let hope = read_report(&reports, SCENARIOS[1]);
    let text = hope.to_text();
    println!("{text}");
    assert_eq!(hope.check.verdict, Verdict::Invalid, "{text}");
    let rds = layer(&hope, Layer::Rds).expect("the orders layer is judged");
    // The 03:00 snapshot holds the night's 44 rows; the day's are gone.
    let n = rds.census;
    assert_eq!(
        (rds.records_expected, n.correct, n.wrong_value, n.missing),
        (381, 44, 8, 329),
        "{text}"
    );
    let minutes = hope.check.rpo.seconds / 60.0;
    assert!((763.0..764.0).contains(&minutes), "RPO {minutes} min: {text}");
    assert!(hope.faults[0].detail.contains("orders"), "{:?}", hope.faults[0]);

    let promoted = read_report(&reports, SCENARIOS[2]);
    let copied = read_report(&reports, SCENARIOS[3]);
    let (pt, ct) = (promoted.to_text(), copied.to_text());
    println!("{pt}\n{ct}");
    let p_rds = layer(&promoted, Layer::Rds).expect("judged");
    let c_rds = layer(&copied, Layer::Rds).expect("judged");
    // The same traffic: the same orders were acknowledged.
    assert_eq!(p_rds.records_expected, 117, "{pt}");
    assert_eq!(c_rds.records_expected, 117, "{ct}");
    // Promotion: every acknowledged order is on the replica.
    assert_eq!(p_rds.verdict, Verdict::Valid, "{pt}");
    assert_eq!((p_rds.lost_records, p_rds.rpo.seconds), (0, 0.0), "{pt}");
    assert!(
        promoted
            .recovery
            .as_ref()
            .expect("a recovery")
            .checklist
            .iter()
            .any(|s| s.detail.starts_with("PromoteReadReplica")),
        "{pt}"
    );
    // The copy: every order since the newest hourly copy is gone.
    // The copy: every order since the newest hourly copy (15:00; the first
    // order came at 15:03) is gone, and the 8 products' stock is stale.
    assert_eq!(c_rds.verdict, Verdict::Invalid, "{ct}");
    let n = c_rds.census;
    assert_eq!((n.correct, n.wrong_value, n.missing), (0, 8, 109), "{ct}");
    let minutes = c_rds.rpo.seconds / 60.0;
    assert!((43.0..48.0).contains(&minutes), "orders RPO {minutes} min: {ct}");
    // The other layers had no replica: both restored them from the copies
    // (the restored tables read once ACTIVE), so both lost writes there.
    for l in [Layer::Dynamodb, Layer::S3] {
        for r in [&promoted, &copied] {
            let got = layer(r, l).expect("judged");
            let restored = got.census.correct + got.census.wrong_value;
            assert!(got.lost_writes > 0 && restored > 0, "{l}: {pt}\n{ct}");
        }
    }

    let cleanup = read_report(&reports, SCENARIOS[4]);
    let text = cleanup.to_text();
    println!("{text}");
    assert!(cleanup.check.recovered(), "{text}");
    let names: Vec<&str> = cleanup.faults.iter().map(|f| f.fault.as_str()).collect();
    assert_eq!(names, ["delete_orders", "drop_table(payments)"], "{text}");
    assert!(cleanup.faults.iter().all(|f| f.records > 0), "{text}");
    let rds = layer(&cleanup, Layer::Rds).expect("judged");
    assert_eq!(rds.census.correct, rds.records_expected, "{text}");
}
