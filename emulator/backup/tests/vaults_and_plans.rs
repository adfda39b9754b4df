//! Vaults, plans and selections through the official aws-sdk-backup client,
//! including AWS's errors for bad input.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use aws_sdk_backup::types::{
    BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionParameter, ConditionType,
    Conditions, CopyAction, Lifecycle,
};
use common::*;

fn rule(name: &str, vault: &str, cron: &str) -> aws_sdk_backup::types::builders::BackupRuleInputBuilder {
    BackupRuleInput::builder()
        .rule_name(name)
        .target_backup_vault_name(vault)
        .schedule_expression(cron)
}

fn plan(name: &str, rules: Vec<BackupRuleInput>) -> BackupPlanInput {
    BackupPlanInput::builder()
        .backup_plan_name(name)
        .set_rules(Some(rules))
        .build()
        .unwrap()
}

#[tokio::test]
async fn vaults_are_created_described_listed_and_deleted() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    let key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let created = c
        .create_backup_vault()
        .backup_vault_name("primary")
        .encryption_key_arn(key)
        .backup_vault_tags("team", "platform")
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.backup_vault_arn(),
        Some(Harness::vault_arn("us-east-1", "primary").as_str())
    );
    assert!(created.creation_date().is_some());

    let described = c
        .describe_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    assert_eq!(described.encryption_key_arn(), Some(key));
    assert_eq!(described.number_of_recovery_points(), 0);
    assert_eq!(described.vault_state().map(|s| s.as_str()), Some("AVAILABLE"));

    // Duplicate name, bad name, unknown vault.
    let dup = c
        .create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&dup), "AlreadyExistsException");
    let bad = c
        .create_backup_vault()
        .backup_vault_name("no spaces!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "InvalidParameterValueException");
    let short = c
        .create_backup_vault()
        .backup_vault_name("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&short), "InvalidParameterValueException");
    let missing = c
        .describe_backup_vault()
        .backup_vault_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");

    // Regions are separate.
    let west = h.client("us-west-2").await;
    assert!(
        west.list_backup_vaults()
            .send()
            .await
            .unwrap()
            .backup_vault_list()
            .is_empty()
    );
    c.create_backup_vault()
        .backup_vault_name("second")
        .send()
        .await
        .unwrap();
    let list = c.list_backup_vaults().send().await.unwrap();
    let names: Vec<_> = list
        .backup_vault_list()
        .iter()
        .map(|v| v.backup_vault_name().unwrap_or(""))
        .collect();
    assert_eq!(names, ["primary", "second"]);
    let paged = c.list_backup_vaults().max_results(1).send().await.unwrap();
    assert_eq!(paged.backup_vault_list().len(), 1);
    let next = paged.next_token().expect("a second page").to_owned();
    let page2 = c
        .list_backup_vaults()
        .max_results(1)
        .next_token(next)
        .send()
        .await
        .unwrap();
    assert_eq!(page2.backup_vault_list()[0].backup_vault_name(), Some("second"));

    let tags = c
        .list_tags()
        .resource_arn(Harness::vault_arn("us-east-1", "primary"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().and_then(|t| t.get("team")).map(String::as_str),
        Some("platform")
    );

    c.delete_backup_vault()
        .backup_vault_name("second")
        .send()
        .await
        .unwrap();
    let gone = c
        .delete_backup_vault()
        .backup_vault_name("second")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "ResourceNotFoundException");
}

#[tokio::test]
async fn a_vault_with_recovery_points_cannot_be_deleted() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    c.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let arn = h.dynamodb.add("us-east-1", "carts", &[], &["a"]);
    c.start_backup_job()
        .backup_vault_name("primary")
        .resource_arn(&arn)
        .iam_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    h.server.advance(chrono::Duration::seconds(5)).await;
    let err = c
        .delete_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(
        c.describe_backup_vault()
            .backup_vault_name("primary")
            .send()
            .await
            .unwrap()
            .number_of_recovery_points(),
        1
    );
}

#[tokio::test]
async fn plans_are_versioned_and_validated() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    c.create_backup_vault()
        .backup_vault_name("primary")
        .send()
        .await
        .unwrap();
    let hourly = rule("hourly", "primary", "cron(0 * ? * * *)")
        .start_window_minutes(60)
        .completion_window_minutes(120)
        .lifecycle(Lifecycle::builder().delete_after_days(2).build())
        .build()
        .unwrap();
    let daily = rule("daily", "primary", "cron(0 5 ? * * *)")
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(30)
                .delete_after_days(120)
                .build(),
        )
        .copy_actions(
            CopyAction::builder()
                .destination_backup_vault_arn(Harness::vault_arn("us-west-2", "dr"))
                .lifecycle(Lifecycle::builder().delete_after_days(35).build())
                .build()
                .unwrap(),
        )
        .enable_continuous_backup(false)
        .build()
        .unwrap();
    let created = c
        .create_backup_plan()
        .backup_plan(plan("store", vec![hourly.clone(), daily.clone()]))
        .send()
        .await
        .unwrap();
    let id = created.backup_plan_id().unwrap().to_owned();
    let v1 = created.version_id().unwrap().to_owned();
    assert!(
        created
            .backup_plan_arn()
            .unwrap()
            .starts_with("arn:aws:backup:us-east-1:000000000000:backup-plan:")
    );

    let got = c.get_backup_plan().backup_plan_id(&id).send().await.unwrap();
    let doc = got.backup_plan().unwrap();
    assert_eq!(doc.backup_plan_name(), "store");
    assert_eq!(doc.rules().len(), 2);
    let r0 = &doc.rules()[0];
    assert_eq!(r0.schedule_expression(), Some("cron(0 * ? * * *)"));
    assert_eq!(r0.start_window_minutes(), Some(60));
    assert_eq!(r0.lifecycle().and_then(|l| l.delete_after_days()), Some(2));
    let r1 = &doc.rules()[1];
    assert_eq!(r1.start_window_minutes(), Some(480), "AWS's default start window");
    assert_eq!(
        r1.copy_actions()[0].destination_backup_vault_arn(),
        Harness::vault_arn("us-west-2", "dr")
    );
    assert_eq!(
        r1.copy_actions()[0]
            .lifecycle()
            .and_then(|l| l.delete_after_days()),
        Some(35)
    );
    let rule_id = r1.rule_id().unwrap().to_owned();

    // Duplicate plan name.
    let dup = c
        .create_backup_plan()
        .backup_plan(plan("store", vec![hourly.clone()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&dup), "AlreadyExistsException");

    // Update: a new version; the rule kept by name keeps its id.
    let weekly = rule("weekly", "primary", "cron(0 3 ? * SUN *)").build().unwrap();
    let updated = c
        .update_backup_plan()
        .backup_plan_id(&id)
        .backup_plan(plan("store", vec![daily.clone(), weekly]))
        .send()
        .await
        .unwrap();
    let v2 = updated.version_id().unwrap().to_owned();
    assert_ne!(v1, v2);
    let got = c.get_backup_plan().backup_plan_id(&id).send().await.unwrap();
    assert_eq!(got.version_id(), Some(v2.as_str()));
    assert_eq!(
        got.backup_plan().unwrap().rules()[0].rule_id(),
        Some(rule_id.as_str())
    );
    let old = c
        .get_backup_plan()
        .backup_plan_id(&id)
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(old.backup_plan().unwrap().rules()[0].rule_name(), "hourly");
    let versions = c
        .list_backup_plan_versions()
        .backup_plan_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.backup_plan_versions_list().len(), 2);
    let preview = c
        .get_backup_plan()
        .backup_plan_id(&id)
        .max_scheduled_runs_preview(3)
        .send()
        .await
        .unwrap();
    assert_eq!(preview.scheduled_runs_preview().len(), 3);

    // Bad input, each with AWS's code.
    let cases: Vec<(BackupRuleInput, &str)> = vec![
        (
            rule("r", "primary", "cron(0 5 ? * * *)")
                .lifecycle(
                    Lifecycle::builder()
                        .move_to_cold_storage_after_days(30)
                        .delete_after_days(100)
                        .build(),
                )
                .build()
                .unwrap(),
            "InvalidParameterValueException",
        ),
        (
            rule("r", "primary", "cron(0 5 ? * * *)")
                .start_window_minutes(30)
                .build()
                .unwrap(),
            "InvalidParameterValueException",
        ),
        (
            rule("r", "primary", "rate(1 hour)").build().unwrap(),
            "InvalidParameterValueException",
        ),
        (
            rule("r", "primary", "cron(0 5 * * * *)").build().unwrap(),
            "InvalidParameterValueException",
        ),
        (
            rule("r", "nosuchvault", "cron(0 5 ? * * *)").build().unwrap(),
            "InvalidParameterValueException",
        ),
        (
            rule("r", "primary", "cron(0 5 ? * * *)")
                .copy_actions(
                    CopyAction::builder()
                        .destination_backup_vault_arn("not-an-arn")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
            "InvalidParameterValueException",
        ),
    ];
    for (i, (bad_rule, expected)) in cases.into_iter().enumerate() {
        let err = c
            .create_backup_plan()
            .backup_plan(plan(&format!("bad{i}"), vec![bad_rule]))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), expected, "case {i}");
    }
    let no_name = c
        .create_backup_plan()
        .backup_plan(plan("", vec![daily.clone()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_name), "MissingParameterValueException");
    let missing = c
        .get_backup_plan()
        .backup_plan_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");

    // Selections, then deletion order.
    let sel = c
        .create_backup_selection()
        .backup_plan_id(&id)
        .backup_selection(
            BackupSelection::builder()
                .selection_name("production")
                .iam_role_arn(ROLE)
                .resources("arn:aws:dynamodb:*:*:table/*")
                .not_resources("arn:aws:dynamodb:*:*:table/scratch")
                .list_of_tags(
                    Condition::builder()
                        .condition_type(ConditionType::Stringequals)
                        .condition_key("Environment")
                        .condition_value("Production")
                        .build()
                        .unwrap(),
                )
                .conditions(
                    Conditions::builder()
                        .string_not_equals(
                            ConditionParameter::builder()
                                .condition_key("aws:ResourceTag/Backup")
                                .condition_value("skip")
                                .build(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let sel_id = sel.selection_id().unwrap().to_owned();
    let got = c
        .get_backup_selection()
        .backup_plan_id(&id)
        .selection_id(&sel_id)
        .send()
        .await
        .unwrap();
    let s = got.backup_selection().unwrap();
    assert_eq!(s.selection_name(), "production");
    assert_eq!(s.resources(), ["arn:aws:dynamodb:*:*:table/*"]);
    assert_eq!(s.list_of_tags()[0].condition_value(), "Production");
    assert_eq!(
        c.list_backup_selections()
            .backup_plan_id(&id)
            .send()
            .await
            .unwrap()
            .backup_selections_list()
            .len(),
        1
    );
    let no_role = c
        .create_backup_selection()
        .backup_plan_id(&id)
        .backup_selection(
            BackupSelection::builder()
                .selection_name("x")
                .iam_role_arn("")
                .resources("*")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_role), "InvalidParameterValueException");

    let blocked = c
        .delete_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&blocked), "InvalidRequestException");
    c.delete_backup_selection()
        .backup_plan_id(&id)
        .selection_id(&sel_id)
        .send()
        .await
        .unwrap();
    let deleted = c.delete_backup_plan().backup_plan_id(&id).send().await.unwrap();
    assert!(deleted.deletion_date().is_some());
    assert!(
        c.list_backup_plans()
            .send()
            .await
            .unwrap()
            .backup_plans_list()
            .is_empty()
    );
    let with_deleted = c.list_backup_plans().include_deleted(true).send().await.unwrap();
    assert_eq!(with_deleted.backup_plans_list().len(), 1);

    // Every change is in the audit trail, by the caller.
    let events = h.server.env().audit.events();
    for name in [
        "CreateBackupVault",
        "CreateBackupPlan",
        "UpdateBackupPlan",
        "CreateBackupSelection",
        "DeleteBackupPlan",
    ] {
        assert!(
            events
                .iter()
                .any(|e| e.event_name == name && e.principal.contains("user/")),
            "{name} missing from the audit trail"
        );
    }
}

#[tokio::test]
async fn unsupported_operations_answer_in_aws_shape() {
    let h = Harness::start().await;
    let c = h.client("us-east-1").await;
    let err = c.list_legal_holds().send().await.unwrap_err();
    assert_eq!(code(&err), "UnknownOperationException");
    assert!(
        aws_sdk_backup::error::ProvideErrorMetadata::message(&err)
            .unwrap_or("")
            .contains("not supported by firedrill")
    );
}
