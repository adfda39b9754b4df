//! Restore testing plans on the wire: `CreateRestoreTestingPlan`,
//! `GetRestoreTestingPlan`, `ListRestoreTestingPlans`,
//! `UpdateRestoreTestingPlan`, `DeleteRestoreTestingPlan`, and their
//! selections' five twins.

use super::*;
use crate::engine::restore_testing::{
    RecoveryPointSelection, ResourceConditions, RestoreTestingPlan, RestoreTestingPlanUpdate,
    RestoreTestingSelection, RestoreTestingSelectionUpdate, SelectionSpec,
};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PlanFields {
    restore_testing_plan_name: Option<String>,
    schedule_expression: Option<String>,
    schedule_expression_timezone: Option<String>,
    start_window_hours: Option<i64>,
    recovery_point_selection: Option<RecoveryPointSelection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PlanBody {
    restore_testing_plan: Option<PlanFields>,
    creator_request_id: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

fn selection_json(s: &RecoveryPointSelection) -> Value {
    let mut m = Map::new();
    put_opt(&mut m, "Algorithm", opt_str(&s.algorithm));
    put_opt(&mut m, "IncludeVaults", json!(s.include_vaults));
    put_opt(&mut m, "ExcludeVaults", json!(s.exclude_vaults));
    put_opt(&mut m, "RecoveryPointTypes", json!(s.recovery_point_types));
    put_opt(&mut m, "SelectionWindowDays", json!(s.selection_window_days));
    Value::Object(m)
}

fn plan_json(p: &RestoreTestingPlan, full: bool) -> Value {
    let mut m = Map::new();
    m.insert("CreationTime".into(), ts(p.creation_time));
    put_opt(&mut m, "LastExecutionTime", opt_ts(p.last_execution_time));
    put_opt(&mut m, "LastUpdateTime", opt_ts(p.last_update_time));
    m.insert("RestoreTestingPlanArn".into(), json!(p.arn));
    m.insert("RestoreTestingPlanName".into(), json!(p.name));
    m.insert("ScheduleExpression".into(), json!(p.schedule_expression));
    put_opt(
        &mut m,
        "ScheduleExpressionTimezone",
        opt_str(&p.schedule_expression_timezone),
    );
    put_opt(&mut m, "StartWindowHours", json!(p.start_window_hours));
    if full {
        put_opt(&mut m, "CreatorRequestId", opt_str(&p.creator_request_id));
        m.insert(
            "RecoveryPointSelection".into(),
            selection_json(&p.recovery_point_selection),
        );
    }
    Value::Object(m)
}

pub(super) async fn create_restore_testing_plan(
    State(e): Engn,
    Extension(ctx): Ctx,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: PlanBody = parse_body(&body)?;
        let plan = b
            .restore_testing_plan
            .ok_or_else(|| BackupError::missing("RestoreTestingPlan"))?;
        let name = plan
            .restore_testing_plan_name
            .ok_or_else(|| BackupError::missing("RestoreTestingPlanName"))?;
        let expression = plan
            .schedule_expression
            .ok_or_else(|| BackupError::missing("ScheduleExpression"))?;
        let selection = plan
            .recovery_point_selection
            .ok_or_else(|| BackupError::missing("RecoveryPointSelection"))?;
        let p = e.create_restore_testing_plan(
            &ctx.principal(),
            &ctx.region,
            &name,
            &expression,
            plan.schedule_expression_timezone,
            plan.start_window_hours,
            selection,
            b.creator_request_id,
            b.tags.unwrap_or_default(),
        )?;
        Ok(json!({
            "CreationTime": ts(p.creation_time),
            "RestoreTestingPlanArn": p.arn,
            "RestoreTestingPlanName": p.name,
        }))
    })();
    reply(&ctx, result)
}

pub(super) async fn get_restore_testing_plan(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
) -> Response<Body> {
    let result = e
        .get_restore_testing_plan(&ctx.region, p.at(0))
        .map(|plan| json!({ "RestoreTestingPlan": plan_json(&plan, true) }));
    reply(&ctx, result)
}

pub(super) async fn list_restore_testing_plans(
    State(e): Engn,
    Extension(ctx): Ctx,
    q: Query,
) -> Response<Body> {
    let result = (|| {
        let plans = e.list_restore_testing_plans(&ctx.region);
        let (items, next) = page_by(plans, &q, "NextToken", "MaxResults")?;
        let list: Vec<Value> = items.iter().map(|p| plan_json(p, false)).collect();
        Ok(with_next(json!({ "RestoreTestingPlans": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn update_restore_testing_plan(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: PlanBody = parse_body(&body)?;
        let plan = b
            .restore_testing_plan
            .ok_or_else(|| BackupError::missing("RestoreTestingPlan"))?;
        let updated = e.update_restore_testing_plan(
            &ctx.principal(),
            &ctx.region,
            p.at(0),
            RestoreTestingPlanUpdate {
                schedule_expression: plan.schedule_expression,
                schedule_expression_timezone: plan.schedule_expression_timezone,
                start_window_hours: plan.start_window_hours,
                recovery_point_selection: plan.recovery_point_selection,
            },
        )?;
        Ok(json!({
            "CreationTime": ts(updated.creation_time),
            "RestoreTestingPlanArn": updated.arn,
            "RestoreTestingPlanName": updated.name,
            "UpdateTime": opt_ts(updated.last_update_time),
        }))
    })();
    reply(&ctx, result)
}

pub(super) async fn delete_restore_testing_plan(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
) -> Response<Body> {
    let result = e
        .delete_restore_testing_plan(&ctx.principal(), &ctx.region, p.at(0))
        .map(|_| json!({}));
    reply(&ctx, result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SelectionFields {
    restore_testing_selection_name: Option<String>,
    iam_role_arn: Option<String>,
    protected_resource_type: Option<String>,
    protected_resource_arns: Option<Vec<String>>,
    protected_resource_conditions: Option<ResourceConditions>,
    restore_metadata_overrides: Option<BTreeMap<String, String>>,
    validation_window_hours: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SelectionBody {
    restore_testing_selection: Option<SelectionFields>,
    creator_request_id: Option<String>,
}

fn testing_selection_json(s: &RestoreTestingSelection, full: bool) -> Value {
    let spec = &s.spec;
    let mut m = Map::new();
    m.insert("CreationTime".into(), ts(s.creation_time));
    m.insert("IamRoleArn".into(), json!(spec.iam_role_arn));
    m.insert(
        "ProtectedResourceType".into(),
        json!(spec.protected_resource_type),
    );
    m.insert("RestoreTestingPlanName".into(), json!(s.plan_name));
    m.insert("RestoreTestingSelectionName".into(), json!(spec.name));
    put_opt(
        &mut m,
        "ValidationWindowHours",
        json!(spec.validation_window_hours),
    );
    if full {
        put_opt(&mut m, "CreatorRequestId", opt_str(&spec.creator_request_id));
        if !spec.protected_resource_arns.is_empty() {
            m.insert(
                "ProtectedResourceArns".into(),
                json!(spec.protected_resource_arns),
            );
        }
        put_opt(
            &mut m,
            "ProtectedResourceConditions",
            json!(spec.protected_resource_conditions),
        );
        if !spec.restore_metadata_overrides.is_empty() {
            m.insert(
                "RestoreMetadataOverrides".into(),
                json!(spec.restore_metadata_overrides),
            );
        }
    }
    Value::Object(m)
}

pub(super) async fn create_restore_testing_selection(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: SelectionBody = parse_body(&body)?;
        let sel = b
            .restore_testing_selection
            .ok_or_else(|| BackupError::missing("RestoreTestingSelection"))?;
        let created = e.create_restore_testing_selection(
            &ctx.principal(),
            &ctx.region,
            p.at(0),
            SelectionSpec {
                name: sel
                    .restore_testing_selection_name
                    .ok_or_else(|| BackupError::missing("RestoreTestingSelectionName"))?,
                iam_role_arn: sel
                    .iam_role_arn
                    .ok_or_else(|| BackupError::missing("IamRoleArn"))?,
                protected_resource_type: sel
                    .protected_resource_type
                    .ok_or_else(|| BackupError::missing("ProtectedResourceType"))?,
                protected_resource_arns: sel.protected_resource_arns.unwrap_or_default(),
                protected_resource_conditions: sel.protected_resource_conditions,
                restore_metadata_overrides: sel.restore_metadata_overrides.unwrap_or_default(),
                validation_window_hours: sel.validation_window_hours,
                creator_request_id: b.creator_request_id,
            },
        )?;
        let plan = e.get_restore_testing_plan(&ctx.region, p.at(0))?;
        Ok(json!({
            "CreationTime": ts(created.creation_time),
            "RestoreTestingPlanArn": plan.arn,
            "RestoreTestingPlanName": created.plan_name,
            "RestoreTestingSelectionName": created.spec.name,
        }))
    })();
    reply(&ctx, result)
}

pub(super) async fn get_restore_testing_selection(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
) -> Response<Body> {
    let result = e
        .get_restore_testing_selection(&ctx.region, p.at(0), p.at(1))
        .map(|s| json!({ "RestoreTestingSelection": testing_selection_json(&s, true) }));
    reply(&ctx, result)
}

pub(super) async fn list_restore_testing_selections(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
    let result = (|| {
        let selections = e.list_restore_testing_selections(&ctx.region, p.at(0))?;
        let (items, next) = page_by(selections, &q, "NextToken", "MaxResults")?;
        let list: Vec<Value> = items.iter().map(|s| testing_selection_json(s, false)).collect();
        Ok(with_next(json!({ "RestoreTestingSelections": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn update_restore_testing_selection(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: SelectionBody = parse_body(&body)?;
        let sel = b
            .restore_testing_selection
            .ok_or_else(|| BackupError::missing("RestoreTestingSelection"))?;
        let updated = e.update_restore_testing_selection(
            &ctx.principal(),
            &ctx.region,
            p.at(0),
            p.at(1),
            RestoreTestingSelectionUpdate {
                iam_role_arn: sel.iam_role_arn,
                protected_resource_arns: sel.protected_resource_arns,
                protected_resource_conditions: sel.protected_resource_conditions,
                restore_metadata_overrides: sel.restore_metadata_overrides,
                validation_window_hours: sel.validation_window_hours,
            },
        )?;
        let plan = e.get_restore_testing_plan(&ctx.region, p.at(0))?;
        Ok(json!({
            "CreationTime": ts(updated.creation_time),
            "RestoreTestingPlanArn": plan.arn,
            "RestoreTestingPlanName": updated.plan_name,
            "RestoreTestingSelectionName": updated.spec.name,
            "UpdateTime": opt_ts(updated.update_time),
        }))
    })();
    reply(&ctx, result)
}

pub(super) async fn delete_restore_testing_selection(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
) -> Response<Body> {
    let result = e
        .delete_restore_testing_selection(&ctx.principal(), &ctx.region, p.at(0), p.at(1))
        .map(|_| json!({}));
    reply(&ctx, result)
}
