//! `ReplicaLag` in CloudWatch, from a real PostgreSQL read replica in
//! another region: 0 s while it follows its source, then growing on the
//! emulator clock once the source's region goes dark, until an alarm on it
//! goes to ALARM; a DR runbook watches exactly this before it promotes.
//! In a cascade each level reports its lag behind its own source.

mod common;

use aws_sdk_cloudwatch::primitives::DateTime as SdkTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use chrono::{DateTime, Duration, Utc};
use common::postgres::{postgres_installed, sql, wait_rds_available};
use firedrill_emulator::{Emulator, EmulatorHandle};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

/// The `Maximum` of `ReplicaLag` for `id` per minute over `[from, to)`,
/// oldest first.
async fn lag_maxima(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(i64, f64)> {
    let out = cloudwatch
        .get_metric_statistics()
        .namespace("AWS/RDS")
        .metric_name("ReplicaLag")
        .dimensions(
            Dimension::builder()
                .name("DBInstanceIdentifier")
                .value(id)
                .build(),
        )
        .start_time(SdkTime::from_millis(from.timestamp_millis()))
        .end_time(SdkTime::from_millis(to.timestamp_millis()))
        .period(60)
        .statistics(Statistic::Maximum)
        .send()
        .await
        .expect("GetMetricStatistics");
    let mut points: Vec<(i64, f64)> = out
        .datapoints()
        .iter()
        .map(|d| {
            (
                d.timestamp().map(|t| t.secs()).unwrap_or_default(),
                d.maximum().unwrap_or(-1.0),
            )
        })
        .collect();
    points.sort_by_key(|p| p.0);
    points
}

/// Advances the clock a minute at a time, `minutes` times.
async fn minutes(emulator: &EmulatorHandle, minutes: u32) {
    for _ in 0..minutes {
        emulator.advance(Duration::minutes(1)).await.expect("advance");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_lag_is_zero_while_following_and_grows_through_the_sources_outage() {
    if !postgres_installed() {
        println!(
            "SKIPPED: PostgreSQL server binaries not found (set FIREDRILL_PG_BIN or install postgresql)"
        );
        return;
    }
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T10:00:00Z".parse().expect("an instant"))
        .start()
        .await
        .expect("emulator starts");
    let east = aws_sdk_rds::Client::new(&emulator.sdk_config(EAST).await);
    let west_sdk = emulator.sdk_config(WEST).await;
    let west = aws_sdk_rds::Client::new(&west_sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&west_sdk);

    let source = east
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .backup_retention_period(1)
        .send()
        .await
        .expect("CreateDBInstance");
    let source_arn = source
        .db_instance()
        .and_then(|i| i.db_instance_arn())
        .expect("an ARN")
        .to_owned();
    let (host, port) = wait_rds_available(&east, &emulator, "orders").await;
    let db = sql(&host, port).await;
    db.batch_execute("CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)")
        .await
        .expect("seed");

    west.create_db_instance_read_replica()
        .db_instance_identifier("orders-west")
        .source_db_instance_identifier(&source_arn)
        .send()
        .await
        .expect("CreateDBInstanceReadReplica");
    wait_rds_available(&west, &emulator, "orders-west").await;
    cloudwatch
        .put_metric_alarm()
        .alarm_name("orders-west-lag")
        .namespace("AWS/RDS")
        .metric_name("ReplicaLag")
        .dimensions(
            Dimension::builder()
                .name("DBInstanceIdentifier")
                .value("orders-west")
                .build(),
        )
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(300.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");

    // Following: writes on the source, the replica keeps up.
    let following = emulator.clock().now();
    for n in 2..6 {
        db.execute("INSERT INTO orders VALUES ($1)", &[&n])
            .await
            .expect("insert");
        minutes(&emulator, 1).await;
    }
    minutes(&emulator, 2).await;
    let before = lag_maxima(&cloudwatch, "orders-west", following, emulator.clock().now()).await;
    println!("ReplicaLag while following: {before:?}");
    assert!(before.len() >= 3, "a sample a minute: {before:?}");
    assert!(
        before.iter().all(|(_, lag)| *lag == 0.0),
        "a replica that keeps up lags 0 s: {before:?}"
    );

    // us-east-1 goes dark: the replica's lag grows on the emulator clock.
    let dark = emulator.clock().now();
    emulator.set_outage(EAST, true).await.expect("outage");
    minutes(&emulator, 10).await;
    let during = lag_maxima(&cloudwatch, "orders-west", dark, emulator.clock().now()).await;
    println!("ReplicaLag through the outage: {during:?}");
    assert!(during.len() >= 5, "{during:?}");
    assert!(
        during.windows(2).all(|w| w[1].1 >= w[0].1),
        "the lag only grows while the source is dark: {during:?}"
    );
    let last = during.last().map(|p| p.1).unwrap_or_default();
    assert!(
        (480.0..=720.0).contains(&last),
        "ten minutes into the outage the replica lags about ten minutes: {during:?}"
    );
    let alarm = cloudwatch
        .describe_alarms()
        .alarm_names("orders-west-lag")
        .send()
        .await
        .expect("DescribeAlarms");
    assert_eq!(
        alarm.metric_alarms()[0].state_value(),
        Some(&StateValue::Alarm),
        "{alarm:?}"
    );
    // The source's region has no metric of a replica it does not hold.
    let east_cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config(EAST).await);
    emulator.set_outage(EAST, false).await.expect("outage ends");
    let east_points = lag_maxima(&east_cw, "orders-west", following, emulator.clock().now()).await;
    assert!(east_points.is_empty(), "{east_points:?}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_level_of_a_cascade_reports_its_lag_behind_its_own_source() {
    if !postgres_installed() {
        println!(
            "SKIPPED: PostgreSQL server binaries not found (set FIREDRILL_PG_BIN or install postgresql)"
        );
        return;
    }
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T10:00:00Z".parse().expect("an instant"))
        .start()
        .await
        .expect("emulator starts");
    let east = aws_sdk_rds::Client::new(&emulator.sdk_config(EAST).await);
    let west_sdk = emulator.sdk_config(WEST).await;
    let west = aws_sdk_rds::Client::new(&west_sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&west_sdk);
    let source = east
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .backup_retention_period(1)
        .send()
        .await
        .expect("CreateDBInstance");
    let source_arn = source
        .db_instance()
        .and_then(|i| i.db_instance_arn())
        .expect("an ARN")
        .to_owned();
    let (host, port) = wait_rds_available(&east, &emulator, "orders").await;
    let db = sql(&host, port).await;
    db.batch_execute("CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)")
        .await
        .expect("seed");

    // us-east-1 → us-west-2 → us-west-2: a cross-region replica, and a
    // replica of it once its backups are on.
    west.create_db_instance_read_replica()
        .db_instance_identifier("orders-west")
        .source_db_instance_identifier(&source_arn)
        .send()
        .await
        .expect("CreateDBInstanceReadReplica");
    wait_rds_available(&west, &emulator, "orders-west").await;
    west.modify_db_instance()
        .db_instance_identifier("orders-west")
        .backup_retention_period(1)
        .apply_immediately(true)
        .send()
        .await
        .expect("ModifyDBInstance");
    wait_rds_available(&west, &emulator, "orders-west").await;
    west.create_db_instance_read_replica()
        .db_instance_identifier("orders-west-2")
        .source_db_instance_identifier("orders-west")
        .send()
        .await
        .expect("a replica of the replica");
    let (host2, port2) = wait_rds_available(&west, &emulator, "orders-west-2").await;

    let following = emulator.clock().now();
    for n in 2..5 {
        db.execute("INSERT INTO orders VALUES ($1)", &[&n])
            .await
            .expect("insert");
        minutes(&emulator, 1).await;
    }
    minutes(&emulator, 2).await;
    let second = sql(&host2, port2).await;
    let count: i64 = second
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .expect("read the second level")
        .get(0);
    assert_eq!(count, 4, "the primary's rows reach the second level");
    for id in ["orders-west", "orders-west-2"] {
        let lags = lag_maxima(&cloudwatch, id, following, emulator.clock().now()).await;
        assert!(lags.len() >= 3, "{id}: a sample a minute: {lags:?}");
        assert!(lags.iter().all(|(_, lag)| *lag == 0.0), "{id} keeps up: {lags:?}");
    }

    // The primary's region goes dark: the first level falls behind it, the
    // second still follows the first.
    let dark = emulator.clock().now();
    emulator.set_outage(EAST, true).await.expect("outage");
    minutes(&emulator, 6).await;
    let first = lag_maxima(&cloudwatch, "orders-west", dark, emulator.clock().now()).await;
    let last = first.last().map(|p| p.1).unwrap_or_default();
    assert!(last >= 240.0, "the first level lags its dark source: {first:?}");
    let second = lag_maxima(&cloudwatch, "orders-west-2", dark, emulator.clock().now()).await;
    assert!(second.len() >= 3, "{second:?}");
    assert!(
        second.iter().all(|(_, lag)| *lag == 0.0),
        "the second level keeps up with the first: {second:?}"
    );
    emulator.set_outage(EAST, false).await.expect("outage ends");
    emulator.shutdown().await;
}
