//! KMS key states enforced by the services that record a key, through the
//! official SDKs: AWS Backup's backup, restore and copy jobs end FAILED
//! with a message naming KMS and the key's state when the vault's customer
//! managed key is disabled or pending deletion; DynamoDB's item reads and
//! writes, CreateTable and both restores' `SSESpecificationOverride`
//! answer `ValidationException` (`KMS key disabled error: ...`); S3's
//! SSE-KMS writes, reads, copies of such an object and multipart uploads
//! (at creation and completion) answer `KMS.DisabledException` /
//! `KMS.KMSInvalidStateException`; RDS's restores and snapshot copies of
//! encrypted storage answer `KMSKeyNotAccessibleFault`. Nothing changes on
//! a refusal, and an enabled key again works as before.

mod common;

use aws_sdk_backup::types::{BackupJobState, CopyJobState, RestoreJobStatus};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    SseSpecification, SseType,
};
use firedrill_emulator::{Emulator, EmulatorHandle};

const ROLE: &str = "arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole";

async fn start() -> EmulatorHandle {
    Emulator::builder()
        .simulated_clock("2026-03-14T03:00:00Z".parse().expect("an instant"))
        .start()
        .await
        .expect("emulator starts")
}

struct Clients {
    kms: aws_sdk_kms::Client,
    backup: aws_sdk_backup::Client,
    ddb: aws_sdk_dynamodb::Client,
}

async fn clients(emulator: &EmulatorHandle) -> Clients {
    let sdk = emulator.sdk_config("us-east-1").await;
    Clients {
        kms: aws_sdk_kms::Client::new(&sdk),
        backup: aws_sdk_backup::Client::new(&sdk),
        ddb: aws_sdk_dynamodb::Client::new(&sdk),
    }
}

/// A new customer managed key with `alias`; its ARN.
async fn key(kms: &aws_sdk_kms::Client, alias: &str) -> String {
    let created = kms.create_key().send().await.expect("CreateKey");
    let meta = created.key_metadata().expect("key metadata");
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(meta.key_id())
        .send()
        .await
        .expect("CreateAlias");
    meta.arn().expect("an ARN").to_owned()
}

/// An S3 client of the emulator (path-style addressing).
async fn s3_client(emulator: &EmulatorHandle) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&emulator.sdk_config("us-east-1").await)
            .force_path_style(true)
            .build(),
    )
}

async fn disable(kms: &aws_sdk_kms::Client, key: &str) {
    kms.disable_key().key_id(key).send().await.expect("DisableKey");
}

async fn schedule_deletion(kms: &aws_sdk_kms::Client, key: &str) {
    kms.schedule_key_deletion()
        .key_id(key)
        .pending_window_in_days(7)
        .send()
        .await
        .expect("ScheduleKeyDeletion");
}

/// A table `name` with items `a` and `b`, encrypted with `key` when given.
async fn table(
    emulator: &EmulatorHandle,
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
    key: Option<&str>,
) -> String {
    let mut request = ddb
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest);
    if let Some(key) = key {
        request = request.sse_specification(sse(key));
    }
    let arn = request
        .send()
        .await
        .expect("CreateTable")
        .table_description()
        .and_then(|t| t.table_arn())
        .expect("a table ARN")
        .to_owned();
    // Past the table's CREATING delay.
    emulator
        .advance(chrono::Duration::minutes(1))
        .await
        .expect("advance");
    for pk in ["a", "b"] {
        ddb.put_item()
            .table_name(name)
            .item("pk", AttributeValue::S(pk.to_owned()))
            .send()
            .await
            .expect("PutItem");
    }
    arn
}

fn sse(key: &str) -> SseSpecification {
    SseSpecification::builder()
        .enabled(true)
        .sse_type(SseType::Kms)
        .kms_master_key_id(key)
        .build()
}

/// A completed backup of `resource` into `vault`; the recovery point's ARN.
async fn backed_up(
    emulator: &EmulatorHandle,
    backup: &aws_sdk_backup::Client,
    vault: &str,
    resource: &str,
) -> String {
    let job = backup
        .start_backup_job()
        .backup_vault_name(vault)
        .resource_arn(resource)
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect("StartBackupJob");
    let id = job.backup_job_id().expect("a job id").to_owned();
    emulator
        .advance(chrono::Duration::minutes(10))
        .await
        .expect("advance");
    let done = backup
        .describe_backup_job()
        .backup_job_id(&id)
        .send()
        .await
        .expect("DescribeBackupJob");
    assert_eq!(done.state(), Some(&BackupJobState::Completed), "{done:?}");
    done.recovery_point_arn().expect("a recovery point").to_owned()
}

/// Starts a restore of `point` into a new table and lets the clock run
/// past its end; the job as described then.
async fn restore(
    emulator: &EmulatorHandle,
    backup: &aws_sdk_backup::Client,
    point: &str,
    target: &str,
) -> aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput {
    let id = backup
        .start_restore_job()
        .recovery_point_arn(point)
        .iam_role_arn(ROLE)
        .metadata("targetTableName", target)
        .send()
        .await
        .expect("StartRestoreJob")
        .restore_job_id()
        .expect("a job id")
        .to_owned();
    for _ in 0..20 {
        emulator
            .advance(chrono::Duration::minutes(5))
            .await
            .expect("advance");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let job = backup
            .describe_restore_job()
            .restore_job_id(&id)
            .send()
            .await
            .expect("DescribeRestoreJob");
        if matches!(
            job.status(),
            Some(RestoreJobStatus::Completed | RestoreJobStatus::Failed | RestoreJobStatus::Aborted)
        ) {
            return job;
        }
    }
    panic!("restore job {id} did not end");
}

async fn table_exists(ddb: &aws_sdk_dynamodb::Client, name: &str) -> bool {
    ddb.describe_table().table_name(name).send().await.is_ok()
}

#[tokio::test]
async fn a_backup_job_into_a_vault_whose_key_is_disabled_fails_naming_kms() {
    let emulator = start().await;
    let c = clients(&emulator).await;
    let key = key(&c.kms, "alias/vault").await;
    c.backup
        .create_backup_vault()
        .backup_vault_name("prod")
        .encryption_key_arn(&key)
        .send()
        .await
        .expect("CreateBackupVault");
    let source = table(&emulator, &c.ddb, "orders", None).await;
    disable(&c.kms, &key).await;
    let job = c
        .backup
        .start_backup_job()
        .backup_vault_name("prod")
        .resource_arn(&source)
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect("StartBackupJob");
    let job = c
        .backup
        .describe_backup_job()
        .backup_job_id(job.backup_job_id().expect("an id"))
        .send()
        .await
        .expect("DescribeBackupJob");
    assert_eq!(job.state(), Some(&BackupJobState::Failed), "{job:?}");
    let message = job.status_message().expect("a status message");
    assert!(
        message.contains(&format!("{key} is disabled.")) && message.contains("Error Code: DisabledException"),
        "{message}"
    );
    emulator
        .advance(chrono::Duration::minutes(10))
        .await
        .expect("advance");
    let points = c
        .backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("prod")
        .send()
        .await
        .expect("ListRecoveryPointsByBackupVault");
    assert!(
        points.recovery_points().is_empty(),
        "a failed job leaves no recovery point"
    );

    // Enabled again, the next job completes.
    c.kms.enable_key().key_id(&key).send().await.expect("EnableKey");
    backed_up(&emulator, &c.backup, "prod", &source).await;
}

#[tokio::test]
async fn a_restore_from_a_vault_whose_key_is_pending_deletion_fails_and_creates_nothing() {
    let emulator = start().await;
    let c = clients(&emulator).await;
    let key = key(&c.kms, "alias/vault").await;
    c.backup
        .create_backup_vault()
        .backup_vault_name("prod")
        .encryption_key_arn(&key)
        .send()
        .await
        .expect("CreateBackupVault");
    let source = table(&emulator, &c.ddb, "orders", None).await;
    let point = backed_up(&emulator, &c.backup, "prod", &source).await;

    // Enabled: the restore completes.
    let job = restore(&emulator, &c.backup, &point, "orders-ok").await;
    assert_eq!(job.status(), Some(&RestoreJobStatus::Completed), "{job:?}");

    schedule_deletion(&c.kms, &key).await;
    let job = restore(&emulator, &c.backup, &point, "orders-after").await;
    assert_eq!(job.status(), Some(&RestoreJobStatus::Failed), "{job:?}");
    let message = job.status_message().expect("a status message");
    assert!(
        message.contains(&format!("{key} is pending deletion."))
            && message.contains("KMSInvalidStateException")
            && message.contains(&point),
        "{message}"
    );
    assert!(
        !table_exists(&c.ddb, "orders-after").await,
        "a refused restore creates no table"
    );

    // Cancelled (the key is left disabled): still refused, as DisabledException.
    c.kms
        .cancel_key_deletion()
        .key_id(&key)
        .send()
        .await
        .expect("CancelKeyDeletion");
    let job = restore(&emulator, &c.backup, &point, "orders-disabled").await;
    assert_eq!(job.status(), Some(&RestoreJobStatus::Failed), "{job:?}");
    assert!(
        job.status_message()
            .is_some_and(|m| m.contains("DisabledException")),
        "{job:?}"
    );
}

#[tokio::test]
async fn a_copy_from_or_into_a_vault_whose_key_is_unusable_fails() {
    let emulator = start().await;
    let c = clients(&emulator).await;
    let source_key = key(&c.kms, "alias/source").await;
    let dest_key = key(&c.kms, "alias/dest").await;
    c.backup
        .create_backup_vault()
        .backup_vault_name("prod")
        .encryption_key_arn(&source_key)
        .send()
        .await
        .expect("CreateBackupVault");
    let dest = c
        .backup
        .create_backup_vault()
        .backup_vault_name("copies")
        .encryption_key_arn(&dest_key)
        .send()
        .await
        .expect("CreateBackupVault")
        .backup_vault_arn()
        .expect("a vault ARN")
        .to_owned();
    let source = table(&emulator, &c.ddb, "orders", None).await;
    let point = backed_up(&emulator, &c.backup, "prod", &source).await;
    // Starts a copy of the recovery point and says why it failed.
    let failed_copy = || async {
        let id = c
            .backup
            .start_copy_job()
            .recovery_point_arn(&point)
            .source_backup_vault_name("prod")
            .destination_backup_vault_arn(&dest)
            .iam_role_arn(ROLE)
            .send()
            .await
            .expect("StartCopyJob")
            .copy_job_id()
            .expect("an id")
            .to_owned();
        let job = c
            .backup
            .describe_copy_job()
            .copy_job_id(&id)
            .send()
            .await
            .expect("DescribeCopyJob");
        let job = job.copy_job().expect("a copy job").clone();
        assert_eq!(job.state(), Some(&CopyJobState::Failed), "{job:?}");
        job.status_message().unwrap_or_default().to_owned()
    };

    disable(&c.kms, &dest_key).await;
    let why = failed_copy().await;
    assert!(why.contains(&format!("{dest_key} is disabled.")), "{why}");

    c.kms
        .enable_key()
        .key_id(&dest_key)
        .send()
        .await
        .expect("EnableKey");
    schedule_deletion(&c.kms, &source_key).await;
    let why = failed_copy().await;
    assert!(
        why.contains(&format!("{source_key} is pending deletion.")),
        "{why}"
    );
    emulator
        .advance(chrono::Duration::hours(1))
        .await
        .expect("advance");
    let copies = c
        .backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("copies")
        .send()
        .await
        .expect("ListRecoveryPointsByBackupVault");
    assert!(copies.recovery_points().is_empty(), "no copy arrived");
}

#[tokio::test]
async fn dynamodb_items_of_a_table_whose_key_is_disabled_answer_kms_key_disabled_error() {
    let emulator = start().await;
    let c = clients(&emulator).await;
    let key = key(&c.kms, "alias/carts").await;
    table(&emulator, &c.ddb, "carts", Some("alias/carts")).await;
    let described = c
        .ddb
        .describe_table()
        .table_name("carts")
        .send()
        .await
        .expect("DescribeTable");
    assert_eq!(
        described
            .table()
            .and_then(|t| t.sse_description())
            .and_then(|s| s.kms_master_key_arn()),
        Some(key.as_str()),
        "the alias is resolved to its key's ARN"
    );

    disable(&c.kms, &key).await;
    let err = c
        .ddb
        .get_item()
        .table_name("carts")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .expect_err("GetItem is refused");
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    let message = err.message().expect("a message");
    assert!(
        message.starts_with(&format!(
            "KMS key disabled error: com.amazonaws.services.kms.model.DisabledException: {key} is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException; Request ID: "
        )),
        "{message}"
    );
    let err = c
        .ddb
        .put_item()
        .table_name("carts")
        .item("pk", AttributeValue::S("c".into()))
        .send()
        .await
        .expect_err("PutItem is refused");
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    let err = c
        .ddb
        .scan()
        .table_name("carts")
        .send()
        .await
        .expect_err("Scan is refused");
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    // The control plane still answers, and the table stays ACTIVE.
    let described = c
        .ddb
        .describe_table()
        .table_name("carts")
        .send()
        .await
        .expect("DescribeTable");
    assert_eq!(
        described
            .table()
            .and_then(|t| t.table_status())
            .map(|s| s.as_str()),
        Some("ACTIVE")
    );

    schedule_deletion(&c.kms, &key).await;
    let err = c
        .ddb
        .scan()
        .table_name("carts")
        .send()
        .await
        .expect_err("Scan is refused");
    assert!(
        err.message().is_some_and(|m| m.starts_with(
            "KMS validation error: com.amazonaws.services.kms.model.KMSInvalidStateException: "
        ) && m.contains("is pending deletion.")),
        "{err:?}"
    );

    c.kms
        .cancel_key_deletion()
        .key_id(&key)
        .send()
        .await
        .expect("CancelKeyDeletion");
    c.kms.enable_key().key_id(&key).send().await.expect("EnableKey");
    let items = c.ddb.scan().table_name("carts").send().await.expect("Scan");
    assert_eq!(items.count(), 2, "the refused PutItem wrote nothing");
}

#[tokio::test]
async fn dynamodb_create_and_restores_with_a_disabled_key_are_refused_and_create_nothing() {
    let emulator = start().await;
    let c = clients(&emulator).await;
    let key = key(&c.kms, "alias/restore").await;
    disable(&c.kms, &key).await;
    let err = c
        .ddb
        .create_table()
        .table_name("new")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .sse_specification(sse(&key))
        .send()
        .await
        .expect_err("CreateTable is refused");
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    assert!(!table_exists(&c.ddb, "new").await);

    table(&emulator, &c.ddb, "orders", None).await;
    c.ddb
        .update_continuous_backups()
        .table_name("orders")
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .expect("spec"),
        )
        .send()
        .await
        .expect("UpdateContinuousBackups");
    emulator
        .advance(chrono::Duration::minutes(10))
        .await
        .expect("advance");
    let err = c
        .ddb
        .restore_table_to_point_in_time()
        .source_table_name("orders")
        .target_table_name("orders-pitr")
        .use_latest_restorable_time(true)
        .sse_specification_override(sse("alias/restore"))
        .send()
        .await
        .expect_err("RestoreTableToPointInTime is refused");
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    assert!(
        err.message()
            .is_some_and(|m| m.starts_with("KMS key disabled error: ")),
        "{err:?}"
    );
    assert!(!table_exists(&c.ddb, "orders-pitr").await);

    let backup_arn = c
        .ddb
        .create_backup()
        .table_name("orders")
        .backup_name("orders-b1")
        .send()
        .await
        .expect("CreateBackup")
        .backup_details()
        .map(|b| b.backup_arn().to_owned())
        .expect("a backup ARN");
    emulator
        .advance(chrono::Duration::minutes(1))
        .await
        .expect("advance");
    let err = c
        .ddb
        .restore_table_from_backup()
        .backup_arn(&backup_arn)
        .target_table_name("orders-backup")
        .sse_specification_override(sse(&key))
        .send()
        .await
        .expect_err("RestoreTableFromBackup is refused");
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    assert!(!table_exists(&c.ddb, "orders-backup").await);

    // With the key enabled the same restore is accepted.
    c.kms.enable_key().key_id(&key).send().await.expect("EnableKey");
    c.ddb
        .restore_table_from_backup()
        .backup_arn(&backup_arn)
        .target_table_name("orders-backup")
        .sse_specification_override(sse(&key))
        .send()
        .await
        .expect("RestoreTableFromBackup");
}

#[tokio::test]
async fn s3_objects_under_a_disabled_or_pending_deletion_key_answer_kms_errors() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::ServerSideEncryption;
    let emulator = start().await;
    let c = clients(&emulator).await;
    let s3 = s3_client(&emulator).await;
    let key = key(&c.kms, "alias/images").await;
    s3.create_bucket()
        .bucket("images")
        .send()
        .await
        .expect("CreateBucket");
    let put = |name: &'static str| {
        s3.put_object()
            .bucket("images")
            .key(name)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id("alias/images")
            .body(ByteStream::from_static(b"pixels"))
            .send()
    };
    let written = put("a.png").await.expect("PutObject");
    assert_eq!(
        written.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(written.ssekms_key_id(), Some(key.as_str()));
    let got = s3
        .get_object()
        .bucket("images")
        .key("a.png")
        .send()
        .await
        .expect("GetObject");
    assert_eq!(got.ssekms_key_id(), Some(key.as_str()));

    disable(&c.kms, &key).await;
    let err = s3
        .get_object()
        .bucket("images")
        .key("a.png")
        .send()
        .await
        .expect_err("GetObject is refused");
    let raw = err.raw_response().map(|r| r.status().as_u16());
    let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&err).map(str::to_owned);
    let message = aws_sdk_s3::error::ProvideErrorMetadata::message(&err).map(str::to_owned);
    assert_eq!(code.as_deref(), Some("KMS.DisabledException"), "{err:?}");
    assert_eq!(raw, Some(400));
    assert_eq!(message, Some(format!("{key} is disabled.")));
    let err = put("b.png").await.expect_err("PutObject is refused");
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("KMS.DisabledException"),
        "{err:?}"
    );
    // HEAD decrypts nothing; the refused put wrote nothing.
    let head = s3
        .head_object()
        .bucket("images")
        .key("a.png")
        .send()
        .await
        .expect("HeadObject");
    assert_eq!(head.ssekms_key_id(), Some(key.as_str()));
    assert!(
        s3.head_object()
            .bucket("images")
            .key("b.png")
            .send()
            .await
            .is_err()
    );

    schedule_deletion(&c.kms, &key).await;
    let err = s3
        .get_object()
        .bucket("images")
        .key("a.png")
        .send()
        .await
        .expect_err("GetObject is refused");
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("KMS.KMSInvalidStateException"),
        "{err:?}"
    );
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::message(&err),
        Some(format!("{key} is pending deletion.").as_str())
    );

    // An object under S3's own keys is untouched by it.
    s3.put_object()
        .bucket("images")
        .key("plain.png")
        .body(ByteStream::from_static(b"pixels"))
        .send()
        .await
        .expect("PutObject");
    s3.get_object()
        .bucket("images")
        .key("plain.png")
        .send()
        .await
        .expect("GetObject");
}

#[tokio::test]
async fn s3_copies_and_multipart_uploads_under_an_unusable_key_are_refused() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
    let emulator = start().await;
    let c = clients(&emulator).await;
    let s3 = s3_client(&emulator).await;
    let key = key(&c.kms, "alias/invoices").await;
    s3.create_bucket()
        .bucket("invoices")
        .send()
        .await
        .expect("CreateBucket");
    let code = |e: &dyn aws_sdk_s3::error::ProvideErrorMetadata| e.code().map(str::to_owned);

    // A multipart upload records its key from the start and on completion.
    let created = s3
        .create_multipart_upload()
        .bucket("invoices")
        .key("big.pdf")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/invoices")
        .send()
        .await
        .expect("CreateMultipartUpload");
    assert_eq!(
        created.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(created.ssekms_key_id(), Some(key.as_str()));
    let upload = created.upload_id().expect("an upload id").to_owned();
    let part = s3
        .upload_part()
        .bucket("invoices")
        .key("big.pdf")
        .upload_id(&upload)
        .part_number(1)
        .body(ByteStream::from_static(b"one part"))
        .send()
        .await
        .expect("UploadPart");
    let parts = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().unwrap_or_default())
                .build(),
        )
        .build();
    let done = s3
        .complete_multipart_upload()
        .bucket("invoices")
        .key("big.pdf")
        .upload_id(&upload)
        .multipart_upload(parts.clone())
        .send()
        .await
        .expect("CompleteMultipartUpload");
    assert_eq!(done.ssekms_key_id(), Some(key.as_str()));
    let head = s3
        .head_object()
        .bucket("invoices")
        .key("big.pdf")
        .send()
        .await
        .expect("HeadObject");
    assert_eq!(head.ssekms_key_id(), Some(key.as_str()));

    // A second upload started while the key works, completed after it is
    // disabled: the completion is refused and writes nothing.
    let later = s3
        .create_multipart_upload()
        .bucket("invoices")
        .key("late.pdf")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/invoices")
        .send()
        .await
        .expect("CreateMultipartUpload");
    let later_id = later.upload_id().expect("an upload id").to_owned();
    let late_part = s3
        .upload_part()
        .bucket("invoices")
        .key("late.pdf")
        .upload_id(&later_id)
        .part_number(1)
        .body(ByteStream::from_static(b"late part"))
        .send()
        .await
        .expect("UploadPart");

    disable(&c.kms, &key).await;
    let err = s3
        .create_multipart_upload()
        .bucket("invoices")
        .key("other.pdf")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/invoices")
        .send()
        .await
        .expect_err("CreateMultipartUpload is refused");
    assert_eq!(code(&err).as_deref(), Some("KMS.DisabledException"), "{err:?}");
    let err = s3
        .complete_multipart_upload()
        .bucket("invoices")
        .key("late.pdf")
        .upload_id(&later_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(late_part.e_tag().unwrap_or_default())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("CompleteMultipartUpload is refused");
    assert_eq!(code(&err).as_deref(), Some("KMS.DisabledException"), "{err:?}");
    assert!(
        s3.head_object()
            .bucket("invoices")
            .key("late.pdf")
            .send()
            .await
            .is_err(),
        "the refused completion wrote nothing"
    );

    // A copy decrypts its source: refused, into any bucket, whatever the
    // destination's encryption.
    let err = s3
        .copy_object()
        .bucket("invoices")
        .key("copy.pdf")
        .copy_source("invoices/big.pdf")
        .send()
        .await
        .expect_err("CopyObject is refused");
    assert_eq!(code(&err).as_deref(), Some("KMS.DisabledException"), "{err:?}");
    assert!(
        s3.head_object()
            .bucket("invoices")
            .key("copy.pdf")
            .send()
            .await
            .is_err(),
        "the refused copy wrote nothing"
    );
    c.kms.enable_key().key_id(&key).send().await.expect("EnableKey");
    s3.copy_object()
        .bucket("invoices")
        .key("copy.pdf")
        .copy_source("invoices/big.pdf")
        .send()
        .await
        .expect("CopyObject with the key enabled again");
}

#[tokio::test]
async fn rds_restores_and_copies_under_an_unusable_key_answer_kms_key_not_accessible() {
    use aws_sdk_rds::error::ProvideErrorMetadata as _;
    if !common::postgres::postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL is not installed");
        return;
    }
    let emulator = start().await;
    let c = clients(&emulator).await;
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-east-1").await);
    let key = key(&c.kms, "alias/orders").await;
    let other = key_named(&c.kms).await;
    let created = rds
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .storage_encrypted(true)
        .kms_key_id("alias/orders")
        .backup_retention_period(1)
        .send()
        .await
        .expect("CreateDBInstance");
    let instance = created.db_instance().expect("an instance");
    assert_eq!(instance.storage_encrypted(), Some(true));
    assert_eq!(instance.kms_key_id(), Some(key.as_str()));
    common::postgres::wait_rds_available(&rds, &emulator, "orders").await;
    rds.create_db_snapshot()
        .db_instance_identifier("orders")
        .db_snapshot_identifier("orders-snap")
        .send()
        .await
        .expect("CreateDBSnapshot");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let snap = rds
            .describe_db_snapshots()
            .db_snapshot_identifier("orders-snap")
            .send()
            .await
            .expect("DescribeDBSnapshots");
        let snap = &snap.db_snapshots()[0];
        if snap.status() == Some("available") {
            assert_eq!(
                snap.kms_key_id(),
                Some(key.as_str()),
                "the snapshot keeps the key"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the snapshot never became available"
        );
        emulator
            .advance(chrono::Duration::seconds(5))
            .await
            .expect("advance");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    disable(&c.kms, &key).await;
    let err = rds
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier("orders-restored")
        .db_snapshot_identifier("orders-snap")
        .send()
        .await
        .expect_err("RestoreDBInstanceFromDBSnapshot is refused");
    assert_eq!(err.code(), Some("KMSKeyNotAccessibleFault"), "{err:?}");
    assert!(
        err.message().is_some_and(|m| m.contains("is disabled.")),
        "{err:?}"
    );
    let err = rds
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("orders")
        .target_db_instance_identifier("orders-pitr")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect_err("RestoreDBInstanceToPointInTime is refused");
    assert_eq!(err.code(), Some("KMSKeyNotAccessibleFault"), "{err:?}");
    let err = rds
        .copy_db_snapshot()
        .source_db_snapshot_identifier("orders-snap")
        .target_db_snapshot_identifier("orders-copy")
        .send()
        .await
        .expect_err("CopyDBSnapshot under the source's disabled key is refused");
    assert_eq!(err.code(), Some("KMSKeyNotAccessibleFault"), "{err:?}");

    // A copy into another, usable key is accepted; one into a key pending
    // deletion is not.
    schedule_deletion(&c.kms, &other).await;
    let err = rds
        .copy_db_snapshot()
        .source_db_snapshot_identifier("orders-snap")
        .target_db_snapshot_identifier("orders-copy")
        .kms_key_id(&other)
        .send()
        .await
        .expect_err("CopyDBSnapshot into a key pending deletion is refused");
    assert_eq!(err.code(), Some("KMSKeyNotAccessibleFault"), "{err:?}");
    assert!(
        err.message().is_some_and(|m| m.contains("is pending deletion.")),
        "{err:?}"
    );
    for id in ["orders-restored", "orders-pitr"] {
        assert!(
            rds.describe_db_instances()
                .db_instance_identifier(id)
                .send()
                .await
                .is_err(),
            "{id} was not created"
        );
    }
    assert!(
        rds.describe_db_snapshots()
            .db_snapshot_identifier("orders-copy")
            .send()
            .await
            .is_err(),
        "no copy was made"
    );
    let fresh = key_named(&c.kms).await;
    let copy = rds
        .copy_db_snapshot()
        .source_db_snapshot_identifier("orders-snap")
        .target_db_snapshot_identifier("orders-copy")
        .kms_key_id(&fresh)
        .send()
        .await
        .expect("CopyDBSnapshot into a usable key");
    assert_eq!(
        copy.db_snapshot().and_then(|s| s.kms_key_id()),
        Some(fresh.as_str())
    );
}

/// A new customer managed key without an alias; its ARN.
async fn key_named(kms: &aws_sdk_kms::Client) -> String {
    kms.create_key()
        .send()
        .await
        .expect("CreateKey")
        .key_metadata()
        .and_then(|m| m.arn())
        .expect("an ARN")
        .to_owned()
}
