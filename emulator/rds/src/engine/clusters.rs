//! Aurora clusters (aurora-postgresql and aurora-mysql): CreateDBCluster,
//! DescribeDBClusters, ModifyDBCluster, DeleteDBCluster (refused while
//! deletion protection is on; with a final cluster snapshot unless
//! skipped), RestoreDBClusterToPointInTime (on the restore-time model:
//! `creating` until the model's end for the base backup's bytes and the log
//! it replays), and the member instances CreateDBInstance adds to a
//! cluster.

use super::instances::{CreateInstance, DEFAULT_MAINTENANCE_WINDOW};
use super::provision::Origin;
use super::records::*;
use super::restore::{dir_bytes, log_bytes_since};
use super::{DEFAULT_AZ_SUFFIX, Engine, Owner, Region, Work, describe_selection, resource_suffix};
use crate::catalog;
use crate::errors::RdsError;
use crate::process::StopMode;
use crate::validate::{self, Storage};
use chrono::{DateTime, Utc};
use firedrill_emu_core::timing::{Operation, Workload};

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
    pub deletion_protection: bool,
}

/// Input of ModifyDBCluster (the backup and protection settings).
#[derive(Debug, Clone, Default)]
pub struct ModifyCluster {
    pub id: String,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: Option<bool>,
}

/// Input of RestoreDBClusterToPointInTime.
#[derive(Debug, Clone)]
pub struct RestoreClusterPitr {
    pub target_id: String,
    pub source_id: String,
    pub restore_time: Option<DateTime<Utc>>,
    pub use_latest: bool,
    pub tags: Vec<(String, String)>,
    pub deletion_protection: bool,
}

impl Engine {
    pub(super) fn create_cluster_member(
        &self,
        region: &str,
        id: &str,
        cluster_id: &str,
        req: &CreateInstance,
        now: DateTime<Utc>,
    ) -> Result<Instance, RdsError> {
        let cluster_id = cluster_id.to_ascii_lowercase();
        let (cluster_engine, cluster_version) = {
            let mut state = self.state.lock();
            let cluster = state
                .region(region)
                .clusters
                .get(&cluster_id)
                .ok_or_else(|| RdsError::cluster_not_found(&cluster_id))?;
            (cluster.engine.clone(), cluster.engine_version.clone())
        };
        if req.engine != cluster_engine {
            return Err(RdsError::InvalidParameterCombination(format!(
                "The engine name requested for your DB instance ({}) doesn't match the engine name of your DB cluster ({cluster_engine}).",
                req.engine
            )));
        }
        let version = validate::engine_version(&cluster_engine, Some(&cluster_version))?;
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
            engine: cluster.engine.clone(),
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
                ..Storage::default()
            },
            parameter_group: groups.parameter_group,
            option_group: groups.option_group,
            subnet_group: groups.subnet_group,
            availability_zone: checked
                .availability_zone
                .unwrap_or_else(|| format!("{region}{DEFAULT_AZ_SUFFIX}")),
            secondary_az: None,
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
            modelled_ready: None,
            replica_of: None,
            replica_ids: Vec::new(),
            replication_status: None,
        };
        reg.instances.insert(id.to_owned(), instance.clone());
        Ok(instance)
    }

    /// CreateDBCluster.
    pub fn create_cluster(&self, region: &str, req: CreateCluster) -> Result<Cluster, RdsError> {
        let id = validate::identifier("DBClusterIdentifier", &req.id)?;
        let Some(engine) = [catalog::AURORA_POSTGRES, catalog::AURORA_MYSQL]
            .into_iter()
            .find(|e| *e == req.engine)
        else {
            return Err(if catalog::AWS_ENGINES.contains(&req.engine.as_str()) {
                RdsError::InvalidParameterValue(format!(
                    "Invalid DB engine: {}. firedrill emulates Aurora clusters with engine aurora-postgresql or aurora-mysql.",
                    req.engine
                ))
            } else {
                RdsError::InvalidParameterValue(format!("Invalid DB engine: {}", req.engine))
            });
        };
        let version = validate::engine_version(engine, req.engine_version.as_deref())?;
        let master_username = validate::master_username(req.master_username.as_deref())?;
        let password = validate::password(req.master_password.as_deref())?;
        let db_name = req.database_name.as_deref().map(validate::db_name).transpose()?;
        let retention = cluster_retention(req.retention.unwrap_or(1))?;
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
        self.db(engine)?.available()?;
        let now = self.now();
        let rid = format!("cluster-{}", resource_suffix());
        let cluster = Cluster {
            id: id.clone(),
            arn: format!("arn:aws:rds:{region}:{}:cluster:{id}", self.account()),
            resource_id: rid.clone(),
            engine: engine.to_owned(),
            engine_version: version.version.to_owned(),
            parameter_group,
            storage_type: req.storage_type.clone().unwrap_or_else(|| "aurora".to_owned()),
            status: "creating".to_owned(),
            master_username: master_username.clone(),
            database_name: db_name.clone(),
            port: catalog::default_port(engine),
            retention,
            backup_window: window.clone(),
            maintenance_window: "sun:05:00-sun:05:30".to_owned(),
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
        {
            let mut state = self.state.lock();
            let reg = state.region(region);
            if reg.clusters.contains_key(&id) {
                return Err(RdsError::DBClusterAlreadyExists(
                    "DB Cluster already exists".to_owned(),
                ));
            }
            self.insert_cluster(reg, region, &cluster);
        }
        let origin = Origin::Fresh {
            master_username,
            master_password: password,
            db_name,
        };
        self.spawn_cluster_provision(region, &cluster, origin);
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

    /// DeleteDBCluster, with a final cluster snapshot unless
    /// `SkipFinalSnapshot` (taken before the server stops).
    pub fn delete_cluster(
        &self,
        region: &str,
        id: &str,
        skip_final: bool,
        final_id: Option<&str>,
    ) -> Result<Cluster, RdsError> {
        let id = id.to_ascii_lowercase();
        let final_id = final_id
            .map(|s| validate::identifier("FinalDBSnapshotIdentifier", s))
            .transpose()?;
        match (skip_final, &final_id) {
            (false, None) => {
                return Err(RdsError::InvalidParameterCombination(
                    "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.".to_owned(),
                ));
            }
            (true, Some(_)) => {
                return Err(RdsError::InvalidParameterCombination(
                    "Cannot specify a FinalDBSnapshotIdentifier when SkipFinalSnapshot is set.".to_owned(),
                ));
            }
            _ => {}
        }
        let now = self.now();
        let (cluster, final_snapshot) = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            let c = reg
                .clusters
                .get(&id)
                .cloned()
                .ok_or_else(|| RdsError::cluster_not_found(&id))?;
            if c.deletion_protection {
                return Err(RdsError::InvalidParameterCombination(
                    "Cannot delete protected Cluster, please disable deletion protection and try again."
                        .to_owned(),
                ));
            }
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
            let server = reg.servers.get(&c.resource_id).cloned();
            let final_snapshot = match (&final_id, server) {
                (Some(s), Some(server)) => Some((
                    self.begin_cluster_snapshot(reg, region, &c, s, Vec::new(), now)?,
                    server,
                )),
                (Some(_), None) => {
                    return Err(RdsError::InvalidDBClusterState(format!(
                        "DB cluster {id} is not running; a final snapshot cannot be taken."
                    )));
                }
                (None, _) => None,
            };
            let c = reg
                .clusters
                .get_mut(&id)
                .ok_or_else(|| RdsError::cluster_not_found(&id))?;
            c.status = "deleting".to_owned();
            c.next_status = "deleted".to_owned();
            c.work = Work::Running;
            c.status_since = now;
            (c.clone(), final_snapshot)
        };
        let me = self.arc();
        let region = region.to_owned();
        let c = cluster.clone();
        self.spawn(async move {
            if let Some((snap, server)) = final_snapshot {
                let result = server.base_backup(&snap.dir).await;
                me.finish_cluster_snapshot(&region, &snap.id, result.map(|_| ()).map_err(RdsError::from));
            }
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

    /// ModifyDBCluster: backup retention, backup and maintenance windows and
    /// deletion protection, validated as for instances and applied at once
    /// (the cluster's automated backups follow the new retention and window).
    pub fn modify_cluster(&self, region: &str, req: ModifyCluster) -> Result<Cluster, RdsError> {
        let retention = req.retention.map(cluster_retention).transpose()?;
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
        let id = req.id.to_ascii_lowercase();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let c = reg
            .clusters
            .get_mut(&id)
            .ok_or_else(|| RdsError::cluster_not_found(&id))?;
        validate::windows_disjoint(
            window.as_deref().unwrap_or(&c.backup_window),
            mwindow.as_deref().unwrap_or(&c.maintenance_window),
        )?;
        if c.status != "available" {
            return Err(RdsError::InvalidDBClusterState(format!(
                "DB cluster {id} is not in available state."
            )));
        }
        if let Some(r) = retention {
            c.retention = r;
        }
        if let Some(w) = &window {
            c.backup_window = w.clone();
        }
        if let Some(w) = mwindow {
            c.maintenance_window = w;
        }
        if let Some(d) = req.deletion_protection {
            c.deletion_protection = d;
        }
        let cluster = c.clone();
        if let Some(b) = reg.backups.get_mut(&cluster.resource_id) {
            b.retention = cluster.retention;
            b.backup_window = cluster.backup_window.clone();
        }
        Ok(cluster)
    }

    /// FailoverDBCluster: the target member (or, when none is named, the
    /// first reader) becomes the writer; the cluster's endpoint, served by
    /// the cluster's one server, stays the same.
    pub fn failover_cluster(
        &self,
        region: &str,
        id: &str,
        target: Option<&str>,
    ) -> Result<Cluster, RdsError> {
        let id = id.to_ascii_lowercase();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let c = reg
            .clusters
            .get_mut(&id)
            .ok_or_else(|| RdsError::cluster_not_found(&id))?;
        if c.status != "available" {
            return Err(RdsError::InvalidDBClusterState(format!(
                "DB cluster {id} is not in available state."
            )));
        }
        if c.members.is_empty() {
            return Err(RdsError::InvalidDBClusterState(format!(
                "DB cluster {id} has no DB instances to fail over to."
            )));
        }
        let position = match target.map(str::to_ascii_lowercase) {
            Some(t) => c.members.iter().position(|m| *m == t).ok_or_else(|| {
                RdsError::InvalidParameterValue(format!(
                    "The DB instance {t} is not a member of DB cluster {id}."
                ))
            })?,
            None if c.members.len() > 1 => 1,
            None => 0,
        };
        let writer = c.members.remove(position);
        c.members.insert(0, writer);
        Ok(c.clone())
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
        let source_id = req.source_id.to_ascii_lowercase();
        let source_engine = {
            let mut state = self.state.lock();
            state
                .region(region)
                .clusters
                .get(&source_id)
                .map(|c| c.engine.clone())
                .ok_or_else(|| RdsError::cluster_not_found(&source_id))?
        };
        self.db(&source_engine)?.available()?;
        // What the restore reads (the base backup and the log replayed on
        // top of it), measured before the state is locked.
        let record = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.clusters
                .get(&source_id)
                .and_then(|c| reg.backups.get(&c.resource_id))
                .cloned()
        };
        let workload = record
            .and_then(|r| self.plan_pitr(&r, req.restore_time, &source_id).ok())
            .map(|(base, archive, _, _)| Workload {
                bytes: dir_bytes(&base),
                log_bytes: log_bytes_since(&archive, &base),
                ..Workload::default()
            })
            .unwrap_or_default();
        let now = self.now();
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
            let mut cluster = Cluster {
                id: target.clone(),
                arn: format!("arn:aws:rds:{region}:{}:cluster:{target}", self.account()),
                resource_id: rid.clone(),
                status: "creating".to_owned(),
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
                ..src.clone()
            };
            let restoring = self.plan(Operation::RdsClusterRestore, &target, region, workload);
            cluster.modelled_ready = Some(restoring.completes_at);
            self.insert_cluster(reg, region, &cluster);
            self.env.timings.record(restoring);
            (
                cluster,
                Origin::Pitr {
                    base,
                    archive,
                    target: target_rec,
                },
            )
        };
        self.spawn_cluster_provision(region, &cluster, origin);
        Ok(cluster)
    }
    /// Records `cluster` in `reg` with an automated backup record of its own.
    pub(super) fn insert_cluster(&self, reg: &mut Region, region: &str, cluster: &Cluster) {
        let mut record = self.new_automated_backup(
            region,
            BackupKind::Cluster,
            &cluster.engine,
            &cluster.resource_id,
            &cluster.id,
            &cluster.arn,
            cluster.retention,
            &cluster.backup_window,
            &cluster.master_username,
            cluster.database_name.clone(),
            cluster.create_time,
        );
        record.engine_version = cluster.engine_version.clone();
        record.storage.storage_type = cluster.storage_type.clone();
        reg.backups.insert(cluster.resource_id.clone(), record);
        reg.clusters.insert(cluster.id.clone(), cluster.clone());
    }

    /// Brings the server of a new `cluster` up from `origin`, in the
    /// background, with its first base backup.
    pub(super) fn spawn_cluster_provision(&self, region: &str, cluster: &Cluster, origin: Origin) {
        let me = self.arc();
        let region = region.to_owned();
        let id = cluster.id.clone();
        let rid = cluster.resource_id.clone();
        self.spawn(async move {
            let owner = Owner::Cluster(id);
            let result = me.provision(&region, owner.clone(), &rid, origin, true).await;
            me.finish_work(&region, &owner, result.map(|_| ()));
        });
    }
}

/// Checks an Aurora backup retention period (1 to 35 days: a cluster's
/// backups cannot be turned off).
pub(super) fn cluster_retention(days: i32) -> Result<i32, RdsError> {
    if !(1..=35).contains(&days) {
        return Err(RdsError::InvalidParameterValue(
            "Invalid backup retention period: Aurora's BackupRetentionPeriod must be from 1 to 35."
                .to_owned(),
        ));
    }
    Ok(days)
}
