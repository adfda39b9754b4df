//! The orders database's read replica: made at provisioning
//! (`[store] orders_replica_region`), promoted by the `promote_replica`
//! runbook.
//!
//! The replica is `CreateDBInstanceReadReplica` of the orders instance (by
//! ARN when it lives in another region, as AWS requires), a real server
//! following the source's WAL or binary log. When the source's region goes
//! dark the runbook promotes it (`PromoteReadReplica` with the source's
//! backup retention, so the promoted instance keeps PITR), waits for
//! `available` and re-points the orders database at it: the loss is only
//! what had not replicated when the region went dark (the replica lag), where
//! a restore from the hourly AWS Backup copies loses everything since the
//! newest copy.

use crate::model::Store;
use crate::policy::{describe_db, wait_db_available};
use crate::recovery::{RecoveryContext, repoint_db};
use crate::target::{Clients, Target};
use crate::wait::WaitOptions;
use anyhow::{Context, anyhow, bail};

const RB: &str = "promote_replica";

/// Makes the store's read replica, when it has one, and waits until it is
/// `available`. `retention_days` is the source's `BackupRetentionPeriod`
/// (a promotion gives the replica the same).
pub async fn create(
    target: &dyn Target,
    store: &mut Store,
    retention_days: u32,
    wait: &WaitOptions,
) -> anyhow::Result<()> {
    let Some(replica) = store.names.orders_replica.as_mut() else {
        return Ok(());
    };
    replica.backup_retention_days = retention_days;
    let replica = replica.clone();
    let primary = Clients::new(target, &store.region);
    let source = &store.names.db_instance;
    let source_id = if replica.region == store.region {
        source.clone()
    } else {
        describe_db(&primary.rds, source)
            .await?
            .map(|i| i.arn)
            .ok_or_else(|| anyhow!("the orders instance {source} does not exist"))?
    };
    let remote = Clients::new(target, &replica.region);
    remote
        .rds
        .create_db_instance_read_replica()
        .db_instance_identifier(&replica.db_instance)
        .source_db_instance_identifier(&source_id)
        .db_instance_class("db.t3.micro")
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| {
            format!(
                "CreateDBInstanceReadReplica {} in {} from {source_id}",
                replica.db_instance, replica.region
            )
        })?;
    wait_db_available(target, &remote.rds, &replica.db_instance, wait).await?;
    tracing::info!(replica = %replica.db_instance, region = %replica.region, "orders read replica available");
    Ok(())
}

/// What DescribeDBInstances says of a replica's replication.
fn replication_state(i: &aws_sdk_rds::types::DbInstance) -> String {
    let source = i
        .read_replica_source_db_instance_identifier()
        .unwrap_or("no source");
    let status = i
        .status_infos()
        .iter()
        .filter(|s| s.status_type() == Some("read replication"))
        .map(|s| {
            format!(
                "replication {}{}",
                s.status().unwrap_or("unknown"),
                s.message().map(|m| format!(" ({m})")).unwrap_or_default()
            )
        })
        .next()
        .unwrap_or_else(|| "replication state not reported".to_owned());
    format!("read replica of {source}; {status}")
}

/// Promotes the store's read replica and re-points the orders database at
/// it (the `promote_replica` runbook).
pub async fn promote_replica(ctx: &mut RecoveryContext<'_>) -> anyhow::Result<()> {
    let replica =
        ctx.store.names.orders_replica.clone().ok_or_else(|| {
            anyhow!("the store has no read replica to promote ([store] orders_replica_region)")
        })?;
    let rds = Clients::new(ctx.target, &replica.region).rds;
    let id = replica.db_instance.clone();

    let step = ctx.begin(RB, format!("find the read replica {id} in {}", replica.region));
    let found = async {
        let resp = rds
            .describe_db_instances()
            .db_instance_identifier(&id)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("DescribeDBInstances {id} in {}", replica.region))?;
        let Some(i) = resp.db_instances().first() else {
            bail!("the read replica {id} does not exist in {}", replica.region);
        };
        if i.read_replica_source_db_instance_identifier().is_none() {
            bail!(
                "{id} is not a read replica (it has no source): it was promoted already or never replicated"
            );
        }
        Ok(((), replication_state(i)))
    }
    .await;
    ctx.finish(step, found)?;

    let step = ctx.begin(RB, format!("promote {id} to a standalone instance"));
    let r = rds
        .promote_read_replica()
        .db_instance_identifier(&id)
        .backup_retention_period(replica.backup_retention_days as i32)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("PromoteReadReplica")
        .map(|_| {
            (
                (),
                format!(
                    "PromoteReadReplica {id} (BackupRetentionPeriod {}): every commit replicated before the outage is kept",
                    replica.backup_retention_days
                ),
            )
        });
    ctx.finish(step, r)?;

    repoint_db(ctx, RB, &rds, &id).await?;
    if ctx.store.names.db_instance == id {
        ctx.store.names.orders_replica = None;
        ctx.store.names.db_region = (replica.region != ctx.store.region).then(|| replica.region.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::{DbInstance, DbInstanceStatusInfo};

    #[test]
    fn the_replication_state_names_the_source_and_the_status() {
        let i = DbInstance::builder()
            .read_replica_source_db_instance_identifier("arn:aws:rds:us-east-1:000000000000:db:shop-orders")
            .status_infos(
                DbInstanceStatusInfo::builder()
                    .status_type("read replication")
                    .status("error")
                    .normal(false)
                    .message("the source is unreachable")
                    .build(),
            )
            .build();
        let s = replication_state(&i);
        assert!(s.contains("db:shop-orders"), "{s}");
        assert!(s.contains("replication error (the source is unreachable)"), "{s}");
        let bare = replication_state(&DbInstance::builder().build());
        assert!(
            bare.contains("no source") && bare.contains("not reported"),
            "{bare}"
        );
    }
}
