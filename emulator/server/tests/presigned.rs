//! Presigned S3 URLs made by aws-sdk-s3's presigner, fetched over raw
//! HTTP. In strict mode a URL within its validity is served (GET and PUT),
//! one past `X-Amz-Date` + `X-Amz-Expires` is `AccessDenied` "Request has
//! expired" with S3's `X-Amz-Expires`, `Expires` and `ServerTime`, a
//! tampered signature is `SignatureDoesNotMatch` and an `X-Amz-Expires`
//! beyond a week is `AuthorizationQueryParametersError`; without strict
//! mode any signature is accepted.

mod common;

use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use common::{body, exchange, status};
use firedrill_emu_core::sdk::{TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY};
use firedrill_emulator::{Emulator, EmulatorHandle};
use std::time::{Duration, SystemTime};

async fn s3(emulator: &EmulatorHandle) -> aws_sdk_s3::Client {
    let config = emulator.sdk_config("us-east-1").await;
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(s3_config);
    client.create_bucket().bucket("shared").send().await.unwrap();
    client
        .put_object()
        .bucket("shared")
        .key("report.txt")
        .body(b"quarterly".to_vec().into())
        .send()
        .await
        .unwrap();
    client
}

/// The raw request a browser would send for `presigned`, with `body`.
fn raw(presigned: &PresignedRequest, body: &str) -> Vec<u8> {
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let host = uri.authority().unwrap().as_str().to_owned();
    let target = uri.path_and_query().unwrap().as_str().to_owned();
    format!(
        "{} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        presigned.method(),
        body.len()
    )
    .into_bytes()
}

fn presigning(start: SystemTime, expires_in: Duration) -> PresigningConfig {
    PresigningConfig::builder()
        .start_time(start)
        .expires_in(expires_in)
        .build()
        .unwrap()
}

async fn strict() -> EmulatorHandle {
    Emulator::builder()
        .strict_credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn strict_mode_serves_a_presigned_get_and_put_within_their_validity() {
    let emulator = strict().await;
    let addr = emulator.local_addr().unwrap();
    let client = s3(&emulator).await;
    let get = client
        .get_object()
        .bucket("shared")
        .key("report.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let answer = exchange(addr, &raw(&get, "")).await;
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(body(&answer), "quarterly");

    let put = client
        .put_object()
        .bucket("shared")
        .key("upload.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let answer = exchange(addr, &raw(&put, "from a browser")).await;
    assert_eq!(status(&answer), 200, "{answer}");
    let stored = client
        .get_object()
        .bucket("shared")
        .key("upload.txt")
        .send()
        .await
        .unwrap();
    let bytes = stored.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], b"from a browser");
    emulator.shutdown().await;
}

#[tokio::test]
async fn strict_mode_refuses_an_expired_presigned_url_with_its_times() {
    let emulator = strict().await;
    let addr = emulator.local_addr().unwrap();
    let client = s3(&emulator).await;
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    let get = client
        .get_object()
        .bucket("shared")
        .key("report.txt")
        .presigned(presigning(two_hours_ago, Duration::from_secs(60)))
        .await
        .unwrap();
    let answer = exchange(addr, &raw(&get, "")).await;
    assert_eq!(status(&answer), 403, "{answer}");
    let body = body(&answer);
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(body.contains("<Message>Request has expired</Message>"), "{body}");
    assert!(body.contains("<X-Amz-Expires>60</X-Amz-Expires>"), "{body}");
    let expires: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::from(two_hours_ago + Duration::from_secs(60));
    let expires = expires
        .format("<Expires>%Y-%m-%dT%H:%M:%SZ</Expires>")
        .to_string();
    assert!(body.contains(&expires), "{expires} in {body}");
    assert!(body.contains("<ServerTime>"), "{body}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn strict_mode_refuses_a_tampered_or_overlong_presigned_url() {
    let emulator = strict().await;
    let addr = emulator.local_addr().unwrap();
    let client = s3(&emulator).await;
    let get = client
        .get_object()
        .bucket("shared")
        .key("report.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let url = String::from_utf8(raw(&get, "")).unwrap();
    let other_key = url.replace("/shared/report.txt?", "/shared/other.txt?");
    let answer = exchange(addr, other_key.as_bytes()).await;
    assert_eq!(status(&answer), 403, "{answer}");
    assert!(
        body(&answer).contains("<Code>SignatureDoesNotMatch</Code>"),
        "{answer}"
    );
    let overlong = url.replace("X-Amz-Expires=300", "X-Amz-Expires=604801");
    let answer = exchange(addr, overlong.as_bytes()).await;
    assert_eq!(status(&answer), 400, "{answer}");
    assert!(
        body(&answer).contains("<Code>AuthorizationQueryParametersError</Code>"),
        "{answer}"
    );
    assert!(body(&answer).contains("604800 seconds"), "{answer}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn without_strict_mode_any_presigned_signature_is_accepted() {
    let emulator = Emulator::builder().start().await.unwrap();
    let addr = emulator.local_addr().unwrap();
    let client = s3(&emulator).await;
    let get = client
        .get_object()
        .bucket("shared")
        .key("report.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let url = String::from_utf8(raw(&get, "")).unwrap();
    let signature = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let tampered = format!(
        "{}{}{}",
        &url[..signature],
        "0".repeat(64),
        &url[signature + 64..]
    );
    let answer = exchange(addr, tampered.as_bytes()).await;
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(body(&answer), "quarterly");
    emulator.shutdown().await;
}
