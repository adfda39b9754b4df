//! Vault notifications: `PutBackupVaultNotifications`,
//! `GetBackupVaultNotifications`, `DeleteBackupVaultNotifications`. The
//! configuration (an SNS topic ARN and the model's `BackupVaultEvent`s) is
//! validated, stored and returned; the emulator has no SNS yet, so nothing
//! is published to the topic.

use super::*;

/// The model's `BackupVaultEvent` values.
pub const BACKUP_VAULT_EVENTS: &[&str] = &[
    "BACKUP_JOB_STARTED",
    "BACKUP_JOB_COMPLETED",
    "BACKUP_JOB_SUCCESSFUL",
    "BACKUP_JOB_FAILED",
    "BACKUP_JOB_EXPIRED",
    "RESTORE_JOB_STARTED",
    "RESTORE_JOB_COMPLETED",
    "RESTORE_JOB_SUCCESSFUL",
    "RESTORE_JOB_FAILED",
    "COPY_JOB_STARTED",
    "COPY_JOB_SUCCESSFUL",
    "COPY_JOB_FAILED",
    "RECOVERY_POINT_MODIFIED",
    "BACKUP_PLAN_CREATED",
    "BACKUP_PLAN_MODIFIED",
    "S3_BACKUP_OBJECT_FAILED",
    "S3_RESTORE_OBJECT_FAILED",
    "CONTINUOUS_BACKUP_INTERRUPTED",
    "RECOVERY_POINT_INDEX_COMPLETED",
    "RECOVERY_POINT_INDEX_DELETED",
    "RECOVERY_POINT_INDEXING_FAILED",
    "EKS_RESTORE_OBJECT_FAILED",
    "EKS_RESTORE_OBJECT_SKIPPED",
    "EKS_BACKUP_OBJECT_FAILED",
];

impl Engine {
    /// `PutBackupVaultNotifications`: replaces the vault's configuration.
    pub fn put_vault_notifications(
        &self,
        principal: &str,
        region: &str,
        vault: &str,
        topic_arn: Option<String>,
        events: Option<Vec<String>>,
    ) -> BackupResult<()> {
        let result = (|| {
            let topic = topic_arn
                .filter(|t| !t.is_empty())
                .ok_or_else(|| BackupError::missing("SNSTopicArn"))?;
            if Arn::parse(&topic).map(|a| a.service != "sns").unwrap_or(true) {
                return Err(BackupError::invalid(format!(
                    "Invalid SNSTopicArn {topic:?}: it must be an Amazon SNS topic ARN"
                )));
            }
            let events = events.ok_or_else(|| BackupError::missing("BackupVaultEvents"))?;
            if let Some(bad) = events.iter().find(|e| !BACKUP_VAULT_EVENTS.contains(&e.as_str())) {
                return Err(BackupError::invalid(format!(
                    "Invalid value {bad:?} in BackupVaultEvents: valid values are {}",
                    BACKUP_VAULT_EVENTS.join(", ")
                )));
            }
            self.with_vault(region, vault, |v| {
                v.notifications = Some(VaultNotifications {
                    sns_topic_arn: topic,
                    events,
                });
                Ok(())
            })
        })();
        self.audit_vault(principal, "PutBackupVaultNotifications", region, vault, &result);
        result
    }

    /// `GetBackupVaultNotifications`: the vault's ARN and configuration.
    pub fn get_vault_notifications(
        &self,
        region: &str,
        vault: &str,
    ) -> BackupResult<(String, VaultNotifications)> {
        self.with_vault(region, vault, |v| {
            let n = v.notifications.clone().ok_or_else(|| {
                BackupError::not_found(format!("Backup vault {vault} has no notification configuration"))
            })?;
            Ok((v.arn.clone(), n))
        })
    }

    /// `DeleteBackupVaultNotifications`: a vault without a configuration is
    /// left as it is.
    pub fn delete_vault_notifications(&self, principal: &str, region: &str, vault: &str) -> BackupResult<()> {
        let result = self.with_vault(region, vault, |v| {
            v.notifications = None;
            Ok(())
        });
        self.audit_vault(
            principal,
            "DeleteBackupVaultNotifications",
            region,
            vault,
            &result,
        );
        result
    }
}
