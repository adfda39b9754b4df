//! ElastiCache on real `redis-server` processes: cache cluster create time
//! (goal under 1 s), the time a snapshot of 100k keys takes (`BGSAVE` and
//! the copy into the emulator's storage; no goal), and the time a new
//! cluster restored from that snapshot takes to be available with every key
//! loaded (goal under 2 s).
//!
//! Every figure is wall time through the official `aws-sdk-elasticache`
//! client until DescribeCacheClusters (or DescribeSnapshots) says
//! `available`; the keys are written and counted with the `redis` crate on
//! the endpoint the cluster reports.

use crate::measure::{BenchResult, ms};
use anyhow::Context;
use aws_sdk_elasticache::Client;
use firedrill_emulator::Emulator;
use std::time::{Duration, Instant};

/// How long any one cluster or snapshot may take before the bench gives up.
const WAIT: Duration = Duration::from_secs(120);

/// Waits until cluster `id` is available; returns its node's endpoint.
async fn wait_available(client: &Client, id: &str) -> anyhow::Result<(String, u16)> {
    let deadline = Instant::now() + WAIT;
    loop {
        let out = client
            .describe_cache_clusters()
            .cache_cluster_id(id)
            .show_cache_node_info(true)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("DescribeCacheClusters {id}"))?;
        if let Some(c) = out.cache_clusters().first() {
            let status = c.cache_cluster_status().unwrap_or_default();
            anyhow::ensure!(!status.ends_with("failed"), "cluster {id} is {status}");
            if status == "available"
                && let Some(ep) = c.cache_nodes().first().and_then(|n| n.endpoint())
            {
                let host = ep.address().unwrap_or("127.0.0.1").to_owned();
                let port = u16::try_from(ep.port().unwrap_or(6379))?;
                return Ok((host, port));
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "{id} not available after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// CreateCacheCluster (one `redis` node), from `snapshot` when given, then
/// waits for it.
async fn create(client: &Client, id: &str, snapshot: Option<&str>) -> anyhow::Result<(String, u16)> {
    client
        .create_cache_cluster()
        .cache_cluster_id(id)
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .num_cache_nodes(1)
        .set_snapshot_name(snapshot.map(str::to_owned))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateCacheCluster {id}"))?;
    wait_available(client, id).await
}

/// CreateSnapshot of cluster `id`, then waits until it is available.
async fn snapshot(client: &Client, id: &str, name: &str) -> anyhow::Result<()> {
    client
        .create_snapshot()
        .cache_cluster_id(id)
        .snapshot_name(name)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("CreateSnapshot {name}"))?;
    let deadline = Instant::now() + WAIT;
    loop {
        let out = client
            .describe_snapshots()
            .snapshot_name(name)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("DescribeSnapshots {name}"))?;
        let status = out
            .snapshots()
            .first()
            .and_then(|s| s.snapshot_status())
            .unwrap_or_default()
            .to_owned();
        if status == "available" {
            return Ok(());
        }
        anyhow::ensure!(status != "failed", "snapshot {name} failed");
        anyhow::ensure!(
            Instant::now() < deadline,
            "snapshot {name} is still {status} after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `f` on a connection to `endpoint`, on a blocking thread (the
/// workspace takes the `redis` crate without its async runtime).
async fn with_redis<T, F>(endpoint: (String, u16), f: F) -> anyhow::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut redis::Connection) -> redis::RedisResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let client = redis::Client::open(format!("redis://{}:{}/", endpoint.0, endpoint.1))?;
        let mut conn = client.get_connection_with_timeout(Duration::from_secs(5))?;
        f(&mut conn)
    })
    .await?
    .map_err(anyhow::Error::new)
}

/// Writes `keys` session keys (a JSON value of about 100 bytes each, with a
/// TTL, as the shop's sessions are) in pipelined batches.
async fn load(endpoint: (String, u16), keys: usize) -> anyhow::Result<()> {
    with_redis(endpoint, move |c| {
        for start in (0..keys).step_by(5_000) {
            let mut pipe = redis::pipe();
            for i in start..(start + 5_000).min(keys) {
                pipe.cmd("SET")
                    .arg(format!("session:sess-{i:07}"))
                    .arg(format!(
                        "{{\"session_id\":\"sess-{i:07}\",\"customer_id\":\"cust-{:05}\",\"views\":\"{}\"}}",
                        i % 50_000,
                        i % 97
                    ))
                    .arg("EX")
                    .arg(7 * 86_400)
                    .ignore();
            }
            pipe.query::<()>(c)?;
        }
        Ok(())
    })
    .await
}

/// How many keys the server at `endpoint` holds.
async fn dbsize(endpoint: (String, u16)) -> anyhow::Result<usize> {
    with_redis(endpoint, |c| redis::cmd("DBSIZE").query::<usize>(c)).await
}

/// Cluster create time over three clusters, then the snapshot of a loaded
/// one and three restores of it.
pub async fn create_and_restore(scale: usize) -> anyhow::Result<Vec<BenchResult>> {
    let keys = 100_000 / scale;
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T10:00:00Z".parse()?)
        .start()
        .await?;
    let result = measure(&emulator, keys).await;
    emulator.shutdown().await;
    result
}

async fn measure(
    emulator: &firedrill_emulator::EmulatorHandle,
    keys: usize,
) -> anyhow::Result<Vec<BenchResult>> {
    let ec = Client::new(&emulator.sdk_config("us-east-1").await);
    // One cluster first, so that the measured ones do not pay for the
    // first start of anything (as the RDS bench measures after `settle`).
    create(&ec, "bench-warm", None).await?;
    let mut create_samples = Vec::new();
    for i in 0..3 {
        let t = Instant::now();
        create(&ec, &format!("bench-create-{i}"), None).await?;
        create_samples.push(ms(t.elapsed()));
    }
    let source = wait_available(&ec, "bench-create-0").await?;
    load(source.clone(), keys).await?;
    anyhow::ensure!(
        dbsize(source).await? == keys,
        "the source cluster does not hold the {keys} keys written"
    );
    let t = Instant::now();
    snapshot(&ec, "bench-create-0", "bench-snapshot").await?;
    let snapshot_ms = ms(t.elapsed());
    let mut restore_samples = Vec::new();
    for i in 0..3 {
        let id = format!("bench-restored-{i}");
        let t = Instant::now();
        let endpoint = create(&ec, &id, Some("bench-snapshot")).await?;
        restore_samples.push(ms(t.elapsed()));
        let held = dbsize(endpoint).await?;
        anyhow::ensure!(held == keys, "{id} holds {held} keys, not the snapshot's {keys}");
    }
    Ok(vec![
        BenchResult::new("elasticache_create_cache_cluster", "ms", create_samples)
            .goal_at_most(1000.0)
            .note("CreateCacheCluster (engine redis, one node) until DescribeCacheClusters says available"),
        BenchResult::new("elasticache_snapshot_100k_keys", "ms", vec![snapshot_ms]).note(format!(
            "{keys} session keys; CreateSnapshot (BGSAVE) until DescribeSnapshots says available"
        )),
        BenchResult::new("elasticache_restore_100k_key_snapshot", "ms", restore_samples)
            .goal_at_most(2000.0)
            .note(format!(
                "CreateCacheCluster with SnapshotName of a {keys}-key snapshot until available; every key checked with DBSIZE after each (not timed)"
            )),
    ])
}
