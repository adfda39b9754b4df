//! Snapshots through `aws-sdk-elasticache`, read back with a Redis client:
//! CreateSnapshot (`BGSAVE`) and the states around it, a cluster restored
//! from a snapshot holding exactly the snapshot's keys, CopySnapshot,
//! DeleteSnapshot, final snapshots on deletion, automatic daily snapshots in
//! the window with their retention on the emulator clock, and seeds from an
//! RDB file in S3 through the object seam.

mod common;

use aws_sdk_elasticache::error::ProvideErrorMetadata;
use common::*;
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_elasticache::{ObjectError, ObjectStore};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

#[tokio::test]
async fn a_restored_cluster_holds_exactly_the_snapshot_keys() {
    let Some((server, _service)) = start_slow("a_restored_cluster_holds_exactly_the_snapshot_keys").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_cache_cluster()
        .cache_cluster_id("carts")
        .send()
        .await
        .unwrap();
    server.advance(chrono::Duration::hours(1)).await;
    let carts = wait_status(&c, "carts", "available").await;
    let mut conn = redis_of(&carts);
    fill(&mut conn, "cart", 500);
    let before = dump(&mut conn);

    let taken = c
        .create_snapshot()
        .cache_cluster_id("carts")
        .snapshot_name("carts-noon")
        .send()
        .await
        .unwrap()
        .snapshot()
        .cloned()
        .unwrap();
    assert_eq!(taken.snapshot_status(), Some("creating"));
    assert_eq!(taken.snapshot_source(), Some("manual"));
    assert_eq!(taken.cache_cluster_id(), Some("carts"));
    assert_eq!(
        describe(&c, "carts").await.cache_cluster_status(),
        Some("snapshotting")
    );
    let e = c
        .create_snapshot()
        .cache_cluster_id("carts")
        .snapshot_name("carts-again")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_invalid_cache_cluster_state_fault()
    );
    let e = c
        .create_cache_cluster()
        .cache_cluster_id("too-early")
        .snapshot_name("carts-noon")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidSnapshotState"));

    server.advance(chrono::Duration::hours(1)).await;
    let done = wait_snapshot(&c, "carts-noon", "available").await;
    assert!(done.node_snapshots()[0].cache_size().is_some());
    wait_status(&c, "carts", "available").await;
    let e = c
        .create_snapshot()
        .cache_cluster_id("carts")
        .snapshot_name("carts-noon")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_snapshot_already_exists_fault());

    // Writes after the snapshot are what a restore loses.
    fill(&mut conn, "late", 20);

    let restored = c
        .create_cache_cluster()
        .cache_cluster_id("carts-restored")
        .snapshot_name("carts-noon")
        .send()
        .await
        .unwrap()
        .cache_cluster()
        .cloned()
        .unwrap();
    assert_eq!(restored.cache_cluster_status(), Some("creating"));
    server.advance(chrono::Duration::hours(1)).await;
    let restored = wait_status(&c, "carts-restored", "available").await;
    let mut back = redis_of(&restored);
    assert_eq!(dump(&mut back), before, "exactly the snapshot's keys");

    let copy = c
        .copy_snapshot()
        .source_snapshot_name("carts-noon")
        .target_snapshot_name("carts-kept")
        .send()
        .await
        .unwrap()
        .snapshot()
        .cloned()
        .unwrap();
    assert_eq!(
        (copy.snapshot_name(), copy.snapshot_status()),
        (Some("carts-kept"), Some("available"))
    );
    let e = c
        .copy_snapshot()
        .source_snapshot_name("carts-noon")
        .target_snapshot_name("carts-kept")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_snapshot_already_exists_fault());
    let e = c
        .copy_snapshot()
        .source_snapshot_name("nothing")
        .target_snapshot_name("x")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_snapshot_not_found_fault());

    let deleted = c
        .delete_snapshot()
        .snapshot_name("carts-noon")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.snapshot().unwrap().snapshot_status(), Some("deleting"));
    let e = c
        .describe_snapshots()
        .snapshot_name("carts-noon")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_snapshot_not_found_fault());
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);

    c.create_cache_cluster()
        .cache_cluster_id("from-copy")
        .snapshot_name("carts-kept")
        .send()
        .await
        .unwrap();
    server.advance(chrono::Duration::hours(1)).await;
    let from_copy = wait_status(&c, "from-copy", "available").await;
    assert_eq!(
        dump(&mut redis_of(&from_copy)),
        before,
        "a copy outlives its deleted source"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_final_snapshot_outlives_its_cluster_and_automatic_ones_do_not() {
    let Some((server, _service)) =
        start_slow("a_final_snapshot_outlives_its_cluster_and_automatic_ones_do_not").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_cache_cluster()
        .cache_cluster_id("sessions")
        .snapshot_retention_limit(2)
        .snapshot_window("05:00-06:00")
        .send()
        .await
        .unwrap();
    server.advance(chrono::Duration::hours(1)).await;
    let sessions = wait_status(&c, "sessions", "available").await;
    let mut conn = redis_of(&sessions);
    fill(&mut conn, "session", 50);

    // 2026-03-14T13:00 → the 15th at 06:00: the window of the 15th has begun.
    server.advance(chrono::Duration::hours(17)).await;
    let first = "automatic.sessions-2026-03-15-05-00";
    server.advance(chrono::Duration::hours(1)).await;
    let auto = wait_snapshot(&c, first, "available").await;
    assert_eq!(auto.snapshot_source(), Some("automated"));
    assert_eq!(auto.snapshot_retention_limit(), Some(2));
    let system = c
        .describe_snapshots()
        .snapshot_source("system")
        .send()
        .await
        .unwrap();
    assert_eq!(system.snapshots().len(), 1);
    let user = c
        .describe_snapshots()
        .snapshot_source("user")
        .send()
        .await
        .unwrap();
    assert!(user.snapshots().is_empty());

    // Two more days: two more automatic snapshots, and the first is past
    // its two days of retention.
    server.advance(chrono::Duration::hours(23)).await;
    server.advance(chrono::Duration::hours(1)).await;
    wait_snapshot(&c, "automatic.sessions-2026-03-16-05-00", "available").await;
    server.advance(chrono::Duration::hours(23)).await;
    server.advance(chrono::Duration::hours(1)).await;
    wait_snapshot(&c, "automatic.sessions-2026-03-17-05-00", "available").await;
    let names: Vec<String> = c
        .describe_snapshots()
        .cache_cluster_id("sessions")
        .send()
        .await
        .unwrap()
        .snapshots()
        .iter()
        .filter_map(|s| s.snapshot_name().map(str::to_owned))
        .collect();
    assert_eq!(
        names,
        [
            "automatic.sessions-2026-03-16-05-00",
            "automatic.sessions-2026-03-17-05-00"
        ]
    );

    let e = c
        .delete_cache_cluster()
        .cache_cluster_id("sessions")
        .final_snapshot_identifier("automatic.sessions-2026-03-17-05-00")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    c.delete_cache_cluster()
        .cache_cluster_id("sessions")
        .final_snapshot_identifier("sessions-final")
        .send()
        .await
        .unwrap();
    wait_gone(&c, "sessions").await;
    server.advance(chrono::Duration::hours(1)).await;
    let final_snapshot = wait_snapshot(&c, "sessions-final", "available").await;
    assert_eq!(final_snapshot.snapshot_source(), Some("manual"));
    let left: Vec<String> = c
        .describe_snapshots()
        .send()
        .await
        .unwrap()
        .snapshots()
        .iter()
        .filter_map(|s| s.snapshot_name().map(str::to_owned))
        .collect();
    assert_eq!(
        left,
        ["sessions-final"],
        "automatic snapshots go with their cluster"
    );

    c.create_cache_cluster()
        .cache_cluster_id("sessions-back")
        .snapshot_name("sessions-final")
        .send()
        .await
        .unwrap();
    server.advance(chrono::Duration::hours(1)).await;
    let back = wait_status(&c, "sessions-back", "available").await;
    assert_eq!(dump(&mut redis_of(&back)).len(), 50);
    server.stop().await;
}

/// An in-memory S3 for the object seam.
#[derive(Default)]
struct MemoryObjects {
    buckets: Mutex<BTreeMap<String, BTreeMap<String, bytes::Bytes>>>,
}

impl ObjectStore for MemoryObjects {
    fn bucket_region(&self, bucket: &str) -> Option<String> {
        self.buckets
            .lock()
            .contains_key(bucket)
            .then(|| "us-east-1".to_owned())
    }

    fn put(&self, bucket: &str, key: &str, body: bytes::Bytes) -> BoxFuture<'_, Result<(), ObjectError>> {
        let result = match self.buckets.lock().get_mut(bucket) {
            Some(b) => {
                b.insert(key.to_owned(), body);
                Ok(())
            }
            None => Err(ObjectError::NoSuchBucket(bucket.to_owned())),
        };
        Box::pin(async move { result })
    }

    fn get(&self, bucket: &str, key: &str) -> BoxFuture<'_, Result<bytes::Bytes, ObjectError>> {
        let result = match self.buckets.lock().get(bucket) {
            None => Err(ObjectError::NoSuchBucket(bucket.to_owned())),
            Some(b) => b.get(key).cloned().ok_or_else(|| ObjectError::NoSuchKey {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            }),
        };
        Box::pin(async move { result })
    }
}

#[tokio::test]
async fn an_exported_rdb_file_seeds_a_new_cluster() {
    let Some((server, service)) = start("an_exported_rdb_file_seeds_a_new_cluster").await else {
        return;
    };
    let objects = Arc::new(MemoryObjects::default());
    objects
        .buckets
        .lock()
        .insert("exports".to_owned(), BTreeMap::new());
    service.set_object_store(objects.clone());
    let c = client(&server, "us-east-1").await;
    let src = create_cluster(&c, "src").await;
    let mut conn = redis_of(&src);
    fill(&mut conn, "k", 100);
    let expected = dump(&mut conn);
    c.create_snapshot()
        .cache_cluster_id("src")
        .snapshot_name("snap")
        .send()
        .await
        .unwrap();
    wait_snapshot(&c, "snap", "available").await;

    let e = c
        .copy_snapshot()
        .source_snapshot_name("snap")
        .target_snapshot_name("export")
        .target_bucket("no-bucket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    assert_eq!(e.message(), Some("The S3 bucket no-bucket does not exist."));
    c.copy_snapshot()
        .source_snapshot_name("snap")
        .target_snapshot_name("export")
        .target_bucket("exports")
        .send()
        .await
        .unwrap();
    let rdb = objects.buckets.lock()["exports"]["export-0001.rdb"].clone();
    assert!(rdb.starts_with(b"REDIS"), "an RDB file");
    let e = c
        .copy_snapshot()
        .source_snapshot_name("snap")
        .target_snapshot_name("export")
        .target_bucket("exports")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_snapshot_already_exists_fault());

    let e = c
        .create_cache_cluster()
        .cache_cluster_id("bad-seed")
        .snapshot_arns("arn:aws:s3:::exports/missing.rdb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    c.create_cache_cluster()
        .cache_cluster_id("seeded")
        .snapshot_arns("arn:aws:s3:::exports/export-0001.rdb")
        .send()
        .await
        .unwrap();
    let seeded = wait_status(&c, "seeded", "available").await;
    assert_eq!(dump(&mut redis_of(&seeded)), expected);
    server.stop().await;
}
