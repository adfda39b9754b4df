//! AWS Backup Vault Lock: `PutBackupVaultLockConfiguration`,
//! `DeleteBackupVaultLockConfiguration` and the rules a lock enforces on
//! the recovery points of its vault, on the emulator clock.
//!
//! A lock put with `ChangeableForDays` is in compliance mode: its lock date
//! is that many days after the call, and from then on it can be neither
//! changed nor removed (`InvalidRequestException`). Without it the lock is
//! in governance mode and can be changed or removed at any time (firedrill
//! evaluates no IAM permission for that; see [`crate::access_policy`] for
//! what a vault's access policy can deny). While a lock is in place, in
//! either mode and during the grace time too:
//!
//! - a backup or copy job into the vault whose retention (`DeleteAfterDays`,
//!   none meaning forever) is shorter than `MinRetentionDays` or longer
//!   than `MaxRetentionDays` fails, with the reason as its status message;
//! - `DeleteRecoveryPoint` is refused (`InvalidRequestException`) until the
//!   point is `MinRetentionDays` old, and always when the lock has no
//!   minimum: only the lifecycle deletes it;
//! - `UpdateRecoveryPointLifecycle` is refused (`InvalidRequestException`)
//!   when it would shorten the point's retention or take it outside the
//!   lock's range;
//! - `DeleteBackupVault` stays refused while the vault holds recovery
//!   points, as for any vault.
//!
//! Recovery points stored before the lock keep their lifecycle (AWS: they
//! "are not affected" by the retention range) but cannot be deleted by hand.

// Dates meet client numbers here: no operator that can overflow or panic
// (`DateTime + TimeDelta`, unchecked integer arithmetic); see `crate::time`.
#![warn(clippy::arithmetic_side_effects)]

use crate::engine::Engine;
use crate::error::{BackupError, BackupResult};
use crate::model::{Lifecycle, MAX_LIFECYCLE_DAYS, RecoveryPoint};
use chrono::{DateTime, Utc};

/// The shortest grace time AWS accepts: a 72-hour cooling-off period.
pub const MIN_CHANGEABLE_FOR_DAYS: i64 = 3;

/// A vault's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultLock {
    /// The shortest retention a new recovery point may have, in days.
    pub min_retention_days: Option<i64>,
    /// The longest retention a new recovery point may have, in days.
    pub max_retention_days: Option<i64>,
    /// When the lock becomes immutable (compliance mode only).
    pub lock_date: Option<DateTime<Utc>>,
}

/// The parameters of `PutBackupVaultLockConfiguration`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LockInput {
    /// `MinRetentionDays`.
    pub min_retention_days: Option<i64>,
    /// `MaxRetentionDays`.
    pub max_retention_days: Option<i64>,
    /// `ChangeableForDays`.
    pub changeable_for_days: Option<i64>,
}

impl LockInput {
    /// Validates the numbers as AWS does: retention from 1 to 36,500 days,
    /// the minimum not above the maximum, and a grace time of at least 3
    /// days (and at most 36,500, so its date can always be computed).
    pub fn validate(&self) -> BackupResult<()> {
        for (name, days) in [
            ("MinRetentionDays", self.min_retention_days),
            ("MaxRetentionDays", self.max_retention_days),
        ] {
            if let Some(d) = days
                && !(1..=MAX_LIFECYCLE_DAYS).contains(&d)
            {
                return Err(BackupError::invalid(format!(
                    "{name} must be between 1 and {MAX_LIFECYCLE_DAYS} days, got {d}"
                )));
            }
        }
        if let (Some(min), Some(max)) = (self.min_retention_days, self.max_retention_days)
            && min > max
        {
            return Err(BackupError::invalid(format!(
                "MinRetentionDays ({min}) cannot be greater than MaxRetentionDays ({max})"
            )));
        }
        if let Some(d) = self.changeable_for_days
            && !(MIN_CHANGEABLE_FOR_DAYS..=MAX_LIFECYCLE_DAYS).contains(&d)
        {
            return Err(BackupError::invalid(format!(
                "ChangeableForDays must be between {MIN_CHANGEABLE_FOR_DAYS} and {MAX_LIFECYCLE_DAYS} days: AWS Backup enforces a 72-hour cooling-off period before Vault Lock becomes immutable, got {d}"
            )));
        }
        Ok(())
    }
}

impl VaultLock {
    /// Whether the lock can no longer be changed or removed at `now`.
    pub fn immutable(&self, now: DateTime<Utc>) -> bool {
        self.lock_date.is_some_and(|d| now >= d)
    }

    /// Why a new recovery point with `lifecycle` cannot be stored in the
    /// vault, if it cannot.
    pub fn retention_problem(&self, vault: &str, lifecycle: Option<&Lifecycle>) -> Option<String> {
        let retention = lifecycle.and_then(|l| l.delete_after_days);
        match (retention, self.min_retention_days, self.max_retention_days) {
            (Some(days), Some(min), _) if days < min => Some(format!(
                "The recovery point's retention period ({days} days) is shorter than the minimum retention period ({min} days) of the Vault Lock on backup vault {vault}"
            )),
            (Some(days), _, Some(max)) if days > max => Some(format!(
                "The recovery point's retention period ({days} days) is longer than the maximum retention period ({max} days) of the Vault Lock on backup vault {vault}"
            )),
            (None, _, Some(max)) => Some(format!(
                "The recovery point is retained forever, longer than the maximum retention period ({max} days) of the Vault Lock on backup vault {vault}"
            )),
            _ => None,
        }
    }

    /// Why `rp` cannot be deleted by hand at `now`, if it cannot.
    pub fn deletion_problem(&self, rp: &RecoveryPoint, now: DateTime<Utc>) -> Option<String> {
        let deletable_from = self
            .min_retention_days
            .and_then(|min| crate::time::after_days(rp.creation_date, min));
        match deletable_from {
            Some(from) if now >= from => None,
            Some(from) => Some(format!(
                "Recovery point {} cannot be deleted: backup vault {} is protected by Vault Lock, and the point is younger than its minimum retention period (it can be deleted from {})",
                rp.arn,
                rp.vault_name,
                from.to_rfc3339()
            )),
            None => Some(format!(
                "Recovery point {} cannot be deleted: backup vault {} is protected by Vault Lock; its lifecycle deletes it",
                rp.arn, rp.vault_name
            )),
        }
    }

    /// Why `rp`'s lifecycle cannot become `new`, if it cannot.
    pub fn lifecycle_change_problem(&self, rp: &RecoveryPoint, new: &Lifecycle) -> Option<String> {
        let old = rp.lifecycle.as_ref().and_then(|l| l.delete_after_days);
        let shorter = match (old, new.delete_after_days) {
            (None, Some(_)) => true,
            (Some(o), Some(n)) => n < o,
            _ => false,
        };
        if shorter {
            return Some(format!(
                "The lifecycle of recovery point {} cannot shorten its retention: backup vault {} is protected by Vault Lock",
                rp.arn, rp.vault_name
            ));
        }
        self.retention_problem(&rp.vault_name, Some(new))
    }
}

impl Engine {
    /// `PutBackupVaultLockConfiguration`: a new lock, or a change to one
    /// that is not yet immutable.
    pub fn put_vault_lock(
        &self,
        principal: &str,
        region: &str,
        vault: &str,
        input: LockInput,
    ) -> BackupResult<VaultLock> {
        let now = self.now();
        let result = input.validate().and_then(|()| {
            let lock_date = match input.changeable_for_days {
                Some(d) => Some(crate::time::after_days(now, d).ok_or_else(|| {
                    BackupError::invalid(
                        "ChangeableForDays ends after the last instant firedrill can represent",
                    )
                })?),
                None => None,
            };
            self.with_vault(region, vault, |v| {
                if v.lock.as_ref().is_some_and(|l| l.immutable(now)) {
                    return Err(immutable_lock(vault));
                }
                let lock = VaultLock {
                    min_retention_days: input.min_retention_days,
                    max_retention_days: input.max_retention_days,
                    lock_date,
                };
                v.lock = Some(lock.clone());
                Ok(lock)
            })
        });
        self.audit_vault(
            principal,
            "PutBackupVaultLockConfiguration",
            region,
            vault,
            &result,
        );
        result
    }

    /// `DeleteBackupVaultLockConfiguration`: refused once a compliance-mode
    /// lock is past its lock date; a vault without a lock is left as it is.
    pub fn delete_vault_lock(&self, principal: &str, region: &str, vault: &str) -> BackupResult<()> {
        let now = self.now();
        let result = self.with_vault(region, vault, |v| {
            if v.lock.as_ref().is_some_and(|l| l.immutable(now)) {
                return Err(immutable_lock(vault));
            }
            v.lock = None;
            Ok(())
        });
        self.audit_vault(
            principal,
            "DeleteBackupVaultLockConfiguration",
            region,
            vault,
            &result,
        );
        result
    }
}

fn immutable_lock(vault: &str) -> BackupError {
    BackupError::InvalidRequest(format!(
        "The Vault Lock on backup vault {vault} is in compliance mode and past its lock date: it is immutable and cannot be changed or deleted"
    ))
}
