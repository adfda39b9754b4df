//! Recovery points: listing by vault and by resource, `DescribeRecoveryPoint`,
//! `DeleteRecoveryPoint` and `UpdateRecoveryPointLifecycle` (both under the
//! vault's lock and access policy), restore metadata, and freeing a point's
//! data through its provider.

use super::*;
/// Filters of `ListRecoveryPointsByBackupVault`.
#[derive(Debug, Clone, Default)]
pub struct RecoveryPointFilter {
    /// `resourceArn`.
    pub resource_arn: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// `backupPlanId`.
    pub plan_id: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
}

impl Engine {
    /// `ListRecoveryPointsByBackupVault`.
    pub fn list_recovery_points_by_vault(
        &self,
        region: &str,
        vault: &str,
        f: &RecoveryPointFilter,
    ) -> BackupResult<Vec<RecoveryPoint>> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.vaults.contains_key(vault) {
            return Err(vault_not_found(vault));
        }
        let mut out: Vec<RecoveryPoint> = rs
            .recovery_points
            .values()
            .filter(|rp| rp.vault_name == vault)
            .filter(|rp| f.resource_arn.as_deref().is_none_or(|s| s == rp.resource_arn))
            .filter(|rp| f.resource_type.as_deref().is_none_or(|s| s == rp.resource_type))
            .filter(|rp| {
                f.plan_id
                    .as_deref()
                    .is_none_or(|s| rp.created_by.as_ref().is_some_and(|c| c.plan_id == s))
            })
            .filter(|rp| f.created_after.is_none_or(|t| rp.creation_date > t))
            .filter(|rp| f.created_before.is_none_or(|t| rp.creation_date < t))
            .cloned()
            .collect();
        out.sort_by(|a, b| b.creation_date.cmp(&a.creation_date).then(a.arn.cmp(&b.arn)));
        Ok(out)
    }

    /// `ListRecoveryPointsByResource`.
    pub fn list_recovery_points_by_resource(&self, region: &str, resource_arn: &str) -> Vec<RecoveryPoint> {
        let mut st = self.state.lock();
        let mut out: Vec<RecoveryPoint> = st
            .region(region)
            .recovery_points
            .values()
            .filter(|rp| rp.resource_arn == resource_arn)
            .cloned()
            .collect();
        out.sort_by(|a, b| b.creation_date.cmp(&a.creation_date).then(a.arn.cmp(&b.arn)));
        out
    }

    /// `DescribeRecoveryPoint`.
    pub fn describe_recovery_point(
        &self,
        region: &str,
        vault: &str,
        arn: &str,
    ) -> BackupResult<RecoveryPoint> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.vaults.contains_key(vault) {
            return Err(vault_not_found(vault));
        }
        rs.recovery_points
            .get(arn)
            .filter(|rp| rp.vault_name == vault)
            .cloned()
            .ok_or_else(|| rp_not_found(arn))
    }

    /// `DeleteRecoveryPoint`: DELETING while the provider frees the data,
    /// then gone (or EXPIRED with the provider's message if it could not).
    pub async fn delete_recovery_point(
        &self,
        principal: &str,
        region: &str,
        vault: &str,
        arn: &str,
    ) -> BackupResult<()> {
        let result = (async {
            let (provider, data) = {
                let now = self.now();
                let mut st = self.state.lock();
                let rs = st.region(region);
                let v = rs.vaults.get(vault).ok_or_else(|| vault_not_found(vault))?;
                crate::access_policy::check(v, principal, self.account(), "backup:DeleteRecoveryPoint", arn)?;
                let lock = v.lock.clone();
                let rp = rs
                    .recovery_points
                    .get(arn)
                    .filter(|rp| rp.vault_name == vault)
                    .ok_or_else(|| rp_not_found(arn))?;
                if let Some(problem) = lock.and_then(|l| l.deletion_problem(rp, now)) {
                    return Err(BackupError::InvalidRequest(problem));
                }
                if in_use(rs, arn) {
                    return Err(BackupError::InvalidResourceState(format!(
                        "Backup is already performing an action on recovery point {arn} (a restore or a copy); try again later"
                    )));
                }
                let rp = rs
                    .recovery_points
                    .get_mut(arn)
                    .filter(|rp| rp.vault_name == vault)
                    .ok_or_else(|| rp_not_found(arn))?;
                if rp.status == RecoveryPointStatus::Deleting {
                    return Err(BackupError::InvalidResourceState(format!(
                        "Recovery point {arn} is already being deleted"
                    )));
                }
                rp.status = RecoveryPointStatus::Deleting;
                (rp.provider, rp.data.clone())
            };
            self.free_recovery_point(region, arn, provider, data, RecoveryPointStatus::Expired)
                .await;
            Ok(())
        })
        .await;
        self.audit(principal, "DeleteRecoveryPoint", region, arn, &result);
        result
    }

    /// `UpdateRecoveryPointLifecycle`: a new lifecycle, validated as a
    /// rule's is; a point already in cold storage keeps its transition.
    pub fn update_recovery_point_lifecycle(
        &self,
        principal: &str,
        region: &str,
        vault: &str,
        arn: &str,
        lifecycle: Lifecycle,
    ) -> BackupResult<RecoveryPoint> {
        let result = (|| {
            validate_lifecycle(&lifecycle)?;
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            let v = rs.vaults.get(vault).ok_or_else(|| vault_not_found(vault))?;
            crate::access_policy::check(
                v,
                principal,
                self.account(),
                "backup:UpdateRecoveryPointLifecycle",
                arn,
            )?;
            let lock = v.lock.clone();
            let rp = rs
                .recovery_points
                .get_mut(arn)
                .filter(|rp| rp.vault_name == vault)
                .ok_or_else(|| rp_not_found(arn))?;
            if let Some(problem) = lock.and_then(|l| l.lifecycle_change_problem(rp, &lifecycle)) {
                return Err(BackupError::InvalidRequest(problem));
            }
            if rp.status != RecoveryPointStatus::Completed {
                return Err(BackupError::InvalidRequest(format!(
                    "Recovery point {arn} is {} and its lifecycle cannot change",
                    rp.status.as_str()
                )));
            }
            let current_cold = rp
                .lifecycle
                .as_ref()
                .and_then(|l| l.move_to_cold_storage_after_days);
            if rp.storage_class(now) == "COLD" && lifecycle.move_to_cold_storage_after_days != current_cold {
                return Err(BackupError::invalid(
                    "The recovery point is already in cold storage; MoveToColdStorageAfterDays cannot change",
                ));
            }
            rp.lifecycle = (!lifecycle.is_empty()).then_some(lifecycle);
            Ok(rp.clone())
        })();
        self.audit(principal, "UpdateRecoveryPointLifecycle", region, arn, &result);
        result
    }

    /// `GetRecoveryPointRestoreMetadata`: the provider's metadata for the point.
    pub fn recovery_point_restore_metadata(
        &self,
        region: &str,
        vault: &str,
        arn: &str,
    ) -> BackupResult<(RecoveryPoint, BTreeMap<String, String>)> {
        let rp = self.describe_recovery_point(region, vault, arn)?;
        let metadata = self
            .providers
            .get(rp.provider)
            .map(|p| p.restore_metadata(&rp.data))
            .unwrap_or_default();
        Ok((rp, metadata))
    }

    /// Calls the provider's delete for a DELETING recovery point, then
    /// removes it, or leaves it in `on_failure` with the provider's message.
    pub(crate) async fn free_recovery_point(
        &self,
        region: &str,
        arn: &str,
        provider: usize,
        data: crate::provider::RecoveryPointData,
        on_failure: RecoveryPointStatus,
    ) -> bool {
        let answer = match self.providers.get(provider) {
            Some(p) => p.delete(data).await,
            None => Ok(()),
        };
        let mut st = self.state.lock();
        let rs = st.region(region);
        match answer {
            Ok(()) => {
                rs.recovery_points.remove(arn);
                true
            }
            Err(e) => {
                if let Some(rp) = rs.recovery_points.get_mut(arn) {
                    rp.status = on_failure;
                    rp.status_message = Some(format!("The recovery point's data could not be deleted: {e}"));
                }
                false
            }
        }
    }
}
