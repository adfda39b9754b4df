//! Vault operations on the wire: `CreateBackupVault`, `DescribeBackupVault`,
//! `ListBackupVaults`, `DeleteBackupVault`.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateVaultBody {
    backup_vault_tags: Option<BTreeMap<String, String>>,
    encryption_key_arn: Option<String>,
    creator_request_id: Option<String>,
}

pub(super) fn vault_json(v: &Vault, count: usize) -> Value {
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
        json!(key_type(v.customer_managed_key)),
    );
    Value::Object(m)
}

pub(super) async fn create_vault(
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

pub(super) async fn describe_vault(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
    let result = q
        .this_account_vault(e.account(), p.at(0))
        .and_then(|()| e.describe_vault(&ctx.region, p.at(0)))
        .map(|(v, n)| vault_json(&v, n));
    reply(&ctx, result)
}

pub(super) async fn list_vaults(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
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

pub(super) async fn delete_vault(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .delete_vault(&ctx.principal(), &ctx.region, p.at(0))
        .map(|_| json!({}));
    reply(&ctx, result)
}

/// The model's `EncryptionKeyType` of a vault's (and its points') key.
pub(super) fn key_type(customer_managed: bool) -> &'static str {
    if customer_managed {
        "CUSTOMER_MANAGED_KMS_KEY"
    } else {
        "AWS_OWNED_KMS_KEY"
    }
}
