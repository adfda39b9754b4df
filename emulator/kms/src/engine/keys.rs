//! Keys: creation, description, listing, enabling and disabling, and the
//! deletion window on the emulator clock.
//!
//! Only symmetric encryption keys with KMS-generated material are made
//! (`KeySpec` `SYMMETRIC_DEFAULT`, `KeyUsage` `ENCRYPT_DECRYPT`, `Origin`
//! `AWS_KMS`). Another key spec, imported or external material and
//! multi-Region keys, all of which AWS serves, answer
//! `UnsupportedOperationException` naming what is missing; a key usage
//! that does not fit the key spec is AWS's `ValidationException`, and a
//! custom key store id is `CustomKeyStoreNotFoundException` (there are
//! none). A deletion window is 7 to 30 days (default 30); cancelling it
//! leaves the key `Disabled`, as AWS does; [`Engine::tick`] deletes the key
//! and its aliases once the window has passed.

use super::{Aliases, Engine, Key, KeyState, Material, Page, Scope, page, policy, tags};
use crate::errors::{KmsError, Result};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

/// What `CreateKey` asks for, as read from the wire.
#[derive(Debug, Clone, Default)]
pub struct CreateKey {
    /// `Description`.
    pub description: Option<String>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `KeyUsage`.
    pub key_usage: Option<String>,
    /// `KeySpec`.
    pub key_spec: Option<String>,
    /// `CustomerMasterKeySpec` (deprecated spelling of `KeySpec`).
    pub customer_master_key_spec: Option<String>,
    /// `Origin`.
    pub origin: Option<String>,
    /// `CustomKeyStoreId`.
    pub custom_key_store_id: Option<String>,
    /// `MultiRegion`.
    pub multi_region: Option<bool>,
    /// `Tags`.
    pub tags: Vec<(String, String)>,
}

/// The shortest and longest deletion windows AWS allows, in days.
pub const DELETION_WINDOW_DAYS: std::ops::RangeInclusive<i64> = 7..=30;

/// The window a `ScheduleKeyDeletion` without `PendingWindowInDays` gets.
pub const DEFAULT_DELETION_WINDOW_DAYS: i64 = 30;

fn check_spec(req: &CreateKey) -> Result<()> {
    if req.key_spec.is_some() && req.customer_master_key_spec.is_some() {
        return Err(KmsError::Validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated."
                .to_owned(),
        ));
    }
    let spec = req
        .key_spec
        .as_deref()
        .or(req.customer_master_key_spec.as_deref())
        .unwrap_or("SYMMETRIC_DEFAULT");
    let usage = req.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT");
    if spec == "SYMMETRIC_DEFAULT" && usage != "ENCRYPT_DECRYPT" {
        return Err(KmsError::Validation(format!(
            "KeySpec SYMMETRIC_DEFAULT is not supported for KeyUsage {usage}"
        )));
    }
    if spec != "SYMMETRIC_DEFAULT" {
        return Err(KmsError::UnsupportedOperation(format!(
            "firedrill emulates symmetric encryption keys only: KeySpec {spec} is not supported"
        )));
    }
    if let Some(store) = &req.custom_key_store_id {
        return Err(KmsError::CustomKeyStoreNotFound(format!(
            "Custom key store '{store}' does not exist."
        )));
    }
    if let Some(origin) = req.origin.as_deref().filter(|o| *o != "AWS_KMS") {
        return Err(KmsError::UnsupportedOperation(format!(
            "firedrill emulates keys with KMS-generated material only: Origin {origin} is not supported"
        )));
    }
    if req.multi_region == Some(true) {
        return Err(KmsError::UnsupportedOperation(
            "firedrill does not emulate multi-Region keys".to_owned(),
        ));
    }
    Ok(())
}

impl Engine {
    /// `CreateKey`: a new enabled symmetric key.
    pub fn create_key(&self, scope: Scope<'_>, req: CreateKey) -> Result<Key> {
        check_spec(&req)?;
        if let Some(p) = &req.policy {
            policy::check(p)?;
        }
        let tags = tags::merged(&Default::default(), &req.tags)?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut material = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut material);
        let key = Key {
            arn: scope.key_arn(&id),
            id: id.clone(),
            account: scope.account.to_owned(),
            created: self.now(),
            description: req.description.unwrap_or_default(),
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            policy: req
                .policy
                .unwrap_or_else(|| policy::default_policy(scope.account)),
            tags,
            material: Material(material),
        };
        self.with_region(scope, |r| r.keys.insert(id, key.clone()));
        Ok(key)
    }

    /// `DescribeKey`: by key id, key ARN, alias name or alias ARN, in any
    /// state.
    pub fn describe_key(&self, scope: Scope<'_>, key: &str) -> Result<Key> {
        self.with_region(scope, |r| r.key(scope, key, Aliases::Allowed).cloned())
    }

    /// The key ARN `key` names, if it names one (for the audit trail).
    pub fn key_arn_of(&self, scope: Scope<'_>, key: &str) -> Option<String> {
        self.describe_key(scope, key).ok().map(|k| k.arn)
    }

    /// `ListKeys`: `(key id, key ARN)` in key id order, paged.
    pub fn list_keys(
        &self,
        scope: Scope<'_>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<(String, String)>> {
        self.with_region(scope, |r| {
            page(
                r.keys
                    .values()
                    .map(|k| (k.id.clone(), (k.id.clone(), k.arn.clone()))),
                marker,
                limit,
            )
        })
    }

    /// `EnableKey`.
    pub fn enable_key(&self, scope: Scope<'_>, key: &str) -> Result<Key> {
        self.set_enabled(scope, key, KeyState::Enabled)
    }

    /// `DisableKey`.
    pub fn disable_key(&self, scope: Scope<'_>, key: &str) -> Result<Key> {
        self.set_enabled(scope, key, KeyState::Disabled)
    }

    fn set_enabled(&self, scope: Scope<'_>, key: &str, state: KeyState) -> Result<Key> {
        self.with_region(scope, |r| {
            let k = r.key_mut(scope, key, Aliases::Refused)?;
            k.not_pending_deletion()?;
            k.state = state;
            Ok(k.clone())
        })
    }

    /// `UpdateKeyDescription`.
    pub fn update_key_description(&self, scope: Scope<'_>, key: &str, description: &str) -> Result<()> {
        self.with_region(scope, |r| {
            let k = r.key_mut(scope, key, Aliases::Refused)?;
            k.not_pending_deletion()?;
            k.description = description.to_owned();
            Ok(())
        })
    }

    /// `ScheduleKeyDeletion`: the key goes `PendingDeletion` until
    /// `now + window` days.
    pub fn schedule_key_deletion(
        &self,
        scope: Scope<'_>,
        key: &str,
        window_days: Option<i64>,
    ) -> Result<Key> {
        let days = window_days.unwrap_or(DEFAULT_DELETION_WINDOW_DAYS);
        if days < *DELETION_WINDOW_DAYS.start() || days > *DELETION_WINDOW_DAYS.end() {
            let bound = if days < *DELETION_WINDOW_DAYS.start() {
                format!("greater than or equal to {}", DELETION_WINDOW_DAYS.start())
            } else {
                format!("less than or equal to {}", DELETION_WINDOW_DAYS.end())
            };
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value {bound}"
            )));
        }
        let now = self.now();
        self.with_region(scope, |r| {
            let k = r.key_mut(scope, key, Aliases::Refused)?;
            k.not_pending_deletion()?;
            k.state = KeyState::PendingDeletion;
            k.deletion_date = Some(now + Duration::days(days));
            k.pending_window_days = Some(days);
            Ok(k.clone())
        })
    }

    /// `CancelKeyDeletion`: back to `Disabled`.
    pub fn cancel_key_deletion(&self, scope: Scope<'_>, key: &str) -> Result<Key> {
        self.with_region(scope, |r| {
            let k = r.key_mut(scope, key, Aliases::Refused)?;
            if k.state != KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is not pending deletion.",
                    k.arn
                )));
            }
            k.state = KeyState::Disabled;
            k.deletion_date = None;
            k.pending_window_days = None;
            Ok(k.clone())
        })
    }

    /// Deletes every key whose deletion window has passed by `now`, with
    /// the aliases that point to it; returns the deleted keys' ARNs with
    /// their region.
    pub fn tick(&self, now: DateTime<Utc>) -> Vec<(String, String)> {
        self.with_all(|all| {
            let mut deleted = Vec::new();
            for ((_, region), r) in all.iter_mut() {
                let due: Vec<String> = r
                    .keys
                    .values()
                    .filter(|k| {
                        k.state == KeyState::PendingDeletion && k.deletion_date.is_some_and(|d| d <= now)
                    })
                    .map(|k| k.id.clone())
                    .collect();
                for id in due {
                    if let Some(k) = r.keys.remove(&id) {
                        deleted.push((region.clone(), k.arn));
                    }
                    r.aliases.retain(|_, a| a.target_key_id != id);
                }
            }
            deleted
        })
    }
}
