//! Cross-region replication of automated backups
//! (StartDBInstanceAutomatedBackupsReplication and its Stop): the copy
//! record in the destination region, and the tick's copying of new base
//! backups and archived log from the source. The first copy takes the
//! restore-time model's `rds-cross-region-snapshot-copy` time for the
//! instance's storage: until it ends the destination holds nothing to
//! restore (no restorable window), as on AWS.

use super::Engine;
use super::automated_backups::apply_marker;
use super::records::*;
use super::restore::allocated_bytes;
use crate::errors::RdsError;
use crate::validate;
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::timing::{Operation, Workload};

impl Engine {
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
        // The first copy (the latest base backup and the log since) takes
        // the model's time for a cross-region snapshot copy of the
        // instance's storage; the tick copies nothing in before it ends.
        let first_copy = self.plan(
            Operation::RdsCrossRegionSnapshotCopy,
            &copy.arn,
            dest_region,
            Workload {
                bytes: allocated_bytes(i.storage.allocated),
                ..Workload::default()
            },
        );
        copy.modelled_ready = Some(first_copy.completes_at);
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
        self.env.timings.record(first_copy);
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

    /// Copies new base backups and archived WAL of replicated records from
    /// their source regions (skipped while either region is down, and until
    /// the modelled first copy has ended).
    pub(super) async fn replicate(&self) {
        let now = self.now();
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
                        .filter(|(_, b)| {
                            b.status == "replicating" && b.modelled_ready.is_none_or(|r| now >= r)
                        })
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

    pub(super) async fn replicate_one(
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
        self.run.make_dir(&archive)?;
        let mut new_bases = Vec::new();
        for b in &source.base_backups {
            if copy.base_backups.iter().any(|c| c.name == b.name) {
                continue;
            }
            let dest_dir = copy.dir.join("base").join(&b.name);
            self.run.copy_tree(&b.dir, &dest_dir).await?;
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
                if std::fs::copy(e.path(), &tmp).is_ok() && self.run.own(&tmp).is_ok() {
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
}
