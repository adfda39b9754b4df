//! MySQL, MariaDB and Aurora MySQL on real MariaDB servers, through
//! aws-sdk-rds and checked row by row with mysql_async: the catalog,
//! instances, binary log point-in-time restore, snapshots (and their copies
//! to another region), the in-process snapshot API AWS Backup uses, and an
//! Aurora MySQL cluster's point-in-time restore.

mod common;

use aws_smithy_types::DateTime as SdkTime;
use common::*;
use mysql_async::prelude::Queryable;
use std::time::{Duration, Instant};

fn sdk_time(t: chrono::DateTime<chrono::Utc>) -> SdkTime {
    SdkTime::from_millis(t.timestamp_millis())
}

async fn seed(db: &mut mysql_async::Conn, n: i32) {
    db.query_drop(
        "CREATE TABLE orders (id int PRIMARY KEY, amount int NOT NULL, status varchar(20) NOT NULL)",
    )
    .await
    .unwrap();
    let values: Vec<String> = (1..=n).map(|i| format!("({i}, {}, 'paid')", i * 10)).collect();
    db.query_drop(format!("INSERT INTO orders VALUES {}", values.join(",")))
        .await
        .unwrap();
}

async fn wait_snapshot(c: &aws_sdk_rds::Client, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let out = c
            .describe_db_snapshots()
            .db_snapshot_identifier(id)
            .send()
            .await
            .unwrap();
        if out.db_snapshots()[0].status() == Some("available") {
            return;
        }
        assert!(Instant::now() < deadline, "snapshot {id} stuck");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Seeds orders, notes T, corrupts (UPDATE + DELETE), restores to T and to
/// the latest restorable time, snapshots and restores the snapshot, copies
/// it to another region and restores the copy there, and takes and restores
/// an AWS Backup snapshot through the in-process API.
#[tokio::test]
async fn mysql_binlog_restore_undoes_corruption() {
    let Some((server, rds)) = start_mariadb("mysql_binlog_restore_undoes_corruption").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let i = create_mysql_instance(&c, "shop", "mysql", 7).await;
    assert_eq!(i.engine(), Some("mysql"));
    assert_eq!(i.engine_version(), Some("8.0.42"));
    assert_eq!(i.license_model(), Some("general-public-license"));
    assert_eq!(i.db_name(), Some("store"));
    let mut db = mysql_connect(&i, "store").await;
    let version: Option<String> = db.query_first("SELECT VERSION()").await.unwrap();
    assert!(version.unwrap().contains("MariaDB"), "mysql is served by MariaDB");
    seed(&mut db, 200).await;
    let expected = mysql_orders(&mut db).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    server.advance(chrono::Duration::minutes(1)).await;
    // The flash-sale bug: amounts zeroed and a batch of orders deleted.
    db.query_drop("UPDATE orders SET amount = 0, status = 'corrupt' WHERE id % 3 = 0")
        .await
        .unwrap();
    db.query_drop("DELETE FROM orders WHERE id > 150").await.unwrap();
    let corrupted = mysql_orders(&mut db).await;
    assert_ne!(corrupted, expected);
    server.advance(chrono::Duration::minutes(10)).await;
    wait_restorable(&c, &server, "shop", t).await;

    c.restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-at-t")
        .restore_time(sdk_time(t))
        .send()
        .await
        .expect("restore to T");
    let at_t = wait_status(&c, "shop-at-t", "available").await;
    assert_eq!(at_t.engine(), Some("mysql"));
    let mut rdb = mysql_connect(&at_t, "store").await;
    assert_eq!(
        mysql_orders(&mut rdb).await,
        expected,
        "restore to T holds T's rows"
    );
    // The restored instance is writable and has backups of its own.
    rdb.query_drop("INSERT INTO orders VALUES (999, 1, 'new')")
        .await
        .unwrap();
    drop(rdb);

    c.restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("shop")
        .target_db_instance_identifier("shop-latest")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("restore latest");
    let latest = wait_status(&c, "shop-latest", "available").await;
    let mut ldb = mysql_connect(&latest, "store").await;
    assert_eq!(
        mysql_orders(&mut ldb).await,
        corrupted,
        "the latest time holds every commit"
    );
    drop(ldb);

    // A snapshot, restored in this region and, copied, in another.
    c.create_db_snapshot()
        .db_instance_identifier("shop")
        .db_snapshot_identifier("shop-snap")
        .send()
        .await
        .expect("snapshot");
    wait_snapshot(&c, "shop-snap").await;
    db.query_drop("DELETE FROM orders").await.unwrap();
    c.restore_db_instance_from_db_snapshot()
        .db_instance_identifier("from-snap")
        .db_snapshot_identifier("shop-snap")
        .send()
        .await
        .expect("restore snapshot");
    let from_snap = wait_status(&c, "from-snap", "available").await;
    assert_eq!(from_snap.engine(), Some("mysql"));
    let mut sdb = mysql_connect(&from_snap, "store").await;
    assert_eq!(mysql_orders(&mut sdb).await, corrupted);
    drop(sdb);

    let west = client(&server, "us-west-2").await;
    let source_arn = format!(
        "arn:aws:rds:us-east-1:{}:snapshot:shop-snap",
        server.env().account_id()
    );
    west.copy_db_snapshot()
        .source_db_snapshot_identifier(&source_arn)
        .target_db_snapshot_identifier("shop-snap-west")
        .send()
        .await
        .expect("copy across regions");
    wait_snapshot(&west, "shop-snap-west").await;
    west.restore_db_instance_from_db_snapshot()
        .db_instance_identifier("west")
        .db_snapshot_identifier("shop-snap-west")
        .send()
        .await
        .expect("restore the copy");
    let w = wait_status(&west, "west", "available").await;
    let mut wdb = mysql_connect(&w, "store").await;
    assert_eq!(mysql_orders(&mut wdb).await, corrupted);
    drop(wdb);

    // What AWS Backup does: a snapshot job and a restore job.
    let arn = rds
        .create_snapshot("us-east-1", "from-snap", "awsbackup:job-1", "awsbackup")
        .await
        .expect("backup job");
    assert!(arn.ends_with(":snapshot:awsbackup:job-1"), "{arn}");
    rds.restore_from_snapshot("us-east-1", "awsbackup:job-1", "backup-restored")
        .await
        .expect("restore job");
    let b = wait_status(&c, "backup-restored", "available").await;
    let mut bdb = mysql_connect(&b, "store").await;
    assert_eq!(mysql_orders(&mut bdb).await, corrupted);
    drop(bdb);
    drop(db);
    server.stop().await;
}

/// DescribeDBEngineVersions lists the MySQL-family engines AWS offers;
/// a MariaDB instance takes a major alone; an Aurora MySQL cluster restores
/// to a point in time.
#[tokio::test]
async fn mariadb_and_aurora_mysql() {
    let Some((server, _rds)) = start_mariadb("mariadb_and_aurora_mysql").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    for (engine, default) in [
        ("mysql", "8.0.42"),
        ("mariadb", "11.4.7"),
        ("aurora-mysql", "8.0.mysql_aurora.3.08.2"),
    ] {
        let out = c
            .describe_db_engine_versions()
            .engine(engine)
            .default_only(true)
            .send()
            .await
            .unwrap();
        let v = &out.db_engine_versions()[0];
        assert_eq!(v.engine_version(), Some(default), "{engine}");
    }
    c.create_db_instance()
        .db_instance_identifier("maria")
        .db_instance_class("db.t3.micro")
        .engine("mariadb")
        .engine_version("10.11")
        .master_username("admin")
        .master_user_password(PASSWORD)
        .send()
        .await
        .expect("create mariadb");
    let m = wait_status(&c, "maria", "available").await;
    assert_eq!(m.engine_version(), Some("10.11.13"));
    assert_eq!(
        m.db_parameter_groups()[0].db_parameter_group_name(),
        Some("default.mariadb10.11")
    );
    assert_eq!(
        m.option_group_memberships()[0].option_group_name(),
        Some("default:mariadb-10-11")
    );

    c.create_db_cluster()
        .db_cluster_identifier("carts")
        .engine("aurora-mysql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .database_name("store")
        .backup_retention_period(7)
        .send()
        .await
        .expect("create cluster");
    let err = c
        .create_db_instance()
        .db_instance_identifier("wrong")
        .db_cluster_identifier("carts")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    c.create_db_instance()
        .db_instance_identifier("carts-1")
        .db_cluster_identifier("carts")
        .engine("aurora-mysql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .expect("create cluster instance");
    let member = wait_status(&c, "carts-1", "available").await;
    assert_eq!(member.engine(), Some("aurora-mysql"));
    let mut db = mysql_connect(&member, "store").await;
    seed(&mut db, 40).await;
    let expected = mysql_orders(&mut db).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    server.advance(chrono::Duration::minutes(1)).await;
    db.query_drop("DELETE FROM orders WHERE id % 2 = 0")
        .await
        .unwrap();
    server.advance(chrono::Duration::minutes(3)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cl = c
            .describe_db_clusters()
            .db_cluster_identifier("carts")
            .send()
            .await
            .unwrap()
            .db_clusters()[0]
            .clone();
        if cl
            .latest_restorable_time()
            .is_some_and(|l| l.secs() >= t.timestamp())
        {
            break;
        }
        assert!(Instant::now() < deadline, "cluster never restorable to T");
        server.advance(chrono::Duration::seconds(1)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.restore_db_cluster_to_point_in_time()
        .source_db_cluster_identifier("carts")
        .db_cluster_identifier("carts-restored")
        .restore_to_time(sdk_time(t))
        .send()
        .await
        .expect("restore cluster");
    let deadline = Instant::now() + Duration::from_secs(90);
    let restored = loop {
        let cl = c
            .describe_db_clusters()
            .db_cluster_identifier("carts-restored")
            .send()
            .await
            .unwrap()
            .db_clusters()[0]
            .clone();
        if cl.status() == Some("available") {
            break cl;
        }
        assert!(cl.status() != Some("failed"), "restored cluster failed");
        assert!(Instant::now() < deadline, "restored cluster stuck");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(restored.engine(), Some("aurora-mysql"));
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(restored.endpoint().unwrap().to_owned())
        .tcp_port(restored.port().unwrap() as u16)
        .user(Some("shop"))
        .pass(Some(PASSWORD))
        .db_name(Some("store"))
        .prefer_socket(false);
    let mut rdb = mysql_async::Conn::new(opts).await.unwrap();
    assert_eq!(mysql_orders(&mut rdb).await, expected);
    drop(rdb);
    drop(db);
    server.stop().await;
}
