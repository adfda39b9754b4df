//! Restore testing plans (`CreateRestoreTestingPlan`,
//! `GetRestoreTestingPlan`, `ListRestoreTestingPlans`,
//! `UpdateRestoreTestingPlan`, `DeleteRestoreTestingPlan`) and their
//! selections (`CreateRestoreTestingSelection`, `Get`, `List`, `Update`,
//! `Delete`), each checked as AWS checks it before any state changes. A
//! plan with selections cannot be deleted (AWS: delete its selections
//! first). Their scheduled runs are [`super::restore_test_runs`].

use super::*;

/// `RestoreTestingRecoveryPointSelection`: which recovery points a plan's
/// runs may restore.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryPointSelection {
    /// `LATEST_WITHIN_WINDOW` or `RANDOM_WITHIN_WINDOW`.
    pub algorithm: Option<String>,
    /// Vault ARNs (or `*`) whose points may be chosen.
    pub include_vaults: Option<Vec<String>>,
    /// Vault ARNs whose points may not.
    pub exclude_vaults: Option<Vec<String>>,
    /// `CONTINUOUS` and/or `SNAPSHOT`.
    pub recovery_point_types: Option<Vec<String>>,
    /// How many days back a point may be (1 to 365, default 30).
    pub selection_window_days: Option<i64>,
}

/// A restore testing plan.
#[derive(Debug, Clone)]
pub struct RestoreTestingPlan {
    /// Its name (unique in the region).
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The cron or rate expression of its runs.
    pub schedule_expression: String,
    /// Its time zone (UTC only).
    pub schedule_expression_timezone: Option<String>,
    /// Hours a run may take to start (1 to 168).
    pub start_window_hours: Option<i64>,
    /// Which recovery points its runs choose from.
    pub recovery_point_selection: RecoveryPointSelection,
    /// The client's request id.
    pub creator_request_id: Option<String>,
    /// When it was created.
    pub creation_time: DateTime<Utc>,
    /// When it was last updated.
    pub last_update_time: Option<DateTime<Utc>>,
    /// When it last ran.
    pub last_execution_time: Option<DateTime<Utc>>,
    /// The instant up to which its schedule has been run (its creation at
    /// first): the scheduler runs the cron instants after it.
    pub schedule_cursor: DateTime<Utc>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// The parts of a plan `UpdateRestoreTestingPlan` may change.
#[derive(Debug, Clone, Default)]
pub struct RestoreTestingPlanUpdate {
    /// A new schedule.
    pub schedule_expression: Option<String>,
    /// A new time zone.
    pub schedule_expression_timezone: Option<String>,
    /// A new start window.
    pub start_window_hours: Option<i64>,
    /// A new selection (replacing the whole selection).
    pub recovery_point_selection: Option<RecoveryPointSelection>,
}

/// `ProtectedResourceConditions`: tag conditions on the resources a
/// selection with the `*` wildcard takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceConditions {
    /// Tags a resource must have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub string_equals: Vec<KeyValue>,
    /// Tags a resource must not have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub string_not_equals: Vec<KeyValue>,
}

/// One tag condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValue {
    /// The tag's key.
    pub key: String,
    /// The tag's value.
    pub value: String,
}

/// A restore testing selection: which protected resources of one type a
/// plan's runs restore.
#[derive(Debug, Clone)]
pub struct RestoreTestingSelection {
    /// The plan it belongs to.
    pub plan_name: String,
    /// What it selects and how it restores.
    pub spec: SelectionSpec,
    /// When it was created.
    pub creation_time: DateTime<Utc>,
    /// When it was last updated.
    pub update_time: Option<DateTime<Utc>>,
}

/// The parts of a selection `UpdateRestoreTestingSelection` may change.
#[derive(Debug, Clone, Default)]
pub struct RestoreTestingSelectionUpdate {
    /// A new role.
    pub iam_role_arn: Option<String>,
    /// New resource ARNs.
    pub protected_resource_arns: Option<Vec<String>>,
    /// New tag conditions.
    pub protected_resource_conditions: Option<ResourceConditions>,
    /// New metadata overrides.
    pub restore_metadata_overrides: Option<BTreeMap<String, String>>,
    /// A new validation window.
    pub validation_window_hours: Option<i64>,
}

/// The resource types a restore testing selection may name (the AWS Backup
/// developer guide's list).
pub const SELECTION_RESOURCE_TYPES: &[&str] = &[
    "Aurora",
    "DocumentDB",
    "DynamoDB",
    "EBS",
    "EC2",
    "EFS",
    "FSx",
    "Neptune",
    "RDS",
    "S3",
];

/// How many specific ARNs a selection may name.
const MAX_SELECTION_ARNS: usize = 30;

/// AWS's pattern for a selection's name: letters, digits and underscores,
/// 50 characters at most.
fn selection_name_valid(name: &str) -> bool {
    !name.is_empty() && name.len() <= 50 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks what a selection picks: specific ARNs (at most 30) or the `*`
/// wildcard, tag conditions only with the wildcard, one of the two at
/// least.
fn validate_resources(arns: &[String], conditions: Option<&ResourceConditions>) -> BackupResult<()> {
    let wildcard = arns.iter().any(|a| a == "*");
    if wildcard && arns.len() > 1 {
        return Err(BackupError::invalid(
            "ProtectedResourceArns takes either specific ARNs or the wildcard \"*\", not both",
        ));
    }
    if arns.is_empty() && conditions.is_none() {
        return Err(BackupError::missing(
            "RestoreTestingSelection.ProtectedResourceArns or ProtectedResourceConditions",
        ));
    }
    if conditions.is_some() && !arns.is_empty() && !wildcard {
        return Err(BackupError::invalid(
            "ProtectedResourceConditions go with ProtectedResourceArns [\"*\"] only, not with specific ARNs",
        ));
    }
    if arns.len() > MAX_SELECTION_ARNS {
        return Err(BackupError::invalid(format!(
            "ProtectedResourceArns names {} resources; at most {MAX_SELECTION_ARNS} are allowed",
            arns.len()
        )));
    }
    if let Some(bad) = arns.iter().find(|a| *a != "*" && Arn::parse(a).is_err()) {
        return Err(BackupError::invalid(format!("Invalid ARN: {bad}")));
    }
    if let Some(c) = conditions
        && c.string_equals
            .iter()
            .chain(&c.string_not_equals)
            .any(|kv| kv.key.is_empty())
    {
        return Err(BackupError::invalid(
            "A ProtectedResourceConditions key cannot be empty",
        ));
    }
    Ok(())
}

fn validate_validation_window(hours: Option<i64>) -> BackupResult<()> {
    match hours {
        Some(h) if !(0..=168).contains(&h) => Err(BackupError::invalid(format!(
            "ValidationWindowHours {h} is out of range: it must be between 0 and 168"
        ))),
        _ => Ok(()),
    }
}

fn validate_role(arn: &str) -> BackupResult<()> {
    if arn.is_empty() {
        return Err(BackupError::missing("RestoreTestingSelection.IamRoleArn"));
    }
    match Arn::parse(arn) {
        Ok(a) if a.service == "iam" && a.resource.starts_with("role/") => Ok(()),
        _ => Err(BackupError::invalid(format!("Invalid IamRoleArn: {arn}"))),
    }
}

fn selection_not_found(plan: &str, name: &str) -> BackupError {
    BackupError::not_found(format!(
        "Restore testing selection {name} not found in restore testing plan {plan}"
    ))
}

/// What a selection selects and how it restores: the input of
/// `CreateRestoreTestingSelection`.
#[derive(Debug, Clone, Default)]
pub struct SelectionSpec {
    /// Its name (unique in the plan).
    pub name: String,
    /// The role AWS Backup restores with.
    pub iam_role_arn: String,
    /// `Aurora`, `DynamoDB`, `RDS`, `S3`, ...
    pub protected_resource_type: String,
    /// Specific resource ARNs (at most 30), or `["*"]`.
    pub protected_resource_arns: Vec<String>,
    /// Tag conditions (with `*` only).
    pub protected_resource_conditions: Option<ResourceConditions>,
    /// Restore metadata that replaces what AWS Backup infers.
    pub restore_metadata_overrides: BTreeMap<String, String>,
    /// Hours a restored resource is kept for validation (0 to 168).
    pub validation_window_hours: Option<i64>,
    /// The client's request id.
    pub creator_request_id: Option<String>,
}

/// AWS's pattern for a restore testing plan's name: a letter first, then
/// letters, digits and underscores, 50 characters at most.
fn plan_name_valid(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 50
}

fn validate_schedule(expression: &str, timezone: Option<&str>) -> BackupResult<()> {
    crate::cron::CronSchedule::parse(expression).map_err(|e| BackupError::invalid(e.to_string()))?;
    if let Some(tz) = timezone
        && !matches!(tz, "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT")
    {
        return Err(BackupError::invalid(format!(
            "ScheduleExpressionTimezone {tz:?} is not supported by firedrill; only UTC schedules are"
        )));
    }
    Ok(())
}

fn validate_start_window(hours: Option<i64>) -> BackupResult<()> {
    match hours {
        Some(h) if !(1..=168).contains(&h) => Err(BackupError::invalid(format!(
            "StartWindowHours {h} is out of range: it must be between 1 and 168"
        ))),
        _ => Ok(()),
    }
}

fn validate_selection(s: &RecoveryPointSelection) -> BackupResult<()> {
    let algorithm = s
        .algorithm
        .as_deref()
        .ok_or_else(|| BackupError::missing("RecoveryPointSelection.Algorithm"))?;
    if !matches!(algorithm, "LATEST_WITHIN_WINDOW" | "RANDOM_WITHIN_WINDOW") {
        return Err(BackupError::invalid(format!(
            "Invalid Algorithm {algorithm:?}: it must be LATEST_WITHIN_WINDOW or RANDOM_WITHIN_WINDOW"
        )));
    }
    let include = s
        .include_vaults
        .as_ref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| BackupError::missing("RecoveryPointSelection.IncludeVaults"))?;
    for vault in include.iter().chain(s.exclude_vaults.iter().flatten()) {
        if vault != "*" {
            parse_vault_arn(vault)?;
        }
    }
    let types = s
        .recovery_point_types
        .as_ref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| BackupError::missing("RecoveryPointSelection.RecoveryPointTypes"))?;
    if let Some(t) = types
        .iter()
        .find(|t| !matches!(t.as_str(), "CONTINUOUS" | "SNAPSHOT"))
    {
        return Err(BackupError::invalid(format!(
            "Invalid RecoveryPointType {t:?}: it must be CONTINUOUS or SNAPSHOT"
        )));
    }
    if let Some(days) = s.selection_window_days
        && !(1..=365).contains(&days)
    {
        return Err(BackupError::invalid(format!(
            "SelectionWindowDays {days} is out of range: it must be between 1 and 365"
        )));
    }
    Ok(())
}

fn plan_not_found(name: &str) -> BackupError {
    BackupError::not_found(format!("Restore testing plan {name} not found"))
}

impl Engine {
    /// `CreateRestoreTestingPlan`.
    #[allow(clippy::too_many_arguments)]
    pub fn create_restore_testing_plan(
        &self,
        principal: &str,
        region: &str,
        name: &str,
        schedule_expression: &str,
        schedule_expression_timezone: Option<String>,
        start_window_hours: Option<i64>,
        recovery_point_selection: RecoveryPointSelection,
        creator_request_id: Option<String>,
        tags: BTreeMap<String, String>,
    ) -> BackupResult<RestoreTestingPlan> {
        let result = (|| {
            if name.is_empty() {
                return Err(BackupError::missing("RestoreTestingPlanName"));
            }
            if !plan_name_valid(name) {
                return Err(BackupError::invalid(format!(
                    "Invalid RestoreTestingPlanName {name:?}: it must start with a letter and hold only \
                     letters, digits and underscores, 50 characters at most"
                )));
            }
            if schedule_expression.is_empty() {
                return Err(BackupError::missing("ScheduleExpression"));
            }
            validate_schedule(schedule_expression, schedule_expression_timezone.as_deref())?;
            validate_start_window(start_window_hours)?;
            validate_selection(&recovery_point_selection)?;
            validate_tags("Tags", &tags)?;
            let now = self.now();
            let arn = format!(
                "arn:aws:backup:{region}:{}:restore-testing-plan:{name}-{}",
                self.account(),
                upper_uuid().to_lowercase().chars().take(6).collect::<String>()
            );
            let mut st = self.state.lock();
            let rs = st.region(region);
            if let Some(known) = rs.restore_testing_plans.get(name) {
                return Err(BackupError::AlreadyExists(format!(
                    "Restore testing plan {} already exists",
                    known.name
                )));
            }
            let plan = RestoreTestingPlan {
                name: name.to_owned(),
                arn,
                schedule_expression: schedule_expression.to_owned(),
                schedule_expression_timezone,
                start_window_hours,
                recovery_point_selection,
                creator_request_id,
                creation_time: now,
                last_update_time: None,
                last_execution_time: None,
                schedule_cursor: now,
                tags,
            };
            rs.restore_testing_plans.insert(name.to_owned(), plan.clone());
            Ok(plan)
        })();
        self.audit(principal, "CreateRestoreTestingPlan", region, name, &result);
        result
    }

    /// `GetRestoreTestingPlan`.
    pub fn get_restore_testing_plan(&self, region: &str, name: &str) -> BackupResult<RestoreTestingPlan> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_testing_plans
            .get(name)
            .cloned()
            .ok_or_else(|| plan_not_found(name))
    }

    /// `ListRestoreTestingPlans`, by name.
    pub fn list_restore_testing_plans(&self, region: &str) -> Vec<RestoreTestingPlan> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_testing_plans
            .values()
            .cloned()
            .collect()
    }

    /// `UpdateRestoreTestingPlan`: changes the parts given; the rest stay.
    pub fn update_restore_testing_plan(
        &self,
        principal: &str,
        region: &str,
        name: &str,
        update: RestoreTestingPlanUpdate,
    ) -> BackupResult<RestoreTestingPlan> {
        let result = (|| {
            let now = self.now();
            let mut st = self.state.lock();
            let plan = st
                .region(region)
                .restore_testing_plans
                .get_mut(name)
                .ok_or_else(|| plan_not_found(name))?;
            let expression = update
                .schedule_expression
                .clone()
                .unwrap_or_else(|| plan.schedule_expression.clone());
            let timezone = update
                .schedule_expression_timezone
                .clone()
                .or_else(|| plan.schedule_expression_timezone.clone());
            validate_schedule(&expression, timezone.as_deref())?;
            validate_start_window(update.start_window_hours)?;
            if let Some(s) = &update.recovery_point_selection {
                validate_selection(s)?;
            }
            plan.schedule_expression = expression;
            plan.schedule_expression_timezone = timezone;
            if update.start_window_hours.is_some() {
                plan.start_window_hours = update.start_window_hours;
            }
            if let Some(s) = update.recovery_point_selection {
                plan.recovery_point_selection = s;
            }
            plan.last_update_time = Some(now);
            Ok(plan.clone())
        })();
        self.audit(principal, "UpdateRestoreTestingPlan", region, name, &result);
        result
    }

    /// `DeleteRestoreTestingPlan`: only once its selections are deleted.
    pub fn delete_restore_testing_plan(&self, principal: &str, region: &str, name: &str) -> BackupResult<()> {
        let result = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            if !rs.restore_testing_plans.contains_key(name) {
                Err(plan_not_found(name))
            } else if rs.restore_testing_selections.keys().any(|(plan, _)| plan == name) {
                Err(BackupError::InvalidRequest(format!(
                    "Restore testing plan {name} has restore testing selections; delete them first"
                )))
            } else {
                rs.restore_testing_plans.remove(name);
                Ok(())
            }
        };
        self.audit(principal, "DeleteRestoreTestingPlan", region, name, &result);
        result
    }
}

impl Engine {
    /// `CreateRestoreTestingSelection`.
    pub fn create_restore_testing_selection(
        &self,
        principal: &str,
        region: &str,
        plan_name: &str,
        new: SelectionSpec,
    ) -> BackupResult<RestoreTestingSelection> {
        let name = new.name.clone();
        let result = (|| {
            if new.name.is_empty() {
                return Err(BackupError::missing(
                    "RestoreTestingSelection.RestoreTestingSelectionName",
                ));
            }
            if !selection_name_valid(&new.name) {
                return Err(BackupError::invalid(format!(
                    "Invalid RestoreTestingSelectionName {:?}: it may hold only letters, digits and \
                     underscores, 50 characters at most",
                    new.name
                )));
            }
            validate_role(&new.iam_role_arn)?;
            if new.protected_resource_type.is_empty() {
                return Err(BackupError::missing(
                    "RestoreTestingSelection.ProtectedResourceType",
                ));
            }
            if !SELECTION_RESOURCE_TYPES.contains(&new.protected_resource_type.as_str()) {
                return Err(BackupError::invalid(format!(
                    "Invalid ProtectedResourceType {:?}: it must be one of {}",
                    new.protected_resource_type,
                    SELECTION_RESOURCE_TYPES.join(", ")
                )));
            }
            validate_resources(
                &new.protected_resource_arns,
                new.protected_resource_conditions.as_ref(),
            )?;
            validate_validation_window(new.validation_window_hours)?;
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            if !rs.restore_testing_plans.contains_key(plan_name) {
                return Err(plan_not_found(plan_name));
            }
            let key = (plan_name.to_owned(), new.name.clone());
            if rs.restore_testing_selections.contains_key(&key) {
                return Err(BackupError::AlreadyExists(format!(
                    "Restore testing selection {} already exists in restore testing plan {plan_name}",
                    new.name
                )));
            }
            let selection = RestoreTestingSelection {
                plan_name: plan_name.to_owned(),
                spec: new,
                creation_time: now,
                update_time: None,
            };
            rs.restore_testing_selections.insert(key, selection.clone());
            Ok(selection)
        })();
        self.audit(principal, "CreateRestoreTestingSelection", region, &name, &result);
        result
    }

    /// `GetRestoreTestingSelection`.
    pub fn get_restore_testing_selection(
        &self,
        region: &str,
        plan_name: &str,
        name: &str,
    ) -> BackupResult<RestoreTestingSelection> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.restore_testing_plans.contains_key(plan_name) {
            return Err(plan_not_found(plan_name));
        }
        rs.restore_testing_selections
            .get(&(plan_name.to_owned(), name.to_owned()))
            .cloned()
            .ok_or_else(|| selection_not_found(plan_name, name))
    }

    /// `ListRestoreTestingSelections` of one plan, by name.
    pub fn list_restore_testing_selections(
        &self,
        region: &str,
        plan_name: &str,
    ) -> BackupResult<Vec<RestoreTestingSelection>> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.restore_testing_plans.contains_key(plan_name) {
            return Err(plan_not_found(plan_name));
        }
        Ok(rs
            .restore_testing_selections
            .values()
            .filter(|s| s.plan_name == plan_name)
            .cloned()
            .collect())
    }

    /// `UpdateRestoreTestingSelection`: changes the parts given, checked
    /// together with the parts that stay.
    pub fn update_restore_testing_selection(
        &self,
        principal: &str,
        region: &str,
        plan_name: &str,
        name: &str,
        update: RestoreTestingSelectionUpdate,
    ) -> BackupResult<RestoreTestingSelection> {
        let result = (|| {
            if let Some(role) = &update.iam_role_arn {
                validate_role(role)?;
            }
            validate_validation_window(update.validation_window_hours)?;
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            if !rs.restore_testing_plans.contains_key(plan_name) {
                return Err(plan_not_found(plan_name));
            }
            let selection = rs
                .restore_testing_selections
                .get_mut(&(plan_name.to_owned(), name.to_owned()))
                .ok_or_else(|| selection_not_found(plan_name, name))?;
            let spec = &mut selection.spec;
            let arns = update
                .protected_resource_arns
                .clone()
                .unwrap_or_else(|| spec.protected_resource_arns.clone());
            let conditions = update
                .protected_resource_conditions
                .clone()
                .or_else(|| spec.protected_resource_conditions.clone());
            validate_resources(&arns, conditions.as_ref())?;
            spec.protected_resource_arns = arns;
            spec.protected_resource_conditions = conditions;
            if let Some(role) = update.iam_role_arn {
                spec.iam_role_arn = role;
            }
            if let Some(m) = update.restore_metadata_overrides {
                spec.restore_metadata_overrides = m;
            }
            if update.validation_window_hours.is_some() {
                spec.validation_window_hours = update.validation_window_hours;
            }
            selection.update_time = Some(now);
            Ok(selection.clone())
        })();
        self.audit(principal, "UpdateRestoreTestingSelection", region, name, &result);
        result
    }

    /// `DeleteRestoreTestingSelection`.
    pub fn delete_restore_testing_selection(
        &self,
        principal: &str,
        region: &str,
        plan_name: &str,
        name: &str,
    ) -> BackupResult<()> {
        let result = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            if rs.restore_testing_plans.contains_key(plan_name) {
                rs.restore_testing_selections
                    .remove(&(plan_name.to_owned(), name.to_owned()))
                    .map(|_| ())
                    .ok_or_else(|| selection_not_found(plan_name, name))
            } else {
                Err(plan_not_found(plan_name))
            }
        };
        self.audit(principal, "DeleteRestoreTestingSelection", region, name, &result);
        result
    }
}
