//! Helpers shared by the ElastiCache integration tests: an emulator with
//! ElastiCache on a simulated clock, SDK clients, waiting for statuses, and
//! a Redis client on an endpoint.

#![allow(dead_code)]

use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{CacheCluster, Snapshot};
use firedrill_emu_core::AwsService;
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_elasticache::ElastiCache;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An emulator serving ElastiCache on the default config, or `None` (after
/// printing why) when the machine has no `redis-server`.
pub async fn start(test: &str) -> Option<(TestServer, Arc<ElastiCache>)> {
    start_with(test, firedrill_emu_core::EmulatorConfig::default()).await
}

pub async fn start_with(
    test: &str,
    config: firedrill_emu_core::EmulatorConfig,
) -> Option<(TestServer, Arc<ElastiCache>)> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let clock = firedrill_emu_core::Clock::simulated("2026-03-14T12:00:00Z".parse().expect("an instant"));
    let mut holder = None;
    let server = TestServer::start_with(config, clock, |env| {
        let service = ElastiCache::new(env);
        holder = Some(service.clone());
        vec![service as Arc<dyn AwsService>]
    })
    .await;
    let service = holder.expect("the service was built");
    if let Err(e) = service.redis_available() {
        println!("SKIP {test}: redis-server is not available: {e}");
        return None;
    }
    Some((server, service))
}

/// An ElastiCache client for `region`.
pub async fn client(server: &TestServer, region: &str) -> Client {
    Client::new(&server.sdk_config(region).await)
}

/// Describes one cluster with its node info.
pub async fn describe(client: &Client, id: &str) -> CacheCluster {
    client
        .describe_cache_clusters()
        .cache_cluster_id(id)
        .show_cache_node_info(true)
        .send()
        .await
        .expect("describe")
        .cache_clusters()
        .first()
        .cloned()
        .expect("one cluster")
}

/// Polls until the cluster shows `status` (bounded).
pub async fn wait_status(client: &Client, id: &str, status: &str) -> CacheCluster {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let c = describe(client, id).await;
        let now = c.cache_cluster_status().unwrap_or_default().to_owned();
        if now == status {
            return c;
        }
        assert!(!now.ends_with("failed"), "cluster {id} is {now}");
        assert!(
            Instant::now() < deadline,
            "cluster {id} stuck in {now}, wanted {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls until the cluster is gone (bounded).
pub async fn wait_gone(client: &Client, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match client.describe_cache_clusters().cache_cluster_id(id).send().await {
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_cache_cluster_not_found_fault()) =>
            {
                return;
            }
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(_) => {}
        }
        assert!(Instant::now() < deadline, "cluster {id} was not deleted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls until the snapshot shows `status` (bounded).
pub async fn wait_snapshot(client: &Client, name: &str, status: &str) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = client
            .describe_snapshots()
            .snapshot_name(name)
            .send()
            .await
            .expect("describe snapshots")
            .snapshots()
            .first()
            .cloned()
            .expect("one snapshot");
        let now = s.snapshot_status().unwrap_or_default().to_owned();
        if now == status {
            return s;
        }
        assert!(now != "failed", "snapshot {name} failed");
        assert!(
            Instant::now() < deadline,
            "snapshot {name} stuck in {now}, wanted {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates a Redis cluster and waits until it is available.
pub async fn create_cluster(client: &Client, id: &str) -> CacheCluster {
    client
        .create_cache_cluster()
        .cache_cluster_id(id)
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .num_cache_nodes(1)
        .send()
        .await
        .expect("create cache cluster");
    wait_status(client, id, "available").await
}

/// A Redis connection to a cluster's node endpoint.
pub fn redis_of(cluster: &CacheCluster) -> redis::Connection {
    let ep = cluster
        .cache_nodes()
        .first()
        .and_then(|n| n.endpoint())
        .expect("a node endpoint");
    redis_at(ep.address().unwrap(), ep.port().unwrap() as u16)
}

/// A Redis connection to host:port.
pub fn redis_at(host: &str, port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://{host}:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap_or_else(|e| panic!("connect to {host}:{port}: {e}"))
}

/// Every key and its string value, sorted.
pub fn dump(conn: &mut redis::Connection) -> Vec<(String, String)> {
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(conn).unwrap();
    let mut out: Vec<(String, String)> = keys
        .into_iter()
        .map(|k| {
            let v: String = redis::cmd("GET").arg(&k).query(conn).unwrap();
            (k, v)
        })
        .collect();
    out.sort();
    out
}

/// Sets `n` keys `session:<i>` to `value-<i>`.
pub fn fill(conn: &mut redis::Connection, prefix: &str, n: usize) {
    let mut pipe = redis::pipe();
    for i in 0..n {
        pipe.cmd("SET")
            .arg(format!("{prefix}:{i}"))
            .arg(format!("value-{i}"))
            .ignore();
    }
    let () = pipe.query(conn).unwrap();
}

/// An emulator whose records leave `creating` only once the clock has moved
/// an hour past their start, so every intermediate status can be observed
/// without timing: tests move the clock with `server.advance`.
pub async fn start_slow(test: &str) -> Option<(TestServer, Arc<ElastiCache>)> {
    let mut config = firedrill_emu_core::EmulatorConfig::default();
    config.timings.resource_create_delay = chrono::Duration::hours(1);
    start_with(test, config).await
}

/// Polls (bounded) until `f` holds.
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
