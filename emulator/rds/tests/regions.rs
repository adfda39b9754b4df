//! Cross-region recovery through aws-sdk-rds: automated backups replicated
//! to another region and restored there while the source region is dark,
//! snapshots copied across regions, and servers surviving an outage with
//! every acknowledged commit.

mod common;

use aws_smithy_types::DateTime as SdkTime;
use common::*;
use std::time::Duration;

#[tokio::test]
async fn replicated_backups_restore_in_the_other_region() {
    let Some((server, rds)) = start("replicated_backups_restore_in_the_other_region").await else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let i = create_instance(&east, "primary", 7).await;
    let arn = i.db_instance_arn().unwrap().to_owned();

    // Called in the destination region, as on AWS.
    let started = west
        .start_db_instance_automated_backups_replication()
        .source_db_instance_arn(&arn)
        .backup_retention_period(7)
        .send()
        .await
        .expect("start replication");
    let replica = started.db_instance_automated_backup().unwrap();
    assert_eq!(replica.status(), Some("replicating"));
    let replica_arn = replica.db_instance_automated_backups_arn().unwrap().to_owned();
    assert!(replica_arn.starts_with("arn:aws:rds:us-west-2:000000000000:auto-backup:ab-"));
    let shown = describe(&east, "primary").await;
    assert_eq!(
        shown.db_instance_automated_backups_replications()[0].db_instance_automated_backups_arn(),
        Some(replica_arn.as_str())
    );

    let db = connect(&i, "shop", "store").await;
    seed_orders(&db, 30).await;
    let expected = orders(&db).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    db.execute("UPDATE orders SET status = 'lost'", &[])
        .await
        .unwrap();
    let acknowledged = orders(&db).await;
    server.advance(chrono::Duration::minutes(5)).await;
    server.advance(chrono::Duration::seconds(2)).await;

    let copies = west
        .describe_db_instance_automated_backups()
        .send()
        .await
        .unwrap();
    let copy = &copies.db_instance_automated_backups()[0];
    assert_eq!(copy.status(), Some("replicating"));
    assert_eq!(copy.region(), Some("us-east-1"));
    let window = copy.restore_window().expect("replicated restore window");
    assert!(window.latest_time().unwrap().secs() >= t.timestamp());

    // us-east-1 goes dark: its server stops, calls to it are refused.
    let pid_before = rds.server_pids();
    server.dispatcher.set_outage("us-east-1", true).await.unwrap();
    assert!(
        rds.server_pids().is_empty(),
        "the region's servers stop in an outage"
    );
    assert!(east.describe_db_instances().send().await.is_err());
    drop(db);

    west.restore_db_instance_to_point_in_time()
        .source_db_instance_automated_backups_arn(&replica_arn)
        .target_db_instance_identifier("dr")
        .restore_time(SdkTime::from_millis(t.timestamp_millis()))
        .send()
        .await
        .expect("restore in us-west-2");
    let dr = wait_status(&west, "dr", "available").await;
    assert!(dr.db_instance_arn().unwrap().contains(":us-west-2:"));
    let dr_db = connect(&dr, "shop", "store").await;
    assert_eq!(orders(&dr_db).await, expected);

    // The region comes back with every acknowledged commit.
    server.dispatcher.set_outage("us-east-1", false).await.unwrap();
    assert_eq!(rds.server_pids().len(), 2);
    assert!(!pid_before.is_empty());
    let back = describe(&east, "primary").await;
    assert_eq!(back.db_instance_status(), Some("available"));
    let db = connect(&back, "shop", "store").await;
    assert_eq!(orders(&db).await, acknowledged);

    let stopped = west
        .stop_db_instance_automated_backups_replication()
        .source_db_instance_arn(&arn)
        .send()
        .await
        .expect("stop replication");
    assert_eq!(
        stopped.db_instance_automated_backup().unwrap().status(),
        Some("retained")
    );
    server.stop().await;
}

#[tokio::test]
async fn snapshot_copied_to_another_region_restores_there() {
    let Some((server, rds)) = start("snapshot_copied_to_another_region_restores_there").await else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let i = create_instance(&east, "catalog", 1).await;
    let db = connect(&i, "shop", "store").await;
    seed_orders(&db, 25).await;
    let expected = orders(&db).await;
    let snap_arn = rds
        .create_snapshot("us-east-1", "catalog", "catalog-nightly", "manual")
        .await
        .expect("in-process snapshot");
    assert_eq!(
        snap_arn,
        "arn:aws:rds:us-east-1:000000000000:snapshot:catalog-nightly"
    );
    db.execute("DELETE FROM orders", &[]).await.unwrap();

    let copied = west
        .copy_db_snapshot()
        .source_db_snapshot_identifier(&snap_arn)
        .target_db_snapshot_identifier("catalog-dr")
        .send()
        .await
        .expect("copy across regions");
    let copy = copied.db_snapshot().unwrap();
    assert_eq!(copy.source_region(), Some("us-east-1"));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s = west
            .describe_db_snapshots()
            .db_snapshot_identifier("catalog-dr")
            .send()
            .await
            .unwrap();
        if s.db_snapshots()[0].status() == Some("available") {
            break;
        }
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    west.restore_db_instance_from_db_snapshot()
        .db_instance_identifier("catalog-west")
        .db_snapshot_identifier("catalog-dr")
        .send()
        .await
        .expect("restore copy");
    let restored = wait_status(&west, "catalog-west", "available").await;
    let rdb = connect(&restored, "shop", "store").await;
    assert_eq!(orders(&rdb).await, expected);

    // The in-process API used by AWS Backup.
    let arn = rds
        .copy_snapshot_to_region("us-east-1", "catalog-nightly", "us-west-2", "catalog-dr-2")
        .await
        .expect("in-process copy");
    assert_eq!(arn, "arn:aws:rds:us-west-2:000000000000:snapshot:catalog-dr-2");
    let arn = rds
        .restore_from_snapshot("us-west-2", "catalog-dr-2", "catalog-west-2")
        .await
        .expect("in-process restore");
    assert_eq!(arn, "arn:aws:rds:us-west-2:000000000000:db:catalog-west-2");
    rds.wait_available("us-west-2", "catalog-west-2", Duration::from_secs(60))
        .await
        .expect("available");
    let (host, port) = rds.instance_endpoint("us-west-2", "catalog-west-2").unwrap();
    let rdb = connect_to(&host, port, "shop", "store").await;
    assert_eq!(orders(&rdb).await, expected);
    let tagged = rds.list_instances_with_tags("us-east-1");
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0].1, vec![("app".to_owned(), "store".to_owned())]);
    server.stop().await;
}
