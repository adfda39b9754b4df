//! ElastiCache restores take the restore-time model's time: on the `aws`
//! preset a cluster or replication group created from a snapshot stays
//! `creating` until the model's end for a restore of that RDB file's size,
//! and the model's log names it. An empty cluster is not a restore.

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
async fn on_the_aws_preset_a_restore_from_a_snapshot_stays_creating_for_the_modelled_time() {
    let Some((server, _service)) = start_with("restore_time", aws()).await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_cache_cluster()
        .cache_cluster_id("sessions")
        .send()
        .await
        .unwrap();
    server.advance(chrono::Duration::hours(1)).await;
    let sessions = wait_status(&c, "sessions", "available").await;
    assert!(
        server.env().timings.operations().is_empty(),
        "an empty cluster is not a restore"
    );
    let mut conn = redis_of(&sessions);
    fill(&mut conn, "session", 200);
    let before = dump(&mut conn);
    c.create_snapshot()
        .cache_cluster_id("sessions")
        .snapshot_name("sessions-noon")
        .send()
        .await
        .unwrap();
    server.advance(chrono::Duration::hours(1)).await;
    wait_snapshot(&c, "sessions-noon", "available").await;

    c.create_cache_cluster()
        .cache_cluster_id("sessions-restored")
        .snapshot_name("sessions-noon")
        .send()
        .await
        .unwrap();
    let op = server
        .env()
        .timings
        .operations()
        .pop()
        .expect("the restore was timed");
    assert_eq!(op.operation, Operation::ElasticacheRestoreFromSnapshot);
    assert_eq!(op.resource, "sessions-restored");
    assert_eq!(op.model, "aws-defaults");
    assert!(op.workload.bytes > 0, "the RDB file's size: {op:?}");
    assert_eq!(
        op.band,
        TimingModel::aws_defaults().band(Operation::ElasticacheRestoreFromSnapshot, &op.workload)
    );
    let typical = chrono::Duration::from_std(op.band.typical).unwrap();
    assert!(typical >= chrono::Duration::minutes(5), "{typical}");

    // The server is up in moments, but the cluster is available only when
    // the model says the restore is done.
    server.advance(typical - chrono::Duration::minutes(1)).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        describe(&c, "sessions-restored").await.cache_cluster_status(),
        Some("creating"),
        "a minute before the modelled end"
    );
    server.advance(chrono::Duration::minutes(2)).await;
    let restored = wait_status(&c, "sessions-restored", "available").await;
    assert_eq!(dump(&mut redis_of(&restored)), before);

    // A replication group seeded from the snapshot waits as long, members
    // and group alike; a refused one is not timed.
    c.create_replication_group()
        .replication_group_id("sessions-group")
        .replication_group_description("sessions, restored")
        .num_cache_clusters(2)
        .snapshot_name("sessions-noon")
        .send()
        .await
        .unwrap();
    let op = server.env().timings.operations().pop().expect("timed");
    assert_eq!(op.resource, "sessions-group");
    let typical = chrono::Duration::from_std(op.band.typical).unwrap();
    server.advance(typical - chrono::Duration::minutes(1)).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let group = c
        .describe_replication_groups()
        .replication_group_id("sessions-group")
        .send()
        .await
        .unwrap()
        .replication_groups()[0]
        .clone();
    assert_eq!(group.status(), Some("creating"));
    assert_eq!(
        describe(&c, "sessions-group-002").await.cache_cluster_status(),
        Some("creating")
    );
    let count = server.env().timings.operations().len();
    let e = c
        .create_cache_cluster()
        .cache_cluster_id("sessions-restored")
        .snapshot_name("sessions-noon")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_cache_cluster_already_exists_fault()
    );
    assert_eq!(server.env().timings.operations().len(), count);
    server.advance(chrono::Duration::minutes(2)).await;
    wait_status(&c, "sessions-group-001", "available").await;
    wait_status(&c, "sessions-group-002", "available").await;
    server.stop().await;
}
