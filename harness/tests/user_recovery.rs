//! How a team tests its OWN recovery code with firedrill (the README shows
//! this file): implement `Recovery`, hand it to the drill, and let the
//! checker judge. A correct runbook passes; a runbook with the classic bug
//! (restoring to "latest" after the delete) is caught as data loss.

use aws_sdk_dynamodb::types::TableStatus;
use firedrill::drill::{DrillOptions, run};
use firedrill::history::Collection;
use firedrill::recovery::{Recovery, RecoveryContext};
use firedrill::scenario;
use firedrill::stack::EmbeddedTarget;
use firedrill::target::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// The code under test: restore the carts table to a point in time and
/// re-point the application at the restored table.
struct MyCartRestore {
    /// The bug to demonstrate: restore to the latest restorable time
    /// (after the delete) instead of the instant before the fault.
    use_latest: bool,
}

impl Recovery for MyCartRestore {
    fn name(&self) -> &str {
        if self.use_latest {
            "my-cart-restore (latest)"
        } else {
            "my-cart-restore"
        }
    }

    fn recover<'a, 'b: 'a>(&'a self, ctx: &'a mut RecoveryContext<'b>) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let dynamodb = ctx.clients().dynamodb;
            let source = ctx
                .store
                .names
                .table(Collection::Carts)
                .expect("carts table")
                .to_owned();
            let target = format!("{source}-restored");
            let step = ctx.begin("my_cart_restore", format!("restore {source} to {target}"));
            let restore = dynamodb
                .restore_table_to_point_in_time()
                .source_table_name(&source)
                .target_table_name(&target);
            let restore = if self.use_latest {
                restore.use_latest_restorable_time(true)
            } else {
                restore.restore_date_time(aws_smithy_types::DateTime::from_millis(
                    ctx.restore_to.timestamp_millis(),
                ))
            };
            let result = restore
                .send()
                .await
                .map(|_| ((), format!("restoring into {target}")))
                .map_err(anyhow::Error::from);
            ctx.finish(step, result)?;

            let step = ctx.begin("my_cart_restore", format!("wait for {target} to be ACTIVE"));
            let mut waited = Ok(((), "ACTIVE".to_owned()));
            for attempt in 0.. {
                let d = dynamodb.describe_table().table_name(&target).send().await?;
                if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                    break;
                }
                if attempt > 600 {
                    waited = Err(anyhow::anyhow!("{target} never became ACTIVE"));
                    break;
                }
                ctx.target.advance(chrono::Duration::seconds(1)).await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            ctx.finish(step, waited)?;

            // A restored table does not inherit PITR: without it the next
            // delete would be final, and the drill says so.
            let step = ctx.begin("my_cart_restore", format!("re-enable PITR on {target}"));
            let spec = aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()?;
            let result = dynamodb
                .update_continuous_backups()
                .table_name(&target)
                .point_in_time_recovery_specification(spec)
                .send()
                .await
                .map(|_| ((), "PITR enabled".to_owned()))
                .map_err(anyhow::Error::from);
            ctx.finish(step, result)?;
            ctx.store.names.carts_table = target;
            Ok(())
        })
    }
}

async fn drill_with(recovery: MyCartRestore) -> firedrill::report::Report {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/junior-dev-cart-batch-delete.toml"
    );
    let scenario = scenario::load(std::path::Path::new(path)).unwrap();
    let (target, scenario) = EmbeddedTarget::for_scenario(&scenario).await.unwrap();
    let options = DrillOptions {
        recovery: Some(Arc::new(recovery)),
        ..DrillOptions::default()
    };
    let report = run(&target, &scenario, &options).await.unwrap();
    target.shutdown().await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_restore_to_the_instant_before_the_fault_recovers_every_cart() {
    let report = drill_with(MyCartRestore { use_latest: false }).await;
    assert!(report.check.recovered(), "{}", report.to_text());
    assert!(report.passed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_restore_to_latest_is_caught_losing_the_carts() {
    let report = drill_with(MyCartRestore { use_latest: true }).await;
    assert!(
        !report.check.recovered(),
        "restoring to after the delete must not pass: {}",
        report.to_text()
    );
    assert!(report.check.rpo.records_lost > 0);
    assert!(!report.passed());
}
