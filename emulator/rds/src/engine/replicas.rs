//! Read replicas: CreateDBInstanceReadReplica in the source's region or
//! another (the source named by an ARN, or by identifier with
//! `SourceRegion`), PromoteReadReplica, what DescribeDBInstances shows of
//! replication (`ReadReplicaSourceDBInstanceIdentifier`,
//! `ReadReplicaDBInstanceIdentifiers`, `StatusInfos`), and the server a
//! replica follows.
//!
//! A replica is a real server made from a base backup of its source's
//! running server and following it ([`crate::process::Upstream`]): a
//! PostgreSQL hot standby streaming WAL (and reading the source's archive
//! for what the source no longer holds), or a MariaDB replica of the
//! source's binary log by GTID. It refuses writes until promoted. It has
//! no automated backups of its own: ModifyDBInstance may give it a
//! `BackupRetentionPeriod` (stored, what lets it be the source of a
//! cascading replica, [`MAX_CASCADE_DEPTH`] levels at most), and
//! PromoteReadReplica stops replication, turns backups on (the request's
//! period, else the replica's, else 1) and takes the first base backup,
//! with the status `modifying` for as long as the restore-time model gives
//! promotion. A replica of a replica follows the intermediate's server; the
//! replicas of a promoted replica go on following it.

use super::provision::Origin;
use super::records::*;
use super::restore::allocated_bytes;
use super::{DEFAULT_AZ_SUFFIX, Engine, Owner, Region, Work, resource_suffix};
use crate::catalog;
use crate::errors::RdsError;
use crate::process::Upstream;
use crate::validate::{self, Settings};
use firedrill_emu_core::LongOperation;
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::timing::{Operation, Workload};
use std::collections::BTreeMap;

/// Input of CreateDBInstanceReadReplica.
#[derive(Debug, Clone, Default)]
pub struct CreateReplica {
    pub id: String,
    /// The source: an identifier (in `source_region`, else the replica's
    /// region) or a DB instance ARN.
    pub source: String,
    pub source_region: Option<String>,
    pub settings: Settings,
    pub tags: Vec<(String, String)>,
    pub copy_tags_to_snapshot: bool,
    pub deletion_protection: bool,
    pub multi_az: bool,
}

/// Input of PromoteReadReplica.
#[derive(Debug, Clone, Default)]
pub struct PromoteReplica {
    pub id: String,
    pub retention: Option<i32>,
    pub backup_window: Option<String>,
}

/// The most read replicas a chain of cascading replicas holds below its
/// primary (RDS for PostgreSQL, MySQL and MariaDB alike: a chain is at most
/// four instances).
pub const MAX_CASCADE_DEPTH: usize = 3;

/// AWS's answer to a replica of an instance without automated backups.
fn no_backups() -> RdsError {
    RdsError::InvalidDBInstanceState(
        "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.".to_owned(),
    )
}

impl Engine {
    /// The region and identifier of the source a request names.
    fn replica_source(&self, region: &str, req: &CreateReplica) -> Result<(String, String), RdsError> {
        let (src_region, src_id) = match Arn::parse(&req.source) {
            Ok(arn) => {
                let id = arn
                    .resource
                    .strip_prefix("db:")
                    .filter(|_| arn.service == "rds")
                    .ok_or_else(|| {
                        RdsError::InvalidParameterValue(format!(
                            "Invalid SourceDBInstanceIdentifier: {} is not a DB instance ARN.",
                            req.source
                        ))
                    })?;
                if let Some(r) = &req.source_region
                    && *r != arn.region
                {
                    return Err(RdsError::InvalidParameterCombination(format!(
                        "SourceRegion {r} does not match the region of the source DB instance {}.",
                        req.source
                    )));
                }
                (arn.region.clone(), id.to_ascii_lowercase())
            }
            Err(_) => (
                req.source_region.clone().unwrap_or_else(|| region.to_owned()),
                req.source.to_ascii_lowercase(),
            ),
        };
        if !self.env.config.serves_region(&src_region) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid source region {src_region}."
            )));
        }
        Ok((src_region, src_id))
    }

    /// CreateDBInstanceReadReplica.
    pub fn create_read_replica(&self, region: &str, req: CreateReplica) -> Result<Instance, RdsError> {
        let id = validate::identifier("DBInstanceIdentifier", &req.id)?;
        let (src_region, src_id) = self.replica_source(region, &req)?;
        let src = {
            let mut state = self.state.lock();
            let reg = state.region(&src_region);
            let src = reg
                .instances
                .get(&src_id)
                .cloned()
                .ok_or_else(|| RdsError::instance_not_found(&src_id))?;
            if reg.down {
                return Err(RdsError::InvalidDBInstanceState(format!(
                    "The source DB instance {src_id} cannot be reached: its region {src_region} is unavailable."
                )));
            }
            src
        };
        if src.cluster_id.is_some() {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "DB instance {src_id} is a member of an Aurora DB cluster; its cluster's readers are its replicas."
            )));
        }
        if src.status != "available" {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "DB instance {src_id} is not in available state."
            )));
        }
        if src.retention == 0 {
            return Err(no_backups());
        }
        let version = validate::engine_version(&src.engine, Some(&src.engine_version))?;
        if src.replica_of.is_some() {
            self.check_cascade(&src_region, &src, &version)?;
        }
        let class = req.settings.class.clone().unwrap_or_else(|| src.class.clone());
        validate::instance_class(&class, &version)?;
        let mut checked = validate::settings(region, &req.settings, &version, &src.storage)?;
        self.usable_key(region, &mut checked.storage)?;
        if req.multi_az && checked.availability_zone.is_some() {
            return Err(RdsError::InvalidParameterCombination(
                "Requesting a specific availability zone is not valid for Multi-AZ instances.".to_owned(),
            ));
        }
        let groups = self.instance_groups(region, &req.settings, &version)?;
        self.db(&src.engine)?.available()?;
        let now = self.now();
        let rid = format!("db-{}", resource_suffix());
        let instance = Instance {
            id: id.clone(),
            arn: format!("arn:aws:rds:{region}:{}:db:{id}", self.account()),
            resource_id: rid.clone(),
            class,
            engine: src.engine.clone(),
            engine_version: src.engine_version.clone(),
            status: "creating".to_owned(),
            master_username: src.master_username.clone(),
            db_name: src.db_name.clone(),
            create_time: now,
            retention: 0,
            backup_window: src.backup_window.clone(),
            maintenance_window: src.maintenance_window.clone(),
            tags: req.tags.clone(),
            cluster_id: None,
            port: catalog::default_port(&src.engine),
            storage: checked.storage,
            parameter_group: groups.parameter_group,
            option_group: groups.option_group,
            subnet_group: groups.subnet_group,
            availability_zone: checked
                .availability_zone
                .unwrap_or_else(|| format!("{region}{DEFAULT_AZ_SUFFIX}")),
            secondary_az: req.multi_az.then(|| format!("{region}b")),
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
            replica_of: Some(ReplicaSource {
                region: src_region.clone(),
                id: src.id.clone(),
                arn: src.arn.clone(),
            }),
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
            reg.instances.insert(id.clone(), instance.clone());
        }
        tracing::info!(region, replica = %id, source = %src.arn, "read replica");
        let origin = Origin::Replica {
            region: src_region,
            resource_id: src.resource_id.clone(),
        };
        let me = self.arc();
        let region = region.to_owned();
        self.spawn(async move {
            let result = me
                .provision(&region, Owner::Instance(id.clone()), &rid, origin, false)
                .await;
            me.finish_work(&region, &Owner::Instance(id), result.map(|_| ()));
        });
        Ok(instance)
    }

    /// AWS's rules for a replica of a replica (a cascade): the engine
    /// version allows it (RDS for PostgreSQL from 14.1, every MySQL and
    /// MariaDB version), and the chain from the primary holds at most
    /// [`MAX_CASCADE_DEPTH`] replicas.
    fn check_cascade(
        &self,
        src_region: &str,
        src: &Instance,
        version: &catalog::EngineVersion,
    ) -> Result<(), RdsError> {
        if !catalog::cascading_replicas(version) {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "DB instance {} is a read replica running {} {}: cascading read replicas need PostgreSQL 14.1 or higher.",
                src.id, src.engine, src.engine_version
            )));
        }
        let depth = self.replica_depth(src_region, &src.id);
        if depth >= MAX_CASCADE_DEPTH {
            return Err(RdsError::InvalidDBInstanceState(format!(
                "Cannot create a read replica of DB instance {}: it is already the read replica of the third level of its chain, and a chain of cascading read replicas holds at most {MAX_CASCADE_DEPTH} read replicas.",
                src.id
            )));
        }
        Ok(())
    }

    /// How many replication hops separate `id` of `region` from the
    /// primary at the head of its chain (0 for a primary).
    fn replica_depth(&self, region: &str, id: &str) -> usize {
        let mut state = self.state.lock();
        let mut at = (region.to_owned(), id.to_owned());
        let mut depth = 0;
        // Bounded: a chain cannot loop, but a walk never trusts that.
        while depth <= MAX_CASCADE_DEPTH {
            let Some(src) = state
                .region(&at.0)
                .instances
                .get(&at.1)
                .and_then(|i| i.replica_of.clone())
            else {
                break;
            };
            depth += 1;
            at = (src.region, src.id);
        }
        depth
    }

    /// PromoteReadReplica.
    pub fn promote_read_replica(&self, region: &str, req: PromoteReplica) -> Result<Instance, RdsError> {
        let requested = req.retention.map(validate::retention).transpose()?;
        let window = req
            .backup_window
            .as_deref()
            .map(validate::backup_window)
            .transpose()?;
        let (instance, plan, retention) = self.with_instance(region, &req.id, |i| {
            if i.replica_of.is_none() {
                return Err(RdsError::InvalidDBInstanceState(format!(
                    "DB Instance {} is not a read replica.",
                    i.id
                )));
            }
            Self::require_available(i)?;
            // The period the request names, else the one ModifyDBInstance
            // set on the replica (as the source of a cascade), else 1 day.
            let retention = requested.unwrap_or(if i.retention > 0 { i.retention } else { 1 });
            let backup_window = window.clone().unwrap_or_else(|| i.backup_window.clone());
            validate::windows_disjoint(&backup_window, &i.maintenance_window)?;
            self.begin(i, "modifying", "available");
            let plan = self.env.plan_long_operation(
                LongOperation {
                    operation: Operation::RdsPromoteReadReplica,
                    resource: &i.id,
                    region,
                    workload: Workload {
                        bytes: allocated_bytes(i.storage.allocated),
                        ..Workload::default()
                    },
                },
                self.delay(),
            );
            i.modelled_ready = Some(plan.completes_at);
            i.backup_window = backup_window;
            Ok((i.clone(), plan, retention))
        })?;
        self.env.timings.record(plan);
        let me = self.arc();
        let owned_region = region.to_owned();
        let i = instance.clone();
        self.spawn(async move {
            let region = owned_region;
            let result = me.promote_server(&region, &i, retention).await;
            me.finish_work(&region, &Owner::Instance(i.id.clone()), result);
        });
        Ok(instance)
    }

    /// Promotes the replica's server, then turns its backups on.
    async fn promote_server(&self, region: &str, i: &Instance, retention: i32) -> Result<(), RdsError> {
        let server = self
            .state
            .lock()
            .region(region)
            .servers
            .get(&i.resource_id)
            .cloned()
            .ok_or_else(|| {
                RdsError::InvalidDBInstanceState(format!("DB instance {} is not running.", i.id))
            })?;
        if retention > 0 {
            // Every WAL segment or binary log the promoted server writes
            // lands in its own archive.
            self.run
                .make_dir(&self.backup_dir(region, &i.resource_id).join("wal"))?;
        }
        server.promote().await?;
        self.with_instance(region, &i.id, |i| {
            i.replica_of = None;
            i.retention = retention;
            Ok(())
        })?;
        tracing::info!(region, id = %i.id, "read replica promoted");
        self.apply_retention(region, &i.id, &i.resource_id, 0, retention)
            .await
    }

    /// The server the instance whose storage is `rid` follows, when it is
    /// a read replica whose source still exists.
    pub(super) fn upstream(&self, region: &str, rid: &str) -> Option<Upstream> {
        let mut state = self.state.lock();
        let src = state
            .region(region)
            .instances
            .values()
            .find(|i| i.resource_id == rid)?
            .replica_of
            .clone()?;
        let s = state.region(&src.region).instances.get(&src.id)?;
        let port = s.port;
        // The WAL a cascade's servers replay is the primary's at its head
        // (a replica archives none of its own): that is the archive a
        // replica falls back on for what its source no longer holds.
        let mut head = (src.region.clone(), s.clone());
        for _ in 0..MAX_CASCADE_DEPTH {
            let Some(up) = head.1.replica_of.clone() else {
                break;
            };
            let Some(next) = state.region(&up.region).instances.get(&up.id).cloned() else {
                break;
            };
            head = (up.region, next);
        }
        Some(Upstream {
            port,
            archive: self.backup_dir(&head.0, &head.1.resource_id).join("wal"),
        })
    }

    /// Fills what DescribeDBInstances shows of replication on `list` (of
    /// `region`): each instance's replicas in every region, and each
    /// replica's status (`error` while its source's region is down or its
    /// source's server is not running).
    pub(super) fn describe_replication(
        regions: &BTreeMap<String, Region>,
        region: &str,
        list: &mut [Instance],
    ) {
        for i in list.iter_mut() {
            i.replica_ids = regions
                .iter()
                .flat_map(|(name, r)| {
                    r.instances
                        .values()
                        .filter(|f| {
                            f.replica_of
                                .as_ref()
                                .is_some_and(|s| s.region == region && s.id == i.id)
                        })
                        .map(move |f| {
                            if name == region {
                                f.id.clone()
                            } else {
                                f.arn.clone()
                            }
                        })
                })
                .collect();
            i.replication_status = i.replica_of.as_ref().map(|s| {
                let reachable = regions.get(&s.region).is_some_and(|r| {
                    !r.down
                        && r.instances
                            .get(&s.id)
                            .is_some_and(|src| r.servers.contains_key(&src.resource_id))
                });
                if reachable { "replicating" } else { "error" }.to_owned()
            });
        }
    }

    /// Whether an instance of any region follows `id` of `region`.
    pub(super) fn has_replicas(&self, region: &str, id: &str) -> bool {
        let id = id.to_ascii_lowercase();
        let state = self.state.lock();
        state.regions.values().any(|r| {
            r.instances.values().any(|i| {
                i.replica_of
                    .as_ref()
                    .is_some_and(|s| s.region == region && s.id == id)
            })
        })
    }

    /// Once the source `id` of `region` is deleted, its read replicas stop
    /// following it and become standalone instances (as RDS promotes
    /// them), without automated backups until ModifyDBInstance turns them on.
    pub(super) async fn detach_replicas(&self, region: &str, id: &str) {
        // Per replica: its region, identifier and running server.
        let servers = {
            let mut state = self.state.lock();
            let mut out = Vec::new();
            for (name, r) in state.regions.iter_mut() {
                for i in r.instances.values_mut() {
                    if i.replica_of
                        .as_ref()
                        .is_some_and(|s| s.region == region && s.id == id)
                    {
                        i.replica_of = None;
                        out.push((name.clone(), i.id.clone(), r.servers.get(&i.resource_id).cloned()));
                    }
                }
            }
            out
        };
        for (replica_region, replica, server) in servers {
            if let Some(server) = server
                && let Err(e) = server.promote().await
            {
                tracing::warn!(region = %replica_region, replica, error = %e, "promoting the replica of a deleted source failed");
            }
        }
    }
}
