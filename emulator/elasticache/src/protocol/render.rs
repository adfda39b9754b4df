//! The XML result shapes of the botocore model: `CacheCluster` (with
//! `CacheNodes` and their endpoints under `ShowCacheNodeInfo`),
//! `ReplicationGroup` (one node group, primary and reader endpoints),
//! `Snapshot` (with `NodeSnapshots`), `CacheEngineVersion` and `TagList`.
//! Every echoed value is escaped by the core's `xml_escape`.

use crate::catalog;
use crate::engine::{Cluster, Group, Snapshot, status};
use chrono::{DateTime, SecondsFormat, Utc};
use firedrill_emu_core::error::xml_escape;

/// An XML document under construction.
#[derive(Debug, Default)]
pub(super) struct Xml {
    buf: String,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn family(engine: &str, version: &str) -> &'static str {
    catalog::find(engine, version).map_or("redis7", |v| v.family)
}

impl Xml {
    pub(super) fn into_string(self) -> String {
        self.buf
    }

    pub(super) fn open(&mut self, tag: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    pub(super) fn close(&mut self, tag: &str) {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    fn text(&mut self, tag: &str, value: &str) {
        self.open(tag);
        self.buf.push_str(&xml_escape(value));
        self.close(tag);
    }

    fn opt(&mut self, tag: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(tag, v);
        }
    }

    fn bool(&mut self, tag: &str, value: bool) {
        self.text(tag, if value { "true" } else { "false" });
    }

    fn endpoint(&mut self, tag: &str, endpoint: Option<(String, u16)>) {
        if let Some((address, port)) = endpoint {
            self.open(tag);
            self.text("Address", &address);
            self.text("Port", &port.to_string());
            self.close(tag);
        }
    }

    pub(super) fn marker(&mut self, marker: Option<&str>) {
        self.opt("Marker", marker);
    }

    fn node_status(c: &Cluster) -> &'static str {
        match c.status.as_str() {
            status::CREATING => "creating",
            status::DELETING => "deleting",
            _ if c.node.is_none() => "rebooting",
            _ => "available",
        }
    }

    /// A `CacheCluster`; `nodes` adds `CacheNodes` (ShowCacheNodeInfo).
    pub(super) fn cluster(&mut self, c: &Cluster, nodes: bool) {
        self.open("CacheCluster");
        self.text("CacheClusterId", &c.id);
        self.text(
            "ClientDownloadLandingPage",
            "https://console.aws.amazon.com/elasticache/home#client-download:",
        );
        self.text("CacheNodeType", &c.node_type);
        self.text("Engine", &c.engine);
        self.text("EngineVersion", &c.engine_version);
        self.text("CacheClusterStatus", &c.status);
        self.text("NumCacheNodes", "1");
        self.text("PreferredAvailabilityZone", &c.availability_zone);
        self.text("CacheClusterCreateTime", &time(c.created));
        self.text("PreferredMaintenanceWindow", &c.maintenance_window);
        self.buf
            .push_str("<PendingModifiedValues/><CacheSecurityGroups/>");
        self.open("CacheParameterGroup");
        self.text(
            "CacheParameterGroupName",
            &format!("default.{}", family(&c.engine, &c.engine_version)),
        );
        self.text("ParameterApplyStatus", "in-sync");
        self.buf.push_str("<CacheNodeIdsToReboot/>");
        self.close("CacheParameterGroup");
        self.text("CacheSubnetGroupName", "default");
        if nodes {
            self.open("CacheNodes");
            self.open("CacheNode");
            self.text("CacheNodeId", "0001");
            self.text("CacheNodeStatus", Self::node_status(c));
            self.text("CacheNodeCreateTime", &time(c.created));
            self.endpoint("Endpoint", c.endpoint());
            self.text("ParameterGroupStatus", "in-sync");
            self.text("CustomerAvailabilityZone", &c.availability_zone);
            self.close("CacheNode");
            self.close("CacheNodes");
        }
        self.bool("AutoMinorVersionUpgrade", true);
        self.opt("ReplicationGroupId", c.replication_group.as_deref());
        self.text("SnapshotRetentionLimit", &c.retention.to_string());
        self.text("SnapshotWindow", &c.window);
        self.bool("AuthTokenEnabled", false);
        self.bool("TransitEncryptionEnabled", false);
        self.bool("AtRestEncryptionEnabled", false);
        self.text("ARN", &c.arn);
        self.bool("ReplicationGroupLogDeliveryEnabled", false);
        self.buf.push_str("<LogDeliveryConfigurations/>");
        self.text("NetworkType", "ipv4");
        self.text("IpDiscovery", "ipv4");
        self.close("CacheCluster");
    }

    /// A `ReplicationGroup` with its one node group.
    pub(super) fn group(&mut self, g: &Group, members: &[Cluster]) {
        self.open("ReplicationGroup");
        self.text("ReplicationGroupId", &g.id);
        self.text("Description", &g.description);
        self.text("Status", &g.status);
        self.buf.push_str("<PendingModifiedValues/>");
        self.open("MemberClusters");
        for m in &g.members {
            self.text("ClusterId", m);
        }
        self.close("MemberClusters");
        let primary = members.iter().find(|c| c.primary);
        let reader = members
            .iter()
            .find(|c| !c.primary && c.node.is_some())
            .or(primary);
        self.open("NodeGroups");
        self.open("NodeGroup");
        self.text("NodeGroupId", "0001");
        self.text("Status", &g.status);
        self.endpoint("PrimaryEndpoint", primary.and_then(Cluster::endpoint));
        self.endpoint("ReaderEndpoint", reader.and_then(Cluster::endpoint));
        self.open("NodeGroupMembers");
        for c in members {
            self.open("NodeGroupMember");
            self.text("CacheClusterId", &c.id);
            self.text("CacheNodeId", "0001");
            self.endpoint("ReadEndpoint", c.endpoint());
            self.text("PreferredAvailabilityZone", &c.availability_zone);
            self.text("CurrentRole", if c.primary { "primary" } else { "replica" });
            self.close("NodeGroupMember");
        }
        self.close("NodeGroupMembers");
        self.close("NodeGroup");
        self.close("NodeGroups");
        self.text("SnapshottingClusterId", &g.snapshotting_cluster);
        self.text(
            "AutomaticFailover",
            if g.automatic_failover {
                "enabled"
            } else {
                "disabled"
            },
        );
        self.text("MultiAZ", if g.multi_az { "enabled" } else { "disabled" });
        self.text("SnapshotRetentionLimit", &g.retention.to_string());
        self.text("SnapshotWindow", &g.window);
        self.bool("ClusterEnabled", false);
        self.text("CacheNodeType", &g.node_type);
        self.bool("AuthTokenEnabled", false);
        self.bool("TransitEncryptionEnabled", false);
        self.bool("AtRestEncryptionEnabled", false);
        self.text("ARN", &g.arn);
        self.buf.push_str("<LogDeliveryConfigurations/>");
        self.text("ReplicationGroupCreateTime", &time(g.created));
        self.text("DataTiering", "disabled");
        self.bool("AutoMinorVersionUpgrade", true);
        self.text("NetworkType", "ipv4");
        self.text("IpDiscovery", "ipv4");
        self.text("ClusterMode", "disabled");
        self.text("Engine", &g.engine);
        self.close("ReplicationGroup");
    }

    /// A `Snapshot` with its one node snapshot.
    pub(super) fn snapshot(&mut self, s: &Snapshot) {
        self.open("Snapshot");
        self.text("SnapshotName", &s.name);
        self.opt("ReplicationGroupId", s.group_id.as_deref());
        self.opt("ReplicationGroupDescription", s.group_description.as_deref());
        if s.group_id.is_none() {
            self.text("CacheClusterId", &s.cluster_id);
        }
        self.text("SnapshotStatus", &s.status);
        self.text("SnapshotSource", &s.source);
        self.text("CacheNodeType", &s.node_type);
        self.text("Engine", &s.engine);
        self.text("EngineVersion", &s.engine_version);
        if s.group_id.is_none() {
            self.text("NumCacheNodes", "1");
            self.text("PreferredAvailabilityZone", &s.availability_zone);
            self.text("CacheClusterCreateTime", &time(s.cluster_created));
        }
        self.text("PreferredMaintenanceWindow", &s.maintenance_window);
        self.text("Port", &s.port.to_string());
        self.text(
            "CacheParameterGroupName",
            &format!("default.{}", family(&s.engine, &s.engine_version)),
        );
        self.text("CacheSubnetGroupName", "default");
        self.bool("AutoMinorVersionUpgrade", true);
        self.text("SnapshotRetentionLimit", &s.retention.to_string());
        self.text("SnapshotWindow", &s.window);
        if s.group_id.is_some() {
            self.text("NumNodeGroups", "1");
            self.text("AutomaticFailover", "disabled");
        }
        self.open("NodeSnapshots");
        self.open("NodeSnapshot");
        self.text("CacheClusterId", &s.cluster_id);
        if s.group_id.is_some() {
            self.text("NodeGroupId", "0001");
        }
        self.text("CacheNodeId", "0001");
        if let Some(rdb) = &s.rdb {
            self.text("CacheSize", &format!("{} MB", rdb.size().div_ceil(1 << 20)));
        }
        self.text("CacheNodeCreateTime", &time(s.cluster_created));
        self.text("SnapshotCreateTime", &time(s.created));
        self.close("NodeSnapshot");
        self.close("NodeSnapshots");
        self.text("ARN", &s.arn);
        self.text("DataTiering", "disabled");
        self.close("Snapshot");
    }

    /// A `CacheEngineVersion`.
    pub(super) fn engine_version(&mut self, v: &catalog::EngineVersion) {
        self.open("CacheEngineVersion");
        self.text("Engine", v.engine);
        self.text("EngineVersion", v.version);
        self.text("CacheParameterGroupFamily", v.family);
        self.text("CacheEngineDescription", catalog::description(v.engine));
        self.text(
            "CacheEngineVersionDescription",
            &format!("{} {}", catalog::description(v.engine), v.version),
        );
        self.close("CacheEngineVersion");
    }

    /// A `TagList`.
    pub(super) fn tags(&mut self, tags: &[(String, String)]) {
        self.open("TagList");
        for (k, v) in tags {
            self.open("Tag");
            self.text("Key", k);
            self.text("Value", v);
            self.close("Tag");
        }
        self.close("TagList");
    }
}
