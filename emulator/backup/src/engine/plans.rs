//! Plans and selections: rules validated into their schedule and
//! lifecycle (`build_rules`), plan versions, and selections by ARN and tag.

use super::*;

impl Engine {
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
}
