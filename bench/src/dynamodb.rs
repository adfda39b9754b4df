//! DynamoDB: PutItem/GetItem per second through aws-sdk-dynamodb on loopback,
//! sequential and 32 concurrent (optionally against another endpoint, as a
//! ratio), and the time to restore a 100k-item table with 1M changes of
//! history to a point in time (goal: under 1 s).

use crate::measure::{BenchResult, ms, rate};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    PutRequest, ScalarAttributeType, TableStatus, WriteRequest,
};
use firedrill_emulator::Emulator;
use futures::future::try_join_all;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const CONCURRENCY: usize = 32;

async fn create_table(client: &Client, name: &str) -> anyhow::Result<()> {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .send()
        .await?;
    wait_active(client, name).await
}

async fn wait_active(client: &Client, name: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = client.describe_table().table_name(name).send().await?;
        if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "table {name} not ACTIVE after 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn put(client: &Client, table: &str, i: usize) -> anyhow::Result<()> {
    client
        .put_item()
        .table_name(table)
        .item("pk", Av::S(format!("cart-{i}")))
        .item("total", Av::N(format!("{}", i % 1000)))
        .item("status", Av::S("open".into()))
        .send()
        .await?;
    Ok(())
}

async fn get(client: &Client, table: &str, i: usize) -> anyhow::Result<()> {
    client
        .get_item()
        .table_name(table)
        .key("pk", Av::S(format!("cart-{i}")))
        .send()
        .await?;
    Ok(())
}

/// Ops per second for `n` puts (or gets) with `concurrency` workers.
async fn load(client: &Client, table: &str, n: usize, concurrency: usize, gets: bool) -> anyhow::Result<f64> {
    let start = Instant::now();
    let per_worker = n / concurrency;
    try_join_all((0..concurrency).map(|w| {
        let client = client.clone();
        let table = table.to_owned();
        async move {
            for j in 0..per_worker {
                let i = w * per_worker + j;
                if gets {
                    get(&client, &table, i).await?;
                } else {
                    put(&client, &table, i).await?;
                }
            }
            anyhow::Ok(())
        }
    }))
    .await?;
    Ok(rate(per_worker * concurrency, start.elapsed()))
}

async fn throughput_against(client: &Client, label: &str, ops: usize) -> anyhow::Result<Vec<BenchResult>> {
    let table = format!("bench-{}", std::process::id());
    create_table(client, &table).await?;
    let mut out = Vec::new();
    for (concurrency, kind) in [(1, "sequential"), (CONCURRENCY, "concurrent32")] {
        let mut puts = Vec::new();
        let mut gets = Vec::new();
        for _ in 0..ROUNDS {
            puts.push(load(client, &table, ops, concurrency, false).await?);
            gets.push(load(client, &table, ops, concurrency, true).await?);
        }
        out.push(BenchResult::new(
            format!("dynamodb_put_item_{kind}{label}"),
            "ops/s",
            puts,
        ));
        out.push(BenchResult::new(
            format!("dynamodb_get_item_{kind}{label}"),
            "ops/s",
            gets,
        ));
    }
    client.delete_table().table_name(&table).send().await?;
    Ok(out)
}

/// PutItem/GetItem throughput on the embedded emulator, and against `vs` when given.
pub async fn throughput(
    vs: Option<&str>,
    min_ratio: Option<f64>,
    scale: usize,
) -> anyhow::Result<Vec<BenchResult>> {
    let ops = 4000 / scale;
    let emulator = Emulator::builder().start().await?;
    emulator.settle().await;
    let client = Client::new(&emulator.sdk_config("us-east-1").await);
    let mut results = throughput_against(&client, "", ops).await?;
    emulator.shutdown().await;
    if let Some(url) = vs {
        let other = Client::new(&firedrill_emu_core::sdk::sdk_config(url, "us-east-1").await);
        let theirs = throughput_against(&other, "_vs", ops).await?;
        let ratios: Vec<BenchResult> = results
            .iter()
            .zip(&theirs)
            .map(|(ours, them)| {
                let ratio = BenchResult::new(
                    format!("{}_ratio_vs", ours.name),
                    "x",
                    vec![ours.median / them.median.max(1e-9)],
                )
                .note(format!(
                    "firedrill median / {url} median, same client and machine"
                ));
                match min_ratio {
                    Some(min) => ratio.goal_at_least(min),
                    None => ratio,
                }
            })
            .collect();
        results.extend(theirs.into_iter().map(|r| r.note(format!("against {url}"))));
        results.extend(ratios);
    }
    Ok(results)
}

/// Restore time of a 100k-item table with 1M changes of history.
pub async fn pitr_restore(scale: usize) -> anyhow::Result<BenchResult> {
    let items = 100_000 / scale;
    let changes = 1_000_000 / scale;
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T00:00:00Z".parse()?)
        .start()
        .await?;
    emulator.settle().await;
    let client = Client::new(&emulator.sdk_config("us-east-1").await);
    create_table(&client, "history").await?;
    client
        .update_continuous_backups()
        .table_name("history")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()?,
        )
        .send()
        .await?;
    // 1M writes over 100k keys in batches of 25, 32 batches in flight; the
    // clock moves a second every 1000 writes so history spans many instants.
    let batches = changes / 25;
    let mut written = 0usize;
    while written < batches {
        let wave = (batches - written).min(CONCURRENCY * 40);
        try_join_all((0..wave).map(|b| {
            let client = client.clone();
            let base = (written + b) * 25;
            async move {
                let requests: Vec<WriteRequest> = (0..25)
                    .map(|k| {
                        let i = base + k;
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder()
                                    .item("pk", Av::S(format!("cart-{}", i % items)))
                                    .item("version", Av::N(i.to_string()))
                                    .build()
                                    .expect("key given"),
                            )
                            .build()
                    })
                    .collect();
                client
                    .batch_write_item()
                    .request_items("history", requests)
                    .send()
                    .await?;
                anyhow::Ok(())
            }
        }))
        .await?;
        written += wave;
        emulator.advance(chrono::Duration::seconds(1)).await?;
    }
    let restore_to = emulator.now() - chrono::Duration::milliseconds(500);
    emulator.advance(chrono::Duration::seconds(10)).await?;
    let mut samples = Vec::new();
    for round in 0..ROUNDS {
        let target = format!("restored-{round}");
        let t = Instant::now();
        client
            .restore_table_to_point_in_time()
            .source_table_name("history")
            .target_table_name(&target)
            .restore_date_time(aws_smithy_types::DateTime::from_millis(
                restore_to.timestamp_millis(),
            ))
            .send()
            .await?;
        samples.push(ms(t.elapsed()));
    }
    emulator.shutdown().await;
    Ok(
        BenchResult::new("dynamodb_pitr_restore_100k_items_1m_changes", "ms", samples)
            .goal_at_most(1000.0)
            .note(format!(
                "{items} items, {changes} changes; RestoreTableToPointInTime call latency (the table is rebuilt before the call returns, then CREATING for the fidelity delay)"
            )),
    )
}
