//! The in-process API AWS Backup uses: snapshots immune to later writes,
//! restores into new buckets (in any region), tags and regions of buckets.

use super::*;
use aws_sdk_s3::types::{Tag, Tagging};

#[tokio::test]
async fn snapshots_survive_overwrites_and_deletes_and_restore_elsewhere() {
    let (server, s3) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "shop-assets", "us-east-1").await;
    c.put_bucket_tagging()
        .bucket("shop-assets")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("backup").value("daily").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tags = c.get_bucket_tagging().bucket("shop-assets").send().await.unwrap();
    assert_eq!(tags.tag_set()[0].key(), "backup");
    put(&c, "shop-assets", "a.png", b"image a").await;
    put(&c, "shop-assets", "b.png", b"image b").await;
    let big: Vec<u8> = (0..2_500_000u32).map(|i| (i % 253) as u8).collect();
    put(&c, "shop-assets", "big.bin", &big).await;

    let snap = s3.snapshot_bucket("shop-assets").unwrap();
    assert_eq!(snap.objects.len(), 3);
    assert_eq!(snap.tags, vec![("backup".to_owned(), "daily".to_owned())]);
    assert_eq!(snap.total_bytes(), 7 + 7 + 2_500_000);

    // The unversioned bucket loses its data; the snapshot does not.
    put(&c, "shop-assets", "a.png", b"ENCRYPTED").await;
    c.delete_object()
        .bucket("shop-assets")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        snap.get("a.png").unwrap().read().await.unwrap().as_ref(),
        b"image a"
    );
    assert_eq!(
        snap.get("big.bin").unwrap().read().await.unwrap().as_ref(),
        &big[..]
    );

    let copy = s3.copy_snapshot_region(&snap, "us-west-2").unwrap();
    assert_eq!(copy.region, "us-west-2");
    s3.restore_snapshot(&copy, "shop-assets-restored", "us-west-2")
        .unwrap();
    assert_eq!(
        s3.bucket_region("shop-assets-restored").as_deref(),
        Some("us-west-2")
    );
    let west = client(&server, "us-west-2").await;
    assert_eq!(
        get(&west, "shop-assets-restored", "a.png", None).await.unwrap(),
        b"image a"
    );
    assert_eq!(
        get(&west, "shop-assets-restored", "big.bin", None).await.unwrap(),
        big
    );

    let east_buckets = s3.list_buckets_with_tags("us-east-1");
    assert_eq!(
        east_buckets,
        vec![(
            "shop-assets".to_owned(),
            vec![("backup".to_owned(), "daily".to_owned())]
        )]
    );
    assert_eq!(s3.list_buckets_with_tags("us-west-2").len(), 1);
    assert_eq!(s3.bucket_region("nope"), None);
    assert!(matches!(
        s3.snapshot_bucket("nope"),
        Err(firedrill_emu_s3::S3EngineError::NoSuchBucket(_))
    ));

    // A snapshot of a bucket in a dark region fails.
    server.dispatcher.set_outage("us-east-1", true).await.unwrap();
    assert!(matches!(
        s3.snapshot_bucket("shop-assets"),
        Err(firedrill_emu_s3::S3EngineError::ServiceUnavailable(_))
    ));
}

#[tokio::test]
async fn reset_forgets_everything_and_removes_bodies_from_disk() {
    let (server, s3) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "ephemeral", "us-east-1").await;
    put(&c, "ephemeral", "k", &vec![1u8; 200_000]).await;
    let blobs = server.env().data_dir.join("s3").join("blobs");
    assert_eq!(std::fs::read_dir(&blobs).unwrap().count(), 1);
    server.dispatcher.reset().await;
    assert!(s3.bucket_region("ephemeral").is_none());
    assert_eq!(std::fs::read_dir(&blobs).unwrap().count(), 0);
}
