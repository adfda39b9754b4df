//! The DB cluster snapshot actions: CreateDBClusterSnapshot,
//! DescribeDBClusterSnapshots, CopyDBClusterSnapshot, DeleteDBClusterSnapshot
//! and RestoreDBClusterFromSnapshot, and the `DBClusterSnapshot` XML shape.

use super::clusters::cluster;
use super::{Params, Xml, check_filters, filter_values, id_matches, page};
use crate::catalog;
use crate::engine::{ClusterSnapshot, CopyClusterSnapshot, Engine, RestoreClusterSnapshot};
use crate::errors::RdsError;

/// The actions this module serves.
pub const ACTIONS: &[&str] = &[
    "CreateDBClusterSnapshot",
    "DescribeDBClusterSnapshots",
    "CopyDBClusterSnapshot",
    "DeleteDBClusterSnapshot",
    "RestoreDBClusterFromSnapshot",
];

/// Runs `action` when it is one of this module's, else `None`.
pub fn dispatch(
    engine: &Engine,
    region: &str,
    action: &str,
    p: &Params,
) -> Option<Result<Option<String>, RdsError>> {
    ACTIONS.contains(&action).then(|| run(engine, region, action, p))
}

fn run(engine: &Engine, region: &str, action: &str, p: &Params) -> Result<Option<String>, RdsError> {
    let mut x = Xml::default();
    match action {
        "CreateDBClusterSnapshot" => {
            let s = engine.create_cluster_snapshot(
                region,
                &p.required("DBClusterIdentifier")?,
                &p.required("DBClusterSnapshotIdentifier")?,
                p.tags("Tags")?,
            )?;
            cluster_snapshot(&mut x, &s);
        }
        "DescribeDBClusterSnapshots" => {
            let filters = p.filters();
            check_filters(
                &filters,
                &[
                    "db-cluster-id",
                    "db-cluster-snapshot-id",
                    "snapshot-type",
                    "engine",
                ],
            )?;
            let list: Vec<ClusterSnapshot> = engine
                .describe_cluster_snapshots(
                    region,
                    p.str("DBClusterSnapshotIdentifier"),
                    p.str("DBClusterIdentifier"),
                    p.str("SnapshotType"),
                )?
                .into_iter()
                .filter(|s| p.str("DbClusterResourceId").is_none_or(|r| s.resource_id == r))
                .filter(|s| {
                    filter_values(&filters, "db-cluster-id").is_none_or(|v| {
                        v.iter().any(|x| {
                            x.eq_ignore_ascii_case(&s.cluster_id)
                                || x.ends_with(&format!(":cluster:{}", s.cluster_id))
                        })
                    })
                })
                .filter(|s| {
                    filter_values(&filters, "db-cluster-snapshot-id")
                        .is_none_or(|v| id_matches(v, &s.id, &s.arn))
                })
                .filter(|s| {
                    filter_values(&filters, "snapshot-type").is_none_or(|v| v.contains(&s.snapshot_type))
                })
                .filter(|s| filter_values(&filters, "engine").is_none_or(|v| v.contains(&s.engine)))
                .collect();
            let (items, marker) = page(p, list)?;
            x.open("DBClusterSnapshots");
            for s in &items {
                cluster_snapshot(&mut x, s);
            }
            x.close("DBClusterSnapshots");
            x.opt("Marker", marker.as_deref());
        }
        "CopyDBClusterSnapshot" => {
            let req = CopyClusterSnapshot {
                source: p.required("SourceDBClusterSnapshotIdentifier")?,
                target_id: p.required("TargetDBClusterSnapshotIdentifier")?,
                tags: p.tags("Tags")?,
                copy_tags: p.bool("CopyTags")?.unwrap_or(false),
            };
            let s = engine.copy_cluster_snapshot(region, req)?;
            cluster_snapshot(&mut x, &s);
        }
        "DeleteDBClusterSnapshot" => {
            let s = engine.delete_cluster_snapshot(region, &p.required("DBClusterSnapshotIdentifier")?)?;
            cluster_snapshot(&mut x, &s);
        }
        "RestoreDBClusterFromSnapshot" => {
            let req = RestoreClusterSnapshot {
                target_id: p.required("DBClusterIdentifier")?,
                snapshot_id: p.required("SnapshotIdentifier")?,
                engine: p.required("Engine")?,
                engine_version: p.string("EngineVersion"),
                port: p.int("Port")?,
                database_name: p.string("DatabaseName"),
                parameter_group: p.string("DBClusterParameterGroupName"),
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
                tags: p.tags("Tags")?,
                deletion_protection: p.bool("DeletionProtection")?.unwrap_or(false),
            };
            let c = engine.restore_cluster_from_snapshot(region, req)?;
            cluster(&mut x, &c);
        }
        other => {
            return Err(RdsError::InternalFailure(format!(
                "{other} is not a cluster snapshot action"
            )));
        }
    }
    Ok(Some(x.into_string()))
}

/// The `DBClusterSnapshot` shape.
pub fn cluster_snapshot(x: &mut Xml, s: &ClusterSnapshot) {
    x.open("DBClusterSnapshot");
    x.open("AvailabilityZones");
    x.close("AvailabilityZones");
    x.text("DBClusterSnapshotIdentifier", &s.id);
    x.text("DBClusterIdentifier", &s.cluster_id);
    if s.status != "creating" && s.status != "copying" {
        x.time("SnapshotCreateTime", s.create_time);
    }
    x.text("Engine", &s.engine);
    x.text("EngineMode", "provisioned");
    x.num("AllocatedStorage", 1);
    x.text("Status", &s.status);
    x.num("Port", s.port);
    x.time("ClusterCreateTime", s.cluster_create_time);
    x.text("MasterUsername", &s.master_username);
    x.text("EngineVersion", &s.engine_version);
    x.text("LicenseModel", catalog::license(&s.engine));
    x.text("SnapshotType", &s.snapshot_type);
    x.num("PercentProgress", s.percent);
    x.bool("StorageEncrypted", false);
    x.num("BackupRetentionPeriod", s.retention);
    x.text("PreferredBackupWindow", &s.backup_window);
    x.text("DBClusterSnapshotArn", &s.arn);
    x.opt("SourceDBClusterSnapshotArn", s.source_arn.as_deref());
    x.bool("IAMDatabaseAuthenticationEnabled", false);
    x.tags(&s.tags);
    x.text("StorageType", &s.storage_type);
    x.text("DbClusterResourceId", &s.resource_id);
    x.close("DBClusterSnapshot");
}
