//! Restore testing plans on the wire: `CreateRestoreTestingPlan`,
//! `GetRestoreTestingPlan`, `ListRestoreTestingPlans`,
//! `UpdateRestoreTestingPlan`, `DeleteRestoreTestingPlan`.

use super::*;
use crate::engine::restore_testing::{RecoveryPointSelection, RestoreTestingPlan, RestoreTestingPlanUpdate};

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
