//! DB cluster snapshots: CreateDBClusterSnapshot (a base backup of the
//! cluster's server), DescribeDBClusterSnapshots, CopyDBClusterSnapshot
//! within and across regions, DeleteDBClusterSnapshot and
//! RestoreDBClusterFromSnapshot (a new cluster whose server starts on the
//! snapshot's copy, with automated backups of its own).
//!
//! Automated cluster snapshots are not stored apart: each base backup of
//! an Aurora cluster's automated backups (the first at creation, then one
//! a day in the backup window) is the automated snapshot AWS lists,
//! `rds:<cluster>-YYYY-MM-DD-HH-MM` (its creation minute on the emulator
//! clock), `SnapshotType` `automated`, for as long as the cluster's
//! `BackupRetentionPeriod` keeps it; they go with the cluster's automated
//! backups when it is deleted. They are described (by identifier, ARN,
//! cluster, `SnapshotType=automated` or no type), copied (the copy is a
//! manual snapshot) and restored like manual ones; DeleteDBClusterSnapshot
//! refuses them (`InvalidDBClusterSnapshotStateFault`), as AWS does.
//!
//! AWS Backup's snapshots of a cluster (`cluster_snapshot_now`, type
//! `awsbackup`, named `awsbackup:job-<id>`) and its copies into another
//! region (`copy_cluster_snapshot_now`) or account
//! (`copy_cluster_snapshot_into`) return once `available`: the backup or
//! copy job, not RDS, is timed.
//!
//! Statuses as AWS shows them: `creating` (or `copying` for a copy) until
//! the data is in place and the creation delay passed, then `available`;
//! a deleted snapshot is answered once with `deleted`. Copies and restores
//! take the restore-time model's time (`rds-snapshot-copy`,
//! `rds-cross-region-snapshot-copy`, `rds-cluster-restore`, sized by the
//! snapshot's bytes): a copy stays `copying` (its `PercentProgress`
//! following the model) and a restored cluster `creating` until the model's
//! end, whatever the files do; a refused request is not timed.

use super::provision::Origin;
use super::records::*;
use super::restore::dir_bytes;
use super::snapshots::modelled_percent;
use super::{Engine, Region, Work, resource_suffix};
use crate::errors::RdsError;
use crate::validate;
use chrono::{DateTime, Utc};
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::timing::{Operation, Workload};

/// Input of RestoreDBClusterFromSnapshot.
#[derive(Debug, Clone, Default)]
pub struct RestoreClusterSnapshot {
    pub target_id: String,
    pub snapshot_id: String,
    pub engine: String,
    pub engine_version: Option<String>,
    pub port: Option<i32>,
    pub database_name: Option<String>,
    pub parameter_group: Option<String>,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
    pub tags: Vec<(String, String)>,
    pub deletion_protection: bool,
}

/// Input of CopyDBClusterSnapshot.
#[derive(Debug, Clone, Default)]
pub struct CopyClusterSnapshot {
    /// An identifier in the destination region, or an ARN in any region.
    pub source: String,
    pub target_id: String,
    pub tags: Vec<(String, String)>,
    pub copy_tags: bool,
}

fn already_exists(id: &str) -> RdsError {
    RdsError::DBClusterSnapshotAlreadyExists(format!(
        "Cannot create the cluster snapshot because one with the identifier {id} already exists."
    ))
}

/// The region and identifier a cluster snapshot reference names (an
/// identifier in `region`, or a `cluster-snapshot` ARN).
fn snapshot_ref(region: &str, reference: &str) -> Result<(String, String), RdsError> {
    match Arn::parse(reference) {
        Ok(arn) => {
            let id = arn
                .resource
                .strip_prefix("cluster-snapshot:")
                .filter(|_| arn.service == "rds")
                .ok_or_else(|| {
                    RdsError::InvalidParameterValue(format!(
                        "Invalid DB cluster snapshot identifier: {reference}"
                    ))
                })?;
            Ok((arn.region.clone(), id.to_ascii_lowercase()))
        }
        Err(_) => Ok((region.to_owned(), reference.to_ascii_lowercase())),
    }
}

/// The identifier of the automated snapshot of `cluster` taken at `at`.
fn automated_id(cluster: &str, at: DateTime<Utc>) -> String {
    format!("rds:{cluster}-{}", at.format("%Y-%m-%d-%H-%M"))
}

impl Engine {
    /// The automated snapshots of every cluster of `region` (see the
    /// module docs), oldest first per cluster.
    fn automated_cluster_snapshots(
        &self,
        region: &str,
        reg: &Region,
        now: DateTime<Utc>,
    ) -> Vec<ClusterSnapshot> {
        let mut out: Vec<ClusterSnapshot> = Vec::new();
        for b in reg.backups.values() {
            if b.kind != BackupKind::Cluster || b.status != "active" {
                continue;
            }
            let Some(c) = reg.clusters.get(&b.instance_id) else {
                continue;
            };
            let horizon = now - chrono::Duration::days(i64::from(c.retention.max(1)));
            for base in b.base_backups.iter().filter(|base| base.end_emulated > horizon) {
                let id = automated_id(&c.id, base.end_emulated);
                // Two base backups in one minute: the later one answers.
                out.retain(|s| s.id != id);
                out.push(ClusterSnapshot {
                    arn: format!("arn:aws:rds:{region}:{}:cluster-snapshot:{id}", self.account()),
                    id,
                    cluster_id: c.id.clone(),
                    resource_id: c.resource_id.clone(),
                    snapshot_type: "automated".to_owned(),
                    status: "available".to_owned(),
                    create_time: base.end_emulated,
                    cluster_create_time: c.create_time,
                    engine: c.engine.clone(),
                    engine_version: c.engine_version.clone(),
                    master_username: c.master_username.clone(),
                    database_name: c.database_name.clone(),
                    port: c.port,
                    storage_type: c.storage_type.clone(),
                    retention: c.retention,
                    backup_window: c.backup_window.clone(),
                    tags: Vec::new(),
                    source_arn: None,
                    percent: 100,
                    dir: base.dir.clone(),
                    work: Work::Idle,
                    status_since: base.end_emulated,
                    modelled_ready: None,
                });
            }
        }
        out
    }

    /// The cluster snapshot `id` of `region`, manual or automated.
    fn find_cluster_snapshot(
        &self,
        region: &str,
        reg: &Region,
        id: &str,
        now: DateTime<Utc>,
    ) -> Option<ClusterSnapshot> {
        reg.cluster_snapshots.get(id).cloned().or_else(|| {
            id.starts_with("rds:")
                .then(|| {
                    self.automated_cluster_snapshots(region, reg, now)
                        .into_iter()
                        .find(|s| s.id == id)
                })
                .flatten()
        })
    }

    pub(super) fn cluster_snapshot_dir(&self, region: &str, id: &str) -> std::path::PathBuf {
        self.run
            .root
            .join("snapshots")
            .join(region)
            .join(format!("cluster-{id}-{}", firedrill_emu_core::ids::random_hex(6)))
    }

    /// Records a new manual snapshot `snapshot_id` of cluster `c` as
    /// `creating` (its data is the caller's to fill), refusing an identifier
    /// in use.
    pub(super) fn begin_cluster_snapshot(
        &self,
        reg: &mut Region,
        region: &str,
        c: &Cluster,
        snapshot_id: &str,
        tags: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<ClusterSnapshot, RdsError> {
        if reg.cluster_snapshots.contains_key(snapshot_id) {
            return Err(already_exists(snapshot_id));
        }
        let snap = ClusterSnapshot {
            id: snapshot_id.to_owned(),
            arn: format!(
                "arn:aws:rds:{region}:{}:cluster-snapshot:{snapshot_id}",
                self.account()
            ),
            cluster_id: c.id.clone(),
            resource_id: c.resource_id.clone(),
            snapshot_type: "manual".to_owned(),
            status: "creating".to_owned(),
            create_time: now,
            cluster_create_time: c.create_time,
            engine: c.engine.clone(),
            engine_version: c.engine_version.clone(),
            master_username: c.master_username.clone(),
            database_name: c.database_name.clone(),
            port: c.port,
            storage_type: c.storage_type.clone(),
            retention: c.retention,
            backup_window: c.backup_window.clone(),
            tags,
            source_arn: None,
            percent: 0,
            dir: self.cluster_snapshot_dir(region, snapshot_id),
            work: Work::Running,
            status_since: now,
            modelled_ready: None,
        };
        reg.cluster_snapshots.insert(snapshot_id.to_owned(), snap.clone());
        Ok(snap)
    }

    /// Records snapshot `snapshot_id` of cluster `cluster_id` as `creating`
    /// and returns it with the server whose base backup fills it. A manual
    /// identifier is validated; AWS Backup's (`awsbackup:job-…`, type
    /// `awsbackup`) is its own.
    fn start_cluster_snapshot(
        &self,
        region: &str,
        cluster_id: &str,
        snapshot_id: &str,
        snapshot_type: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(ClusterSnapshot, std::sync::Arc<dyn crate::process::DbServer>), RdsError> {
        let snapshot_id = if snapshot_type == "awsbackup" {
            snapshot_id.to_owned()
        } else {
            validate::identifier("DBClusterSnapshotIdentifier", snapshot_id)?
        };
        let cluster_id = cluster_id.to_ascii_lowercase();
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let c = reg
            .clusters
            .get(&cluster_id)
            .cloned()
            .ok_or_else(|| RdsError::cluster_not_found(&cluster_id))?;
        let server = reg.servers.get(&c.resource_id).cloned();
        let server = match server {
            Some(s) if c.status == "available" => s,
            _ => {
                return Err(RdsError::InvalidDBClusterState(format!(
                    "DB cluster {cluster_id} is not in available state."
                )));
            }
        };
        let mut snap = self.begin_cluster_snapshot(reg, region, &c, &snapshot_id, tags, now)?;
        if snapshot_type != "manual" {
            snap.snapshot_type = snapshot_type.to_owned();
            if let Some(stored) = reg.cluster_snapshots.get_mut(&snapshot_id) {
                stored.snapshot_type = snapshot_type.to_owned();
            }
        }
        Ok((snap, server))
    }

    /// CreateDBClusterSnapshot.
    pub fn create_cluster_snapshot(
        &self,
        region: &str,
        cluster_id: &str,
        snapshot_id: &str,
        tags: Vec<(String, String)>,
    ) -> Result<ClusterSnapshot, RdsError> {
        let (snap, server) = self.start_cluster_snapshot(region, cluster_id, snapshot_id, "manual", tags)?;
        let me = self.arc();
        let region = region.to_owned();
        let s = snap.clone();
        self.spawn(async move {
            let result = server.base_backup(&s.dir).await;
            me.finish_cluster_snapshot(&region, &s.id, result.map(|_| ()).map_err(RdsError::from));
        });
        Ok(snap)
    }

    /// Takes snapshot `snapshot_id` of cluster `cluster_id` now and returns
    /// it once `available` (AWS Backup's backup job of an Aurora cluster:
    /// `snapshot_type` `awsbackup`, the identifier `awsbackup:job-<id>`).
    /// A failed base backup leaves no snapshot behind.
    pub async fn cluster_snapshot_now(
        &self,
        region: &str,
        cluster_id: &str,
        snapshot_id: &str,
        snapshot_type: &str,
    ) -> Result<ClusterSnapshot, RdsError> {
        if !["manual", "awsbackup"].contains(&snapshot_type) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid cluster snapshot type {snapshot_type}: expected manual or awsbackup."
            )));
        }
        let (snap, server) =
            self.start_cluster_snapshot(region, cluster_id, snapshot_id, snapshot_type, Vec::new())?;
        let result = server
            .base_backup(&snap.dir)
            .await
            .map(|_| ())
            .map_err(RdsError::from);
        self.complete_cluster_snapshot_now(region, &snap, result)
    }

    /// Marks a snapshot whose data was filled while the caller waited
    /// `available` and returns it; on `Err` forgets it with its files.
    pub(super) fn complete_cluster_snapshot_now(
        &self,
        region: &str,
        snap: &ClusterSnapshot,
        result: Result<(), RdsError>,
    ) -> Result<ClusterSnapshot, RdsError> {
        let mut state = self.state.lock();
        let reg = state.region(region);
        match result {
            Ok(()) => {
                let s = reg
                    .cluster_snapshots
                    .get_mut(&snap.id)
                    .ok_or_else(|| RdsError::cluster_snapshot_not_found(&snap.id))?;
                s.status = "available".to_owned();
                s.percent = 100;
                s.work = Work::Idle;
                s.modelled_ready = None;
                Ok(s.clone())
            }
            Err(e) => {
                reg.cluster_snapshots.remove(&snap.id);
                let _ = std::fs::remove_dir_all(&snap.dir);
                Err(e)
            }
        }
    }

    pub(super) fn finish_cluster_snapshot(&self, region: &str, id: &str, result: Result<(), RdsError>) {
        let mut state = self.state.lock();
        if let Some(s) = state.region(region).cluster_snapshots.get_mut(id) {
            s.work = match result {
                Ok(()) => Work::Done,
                Err(e) => {
                    tracing::error!(region, id, error = %e, "cluster snapshot failed");
                    Work::Failed(e.to_string())
                }
            };
        }
    }

    /// DescribeDBClusterSnapshots.
    pub fn describe_cluster_snapshots(
        &self,
        region: &str,
        snapshot_id: Option<&str>,
        cluster_id: Option<&str>,
        snapshot_type: Option<&str>,
    ) -> Result<Vec<ClusterSnapshot>, RdsError> {
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        if let Some(reference) = snapshot_id {
            let (_, id) = snapshot_ref(region, reference)?;
            let s = self
                .find_cluster_snapshot(region, reg, &id, now)
                .ok_or_else(|| RdsError::cluster_snapshot_not_found(&id))?;
            return Ok(vec![s]);
        }
        let automated = self.automated_cluster_snapshots(region, reg, now);
        let cluster_id = cluster_id.map(|c| {
            let c = c.to_ascii_lowercase();
            c.rsplit(":cluster:").next().unwrap_or(&c).to_owned()
        });
        Ok(automated
            .into_iter()
            .chain(reg.cluster_snapshots.values().cloned())
            .filter(|s| cluster_id.as_ref().is_none_or(|c| s.cluster_id == *c))
            .filter(|s| snapshot_type.is_none_or(|t| s.snapshot_type == t))
            .collect())
    }

    /// DeleteDBClusterSnapshot.
    pub fn delete_cluster_snapshot(
        &self,
        region: &str,
        reference: &str,
    ) -> Result<ClusterSnapshot, RdsError> {
        let (_, id) = snapshot_ref(region, reference)?;
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let Some(s) = reg.cluster_snapshots.get(&id) else {
            if self.find_cluster_snapshot(region, reg, &id, now).is_some() {
                return Err(RdsError::InvalidDBClusterSnapshotState(
                    "Only manual snapshots may be deleted.".to_owned(),
                ));
            }
            return Err(RdsError::cluster_snapshot_not_found(&id));
        };
        if s.status != "available" {
            return Err(RdsError::InvalidDBClusterSnapshotState(format!(
                "Cannot delete the cluster snapshot {id} because it is {}.",
                s.status
            )));
        }
        let mut s = reg
            .cluster_snapshots
            .remove(&id)
            .ok_or_else(|| RdsError::cluster_snapshot_not_found(&id))?;
        let _ = std::fs::remove_dir_all(&s.dir);
        s.status = "deleted".to_owned();
        Ok(s)
    }

    /// CopyDBClusterSnapshot, into `dest_region` from a snapshot of the same
    /// region (identifier or ARN) or of another (ARN).
    pub fn copy_cluster_snapshot(
        &self,
        dest_region: &str,
        req: CopyClusterSnapshot,
    ) -> Result<ClusterSnapshot, RdsError> {
        let target_id = validate::identifier("TargetDBClusterSnapshotIdentifier", &req.target_id)?;
        let (copy, src_dir) = self.begin_cluster_snapshot_copy(dest_region, req, &target_id, true)?;
        let me = self.arc();
        let region = dest_region.to_owned();
        let c = copy.clone();
        self.spawn(async move {
            let result = me.run.copy_tree(&src_dir, &c.dir).await;
            me.finish_cluster_snapshot(&region, &c.id, result.map_err(RdsError::from));
        });
        Ok(copy)
    }

    /// Copies cluster snapshot `source` (an ARN, or an identifier in
    /// `dest_region`) into `dest_region` as `target_id` and returns the
    /// copy once `available`: AWS Backup's copy job of an Aurora recovery
    /// point (the identifier `awsbackup:copyjob-…` is AWS Backup's own; the
    /// copy job, not RDS, is timed by the restore-time model).
    pub async fn copy_cluster_snapshot_now(
        &self,
        dest_region: &str,
        source: &str,
        target_id: &str,
    ) -> Result<ClusterSnapshot, RdsError> {
        let target_id = if target_id.starts_with("awsbackup:") {
            target_id.to_owned()
        } else {
            validate::identifier("TargetDBClusterSnapshotIdentifier", target_id)?
        };
        let req = CopyClusterSnapshot {
            source: source.to_owned(),
            target_id: target_id.clone(),
            tags: Vec::new(),
            copy_tags: true,
        };
        let (copy, src_dir) = self.begin_cluster_snapshot_copy(dest_region, req, &target_id, false)?;
        let result = self
            .run
            .copy_tree(&src_dir, &copy.dir)
            .await
            .map_err(RdsError::from);
        self.complete_cluster_snapshot_now(dest_region, &copy, result)
    }

    /// Records the copy `target_id` of `req.source` in `dest_region` as
    /// `copying` (on the restore-time model when `timed`) and returns it
    /// with the source's directory, whose files the caller copies.
    fn begin_cluster_snapshot_copy(
        &self,
        dest_region: &str,
        req: CopyClusterSnapshot,
        target_id: &str,
        timed: bool,
    ) -> Result<(ClusterSnapshot, std::path::PathBuf), RdsError> {
        let target_id = target_id.to_owned();
        let (src_region, src_id) = snapshot_ref(dest_region, &req.source)?;
        if !self.env.config.serves_region(&src_region) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid source region {src_region}."
            )));
        }
        // The copy's size is what the source snapshot holds, read before
        // the state is locked (no lock is held across I/O).
        let now = self.now();
        let src_dir = {
            let mut state = self.state.lock();
            let reg = state.region(&src_region);
            self.find_cluster_snapshot(&src_region, reg, &src_id, now)
                .map(|s| s.dir)
        };
        let bytes = src_dir.as_deref().map_or(0, dir_bytes);
        let (copy, src_dir) = {
            let mut state = self.state.lock();
            let src_reg = state.region(&src_region);
            let src = self
                .find_cluster_snapshot(&src_region, src_reg, &src_id, now)
                .ok_or_else(|| RdsError::cluster_snapshot_not_found(&src_id))?;
            if src_reg.down {
                return Err(RdsError::InvalidDBClusterSnapshotState(format!(
                    "The source region {src_region} is unavailable."
                )));
            }
            if src.status != "available" {
                return Err(RdsError::InvalidDBClusterSnapshotState(format!(
                    "Cluster snapshot {src_id} is not available; it is {}.",
                    src.status
                )));
            }
            let dest = state.region(dest_region);
            if dest.cluster_snapshots.contains_key(&target_id) {
                return Err(already_exists(&target_id));
            }
            let mut tags = if req.copy_tags {
                src.tags.clone()
            } else {
                Vec::new()
            };
            for (k, v) in req.tags {
                tags.retain(|(ek, _)| *ek != k);
                tags.push((k, v));
            }
            let mut copy = ClusterSnapshot {
                id: target_id.clone(),
                arn: format!(
                    "arn:aws:rds:{dest_region}:{}:cluster-snapshot:{target_id}",
                    self.account()
                ),
                snapshot_type: "manual".to_owned(),
                status: "copying".to_owned(),
                create_time: now,
                tags,
                source_arn: Some(src.arn.clone()),
                percent: 0,
                dir: self.cluster_snapshot_dir(dest_region, &target_id),
                work: Work::Running,
                status_since: now,
                modelled_ready: None,
                ..src.clone()
            };
            let operation = if src_region == dest_region {
                Operation::RdsSnapshotCopy
            } else {
                Operation::RdsCrossRegionSnapshotCopy
            };
            let workload = Workload {
                bytes,
                ..Workload::default()
            };
            let copying = timed.then(|| self.plan(operation, &target_id, dest_region, workload));
            copy.modelled_ready = copying.as_ref().map(|c| c.completes_at);
            dest.cluster_snapshots.insert(target_id.clone(), copy.clone());
            if let Some(copying) = copying {
                self.env.timings.record(copying);
            }
            (copy, src.dir)
        };
        Ok((copy, src_dir))
    }

    /// RestoreDBClusterFromSnapshot.
    pub fn restore_cluster_from_snapshot(
        &self,
        region: &str,
        req: RestoreClusterSnapshot,
    ) -> Result<Cluster, RdsError> {
        let target = validate::identifier("DBClusterIdentifier", &req.target_id)?;
        let retention = req
            .retention
            .map(super::clusters::cluster_retention)
            .transpose()?;
        let window = req
            .backup_window
            .as_deref()
            .map(validate::backup_window)
            .transpose()?;
        validate::port("Port", req.port)?;
        let db_name = req.database_name.as_deref().map(validate::db_name).transpose()?;
        let (_, snap_id) = snapshot_ref(region, &req.snapshot_id)?;
        let now = self.now();
        let snap = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            self.find_cluster_snapshot(region, reg, &snap_id, now)
                .ok_or_else(|| RdsError::cluster_snapshot_not_found(&snap_id))?
        };
        if req.engine != snap.engine {
            return Err(RdsError::InvalidParameterCombination(format!(
                "The engine {} does not match the engine of DB cluster snapshot {snap_id} ({}).",
                req.engine, snap.engine
            )));
        }
        let version = validate::engine_version(
            &snap.engine,
            Some(req.engine_version.as_deref().unwrap_or(&snap.engine_version)),
        )?;
        let parameter_group =
            self.cluster_parameter_group(region, req.parameter_group.as_deref(), &version)?;
        self.db(&snap.engine)?.available()?;
        let bytes = dir_bytes(&snap.dir);
        let cluster = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let snap = self
                .find_cluster_snapshot(region, reg, &snap_id, now)
                .ok_or_else(|| RdsError::cluster_snapshot_not_found(&snap_id))?;
            if snap.status != "available" {
                return Err(RdsError::InvalidDBClusterSnapshotState(format!(
                    "Cluster snapshot {snap_id} is not available; it is {}.",
                    snap.status
                )));
            }
            if reg.clusters.contains_key(&target) {
                return Err(RdsError::DBClusterAlreadyExists(
                    "DB Cluster already exists".to_owned(),
                ));
            }
            let rid = format!("cluster-{}", resource_suffix());
            let mut cluster = Cluster {
                id: target.clone(),
                arn: format!("arn:aws:rds:{region}:{}:cluster:{target}", self.account()),
                resource_id: rid.clone(),
                engine: snap.engine.clone(),
                engine_version: version.version.to_owned(),
                parameter_group,
                storage_type: snap.storage_type.clone(),
                status: "creating".to_owned(),
                master_username: snap.master_username.clone(),
                database_name: db_name.or_else(|| snap.database_name.clone()),
                port: crate::catalog::default_port(&snap.engine),
                retention: retention.unwrap_or(snap.retention),
                backup_window: window.unwrap_or_else(|| snap.backup_window.clone()),
                maintenance_window: super::instances::DEFAULT_MAINTENANCE_WINDOW.to_owned(),
                create_time: now,
                members: Vec::new(),
                tags: req.tags.clone(),
                earliest_restorable: None,
                latest_restorable: None,
                deletion_protection: req.deletion_protection,
                work: Work::Running,
                status_since: now,
                next_status: "available".to_owned(),
                modelled_ready: None,
            };
            let workload = Workload {
                bytes,
                ..Workload::default()
            };
            let restoring = self.plan(Operation::RdsClusterRestore, &target, region, workload);
            cluster.modelled_ready = Some(restoring.completes_at);
            self.insert_cluster(reg, region, &cluster);
            self.env.timings.record(restoring);
            cluster
        };
        tracing::info!(region, cluster = %cluster.id, snapshot = %snap_id, "cluster restore from snapshot");
        self.spawn_cluster_provision(region, &cluster, Origin::Snapshot(snap.dir.clone()));
        Ok(cluster)
    }

    /// Moves cluster snapshots whose work is done to `available` once the
    /// creation delay passed, and forgets failed ones (with their files).
    pub(super) fn cluster_snapshot_transitions(&self, reg: &mut super::Region, now: DateTime<Utc>) {
        let delay = self.delay();
        let mut gone = Vec::new();
        for s in reg.cluster_snapshots.values_mut() {
            if s.work != Work::Idle
                && let Some(p) = modelled_percent(s.status_since, s.modelled_ready, now)
            {
                s.percent = p;
            }
            match &s.work {
                Work::Done if now >= s.status_since + delay && s.modelled_ready.is_none_or(|r| now >= r) => {
                    s.status = "available".to_owned();
                    s.percent = 100;
                    s.work = Work::Idle;
                }
                Work::Failed(_) => gone.push(s.id.clone()),
                _ => {}
            }
        }
        for id in gone {
            if let Some(s) = reg.cluster_snapshots.remove(&id) {
                let _ = std::fs::remove_dir_all(&s.dir);
            }
        }
    }
}
