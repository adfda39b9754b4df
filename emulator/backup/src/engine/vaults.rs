//! Vaults: `CreateBackupVault`, `DescribeBackupVault`, `ListBackupVaults`,
//! `DeleteBackupVault` (refused while the vault holds recovery points or
//! its access policy denies it). Vault Lock and access policies are in
//! [`crate::vault_lock`] and [`crate::access_policy`].

use super::*;

impl Engine {
    /// `CreateBackupVault`.
    pub fn create_vault(
        &self,
        principal: &str,
        region: &str,
        name: &str,
        encryption_key_arn: Option<String>,
        tags: BTreeMap<String, String>,
        creator_request_id: Option<String>,
    ) -> BackupResult<Vault> {
        let result = (|| {
            validate_tags("BackupVaultTags", &tags)?;
            if !vault_name_valid(name) {
                return Err(BackupError::invalid(format!(
                    "Invalid backup vault name {name:?}: it must match ^[a-zA-Z0-9\\-\\_]{{2,50}}$"
                )));
            }
            if let Some(key) = &encryption_key_arn {
                Arn::parse(key)
                    .ok()
                    .filter(|a| a.service == "kms")
                    .ok_or_else(|| BackupError::invalid(format!("Invalid EncryptionKeyArn: {key}")))?;
            }
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            if let Some(existing) = rs.vaults.get(name) {
                if creator_request_id.is_some() && existing.creator_request_id == creator_request_id {
                    // A retry of the request that created it.
                    return Ok(existing.clone());
                }
                return Err(BackupError::AlreadyExists(format!(
                    "Backup vault with the same name already exists: {name}"
                )));
            }
            let customer = encryption_key_arn.is_some();
            let key = encryption_key_arn
                .unwrap_or_else(|| format!("arn:aws:kms:{region}:{}:key/{}", self.account(), lower_uuid()));
            let vault = Vault {
                name: name.to_owned(),
                arn: self.vault_arn(region, name),
                encryption_key_arn: key,
                customer_managed_key: customer,
                creation_date: now,
                creator_request_id,
                tags,
                lock: None,
                access_policy: None,
                notifications: None,
            };
            rs.vaults.insert(name.to_owned(), vault.clone());
            Ok(vault)
        })();
        self.audit(
            principal,
            "CreateBackupVault",
            region,
            &self.vault_arn(region, name),
            &result,
        );
        result
    }

    /// `DescribeBackupVault`: the vault and its number of recovery points.
    pub fn describe_vault(&self, region: &str, name: &str) -> BackupResult<(Vault, usize)> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        let vault = rs
            .vaults
            .get(name)
            .cloned()
            .ok_or_else(|| vault_not_found(name))?;
        let count = rs
            .recovery_points
            .values()
            .filter(|rp| rp.vault_name == name)
            .count();
        Ok((vault, count))
    }

    /// `ListBackupVaults`.
    pub fn list_vaults(&self, region: &str) -> Vec<(Vault, usize)> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        let mut out: Vec<(Vault, usize)> = rs
            .vaults
            .values()
            .map(|v| {
                let n = rs
                    .recovery_points
                    .values()
                    .filter(|rp| rp.vault_name == v.name)
                    .count();
                (v.clone(), n)
            })
            .collect();
        out.sort_by(|a, b| {
            a.0.creation_date
                .cmp(&b.0.creation_date)
                .then(a.0.name.cmp(&b.0.name))
        });
        out
    }

    /// `DeleteBackupVault`.
    pub fn delete_vault(&self, principal: &str, region: &str, name: &str) -> BackupResult<()> {
        let result = (|| {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let vault = rs.vaults.get(name).ok_or_else(|| vault_not_found(name))?;
            crate::access_policy::check(
                vault,
                principal,
                self.account(),
                "backup:DeleteBackupVault",
                &vault.arn,
            )?;
            if rs.recovery_points.values().any(|rp| rp.vault_name == name) {
                return Err(BackupError::InvalidRequest(
                    "Backup vault cannot be deleted because it contains recovery points.".to_owned(),
                ));
            }
            rs.vaults.remove(name);
            Ok(())
        })();
        self.audit(
            principal,
            "DeleteBackupVault",
            region,
            &self.vault_arn(region, name),
            &result,
        );
        result
    }
}
