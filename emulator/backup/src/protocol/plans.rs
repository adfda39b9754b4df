//! Plans and selections on the wire: `CreateBackupPlan`, `GetBackupPlan`,
//! `ListBackupPlans`, `ListBackupPlanVersions`, `UpdateBackupPlan`,
//! `DeleteBackupPlan`, and the backup selection operations.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatePlanBody {
    backup_plan: Option<PlanInput>,
    backup_plan_tags: Option<BTreeMap<String, String>>,
    creator_request_id: Option<String>,
}

pub(super) fn rule_json(r: &Rule) -> Value {
    let mut m = Map::new();
    m.insert("RuleName".into(), json!(r.rule_name));
    m.insert("TargetBackupVaultName".into(), json!(r.target_backup_vault_name));
    m.insert("ScheduleExpression".into(), json!(r.schedule_expression));
    m.insert("ScheduleExpressionTimezone".into(), json!("Etc/UTC"));
    m.insert("StartWindowMinutes".into(), json!(r.start_window_minutes));
    m.insert(
        "CompletionWindowMinutes".into(),
        json!(r.completion_window_minutes),
    );
    put_opt(&mut m, "Lifecycle", lifecycle_json(&r.lifecycle));
    if !r.recovery_point_tags.is_empty() {
        m.insert("RecoveryPointTags".into(), tags_json(&r.recovery_point_tags));
    }
    m.insert("RuleId".into(), json!(r.rule_id));
    let copies: Vec<Value> = r
        .copy_actions
        .iter()
        .map(|c| {
            let mut cm = Map::new();
            put_opt(&mut cm, "Lifecycle", lifecycle_json(&c.lifecycle));
            put_opt(
                &mut cm,
                "DestinationBackupVaultArn",
                opt_str(&c.destination_backup_vault_arn),
            );
            Value::Object(cm)
        })
        .collect();
    m.insert("CopyActions".into(), json!(copies));
    m.insert("EnableContinuousBackup".into(), json!(r.enable_continuous_backup));
    Value::Object(m)
}

pub(super) fn plan_document_json(v: &PlanVersion) -> Value {
    plan_json(&v.plan_name, &v.rules, &v.advanced_backup_settings)
}

/// A `BackupPlan` document: its name, rules and advanced settings.
pub(super) fn plan_json(name: &str, rules: &[Rule], advanced: &Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("BackupPlanName".into(), json!(name));
    m.insert(
        "Rules".into(),
        json!(rules.iter().map(rule_json).collect::<Vec<_>>()),
    );
    put_opt(
        &mut m,
        "AdvancedBackupSettings",
        advanced.clone().unwrap_or(Value::Null),
    );
    Value::Object(m)
}

pub(super) fn plan_summary_json(p: &Plan, v: &PlanVersion) -> Value {
    let mut m = Map::new();
    m.insert("BackupPlanArn".into(), json!(p.arn));
    m.insert("BackupPlanId".into(), json!(p.id));
    m.insert("CreationDate".into(), ts(v.created));
    put_opt(&mut m, "DeletionDate", opt_ts(v.deleted.or(p.deletion_date)));
    m.insert("VersionId".into(), json!(v.version_id));
    m.insert("BackupPlanName".into(), json!(v.plan_name));
    put_opt(&mut m, "CreatorRequestId", opt_str(&p.creator_request_id));
    put_opt(&mut m, "LastExecutionDate", opt_ts(p.last_execution_date));
    put_opt(
        &mut m,
        "AdvancedBackupSettings",
        v.advanced_backup_settings.clone().unwrap_or(Value::Null),
    );
    Value::Object(m)
}

pub(super) async fn create_plan(
    State(e): Engn,
    Extension(ctx): Ctx,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: CreatePlanBody = parse_body(&body)?;
        let input = b.backup_plan.ok_or_else(|| BackupError::missing("BackupPlan"))?;
        let p = e.create_plan(
            &ctx.principal(),
            &ctx.region,
            &input,
            b.backup_plan_tags.unwrap_or_default(),
            b.creator_request_id,
        )?;
        let v = p.current();
        let mut m = Map::new();
        m.insert("BackupPlanId".into(), json!(p.id));
        m.insert("BackupPlanArn".into(), json!(p.arn));
        m.insert("CreationDate".into(), ts(p.creation_date));
        m.insert("VersionId".into(), json!(v.version_id));
        put_opt(
            &mut m,
            "AdvancedBackupSettings",
            v.advanced_backup_settings.clone().unwrap_or(Value::Null),
        );
        Ok(Value::Object(m))
    })();
    reply(&ctx, result)
}

pub(super) async fn get_plan(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result =
        (|| {
            let plan = e.get_plan(&ctx.region, p.at(0))?;
            let version =
                match q.get("versionId") {
                    Some(id) => plan.versions.iter().find(|v| v.version_id == id).ok_or_else(|| {
                        BackupError::not_found(format!("Backup plan version {id} not found"))
                    })?,
                    None => plan.current(),
                };
            let mut m = Map::new();
            m.insert("BackupPlan".into(), plan_document_json(version));
            m.insert("BackupPlanId".into(), json!(plan.id));
            m.insert("BackupPlanArn".into(), json!(plan.arn));
            m.insert("VersionId".into(), json!(version.version_id));
            put_opt(&mut m, "CreatorRequestId", opt_str(&plan.creator_request_id));
            m.insert("CreationDate".into(), ts(version.created));
            put_opt(
                &mut m,
                "DeletionDate",
                opt_ts(version.deleted.or(plan.deletion_date)),
            );
            put_opt(&mut m, "LastExecutionDate", opt_ts(plan.last_execution_date));
            put_opt(
                &mut m,
                "AdvancedBackupSettings",
                version.advanced_backup_settings.clone().unwrap_or(Value::Null),
            );
            if let Some(n) = q.get("MaxScheduledRunsPreview") {
                let n: usize = n.parse().ok().filter(|n| *n <= 10).ok_or_else(|| {
                    BackupError::invalid("MaxScheduledRunsPreview must be between 0 and 10")
                })?;
                let now = e.now();
                let mut runs: Vec<(DateTime<Utc>, String)> = Vec::new();
                for rule in &version.rules {
                    let mut t = now;
                    for _ in 0..n {
                        let Some(next) = rule.schedule.next_after(t, 366 * 5) else {
                            break;
                        };
                        runs.push((next, rule.rule_id.clone()));
                        t = next;
                    }
                }
                runs.sort();
                runs.truncate(n);
                let preview: Vec<Value> = runs
                .into_iter()
                .map(
                    |(t, id)| json!({"ExecutionTime": ts(t), "RuleId": id, "RuleExecutionType": "SNAPSHOTS"}),
                )
                .collect();
                m.insert("ScheduledRunsPreview".into(), json!(preview));
            }
            Ok(Value::Object(m))
        })();
    reply(&ctx, result)
}

pub(super) async fn list_plans(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let plans = e.list_plans(&ctx.region, q.flag("includeDeleted"));
        let (items, next) = page(plans, &q)?;
        let list: Vec<Value> = items.iter().map(|p| plan_summary_json(p, p.current())).collect();
        Ok(with_next(json!({ "BackupPlansList": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn list_plan_versions(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
    let result = (|| {
        let plan = e.get_plan(&ctx.region, p.at(0))?;
        let mut versions: Vec<&PlanVersion> = plan.versions.iter().collect();
        versions.reverse();
        let (items, next) = page(versions, &q)?;
        let list: Vec<Value> = items.iter().map(|v| plan_summary_json(&plan, v)).collect();
        Ok(with_next(json!({ "BackupPlanVersionsList": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn update_plan(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: CreatePlanBody = parse_body(&body)?;
        let input = b.backup_plan.ok_or_else(|| BackupError::missing("BackupPlan"))?;
        let plan = e.update_plan(&ctx.principal(), &ctx.region, p.at(0), &input)?;
        let v = plan.current();
        let mut m = Map::new();
        m.insert("BackupPlanId".into(), json!(plan.id));
        m.insert("BackupPlanArn".into(), json!(plan.arn));
        m.insert("CreationDate".into(), ts(v.created));
        m.insert("VersionId".into(), json!(v.version_id));
        put_opt(
            &mut m,
            "AdvancedBackupSettings",
            v.advanced_backup_settings.clone().unwrap_or(Value::Null),
        );
        Ok(Value::Object(m))
    })();
    reply(&ctx, result)
}

pub(super) async fn delete_plan(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e.delete_plan(&ctx.principal(), &ctx.region, p.at(0)).map(|plan| {
        json!({
            "BackupPlanId": plan.id,
            "BackupPlanArn": plan.arn,
            "DeletionDate": opt_ts(plan.deletion_date),
            "VersionId": plan.current().version_id,
        })
    });
    reply(&ctx, result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateSelectionBody {
    backup_selection: Option<SelectionInput>,
    creator_request_id: Option<String>,
}

pub(super) fn conditions_json(c: &Conditions) -> Value {
    let list = |v: &Vec<TagCondition>| -> Value {
        json!(
            v.iter()
                .map(|c| json!({"ConditionKey": c.key, "ConditionValue": c.value}))
                .collect::<Vec<_>>()
        )
    };
    json!({
        "StringEquals": list(&c.string_equals),
        "StringNotEquals": list(&c.string_not_equals),
        "StringLike": list(&c.string_like),
        "StringNotLike": list(&c.string_not_like),
    })
}

pub(super) async fn create_selection(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: CreateSelectionBody = parse_body(&body)?;
        let input = b
            .backup_selection
            .ok_or_else(|| BackupError::missing("BackupSelection"))?;
        let s = e.create_selection(
            &ctx.principal(),
            &ctx.region,
            p.at(0),
            &input,
            b.creator_request_id,
        )?;
        Ok(json!({
            "SelectionId": s.id,
            "BackupPlanId": p.at(0),
            "CreationDate": ts(s.creation_date),
        }))
    })();
    reply(&ctx, result)
}

pub(super) async fn get_selection(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e.get_selection(&ctx.region, p.at(0), p.at(1)).map(|s| {
        let mut m = Map::new();
        let mut sel = Map::new();
        sel.insert("SelectionName".into(), json!(s.name));
        sel.insert("IamRoleArn".into(), json!(s.iam_role_arn));
        sel.insert("Resources".into(), json!(s.resources));
        sel.insert("NotResources".into(), json!(s.not_resources));
        sel.insert(
            "ListOfTags".into(),
            json!(s
                .list_of_tags
                .iter()
                .map(|t| json!({"ConditionType": "STRINGEQUALS", "ConditionKey": t.key, "ConditionValue": t.value}))
                .collect::<Vec<_>>()),
        );
        sel.insert("Conditions".into(), conditions_json(&s.conditions));
        m.insert("BackupSelection".into(), Value::Object(sel));
        m.insert("SelectionId".into(), json!(s.id));
        m.insert("BackupPlanId".into(), json!(p.at(0)));
        m.insert("CreationDate".into(), ts(s.creation_date));
        put_opt(&mut m, "CreatorRequestId", opt_str(&s.creator_request_id));
        Value::Object(m)
    });
    reply(&ctx, result)
}

pub(super) async fn list_selections(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
    let result = (|| {
        let sels = e.list_selections(&ctx.region, p.at(0))?;
        let (items, next) = page(sels, &q)?;
        let list: Vec<Value> = items
            .iter()
            .map(|s| {
                let mut m = Map::new();
                m.insert("SelectionId".into(), json!(s.id));
                m.insert("SelectionName".into(), json!(s.name));
                m.insert("BackupPlanId".into(), json!(p.at(0)));
                m.insert("CreationDate".into(), ts(s.creation_date));
                put_opt(&mut m, "CreatorRequestId", opt_str(&s.creator_request_id));
                m.insert("IamRoleArn".into(), json!(s.iam_role_arn));
                Value::Object(m)
            })
            .collect();
        Ok(with_next(json!({ "BackupSelectionsList": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn delete_selection(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .delete_selection(&ctx.principal(), &ctx.region, p.at(0), p.at(1))
        .map(|_| json!({}));
    reply(&ctx, result)
}
