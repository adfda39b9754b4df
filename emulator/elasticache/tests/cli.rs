//! The AWS CLI and `redis-cli` against the emulator, as a person would run
//! a drill by hand: create-cache-cluster, write keys with `redis-cli`,
//! create-snapshot, a bad deploy's FLUSHALL, create-cache-cluster from the
//! snapshot, and the keys (and their TTLs) are back. Skipped, with a
//! printed reason, when `aws`, `redis-cli` or `redis-server` is missing.

mod common;

use common::*;
use firedrill_emu_core::testing::{aws_cli, have};
use std::time::{Duration, Instant};

async fn aws(endpoint: &str, args: &[&str]) -> serde_json::Value {
    aws_cli(endpoint, "elasticache", args).await
}

async fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = tokio::process::Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .await
        .expect("run redis-cli");
    assert!(
        out.status.success(),
        "redis-cli {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Polls describe-cache-clusters until `id` is available; its port.
async fn available_port(endpoint: &str, id: &str) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = aws(
            endpoint,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                id,
                "--show-cache-node-info",
            ],
        )
        .await;
        let cluster = &out["CacheClusters"][0];
        if cluster["CacheClusterStatus"] == "available" {
            return cluster["CacheNodes"][0]["Endpoint"]["Port"]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .expect("an endpoint port");
        }
        assert!(
            Instant::now() < deadline,
            "{id} never became available: {cluster}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_and_redis_cli_snapshot_flush_and_restore_a_session_store() {
    if !have("aws") || !have("redis-cli") {
        println!("SKIPPED: the AWS CLI or redis-cli is not installed");
        return;
    }
    let Some((server, _service)) = start("cli").await else {
        return;
    };
    let endpoint = server.endpoint.clone();
    aws(
        &endpoint,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "sessions",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "1",
        ],
    )
    .await;
    server.advance(chrono::Duration::hours(1)).await;
    let port = available_port(&endpoint, "sessions").await;
    assert_eq!(redis_cli(port, &["SET", "session:1", "alice"]).await, "OK");
    assert_eq!(
        redis_cli(port, &["SET", "session:2", "bob", "EX", "3600"]).await,
        "OK"
    );

    let taken = aws(
        &endpoint,
        &[
            "create-snapshot",
            "--cache-cluster-id",
            "sessions",
            "--snapshot-name",
            "sessions-noon",
        ],
    )
    .await;
    assert_eq!(taken["Snapshot"]["SnapshotStatus"], "creating");
    server.advance(chrono::Duration::hours(1)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = aws(
            &endpoint,
            &["describe-snapshots", "--snapshot-name", "sessions-noon"],
        )
        .await;
        if out["Snapshots"][0]["SnapshotStatus"] == "available" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the snapshot never became available: {out}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The bad deploy.
    assert_eq!(redis_cli(port, &["FLUSHALL"]).await, "OK");
    assert_eq!(redis_cli(port, &["DBSIZE"]).await, "0");

    aws(
        &endpoint,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "sessions-restored",
            "--snapshot-name",
            "sessions-noon",
        ],
    )
    .await;
    server.advance(chrono::Duration::hours(1)).await;
    let restored = available_port(&endpoint, "sessions-restored").await;
    assert_eq!(redis_cli(restored, &["GET", "session:1"]).await, "alice");
    assert_eq!(redis_cli(restored, &["GET", "session:2"]).await, "bob");
    let ttl: i64 = redis_cli(restored, &["TTL", "session:2"])
        .await
        .parse()
        .expect("a TTL");
    assert!(ttl > 0, "the TTL survives the snapshot: {ttl}");
    assert_eq!(redis_cli(restored, &["TTL", "session:1"]).await, "-1");

    for id in ["sessions", "sessions-restored"] {
        let out = aws(&endpoint, &["delete-cache-cluster", "--cache-cluster-id", id]).await;
        assert_eq!(out["CacheCluster"]["CacheClusterStatus"], "deleting");
    }
    server.stop().await;
}
