//! Strict SigV4 mode as strict as AWS, over raw HTTP: a request time more
//! than 15 minutes off is refused in each protocol's shape, the signature
//! must cover `host`, and requests that name no service are answered in the
//! shape their form implies. The emulator clock here is simulated years
//! ahead of the wall clock: a client signing with its wall clock is still
//! served, because the skew is measured against wall time.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use firedrill_emu_core::config::StrictCredentials;
use firedrill_emu_core::sigv4::{self, SignedRequest, Signer};
use firedrill_emu_core::{Clock, EmulatorConfig};
use http::{HeaderMap, HeaderValue, Method};

const KEY: &str = "AKIASTRICT";
const SECRET: &str = "strict-secret";

async fn strict_server() -> Server {
    let config = EmulatorConfig {
        strict: Some(StrictCredentials {
            access_key_id: KEY.to_owned(),
            secret_access_key: SECRET.to_owned(),
        }),
        ..EmulatorConfig::default()
    };
    start_with(config, Clock::simulated("2031-06-01T00:00:00Z".parse().unwrap())).await
}

/// A raw request signed by `KEY` at `time` for `service`, signing `signed`.
fn signed(
    method: Method,
    target: &str,
    service: &str,
    time: DateTime<Utc>,
    extra: &[(&'static str, &'static str)],
    signed: &[&str],
    body: &str,
) -> Vec<u8> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost"));
    let stamp = time.format("%Y%m%dT%H%M%SZ").to_string();
    headers.insert("x-amz-date", HeaderValue::from_str(&stamp).unwrap());
    for (name, value) in extra {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    let hash = headers
        .get("x-amz-content-sha256")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_else(|| sigv4::payload_hash(body.as_bytes()));
    let req = SignedRequest {
        method: &method,
        path,
        query,
        headers: &headers,
        payload_hash: &hash,
    };
    let signer = Signer {
        access_key_id: KEY,
        secret: SECRET,
        region: "us-east-1",
        service,
        signed_headers: signed,
    };
    let authorization = sigv4::authorization(&req, &signer).unwrap();
    let mut out = format!("{method} {target} HTTP/1.1\r\nAuthorization: {authorization}\r\n");
    for (name, value) in &headers {
        out.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

const DDB: [(&str, &str); 2] = [
    ("x-amz-target", "DynamoDB_20120810.ListTables"),
    ("content-type", "application/x-amz-json-1.0"),
];
const RDS: [(&str, &str); 1] = [("content-type", "application/x-www-form-urlencoded")];
const S3: [(&str, &str); 1] = [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")];
const ALL: [&str; 4] = ["content-type", "host", "x-amz-date", "x-amz-target"];

#[tokio::test]
async fn a_client_signing_with_its_wall_clock_is_served_under_a_simulated_clock() {
    let server = strict_server().await;
    let now = Utc::now();
    let ddb = signed(Method::POST, "/", "dynamodb", now, &DDB, &ALL, "{}");
    assert_eq!(exchange(&server, &ddb).await.body, "dynamodb 2");
    let s3 = signed(
        Method::GET,
        "/bucket",
        "s3",
        now,
        &S3,
        &["host", "x-amz-content-sha256", "x-amz-date"],
        "",
    );
    assert_eq!(exchange(&server, &s3).await.body, "s3 0");
}

#[tokio::test]
async fn a_request_signed_two_days_ago_is_refused_in_each_protocol() {
    let server = strict_server().await;
    let then = Utc::now() - chrono::TimeDelta::days(2);

    let s3 = signed(
        Method::GET,
        "/bucket",
        "s3",
        then,
        &S3,
        &["host", "x-amz-content-sha256", "x-amz-date"],
        "",
    );
    let answer = exchange(&server, &s3).await;
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(
        answer.body.contains("<Code>RequestTimeTooSkewed</Code>"),
        "{answer:?}"
    );
    assert!(
        answer
            .body
            .contains("<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>")
    );

    let ddb = signed(Method::POST, "/", "dynamodb", then, &DDB, &ALL, "{}");
    let answer = exchange(&server, &ddb).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    let json = answer.json();
    assert_eq!(
        json["__type"],
        "com.amazon.coral.service#InvalidSignatureException"
    );
    answer.assert_crc32();
    let message = json["message"].as_str().unwrap();
    assert!(
        message.starts_with("Signature expired: ")
            && message.contains(" is now earlier than ")
            && message.ends_with(" - 15 min.)"),
        "{message}"
    );

    let rds = signed(
        Method::POST,
        "/",
        "rds",
        then,
        &RDS,
        &["content-type", "host", "x-amz-date"],
        "Action=DescribeDBInstances&Version=2014-10-31",
    );
    let answer = exchange(&server, &rds).await;
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(answer.body.starts_with("<ErrorResponse"), "{answer:?}");
    assert!(
        answer.body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{answer:?}"
    );
    assert!(answer.body.contains("<Message>Signature expired: "), "{answer:?}");

    let backup = signed(
        Method::GET,
        "/backup-vaults/",
        "backup",
        then,
        &[],
        &["host", "x-amz-date"],
        "",
    );
    let answer = exchange(&server, &backup).await;
    assert_eq!(answer.status, 403, "{answer:?}");
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );

    let ahead = Utc::now() + chrono::TimeDelta::minutes(20);
    let ddb = signed(Method::POST, "/", "dynamodb", ahead, &DDB, &ALL, "{}");
    let answer = exchange(&server, &ddb).await;
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("Signature not yet current: "), "{message}");
    assert!(server.echo.stored.lock().is_empty());
}

#[tokio::test]
async fn the_signature_must_cover_host() {
    let server = strict_server().await;
    let ddb = signed(
        Method::POST,
        "/",
        "dynamodb",
        Utc::now(),
        &DDB,
        &["content-type", "x-amz-date", "x-amz-target"],
        "{}",
    );
    let answer = exchange(&server, &ddb).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#IncompleteSignatureException"
    );
    answer.assert_crc32();
    let rds = signed(
        Method::POST,
        "/",
        "rds",
        Utc::now(),
        &RDS,
        &["content-type", "x-amz-date"],
        "Action=DescribeDBInstances",
    );
    let answer = exchange(&server, &rds).await;
    assert!(
        answer.body.contains("<Code>IncompleteSignature</Code>"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn unsigned_requests_are_refused_in_the_shape_their_form_implies() {
    let server = strict_server().await;
    let rds = format!("{RDS_HEAD}Content-Length: 19\r\n\r\nAction=DescribeDBIn");
    let answer = exchange(&server, rds.as_bytes()).await;
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(answer.body.starts_with("<ErrorResponse"), "{answer:?}");
    assert!(
        answer.body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{answer:?}"
    );
    let ddb = format!("{DDB_HEAD}Content-Length: 2\r\n\r\n{{}}");
    let answer = exchange(&server, ddb.as_bytes()).await;
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    answer.assert_crc32();
    let query = b"GET /?Action=DescribeDBInstances HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let answer = exchange(&server, query).await;
    assert!(
        answer.body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{answer:?}"
    );
}
