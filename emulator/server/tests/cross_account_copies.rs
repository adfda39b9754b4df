//! AWS Backup's cross-account copies through the official SDKs, each
//! account signing with its own keys: a copy into another account's vault
//! fails until that vault's access policy allows the source account
//! `backup:CopyIntoBackupVault`; then the destination account owns the
//! recovery point (the source can neither see nor delete it, nor the
//! DynamoDB backup or S3 data under it), the destination's Vault Lock
//! applies, both accounts list the job, and a restore in the destination
//! account brings back exactly what was backed up (an Aurora cluster's
//! copy is a cluster snapshot of the destination account, restored there
//! into a cluster of that account).

mod common;

use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::types::{CopyJobState, Lifecycle, RestoreJobStatus};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use common::postgres::{postgres_installed, sql, wait_rds_available};
use firedrill_emu_core::testing::{aws_cli, have};
use firedrill_emulator::{Emulator, EmulatorHandle, parse_accounts};
use std::time::{Duration, Instant};

const PROD: &str = "111111111111";
const VAULTS: &str = "222222222222";
/// The key the core's `aws_cli` helper signs with, mapped to prod.
const PROD_KEY: &str = "AKIAFIREDRILLTEST";
const VAULTS_KEY: &str = "AKIABACKUPEXAMPLE01";
const SECRET: &str = "any-secret";
const PROD_ROLE: &str = "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole";
const VAULTS_ROLE: &str = "arn:aws:iam::222222222222:role/service-role/AWSBackupDefaultServiceRole";
/// AWS's status message for a copy the destination vault's policy refuses.
const ACCESS_DENIED: &str = "Access Denied trying to call AWS Backup service";

async fn emulator() -> EmulatorHandle {
    Emulator::builder()
        .simulated_clock("2026-03-14T03:00:00Z".parse().unwrap())
        .accounts(parse_accounts(&format!("prod={PROD}:{PROD_KEY},vaults={VAULTS}:{VAULTS_KEY}")).unwrap())
        .start()
        .await
        .unwrap()
}

async fn config(emulator: &EmulatorHandle, key: &str) -> aws_config::SdkConfig {
    emulator.sdk_config_as("us-east-1", key, SECRET, None).await
}

/// A policy that lets `account` copy into the vault.
fn copy_policy(account: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"backup:CopyIntoBackupVault","Resource":"*"}}]}}"#
    )
}

/// Each account's AWS Backup client, and the destination vault's ARN.
struct Accounts {
    prod: aws_sdk_backup::Client,
    vaults: aws_sdk_backup::Client,
    destination: String,
}

/// A `primary` vault in prod and a `copies` vault in the vaults account.
async fn vaults(emulator: &EmulatorHandle) -> Accounts {
    let prod = aws_sdk_backup::Client::new(&config(emulator, PROD_KEY).await);
    let vaults = aws_sdk_backup::Client::new(&config(emulator, VAULTS_KEY).await);
    prod.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let destination = vaults
        .create_backup_vault()
        .backup_vault_name("copies")
        .send()
        .await
        .unwrap()
        .backup_vault_arn()
        .unwrap()
        .to_owned();
    assert!(destination.contains(VAULTS), "{destination}");
    Accounts {
        prod,
        vaults,
        destination,
    }
}

/// Puts the destination vault's access policy that lets prod copy into it.
async fn allow_prod(accounts: &Accounts) {
    accounts
        .vaults
        .put_backup_vault_access_policy()
        .backup_vault_name("copies")
        .policy(copy_policy(PROD))
        .send()
        .await
        .unwrap();
}

/// Backs `resource` up into prod's `primary` vault; returns the recovery point.
async fn back_up(emulator: &EmulatorHandle, prod: &aws_sdk_backup::Client, resource: &str) -> String {
    let job = prod
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(resource)
        .iam_role_arn(PROD_ROLE)
        .send()
        .await
        .unwrap();
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    job.recovery_point_arn().unwrap().to_owned()
}

/// Copies `point` from prod's `primary` into the destination vault and
/// lets the job run; returns the job as prod describes it.
async fn copy(
    emulator: &EmulatorHandle,
    accounts: &Accounts,
    point: &str,
    lifecycle: Option<Lifecycle>,
) -> aws_sdk_backup::types::CopyJob {
    let started = accounts
        .prod
        .start_copy_job()
        .recovery_point_arn(point)
        .source_backup_vault_name("primary")
        .destination_backup_vault_arn(&accounts.destination)
        .iam_role_arn(PROD_ROLE)
        .set_lifecycle(lifecycle)
        .send()
        .await
        .unwrap();
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    accounts
        .prod
        .describe_copy_job()
        .copy_job_id(started.copy_job_id().unwrap())
        .send()
        .await
        .unwrap()
        .copy_job()
        .unwrap()
        .clone()
}

/// The recovery points of the destination vault.
async fn copies_in_destination(accounts: &Accounts) -> Vec<String> {
    accounts
        .vaults
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("copies")
        .send()
        .await
        .unwrap()
        .recovery_points()
        .iter()
        .filter_map(|p| p.recovery_point_arn().map(str::to_owned))
        .collect()
}

/// Restores `point` in the vaults account and waits for the job to complete.
async fn restore_in_destination(
    emulator: &EmulatorHandle,
    accounts: &Accounts,
    point: &str,
    metadata: &[(&str, &str)],
) {
    let mut request = accounts
        .vaults
        .start_restore_job()
        .recovery_point_arn(point)
        .iam_role_arn(VAULTS_ROLE);
    for (k, v) in metadata {
        request = request.metadata(*k, *v);
    }
    let id = request.send().await.unwrap().restore_job_id().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let job = accounts
            .vaults
            .describe_restore_job()
            .restore_job_id(&id)
            .send()
            .await
            .unwrap();
        match job.status() {
            Some(RestoreJobStatus::Completed) => {
                // Past any creation delay of the restored resource.
                emulator.advance(chrono::Duration::minutes(1)).await.unwrap();
                return;
            }
            Some(RestoreJobStatus::Failed | RestoreJobStatus::Aborted) => {
                panic!("restore job failed: {:?}", job.status_message())
            }
            _ => {}
        }
        assert!(Instant::now() < deadline, "restore job {id} did not finish");
        emulator.advance(chrono::Duration::seconds(30)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn key_schema() -> (AttributeDefinition, KeySchemaElement) {
    (
        AttributeDefinition::builder()
            .attribute_name("pk")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap(),
        KeySchemaElement::builder()
            .attribute_name("pk")
            .key_type(KeyType::Hash)
            .build()
            .unwrap(),
    )
}

/// The `pk` → `qty` pairs of a table, in key order.
async fn table_items(ddb: &aws_sdk_dynamodb::Client, table: &str) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = ddb
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|i| (i["pk"].as_s().unwrap().clone(), i["qty"].as_n().unwrap().clone()))
        .collect();
    items.sort();
    items
}

#[tokio::test]
async fn a_dynamodb_copy_into_another_account_needs_its_policy_and_restores_there_exactly() {
    let emulator = emulator().await;
    let accounts = vaults(&emulator).await;
    let prod_ddb = aws_sdk_dynamodb::Client::new(&config(&emulator, PROD_KEY).await);
    let vaults_ddb = aws_sdk_dynamodb::Client::new(&config(&emulator, VAULTS_KEY).await);
    let (attribute, key) = key_schema();
    let table = prod_ddb
        .create_table()
        .table_name("carts")
        .attribute_definitions(attribute)
        .key_schema(key)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let table_arn = table.table_description().unwrap().table_arn().unwrap().to_owned();
    // Past the table's CREATING time.
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    let expected: Vec<(String, String)> = (1..=3)
        .map(|i| (format!("cart-{i}"), format!("{}", i * 10)))
        .collect();
    for (pk, qty) in &expected {
        prod_ddb
            .put_item()
            .table_name("carts")
            .item("pk", AttributeValue::S(pk.clone()))
            .item("qty", AttributeValue::N(qty.clone()))
            .send()
            .await
            .unwrap();
    }
    emulator.advance(chrono::Duration::seconds(1)).await.unwrap();
    let point = back_up(&emulator, &accounts.prod, &table_arn).await;

    // Without a vault access policy the copy fails with AWS's message and
    // nothing reaches the destination account.
    let refused = copy(&emulator, &accounts, &point, None).await;
    assert_eq!(refused.state(), Some(&CopyJobState::Failed));
    assert_eq!(refused.status_message(), Some(ACCESS_DENIED));
    assert!(copies_in_destination(&accounts).await.is_empty());
    let listed = accounts.vaults.list_copy_jobs().send().await.unwrap();
    assert!(listed.copy_jobs().is_empty(), "{listed:?}");

    // A policy granting another account does not let prod in either.
    accounts
        .vaults
        .put_backup_vault_access_policy()
        .backup_vault_name("copies")
        .policy(copy_policy("333333333333"))
        .send()
        .await
        .unwrap();
    let refused = copy(&emulator, &accounts, &point, None).await;
    assert_eq!(refused.status_message(), Some(ACCESS_DENIED));

    allow_prod(&accounts).await;
    let copied = copy(&emulator, &accounts, &point, None).await;
    assert_eq!(copied.state(), Some(&CopyJobState::Completed), "{copied:?}");
    assert_eq!(copied.account_id(), Some(PROD));
    let copy_arn = copied.destination_recovery_point_arn().unwrap().to_owned();
    assert!(
        copy_arn.starts_with(&format!(
            "arn:aws:dynamodb:us-east-1:{VAULTS}:table/carts/backup/"
        )),
        "the copy is a backup of the destination account: {copy_arn}"
    );
    assert_eq!(copies_in_destination(&accounts).await, vec![copy_arn.clone()]);
    let described = accounts
        .vaults
        .describe_recovery_point()
        .backup_vault_name("copies")
        .recovery_point_arn(&copy_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.backup_vault_arn(), Some(accounts.destination.as_str()));
    assert_eq!(
        described.source_backup_vault_arn(),
        Some(format!("arn:aws:backup:us-east-1:{PROD}:backup-vault:primary").as_str())
    );

    // Both accounts list the job, under one id, owned by prod.
    let in_vaults = accounts.vaults.list_copy_jobs().send().await.unwrap();
    let ids: Vec<_> = in_vaults.copy_jobs().iter().map(|j| j.copy_job_id()).collect();
    assert_eq!(ids, vec![copied.copy_job_id()]);
    assert_eq!(in_vaults.copy_jobs()[0].state(), Some(&CopyJobState::Completed));
    assert_eq!(in_vaults.copy_jobs()[0].account_id(), Some(PROD));
    let by_owner = accounts
        .vaults
        .list_copy_jobs()
        .by_account_id(PROD)
        .send()
        .await
        .unwrap();
    assert_eq!(by_owner.copy_jobs().len(), 1);
    let by_destination = accounts
        .vaults
        .list_copy_jobs()
        .by_account_id(VAULTS)
        .send()
        .await
        .unwrap();
    assert!(by_destination.copy_jobs().is_empty());
    let in_vaults_described = accounts
        .vaults
        .describe_copy_job()
        .copy_job_id(copied.copy_job_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        in_vaults_described
            .copy_job()
            .unwrap()
            .destination_recovery_point_arn(),
        Some(copy_arn.as_str())
    );
    let in_prod = accounts.prod.list_copy_jobs().send().await.unwrap();
    assert_eq!(in_prod.copy_jobs().len(), 3, "two refused, one completed");

    // Prod destroys everything it can reach; the copy is beyond it.
    accounts
        .prod
        .delete_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&point)
        .send()
        .await
        .unwrap();
    prod_ddb.delete_table().table_name("carts").send().await.unwrap();
    let err = accounts
        .prod
        .delete_recovery_point()
        .backup_vault_name("copies")
        .recovery_point_arn(&copy_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"), "{err:?}");
    let err = prod_ddb
        .delete_backup()
        .backup_arn(&copy_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&err),
        Some("BackupNotFoundException")
    );
    assert_eq!(copies_in_destination(&accounts).await, vec![copy_arn.clone()]);

    // The vaults account restores the copy into a table of its own.
    restore_in_destination(
        &emulator,
        &accounts,
        &copy_arn,
        &[("targetTableName", "carts-restored")],
    )
    .await;
    let restored = vaults_ddb
        .describe_table()
        .table_name("carts-restored")
        .send()
        .await
        .unwrap();
    assert_eq!(
        restored.table().unwrap().table_arn(),
        Some(format!("arn:aws:dynamodb:us-east-1:{VAULTS}:table/carts-restored").as_str())
    );
    assert_eq!(table_items(&vaults_ddb, "carts-restored").await, expected);
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_s3_copy_obeys_the_destination_vault_lock_and_outlives_the_source_bucket() {
    let emulator = emulator().await;
    let accounts = vaults(&emulator).await;
    let s3 = |config: aws_config::SdkConfig| {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    };
    let prod_s3 = s3(config(&emulator, PROD_KEY).await);
    let vaults_s3 = s3(config(&emulator, VAULTS_KEY).await);
    prod_s3
        .create_bucket()
        .bucket("shop-invoices")
        .send()
        .await
        .unwrap();
    let expected = [("inv-1.pdf", "invoice one"), ("inv-2.pdf", "invoice two")];
    for (key, body) in expected {
        prod_s3
            .put_object()
            .bucket("shop-invoices")
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    allow_prod(&accounts).await;
    accounts
        .vaults
        .put_backup_vault_lock_configuration()
        .backup_vault_name("copies")
        .min_retention_days(7)
        .changeable_for_days(3)
        .send()
        .await
        .unwrap();
    let point = back_up(&emulator, &accounts.prod, "arn:aws:s3:::shop-invoices").await;

    // A copy kept for less than the lock's minimum fails.
    let short = Lifecycle::builder().delete_after_days(1).build();
    let refused = copy(&emulator, &accounts, &point, Some(short)).await;
    assert_eq!(refused.state(), Some(&CopyJobState::Failed));
    assert!(
        refused
            .status_message()
            .unwrap()
            .contains("minimum retention period (7 days)"),
        "{refused:?}"
    );
    assert!(copies_in_destination(&accounts).await.is_empty());

    let kept = Lifecycle::builder().delete_after_days(30).build();
    let copied = copy(&emulator, &accounts, &point, Some(kept)).await;
    assert_eq!(copied.state(), Some(&CopyJobState::Completed), "{copied:?}");
    let copy_arn = copied.destination_recovery_point_arn().unwrap().to_owned();
    assert!(
        copy_arn.starts_with(&format!("arn:aws:backup:us-east-1:{VAULTS}:recovery-point:")),
        "{copy_arn}"
    );

    // Not even the owning account may delete it before its minimum retention.
    let err = accounts
        .vaults
        .delete_recovery_point()
        .backup_vault_name("copies")
        .recovery_point_arn(&copy_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidRequestException"), "{err:?}");

    // Prod empties and deletes its bucket; the copy still restores exactly.
    for (key, _) in expected {
        prod_s3
            .delete_object()
            .bucket("shop-invoices")
            .key(key)
            .send()
            .await
            .unwrap();
    }
    let versions = prod_s3
        .list_object_versions()
        .bucket("shop-invoices")
        .send()
        .await
        .unwrap();
    assert!(versions.versions().is_empty() && versions.delete_markers().is_empty());
    prod_s3
        .delete_bucket()
        .bucket("shop-invoices")
        .send()
        .await
        .unwrap();
    restore_in_destination(
        &emulator,
        &accounts,
        &copy_arn,
        &[
            ("DestinationBucketName", "invoices-recovered"),
            ("NewBucket", "true"),
        ],
    )
    .await;
    for (key, body) in expected {
        let got = vaults_s3
            .get_object()
            .bucket("invoices-recovered")
            .key(key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert_eq!(got.as_ref(), body.as_bytes(), "{key}");
    }
    let err = prod_s3
        .get_object()
        .bucket("invoices-recovered")
        .key("inv-1.pdf")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("AccessDenied"),
        "the restored bucket is the vaults account's"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plans_copy_action_puts_rds_into_the_other_account_which_restores_it_after_prod_is_wiped() {
    if !postgres_installed() {
        eprintln!(
            "SKIPPED: PostgreSQL server binaries not found (set FIREDRILL_PG_BIN or install postgresql)"
        );
        return;
    }
    let emulator = emulator().await;
    let accounts = vaults(&emulator).await;
    allow_prod(&accounts).await;
    let prod_rds = aws_sdk_rds::Client::new(&config(&emulator, PROD_KEY).await);
    let vaults_rds = aws_sdk_rds::Client::new(&config(&emulator, VAULTS_KEY).await);
    let instance = prod_rds
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .backup_retention_period(1)
        .send()
        .await
        .unwrap();
    let instance_arn = instance
        .db_instance()
        .unwrap()
        .db_instance_arn()
        .unwrap()
        .to_owned();
    let (host, port) = wait_rds_available(&prod_rds, &emulator, "orders").await;
    let db = sql(&host, port).await;
    db.batch_execute(
        "CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);
         INSERT INTO orders VALUES (1, 10.50), (2, 20.00), (3, 31.25);",
    )
    .await
    .unwrap();

    // An hourly rule into prod's vault, copied into the vaults account.
    let copy = aws_sdk_backup::types::CopyAction::builder()
        .destination_backup_vault_arn(&accounts.destination)
        .lifecycle(Lifecycle::builder().delete_after_days(30).build())
        .build()
        .unwrap();
    let plan = accounts
        .prod
        .create_backup_plan()
        .backup_plan(
            aws_sdk_backup::types::BackupPlanInput::builder()
                .backup_plan_name("shop")
                .rules(
                    aws_sdk_backup::types::BackupRuleInput::builder()
                        .rule_name("hourly")
                        .target_backup_vault_name("primary")
                        .schedule_expression("cron(0 * ? * * *)")
                        .start_window_minutes(60)
                        .lifecycle(Lifecycle::builder().delete_after_days(7).build())
                        .copy_actions(copy)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    accounts
        .prod
        .create_backup_selection()
        .backup_plan_id(plan.backup_plan_id().unwrap())
        .backup_selection(
            aws_sdk_backup::types::BackupSelection::builder()
                .selection_name("orders")
                .iam_role_arn(PROD_ROLE)
                .resources(&instance_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    emulator.advance(chrono::Duration::minutes(61)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let copied = loop {
        let jobs = accounts.vaults.list_copy_jobs().send().await.unwrap();
        if let Some(job) = jobs
            .copy_jobs()
            .iter()
            .find(|j| j.state() == Some(&CopyJobState::Completed))
        {
            break job.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no completed copy in the vaults account: {jobs:?}"
        );
        emulator.advance(chrono::Duration::minutes(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(copied.account_id(), Some(PROD));
    assert!(
        copied
            .created_by()
            .is_some_and(|c| c.backup_plan_id() == plan.backup_plan_id())
    );
    let copy_arn = copied.destination_recovery_point_arn().unwrap().to_owned();
    assert!(
        copy_arn.starts_with(&format!("arn:aws:rds:us-east-1:{VAULTS}:snapshot:")),
        "the copy is a snapshot of the destination account: {copy_arn}"
    );

    // Prod loses the instance, its automated backups and its recovery points.
    prod_rds
        .delete_db_instance()
        .db_instance_identifier("orders")
        .skip_final_snapshot(true)
        .delete_automated_backups(true)
        .send()
        .await
        .unwrap();
    let points = accounts
        .prod
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    for point in points.recovery_points() {
        accounts
            .prod
            .delete_recovery_point()
            .backup_vault_name("primary")
            .recovery_point_arn(point.recovery_point_arn().unwrap())
            .send()
            .await
            .unwrap();
    }
    let snapshots = prod_rds.describe_db_snapshots().send().await.unwrap();
    assert!(
        snapshots
            .db_snapshots()
            .iter()
            .all(|s| !s.db_snapshot_arn().unwrap_or_default().contains(VAULTS)),
        "prod sees no snapshot of the vaults account: {snapshots:?}"
    );

    restore_in_destination(
        &emulator,
        &accounts,
        &copy_arn,
        &[("DBInstanceIdentifier", "orders-restored")],
    )
    .await;
    let (host, port) = wait_rds_available(&vaults_rds, &emulator, "orders-restored").await;
    let restored = sql(&host, port).await;
    let rows: Vec<(i32, String)> = restored
        .query("SELECT id, total::text FROM orders ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "10.50".to_owned()),
            (2, "20.00".to_owned()),
            (3, "31.25".to_owned())
        ]
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_aws_cli_copies_into_another_account_and_both_accounts_list_the_job() {
    if !have("aws") {
        eprintln!("SKIPPED: the AWS CLI (aws) is not installed");
        return;
    }
    let emulator = emulator().await;
    let endpoint = emulator.endpoint().to_owned();
    let cli = |service: &'static str, args: Vec<String>| {
        let endpoint = endpoint.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            aws_cli(&endpoint, service, &args).await
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let accounts = vaults(&emulator).await;
    allow_prod(&accounts).await;
    let table = cli(
        "dynamodb",
        args(&[
            "create-table",
            "--table-name",
            "sessions",
            "--attribute-definitions",
            "AttributeName=pk,AttributeType=S",
            "--key-schema",
            "AttributeName=pk,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ]),
    )
    .await;
    let table_arn = table["TableDescription"]["TableArn"].as_str().unwrap().to_owned();
    assert!(table_arn.contains(PROD), "{table_arn}");
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    let job = cli(
        "backup",
        args(&[
            "start-backup-job",
            "--backup-vault-name",
            "primary",
            "--resource-arn",
            &table_arn,
            "--iam-role-arn",
            PROD_ROLE,
        ]),
    )
    .await;
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    let point = job["RecoveryPointArn"].as_str().unwrap().to_owned();
    let started = cli(
        "backup",
        args(&[
            "start-copy-job",
            "--recovery-point-arn",
            &point,
            "--source-backup-vault-name",
            "primary",
            "--destination-backup-vault-arn",
            &accounts.destination,
            "--iam-role-arn",
            PROD_ROLE,
        ]),
    )
    .await;
    let id = started["CopyJobId"].as_str().unwrap().to_owned();
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    let described = cli("backup", args(&["describe-copy-job", "--copy-job-id", &id])).await;
    assert_eq!(described["CopyJob"]["State"], "COMPLETED", "{described}");
    assert_eq!(described["CopyJob"]["AccountId"], PROD);
    let copy_arn = described["CopyJob"]["DestinationRecoveryPointArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(copy_arn.contains(VAULTS), "{copy_arn}");
    let listed = cli("backup", args(&["list-copy-jobs", "--by-account-id", PROD])).await;
    assert_eq!(listed["CopyJobs"].as_array().unwrap().len(), 1, "{listed}");
    let in_vaults = accounts.vaults.list_copy_jobs().send().await.unwrap();
    assert_eq!(in_vaults.copy_jobs().len(), 1);
    assert_eq!(in_vaults.copy_jobs()[0].copy_job_id(), Some(id.as_str()));
    assert_eq!(copies_in_destination(&accounts).await, vec![copy_arn]);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aurora_copy_into_another_account_is_its_cluster_snapshot_and_restores_there() {
    if !postgres_installed() {
        eprintln!(
            "SKIPPED: PostgreSQL server binaries not found (set FIREDRILL_PG_BIN or install postgresql)"
        );
        return;
    }
    let emulator = emulator().await;
    let accounts = vaults(&emulator).await;
    allow_prod(&accounts).await;
    let prod_rds = aws_sdk_rds::Client::new(&config(&emulator, PROD_KEY).await);
    let vaults_rds = aws_sdk_rds::Client::new(&config(&emulator, VAULTS_KEY).await);
    let cluster_arn = prod_rds
        .create_db_cluster()
        .db_cluster_identifier("carts")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password("shop-password")
        .database_name("shop")
        .send()
        .await
        .unwrap()
        .db_cluster()
        .unwrap()
        .db_cluster_arn()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    let cluster = loop {
        let c = prod_rds
            .describe_db_clusters()
            .db_cluster_identifier("carts")
            .send()
            .await
            .unwrap()
            .db_clusters()[0]
            .clone();
        if c.status() == Some("available") {
            break c;
        }
        assert!(Instant::now() < deadline, "the cluster never became available");
        emulator.advance(chrono::Duration::seconds(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let db = sql(cluster.endpoint().unwrap(), cluster.port().unwrap() as u16).await;
    db.batch_execute(
        "CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);
         INSERT INTO orders VALUES (1, 10.50), (2, 20.00);",
    )
    .await
    .unwrap();
    let point = back_up(&emulator, &accounts.prod, &cluster_arn).await;
    assert!(
        point.starts_with(&format!(
            "arn:aws:rds:us-east-1:{PROD}:cluster-snapshot:awsbackup:job-"
        )),
        "{point}"
    );
    let job = copy(&emulator, &accounts, &point, None).await;
    assert_eq!(job.state(), Some(&CopyJobState::Completed), "{job:?}");
    assert_eq!(job.resource_type(), Some("Aurora"));
    let copy_arn = job.destination_recovery_point_arn().unwrap().to_owned();
    assert!(
        copy_arn.starts_with(&format!(
            "arn:aws:rds:us-east-1:{VAULTS}:cluster-snapshot:awsbackup:copyjob-"
        )),
        "the copy is a cluster snapshot of the destination account: {copy_arn}"
    );
    let shown = vaults_rds
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(&copy_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.db_cluster_snapshots()[0].status(), Some("available"));

    restore_in_destination(
        &emulator,
        &accounts,
        &copy_arn,
        &[("DBClusterIdentifier", "carts-restored")],
    )
    .await;
    vaults_rds
        .create_db_instance()
        .db_instance_identifier("carts-restored-1")
        .db_cluster_identifier("carts-restored")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .unwrap();
    let (host, port) = wait_rds_available(&vaults_rds, &emulator, "carts-restored-1").await;
    let rows: Vec<(i32, String)> = sql(&host, port)
        .await
        .query("SELECT id, total::text FROM orders ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, vec![(1, "10.50".to_owned()), (2, "20.00".to_owned())]);
    emulator.shutdown().await;
}
