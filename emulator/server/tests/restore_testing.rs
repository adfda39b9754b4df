//! AWS Backup restore testing through the official SDK, on the assembled
//! emulator: a plan and a selection run on the emulator clock and start
//! restore jobs tagged with the plan (`CreatedBy.RestoreTestingPlanArn`,
//! the `restoreTestingPlanArn` filter, `ListRestoreJobsByProtectedResource`)
//! from the recovery point the selection's rules choose; restored tables
//! hold the recovery point's items; `PutRestoreValidationResult`'s rules
//! and errors; the restored table deleted once validated or once the
//! validation window closes (`DeletionStatus`), and `TIMED_OUT` for a
//! validation still running then; the same story through the AWS CLI v1
//! (skipped, saying so, where `aws` is not installed).

use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::types::{
    BackupJobState, KeyValue, ProtectedResourceConditions, RestoreDeletionStatus, RestoreJobStatus,
    RestoreJobsListMember, RestoreTestingPlanForCreate, RestoreTestingRecoveryPointSelection,
    RestoreTestingRecoveryPointSelectionAlgorithm, RestoreTestingRecoveryPointType,
    RestoreTestingSelectionForCreate, RestoreValidationStatus,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, Tag,
};
use chrono::Duration;
use firedrill_emulator::{Emulator, EmulatorHandle};

const ROLE: &str = "arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole";

struct Shop {
    emulator: EmulatorHandle,
    backup: aws_sdk_backup::Client,
    ddb: aws_sdk_dynamodb::Client,
}

async fn shop() -> Shop {
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T03:10:00Z".parse().expect("an instant"))
        .start()
        .await
        .expect("emulator starts");
    let sdk = emulator.sdk_config("us-east-1").await;
    let shop = Shop {
        backup: aws_sdk_backup::Client::new(&sdk),
        ddb: aws_sdk_dynamodb::Client::new(&sdk),
        emulator,
    };
    for vault in ["prod", "other"] {
        shop.backup
            .create_backup_vault()
            .backup_vault_name(vault)
            .send()
            .await
            .expect("CreateBackupVault");
    }
    shop
}

impl Shop {
    async fn advance(&self, by: Duration) {
        self.emulator.advance(by).await.expect("advance");
    }

    /// A table `name` tagged `tier`, holding `items` keys; its ARN.
    async fn table(&self, name: &str, tier: &str, items: &[&str]) -> String {
        let arn = self
            .ddb
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
            .billing_mode(BillingMode::PayPerRequest)
            .tags(Tag::builder().key("tier").value(tier).build().expect("tag"))
            .send()
            .await
            .expect("CreateTable")
            .table_description()
            .and_then(|t| t.table_arn())
            .expect("a table ARN")
            .to_owned();
        self.advance(Duration::minutes(1)).await;
        self.put(name, items).await;
        arn
    }

    async fn put(&self, table: &str, items: &[&str]) {
        for pk in items {
            self.ddb
                .put_item()
                .table_name(table)
                .item("pk", AttributeValue::S((*pk).to_owned()))
                .send()
                .await
                .expect("PutItem");
        }
    }

    async fn keys(&self, table: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .ddb
            .scan()
            .table_name(table)
            .send()
            .await
            .expect("Scan")
            .items()
            .iter()
            .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        keys.sort();
        keys
    }

    /// Whether the table `name` exists and is not being deleted.
    async fn table_exists(&self, name: &str) -> bool {
        let described = self.ddb.describe_table().table_name(name).send().await;
        described.is_ok_and(|d| {
            d.table().and_then(|t| t.table_status()) != Some(&aws_sdk_dynamodb::types::TableStatus::Deleting)
        })
    }

    /// A completed on-demand backup of `resource` into `vault`; its recovery point.
    async fn backed_up(&self, vault: &str, resource: &str) -> String {
        let id = self
            .backup
            .start_backup_job()
            .backup_vault_name(vault)
            .resource_arn(resource)
            .iam_role_arn(ROLE)
            .send()
            .await
            .expect("StartBackupJob")
            .backup_job_id()
            .expect("a job id")
            .to_owned();
        self.advance(Duration::minutes(2)).await;
        let job = self
            .backup
            .describe_backup_job()
            .backup_job_id(&id)
            .send()
            .await
            .expect("DescribeBackupJob");
        assert_eq!(job.state(), Some(&BackupJobState::Completed), "{job:?}");
        job.recovery_point_arn().expect("a recovery point").to_owned()
    }

    fn vault_arn(&self, name: &str) -> String {
        format!("arn:aws:backup:us-east-1:000000000000:backup-vault:{name}")
    }

    /// An hourly plan (at minute 0) choosing from `vaults` with `algorithm`; its ARN.
    async fn plan(&self, name: &str, vaults: &[&str], exclude: &[&str], algorithm: &str) -> String {
        let mut selection = RestoreTestingRecoveryPointSelection::builder()
            .algorithm(RestoreTestingRecoveryPointSelectionAlgorithm::from(algorithm))
            .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
            .selection_window_days(7);
        for v in vaults {
            selection = selection.include_vaults(*v);
        }
        for v in exclude {
            selection = selection.exclude_vaults(*v);
        }
        self.backup
            .create_restore_testing_plan()
            .restore_testing_plan(
                RestoreTestingPlanForCreate::builder()
                    .restore_testing_plan_name(name)
                    .schedule_expression("cron(0 * ? * * *)")
                    .start_window_hours(1)
                    .recovery_point_selection(selection.build())
                    .build()
                    .expect("plan"),
            )
            .send()
            .await
            .expect("CreateRestoreTestingPlan")
            .restore_testing_plan_arn()
            .to_owned()
    }

    async fn select(&self, plan: &str, name: &str, arns: &[&str], window_hours: i32) {
        let mut s = RestoreTestingSelectionForCreate::builder()
            .restore_testing_selection_name(name)
            .iam_role_arn(ROLE)
            .protected_resource_type("DynamoDB")
            .validation_window_hours(window_hours);
        for a in arns {
            s = s.protected_resource_arns(*a);
        }
        self.backup
            .create_restore_testing_selection()
            .restore_testing_plan_name(plan)
            .restore_testing_selection(s.build().expect("selection"))
            .send()
            .await
            .expect("CreateRestoreTestingSelection");
    }

    async fn jobs_of(&self, plan_arn: &str) -> Vec<RestoreJobsListMember> {
        self.backup
            .list_restore_jobs()
            .by_restore_testing_plan_arn(plan_arn)
            .send()
            .await
            .expect("ListRestoreJobs")
            .restore_jobs()
            .to_vec()
    }

    async fn describe(
        &self,
        id: &str,
    ) -> aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput {
        self.backup
            .describe_restore_job()
            .restore_job_id(id)
            .send()
            .await
            .expect("DescribeRestoreJob")
    }

    /// Runs the clock in short steps until every job of `plan_arn` has ended.
    async fn ended_jobs_of(&self, plan_arn: &str) -> Vec<RestoreJobsListMember> {
        for _ in 0..20 {
            let jobs = self.jobs_of(plan_arn).await;
            if !jobs.is_empty()
                && jobs.iter().all(|j| {
                    matches!(
                        j.status(),
                        Some(RestoreJobStatus::Completed | RestoreJobStatus::Failed)
                    )
                })
            {
                return jobs;
            }
            self.advance(Duration::seconds(30)).await;
        }
        panic!("the restore jobs of {plan_arn} did not end");
    }

    fn restored_table(job: &RestoreJobsListMember) -> String {
        job.created_resource_arn()
            .and_then(|a| a.rsplit('/').next())
            .expect("a created table")
            .to_owned()
    }
}

#[tokio::test]
async fn a_scheduled_run_restores_the_latest_point_in_the_window_tagged_with_its_plan() {
    let s = shop().await;
    let orders = s.table("orders", "gold", &["o1", "o2"]).await;
    let carts = s.table("carts", "bronze", &["c1"]).await;
    let _older = s.backed_up("prod", &orders).await;
    s.put("orders", &["o3"]).await;
    let latest = s.backed_up("prod", &orders).await;
    s.put("orders", &["o4-after-the-backup"]).await;
    let _carts_point = s.backed_up("prod", &carts).await;
    let plan = s.plan("nightly", &["*"], &[], "LATEST_WITHIN_WINDOW").await;
    s.select("nightly", "orders_only", &[&orders], 2).await;
    assert!(
        s.jobs_of(&plan).await.is_empty(),
        "nothing runs before the schedule"
    );

    // 03:15 → 04:00 is the first instant of the hourly schedule.
    s.advance(Duration::minutes(50)).await;
    let jobs = s.ended_jobs_of(&plan).await;
    assert_eq!(
        jobs.len(),
        1,
        "one restore for the one selected resource: {jobs:?}"
    );
    let job = &jobs[0];
    assert_eq!(job.status(), Some(&RestoreJobStatus::Completed), "{job:?}");
    assert_eq!(
        job.recovery_point_arn(),
        Some(latest.as_str()),
        "the newest point"
    );
    assert_eq!(job.source_resource_arn(), Some(orders.as_str()));
    assert_eq!(
        job.created_by().and_then(|c| c.restore_testing_plan_arn()),
        Some(plan.as_str())
    );
    let restored = Shop::restored_table(job);
    assert!(restored.starts_with("awsbackup-restore-test-"), "{restored}");
    assert_eq!(
        s.keys(&restored).await,
        ["o1", "o2", "o3"],
        "the restored table holds the recovery point's items"
    );
    let described = s.describe(job.restore_job_id().expect("an id")).await;
    assert_eq!(
        described.created_by().and_then(|c| c.restore_testing_plan_arn()),
        Some(plan.as_str())
    );
    assert_eq!(described.validation_status(), None, "no validation put yet");
    assert_eq!(
        described.deletion_status(),
        None,
        "kept for its validation window"
    );

    let by_resource = s
        .backup
        .list_restore_jobs_by_protected_resource()
        .resource_arn(&orders)
        .send()
        .await
        .expect("ListRestoreJobsByProtectedResource");
    assert_eq!(by_resource.restore_jobs().len(), 1);
    assert_eq!(
        by_resource.restore_jobs()[0]
            .created_by()
            .and_then(|c| c.restore_testing_plan_arn()),
        Some(plan.as_str())
    );
    let other = s
        .backup
        .list_restore_jobs()
        .by_restore_testing_plan_arn("arn:aws:backup:us-east-1:000000000000:restore-testing-plan:none-abcdef")
        .send()
        .await
        .expect("ListRestoreJobs");
    assert!(
        other.restore_jobs().is_empty(),
        "another plan's filter matches none"
    );
    let fetched = s
        .backup
        .get_restore_testing_plan()
        .restore_testing_plan_name("nightly")
        .send()
        .await
        .expect("GetRestoreTestingPlan");
    assert!(
        fetched
            .restore_testing_plan()
            .and_then(|p| p.last_execution_time())
            .is_some(),
        "{fetched:?}"
    );

    // The next hour runs again: a second job.
    s.advance(Duration::hours(1)).await;
    let jobs = s.ended_jobs_of(&plan).await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
}

#[tokio::test]
async fn vaults_resource_conditions_and_the_selection_window_narrow_the_choice() {
    let s = shop().await;
    let gold = s.table("gold_table", "gold", &["g"]).await;
    let bronze = s.table("bronze_table", "bronze", &["b"]).await;
    let gold_in_other = s.backed_up("other", &gold).await;
    let _gold_in_prod = s.backed_up("prod", &gold).await;
    let _bronze_in_other = s.backed_up("other", &bronze).await;
    // Only the "other" vault, by ARN; "prod" excluded besides.
    let plan = s
        .plan(
            "tagged",
            &[&s.vault_arn("other")],
            &[&s.vault_arn("prod")],
            "RANDOM_WITHIN_WINDOW",
        )
        .await;
    s.backup
        .create_restore_testing_selection()
        .restore_testing_plan_name("tagged")
        .restore_testing_selection(
            RestoreTestingSelectionForCreate::builder()
                .restore_testing_selection_name("gold_tier")
                .iam_role_arn(ROLE)
                .protected_resource_type("DynamoDB")
                .protected_resource_arns("*")
                .protected_resource_conditions(
                    ProtectedResourceConditions::builder()
                        .string_equals(
                            KeyValue::builder()
                                .key("aws:ResourceTag/tier")
                                .value("gold")
                                .build()
                                .expect("kv"),
                        )
                        .build(),
                )
                .build()
                .expect("selection"),
        )
        .send()
        .await
        .expect("CreateRestoreTestingSelection");
    s.advance(Duration::minutes(50)).await;
    let jobs = s.ended_jobs_of(&plan).await;
    assert_eq!(jobs.len(), 1, "the gold table only: {jobs:?}");
    assert_eq!(
        jobs[0].recovery_point_arn(),
        Some(gold_in_other.as_str()),
        "its point in the included vault"
    );

    // Eight days on, every point is older than the 7-day selection window:
    // a run restores nothing.
    let count = jobs.len();
    s.backup
        .update_restore_testing_plan()
        .restore_testing_plan_name("tagged")
        .restore_testing_plan(
            aws_sdk_backup::types::RestoreTestingPlanForUpdate::builder()
                .schedule_expression("cron(0 4 ? * * *)")
                .build(),
        )
        .send()
        .await
        .expect("UpdateRestoreTestingPlan");
    s.advance(Duration::days(8)).await;
    s.advance(Duration::minutes(1)).await;
    let later = s.jobs_of(&plan).await;
    assert_eq!(
        later.len(),
        count + 6,
        "the daily runs of days 1 to 6 restored; from day 7 on the points are older than the window"
    );
}

#[tokio::test]
async fn put_restore_validation_result_follows_aws_rules() {
    let s = shop().await;
    let orders = s.table("orders", "gold", &["o1"]).await;
    let point = s.backed_up("prod", &orders).await;
    let plan = s.plan("rules", &["*"], &[], "LATEST_WITHIN_WINDOW").await;
    s.select("rules", "orders", &[&orders], 4).await;
    s.advance(Duration::minutes(50)).await;
    let jobs = s.ended_jobs_of(&plan).await;
    let id = jobs[0].restore_job_id().expect("an id").to_owned();

    let unknown = s
        .backup
        .put_restore_validation_result()
        .restore_job_id("00000000-0000-0000-0000-000000000000")
        .validation_status(RestoreValidationStatus::Successful)
        .send()
        .await
        .expect_err("an unknown job");
    assert_eq!(unknown.code(), Some("ResourceNotFoundException"), "{unknown:?}");

    let manual = s
        .backup
        .start_restore_job()
        .recovery_point_arn(&point)
        .iam_role_arn(ROLE)
        .metadata("targetTableName", "by_hand")
        .send()
        .await
        .expect("StartRestoreJob")
        .restore_job_id()
        .expect("an id")
        .to_owned();
    s.advance(Duration::minutes(1)).await;
    let not_a_test = s
        .backup
        .put_restore_validation_result()
        .restore_job_id(&manual)
        .validation_status(RestoreValidationStatus::Successful)
        .send()
        .await
        .expect_err("a job no restore testing plan started");
    assert_eq!(
        not_a_test.code(),
        Some("InvalidRequestException"),
        "{not_a_test:?}"
    );
    assert_eq!(s.describe(&manual).await.created_by(), None);

    let bogus = s
        .backup
        .put_restore_validation_result()
        .restore_job_id(&id)
        .validation_status(RestoreValidationStatus::from("PERFECT"))
        .send()
        .await
        .expect_err("a status outside the enum");
    assert_eq!(bogus.code(), Some("InvalidParameterValueException"), "{bogus:?}");

    s.backup
        .put_restore_validation_result()
        .restore_job_id(&id)
        .validation_status(RestoreValidationStatus::Validating)
        .validation_status_message("checking records")
        .send()
        .await
        .expect("VALIDATING");
    let job = s.describe(&id).await;
    assert_eq!(
        job.validation_status(),
        Some(&RestoreValidationStatus::Validating)
    );
    assert_eq!(job.validation_status_message(), Some("checking records"));
    s.advance(Duration::minutes(1)).await;
    assert_eq!(
        s.describe(&id).await.deletion_status(),
        None,
        "VALIDATING is not final: the table stays"
    );

    s.backup
        .put_restore_validation_result()
        .restore_job_id(&id)
        .validation_status(RestoreValidationStatus::Successful)
        .validation_status_message("3 of 3 records match")
        .send()
        .await
        .expect("SUCCESSFUL");
    let listed = s.jobs_of(&plan).await;
    assert_eq!(
        listed[0].validation_status(),
        Some(&RestoreValidationStatus::Successful)
    );
    assert_eq!(
        listed[0].validation_status_message(),
        Some("3 of 3 records match")
    );

    // A final result ends the validation: the restored table is deleted at
    // the next tick, long before the 4-hour window closes.
    let restored = Shop::restored_table(&listed[0]);
    assert!(s.table_exists(&restored).await);
    s.advance(Duration::minutes(1)).await;
    let job = s.describe(&id).await;
    assert_eq!(
        job.deletion_status(),
        Some(&RestoreDeletionStatus::Successful),
        "{job:?}"
    );
    assert!(!s.table_exists(&restored).await, "the restored table is gone");
    assert!(s.table_exists("orders").await, "the source table stays");
    let late = s
        .backup
        .put_restore_validation_result()
        .restore_job_id(&id)
        .validation_status(RestoreValidationStatus::Failed)
        .send()
        .await
        .expect_err("after the deletion");
    assert_eq!(late.code(), Some("InvalidRequestException"), "{late:?}");
}

#[tokio::test]
async fn the_validation_window_closing_deletes_the_restore_and_times_out_a_running_validation() {
    let s = shop().await;
    let orders = s.table("orders", "gold", &["o1"]).await;
    let carts = s.table("carts", "gold", &["c1"]).await;
    s.backed_up("prod", &orders).await;
    s.backed_up("prod", &carts).await;
    let plan = s.plan("windowed", &["*"], &[], "LATEST_WITHIN_WINDOW").await;
    s.select("windowed", "both", &[&orders, &carts], 2).await;
    s.advance(Duration::minutes(50)).await;
    let jobs = s.ended_jobs_of(&plan).await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let validating = jobs[0].restore_job_id().expect("an id").to_owned();
    let silent = jobs[1].restore_job_id().expect("an id").to_owned();
    s.backup
        .put_restore_validation_result()
        .restore_job_id(&validating)
        .validation_status(RestoreValidationStatus::Validating)
        .send()
        .await
        .expect("VALIDATING");

    s.advance(Duration::minutes(90)).await;
    for id in [&validating, &silent] {
        assert_eq!(s.describe(id).await.deletion_status(), None, "inside the window");
    }
    s.advance(Duration::minutes(31)).await;
    let timed_out = s.describe(&validating).await;
    assert_eq!(
        timed_out.validation_status(),
        Some(&RestoreValidationStatus::TimedOut)
    );
    assert_eq!(
        timed_out.deletion_status(),
        Some(&RestoreDeletionStatus::Successful)
    );
    let quiet = s.describe(&silent).await;
    assert_eq!(quiet.validation_status(), None, "no validation was ever put");
    assert_eq!(quiet.deletion_status(), Some(&RestoreDeletionStatus::Successful));
    for job in &jobs {
        assert!(!s.table_exists(&Shop::restored_table(job)).await);
    }
}

/// The AWS CLI (v1, botocore's model) with test credentials, against `endpoint`.
async fn aws(endpoint: &str, args: &[&str]) -> serde_json::Value {
    let out = tokio::process::Command::new("aws")
        .args(args)
        .args([
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIAFIREDRILLTEST")
        .env("AWS_SECRET_ACCESS_KEY", "firedrill-test-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run aws");
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("aws prints JSON")
}

#[tokio::test]
async fn the_aws_cli_runs_a_restore_testing_plan_and_puts_its_validation() {
    let installed = std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!("SKIPPED: the AWS CLI (`aws`) is not installed");
        return;
    }
    let s = shop().await;
    let endpoint = s.emulator.endpoint().to_owned();
    let orders = s.table("orders", "gold", &["o1", "o2"]).await;
    s.backed_up("prod", &orders).await;
    let plan = aws(
        &endpoint,
        &[
            "backup",
            "create-restore-testing-plan",
            "--restore-testing-plan",
            r#"{"RestoreTestingPlanName":"cli_plan","ScheduleExpression":"cron(0 * ? * * *)","StartWindowHours":1,"RecoveryPointSelection":{"Algorithm":"LATEST_WITHIN_WINDOW","IncludeVaults":["*"],"RecoveryPointTypes":["SNAPSHOT"]}}"#,
        ],
    )
    .await;
    let plan_arn = plan["RestoreTestingPlanArn"]
        .as_str()
        .expect("a plan ARN")
        .to_owned();
    let selection = format!(
        r#"{{"RestoreTestingSelectionName":"orders","IamRoleArn":"{ROLE}","ProtectedResourceType":"DynamoDB","ProtectedResourceArns":["{orders}"],"ValidationWindowHours":1}}"#
    );
    aws(
        &endpoint,
        &[
            "backup",
            "create-restore-testing-selection",
            "--restore-testing-plan-name",
            "cli_plan",
            "--restore-testing-selection",
            &selection,
        ],
    )
    .await;
    s.advance(Duration::minutes(50)).await;
    s.ended_jobs_of(&plan_arn).await;
    let listed = aws(
        &endpoint,
        &[
            "backup",
            "list-restore-jobs",
            "--by-restore-testing-plan-arn",
            &plan_arn,
        ],
    )
    .await;
    let jobs = listed["RestoreJobs"].as_array().expect("RestoreJobs");
    assert_eq!(jobs.len(), 1, "{listed}");
    assert_eq!(
        jobs[0]["CreatedBy"]["RestoreTestingPlanArn"],
        plan_arn.as_str(),
        "{listed}"
    );
    assert_eq!(jobs[0]["Status"], "COMPLETED", "{listed}");
    let id = jobs[0]["RestoreJobId"].as_str().expect("an id").to_owned();
    aws(
        &endpoint,
        &[
            "backup",
            "put-restore-validation-result",
            "--restore-job-id",
            &id,
            "--validation-status",
            "SUCCESSFUL",
            "--validation-status-message",
            "2 of 2 items",
        ],
    )
    .await;
    let job = aws(
        &endpoint,
        &["backup", "describe-restore-job", "--restore-job-id", &id],
    )
    .await;
    assert_eq!(job["ValidationStatus"], "SUCCESSFUL", "{job}");
    assert_eq!(job["ValidationStatusMessage"], "2 of 2 items", "{job}");
    s.advance(Duration::minutes(1)).await;
    let job = aws(
        &endpoint,
        &["backup", "describe-restore-job", "--restore-job-id", &id],
    )
    .await;
    assert_eq!(job["DeletionStatus"], "SUCCESSFUL", "{job}");
}
