//! Backup plan templates: `ExportBackupPlanTemplate` writes a plan's
//! current version as a JSON document, and `GetBackupPlanFromJSON` reads
//! one back into a `BackupPlan`, validated as `CreateBackupPlan` validates
//! a plan (except that the target vaults need not exist yet, since nothing
//! is created). The document is `{"BackupPlan": {...}}`; a bare plan
//! object is read too. AWS signs its exported documents; firedrill's are
//! plain JSON and any well-formed document is accepted.

use super::{Ctx, Engn, JsonBody, Params, parse_body, plan_json, reply};
use crate::error::BackupError;
use crate::model::PlanInput;
use axum::Extension;
use axum::extract::State;
use firedrill_emu_core::Body;
use http::Response;
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) async fn export_template(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e.get_plan(&ctx.region, p.at(0)).and_then(|plan| {
        if plan.deletion_date.is_some() {
            return Err(crate::engine::plan_not_found(p.at(0)));
        }
        let v = plan.current();
        let document =
            json!({ "BackupPlan": plan_json(&v.plan_name, &v.rules, &v.advanced_backup_settings) });
        Ok(json!({ "BackupPlanTemplateJson": document.to_string() }))
    });
    reply(&ctx, result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FromJsonBody {
    backup_plan_template_json: Option<String>,
}

pub(super) async fn plan_from_json(
    State(e): Engn,
    Extension(ctx): Ctx,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: FromJsonBody = parse_body(&body)?;
        let text = b
            .backup_plan_template_json
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| BackupError::missing("BackupPlanTemplateJson"))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| BackupError::invalid(format!("BackupPlanTemplateJson is not valid JSON: {e}")))?;
        let plan = match doc.get("BackupPlan") {
            Some(inner) => inner.clone(),
            None => doc,
        };
        let input: PlanInput = serde_json::from_value(plan)
            .map_err(|e| BackupError::invalid(format!("BackupPlanTemplateJson is not a backup plan: {e}")))?;
        let (name, rules) = e.build_rules(None, &input, None)?;
        Ok(json!({ "BackupPlan": plan_json(&name, &rules, &input.advanced_backup_settings) }))
    })();
    reply(&ctx, result)
}
