//! The rest of the surface a backup/restore script uses, through
//! aws-sdk-backup: plan templates, list filters validated as the model
//! declares them (enums, patterns, account ids), the by-resource and
//! by-vault listings, restore job metadata, advanced settings; and the
//! router's own answers (unknown method, oversized body) in AWS's JSON shape.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::types::{
    AdvancedBackupSetting, BackupJobState, BackupPlanInput, BackupRuleInput, CopyJobState, Lifecycle,
    RestoreJobStatus, VaultType,
};
use aws_smithy_types::DateTime as SmithyTime;
use chrono::Duration;
use common::*;
use firedrill_emu_core::{AwsService, Body, RequestContext};

async fn setup(h: &Harness) -> (aws_sdk_backup::Client, String, String) {
    let c = h.client("us-east-1").await;
    c.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a", "b"]);
    c.start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .lifecycle(Lifecycle::builder().delete_after_days(30).build())
        .send()
        .await
        .unwrap();
    h.server.advance(Duration::seconds(5)).await;
    let rp = c
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap()
        .recovery_points()[0]
        .recovery_point_arn()
        .unwrap()
        .to_owned();
    (c, carts, rp)
}

#[tokio::test]
async fn plan_templates_round_trip_and_bad_documents_are_refused() {
    let h = Harness::start().await;
    let (c, _, _) = setup(&h).await;
    let plan = BackupPlanInput::builder()
        .backup_plan_name("daily")
        .rules(
            BackupRuleInput::builder()
                .rule_name("nightly")
                .target_backup_vault_name("primary")
                .schedule_expression("cron(0 3 ? * * *)")
                .lifecycle(Lifecycle::builder().delete_after_days(35).build())
                .build()
                .unwrap(),
        )
        .advanced_backup_settings(
            AdvancedBackupSetting::builder()
                .resource_type("EC2")
                .backup_options("WindowsVSS", "enabled")
                .build(),
        )
        .build()
        .unwrap();
    let id = c
        .create_backup_plan()
        .backup_plan(plan)
        .send()
        .await
        .unwrap()
        .backup_plan_id()
        .unwrap()
        .to_owned();
    let template = c
        .export_backup_plan_template()
        .backup_plan_id(&id)
        .send()
        .await
        .unwrap()
        .backup_plan_template_json()
        .unwrap()
        .to_owned();
    let read = c
        .get_backup_plan_from_json()
        .backup_plan_template_json(&template)
        .send()
        .await
        .unwrap();
    let read = read.backup_plan().unwrap();
    assert_eq!(read.backup_plan_name(), "daily");
    assert_eq!(read.rules()[0].rule_name(), "nightly");
    assert_eq!(read.rules()[0].schedule_expression(), Some("cron(0 3 ? * * *)"));
    assert_eq!(
        read.rules()[0].lifecycle().and_then(|l| l.delete_after_days()),
        Some(35)
    );
    assert_eq!(read.advanced_backup_settings()[0].resource_type(), Some("EC2"));

    let missing = c
        .export_backup_plan_template()
        .backup_plan_id("no-such-plan")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");
    for bad in [
        "{",
        r#"{"BackupPlan": {"Rules": []}}"#,
        r#"{"BackupPlan": {"BackupPlanName": "x", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v", "StartWindowMinutes": 10}]}}"#,
        r#"{"BackupPlan": {"BackupPlanName": "x", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v", "ScheduleExpression": "cron(nope)"}]}}"#,
    ] {
        let err = c
            .get_backup_plan_from_json()
            .backup_plan_template_json(bad)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                code(&err).as_str(),
                "InvalidParameterValueException" | "MissingParameterValueException"
            ),
            "{bad}: {}",
            code(&err)
        );
    }

    let bad_settings = c
        .create_backup_plan()
        .backup_plan(
            BackupPlanInput::builder()
                .backup_plan_name("bad-settings")
                .rules(
                    BackupRuleInput::builder()
                        .rule_name("r")
                        .target_backup_vault_name("primary")
                        .build()
                        .unwrap(),
                )
                .advanced_backup_settings(
                    AdvancedBackupSetting::builder()
                        .resource_type("EC2")
                        .backup_options("WindowsVSS", "en abled!")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad_settings), "InvalidParameterValueException");
    assert_eq!(
        c.list_backup_plans()
            .send()
            .await
            .unwrap()
            .backup_plans_list()
            .len(),
        1
    );
}

#[tokio::test]
async fn list_filters_are_validated_as_the_model_declares_them() {
    let h = Harness::start().await;
    let (c, _, _) = setup(&h).await;
    let errs = [
        code(
            &c.list_backup_jobs()
                .by_state(BackupJobState::from("SLEEPING"))
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &c.list_backup_jobs()
                .by_backup_vault_name("x")
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &c.list_backup_jobs()
                .by_account_id("123")
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &c.list_copy_jobs()
                .by_state(CopyJobState::from("DONE"))
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &c.list_restore_jobs()
                .by_status(RestoreJobStatus::from("DONE"))
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &c.list_restore_jobs()
                .by_resource_type("no spaces")
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &c.list_backup_vaults()
                .by_vault_type(VaultType::from("SAFE"))
                .send()
                .await
                .unwrap_err(),
        ),
        code(&c.list_backup_jobs().max_results(0).send().await.unwrap_err()),
    ];
    assert!(
        errs.iter().all(|e| e == "InvalidParameterValueException"),
        "{errs:?}"
    );

    // Valid filters: another account has nothing here, and nothing is shared.
    let other = c
        .list_backup_jobs()
        .by_account_id("111111111111")
        .send()
        .await
        .unwrap();
    assert!(other.backup_jobs().is_empty());
    let mine = c
        .list_backup_jobs()
        .by_account_id(ACCOUNT)
        .by_message_category("SUCCESS")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.backup_jobs().len(), 1);
    let shared = c.list_backup_vaults().by_shared(true).send().await.unwrap();
    assert!(shared.backup_vault_list().is_empty());
    let air_gapped = c
        .list_backup_vaults()
        .by_vault_type(VaultType::LogicallyAirGappedBackupVault)
        .send()
        .await
        .unwrap();
    assert!(air_gapped.backup_vault_list().is_empty());
    assert_eq!(
        c.list_backup_vaults()
            .by_vault_type(VaultType::BackupVault)
            .send()
            .await
            .unwrap()
            .backup_vault_list()
            .len(),
        1
    );
}

#[tokio::test]
async fn restore_jobs_by_resource_metadata_and_protected_resources_by_vault() {
    let h = Harness::start().await;
    let (c, carts, rp) = setup(&h).await;
    let before_restore = SmithyTime::from_secs(h.server.env().now().timestamp());
    let job = c
        .start_restore_job()
        .recovery_point_arn(&rp)
        .metadata("targetTableName", "carts-restored")
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap()
        .restore_job_id()
        .unwrap()
        .to_owned();
    h.server.advance(Duration::seconds(5)).await;

    let metadata = c
        .get_restore_job_metadata()
        .restore_job_id(&job)
        .send()
        .await
        .unwrap();
    assert_eq!(metadata.restore_job_id(), Some(job.as_str()));
    assert_eq!(
        metadata
            .metadata()
            .and_then(|m| m.get("targetTableName"))
            .map(String::as_str),
        Some("carts-restored")
    );
    let missing = c
        .get_restore_job_metadata()
        .restore_job_id("NOPE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");

    let by_resource = c
        .list_restore_jobs_by_protected_resource()
        .resource_arn(&carts)
        .send()
        .await
        .unwrap();
    assert_eq!(by_resource.restore_jobs().len(), 1);
    assert_eq!(by_resource.restore_jobs()[0].restore_job_id(), Some(job.as_str()));
    let other = c
        .list_restore_jobs_by_protected_resource()
        .resource_arn("arn:aws:dynamodb:us-east-1:000000000000:table/other")
        .send()
        .await
        .unwrap();
    assert!(other.restore_jobs().is_empty());
    let after_point = c
        .list_restore_jobs_by_protected_resource()
        .resource_arn(&carts)
        .by_recovery_point_creation_date_after(before_restore)
        .send()
        .await
        .unwrap();
    assert!(after_point.restore_jobs().is_empty(), "the point is older");

    // Date filters on restore and copy jobs.
    let later = SmithyTime::from_secs(h.server.env().now().timestamp() + 60);
    assert!(
        c.list_restore_jobs()
            .by_created_after(later)
            .send()
            .await
            .unwrap()
            .restore_jobs()
            .is_empty()
    );
    assert_eq!(
        c.list_restore_jobs()
            .by_created_before(later)
            .by_complete_before(later)
            .send()
            .await
            .unwrap()
            .restore_jobs()
            .len(),
        1
    );
    assert!(
        c.list_copy_jobs()
            .by_created_after(later)
            .send()
            .await
            .unwrap()
            .copy_jobs()
            .is_empty()
    );

    let protected = c
        .list_protected_resources_by_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    assert_eq!(protected.results().len(), 1);
    assert_eq!(protected.results()[0].resource_arn(), Some(carts.as_str()));
    assert_eq!(
        protected.results()[0].last_recovery_point_arn(),
        Some(rp.as_str())
    );
    let missing = c
        .list_protected_resources_by_backup_vault()
        .backup_vault_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");
    assert!(missing.as_service_error().and_then(|e| e.message()).is_some());
}

/// Sends `req` to the Backup router itself (no front end in between).
async fn router_answer(h: &Harness, req: http::Request<Body>) -> (u16, Option<String>, serde_json::Value) {
    let ctx = RequestContext {
        service: "backup".to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: Some("AKIDEXAMPLE".to_owned()),
        caller: firedrill_emu_core::accounts::Caller::user(
            h.server.env().account_id(),
            "AKIDEXAMPLE",
            "AKIDEXAMPLE",
        ),
        request_id: "test-request".to_owned(),
        env: h.server.env().clone(),
    };
    let resp = h.backup.handle(ctx, req).await;
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = firedrill_emu_core::body::collect(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, kind, json)
}

#[tokio::test]
async fn router_refusals_are_aws_shaped_json() {
    let h = Harness::start().await;
    // A known path with a method no operation has (it was an empty 405).
    let req = http::Request::builder()
        .method("PATCH")
        .uri("/backup-vaults/primary")
        .body(Body::empty())
        .unwrap();
    let (status, kind, body) = router_answer(&h, req).await;
    assert_eq!(status, 400);
    assert_eq!(kind.as_deref(), Some("UnknownOperationException"));
    assert!(body["Message"].as_str().unwrap().contains("PATCH"));

    // A body larger than the router reads (it was a plain-text 413).
    let req = http::Request::builder()
        .method("PUT")
        .uri("/backup-vaults/primary")
        .header("content-type", "application/json")
        .body(Body::from(vec![b' '; 3 * 1024 * 1024]))
        .unwrap();
    let (status, kind, body) = router_answer(&h, req).await;
    assert_eq!(status, 413);
    assert_eq!(kind.as_deref(), Some("RequestEntityTooLargeException"));
    assert!(body["Message"].is_string());
    let c = h.client("us-east-1").await;
    assert!(
        c.list_backup_vaults()
            .send()
            .await
            .unwrap()
            .backup_vault_list()
            .is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn tags_job_parameters_and_account_ids_are_validated_before_anything_changes() {
    let h = Harness::start().await;
    let (c, carts, rp) = setup(&h).await;
    let vault_arn = Harness::vault_arn("us-east-1", "primary");
    let long_key = "k".repeat(129);
    for (key, value) in [
        ("aws:owner", "x"),
        (long_key.as_str(), "x"),
        ("ok", &"v".repeat(257)[..]),
    ] {
        let err = c
            .tag_resource()
            .resource_arn(&vault_arn)
            .tags(key, value)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterValueException", "{key}");
    }
    let mut too_many = c.tag_resource().resource_arn(&vault_arn);
    for i in 0..51 {
        too_many = too_many.tags(format!("k{i}"), "v");
    }
    assert_eq!(
        code(&too_many.send().await.unwrap_err()),
        "InvalidParameterValueException"
    );
    let tags = c.list_tags().resource_arn(&vault_arn).send().await.unwrap();
    assert!(tags.tags().is_none_or(|t| t.is_empty()), "nothing was tagged");
    let err = c
        .list_tags()
        .resource_arn(&vault_arn)
        .max_results(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let err = c
        .create_backup_vault()
        .backup_vault_name("tagged")
        .backup_vault_tags("aws:reserved", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    assert_eq!(
        c.list_backup_vaults()
            .send()
            .await
            .unwrap()
            .backup_vault_list()
            .len(),
        1
    );

    // StartBackupJob: the vault name pattern, BackupOptions and Index.
    let err = c
        .start_backup_job()
        .backup_vault_name("x")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let err = c
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .index(aws_sdk_backup::types::Index::from("SOMETIMES"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let err = c
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .backup_options("WindowsVSS", "on please")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    assert_eq!(
        c.list_backup_jobs().send().await.unwrap().backup_jobs().len(),
        1,
        "no job was made"
    );
    let job = c
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .backup_options("WindowsVSS", "enabled")
        .send()
        .await
        .unwrap();
    let described = c
        .describe_backup_job()
        .backup_job_id(job.backup_job_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .backup_options()
            .and_then(|o| o.get("WindowsVSS"))
            .map(String::as_str),
        Some("enabled")
    );

    // StartCopyJob and StartRestoreJob patterns.
    let err = c
        .start_copy_job()
        .recovery_point_arn(&rp)
        .source_backup_vault_name("x")
        .destination_backup_vault_arn(&vault_arn)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let err = c
        .start_restore_job()
        .recovery_point_arn(&rp)
        .metadata("targetTableName", "t")
        .resource_type("Dynamo DB")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    assert!(
        c.list_restore_jobs()
            .send()
            .await
            .unwrap()
            .restore_jobs()
            .is_empty()
    );

    // Another account's vault does not exist here.
    let err = c
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp)
        .backup_vault_account_id("111111111111")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let mine = c
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp)
        .backup_vault_account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.recovery_point_arn(), Some(rp.as_str()));
}

#[tokio::test]
async fn protected_resources_show_their_latest_restore_and_copy_jobs_their_category() {
    let h = Harness::start().await;
    let (c, carts, rp) = setup(&h).await;
    let before = c
        .describe_protected_resource()
        .resource_arn(&carts)
        .send()
        .await
        .unwrap();
    assert!(before.latest_restore_job_creation_date().is_none());
    c.start_restore_job()
        .recovery_point_arn(&rp)
        .metadata("targetTableName", "carts-restored")
        .send()
        .await
        .unwrap();
    h.server.advance(Duration::minutes(3)).await;
    let after = c
        .describe_protected_resource()
        .resource_arn(&carts)
        .send()
        .await
        .unwrap();
    assert!(after.latest_restore_job_creation_date().is_some());
    let point = c
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.latest_restore_recovery_point_creation_date(),
        point.creation_date()
    );
    assert!(after.latest_restore_execution_time_minutes().is_some());

    c.create_backup_vault()
        .backup_vault_name("second")
        .send()
        .await
        .unwrap();
    c.start_copy_job()
        .recovery_point_arn(&rp)
        .source_backup_vault_name("primary")
        .destination_backup_vault_arn(Harness::vault_arn("us-east-1", "second"))
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let copies = c
        .list_copy_jobs()
        .by_message_category("SUCCESS")
        .send()
        .await
        .unwrap();
    assert_eq!(copies.copy_jobs().len(), 1);
    assert_eq!(copies.copy_jobs()[0].message_category(), Some("SUCCESS"));
    assert!(
        c.list_copy_jobs()
            .by_message_category("ERROR")
            .send()
            .await
            .unwrap()
            .copy_jobs()
            .is_empty()
    );
}

#[tokio::test]
async fn vault_notifications_are_validated_stored_and_removed() {
    use aws_sdk_backup::types::BackupVaultEvent;
    let h = Harness::start().await;
    let (c, _, _) = setup(&h).await;
    let topic = "arn:aws:sns:us-east-1:000000000000:backup-alerts";
    let err = c
        .get_backup_vault_notifications()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException", "none yet");
    for (arn, event) in [
        (
            "arn:aws:sqs:us-east-1:000000000000:q",
            BackupVaultEvent::BackupJobFailed,
        ),
        ("not-an-arn", BackupVaultEvent::BackupJobFailed),
        (topic, BackupVaultEvent::from("BACKUP_JOB_LATE")),
    ] {
        let err = c
            .put_backup_vault_notifications()
            .backup_vault_name("primary")
            .sns_topic_arn(arn)
            .backup_vault_events(event)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterValueException", "{arn}");
    }
    let err = c
        .put_backup_vault_notifications()
        .backup_vault_name("nope")
        .sns_topic_arn(topic)
        .backup_vault_events(BackupVaultEvent::BackupJobFailed)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    c.put_backup_vault_notifications()
        .backup_vault_name("primary")
        .sns_topic_arn(topic)
        .backup_vault_events(BackupVaultEvent::BackupJobFailed)
        .backup_vault_events(BackupVaultEvent::CopyJobFailed)
        .send()
        .await
        .unwrap();
    let got = c
        .get_backup_vault_notifications()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    assert_eq!(got.sns_topic_arn(), Some(topic));
    assert_eq!(
        got.backup_vault_events(),
        [BackupVaultEvent::BackupJobFailed, BackupVaultEvent::CopyJobFailed]
    );
    assert_eq!(
        got.backup_vault_arn(),
        Some(Harness::vault_arn("us-east-1", "primary").as_str())
    );
    c.delete_backup_vault_notifications()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let err = c
        .get_backup_vault_notifications()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test]
async fn jobs_and_recovery_points_name_their_vault_key_and_its_type() {
    use aws_sdk_backup::types::EncryptionKeyType;
    let h = Harness::start().await;
    let (c, carts, rp) = setup(&h).await;
    let key = c
        .describe_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap()
        .encryption_key_arn()
        .unwrap()
        .to_owned();
    let jobs = c.list_backup_jobs().send().await.unwrap();
    assert_eq!(jobs.backup_jobs()[0].encryption_key_arn(), Some(key.as_str()));
    let point = c
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp)
        .send()
        .await
        .unwrap();
    assert_eq!(
        point.encryption_key_type(),
        Some(&EncryptionKeyType::AwsOwnedKmsKey)
    );
    let by_resource = c
        .list_recovery_points_by_resource()
        .resource_arn(&carts)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_resource.recovery_points()[0].encryption_key_type(),
        Some(&EncryptionKeyType::AwsOwnedKmsKey)
    );

    let cmk = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    c.create_backup_vault()
        .backup_vault_name("cmk")
        .encryption_key_arn(cmk)
        .send()
        .await
        .unwrap();
    c.start_backup_job()
        .backup_vault_name("cmk")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    h.server.advance(Duration::seconds(5)).await;
    let in_cmk = c
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("cmk")
        .send()
        .await
        .unwrap();
    let p = &in_cmk.recovery_points()[0];
    assert_eq!(p.encryption_key_arn(), Some(cmk));
    assert_eq!(
        p.encryption_key_type(),
        Some(&EncryptionKeyType::CustomerManagedKmsKey)
    );
}
