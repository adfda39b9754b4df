//! Hostile numbers through aws-sdk-backup: windows and lifecycles past
//! AWS's limits (100 years: 52,560,000 minutes, 36,500 days) are refused
//! with `InvalidParameterValueException` before anything is stored, so no
//! plan, job or recovery point can later make a read or the tick fail.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, CopyAction, Lifecycle};
use chrono::Duration;
use common::*;

const HUGE_WINDOW: i64 = 1 << 62;
const HUGE_DAYS: i64 = 200_000_000_000_000;

fn rule(name: &str) -> aws_sdk_backup::types::builders::BackupRuleInputBuilder {
    BackupRuleInput::builder()
        .rule_name(name)
        .target_backup_vault_name("primary")
        .schedule_expression("cron(0 * ? * * *)")
}

fn plan(name: &str, rule: BackupRuleInput) -> BackupPlanInput {
    BackupPlanInput::builder()
        .backup_plan_name(name)
        .rules(rule)
        .build()
        .unwrap()
}

fn delete_after(days: i64) -> Lifecycle {
    Lifecycle::builder().delete_after_days(days).build()
}

fn cold_after(days: i64) -> Lifecycle {
    Lifecycle::builder().move_to_cold_storage_after_days(days).build()
}

/// Rules whose numbers AWS refuses, each with what is wrong with it.
fn hostile_rules() -> Vec<(&'static str, BackupRuleInput)> {
    vec![
        (
            "StartWindowMinutes 2^62",
            rule("r").start_window_minutes(HUGE_WINDOW).build().unwrap(),
        ),
        (
            "StartWindowMinutes one past 100 years",
            rule("r").start_window_minutes(52_560_001).build().unwrap(),
        ),
        (
            "CompletionWindowMinutes i64::MAX",
            rule("r").completion_window_minutes(i64::MAX).build().unwrap(),
        ),
        (
            "DeleteAfterDays 2e14",
            rule("r").lifecycle(delete_after(HUGE_DAYS)).build().unwrap(),
        ),
        (
            "DeleteAfterDays 36501",
            rule("r").lifecycle(delete_after(36_501)).build().unwrap(),
        ),
        (
            "MoveToColdStorageAfterDays i64::MAX",
            rule("r").lifecycle(cold_after(i64::MAX)).build().unwrap(),
        ),
        (
            "MoveToColdStorageAfterDays i64::MAX with DeleteAfterDays",
            rule("r")
                .lifecycle(
                    Lifecycle::builder()
                        .move_to_cold_storage_after_days(i64::MAX)
                        .delete_after_days(100)
                        .build(),
                )
                .build()
                .unwrap(),
        ),
        (
            "a copy action's DeleteAfterDays 2e14",
            rule("r")
                .copy_actions(
                    CopyAction::builder()
                        .destination_backup_vault_arn(Harness::vault_arn("us-west-2", "dr"))
                        .lifecycle(delete_after(HUGE_DAYS))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        ),
        (
            "a copy action's MoveToColdStorageAfterDays i64::MAX",
            rule("r")
                .copy_actions(
                    CopyAction::builder()
                        .destination_backup_vault_arn(Harness::vault_arn("us-west-2", "dr"))
                        .lifecycle(cold_after(i64::MAX))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        ),
    ]
}

async fn setup(h: &Harness) -> (aws_sdk_backup::Client, String) {
    let c = h.client("us-east-1").await;
    c.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a", "b"]);
    (c, carts)
}

async fn recovery_points(c: &aws_sdk_backup::Client) -> Vec<(String, Option<i64>, String)> {
    let mut out: Vec<(String, Option<i64>, String)> = c
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .expect("the vault answers")
        .recovery_points()
        .iter()
        .map(|rp| {
            (
                rp.recovery_point_arn().unwrap_or_default().to_owned(),
                rp.lifecycle().and_then(|l| l.delete_after_days()),
                rp.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn plans_with_windows_or_lifecycles_past_aws_limits_are_refused_and_never_stored() {
    let h = Harness::start().await;
    let (c, _) = setup(&h).await;
    for (what, bad) in hostile_rules() {
        let e = c
            .create_backup_plan()
            .backup_plan(plan("hostile", bad))
            .send()
            .await
            .expect_err(what);
        assert_eq!(code(&e), "InvalidParameterValueException", "{what}: {e:?}");
    }
    assert!(
        c.list_backup_plans()
            .send()
            .await
            .unwrap()
            .backup_plans_list()
            .is_empty(),
        "no refused plan was stored"
    );

    // An update with the same numbers leaves the plan's version as it was.
    let good = c
        .create_backup_plan()
        .backup_plan(plan("good", rule("hourly").build().unwrap()))
        .send()
        .await
        .unwrap();
    let id = good.backup_plan_id().unwrap().to_owned();
    for (what, bad) in hostile_rules() {
        let e = c
            .update_backup_plan()
            .backup_plan_id(&id)
            .backup_plan(plan("good", bad))
            .send()
            .await
            .expect_err(what);
        assert_eq!(code(&e), "InvalidParameterValueException", "{what}: {e:?}");
    }
    let got = c.get_backup_plan().backup_plan_id(&id).send().await.unwrap();
    assert_eq!(got.version_id(), good.version_id());

    // The largest values AWS accepts are accepted, and the plan still reads.
    let edge = rule("edge")
        .start_window_minutes(52_560_000)
        .completion_window_minutes(52_560_000)
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(36_410)
                .delete_after_days(36_500)
                .build(),
        )
        .build()
        .unwrap();
    let edge = c
        .create_backup_plan()
        .backup_plan(plan("edge", edge))
        .send()
        .await
        .expect("AWS's largest windows and lifecycle are valid");
    c.get_backup_plan()
        .backup_plan_id(edge.backup_plan_id().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn jobs_with_windows_or_lifecycles_past_aws_limits_are_refused() {
    let h = Harness::start().await;
    let (c, carts) = setup(&h).await;
    let job = || {
        c.start_backup_job()
            .backup_vault_name("primary")
            .resource_arn(&carts)
            .iam_role_arn(ROLE)
    };
    let cases = vec![
        ("StartWindowMinutes 2^62", job().start_window_minutes(HUGE_WINDOW)),
        (
            "CompleteWindowMinutes i64::MAX",
            job().complete_window_minutes(i64::MAX),
        ),
        ("DeleteAfterDays 2e14", job().lifecycle(delete_after(HUGE_DAYS))),
        (
            "MoveToColdStorageAfterDays i64::MAX",
            job().lifecycle(cold_after(i64::MAX)),
        ),
    ];
    for (what, req) in cases {
        let e = req.send().await.expect_err(what);
        assert_eq!(code(&e), "InvalidParameterValueException", "{what}: {e:?}");
    }
    assert!(
        c.list_backup_jobs()
            .send()
            .await
            .unwrap()
            .backup_jobs()
            .is_empty(),
        "no refused job was recorded"
    );
    assert!(h.dynamodb.backups.lock().is_empty(), "no provider backup ran");

    // A recovery point to copy and to change the lifecycle of.
    let made = job().send().await.unwrap();
    let rp = made.recovery_point_arn().unwrap().to_owned();
    h.server.advance(Duration::seconds(5)).await;
    for (what, lifecycle) in [
        ("DeleteAfterDays 2e14", delete_after(HUGE_DAYS)),
        ("MoveToColdStorageAfterDays i64::MAX", cold_after(i64::MAX)),
    ] {
        let e = c
            .start_copy_job()
            .recovery_point_arn(&rp)
            .source_backup_vault_name("primary")
            .destination_backup_vault_arn(Harness::vault_arn("us-west-2", "dr"))
            .iam_role_arn(ROLE)
            .lifecycle(lifecycle.clone())
            .send()
            .await
            .expect_err(what);
        assert_eq!(code(&e), "InvalidParameterValueException", "copy, {what}: {e:?}");
        let e = c
            .update_recovery_point_lifecycle()
            .backup_vault_name("primary")
            .recovery_point_arn(&rp)
            .lifecycle(lifecycle)
            .send()
            .await
            .expect_err(what);
        assert_eq!(
            code(&e),
            "InvalidParameterValueException",
            "update, {what}: {e:?}"
        );
    }
    assert!(c.list_copy_jobs().send().await.unwrap().copy_jobs().is_empty());
    let described = c
        .describe_recovery_point()
        .backup_vault_name("primary")
        .recovery_point_arn(&rp)
        .send()
        .await
        .expect("the recovery point still reads");
    assert!(described.lifecycle().is_none(), "its lifecycle is unchanged");
}

#[tokio::test]
async fn after_a_barrage_of_hostile_numbers_recovery_points_are_unchanged_and_the_tick_works() {
    let h = Harness::start().await;
    let (c, carts) = setup(&h).await;
    let hourly = c
        .create_backup_plan()
        .backup_plan(plan(
            "hourly",
            rule("hourly").lifecycle(delete_after(30)).build().unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let plan_id = hourly.backup_plan_id().unwrap().to_owned();
    c.create_backup_selection()
        .backup_plan_id(&plan_id)
        .backup_selection(
            BackupSelection::builder()
                .selection_name("carts")
                .iam_role_arn(ROLE)
                .resources(&carts)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let kept = c
        .start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .lifecycle(delete_after(10))
        .send()
        .await
        .unwrap();
    let kept_rp = kept.recovery_point_arn().unwrap().to_owned();
    h.server.advance(Duration::seconds(5)).await;
    let before = recovery_points(&c).await;
    assert_eq!(before.len(), 1);

    for (what, bad) in hostile_rules() {
        let created = c
            .create_backup_plan()
            .backup_plan(plan("hostile", bad.clone()))
            .send()
            .await;
        assert!(created.is_err(), "create, {what}");
        let updated = c
            .update_backup_plan()
            .backup_plan_id(&plan_id)
            .backup_plan(plan("hourly", bad))
            .send()
            .await;
        assert!(updated.is_err(), "update, {what}");
    }
    for lifecycle in [delete_after(HUGE_DAYS), cold_after(i64::MAX), delete_after(-5)] {
        let started = c
            .start_backup_job()
            .backup_vault_name("primary")
            .resource_arn(&carts)
            .iam_role_arn(ROLE)
            .lifecycle(lifecycle.clone())
            .send()
            .await;
        assert!(started.is_err());
        let updated = c
            .update_recovery_point_lifecycle()
            .backup_vault_name("primary")
            .recovery_point_arn(&kept_rp)
            .lifecycle(lifecycle)
            .send()
            .await;
        assert!(updated.is_err());
    }
    for (start, complete) in [
        (Some(HUGE_WINDOW), None),
        (None, Some(i64::MAX)),
        (Some(-1), None),
    ] {
        let started = c
            .start_backup_job()
            .backup_vault_name("primary")
            .resource_arn(&carts)
            .iam_role_arn(ROLE)
            .set_start_window_minutes(start)
            .set_complete_window_minutes(complete)
            .send()
            .await;
        assert!(started.is_err());
    }
    assert_eq!(
        recovery_points(&c).await,
        before,
        "every recovery point is as it was"
    );

    // The clock moves past the hour: the plan's scheduled run backs the
    // table up, and the tick that does it leaves the kept point alone.
    h.dynamodb.set_items(&carts, &["a", "b", "c"]);
    h.server.advance(Duration::hours(1)).await;
    h.server.advance(Duration::seconds(5)).await;
    let after = recovery_points(&c).await;
    assert_eq!(
        after.len(),
        2,
        "the scheduled run made a recovery point: {after:?}"
    );
    assert!(after.contains(&before[0]), "the kept recovery point is unchanged");
    let plans = c.list_backup_plans().send().await.unwrap();
    assert_eq!(plans.backup_plans_list().len(), 1);
    let got = c.get_backup_plan().backup_plan_id(&plan_id).send().await.unwrap();
    assert_eq!(got.version_id(), hourly.version_id(), "the plan kept its version");

    // A valid request is answered as usual.
    c.start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .lifecycle(delete_after(36_500))
        .start_window_minutes(52_560_000)
        .complete_window_minutes(52_560_000)
        .send()
        .await
        .expect("a valid job starts");
}

/// A cron step past `u32`'s end from a non-zero start (`5/4294967295`)
/// overflowed the step sum and panicked CreateBackupPlan (InternalError).
/// It now means what a step past the field's end means: the start alone.
#[tokio::test]
async fn a_cron_step_that_overflows_u32_is_just_its_start() {
    let h = Harness::start().await;
    let (c, _) = setup(&h).await;
    let expression = "cron(5/4294967295 * ? * * *)";
    let created = c
        .create_backup_plan()
        .backup_plan(plan(
            "huge-step",
            rule("r").schedule_expression(expression).build().unwrap(),
        ))
        .send()
        .await
        .expect("a huge cron step is an ordinary step");
    let got = c
        .get_backup_plan()
        .backup_plan_id(created.backup_plan_id().unwrap())
        .send()
        .await
        .unwrap();
    let rules = got.backup_plan().unwrap().rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].schedule_expression(), Some(expression));
}
