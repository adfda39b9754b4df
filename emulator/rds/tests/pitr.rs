//! Point-in-time restore, snapshots and retained automated backups through
//! aws-sdk-rds, checked row by row with tokio-postgres.

mod common;

use aws_smithy_types::DateTime as SdkTime;
use common::*;
use std::time::Duration;

fn sdk_time(t: chrono::DateTime<chrono::Utc>) -> SdkTime {
    SdkTime::from_millis(t.timestamp_millis())
}

/// Seeds orders, notes T, corrupts (UPDATE + DELETE), restores to T and to
/// the latest restorable time, then snapshots and restores the snapshot.
#[tokio::test]
async fn restore_to_point_in_time_undoes_corruption() {
    let Some((server, _rds)) = start("restore_to_point_in_time_undoes_corruption").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let i = create_instance(&c, "shop", 7).await;
    let db = connect(&i, "shop", "store").await;
    seed_orders(&db, 200).await;
    let expected = orders(&db).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    // The flash-sale bug: amounts zeroed and a batch of orders deleted.
    db.execute(
        "UPDATE orders SET amount = 0, status = 'corrupt' WHERE id % 3 = 0",
        &[],
    )
    .await
    .unwrap();
    db.execute("DELETE FROM orders WHERE id > 150", &[])
        .await
        .unwrap();
    let corrupted = orders(&db).await;
    assert_ne!(corrupted, expected);
    server.advance(chrono::Duration::minutes(10)).await;

    let lrt = describe(&c, "shop")
        .await
        .latest_restorable_time()
        .cloned()
        .expect("LRT");
    assert!(lrt.secs() >= t.timestamp(), "LRT {lrt} before T {t}");

    // Outside the window: before the instance existed.
    let err = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-too-early")
        .restore_time(sdk_time(t - chrono::Duration::days(3)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRestoreFault");
    let err = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-both")
        .restore_time(sdk_time(t))
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");

    let started = std::time::Instant::now();
    let restored = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-at-t")
        .restore_time(sdk_time(t))
        .send()
        .await
        .expect("restore");
    assert_eq!(
        restored.db_instance().unwrap().db_instance_status(),
        Some("creating")
    );
    let latest = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-latest")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("restore latest");
    assert_eq!(
        latest.db_instance().unwrap().db_instance_status(),
        Some("creating")
    );
    let at_t = wait_status(&c, "shop-at-t", "available").await;
    println!("PITR restore -> available in {:?}", started.elapsed());
    let restored_db = connect(&at_t, "shop", "store").await;
    assert_eq!(
        orders(&restored_db).await,
        expected,
        "restore to T must hold exactly the rows committed by T"
    );
    let latest = wait_status(&c, "shop-latest", "available").await;
    let latest_db = connect(&latest, "shop", "store").await;
    assert_eq!(orders(&latest_db).await, corrupted);

    // The restored instance has its own automated backups and can itself be restored.
    assert!(at_t.backup_retention_period().unwrap() >= 1);

    // Snapshot, then more changes, then restore the snapshot.
    let snap = c
        .create_db_snapshot()
        .db_instance_identifier("shop")
        .db_snapshot_identifier("shop-snap")
        .send()
        .await
        .expect("snapshot");
    assert_eq!(snap.db_snapshot().unwrap().status(), Some("creating"));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s = c
            .describe_db_snapshots()
            .db_snapshot_identifier("shop-snap")
            .send()
            .await
            .unwrap();
        let s = &s.db_snapshots()[0];
        if s.status() == Some("available") {
            assert_eq!(s.snapshot_type(), Some("manual"));
            assert_eq!(s.db_instance_identifier(), Some("shop"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "snapshot stuck");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    db.execute("DELETE FROM orders", &[]).await.unwrap();
    let started = std::time::Instant::now();
    c.restore_db_instance_from_db_snapshot()
        .db_instance_identifier("shop-from-snap")
        .db_snapshot_identifier("shop-snap")
        .send()
        .await
        .expect("restore snapshot");
    let from_snap = wait_status(&c, "shop-from-snap", "available").await;
    println!("snapshot restore -> available in {:?}", started.elapsed());
    let snap_db = connect(&from_snap, "shop", "store").await;
    assert_eq!(orders(&snap_db).await, corrupted);

    let err = c
        .delete_db_snapshot()
        .db_snapshot_identifier("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBSnapshotNotFound");
    c.delete_db_snapshot()
        .db_snapshot_identifier("shop-snap")
        .send()
        .await
        .expect("delete snapshot");
    server.stop().await;
}

/// Deleting an instance with DeleteAutomatedBackups=false keeps its
/// automated backups (`retained`), which stay restorable.
#[tokio::test]
async fn retained_backups_restore_after_delete() {
    let Some((server, _rds)) = start("retained_backups_restore_after_delete").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let i = create_instance(&c, "gone", 3).await;
    let db = connect(&i, "shop", "store").await;
    seed_orders(&db, 40).await;
    let expected = orders(&db).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    db.execute("DELETE FROM orders WHERE id <= 20", &[])
        .await
        .unwrap();
    drop(db);
    server.advance(chrono::Duration::minutes(2)).await;
    let rid = i.dbi_resource_id().unwrap().to_owned();
    c.delete_db_instance()
        .db_instance_identifier("gone")
        .skip_final_snapshot(true)
        .delete_automated_backups(false)
        .send()
        .await
        .expect("delete");
    wait_gone(&c, "gone").await;
    let backups = c
        .describe_db_instance_automated_backups()
        .filters(
            aws_sdk_rds::types::Filter::builder()
                .name("status")
                .values("retained")
                .build(),
        )
        .send()
        .await
        .expect("describe automated backups");
    let b = &backups.db_instance_automated_backups()[0];
    assert_eq!(b.status(), Some("retained"));
    assert_eq!(b.dbi_resource_id(), Some(rid.as_str()));
    let window = b.restore_window().expect("a restore window");
    assert!(window.earliest_time().unwrap().secs() <= t.timestamp());
    assert!(window.latest_time().unwrap().secs() >= t.timestamp());

    let err = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("gone")
        .target_db_instance_identifier("back")
        .restore_time(sdk_time(t))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBInstanceNotFound");

    c.restore_db_instance_to_point_in_time()
        .source_dbi_resource_id(&rid)
        .target_db_instance_identifier("back")
        .restore_time(sdk_time(t))
        .send()
        .await
        .expect("restore from retained backups");
    let back = wait_status(&c, "back", "available").await;
    let db = connect(&back, "shop", "store").await;
    assert_eq!(orders(&db).await, expected);

    c.restore_db_instance_to_point_in_time()
        .source_db_instance_automated_backups_arn(b.db_instance_automated_backups_arn().unwrap())
        .target_db_instance_identifier("back-latest")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("restore latest from retained backups");
    let latest = wait_status(&c, "back-latest", "available").await;
    let db = connect(&latest, "shop", "store").await;
    assert_eq!(orders(&db).await.len(), 20);

    // Retention prunes retained backups once their window is over.
    server.advance(chrono::Duration::days(4)).await;
    let left = c
        .describe_db_instance_automated_backups()
        .dbi_resource_id(&rid)
        .send()
        .await;
    assert!(
        left.is_err(),
        "retained backups should expire after the retention period"
    );
    server.stop().await;
}
