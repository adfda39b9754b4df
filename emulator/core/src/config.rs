//! Emulator configuration: the default account and the other accounts' keys,
//! regions, fidelity preset, data directory, optional strict signature
//! checking and the front end's transport limits.

use chrono::Duration;
use std::path::PathBuf;

/// The account id used when none is configured (LocalStack and moto agree).
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// The regions served when none are configured.
pub const DEFAULT_REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

/// How closely timings follow AWS's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fidelity {
    /// Short delays so that test suites run fast; same states and errors as AWS.
    #[default]
    Fast,
    /// AWS's own lags: PITR latest restorable time about 5 minutes behind,
    /// tables CREATING for seconds, replication taking minutes, and restores
    /// and copies as long as the restore-time model says
    /// ([`crate::timing`]).
    Aws,
}

impl std::str::FromStr for Fidelity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fast" => Ok(Self::Fast),
            "aws" => Ok(Self::Aws),
            other => Err(format!(
                "unknown fidelity preset {other:?}; expected \"fast\" or \"aws\""
            )),
        }
    }
}

/// The timings a fidelity preset stands for; each can be overridden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FidelitySettings {
    /// How long a new or restored resource stays CREATING / creating.
    pub resource_create_delay: Duration,
    /// How far DynamoDB's LatestRestorableDateTime trails now.
    pub dynamodb_pitr_lag: Duration,
    /// How far RDS's LatestRestorableTime trails the last archived WAL.
    pub rds_restorable_lag: Duration,
    /// How long S3 cross-region replication takes per object version.
    pub s3_replication_lag: Duration,
    /// How long an AWS Backup job stays RUNNING.
    pub backup_job_duration: Duration,
    /// The restore-time model for long-running operations (restores,
    /// copies, promotions); `None` applies the fixed delays above instead.
    pub restore_model: Option<crate::timing::TimingModel>,
}

impl Fidelity {
    /// The timings of this preset.
    pub fn settings(self) -> FidelitySettings {
        match self {
            Fidelity::Fast => FidelitySettings {
                resource_create_delay: Duration::milliseconds(200),
                dynamodb_pitr_lag: Duration::zero(),
                rds_restorable_lag: Duration::zero(),
                s3_replication_lag: Duration::seconds(1),
                backup_job_duration: Duration::seconds(1),
                restore_model: None,
            },
            Fidelity::Aws => FidelitySettings {
                resource_create_delay: Duration::seconds(5),
                dynamodb_pitr_lag: Duration::minutes(5),
                rds_restorable_lag: Duration::minutes(5),
                s3_replication_lag: Duration::minutes(15),
                backup_job_duration: Duration::minutes(10),
                restore_model: Some(crate::timing::TimingModel::aws_defaults()),
            },
        }
    }
}

/// Credentials that strict mode checks signatures against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictCredentials {
    /// The access key id clients must sign with.
    pub access_key_id: String,
    /// The matching secret.
    pub secret_access_key: String,
}

/// What a region outage looks like to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutageMode {
    /// The shared endpoint answers requests for the dark region with 503.
    #[default]
    ServiceUnavailable,
    /// The region's own listener stops accepting connections.
    ConnectionRefused,
}

/// Everything the emulator is started with.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The default account: every request signed with a key no account
    /// below maps (and every unsigned one) acts in it.
    pub account_id: String,
    /// The other accounts and the access keys that act in them
    /// ([`crate::accounts`]); empty for a single-account emulator.
    pub accounts: Vec<crate::accounts::AccountConfig>,
    /// The regions served; the first is the default for unsigned requests.
    pub regions: Vec<String>,
    /// The fidelity preset the timings came from.
    pub fidelity: Fidelity,
    /// The timings in force.
    pub timings: FidelitySettings,
    /// Where object bodies, backups and database files live; a temporary
    /// directory removed on shutdown when `None`.
    pub data_dir: Option<PathBuf>,
    /// Keep S3 bodies in memory instead of on disk.
    pub in_memory_bodies: bool,
    /// Verify SigV4 signatures against these credentials when set.
    pub strict: Option<StrictCredentials>,
    /// How an outage is shown to clients.
    pub outage_mode: OutageMode,
    /// Timeouts and limits of the HTTP front end.
    pub transport: TransportLimits,
}

/// Timeouts and limits of the HTTP front end, like a real one's.
///
/// The defaults follow common front ends (nginx, AWS's load balancers):
///
/// | limit | default | what happens past it |
/// |---|---|---|
/// | `header_read_timeout` | 20 s | a connection that sent part of a request line or headers is closed without an answer |
/// | `body_idle_timeout` | 20 s | a request whose body stops arriving is answered with the protocol's `RequestTimeout` error (S3 `RequestTimeout` 400, others `RequestTimeoutException` 408) and the connection is closed |
/// | `keep_alive_timeout` | 60 s | an idle keep-alive connection (no request in flight) is closed |
/// | `max_connections` | 1024 | a connection beyond it closes the keep-alive connection idle the longest and waits for a slot (up to `header_read_timeout`); if none frees, it is answered `503` in the protocol's shape (S3 `SlowDown`, DynamoDB and RDS `ServiceUnavailable`, Backup `ServiceUnavailableException`) with `Connection: close` |
/// | `max_header_bytes` | 16 KiB | a request line and headers larger than this are answered in the protocol's shape (S3 `RequestHeaderSectionTooLarge` 400, others `MalformedHttpRequestException` 400) |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportLimits {
    /// How long a client may take to send a whole request line and headers,
    /// counted from its first byte.
    pub header_read_timeout: std::time::Duration,
    /// How long a request body may go without a byte arriving.
    pub body_idle_timeout: std::time::Duration,
    /// How long a connection may stay open with no request in flight.
    pub keep_alive_timeout: std::time::Duration,
    /// How many connections are served at once.
    pub max_connections: usize,
    /// The largest request line plus headers accepted, in bytes.
    pub max_header_bytes: usize,
}

impl Default for TransportLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: std::time::Duration::from_secs(20),
            body_idle_timeout: std::time::Duration::from_secs(20),
            keep_alive_timeout: std::time::Duration::from_secs(60),
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        let fidelity = Fidelity::default();
        Self {
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            accounts: Vec::new(),
            regions: DEFAULT_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            fidelity,
            timings: fidelity.settings(),
            data_dir: None,
            in_memory_bodies: false,
            strict: None,
            outage_mode: OutageMode::default(),
            transport: TransportLimits::default(),
        }
    }
}

impl EmulatorConfig {
    /// The region unsigned requests are served in.
    pub fn default_region(&self) -> &str {
        self.regions.first().map(String::as_str).unwrap_or("us-east-1")
    }

    /// Whether `region` is served.
    pub fn serves_region(&self, region: &str) -> bool {
        self.regions.iter().any(|r| r == region)
    }
}
