//! Vault Lock and vault access policies through aws-sdk-backup: the lock's
//! modes and grace time on the emulator clock, the retention range enforced
//! on backup and copy jobs, refused deletions and lifecycle changes, and
//! `Deny` statements of an access policy refusing `DeleteRecoveryPoint`.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::types::{BackupJobState, CopyJobState, Lifecycle};
use chrono::Duration;
use common::*;

const VAULT: &str = "locked";

async fn vault(c: &aws_sdk_backup::Client, name: &str) {
    c.create_backup_vault()
        .backup_vault_name(name)
        .send()
        .await
        .unwrap();
}

/// Starts a backup of `resource` into `vault` kept `days` days (forever
/// when `None`) and returns the job id.
async fn backup(c: &aws_sdk_backup::Client, vault: &str, resource: &str, days: Option<i64>) -> String {
    let mut req = c
        .start_backup_job()
        .backup_vault_name(vault)
        .resource_arn(resource)
        .iam_role_arn(ROLE);
    if let Some(d) = days {
        req = req.lifecycle(Lifecycle::builder().delete_after_days(d).build());
    }
    req.send().await.unwrap().backup_job_id().unwrap().to_owned()
}

async fn job_state(c: &aws_sdk_backup::Client, id: &str) -> (BackupJobState, Option<String>) {
    let j = c.describe_backup_job().backup_job_id(id).send().await.unwrap();
    (j.state().unwrap().clone(), j.status_message().map(str::to_owned))
}

async fn delete_point(c: &aws_sdk_backup::Client, vault: &str, rp: &str) -> Result<(), String> {
    c.delete_recovery_point()
        .backup_vault_name(vault)
        .recovery_point_arn(rp)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e))
}

async fn describe(
    c: &aws_sdk_backup::Client,
    vault: &str,
) -> aws_sdk_backup::operation::describe_backup_vault::DescribeBackupVaultOutput {
    c.describe_backup_vault()
        .backup_vault_name(vault)
        .send()
        .await
        .unwrap()
}

async fn only_point(c: &aws_sdk_backup::Client, vault: &str) -> String {
    let rps = c
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .send()
        .await
        .unwrap();
    assert_eq!(rps.recovery_points().len(), 1, "{rps:?}");
    rps.recovery_points()[0].recovery_point_arn().unwrap().to_owned()
}

#[tokio::test]
async fn lock_values_are_validated_before_anything_is_stored() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    vault(&c, VAULT).await;
    let put = |min: Option<i64>, max: Option<i64>, changeable: Option<i64>| {
        c.put_backup_vault_lock_configuration()
            .backup_vault_name(VAULT)
            .set_min_retention_days(min)
            .set_max_retention_days(max)
            .set_changeable_for_days(changeable)
            .send()
    };
    for (min, max, changeable, why) in [
        (Some(0), None, None, "MinRetentionDays below 1"),
        (None, Some(36_501), None, "MaxRetentionDays past 100 years"),
        (Some(30), Some(7), None, "minimum above maximum"),
        (Some(7), None, Some(2), "a grace time under 72 hours"),
        (Some(7), None, Some(i64::MAX), "a grace time past any date"),
        (Some(i64::MIN), None, None, "a hostile minimum"),
    ] {
        let err = put(min, max, changeable).await.unwrap_err();
        assert_eq!(code(&err), "InvalidParameterValueException", "{why}");
    }
    let described = describe(&c, VAULT).await;
    assert_eq!(described.locked(), Some(false), "nothing was stored");
    assert!(described.min_retention_days().is_none());

    let missing = c
        .put_backup_vault_lock_configuration()
        .backup_vault_name("nope")
        .min_retention_days(7)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");
    let bad_name = c
        .put_backup_vault_lock_configuration()
        .backup_vault_name("a")
        .min_retention_days(7)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad_name), "InvalidParameterValueException");
}

#[tokio::test]
async fn compliance_lock_becomes_immutable_after_its_grace_time() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    vault(&c, VAULT).await;
    let start = h.server.env().now();
    c.put_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .min_retention_days(7)
        .max_retention_days(365)
        .changeable_for_days(3)
        .send()
        .await
        .unwrap();
    let d = describe(&c, VAULT).await;
    assert_eq!(d.locked(), Some(true));
    assert_eq!(d.min_retention_days(), Some(7));
    assert_eq!(d.max_retention_days(), Some(365));
    let lock_date = d.lock_date().expect("compliance mode has a lock date").secs();
    assert_eq!(lock_date, (start + Duration::days(3)).timestamp());
    let listed = c.list_backup_vaults().send().await.unwrap();
    assert_eq!(listed.backup_vault_list()[0].locked(), Some(true));
    assert_eq!(listed.backup_vault_list()[0].min_retention_days(), Some(7));

    // During the grace time the lock can change and be removed.
    h.server.advance(Duration::days(2)).await;
    c.put_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .min_retention_days(14)
        .changeable_for_days(3)
        .send()
        .await
        .unwrap();
    c.delete_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap();
    let d = describe(&c, VAULT).await;
    assert_eq!(d.locked(), Some(false));
    assert!(d.lock_date().is_none());

    // Once the lock date passes, neither change nor removal is possible.
    c.put_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .min_retention_days(7)
        .changeable_for_days(3)
        .send()
        .await
        .unwrap();
    h.server.advance(Duration::days(3)).await;
    let err = c
        .delete_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    let err = c
        .put_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .min_retention_days(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    let d = describe(&c, VAULT).await;
    assert_eq!(d.min_retention_days(), Some(7), "the immutable lock is unchanged");
}

#[tokio::test]
async fn governance_lock_can_be_removed_at_any_time() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    vault(&c, VAULT).await;
    c.put_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .min_retention_days(1)
        .send()
        .await
        .unwrap();
    let d = describe(&c, VAULT).await;
    assert_eq!(d.locked(), Some(true));
    assert!(d.lock_date().is_none(), "governance mode has no lock date");
    h.server.advance(Duration::days(400)).await;
    c.delete_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn locked_vault_fails_jobs_outside_its_retention_range_and_guards_its_points() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    vault(&c, VAULT).await;
    vault(&c, "open").await;
    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a"]);
    c.put_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .min_retention_days(7)
        .max_retention_days(100)
        .changeable_for_days(3)
        .send()
        .await
        .unwrap();

    // Too short, too long, and forever against a maximum: FAILED, no data taken.
    for days in [Some(1), Some(101), None] {
        let id = backup(&c, VAULT, &carts, days).await;
        let (state, message) = job_state(&c, &id).await;
        assert_eq!(state, BackupJobState::Failed, "{days:?}");
        assert!(message.unwrap().contains("Vault Lock"), "{days:?}");
    }
    assert!(h.dynamodb.backups.lock().is_empty(), "no provider backup ran");

    let id = backup(&c, VAULT, &carts, Some(30)).await;
    h.server.advance(Duration::seconds(5)).await;
    assert_eq!(job_state(&c, &id).await.0, BackupJobState::Completed);
    let rp = only_point(&c, VAULT).await;

    // Younger than MinRetentionDays: it cannot be deleted, and the vault neither.
    assert_eq!(
        delete_point(&c, VAULT, &rp).await,
        Err("InvalidRequestException".to_owned())
    );
    let err = c
        .delete_backup_vault()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(
        err.as_service_error().and_then(|e| e.message()),
        Some("Backup vault cannot be deleted because it contains recovery points.")
    );

    // Its lifecycle cannot be shortened nor taken outside the range; it can be lengthened.
    for days in [10, 200] {
        let err = c
            .update_recovery_point_lifecycle()
            .backup_vault_name(VAULT)
            .recovery_point_arn(&rp)
            .lifecycle(Lifecycle::builder().delete_after_days(days).build())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidRequestException", "{days}");
    }
    let updated = c
        .update_recovery_point_lifecycle()
        .backup_vault_name(VAULT)
        .recovery_point_arn(&rp)
        .lifecycle(Lifecycle::builder().delete_after_days(60).build())
        .send()
        .await
        .unwrap();
    assert_eq!(updated.lifecycle().and_then(|l| l.delete_after_days()), Some(60));

    // A copy into the locked vault is held to the same range.
    let open_id = backup(&c, "open", &carts, Some(3)).await;
    h.server.advance(Duration::seconds(5)).await;
    assert_eq!(job_state(&c, &open_id).await.0, BackupJobState::Completed);
    let open_rp = only_point(&c, "open").await;
    let copy = c
        .start_copy_job()
        .recovery_point_arn(&open_rp)
        .source_backup_vault_name("open")
        .destination_backup_vault_arn(Harness::vault_arn("us-east-1", VAULT))
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let copy = c
        .describe_copy_job()
        .copy_job_id(copy.copy_job_id().unwrap())
        .send()
        .await
        .unwrap();
    let copy = copy.copy_job().unwrap();
    assert_eq!(copy.state(), Some(&CopyJobState::Failed));
    assert!(copy.status_message().unwrap().contains("minimum retention"));

    // Once the point is MinRetentionDays old, it can be deleted by hand.
    h.server.advance(Duration::days(7)).await;
    delete_point(&c, VAULT, &rp).await.unwrap();
}

#[tokio::test]
async fn lock_without_minimum_leaves_deletion_to_the_lifecycle() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    vault(&c, VAULT).await;
    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a"]);
    // A point stored before the lock keeps its lifecycle but loses manual deletion.
    backup(&c, VAULT, &carts, Some(2)).await;
    h.server.advance(Duration::seconds(5)).await;
    let rp = only_point(&c, VAULT).await;
    c.put_backup_vault_lock_configuration()
        .backup_vault_name(VAULT)
        .max_retention_days(30)
        .send()
        .await
        .unwrap();
    assert_eq!(
        delete_point(&c, VAULT, &rp).await,
        Err("InvalidRequestException".to_owned())
    );
    h.server.advance(Duration::days(3)).await;
    let left = c
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap();
    assert!(left.recovery_points().is_empty(), "the lifecycle deleted it");
}

const DENY_DELETE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "deny-delete",
      "Effect": "Deny",
      "Principal": {"AWS": "*"},
      "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
      "Resource": "*",
      "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}}
    }
  ]
}"#;

#[tokio::test]
async fn access_policy_is_stored_validated_and_its_deny_enforced() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    vault(&c, VAULT).await;
    let err = c
        .get_backup_vault_access_policy()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException", "no policy yet");
    for bad in [
        "{",
        r#"{"Statement": []}"#,
        r#"{"Statement": {"Effect": "Deny", "Action": "*"}}"#,
    ] {
        let err = c
            .put_backup_vault_access_policy()
            .backup_vault_name(VAULT)
            .policy(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterValueException", "{bad}");
    }
    let err = c
        .put_backup_vault_access_policy()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MissingParameterValueException");
    let err = c
        .put_backup_vault_access_policy()
        .backup_vault_name("nope")
        .policy(DENY_DELETE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    c.put_backup_vault_access_policy()
        .backup_vault_name(VAULT)
        .policy(DENY_DELETE)
        .send()
        .await
        .unwrap();
    let got = c
        .get_backup_vault_access_policy()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(DENY_DELETE), "returned as sent");
    assert_eq!(got.backup_vault_name(), Some(VAULT));
    assert_eq!(
        got.backup_vault_arn(),
        Some(Harness::vault_arn("us-east-1", VAULT).as_str())
    );

    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a"]);
    backup(&c, VAULT, &carts, Some(30)).await;
    h.server.advance(Duration::seconds(5)).await;
    let rp = only_point(&c, VAULT).await;
    assert_eq!(
        delete_point(&c, VAULT, &rp).await,
        Err("AccessDeniedException".to_owned())
    );
    let err = c
        .update_recovery_point_lifecycle()
        .backup_vault_name(VAULT)
        .recovery_point_arn(&rp)
        .lifecycle(Lifecycle::builder().delete_after_days(1).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    assert_eq!(h.dynamodb.deleted.lock().len(), 0, "nothing was freed");
    only_point(&c, VAULT).await;

    // Without the policy the same call goes through.
    c.delete_backup_vault_access_policy()
        .backup_vault_name(VAULT)
        .send()
        .await
        .unwrap();
    delete_point(&c, VAULT, &rp).await.unwrap();
}
