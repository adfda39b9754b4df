//! The assembled front end: the builder's transport limits reach the
//! listener (with one connection allowed and busy, a second waits for the
//! header read timeout and is answered 503 in its protocol's shape; a body that stops arriving is answered once the
//! configured idle timeout passes), and an S3 body that does not match its
//! declared SHA-256 is refused before the object store changes.

mod common;

use common::{exchange, read_to_end};
use firedrill_emulator::Emulator;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const PARTIAL_PUT: &[u8] = b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: 100\r\n\r\n{\"TableNa";

#[tokio::test]
async fn builder_connection_limit_is_enforced() {
    let emulator = Emulator::builder()
        .max_connections(1)
        .header_read_timeout(Duration::from_millis(200))
        .body_idle_timeout(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let addr = emulator.local_addr().unwrap();
    // The only slot is busy with a request whose body is still arriving.
    let mut first = TcpStream::connect(addr).await.unwrap();
    first.write_all(PARTIAL_PUT).await.unwrap();
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let refused = read_to_end(&mut second).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("#ServiceUnavailable"), "{refused}");
    drop(first);
    emulator.shutdown().await;
}

#[tokio::test]
async fn builder_body_idle_timeout_is_enforced() {
    let emulator = Emulator::builder()
        .body_idle_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let addr = emulator.local_addr().unwrap();
    let mut first = TcpStream::connect(addr).await.unwrap();
    first.write_all(PARTIAL_PUT).await.unwrap();
    let timed_out = read_to_end(&mut first).await;
    assert!(timed_out.starts_with("HTTP/1.1 408"), "{timed_out}");
    assert!(timed_out.contains("#RequestTimeoutException"), "{timed_out}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn nonsensical_limits_are_refused_at_start() {
    let err = Emulator::builder().max_connections(0).start().await.unwrap_err();
    assert!(err.to_string().contains("max_connections"), "{err}");
}

#[tokio::test]
async fn an_s3_body_that_does_not_match_its_digest_stores_nothing() {
    let emulator = Emulator::builder().start().await.unwrap();
    let addr = emulator.local_addr().unwrap();
    let created = exchange(
        addr,
        b"PUT /vault HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    let wrong = "0".repeat(64);
    let put = format!(
        "PUT /vault/key HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Amz-Content-SHA256: {wrong}\r\nContent-Length: 5\r\n\r\nhello"
    );
    let refused = exchange(addr, put.as_bytes()).await;
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    assert!(
        refused.contains("<Code>XAmzContentSHA256Mismatch</Code>"),
        "{refused}"
    );
    let get = exchange(
        addr,
        b"GET /vault/key HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(get.starts_with("HTTP/1.1 404"), "{get}");
    assert!(get.contains("<Code>NoSuchKey</Code>"), "{get}");
    let versions = exchange(
        addr,
        b"GET /vault?versions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(!versions.contains("<Key>key</Key>"), "{versions}");
    emulator.shutdown().await;
}
