//! The AWS Backup engine: per-region state (vaults, plans, selections,
//! jobs, recovery points) and the operations on it, with no HTTP, one
//! concern a module: [`vaults`], [`plans`] (and selections), [`backup_jobs`],
//! [`copies`] (and [`cross_account`] copies), [`notifications`], [`recovery_points`], [`restores`], [`restore_testing`] (plans and selections; their scheduled runs, validation and the deletion of what they restored in [`restore_test_runs`]),
//! [`protected`] (and tags),
//! [`validate`] (the values the model constrains). Vault Lock and access
//! policies are [`crate::vault_lock`] and [`crate::access_policy`].
//!
//! Locks: all state sits behind one `parking_lot` mutex that is never held
//! across an `.await`. Work that calls a [`ResourceProvider`] takes what it
//! needs under the lock, calls the provider with the lock released, then
//! applies the answer under the lock again.
//!
//! Timing (emulator clock): a backup job is created, the provider's backup
//! runs when the job starts (so the data captured is the resource as it is
//! at that call), and the job completes `backup_job_duration` after its
//! start. `StartBackupJob` starts the job at once. Restore and copy jobs
//! take the restore-time model's time ([`firedrill_emu_core::timing`]):
//! `Operation::BackupRestoreJob` (AWS Backup's own share of a restore) and
//! `Operation::BackupCopyJob` (by the recovery point's size) on the `aws`
//! preset, `backup_job_duration` on `fast`; each accepted job is recorded in
//! `env.timings`, a refused request is not. Scheduled runs are in
//! [`crate::scheduler`].

// Dates meet client numbers here: no operator that can overflow or panic
// (`DateTime + TimeDelta`, unchecked integer arithmetic); see `crate::time`.
#![warn(clippy::arithmetic_side_effects)]

use crate::error::{BackupError, BackupResult};
use crate::model::*;
use crate::provider::{BackupRequest, CopyRequest, ProtectedResource, ResourceProvider, RestoreRequest};
use crate::time::saturating_after;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use firedrill_emu_core::Environment;
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::audit::AuditEvent;
use firedrill_emu_core::service::LongOperation;
use firedrill_emu_core::timing::{ModelledOperation, Operation, Workload};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

pub mod backup_jobs;
pub mod copies;
pub mod cross_account;
pub mod notifications;
pub mod plans;
pub mod protected;
pub mod recovery_points;
pub mod restore_test_runs;
pub mod restore_testing;
pub mod restores;
pub mod validate;
pub mod vaults;

pub use backup_jobs::{BackupJobFilter, StartBackup};
pub use copies::CopyJobFilter;
pub use recovery_points::RecoveryPointFilter;
pub use restores::RestoreJobFilter;
pub use validate::*;

/// The principal recorded for work the emulator does on its own.
pub const SYSTEM_PRINCIPAL: &str = "firedrill";

/// One region's AWS Backup state.
#[derive(Debug, Default)]
pub struct RegionState {
    /// Vaults by name.
    pub vaults: BTreeMap<String, Vault>,
    /// Plans by id (deleted plans stay, with a deletion date).
    pub plans: BTreeMap<String, Plan>,
    /// Restore testing plans by name.
    pub restore_testing_plans: BTreeMap<String, restore_testing::RestoreTestingPlan>,
    /// Restore testing selections by plan and selection name.
    pub restore_testing_selections: BTreeMap<(String, String), restore_testing::RestoreTestingSelection>,
    /// Recovery points by ARN.
    pub recovery_points: BTreeMap<String, RecoveryPoint>,
    /// Backup jobs, oldest first.
    pub backup_jobs: Vec<BackupJob>,
    /// Copy jobs whose source is in this region, oldest first.
    pub copy_jobs: Vec<CopyJob>,
    /// Restore jobs, oldest first.
    pub restore_jobs: Vec<RestoreJob>,
    /// What is known of each backed-up resource.
    pub protected: BTreeMap<String, ProtectedInfo>,
}

/// The whole service's state.
#[derive(Debug, Default)]
pub struct State {
    /// Per region.
    pub regions: BTreeMap<String, RegionState>,
    /// Regions in an outage, since when (emulator time).
    pub down_since: BTreeMap<String, DateTime<Utc>>,
    /// Past outages: region, start, end (emulator time).
    pub outage_windows: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
}

impl State {
    /// A region's state, created on first use.
    pub fn region(&mut self, region: &str) -> &mut RegionState {
        self.regions.entry(region.to_owned()).or_default()
    }
}

/// The engine.
pub struct Engine {
    pub(crate) env: Environment,
    pub(crate) providers: Vec<Arc<dyn ResourceProvider>>,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: crate::scheduler::TickFaults,
    /// The other accounts' engines, for cross-account copies.
    pub(crate) peers: parking_lot::RwLock<Option<Arc<dyn cross_account::PeerAccounts>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field(
                "providers",
                &self
                    .providers
                    .iter()
                    .map(|p| p.resource_type())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A fresh upper-case UUID, the form AWS Backup uses for job ids and
/// native recovery point ARNs.
pub(crate) fn upper_uuid() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

pub(crate) fn lower_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn version_id() -> String {
    base64::engine::general_purpose::STANDARD.encode(lower_uuid())
}

/// Whether `t` is strictly inside the optional bounds.
pub(crate) fn within(t: DateTime<Utc>, after: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>) -> bool {
    after.is_none_or(|a| t > a) && before.is_none_or(|b| t < b)
}

/// Whether an optional completion instant is inside the optional bounds
/// (a job not yet complete is outside any bound).
pub(crate) fn completed_within(
    t: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> bool {
    (after.is_none() && before.is_none()) || t.is_some_and(|t| within(t, after, before))
}

impl Engine {
    /// An engine over `providers`.
    pub fn new(env: Environment, providers: Vec<Arc<dyn ResourceProvider>>) -> Self {
        Self {
            env,
            providers,
            state: Mutex::new(State::default()),
            faults: crate::scheduler::TickFaults::default(),
            peers: parking_lot::RwLock::new(None),
        }
    }

    /// The account id.
    pub fn account(&self) -> &str {
        self.env.account_id()
    }

    /// The current emulator instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.env.now()
    }

    /// A vault's ARN.
    pub fn vault_arn(&self, region: &str, name: &str) -> String {
        format!("arn:aws:backup:{region}:{}:backup-vault:{name}", self.account())
    }

    /// Why the vault key `key` cannot be used now (disabled, pending
    /// deletion or gone), as the job's `StatusMessage` says it:
    /// `what` is what the job needed the key for. An AWS managed key
    /// (`customer_managed` false) is AWS Backup's own and always usable.
    pub(crate) fn key_problem(
        &self,
        region: &str,
        key: &str,
        customer_managed: bool,
        what: &str,
    ) -> Option<String> {
        if !customer_managed {
            return None;
        }
        let refusal = self.env.key_usable(region, key).err()?;
        tracing::info!(
            region,
            key,
            state = refusal.code(),
            "a backup vault's KMS key is not usable"
        );
        Some(format!(
            "{what}: the KMS key {key} is not usable. {}",
            refusal.relayed()
        ))
    }

    /// The provider owning `arn`, by index.
    pub fn provider_for(&self, arn: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.owns(arn))
    }

    /// Records an operation in the audit trail.
    pub fn audit<T>(
        &self,
        principal: &str,
        name: &str,
        region: &str,
        resource: &str,
        result: &BackupResult<T>,
    ) {
        let result = match result {
            Ok(_) => "Success".to_owned(),
            Err(e) => e.code().to_owned(),
        };
        self.audit_result(principal, name, region, resource, &result);
    }

    /// Runs `f` on the vault `name` of `region` under the state lock.
    pub(crate) fn with_vault<T>(
        &self,
        region: &str,
        name: &str,
        f: impl FnOnce(&mut Vault) -> BackupResult<T>,
    ) -> BackupResult<T> {
        let mut st = self.state.lock();
        let vault = st
            .region(region)
            .vaults
            .get_mut(name)
            .ok_or_else(|| vault_not_found(name))?;
        f(vault)
    }

    /// Records an operation on the vault `name` in the audit trail.
    pub(crate) fn audit_vault<T>(
        &self,
        principal: &str,
        operation: &str,
        region: &str,
        name: &str,
        result: &BackupResult<T>,
    ) {
        self.audit(
            principal,
            operation,
            region,
            &self.vault_arn(region, name),
            result,
        );
    }

    /// Records an operation with a given result text.
    pub fn audit_result(&self, principal: &str, name: &str, region: &str, resource: &str, result: &str) {
        self.env.audit.record(AuditEvent {
            event_time: self.now(),
            event_source: "backup".to_owned(),
            event_name: name.to_owned(),
            region: region.to_owned(),
            principal: principal.to_owned(),
            resource: resource.to_owned(),
            result: result.to_owned(),
        });
    }

    /// Forgets everything.
    pub fn reset(&self) {
        *self.state.lock() = State::default();
    }

    /// Records a region going dark or coming back.
    pub fn set_region_available(&self, region: &str, available: bool) {
        let now = self.now();
        let mut st = self.state.lock();
        if available {
            if let Some(since) = st.down_since.remove(region) {
                st.outage_windows.push((region.to_owned(), since, now));
            }
        } else {
            st.down_since.entry(region.to_owned()).or_insert(now);
        }
    }
}

/// Whether a restore or copy job is reading the recovery point `arn`.
pub(crate) fn in_use(rs: &RegionState, arn: &str) -> bool {
    rs.restore_jobs
        .iter()
        .any(|j| j.recovery_point_arn == arn && matches!(j.state, JobState::Created | JobState::Running))
        || rs.copy_jobs.iter().any(|j| {
            j.source_recovery_point_arn == arn && matches!(j.state, JobState::Created | JobState::Running)
        })
}

pub(crate) fn vault_not_found(name: &str) -> BackupError {
    BackupError::not_found(format!("Backup vault {name} does not exist"))
}

pub(crate) fn plan_not_found(id: &str) -> BackupError {
    BackupError::not_found(format!(
        "Failed reading Backup plan with provided version: backup plan {id} not found"
    ))
}

pub(crate) fn rp_not_found(arn: &str) -> BackupError {
    BackupError::not_found(format!("Recovery point {arn} not found"))
}

/// A resource's name from its ARN: the part after the last `/` or `:`.
pub fn resource_name_from_arn(arn: &str) -> String {
    let resource = Arn::parse(arn)
        .map(|a| a.resource)
        .unwrap_or_else(|_| arn.to_owned());
    resource.rsplit(['/', ':']).next().unwrap_or(&resource).to_owned()
}
