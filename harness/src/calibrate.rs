//! `firedrill calibrate`: fit the restore-time model to an account's own
//! history, read-only.
//!
//! AWS Backup keeps every restore and copy job with its size, creation and
//! completion time. [`collect`] lists the completed ones in each region
//! (`ListRestoreJobs`, `ListCopyJobs`, through the SDK's paginators; no call
//! that changes anything), and [`fit`] turns them into per-operation models:
//!
//! - a restore job of an RDS instance, an Aurora cluster, a DynamoDB table
//!   or an ElastiCache cluster times the service's restore from a backup
//!   (`rds-restore-from-snapshot`, `rds-cluster-restore`,
//!   `dynamodb-restore-from-backup`, `elasticache-restore-from-snapshot`);
//!   AWS Backup's own share is inside it, so `backup-restore-job` is set to
//!   zero whenever a restore was calibrated;
//! - a copy job times `backup-copy-job`;
//! - with three or more jobs of different sizes the duration is fitted as
//!   `fixed + per_gib x size` (least squares, both parts at least zero);
//!   otherwise size is ignored; the band is the 10th, 50th and 90th
//!   percentile of what is left after the size part.
//!
//! The result is a timings file (`TimingsFile::Named`) that `firedrill
//! drill --timings FILE` and a scenario's `[timings] file` read. Operations
//! without jobs keep the public defaults.

use crate::target::{Clients, Target};
use crate::timings::TimingsFile;
use chrono::{DateTime, Utc};
use firedrill_emulator::timing::{Band, Operation, OperationModel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// One completed job: what it timed, its size and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The operation it stands for.
    pub operation: Operation,
    /// `BackupSizeInBytes` (0 when AWS gave none).
    pub bytes: u64,
    /// Completion minus creation.
    pub seconds: f64,
    /// When it was created.
    pub created: DateTime<Utc>,
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
    })
}

/// Lists the completed restore and copy jobs of every region given.
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
        let what = if *op == Operation::BackupCopyJob {
            "copy"
        } else {
            restores += group.len();
            "restore"
        };
        out.insert(
            *op,
            OperationModel {
                fixed,
                per_gib,
                source: format!(
                    "calibrated from {} completed AWS Backup {what} job{} of account {account}, created {} to {}",
                    group.len(),
                    if group.len() == 1 { "" } else { "s" },
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
