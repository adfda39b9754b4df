//! The resources as RDS describes them: DB instances (and the source of a
//! read replica), Aurora clusters, DB snapshots, DB cluster snapshots and
//! automated backups (with their base backups).

use super::Work;
use crate::process::Marker;
use crate::validate::Storage;
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// A DB instance as RDS describes it.
#[derive(Debug, Clone)]
pub struct Instance {
    pub id: String,
    pub arn: String,
    pub resource_id: String,
    pub class: String,
    pub engine: String,
    pub engine_version: String,
    pub status: String,
    pub master_username: String,
    pub db_name: Option<String>,
    pub create_time: DateTime<Utc>,
    pub retention: i32,
    pub backup_window: String,
    pub maintenance_window: String,
    pub tags: Vec<(String, String)>,
    pub cluster_id: Option<String>,
    pub port: u16,
    pub storage: Storage,
    pub parameter_group: String,
    pub option_group: String,
    pub subnet_group: String,
    pub availability_zone: String,
    /// For a Multi-AZ instance, the zone of its standby (a failover swaps it
    /// with `availability_zone`); `None` for a Single-AZ instance.
    pub secondary_az: Option<String>,
    pub pending_retention: Option<i32>,
    pub pending_apply_at: Option<DateTime<Utc>>,
    /// Filled when described.
    pub latest_restorable: Option<DateTime<Utc>>,
    /// Automated backup replications of this instance (ARNs in other regions).
    pub replications: Vec<String>,
    pub copy_tags_to_snapshot: bool,
    pub deletion_protection: bool,
    /// The restoration event to record once a restored instance is up.
    pub restored_from: Option<String>,
    pub work: Work,
    pub status_since: DateTime<Utc>,
    pub next_status: String,
    /// When the restore-time model says a restore into this instance is
    /// done (it stays `creating` until then, whatever the server does).
    pub modelled_ready: Option<DateTime<Utc>>,
    /// For a read replica: the instance it follows (until promoted).
    pub replica_of: Option<ReplicaSource>,
    /// Filled when described: the read replicas that follow this instance
    /// (identifiers in its region, ARNs in others).
    pub replica_ids: Vec<String>,
    /// Filled when described, for a read replica: `replicating`, or
    /// `error` while its source cannot be reached.
    pub replication_status: Option<String>,
}

/// The source of a read replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSource {
    pub region: String,
    pub id: String,
    pub arn: String,
}

/// An Aurora cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub id: String,
    pub arn: String,
    pub resource_id: String,
    pub engine: String,
    pub engine_version: String,
    pub parameter_group: String,
    pub storage_type: String,
    pub status: String,
    pub master_username: String,
    pub database_name: Option<String>,
    pub port: u16,
    pub retention: i32,
    pub backup_window: String,
    pub maintenance_window: String,
    pub create_time: DateTime<Utc>,
    pub members: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub earliest_restorable: Option<DateTime<Utc>>,
    pub latest_restorable: Option<DateTime<Utc>>,
    /// Whether DeleteDBCluster is refused until ModifyDBCluster lifts it.
    pub deletion_protection: bool,
    pub work: Work,
    pub status_since: DateTime<Utc>,
    pub next_status: String,
    /// When the restore-time model says a restore into this cluster is done
    /// (it stays `creating` until then, whatever the server does).
    pub modelled_ready: Option<DateTime<Utc>>,
}

/// A DB snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: String,
    pub arn: String,
    pub instance_id: String,
    pub resource_id: String,
    pub snapshot_type: String,
    pub status: String,
    pub create_time: DateTime<Utc>,
    pub instance_create_time: DateTime<Utc>,
    pub engine: String,
    pub engine_version: String,
    pub master_username: String,
    pub db_name: Option<String>,
    pub port: u16,
    pub availability_zone: String,
    pub class: String,
    pub storage: Storage,
    pub option_group: String,
    pub retention: i32,
    pub backup_window: String,
    pub tags: Vec<(String, String)>,
    /// The instance's tags when the snapshot was taken (a restore without
    /// tags of its own gets these).
    pub instance_tags: Vec<(String, String)>,
    pub source_region: Option<String>,
    pub source_snapshot: Option<String>,
    pub percent: i32,
    pub dir: PathBuf,
    pub work: Work,
    pub status_since: DateTime<Utc>,
    /// For a copy: when the restore-time model says it is done (it stays
    /// `creating` until then, whatever the file copy does).
    pub modelled_ready: Option<DateTime<Utc>>,
}

/// A DB cluster snapshot: a base backup of an Aurora cluster's server.
#[derive(Debug, Clone)]
pub struct ClusterSnapshot {
    pub id: String,
    pub arn: String,
    pub cluster_id: String,
    /// The cluster's resource id (`DbClusterResourceId`).
    pub resource_id: String,
    pub snapshot_type: String,
    pub status: String,
    pub create_time: DateTime<Utc>,
    pub cluster_create_time: DateTime<Utc>,
    pub engine: String,
    pub engine_version: String,
    pub master_username: String,
    pub database_name: Option<String>,
    pub port: u16,
    pub storage_type: String,
    pub retention: i32,
    pub backup_window: String,
    pub tags: Vec<(String, String)>,
    /// For a copy: the ARN of the snapshot it was copied from.
    pub source_arn: Option<String>,
    pub percent: i32,
    pub dir: PathBuf,
    pub work: Work,
    pub status_since: DateTime<Utc>,
    /// For a copy: when the restore-time model says it is done (it stays
    /// `copying` until then, whatever the file copy does).
    pub modelled_ready: Option<DateTime<Utc>>,
}

/// One base backup of an automated backup.
#[derive(Debug, Clone)]
pub struct BaseBackup {
    pub name: String,
    pub dir: PathBuf,
    pub start_log: String,
    pub end_wall: DateTime<Utc>,
    pub end_emulated: DateTime<Utc>,
}

/// Whether an automated backup belongs to an instance or a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    Instance,
    Cluster,
}

/// The automated backups of one instance or cluster in one region
/// (`DBInstanceAutomatedBackup`).
#[derive(Debug, Clone)]
pub struct AutomatedBackup {
    pub kind: BackupKind,
    pub resource_id: String,
    pub arn: String,
    /// The region the backups were made in.
    pub source_region: String,
    pub instance_id: String,
    pub instance_arn: String,
    pub status: String,
    pub retention: i32,
    pub backup_window: String,
    pub engine: String,
    pub engine_version: String,
    pub master_username: String,
    pub db_name: Option<String>,
    pub port: u16,
    pub availability_zone: String,
    pub class: String,
    pub storage: Storage,
    pub instance_create_time: DateTime<Utc>,
    pub base_backups: Vec<BaseBackup>,
    pub dir: PathBuf,
    pub marker: Option<Marker>,
    pub coverage_wall: Option<DateTime<Utc>>,
    /// For a replicated copy: the source region's record.
    pub replicated_from: Option<(String, String)>,
    /// For a source: the ARNs of its copies in other regions.
    pub replications: Vec<(String, String)>,
    /// For a replicated copy: when the restore-time model says the first
    /// cross-region copy is done; nothing is copied in (so nothing is
    /// restorable) before.
    pub modelled_ready: Option<DateTime<Utc>>,
    pub tags: Vec<(String, String)>,
    /// Filled when described.
    pub earliest: Option<DateTime<Utc>>,
    /// Filled when described.
    pub latest: Option<DateTime<Utc>>,
}

impl AutomatedBackup {
    pub(super) fn archive(&self) -> PathBuf {
        self.dir.join("wal")
    }

    /// Copies what a restore from these backups inherits from the instance.
    pub(super) fn describe_instance(&mut self, i: &Instance) {
        self.engine_version = i.engine_version.clone();
        self.class = i.class.clone();
        self.storage = i.storage.clone();
        self.availability_zone = i.availability_zone.clone();
    }
}
