//! Scale: listing pages of a bucket with 100k versions stays cheap, and
//! small objects go through quickly.

use super::*;
use firedrill_emu_core::{Clock, EmulatorConfig};
use firedrill_emu_s3::engine::model::NewObject;

#[tokio::test]
async fn list_object_versions_over_100k_versions_pages_quickly() {
    let config = EmulatorConfig {
        in_memory_bodies: true,
        ..EmulatorConfig::default()
    };
    let clock = Clock::simulated("2026-03-14T12:00:00Z".parse().unwrap());
    let mut handle = None;
    let server = TestServer::start_with(config, clock, |env| {
        let s3 = firedrill_emu_s3::S3::new(env);
        handle = Some(s3.clone());
        vec![s3 as Arc<dyn firedrill_emu_core::AwsService>]
    })
    .await;
    let s3 = handle.unwrap();
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "huge", "us-east-1").await;
    enable_versioning(&c, "huge").await;
    let engine = s3.engine();
    for i in 0..25_000u32 {
        for _ in 0..4 {
            let w = engine
                .store()
                .write_bytes(bytes::Bytes::from_static(b"x"), None)
                .await
                .unwrap();
            engine
                .put_object(
                    "huge",
                    None,
                    &format!("key/{i:06}"),
                    NewObject::default(),
                    w,
                    firedrill_emu_s3::checksum::Algorithm::Crc64Nvme,
                )
                .unwrap();
        }
    }
    // Pages through the SDK from the middle of the bucket.
    let (mut km, mut vm): (Option<String>, Option<String>) = (Some("key/012000".to_owned()), None);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let page = c
            .list_object_versions()
            .bucket("huge")
            .set_key_marker(km.clone())
            .set_version_id_marker(vm.clone())
            .max_keys(999)
            .send()
            .await
            .unwrap();
        seen.extend(page.versions().iter().map(|v| v.key().unwrap().to_owned()));
        km = page.next_key_marker().map(str::to_owned);
        vm = page.next_version_id_marker().map(str::to_owned);
    }
    assert_eq!(seen.len(), 2997);
    assert_eq!(seen.first().map(String::as_str), Some("key/012001"));
    assert_eq!(seen.last().map(String::as_str), Some("key/012750"));
    // A page costs the same wherever it starts: well under a millisecond
    // per page in release builds; the bound here is loose for debug builds
    // on a busy machine.
    let started = std::time::Instant::now();
    for start in ["key/000000", "key/012345", "key/024000"] {
        let page = engine
            .list_versions("huge", None, "", None, Some(start), None, Some(1000))
            .unwrap();
        assert_eq!(page.entries.len(), 1000);
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(2),
        "three pages took {elapsed:?}"
    );
}

#[tokio::test]
async fn strict_signatures_are_checked_by_the_core_and_uploads_still_work() {
    use firedrill_emu_core::config::StrictCredentials;
    use firedrill_emu_core::sdk::{TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY};
    let config = EmulatorConfig {
        strict: Some(StrictCredentials {
            access_key_id: TEST_ACCESS_KEY_ID.to_owned(),
            secret_access_key: TEST_SECRET_ACCESS_KEY.to_owned(),
        }),
        ..EmulatorConfig::default()
    };
    let clock = Clock::simulated("2026-03-14T12:00:00Z".parse().unwrap());
    let server = TestServer::start_with(config, clock, |env| {
        vec![firedrill_emu_s3::S3::new(env) as Arc<dyn firedrill_emu_core::AwsService>]
    })
    .await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "strict", "us-east-1").await;
    put(&c, "strict", "small", b"signed").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, vec![9u8; 100_000]).unwrap();
    c.put_object()
        .bucket("strict")
        .key("file")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "strict", "file", None).await.unwrap(), vec![9u8; 100_000]);
    let sdk =
        firedrill_emu_core::sdk::sdk_config_with(&server.endpoint, "us-east-1", TEST_ACCESS_KEY_ID, "wrong")
            .await;
    let bad = Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let e = bad
        .get_object()
        .bucket("strict")
        .key("small")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "SignatureDoesNotMatch");
}
