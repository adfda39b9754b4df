//! Parts and attributes through aws-sdk-s3: UploadPartCopy from ranges of
//! an older version (a large-object restore), GetObject and HeadObject
//! with `partNumber`, GetObjectAttributes, and ListBuckets paging.

use super::*;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart, ObjectAttributes,
};
use firedrill_emu_s3::checksum::{self, Algorithm, Digests};

const MIB: usize = 1024 * 1024;

fn body(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

#[tokio::test]
async fn upload_part_copy_restores_a_large_old_version_from_ranges() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "big", "us-east-1").await;
    enable_versioning(&c, "big").await;
    let old = body(6 * MIB, 1);
    let v1 = put(&c, "big", "k", &old).await.unwrap();
    put(&c, "big", "k", b"ransomware").await;

    let id = c
        .create_multipart_upload()
        .bucket("big")
        .key("restored")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let source = format!("big/k?versionId={v1}");
    let copy = |n: i32, range: &str| {
        c.upload_part_copy()
            .bucket("big")
            .key("restored")
            .upload_id(&id)
            .part_number(n)
            .copy_source(&source)
            .copy_source_range(range)
    };
    let bad = copy(1, "0-10").send().await.unwrap_err();
    assert_eq!(code(&bad), "InvalidArgument");
    let past = copy(1, &format!("bytes=0-{}", 6 * MIB)).send().await.unwrap_err();
    assert_eq!(code(&past), "InvalidRange");
    let stale = copy(1, "bytes=0-9")
        .copy_source_if_match("\"ffffffffffffffffffffffffffffffff\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&stale), "PreconditionFailed");

    let mut parts = Vec::new();
    for (n, range) in [
        (1, format!("bytes=0-{}", 5 * MIB - 1)),
        (2, format!("bytes={}-{}", 5 * MIB, 6 * MIB - 1)),
    ] {
        let out = copy(n, &range).send().await.expect("upload part copy");
        assert_eq!(out.copy_source_version_id(), Some(v1.as_str()));
        let result = out.copy_part_result().unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(result.e_tag().unwrap())
                .build(),
        );
    }
    let listed = c
        .list_parts()
        .bucket("big")
        .key("restored")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts()[1].size(), Some(i64::try_from(MIB).unwrap()));
    c.complete_multipart_upload()
        .bucket("big")
        .key("restored")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .expect("complete");
    assert_eq!(get(&c, "big", "restored", None).await.unwrap(), old);
    assert_eq!(
        get(&c, "big", "k", Some(&v1)).await.unwrap(),
        old,
        "the source is unchanged"
    );
}

/// A completed two-part upload (5 MiB and 16 bytes) with a CRC32C
/// composite checksum; answers the body.
async fn two_parts(c: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let id = c
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let bodies = [body(5 * MIB, 2), b"test content 123".to_vec()];
    let mut parts = Vec::new();
    for (n, b) in (1..).zip(&bodies) {
        let out = c
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .body(ByteStream::from(b.clone()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .checksum_crc32_c(out.checksum_crc32_c().unwrap())
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    bodies.concat()
}

#[tokio::test]
async fn part_numbers_read_one_part_with_its_range_and_checksum() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "parts", "us-east-1").await;
    let whole = two_parts(&c, "parts", "mpu").await;
    let got = c
        .get_object()
        .bucket("parts")
        .key("mpu")
        .part_number(2)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("part 2");
    let size = whole.len();
    assert_eq!(
        got.content_range(),
        Some(format!("bytes {}-{}/{size}", 5 * MIB, size - 1).as_str())
    );
    assert_eq!(got.parts_count(), Some(2));
    assert_eq!(
        got.checksum_crc32_c(),
        Some(
            checksum::encode(
                Digests::of(b"test content 123", Some(Algorithm::Crc32c))
                    .get(Algorithm::Crc32c)
                    .unwrap()
            )
            .as_str()
        )
    );
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"test content 123"
    );
    let head = c
        .head_object()
        .bucket("parts")
        .key("mpu")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(i64::try_from(5 * MIB).unwrap()));
    assert_eq!(head.parts_count(), Some(2));
    let whole_head = c.head_object().bucket("parts").key("mpu").send().await.unwrap();
    assert_eq!(whole_head.parts_count(), None, "no part count without partNumber");

    let missing = c
        .get_object()
        .bucket("parts")
        .key("mpu")
        .part_number(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "InvalidPartNumber");
    let both = c
        .get_object()
        .bucket("parts")
        .key("mpu")
        .part_number(1)
        .range("bytes=0-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&both), "InvalidRequest");

    put(&c, "parts", "single", b"test-123").await;
    let one = c
        .get_object()
        .bucket("parts")
        .key("single")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(one.content_range(), Some("bytes 0-7/8"));
    assert_eq!(one.parts_count(), None);
    let two = c
        .get_object()
        .bucket("parts")
        .key("single")
        .part_number(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&two), "InvalidPartNumber");
}

#[tokio::test]
async fn object_attributes_answer_what_was_asked() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "attrs", "us-east-1").await;
    enable_versioning(&c, "attrs").await;
    let v1 = put(&c, "attrs", "k", b"content").await.unwrap();
    put(&c, "attrs", "k", b"newer one").await;
    let all = [
        ObjectAttributes::Etag,
        ObjectAttributes::Checksum,
        ObjectAttributes::ObjectParts,
        ObjectAttributes::StorageClass,
        ObjectAttributes::ObjectSize,
    ];
    let old = c
        .get_object_attributes()
        .bucket("attrs")
        .key("k")
        .version_id(&v1)
        .set_object_attributes(Some(all.to_vec()))
        .send()
        .await
        .expect("attributes of v1");
    assert_eq!(old.object_size(), Some(7));
    assert_eq!(old.version_id(), Some(v1.as_str()));
    assert_eq!(old.storage_class().map(|s| s.as_str()), Some("STANDARD"));
    // GetObjectAttributes writes the ETag bare, unlike every other answer.
    assert_eq!(old.e_tag(), Some("9a0364b9e99bb480dd25e1f0284c8555"));
    let sum = old.checksum().unwrap();
    // The SDK sends CRC32 by default; AWS answers this value for "content".
    assert_eq!(
        sum.checksum_crc32(),
        Some(
            checksum::encode(
                Digests::of(b"content", Some(Algorithm::Crc32))
                    .get(Algorithm::Crc32)
                    .unwrap()
            )
            .as_str()
        )
    );
    assert!(old.object_parts().is_none(), "one-part objects have no parts");

    let only_size = c
        .get_object_attributes()
        .bucket("attrs")
        .key("k")
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap();
    assert_eq!(only_size.object_size(), Some(9));
    assert!(only_size.checksum().is_none() && only_size.e_tag().is_none());

    two_parts(&c, "attrs", "mpu").await;
    let mpu = c
        .get_object_attributes()
        .bucket("attrs")
        .key("mpu")
        .set_object_attributes(Some(all.to_vec()))
        .send()
        .await
        .unwrap();
    let mpu_etag = mpu.e_tag().unwrap();
    assert!(mpu_etag.ends_with("-2") && !mpu_etag.contains('"'), "{mpu_etag}");
    let parts = mpu.object_parts().unwrap();
    assert_eq!(parts.total_parts_count(), Some(2));
    assert_eq!(parts.parts().len(), 2, "composite objects list their parts");
    assert_eq!(parts.parts()[1].size(), Some(16));
    let composite = mpu.checksum().unwrap();
    assert!(
        !composite.checksum_crc32_c().unwrap().contains('-'),
        "no part count in attributes"
    );

    c.delete_object().bucket("attrs").key("k").send().await.unwrap();
    let gone = c
        .get_object_attributes()
        .bucket("attrs")
        .key("k")
        .object_attributes(ObjectAttributes::Etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "NoSuchKey");
}

#[tokio::test]
async fn list_buckets_pages_by_max_buckets_and_continuation_token() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    for name in ["page-a", "page-b", "page-c", "page-d", "other-e"] {
        create_bucket(&c, name, "us-east-1").await;
    }
    create_bucket(&west, "page-west", "us-west-2").await;
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_buckets()
            .max_buckets(2)
            .prefix("page-")
            .set_continuation_token(token.clone())
            .send()
            .await
            .expect("a page");
        assert!(out.buckets().len() <= 2);
        seen.extend(out.buckets().iter().map(|b| b.name().unwrap().to_owned()));
        token = out.continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["page-a", "page-b", "page-c", "page-d", "page-west"]);
    let regional = c.list_buckets().bucket_region("us-west-2").send().await.unwrap();
    assert_eq!(regional.buckets().len(), 1);
    assert_eq!(regional.buckets()[0].bucket_region(), Some("us-west-2"));
    let bad = c
        .list_buckets()
        .continuation_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "InvalidArgument");
    let zero = c.list_buckets().max_buckets(0).send().await.unwrap_err();
    assert_eq!(code(&zero), "InvalidArgument");
}
