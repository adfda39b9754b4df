//! HTTP methods a protocol never uses, over raw requests to the assembled
//! emulator: S3 answers a standard method it does not take with 405
//! `MethodNotAllowed` (naming the method and the resource type) and an
//! unknown one with 501 `NotImplemented`; DynamoDB takes only POST (a
//! `GET /` is its health check); RDS and ElastiCache take GET and POST and
//! answer the rest with `InvalidAction` in their own XML namespaces; AWS
//! Backup's router answers `UnknownOperationException`. A request for a
//! service that is not served is told which ones are, ElastiCache among
//! them.

mod common;

use common::{body, exchange, status};
use firedrill_emulator::Emulator;

fn signed_for(service: &str) -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00\r\n"
    )
}

async fn ask(addr: std::net::SocketAddr, line: &str, headers: &str) -> String {
    let request = format!(
        "{line} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}Content-Length: 0\r\n\r\n"
    );
    exchange(addr, request.as_bytes()).await
}

#[tokio::test]
async fn each_protocol_answers_methods_it_never_uses_in_its_own_shape() {
    let emulator = Emulator::builder().start().await.unwrap();
    let addr = emulator.local_addr().unwrap();

    let created = ask(addr, "PUT /shelf", "").await;
    assert_eq!(status(&created), 200, "{created}");
    let patch = ask(addr, "PATCH /shelf/book", "").await;
    assert_eq!(status(&patch), 405, "{patch}");
    assert!(
        body(&patch).contains("<Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message><Method>PATCH</Method><ResourceType>OBJECT</ResourceType>"),
        "{patch}"
    );
    let brew = ask(addr, "BREW /shelf", "").await;
    assert_eq!(status(&brew), 501, "{brew}");
    assert!(body(&brew).contains("<Code>NotImplemented</Code>"), "{brew}");

    let ddb = format!(
        "{}X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\n",
        signed_for("dynamodb")
    );
    let put = ask(addr, "PUT /", &ddb).await;
    assert_eq!(status(&put), 400, "{put}");
    assert!(
        body(&put).contains("\"__type\":\"com.amazon.coral.service#UnknownOperationException\""),
        "{put}"
    );
    let health = ask(addr, "GET /", &signed_for("dynamodb")).await;
    assert_eq!(status(&health), 200, "{health}");
    assert_eq!(body(&health), "healthy: dynamodb.us-east-1.amazonaws.com ");

    let rds = ask(
        addr,
        "DELETE /?Action=DescribeDBInstances&Version=2014-10-31",
        &signed_for("rds"),
    )
    .await;
    assert_eq!(status(&rds), 400, "{rds}");
    assert!(
        body(&rds).starts_with("<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">"),
        "{rds}"
    );
    assert!(body(&rds).contains("<Code>InvalidAction</Code>"), "{rds}");

    let cache = ask(
        addr,
        "PUT /?Action=DescribeCacheClusters&Version=2015-02-02",
        &signed_for("elasticache"),
    )
    .await;
    assert_eq!(status(&cache), 400, "{cache}");
    assert!(
        body(&cache)
            .starts_with("<ErrorResponse xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\">"),
        "{cache}"
    );
    assert!(body(&cache).contains("<Code>InvalidAction</Code>"), "{cache}");

    for line in ["PATCH /backup-vaults/", "BREW /backup-vaults/"] {
        let backup = ask(addr, line, &signed_for("backup")).await;
        assert!(
            backup
                .to_ascii_lowercase()
                .contains("x-amzn-errortype: unknownoperationexception"),
            "{line}: {backup}"
        );
        assert!(
            body(&backup).contains("\"Code\":\"UnknownOperationException\""),
            "{backup}"
        );
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn elasticache_errors_of_the_service_itself_use_its_namespace() {
    let emulator = Emulator::builder().start().await.unwrap();
    let addr = emulator.local_addr().unwrap();
    let missing = ask(
        addr,
        "GET /?Action=DescribeCacheClusters&Version=2015-02-02&CacheClusterId=none",
        &signed_for("elasticache"),
    )
    .await;
    assert_eq!(status(&missing), 404, "{missing}");
    assert!(
        body(&missing)
            .starts_with("<ErrorResponse xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\">"),
        "{missing}"
    );
    assert!(
        body(&missing).contains("<Code>CacheClusterNotFound</Code>"),
        "{missing}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_unknown_service_answer_lists_every_service_served() {
    let emulator = Emulator::builder().start().await.unwrap();
    let addr = emulator.local_addr().unwrap();
    let sqs = ask(
        addr,
        "POST /",
        &format!("{}X-Amz-Target: AmazonSQS.ListQueues\r\n", signed_for("sqs")),
    )
    .await;
    assert_eq!(status(&sqs), 400, "{sqs}");
    let message = body(&sqs);
    for service in ["dynamodb", "s3", "rds", "backup", "elasticache"] {
        assert!(message.contains(service), "{service} in {message}");
    }
    assert!(message.contains("it serves "), "{message}");
    emulator.shutdown().await;
}
