//! Additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) through
//! aws-sdk-s3: computed and stored per version, returned on GET/HEAD with
//! `x-amz-checksum-mode: ENABLED` and in listings, verified on upload from
//! headers and from aws-chunked trailers, and derived for multipart objects
//! (`COMPOSITE` `-N` and `FULL_OBJECT`). A mismatch is refused with S3's
//! error and stores nothing.

use super::bad_input::{assert_error, raw};
use super::*;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
};
use firedrill_emu_s3::checksum::{self, Algorithm, Digests};

const BODY: &[u8] = b"test data..";

fn b64(a: Algorithm, data: &[u8]) -> String {
    checksum::encode(Digests::of(data, Some(a)).get(a).unwrap())
}

fn sdk_algorithm(a: Algorithm) -> ChecksumAlgorithm {
    ChecksumAlgorithm::from(a.name())
}

/// A client that sends no checksum unless an operation requires one.
async fn plain_client(server: &TestServer) -> Client {
    let sdk = server.sdk_config("us-east-1").await;
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build(),
    )
}

/// The checksum HeadObject reports with checksum mode on, as
/// (algorithm, value, type).
async fn head_checksum(
    c: &Client,
    bucket: &str,
    key: &str,
) -> (Option<String>, String, Option<ChecksumType>) {
    let h = c
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    let found = [
        ("CRC32", h.checksum_crc32()),
        ("CRC32C", h.checksum_crc32_c()),
        ("CRC64NVME", h.checksum_crc64_nvme()),
        ("SHA1", h.checksum_sha1()),
        ("SHA256", h.checksum_sha256()),
    ];
    let present: Vec<_> = found.iter().filter(|(_, v)| v.is_some()).collect();
    assert!(present.len() <= 1, "one checksum at most: {present:?}");
    match present.first() {
        Some((a, v)) => (
            Some((*a).to_owned()),
            v.unwrap_or_default().to_owned(),
            h.checksum_type().cloned(),
        ),
        None => (None, String::new(), h.checksum_type().cloned()),
    }
}

#[tokio::test]
async fn every_algorithm_is_verified_stored_and_returned() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "sums", "us-east-1").await;
    for a in checksum::ALL {
        let key = format!("obj-{}", a.lower());
        // The SDK computes the checksum and sends it in an aws-chunked trailer.
        let out = c
            .put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(sdk_algorithm(a))
            .body(ByteStream::from_static(BODY))
            .send()
            .await
            .expect("put with a checksum");
        assert_eq!(out.checksum_type(), Some(&ChecksumType::FullObject), "{a:?}");
        let (alg, value, kind) = head_checksum(&c, "sums", &key).await;
        assert_eq!(alg.as_deref(), Some(a.name()));
        assert_eq!(value, b64(a, BODY), "{a:?}");
        assert_eq!(kind, Some(ChecksumType::FullObject));
        // GetObject with checksum mode: the SDK validates the body against it.
        let got = c
            .get_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .expect("get");
        assert_eq!(got.checksum_type(), Some(&ChecksumType::FullObject));
        assert_eq!(
            got.body
                .collect()
                .await
                .expect("a validated body")
                .into_bytes()
                .as_ref(),
            BODY
        );
    }
    // The values AWS answers for this body.
    assert_eq!(b64(Algorithm::Crc32, BODY), "cZWHwQ==");
    assert_eq!(b64(Algorithm::Crc64Nvme, BODY), "qUVrWYOrIAM=");
    // Without checksum mode, no checksum is returned.
    let h = c
        .head_object()
        .bucket("sums")
        .key("obj-crc32")
        .send()
        .await
        .unwrap();
    assert_eq!(h.checksum_crc32(), None);
    assert_eq!(h.checksum_type(), None);
    // Listings name the algorithm and type of every object.
    let listed = c.list_objects_v2().bucket("sums").send().await.unwrap();
    for o in listed.contents() {
        let key = o.key().unwrap();
        let want = checksum::ALL
            .into_iter()
            .find(|a| key.ends_with(a.lower()))
            .unwrap();
        assert_eq!(o.checksum_algorithm(), [sdk_algorithm(want)], "{key}");
        assert_eq!(o.checksum_type(), Some(&ChecksumType::FullObject));
    }
    let versions = c.list_object_versions().bucket("sums").send().await.unwrap();
    assert_eq!(versions.versions().len(), 5);
    assert!(
        versions
            .versions()
            .iter()
            .all(|v| v.checksum_type() == Some(&ChecksumType::FullObject))
    );
}

#[tokio::test]
async fn an_object_uploaded_without_a_checksum_gets_crc64nvme() {
    let (server, _) = server().await;
    let c = plain_client(&server).await;
    create_bucket(&c, "plain", "us-east-1").await;
    c.put_object()
        .bucket("plain")
        .key("k")
        .body(ByteStream::from_static(BODY))
        .send()
        .await
        .unwrap();
    let (alg, value, kind) = head_checksum(&c, "plain", "k").await;
    assert_eq!(alg.as_deref(), Some("CRC64NVME"));
    assert_eq!(value, "qUVrWYOrIAM=");
    assert_eq!(kind, Some(ChecksumType::FullObject));
    // A copy keeps the source's checksum; one that names an algorithm gets it.
    c.copy_object()
        .bucket("plain")
        .key("copy")
        .copy_source("plain/k")
        .send()
        .await
        .unwrap();
    assert_eq!(head_checksum(&c, "plain", "copy").await.1, "qUVrWYOrIAM=");
    let out = c
        .copy_object()
        .bucket("plain")
        .key("k")
        .copy_source("plain/k")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .expect("a copy onto itself may change only the checksum");
    let result = out.copy_object_result().unwrap();
    assert_eq!(
        result.checksum_sha256(),
        Some(b64(Algorithm::Sha256, BODY).as_str())
    );
    assert_eq!(head_checksum(&c, "plain", "k").await.0.as_deref(), Some("SHA256"));
}

#[tokio::test]
async fn a_wrong_or_malformed_checksum_is_refused_and_stores_nothing() {
    let (server, _) = server().await;
    let c = plain_client(&server).await;
    create_bucket(&c, "strict", "us-east-1").await;
    let wrong = c
        .put_object()
        .bucket("strict")
        .key("k")
        .checksum_crc32(b64(Algorithm::Crc32, b"bad data"))
        .body(ByteStream::from_static(BODY))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "BadDigest");
    assert_eq!(
        wrong.as_service_error().and_then(|e| e.message()),
        Some("The CRC32 you specified did not match the calculated checksum.")
    );
    let malformed = c
        .put_object()
        .bucket("strict")
        .key("k")
        .checksum_sha256("abc123")
        .body(ByteStream::from_static(BODY))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&malformed), "InvalidRequest");
    assert_eq!(
        malformed.as_service_error().and_then(|e| e.message()),
        Some("Value for x-amz-checksum-sha256 header is invalid.")
    );
    let two = c
        .put_object()
        .bucket("strict")
        .key("k")
        .checksum_sha256(b64(Algorithm::Sha256, BODY))
        .checksum_crc32(b64(Algorithm::Crc32, BODY))
        .body(ByteStream::from_static(BODY))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&two), "InvalidRequest");
    assert_eq!(get(&c, "strict", "k", None).await.unwrap_err(), "NoSuchKey");
    // The right value is accepted and stored.
    c.put_object()
        .bucket("strict")
        .key("k")
        .checksum_sha256(b64(Algorithm::Sha256, BODY))
        .body(ByteStream::from_static(BODY))
        .send()
        .await
        .expect("the right checksum");
    assert_eq!(
        head_checksum(&c, "strict", "k").await.0.as_deref(),
        Some("SHA256")
    );
}

/// An unsigned aws-chunked body of one chunk with these trailers.
fn chunked(body: &[u8], trailers: &str) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out.extend_from_slice(format!("\r\n0\r\n{trailers}\r\n").as_bytes());
    out
}

#[tokio::test]
async fn trailing_checksums_are_verified_after_the_body() {
    let (server, _) = server().await;
    let c = plain_client(&server).await;
    create_bucket(&c, "trail", "us-east-1").await;
    let len = BODY.len().to_string();
    let headers = |trailer: &'static str| {
        vec![
            ("content-encoding", "aws-chunked"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("x-amz-decoded-content-length", len.as_str()),
            ("x-amz-trailer", trailer),
        ]
    };
    let bad = chunked(
        BODY,
        &format!("x-amz-checksum-crc32:{}\r\n", b64(Algorithm::Crc32, b"other")),
    );
    let r = raw(&server, "PUT", "/trail/k", &headers("x-amz-checksum-crc32"), &bad).await;
    assert_error(&r, 400, "BadDigest");
    let missing = chunked(BODY, "");
    let r = raw(
        &server,
        "PUT",
        "/trail/k",
        &headers("x-amz-checksum-crc64nvme"),
        &missing,
    )
    .await;
    assert_error(&r, 400, "MalformedTrailerError");
    assert_eq!(get(&c, "trail", "k", None).await.unwrap_err(), "NoSuchKey");
    let good = chunked(
        BODY,
        &format!("x-amz-checksum-crc32c:{}\r\n", b64(Algorithm::Crc32c, BODY)),
    );
    let r = raw(
        &server,
        "PUT",
        "/trail/k",
        &headers("x-amz-checksum-crc32c"),
        &good,
    )
    .await;
    assert_eq!(r.0, 200, "{r:?}");
    assert!(
        r.1.contains(
            &format!("x-amz-checksum-crc32c: {}", b64(Algorithm::Crc32c, BODY)).to_ascii_lowercase()
        )
    );
    assert_eq!(head_checksum(&c, "trail", "k").await.0.as_deref(), Some("CRC32C"));
    assert_eq!(get(&c, "trail", "k", None).await.unwrap(), BODY);
}

const PART: usize = 5 * 1024 * 1024 + 1;

/// Uploads `parts` with `algorithm` and answers the completed parts with
/// their checksums.
async fn upload_parts(
    c: &Client,
    bucket: &str,
    key: &str,
    id: &str,
    parts: &[Vec<u8>],
    algorithm: Option<Algorithm>,
) -> Vec<CompletedPart> {
    let mut done = Vec::new();
    for (n, body) in parts.iter().enumerate() {
        let n = i32::try_from(n).unwrap() + 1;
        let out = c
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(id)
            .part_number(n)
            .set_checksum_algorithm(algorithm.map(sdk_algorithm))
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("upload part");
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                .set_checksum_sha256(out.checksum_sha256().map(str::to_owned))
                .build(),
        );
    }
    done
}

#[tokio::test]
async fn composite_multipart_checksums_carry_the_part_count() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "mpu", "us-east-1").await;
    let parts = vec![vec![b'a'; PART], vec![b'a'; PART], vec![b'a'; 10]];
    let created = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("big")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    assert_eq!(created.checksum_type(), Some(&ChecksumType::Composite));
    let id = created.upload_id().unwrap();
    let done = upload_parts(&c, "mpu", "big", id, &parts, Some(Algorithm::Crc32)).await;
    assert_eq!(
        done[0].checksum_crc32(),
        Some("NRU+Sw=="),
        "AWS's value for the part"
    );
    let listed = c
        .list_parts()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
    assert_eq!(listed.parts()[2].checksum_crc32(), Some("TBHN8A=="));
    // Every part's checksum is required.
    let bare: Vec<CompletedPart> = done
        .iter()
        .map(|p| {
            CompletedPart::builder()
                .part_number(p.part_number().unwrap())
                .e_tag(p.e_tag().unwrap())
                .build()
        })
        .collect();
    let missing = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(bare)).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "InvalidRequest");
    let out = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .expect("complete");
    assert_eq!(out.checksum_crc32(), Some("5FRUiw==-3"), "AWS's composite value");
    assert_eq!(out.checksum_type(), Some(&ChecksumType::Composite));
    let (_, value, kind) = head_checksum(&c, "mpu", "big").await;
    assert_eq!(
        (value.as_str(), kind),
        ("5FRUiw==-3", Some(ChecksumType::Composite))
    );
    // A copy is one part, with the full-object CRC32 and an MD5 ETag.
    let copied = c
        .copy_object()
        .bucket("mpu")
        .key("copy")
        .copy_source("mpu/big")
        .send()
        .await
        .unwrap();
    let result = copied.copy_object_result().unwrap();
    assert_eq!(result.checksum_crc32(), Some("qSEQSA=="));
    assert_eq!(result.checksum_type(), Some(&ChecksumType::FullObject));
    assert!(!result.e_tag().unwrap().contains('-'), "{:?}", result.e_tag());
}

#[tokio::test]
async fn full_object_multipart_checksums_are_the_whole_bodys() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "full", "us-east-1").await;
    let parts = vec![vec![b'a'; PART], vec![b'a'; PART], vec![b'a'; 10]];
    let whole: Vec<u8> = parts.concat();
    let created = c
        .create_multipart_upload()
        .bucket("full")
        .key("big")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap();
    let done = upload_parts(&c, "full", "big", id, &parts, Some(Algorithm::Crc32)).await;
    let complete = |value: String| {
        c.complete_multipart_upload()
            .bucket("full")
            .key("big")
            .upload_id(id)
            .checksum_crc32(value)
            .checksum_type(ChecksumType::FullObject)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(done.clone()))
                    .build(),
            )
            .send()
    };
    let wrong = complete(b64(Algorithm::Crc32, b"bad string")).await.unwrap_err();
    assert_eq!(code(&wrong), "BadDigest");
    // Refused before anything changed: the upload is still there.
    assert_eq!(get(&c, "full", "big", None).await.unwrap_err(), "NoSuchKey");
    let out = complete(b64(Algorithm::Crc32, &whole)).await.expect("complete");
    assert_eq!(out.checksum_crc32(), Some("qSEQSA=="), "AWS's value");
    assert_eq!(out.checksum_type(), Some(&ChecksumType::FullObject));

    // An upload that names no checksum gets the full-object CRC64NVME.
    let created = c
        .create_multipart_upload()
        .bucket("full")
        .key("plain")
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap();
    let plain = plain_client(&server).await;
    let done = upload_parts(&plain, "full", "plain", id, &parts[1..], None).await;
    let out = c
        .complete_multipart_upload()
        .bucket("full")
        .key("plain")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.checksum_crc64_nvme(),
        Some(b64(Algorithm::Crc64Nvme, &parts[1..].concat()).as_str())
    );
    assert_eq!(out.checksum_type(), Some(&ChecksumType::FullObject));
}

#[tokio::test]
async fn multipart_checksum_rules_are_aws_rules() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "rules", "us-east-1").await;
    let composite_crc64 = c
        .create_multipart_upload()
        .bucket("rules")
        .key("k")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .checksum_type(ChecksumType::Composite)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&composite_crc64), "InvalidRequest");
    let type_alone = c
        .create_multipart_upload()
        .bucket("rules")
        .key("k")
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&type_alone), "InvalidRequest");
    let created = c
        .create_multipart_upload()
        .bucket("rules")
        .key("k")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap();
    let other = c
        .upload_part()
        .bucket("rules")
        .key("k")
        .upload_id(id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&other), "InvalidRequest");
    assert_eq!(
        other.as_service_error().and_then(|e| e.message()),
        Some("Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32")
    );
    let wrong_part = c
        .upload_part()
        .bucket("rules")
        .key("k")
        .upload_id(id)
        .part_number(1)
        .checksum_sha256(b64(Algorithm::Sha256, b"abd"))
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong_part), "BadDigest");
    let listed = c
        .list_parts()
        .bucket("rules")
        .key("k")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    assert!(listed.parts().is_empty(), "a refused part is not stored");
}
