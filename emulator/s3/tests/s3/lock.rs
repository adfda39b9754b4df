//! Object Lock: retention modes, legal hold, governance bypass, and the
//! bucket settings that go with them.

use super::*;
use aws_sdk_s3::primitives::DateTime as SdkDateTime;
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockRetention, ObjectLockRetentionMode,
    ObjectLockRule, VersioningConfiguration,
};
use chrono::Duration;

async fn locked_bucket(c: &Client, name: &str) {
    c.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
}

fn until(server: &TestServer, days: i64) -> SdkDateTime {
    SdkDateTime::from_secs((server.env().now() + Duration::days(days)).timestamp())
}

#[tokio::test]
async fn governance_retention_refuses_deletes_unless_bypassed() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    locked_bucket(&c, "vault").await;
    let v = c.get_bucket_versioning().bucket("vault").send().await.unwrap();
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled));
    let vid = c
        .put_object()
        .bucket("vault")
        .key("ledger")
        .body(ByteStream::from_static(b"entries"))
        .object_lock_mode(aws_sdk_s3::types::ObjectLockMode::Governance)
        .object_lock_retain_until_date(until(&server, 10))
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    let r = c
        .get_object_retention()
        .bucket("vault")
        .key("ledger")
        .version_id(&vid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.retention().unwrap().mode(),
        Some(&ObjectLockRetentionMode::Governance)
    );

    let denied = c
        .delete_object()
        .bucket("vault")
        .key("ledger")
        .version_id(&vid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&denied), "AccessDenied");
    assert_eq!(denied.raw_response().unwrap().status().as_u16(), 403);
    // A plain DELETE still adds a marker.
    let marker = c
        .delete_object()
        .bucket("vault")
        .key("ledger")
        .send()
        .await
        .unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    assert_eq!(get(&c, "vault", "ledger", Some(&vid)).await.unwrap(), b"entries");
    // Shortening governance retention needs the bypass header.
    let shorter = ObjectLockRetention::builder()
        .mode(ObjectLockRetentionMode::Governance)
        .retain_until_date(until(&server, 1))
        .build();
    let e = c
        .put_object_retention()
        .bucket("vault")
        .key("ledger")
        .version_id(&vid)
        .retention(shorter.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    c.put_object_retention()
        .bucket("vault")
        .key("ledger")
        .version_id(&vid)
        .retention(shorter)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    c.delete_object()
        .bucket("vault")
        .key("ledger")
        .version_id(&vid)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&c, "vault", "ledger", Some(&vid)).await.unwrap_err(),
        "NoSuchVersion"
    );
}

#[tokio::test]
async fn compliance_retention_cannot_be_shortened_or_bypassed_and_expires() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    locked_bucket(&c, "compliance").await;
    c.put_object_lock_configuration()
        .bucket("compliance")
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Compliance)
                                .days(5)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let cfg = c
        .get_object_lock_configuration()
        .bucket("compliance")
        .send()
        .await
        .unwrap();
    let rule = cfg.object_lock_configuration().unwrap().rule().unwrap();
    assert_eq!(rule.default_retention().unwrap().days(), Some(5));
    let vid = put(&c, "compliance", "record", b"audit").await.unwrap();
    let r = c
        .get_object_retention()
        .bucket("compliance")
        .key("record")
        .version_id(&vid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.retention().unwrap().mode(),
        Some(&ObjectLockRetentionMode::Compliance)
    );

    let e = c
        .delete_object()
        .bucket("compliance")
        .key("record")
        .version_id(&vid)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = c
        .put_object_retention()
        .bucket("compliance")
        .key("record")
        .version_id(&vid)
        .bypass_governance_retention(true)
        .retention(
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::Compliance)
                .retain_until_date(until(&server, 1))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    // Extending is always allowed.
    c.put_object_retention()
        .bucket("compliance")
        .key("record")
        .version_id(&vid)
        .retention(
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::Compliance)
                .retain_until_date(until(&server, 6))
                .build(),
        )
        .send()
        .await
        .unwrap();
    server.advance(Duration::days(7)).await;
    c.delete_object()
        .bucket("compliance")
        .key("record")
        .version_id(&vid)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn legal_hold_blocks_deletes_until_released() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    locked_bucket(&c, "hold").await;
    let vid = put(&c, "hold", "evidence", b"exhibit A").await.unwrap();
    c.put_object_legal_hold()
        .bucket("hold")
        .key("evidence")
        .version_id(&vid)
        .legal_hold(
            ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::On)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let h = c
        .get_object_legal_hold()
        .bucket("hold")
        .key("evidence")
        .version_id(&vid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        h.legal_hold().unwrap().status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    let e = c
        .delete_object()
        .bucket("hold")
        .key("evidence")
        .version_id(&vid)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    c.put_object_legal_hold()
        .bucket("hold")
        .key("evidence")
        .version_id(&vid)
        .legal_hold(
            ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::Off)
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.delete_object()
        .bucket("hold")
        .key("evidence")
        .version_id(&vid)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn lock_buckets_keep_versioning_and_plain_buckets_have_no_lock() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    locked_bucket(&c, "locked").await;
    let e = c
        .put_bucket_versioning()
        .bucket("locked")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidBucketState");
    create_bucket(&c, "unlocked", "us-east-1").await;
    let e = c
        .get_object_lock_configuration()
        .bucket("unlocked")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ObjectLockConfigurationNotFoundError");
    put(&c, "unlocked", "k", b"v").await;
    let e = c
        .put_object_legal_hold()
        .bucket("unlocked")
        .key("k")
        .legal_hold(
            ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::On)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequest");
}
