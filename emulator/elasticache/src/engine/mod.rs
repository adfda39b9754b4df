//! ElastiCache's state per region, with no HTTP: cache clusters (one
//! `redis-server` each), replication groups (a primary and its replicas,
//! cluster mode disabled), snapshots and tags, and what moves on the
//! emulator clock (statuses, automatic snapshots, retention).
//!
//! Requests arrive here already decoded and checked value by value
//! ([`crate::validate`]); the engine checks what needs state (existence,
//! statuses, names in use) before it changes anything or starts a server.
//! Servers start and snapshots are taken in background tasks; a record
//! leaves `creating` on the emulator clock once its work is done and the
//! fidelity preset's `resource_create_delay` has passed; a cluster or
//! group restored from a snapshot stays `creating` for as long as the
//! restore-time model gives the restore (`Operation::ElasticacheRestoreFromSnapshot`,
//! growing with the RDB file's size) when the `aws` preset is in force.
//!
//! `snapshots` holds CreateSnapshot, CopySnapshot, DeleteSnapshot, the
//! automatic daily snapshots and the seeds a new cluster starts from;
//! `nodes` the server lifecycle (starts, deletion, region outages).

mod nodes;
mod snapshots;

pub use snapshots::{RdbFile, SnapshotFilter, SnapshotSourceRef};

use crate::errors::ElastiCacheError;
use crate::node::{NodeRuntime, RedisNode};
use crate::objects::ObjectStore;
use chrono::{DateTime, Utc};
use firedrill_emu_core::Environment;
use firedrill_emu_core::service::LongOperation;
use firedrill_emu_core::timing::{Operation, Workload};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The status names ElastiCache reports.
pub mod status {
    /// Being created.
    pub const CREATING: &str = "creating";
    /// Serving.
    pub const AVAILABLE: &str = "available";
    /// A snapshot is being taken.
    pub const SNAPSHOTTING: &str = "snapshotting";
    /// Being deleted.
    pub const DELETING: &str = "deleting";
    /// A cluster or group whose server could not start.
    pub const CREATE_FAILED: &str = "create-failed";
    /// A cluster whose seed snapshot could not be loaded.
    pub const RESTORE_FAILED: &str = "restore-failed";
    /// A snapshot whose `BGSAVE` failed.
    pub const FAILED: &str = "failed";
}

/// One cache cluster: a single Redis node.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// `CacheClusterId`.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// The engine version reported.
    pub engine_version: String,
    /// `CacheNodeType`.
    pub node_type: String,
    /// `CacheClusterStatus`.
    pub status: String,
    /// `CacheClusterCreateTime`.
    pub created: DateTime<Utc>,
    /// The replication group it belongs to.
    pub replication_group: Option<String>,
    /// Whether it is its group's primary (standalone clusters are).
    pub primary: bool,
    /// `SnapshotRetentionLimit` (days; 0 turns automatic snapshots off).
    pub retention: i32,
    /// `SnapshotWindow`.
    pub window: String,
    /// `PreferredMaintenanceWindow`.
    pub maintenance_window: String,
    /// `PreferredAvailabilityZone`.
    pub availability_zone: String,
    /// The port asked for (the server uses it when free).
    pub requested_port: u16,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// The running server.
    pub node: Option<Arc<RedisNode>>,
    /// The node's directory, kept while a region outage has the server stopped.
    pub dir: Option<PathBuf>,
    /// The port the server last listened on.
    pub port: Option<u16>,
    /// The window start of the last automatic snapshot.
    pub last_automatic: Option<DateTime<Utc>>,
    /// Whether it started from a snapshot (a failed start is `restore-failed`).
    pub seeded: bool,
    /// The earliest instant it may leave `creating`: the fidelity preset's
    /// delay after `created`, or, for a cluster restored from a snapshot,
    /// the end the restore-time model gives the restore.
    pub ready_after: DateTime<Utc>,
}

impl Cluster {
    /// The endpoint clients connect to, once the server runs.
    pub fn endpoint(&self) -> Option<(String, u16)> {
        self.node.as_ref().map(|n| ("127.0.0.1".to_owned(), n.port))
    }
}

/// One replication group (cluster mode disabled: one node group).
#[derive(Debug, Clone)]
pub struct Group {
    /// `ReplicationGroupId`.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// `Description`.
    pub description: String,
    /// `Status`.
    pub status: String,
    /// Member clusters, the primary first.
    pub members: Vec<String>,
    /// The member snapshots are taken from (`SnapshottingClusterId`).
    pub snapshotting_cluster: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// The engine version reported.
    pub engine_version: String,
    /// `CacheNodeType`.
    pub node_type: String,
    /// Whether automatic failover is enabled (reported; firedrill never fails over on its own).
    pub automatic_failover: bool,
    /// Whether Multi-AZ is enabled (reported).
    pub multi_az: bool,
    /// `SnapshotRetentionLimit`.
    pub retention: i32,
    /// `SnapshotWindow`.
    pub window: String,
    /// `ReplicationGroupCreateTime`.
    pub created: DateTime<Utc>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// The window start of the last automatic snapshot.
    pub last_automatic: Option<DateTime<Utc>>,
    /// The earliest instant it may leave `creating` (as
    /// [`Cluster::ready_after`]).
    pub ready_after: DateTime<Utc>,
}

/// One snapshot: an RDB file in the emulator's storage and what it was taken of.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// `SnapshotName`.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// `SnapshotStatus`: creating, available, failed.
    pub status: String,
    /// `SnapshotSource`: `manual` or `automated`.
    pub source: String,
    /// The cluster it was taken of (a standalone cluster or a group member).
    pub cluster_id: String,
    /// The group it was taken of.
    pub group_id: Option<String>,
    /// The group's description.
    pub group_description: Option<String>,
    /// The cluster's settings at the time.
    pub engine: String,
    /// The engine version.
    pub engine_version: String,
    /// The node type.
    pub node_type: String,
    /// The port.
    pub port: u16,
    /// The availability zone.
    pub availability_zone: String,
    /// The maintenance window.
    pub maintenance_window: String,
    /// The retention limit (an automatic snapshot is kept that many days).
    pub retention: i32,
    /// The snapshot window.
    pub window: String,
    /// When the cluster was created.
    pub cluster_created: DateTime<Utc>,
    /// When the snapshot was taken (emulator clock).
    pub created: DateTime<Utc>,
    /// The RDB file, once written.
    pub rdb: Option<Arc<RdbFile>>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// One region's resources.
#[derive(Debug, Default)]
pub struct Region {
    /// Clusters by id.
    pub clusters: BTreeMap<String, Cluster>,
    /// Replication groups by id.
    pub groups: BTreeMap<String, Group>,
    /// Snapshots by name.
    pub snapshots: BTreeMap<String, Snapshot>,
    /// Whether the region is in an outage (its servers stopped).
    pub down: bool,
}

/// What CreateCacheCluster asks for, checked value by value.
#[derive(Debug, Clone)]
pub struct CreateCluster {
    /// The new id (lowercased).
    pub id: String,
    /// The engine (`redis` or `valkey`).
    pub engine: Option<String>,
    /// The engine version asked for.
    pub engine_version: Option<String>,
    /// The node type.
    pub node_type: Option<String>,
    /// The port.
    pub port: Option<u16>,
    /// The availability zone.
    pub availability_zone: Option<String>,
    /// `SnapshotRetentionLimit`.
    pub retention: Option<i32>,
    /// `SnapshotWindow`.
    pub window: Option<String>,
    /// `PreferredMaintenanceWindow`.
    pub maintenance_window: Option<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// The data to start with.
    pub seed: Seed,
}

/// The data a new cluster or group starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seed {
    /// An empty server.
    Empty,
    /// `SnapshotName`: an ElastiCache snapshot of this region.
    Snapshot(String),
    /// `SnapshotArns`: an RDB file in S3.
    ObjectArn(String),
}

/// What CreateReplicationGroup asks for.
#[derive(Debug, Clone)]
pub struct CreateGroup {
    /// The settings every member shares (its `id` is the group's).
    pub base: CreateCluster,
    /// `ReplicationGroupDescription`.
    pub description: String,
    /// `NumCacheClusters`.
    pub num_clusters: usize,
    /// `AutomaticFailoverEnabled`.
    pub automatic_failover: bool,
    /// `MultiAZEnabled`.
    pub multi_az: bool,
}

/// The snapshot settings ModifyCacheCluster and ModifyReplicationGroup change.
#[derive(Debug, Clone, Default)]
pub struct Modify {
    /// `SnapshotRetentionLimit`.
    pub retention: Option<i32>,
    /// `SnapshotWindow`.
    pub window: Option<String>,
    /// `PreferredMaintenanceWindow`.
    pub maintenance_window: Option<String>,
    /// `ReplicationGroupDescription` (groups only).
    pub description: Option<String>,
    /// `SnapshottingClusterId` (groups only).
    pub snapshotting_cluster: Option<String>,
}

/// The ElastiCache engine.
pub struct Engine {
    env: Environment,
    runtime: Arc<NodeRuntime>,
    state: Mutex<BTreeMap<String, Region>>,
    objects: Mutex<Option<Arc<dyn ObjectStore>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.runtime.root)
            .finish_non_exhaustive()
    }
}

/// The default snapshot window (UTC) when a request names none.
pub const DEFAULT_SNAPSHOT_WINDOW: &str = "05:00-06:00";

/// The default maintenance window when a request names none.
pub const DEFAULT_MAINTENANCE_WINDOW: &str = "sun:23:00-mon:01:30";

impl Engine {
    /// A new engine whose files live under the environment's data directory.
    pub fn new(env: &Environment) -> Arc<Self> {
        let service_dir = env
            .service_dir("elasticache")
            .unwrap_or_else(|_| env.data_dir.join("elasticache"));
        Arc::new(Self {
            env: env.clone(),
            runtime: Arc::new(NodeRuntime::new(&service_dir)),
            state: Mutex::new(BTreeMap::new()),
            objects: Mutex::new(None),
        })
    }

    /// The Redis runtime (binary, run directory, live nodes).
    pub fn runtime(&self) -> &Arc<NodeRuntime> {
        &self.runtime
    }

    /// Connects the S3 seam (exports and `SnapshotArns`).
    pub fn set_object_store(&self, store: Arc<dyn ObjectStore>) {
        *self.objects.lock() = Some(store);
    }

    fn object_store(&self) -> Option<Arc<dyn ObjectStore>> {
        self.objects.lock().clone()
    }

    fn now(&self) -> DateTime<Utc> {
        self.env.now()
    }

    fn arn(&self, region: &str, kind: &str, name: &str) -> String {
        format!(
            "arn:aws:elasticache:{region}:{}:{kind}:{name}",
            self.env.account_id()
        )
    }

    fn ready_at(&self, since: DateTime<Utc>) -> DateTime<Utc> {
        since
            .checked_add_signed(self.env.config.timings.resource_create_delay)
            .unwrap_or(since)
    }

    /// For a new cluster or group `id` seeded from `seed`, the instant the
    /// restore-time model lets it become available (recorded in the
    /// environment's timing log); `None` when it starts empty.
    fn model_restore(&self, region: &str, id: &str, seed: Option<&RdbFile>) -> Option<DateTime<Utc>> {
        let rdb = seed?;
        let plan = self.env.plan_long_operation(
            LongOperation {
                operation: Operation::ElasticacheRestoreFromSnapshot,
                resource: id,
                region,
                workload: Workload {
                    bytes: rdb.size(),
                    ..Workload::default()
                },
            },
            self.env.config.timings.resource_create_delay,
        );
        let ready = plan.completes_at;
        self.env.timings.record(plan);
        Some(ready)
    }

    /// Runs `f` on `region`'s state after moving statuses on to `now`.
    fn with_region<T>(&self, region: &str, f: impl FnOnce(&mut Region) -> T) -> T {
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.entry(region.to_owned()).or_default();
        self.transitions(reg, now);
        f(reg)
    }

    /// Moves records whose work is done and whose delay has passed on to
    /// their next status.
    fn transitions(&self, reg: &mut Region, now: DateTime<Utc>) {
        for s in reg.snapshots.values_mut() {
            if s.status == status::CREATING && s.rdb.is_some() && now >= self.ready_at(s.created) {
                s.status = status::AVAILABLE.to_owned();
            }
        }
        let busy: Vec<(String, Option<String>)> = reg
            .snapshots
            .values()
            .filter(|s| s.status == status::CREATING)
            .map(|s| (s.cluster_id.clone(), s.group_id.clone()))
            .collect();
        for c in reg.clusters.values_mut() {
            let ready = c.node.is_some() && now >= c.ready_after;
            if c.status == status::CREATING && ready {
                c.status = status::AVAILABLE.to_owned();
            }
            if c.status == status::SNAPSHOTTING && !busy.iter().any(|(id, _)| *id == c.id) {
                c.status = status::AVAILABLE.to_owned();
            }
        }
        for g in reg.groups.values_mut() {
            let members_available = g.members.iter().all(|m| {
                reg.clusters
                    .get(m)
                    .is_some_and(|c| c.status == status::AVAILABLE || c.status == status::SNAPSHOTTING)
            });
            if g.status == status::CREATING && members_available && now >= g.ready_after {
                g.status = status::AVAILABLE.to_owned();
            }
            if g.status == status::SNAPSHOTTING
                && !busy
                    .iter()
                    .any(|(_, group)| group.as_deref() == Some(g.id.as_str()))
            {
                g.status = status::AVAILABLE.to_owned();
            }
            if g.status == status::CREATING
                && g.members.iter().any(|m| {
                    reg.clusters.get(m).is_some_and(|c| {
                        c.status == status::CREATE_FAILED || c.status == status::RESTORE_FAILED
                    })
                })
            {
                g.status = status::CREATE_FAILED.to_owned();
            }
        }
    }

    /// The clusters of `region` (one when `id` is given: `CacheClusterNotFound` when absent).
    pub fn describe_clusters(
        &self,
        region: &str,
        id: Option<&str>,
    ) -> Result<Vec<Cluster>, ElastiCacheError> {
        self.with_region(region, |reg| match id {
            Some(id) => reg
                .clusters
                .get(id)
                .cloned()
                .map(|c| vec![c])
                .ok_or_else(|| ElastiCacheError::cluster_not_found(id)),
            None => Ok(reg.clusters.values().cloned().collect()),
        })
    }

    /// The replication groups of `region`.
    pub fn describe_groups(
        &self,
        region: &str,
        id: Option<&str>,
    ) -> Result<Vec<(Group, Vec<Cluster>)>, ElastiCacheError> {
        self.with_region(region, |reg| {
            let groups: Vec<Group> = match id {
                Some(id) => vec![
                    reg.groups
                        .get(id)
                        .cloned()
                        .ok_or_else(|| ElastiCacheError::group_not_found(id))?,
                ],
                None => reg.groups.values().cloned().collect(),
            };
            Ok(groups
                .into_iter()
                .map(|g| {
                    let members = g
                        .members
                        .iter()
                        .filter_map(|m| reg.clusters.get(m).cloned())
                        .collect();
                    (g, members)
                })
                .collect())
        })
    }

    /// The members of a group, for rendering a group alone.
    pub fn group_view(&self, region: &str, id: &str) -> Result<(Group, Vec<Cluster>), ElastiCacheError> {
        self.describe_groups(region, Some(id))?
            .into_iter()
            .next()
            .ok_or_else(|| ElastiCacheError::group_not_found(id))
    }

    fn new_cluster(
        &self,
        region: &str,
        req: &CreateCluster,
        engine: &str,
        version: &str,
        node_type: &str,
    ) -> Cluster {
        Cluster {
            id: req.id.clone(),
            arn: self.arn(region, "cluster", &req.id),
            engine: engine.to_owned(),
            engine_version: version.to_owned(),
            node_type: node_type.to_owned(),
            status: status::CREATING.to_owned(),
            created: self.now(),
            ready_after: self.ready_at(self.now()),
            replication_group: None,
            primary: true,
            retention: req.retention.unwrap_or(0),
            window: req
                .window
                .clone()
                .unwrap_or_else(|| DEFAULT_SNAPSHOT_WINDOW.to_owned()),
            maintenance_window: req
                .maintenance_window
                .clone()
                .unwrap_or_else(|| DEFAULT_MAINTENANCE_WINDOW.to_owned()),
            availability_zone: req
                .availability_zone
                .clone()
                .unwrap_or_else(|| format!("{region}a")),
            requested_port: req.port.unwrap_or(6379),
            tags: req.tags.clone(),
            node: None,
            dir: None,
            port: None,
            last_automatic: None,
            seeded: req.seed != Seed::Empty,
        }
    }

    /// CreateCacheCluster: checks the id and the seed, records the cluster
    /// as `creating` and starts its server in the background.
    pub async fn create_cluster(
        self: &Arc<Self>,
        region: &str,
        req: CreateCluster,
    ) -> Result<Cluster, ElastiCacheError> {
        self.runtime.binary()?;
        self.with_region(region, |reg| {
            if reg.clusters.contains_key(&req.id) {
                return Err(ElastiCacheError::CacheClusterAlreadyExists(format!(
                    "Cache cluster {} already exists.",
                    req.id
                )));
            }
            Ok(())
        })?;
        let seed = self.resolve_seed(region, &req.seed).await?;
        let (engine, version, node_type) = self.settings_with_seed(region, &req, &req.seed)?;
        let cluster = self.with_region(region, |reg| {
            if reg.clusters.contains_key(&req.id) {
                return Err(ElastiCacheError::CacheClusterAlreadyExists(format!(
                    "Cache cluster {} already exists.",
                    req.id
                )));
            }
            let mut cluster = self.new_cluster(region, &req, &engine, &version, &node_type);
            if let Some(ready) = self.model_restore(region, &cluster.id, seed.as_deref()) {
                cluster.ready_after = ready;
            }
            reg.clusters.insert(cluster.id.clone(), cluster.clone());
            Ok(cluster)
        })?;
        self.spawn_start(region, vec![cluster.id.clone()], seed);
        Ok(cluster)
    }

    /// The engine, version and node type of a new cluster: the request's,
    /// else the seed snapshot's, else the defaults.
    fn settings_with_seed(
        &self,
        region: &str,
        req: &CreateCluster,
        seed: &Seed,
    ) -> Result<(String, String, String), ElastiCacheError> {
        let from_snapshot = match seed {
            Seed::Snapshot(name) => self.with_region(region, |reg| {
                reg.snapshots
                    .get(name)
                    .map(|s| (s.engine.clone(), s.engine_version.clone(), s.node_type.clone()))
            }),
            _ => None,
        };
        let engine = crate::validate::engine(
            req.engine
                .as_deref()
                .or(from_snapshot.as_ref().map(|s| s.0.as_str())),
        )?;
        let version_asked = req.engine_version.as_deref().or(from_snapshot
            .as_ref()
            .filter(|s| s.0 == engine)
            .map(|s| s.1.as_str()));
        let version = crate::validate::engine_version(&engine, version_asked)?;
        let node_type = crate::validate::node_type(
            req.node_type
                .as_deref()
                .or(from_snapshot.as_ref().map(|s| s.2.as_str())),
        )?;
        Ok((engine, version, node_type))
    }

    /// CreateReplicationGroup: a primary (seeded when asked) and
    /// `num_clusters - 1` replicas, named `<group>-001`, `-002`, ….
    pub async fn create_group(
        self: &Arc<Self>,
        region: &str,
        req: CreateGroup,
    ) -> Result<(Group, Vec<Cluster>), ElastiCacheError> {
        self.runtime.binary()?;
        let member_ids: Vec<String> = (1..=req.num_clusters)
            .map(|n| format!("{}-{n:03}", req.base.id))
            .collect();
        let Some(primary_id) = member_ids.first().cloned() else {
            return Err(ElastiCacheError::InvalidParameterValue(format!(
                "Invalid number of cache clusters {}: a replication group has 1 to 6 (a primary and up to 5 replicas).",
                req.num_clusters
            )));
        };
        let check = |reg: &Region| -> Result<(), ElastiCacheError> {
            if reg.groups.contains_key(&req.base.id) {
                return Err(ElastiCacheError::ReplicationGroupAlreadyExists(format!(
                    "Replication group {} already exists.",
                    req.base.id
                )));
            }
            if let Some(taken) = member_ids.iter().find(|m| reg.clusters.contains_key(*m)) {
                return Err(ElastiCacheError::CacheClusterAlreadyExists(format!(
                    "Cache cluster {taken} already exists."
                )));
            }
            Ok(())
        };
        self.with_region(region, |reg| check(reg))?;
        let seed = self.resolve_seed(region, &req.base.seed).await?;
        let (engine, version, node_type) = self.settings_with_seed(region, &req.base, &req.base.seed)?;
        let view = self.with_region(region, |reg| {
            check(reg)?;
            let now = self.now();
            let ready_after = self
                .model_restore(region, &req.base.id, seed.as_deref())
                .unwrap_or_else(|| self.ready_at(now));
            let group = Group {
                id: req.base.id.clone(),
                arn: self.arn(region, "replicationgroup", &req.base.id),
                description: req.description.clone(),
                status: status::CREATING.to_owned(),
                members: member_ids.clone(),
                snapshotting_cluster: primary_id.clone(),
                engine: engine.clone(),
                engine_version: version.clone(),
                node_type: node_type.clone(),
                automatic_failover: req.automatic_failover,
                multi_az: req.multi_az,
                retention: req.base.retention.unwrap_or(0),
                window: req
                    .base
                    .window
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SNAPSHOT_WINDOW.to_owned()),
                created: now,
                tags: req.base.tags.clone(),
                last_automatic: None,
                ready_after,
            };
            let mut members = Vec::new();
            for (n, id) in member_ids.iter().enumerate() {
                let member_req = CreateCluster {
                    id: id.clone(),
                    tags: Vec::new(),
                    retention: Some(group.retention),
                    window: Some(group.window.clone()),
                    ..req.base.clone()
                };
                let mut c = self.new_cluster(region, &member_req, &engine, &version, &node_type);
                c.replication_group = Some(group.id.clone());
                c.primary = n == 0;
                c.seeded = n == 0 && req.base.seed != Seed::Empty;
                c.ready_after = ready_after;
                reg.clusters.insert(id.clone(), c.clone());
                members.push(c);
            }
            reg.groups.insert(group.id.clone(), group.clone());
            Ok::<_, ElastiCacheError>((group, members))
        })?;
        self.spawn_start(region, member_ids, seed);
        Ok(view)
    }

    /// ModifyCacheCluster: snapshot retention and window, maintenance window.
    pub fn modify_cluster(&self, region: &str, id: &str, m: &Modify) -> Result<Cluster, ElastiCacheError> {
        self.with_region(region, |reg| {
            let c = reg
                .clusters
                .get_mut(id)
                .ok_or_else(|| ElastiCacheError::cluster_not_found(id))?;
            if c.status != status::AVAILABLE {
                return Err(ElastiCacheError::InvalidCacheClusterState(format!(
                    "Cluster {id} is not in the available state (it is {}).",
                    c.status
                )));
            }
            if let Some(r) = m.retention {
                c.retention = r;
            }
            if let Some(w) = &m.window {
                c.window = w.clone();
            }
            if let Some(w) = &m.maintenance_window {
                c.maintenance_window = w.clone();
            }
            Ok(c.clone())
        })
    }

    /// ModifyReplicationGroup: description, snapshotting cluster, snapshot
    /// retention and window (applied to every member too).
    pub fn modify_group(
        &self,
        region: &str,
        id: &str,
        m: &Modify,
    ) -> Result<(Group, Vec<Cluster>), ElastiCacheError> {
        self.with_region(region, |reg| {
            let g = reg
                .groups
                .get_mut(id)
                .ok_or_else(|| ElastiCacheError::group_not_found(id))?;
            if g.status != status::AVAILABLE {
                return Err(ElastiCacheError::InvalidReplicationGroupState(format!(
                    "Replication group {id} is not in the available state (it is {}).",
                    g.status
                )));
            }
            if let Some(s) = &m.snapshotting_cluster
                && !g.members.contains(s)
            {
                return Err(ElastiCacheError::InvalidParameterValue(format!(
                    "Cluster {s} is not a member of replication group {id}."
                )));
            }
            if let Some(d) = &m.description {
                g.description = d.clone();
            }
            if let Some(s) = &m.snapshotting_cluster {
                g.snapshotting_cluster = s.clone();
            }
            if let Some(r) = m.retention {
                g.retention = r;
            }
            if let Some(w) = &m.window {
                g.window = w.clone();
            }
            let members = g.members.clone();
            let (retention, window) = (g.retention, g.window.clone());
            let group = g.clone();
            let mut clusters = Vec::new();
            for member in &members {
                if let Some(c) = reg.clusters.get_mut(member) {
                    c.retention = retention;
                    c.window = window.clone();
                    if let Some(w) = &m.maintenance_window {
                        c.maintenance_window = w.clone();
                    }
                    clusters.push(c.clone());
                }
            }
            Ok((group, clusters))
        })
    }

    /// The tags of the resource an ARN names.
    pub fn tags_of(&self, region: &str, arn: &str) -> Result<Vec<(String, String)>, ElastiCacheError> {
        self.with_region(region, |reg| {
            Ok(resource_tags(reg, &self.parse_arn(region, arn)?)?.clone())
        })
    }

    /// AddTagsToResource: adds or overwrites tags (at most 50 per resource).
    pub fn add_tags(
        &self,
        region: &str,
        arn: &str,
        tags: &[(String, String)],
    ) -> Result<Vec<(String, String)>, ElastiCacheError> {
        let target = self.parse_arn(region, arn)?;
        self.with_region(region, |reg| {
            let current = resource_tags(reg, &target)?;
            let mut merged = current.clone();
            for (k, v) in tags {
                match merged.iter_mut().find(|(key, _)| key == k) {
                    Some(slot) => slot.1 = v.clone(),
                    None => merged.push((k.clone(), v.clone())),
                }
            }
            if merged.len() > crate::validate::MAX_TAGS {
                return Err(ElastiCacheError::TagQuotaPerResourceExceeded(format!(
                    "The request would give the resource more than {} tags.",
                    crate::validate::MAX_TAGS
                )));
            }
            *current = merged.clone();
            Ok(merged)
        })
    }

    /// RemoveTagsFromResource: every key must be on the resource.
    pub fn remove_tags(
        &self,
        region: &str,
        arn: &str,
        keys: &[String],
    ) -> Result<Vec<(String, String)>, ElastiCacheError> {
        let target = self.parse_arn(region, arn)?;
        self.with_region(region, |reg| {
            let current = resource_tags(reg, &target)?;
            if let Some(missing) = keys.iter().find(|k| !current.iter().any(|(key, _)| key == *k)) {
                return Err(ElastiCacheError::TagNotFound(format!(
                    "The tag {missing} was not found on the resource {arn}."
                )));
            }
            current.retain(|(k, _)| !keys.contains(k));
            Ok(current.clone())
        })
    }

    fn parse_arn(&self, region: &str, arn: &str) -> Result<TagTarget, ElastiCacheError> {
        let invalid = || ElastiCacheError::InvalidArn(format!("{arn} is not a valid ElastiCache ARN."));
        let parsed = firedrill_emu_core::arn::Arn::parse(arn).map_err(|_| invalid())?;
        if parsed.service != "elasticache" || parsed.account != self.env.account_id() {
            return Err(invalid());
        }
        if parsed.region != region {
            return Err(invalid());
        }
        let (kind, name) = parsed.resource.split_once(':').ok_or_else(invalid)?;
        match kind {
            "cluster" => Ok(TagTarget::Cluster(name.to_owned())),
            "replicationgroup" => Ok(TagTarget::Group(name.to_owned())),
            "snapshot" => Ok(TagTarget::Snapshot(name.to_owned())),
            _ => Err(invalid()),
        }
    }

    /// Every cluster of `region` with its tags: `(ARN, tags)`.
    pub fn clusters_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        self.with_region(region, |reg| {
            reg.clusters
                .values()
                .map(|c| (c.arn.clone(), c.tags.clone()))
                .collect()
        })
    }

    /// The endpoint of a running cluster.
    pub fn endpoint(&self, region: &str, id: &str) -> Option<(String, u16)> {
        self.with_region(region, |reg| reg.clusters.get(id).and_then(Cluster::endpoint))
    }

    /// Waits (bounded by wall time) until a cluster is `available`.
    pub async fn wait_available(
        &self,
        region: &str,
        id: &str,
        timeout: std::time::Duration,
    ) -> Result<Cluster, ElastiCacheError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let c = self
                .describe_clusters(region, Some(id))?
                .into_iter()
                .next()
                .ok_or_else(|| ElastiCacheError::cluster_not_found(id))?;
            if c.status == status::AVAILABLE {
                return Ok(c);
            }
            if c.status == status::CREATE_FAILED || c.status == status::RESTORE_FAILED {
                return Err(ElastiCacheError::InsufficientCacheClusterCapacity(format!(
                    "Cluster {id} failed to start ({}).",
                    c.status
                )));
            }
            if std::time::Instant::now() > deadline {
                return Err(ElastiCacheError::InternalFailure(format!(
                    "Cluster {id} is still {} after {timeout:?}.",
                    c.status
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// Lets the engine act on the clock having reached `now`: statuses,
    /// automatic snapshots in their windows, retention of automatic snapshots.
    pub async fn tick(self: &Arc<Self>, now: DateTime<Utc>) {
        let due = {
            let mut state = self.state.lock();
            let mut due = Vec::new();
            for (name, reg) in state.iter_mut() {
                self.transitions(reg, now);
                if reg.down {
                    continue;
                }
                snapshots::expire_automatic(reg, now);
                due.extend(
                    snapshots::automatic_due(reg, now)
                        .into_iter()
                        .map(|d| (name.clone(), d)),
                );
            }
            due
        };
        for (region, (source, window_start)) in due {
            if let Err(e) = self.automatic_snapshot(&region, source, window_start) {
                tracing::warn!(region, error = %e, "automatic snapshot could not start");
            }
        }
    }

    /// Forgets every resource and stops every server.
    pub async fn reset(&self) {
        let nodes: Vec<Arc<RedisNode>> = {
            let mut state = self.state.lock();
            let nodes = state
                .values()
                .flat_map(|r| r.clusters.values().filter_map(|c| c.node.clone()))
                .collect();
            state.clear();
            nodes
        };
        for node in nodes {
            node.stop_async(crate::node::StopMode::Discard).await;
            let _ = std::fs::remove_dir_all(&node.dir);
        }
    }

    /// Stops every server and removes every file (blocking; idempotent).
    pub fn shutdown(&self) {
        self.state.lock().clear();
        self.runtime.shutdown();
    }
}

enum TagTarget {
    Cluster(String),
    Group(String),
    Snapshot(String),
}

fn resource_tags<'a>(
    reg: &'a mut Region,
    target: &TagTarget,
) -> Result<&'a mut Vec<(String, String)>, ElastiCacheError> {
    match target {
        TagTarget::Cluster(id) => reg
            .clusters
            .get_mut(id)
            .map(|c| &mut c.tags)
            .ok_or_else(|| ElastiCacheError::cluster_not_found(id)),
        TagTarget::Group(id) => reg
            .groups
            .get_mut(id)
            .map(|g| &mut g.tags)
            .ok_or_else(|| ElastiCacheError::group_not_found(id)),
        TagTarget::Snapshot(name) => reg
            .snapshots
            .get_mut(name)
            .map(|s| &mut s.tags)
            .ok_or_else(|| ElastiCacheError::snapshot_not_found(name)),
    }
}
