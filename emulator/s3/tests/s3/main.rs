//! Integration tests of the S3 emulator through the official aws-sdk-s3
//! (and raw HTTP for malformed input), against an in-process TestServer.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod access;
mod acl;
mod backup_api;
mod bad_input;
mod basics;
mod boto3;
mod checksums;
mod cli;
mod conditional;
mod configs;
mod fidelity;
mod hostile;
mod lifecycle;
mod lock;
mod objects;
mod parts;
mod recovery;
mod replication;
mod scale;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use firedrill_emu_core::testing::TestServer;
use std::sync::Arc;

/// A test server serving only S3, and the S3 handle for in-process calls.
pub async fn server() -> (TestServer, Arc<firedrill_emu_s3::S3>) {
    let mut handle = None;
    let server = TestServer::start(|env| {
        let s3 = firedrill_emu_s3::S3::new(env);
        handle = Some(s3.clone());
        vec![s3 as Arc<dyn firedrill_emu_core::AwsService>]
    })
    .await;
    (server, handle.expect("the service was built"))
}

/// A path-style S3 client for `region`.
pub async fn client(server: &TestServer, region: &str) -> Client {
    let sdk = server.sdk_config(region).await;
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

/// Creates a bucket in the client's region.
pub async fn create_bucket(c: &Client, name: &str, region: &str) {
    let mut req = c.create_bucket().bucket(name);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    req.send().await.expect("create bucket");
}

/// Turns versioning on.
pub async fn enable_versioning(c: &Client, bucket: &str) {
    c.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable versioning");
}

/// Puts a body and answers the version id.
pub async fn put(c: &Client, bucket: &str, key: &str, body: &[u8]) -> Option<String> {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .expect("put object")
        .version_id
}

/// Gets a body (current version or `version`).
pub async fn get(c: &Client, bucket: &str, key: &str, version: Option<&str>) -> Result<Vec<u8>, String> {
    let out = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .map_err(|e| code(&e))?;
    Ok(out.body.collect().await.expect("body").into_bytes().to_vec())
}

/// Creates a multipart upload of `key` with one part holding `body`;
/// answers its id and the completion that lists the part.
pub async fn one_part_upload(
    c: &Client,
    bucket: &str,
    key: &str,
    body: &'static [u8],
) -> (String, aws_sdk_s3::types::CompletedMultipartUpload) {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let id = c
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("create upload")
        .upload_id()
        .expect("an upload id")
        .to_owned();
    let part = c
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .expect("upload part");
    let done = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .build(),
        )
        .build();
    (id, done)
}

/// The AWS error code of an SDK error (or its debug text).
pub fn code<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match e.as_service_error().and_then(|s| s.code()) {
        Some(c) => c.to_owned(),
        None => format!("{e:?}"),
    }
}
