//! Restore testing plans: `CreateRestoreTestingPlan`,
//! `GetRestoreTestingPlan`, `ListRestoreTestingPlans`,
//! `UpdateRestoreTestingPlan` and `DeleteRestoreTestingPlan`, each checked
//! as AWS checks it before any state changes.

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

    /// `DeleteRestoreTestingPlan`.
    pub fn delete_restore_testing_plan(&self, principal: &str, region: &str, name: &str) -> BackupResult<()> {
        let result = {
            let mut st = self.state.lock();
            st.region(region)
                .restore_testing_plans
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| plan_not_found(name))
        };
        self.audit(principal, "DeleteRestoreTestingPlan", region, name, &result);
        result
    }
}
