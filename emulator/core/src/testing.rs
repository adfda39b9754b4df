//! An in-process emulator for tests of one or more services.
//!
//! Service crates test themselves through the official SDK against a real
//! listener: `TestServer::start(|env| vec![Arc::new(MyService::new(env))])`
//! binds 127.0.0.1 on an ephemeral port, and the server, its ticker and its
//! temporary data directory go away when the `TestServer` is dropped or
//! stopped. `TestServer::start_accounts` builds the services once per
//! account of the config, for tests across accounts.

#![allow(
    clippy::expect_used,
    reason = "a test server that cannot start fails the test that asked for it"
)]

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::server::{AccountServices, Dispatcher, ServerHandle, serve};
use crate::service::{AwsService, Environment};
use chrono::Duration;
use std::sync::Arc;

/// A running in-process emulator with a temporary data directory.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The dispatcher, for clock, reset and outage control.
    pub dispatcher: Arc<Dispatcher>,
    handle: Option<ServerHandle>,
    _data_dir: crate::janitor::ScratchDir,
}

impl TestServer {
    /// Starts with the default config and a simulated clock at 2026-03-14T12:00:00Z.
    pub async fn start<F>(services: F) -> Self
    where
        F: FnOnce(&Environment) -> Vec<Arc<dyn AwsService>>,
    {
        let clock = Clock::simulated("2026-03-14T12:00:00Z".parse().expect("valid instant"));
        Self::start_with(EmulatorConfig::default(), clock, services).await
    }

    /// Starts with the given config and clock.
    pub async fn start_with<F>(config: EmulatorConfig, clock: Clock, services: F) -> Self
    where
        F: FnOnce(&Environment) -> Vec<Arc<dyn AwsService>>,
    {
        let data_dir = crate::janitor::ScratchDir::new("firedrill-test-")
            .expect("create a temporary data directory and its janitor");
        let env = Environment::new(config, clock, data_dir.path().to_path_buf());
        let dispatcher = Dispatcher::new(env.clone(), services(&env));
        Self::serve(dispatcher, data_dir).await
    }

    /// Starts with the given config and clock, building `services` once for
    /// each account the config names (the default account first), each over
    /// its own environment.
    pub async fn start_accounts<F>(config: EmulatorConfig, clock: Clock, services: F) -> Self
    where
        F: Fn(&Environment) -> Vec<Arc<dyn AwsService>>,
    {
        let data_dir = crate::janitor::ScratchDir::new("firedrill-test-")
            .expect("create a temporary data directory and its janitor");
        let env = Environment::new(config, clock, data_dir.path().to_path_buf());
        let mut sets = env.credentials.account_ids().into_iter().map(|account| {
            let env = env.for_account(&account);
            AccountServices {
                services: services(&env),
                env,
            }
        });
        let default = sets.next().expect("the default account is always served");
        let dispatcher = Dispatcher::with_accounts(default, sets.collect());
        Self::serve(dispatcher, data_dir).await
    }

    async fn serve(dispatcher: Arc<Dispatcher>, data_dir: crate::janitor::ScratchDir) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral loopback port");
        let handle = serve(listener, dispatcher.clone()).expect("serve");
        Self {
            endpoint: format!("http://{}", handle.local_addr()),
            dispatcher,
            handle: Some(handle),
            _data_dir: data_dir,
        }
    }

    /// The shared environment.
    pub fn env(&self) -> &Environment {
        self.dispatcher.env()
    }

    /// Advances the simulated clock and lets services act on it.
    pub async fn advance(&self, by: Duration) {
        self.dispatcher
            .advance_clock(by)
            .await
            .expect("simulated clock advances");
    }

    /// An SDK config for this server in `region`.
    #[cfg(feature = "sdk")]
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        crate::sdk::sdk_config(&self.endpoint, region).await
    }

    /// Stops the listener and releases every service's resources.
    pub async fn stop(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.stop().await;
        }
        self.dispatcher.shutdown_services().await;
    }
}

/// Whether `program --version` runs and succeeds here (tests that drive a
/// command-line client skip, saying why, when it is absent).
pub fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `aws --endpoint-url <endpoint> --region us-east-1 --output json
/// <service> <args>` with test credentials and no profile, fails the test
/// when it fails, and returns its JSON output (`Null` when it printed none).
pub async fn aws_cli(endpoint: &str, service: &str, args: &[&str]) -> serde_json::Value {
    let out = tokio::process::Command::new("aws")
        .arg("--endpoint-url")
        .arg(endpoint)
        .args(["--region", "us-east-1", "--output", "json", service])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "AKIAFIREDRILLTEST")
        .env("AWS_SECRET_ACCESS_KEY", "firedrill-test-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .await
        .expect("run aws");
    assert!(
        out.status.success(),
        "aws {service} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}
