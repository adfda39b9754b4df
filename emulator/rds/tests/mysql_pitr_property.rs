//! Property, for MySQL on MariaDB as `pitr_property` is for PostgreSQL: for
//! a random transaction history and a random cut point T, a point-in-time
//! restore to T holds exactly the rows the history committed by T. Binary
//! log events carry whole seconds, so the history leaves a little over a
//! second of wall time after T before its next commit (commits within T's
//! second of the same archived file are kept; see `mariadb`'s docs). Each
//! case restores a real server, so the default is 4 cases (`PROPTEST_CASES`
//! overrides it).

mod common;

use aws_smithy_types::DateTime as SdkTime;
use common::*;
use mysql_async::prelude::Queryable;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Upsert(i32, i32),
    Delete(i32),
    /// Move the emulator clock forward by this many seconds.
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..12i32, 0..1000i32).prop_map(|(k, v)| Op::Upsert(k, v)),
        2 => (0..12i32).prop_map(Op::Delete),
        1 => (1..3600i64).prop_map(Op::Advance),
    ]
}

fn history() -> impl Strategy<Value = (Vec<Op>, usize)> {
    prop::collection::vec(op(), 2..10).prop_flat_map(|ops| {
        let n = ops.len();
        (Just(ops), 0..=n)
    })
}

#[test]
fn mysql_restore_matches_history_at_random_cut() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some((server, _rds)) = rt.block_on(start_mariadb("mysql_restore_matches_history_at_random_cut"))
    else {
        return;
    };
    let c = rt.block_on(client(&server, "us-east-1"));
    let source = rt.block_on(create_mysql_instance(&c, "history", "mysql", 7));
    let db = tokio::sync::Mutex::new(rt.block_on(mysql_connect(&source, "store")));
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 4,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&history(), |(ops, cut)| {
        let n = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        rt.block_on(async {
            let mut db = db.lock().await;
            let table = format!("h{n}");
            db.query_drop(format!(
                "CREATE TABLE {table} (k int PRIMARY KEY, v int NOT NULL)"
            ))
            .await
            .unwrap();
            let mut model: BTreeMap<i32, i32> = BTreeMap::new();
            let mut at_t: Option<(BTreeMap<i32, i32>, chrono::DateTime<chrono::Utc>)> = None;
            for (i, op) in ops.iter().enumerate() {
                if i == cut {
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    at_t = Some((model.clone(), server.env().now()));
                    tokio::time::sleep(Duration::from_millis(1100)).await;
                }
                match op {
                    Op::Upsert(k, v) => {
                        db.exec_drop(
                            format!(
                                "INSERT INTO {table} VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)"
                            ),
                            (k, v),
                        )
                        .await
                        .unwrap();
                        model.insert(*k, *v);
                    }
                    Op::Delete(k) => {
                        db.exec_drop(format!("DELETE FROM {table} WHERE k = ?"), (k,))
                            .await
                            .unwrap();
                        model.remove(k);
                    }
                    Op::Advance(s) => server.advance(chrono::Duration::seconds(*s)).await,
                }
            }
            let (expected, t) = match at_t {
                Some(x) => x,
                None => {
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    (model.clone(), server.env().now())
                }
            };
            server.advance(chrono::Duration::minutes(1)).await;
            wait_restorable(&c, &server, "history", t).await;
            let target = format!("restored-{n}");
            c.restore_db_instance_to_point_in_time()
                .source_db_instance_identifier("history")
                .target_db_instance_identifier(&target)
                .restore_time(SdkTime::from_millis(t.timestamp_millis()))
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("restore failed: {e:?}")))?;
            let restored = wait_status(&c, &target, "available").await;
            let mut rdb = mysql_connect(&restored, "store").await;
            let rows: BTreeMap<i32, i32> = rdb
                .query::<(i32, i32), _>(format!("SELECT k, v FROM {table}"))
                .await
                .unwrap()
                .into_iter()
                .collect();
            drop(rdb);
            c.delete_db_instance()
                .db_instance_identifier(&target)
                .skip_final_snapshot(true)
                .send()
                .await
                .unwrap();
            prop_assert_eq!(rows, expected, "history {:?} cut at {}", ops, cut);
            Ok(())
        })
    });
    let _ = rt.block_on(db.into_inner().disconnect());
    rt.block_on(server.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}
