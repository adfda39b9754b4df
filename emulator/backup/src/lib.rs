//! AWS Backup for the firedrill emulator: vaults, plans and rules on the
//! emulator clock, selections by ARN and by tag, backup / copy / restore
//! jobs with AWS's states, recovery points with lifecycles, cross-region
//! and cross-account copies, and an audit trail of every backup operation.
//!
//! # Shape
//!
//! - [`protocol`]: the REST-JSON wire format (an axum router over the paths
//!   of botocore's `backup/2018-11-15` model);
//! - [`engine`]: the state and the operations on it, with no HTTP (Vault
//!   Lock and access policies in their own modules, below);
//! - [`scheduler`]: what happens as the clock moves ([`Backup`]'s `tick`);
//! - [`cron`]: AWS's six-field cron expressions;
//! - [`selection`]: which resources a backup selection picks;
//! - [`provider`]: the seam to the services whose data is protected;
//! - [`time`]: checked time arithmetic, where client numbers meet instants;
//! - [`error`]: AWS Backup's error codes and their REST-JSON shape.
//!
//! - [`vault_lock`]: Vault Lock (governance and compliance mode) and what
//!   it refuses;
//! - [`access_policy`]: vault access policies, stored, checked, and their
//!   `Deny` statements evaluated (no general IAM engine: see the module).
//!
//! # Operations
//!
//! Answered, with the model's required members, ranges, enums and patterns
//! validated before any state changes (AWS's `MissingParameterValueException`,
//! `InvalidParameterValueException`, `ResourceNotFoundException`,
//! `AlreadyExistsException`, `InvalidRequestException`,
//! `InvalidResourceStateException`; `AccessDeniedException` for a vault
//! policy's `Deny`):
//!
//! - vaults: `CreateBackupVault`, `DescribeBackupVault` (with the lock's
//!   `Locked`, `LockDate`, `MinRetentionDays`, `MaxRetentionDays`),
//!   `ListBackupVaults` (`ByVaultType`, `ByShared`), `DeleteBackupVault`,
//!   `PutBackupVaultLockConfiguration`, `DeleteBackupVaultLockConfiguration`,
//!   `PutBackupVaultAccessPolicy`, `GetBackupVaultAccessPolicy`,
//!   `DeleteBackupVaultAccessPolicy`, `PutBackupVaultNotifications`,
//!   `GetBackupVaultNotifications`, `DeleteBackupVaultNotifications` (stored
//!   and returned; there is no SNS to publish to yet),
//!   `ListProtectedResourcesByBackupVault`;
//! - plans: `CreateBackupPlan`, `GetBackupPlan` (with
//!   `MaxScheduledRunsPreview`), `ListBackupPlans`, `ListBackupPlanVersions`,
//!   `UpdateBackupPlan`, `DeleteBackupPlan`, `ExportBackupPlanTemplate`,
//!   `GetBackupPlanFromJSON`; selections: `CreateBackupSelection`,
//!   `GetBackupSelection`, `ListBackupSelections`, `DeleteBackupSelection`;
//! - jobs: `StartBackupJob`, `DescribeBackupJob`, `ListBackupJobs`,
//!   `StopBackupJob`, `StartCopyJob`, `DescribeCopyJob`, `ListCopyJobs`,
//!   `StartRestoreJob`, `DescribeRestoreJob`, `ListRestoreJobs`,
//!   `GetRestoreJobMetadata`, `ListRestoreJobsByProtectedResource`, with the
//!   model's filters (states, dates, resource, vault, type, account id,
//!   message category) and `NextToken`/`MaxResults` pagination;
//! - recovery points: `ListRecoveryPointsByBackupVault`,
//!   `ListRecoveryPointsByResource`, `DescribeRecoveryPoint`,
//!   `DeleteRecoveryPoint`, `UpdateRecoveryPointLifecycle`,
//!   `GetRecoveryPointRestoreMetadata`;
//! - `ListProtectedResources`, `DescribeProtectedResource` (with the
//!   latest restore's dates and duration), `TagResource`, `UntagResource`,
//!   `ListTags`, `GetSupportedResourceTypes`;
//! - restore testing plans: `CreateRestoreTestingPlan`,
//!   `GetRestoreTestingPlan`, `ListRestoreTestingPlans`,
//!   `UpdateRestoreTestingPlan`, `DeleteRestoreTestingPlan`, stored with
//!   their UTC `cron(...)` schedule (a `rate(...)` expression is refused with
//!   `InvalidParameterValueException`), `StartWindowHours` (1 to 168) and
//!   `RecoveryPointSelection` (algorithm, vault ARNs or `*`, point types,
//!   `SelectionWindowDays` 1 to 365) checked before anything is stored; a
//!   plan with selections is not deleted (`InvalidRequestException`);
//! - restore testing selections: `CreateRestoreTestingSelection`,
//!   `GetRestoreTestingSelection`, `ListRestoreTestingSelections`,
//!   `UpdateRestoreTestingSelection`, `DeleteRestoreTestingSelection`, with
//!   the role, the resource type (AWS's list), specific ARNs (at most 30) or
//!   `*` with optional tag conditions, metadata overrides and
//!   `ValidationWindowHours` (0 to 168) checked before anything is stored.
//!   The plans do not run yet.
//!
//! Tags (on vaults, plans, recovery points and `RecoveryPointTags`) follow
//! AWS's limits: at most 50, keys of 1 to 128 characters outside the
//! reserved `aws:` prefix, values of at most 256. `BackupOptions` and
//! `AdvancedBackupSettings` are checked against the model's patterns and
//! kept; `Index` must be `ENABLED` or `DISABLED` (no index is built).
//!
//! Every other operation of the model (legal holds, frameworks and report
//! plans, restore validation results, logically air-gapped and
//! restore access vaults, MPA approval teams, scans,
//! indexes, tiering, region and global settings, job summaries) answers
//! `UnknownOperationException` (HTTP 400) naming the method and path, as
//! does any path or method no operation has. Filters that name another
//! account (`backupVaultAccountId`) or shared or other vault types match
//! nothing: an account sees only its own vaults, and there are only backup
//! vaults. `ListCopyJobs`' `accountId` matches the account that owns the
//! job.
//!
//! # Cross-account copies
//!
//! A copy action or `StartCopyJob` whose `DestinationBackupVaultArn` names
//! a vault of another account the emulator serves copies into that
//! account, as AWS does ([`engine::cross_account`]): only when the
//! destination vault's access policy allows the source account
//! `backup:CopyIntoBackupVault` (the job FAILS otherwise with AWS's "Access
//! Denied trying to call AWS Backup service"), within the destination's
//! Vault Lock retention range, the data imported into the destination
//! account's engines, the recovery point owned by the destination account
//! (the source cannot delete it) and the job listed in both accounts.
//! AWS Organizations is not needed: there are no organizations in the
//! emulator, so a policy must grant the source account by id or root ARN
//! (a condition on `aws:PrincipalOrgID` grants nothing). The assembly
//! connects the accounts' engines with [`Engine::set_peer_accounts`].
//!
//! # The provider seam
//!
//! This crate does not know DynamoDB, RDS or S3. The integrator gives
//! [`Backup::new`] one [`ResourceProvider`] per kind of resource:
//!
//! ```text
//! pub trait ResourceProvider: Send + Sync + 'static {
//!     fn resource_type(&self) -> &'static str;              // "DynamoDB", "RDS", "Aurora", "S3"
//!     fn owns(&self, resource_arn: &str) -> bool;
//!     fn list_resources(&self, region: &str) -> Vec<ProtectedResource>;   // {arn, name, tags}
//!     fn backup(&self, request: BackupRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>>;
//!     fn copy_to_region(&self, request: CopyRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>>; // also into `dest_account`
//!     fn restore(&self, request: RestoreRequest) -> BoxFuture<'_, Result<String, ProviderError>>;
//!     fn delete(&self, data: RecoveryPointData) -> BoxFuture<'_, Result<(), ProviderError>>;
//!     // With defaults:
//!     fn supports_continuous(&self) -> bool;                 // RDS, Aurora, S3
//!     fn restore_metadata(&self, data: &RecoveryPointData) -> BTreeMap<String, String>;
//! }
//! ```
//!
//! A [`RecoveryPointData`] is an opaque payload (`Arc<dyn Any + Send + Sync>`)
//! kept with the recovery point, plus its size and, for DynamoDB and RDS,
//! the provider's own backup ARN that AWS uses as the recovery point ARN
//! (S3 recovery points get `arn:aws:backup:<region>:<account>:recovery-point:<UUID>`).
//! Requests are owned structs so an implementation can move them into its
//! future. A payload is freed through `delete` when its recovery point is
//! deleted or expires, or when the job that captured it is stopped, expires
//! or loses its vault (a reset forgets payloads without calling `delete`).
//!
//! Continuous rules (`EnableContinuousBackup`) keep one recovery point per
//! resource and vault: the first run calls `backup` with
//! `continuous: true`, later runs update that recovery point without calling
//! the provider. Providers that do not support continuous backups
//! (DynamoDB) get snapshots, as on AWS. A copy of a continuous recovery
//! point is a snapshot.
//!
//! # Timing
//!
//! Backup jobs take `env.config.timings.backup_job_duration` of emulator
//! time. Restore and copy jobs take the restore-time model's time
//! (`firedrill_emu_core::timing`): `BackupRestoreJob` (AWS Backup's own
//! share of a restore; `ExpectedCompletionTimeMinutes` reports it) and
//! `BackupCopyJob` at the recovery point's `BackupSizeInBytes` on the `aws`
//! preset, `backup_job_duration` on `fast`. Each accepted job is recorded in
//! `env.timings` (`GET /_firedrill/timings`); a refused request is not.
//! A backup job calls the provider when it starts, so the data captured is
//! the resource as it is at that call: `StartBackupJob` starts at once;
//! a scheduled run starts its jobs during the tick that passes its cron
//! instant, and stamps them with that instant, so after a clock jump the
//! data is what the provider returns during the tick (later than the stamp).
//! Copy actions start when the backup job completes; a copy in the
//! destination region gets its own recovery point ARN. Restore jobs run in
//! the background: PENDING, RUNNING while the provider restores, COMPLETED
//! once the duration has passed. Recovery points past `DeleteAt` go
//! DELETING, the provider frees them, and they are gone. Rules of one plan
//! that fire at the same instant make one backup, for the rule with the
//! longest retention. Ended jobs are listed for 30 days, as on AWS.
//!
//! # Limits and hostile numbers
//!
//! Values are validated before anything is stored, with AWS's
//! `InvalidParameterValueException` (prefixed `Error in rule <name> :` for a
//! plan's rules, as AWS does): `StartWindowMinutes` from 60 and
//! `CompletionWindowMinutes` / `CompleteWindowMinutes` up to 100 years
//! (52,560,000 minutes); `MoveToColdStorageAfterDays` and `DeleteAfterDays`
//! from 1 to 36,500 days, the latter at least 90 days after the former, in
//! rules, copy actions, `StartBackupJob`, `StartCopyJob` and
//! `UpdateRecoveryPointLifecycle`. So no stored plan, job or recovery point
//! can make a read or the tick fail. Time arithmetic is checked
//! ([`time`]); what the tick still cannot compute (an instant past the end
//! of chrono's range) is skipped, logged once per cause, and the rest of the
//! tick goes on. The crate's `clippy.toml` forbids chrono's panicking
//! constructors, and the date-handling modules warn on
//! `clippy::arithmetic_side_effects`.
//!
//! No panic is reachable from a request or a tick: outside tests the crate
//! denies `unwrap`, `expect`, `panic!` and unchecked indexing, each
//! remaining use carrying an `#[allow]` that says why it cannot fail.
//!
//! # Audit
//!
//! Every backup, copy, restore and deletion (and every vault, plan and
//! selection change) is recorded with `env.audit`: who (the caller's
//! principal, or `firedrill` for scheduled work), what, when and the result.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod access_policy;
pub mod cron;
pub mod engine;
pub mod error;
pub mod model;
pub mod protocol;
pub mod provider;
pub mod scheduler;
pub mod selection;
pub mod time;
pub mod vault_lock;

pub use engine::Engine;
pub use engine::cross_account::PeerAccounts;
pub use error::BackupError;
pub use provider::{
    BackupRequest, CopyRequest, ProtectedResource, ProviderError, RecoveryPointData, ResourceProvider,
    RestoreRequest,
};

use chrono::{DateTime, Utc};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;
use tower::ServiceExt;

/// The AWS Backup service.
pub struct Backup {
    engine: Arc<Engine>,
    router: axum::Router,
}

impl std::fmt::Debug for Backup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backup")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl Backup {
    /// AWS Backup over `providers` (one per kind of protected resource).
    pub fn new(env: &Environment, providers: Vec<Arc<dyn ResourceProvider>>) -> Arc<Self> {
        let engine = Arc::new(Engine::new(env.clone(), providers));
        let router = protocol::router(engine.clone());
        Arc::new(Self { engine, router })
    }

    /// The engine, for in-process callers (the same state the API serves).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Runs everything due at `now`: scheduled runs, job completions, copy
    /// actions and lifecycle expiry. This is what `tick` does.
    pub async fn run_due_jobs(&self, now: DateTime<Utc>) {
        self.engine.tick(now).await;
    }
}

impl AwsService for Backup {
    fn signing_names(&self) -> &'static [&'static str] {
        &["backup"]
    }

    fn handle(
        &self,
        ctx: RequestContext,
        mut req: http::Request<Body>,
    ) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            req.extensions_mut().insert(ctx);
            match self.router.clone().oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            }
        })
    }

    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(self.run_due_jobs(now))
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.engine.reset() })
    }

    fn set_region_available(&self, region: &str, available: bool) -> BoxFuture<'_, ()> {
        self.engine.set_region_available(region, available);
        Box::pin(async {})
    }
}
