//! ElastiCache for the firedrill emulator, on real Redis servers.
//!
//! Each cache cluster is a `redis-server` (Debian's package; found on `PATH`
//! or through `FIREDRILL_REDIS_BIN`) on a loopback port, in its own
//! directory, run as the `redis` user (else `nobody`) when the emulator is
//! root. The endpoint DescribeCacheClusters reports (`ShowCacheNodeInfo`)
//! and DescribeReplicationGroups report (primary and reader endpoints) is
//! the one a real Redis client connects to.
//!
//! Engines: `redis` and `valkey` are both served by the same
//! `redis-server`; the engine and version are labels the API reports (see
//! [`catalog`]), not a different server. Memcached is not served
//! (`InvalidParameterValue`).
//!
//! Served actions: CreateCacheCluster, CreateReplicationGroup (cluster mode
//! disabled: a primary and up to five replicas that really replicate it,
//! `replicaof`), DescribeCacheClusters, DescribeReplicationGroups,
//! ModifyCacheCluster and ModifyReplicationGroup (snapshot retention limit
//! and window, maintenance window, description, snapshotting cluster),
//! DeleteCacheCluster and DeleteReplicationGroup (with
//! `FinalSnapshotIdentifier`, and `RetainPrimaryCluster`), CreateSnapshot,
//! DescribeSnapshots, CopySnapshot (with `TargetBucket`: an export of the
//! RDB file into an S3 bucket of the emulator as `<name>-0001.rdb`),
//! DeleteSnapshot, AddTagsToResource, ListTagsForResource,
//! RemoveTagsFromResource and DescribeCacheEngineVersions. Any other action
//! answers `InvalidAction`; parameters that ask for what firedrill does not
//! serve (AUTH tokens, TLS, cluster mode enabled, Multi-AZ changes, scaling,
//! adding a cluster to a group with CreateCacheCluster, a group around an
//! existing primary) answer `InvalidParameterValue` naming the parameter.
//!
//! - [`protocol`]: the Query protocol (form decoding, XML result shapes);
//! - [`engine`]: clusters, groups, snapshots and tags per region, no HTTP;
//! - [`validate`]: every request value checked before any state changes or
//!   any server starts;
//! - [`catalog`]: the engine versions served;
//! - [`node`]: the `redis-server` processes, `BGSAVE` and the janitor;
//! - [`objects`]: the seam to S3 (exports and `SnapshotArns`);
//! - [`errors`]: AWS's error codes and their Query XML shape.
//!
//! Snapshots are the server's own `BGSAVE`: the RDB file is copied into the
//! emulator's storage, and a cluster created from `SnapshotName` (or
//! `SnapshotArns` naming an RDB file in S3) starts with exactly the
//! snapshot's keys, loaded by `redis-server` at start. Automatic snapshots
//! are taken daily in `SnapshotWindow` (UTC, default `05:00-06:00`) on the
//! emulator clock for clusters and groups whose `SnapshotRetentionLimit` is
//! above 0 (the default is 0: none), and kept that many days; deleting a
//! cluster or group deletes its automatic snapshots, never its manual ones.
//!
//! Cross-region recovery is what ElastiCache offers: snapshots are
//! regional (CopySnapshot copies within the region; `TargetBucket` must be
//! a bucket of the snapshot's region, and `SnapshotArns` must name objects
//! in a bucket of the new cluster's region), so a snapshot reaches another
//! region only as an exported RDB file copied into a bucket there, which
//! then seeds a cluster in that region. Global Datastore (cross-region
//! replication groups) is not served: its actions
//! (CreateGlobalReplicationGroup, FailoverGlobalReplicationGroup, ...)
//! answer `InvalidAction`, and `GlobalReplicationGroupId` on a create
//! answers `InvalidParameterValue`.
//!
//! No point-in-time recovery: ElastiCache has none, so neither does
//! firedrill. What a restore brings back is the newest snapshot; every write
//! after it is lost, and the loss window is the snapshot interval.
//!
//! Statuses move on the emulator clock: a cluster or group is `creating`
//! until its servers run and `resource_create_delay` has passed, then
//! `available`; `snapshotting` while a snapshot of it is being taken;
//! `deleting` until its servers are stopped and its files removed. A
//! region outage stops the region's servers (`SHUTDOWN SAVE`, so that no
//! acknowledged write is lost) and starts them again from their files when
//! the region is back.
//!
//! Cleanup: see [`node`] (per-node drop guards, a registry of live nodes,
//! and the core's janitor on the run directory, which stops every
//! `redis-server` under it and removes it even after a SIGKILL).
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
pub mod node;
pub mod objects;
pub mod protocol;
pub mod validate;

use chrono::{DateTime, Utc};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;

pub use engine::Engine;
pub use errors::ElastiCacheError;
pub use objects::{ObjectError, ObjectStore};

/// The ElastiCache service.
#[derive(Debug)]
pub struct ElastiCache {
    engine: Arc<Engine>,
}

impl ElastiCache {
    /// A new ElastiCache service sharing `env`.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self {
            engine: Engine::new(env),
        })
    }

    /// The engine, for callers that need more than the service.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Connects the emulator's S3 (CopySnapshot exports, `SnapshotArns`).
    pub fn set_object_store(&self, store: Arc<dyn ObjectStore>) {
        self.engine.set_object_store(store);
    }

    /// Whether `redis-server` was found (clusters can be created).
    pub fn redis_available(&self) -> Result<(), String> {
        self.engine
            .runtime()
            .binary()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The pids of every running `redis-server` (diagnostics and tests).
    pub fn server_pids(&self) -> Vec<u32> {
        self.engine.runtime().node_pids()
    }

    /// The directory all of this service's Redis files live under.
    pub fn run_dir(&self) -> std::path::PathBuf {
        self.engine.runtime().root.clone()
    }
}

impl Drop for ElastiCache {
    fn drop(&mut self) {
        self.engine.shutdown();
    }
}

/// The audited actions: backups, restores and deletions.
fn audited(action: &str) -> bool {
    action.contains("Snapshot") || action.starts_with("Delete") || action.starts_with("Create")
}

impl AwsService for ElastiCache {
    fn signing_names(&self) -> &'static [&'static str] {
        &["elasticache"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let query = req.uri().query().map(str::to_owned);
            let body = match firedrill_emu_core::body::collect(req.into_body(), 1 << 20).await {
                Ok(b) => b,
                Err(e) => {
                    return ElastiCacheError::InvalidParameterValue(format!(
                        "Could not read the request: {e}"
                    ))
                    .into_response(&ctx.request_id);
                }
            };
            let params = protocol::Params::decode(&body, query.as_deref());
            let Some(action) = params.str("Action").map(str::to_owned) else {
                return ElastiCacheError::MissingParameter(
                    "The request must contain the parameter Action.".to_owned(),
                )
                .into_response(&ctx.request_id);
            };
            if let Some(v) = params.str("Version")
                && v != protocol::API_VERSION
            {
                return ElastiCacheError::InvalidAction(format!(
                    "Version {v} is not supported; firedrill serves ElastiCache API version {}.",
                    protocol::API_VERSION
                ))
                .into_response(&ctx.request_id);
            }
            let result = protocol::dispatch(&self.engine, &ctx.region, &action, &params).await;
            if audited(&action) {
                let resource = [
                    "CacheClusterId",
                    "ReplicationGroupId",
                    "SnapshotName",
                    "SourceSnapshotName",
                ]
                .iter()
                .find_map(|k| params.str(k))
                .unwrap_or_default()
                .to_owned();
                ctx.env.audit.record(firedrill_emu_core::audit::AuditEvent {
                    event_time: ctx.env.now(),
                    event_source: "elasticache".to_owned(),
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
                    let xml = protocol::envelope(&action, &body, &ctx.request_id);
                    firedrill_emu_core::query::xml_response(xml, &ctx.request_id)
                }
                Err(e) => {
                    tracing::debug!(action, code = e.code(), message = %e, "ElastiCache error");
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
