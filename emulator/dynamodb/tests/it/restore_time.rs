//! Restores take the restore-time model's time: on the `aws` preset a
//! point-in-time restore stays CREATING for AWS's 20 minutes and more, and
//! the model's log says what it timed; on `fast` it is the short fixed delay.

use crate::common::*;
use crate::pitr::{enable_pitr, sdk_time};
use aws_sdk_dynamodb::types::TableStatus;
use chrono::Duration;
use firedrill_emu_core::timing::{Operation, TimingModel, Workload};
use firedrill_emu_core::{EmulatorConfig, Fidelity};

async fn preset(fidelity: Fidelity) -> Env {
    start_with(EmulatorConfig {
        fidelity,
        timings: fidelity.settings(),
        ..EmulatorConfig::default()
    })
    .await
}

async fn status(env: &Env, table: &str) -> TableStatus {
    env.client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe")
        .table
        .and_then(|t| t.table_status)
        .expect("a status")
}

/// A table of `n` items with PITR on, an hour old.
async fn seeded(env: &Env, n: usize) {
    env.client
        .create_table()
        .table_name("carts")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", aws_sdk_dynamodb::types::ScalarAttributeType::S))
        .key_schema(key("pk", aws_sdk_dynamodb::types::KeyType::Hash))
        .send()
        .await
        .expect("create");
    env.server.advance(Duration::minutes(1)).await;
    enable_pitr(env, "carts", None).await;
    for i in 0..n {
        env.client
            .put_item()
            .table_name("carts")
            .set_item(Some(item(&[("pk", s(&format!("cart-{i}")))])))
            .send()
            .await
            .expect("put");
    }
    env.server.advance(Duration::hours(1)).await;
}

#[tokio::test]
async fn on_the_aws_preset_a_point_in_time_restore_takes_the_models_time() {
    let env = preset(Fidelity::Aws).await;
    seeded(&env, 50).await;
    let t = env.now() - Duration::minutes(10);
    env.client
        .restore_table_to_point_in_time()
        .source_table_name("carts")
        .target_table_name("carts-restored")
        .restore_date_time(sdk_time(t))
        .send()
        .await
        .expect("restore");

    let log = env.server.env().timings.operations();
    assert_eq!(log.len(), 1, "{log:?}");
    let op = &log[0];
    assert_eq!(op.operation, Operation::DynamodbRestoreToPointInTime);
    assert_eq!(op.resource, "carts-restored");
    assert_eq!(op.model, "aws-defaults");
    assert_eq!(op.workload.items, 50);
    assert_eq!(
        op.band,
        TimingModel::aws_defaults().band(Operation::DynamodbRestoreToPointInTime, &op.workload)
    );
    let typical = Duration::from_std(op.band.typical).unwrap();
    assert!(typical >= Duration::minutes(20), "{typical}");

    // Nineteen minutes in, still restoring; a second past the typical
    // duration, ACTIVE.
    env.server.advance(Duration::minutes(19)).await;
    assert_eq!(status(&env, "carts-restored").await, TableStatus::Creating);
    env.server
        .advance(typical - Duration::minutes(19) + Duration::seconds(1))
        .await;
    assert_eq!(status(&env, "carts-restored").await, TableStatus::Active);
}

#[tokio::test]
async fn a_refused_restore_is_not_timed() {
    let env = preset(Fidelity::Aws).await;
    seeded(&env, 1).await;
    let err = env
        .client
        .restore_table_to_point_in_time()
        .source_table_name("carts")
        .target_table_name("carts-restored")
        .restore_date_time(sdk_time(env.now() + Duration::days(1)))
        .send()
        .await
        .expect_err("a restore time in the future is refused");
    assert_eq!(code(&err), "InvalidRestoreTimeException");
    assert!(env.server.env().timings.operations().is_empty());
}

#[tokio::test]
async fn on_the_fast_preset_a_restore_takes_the_fixed_delay_and_says_so() {
    let env = preset(Fidelity::Fast).await;
    seeded(&env, 3).await;
    env.client
        .restore_table_to_point_in_time()
        .source_table_name("carts")
        .target_table_name("carts-restored")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("restore");
    let log = env.server.env().timings.operations();
    assert_eq!(log[0].model, "fast");
    assert_eq!(
        log[0].workload,
        Workload {
            bytes: log[0].workload.bytes,
            items: 3,
            partitions: 1,
            ..Workload::default()
        }
    );
    env.settle().await;
    assert_eq!(status(&env, "carts-restored").await, TableStatus::Active);
}
