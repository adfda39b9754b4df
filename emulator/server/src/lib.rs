//! The firedrill AWS emulator, assembled.
//!
//! [`Emulator::builder`] starts every emulated service (DynamoDB, S3, RDS on
//! real PostgreSQL, ElastiCache on real Redis, AWS Backup) behind one HTTP
//! endpoint on loopback, in the calling process, in milliseconds:
//!
//! ```no_run
//! # async fn demo() -> Result<(), firedrill_emulator::EmulatorError> {
//! use firedrill_emulator::Emulator;
//! let emulator = Emulator::builder()
//!     .simulated_clock("2026-03-14T03:00:00Z".parse().unwrap())
//!     .start()
//!     .await?;
//! let sdk = emulator.sdk_config("us-east-1").await;
//! let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
//! emulator.advance(chrono::Duration::hours(12)).await?;
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The front end behaves like a real one: a client that stalls mid-head or
//! mid-body and an idle keep-alive connection are cut off, a burst of
//! connections beyond the limit takes the slots of idle ones or waits for
//! one (and is refused only if none frees), and malformed HTTP is answered
//! in the shape of the protocol the request speaks. The limits are set with
//! [`EmulatorBuilder::transport_limits`] (or one by one, for example
//! [`EmulatorBuilder::max_connections`]); [`TransportLimits`] lists the
//! defaults.
//!
//! One emulator serves several AWS accounts
//! ([`EmulatorBuilder::accounts`]): each account has its own set of
//! services over its own data directory, every resource and ARN carries its
//! account, and a request acts in the account of its signing key (an
//! unmapped key in the default account). STS's AssumeRole into a role of
//! another account returns temporary credentials every service accepts in
//! that account. S3 bucket names are one namespace across the accounts
//! (`buckets`). AWS Backup copies into another account's vault as AWS does
//! (`accounts` connects the accounts' engines: the destination vault's
//! access policy must allow `backup:CopyIntoBackupVault`, the copied data
//! lands in the destination account's DynamoDB, RDS or S3). Admin
//! operations (reset, outages, clock ticks, shutdown) act on every account.
//!
//! `firedrill serve` runs the same thing standalone on 127.0.0.1:4566 for any
//! client. This crate only assembles: the protocol and engine of each service
//! live in its own crate (`firedrill-emu-*`), the listener, clock and admin
//! API in `firedrill-emu-core`.
//!
//! No panic is reachable from a request or a tick: outside tests the crate
//! denies `unwrap`, `expect`, `panic!` and unchecked indexing, each remaining
//! use carrying an `#[allow]` that says why it cannot fail.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod accounts;
mod admin_client;
mod alarms;
mod buckets;
mod keys;
mod objects;
mod providers;
mod services;

pub use admin_client::{AdminClient, AdminClientError};
pub use firedrill_emu_core::accounts::{AccountConfig, AccountsError, parse_accounts};
pub use firedrill_emu_core::admin::{ClockInstant, ClockView, Health, RegionView};
pub use firedrill_emu_core::audit::AuditEvent;
pub use firedrill_emu_core::config::{OutageMode, StrictCredentials, TransportLimits};
pub use firedrill_emu_core::sdk::{sdk_config, sdk_config_with};
pub use firedrill_emu_core::timing;
pub use firedrill_emu_core::{Clock, ClockMode, EmulatorConfig, Environment, Fidelity, FidelitySettings};

use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::janitor::ScratchDir;
use firedrill_emu_core::server::{AccountServices, AdminError, Dispatcher, ServerHandle, serve};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Why the emulator could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listener could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data directory could not be created.
    #[error("could not create the data directory: {0}")]
    DataDir(std::io::Error),
    /// The configuration is inconsistent.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// A clock or region action was refused.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// Entry point: `Emulator::builder()`.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults: regions us-east-1 and us-west-2, account
    /// 000000000000, real clock, `fast` fidelity, a temporary data directory
    /// and an ephemeral loopback port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Configures and starts an emulator.
#[derive(Debug)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
    clock: Option<Clock>,
    bind: SocketAddr,
    region_endpoints: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            config: EmulatorConfig::default(),
            clock: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            region_endpoints: false,
        }
    }
}

impl EmulatorBuilder {
    /// The regions to serve; the first is the default for unsigned requests.
    pub fn regions<I, S>(mut self, regions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.regions = regions.into_iter().map(Into::into).collect();
        self
    }

    /// The default account: unsigned requests and every key no other
    /// account maps act in it.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.config.account_id = account_id.into();
        self
    }

    /// More accounts, each with the access key that acts in it (see
    /// [`parse_accounts`] for the `name=ACCOUNT_ID:KEY[:SECRET]` form).
    pub fn accounts(mut self, accounts: impl IntoIterator<Item = AccountConfig>) -> Self {
        self.config.accounts.extend(accounts);
        self
    }

    /// Uses this clock (shared with the caller).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// A simulated clock starting at `start`.
    pub fn simulated_clock(self, start: DateTime<Utc>) -> Self {
        self.clock(Clock::simulated(start))
    }

    /// A fidelity preset; resets the timings to the preset's.
    pub fn fidelity(mut self, fidelity: Fidelity) -> Self {
        self.config.fidelity = fidelity;
        self.config.timings = fidelity.settings();
        self
    }

    /// Overrides individual timings.
    pub fn timings(mut self, timings: FidelitySettings) -> Self {
        self.config.timings = timings;
        self
    }

    /// Keeps state under `dir` (kept after shutdown) instead of a temporary
    /// directory.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.data_dir = Some(dir.into());
        self
    }

    /// Keeps S3 object bodies in memory instead of on disk.
    pub fn in_memory_bodies(mut self, yes: bool) -> Self {
        self.config.in_memory_bodies = yes;
        self
    }

    /// Verifies SigV4 signatures against these credentials.
    pub fn strict_credentials(mut self, access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.config.strict = Some(StrictCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret.into(),
        });
        self
    }

    /// How a region outage shows to clients. `ConnectionRefused` opens one
    /// listener per region (see [`EmulatorHandle::region_endpoint`]) that
    /// closes while its region is dark.
    pub fn outage_mode(mut self, mode: OutageMode) -> Self {
        self.config.outage_mode = mode;
        self
    }

    /// Also opens one listener per region, besides the shared endpoint.
    pub fn region_endpoints(mut self, yes: bool) -> Self {
        self.region_endpoints = yes;
        self
    }

    /// All of the front end's timeouts and limits at once (see
    /// [`TransportLimits`] for the defaults and what happens past each).
    pub fn transport_limits(mut self, limits: TransportLimits) -> Self {
        self.config.transport = limits;
        self
    }

    /// How long a client may take to send a request line and headers
    /// (default 20 s); a client that stalls mid-head is disconnected.
    pub fn header_read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.config.transport.header_read_timeout = timeout;
        self
    }

    /// How long a request body may go without a byte arriving (default
    /// 20 s); past it the request is answered with the protocol's
    /// `RequestTimeout` error and the connection closed.
    pub fn body_idle_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.config.transport.body_idle_timeout = timeout;
        self
    }

    /// How long a connection may stay open with no request in flight
    /// (default 60 s).
    pub fn keep_alive_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.config.transport.keep_alive_timeout = timeout;
        self
    }

    /// How many connections are served at once (default 1024). One beyond
    /// closes the keep-alive connection idle the longest and waits for a
    /// slot (up to the header read timeout); if none frees, it is answered
    /// 503 in its protocol's shape and closed.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.config.transport.max_connections = max;
        self
    }

    /// The largest request line plus headers accepted (default 16 KiB).
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        self.config.transport.max_header_bytes = max;
        self
    }

    /// The address to listen on (default 127.0.0.1:0, an ephemeral port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Starts every service and the listener.
    pub async fn start(self) -> Result<EmulatorHandle, EmulatorError> {
        if self.config.regions.is_empty() {
            return Err(EmulatorError::Config("at least one region must be served".into()));
        }
        let limits = &self.config.transport;
        if limits.max_connections == 0 || limits.max_header_bytes == 0 {
            return Err(EmulatorError::Config(
                "max_connections and max_header_bytes must be at least 1".into(),
            ));
        }
        if [
            limits.header_read_timeout,
            limits.body_idle_timeout,
            limits.keep_alive_timeout,
        ]
        .contains(&std::time::Duration::ZERO)
        {
            return Err(EmulatorError::Config(
                "transport timeouts must be longer than zero".into(),
            ));
        }
        for account in &self.config.accounts {
            if !firedrill_emu_core::accounts::valid_account_id(&account.account_id) {
                return Err(EmulatorError::Config(
                    AccountsError::AccountId(account.account_id.clone()).to_string(),
                ));
            }
        }
        firedrill_emu_core::accounts::check_unique(&self.config.accounts)
            .map_err(|e| EmulatorError::Config(e.to_string()))?;
        let (data_dir, temp_dir) = match &self.config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(EmulatorError::DataDir)?;
                (dir.clone(), None)
            }
            None => {
                let temp = ScratchDir::new("firedrill-").map_err(EmulatorError::DataDir)?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let clock = self.clock.unwrap_or_else(Clock::real);
        let env = Environment::new(self.config, clock, data_dir);
        let buckets = Arc::new(buckets::BucketNamespace::default());
        let accounts = Arc::new(accounts::Accounts::default());
        let services = services::Services::new(&env, &buckets, &accounts);
        let others: Vec<AccountServices> = env
            .credentials
            .account_ids()
            .iter()
            .skip(1)
            .map(|account| {
                let env = env.for_account(account);
                let services = services::Services::new(&env, &buckets, &accounts);
                AccountServices {
                    services: services.dispatch_list(),
                    env,
                }
            })
            .collect();
        let default = AccountServices {
            env: env.clone(),
            services: services.dispatch_list(),
        };
        let dispatcher = Dispatcher::with_accounts(default, others);
        let listener =
            tokio::net::TcpListener::bind(self.bind)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: self.bind,
                    source,
                })?;
        let server = serve(listener, dispatcher.clone()).map_err(|source| EmulatorError::Bind {
            addr: self.bind,
            source,
        })?;
        let endpoint = format!("http://{}", server.local_addr());
        let mut region_endpoints = std::collections::BTreeMap::new();
        if self.region_endpoints || env.config.outage_mode == OutageMode::ConnectionRefused {
            let addrs = dispatcher
                .open_region_listeners(server.local_addr().ip())
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: self.bind,
                    source,
                })?;
            for (region, addr) in addrs {
                region_endpoints.insert(region, format!("http://{addr}"));
            }
        }
        tracing::info!(%endpoint, regions = ?env.config.regions, "firedrill emulator started");
        Ok(EmulatorHandle {
            endpoint,
            region_endpoints,
            rds: services.rds.clone(),
            dispatcher,
            server: Some(server),
            temp_dir,
        })
    }
}

/// A running emulator. Dropping it without [`EmulatorHandle::shutdown`]
/// still stops every service's processes (each service cleans up on drop).
#[derive(Debug)]
pub struct EmulatorHandle {
    endpoint: String,
    region_endpoints: std::collections::BTreeMap<String, String>,
    rds: Arc<firedrill_emu_rds::Rds>,
    dispatcher: Arc<Dispatcher>,
    server: Option<ServerHandle>,
    temp_dir: Option<ScratchDir>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:<port>`: what `AWS_ENDPOINT_URL` should be.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A region's own endpoint, when per-region listeners are open.
    pub fn region_endpoint(&self, region: &str) -> Option<&str> {
        self.region_endpoints.get(region).map(String::as_str)
    }

    /// The listening address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(ServerHandle::local_addr)
    }

    /// The shared environment (config, clock, audit trail) of the default
    /// account.
    pub fn env(&self) -> &Environment {
        self.dispatcher.env()
    }

    /// The accounts served, the default first.
    pub fn account_ids(&self) -> Vec<String> {
        self.dispatcher.account_ids()
    }

    /// The emulator clock.
    pub fn clock(&self) -> &Clock {
        &self.dispatcher.env().clock
    }

    /// The current emulator instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock().now()
    }

    /// Advances a simulated clock; every service acts on the elapsed time
    /// (state transitions, lifecycle, replication, backup plans) before this
    /// returns.
    pub async fn advance(&self, by: Duration) -> Result<DateTime<Utc>, EmulatorError> {
        Ok(self.dispatcher.advance_clock(by).await?)
    }

    /// Starts (`down == true`) or ends an outage of `region`.
    pub async fn set_outage(&self, region: &str, down: bool) -> Result<(), EmulatorError> {
        Ok(self.dispatcher.set_outage(region, down).await?)
    }

    /// Forgets all state.
    pub async fn reset(&self) {
        self.dispatcher.reset().await;
    }

    /// Waits until the work services start in the background at start-up
    /// is done: the PostgreSQL initdb template that makes the first
    /// CreateDBInstance fast (a second or two of CPU; nothing to wait for
    /// where PostgreSQL is not installed). Benchmarks call this so that they
    /// measure a settled emulator.
    pub async fn settle(&self) {
        if self.rds.postgres_available().is_ok()
            && let Err(e) = self.rds.prewarm().await
        {
            tracing::warn!(error = %e, "the PostgreSQL template could not be prepared");
        }
    }

    /// An HTTP client for the admin API.
    pub fn admin(&self) -> AdminClient {
        AdminClient::new(&self.endpoint)
    }

    /// An SDK config for this emulator in `region`, with test credentials.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        firedrill_emu_core::sdk::sdk_config(&self.endpoint, region).await
    }

    /// An SDK config for this emulator in `region`, signing with
    /// `access_key` (and, for STS's temporary credentials, `session_token`):
    /// it acts in the account the key maps to.
    pub async fn sdk_config_as(
        &self,
        region: &str,
        access_key: &str,
        secret: &str,
        session_token: Option<&str>,
    ) -> aws_config::SdkConfig {
        firedrill_emu_core::sdk::sdk_config_with_session(
            &self.endpoint,
            region,
            access_key,
            secret,
            session_token,
        )
        .await
    }

    /// Stops the listener, then every service (PostgreSQL servers included),
    /// then removes the temporary data directory.
    pub async fn shutdown(mut self) {
        self.dispatcher.close_region_listeners().await;
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        self.dispatcher.shutdown_services().await;
        if let Some(dir) = self.temp_dir.take() {
            let path = dir.path().to_path_buf();
            if let Err(e) = dir.close() {
                tracing::warn!(path = %path.display(), error = %e, "could not remove the data directory");
            }
        }
    }
}
