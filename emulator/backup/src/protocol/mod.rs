//! AWS Backup's REST-JSON wire protocol: an axum router over the paths of
//! botocore's model (`backup/2018-11-15`), decoding each request into the
//! engine's typed calls and encoding the answers (timestamps as epoch
//! seconds, as the model's default says) and errors (one place:
//! [`BackupError::into_response`]).
//!
//! Every answer is in AWS's shape, the router's own included: a path no
//! operation has, or an operation's path with another method, is
//! `UnknownOperationException`; a body the router cannot read (too large:
//! `RequestEntityTooLargeException`, 413) and a body that is not JSON
//! (`SerializationException`) are AWS-shaped JSON errors too. Query
//! filters are validated as the model declares them (enums, the vault name
//! and resource type patterns, 12-digit account ids, `MaxResults` from 1 to
//! 1000) with `InvalidParameterValueException`.
//!
//! Submodules: [`guards`] (Vault Lock and access policies),
//! [`notifications`] (vault notification configurations) and
//! [`templates`] (`ExportBackupPlanTemplate`, `GetBackupPlanFromJSON`).

mod guards;
mod notifications;
mod templates;

use crate::engine::{
    BackupJobFilter, CopyJobFilter, Engine, RecoveryPointFilter, RestoreJobFilter, StartBackup,
    vault_name_valid,
};
use crate::error::{BackupError, BackupResult};
use crate::model::*;
use axum::extract::{FromRequest, FromRequestParts, Path, State};
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use firedrill_emu_core::{Body, RequestContext};
use http::request::Parts;
use http::{Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) type Engn = State<Arc<Engine>>;
pub(super) type Ctx = Extension<RequestContext>;

/// The router for every supported operation; the engine is its state and
/// the request context travels as an extension.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/backup-vaults", get(list_vaults))
        .route("/backup-vaults/", get(list_vaults))
        .route(
            "/backup-vaults/{name}",
            put(create_vault).get(describe_vault).delete(delete_vault),
        )
        .route(
            "/backup-vaults/{name}/vault-lock",
            put(guards::put_lock).delete(guards::delete_lock),
        )
        .route(
            "/backup-vaults/{name}/access-policy",
            put(guards::put_policy)
                .get(guards::get_policy)
                .delete(guards::delete_policy),
        )
        .route(
            "/backup-vaults/{name}/notification-configuration",
            put(notifications::put_notifications)
                .get(notifications::get_notifications)
                .delete(notifications::delete_notifications),
        )
        .route("/backup-vaults/{name}/resources", get(list_protected_by_vault))
        .route("/backup-vaults/{name}/resources/", get(list_protected_by_vault))
        .route("/backup-vaults/{name}/recovery-points", get(list_rps_by_vault))
        .route("/backup-vaults/{name}/recovery-points/", get(list_rps_by_vault))
        .route(
            "/backup-vaults/{name}/recovery-points/{arn}",
            get(describe_rp).delete(delete_rp).post(update_rp_lifecycle),
        )
        .route(
            "/backup-vaults/{name}/recovery-points/{arn}/restore-metadata",
            get(rp_restore_metadata),
        )
        .route("/backup/plans", put(create_plan).get(list_plans))
        .route("/backup/plans/", put(create_plan).get(list_plans))
        .route(
            "/backup/plans/{id}",
            get(get_plan).post(update_plan).delete(delete_plan),
        )
        .route("/backup/plans/{id}/", get(get_plan))
        .route("/backup/plans/{id}/toTemplate", get(templates::export_template))
        .route("/backup/plans/{id}/toTemplate/", get(templates::export_template))
        .route("/backup/template/json/toPlan", post(templates::plan_from_json))
        .route("/backup/plans/{id}/versions/", get(list_plan_versions))
        .route("/backup/plans/{id}/versions", get(list_plan_versions))
        .route(
            "/backup/plans/{id}/selections",
            put(create_selection).get(list_selections),
        )
        .route(
            "/backup/plans/{id}/selections/",
            put(create_selection).get(list_selections),
        )
        .route(
            "/backup/plans/{id}/selections/{sid}",
            get(get_selection).delete(delete_selection),
        )
        .route("/backup-jobs", put(start_backup_job).get(list_backup_jobs))
        .route("/backup-jobs/", get(list_backup_jobs))
        .route(
            "/backup-jobs/{id}",
            get(describe_backup_job).post(stop_backup_job),
        )
        .route("/copy-jobs", put(start_copy_job).get(list_copy_jobs))
        .route("/copy-jobs/", get(list_copy_jobs))
        .route("/copy-jobs/{id}", get(describe_copy_job))
        .route("/restore-jobs", put(start_restore_job).get(list_restore_jobs))
        .route("/restore-jobs/", get(list_restore_jobs))
        .route("/restore-jobs/{id}", get(describe_restore_job))
        .route("/restore-jobs/{id}/metadata", get(restore_job_metadata))
        .route("/resources", get(list_protected))
        .route("/resources/", get(list_protected))
        .route("/resources/{arn}", get(describe_protected))
        .route("/resources/{arn}/recovery-points", get(list_rps_by_resource))
        .route("/resources/{arn}/recovery-points/", get(list_rps_by_resource))
        .route(
            "/resources/{arn}/restore-jobs",
            get(list_restore_jobs_by_resource),
        )
        .route(
            "/resources/{arn}/restore-jobs/",
            get(list_restore_jobs_by_resource),
        )
        .route("/tags/{arn}", post(tag_resource).get(list_tags))
        .route("/tags/{arn}/", get(list_tags))
        .route("/untag/{arn}", post(untag_resource))
        .route("/supported-resource-types", get(supported_types))
        .fallback(unsupported)
        .method_not_allowed_fallback(unsupported)
        .with_state(engine)
}

// ----- helpers -----

/// Path parameters, percent-decoded; a malformed path is AWS's error, not axum's.
struct Params(Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Response<Body>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<Vec<String>>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(Params(v)),
            Err(e) => {
                let rid = parts
                    .extensions
                    .get::<RequestContext>()
                    .map(|c| c.request_id.clone())
                    .unwrap_or_default();
                Err(BackupError::invalid(format!("Invalid path parameter: {e}")).into_response(&rid))
            }
        }
    }
}

impl Params {
    fn at(&self, i: usize) -> &str {
        self.0.get(i).map(String::as_str).unwrap_or("")
    }
}

/// The request body, read by axum; a body it refuses (too large, or broken
/// off) is AWS's JSON error, not axum's plain text.
pub(super) struct JsonBody(pub(super) Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Response<Body>;

    async fn from_request(req: http::Request<Body>, state: &S) -> Result<Self, Self::Rejection> {
        let rid = req
            .extensions()
            .get::<RequestContext>()
            .map(|c| c.request_id.clone())
            .unwrap_or_default();
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(JsonBody(bytes)),
            Err(rejection) => {
                let error = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    BackupError::TooLarge(
                        "Request size exceeds the maximum allowed size for AWS Backup".to_owned(),
                    )
                } else {
                    BackupError::Serialization(format!(
                        "Could not read the request body: {}",
                        rejection.body_text()
                    ))
                };
                Err(error.into_response(&rid))
            }
        }
    }
}

/// The query string as a map.
struct Query(BTreeMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let map = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        Ok(Query(map))
    }
}

impl Query {
    fn get(&self, k: &str) -> Option<String> {
        self.0.get(k).cloned().filter(|v| !v.is_empty())
    }

    fn time(&self, k: &str) -> BackupResult<Option<DateTime<Utc>>> {
        let Some(v) = self.get(k) else { return Ok(None) };
        if let Ok(t) = DateTime::parse_from_rfc3339(&v) {
            return Ok(Some(t.with_timezone(&Utc)));
        }
        if let Ok(secs) = v.parse::<f64>()
            && let Some(t) = DateTime::from_timestamp_millis((secs * 1000.0) as i64)
        {
            return Ok(Some(t));
        }
        Err(BackupError::invalid(format!("Invalid timestamp for {k}: {v}")))
    }

    fn flag(&self, k: &str) -> bool {
        self.get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// `k`, which must be one of the model's enum values.
    fn one_of(&self, k: &str, allowed: &[&str]) -> BackupResult<Option<String>> {
        match self.get(k) {
            Some(v) if !allowed.contains(&v.as_str()) => Err(BackupError::invalid(format!(
                "Invalid value {v:?} for {k}: valid values are {}",
                allowed.join(", ")
            ))),
            v => Ok(v),
        }
    }

    /// `k`, which must match the model's pattern (`pattern` names it).
    fn matching(&self, k: &str, valid: fn(&str) -> bool, pattern: &str) -> BackupResult<Option<String>> {
        match self.get(k) {
            Some(v) if !valid(&v) => Err(BackupError::invalid(format!(
                "Invalid value {v:?} for {k}: it must match {pattern}"
            ))),
            v => Ok(v),
        }
    }

    /// The model's `accountId` filter: 12 digits. Every resource here is in
    /// the emulator's one account, so another account matches nothing.
    fn other_account(&self, k: &str, account: &str) -> BackupResult<bool> {
        let id = self.matching(
            k,
            |v| v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()),
            "^[0-9]{12}$",
        )?;
        Ok(id.is_some_and(|id| id != account))
    }

    /// Refuses a `backupVaultAccountId` naming another account: no vault
    /// of another account exists here.
    fn this_account_vault(&self, account: &str, vault: &str) -> BackupResult<()> {
        if self.other_account("backupVaultAccountId", account)? {
            return Err(crate::engine::vault_not_found(vault));
        }
        Ok(())
    }

    /// The model's `resourceType` filter.
    fn resource_type(&self) -> BackupResult<Option<String>> {
        self.matching(
            "resourceType",
            |v| {
                (1..=50).contains(&v.len())
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            },
            "^[a-zA-Z0-9\\-\\_\\.]{1,50}$",
        )
    }
}

/// `BackupJobState`, as ListBackupJobs' `state` filter takes it.
const BACKUP_JOB_STATES: &[&str] = &[
    "CREATED",
    "PENDING",
    "RUNNING",
    "ABORTING",
    "ABORTED",
    "COMPLETED",
    "FAILED",
    "EXPIRED",
    "PARTIAL",
];
/// `CopyJobState`.
const COPY_JOB_STATES: &[&str] = &["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"];
/// `RestoreJobStatus`.
const RESTORE_JOB_STATUSES: &[&str] = &["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"];
/// `VaultType`.
const VAULT_TYPES: &[&str] = &[
    "BACKUP_VAULT",
    "LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
    "RESTORE_ACCESS_BACKUP_VAULT",
];

fn parse_body<T: DeserializeOwned + Default>(body: &Bytes) -> BackupResult<T> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| BackupError::Serialization(format!("Could not read the request body: {e}")))
}

fn ok(ctx: &RequestContext, value: Value) -> Response<Body> {
    let mut resp = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from(value.to_string()))
        .expect("static headers are valid");
    if let Ok(v) = http::HeaderValue::from_str(&ctx.request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

fn reply(ctx: &RequestContext, result: BackupResult<Value>) -> Response<Body> {
    match result {
        Ok(v) => ok(ctx, v),
        Err(e) => {
            tracing::debug!(code = e.code(), message = %e, "backup request failed");
            e.into_response(&ctx.request_id)
        }
    }
}

fn ts(t: DateTime<Utc>) -> Value {
    json!(t.timestamp_millis() as f64 / 1000.0)
}

/// Inserts `v` under `k` unless it is null.
fn put_opt(m: &mut Map<String, Value>, k: &str, v: Value) {
    if !v.is_null() {
        m.insert(k.to_owned(), v);
    }
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map(ts).unwrap_or(Value::Null)
}

fn opt_str(s: &Option<String>) -> Value {
    s.as_ref().map(|s| json!(s)).unwrap_or(Value::Null)
}

/// One page of `items` after `nextToken`, at most `maxResults` long.
fn page<T>(items: Vec<T>, q: &Query) -> BackupResult<(Vec<T>, Option<String>)> {
    let start = match q.get("nextToken") {
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= items.len())
            .ok_or_else(|| BackupError::invalid(format!("Invalid NextToken: {t}")))?,
        None => 0,
    };
    let max = match q.get("maxResults") {
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| BackupError::invalid(format!("MaxResults must be between 1 and 1000, got {m}")))?,
        None => 1000,
    };
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    let items: Vec<T> = items.into_iter().skip(start).take(max).collect();
    Ok((items, next))
}

fn with_next(mut v: Value, next: Option<String>) -> Value {
    if let (Some(n), Some(m)) = (next, v.as_object_mut()) {
        m.insert("NextToken".into(), json!(n));
    }
    v
}

fn lifecycle_json(l: &Option<Lifecycle>) -> Value {
    let Some(l) = l else { return Value::Null };
    let mut m = Map::new();
    put_opt(
        &mut m,
        "MoveToColdStorageAfterDays",
        json!(l.move_to_cold_storage_after_days),
    );
    put_opt(&mut m, "DeleteAfterDays", json!(l.delete_after_days));
    put_opt(
        &mut m,
        "OptInToArchiveForSupportedResources",
        json!(l.opt_in_to_archive_for_supported_resources),
    );
    Value::Object(m)
}

fn creator_json(c: &Option<Creator>) -> Value {
    let Some(c) = c else { return Value::Null };
    json!({
        "BackupPlanId": c.plan_id,
        "BackupPlanArn": c.plan_arn,
        "BackupPlanName": c.plan_name,
        "BackupPlanVersion": c.plan_version,
        "BackupRuleId": c.rule_id,
        "BackupRuleName": c.rule_name,
        "BackupRuleCron": c.rule_cron,
        "BackupRuleTimezone": "Etc/UTC",
    })
}

fn tags_json(t: &BTreeMap<String, String>) -> Value {
    json!(t)
}

// ----- vaults -----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateVaultBody {
    backup_vault_tags: Option<BTreeMap<String, String>>,
    encryption_key_arn: Option<String>,
    creator_request_id: Option<String>,
}

fn vault_json(v: &Vault, count: usize) -> Value {
    let mut m = Map::new();
    m.insert("BackupVaultName".into(), json!(v.name));
    m.insert("BackupVaultArn".into(), json!(v.arn));
    m.insert("VaultType".into(), json!("BACKUP_VAULT"));
    m.insert("VaultState".into(), json!("AVAILABLE"));
    m.insert("CreationDate".into(), ts(v.creation_date));
    m.insert("EncryptionKeyArn".into(), json!(v.encryption_key_arn));
    put_opt(&mut m, "CreatorRequestId", opt_str(&v.creator_request_id));
    m.insert("NumberOfRecoveryPoints".into(), json!(count));
    m.insert("Locked".into(), json!(v.lock.is_some()));
    if let Some(lock) = &v.lock {
        put_opt(&mut m, "MinRetentionDays", json!(lock.min_retention_days));
        put_opt(&mut m, "MaxRetentionDays", json!(lock.max_retention_days));
        put_opt(&mut m, "LockDate", opt_ts(lock.lock_date));
    }
    m.insert(
        "EncryptionKeyType".into(),
        json!(if v.customer_managed_key {
            "CUSTOMER_MANAGED_KMS_KEY"
        } else {
            "AWS_OWNED_KMS_KEY"
        }),
    );
    Value::Object(m)
}

async fn create_vault(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: CreateVaultBody = parse_body(&body)?;
        let v = e.create_vault(
            &ctx.principal(),
            &ctx.region,
            p.at(0),
            b.encryption_key_arn,
            b.backup_vault_tags.unwrap_or_default(),
            b.creator_request_id,
        )?;
        Ok(json!({
            "BackupVaultName": v.name,
            "BackupVaultArn": v.arn,
            "CreationDate": ts(v.creation_date),
        }))
    })();
    reply(&ctx, result)
}

async fn describe_vault(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result = q
        .this_account_vault(e.account(), p.at(0))
        .and_then(|()| e.describe_vault(&ctx.region, p.at(0)))
        .map(|(v, n)| vault_json(&v, n));
    reply(&ctx, result)
}

async fn list_vaults(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let mut vaults = e.list_vaults(&ctx.region);
        // Every vault here is a BACKUP_VAULT of this account: none is of
        // another type, and none is shared from another account.
        if q.one_of("vaultType", VAULT_TYPES)?
            .is_some_and(|t| t != "BACKUP_VAULT")
            || q.flag("shared")
        {
            vaults.clear();
        }
        let (items, next) = page(vaults, &q)?;
        let list: Vec<Value> = items.iter().map(|(v, n)| vault_json(v, *n)).collect();
        Ok(with_next(json!({ "BackupVaultList": list }), next))
    })();
    reply(&ctx, result)
}

async fn delete_vault(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .delete_vault(&ctx.principal(), &ctx.region, p.at(0))
        .map(|_| json!({}));
    reply(&ctx, result)
}

// ----- plans -----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatePlanBody {
    backup_plan: Option<PlanInput>,
    backup_plan_tags: Option<BTreeMap<String, String>>,
    creator_request_id: Option<String>,
}

fn rule_json(r: &Rule) -> Value {
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

fn plan_document_json(v: &PlanVersion) -> Value {
    plan_json(&v.plan_name, &v.rules, &v.advanced_backup_settings)
}

/// A `BackupPlan` document: its name, rules and advanced settings.
fn plan_json(name: &str, rules: &[Rule], advanced: &Option<Value>) -> Value {
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

fn plan_summary_json(p: &Plan, v: &PlanVersion) -> Value {
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

async fn create_plan(State(e): Engn, Extension(ctx): Ctx, JsonBody(body): JsonBody) -> Response<Body> {
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

async fn get_plan(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
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

async fn list_plans(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let plans = e.list_plans(&ctx.region, q.flag("includeDeleted"));
        let (items, next) = page(plans, &q)?;
        let list: Vec<Value> = items.iter().map(|p| plan_summary_json(p, p.current())).collect();
        Ok(with_next(json!({ "BackupPlansList": list }), next))
    })();
    reply(&ctx, result)
}

async fn list_plan_versions(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
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

async fn update_plan(
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

async fn delete_plan(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
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

// ----- selections -----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateSelectionBody {
    backup_selection: Option<SelectionInput>,
    creator_request_id: Option<String>,
}

fn conditions_json(c: &Conditions) -> Value {
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

async fn create_selection(
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

async fn get_selection(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
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

async fn list_selections(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
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

async fn delete_selection(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .delete_selection(&ctx.principal(), &ctx.region, p.at(0), p.at(1))
        .map(|_| json!({}));
    reply(&ctx, result)
}

// ----- backup jobs -----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartBackupBody {
    backup_vault_name: Option<String>,
    resource_arn: Option<String>,
    iam_role_arn: Option<String>,
    start_window_minutes: Option<i64>,
    complete_window_minutes: Option<i64>,
    lifecycle: Option<Lifecycle>,
    recovery_point_tags: Option<BTreeMap<String, String>>,
    backup_options: Option<BTreeMap<String, String>>,
    index: Option<String>,
    idempotency_token: Option<String>,
}

fn backup_job_json(j: &BackupJob, account: &str) -> Value {
    let mut m = Map::new();
    m.insert("AccountId".into(), json!(account));
    m.insert("BackupJobId".into(), json!(j.id));
    m.insert("BackupVaultName".into(), json!(j.vault_name));
    m.insert("BackupVaultArn".into(), json!(j.vault_arn));
    m.insert("VaultType".into(), json!("BACKUP_VAULT"));
    put_opt(&mut m, "RecoveryPointLifecycle", lifecycle_json(&j.lifecycle));
    put_opt(&mut m, "RecoveryPointArn", opt_str(&j.recovery_point_arn));
    m.insert("IsEncrypted".into(), json!(true));
    m.insert("ResourceArn".into(), json!(j.resource_arn));
    m.insert("CreationDate".into(), ts(j.creation_date));
    put_opt(&mut m, "CompletionDate", opt_ts(j.completion_date));
    m.insert("State".into(), json!(j.state.as_str()));
    put_opt(&mut m, "StatusMessage", opt_str(&j.status_message));
    let percent = match j.state {
        BackupJobState::Completed => "100.0",
        _ => "0.0",
    };
    m.insert("PercentDone".into(), json!(percent));
    m.insert("BackupSizeInBytes".into(), json!(j.size_bytes));
    m.insert("IamRoleArn".into(), json!(j.iam_role_arn));
    put_opt(&mut m, "CreatedBy", creator_json(&j.created_by));
    m.insert("ResourceType".into(), json!(j.resource_type));
    if j.state == BackupJobState::Completed {
        m.insert("BytesTransferred".into(), json!(j.size_bytes));
    }
    put_opt(
        &mut m,
        "ExpectedCompletionDate",
        opt_ts(j.expected_completion_date),
    );
    m.insert("StartBy".into(), ts(j.start_by));
    m.insert(
        "BackupType".into(),
        json!(if j.continuous { "CONTINUOUS" } else { "SNAPSHOT" }),
    );
    m.insert("IsParent".into(), json!(false));
    m.insert("ResourceName".into(), json!(j.resource_name));
    put_opt(&mut m, "InitiationDate", opt_ts(j.started));
    m.insert("MessageCategory".into(), json!(message_category(j)));
    if !j.backup_options.is_empty() {
        m.insert("BackupOptions".into(), json!(j.backup_options));
    }
    Value::Object(m)
}

/// A backup job's `MessageCategory`.
fn message_category(j: &BackupJob) -> &'static str {
    match j.state {
        BackupJobState::Completed | BackupJobState::Running | BackupJobState::Created => "SUCCESS",
        _ => "ERROR",
    }
}

async fn start_backup_job(State(e): Engn, Extension(ctx): Ctx, JsonBody(body): JsonBody) -> Response<Body> {
    let result = async {
        let b: StartBackupBody = parse_body(&body)?;
        if let Some(index) = &b.index
            && !matches!(index.as_str(), "ENABLED" | "DISABLED")
        {
            return Err(BackupError::invalid(format!(
                "Invalid value {index:?} for Index: valid values are ENABLED, DISABLED"
            )));
        }
        let job = e
            .start_backup_job(
                &ctx.principal(),
                &ctx.region,
                StartBackup {
                    vault_name: b
                        .backup_vault_name
                        .ok_or_else(|| BackupError::missing("BackupVaultName"))?,
                    resource_arn: b
                        .resource_arn
                        .ok_or_else(|| BackupError::missing("ResourceArn"))?,
                    iam_role_arn: b.iam_role_arn.ok_or_else(|| BackupError::missing("IamRoleArn"))?,
                    start_window_minutes: b.start_window_minutes,
                    complete_window_minutes: b.complete_window_minutes,
                    lifecycle: b.lifecycle,
                    recovery_point_tags: b.recovery_point_tags.unwrap_or_default(),
                    backup_options: b.backup_options.unwrap_or_default(),
                    idempotency_token: b.idempotency_token,
                },
            )
            .await?;
        let mut m = Map::new();
        m.insert("BackupJobId".into(), json!(job.id));
        put_opt(&mut m, "RecoveryPointArn", opt_str(&job.recovery_point_arn));
        m.insert("CreationDate".into(), ts(job.creation_date));
        m.insert("IsParent".into(), json!(false));
        Ok(Value::Object(m))
    }
    .await;
    reply(&ctx, result)
}

async fn describe_backup_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_backup_job(&ctx.region, p.at(0))
        .map(|j| backup_job_json(&j, e.account()));
    reply(&ctx, result)
}

async fn list_backup_jobs(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let f = BackupJobFilter {
            state: q.one_of("state", BACKUP_JOB_STATES)?,
            resource_arn: q.get("resourceArn"),
            vault_name: q.matching("backupVaultName", vault_name_valid, "^[a-zA-Z0-9\\-\\_]{2,50}$")?,
            resource_type: q.resource_type()?,
            created_after: q.time("createdAfter")?,
            created_before: q.time("createdBefore")?,
            complete_after: q.time("completeAfter")?,
            complete_before: q.time("completeBefore")?,
        };
        let mut jobs = e.list_backup_jobs(&ctx.region, &f);
        if q.other_account("accountId", e.account())? {
            jobs.clear();
        }
        if let Some(category) = q.get("messageCategory") {
            jobs.retain(|j| message_category(j) == category);
        }
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(|j| backup_job_json(j, e.account())).collect();
        Ok(with_next(json!({ "BackupJobs": list }), next))
    })();
    reply(&ctx, result)
}

async fn stop_backup_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .stop_backup_job(&ctx.principal(), &ctx.region, p.at(0))
        .await
        .map(|_| json!({}));
    reply(&ctx, result)
}

// ----- copy jobs -----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartCopyBody {
    recovery_point_arn: Option<String>,
    source_backup_vault_name: Option<String>,
    destination_backup_vault_arn: Option<String>,
    iam_role_arn: Option<String>,
    lifecycle: Option<Lifecycle>,
    idempotency_token: Option<String>,
}

fn copy_job_json(j: &CopyJob, account: &str) -> Value {
    let mut m = Map::new();
    m.insert("AccountId".into(), json!(account));
    m.insert("CopyJobId".into(), json!(j.id));
    m.insert("SourceBackupVaultArn".into(), json!(j.source_vault_arn));
    m.insert(
        "SourceRecoveryPointArn".into(),
        json!(j.source_recovery_point_arn),
    );
    m.insert("DestinationBackupVaultArn".into(), json!(j.destination_vault_arn));
    m.insert("DestinationVaultType".into(), json!("BACKUP_VAULT"));
    put_opt(
        &mut m,
        "DestinationRecoveryPointArn",
        opt_str(&j.destination_recovery_point_arn),
    );
    put_opt(
        &mut m,
        "DestinationRecoveryPointLifecycle",
        lifecycle_json(&j.destination_lifecycle),
    );
    m.insert("ResourceArn".into(), json!(j.resource_arn));
    m.insert("CreationDate".into(), ts(j.creation_date));
    if matches!(j.state, JobState::Completed | JobState::Failed) {
        put_opt(&mut m, "CompletionDate", opt_ts(j.completion_date));
    }
    m.insert("State".into(), json!(j.state.copy_str()));
    put_opt(&mut m, "StatusMessage", opt_str(&j.status_message));
    m.insert("BackupSizeInBytes".into(), json!(j.size_bytes));
    m.insert("IamRoleArn".into(), json!(j.iam_role_arn));
    put_opt(&mut m, "CreatedBy", creator_json(&j.created_by));
    put_opt(
        &mut m,
        "CreatedByBackupJobId",
        opt_str(&j.created_by_backup_job_id),
    );
    m.insert("ResourceType".into(), json!(j.resource_type));
    m.insert("IsParent".into(), json!(false));
    m.insert("ResourceName".into(), json!(j.resource_name));
    m.insert("MessageCategory".into(), json!(copy_message_category(j)));
    Value::Object(m)
}

/// A copy job's `MessageCategory`.
fn copy_message_category(j: &CopyJob) -> &'static str {
    if j.state == JobState::Failed {
        "ERROR"
    } else {
        "SUCCESS"
    }
}

async fn start_copy_job(State(e): Engn, Extension(ctx): Ctx, JsonBody(body): JsonBody) -> Response<Body> {
    let result = async {
        let b: StartCopyBody = parse_body(&body)?;
        let job = e
            .start_copy_job(
                &ctx.principal(),
                &ctx.region,
                b.recovery_point_arn.as_deref().unwrap_or(""),
                b.source_backup_vault_name.as_deref().unwrap_or(""),
                b.destination_backup_vault_arn.as_deref().unwrap_or(""),
                b.iam_role_arn.as_deref().unwrap_or(""),
                b.lifecycle,
                b.idempotency_token,
            )
            .await?;
        Ok(json!({"CopyJobId": job.id, "CreationDate": ts(job.creation_date), "IsParent": false}))
    }
    .await;
    reply(&ctx, result)
}

async fn describe_copy_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_copy_job(&ctx.region, p.at(0))
        .map(|j| json!({ "CopyJob": copy_job_json(&j, e.account()) }));
    reply(&ctx, result)
}

async fn list_copy_jobs(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let f = CopyJobFilter {
            state: q.one_of("state", COPY_JOB_STATES)?,
            resource_arn: q.get("resourceArn"),
            destination_vault_arn: q.get("destinationVaultArn"),
            resource_type: q.resource_type()?,
            source_recovery_point_arn: q.get("sourceRecoveryPointArn"),
            created_after: q.time("createdAfter")?,
            created_before: q.time("createdBefore")?,
            complete_after: q.time("completeAfter")?,
            complete_before: q.time("completeBefore")?,
        };
        let mut jobs = e.list_copy_jobs(&ctx.region, &f);
        if q.other_account("accountId", e.account())? {
            jobs.clear();
        }
        if let Some(category) = q.get("messageCategory") {
            jobs.retain(|j| copy_message_category(j) == category);
        }
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(|j| copy_job_json(j, e.account())).collect();
        Ok(with_next(json!({ "CopyJobs": list }), next))
    })();
    reply(&ctx, result)
}

// ----- recovery points -----

fn rp_json(rp: &RecoveryPoint, now: DateTime<Utc>, describe: bool) -> Value {
    let mut m = Map::new();
    m.insert("RecoveryPointArn".into(), json!(rp.arn));
    m.insert("BackupVaultName".into(), json!(rp.vault_name));
    m.insert("BackupVaultArn".into(), json!(rp.vault_arn));
    put_opt(&mut m, "SourceBackupVaultArn", opt_str(&rp.source_vault_arn));
    m.insert("ResourceArn".into(), json!(rp.resource_arn));
    m.insert("ResourceType".into(), json!(rp.resource_type));
    put_opt(&mut m, "CreatedBy", creator_json(&rp.created_by));
    m.insert("IamRoleArn".into(), json!(rp.iam_role_arn));
    m.insert("Status".into(), json!(rp.status.as_str()));
    put_opt(&mut m, "StatusMessage", opt_str(&rp.status_message));
    m.insert("CreationDate".into(), ts(rp.creation_date));
    m.insert("InitiationDate".into(), ts(rp.creation_date));
    m.insert("CompletionDate".into(), ts(rp.completion_date));
    m.insert("BackupSizeInBytes".into(), json!(rp.size_bytes));
    let calc = rp.calculated_lifecycle();
    let mut c = Map::new();
    put_opt(
        &mut c,
        "MoveToColdStorageAt",
        opt_ts(calc.move_to_cold_storage_at),
    );
    put_opt(&mut c, "DeleteAt", opt_ts(calc.delete_at));
    if !c.is_empty() {
        m.insert("CalculatedLifecycle".into(), Value::Object(c));
    }
    put_opt(&mut m, "Lifecycle", lifecycle_json(&rp.lifecycle));
    m.insert("EncryptionKeyArn".into(), json!(rp.encryption_key_arn));
    m.insert("IsEncrypted".into(), json!(true));
    put_opt(&mut m, "LastRestoreTime", opt_ts(rp.last_restore_time));
    m.insert("IsParent".into(), json!(false));
    m.insert("ResourceName".into(), json!(rp.resource_name));
    m.insert("VaultType".into(), json!("BACKUP_VAULT"));
    if describe {
        m.insert("StorageClass".into(), json!(rp.storage_class(now)));
    }
    Value::Object(m)
}

async fn list_rps_by_vault(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result = (|| {
        q.this_account_vault(e.account(), p.at(0))?;
        let f = RecoveryPointFilter {
            resource_arn: q.get("resourceArn"),
            resource_type: q.resource_type()?,
            plan_id: q.get("backupPlanId"),
            created_after: q.time("createdAfter")?,
            created_before: q.time("createdBefore")?,
        };
        let rps = e.list_recovery_points_by_vault(&ctx.region, p.at(0), &f)?;
        let (items, next) = page(rps, &q)?;
        let now = e.now();
        let list: Vec<Value> = items.iter().map(|rp| rp_json(rp, now, false)).collect();
        Ok(with_next(json!({ "RecoveryPoints": list }), next))
    })();
    reply(&ctx, result)
}

async fn describe_rp(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result = q
        .this_account_vault(e.account(), p.at(0))
        .and_then(|()| e.describe_recovery_point(&ctx.region, p.at(0), p.at(1)))
        .map(|rp| rp_json(&rp, e.now(), true));
    reply(&ctx, result)
}

async fn delete_rp(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .delete_recovery_point(&ctx.principal(), &ctx.region, p.at(0), p.at(1))
        .await
        .map(|_| json!({}));
    reply(&ctx, result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateLifecycleBody {
    lifecycle: Option<Lifecycle>,
}

async fn update_rp_lifecycle(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: UpdateLifecycleBody = parse_body(&body)?;
        let rp = e.update_recovery_point_lifecycle(
            &ctx.principal(),
            &ctx.region,
            p.at(0),
            p.at(1),
            b.lifecycle.unwrap_or_default(),
        )?;
        let full = rp_json(&rp, e.now(), false);
        let mut m = Map::new();
        m.insert("BackupVaultArn".into(), json!(rp.vault_arn));
        m.insert("RecoveryPointArn".into(), json!(rp.arn));
        for k in ["Lifecycle", "CalculatedLifecycle"] {
            if let Some(v) = full.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        Ok(Value::Object(m))
    })();
    reply(&ctx, result)
}

async fn rp_restore_metadata(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result = q
        .this_account_vault(e.account(), p.at(0))
        .and_then(|()| e.recovery_point_restore_metadata(&ctx.region, p.at(0), p.at(1)))
        .map(|(rp, metadata)| {
            json!({
                "BackupVaultArn": rp.vault_arn,
                "RecoveryPointArn": rp.arn,
                "RestoreMetadata": metadata,
                "ResourceType": rp.resource_type,
            })
        });
    reply(&ctx, result)
}

async fn list_rps_by_resource(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result = (|| {
        let rps = e.list_recovery_points_by_resource(&ctx.region, p.at(0));
        let (items, next) = page(rps, &q)?;
        let list: Vec<Value> = items
            .iter()
            .map(|rp| {
                let mut m = Map::new();
                m.insert("RecoveryPointArn".into(), json!(rp.arn));
                m.insert("CreationDate".into(), ts(rp.creation_date));
                m.insert("Status".into(), json!(rp.status.as_str()));
                put_opt(&mut m, "StatusMessage", opt_str(&rp.status_message));
                m.insert("EncryptionKeyArn".into(), json!(rp.encryption_key_arn));
                m.insert("BackupSizeBytes".into(), json!(rp.size_bytes));
                m.insert("BackupVaultName".into(), json!(rp.vault_name));
                m.insert("IsParent".into(), json!(false));
                m.insert("ResourceName".into(), json!(rp.resource_name));
                m.insert("VaultType".into(), json!("BACKUP_VAULT"));
                Value::Object(m)
            })
            .collect();
        Ok(with_next(json!({ "RecoveryPoints": list }), next))
    })();
    reply(&ctx, result)
}

// ----- restore jobs -----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartRestoreBody {
    recovery_point_arn: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    iam_role_arn: Option<String>,
    resource_type: Option<String>,
    idempotency_token: Option<String>,
}

fn restore_job_json(j: &RestoreJob, account: &str) -> Value {
    let mut m = Map::new();
    m.insert("AccountId".into(), json!(account));
    m.insert("RestoreJobId".into(), json!(j.id));
    m.insert("RecoveryPointArn".into(), json!(j.recovery_point_arn));
    m.insert("SourceResourceArn".into(), json!(j.source_resource_arn));
    m.insert("BackupVaultArn".into(), json!(j.vault_arn));
    m.insert("CreationDate".into(), ts(j.creation_date));
    put_opt(&mut m, "CompletionDate", opt_ts(j.completion_date));
    m.insert("Status".into(), json!(j.state.restore_str()));
    put_opt(&mut m, "StatusMessage", opt_str(&j.status_message));
    m.insert(
        "PercentDone".into(),
        json!(if j.state == JobState::Completed {
            "100.00%"
        } else {
            "0.00%"
        }),
    );
    m.insert("BackupSizeInBytes".into(), json!(j.size_bytes));
    put_opt(&mut m, "IamRoleArn", opt_str(&j.iam_role_arn));
    put_opt(&mut m, "CreatedResourceArn", opt_str(&j.created_resource_arn));
    m.insert("ResourceType".into(), json!(j.resource_type));
    m.insert(
        "RecoveryPointCreationDate".into(),
        ts(j.recovery_point_creation_date),
    );
    m.insert("IsParent".into(), json!(false));
    Value::Object(m)
}

async fn start_restore_job(State(e): Engn, Extension(ctx): Ctx, JsonBody(body): JsonBody) -> Response<Body> {
    let result = (|| {
        let b: StartRestoreBody = parse_body(&body)?;
        let rp = b
            .recovery_point_arn
            .ok_or_else(|| BackupError::missing("RecoveryPointArn"))?;
        let metadata = b.metadata.ok_or_else(|| BackupError::missing("Metadata"))?;
        let job = e.start_restore_job(
            &ctx.principal(),
            &ctx.region,
            &rp,
            metadata,
            b.iam_role_arn,
            b.resource_type,
            b.idempotency_token,
        )?;
        let (job, new) = job;
        if new {
            let engine = e.clone();
            let (region, id) = (ctx.region.clone(), job.id.clone());
            tokio::spawn(async move { engine.run_restore_job(&region, &id).await });
        }
        Ok(json!({ "RestoreJobId": job.id }))
    })();
    reply(&ctx, result)
}

async fn describe_restore_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_restore_job(&ctx.region, p.at(0))
        .map(|j| restore_job_json(&j, e.account()));
    reply(&ctx, result)
}

async fn list_restore_jobs(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let f = RestoreJobFilter {
            status: q.one_of("status", RESTORE_JOB_STATUSES)?,
            resource_type: q.resource_type()?,
            created_after: q.time("createdAfter")?,
            created_before: q.time("createdBefore")?,
            complete_after: q.time("completeAfter")?,
            complete_before: q.time("completeBefore")?,
            ..RestoreJobFilter::default()
        };
        let mut jobs = e.list_restore_jobs(&ctx.region, &f);
        // No restore testing plan exists here, so none started a job.
        if q.other_account("accountId", e.account())? || q.get("restoreTestingPlanArn").is_some() {
            jobs.clear();
        }
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(|j| restore_job_json(j, e.account())).collect();
        Ok(with_next(json!({ "RestoreJobs": list }), next))
    })();
    reply(&ctx, result)
}

async fn list_restore_jobs_by_resource(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
    let result = (|| {
        let f = RestoreJobFilter {
            status: q.one_of("status", RESTORE_JOB_STATUSES)?,
            source_resource_arn: Some(p.at(0).to_owned()),
            recovery_point_created_after: q.time("recoveryPointCreationDateAfter")?,
            recovery_point_created_before: q.time("recoveryPointCreationDateBefore")?,
            ..RestoreJobFilter::default()
        };
        let jobs = e.list_restore_jobs(&ctx.region, &f);
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(|j| restore_job_json(j, e.account())).collect();
        Ok(with_next(json!({ "RestoreJobs": list }), next))
    })();
    reply(&ctx, result)
}

async fn restore_job_metadata(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_restore_job(&ctx.region, p.at(0))
        .map(|j| json!({ "RestoreJobId": j.id, "Metadata": j.metadata }));
    reply(&ctx, result)
}

// ----- protected resources, tags, supported types -----

fn protected_json(arn: &str, p: &ProtectedInfo) -> Value {
    json!({
        "ResourceArn": arn,
        "ResourceType": p.resource_type,
        "LastBackupTime": ts(p.last_backup_time),
        "ResourceName": p.resource_name,
        "LastBackupVaultArn": p.last_vault_arn,
        "LastRecoveryPointArn": p.last_recovery_point_arn,
    })
}

async fn list_protected(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let all = e.list_protected_resources(&ctx.region);
        let (items, next) = page(all, &q)?;
        let list: Vec<Value> = items.iter().map(|(arn, p)| protected_json(arn, p)).collect();
        Ok(with_next(json!({ "Results": list }), next))
    })();
    reply(&ctx, result)
}

async fn list_protected_by_vault(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result = (|| {
        q.this_account_vault(e.account(), p.at(0))?;
        let all = e.list_protected_resources_by_vault(&ctx.region, p.at(0))?;
        let (items, next) = page(all, &q)?;
        let list: Vec<Value> = items.iter().map(|(arn, p)| protected_json(arn, p)).collect();
        Ok(with_next(json!({ "Results": list }), next))
    })();
    reply(&ctx, result)
}

async fn describe_protected(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e.describe_protected_resource(&ctx.region, p.at(0)).map(|info| {
        let mut v = protected_json(p.at(0), &info);
        if let (Some(job), Some(m)) = (e.latest_restore(&ctx.region, p.at(0)), v.as_object_mut()) {
            m.insert("LatestRestoreJobCreationDate".into(), ts(job.creation_date));
            m.insert(
                "LatestRestoreRecoveryPointCreationDate".into(),
                ts(job.recovery_point_creation_date),
            );
            if let Some(done) = job.completion_date {
                let minutes = done.signed_duration_since(job.creation_date).num_minutes();
                m.insert("LatestRestoreExecutionTimeMinutes".into(), json!(minutes));
            }
        }
        v
    });
    reply(&ctx, result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagBody {
    tags: Option<BTreeMap<String, String>>,
    tag_key_list: Option<Vec<String>>,
}

async fn tag_resource(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: TagBody = parse_body(&body)?;
        let tags = b.tags.ok_or_else(|| BackupError::missing("Tags"))?;
        e.tag_resource(&ctx.principal(), &ctx.region, p.at(0), tags)?;
        Ok(json!({}))
    })();
    reply(&ctx, result)
}

async fn untag_resource(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: TagBody = parse_body(&body)?;
        let keys = b.tag_key_list.ok_or_else(|| BackupError::missing("TagKeyList"))?;
        e.untag_resource(&ctx.principal(), &ctx.region, p.at(0), &keys)?;
        Ok(json!({}))
    })();
    reply(&ctx, result)
}

async fn list_tags(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    // Tags come back whole (at most 50), so one page always holds them;
    // `MaxResults` is still checked against the model's range.
    let result = page(Vec::<()>::new(), &q)
        .and_then(|_| e.list_tags(&ctx.region, p.at(0)))
        .map(|t| json!({ "Tags": t }));
    reply(&ctx, result)
}

async fn supported_types(State(e): Engn, Extension(ctx): Ctx) -> Response<Body> {
    let types: Vec<&str> = e.providers.iter().map(|p| p.resource_type()).collect();
    ok(&ctx, json!({ "ResourceTypes": types }))
}

async fn unsupported(Extension(ctx): Ctx, method: http::Method, uri: http::Uri) -> Response<Body> {
    BackupError::UnsupportedOperation(format!(
        "The AWS Backup operation at {method} {} is not supported by firedrill",
        uri.path()
    ))
    .into_response(&ctx.request_id)
}
