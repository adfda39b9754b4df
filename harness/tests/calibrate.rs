//! `firedrill calibrate` against the emulator's own job history: restore
//! jobs run with a known duration are read back (read-only) and fitted into
//! a timings file that reproduces that duration and that a drill accepts.

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
