//! Bad input over raw HTTP: every error comes back in S3's XML error shape
//! with the right code and status, and the server stays up.

use super::*;

/// A raw HTTP/1.1 exchange: status, headers (lower-case names) and body.
pub async fn raw(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("the server answers")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// Asserts an S3 XML error with `status` and `code`.
pub fn assert_error(got: &(u16, String, String), status: u16, code: &str) {
    assert_eq!(got.0, status, "status of {got:?}");
    assert!(
        got.2.contains(&format!("<Code>{code}</Code>")),
        "code {code} in {got:?}"
    );
    assert!(got.2.contains("<Message>"), "a message in {got:?}");
    assert!(got.2.contains("<RequestId>"), "a request id in {got:?}");
}

#[tokio::test]
async fn malformed_and_invalid_requests_answer_aws_errors() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "target", "us-east-1").await;
    put(&c, "target", "k", b"v").await;

    let r = raw(
        &server,
        "PUT",
        "/target?versioning",
        &[],
        b"<VersioningConfiguration><Status>Enab",
    )
    .await;
    assert_error(&r, 400, "MalformedXML");
    let r = raw(
        &server,
        "PUT",
        "/target?versioning",
        &[],
        b"<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>",
    )
    .await;
    assert_error(&r, 400, "MalformedXML");
    let r = raw(&server, "PUT", "/target?tagging", &[], b"not xml at all").await;
    assert_error(&r, 400, "MalformedXML");
    let r = raw(
        &server,
        "PUT",
        "/target?lifecycle",
        &[],
        b"<LifecycleConfiguration><Rule><Status>On</Status></Rule></LifecycleConfiguration>",
    )
    .await;
    assert_error(&r, 400, "MalformedXML");
    let r = raw(&server, "PUT", "/Bad_Bucket_Name", &[], b"").await;
    assert_error(&r, 400, "InvalidBucketName");
    let r = raw(&server, "GET", "/no-such-bucket/k", &[], b"").await;
    assert_error(&r, 404, "NoSuchBucket");
    let r = raw(&server, "GET", "/target/missing", &[], b"").await;
    assert_error(&r, 404, "NoSuchKey");
    let r = raw(&server, "GET", "/target/k?versionId=garbage", &[], b"").await;
    assert_error(&r, 400, "InvalidArgument");
    let r = raw(
        &server,
        "GET",
        "/target/k?versionId=0123456789abcdef0123456789abcdef",
        &[],
        b"",
    )
    .await;
    assert_error(&r, 400, "InvalidArgument");
    let r = raw(&server, "GET", "/target/k", &[("range", "bytes=5-9")], b"").await;
    assert_error(&r, 416, "InvalidRange");
    let r = raw(&server, "PUT", "/target", &[], b"").await;
    assert_eq!(r.0, 200, "re-creating an owned bucket in us-east-1: {r:?}");
    let r = raw(&server, "DELETE", "/target", &[], b"").await;
    assert_error(&r, 409, "BucketNotEmpty");
    let r = raw(&server, "GET", "/target?list-type=2&max-keys=-1", &[], b"").await;
    assert_error(&r, 400, "InvalidArgument");
    let r = raw(
        &server,
        "GET",
        "/target?list-type=2&continuation-token=%21%21",
        &[],
        b"",
    )
    .await;
    assert_error(&r, 400, "InvalidArgument");
    let r = raw(&server, "GET", "/target?versions&version-id-marker=abc", &[], b"").await;
    assert_error(&r, 400, "InvalidArgument");
    let r = raw(
        &server,
        "PUT",
        "/target/md5",
        &[("content-md5", "not-base64!")],
        b"body",
    )
    .await;
    assert_error(&r, 400, "InvalidDigest");
    let r = raw(
        &server,
        "PUT",
        "/target/md5",
        &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
        b"body",
    )
    .await;
    assert_error(&r, 400, "BadDigest");
    let r = raw(
        &server,
        "PUT",
        "/target/md5",
        &[("content-md5", "hBotaJrYa9FhFEdFPCLG/A==")],
        b"body",
    )
    .await;
    assert_eq!(r.0, 200, "the right Content-MD5 is accepted: {r:?}");
    let del = b"<Delete><Object><Key>k</Key></Object></Delete>";
    let r = raw(&server, "POST", "/target?delete", &[], del).await;
    assert_error(&r, 400, "InvalidRequest");
    let r = raw(
        &server,
        "POST",
        "/target?delete",
        // The MD5 of the (unfinished) body: it is the XML that is wrong.
        &[("content-md5", "2/tgmBdmQLO+511KLYgSag==")],
        b"<Delete><Object>",
    )
    .await;
    assert_error(&r, 400, "MalformedXML");
    let r = raw(
        &server,
        "PUT",
        "/target?replication",
        &[],
        b"<ReplicationConfiguration><Role>r</Role></ReplicationConfiguration>",
    )
    .await;
    assert!(r.0 == 400, "{r:?}");
    let r = raw(
        &server,
        "PUT",
        "/target?object-lock",
        &[],
        b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>",
    )
    .await;
    assert_error(&r, 409, "InvalidBucketState");
    let r = raw(&server, "POST", "/target/k?uploadId=nope", &[], b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part></CompleteMultipartUpload>").await;
    assert_error(&r, 404, "NoSuchUpload");
    let r = raw(&server, "PUT", "/target/k?partNumber=0&uploadId=nope", &[], b"x").await;
    assert!(r.0 == 400 || r.0 == 404, "{r:?}");

    // Unsupported operations say so in AWS's shape.
    let r = raw(&server, "GET", "/target?metrics", &[], b"").await;
    assert_error(&r, 501, "NotImplemented");
    assert!(r.2.contains("not supported by firedrill"), "{r:?}");

    // The server is still up and the data intact.
    assert_eq!(get(&c, "target", "k", None).await.unwrap(), b"v");
}

#[tokio::test]
async fn aws_chunked_uploads_with_signed_chunks_are_decoded() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "chunky", "us-east-1").await;
    let body = b"5;chunk-signature=aaaa\r\nhello\r\n6;chunk-signature=bbbb\r\n world\r\n0;chunk-signature=cccc\r\n\r\n";
    let r = raw(
        &server,
        "PUT",
        "/chunky/greeting",
        &[
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "11"),
        ],
        body,
    )
    .await;
    assert_eq!(r.0, 200, "{r:?}");
    assert_eq!(get(&c, "chunky", "greeting", None).await.unwrap(), b"hello world");
    let r = raw(
        &server,
        "PUT",
        "/chunky/broken",
        &[
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("content-encoding", "aws-chunked"),
        ],
        b"zz\r\nnot hex\r\n",
    )
    .await;
    assert!(r.0 >= 400, "{r:?}");
    assert_eq!(get(&c, "chunky", "broken", None).await.unwrap_err(), "NoSuchKey");
}

#[tokio::test]
async fn virtual_hosted_style_requests_name_the_bucket_in_the_host() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "vhost", "us-east-1").await;
    put(&c, "vhost", "dir/file.txt", b"virtual").await;
    let addr = server.endpoint.trim_start_matches("http://").to_owned();
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let req =
        format!("GET /dir/file.txt HTTP/1.1\r\nhost: vhost.localhost:{port}\r\nconnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("virtual"), "{text}");
}
