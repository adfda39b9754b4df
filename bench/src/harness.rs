//! The harness: the time to play every shipped scenario (goal under 60 s),
//! and the time to seed 100k orders, 100k carts and 10k objects into the
//! embedded emulator (goal under 20 s).

use crate::measure::{BenchResult, ms};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, WriteRequest,
};
use aws_sdk_s3::primitives::ByteStream;
use firedrill::drill::DrillOptions;
use firedrill::stack::EmbeddedTarget;
use firedrill_emulator::Emulator;
use futures::future::try_join_all;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Plays every shipped scenario as `cargo xtask drill` does: each on its own
/// stack, as many at once as there are CPUs.
pub async fn scenario_set() -> anyhow::Result<BenchResult> {
    use futures::StreamExt;
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let scenarios = firedrill::scenario::load_dir(&dir)?;
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = DrillOptions::default();
    let started = Instant::now();
    let reports: Vec<_> = futures::stream::iter(&scenarios)
        .map(|scenario| EmbeddedTarget::play(scenario, &options))
        .buffered(jobs)
        .collect()
        .await;
    let total = started.elapsed();
    let mut failed = Vec::new();
    for report in reports {
        let report = report?;
        if !report.passed() {
            failed.push(report.scenario.clone());
        }
    }
    anyhow::ensure!(
        failed.is_empty(),
        "scenarios failed during the benchmark: {failed:?}"
    );
    Ok(
        BenchResult::new("harness_shipped_scenario_set", "ms", vec![ms(total)])
            .goal_at_most(60_000.0)
            .note(format!(
                "{} scenarios, {jobs} at a time (cargo xtask drill's default), each on its own emulator",
                scenarios.len()
            )),
    )
}

/// Bulk-loads the shop's three layers.
pub async fn seeding(scale: usize) -> anyhow::Result<BenchResult> {
    let (orders, carts, objects) = (100_000 / scale, 100_000 / scale, 10_000 / scale);
    let emulator = Emulator::builder().start().await?;
    emulator.settle().await;
    let sdk = emulator.sdk_config("us-east-1").await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.create_db_instance()
        .db_instance_identifier("seed")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .send()
        .await?;
    dynamodb
        .create_table()
        .table_name("carts")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("cart_id")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("cart_id")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .send()
        .await?;
    s3.create_bucket().bucket("images").send().await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let (host, port) = loop {
        let out = rds
            .describe_db_instances()
            .db_instance_identifier("seed")
            .send()
            .await?;
        let db = &out.db_instances()[0];
        if db.db_instance_status() == Some("available") {
            let ep = db.endpoint().ok_or_else(|| anyhow::anyhow!("no endpoint"))?;
            break (
                ep.address().unwrap_or("127.0.0.1").to_owned(),
                u16::try_from(ep.port().unwrap_or(5432))?,
            );
        }
        anyhow::ensure!(Instant::now() < deadline, "the instance never became available");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let (db, conn) = tokio_postgres::Config::new()
        .host(&host)
        .port(port)
        .user("shop")
        .password("shop-password")
        .dbname("shop")
        .connect(tokio_postgres::NoTls)
        .await?;
    tokio::spawn(conn);
    let orders_job = async {
        db.batch_execute(&format!(
            "CREATE TABLE orders (order_id text PRIMARY KEY, customer_id text NOT NULL, status text NOT NULL, total_cents bigint NOT NULL);
             INSERT INTO orders SELECT 'o-' || g, 'c-' || (g % 5000), 'placed', (g % 50000) FROM generate_series(1, {orders}) g;"
        ))
        .await?;
        anyhow::Ok(())
    };
    let carts_job = try_join_all((0..16).map(|w| {
        let dynamodb = dynamodb.clone();
        async move {
            let per_worker = carts / 16;
            for batch in (0..per_worker).collect::<Vec<_>>().chunks(25) {
                let requests: Vec<WriteRequest> = batch
                    .iter()
                    .map(|i| {
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder()
                                    .item("cart_id", Av::S(format!("cart-{w}-{i}")))
                                    .item("items", Av::N("3".into()))
                                    .build()
                                    .expect("key given"),
                            )
                            .build()
                    })
                    .collect();
                dynamodb
                    .batch_write_item()
                    .request_items("carts", requests)
                    .send()
                    .await?;
            }
            anyhow::Ok(())
        }
    }));
    let objects_job = try_join_all((0..16).map(|w| {
        let s3 = s3.clone();
        async move {
            for i in 0..objects / 16 {
                s3.put_object()
                    .bucket("images")
                    .key(format!("products/{w}/{i}.jpg"))
                    .body(ByteStream::from(vec![b'j'; 2048]))
                    .send()
                    .await?;
            }
            anyhow::Ok(())
        }
    }));
    let (o, c, b) = tokio::join!(orders_job, carts_job, objects_job);
    o?;
    c?;
    b?;
    let elapsed = started.elapsed();
    emulator.shutdown().await;
    Ok(BenchResult::new("harness_seed_100k_orders_100k_carts_10k_objects", "ms", vec![ms(elapsed)])
        .goal_at_most(20_000.0)
        .note(format!(
            "{orders} orders (SQL), {carts} carts (BatchWriteItem, 16 clients), {objects} objects of 2 KiB (PutObject, 16 clients), in parallel"
        )))
}
