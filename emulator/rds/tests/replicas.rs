//! Read replicas through aws-sdk-rds: a replica is a real server following
//! its source (PostgreSQL streaming, MariaDB binary log replication), it
//! refuses writes, DescribeDBInstances shows both ends of the replication,
//! PromoteReadReplica makes it a standalone writable instance with its own
//! backups, and a cross-region replica is promotable while its source's
//! region is dark (the DR drill). No server outlives the emulator.

mod common;

use aws_sdk_rds::Client;
use common::*;
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_rds::Rds;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Polls `read` until it answers `want` (bounded).
async fn eventually<T, F, Fut>(what: &str, want: &T, mut read: F)
where
    T: PartialEq + std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = read().await;
        if &got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {got:?}, wanted {want:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stops the emulator and checks that no server or file is left.
async fn stop_clean(server: TestServer, rds: Arc<Rds>) {
    let run_dir = rds.run_dir().to_path_buf();
    server.stop().await;
    drop(rds);
    let deadline = Instant::now() + Duration::from_secs(30);
    while run_dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!run_dir.exists(), "run dir left behind");
}

/// The command lines of the processes whose arguments name `dir`.
fn processes_under(dir: &std::path::Path) -> Vec<String> {
    let needle = dir.display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(&needle) {
                found.push(cmd);
            }
        }
    }
    found
}

async fn create_replica(client: &Client, id: &str, source: &str) -> aws_sdk_rds::types::DbInstance {
    let created = client
        .create_db_instance_read_replica()
        .db_instance_identifier(id)
        .source_db_instance_identifier(source)
        .send()
        .await
        .expect("create read replica");
    let shown = created.db_instance().unwrap();
    assert_eq!(shown.db_instance_status(), Some("creating"));
    assert_eq!(shown.backup_retention_period(), Some(0));
    wait_status(client, id, "available").await
}

async fn promote(client: &Client, id: &str) -> aws_sdk_rds::types::DbInstance {
    let promoted = client
        .promote_read_replica()
        .db_instance_identifier(id)
        .backup_retention_period(3)
        .send()
        .await
        .expect("promote");
    assert_eq!(
        promoted.db_instance().unwrap().db_instance_status(),
        Some("modifying")
    );
    let i = wait_status(client, id, "available").await;
    assert_eq!(i.backup_retention_period(), Some(3));
    assert_eq!(i.read_replica_source_db_instance_identifier(), None);
    assert!(i.status_infos().is_empty());
    i
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replica_follows_refuses_writes_and_promotes() {
    let Some((server, rds)) = start("postgres_replica_follows_refuses_writes_and_promotes").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let source = create_instance(&c, "shop", 1).await;
    let db = connect(&source, "shop", "store").await;
    seed_orders(&db, 10).await;

    let replica = create_replica(&c, "shop-replica", "shop").await;
    assert_eq!(replica.read_replica_source_db_instance_identifier(), Some("shop"));
    let info = &replica.status_infos()[0];
    assert_eq!(info.status_type(), Some("read replication"));
    assert_eq!(info.status(), Some("replicating"));
    assert_eq!(info.normal(), Some(true));
    assert_eq!(
        describe(&c, "shop").await.read_replica_db_instance_identifiers(),
        ["shop-replica".to_owned()]
    );
    assert_ne!(
        replica.endpoint().unwrap().port(),
        source.endpoint().unwrap().port()
    );
    // The replica's server reaches its source with a password file, not a
    // password on its command line, where `ps` shows it to every user.
    let servers = processes_under(&rds.run_dir());
    assert!(servers.len() >= 2, "{servers:?}");
    assert!(
        servers.iter().all(|cmd| !cmd.contains("password=")),
        "{servers:?}"
    );
    assert!(servers.iter().any(|cmd| cmd.contains("passfile=")), "{servers:?}");

    // What the source commits appears on the replica.
    let rdb = connect(&replica, "shop", "store").await;
    let want = orders(&db).await;
    eventually("replica rows", &want, || orders(&rdb)).await;
    db.execute("INSERT INTO orders VALUES (11, 110, 'new')", &[])
        .await
        .unwrap();
    db.execute("UPDATE orders SET status = 'shipped' WHERE id = 1", &[])
        .await
        .unwrap();
    let want = orders(&db).await;
    eventually("replica rows after more writes", &want, || orders(&rdb)).await;

    // The replica is read-only.
    let err = rdb
        .execute("INSERT INTO orders VALUES (12, 120, 'x')", &[])
        .await
        .unwrap_err();
    let message = err
        .as_db_error()
        .map(|e| e.message().to_owned())
        .unwrap_or_default();
    assert!(message.contains("read-only"), "{err:?}");

    // Errors as AWS answers them.
    let e = c
        .promote_read_replica()
        .db_instance_identifier("shop")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDBInstanceState");
    let e = c
        .promote_read_replica()
        .db_instance_identifier("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DBInstanceNotFound");
    let e = c
        .create_db_instance_read_replica()
        .db_instance_identifier("r2")
        .source_db_instance_identifier("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DBInstanceNotFound");
    let e = c
        .create_db_instance_read_replica()
        .db_instance_identifier("shop-replica")
        .source_db_instance_identifier("shop")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DBInstanceAlreadyExists");
    create_instance(&c, "nobackups", 0).await;
    let e = c
        .create_db_instance_read_replica()
        .db_instance_identifier("r3")
        .source_db_instance_identifier("nobackups")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDBInstanceState");
    let e = c
        .stop_db_instance()
        .db_instance_identifier("shop")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDBInstanceState");
    assert!(
        c.describe_db_instances()
            .db_instance_identifier("r3")
            .send()
            .await
            .is_err()
    );

    // Promoted, it takes writes, and the source no longer lists it.
    let promoted = promote(&c, "shop-replica").await;
    assert!(
        describe(&c, "shop")
            .await
            .read_replica_db_instance_identifiers()
            .is_empty()
    );
    let pdb = connect(&promoted, "shop", "store").await;
    pdb.execute("INSERT INTO orders VALUES (12, 120, 'after promotion')", &[])
        .await
        .expect("write after promotion");
    db.execute("INSERT INTO orders VALUES (13, 130, 'source only')", &[])
        .await
        .unwrap();
    let mine = orders(&pdb).await;
    assert!(mine.iter().any(|o| o.0 == 12));
    assert!(
        !mine.iter().any(|o| o.0 == 13),
        "the promoted replica no longer follows"
    );
    assert!(!orders(&db).await.iter().any(|o| o.0 == 12));
    let e = c
        .promote_read_replica()
        .db_instance_identifier("shop-replica")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDBInstanceState");
    stop_clean(server, rds).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_region_replica_is_promoted_while_the_source_region_is_dark() {
    let Some((server, rds)) = start("cross_region_replica_is_promoted_while_the_source_region_is_dark").await
    else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let source = create_instance(&east, "orders", 1).await;
    let db = connect(&source, "shop", "store").await;
    seed_orders(&db, 20).await;

    let arn = source.db_instance_arn().unwrap().to_owned();
    let replica = create_replica(&west, "orders-dr", &arn).await;
    assert_eq!(
        replica.read_replica_source_db_instance_identifier(),
        Some(arn.as_str())
    );
    assert!(replica.db_instance_arn().unwrap().contains(":us-west-2:"));
    assert_eq!(
        describe(&east, "orders")
            .await
            .read_replica_db_instance_identifiers(),
        [replica.db_instance_arn().unwrap().to_owned()]
    );
    db.execute("UPDATE orders SET status = 'refunded' WHERE id <= 5", &[])
        .await
        .unwrap();
    let acknowledged = orders(&db).await;
    let rdb = connect(&replica, "shop", "store").await;
    eventually("replica rows", &acknowledged, || orders(&rdb)).await;
    drop(db);

    // us-east-1 goes dark: the replica cannot reach its source.
    server.dispatcher.set_outage("us-east-1", true).await.unwrap();
    let shown = describe(&west, "orders-dr").await;
    assert_eq!(shown.status_infos()[0].status(), Some("error"));
    assert_eq!(shown.status_infos()[0].normal(), Some(false));

    // Promotion is the fast recovery path: every replicated commit is there.
    let promoted = promote(&west, "orders-dr").await;
    let pdb = connect(&promoted, "shop", "store").await;
    assert_eq!(orders(&pdb).await, acknowledged);
    pdb.execute("INSERT INTO orders VALUES (21, 210, 'placed in us-west-2')", &[])
        .await
        .expect("write after promotion");
    assert_eq!(orders(&pdb).await.len(), 21);
    let backups = west
        .describe_db_instance_automated_backups()
        .db_instance_identifier("orders-dr")
        .send()
        .await
        .unwrap();
    assert_eq!(
        backups.db_instance_automated_backups().len(),
        1,
        "the promoted instance has its own backups"
    );

    server.dispatcher.set_outage("us-east-1", false).await.unwrap();
    assert!(
        describe(&east, "orders")
            .await
            .read_replica_db_instance_identifiers()
            .is_empty()
    );
    stop_clean(server, rds).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_replica_follows_the_binary_log_refuses_writes_and_promotes() {
    use mysql_async::prelude::Queryable;
    let Some((server, rds)) =
        start_mariadb("mysql_replica_follows_the_binary_log_refuses_writes_and_promotes").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let source = create_mysql_instance(&c, "shop", "mysql", 1).await;
    let mut db = mysql_connect(&source, "store").await;
    db.query_drop(
        "CREATE TABLE orders (id INT PRIMARY KEY, amount INT NOT NULL, status VARCHAR(20) NOT NULL)",
    )
    .await
    .unwrap();
    db.query_drop("INSERT INTO orders VALUES (1, 10, 'paid'), (2, 20, 'paid')")
        .await
        .unwrap();

    let replica = create_replica(&c, "shop-replica", "shop").await;
    assert_eq!(replica.engine(), Some("mysql"));
    assert_eq!(replica.read_replica_source_db_instance_identifier(), Some("shop"));
    db.query_drop("INSERT INTO orders VALUES (3, 30, 'after the replica')")
        .await
        .unwrap();
    let want = mysql_orders(&mut db).await;
    let mut rdb = mysql_connect(&replica, "store").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = mysql_orders(&mut rdb).await;
        if got == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replica rows: {got:?}, wanted {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Caught up by GTID: the replica lags 0 s (CloudWatch's ReplicaLag).
    for _ in 0..2 {
        server.advance(chrono::Duration::minutes(1)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lags = rds.engine().replica_lags("us-east-1");
    assert_eq!(lags.len(), 1, "{lags:?}");
    assert_eq!(lags[0].0, "shop-replica");
    assert_eq!(lags[0].1.lag_seconds, 0.0, "{lags:?}");
    let err = rdb
        .query_drop("INSERT INTO orders VALUES (4, 40, 'x')")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("read-only") || err.to_string().contains("read_only"),
        "{err}"
    );
    drop(rdb);

    let promoted = promote(&c, "shop-replica").await;
    assert!(
        rds.engine().replica_lags("us-east-1").is_empty(),
        "a promoted replica has no lag to report"
    );
    let mut pdb = mysql_connect(&promoted, "store").await;
    pdb.query_drop("INSERT INTO orders VALUES (4, 40, 'after promotion')")
        .await
        .expect("write after promotion");
    db.query_drop("INSERT INTO orders VALUES (5, 50, 'source only')")
        .await
        .unwrap();
    let ids: Vec<i32> = mysql_orders(&mut pdb).await.into_iter().map(|o| o.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    drop((db, pdb));
    stop_clean(server, rds).await;
}

/// Turns a read replica's automated backups on (what lets it be the source
/// of a cascading replica) and waits until it is available again.
async fn enable_backups(client: &Client, id: &str) {
    client
        .modify_db_instance()
        .db_instance_identifier(id)
        .backup_retention_period(1)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify the replica's retention");
    let i = wait_status(client, id, "available").await;
    assert_eq!(i.backup_retention_period(), Some(1));
    assert!(
        i.read_replica_source_db_instance_identifier().is_some(),
        "{id} is still a replica"
    );
}

/// Waits until every replica of `region` has a lag sample of 0 s, the
/// emulator clock advancing a minute between samplings.
async fn wait_lags_zero(server: &TestServer, rds: &Rds, region: &str, ids: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        server.advance(chrono::Duration::minutes(1)).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let lags = rds.engine().replica_lags(region);
        let zero: Vec<&str> = lags
            .iter()
            .filter(|(_, s)| s.lag_seconds == 0.0)
            .map(|(id, _)| id.as_str())
            .collect();
        if ids.iter().all(|id| zero.contains(id)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{region} lags: {lags:?}, wanted 0 for {ids:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cascading_replicas_follow_the_chain_and_survive_promoting_the_middle() {
    let Some((server, rds)) =
        start("postgres_cascading_replicas_follow_the_chain_and_survive_promoting_the_middle").await
    else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let source = create_instance(&east, "shop", 1).await;
    let db = connect(&source, "shop", "store").await;
    seed_orders(&db, 5).await;

    let r1 = create_replica(&east, "shop-r1", "shop").await;
    // A replica without backups cannot be a source, as on AWS.
    let e = east
        .create_db_instance_read_replica()
        .db_instance_identifier("shop-r2")
        .source_db_instance_identifier("shop-r1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDBInstanceState");
    enable_backups(&east, "shop-r1").await;

    // Second level, same region; third level, across regions (by ARN).
    let r2 = create_replica(&east, "shop-r2", "shop-r1").await;
    assert_eq!(r2.read_replica_source_db_instance_identifier(), Some("shop-r1"));
    assert_eq!(
        describe(&east, "shop-r1")
            .await
            .read_replica_db_instance_identifiers(),
        ["shop-r2".to_owned()]
    );
    assert_eq!(
        describe(&east, "shop")
            .await
            .read_replica_db_instance_identifiers(),
        ["shop-r1".to_owned()]
    );
    enable_backups(&east, "shop-r2").await;
    let r2_arn = describe(&east, "shop-r2")
        .await
        .db_instance_arn()
        .unwrap()
        .to_owned();
    let r3 = create_replica(&west, "shop-r3", &r2_arn).await;
    assert_eq!(
        r3.read_replica_source_db_instance_identifier(),
        Some(r2_arn.as_str())
    );
    assert_eq!(
        describe(&east, "shop-r2")
            .await
            .read_replica_db_instance_identifiers(),
        [r3.db_instance_arn().unwrap().to_owned()]
    );

    // A fourth level is past AWS's limit of three.
    enable_backups(&west, "shop-r3").await;
    let e = west
        .create_db_instance_read_replica()
        .db_instance_identifier("shop-r4")
        .source_db_instance_identifier("shop-r3")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDBInstanceState");
    assert!(
        e.to_string().contains("at most 3") || format!("{e:?}").contains("at most 3"),
        "{e:?}"
    );

    // A write on the primary reaches every level.
    db.execute("INSERT INTO orders VALUES (6, 60, 'cascaded')", &[])
        .await
        .unwrap();
    let want = orders(&db).await;
    let (rdb1, rdb2, rdb3) = (
        connect(&r1, "shop", "store").await,
        connect(&r2, "shop", "store").await,
        connect(&r3, "shop", "store").await,
    );
    eventually("second-level rows", &want, || orders(&rdb2)).await;
    eventually("third-level rows", &want, || orders(&rdb3)).await;
    eventually("first-level rows", &want, || orders(&rdb1)).await;
    let err = rdb2
        .execute("INSERT INTO orders VALUES (7, 70, 'x')", &[])
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("read-only"), "{err:?}");

    // ReplicaLag is sampled at every level, each against its own source.
    wait_lags_zero(&server, &rds, "us-east-1", &["shop-r1", "shop-r2"]).await;
    wait_lags_zero(&server, &rds, "us-west-2", &["shop-r3"]).await;

    // Promoting the middle: it leaves the chain, its replicas follow it.
    drop((rdb1, rdb2, rdb3));
    let promoted = promote(&east, "shop-r1").await;
    assert!(
        describe(&east, "shop")
            .await
            .read_replica_db_instance_identifiers()
            .is_empty()
    );
    assert_eq!(
        describe(&east, "shop-r1")
            .await
            .read_replica_db_instance_identifiers(),
        ["shop-r2".to_owned()]
    );
    assert_eq!(
        describe(&east, "shop-r2")
            .await
            .read_replica_source_db_instance_identifier(),
        Some("shop-r1")
    );
    let pdb = connect(&promoted, "shop", "store").await;
    pdb.execute("INSERT INTO orders VALUES (7, 70, 'on the promoted middle')", &[])
        .await
        .expect("write after promotion");
    db.execute("INSERT INTO orders VALUES (8, 80, 'old primary only')", &[])
        .await
        .unwrap();
    let want = orders(&pdb).await;
    assert!(want.iter().any(|o| o.0 == 7) && !want.iter().any(|o| o.0 == 8));
    let r2 = describe(&east, "shop-r2").await;
    let r3 = describe(&west, "shop-r3").await;
    let (rdb2, rdb3) = (
        connect(&r2, "shop", "store").await,
        connect(&r3, "shop", "store").await,
    );
    eventually("second level after the middle's promotion", &want, || {
        orders(&rdb2)
    })
    .await;
    eventually("third level after the middle's promotion", &want, || {
        orders(&rdb3)
    })
    .await;
    wait_lags_zero(&server, &rds, "us-east-1", &["shop-r2"]).await;
    assert!(
        !rds.engine()
            .replica_lags("us-east-1")
            .iter()
            .any(|(id, _)| id == "shop-r1"),
        "the promoted middle has no lag to report"
    );
    drop((db, pdb, rdb2, rdb3));
    stop_clean(server, rds).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_before_14_refuses_cascading_replicas() {
    let Some((server, rds)) = start("postgres_before_14_refuses_cascading_replicas").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_db_instance()
        .db_instance_identifier("old")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .engine_version("13.21")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .backup_retention_period(1)
        .send()
        .await
        .expect("create 13.21");
    wait_status(&c, "old", "available").await;
    create_replica(&c, "old-r1", "old").await;
    enable_backups(&c, "old-r1").await;
    let e = c
        .create_db_instance_read_replica()
        .db_instance_identifier("old-r2")
        .source_db_instance_identifier("old-r1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDBInstanceState");
    assert!(format!("{e:?}").contains("14.1"), "{e:?}");
    stop_clean(server, rds).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_replica_of_a_replica_follows_and_keeps_following_the_promoted_middle() {
    use mysql_async::prelude::Queryable;
    let Some((server, rds)) =
        start_mariadb("mysql_replica_of_a_replica_follows_and_keeps_following_the_promoted_middle").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let source = create_mysql_instance(&c, "shop", "mysql", 1).await;
    let mut db = mysql_connect(&source, "store").await;
    db.query_drop(
        "CREATE TABLE orders (id INT PRIMARY KEY, amount INT NOT NULL, status VARCHAR(20) NOT NULL)",
    )
    .await
    .unwrap();
    db.query_drop("INSERT INTO orders VALUES (1, 10, 'paid')")
        .await
        .unwrap();
    create_replica(&c, "shop-r1", "shop").await;
    enable_backups(&c, "shop-r1").await;
    let r2 = create_replica(&c, "shop-r2", "shop-r1").await;
    assert_eq!(r2.engine(), Some("mysql"));
    assert_eq!(r2.read_replica_source_db_instance_identifier(), Some("shop-r1"));
    assert_eq!(
        describe(&c, "shop-r1")
            .await
            .read_replica_db_instance_identifiers(),
        ["shop-r2".to_owned()]
    );

    db.query_drop("INSERT INTO orders VALUES (2, 20, 'after the chain')")
        .await
        .unwrap();
    let want = mysql_orders(&mut db).await;
    let mut rdb2 = mysql_connect(&r2, "store").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = mysql_orders(&mut rdb2).await;
        if got == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "second-level rows: {got:?}, wanted {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_lags_zero(&server, &rds, "us-east-1", &["shop-r1", "shop-r2"]).await;

    // The middle promoted: the second level follows it.
    let promoted = promote(&c, "shop-r1").await;
    let mut pdb = mysql_connect(&promoted, "store").await;
    pdb.query_drop("INSERT INTO orders VALUES (3, 30, 'promoted middle')")
        .await
        .expect("write after promotion");
    let want = mysql_orders(&mut pdb).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = mysql_orders(&mut rdb2).await;
        if got == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "second level after the middle's promotion: {got:?}, wanted {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop((db, pdb, rdb2));
    stop_clean(server, rds).await;
}
