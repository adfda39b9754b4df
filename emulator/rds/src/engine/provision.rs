//! Bringing a server up for an instance or a cluster: a fresh data
//! directory, a snapshot's copy, a point-in-time recovery, or a base backup
//! of a read replica's source; the master user and database of a fresh
//! server; its first base backup; and the outcome recorded for the status
//! transitions.

use super::automated_backups::{apply_marker, base_backup_name};
use super::records::*;
use super::{Engine, Owner, Work};
use crate::errors::RdsError;
use crate::events::{self, Event};
use crate::host;
use crate::process::{DbServer, Recovery, RecoveryTarget};
use std::path::PathBuf;
use std::sync::Arc;

/// How a new server gets its data.
#[derive(Debug, Clone)]
pub(super) enum Origin {
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
    /// A read replica: a base backup of the running server of the source
    /// whose storage is `resource_id`, in `region`.
    Replica {
        region: String,
        resource_id: String,
    },
}

impl Engine {
    /// Copies or initialises the data directory, starts the server, creates
    /// the master role and database, takes the first base backup.
    pub(super) async fn provision(
        &self,
        region: &str,
        owner: Owner,
        rid: &str,
        origin: Origin,
        backups: bool,
    ) -> Result<Arc<dyn DbServer>, RdsError> {
        let log = self.instance_dir(rid).join("server.log");
        self.provision_inner(region, owner, rid, origin, backups)
            .await
            .map_err(|e| match e {
                RdsError::InternalFailure(m) => {
                    RdsError::InternalFailure(format!("{m} (server log: {})", host::log_tail(&log, 0)))
                }
                other => other,
            })
    }

    pub(super) async fn provision_inner(
        &self,
        region: &str,
        owner: Owner,
        rid: &str,
        origin: Origin,
        backups: bool,
    ) -> Result<Arc<dyn DbServer>, RdsError> {
        let started = std::time::Instant::now();
        let dir = self.instance_dir(rid);
        self.run.make_dir(&dir)?;
        let spec_recovery = match &origin {
            Origin::Pitr { archive, target, .. } => Some(Recovery {
                archive: archive.clone(),
                target: target.clone(),
            }),
            _ => None,
        };
        let spec = self.spec(region, rid, spec_recovery);
        let db = self.server_engine(region, rid)?;
        let first_base = match (&origin, backups) {
            (Origin::Fresh { .. }, true) => {
                let name = base_backup_name();
                let dest = self.backup_dir(region, rid).join("base").join(&name);
                Some((name, dest))
            }
            _ => None,
        };
        // A fresh server's first base backup comes with its data directory
        // (complete before the server starts); a restored one takes its own
        // once it runs.
        let fresh_base = match &origin {
            Origin::Fresh { .. } => db
                .fresh_data_dir(&spec.data_dir, first_base.as_ref().map(|(_, d)| d.as_path()))
                .await?
                .zip(first_base)
                .map(|(info, (name, dir))| BaseBackup {
                    name,
                    dir,
                    start_log: info.start_log,
                    end_wall: info.end_wall,
                    end_emulated: self.env.clock.emulated_time_for(info.end_wall),
                }),
            Origin::Snapshot(from) => {
                self.run.copy_tree(from, &spec.data_dir).await?;
                None
            }
            Origin::Pitr { base, .. } => {
                self.run.copy_tree(base, &spec.data_dir).await?;
                None
            }
            Origin::Replica {
                region: src_region,
                resource_id,
            } => {
                let source = self
                    .state
                    .lock()
                    .region(src_region)
                    .servers
                    .get(resource_id)
                    .cloned()
                    .ok_or_else(|| {
                        RdsError::InvalidDBInstanceState(
                            "The source DB instance of the read replica is not running.".to_owned(),
                        )
                    })?;
                source.base_backup(&spec.data_dir).await?;
                None
            }
        };
        if backups {
            self.run.make_dir(&spec.archive_dir)?;
        }
        tracing::debug!(
            rid,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "data directory ready"
        );
        let server = db.start(&spec, None).await?;
        tracing::debug!(
            rid,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "server started"
        );
        if let Origin::Fresh {
            master_username,
            master_password,
            db_name,
        } = &origin
        {
            server
                .create_master(master_username, master_password, db_name.as_deref())
                .await?;
        }
        {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.servers.insert(rid.to_owned(), server.clone());
            match &owner {
                Owner::Instance(id) => {
                    if let Some(i) = reg.instances.get_mut(id) {
                        i.port = server.port();
                        i.status = "backing-up".to_owned();
                    }
                }
                Owner::Cluster(id) => {
                    if let Some(c) = reg.clusters.get_mut(id) {
                        c.port = server.port();
                        c.status = "backing-up".to_owned();
                        for m in c.members.clone() {
                            if let Some(i) = reg.instances.get_mut(&m) {
                                i.port = server.port();
                            }
                        }
                    }
                }
            }
        }
        tracing::info!(
            region,
            rid,
            port = server.port(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "server up"
        );
        if backups && !matches!(origin, Origin::Fresh { .. }) {
            // A restored server is usable now; its own first base backup
            // (which can take a while for a big database) follows, and the
            // tick retries it should it fail.
            self.finish_work(region, &owner, Ok(()));
            if let Err(e) = self.take_base_backup(region, rid).await {
                if self.run.is_closed() {
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
            let marker = server.archive_marker(&spec.archive_dir).await?;
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

    pub(super) fn finish_work(&self, region: &str, owner: &Owner, result: Result<(), RdsError>) {
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
}
