//! Hostile input that S3 refuses before any state changes: Object Lock
//! retention past 100 years, DeleteObjects whose Content-MD5 or XML is
//! wrong, storage classes outside the model's enum and user metadata over
//! 2 KB. After a barrage of them every acknowledged version is unchanged.

use super::bad_input::{assert_error, raw};
use super::*;
use aws_sdk_s3::types::{
    DefaultRetention, Delete, ObjectIdentifier, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockRetentionMode, ObjectLockRule, StorageClass,
};
use base64::Engine as _;
use chrono::Duration;
use md5::{Digest, Md5};

/// A raw request: path and query, headers, body.
type RawRequest = (String, Vec<(&'static str, String)>, Vec<u8>);

fn md5_b64(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(body))
}

async fn locked_bucket(c: &Client, name: &str) {
    c.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
}

fn lock_config(days: Option<i32>, years: Option<i32>) -> ObjectLockConfiguration {
    ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(
            ObjectLockRule::builder()
                .default_retention(
                    DefaultRetention::builder()
                        .mode(ObjectLockRetentionMode::Governance)
                        .set_days(days)
                        .set_years(years)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// Every version of `bucket`: key, version id, body (None for a marker).
async fn versions(c: &Client, bucket: &str) -> Vec<(String, String, Option<Vec<u8>>)> {
    let listed = c
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .expect("the bucket lists");
    let mut out = Vec::new();
    for v in listed.versions() {
        let key = v.key().unwrap().to_owned();
        let id = v.version_id().unwrap().to_owned();
        let body = get(c, bucket, &key, Some(&id)).await.expect("the version reads");
        out.push((key, id, Some(body)));
    }
    for m in listed.delete_markers() {
        out.push((
            m.key().unwrap().to_owned(),
            m.version_id().unwrap().to_owned(),
            None,
        ));
    }
    out.sort();
    out
}

#[tokio::test]
async fn default_retention_past_100_years_is_refused_with_invalid_argument() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    locked_bucket(&c, "lockbox").await;
    for (what, days, years) in [
        ("Days 2147483647", Some(i32::MAX), None),
        ("a million years of days", Some(365_000_000), None),
        ("Days 36501", Some(36_501), None),
        ("Years 2147483647", None, Some(i32::MAX)),
        ("Years 101", None, Some(101)),
    ] {
        let e = c
            .put_object_lock_configuration()
            .bucket("lockbox")
            .object_lock_configuration(lock_config(days, years))
            .send()
            .await
            .expect_err(what);
        assert_eq!(code(&e), "InvalidArgument", "{what}: {e:?}");
        assert_eq!(e.raw_response().unwrap().status().as_u16(), 400, "{what}");
        // The bucket still takes writes and answers its configuration.
        put(&c, "lockbox", "k", b"v").await;
        let got = c
            .get_object_lock_configuration()
            .bucket("lockbox")
            .send()
            .await
            .expect("the configuration reads");
        assert!(
            got.object_lock_configuration().unwrap().rule().is_none(),
            "{what}"
        );
    }
    for (days, years) in [(Some(36_500), None), (None, Some(100))] {
        c.put_object_lock_configuration()
            .bucket("lockbox")
            .object_lock_configuration(lock_config(days, years))
            .send()
            .await
            .expect("100 years is AWS's limit, and allowed");
        put(&c, "lockbox", "locked", b"v").await;
        let head = c
            .head_object()
            .bucket("lockbox")
            .key("locked")
            .send()
            .await
            .unwrap();
        let until = head.object_lock_retain_until_date().unwrap().secs();
        let now = server.env().now().timestamp();
        assert!(until > now + 36_400 * 86_400, "about 100 years of retention");
    }
}

#[tokio::test]
async fn a_retain_until_date_past_what_s3_can_represent_is_refused() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    locked_bucket(&c, "lockbox").await;
    let vid = put(&c, "lockbox", "k", b"v").await.unwrap();
    for date in [
        "+1000000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "275760-09-13T00:00:00Z",
    ] {
        let body = format!(
            "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>{date}</RetainUntilDate></Retention>"
        );
        let r = raw(
            &server,
            "PUT",
            &format!("/lockbox/k?retention&versionId={vid}"),
            &[],
            body.as_bytes(),
        )
        .await;
        assert_eq!(r.0, 400, "{date}: {r:?}");
        assert!(
            r.2.contains("<Code>InvalidArgument</Code>") || r.2.contains("<Code>MalformedXML</Code>"),
            "{date}: {r:?}"
        );
    }
    let head = c
        .head_object()
        .bucket("lockbox")
        .key("k")
        .send()
        .await
        .expect("the object still answers");
    assert!(head.object_lock_retain_until_date().is_none());
}

#[tokio::test]
async fn delete_objects_with_a_wrong_digest_or_bad_xml_deletes_nothing() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "keep", "us-east-1").await;
    enable_versioning(&c, "keep").await;
    put(&c, "keep", "a", b"alpha").await;
    put(&c, "keep", "b", b"beta").await;
    let before = versions(&c, "keep").await;

    let del = b"<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>";
    let r = raw(
        &server,
        "POST",
        "/keep?delete",
        &[("content-md5", &md5_b64(b"something else"))],
        del,
    )
    .await;
    assert_error(&r, 400, "BadDigest");
    let r = raw(
        &server,
        "POST",
        "/keep?delete",
        &[("content-md5", "bm90IGFuIG1kNQ==")],
        del,
    )
    .await;
    assert_error(&r, 400, "InvalidDigest");
    let r = raw(&server, "POST", "/keep?delete", &[("content-md5", "%%%")], del).await;
    assert_error(&r, 400, "InvalidDigest");

    let depth = 2000;
    let junk = format!(
        "<Delete><Object><Key>a</Key></Object>{}{}</Delete>",
        "<Junk>".repeat(depth),
        "</Junk>".repeat(depth)
    );
    let shallow = "<Delete><Object><Key>a</Key><Colour>red</Colour></Object></Delete>".to_owned();
    let unclosed = "<Delete><Object><Key>a</Key></Object><Object><Key>b</Key>".to_owned();
    let stray = "<Delete><Object><Key>a</Key></Object></Delete><Delete/>".to_owned();
    let text = "<Delete>junk<Object><Key>a</Key></Object></Delete>".to_owned();
    for body in [junk, shallow, unclosed, stray, text] {
        let r = raw(
            &server,
            "POST",
            "/keep?delete",
            &[("content-md5", &md5_b64(body.as_bytes()))],
            body.as_bytes(),
        )
        .await;
        assert_error(&r, 400, "MalformedXML");
    }
    assert_eq!(versions(&c, "keep").await, before, "nothing was deleted");

    // The SDK's own DeleteObjects (it sends a checksum) still works.
    let out = c
        .delete_objects()
        .bucket("keep")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("a").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("a valid DeleteObjects");
    assert_eq!(out.deleted().len(), 1);
    let r = raw(
        &server,
        "POST",
        "/keep?delete",
        &[("content-md5", &md5_b64(del))],
        del,
    )
    .await;
    assert_eq!(r.0, 200, "the right Content-MD5 is accepted: {r:?}");
}

#[tokio::test]
async fn a_wrong_content_md5_stores_no_object_and_no_part() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "parts", "us-east-1").await;
    let e = c
        .put_object()
        .bucket("parts")
        .key("k")
        .content_md5(md5_b64(b"other"))
        .body(ByteStream::from_static(b"body"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "BadDigest");
    assert_eq!(get(&c, "parts", "k", None).await.unwrap_err(), "NoSuchKey");
    let up = c
        .create_multipart_upload()
        .bucket("parts")
        .key("big")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let e = c
        .upload_part()
        .bucket("parts")
        .key("big")
        .upload_id(id)
        .part_number(1)
        .content_md5(md5_b64(b"other"))
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "BadDigest");
    let parts = c
        .list_parts()
        .bucket("parts")
        .key("big")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    assert!(parts.parts().is_empty(), "no part was stored");
}

#[tokio::test]
async fn a_storage_class_outside_the_model_is_refused() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "classy", "us-east-1").await;
    put(&c, "classy", "src", b"v").await;
    let floppy = StorageClass::from("FLOPPY");
    let e = c
        .put_object()
        .bucket("classy")
        .key("k")
        .storage_class(floppy.clone())
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidStorageClass");
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    let e = c
        .copy_object()
        .bucket("classy")
        .key("copy")
        .copy_source("classy/src")
        .storage_class(floppy.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidStorageClass");
    let e = c
        .create_multipart_upload()
        .bucket("classy")
        .key("big")
        .storage_class(floppy)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidStorageClass");
    for key in ["k", "copy"] {
        assert_eq!(get(&c, "classy", key, None).await.unwrap_err(), "NoSuchKey");
    }
    let uploads = c.list_multipart_uploads().bucket("classy").send().await.unwrap();
    assert!(uploads.uploads().is_empty());
    // Every class of the model is accepted.
    c.put_object()
        .bucket("classy")
        .key("ia")
        .storage_class(StorageClass::StandardIa)
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .expect("STANDARD_IA");
}

#[tokio::test]
async fn user_metadata_over_2_kb_is_refused() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "meta", "us-east-1").await;
    put(&c, "meta", "src", b"v").await;
    let big = "x".repeat(2100);
    let e = c
        .put_object()
        .bucket("meta")
        .key("k")
        .metadata("big", &big)
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MetadataTooLarge");
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    let e = c
        .copy_object()
        .bucket("meta")
        .key("copy")
        .copy_source("meta/src")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .metadata("big", &big)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MetadataTooLarge");
    let e = c
        .create_multipart_upload()
        .bucket("meta")
        .key("big")
        .metadata("big", &big)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MetadataTooLarge");
    for key in ["k", "copy"] {
        assert_eq!(get(&c, "meta", key, None).await.unwrap_err(), "NoSuchKey");
    }
    // Just under 2 KB is fine.
    c.put_object()
        .bucket("meta")
        .key("fits")
        .metadata("m", "x".repeat(2000))
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .expect("metadata under 2 KB");
}

#[tokio::test]
async fn after_a_barrage_of_hostile_requests_every_version_is_unchanged_and_the_tick_works() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    locked_bucket(&c, "ledger").await;
    put(&c, "ledger", "a", b"alpha-1").await;
    put(&c, "ledger", "a", b"alpha-2").await;
    let b_vid = put(&c, "ledger", "b", b"beta").await.unwrap();
    c.delete_object().bucket("ledger").key("c").send().await.unwrap();
    let before = versions(&c, "ledger").await;

    for (days, years) in [(Some(i32::MAX), None), (None, Some(i32::MAX)), (Some(0), None)] {
        let r = c
            .put_object_lock_configuration()
            .bucket("ledger")
            .object_lock_configuration(lock_config(days, years))
            .send()
            .await;
        assert!(r.is_err());
    }
    let del = b"<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>";
    let junk = format!(
        "<Delete><Object><Key>a</Key></Object>{}{}</Delete>",
        "<J>".repeat(500),
        "</J>".repeat(500)
    );
    let barrage: Vec<RawRequest> = vec![
        ("/ledger?delete".into(), vec![("content-md5", md5_b64(b"x"))], del.to_vec()),
        ("/ledger?delete".into(), vec![("content-md5", "AAAA".into())], del.to_vec()),
        (
            "/ledger?delete".into(),
            vec![("content-md5", md5_b64(junk.as_bytes()))],
            junk.into_bytes(),
        ),
        (
            format!("/ledger/b?retention&versionId={b_vid}"),
            vec![],
            b"<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>+1000000-01-01T00:00:00Z</RetainUntilDate></Retention>".to_vec(),
        ),
    ];
    for (path, headers, body) in &barrage {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let method = if path.contains("?delete") { "POST" } else { "PUT" };
        let r = raw(&server, method, path, &headers, body).await;
        assert_eq!(r.0, 400, "{path}: {r:?}");
    }
    for (class, meta) in [(Some("FLOPPY"), None), (None, Some("y".repeat(3000)))] {
        let r = c
            .put_object()
            .bucket("ledger")
            .key("a")
            .set_storage_class(class.map(StorageClass::from))
            .set_metadata(meta.map(|m| [("big".to_owned(), m)].into_iter().collect()))
            .body(ByteStream::from_static(b"overwrite"))
            .send()
            .await;
        assert!(r.is_err());
        let r = c
            .put_object()
            .bucket("ledger")
            .key("b")
            .content_md5(md5_b64(b"not this"))
            .body(ByteStream::from_static(b"overwrite"))
            .send()
            .await;
        assert!(r.is_err());
    }
    assert_eq!(versions(&c, "ledger").await, before, "every version is unchanged");

    // The clock moves (the tick runs) and valid requests work as usual.
    server.advance(Duration::days(1)).await;
    assert_eq!(versions(&c, "ledger").await, before);
    c.put_object_lock_configuration()
        .bucket("ledger")
        .object_lock_configuration(lock_config(Some(1), None))
        .send()
        .await
        .expect("a valid default retention");
    put(&c, "ledger", "d", b"delta").await;
    assert_eq!(get(&c, "ledger", "d", None).await.unwrap(), b"delta");
    server.advance(Duration::days(2)).await;
    assert_eq!(get(&c, "ledger", "b", Some(&b_vid)).await.unwrap(), b"beta");
}

#[tokio::test]
async fn a_lifecycle_of_2147483647_days_never_falls_due_and_the_tick_goes_on() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        LifecycleRuleFilter,
    };
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    let expire_after = |days: i32| {
        BucketLifecycleConfiguration::builder()
            .rules(
                LifecycleRule::builder()
                    .id("expire")
                    .status(ExpirationStatus::Enabled)
                    .filter(LifecycleRuleFilter::builder().prefix("").build())
                    .expiration(LifecycleExpiration::builder().days(days).build())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    // "a-forever" comes first in the tick's walk over the buckets.
    for (bucket, days) in [("a-forever", i32::MAX), ("b-daily", 1)] {
        create_bucket(&c, bucket, "us-east-1").await;
        put(&c, bucket, "k", b"v").await;
        c.put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(expire_after(days))
            .send()
            .await
            .expect("a positive Days is valid");
    }
    server.advance(Duration::days(3)).await;
    assert_eq!(get(&c, "a-forever", "k", None).await.unwrap(), b"v", "never due");
    assert_eq!(
        get(&c, "b-daily", "k", None).await.unwrap_err(),
        "NoSuchKey",
        "the same tick still expired the other bucket's object"
    );
}
