//! STS through the official SDK: GetCallerIdentity for each kind of key,
//! AssumeRole into another account of the emulator, the temporary
//! credentials' session token and expiration on the emulator clock, and
//! strict SigV4 mode verifying their secret.

use aws_sdk_sts::Client;
use aws_sdk_sts::error::ProvideErrorMetadata;
use chrono::Duration;
use firedrill_emu_core::accounts::parse_accounts;
use firedrill_emu_core::config::StrictCredentials;
use firedrill_emu_core::sdk::{sdk_config, sdk_config_with, sdk_config_with_session};
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_core::{AwsService, Clock, EmulatorConfig};
use firedrill_emu_sts::Sts;
use std::sync::Arc;

const PROD_KEY: &str = "AKIAPRODEXAMPLE0001";
const BACKUP_KEY: &str = "AKIABACKUPEXAMPLE01";

fn config() -> EmulatorConfig {
    EmulatorConfig {
        accounts: parse_accounts(&format!(
            "prod=111111111111:{PROD_KEY}:prod-secret,backup=222222222222:{BACKUP_KEY}:backup-secret"
        ))
        .unwrap(),
        ..EmulatorConfig::default()
    }
}

async fn server(config: EmulatorConfig) -> TestServer {
    let clock = Clock::simulated("2026-03-14T12:00:00Z".parse().unwrap());
    TestServer::start_accounts(config, clock, |env| vec![Sts::new(env) as Arc<dyn AwsService>]).await
}

async fn client(server: &TestServer, key: &str, secret: &str) -> Client {
    Client::new(&sdk_config_with(&server.endpoint, "us-east-1", key, secret).await)
}

async fn assumed_client(server: &TestServer, creds: &aws_sdk_sts::types::Credentials) -> Client {
    let config = sdk_config_with_session(
        &server.endpoint,
        "us-east-1",
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    )
    .await;
    Client::new(&config)
}

#[tokio::test]
async fn caller_identity_names_the_account_of_each_key() {
    let server = server(config()).await;
    let default = Client::new(&server.sdk_config("us-east-1").await);
    let me = default.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("000000000000"));
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:user/AKIAFIREDRILLTEST"));
    assert!(me.user_id().unwrap().starts_with("AIDA"));

    let prod = client(&server, PROD_KEY, "prod-secret").await;
    let me = prod.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("111111111111"));
    assert_eq!(me.arn(), Some("arn:aws:iam::111111111111:user/prod"));

    let info = default
        .get_access_key_info()
        .access_key_id(BACKUP_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(info.account(), Some("222222222222"));
    let err = default
        .get_access_key_info()
        .access_key_id("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    server.stop().await;
}

#[tokio::test]
async fn assume_role_acts_in_the_roles_account_until_expiration() {
    let server = server(config()).await;
    let prod = client(&server, PROD_KEY, "prod-secret").await;
    let out = prod
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/restore-operator")
        .role_session_name("drill")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::222222222222:assumed-role/restore-operator/drill"
    );
    assert!(user.assumed_role_id().starts_with("AROA") && user.assumed_role_id().ends_with(":drill"));
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    let expected = server.env().now() + Duration::seconds(900);
    assert_eq!(creds.expiration().secs(), expected.timestamp());

    let assumed = assumed_client(&server, creds).await;
    let me = assumed.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("222222222222"));
    assert_eq!(me.arn(), Some(user.arn()));
    assert_eq!(me.user_id(), Some(user.assumed_role_id()));

    server.advance(Duration::seconds(900)).await;
    let err = assumed.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ExpiredToken"));
    assert_eq!(
        err.message(),
        Some("The security token included in the request is expired")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_temporary_key_without_its_token_is_refused() {
    let server = server(config()).await;
    let prod = client(&server, PROD_KEY, "prod-secret").await;
    let out = prod
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/ops")
        .role_session_name("ops")
        .send()
        .await
        .unwrap();
    let creds = out.credentials().unwrap();
    let tokenless = client(&server, creds.access_key_id(), creds.secret_access_key()).await;
    let err = tokenless.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    server.stop().await;
}

#[tokio::test]
async fn roles_outside_the_emulator_and_bad_input_are_refused() {
    let server = server(config()).await;
    let prod = client(&server, PROD_KEY, "prod-secret").await;
    let err = prod
        .assume_role()
        .role_arn("arn:aws:iam::999999999999:role/elsewhere")
        .role_session_name("drill")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:iam::111111111111:user/prod is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::999999999999:role/elsewhere"
        )
    );
    let err = prod
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/restore")
        .role_session_name("no spaces")
        .duration_seconds(60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert!(
        err.message().unwrap().starts_with("2 validation errors detected"),
        "{err:?}"
    );
    let err = prod
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/restore")
        .role_session_name("drill")
        .policy("{not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("MalformedPolicyDocument"));
    server.stop().await;
}

#[tokio::test]
async fn strict_mode_verifies_temporary_credentials_with_their_secret() {
    let mut config = config();
    config.strict = Some(StrictCredentials {
        access_key_id: "AKIAFIREDRILLTEST".into(),
        secret_access_key: "firedrill-test-secret".into(),
    });
    let server = server(config).await;
    let default = Client::new(&sdk_config(&server.endpoint, "us-east-1").await);
    assert!(default.get_caller_identity().send().await.is_ok());
    let wrong = client(&server, PROD_KEY, "not-the-secret").await;
    let err = wrong.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    let prod = client(&server, PROD_KEY, "prod-secret").await;
    let creds = prod
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/restore")
        .role_session_name("drill")
        .send()
        .await
        .unwrap()
        .credentials()
        .cloned()
        .unwrap();
    let assumed = assumed_client(&server, &creds).await;
    assert_eq!(
        assumed.get_caller_identity().send().await.unwrap().account(),
        Some("222222222222")
    );
    let forged = aws_sdk_sts::types::Credentials::builder()
        .access_key_id(creds.access_key_id())
        .secret_access_key("forged")
        .session_token(creds.session_token())
        .expiration(*creds.expiration())
        .build()
        .unwrap();
    let err = assumed_client(&server, &forged)
        .await
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    let unknown = client(&server, "AKIAUNKNOWNEXAMPLE1", "whatever").await;
    let err = unknown.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    server.stop().await;
}
