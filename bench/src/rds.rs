//! RDS on real PostgreSQL: instance create time (goal under 1.5 s) and
//! point-in-time restore time for 100k orders with an hour of simulated
//! changes (goal under 5 s).

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
    client
        .create_db_instance()
        .db_instance_identifier(id)
        .engine("postgres")
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
    Ok(vec![
        BenchResult::new("rds_create_db_instance", "ms", create_samples)
            .goal_at_most(1500.0)
            .note("CreateDBInstance until DescribeDBInstances says available"),
        BenchResult::new("rds_pitr_restore_100k_orders_1h", "ms", vec![restore])
            .goal_at_most(5000.0)
            .note(format!(
                "{orders} orders, 60 minutes of updates; RestoreDBInstanceToPointInTime until available"
            )),
    ])
}
