//! Restore testing plans and their selections through aws-sdk-backup:
//! created, read, listed, updated and deleted, with AWS's errors before any
//! state changes; a run's restore of what no provider can delete reports
//! `DeletionStatus` FAILED.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::types::{
    RestoreTestingPlanForCreate, RestoreTestingPlanForUpdate, RestoreTestingRecoveryPointSelection,
    RestoreTestingRecoveryPointSelectionAlgorithm as Algorithm, RestoreTestingRecoveryPointType as PointType,
};
use common::*;

fn selection(include: &str) -> RestoreTestingRecoveryPointSelection {
    RestoreTestingRecoveryPointSelection::builder()
        .algorithm(Algorithm::LatestWithinWindow)
        .include_vaults(include)
        .recovery_point_types(PointType::Snapshot)
        .selection_window_days(7)
        .build()
}

fn plan(name: &str, schedule: &str, include: &str) -> RestoreTestingPlanForCreate {
    RestoreTestingPlanForCreate::builder()
        .restore_testing_plan_name(name)
        .schedule_expression(schedule)
        .start_window_hours(2)
        .recovery_point_selection(selection(include))
        .build()
        .expect("a complete plan")
}

#[tokio::test]
async fn restore_testing_plans_round_trip_and_bad_plans_are_refused() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    let refusals = [
        (
            plan("1st", "cron(0 5 ? * * *)", "*"),
            "InvalidParameterValueException",
        ),
        (plan("daily", "every day", "*"), "InvalidParameterValueException"),
        (
            plan("daily", "cron(0 5 ? * * *)", "not-an-arn"),
            "InvalidParameterValueException",
        ),
        (
            RestoreTestingPlanForCreate::builder()
                .restore_testing_plan_name("daily")
                .schedule_expression("cron(0 5 ? * * *)")
                .start_window_hours(169)
                .recovery_point_selection(selection("*"))
                .build()
                .expect("a complete plan"),
            "InvalidParameterValueException",
        ),
        (
            RestoreTestingPlanForCreate::builder()
                .restore_testing_plan_name("daily")
                .schedule_expression("cron(0 5 ? * * *)")
                .recovery_point_selection(
                    RestoreTestingRecoveryPointSelection::builder()
                        .algorithm(Algorithm::RandomWithinWindow)
                        .recovery_point_types(PointType::Snapshot)
                        .build(),
                )
                .build()
                .expect("a complete plan"),
            "MissingParameterValueException",
        ),
    ];
    for (bad, expected) in refusals {
        let err = c
            .create_restore_testing_plan()
            .restore_testing_plan(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), expected);
    }
    let none = c.list_restore_testing_plans().send().await.expect("list");
    assert!(none.restore_testing_plans().is_empty(), "refusals stored nothing");

    let vault = Harness::vault_arn("us-east-1", "primary");
    let created = c
        .create_restore_testing_plan()
        .restore_testing_plan(plan("daily_check", "cron(0 5 ? * * *)", &vault))
        .send()
        .await
        .expect("create");
    assert_eq!(created.restore_testing_plan_name(), "daily_check");
    assert!(
        created
            .restore_testing_plan_arn()
            .contains(":restore-testing-plan:daily_check-")
    );
    let again = c
        .create_restore_testing_plan()
        .restore_testing_plan(plan("daily_check", "cron(0 6 ? * * *)", "*"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "AlreadyExistsException");

    let got = c
        .get_restore_testing_plan()
        .restore_testing_plan_name("daily_check")
        .send()
        .await
        .expect("get");
    let got = got.restore_testing_plan().expect("a plan");
    assert_eq!(got.schedule_expression(), "cron(0 5 ? * * *)");
    assert_eq!(got.start_window_hours(), 2);
    let sel = got.recovery_point_selection().expect("a selection");
    assert_eq!(sel.include_vaults(), std::slice::from_ref(&vault));
    assert_eq!(sel.algorithm(), Some(&Algorithm::LatestWithinWindow));

    let bad_update = c
        .update_restore_testing_plan()
        .restore_testing_plan_name("daily_check")
        .restore_testing_plan(
            RestoreTestingPlanForUpdate::builder()
                .start_window_hours(200)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad_update), "InvalidParameterValueException");
    let updated = c
        .update_restore_testing_plan()
        .restore_testing_plan_name("daily_check")
        .restore_testing_plan(
            RestoreTestingPlanForUpdate::builder()
                .schedule_expression("cron(0 17 ? * * *)")
                .build(),
        )
        .send()
        .await
        .expect("update");
    assert!(updated.update_time().secs() >= updated.creation_time().secs());
    c.create_restore_testing_plan()
        .restore_testing_plan(plan("weekly_check", "cron(0 5 ? * 1 *)", "*"))
        .send()
        .await
        .expect("create a second plan");
    let first = c
        .list_restore_testing_plans()
        .max_results(1)
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.restore_testing_plans().len(), 1);
    let second = c
        .list_restore_testing_plans()
        .max_results(1)
        .next_token(first.next_token().expect("a second page"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(
        second.restore_testing_plans()[0].restore_testing_plan_name(),
        "weekly_check"
    );
    assert!(second.next_token().is_none());
    let too_many = c
        .list_restore_testing_plans()
        .max_results(1001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&too_many), "InvalidParameterValueException");
    let listed = c.list_restore_testing_plans().send().await.expect("list");
    assert_eq!(listed.restore_testing_plans().len(), 2);
    assert_eq!(
        listed.restore_testing_plans()[0].schedule_expression(),
        "cron(0 17 ? * * *)"
    );
    assert_eq!(listed.restore_testing_plans()[0].start_window_hours(), 2);

    c.delete_restore_testing_plan()
        .restore_testing_plan_name("daily_check")
        .send()
        .await
        .expect("delete");
    for name in ["daily_check", "never_made"] {
        let gone = c
            .get_restore_testing_plan()
            .restore_testing_plan_name(name)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&gone), "ResourceNotFoundException");
    }
}

fn selection_for(
    name: &str,
    kind: &str,
) -> aws_sdk_backup::types::builders::RestoreTestingSelectionForCreateBuilder {
    aws_sdk_backup::types::RestoreTestingSelectionForCreate::builder()
        .restore_testing_selection_name(name)
        .iam_role_arn("arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole")
        .protected_resource_type(kind)
}

#[tokio::test]
async fn restore_testing_selections_round_trip_and_bad_selections_are_refused() {
    use aws_sdk_backup::types::{KeyValue, ProtectedResourceConditions, RestoreTestingSelectionForUpdate};
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    c.create_restore_testing_plan()
        .restore_testing_plan(plan("nightly", "cron(0 5 ? * * *)", "*"))
        .send()
        .await
        .expect("a plan");
    let tagged = ProtectedResourceConditions::builder()
        .string_equals(KeyValue::builder().key("tier").value("gold").build().unwrap())
        .build();
    let table = "arn:aws:dynamodb:us-east-1:000000000000:table/carts";
    let refusals = [
        (
            selection_for("bad-name", "DynamoDB").protected_resource_arns("*"),
            "InvalidParameterValueException",
        ),
        (
            selection_for("carts", "Redshift").protected_resource_arns("*"),
            "InvalidParameterValueException",
        ),
        (
            selection_for("carts", "DynamoDB"),
            "MissingParameterValueException",
        ),
        (
            selection_for("carts", "DynamoDB")
                .protected_resource_arns("*")
                .protected_resource_arns(table),
            "InvalidParameterValueException",
        ),
        (
            selection_for("carts", "DynamoDB")
                .protected_resource_arns(table)
                .protected_resource_conditions(tagged.clone()),
            "InvalidParameterValueException",
        ),
        (
            selection_for("carts", "DynamoDB")
                .protected_resource_arns("*")
                .validation_window_hours(169),
            "InvalidParameterValueException",
        ),
        (
            selection_for("carts", "DynamoDB")
                .iam_role_arn("not-a-role")
                .protected_resource_arns("*"),
            "InvalidParameterValueException",
        ),
    ];
    for (bad, expected) in refusals {
        let err = c
            .create_restore_testing_selection()
            .restore_testing_plan_name("nightly")
            .restore_testing_selection(bad.build().expect("complete"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), expected);
    }
    let none = c
        .list_restore_testing_selections()
        .restore_testing_plan_name("nightly")
        .send()
        .await
        .expect("list");
    assert!(
        none.restore_testing_selections().is_empty(),
        "refusals stored nothing"
    );
    let unknown_plan = c
        .create_restore_testing_selection()
        .restore_testing_plan_name("never_made")
        .restore_testing_selection(
            selection_for("carts", "DynamoDB")
                .protected_resource_arns("*")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unknown_plan), "ResourceNotFoundException");

    let created = c
        .create_restore_testing_selection()
        .restore_testing_plan_name("nightly")
        .restore_testing_selection(
            selection_for("gold_tables", "DynamoDB")
                .protected_resource_arns("*")
                .protected_resource_conditions(tagged)
                .restore_metadata_overrides("targetTableName", "checked")
                .validation_window_hours(6)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(created.restore_testing_selection_name(), "gold_tables");
    assert!(
        created
            .restore_testing_plan_arn()
            .contains(":restore-testing-plan:nightly-")
    );
    let again = c
        .create_restore_testing_selection()
        .restore_testing_plan_name("nightly")
        .restore_testing_selection(
            selection_for("gold_tables", "RDS")
                .protected_resource_arns("*")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "AlreadyExistsException");
    c.create_restore_testing_selection()
        .restore_testing_plan_name("nightly")
        .restore_testing_selection(
            selection_for("orders", "RDS")
                .protected_resource_arns(table)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("a second selection");

    let got = c
        .get_restore_testing_selection()
        .restore_testing_plan_name("nightly")
        .restore_testing_selection_name("gold_tables")
        .send()
        .await
        .expect("get");
    let got = got.restore_testing_selection().expect("a selection");
    assert_eq!(got.protected_resource_type(), "DynamoDB");
    assert_eq!(got.protected_resource_arns(), ["*"]);
    assert_eq!(
        got.protected_resource_conditions().unwrap().string_equals()[0].value(),
        "gold"
    );
    assert_eq!(got.validation_window_hours(), 6);
    assert_eq!(
        got.restore_metadata_overrides()
            .unwrap()
            .get("targetTableName")
            .map(String::as_str),
        Some("checked")
    );

    let bad_update = c
        .update_restore_testing_selection()
        .restore_testing_plan_name("nightly")
        .restore_testing_selection_name("orders")
        .restore_testing_selection(
            RestoreTestingSelectionForUpdate::builder()
                .protected_resource_conditions(ProtectedResourceConditions::builder().build())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&bad_update),
        "InvalidParameterValueException",
        "conditions with specific ARNs"
    );
    let updated = c
        .update_restore_testing_selection()
        .restore_testing_plan_name("nightly")
        .restore_testing_selection_name("orders")
        .restore_testing_selection(
            RestoreTestingSelectionForUpdate::builder()
                .validation_window_hours(0)
                .build(),
        )
        .send()
        .await
        .expect("update");
    assert!(updated.update_time().secs() >= updated.creation_time().secs());

    let page = c
        .list_restore_testing_selections()
        .restore_testing_plan_name("nightly")
        .max_results(1)
        .send()
        .await
        .expect("page 1");
    assert_eq!(
        page.restore_testing_selections()[0].restore_testing_selection_name(),
        "gold_tables"
    );
    let rest = c
        .list_restore_testing_selections()
        .restore_testing_plan_name("nightly")
        .next_token(page.next_token().expect("a second page"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(rest.restore_testing_selections()[0].validation_window_hours(), 0);

    // A plan with selections stays until they are gone.
    let busy = c
        .delete_restore_testing_plan()
        .restore_testing_plan_name("nightly")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&busy), "InvalidRequestException");
    for name in ["gold_tables", "orders"] {
        c.delete_restore_testing_selection()
            .restore_testing_plan_name("nightly")
            .restore_testing_selection_name(name)
            .send()
            .await
            .expect("delete selection");
    }
    let gone = c
        .get_restore_testing_selection()
        .restore_testing_plan_name("nightly")
        .restore_testing_selection_name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "ResourceNotFoundException");
    c.delete_restore_testing_plan()
        .restore_testing_plan_name("nightly")
        .send()
        .await
        .expect("delete the plan");
}

/// A provider without a delete path for what it restored (the in-memory
/// double keeps the default): the restore test's `DeletionStatus` says
/// FAILED, with why, rather than pretending the resource is gone.
#[tokio::test]
async fn a_restored_resource_no_provider_can_delete_is_reported_failed() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    c.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let carts = h.dynamodb.add("us-east-1", "carts", &[], &["a"]);
    c.start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&carts)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    h.server.advance(chrono::Duration::minutes(5)).await;
    let created = c
        .create_restore_testing_plan()
        .restore_testing_plan(plan("undeletable", "cron(0 * ? * * *)", "*"))
        .send()
        .await
        .unwrap();
    c.create_restore_testing_selection()
        .restore_testing_plan_name("undeletable")
        .restore_testing_selection(
            aws_sdk_backup::types::RestoreTestingSelectionForCreate::builder()
                .restore_testing_selection_name("carts")
                .iam_role_arn(ROLE)
                .protected_resource_type("DynamoDB")
                .protected_resource_arns(&carts)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // To 13:00 (the run), then past the job's end and the 0-hour window.
    h.server.advance(chrono::Duration::minutes(56)).await;
    for _ in 0..3 {
        h.server.advance(chrono::Duration::seconds(30)).await;
    }
    let jobs = c
        .list_restore_jobs()
        .by_restore_testing_plan_arn(created.restore_testing_plan_arn())
        .send()
        .await
        .unwrap();
    let job = jobs.restore_jobs().first().expect("the run started a job");
    assert_eq!(
        h.dynamodb
            .restores
            .lock()
            .first()
            .and_then(|r| r.metadata.get("targetTableName").cloned())
            .map(|n| n.starts_with("awsbackup-restore-test-")),
        Some(true),
        "the inferred target name"
    );
    assert_eq!(
        job.deletion_status(),
        Some(&aws_sdk_backup::types::RestoreDeletionStatus::Failed),
        "{job:?}"
    );
    assert!(
        job.deletion_status_message()
            .is_some_and(|m| m.contains("cannot delete a restored DynamoDB resource")),
        "{job:?}"
    );
}
