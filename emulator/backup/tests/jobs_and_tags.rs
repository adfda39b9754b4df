//! Stopping jobs, changing a recovery point's lifecycle, tags, list
//! filters and the 30-day job history, through aws-sdk-backup.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::types::{BackupJobState, Lifecycle};
use chrono::Duration;
use common::*;

#[tokio::test]
async fn stop_update_lifecycle_tags_and_history() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    c.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a"]);

    // A RUNNING job stopped: ABORTED, its data freed, no recovery point.
    let job = c
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let stopped_id = job.backup_job_id().unwrap().to_owned();
    c.stop_backup_job()
        .backup_job_id(&stopped_id)
        .send()
        .await
        .unwrap();
    let stopped = c
        .describe_backup_job()
        .backup_job_id(&stopped_id)
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.state(), Some(&BackupJobState::Aborted));
    assert_eq!(h.dynamodb.deleted.lock().len(), 1);
    let again = c
        .stop_backup_job()
        .backup_job_id(&stopped_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "InvalidRequestException");
    h.server.advance(Duration::seconds(5)).await;
    assert!(
        c.list_recovery_points_by_backup_vault()
            .backup_vault_name("primary")
            .send()
            .await
            .unwrap()
            .recovery_points()
            .is_empty()
    );

    // A completed job's recovery point: lifecycle updates, tags, metadata.
    let before = h.server.env().now();
    let job = c
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .recovery_point_tags("owner", "shop")
        .send()
        .await
        .unwrap();
    let rp_arn = job.recovery_point_arn().unwrap().to_owned();
    h.server.advance(Duration::seconds(5)).await;
    let updated = c
        .update_recovery_point_lifecycle()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp_arn)
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(1)
                .delete_after_days(91)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.lifecycle().and_then(|l| l.delete_after_days()), Some(91));
    assert!(
        updated
            .calculated_lifecycle()
            .and_then(|c| c.move_to_cold_storage_at())
            .is_some()
    );
    let bad = c
        .update_recovery_point_lifecycle()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp_arn)
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(1)
                .delete_after_days(30)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "InvalidParameterValueException");
    h.server.advance(Duration::days(2)).await;
    let cold = c
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(cold.storage_class().map(|s| s.as_str()), Some("COLD"));

    let tags = c.list_tags().resource_arn(&rp_arn).send().await.unwrap();
    assert_eq!(
        tags.tags().and_then(|t| t.get("owner")).map(String::as_str),
        Some("shop")
    );
    c.tag_resource()
        .resource_arn(&rp_arn)
        .tags("stage", "prod")
        .send()
        .await
        .unwrap();
    c.untag_resource()
        .resource_arn(&rp_arn)
        .tag_key_list("owner")
        .send()
        .await
        .unwrap();
    let tags = c.list_tags().resource_arn(&rp_arn).send().await.unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags.get("stage").map(String::as_str), Some("prod"));
    let unknown = c
        .list_tags()
        .resource_arn("arn:aws:backup:us-east-1:000000000000:backup-vault:nope")
        .send()
        .await;
    assert_eq!(code(&unknown.unwrap_err()), "ResourceNotFoundException");

    let meta = c
        .get_recovery_point_restore_metadata()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(meta.resource_type(), Some("DynamoDB"));
    let types = c.get_supported_resource_types().send().await.unwrap();
    assert_eq!(types.resource_types(), ["DynamoDB", "S3", "RDS"]);

    // Filters by creation and completion time.
    let after = aws_smithy_types::DateTime::from_secs(before.timestamp() - 1);
    let created = c.list_backup_jobs().by_created_after(after).send().await.unwrap();
    assert_eq!(
        created.backup_jobs().len(),
        1,
        "only the second job was created after `before`"
    );
    assert_eq!(
        created.backup_jobs()[0].recovery_point_arn(),
        Some(rp_arn.as_str())
    );
    let future = aws_smithy_types::DateTime::from_secs(h.server.env().now().timestamp() + 60);
    assert!(
        c.list_backup_jobs()
            .by_created_after(future)
            .send()
            .await
            .unwrap()
            .backup_jobs()
            .is_empty()
    );
    let completed = c
        .list_backup_jobs()
        .by_complete_before(future)
        .send()
        .await
        .unwrap();
    assert_eq!(completed.backup_jobs().len(), 2);
    let protected = c
        .describe_protected_resource()
        .resource_arn(&carts)
        .send()
        .await
        .unwrap();
    assert_eq!(protected.last_recovery_point_arn(), Some(rp_arn.as_str()));

    // Ended jobs leave the history after 30 days; the recovery point stays.
    h.server.advance(Duration::days(31)).await;
    assert!(
        c.list_backup_jobs()
            .send()
            .await
            .unwrap()
            .backup_jobs()
            .is_empty()
    );
    let missing = c
        .describe_backup_job()
        .backup_job_id(&stopped_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");
    assert_eq!(
        c.list_recovery_points_by_backup_vault()
            .backup_vault_name("primary")
            .send()
            .await
            .unwrap()
            .recovery_points()
            .len(),
        1
    );
}

#[tokio::test]
async fn retries_with_the_same_idempotency_token_do_nothing_twice() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    let v1 = c
        .create_backup_vault()
        .backup_vault_name("primary")
        .creator_request_id("req-1")
        .send()
        .await
        .unwrap();
    let v2 = c
        .create_backup_vault()
        .backup_vault_name("primary")
        .creator_request_id("req-1")
        .send()
        .await
        .unwrap();
    assert_eq!(v1.creation_date(), v2.creation_date());
    let other = c
        .create_backup_vault()
        .backup_vault_name("primary")
        .creator_request_id("req-2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&other), "AlreadyExistsException");

    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a"]);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let job = c
            .start_backup_job()
            .backup_vault_name("primary")
            .resource_arn(&carts)
            .iam_role_arn(ROLE)
            .idempotency_token("token-1")
            .send()
            .await
            .unwrap();
        ids.push(job.backup_job_id().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(h.dynamodb.backups.lock().len(), 1);
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
    let mut restores = Vec::new();
    for _ in 0..2 {
        let job = c
            .start_restore_job()
            .recovery_point_arn(&rp)
            .metadata("targetTableName", "carts-2")
            .idempotency_token("restore-1")
            .send()
            .await
            .unwrap();
        restores.push(job.restore_job_id().unwrap().to_owned());
    }
    assert_eq!(restores[0], restores[1]);
    assert_eq!(
        c.list_restore_jobs().send().await.unwrap().restore_jobs().len(),
        1
    );

    // The point cannot be deleted while the restore reads it; afterwards it can.
    let busy = c
        .delete_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&busy), "InvalidResourceStateException");
    let mut deleted = false;
    for _ in 0..100 {
        h.server.advance(Duration::seconds(1)).await;
        if c.delete_recovery_point()
            .backup_vault_name("primary")
            .recovery_point_arn(&rp)
            .send()
            .await
            .is_ok()
        {
            deleted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(deleted);
    let restore = c
        .describe_restore_job()
        .restore_job_id(&restores[0])
        .send()
        .await
        .unwrap();
    assert_eq!(restore.status().map(|s| s.as_str()), Some("COMPLETED"));
}
