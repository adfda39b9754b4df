//! RDS restores take the restore-time model's time: on the `aws` preset a
//! point-in-time restore stays `creating` for at least the model's fixed
//! part (ten minutes and more) and the model's log names it, with the
//! archived log it replays as its size.

mod common;

use common::*;
use firedrill_emu_core::timing::{Operation, TimingModel};
use firedrill_emu_core::{EmulatorConfig, Fidelity};

fn aws() -> EmulatorConfig {
    EmulatorConfig {
        fidelity: Fidelity::Aws,
        timings: Fidelity::Aws.settings(),
        ..EmulatorConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_aws_preset_restores_stay_creating_for_the_modelled_time() {
    let Some((server, _rds)) = start_with("restore_time", aws()).await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let source = create_instance(&c, "shop", 1).await;
    let db = connect(&source, "shop", "store").await;
    seed_orders(&db, 20).await;
    // LatestRestorableTime trails by five minutes on this preset.
    server.advance(chrono::Duration::minutes(10)).await;

    c.restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-restored")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("restore");
    let op = server
        .env()
        .timings
        .operations()
        .pop()
        .expect("the restore was timed");
    assert_eq!(op.operation, Operation::RdsRestoreToPointInTime);
    assert_eq!(op.resource, "shop-restored");
    assert_eq!(op.model, "aws-defaults");
    assert_eq!(op.workload.bytes, 20 * 1024 * 1024 * 1024, "the allocated 20 GiB");
    assert!(op.workload.log_bytes > 0, "the archived log to replay: {op:?}");
    assert_eq!(
        op.band,
        TimingModel::aws_defaults().band(Operation::RdsRestoreToPointInTime, &op.workload)
    );
    let typical = chrono::Duration::from_std(op.band.typical).unwrap();
    assert!(typical >= chrono::Duration::minutes(10), "{typical}");

    // The server is up in seconds, but the instance is available only when
    // the model says the restore is done: until then it is `creating`, then
    // `backing-up` (its first base backup), as on AWS.
    server.advance(typical - chrono::Duration::minutes(1)).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let status = describe(&c, "shop-restored")
        .await
        .db_instance_status()
        .map(str::to_owned);
    assert!(
        matches!(status.as_deref(), Some("creating" | "backing-up")),
        "a minute before the modelled end: {status:?}"
    );
    server.advance(chrono::Duration::minutes(2)).await;
    let restored = wait_status(&c, "shop-restored", "available").await;
    let back = connect(&restored, "shop", "store").await;
    assert_eq!(orders(&back).await.len(), 20);

    // A refused restore is not timed.
    let before = server.env().timings.operations().len();
    let err = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-restored")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBInstanceAlreadyExists");
    assert_eq!(server.env().timings.operations().len(), before);
    server.stop().await;
}
