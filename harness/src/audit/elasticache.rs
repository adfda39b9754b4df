//! The audit's ElastiCache part: the session stores it reads, and the two
//! checks on them.
//!
//! [`collect`] lists every replication group and every standalone cache
//! cluster of a region (`DescribeReplicationGroups`,
//! `DescribeCacheClusters`, `DescribeSnapshots`, through the read-only
//! clients) with its `SnapshotRetentionLimit`, `SnapshotWindow` and the
//! snapshots that exist of it. [`findings`] is pure:
//!
//! - `elasticache_redis_cluster_backup_enabled` (Prowler's id): automatic
//!   snapshots are off (`SnapshotRetentionLimit` 0, ElastiCache's default);
//! - `sessions_layer_not_covered` (firedrill's): the region backs up its
//!   other data (RDS backups, DynamoDB PITR, a backup plan) but a cache
//!   has no snapshot at all, neither automatic nor manual, so a restore
//!   brings the orders back and every session and cart kept there is gone.
//!
//! AWS Backup does not back ElastiCache up and ElastiCache has no
//! point-in-time recovery: its snapshots are its only recovery points, and
//! the worst-case loss window is the snapshot interval (a day for the
//! automatic ones).

use super::checks::Check;
use super::inventory::RegionInventory;
use super::readonly::GuardedClients;
use crate::model::smithy_to_chrono;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A replication group, or a cache cluster outside any group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheGroup {
    /// `ReplicationGroupId` or `CacheClusterId`.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// Whether it is a replication group (else a standalone cluster).
    pub replication_group: bool,
    /// `Engine` (`redis`, `valkey`).
    pub engine: String,
    /// `SnapshotRetentionLimit` in days (0: no automatic snapshots).
    pub retention_days: i32,
    /// `SnapshotWindow`.
    pub snapshot_window: Option<String>,
    /// Available snapshots of it, automatic and manual.
    pub snapshots: usize,
    /// When the newest one was taken.
    pub latest_snapshot: Option<DateTime<Utc>>,
}

/// Reads the region's cache groups and clusters into `inv`.
pub async fn collect(clients: &GuardedClients, inv: &mut RegionInventory) -> anyhow::Result<()> {
    let ec = &clients.elasticache;
    let groups: Vec<aws_sdk_elasticache::types::ReplicationGroup> = ec
        .describe_replication_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("DescribeReplicationGroups")?;
    let clusters: Vec<aws_sdk_elasticache::types::CacheCluster> = ec
        .describe_cache_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("DescribeCacheClusters")?;
    let snapshots: Vec<aws_sdk_elasticache::types::Snapshot> = ec
        .describe_snapshots()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("DescribeSnapshots")?;
    let of = |group: Option<&str>, cluster: Option<&str>| {
        let mine: Vec<&aws_sdk_elasticache::types::Snapshot> = snapshots
            .iter()
            .filter(|s| s.snapshot_status() == Some("available"))
            .filter(|s| match group {
                Some(g) => s.replication_group_id() == Some(g),
                None => s.replication_group_id().is_none() && s.cache_cluster_id() == cluster,
            })
            .collect();
        let latest = mine
            .iter()
            .filter_map(|s| s.node_snapshots().first()?.snapshot_create_time())
            .filter_map(|t| smithy_to_chrono(*t))
            .max();
        (mine.len(), latest)
    };
    for g in &groups {
        let id = g.replication_group_id().unwrap_or_default();
        let (count, latest) = of(Some(id), None);
        inv.cache_groups.push(CacheGroup {
            id: id.to_owned(),
            arn: g.arn().unwrap_or_default().to_owned(),
            replication_group: true,
            engine: g.engine().unwrap_or("redis").to_owned(),
            retention_days: g.snapshot_retention_limit().unwrap_or(0),
            snapshot_window: g.snapshot_window().map(str::to_owned),
            snapshots: count,
            latest_snapshot: latest,
        });
    }
    for c in clusters.iter().filter(|c| c.replication_group_id().is_none()) {
        let id = c.cache_cluster_id().unwrap_or_default();
        let (count, latest) = of(None, Some(id));
        inv.cache_groups.push(CacheGroup {
            id: id.to_owned(),
            arn: c.arn().unwrap_or_default().to_owned(),
            replication_group: false,
            engine: c.engine().unwrap_or("redis").to_owned(),
            retention_days: c.snapshot_retention_limit().unwrap_or(0),
            snapshot_window: c.snapshot_window().map(str::to_owned),
            snapshots: count,
            latest_snapshot: latest,
        });
    }
    Ok(())
}

/// Whether the region backs up anything besides its caches.
fn other_data_backed_up(inv: &RegionInventory) -> bool {
    inv.db_instances.iter().any(|i| i.retention_days > 0)
        || inv.db_clusters.iter().any(|c| c.retention_days > 0)
        || inv.tables.iter().any(|t| t.pitr || t.on_demand_backups > 0)
        || !inv.plans.is_empty()
}

/// One finding on a cache: the check, the group, its ARN and the evidence.
pub type CacheFinding<'a> = (&'static Check, &'a str, &'a str, String);

/// The ElastiCache findings of a region (pure).
pub fn findings(inv: &RegionInventory) -> Vec<CacheFinding<'_>> {
    let mut out = Vec::new();
    let backed_up = other_data_backed_up(inv);
    for g in &inv.cache_groups {
        let kind = if g.replication_group {
            "replication group"
        } else {
            "cache cluster"
        };
        if g.retention_days == 0 {
            out.push((
                &super::checks::ELASTICACHE_BACKUP,
                g.id.as_str(),
                g.arn.as_str(),
                format!(
                    "{kind} {}: SnapshotRetentionLimit is 0, so no automatic snapshot is taken (and ElastiCache has no PITR)",
                    g.id
                ),
            ));
        }
        if g.retention_days == 0 && g.snapshots == 0 && backed_up {
            out.push((
                &super::checks::SESSIONS_NOT_COVERED,
                g.id.as_str(),
                g.arn.as_str(),
                format!(
                    "{kind} {}: no snapshot exists of it while the region's other data is backed up; a restore brings the orders back and every session and cart kept in it is gone",
                    g.id
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::inventory::DbInstance;

    fn group(id: &str, retention: i32, snapshots: usize) -> CacheGroup {
        CacheGroup {
            id: id.into(),
            arn: format!("arn:aws:elasticache:us-east-1:000000000000:replicationgroup:{id}"),
            replication_group: true,
            engine: "redis".into(),
            retention_days: retention,
            snapshot_window: None,
            snapshots,
            latest_snapshot: None,
        }
    }

    fn backed_up_db() -> DbInstance {
        DbInstance {
            id: "orders".into(),
            arn: "arn:aws:rds:us-east-1:000000000000:db:orders".into(),
            engine: "postgres".into(),
            retention_days: 7,
            backup_window: None,
            cluster: None,
            replicated_to: Vec::new(),
            manual_snapshots: 0,
            latest_manual_snapshot: None,
            tags: Default::default(),
        }
    }

    #[test]
    fn a_session_store_without_snapshots_is_flagged_twice_beside_backed_up_orders() {
        let mut inv = RegionInventory {
            region: "us-east-1".into(),
            cache_groups: vec![
                group("sessions", 0, 0),
                group("guarded", 7, 3),
                group("manual", 0, 2),
            ],
            ..RegionInventory::default()
        };
        // Nothing else backed up: only the retention finding.
        let ids = |f: &[CacheFinding<'_>]| {
            f.iter()
                .map(|(c, r, _, _)| (c.id, r.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&findings(&inv)),
            vec![
                ("elasticache_redis_cluster_backup_enabled", "sessions".to_owned()),
                ("elasticache_redis_cluster_backup_enabled", "manual".to_owned()),
            ]
        );
        inv.db_instances.push(backed_up_db());
        let found = findings(&inv);
        assert!(
            ids(&found).contains(&("sessions_layer_not_covered", "sessions".to_owned())),
            "{found:?}"
        );
        assert!(
            !ids(&found).contains(&("sessions_layer_not_covered", "manual".to_owned())),
            "manual snapshots exist of it"
        );
        assert!(found.iter().all(|(_, r, _, _)| *r != "guarded"));
        assert!(found[0].3.contains("no PITR"), "{}", found[0].3);
    }
}
