//! DB snapshots: CreateDBSnapshot (and the snapshots taken for stops,
//! final snapshots and AWS Backup), CopyDBSnapshot within and across
//! regions, DeleteDBSnapshot, DescribeDBSnapshots and
//! RestoreDBInstanceFromDBSnapshot.

use super::instances::DEFAULT_MAINTENANCE_WINDOW;
use super::provision::Origin;
use super::records::*;
use super::restore::RestoreBase;
use super::{DEFAULT_AZ_SUFFIX, Engine, Work};
use crate::errors::RdsError;
use crate::events::{self, Event};
use crate::validate::{self, Settings};
use chrono::{DateTime, Utc};
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::timing::{Operation, Workload};

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

/// The region and identifier of the snapshot a copy was made from (RDS
/// events name both).
fn copy_source(s: &Snapshot, source_arn: &str) -> (String, String) {
    let region = match Arn::parse(source_arn) {
        Ok(arn) => arn.region,
        Err(_) => s.source_region.clone().unwrap_or_default(),
    };
    (region, snapshot_key(source_arn))
}

/// The event of a copy that has started: RDS-EVENT-0059 across regions,
/// RDS-EVENT-0196 within one.
fn copy_started_event(s: &Snapshot, now: DateTime<Utc>) -> Event {
    let (region, id) = copy_source(s, s.source_snapshot.as_deref().unwrap_or_default());
    let message = if s.source_region.is_some() {
        format!("Started copy of snapshot {id} from region {region}")
    } else {
        format!("Started copy of snapshot {id} in region {region}")
    };
    Event::of(events::DB_SNAPSHOT, &s.id, &s.arn, "notification", message, now)
}

/// The event of a snapshot that is complete: RDS-EVENT-0042 (manual),
/// RDS-EVENT-0091 (automated), and for a copy RDS-EVENT-0060 across
/// regions (with its length in minutes) or RDS-EVENT-0197 within one.
pub(super) fn snapshot_done_event(s: &Snapshot, now: DateTime<Utc>) -> Event {
    let (category, message) = match (&s.source_snapshot, s.snapshot_type.as_str()) {
        (Some(src), _) => {
            let (region, id) = copy_source(s, src);
            let message = if s.source_region.is_some() {
                let minutes = (now - s.create_time).num_minutes().max(0);
                format!("Finished copy of snapshot {id} from region {region} in {minutes} minutes")
            } else {
                format!("Finished copy of snapshot {id} in region {region}")
            };
            ("notification", message)
        }
        (None, "automated") => ("creation", "Automated snapshot created".to_owned()),
        (None, _) => ("creation", "Manual snapshot created".to_owned()),
    };
    Event::of(events::DB_SNAPSHOT, &s.id, &s.arn, category, message, now)
}

/// The percentage of a modelled copy done at `now` (at most 99 until the
/// copy is complete).
pub(super) fn modelled_percent(
    since: DateTime<Utc>,
    ready: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<i32> {
    let total = (ready? - since).num_milliseconds();
    if total <= 0 {
        return None;
    }
    let done = (now - since).num_milliseconds().clamp(0, total);
    i32::try_from(done.saturating_mul(100) / total)
        .ok()
        .map(|p| p.min(99))
}

pub(super) fn snapshot_key(id: &str) -> String {
    match Arn::parse(id) {
        Ok(arn) => arn.resource.trim_start_matches("snapshot:").to_owned(),
        Err(_) => id.to_ascii_lowercase(),
    }
}

impl Engine {
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

    pub(super) fn begin_snapshot(
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
            dir: self.run.root.join("snapshots").join(region).join(format!(
                "{snapshot_id}-{}",
                firedrill_emu_core::ids::random_hex(6)
            )),
            work: Work::Running,
            status_since: now,
            modelled_ready: None,
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

    pub(super) async fn fill_snapshot(&self, region: &str, snap: &Snapshot) -> Result<(), RdsError> {
        let server = self
            .state
            .lock()
            .region(region)
            .servers
            .get(&snap.resource_id)
            .cloned();
        match server {
            Some(server) => {
                server.base_backup(&snap.dir).await?;
            }
            None => {
                // A stopped instance: its data directory is clean and can be copied cold.
                let data = self.instance_dir(&snap.resource_id).join("data");
                self.run.copy_tree(&data, &snap.dir).await?;
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
    #[allow(clippy::too_many_arguments)]
    pub async fn copy_snapshot(
        &self,
        dest_region: &str,
        source: &str,
        target_id: &str,
        tags: Vec<(String, String)>,
        copy_tags: bool,
        wait: bool,
        kms_key_id: Option<String>,
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
            // The copy is encrypted with the key asked for (in the
            // destination region), else the source's; it must be usable.
            let mut storage = src.storage.clone();
            let key_region = match kms_key_id.clone().filter(|k| !validate::aws_managed_key(k)) {
                Some(k) => {
                    storage.kms_key_id = Some(k);
                    dest_region
                }
                None => src_region.as_str(),
            };
            self.usable_key(key_region, &mut storage)?;
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
            let mut copy = Snapshot {
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
                    .run
                    .root
                    .join("snapshots")
                    .join(dest_region)
                    .join(format!("{target_id}-{}", firedrill_emu_core::ids::random_hex(6))),
                work: Work::Running,
                status_since: now,
                availability_zone: format!("{dest_region}{DEFAULT_AZ_SUFFIX}"),
                modelled_ready: None,
                storage,
                ..src.clone()
            };
            // AWS Backup's copies (`wait`) are timed by its copy job; a
            // CopyDBSnapshot call stays `creating` for the model's time.
            let copying = (!wait).then(|| {
                let operation = if copy.source_region.is_some() {
                    Operation::RdsCrossRegionSnapshotCopy
                } else {
                    Operation::RdsSnapshotCopy
                };
                let workload = Workload {
                    bytes: super::restore::allocated_bytes(src.storage.allocated),
                    ..Workload::default()
                };
                let plan = self.plan(operation, &target_id, dest_region, workload);
                copy.modelled_ready = Some(plan.completes_at);
                plan
            });
            dest.snapshots.insert(target_id.clone(), copy.clone());
            if let Some(plan) = copying {
                self.env.timings.record(plan);
            }
            (copy, src.dir)
        };
        let (copy, src_dir) = copy;
        self.events.record(dest_region, [copy_started_event(&copy, now)]);
        let me = self.arc();
        let region = dest_region.to_owned();
        let c = copy.clone();
        let work = async move {
            let result = me.run.copy_tree(&src_dir, &c.dir).await;
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
        let mut checked = validate::settings(region, &req.settings, &version, &snap.storage)?;
        self.usable_key(region, &mut checked.storage)?;
        let mut settings = req.settings.clone();
        settings.option_group = settings.option_group.or_else(|| Some(snap.option_group.clone()));
        let groups = self.instance_groups(region, &settings, &version)?;
        let backup_window = window.unwrap_or_else(|| snap.backup_window.clone());
        validate::windows_disjoint(&backup_window, DEFAULT_MAINTENANCE_WINDOW)?;
        self.db(&snap.engine)?.available()?;
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
                    engine: snap.engine.clone(),
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
            let workload = Workload {
                bytes: super::restore::allocated_bytes(instance.storage.allocated),
                ..Workload::default()
            };
            let restoring =
                self.plan_restore(Operation::RdsRestoreFromSnapshot, region, &mut instance, workload);
            self.insert_restored(reg, region, &instance);
            self.env.timings.record(restoring);
            (instance, snap.dir.clone())
        };
        self.spawn_restore(region, &instance, Origin::Snapshot(dir));
        Ok(instance)
    }
}
