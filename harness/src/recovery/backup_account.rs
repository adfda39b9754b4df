//! [`super::Runbook::BackupAccountRestore`]: the way back after stolen
//! admin keys, from the locked vault in the second account, as AWS
//! documents it for cross-account backups: the backup account copies its
//! recovery points back into a fresh vault of the production account, and
//! the production account restores them.
//!
//! 1. Act with the backup account's own keys (the production keys are the
//!    attacker's), and make its vault's key usable: a deletion the
//!    attacker scheduled is cancelled within its pending window
//!    (`CancelKeyDeletion`, then `EnableKey`), a disabled key enabled.
//! 2. Find the newest recovery point made before T of each resource in
//!    that vault.
//! 3. In the production account, a new vault under a new KMS key (the old
//!    key is the attacker's to disable), its access policy open to copies
//!    from the backup account.
//! 4. `StartCopyJob` of each point into it, from the backup account, and
//!    wait for the jobs.
//! 5. Restore the copies in production into new `-dr` resources and
//!    re-point the store ([`super::restore_points`]).

use super::{RecoveryContext, RecoveryPointInfo, find_points_before, restore_points};
use crate::policy::{backup_role_arn, create_vault};
use crate::target::{BACKUP_ACCOUNT, Clients};
use crate::wait::{Poll, wait_for};
use anyhow::{Context, anyhow, bail};

const RB: &str = "backup_account_restore";

/// Restores from the vault of the account named `account` (the target's
/// [`BACKUP_ACCOUNT`] when absent) in `region` (the store's when absent).
pub async fn backup_account_restore(
    ctx: &mut RecoveryContext<'_>,
    account: Option<&str>,
    region: Option<&str>,
) -> anyhow::Result<()> {
    let account = account.unwrap_or(BACKUP_ACCOUNT);
    let region = region.unwrap_or(&ctx.store.region).to_owned();
    let vault = ctx.store.names.backup_account_vault();

    let step = ctx.begin(RB, format!("act with the {account} account's own keys"));
    let r = async {
        let remote = Clients::for_account(ctx.target, account, &region)?;
        let id = remote.account_id().await?;
        Ok(((remote, id.clone()), format!("signed in to account {id}")))
    }
    .await;
    let (remote, backup_account_id) = ctx.finish(step, r)?;

    let step = ctx.begin(RB, format!("make the key of vault {vault} usable"));
    let r = usable_key(&remote, &vault).await.map(|d| ((), d));
    ctx.finish(step, r)?;

    let points = find_points_before(ctx, RB, &remote, &vault).await?;
    let prod = ctx.clients();
    if points.is_empty() {
        return restore_points(ctx, RB, &prod, points).await;
    }

    let recovered = format!("{}-recovered", ctx.store.names.backup_vault);
    let step = ctx.begin(
        RB,
        format!("create vault {recovered} in the production account under a new key, open to copies from {backup_account_id}"),
    );
    let r = recovery_vault(&prod, &recovered, &backup_account_id)
        .await
        .map(|arn| (arn.clone(), arn));
    let destination = ctx.finish(step, r)?;

    let mut jobs = Vec::new();
    for p in &points {
        let step = ctx.begin(
            RB,
            format!("copy {} back into the production account", p.resource_arn),
        );
        let r = remote
            .backup
            .start_copy_job()
            .recovery_point_arn(&p.arn)
            .source_backup_vault_name(&vault)
            .destination_backup_vault_arn(&destination)
            .iam_role_arn(backup_role_arn(&backup_account_id))
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("StartCopyJob")
            .and_then(|r| {
                r.copy_job_id
                    .ok_or_else(|| anyhow!("StartCopyJob returned no id"))
            })
            .map(|id| (id.clone(), format!("copy job {id} from {}", p.arn)));
        jobs.push((ctx.finish(step, r)?, p));
    }

    let mut copies = Vec::new();
    for (id, p) in jobs {
        let step = ctx.begin(RB, format!("wait for copy job {id}"));
        let backup = remote.backup.clone();
        let r = wait_for(
            ctx.target,
            &format!("copy job {id} to complete"),
            &ctx.wait,
            || async {
                let d = backup
                    .describe_copy_job()
                    .copy_job_id(&id)
                    .send()
                    .await
                    .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                let job = d
                    .copy_job
                    .ok_or_else(|| anyhow!("DescribeCopyJob {id} returned no job"))?;
                use aws_sdk_backup::types::CopyJobState as S;
                match job.state {
                    Some(S::Completed) => Ok(Poll::Ready(
                        job.destination_recovery_point_arn.unwrap_or_default(),
                    )),
                    Some(S::Failed) => bail!(
                        "copy job {id} ended {:?}: {}",
                        job.state,
                        job.status_message.unwrap_or_default()
                    ),
                    other => Ok(Poll::Pending(format!("state {other:?}"))),
                }
            },
        )
        .await
        .map(|arn| (arn.clone(), format!("in production as {arn}")));
        let arn = ctx.finish(step, r)?;
        copies.push(RecoveryPointInfo {
            arn,
            resource_arn: p.resource_arn.clone(),
            resource_type: p.resource_type.clone(),
            created: p.created,
        });
    }
    restore_points(ctx, RB, &prod, copies).await
}

/// Makes the key of `vault` usable again and says what that took.
async fn usable_key(clients: &Clients, vault: &str) -> anyhow::Result<String> {
    use aws_sdk_kms::types::KeyState;
    let Some(key) = clients.vault_key_arn(vault).await? else {
        return Ok("the vault has no key of its own".into());
    };
    let state = clients
        .kms
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("DescribeKey {key}"))?
        .key_metadata
        .and_then(|m| m.key_state);
    let mut done = Vec::new();
    if state == Some(KeyState::PendingDeletion) {
        clients
            .kms
            .cancel_key_deletion()
            .key_id(&key)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("CancelKeyDeletion {key}"))?;
        done.push("cancelled its scheduled deletion");
    }
    if matches!(state, Some(KeyState::PendingDeletion | KeyState::Disabled)) {
        clients
            .kms
            .enable_key()
            .key_id(&key)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("EnableKey {key}"))?;
        done.push("enabled it");
    }
    Ok(if done.is_empty() {
        format!(
            "key {key} is {}",
            state.map(|s| s.as_str().to_owned()).unwrap_or_default()
        )
    } else {
        format!("key {key}: {}", done.join(", "))
    })
}

/// A new vault in production under a new key, whose access policy lets
/// `source_account` copy into it; returns its ARN.
async fn recovery_vault(prod: &Clients, name: &str, source_account: &str) -> anyhow::Result<String> {
    let key = prod
        .kms
        .create_key()
        .description(format!("firedrill recovery vault {name}"))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("CreateKey")?
        .key_metadata
        .map(|m| m.arn.unwrap_or(m.key_id))
        .ok_or_else(|| anyhow!("CreateKey returned no key"))?;
    let arn = create_vault(&prod.backup, name, Some(key)).await?;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowCopiesFromTheBackupAccount",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{source_account}:root")},
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*"
        }]
    });
    prod.backup
        .put_backup_vault_access_policy()
        .backup_vault_name(name)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("PutBackupVaultAccessPolicy {name}"))?;
    Ok(arn)
}
