//! Plans running on the emulator clock, through aws-sdk-backup: hourly and
//! daily rules, a copy action to us-west-2, tag-based selections, restores
//! and lifecycle expiry, with in-memory provider doubles.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::types::{
    BackupJobState, BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionType, CopyAction,
    CopyJobState, Lifecycle, RestoreJobStatus,
};
use chrono::Duration;
use common::*;

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

fn secs(t: Option<&aws_smithy_types::DateTime>) -> i64 {
    t.map(|t| t.secs()).expect("a timestamp")
}

async fn store_plan(c: &aws_sdk_backup::Client) -> (String, String) {
    let hourly = BackupRuleInput::builder()
        .rule_name("hourly")
        .target_backup_vault_name("primary")
        .schedule_expression("cron(0 * ? * * *)")
        .start_window_minutes(60)
        .lifecycle(Lifecycle::builder().delete_after_days(2).build())
        .build()
        .unwrap();
    let daily = BackupRuleInput::builder()
        .rule_name("daily")
        .target_backup_vault_name("primary")
        .schedule_expression("cron(0 5 ? * * *)")
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(30)
                .delete_after_days(120)
                .build(),
        )
        .copy_actions(
            CopyAction::builder()
                .destination_backup_vault_arn(Harness::vault_arn(WEST, "dr"))
                .lifecycle(Lifecycle::builder().delete_after_days(35).build())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let plan = c
        .create_backup_plan()
        .backup_plan(
            BackupPlanInput::builder()
                .backup_plan_name("store")
                .rules(hourly)
                .rules(daily)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let id = plan.backup_plan_id().unwrap().to_owned();
    c.create_backup_selection()
        .backup_plan_id(&id)
        .backup_selection(
            BackupSelection::builder()
                .selection_name("production")
                .iam_role_arn(ROLE)
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
    (id, plan.version_id().unwrap().to_owned())
}

async fn all_backup_jobs(c: &aws_sdk_backup::Client) -> Vec<aws_sdk_backup::types::BackupJob> {
    c.list_backup_jobs().send().await.unwrap().backup_jobs().to_vec()
}

async fn recovery_points(
    c: &aws_sdk_backup::Client,
    vault: &str,
) -> Vec<aws_sdk_backup::types::RecoveryPointByBackupVault> {
    c.list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .send()
        .await
        .unwrap()
        .recovery_points()
        .to_vec()
}

#[tokio::test]
async fn a_day_of_hourly_and_daily_rules_with_a_cross_region_copy() {
    let h = Harness::start().await;
    let east = h.client(EAST).await;
    let west = h.client(WEST).await;
    east.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    west.create_backup_vault()
        .backup_vault_name("dr")
        .send()
        .await
        .unwrap();
    let carts = h.dynamodb.add(
        EAST,
        "carts",
        &[("Environment", "Production")],
        &["cart-1", "cart-2"],
    );
    let assets =
        h.s3.add(EAST, "assets", &[("Environment", "Production")], &["logo.png"]);
    let scratch = h
        .dynamodb
        .add(EAST, "scratch", &[("Environment", "Dev")], &["tmp"]);
    let (plan_id, version) = store_plan(&east).await;

    // A day and a minute, so that the last hourly run (at noon) has completed too.
    h.server.advance(Duration::days(1) + Duration::minutes(1)).await;

    // 24 hourly runs and one daily run for each of the two tagged resources;
    // at 05:00 both rules fire and AWS takes one backup, for the rule with
    // the longer retention (daily), so 24 jobs per resource.
    let jobs = all_backup_jobs(&east).await;
    assert_eq!(
        jobs.len(),
        48,
        "{:#?}",
        jobs.iter().map(|j| j.resource_arn()).collect::<Vec<_>>()
    );
    assert!(jobs.iter().all(|j| j.state() == Some(&BackupJobState::Completed)));
    assert!(jobs.iter().all(|j| j.resource_arn() != Some(scratch.as_str())));
    assert!(
        jobs.iter()
            .all(|j| j.created_by().and_then(|c| c.backup_plan_id()) == Some(plan_id.as_str()))
    );
    // Each job is stamped with its scheduled instant: on the hour, in order.
    let mut carts_times: Vec<i64> = jobs
        .iter()
        .filter(|j| j.resource_arn() == Some(carts.as_str()))
        .map(|j| secs(j.creation_date()))
        .collect();
    assert!(carts_times.iter().all(|t| t % 3600 == 0));
    carts_times.dedup();
    assert_eq!(carts_times.len(), 24);
    let by_state = east
        .list_backup_jobs()
        .by_state(BackupJobState::Completed)
        .by_resource_arn(&assets)
        .send()
        .await
        .unwrap();
    assert_eq!(by_state.backup_jobs().len(), 24);
    let by_vault = east
        .list_backup_jobs()
        .by_backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    assert_eq!(by_vault.backup_jobs().len(), 48);
    assert!(
        east.list_backup_jobs()
            .by_state(BackupJobState::Failed)
            .send()
            .await
            .unwrap()
            .backup_jobs()
            .is_empty()
    );

    // Recovery points in the primary vault with each rule's lifecycle.
    let primary = recovery_points(&east, "primary").await;
    assert_eq!(primary.len(), 48);
    let hourly: Vec<_> = primary
        .iter()
        .filter(|rp| rp.created_by().and_then(|c| c.backup_rule_name()) == Some("hourly"))
        .collect();
    assert_eq!(hourly.len(), 46);
    assert!(
        hourly
            .iter()
            .all(|rp| (secs(rp.creation_date()) % 86400) / 3600 != 5)
    );
    for rp in &hourly {
        let created = secs(rp.creation_date());
        let calc = rp.calculated_lifecycle().expect("a calculated lifecycle");
        assert_eq!(secs(calc.delete_at()), created + 2 * 86400);
        assert!(calc.move_to_cold_storage_at().is_none());
    }
    let daily: Vec<_> = primary
        .iter()
        .filter(|rp| rp.created_by().and_then(|c| c.backup_rule_name()) == Some("daily"))
        .collect();
    assert_eq!(daily.len(), 2);
    for rp in &daily {
        let created = secs(rp.creation_date());
        assert_eq!((created % 86400) / 3600, 5, "the daily rule runs at 05:00 UTC");
        let calc = rp.calculated_lifecycle().unwrap();
        assert_eq!(secs(calc.move_to_cold_storage_at()), created + 30 * 86400);
        assert_eq!(secs(calc.delete_at()), created + 120 * 86400);
        assert_eq!(rp.lifecycle().and_then(|l| l.delete_after_days()), Some(120));
    }
    // DynamoDB recovery points carry the provider's native backup ARN; S3's are AWS Backup's own.
    let carts_rp = daily
        .iter()
        .find(|rp| rp.resource_arn() == Some(carts.as_str()))
        .unwrap();
    assert!(
        carts_rp
            .recovery_point_arn()
            .unwrap()
            .starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/carts/backup/")
    );
    let assets_rp = daily
        .iter()
        .find(|rp| rp.resource_arn() == Some(assets.as_str()))
        .unwrap();
    assert!(
        assets_rp
            .recovery_point_arn()
            .unwrap()
            .starts_with("arn:aws:backup:us-east-1:000000000000:recovery-point:")
    );
    assert_eq!(assets_rp.resource_type(), Some("S3"));
    assert_eq!(assets_rp.resource_name(), Some("assets"));

    // The daily rule's copies: copy jobs in the source region, recovery points in us-west-2.
    let copies = east.list_copy_jobs().send().await.unwrap().copy_jobs().to_vec();
    assert_eq!(copies.len(), 2);
    assert!(copies.iter().all(|j| j.state() == Some(&CopyJobState::Completed)));
    let dr = recovery_points(&west, "dr").await;
    assert_eq!(dr.len(), 2);
    for rp in &dr {
        assert!(rp.recovery_point_arn().unwrap().contains(":us-west-2:"));
        assert_eq!(
            rp.source_backup_vault_arn(),
            Some(Harness::vault_arn(EAST, "primary").as_str())
        );
        assert_eq!(rp.lifecycle().and_then(|l| l.delete_after_days()), Some(35));
        let created = secs(rp.creation_date());
        assert_eq!(
            secs(rp.calculated_lifecycle().unwrap().delete_at()),
            created + 35 * 86400
        );
        let copy = copies
            .iter()
            .find(|j| j.destination_recovery_point_arn() == rp.recovery_point_arn())
            .expect("a copy job made it");
        assert!(copy.created_by_backup_job_id().is_some());
    }
    let described = west
        .describe_recovery_point()
        .backup_vault_name("dr")
        .recovery_point_arn(dr[0].recovery_point_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(described.storage_class().map(|s| s.as_str()), Some("WARM"));
    assert_eq!(described.status().map(|s| s.as_str()), Some("COMPLETED"));
    assert_eq!(h.dynamodb.copies.lock().len() + h.s3.copies.lock().len(), 2);

    // Protected resources and recovery points by resource.
    let protected = east.list_protected_resources().send().await.unwrap();
    assert_eq!(protected.results().len(), 2);
    let by_resource = east
        .list_recovery_points_by_resource()
        .resource_arn(&carts)
        .send()
        .await
        .unwrap();
    assert_eq!(by_resource.recovery_points().len(), 24);
    let plan = east
        .get_backup_plan()
        .backup_plan_id(&plan_id)
        .send()
        .await
        .unwrap();
    assert!(plan.last_execution_date().is_some());

    // A newly tagged resource joins at the next run, with no change to the plan.
    let orders = h.dynamodb.add(EAST, "orders", &[], &["order-1"]);
    h.dynamodb.tag(&orders, "Environment", "Production");
    h.server.advance(Duration::hours(1)).await;
    let orders_jobs = east
        .list_backup_jobs()
        .by_resource_arn(&orders)
        .send()
        .await
        .unwrap();
    assert_eq!(orders_jobs.backup_jobs().len(), 1);
    assert_eq!(
        orders_jobs.backup_jobs()[0].state(),
        Some(&BackupJobState::Completed)
    );
    let plan = east
        .get_backup_plan()
        .backup_plan_id(&plan_id)
        .send()
        .await
        .unwrap();
    assert_eq!(plan.version_id(), Some(version.as_str()));

    // Scheduled work is audited as the emulator's own.
    let events = h.server.env().audit.events();
    assert!(
        events
            .iter()
            .any(|e| e.event_name == "StartBackupJob" && e.principal == "firedrill")
    );
    assert!(
        events
            .iter()
            .any(|e| e.event_name == "CopyJobCompleted" && e.result == "Success")
    );
    assert!(
        events
            .iter()
            .any(|e| e.event_name == "BackupJobCompleted" && e.resource == orders)
    );

    // Two more days: the hourly recovery points of day one pass DeleteAfterDays=2 and go.
    let live_before = h.dynamodb.live.lock().len() + h.s3.live.lock().len();
    h.server.advance(Duration::days(2)).await;
    let now = h.server.env().now().timestamp();
    let primary = recovery_points(&east, "primary").await;
    assert!(!primary.is_empty());
    for rp in &primary {
        let delete_at = rp
            .calculated_lifecycle()
            .and_then(|c| c.delete_at().map(|t| t.secs()));
        assert!(
            delete_at.is_none_or(|t| t > now),
            "an expired recovery point is still listed"
        );
    }
    let first_day_hourly = hourly.len();
    let remaining_first_day = primary
        .iter()
        .filter(|rp| {
            hourly
                .iter()
                .any(|old| old.recovery_point_arn() == rp.recovery_point_arn())
        })
        .count();
    assert_eq!(
        remaining_first_day, 0,
        "all {first_day_hourly} first-day hourly points expired"
    );
    assert_eq!(
        primary
            .iter()
            .filter(|rp| rp.created_by().and_then(|c| c.backup_rule_name()) == Some("daily"))
            .count(),
        8,
        "three daily runs: carts and assets, then carts, assets and orders twice"
    );
    assert!(!h.dynamodb.deleted.lock().is_empty());
    assert!(h.dynamodb.live.lock().len() + h.s3.live.lock().len() < live_before + 3 * 24 * 3);
    assert!(
        h.server
            .env()
            .audit
            .events()
            .iter()
            .any(|e| e.event_name == "DeleteRecoveryPoint" && e.principal == "firedrill")
    );
    // The copies in us-west-2 keep their own 35-day lifecycle.
    assert!(recovery_points(&west, "dr").await.len() >= 2);
}

#[tokio::test]
async fn restore_jobs_restore_copies_in_the_other_region_with_the_metadata() {
    let h = Harness::start().await;
    let east = h.client(EAST).await;
    let west = h.client(WEST).await;
    east.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    west.create_backup_vault()
        .backup_vault_name("dr")
        .send()
        .await
        .unwrap();
    let carts = h.dynamodb.add(
        EAST,
        "carts",
        &[("Environment", "Production")],
        &["cart-1", "cart-2"],
    );
    store_plan(&east).await;
    h.server.advance(Duration::hours(18)).await; // past 05:00 the next day
    h.dynamodb.set_items(&carts, &["corrupted"]);

    let dr = recovery_points(&west, "dr").await;
    assert_eq!(dr.len(), 1);
    let rp_arn = dr[0].recovery_point_arn().unwrap().to_owned();
    let started = west
        .start_restore_job()
        .recovery_point_arn(&rp_arn)
        .metadata("targetTableName", "carts-restored")
        .iam_role_arn(ROLE)
        .resource_type("DynamoDB")
        .send()
        .await
        .unwrap();
    let job_id = started.restore_job_id().unwrap().to_owned();
    let mut status = None;
    for _ in 0..100 {
        h.server.advance(Duration::seconds(1)).await;
        let job = west
            .describe_restore_job()
            .restore_job_id(&job_id)
            .send()
            .await
            .unwrap();
        status = job.status().cloned();
        if matches!(
            status,
            Some(RestoreJobStatus::Completed) | Some(RestoreJobStatus::Failed)
        ) {
            let created = job.created_resource_arn().unwrap();
            assert_eq!(
                created,
                "arn:aws:dynamodb:us-west-2:000000000000:table/carts-restored"
            );
            assert_eq!(job.source_resource_arn(), Some(carts.as_str()));
            assert!(job.completion_date().is_some());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(status, Some(RestoreJobStatus::Completed));
    let restores = h.dynamodb.restores.lock().clone();
    assert_eq!(restores.len(), 1);
    assert_eq!(restores[0].region, WEST);
    assert_eq!(
        restores[0].metadata.get("targetTableName").map(String::as_str),
        Some("carts-restored")
    );
    let restored = h
        .dynamodb
        .resource("arn:aws:dynamodb:us-west-2:000000000000:table/carts-restored")
        .unwrap();
    assert_eq!(
        restored.items,
        ["cart-1", "cart-2"],
        "the data as of the backup, not the corruption"
    );
    assert_eq!(
        west.list_restore_jobs()
            .send()
            .await
            .unwrap()
            .restore_jobs()
            .len(),
        1
    );

    // A second restore to the same name fails in the job, with the provider's message.
    let again = west
        .start_restore_job()
        .recovery_point_arn(&rp_arn)
        .metadata("targetTableName", "carts-restored")
        .send()
        .await
        .unwrap();
    let mut failed = None;
    for _ in 0..100 {
        h.server.advance(Duration::seconds(1)).await;
        let job = west
            .describe_restore_job()
            .restore_job_id(again.restore_job_id().unwrap())
            .send()
            .await
            .unwrap();
        if job.status() == Some(&RestoreJobStatus::Failed) {
            failed = job.status_message().map(str::to_owned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(failed.unwrap_or_default().contains("already exists"));

    // Bad restores.
    let missing = west
        .start_restore_job()
        .recovery_point_arn(&rp_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "MissingParameterValueException");
    let unknown = west
        .start_restore_job()
        .recovery_point_arn("arn:aws:backup:us-west-2:000000000000:recovery-point:NOPE")
        .metadata("targetTableName", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unknown), "ResourceNotFoundException");
    let events = h.server.env().audit.events();
    assert!(
        events
            .iter()
            .any(|e| e.event_name == "StartRestoreJob" && e.principal.contains("user/") && e.region == WEST)
    );
    assert!(
        events
            .iter()
            .any(|e| e.event_name == "RestoreJobCompleted" && e.result == "Success")
    );
}

#[tokio::test]
async fn on_demand_backup_copy_and_delete() {
    let h = Harness::start().await;
    let east = h.client(EAST).await;
    let west = h.client(WEST).await;
    east.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    west.create_backup_vault()
        .backup_vault_name("dr")
        .send()
        .await
        .unwrap();
    let assets = h.s3.add(EAST, "assets", &[], &["v1"]);
    let orders = h.rds.add(EAST, "orders", &[], &["row-1"]);

    let started = east
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&assets)
        .iam_role_arn(ROLE)
        .lifecycle(Lifecycle::builder().delete_after_days(7).build())
        .send()
        .await
        .unwrap();
    let job_id = started.backup_job_id().unwrap().to_owned();
    let rp_arn = started.recovery_point_arn().unwrap().to_owned();
    assert!(rp_arn.starts_with("arn:aws:backup:us-east-1:000000000000:recovery-point:"));
    // The data is captured when the job starts.
    h.s3.set_items(&assets, &["v2"]);
    let running = east
        .describe_backup_job()
        .backup_job_id(&job_id)
        .send()
        .await
        .unwrap();
    assert_eq!(running.state(), Some(&BackupJobState::Running));
    assert_eq!(running.resource_type(), Some("S3"));
    assert!(
        east.describe_recovery_point()
            .backup_vault_name("primary")
            .recovery_point_arn(&rp_arn)
            .send()
            .await
            .is_err(),
        "no recovery point until the job completes"
    );
    h.server.advance(Duration::seconds(2)).await;
    let done = east
        .describe_backup_job()
        .backup_job_id(&job_id)
        .send()
        .await
        .unwrap();
    assert_eq!(done.state(), Some(&BackupJobState::Completed));
    assert_eq!(done.percent_done(), Some("100.0"));
    let rp = east
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(rp.resource_arn(), Some(assets.as_str()));
    assert_eq!(rp.lifecycle().and_then(|l| l.delete_after_days()), Some(7));
    assert_eq!(
        secs(rp.calculated_lifecycle().and_then(|c| c.delete_at())),
        secs(rp.creation_date()) + 7 * 86400
    );
    assert!(
        rp.encryption_key_arn()
            .unwrap()
            .starts_with("arn:aws:kms:us-east-1:")
    );

    // RDS recovery points use the provider's snapshot ARN.
    let rds_job = east
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&orders)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    assert!(
        rds_job
            .recovery_point_arn()
            .unwrap()
            .starts_with("arn:aws:rds:us-east-1:000000000000:snapshot:awsbackup:")
    );

    // Copy to us-west-2 on demand.
    let copy = east
        .start_copy_job()
        .recovery_point_arn(&rp_arn)
        .source_backup_vault_name("primary")
        .destination_backup_vault_arn(Harness::vault_arn(WEST, "dr"))
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let copy_id = copy.copy_job_id().unwrap().to_owned();
    h.server.advance(Duration::seconds(2)).await;
    let described = east
        .describe_copy_job()
        .copy_job_id(&copy_id)
        .send()
        .await
        .unwrap();
    let job = described.copy_job().unwrap();
    assert_eq!(job.state(), Some(&CopyJobState::Completed));
    let dest_arn = job.destination_recovery_point_arn().unwrap().to_owned();
    assert_ne!(dest_arn, rp_arn, "the copy has its own ARN");
    assert!(dest_arn.starts_with("arn:aws:backup:us-west-2:"));
    assert_eq!(
        job.destination_recovery_point_lifecycle()
            .and_then(|l| l.delete_after_days()),
        Some(7)
    );
    assert_eq!(recovery_points(&west, "dr").await.len(), 1);

    // A copy to a vault that does not exist fails in the job.
    let bad_copy = east
        .start_copy_job()
        .recovery_point_arn(&rp_arn)
        .source_backup_vault_name("primary")
        .destination_backup_vault_arn(Harness::vault_arn(WEST, "nope"))
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let failed = east
        .describe_copy_job()
        .copy_job_id(bad_copy.copy_job_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(failed.copy_job().unwrap().state(), Some(&CopyJobState::Failed));
    let failed_list = east
        .list_copy_jobs()
        .by_state(CopyJobState::Failed)
        .send()
        .await
        .unwrap();
    assert_eq!(failed_list.copy_jobs().len(), 1);

    // Restore the S3 point: the data as of the job's start.
    let restore = east
        .start_restore_job()
        .recovery_point_arn(&rp_arn)
        .metadata("DestinationBucketName", "assets-restored")
        .metadata("NewBucket", "true")
        .send()
        .await
        .unwrap();
    let mut done = false;
    for _ in 0..100 {
        h.server.advance(Duration::seconds(1)).await;
        let j = east
            .describe_restore_job()
            .restore_job_id(restore.restore_job_id().unwrap())
            .send()
            .await
            .unwrap();
        if j.status() == Some(&RestoreJobStatus::Completed) {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(done);
    assert_eq!(
        h.s3.resource("arn:aws:s3:::assets-restored").unwrap().items,
        ["v1"]
    );

    // Delete: gone, and the provider freed the data.
    let deleted_before = h.s3.deleted.lock().len();
    east.delete_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(h.s3.deleted.lock().len(), deleted_before + 1);
    let gone = east
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "ResourceNotFoundException");

    // Bad input.
    let no_role = east
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&assets)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_role), "MissingParameterValueException");
    let no_vault = east
        .start_backup_job()
        .backup_vault_name("nope")
        .resource_arn(&assets)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_vault), "ResourceNotFoundException");
    let unsupported = east
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn("arn:aws:ec2:us-east-1:000000000000:volume/vol-1")
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unsupported), "InvalidParameterValueException");
    let bad_lifecycle = east
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&assets)
        .iam_role_arn(ROLE)
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(10)
                .delete_after_days(20)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad_lifecycle), "InvalidParameterValueException");
    // A resource that no longer exists gives a FAILED job with the provider's message.
    let ghost = east
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn("arn:aws:s3:::ghost")
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let ghost = east
        .describe_backup_job()
        .backup_job_id(ghost.backup_job_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ghost.state(), Some(&BackupJobState::Failed));
    assert!(ghost.status_message().unwrap_or("").contains("does not exist"));
    let missing_job = east
        .describe_backup_job()
        .backup_job_id("NOPE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing_job), "ResourceNotFoundException");
}

#[tokio::test]
async fn weekly_rules_wildcards_and_runs_missed_in_an_outage() {
    let h = Harness::start().await;
    let east = h.client(EAST).await;
    east.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let carts = h.dynamodb.add(EAST, "carts", &[], &["a"]);
    let scratch = h.dynamodb.add(EAST, "scratch", &[], &["b"]);
    h.s3.add(EAST, "assets", &[], &["c"]);
    let plan = east
        .create_backup_plan()
        .backup_plan(
            BackupPlanInput::builder()
                .backup_plan_name("weekly")
                .rules(
                    BackupRuleInput::builder()
                        .rule_name("weekly")
                        .target_backup_vault_name("primary")
                        .schedule_expression("cron(0 3 ? * SUN *)")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    east.create_backup_selection()
        .backup_plan_id(plan.backup_plan_id().unwrap())
        .backup_selection(
            BackupSelection::builder()
                .selection_name("tables")
                .iam_role_arn(ROLE)
                .resources("arn:aws:dynamodb:*:*:table/*")
                .not_resources("arn:aws:dynamodb:*:*:table/scratch")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // The test clock starts on Saturday 2026-03-14 at noon; a week holds one Sunday 03:00.
    h.server.advance(Duration::days(7)).await;
    let jobs = all_backup_jobs(&east).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].resource_arn(), Some(carts.as_str()));
    assert!(jobs.iter().all(|j| j.resource_arn() != Some(scratch.as_str())));

    // us-east-1 goes dark over the next Sunday; when it is back, the run it
    // missed is EXPIRED (its start window passed) and later runs work.
    h.server.dispatcher.set_outage(EAST, true).await.unwrap();
    h.server.advance(Duration::days(2)).await;
    h.server.dispatcher.set_outage(EAST, false).await.unwrap();
    h.server.advance(Duration::days(7)).await;
    let jobs = all_backup_jobs(&east).await;
    assert_eq!(jobs.len(), 3, "{jobs:#?}");
    let expired = east
        .list_backup_jobs()
        .by_state(BackupJobState::Expired)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.backup_jobs().len(), 1);
    assert!(
        expired.backup_jobs()[0]
            .status_message()
            .unwrap_or("")
            .contains("start window")
    );
    let completed = east
        .list_backup_jobs()
        .by_state(BackupJobState::Completed)
        .send()
        .await
        .unwrap();
    assert_eq!(completed.backup_jobs().len(), 2);
}

#[tokio::test]
async fn continuous_rules_keep_one_recovery_point_and_fall_back_to_snapshots() {
    let h = Harness::start().await;
    let east = h.client(EAST).await;
    east.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let orders = h
        .rds
        .add(EAST, "orders", &[("Environment", "Production")], &["row-1"]);
    let carts = h
        .dynamodb
        .add(EAST, "carts", &[("Environment", "Production")], &["cart-1"]);
    let pitr = BackupRuleInput::builder()
        .rule_name("pitr")
        .target_backup_vault_name("primary")
        .schedule_expression("cron(0 * ? * * *)")
        .enable_continuous_backup(true)
        .lifecycle(Lifecycle::builder().delete_after_days(35).build())
        .build()
        .unwrap();
    // Continuous backups are kept at most 35 days and never go cold.
    for bad in [
        Lifecycle::builder().delete_after_days(36).build(),
        Lifecycle::builder()
            .move_to_cold_storage_after_days(1)
            .delete_after_days(91)
            .build(),
    ] {
        let mut rule = pitr.clone();
        rule.lifecycle = Some(bad);
        let err = east
            .create_backup_plan()
            .backup_plan(
                BackupPlanInput::builder()
                    .backup_plan_name("bad")
                    .rules(rule)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterValueException");
    }
    let plan = east
        .create_backup_plan()
        .backup_plan(
            BackupPlanInput::builder()
                .backup_plan_name("pitr")
                .rules(pitr)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    east.create_backup_selection()
        .backup_plan_id(plan.backup_plan_id().unwrap())
        .backup_selection(
            BackupSelection::builder()
                .selection_name("all")
                .iam_role_arn(ROLE)
                .resources("*")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    h.server.advance(Duration::hours(6) + Duration::minutes(1)).await;

    // RDS: six jobs, one continuous recovery point, one provider backup.
    let rds_jobs = east
        .list_backup_jobs()
        .by_resource_arn(&orders)
        .send()
        .await
        .unwrap();
    assert_eq!(rds_jobs.backup_jobs().len(), 6);
    assert!(
        rds_jobs
            .backup_jobs()
            .iter()
            .all(|j| j.state() == Some(&BackupJobState::Completed))
    );
    assert!(
        rds_jobs
            .backup_jobs()
            .iter()
            .all(|j| j.backup_type() == Some("CONTINUOUS"))
    );
    let rp_arns: std::collections::BTreeSet<_> = rds_jobs
        .backup_jobs()
        .iter()
        .map(|j| j.recovery_point_arn().unwrap().to_owned())
        .collect();
    assert_eq!(rp_arns.len(), 1);
    let backups = h.rds.backups.lock().clone();
    assert_eq!(backups.len(), 1);
    assert!(backups[0].continuous);
    let rp = east
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(rp_arns.iter().next().unwrap())
        .send()
        .await
        .unwrap();
    // The continuous point's lifecycle counts from its last update.
    let completed = secs(rp.completion_date());
    assert!(completed > secs(rp.creation_date()));
    assert_eq!(
        secs(rp.calculated_lifecycle().and_then(|c| c.delete_at())),
        completed + 35 * 86400
    );

    // DynamoDB has no continuous backups under AWS Backup: snapshots each run.
    let ddb = east
        .list_recovery_points_by_resource()
        .resource_arn(&carts)
        .send()
        .await
        .unwrap();
    assert_eq!(ddb.recovery_points().len(), 6);
    assert!(h.dynamodb.backups.lock().iter().all(|b| !b.continuous));
}

#[tokio::test]
async fn runs_into_a_deleted_vault_fail_with_a_message() {
    let h = Harness::start().await;
    let east = h.client(EAST).await;
    east.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    h.s3.add(EAST, "assets", &[], &["a"]);
    let plan = east
        .create_backup_plan()
        .backup_plan(
            BackupPlanInput::builder()
                .backup_plan_name("p")
                .rules(
                    BackupRuleInput::builder()
                        .rule_name("hourly")
                        .target_backup_vault_name("primary")
                        .schedule_expression("cron(0 * ? * * *)")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    east.create_backup_selection()
        .backup_plan_id(plan.backup_plan_id().unwrap())
        .backup_selection(
            BackupSelection::builder()
                .selection_name("everything")
                .iam_role_arn(ROLE)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // An empty vault can be deleted even while a plan names it.
    east.delete_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    h.server.advance(Duration::hours(2)).await;
    let jobs = all_backup_jobs(&east).await;
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.state() == Some(&BackupJobState::Failed)));
    assert!(jobs[0].status_message().unwrap_or("").contains("does not exist"));
    assert!(
        h.s3.backups.lock().is_empty(),
        "no data is captured for a missing vault"
    );
}
