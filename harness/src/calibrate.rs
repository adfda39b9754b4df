//! `firedrill calibrate`: fit the restore-time model to an account's own
//! history, read-only.
//!
//! AWS Backup keeps every restore and copy job with its size, creation and
//! completion time; RDS keeps 14 days of events. [`collect`] reads both in
//! each region through the SDK's paginators (no call that changes
//! anything), and [`fit`] turns them into per-operation models:
//!
//! - a restore job of an RDS instance, an Aurora cluster, a DynamoDB table
//!   or an ElastiCache cluster times the service's restore from a backup
//!   (`rds-restore-from-snapshot`, `rds-cluster-restore`,
//!   `dynamodb-restore-from-backup`, `elasticache-restore-from-snapshot`);
//!   AWS Backup's own share is inside it, so `backup-restore-job` is set to
//!   zero whenever a restore job was calibrated;
//! - a copy job times `backup-copy-job`;
//! - RDS `DescribeEvents` (with `DescribeDBInstances` and
//!   `DescribeDBSnapshots` for sizes and start times, see [`rds_samples`])
//!   times the restores and snapshot copies made outside AWS Backup: a
//!   "Restored from snapshot" (RDS-EVENT-0043) or "Restored from DB
//!   instance" (RDS-EVENT-0019) event ends a restore that began at the
//!   instance's `InstanceCreateTime`; "Started copy of snapshot" /
//!   "Finished copy of snapshot" (RDS-EVENT-0196/0197 within a region,
//!   0059/0060 across) bracket a copy;
//! - with three or more samples of different sizes the duration is fitted
//!   as `fixed + per_gib x size` (least squares, both parts at least zero);
//!   otherwise size is ignored; the band is the 10th, 50th and 90th
//!   percentile of what is left after the size part.
//!
//! The result is a timings file (`TimingsFile::Named`) that `firedrill
//! drill --timings FILE` and a scenario's `[timings] file` read. Operations
//! without samples keep the public defaults.

use crate::target::{Clients, Target};
use crate::timings::TimingsFile;
use chrono::{DateTime, Utc};
use firedrill_emulator::timing::{Band, Operation, OperationModel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where a sample was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// An AWS Backup restore or copy job.
    #[default]
    BackupJob,
    /// RDS events (DescribeEvents).
    RdsEvents,
}

/// One completed operation: what it timed, its size and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The operation it stands for.
    pub operation: Operation,
    /// `BackupSizeInBytes`, or the RDS allocated storage (0 when AWS gave
    /// none).
    pub bytes: u64,
    /// Completion minus creation.
    pub seconds: f64,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Where it was read.
    #[serde(default)]
    pub evidence: Evidence,
}

/// One RDS event as [`rds_samples`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdsEvent {
    /// `db-instance`, `db-snapshot`, ...
    pub source_type: String,
    /// The instance or snapshot identifier.
    pub source_id: String,
    /// The event's message.
    pub message: String,
    /// When it happened.
    pub date: DateTime<Utc>,
}

/// What DescribeDBInstances / DescribeDBSnapshots say of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RdsResource {
    /// `InstanceCreateTime` (instances) or `SnapshotCreateTime`.
    pub created: Option<DateTime<Utc>>,
    /// `AllocatedStorage` in bytes.
    pub bytes: u64,
}

const RESTORED_FROM_SNAPSHOT: &str = "Restored from snapshot ";
const RESTORED_FROM_INSTANCE: &str = "Restored from DB instance ";
const COPY_STARTED: &str = "Started copy of snapshot ";
const COPY_FINISHED: &str = "Finished copy of snapshot ";

/// The restores and snapshot copies RDS's events time, oldest first.
///
/// - A restoration event of an instance ends a restore that began at the
///   instance's creation time; an instance deleted since (so with no
///   creation time) cannot be timed and is left out. Restores from AWS
///   Backup's snapshots (`awsbackup:`) are left out too: their restore
///   jobs time them.
/// - A snapshot's "Started copy" and the next "Finished copy" bracket a
///   copy; "from region" in the message marks a cross-region copy.
pub fn rds_samples(
    events: &[RdsEvent],
    instances: &BTreeMap<String, RdsResource>,
    snapshots: &BTreeMap<String, RdsResource>,
) -> Vec<Sample> {
    let mut sorted: Vec<&RdsEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.date);
    let mut out = Vec::new();
    let mut copies: BTreeMap<&str, &RdsEvent> = BTreeMap::new();
    for e in sorted {
        match e.source_type.as_str() {
            "db-instance" => {
                let operation = if let Some(snapshot) = e.message.strip_prefix(RESTORED_FROM_SNAPSHOT) {
                    if snapshot.starts_with("awsbackup:") {
                        continue;
                    }
                    Operation::RdsRestoreFromSnapshot
                } else if e.message.starts_with(RESTORED_FROM_INSTANCE) {
                    Operation::RdsRestoreToPointInTime
                } else {
                    continue;
                };
                let Some(instance) = instances.get(&e.source_id) else {
                    continue;
                };
                let Some(created) = instance.created.filter(|c| *c <= e.date) else {
                    continue;
                };
                out.push(Sample {
                    operation,
                    bytes: instance.bytes,
                    seconds: (e.date - created).num_milliseconds() as f64 / 1000.0,
                    created,
                    evidence: Evidence::RdsEvents,
                });
            }
            "db-snapshot" if e.message.starts_with(COPY_STARTED) => {
                copies.insert(&e.source_id, e);
            }
            "db-snapshot" if e.message.starts_with(COPY_FINISHED) => {
                let Some(started) = copies.remove(e.source_id.as_str()) else {
                    continue;
                };
                let operation = if e.message.contains(" from region ") {
                    Operation::RdsCrossRegionSnapshotCopy
                } else {
                    Operation::RdsSnapshotCopy
                };
                out.push(Sample {
                    operation,
                    bytes: snapshots.get(&e.source_id).map_or(0, |s| s.bytes),
                    seconds: (e.date - started.date).num_milliseconds() as f64 / 1000.0,
                    created: started.date,
                    evidence: Evidence::RdsEvents,
                });
            }
            _ => {}
        }
    }
    out
}

/// The operation an AWS Backup restore job of `resource_type` times.
pub fn restore_operation(resource_type: &str) -> Option<Operation> {
    match resource_type {
        "RDS" => Some(Operation::RdsRestoreFromSnapshot),
        "Aurora" => Some(Operation::RdsClusterRestore),
        "DynamoDB" => Some(Operation::DynamodbRestoreFromBackup),
        "ElastiCache" => Some(Operation::ElasticacheRestoreFromSnapshot),
        _ => None,
    }
}

fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(t.to_millis().ok()?)
}

fn sample(
    operation: Operation,
    bytes: Option<i64>,
    created: Option<&aws_smithy_types::DateTime>,
    completed: Option<&aws_smithy_types::DateTime>,
) -> Option<Sample> {
    let created = to_chrono(created?)?;
    let completed = to_chrono(completed?)?;
    let seconds = (completed - created).num_milliseconds() as f64 / 1000.0;
    (seconds >= 0.0).then_some(Sample {
        operation,
        bytes: bytes.unwrap_or(0).max(0) as u64,
        seconds,
        created,
        evidence: Evidence::BackupJob,
    })
}

fn gib_bytes(gib: Option<i32>) -> u64 {
    u64::try_from(gib.unwrap_or(0)).unwrap_or(0) * 1024 * 1024 * 1024
}

/// RDS's events of the last 14 days in `clients`' region, with the
/// instances and snapshots they name, as samples.
async fn collect_rds(clients: &Clients) -> anyhow::Result<Vec<Sample>> {
    let region = &clients.region;
    let mut events = Vec::new();
    // 20,160 minutes: the 14 days RDS keeps events.
    let mut pages = clients
        .rds
        .describe_events()
        .duration(20_160)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| anyhow::anyhow!("DescribeEvents in {region}: {}", e.into_service_error()))?;
        for e in page.events() {
            let (Some(id), Some(kind), Some(message), Some(date)) = (
                e.source_identifier(),
                e.source_type(),
                e.message(),
                e.date().and_then(to_chrono),
            ) else {
                continue;
            };
            events.push(RdsEvent {
                source_type: kind.as_str().to_owned(),
                source_id: id.to_owned(),
                message: message.to_owned(),
                date,
            });
        }
    }
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut instances = BTreeMap::new();
    let mut pages = clients.rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| anyhow::anyhow!("DescribeDBInstances in {region}: {}", e.into_service_error()))?;
        for i in page.db_instances() {
            if let Some(id) = i.db_instance_identifier() {
                instances.insert(
                    id.to_owned(),
                    RdsResource {
                        created: i.instance_create_time().and_then(to_chrono),
                        bytes: gib_bytes(i.allocated_storage()),
                    },
                );
            }
        }
    }
    let mut snapshots = BTreeMap::new();
    let mut pages = clients.rds.describe_db_snapshots().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| anyhow::anyhow!("DescribeDBSnapshots in {region}: {}", e.into_service_error()))?;
        for s in page.db_snapshots() {
            if let Some(id) = s.db_snapshot_identifier() {
                snapshots.insert(
                    id.to_owned(),
                    RdsResource {
                        created: s.snapshot_create_time().and_then(to_chrono),
                        bytes: gib_bytes(s.allocated_storage()),
                    },
                );
            }
        }
    }
    Ok(rds_samples(&events, &instances, &snapshots))
}

/// Lists the completed restore and copy jobs and the RDS restores and
/// snapshot copies of every region given.
pub async fn collect(target: &dyn Target, regions: &[String]) -> anyhow::Result<Vec<Sample>> {
    use aws_sdk_backup::types::{CopyJobState, RestoreJobStatus};
    let mut out = Vec::new();
    for region in regions {
        let clients = Clients::new(target, region);
        let mut pages = clients
            .backup
            .list_restore_jobs()
            .by_status(RestoreJobStatus::Completed)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| anyhow::anyhow!("ListRestoreJobs in {region}: {}", e.into_service_error()))?;
            for job in page.restore_jobs() {
                let Some(op) = job.resource_type().and_then(restore_operation) else {
                    continue;
                };
                out.extend(sample(
                    op,
                    job.backup_size_in_bytes(),
                    job.creation_date(),
                    job.completion_date(),
                ));
            }
        }
        let mut pages = clients
            .backup
            .list_copy_jobs()
            .by_state(CopyJobState::Completed)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| anyhow::anyhow!("ListCopyJobs in {region}: {}", e.into_service_error()))?;
            for job in page.copy_jobs() {
                out.extend(sample(
                    Operation::BackupCopyJob,
                    job.backup_size_in_bytes(),
                    job.creation_date(),
                    job.completion_date(),
                ));
            }
        }
        out.extend(collect_rds(&clients).await?);
    }
    Ok(out)
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The `q`-quantile (0..=1) of sorted `xs`, by linear interpolation.
fn quantile(xs: &[f64], q: f64) -> f64 {
    match xs.len() {
        0 => 0.0,
        1 => xs[0],
        n => {
            let pos = q * (n - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            xs[lo] + (xs[hi] - xs[lo]) * (pos - lo as f64)
        }
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 1.0e9))
}

/// Fits one operation's samples.
fn fit_one(samples: &[&Sample]) -> (Band, Band) {
    let gib: Vec<f64> = samples.iter().map(|s| s.bytes as f64 / GIB).collect();
    let secs_v: Vec<f64> = samples.iter().map(|s| s.seconds).collect();
    let n = samples.len() as f64;
    let mean_x = gib.iter().sum::<f64>() / n;
    let mean_y = secs_v.iter().sum::<f64>() / n;
    let var_x: f64 = gib.iter().map(|x| (x - mean_x).powi(2)).sum();
    let slope = if samples.len() >= 3 && var_x > 0.0 {
        let cov: f64 = gib
            .iter()
            .zip(&secs_v)
            .map(|(x, y)| (x - mean_x) * (y - mean_y))
            .sum();
        (cov / var_x).max(0.0)
    } else {
        0.0
    };
    let mut fixed: Vec<f64> = gib
        .iter()
        .zip(&secs_v)
        .map(|(x, y)| (y - slope * x).max(0.0))
        .collect();
    fixed.sort_by(f64::total_cmp);
    let fixed_band = Band {
        low: secs(quantile(&fixed, 0.1)),
        typical: secs(quantile(&fixed, 0.5)),
        high: secs(quantile(&fixed, 0.9)),
    };
    (fixed_band, Band::exactly(secs(slope)))
}

/// Fits every operation that has samples.
pub fn fit(samples: &[Sample], account: &str) -> BTreeMap<Operation, OperationModel> {
    let mut by_op: BTreeMap<Operation, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by_op.entry(s.operation).or_default().push(s);
    }
    let mut out = BTreeMap::new();
    let mut restores = 0;
    for (op, group) in &by_op {
        let (fixed, per_gib) = fit_one(group);
        let first = group.iter().map(|s| s.created).min();
        let last = group.iter().map(|s| s.created).max();
        let copies = matches!(
            op,
            Operation::BackupCopyJob | Operation::RdsSnapshotCopy | Operation::RdsCrossRegionSnapshotCopy
        );
        let jobs = group.iter().filter(|s| s.evidence == Evidence::BackupJob).count();
        let events = group.len() - jobs;
        if !copies {
            restores += jobs;
        }
        let what = if copies { "copy" } else { "restore" };
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut parts = Vec::new();
        if jobs > 0 {
            parts.push(format!("{jobs} completed AWS Backup {what} job{}", plural(jobs)));
        }
        if events > 0 {
            let noun = match (copies, events) {
                (true, 1) => "snapshot copy",
                (true, _) => "snapshot copies",
                (false, 1) => "restore",
                (false, _) => "restores",
            };
            parts.push(format!("{events} RDS {noun} timed by DescribeEvents"));
        }
        out.insert(
            *op,
            OperationModel {
                fixed,
                per_gib,
                source: format!(
                    "calibrated from {} of account {account}, created {} to {}",
                    parts.join(" and "),
                    first.map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string()),
                    last.map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string()),
                ),
                ..OperationModel::default()
            },
        );
    }
    if restores > 0 {
        out.insert(
            Operation::BackupRestoreJob,
            OperationModel {
                source: "calibrated: AWS Backup's share is inside the service restores' job durations"
                    .to_owned(),
                ..OperationModel::default()
            },
        );
    }
    out
}

/// The name a calibration of `account` on `today` gives its model.
pub fn model_name(account: &str, today: DateTime<Utc>) -> String {
    format!("calibrated-{account}-{}", today.format("%Y-%m-%d"))
}

/// The timings file for `samples` of `account`, named after the day.
pub fn timings_file(samples: &[Sample], account: &str, today: DateTime<Utc>) -> TimingsFile {
    TimingsFile::Named {
        name: model_name(account, today),
        operations: fit(samples, account),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(op: Operation, gib: f64, seconds: f64) -> Sample {
        Sample {
            operation: op,
            bytes: (gib * GIB) as u64,
            seconds,
            created: "2026-03-01T00:00:00Z".parse().unwrap(),
            evidence: Evidence::BackupJob,
        }
    }

    #[test]
    fn a_size_dependence_is_recovered_from_jobs_of_different_sizes() {
        // 600 s fixed plus 30 s per GiB, exactly.
        let samples: Vec<Sample> = [1.0, 4.0, 10.0, 20.0]
            .iter()
            .map(|g| s(Operation::RdsRestoreFromSnapshot, *g, 600.0 + 30.0 * g))
            .collect();
        let m = &fit(&samples, "111111111111")[&Operation::RdsRestoreFromSnapshot];
        assert!((m.per_gib.typical.as_secs_f64() - 30.0).abs() < 1e-6, "{m:?}");
        assert!((m.fixed.typical.as_secs_f64() - 600.0).abs() < 1e-3, "{m:?}");
        assert!(m.is_ordered());
        assert!(
            m.source
                .contains("4 completed AWS Backup restore jobs of account 111111111111")
        );
    }

    #[test]
    fn few_jobs_give_a_fixed_band_from_their_spread() {
        let samples = vec![
            s(Operation::BackupCopyJob, 1.0, 100.0),
            s(Operation::BackupCopyJob, 1.0, 300.0),
        ];
        let m = &fit(&samples, "1")[&Operation::BackupCopyJob];
        assert_eq!(m.per_gib, Band::default());
        assert_eq!(m.fixed.typical, Duration::from_secs(200));
        assert_eq!(m.fixed.low, Duration::from_secs(120));
        assert_eq!(m.fixed.high, Duration::from_secs(280));
    }

    #[test]
    fn restores_zero_backups_own_share_and_copies_do_not() {
        let copies = fit(&[s(Operation::BackupCopyJob, 0.0, 60.0)], "1");
        assert!(!copies.contains_key(&Operation::BackupRestoreJob));
        let restores = fit(&[s(Operation::DynamodbRestoreFromBackup, 0.0, 60.0)], "1");
        assert_eq!(restores[&Operation::BackupRestoreJob].fixed, Band::default());
    }

    fn event(kind: &str, id: &str, message: &str, at: &str) -> RdsEvent {
        RdsEvent {
            source_type: kind.to_owned(),
            source_id: id.to_owned(),
            message: message.to_owned(),
            date: at.parse().unwrap(),
        }
    }

    #[test]
    fn rds_events_time_restores_from_creation_and_copies_between_start_and_finish() {
        let events = vec![
            event(
                "db-snapshot",
                "dr",
                "Finished copy of snapshot nightly from region us-east-1 in 30 minutes",
                "2026-03-01T10:30:00Z",
            ),
            event(
                "db-snapshot",
                "dr",
                "Started copy of snapshot nightly from region us-east-1",
                "2026-03-01T10:00:00Z",
            ),
            event(
                "db-snapshot",
                "local",
                "Started copy of snapshot nightly in region us-east-1",
                "2026-03-01T11:00:00Z",
            ),
            event(
                "db-snapshot",
                "local",
                "Finished copy of snapshot nightly in region us-east-1",
                "2026-03-01T11:07:00Z",
            ),
            event(
                "db-instance",
                "shop-restored",
                "DB instance created",
                "2026-03-01T12:15:00Z",
            ),
            event(
                "db-instance",
                "shop-restored",
                "Restored from snapshot nightly",
                "2026-03-01T12:15:00Z",
            ),
            event(
                "db-instance",
                "shop-pitr",
                "Restored from DB instance shop to 2026-03-01 11:59:00",
                "2026-03-01T12:20:00Z",
            ),
            // Deleted since: no creation time to start from.
            event(
                "db-instance",
                "gone",
                "Restored from snapshot nightly",
                "2026-03-01T12:20:00Z",
            ),
            // AWS Backup's restore jobs time these.
            event(
                "db-instance",
                "backup-restored",
                "Restored from snapshot awsbackup:job-1",
                "2026-03-01T12:20:00Z",
            ),
            // A copy still running.
            event(
                "db-snapshot",
                "running",
                "Started copy of snapshot nightly in region us-east-1",
                "2026-03-01T12:00:00Z",
            ),
        ];
        let gib = 1024 * 1024 * 1024;
        let at = |t: &str| RdsResource {
            created: Some(t.parse().unwrap()),
            bytes: 20 * gib,
        };
        let instances = BTreeMap::from([
            ("shop-restored".to_owned(), at("2026-03-01T12:00:00Z")),
            ("shop-pitr".to_owned(), at("2026-03-01T12:00:00Z")),
            ("backup-restored".to_owned(), at("2026-03-01T12:00:00Z")),
        ]);
        let snapshots = BTreeMap::from([("dr".to_owned(), at("2026-03-01T10:00:00Z"))]);
        let samples = rds_samples(&events, &instances, &snapshots);
        let got: Vec<(Operation, f64, u64)> = samples
            .iter()
            .map(|s| (s.operation, s.seconds, s.bytes / gib))
            .collect();
        assert_eq!(
            got,
            [
                (Operation::RdsCrossRegionSnapshotCopy, 1800.0, 20),
                (Operation::RdsSnapshotCopy, 420.0, 0),
                (Operation::RdsRestoreFromSnapshot, 900.0, 20),
                (Operation::RdsRestoreToPointInTime, 1200.0, 20),
            ]
        );
        assert!(samples.iter().all(|s| s.evidence == Evidence::RdsEvents));
        let fitted = fit(&samples, "1");
        assert!(
            fitted[&Operation::RdsSnapshotCopy]
                .source
                .contains("1 RDS snapshot copy timed by DescribeEvents"),
            "{:?}",
            fitted[&Operation::RdsSnapshotCopy]
        );
        assert_eq!(
            fitted[&Operation::RdsRestoreToPointInTime].fixed.typical,
            Duration::from_secs(1200)
        );
        // Restores outside AWS Backup say nothing of its share.
        assert!(!fitted.contains_key(&Operation::BackupRestoreJob));
    }

    #[test]
    fn resource_types_map_to_the_service_restores() {
        assert_eq!(restore_operation("RDS"), Some(Operation::RdsRestoreFromSnapshot));
        assert_eq!(
            restore_operation("DynamoDB"),
            Some(Operation::DynamodbRestoreFromBackup)
        );
        assert_eq!(restore_operation("S3"), None);
    }
}
