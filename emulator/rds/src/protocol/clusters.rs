//! The Aurora cluster actions: CreateDBCluster, DescribeDBClusters,
//! ModifyDBCluster, DeleteDBCluster, RestoreDBClusterToPointInTime and
//! FailoverDBCluster, and
//! the `DBCluster` XML shape.

use super::{Params, Xml, check_filters, filter_values, id_matches, page};
use crate::engine::{Cluster, CreateCluster, Engine, ModifyCluster, RestoreClusterPitr};
use crate::errors::RdsError;

/// The actions this module serves.
pub const ACTIONS: &[&str] = &[
    "CreateDBCluster",
    "DescribeDBClusters",
    "ModifyDBCluster",
    "DeleteDBCluster",
    "RestoreDBClusterToPointInTime",
    "FailoverDBCluster",
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
        "CreateDBCluster" => {
            let req = CreateCluster {
                id: p.required("DBClusterIdentifier")?,
                engine: p.required("Engine")?,
                engine_version: p.string("EngineVersion"),
                master_username: p.string("MasterUsername"),
                master_password: p.string("MasterUserPassword"),
                database_name: p.string("DatabaseName"),
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
                tags: p.tags("Tags")?,
                port: p.int("Port")?,
                storage_type: p.string("StorageType"),
                parameter_group: p.string("DBClusterParameterGroupName"),
                deletion_protection: p.bool("DeletionProtection")?.unwrap_or(false),
            };
            let c = engine.create_cluster(region, req)?;
            cluster(&mut x, &c);
        }
        "DescribeDBClusters" => {
            let filters = p.filters();
            check_filters(&filters, &["db-cluster-id", "engine"])?;
            let list: Vec<Cluster> = engine
                .describe_clusters(region, p.str("DBClusterIdentifier"))?
                .into_iter()
                .filter(|c| {
                    filter_values(&filters, "db-cluster-id").is_none_or(|v| id_matches(v, &c.id, &c.arn))
                })
                .filter(|c| filter_values(&filters, "engine").is_none_or(|v| v.contains(&c.engine)))
                .collect();
            let (items, marker) = page(p, list)?;
            x.open("DBClusters");
            for c in &items {
                cluster(&mut x, c);
            }
            x.close("DBClusters");
            x.opt("Marker", marker.as_deref());
        }
        "DeleteDBCluster" => {
            let c = engine.delete_cluster(
                region,
                &p.required("DBClusterIdentifier")?,
                p.bool("SkipFinalSnapshot")?.unwrap_or(false),
                p.str("FinalDBSnapshotIdentifier"),
            )?;
            cluster(&mut x, &c);
        }
        "RestoreDBClusterToPointInTime" => {
            if p.str("RestoreType") == Some("copy-on-write") {
                tracing::debug!("copy-on-write restore served as a full copy");
            }
            let req = RestoreClusterPitr {
                target_id: p.required("DBClusterIdentifier")?,
                source_id: p.required("SourceDBClusterIdentifier")?,
                restore_time: p.time("RestoreToTime")?,
                use_latest: p.bool("UseLatestRestorableTime")?.unwrap_or(false),
                tags: p.tags("Tags")?,
                deletion_protection: p.bool("DeletionProtection")?.unwrap_or(false),
            };
            let c = engine.restore_cluster_to_point_in_time(region, req)?;
            cluster(&mut x, &c);
        }
        "ModifyDBCluster" => {
            if p.str("NewDBClusterIdentifier").is_some() {
                return Err(RdsError::InvalidParameterValue(
                    "firedrill does not support renaming DB clusters (NewDBClusterIdentifier).".to_owned(),
                ));
            }
            let req = ModifyCluster {
                id: p.required("DBClusterIdentifier")?,
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
                maintenance_window: p.string("PreferredMaintenanceWindow"),
                deletion_protection: p.bool("DeletionProtection")?,
            };
            let c = engine.modify_cluster(region, req)?;
            cluster(&mut x, &c);
        }
        "FailoverDBCluster" => {
            let c = engine.failover_cluster(
                region,
                &p.required("DBClusterIdentifier")?,
                p.str("TargetDBInstanceIdentifier"),
            )?;
            cluster(&mut x, &c);
        }
        other => {
            return Err(RdsError::InternalFailure(format!(
                "{other} is not a cluster action"
            )));
        }
    }
    Ok(Some(x.into_string()))
}

/// The `DBCluster` shape.
pub fn cluster(x: &mut Xml, c: &Cluster) {
    x.open("DBCluster");
    x.num("AllocatedStorage", 1);
    x.open("AvailabilityZones");
    x.close("AvailabilityZones");
    x.num("BackupRetentionPeriod", c.retention);
    x.opt("DatabaseName", c.database_name.as_deref());
    x.text("DBClusterIdentifier", &c.id);
    x.text("DBClusterParameterGroup", &c.parameter_group);
    x.text("Status", &c.status);
    x.opt_time("EarliestRestorableTime", c.earliest_restorable);
    x.text("Endpoint", "127.0.0.1");
    x.text("ReaderEndpoint", "127.0.0.1");
    x.bool("MultiAZ", false);
    x.text("Engine", &c.engine);
    x.text("EngineVersion", &c.engine_version);
    x.opt_time("LatestRestorableTime", c.latest_restorable);
    x.num("Port", c.port);
    x.text("MasterUsername", &c.master_username);
    x.text("PreferredBackupWindow", &c.backup_window);
    x.text("PreferredMaintenanceWindow", &c.maintenance_window);
    x.open("DBClusterMembers");
    for (n, m) in c.members.iter().enumerate() {
        x.open("DBClusterMember");
        x.text("DBInstanceIdentifier", m);
        x.bool("IsClusterWriter", n == 0);
        x.text("DBClusterParameterGroupStatus", "in-sync");
        x.num("PromotionTier", 1);
        x.close("DBClusterMember");
    }
    x.close("DBClusterMembers");
    x.open("VpcSecurityGroups");
    x.close("VpcSecurityGroups");
    x.bool("StorageEncrypted", false);
    x.text("DbClusterResourceId", &c.resource_id);
    x.text("DBClusterArn", &c.arn);
    x.bool("IAMDatabaseAuthenticationEnabled", false);
    x.time("ClusterCreateTime", c.create_time);
    x.text("EngineMode", "provisioned");
    x.bool("DeletionProtection", c.deletion_protection);
    x.bool("HttpEndpointEnabled", false);
    x.bool("CopyTagsToSnapshot", false);
    x.bool("CrossAccountClone", false);
    x.text("StorageType", &c.storage_type);
    x.tags(&c.tags);
    x.close("DBCluster");
}
