//! Automated backups: the record of an instance's or cluster's base backups
//! and archive, base backups (daily and first), archive cycles with their
//! marker commits, the restorable window, retention changes, pruning,
//! DescribeDBInstanceAutomatedBackups and DeleteDBInstanceAutomatedBackup.

use super::records::*;
use super::{DEFAULT_AZ_SUFFIX, Engine};
use crate::catalog;
use crate::errors::RdsError;
use crate::events::{self, Event};
use crate::process::{DbServer, Marker};
use crate::validate::Storage;
use chrono::{DateTime, Duration, DurationRound, Utc};
use std::sync::Arc;

/// Why an archive cycle runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cycle {
    /// The periodic one: a marker when commits happened since the last,
    /// else coverage moves up to now.
    Regular,
    /// After the emulator clock jumped: a marker in any case, so that the
    /// archive has a boundary between the commits before and after the
    /// jump (MariaDB's binary log stamps whole seconds only; the boundary
    /// tells apart commits milliseconds around a jump).
    Jump,
    /// Before a server stops: a marker when commits happened since the last.
    Final,
}

/// A new base backup's directory name: sortable by time, and unique.
pub(super) fn base_backup_name() -> String {
    format!(
        "{}-{}",
        Utc::now().format("%Y%m%d%H%M%S%3f"),
        firedrill_emu_core::ids::random_hex(4)
    )
}

pub(super) fn floor_milli(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::milliseconds(1)).unwrap_or(t)
}

pub(super) fn ceil_milli(t: DateTime<Utc>) -> DateTime<Utc> {
    let f = floor_milli(t);
    if f == t { f } else { f + Duration::milliseconds(1) }
}

pub(super) fn apply_marker(b: &mut AutomatedBackup, marker: Marker) {
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

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_automated_backup(
        &self,
        region: &str,
        kind: BackupKind,
        engine: &str,
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
            engine: engine.to_owned(),
            engine_version: String::new(),
            master_username: master_username.to_owned(),
            db_name,
            port: catalog::default_port(engine),
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
            modelled_ready: None,
            tags: Vec::new(),
            earliest: None,
            latest: None,
        }
    }

    /// The restorable window `[earliest, latest]` of a record, on the emulator clock.
    pub(super) fn window(
        &self,
        b: &AutomatedBackup,
        now: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
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

    /// Takes a base backup into the automated backups of `rid`, then a marker.
    pub(super) async fn take_base_backup(&self, region: &str, rid: &str) -> Result<(), RdsError> {
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
    pub(super) fn instance_of(&self, region: &str, rid: &str) -> Option<(String, String)> {
        let mut state = self.state.lock();
        state
            .region(region)
            .instances
            .values()
            .find(|i| i.resource_id == rid)
            .map(|i| (i.id.clone(), i.arn.clone()))
    }

    pub(super) async fn base_backup_into(
        &self,
        region: &str,
        rid: &str,
        server: &Arc<dyn DbServer>,
        dir: &std::path::Path,
    ) -> Result<(), RdsError> {
        let name = base_backup_name();
        let dest = dir.join("base").join(&name);
        let mut attempt = 0;
        let info = loop {
            match server.base_backup(&dest).await {
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
        let marker = server.archive_marker(&dir.join("wal")).await?;
        tracing::debug!(rid, "marker archived");
        let end_emulated = self.env.clock.emulated_time_for(info.end_wall);
        let mut state = self.state.lock();
        let reg = state.region(region);
        match reg.backups.get_mut(rid) {
            Some(b) => {
                b.base_backups.push(BaseBackup {
                    name,
                    dir: dest,
                    start_log: info.start_log,
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

    pub(super) async fn apply_retention(
        &self,
        region: &str,
        id: &str,
        rid: &str,
        old: i32,
        new: i32,
    ) -> Result<(), RdsError> {
        let replica = self
            .state
            .lock()
            .region(region)
            .instances
            .get(id)
            .is_some_and(|i| i.replica_of.is_some());
        if replica {
            // A read replica's period is what lets it be the source of a
            // cascading replica; its own automated backups (base backups
            // and archive) begin when PromoteReadReplica makes it a
            // primary.
            return Ok(());
        }
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
                &i.engine,
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
            self.run.make_dir(&record.archive())?;
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

    /// A last archive cycle before a server stops, so that every commit is
    /// restorable.
    pub(super) async fn final_archive(&self, region: &str, rid: &str) {
        if let Err(e) = self.archive_cycle(region, rid, Cycle::Final).await {
            tracing::debug!(region, rid, error = %e, "final archive cycle failed");
        }
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
        if reg.backups.get(&key).is_some_and(|b| b.status == "active") {
            return Err(RdsError::InvalidDBInstanceAutomatedBackupState(
                "Automated backups of a running instance cannot be deleted; set its retention to 0 instead."
                    .to_owned(),
            ));
        }
        let Some(mut b) = reg.backups.remove(&key) else {
            return Err(RdsError::DBInstanceAutomatedBackupNotFound(
                "Automated backup not found.".to_owned(),
            ));
        };
        let _ = std::fs::remove_dir_all(&b.dir);
        b.status = "deleting".to_owned();
        Ok(b)
    }

    /// One archive cycle for the server of `rid`: a marker when commits
    /// happened since the last one, else coverage moves up to now.
    pub(super) async fn archive_cycle(&self, region: &str, rid: &str, cycle: Cycle) -> Result<(), RdsError> {
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
            (server, b.archive(), b.marker.as_ref().map(|m| m.id.clone()))
        };
        let (last, server_now) = server.last_commit().await?;
        let unchanged = marker_xid.is_some() && last == marker_xid;
        if unchanged && cycle == Cycle::Regular {
            let mut state = self.state.lock();
            if let Some(b) = state.region(region).backups.get_mut(rid) {
                let c = server_now - Duration::milliseconds(10);
                if b.coverage_wall.is_none_or(|old| c > old) {
                    b.coverage_wall = Some(c);
                }
            }
            return Ok(());
        }
        if unchanged && cycle == Cycle::Final {
            return Ok(());
        }
        let marker = server.archive_marker(&archive).await?;
        let mut state = self.state.lock();
        if let Some(b) = state.region(region).backups.get_mut(rid) {
            apply_marker(b, marker);
        }
        Ok(())
    }

    /// Drops base backups (and the WAL before them) no restore inside the
    /// retention window needs, and retained records whose window is over.
    pub(super) fn prune(&self, now: DateTime<Utc>) {
        let mut state = self.state.lock();
        for reg in state.regions.values_mut() {
            let mut expired = Vec::new();
            for (rid, b) in reg.backups.iter_mut() {
                let horizon = now - Duration::days(b.retention.max(1) as i64);
                let mut removed = false;
                while b
                    .base_backups
                    .get(1)
                    .is_some_and(|next| next.end_emulated <= horizon)
                {
                    let old = b.base_backups.remove(0);
                    let _ = std::fs::remove_dir_all(&old.dir);
                    removed = true;
                }
                if removed
                    && let Some(first) = b.base_backups.first()
                    && let Ok(db) = self.db(&b.engine)
                {
                    db.prune_archive(&b.archive(), &first.start_log);
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
}
