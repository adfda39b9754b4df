//! Lifecycle rules applied as the emulator clock passes, and their validation.

use super::*;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NoncurrentVersionTransition, ObjectStorageClass, StorageClass, Transition,
    TransitionStorageClass,
};
use chrono::Duration;

fn rule(id: &str, prefix: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
}

async fn put_rules(c: &Client, bucket: &str, rules: Vec<LifecycleRule>) -> Result<(), String> {
    c.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e))
}

async fn class_of(c: &Client, bucket: &str, key: &str) -> Option<StorageClass> {
    c.head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .storage_class()
        .cloned()
}

#[tokio::test]
async fn objects_transition_to_glacier_ir_after_31_days() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "archive", "us-east-1").await;
    put(&c, "archive", "logs/a", b"log line").await;
    put(&c, "archive", "keep/b", b"kept").await;
    put_rules(
        &c,
        "archive",
        vec![
            rule("to-ir", "logs/")
                .transitions(
                    Transition::builder()
                        .days(30)
                        .storage_class(TransitionStorageClass::GlacierIr)
                        .build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await
    .unwrap();
    let got = c
        .get_bucket_lifecycle_configuration()
        .bucket("archive")
        .send()
        .await
        .unwrap();
    assert_eq!(got.rules().len(), 1);
    assert_eq!(got.rules()[0].transitions()[0].days(), Some(30));
    assert_eq!(got.rules()[0].filter().and_then(|f| f.prefix()), Some("logs/"));

    server.advance(Duration::days(29)).await;
    assert_eq!(class_of(&c, "archive", "logs/a").await, None);
    server.advance(Duration::days(2)).await;
    assert_eq!(
        class_of(&c, "archive", "logs/a").await,
        Some(StorageClass::GlacierIr)
    );
    assert_eq!(class_of(&c, "archive", "keep/b").await, None);
    // GLACIER_IR stays readable; the listing shows the class.
    assert_eq!(get(&c, "archive", "logs/a", None).await.unwrap(), b"log line");
    let listed = c
        .list_objects_v2()
        .bucket("archive")
        .prefix("logs/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.contents()[0].storage_class(),
        Some(&ObjectStorageClass::GlacierIr)
    );
}

#[tokio::test]
async fn glacier_objects_must_be_restored_before_reading() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "cold", "us-east-1").await;
    put(&c, "cold", "x", b"frozen").await;
    put_rules(
        &c,
        "cold",
        vec![
            rule("deep", "")
                .transitions(
                    Transition::builder()
                        .days(1)
                        .storage_class(TransitionStorageClass::Glacier)
                        .build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await
    .unwrap();
    server.advance(Duration::days(3)).await;
    assert_eq!(
        get(&c, "cold", "x", None).await.unwrap_err(),
        "InvalidObjectState"
    );
}

#[tokio::test]
async fn noncurrent_versions_expire_and_expired_markers_are_removed() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "tidy", "us-east-1").await;
    enable_versioning(&c, "tidy").await;
    let old = put(&c, "tidy", "doc", b"v1").await.unwrap();
    put(&c, "tidy", "doc", b"v2").await;
    put(&c, "tidy", "gone", b"short-lived").await;
    c.delete_object().bucket("tidy").key("gone").send().await.unwrap();
    put_rules(
        &c,
        "tidy",
        vec![
            rule("noncurrent", "")
                .noncurrent_version_transitions(
                    NoncurrentVersionTransition::builder()
                        .noncurrent_days(2)
                        .storage_class(TransitionStorageClass::GlacierIr)
                        .build(),
                )
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder().noncurrent_days(10).build(),
                )
                .build()
                .unwrap(),
            rule("markers", "")
                .expiration(
                    LifecycleExpiration::builder()
                        .expired_object_delete_marker(true)
                        .build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await
    .unwrap();
    server.advance(Duration::days(4)).await;
    let head = c
        .head_object()
        .bucket("tidy")
        .key("doc")
        .version_id(&old)
        .send()
        .await
        .unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::GlacierIr));
    server.advance(Duration::days(8)).await;
    let e = c
        .head_object()
        .bucket("tidy")
        .key("doc")
        .version_id(&old)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);
    let versions = c.list_object_versions().bucket("tidy").send().await.unwrap();
    let keys: Vec<&str> = versions.versions().iter().map(|v| v.key().unwrap()).collect();
    assert_eq!(keys, vec!["doc"], "only the current version of doc is left");
    assert!(
        versions.delete_markers().is_empty(),
        "the lone marker of `gone` was removed"
    );
}

#[tokio::test]
async fn current_versions_expire_into_delete_markers() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "expiring", "us-east-1").await;
    enable_versioning(&c, "expiring").await;
    put(&c, "expiring", "tmp/x", b"x").await;
    put_rules(
        &c,
        "expiring",
        vec![
            rule("expire", "tmp/")
                .expiration(LifecycleExpiration::builder().days(7).build())
                .build()
                .unwrap(),
        ],
    )
    .await
    .unwrap();
    server.advance(Duration::days(8)).await;
    assert_eq!(get(&c, "expiring", "tmp/x", None).await.unwrap_err(), "NoSuchKey");
    let versions = c.list_object_versions().bucket("expiring").send().await.unwrap();
    assert_eq!(
        versions.versions().len(),
        1,
        "the expired version is kept as noncurrent"
    );
    assert_eq!(versions.delete_markers().len(), 1);
}

#[tokio::test]
async fn invalid_lifecycle_rules_are_refused() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "rules", "us-east-1").await;
    let ia_too_soon = rule("ia", "")
        .transitions(
            Transition::builder()
                .days(10)
                .storage_class(TransitionStorageClass::StandardIa)
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(
        put_rules(&c, "rules", vec![ia_too_soon]).await.unwrap_err(),
        "InvalidArgument"
    );
    let noncurrent_ia = rule("nc", "")
        .noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .noncurrent_days(5)
                .storage_class(TransitionStorageClass::OnezoneIa)
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(
        put_rules(&c, "rules", vec![noncurrent_ia]).await.unwrap_err(),
        "InvalidArgument"
    );
    let zero_days = rule("zero", "")
        .expiration(LifecycleExpiration::builder().days(0).build())
        .build()
        .unwrap();
    assert_eq!(
        put_rules(&c, "rules", vec![zero_days]).await.unwrap_err(),
        "InvalidArgument"
    );
    let both = rule("both", "")
        .expiration(
            LifecycleExpiration::builder()
                .days(3)
                .expired_object_delete_marker(true)
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(
        put_rules(&c, "rules", vec![both]).await.unwrap_err(),
        "MalformedXML"
    );
    let dup = vec![
        rule("same", "")
            .expiration(LifecycleExpiration::builder().days(3).build())
            .build()
            .unwrap(),
        rule("same", "")
            .expiration(LifecycleExpiration::builder().days(4).build())
            .build()
            .unwrap(),
    ];
    assert_eq!(put_rules(&c, "rules", dup).await.unwrap_err(), "InvalidArgument");
    let ir_at_zero = rule("ir", "")
        .transitions(
            Transition::builder()
                .days(0)
                .storage_class(TransitionStorageClass::GlacierIr)
                .build(),
        )
        .build()
        .unwrap();
    put_rules(&c, "rules", vec![ir_at_zero]).await.unwrap();
    let none = c
        .get_bucket_lifecycle_configuration()
        .bucket("expiring-none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&none), "NoSuchBucket");
    create_bucket(&c, "no-rules", "us-east-1").await;
    let none = c
        .get_bucket_lifecycle_configuration()
        .bucket("no-rules")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&none), "NoSuchLifecycleConfiguration");
}

#[tokio::test]
async fn date_transitions_and_tag_filters_apply() {
    use aws_sdk_s3::primitives::DateTime as SdkDateTime;
    use aws_sdk_s3::types::{LifecycleRuleAndOperator, Tag};
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "dated", "us-east-1").await;
    c.put_object()
        .bucket("dated")
        .key("tagged")
        .tagging("tier=cold")
        .body(ByteStream::from_static(b"t"))
        .send()
        .await
        .unwrap();
    put(&c, "dated", "untagged", b"u").await;
    let midnight = (server.env().now() + Duration::days(3))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let rules = vec![
        LifecycleRule::builder()
            .id("by-date")
            .status(ExpirationStatus::Enabled)
            .filter(
                LifecycleRuleFilter::builder()
                    .and(
                        LifecycleRuleAndOperator::builder()
                            .prefix("")
                            .tags(Tag::builder().key("tier").value("cold").build().unwrap())
                            .build(),
                    )
                    .build(),
            )
            .transitions(
                Transition::builder()
                    .date(SdkDateTime::from_secs(midnight.timestamp()))
                    .storage_class(TransitionStorageClass::DeepArchive)
                    .build(),
            )
            .build()
            .unwrap(),
    ];
    put_rules(&c, "dated", rules).await.unwrap();
    let got = c
        .get_bucket_lifecycle_configuration()
        .bucket("dated")
        .send()
        .await
        .unwrap();
    let and = got.rules()[0]
        .filter()
        .and_then(|f| f.and())
        .expect("the And filter reads back");
    assert_eq!(and.tags()[0].value(), "cold");
    let not_midnight = LifecycleRule::builder()
        .id("bad-date")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .transitions(
            Transition::builder()
                .date(SdkDateTime::from_secs(midnight.timestamp() + 3600))
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(
        put_rules(&c, "dated", vec![not_midnight]).await.unwrap_err(),
        "InvalidArgument"
    );
    server.advance(Duration::days(2)).await;
    assert_eq!(class_of(&c, "dated", "tagged").await, None);
    server.advance(Duration::days(2)).await;
    assert_eq!(
        class_of(&c, "dated", "tagged").await,
        Some(StorageClass::DeepArchive)
    );
    assert_eq!(class_of(&c, "dated", "untagged").await, None);
    c.delete_bucket_lifecycle().bucket("dated").send().await.unwrap();
    let none = c
        .get_bucket_lifecycle_configuration()
        .bucket("dated")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&none), "NoSuchLifecycleConfiguration");
    // Bucket tags can be removed too.
    c.put_bucket_tagging()
        .bucket("dated")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(Tag::builder().key("k").value("v").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.delete_bucket_tagging().bucket("dated").send().await.unwrap();
    let none = c.get_bucket_tagging().bucket("dated").send().await.unwrap_err();
    assert_eq!(code(&none), "NoSuchTagSet");
}
