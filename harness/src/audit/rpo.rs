//! The worst-case RPO of each data resource, from what is configured.
//!
//! Two figures per resource: the data that can be lost to a mistake inside
//! the region (a batch delete, a bad migration) and to losing the region.
//! Each comes from a configured mechanism, never from a guess at habits:
//!
//! - RDS automated backups (retention above zero) and DynamoDB PITR restore
//!   to within 5 minutes of now (RDS uploads transaction logs every 5
//!   minutes; DynamoDB's `LatestRestorableDateTime` trails by about 5).
//! - S3 versioning keeps every write: nothing is lost to an overwrite or a
//!   delete.
//! - An AWS Backup rule covering the resource loses at most the schedule's
//!   longest gap plus the start window (a job may start that late); a
//!   continuous-backup rule, 5 minutes. Its copy to another region adds the
//!   completion window, after which the copy starts.
//! - Cross-Region automated backup replication (RDS) and global table
//!   replicas (DynamoDB) protect against the region's loss; S3 replication,
//!   by S3 Replication Time Control's 15-minute objective.
//!
//! Snapshots taken by a job the audit cannot see bound nothing: the figure
//! stays unbounded and the evidence names the newest one.

use super::inventory::{DataResource, RegionInventory, ResourceKind};
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// How far behind now RDS and DynamoDB point-in-time recovery restore.
pub const PITR_LAG: Duration = Duration::minutes(5);

/// S3 Replication Time Control's objective for replicating an object.
pub const S3_REPLICATION_OBJECTIVE: Duration = Duration::minutes(15);

/// One resource's estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpoEstimate {
    /// The region.
    pub region: String,
    /// The shop layer it holds, or its name.
    pub layer: String,
    /// Its kind.
    pub kind: ResourceKind,
    /// Its name.
    pub resource: String,
    /// Its ARN.
    pub arn: String,
    /// Worst-case loss to a mistake in the region, in seconds (none: no
    /// recovery point at all, everything since creation can be lost).
    pub in_region_seconds: Option<i64>,
    /// What bounds it.
    pub in_region_basis: String,
    /// Worst-case loss if the region is lost, in seconds (none: nothing
    /// outside the region).
    pub region_loss_seconds: Option<i64>,
    /// What bounds it.
    pub region_loss_basis: String,
}

/// Renders an optional duration in seconds for reports.
pub fn show(seconds: Option<i64>) -> String {
    match seconds {
        None => "unbounded".to_owned(),
        Some(0) => "0".to_owned(),
        Some(s) if s % 86_400 == 0 => format!("{}d", s / 86_400),
        Some(s) if s % 3600 == 0 => format!("{}h", s / 3600),
        Some(s) if s % 60 == 0 => format!("{}m", s / 60),
        Some(s) => format!("{s}s"),
    }
}

fn better(best: &mut Option<(Duration, String)>, d: Duration, basis: String) {
    if best.as_ref().is_none_or(|(b, _)| d < *b) {
        *best = Some((d, basis));
    }
}

/// The estimate for one resource of `inv`.
pub fn estimate(inv: &RegionInventory, r: &DataResource<'_>, layer: String) -> RpoEstimate {
    let mut local: Option<(Duration, String)> = None;
    let mut remote: Option<(Duration, String)> = None;
    let mut unseen = Vec::new();
    match r.kind {
        ResourceKind::RdsInstance => {
            if let Some(i) = inv.db_instances.iter().find(|i| i.arn == r.arn) {
                if i.retention_days > 0 {
                    better(
                        &mut local,
                        PITR_LAG,
                        format!(
                            "automated backups, {} days: point-in-time restore",
                            i.retention_days
                        ),
                    );
                    if let Some(region) = i.replicated_to.first() {
                        better(
                            &mut remote,
                            PITR_LAG,
                            format!("automated backups replicated to {region}"),
                        );
                    }
                }
                if let Some(at) = i.latest_manual_snapshot {
                    unseen.push(format!(
                        "{} manual snapshot(s), newest {}, on no schedule the audit can see",
                        i.manual_snapshots,
                        at.format("%Y-%m-%d %H:%M UTC")
                    ));
                }
            }
        }
        ResourceKind::RdsCluster => {
            if let Some(c) = inv.db_clusters.iter().find(|c| c.arn == r.arn)
                && c.retention_days > 0
            {
                better(
                    &mut local,
                    PITR_LAG,
                    format!(
                        "cluster automated backups, {} days: point-in-time restore",
                        c.retention_days
                    ),
                );
            }
        }
        ResourceKind::DynamodbTable => {
            if let Some(t) = inv.tables.iter().find(|t| t.arn == r.arn) {
                if t.pitr {
                    better(
                        &mut local,
                        PITR_LAG,
                        format!(
                            "point-in-time recovery, {} days",
                            t.recovery_period_days.unwrap_or(35)
                        ),
                    );
                }
                if let Some(region) = t.replica_regions.first() {
                    better(
                        &mut remote,
                        Duration::seconds(1),
                        format!("global table replica in {region} (asynchronous, about a second)"),
                    );
                }
                if let Some(at) = t.latest_on_demand_backup {
                    unseen.push(format!(
                        "{} on-demand backup(s), newest {}, on no schedule the audit can see",
                        t.on_demand_backups,
                        at.format("%Y-%m-%d %H:%M UTC")
                    ));
                }
            }
        }
        ResourceKind::S3Bucket => {
            if let Some(b) = inv.buckets.iter().find(|b| b.arn == r.arn) {
                if b.versioned() {
                    better(
                        &mut local,
                        Duration::zero(),
                        "versioning keeps every write".to_owned(),
                    );
                }
                if let Some(t) = b
                    .replication
                    .iter()
                    .find(|t| t.region.as_deref().is_some_and(|x| x != inv.region))
                {
                    better(
                        &mut remote,
                        S3_REPLICATION_OBJECTIVE,
                        format!(
                            "replication to {} in {}",
                            t.bucket_arn,
                            t.region.as_deref().unwrap_or("?")
                        ),
                    );
                }
            }
        }
    }
    for (plan, rule) in inv.rules_covering(r.arn) {
        let taken = if rule.continuous {
            Some((
                PITR_LAG,
                format!("continuous backup rule {}/{}", plan.name, rule.name),
            ))
        } else {
            rule.worst_gap_minutes.map(|gap| {
                (
                    Duration::minutes(gap + rule.start_window_minutes),
                    format!(
                        "backup rule {}/{} ({}, start window {}m)",
                        plan.name,
                        rule.name,
                        rule.schedule.as_deref().unwrap_or("no schedule"),
                        rule.start_window_minutes
                    ),
                )
            })
        };
        let Some((d, basis)) = taken else { continue };
        better(&mut local, d, basis.clone());
        for copy in &rule.copies {
            if copy.region.as_deref().is_some_and(|x| x != inv.region) {
                better(
                    &mut remote,
                    d + Duration::minutes(rule.completion_window_minutes),
                    format!(
                        "{basis}, copied to {} (after a completion window of {}m)",
                        copy.region.as_deref().unwrap_or("?"),
                        rule.completion_window_minutes
                    ),
                );
            }
        }
    }
    let unbounded = |what: &str| {
        if unseen.is_empty() {
            format!("nothing configured {what}")
        } else {
            format!("nothing configured {what}; {}", unseen.join("; "))
        }
    };
    RpoEstimate {
        region: inv.region.clone(),
        layer,
        kind: r.kind,
        resource: r.name.to_owned(),
        arn: r.arn.to_owned(),
        in_region_seconds: local.as_ref().map(|(d, _)| d.num_seconds()),
        in_region_basis: local
            .map(|(_, b)| b)
            .unwrap_or_else(|| unbounded("restores this resource")),
        region_loss_seconds: remote.as_ref().map(|(d, _)| d.num_seconds()),
        region_loss_basis: remote
            .map(|(_, b)| b)
            .unwrap_or_else(|| unbounded("keeps a copy outside the region")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(show(None), "unbounded");
        assert_eq!(show(Some(300)), "5m");
        assert_eq!(show(Some(7200)), "2h");
        assert_eq!(show(Some(86_400)), "1d");
        assert_eq!(show(Some(61)), "61s");
    }
}
