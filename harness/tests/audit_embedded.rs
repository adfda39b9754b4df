//! `firedrill audit` against the embedded emulator: the shop provisioned
//! under each seed policy gives exactly the findings its design deserves,
//! a hand-built mix is resolved by tags the way AWS Backup resolves it, the
//! SARIF log holds to the 2.1.0 structure, and the audit makes no mutating
//! call (its own guard refuses one, and the emulator's trail records none).
//! Skipped, with a line saying so, where PostgreSQL is not installed (the
//! shop needs RDS).

use firedrill::audit::command::provision_seed;
use firedrill::audit::readonly::{GuardedClients, ReadOnlyGuard, is_read_only};
use firedrill::audit::{AuditReport, CheckOptions, Severity, audit, checks, drill, shop_layers};
use firedrill::model::StoreNames;
use firedrill::stack::{EmbeddedOptions, EmbeddedTarget};
use firedrill::target::Clients;
use serde_json::Value;
use std::collections::BTreeSet;

#[path = "support/drills.rs"]
#[allow(dead_code)]
mod drills;

const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

fn regions() -> Vec<String> {
    REGIONS.iter().map(|r| (*r).to_owned()).collect()
}

fn options() -> CheckOptions {
    CheckOptions {
        peak_hours: None,
        layers: shop_layers(&StoreNames::new("shop").unwrap()),
    }
}

/// The shop under `policy` on a fresh emulator, audited; asserts on the way
/// that the emulator recorded no mutating call while the audit ran.
async fn audited(policy: &str) -> Option<AuditReport> {
    if !drills::postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the shop needs RDS)");
        return None;
    }
    let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.unwrap();
    provision_seed(&target, policy, "shop").await.unwrap();
    let before = target.emulator().admin().audit().await.unwrap().len();
    let report = audit(&target, &regions(), &options()).await.unwrap();
    let trail = target.emulator().admin().audit().await.unwrap();
    target.shutdown().await;
    let during: Vec<_> = trail[before..]
        .iter()
        .filter(|e| !is_read_only(&e.event_name))
        .collect();
    assert!(during.is_empty(), "mutating calls during the audit: {during:?}");
    assert!(!report.calls.is_empty());
    for call in &report.calls {
        let op = call.split(':').nth(1).unwrap();
        assert!(is_read_only(op), "{call}");
    }
    Some(report)
}

fn pairs(report: &AuditReport) -> BTreeSet<(String, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.check.clone(), f.resource.clone()))
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(c, r)| ((*c).to_owned(), (*r).to_owned()))
        .collect()
}

/// What an unprotected shop shows: every layer exposed.
fn unprotected() -> BTreeSet<(String, String)> {
    let n = StoreNames::new("shop").unwrap();
    let mut out = set(&[
        ("rds_instance_backup_enabled", &n.db_instance),
        ("order_data_rpo_over_5_minutes", &n.db_instance),
        ("rds-resources-protected-by-backup-plan", &n.db_instance),
        ("backup_plans_exist", "us-east-1"),
        ("no_restore_tested_in_90_days", "us-east-1"),
    ]);
    for (r, _) in shop_layers(&n) {
        out.extend(set(&[("no_cross_region_copy", &r)]));
    }
    for t in [&n.carts_table, &n.sessions_table] {
        out.extend(set(&[
            ("dynamodb_tables_pitr_enabled", t),
            ("dynamodb-resources-protected-by-backup-plan", t),
        ]));
    }
    for b in [&n.images_bucket, &n.invoices_bucket, &n.templates_bucket] {
        out.extend(set(&[
            ("s3_bucket_object_versioning", b),
            ("s3-resources-protected-by-backup-plan", b),
            ("s3_bucket_cross_region_replication", b),
            ("s3_bucket_object_lock", b),
        ]));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn none_exposes_every_layer() {
    let Some(report) = audited("none").await else {
        return;
    };
    assert_eq!(pairs(&report), unprotected(), "{}", report.to_text());
    for e in &report.rpo {
        assert_eq!(e.in_region_seconds, None, "{e:?}");
        assert_eq!(e.region_loss_seconds, None, "{e:?}");
    }
    assert!(report.fails(Severity::High));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_hope_has_the_named_gaps_and_its_snapshots_bound_nothing() {
    let Some(report) = audited("backup_hope").await else {
        return;
    };
    // The nightly job's snapshots are not configuration AWS can show: the
    // gaps are those of no protection at all.
    assert_eq!(pairs(&report), unprotected(), "{}", report.to_text());
    let n = StoreNames::new("shop").unwrap();
    let rds = report.of("rds_instance_backup_enabled");
    assert_eq!(rds.len(), 1);
    assert!(
        rds[0].evidence.contains("BackupRetentionPeriod is 0")
            && rds[0].evidence.contains("1 manual snapshot(s)"),
        "{}",
        rds[0].evidence
    );
    let orders = report.rpo.iter().find(|e| e.layer == "orders").unwrap();
    assert_eq!(orders.resource, n.db_instance);
    assert_eq!(orders.in_region_seconds, None);
    assert!(orders.in_region_basis.contains("manual snapshot"), "{orders:?}");
    let carts = report.rpo.iter().find(|e| e.layer == "carts").unwrap();
    assert!(carts.in_region_basis.contains("1 on-demand backup"), "{carts:?}");
    let pitr = report.of("dynamodb_tables_pitr_enabled");
    assert!(pitr.iter().all(|f| f.severity == Severity::High));
    assert_eq!(
        pitr.iter()
            .filter_map(|f| f.layer.as_deref())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["carts", "sessions"])
    );

    let sarif = report.to_sarif();
    validate_sarif(&sarif).unwrap_or_else(|e| panic!("{e}\n{sarif:#}"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    let errors = results.iter().filter(|r| r["level"] == "error").count();
    assert_eq!(
        errors,
        report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::High)
            .count()
    );
    // The mirror is the account's configuration: nothing protects anything,
    // and each finding on the shop has its scenario.
    let mirror = drill::mirror_policy(&report, &n).unwrap();
    let bare = firedrill::policy::none();
    assert_eq!(
        (&mirror.policy.rds, &mirror.policy.dynamodb, &mirror.policy.s3),
        (&bare.rds, &bare.dynamodb, &bare.s3)
    );
    assert!(mirror.policy.backup_plan.is_none() && mirror.policy.snapshot_job.is_none());
    let planned: Vec<String> = drill::scenarios_for(&report, &n)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        planned,
        [
            "junior-dev-cart-batch-delete",
            "invoice-bucket-mass-delete-and-ransomware",
            "flash-sale-corrupted-orders",
            "us-east-1-outage-during-sale",
        ]
    );
    // One of them played end to end: the cart batch delete costs carts.
    let dir = drill::shipped_scenarios_dir();
    let scenario = drill::scenario_under(&dir, &planned[0], &mirror.policy).unwrap();
    let played = EmbeddedTarget::play(&scenario, &firedrill::drill::DrillOptions::default())
        .await
        .unwrap();
    assert!(!played.check.recovered(), "{}", played.to_text());
    assert!(played.check.rpo.records_lost > 0, "{}", played.to_text());
    // And the outage: nothing was copied to us-west-2, so the failover
    // restores nothing and every layer is missing there. A measured loss
    // with its RPO and RTO, never unknown.
    let scenario = drill::scenario_under(&dir, &planned[3], &mirror.policy).unwrap();
    let played = EmbeddedTarget::play(&scenario, &firedrill::drill::DrillOptions::default())
        .await
        .unwrap();
    let text = played.to_text();
    assert_eq!(
        played.check.verdict,
        firedrill::checker::Verdict::Invalid,
        "{text}"
    );
    assert!(played.check.unknown.is_empty(), "{text}");
    assert!(
        played.check.rpo.records_lost > 0 && played.check.rpo.seconds > 0.0,
        "{text}"
    );
    assert!(played.check.rto.is_some(), "{text}");
    for layer in played.check.layers.iter().filter(|l| l.records_expected > 0) {
        assert_eq!(layer.verdict, firedrill::checker::Verdict::Invalid, "{text}");
        assert_eq!(layer.census.correct, 0, "{text}");
    }
    let run = played.recovery.as_ref().unwrap();
    assert!(run.error.is_none(), "{text}");
    assert!(
        run.checklist
            .iter()
            .any(|s| s.detail.contains("no copy in us-west-2")),
        "{:#?}",
        run.checklist
    );

    let markdown = report.to_markdown();
    assert!(markdown.contains("| high | `dynamodb_tables_pitr_enabled` | us-east-1 | shop-carts |"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_layer_is_clean_of_high_findings() {
    let Some(report) = audited("four_layer").await else {
        return;
    };
    let n = StoreNames::new("shop").unwrap();
    let mut expected = set(&[
        ("backup_vaults_lock_enabled", &n.backup_vault),
        ("no_restore_tested_in_90_days", "us-east-1"),
    ]);
    for (r, _) in shop_layers(&n) {
        expected.extend(set(&[("no_cross_account_copy", &r)]));
    }
    for b in [&n.images_bucket, &n.invoices_bucket, &n.templates_bucket] {
        expected.extend(set(&[
            ("s3_bucket_cross_region_replication", b),
            ("s3_bucket_object_lock", b),
        ]));
    }
    assert_eq!(pairs(&report), expected, "{}", report.to_text());
    // The vault is in both regions: one finding each.
    assert_eq!(report.of("backup_vaults_lock_enabled").len(), 2);
    assert!(!report.fails(Severity::High));
    assert!(report.fails(Severity::Medium));

    // Every layer is covered by the plan, restores to within 5 minutes in
    // the region (S3: nothing lost), and has a copy in us-west-2 bounded by
    // the hourly rule: 60m gap + 60m start window + 180m completion window.
    assert_eq!(report.rpo.len(), 6);
    for e in &report.rpo {
        let expected = if e.arn.starts_with("arn:aws:s3") { 0 } else { 300 };
        assert_eq!(e.in_region_seconds, Some(expected), "{e:?}");
        assert_eq!(e.region_loss_seconds, Some(5 * 3600), "{e:?}");
        assert!(e.region_loss_basis.contains("us-west-2"), "{e:?}");
    }
    let plan = &report.inventory.regions[0].plans[0];
    assert_eq!(
        plan.rules.iter().map(|r| r.worst_gap_minutes).collect::<Vec<_>>(),
        [Some(60), Some(1440), Some(10080)]
    );
    assert_eq!(plan.selections[0].covers.len(), 6);

    // Mirrored, the audited configuration is the four-layer design again
    // (the lifecycle rule is named as not mirrored), and no finding needs a drill.
    let mirror = drill::mirror_policy(&report, &n).unwrap();
    let four = firedrill::policy::four_layer();
    assert_eq!(mirror.policy.rds, four.rds);
    assert_eq!(mirror.policy.dynamodb, four.dynamodb);
    assert!(mirror.policy.s3.versioning);
    assert_eq!(mirror.policy.backup_plan, four.backup_plan);
    assert_eq!(mirror.approximations.len(), 1, "{:?}", mirror.approximations);
    assert!(drill::scenarios_for(&report, &n).is_empty());

    // Peak hours are a pure re-run over the same inventory: the 03:00-04:00
    // RDS window and the daily and weekly rules at 03:00 fall in 02:30-03:30.
    let mut with_peak = options();
    with_peak.peak_hours = Some(firedrill::policy::parse_window("02:30-03:30").unwrap());
    let peak: BTreeSet<_> = checks::run(&report.inventory, &with_peak)
        .into_iter()
        .filter(|f| f.check == "backup_window_overlaps_peak_hours")
        .map(|f| f.evidence)
        .collect();
    assert_eq!(peak.len(), 3, "{peak:?}");
    assert!(
        peak.iter()
            .any(|e| e.contains("PreferredBackupWindow 03:00-04:00"))
    );
    let mut off_peak = options();
    off_peak.peak_hours = Some(firedrill::policy::parse_window("18:00-22:00").unwrap());
    assert!(
        checks::run(&report.inventory, &off_peak)
            .iter()
            .all(|f| f.check != "backup_window_overlaps_peak_hours")
    );
}

/// Tables, a bucket and a plan made by hand through the SDKs: coverage by
/// tag and condition, a rule too short-lived for AWS Config's check, and no
/// PostgreSQL needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_built_mix_is_resolved_by_tags() {
    use aws_sdk_backup::types::{
        BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionParameter, ConditionType,
        Conditions, Lifecycle, RestoreTestingPlanForCreate, RestoreTestingRecoveryPointSelection,
        RestoreTestingRecoveryPointSelectionAlgorithm, RestoreTestingRecoveryPointType,
    };
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, Tag};
    let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.unwrap();
    let c = Clients::primary(&target);
    for (name, tags) in [
        ("tagged-prod", vec![("backup", "daily"), ("env", "prod")]),
        ("tagged-dev", vec![("backup", "daily"), ("env", "dev")]),
        ("untagged", vec![]),
    ] {
        c.dynamodb
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
    }
    c.backup
        .create_backup_vault()
        .backup_vault_name("mix-vault")
        .send()
        .await
        .unwrap();
    let plan = c
        .backup
        .create_backup_plan()
        .backup_plan(
            BackupPlanInput::builder()
                .backup_plan_name("mix-plan")
                .rules(
                    BackupRuleInput::builder()
                        .rule_name("daily-week")
                        .target_backup_vault_name("mix-vault")
                        .schedule_expression("cron(0 5 ? * * *)")
                        .lifecycle(Lifecycle::builder().delete_after_days(7).build())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.backup
        .create_backup_selection()
        .backup_plan_id(plan.backup_plan_id.unwrap())
        .backup_selection(
            BackupSelection::builder()
                .selection_name("daily-prod")
                .iam_role_arn("arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole")
                .list_of_tags(
                    Condition::builder()
                        .condition_type(ConditionType::Stringequals)
                        .condition_key("backup")
                        .condition_value("daily")
                        .build()
                        .unwrap(),
                )
                .conditions(
                    Conditions::builder()
                        .string_equals(
                            ConditionParameter::builder()
                                .condition_key("aws:ResourceTag/env")
                                .condition_value("prod")
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

    let report = audit(&target, &["us-east-1".to_owned()], &CheckOptions::default())
        .await
        .unwrap();

    // The guard refuses a mutating call before it is sent: no vault appears.
    let guard = ReadOnlyGuard::default();
    let guarded = GuardedClients::new(&target, "us-east-1", &guard);
    let err = guarded
        .backup
        .create_backup_vault()
        .backup_vault_name("sneaky")
        .send()
        .await
        .unwrap_err();
    let shown = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&err));
    assert!(
        shown.contains("read-only") && shown.contains("CreateBackupVault"),
        "{shown}"
    );
    assert!(guard.calls().is_empty());
    let vaults = c.backup.list_backup_vaults().send().await.unwrap();
    assert_eq!(vaults.backup_vault_list.unwrap_or_default().len(), 1);

    // No restore was ever tested; a restore testing plan, read back through
    // ListRestoreTestingPlans, clears the finding.
    let untested = report.of("no_restore_tested_in_90_days");
    assert_eq!(untested.len(), 1, "{:?}", report.findings);
    assert!(
        untested[0].evidence.ends_with("and no restore testing plan"),
        "{}",
        untested[0].evidence
    );
    c.backup
        .create_restore_testing_plan()
        .restore_testing_plan(
            RestoreTestingPlanForCreate::builder()
                .restore_testing_plan_name("weekly_restore_test")
                .schedule_expression("cron(0 5 ? * 1 *)")
                .recovery_point_selection(
                    RestoreTestingRecoveryPointSelection::builder()
                        .algorithm(RestoreTestingRecoveryPointSelectionAlgorithm::LatestWithinWindow)
                        .include_vaults("*")
                        .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tested = audit(&target, &["us-east-1".to_owned()], &CheckOptions::default())
        .await
        .unwrap();
    target.shutdown().await;
    let plans = &tested.inventory.regions[0].restore_testing;
    assert_eq!(plans.len(), 1, "{plans:?}");
    assert_eq!(plans[0].name, "weekly_restore_test");
    assert_eq!(plans[0].last_run, None);
    assert!(plans[0].created.is_some());
    assert!(
        tested.of("no_restore_tested_in_90_days").is_empty(),
        "{:?}",
        tested.findings
    );
    assert!(
        tested
            .calls
            .iter()
            .any(|c| c.ends_with(":ListRestoreTestingPlans")),
        "{:?}",
        tested.calls
    );

    let selection = &report.inventory.regions[0].plans[0].selections[0];
    assert_eq!(selection.list_of_tags, ["backup=daily"]);
    assert_eq!(selection.conditions, ["StringEquals aws:ResourceTag/env=prod"]);
    assert_eq!(selection.covers.len(), 1, "{selection:?}");
    assert!(selection.covers[0].ends_with(":table/tagged-prod"));
    let unprotected: BTreeSet<_> = report
        .of("dynamodb-resources-protected-by-backup-plan")
        .iter()
        .map(|f| f.resource.clone())
        .collect();
    assert_eq!(
        unprotected,
        BTreeSet::from(["tagged-dev".to_owned(), "untagged".to_owned()])
    );
    let freq = report.of("backup-plan-min-frequency-and-min-retention-check");
    assert_eq!(freq.len(), 1);
    assert!(
        freq[0].evidence.contains("daily-week every 1d kept 7d"),
        "{}",
        freq[0].evidence
    );
    // The covered table restores to the last daily run: 24h + the default 8h start window.
    let prod = report.rpo.iter().find(|e| e.resource == "tagged-prod").unwrap();
    assert_eq!(prod.in_region_seconds, Some(32 * 3600), "{prod:?}");
    let dev = report.rpo.iter().find(|e| e.resource == "tagged-dev").unwrap();
    assert_eq!(dev.in_region_seconds, None);
    assert_eq!(report.of("backup_vault_kms_key_customer_managed").len(), 1);
    assert!(report.of("backup_plans_exist").is_empty());
}

/// A 7-day retention is flagged, mirrored as it is, and drilled with the
/// corruption found on day 9: the point-in-time restore is refused (the
/// window starts after the corruption) and the corrupted orders stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seven_day_retention_is_drilled_with_the_corruption_found_on_day_9() {
    if !drills::postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the shop needs RDS)");
        return;
    }
    let mut policy = firedrill::policy::none();
    policy.name = "rds_7_days".into();
    policy.rds.retention_days = 7;
    policy.rds.backup_window = Some("03:00-04:00".into());
    let n = StoreNames::new("shop").unwrap();
    let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.unwrap();
    firedrill::policy::provision(&target, &policy, &n).await.unwrap();
    let report = audit(&target, &regions(), &options()).await.unwrap();
    target.shutdown().await;

    let retention = report.of("rds_backup_retention_under_14_days");
    assert_eq!(retention.len(), 1, "{}", report.to_text());
    assert_eq!(retention[0].resource, n.db_instance);
    assert!(
        retention[0].evidence.contains("BackupRetentionPeriod is 7 days"),
        "{}",
        retention[0].evidence
    );
    assert!(report.of("rds_instance_backup_enabled").is_empty());
    assert!(
        report.of("order_data_rpo_over_5_minutes").is_empty(),
        "PITR is on"
    );
    let planned = drill::scenarios_for(&report, &n);
    let day9 = planned
        .iter()
        .find(|(s, _)| s == "corruption-found-on-day-9")
        .unwrap_or_else(|| panic!("the retention finding's scenario: {planned:?}"));
    assert_eq!(day9.1, ["rds_backup_retention_under_14_days"]);
    let mirror = drill::mirror_policy(&report, &n).unwrap();
    assert_eq!(mirror.policy.rds.retention_days, 7);
    assert_eq!(mirror.policy.rds.backup_window.as_deref(), Some("03:00-04:00"));

    let scenario = drill::scenario_under(
        &drill::shipped_scenarios_dir(),
        "corruption-found-on-day-9",
        &mirror.policy,
    )
    .unwrap();
    let played = EmbeddedTarget::play(&scenario, &firedrill::drill::DrillOptions::default())
        .await
        .unwrap();
    let corrupted: u64 = played.check.layers.iter().map(|l| l.corrupted).sum();
    assert!(corrupted > 0, "{}", played.to_text());
    let error = played
        .recovery
        .as_ref()
        .and_then(|r| r.error.clone())
        .unwrap_or_default();
    assert!(
        error.contains("RestoreDBInstanceToPointInTime") && error.contains("restorable window"),
        "the restore is refused: {}",
        played.to_text()
    );
}

/// Checks a SARIF log against the 2.1.0 schema's required members and
/// enumerations for every part firedrill writes.
fn validate_sarif(log: &Value) -> Result<(), String> {
    let obj = |v: &Value, at: &str| -> Result<(), String> {
        v.is_object()
            .then_some(())
            .ok_or(format!("{at} is not an object"))
    };
    let text = |v: &Value, at: &str| -> Result<(), String> {
        v.get("text")
            .and_then(Value::as_str)
            .map(|_| ())
            .ok_or(format!("{at}.text is required"))
    };
    obj(log, "log")?;
    if log["version"] != "2.1.0" {
        return Err("version must be \"2.1.0\"".into());
    }
    if !log["$schema"].as_str().is_some_and(|s| s.starts_with("https://")) {
        return Err("$schema must be a URI".into());
    }
    let runs = log["runs"].as_array().ok_or("runs is required")?;
    for (i, run) in runs.iter().enumerate() {
        let driver = &run["tool"]["driver"];
        obj(driver, "tool.driver")?;
        driver["name"]
            .as_str()
            .ok_or(format!("runs[{i}].tool.driver.name is required"))?;
        let rules = driver["rules"].as_array().cloned().unwrap_or_default();
        let mut ids = BTreeSet::new();
        for (r, rule) in rules.iter().enumerate() {
            let id = rule["id"].as_str().ok_or(format!("rules[{r}].id is required"))?;
            if !ids.insert(id) {
                return Err(format!("rules[{r}].id {id} is not unique"));
            }
            text(&rule["shortDescription"], "shortDescription")?;
            if let Some(level) = rule["defaultConfiguration"].get("level") {
                level_ok(level)?;
            }
        }
        for inv in run["invocations"].as_array().into_iter().flatten() {
            inv["executionSuccessful"]
                .as_bool()
                .ok_or("invocations[].executionSuccessful is required")?;
        }
        for (k, result) in run["results"].as_array().ok_or("results")?.iter().enumerate() {
            text(&result["message"], &format!("results[{k}].message"))?;
            level_ok(&result["level"])?;
            let id = result["ruleId"].as_str().ok_or("ruleId")?;
            if let Some(index) = result.get("ruleIndex") {
                let index = index.as_u64().ok_or("ruleIndex must be a non-negative integer")? as usize;
                if rules.get(index).and_then(|r| r["id"].as_str()) != Some(id) {
                    return Err(format!("results[{k}].ruleIndex does not point at {id}"));
                }
            }
            for loc in result["locations"].as_array().ok_or("locations")? {
                for logical in loc["logicalLocations"].as_array().ok_or("logicalLocations")? {
                    logical["fullyQualifiedName"]
                        .as_str()
                        .ok_or("fullyQualifiedName")?;
                    let kind = logical["kind"].as_str().ok_or("kind")?;
                    if kind != "resource" {
                        return Err(format!("unexpected logical location kind {kind}"));
                    }
                }
            }
            let prints = result["partialFingerprints"]
                .as_object()
                .ok_or("partialFingerprints")?;
            if !prints.values().all(Value::is_string) {
                return Err("partialFingerprints values must be strings".into());
            }
        }
    }
    Ok(())
}

fn level_ok(level: &Value) -> Result<(), String> {
    match level.as_str() {
        Some("none" | "note" | "warning" | "error") => Ok(()),
        other => Err(format!("level {other:?} is not none, note, warning or error")),
    }
}

#[test]
fn sarif_validation_catches_a_broken_log() {
    let broken = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "firedrill", "rules": [{ "id": "a", "shortDescription": { "text": "a" } }] } },
            "results": [{ "ruleId": "a", "ruleIndex": 0, "level": "fatal", "message": { "text": "x" },
                          "locations": [], "partialFingerprints": {} }],
        }],
    });
    assert!(validate_sarif(&broken).unwrap_err().contains("fatal"));
    let empty = AuditReport {
        target: "t".into(),
        account: None,
        inventory: firedrill::audit::Inventory {
            taken_at: chrono::Utc::now(),
            regions: vec![],
        },
        findings: vec![],
        rpo: vec![],
        calls: vec![],
    };
    let log = empty.to_sarif();
    validate_sarif(&log).unwrap();
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        firedrill::audit::CHECKS.len()
    );
}
