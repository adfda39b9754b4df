//! The seams CloudWatch alarms run through, over the other engines, so
//! that no service crate knows another:
//!
//! - [`BackupMetrics`] publishes AWS Backup's `AWS/Backup` metrics from the
//!   Backup engine's job lists at each tick: `NumberOfBackupJobsCompleted`,
//!   `NumberOfBackupJobsFailed`, `NumberOfBackupJobsExpired`,
//!   `NumberOfBackupJobsAborted`, `NumberOfCopyJobsCompleted`,
//!   `NumberOfCopyJobsFailed`, `NumberOfRestoreJobsCompleted` and
//!   `NumberOfRestoreJobsFailed`, one `Count` sample of 1 per job that
//!   reached the state, stamped with the job's completion instant. Backup
//!   jobs are published with no dimension and by `ResourceType`,
//!   `BackupVaultName` and both, as the CloudWatch console lists them; copy
//!   and restore jobs with no dimension and by `ResourceType`.
//! - [`RdsMetrics`] publishes RDS's `AWS/RDS` `ReplicaLag` (seconds, by
//!   `DBInstanceIdentifier`) from the RDS engine's replica lag samples, one
//!   per replica and emulated minute ([`firedrill_emu_rds::engine::LagSample`]).
//! - [`SnsNotifier`] publishes an alarm action's message to the SNS topic
//!   the action names.

use chrono::{DateTime, Utc};
use firedrill_emu_backup::Backup;
use firedrill_emu_backup::engine::{BackupJobFilter, CopyJobFilter, RestoreJobFilter};
use firedrill_emu_cloudwatch::{AlarmNotifier, Datum, MetricId, MetricSource, Sample, StatSet};
use firedrill_emu_sns::Sns;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The namespace AWS Backup publishes in.
const NAMESPACE: &str = "AWS/Backup";

/// AWS Backup's job outcomes as CloudWatch metrics.
pub(crate) struct BackupMetrics {
    backup: Arc<Backup>,
    regions: Vec<String>,
    /// Jobs already published, as `kind/id`.
    seen: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for BackupMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupMetrics")
            .field("regions", &self.regions)
            .finish_non_exhaustive()
    }
}

impl BackupMetrics {
    pub(crate) fn new(backup: Arc<Backup>, regions: Vec<String>) -> Self {
        Self {
            backup,
            regions,
            seen: Mutex::new(HashSet::new()),
        }
    }
}

/// One job that reached a state: what its samples need.
struct Outcome {
    key: String,
    metric: &'static str,
    resource_type: String,
    vault: Option<String>,
    at: DateTime<Utc>,
}

fn samples(region: &str, o: &Outcome) -> Vec<Datum> {
    let mut dimension_sets = vec![vec![], vec![("ResourceType".to_owned(), o.resource_type.clone())]];
    if let Some(vault) = &o.vault {
        dimension_sets.push(vec![("BackupVaultName".to_owned(), vault.clone())]);
        dimension_sets.push(vec![
            ("ResourceType".to_owned(), o.resource_type.clone()),
            ("BackupVaultName".to_owned(), vault.clone()),
        ]);
    }
    dimension_sets
        .into_iter()
        .map(|dims| Datum {
            region: region.to_owned(),
            metric: MetricId::new(NAMESPACE, o.metric, dims),
            timestamp: o.at,
            sample: Sample {
                stats: StatSet::value(1.0, 1.0),
                unit: Some("Count".to_owned()),
            },
        })
        .collect()
}

impl BackupMetrics {
    fn outcomes(&self, region: &str) -> Vec<Outcome> {
        let engine = self.backup.engine();
        let mut out = Vec::new();
        for (state, metric) in [
            ("COMPLETED", "NumberOfBackupJobsCompleted"),
            ("FAILED", "NumberOfBackupJobsFailed"),
            ("EXPIRED", "NumberOfBackupJobsExpired"),
            ("ABORTED", "NumberOfBackupJobsAborted"),
        ] {
            let filter = BackupJobFilter {
                state: Some(state.to_owned()),
                ..Default::default()
            };
            for job in engine.list_backup_jobs(region, &filter) {
                out.push(Outcome {
                    key: format!("backup/{}", job.id),
                    metric,
                    resource_type: job.resource_type,
                    vault: Some(job.vault_name),
                    at: job.completion_date.unwrap_or(job.creation_date),
                });
            }
        }
        for (state, metric) in [
            ("COMPLETED", "NumberOfCopyJobsCompleted"),
            ("FAILED", "NumberOfCopyJobsFailed"),
        ] {
            let filter = CopyJobFilter {
                state: Some(state.to_owned()),
                ..Default::default()
            };
            for job in engine.list_copy_jobs(region, &filter) {
                out.push(Outcome {
                    key: format!("copy/{}", job.id),
                    metric,
                    resource_type: job.resource_type,
                    vault: None,
                    at: job.completion_date.unwrap_or(job.creation_date),
                });
            }
        }
        for (state, metric) in [
            ("COMPLETED", "NumberOfRestoreJobsCompleted"),
            ("FAILED", "NumberOfRestoreJobsFailed"),
        ] {
            let filter = RestoreJobFilter {
                status: Some(state.to_owned()),
                ..Default::default()
            };
            for job in engine.list_restore_jobs(region, &filter) {
                out.push(Outcome {
                    key: format!("restore/{}", job.id),
                    metric,
                    resource_type: job.resource_type,
                    vault: None,
                    at: job.completion_date.unwrap_or(job.creation_date),
                });
            }
        }
        out
    }
}

impl MetricSource for BackupMetrics {
    fn collect(&self, _now: DateTime<Utc>) -> Vec<Datum> {
        let mut data = Vec::new();
        for region in &self.regions {
            let outcomes = self.outcomes(region);
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            for o in outcomes {
                if seen.insert(o.key.clone()) {
                    data.extend(samples(region, &o));
                }
            }
        }
        data
    }
}

/// RDS's replica lag as the `AWS/RDS` `ReplicaLag` metric.
pub(crate) struct RdsMetrics {
    rds: Arc<firedrill_emu_rds::Rds>,
    regions: Vec<String>,
    /// Per region and replica: the instant of the last sample published.
    published: Mutex<std::collections::HashMap<(String, String), DateTime<Utc>>>,
}

impl std::fmt::Debug for RdsMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdsMetrics")
            .field("regions", &self.regions)
            .finish_non_exhaustive()
    }
}

impl RdsMetrics {
    pub(crate) fn new(rds: Arc<firedrill_emu_rds::Rds>, regions: Vec<String>) -> Self {
        Self {
            rds,
            regions,
            published: Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl MetricSource for RdsMetrics {
    fn collect(&self, _now: DateTime<Utc>) -> Vec<Datum> {
        let mut data = Vec::new();
        let mut published = self.published.lock().unwrap_or_else(|e| e.into_inner());
        for region in &self.regions {
            for (id, sample) in self.rds.engine().replica_lags(region) {
                let key = (region.clone(), id.clone());
                if published.get(&key).is_some_and(|at| *at >= sample.at) {
                    continue;
                }
                published.insert(key, sample.at);
                data.push(Datum {
                    region: region.clone(),
                    metric: MetricId::new(
                        "AWS/RDS",
                        "ReplicaLag",
                        vec![("DBInstanceIdentifier".to_owned(), id)],
                    ),
                    timestamp: sample.at,
                    sample: Sample {
                        stats: StatSet::value(sample.lag_seconds, 1.0),
                        unit: Some("Seconds".to_owned()),
                    },
                });
            }
        }
        data
    }
}

/// Alarm actions published through SNS.
pub(crate) struct SnsNotifier(pub(crate) Arc<Sns>);

impl std::fmt::Debug for SnsNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SnsNotifier")
    }
}

impl AlarmNotifier for SnsNotifier {
    fn publish(&self, topic_arn: &str, subject: &str, message: &str) -> Result<String, String> {
        let region = self
            .0
            .engine()
            .region_of(topic_arn)
            .ok_or_else(|| format!("{topic_arn} is not an SNS topic ARN"))?;
        self.0
            .engine()
            .publish(&region, topic_arn, Some(subject), message)
            .map_err(|e| e.to_string())
    }
}
