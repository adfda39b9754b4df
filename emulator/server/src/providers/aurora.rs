//! Aurora DB clusters under AWS Backup (resource type `Aurora`): a recovery
//! point is a DB cluster snapshot of type `awsbackup` (a real base backup
//! of the cluster's server), ARN
//! `arn:aws:rds:<region>:<account>:cluster-snapshot:awsbackup:job-<id>` as
//! on AWS. A restore creates a new cluster with RestoreDBClusterFromSnapshot
//! semantics, or RestoreDBClusterToPointInTime for a continuous recovery
//! point asked for `RestoreToTime` or `UseLatestRestorableTime`; as on AWS,
//! AWS Backup restores the cluster only, not its DB instances (the caller
//! adds them with CreateDBInstance). A copy into another account is a
//! cluster snapshot of that account's RDS, its base backup copied into
//! that account's data directory.

use super::{after, payload};
use crate::accounts::Accounts;
use firedrill_emu_backup::{
    BackupRequest, CopyRequest, ProtectedResource, ProviderError, RecoveryPointData, ResourceProvider,
    RestoreRequest,
};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_rds::engine::{Cluster, RestoreClusterPitr, RestoreClusterSnapshot};
use firedrill_emu_rds::{Rds, RdsError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an Aurora recovery point holds: where its cluster snapshot lives,
/// and the cluster's settings when it was taken (the restore metadata).
#[derive(Debug)]
struct ClusterSnapshotPoint {
    region: String,
    snapshot_id: String,
    cluster_id: String,
    engine: String,
    engine_version: String,
    port: u16,
    database_name: Option<String>,
    parameter_group: String,
    /// Whether it stands for a continuous backup (point-in-time restore
    /// from the cluster's own automated backups); copies never do.
    continuous: bool,
}

pub(crate) struct AuroraProvider(pub(crate) Arc<Rds>, pub(crate) Arc<Accounts>);

fn failed(e: RdsError) -> ProviderError {
    let text = e.to_string();
    match e {
        RdsError::DBClusterNotFound(_) | RdsError::DBClusterSnapshotNotFound(_) => {
            ProviderError::NotFound(text)
        }
        RdsError::DBClusterAlreadyExists(_) | RdsError::DBClusterSnapshotAlreadyExists(_) => {
            ProviderError::AlreadyExists(text)
        }
        RdsError::InvalidParameterValue(_)
        | RdsError::InvalidParameterCombination(_)
        | RdsError::DBClusterParameterGroupNotFound(_)
        | RdsError::InvalidRestore(_) => ProviderError::InvalidParameter(text),
        _ => ProviderError::Failed(text),
    }
}

fn cluster_id(arn: &str) -> Option<&str> {
    after(arn, ":cluster:").filter(|id| !id.is_empty() && !id.contains(':'))
}

/// The restore metadata keys AWS Backup passes to RDS for an Aurora
/// cluster. Those firedrill's clusters do not model (they have no network:
/// DescribeDBClusters shows no zones, subnet group or security groups) are
/// checked for their form and otherwise have no effect.
const KNOWN_KEYS: &[&str] = &[
    "AvailabilityZones",
    "BacktrackWindow",
    "CopyTagsToSnapshot",
    "DatabaseName",
    "DBClusterIdentifier",
    "DBClusterParameterGroupName",
    "DBSubnetGroupName",
    "DeletionProtection",
    "EnableCloudwatchLogsExports",
    "EnableIAMDatabaseAuthentication",
    "Engine",
    "EngineMode",
    "EngineVersion",
    "KmsKeyId",
    "Port",
    "RestoreToTime",
    "UseLatestRestorableTime",
    "VpcSecurityGroupIds",
];

fn invalid(text: impl Into<String>) -> ProviderError {
    ProviderError::InvalidParameter(text.into())
}

/// The value of boolean metadata `key`, if given.
fn flag(metadata: &BTreeMap<String, String>, key: &str) -> Result<Option<bool>, ProviderError> {
    metadata
        .get(key)
        .map(|v| match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(invalid(format!(
                "Invalid value {v:?} for restore metadata {key}: expected true or false."
            ))),
        })
        .transpose()
}

/// What a restore job's metadata asks of RDS, checked before anything is
/// created.
struct RestorePlan {
    target: String,
    engine: Option<String>,
    engine_version: Option<String>,
    port: Option<i32>,
    database_name: Option<String>,
    parameter_group: Option<String>,
    deletion_protection: bool,
    /// `Some` for a point-in-time restore: the time, or `None` for the
    /// latest restorable time.
    point_in_time: Option<Option<chrono::DateTime<chrono::Utc>>>,
}

fn restore_plan(metadata: &BTreeMap<String, String>, continuous: bool) -> Result<RestorePlan, ProviderError> {
    if let Some(unknown) = metadata.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        return Err(invalid(format!(
            "Restore metadata key {unknown} is not valid for an Aurora cluster."
        )));
    }
    let target = metadata
        .get("DBClusterIdentifier")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid("Restore metadata must include DBClusterIdentifier."))?
        .clone();
    let port = metadata
        .get("Port")
        .map(|p| {
            p.parse::<i32>()
                .map_err(|_| invalid(format!("Invalid value {p:?} for restore metadata Port.")))
        })
        .transpose()?;
    if let Some(mode) = metadata.get("EngineMode")
        && mode != "provisioned"
    {
        return Err(invalid(format!(
            "Engine mode {mode} is not supported: firedrill's Aurora clusters are provisioned."
        )));
    }
    for key in [
        "AvailabilityZones",
        "VpcSecurityGroupIds",
        "EnableCloudwatchLogsExports",
    ] {
        if let Some(v) = metadata.get(key)
            && serde_json::from_str::<Vec<String>>(v).is_err()
        {
            return Err(invalid(format!(
                "Invalid value {v:?} for restore metadata {key}: expected a JSON list of strings."
            )));
        }
    }
    for key in ["CopyTagsToSnapshot", "EnableIAMDatabaseAuthentication"] {
        flag(metadata, key)?;
    }
    let restore_time = metadata
        .get("RestoreToTime")
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| invalid(format!("Invalid value {t:?} for restore metadata RestoreToTime.")))
        })
        .transpose()?;
    let use_latest = flag(metadata, "UseLatestRestorableTime")?.unwrap_or(false);
    let point_in_time = match (restore_time, use_latest) {
        (Some(_), true) => {
            return Err(invalid(
                "Restore metadata cannot include both RestoreToTime and UseLatestRestorableTime.",
            ));
        }
        (Some(t), false) => Some(Some(t)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    if point_in_time.is_some() && !continuous {
        return Err(invalid(
            "RestoreToTime and UseLatestRestorableTime apply to continuous recovery points only.",
        ));
    }
    Ok(RestorePlan {
        target,
        engine: metadata.get("Engine").cloned(),
        engine_version: metadata.get("EngineVersion").cloned(),
        port,
        database_name: metadata.get("DatabaseName").filter(|v| !v.is_empty()).cloned(),
        parameter_group: metadata.get("DBClusterParameterGroupName").cloned(),
        deletion_protection: flag(metadata, "DeletionProtection")?.unwrap_or(false),
        point_in_time,
    })
}

impl AuroraProvider {
    fn describe(&self, region: &str, id: &str) -> Result<Cluster, ProviderError> {
        self.0
            .engine()
            .describe_clusters(region, Some(id))
            .map_err(failed)?
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::NotFound(format!("DBCluster {id} not found.")))
    }
}

impl ResourceProvider for AuroraProvider {
    fn resource_type(&self) -> &'static str {
        "Aurora"
    }

    fn owns(&self, resource_arn: &str) -> bool {
        resource_arn.starts_with("arn:aws:rds:") && cluster_id(resource_arn).is_some()
    }

    fn list_resources(&self, region: &str) -> Vec<ProtectedResource> {
        self.0
            .list_clusters_with_tags(region)
            .into_iter()
            .filter_map(|(arn, tags)| {
                let name = cluster_id(&arn)?.to_owned();
                Some(ProtectedResource { arn, name, tags })
            })
            .collect()
    }

    fn backup(&self, request: BackupRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let id = cluster_id(&request.resource_arn)
                .ok_or_else(|| invalid(format!("not a DB cluster ARN: {}", request.resource_arn)))?
                .to_owned();
            let cluster = self.describe(&request.region, &id)?;
            let snapshot_id = format!("awsbackup:job-{}", request.job_id.to_lowercase());
            let arn = self
                .0
                .create_cluster_snapshot_for_backup(&request.region, &cluster.id, &snapshot_id)
                .await
                .map_err(failed)?;
            Ok(RecoveryPointData {
                native_arn: Some(arn),
                size_bytes: 0,
                payload: Arc::new(ClusterSnapshotPoint {
                    region: request.region,
                    snapshot_id,
                    cluster_id: cluster.id,
                    engine: cluster.engine,
                    engine_version: cluster.engine_version,
                    port: cluster.port,
                    database_name: cluster.database_name,
                    parameter_group: cluster.parameter_group,
                    continuous: request.continuous,
                }),
            })
        })
    }

    fn copy_to_region(
        &self,
        request: CopyRequest,
    ) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let source = payload::<ClusterSnapshotPoint>(&request.data)?;
            let dest_id = format!("awsbackup:copyjob-{}", request.job_id.to_lowercase());
            let arn = match &request.dest_account {
                None => {
                    self.0
                        .copy_cluster_snapshot_to_region(
                            &source.region,
                            &source.snapshot_id,
                            &request.dest_region,
                            &dest_id,
                        )
                        .await
                }
                Some(account) => {
                    let dest = self.1.rds(account)?;
                    self.0
                        .copy_cluster_snapshot_to_account(
                            &source.region,
                            &source.snapshot_id,
                            &dest,
                            &request.dest_region,
                            &dest_id,
                        )
                        .await
                }
            }
            .map_err(failed)?;
            Ok(RecoveryPointData {
                native_arn: Some(arn),
                size_bytes: request.data.size_bytes,
                payload: Arc::new(ClusterSnapshotPoint {
                    region: request.dest_region,
                    snapshot_id: dest_id,
                    cluster_id: source.cluster_id.clone(),
                    engine: source.engine.clone(),
                    engine_version: source.engine_version.clone(),
                    port: source.port,
                    database_name: source.database_name.clone(),
                    parameter_group: source.parameter_group.clone(),
                    // A copy is a snapshot: the source's log stays behind.
                    continuous: false,
                }),
            })
        })
    }

    fn restore(&self, request: RestoreRequest) -> BoxFuture<'_, Result<String, ProviderError>> {
        Box::pin(async move {
            let source = payload::<ClusterSnapshotPoint>(&request.data)?;
            let plan = restore_plan(&request.metadata, source.continuous)?;
            if let Some(restore_time) = plan.point_in_time {
                return self
                    .0
                    .restore_cluster_to_point_in_time(
                        &source.region,
                        RestoreClusterPitr {
                            target_id: plan.target,
                            source_id: source.cluster_id.clone(),
                            restore_time,
                            use_latest: restore_time.is_none(),
                            tags: Vec::new(),
                            deletion_protection: plan.deletion_protection,
                        },
                    )
                    .map_err(failed);
            }
            self.0
                .restore_cluster_from_snapshot(
                    &source.region,
                    RestoreClusterSnapshot {
                        target_id: plan.target,
                        snapshot_id: source.snapshot_id.clone(),
                        engine: plan.engine.unwrap_or_else(|| source.engine.clone()),
                        engine_version: plan.engine_version,
                        port: plan.port,
                        database_name: plan.database_name,
                        parameter_group: plan.parameter_group,
                        retention: None,
                        backup_window: None,
                        tags: Vec::new(),
                        deletion_protection: plan.deletion_protection,
                    },
                )
                .map_err(failed)
        })
    }

    fn delete_restored(
        &self,
        region: String,
        resource_arn: String,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let id = cluster_id(&resource_arn)
                .ok_or_else(|| invalid(format!("not a DB cluster ARN: {resource_arn}")))?;
            let engine = self.0.engine();
            let cluster = match engine.describe_clusters(&region, Some(id)) {
                Ok(found) => match found.into_iter().next() {
                    Some(c) => c,
                    None => return Ok(()),
                },
                Err(RdsError::DBClusterNotFound(_)) => return Ok(()),
                Err(e) => return Err(failed(e)),
            };
            // Instances added to the restored cluster go with it.
            for member in &cluster.members {
                let request = firedrill_emu_rds::engine::DeleteInstance {
                    id: member.clone(),
                    skip_final_snapshot: true,
                    final_snapshot_id: None,
                    delete_automated_backups: true,
                };
                match engine.delete_instance(&region, request) {
                    Ok(_) | Err(RdsError::DBInstanceNotFound(_)) => {}
                    Err(e @ RdsError::InvalidDBInstanceState(_)) => {
                        return Err(ProviderError::Busy(e.to_string()));
                    }
                    Err(e) => return Err(failed(e)),
                }
            }
            match engine.delete_cluster(&region, &cluster.id, true, None) {
                Ok(_) | Err(RdsError::DBClusterNotFound(_)) => Ok(()),
                Err(e @ RdsError::InvalidDBClusterState(_)) if cluster.status != "deleting" => {
                    Err(ProviderError::Busy(e.to_string()))
                }
                Err(RdsError::InvalidDBClusterState(_)) => Ok(()),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn delete(&self, data: RecoveryPointData) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let snapshot = payload::<ClusterSnapshotPoint>(&data)?;
            match self
                .0
                .engine()
                .delete_cluster_snapshot(&snapshot.region, &snapshot.snapshot_id)
            {
                Ok(_) | Err(RdsError::DBClusterSnapshotNotFound(_)) => Ok(()),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn restore_metadata(&self, data: &RecoveryPointData) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(point) = payload::<ClusterSnapshotPoint>(data) {
            let mut put = |k: &str, v: String| {
                out.insert(k.to_owned(), v);
            };
            put("DBClusterIdentifier", format!("{}-restored", point.cluster_id));
            put("Engine", point.engine.clone());
            put("EngineVersion", point.engine_version.clone());
            put("EngineMode", "provisioned".to_owned());
            put("Port", point.port.to_string());
            put("DBClusterParameterGroupName", point.parameter_group.clone());
            if let Some(name) = &point.database_name {
                put("DatabaseName", name.clone());
            }
            put("DeletionProtection", "false".to_owned());
            put("CopyTagsToSnapshot", "false".to_owned());
            // As DescribeDBClusters shows firedrill's clusters: no network.
            put("AvailabilityZones", "[]".to_owned());
            put("VpcSecurityGroupIds", "[]".to_owned());
        }
        out
    }
}
