//! On-demand backups: create, describe, list (filters and pages), restore,
//! delete, and the in-process API AWS Backup calls.

use crate::common::*;
use aws_sdk_dynamodb::types::{
    BackupStatus, BackupType as SdkBackupType, BackupTypeFilter, ScalarAttributeType, TableStatus,
};
use chrono::Duration;
use firedrill_emu_dynamodb::BackupType;

#[tokio::test]
async fn backups_are_created_listed_restored_and_deleted() {
    let env = start().await;
    let c = &env.client;
    env.table("orders", Some(ScalarAttributeType::S)).await;
    for i in 0..20 {
        c.put_item()
            .table_name("orders")
            .set_item(Some(item(&[
                ("pk", s("c1")),
                ("sk", s(&format!("o{i:02}"))),
                ("total", n(i)),
            ])))
            .send()
            .await
            .unwrap();
    }
    let snapshot = scan_all(c, "orders").await;
    let created = c
        .create_backup()
        .table_name("orders")
        .backup_name("nightly-1")
        .send()
        .await
        .unwrap();
    let details = created.backup_details().unwrap();
    let arn = details.backup_arn().to_owned();
    let suffix = arn.rsplit('/').next().unwrap();
    assert!(
        arn.starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/orders/backup/"),
        "{arn}"
    );
    let (millis, hex) = suffix.split_once('-').unwrap();
    assert_eq!(millis.len(), 13);
    assert_eq!(hex.len(), 8);
    assert_eq!(details.backup_type(), &SdkBackupType::User);
    assert_eq!(details.backup_status(), &BackupStatus::Creating);
    env.settle().await;

    // Later changes do not reach the backup.
    c.delete_item()
        .table_name("orders")
        .set_key(Some(item(&[("pk", s("c1")), ("sk", s("o00"))])))
        .send()
        .await
        .unwrap();
    env.server.advance(Duration::minutes(5)).await;
    c.create_backup()
        .table_name("orders")
        .backup_name("nightly-2")
        .send()
        .await
        .unwrap();

    let d = c.describe_backup().backup_arn(&arn).send().await.unwrap();
    let d = d.backup_description().unwrap();
    assert_eq!(
        d.backup_details().unwrap().backup_status(),
        &BackupStatus::Available
    );
    assert_eq!(d.source_table_details().unwrap().item_count(), Some(20));
    assert_eq!(d.source_table_details().unwrap().table_name(), "orders");

    let page = c
        .list_backups()
        .table_name("orders")
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.backup_summaries().len(), 1);
    assert_eq!(page.backup_summaries()[0].backup_name(), Some("nightly-1"));
    let next = page.last_evaluated_backup_arn().unwrap().to_owned();
    let page = c
        .list_backups()
        .table_name("orders")
        .exclusive_start_backup_arn(next)
        .send()
        .await
        .unwrap();
    assert_eq!(page.backup_summaries().len(), 1);
    assert_eq!(page.backup_summaries()[0].backup_name(), Some("nightly-2"));
    assert!(page.last_evaluated_backup_arn().is_none());
    let lower = aws_smithy_types::DateTime::from_millis(env.now().timestamp_millis() - 60_000);
    let recent = c
        .list_backups()
        .time_range_lower_bound(lower)
        .send()
        .await
        .unwrap();
    assert_eq!(recent.backup_summaries().len(), 1);
    let upper = aws_smithy_types::DateTime::from_millis(env.now().timestamp_millis() - 60_000);
    let old = c
        .list_backups()
        .time_range_upper_bound(upper)
        .send()
        .await
        .unwrap();
    assert_eq!(old.backup_summaries().len(), 1);
    assert_eq!(old.backup_summaries()[0].backup_name(), Some("nightly-1"));

    let out = c
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("orders-restored")
        .send()
        .await
        .unwrap();
    let td = out.table_description().unwrap();
    assert_eq!(td.table_status(), Some(&TableStatus::Creating));
    assert_eq!(
        td.restore_summary().unwrap().source_backup_arn(),
        Some(arn.as_str())
    );
    env.settle().await;
    assert_eq!(scan_all(c, "orders-restored").await, snapshot);

    let err = c
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "TableAlreadyExistsException");

    let del = c.delete_backup().backup_arn(&arn).send().await.unwrap();
    assert_eq!(
        del.backup_description()
            .unwrap()
            .backup_details()
            .unwrap()
            .backup_status(),
        &BackupStatus::Deleted
    );
    let err = c.describe_backup().backup_arn(&arn).send().await.unwrap_err();
    assert_eq!(code(&err), "BackupNotFoundException");
    let err = c
        .create_backup()
        .table_name("missing")
        .backup_name("b-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "TableNotFoundException");
}

#[tokio::test]
async fn the_in_process_api_serves_aws_backup() {
    let env = start().await;
    let c = &env.client;
    env.table("carts", None).await;
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1")), ("qty", n(3))])))
        .send()
        .await
        .unwrap();
    let d = env
        .ddb
        .create_backup("us-east-1", "carts", "awsbackup-job-1", BackupType::AwsBackup)
        .unwrap();
    let arn = d.backup_details.backup_arn.clone();
    assert_eq!(d.backup_details.backup_type, "AWS_BACKUP");
    let listed = c
        .list_backups()
        .backup_type(BackupTypeFilter::AwsBackup)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.backup_summaries().len(), 1);

    let copy = env.ddb.copy_backup_to_region(&arn, "us-west-2").unwrap();
    assert!(
        copy.starts_with("arn:aws:dynamodb:us-west-2:000000000000:table/carts/backup/"),
        "{copy}"
    );
    let table_arn = env
        .ddb
        .restore_table_from_backup("us-west-2", &copy, "carts-dr")
        .unwrap();
    assert_eq!(
        table_arn,
        "arn:aws:dynamodb:us-west-2:000000000000:table/carts-dr"
    );
    env.settle().await;
    let west = env.client_in("us-west-2").await;
    let items = scan_all(&west, "carts-dr").await;
    assert_eq!(items, vec![item(&[("pk", s("c1")), ("qty", n(3))])]);

    let gone = env.ddb.delete_backup(&arn).unwrap();
    assert_eq!(gone.backup_details.backup_status, "DELETED");
    assert!(env.ddb.delete_backup(&arn).is_err());
    // The audit trail records the backup and restore operations.
    let names: Vec<String> = env
        .server
        .env()
        .audit
        .events()
        .into_iter()
        .map(|e| e.event_name)
        .collect();
    assert!(names.contains(&"CreateBackup".to_owned()));
    assert!(names.contains(&"RestoreTableFromBackup".to_owned()));
}
