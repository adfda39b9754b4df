//! DB instances: CreateDBInstance, ModifyDBInstance, RebootDBInstance (with
//! ForceFailover on Multi-AZ instances), StopDBInstance (refused for read
//! replicas and their sources), StartDBInstance, DeleteDBInstance and
//! DescribeDBInstances, plus the endpoint and availability waits the
//! in-process API offers.

use super::provision::*;
use super::records::*;
use super::ticks::next_maintenance_start;
use super::{DEFAULT_AZ_SUFFIX, Engine, Owner, Work, describe_selection, resource_suffix};
use crate::catalog;
use crate::errors::RdsError;
use crate::process::{DbServer, StopMode};
use crate::validate::{self, Settings, Storage};
use std::sync::Arc;

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
    pub multi_az: bool,
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
    pub multi_az: Option<bool>,
}

/// Input of DeleteDBInstance.
#[derive(Debug, Clone, Default)]
pub struct DeleteInstance {
    pub id: String,
    pub skip_final_snapshot: bool,
    pub final_snapshot_id: Option<String>,
    pub delete_automated_backups: bool,
}

/// The maintenance window of an instance whose request names none.
pub const DEFAULT_MAINTENANCE_WINDOW: &str = "sun:05:00-sun:05:30";

impl Engine {
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
        let mut checked = validate::settings(region, &req.settings, &version, &Storage::default())?;
        self.usable_key(region, &mut checked.storage)?;
        if req.multi_az && checked.availability_zone.is_some() {
            return Err(RdsError::InvalidParameterCombination(
                "Requesting a specific availability zone is not valid for Multi-AZ instances.".to_owned(),
            ));
        }
        let groups = self.instance_groups(region, &req.settings, &version)?;
        self.db(engine)?.available()?;
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
            port: catalog::default_port(engine),
            storage: checked.storage,
            parameter_group: groups.parameter_group,
            option_group: groups.option_group,
            subnet_group: groups.subnet_group,
            availability_zone: checked
                .availability_zone
                .unwrap_or_else(|| format!("{region}{DEFAULT_AZ_SUFFIX}")),
            secondary_az: req.multi_az.then(|| standby_zone(region, DEFAULT_AZ_SUFFIX)),
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
            modelled_ready: None,
            replica_of: None,
            replica_ids: Vec::new(),
            replication_status: None,
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
                    engine,
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

    /// DescribeDBInstances.
    pub fn describe_instances(&self, region: &str, id: Option<&str>) -> Result<Vec<Instance>, RdsError> {
        let now = self.now();
        let mut state = self.state.lock();
        let reg = state.region(region);
        let mut list = describe_selection(&reg.instances, id, ":db:", RdsError::instance_not_found)?;
        Self::describe_replication(&state.regions, region, &mut list);
        let reg = state.region(region);
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

    pub(super) fn with_instance<T>(
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

    pub(super) fn begin(&self, i: &mut Instance, status: &str, next: &str) {
        i.status = status.to_owned();
        i.next_status = next.to_owned();
        i.work = Work::Running;
        i.status_since = self.now();
    }

    pub(super) fn require_available(i: &Instance) -> Result<(), RdsError> {
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
            match req.multi_az {
                Some(true) if i.secondary_az.is_none() => {
                    let suffix = i.availability_zone.strip_prefix(region).unwrap_or(DEFAULT_AZ_SUFFIX);
                    i.secondary_az = Some(standby_zone(region, suffix));
                }
                Some(false) => i.secondary_az = None,
                _ => {}
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
                        server.set_master_password(&username, &p).await?;
                    }
                }
                Ok::<(), RdsError>(())
            }
            .await;
            me.finish_work(&region, &Owner::Instance(id), result);
        });
        Ok(instance)
    }

    /// RebootDBInstance. With `force_failover` (Multi-AZ instances only) the
    /// standby takes over: the instance's zone and its standby's swap, and
    /// the endpoint stays the same.
    pub fn reboot_instance(
        &self,
        region: &str,
        id: &str,
        force_failover: bool,
    ) -> Result<Instance, RdsError> {
        let instance = self.with_instance(region, id, |i| {
            if force_failover && i.secondary_az.is_none() {
                return Err(RdsError::InvalidParameterCombination(
                    "ForceFailover can only be used with a Multi-AZ DB instance.".to_owned(),
                ));
            }
            Self::require_available(i)?;
            if force_failover && let Some(standby) = i.secondary_az.take() {
                i.secondary_az = Some(std::mem::replace(&mut i.availability_zone, standby));
            }
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

    pub(super) fn describe_instances_one(&self, region: &str, id: &str) -> Result<Instance, RdsError> {
        self.describe_instances(region, Some(id))?
            .into_iter()
            .next()
            .ok_or_else(|| RdsError::instance_not_found(id))
    }

    pub(super) async fn restart_owner_server(
        &self,
        region: &str,
        instance: &Instance,
    ) -> Result<(), RdsError> {
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
        let port = old.as_ref().map(|s| s.port());
        if let Some(old) = old {
            old.stop_async(StopMode::Fast).await;
        }
        let server = self.start_server(region, &rid, port).await?;
        self.install_server(region, &rid, server);
        Ok(())
    }

    pub(super) fn install_server(&self, region: &str, rid: &str, server: Arc<dyn DbServer>) {
        let mut state = self.state.lock();
        let reg = state.region(region);
        let port = server.port();
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
        if self.has_replicas(region, id) {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "Cannot stop DB instance {id}: it has read replicas."
            )));
        }
        let instance = self.with_instance(region, id, |i| {
            if i.cluster_id.is_some() {
                return Err(RdsError::InvalidDBInstanceState(
                    "Cannot stop an instance that is a member of an Aurora cluster; stop the cluster instead.".to_owned(),
                ));
            }
            if i.replica_of.is_some() {
                return Err(RdsError::InvalidDBInstanceState(format!(
                    "Cannot stop DB instance {}: it is a read replica.",
                    i.id
                )));
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
                    .start_server(&region, &instance.resource_id, Some(instance.port))
                    .await?;
                me.install_server(&region, &instance.resource_id, server);
                Ok(())
            }
            .await;
            me.finish_work(&region, &Owner::Instance(instance.id.clone()), result);
        });
        self.describe_instances_one(region, id)
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
                me.detach_replicas(&region, &instance.id).await;
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

    /// The endpoint of a running instance.
    pub fn endpoint(&self, region: &str, id: &str) -> Option<(String, u16)> {
        let mut state = self.state.lock();
        let reg = state.region(region);
        let i = reg.instances.get(&id.to_ascii_lowercase())?;
        let rid = match &i.cluster_id {
            Some(c) => reg.clusters.get(c)?.resource_id.clone(),
            None => i.resource_id.clone(),
        };
        reg.servers.get(&rid).map(|s| ("127.0.0.1".to_owned(), s.port()))
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
}

/// The zone of a Multi-AZ instance's standby: another zone of `region` than
/// the primary's (`primary_suffix`, e.g. `a`).
fn standby_zone(region: &str, primary_suffix: &str) -> String {
    let suffix = if primary_suffix == "b" { "c" } else { "b" };
    format!("{region}{suffix}")
}
