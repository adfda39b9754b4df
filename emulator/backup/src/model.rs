//! The things AWS Backup keeps: vaults, plans and their versions, rules,
//! selections, recovery points and the three kinds of job, plus the input
//! shapes the engine takes (deserialisable from AWS's JSON member names,
//! which is all the engine knows of the wire).

// Dates meet client numbers here: no operator that can overflow or panic
// (`DateTime + TimeDelta`, unchecked integer arithmetic); see `crate::time`.
#![warn(clippy::arithmetic_side_effects)]

use crate::cron::CronSchedule;
use crate::provider::RecoveryPointData;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// AWS's default schedule when a rule names none.
pub const DEFAULT_SCHEDULE: &str = "cron(0 5 ? * * *)";
/// AWS's default start window (8 hours).
pub const DEFAULT_START_WINDOW_MINUTES: i64 = 480;
/// AWS's default completion window (7 days).
pub const DEFAULT_COMPLETION_WINDOW_MINUTES: i64 = 10080;
/// The shortest start window AWS accepts.
pub const MIN_START_WINDOW_MINUTES: i64 = 60;
/// The longest start or completion window AWS accepts (100 years).
pub const MAX_WINDOW_MINUTES: i64 = 52_560_000;
/// The longest lifecycle AWS accepts, in days (100 years).
pub const MAX_LIFECYCLE_DAYS: i64 = 36_500;
/// The longest retention of a continuous backup.
pub const MAX_CONTINUOUS_RETENTION_DAYS: i64 = 35;
/// How long a recovery point must stay in cold storage.
pub const MIN_COLD_STORAGE_DAYS: i64 = 90;

/// When a recovery point moves to cold storage and when it is deleted,
/// in days after its creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lifecycle {
    /// Days until the recovery point moves to cold storage.
    pub move_to_cold_storage_after_days: Option<i64>,
    /// Days until the recovery point is deleted.
    pub delete_after_days: Option<i64>,
    /// Opt-in to archive tiers for supported resources (recorded only).
    pub opt_in_to_archive_for_supported_resources: Option<bool>,
}

/// A lifecycle as instants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CalculatedLifecycle {
    /// When the recovery point moves to cold storage.
    pub move_to_cold_storage_at: Option<DateTime<Utc>>,
    /// When it is deleted.
    pub delete_at: Option<DateTime<Utc>>,
}

impl Lifecycle {
    /// Whether the lifecycle says anything.
    pub fn is_empty(&self) -> bool {
        self.move_to_cold_storage_after_days.is_none() && self.delete_after_days.is_none()
    }

    /// The lifecycle's instants for a recovery point created at `created`
    /// (none for a number of days past what chrono can hold, which the
    /// validation before storing never lets in).
    pub fn calculate(&self, created: DateTime<Utc>) -> CalculatedLifecycle {
        let days = |d: Option<i64>| d.and_then(|d| crate::time::after_days(created, d));
        CalculatedLifecycle {
            move_to_cold_storage_at: days(self.move_to_cold_storage_after_days),
            delete_at: days(self.delete_after_days),
        }
    }
}

/// A copy of each recovery point a rule makes, into another vault.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopyAction {
    /// The destination vault's ARN (its region is where the copy goes).
    pub destination_backup_vault_arn: Option<String>,
    /// The copy's own lifecycle (the source's when absent).
    pub lifecycle: Option<Lifecycle>,
}

/// A rule as a client sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleInput {
    /// The rule's name, unique in its plan.
    pub rule_name: Option<String>,
    /// The vault recovery points go to (in the plan's region).
    pub target_backup_vault_name: Option<String>,
    /// AWS's six-field cron expression.
    pub schedule_expression: Option<String>,
    /// The schedule's time zone (only UTC is supported).
    pub schedule_expression_timezone: Option<String>,
    /// Minutes after the scheduled instant a job must start within.
    pub start_window_minutes: Option<i64>,
    /// Minutes after starting a job must complete within.
    pub completion_window_minutes: Option<i64>,
    /// The recovery points' lifecycle.
    pub lifecycle: Option<Lifecycle>,
    /// Tags put on each recovery point.
    pub recovery_point_tags: Option<BTreeMap<String, String>>,
    /// Copies made after each backup.
    pub copy_actions: Option<Vec<CopyAction>>,
    /// Continuous backups (point-in-time restore) instead of snapshots.
    pub enable_continuous_backup: Option<bool>,
}

/// A plan document as a client sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlanInput {
    /// The plan's display name.
    pub backup_plan_name: Option<String>,
    /// Its rules.
    pub rules: Option<Vec<RuleInput>>,
    /// Per-resource-type options, kept as given.
    pub advanced_backup_settings: Option<serde_json::Value>,
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's id, kept across plan versions while its name stays.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// The vault recovery points go to.
    pub target_backup_vault_name: String,
    /// The schedule as given.
    pub schedule_expression: String,
    /// The parsed schedule.
    pub schedule: CronSchedule,
    /// The start window in minutes.
    pub start_window_minutes: i64,
    /// The completion window in minutes.
    pub completion_window_minutes: i64,
    /// The recovery points' lifecycle.
    pub lifecycle: Option<Lifecycle>,
    /// Tags put on each recovery point.
    pub recovery_point_tags: BTreeMap<String, String>,
    /// Copies made after each backup.
    pub copy_actions: Vec<CopyAction>,
    /// Continuous backups.
    pub enable_continuous_backup: bool,
}

/// One version of a plan document.
#[derive(Debug, Clone)]
pub struct PlanVersion {
    /// The version's id.
    pub version_id: String,
    /// The plan's name in this version.
    pub plan_name: String,
    /// The rules in this version.
    pub rules: Vec<Rule>,
    /// Advanced settings as given.
    pub advanced_backup_settings: Option<serde_json::Value>,
    /// When this version was made.
    pub created: DateTime<Utc>,
    /// When this version was replaced or the plan deleted.
    pub deleted: Option<DateTime<Utc>>,
}

/// A backup plan, living in the region where it was created.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The plan's id.
    pub id: String,
    /// The plan's ARN.
    pub arn: String,
    /// The region the plan runs in.
    pub region: String,
    /// The client's idempotency id.
    pub creator_request_id: Option<String>,
    /// When the plan was created.
    pub creation_date: DateTime<Utc>,
    /// When the plan was deleted.
    pub deletion_date: Option<DateTime<Utc>>,
    /// Every version, oldest first; the last is current.
    pub versions: Vec<PlanVersion>,
    /// When a scheduled run last created jobs.
    pub last_execution_date: Option<DateTime<Utc>>,
    /// The instant up to which the schedule has been run.
    pub schedule_cursor: DateTime<Utc>,
    /// The plan's tags.
    pub tags: BTreeMap<String, String>,
    /// Selections by id.
    pub selections: BTreeMap<String, Selection>,
}

impl Plan {
    /// The current version.
    pub fn current(&self) -> &PlanVersion {
        // A plan is created with one version, and versions are only ever
        // pushed (engine::plans), never removed.
        #[allow(
            clippy::expect_used,
            reason = "a plan always has the version it was created with"
        )]
        self.versions.last().expect("a plan has a version")
    }
}

/// A tag condition: `ConditionKey` (a tag key, or `aws:ResourceTag/<key>`)
/// and `ConditionValue`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TagCondition {
    /// The tag key.
    #[serde(rename = "ConditionKey", default)]
    pub key: String,
    /// The value (a pattern for the `Like` conditions).
    #[serde(rename = "ConditionValue", default)]
    pub value: String,
}

/// A `ListOfTags` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListOfTagsEntry {
    /// Only `STRINGEQUALS`.
    pub condition_type: Option<String>,
    /// The tag key.
    pub condition_key: Option<String>,
    /// The tag value.
    pub condition_value: Option<String>,
}

/// The `Conditions` of a selection; every one must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Conditions {
    /// Tag equals.
    #[serde(default)]
    pub string_equals: Vec<TagCondition>,
    /// Tag absent or different.
    #[serde(default)]
    pub string_not_equals: Vec<TagCondition>,
    /// Tag matches a `*`/`?` pattern.
    #[serde(default)]
    pub string_like: Vec<TagCondition>,
    /// Tag absent or not matching a pattern.
    #[serde(default)]
    pub string_not_like: Vec<TagCondition>,
}

impl Conditions {
    /// Whether any condition is given.
    pub fn any(&self) -> bool {
        !(self.string_equals.is_empty()
            && self.string_not_equals.is_empty()
            && self.string_like.is_empty()
            && self.string_not_like.is_empty())
    }
}

/// A selection as a client sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SelectionInput {
    /// The selection's name.
    pub selection_name: Option<String>,
    /// The role AWS Backup would assume.
    pub iam_role_arn: Option<String>,
    /// ARNs, with wildcards.
    pub resources: Option<Vec<String>>,
    /// ARNs excluded, with wildcards.
    pub not_resources: Option<Vec<String>>,
    /// Tag equalities, OR'ed.
    pub list_of_tags: Option<Vec<ListOfTagsEntry>>,
    /// Tag conditions, AND'ed.
    pub conditions: Option<Conditions>,
}

/// A validated selection.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The selection's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The role.
    pub iam_role_arn: String,
    /// ARN patterns.
    pub resources: Vec<String>,
    /// Excluded ARN patterns.
    pub not_resources: Vec<String>,
    /// Tag equalities (OR'ed).
    pub list_of_tags: Vec<TagCondition>,
    /// Tag conditions (AND'ed).
    pub conditions: Conditions,
    /// When it was created.
    pub creation_date: DateTime<Utc>,
    /// The client's idempotency id.
    pub creator_request_id: Option<String>,
}

/// A backup vault.
#[derive(Debug, Clone)]
pub struct Vault {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The KMS key recovery points are encrypted with.
    pub encryption_key_arn: String,
    /// Whether the key was the client's own.
    pub customer_managed_key: bool,
    /// When it was created.
    pub creation_date: DateTime<Utc>,
    /// The client's idempotency id.
    pub creator_request_id: Option<String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its Vault Lock, if one was put.
    pub lock: Option<crate::vault_lock::VaultLock>,
    /// Its access policy, if one was put.
    pub access_policy: Option<crate::access_policy::AccessPolicy>,
    /// Its notification configuration, if one was put.
    pub notifications: Option<VaultNotifications>,
}

/// Where and on which events a vault's notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultNotifications {
    /// The SNS topic.
    pub sns_topic_arn: String,
    /// The `BackupVaultEvent`s, as given.
    pub events: Vec<String>,
}

/// Which plan and rule made a recovery point or job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    /// The plan's id.
    pub plan_id: String,
    /// The plan's ARN.
    pub plan_arn: String,
    /// The plan's name.
    pub plan_name: String,
    /// The plan version in force.
    pub plan_version: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// The rule's schedule.
    pub rule_cron: String,
}

/// A recovery point's status, as AWS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryPointStatus {
    /// Usable.
    Completed,
    /// Being deleted.
    Deleting,
    /// Past its lifecycle but its data could not be deleted.
    Expired,
}

impl RecoveryPointStatus {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "COMPLETED",
            Self::Deleting => "DELETING",
            Self::Expired => "EXPIRED",
        }
    }
}

/// A recovery point in a vault.
#[derive(Debug, Clone)]
pub struct RecoveryPoint {
    /// Its ARN.
    pub arn: String,
    /// The region it lives in.
    pub region: String,
    /// The vault's name.
    pub vault_name: String,
    /// The vault's ARN.
    pub vault_arn: String,
    /// For a copy, the vault it was copied from.
    pub source_vault_arn: Option<String>,
    /// The resource it protects.
    pub resource_arn: String,
    /// AWS Backup's resource type.
    pub resource_type: String,
    /// The resource's name.
    pub resource_name: String,
    /// The plan and rule that made it.
    pub created_by: Option<Creator>,
    /// The role used.
    pub iam_role_arn: String,
    /// Its status.
    pub status: RecoveryPointStatus,
    /// Why it is in that status.
    pub status_message: Option<String>,
    /// When its job was created (the scheduled instant for scheduled runs).
    pub creation_date: DateTime<Utc>,
    /// When its job completed.
    pub completion_date: DateTime<Utc>,
    /// Its size.
    pub size_bytes: u64,
    /// Its lifecycle.
    pub lifecycle: Option<Lifecycle>,
    /// The vault's key.
    pub encryption_key_arn: String,
    /// Whether that key is the client's own (`CUSTOMER_MANAGED_KMS_KEY`).
    pub customer_managed_key: bool,
    /// When it was last restored from.
    pub last_restore_time: Option<DateTime<Utc>>,
    /// Whether it is a continuous backup.
    pub continuous: bool,
    /// The provider that holds its data.
    pub provider: usize,
    /// The data.
    pub data: RecoveryPointData,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl RecoveryPoint {
    /// Its lifecycle as instants: from its creation for a snapshot, from
    /// its last update for a continuous recovery point (which lives as long
    /// as its rule keeps running).
    pub fn calculated_lifecycle(&self) -> CalculatedLifecycle {
        let base = if self.continuous {
            self.completion_date
        } else {
            self.creation_date
        };
        self.lifecycle
            .as_ref()
            .map(|l| l.calculate(base))
            .unwrap_or_default()
    }

    /// `WARM` or `COLD` at `now`.
    pub fn storage_class(&self, now: DateTime<Utc>) -> &'static str {
        match self.calculated_lifecycle().move_to_cold_storage_at {
            Some(at) if at <= now => "COLD",
            _ => "WARM",
        }
    }
}

/// A backup job's state, as AWS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupJobState {
    /// Created, not started.
    Created,
    /// Running.
    Running,
    /// Done; the recovery point exists.
    Completed,
    /// The provider failed.
    Failed,
    /// The job did not start within its start window or complete within
    /// its completion window.
    Expired,
    /// Stopped by `StopBackupJob`.
    Aborted,
}

impl BackupJobState {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Expired => "EXPIRED",
            Self::Aborted => "ABORTED",
        }
    }

    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Created | Self::Running)
    }
}

/// A copy or restore job's state (copy: CREATED, RUNNING, COMPLETED,
/// FAILED; restore: PENDING, RUNNING, COMPLETED, FAILED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Created, not started (`CREATED` for copies, `PENDING` for restores).
    Created,
    /// Running.
    Running,
    /// Done.
    Completed,
    /// Failed.
    Failed,
}

impl JobState {
    /// AWS's name for a copy job.
    pub fn copy_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }

    /// AWS's name for a restore job.
    pub fn restore_str(self) -> &'static str {
        match self {
            Self::Created => "PENDING",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }
}

/// A backup job.
#[derive(Debug, Clone)]
pub struct BackupJob {
    /// Its id.
    pub id: String,
    /// The region it runs in.
    pub region: String,
    /// The target vault's name.
    pub vault_name: String,
    /// The target vault's ARN.
    pub vault_arn: String,
    /// The resource.
    pub resource_arn: String,
    /// The resource's type.
    pub resource_type: String,
    /// The resource's name.
    pub resource_name: String,
    /// The role.
    pub iam_role_arn: String,
    /// Its state.
    pub state: BackupJobState,
    /// Why it is in that state.
    pub status_message: Option<String>,
    /// When it was created (a scheduled run's cron instant).
    pub creation_date: DateTime<Utc>,
    /// When it must have started.
    pub start_by: DateTime<Utc>,
    /// When it started.
    pub started: Option<DateTime<Utc>>,
    /// When it is expected to complete.
    pub expected_completion_date: Option<DateTime<Utc>>,
    /// When it completed, failed or expired.
    pub completion_date: Option<DateTime<Utc>>,
    /// Its completion window in minutes.
    pub completion_window_minutes: i64,
    /// The lifecycle the recovery point gets.
    pub lifecycle: Option<Lifecycle>,
    /// The recovery point's ARN, once known.
    pub recovery_point_arn: Option<String>,
    /// The backup's size.
    pub size_bytes: u64,
    /// The plan and rule that made it.
    pub created_by: Option<Creator>,
    /// The provider.
    pub provider: usize,
    /// The data, between the provider's answer and completion.
    pub data: Option<RecoveryPointData>,
    /// Tags for the recovery point.
    pub recovery_point_tags: BTreeMap<String, String>,
    /// Copies to make when the job completes.
    pub copy_actions: Vec<CopyAction>,
    /// Continuous backup.
    pub continuous: bool,
    /// A later run of a continuous rule: it updates the existing continuous
    /// recovery point (`recovery_point_arn`) instead of making a new one.
    pub updates_recovery_point: bool,
    /// The client's idempotency token: a retry with it gets this job back.
    pub idempotency_token: Option<String>,
    /// Who started it, for the audit trail.
    pub principal: String,
    /// The `BackupOptions` it was started with.
    pub backup_options: BTreeMap<String, String>,
    /// The target vault's key, when the vault existed at the job's creation.
    pub encryption_key_arn: Option<String>,
}

/// A copy job, recorded in the source region.
#[derive(Debug, Clone)]
pub struct CopyJob {
    /// Its id.
    pub id: String,
    /// The account that owns it (`AccountId`): the source recovery
    /// point's, also in the destination account's list of a cross-account
    /// copy.
    pub account_id: String,
    /// The source region.
    pub source_region: String,
    /// The source vault's ARN.
    pub source_vault_arn: String,
    /// The source recovery point.
    pub source_recovery_point_arn: String,
    /// The destination vault's ARN.
    pub destination_vault_arn: String,
    /// The destination region.
    pub destination_region: String,
    /// The destination vault's name.
    pub destination_vault_name: String,
    /// The copy's ARN, once made.
    pub destination_recovery_point_arn: Option<String>,
    /// The copy's lifecycle.
    pub destination_lifecycle: Option<Lifecycle>,
    /// The resource.
    pub resource_arn: String,
    /// The resource's type.
    pub resource_type: String,
    /// The resource's name.
    pub resource_name: String,
    /// When it was created.
    pub creation_date: DateTime<Utc>,
    /// When it completes or completed.
    pub completion_date: Option<DateTime<Utc>>,
    /// Its state.
    pub state: JobState,
    /// Why it is in that state.
    pub status_message: Option<String>,
    /// The size copied.
    pub size_bytes: u64,
    /// The role.
    pub iam_role_arn: String,
    /// The plan and rule that made it.
    pub created_by: Option<Creator>,
    /// The backup job whose recovery point it copies.
    pub created_by_backup_job_id: Option<String>,
    /// The provider.
    pub provider: usize,
    /// The copied data, between the provider's answer and completion.
    pub data: Option<RecoveryPointData>,
    /// The source recovery point's creation date and continuity.
    pub source_creation_date: DateTime<Utc>,
    /// Whether the source is a continuous backup.
    pub continuous: bool,
    /// The client's idempotency token.
    pub idempotency_token: Option<String>,
    /// Who started it.
    pub principal: String,
}

/// A restore job, in the recovery point's region.
#[derive(Debug, Clone)]
pub struct RestoreJob {
    /// Its id.
    pub id: String,
    /// The region.
    pub region: String,
    /// The recovery point restored from.
    pub recovery_point_arn: String,
    /// The resource the recovery point protects.
    pub source_resource_arn: String,
    /// The vault holding the recovery point.
    pub vault_arn: String,
    /// When it was created.
    pub creation_date: DateTime<Utc>,
    /// When it started.
    pub started: Option<DateTime<Utc>>,
    /// When it completed or failed.
    pub completion_date: Option<DateTime<Utc>>,
    /// Its state.
    pub state: JobState,
    /// Why it is in that state.
    pub status_message: Option<String>,
    /// The recovery point's size.
    pub size_bytes: u64,
    /// The role.
    pub iam_role_arn: Option<String>,
    /// The new resource's ARN.
    pub created_resource_arn: Option<String>,
    /// How long the job runs once started: the restore-time model's figure
    /// for AWS Backup's own share of a restore (`backup_job_duration` on the
    /// `fast` preset).
    pub expected_duration: chrono::TimeDelta,
    /// The resource type.
    pub resource_type: String,
    /// The recovery point's creation date.
    pub recovery_point_creation_date: DateTime<Utc>,
    /// The restore metadata given.
    pub metadata: BTreeMap<String, String>,
    /// The client's idempotency token.
    pub idempotency_token: Option<String>,
    /// Who started it.
    pub principal: String,
    /// The restore test that started it, for a job a restore testing
    /// plan's run started (`CreatedBy`); `None` for `StartRestoreJob`.
    pub restore_test: Option<RestoreTest>,
}

/// What a restore job started by a restore testing plan carries: the plan
/// (`CreatedBy.RestoreTestingPlanArn`), its validation and the deletion of
/// the resource it restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreTest {
    /// The restore testing plan's ARN.
    pub plan_arn: String,
    /// The restore testing plan's name.
    pub plan_name: String,
    /// The selection that chose the recovery point.
    pub selection_name: String,
    /// Hours the restored resource is kept for validation after the job
    /// completes (the selection's `ValidationWindowHours`, 0 when unset).
    pub validation_window_hours: i64,
    /// `ValidationStatus` (`FAILED`, `SUCCESSFUL`, `TIMED_OUT`, `VALIDATING`), once put.
    pub validation_status: Option<String>,
    /// `ValidationStatusMessage`.
    pub validation_status_message: Option<String>,
    /// When a final validation result (anything but `VALIDATING`) was put:
    /// the restored resource is deleted then, before the window closes.
    pub validated_at: Option<DateTime<Utc>>,
    /// `DeletionStatus` of the restored resource (`DELETING`, `FAILED`, `SUCCESSFUL`).
    pub deletion_status: Option<String>,
    /// `DeletionStatusMessage`.
    pub deletion_status_message: Option<String>,
}

/// What AWS Backup remembers of a protected resource's last backup.
#[derive(Debug, Clone)]
pub struct ProtectedInfo {
    /// The resource type.
    pub resource_type: String,
    /// The resource name.
    pub resource_name: String,
    /// When it was last backed up.
    pub last_backup_time: DateTime<Utc>,
    /// Where.
    pub last_vault_arn: String,
    /// The last recovery point.
    pub last_recovery_point_arn: String,
}
