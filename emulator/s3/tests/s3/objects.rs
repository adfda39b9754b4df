//! Object reads and writes: ETags, ranges, metadata, copies, multipart
//! uploads, listings and their pagination.

use super::*;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective};

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

#[tokio::test]
async fn etags_ranges_and_metadata() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "obj", "us-east-1").await;
    let body: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
    let out = c
        .put_object()
        .bucket("obj")
        .key("dir/file.bin")
        .content_type("application/x-test")
        .metadata("owner", "alice")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.e_tag(), Some(format!("\"{}\"", md5_hex(&body)).as_str()));

    let head = c
        .head_object()
        .bucket("obj")
        .key("dir/file.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(10_000));
    assert_eq!(head.content_type(), Some("application/x-test"));
    assert_eq!(
        head.metadata().and_then(|m| m.get("owner")).map(String::as_str),
        Some("alice")
    );

    let part = c
        .get_object()
        .bucket("obj")
        .key("dir/file.bin")
        .range("bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.content_range(), Some("bytes 100-199/10000"));
    assert_eq!(part.content_length(), Some(100));
    assert_eq!(
        part.body.collect().await.unwrap().into_bytes().as_ref(),
        &body[100..200]
    );
    let tail = c
        .get_object()
        .bucket("obj")
        .key("dir/file.bin")
        .range("bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tail.body.collect().await.unwrap().into_bytes().as_ref(),
        &body[9_990..]
    );
    let bad = c
        .get_object()
        .bucket("obj")
        .key("dir/file.bin")
        .range("bytes=20000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "InvalidRange");
    assert_eq!(bad.raw_response().unwrap().status().as_u16(), 416);

    let etag = head.e_tag().unwrap().to_owned();
    let not_modified = c
        .get_object()
        .bucket("obj")
        .key("dir/file.bin")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(not_modified.raw_response().unwrap().status().as_u16(), 304);
    let failed = c
        .get_object()
        .bucket("obj")
        .key("dir/file.bin")
        .if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failed.raw_response().unwrap().status().as_u16(), 412);
    let missing = c.get_object().bucket("obj").key("nope").send().await.unwrap_err();
    assert_eq!(code(&missing), "NoSuchKey");
    let no_bucket = c
        .get_object()
        .bucket("no-such-bucket")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_bucket), "NoSuchBucket");
}

#[tokio::test]
async fn streamed_bodies_from_files_round_trip() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "stream", "us-east-1").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let out = c
        .put_object()
        .bucket("stream")
        .key("big")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.e_tag(), Some(format!("\"{}\"", md5_hex(&data)).as_str()));
    assert_eq!(get(&c, "stream", "big", None).await.unwrap(), data);
}

#[tokio::test]
async fn copy_object_restores_versions_and_follows_metadata_directives() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "cpb", "us-east-1").await;
    enable_versioning(&c, "cpb").await;
    c.put_object()
        .bucket("cpb")
        .key("k")
        .content_type("text/plain")
        .metadata("m", "1")
        .body(ByteStream::from_static(b"original"))
        .send()
        .await
        .unwrap();
    let v1 = c
        .list_object_versions()
        .bucket("cpb")
        .send()
        .await
        .unwrap()
        .versions()[0]
        .version_id()
        .unwrap()
        .to_owned();
    put(&c, "cpb", "k", b"corrupted").await;
    let out = c
        .copy_object()
        .bucket("cpb")
        .key("k")
        .copy_source(format!("cpb/k?versionId={v1}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.copy_source_version_id(), Some(v1.as_str()));
    assert!(out.version_id().is_some());
    assert_eq!(get(&c, "cpb", "k", None).await.unwrap(), b"original");
    let head = c.head_object().bucket("cpb").key("k").send().await.unwrap();
    assert_eq!(
        head.metadata().and_then(|m| m.get("m")).map(String::as_str),
        Some("1")
    );
    assert_eq!(head.content_type(), Some("text/plain"));

    c.copy_object()
        .bucket("cpb")
        .key("k2")
        .copy_source("cpb/k")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("m", "2")
        .send()
        .await
        .unwrap();
    let head = c.head_object().bucket("cpb").key("k2").send().await.unwrap();
    assert_eq!(
        head.metadata().and_then(|m| m.get("m")).map(String::as_str),
        Some("2")
    );
    let itself = c
        .copy_object()
        .bucket("cpb")
        .key("k")
        .copy_source("cpb/k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&itself), "InvalidRequest");
    let missing = c
        .copy_object()
        .bucket("cpb")
        .key("x")
        .copy_source("cpb/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NoSuchKey");
}

#[tokio::test]
async fn multipart_uploads_complete_with_aws_etags_and_refuse_bad_parts() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "mpu", "us-east-1").await;
    let p1: Vec<u8> = vec![b'a'; 5 * 1024 * 1024];
    let p2: Vec<u8> = b"tail".to_vec();
    let up = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("big")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    for (n, data) in [(1, &p1), (2, &p2)] {
        let out = c
            .upload_part()
            .bucket("mpu")
            .key("big")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    let listed = c
        .list_parts()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts().len(), 2);
    assert_eq!(listed.parts()[1].size(), Some(4));

    let wrong_order = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(parts[1].clone())
                .parts(parts[0].clone())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong_order), "InvalidPartOrder");
    let wrong_etag = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag("\"0000\"").build())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong_etag), "InvalidPart");

    let done = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    use md5::Digest;
    let mut md5s = Vec::new();
    md5s.extend_from_slice(&md5::Md5::digest(&p1));
    md5s.extend_from_slice(&md5::Md5::digest(&p2));
    let want = format!("\"{}-2\"", hex::encode(md5::Md5::digest(&md5s)));
    assert_eq!(done.e_tag(), Some(want.as_str()));
    let mut all = p1.clone();
    all.extend_from_slice(&p2);
    assert_eq!(get(&c, "mpu", "big", None).await.unwrap(), all);
    let ranged = c
        .get_object()
        .bucket("mpu")
        .key("big")
        .range("bytes=5242878-5242881")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ranged.body.collect().await.unwrap().into_bytes().as_ref(),
        b"aata"
    );
    let gone = c
        .list_parts()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "NoSuchUpload");

    // A small part that is not the last one is refused.
    let up = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("small")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    for n in 1..=2 {
        let out = c
            .upload_part()
            .bucket("mpu")
            .key("small")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from_static(b"tiny"))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    let small = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("small")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&small), "EntityTooSmall");
    let uploads = c.list_multipart_uploads().bucket("mpu").send().await.unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    c.abort_multipart_upload()
        .bucket("mpu")
        .key("small")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let gone = c
        .list_parts()
        .bucket("mpu")
        .key("small")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "NoSuchUpload");
}

#[tokio::test]
async fn list_objects_v2_prefix_delimiter_and_pagination() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "lst", "us-east-1").await;
    for k in ["a/1", "a/2", "b/1", "c", "d", "e"] {
        put(&c, "lst", k, b"x").await;
    }
    let top = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = top
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    let keys: Vec<&str> = top.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(prefixes, vec!["a/", "b/"]);
    assert_eq!(keys, vec!["c", "d", "e"]);
    assert_eq!(top.key_count(), Some(5));

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let page = c
            .list_objects_v2()
            .bucket("lst")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        seen.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
        token = page.next_continuation_token().map(str::to_owned);
        if !page.is_truncated().unwrap() {
            break;
        }
    }
    assert_eq!(seen, vec!["a/1", "a/2", "b/1", "c", "d", "e"]);
    let after = c
        .list_objects_v2()
        .bucket("lst")
        .start_after("c")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = after.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(keys, vec!["d", "e"]);
    let pre = c
        .list_objects_v2()
        .bucket("lst")
        .prefix("a/")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.contents().len(), 2);
}

#[tokio::test]
async fn list_object_versions_paginates_with_key_and_version_markers() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "lvb", "us-east-1").await;
    enable_versioning(&c, "lvb").await;
    let mut want = Vec::new();
    for k in ["k1", "k2", "k3"] {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(put(&c, "lvb", k, format!("{k}-{n}").as_bytes()).await.unwrap());
        }
        ids.reverse();
        for id in ids {
            want.push((k.to_owned(), id));
        }
    }
    let mut seen = Vec::new();
    let (mut km, mut vm): (Option<String>, Option<String>) = (None, None);
    for _ in 0..20 {
        let page = c
            .list_object_versions()
            .bucket("lvb")
            .max_keys(2)
            .set_key_marker(km.clone())
            .set_version_id_marker(vm.clone())
            .send()
            .await
            .unwrap();
        seen.extend(
            page.versions()
                .iter()
                .map(|v| (v.key().unwrap().to_owned(), v.version_id().unwrap().to_owned())),
        );
        if !page.is_truncated().unwrap() {
            break;
        }
        km = page.next_key_marker().map(str::to_owned);
        vm = page.next_version_id_marker().map(str::to_owned);
    }
    assert_eq!(seen, want);
    let with_delim = c
        .list_object_versions()
        .bucket("lvb")
        .prefix("k")
        .delimiter("2")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = with_delim
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!(prefixes, vec!["k2"]);
    assert_eq!(with_delim.versions().len(), 6);
}

#[tokio::test]
async fn object_tags_from_headers_and_the_tagging_api() {
    use aws_sdk_s3::types::{Tag, Tagging};
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "tags", "us-east-1").await;
    enable_versioning(&c, "tags").await;
    let v1 = c
        .put_object()
        .bucket("tags")
        .key("k")
        .tagging("team=shop&tier=hot")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap();
    let got = c
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_set().len(), 2);
    assert_eq!(got.version_id(), Some(v1.as_str()));
    c.put_object_tagging()
        .bucket("tags")
        .key("k")
        .version_id(&v1)
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("tier").value("cold").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = c
        .get_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_set()[0].value(), "cold");
    c.delete_object_tagging()
        .bucket("tags")
        .key("k")
        .send()
        .await
        .unwrap();
    assert!(
        c.get_object_tagging()
            .bucket("tags")
            .key("k")
            .send()
            .await
            .unwrap()
            .tag_set()
            .is_empty()
    );
    let dup = c
        .put_object()
        .bucket("tags")
        .key("d")
        .tagging("a=1&a=2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&dup), "InvalidTag");
}
