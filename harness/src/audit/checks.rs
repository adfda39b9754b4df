//! The checks: a pure function from an inventory to findings.
//!
//! Each check has an id, a severity and a fix. Where a scanner teams already
//! run has the same check, the id is that scanner's (Prowler's snake_case
//! ids, AWS Config's managed-rule names), so a finding lines up with the
//! dashboard it will also appear on; the rest are firedrill's own, from the
//! gaps its drills show cost data. [`CHECKS`] is the catalog (the SARIF
//! rules); [`run`] evaluates every check against every audited region.

use super::inventory::{Inventory, RESTORE_TEST_WINDOW_DAYS, RegionInventory, ResourceKind};
use super::rpo::{self, RpoEstimate};
use chrono::{Duration, NaiveTime};
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// A gap that costs data in some failures.
    Medium,
    /// Data is lost in a common failure.
    High,
}

impl Severity {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// Whose check it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Prowler's check of the same id.
    Prowler,
    /// The AWS Config managed rule of the same name.
    AwsConfig,
    /// firedrill's own.
    Firedrill,
}

/// A check in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Its id.
    pub id: &'static str,
    /// Whose id it is.
    pub source: Source,
    /// Its severity.
    pub severity: Severity,
    /// What it verifies, in a sentence.
    pub title: &'static str,
    /// How to fix a finding, in a sentence.
    pub fix: &'static str,
}

macro_rules! check {
    ($name:ident, $id:literal, $source:ident, $sev:ident, $title:literal, $fix:literal) => {
        /// The check's catalog entry.
        pub const $name: Check = Check {
            id: $id,
            source: Source::$source,
            severity: Severity::$sev,
            title: $title,
            fix: $fix,
        };
    };
}

check!(
    RDS_BACKUP_ENABLED,
    "rds_instance_backup_enabled",
    Prowler,
    High,
    "RDS instances have automated backups (retention above 0 days).",
    "Set BackupRetentionPeriod to 14 days or more (ModifyDBInstance --backup-retention-period 14)."
);
check!(
    RDS_RETENTION_14,
    "rds_backup_retention_under_14_days",
    Firedrill,
    Medium,
    "RDS automated backups are kept at least 14 days, so corruption found in the second week can still be undone.",
    "Raise BackupRetentionPeriod to at least 14 days."
);
check!(
    ORDER_RPO,
    "order_data_rpo_over_5_minutes",
    Firedrill,
    High,
    "Order data (RDS) can be restored to within 5 minutes of a mistake.",
    "Turn on automated backups (point-in-time restore) or a continuous AWS Backup rule for the database."
);
check!(
    DDB_PITR,
    "dynamodb_tables_pitr_enabled",
    Prowler,
    High,
    "DynamoDB tables have point-in-time recovery.",
    "Enable PITR (UpdateContinuousBackups PointInTimeRecoveryEnabled=true)."
);
check!(
    DDB_PLAN,
    "dynamodb-resources-protected-by-backup-plan",
    AwsConfig,
    Medium,
    "DynamoDB tables are covered by an AWS Backup plan.",
    "Add the table to a backup selection (by ARN or by a tag the selection matches)."
);
check!(
    RDS_PLAN,
    "rds-resources-protected-by-backup-plan",
    AwsConfig,
    Medium,
    "RDS instances and clusters are covered by an AWS Backup plan.",
    "Add the database to a backup selection (by ARN or by a tag the selection matches)."
);
check!(
    S3_PLAN,
    "s3-resources-protected-by-backup-plan",
    AwsConfig,
    Medium,
    "S3 buckets are covered by an AWS Backup plan.",
    "Add the bucket to a backup selection (AWS Backup needs versioning on the bucket)."
);
check!(
    S3_VERSIONING,
    "s3_bucket_object_versioning",
    Prowler,
    High,
    "S3 buckets keep object versions, so an overwrite or a delete can be undone.",
    "Enable versioning (PutBucketVersioning Status=Enabled) with a lifecycle rule for noncurrent versions."
);
check!(
    S3_CRR,
    "s3_bucket_cross_region_replication",
    Prowler,
    Low,
    "S3 buckets replicate to a bucket in another region.",
    "Add a replication rule to a versioned bucket in a second region."
);
check!(
    S3_LOCK,
    "s3_bucket_object_lock",
    Prowler,
    Low,
    "S3 buckets have Object Lock, so versions cannot be deleted before their retention.",
    "Enable Object Lock with a default retention (governance or compliance mode)."
);
check!(
    PLANS_EXIST,
    "backup_plans_exist",
    Prowler,
    Medium,
    "The region has at least one AWS Backup plan for its data.",
    "Create a backup plan with a daily rule kept 35 days and select the region's data resources."
);
check!(
    VAULT_LOCK,
    "backup_vaults_lock_enabled",
    Prowler,
    Medium,
    "Backup vaults have Vault Lock, so recovery points cannot be deleted early, even by an administrator.",
    "Apply a vault lock (PutBackupVaultLockConfiguration with a minimum retention)."
);
check!(
    VAULT_CMK,
    "backup_vault_kms_key_customer_managed",
    Firedrill,
    Low,
    "Backup vaults encrypt with a customer-managed KMS key, whose policy the team controls.",
    "Create vaults with EncryptionKeyArn set to a customer-managed key."
);
check!(
    PLAN_FREQ_RETENTION,
    "backup-plan-min-frequency-and-min-retention-check",
    AwsConfig,
    Medium,
    "A backup plan has a rule running at least daily whose recovery points are kept at least 35 days (AWS Config's defaults).",
    "Add a rule with a daily (or more frequent) schedule and DeleteAfterDays of 35 or more."
);
check!(
    NO_CROSS_REGION,
    "no_cross_region_copy",
    Firedrill,
    High,
    "Each data resource has a copy outside its region (backup copy, replication, replica).",
    "Add a copy action to a vault in a second region, or replicate (S3 CRR, global tables, RDS backup replication)."
);
check!(
    NO_CROSS_ACCOUNT,
    "no_cross_account_copy",
    Firedrill,
    Medium,
    "Backed-up resources have a copy in a second account, out of reach of the first account's credentials.",
    "Add a copy action to a vault in a backup account of the organisation."
);
check!(
    NO_RESTORE_TEST,
    "no_restore_tested_in_90_days",
    Firedrill,
    Medium,
    "An AWS Backup restore job completed in the last 90 days, or a restore testing plan ran in them (or is younger than 90 days, its first run not yet due).",
    "Create a restore testing plan, or run `firedrill drill` against the configuration on a schedule."
);
check!(
    PEAK_WINDOW,
    "backup_window_overlaps_peak_hours",
    Firedrill,
    Low,
    "Backup windows stay out of the given peak hours.",
    "Move PreferredBackupWindow or the rule's schedule outside peak hours."
);

check!(
    ELASTICACHE_BACKUP,
    "elasticache_redis_cluster_backup_enabled",
    Prowler,
    High,
    "ElastiCache clusters take automatic snapshots (SnapshotRetentionLimit above 0); ElastiCache has no point-in-time recovery, so snapshots are its only recovery points.",
    "Set SnapshotRetentionLimit (ModifyReplicationGroup --snapshot-retention-limit 7) and a SnapshotWindow outside peak hours."
);
check!(
    SESSIONS_NOT_COVERED,
    "sessions_layer_not_covered",
    Firedrill,
    High,
    "The session store is backed up along with the rest: restoring only RDS brings orders back that point at carts and sessions that are gone.",
    "Give the session store automatic snapshots (SnapshotRetentionLimit) and restore it in the same runbook as the database (firedrill's elasticache_restore)."
);

/// Every check, in the order reports list them.
pub const CHECKS: [Check; 20] = [
    RDS_BACKUP_ENABLED,
    RDS_RETENTION_14,
    ORDER_RPO,
    DDB_PITR,
    DDB_PLAN,
    RDS_PLAN,
    S3_PLAN,
    S3_VERSIONING,
    S3_CRR,
    S3_LOCK,
    PLANS_EXIST,
    VAULT_LOCK,
    VAULT_CMK,
    PLAN_FREQ_RETENTION,
    NO_CROSS_REGION,
    NO_CROSS_ACCOUNT,
    NO_RESTORE_TEST,
    PEAK_WINDOW,
    ELASTICACHE_BACKUP,
    SESSIONS_NOT_COVERED,
];

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check's id.
    pub check: String,
    /// Its severity.
    pub severity: Severity,
    /// The region.
    pub region: String,
    /// The resource's name (or the region, for a region-wide finding).
    pub resource: String,
    /// The resource's ARN, when it has one.
    pub arn: Option<String>,
    /// The shop layer, when the resource holds one.
    pub layer: Option<String>,
    /// What the audit read that fails the check.
    pub evidence: String,
    /// How to fix it.
    pub fix: String,
}

/// What the checks take besides the inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Peak hours (UTC), when given.
    pub peak_hours: Option<(NaiveTime, NaiveTime)>,
    /// Maps a resource name to the shop layer it holds.
    pub layers: Vec<(String, String)>,
}

impl CheckOptions {
    /// The layer `name` holds, if any.
    pub fn layer_of(&self, name: &str) -> Option<&str> {
        self.layers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.as_str())
    }
}

/// Whether two daily intervals (`start` to `end`, wrapping at midnight) overlap.
pub fn windows_overlap(a: (NaiveTime, NaiveTime), b: (NaiveTime, NaiveTime)) -> bool {
    let minutes = |t: NaiveTime| t.signed_duration_since(NaiveTime::MIN).num_minutes();
    let span = |(s, e): (NaiveTime, NaiveTime)| {
        let (s, mut e) = (minutes(s), minutes(e));
        if e <= s {
            e += 1440;
        }
        (s, e)
    };
    let (a, b) = (span(a), span(b));
    // Compare on two days so a window wrapping midnight meets one after it.
    [-1440, 0, 1440]
        .iter()
        .any(|shift| a.0 < b.1 + shift && b.0 + shift < a.1)
}

struct Out<'a> {
    region: &'a str,
    findings: Vec<Finding>,
    options: &'a CheckOptions,
}

impl Out<'_> {
    fn push(&mut self, check: &Check, resource: &str, arn: Option<&str>, evidence: String) {
        self.findings.push(Finding {
            check: check.id.to_owned(),
            severity: check.severity,
            region: self.region.to_owned(),
            resource: resource.to_owned(),
            arn: arn.map(str::to_owned),
            layer: self.options.layer_of(resource).map(str::to_owned),
            evidence,
            fix: check.fix.to_owned(),
        });
    }
}

/// The RPO estimates of every data resource of `inventory`.
pub fn estimates(inventory: &Inventory, options: &CheckOptions) -> Vec<RpoEstimate> {
    inventory
        .regions
        .iter()
        .flat_map(|inv| {
            inv.data_resources().into_iter().map(move |r| {
                let layer = options.layer_of(r.name).unwrap_or(r.name).to_owned();
                rpo::estimate(inv, &r, layer)
            })
        })
        .collect()
}

/// Runs every check on every region.
pub fn run(inventory: &Inventory, options: &CheckOptions) -> Vec<Finding> {
    let estimates = estimates(inventory, options);
    let mut all = Vec::new();
    for inv in &inventory.regions {
        let mut out = Out {
            region: &inv.region,
            findings: Vec::new(),
            options,
        };
        region_checks(inv, inventory, &estimates, &mut out);
        all.extend(out.findings);
    }
    all
}

fn region_checks(inv: &RegionInventory, inventory: &Inventory, estimates: &[RpoEstimate], out: &mut Out<'_>) {
    let resources = inv.data_resources();
    let account = inv.account();
    for (check, resource, arn, evidence) in super::elasticache::findings(inv) {
        out.push(check, resource, Some(arn), evidence);
    }
    for i in inv.db_instances.iter().filter(|i| i.cluster.is_none()) {
        if i.retention_days == 0 {
            let mut evidence = format!("{}: BackupRetentionPeriod is 0", i.id);
            if i.manual_snapshots > 0 {
                evidence.push_str(&format!(
                    " ({} manual snapshot(s) exist, taken by nothing the account schedules)",
                    i.manual_snapshots
                ));
            }
            out.push(&RDS_BACKUP_ENABLED, &i.id, Some(&i.arn), evidence);
        } else if i.retention_days < 14 {
            out.push(
                &RDS_RETENTION_14,
                &i.id,
                Some(&i.arn),
                format!("{}: BackupRetentionPeriod is {} days", i.id, i.retention_days),
            );
        }
    }
    for c in &inv.db_clusters {
        if c.retention_days < 14 {
            out.push(
                &RDS_RETENTION_14,
                &c.id,
                Some(&c.arn),
                format!("{}: BackupRetentionPeriod is {} days", c.id, c.retention_days),
            );
        }
    }
    for t in &inv.tables {
        if !t.pitr {
            out.push(
                &DDB_PITR,
                &t.name,
                Some(&t.arn),
                format!("{}: PointInTimeRecoveryStatus is DISABLED", t.name),
            );
        }
    }
    for b in &inv.buckets {
        if !b.versioned() {
            out.push(
                &S3_VERSIONING,
                &b.name,
                Some(&b.arn),
                format!(
                    "{}: versioning is {}",
                    b.name,
                    b.versioning.as_deref().unwrap_or("never enabled")
                ),
            );
        }
        let cross = b
            .replication
            .iter()
            .any(|t| t.region.as_deref().is_some_and(|r| r != inv.region));
        if !cross {
            let evidence = if b.replication.is_empty() {
                format!("{}: no replication configuration", b.name)
            } else {
                format!(
                    "{}: replicates only within {} or to buckets whose region cannot be read",
                    b.name, inv.region
                )
            };
            out.push(&S3_CRR, &b.name, Some(&b.arn), evidence);
        }
        if !b.object_lock {
            out.push(
                &S3_LOCK,
                &b.name,
                Some(&b.arn),
                format!("{}: no Object Lock configuration", b.name),
            );
        }
    }
    for r in &resources {
        if inv.rules_covering(r.arn).is_empty() {
            let check = match r.kind {
                ResourceKind::RdsInstance | ResourceKind::RdsCluster => &RDS_PLAN,
                ResourceKind::DynamodbTable => &DDB_PLAN,
                ResourceKind::S3Bucket => &S3_PLAN,
            };
            let evidence = if inv.plans.is_empty() {
                format!("{}: the region has no backup plan", r.name)
            } else {
                format!(
                    "{}: none of the selections of {} covers it",
                    r.name,
                    inv.plans
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            out.push(check, r.name, Some(r.arn), evidence);
        }
    }
    for e in estimates.iter().filter(|e| e.region == inv.region) {
        let is_rds = matches!(e.kind, ResourceKind::RdsInstance | ResourceKind::RdsCluster);
        if is_rds
            && e.in_region_seconds
                .is_none_or(|s| s > rpo::PITR_LAG.num_seconds())
        {
            out.push(
                &ORDER_RPO,
                &e.resource,
                Some(&e.arn),
                format!(
                    "{}: worst-case RPO {} ({})",
                    e.resource,
                    rpo::show(e.in_region_seconds),
                    e.in_region_basis
                ),
            );
        }
        if e.region_loss_seconds.is_none() {
            out.push(
                &NO_CROSS_REGION,
                &e.resource,
                Some(&e.arn),
                format!("{}: {}", e.resource, e.region_loss_basis),
            );
        }
        if e.in_region_seconds.is_some() {
            let copies: Vec<_> = inv
                .rules_covering(&e.arn)
                .into_iter()
                .flat_map(|(_, r)| r.copies.iter())
                .collect();
            let elsewhere = copies
                .iter()
                .any(|c| c.account.is_some() && c.account.as_deref() != account);
            if !elsewhere {
                let evidence = if copies.is_empty() {
                    format!("{}: no backup rule covering it copies anywhere", e.resource)
                } else {
                    format!(
                        "{}: every copy stays in account {}",
                        e.resource,
                        account.unwrap_or("?")
                    )
                };
                out.push(&NO_CROSS_ACCOUNT, &e.resource, Some(&e.arn), evidence);
            }
        }
    }
    if !resources.is_empty() {
        if inv.plans.is_empty() {
            out.push(
                &PLANS_EXIST,
                &inv.region,
                None,
                format!(
                    "{}: {} data resource(s) and no backup plan",
                    inv.region,
                    resources.len()
                ),
            );
        }
        let since = inventory.taken_at - Duration::days(RESTORE_TEST_WINDOW_DAYS);
        let restored = inv
            .restore_jobs
            .iter()
            .any(|j| j.status == "COMPLETED" && j.created.is_none_or(|c| c >= since));
        let tested = inv.restore_testing.iter().any(|p| p.tests_since(since));
        if !restored && !tested {
            let stale: Vec<String> = inv
                .restore_testing
                .iter()
                .map(|p| match p.last_run {
                    Some(t) => format!("{} last ran {}", p.name, t.format("%Y-%m-%d")),
                    None => format!("{} has never run", p.name),
                })
                .collect();
            let plans = match inv.restore_testing_plans {
                None => "restore testing plans could not be read".to_owned(),
                Some(_) if stale.is_empty() => "no restore testing plan".to_owned(),
                Some(_) => format!("no restore testing plan has run since ({})", stale.join("; ")),
            };
            out.push(
                &NO_RESTORE_TEST,
                &inv.region,
                None,
                format!(
                    "{}: no AWS Backup restore job completed since {} and {plans}",
                    inv.region,
                    since.format("%Y-%m-%d")
                ),
            );
        }
    }
    for v in &inv.vaults {
        if !v.locked {
            out.push(
                &VAULT_LOCK,
                &v.name,
                Some(&v.arn),
                format!("{}: Locked is false", v.name),
            );
        }
        if v.key_type.as_deref() != Some("CUSTOMER_MANAGED_KMS_KEY") {
            out.push(
                &VAULT_CMK,
                &v.name,
                Some(&v.arn),
                format!(
                    "{}: EncryptionKeyType is {}",
                    v.name,
                    v.key_type.as_deref().unwrap_or("not given")
                ),
            );
        }
    }
    for p in &inv.plans {
        let ok = p.rules.iter().any(|r| {
            (r.continuous || r.worst_gap_minutes.is_some_and(|g| g <= 1440))
                && r.delete_after_days.is_none_or(|d| d >= 35)
        });
        if !ok {
            let rules: Vec<String> = p
                .rules
                .iter()
                .map(|r| {
                    format!(
                        "{} every {} kept {}",
                        r.name,
                        r.worst_gap_minutes
                            .map(|g| rpo::show(Some(g * 60)))
                            .unwrap_or_else(|| "?".into()),
                        r.delete_after_days
                            .map(|d| format!("{d}d"))
                            .unwrap_or_else(|| "forever".into())
                    )
                })
                .collect();
            out.push(
                &PLAN_FREQ_RETENTION,
                &p.name,
                None,
                format!(
                    "{}: no rule is daily or more often and kept 35 days ({})",
                    p.name,
                    rules.join("; ")
                ),
            );
        }
    }
    if let Some(peak) = out.options.peak_hours {
        peak_checks(inv, peak, out);
    }
}

fn peak_checks(inv: &RegionInventory, peak: (NaiveTime, NaiveTime), out: &mut Out<'_>) {
    let shown = format!("{}-{}", peak.0.format("%H:%M"), peak.1.format("%H:%M"));
    let windows = inv
        .db_instances
        .iter()
        .filter(|i| i.cluster.is_none() && i.retention_days > 0)
        .map(|i| (&i.id, &i.arn, &i.backup_window))
        .chain(inv.db_clusters.iter().map(|c| (&c.id, &c.arn, &c.backup_window)));
    for (id, arn, window) in windows {
        let Some(w) = window else { continue };
        let Ok(parsed) = crate::policy::parse_window(w) else {
            continue;
        };
        if windows_overlap(parsed, peak) {
            out.push(
                &PEAK_WINDOW,
                id,
                Some(arn),
                format!("{id}: PreferredBackupWindow {w} overlaps peak hours {shown}"),
            );
        }
    }
    for p in &inv.plans {
        for r in &p.rules {
            // Rules that run every hour or more often cannot avoid any peak.
            if r.worst_gap_minutes.is_none_or(|g| g < 1440) {
                continue;
            }
            let Some(schedule) = &r.schedule else { continue };
            let Ok(cron) = firedrill_emu_backup::cron::CronSchedule::parse(schedule) else {
                continue;
            };
            let Some(run) = cron.next_after(chrono::DateTime::UNIX_EPOCH, 400) else {
                continue;
            };
            let start = run.time();
            let end = start + Duration::minutes(r.start_window_minutes.min(1439));
            if windows_overlap((start, end), peak) {
                out.push(
                    &PEAK_WINDOW,
                    &p.name,
                    None,
                    format!(
                        "{}/{}: runs at {} with a {}m start window, overlapping peak hours {shown}",
                        p.name,
                        r.name,
                        start.format("%H:%M"),
                        r.start_window_minutes
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn windows_overlap_across_midnight() {
        assert!(windows_overlap(
            (t("03:00"), t("04:00")),
            (t("03:30"), t("05:00"))
        ));
        assert!(!windows_overlap(
            (t("03:00"), t("04:00")),
            (t("04:00"), t("05:00"))
        ));
        assert!(windows_overlap(
            (t("23:30"), t("00:30")),
            (t("00:00"), t("01:00"))
        ));
        assert!(windows_overlap(
            (t("18:00"), t("23:00")),
            (t("22:30"), t("02:00"))
        ));
        assert!(!windows_overlap(
            (t("10:00"), t("11:00")),
            (t("22:30"), t("02:00"))
        ));
    }

    #[test]
    fn a_restore_is_tested_by_a_recent_restore_job_or_a_restore_testing_plan_that_runs() {
        use super::super::inventory::{RestoreJob, RestoreTestingPlan, Table};
        let now: chrono::DateTime<chrono::Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        let days_ago = |d: i64| Some(now - Duration::days(d));
        let region = |jobs: Vec<RestoreJob>, plans: Vec<RestoreTestingPlan>| Inventory {
            taken_at: now,
            regions: vec![RegionInventory {
                region: "us-east-1".into(),
                tables: vec![Table {
                    name: "carts".into(),
                    arn: "arn:aws:dynamodb:us-east-1:000000000000:table/carts".into(),
                    pitr: true,
                    recovery_period_days: Some(35),
                    replica_regions: vec![],
                    on_demand_backups: 0,
                    latest_on_demand_backup: None,
                    tags: Default::default(),
                }],
                restore_jobs: jobs,
                restore_testing_plans: Some(plans.len()),
                restore_testing: plans,
                ..RegionInventory::default()
            }],
        };
        let job = |status: &str, created| RestoreJob {
            id: "j".into(),
            status: status.into(),
            resource_type: Some("DynamoDB".into()),
            source_resource_arn: None,
            created,
        };
        let plan = |created, last_run| RestoreTestingPlan {
            name: "weekly".into(),
            schedule: "cron(0 5 ? * 1 *)".into(),
            created,
            last_run,
        };
        let finding = |inv: &Inventory| {
            run(inv, &CheckOptions::default())
                .into_iter()
                .find(|f| f.check == NO_RESTORE_TEST.id)
                .map(|f| f.evidence)
        };
        let none = finding(&region(vec![], vec![])).expect("nothing tested");
        assert!(none.ends_with("and no restore testing plan"), "{none}");
        assert_eq!(
            finding(&region(vec![job("COMPLETED", days_ago(10))], vec![])),
            None
        );
        assert!(finding(&region(vec![job("FAILED", days_ago(10))], vec![])).is_some());
        // A plan counts while young or when it ran in the window.
        assert_eq!(finding(&region(vec![], vec![plan(days_ago(3), None)])), None);
        assert_eq!(
            finding(&region(vec![], vec![plan(days_ago(400), days_ago(6))])),
            None
        );
        let stale = finding(&region(vec![], vec![plan(days_ago(400), days_ago(120))])).expect("stale");
        assert!(stale.contains("weekly last ran 2026-02-01"), "{stale}");
        let never = finding(&region(vec![], vec![plan(days_ago(400), None)])).expect("never ran");
        assert!(never.contains("weekly has never run"), "{never}");
    }

    #[test]
    fn the_catalog_has_unique_ids() {
        let mut ids: Vec<_> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
    }
}
