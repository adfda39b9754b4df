//! The front end under hostile clients, over raw TCP: stalled heads and
//! bodies, idle connections, too many connections, framing hyper would
//! refuse, oversized bodies and S3 payload digests. Every answer is checked
//! for AWS's shape in the protocol the request spoke.
//!
//! Time is tokio's paused clock: the server's timeouts fire as soon as
//! nothing else can happen, and the bound each test waits under
//! ([`BOUND`]) is a timer far beyond them, so no assertion depends on the
//! machine's speed.

mod common;

use common::*;
use firedrill_emu_core::config::TransportLimits;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test(start_paused = true)]
async fn a_client_that_stops_mid_head_is_disconnected() {
    let server = start(limits()).await;
    let mut stream = send(
        &server,
        b"PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nX-Amz-Me",
    )
    .await;
    assert_closed(&mut stream).await;
    let mut stream = send(&server, b"GET /bu").await;
    assert_closed(&mut stream).await;
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stops_is_answered_request_timeout_and_closed() {
    let server = start(limits()).await;
    let mut stream = send(
        &server,
        b"PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789",
    )
    .await;
    let answer = read_answer(&mut stream).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("<Code>RequestTimeout</Code>"), "{answer:?}");
    assert_eq!(answer.header("connection"), Some("close"));
    assert_closed(&mut stream).await;

    let ddb = format!("{DDB_HEAD}Content-Length: 100\r\n\r\n{{\"Limit\": 1");
    let mut stream = send(&server, ddb.as_bytes()).await;
    let answer = read_answer(&mut stream).await;
    assert_eq!(answer.status, 408, "{answer:?}");
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#RequestTimeoutException"
    );
    answer.assert_crc32();
    assert_closed(&mut stream).await;
    assert!(
        server.echo.stored.lock().is_empty(),
        "an incomplete body reached the service"
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = start(limits()).await;
    let mut stream = send(&server, b"GET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    let answer = read_answer(&mut stream).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "s3 0"));
    // The connection is kept alive for a second request...
    stream
        .write_all(b"GET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut stream).await.status, 200);
    // ...and closed once it has been idle for the keep-alive timeout.
    assert_closed(&mut stream).await;
}

#[tokio::test(start_paused = true)]
async fn a_connection_beyond_the_limit_reclaims_an_idle_one() {
    let server = start(TransportLimits {
        max_connections: 2,
        keep_alive_timeout: Duration::from_secs(600),
        ..limits()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = send(&server, b"GET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        assert_eq!(read_answer(&mut stream).await.status, 200);
        held.push(stream);
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    // Both connections are idle: the one idle the longest gives way.
    let answer = exchange(&server, b"GET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_closed(&mut held[0]).await;
    held[1]
        .write_all(b"GET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut held[1]).await.status, 200);
}

#[tokio::test(start_paused = true)]
async fn connections_beyond_busy_ones_are_answered_503_in_their_protocol() {
    let server = start(TransportLimits {
        max_connections: 2,
        keep_alive_timeout: Duration::from_secs(600),
        body_idle_timeout: Duration::from_secs(600),
        ..limits()
    })
    .await;
    // Two requests in flight, their bodies still arriving.
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(
            send(
                &server,
                b"PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n01234",
            )
            .await,
        );
    }
    // A third waits for a slot for the header read timeout, then is refused.
    let ddb = format!("{DDB_HEAD}Content-Length: 2\r\n\r\n{{}}");
    let mut stream = send(&server, ddb.as_bytes()).await;
    let answer = read_answer(&mut stream).await;
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#ServiceUnavailable"
    );
    answer.assert_crc32();
    assert_eq!(answer.header("connection"), Some("close"));
    assert_closed(&mut stream).await;
    let answer = exchange(&server, b"GET /bucket/key HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(answer.status, 503);
    assert!(answer.body.contains("<Code>SlowDown</Code>"), "{answer:?}");
    // A connection waiting when a slot frees takes it.
    let mut waiting = send(&server, b"GET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    held[0].write_all(b"56789").await.unwrap();
    assert_eq!(read_answer(&mut held[0]).await.status, 200);
    assert_eq!(read_answer(&mut waiting).await.status, 200);
}

#[tokio::test(start_paused = true)]
async fn bad_framing_is_answered_in_the_protocol_of_the_request() {
    let server = start(limits()).await;

    let dup = format!("{DDB_HEAD}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{{}}");
    let answer = exchange(&server, dup.as_bytes()).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#MalformedHttpRequestException"
    );
    answer.assert_crc32();
    assert_eq!(answer.header("content-type"), Some("application/x-amz-json-1.0"));

    let bad = format!("{RDS_HEAD}Content-Length: twelve\r\n\r\nAction=Describe");
    let answer = exchange(&server, bad.as_bytes()).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.starts_with("<ErrorResponse"), "{answer:?}");
    assert!(answer.body.contains("<Code>MalformedHttpRequestException</Code>"));

    let te = b"PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n";
    let answer = exchange(&server, te).await;
    assert_eq!(answer.status, 501, "{answer:?}");
    assert!(answer.body.contains("<Code>NotImplemented</Code>"), "{answer:?}");

    let answer = exchange(&server, b"GET /bucket\r\n").await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("<Code>InvalidRequest</Code>"), "{answer:?}");

    let huge = format!(
        "GET /bucket/key HTTP/1.1\r\nHost: localhost\r\nX-Amz-Meta-Big: {}\r\n\r\n",
        "x".repeat(8000)
    );
    let answer = exchange(&server, huge.as_bytes()).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        answer.body.contains("<Code>RequestHeaderSectionTooLarge</Code>"),
        "{answer:?}"
    );
    let huge = format!("{RDS_HEAD}X-Big: {}\r\n\r\n", "x".repeat(8000));
    let answer = exchange(&server, huge.as_bytes()).await;
    assert!(
        answer.body.contains("<Code>MalformedHttpRequestException</Code>"),
        "{answer:?}"
    );

    let backup = b"GET /backup-vaults/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n";
    let answer = exchange(&server, backup).await;
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("MalformedHttpRequestException")
    );
    assert!(answer.json()["Message"].is_string());
    assert!(server.echo.stored.lock().is_empty());
}

#[tokio::test(start_paused = true)]
async fn after_a_barrage_of_malformed_frames_valid_requests_are_served() {
    let server = start(limits()).await;
    let frames: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n".to_vec(),
        b"GET /\r\n\r\n".to_vec(),
        b"\x00\x01\x02\x03 garbage \xff\xfe\r\n\r\n".to_vec(),
        b"G\x00T / HTTP/1.1\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(200)).into_bytes(),
        format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(10_000)).into_bytes(),
        b"GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n".to_vec(),
    ];
    for frame in &frames {
        let answer = exchange(&server, frame).await;
        assert!(
            (400..=501).contains(&answer.status) && !answer.body.is_empty(),
            "{:?} → {answer:?}",
            String::from_utf8_lossy(frame)
        );
    }
    // A valid request, then a bad one, pipelined on one connection: the
    // valid one is answered, then the bad one, then the connection closes.
    let mut stream = send(
        &server,
        b"PUT /bucket/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
    )
    .await;
    let first = read_answer(&mut stream).await;
    assert_eq!((first.status, first.body.as_str()), (200, "s3 3"));
    let second = read_answer(&mut stream).await;
    assert!(second.body.contains("<Code>InvalidArgument</Code>"), "{second:?}");
    assert_closed(&mut stream).await;
    // A chunked body is followed to its end; the next request is judged.
    let mut stream = send(
        &server,
        b"PUT /bucket/b HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\nGET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(read_answer(&mut stream).await.body, "s3 3");
    assert_eq!(read_answer(&mut stream).await.body, "s3 0");
    // And fresh connections are served normally.
    for _ in 0..3 {
        let answer = exchange(&server, b"GET /bucket HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "s3 0"));
    }
    let ddb = format!("{DDB_HEAD}Content-Length: 2\r\n\r\n{{}}");
    assert_eq!(exchange(&server, ddb.as_bytes()).await.body, "dynamodb 2");
}

#[tokio::test(start_paused = true)]
async fn bodies_past_the_protocol_limit_are_refused_in_its_shape() {
    let server = start(limits()).await;
    let ddb = format!("{DDB_HEAD}Content-Length: {}\r\n\r\n", 16 * 1024 * 1024 + 1);
    let answer = exchange(&server, ddb.as_bytes()).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(
        answer.json()["__type"],
        "com.amazon.coral.service#RequestEntityTooLargeException"
    );
    answer.assert_crc32();
    let rds = format!("{RDS_HEAD}Content-Length: {}\r\n\r\n", 2 * 1024 * 1024);
    let answer = exchange(&server, rds.as_bytes()).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert!(
        answer.body.contains("<Code>RequestEntityTooLarge</Code>"),
        "{answer:?}"
    );
    let s3 = format!(
        "PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        6u64 * 1024 * 1024 * 1024
    );
    let answer = exchange(&server, s3.as_bytes()).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("<Code>EntityTooLarge</Code>"), "{answer:?}");
    assert!(
        answer
            .body
            .contains("<MaxSizeAllowed>5368709120</MaxSizeAllowed>"),
        "{answer:?}"
    );
    // A chunked body is counted as it arrives.
    let chunk = "a".repeat(700 * 1024);
    let mut stream = send(
        &server,
        format!("{RDS_HEAD}Transfer-Encoding: chunked\r\n\r\n").as_bytes(),
    )
    .await;
    for _ in 0..2 {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(framed.as_bytes()).await.is_err() {
            break;
        }
    }
    let answer = read_answer(&mut stream).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert!(server.echo.stored.lock().is_empty());
}

#[tokio::test(start_paused = true)]
async fn requests_that_name_no_service_go_where_their_form_says() {
    let server = start(limits()).await;
    let answer = exchange(
        &server,
        b"GET /?Action=DescribeDBInstances&Version=2014-10-31 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(answer.body, "rds 0");
    let form = format!("{RDS_HEAD}Content-Length: 6\r\n\r\nAction");
    assert_eq!(exchange(&server, form.as_bytes()).await.body, "rds 6");
    let ddb = format!("{DDB_HEAD}Content-Length: 2\r\n\r\n{{}}");
    assert_eq!(exchange(&server, ddb.as_bytes()).await.body, "dynamodb 2");
}

#[tokio::test(start_paused = true)]
async fn s3_bodies_are_checked_against_their_declared_sha256() {
    let server = start(limits()).await;
    let put = |sha: &str, body: &str| {
        format!(
            "PUT /bucket/key HTTP/1.1\r\nHost: localhost\r\nX-Amz-Content-SHA256: {sha}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let wrong = firedrill_emu_core::sigv4::payload_hash(b"something else");
    let answer = exchange(&server, put(&wrong, "hello").as_bytes()).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        answer.body.contains("<Code>XAmzContentSHA256Mismatch</Code>"),
        "{answer:?}"
    );
    assert!(
        answer.body.contains(&format!(
            "<ClientComputedContentSHA256>{wrong}</ClientComputedContentSHA256>"
        )),
        "{answer:?}"
    );
    assert!(
        server.echo.stored.lock().is_empty(),
        "a corrupt body reached the service"
    );

    let answer = exchange(&server, put("not-a-digest", "hello").as_bytes()).await;
    assert!(answer.body.contains("<Code>InvalidArgument</Code>"), "{answer:?}");

    let right = firedrill_emu_core::sigv4::payload_hash(b"hello");
    assert_eq!(
        exchange(&server, put(&right, "hello").as_bytes()).await.body,
        "s3 5"
    );
    let upper = right.to_ascii_uppercase();
    assert_eq!(
        exchange(&server, put(&upper, "hello").as_bytes()).await.body,
        "s3 5"
    );
    assert_eq!(
        exchange(&server, put("UNSIGNED-PAYLOAD", "hello").as_bytes())
            .await
            .body,
        "s3 5"
    );
    assert_eq!(server.echo.stored.lock().len(), 3);
}
