//! Issue 5's story end to end, through the official SDKs: an AWS Backup plan
//! with hourly and daily rules copying to us-west-2 protects a tag-selected
//! DynamoDB table, S3 bucket and RDS instance; a day passes; us-east-1 goes
//! dark; every layer is restored in us-west-2 from the copies and holds the
//! data of the last copy; the outage ends and us-east-1 is intact.

mod common;

use aws_sdk_backup::types::{BackupSelection, Condition, ConditionType, CopyAction, Lifecycle};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_s3::primitives::ByteStream;
use common::postgres::{postgres_installed, sql, wait_rds_available};
use firedrill_emulator::{Emulator, EmulatorHandle};
use std::time::{Duration, Instant};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

struct Clients {
    dynamodb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
    rds: aws_sdk_rds::Client,
    backup: aws_sdk_backup::Client,
}

async fn clients(emulator: &EmulatorHandle, region: &str) -> Clients {
    let sdk = emulator.sdk_config(region).await;
    Clients {
        dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        ),
        rds: aws_sdk_rds::Client::new(&sdk),
        backup: aws_sdk_backup::Client::new(&sdk),
    }
}

async fn count_orders(db: &tokio_postgres::Client) -> i64 {
    db.query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_copies_to_west_and_every_layer_restores_there_during_an_east_outage() {
    if !postgres_installed() {
        println!(
            "SKIPPED: PostgreSQL server binaries not found (set FIREDRILL_PG_BIN or install postgresql)"
        );
        return;
    }
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T00:30:00Z".parse().unwrap())
        .start()
        .await
        .unwrap();
    let east = clients(&emulator, EAST).await;
    let west = clients(&emulator, WEST).await;
    let production = || {
        aws_sdk_dynamodb::types::Tag::builder()
            .key("Environment")
            .value("Production")
            .build()
            .unwrap()
    };

    // The store: a cart table, an invoice bucket and an orders database, tagged for the plan.
    east.dynamodb
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
        .tags(production())
        .send()
        .await
        .unwrap();
    east.s3.create_bucket().bucket("invoices").send().await.unwrap();
    east.s3
        .put_bucket_tagging()
        .bucket("invoices")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("Environment")
                        .value("Production")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    east.rds
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .backup_retention_period(7)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("Environment")
                .value("Production")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (host, port) = wait_rds_available(&east.rds, &emulator, "orders").await;
    let db = sql(&host, port).await;
    db.batch_execute("CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL)")
        .await
        .unwrap();

    // The plan: hourly and daily rules into a KMS-encrypted vault, copies to us-west-2.
    // The key must exist and be enabled: AWS Backup asks KMS at each job.
    let kms_client = aws_sdk_kms::Client::new(&emulator.sdk_config(EAST).await);
    let kms = kms_client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .and_then(|m| m.arn())
        .unwrap()
        .to_owned();
    let kms = kms.as_str();
    east.backup
        .create_backup_vault()
        .backup_vault_name("shop-vault")
        .encryption_key_arn(kms)
        .send()
        .await
        .unwrap();
    let west_vault = west
        .backup
        .create_backup_vault()
        .backup_vault_name("shop-dr")
        .send()
        .await
        .unwrap();
    let copy = CopyAction::builder()
        .destination_backup_vault_arn(west_vault.backup_vault_arn().unwrap())
        .lifecycle(Lifecycle::builder().delete_after_days(30).build())
        .build()
        .unwrap();
    let rule = |name: &str, cron: &str, days: i64| {
        aws_sdk_backup::types::BackupRuleInput::builder()
            .rule_name(name)
            .target_backup_vault_name("shop-vault")
            .schedule_expression(cron)
            .start_window_minutes(60)
            .lifecycle(Lifecycle::builder().delete_after_days(days).build())
            .copy_actions(copy.clone())
            .build()
            .unwrap()
    };
    let plan = east
        .backup
        .create_backup_plan()
        .backup_plan(
            aws_sdk_backup::types::BackupPlanInput::builder()
                .backup_plan_name("shop")
                .rules(rule("hourly", "cron(0 * ? * * *)", 2))
                .rules(rule("daily", "cron(0 3 ? * * *)", 35))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    east.backup
        .create_backup_selection()
        .backup_plan_id(plan.backup_plan_id().unwrap())
        .backup_selection(
            BackupSelection::builder()
                .selection_name("production")
                .iam_role_arn("arn:aws:iam::000000000000:role/backup")
                .list_of_tags(
                    Condition::builder()
                        .condition_type(ConditionType::Stringequals)
                        .condition_key("Environment")
                        .condition_value("Production")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // A day of writes, an hour at a time.
    for hour in 0..24 {
        east.dynamodb
            .put_item()
            .table_name("carts")
            .item("pk", AttributeValue::S(format!("cart-{hour}")))
            .send()
            .await
            .unwrap();
        east.s3
            .put_object()
            .bucket("invoices")
            .key(format!("invoice-{hour}.pdf"))
            .body(ByteStream::from(format!("invoice {hour}").into_bytes()))
            .send()
            .await
            .unwrap();
        db.execute("INSERT INTO orders VALUES ($1, 9.99)", &[&hour])
            .await
            .unwrap();
        emulator.advance(chrono::Duration::hours(1)).await.unwrap();
    }
    // Let the last jobs and copies finish.
    for _ in 0..5 {
        emulator.advance(chrono::Duration::minutes(5)).await.unwrap();
    }

    let east_points = east
        .backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("shop-vault")
        .send()
        .await
        .unwrap();
    let west_points = west
        .backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("shop-dr")
        .send()
        .await
        .unwrap();
    assert!(
        east_points.recovery_points().len() >= 3 * 24,
        "hourly points for three resources: {}",
        east_points.recovery_points().len()
    );
    if west_points.recovery_points().len() < 3 * 24 {
        let copies = east.backup.list_copy_jobs().send().await.unwrap();
        for job in copies.copy_jobs() {
            if job.state().map(|s| s.as_str()) != Some("COMPLETED") {
                eprintln!(
                    "copy job {:?} {:?} {:?} {:?}",
                    job.resource_type(),
                    job.state(),
                    job.status_message(),
                    job.creation_date()
                );
            }
        }
        for p in west_points.recovery_points() {
            eprintln!(
                "west {:?} {:?} {:?}",
                p.resource_type(),
                p.status(),
                p.creation_date()
            );
        }
    }
    assert!(
        west_points.recovery_points().len() >= 3 * 24,
        "copies in us-west-2: {}",
        west_points.recovery_points().len()
    );

    // us-east-1 goes dark.
    emulator.set_outage(EAST, true).await.unwrap();
    let refused = east.dynamodb.list_tables().send().await;
    assert!(refused.is_err(), "calls to the dark region fail");
    let newest = |resource_type: &str| {
        west_points
            .recovery_points()
            .iter()
            .filter(|p| {
                p.resource_type() == Some(resource_type)
                    && p.status().map(|s| s.as_str()) == Some("COMPLETED")
            })
            .max_by_key(|p| p.creation_date().map(|d| d.as_nanos()))
            .unwrap_or_else(|| panic!("no completed {resource_type} copy in us-west-2"))
            .recovery_point_arn()
            .unwrap()
            .to_owned()
    };
    let restore = |arn: String, resource_type: &str, key: &str, value: &str| {
        west.backup
            .start_restore_job()
            .recovery_point_arn(arn)
            .resource_type(resource_type)
            .iam_role_arn("arn:aws:iam::000000000000:role/backup")
            .metadata(key, value)
            .send()
    };
    let jobs = vec![
        restore(newest("DynamoDB"), "DynamoDB", "targetTableName", "carts-dr")
            .await
            .unwrap(),
        restore(newest("S3"), "S3", "DestinationBucketName", "invoices-dr")
            .await
            .unwrap(),
        restore(newest("RDS"), "RDS", "DBInstanceIdentifier", "orders-dr")
            .await
            .unwrap(),
    ];
    for job in &jobs {
        let id = job.restore_job_id().unwrap();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let d = west
                .backup
                .describe_restore_job()
                .restore_job_id(id)
                .send()
                .await
                .unwrap();
            match d.status().map(|s| s.as_str()) {
                Some("COMPLETED") => break,
                Some("FAILED") | Some("ABORTED") => panic!("restore job failed: {:?}", d.status_message()),
                _ => {}
            }
            assert!(Instant::now() < deadline, "restore job {id} did not finish");
            emulator.advance(chrono::Duration::seconds(30)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Every layer is back in us-west-2, losing at most the last copy interval (an hour).
    let carts = west.dynamodb.scan().table_name("carts-dr").send().await.unwrap();
    assert!(
        carts.count() >= 23,
        "carts restored in us-west-2: {}",
        carts.count()
    );
    let invoices = west
        .s3
        .list_objects_v2()
        .bucket("invoices-dr")
        .send()
        .await
        .unwrap();
    assert!(
        invoices.key_count().unwrap_or(0) >= 23,
        "invoices restored: {:?}",
        invoices.key_count()
    );
    let (host_dr, port_dr) = wait_rds_available(&west.rds, &emulator, "orders-dr").await;
    let orders_dr = count_orders(&sql(&host_dr, port_dr).await).await;
    assert!(orders_dr >= 23, "orders restored in us-west-2: {orders_dr}");

    // The outage ends: us-east-1 is as it was.
    emulator.set_outage(EAST, false).await.unwrap();
    let carts_east = east.dynamodb.scan().table_name("carts").send().await.unwrap();
    assert_eq!(carts_east.count(), 24);
    let (host, port) = wait_rds_available(&east.rds, &emulator, "orders").await;
    assert_eq!(
        count_orders(&sql(&host, port).await).await,
        24,
        "nothing acknowledged in us-east-1 was lost"
    );

    // A newly tagged instance joins the plan with no change to it.
    east.rds
        .create_db_instance()
        .db_instance_identifier("payments")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("Environment")
                .value("Production")
                .build(),
        )
        .send()
        .await
        .unwrap();
    wait_rds_available(&east.rds, &emulator, "payments").await;
    emulator.advance(chrono::Duration::hours(2)).await.unwrap();
    for _ in 0..3 {
        emulator.advance(chrono::Duration::minutes(5)).await.unwrap();
    }
    let jobs = east
        .backup
        .list_backup_jobs()
        .by_resource_arn("arn:aws:rds:us-east-1:000000000000:db:payments")
        .send()
        .await
        .unwrap();
    assert!(
        !jobs.backup_jobs().is_empty(),
        "the new instance was backed up by the existing plan"
    );

    let audit = emulator.admin().audit().await.unwrap();
    assert!(
        audit.iter().any(|e| e.event_source == "backup"),
        "backup operations are audited"
    );
    emulator.shutdown().await;
}
