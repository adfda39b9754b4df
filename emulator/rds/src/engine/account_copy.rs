//! A DB snapshot or DB cluster snapshot copied into another account's
//! RDS: what AWS Backup's cross-account copy of an RDS or Aurora recovery
//! point does. The copy is the destination account's snapshot, under its
//! ARN and in its own data directory, so it outlives anything the source
//! account does to the original.

use super::records::{ClusterSnapshot, Snapshot};
use super::snapshots::snapshot_done_event;
use super::{DEFAULT_AZ_SUFFIX, Engine, Work};
use crate::errors::RdsError;

impl Engine {
    /// Copies snapshot `src_id` of `src_region` into `dest` (another
    /// account's engine) as `target_id` in `dest_region`, and returns the
    /// copy once it is `available`.
    pub async fn copy_snapshot_into(
        &self,
        src_region: &str,
        src_id: &str,
        dest: &Engine,
        dest_region: &str,
        target_id: &str,
    ) -> Result<Snapshot, RdsError> {
        let src = {
            let mut state = self.state.lock();
            let reg = state.region(src_region);
            if reg.down {
                return Err(RdsError::InvalidDBSnapshotState(format!(
                    "The source region {src_region} is unavailable."
                )));
            }
            let src = reg
                .snapshots
                .get(src_id)
                .cloned()
                .ok_or_else(|| RdsError::snapshot_not_found(src_id))?;
            if src.status != "available" {
                return Err(RdsError::InvalidDBSnapshotState(format!(
                    "Snapshot {src_id} is not available; it is {}.",
                    src.status
                )));
            }
            src
        };
        let now = dest.now();
        let copy = Snapshot {
            id: target_id.to_owned(),
            arn: format!(
                "arn:aws:rds:{dest_region}:{}:snapshot:{target_id}",
                dest.account()
            ),
            snapshot_type: "manual".to_owned(),
            status: "creating".to_owned(),
            create_time: now,
            source_region: (src_region != dest_region).then(|| src_region.to_owned()),
            source_snapshot: Some(src.arn.clone()),
            percent: 0,
            dir: dest
                .run
                .root
                .join("snapshots")
                .join(dest_region)
                .join(format!("{target_id}-{}", firedrill_emu_core::ids::random_hex(6))),
            work: Work::Running,
            status_since: now,
            availability_zone: format!("{dest_region}{DEFAULT_AZ_SUFFIX}"),
            ..src.clone()
        };
        {
            let mut state = dest.state.lock();
            let reg = state.region(dest_region);
            if reg.snapshots.contains_key(target_id) {
                return Err(RdsError::DBSnapshotAlreadyExists(format!(
                    "Cannot copy the snapshot because a snapshot with the identifier {target_id} already exists."
                )));
            }
            reg.snapshots.insert(target_id.to_owned(), copy.clone());
        }
        let result = dest.run.copy_tree(&src.dir, &copy.dir).await;
        let mut state = dest.state.lock();
        let reg = state.region(dest_region);
        match result {
            Ok(()) => {
                let s = reg
                    .snapshots
                    .get_mut(target_id)
                    .ok_or_else(|| RdsError::snapshot_not_found(target_id))?;
                s.status = "available".to_owned();
                s.percent = 100;
                s.work = Work::Idle;
                dest.events
                    .record(dest_region, [snapshot_done_event(s, dest.now())]);
                Ok(s.clone())
            }
            Err(e) => {
                reg.snapshots.remove(target_id);
                let _ = std::fs::remove_dir_all(&copy.dir);
                Err(e.into())
            }
        }
    }

    /// Copies cluster snapshot `src_id` of `src_region` into `dest`
    /// (another account's engine) as `target_id` in `dest_region`, and
    /// returns the copy once it is `available`.
    pub async fn copy_cluster_snapshot_into(
        &self,
        src_region: &str,
        src_id: &str,
        dest: &Engine,
        dest_region: &str,
        target_id: &str,
    ) -> Result<ClusterSnapshot, RdsError> {
        let src = {
            let mut state = self.state.lock();
            let reg = state.region(src_region);
            if reg.down {
                return Err(RdsError::InvalidDBClusterSnapshotState(format!(
                    "The source region {src_region} is unavailable."
                )));
            }
            let src = reg
                .cluster_snapshots
                .get(src_id)
                .cloned()
                .ok_or_else(|| RdsError::cluster_snapshot_not_found(src_id))?;
            if src.status != "available" {
                return Err(RdsError::InvalidDBClusterSnapshotState(format!(
                    "Cluster snapshot {src_id} is not available; it is {}.",
                    src.status
                )));
            }
            src
        };
        let now = dest.now();
        let copy = ClusterSnapshot {
            id: target_id.to_owned(),
            arn: format!(
                "arn:aws:rds:{dest_region}:{}:cluster-snapshot:{target_id}",
                dest.account()
            ),
            snapshot_type: "manual".to_owned(),
            status: "copying".to_owned(),
            create_time: now,
            source_arn: Some(src.arn.clone()),
            percent: 0,
            dir: dest.cluster_snapshot_dir(dest_region, target_id),
            work: Work::Running,
            status_since: now,
            modelled_ready: None,
            ..src.clone()
        };
        {
            let mut state = dest.state.lock();
            let reg = state.region(dest_region);
            if reg.cluster_snapshots.contains_key(target_id) {
                return Err(RdsError::DBClusterSnapshotAlreadyExists(format!(
                    "Cannot copy the cluster snapshot because one with the identifier {target_id} already exists."
                )));
            }
            reg.cluster_snapshots.insert(target_id.to_owned(), copy.clone());
        }
        let result = dest
            .run
            .copy_tree(&src.dir, &copy.dir)
            .await
            .map_err(RdsError::from);
        dest.complete_cluster_snapshot_now(dest_region, &copy, result)
    }
}
