//! Timings a benchmark reports, runnable on demand
//! (`cargo test -p firedrill-emu-rds --test timings -- --ignored --nocapture`):
//! instance create time after warm-up, and the point-in-time restore time of
//! a database of 100k orders with an hour of simulated changes.

mod common;

use aws_smithy_types::DateTime as SdkTime;
use common::*;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check; run with --ignored"]
async fn create_and_restore_times() {
    let Some((server, rds)) = start("create_and_restore_times").await else {
        return;
    };
    rds.prewarm().await.expect("template");
    let c = client(&server, "us-east-1").await;
    let started = Instant::now();
    let i = create_instance(&c, "bench", 7).await;
    println!("create -> available: {:?}", started.elapsed());
    let db = connect(&i, "shop", "store").await;
    seed_orders(&db, 100_000).await;
    let mut t = None;
    for minute in 0..60 {
        db.execute(
            "UPDATE orders SET amount = amount + 1 WHERE id IN (SELECT (random() * 99999)::int + 1 FROM generate_series(1, 200))",
            &[],
        )
        .await
        .unwrap();
        if minute == 30 {
            t = Some(server.env().now());
        }
        server.advance(chrono::Duration::minutes(1)).await;
    }
    let t = t.unwrap();
    let started = Instant::now();
    c.restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("bench")
        .target_db_instance_identifier("bench-restored")
        .restore_time(SdkTime::from_millis(t.timestamp_millis()))
        .send()
        .await
        .expect("restore");
    let r = wait_status(&c, "bench-restored", "available").await;
    println!(
        "PITR restore (100k orders, 1 h of changes) -> available: {:?}",
        started.elapsed()
    );
    let rdb = connect(&r, "shop", "store").await;
    let n: i64 = rdb
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 100_000);
    server.stop().await;
}
