//! The core's own answers come in each service's protocol: in a region
//! outage, KMS (JSON 1.1) is answered with a JSON 1.1 body and CloudWatch
//! (Smithy RPC v2 CBOR) with a CBOR one, which its SDK decodes to
//! `ServiceUnavailable`. Before, both got DynamoDB's JSON 1.0 error, which
//! aws-sdk-cloudwatch could not read at all.

mod common;

use common::{exchange, status};
use firedrill_emulator::Emulator;

fn head_value<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer.split("\r\n\r\n").next()?.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn kms_and_cloudwatch_outages_are_answered_in_their_own_protocols() {
    let emulator = Emulator::builder().start().await.unwrap();
    let addr = emulator.local_addr().unwrap();
    emulator.set_outage("us-east-1", true).await.unwrap();

    let kms = exchange(
        addr,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
          Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00\r\n\
          X-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}",
    )
    .await;
    assert_eq!(status(&kms), 503, "{kms}");
    assert_eq!(
        head_value(&kms, "content-type"),
        Some("application/x-amz-json-1.1"),
        "{kms}"
    );
    assert!(kms.contains("ServiceUnavailable"), "{kms}");

    let cloudwatch = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config("us-east-1").await);
    let err = cloudwatch
        .describe_alarms()
        .send()
        .await
        .expect_err("the region is in an outage");
    let service_error = err.into_service_error();
    assert_eq!(
        aws_sdk_cloudwatch::error::ProvideErrorMetadata::code(&service_error),
        Some("ServiceUnavailable"),
        "{service_error:?}"
    );

    emulator.set_outage("us-east-1", false).await.unwrap();
    cloudwatch.describe_alarms().send().await.unwrap();
}
