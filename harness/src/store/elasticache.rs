//! The shop's ElastiCache layer: one replication group (cluster mode
//! disabled, one primary) holding sessions and carts as Redis string keys
//! with TTLs, created, snapshotted, restored and read through the official
//! `aws-sdk-elasticache` client and the `redis` crate.
//!
//! A record is the key `session:<id>` or `cart:<id>` holding the canonical
//! fields of the DynamoDB item it replaces as a JSON object, written with
//! `SET ... EX` (sessions expire after 7 days, carts after 30: Redis wall
//! time, so nothing expires during a drill). [`read_into`] reads the whole
//! keyspace back (`SCAN`, then `GET` and `TTL` per key) into the snapshot
//! the checker judges: values are compared exactly, TTLs only for their
//! presence ([`StoreSnapshot::no_ttl`]).
//!
//! There is no point-in-time recovery on ElastiCache: a restore is a new
//! replication group created from a snapshot ([`create_group`] with
//! `SnapshotName`), so everything written after the newest snapshot before
//! the fault is lost, and the loss window is the snapshot interval.
//!
//! The Redis client is synchronous (the workspace takes `redis` without its
//! async runtime); every call runs on a blocking thread with connect, read
//! and write timeouts.

use crate::history::{Collection, Key, Value};
use crate::model::{DbEndpoint, Store, StoreSnapshot};
use crate::target::{Clients, Target};
use crate::wait::{Poll, WaitOptions, wait_for};
use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

/// Seconds a session key lives.
pub const SESSION_TTL_SECONDS: u64 = 7 * 86_400;
/// Seconds a cart key lives.
pub const CART_TTL_SECONDS: u64 = 30 * 86_400;
/// The node type firedrill creates.
pub const NODE_TYPE: &str = "cache.t3.micro";

const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(5);
const IO_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// The replication group id for a stack prefix: `<prefix>-sess`, with
/// doubled hyphens collapsed (ElastiCache refuses two in a row).
pub fn group_id(prefix: &str) -> String {
    collapse(&format!("{prefix}-sess"))
}

/// The id of the `n`th restore of `group`: `<group>-r<n>`, at most 40
/// characters as ElastiCache requires.
pub fn restored_group_id(group: &str, n: u32) -> String {
    let suffix = format!("-r{n}");
    let mut base = group
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-')
        .to_owned();
    if let Some(stripped) = base.strip_suffix("-r") {
        base = stripped.to_owned();
    }
    base.truncate(40 - suffix.len());
    collapse(&format!("{}{suffix}", base.trim_end_matches('-')))
}

fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out
}

/// The Redis key of a cache record.
pub fn redis_key(key: &Key) -> Option<String> {
    match key.collection {
        Collection::CacheSessions => Some(format!("session:{}", key.id)),
        Collection::CacheCarts => Some(format!("cart:{}", key.id)),
        _ => None,
    }
}

/// The record a Redis key holds; `None` for keys the shop does not write.
pub fn record_key(redis_key: &str) -> Option<Key> {
    if let Some(id) = redis_key.strip_prefix("session:") {
        Some(Key::new(Collection::CacheSessions, id))
    } else {
        redis_key
            .strip_prefix("cart:")
            .map(|id| Key::new(Collection::CacheCarts, id))
    }
}

/// How long a key of `collection` lives.
pub fn ttl_seconds(collection: Collection) -> u64 {
    if collection.logical() == Collection::Carts {
        CART_TTL_SECONDS
    } else {
        SESSION_TTL_SECONDS
    }
}

/// The text stored for a value: its fields as a JSON object.
pub fn encode(value: &Value) -> String {
    match value {
        Value::Row { fields } => serde_json::to_string(fields).unwrap_or_default(),
        Value::Object { .. } => String::new(),
    }
}

/// The value a stored text holds; text that is not a JSON object of strings
/// is kept whole in a `raw` field, so the checker sees it as a wrong value.
pub fn decode(text: &str) -> Value {
    match serde_json::from_str::<BTreeMap<String, String>>(text) {
        Ok(fields) => Value::Row { fields },
        Err(_) => Value::row([("raw", text.to_owned())]),
    }
}

/// Why a Redis call failed: whether the write can have happened.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// No connection was made: nothing was sent.
    #[error("cannot connect to the cache at {endpoint}: {message}")]
    Unreachable {
        /// `host:port`.
        endpoint: String,
        /// The client's error.
        message: String,
    },
    /// The server answered with an error: the command did not apply.
    #[error("the cache refused {command}: {message}")]
    Refused {
        /// The command.
        command: &'static str,
        /// The server's error.
        message: String,
    },
    /// The connection broke or timed out after the command was sent.
    #[error("{command} on the cache has no answer: {message}")]
    Indeterminate {
        /// The command.
        command: &'static str,
        /// The client's error.
        message: String,
    },
}

impl CacheError {
    fn of(command: &'static str, e: redis::RedisError) -> Self {
        let message = e.to_string();
        if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() {
            CacheError::Indeterminate { command, message }
        } else {
            CacheError::Refused { command, message }
        }
    }

    /// Whether the command certainly did not apply.
    pub fn certainly_not_applied(&self) -> bool {
        !matches!(self, CacheError::Indeterminate { .. })
    }
}

/// Opens a connection to `endpoint` as this machine reaches it.
fn connect(address: (String, u16)) -> Result<redis::Connection, CacheError> {
    let endpoint = format!("{}:{}", address.0, address.1);
    let unreachable = |e: redis::RedisError| CacheError::Unreachable {
        endpoint: endpoint.clone(),
        message: e.to_string(),
    };
    let client = redis::Client::open(format!("redis://{endpoint}/")).map_err(unreachable)?;
    let conn = client
        .get_connection_with_timeout(CONNECT_TIMEOUT)
        .map_err(unreachable)?;
    conn.set_read_timeout(Some(IO_TIMEOUT)).map_err(unreachable)?;
    conn.set_write_timeout(Some(IO_TIMEOUT)).map_err(unreachable)?;
    Ok(conn)
}

/// Runs `f` on a connection to `endpoint` on a blocking thread.
async fn with_connection<T, F>(target: &dyn Target, endpoint: &DbEndpoint, f: F) -> Result<T, CacheError>
where
    T: Send + 'static,
    F: FnOnce(&mut redis::Connection) -> Result<T, CacheError> + Send + 'static,
{
    let address = target.database_address(&endpoint.address, endpoint.port);
    tokio::task::spawn_blocking(move || {
        let mut conn = connect(address)?;
        f(&mut conn)
    })
    .await
    .unwrap_or_else(|e| {
        Err(CacheError::Indeterminate {
            command: "a call",
            message: format!("the blocking task failed: {e}"),
        })
    })
}

/// The endpoint the store's cache answers at, or why there is none.
fn endpoint_of(store: &Store) -> Result<DbEndpoint, CacheError> {
    store.cache.clone().ok_or_else(|| CacheError::Unreachable {
        endpoint: "(none)".to_owned(),
        message: "the store has no ElastiCache endpoint".to_owned(),
    })
}

/// Writes one record with its TTL (`SET key value EX ttl`).
pub async fn put(target: &dyn Target, store: &Store, key: &Key, value: &Value) -> Result<(), CacheError> {
    let endpoint = endpoint_of(store)?;
    let name = redis_key(key).ok_or(CacheError::Refused {
        command: "SET",
        message: format!("{key} is not kept in ElastiCache"),
    })?;
    let text = encode(value);
    let ttl = ttl_seconds(key.collection);
    with_connection(target, &endpoint, move |c| {
        redis::cmd("SET")
            .arg(&name)
            .arg(&text)
            .arg("EX")
            .arg(ttl)
            .query::<()>(c)
            .map_err(|e| CacheError::of("SET", e))
    })
    .await
}

/// Deletes one record (`DEL key`).
pub async fn delete(target: &dyn Target, store: &Store, key: &Key) -> Result<(), CacheError> {
    let endpoint = endpoint_of(store)?;
    let name = redis_key(key).ok_or(CacheError::Refused {
        command: "DEL",
        message: format!("{key} is not kept in ElastiCache"),
    })?;
    with_connection(target, &endpoint, move |c| {
        redis::cmd("DEL")
            .arg(&name)
            .query::<()>(c)
            .map_err(|e| CacheError::of("DEL", e))
    })
    .await
}

/// Every shop record the cache holds now.
pub async fn records(target: &dyn Target, store: &Store) -> Result<Vec<Key>, CacheError> {
    let endpoint = endpoint_of(store)?;
    with_connection(target, &endpoint, |c| {
        Ok(scan(c)?.iter().filter_map(|k| record_key(k)).collect())
    })
    .await
}

/// Empties the whole cache (`FLUSHALL`), as a bad deploy does.
pub async fn flush_all(target: &dyn Target, store: &Store) -> Result<(), CacheError> {
    let endpoint = endpoint_of(store)?;
    with_connection(target, &endpoint, |c| {
        redis::cmd("FLUSHALL")
            .query::<()>(c)
            .map_err(|e| CacheError::of("FLUSHALL", e))
    })
    .await
}

/// Every key of the keyspace (`SCAN`).
fn scan(c: &mut redis::Connection) -> Result<Vec<String>, CacheError> {
    let mut keys = Vec::new();
    let mut cursor: u64 = 0;
    for _ in 0..1_000_000 {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query(c)
            .map_err(|e| CacheError::of("SCAN", e))?;
        keys.extend(batch);
        if next == 0 {
            keys.sort();
            keys.dedup();
            return Ok(keys);
        }
        cursor = next;
    }
    Err(CacheError::Indeterminate {
        command: "SCAN",
        message: "more than a million cursor steps".to_owned(),
    })
}

/// One key as read back: its text (`None` when it expired or vanished
/// between `SCAN` and `GET`) and its TTL in seconds (`-1`: no expiry).
type ReadKey = (String, Option<String>, i64);

/// Reads every key with its value and TTL.
fn read_all(c: &mut redis::Connection) -> Result<Vec<ReadKey>, CacheError> {
    let keys = scan(c)?;
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let mut pipe = redis::pipe();
        for k in chunk {
            pipe.cmd("GET").arg(k).cmd("TTL").arg(k);
        }
        let answers: Vec<redis::Value> = pipe.query(c).map_err(|e| CacheError::of("GET", e))?;
        for (k, pair) in chunk.iter().zip(answers.chunks(2)) {
            let text = pair
                .first()
                .and_then(|v| redis::from_redis_value::<Option<String>>(v).ok().flatten());
            let ttl = pair
                .get(1)
                .and_then(|v| redis::from_redis_value::<i64>(v).ok())
                .unwrap_or(-2);
            out.push((k.clone(), text, ttl));
        }
    }
    Ok(out)
}

/// Reads the store's cache into `snap`: every session and cart key with its
/// canonical value, the keys without an expiry in `no_ttl`. A store without
/// a cache reads nothing; a cache that does not answer (a dark region) is
/// unreadable, which the checker turns into an unknown verdict. A store
/// whose cache has no endpoint (a failover that found nothing to restore it
/// from) is looked up in the store's region: a replication group that does
/// not exist there reads as missing, so its records are lost, not unknown.
pub async fn read_into(target: &dyn Target, store: &Store, snap: &mut StoreSnapshot) {
    let Some(names) = &store.names.cache else {
        return;
    };
    let collections = [Collection::CacheSessions, Collection::CacheCarts];
    let endpoint = match &store.cache {
        Some(endpoint) => Ok(endpoint.clone()),
        None => {
            let ec = store.clients(target).elasticache;
            match describe_group(&ec, &names.replication_group).await {
                Ok(None) => {
                    for c in collections {
                        snap.read.insert(c);
                        snap.missing.insert(c);
                    }
                    return;
                }
                Ok(Some(GroupInfo {
                    primary: Some(endpoint),
                    ..
                })) => Ok(endpoint),
                Ok(Some(g)) => Err(CacheError::Unreachable {
                    endpoint: names.replication_group.clone(),
                    message: format!(
                        "the replication group is {} and has no primary endpoint",
                        g.status
                    ),
                }),
                Err(e) => Err(CacheError::Unreachable {
                    endpoint: names.replication_group.clone(),
                    message: format!("{e:#}"),
                }),
            }
        }
    };
    let read = match endpoint {
        Ok(endpoint) => with_connection(target, &endpoint, read_all).await,
        Err(e) => Err(e),
    };
    match read {
        Ok(keys) => {
            for (name, text, ttl) in keys {
                let (Some(key), Some(text)) = (record_key(&name), text) else {
                    continue;
                };
                if ttl < 0 {
                    snap.no_ttl.insert(key.clone());
                }
                snap.records.insert(key, decode(&text));
            }
            snap.read.extend(collections);
        }
        Err(e) => {
            for c in collections {
                snap.mark_unreadable(c, e.to_string());
            }
        }
    }
}

/// ElastiCache snapshot settings: AWS's `SnapshotRetentionLimit` (days an
/// automatic daily snapshot is kept; 0 takes none) and `SnapshotWindow`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSettings {
    /// `SnapshotRetentionLimit`, 0-35 days; 0 turns automatic snapshots off.
    #[serde(default)]
    pub snapshot_retention_limit: u32,
    /// `SnapshotWindow`, `hh24:mi-hh24:mi` UTC (at least 60 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_window: Option<String>,
}

/// Creates the replication group `id` (one `redis` primary), from
/// `snapshot` when given.
pub async fn create_group(
    ec: &aws_sdk_elasticache::Client,
    id: &str,
    settings: &SnapshotSettings,
    snapshot: Option<&str>,
) -> anyhow::Result<()> {
    ec.create_replication_group()
        .replication_group_id(id)
        .replication_group_description(match snapshot {
            Some(s) => format!("shop sessions, restored from {s}"),
            None => "shop sessions and carts".to_owned(),
        })
        .engine("redis")
        .cache_node_type(NODE_TYPE)
        .num_cache_clusters(1)
        .snapshot_retention_limit(settings.snapshot_retention_limit as i32)
        .set_snapshot_window(settings.snapshot_window.clone())
        .set_snapshot_name(snapshot.map(str::to_owned))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateReplicationGroup {id}"))?;
    Ok(())
}

/// What DescribeReplicationGroups says of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// `Status`.
    pub status: String,
    /// The node group's `PrimaryEndpoint`, once it has one.
    pub primary: Option<DbEndpoint>,
    /// `SnapshotRetentionLimit`.
    pub retention: i32,
    /// `SnapshotWindow`.
    pub window: Option<String>,
}

/// Describes one group; `None` when it does not exist.
pub async fn describe_group(ec: &aws_sdk_elasticache::Client, id: &str) -> anyhow::Result<Option<GroupInfo>> {
    let resp = match ec
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let e = e.into_service_error();
            if e.is_replication_group_not_found_fault() {
                return Ok(None);
            }
            return Err(anyhow::Error::new(e).context(format!("DescribeReplicationGroups {id}")));
        }
    };
    Ok(resp.replication_groups().first().map(|g| GroupInfo {
        status: g.status().unwrap_or_default().to_owned(),
        primary: g
            .node_groups()
            .first()
            .and_then(|n| n.primary_endpoint())
            .and_then(|e| {
                Some(DbEndpoint {
                    address: e.address()?.to_owned(),
                    port: u16::try_from(e.port()?).ok()?,
                })
            }),
        retention: g.snapshot_retention_limit().unwrap_or(0),
        window: g.snapshot_window().map(str::to_owned),
    }))
}

/// Waits until the group is `available` and returns its primary endpoint.
pub async fn wait_group_available(
    target: &dyn Target,
    ec: &aws_sdk_elasticache::Client,
    id: &str,
    wait: &WaitOptions,
) -> anyhow::Result<DbEndpoint> {
    wait_for(
        target,
        &format!("ElastiCache replication group {id} to be available"),
        wait,
        || async {
            match describe_group(ec, id).await? {
                Some(GroupInfo {
                    status,
                    primary: Some(endpoint),
                    ..
                }) if status == "available" => Ok(Poll::Ready(endpoint)),
                Some(g) if g.status.ends_with("failed") => {
                    Err(anyhow!("replication group {id} entered status {}", g.status))
                }
                Some(g) => Ok(Poll::Pending(format!("status {}", g.status))),
                None => Ok(Poll::Pending("not found yet".into())),
            }
        },
    )
    .await
}

/// One snapshot of a group, as DescribeSnapshots lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// `SnapshotName`.
    pub name: String,
    /// `SnapshotStatus`.
    pub status: String,
    /// `SnapshotSource`: `automated` or `manual`.
    pub source: String,
    /// The node snapshot's `SnapshotCreateTime`.
    pub created: Option<DateTime<Utc>>,
}

/// Every snapshot of replication group `group`, oldest first.
pub async fn snapshots_of(
    ec: &aws_sdk_elasticache::Client,
    group: &str,
) -> anyhow::Result<Vec<SnapshotInfo>> {
    let snapshots: Vec<aws_sdk_elasticache::types::Snapshot> = ec
        .describe_snapshots()
        .replication_group_id(group)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("DescribeSnapshots of {group}"))?;
    let mut out: Vec<SnapshotInfo> = snapshots
        .iter()
        .filter(|s| s.replication_group_id() == Some(group))
        .map(|s| SnapshotInfo {
            name: s.snapshot_name().unwrap_or_default().to_owned(),
            status: s.snapshot_status().unwrap_or_default().to_owned(),
            source: s.snapshot_source().unwrap_or_default().to_owned(),
            created: s
                .node_snapshots()
                .first()
                .and_then(|n| n.snapshot_create_time())
                .and_then(|t| crate::model::smithy_to_chrono(*t)),
        })
        .collect();
    out.sort_by_key(|s| s.created);
    Ok(out)
}

/// The newest available snapshot of `group` taken before `before`.
pub fn newest_before(snapshots: &[SnapshotInfo], before: DateTime<Utc>) -> Option<&SnapshotInfo> {
    snapshots
        .iter()
        .filter(|s| s.status == "available" && s.created.is_some_and(|c| c < before))
        .max_by_key(|s| s.created)
}

/// Creates the store's replication group under `settings` and waits for it.
pub async fn provision(
    target: &dyn Target,
    clients: &Clients,
    group: &str,
    settings: &SnapshotSettings,
    wait: &WaitOptions,
) -> anyhow::Result<DbEndpoint> {
    create_group(&clients.elasticache, group, settings, None).await?;
    wait_group_available(target, &clients.elasticache, group, wait).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_fit_elasticache_rules() {
        assert_eq!(group_id("shop"), "shop-sess");
        assert_eq!(group_id("fd-a--b"), "fd-a-b-sess");
        let long = group_id(&"x".repeat(30));
        assert_eq!(long.len(), 35);
        let r = restored_group_id(&long, 1);
        assert!(r.len() <= 40 && r.ends_with("-r1"), "{r}");
        assert_eq!(restored_group_id("shop-sess-r1", 2), "shop-sess-r2");
        assert_eq!(restored_group_id("shop-sess", 1), "shop-sess-r1");
    }

    #[test]
    fn records_round_trip_through_redis_keys_and_text() {
        let key = Key::new(Collection::CacheSessions, "sess-000001");
        let name = redis_key(&key).expect("a cache key");
        assert_eq!(name, "session:sess-000001");
        assert_eq!(record_key(&name), Some(key));
        assert_eq!(
            record_key("cart:cart-000002"),
            Some(Key::new(Collection::CacheCarts, "cart-000002"))
        );
        assert_eq!(record_key("other-app:thing"), None);
        assert_eq!(redis_key(&Key::new(Collection::Sessions, "s")), None);
        let v = Value::row([("session_id", "s1"), ("views", "3")]);
        assert_eq!(decode(&encode(&v)), v);
        assert_eq!(decode("not json"), Value::row([("raw", "not json")]));
        assert_eq!(ttl_seconds(Collection::CacheCarts), CART_TTL_SECONDS);
        assert_eq!(ttl_seconds(Collection::CacheSessions), SESSION_TTL_SECONDS);
    }

    #[test]
    fn the_restore_takes_the_newest_available_snapshot_before_the_fault() {
        let at = |h: u32| -> DateTime<Utc> { format!("2026-03-15T{h:02}:00:00Z").parse().unwrap() };
        let snap = |name: &str, status: &str, h: u32| SnapshotInfo {
            name: name.into(),
            status: status.into(),
            source: "automated".into(),
            created: Some(at(h)),
        };
        let all = [
            snap("a", "available", 3),
            snap("b", "available", 5),
            snap("c", "creating", 6),
            snap("d", "available", 9),
        ];
        assert_eq!(newest_before(&all, at(7)).map(|s| s.name.as_str()), Some("b"));
        assert_eq!(newest_before(&all, at(3)), None);
    }
}
