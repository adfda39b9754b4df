//! Conditional writes through aws-sdk-s3: `If-None-Match: *` and
//! `If-Match` on PutObject, CopyObject and CompleteMultipartUpload (412
//! PreconditionFailed, 404 for If-Match on a missing key, 409
//! ConditionalRequestConflict when a completion loses to a write made while
//! the upload was open, 501 for the forms S3 does not take), and the
//! `x-amz-copy-source-if-*` conditions of CopyObject. A refused write
//! changes nothing.

use super::bad_input::raw;
use super::*;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::CompletedMultipartUpload;

async fn etag_of(c: &Client, bucket: &str, key: &str) -> String {
    c.head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("head")
        .e_tag()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn put_object_writes_only_when_its_precondition_holds() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "cond", "us-east-1").await;
    let put = |key: &'static str, body: &'static [u8]| {
        c.put_object()
            .bucket("cond")
            .key(key)
            .body(ByteStream::from_static(body))
    };
    put("k", b"first")
        .if_none_match("*")
        .send()
        .await
        .expect("a new key");
    let again = put("k", b"second").if_none_match("*").send().await.unwrap_err();
    assert_eq!(code(&again), "PreconditionFailed");
    assert_eq!(get(&c, "cond", "k", None).await.unwrap(), b"first");

    let first = etag_of(&c, "cond", "k").await;
    let stale = put("k", b"third")
        .if_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&stale), "PreconditionFailed");
    put("k", b"third")
        .if_match(&first)
        .send()
        .await
        .expect("the current ETag");
    assert_eq!(get(&c, "cond", "k", None).await.unwrap(), b"third");
    let missing = put("nope", b"x").if_match(&first).send().await.unwrap_err();
    assert_eq!(code(&missing), "NoSuchKey");

    let odd = put("k", b"x").if_none_match(&first).send().await.unwrap_err();
    assert_eq!(code(&odd), "NotImplemented");
    let star = put("k", b"x").if_match("*").send().await.unwrap_err();
    assert_eq!(code(&star), "NotImplemented");
    assert_eq!(get(&c, "cond", "k", None).await.unwrap(), b"third");

    // The refusal names the condition, as AWS's error document does.
    let r = raw(
        &server,
        "PUT",
        "/cond/k",
        &[
            ("if-none-match", "*"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
        b"raw",
    )
    .await;
    assert_eq!(r.0, 412, "{r:?}");
    assert!(r.2.contains("<Condition>If-None-Match</Condition>"), "{r:?}");

    // A delete marker is no current object.
    enable_versioning(&c, "cond").await;
    c.delete_object().bucket("cond").key("k").send().await.unwrap();
    put("k", b"after the marker")
        .if_none_match("*")
        .send()
        .await
        .expect("the key is free");
}

#[tokio::test]
async fn copies_check_their_source_and_their_destination() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "copy-cond", "us-east-1").await;
    put(&c, "copy-cond", "src", b"source").await;
    put(&c, "copy-cond", "dst", b"destination").await;
    let src_etag = etag_of(&c, "copy-cond", "src").await;
    let copy = |key: &'static str| {
        c.copy_object()
            .bucket("copy-cond")
            .key(key)
            .copy_source("copy-cond/src")
    };

    let taken = copy("dst").if_none_match("*").send().await.unwrap_err();
    assert_eq!(code(&taken), "PreconditionFailed");
    copy("fresh").if_none_match("*").send().await.expect("a free key");

    let past = DateTime::from_secs(946_684_800);
    let future = DateTime::from_secs(4_102_444_800);
    for refused in [
        copy("x").copy_source_if_match("\"ffffffffffffffffffffffffffffffff\""),
        copy("x").copy_source_if_none_match(&src_etag),
        copy("x").copy_source_if_unmodified_since(past),
        copy("x").copy_source_if_modified_since(future),
    ] {
        let e = refused.send().await.unwrap_err();
        assert_eq!(code(&e), "PreconditionFailed");
    }
    assert_eq!(get(&c, "copy-cond", "x", None).await.unwrap_err(), "NoSuchKey");
    // If-Match wins over If-Unmodified-Since, as RFC 7232 and S3 say.
    copy("x")
        .copy_source_if_match(&src_etag)
        .copy_source_if_unmodified_since(past)
        .send()
        .await
        .expect("the source matches");
    copy("y")
        .copy_source_if_modified_since(past)
        .copy_source_if_unmodified_since(future)
        .send()
        .await
        .expect("both dates hold");
    assert_eq!(get(&c, "copy-cond", "y", None).await.unwrap(), b"source");
}

#[tokio::test]
async fn completions_check_their_precondition_against_writes_made_meanwhile() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "mpu-cond", "us-east-1").await;
    let complete = |key: &'static str, id: &str, done: &CompletedMultipartUpload| {
        c.complete_multipart_upload()
            .bucket("mpu-cond")
            .key(key)
            .upload_id(id)
            .multipart_upload(done.clone())
    };

    // Created while the upload was open: If-None-Match fails, the upload stays.
    let (id, done) = one_part_upload(&c, "mpu-cond", "a", b"multipart body").await;
    put(&c, "mpu-cond", "a", b"written meanwhile").await;
    let e = complete("a", &id, &done)
        .if_none_match("*")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "PreconditionFailed");
    assert_eq!(
        get(&c, "mpu-cond", "a", None).await.unwrap(),
        b"written meanwhile"
    );
    complete("a", &id, &done)
        .send()
        .await
        .expect("the upload is still there");

    // Overwritten while the upload was open: If-Match with the new ETag
    // still loses to the write it did not see.
    put(&c, "mpu-cond", "b", b"before").await;
    let (id, done) = one_part_upload(&c, "mpu-cond", "b", b"multipart body").await;
    server.advance(chrono::Duration::seconds(5)).await;
    put(&c, "mpu-cond", "b", b"meanwhile").await;
    let now = etag_of(&c, "mpu-cond", "b").await;
    let e = complete("b", &id, &done).if_match(&now).send().await.unwrap_err();
    assert_eq!(code(&e), "ConditionalRequestConflict");
    assert_eq!(get(&c, "mpu-cond", "b", None).await.unwrap(), b"meanwhile");

    // Deleted while the upload was open: If-None-Match conflicts.
    put(&c, "mpu-cond", "c", b"before").await;
    let (id, done) = one_part_upload(&c, "mpu-cond", "c", b"multipart body").await;
    c.delete_object()
        .bucket("mpu-cond")
        .key("c")
        .send()
        .await
        .unwrap();
    let e = complete("c", &id, &done)
        .if_none_match("*")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ConditionalRequestConflict");

    // Unchanged: If-Match with the current ETag completes.
    put(&c, "mpu-cond", "d", b"before").await;
    let before = etag_of(&c, "mpu-cond", "d").await;
    let (id, done) = one_part_upload(&c, "mpu-cond", "d", b"multipart body").await;
    complete("d", &id, &done)
        .if_match(&before)
        .send()
        .await
        .expect("nothing changed meanwhile");
    assert_eq!(get(&c, "mpu-cond", "d", None).await.unwrap(), b"multipart body");
}
