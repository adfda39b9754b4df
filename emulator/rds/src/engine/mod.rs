//! The RDS engine: DB instances, Aurora clusters, snapshots and automated
//! backups per region, and the work behind them (servers, base backups, log
//! archiving, point-in-time restore). It knows nothing of HTTP; the protocol
//! layer ([`crate::protocol`]) turns requests into calls on [`Engine`]. It
//! reaches database servers only through [`crate::process`]'s traits:
//! PostgreSQL for `postgres` and `aurora-postgresql`, MariaDB for `mysql`,
//! `mariadb` and `aurora-mysql`.
//!
//! One job per module:
//! - [`records`]: the resources as RDS describes them (instances, clusters,
//!   snapshots, automated backups);
//! - [`instances`]: create, modify, reboot, stop, start, delete and describe
//!   DB instances;
//! - [`clusters`]: Aurora clusters and their member instances;
//! - [`cluster_snapshots`]: DB cluster snapshots: take, copy, delete,
//!   describe, restore into a new cluster;
//! - [`provision`]: bringing a server up for an instance or cluster (fresh,
//!   from a snapshot, or by point-in-time recovery) and recording the outcome;
//! - [`snapshots`]: DB snapshots: take, copy, delete, describe, restore;
//! - [`replicas`]: read replicas (create in any region, promote) and what
//!   DescribeDBInstances shows of replication;
//! - [`replica_lag`]: how far each replica is behind its source, on the
//!   emulator clock (CloudWatch's `ReplicaLag`);
//! - [`restore`]: point-in-time restore of instances and the restored
//!   instance's record;
//! - [`automated_backups`]: base backups, archive cycles, the restorable
//!   window, retention and pruning;
//! - [`backup_replication`]: cross-region replication of automated backups;
//! - [`tags`]: tags of every taggable resource;
//! - [`ticks`]: what the emulator clock drives (status transitions, daily
//!   backups, pending modifications);
//! - [`lifecycle`]: region outages, reset and shutdown.
//!
//! Invariants:
//! - Every instance with its own storage (and every cluster) has a resource
//!   id (`db-…` / `cluster-…`); servers, data directories and automated
//!   backups are keyed by it.
//! - An automated backup is a list of base backups plus the log archive
//!   (PostgreSQL's WAL, MariaDB's binary log) from the oldest of them on.
//!   Its coverage is the latest wall instant up to which every commit is
//!   known to be in the archive: after each base backup and whenever
//!   commits happened, the server archives a marker
//!   ([`crate::process::DbServer::archive_marker`]: PostgreSQL commits a
//!   marker transaction and switches WAL, MariaDB rotates its binary log)
//!   and the engine awaits it in the archive; while no commit follows the
//!   marker, coverage advances with time. After every jump of the emulator
//!   clock a marker is archived whatever happened, so that the archive
//!   separates the commits before and after the jump.
//! - A restore to emulator instant T replays from the latest base backup
//!   complete at or before `wall_time_for(T)`: to that wall instant when a
//!   later marker exists in the archive (so recovery finds its stop), else
//!   to the latest marker itself (nothing was committed after it up to T).
//! - A restore time outside `[EarliestTime, LatestTime]` of the restore
//!   window answers `InvalidRestoreFault` (botocore lists it for the
//!   operation; AWS's exact code for this case is unconfirmed).
//! - Status changes that take time run as background work; the visible
//!   status moves on once the work is done *and* the fidelity preset's
//!   `resource_create_delay` has passed on the emulator clock (in `tick`).
//! - No state lock is held across I/O.

mod account_copy;
mod automated_backups;
mod backup_replication;
mod cluster_snapshots;
mod clusters;
mod instances;
mod lifecycle;
mod provision;
mod records;
mod replica_lag;
mod replicas;
mod restore;
mod snapshots;
mod tags;
mod ticks;

pub use cluster_snapshots::{CopyClusterSnapshot, RestoreClusterSnapshot};
pub use clusters::{CreateCluster, ModifyCluster, RestoreClusterPitr};
pub use instances::{CreateInstance, DEFAULT_MAINTENANCE_WINDOW, DeleteInstance, ModifyInstance};
pub use records::{
    AutomatedBackup, BackupKind, BaseBackup, Cluster, ClusterSnapshot, Instance, ReplicaSource, Snapshot,
};
pub use replica_lag::LagSample;
pub use replicas::{CreateReplica, PromoteReplica};
pub use restore::{PitrSource, RestorePitr};
pub use snapshots::RestoreSnapshot;

use crate::catalog;
use crate::errors::RdsError;
use crate::events;
use crate::groups::{self, Groups};
use crate::host::RunDir;
use crate::mariadb::MariaRuntime;
use crate::postgres::PgRuntime;
use crate::process::{DbEngine, DbServer, Recovery, ServerSpec};
use crate::validate::Settings;
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::Environment;
use firedrill_emu_core::audit::AuditEvent;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Weak};

/// The availability zone suffix of resources whose request names no zone.
pub const DEFAULT_AZ_SUFFIX: &str = "a";

/// Progress of the background work behind a status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Work {
    /// Nothing pending.
    #[default]
    Idle,
    /// Work in progress.
    Running,
    /// Work finished; the status moves on after the creation delay.
    Done,
    /// Work failed.
    Failed(String),
}

#[derive(Debug, Default)]
struct Region {
    instances: BTreeMap<String, Instance>,
    clusters: BTreeMap<String, Cluster>,
    snapshots: BTreeMap<String, Snapshot>,
    cluster_snapshots: BTreeMap<String, ClusterSnapshot>,
    backups: BTreeMap<String, AutomatedBackup>,
    servers: HashMap<String, Arc<dyn DbServer>>,
    /// Servers stopped by an outage, to restart when it ends.
    outage_stopped: Vec<String>,
    /// The latest lag sample of each read replica, by instance identifier.
    replica_lag: HashMap<String, replica_lag::LagSample>,
    down: bool,
}

#[derive(Debug, Default)]
struct State {
    regions: BTreeMap<String, Region>,
    /// Per resource id: wall and emulator instants of the last archive cycle.
    cycles: HashMap<String, (std::time::Instant, DateTime<Utc>)>,
    /// Resource ids with a base backup in progress.
    backing_up: std::collections::HashSet<String>,
    /// Whether replica lag is being sampled (in the background).
    sampling_lag: bool,
}

impl State {
    fn region(&mut self, name: &str) -> &mut Region {
        self.regions.entry(name.to_owned()).or_default()
    }
}

/// What a region uses of the account's quotas (DescribeAccountAttributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub instances: i64,
    pub allocated_storage: i64,
    pub manual_snapshots: i64,
    pub clusters: i64,
}

/// What owns a server: an instance or a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    Instance(String),
    Cluster(String),
}

/// The RDS engine.
pub struct Engine {
    env: Environment,
    run: Arc<RunDir>,
    pg: Arc<PgRuntime>,
    maria: Arc<MariaRuntime>,
    groups: groups::Store,
    events: events::Log,
    state: Mutex<State>,
    me: Weak<Engine>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.run.root)
            .finish_non_exhaustive()
    }
}

fn resource_suffix() -> String {
    firedrill_emu_core::ids::random_hex(26).to_ascii_uppercase()
}

/// What a Describe call answers: every resource in `map`, or the one named
/// by `id` (an identifier in any case, or an ARN whose resource part
/// follows `arn_marker`), or the not-found error for it.
fn describe_selection<T: Clone>(
    map: &std::collections::BTreeMap<String, T>,
    id: Option<&str>,
    arn_marker: &str,
    not_found: fn(&str) -> RdsError,
) -> Result<Vec<T>, RdsError> {
    match id {
        Some(id) => {
            let id = id.to_ascii_lowercase();
            let id = id.rsplit(arn_marker).next().unwrap_or(&id);
            Ok(vec![map.get(id).cloned().ok_or_else(|| not_found(id))?])
        }
        None => Ok(map.values().cloned().collect()),
    }
}

impl Engine {
    /// A new engine; its files live under `env.service_dir("rds")`.
    pub fn new(env: &Environment) -> Arc<Self> {
        let service_dir = env
            .service_dir("rds")
            .unwrap_or_else(|_| env.data_dir.join("rds"));
        let run = Arc::new(RunDir::new(&service_dir));
        let pg = PgRuntime::new(run.clone());
        let maria = MariaRuntime::new(run.clone());
        Arc::new_cyclic(|me| Self {
            env: env.clone(),
            run,
            pg,
            maria,
            groups: groups::Store::new(env.account_id()),
            events: events::Log::default(),
            state: Mutex::new(State::default()),
            me: me.clone(),
        })
    }

    /// The MariaDB runtime (for the mysql, mariadb and aurora-mysql engines).
    pub fn mariadb(&self) -> &Arc<MariaRuntime> {
        &self.maria
    }

    /// The PostgreSQL runtime.
    pub fn runtime(&self) -> &Arc<PgRuntime> {
        &self.pg
    }

    /// Resolves the storage's customer managed KMS key through KMS (the
    /// core's key seam) to its ARN, or refuses it as RDS does: a key that
    /// is disabled, pending deletion or unknown is `KMSKeyNotAccessibleFault`,
    /// before anything is created.
    pub(crate) fn usable_key(
        &self,
        region: &str,
        storage: &mut crate::validate::Storage,
    ) -> Result<(), RdsError> {
        let Some(key) = storage.kms_key_id.clone() else {
            return Ok(());
        };
        match self.env.key_usable(region, &key) {
            Ok(arn) => {
                storage.encrypted = true;
                if let Some(arn) = arn {
                    storage.kms_key_id = Some(arn);
                }
                Ok(())
            }
            Err(refusal) => {
                tracing::info!(
                    region,
                    key,
                    state = refusal.code(),
                    "an RDS KMS key is not usable"
                );
                Err(RdsError::KMSKeyNotAccessible(format!(
                    "The specified KMS key [{key}] does not exist, is not enabled or you do not have permissions to access it. ({})",
                    refusal.message()
                )))
            }
        }
    }

    /// The directory every server file lives under.
    pub fn run_dir(&self) -> &std::path::Path {
        &self.run.root
    }

    /// The database engine serving RDS engine `engine`.
    fn db(&self, engine: &str) -> Result<&dyn DbEngine, RdsError> {
        match engine {
            catalog::POSTGRES | catalog::AURORA_POSTGRES => Ok(&*self.pg),
            catalog::MYSQL | catalog::MARIADB | catalog::AURORA_MYSQL => Ok(&*self.maria),
            other => Err(RdsError::InvalidParameterValue(format!(
                "Invalid DB engine: {other}"
            ))),
        }
    }

    /// The pids of every live database server, of every engine.
    pub fn server_pids(&self) -> Vec<u32> {
        self.dbs().iter().flat_map(|db| db.server_pids()).collect()
    }

    /// Every database engine.
    fn dbs(&self) -> [&dyn DbEngine; 2] {
        [&*self.pg, &*self.maria]
    }

    /// The database engine of the instance or cluster whose storage is `rid`.
    fn server_engine(&self, region: &str, rid: &str) -> Result<&dyn DbEngine, RdsError> {
        let engine = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.instances
                .values()
                .find(|i| i.resource_id == rid)
                .map(|i| i.engine.clone())
                .or_else(|| {
                    reg.clusters
                        .values()
                        .find(|c| c.resource_id == rid)
                        .map(|c| c.engine.clone())
                })
        };
        let engine = engine
            .ok_or_else(|| RdsError::InternalFailure(format!("no instance or cluster has storage {rid}")))?;
        self.db(&engine)
    }

    /// Starts the server of `rid` on its data directory, preferring `port`.
    async fn start_server(
        &self,
        region: &str,
        rid: &str,
        port: Option<u16>,
    ) -> Result<Arc<dyn DbServer>, RdsError> {
        let db = self.server_engine(region, rid)?;
        Ok(db.start(&self.spec(region, rid, None), port).await?)
    }

    /// The emulator's current time.
    pub fn clock_now(&self) -> DateTime<Utc> {
        self.now()
    }

    /// The events of every region.
    pub fn events(&self) -> &events::Log {
        &self.events
    }

    /// The subnet, parameter and option groups.
    pub fn groups(&self) -> &groups::Store {
        &self.groups
    }

    fn instance_groups(
        &self,
        region: &str,
        s: &Settings,
        version: &catalog::EngineVersion,
    ) -> Result<Groups, RdsError> {
        self.groups.resolve(
            region,
            s.parameter_group.as_deref(),
            s.option_group.as_deref(),
            s.subnet_group.as_deref(),
            version,
        )
    }

    /// Whether an instance, cluster or snapshot of `region` still names
    /// the group of ARN kind `kind` (`subgrp`, `pg`, `cluster-pg`, `og`).
    pub fn group_in_use(&self, region: &str, kind: &str, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let mut state = self.state.lock();
        let reg = state.region(region);
        match kind {
            "subgrp" => reg.instances.values().any(|i| i.subnet_group == name),
            "pg" => reg.instances.values().any(|i| i.parameter_group == name),
            "cluster-pg" => reg.clusters.values().any(|c| c.parameter_group == name),
            "og" => {
                reg.instances.values().any(|i| i.option_group == name)
                    || reg.snapshots.values().any(|s| s.option_group == name)
            }
            _ => false,
        }
    }

    /// What `region` uses of the account's quotas.
    pub fn usage(&self, region: &str) -> Usage {
        let mut state = self.state.lock();
        let reg = state.region(region);
        Usage {
            instances: reg.instances.len() as i64,
            allocated_storage: reg
                .instances
                .values()
                .map(|i| i64::from(i.storage.allocated))
                .sum(),
            manual_snapshots: reg
                .snapshots
                .values()
                .filter(|s| s.snapshot_type == "manual")
                .count() as i64,
            clusters: reg.clusters.len() as i64,
        }
    }

    fn cluster_parameter_group(
        &self,
        region: &str,
        name: Option<&str>,
        version: &catalog::EngineVersion,
    ) -> Result<String, RdsError> {
        self.groups.resolve_cluster(region, name, version)
    }

    fn now(&self) -> DateTime<Utc> {
        self.env.clock.now()
    }

    fn account(&self) -> &str {
        self.env.account_id()
    }

    /// The account id resources belong to.
    pub fn account_id(&self) -> String {
        self.env.account_id().to_owned()
    }

    fn delay(&self) -> Duration {
        self.env.config.timings.resource_create_delay
    }

    fn audit(&self, region: &str, event: &str, resource: &str, result: &Result<(), RdsError>) {
        self.env.audit.record(AuditEvent {
            event_time: self.now(),
            event_source: "rds".to_owned(),
            event_name: event.to_owned(),
            region: region.to_owned(),
            principal: "firedrill".to_owned(),
            resource: resource.to_owned(),
            result: match result {
                Ok(()) => "Success".to_owned(),
                Err(e) => e.code().to_owned(),
            },
        });
    }

    fn instance_dir(&self, rid: &str) -> PathBuf {
        self.run.root.join("instances").join(rid)
    }

    fn backup_dir(&self, region: &str, rid: &str) -> PathBuf {
        self.run.root.join("backups").join(region).join(rid)
    }

    fn spec(&self, region: &str, rid: &str, recovery: Option<Recovery>) -> ServerSpec {
        let dir = self.instance_dir(rid);
        ServerSpec {
            data_dir: dir.join("data"),
            log_path: dir.join("server.log"),
            archive_dir: self.backup_dir(region, rid).join("wal"),
            recovery,
            follow: self.upstream(region, rid),
        }
    }

    fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(fut);
    }

    #[allow(
        clippy::expect_used,
        reason = "the engine is only ever reached through the Arc it was built in (Arc::new_cyclic), which is alive while one of its methods runs"
    )]
    fn arc(&self) -> Arc<Self> {
        self.me
            .upgrade()
            .expect("the engine is alive while its methods run")
    }

    /// Records the audit event of an in-process API call (AWS Backup's)
    /// with its `result`, and hands the result back.
    pub fn audited<T>(
        &self,
        region: &str,
        event: &str,
        resource: &str,
        result: Result<T, RdsError>,
    ) -> Result<T, RdsError> {
        self.audit(
            region,
            event,
            resource,
            &result.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        result
    }
}
