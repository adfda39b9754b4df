//! Restore and copy jobs take the restore-time model's time: on the `aws`
//! preset a restore job stays RUNNING for the model's `BackupRestoreJob`
//! figure and a copy job for its `BackupCopyJob` figure at the recovery
//! point's size, both recorded in the timing log; a refused request is not
//! timed.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::types::{CopyJobState, RestoreJobStatus};
use chrono::Duration;
use common::*;
use firedrill_emu_core::timing::{Operation, TimingModel, Workload};
use firedrill_emu_core::{EmulatorConfig, Fidelity};

async fn aws_preset() -> Harness {
    Harness::start_with(EmulatorConfig {
        fidelity: Fidelity::Aws,
        timings: Fidelity::Aws.settings(),
        ..EmulatorConfig::default()
    })
    .await
}

/// The model's typical time for `operation` on a recovery point of `bytes`.
fn typical(operation: Operation, bytes: u64) -> Duration {
    let band = TimingModel::aws_defaults().band(
        operation,
        &Workload {
            bytes,
            ..Workload::default()
        },
    );
    Duration::from_std(band.typical).expect("a modest duration")
}

/// A completed recovery point of a DynamoDB table in vault `primary`:
/// its ARN and size.
async fn recovery_point(h: &Harness, c: &aws_sdk_backup::Client) -> (String, u64) {
    c.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .expect("create the vault");
    let carts = h
        .dynamodb
        .add("us-east-1", "carts", &[], &["cart-1", "cart-2", "cart-3"]);
    c.start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect("start the backup");
    h.server.advance(Duration::hours(1)).await;
    let points = c
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .expect("list recovery points");
    let rp = &points.recovery_points()[0];
    (
        rp.recovery_point_arn().expect("an ARN").to_owned(),
        rp.backup_size_in_bytes().expect("a size") as u64,
    )
}

async fn restore_status(
    c: &aws_sdk_backup::Client,
    id: &str,
) -> aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput {
    c.describe_restore_job()
        .restore_job_id(id)
        .send()
        .await
        .expect("describe the restore job")
}

#[tokio::test]
async fn on_the_aws_preset_a_restore_job_runs_for_the_models_time() {
    let h = aws_preset().await;
    let c = h.client("us-east-1").await;
    let (rp, size) = recovery_point(&h, &c).await;
    let expected = typical(Operation::BackupRestoreJob, size);
    assert!(expected > Duration::seconds(1), "the model, not the fast delay");

    let refused = c
        .start_restore_job()
        .recovery_point_arn(format!("{rp}-missing"))
        .metadata("targetTableName", "carts-restored")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "ResourceNotFoundException");
    let timed = |h: &Harness| {
        h.server
            .env()
            .timings
            .operations()
            .into_iter()
            .filter(|o| o.operation == Operation::BackupRestoreJob)
            .collect::<Vec<_>>()
    };
    assert!(timed(&h).is_empty(), "a refused restore is not timed");

    let id = c
        .start_restore_job()
        .recovery_point_arn(&rp)
        .metadata("targetTableName", "carts-restored")
        .send()
        .await
        .expect("start the restore")
        .restore_job_id()
        .expect("an id")
        .to_owned();
    // The background run starts the job at once on the emulator clock.
    let mut job = restore_status(&c, &id).await;
    while job.created_resource_arn().is_none() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        job = restore_status(&c, &id).await;
    }
    assert_eq!(job.status(), Some(&RestoreJobStatus::Running));
    let minutes = expected.num_seconds().div_euclid(60) + i64::from(expected.num_seconds() % 60 != 0);
    assert_eq!(job.expected_completion_time_minutes(), Some(minutes));

    h.server.advance(expected - Duration::seconds(30)).await;
    let job = restore_status(&c, &id).await;
    assert_eq!(job.status(), Some(&RestoreJobStatus::Running));
    h.server.advance(Duration::minutes(1)).await;
    let job = restore_status(&c, &id).await;
    assert_eq!(job.status(), Some(&RestoreJobStatus::Completed));
    let took =
        job.completion_date().expect("completed").secs() - job.creation_date().expect("created").secs();
    assert_eq!(took, expected.num_seconds());

    let timed = timed(&h);
    assert_eq!(timed.len(), 1);
    assert_eq!(timed[0].resource, rp);
    assert_eq!(timed[0].workload.bytes, size);
    assert_eq!(timed[0].completes_at - timed[0].started_at, expected);
    assert_ne!(timed[0].model, "fast");
}

#[tokio::test]
async fn on_the_aws_preset_a_copy_job_runs_for_the_models_time_at_its_size() {
    let h = aws_preset().await;
    let c = h.client("us-east-1").await;
    let west = h.client("us-west-2").await;
    let (rp, size) = recovery_point(&h, &c).await;
    west.create_backup_vault()
        .backup_vault_name("dr")
        .send()
        .await
        .expect("create the destination vault");
    let expected = typical(Operation::BackupCopyJob, size);
    assert!(expected > Duration::seconds(1), "the model, not the fast delay");
    let copies = |h: &Harness| {
        h.server
            .env()
            .timings
            .operations()
            .into_iter()
            .filter(|o| o.operation == Operation::BackupCopyJob)
            .collect::<Vec<_>>()
    };

    let refused = c
        .start_copy_job()
        .recovery_point_arn(format!("{rp}-missing"))
        .source_backup_vault_name("primary")
        .destination_backup_vault_arn(Harness::vault_arn("us-west-2", "dr"))
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "ResourceNotFoundException");
    assert!(copies(&h).is_empty(), "a refused copy is not timed");

    let id = c
        .start_copy_job()
        .recovery_point_arn(&rp)
        .source_backup_vault_name("primary")
        .destination_backup_vault_arn(Harness::vault_arn("us-west-2", "dr"))
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect("start the copy")
        .copy_job_id()
        .expect("an id")
        .to_owned();
    let state = |c: aws_sdk_backup::Client, id: String| async move {
        c.describe_copy_job()
            .copy_job_id(id)
            .send()
            .await
            .expect("describe the copy job")
            .copy_job()
            .and_then(|j| j.state().cloned())
            .expect("a state")
    };
    assert_eq!(state(c.clone(), id.clone()).await, CopyJobState::Running);
    h.server.advance(expected - Duration::seconds(30)).await;
    assert_eq!(state(c.clone(), id.clone()).await, CopyJobState::Running);
    h.server.advance(Duration::minutes(1)).await;
    assert_eq!(state(c.clone(), id.clone()).await, CopyJobState::Completed);

    let timed = copies(&h);
    assert_eq!(timed.len(), 1);
    assert_eq!(timed[0].resource, rp);
    assert_eq!(timed[0].workload.bytes, size);
    assert_eq!(timed[0].completes_at - timed[0].started_at, expected);
}

#[tokio::test]
async fn on_the_fast_preset_a_restore_job_takes_the_fixed_backup_job_duration() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    let (rp, _) = recovery_point(&h, &c).await;
    c.start_restore_job()
        .recovery_point_arn(&rp)
        .metadata("targetTableName", "carts-restored")
        .send()
        .await
        .expect("start the restore");
    let timed = h.server.env().timings.operations();
    let restore = timed
        .iter()
        .find(|o| o.operation == Operation::BackupRestoreJob)
        .expect("the restore is timed");
    assert_eq!(restore.model, "fast");
    assert_eq!(
        restore.completes_at - restore.started_at,
        h.server.env().config.timings.backup_job_duration
    );
}
