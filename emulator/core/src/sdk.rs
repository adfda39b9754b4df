//! Official AWS SDK configuration pointed at an emulator endpoint.
//!
//! The SDK clients are the real ones (`aws-sdk-*`); only the endpoint, the
//! region and static test credentials differ from what they use against AWS.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The access key tests and tools sign with unless told otherwise.
pub const TEST_ACCESS_KEY_ID: &str = "AKIAFIREDRILLTEST";
/// The matching secret.
pub const TEST_SECRET_ACCESS_KEY: &str = "firedrill-test-secret";

/// An SDK config for `endpoint` in `region`, signing with the test credentials.
pub async fn sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    sdk_config_with(endpoint, region, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY).await
}

/// An SDK config for `endpoint` in `region` with the given credentials.
pub async fn sdk_config_with(endpoint: &str, region: &str, access_key: &str, secret: &str) -> SdkConfig {
    sdk_config_with_session(endpoint, region, access_key, secret, None).await
}

/// An SDK config for `endpoint` in `region` with the given credentials and,
/// for temporary ones (STS's), their session token.
pub async fn sdk_config_with_session(
    endpoint: &str,
    region: &str,
    access_key: &str,
    secret: &str,
    session_token: Option<&str>,
) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new().build_http();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            access_key,
            secret,
            session_token.map(str::to_owned),
            None,
            "firedrill",
        ))
        .load()
        .await
}
