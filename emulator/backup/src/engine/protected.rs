//! Protected resources (`ListProtectedResources`, `DescribeProtectedResource`,
//! `ListProtectedResourcesByBackupVault`) and tags (`TagResource`,
//! `UntagResource`, `ListTags`).

use super::*;

impl Engine {
    /// `ListProtectedResources`: resources with at least one backup.
    pub fn list_protected_resources(&self, region: &str) -> Vec<(String, ProtectedInfo)> {
        let mut st = self.state.lock();
        st.region(region)
            .protected
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `DescribeProtectedResource`.
    pub fn describe_protected_resource(&self, region: &str, arn: &str) -> BackupResult<ProtectedInfo> {
        let mut st = self.state.lock();
        st.region(region)
            .protected
            .get(arn)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Resource {arn} has no backups")))
    }

    fn with_tags<T>(
        &self,
        region: &str,
        arn: &str,
        f: impl FnOnce(&mut BTreeMap<String, String>) -> T,
    ) -> BackupResult<T> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if let Some(v) = rs.vaults.values_mut().find(|v| v.arn == arn) {
            return Ok(f(&mut v.tags));
        }
        if let Some(p) = rs
            .plans
            .values_mut()
            .find(|p| p.arn == arn && p.deletion_date.is_none())
        {
            return Ok(f(&mut p.tags));
        }
        if let Some(rp) = rs.recovery_points.get_mut(arn) {
            return Ok(f(&mut rp.tags));
        }
        Err(BackupError::not_found(format!("Resource {arn} not found")))
    }

    /// `TagResource`.
    pub fn tag_resource(
        &self,
        principal: &str,
        region: &str,
        arn: &str,
        tags: BTreeMap<String, String>,
    ) -> BackupResult<()> {
        let result = validate_tags("Tags", &tags).and_then(|()| {
            self.with_tags(region, arn, |t| {
                let mut merged = t.clone();
                merged.extend(tags);
                validate_tags("Tags", &merged)?;
                *t = merged;
                Ok(())
            })?
        });
        self.audit(principal, "TagResource", region, arn, &result);
        result
    }

    /// `UntagResource`.
    pub fn untag_resource(
        &self,
        principal: &str,
        region: &str,
        arn: &str,
        keys: &[String],
    ) -> BackupResult<()> {
        let result = self.with_tags(region, arn, |t| {
            for k in keys {
                t.remove(k);
            }
        });
        self.audit(principal, "UntagResource", region, arn, &result);
        result
    }

    /// `ListTags`.
    pub fn list_tags(&self, region: &str, arn: &str) -> BackupResult<BTreeMap<String, String>> {
        self.with_tags(region, arn, |t| t.clone())
    }
}
