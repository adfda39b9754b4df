//! The RDS engine: DB instances, Aurora clusters, snapshots and automated
//! backups per region, and the work behind them (servers, base backups, WAL
//! archiving, point-in-time restore). It knows nothing of HTTP; the protocol
//! layer ([`crate::protocol`]) turns requests into calls on [`Engine`].
//!
//! Invariants:
//! - Every instance with its own storage (and every cluster) has a resource
//!   id (`db-…` / `cluster-…`); servers, data directories and automated
//!   backups are keyed by it.
//! - An automated backup is a list of base backups plus the WAL archive from
//!   the oldest of them on. Its coverage is the latest wall instant up to
//!   which every commit is known to be in the archive: after each base backup
//!   and whenever commits happened, a marker transaction is committed, the
//!   WAL switched and the segment awaited in the archive; while no commit
//!   follows the marker, coverage advances with time.
//! - A restore to emulator instant T replays from the latest base backup
//!   complete at or before `wall_time_for(T)`: to that wall instant when a
//!   later marker commit exists in the archive (so recovery finds its stop),
//!   else to the latest marker itself (nothing was committed after it up to
//!   T).
//! - A restore time outside `[EarliestTime, LatestTime]` of the restore
//!   window answers `InvalidRestoreFault` (botocore lists it for the
//!   operation; AWS's exact code for this case is unconfirmed).
//! - Status changes that take time run as background work; the visible
//!   status moves on once the work is done *and* the fidelity preset's
//!   `resource_create_delay` has passed on the emulator clock (in `tick`).
//! - No state lock is held across I/O.

use crate::catalog;
use crate::errors::RdsError;
use crate::events::{self, Event};
use crate::groups::{self, Groups};
use crate::postgres::{self, Marker, PgRuntime, PgServer, Recovery, RecoveryTarget, ServerSpec, StopMode};
use crate::validate::{self, Settings, Storage};
use chrono::{DateTime, Duration, DurationRound, Utc};
use firedrill_emu_core::Environment;
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::audit::AuditEvent;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Weak};

/// The engine version reported for instances (the local PostgreSQL's major).
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
    pub work: Work,
    pub status_since: DateTime<Utc>,
    pub next_status: String,
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
}

/// One base backup of an automated backup.
#[derive(Debug, Clone)]
pub struct BaseBackup {
    pub name: String,
    pub dir: PathBuf,
    pub start_wal: String,
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
    pub tags: Vec<(String, String)>,
    /// Filled when described.
    pub earliest: Option<DateTime<Utc>>,
    /// Filled when described.
    pub latest: Option<DateTime<Utc>>,
}

impl AutomatedBackup {
    fn archive(&self) -> PathBuf {
        self.dir.join("wal")
    }

    /// Copies what a restore from these backups inherits from the instance.
    fn describe_instance(&mut self, i: &Instance) {
        self.engine_version = i.engine_version.clone();
        self.class = i.class.clone();
        self.storage = i.storage.clone();
        self.availability_zone = i.availability_zone.clone();
    }
}

#[derive(Debug, Default)]
struct Region {
    instances: BTreeMap<String, Instance>,
    clusters: BTreeMap<String, Cluster>,
    snapshots: BTreeMap<String, Snapshot>,
    backups: BTreeMap<String, AutomatedBackup>,
    servers: HashMap<String, Arc<PgServer>>,
    /// Servers stopped by an outage, to restart when it ends.
    outage_stopped: Vec<String>,
    down: bool,
}

#[derive(Debug, Default)]
struct State {
    regions: BTreeMap<String, Region>,
    /// Per resource id: wall and emulator instants of the last archive cycle.
    cycles: HashMap<String, (std::time::Instant, DateTime<Utc>)>,
    /// Resource ids with a base backup in progress.
    backing_up: std::collections::HashSet<String>,
}

impl State {
    fn region(&mut self, name: &str) -> &mut Region {
        self.regions.entry(name.to_owned()).or_default()
    }
}

/// Input of CreateDBInstance.
#[derive(Debug, Clone, Default)]
pub struct CreateInstance {
    pub id: String,
    pub class: String,
    pub engine: String,
    pub engine_version: Option<String>,
    pub master_username: Option<String>,
    pub master_password: Option<String>,
    pub db_name: Option<String>,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub tags: Vec<(String, String)>,
    pub cluster_id: Option<String>,
    pub settings: Settings,
    pub copy_tags_to_snapshot: bool,
    pub deletion_protection: bool,
}

/// Input of ModifyDBInstance.
#[derive(Debug, Clone, Default)]
pub struct ModifyInstance {
    pub id: String,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub settings: Settings,
    pub apply_immediately: bool,
    pub master_password: Option<String>,
    pub deletion_protection: Option<bool>,
    pub copy_tags_to_snapshot: Option<bool>,
}

/// Input of DeleteDBInstance.
#[derive(Debug, Clone, Default)]
pub struct DeleteInstance {
    pub id: String,
    pub skip_final_snapshot: bool,
    pub final_snapshot_id: Option<String>,
    pub delete_automated_backups: bool,
}

/// Which automated backups a point-in-time restore reads.
#[derive(Debug, Clone)]
pub enum PitrSource {
    Instance(String),
    ResourceId(String),
    BackupArn(String),
}

/// Input of RestoreDBInstanceToPointInTime.
#[derive(Debug, Clone)]
pub struct RestorePitr {
    pub target_id: String,
    pub source: PitrSource,
    pub restore_time: Option<DateTime<Utc>>,
    pub use_latest: bool,
    pub settings: Settings,
    pub tags: Vec<(String, String)>,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
    pub copy_tags_to_snapshot: Option<bool>,
    pub deletion_protection: bool,
}

/// Input of RestoreDBInstanceFromDBSnapshot.
#[derive(Debug, Clone)]
pub struct RestoreSnapshot {
    pub target_id: String,
    pub snapshot_id: String,
    pub settings: Settings,
    pub tags: Vec<(String, String)>,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
    pub copy_tags_to_snapshot: Option<bool>,
    pub deletion_protection: bool,
}

/// Input of CreateDBCluster.
#[derive(Debug, Clone, Default)]
pub struct CreateCluster {
    pub id: String,
    pub engine: String,
    pub engine_version: Option<String>,
    pub master_username: Option<String>,
    pub master_password: Option<String>,
    pub database_name: Option<String>,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
    pub tags: Vec<(String, String)>,
    pub port: Option<i32>,
    pub storage_type: Option<String>,
    pub parameter_group: Option<String>,
}

/// Input of RestoreDBClusterToPointInTime.
#[derive(Debug, Clone)]
pub struct RestoreClusterPitr {
    pub target_id: String,
    pub source_id: String,
    pub restore_time: Option<DateTime<Utc>>,
    pub use_latest: bool,
    pub tags: Vec<(String, String)>,
}

/// What a restored instance is made of: its source's values with the
/// request's overrides applied.
#[derive(Debug, Clone)]
struct RestoreBase {
    class: String,
    engine_version: String,
    master_username: String,
    db_name: Option<String>,
    retention: i32,
    backup_window: String,
    storage: Storage,
    groups: Groups,
    availability_zone: Option<String>,
    tags: Vec<(String, String)>,
    copy_tags_to_snapshot: bool,
    deletion_protection: bool,
}

/// What a region uses of the account's quotas (DescribeAccountAttributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub instances: i64,
    pub allocated_storage: i64,
    pub manual_snapshots: i64,
    pub clusters: i64,
}

/// The maintenance window of an instance whose request names none.
pub const DEFAULT_MAINTENANCE_WINDOW: &str = "sun:05:00-sun:05:30";

/// How a new server gets its data.
#[derive(Debug, Clone)]
enum Origin {
    Fresh {
        master_username: String,
        master_password: String,
        db_name: Option<String>,
    },
    Snapshot(PathBuf),
    Pitr {
        base: PathBuf,
        archive: PathBuf,
        target: RecoveryTarget,
    },
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
    pg: Arc<PgRuntime>,
    groups: groups::Store,
    events: events::Log,
    state: Mutex<State>,
    me: Weak<Engine>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.pg.root)
            .finish_non_exhaustive()
    }
}

/// The most recent start of the daily `window` at or before `now`.
fn last_window_start(window: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = validate::parse_hhmm(window.split_once('-')?.0)?;
    let today = now.date_naive().and_time(start).and_utc();
    Some(if today <= now {
        today
    } else {
        today - Duration::days(1)
    })
}

/// The next start of the weekly `window` after `now`.
fn next_maintenance_start(window: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (day, time) = validate::parse_weekly(window.split_once('-')?.0)?;
    use chrono::Datelike;
    let today = now.weekday().num_days_from_monday();
    let mut days = (day + 7 - today) % 7;
    let mut candidate = (now.date_naive() + Duration::days(days as i64))
        .and_time(time)
        .and_utc();
    if candidate <= now {
        days += 7;
        candidate = (now.date_naive() + Duration::days(days as i64))
            .and_time(time)
            .and_utc();
    }
    Some(candidate)
}

fn resource_suffix() -> String {
    firedrill_emu_core::ids::random_hex(26).to_ascii_uppercase()
}

fn floor_milli(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::milliseconds(1)).unwrap_or(t)
}

fn ceil_milli(t: DateTime<Utc>) -> DateTime<Utc> {
    let f = floor_milli(t);
    if f == t { f } else { f + Duration::milliseconds(1) }
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Engine {
    /// A new engine; its files live under `env.service_dir("rds")`.
    pub fn new(env: &Environment) -> Arc<Self> {
        let service_dir = env
            .service_dir("rds")
            .unwrap_or_else(|_| env.data_dir.join("rds"));
        let pg = Arc::new(PgRuntime::new(&service_dir));
        Arc::new_cyclic(|me| Self {
            env: env.clone(),
            pg,
            groups: groups::Store::new(env.account_id()),
            events: events::Log::default(),
            state: Mutex::new(State::default()),
            me: me.clone(),
        })
    }

    /// The PostgreSQL runtime.
    pub fn runtime(&self) -> &Arc<PgRuntime> {
        &self.pg
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
        self.pg.root.join("instances").join(rid)
    }

    fn backup_dir(&self, region: &str, rid: &str) -> PathBuf {
        self.pg.root.join("backups").join(region).join(rid)
    }

    fn spec(&self, region: &str, rid: &str, recovery: Option<Recovery>) -> ServerSpec {
        let dir = self.instance_dir(rid);
        ServerSpec {
            data_dir: dir.join("data"),
            log_path: dir.join("server.log"),
            archive_dir: self.backup_dir(region, rid).join("wal"),
            recovery,
        }
    }

    fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(fut);
    }

    fn arc(&self) -> Arc<Self> {
        self.me
            .upgrade()
            .expect("the engine is alive while its methods run")
    }

    #[allow(clippy::too_many_arguments)]
    fn new_automated_backup(
        &self,
        region: &str,
        kind: BackupKind,
        rid: &str,
        owner_id: &str,
        owner_arn: &str,
        retention: i32,
        window: &str,
        master_username: &str,
        db_name: Option<String>,
        create_time: DateTime<Utc>,
    ) -> AutomatedBackup {
        AutomatedBackup {
            kind,
            resource_id: rid.to_owned(),
            arn: format!(
                "arn:aws:rds:{region}:{}:auto-backup:ab-{}",
                self.account(),
                firedrill_emu_core::ids::random_hex(26)
            ),
            source_region: region.to_owned(),
            instance_id: owner_id.to_owned(),
            instance_arn: owner_arn.to_owned(),
            status: "active".to_owned(),
            retention,
            backup_window: window.to_owned(),
            engine: if kind == BackupKind::Cluster {
                "aurora-postgresql".to_owned()
            } else {
                "postgres".to_owned()
            },
            engine_version: String::new(),
            master_username: master_username.to_owned(),
            db_name,
            port: 5432,
            availability_zone: format!("{region}{DEFAULT_AZ_SUFFIX}"),
            class: String::new(),
            storage: Storage::default(),
            instance_create_time: create_time,
            base_backups: Vec::new(),
            dir: self.backup_dir(region, rid),
            marker: None,
            coverage_wall: None,
            replicated_from: None,
            replications: Vec::new(),
            tags: Vec::new(),
            earliest: None,
            latest: None,
        }
    }

    /// The restorable window `[earliest, latest]` of a record, on the emulator clock.
    fn window(&self, b: &AutomatedBackup, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let first = b.base_backups.first()?;
        let coverage = b.coverage_wall?;
        let earliest = ceil_milli(
            first
                .end_emulated
                .max(now - Duration::days(b.retention.max(1) as i64)),
        );
        let latest = floor_milli(
            self.env.clock.emulated_time_for(coverage) - self.env.config.timings.rds_restorable_lag,
        );
        (latest >= earliest).then_some((earliest, latest))
    }

    // ----- instances -----

    /// CreateDBInstance.
    pub async fn create_instance(&self, region: &str, req: CreateInstance) -> Result<Instance, RdsError> {
        let id = validate::identifier("DBInstanceIdentifier", &req.id)?;
        let now = self.now();
        if let Some(cluster_id) = &req.cluster_id {
            return self.create_cluster_member(region, &id, cluster_id, &req, now);
        }
        let engine = validate::instance_engine(&req.engine, false)?;
        let version = validate::engine_version(engine, req.engine_version.as_deref())?;
        validate::instance_class(&req.class, &version)?;
        let master_username = validate::master_username(req.master_username.as_deref())?;
        let password = validate::password(req.master_password.as_deref())?;
        let db_name = req.db_name.as_deref().map(validate::db_name).transpose()?;
        let retention = validate::retention(req.retention.unwrap_or(1))?;
        let backup_window = validate::backup_window(req.backup_window.as_deref().unwrap_or("03:00-03:30"))?;
        let maintenance_window = validate::maintenance_window(
            req.maintenance_window
                .as_deref()
                .unwrap_or(DEFAULT_MAINTENANCE_WINDOW),
        )?;
        validate::windows_disjoint(&backup_window, &maintenance_window)?;
        let checked = validate::settings(region, &req.settings, &version, &Storage::default())?;
        let groups = self.instance_groups(region, &req.settings, &version)?;
        self.pg.binaries()?;
        let rid = format!("db-{}", resource_suffix());
        let arn = format!("arn:aws:rds:{region}:{}:db:{id}", self.account());
        let instance = Instance {
            id: id.clone(),
            arn: arn.clone(),
            resource_id: rid.clone(),
            class: req.class.clone(),
            engine: engine.to_owned(),
            engine_version: version.version.to_owned(),
            status: "creating".to_owned(),
            master_username: master_username.clone(),
            db_name: db_name.clone(),
            create_time: now,
            retention,
            backup_window: backup_window.clone(),
            maintenance_window,
            tags: req.tags.clone(),
            cluster_id: None,
            port: 5432,
            storage: checked.storage,
            parameter_group: groups.parameter_group,
            option_group: groups.option_group,
            subnet_group: groups.subnet_group,
            availability_zone: checked
                .availability_zone
                .unwrap_or_else(|| format!("{region}{DEFAULT_AZ_SUFFIX}")),
            pending_retention: None,
            pending_apply_at: None,
            latest_restorable: None,
            replications: Vec::new(),
            copy_tags_to_snapshot: req.copy_tags_to_snapshot,
            deletion_protection: req.deletion_protection,
            restored_from: None,
            work: Work::Running,
            status_since: now,
            next_status: "available".to_owned(),
        };
        {
            let mut state = self.state.lock();
            let reg = state.region(region);
            if reg.instances.contains_key(&id) {
                return Err(RdsError::DBInstanceAlreadyExists(
                    "DB instance already exists".to_owned(),
                ));
            }
            if retention > 0 {
                let mut record = self.new_automated_backup(
                    region,
                    BackupKind::Instance,
                    &rid,
                    &id,
                    &arn,
                    retention,
                    &backup_window,
                    &master_username,
                    db_name.clone(),
                    now,
                );
                record.tags = req.tags.clone();
                record.describe_instance(&instance);
                reg.backups.insert(rid.clone(), record);
            }
            reg.instances.insert(id.clone(), instance.clone());
        }
        let origin = Origin::Fresh {
            master_username,
            master_password: password,
            db_name,
        };
        let me = self.arc();
        let region = region.to_owned();
        self.spawn(async move {
            let result = me
                .provision(&region, Owner::Instance(id.clone()), &rid, origin, retention > 0)
                .await;
            me.finish_work(&region, &Owner::Instance(id.clone()), result.map(|_| ()));
        });
        Ok(instance)
    }

    fn create_cluster_member(
        &self,
        region: &str,
        id: &str,
        cluster_id: &str,
        req: &CreateInstance,
        now: DateTime<Utc>,
    ) -> Result<Instance, RdsError> {
        let cluster_id = cluster_id.to_ascii_lowercase();
        let cluster_version = {
            let mut state = self.state.lock();
            let cluster = state
                .region(region)
                .clusters
                .get(&cluster_id)
                .ok_or_else(|| RdsError::cluster_not_found(&cluster_id))?;
            cluster.engine_version.clone()
        };
        if req.engine != catalog::AURORA_POSTGRES {
            return Err(RdsError::InvalidParameterCombination(format!(
                "The engine name requested for your DB instance ({}) doesn't match the engine name of your DB cluster (aurora-postgresql).",
                req.engine
            )));
        }
        let version = validate::engine_version(catalog::AURORA_POSTGRES, Some(&cluster_version))?;
        validate::instance_class(&req.class, &version)?;
        let checked = validate::settings(region, &req.settings, &version, &Storage::default())?;
        let groups = self.instance_groups(region, &req.settings, &version)?;
        let mut state = self.state.lock();
        let reg = state.region(region);
        if reg.instances.contains_key(id) {
            return Err(RdsError::DBInstanceAlreadyExists(
                "DB instance already exists".to_owned(),
            ));
        }
        let cluster = reg
            .clusters
            .get_mut(&cluster_id)
            .ok_or_else(|| RdsError::cluster_not_found(&cluster_id))?;
        if cluster.status == "deleting" {
            return Err(RdsError::InvalidDBClusterState(format!(
                "DB cluster {cluster_id} is being deleted."
            )));
        }
        cluster.members.push(id.to_owned());
        let instance = Instance {
            id: id.to_owned(),
            arn: format!("arn:aws:rds:{region}:{}:db:{id}", self.account()),
            resource_id: format!("db-{}", resource_suffix()),
            class: req.class.clone(),
            engine: "aurora-postgresql".to_owned(),
            engine_version: cluster.engine_version.clone(),
            status: "creating".to_owned(),
            master_username: cluster.master_username.clone(),
            db_name: cluster.database_name.clone(),
            create_time: now,
            retention: cluster.retention,
            backup_window: cluster.backup_window.clone(),
            maintenance_window: cluster.maintenance_window.clone(),
            tags: req.tags.clone(),
            cluster_id: Some(cluster_id.clone()),
            port: cluster.port,
            storage: Storage {
                storage_type: "aurora".to_owned(),
                allocated: 1,
                iops: None,
                throughput: None,
            },
            parameter_group: groups.parameter_group,
            option_group: groups.option_group,
            subnet_group: groups.subnet_group,
            availability_zone: checked
                .availability_zone
                .unwrap_or_else(|| format!("{region}{DEFAULT_AZ_SUFFIX}")),
            pending_retention: None,
            pending_apply_at: None,
            latest_restorable: None,
            replications: Vec::new(),
            copy_tags_to_snapshot: req.copy_tags_to_snapshot,
            deletion_protection: req.deletion_protection,
            restored_from: None,
            // The cluster's storage does the work; the instance waits for it.
            work: Work::Done,
            status_since: now,
            next_status: "available".to_owned(),
        };
        reg.instances.insert(id.to_owned(), instance.clone());
        Ok(instance)
    }

    /// Copies or initialises the data directory, starts the server, creates
    /// the master role and database, takes the first base backup.
    async fn provision(
        &self,
        region: &str,
        owner: Owner,
        rid: &str,
        origin: Origin,
        backups: bool,
    ) -> Result<Arc<PgServer>, RdsError> {
        let log = self.instance_dir(rid).join("server.log");
        self.provision_inner(region, owner, rid, origin, backups)
            .await
            .map_err(|e| match e {
                RdsError::InternalFailure(m) => {
                    RdsError::InternalFailure(format!("{m} (server log: {})", postgres::log_tail(&log, 0)))
                }
                other => other,
            })
    }

    async fn provision_inner(
        &self,
        region: &str,
        owner: Owner,
        rid: &str,
        origin: Origin,
        backups: bool,
    ) -> Result<Arc<PgServer>, RdsError> {
        let started = std::time::Instant::now();
        let dir = self.instance_dir(rid);
        self.pg.make_dir(&dir)?;
        let spec_recovery = match &origin {
            Origin::Pitr { archive, target, .. } => Some(Recovery {
                archive: archive.clone(),
                target: target.clone(),
            }),
            _ => None,
        };
        let spec = self.spec(region, rid, spec_recovery);
        match &origin {
            Origin::Fresh { .. } => self.pg.fresh_data_dir(&spec.data_dir).await?,
            Origin::Snapshot(from) => self.pg.copy_tree(from, &spec.data_dir).await?,
            Origin::Pitr { base, .. } => self.pg.copy_tree(base, &spec.data_dir).await?,
        }
        if backups {
            self.pg.make_dir(&spec.archive_dir)?;
        }
        // A fresh server's first base backup is the template itself: a
        // cleanly shut down cluster from whose checkpoint on every WAL
        // record lands in this server's archive. It is complete before the
        // server starts.
        let fresh_base = match (&origin, backups) {
            (Origin::Fresh { .. }, true) => {
                let template = self.pg.template().await?;
                let name = format!(
                    "{}-{}",
                    Utc::now().format("%Y%m%d%H%M%S%3f"),
                    firedrill_emu_core::ids::random_hex(4)
                );
                let dest = self.backup_dir(region, rid).join("base").join(&name);
                self.pg.link_tree(&template.data, &dest).await?;
                let end_wall = Utc::now();
                Some(BaseBackup {
                    name,
                    dir: dest,
                    start_wal: "0".repeat(24),
                    end_wall,
                    end_emulated: self.env.clock.emulated_time_for(end_wall),
                })
            }
            _ => None,
        };
        tracing::debug!(
            rid,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "data directory ready"
        );
        let server = self.pg.start(&spec, None).await?;
        tracing::debug!(
            rid,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "postgres started"
        );
        if matches!(origin, Origin::Pitr { .. }) {
            // Promotion finishes asynchronously; a base backup must start
            // from a checkpoint on the new timeline.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            loop {
                let in_recovery = server
                    .with_admin(async |c| {
                        Ok(c.query_one("SELECT pg_is_in_recovery()", &[])
                            .await?
                            .get::<_, bool>(0))
                    })
                    .await?;
                if !in_recovery {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err(RdsError::InternalFailure(
                        "the restored server was not promoted within 60 s".to_owned(),
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            server
                .with_admin(async |c| Ok(c.batch_execute("CHECKPOINT").await?))
                .await?;
        }
        if let Origin::Fresh {
            master_username,
            master_password,
            db_name,
        } = &origin
        {
            let sql = format!(
                "CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}",
                quote_ident(master_username),
                quote_literal(master_password)
            );
            let db_sql = match db_name.as_ref().filter(|n| n.as_str() != "postgres") {
                Some(n) => format!(
                    "ALTER DATABASE {spare} RENAME TO {db}; ALTER DATABASE {db} OWNER TO {owner}",
                    spare = postgres::SPARE_DATABASE,
                    db = quote_ident(n),
                    owner = quote_ident(master_username)
                ),
                None => format!("DROP DATABASE {}", postgres::SPARE_DATABASE),
            };
            server
                .with_admin(async |c| {
                    c.batch_execute(&sql).await?;
                    c.batch_execute(&db_sql).await?;
                    Ok(())
                })
                .await?;
        }
        {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.servers.insert(rid.to_owned(), server.clone());
            match &owner {
                Owner::Instance(id) => {
                    if let Some(i) = reg.instances.get_mut(id) {
                        i.port = server.port;
                        i.status = "backing-up".to_owned();
                    }
                }
                Owner::Cluster(id) => {
                    if let Some(c) = reg.clusters.get_mut(id) {
                        c.port = server.port;
                        c.status = "backing-up".to_owned();
                        for m in c.members.clone() {
                            if let Some(i) = reg.instances.get_mut(&m) {
                                i.port = server.port;
                            }
                        }
                    }
                }
            }
        }
        tracing::info!(
            region,
            rid,
            port = server.port,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "server up"
        );
        if backups && !matches!(origin, Origin::Fresh { .. }) {
            // A restored server is usable now; its own first base backup
            // (which can take a while for a big database) follows, and the
            // tick retries it should it fail.
            self.finish_work(region, &owner, Ok(()));
            if let Err(e) = self.take_base_backup(region, rid).await {
                if self.pg.is_closed() {
                    tracing::debug!(region, rid, error = %e, "first base backup abandoned: shutting down");
                } else {
                    tracing::warn!(region, rid, error = %e, "first base backup of a restored server failed; will retry");
                }
            }
        } else if let Some(base) = fresh_base {
            {
                let mut state = self.state.lock();
                if let Some(b) = state.region(region).backups.get_mut(rid) {
                    b.base_backups.push(base);
                }
            }
            let marker = self.pg.archive_marker(&server, &spec.archive_dir).await?;
            {
                let mut state = self.state.lock();
                if let Some(b) = state.region(region).backups.get_mut(rid) {
                    apply_marker(b, marker);
                }
            }
            if let Owner::Instance(id) = &owner
                && let Some((_, arn)) = self.instance_of(region, rid)
            {
                let now = self.now();
                self.events.record(
                    region,
                    [
                        Event::of(
                            events::DB_INSTANCE,
                            id,
                            &arn,
                            "backup",
                            "Backing up DB instance",
                            now,
                        ),
                        Event::of(
                            events::DB_INSTANCE,
                            id,
                            &arn,
                            "backup",
                            "Finished DB instance backup",
                            now,
                        ),
                    ],
                );
            }
        } else if backups {
            self.take_base_backup(region, rid).await?;
        }
        tracing::info!(
            region,
            rid,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "provisioned"
        );
        Ok(server)
    }

    fn finish_work(&self, region: &str, owner: &Owner, result: Result<(), RdsError>) {
        let mut state = self.state.lock();
        let reg = state.region(region);
        let work = match &result {
            Ok(()) => Work::Done,
            Err(e) => {
                tracing::error!(region, ?owner, error = %e, "RDS background work failed");
                Work::Failed(e.to_string())
            }
        };
        match owner {
            Owner::Instance(id) => {
                if let Some(i) = reg.instances.get_mut(id) {
                    i.work = work;
                }
            }
            Owner::Cluster(id) => {
                if let Some(c) = reg.clusters.get_mut(id) {
                    c.work = work;
                }
            }
        }
    }

    /// Takes a base backup into the automated backups of `rid`, then a marker.
    async fn take_base_backup(&self, region: &str, rid: &str) -> Result<(), RdsError> {
        let (server, dir) = {
            let mut state = self.state.lock();
            if state.backing_up.contains(rid) {
                return Ok(());
            }
            let reg = state.region(region);
            let server = reg.servers.get(rid).cloned();
            let dir = reg.backups.get(rid).map(|b| b.dir.clone());

            let found = match (server, dir) {
                (Some(s), Some(d)) => (s, d),
                _ => return Ok(()),
            };
            state.backing_up.insert(rid.to_owned());
            found
        };
        let owner = self.instance_of(region, rid);
        if let Some((id, arn)) = &owner {
            self.events.record(
                region,
                [Event::of(
                    events::DB_INSTANCE,
                    id,
                    arn,
                    "backup",
                    "Backing up DB instance",
                    self.now(),
                )],
            );
        }
        let result = self.base_backup_into(region, rid, &server, &dir).await;
        self.state.lock().backing_up.remove(rid);
        if let (Some((id, arn)), Ok(())) = (&owner, &result) {
            self.events.record(
                region,
                [Event::of(
                    events::DB_INSTANCE,
                    id,
                    arn,
                    "backup",
                    "Finished DB instance backup",
                    self.now(),
                )],
            );
        }
        result
    }

    /// The identifier and ARN of the instance whose storage is `rid`.
    fn instance_of(&self, region: &str, rid: &str) -> Option<(String, String)> {
        let mut state = self.state.lock();
        state
            .region(region)
            .instances
            .values()
            .find(|i| i.resource_id == rid)
            .map(|i| (i.id.clone(), i.arn.clone()))
    }

    async fn base_backup_into(
        &self,
        region: &str,
        rid: &str,
        server: &Arc<PgServer>,
        dir: &std::path::Path,
    ) -> Result<(), RdsError> {
        let name = format!(
            "{}-{}",
            Utc::now().format("%Y%m%d%H%M%S%3f"),
            firedrill_emu_core::ids::random_hex(4)
        );
        let dest = dir.join("base").join(&name);
        let mut attempt = 0;
        let info = loop {
            match self.pg.base_backup(server, &dest).await {
                Ok(info) => break info,
                Err(e) if attempt < 3 => {
                    attempt += 1;
                    tracing::debug!(region, rid, error = %e, "base backup failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        tracing::debug!(rid, "base backup taken");
        let marker = self.pg.archive_marker(server, &dir.join("wal")).await?;
        tracing::debug!(rid, "marker archived");
        let end_emulated = self.env.clock.emulated_time_for(info.end_wall);
        let mut state = self.state.lock();
        let reg = state.region(region);
        match reg.backups.get_mut(rid) {
            Some(b) => {
                b.base_backups.push(BaseBackup {
                    name,
                    dir: dest,
                    start_wal: info.start_wal,
                    end_wall: info.end_wall,
                    end_emulated,
                });
                apply_marker(b, marker);
            }
            None => {
                let _ = std::fs::remove_dir_all(&dest);
            }
        }
        Ok(())
    }

    /// DescribeDBInstances.
    pub fn describe_instances(&self, region: &str, id: Option<&str>) -> Result<Vec<Instance>, RdsError> {
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let list = describe_selection(&reg.instances, id, ":db:", RdsError::instance_not_found)?;
        Ok(list
            .into_iter()
            .map(|mut i| {
                let key = match &i.cluster_id {
                    Some(c) => reg.clusters.get(c).map(|c| c.resource_id.clone()),
                    None => Some(i.resource_id.clone()),
                };
                i.latest_restorable = key
                    .and_then(|k| reg.backups.get(&k))
                    .and_then(|b| self.window(b, now))
                    .map(|w| w.1);
                i
            })
            .collect())
    }

    fn with_instance<T>(
        &self,
        region: &str,
        id: &str,
        f: impl FnOnce(&mut Instance) -> Result<T, RdsError>,
    ) -> Result<T, RdsError> {
        let id = id.to_ascii_lowercase();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let instance = reg
            .instances
            .get_mut(&id)
            .ok_or_else(|| RdsError::instance_not_found(&id))?;
        f(instance)
    }

    fn begin(&self, i: &mut Instance, status: &str, next: &str) {
        i.status = status.to_owned();
        i.next_status = next.to_owned();
        i.work = Work::Running;
        i.status_since = self.now();
    }

    fn require_available(i: &Instance) -> Result<(), RdsError> {
        if i.status != "available" {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "Instance {} is not in available state.",
                i.id
            )));
        }
        Ok(())
    }

    /// ModifyDBInstance.
    pub async fn modify_instance(&self, region: &str, req: ModifyInstance) -> Result<Instance, RdsError> {
        if let Some(r) = req.retention {
            validate::retention(r)?;
        }
        let window = req
            .backup_window
            .as_deref()
            .map(validate::backup_window)
            .transpose()?;
        let mwindow = req
            .maintenance_window
            .as_deref()
            .map(validate::maintenance_window)
            .transpose()?;
        if let Some(p) = &req.master_password {
            validate::password(Some(p))?;
        }
        let current = self.describe_instances_one(region, &req.id)?;
        validate::windows_disjoint(
            window.as_deref().unwrap_or(&current.backup_window),
            mwindow.as_deref().unwrap_or(&current.maintenance_window),
        )?;
        let version = validate::engine_version(&current.engine, Some(&current.engine_version))?;
        let checked = validate::settings(region, &req.settings, &version, &current.storage)?;
        if checked.storage.allocated < current.storage.allocated {
            return Err(RdsError::InvalidParameterCombination(format!(
                "You can't decrease the allocated storage of a DB instance: it has {} GiB.",
                current.storage.allocated
            )));
        }
        let groups = if req.settings.parameter_group.is_some() || req.settings.option_group.is_some() {
            Some(self.instance_groups(region, &req.settings, &version)?)
        } else {
            None
        };
        let now = self.now();
        let mut change_retention: Option<(i32, i32)> = None;
        let (instance, rid) = self.with_instance(region, &req.id, |i| {
            if i.cluster_id.is_some() && (req.retention.is_some() || window.is_some()) {
                return Err(RdsError::InvalidParameterCombination(
                    "The requested DB instance will be a member of a DB cluster. Set backup retention period for the DB cluster.".to_owned(),
                ));
            }
            Self::require_available(i)?;
            if let Some(w) = &window {
                i.backup_window = w.clone();
            }
            if let Some(w) = &mwindow {
                i.maintenance_window = w.clone();
            }
            if let Some(c) = &checked.class {
                i.class = c.clone();
            }
            i.storage = checked.storage.clone();
            if let Some(g) = &groups {
                if req.settings.parameter_group.is_some() {
                    i.parameter_group = g.parameter_group.clone();
                }
                if req.settings.option_group.is_some() {
                    i.option_group = g.option_group.clone();
                }
            }
            if let Some(d) = req.deletion_protection {
                i.deletion_protection = d;
            }
            if let Some(c) = req.copy_tags_to_snapshot {
                i.copy_tags_to_snapshot = c;
            }
            if let Some(r) = req.retention
                && r != i.retention
            {
                let toggles = (r == 0) != (i.retention == 0);
                if toggles && !req.apply_immediately {
                    // AWS defers an on/off change to the maintenance window.
                    i.pending_retention = Some(r);
                    i.pending_apply_at = next_maintenance_start(&i.maintenance_window, now);
                } else {
                    change_retention = Some((i.retention, r));
                    i.retention = r;
                }
            }
            self.begin(i, "modifying", "available");
            Ok((i.clone(), i.resource_id.clone()))
        })?;
        let me = self.arc();
        let region = region.to_owned();
        let id = instance.id.clone();
        let password = req.master_password.clone();
        let username = instance.master_username.clone();
        let window = window.clone();
        self.spawn(async move {
            let result = async {
                if let Some(w) = &window {
                    let mut state = me.state.lock();
                    if let Some(b) = state.region(&region).backups.get_mut(&rid) {
                        b.backup_window = w.clone();
                    }
                }
                if let Some((old, new)) = change_retention {
                    me.apply_retention(&region, &id, &rid, old, new).await?;
                }
                if let Some(p) = password {
                    let server = me.state.lock().region(&region).servers.get(&rid).cloned();
                    if let Some(server) = server {
                        let sql = format!(
                            "ALTER ROLE {} PASSWORD {}",
                            quote_ident(&username),
                            quote_literal(&p)
                        );
                        server
                            .with_admin(async |c| Ok(c.batch_execute(&sql).await?))
                            .await?;
                    }
                }
                Ok::<(), RdsError>(())
            }
            .await;
            me.finish_work(&region, &Owner::Instance(id), result);
        });
        Ok(instance)
    }

    async fn apply_retention(
        &self,
        region: &str,
        id: &str,
        rid: &str,
        old: i32,
        new: i32,
    ) -> Result<(), RdsError> {
        if new == 0 {
            let removed = self.state.lock().region(region).backups.remove(rid);
            if let Some(b) = removed {
                let _ = std::fs::remove_dir_all(&b.dir);
            }
        } else if old == 0 {
            let i = self
                .state
                .lock()
                .region(region)
                .instances
                .get(id)
                .cloned()
                .ok_or_else(|| RdsError::instance_not_found(id))?;
            let (arn, master, db, window, create_time, tags) = (
                i.arn.clone(),
                i.master_username.clone(),
                i.db_name.clone(),
                i.backup_window.clone(),
                i.create_time,
                i.tags.clone(),
            );
            let mut record = self.new_automated_backup(
                region,
                BackupKind::Instance,
                rid,
                id,
                &arn,
                new,
                &window,
                &master,
                db,
                create_time,
            );
            record.tags = tags;
            record.describe_instance(&i);
            self.pg.make_dir(&record.archive())?;
            self.state
                .lock()
                .region(region)
                .backups
                .insert(rid.to_owned(), record);
            self.take_base_backup(region, rid).await?;
        } else if let Some(b) = self.state.lock().region(region).backups.get_mut(rid) {
            b.retention = new;
        }
        Ok(())
    }

    /// RebootDBInstance.
    pub fn reboot_instance(&self, region: &str, id: &str) -> Result<Instance, RdsError> {
        let instance = self.with_instance(region, id, |i| {
            Self::require_available(i)?;
            self.begin(i, "rebooting", "available");
            Ok(i.clone())
        })?;
        let me = self.arc();
        let owned_region = region.to_owned();
        self.spawn(async move {
            let region = owned_region;
            let result = me.restart_owner_server(&region, &instance).await;
            me.finish_work(&region, &Owner::Instance(instance.id.clone()), result);
        });
        let mut shown = self.describe_instances_one(region, id)?;
        shown.status = "rebooting".to_owned();
        Ok(shown)
    }

    fn describe_instances_one(&self, region: &str, id: &str) -> Result<Instance, RdsError> {
        self.describe_instances(region, Some(id))?
            .into_iter()
            .next()
            .ok_or_else(|| RdsError::instance_not_found(id))
    }

    async fn restart_owner_server(&self, region: &str, instance: &Instance) -> Result<(), RdsError> {
        let rid = match &instance.cluster_id {
            Some(c) => {
                let mut state = self.state.lock();
                match state.region(region).clusters.get(c) {
                    Some(c) => c.resource_id.clone(),
                    None => return Ok(()),
                }
            }
            None => instance.resource_id.clone(),
        };
        let old = self.state.lock().region(region).servers.remove(&rid);
        let port = old.as_ref().map(|s| s.port);
        if let Some(old) = old {
            old.stop_async(StopMode::Fast).await;
        }
        let server = self.pg.start(&self.spec(region, &rid, None), port).await?;
        self.install_server(region, &rid, server);
        Ok(())
    }

    fn install_server(&self, region: &str, rid: &str, server: Arc<PgServer>) {
        let mut state = self.state.lock();
        let reg = state.region(region);
        let port = server.port;
        reg.servers.insert(rid.to_owned(), server);
        let cluster_members: Vec<String> = reg
            .clusters
            .values_mut()
            .filter(|c| c.resource_id == rid)
            .flat_map(|c| {
                c.port = port;
                c.members.clone()
            })
            .collect();
        for i in reg.instances.values_mut() {
            if i.resource_id == rid || cluster_members.contains(&i.id) {
                i.port = port;
            }
        }
    }

    /// StopDBInstance (optionally snapshotting first).
    pub fn stop_instance(
        &self,
        region: &str,
        id: &str,
        snapshot_id: Option<String>,
    ) -> Result<Instance, RdsError> {
        let snapshot_id = snapshot_id
            .map(|s| validate::identifier("DBSnapshotIdentifier", &s))
            .transpose()?;
        if let Some(s) = &snapshot_id
            && self.state.lock().region(region).snapshots.contains_key(s)
        {
            return Err(RdsError::DBSnapshotAlreadyExists(format!(
                "Cannot create the snapshot because a snapshot with the identifier {s} already exists."
            )));
        }
        let instance = self.with_instance(region, id, |i| {
            if i.cluster_id.is_some() {
                return Err(RdsError::InvalidDBInstanceState(
                    "Cannot stop an instance that is a member of an Aurora cluster; stop the cluster instead.".to_owned(),
                ));
            }
            Self::require_available(i)?;
            self.begin(i, "stopping", "stopped");
            Ok(i.clone())
        })?;
        let me = self.arc();
        let owned_region = region.to_owned();
        self.spawn(async move {
            let region = owned_region;
            let result = async {
                if let Some(s) = snapshot_id {
                    me.snapshot_now(&region, &instance.id, &s, "manual").await?;
                }
                me.final_archive(&region, &instance.resource_id).await;
                let server = me
                    .state
                    .lock()
                    .region(&region)
                    .servers
                    .remove(&instance.resource_id);
                if let Some(server) = server {
                    server.stop_async(StopMode::Fast).await;
                }
                Ok(())
            }
            .await;
            me.finish_work(&region, &Owner::Instance(instance.id.clone()), result);
        });
        self.describe_instances_one(region, id)
    }

    /// StartDBInstance.
    pub fn start_instance(&self, region: &str, id: &str) -> Result<Instance, RdsError> {
        let instance = self.with_instance(region, id, |i| {
            if i.status != "stopped" {
                return Err(RdsError::InvalidDBInstanceState(format!(
                    "Instance {} is not stopped, it is {}.",
                    i.id, i.status
                )));
            }
            self.begin(i, "starting", "available");
            Ok(i.clone())
        })?;
        let me = self.arc();
        let owned_region = region.to_owned();
        self.spawn(async move {
            let region = owned_region;
            let result = async {
                let server = me
                    .pg
                    .start(
                        &me.spec(&region, &instance.resource_id, None),
                        Some(instance.port),
                    )
                    .await?;
                me.install_server(&region, &instance.resource_id, server);
                Ok(())
            }
            .await;
            me.finish_work(&region, &Owner::Instance(instance.id.clone()), result);
        });
        self.describe_instances_one(region, id)
    }

    /// A last archive cycle before a server stops, so that every commit is
    /// restorable.
    async fn final_archive(&self, region: &str, rid: &str) {
        if let Err(e) = self.archive_cycle(region, rid, true).await {
            tracing::debug!(region, rid, error = %e, "final archive cycle failed");
        }
    }

    /// DeleteDBInstance.
    pub fn delete_instance(&self, region: &str, req: DeleteInstance) -> Result<Instance, RdsError> {
        let final_id = req
            .final_snapshot_id
            .as_deref()
            .map(|s| validate::identifier("FinalDBSnapshotIdentifier", s))
            .transpose()?;
        let is_member = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let i = reg
                .instances
                .get(&req.id.to_ascii_lowercase())
                .ok_or_else(|| RdsError::instance_not_found(&req.id))?;
            i.cluster_id.is_some()
        };
        if !is_member {
            if !req.skip_final_snapshot && final_id.is_none() {
                return Err(RdsError::InvalidParameterCombination(
                    "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.".to_owned(),
                ));
            }
            if req.skip_final_snapshot && final_id.is_some() {
                return Err(RdsError::InvalidParameterCombination(
                    "Cannot specify a FinalDBSnapshotIdentifier when SkipFinalSnapshot is set.".to_owned(),
                ));
            }
        }
        if let Some(s) = &final_id
            && self.state.lock().region(region).snapshots.contains_key(s)
        {
            return Err(RdsError::DBSnapshotAlreadyExists(format!(
                "Cannot create the snapshot because a snapshot with the identifier {s} already exists."
            )));
        }
        let instance = self.with_instance(region, &req.id, |i| {
            if i.deletion_protection {
                return Err(RdsError::InvalidParameterCombination(
                    "Cannot delete protected DB Instance, please disable deletion protection and try again."
                        .to_owned(),
                ));
            }
            let allowed = [
                "available",
                "stopped",
                "failed",
                "incompatible-restore",
                "storage-full",
            ];
            if !allowed.contains(&i.status.as_str()) {
                return Err(RdsError::InvalidDBInstanceState(format!(
                    "Instance {} is already being deleted or is not in a state that allows deletion ({}).",
                    i.id, i.status
                )));
            }
            if final_id.is_some() && i.status == "failed" {
                return Err(RdsError::InvalidDBInstanceState(format!(
                    "Instance {} is in failed state; a final snapshot cannot be taken.",
                    i.id
                )));
            }
            self.begin(i, "deleting", "deleted");
            Ok(i.clone())
        })?;
        if instance.cluster_id.is_some() {
            let mut state = self.state.lock();
            let reg = state.region(region);
            if let Some(c) = instance.cluster_id.as_ref().and_then(|c| reg.clusters.get_mut(c)) {
                c.members.retain(|m| m != &instance.id);
            }
            if let Some(i) = reg.instances.get_mut(&instance.id) {
                i.work = Work::Done;
            }
            return Ok(instance);
        }
        let me = self.arc();
        let region_name = region.to_owned();
        let delete_backups = req.delete_automated_backups;
        self.spawn(async move {
            let region = region_name;
            let result = async {
                let rid = instance.resource_id.clone();
                if let Some(s) = &final_id {
                    me.snapshot_now(&region, &instance.id, s, "manual").await?;
                }
                me.final_archive(&region, &rid).await;
                let server = me.state.lock().region(&region).servers.remove(&rid);
                if let Some(server) = server {
                    server.stop_async(StopMode::Fast).await;
                }
                let _ = std::fs::remove_dir_all(me.instance_dir(&rid));
                let removed = {
                    let mut state = me.state.lock();
                    let reg = state.region(&region);
                    if delete_backups {
                        reg.backups.remove(&rid)
                    } else {
                        if let Some(b) = reg.backups.get_mut(&rid) {
                            b.status = "retained".to_owned();
                        }
                        None
                    }
                };
                if let Some(b) = removed {
                    let _ = std::fs::remove_dir_all(&b.dir);
                }
                Ok(())
            }
            .await;
            me.finish_work(&region, &Owner::Instance(instance.id.clone()), result);
        });
        self.describe_instances_one(region, &req.id)
    }

    // ----- snapshots -----

    /// Takes a snapshot of a running instance now and returns once it is
    /// complete (status `available`).
    pub async fn snapshot_now(
        &self,
        region: &str,
        instance_id: &str,
        snapshot_id: &str,
        snapshot_type: &str,
    ) -> Result<Snapshot, RdsError> {
        let snap = self.begin_snapshot(region, instance_id, snapshot_id, snapshot_type, Vec::new(), false)?;
        let result = self.fill_snapshot(region, &snap).await;
        let mut state = self.state.lock();
        let reg = state.region(region);
        match result {
            Ok(()) => {
                let s = reg
                    .snapshots
                    .get_mut(&snap.id)
                    .ok_or_else(|| RdsError::snapshot_not_found(&snap.id))?;
                s.status = "available".to_owned();
                s.percent = 100;
                s.work = Work::Idle;
                self.events.record(region, [snapshot_done_event(s, self.now())]);
                Ok(s.clone())
            }
            Err(e) => {
                reg.snapshots.remove(&snap.id);
                let _ = std::fs::remove_dir_all(&snap.dir);
                Err(e)
            }
        }
    }

    fn begin_snapshot(
        &self,
        region: &str,
        instance_id: &str,
        snapshot_id: &str,
        snapshot_type: &str,
        tags: Vec<(String, String)>,
        require_available: bool,
    ) -> Result<Snapshot, RdsError> {
        let snapshot_id = if snapshot_type == "manual" {
            validate::identifier("DBSnapshotIdentifier", snapshot_id)?
        } else {
            snapshot_id.to_owned()
        };
        let instance_id = instance_id.to_ascii_lowercase();
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let i = reg
            .instances
            .get(&instance_id)
            .ok_or_else(|| RdsError::instance_not_found(&instance_id))?;
        if i.cluster_id.is_some() {
            return Err(RdsError::InvalidParameterCombination(
                "Cannot create a DB snapshot of an Aurora cluster member; snapshot the cluster.".to_owned(),
            ));
        }
        if require_available && i.status != "available" {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "Cannot create a snapshot because the database instance {} is not currently in the available state.",
                i.id
            )));
        }
        if !reg.servers.contains_key(&i.resource_id) && i.status != "stopped" {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "Cannot create a snapshot because the database instance {} is not running.",
                i.id
            )));
        }
        if reg.snapshots.contains_key(&snapshot_id) {
            return Err(RdsError::DBSnapshotAlreadyExists(format!(
                "Cannot create the snapshot because a snapshot with the identifier {snapshot_id} already exists."
            )));
        }
        let mut all_tags = if i.copy_tags_to_snapshot {
            i.tags.clone()
        } else {
            Vec::new()
        };
        for (k, v) in tags {
            all_tags.retain(|(ek, _)| ek != &k);
            all_tags.push((k, v));
        }
        let snap = Snapshot {
            id: snapshot_id.clone(),
            arn: format!("arn:aws:rds:{region}:{}:snapshot:{snapshot_id}", self.account()),
            instance_id: i.id.clone(),
            resource_id: i.resource_id.clone(),
            snapshot_type: snapshot_type.to_owned(),
            status: "creating".to_owned(),
            create_time: now,
            instance_create_time: i.create_time,
            engine: i.engine.clone(),
            engine_version: i.engine_version.clone(),
            master_username: i.master_username.clone(),
            db_name: i.db_name.clone(),
            port: i.port,
            availability_zone: i.availability_zone.clone(),
            class: i.class.clone(),
            storage: i.storage.clone(),
            option_group: i.option_group.clone(),
            retention: i.retention,
            backup_window: i.backup_window.clone(),
            tags: all_tags,
            instance_tags: i.tags.clone(),
            source_region: None,
            source_snapshot: None,
            percent: 0,
            dir: self.pg.root.join("snapshots").join(region).join(format!(
                "{snapshot_id}-{}",
                firedrill_emu_core::ids::random_hex(6)
            )),
            work: Work::Running,
            status_since: now,
        };
        reg.snapshots.insert(snapshot_id, snap.clone());
        let message = if snapshot_type == "automated" {
            "Creating automated snapshot"
        } else {
            "Creating manual snapshot"
        };
        self.events.record(
            region,
            [Event::of(
                events::DB_SNAPSHOT,
                &snap.id,
                &snap.arn,
                "creation",
                message,
                now,
            )],
        );
        Ok(snap)
    }

    async fn fill_snapshot(&self, region: &str, snap: &Snapshot) -> Result<(), RdsError> {
        let server = self
            .state
            .lock()
            .region(region)
            .servers
            .get(&snap.resource_id)
            .cloned();
        match server {
            Some(server) => {
                self.pg.base_backup(&server, &snap.dir).await?;
            }
            None => {
                // A stopped instance: its data directory is clean and can be copied cold.
                let data = self.instance_dir(&snap.resource_id).join("data");
                self.pg.copy_tree(&data, &snap.dir).await?;
            }
        }
        Ok(())
    }

    /// CreateDBSnapshot.
    pub fn create_snapshot(
        &self,
        region: &str,
        instance_id: &str,
        snapshot_id: &str,
        tags: Vec<(String, String)>,
    ) -> Result<Snapshot, RdsError> {
        let snap = self.begin_snapshot(region, instance_id, snapshot_id, "manual", tags, true)?;
        let me = self.arc();
        let region = region.to_owned();
        let s = snap.clone();
        self.spawn(async move {
            let result = me.fill_snapshot(&region, &s).await;
            let mut state = me.state.lock();
            if let Some(s) = state.region(&region).snapshots.get_mut(&s.id) {
                s.work = match result {
                    Ok(()) => Work::Done,
                    Err(e) => {
                        tracing::error!(error = %e, "snapshot failed");
                        Work::Failed(e.to_string())
                    }
                };
            }
        });
        Ok(snap)
    }

    /// DescribeDBSnapshots.
    pub fn describe_snapshots(
        &self,
        region: &str,
        snapshot_id: Option<&str>,
        instance_id: Option<&str>,
        snapshot_type: Option<&str>,
    ) -> Result<Vec<Snapshot>, RdsError> {
        let mut state = self.state.lock();
        let reg = state.region(region);
        if let Some(id) = snapshot_id {
            let id = snapshot_key(id);
            let s = reg
                .snapshots
                .get(&id)
                .cloned()
                .ok_or_else(|| RdsError::snapshot_not_found(&id))?;
            return Ok(vec![s]);
        }
        Ok(reg
            .snapshots
            .values()
            .filter(|s| instance_id.is_none_or(|i| s.instance_id == i.to_ascii_lowercase()))
            .filter(|s| snapshot_type.is_none_or(|t| s.snapshot_type == t))
            .cloned()
            .collect())
    }

    /// DeleteDBSnapshot.
    pub fn delete_snapshot(&self, region: &str, snapshot_id: &str) -> Result<Snapshot, RdsError> {
        let id = snapshot_key(snapshot_id);
        let mut state = self.state.lock();
        let reg = state.region(region);
        let s = reg
            .snapshots
            .get(&id)
            .ok_or_else(|| RdsError::snapshot_not_found(&id))?;
        if s.status != "available" && s.status != "failed" {
            return Err(RdsError::InvalidDBSnapshotState(format!(
                "Cannot delete the snapshot because it is {}.",
                s.status
            )));
        }
        let Some(mut s) = reg.snapshots.remove(&id) else {
            return Err(RdsError::snapshot_not_found(&id));
        };
        let _ = std::fs::remove_dir_all(&s.dir);
        s.status = "deleted".to_owned();
        self.events.record(
            region,
            [Event::of(
                events::DB_SNAPSHOT,
                &s.id,
                &s.arn,
                "deletion",
                "Deleted manual snapshot",
                self.now(),
            )],
        );
        Ok(s)
    }

    /// CopyDBSnapshot: `source` is an identifier in `dest_region` or an ARN
    /// of a snapshot in any region. Returns once started (`wait` false) or
    /// complete (`wait` true).
    pub async fn copy_snapshot(
        &self,
        dest_region: &str,
        source: &str,
        target_id: &str,
        tags: Vec<(String, String)>,
        copy_tags: bool,
        wait: bool,
    ) -> Result<Snapshot, RdsError> {
        // AWS Backup names its copies `awsbackup:copyjob-…`.
        let target_id = if target_id.starts_with("awsbackup:") {
            target_id.to_owned()
        } else {
            validate::identifier("TargetDBSnapshotIdentifier", target_id)?
        };
        let (src_region, src_id) = match Arn::parse(source) {
            Ok(arn) if arn.service == "rds" => {
                let id = arn.resource.strip_prefix("snapshot:").ok_or_else(|| {
                    RdsError::InvalidParameterValue(format!("Invalid snapshot identifier: {source}"))
                })?;
                (arn.region, id.to_owned())
            }
            Ok(_) => {
                return Err(RdsError::InvalidParameterValue(format!(
                    "Invalid snapshot identifier: {source}"
                )));
            }
            Err(_) => (dest_region.to_owned(), source.to_owned()),
        };
        if !self.env.config.serves_region(&src_region) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid source region {src_region}."
            )));
        }
        let now = self.now();
        let copy = {
            let mut state = self.state.lock();
            let src_reg = state.region(&src_region);
            if src_reg.down {
                return Err(RdsError::InvalidDBSnapshotState(format!(
                    "The source region {src_region} is unavailable."
                )));
            }
            let src = src_reg
                .snapshots
                .get(&src_id)
                .cloned()
                .ok_or_else(|| RdsError::snapshot_not_found(&src_id))?;
            if src.status != "available" {
                return Err(RdsError::InvalidDBSnapshotState(format!(
                    "Snapshot {src_id} is not available; it is {}.",
                    src.status
                )));
            }
            let dest = state.region(dest_region);
            if dest.snapshots.contains_key(&target_id) {
                return Err(RdsError::DBSnapshotAlreadyExists(format!(
                    "Cannot copy the snapshot because a snapshot with the identifier {target_id} already exists."
                )));
            }
            let mut all_tags = if copy_tags { src.tags.clone() } else { Vec::new() };
            for (k, v) in tags {
                all_tags.retain(|(ek, _)| ek != &k);
                all_tags.push((k, v));
            }
            let copy = Snapshot {
                id: target_id.clone(),
                arn: format!(
                    "arn:aws:rds:{dest_region}:{}:snapshot:{target_id}",
                    self.account()
                ),
                snapshot_type: "manual".to_owned(),
                status: "creating".to_owned(),
                create_time: now,
                tags: all_tags,
                source_region: (src_region != dest_region).then(|| src_region.clone()),
                source_snapshot: Some(src.arn.clone()),
                percent: 0,
                dir: self
                    .pg
                    .root
                    .join("snapshots")
                    .join(dest_region)
                    .join(format!("{target_id}-{}", firedrill_emu_core::ids::random_hex(6))),
                work: Work::Running,
                status_since: now,
                availability_zone: format!("{dest_region}{DEFAULT_AZ_SUFFIX}"),
                ..src.clone()
            };
            dest.snapshots.insert(target_id.clone(), copy.clone());
            (copy, src.dir)
        };
        let (copy, src_dir) = copy;
        let me = self.arc();
        let region = dest_region.to_owned();
        let c = copy.clone();
        let work = async move {
            let result = me.pg.copy_tree(&src_dir, &c.dir).await;
            let mut state = me.state.lock();
            if let Some(s) = state.region(&region).snapshots.get_mut(&c.id) {
                match result {
                    Ok(()) if wait => {
                        s.status = "available".to_owned();
                        s.percent = 100;
                        s.work = Work::Idle;
                        me.events.record(&region, [snapshot_done_event(s, me.now())]);
                    }
                    Ok(()) => s.work = Work::Done,
                    Err(e) => s.work = Work::Failed(e.to_string()),
                }
                return Ok(s.clone());
            }
            Err(RdsError::snapshot_not_found(&c.id))
        };
        if wait {
            work.await
        } else {
            self.spawn(async move {
                let _ = work.await;
            });
            Ok(copy)
        }
    }

    /// RestoreDBInstanceFromDBSnapshot. The new instance gets the
    /// snapshot's instance class, storage, port and option group unless the
    /// request overrides them, the engine's default parameter group unless
    /// one is named, and the tags the source instance had when the snapshot
    /// was taken unless the request carries tags of its own (as the RDS User
    /// Guide describes).
    pub fn restore_from_snapshot(&self, region: &str, req: RestoreSnapshot) -> Result<Instance, RdsError> {
        let target = validate::identifier("DBInstanceIdentifier", &req.target_id)?;
        let retention = req.retention.map(validate::retention).transpose()?;
        let window = req
            .backup_window
            .as_deref()
            .map(validate::backup_window)
            .transpose()?;
        let snap_id = snapshot_key(&req.snapshot_id);
        let snap = self
            .state
            .lock()
            .region(region)
            .snapshots
            .get(&snap_id)
            .cloned()
            .ok_or_else(|| RdsError::snapshot_not_found(&snap_id))?;
        let version = validate::engine_version(&snap.engine, Some(&snap.engine_version))?;
        let checked = validate::settings(region, &req.settings, &version, &snap.storage)?;
        let mut settings = req.settings.clone();
        settings.option_group = settings.option_group.or_else(|| Some(snap.option_group.clone()));
        let groups = self.instance_groups(region, &settings, &version)?;
        let backup_window = window.unwrap_or_else(|| snap.backup_window.clone());
        validate::windows_disjoint(&backup_window, DEFAULT_MAINTENANCE_WINDOW)?;
        self.pg.binaries()?;
        let now = self.now();
        let (instance, dir) = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let snap = reg
                .snapshots
                .get(&snap_id)
                .cloned()
                .ok_or_else(|| RdsError::snapshot_not_found(&snap_id))?;
            if snap.status != "available" {
                return Err(RdsError::InvalidDBSnapshotState(format!(
                    "Snapshot {snap_id} is not available; it is {}.",
                    snap.status
                )));
            }
            if reg.instances.contains_key(&target) {
                return Err(RdsError::DBInstanceAlreadyExists(
                    "DB instance already exists".to_owned(),
                ));
            }
            let instance = self.new_restored_instance(
                region,
                &target,
                RestoreBase {
                    class: checked.class.unwrap_or_else(|| snap.class.clone()),
                    engine_version: snap.engine_version.clone(),
                    master_username: snap.master_username.clone(),
                    db_name: snap.db_name.clone(),
                    retention: retention.unwrap_or(snap.retention.max(1)),
                    backup_window,
                    storage: checked.storage,
                    groups,
                    availability_zone: checked.availability_zone,
                    tags: if req.tags.is_empty() {
                        snap.instance_tags.clone()
                    } else {
                        req.tags.clone()
                    },
                    copy_tags_to_snapshot: req.copy_tags_to_snapshot.unwrap_or(false),
                    deletion_protection: req.deletion_protection,
                },
                now,
            );
            let mut instance = instance;
            instance.restored_from = Some(format!("Restored from snapshot {snap_id}"));
            self.insert_restored(reg, region, &instance);
            (instance, snap.dir.clone())
        };
        self.spawn_restore(region, &instance, Origin::Snapshot(dir));
        Ok(instance)
    }

    fn new_restored_instance(
        &self,
        region: &str,
        id: &str,
        from: RestoreBase,
        now: DateTime<Utc>,
    ) -> Instance {
        Instance {
            id: id.to_owned(),
            arn: format!("arn:aws:rds:{region}:{}:db:{id}", self.account()),
            resource_id: format!("db-{}", resource_suffix()),
            class: from.class,
            engine: catalog::POSTGRES.to_owned(),
            engine_version: from.engine_version,
            status: "creating".to_owned(),
            master_username: from.master_username,
            db_name: from.db_name,
            create_time: now,
            retention: from.retention,
            backup_window: from.backup_window,
            maintenance_window: DEFAULT_MAINTENANCE_WINDOW.to_owned(),
            tags: from.tags,
            cluster_id: None,
            port: 5432,
            storage: from.storage,
            parameter_group: from.groups.parameter_group,
            option_group: from.groups.option_group,
            subnet_group: from.groups.subnet_group,
            availability_zone: from
                .availability_zone
                .unwrap_or_else(|| format!("{region}{DEFAULT_AZ_SUFFIX}")),
            pending_retention: None,
            pending_apply_at: None,
            latest_restorable: None,
            replications: Vec::new(),
            copy_tags_to_snapshot: from.copy_tags_to_snapshot,
            deletion_protection: from.deletion_protection,
            restored_from: None,
            work: Work::Running,
            status_since: now,
            next_status: "available".to_owned(),
        }
    }

    fn insert_restored(&self, reg: &mut Region, region: &str, instance: &Instance) {
        if instance.retention > 0 {
            let mut record = self.new_automated_backup(
                region,
                BackupKind::Instance,
                &instance.resource_id,
                &instance.id,
                &instance.arn,
                instance.retention,
                &instance.backup_window,
                &instance.master_username,
                instance.db_name.clone(),
                instance.create_time,
            );
            record.tags = instance.tags.clone();
            record.describe_instance(instance);
            reg.backups.insert(instance.resource_id.clone(), record);
        }
        reg.instances.insert(instance.id.clone(), instance.clone());
    }

    fn spawn_restore(&self, region: &str, instance: &Instance, origin: Origin) {
        let me = self.arc();
        let region = region.to_owned();
        let id = instance.id.clone();
        let rid = instance.resource_id.clone();
        let backups = instance.retention > 0;
        self.spawn(async move {
            let result = me
                .provision(&region, Owner::Instance(id.clone()), &rid, origin, backups)
                .await;
            me.finish_work(&region, &Owner::Instance(id), result.map(|_| ()));
        });
    }

    /// Finds the automated backups a point-in-time restore reads.
    fn pitr_record(&self, reg: &Region, source: &PitrSource) -> Result<AutomatedBackup, RdsError> {
        match source {
            PitrSource::Instance(id) => {
                let id = id.to_ascii_lowercase();
                let i = reg
                    .instances
                    .get(&id)
                    .ok_or_else(|| RdsError::instance_not_found(&id))?;
                if i.cluster_id.is_some() {
                    return Err(RdsError::InvalidParameterCombination(
                        "The source DB instance is a member of an Aurora cluster; use RestoreDBClusterToPointInTime.".to_owned(),
                    ));
                }
                if i.retention == 0 {
                    return Err(RdsError::PointInTimeRestoreNotEnabled(format!(
                        "Point-in-time restore is not enabled for DB instance {id}: its backup retention period is 0."
                    )));
                }
                reg.backups.get(&i.resource_id).cloned().ok_or_else(|| {
                    RdsError::PointInTimeRestoreNotEnabled(format!(
                        "Point-in-time restore is not enabled for DB instance {id}: it has no automated backups yet."
                    ))
                })
            }
            PitrSource::ResourceId(rid) => reg
                .backups
                .get(rid)
                .filter(|b| b.kind == BackupKind::Instance)
                .cloned()
                .ok_or_else(|| {
                    RdsError::DBInstanceAutomatedBackupNotFound(format!(
                        "No automated backup found for DbiResourceId {rid}."
                    ))
                }),
            PitrSource::BackupArn(arn) => {
                reg.backups
                    .values()
                    .find(|b| &b.arn == arn)
                    .cloned()
                    .ok_or_else(|| {
                        RdsError::DBInstanceAutomatedBackupNotFound(format!(
                            "Automated backup {arn} not found."
                        ))
                    })
            }
        }
    }

    /// Picks the base backup and recovery target for emulator instant `t`.
    fn plan_pitr(
        &self,
        record: &AutomatedBackup,
        t: Option<DateTime<Utc>>,
        who: &str,
    ) -> Result<(PathBuf, PathBuf, RecoveryTarget, DateTime<Utc>), RdsError> {
        let now = self.now();
        let (earliest, latest) = self.window(record, now).ok_or_else(|| {
            RdsError::InvalidRestore(format!(
                "{who} has no restorable time yet: its first automated backup is not complete."
            ))
        })?;
        let t = t.unwrap_or(latest);
        if t < earliest || t > latest {
            return Err(RdsError::InvalidRestore(format!(
                "The restore time {} is outside the restorable window of {who}: {} to {}.",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                latest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )));
        }
        let wall = self.env.clock.wall_time_for(t);
        let base = record
            .base_backups
            .iter()
            .rev()
            .find(|b| b.end_wall <= wall)
            .or(record.base_backups.first())
            .ok_or_else(|| RdsError::InvalidRestore(format!("{who} has no base backup.")))?;
        let marker = record
            .marker
            .as_ref()
            .ok_or_else(|| RdsError::InvalidRestore(format!("{who} has no archived WAL yet.")))?;
        let target = if wall < marker.commit_wall {
            RecoveryTarget::Time(wall.max(base.end_wall))
        } else {
            RecoveryTarget::Xid(marker.xid.clone())
        };
        Ok((base.dir.clone(), record.archive(), target, t))
    }

    /// RestoreDBInstanceToPointInTime.
    pub fn restore_to_point_in_time(&self, region: &str, req: RestorePitr) -> Result<Instance, RdsError> {
        let target = validate::identifier("TargetDBInstanceIdentifier", &req.target_id)?;
        match (req.restore_time.is_some(), req.use_latest) {
            (true, true) => {
                return Err(RdsError::InvalidParameterCombination(
                    "Cannot specify both RestoreTime and UseLatestRestorableTime.".to_owned(),
                ));
            }
            (false, false) => {
                return Err(RdsError::InvalidParameterCombination(
                    "Either RestoreTime or UseLatestRestorableTime must be specified.".to_owned(),
                ));
            }
            _ => {}
        }
        let retention = req.retention.map(validate::retention).transpose()?;
        let window = req
            .backup_window
            .as_deref()
            .map(validate::backup_window)
            .transpose()?;
        let source = {
            let mut state = self.state.lock();
            self.pitr_record(state.region(region), &req.source)?
        };
        let version = validate::engine_version(&source.engine, Some(&source.engine_version))?;
        let checked = validate::settings(region, &req.settings, &version, &source.storage)?;
        let groups = self.instance_groups(region, &req.settings, &version)?;
        let backup_window = window.unwrap_or_else(|| source.backup_window.clone());
        validate::windows_disjoint(&backup_window, DEFAULT_MAINTENANCE_WINDOW)?;
        self.pg.binaries()?;
        let now = self.now();
        let (instance, origin) = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let record = self.pitr_record(reg, &req.source)?;
            if reg.instances.contains_key(&target) {
                return Err(RdsError::DBInstanceAlreadyExists(
                    "DB instance already exists".to_owned(),
                ));
            }
            let who = format!("DB instance {}", record.instance_id);
            let (base, archive, recovery_target, _t) = self.plan_pitr(&record, req.restore_time, &who)?;
            let instance = self.new_restored_instance(
                region,
                &target,
                RestoreBase {
                    class: checked.class.unwrap_or_else(|| record.class.clone()),
                    engine_version: record.engine_version.clone(),
                    master_username: record.master_username.clone(),
                    db_name: record.db_name.clone(),
                    retention: retention.unwrap_or(record.retention.max(1)),
                    backup_window,
                    storage: checked.storage,
                    groups,
                    availability_zone: checked.availability_zone,
                    tags: req.tags.clone(),
                    copy_tags_to_snapshot: req.copy_tags_to_snapshot.unwrap_or(false),
                    deletion_protection: req.deletion_protection,
                },
                now,
            );
            let mut instance = instance;
            instance.restored_from = Some(format!(
                "Restored from DB instance {} to {}",
                record.instance_id,
                recovery_time_text(_t)
            ));
            self.insert_restored(reg, region, &instance);
            (
                instance,
                Origin::Pitr {
                    base,
                    archive,
                    target: recovery_target,
                },
            )
        };
        tracing::info!(region, target = %instance.id, ?origin, "point-in-time restore");
        self.spawn_restore(region, &instance, origin);
        Ok(instance)
    }

    /// DescribeDBInstanceAutomatedBackups.
    pub fn describe_automated_backups(
        &self,
        region: &str,
        instance_id: Option<&str>,
        rid: Option<&str>,
        arn: Option<&str>,
        statuses: &[String],
    ) -> Result<Vec<AutomatedBackup>, RdsError> {
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let list: Vec<AutomatedBackup> = reg
            .backups
            .values()
            .filter(|b| b.kind == BackupKind::Instance)
            .filter(|b| instance_id.is_none_or(|i| b.instance_id == i.to_ascii_lowercase()))
            .filter(|b| rid.is_none_or(|r| b.resource_id == r))
            .filter(|b| arn.is_none_or(|a| b.arn == a))
            .filter(|b| statuses.is_empty() || statuses.contains(&b.status))
            .cloned()
            .map(|mut b| {
                if let Some((e, l)) = self.window(&b, now) {
                    b.earliest = Some(e);
                    b.latest = Some(l);
                }
                b
            })
            .collect();
        if list.is_empty() && (rid.is_some() || arn.is_some()) {
            return Err(RdsError::DBInstanceAutomatedBackupNotFound(format!(
                "Automated backup {} not found.",
                rid.or(arn).unwrap_or_default()
            )));
        }
        Ok(list)
    }

    /// StartDBInstanceAutomatedBackupsReplication, called in `dest_region`.
    pub fn start_replication(
        &self,
        dest_region: &str,
        source_arn: &str,
        retention: Option<i32>,
    ) -> Result<AutomatedBackup, RdsError> {
        let arn = Arn::parse(source_arn)
            .ok()
            .filter(|a| a.service == "rds" && a.resource.starts_with("db:"))
            .ok_or_else(|| {
                RdsError::InvalidParameterValue(format!("Invalid SourceDBInstanceArn: {source_arn}"))
            })?;
        let retention = retention.map(validate::retention).transpose()?;
        if arn.region == dest_region {
            return Err(RdsError::InvalidParameterValue(
                "The source DB instance must be in a different Region from the one the replication is started in.".to_owned(),
            ));
        }
        if !self.env.config.serves_region(&arn.region) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid source region {}.",
                arn.region
            )));
        }
        let id = arn.resource.trim_start_matches("db:").to_owned();
        let mut state = self.state.lock();
        let src = state.region(&arn.region);
        let i = src
            .instances
            .get(&id)
            .cloned()
            .ok_or_else(|| RdsError::instance_not_found(&id))?;
        if i.cluster_id.is_some() || i.status != "available" {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "DB instance {id} must be available (and not an Aurora member) to replicate its backups."
            )));
        }
        let source_record = src.backups.get(&i.resource_id).cloned().ok_or_else(|| {
            RdsError::InvalidDBInstanceState(format!("DB instance {id} has automated backups disabled."))
        })?;
        if source_record.replications.iter().any(|(r, _)| r == dest_region) {
            return Err(RdsError::InvalidDBInstanceAutomatedBackupState(format!(
                "Automated backups of DB instance {id} are already replicated to {dest_region}."
            )));
        }
        let mut copy = source_record.clone();
        copy.arn = format!(
            "arn:aws:rds:{dest_region}:{}:auto-backup:ab-{}",
            self.account(),
            firedrill_emu_core::ids::random_hex(26)
        );
        copy.status = "replicating".to_owned();
        copy.retention = retention.unwrap_or(source_record.retention);
        copy.base_backups = Vec::new();
        copy.marker = None;
        copy.coverage_wall = None;
        copy.dir = self.backup_dir(dest_region, &format!("{}-replica", i.resource_id));
        copy.replicated_from = Some((arn.region.clone(), i.resource_id.clone()));
        copy.replications = Vec::new();
        if let Some(r) = src.backups.get_mut(&i.resource_id) {
            r.replications.push((dest_region.to_owned(), copy.arn.clone()));
        }
        if let Some(inst) = src.instances.get_mut(&id) {
            inst.replications.push(copy.arn.clone());
        }
        state
            .region(dest_region)
            .backups
            .insert(i.resource_id.clone(), copy.clone());
        Ok(copy)
    }

    /// StopDBInstanceAutomatedBackupsReplication, called in `dest_region`.
    pub fn stop_replication(&self, dest_region: &str, source_arn: &str) -> Result<AutomatedBackup, RdsError> {
        let arn = Arn::parse(source_arn)
            .ok()
            .filter(|a| a.service == "rds" && a.resource.starts_with("db:"))
            .ok_or_else(|| {
                RdsError::InvalidParameterValue(format!("Invalid SourceDBInstanceArn: {source_arn}"))
            })?;
        let id = arn.resource.trim_start_matches("db:").to_owned();
        let mut state = self.state.lock();
        let dest = state.region(dest_region);
        let record = dest
            .backups
            .values_mut()
            .find(|b| {
                b.instance_arn == source_arn && b.replicated_from.is_some() && b.status == "replicating"
            })
            .ok_or_else(|| {
                RdsError::InvalidDBInstanceState(format!(
                    "Automated backups of DB instance {id} are not being replicated to {dest_region}."
                ))
            })?;
        record.status = "retained".to_owned();
        let copy = record.clone();
        let src = state.region(&arn.region);
        if let Some((_, rid)) = &copy.replicated_from
            && let Some(b) = src.backups.get_mut(rid)
        {
            b.replications.retain(|(r, _)| r != dest_region);
        }
        if let Some(i) = src.instances.get_mut(&id) {
            i.replications.retain(|a| a != &copy.arn);
        }
        Ok(copy)
    }

    /// DeleteDBInstanceAutomatedBackup.
    pub fn delete_automated_backup(
        &self,
        region: &str,
        rid: Option<&str>,
        arn: Option<&str>,
    ) -> Result<AutomatedBackup, RdsError> {
        let mut state = self.state.lock();
        let reg = state.region(region);
        let key = reg
            .backups
            .iter()
            .find(|(_, b)| rid.is_some_and(|r| b.resource_id == r) || arn.is_some_and(|a| b.arn == a))
            .map(|(k, _)| k.clone())
            .ok_or_else(|| {
                RdsError::DBInstanceAutomatedBackupNotFound("Automated backup not found.".to_owned())
            })?;
        if reg.backups[&key].status == "active" {
            return Err(RdsError::InvalidDBInstanceAutomatedBackupState(
                "Automated backups of a running instance cannot be deleted; set its retention to 0 instead."
                    .to_owned(),
            ));
        }
        let mut b = reg.backups.remove(&key).expect("found above");
        let _ = std::fs::remove_dir_all(&b.dir);
        b.status = "deleting".to_owned();
        Ok(b)
    }

    // ----- tags -----

    fn tags_of<'a>(&self, reg: &'a mut Region, arn: &Arn) -> Result<&'a mut Vec<(String, String)>, RdsError> {
        let (kind, id) = arn
            .resource
            .split_once(':')
            .ok_or_else(|| RdsError::InvalidParameterValue(format!("Invalid resource name: {arn}")))?;
        match kind {
            "db" => reg
                .instances
                .get_mut(id)
                .map(|i| &mut i.tags)
                .ok_or_else(|| RdsError::instance_not_found(id)),
            "snapshot" => reg
                .snapshots
                .get_mut(id)
                .map(|s| &mut s.tags)
                .ok_or_else(|| RdsError::snapshot_not_found(id)),
            "cluster" => reg
                .clusters
                .get_mut(id)
                .map(|c| &mut c.tags)
                .ok_or_else(|| RdsError::cluster_not_found(id)),
            "auto-backup" => {
                let full = arn.to_string();
                reg.backups
                    .values_mut()
                    .find(|b| b.arn == full)
                    .map(|b| &mut b.tags)
                    .ok_or_else(|| {
                        RdsError::DBInstanceAutomatedBackupNotFound(format!(
                            "Automated backup {full} not found."
                        ))
                    })
            }
            _ => Err(RdsError::InvalidParameterValue(format!(
                "Unsupported resource type for tagging: {kind}."
            ))),
        }
    }

    fn parse_resource_arn(&self, name: &str) -> Result<Arn, RdsError> {
        Arn::parse(name)
            .ok()
            .filter(|a| a.service == "rds")
            .ok_or_else(|| RdsError::InvalidParameterValue(format!("Invalid resource name: {name}")))
    }

    /// Runs `f` on the tags of a group named by `arn`, when it names one
    /// (`None` for other resources); an unknown group is not found.
    fn with_group_tags<T>(
        &self,
        arn: &Arn,
        f: impl FnOnce(&mut Vec<(String, String)>) -> T,
    ) -> Option<Result<T, RdsError>> {
        let (kind, name) = arn.resource.split_once(':')?;
        if !["subgrp", "pg", "cluster-pg", "og"].contains(&kind) {
            return None;
        }
        let key = name.to_ascii_lowercase();
        Some(
            self.groups
                .tags_mut(&arn.region, kind, &key, f)
                .ok_or_else(|| match kind {
                    "subgrp" => RdsError::subnet_group_not_found(name),
                    "pg" => RdsError::parameter_group_not_found(name),
                    "cluster-pg" => RdsError::cluster_parameter_group_not_found(name),
                    _ => RdsError::option_group_not_found(name),
                }),
        )
    }

    /// AddTagsToResource.
    pub fn add_tags(&self, name: &str, tags: Vec<(String, String)>) -> Result<(), RdsError> {
        let arn = self.parse_resource_arn(name)?;
        if let Some(r) = self.with_group_tags(&arn, |list| merge_tags(list, tags.clone())) {
            return r?;
        }
        let mut state = self.state.lock();
        let reg = state.region(&arn.region);
        merge_tags(self.tags_of(reg, &arn)?, tags)
    }

    /// ListTagsForResource.
    pub fn list_tags(&self, name: &str) -> Result<Vec<(String, String)>, RdsError> {
        let arn = self.parse_resource_arn(name)?;
        if let Some(r) = self.with_group_tags(&arn, |list| list.clone()) {
            return r;
        }
        let mut state = self.state.lock();
        let reg = state.region(&arn.region);
        Ok(self.tags_of(reg, &arn)?.clone())
    }

    /// RemoveTagsFromResource.
    pub fn remove_tags(&self, name: &str, keys: &[String]) -> Result<(), RdsError> {
        let arn = self.parse_resource_arn(name)?;
        if let Some(r) = self.with_group_tags(&arn, |list| list.retain(|(k, _)| !keys.contains(k))) {
            return r;
        }
        let mut state = self.state.lock();
        let reg = state.region(&arn.region);
        self.tags_of(reg, &arn)?.retain(|(k, _)| !keys.contains(k));
        Ok(())
    }

    // ----- clusters -----

    /// CreateDBCluster.
    pub fn create_cluster(&self, region: &str, req: CreateCluster) -> Result<Cluster, RdsError> {
        let id = validate::identifier("DBClusterIdentifier", &req.id)?;
        if req.engine != catalog::AURORA_POSTGRES {
            return Err(if catalog::AWS_ENGINES.contains(&req.engine.as_str()) {
                RdsError::InvalidParameterValue(format!(
                    "Invalid DB engine: {}. firedrill emulates Aurora clusters with engine aurora-postgresql only.",
                    req.engine
                ))
            } else {
                RdsError::InvalidParameterValue(format!("Invalid DB engine: {}", req.engine))
            });
        }
        let version = validate::engine_version(catalog::AURORA_POSTGRES, req.engine_version.as_deref())?;
        let master_username = validate::master_username(req.master_username.as_deref())?;
        let password = validate::password(req.master_password.as_deref())?;
        let db_name = req.database_name.as_deref().map(validate::db_name).transpose()?;
        let retention = req.retention.unwrap_or(1);
        if !(1..=35).contains(&retention) {
            return Err(RdsError::InvalidParameterValue(
                "Invalid backup retention period: Aurora's BackupRetentionPeriod must be from 1 to 35."
                    .to_owned(),
            ));
        }
        validate::port("Port", req.port)?;
        validate::one_of(
            "StorageType",
            req.storage_type.as_deref(),
            catalog::AURORA_STORAGE_TYPES,
        )?;
        let parameter_group =
            self.cluster_parameter_group(region, req.parameter_group.as_deref(), &version)?;
        let window = validate::backup_window(req.backup_window.as_deref().unwrap_or("03:00-03:30"))?;
        validate::windows_disjoint(&window, DEFAULT_MAINTENANCE_WINDOW)?;
        self.pg.binaries()?;
        let now = self.now();
        let rid = format!("cluster-{}", resource_suffix());
        let cluster = Cluster {
            id: id.clone(),
            arn: format!("arn:aws:rds:{region}:{}:cluster:{id}", self.account()),
            resource_id: rid.clone(),
            engine: catalog::AURORA_POSTGRES.to_owned(),
            engine_version: version.version.to_owned(),
            parameter_group,
            storage_type: req.storage_type.clone().unwrap_or_else(|| "aurora".to_owned()),
            status: "creating".to_owned(),
            master_username: master_username.clone(),
            database_name: db_name.clone(),
            port: 5432,
            retention,
            backup_window: window.clone(),
            maintenance_window: "sun:05:00-sun:05:30".to_owned(),
            create_time: now,
            members: Vec::new(),
            tags: req.tags.clone(),
            earliest_restorable: None,
            latest_restorable: None,
            work: Work::Running,
            status_since: now,
            next_status: "available".to_owned(),
        };
        {
            let mut state = self.state.lock();
            let reg = state.region(region);
            if reg.clusters.contains_key(&id) {
                return Err(RdsError::DBClusterAlreadyExists(
                    "DB Cluster already exists".to_owned(),
                ));
            }
            let mut record = self.new_automated_backup(
                region,
                BackupKind::Cluster,
                &rid,
                &id,
                &cluster.arn,
                retention,
                &window,
                &master_username,
                db_name.clone(),
                now,
            );
            record.engine_version = cluster.engine_version.clone();
            record.storage.storage_type = cluster.storage_type.clone();
            reg.backups.insert(rid.clone(), record);
            reg.clusters.insert(id.clone(), cluster.clone());
        }
        let me = self.arc();
        let region = region.to_owned();
        let origin = Origin::Fresh {
            master_username,
            master_password: password,
            db_name,
        };
        self.spawn(async move {
            let result = me
                .provision(&region, Owner::Cluster(id.clone()), &rid, origin, true)
                .await;
            me.finish_work(&region, &Owner::Cluster(id), result.map(|_| ()));
        });
        Ok(cluster)
    }

    /// DescribeDBClusters.
    pub fn describe_clusters(&self, region: &str, id: Option<&str>) -> Result<Vec<Cluster>, RdsError> {
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let list = describe_selection(&reg.clusters, id, ":cluster:", RdsError::cluster_not_found)?;
        Ok(list
            .into_iter()
            .map(|mut c| {
                if let Some((e, l)) = reg.backups.get(&c.resource_id).and_then(|b| self.window(b, now)) {
                    c.earliest_restorable = Some(e);
                    c.latest_restorable = Some(l);
                }
                c
            })
            .collect())
    }

    /// DeleteDBCluster (no final cluster snapshots in firedrill).
    pub fn delete_cluster(
        &self,
        region: &str,
        id: &str,
        skip_final: bool,
        final_id: Option<&str>,
    ) -> Result<Cluster, RdsError> {
        let id = id.to_ascii_lowercase();
        if !skip_final || final_id.is_some() {
            return Err(RdsError::InvalidParameterCombination(
                "firedrill does not take final DB cluster snapshots: delete the cluster with SkipFinalSnapshot.".to_owned(),
            ));
        }
        let cluster = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let c = reg
                .clusters
                .get_mut(&id)
                .ok_or_else(|| RdsError::cluster_not_found(&id))?;
            if !c.members.is_empty() {
                return Err(RdsError::InvalidDBClusterState(
                    "Cluster cannot be deleted, it still contains DB instances in non-deleting state."
                        .to_owned(),
                ));
            }
            if c.status != "available" && c.status != "failed" {
                return Err(RdsError::InvalidDBClusterState(format!(
                    "DB cluster {id} is {}.",
                    c.status
                )));
            }
            c.status = "deleting".to_owned();
            c.next_status = "deleted".to_owned();
            c.work = Work::Running;
            c.status_since = self.now();
            c.clone()
        };
        let me = self.arc();
        let region = region.to_owned();
        let c = cluster.clone();
        self.spawn(async move {
            let server = me.state.lock().region(&region).servers.remove(&c.resource_id);
            if let Some(server) = server {
                server.stop_async(StopMode::Fast).await;
            }
            let _ = std::fs::remove_dir_all(me.instance_dir(&c.resource_id));
            let removed = me.state.lock().region(&region).backups.remove(&c.resource_id);
            if let Some(b) = removed {
                let _ = std::fs::remove_dir_all(&b.dir);
            }
            me.finish_work(&region, &Owner::Cluster(c.id.clone()), Ok(()));
        });
        Ok(cluster)
    }

    /// RestoreDBClusterToPointInTime.
    pub fn restore_cluster_to_point_in_time(
        &self,
        region: &str,
        req: RestoreClusterPitr,
    ) -> Result<Cluster, RdsError> {
        let target = validate::identifier("DBClusterIdentifier", &req.target_id)?;
        match (req.restore_time.is_some(), req.use_latest) {
            (true, true) => {
                return Err(RdsError::InvalidParameterCombination(
                    "Cannot specify both RestoreToTime and UseLatestRestorableTime.".to_owned(),
                ));
            }
            (false, false) => {
                return Err(RdsError::InvalidParameterCombination(
                    "Either RestoreToTime or UseLatestRestorableTime must be specified.".to_owned(),
                ));
            }
            _ => {}
        }
        self.pg.binaries()?;
        let now = self.now();
        let source_id = req.source_id.to_ascii_lowercase();
        let (cluster, origin) = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let src = reg
                .clusters
                .get(&source_id)
                .cloned()
                .ok_or_else(|| RdsError::cluster_not_found(&source_id))?;
            if reg.clusters.contains_key(&target) {
                return Err(RdsError::DBClusterAlreadyExists(
                    "DB Cluster already exists".to_owned(),
                ));
            }
            let record = reg.backups.get(&src.resource_id).cloned().ok_or_else(|| {
                RdsError::InvalidRestore(format!("DB cluster {source_id} has no automated backups."))
            })?;
            let (base, archive, target_rec, _) =
                self.plan_pitr(&record, req.restore_time, &format!("DB cluster {source_id}"))?;
            let rid = format!("cluster-{}", resource_suffix());
            let cluster = Cluster {
                id: target.clone(),
                arn: format!("arn:aws:rds:{region}:{}:cluster:{target}", self.account()),
                resource_id: rid.clone(),
                status: "creating".to_owned(),
                create_time: now,
                members: Vec::new(),
                tags: req.tags.clone(),
                earliest_restorable: None,
                latest_restorable: None,
                work: Work::Running,
                status_since: now,
                next_status: "available".to_owned(),
                ..src.clone()
            };
            let mut record = self.new_automated_backup(
                region,
                BackupKind::Cluster,
                &rid,
                &target,
                &cluster.arn,
                cluster.retention,
                &cluster.backup_window,
                &cluster.master_username,
                cluster.database_name.clone(),
                now,
            );
            record.engine_version = cluster.engine_version.clone();
            record.storage.storage_type = cluster.storage_type.clone();
            reg.backups.insert(rid.clone(), record);
            reg.clusters.insert(target.clone(), cluster.clone());
            (
                cluster,
                Origin::Pitr {
                    base,
                    archive,
                    target: target_rec,
                },
            )
        };
        let me = self.arc();
        let region = region.to_owned();
        let c = cluster.clone();
        self.spawn(async move {
            let result = me
                .provision(
                    &region,
                    Owner::Cluster(c.id.clone()),
                    &c.resource_id,
                    origin,
                    true,
                )
                .await;
            me.finish_work(&region, &Owner::Cluster(c.id.clone()), result.map(|_| ()));
        });
        Ok(cluster)
    }

    // ----- time -----

    /// One archive cycle for the server of `rid`: a marker when commits
    /// happened since the last one, else coverage moves up to now.
    async fn archive_cycle(&self, region: &str, rid: &str, force: bool) -> Result<(), RdsError> {
        let (server, archive, marker_xid) = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let Some(server) = reg.servers.get(rid).cloned() else {
                return Ok(());
            };
            let Some(b) = reg.backups.get(rid) else {
                return Ok(());
            };
            if b.status != "active" || b.base_backups.is_empty() {
                return Ok(());
            }
            (server, b.archive(), b.marker.as_ref().map(|m| m.xid.clone()))
        };
        let (last, server_now) = self.pg.last_commit(&server).await?;
        let quiet = marker_xid.is_some() && last == marker_xid && !force;
        if quiet {
            let mut state = self.state.lock();
            if let Some(b) = state.region(region).backups.get_mut(rid) {
                let c = server_now - Duration::milliseconds(10);
                if b.coverage_wall.is_none_or(|old| c > old) {
                    b.coverage_wall = Some(c);
                }
            }
            return Ok(());
        }
        if last == marker_xid && force {
            return Ok(());
        }
        let marker = self.pg.archive_marker(&server, &archive).await?;
        let mut state = self.state.lock();
        if let Some(b) = state.region(region).backups.get_mut(rid) {
            apply_marker(b, marker);
        }
        Ok(())
    }

    /// Lets the engine act on the clock having reached `now`.
    pub async fn tick(&self, now: DateTime<Utc>) {
        self.transitions(now);
        let wall = std::time::Instant::now();
        // Archive cycles, daily base backups, retention.
        let mut cycles = Vec::new();
        let mut daily = Vec::new();
        {
            let mut state = self.state.lock();
            let State {
                regions,
                cycles: last,
                backing_up,
            } = &mut *state;
            for (name, reg) in regions.iter_mut() {
                if reg.down {
                    continue;
                }
                let available: std::collections::HashSet<&str> = reg
                    .instances
                    .values()
                    .filter(|i| i.status == "available")
                    .map(|i| i.resource_id.as_str())
                    .chain(
                        reg.clusters
                            .values()
                            .filter(|c| c.status == "available")
                            .map(|c| c.resource_id.as_str()),
                    )
                    .collect();
                for (rid, b) in &reg.backups {
                    if b.status != "active" || !reg.servers.contains_key(rid) {
                        continue;
                    }
                    if b.base_backups.is_empty() {
                        // A first backup that failed (or never ran) is retried.
                        if available.contains(rid.as_str()) && !backing_up.contains(rid) {
                            daily.push((name.clone(), rid.clone()));
                        }
                        continue;
                    }
                    let due = match last.get(rid) {
                        None => true,
                        Some((w, e)) => {
                            let wall_elapsed = wall.duration_since(*w);
                            let emu_elapsed = (now - *e).to_std().unwrap_or_default();
                            wall_elapsed >= std::time::Duration::from_secs(1)
                                || emu_elapsed > wall_elapsed + std::time::Duration::from_secs(1)
                        }
                    };
                    if due {
                        last.insert(rid.clone(), (wall, now));
                        cycles.push((name.clone(), rid.clone()));
                    }
                    if let (Some(start), Some(latest)) =
                        (last_window_start(&b.backup_window, now), b.base_backups.last())
                        && latest.end_emulated < start
                        && b.instance_create_time < start
                    {
                        daily.push((name.clone(), rid.clone()));
                    }
                }
            }
        }
        for (region, rid) in &daily {
            tracing::info!(region, rid, "daily automated backup");
            if let Err(e) = self.take_base_backup(region, rid).await {
                tracing::warn!(region, rid, error = %e, "daily backup failed");
            }
        }
        for (region, rid) in cycles {
            if let Err(e) = self.archive_cycle(&region, &rid, false).await {
                tracing::debug!(region, rid, error = %e, "archive cycle failed");
            }
        }
        self.replicate().await;
        self.prune(now);
        self.events.prune(now);
        self.apply_pending(now).await;
    }

    fn transitions(&self, now: DateTime<Utc>) {
        let delay = self.delay();
        let mut state = self.state.lock();
        let mut happened: Vec<(String, Event)> = Vec::new();
        for (region, reg) in state.regions.iter_mut() {
            let mut note = |e: Event| happened.push((region.clone(), e));
            let mut gone = Vec::new();
            let cluster_ready: HashMap<String, bool> = reg
                .clusters
                .iter()
                .map(|(k, c)| (k.clone(), c.status == "available"))
                .collect();
            for i in reg.instances.values_mut() {
                if i.work == Work::Done
                    && now >= i.status_since + delay
                    && i.cluster_id.as_ref().is_none_or(|c| {
                        cluster_ready.get(c).copied().unwrap_or(false) || i.status == "deleting"
                    })
                {
                    for (category, message) in instance_events(i) {
                        note(Event::of(
                            events::DB_INSTANCE,
                            &i.id,
                            &i.arn,
                            category,
                            message,
                            now,
                        ));
                    }
                    if i.next_status == "deleted" {
                        gone.push(i.id.clone());
                    } else {
                        i.status = i.next_status.clone();
                        i.work = Work::Idle;
                    }
                } else if let Work::Failed(_) = i.work {
                    note(Event::of(
                        events::DB_INSTANCE,
                        &i.id,
                        &i.arn,
                        "failure",
                        "The DB instance has failed due to an incompatible configuration or an underlying storage issue.",
                        now,
                    ));
                    i.status = "failed".to_owned();
                    i.work = Work::Idle;
                }
            }
            for id in gone {
                reg.instances.remove(&id);
            }
            let mut gone = Vec::new();
            for c in reg.clusters.values_mut() {
                if c.work == Work::Done && now >= c.status_since + delay {
                    if c.next_status == "deleted" {
                        note(Event::of(
                            events::DB_CLUSTER,
                            &c.id,
                            &c.arn,
                            "deletion",
                            "DB cluster deleted",
                            now,
                        ));
                        gone.push(c.id.clone());
                    } else {
                        if c.status == "creating" {
                            note(Event::of(
                                events::DB_CLUSTER,
                                &c.id,
                                &c.arn,
                                "creation",
                                "DB cluster created",
                                now,
                            ));
                        }
                        c.status = c.next_status.clone();
                        c.work = Work::Idle;
                    }
                } else if let Work::Failed(_) = c.work {
                    note(Event::of(
                        events::DB_CLUSTER,
                        &c.id,
                        &c.arn,
                        "failure",
                        "DB cluster failed",
                        now,
                    ));
                    c.status = "failed".to_owned();
                    c.work = Work::Idle;
                }
            }
            for id in gone {
                reg.clusters.remove(&id);
            }
            let mut gone = Vec::new();
            for s in reg.snapshots.values_mut() {
                match &s.work {
                    Work::Done if now >= s.status_since + delay => {
                        note(snapshot_done_event(s, now));
                        s.status = "available".to_owned();
                        s.percent = 100;
                        s.work = Work::Idle;
                    }
                    Work::Failed(_) => gone.push(s.id.clone()),
                    _ => {}
                }
            }
            for id in gone {
                if let Some(s) = reg.snapshots.remove(&id) {
                    let _ = std::fs::remove_dir_all(&s.dir);
                }
            }
        }
        drop(state);
        for (region, e) in happened {
            self.events.record(&region, [e]);
        }
    }

    /// Drops base backups (and the WAL before them) no restore inside the
    /// retention window needs, and retained records whose window is over.
    fn prune(&self, now: DateTime<Utc>) {
        let mut state = self.state.lock();
        for reg in state.regions.values_mut() {
            let mut expired = Vec::new();
            for (rid, b) in reg.backups.iter_mut() {
                let horizon = now - Duration::days(b.retention.max(1) as i64);
                let mut removed = false;
                while b.base_backups.len() > 1 && b.base_backups[1].end_emulated <= horizon {
                    let old = b.base_backups.remove(0);
                    let _ = std::fs::remove_dir_all(&old.dir);
                    removed = true;
                }
                if removed && let Some(first) = b.base_backups.first() {
                    postgres::prune_archive(&b.archive(), &first.start_wal);
                }
                let coverage = b.coverage_wall.map(|c| self.env.clock.emulated_time_for(c));
                if b.status == "retained" && coverage.is_some_and(|c| c < horizon) {
                    expired.push(rid.clone());
                }
            }
            for rid in expired {
                if let Some(b) = reg.backups.remove(&rid) {
                    tracing::info!(rid, "retained automated backups expired");
                    let _ = std::fs::remove_dir_all(&b.dir);
                }
            }
        }
    }

    async fn apply_pending(&self, now: DateTime<Utc>) {
        let due: Vec<(String, String, String, i32, i32)> = {
            let mut state = self.state.lock();
            let mut due = Vec::new();
            for (name, reg) in state.regions.iter_mut() {
                for i in reg.instances.values_mut() {
                    if let (Some(r), Some(at)) = (i.pending_retention, i.pending_apply_at)
                        && now >= at
                        && i.status == "available"
                    {
                        due.push((name.clone(), i.id.clone(), i.resource_id.clone(), i.retention, r));
                        i.retention = r;
                        i.pending_retention = None;
                        i.pending_apply_at = None;
                    }
                }
            }
            due
        };
        for (region, id, rid, old, new) in due {
            if let Err(e) = self.apply_retention(&region, &id, &rid, old, new).await {
                tracing::warn!(region, id, error = %e, "pending retention change failed");
            }
        }
    }

    /// Copies new base backups and archived WAL of replicated records from
    /// their source regions (skipped while either region is down).
    async fn replicate(&self) {
        let jobs: Vec<(String, String, AutomatedBackup, AutomatedBackup)> = {
            let mut state = self.state.lock();
            let mut jobs = Vec::new();
            let snapshot: Vec<(String, String, AutomatedBackup)> = state
                .regions
                .iter()
                .filter(|(_, r)| !r.down)
                .flat_map(|(name, r)| {
                    r.backups
                        .iter()
                        .filter(|(_, b)| b.status == "replicating")
                        .map(move |(k, b)| (name.clone(), k.clone(), b.clone()))
                })
                .collect();
            for (dest, key, copy) in snapshot {
                let Some((src_region, src_rid)) = copy.replicated_from.clone() else {
                    continue;
                };
                let src = state.region(&src_region);
                if src.down {
                    continue;
                }
                match src.backups.get(&src_rid) {
                    Some(source) => jobs.push((dest, key, copy, source.clone())),
                    None => {
                        if let Some(b) = state.region(&dest).backups.get_mut(&key) {
                            b.status = "retained".to_owned();
                        }
                    }
                }
            }
            jobs
        };
        for (dest, key, copy, source) in jobs {
            if let Err(e) = self.replicate_one(&dest, &key, &copy, &source).await {
                tracing::warn!(dest, key, error = %e, "backup replication failed");
            }
        }
    }

    async fn replicate_one(
        &self,
        dest: &str,
        key: &str,
        copy: &AutomatedBackup,
        source: &AutomatedBackup,
    ) -> Result<(), RdsError> {
        // Read the source's coverage before listing its files: everything
        // the coverage claims is in the files listed afterwards.
        let marker = source.marker.clone();
        let coverage = source.coverage_wall;
        let archive = copy.archive();
        self.pg.make_dir(&archive)?;
        let mut new_bases = Vec::new();
        for b in &source.base_backups {
            if copy.base_backups.iter().any(|c| c.name == b.name) {
                continue;
            }
            let dest_dir = copy.dir.join("base").join(&b.name);
            self.pg.copy_tree(&b.dir, &dest_dir).await?;
            new_bases.push(BaseBackup {
                dir: dest_dir,
                ..b.clone()
            });
        }
        if let Ok(entries) = std::fs::read_dir(source.archive()) {
            for e in entries.flatten() {
                let name = e.file_name();
                let target = archive.join(&name);
                if name.to_string_lossy().ends_with(".tmp") || target.exists() {
                    continue;
                }
                let tmp = archive.join(format!("{}.tmp", name.to_string_lossy()));
                if std::fs::copy(e.path(), &tmp).is_ok() && self.pg.own(&tmp).is_ok() {
                    let _ = std::fs::rename(&tmp, &target);
                }
            }
        }
        tracing::debug!(
            dest,
            key,
            marker = ?marker,
            files = std::fs::read_dir(&archive).map(|d| d.count()).unwrap_or(0),
            bases = new_bases.len(),
            "replicated automated backups"
        );
        let mut state = self.state.lock();
        if let Some(b) = state.region(dest).backups.get_mut(key) {
            b.base_backups.extend(new_bases);
            b.base_backups.sort_by_key(|x| x.end_wall);
            if let Some(m) = marker {
                apply_marker(b, m);
            }
            if let Some(c) = coverage
                && b.coverage_wall.is_none_or(|old| c > old)
            {
                b.coverage_wall = Some(c);
            }
        }
        Ok(())
    }

    // ----- outages and lifecycle -----

    /// Stops every server of `region` (clean shutdown); instances keep their
    /// status and data.
    pub async fn stop_region_servers(&self, region: &str) {
        let servers: Vec<(String, Arc<PgServer>)> = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.down = true;
            let servers: Vec<_> = reg.servers.drain().collect();
            reg.outage_stopped = servers.iter().map(|(k, _)| k.clone()).collect();
            servers
        };
        let stops = servers.iter().map(|(_, s)| s.stop_async(StopMode::Fast));
        futures_join_all(stops).await;
        tracing::info!(region, count = servers.len(), "region servers stopped");
    }

    /// Restarts the servers an outage stopped.
    pub async fn start_region_servers(&self, region: &str) {
        let rids = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.down = false;
            std::mem::take(&mut reg.outage_stopped)
        };
        for rid in rids {
            let port = {
                let mut state = self.state.lock();
                let reg = state.region(region);
                reg.instances
                    .values()
                    .find(|i| i.resource_id == rid)
                    .map(|i| i.port)
                    .or_else(|| {
                        reg.clusters
                            .values()
                            .find(|c| c.resource_id == rid)
                            .map(|c| c.port)
                    })
            };
            match self.pg.start(&self.spec(region, &rid, None), port).await {
                Ok(server) => self.install_server(region, &rid, server),
                Err(e) => {
                    tracing::error!(region, rid, error = %e, "could not restart a server after the outage")
                }
            }
        }
    }

    /// Forgets everything: stops servers, removes files.
    pub async fn reset(&self) {
        let servers: Vec<Arc<PgServer>> = {
            let mut state = self.state.lock();
            let servers = state
                .regions
                .values_mut()
                .flat_map(|r| r.servers.drain().map(|(_, s)| s))
                .collect();
            *state = State::default();
            servers
        };
        self.groups.reset();
        self.events.reset();
        for s in &servers {
            s.stop_async(StopMode::Immediate).await;
        }
        for sub in ["instances", "backups", "snapshots"] {
            let _ = std::fs::remove_dir_all(self.pg.root.join(sub));
        }
    }

    /// Stops everything and removes every file (synchronous).
    pub fn shutdown(&self) {
        let servers: Vec<Arc<PgServer>> = {
            let mut state = self.state.lock();
            let servers = state
                .regions
                .values_mut()
                .flat_map(|r| r.servers.drain().map(|(_, s)| s))
                .collect();
            *state = State::default();
            servers
        };
        self.groups.reset();
        self.events.reset();
        for s in &servers {
            s.stop(StopMode::Immediate);
        }
        self.pg.close();
    }

    // ----- in-process API helpers -----

    /// Every instance ARN of `region` with its tags.
    pub fn instances_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut state = self.state.lock();
        state
            .region(region)
            .instances
            .values()
            .map(|i| (i.arn.clone(), i.tags.clone()))
            .collect()
    }

    /// The endpoint of a running instance.
    pub fn endpoint(&self, region: &str, id: &str) -> Option<(String, u16)> {
        let mut state = self.state.lock();
        let reg = state.region(region);
        let i = reg.instances.get(&id.to_ascii_lowercase())?;
        let rid = match &i.cluster_id {
            Some(c) => reg.clusters.get(c)?.resource_id.clone(),
            None => i.resource_id.clone(),
        };
        reg.servers.get(&rid).map(|s| ("127.0.0.1".to_owned(), s.port))
    }

    /// Waits (bounded by `timeout` of wall time) until `id` is `available`.
    pub async fn wait_available(
        &self,
        region: &str,
        id: &str,
        timeout: std::time::Duration,
    ) -> Result<Instance, RdsError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            self.transitions(self.now());
            let i = self.describe_instances_one(region, id)?;
            if i.status == "available" {
                return Ok(i);
            }
            if i.status == "failed" {
                return Err(RdsError::InternalFailure(format!("instance {id} failed")));
            }
            if std::time::Instant::now() > deadline {
                return Err(RdsError::InternalFailure(format!(
                    "instance {id} did not become available within {timeout:?} (status {})",
                    i.status
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Records an audit event.
    pub fn record_audit(&self, region: &str, event: &str, resource: &str, result: &Result<(), RdsError>) {
        self.audit(region, event, resource, result);
    }
}

/// Adds or replaces `tags` in `list`, refusing more than 50 (the list is
/// left as it was then).
fn merge_tags(list: &mut Vec<(String, String)>, tags: Vec<(String, String)>) -> Result<(), RdsError> {
    let mut merged = list.clone();
    for (k, v) in tags {
        merged.retain(|(ek, _)| ek != &k);
        merged.push((k, v));
    }
    if merged.len() > 50 {
        return Err(RdsError::InvalidParameterValue(
            "A resource can have at most 50 tags.".to_owned(),
        ));
    }
    *list = merged;
    Ok(())
}

/// The events of an instance whose status moves on now (its current
/// status and the next one), as `(category, message)`.
fn instance_events(i: &Instance) -> Vec<(&'static str, String)> {
    match (i.status.as_str(), i.next_status.as_str()) {
        ("creating" | "backing-up", "available") => {
            let mut out = vec![("creation", "DB instance created".to_owned())];
            if let Some(m) = &i.restored_from {
                out.push(("restoration", m.clone()));
            }
            out
        }
        ("rebooting", _) => vec![("availability", "DB instance restarted".to_owned())],
        ("stopping", _) => vec![("notification", "DB instance stopped".to_owned())],
        ("starting", _) => vec![("notification", "DB instance started".to_owned())],
        ("modifying", _) => vec![(
            "configuration change",
            "Finished applying modification to DB instance".to_owned(),
        )],
        (_, "deleted") => vec![("deletion", "DB instance deleted".to_owned())],
        _ => Vec::new(),
    }
}

/// The event of a snapshot that is complete.
fn snapshot_done_event(s: &Snapshot, now: DateTime<Utc>) -> Event {
    let message = match (&s.source_snapshot, s.snapshot_type.as_str()) {
        (Some(src), _) => format!("Finished copy of snapshot {src}"),
        (None, "automated") => "Automated snapshot created".to_owned(),
        (None, _) => "Manual snapshot created".to_owned(),
    };
    Event::of(events::DB_SNAPSHOT, &s.id, &s.arn, "creation", message, now)
}

/// A restore time as RDS events write it.
fn recovery_time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn apply_marker(b: &mut AutomatedBackup, marker: Marker) {
    if b.marker
        .as_ref()
        .is_none_or(|m| marker.commit_wall > m.commit_wall)
    {
        if b.coverage_wall.is_none_or(|c| marker.commit_wall > c) {
            b.coverage_wall = Some(marker.commit_wall);
        }
        b.marker = Some(marker);
    }
}

fn snapshot_key(id: &str) -> String {
    match Arn::parse(id) {
        Ok(arn) => arn.resource.trim_start_matches("snapshot:").to_owned(),
        Err(_) => id.to_ascii_lowercase(),
    }
}

async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    for f in futures {
        f.await;
    }
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
