//! Recovery points on the wire: listing by vault and by resource,
//! `DescribeRecoveryPoint`, `DeleteRecoveryPoint`,
//! `UpdateRecoveryPointLifecycle`, `GetRecoveryPointRestoreMetadata`.

use super::*;

pub(super) fn rp_json(rp: &RecoveryPoint, now: DateTime<Utc>, describe: bool) -> Value {
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
    m.insert(
        "EncryptionKeyType".into(),
        json!(key_type(rp.customer_managed_key)),
    );
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

pub(super) async fn list_rps_by_vault(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
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

pub(super) async fn describe_rp(State(e): Engn, Extension(ctx): Ctx, p: Params, q: Query) -> Response<Body> {
    let result = q
        .this_account_vault(e.account(), p.at(0))
        .and_then(|()| e.describe_recovery_point(&ctx.region, p.at(0), p.at(1)))
        .map(|rp| rp_json(&rp, e.now(), true));
    reply(&ctx, result)
}

pub(super) async fn delete_rp(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
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

pub(super) async fn update_rp_lifecycle(
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

pub(super) async fn rp_restore_metadata(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
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

pub(super) async fn list_rps_by_resource(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
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
                m.insert(
                    "EncryptionKeyType".into(),
                    json!(key_type(rp.customer_managed_key)),
                );
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
