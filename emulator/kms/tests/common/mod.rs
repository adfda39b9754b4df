//! Helpers shared by the KMS integration tests: an emulator serving KMS on
//! a simulated clock, SDK clients, and reading AWS error codes.

#![allow(dead_code)]

use aws_sdk_kms::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use firedrill_emu_core::AwsService;
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_kms::Kms;
use std::sync::Arc;

/// An emulator serving KMS, with the service for engine-level calls.
pub async fn start() -> (TestServer, Arc<Kms>) {
    let mut holder = None;
    let server = TestServer::start(|env| {
        let kms = Kms::new(env);
        holder = Some(kms.clone());
        vec![kms as Arc<dyn AwsService>]
    })
    .await;
    (server, holder.expect("the service was built"))
}

/// A KMS client for `region`.
pub async fn client(server: &TestServer, region: &str) -> Client {
    Client::new(&server.sdk_config(region).await)
}

/// The AWS error code and message of a failed call.
pub fn code<E: ProvideErrorMetadata, R: std::fmt::Debug>(result: Result<R, E>) -> (String, String) {
    match result {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => (
            e.code().unwrap_or("<no code>").to_owned(),
            e.message().unwrap_or_default().to_owned(),
        ),
    }
}

/// Creates a key and returns its id.
pub async fn key(kms: &Client) -> String {
    kms.create_key()
        .description("test key")
        .send()
        .await
        .expect("create key")
        .key_metadata()
        .expect("metadata")
        .key_id()
        .to_owned()
}
