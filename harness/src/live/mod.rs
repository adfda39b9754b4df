//! Break it yourself: a live shop a person damages by hand, and a verdict on
//! the recovery they typed.
//!
//! `firedrill up` provisions the shop on an emulator (its own, or one at
//! `--endpoint`), with sessions and carts in DynamoDB or, with `--store
//! sessions=elasticache` (or a `--scenario` whose `[store]` says so), in an
//! ElastiCache replication group, seeds it and, with `--traffic`, keeps the scenario's
//! traffic running at its rates on the emulator's clock ([`traffic`]). Into
//! a directory it writes `store.json` (the `FIREDRILL_STORE` file of
//! [`crate::team::contract`], the same keys) and `history.json` (a
//! [`LiveRecord`]: the store, the endpoint and the append-only history, kept
//! current while the traffic runs), and it prints destructive one-liners to
//! try ([`oneliners`]), each one a command that really works against the
//! emulator.
//!
//! `firedrill check` ([`check`]) judges the live store against the recorded
//! history. The restore point is the instant just before the first
//! destructive act, found by [`act`] in the emulator's audit trail and in
//! the orders database's own statement log (and, for a session store in
//! ElastiCache, the command log `up` keeps with [`cache_log`]), or given
//! with `--restore-to`.
//! Where the person's restore put the data is given as `--recovered` pairs
//! or a `FIREDRILL_RECOVERED` file; the store is re-pointed there only when
//! every named resource is ready ([`crate::team::repoint`]). The verdict,
//! per-layer counts, RPO and RTO come from the ordinary checker and report.
//! `--watch` re-checks every few seconds ([`watch`]).

pub mod act;
pub mod cache_log;
pub mod check;
pub mod judge;
pub mod oneliners;
pub mod traffic;
pub mod watch;

use crate::history::{Collection, History};
use crate::model::{CacheNames, DbEndpoint, Store, StoreNames};
use crate::team::contract::StoreFile;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The directory `up` writes to and `check` reads from when none is given
/// (the one `cargo xtask up --traffic` uses, from the repository's root).
pub const DEFAULT_DIR: &str = "target/firedrill-up/live";

/// The files of one live session.
#[derive(Debug, Clone)]
pub struct LiveDir(pub PathBuf);

impl LiveDir {
    /// `FIREDRILL_STORE`: where the store lives.
    pub fn store(&self) -> PathBuf {
        self.0.join("store.json")
    }

    /// The [`LiveRecord`].
    pub fn history(&self) -> PathBuf {
        self.0.join("history.json")
    }

    /// What `up` printed once it was ready (the detached process writes it).
    pub fn banner(&self) -> PathBuf {
        self.0.join("banner.txt")
    }

    /// The pid of a detached `up`.
    pub fn pid(&self) -> PathBuf {
        self.0.join("up.pid")
    }

    /// The output of a detached `up`.
    pub fn log(&self) -> PathBuf {
        self.0.join("up.log")
    }

    /// The session store's command log ([`cache_log`]).
    pub fn cache_log(&self) -> PathBuf {
        self.0.join("cache-commands.jsonl")
    }

    /// The reports `check` writes.
    pub fn reports(&self) -> PathBuf {
        self.0.join("reports")
    }
}

/// Whether the traffic is still being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficState {
    /// Seeded, no traffic asked for.
    Seeded,
    /// Traffic running: the history grows.
    Running,
    /// Traffic over (stopped or its plan played out).
    Stopped,
}

/// `history.json`: everything `check` needs to judge the live store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveRecord {
    /// The emulator's endpoint.
    pub endpoint: String,
    /// The store's names, as in `store.json`.
    pub store: StoreFile,
    /// The buckets that keep versions (read after provisioning).
    pub versioned: BTreeSet<Collection>,
    /// The shop's collections kept in ElastiCache (`up --store
    /// sessions=elasticache`); empty when everything is in DynamoDB.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub cached: BTreeSet<Collection>,
    /// Where the cache's primary answers, when there is a cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<DbEndpoint>,
    /// The secondary region, when the target has one.
    pub secondary_region: Option<String>,
    /// The backup policy the store was provisioned under.
    pub policy: String,
    /// The workload seed.
    pub seed: u64,
    /// When the session began (emulator clock): acts before it are not the person's.
    pub started_at: DateTime<Utc>,
    /// The emulator instant up to which the history is complete.
    pub written_at: DateTime<Utc>,
    /// Whether traffic is still running.
    pub traffic: TrafficState,
    /// Every operation and event so far.
    pub history: History,
}

impl LiveRecord {
    /// The store as the checker and the clients need it.
    pub fn store(&self) -> anyhow::Result<Store> {
        let f = &self.store;
        let mut names = StoreNames::new(&f.prefix)?;
        names.db_instance = f.db_instance.clone();
        names.db_name = f.db_name.clone();
        names.db_user = f.db_user.clone();
        names.db_password = f.db_password.clone();
        names.orders_engine = crate::store::OrdersEngine::from_rds_engine(&f.db_engine)
            .ok_or_else(|| anyhow::anyhow!("store.json names an unknown orders engine {:?}", f.db_engine))?;
        names.carts_table = f.carts_table.clone();
        names.sessions_table = f.sessions_table.clone();
        names.images_bucket = f.images_bucket.clone();
        names.invoices_bucket = f.invoices_bucket.clone();
        names.templates_bucket = f.templates_bucket.clone();
        names.backup_vault = f.backup_vault.clone();
        names.backup_plan = f.backup_plan.clone();
        names.cache = f.cache_replication_group.clone().map(|group| CacheNames {
            replication_group: group,
            collections: self.cached.clone(),
        });
        Ok(Store {
            names,
            region: f.region.clone(),
            db: DbEndpoint {
                address: f.db_host.clone(),
                port: f.db_port,
            },
            versioned: self.versioned.clone(),
            cache: self.cache.clone(),
            preloaded: false,
        })
    }

    /// Reads `history.json` from `dir`.
    pub fn load(dir: &LiveDir) -> anyhow::Result<Self> {
        let path = dir.history();
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (start the shop with `firedrill up` first)",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a firedrill history", path.display()))
    }

    /// Writes `history.json` (and `store.json`) into `dir`, each replaced
    /// whole so that a reader never sees half a file.
    pub fn save(&self, dir: &LiveDir) -> anyhow::Result<()> {
        write_atomically(&dir.store(), &serde_json::to_vec_pretty(&self.store)?)?;
        write_atomically(&dir.history(), &serde_json::to_vec(self)?)
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// A live record of the shop `shop` for unit tests: everything in DynamoDB,
/// traffic running since 2026-03-14T03:00:00Z.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{LiveRecord, TrafficState};
    use crate::team::contract::StoreFile;
    use chrono::{DateTime, Utc};

    /// The record.
    pub fn record() -> LiveRecord {
        let names = crate::model::StoreNames::new("shop").expect("valid prefix");
        let started: DateTime<Utc> = "2026-03-14T03:00:00Z".parse().expect("instant");
        LiveRecord {
            endpoint: "http://127.0.0.1:4566".into(),
            store: StoreFile {
                region: "us-east-1".into(),
                db_instance: names.db_instance.clone(),
                db_name: names.db_name.clone(),
                db_user: names.db_user.clone(),
                db_password: names.db_password.clone(),
                db_host: "127.0.0.1".into(),
                db_port: 5432,
                db_engine: "postgres".into(),
                db_replica_instance: None,
                db_replica_region: None,
                carts_table: names.carts_table.clone(),
                sessions_table: names.sessions_table.clone(),
                images_bucket: names.images_bucket.clone(),
                invoices_bucket: names.invoices_bucket.clone(),
                templates_bucket: names.templates_bucket.clone(),
                backup_vault: names.backup_vault.clone(),
                backup_plan: names.backup_plan.clone(),
                cache_replication_group: None,
                prefix: names.prefix.clone(),
            },
            versioned: Default::default(),
            cached: Default::default(),
            cache: None,
            secondary_region: Some("us-west-2".into()),
            policy: "four_layer".into(),
            seed: 42,
            started_at: started,
            written_at: started + chrono::Duration::seconds(100),
            traffic: TrafficState::Running,
            history: Default::default(),
        }
    }
}
