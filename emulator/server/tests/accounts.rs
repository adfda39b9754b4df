//! Several accounts in one emulator, through the official SDKs: what one
//! account creates, another cannot see or touch (AWS's own answers for each
//! service), until it assumes a role in the owning account through STS.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use firedrill_emulator::{Emulator, EmulatorHandle, parse_accounts};

const PROD_KEY: &str = "AKIAPRODEXAMPLE0001";
const BACKUP_KEY: &str = "AKIABACKUPEXAMPLE01";
const SECRET: &str = "any-secret";

async fn emulator() -> EmulatorHandle {
    Emulator::builder()
        .simulated_clock("2026-03-14T03:00:00Z".parse().unwrap())
        .accounts(
            parse_accounts(&format!(
                "prod=111111111111:{PROD_KEY},backup=222222222222:{BACKUP_KEY}"
            ))
            .unwrap(),
        )
        .start()
        .await
        .unwrap()
}

async fn config(emulator: &EmulatorHandle, key: &str) -> aws_config::SdkConfig {
    emulator.sdk_config_as("us-east-1", key, SECRET, None).await
}

/// The SDK config of a session of `role` in `account`, assumed by `key`.
async fn assumed(emulator: &EmulatorHandle, key: &str, account: &str) -> aws_config::SdkConfig {
    let sts = aws_sdk_sts::Client::new(&config(emulator, key).await);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/cross-account-restore"))
        .role_session_name("restore")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    emulator
        .sdk_config_as(
            "us-east-1",
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        )
        .await
}

#[tokio::test]
async fn dynamodb_tables_belong_to_their_account() {
    let emulator = emulator().await;
    let prod = aws_sdk_dynamodb::Client::new(&config(&emulator, PROD_KEY).await);
    let backup = aws_sdk_dynamodb::Client::new(&config(&emulator, BACKUP_KEY).await);
    let created = prod
        .create_table()
        .table_name("orders")
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
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.table_description().unwrap().table_arn(),
        Some("arn:aws:dynamodb:us-east-1:111111111111:table/orders")
    );
    let err = backup
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    assert!(
        backup
            .list_tables()
            .send()
            .await
            .unwrap()
            .table_names()
            .is_empty()
    );
    let err = backup
        .delete_table()
        .table_name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    // The default account (any other key) sees none of it either.
    let default = aws_sdk_dynamodb::Client::new(&emulator.sdk_config("us-east-1").await);
    assert!(
        default
            .list_tables()
            .send()
            .await
            .unwrap()
            .table_names()
            .is_empty()
    );

    let as_prod = aws_sdk_dynamodb::Client::new(&assumed(&emulator, BACKUP_KEY, "111111111111").await);
    let table = as_prod
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(
        table.table().unwrap().table_arn(),
        Some("arn:aws:dynamodb:us-east-1:111111111111:table/orders")
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn s3_bucket_names_are_global_and_other_accounts_buckets_refused() {
    let emulator = emulator().await;
    let s3 = |config: aws_config::SdkConfig| {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    };
    let prod = s3(config(&emulator, PROD_KEY).await);
    let backup = s3(config(&emulator, BACKUP_KEY).await);
    prod.create_bucket().bucket("shop-assets").send().await.unwrap();
    prod.put_object()
        .bucket("shop-assets")
        .key("logo.png")
        .body(b"png".to_vec().into())
        .send()
        .await
        .unwrap();

    let err = backup
        .create_bucket()
        .bucket("shop-assets")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BucketAlreadyExists"));
    let err = backup
        .get_object()
        .bucket("shop-assets")
        .key("logo.png")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let err = backup
        .list_objects_v2()
        .bucket("shop-assets")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let err = backup
        .delete_bucket()
        .bucket("shop-assets")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let err = backup
        .head_bucket()
        .bucket("shop-assets")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    backup
        .create_bucket()
        .bucket("vault-copies")
        .send()
        .await
        .unwrap();
    let err = backup
        .copy_object()
        .bucket("vault-copies")
        .key("logo.png")
        .copy_source("shop-assets/logo.png")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let names: Vec<String> = backup
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["vault-copies"]);
    // Nothing of prod's changed.
    let body = prod
        .get_object()
        .bucket("shop-assets")
        .key("logo.png")
        .send()
        .await
        .unwrap();
    assert_eq!(body.body.collect().await.unwrap().into_bytes().as_ref(), b"png");

    let as_prod = s3(assumed(&emulator, BACKUP_KEY, "111111111111").await);
    let got = as_prod
        .get_object()
        .bucket("shop-assets")
        .key("logo.png")
        .send()
        .await
        .unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"png");
    emulator.shutdown().await;
}

#[tokio::test]
async fn backup_vaults_belong_to_their_account() {
    let emulator = emulator().await;
    let prod = aws_sdk_backup::Client::new(&config(&emulator, PROD_KEY).await);
    let backup = aws_sdk_backup::Client::new(&config(&emulator, BACKUP_KEY).await);
    let vault = prod
        .create_backup_vault()
        .backup_vault_name("prod-vault")
        .send()
        .await
        .unwrap();
    assert_eq!(
        vault.backup_vault_arn(),
        Some("arn:aws:backup:us-east-1:111111111111:backup-vault:prod-vault")
    );
    let err = backup
        .describe_backup_vault()
        .backup_vault_name("prod-vault")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = backup
        .delete_backup_vault()
        .backup_vault_name("prod-vault")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    assert!(
        backup
            .list_backup_vaults()
            .send()
            .await
            .unwrap()
            .backup_vault_list()
            .is_empty()
    );

    let as_prod = aws_sdk_backup::Client::new(&assumed(&emulator, BACKUP_KEY, "111111111111").await);
    let seen = as_prod
        .describe_backup_vault()
        .backup_vault_name("prod-vault")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.backup_vault_arn(), vault.backup_vault_arn());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_copy_into_another_accounts_vault_without_its_policy_fails_and_lands_nowhere() {
    let emulator = emulator().await;
    let role = "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole";
    let ddb = aws_sdk_dynamodb::Client::new(&config(&emulator, PROD_KEY).await);
    let table = ddb
        .create_table()
        .table_name("carts")
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
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let table_arn = table.table_description().unwrap().table_arn().unwrap().to_owned();
    emulator.advance(chrono::Duration::seconds(1)).await.unwrap();
    let prod = aws_sdk_backup::Client::new(&config(&emulator, PROD_KEY).await);
    let backup = aws_sdk_backup::Client::new(&config(&emulator, BACKUP_KEY).await);
    prod.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    // A vault of the same name in the source account must not receive the copy.
    prod.create_backup_vault()
        .backup_vault_name("copies")
        .send()
        .await
        .unwrap();
    let destination = backup
        .create_backup_vault()
        .backup_vault_name("copies")
        .send()
        .await
        .unwrap()
        .backup_vault_arn()
        .unwrap()
        .to_owned();
    let job = prod
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&table_arn)
        .iam_role_arn(role)
        .send()
        .await
        .unwrap();
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    let copy = prod
        .start_copy_job()
        .recovery_point_arn(job.recovery_point_arn().unwrap())
        .source_backup_vault_name("primary")
        .destination_backup_vault_arn(&destination)
        .iam_role_arn(role)
        .send()
        .await
        .unwrap();
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    let described = prod
        .describe_copy_job()
        .copy_job_id(copy.copy_job_id().unwrap())
        .send()
        .await
        .unwrap();
    let described = described.copy_job().unwrap();
    assert_eq!(
        described.state(),
        Some(&aws_sdk_backup::types::CopyJobState::Failed)
    );
    // The destination vault has no access policy letting this account in
    // (cross_account_copies.rs has the copies it allows).
    assert_eq!(
        described.status_message(),
        Some("Access Denied trying to call AWS Backup service"),
        "{described:?}"
    );
    for (client, vault) in [(&prod, "copies"), (&backup, "copies")] {
        let points = client
            .list_recovery_points_by_backup_vault()
            .backup_vault_name(vault)
            .send()
            .await
            .unwrap();
        assert!(points.recovery_points().is_empty());
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn rds_instances_belong_to_their_account() {
    let emulator = emulator().await;
    let prod = aws_sdk_rds::Client::new(&config(&emulator, PROD_KEY).await);
    let backup = aws_sdk_rds::Client::new(&config(&emulator, BACKUP_KEY).await);
    // A request RDS refuses before starting a server is enough to show the
    // namespaces apart; the instance itself starts PostgreSQL.
    let created = prod
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .allocated_storage(20)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.db_instance().unwrap().db_instance_arn(),
        Some("arn:aws:rds:us-east-1:111111111111:db:orders")
    );
    let err = backup
        .describe_db_instances()
        .db_instance_identifier("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("DBInstanceNotFound"));
    let err = backup
        .delete_db_instance()
        .db_instance_identifier("orders")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("DBInstanceNotFound"));

    let as_prod = aws_sdk_rds::Client::new(&assumed(&emulator, BACKUP_KEY, "111111111111").await);
    let seen = as_prod
        .describe_db_instances()
        .db_instance_identifier("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.db_instances().len(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn expired_sessions_are_refused_by_every_service() {
    let emulator = emulator().await;
    let session = assumed(&emulator, PROD_KEY, "222222222222").await;
    emulator.advance(chrono::Duration::hours(1)).await.unwrap();
    let err = aws_sdk_dynamodb::Client::new(&session)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ExpiredTokenException"));
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&session)
            .force_path_style(true)
            .build(),
    );
    assert_eq!(
        s3.list_buckets().send().await.unwrap_err().code(),
        Some("ExpiredToken")
    );
    let err = aws_sdk_rds::Client::new(&session)
        .describe_db_instances()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ExpiredToken"));
    let err = aws_sdk_backup::Client::new(&session)
        .list_backup_vaults()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ExpiredTokenException"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn health_lists_every_account_and_reset_forgets_sessions() {
    let emulator = emulator().await;
    let health = emulator.admin().health().await.unwrap();
    assert_eq!(health.account_id, "000000000000");
    assert_eq!(health.accounts, ["000000000000", "111111111111", "222222222222"]);
    assert!(health.services.iter().any(|s| s == "sts"));
    let session = assumed(&emulator, PROD_KEY, "222222222222").await;
    let backup = aws_sdk_backup::Client::new(&config(&emulator, BACKUP_KEY).await);
    backup
        .create_backup_vault()
        .backup_vault_name("copies")
        .send()
        .await
        .unwrap();
    emulator.reset().await;
    assert!(
        backup
            .list_backup_vaults()
            .send()
            .await
            .unwrap()
            .backup_vault_list()
            .is_empty()
    );
    // The session's key is unknown after a reset: it acts in the default
    // account, as any unmapped key does.
    let sts = aws_sdk_sts::Client::new(&session);
    assert_eq!(
        sts.get_caller_identity().send().await.unwrap().account(),
        Some("000000000000")
    );
    emulator.shutdown().await;
}
