//! The `elasticache_restore` runbook: the session store brought back from
//! its newest snapshot taken before the fault.
//!
//! ElastiCache has no point-in-time recovery, so this is the whole of what
//! can be done: `DescribeSnapshots` of the store's replication group, pick
//! the newest `available` one created before T, `CreateReplicationGroup`
//! with `SnapshotName` into a new group (keeping the source's snapshot
//! retention and window, so the restored store stays as guarded), wait for
//! `available`, then re-point the application at the new primary endpoint.
//! Every write after that snapshot is lost: the loss window is the snapshot
//! interval, which the report shows.

use super::elasticache::{
    SnapshotSettings, create_group, describe_group, newest_before, restored_group_id, snapshots_of,
    wait_group_available,
};
use crate::model::DbEndpoint;
use crate::recovery::RecoveryContext;
use anyhow::{Context, anyhow, bail};

const RB: &str = "elasticache_restore";

/// Restores the store's replication group from its newest snapshot before
/// `ctx.restore_to` into a new group and re-points the store at it.
pub async fn elasticache_restore(ctx: &mut RecoveryContext<'_>) -> anyhow::Result<()> {
    let ec = ctx.clients().elasticache;
    let source = ctx
        .store
        .names
        .cache
        .as_ref()
        .map(|c| c.replication_group.clone())
        .ok_or_else(|| anyhow!("the store keeps nothing in ElastiCache: there is no cache to restore"))?;
    let t = ctx.restore_to;

    let step = ctx.begin(
        RB,
        format!("find the newest snapshot of {source} before {}", t.to_rfc3339()),
    );
    let found = async {
        let snapshots = snapshots_of(&ec, &source).await?;
        let Some(s) = newest_before(&snapshots, t) else {
            let settings = describe_group(&ec, &source).await?.map(|g| g.retention);
            bail!(
                "no available snapshot of {source} before T ({} snapshots in all; SnapshotRetentionLimit {}): ElastiCache has no point-in-time recovery, so without a snapshot nothing can be restored",
                snapshots.len(),
                settings.map_or("unknown (the group is gone)".to_owned(), |r| r.to_string())
            );
        };
        let created = s.created.map(|c| c.to_rfc3339()).unwrap_or_default();
        Ok((
            s.name.clone(),
            format!(
                "{} ({}, taken {created}); every write after it is lost: no PITR on ElastiCache",
                s.name, s.source
            ),
        ))
    }
    .await;
    let snapshot: String = ctx.finish(step, found)?;

    let step = ctx.begin(RB, format!("restore {snapshot} into a new replication group"));
    let created = async {
        let settings = match describe_group(&ec, &source).await? {
            Some(g) => SnapshotSettings {
                snapshot_retention_limit: g.retention.max(0) as u32,
                snapshot_window: g.window,
            },
            None => SnapshotSettings::default(),
        };
        for n in 1..=9 {
            let id = restored_group_id(&source, n);
            if describe_group(&ec, &id).await?.is_some() {
                continue;
            }
            create_group(&ec, &id, &settings, Some(&snapshot)).await?;
            let detail = format!(
                "CreateReplicationGroup {id} with SnapshotName {snapshot} (SnapshotRetentionLimit {})",
                settings.snapshot_retention_limit
            );
            return Ok((id, detail));
        }
        bail!("nine restores of {source} exist already")
    }
    .await;
    let restored: String = ctx.finish(step, created)?;

    let step = ctx.begin(RB, format!("wait for {restored} to be available"));
    let r = wait_group_available(ctx.target, &ec, &restored, &ctx.wait)
        .await
        .map(|e| (e.clone(), format!("available at {}:{}", e.address, e.port)));
    let endpoint: DbEndpoint = ctx.finish(step, r)?;

    let step = ctx.begin(RB, format!("re-point the application at {restored}"));
    let r = repoint(ctx, &restored, endpoint).await;
    ctx.finish(step, r)
}

/// Points the store's cache at `group` (answering at `endpoint`) once it
/// answers; the store is left as it was when it does not.
pub async fn repoint(
    ctx: &mut RecoveryContext<'_>,
    group: &str,
    endpoint: DbEndpoint,
) -> anyhow::Result<((), String)> {
    let mut store = ctx.store.clone();
    store.cache = Some(endpoint);
    if let Some(c) = store.names.cache.as_mut() {
        c.replication_group = group.to_owned();
    }
    let keys = super::elasticache::records(ctx.target, &store)
        .await
        .with_context(|| format!("the restored replication group {group} does not answer"))?;
    *ctx.store = store;
    Ok(((), format!("connected; {} sessions and carts", keys.len())))
}
