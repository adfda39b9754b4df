//! RDS restores and copies take the restore-time model's time: on the `aws`
//! preset a point-in-time restore stays `creating` for at least the model's
//! fixed part (ten minutes and more) and the model's log names it, with the
//! archived log it replays as its size; snapshot copies (within and across
//! regions) stay `creating` and cluster snapshot copies `copying`, restored
//! clusters `creating`, and a replicated automated backup has nothing to
//! restore until its first cross-region copy's modelled end. A refused
//! request is never timed.

mod common;

use common::*;
use firedrill_emu_core::timing::{ModelledOperation, Operation, TimingModel};
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

/// The last modelled operation, which must be `operation` on `resource`.
fn last_timed(
    server: &firedrill_emu_core::testing::TestServer,
    operation: Operation,
    resource: &str,
) -> ModelledOperation {
    let op = server
        .env()
        .timings
        .operations()
        .pop()
        .expect("the operation was timed");
    assert_eq!(op.operation, operation, "{op:?}");
    assert_eq!(op.resource, resource);
    assert_eq!(op.model, "aws-defaults");
    assert_eq!(op.band, TimingModel::aws_defaults().band(operation, &op.workload));
    op
}

fn typical(op: &ModelledOperation) -> chrono::Duration {
    chrono::Duration::from_std(op.band.typical).unwrap()
}

async fn snapshot(c: &aws_sdk_rds::Client, id: &str) -> aws_sdk_rds::types::DbSnapshot {
    c.describe_db_snapshots()
        .db_snapshot_identifier(id)
        .send()
        .await
        .expect("describe snapshot")
        .db_snapshots()[0]
        .clone()
}

async fn wait_snapshot_available(c: &aws_sdk_rds::Client, id: &str) -> aws_sdk_rds::types::DbSnapshot {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let s = snapshot(c, id).await;
        if s.status() == Some("available") {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id} stuck in {:?}",
            s.status()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn event_messages(c: &aws_sdk_rds::Client, source: &str) -> Vec<String> {
    c.describe_events()
        .source_type(aws_sdk_rds::types::SourceType::DbSnapshot)
        .source_identifier(source)
        .duration(24 * 60)
        .send()
        .await
        .expect("describe events")
        .events()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e.event_categories().join(","),
                e.message().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_aws_preset_snapshot_copies_stay_creating_for_the_modelled_time() {
    let Some((server, rds)) = start_with("snapshot_copy_time", aws()).await else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    create_instance(&east, "shop", 1).await;
    let snap_arn = rds
        .create_snapshot("us-east-1", "shop", "shop-snap", "manual")
        .await
        .expect("snapshot");

    east.copy_db_snapshot()
        .source_db_snapshot_identifier("shop-snap")
        .target_db_snapshot_identifier("shop-copy")
        .send()
        .await
        .expect("copy within the region");
    let local = last_timed(&server, Operation::RdsSnapshotCopy, "shop-copy");
    assert_eq!(
        local.workload.bytes,
        20 * 1024 * 1024 * 1024,
        "the snapshot's 20 GiB"
    );
    west.copy_db_snapshot()
        .source_db_snapshot_identifier(&snap_arn)
        .target_db_snapshot_identifier("shop-dr")
        .send()
        .await
        .expect("copy across regions");
    let cross = last_timed(&server, Operation::RdsCrossRegionSnapshotCopy, "shop-dr");
    assert!(typical(&cross) > typical(&local), "{cross:?} vs {local:?}");
    assert!(typical(&local) >= chrono::Duration::minutes(5));

    // The files are copied in seconds; the copies stay `creating`, their
    // progress following the model, until the model's end.
    server
        .advance(typical(&local) - chrono::Duration::minutes(1))
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let copying = snapshot(&east, "shop-copy").await;
    assert_eq!(
        copying.status(),
        Some("creating"),
        "a minute before the modelled end"
    );
    let percent = copying.percent_progress().unwrap_or_default();
    assert!((50..100).contains(&percent), "{percent}");
    server.advance(chrono::Duration::minutes(2)).await;
    assert_eq!(
        wait_snapshot_available(&east, "shop-copy")
            .await
            .percent_progress(),
        Some(100)
    );
    assert_eq!(snapshot(&west, "shop-dr").await.status(), Some("creating"));
    server.advance(typical(&cross) - typical(&local)).await;
    wait_snapshot_available(&west, "shop-dr").await;

    // RDS-EVENT-0196/0197 within a region, 0059/0060 across.
    let local_events = event_messages(&east, "shop-copy").await;
    assert_eq!(
        local_events,
        [
            "notification Started copy of snapshot shop-snap in region us-east-1",
            "notification Finished copy of snapshot shop-snap in region us-east-1",
        ]
    );
    let minutes = typical(&cross).num_minutes();
    let cross_events = event_messages(&west, "shop-dr").await;
    assert_eq!(
        cross_events[0],
        "notification Started copy of snapshot shop-snap from region us-east-1"
    );
    let finished = &cross_events[1];
    let prefix = "notification Finished copy of snapshot shop-snap from region us-east-1 in ";
    let took: i64 = finished
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(" minutes"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{finished}"));
    assert!((minutes..=minutes + 2).contains(&took), "{finished} vs {minutes}");

    // A refused copy is not timed.
    let before = server.env().timings.operations().len();
    let err = east
        .copy_db_snapshot()
        .source_db_snapshot_identifier("shop-snap")
        .target_db_snapshot_identifier("shop-copy")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBSnapshotAlreadyExists");
    assert_eq!(server.env().timings.operations().len(), before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_aws_preset_backup_replication_restores_only_after_the_first_copy() {
    let Some((server, _rds)) = start_with("replication_time", aws()).await else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let i = create_instance(&east, "primary", 7).await;
    west.start_db_instance_automated_backups_replication()
        .source_db_instance_arn(i.db_instance_arn().unwrap())
        .send()
        .await
        .expect("start replication");
    let replicated = west
        .describe_db_instance_automated_backups()
        .send()
        .await
        .unwrap()
        .db_instance_automated_backups()[0]
        .db_instance_automated_backups_arn()
        .unwrap()
        .to_owned();
    let first = last_timed(&server, Operation::RdsCrossRegionSnapshotCopy, &replicated);
    assert_eq!(first.region, "us-west-2");

    // Well past the restorable lag, but before the first copy ends, the
    // other region has nothing to restore.
    server
        .advance(typical(&first) - chrono::Duration::minutes(2))
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let copy = west
        .describe_db_instance_automated_backups()
        .send()
        .await
        .unwrap()
        .db_instance_automated_backups()[0]
        .clone();
    assert!(
        copy.restore_window().and_then(|w| w.latest_time()).is_none(),
        "{copy:?}"
    );
    let err = west
        .restore_db_instance_to_point_in_time()
        .source_db_instance_automated_backups_arn(&replicated)
        .target_db_instance_identifier("dr")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRestoreFault");

    server.advance(chrono::Duration::minutes(3)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let copy = west
            .describe_db_instance_automated_backups()
            .send()
            .await
            .unwrap()
            .db_instance_automated_backups()[0]
            .clone();
        if copy.restore_window().and_then(|w| w.latest_time()).is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never restorable: {copy:?}");
        server.advance(chrono::Duration::seconds(1)).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.stop().await;
}

async fn cluster_db(cl: &aws_sdk_rds::types::DbCluster) -> tokio_postgres::Client {
    connect_to(cl.endpoint().unwrap(), cl.port().unwrap() as u16, "shop", "store").await
}

async fn cluster_status(c: &aws_sdk_rds::Client, id: &str) -> Option<String> {
    c.describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .expect("describe cluster")
        .db_clusters()[0]
        .status()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_aws_preset_cluster_restores_and_copies_take_the_modelled_time() {
    let Some((server, _rds)) = start_with("cluster_restore_time", aws()).await else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    east.create_db_cluster()
        .db_cluster_identifier("carts")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .database_name("store")
        .backup_retention_period(1)
        .send()
        .await
        .expect("create cluster");
    let cluster = wait_cluster(&east, "carts").await;
    let db = cluster_db(&cluster).await;
    seed_orders(&db, 15).await;
    let expected = orders(&db).await;
    east.create_db_cluster_snapshot()
        .db_cluster_identifier("carts")
        .db_cluster_snapshot_identifier("carts-snap")
        .send()
        .await
        .expect("cluster snapshot");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let snap_arn = loop {
        let s = east
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier("carts-snap")
            .send()
            .await
            .unwrap()
            .db_cluster_snapshots()[0]
            .clone();
        if s.status() == Some("available") {
            break s.db_cluster_snapshot_arn().unwrap().to_owned();
        }
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // The creation of a cluster snapshot is not a modelled operation.
    assert!(server.env().timings.operations().is_empty());

    west.copy_db_cluster_snapshot()
        .source_db_cluster_snapshot_identifier(&snap_arn)
        .target_db_cluster_snapshot_identifier("carts-dr")
        .send()
        .await
        .expect("copy across regions");
    let copy = last_timed(&server, Operation::RdsCrossRegionSnapshotCopy, "carts-dr");
    assert!(
        copy.workload.bytes > 1024 * 1024,
        "the snapshot's files: {copy:?}"
    );
    east.restore_db_cluster_from_snapshot()
        .db_cluster_identifier("carts-restored")
        .snapshot_identifier("carts-snap")
        .engine("aurora-postgresql")
        .send()
        .await
        .expect("restore from snapshot");
    let restore = last_timed(&server, Operation::RdsClusterRestore, "carts-restored");
    assert_eq!(restore.workload.bytes, copy.workload.bytes);
    assert!(typical(&restore) >= chrono::Duration::minutes(10));

    server
        .advance(typical(&restore) - chrono::Duration::minutes(1))
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let status = cluster_status(&east, "carts-restored").await;
    // `creating`, then `backing-up` (its first base backup), as on AWS.
    assert!(
        matches!(status.as_deref(), Some("creating" | "backing-up")),
        "a minute before the modelled end: {status:?}"
    );
    // Both take twenty minutes and more: the copy is in flight too.
    let copying = west
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier("carts-dr")
        .send()
        .await
        .unwrap()
        .db_cluster_snapshots()[0]
        .clone();
    assert!(typical(&copy) >= typical(&restore) - chrono::Duration::minutes(1));
    assert_eq!(copying.status(), Some("copying"));
    assert!(
        (50..100).contains(&copying.percent_progress().unwrap_or_default()),
        "{copying:?}"
    );
    server.advance(chrono::Duration::minutes(2)).await;
    let restored = wait_cluster(&east, "carts-restored").await;
    let back = cluster_db(&restored).await;
    assert_eq!(orders(&back).await, expected);
    east.restore_db_cluster_to_point_in_time()
        .source_db_cluster_identifier("carts")
        .db_cluster_identifier("carts-pitr")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("point-in-time restore");
    let pitr = last_timed(&server, Operation::RdsClusterRestore, "carts-pitr");
    assert!(pitr.workload.bytes > 0 && pitr.workload.log_bytes > 0, "{pitr:?}");
    server
        .advance(typical(&pitr) - chrono::Duration::minutes(1))
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let status = cluster_status(&east, "carts-pitr").await;
    // `creating`, then `backing-up` (its first base backup), as on AWS.
    assert!(
        matches!(status.as_deref(), Some("creating" | "backing-up")),
        "a minute before the modelled end: {status:?}"
    );
    server.advance(chrono::Duration::minutes(2)).await;
    wait_cluster(&east, "carts-pitr").await;

    // A refused restore is not timed.
    let before = server.env().timings.operations().len();
    let err = east
        .restore_db_cluster_from_snapshot()
        .db_cluster_identifier("carts-restored")
        .snapshot_identifier("carts-snap")
        .engine("aurora-postgresql")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterAlreadyExistsFault");
    assert_eq!(server.env().timings.operations().len(), before);
    server.stop().await;
}
