//! Point-in-time recovery: the window, exact restores, what a restore
//! carries and drops, AWS's errors, deleted tables, and a property test
//! against a naive model.

use crate::common::*;
use aws_sdk_dynamodb::types::{
    BackupTypeFilter, DeleteRequest, GlobalSecondaryIndex, KeyType, PointInTimeRecoverySpecification,
    PointInTimeRecoveryStatus, Projection, ProjectionType, PutRequest, ScalarAttributeType, TableStatus, Tag,
    WriteRequest,
};
use aws_smithy_types::DateTime as SdkTime;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;

pub fn sdk_time(t: DateTime<Utc>) -> SdkTime {
    SdkTime::from_nanos(t.timestamp_nanos_opt().expect("in range") as i128).expect("valid")
}

pub async fn enable_pitr(env: &Env, table: &str, days: Option<i32>) {
    env.client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .set_recovery_period_in_days(days)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("enable PITR");
}

async fn restore_to(env: &Env, source: &str, target: &str, t: DateTime<Utc>) {
    env.client
        .restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(target)
        .restore_date_time(sdk_time(t))
        .send()
        .await
        .expect("restore");
    env.settle().await;
}

async fn batch(env: &Env, table: &str, reqs: Vec<WriteRequest>) {
    for chunk in reqs.chunks(25) {
        env.client
            .batch_write_item()
            .request_items(table, chunk.to_vec())
            .send()
            .await
            .expect("batch write");
    }
}

fn put_req(i: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(i)).build().unwrap())
        .build()
}

fn del_req(pk: &str) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .set_key(Some(item(&[("pk", s(pk))])))
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test]
async fn restore_brings_back_every_item_as_it_was_at_t() {
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("carts")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("user", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byUser")
                .key_schema(key("user", KeyType::Hash))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("app").value("shop").build().unwrap())
        .send()
        .await
        .unwrap();
    env.settle().await;
    enable_pitr(&env, "carts", None).await;
    let d = c
        .describe_continuous_backups()
        .table_name("carts")
        .send()
        .await
        .unwrap();
    let p = d
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Enabled)
    );
    assert_eq!(p.recovery_period_in_days(), Some(35));

    let reqs = (0..200)
        .map(|i| {
            put_req(item(&[
                ("pk", s(&format!("cart-{i:03}"))),
                ("user", s(&format!("u{}", i % 7))),
                ("qty", n(i)),
            ]))
        })
        .collect();
    batch(&env, "carts", reqs).await;
    env.server.advance(Duration::minutes(3)).await;
    c.update_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("cart-007"))])))
        .update_expression("SET qty = :q")
        .expression_attribute_values(":q", n(700))
        .send()
        .await
        .unwrap();
    // T is the instant right after the last acknowledged write.
    let t = env.now();
    let before = scan_all(c, "carts").await;
    // A write acknowledged after T is not part of the restore, however close.
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("cart-late")), ("user", s("u1"))])))
        .send()
        .await
        .unwrap();
    env.server.advance(Duration::minutes(2)).await;

    // The disaster: a batch delete and corrupted writes.
    batch(
        &env,
        "carts",
        (0..120).map(|i| del_req(&format!("cart-{i:03}"))).collect(),
    )
    .await;
    batch(
        &env,
        "carts",
        (120..200)
            .map(|i| put_req(item(&[("pk", s(&format!("cart-{i:03}"))), ("qty", s("CORRUPT"))])))
            .collect(),
    )
    .await;
    assert_eq!(scan_all(c, "carts").await.len(), 81);

    let out = c
        .restore_table_to_point_in_time()
        .source_table_name("carts")
        .target_table_name("carts-restored")
        .restore_date_time(sdk_time(t))
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(d.table_status(), Some(&TableStatus::Creating));
    let summary = d.restore_summary().unwrap();
    assert_eq!(
        summary.source_table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/carts")
    );
    assert!(summary.restore_in_progress());
    let restored_at = summary.restore_date_time().to_millis().unwrap();
    assert_eq!(restored_at, t.timestamp_millis());
    // The new table is not usable until ACTIVE.
    let err = c.scan().table_name("carts-restored").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    env.settle().await;
    let d = c
        .describe_table()
        .table_name("carts-restored")
        .send()
        .await
        .unwrap();
    let table = d.table().unwrap();
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    assert!(!table.restore_summary().unwrap().restore_in_progress());
    assert_eq!(table.global_secondary_indexes().len(), 1, "GSIs are kept");
    assert_eq!(table.item_count(), Some(200));

    let after = scan_all(c, "carts-restored").await;
    assert_eq!(after.len(), before.len());
    assert_eq!(after, before, "every item is back exactly as it was at T");

    // Tags and PITR are not carried to the restored table.
    let tags = c
        .list_tags_of_resource()
        .resource_arn(table.table_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
    let cb = c
        .describe_continuous_backups()
        .table_name("carts-restored")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cb.continuous_backups_description()
            .unwrap()
            .point_in_time_recovery_description()
            .unwrap()
            .point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
    // The GSI of the restored table answers.
    let q = c
        .query()
        .table_name("carts-restored")
        .index_name("byUser")
        .key_condition_expression("#u = :u")
        .expression_attribute_names("#u", "user")
        .expression_attribute_values(":u", s("u0"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 29);

    // UseLatestRestorableTime brings back the current (damaged) state.
    c.restore_table_to_point_in_time()
        .source_table_name("carts")
        .target_table_name("carts-latest")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    env.settle().await;
    assert_eq!(scan_all(c, "carts-latest").await, scan_all(c, "carts").await);
}

#[tokio::test]
async fn the_window_and_the_errors_are_aws_s() {
    let env = start().await;
    let c = &env.client;
    env.table("orders", None).await;
    env.table("plain", None).await;
    let restore = |source: &str, target: &str, t: DateTime<Utc>| {
        c.restore_table_to_point_in_time()
            .source_table_name(source)
            .target_table_name(target)
            .restore_date_time(sdk_time(t))
            .send()
    };
    let err = restore("plain", "tab-x1", env.now()).await.unwrap_err();
    assert_eq!(code(&err), "PointInTimeRecoveryUnavailableException");
    let audit = env.server.env().audit.events();
    let refused = audit
        .iter()
        .find(|e| e.event_name == "RestoreTableToPointInTime")
        .expect("the refused restore is audited");
    assert_eq!(refused.result, "PointInTimeRecoveryUnavailableException");
    assert_eq!(refused.resource, "plain");
    assert_eq!(
        refused.principal,
        "arn:aws:iam::000000000000:user/AKIAFIREDRILLTEST"
    );
    let err = restore("missing", "tab-x1", env.now()).await.unwrap_err();
    assert_eq!(code(&err), "TableNotFoundException");
    let err = c
        .describe_continuous_backups()
        .table_name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "TableNotFoundException");

    let enabled = env.now();
    enable_pitr(&env, "orders", Some(1)).await;
    c.put_item()
        .table_name("orders")
        .set_item(Some(item(&[("pk", s("o1"))])))
        .send()
        .await
        .unwrap();
    let err = restore("orders", "plain", env.now()).await.unwrap_err();
    assert_eq!(code(&err), "TableAlreadyExistsException");
    let err = restore("orders", "tab-x1", enabled - Duration::minutes(1))
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRestoreTimeException");
    let err = restore("orders", "tab-x1", env.now() + Duration::minutes(1))
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRestoreTimeException");
    let err = c
        .update_continuous_backups()
        .table_name("orders")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .recovery_period_in_days(36)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");

    // Two days later the one-day window has moved on.
    env.server.advance(Duration::days(2)).await;
    let d = c
        .describe_continuous_backups()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    let p = d
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    let earliest = p.earliest_restorable_date_time().unwrap().to_millis().unwrap();
    let latest = p.latest_restorable_date_time().unwrap().to_millis().unwrap();
    let now = env.now().timestamp_millis();
    assert!(
        (now - 86_400_000 - earliest).abs() < 2_000,
        "earliest is now - 1 day"
    );
    assert!(
        (now - latest).abs() < 2_000,
        "latest is now (no lag in the fast preset)"
    );
    let err = restore("orders", "tab-x1", env.now() - Duration::hours(36))
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRestoreTimeException");
    // The item written two days ago is still restorable at the window's start.
    restore_to(&env, "orders", "tab-x2", env.now() - Duration::hours(20)).await;
    assert_eq!(scan_all(c, "tab-x2").await.len(), 1);

    // Off discards the window; on again restarts it.
    c.update_continuous_backups()
        .table_name("orders")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let err = restore("orders", "tab-x3", env.now()).await.unwrap_err();
    assert_eq!(code(&err), "PointInTimeRecoveryUnavailableException");
    env.server.advance(Duration::minutes(1)).await;
    let again = env.now();
    enable_pitr(&env, "orders", None).await;
    let err = restore("orders", "tab-x3", again - Duration::seconds(30))
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRestoreTimeException");
    let d = c
        .describe_continuous_backups()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    let p = d
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert!(p.earliest_restorable_date_time().unwrap().to_millis().unwrap() >= again.timestamp_millis());
}

#[tokio::test]
async fn deleting_a_pitr_table_keeps_a_system_backup_and_its_history() {
    let env = start().await;
    let c = &env.client;
    env.table("sessions", None).await;
    enable_pitr(&env, "sessions", Some(7)).await;
    batch(
        &env,
        "sessions",
        (0..30)
            .map(|i| put_req(item(&[("pk", s(&format!("s{i}")))])))
            .collect(),
    )
    .await;
    let t_full = env.now();
    env.server.advance(Duration::minutes(1)).await;
    batch(
        &env,
        "sessions",
        (0..10).map(|i| del_req(&format!("s{i}"))).collect(),
    )
    .await;
    let at_delete = scan_all(c, "sessions").await;
    env.server.advance(Duration::minutes(1)).await;
    c.delete_table().table_name("sessions").send().await.unwrap();
    env.settle().await;

    let user = c.list_backups().send().await.unwrap();
    assert!(user.backup_summaries().is_empty(), "USER is the default filter");
    let sys = c
        .list_backups()
        .backup_type(BackupTypeFilter::System)
        .send()
        .await
        .unwrap();
    assert_eq!(sys.backup_summaries().len(), 1);
    let b = &sys.backup_summaries()[0];
    assert_eq!(b.backup_name(), Some("sessions$DeletedTableBackup"));
    assert!(b.backup_expiry_date_time().is_some());
    let all = c
        .list_backups()
        .backup_type(BackupTypeFilter::All)
        .send()
        .await
        .unwrap();
    assert_eq!(all.backup_summaries().len(), 1);

    c.restore_table_from_backup()
        .backup_arn(b.backup_arn().unwrap())
        .target_table_name("sessions")
        .send()
        .await
        .unwrap();
    env.settle().await;
    assert_eq!(scan_all(c, "sessions").await, at_delete);

    // The deleted table's history is restorable by its ARN within the window.
    c.restore_table_to_point_in_time()
        .source_table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/sessions")
        .target_table_name("sessions-full")
        .restore_date_time(sdk_time(t_full))
        .send()
        .await
        .unwrap();
    env.settle().await;
    assert_eq!(scan_all(c, "sessions-full").await.len(), 30);

    // After the recovery period the system backup expires.
    env.server.advance(Duration::days(8)).await;
    let sys = c
        .list_backups()
        .backup_type(BackupTypeFilter::System)
        .send()
        .await
        .unwrap();
    assert!(sys.backup_summaries().is_empty());
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Op {
    Put(u8, i64),
    Add(u8, i64),
    Delete(u8),
    Advance(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..8, -50i64..50).prop_map(|(k, v)| Op::Put(k, v)),
        3 => (0u8..8, 1i64..10).prop_map(|(k, v)| Op::Add(k, v)),
        2 => (0u8..8).prop_map(Op::Delete),
        2 => (1u32..120_000).prop_map(Op::Advance),
    ]
}

async fn run_history(ops: Vec<Op>, picks: Vec<prop::sample::Index>) {
    let env = start().await;
    let c = &env.client;
    env.table("hist", None).await;
    enable_pitr(&env, "hist", None).await;
    let mut model: BTreeMap<u8, i64> = BTreeMap::new();
    let mut checkpoints: Vec<(DateTime<Utc>, BTreeMap<u8, i64>)> = vec![(env.now(), model.clone())];
    for op in &ops {
        match *op {
            Op::Put(k, v) => {
                c.put_item()
                    .table_name("hist")
                    .set_item(Some(item(&[("pk", s(&format!("k{k}"))), ("v", n(v))])))
                    .send()
                    .await
                    .unwrap();
                model.insert(k, v);
            }
            Op::Add(k, d) => {
                c.update_item()
                    .table_name("hist")
                    .set_key(Some(item(&[("pk", s(&format!("k{k}")))])))
                    .update_expression("ADD v :d")
                    .expression_attribute_values(":d", n(d))
                    .send()
                    .await
                    .unwrap();
                *model.entry(k).or_insert(0) += d;
            }
            Op::Delete(k) => {
                c.delete_item()
                    .table_name("hist")
                    .set_key(Some(item(&[("pk", s(&format!("k{k}")))])))
                    .send()
                    .await
                    .unwrap();
                model.remove(&k);
            }
            Op::Advance(ms) => env.server.advance(Duration::milliseconds(ms as i64)).await,
        }
        checkpoints.push((env.now(), model.clone()));
    }
    for (i, pick) in picks.iter().enumerate() {
        let (t, expected) = &checkpoints[pick.index(checkpoints.len())];
        let target = format!("restored-{i}");
        restore_to(&env, "hist", &target, *t).await;
        let got: BTreeMap<u8, i64> = scan_all(c, &target)
            .await
            .iter()
            .map(|it| {
                let k: u8 = it["pk"].as_s().unwrap()[1..].parse().unwrap();
                let v: i64 = it["v"].as_n().unwrap().parse().unwrap();
                (k, v)
            })
            .collect();
        assert_eq!(
            &got,
            expected,
            "restore to checkpoint {} of {}",
            pick.index(checkpoints.len()),
            checkpoints.len()
        );
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn restore_at_any_instant_equals_the_model_replayed_to_it(
        ops in prop::collection::vec(op(), 1..60),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 3),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run_history(ops, picks));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_are_restored_by_their_acknowledgement_time() {
    let env = std::sync::Arc::new(start().await);
    env.table("orders", None).await;
    enable_pitr(&env, "orders", None).await;
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..6u32 {
        let env = env.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let mut log = Vec::new();
            for i in 0..40u32 {
                let k = format!("w{w}-{i:02}");
                let invoked = env.now();
                env.client
                    .put_item()
                    .table_name("orders")
                    .set_item(Some(item(&[("pk", s(&k))])))
                    .send()
                    .await
                    .unwrap();
                log.push((k, invoked, env.now()));
                acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            log
        }));
    }
    // Note T while the writers run: once a quarter of the writes are acknowledged.
    for _ in 0..10_000 {
        if acked.load(std::sync::atomic::Ordering::SeqCst) >= 60 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let t = env.now();
    let mut log = Vec::new();
    for task in tasks {
        log.extend(task.await.unwrap());
    }
    let target = "orders-at-t";
    env.client
        .restore_table_to_point_in_time()
        .source_table_name("orders")
        .target_table_name(target)
        .restore_date_time(sdk_time(t))
        .send()
        .await
        .unwrap();
    env.settle().await;
    let restored: std::collections::BTreeSet<String> = scan_all(&env.client, target)
        .await
        .iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    let (mut before, mut after) = (0, 0);
    for (k, invoked, acked) in &log {
        if *acked <= t {
            before += 1;
            assert!(
                restored.contains(k),
                "{k} was acknowledged before T but is missing"
            );
        } else if *invoked > t {
            after += 1;
            assert!(!restored.contains(k), "{k} was invoked after T but is present");
        }
    }
    assert!(
        before > 0 && after > 0,
        "T fell inside the run ({before} before, {after} after)"
    );
}

#[tokio::test]
async fn restores_keep_indexes_capacity_and_encryption_unless_overridden() {
    use aws_sdk_dynamodb::types::{BillingMode, ProvisionedThroughput, SseSpecification, SseStatus};
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("orders")
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("status", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(7)
                .write_capacity_units(3)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byStatus")
                .key_schema(key("status", KeyType::Hash))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .provisioned_throughput(
                    ProvisionedThroughput::builder()
                        .read_capacity_units(2)
                        .write_capacity_units(2)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .sse_specification(SseSpecification::builder().enabled(true).build())
        .send()
        .await
        .unwrap();
    env.settle().await;
    enable_pitr(&env, "orders", None).await;
    c.put_item()
        .table_name("orders")
        .set_item(Some(item(&[("pk", s("o1")), ("status", s("paid"))])))
        .send()
        .await
        .unwrap();
    let t = env.now();

    restore_to(&env, "orders", "orders-same", t).await;
    let d = c.describe_table().table_name("orders-same").send().await.unwrap();
    let same = d.table().unwrap();
    assert_eq!(
        same.provisioned_throughput().unwrap().read_capacity_units(),
        Some(7)
    );
    assert_eq!(same.global_secondary_indexes().len(), 1);
    assert_eq!(
        same.sse_description().unwrap().status(),
        Some(&SseStatus::Enabled)
    );

    c.restore_table_to_point_in_time()
        .source_table_name("orders")
        .target_table_name("orders-lean")
        .restore_date_time(sdk_time(t))
        .billing_mode_override(BillingMode::PayPerRequest)
        .set_global_secondary_index_override(Some(vec![]))
        .send()
        .await
        .unwrap();
    env.settle().await;
    let d = c.describe_table().table_name("orders-lean").send().await.unwrap();
    let lean = d.table().unwrap();
    assert_eq!(
        lean.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    assert!(lean.global_secondary_indexes().is_empty());
    assert_eq!(
        lean.attribute_definitions().len(),
        1,
        "only the table key remains defined"
    );
    assert_eq!(scan_all(c, "orders-lean").await.len(), 1);
}

#[tokio::test]
async fn a_table_is_restored_into_another_region_unless_its_region_is_dark() {
    let env = start().await;
    env.table("carts", None).await;
    enable_pitr(&env, "carts", None).await;
    batch(
        &env,
        "carts",
        (0..12)
            .map(|i| put_req(item(&[("pk", s(&format!("c{i}")))])))
            .collect(),
    )
    .await;
    let t = env.now();
    let west_config = aws_sdk_dynamodb::config::Builder::from(&env.server.sdk_config("us-west-2").await)
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .build();
    let west = aws_sdk_dynamodb::Client::from_conf(west_config);
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/carts";
    let out = west
        .restore_table_to_point_in_time()
        .source_table_arn(arn)
        .target_table_name("carts-dr")
        .restore_date_time(sdk_time(t))
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(
        d.table_arn(),
        Some("arn:aws:dynamodb:us-west-2:000000000000:table/carts-dr")
    );
    assert_eq!(d.restore_summary().unwrap().source_table_arn(), Some(arn));
    env.settle().await;
    assert_eq!(scan_all(&west, "carts-dr").await.len(), 12);

    env.server.dispatcher.set_outage("us-east-1", true).await.unwrap();
    let err = west
        .restore_table_to_point_in_time()
        .source_table_arn(arn)
        .target_table_name("carts-dr2")
        .restore_date_time(sdk_time(t))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InternalServerError");
    env.server
        .dispatcher
        .set_outage("us-east-1", false)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_aws_preset_trails_latest_restorable_time_by_five_minutes() {
    use firedrill_emu_core::{Clock, EmulatorConfig, Fidelity};
    let config = EmulatorConfig {
        fidelity: Fidelity::Aws,
        timings: Fidelity::Aws.settings(),
        ..EmulatorConfig::default()
    };
    let clock = Clock::simulated("2026-03-14T12:00:00Z".parse().unwrap());
    let server = firedrill_emu_core::testing::TestServer::start_with(config, clock, |env| {
        vec![firedrill_emu_dynamodb::DynamoDb::new(env) as std::sync::Arc<dyn firedrill_emu_core::AwsService>]
    })
    .await;
    let c = aws_sdk_dynamodb::Client::new(&server.sdk_config("us-east-1").await);
    c.create_table()
        .table_name("carts")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .send()
        .await
        .unwrap();
    server.advance(Duration::seconds(2)).await;
    let d = c.describe_table().table_name("carts").send().await.unwrap();
    assert_eq!(
        d.table().unwrap().table_status(),
        Some(&TableStatus::Creating),
        "5 s to create in the aws preset"
    );
    server.advance(Duration::seconds(4)).await;
    c.update_continuous_backups()
        .table_name("carts")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1"))])))
        .send()
        .await
        .unwrap();
    let t = server.env().now();
    server.advance(Duration::minutes(10)).await;
    let d = c
        .describe_continuous_backups()
        .table_name("carts")
        .send()
        .await
        .unwrap();
    let p = d
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    let latest = p.latest_restorable_date_time().unwrap().to_millis().unwrap();
    let now = server.env().now().timestamp_millis();
    assert!(
        (now - 300_000 - latest).abs() < 2_000,
        "latest is five minutes behind now"
    );
    let err = c
        .restore_table_to_point_in_time()
        .source_table_name("carts")
        .target_table_name("too-recent")
        .restore_date_time(sdk_time(server.env().now() - Duration::minutes(1)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRestoreTimeException");
    c.restore_table_to_point_in_time()
        .source_table_name("carts")
        .target_table_name("carts-t")
        .restore_date_time(sdk_time(t))
        .send()
        .await
        .unwrap();
    // The restore takes the restore-time model's time (20 minutes and more).
    let restoring = server
        .env()
        .timings
        .operations()
        .pop()
        .expect("the restore was timed");
    server.advance(restoring.completes_at - server.env().now()).await;
    assert_eq!(scan_all(&c, "carts-t").await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn history_is_pruned_to_the_recovery_period() {
    let env = start().await;
    env.table("counters", None).await;
    enable_pitr(&env, "counters", Some(1)).await;
    for i in 0..50 {
        env.client
            .put_item()
            .table_name("counters")
            .set_item(Some(item(&[("pk", s("c")), ("v", n(i))])))
            .send()
            .await
            .unwrap();
        env.client
            .put_item()
            .table_name("counters")
            .set_item(Some(item(&[("pk", s(&format!("gone-{i}")))])))
            .send()
            .await
            .unwrap();
        env.client
            .delete_item()
            .table_name("counters")
            .set_key(Some(item(&[("pk", s(&format!("gone-{i}")))])))
            .send()
            .await
            .unwrap();
    }
    let versions = |env: &Env| {
        let region = env.ddb.engine().region("us-east-1");
        let r = region.read();
        r.tables["counters"].history.as_ref().unwrap().version_count()
    };
    assert_eq!(versions(&env), 150);
    env.server.advance(Duration::days(2)).await;
    assert_eq!(
        versions(&env),
        1,
        "only the version in force at the window's start is kept"
    );
    restore_to(&env, "counters", "counters-now", env.now() - Duration::hours(1)).await;
    let items = scan_all(&env.client, "counters-now").await;
    assert_eq!(items, vec![item(&[("pk", s("c")), ("v", n(49))])]);
}
