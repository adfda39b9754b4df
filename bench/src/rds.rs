//! RDS on real PostgreSQL and on real MariaDB (engine `mysql`): instance
//! create time (goal under 1.5 s) and point-in-time restore time for 100k
//! orders with an hour of simulated changes (goal under 5 s), for each.

use crate::measure::{BenchResult, ms};
use aws_sdk_rds::Client;
use firedrill_emulator::{Emulator, EmulatorHandle};
use std::time::{Duration, Instant};

async fn wait_available(client: &Client, id: &str) -> anyhow::Result<(String, u16)> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = client
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await?;
        if let Some(db) = out.db_instances().first()
            && db.db_instance_status() == Some("available")
        {
            let ep = db
                .endpoint()
                .ok_or_else(|| anyhow::anyhow!("{id} has no endpoint"))?;
            let host = ep.address().unwrap_or("127.0.0.1").to_owned();
            let port = u16::try_from(ep.port().unwrap_or(5432))?;
            return Ok((host, port));
        }
        anyhow::ensure!(Instant::now() < deadline, "{id} not available after 120 s");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn create(client: &Client, id: &str) -> anyhow::Result<(String, u16)> {
    create_engine(client, id, "postgres").await
}

async fn create_engine(client: &Client, id: &str, engine: &str) -> anyhow::Result<(String, u16)> {
    client
        .create_db_instance()
        .db_instance_identifier(id)
        .engine(engine)
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .backup_retention_period(7)
        .send()
        .await?;
    wait_available(client, id).await
}

async fn connect(host: &str, port: u16) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::Config::new()
        .host(host)
        .port(port)
        .user("shop")
        .password("shop-password")
        .dbname("shop")
        .connect(tokio_postgres::NoTls)
        .await?;
    tokio::spawn(conn);
    Ok(client)
}

async fn advance(emulator: &EmulatorHandle, by: chrono::Duration) -> anyhow::Result<()> {
    emulator.advance(by).await?;
    Ok(())
}

/// Create time over several instances, then one PITR restore of a loaded database.
pub async fn create_and_restore(scale: usize) -> anyhow::Result<Vec<BenchResult>> {
    let orders = 100_000 / scale;
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T10:00:00Z".parse()?)
        .start()
        .await?;
    emulator.settle().await;
    let rds = Client::new(&emulator.sdk_config("us-east-1").await);
    let mut create_samples = Vec::new();
    for i in 0..3 {
        let t = Instant::now();
        create(&rds, &format!("bench-create-{i}")).await?;
        create_samples.push(ms(t.elapsed()));
    }
    let (host, port) = wait_available(&rds, "bench-create-0").await?;
    let db = connect(&host, port).await?;
    db.batch_execute(&format!(
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL, status text NOT NULL);
         INSERT INTO orders SELECT g, (g % 500) + 0.99, 'placed' FROM generate_series(1, {orders}) g;"
    ))
    .await?;
    // An hour of changes, a minute at a time.
    let mut restore_to = emulator.now();
    for minute in 0..60 {
        db.execute(
            "UPDATE orders SET status = 'shipped' WHERE id % 60 = $1",
            &[&(minute as i64)],
        )
        .await?;
        advance(&emulator, chrono::Duration::minutes(1)).await?;
        if minute == 30 {
            restore_to = emulator.now();
        }
    }
    advance(&emulator, chrono::Duration::minutes(10)).await?;
    let t = Instant::now();
    rds.restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("bench-create-0")
        .target_db_instance_identifier("bench-restored")
        .restore_time(aws_smithy_types::DateTime::from_millis(
            restore_to.timestamp_millis(),
        ))
        .send()
        .await?;
    wait_available(&rds, "bench-restored").await?;
    let restore = ms(t.elapsed());
    emulator.shutdown().await;
    let mut results = vec![
        BenchResult::new("rds_create_db_instance", "ms", create_samples)
            .goal_at_most(1500.0)
            .note("CreateDBInstance until DescribeDBInstances says available"),
        BenchResult::new("rds_pitr_restore_100k_orders_1h", "ms", vec![restore])
            .goal_at_most(5000.0)
            .note(format!(
                "{orders} orders, 60 minutes of updates; RestoreDBInstanceToPointInTime until available"
            )),
    ];
    results.extend(mysql_create_and_restore(scale).await?);
    Ok(results)
}

async fn mysql_connect(host: &str, port: u16) -> anyhow::Result<mysql_async::Conn> {
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host.to_owned())
        .tcp_port(port)
        .user(Some("shop"))
        .pass(Some("shop-password"))
        .db_name(Some("shop"))
        .prefer_socket(false);
    Ok(mysql_async::Conn::new(opts).await?)
}

/// The same for engine `mysql` (a MariaDB server): create time over several
/// instances (after one that builds the process's MariaDB template, as the
/// PostgreSQL measurement runs after `settle`), then one binary log
/// point-in-time restore of a loaded database.
async fn mysql_create_and_restore(scale: usize) -> anyhow::Result<Vec<BenchResult>> {
    use mysql_async::prelude::Queryable;
    let orders = 100_000 / scale;
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T10:00:00Z".parse()?)
        .start()
        .await?;
    emulator.settle().await;
    let rds = Client::new(&emulator.sdk_config("us-east-1").await);
    create_engine(&rds, "bench-mysql-warm", "mysql").await?;
    let mut create_samples = Vec::new();
    for i in 0..3 {
        let t = Instant::now();
        create_engine(&rds, &format!("bench-mysql-{i}"), "mysql").await?;
        create_samples.push(ms(t.elapsed()));
    }
    let (host, port) = wait_available(&rds, "bench-mysql-0").await?;
    let mut db = mysql_connect(&host, port).await?;
    db.query_drop(
        "CREATE TABLE orders (id bigint PRIMARY KEY, total decimal(10,2) NOT NULL, status varchar(16) NOT NULL)",
    )
    .await?;
    db.query_drop(format!(
        "INSERT INTO orders SELECT seq, (seq % 500) + 0.99, 'placed' FROM seq_1_to_{orders}"
    ))
    .await?;
    // An hour of changes, a minute at a time.
    let mut restore_to = emulator.now();
    for minute in 0..60 {
        db.exec_drop(
            "UPDATE orders SET status = 'shipped' WHERE id % 60 = ?",
            (minute as i64,),
        )
        .await?;
        advance(&emulator, chrono::Duration::minutes(1)).await?;
        if minute == 30 {
            restore_to = emulator.now();
        }
    }
    db.disconnect().await?;
    advance(&emulator, chrono::Duration::minutes(10)).await?;
    let t = Instant::now();
    rds.restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("bench-mysql-0")
        .target_db_instance_identifier("bench-mysql-restored")
        .restore_time(aws_smithy_types::DateTime::from_millis(
            restore_to.timestamp_millis(),
        ))
        .send()
        .await?;
    wait_available(&rds, "bench-mysql-restored").await?;
    let restore = ms(t.elapsed());
    emulator.shutdown().await;
    Ok(vec![
        BenchResult::new("rds_mysql_create_db_instance", "ms", create_samples)
            .goal_at_most(1500.0)
            .note("CreateDBInstance (engine mysql, a MariaDB server) until DescribeDBInstances says available"),
        BenchResult::new("rds_mysql_pitr_restore_100k_orders_1h", "ms", vec![restore])
            .goal_at_most(5000.0)
            .note(format!(
                "{orders} orders, 60 minutes of updates; RestoreDBInstanceToPointInTime (binary log replay) until available"
            )),
    ])
}
