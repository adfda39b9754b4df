//! ElastiCache and S3 in one emulator, through the official SDKs: a
//! snapshot exported into a bucket with CopySnapshot's `TargetBucket` lands
//! as `<name>-0001.rdb`, and a cluster created from `SnapshotArns` naming
//! that object starts with exactly the snapshot's keys; a bucket in another
//! region is refused as ElastiCache refuses it, for exports and seeds alike,
//! so an RDB file reaches another region only copied into a bucket there.

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

/// An S3 client for `sdk` with path-style addressing.
fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// Creates `bucket` in us-west-2.
async fn west_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// CreateSnapshot of `cluster` as `name`, then waits until it is available.
async fn snapshot(c: &aws_sdk_elasticache::Client, cluster: &str, name: &str) {
    c.create_snapshot()
        .cache_cluster_id(cluster)
        .snapshot_name(name)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while c
        .describe_snapshots()
        .snapshot_name(name)
        .send()
        .await
        .unwrap()
        .snapshots()[0]
        .snapshot_status()
        != Some("available")
    {
        assert!(Instant::now() < deadline, "the snapshot never completed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Writes `n` session keys.
fn fill(conn: &mut redis::Connection, n: usize) {
    for i in 0..n {
        let () = redis::cmd("SET")
            .arg(format!("session:{i}"))
            .arg(format!("user-{i}"))
            .query(conn)
            .unwrap();
    }
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
    let s3 = s3_client(&sdk);
    s3.create_bucket().bucket("cache-exports").send().await.unwrap();
    west_bucket(
        &s3_client(&emulator.sdk_config("us-west-2").await),
        "west-exports",
    )
    .await;

    ec.create_cache_cluster()
        .cache_cluster_id("sessions")
        .send()
        .await
        .unwrap();
    let sessions = available(&ec, "sessions").await;
    let mut conn = connect(&sessions);
    fill(&mut conn, 300);
    let expected = keys(&mut conn);
    snapshot(&ec, "sessions", "nightly").await;

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

/// Cross-region recovery as ElastiCache offers it: a snapshot cannot be
/// copied to another region, and a cluster is seeded only from a bucket in
/// its own region, so the RDB file exported in us-east-1 is copied into a
/// us-west-2 bucket; from there it seeds a cluster in us-west-2 while
/// us-east-1 is dark.
#[tokio::test]
async fn an_export_copied_to_another_region_seeds_a_cluster_there_during_an_outage() {
    if !redis_installed() {
        println!(
            "SKIP an_export_copied_to_another_region_seeds_a_cluster_there_during_an_outage: redis-server is not installed"
        );
        return;
    }
    let emulator = Emulator::builder().start().await.unwrap();
    let east_sdk = emulator.sdk_config("us-east-1").await;
    let west_sdk = emulator.sdk_config("us-west-2").await;
    let (ec, ec_west) = (
        aws_sdk_elasticache::Client::new(&east_sdk),
        aws_sdk_elasticache::Client::new(&west_sdk),
    );
    let (s3, s3_west) = (s3_client(&east_sdk), s3_client(&west_sdk));
    s3.create_bucket().bucket("cache-exports").send().await.unwrap();
    west_bucket(&s3_west, "cache-exports-dr").await;

    ec.create_cache_cluster()
        .cache_cluster_id("sessions")
        .send()
        .await
        .unwrap();
    let mut conn = connect(&available(&ec, "sessions").await);
    fill(&mut conn, 200);
    let expected = keys(&mut conn);
    snapshot(&ec, "sessions", "hourly").await;
    ec.copy_snapshot()
        .source_snapshot_name("hourly")
        .target_snapshot_name("hourly")
        .target_bucket("cache-exports")
        .send()
        .await
        .unwrap();

    // ElastiCache's snapshots are regional: us-west-2 knows none of them...
    let e = ec_west
        .create_cache_cluster()
        .cache_cluster_id("sessions-dr")
        .snapshot_name("hourly")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("SnapshotNotFoundFault"));
    // ...and seeds only from a bucket of its own region.
    let e = ec_west
        .create_cache_cluster()
        .cache_cluster_id("sessions-dr")
        .snapshot_arns("arn:aws:s3:::cache-exports/hourly-0001.rdb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    assert!(
        e.message().unwrap_or_default().contains("outside of the region"),
        "{e:?}"
    );
    let e = ec_west
        .create_cache_cluster()
        .cache_cluster_id("sessions-dr")
        .snapshot_arns("arn:aws:s3:::no-such-bucket/hourly-0001.rdb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    let listed = ec_west.describe_cache_clusters().send().await.unwrap();
    assert!(
        listed.cache_clusters().is_empty(),
        "a refused seed leaves no record"
    );

    // The team copies the export into the other region (aws s3 cp).
    let body = s3
        .get_object()
        .bucket("cache-exports")
        .key("hourly-0001.rdb")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    s3_west
        .put_object()
        .bucket("cache-exports-dr")
        .key("hourly-0001.rdb")
        .body(body.into())
        .send()
        .await
        .unwrap();

    emulator.set_outage("us-east-1", true).await.unwrap();
    assert!(
        ec.describe_cache_clusters().send().await.is_err(),
        "the dark region does not answer"
    );
    ec_west
        .create_cache_cluster()
        .cache_cluster_id("sessions-dr")
        .snapshot_arns("arn:aws:s3:::cache-exports-dr/hourly-0001.rdb")
        .send()
        .await
        .unwrap();
    let restored = available(&ec_west, "sessions-dr").await;
    assert_eq!(keys(&mut connect(&restored)), expected);
    emulator.shutdown().await;
}
