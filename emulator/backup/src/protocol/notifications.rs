//! The wire side of vault notifications ([`crate::engine::notifications`]):
//! `PutBackupVaultNotifications`, `GetBackupVaultNotifications`,
//! `DeleteBackupVaultNotifications`.

use super::guards::vault_name;
use super::{Ctx, Engn, JsonBody, Params, parse_body, reply};
use axum::Extension;
use axum::extract::State;
use firedrill_emu_core::Body;
use http::Response;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
struct NotificationsBody {
    #[serde(rename = "SNSTopicArn")]
    sns_topic_arn: Option<String>,
    #[serde(rename = "BackupVaultEvents")]
    backup_vault_events: Option<Vec<String>>,
}

pub(super) async fn put_notifications(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let name = vault_name(&p)?;
        let b: NotificationsBody = parse_body(&body)?;
        e.put_vault_notifications(
            &ctx.principal(),
            &ctx.region,
            name,
            b.sns_topic_arn,
            b.backup_vault_events,
        )?;
        Ok(json!({}))
    })();
    reply(&ctx, result)
}

pub(super) async fn get_notifications(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = vault_name(&p).and_then(|name| {
        let (arn, n) = e.get_vault_notifications(&ctx.region, name)?;
        Ok(json!({
            "BackupVaultName": name,
            "BackupVaultArn": arn,
            "SNSTopicArn": n.sns_topic_arn,
            "BackupVaultEvents": n.events,
        }))
    });
    reply(&ctx, result)
}

pub(super) async fn delete_notifications(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = vault_name(&p)
        .and_then(|name| e.delete_vault_notifications(&ctx.principal(), &ctx.region, name))
        .map(|_| json!({}));
    reply(&ctx, result)
}
