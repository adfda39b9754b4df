//! The contract between the core server and each emulated service.
//!
//! A service crate (DynamoDB, S3, RDS, AWS Backup) implements [`AwsService`]:
//! it decodes its own wire protocol, calls its engine and encodes the answer.
//! The core routes requests to it by SigV4 signing name and region, lets it
//! act on clock movement ([`AwsService::tick`]), forget all state
//! ([`AwsService::reset`]), take a region down and up again
//! ([`AwsService::set_region_available`]) and release what it holds on
//! shutdown ([`AwsService::shutdown`]).

use crate::accounts::{Caller, Credentials};
use crate::audit::AuditLog;
use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::timing::{Band, ModelledOperation, Operation, TimingLog, Workload};
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

/// The body type of every request and response.
pub type Body = axum::body::Body;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Regions currently in an outage.
#[derive(Debug, Clone, Default)]
pub struct Outages(Arc<RwLock<BTreeSet<String>>>);

impl Outages {
    /// Whether `region` is dark.
    pub fn is_down(&self, region: &str) -> bool {
        self.0.read().contains(region)
    }

    /// Marks `region` dark (`true`) or back (`false`); returns whether it changed.
    pub fn set(&self, region: &str, down: bool) -> bool {
        let mut set = self.0.write();
        if down {
            set.insert(region.to_owned())
        } else {
            set.remove(region)
        }
    }

    /// The regions that are dark.
    pub fn list(&self) -> Vec<String> {
        self.0.read().iter().cloned().collect()
    }
}

/// What every service of one account shares: configuration, the account,
/// the clock, the data directory, the audit trail, the outage set and the
/// credentials. Each account of the emulator has its own environment (its
/// own account id and data directory); the rest is shared by all of them.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The emulator's configuration.
    pub config: Arc<EmulatorConfig>,
    /// The account this environment's services belong to.
    account_id: String,
    /// Every credential the emulator knows, shared by all accounts.
    pub credentials: Credentials,
    /// The emulator's data directory, under which each account has its own.
    root_dir: PathBuf,
    /// The one clock.
    pub clock: Clock,
    /// The root of this account's on-disk state; each service takes a
    /// subdirectory named after itself.
    pub data_dir: PathBuf,
    /// The audit trail of backup and restore operations.
    pub audit: AuditLog,
    /// Regions in an outage.
    pub outages: Outages,
    /// Every long-running operation the restore-time model timed.
    pub timings: TimingLog,
    /// This account's KMS keys, as the other services may ask about them.
    pub keys: crate::keys::KeyStates,
}

impl Environment {
    /// An environment for tests and tools: default config, the given clock
    /// and data directory.
    pub fn new(config: EmulatorConfig, clock: Clock, data_dir: PathBuf) -> Self {
        Self {
            account_id: config.account_id.clone(),
            credentials: Credentials::new(&config.account_id, &config.accounts),
            audit: AuditLog::default().for_account(&config.account_id),
            config: Arc::new(config),
            clock,
            root_dir: data_dir.clone(),
            data_dir,
            outages: Outages::default(),
            timings: TimingLog::default(),
            keys: crate::keys::KeyStates::default(),
        }
    }

    /// The account id this environment's resources belong to.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The environment of another account of the same emulator: the same
    /// configuration, clock, audit trail, outages, timings and credentials,
    /// with `account_id` and its own data directory. The default account
    /// keeps the root, so a single-account data directory reads as before;
    /// any other takes `accounts/<account id>` under it.
    pub fn for_account(&self, account_id: &str) -> Self {
        let data_dir = if account_id == self.config.account_id {
            self.root_dir.clone()
        } else {
            self.root_dir.join("accounts").join(account_id)
        };
        Self {
            account_id: account_id.to_owned(),
            data_dir,
            audit: self.audit.for_account(account_id),
            // Each account has its own KMS.
            keys: crate::keys::KeyStates::default(),
            ..self.clone()
        }
    }

    /// The current emulator instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Whether the KMS key `key` (key id, key ARN, alias name or alias ARN)
    /// of this account in `region` can be used now: its ARN (`None` when no
    /// KMS is wired), or KMS's refusal. See [`crate::keys`].
    pub fn key_usable(&self, region: &str, key: &str) -> Result<Option<String>, crate::keys::KeyRefusal> {
        self.keys.check(&self.account_id, region, key)
    }

    /// How long a long-running operation takes on the emulator clock: the
    /// restore-time model's typical duration when a model is in force, or
    /// `fixed` (the fidelity preset's own delay for it) when none is. Either
    /// way the operation is recorded in [`Environment::timings`] with its
    /// band, so that a drill can report the band and the model of its RTO.
    pub fn long_operation(&self, op: LongOperation<'_>, fixed: chrono::Duration) -> chrono::Duration {
        let planned = self.plan_long_operation(op, fixed);
        let applied = planned.completes_at - planned.started_at;
        self.timings.record(planned);
        applied
    }

    /// As [`Environment::long_operation`], without recording: for a caller
    /// that may still refuse the request. It records the returned entry
    /// (`env.timings.record`) once the operation has started; the applied
    /// duration is `completes_at - started_at`.
    pub fn plan_long_operation(&self, op: LongOperation<'_>, fixed: chrono::Duration) -> ModelledOperation {
        let (band, model) = match &self.config.timings.restore_model {
            Some(model) => (model.band(op.operation, &op.workload), model.name.clone()),
            None => (
                Band::exactly(fixed.to_std().unwrap_or_default()),
                "fast".to_owned(),
            ),
        };
        // A band saturates near 1e9 s; chrono holds far more, so this only
        // guards the type conversion.
        let applied = chrono::Duration::from_std(band.typical).unwrap_or(chrono::Duration::MAX);
        let started_at = self.now();
        ModelledOperation {
            operation: op.operation,
            resource: op.resource.to_owned(),
            region: op.region.to_owned(),
            started_at,
            completes_at: started_at
                .checked_add_signed(applied)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            workload: op.workload,
            band,
            model,
        }
    }

    /// Times and records an operation a client performs as many requests
    /// (`POST /_firedrill/timings`): the model's band for its workload, or
    /// nothing on `fast` (each request already took its own time there).
    pub fn client_operation(&self, op: &crate::timing::ClientOperation) -> ModelledOperation {
        let planned = self.plan_long_operation(
            LongOperation {
                operation: op.operation,
                resource: &op.resource,
                region: &op.region,
                workload: op.workload,
            },
            chrono::Duration::zero(),
        );
        self.timings.record(planned.clone());
        planned
    }

    /// The name of the restore-time model in force (`fast` for none).
    pub fn timing_model_name(&self) -> String {
        self.config
            .timings
            .restore_model
            .as_ref()
            .map_or_else(|| "fast".to_owned(), |m| m.name.clone())
    }

    /// A service's own data directory, created on first use.
    pub fn service_dir(&self, service: &str) -> std::io::Result<PathBuf> {
        let dir = self.data_dir.join(service);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }
}

/// One long-running operation about to start, for
/// [`Environment::long_operation`].
#[derive(Debug, Clone, Copy)]
pub struct LongOperation<'a> {
    /// What runs.
    pub operation: Operation,
    /// The resource it produces or acts on.
    pub resource: &'a str,
    /// The region it runs in.
    pub region: &'a str,
    /// What the resource holds.
    pub workload: Workload,
}

/// What the router knows of one request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The SigV4 signing name the request was routed by.
    pub service: String,
    /// The region it was signed for (or the default region when unsigned).
    pub region: String,
    /// The access key that signed it, when signed.
    pub access_key_id: Option<String>,
    /// Who signed it: the account that answers and the caller's ARN.
    pub caller: Caller,
    /// The request id echoed in `x-amzn-RequestId` / `x-amz-request-id`.
    pub request_id: String,
    /// The environment of the caller's account.
    pub env: Environment,
}

impl RequestContext {
    /// The account id resources belong to: the caller's.
    pub fn account_id(&self) -> &str {
        self.env.account_id()
    }

    /// Who made the request, for the audit trail: the caller's ARN.
    pub fn principal(&self) -> String {
        self.caller.arn.clone()
    }
}

/// One emulated AWS service.
pub trait AwsService: Send + Sync + 'static {
    /// The SigV4 signing names this service answers (for example `["dynamodb"]`).
    fn signing_names(&self) -> &'static [&'static str];

    /// Answers one request. Never panics on bad input: errors are AWS's own
    /// shapes.
    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>>;

    /// Lets the service act on the clock having reached `now` (state
    /// transitions, lifecycle rules, replication, backup windows). Called
    /// after every clock jump and periodically in real time.
    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        let _ = now;
        Box::pin(async {})
    }

    /// Answers an admin request under `/_firedrill/` that the core does not
    /// answer itself: `path` is the segments after the prefix. `None` (the
    /// default) when the path is not this service's.
    fn admin(
        &self,
        method: &http::Method,
        path: &[&str],
        query: Option<&str>,
    ) -> Option<http::Response<Body>> {
        let _ = (method, path, query);
        None
    }

    /// Forgets all state, as after a fresh start.
    fn reset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Takes `region` down (`available == false`) or brings it back.
    fn set_region_available(&self, region: &str, available: bool) -> BoxFuture<'_, ()> {
        let _ = (region, available);
        Box::pin(async {})
    }

    /// Releases processes and files the service holds.
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
