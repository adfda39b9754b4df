//! RDS for the firedrill emulator, on real PostgreSQL and real MariaDB.
//!
//! Each DB instance (and each Aurora cluster) is a real database server
//! started from the machine's binaries on a loopback port, archiving its log
//! into its region's backup store: PostgreSQL for `postgres` and
//! `aurora-postgresql` (WAL), MariaDB for `mariadb`, `mysql` and
//! `aurora-mysql` (binary log). `mysql` and `aurora-mysql` instances are
//! MariaDB servers speaking the MySQL protocol: MySQL clients and drivers
//! connect to them with the master user, and they report the MySQL engine
//! versions AWS offers, but the SQL dialect is MariaDB's. Automated backups
//! are base backups plus the archived log; a point-in-time restore is a real
//! log replay to the wall instant that corresponds to the requested emulator
//! instant (to the microsecond for PostgreSQL; for MariaDB whole seconds
//! within an archived binary log file, see [`mariadb`]).
//!
//! - [`protocol`]: the Query protocol (form decoding, XML result shapes);
//! - [`engine`]: instances, clusters, snapshots and automated backups per
//!   region, with no HTTP (one module per concern; see its docs);
//! - [`validate`]: every value a request carries, checked against the API
//!   reference's rules before anything is created or changed (a refused
//!   CreateDBInstance or restore starts no server and leaves no record);
//! - [`catalog`]: the engine versions (PostgreSQL, MySQL, MariaDB and both
//!   Auroras), parameter group families, license models, default ports and
//!   orderable instance classes that validation accepts;
//! - [`groups`]: DB subnet groups, DB and cluster parameter groups and
//!   option groups, with RDS's defaults;
//! - [`events`]: the events of instances, snapshots and clusters (creation,
//!   backup, restoration, availability, deletion) for DescribeEvents;
//! - [`process`]: what the engine needs of a database server, whatever the
//!   database: the `DbEngine` trait (fresh data directory, start, restore to
//!   a point in time, archive pruning) and the `DbServer` trait (base
//!   backup, archive marker, master user, stop);
//! - [`postgres`]: PostgreSQL behind those traits: the initdb template,
//!   `pg_basebackup`, WAL archiving and recovery targets;
//! - [`mariadb`]: MariaDB behind those traits: the `mariadb-install-db`
//!   template, `mariadb-backup`, binary log archiving and `mariadb-binlog`
//!   replay;
//! - [`host`]: what every engine shares on the machine: the unprivileged
//!   account servers run as when root, the run directory and its cleanup
//!   janitor, tree copies, ports;
//! - [`errors`]: the service's error codes and their XML shape.
//!
//! Deletion protection: `DeletionProtection` on CreateDBInstance,
//! ModifyDBInstance, CreateDBCluster, ModifyDBCluster and the restores is
//! stored and shown by Describe*; while it is on, DeleteDBInstance and
//! DeleteDBCluster answer `InvalidParameterCombination` ("Cannot delete
//! protected DB Instance, …" / "Cannot delete protected Cluster, …", AWS's
//! texts) and change nothing. ModifyDBCluster changes a cluster's backup
//! retention (1–35 days), backup and maintenance windows (validated as for
//! instances) and deletion protection, at once.
//!
//! Multi-AZ: `MultiAZ` on CreateDBInstance and ModifyDBInstance gives an
//! instance a standby zone (`SecondaryAvailabilityZone`; one server serves
//! both, there is no second copy of the data). RebootDBInstance with
//! `ForceFailover` swaps the two zones while the status is `rebooting`; the
//! endpoint stays. ForceFailover on a Single-AZ instance, and MultiAZ with an
//! explicit AvailabilityZone, answer `InvalidParameterCombination`.
//! FailoverDBCluster makes the named member (or the first reader) the
//! cluster's writer; the cluster endpoint stays.
//!
//! Read replicas: CreateDBInstanceReadReplica makes a real server from a
//! base backup of the source's running server, in the source's region or
//! another (the source named by its ARN, or by identifier with
//! `SourceRegion`), that follows it: a PostgreSQL hot standby streaming WAL
//! (what the source no longer holds is read from its archive), a MariaDB
//! replica of the binary log by GTID. Replicas refuse writes (PostgreSQL's
//! read-only transactions; MariaDB's `read_only`, the clients' accounts
//! losing `READ_ONLY ADMIN` while they follow). DescribeDBInstances shows
//! `ReadReplicaSourceDBInstanceIdentifier` (the ARN across regions),
//! `ReadReplicaDBInstanceIdentifiers` and a `read replication` status info
//! (`replicating`, or `error` while the source's region is down or its
//! server stopped). PromoteReadReplica stops replication, turns automated
//! backups on (`BackupRetentionPeriod`, default the
//! replica's own when ModifyDBInstance set one, else 1) and takes the first base
//! backup; the status is `modifying` for the restore-time model's
//! promotion time. A cross-region replica stays promotable during an outage
//! of its source's region. Deleting a source promotes its replicas (without
//! backups). Refused as AWS does: a source without backups or not
//! `available` (`InvalidDBInstanceState`), an unknown source
//! (`DBInstanceNotFound`), promoting an instance that is no replica, and
//! stopping a replica or an instance that has replicas
//! (`InvalidDBInstanceState`). `ReplicaLag` is sampled for every replica
//! (`engine::replica_lag`), and served as a CloudWatch metric by the
//! assembly.
//!
//! Cascading read replicas: a replica can be the source of another, as on
//! AWS, once ModifyDBInstance gave it a `BackupRetentionPeriod` (the period
//! is stored; the replica's own base backups and archive begin when it is
//! promoted). The new replica is made from a base backup of the
//! intermediate replica's server and follows that server: a PostgreSQL
//! standby streaming from a standby (falling back on the archive of the
//! primary at the chain's head), a MariaDB replica of a replica that logs
//! what it applies (`log_slave_updates`). A chain holds at most three
//! replicas below its primary, and RDS for PostgreSQL cascades from 14.1
//! only: both refusals answer `InvalidDBInstanceState`. Promoting the
//! middle of a chain leaves it a primary whose own replicas keep following
//! it.
//!
//! DB cluster snapshots: CreateDBClusterSnapshot takes a base backup of the
//! cluster's server (`creating`, then `available`); CopyDBClusterSnapshot
//! copies one within its region or, named by ARN, from another region
//! (`copying`, then `available`; `SourceDBClusterSnapshotArn` names the
//! source; `CopyTags` and `Tags` as for DB snapshots);
//! RestoreDBClusterFromSnapshot starts a new cluster on the snapshot's data
//! (exactly its rows) with automated backups of its own;
//! DeleteDBClusterSnapshot removes it (answered once with `deleted`);
//! DescribeDBClusterSnapshots lists them (by identifier or ARN, cluster,
//! type, `DbClusterResourceId` and the `db-cluster-id`,
//! `db-cluster-snapshot-id`, `snapshot-type` and `engine` filters). Errors:
//! `DBClusterSnapshotNotFoundFault`, `DBClusterSnapshotAlreadyExistsFault`,
//! `InvalidDBClusterSnapshotStateFault` (deleting, copying or restoring one
//! that is not `available`), `InvalidDBClusterStateFault` (a cluster not
//! `available`), `InvalidParameterCombination` (a restore whose `Engine`
//! differs from the snapshot's). DeleteDBCluster takes a final cluster
//! snapshot (`FinalDBSnapshotIdentifier`) before the server stops, unless
//! `SkipFinalSnapshot`; neither, or both, answer
//! `InvalidParameterCombination`. Automated cluster snapshots: each base
//! backup of a cluster's automated backups (one at creation, then one a day
//! in `PreferredBackupWindow`) is listed as the automated snapshot
//! `rds:<cluster>-YYYY-MM-DD-HH-MM` (`SnapshotType=automated`, and with no
//! type) for `BackupRetentionPeriod` days, and goes with the cluster;
//! CopyDBClusterSnapshot of one gives a manual snapshot,
//! RestoreDBClusterFromSnapshot restores it, and DeleteDBClusterSnapshot
//! refuses it (`InvalidDBClusterSnapshotStateFault`). Not served: retained
//! cluster automated backups (DescribeDBClusterAutomatedBackups), snapshot
//! attributes (sharing), and RestoreDBInstanceFromDBSnapshot from a cluster
//! snapshot.
//!
//! Served around the instances: DB subnet groups (the `default` group and
//! the account's own; firedrill has no EC2, so subnet ids are taken as
//! given), DB and cluster parameter groups (RDS's `default.<family>` groups
//! with the parameters that matter to backups, e.g. `rds.logical_replication`
//! and `archive_timeout`; values are stored and returned, not applied to the
//! servers), option groups, DescribeDBEngineVersions and
//! DescribeOrderableDBInstanceOptions (the versions and classes validation
//! accepts), DescribeAccountAttributes and DescribeEvents. Any other action answers
//! `InvalidAction`, or `DBClusterNotFoundFault` when it names an unknown
//! cluster.
//!
//! [`Rds`] implements [`AwsService`] and offers a small in-process API that
//! AWS Backup and the benchmarks call (see its methods).
//!
//! Timing model: a new instance is a copy of a process-wide template (the
//! PostgreSQL `initdb` one is built in the background when the service
//! starts; the MariaDB one on first use or [`Rds::prewarm_mariadb`]); the
//! template doubles as the instance's first base backup. Statuses move on
//! the emulator clock: `creating` → `backing-up` → `available` once the
//! server runs and `resource_create_delay` has passed. `LatestRestorableTime`
//! trails the archived log by `rds_restorable_lag`. Under a restore-time
//! model (the `aws` preset) every long-running operation takes the model's
//! time on the emulator clock, whatever the servers do, and is logged
//! (`GET /_firedrill/timings`) once the request is accepted (a refused one
//! is not timed): restores from snapshots and to a point in time (instances
//! and clusters) stay `creating`; CopyDBSnapshot stays `creating` and
//! CopyDBClusterSnapshot `copying`, `PercentProgress` following the model
//! (within a region `rds-snapshot-copy`, across `rds-cross-region-snapshot-copy`,
//! with DescribeEvents' RDS-EVENT-0196/0197 or 0059/0060 "Started" and
//! "Finished copy of snapshot"); a replicated automated backup has nothing
//! to restore until its first cross-region copy's modelled end;
//! PromoteReadReplica stays `modifying`.
//!
//! Cleanup: see [`host`], [`postgres`] and [`mariadb`] (per-server drop guards, a
//! registry of live servers, and a janitor process per run directory that
//! survives the emulator's death just long enough to stop its servers and
//! remove the files).
//!
//! No panic is reachable from a request or a tick: outside tests the crate
//! denies `unwrap`, `expect`, `panic!` and unchecked indexing, each remaining
//! use carrying an `#[allow]` that says why it cannot fail.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod catalog;
pub mod engine;
pub mod errors;
pub mod events;
pub mod groups;
pub mod host;
pub mod mariadb;
pub mod postgres;
pub mod process;
pub mod protocol;
pub mod validate;

use chrono::{DateTime, Utc};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;

pub use engine::Engine;
pub use errors::RdsError;

/// The RDS service.
#[derive(Debug)]
pub struct Rds {
    engine: Arc<Engine>,
}

impl Rds {
    /// A new RDS service sharing `env`. When PostgreSQL is installed, the
    /// initdb template is prepared in the background so that the first
    /// CreateDBInstance is fast.
    pub fn new(env: &Environment) -> Arc<Self> {
        let engine = Engine::new(env);
        let runtime = engine.runtime().clone();
        if runtime.binaries().is_ok() {
            let weak = Arc::downgrade(&runtime);
            drop(runtime);
            std::thread::spawn(move || {
                if let Some(runtime) = weak.upgrade()
                    && let Err(e) = runtime.template_blocking()
                {
                    tracing::warn!(error = %e, "could not prepare the PostgreSQL template");
                }
            });
        }
        Arc::new(Self { engine })
    }

    /// The engine, for callers that need more than the API below.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Whether PostgreSQL binaries were found (instances can be created).
    pub fn postgres_available(&self) -> Result<(), String> {
        self.engine
            .runtime()
            .binaries()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Whether MariaDB binaries were found (`mysql`, `mariadb` and
    /// `aurora-mysql` instances can be created).
    pub fn mariadb_available(&self) -> Result<(), String> {
        self.engine
            .mariadb()
            .binaries()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Blocks until the initdb template is ready (benchmarks call this so
    /// that create times do not include the one-off initdb).
    pub async fn prewarm(&self) -> Result<(), RdsError> {
        self.engine.runtime().template().await?;
        Ok(())
    }

    /// Blocks until the MariaDB template is ready (built on first use
    /// otherwise: `mariadb-install-db` takes a few seconds, which the first
    /// MySQL or MariaDB instance of a process would wait for).
    pub async fn prewarm_mariadb(&self) -> Result<(), RdsError> {
        self.engine.mariadb().template().await?;
        Ok(())
    }

    /// Takes a snapshot of `instance_id` in `region` now and returns its ARN
    /// once complete. `snapshot_type` is `"manual"`, `"automated"` or
    /// `"awsbackup"`.
    pub async fn create_snapshot(
        &self,
        region: &str,
        instance_id: &str,
        snapshot_id: &str,
        snapshot_type: &str,
    ) -> Result<String, RdsError> {
        if !["manual", "automated", "awsbackup"].contains(&snapshot_type) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid snapshot type {snapshot_type}: expected manual, automated or awsbackup."
            )));
        }
        {
            let i = self
                .engine
                .describe_instances(region, Some(instance_id))?
                .into_iter()
                .next()
                .ok_or_else(|| RdsError::instance_not_found(instance_id))?;
            if i.status != "available" {
                return Err(RdsError::InvalidDBInstanceState(format!(
                    "Cannot create a snapshot because the database instance {instance_id} is not currently in the available state."
                )));
            }
        }
        let result = self
            .engine
            .snapshot_now(region, instance_id, snapshot_id, snapshot_type)
            .await
            .map(|s| s.arn);
        self.engine
            .audited(region, "CreateDBSnapshot", instance_id, result)
    }

    /// Restores snapshot `snapshot_id` of `region` into a new instance and
    /// returns its ARN (the instance is `creating`; it becomes `available`
    /// on the emulator clock once its server runs).
    pub async fn restore_from_snapshot(
        &self,
        region: &str,
        snapshot_id: &str,
        new_instance_id: &str,
    ) -> Result<String, RdsError> {
        let result = self
            .engine
            .restore_from_snapshot(
                region,
                engine::RestoreSnapshot {
                    target_id: new_instance_id.to_owned(),
                    snapshot_id: snapshot_id.to_owned(),
                    settings: validate::Settings::default(),
                    tags: Vec::new(),
                    retention: None,
                    backup_window: None,
                    copy_tags_to_snapshot: None,
                    deletion_protection: false,
                },
            )
            .map(|i| i.arn);
        self.engine
            .audited(region, "RestoreDBInstanceFromDBSnapshot", snapshot_id, result)
    }

    /// Copies snapshot `snapshot_id` of `src_region` to `dest_region` as
    /// `dest_snapshot_id` and returns the copy's ARN once it is complete.
    pub async fn copy_snapshot_to_region(
        &self,
        src_region: &str,
        snapshot_id: &str,
        dest_region: &str,
        dest_snapshot_id: &str,
    ) -> Result<String, RdsError> {
        let source = format!(
            "arn:aws:rds:{src_region}:{}:snapshot:{snapshot_id}",
            self.engine_account()
        );
        let result = self
            .engine
            .copy_snapshot(
                dest_region,
                &source,
                dest_snapshot_id,
                Vec::new(),
                true,
                true,
                None,
            )
            .await
            .map(|s| s.arn);
        self.engine
            .audited(dest_region, "CopyDBSnapshot", &source, result)
    }

    /// Copies snapshot `snapshot_id` of `src_region` into another
    /// account's RDS (`dest`) as `dest_snapshot_id` in `dest_region` (AWS
    /// Backup's cross-account copy) and returns the copy's ARN, which
    /// carries the destination account, once it is complete.
    pub async fn copy_snapshot_to_account(
        &self,
        src_region: &str,
        snapshot_id: &str,
        dest: &Rds,
        dest_region: &str,
        dest_snapshot_id: &str,
    ) -> Result<String, RdsError> {
        let source = format!(
            "arn:aws:rds:{src_region}:{}:snapshot:{snapshot_id}",
            self.engine_account()
        );
        let result = self
            .engine
            .copy_snapshot_into(
                src_region,
                snapshot_id,
                &dest.engine,
                dest_region,
                dest_snapshot_id,
            )
            .await
            .map(|s| s.arn);
        dest.engine
            .audited(dest_region, "CopyDBSnapshot", &source, result)
    }

    /// Takes AWS Backup's snapshot `snapshot_id` (type `awsbackup`) of
    /// Aurora cluster `cluster_id` in `region` now and returns its ARN once
    /// complete.
    pub async fn create_cluster_snapshot_for_backup(
        &self,
        region: &str,
        cluster_id: &str,
        snapshot_id: &str,
    ) -> Result<String, RdsError> {
        let result = self
            .engine
            .cluster_snapshot_now(region, cluster_id, snapshot_id, "awsbackup")
            .await
            .map(|s| s.arn);
        self.engine
            .audited(region, "CreateDBClusterSnapshot", cluster_id, result)
    }

    /// Copies cluster snapshot `snapshot_id` of `src_region` to
    /// `dest_region` as `dest_snapshot_id` and returns the copy's ARN once
    /// it is complete.
    pub async fn copy_cluster_snapshot_to_region(
        &self,
        src_region: &str,
        snapshot_id: &str,
        dest_region: &str,
        dest_snapshot_id: &str,
    ) -> Result<String, RdsError> {
        let source = format!(
            "arn:aws:rds:{src_region}:{}:cluster-snapshot:{snapshot_id}",
            self.engine_account()
        );
        let result = self
            .engine
            .copy_cluster_snapshot_now(dest_region, &source, dest_snapshot_id)
            .await
            .map(|s| s.arn);
        self.engine
            .audited(dest_region, "CopyDBClusterSnapshot", &source, result)
    }

    /// Copies cluster snapshot `snapshot_id` of `src_region` into another
    /// account's RDS (`dest`) as `dest_snapshot_id` in `dest_region` (AWS
    /// Backup's cross-account copy of an Aurora recovery point) and returns
    /// the copy's ARN, which carries the destination account.
    pub async fn copy_cluster_snapshot_to_account(
        &self,
        src_region: &str,
        snapshot_id: &str,
        dest: &Rds,
        dest_region: &str,
        dest_snapshot_id: &str,
    ) -> Result<String, RdsError> {
        let source = format!(
            "arn:aws:rds:{src_region}:{}:cluster-snapshot:{snapshot_id}",
            self.engine_account()
        );
        let result = self
            .engine
            .copy_cluster_snapshot_into(
                src_region,
                snapshot_id,
                &dest.engine,
                dest_region,
                dest_snapshot_id,
            )
            .await
            .map(|s| s.arn);
        dest.engine
            .audited(dest_region, "CopyDBClusterSnapshot", &source, result)
    }

    /// Restores cluster snapshot `req.snapshot_id` of `region` into a new
    /// cluster (RestoreDBClusterFromSnapshot; no instances, as AWS Backup
    /// restores Aurora) and returns its ARN; it is `creating` until its
    /// server runs and the restore-time model's duration passed.
    pub fn restore_cluster_from_snapshot(
        &self,
        region: &str,
        req: engine::RestoreClusterSnapshot,
    ) -> Result<String, RdsError> {
        let snapshot_id = req.snapshot_id.clone();
        let result = self
            .engine
            .restore_cluster_from_snapshot(region, req)
            .map(|c| c.arn);
        self.engine
            .audited(region, "RestoreDBClusterFromSnapshot", &snapshot_id, result)
    }

    /// Restores Aurora cluster `req.source_id` of `region` to a point in
    /// time into a new cluster (RestoreDBClusterToPointInTime; no
    /// instances, as AWS Backup restores a continuous Aurora recovery
    /// point) and returns its ARN.
    pub fn restore_cluster_to_point_in_time(
        &self,
        region: &str,
        req: engine::RestoreClusterPitr,
    ) -> Result<String, RdsError> {
        let source_id = req.source_id.clone();
        let result = self
            .engine
            .restore_cluster_to_point_in_time(region, req)
            .map(|c| c.arn);
        self.engine
            .audited(region, "RestoreDBClusterToPointInTime", &source_id, result)
    }

    /// Every Aurora DB cluster of `region` with its tags: `(ARN, [(key, value)])`.
    pub fn list_clusters_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        self.engine.clusters_with_tags(region)
    }

    fn engine_account(&self) -> String {
        self.engine.account_id()
    }

    /// Every DB instance of `region` with its tags: `(ARN, [(key, value)])`.
    pub fn list_instances_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        self.engine.instances_with_tags(region)
    }

    /// The loopback endpoint of a running instance.
    pub fn instance_endpoint(&self, region: &str, id: &str) -> Option<(String, u16)> {
        self.engine.endpoint(region, id)
    }

    /// Waits (bounded by wall time) until an instance is `available`.
    pub async fn wait_available(
        &self,
        region: &str,
        id: &str,
        timeout: std::time::Duration,
    ) -> Result<(), RdsError> {
        self.engine.wait_available(region, id, timeout).await.map(|_| ())
    }

    /// Stops every PostgreSQL server of `region` at once (clean shutdown).
    pub async fn stop_region_servers(&self, region: &str) {
        self.engine.stop_region_servers(region).await;
    }

    /// Restarts the servers [`Rds::stop_region_servers`] stopped.
    pub async fn start_region_servers(&self, region: &str) {
        self.engine.start_region_servers(region).await;
    }

    /// The pids of every running database server, PostgreSQL and MariaDB
    /// (diagnostics and tests).
    pub fn server_pids(&self) -> Vec<u32> {
        self.engine.server_pids()
    }

    /// The process-wide initdb template directory, once built.
    pub fn template_dir(&self) -> Option<std::path::PathBuf> {
        self.engine.runtime().template_dir()
    }

    /// The process-wide MariaDB template directory, once built.
    pub fn mariadb_template_dir(&self) -> Option<std::path::PathBuf> {
        self.engine.mariadb().template_dir()
    }

    /// The directory all of this service's server files live under.
    pub fn run_dir(&self) -> std::path::PathBuf {
        self.engine.run_dir().to_path_buf()
    }
}

impl Drop for Rds {
    fn drop(&mut self) {
        self.engine.shutdown();
    }
}

fn audited(action: &str) -> bool {
    action.starts_with("Restore")
        || action.contains("Snapshot")
        || action.contains("AutomatedBackup")
        || action.starts_with("Delete")
        || action == "ModifyDBInstance"
}

impl AwsService for Rds {
    fn signing_names(&self) -> &'static [&'static str] {
        &["rds"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let query = req.uri().query().map(str::to_owned);
            let body = match firedrill_emu_core::body::collect(req.into_body(), 1 << 20).await {
                Ok(b) => b,
                Err(e) => {
                    return RdsError::InvalidParameterValue(format!("Could not read the request: {e}"))
                        .into_response(&ctx.request_id);
                }
            };
            let params = protocol::Params::decode(&body, query.as_deref());
            let Some(action) = params.string("Action") else {
                return RdsError::MissingParameter(
                    "The request must contain the parameter Action".to_owned(),
                )
                .into_response(&ctx.request_id);
            };
            if let Some(v) = params.str("Version")
                && v != "2014-10-31"
            {
                return RdsError::InvalidAction(format!(
                    "Version {v} is not supported; firedrill serves RDS API version 2014-10-31."
                ))
                .into_response(&ctx.request_id);
            }
            let result = protocol::dispatch(&self.engine, &ctx.region, &action, &params).await;
            if audited(&action) {
                let resource = [
                    "DBInstanceIdentifier",
                    "TargetDBInstanceIdentifier",
                    "DBSnapshotIdentifier",
                    "TargetDBSnapshotIdentifier",
                    "DBClusterIdentifier",
                    "SourceDBInstanceArn",
                    "ResourceName",
                ]
                .iter()
                .find_map(|k| params.string(k))
                .unwrap_or_default();
                ctx.env.audit.record(firedrill_emu_core::audit::AuditEvent {
                    event_time: ctx.env.now(),
                    event_source: "rds".to_owned(),
                    event_name: action.clone(),
                    region: ctx.region.clone(),
                    principal: ctx.principal(),
                    resource,
                    result: match &result {
                        Ok(_) => "Success".to_owned(),
                        Err(e) => e.code().to_owned(),
                    },
                });
            }
            match result {
                Ok(body) => {
                    let xml = protocol::envelope(&action, body.as_deref(), &ctx.request_id);
                    http::Response::builder()
                        .status(200)
                        .header("content-type", "text/xml")
                        .header("x-amzn-requestid", ctx.request_id.as_str())
                        .body(Body::from(xml))
                        .unwrap_or_else(|_| {
                            RdsError::InternalFailure("could not build the response".to_owned())
                                .into_response(&ctx.request_id)
                        })
                }
                Err(e) => {
                    tracing::debug!(action, code = e.code(), message = %e, "RDS error");
                    e.into_response(&ctx.request_id)
                }
            }
        })
    }

    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.engine.tick(now).await })
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.engine.reset().await })
    }

    fn set_region_available(&self, region: &str, available: bool) -> BoxFuture<'_, ()> {
        let region = region.to_owned();
        Box::pin(async move {
            if available {
                self.engine.start_region_servers(&region).await;
            } else {
                self.engine.stop_region_servers(&region).await;
            }
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let engine = self.engine.clone();
            let _ = tokio::task::spawn_blocking(move || engine.shutdown()).await;
        })
    }
}
