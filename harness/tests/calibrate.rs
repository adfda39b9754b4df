//! `firedrill calibrate` against the emulator's own job history: restore
//! jobs run with a known duration are read back (read-only) and fitted into
//! a timings file that reproduces that duration and that a drill accepts;
//! RDS restores and snapshot copies made with a known modelled duration are
//! read back from DescribeEvents the same way.

use aws_sdk_backup::types::RestoreJobStatus;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use chrono::Duration;
use firedrill::timings::{TimingsFile, TimingsSection};
use firedrill_emulator::timing::Operation;
use firedrill_emulator::{Emulator, Fidelity, FidelitySettings};
use std::process::Command;

const ROLE: &str = "arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibration_reproduces_the_restore_time_the_history_was_made_with() {
    let job_time = Duration::minutes(7);
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T12:00:00Z".parse().unwrap())
        .timings(FidelitySettings {
            backup_job_duration: job_time,
            ..Fidelity::Fast.settings()
        })
        .start()
        .await
        .unwrap();
    let config = emulator.sdk_config("us-east-1").await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let backup = aws_sdk_backup::Client::new(&config);
    let table = ddb
        .create_table()
        .table_name("carts")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .table_description
        .and_then(|t| t.table_arn)
        .unwrap();
    emulator.advance(Duration::minutes(1)).await.unwrap();
    backup
        .create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    backup
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&table)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    emulator.advance(Duration::minutes(8)).await.unwrap();
    let rp = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap()
        .recovery_points()[0]
        .recovery_point_arn()
        .unwrap()
        .to_owned();
    for i in 0..3 {
        backup
            .start_restore_job()
            .recovery_point_arn(&rp)
            .iam_role_arn(ROLE)
            .metadata("targetTableName", format!("carts-restored-{i}"))
            .send()
            .await
            .unwrap();
        emulator.advance(Duration::minutes(1)).await.unwrap();
    }
    // The jobs end on the first tick past their duration: tick every 10 s.
    for _ in 0..60 {
        emulator.advance(Duration::seconds(10)).await.unwrap();
    }
    let done = backup
        .list_restore_jobs()
        .by_status(RestoreJobStatus::Completed)
        .send()
        .await
        .unwrap();
    assert_eq!(done.restore_jobs().len(), 3, "{done:?}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ours.json");
    let run = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["calibrate", "--endpoint", emulator.endpoint(), "--out"])
        .arg(&out)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("3 completed jobs"), "{stdout}");

    let TimingsFile::Named { name, operations } = TimingsFile::read(&out).unwrap() else {
        panic!("calibrate writes a named model");
    };
    assert!(name.starts_with("calibrated-000000000000-"), "{name}");
    let restore = &operations[&Operation::DynamodbRestoreFromBackup];
    let typical = restore.fixed.typical.as_secs_f64();
    assert!(
        (typical - 420.0).abs() <= 10.0,
        "fitted {typical} s for 420 s jobs: {restore:?}"
    );
    assert!(
        restore.source.contains("3 completed AWS Backup restore jobs"),
        "{}",
        restore.source
    );
    assert_eq!(
        operations[&Operation::BackupRestoreJob].fixed.typical,
        std::time::Duration::ZERO
    );

    // A drill takes the file: the calibrated operation replaces the default.
    let model = TimingsSection::from_flag(out.to_str().unwrap())
        .resolve(None)
        .unwrap()
        .model
        .unwrap();
    assert_eq!(model.name, name);
    assert_eq!(&model.operations[&Operation::DynamodbRestoreFromBackup], restore);
    emulator.shutdown().await;
}

fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql").is_ok()
        || Command::new("pg_config")
            .output()
            .is_ok_and(|o| o.status.success())
        || std::env::var_os("FIREDRILL_PG_BIN").is_some()
}

/// A model where a snapshot copy takes exactly `copy` and a restore from a
/// snapshot exactly `restore`, whatever the size.
fn history_model(copy: u64, restore: u64) -> firedrill_emulator::timing::TimingModel {
    use firedrill_emulator::timing::{Band, OperationModel, TimingModel};
    let exactly = |secs: u64| OperationModel {
        fixed: Band::secs(secs, secs, secs),
        source: "the history this test makes".to_owned(),
        ..OperationModel::default()
    };
    TimingModel::aws_defaults()
        .with_overrides(
            "history",
            [
                (Operation::RdsSnapshotCopy, exactly(copy)),
                (Operation::RdsRestoreFromSnapshot, exactly(restore)),
            ]
            .into_iter()
            .collect(),
        )
        .unwrap()
}

async fn rds_status(rds: &aws_sdk_rds::Client, id: &str) -> String {
    rds.describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .db_instance_status()
        .unwrap_or_default()
        .to_owned()
}

async fn snapshot_status(rds: &aws_sdk_rds::Client, id: &str) -> String {
    rds.describe_db_snapshots()
        .db_snapshot_identifier(id)
        .send()
        .await
        .unwrap()
        .db_snapshots()[0]
        .status()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibration_reads_rds_restores_and_copies_from_describe_events() {
    if !postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the history needs RDS)");
        return;
    }
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T12:00:00Z".parse().unwrap())
        .timings(FidelitySettings {
            restore_model: Some(history_model(600, 900)),
            ..Fidelity::Fast.settings()
        })
        .start()
        .await
        .unwrap();
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-east-1").await);
    rds.create_db_instance()
        .db_instance_identifier("shop")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password("s3cret-pass")
        .allocated_storage(50)
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while rds_status(&rds, "shop").await != "available" {
        assert!(
            std::time::Instant::now() < deadline,
            "shop never became available"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    rds.create_db_snapshot()
        .db_instance_identifier("shop")
        .db_snapshot_identifier("shop-snap")
        .send()
        .await
        .unwrap();
    while snapshot_status(&rds, "shop-snap").await != "available" {
        assert!(
            std::time::Instant::now() < deadline,
            "the snapshot never completed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    rds.copy_db_snapshot()
        .source_db_snapshot_identifier("shop-snap")
        .target_db_snapshot_identifier("shop-copy")
        .send()
        .await
        .unwrap();
    rds.restore_db_instance_from_db_snapshot()
        .db_snapshot_identifier("shop-snap")
        .db_instance_identifier("shop-restored")
        .send()
        .await
        .unwrap();
    // The files are copied and the server started in wall seconds; let
    // them finish before the clock runs ahead, so that only the model
    // decides when each ends: on the first tick past its modelled time.
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    for _ in 0..100 {
        emulator.advance(Duration::seconds(10)).await.unwrap();
    }
    while rds_status(&rds, "shop-restored").await != "available"
        || snapshot_status(&rds, "shop-copy").await != "available"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the restore or the copy never ended"
        );
        emulator.advance(Duration::seconds(10)).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rds.json");
    let run = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args([
            "calibrate",
            "--endpoint",
            emulator.endpoint(),
            "--regions",
            "us-east-1",
            "--out",
        ])
        .arg(&out)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let TimingsFile::Named { operations, .. } = TimingsFile::read(&out).unwrap() else {
        panic!("calibrate writes a named model");
    };
    for (op, secs) in [
        (Operation::RdsSnapshotCopy, 600.0),
        (Operation::RdsRestoreFromSnapshot, 900.0),
    ] {
        let fitted = &operations[&op];
        let typical = fitted.fixed.typical.as_secs_f64();
        assert!(
            (typical - secs).abs() <= 15.0,
            "{op}: fitted {typical} s for {secs} s: {fitted:?}"
        );
        assert!(
            fitted.source.contains("timed by DescribeEvents"),
            "{}",
            fitted.source
        );
    }
    // No AWS Backup restore job ran: its share keeps the default.
    assert!(!operations.contains_key(&Operation::BackupRestoreJob));
    emulator.shutdown().await;
}
