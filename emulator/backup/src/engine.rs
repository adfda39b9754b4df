//! The AWS Backup engine: per-region state (vaults, plans, selections,
//! jobs, recovery points) and every operation on it, with no HTTP.
//!
//! Locks: all state sits behind one `parking_lot` mutex that is never held
//! across an `.await`. Work that calls a [`ResourceProvider`] takes what it
//! needs under the lock, calls the provider with the lock released, then
//! applies the answer under the lock again.
//!
//! Timing (emulator clock): a backup job is created, the provider's backup
//! runs when the job starts (so the data captured is the resource as it is
//! at that call), and the job completes `backup_job_duration` after its
//! start. `StartBackupJob` starts the job at once. Scheduled runs are in
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
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The principal recorded for work the emulator does on its own.
pub const SYSTEM_PRINCIPAL: &str = "firedrill";

/// One region's AWS Backup state.
#[derive(Debug, Default)]
pub struct RegionState {
    /// Vaults by name.
    pub vaults: BTreeMap<String, Vault>,
    /// Plans by id (deleted plans stay, with a deletion date).
    pub plans: BTreeMap<String, Plan>,
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

/// Filters of `ListBackupJobs`.
#[derive(Debug, Clone, Default)]
pub struct BackupJobFilter {
    /// `state`.
    pub state: Option<String>,
    /// `resourceArn`.
    pub resource_arn: Option<String>,
    /// `backupVaultName`.
    pub vault_name: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `completeAfter`.
    pub complete_after: Option<DateTime<Utc>>,
    /// `completeBefore`.
    pub complete_before: Option<DateTime<Utc>>,
}

/// Filters of `ListCopyJobs`.
#[derive(Debug, Clone, Default)]
pub struct CopyJobFilter {
    /// `state`.
    pub state: Option<String>,
    /// `resourceArn`.
    pub resource_arn: Option<String>,
    /// `destinationVaultArn`.
    pub destination_vault_arn: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// `sourceRecoveryPointArn`.
    pub source_recovery_point_arn: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `completeAfter`.
    pub complete_after: Option<DateTime<Utc>>,
    /// `completeBefore`.
    pub complete_before: Option<DateTime<Utc>>,
}

/// Filters of `ListRestoreJobs` and `ListRestoreJobsByProtectedResource`.
#[derive(Debug, Clone, Default)]
pub struct RestoreJobFilter {
    /// `status`.
    pub status: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// The protected resource (`ListRestoreJobsByProtectedResource`).
    pub source_resource_arn: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `completeAfter`.
    pub complete_after: Option<DateTime<Utc>>,
    /// `completeBefore`.
    pub complete_before: Option<DateTime<Utc>>,
    /// `recoveryPointCreationDateAfter`.
    pub recovery_point_created_after: Option<DateTime<Utc>>,
    /// `recoveryPointCreationDateBefore`.
    pub recovery_point_created_before: Option<DateTime<Utc>>,
}

/// Whether `t` is strictly inside the optional bounds.
fn within(t: DateTime<Utc>, after: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>) -> bool {
    after.is_none_or(|a| t > a) && before.is_none_or(|b| t < b)
}

/// Whether an optional completion instant is inside the optional bounds
/// (a job not yet complete is outside any bound).
fn completed_within(
    t: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> bool {
    (after.is_none() && before.is_none()) || t.is_some_and(|t| within(t, after, before))
}

/// Filters of `ListRecoveryPointsByBackupVault`.
#[derive(Debug, Clone, Default)]
pub struct RecoveryPointFilter {
    /// `resourceArn`.
    pub resource_arn: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// `backupPlanId`.
    pub plan_id: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
}

/// The parameters of `StartBackupJob` (or of one scheduled job).
#[derive(Debug, Clone, Default)]
pub struct StartBackup {
    /// The target vault.
    pub vault_name: String,
    /// The resource.
    pub resource_arn: String,
    /// The role.
    pub iam_role_arn: String,
    /// Start window in minutes.
    pub start_window_minutes: Option<i64>,
    /// Completion window in minutes.
    pub complete_window_minutes: Option<i64>,
    /// The recovery point's lifecycle.
    pub lifecycle: Option<Lifecycle>,
    /// Tags for the recovery point.
    pub recovery_point_tags: BTreeMap<String, String>,
    /// `BackupOptions` (kept and shown on the job).
    pub backup_options: BTreeMap<String, String>,
    /// The client's idempotency token (the SDKs fill one in): a retry with
    /// the same token gets the same job, and nothing is done twice.
    pub idempotency_token: Option<String>,
}

/// The engine.
pub struct Engine {
    pub(crate) env: Environment,
    pub(crate) providers: Vec<Arc<dyn ResourceProvider>>,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: crate::scheduler::TickFaults,
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

fn lower_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn version_id() -> String {
    base64::engine::general_purpose::STANDARD.encode(lower_uuid())
}

/// The model's backup vault name pattern, `^[a-zA-Z0-9\-\_]{2,50}$`.
pub(crate) fn vault_name_valid(name: &str) -> bool {
    (2..=50).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn rule_like_name_valid(name: &str) -> bool {
    (1..=50).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// Validates a lifecycle as AWS does: each number of days from 1 to 36,500
/// (100 years), and a recovery point that goes to cold storage stays there
/// at least 90 days.
pub fn validate_lifecycle(lifecycle: &Lifecycle) -> BackupResult<()> {
    for (name, days) in [
        (
            "MoveToColdStorageAfterDays",
            lifecycle.move_to_cold_storage_after_days,
        ),
        ("DeleteAfterDays", lifecycle.delete_after_days),
    ] {
        if let Some(d) = days
            && !(1..=MAX_LIFECYCLE_DAYS).contains(&d)
        {
            return Err(BackupError::invalid(format!(
                "Invalid lifecycle. {name} cannot be less than 1 or more than {MAX_LIFECYCLE_DAYS} days"
            )));
        }
    }
    if let (Some(cold), Some(delete)) = (
        lifecycle.move_to_cold_storage_after_days,
        lifecycle.delete_after_days,
    ) && delete.saturating_sub(cold) < MIN_COLD_STORAGE_DAYS
    {
        return Err(BackupError::invalid(format!(
            "Invalid lifecycle. DeleteAfterDays ({delete}) cannot be less than 90 days apart from MoveToColdStorageAfterDays ({cold}): backups transitioned to cold storage must be stored there for a minimum of 90 days"
        )));
    }
    Ok(())
}

/// Validates tags as AWS does: at most 50, keys of 1 to 128 characters
/// that do not start with the reserved `aws:`, values of at most 256.
pub fn validate_tags(what: &str, tags: &BTreeMap<String, String>) -> BackupResult<()> {
    if tags.len() > MAX_TAGS {
        return Err(BackupError::invalid(format!(
            "{what} has {} tags; a resource can have at most {MAX_TAGS}",
            tags.len()
        )));
    }
    for (k, v) in tags {
        let key_len = k.chars().count();
        if !(1..=128).contains(&key_len) {
            return Err(BackupError::invalid(format!(
                "{what}: tag keys must be 1 to 128 characters, got {key_len}"
            )));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(BackupError::invalid(format!(
                "{what}: tag key {k:?} uses the reserved prefix aws:"
            )));
        }
        if v.chars().count() > 256 {
            return Err(BackupError::invalid(format!(
                "{what}: the value of tag {k:?} is longer than 256 characters"
            )));
        }
    }
    Ok(())
}

/// The most tags a resource can have.
const MAX_TAGS: usize = 50;

/// Validates `BackupOptions` as the model types them: option names and
/// values matching `^[a-zA-Z0-9\-\_\.]{1,50}$`.
pub fn validate_backup_options(options: &BTreeMap<String, String>) -> BackupResult<()> {
    match options
        .iter()
        .find(|(k, v)| !rule_like_name_valid(k) || !rule_like_name_valid(v))
    {
        Some((k, _)) => Err(BackupError::invalid(format!(
            "Invalid BackupOptions {k:?}: names and values must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
        ))),
        None => Ok(()),
    }
}

/// Validates `AdvancedBackupSettings` as the model types it: a list of
/// `{"ResourceType": <type>, "BackupOptions": {<name>: <value>}}`, the
/// type, names and values matching `^[a-zA-Z0-9\-\_\.]{1,50}$`.
pub fn validate_advanced_settings(settings: &serde_json::Value) -> BackupResult<()> {
    let bad = |why: &str| BackupError::invalid(format!("Invalid AdvancedBackupSettings: {why}"));
    let list = settings.as_array().ok_or_else(|| bad("it must be a list"))?;
    for setting in list {
        let setting = setting
            .as_object()
            .ok_or_else(|| bad("each setting must be an object"))?;
        if let Some(k) = setting
            .keys()
            .find(|k| !matches!(k.as_str(), "ResourceType" | "BackupOptions"))
        {
            return Err(bad(&format!("unknown member {k}")));
        }
        if let Some(t) = setting.get("ResourceType") {
            let t = t.as_str().ok_or_else(|| bad("ResourceType must be a string"))?;
            if !rule_like_name_valid(t) {
                return Err(bad(&format!(
                    "ResourceType {t:?} must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                )));
            }
        }
        if let Some(options) = setting.get("BackupOptions") {
            let options = options
                .as_object()
                .ok_or_else(|| bad("BackupOptions must map option names to values"))?;
            for (name, value) in options {
                let value = value.as_str().unwrap_or("");
                if !rule_like_name_valid(name) || !rule_like_name_valid(value) {
                    return Err(bad(&format!(
                        "BackupOptions {name:?}: names and values must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Validates a start or completion window as AWS does: at least `min`
/// minutes and at most 100 years (52,560,000 minutes).
pub fn validate_window(name: &str, minutes: i64, min: i64) -> BackupResult<()> {
    if minutes < min {
        return Err(BackupError::invalid(format!(
            "{name} must be at least {min} minutes, got {minutes}"
        )));
    }
    if minutes > MAX_WINDOW_MINUTES {
        return Err(BackupError::invalid(format!(
            "{name} has a maximum value of 100 years ({MAX_WINDOW_MINUTES} minutes), got {minutes}"
        )));
    }
    Ok(())
}

/// The region and name of a backup vault ARN.
pub fn parse_vault_arn(arn: &str) -> BackupResult<(String, String)> {
    let parsed = Arn::parse(arn).map_err(|_| BackupError::invalid(format!("Invalid ARN: {arn}")))?;
    let name = parsed
        .resource
        .strip_prefix("backup-vault:")
        .filter(|_| parsed.service == "backup" && !parsed.region.is_empty());
    match name {
        Some(name) => Ok((parsed.region, name.to_owned())),
        None => Err(BackupError::invalid(format!("{arn} is not a backup vault ARN"))),
    }
}

impl Engine {
    /// An engine over `providers`.
    pub fn new(env: Environment, providers: Vec<Arc<dyn ResourceProvider>>) -> Self {
        Self {
            env,
            providers,
            state: Mutex::new(State::default()),
            faults: crate::scheduler::TickFaults::default(),
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

    // ----- vaults -----

    /// `CreateBackupVault`.
    pub fn create_vault(
        &self,
        principal: &str,
        region: &str,
        name: &str,
        encryption_key_arn: Option<String>,
        tags: BTreeMap<String, String>,
        creator_request_id: Option<String>,
    ) -> BackupResult<Vault> {
        let result = (|| {
            validate_tags("BackupVaultTags", &tags)?;
            if !vault_name_valid(name) {
                return Err(BackupError::invalid(format!(
                    "Invalid backup vault name {name:?}: it must match ^[a-zA-Z0-9\\-\\_]{{2,50}}$"
                )));
            }
            if let Some(key) = &encryption_key_arn {
                Arn::parse(key)
                    .ok()
                    .filter(|a| a.service == "kms")
                    .ok_or_else(|| BackupError::invalid(format!("Invalid EncryptionKeyArn: {key}")))?;
            }
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            if let Some(existing) = rs.vaults.get(name) {
                if creator_request_id.is_some() && existing.creator_request_id == creator_request_id {
                    // A retry of the request that created it.
                    return Ok(existing.clone());
                }
                return Err(BackupError::AlreadyExists(format!(
                    "Backup vault with the same name already exists: {name}"
                )));
            }
            let customer = encryption_key_arn.is_some();
            let key = encryption_key_arn
                .unwrap_or_else(|| format!("arn:aws:kms:{region}:{}:key/{}", self.account(), lower_uuid()));
            let vault = Vault {
                name: name.to_owned(),
                arn: self.vault_arn(region, name),
                encryption_key_arn: key,
                customer_managed_key: customer,
                creation_date: now,
                creator_request_id,
                tags,
                lock: None,
                access_policy: None,
            };
            rs.vaults.insert(name.to_owned(), vault.clone());
            Ok(vault)
        })();
        self.audit(
            principal,
            "CreateBackupVault",
            region,
            &self.vault_arn(region, name),
            &result,
        );
        result
    }

    /// `DescribeBackupVault`: the vault and its number of recovery points.
    pub fn describe_vault(&self, region: &str, name: &str) -> BackupResult<(Vault, usize)> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        let vault = rs
            .vaults
            .get(name)
            .cloned()
            .ok_or_else(|| vault_not_found(name))?;
        let count = rs
            .recovery_points
            .values()
            .filter(|rp| rp.vault_name == name)
            .count();
        Ok((vault, count))
    }

    /// `ListBackupVaults`.
    pub fn list_vaults(&self, region: &str) -> Vec<(Vault, usize)> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        let mut out: Vec<(Vault, usize)> = rs
            .vaults
            .values()
            .map(|v| {
                let n = rs
                    .recovery_points
                    .values()
                    .filter(|rp| rp.vault_name == v.name)
                    .count();
                (v.clone(), n)
            })
            .collect();
        out.sort_by(|a, b| {
            a.0.creation_date
                .cmp(&b.0.creation_date)
                .then(a.0.name.cmp(&b.0.name))
        });
        out
    }

    /// `DeleteBackupVault`.
    pub fn delete_vault(&self, principal: &str, region: &str, name: &str) -> BackupResult<()> {
        let result = (|| {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let vault = rs.vaults.get(name).ok_or_else(|| vault_not_found(name))?;
            crate::access_policy::check(
                vault,
                principal,
                self.account(),
                "backup:DeleteBackupVault",
                &vault.arn,
            )?;
            if rs.recovery_points.values().any(|rp| rp.vault_name == name) {
                return Err(BackupError::InvalidRequest(
                    "Backup vault cannot be deleted because it contains recovery points.".to_owned(),
                ));
            }
            rs.vaults.remove(name);
            Ok(())
        })();
        self.audit(
            principal,
            "DeleteBackupVault",
            region,
            &self.vault_arn(region, name),
            &result,
        );
        result
    }

    // ----- plans -----

    /// Validates a plan document into its name and rules; `rs` (when
    /// given) is where every target vault must exist.
    pub(crate) fn build_rules(
        &self,
        rs: Option<&RegionState>,
        input: &PlanInput,
        previous: Option<&[Rule]>,
    ) -> BackupResult<(String, Vec<Rule>)> {
        let name = input
            .backup_plan_name
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| BackupError::missing("BackupPlan.BackupPlanName"))?;
        if name.len() > 50 {
            return Err(BackupError::invalid(
                "BackupPlanName must be at most 50 characters",
            ));
        }
        let inputs = input
            .rules
            .as_ref()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| BackupError::missing("BackupPlan.Rules"))?;
        if let Some(settings) = &input.advanced_backup_settings {
            validate_advanced_settings(settings)?;
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(inputs.len());
        for r in inputs {
            let rule_name = r
                .rule_name
                .clone()
                .ok_or_else(|| BackupError::missing("Rules.RuleName"))?;
            if !rule_like_name_valid(&rule_name) {
                return Err(BackupError::invalid(format!(
                    "Invalid rule name {rule_name:?}: it must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                )));
            }
            if rules.iter().any(|x| x.rule_name == rule_name) {
                return Err(BackupError::invalid(format!(
                    "Rule names must be unique within a plan: {rule_name}"
                )));
            }
            let vault = r
                .target_backup_vault_name
                .clone()
                .ok_or_else(|| BackupError::missing("Rules.TargetBackupVaultName"))?;
            if rs.is_some_and(|rs| !rs.vaults.contains_key(&vault)) {
                return Err(BackupError::invalid(format!(
                    "Backup vault {vault} does not exist in this region; create it before referencing it in a rule"
                )));
            }
            let expr = r
                .schedule_expression
                .clone()
                .unwrap_or_else(|| DEFAULT_SCHEDULE.to_owned());
            let schedule =
                crate::cron::CronSchedule::parse(&expr).map_err(|e| BackupError::invalid(e.to_string()))?;
            if let Some(tz) = &r.schedule_expression_timezone
                && !matches!(tz.as_str(), "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT")
            {
                return Err(BackupError::invalid(format!(
                    "ScheduleExpressionTimezone {tz:?} is not supported by firedrill; only UTC schedules are"
                )));
            }
            let in_rule = |e: BackupError| match e {
                BackupError::InvalidParameterValue(m) => {
                    BackupError::InvalidParameterValue(format!("Error in rule {rule_name} : {m}"))
                }
                other => other,
            };
            let start = r.start_window_minutes.unwrap_or(DEFAULT_START_WINDOW_MINUTES);
            validate_window("StartWindowMinutes", start, MIN_START_WINDOW_MINUTES).map_err(in_rule)?;
            let completion = r
                .completion_window_minutes
                .unwrap_or(DEFAULT_COMPLETION_WINDOW_MINUTES);
            validate_window("CompletionWindowMinutes", completion, MIN_START_WINDOW_MINUTES)
                .map_err(in_rule)?;
            let lifecycle = r.lifecycle.clone().filter(|l| !l.is_empty());
            if let Some(l) = &lifecycle {
                validate_lifecycle(l).map_err(in_rule)?;
            }
            let continuous = r.enable_continuous_backup.unwrap_or(false);
            if continuous {
                if let Some(d) = lifecycle.as_ref().and_then(|l| l.delete_after_days)
                    && d > MAX_CONTINUOUS_RETENTION_DAYS
                {
                    return Err(BackupError::invalid(format!(
                        "Continuous backups are kept 1 to 35 days; DeleteAfterDays is {d}"
                    )));
                }
                if lifecycle
                    .as_ref()
                    .is_some_and(|l| l.move_to_cold_storage_after_days.is_some())
                {
                    return Err(BackupError::invalid(
                        "Continuous backups cannot be moved to cold storage",
                    ));
                }
                if let Some(other) = rules
                    .iter()
                    .find(|x| x.enable_continuous_backup && x.target_backup_vault_name != vault)
                {
                    return Err(BackupError::invalid(format!(
                        "Continuous backup rules {} and {rule_name} of one plan must target the same backup vault",
                        other.rule_name
                    )));
                }
            }
            let mut copy_actions = Vec::new();
            for action in r.copy_actions.clone().unwrap_or_default() {
                let arn = action
                    .destination_backup_vault_arn
                    .clone()
                    .ok_or_else(|| BackupError::missing("CopyActions.DestinationBackupVaultArn"))?;
                parse_vault_arn(&arn)?;
                if let Some(l) = &action.lifecycle {
                    validate_lifecycle(l).map_err(in_rule)?;
                }
                copy_actions.push(action);
            }
            let recovery_point_tags = r.recovery_point_tags.clone().unwrap_or_default();
            validate_tags("RecoveryPointTags", &recovery_point_tags).map_err(in_rule)?;
            let rule_id = previous
                .and_then(|p| p.iter().find(|x| x.rule_name == rule_name))
                .map(|x| x.rule_id.clone())
                .unwrap_or_else(lower_uuid);
            rules.push(Rule {
                rule_id,
                rule_name,
                target_backup_vault_name: vault,
                schedule_expression: expr,
                schedule,
                start_window_minutes: start,
                completion_window_minutes: completion,
                lifecycle,
                recovery_point_tags,
                copy_actions,
                enable_continuous_backup: continuous,
            });
        }
        Ok((name, rules))
    }

    /// `CreateBackupPlan`.
    pub fn create_plan(
        &self,
        principal: &str,
        region: &str,
        input: &PlanInput,
        tags: BTreeMap<String, String>,
        creator_request_id: Option<String>,
    ) -> BackupResult<Plan> {
        let result = (|| {
            validate_tags("BackupPlanTags", &tags)?;
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            if let Some(existing) = rs.plans.values().find(|p| {
                p.deletion_date.is_none()
                    && creator_request_id.is_some()
                    && p.creator_request_id == creator_request_id
            }) {
                // A retry of the request that created it.
                return Ok(existing.clone());
            }
            let (name, rules) = self.build_rules(Some(rs), input, None)?;
            if let Some(existing) = rs
                .plans
                .values()
                .find(|p| p.deletion_date.is_none() && p.current().plan_name == name)
            {
                return Err(BackupError::AlreadyExists(format!(
                    "Backup plan with the name {name} already exists: {}",
                    existing.arn
                )));
            }
            let id = lower_uuid();
            let plan = Plan {
                arn: format!("arn:aws:backup:{region}:{}:backup-plan:{id}", self.account()),
                id: id.clone(),
                region: region.to_owned(),
                creator_request_id,
                creation_date: now,
                deletion_date: None,
                versions: vec![PlanVersion {
                    version_id: version_id(),
                    plan_name: name,
                    rules,
                    advanced_backup_settings: input.advanced_backup_settings.clone(),
                    created: now,
                    deleted: None,
                }],
                last_execution_date: None,
                schedule_cursor: now,
                tags,
                selections: BTreeMap::new(),
            };
            rs.plans.insert(id, plan.clone());
            Ok(plan)
        })();
        let resource = result.as_ref().map(|p| p.arn.clone()).unwrap_or_default();
        self.audit(principal, "CreateBackupPlan", region, &resource, &result);
        result
    }

    /// The plan `id` (deleted ones included).
    pub fn get_plan(&self, region: &str, id: &str) -> BackupResult<Plan> {
        let mut st = self.state.lock();
        st.region(region)
            .plans
            .get(id)
            .cloned()
            .ok_or_else(|| plan_not_found(id))
    }

    /// `ListBackupPlans`.
    pub fn list_plans(&self, region: &str, include_deleted: bool) -> Vec<Plan> {
        let mut st = self.state.lock();
        let mut plans: Vec<Plan> = st
            .region(region)
            .plans
            .values()
            .filter(|p| include_deleted || p.deletion_date.is_none())
            .cloned()
            .collect();
        plans.sort_by(|a, b| a.creation_date.cmp(&b.creation_date).then(a.id.cmp(&b.id)));
        plans
    }

    /// `UpdateBackupPlan`: a new version; rules keep their ids by name.
    pub fn update_plan(
        &self,
        principal: &str,
        region: &str,
        id: &str,
        input: &PlanInput,
    ) -> BackupResult<Plan> {
        let result = (|| {
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            let plan = rs
                .plans
                .get(id)
                .filter(|p| p.deletion_date.is_none())
                .ok_or_else(|| plan_not_found(id))?;
            let (name, rules) = self.build_rules(Some(rs), input, Some(&plan.current().rules))?;
            let plan = rs.plans.get_mut(id).ok_or_else(|| plan_not_found(id))?;
            if let Some(v) = plan.versions.last_mut() {
                v.deleted = Some(now);
            }
            plan.versions.push(PlanVersion {
                version_id: version_id(),
                plan_name: name,
                rules,
                advanced_backup_settings: input.advanced_backup_settings.clone(),
                created: now,
                deleted: None,
            });
            Ok(plan.clone())
        })();
        let resource = result
            .as_ref()
            .map(|p| p.arn.clone())
            .unwrap_or_else(|_| id.to_owned());
        self.audit(principal, "UpdateBackupPlan", region, &resource, &result);
        result
    }

    /// `DeleteBackupPlan`: refused while selections remain.
    pub fn delete_plan(&self, principal: &str, region: &str, id: &str) -> BackupResult<Plan> {
        let result = (|| {
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            let plan = rs
                .plans
                .get_mut(id)
                .filter(|p| p.deletion_date.is_none())
                .ok_or_else(|| plan_not_found(id))?;
            if !plan.selections.is_empty() {
                return Err(BackupError::InvalidRequest(
                    "Related backup plan selections must be deleted prior to backup plan deletion".to_owned(),
                ));
            }
            plan.deletion_date = Some(now);
            if let Some(v) = plan.versions.last_mut() {
                v.deleted = Some(now);
            }
            Ok(plan.clone())
        })();
        let resource = result
            .as_ref()
            .map(|p| p.arn.clone())
            .unwrap_or_else(|_| id.to_owned());
        self.audit(principal, "DeleteBackupPlan", region, &resource, &result);
        result
    }

    // ----- selections -----

    /// `CreateBackupSelection`.
    pub fn create_selection(
        &self,
        principal: &str,
        region: &str,
        plan_id: &str,
        input: &SelectionInput,
        creator_request_id: Option<String>,
    ) -> BackupResult<Selection> {
        let result = (|| {
            let name = input
                .selection_name
                .clone()
                .ok_or_else(|| BackupError::missing("BackupSelection.SelectionName"))?;
            if !rule_like_name_valid(&name) {
                return Err(BackupError::invalid(format!(
                    "Invalid selection name {name:?}: it must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                )));
            }
            let role = input
                .iam_role_arn
                .clone()
                .ok_or_else(|| BackupError::missing("BackupSelection.IamRoleArn"))?;
            if Arn::parse(&role).map(|a| a.service != "iam").unwrap_or(true) {
                return Err(BackupError::invalid(format!("Invalid IamRoleArn: {role}")));
            }
            let mut list_of_tags = Vec::new();
            for t in input.list_of_tags.clone().unwrap_or_default() {
                let kind = t
                    .condition_type
                    .ok_or_else(|| BackupError::missing("ListOfTags.ConditionType"))?;
                if kind != "STRINGEQUALS" {
                    return Err(BackupError::invalid(format!(
                        "Invalid ConditionType {kind:?}: only STRINGEQUALS is supported"
                    )));
                }
                list_of_tags.push(TagCondition {
                    key: t
                        .condition_key
                        .ok_or_else(|| BackupError::missing("ListOfTags.ConditionKey"))?,
                    value: t
                        .condition_value
                        .ok_or_else(|| BackupError::missing("ListOfTags.ConditionValue"))?,
                });
            }
            let conditions = input.conditions.clone().unwrap_or_default();
            for c in conditions
                .string_equals
                .iter()
                .chain(&conditions.string_not_equals)
                .chain(&conditions.string_like)
                .chain(&conditions.string_not_like)
            {
                if !c.key.starts_with("aws:ResourceTag/") {
                    return Err(BackupError::invalid(format!(
                        "Invalid condition key {:?}: conditions must be on aws:ResourceTag/<key>",
                        c.key
                    )));
                }
            }
            let resources = input.resources.clone().unwrap_or_default();
            let not_resources = input.not_resources.clone().unwrap_or_default();
            for arn in resources.iter().chain(&not_resources) {
                if arn != "*" && !arn.starts_with("arn:") {
                    return Err(BackupError::invalid(format!("Invalid resource ARN {arn:?}")));
                }
            }
            let now = self.now();
            let mut st = self.state.lock();
            let plan = st
                .region(region)
                .plans
                .get_mut(plan_id)
                .filter(|p| p.deletion_date.is_none())
                .ok_or_else(|| plan_not_found(plan_id))?;
            if let Some(existing) = plan.selections.values().find(|s| {
                creator_request_id.is_some() && s.creator_request_id == creator_request_id && s.name == name
            }) {
                return Ok(existing.clone());
            }
            if plan.selections.values().any(|s| s.name == name) {
                return Err(BackupError::AlreadyExists(format!(
                    "Backup selection with the name {name} already exists in plan {plan_id}"
                )));
            }
            let selection = Selection {
                id: lower_uuid(),
                name,
                iam_role_arn: role,
                resources,
                not_resources,
                list_of_tags,
                conditions,
                creation_date: now,
                creator_request_id,
            };
            plan.selections.insert(selection.id.clone(), selection.clone());
            Ok(selection)
        })();
        self.audit(principal, "CreateBackupSelection", region, plan_id, &result);
        result
    }

    /// `GetBackupSelection`.
    pub fn get_selection(&self, region: &str, plan_id: &str, selection_id: &str) -> BackupResult<Selection> {
        let plan = self.get_plan(region, plan_id)?;
        plan.selections.get(selection_id).cloned().ok_or_else(|| {
            BackupError::not_found(format!(
                "Backup selection {selection_id} not found in plan {plan_id}"
            ))
        })
    }

    /// `ListBackupSelections`.
    pub fn list_selections(&self, region: &str, plan_id: &str) -> BackupResult<Vec<Selection>> {
        let plan = self.get_plan(region, plan_id)?;
        let mut out: Vec<Selection> = plan.selections.into_values().collect();
        out.sort_by(|a, b| a.creation_date.cmp(&b.creation_date).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// `DeleteBackupSelection`.
    pub fn delete_selection(
        &self,
        principal: &str,
        region: &str,
        plan_id: &str,
        selection_id: &str,
    ) -> BackupResult<()> {
        let result = (|| {
            let mut st = self.state.lock();
            let plan = st
                .region(region)
                .plans
                .get_mut(plan_id)
                .ok_or_else(|| plan_not_found(plan_id))?;
            plan.selections.remove(selection_id).map(|_| ()).ok_or_else(|| {
                BackupError::not_found(format!(
                    "Backup selection {selection_id} not found in plan {plan_id}"
                ))
            })
        })();
        self.audit(principal, "DeleteBackupSelection", region, selection_id, &result);
        result
    }

    // ----- backup jobs -----

    fn resource_info(&self, provider: usize, region: &str, arn: &str) -> Option<ProtectedResource> {
        self.providers
            .get(provider)?
            .list_resources(region)
            .into_iter()
            .find(|r| r.arn == arn)
    }

    /// `StartBackupJob`: the job starts at once, so the data captured is the
    /// resource as it is at this call; it completes `backup_job_duration`
    /// later on the emulator clock.
    pub async fn start_backup_job(
        &self,
        principal: &str,
        region: &str,
        req: StartBackup,
    ) -> BackupResult<BackupJob> {
        let result = self.start_backup_job_inner(principal, region, req.clone()).await;
        self.audit(principal, "StartBackupJob", region, &req.resource_arn, &result);
        result
    }

    async fn start_backup_job_inner(
        &self,
        principal: &str,
        region: &str,
        req: StartBackup,
    ) -> BackupResult<BackupJob> {
        if let Some(token) = &req.idempotency_token {
            let mut st = self.state.lock();
            let known = st
                .region(region)
                .backup_jobs
                .iter()
                .find(|j| j.idempotency_token.as_ref() == Some(token))
                .cloned();
            if let Some(job) = known {
                return Ok(job);
            }
        }
        if req.vault_name.is_empty() {
            return Err(BackupError::missing("BackupVaultName"));
        }
        if !vault_name_valid(&req.vault_name) {
            return Err(BackupError::invalid(format!(
                "Invalid BackupVaultName {:?}: it must match ^[a-zA-Z0-9\\-\\_]{{2,50}}$",
                req.vault_name
            )));
        }
        validate_tags("RecoveryPointTags", &req.recovery_point_tags)?;
        validate_backup_options(&req.backup_options)?;
        if req.resource_arn.is_empty() {
            return Err(BackupError::missing("ResourceArn"));
        }
        if req.iam_role_arn.is_empty() {
            return Err(BackupError::missing("IamRoleArn"));
        }
        Arn::parse(&req.resource_arn)
            .map_err(|_| BackupError::invalid(format!("Invalid ARN: {}", req.resource_arn)))?;
        if Arn::parse(&req.iam_role_arn)
            .map(|a| a.service != "iam")
            .unwrap_or(true)
        {
            return Err(BackupError::invalid(format!(
                "Invalid IamRoleArn: {}",
                req.iam_role_arn
            )));
        }
        let provider = self.provider_for(&req.resource_arn).ok_or_else(|| {
            BackupError::invalid(format!(
                "Resource type of {} is not supported: firedrill protects DynamoDB tables, RDS databases and S3 buckets",
                req.resource_arn
            ))
        })?;
        if let Some(l) = &req.lifecycle {
            validate_lifecycle(l)?;
        }
        if let Some(w) = req.start_window_minutes {
            validate_window("StartWindowMinutes", w, MIN_START_WINDOW_MINUTES)?;
        }
        if let Some(w) = req.complete_window_minutes {
            validate_window("CompleteWindowMinutes", w, 1)?;
        }
        let vault_arn = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            rs.vaults
                .get(&req.vault_name)
                .map(|v| v.arn.clone())
                .ok_or_else(|| vault_not_found(&req.vault_name))?
        };
        let now = self.now();
        let start_by = crate::time::after_minutes(
            now,
            req.start_window_minutes.unwrap_or(DEFAULT_START_WINDOW_MINUTES),
        )
        .ok_or_else(|| {
            BackupError::invalid("StartWindowMinutes ends after the last instant firedrill can represent")
        })?;
        let name = self
            .resource_info(provider, region, &req.resource_arn)
            .map(|r| r.name)
            .unwrap_or_else(|| resource_name_from_arn(&req.resource_arn));
        let job = BackupJob {
            id: upper_uuid(),
            region: region.to_owned(),
            vault_name: req.vault_name.clone(),
            vault_arn,
            resource_arn: req.resource_arn.clone(),
            resource_type: self.providers[provider].resource_type().to_owned(),
            resource_name: name,
            iam_role_arn: req.iam_role_arn.clone(),
            state: BackupJobState::Created,
            status_message: None,
            creation_date: now,
            start_by,
            started: None,
            expected_completion_date: None,
            completion_date: None,
            completion_window_minutes: req
                .complete_window_minutes
                .unwrap_or(DEFAULT_COMPLETION_WINDOW_MINUTES),
            lifecycle: req.lifecycle.clone().filter(|l| !l.is_empty()),
            recovery_point_arn: None,
            size_bytes: 0,
            created_by: None,
            provider,
            data: None,
            recovery_point_tags: req.recovery_point_tags.clone(),
            copy_actions: Vec::new(),
            continuous: false,
            updates_recovery_point: false,
            idempotency_token: req.idempotency_token.clone(),
            principal: principal.to_owned(),
            backup_options: req.backup_options.clone(),
        };
        let id = job.id.clone();
        self.state.lock().region(region).backup_jobs.push(job);
        self.run_backup_job(region, &id, now).await;
        let mut st = self.state.lock();
        st.region(region)
            .backup_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Backup job {id} vanished")))
    }

    /// Starts a CREATED job at `started`: calls the provider, then marks the
    /// job RUNNING (or FAILED) and completes it if its duration has passed.
    pub(crate) async fn run_backup_job(&self, region: &str, id: &str, started: DateTime<Utc>) {
        let request = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let Some(job) = rs.backup_jobs.iter_mut().find(|j| j.id == id) else {
                return;
            };
            // A locked vault fails a job whose retention is outside its range.
            let refused = rs
                .vaults
                .get(&job.vault_name)
                .and_then(|v| v.lock.as_ref())
                .and_then(|l| l.retention_problem(&job.vault_name, job.lifecycle.as_ref()));
            if let Some(message) = refused {
                job.state = BackupJobState::Failed;
                job.started = Some(started);
                job.completion_date = Some(started);
                job.status_message = Some(message.clone());
                let (principal, resource) = (job.principal.clone(), job.resource_arn.clone());
                drop(st);
                tracing::info!(region, job = id, %message, "backup job failed");
                self.audit_result(&principal, "BackupJobFailed", region, &resource, "FAILED");
                return;
            }
            job.state = BackupJobState::Running;
            job.started = Some(started);
            BackupRequest {
                region: region.to_owned(),
                resource_arn: job.resource_arn.clone(),
                job_id: job.id.clone(),
                continuous: job.continuous,
                scheduled_at: job.creation_date,
            }
        };
        let Some(provider) = ({
            let mut st = self.state.lock();
            st.region(region)
                .backup_jobs
                .iter()
                .find(|j| j.id == id)
                .map(|j| j.provider)
        })
        .and_then(|p| self.providers.get(p).cloned()) else {
            return;
        };
        let answer = provider.backup(request).await;
        let duration = self.env.config.timings.backup_job_duration;
        let mut failed = None;
        let mut orphan = None;
        {
            let mut st = self.state.lock();
            let job = st.region(region).backup_jobs.iter_mut().find(|j| j.id == id);
            match (job, answer) {
                // Stopped (or forgotten by a reset) while the provider worked:
                // what it captured is freed, not kept.
                (Some(job), Ok(data)) if job.state != BackupJobState::Running => orphan = Some(data),
                (None, Ok(data)) => orphan = Some(data),
                (None, Err(_)) => {}
                (Some(job), Ok(data)) => {
                    let arn = data.native_arn.clone().unwrap_or_else(|| {
                        format!(
                            "arn:aws:backup:{region}:{}:recovery-point:{}",
                            self.account(),
                            upper_uuid()
                        )
                    });
                    job.recovery_point_arn = Some(arn);
                    job.size_bytes = data.size_bytes;
                    job.data = Some(data);
                    job.expected_completion_date = Some(saturating_after(started, duration));
                }
                (Some(job), Err(e)) => {
                    job.state = BackupJobState::Failed;
                    job.status_message = Some(e.to_string());
                    job.completion_date = Some(self.env.now().max(started));
                    failed = Some((job.principal.clone(), job.resource_arn.clone(), e.to_string()));
                }
            }
        }
        if let Some(data) = orphan
            && let Err(e) = provider.delete(data).await
        {
            tracing::warn!(error = %e, "could not free the data of a stopped backup job");
        }
        if let Some((principal, resource, message)) = failed {
            tracing::info!(region, job = id, %message, "backup job failed");
            self.audit_result(&principal, "BackupJobFailed", region, &resource, "FAILED");
        }
    }

    /// `DescribeBackupJob` (any region's job is found by id in `region` only).
    pub fn describe_backup_job(&self, region: &str, id: &str) -> BackupResult<BackupJob> {
        let mut st = self.state.lock();
        st.region(region)
            .backup_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Backup job {id} not found")))
    }

    /// `ListBackupJobs`.
    pub fn list_backup_jobs(&self, region: &str, f: &BackupJobFilter) -> Vec<BackupJob> {
        let mut st = self.state.lock();
        st.region(region)
            .backup_jobs
            .iter()
            .filter(|j| f.state.as_deref().is_none_or(|s| s == j.state.as_str()))
            .filter(|j| f.resource_arn.as_deref().is_none_or(|s| s == j.resource_arn))
            .filter(|j| f.vault_name.as_deref().is_none_or(|s| s == j.vault_name))
            .filter(|j| f.resource_type.as_deref().is_none_or(|s| s == j.resource_type))
            .filter(|j| within(j.creation_date, f.created_after, f.created_before))
            .filter(|j| completed_within(j.completion_date, f.complete_after, f.complete_before))
            .cloned()
            .collect()
    }

    /// `StopBackupJob`: a CREATED or RUNNING job is ABORTED and the data
    /// it captured is freed.
    pub async fn stop_backup_job(&self, principal: &str, region: &str, id: &str) -> BackupResult<()> {
        let result = (async {
            let freed = {
                let mut st = self.state.lock();
                let job = st
                    .region(region)
                    .backup_jobs
                    .iter_mut()
                    .find(|j| j.id == id)
                    .ok_or_else(|| BackupError::not_found(format!("Backup job {id} not found")))?;
                if job.state.is_terminal() {
                    return Err(BackupError::InvalidRequest(format!(
                        "Backup job {id} is {} and cannot be stopped",
                        job.state.as_str()
                    )));
                }
                job.state = BackupJobState::Aborted;
                job.status_message = Some("The backup job was stopped".to_owned());
                job.completion_date = Some(self.now());
                job.data.take().map(|d| (job.provider, d))
            };
            if let Some((provider, data)) = freed
                && let Some(p) = self.providers.get(provider)
                && let Err(e) = p.delete(data).await
            {
                tracing::warn!(error = %e, "could not free the data of a stopped backup job");
            }
            Ok(())
        })
        .await;
        self.audit(principal, "StopBackupJob", region, id, &result);
        result
    }

    // ----- copy jobs -----

    /// `StartCopyJob`: copies a recovery point into the destination vault
    /// (normally in another region). The provider's copy runs at once; the
    /// job completes `backup_job_duration` later.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_copy_job(
        &self,
        principal: &str,
        region: &str,
        recovery_point_arn: &str,
        source_vault_name: &str,
        destination_vault_arn: &str,
        iam_role_arn: &str,
        lifecycle: Option<Lifecycle>,
        idempotency_token: Option<String>,
    ) -> BackupResult<CopyJob> {
        let result = (async {
            if let Some(token) = &idempotency_token {
                let mut st = self.state.lock();
                let known = st
                    .region(region)
                    .copy_jobs
                    .iter()
                    .find(|j| j.idempotency_token.as_ref() == Some(token))
                    .cloned();
                if let Some(job) = known {
                    return Ok(job);
                }
            }
            if recovery_point_arn.is_empty() {
                return Err(BackupError::missing("RecoveryPointArn"));
            }
            if source_vault_name.is_empty() {
                return Err(BackupError::missing("SourceBackupVaultName"));
            }
            if !vault_name_valid(source_vault_name) {
                return Err(BackupError::invalid(format!(
                    "Invalid SourceBackupVaultName {source_vault_name:?}: it must match ^[a-zA-Z0-9\\-\\_]{{2,50}}$"
                )));
            }
            if destination_vault_arn.is_empty() {
                return Err(BackupError::missing("DestinationBackupVaultArn"));
            }
            if iam_role_arn.is_empty() {
                return Err(BackupError::missing("IamRoleArn"));
            }
            parse_vault_arn(destination_vault_arn)?;
            if let Some(l) = &lifecycle {
                validate_lifecycle(l)?;
            }
            let id = {
                let now = self.now();
                let mut st = self.state.lock();
                let rs = st.region(region);
                if !rs.vaults.contains_key(source_vault_name) {
                    return Err(vault_not_found(source_vault_name));
                }
                let rp = rs
                    .recovery_points
                    .get(recovery_point_arn)
                    .filter(|rp| rp.vault_name == source_vault_name)
                    .ok_or_else(|| rp_not_found(recovery_point_arn))?;
                if rp.status != RecoveryPointStatus::Completed {
                    return Err(BackupError::InvalidRequest(format!(
                        "Recovery point {recovery_point_arn} is {} and cannot be copied",
                        rp.status.as_str()
                    )));
                }
                let mut job = self.new_copy_job(
                    rp,
                    destination_vault_arn,
                    lifecycle.clone(),
                    iam_role_arn,
                    None,
                    now,
                    principal,
                );
                job.idempotency_token = idempotency_token.clone();
                let id = job.id.clone();
                rs.copy_jobs.push(job);
                id
            };
            self.run_copy_job(region, &id).await;
            self.describe_copy_job(region, &id)
        })
        .await;
        self.audit(principal, "StartCopyJob", region, recovery_point_arn, &result);
        result
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_copy_job(
        &self,
        rp: &RecoveryPoint,
        destination_vault_arn: &str,
        lifecycle: Option<Lifecycle>,
        iam_role_arn: &str,
        created_by_backup_job_id: Option<String>,
        created: DateTime<Utc>,
        principal: &str,
    ) -> CopyJob {
        let (dest_region, dest_name) = parse_vault_arn(destination_vault_arn).unwrap_or_default();
        CopyJob {
            id: upper_uuid(),
            source_region: rp.region.clone(),
            source_vault_arn: rp.vault_arn.clone(),
            source_recovery_point_arn: rp.arn.clone(),
            destination_vault_arn: destination_vault_arn.to_owned(),
            destination_region: dest_region,
            destination_vault_name: dest_name,
            destination_recovery_point_arn: None,
            // Without its own lifecycle, a copy keeps the source's.
            destination_lifecycle: lifecycle
                .filter(|l| !l.is_empty())
                .or_else(|| rp.lifecycle.clone()),
            resource_arn: rp.resource_arn.clone(),
            resource_type: rp.resource_type.clone(),
            resource_name: rp.resource_name.clone(),
            creation_date: created,
            completion_date: None,
            state: JobState::Created,
            status_message: None,
            size_bytes: rp.size_bytes,
            iam_role_arn: iam_role_arn.to_owned(),
            created_by: rp.created_by.clone(),
            created_by_backup_job_id,
            provider: rp.provider,
            data: Some(rp.data.clone()),
            source_creation_date: rp.creation_date,
            // A copy of a continuous backup is a snapshot, as on AWS.
            continuous: false,
            idempotency_token: None,
            principal: principal.to_owned(),
        }
    }

    /// Runs a CREATED copy job: checks the destination, calls the provider
    /// and marks the job RUNNING (or FAILED).
    pub(crate) async fn run_copy_job(&self, region: &str, id: &str) {
        let prepared = {
            let mut st = self.state.lock();
            let dest_down = |r: &str| self.env.outages.is_down(r);
            let job = st.region(region).copy_jobs.iter().find(|j| j.id == id).cloned();
            let Some(job) = job else { return };
            let dest_vault = st
                .regions
                .get(&job.destination_region)
                .and_then(|rs| rs.vaults.get(&job.destination_vault_name));
            let dest_exists = dest_vault.is_some();
            let locked_out = dest_vault.and_then(|v| v.lock.as_ref()).and_then(|l| {
                l.retention_problem(&job.destination_vault_name, job.destination_lifecycle.as_ref())
            });
            let problem = if !self.env.config.serves_region(&job.destination_region) {
                Some(format!(
                    "Destination region {} is not served by this emulator",
                    job.destination_region
                ))
            } else if dest_down(&job.destination_region) {
                Some(format!(
                    "Destination region {} is unavailable",
                    job.destination_region
                ))
            } else if !dest_exists {
                Some(format!(
                    "Destination backup vault {} does not exist",
                    job.destination_vault_arn
                ))
            } else {
                locked_out
            };
            let job = st.region(region).copy_jobs.iter_mut().find(|j| j.id == id);
            let Some(job) = job else { return };
            match problem {
                Some(message) => {
                    job.state = JobState::Failed;
                    job.status_message = Some(message);
                    job.completion_date = Some(job.creation_date);
                    job.data = None;
                    None
                }
                None => {
                    job.state = JobState::Running;
                    job.data.clone().map(|data| {
                        (
                            job.provider,
                            CopyRequest {
                                data,
                                source_region: region.to_owned(),
                                dest_region: job.destination_region.clone(),
                                job_id: job.id.clone(),
                                resource_arn: job.resource_arn.clone(),
                            },
                        )
                    })
                }
            }
        };
        let Some((provider, request)) = prepared else {
            self.audit_copy_end(region, id);
            return;
        };
        let Some(provider) = self.providers.get(provider).cloned() else {
            return;
        };
        let answer = provider.copy_to_region(request).await;
        let duration = self.env.config.timings.backup_job_duration;
        let mut st = self.state.lock();
        let Some(job) = st.region(region).copy_jobs.iter_mut().find(|j| j.id == id) else {
            return;
        };
        match answer {
            Ok(data) => {
                job.destination_recovery_point_arn = Some(data.native_arn.clone().unwrap_or_else(|| {
                    format!(
                        "arn:aws:backup:{}:{}:recovery-point:{}",
                        job.destination_region,
                        self.account(),
                        upper_uuid()
                    )
                }));
                job.size_bytes = data.size_bytes;
                job.data = Some(data);
                job.completion_date = Some(saturating_after(job.creation_date, duration));
            }
            Err(e) => {
                job.state = JobState::Failed;
                job.status_message = Some(e.to_string());
                job.completion_date = Some(job.creation_date);
                job.data = None;
                drop(st);
                self.audit_copy_end(region, id);
            }
        }
    }

    pub(crate) fn audit_copy_end(&self, region: &str, id: &str) {
        let job = {
            let mut st = self.state.lock();
            st.region(region).copy_jobs.iter().find(|j| j.id == id).cloned()
        };
        if let Some(job) = job {
            self.audit_result(
                &job.principal,
                "CopyJobCompleted",
                region,
                &job.source_recovery_point_arn,
                if job.state == JobState::Completed {
                    "Success"
                } else {
                    "FAILED"
                },
            );
        }
    }

    /// `DescribeCopyJob`.
    pub fn describe_copy_job(&self, region: &str, id: &str) -> BackupResult<CopyJob> {
        let mut st = self.state.lock();
        st.region(region)
            .copy_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Copy job {id} not found")))
    }

    /// `ListCopyJobs`.
    pub fn list_copy_jobs(&self, region: &str, f: &CopyJobFilter) -> Vec<CopyJob> {
        let mut st = self.state.lock();
        st.region(region)
            .copy_jobs
            .iter()
            .filter(|j| f.state.as_deref().is_none_or(|s| s == j.state.copy_str()))
            .filter(|j| f.resource_arn.as_deref().is_none_or(|s| s == j.resource_arn))
            .filter(|j| {
                f.destination_vault_arn
                    .as_deref()
                    .is_none_or(|s| s == j.destination_vault_arn)
            })
            .filter(|j| f.resource_type.as_deref().is_none_or(|s| s == j.resource_type))
            .filter(|j| {
                f.source_recovery_point_arn
                    .as_deref()
                    .is_none_or(|s| s == j.source_recovery_point_arn)
            })
            .filter(|j| within(j.creation_date, f.created_after, f.created_before))
            .filter(|j| {
                let done = matches!(j.state, JobState::Completed | JobState::Failed);
                completed_within(
                    j.completion_date.filter(|_| done),
                    f.complete_after,
                    f.complete_before,
                )
            })
            .cloned()
            .collect()
    }

    // ----- recovery points -----

    /// `ListRecoveryPointsByBackupVault`.
    pub fn list_recovery_points_by_vault(
        &self,
        region: &str,
        vault: &str,
        f: &RecoveryPointFilter,
    ) -> BackupResult<Vec<RecoveryPoint>> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.vaults.contains_key(vault) {
            return Err(vault_not_found(vault));
        }
        let mut out: Vec<RecoveryPoint> = rs
            .recovery_points
            .values()
            .filter(|rp| rp.vault_name == vault)
            .filter(|rp| f.resource_arn.as_deref().is_none_or(|s| s == rp.resource_arn))
            .filter(|rp| f.resource_type.as_deref().is_none_or(|s| s == rp.resource_type))
            .filter(|rp| {
                f.plan_id
                    .as_deref()
                    .is_none_or(|s| rp.created_by.as_ref().is_some_and(|c| c.plan_id == s))
            })
            .filter(|rp| f.created_after.is_none_or(|t| rp.creation_date > t))
            .filter(|rp| f.created_before.is_none_or(|t| rp.creation_date < t))
            .cloned()
            .collect();
        out.sort_by(|a, b| b.creation_date.cmp(&a.creation_date).then(a.arn.cmp(&b.arn)));
        Ok(out)
    }

    /// `ListRecoveryPointsByResource`.
    pub fn list_recovery_points_by_resource(&self, region: &str, resource_arn: &str) -> Vec<RecoveryPoint> {
        let mut st = self.state.lock();
        let mut out: Vec<RecoveryPoint> = st
            .region(region)
            .recovery_points
            .values()
            .filter(|rp| rp.resource_arn == resource_arn)
            .cloned()
            .collect();
        out.sort_by(|a, b| b.creation_date.cmp(&a.creation_date).then(a.arn.cmp(&b.arn)));
        out
    }

    /// `DescribeRecoveryPoint`.
    pub fn describe_recovery_point(
        &self,
        region: &str,
        vault: &str,
        arn: &str,
    ) -> BackupResult<RecoveryPoint> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.vaults.contains_key(vault) {
            return Err(vault_not_found(vault));
        }
        rs.recovery_points
            .get(arn)
            .filter(|rp| rp.vault_name == vault)
            .cloned()
            .ok_or_else(|| rp_not_found(arn))
    }

    /// `DeleteRecoveryPoint`: DELETING while the provider frees the data,
    /// then gone (or EXPIRED with the provider's message if it could not).
    pub async fn delete_recovery_point(
        &self,
        principal: &str,
        region: &str,
        vault: &str,
        arn: &str,
    ) -> BackupResult<()> {
        let result = (async {
            let (provider, data) = {
                let now = self.now();
                let mut st = self.state.lock();
                let rs = st.region(region);
                let v = rs.vaults.get(vault).ok_or_else(|| vault_not_found(vault))?;
                crate::access_policy::check(v, principal, self.account(), "backup:DeleteRecoveryPoint", arn)?;
                let lock = v.lock.clone();
                let rp = rs
                    .recovery_points
                    .get(arn)
                    .filter(|rp| rp.vault_name == vault)
                    .ok_or_else(|| rp_not_found(arn))?;
                if let Some(problem) = lock.and_then(|l| l.deletion_problem(rp, now)) {
                    return Err(BackupError::InvalidRequest(problem));
                }
                if in_use(rs, arn) {
                    return Err(BackupError::InvalidResourceState(format!(
                        "Backup is already performing an action on recovery point {arn} (a restore or a copy); try again later"
                    )));
                }
                let rp = rs
                    .recovery_points
                    .get_mut(arn)
                    .filter(|rp| rp.vault_name == vault)
                    .ok_or_else(|| rp_not_found(arn))?;
                if rp.status == RecoveryPointStatus::Deleting {
                    return Err(BackupError::InvalidResourceState(format!(
                        "Recovery point {arn} is already being deleted"
                    )));
                }
                rp.status = RecoveryPointStatus::Deleting;
                (rp.provider, rp.data.clone())
            };
            self.free_recovery_point(region, arn, provider, data, RecoveryPointStatus::Expired)
                .await;
            Ok(())
        })
        .await;
        self.audit(principal, "DeleteRecoveryPoint", region, arn, &result);
        result
    }

    /// `UpdateRecoveryPointLifecycle`: a new lifecycle, validated as a
    /// rule's is; a point already in cold storage keeps its transition.
    pub fn update_recovery_point_lifecycle(
        &self,
        principal: &str,
        region: &str,
        vault: &str,
        arn: &str,
        lifecycle: Lifecycle,
    ) -> BackupResult<RecoveryPoint> {
        let result = (|| {
            validate_lifecycle(&lifecycle)?;
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            let v = rs.vaults.get(vault).ok_or_else(|| vault_not_found(vault))?;
            crate::access_policy::check(
                v,
                principal,
                self.account(),
                "backup:UpdateRecoveryPointLifecycle",
                arn,
            )?;
            let lock = v.lock.clone();
            let rp = rs
                .recovery_points
                .get_mut(arn)
                .filter(|rp| rp.vault_name == vault)
                .ok_or_else(|| rp_not_found(arn))?;
            if let Some(problem) = lock.and_then(|l| l.lifecycle_change_problem(rp, &lifecycle)) {
                return Err(BackupError::InvalidRequest(problem));
            }
            if rp.status != RecoveryPointStatus::Completed {
                return Err(BackupError::InvalidRequest(format!(
                    "Recovery point {arn} is {} and its lifecycle cannot change",
                    rp.status.as_str()
                )));
            }
            let current_cold = rp
                .lifecycle
                .as_ref()
                .and_then(|l| l.move_to_cold_storage_after_days);
            if rp.storage_class(now) == "COLD" && lifecycle.move_to_cold_storage_after_days != current_cold {
                return Err(BackupError::invalid(
                    "The recovery point is already in cold storage; MoveToColdStorageAfterDays cannot change",
                ));
            }
            rp.lifecycle = (!lifecycle.is_empty()).then_some(lifecycle);
            Ok(rp.clone())
        })();
        self.audit(principal, "UpdateRecoveryPointLifecycle", region, arn, &result);
        result
    }

    /// `GetRecoveryPointRestoreMetadata`: the provider's metadata for the point.
    pub fn recovery_point_restore_metadata(
        &self,
        region: &str,
        vault: &str,
        arn: &str,
    ) -> BackupResult<(RecoveryPoint, BTreeMap<String, String>)> {
        let rp = self.describe_recovery_point(region, vault, arn)?;
        let metadata = self
            .providers
            .get(rp.provider)
            .map(|p| p.restore_metadata(&rp.data))
            .unwrap_or_default();
        Ok((rp, metadata))
    }

    /// Calls the provider's delete for a DELETING recovery point, then
    /// removes it, or leaves it in `on_failure` with the provider's message.
    pub(crate) async fn free_recovery_point(
        &self,
        region: &str,
        arn: &str,
        provider: usize,
        data: crate::provider::RecoveryPointData,
        on_failure: RecoveryPointStatus,
    ) -> bool {
        let answer = match self.providers.get(provider) {
            Some(p) => p.delete(data).await,
            None => Ok(()),
        };
        let mut st = self.state.lock();
        let rs = st.region(region);
        match answer {
            Ok(()) => {
                rs.recovery_points.remove(arn);
                true
            }
            Err(e) => {
                if let Some(rp) = rs.recovery_points.get_mut(arn) {
                    rp.status = on_failure;
                    rp.status_message = Some(format!("The recovery point's data could not be deleted: {e}"));
                }
                false
            }
        }
    }

    // ----- restore jobs -----

    /// `StartRestoreJob`: records a PENDING job and says whether it is new;
    /// the caller runs a new one with [`Engine::run_restore_job`] in the
    /// background. A retry with a known idempotency token gets the known job.
    #[allow(clippy::too_many_arguments)]
    pub fn start_restore_job(
        &self,
        principal: &str,
        region: &str,
        recovery_point_arn: &str,
        metadata: BTreeMap<String, String>,
        iam_role_arn: Option<String>,
        resource_type: Option<String>,
        idempotency_token: Option<String>,
    ) -> BackupResult<(RestoreJob, bool)> {
        let result = (|| {
            if let Some(token) = &idempotency_token {
                let mut st = self.state.lock();
                let known = st
                    .region(region)
                    .restore_jobs
                    .iter()
                    .find(|j| j.idempotency_token.as_ref() == Some(token))
                    .cloned();
                if let Some(job) = known {
                    return Ok((job, false));
                }
            }
            if recovery_point_arn.is_empty() {
                return Err(BackupError::missing("RecoveryPointArn"));
            }
            if metadata.is_empty() {
                return Err(BackupError::missing("Metadata"));
            }
            if let Some(t) = &resource_type
                && !rule_like_name_valid(t)
            {
                return Err(BackupError::invalid(format!(
                    "Invalid ResourceType {t:?}: it must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                )));
            }
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            let rp = rs
                .recovery_points
                .get(recovery_point_arn)
                .ok_or_else(|| rp_not_found(recovery_point_arn))?;
            if rp.status != RecoveryPointStatus::Completed {
                return Err(BackupError::InvalidRequest(format!(
                    "Recovery point {recovery_point_arn} is {} and cannot be restored",
                    rp.status.as_str()
                )));
            }
            if let Some(t) = &resource_type
                && t != &rp.resource_type
            {
                return Err(BackupError::invalid(format!(
                    "ResourceType {t} does not match the recovery point's resource type {}",
                    rp.resource_type
                )));
            }
            let job = RestoreJob {
                id: upper_uuid(),
                region: region.to_owned(),
                recovery_point_arn: rp.arn.clone(),
                source_resource_arn: rp.resource_arn.clone(),
                vault_arn: rp.vault_arn.clone(),
                creation_date: now,
                started: None,
                completion_date: None,
                state: JobState::Created,
                status_message: None,
                size_bytes: rp.size_bytes,
                iam_role_arn,
                created_resource_arn: None,
                resource_type: rp.resource_type.clone(),
                recovery_point_creation_date: rp.creation_date,
                metadata,
                idempotency_token,
                principal: principal.to_owned(),
            };
            rs.restore_jobs.push(job.clone());
            Ok((job, true))
        })();
        self.audit(principal, "StartRestoreJob", region, recovery_point_arn, &result);
        result
    }

    /// Runs a PENDING restore job: RUNNING while the provider restores,
    /// then COMPLETED once `backup_job_duration` has passed since its start
    /// (at once if it already has), or FAILED with the provider's message.
    pub async fn run_restore_job(&self, region: &str, id: &str) {
        let started = self.now();
        let prepared = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let Some(job) = rs.restore_jobs.iter_mut().find(|j| j.id == id) else {
                return;
            };
            job.state = JobState::Running;
            job.started = Some(started);
            let job = job.clone();
            rs.recovery_points.get(&job.recovery_point_arn).map(|rp| {
                (
                    rp.provider,
                    RestoreRequest {
                        region: region.to_owned(),
                        data: rp.data.clone(),
                        metadata: job.metadata.clone(),
                        job_id: job.id.clone(),
                        source_resource_arn: job.source_resource_arn.clone(),
                    },
                )
            })
        };
        let answer = match prepared {
            Some((provider, request)) => match self.providers.get(provider).cloned() {
                Some(p) => p.restore(request).await,
                None => Err(crate::provider::ProviderError::Failed(
                    "no provider for this recovery point".into(),
                )),
            },
            None => Err(crate::provider::ProviderError::NotFound(
                "The recovery point was deleted before the restore started".into(),
            )),
        };
        let now = self.now();
        let duration = self.env.config.timings.backup_job_duration;
        let mut ended = None;
        {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let Some(job) = rs.restore_jobs.iter_mut().find(|j| j.id == id) else {
                return;
            };
            match answer {
                Ok(arn) => {
                    job.created_resource_arn = Some(arn);
                    if now >= saturating_after(started, duration) {
                        job.state = JobState::Completed;
                        job.completion_date = Some(now);
                        ended = Some(job.clone());
                    }
                    let rp_arn = job.recovery_point_arn.clone();
                    if let Some(rp) = rs.recovery_points.get_mut(&rp_arn) {
                        rp.last_restore_time = Some(now);
                    }
                }
                Err(e) => {
                    job.state = JobState::Failed;
                    job.status_message = Some(e.to_string());
                    job.completion_date = Some(now);
                    ended = Some(job.clone());
                }
            }
        }
        if let Some(job) = ended {
            self.audit_restore_end(&job);
        }
    }

    pub(crate) fn audit_restore_end(&self, job: &RestoreJob) {
        let result = match job.state {
            JobState::Completed => "Success".to_owned(),
            _ => "FAILED".to_owned(),
        };
        self.audit_result(
            &job.principal,
            "RestoreJobCompleted",
            &job.region,
            &job.recovery_point_arn,
            &result,
        );
    }

    /// `DescribeRestoreJob`.
    pub fn describe_restore_job(&self, region: &str, id: &str) -> BackupResult<RestoreJob> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Restore job {id} not found")))
    }

    /// `ListRestoreJobs` and `ListRestoreJobsByProtectedResource`.
    pub fn list_restore_jobs(&self, region: &str, f: &RestoreJobFilter) -> Vec<RestoreJob> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_jobs
            .iter()
            .filter(|j| f.status.as_deref().is_none_or(|s| s == j.state.restore_str()))
            .filter(|j| f.resource_type.as_deref().is_none_or(|s| s == j.resource_type))
            .filter(|j| {
                f.source_resource_arn
                    .as_deref()
                    .is_none_or(|s| s == j.source_resource_arn)
            })
            .filter(|j| within(j.creation_date, f.created_after, f.created_before))
            .filter(|j| completed_within(j.completion_date, f.complete_after, f.complete_before))
            .filter(|j| {
                within(
                    j.recovery_point_creation_date,
                    f.recovery_point_created_after,
                    f.recovery_point_created_before,
                )
            })
            .cloned()
            .collect()
    }

    /// The newest completed restore job of the resource `arn`.
    pub fn latest_restore(&self, region: &str, arn: &str) -> Option<RestoreJob> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_jobs
            .iter()
            .filter(|j| j.source_resource_arn == arn && j.state == JobState::Completed)
            .max_by_key(|j| j.creation_date)
            .cloned()
    }

    /// `ListProtectedResourcesByBackupVault`: each resource with a recovery
    /// point in the vault, described by its newest one there.
    pub fn list_protected_resources_by_vault(
        &self,
        region: &str,
        vault: &str,
    ) -> BackupResult<Vec<(String, ProtectedInfo)>> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.vaults.contains_key(vault) {
            return Err(vault_not_found(vault));
        }
        let mut newest: BTreeMap<String, &RecoveryPoint> = BTreeMap::new();
        for rp in rs.recovery_points.values().filter(|rp| rp.vault_name == vault) {
            let slot = newest.entry(rp.resource_arn.clone()).or_insert(rp);
            if rp.creation_date > slot.creation_date {
                *slot = rp;
            }
        }
        Ok(newest
            .into_iter()
            .map(|(arn, rp)| {
                let info = ProtectedInfo {
                    resource_type: rp.resource_type.clone(),
                    resource_name: rp.resource_name.clone(),
                    last_backup_time: rp.creation_date,
                    last_vault_arn: rp.vault_arn.clone(),
                    last_recovery_point_arn: rp.arn.clone(),
                };
                (arn, info)
            })
            .collect())
    }

    // ----- protected resources and tags -----

    /// `ListProtectedResources`: resources with at least one backup.
    pub fn list_protected_resources(&self, region: &str) -> Vec<(String, ProtectedInfo)> {
        let mut st = self.state.lock();
        st.region(region)
            .protected
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `DescribeProtectedResource`.
    pub fn describe_protected_resource(&self, region: &str, arn: &str) -> BackupResult<ProtectedInfo> {
        let mut st = self.state.lock();
        st.region(region)
            .protected
            .get(arn)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Resource {arn} has no backups")))
    }

    fn with_tags<T>(
        &self,
        region: &str,
        arn: &str,
        f: impl FnOnce(&mut BTreeMap<String, String>) -> T,
    ) -> BackupResult<T> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if let Some(v) = rs.vaults.values_mut().find(|v| v.arn == arn) {
            return Ok(f(&mut v.tags));
        }
        if let Some(p) = rs
            .plans
            .values_mut()
            .find(|p| p.arn == arn && p.deletion_date.is_none())
        {
            return Ok(f(&mut p.tags));
        }
        if let Some(rp) = rs.recovery_points.get_mut(arn) {
            return Ok(f(&mut rp.tags));
        }
        Err(BackupError::not_found(format!("Resource {arn} not found")))
    }

    /// `TagResource`.
    pub fn tag_resource(
        &self,
        principal: &str,
        region: &str,
        arn: &str,
        tags: BTreeMap<String, String>,
    ) -> BackupResult<()> {
        let result = validate_tags("Tags", &tags).and_then(|()| {
            self.with_tags(region, arn, |t| {
                let mut merged = t.clone();
                merged.extend(tags);
                validate_tags("Tags", &merged)?;
                *t = merged;
                Ok(())
            })?
        });
        self.audit(principal, "TagResource", region, arn, &result);
        result
    }

    /// `UntagResource`.
    pub fn untag_resource(
        &self,
        principal: &str,
        region: &str,
        arn: &str,
        keys: &[String],
    ) -> BackupResult<()> {
        let result = self.with_tags(region, arn, |t| {
            for k in keys {
                t.remove(k);
            }
        });
        self.audit(principal, "UntagResource", region, arn, &result);
        result
    }

    /// `ListTags`.
    pub fn list_tags(&self, region: &str, arn: &str) -> BackupResult<BTreeMap<String, String>> {
        self.with_tags(region, arn, |t| t.clone())
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
