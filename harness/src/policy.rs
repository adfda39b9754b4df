//! Backup policies and the provisioning that applies them.
//!
//! A [`BackupPolicy`] is the user's backup design: RDS automated backups
//! (retention days, window; point-in-time restore is on exactly when the
//! retention is above zero), DynamoDB point-in-time recovery, S3 versioning
//! and a lifecycle transition to Glacier Instant Retrieval, an AWS Backup plan
//! (hourly/daily/weekly rules, copies to another region, a KMS-encrypted
//! vault), or just a nightly snapshot job; ElastiCache automatic snapshots
//! (`SnapshotRetentionLimit`, `SnapshotWindow`) of the session store when
//! the shop keeps sessions there (no PITR exists for ElastiCache), and a
//! CloudWatch alarm on AWS Backup's failed jobs whose action goes to an SNS
//! topic ([`AlarmPolicy`]). Three seed policies ship:
//! [`backup_hope`] (one daily snapshot, 7 days, nothing else: the policy that
//! fails), [`four_layer`] (every layer protected, copies in us-west-2) and
//! [`four_layer_alarmed`] (the same, plus the alarm a team puts on
//! `NumberOfBackupJobsFailed`, so jobs that fail are seen the hour they fail).
//!
//! [`provision`] creates the store under a policy through the official SDKs,
//! waiting on AWS's states as real code must. Users who provision their own
//! way (their Terraform-in-Rust, their CDK glue: the code under test) plug it
//! in as a [`Provisioner`]; [`provisioner_fn`] wraps a closure.

use crate::model::{BY_CUSTOMER_INDEX, DbEndpoint, Store, StoreNames};
pub use crate::store::elasticache::SnapshotSettings;
use crate::target::{BoxFuture, Clients, Target};
use crate::wait::{Poll, WaitOptions, wait_for};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// RDS automated backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsPolicy {
    /// `BackupRetentionPeriod`, 0-35 days; 0 turns automated backups and PITR off.
    pub retention_days: u32,
    /// `PreferredBackupWindow`, `hh24:mi-hh24:mi` UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_window: Option<String>,
}

impl RdsPolicy {
    /// Whether point-in-time restore is possible.
    pub fn pitr(&self) -> bool {
        self.retention_days > 0
    }
}

/// DynamoDB continuous backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamodbPolicy {
    /// Point-in-time recovery on the carts and sessions tables.
    pub pitr: bool,
    /// `RecoveryPeriodInDays` (1-35, AWS's default 35).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_period_days: Option<u32>,
}

/// S3 protection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Policy {
    /// Bucket versioning `Enabled`.
    pub versioning: bool,
    /// Move objects (and noncurrent versions) to GLACIER_IR after this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glacier_ir_after_days: Option<u32>,
}

/// How often an AWS Backup rule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// On the hour.
    Hourly,
    /// Every day at 03:00 UTC.
    Daily,
    /// Sundays at 03:00 UTC.
    Weekly,
}

impl Frequency {
    /// The rule's six-field cron expression (UTC).
    pub fn schedule_expression(self) -> &'static str {
        match self {
            Frequency::Hourly => "cron(0 * ? * * *)",
            Frequency::Daily => "cron(0 3 ? * * *)",
            Frequency::Weekly => "cron(0 3 ? * SUN *)",
        }
    }

    /// The interval between runs.
    pub fn interval(self) -> Duration {
        match self {
            Frequency::Hourly => Duration::hours(1),
            Frequency::Daily => Duration::days(1),
            Frequency::Weekly => Duration::weeks(1),
        }
    }
}

/// One rule of an AWS Backup plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRule {
    /// The rule's name.
    pub name: String,
    /// How often it runs.
    pub frequency: Frequency,
    /// `Lifecycle.DeleteAfterDays` of its recovery points.
    pub delete_after_days: u32,
    /// Region of the vault its recovery points are copied to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_to_region: Option<String>,
    /// Whether its recovery points are also copied into the plan's
    /// [`BackupAccountPolicy`] vault in the second account.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub copy_to_backup_account: bool,
}

/// Vault Lock on a vault (`PutBackupVaultLockConfiguration`): recovery
/// points cannot be deleted before `min_retention_days`, nor kept past
/// `max_retention_days`. Governance mode (no `changeable_for_days`) can be
/// removed by anyone allowed to; compliance mode becomes immutable once
/// its grace period of `changeable_for_days` (at least 3) ends: not even
/// the account's root can remove it or delete a point early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultLockPolicy {
    /// `MinRetentionDays` (1-36500).
    pub min_retention_days: u32,
    /// `MaxRetentionDays` (at least the minimum, up to 36500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retention_days: Option<u32>,
    /// `ChangeableForDays` (3-36500): compliance mode when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changeable_for_days: Option<u32>,
}

/// A vault in a second account the plan's rules copy into (the design's
/// "a backup stored next to the thing that could kill it is not a
/// backup"): created with the second account's own keys, its access
/// policy allowing the production account `backup:CopyIntoBackupVault`
/// and nothing else, under an optional Vault Lock. Copies into it are kept
/// at least the lock's minimum retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupAccountPolicy {
    /// The target's name of the account (`backup` on the embedded emulator).
    pub account: String,
    /// The vault's region (the store's when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Vault Lock on the vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<VaultLockPolicy>,
}

impl BackupAccountPolicy {
    /// How long a rule's copies into this vault are kept: the rule's own
    /// retention, raised to the lock's minimum (a shorter lifecycle would
    /// make every copy job fail on the lock).
    pub fn copy_retention_days(&self, rule: &PlanRule) -> u32 {
        self.lock.as_ref().map_or(rule.delete_after_days, |l| {
            rule.delete_after_days.max(l.min_retention_days)
        })
    }
}

/// An AWS Backup plan over every resource of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanPolicy {
    /// Its rules.
    pub rules: Vec<PlanRule>,
    /// The vault's `EncryptionKeyArn`: a KMS key alias or ARN; `{region}` and
    /// `{account}` are filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_kms_key: Option<String>,
    /// The vault in a second account that rules with
    /// `copy_to_backup_account` copy into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_account: Option<BackupAccountPolicy>,
}

/// A nightly snapshot job: RDS `CreateDBSnapshot` and DynamoDB `CreateBackup`
/// at a fixed time, old ones deleted after the retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotJob {
    /// Time of day, UTC (`03:00`).
    pub at: NaiveTime,
    /// Snapshots older than this are deleted.
    pub retention_days: u32,
}

/// A CloudWatch alarm on AWS Backup's `AWS/Backup` metrics (no dimension:
/// every vault and resource type of the region), its `AlarmActions` an SNS
/// topic the drill reads: `PutMetricAlarm` with `Statistic Sum`,
/// `ComparisonOperator GreaterThanOrEqualToThreshold`, one evaluation
/// period and `TreatMissingData notBreaching` (an hour without jobs is not
/// a failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmPolicy {
    /// The metric (`NumberOfBackupJobsFailed`, `NumberOfCopyJobsFailed`, ...).
    #[serde(default = "default_alarm_metric")]
    pub metric: String,
    /// `Period`, seconds: 3600 (per hour) or 86400 (per day).
    #[serde(default = "default_alarm_period")]
    pub period_seconds: u32,
    /// `Threshold`: the alarm goes off at this Sum or more in one period.
    #[serde(default = "default_alarm_threshold")]
    pub threshold: u32,
}

fn default_alarm_metric() -> String {
    "NumberOfBackupJobsFailed".into()
}
fn default_alarm_period() -> u32 {
    3600
}
fn default_alarm_threshold() -> u32 {
    1
}

impl Default for AlarmPolicy {
    fn default() -> Self {
        Self {
            metric: default_alarm_metric(),
            period_seconds: default_alarm_period(),
            threshold: default_alarm_threshold(),
        }
    }
}

/// The AWS/Backup metrics an [`AlarmPolicy`] may watch.
pub const BACKUP_METRICS: [&str; 5] = [
    "NumberOfBackupJobsFailed",
    "NumberOfBackupJobsExpired",
    "NumberOfCopyJobsFailed",
    "NumberOfRestoreJobsFailed",
    "NumberOfBackupJobsCompleted",
];

/// A store's backup design: the user's backup code under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupPolicy {
    /// A name for reports.
    pub name: String,
    /// RDS automated backups.
    pub rds: RdsPolicy,
    /// DynamoDB PITR.
    pub dynamodb: DynamodbPolicy,
    /// S3 versioning and lifecycle.
    pub s3: S3Policy,
    /// An AWS Backup plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_plan: Option<PlanPolicy>,
    /// A nightly snapshot job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_job: Option<SnapshotJob>,
    /// ElastiCache automatic snapshots of the session store (when the shop
    /// keeps sessions there): retention 0, the default, takes none. There is
    /// no point-in-time recovery on ElastiCache.
    #[serde(default, skip_serializing_if = "is_default_cache")]
    pub elasticache: SnapshotSettings,
    /// A CloudWatch alarm on the backups, its action an SNS topic
    /// (`StoreNames::alarm_topic`), named `StoreNames::backup_alarm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<AlarmPolicy>,
}

fn is_default_cache(s: &SnapshotSettings) -> bool {
    *s == SnapshotSettings::default()
}

/// One daily snapshot at 03:00 kept 7 days; no PITR, no versioning, no copy.
pub fn backup_hope() -> BackupPolicy {
    BackupPolicy {
        name: "backup_hope".into(),
        snapshot_job: Some(SnapshotJob {
            at: NaiveTime::from_hms_opt(3, 0, 0).unwrap_or_default(),
            retention_days: 7,
        }),
        ..none()
    }
}

/// RDS PITR 14 days (window 03:00-04:00), DynamoDB PITR, S3 versioning with
/// Glacier IR after 30 days, and an AWS Backup plan (hourly, daily, weekly)
/// copying to us-west-2 into a KMS-encrypted vault.
pub fn four_layer() -> BackupPolicy {
    let rule = |name: &str, frequency, delete_after_days| PlanRule {
        name: name.into(),
        frequency,
        delete_after_days,
        copy_to_region: Some("us-west-2".into()),
        copy_to_backup_account: false,
    };
    BackupPolicy {
        name: "four_layer".into(),
        rds: RdsPolicy {
            retention_days: 14,
            backup_window: Some("03:00-04:00".into()),
        },
        dynamodb: DynamodbPolicy {
            pitr: true,
            recovery_period_days: Some(35),
        },
        s3: S3Policy {
            versioning: true,
            glacier_ir_after_days: Some(30),
        },
        backup_plan: Some(PlanPolicy {
            rules: vec![
                rule("hourly", Frequency::Hourly, 2),
                rule("daily", Frequency::Daily, 35),
                rule("weekly", Frequency::Weekly, 90),
            ],
            vault_kms_key: Some("arn:aws:kms:{region}:{account}:alias/firedrill-backup".into()),
            backup_account: None,
        }),
        snapshot_job: None,
        elasticache: SnapshotSettings {
            snapshot_retention_limit: 7,
            snapshot_window: Some("05:00-06:00".into()),
        },
        alarm: None,
    }
}

/// [`four_layer`] plus what the design asks for and most teams forget: a
/// CloudWatch alarm on `NumberOfBackupJobsFailed` (Sum >= 1 in an hour)
/// whose action goes to an SNS topic the team reads.
pub fn four_layer_alarmed() -> BackupPolicy {
    BackupPolicy {
        name: "four_layer_alarmed".into(),
        alarm: Some(AlarmPolicy::default()),
        ..four_layer()
    }
}

/// [`four_layer`] plus the copy the design insists on against stolen
/// keys: every rule also copies into a vault of the second account
/// ([`crate::target::BACKUP_ACCOUNT`]) in the store's region, under a
/// compliance-mode Vault Lock (minimum 7 days, maximum 365, immutable after
/// 3 days), so the production account's admin keys can reach none of it.
pub fn four_layer_backup_account() -> BackupPolicy {
    let mut policy = four_layer();
    policy.name = "four_layer_backup_account".into();
    if let Some(plan) = policy.backup_plan.as_mut() {
        for rule in &mut plan.rules {
            rule.copy_to_backup_account = true;
        }
        plan.backup_account = Some(BackupAccountPolicy {
            account: crate::target::BACKUP_ACCOUNT.into(),
            region: None,
            lock: Some(VaultLockPolicy {
                min_retention_days: 7,
                max_retention_days: Some(365),
                changeable_for_days: Some(3),
            }),
        });
    }
    policy
}

/// Nothing at all: automated backups off (retention 0), no PITR, no
/// versioning, no plan, no snapshots. The base on which a team's own backup
/// configuration command runs (`[policy] base = "none"`).
pub fn none() -> BackupPolicy {
    BackupPolicy {
        name: "none".into(),
        rds: RdsPolicy {
            retention_days: 0,
            backup_window: None,
        },
        dynamodb: DynamodbPolicy {
            pitr: false,
            recovery_period_days: None,
        },
        s3: S3Policy {
            versioning: false,
            glacier_ir_after_days: None,
        },
        backup_plan: None,
        snapshot_job: None,
        elasticache: SnapshotSettings::default(),
        alarm: None,
    }
}

/// A seed policy by name.
pub fn by_name(name: &str) -> Option<BackupPolicy> {
    match name {
        "none" => Some(none()),
        "backup_hope" => Some(backup_hope()),
        "four_layer" => Some(four_layer()),
        "four_layer_alarmed" => Some(four_layer_alarmed()),
        "four_layer_backup_account" => Some(four_layer_backup_account()),
        _ => None,
    }
}

/// The names of the seed policies.
pub const SEED_POLICIES: [&str; 5] = [
    "none",
    "backup_hope",
    "four_layer",
    "four_layer_alarmed",
    "four_layer_backup_account",
];

impl BackupPolicy {
    /// Checks the policy against AWS's limits; the message names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.rds.retention_days > 35 {
            bail!("rds.retention_days must be 0-35, got {}", self.rds.retention_days);
        }
        if let Some(w) = &self.rds.backup_window {
            parse_window(w).with_context(|| format!("rds.backup_window {w:?}"))?;
        }
        if let Some(d) = self.dynamodb.recovery_period_days
            && !(1..=35).contains(&d)
        {
            bail!("dynamodb.recovery_period_days must be 1-35, got {d}");
        }
        if let Some(plan) = &self.backup_plan {
            if plan.rules.is_empty() {
                bail!("backup_plan.rules must not be empty");
            }
            let mut names = BTreeSet::new();
            for r in &plan.rules {
                if !names.insert(&r.name) {
                    bail!("backup_plan.rules: duplicate rule name {:?}", r.name);
                }
                if r.delete_after_days == 0 {
                    bail!(
                        "backup_plan.rules[{}].delete_after_days must be at least 1",
                        r.name
                    );
                }
                if r.copy_to_backup_account && plan.backup_account.is_none() {
                    bail!(
                        "backup_plan.rules[{}].copy_to_backup_account needs backup_plan.backup_account",
                        r.name
                    );
                }
            }
            if let Some(lock) = plan.backup_account.as_ref().and_then(|a| a.lock.as_ref()) {
                lock.validate("backup_plan.backup_account.lock")?;
                let max = lock.max_retention_days.unwrap_or(36_500);
                for r in plan.rules.iter().filter(|r| r.copy_to_backup_account) {
                    if r.delete_after_days > max {
                        bail!(
                            "backup_plan.rules[{}].delete_after_days ({}) is above the backup account vault lock's max_retention_days ({max}): its copies would fail",
                            r.name,
                            r.delete_after_days
                        );
                    }
                }
            }
        }
        if let Some(job) = &self.snapshot_job
            && job.retention_days == 0
        {
            bail!("snapshot_job.retention_days must be at least 1");
        }
        if self.elasticache.snapshot_retention_limit > 35 {
            bail!(
                "elasticache.snapshot_retention_limit must be 0-35, got {}",
                self.elasticache.snapshot_retention_limit
            );
        }
        if let Some(a) = &self.alarm {
            if !BACKUP_METRICS.contains(&a.metric.as_str()) {
                bail!(
                    "alarm.metric must be one of {}, got {:?}",
                    BACKUP_METRICS.join(", "),
                    a.metric
                );
            }
            if a.period_seconds < 60 || a.period_seconds % 60 != 0 || a.period_seconds > 86_400 {
                bail!(
                    "alarm.period_seconds must be a multiple of 60 up to 86400, got {}",
                    a.period_seconds
                );
            }
            if a.threshold == 0 {
                bail!("alarm.threshold must be above 0, got {}", a.threshold);
            }
        }
        if let Some(w) = &self.elasticache.snapshot_window {
            let (a, b) = parse_window(w).with_context(|| format!("elasticache.snapshot_window {w:?}"))?;
            let mut len = b - a;
            if len < Duration::zero() {
                len += Duration::days(1);
            }
            if len < Duration::minutes(60) {
                bail!("elasticache.snapshot_window {w:?} must be at least 60 minutes");
            }
        }
        Ok(())
    }

    /// Regions recovery points are copied to.
    pub fn copy_regions(&self) -> BTreeSet<String> {
        self.backup_plan
            .iter()
            .flat_map(|p| p.rules.iter().filter_map(|r| r.copy_to_region.clone()))
            .collect()
    }
}

impl VaultLockPolicy {
    /// Checks AWS's limits; `field` names the lock in the message.
    pub fn validate(&self, field: &str) -> anyhow::Result<()> {
        if !(1..=36_500).contains(&self.min_retention_days) {
            bail!(
                "{field}.min_retention_days must be 1-36500, got {}",
                self.min_retention_days
            );
        }
        if let Some(max) = self.max_retention_days
            && !(self.min_retention_days..=36_500).contains(&max)
        {
            bail!(
                "{field}.max_retention_days must be {}-36500 (at least the minimum), got {max}",
                self.min_retention_days
            );
        }
        if let Some(d) = self.changeable_for_days
            && !(3..=36_500).contains(&d)
        {
            bail!("{field}.changeable_for_days must be 3-36500, got {d}");
        }
        Ok(())
    }
}

/// Parses `hh24:mi-hh24:mi` and checks the 30-minute minimum.
pub fn parse_window(w: &str) -> anyhow::Result<(NaiveTime, NaiveTime)> {
    let (a, b) = w
        .split_once('-')
        .ok_or_else(|| anyhow!("expected hh24:mi-hh24:mi"))?;
    let a = NaiveTime::parse_from_str(a, "%H:%M").map_err(|e| anyhow!("start {a:?}: {e}"))?;
    let b = NaiveTime::parse_from_str(b, "%H:%M").map_err(|e| anyhow!("end {b:?}: {e}"))?;
    let mut len = b - a;
    if len < Duration::zero() {
        len += Duration::days(1);
    }
    if len < Duration::minutes(30) {
        bail!("the window must be at least 30 minutes");
    }
    Ok((a, b))
}

/// Provisioning: creates a store on a target under a policy. Implement it to
/// test your own provisioning code; [`SdkProvisioner`] is firedrill's.
pub trait Provisioner: Send + Sync {
    /// A name for reports.
    fn name(&self) -> &str;

    /// Creates every resource and returns the store, ready for traffic.
    fn provision<'a>(
        &'a self,
        target: &'a dyn Target,
        policy: &'a BackupPolicy,
        names: &'a StoreNames,
    ) -> BoxFuture<'a, anyhow::Result<Store>>;
}

/// firedrill's own provisioning through the official SDKs ([`provision`]).
#[derive(Debug, Clone, Default)]
pub struct SdkProvisioner {
    /// How to wait on resource states.
    pub wait: WaitOptions,
}

impl Provisioner for SdkProvisioner {
    fn name(&self) -> &str {
        "firedrill-sdk"
    }

    fn provision<'a>(
        &'a self,
        target: &'a dyn Target,
        policy: &'a BackupPolicy,
        names: &'a StoreNames,
    ) -> BoxFuture<'a, anyhow::Result<Store>> {
        Box::pin(provision_with(target, policy, names, &self.wait))
    }
}

/// The signature of a provisioning closure.
pub type ProvisionFn = dyn for<'a> Fn(&'a dyn Target, &'a BackupPolicy, &'a StoreNames) -> BoxFuture<'a, anyhow::Result<Store>>
    + Send
    + Sync;

/// A [`Provisioner`] made from a closure.
pub struct FnProvisioner {
    name: String,
    f: Box<ProvisionFn>,
}

impl Provisioner for FnProvisioner {
    fn name(&self) -> &str {
        &self.name
    }

    fn provision<'a>(
        &'a self,
        target: &'a dyn Target,
        policy: &'a BackupPolicy,
        names: &'a StoreNames,
    ) -> BoxFuture<'a, anyhow::Result<Store>> {
        (self.f)(target, policy, names)
    }
}

/// Wraps a closure as a provisioner:
/// `provisioner_fn("mine", |t, p, n| Box::pin(my_provision(t, p, n)))`.
pub fn provisioner_fn<F>(name: &str, f: F) -> FnProvisioner
where
    F: for<'a> Fn(&'a dyn Target, &'a BackupPolicy, &'a StoreNames) -> BoxFuture<'a, anyhow::Result<Store>>
        + Send
        + Sync
        + 'static,
{
    FnProvisioner {
        name: name.to_owned(),
        f: Box::new(f),
    }
}

/// Creates the store under `policy` in the target's primary region.
pub async fn provision(
    target: &dyn Target,
    policy: &BackupPolicy,
    names: &StoreNames,
) -> anyhow::Result<Store> {
    provision_with(target, policy, names, &WaitOptions::default()).await
}

/// [`provision`] with explicit wait bounds.
pub async fn provision_with(
    target: &dyn Target,
    policy: &BackupPolicy,
    names: &StoreNames,
    wait: &WaitOptions,
) -> anyhow::Result<Store> {
    policy.validate()?;
    let region = target.primary_region().to_owned();
    let clients = Clients::new(target, &region);

    // RDS first: its ARN carries the account id the vault key and plan need.
    create_db_instance(&clients.rds, policy, names).await?;
    for (_, table) in names.dynamodb_tables() {
        create_table(
            &clients.dynamodb,
            table,
            if table == names.carts_table {
                "cart_id"
            } else {
                "session_id"
            },
        )
        .await?;
    }
    for (_, bucket) in names.buckets() {
        create_bucket(&clients.s3, bucket, &region).await?;
        apply_s3_policy(&clients.s3, bucket, &policy.s3).await?;
    }
    let cache = match &names.cache {
        Some(c) => Some(
            crate::store::elasticache::provision(
                target,
                &clients,
                &c.replication_group,
                &policy.elasticache,
                wait,
            )
            .await?,
        ),
        None => None,
    };
    for (_, table) in names.dynamodb_tables() {
        wait_table_active(target, &clients.dynamodb, table, wait).await?;
        if policy.dynamodb.pitr {
            set_table_pitr(
                &clients.dynamodb,
                table,
                true,
                policy.dynamodb.recovery_period_days,
            )
            .await?;
        }
    }
    let instance = wait_db_available(target, &clients.rds, &names.db_instance, wait).await?;
    let mut store = Store {
        names: names.clone(),
        region: region.clone(),
        db: instance.endpoint.clone(),
        versioned: if policy.s3.versioning {
            names.buckets().iter().map(|(c, _)| *c).collect()
        } else {
            BTreeSet::new()
        },
        cache,
        preloaded: false,
    };
    store.orders_db(target).await?.create_schema().await?;
    crate::store::replica::create(target, &mut store, policy.rds.retention_days, wait).await?;

    if let Some(plan) = &policy.backup_plan {
        create_backup_plan(target, &clients, plan, names, &instance.arn).await?;
    }
    if let Some(alarm) = &policy.alarm {
        create_backup_alarm(&clients, alarm, names).await?;
    }
    tracing::info!(prefix = %names.prefix, policy = %policy.name, "store provisioned");
    Ok(store)
}

/// What DescribeDBInstances says of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbInstanceInfo {
    /// `DBInstanceArn`.
    pub arn: String,
    /// `DBInstanceStatus`.
    pub status: String,
    /// `Endpoint`.
    pub endpoint: DbEndpoint,
    /// `LatestRestorableTime`.
    pub latest_restorable: Option<DateTime<Utc>>,
    /// `BackupRetentionPeriod`.
    pub retention_days: i32,
}

async fn create_db_instance(
    rds: &aws_sdk_rds::Client,
    policy: &BackupPolicy,
    names: &StoreNames,
) -> anyhow::Result<()> {
    rds.create_db_instance()
        .db_instance_identifier(&names.db_instance)
        .engine(names.orders_engine.rds_engine())
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username(&names.db_user)
        .master_user_password(&names.db_password)
        .db_name(&names.db_name)
        .backup_retention_period(policy.rds.retention_days as i32)
        .set_preferred_backup_window(policy.rds.backup_window.clone())
        .storage_encrypted(true)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateDBInstance {}", names.db_instance))?;
    Ok(())
}

/// Describes one instance; `None` when it does not exist.
pub async fn describe_db(rds: &aws_sdk_rds::Client, id: &str) -> anyhow::Result<Option<DbInstanceInfo>> {
    let resp = match rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let e = e.into_service_error();
            if e.is_db_instance_not_found_fault() {
                return Ok(None);
            }
            return Err(anyhow::Error::new(e).context(format!("DescribeDBInstances {id}")));
        }
    };
    let Some(i) = resp.db_instances.unwrap_or_default().into_iter().next() else {
        return Ok(None);
    };
    let endpoint = i.endpoint.as_ref();
    Ok(Some(DbInstanceInfo {
        arn: i.db_instance_arn.clone().unwrap_or_default(),
        status: i.db_instance_status.clone().unwrap_or_default(),
        endpoint: DbEndpoint {
            address: endpoint.and_then(|e| e.address.clone()).unwrap_or_default(),
            port: endpoint
                .and_then(|e| e.port)
                .unwrap_or(5432)
                .clamp(0, u16::MAX as i32) as u16,
        },
        latest_restorable: i.latest_restorable_time.and_then(crate::model::smithy_to_chrono),
        retention_days: i.backup_retention_period.unwrap_or(0),
    }))
}

/// Waits until an instance is `available` with an endpoint.
pub async fn wait_db_available(
    target: &dyn Target,
    rds: &aws_sdk_rds::Client,
    id: &str,
    wait: &WaitOptions,
) -> anyhow::Result<DbInstanceInfo> {
    // A restored instance is ready once its server has replayed its log:
    // real work, whose seconds pass at wall rate.
    crate::wait::wait_for_real_work(
        target,
        &format!("RDS instance {id} to be available"),
        wait,
        || async {
            match describe_db(rds, id).await? {
                Some(i) if i.status == "available" && !i.endpoint.address.is_empty() => Ok(Poll::Ready(i)),
                Some(i) if i.status == "failed" || i.status == "incompatible-restore" => {
                    Err(anyhow!("RDS instance {id} entered status {}", i.status))
                }
                Some(i) => Ok(Poll::Pending(format!("status {}", i.status))),
                None => Ok(Poll::Pending("not found yet".into())),
            }
        },
    )
    .await
}

async fn create_table(ddb: &aws_sdk_dynamodb::Client, table: &str, pk: &str) -> anyhow::Result<()> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
        ProjectionType, ScalarAttributeType,
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let hash = |name: &str| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(KeyType::Hash)
            .build()
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(BY_CUSTOMER_INDEX)
        .key_schema(hash("customer_id")?)
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()?;
    ddb.create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(pk)?)
        .attribute_definitions(attr("customer_id")?)
        .key_schema(hash(pk)?)
        .global_secondary_indexes(gsi)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateTable {table}"))?;
    Ok(())
}

/// Waits until a table is `ACTIVE`; returns its ARN.
pub async fn wait_table_active(
    target: &dyn Target,
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    wait: &WaitOptions,
) -> anyhow::Result<String> {
    wait_for(
        target,
        &format!("DynamoDB table {table} to be ACTIVE"),
        wait,
        || async {
            let resp = match ddb.describe_table().table_name(table).send().await {
                Ok(r) => r,
                Err(e) => {
                    let e = e.into_service_error();
                    if e.is_resource_not_found_exception() {
                        return Ok(Poll::Pending("not found yet".into()));
                    }
                    return Err(anyhow::Error::new(e).context(format!("DescribeTable {table}")));
                }
            };
            let t = resp
                .table
                .ok_or_else(|| anyhow!("DescribeTable {table} returned no table"))?;
            match t.table_status {
                Some(aws_sdk_dynamodb::types::TableStatus::Active) => {
                    Ok(Poll::Ready(t.table_arn.unwrap_or_default()))
                }
                other => Ok(Poll::Pending(format!("status {other:?}"))),
            }
        },
    )
    .await
}

/// Turns PITR on or off for a table.
pub async fn set_table_pitr(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    enabled: bool,
    period_days: Option<u32>,
) -> anyhow::Result<()> {
    let spec = aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(enabled)
        .set_recovery_period_in_days(period_days.filter(|_| enabled).map(|d| d as i32))
        .build()?;
    ddb.update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(spec)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("UpdateContinuousBackups {table} enabled={enabled}"))?;
    Ok(())
}

/// Creates a bucket in `region` (with a location constraint outside us-east-1).
pub async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str, region: &str) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let mut req = s3.create_bucket().bucket(bucket);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    req.send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateBucket {bucket}"))?;
    Ok(())
}

/// Applies versioning and the Glacier IR lifecycle rule to a bucket.
pub async fn apply_s3_policy(s3: &aws_sdk_s3::Client, bucket: &str, policy: &S3Policy) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleRule,
        LifecycleRuleFilter, NoncurrentVersionTransition, Transition, TransitionStorageClass,
        VersioningConfiguration,
    };
    if policy.versioning {
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("PutBucketVersioning {bucket}"))?;
    }
    if let Some(days) = policy.glacier_ir_after_days {
        let mut rule = LifecycleRule::builder()
            .id("glacier-ir")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .transitions(
                Transition::builder()
                    .days(days as i32)
                    .storage_class(TransitionStorageClass::GlacierIr)
                    .build(),
            );
        if policy.versioning {
            rule = rule.noncurrent_version_transitions(
                NoncurrentVersionTransition::builder()
                    .noncurrent_days(days as i32)
                    .storage_class(TransitionStorageClass::GlacierIr)
                    .build(),
            );
        }
        s3.put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(rule.build()?)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("PutBucketLifecycleConfiguration {bucket}"))?;
    }
    Ok(())
}

/// The account id in an ARN (`arn:aws:svc:region:account:...`).
pub fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// The IAM role AWS Backup assumes, in `account`.
pub fn backup_role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole")
}

/// Creates a vault in one region, tolerating one that already exists; returns its ARN.
pub async fn create_vault(
    backup: &aws_sdk_backup::Client,
    vault: &str,
    kms_key: Option<String>,
) -> anyhow::Result<String> {
    match backup
        .create_backup_vault()
        .backup_vault_name(vault)
        .set_encryption_key_arn(kms_key)
        .send()
        .await
    {
        Ok(r) => Ok(r.backup_vault_arn.unwrap_or_default()),
        Err(e) => {
            let e = e.into_service_error();
            if e.is_already_exists_exception() {
                let d = backup
                    .describe_backup_vault()
                    .backup_vault_name(vault)
                    .send()
                    .await
                    .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                Ok(d.backup_vault_arn.unwrap_or_default())
            } else {
                Err(anyhow::Error::new(e).context(format!("CreateBackupVault {vault}")))
            }
        }
    }
}

/// Makes sure the vault key `key` exists: an alias (`alias/...` or its
/// ARN) that names no key gets a new symmetric key of its own, as a team's
/// infrastructure code creates it next to the vault; a key id or key ARN is
/// left as it is. AWS Backup asks KMS at every job, so a vault whose key is
/// missing backs nothing up.
pub async fn ensure_kms_alias(kms: &aws_sdk_kms::Client, key: &str) -> anyhow::Result<()> {
    let Some(alias) = key.find("alias/").and_then(|i| key.get(i..)) else {
        return Ok(());
    };
    match kms.describe_key().key_id(key).send().await {
        Ok(_) => return Ok(()),
        Err(e) => {
            let e = e.into_service_error();
            if !e.is_not_found_exception() {
                return Err(anyhow::Error::new(e).context(format!("DescribeKey {key}")));
            }
        }
    }
    let created = kms
        .create_key()
        .description(format!("firedrill backup vault key ({alias})"))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("CreateKey")?;
    let id = created
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .ok_or_else(|| anyhow::anyhow!("CreateKey returned no key"))?;
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&id)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateAlias {alias}"))?;
    tracing::info!(alias, key = %id, "created the backup vault's KMS key");
    Ok(())
}

async fn create_backup_plan(
    target: &dyn Target,
    clients: &Clients,
    plan: &PlanPolicy,
    names: &StoreNames,
    db_arn: &str,
) -> anyhow::Result<()> {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, CopyAction, Lifecycle};
    let account = arn_account(db_arn).unwrap_or("000000000000").to_owned();
    let key_for = |region: &str| {
        plan.vault_kms_key
            .as_ref()
            .map(|k| k.replace("{region}", region).replace("{account}", &account))
    };
    let key = key_for(&clients.region);
    if let Some(k) = &key {
        ensure_kms_alias(&clients.kms, k).await?;
    }
    create_vault(&clients.backup, &names.backup_vault, key).await?;
    let mut copy_vaults = std::collections::BTreeMap::new();
    for r in &plan.rules {
        if let Some(region) = &r.copy_to_region
            && !copy_vaults.contains_key(region)
        {
            let remote = Clients::new(target, region);
            if let Some(k) = key_for(region) {
                ensure_kms_alias(&remote.kms, &k).await?;
            }
            let arn = create_vault(&remote.backup, &names.backup_vault, key_for(region)).await?;
            copy_vaults.insert(region.clone(), arn);
        }
    }
    let account_vault = match &plan.backup_account {
        Some(vault) => {
            Some(create_backup_account_vault(target, clients, plan, vault, names, &account).await?)
        }
        None => None,
    };
    let mut input = BackupPlanInput::builder().backup_plan_name(&names.backup_plan);
    for r in &plan.rules {
        let lifecycle = Lifecycle::builder()
            .delete_after_days(r.delete_after_days as i64)
            .build();
        let mut rule = BackupRuleInput::builder()
            .rule_name(&r.name)
            .target_backup_vault_name(&names.backup_vault)
            .schedule_expression(r.frequency.schedule_expression())
            .start_window_minutes(60)
            .completion_window_minutes(180)
            .lifecycle(lifecycle.clone());
        if let Some(region) = &r.copy_to_region {
            let arn = copy_vaults.get(region).cloned().unwrap_or_default();
            rule = rule.copy_actions(
                CopyAction::builder()
                    .destination_backup_vault_arn(arn)
                    .lifecycle(lifecycle)
                    .build()?,
            );
        }
        if r.copy_to_backup_account
            && let (Some(arn), Some(vault)) = (&account_vault, &plan.backup_account)
        {
            let days = vault.copy_retention_days(r);
            rule = rule.copy_actions(
                CopyAction::builder()
                    .destination_backup_vault_arn(arn)
                    .lifecycle(Lifecycle::builder().delete_after_days(i64::from(days)).build())
                    .build()?,
            );
        }
        input = input.rules(rule.build()?);
    }
    let created = clients
        .backup
        .create_backup_plan()
        .backup_plan(input.build()?)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateBackupPlan {}", names.backup_plan))?;
    let plan_id = created
        .backup_plan_id
        .ok_or_else(|| anyhow!("CreateBackupPlan returned no id"))?;

    let mut resources = vec![db_arn.to_owned()];
    for (_, table) in names.dynamodb_tables() {
        let d = clients
            .dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
        resources.extend(d.table.and_then(|t| t.table_arn));
    }
    for (_, bucket) in names.buckets() {
        resources.push(format!("arn:aws:s3:::{bucket}"));
    }
    let selection = BackupSelection::builder()
        .selection_name(format!("{}-all", names.prefix))
        .iam_role_arn(backup_role_arn(&account))
        .set_resources(Some(resources))
        .build()?;
    clients
        .backup
        .create_backup_selection()
        .backup_plan_id(plan_id)
        .backup_selection(selection)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("CreateBackupSelection")?;
    Ok(())
}

/// Creates the plan's vault in the second account with that account's own
/// keys: its KMS key (the plan's `vault_kms_key` filled in for that
/// account), an access policy letting the production account
/// (`prod_account`) copy into it and nothing else, and its Vault Lock.
/// Returns the vault's ARN, the copy actions' destination.
async fn create_backup_account_vault(
    target: &dyn Target,
    prod: &Clients,
    plan: &PlanPolicy,
    vault: &BackupAccountPolicy,
    names: &StoreNames,
    prod_account: &str,
) -> anyhow::Result<String> {
    let region = vault.region.clone().unwrap_or_else(|| prod.region.clone());
    let remote = Clients::for_account(target, &vault.account, &region)?;
    let account = remote
        .account_id()
        .await
        .with_context(|| format!("the {} account's keys", vault.account))?;
    if account == prod_account {
        bail!(
            "backup_plan.backup_account {:?} is the production account {prod_account} itself: its copies would be in reach of the same keys",
            vault.account
        );
    }
    let key = plan
        .vault_kms_key
        .as_ref()
        .map(|k| k.replace("{region}", &region).replace("{account}", &account));
    if let Some(k) = &key {
        ensure_kms_alias(&remote.kms, k).await?;
    }
    let name = names.backup_account_vault();
    let arn = create_vault(&remote.backup, &name, key).await?;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowCopiesFromProduction",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{prod_account}:root")},
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*"
        }]
    });
    remote
        .backup
        .put_backup_vault_access_policy()
        .backup_vault_name(&name)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("PutBackupVaultAccessPolicy {name} in account {account}"))?;
    if let Some(lock) = &vault.lock {
        remote
            .backup
            .put_backup_vault_lock_configuration()
            .backup_vault_name(&name)
            .min_retention_days(i64::from(lock.min_retention_days))
            .set_max_retention_days(lock.max_retention_days.map(i64::from))
            .set_changeable_for_days(lock.changeable_for_days.map(i64::from))
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("PutBackupVaultLockConfiguration {name} in account {account}"))?;
    }
    tracing::info!(vault = %name, %account, %region, "backup account vault ready");
    Ok(arn)
}

/// Creates the alarm's SNS topic and the CloudWatch alarm whose action it
/// is, in the clients' region.
async fn create_backup_alarm(
    clients: &Clients,
    alarm: &AlarmPolicy,
    names: &StoreNames,
) -> anyhow::Result<()> {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    let topic = clients
        .sns
        .create_topic()
        .name(names.alarm_topic())
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateTopic {}", names.alarm_topic()))?
        .topic_arn
        .ok_or_else(|| anyhow!("CreateTopic {} returned no ARN", names.alarm_topic()))?;
    clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(names.backup_alarm())
        .alarm_description(format!(
            "AWS Backup: {} >= {} in {} s",
            alarm.metric, alarm.threshold, alarm.period_seconds
        ))
        .namespace("AWS/Backup")
        .metric_name(&alarm.metric)
        .statistic(Statistic::Sum)
        .period(alarm.period_seconds as i32)
        .evaluation_periods(1)
        .datapoints_to_alarm(1)
        .threshold(f64::from(alarm.threshold))
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .alarm_actions(&topic)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("PutMetricAlarm {}", names.backup_alarm()))?;
    Ok(())
}

/// The identifier of a nightly snapshot taken at `at`.
pub fn snapshot_id(names: &StoreNames, at: DateTime<Utc>) -> String {
    format!("{}-nightly-{}", names.prefix, at.format("%Y%m%d%H%M"))
}

/// Runs the nightly snapshot job once: an RDS snapshot and a DynamoDB
/// on-demand backup of each table, waiting until they are available, then
/// deleting the job's snapshots older than the retention. Returns a line for
/// the history.
pub async fn run_snapshot_job(
    target: &dyn Target,
    store: &Store,
    job: &SnapshotJob,
    wait: &WaitOptions,
) -> anyhow::Result<String> {
    let clients = store.clients(target);
    let now = target.now();
    let id = snapshot_id(&store.names, now);
    clients
        .rds
        .create_db_snapshot()
        .db_instance_identifier(&store.names.db_instance)
        .db_snapshot_identifier(&id)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateDBSnapshot {id}"))?;
    for (_, table) in store.names.dynamodb_tables() {
        clients
            .dynamodb
            .create_backup()
            .table_name(table)
            .backup_name(&id)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("CreateBackup {table}"))?;
    }
    let rds = clients.rds.clone();
    wait_for(
        target,
        &format!("DB snapshot {id} to be available"),
        wait,
        || async {
            let d = rds
                .describe_db_snapshots()
                .db_snapshot_identifier(&id)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
            let status = d
                .db_snapshots
                .unwrap_or_default()
                .into_iter()
                .next()
                .and_then(|s| s.status)
                .unwrap_or_default();
            Ok(if status == "available" {
                Poll::Ready(())
            } else {
                Poll::Pending(format!("status {status}"))
            })
        },
    )
    .await?;
    let cutoff = now - Duration::days(job.retention_days as i64);
    let old = clients
        .rds
        .describe_db_snapshots()
        .db_instance_identifier(&store.names.db_instance)
        .snapshot_type("manual")
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
    let prefix = format!("{}-nightly-", store.names.prefix);
    for s in old.db_snapshots.unwrap_or_default() {
        let created = s.snapshot_create_time.and_then(crate::model::smithy_to_chrono);
        if let (Some(sid), Some(created)) = (s.db_snapshot_identifier, created)
            && sid.starts_with(&prefix)
            && created < cutoff
        {
            clients
                .rds
                .delete_db_snapshot()
                .db_snapshot_identifier(&sid)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("DeleteDBSnapshot {sid}"))?;
        }
    }
    Ok(format!(
        "nightly snapshot {id} (RDS snapshot, DynamoDB backups of carts and sessions)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_policies_say_what_the_stories_say() {
        let hope = backup_hope();
        hope.validate().unwrap();
        assert!(!hope.rds.pitr() && !hope.dynamodb.pitr && !hope.s3.versioning);
        assert!(hope.backup_plan.is_none() && hope.copy_regions().is_empty());
        let job = hope.snapshot_job.unwrap();
        assert_eq!(job.at, NaiveTime::from_hms_opt(3, 0, 0).unwrap());
        assert_eq!(job.retention_days, 7);

        let four = four_layer();
        four.validate().unwrap();
        assert!(four.rds.pitr() && four.rds.retention_days == 14);
        assert_eq!(four.rds.backup_window.as_deref(), Some("03:00-04:00"));
        assert!(four.dynamodb.pitr && four.s3.versioning);
        assert_eq!(four.s3.glacier_ir_after_days, Some(30));
        let plan = four.backup_plan.as_ref().unwrap();
        let freqs: Vec<_> = plan.rules.iter().map(|r| r.frequency).collect();
        assert_eq!(freqs, [Frequency::Hourly, Frequency::Daily, Frequency::Weekly]);
        assert!(plan.vault_kms_key.is_some());
        assert_eq!(four.copy_regions(), BTreeSet::from(["us-west-2".to_owned()]));
        assert_eq!(by_name("four_layer"), Some(four.clone()));
        assert!(by_name("nope").is_none());
        assert!(
            four.alarm.is_none(),
            "four_layer has no alarm: the unnoticed failures' policy"
        );
        let alarmed = four_layer_alarmed();
        alarmed.validate().unwrap();
        let alarm = alarmed.alarm.as_ref().unwrap();
        assert_eq!(alarm.metric, "NumberOfBackupJobsFailed");
        assert_eq!((alarm.period_seconds, alarm.threshold), (3600, 1));
        assert_eq!(
            BackupPolicy {
                name: four.name.clone(),
                alarm: None,
                ..alarmed.clone()
            },
            four,
            "four_layer_alarmed is four_layer plus the alarm"
        );
        let mut bad = alarmed;
        bad.alarm = Some(AlarmPolicy {
            metric: "NumberOfBackupsFailed".into(),
            ..AlarmPolicy::default()
        });
        assert!(bad.validate().unwrap_err().to_string().contains("alarm.metric"));
    }

    #[test]
    fn the_backup_account_policy_copies_every_rule_under_a_compliance_lock() {
        let p = four_layer_backup_account();
        p.validate().unwrap();
        let plan = p.backup_plan.as_ref().unwrap();
        assert!(plan.rules.iter().all(|r| r.copy_to_backup_account));
        let vault = plan.backup_account.as_ref().unwrap();
        assert_eq!(vault.account, crate::target::BACKUP_ACCOUNT);
        let lock = vault.lock.as_ref().unwrap();
        assert_eq!(lock.changeable_for_days, Some(3), "compliance mode");
        // The hourly rule keeps 2 days; its copies there keep the lock's 7.
        let hourly = &plan.rules[0];
        assert_eq!(
            (hourly.delete_after_days, vault.copy_retention_days(hourly)),
            (2, 7)
        );
        assert_eq!(vault.copy_retention_days(&plan.rules[2]), 90);
        assert_eq!(by_name("four_layer_backup_account"), Some(p.clone()));
        let back: BackupPolicy = toml::from_str(&toml::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn invalid_backup_account_policies_name_the_field() {
        let mut p = four_layer();
        p.backup_plan.as_mut().unwrap().rules[0].copy_to_backup_account = true;
        let e = p.validate().unwrap_err().to_string();
        assert!(
            e.contains("copy_to_backup_account needs backup_plan.backup_account"),
            "{e}"
        );

        let base = VaultLockPolicy {
            min_retention_days: 7,
            max_retention_days: Some(365),
            changeable_for_days: Some(3),
        };
        for (lock, field) in [
            (
                VaultLockPolicy {
                    changeable_for_days: Some(2),
                    ..base.clone()
                },
                "changeable_for_days",
            ),
            (
                VaultLockPolicy {
                    min_retention_days: 0,
                    ..base.clone()
                },
                "min_retention_days",
            ),
            (
                VaultLockPolicy {
                    max_retention_days: Some(5),
                    ..base.clone()
                },
                "max_retention_days",
            ),
            (
                VaultLockPolicy {
                    max_retention_days: Some(30),
                    ..base.clone()
                },
                "delete_after_days (35)",
            ),
        ] {
            let mut p = four_layer_backup_account();
            if let Some(vault) = p.backup_plan.as_mut().and_then(|b| b.backup_account.as_mut()) {
                vault.lock = Some(lock);
            }
            let e = p.validate().unwrap_err().to_string();
            assert!(e.contains(field), "{field}: {e}");
        }
    }

    #[test]
    fn invalid_policies_name_the_field() {
        let mut p = four_layer();
        p.rds.retention_days = 36;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("rds.retention_days")
        );
        let mut p = four_layer();
        p.rds.backup_window = Some("03:00-03:10".into());
        let e = format!("{:#}", p.validate().unwrap_err());
        assert!(e.contains("rds.backup_window") && e.contains("30 minutes"), "{e}");
        let mut p = four_layer();
        p.dynamodb.recovery_period_days = Some(0);
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("recovery_period_days")
        );
    }

    #[test]
    fn windows_wrap_midnight_and_arns_yield_accounts() {
        assert!(parse_window("23:45-00:30").is_ok());
        assert!(parse_window("0300-0400").is_err());
        assert_eq!(
            arn_account("arn:aws:rds:us-east-1:123456789012:db:shop-orders"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn a_closure_is_a_provisioner() {
        let p = provisioner_fn("mine", |target, policy, names| {
            Box::pin(async move {
                let _ = (target.name(), &policy.name);
                Err(anyhow!("{} is provisioned elsewhere", names.prefix))
            })
        });
        assert_eq!(p.name(), "mine");
        let boxed: std::sync::Arc<dyn Provisioner> = std::sync::Arc::new(p);
        assert_eq!(boxed.name(), "mine");
    }

    #[test]
    fn policies_round_trip_through_toml() {
        let p = four_layer();
        let text = toml::to_string(&p).unwrap();
        let back: BackupPolicy = toml::from_str(&text).unwrap();
        assert_eq!(back, p);
    }
}
