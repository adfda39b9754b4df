//! The ElastiCache Query protocol: form-encoded requests
//! (`Action=…&Version=2015-02-02`, lists as `Tags.Tag.1.Key`,
//! `SnapshotArns.SnapshotArn.1`, `TagKeys.member.1`) decoded and checked
//! into the engine's typed inputs, and answers in the XML envelope of the
//! botocore model. `render` writes the result shapes (element names exactly
//! as `aws-sdk-elasticache` parses them).

mod render;

use crate::catalog;
use crate::engine::{CreateCluster, CreateGroup, Engine, Modify, Seed, SnapshotFilter, SnapshotSourceRef};
use crate::errors::ElastiCacheError;
use crate::validate;
use firedrill_emu_core::query::QueryParams;
use render::Xml;
use std::sync::Arc;

/// The XML namespace of every ElastiCache response.
pub const XMLNS: &str = "http://elasticache.amazonaws.com/doc/2015-02-02/";

/// The API version served.
pub const API_VERSION: &str = "2015-02-02";

/// A decoded form body: the core's Query-protocol form with ElastiCache's
/// own readers (tags, the settings clusters and groups share).
#[derive(Debug, Default)]
pub struct Params(QueryParams);

impl std::ops::Deref for Params {
    type Target = QueryParams;

    fn deref(&self) -> &QueryParams {
        &self.0
    }
}

impl Params {
    /// Decodes `application/x-www-form-urlencoded` bytes (the query string
    /// is merged in too, as AWS accepts both).
    pub fn decode(body: &[u8], query: Option<&str>) -> Self {
        Self(QueryParams::decode(body, query))
    }

    fn tags(&self) -> Result<Vec<(String, String)>, ElastiCacheError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (key, value) in self.tag_pairs("Tags") {
            validate::tag(&key, &value)?;
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => out.push((key, value)),
            }
        }
        if out.len() > validate::MAX_TAGS {
            return Err(ElastiCacheError::TagQuotaPerResourceExceeded(format!(
                "A resource can have at most {} tags.",
                validate::MAX_TAGS
            )));
        }
        Ok(out)
    }

    fn refuse_if_set(&self, names: &[&str], why: &str) -> Result<(), ElastiCacheError> {
        match names
            .iter()
            .find(|n| self.str(n).is_some_and(|v| !v.is_empty() && v != "false"))
        {
            Some(n) => Err(ElastiCacheError::InvalidParameterValue(format!(
                "Parameter {n} is not served by firedrill: {why}"
            ))),
            None => Ok(()),
        }
    }

    /// The settings CreateCacheCluster and CreateReplicationGroup share.
    fn create_base(&self, id: String) -> Result<CreateCluster, ElastiCacheError> {
        self.refuse_if_set(
            &[
                "AuthToken",
                "TransitEncryptionEnabled",
                "TransitEncryptionMode",
                "GlobalReplicationGroupId",
            ],
            "its nodes serve plain Redis on loopback, without AUTH tokens or TLS.",
        )?;
        let engine = validate::engine(self.str("Engine"))?;
        if let Some(v) = self.str("EngineVersion") {
            validate::engine_version(&engine, Some(v))?;
        }
        if let Some(t) = self.str("CacheNodeType") {
            validate::node_type(Some(t))?;
        }
        let port = match self.int("Port")? {
            None => None,
            Some(p @ 1..=65535) => Some(p as u16),
            Some(p) => {
                return Err(ElastiCacheError::InvalidParameterValue(format!(
                    "Invalid port {p}: it must be between 1 and 65535."
                )));
            }
        };
        let window = self.string("SnapshotWindow");
        if let Some(w) = &window {
            validate::snapshot_window(w)?;
        }
        let maintenance_window = self
            .str("PreferredMaintenanceWindow")
            .map(validate::maintenance_window)
            .transpose()?;
        let arns = self.list("SnapshotArns", "SnapshotArn");
        let seed = match (self.string("SnapshotName"), arns.as_slice()) {
            (Some(_), [_, ..]) => {
                return Err(ElastiCacheError::InvalidParameterCombination(
                    "SnapshotName and SnapshotArns cannot both be given.".to_owned(),
                ));
            }
            (Some(name), []) => Seed::Snapshot(name),
            (None, [arn]) => Seed::ObjectArn(arn.clone()),
            (None, []) => Seed::Empty,
            (None, _) => {
                return Err(ElastiCacheError::InvalidParameterValue(
                    "With cluster mode disabled, SnapshotArns takes exactly one RDB file.".to_owned(),
                ));
            }
        };
        Ok(CreateCluster {
            id,
            engine: self.string("Engine"),
            engine_version: self.string("EngineVersion"),
            node_type: self.string("CacheNodeType"),
            port,
            availability_zone: self.string("PreferredAvailabilityZone"),
            retention: validate::retention(self.int("SnapshotRetentionLimit")?)?,
            window,
            maintenance_window,
            tags: self.tags()?,
            seed,
        })
    }

    fn modify(&self) -> Result<Modify, ElastiCacheError> {
        self.refuse_if_set(
            &[
                "CacheNodeType",
                "EngineVersion",
                "AuthToken",
                "CacheParameterGroupName",
                "Engine",
            ],
            "firedrill changes snapshot settings, maintenance windows and descriptions only.",
        )?;
        let window = self.string("SnapshotWindow");
        if let Some(w) = &window {
            validate::snapshot_window(w)?;
        }
        Ok(Modify {
            retention: validate::retention(self.int("SnapshotRetentionLimit")?)?,
            window,
            maintenance_window: self
                .str("PreferredMaintenanceWindow")
                .map(validate::maintenance_window)
                .transpose()?,
            description: self.string("ReplicationGroupDescription"),
            snapshotting_cluster: self
                .string("SnapshottingClusterId")
                .map(|s| s.to_ascii_lowercase()),
        })
    }
}

/// One page of `items` after `marker` (the key of the page's first item).
fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    max: usize,
    marker: Option<&str>,
) -> (Vec<T>, Option<String>) {
    let mut rest: Vec<T> = match marker {
        Some(m) => items.into_iter().filter(|i| key(i).as_str() >= m).collect(),
        None => items,
    };
    let next = rest.get(max).map(&key);
    rest.truncate(max);
    (rest, next)
}

/// The `<Action>Response` envelope around a result.
pub fn envelope(action: &str, result: &str, request_id: &str) -> String {
    firedrill_emu_core::query::envelope(XMLNS, action, Some(result), request_id)
}

/// Runs one action and returns its result element's content.
pub async fn dispatch(
    engine: &Arc<Engine>,
    region: &str,
    action: &str,
    p: &Params,
) -> Result<String, ElastiCacheError> {
    let mut x = Xml::default();
    match action {
        "CreateCacheCluster" => {
            let id = validate::cluster_id(&p.required("CacheClusterId")?)?;
            p.refuse_if_set(
                &["ReplicationGroupId"],
                "add a replica by creating the replication group with NumCacheClusters.",
            )?;
            match p.int("NumCacheNodes")? {
                None | Some(1) => {}
                Some(n) if n > 1 => {
                    return Err(ElastiCacheError::InvalidParameterValue(
                        "Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1."
                            .to_owned(),
                    ));
                }
                Some(n) => {
                    return Err(ElastiCacheError::InvalidParameterValue(format!(
                        "Invalid value {n} for parameter NumCacheNodes."
                    )));
                }
            }
            let req = p.create_base(id)?;
            let c = engine.create_cluster(region, req).await?;
            x.cluster(&c, false);
        }
        "CreateReplicationGroup" => {
            let id = validate::replication_group_id(&p.required("ReplicationGroupId")?)?;
            let description = p.required("ReplicationGroupDescription")?;
            p.refuse_if_set(
                &[
                    "PrimaryClusterId",
                    "NodeGroupConfiguration.NodeGroupConfiguration.1.Slots",
                    "ServerlessCacheSnapshotName",
                ],
                "replication groups are created with their own clusters, cluster mode disabled.",
            )?;
            if p.int("NumNodeGroups")?.is_some_and(|n| n != 1)
                || p.str("ClusterMode")
                    .is_some_and(|m| !m.eq_ignore_ascii_case("disabled"))
            {
                return Err(ElastiCacheError::InvalidParameterValue(
                    "firedrill serves Redis with cluster mode disabled only (one node group).".to_owned(),
                ));
            }
            let failover = p.bool("AutomaticFailoverEnabled")?.unwrap_or(false);
            let multi_az = p.bool("MultiAZEnabled")?.unwrap_or(false);
            if multi_az && !failover {
                return Err(ElastiCacheError::InvalidParameterCombination(
                    "Multi-AZ requires automatic failover to be enabled.".to_owned(),
                ));
            }
            let num = match (p.int("NumCacheClusters")?, p.int("ReplicasPerNodeGroup")?) {
                (Some(_), Some(_)) => {
                    return Err(ElastiCacheError::InvalidParameterCombination(
                        "NumCacheClusters and ReplicasPerNodeGroup cannot both be given.".to_owned(),
                    ));
                }
                (Some(n), None) => n,
                (None, Some(r)) => r.saturating_add(1),
                (None, None) => {
                    if failover {
                        2
                    } else {
                        1
                    }
                }
            };
            if !(1..=6).contains(&num) {
                return Err(ElastiCacheError::InvalidParameterValue(format!(
                    "Invalid number of cache clusters {num}: a replication group has 1 to 6 (a primary and up to 5 replicas)."
                )));
            }
            if failover && num < 2 {
                return Err(ElastiCacheError::InvalidParameterValue(
                    "A replication group with automatic failover must have at least 2 cache clusters."
                        .to_owned(),
                ));
            }
            let base = p.create_base(id)?;
            let (g, members) = engine
                .create_group(
                    region,
                    CreateGroup {
                        base,
                        description,
                        num_clusters: num as usize,
                        automatic_failover: failover,
                        multi_az,
                    },
                )
                .await?;
            x.group(&g, &members);
        }
        "DescribeCacheClusters" => {
            let id = p.str("CacheClusterId").map(validate::cluster_id).transpose()?;
            let max = validate::max_records(p.int("MaxRecords")?)?;
            let show_nodes = p.bool("ShowCacheNodeInfo")?.unwrap_or(false);
            let standalone = p
                .bool("ShowCacheClustersNotInReplicationGroups")?
                .unwrap_or(false);
            let clusters: Vec<_> = engine
                .describe_clusters(region, id.as_deref())?
                .into_iter()
                .filter(|c| !standalone || c.replication_group.is_none())
                .collect();
            let (clusters, next) = page(clusters, |c| c.id.clone(), max, p.str("Marker"));
            x.marker(next.as_deref());
            x.open("CacheClusters");
            for c in &clusters {
                x.cluster(c, show_nodes);
            }
            x.close("CacheClusters");
        }
        "DescribeReplicationGroups" => {
            let id = p
                .str("ReplicationGroupId")
                .map(validate::replication_group_id)
                .transpose()?;
            let max = validate::max_records(p.int("MaxRecords")?)?;
            let groups = engine.describe_groups(region, id.as_deref())?;
            let (groups, next) = page(groups, |(g, _)| g.id.clone(), max, p.str("Marker"));
            x.marker(next.as_deref());
            x.open("ReplicationGroups");
            for (g, members) in &groups {
                x.group(g, members);
            }
            x.close("ReplicationGroups");
        }
        "ModifyCacheCluster" => {
            let id = validate::cluster_id(&p.required("CacheClusterId")?)?;
            if p.int("NumCacheNodes")?.is_some_and(|n| n != 1) {
                return Err(ElastiCacheError::InvalidParameterValue(
                    "A Redis cluster has exactly one cache node.".to_owned(),
                ));
            }
            let m = p.modify()?;
            let c = engine.modify_cluster(region, &id, &m)?;
            x.cluster(&c, false);
        }
        "ModifyReplicationGroup" => {
            let id = validate::replication_group_id(&p.required("ReplicationGroupId")?)?;
            p.refuse_if_set(
                &[
                    "PrimaryClusterId",
                    "AutomaticFailoverEnabled",
                    "MultiAZEnabled",
                    "ClusterMode",
                ],
                "firedrill changes snapshot settings, maintenance windows and descriptions only.",
            )?;
            let m = p.modify()?;
            let (g, members) = engine.modify_group(region, &id, &m)?;
            x.group(&g, &members);
        }
        "DeleteCacheCluster" => {
            let id = validate::cluster_id(&p.required("CacheClusterId")?)?;
            let c = engine.delete_cluster(region, &id, p.string("FinalSnapshotIdentifier"))?;
            x.cluster(&c, false);
        }
        "DeleteReplicationGroup" => {
            let id = validate::replication_group_id(&p.required("ReplicationGroupId")?)?;
            let retain = p.bool("RetainPrimaryCluster")?.unwrap_or(false);
            let (g, members) =
                engine.delete_group(region, &id, p.string("FinalSnapshotIdentifier"), retain)?;
            x.group(&g, &members);
        }
        "CreateSnapshot" => {
            let name = p.required("SnapshotName")?;
            validate::snapshot_name("SnapshotName", &name, false)?;
            let source = match (p.str("CacheClusterId"), p.str("ReplicationGroupId")) {
                (Some(_), Some(_)) => {
                    return Err(ElastiCacheError::InvalidParameterCombination(
                        "Only one of CacheClusterId and ReplicationGroupId may be given.".to_owned(),
                    ));
                }
                (Some(c), None) => SnapshotSourceRef::Cluster(validate::cluster_id(c)?),
                (None, Some(g)) => SnapshotSourceRef::Group(validate::replication_group_id(g)?),
                (None, None) => {
                    return Err(ElastiCacheError::InvalidParameterCombination(
                        "A CacheClusterId or a ReplicationGroupId must be given.".to_owned(),
                    ));
                }
            };
            let tags = p.tags()?;
            let s = engine.create_snapshot(region, &source, &name, tags)?;
            x.snapshot(&s);
        }
        "CopySnapshot" => {
            let source = p.required("SourceSnapshotName")?;
            let target = p.required("TargetSnapshotName")?;
            validate::snapshot_name("TargetSnapshotName", &target, false)?;
            let tags = p.tags()?;
            let s = engine
                .copy_snapshot(
                    region,
                    &source,
                    &target,
                    p.str("TargetBucket").filter(|b| !b.is_empty()),
                    tags,
                )
                .await?;
            x.snapshot(&s);
        }
        "DeleteSnapshot" => {
            let name = p.required("SnapshotName")?;
            let s = engine.delete_snapshot(region, &name)?;
            x.snapshot(&s);
        }
        "DescribeSnapshots" => {
            let max = match p.int("MaxRecords")? {
                None => 50,
                Some(v @ 20..=50) => v as usize,
                Some(v) => {
                    return Err(ElastiCacheError::InvalidParameterValue(format!(
                        "Invalid value {v} for parameter MaxRecords: it must be between 20 and 50."
                    )));
                }
            };
            let source = p.string("SnapshotSource");
            if let Some(s) = &source
                && s != "user"
                && s != "system"
            {
                return Err(ElastiCacheError::InvalidParameterValue(format!(
                    "Invalid value {s} for parameter SnapshotSource: valid values are user and system."
                )));
            }
            let filter = SnapshotFilter {
                name: p.string("SnapshotName"),
                cluster_id: p.str("CacheClusterId").map(str::to_ascii_lowercase),
                group_id: p.str("ReplicationGroupId").map(str::to_ascii_lowercase),
                source,
            };
            let snapshots = engine.describe_snapshots(region, &filter)?;
            let (snapshots, next) = page(snapshots, |s| s.name.clone(), max, p.str("Marker"));
            x.marker(next.as_deref());
            x.open("Snapshots");
            for s in &snapshots {
                x.snapshot(s);
            }
            x.close("Snapshots");
        }
        "AddTagsToResource" => {
            let arn = p.required("ResourceName")?;
            let tags = p.tags()?;
            if tags.is_empty() {
                return Err(ElastiCacheError::MissingParameter(
                    "The request must contain the parameter Tags.".to_owned(),
                ));
            }
            let all = engine.add_tags(region, &arn, &tags)?;
            x.tags(&all);
        }
        "ListTagsForResource" => {
            let arn = p.required("ResourceName")?;
            let all = engine.tags_of(region, &arn)?;
            x.tags(&all);
        }
        "RemoveTagsFromResource" => {
            let arn = p.required("ResourceName")?;
            let keys = p.list("TagKeys", "member");
            if keys.is_empty() {
                return Err(ElastiCacheError::MissingParameter(
                    "The request must contain the parameter TagKeys.".to_owned(),
                ));
            }
            let all = engine.remove_tags(region, &arn, &keys)?;
            x.tags(&all);
        }
        "DescribeCacheEngineVersions" => {
            let max = validate::max_records(p.int("MaxRecords")?)?;
            let default_only = p.bool("DefaultOnly")?.unwrap_or(false);
            let engine_filter = p.str("Engine").map(str::to_ascii_lowercase);
            let versions: Vec<&catalog::EngineVersion> = catalog::VERSIONS
                .iter()
                .filter(|v| engine_filter.as_deref().is_none_or(|e| e == v.engine))
                .filter(|v| p.str("EngineVersion").is_none_or(|e| e == v.version))
                .filter(|v| p.str("CacheParameterGroupFamily").is_none_or(|f| f == v.family))
                .filter(|v| !default_only || v.default)
                .collect();
            let (versions, next) = page(
                versions,
                |v| format!("{}-{}", v.engine, v.version),
                max,
                p.str("Marker"),
            );
            x.marker(next.as_deref());
            x.open("CacheEngineVersions");
            for v in versions {
                x.engine_version(v);
            }
            x.close("CacheEngineVersions");
        }
        other => {
            return Err(ElastiCacheError::InvalidAction(format!(
                "The action {other} is not valid for this web service (firedrill's ElastiCache serves clusters, replication groups, snapshots, tags and engine versions)."
            )));
        }
    }
    Ok(x.into_string())
}
