//! Aurora PostgreSQL on the same machinery: a cluster, an instance in it,
//! and RestoreDBClusterToPointInTime.

mod common;

use aws_smithy_types::DateTime as SdkTime;
use common::*;
use std::time::Duration;

#[tokio::test]
async fn aurora_cluster_point_in_time_restore() {
    let Some((server, _rds)) = start("aurora_cluster_point_in_time_restore").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let created = c
        .create_db_cluster()
        .db_cluster_identifier("carts")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .database_name("store")
        .backup_retention_period(7)
        .send()
        .await
        .expect("create cluster");
    assert_eq!(created.db_cluster().unwrap().status(), Some("creating"));
    c.create_db_instance()
        .db_instance_identifier("carts-1")
        .db_cluster_identifier("carts")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .expect("create cluster instance");
    let cluster = wait_cluster(&c, "carts").await;
    let member = wait_status(&c, "carts-1", "available").await;
    assert_eq!(member.db_cluster_identifier(), Some("carts"));
    assert_eq!(
        cluster.db_cluster_members()[0].db_instance_identifier(),
        Some("carts-1")
    );
    assert_eq!(cluster.db_cluster_members()[0].is_cluster_writer(), Some(true));
    assert_eq!(member.endpoint().unwrap().port(), cluster.port());

    let db = connect_to(
        cluster.endpoint().unwrap(),
        cluster.port().unwrap() as u16,
        "shop",
        "store",
    )
    .await;
    seed_orders(&db, 60).await;
    let expected = orders(&db).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    db.execute("DELETE FROM orders WHERE id % 2 = 0", &[])
        .await
        .unwrap();
    server.advance(chrono::Duration::minutes(3)).await;
    let shown = wait_cluster(&c, "carts").await;
    assert!(shown.latest_restorable_time().unwrap().secs() >= t.timestamp());
    assert!(shown.earliest_restorable_time().unwrap().secs() <= t.timestamp());

    c.restore_db_cluster_to_point_in_time()
        .source_db_cluster_identifier("carts")
        .db_cluster_identifier("carts-restored")
        .restore_to_time(SdkTime::from_millis(t.timestamp_millis()))
        .send()
        .await
        .expect("restore cluster");
    let restored = wait_cluster(&c, "carts-restored").await;
    let rdb = connect_to(
        restored.endpoint().unwrap(),
        restored.port().unwrap() as u16,
        "shop",
        "store",
    )
    .await;
    assert_eq!(orders(&rdb).await, expected);

    let err = c
        .restore_db_cluster_to_point_in_time()
        .source_db_cluster_identifier("nope")
        .db_cluster_identifier("x")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterNotFoundFault");
    server.stop().await;
}
