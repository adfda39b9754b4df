//! What the audit reads: the data resources and backup configuration of
//! each region, as plain values.
//!
//! [`collect`] reads one region through [`GuardedClients`] with the SDK
//! paginators: RDS instances (with manual snapshots and cross-Region
//! automated backup replications) and clusters, DynamoDB tables (PITR,
//! on-demand backups, global table replicas, tags), S3 buckets located in
//! the region (versioning, replication, Object Lock, lifecycle, tags), and
//! AWS Backup vaults (lock, key type), plans (rules, copy actions),
//! selections resolved to the resources they cover ([`crate::audit::coverage`]),
//! restore jobs of the last 90 days and restore testing plans, and
//! ElastiCache groups and clusters with their snapshots
//! ([`crate::audit::elasticache`]). Everything
//! here is configuration: no object, item or row is ever read.

use super::coverage;
use super::readonly::GuardedClients;
use crate::model::smithy_to_chrono;
use crate::policy::arn_account;
use anyhow::Context;
use aws_sdk_s3::error::ProvideErrorMetadata;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Resource tags.
pub type Tags = BTreeMap<String, String>;

/// The kinds of data resource the audit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// An RDS DB instance outside any cluster.
    RdsInstance,
    /// An RDS (Aurora or Multi-AZ) DB cluster.
    RdsCluster,
    /// A DynamoDB table.
    DynamodbTable,
    /// An S3 bucket.
    S3Bucket,
}

impl ResourceKind {
    /// A short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::RdsInstance => "RDS instance",
            ResourceKind::RdsCluster => "RDS cluster",
            ResourceKind::DynamodbTable => "DynamoDB table",
            ResourceKind::S3Bucket => "S3 bucket",
        }
    }
}

/// An RDS DB instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInstance {
    /// `DBInstanceIdentifier`.
    pub id: String,
    /// `DBInstanceArn`.
    pub arn: String,
    /// The engine.
    pub engine: String,
    /// `BackupRetentionPeriod` in days (0: automated backups off).
    pub retention_days: i32,
    /// `PreferredBackupWindow`.
    pub backup_window: Option<String>,
    /// The cluster it belongs to, whose backups are its backups.
    pub cluster: Option<String>,
    /// Regions its automated backups are replicated to.
    pub replicated_to: Vec<String>,
    /// Manual snapshots of it.
    pub manual_snapshots: usize,
    /// When the newest manual snapshot was taken.
    pub latest_manual_snapshot: Option<DateTime<Utc>>,
    /// Its tags.
    pub tags: Tags,
}

/// An RDS DB cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbCluster {
    /// `DBClusterIdentifier`.
    pub id: String,
    /// `DBClusterArn`.
    pub arn: String,
    /// The engine.
    pub engine: String,
    /// `BackupRetentionPeriod` in days.
    pub retention_days: i32,
    /// `PreferredBackupWindow`.
    pub backup_window: Option<String>,
    /// Its tags.
    pub tags: Tags,
}

/// A DynamoDB table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The table name.
    pub name: String,
    /// `TableArn`.
    pub arn: String,
    /// Point-in-time recovery is `ENABLED`.
    pub pitr: bool,
    /// `RecoveryPeriodInDays` while PITR is on.
    pub recovery_period_days: Option<i32>,
    /// Regions of its global table replicas.
    pub replica_regions: Vec<String>,
    /// On-demand backups (`USER`) of it.
    pub on_demand_backups: usize,
    /// When the newest on-demand backup was made.
    pub latest_on_demand_backup: Option<DateTime<Utc>>,
    /// Its tags.
    pub tags: Tags,
}

/// Where a bucket replicates to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationTarget {
    /// The destination bucket's ARN.
    pub bucket_arn: String,
    /// Its region, when it could be read.
    pub region: Option<String>,
    /// The destination account, when the rule names one.
    pub account: Option<String>,
}

/// An S3 bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The bucket name.
    pub name: String,
    /// `arn:aws:s3:::name`.
    pub arn: String,
    /// Versioning status (`Enabled`, `Suspended`, or none: never enabled).
    pub versioning: Option<String>,
    /// Enabled replication rules' destinations.
    pub replication: Vec<ReplicationTarget>,
    /// Object Lock is enabled.
    pub object_lock: bool,
    /// Lifecycle rules.
    pub lifecycle_rules: usize,
    /// Its tags.
    pub tags: Tags,
}

impl Bucket {
    /// Whether versioning is on now.
    pub fn versioned(&self) -> bool {
        self.versioning.as_deref() == Some("Enabled")
    }
}

/// An AWS Backup vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    /// The vault name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Vault Lock is on.
    pub locked: bool,
    /// `EncryptionKeyType` (`AWS_OWNED_KMS_KEY`, `CUSTOMER_MANAGED_KMS_KEY`).
    pub key_type: Option<String>,
    /// `EncryptionKeyArn`.
    pub key_arn: Option<String>,
    /// `NumberOfRecoveryPoints`.
    pub recovery_points: i64,
}

/// A copy action of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyTarget {
    /// The destination vault's ARN.
    pub vault_arn: String,
    /// Its region (from the ARN).
    pub region: Option<String>,
    /// Its account (from the ARN).
    pub account: Option<String>,
    /// The copies' `DeleteAfterDays`.
    pub delete_after_days: Option<i64>,
}

/// A rule of a backup plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `RuleName`.
    pub name: String,
    /// `ScheduleExpression`.
    pub schedule: Option<String>,
    /// The longest gap between two runs of the schedule, in minutes (none
    /// when there is no schedule or it could not be read).
    pub worst_gap_minutes: Option<i64>,
    /// `StartWindowMinutes` (AWS's default 480 when unset).
    pub start_window_minutes: i64,
    /// `CompletionWindowMinutes` (AWS's default 10080 when unset).
    pub completion_window_minutes: i64,
    /// `Lifecycle.DeleteAfterDays` (none: kept forever).
    pub delete_after_days: Option<i64>,
    /// `EnableContinuousBackup`.
    pub continuous: bool,
    /// Its copy actions.
    pub copies: Vec<CopyTarget>,
    /// The vault its recovery points go to.
    pub vault: String,
}

/// A backup selection and what it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// `SelectionName`.
    pub name: String,
    /// `Resources` (ARN patterns).
    pub resources: Vec<String>,
    /// `NotResources`.
    pub not_resources: Vec<String>,
    /// `ListOfTags` as `key=value` (OR'ed).
    pub list_of_tags: Vec<String>,
    /// `Conditions`, rendered (`StringEquals aws:ResourceTag/k=v`), AND'ed.
    pub conditions: Vec<String>,
    /// ARNs of the audited resources it selects.
    pub covers: Vec<String>,
}

/// A backup plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// `BackupPlanId`.
    pub id: String,
    /// `BackupPlanName`.
    pub name: String,
    /// Its rules.
    pub rules: Vec<Rule>,
    /// Its selections.
    pub selections: Vec<Selection>,
}

/// A restore job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreJob {
    /// `RestoreJobId`.
    pub id: String,
    /// `Status`.
    pub status: String,
    /// `ResourceType`.
    pub resource_type: Option<String>,
    /// `SourceResourceArn`, when AWS gives it.
    pub source_resource_arn: Option<String>,
    /// `CreationDate`.
    pub created: Option<DateTime<Utc>>,
}

/// A restore testing plan: when it was made and when it last ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreTestingPlan {
    /// `RestoreTestingPlanName`.
    pub name: String,
    /// `ScheduleExpression`.
    pub schedule: String,
    /// `CreationTime`.
    pub created: Option<DateTime<Utc>>,
    /// `LastExecutionTime` (none: it has never run).
    pub last_run: Option<DateTime<Utc>>,
}

impl RestoreTestingPlan {
    /// Whether it counts as restores tested since `since`: it ran since, or
    /// it is younger than that, so its first run may not be due yet.
    pub fn tests_since(&self, since: DateTime<Utc>) -> bool {
        self.last_run.is_some_and(|t| t >= since) || self.created.is_some_and(|t| t >= since)
    }
}

/// One region's inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RegionInventory {
    /// The region.
    pub region: String,
    /// RDS instances.
    pub db_instances: Vec<DbInstance>,
    /// RDS clusters.
    pub db_clusters: Vec<DbCluster>,
    /// DynamoDB tables.
    pub tables: Vec<Table>,
    /// S3 buckets located in this region.
    pub buckets: Vec<Bucket>,
    /// Backup vaults.
    pub vaults: Vec<Vault>,
    /// Backup plans.
    pub plans: Vec<Plan>,
    /// Restore jobs created in the last 90 days.
    pub restore_jobs: Vec<RestoreJob>,
    /// How many restore testing plans there are (none when the endpoint
    /// could not answer).
    pub restore_testing_plans: Option<usize>,
    /// The restore testing plans themselves.
    #[serde(default)]
    pub restore_testing: Vec<RestoreTestingPlan>,
    /// ElastiCache replication groups and standalone cache clusters.
    #[serde(default)]
    pub cache_groups: Vec<super::elasticache::CacheGroup>,
    /// What could not be read, in sentences.
    pub notes: Vec<String>,
}

/// A data resource of any kind, as checks and coverage see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataResource<'a> {
    /// Its kind.
    pub kind: ResourceKind,
    /// Its name or identifier.
    pub name: &'a str,
    /// Its ARN.
    pub arn: &'a str,
    /// Its tags.
    pub tags: &'a Tags,
}

impl RegionInventory {
    /// The region's data resources (instances inside a cluster are the
    /// cluster's), in a stable order.
    pub fn data_resources(&self) -> Vec<DataResource<'_>> {
        let mut out = Vec::new();
        for i in self.db_instances.iter().filter(|i| i.cluster.is_none()) {
            out.push(DataResource {
                kind: ResourceKind::RdsInstance,
                name: &i.id,
                arn: &i.arn,
                tags: &i.tags,
            });
        }
        for c in &self.db_clusters {
            out.push(DataResource {
                kind: ResourceKind::RdsCluster,
                name: &c.id,
                arn: &c.arn,
                tags: &c.tags,
            });
        }
        for t in &self.tables {
            out.push(DataResource {
                kind: ResourceKind::DynamodbTable,
                name: &t.name,
                arn: &t.arn,
                tags: &t.tags,
            });
        }
        for b in &self.buckets {
            out.push(DataResource {
                kind: ResourceKind::S3Bucket,
                name: &b.name,
                arn: &b.arn,
                tags: &b.tags,
            });
        }
        out
    }

    /// The account the region's resources belong to, from their ARNs.
    pub fn account(&self) -> Option<&str> {
        self.db_instances
            .iter()
            .map(|i| i.arn.as_str())
            .chain(self.db_clusters.iter().map(|c| c.arn.as_str()))
            .chain(self.tables.iter().map(|t| t.arn.as_str()))
            .chain(self.vaults.iter().map(|v| v.arn.as_str()))
            .find_map(arn_account)
    }

    /// The rules of every plan whose selections cover `arn`.
    pub fn rules_covering(&self, arn: &str) -> Vec<(&Plan, &Rule)> {
        self.plans
            .iter()
            .filter(|p| p.selections.iter().any(|s| s.covers.iter().any(|c| c == arn)))
            .flat_map(|p| p.rules.iter().map(move |r| (p, r)))
            .collect()
    }
}

/// Everything the audit read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The instant the audit ran (the target's clock).
    pub taken_at: DateTime<Utc>,
    /// Each audited region.
    pub regions: Vec<RegionInventory>,
}

/// How far back restore jobs count as a tested restore.
pub const RESTORE_TEST_WINDOW_DAYS: i64 = 90;

/// Turns an SDK error into one that names the call and AWS's error code.
fn sdk_err<E, R>(call: &str, e: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static + ProvideErrorMetadata,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = e.code().map(str::to_owned);
    let message = e.message().map(str::to_owned);
    match (code, message) {
        (Some(c), Some(m)) => anyhow::anyhow!("{call}: {c}: {m}"),
        (Some(c), None) => anyhow::anyhow!("{call}: {c}"),
        _ => anyhow::Error::new(e).context(call.to_owned()),
    }
}

/// The AWS error code of a failed call, if it got an answer.
fn code_of<E: ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> Option<String> {
    e.code().map(str::to_owned)
}

/// Reads one region. `all_buckets` is the account's bucket list (S3 lists
/// every region's buckets at once), each with its region.
pub async fn collect(
    clients: &GuardedClients,
    all_buckets: &[(String, String)],
    now: DateTime<Utc>,
) -> anyhow::Result<RegionInventory> {
    let mut inv = RegionInventory {
        region: clients.region.clone(),
        ..RegionInventory::default()
    };
    collect_rds(clients, &mut inv).await?;
    collect_dynamodb(clients, &mut inv).await?;
    for (bucket, region) in all_buckets {
        if *region == clients.region {
            let b = collect_bucket(clients, bucket, all_buckets).await?;
            inv.buckets.push(b);
        }
    }
    collect_backup(clients, &mut inv, now).await?;
    super::elasticache::collect(clients, &mut inv).await?;
    Ok(inv)
}

/// The account's buckets and their regions, read once.
pub async fn list_buckets(clients: &GuardedClients) -> anyhow::Result<Vec<(String, String)>> {
    let buckets: Vec<_> = clients
        .s3
        .list_buckets()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_err("ListBuckets", e))?;
    let mut out = Vec::new();
    for b in buckets {
        let Some(name) = b.name else { continue };
        let region = match b.bucket_region.filter(|r| !r.is_empty()) {
            Some(r) => r,
            None => bucket_region(&clients.s3, &name)
                .await?
                .unwrap_or_else(|| clients.region.clone()),
        };
        out.push((name, region));
    }
    out.sort();
    Ok(out)
}

/// A bucket's region from `GetBucketLocation` (none when it cannot be read).
async fn bucket_region(s3: &aws_sdk_s3::Client, bucket: &str) -> anyhow::Result<Option<String>> {
    match s3.get_bucket_location().bucket(bucket).send().await {
        Ok(r) => Ok(Some(match r.location_constraint.map(|c| c.as_str().to_owned()) {
            None => "us-east-1".to_owned(),
            Some(c) if c.is_empty() => "us-east-1".to_owned(),
            Some(c) if c == "EU" => "eu-west-1".to_owned(),
            Some(c) => c,
        })),
        Err(e) if code_of(&e).is_some() => Ok(None),
        Err(e) => Err(sdk_err("GetBucketLocation", e)),
    }
}

fn rds_tags(list: Option<Vec<aws_sdk_rds::types::Tag>>) -> Tags {
    list.unwrap_or_default()
        .into_iter()
        .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
        .collect()
}

async fn collect_rds(clients: &GuardedClients, inv: &mut RegionInventory) -> anyhow::Result<()> {
    let rds = &clients.rds;
    let instances: Vec<_> = rds
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_err("DescribeDBInstances", e))?;
    for i in instances {
        let id = i.db_instance_identifier.unwrap_or_default();
        let snapshots: Vec<_> = rds
            .describe_db_snapshots()
            .db_instance_identifier(&id)
            .snapshot_type("manual")
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| sdk_err("DescribeDBSnapshots", e))?;
        let latest = snapshots
            .iter()
            .filter_map(|s| s.snapshot_create_time.and_then(smithy_to_chrono))
            .max();
        let replicated_to = i
            .db_instance_automated_backups_replications
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.db_instance_automated_backups_arn)
            .filter_map(|arn| arn.split(':').nth(3).map(str::to_owned))
            .collect();
        inv.db_instances.push(DbInstance {
            id,
            arn: i.db_instance_arn.unwrap_or_default(),
            engine: i.engine.unwrap_or_default(),
            retention_days: i.backup_retention_period.unwrap_or(0),
            backup_window: i.preferred_backup_window,
            cluster: i.db_cluster_identifier,
            replicated_to,
            manual_snapshots: snapshots.len(),
            latest_manual_snapshot: latest,
            tags: rds_tags(i.tag_list),
        });
    }
    let clusters = rds
        .describe_db_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    match clusters {
        Ok(clusters) => {
            for c in clusters {
                inv.db_clusters.push(DbCluster {
                    id: c.db_cluster_identifier.unwrap_or_default(),
                    arn: c.db_cluster_arn.unwrap_or_default(),
                    engine: c.engine.unwrap_or_default(),
                    retention_days: c.backup_retention_period.unwrap_or(0),
                    backup_window: c.preferred_backup_window,
                    tags: rds_tags(c.tag_list),
                });
            }
        }
        Err(e) => inv.notes.push(format!(
            "DescribeDBClusters could not be read ({}); clusters are not audited",
            code_of(&e).unwrap_or_else(|| "no answer".into())
        )),
    }
    Ok(())
}

async fn collect_dynamodb(clients: &GuardedClients, inv: &mut RegionInventory) -> anyhow::Result<()> {
    use aws_sdk_dynamodb::types::{BackupTypeFilter, PointInTimeRecoveryStatus};
    let ddb = &clients.dynamodb;
    let names: Vec<String> = ddb
        .list_tables()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_err("ListTables", e))?;
    for name in names {
        let table = ddb
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .map_err(|e| sdk_err("DescribeTable", e))?
            .table
            .unwrap_or_else(|| aws_sdk_dynamodb::types::TableDescription::builder().build());
        let arn = table.table_arn.unwrap_or_default();
        let replica_regions = table
            .replicas
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.region_name)
            .filter(|r| *r != clients.region)
            .collect();
        let pitr = ddb
            .describe_continuous_backups()
            .table_name(&name)
            .send()
            .await
            .map_err(|e| sdk_err("DescribeContinuousBackups", e))?
            .continuous_backups_description
            .and_then(|d| d.point_in_time_recovery_description);
        let enabled = pitr
            .as_ref()
            .and_then(|p| p.point_in_time_recovery_status.as_ref())
            == Some(&PointInTimeRecoveryStatus::Enabled);
        // ListBackups has no paginator in the SDK: follow LastEvaluatedBackupArn.
        let mut backups = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let page = ddb
                .list_backups()
                .table_name(&name)
                .backup_type(BackupTypeFilter::User)
                .set_exclusive_start_backup_arn(start.take())
                .send()
                .await
                .map_err(|e| sdk_err("ListBackups", e))?;
            backups.extend(page.backup_summaries.unwrap_or_default());
            match page.last_evaluated_backup_arn {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        let mut tags = Tags::new();
        let mut token: Option<String> = None;
        loop {
            let page = ddb
                .list_tags_of_resource()
                .resource_arn(&arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_err("ListTagsOfResource", e))?;
            for t in page.tags.unwrap_or_default() {
                tags.insert(t.key, t.value);
            }
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        inv.tables.push(Table {
            name,
            arn,
            pitr: enabled,
            recovery_period_days: pitr.and_then(|p| p.recovery_period_in_days).filter(|_| enabled),
            replica_regions,
            on_demand_backups: backups.len(),
            latest_on_demand_backup: backups
                .iter()
                .filter_map(|b| b.backup_creation_date_time.and_then(smithy_to_chrono))
                .max(),
            tags,
        });
    }
    Ok(())
}

async fn collect_bucket(
    clients: &GuardedClients,
    bucket: &str,
    all_buckets: &[(String, String)],
) -> anyhow::Result<Bucket> {
    use aws_sdk_s3::types::{ObjectLockEnabled, ReplicationRuleStatus};
    let s3 = &clients.s3;
    let versioning = s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| sdk_err("GetBucketVersioning", e))?
        .status
        .map(|s| s.as_str().to_owned());
    let mut replication = Vec::new();
    match s3.get_bucket_replication().bucket(bucket).send().await {
        Ok(r) => {
            for rule in r.replication_configuration.map(|c| c.rules).unwrap_or_default() {
                if rule.status != ReplicationRuleStatus::Enabled {
                    continue;
                }
                let Some(dest) = rule.destination else { continue };
                let dest_name = dest.bucket.trim_start_matches("arn:aws:s3:::").to_owned();
                let region = match all_buckets.iter().find(|(n, _)| *n == dest_name) {
                    Some((_, r)) => Some(r.clone()),
                    None => bucket_region(s3, &dest_name).await?,
                };
                replication.push(ReplicationTarget {
                    bucket_arn: dest.bucket,
                    region,
                    account: dest.account,
                });
            }
        }
        Err(e) if code_of(&e).as_deref() == Some("ReplicationConfigurationNotFoundError") => {}
        Err(e) => return Err(sdk_err("GetBucketReplication", e)),
    }
    let object_lock = match s3.get_object_lock_configuration().bucket(bucket).send().await {
        Ok(r) => {
            r.object_lock_configuration.and_then(|c| c.object_lock_enabled)
                == Some(ObjectLockEnabled::Enabled)
        }
        Err(e) if code_of(&e).as_deref() == Some("ObjectLockConfigurationNotFoundError") => false,
        Err(e) => return Err(sdk_err("GetObjectLockConfiguration", e)),
    };
    let lifecycle_rules = match s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(r) => r.rules.map(|r| r.len()).unwrap_or(0),
        Err(e) if code_of(&e).as_deref() == Some("NoSuchLifecycleConfiguration") => 0,
        Err(e) => return Err(sdk_err("GetBucketLifecycleConfiguration", e)),
    };
    let tags = match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(r) => r.tag_set.into_iter().map(|t| (t.key, t.value)).collect(),
        Err(e) if code_of(&e).as_deref() == Some("NoSuchTagSet") => Tags::new(),
        Err(e) => return Err(sdk_err("GetBucketTagging", e)),
    };
    Ok(Bucket {
        name: bucket.to_owned(),
        arn: format!("arn:aws:s3:::{bucket}"),
        versioning,
        replication,
        object_lock,
        lifecycle_rules,
        tags,
    })
}

/// The longest gap between two runs of an AWS Backup cron expression, in
/// minutes, looked for over the next 35 days (then 400, for rare schedules).
pub fn worst_gap_minutes(schedule: &str, from: DateTime<Utc>) -> Option<i64> {
    let cron = firedrill_emu_backup::cron::CronSchedule::parse(schedule).ok()?;
    for days in [35, 400] {
        let runs = cron.instants_between(from, from + Duration::days(days), 20_000);
        if runs.len() >= 2 {
            // The gap that wraps around: from the last run in the window to
            // the first one after it.
            let wrap = cron
                .next_after(*runs.last()?, 400)
                .map(|next| (next - *runs.last().unwrap_or(&next)).num_minutes());
            let inner = runs.windows(2).map(|w| (w[1] - w[0]).num_minutes()).max();
            return inner.max(wrap);
        }
    }
    None
}

fn render_conditions(c: &aws_sdk_backup::types::Conditions) -> Vec<String> {
    let mut out = Vec::new();
    let groups = [
        ("StringEquals", &c.string_equals),
        ("StringNotEquals", &c.string_not_equals),
        ("StringLike", &c.string_like),
        ("StringNotLike", &c.string_not_like),
    ];
    for (op, list) in groups {
        for p in list.iter().flatten() {
            out.push(format!(
                "{op} {}={}",
                p.condition_key.as_deref().unwrap_or(""),
                p.condition_value.as_deref().unwrap_or("")
            ));
        }
    }
    out
}

fn rule_of(r: aws_sdk_backup::types::BackupRule, now: DateTime<Utc>) -> Rule {
    let copies = r
        .copy_actions
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let mut parts = c.destination_backup_vault_arn.split(':');
            let region = parts.nth(3).filter(|s| !s.is_empty()).map(str::to_owned);
            let account = parts.next().filter(|s| !s.is_empty()).map(str::to_owned);
            CopyTarget {
                delete_after_days: c.lifecycle.and_then(|l| l.delete_after_days),
                vault_arn: c.destination_backup_vault_arn,
                region,
                account,
            }
        })
        .collect();
    Rule {
        worst_gap_minutes: r
            .schedule_expression
            .as_deref()
            .and_then(|s| worst_gap_minutes(s, now)),
        schedule: r.schedule_expression,
        start_window_minutes: r.start_window_minutes.unwrap_or(480),
        completion_window_minutes: r.completion_window_minutes.unwrap_or(10080),
        delete_after_days: r.lifecycle.and_then(|l| l.delete_after_days),
        continuous: r.enable_continuous_backup.unwrap_or(false),
        copies,
        vault: r.target_backup_vault_name,
        name: r.rule_name,
    }
}

async fn collect_backup(
    clients: &GuardedClients,
    inv: &mut RegionInventory,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let backup = &clients.backup;
    let vaults: Vec<_> = backup
        .list_backup_vaults()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_err("ListBackupVaults", e))?;
    for v in vaults {
        inv.vaults.push(Vault {
            name: v.backup_vault_name.unwrap_or_default(),
            arn: v.backup_vault_arn.unwrap_or_default(),
            locked: v.locked.unwrap_or(false),
            key_type: v.encryption_key_type.map(|k| k.as_str().to_owned()),
            key_arn: v.encryption_key_arn,
            recovery_points: v.number_of_recovery_points,
        });
    }
    let plans: Vec<_> = backup
        .list_backup_plans()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_err("ListBackupPlans", e))?;
    let resources: Vec<coverage::Candidate> = inv
        .data_resources()
        .iter()
        .map(coverage::Candidate::from)
        .collect();
    for p in plans {
        let Some(id) = p.backup_plan_id else { continue };
        let got = backup
            .get_backup_plan()
            .backup_plan_id(&id)
            .send()
            .await
            .map_err(|e| sdk_err("GetBackupPlan", e))?;
        let Some(plan) = got.backup_plan else { continue };
        let members: Vec<_> = backup
            .list_backup_selections()
            .backup_plan_id(&id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| sdk_err("ListBackupSelections", e))?;
        let mut selections = Vec::new();
        for m in members {
            let Some(sid) = m.selection_id else { continue };
            let got = backup
                .get_backup_selection()
                .backup_plan_id(&id)
                .selection_id(&sid)
                .send()
                .await
                .map_err(|e| sdk_err("GetBackupSelection", e))?;
            let Some(s) = got.backup_selection else { continue };
            let rule = coverage::selection_rule(&s);
            selections.push(Selection {
                covers: coverage::covered(&rule, &resources),
                list_of_tags: s
                    .list_of_tags
                    .iter()
                    .flatten()
                    .map(|t| format!("{}={}", t.condition_key, t.condition_value))
                    .collect(),
                conditions: s.conditions.as_ref().map(render_conditions).unwrap_or_default(),
                resources: s.resources.unwrap_or_default(),
                not_resources: s.not_resources.unwrap_or_default(),
                name: s.selection_name,
            });
        }
        inv.plans.push(Plan {
            id,
            name: plan.backup_plan_name,
            rules: plan.rules.into_iter().map(|r| rule_of(r, now)).collect(),
            selections,
        });
    }
    let since = now - Duration::days(RESTORE_TEST_WINDOW_DAYS);
    let jobs: Vec<_> = backup
        .list_restore_jobs()
        .by_created_after(aws_smithy_types::DateTime::from_secs(since.timestamp()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_err("ListRestoreJobs", e))?;
    for j in jobs {
        inv.restore_jobs.push(RestoreJob {
            id: j.restore_job_id.unwrap_or_default(),
            status: j.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            resource_type: j.resource_type,
            source_resource_arn: j.source_resource_arn,
            created: j.creation_date.and_then(smithy_to_chrono),
        });
    }
    match backup
        .list_restore_testing_plans()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(plans) => {
            inv.restore_testing_plans = Some(plans.len());
            inv.restore_testing = plans
                .into_iter()
                .map(|p| RestoreTestingPlan {
                    created: smithy_to_chrono(p.creation_time),
                    last_run: p.last_execution_time.and_then(smithy_to_chrono),
                    name: p.restore_testing_plan_name,
                    schedule: p.schedule_expression,
                })
                .collect();
        }
        Err(e) => inv.notes.push(format!(
            "ListRestoreTestingPlans could not be read ({}): restore testing plans are not counted",
            code_of(&e).unwrap_or_else(|| "no answer".into())
        )),
    }
    Ok(())
}

/// Reads every region in `regions`.
pub async fn collect_all(
    target: &dyn crate::target::Target,
    regions: &[String],
    guard: &super::readonly::ReadOnlyGuard,
) -> anyhow::Result<Inventory> {
    let now = target.now();
    let first = regions.first().context("no region to audit")?;
    let buckets = list_buckets(&GuardedClients::new(target, first, guard)).await?;
    let mut out = Vec::new();
    for region in regions {
        let clients = GuardedClients::new(target, region, guard);
        out.push(
            collect(&clients, &buckets, now)
                .await
                .with_context(|| format!("auditing {region}"))?,
        );
    }
    Ok(Inventory {
        taken_at: now,
        regions: out,
    })
}
