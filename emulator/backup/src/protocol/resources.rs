//! Protected resources, tags and supported types on the wire:
//! `ListProtectedResources`, `DescribeProtectedResource`,
//! `ListProtectedResourcesByBackupVault`, `TagResource`, `UntagResource`,
//! `ListTags`, `GetSupportedResourceTypes`.

use super::*;

pub(super) fn protected_json(arn: &str, p: &ProtectedInfo) -> Value {
    json!({
        "ResourceArn": arn,
        "ResourceType": p.resource_type,
        "LastBackupTime": ts(p.last_backup_time),
        "ResourceName": p.resource_name,
        "LastBackupVaultArn": p.last_vault_arn,
        "LastRecoveryPointArn": p.last_recovery_point_arn,
    })
}

pub(super) async fn list_protected(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let all = e.list_protected_resources(&ctx.region);
        let (items, next) = page(all, &q)?;
        let list: Vec<Value> = items.iter().map(|(arn, p)| protected_json(arn, p)).collect();
        Ok(with_next(json!({ "Results": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn list_protected_by_vault(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
    let result = (|| {
        q.this_account_vault(e.account(), p.at(0))?;
        let all = e.list_protected_resources_by_vault(&ctx.region, p.at(0))?;
        let (items, next) = page(all, &q)?;
        let list: Vec<Value> = items.iter().map(|(arn, p)| protected_json(arn, p)).collect();
        Ok(with_next(json!({ "Results": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn describe_protected(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
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

pub(super) async fn tag_resource(
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

pub(super) async fn untag_resource(
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

pub(super) async fn list_tags(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    // Tags come back whole (at most 50), so one page always holds them;
    // `MaxResults` is still checked against the model's range.
    let result = page(Vec::<()>::new(), &q)
        .and_then(|_| e.list_tags(&ctx.region, p.at(0)))
        .map(|t| json!({ "Tags": t }));
    reply(&ctx, result)
}

pub(super) async fn supported_types(State(e): Engn, Extension(ctx): Ctx) -> Response<Body> {
    let types: Vec<&str> = e.providers.iter().map(|p| p.resource_type()).collect();
    ok(&ctx, json!({ "ResourceTypes": types }))
}
