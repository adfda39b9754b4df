//! The server lifecycle of clusters: starting nodes in the background
//! (a group's primary first, seeded from a snapshot when asked, then its
//! replicas with `replicaof` the primary), deletion (with its final
//! snapshot), and region outages (every server of the region stopped with
//! `SHUTDOWN SAVE` and started again from that file when the region is back).

use super::snapshots::RdbFile;
use super::{Cluster, Engine, Group, status};
use crate::errors::ElastiCacheError;
use crate::node::{NodeSpec, RedisNode, StopMode};
use std::sync::Arc;

impl Engine {
    /// Starts the servers of `ids` (the first is the primary and takes the
    /// seed; the others replicate it) in a background task.
    pub(super) fn spawn_start(self: &Arc<Self>, region: &str, ids: Vec<String>, seed: Option<Arc<RdbFile>>) {
        let me = self.clone();
        let region = region.to_owned();
        tokio::spawn(async move {
            let mut primary_port = None;
            for (n, id) in ids.iter().enumerate() {
                let port = me.with_region(&region, |reg| reg.clusters.get(id).map(|c| c.requested_port));
                let Some(port) = port else { continue };
                let seed = if n == 0 { seed.clone() } else { None };
                let outcome = me.start_node(id, port, seed.as_ref(), primary_port).await;
                match outcome {
                    Ok(node) => {
                        if n == 0 {
                            primary_port = Some(node.port);
                        }
                        me.attach(&region, id, node, true, |c| c.status == status::CREATING)
                            .await;
                    }
                    Err(e) => {
                        tracing::warn!(region, cluster = id, error = %e, "a cache node could not start");
                        me.with_region(&region, |reg| {
                            if let Some(c) = reg.clusters.get_mut(id)
                                && c.status == status::CREATING
                            {
                                c.status = if c.seeded {
                                    status::RESTORE_FAILED
                                } else {
                                    status::CREATE_FAILED
                                }
                                .to_owned();
                            }
                        });
                        if n == 0 {
                            break;
                        }
                    }
                }
            }
        });
    }

    async fn start_node(
        &self,
        id: &str,
        port: u16,
        seed: Option<&Arc<RdbFile>>,
        replica_of: Option<u16>,
    ) -> Result<Arc<RedisNode>, ElastiCacheError> {
        let dir = self.runtime.node_dir(id)?;
        let spec = NodeSpec {
            dir: dir.clone(),
            seed: seed.map(|s| s.path().to_path_buf()),
            port: Some(port),
            replica_of,
        };
        match self.runtime.start(spec).await {
            Ok(node) => Ok(node),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e.into())
            }
        }
    }

    /// Hands a started node to its cluster when `wanted` holds for it (the
    /// cluster still waits for it), else stops the node and, for a fresh
    /// node (`fresh`), removes its directory.
    async fn attach(
        &self,
        region: &str,
        id: &str,
        node: Arc<RedisNode>,
        fresh: bool,
        wanted: fn(&Cluster) -> bool,
    ) {
        let adopted = self.with_region(region, |reg| match reg.clusters.get_mut(id) {
            Some(c) if wanted(c) => {
                c.dir = Some(node.dir.clone());
                c.port = Some(node.port);
                c.node = Some(node.clone());
                true
            }
            _ => false,
        });
        if !adopted {
            node.stop_async(StopMode::Discard).await;
            if fresh {
                let _ = std::fs::remove_dir_all(&node.dir);
            }
        }
    }

    /// DeleteCacheCluster: checks the cluster and the final snapshot's name,
    /// marks it `deleting`, then (in the background) takes the final
    /// snapshot, stops the server, removes its files, the record and its
    /// automatic snapshots.
    pub fn delete_cluster(
        self: &Arc<Self>,
        region: &str,
        id: &str,
        final_snapshot: Option<String>,
    ) -> Result<Cluster, ElastiCacheError> {
        let view = self.with_region(region, |reg| {
            let c = reg.clusters.get(id).ok_or_else(|| ElastiCacheError::cluster_not_found(id))?;
            if c.status != status::AVAILABLE
                && c.status != status::CREATE_FAILED
                && c.status != status::RESTORE_FAILED
            {
                return Err(ElastiCacheError::InvalidCacheClusterState(format!(
                    "Cluster {id} is not in the available state (it is {}).",
                    c.status
                )));
            }
            if let Some(group) = &c.replication_group {
                if c.primary {
                    return Err(ElastiCacheError::InvalidCacheClusterState(format!(
                        "Cluster {id} is the primary of replication group {group}: delete the replication group instead."
                    )));
                }
                if final_snapshot.is_some() {
                    return Err(ElastiCacheError::InvalidParameterCombination(format!(
                        "A final snapshot cannot be taken of cluster {id}, a replica in replication group {group}."
                    )));
                }
            }
            if let Some(name) = &final_snapshot {
                crate::validate::snapshot_name("FinalSnapshotIdentifier", name, false)?;
                if reg.snapshots.contains_key(name) {
                    return Err(ElastiCacheError::snapshot_exists(name));
                }
            }
            let c = reg.clusters.get_mut(id).ok_or_else(|| ElastiCacheError::cluster_not_found(id))?;
            c.status = status::DELETING.to_owned();
            let view = c.clone();
            if let Some(group) = view.replication_group.as_ref().and_then(|g| reg.groups.get_mut(g)) {
                group.members.retain(|m| m != id);
            }
            if let Some(name) = &final_snapshot {
                let snapshot = self.snapshot_record(region, name, "manual", &view, None, Vec::new());
                reg.snapshots.insert(name.clone(), snapshot);
            }
            Ok(view)
        })?;
        let me = self.clone();
        let region = region.to_owned();
        let id = id.to_owned();
        let node = view.node.clone();
        tokio::spawn(async move {
            if let Some(name) = &final_snapshot {
                me.finish_snapshot(&region, name, node).await;
            }
            me.remove_clusters(&region, &[id]).await;
        });
        Ok(view)
    }

    /// DeleteReplicationGroup: the group and its members (all, or all but the
    /// primary with `RetainPrimaryCluster`), after a final snapshot of the
    /// snapshotting cluster when asked.
    pub fn delete_group(
        self: &Arc<Self>,
        region: &str,
        id: &str,
        final_snapshot: Option<String>,
        retain_primary: bool,
    ) -> Result<(Group, Vec<Cluster>), ElastiCacheError> {
        let (view, doomed, source) = self.with_region(region, |reg| {
            let g = reg
                .groups
                .get(id)
                .ok_or_else(|| ElastiCacheError::group_not_found(id))?;
            if g.status != status::AVAILABLE && g.status != status::CREATE_FAILED {
                return Err(ElastiCacheError::InvalidReplicationGroupState(format!(
                    "Replication group {id} is not in the available state (it is {}).",
                    g.status
                )));
            }
            if let Some(name) = &final_snapshot {
                crate::validate::snapshot_name("FinalSnapshotIdentifier", name, false)?;
                if reg.snapshots.contains_key(name) {
                    return Err(ElastiCacheError::snapshot_exists(name));
                }
            }
            let g = reg
                .groups
                .get_mut(id)
                .ok_or_else(|| ElastiCacheError::group_not_found(id))?;
            g.status = status::DELETING.to_owned();
            let group = g.clone();
            let source = reg.clusters.get(&group.snapshotting_cluster).cloned();
            let mut members = Vec::new();
            let mut doomed = Vec::new();
            for (n, m) in group.members.iter().enumerate() {
                if let Some(c) = reg.clusters.get_mut(m) {
                    if n == 0 && retain_primary {
                        members.push(c.clone());
                        continue;
                    }
                    c.status = status::DELETING.to_owned();
                    members.push(c.clone());
                    doomed.push(m.clone());
                }
            }
            if let (Some(name), Some(source)) = (&final_snapshot, &source) {
                let snapshot = self.snapshot_record(region, name, "manual", source, Some(&group), Vec::new());
                reg.snapshots.insert(name.clone(), snapshot);
            }
            Ok::<_, ElastiCacheError>(((group, members), doomed, source))
        })?;
        let me = self.clone();
        let region = region.to_owned();
        let id = id.to_owned();
        tokio::spawn(async move {
            if let Some(name) = &final_snapshot {
                me.finish_snapshot(&region, name, source.and_then(|s| s.node))
                    .await;
            }
            me.remove_clusters(&region, &doomed).await;
            me.with_region(&region, |reg| {
                if let Some(g) = reg.groups.remove(&id)
                    && retain_primary
                    && let Some(primary) = g.members.first().and_then(|p| reg.clusters.get_mut(p))
                {
                    primary.replication_group = None;
                    primary.primary = true;
                }
                super::snapshots::drop_automatic_of_group(reg, &id);
            });
        });
        Ok(view)
    }

    async fn remove_clusters(&self, region: &str, ids: &[String]) {
        let removed: Vec<Cluster> = self.with_region(region, |reg| {
            let removed: Vec<Cluster> = ids.iter().filter_map(|id| reg.clusters.remove(id)).collect();
            for c in &removed {
                super::snapshots::drop_automatic_of_cluster(reg, &c.id);
            }
            removed
        });
        for c in removed {
            if let Some(node) = &c.node {
                node.stop_async(StopMode::Discard).await;
            }
            if let Some(dir) = &c.dir {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    /// Stops every server of `region`, saving its data to its own RDB file.
    pub async fn stop_region_servers(&self, region: &str) {
        let nodes: Vec<Arc<RedisNode>> = self.with_region(region, |reg| {
            reg.down = true;
            reg.clusters.values_mut().filter_map(|c| c.node.take()).collect()
        });
        for node in nodes {
            node.stop_async(StopMode::Save).await;
        }
    }

    /// Starts again the servers [`Engine::stop_region_servers`] stopped, each
    /// from its saved RDB file, primaries before their replicas.
    pub async fn start_region_servers(&self, region: &str) {
        let mut stopped: Vec<(String, std::path::PathBuf, u16, Option<String>)> =
            self.with_region(region, |reg| {
                reg.down = false;
                reg.clusters
                    .values()
                    .filter(|c| c.node.is_none() && c.status != status::DELETING)
                    .filter_map(|c| {
                        let dir = c.dir.clone()?;
                        let primary = c
                            .replication_group
                            .as_ref()
                            .filter(|_| !c.primary)
                            .and_then(|g| reg.groups.get(g))
                            .and_then(|g| g.members.first().cloned());
                        Some((c.id.clone(), dir, c.port.unwrap_or(c.requested_port), primary))
                    })
                    .collect()
            });
        stopped.sort_by_key(|(_, _, _, primary)| primary.is_some());
        for (id, dir, port, primary) in stopped {
            let replica_of = primary.and_then(|p| self.with_region(region, |reg| reg.clusters.get(&p)?.port));
            let spec = NodeSpec {
                dir,
                seed: None,
                port: Some(port),
                replica_of,
            };
            match self.runtime.start(spec).await {
                Ok(node) => {
                    self.attach(region, &id, node, false, |c| c.status != status::DELETING)
                        .await
                }
                Err(e) => {
                    tracing::warn!(region, cluster = id, error = %e, "a cache node could not restart after the outage")
                }
            }
        }
    }
}
