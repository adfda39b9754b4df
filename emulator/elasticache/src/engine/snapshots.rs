//! Snapshots: CreateSnapshot (the server's own `BGSAVE`, the RDB file
//! copied into the emulator's storage), final snapshots, the automatic
//! daily snapshots in each cluster's or group's `SnapshotWindow`, kept
//! `SnapshotRetentionLimit` days on the emulator clock, CopySnapshot (within
//! ElastiCache, or exported as `<TargetSnapshotName>-0001.rdb` into an S3
//! bucket of the same region), DeleteSnapshot, DescribeSnapshots, and the
//! seeds a new cluster starts from (`SnapshotName`, or `SnapshotArns`
//! naming an RDB file in a bucket of the cluster's own region).
//!
//! There is no point-in-time recovery: ElastiCache has none. What a restore
//! can bring back is the newest snapshot, so the loss window is the
//! snapshot interval.

use super::{Cluster, Engine, Group, Region, Seed, Snapshot, status};
use crate::errors::ElastiCacheError;
use crate::node::RedisNode;
use crate::objects::{ObjectError, parse_object_arn};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An RDB file in the emulator's snapshot storage, removed with its last
/// holder (snapshots and their copies share one immutable file).
#[derive(Debug)]
pub struct RdbFile {
    path: PathBuf,
    size: u64,
}

impl RdbFile {
    fn new(path: PathBuf) -> Self {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Self { path, size }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Drop for RdbFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Refuses, as ElastiCache does, a bucket that does not exist or is
/// outside `region` (exports and `SnapshotArns` alike).
fn bucket_in_region(
    store: &dyn crate::objects::ObjectStore,
    bucket: &str,
    region: &str,
) -> Result<(), ElastiCacheError> {
    match store.bucket_region(bucket) {
        None => Err(ElastiCacheError::InvalidParameterValue(format!(
            "The S3 bucket {bucket} does not exist."
        ))),
        Some(r) if r != region => Err(ElastiCacheError::InvalidParameterValue(format!(
            "The S3 bucket {bucket} is outside of the region."
        ))),
        Some(_) => Ok(()),
    }
}

/// What a snapshot is taken of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotSourceRef {
    /// A cluster (standalone, or one member of a group).
    Cluster(String),
    /// A replication group (its snapshotting cluster).
    Group(String),
}

/// The name of the automatic snapshot of `id` for the window starting at `at`.
fn automatic_name(id: &str, at: DateTime<Utc>) -> String {
    format!("automatic.{id}-{}", at.format("%Y-%m-%d-%H-%M"))
}

/// The latest start of `window` (`hh24:mi-hh24:mi`) at or before `now`.
fn latest_window_start(window: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (start, _) = crate::validate::snapshot_window(window).ok()?;
    let time = NaiveTime::from_hms_opt(start / 60, start % 60, 0)?;
    let today = now.date_naive().and_time(time).and_utc();
    if today <= now {
        Some(today)
    } else {
        today.checked_sub_signed(Duration::days(1))
    }
}

/// The automatic snapshots due at `now`: every available standalone
/// cluster and group with a retention limit whose latest window start is
/// after its last automatic snapshot (or its creation). After a clock jump
/// over several windows, one snapshot is taken, of the data as it is now.
pub(super) fn automatic_due(reg: &Region, now: DateTime<Utc>) -> Vec<(SnapshotSourceRef, DateTime<Utc>)> {
    let mut due = Vec::new();
    for c in reg.clusters.values() {
        if c.replication_group.is_some() || c.retention <= 0 || c.status != status::AVAILABLE {
            continue;
        }
        if let Some(start) = latest_window_start(&c.window, now)
            && start > c.last_automatic.unwrap_or(c.created)
        {
            due.push((SnapshotSourceRef::Cluster(c.id.clone()), start));
        }
    }
    for g in reg.groups.values() {
        if g.retention <= 0 || g.status != status::AVAILABLE {
            continue;
        }
        if let Some(start) = latest_window_start(&g.window, now)
            && start > g.last_automatic.unwrap_or(g.created)
        {
            due.push((SnapshotSourceRef::Group(g.id.clone()), start));
        }
    }
    due
}

/// Removes the automatic snapshots older than their retention limit.
pub(super) fn expire_automatic(reg: &mut Region, now: DateTime<Utc>) {
    reg.snapshots.retain(|_, s| {
        s.source != "automated"
            || s.status == status::CREATING
            || s.created
                .checked_add_signed(Duration::days(i64::from(s.retention.max(1))))
                .is_none_or(|end| end > now)
    });
}

/// Removes the automatic snapshots of a deleted cluster (manual ones stay).
pub(super) fn drop_automatic_of_cluster(reg: &mut Region, id: &str) {
    reg.snapshots
        .retain(|_, s| !(s.source == "automated" && s.group_id.is_none() && s.cluster_id == id));
}

/// Removes the automatic snapshots of a deleted group.
pub(super) fn drop_automatic_of_group(reg: &mut Region, id: &str) {
    reg.snapshots
        .retain(|_, s| !(s.source == "automated" && s.group_id.as_deref() == Some(id)));
}

/// The filters of DescribeSnapshots.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFilter {
    /// `SnapshotName`.
    pub name: Option<String>,
    /// `CacheClusterId`.
    pub cluster_id: Option<String>,
    /// `ReplicationGroupId`.
    pub group_id: Option<String>,
    /// `SnapshotSource`: `user` (manual) or `system` (automatic).
    pub source: Option<String>,
}

impl Engine {
    /// A snapshot record of `cluster` (and `group`), `creating`.
    pub(super) fn snapshot_record(
        &self,
        region: &str,
        name: &str,
        source: &str,
        cluster: &Cluster,
        group: Option<&Group>,
        tags: Vec<(String, String)>,
    ) -> Snapshot {
        Snapshot {
            name: name.to_owned(),
            arn: self.arn(region, "snapshot", name),
            status: status::CREATING.to_owned(),
            source: source.to_owned(),
            cluster_id: cluster.id.clone(),
            group_id: group.map(|g| g.id.clone()),
            group_description: group.map(|g| g.description.clone()),
            engine: cluster.engine.clone(),
            engine_version: cluster.engine_version.clone(),
            node_type: cluster.node_type.clone(),
            port: cluster.requested_port,
            availability_zone: cluster.availability_zone.clone(),
            maintenance_window: cluster.maintenance_window.clone(),
            retention: group.map_or(cluster.retention, |g| g.retention),
            window: group.map_or(cluster.window.clone(), |g| g.window.clone()),
            cluster_created: group.map_or(cluster.created, |g| g.created),
            created: self.now(),
            rdb: None,
            tags,
        }
    }

    /// CreateSnapshot: checks the name and the source, marks the source
    /// `snapshotting` and takes the snapshot in the background.
    pub fn create_snapshot(
        self: &Arc<Self>,
        region: &str,
        source: &SnapshotSourceRef,
        name: &str,
        tags: Vec<(String, String)>,
    ) -> Result<Snapshot, ElastiCacheError> {
        self.begin_snapshot(region, source, name, "manual", tags, None)
    }

    fn begin_snapshot(
        self: &Arc<Self>,
        region: &str,
        source: &SnapshotSourceRef,
        name: &str,
        kind: &str,
        tags: Vec<(String, String)>,
        window_start: Option<DateTime<Utc>>,
    ) -> Result<Snapshot, ElastiCacheError> {
        let (snapshot, node) = self.with_region(region, |reg| {
            if reg.snapshots.contains_key(name) {
                return Err(ElastiCacheError::snapshot_exists(name));
            }
            let (cluster, group) = match source {
                SnapshotSourceRef::Cluster(id) => {
                    let c = reg.clusters.get(id).ok_or_else(|| ElastiCacheError::cluster_not_found(id))?;
                    if c.status != status::AVAILABLE || c.node.is_none() {
                        return Err(ElastiCacheError::InvalidCacheClusterState(format!(
                            "Cannot create a snapshot of cluster {id}: it is not in the available state (it is {}).",
                            c.status
                        )));
                    }
                    (c.clone(), None)
                }
                SnapshotSourceRef::Group(id) => {
                    let g = reg.groups.get(id).ok_or_else(|| ElastiCacheError::group_not_found(id))?;
                    if g.status != status::AVAILABLE {
                        return Err(ElastiCacheError::InvalidReplicationGroupState(format!(
                            "Cannot create a snapshot of replication group {id}: it is not in the available state (it is {}).",
                            g.status
                        )));
                    }
                    let c = reg
                        .clusters
                        .get(&g.snapshotting_cluster)
                        .filter(|c| c.status == status::AVAILABLE && c.node.is_some())
                        .ok_or_else(|| {
                            ElastiCacheError::InvalidCacheClusterState(format!(
                                "Cannot create a snapshot of replication group {id}: its cluster {} is not available.",
                                g.snapshotting_cluster
                            ))
                        })?;
                    (c.clone(), Some(g.clone()))
                }
            };
            let snapshot = self.snapshot_record(region, name, kind, &cluster, group.as_ref(), tags);
            if let Some(c) = reg.clusters.get_mut(&cluster.id) {
                c.status = status::SNAPSHOTTING.to_owned();
                if group.is_none() && window_start.is_some() {
                    c.last_automatic = window_start;
                }
            }
            if let Some(g) = group.as_ref().and_then(|g| reg.groups.get_mut(&g.id)) {
                g.status = status::SNAPSHOTTING.to_owned();
                if window_start.is_some() {
                    g.last_automatic = window_start;
                }
            }
            reg.snapshots.insert(name.to_owned(), snapshot.clone());
            Ok((snapshot, cluster.node.clone()))
        })?;
        let me = self.clone();
        let region = region.to_owned();
        let name = name.to_owned();
        tokio::spawn(async move { me.finish_snapshot(&region, &name, node).await });
        Ok(snapshot)
    }

    /// Takes the automatic snapshot of `source` for the window starting at
    /// `window_start`.
    pub(super) fn automatic_snapshot(
        self: &Arc<Self>,
        region: &str,
        source: SnapshotSourceRef,
        window_start: DateTime<Utc>,
    ) -> Result<Snapshot, ElastiCacheError> {
        let id = match &source {
            SnapshotSourceRef::Cluster(id) | SnapshotSourceRef::Group(id) => id.clone(),
        };
        self.begin_snapshot(
            region,
            &source,
            &automatic_name(&id, window_start),
            "automated",
            Vec::new(),
            Some(window_start),
        )
    }

    /// Runs `BGSAVE` on `node`, copies the RDB file into snapshot storage
    /// and completes the record (or marks it `failed`).
    pub(super) async fn finish_snapshot(&self, region: &str, name: &str, node: Option<Arc<RedisNode>>) {
        let runtime = self.runtime.clone();
        let label = name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
        let outcome = match node {
            None => Err(ElastiCacheError::InvalidCacheClusterState(
                "The cluster has no running node.".to_owned(),
            )),
            Some(node) => tokio::task::spawn_blocking(move || {
                let rdb = node.bgsave()?;
                crate::node::store_rdb(&runtime, &rdb, &label)
            })
            .await
            .map_err(|e| ElastiCacheError::InternalFailure(format!("the snapshot task failed: {e}")))
            .and_then(|r| r.map_err(ElastiCacheError::from)),
        };
        let orphan = self.with_region(region, |reg| {
            let Some(s) = reg.snapshots.get_mut(name) else {
                return outcome.ok();
            };
            match outcome {
                Ok(path) => {
                    s.rdb = Some(Arc::new(RdbFile::new(path)));
                    None
                }
                Err(e) => {
                    tracing::warn!(region, snapshot = name, error = %e, "a snapshot failed");
                    s.status = status::FAILED.to_owned();
                    let (cluster, group) = (s.cluster_id.clone(), s.group_id.clone());
                    if let Some(c) = reg.clusters.get_mut(&cluster)
                        && c.status == status::SNAPSHOTTING
                    {
                        c.status = status::AVAILABLE.to_owned();
                    }
                    if let Some(g) = group.and_then(|g| reg.groups.get_mut(&g))
                        && g.status == status::SNAPSHOTTING
                    {
                        g.status = status::AVAILABLE.to_owned();
                    }
                    None
                }
            }
        });
        if let Some(path) = orphan {
            let _ = std::fs::remove_file(path);
        }
    }

    /// The RDB file a new cluster starts from, checked before anything is
    /// created: an available snapshot of the region, or an RDB in S3
    /// (fetched into snapshot storage).
    pub(super) async fn resolve_seed(
        &self,
        region: &str,
        seed: &Seed,
    ) -> Result<Option<Arc<RdbFile>>, ElastiCacheError> {
        match seed {
            Seed::Empty => Ok(None),
            Seed::Snapshot(name) => self.with_region(region, |reg| {
                let s = reg
                    .snapshots
                    .get(name)
                    .ok_or_else(|| ElastiCacheError::snapshot_not_found(name))?;
                match (&s.rdb, s.status.as_str()) {
                    (Some(rdb), status::AVAILABLE) => Ok(Some(rdb.clone())),
                    _ => Err(ElastiCacheError::InvalidSnapshotState(format!(
                        "Snapshot {name} is not in the available state (it is {}).",
                        s.status
                    ))),
                }
            }),
            Seed::ObjectArn(arn) => {
                let (bucket, key) = parse_object_arn(arn).ok_or_else(|| {
                    ElastiCacheError::InvalidParameterValue(format!(
                        "Invalid SnapshotArns member {arn}: expected arn:aws:s3:::<bucket>/<key>."
                    ))
                })?;
                let store = self.object_store().ok_or_else(|| {
                    ElastiCacheError::InvalidParameterValue(
                        "This emulator has no S3 to read SnapshotArns from.".to_owned(),
                    )
                })?;
                // As for exports, the bucket must be in the cluster's own
                // region: an RDB file reaches another region only by being
                // copied into a bucket there.
                bucket_in_region(store.as_ref(), bucket, region)?;
                let bytes = store.get(bucket, key).await.map_err(|e| {
                    ElastiCacheError::InvalidParameterValue(format!("Cannot read the RDB file {arn}: {e}"))
                })?;
                if !bytes.starts_with(b"REDIS") {
                    return Err(ElastiCacheError::InvalidParameterValue(format!(
                        "The object {arn} is not an RDB file."
                    )));
                }
                let path = crate::node::store_rdb_bytes(&self.runtime, &bytes, "seed")?;
                Ok(Some(Arc::new(RdbFile::new(path))))
            }
        }
    }

    /// CopySnapshot: a new manual snapshot sharing the source's RDB file,
    /// or, with `target_bucket`, an export of the RDB file into S3 as
    /// `<target>-0001.rdb` (answered with the source snapshot).
    pub async fn copy_snapshot(
        &self,
        region: &str,
        source: &str,
        target: &str,
        target_bucket: Option<&str>,
        tags: Vec<(String, String)>,
    ) -> Result<Snapshot, ElastiCacheError> {
        let original = self.with_region(region, |reg| {
            let s = reg
                .snapshots
                .get(source)
                .ok_or_else(|| ElastiCacheError::snapshot_not_found(source))?;
            if s.status != status::AVAILABLE || s.rdb.is_none() {
                return Err(ElastiCacheError::InvalidSnapshotState(format!(
                    "Snapshot {source} is not in the available state (it is {}).",
                    s.status
                )));
            }
            if target_bucket.is_none() && reg.snapshots.contains_key(target) {
                return Err(ElastiCacheError::snapshot_exists(target));
            }
            Ok(s.clone())
        })?;
        if let Some(bucket) = target_bucket {
            return self.export(region, &original, target, bucket).await;
        }
        self.with_region(region, |reg| {
            if reg.snapshots.contains_key(target) {
                return Err(ElastiCacheError::snapshot_exists(target));
            }
            let copy = Snapshot {
                name: target.to_owned(),
                arn: self.arn(region, "snapshot", target),
                source: "manual".to_owned(),
                tags,
                ..original
            };
            reg.snapshots.insert(target.to_owned(), copy.clone());
            Ok(copy)
        })
    }

    async fn export(
        &self,
        region: &str,
        original: &Snapshot,
        target: &str,
        bucket: &str,
    ) -> Result<Snapshot, ElastiCacheError> {
        let store = self.object_store().ok_or_else(|| {
            ElastiCacheError::InvalidParameterValue(
                "This emulator has no S3 to export snapshots to.".to_owned(),
            )
        })?;
        bucket_in_region(store.as_ref(), bucket, region)?;
        let key = format!("{target}-0001.rdb");
        match store.get(bucket, &key).await {
            Ok(_) => return Err(ElastiCacheError::snapshot_exists(target)),
            Err(ObjectError::NoSuchKey { .. }) => {}
            Err(e) => return Err(ElastiCacheError::InternalFailure(e.to_string())),
        }
        let path = original
            .rdb
            .as_ref()
            .map(|r| r.path().to_path_buf())
            .ok_or_else(|| {
                ElastiCacheError::InvalidSnapshotState(format!("Snapshot {} has no data.", original.name))
            })?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| ElastiCacheError::InternalFailure(format!("read the snapshot's RDB file: {e}")))?;
        store
            .put(bucket, &key, bytes::Bytes::from(bytes))
            .await
            .map_err(|e| ElastiCacheError::InternalFailure(e.to_string()))?;
        Ok(original.clone())
    }

    /// DeleteSnapshot: an available (or failed) snapshot goes at once; its
    /// RDB file goes with its last holder.
    pub fn delete_snapshot(&self, region: &str, name: &str) -> Result<Snapshot, ElastiCacheError> {
        self.with_region(region, |reg| {
            let s = reg
                .snapshots
                .get(name)
                .ok_or_else(|| ElastiCacheError::snapshot_not_found(name))?;
            if s.status == status::CREATING {
                return Err(ElastiCacheError::InvalidSnapshotState(format!(
                    "Snapshot {name} is being created and cannot be deleted yet."
                )));
            }
            let mut s = reg
                .snapshots
                .remove(name)
                .ok_or_else(|| ElastiCacheError::snapshot_not_found(name))?;
            s.status = status::DELETING.to_owned();
            Ok(s)
        })
    }

    /// DescribeSnapshots: by name (`SnapshotNotFoundFault` when absent), by
    /// cluster, group and source.
    pub fn describe_snapshots(
        &self,
        region: &str,
        filter: &SnapshotFilter,
    ) -> Result<Vec<Snapshot>, ElastiCacheError> {
        self.with_region(region, |reg| {
            if let Some(name) = &filter.name
                && !reg.snapshots.contains_key(name)
            {
                return Err(ElastiCacheError::snapshot_not_found(name));
            }
            Ok(reg
                .snapshots
                .values()
                .filter(|s| filter.name.as_ref().is_none_or(|n| *n == s.name))
                .filter(|s| filter.cluster_id.as_ref().is_none_or(|c| *c == s.cluster_id))
                .filter(|s| {
                    filter
                        .group_id
                        .as_ref()
                        .is_none_or(|g| s.group_id.as_ref() == Some(g))
                })
                .filter(|s| match filter.source.as_deref() {
                    Some("system") => s.source == "automated",
                    Some("user") => s.source == "manual",
                    _ => true,
                })
                .cloned()
                .collect())
        })
    }

    /// Takes a manual snapshot of a cluster now and waits for it (the
    /// in-process API benchmarks and the harness use).
    pub async fn snapshot_and_wait(
        self: &Arc<Self>,
        region: &str,
        cluster: &str,
        name: &str,
    ) -> Result<Snapshot, ElastiCacheError> {
        self.create_snapshot(
            region,
            &SnapshotSourceRef::Cluster(cluster.to_owned()),
            name,
            Vec::new(),
        )?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        loop {
            let s = self
                .describe_snapshots(
                    region,
                    &SnapshotFilter {
                        name: Some(name.to_owned()),
                        ..Default::default()
                    },
                )?
                .into_iter()
                .next()
                .ok_or_else(|| ElastiCacheError::snapshot_not_found(name))?;
            if s.status == status::AVAILABLE {
                return Ok(s);
            }
            if s.status == status::FAILED || std::time::Instant::now() > deadline {
                return Err(ElastiCacheError::InternalFailure(format!(
                    "Snapshot {name} is {}.",
                    s.status
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_starts_are_today_or_yesterday() {
        let now: DateTime<Utc> = "2026-03-14T12:00:00Z".parse().unwrap();
        assert_eq!(
            latest_window_start("05:00-06:00", now).unwrap(),
            "2026-03-14T05:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            latest_window_start("13:00-14:00", now).unwrap(),
            "2026-03-13T13:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            automatic_name("sessions", "2026-03-14T05:00:00Z".parse().unwrap()),
            "automatic.sessions-2026-03-14-05-00"
        );
    }
}
