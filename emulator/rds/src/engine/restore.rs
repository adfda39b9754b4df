//! Point-in-time restore of DB instances (RestoreDBInstanceToPointInTime):
//! which automated backups a request reads, which base backup and recovery
//! target serve instant T, and the record of a restored instance.

use super::instances::DEFAULT_MAINTENANCE_WINDOW;
use super::provision::Origin;
use super::records::*;
use super::{DEFAULT_AZ_SUFFIX, Engine, Owner, Region, Work, resource_suffix};
use crate::catalog;
use crate::errors::RdsError;
use crate::groups::Groups;
use crate::process::RecoveryTarget;
use crate::validate::{self, Settings, Storage};
use chrono::{DateTime, Utc};
use firedrill_emu_core::LongOperation;
use firedrill_emu_core::timing::{ModelledOperation, Operation, Workload};
use std::path::PathBuf;

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

/// What a restored instance is made of: its source's values with the
/// request's overrides applied.
#[derive(Debug, Clone)]
pub(super) struct RestoreBase {
    pub(super) engine: String,
    pub(super) class: String,
    pub(super) engine_version: String,
    pub(super) master_username: String,
    pub(super) db_name: Option<String>,
    pub(super) retention: i32,
    pub(super) backup_window: String,
    pub(super) storage: Storage,
    pub(super) groups: Groups,
    pub(super) availability_zone: Option<String>,
    pub(super) tags: Vec<(String, String)>,
    pub(super) copy_tags_to_snapshot: bool,
    pub(super) deletion_protection: bool,
}

/// An allocated storage size in GiB, in bytes.
pub(super) fn allocated_bytes(gib: i32) -> u64 {
    u64::try_from(gib).unwrap_or(0) * 1024 * 1024 * 1024
}

/// The bytes of archived log a point-in-time restore from `base` replays:
/// every file in `archive` written since the base backup's files were (the
/// whole archive when that cannot be told).
pub(super) fn log_bytes_since(archive: &std::path::Path, base: &std::path::Path) -> u64 {
    let since = std::fs::metadata(base).and_then(|m| m.modified()).ok();
    let Ok(entries) = std::fs::read_dir(archive) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file() && since.is_none_or(|t| m.modified().is_ok_and(|w| w >= t)))
        .map(|m| m.len())
        .sum()
}

/// The bytes of every file under `dir` (a snapshot's or base backup's
/// copy: what an Aurora volume holds, as it has no allocated storage), or
/// of `dir` itself when it is a file.
pub(super) fn dir_bytes(dir: &std::path::Path) -> u64 {
    if let Ok(m) = std::fs::metadata(dir)
        && m.is_file()
    {
        return m.len();
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// A restore time as RDS events write it.
pub(super) fn recovery_time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Engine {
    pub(super) fn new_restored_instance(
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
            port: catalog::default_port(&from.engine),
            engine: from.engine,
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
            storage: from.storage,
            parameter_group: from.groups.parameter_group,
            option_group: from.groups.option_group,
            subnet_group: from.groups.subnet_group,
            availability_zone: from
                .availability_zone
                .unwrap_or_else(|| format!("{region}{DEFAULT_AZ_SUFFIX}")),
            secondary_az: None,
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
            modelled_ready: None,
            replica_of: None,
            replica_ids: Vec::new(),
            replication_status: None,
        }
    }

    pub(super) fn insert_restored(&self, reg: &mut Region, region: &str, instance: &Instance) {
        if instance.retention > 0 {
            let mut record = self.new_automated_backup(
                region,
                BackupKind::Instance,
                &instance.engine,
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

    /// The restore-time model's plan for `operation` on `resource`, starting
    /// now; the caller records it (`env.timings.record`) once the request is
    /// accepted, so a refused request is never timed.
    pub(super) fn plan(
        &self,
        operation: Operation,
        resource: &str,
        region: &str,
        workload: Workload,
    ) -> ModelledOperation {
        self.env.plan_long_operation(
            LongOperation {
                operation,
                resource,
                region,
                workload,
            },
            self.delay(),
        )
    }

    /// The restore-time model's plan for restoring into `instance`, which
    /// stays `creating` until the plan's end; the caller records it once the
    /// restore is accepted.
    pub(super) fn plan_restore(
        &self,
        operation: Operation,
        region: &str,
        instance: &mut Instance,
        workload: Workload,
    ) -> ModelledOperation {
        let plan = self.plan(operation, &instance.id, region, workload);
        instance.modelled_ready = Some(plan.completes_at);
        plan
    }

    pub(super) fn spawn_restore(&self, region: &str, instance: &Instance, origin: Origin) {
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
    pub(super) fn pitr_record(&self, reg: &Region, source: &PitrSource) -> Result<AutomatedBackup, RdsError> {
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
    pub(super) fn plan_pitr(
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
            RecoveryTarget::Marker(marker.id.clone())
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
        let mut checked = validate::settings(region, &req.settings, &version, &source.storage)?;
        self.usable_key(region, &mut checked.storage)?;
        let groups = self.instance_groups(region, &req.settings, &version)?;
        let backup_window = window.unwrap_or_else(|| source.backup_window.clone());
        validate::windows_disjoint(&backup_window, DEFAULT_MAINTENANCE_WINDOW)?;
        self.db(&source.engine)?.available()?;
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
                    engine: record.engine.clone(),
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
            let workload = Workload {
                bytes: allocated_bytes(instance.storage.allocated),
                log_bytes: log_bytes_since(&archive, &base),
                ..Workload::default()
            };
            let restoring = self.plan_restore(
                Operation::RdsRestoreToPointInTime,
                region,
                &mut instance,
                workload,
            );
            self.insert_restored(reg, region, &instance);
            self.env.timings.record(restoring);
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
}
