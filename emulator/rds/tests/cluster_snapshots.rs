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
