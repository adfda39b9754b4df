//! DB cluster snapshots through aws-sdk-rds: taken from a cluster's real
//! server, copied within and across regions, restored into new clusters
//! holding exactly the snapshot's rows, deleted; with AWS's states and
//! errors.

mod common;

use aws_sdk_rds::Client;
use common::*;
use std::time::{Duration, Instant};

async fn create_cluster(c: &Client, id: &str, engine: &str) -> aws_sdk_rds::types::DbCluster {
    c.create_db_cluster()
        .db_cluster_identifier(id)
        .engine(engine)
        .master_username("shop")
        .master_user_password(PASSWORD)
        .database_name("store")
        .backup_retention_period(1)
        .send()
        .await
        .expect("create cluster");
    wait_cluster(c, id).await
}

async fn snapshot_status(c: &Client, id: &str) -> aws_sdk_rds::types::DbClusterSnapshot {
    c.describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(id)
        .send()
        .await
        .expect("describe cluster snapshot")
        .db_cluster_snapshots()[0]
        .clone()
}

async fn wait_snapshot(c: &Client, id: &str) -> aws_sdk_rds::types::DbClusterSnapshot {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = snapshot_status(c, id).await;
        if s.status() == Some("available") {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "cluster snapshot {id} stuck in {:?}",
            s.status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn cluster_db(cl: &aws_sdk_rds::types::DbCluster) -> tokio_postgres::Client {
    connect_to(cl.endpoint().unwrap(), cl.port().unwrap() as u16, "shop", "store").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_postgresql_cluster_snapshot_copy_and_restore() {
    let Some((server, _rds)) = start("aurora_postgresql_cluster_snapshot_copy_and_restore").await else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let cluster = create_cluster(&east, "carts", "aurora-postgresql").await;
    let db = cluster_db(&cluster).await;
    seed_orders(&db, 40).await;
    let expected = orders(&db).await;

    let created = east
        .create_db_cluster_snapshot()
        .db_cluster_identifier("carts")
        .db_cluster_snapshot_identifier("carts-nightly")
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("team")
                .value("shop")
                .build(),
        )
        .send()
        .await
        .expect("create cluster snapshot");
    let shown = created.db_cluster_snapshot().unwrap();
    assert_eq!(shown.status(), Some("creating"));
    assert_eq!(shown.db_cluster_identifier(), Some("carts"));
    assert_eq!(
        shown.db_cluster_snapshot_arn(),
        Some("arn:aws:rds:us-east-1:000000000000:cluster-snapshot:carts-nightly")
    );
    let snap = wait_snapshot(&east, "carts-nightly").await;
    assert_eq!(snap.snapshot_type(), Some("manual"));
    assert_eq!(snap.engine(), Some("aurora-postgresql"));
    assert_eq!(snap.percent_progress(), Some(100));

    // Changes after the snapshot are not in its restores.
    db.execute("DELETE FROM orders WHERE id % 2 = 0", &[])
        .await
        .unwrap();
    db.execute("INSERT INTO orders VALUES (100, 1, 'late')", &[])
        .await
        .unwrap();

    let err = east
        .create_db_cluster_snapshot()
        .db_cluster_identifier("carts")
        .db_cluster_snapshot_identifier("carts-nightly")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterSnapshotAlreadyExistsFault");
    let err = east
        .create_db_cluster_snapshot()
        .db_cluster_identifier("nope")
        .db_cluster_snapshot_identifier("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterNotFoundFault");
    let err = east
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterSnapshotNotFoundFault");
    let err = east
        .restore_db_cluster_from_snapshot()
        .db_cluster_identifier("x")
        .snapshot_identifier("nope")
        .engine("aurora-postgresql")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterSnapshotNotFoundFault");
    let err = east
        .restore_db_cluster_from_snapshot()
        .db_cluster_identifier("carts")
        .snapshot_identifier("carts-nightly")
        .engine("aurora-postgresql")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterAlreadyExistsFault");

    east.restore_db_cluster_from_snapshot()
        .db_cluster_identifier("carts-restored")
        .snapshot_identifier("carts-nightly")
        .engine("aurora-postgresql")
        .send()
        .await
        .expect("restore from cluster snapshot");
    let restored = wait_cluster(&east, "carts-restored").await;
    let rdb = cluster_db(&restored).await;
    assert_eq!(orders(&rdb).await, expected, "exactly the snapshot's rows");
    // The restored cluster takes writes and has backups of its own.
    rdb.execute("INSERT INTO orders VALUES (200, 2, 'restored')", &[])
        .await
        .unwrap();
    let mut restorable = false;
    for _ in 0..200 {
        if wait_cluster(&east, "carts-restored")
            .await
            .latest_restorable_time()
            .is_some()
        {
            restorable = true;
            break;
        }
        server.advance(chrono::Duration::seconds(1)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        restorable,
        "the restored cluster's own backups give it a restorable time"
    );

    // Deleting a cluster takes a final snapshot unless told to skip it.
    let err = east
        .delete_db_cluster()
        .db_cluster_identifier("carts-restored")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    let err = east
        .delete_db_cluster()
        .db_cluster_identifier("carts-restored")
        .final_db_snapshot_identifier("carts-nightly")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterSnapshotAlreadyExistsFault");
    let mut with_late_row = orders(&rdb).await;
    with_late_row.sort();
    drop(rdb);
    east.delete_db_cluster()
        .db_cluster_identifier("carts-restored")
        .final_db_snapshot_identifier("carts-final")
        .send()
        .await
        .expect("delete with a final snapshot");
    let last = wait_snapshot(&east, "carts-final").await;
    assert_eq!(last.db_cluster_identifier(), Some("carts-restored"));
    east.restore_db_cluster_from_snapshot()
        .db_cluster_identifier("carts-again")
        .snapshot_identifier("carts-final")
        .engine("aurora-postgresql")
        .send()
        .await
        .expect("restore the final snapshot");
    let again = wait_cluster(&east, "carts-again").await;
    assert_eq!(orders(&cluster_db(&again).await).await, with_late_row);

    // Copied to another region (source named by ARN), then restored there.
    let copied = west
        .copy_db_cluster_snapshot()
        .source_db_cluster_snapshot_identifier(snap.db_cluster_snapshot_arn().unwrap())
        .target_db_cluster_snapshot_identifier("carts-dr")
        .copy_tags(true)
        .send()
        .await
        .expect("copy across regions");
    let copy = copied.db_cluster_snapshot().unwrap();
    assert_eq!(copy.status(), Some("copying"));
    assert_eq!(
        copy.source_db_cluster_snapshot_arn(),
        snap.db_cluster_snapshot_arn()
    );
    let copy = wait_snapshot(&west, "carts-dr").await;
    assert_eq!(copy.tag_list()[0].key(), Some("team"));
    west.restore_db_cluster_from_snapshot()
        .db_cluster_identifier("carts-west")
        .snapshot_identifier("carts-dr")
        .engine("aurora-postgresql")
        .send()
        .await
        .expect("restore the copy");
    let west_cluster = wait_cluster(&west, "carts-west").await;
    assert!(west_cluster.db_cluster_arn().unwrap().contains(":us-west-2:"));
    let wdb = cluster_db(&west_cluster).await;
    assert_eq!(orders(&wdb).await, expected);

    // Deleted snapshots are gone; deleting one twice is refused.
    let deleted = east
        .delete_db_cluster_snapshot()
        .db_cluster_snapshot_identifier("carts-nightly")
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.db_cluster_snapshot().unwrap().status(), Some("deleted"));
    let err = east
        .delete_db_cluster_snapshot()
        .db_cluster_snapshot_identifier("carts-nightly")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterSnapshotNotFoundFault");
    let listed = east.describe_db_cluster_snapshots().send().await.unwrap();
    assert!(
        listed
            .db_cluster_snapshots()
            .iter()
            .all(|s| s.db_cluster_snapshot_identifier() != Some("carts-nightly"))
    );
    // The copy outlives its source.
    assert_eq!(wait_snapshot(&west, "carts-dr").await.status(), Some("available"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_mysql_cluster_snapshot_restores_its_rows() {
    use mysql_async::prelude::Queryable;
    let Some((server, _rds)) = start_mariadb("aurora_mysql_cluster_snapshot_restores_its_rows").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let cluster = create_cluster(&c, "ledger", "aurora-mysql").await;
    let opts = |cl: &aws_sdk_rds::types::DbCluster| {
        mysql_async::OptsBuilder::default()
            .ip_or_hostname(cl.endpoint().unwrap().to_owned())
            .tcp_port(cl.port().unwrap() as u16)
            .user(Some("shop"))
            .pass(Some(PASSWORD))
            .db_name(Some("store"))
            .prefer_socket(false)
    };
    let mut db = mysql_async::Conn::new(opts(&cluster)).await.unwrap();
    db.query_drop(
        "CREATE TABLE orders (id INT PRIMARY KEY, amount INT NOT NULL, status VARCHAR(20) NOT NULL)",
    )
    .await
    .unwrap();
    db.query_drop("INSERT INTO orders VALUES (1, 10, 'paid'), (2, 20, 'paid'), (3, 30, 'paid')")
        .await
        .unwrap();
    let expected = mysql_orders(&mut db).await;
    c.create_db_cluster_snapshot()
        .db_cluster_identifier("ledger")
        .db_cluster_snapshot_identifier("ledger-snap")
        .send()
        .await
        .expect("create cluster snapshot");
    wait_snapshot(&c, "ledger-snap").await;
    db.query_drop("DELETE FROM orders WHERE id = 2").await.unwrap();

    let err = c
        .restore_db_cluster_from_snapshot()
        .db_cluster_identifier("ledger-restored")
        .snapshot_identifier("ledger-snap")
        .engine("aurora-postgresql")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    c.restore_db_cluster_from_snapshot()
        .db_cluster_identifier("ledger-restored")
        .snapshot_identifier("ledger-snap")
        .engine("aurora-mysql")
        .send()
        .await
        .expect("restore");
    let restored = wait_cluster(&c, "ledger-restored").await;
    let mut rdb = mysql_async::Conn::new(opts(&restored)).await.unwrap();
    assert_eq!(mysql_orders(&mut rdb).await, expected);
    drop((db, rdb));
    server.stop().await;
}

/// The automated snapshots of `cluster`, oldest first.
async fn automated(c: &Client, cluster: &str) -> Vec<aws_sdk_rds::types::DbClusterSnapshot> {
    let mut list = c
        .describe_db_cluster_snapshots()
        .db_cluster_identifier(cluster)
        .snapshot_type("automated")
        .send()
        .await
        .expect("describe automated cluster snapshots")
        .db_cluster_snapshots()
        .to_vec();
    list.sort_by_key(|s| s.snapshot_create_time().map(|t| t.secs()));
    list
}

/// Moves the simulated clock to `at` and waits until `cluster` has
/// `count` automated snapshots.
async fn jump_to(
    server: &firedrill_emu_core::testing::TestServer,
    c: &Client,
    cluster: &str,
    at: &str,
    count: usize,
) -> Vec<aws_sdk_rds::types::DbClusterSnapshot> {
    let at: chrono::DateTime<chrono::Utc> = at.parse().unwrap();
    server.advance(at - server.env().clock.now()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = automated(c, cluster).await;
        if list.len() == count {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "{cluster} at {at}: {:?}",
            list.iter()
                .map(|s| s.db_cluster_snapshot_identifier())
                .collect::<Vec<_>>()
        );
        server.advance(chrono::Duration::seconds(1)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_automated_cluster_snapshots_are_daily_copied_restored_and_kept_for_the_retention() {
    let Some((server, _rds)) =
        start("aurora_automated_cluster_snapshots_are_daily_copied_restored_and_kept_for_the_retention")
            .await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_db_cluster()
        .db_cluster_identifier("orders")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .database_name("store")
        .backup_retention_period(2)
        .preferred_backup_window("03:00-03:30")
        .send()
        .await
        .expect("create cluster");
    let cluster = wait_cluster(&c, "orders").await;

    // The first automated snapshot is taken at creation (2026-03-14 12:00).
    let first = jump_to(&server, &c, "orders", "2026-03-14T12:00:30Z", 1).await;
    let first = first[0].clone();
    let id = first.db_cluster_snapshot_identifier().unwrap().to_owned();
    assert!(id.starts_with("rds:orders-2026-03-14-12-0"), "{id}");
    assert_eq!(id.len(), "rds:orders-2026-03-14-12-00".len(), "{id}");
    assert_eq!(first.snapshot_type(), Some("automated"));
    assert_eq!(first.status(), Some("available"));
    assert_eq!(first.db_cluster_identifier(), Some("orders"));
    assert_eq!(first.engine(), Some("aurora-postgresql"));
    assert_eq!(first.backup_retention_period(), Some(2));
    assert_eq!(first.percent_progress(), Some(100));
    assert_eq!(
        first.db_cluster_snapshot_arn(),
        Some(format!("arn:aws:rds:us-east-1:000000000000:cluster-snapshot:{id}").as_str())
    );
    // Listed with no type too, not as manual; found by identifier and ARN.
    let all = c.describe_db_cluster_snapshots().send().await.unwrap();
    assert!(
        all.db_cluster_snapshots()
            .iter()
            .any(|s| s.db_cluster_snapshot_identifier() == Some(id.as_str()))
    );
    let manual = c
        .describe_db_cluster_snapshots()
        .snapshot_type("manual")
        .send()
        .await
        .unwrap();
    assert!(manual.db_cluster_snapshots().is_empty());
    assert_eq!(snapshot_status(&c, &id).await.snapshot_type(), Some("automated"));
    assert_eq!(
        snapshot_status(&c, first.db_cluster_snapshot_arn().unwrap())
            .await
            .db_cluster_snapshot_identifier(),
        Some(id.as_str())
    );

    // Rows written today are in tomorrow's snapshot, taken in the window.
    let db = cluster_db(&cluster).await;
    seed_orders(&db, 12).await;
    let expected = orders(&db).await;
    let daily = jump_to(&server, &c, "orders", "2026-03-15T03:10:00Z", 2).await;
    let daily = daily[1].clone();
    let daily_id = daily.db_cluster_snapshot_identifier().unwrap().to_owned();
    assert_eq!(daily_id, "rds:orders-2026-03-15-03-10");
    db.execute("DELETE FROM orders WHERE id > 6", &[]).await.unwrap();

    // An automated snapshot is AWS's to delete.
    let err = c
        .delete_db_cluster_snapshot()
        .db_cluster_snapshot_identifier(&daily_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidDBClusterSnapshotStateFault");

    // Its copy is a manual snapshot that outlives it.
    let copied = c
        .copy_db_cluster_snapshot()
        .source_db_cluster_snapshot_identifier(&daily_id)
        .target_db_cluster_snapshot_identifier("orders-kept")
        .send()
        .await
        .expect("copy an automated snapshot");
    assert_eq!(
        copied
            .db_cluster_snapshot()
            .unwrap()
            .source_db_cluster_snapshot_arn(),
        daily.db_cluster_snapshot_arn()
    );
    let kept = wait_snapshot(&c, "orders-kept").await;
    assert_eq!(kept.snapshot_type(), Some("manual"));
    assert_eq!(kept.db_cluster_identifier(), Some("orders"));

    // Restored, it holds the rows of its day.
    c.restore_db_cluster_from_snapshot()
        .db_cluster_identifier("orders-restored")
        .snapshot_identifier(&daily_id)
        .engine("aurora-postgresql")
        .send()
        .await
        .expect("restore from an automated snapshot");
    let restored = wait_cluster(&c, "orders-restored").await;
    assert_eq!(orders(&cluster_db(&restored).await).await, expected);

    // Kept for the retention period (2 days): the creation one goes.
    let later = jump_to(&server, &c, "orders", "2026-03-17T03:00:30Z", 2).await;
    let ids: Vec<&str> = later
        .iter()
        .filter_map(|s| s.db_cluster_snapshot_identifier())
        .collect();
    assert_eq!(
        ids,
        ["rds:orders-2026-03-15-03-10", "rds:orders-2026-03-17-03-00"]
    );
    let err = c
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterSnapshotNotFoundFault");

    // Deleted with the cluster; the manual copy stays.
    drop(db);
    c.delete_db_cluster()
        .db_cluster_identifier("orders")
        .skip_final_snapshot(true)
        .send()
        .await
        .expect("delete the cluster");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !automated(&c, "orders").await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "automated snapshots outlived their cluster"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(wait_snapshot(&c, "orders-kept").await.status(), Some("available"));
    server.stop().await;
}
