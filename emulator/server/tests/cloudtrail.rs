//! "Who deleted the recovery points at 03:12?" answered by CloudTrail's
//! `LookupEvents` over the assembled emulator: AWS Backup's real recovery
//! points deleted with the production key, found by event name and time
//! with the key, the user and the source address of the call, invisible to
//! the other account; and the same question asked with the AWS CLI.

use aws_sdk_cloudtrail::primitives::DateTime as SdkTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::testing::{aws_cli, have};
use firedrill_emulator::{Emulator, EmulatorHandle, parse_accounts};

const PROD_KEY: &str = "AKIAPRODEXAMPLE0001";
const BACKUP_KEY: &str = "AKIABACKUPEXAMPLE01";
const SECRET: &str = "any-secret";
const MIDNIGHT: &str = "2026-03-14T00:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an instant")
}

async fn emulator() -> EmulatorHandle {
    Emulator::builder()
        .simulated_clock(at(MIDNIGHT))
        .accounts(
            parse_accounts(&format!(
                "prod=111111111111:{PROD_KEY},backup=222222222222:{BACKUP_KEY}"
            ))
            .expect("an account list"),
        )
        .start()
        .await
        .expect("emulator starts")
}

/// A table backed up twice by AWS Backup; the recovery point ARNs.
async fn backed_up(emulator: &EmulatorHandle, sdk: &aws_config::SdkConfig, account: &str) -> Vec<String> {
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let backup = aws_sdk_backup::Client::new(sdk);
    let table = ddb
        .create_table()
        .table_name("orders")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("an attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("a key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable")
        .table_description()
        .and_then(|t| t.table_arn())
        .expect("a table ARN")
        .to_owned();
    // The table is ACTIVE before AWS Backup is asked to back it up.
    emulator.advance(Duration::minutes(2)).await.expect("advance");
    backup
        .create_backup_vault()
        .backup_vault_name("prod-vault")
        .send()
        .await
        .expect("CreateBackupVault");
    for _ in 0..2 {
        backup
            .start_backup_job()
            .backup_vault_name("prod-vault")
            .resource_arn(&table)
            .iam_role_arn(format!("arn:aws:iam::{account}:role/backup"))
            .send()
            .await
            .expect("StartBackupJob");
    }
    emulator.advance(Duration::minutes(15)).await.expect("advance");
    let points: Vec<String> = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("prod-vault")
        .send()
        .await
        .expect("ListRecoveryPointsByBackupVault")
        .recovery_points()
        .iter()
        .filter_map(|p| p.recovery_point_arn().map(str::to_owned))
        .collect();
    let jobs = backup.list_backup_jobs().send().await.expect("ListBackupJobs");
    assert_eq!(points.len(), 2, "{:?}", jobs.backup_jobs());
    points
}

/// At 03:12, every recovery point of the vault is deleted.
async fn delete_at_0312(emulator: &EmulatorHandle, sdk: &aws_config::SdkConfig, points: &[String]) {
    let to = at("2026-03-14T03:12:00Z") - emulator.clock().now();
    emulator.advance(to).await.expect("advance to 03:12");
    let backup = aws_sdk_backup::Client::new(sdk);
    for arn in points {
        backup
            .delete_recovery_point()
            .backup_vault_name("prod-vault")
            .recovery_point_arn(arn)
            .send()
            .await
            .expect("DeleteRecoveryPoint");
    }
    emulator.advance(Duration::minutes(30)).await.expect("advance");
}

fn sdk_time(s: &str) -> SdkTime {
    SdkTime::from_millis(at(s).timestamp_millis())
}

async fn deletions(sdk: &aws_config::SdkConfig) -> Vec<aws_sdk_cloudtrail::types::Event> {
    aws_sdk_cloudtrail::Client::new(sdk)
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventName)
                .attribute_value("DeleteRecoveryPoint")
                .build()
                .expect("a lookup attribute"),
        )
        .start_time(sdk_time("2026-03-14T03:00:00Z"))
        .end_time(sdk_time("2026-03-14T03:30:00Z"))
        .send()
        .await
        .expect("LookupEvents")
        .events()
        .to_vec()
}

#[tokio::test]
async fn the_production_key_that_deleted_the_recovery_points_is_named() {
    let emulator = emulator().await;
    let prod = emulator.sdk_config_as("us-east-1", PROD_KEY, SECRET, None).await;
    let other = emulator
        .sdk_config_as("us-east-1", BACKUP_KEY, SECRET, None)
        .await;
    let points = backed_up(&emulator, &prod, "111111111111").await;
    delete_at_0312(&emulator, &prod, &points).await;

    let found = deletions(&prod).await;
    assert_eq!(found.len(), 2, "{found:?}");
    for e in &found {
        assert_eq!(e.username(), Some("prod"));
        assert_eq!(e.access_key_id(), Some(PROD_KEY));
        // The simulated clock also runs at the wall's rate between jumps.
        let when = e.event_time().map(|t| t.secs()).expect("a time");
        assert!(
            (at("2026-03-14T03:12:00Z").timestamp()..at("2026-03-14T03:20:00Z").timestamp()).contains(&when),
            "deleted at 03:12, found at {when}"
        );
        let name = e.resources()[0].resource_name().expect("a resource");
        assert!(points.iter().any(|p| p == name), "{name} is one of {points:?}");
        let doc: serde_json::Value =
            serde_json::from_str(e.cloud_trail_event().expect("the event")).expect("JSON");
        assert_eq!(doc["userIdentity"]["accountId"], "111111111111");
        assert_eq!(doc["userIdentity"]["arn"], "arn:aws:iam::111111111111:user/prod");
        assert_eq!(doc["sourceIPAddress"], "127.0.0.1");
        assert_eq!(doc["requestParameters"]["recoveryPointArn"], name);
    }
    assert!(
        deletions(&other).await.is_empty(),
        "another account sees none of prod's events"
    );
    // AWS Backup's own deletion of the DynamoDB backups it held is a
    // service event, not the user's.
    let inside = aws_sdk_cloudtrail::Client::new(&prod)
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::AccessKeyId)
                .attribute_value(PROD_KEY)
                .build()
                .expect("a lookup attribute"),
        )
        .send()
        .await
        .expect("LookupEvents");
    assert!(
        inside
            .events()
            .iter()
            .all(|e| e.event_source() == Some("backup.amazonaws.com")),
        "{:?}",
        inside.events()
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_aws_cli_finds_who_deleted_the_recovery_points() {
    if !have("aws") {
        println!("SKIPPED: the AWS CLI is not installed");
        return;
    }
    let emulator = emulator().await;
    let sdk = emulator.sdk_config("us-east-1").await;
    let points = backed_up(&emulator, &sdk, "000000000000").await;
    delete_at_0312(&emulator, &sdk, &points).await;
    let out = aws_cli(
        emulator.endpoint(),
        "cloudtrail",
        &[
            "lookup-events",
            "--lookup-attributes",
            "AttributeKey=EventName,AttributeValue=DeleteRecoveryPoint",
            "--start-time",
            "2026-03-14T03:00:00Z",
            "--end-time",
            "2026-03-14T03:30:00Z",
        ],
    )
    .await;
    let events = out["Events"].as_array().expect("Events");
    assert_eq!(events.len(), 2, "{out}");
    for e in events {
        assert_eq!(e["EventName"], "DeleteRecoveryPoint");
        assert_eq!(e["Username"], "AKIAFIREDRILLTEST", "{e}");
        assert_eq!(e["AccessKeyId"], "AKIAFIREDRILLTEST");
        let doc: serde_json::Value =
            serde_json::from_str(e["CloudTrailEvent"].as_str().expect("a document")).expect("JSON");
        let when = doc["eventTime"].as_str().expect("a time");
        assert!(
            when.starts_with("2026-03-14T03:1"),
            "deleted at 03:12, found at {when}"
        );
        assert_eq!(doc["userIdentity"]["accountId"], "000000000000");
    }
    emulator.shutdown().await;
}
