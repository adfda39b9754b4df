//! Tags of every taggable resource: AddTagsToResource,
//! ListTagsForResource and RemoveTagsFromResource for instances, snapshots,
//! clusters, cluster snapshots, automated backups and groups.

use super::{Engine, Region};
use crate::errors::RdsError;
use firedrill_emu_core::arn::Arn;

/// Adds or replaces `tags` in `list`, refusing more than 50 (the list is
/// left as it was then).
pub(super) fn merge_tags(
    list: &mut Vec<(String, String)>,
    tags: Vec<(String, String)>,
) -> Result<(), RdsError> {
    let mut merged = list.clone();
    for (k, v) in tags {
        merged.retain(|(ek, _)| ek != &k);
        merged.push((k, v));
    }
    if merged.len() > 50 {
        return Err(RdsError::InvalidParameterValue(
            "A resource can have at most 50 tags.".to_owned(),
        ));
    }
    *list = merged;
    Ok(())
}

impl Engine {
    pub(super) fn tags_of<'a>(
        &self,
        reg: &'a mut Region,
        arn: &Arn,
    ) -> Result<&'a mut Vec<(String, String)>, RdsError> {
        let (kind, id) = arn
            .resource
            .split_once(':')
            .ok_or_else(|| RdsError::InvalidParameterValue(format!("Invalid resource name: {arn}")))?;
        match kind {
            "db" => reg
                .instances
                .get_mut(id)
                .map(|i| &mut i.tags)
                .ok_or_else(|| RdsError::instance_not_found(id)),
            "snapshot" => reg
                .snapshots
                .get_mut(id)
                .map(|s| &mut s.tags)
                .ok_or_else(|| RdsError::snapshot_not_found(id)),
            "cluster" => reg
                .clusters
                .get_mut(id)
                .map(|c| &mut c.tags)
                .ok_or_else(|| RdsError::cluster_not_found(id)),
            "cluster-snapshot" => reg
                .cluster_snapshots
                .get_mut(id)
                .map(|s| &mut s.tags)
                .ok_or_else(|| RdsError::cluster_snapshot_not_found(id)),
            "auto-backup" => {
                let full = arn.to_string();
                reg.backups
                    .values_mut()
                    .find(|b| b.arn == full)
                    .map(|b| &mut b.tags)
                    .ok_or_else(|| {
                        RdsError::DBInstanceAutomatedBackupNotFound(format!(
                            "Automated backup {full} not found."
                        ))
                    })
            }
            _ => Err(RdsError::InvalidParameterValue(format!(
                "Unsupported resource type for tagging: {kind}."
            ))),
        }
    }

    pub(super) fn parse_resource_arn(&self, name: &str) -> Result<Arn, RdsError> {
        Arn::parse(name)
            .ok()
            .filter(|a| a.service == "rds")
            .ok_or_else(|| RdsError::InvalidParameterValue(format!("Invalid resource name: {name}")))
    }

    /// Runs `f` on the tags of a group named by `arn`, when it names one
    /// (`None` for other resources); an unknown group is not found.
    pub(super) fn with_group_tags<T>(
        &self,
        arn: &Arn,
        f: impl FnOnce(&mut Vec<(String, String)>) -> T,
    ) -> Option<Result<T, RdsError>> {
        let (kind, name) = arn.resource.split_once(':')?;
        if !["subgrp", "pg", "cluster-pg", "og"].contains(&kind) {
            return None;
        }
        let key = name.to_ascii_lowercase();
        Some(
            self.groups
                .tags_mut(&arn.region, kind, &key, f)
                .ok_or_else(|| match kind {
                    "subgrp" => RdsError::subnet_group_not_found(name),
                    "pg" => RdsError::parameter_group_not_found(name),
                    "cluster-pg" => RdsError::cluster_parameter_group_not_found(name),
                    _ => RdsError::option_group_not_found(name),
                }),
        )
    }

    /// AddTagsToResource.
    pub fn add_tags(&self, name: &str, tags: Vec<(String, String)>) -> Result<(), RdsError> {
        let arn = self.parse_resource_arn(name)?;
        if let Some(r) = self.with_group_tags(&arn, |list| merge_tags(list, tags.clone())) {
            return r?;
        }
        let mut state = self.state.lock();
        let reg = state.region(&arn.region);
        merge_tags(self.tags_of(reg, &arn)?, tags)
    }

    /// ListTagsForResource.
    pub fn list_tags(&self, name: &str) -> Result<Vec<(String, String)>, RdsError> {
        let arn = self.parse_resource_arn(name)?;
        if let Some(r) = self.with_group_tags(&arn, |list| list.clone()) {
            return r;
        }
        let mut state = self.state.lock();
        let reg = state.region(&arn.region);
        Ok(self.tags_of(reg, &arn)?.clone())
    }

    /// RemoveTagsFromResource.
    pub fn remove_tags(&self, name: &str, keys: &[String]) -> Result<(), RdsError> {
        let arn = self.parse_resource_arn(name)?;
        if let Some(r) = self.with_group_tags(&arn, |list| list.retain(|(k, _)| !keys.contains(k))) {
            return r;
        }
        let mut state = self.state.lock();
        let reg = state.region(&arn.region);
        self.tags_of(reg, &arn)?.retain(|(k, _)| !keys.contains(k));
        Ok(())
    }

    /// Every instance ARN of `region` with its tags.
    pub fn instances_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut state = self.state.lock();
        state
            .region(region)
            .instances
            .values()
            .map(|i| (i.arn.clone(), i.tags.clone()))
            .collect()
    }

    /// Every Aurora cluster ARN of `region` with its tags.
    pub fn clusters_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut state = self.state.lock();
        state
            .region(region)
            .clusters
            .values()
            .map(|c| (c.arn.clone(), c.tags.clone()))
            .collect()
    }
}
