//! The AWS CLI against the emulator: create-db-instance, describe until
//! available, write with psql (or, for engine mysql, the `mariadb` client),
//! restore-db-instance-to-point-in-time, read the restored rows back.
//! Skipped (with a printed reason) when `aws`, `psql` or `mariadb` is
//! missing.

mod common;

use common::*;
use firedrill_emu_core::testing::{aws_cli, have};
use std::time::{Duration, Instant};

async fn aws(endpoint: &str, args: &[&str]) -> serde_json::Value {
    aws_cli(endpoint, "rds", args).await
}

async fn psql(port: u16, sql: &str) -> String {
    let out = tokio::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "shop",
            "-d",
            "store",
            "-tA",
            "-c",
            sql,
        ])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .await
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn mariadb(port: u16, sql: &str) -> String {
    let out = tokio::process::Command::new("mariadb")
        .args([
            "--no-defaults",
            "-h",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "-u",
            "shop",
            "-N",
            "-B",
            "-e",
            sql,
            "store",
        ])
        .env("MYSQL_PWD", PASSWORD)
        .output()
        .await
        .expect("run mariadb");
    assert!(
        out.status.success(),
        "mariadb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn wait_available(endpoint: &str, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = aws(
            endpoint,
            &["describe-db-instances", "--db-instance-identifier", id],
        )
        .await;
        let i = out["DBInstances"][0].clone();
        if i["DBInstanceStatus"] == "available" {
            return i;
        }
        assert!(Instant::now() < deadline, "{id} not available: {i}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_create_describe_restore_psql() {
    for tool in ["aws", "psql"] {
        if !have(tool) {
            println!("SKIP aws_cli_create_describe_restore_psql: `{tool}` is not installed");
            return;
        }
    }
    let Some((server, _rds)) = start("aws_cli_create_describe_restore_psql").await else {
        return;
    };
    let ep = server.endpoint.clone();
    let created = aws(
        &ep,
        &[
            "create-db-instance",
            "--db-instance-identifier",
            "cli-db",
            "--db-instance-class",
            "db.t3.micro",
            "--engine",
            "postgres",
            "--master-username",
            "shop",
            "--master-user-password",
            PASSWORD,
            "--db-name",
            "store",
            "--backup-retention-period",
            "3",
        ],
    )
    .await;
    assert_eq!(created["DBInstance"]["DBInstanceStatus"], "creating");
    let i = wait_available(&ep, "cli-db").await;
    assert_eq!(i["Endpoint"]["Address"], "127.0.0.1");
    let port = i["Endpoint"]["Port"].as_u64().unwrap() as u16;
    psql(port, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)").await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    psql(port, "INSERT INTO t VALUES (2)").await;
    server.advance(chrono::Duration::minutes(2)).await;
    let i = wait_available(&ep, "cli-db").await;
    assert!(i["LatestRestorableTime"].is_string(), "{i}");

    let restore_time = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    aws(
        &ep,
        &[
            "restore-db-instance-to-point-in-time",
            "--source-db-instance-identifier",
            "cli-db",
            "--target-db-instance-identifier",
            "cli-restored",
            "--restore-time",
            &restore_time,
        ],
    )
    .await;
    let r = wait_available(&ep, "cli-restored").await;
    let rport = r["Endpoint"]["Port"].as_u64().unwrap() as u16;
    assert_eq!(
        psql(rport, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t").await,
        "1"
    );
    assert_eq!(
        psql(port, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t").await,
        "1,2"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_mysql_create_restore_mariadb_client() {
    for tool in ["aws", "mariadb"] {
        if !have(tool) {
            println!("SKIP aws_cli_mysql_create_restore_mariadb_client: `{tool}` is not installed");
            return;
        }
    }
    let Some((server, _rds)) = start_mariadb("aws_cli_mysql_create_restore_mariadb_client").await else {
        return;
    };
    let ep = server.endpoint.clone();
    let created = aws(
        &ep,
        &[
            "create-db-instance",
            "--db-instance-identifier",
            "cli-mysql",
            "--db-instance-class",
            "db.t3.micro",
            "--engine",
            "mysql",
            "--master-username",
            "shop",
            "--master-user-password",
            PASSWORD,
            "--db-name",
            "store",
            "--backup-retention-period",
            "3",
        ],
    )
    .await;
    assert_eq!(created["DBInstance"]["Engine"], "mysql");
    let i = wait_available(&ep, "cli-mysql").await;
    let port = i["Endpoint"]["Port"].as_u64().unwrap() as u16;
    mariadb(port, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)").await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t = server.env().now();
    // Binary log events carry whole seconds: the next commit is in a later one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    mariadb(port, "INSERT INTO t VALUES (2)").await;
    server.advance(chrono::Duration::minutes(2)).await;
    let i = wait_available(&ep, "cli-mysql").await;
    assert!(i["LatestRestorableTime"].is_string(), "{i}");

    let restore_time = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    aws(
        &ep,
        &[
            "restore-db-instance-to-point-in-time",
            "--source-db-instance-identifier",
            "cli-mysql",
            "--target-db-instance-identifier",
            "cli-mysql-restored",
            "--restore-time",
            &restore_time,
        ],
    )
    .await;
    let r = wait_available(&ep, "cli-mysql-restored").await;
    assert_eq!(r["Engine"], "mysql");
    let rport = r["Endpoint"]["Port"].as_u64().unwrap() as u16;
    assert_eq!(
        mariadb(rport, "SELECT GROUP_CONCAT(x ORDER BY x) FROM t").await,
        "1"
    );
    assert_eq!(
        mariadb(port, "SELECT GROUP_CONCAT(x ORDER BY x) FROM t").await,
        "1,2"
    );
    server.stop().await;
}
