//! The wire side of a vault's guards: `PutBackupVaultLockConfiguration`,
//! `DeleteBackupVaultLockConfiguration` ([`crate::vault_lock`]) and
//! `PutBackupVaultAccessPolicy` / `GetBackupVaultAccessPolicy` /
//! `DeleteBackupVaultAccessPolicy` ([`crate::access_policy`]). The vault
//! name in the path is checked against the model's pattern first.

use super::{Ctx, Engn, JsonBody, Params, parse_body, reply, vault_name_valid};
use crate::error::{BackupError, BackupResult};
use crate::vault_lock::LockInput;
use axum::Extension;
use axum::extract::State;
use firedrill_emu_core::Body;
use http::Response;
use serde::Deserialize;
use serde_json::json;

pub(super) fn vault_name(p: &Params) -> BackupResult<&str> {
    let name = p.at(0);
    if vault_name_valid(name) {
        Ok(name)
    } else {
        Err(BackupError::invalid(format!(
            "Invalid backup vault name {name:?}: it must match ^[a-zA-Z0-9\\-\\_]{{2,50}}$"
        )))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LockBody {
    min_retention_days: Option<i64>,
    max_retention_days: Option<i64>,
    changeable_for_days: Option<i64>,
}

pub(super) async fn put_lock(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let name = vault_name(&p)?;
        let b: LockBody = parse_body(&body)?;
        let input = LockInput {
            min_retention_days: b.min_retention_days,
            max_retention_days: b.max_retention_days,
            changeable_for_days: b.changeable_for_days,
        };
        e.put_vault_lock(&ctx.principal(), &ctx.region, name, input)?;
        Ok(json!({}))
    })();
    reply(&ctx, result)
}

pub(super) async fn delete_lock(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = vault_name(&p)
        .and_then(|name| e.delete_vault_lock(&ctx.principal(), &ctx.region, name))
        .map(|_| json!({}));
    reply(&ctx, result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyBody {
    policy: Option<String>,
}

pub(super) async fn put_policy(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let name = vault_name(&p)?;
        let b: PolicyBody = parse_body(&body)?;
        e.put_vault_access_policy(&ctx.principal(), &ctx.region, name, b.policy.as_deref())?;
        Ok(json!({}))
    })();
    reply(&ctx, result)
}

pub(super) async fn get_policy(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = vault_name(&p).and_then(|name| {
        let (arn, policy) = e.get_vault_access_policy(&ctx.region, name)?;
        Ok(json!({ "BackupVaultName": name, "BackupVaultArn": arn, "Policy": policy }))
    });
    reply(&ctx, result)
}

pub(super) async fn delete_policy(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = vault_name(&p)
        .and_then(|name| e.delete_vault_access_policy(&ctx.principal(), &ctx.region, name))
        .map(|_| json!({}));
    reply(&ctx, result)
}
