//! ElastiCache and S3 in one emulator, through the official SDKs: a
//! snapshot exported into a bucket with CopySnapshot's `TargetBucket` lands
//! as `<name>-0001.rdb`, and a cluster created from `SnapshotArns` naming
//! that object starts with exactly the snapshot's keys; a bucket in another
//! region is refused as ElastiCache refuses it.

use aws_sdk_elasticache::error::ProvideErrorMetadata;
use aws_sdk_elasticache::types::CacheCluster;
use firedrill_emulator::Emulator;
use std::time::{Duration, Instant};

fn redis_installed() -> bool {
    std::env::var_os("FIREDRILL_REDIS_BIN").is_some()
        || std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("redis-server").is_file()))
}

async fn available(c: &aws_sdk_elasticache::Client, id: &str) -> CacheCluster {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cluster = c
            .describe_cache_clusters()
            .cache_cluster_id(id)
            .show_cache_node_info(true)
            .send()
            .await
            .unwrap()
            .cache_clusters()[0]
            .clone();
        if cluster.cache_cluster_status() == Some("available") {
            return cluster;
        }
        assert!(Instant::now() < deadline, "{id} never became available");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn connect(cluster: &CacheCluster) -> redis::Connection {
    let ep = cluster.cache_nodes()[0].endpoint().unwrap();
    redis::Client::open(format!(
        "redis://{}:{}/",
        ep.address().unwrap(),
        ep.port().unwrap()
    ))
    .unwrap()
    .get_connection()
    .unwrap()
}

fn keys(conn: &mut redis::Connection) -> Vec<(String, String)> {
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(conn).unwrap();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            let v: String = redis::cmd("GET").arg(&k).query(conn).unwrap();
            (k, v)
        })
        .collect()
}

#[tokio::test]
async fn an_rdb_exported_to_s3_seeds_a_cluster() {
    if !redis_installed() {
        println!("SKIP an_rdb_exported_to_s3_seeds_a_cluster: redis-server is not installed");
        return;
    }
    let emulator = Emulator::builder().start().await.unwrap();
    let sdk = emulator.sdk_config("us-east-1").await;
    let ec = aws_sdk_elasticache::Client::new(&sdk);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("cache-exports").send().await.unwrap();
    let west = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&emulator.sdk_config("us-west-2").await)
            .force_path_style(true)
            .build(),
    );
    west.create_bucket()
        .bucket("west-exports")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();

    ec.create_cache_cluster()
        .cache_cluster_id("sessions")
        .send()
        .await
        .unwrap();
    let sessions = available(&ec, "sessions").await;
    let mut conn = connect(&sessions);
    for i in 0..300 {
        let () = redis::cmd("SET")
            .arg(format!("session:{i}"))
            .arg(format!("user-{i}"))
            .query(&mut conn)
            .unwrap();
    }
    let expected = keys(&mut conn);
    ec.create_snapshot()
        .cache_cluster_id("sessions")
        .snapshot_name("nightly")
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = ec
            .describe_snapshots()
            .snapshot_name("nightly")
            .send()
            .await
            .unwrap();
        if s.snapshots()[0].snapshot_status() == Some("available") {
            break;
        }
        assert!(Instant::now() < deadline, "the snapshot never completed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let e = ec
        .copy_snapshot()
        .source_snapshot_name("nightly")
        .target_snapshot_name("nightly-export")
        .target_bucket("west-exports")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    assert_eq!(
        e.message(),
        Some("The S3 bucket west-exports is outside of the region.")
    );
    ec.copy_snapshot()
        .source_snapshot_name("nightly")
        .target_snapshot_name("nightly-export")
        .target_bucket("cache-exports")
        .send()
        .await
        .unwrap();
    let object = s3
        .get_object()
        .bucket("cache-exports")
        .key("nightly-export-0001.rdb")
        .send()
        .await
        .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    assert!(body.starts_with(b"REDIS"), "the object is an RDB file");

    // Writes after the snapshot are not in the export.
    let () = redis::cmd("SET").arg("late").arg("x").query(&mut conn).unwrap();
    ec.create_cache_cluster()
        .cache_cluster_id("sessions-seeded")
        .snapshot_arns("arn:aws:s3:::cache-exports/nightly-export-0001.rdb")
        .send()
        .await
        .unwrap();
    let seeded = available(&ec, "sessions-seeded").await;
    assert_eq!(keys(&mut connect(&seeded)), expected);
    emulator.shutdown().await;
}
