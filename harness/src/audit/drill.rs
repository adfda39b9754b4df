//! `firedrill audit --drill`: each finding, drilled, with what it costs.
//!
//! [`mirror_policy`] turns the audited configuration of the shop's layers
//! into a [`BackupPolicy`] (the configuration, never the data): the orders
//! instance's retention and window, the tables' PITR and recovery period,
//! the buckets' versioning, the plan's rules (their frequency from the
//! schedule's longest gap, their retention and cross-region copies), the
//! vault's key, and the session store's ElastiCache snapshot retention and
//! window. What the policy model cannot say (a plan that covers only
//! some layers, layers that differ from each other) is listed as an
//! approximation, and the mirror takes the weaker side, so the drill never
//! looks better than the account. [`scenarios_for`] picks the shipped
//! scenario that exercises each finding (PITR off: the cart batch delete;
//! versioning off: the invoice mass delete; RDS backups off or a short
//! PITR: the corrupted orders; retention under 14 days: the corruption found
//! on day 9, past a 7-day retention; no cross-region copy: the region
//! outage; a session store without snapshots: the bad deploy's
//! `FLUSHALL`), and [`drill_findings`]
//! plays them on embedded emulators under the mirrored policy, pairing each
//! finding with the records lost, the RPO and the RTO the drill measured.

use super::AuditReport;
use super::inventory::RegionInventory;
use crate::drill::DrillOptions;
use crate::model::StoreNames;
use crate::policy::{
    BackupPolicy, DynamodbPolicy, Frequency, PlanPolicy, PlanRule, RdsPolicy, S3Policy, SnapshotSettings,
};
use crate::scenario::{Outcome, PolicyRef, Scenario};
use crate::stack::EmbeddedTarget;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The audited configuration as a policy, and what it could not express.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mirror {
    /// The policy the drills run under.
    pub policy: BackupPolicy,
    /// Where the mirror had to approximate, in sentences.
    pub approximations: Vec<String>,
}

/// The region holding the shop (its orders instance or a table).
fn shop_region<'a>(report: &'a AuditReport, names: &StoreNames) -> Option<&'a RegionInventory> {
    report.inventory.regions.iter().find(|r| {
        r.db_instances.iter().any(|i| i.id == names.db_instance)
            || r.tables
                .iter()
                .any(|t| t.name == names.carts_table || t.name == names.sessions_table)
    })
}

/// The frequency whose interval covers a schedule's longest gap.
fn frequency_for(gap_minutes: i64) -> Frequency {
    if gap_minutes <= 60 {
        Frequency::Hourly
    } else if gap_minutes <= 1440 {
        Frequency::Daily
    } else {
        Frequency::Weekly
    }
}

/// Mirrors the shop's audited configuration into a policy.
pub fn mirror_policy(report: &AuditReport, names: &StoreNames) -> anyhow::Result<Mirror> {
    let inv = shop_region(report, names).with_context(|| {
        format!(
            "the audit found no shop with prefix {:?} (instance {}, tables {} and {}) to drill",
            names.prefix, names.db_instance, names.carts_table, names.sessions_table
        )
    })?;
    let mut approx = Vec::new();
    let rds = match inv.db_instances.iter().find(|i| i.id == names.db_instance) {
        Some(i) => RdsPolicy {
            retention_days: i.retention_days.clamp(0, 35) as u32,
            backup_window: i
                .backup_window
                .clone()
                .filter(|w| i.retention_days > 0 && crate::policy::parse_window(w).is_ok()),
        },
        None => {
            approx.push(format!(
                "no instance {}: the orders layer is drilled without backups",
                names.db_instance
            ));
            RdsPolicy {
                retention_days: 0,
                backup_window: None,
            }
        }
    };
    let tables: Vec<_> = inv
        .tables
        .iter()
        .filter(|t| t.name == names.carts_table || t.name == names.sessions_table)
        .collect();
    let pitr = !tables.is_empty() && tables.iter().all(|t| t.pitr);
    if tables.iter().any(|t| t.pitr) && !pitr {
        approx.push("one table has PITR and the other not: both are drilled without it".to_owned());
    }
    let dynamodb = DynamodbPolicy {
        pitr,
        recovery_period_days: tables
            .iter()
            .filter_map(|t| t.recovery_period_days)
            .min()
            .map(|d| d.clamp(1, 35) as u32)
            .filter(|_| pitr),
    };
    let shop_buckets = [
        &names.images_bucket,
        &names.invoices_bucket,
        &names.templates_bucket,
    ];
    let buckets: Vec<_> = inv
        .buckets
        .iter()
        .filter(|b| shop_buckets.contains(&&b.name))
        .collect();
    let versioning = !buckets.is_empty() && buckets.iter().all(|b| b.versioned());
    if buckets.iter().any(|b| b.versioned()) && !versioning {
        approx.push("some buckets are versioned and some not: all are drilled without versioning".to_owned());
    }
    if buckets.iter().any(|b| b.lifecycle_rules > 0) {
        approx.push(
            "bucket lifecycle rules are not mirrored (they move objects, they do not protect them)"
                .to_owned(),
        );
    }
    let s3 = S3Policy {
        versioning,
        glacier_ir_after_days: None,
    };
    let shop_arns: Vec<&str> = inv
        .data_resources()
        .into_iter()
        .filter(|r| {
            r.name == names.db_instance
                || r.name == names.carts_table
                || r.name == names.sessions_table
                || shop_buckets.iter().any(|b| b.as_str() == r.name)
        })
        .map(|r| r.arn)
        .collect();
    let covering: Vec<_> = inv
        .plans
        .iter()
        .filter(|p| {
            p.selections
                .iter()
                .any(|s| s.covers.iter().any(|c| shop_arns.contains(&c.as_str())))
        })
        .collect();
    let backup_plan = if covering.is_empty() {
        None
    } else {
        let uncovered = shop_arns
            .iter()
            .filter(|a| inv.rules_covering(a).is_empty())
            .count();
        if uncovered > 0 {
            approx.push(format!(
                "the plan covers {} of the shop's {} resources; the drill's plan covers all of them",
                shop_arns.len() - uncovered,
                shop_arns.len()
            ));
        }
        let mut rules = Vec::new();
        let mut seen = BTreeMap::new();
        for p in &covering {
            for r in &p.rules {
                let Some(gap) = r.worst_gap_minutes else {
                    approx.push(format!(
                        "rule {}/{} has no schedule firedrill can read: left out",
                        p.name, r.name
                    ));
                    continue;
                };
                let frequency = frequency_for(gap);
                if !matches!(gap, 60 | 1440 | 10080) {
                    approx.push(format!(
                        "rule {}/{} runs with gaps up to {gap}m: drilled as {:?}",
                        p.name, r.name, frequency
                    ));
                }
                let mut name = r.name.clone();
                let n = seen.entry(name.clone()).or_insert(0);
                *n += 1;
                if *n > 1 {
                    name = format!("{name}-{n}");
                }
                rules.push(PlanRule {
                    name,
                    frequency,
                    delete_after_days: r.delete_after_days.unwrap_or(36500).clamp(1, 36500) as u32,
                    copy_to_region: r
                        .copies
                        .iter()
                        .find_map(|c| c.region.clone().filter(|x| *x != inv.region)),
                    copy_to_backup_account: false,
                });
            }
        }
        let cmk = inv
            .vaults
            .iter()
            .any(|v| v.key_type.as_deref() == Some("CUSTOMER_MANAGED_KMS_KEY"));
        (!rules.is_empty()).then(|| PlanPolicy {
            rules,
            vault_kms_key: cmk.then(|| "arn:aws:kms:{region}:{account}:alias/firedrill-backup".to_owned()),
            backup_account: None,
        })
    };
    let elasticache = mirror_cache(inv, names, &mut approx);
    let policy = BackupPolicy {
        name: format!("audited-{}", names.prefix),
        rds,
        dynamodb,
        s3,
        backup_plan,
        snapshot_job: None,
        elasticache,
        alarm: None,
    };
    policy.validate().context("the mirrored policy")?;
    Ok(Mirror {
        policy,
        approximations: approx,
    })
}

/// The session store's snapshot settings: the shop's replication group's
/// `SnapshotRetentionLimit` and `SnapshotWindow` (a window ElastiCache
/// would take but the policy model cannot is left out and said so).
fn mirror_cache(inv: &RegionInventory, names: &StoreNames, approx: &mut Vec<String>) -> SnapshotSettings {
    let Some(group) = names
        .cache
        .as_ref()
        .and_then(|c| inv.cache_groups.iter().find(|g| g.id == c.replication_group))
    else {
        return SnapshotSettings::default();
    };
    let retention = group.retention_days.clamp(0, 35) as u32;
    let window = group.snapshot_window.clone().filter(|_| retention > 0);
    let usable = window.as_deref().is_some_and(|w| {
        crate::policy::parse_window(w).is_ok_and(|(a, b)| {
            let minutes = (b - a).num_minutes();
            (if minutes < 0 { minutes + 1440 } else { minutes }) >= 60
        })
    });
    if window.is_some() && !usable {
        approx.push(format!(
            "the snapshot window {:?} of {} is not mirrored: ElastiCache picks one",
            window.as_deref().unwrap_or_default(),
            group.id
        ));
    }
    SnapshotSettings {
        snapshot_retention_limit: retention,
        snapshot_window: window.filter(|_| usable),
    }
}

/// The shipped scenario that exercises each check, by file stem.
pub const SCENARIO_FOR_CHECK: [(&str, &str); 11] = [
    ("dynamodb_tables_pitr_enabled", "junior-dev-cart-batch-delete"),
    (
        "dynamodb-resources-protected-by-backup-plan",
        "junior-dev-cart-batch-delete",
    ),
    (
        "s3_bucket_object_versioning",
        "invoice-bucket-mass-delete-and-ransomware",
    ),
    (
        "s3-resources-protected-by-backup-plan",
        "invoice-bucket-mass-delete-and-ransomware",
    ),
    ("rds_instance_backup_enabled", "flash-sale-corrupted-orders"),
    ("order_data_rpo_over_5_minutes", "flash-sale-corrupted-orders"),
    ("rds_backup_retention_under_14_days", "corruption-found-on-day-9"),
    (
        "rds-resources-protected-by-backup-plan",
        "flash-sale-corrupted-orders",
    ),
    ("no_cross_region_copy", "us-east-1-outage-during-sale"),
    (
        "elasticache_redis_cluster_backup_enabled",
        "session-store-flushed-by-bad-deploy",
    ),
    (
        "sessions_layer_not_covered",
        "session-store-flushed-by-bad-deploy",
    ),
];

/// The scenarios to play for `report`'s findings on the shop, each with the
/// checks it answers, in catalog order.
pub fn scenarios_for(report: &AuditReport, names: &StoreNames) -> Vec<(String, Vec<String>)> {
    let layers = super::shop_layers(names);
    let on_shop = |resource: &str| layers.iter().any(|(n, _)| n == resource);
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (check, scenario) in SCENARIO_FOR_CHECK {
        if !report
            .findings
            .iter()
            .any(|f| f.check == check && on_shop(&f.resource))
        {
            continue;
        }
        match out.iter_mut().find(|(s, _)| s == scenario) {
            Some((_, checks)) => checks.push(check.to_owned()),
            None => out.push((scenario.to_owned(), vec![check.to_owned()])),
        }
    }
    out
}

/// What one drill measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consequence {
    /// The scenario played.
    pub scenario: String,
    /// The checks whose findings it exercises.
    pub checks: Vec<String>,
    /// The checker's verdict (`recovered`, `data-loss`, ...).
    pub verdict: String,
    /// Acknowledged records lost.
    pub records_lost: u64,
    /// Acknowledged writes lost.
    pub writes_lost: u64,
    /// Records that came back with a wrong value (a corruption not undone).
    pub corrupted: u64,
    /// The measured RPO in seconds.
    pub rpo_seconds: f64,
    /// The measured RTO in simulated seconds, when the recovery ran.
    pub rto_seconds: Option<f64>,
    /// The drill report's text.
    pub report: String,
}

/// The drills of an audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillOutcome {
    /// The mirrored policy.
    pub mirror: Mirror,
    /// One entry per scenario played.
    pub consequences: Vec<Consequence>,
}

/// The scenario directory: ./scenarios when run from the workspace, else
/// the one this binary was built from.
pub fn shipped_scenarios_dir() -> PathBuf {
    let here = PathBuf::from("scenarios");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
}

/// A shipped scenario under the mirrored policy. Its expectation is the
/// worst case ("data-loss"): the drill measures what is lost rather than
/// judging it.
pub fn scenario_under(dir: &Path, name: &str, policy: &BackupPolicy) -> anyhow::Result<Scenario> {
    let mut s = crate::scenario::load(&dir.join(format!("{name}.toml")))?;
    s.policy = PolicyRef::Inline(Box::new(policy.clone()));
    s.expect.outcome = Outcome::DataLoss;
    s.expect.min_lost_records = None;
    s.expect.rpo_at_least = None;
    s.expect.rpo_at_most = None;
    s.description = format!("{} (under the audited configuration)", s.description);
    Ok(s)
}

/// Mirrors the configuration and plays the scenario of each finding.
pub async fn drill_findings(
    report: &AuditReport,
    names: &StoreNames,
    dir: &Path,
) -> anyhow::Result<DrillOutcome> {
    let mirror = mirror_policy(report, names)?;
    let mut consequences = Vec::new();
    for (name, checks) in scenarios_for(report, names) {
        let scenario = scenario_under(dir, &name, &mirror.policy)?;
        tracing::info!(scenario = %name, "drilling the audit's findings");
        let played = EmbeddedTarget::play(&scenario, &DrillOptions::default())
            .await
            .with_context(|| format!("drill {name} could not run"))?;
        let check = &played.check;
        consequences.push(Consequence {
            scenario: name,
            checks,
            verdict: serde_json::to_value(check.verdict)?
                .as_str()
                .unwrap_or("unknown")
                .to_owned(),
            records_lost: check.rpo.records_lost,
            writes_lost: check.rpo.writes_lost,
            corrupted: check.layers.iter().map(|l| l.corrupted).sum(),
            rpo_seconds: check.rpo.seconds,
            rto_seconds: check.rto.map(|r| r.simulated_seconds),
            report: played.to_text(),
        });
    }
    Ok(DrillOutcome { mirror, consequences })
}

impl DrillOutcome {
    /// The findings paired with their measured cost, for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "drills under the audited configuration (policy {}):",
            self.mirror.policy.name
        );
        for a in &self.mirror.approximations {
            let _ = writeln!(s, "  approximation: {a}");
        }
        for c in &self.consequences {
            let _ = writeln!(
                s,
                "  {:<44} {:<10} {:>6} records lost, {} corrupted, RPO {}, RTO {}  <- {}",
                c.scenario,
                c.verdict,
                c.records_lost,
                c.corrupted,
                super::rpo::show(Some(c.rpo_seconds.round() as i64)),
                c.rto_seconds
                    .map(|r| super::rpo::show(Some(r.round() as i64)))
                    .unwrap_or_else(|| "-".into()),
                c.checks.join(", ")
            );
        }
        s
    }
}
