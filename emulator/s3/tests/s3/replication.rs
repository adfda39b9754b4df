//! Cross-region replication: statuses, lag, delete markers, what is never
//! replicated, and outages holding replication back.

use super::*;
use aws_sdk_s3::types::{
    DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination, ReplicationConfiguration,
    ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus, ReplicationStatus,
};
use chrono::Duration;

fn config(dest: &str, markers: bool) -> ReplicationConfiguration {
    ReplicationConfiguration::builder()
        .role("arn:aws:iam::000000000000:role/replication")
        .rules(
            ReplicationRule::builder()
                .id("all")
                .priority(1)
                .status(ReplicationRuleStatus::Enabled)
                .filter(ReplicationRuleFilter::builder().prefix("").build())
                .delete_marker_replication(
                    DeleteMarkerReplication::builder()
                        .status(if markers {
                            DeleteMarkerReplicationStatus::Enabled
                        } else {
                            DeleteMarkerReplicationStatus::Disabled
                        })
                        .build(),
                )
                .destination(
                    Destination::builder()
                        .bucket(format!("arn:aws:s3:::{dest}"))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

struct Pair {
    server: TestServer,
    east: Client,
    west: Client,
}

async fn pair(markers: bool) -> Pair {
    let (server, _) = server().await;
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    create_bucket(&east, "src", "us-east-1").await;
    create_bucket(&west, "dst", "us-west-2").await;
    enable_versioning(&east, "src").await;
    enable_versioning(&west, "dst").await;
    east.put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("dst", markers))
        .send()
        .await
        .unwrap();
    Pair { server, east, west }
}

async fn status(c: &Client, bucket: &str, key: &str, version: Option<&str>) -> Option<ReplicationStatus> {
    c.head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .unwrap()
        .replication_status()
        .cloned()
}

#[tokio::test]
async fn replication_needs_versioning_on_both_sides() {
    let (server, _) = server().await;
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    create_bucket(&east, "src", "us-east-1").await;
    create_bucket(&west, "dst", "us-west-2").await;
    let e = east
        .put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("dst", false))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequest");
    enable_versioning(&east, "src").await;
    let e = east
        .put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("dst", false))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequest");
    let e = east
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ReplicationConfigurationNotFoundError");
}

#[tokio::test]
async fn new_versions_replicate_after_the_lag_with_statuses() {
    let p = pair(false).await;
    let got = p
        .east
        .get_bucket_replication()
        .bucket("src")
        .send()
        .await
        .unwrap();
    let rules = got.replication_configuration().unwrap().rules();
    assert_eq!(rules[0].destination().unwrap().bucket(), "arn:aws:s3:::dst");

    let v1 = put(&p.east, "src", "orders.csv", b"order 1").await.unwrap();
    assert_eq!(
        status(&p.east, "src", "orders.csv", None).await,
        Some(ReplicationStatus::Pending)
    );
    assert_eq!(
        get(&p.west, "dst", "orders.csv", None).await.unwrap_err(),
        "NoSuchKey"
    );
    p.server.advance(Duration::seconds(2)).await;
    assert_eq!(
        status(&p.east, "src", "orders.csv", None).await,
        Some(ReplicationStatus::Completed)
    );
    assert_eq!(
        status(&p.west, "dst", "orders.csv", None).await,
        Some(ReplicationStatus::Replica)
    );
    // Same version id and body on the replica.
    assert_eq!(
        get(&p.west, "dst", "orders.csv", Some(&v1)).await.unwrap(),
        b"order 1"
    );

    // Delete markers are not replicated unless asked for.
    p.east
        .delete_object()
        .bucket("src")
        .key("orders.csv")
        .send()
        .await
        .unwrap();
    p.server.advance(Duration::seconds(2)).await;
    assert_eq!(get(&p.west, "dst", "orders.csv", None).await.unwrap(), b"order 1");
    // Nor are version-id deletes.
    p.east
        .delete_object()
        .bucket("src")
        .key("orders.csv")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    p.server.advance(Duration::seconds(2)).await;
    assert_eq!(
        get(&p.west, "dst", "orders.csv", Some(&v1)).await.unwrap(),
        b"order 1"
    );
}

#[tokio::test]
async fn delete_markers_replicate_when_enabled_and_replicas_are_not_replicated_back() {
    let p = pair(true).await;
    put(&p.east, "src", "k", b"v").await;
    p.server.advance(Duration::seconds(2)).await;
    p.east
        .delete_object()
        .bucket("src")
        .key("k")
        .send()
        .await
        .unwrap();
    p.server.advance(Duration::seconds(2)).await;
    assert_eq!(get(&p.west, "dst", "k", None).await.unwrap_err(), "NoSuchKey");
    let versions = p.west.list_object_versions().bucket("dst").send().await.unwrap();
    assert_eq!(versions.delete_markers().len(), 1);
}

#[tokio::test]
async fn objects_written_before_the_rule_are_not_replicated() {
    let (server, _) = server().await;
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    create_bucket(&east, "src", "us-east-1").await;
    create_bucket(&west, "dst", "us-west-2").await;
    enable_versioning(&east, "src").await;
    enable_versioning(&west, "dst").await;
    put(&east, "src", "old", b"before the rule").await;
    east.put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("dst", false))
        .send()
        .await
        .unwrap();
    put(&east, "src", "new", b"after the rule").await;
    server.advance(Duration::minutes(1)).await;
    assert_eq!(status(&east, "src", "old", None).await, None);
    assert_eq!(get(&west, "dst", "old", None).await.unwrap_err(), "NoSuchKey");
    assert_eq!(get(&west, "dst", "new", None).await.unwrap(), b"after the rule");
}

#[tokio::test]
async fn an_outage_holds_replication_until_the_region_returns() {
    let p = pair(false).await;
    put(&p.east, "src", "k", b"v").await;
    p.server.dispatcher.set_outage("us-west-2", true).await.unwrap();
    p.server.advance(Duration::minutes(10)).await;
    assert_eq!(
        status(&p.east, "src", "k", None).await,
        Some(ReplicationStatus::Pending)
    );
    p.server.dispatcher.set_outage("us-west-2", false).await.unwrap();
    p.server.advance(Duration::seconds(1)).await;
    assert_eq!(
        status(&p.east, "src", "k", None).await,
        Some(ReplicationStatus::Completed)
    );
    assert_eq!(get(&p.west, "dst", "k", None).await.unwrap(), b"v");
}

#[tokio::test]
async fn replicas_and_lifecycle_markers_are_never_replicated() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        LifecycleRuleFilter,
    };
    let (server, s3) = server().await;
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    create_bucket(&east, "src", "us-east-1").await;
    create_bucket(&west, "dst", "us-west-2").await;
    enable_versioning(&east, "src").await;
    enable_versioning(&west, "dst").await;
    east.put_bucket_replication()
        .bucket("src")
        .replication_configuration(config("dst", true))
        .send()
        .await
        .unwrap();
    // Replication back from dst to src: replicas arriving in dst must not bounce.
    west.put_bucket_replication()
        .bucket("dst")
        .replication_configuration(config("src", true))
        .send()
        .await
        .unwrap();
    east.put_bucket_lifecycle_configuration()
        .bucket("src")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("expire")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
                        .expiration(LifecycleExpiration::builder().days(1).build())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    put(&east, "src", "tmp/report", b"r").await;
    server.advance(chrono::Duration::seconds(2)).await;
    assert_eq!(
        status(&west, "dst", "tmp/report", None).await,
        Some(ReplicationStatus::Replica)
    );
    assert_eq!(
        s3.engine().pending_replications(),
        0,
        "the replica is not queued back to src"
    );
    let src_versions = east.list_object_versions().bucket("src").send().await.unwrap();
    assert_eq!(src_versions.versions().len(), 1);
    // The lifecycle expiration adds a marker in src that is not replicated.
    server.advance(chrono::Duration::days(3)).await;
    assert_eq!(
        get(&east, "src", "tmp/report", None).await.unwrap_err(),
        "NoSuchKey"
    );
    assert_eq!(get(&west, "dst", "tmp/report", None).await.unwrap(), b"r");
    assert_eq!(s3.engine().pending_replications(), 0);
}
