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
//! Submodules, one concern each: [`vaults`], [`plans`] (and selections),
//! [`jobs`] (backup and copy jobs), [`recovery_points`], [`restores`],
//! [`resources`] (protected resources, tags, supported types),
//! [`guards`] (Vault Lock and access policies),
//! [`notifications`] (vault notification configurations) and
//! [`templates`] (`ExportBackupPlanTemplate`, `GetBackupPlanFromJSON`).

mod guards;
mod jobs;
mod notifications;
mod plans;
mod recovery_points;
mod resources;
mod restore_testing;
mod restores;
mod templates;
mod vaults;

use jobs::*;
use plans::*;
use recovery_points::*;
use resources::*;
use restores::*;
use vaults::*;

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
        .route(
            "/restore-jobs/{id}/validations",
            put(put_restore_validation_result),
        )
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
        .route(
            "/restore-testing/plans",
            put(restore_testing::create_restore_testing_plan)
                .get(restore_testing::list_restore_testing_plans),
        )
        .route(
            "/restore-testing/plans/{name}",
            get(restore_testing::get_restore_testing_plan)
                .put(restore_testing::update_restore_testing_plan)
                .delete(restore_testing::delete_restore_testing_plan),
        )
        .route(
            "/restore-testing/plans/{name}/selections",
            put(restore_testing::create_restore_testing_selection)
                .get(restore_testing::list_restore_testing_selections),
        )
        .route(
            "/restore-testing/plans/{name}/selections/{selection}",
            get(restore_testing::get_restore_testing_selection)
                .put(restore_testing::update_restore_testing_selection)
                .delete(restore_testing::delete_restore_testing_selection),
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
        Ok(self.account_id(k)?.is_some_and(|id| id != account))
    }

    /// An account id filter, checked against the model's pattern.
    fn account_id(&self, k: &str) -> BackupResult<Option<String>> {
        self.matching(
            k,
            |v| v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()),
            "^[0-9]{12}$",
        )
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
    // `Response::new` is 200 OK; no builder, so nothing to fail.
    let mut resp = Response::new(Body::from(value.to_string()));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
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
    page_by(items, q, "nextToken", "maxResults")
}

/// As [`page`], for operations whose query names the token and the page
/// size otherwise (`NextToken`, `MaxResults`).
fn page_by<T>(items: Vec<T>, q: &Query, token: &str, size: &str) -> BackupResult<(Vec<T>, Option<String>)> {
    let start = match q.get(token) {
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= items.len())
            .ok_or_else(|| BackupError::invalid(format!("Invalid NextToken: {t}")))?,
        None => 0,
    };
    let max = match q.get(size) {
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

async fn unsupported(Extension(ctx): Ctx, method: http::Method, uri: http::Uri) -> Response<Body> {
    BackupError::UnsupportedOperation(format!(
        "The AWS Backup operation at {method} {} is not supported by firedrill",
        uri.path()
    ))
    .into_response(&ctx.request_id)
}
