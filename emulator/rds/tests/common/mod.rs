//! Helpers shared by the RDS integration tests: an emulator with RDS on a
//! simulated clock, SDK clients, waiting for statuses, SQL connections.

#![allow(dead_code)]

use aws_sdk_rds::Client;
use firedrill_emu_core::AwsService;
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_rds::Rds;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The master password every test instance uses.
pub const PASSWORD: &str = "s3cret-pass";

/// An emulator serving RDS, or `None` (after printing why) when the machine
/// has no PostgreSQL.
pub async fn start(test: &str) -> Option<(TestServer, Arc<Rds>)> {
    start_with(test, firedrill_emu_core::EmulatorConfig::default()).await
}

/// As [`start`], with `config`.
pub async fn start_with(
    test: &str,
    config: firedrill_emu_core::EmulatorConfig,
) -> Option<(TestServer, Arc<Rds>)> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut holder = None;
    let clock = firedrill_emu_core::Clock::simulated("2026-03-14T12:00:00Z".parse().expect("valid instant"));
    let server = TestServer::start_with(config, clock, |env| {
        let rds = Rds::new(env);
        holder = Some(rds.clone());
        vec![rds as Arc<dyn AwsService>]
    })
    .await;
    let rds = holder.expect("the service was built");
    if let Err(e) = rds.postgres_available() {
        println!("SKIP {test}: PostgreSQL is not available: {e}");
        return None;
    }
    Some((server, rds))
}

/// An RDS client for `region`.
pub async fn client(server: &TestServer, region: &str) -> Client {
    Client::new(&server.sdk_config(region).await)
}

/// Describes one instance.
pub async fn describe(client: &Client, id: &str) -> aws_sdk_rds::types::DbInstance {
    client
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .expect("describe")
        .db_instances()
        .first()
        .cloned()
        .expect("one instance")
}

/// Polls until the instance shows `status` (bounded).
pub async fn wait_status(client: &Client, id: &str, status: &str) -> aws_sdk_rds::types::DbInstance {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let i = describe(client, id).await;
        let now = i.db_instance_status().unwrap_or_default().to_owned();
        if now == status {
            return i;
        }
        assert!(now != "failed", "instance {id} failed");
        assert!(
            Instant::now() < deadline,
            "instance {id} stuck in {now}, wanted {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until DescribeDBInstances says the instance is gone (bounded).
pub async fn wait_gone(client: &Client, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match client
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
        {
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_db_instance_not_found_fault()) =>
            {
                return;
            }
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(_) => {}
        }
        assert!(Instant::now() < deadline, "instance {id} was not deleted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A tokio-postgres connection to the instance's endpoint.
pub async fn connect(
    instance: &aws_sdk_rds::types::DbInstance,
    user: &str,
    db: &str,
) -> tokio_postgres::Client {
    let ep = instance.endpoint().expect("an endpoint");
    connect_to(ep.address().unwrap(), ep.port().unwrap() as u16, user, db).await
}

/// A tokio-postgres connection to host:port.
pub async fn connect_to(host: &str, port: u16, user: &str, db: &str) -> tokio_postgres::Client {
    let conninfo = format!("host={host} port={port} user={user} password={PASSWORD} dbname={db}");
    let (client, conn) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {host}:{port}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Creates a PostgreSQL instance (master `shop`, database `store`) and waits
/// until it is available.
pub async fn create_instance(client: &Client, id: &str, retention: i32) -> aws_sdk_rds::types::DbInstance {
    client
        .create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .db_name("store")
        .backup_retention_period(retention)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("app")
                .value("store")
                .build(),
        )
        .send()
        .await
        .expect("create");
    wait_status(client, id, "available").await
}

/// The service error code of an SDK error.
pub fn code<E: aws_sdk_rds::error::ProvideErrorMetadata + std::fmt::Debug>(
    e: &aws_sdk_rds::error::SdkError<E>,
) -> String {
    e.as_service_error()
        .and_then(|s| s.code())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Seeds `orders(id int primary key, amount int, status text)` with ids 1..=n.
pub async fn seed_orders(db: &tokio_postgres::Client, n: i32) {
    db.batch_execute(
        "CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, amount int NOT NULL, status text NOT NULL)",
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO orders SELECT g, g * 10, 'paid' FROM generate_series(1, $1) g",
        &[&n],
    )
    .await
    .unwrap();
}

/// Every order row, sorted.
pub async fn orders(db: &tokio_postgres::Client) -> Vec<(i32, i32, String)> {
    db.query("SELECT id, amount, status FROM orders ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// Waits (moving the simulated clock a second at a time, bounded) until the
/// instance's LatestRestorableTime reaches `t`, as recovery code must on AWS.
pub async fn wait_restorable(
    client: &Client,
    server: &TestServer,
    id: &str,
    t: chrono::DateTime<chrono::Utc>,
) {
    for _ in 0..100 {
        let i = describe(client, id).await;
        if let Some(lrt) = i.latest_restorable_time()
            && lrt.to_millis().unwrap_or(0) >= t.timestamp_millis()
        {
            return;
        }
        server.advance(chrono::Duration::seconds(1)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("LatestRestorableTime of {id} never reached {t}");
}

/// POSTs a form body to the endpoint over a raw socket, signed for RDS in
/// us-east-1 (the default, lenient signature mode), and returns the status
/// and the body as text.
pub async fn raw_post(endpoint: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
Authorization: AWS4-HMAC-SHA256 Credential=AKIAFIREDRILLTEST/20260314/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=00\r\n\
Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// An emulator serving RDS, or `None` (after printing why) when the machine
/// has no MariaDB (the server behind `mysql`, `mariadb` and `aurora-mysql`).
pub async fn start_mariadb(test: &str) -> Option<(TestServer, Arc<Rds>)> {
    let (server, rds) = start(test).await?;
    if let Err(e) = rds.mariadb_available() {
        println!("SKIP {test}: MariaDB is not available: {e}");
        return None;
    }
    Some((server, rds))
}

/// Creates an instance of `engine` (`mysql` or `mariadb`; master `shop`,
/// database `store`) and waits until it is available.
pub async fn create_mysql_instance(
    client: &Client,
    id: &str,
    engine: &str,
    retention: i32,
) -> aws_sdk_rds::types::DbInstance {
    client
        .create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine(engine)
        .master_username("shop")
        .master_user_password(PASSWORD)
        .db_name("store")
        .backup_retention_period(retention)
        .send()
        .await
        .expect("create");
    wait_status(client, id, "available").await
}

/// A MySQL-protocol connection as the master user to `db` on the
/// instance's endpoint.
pub async fn mysql_connect(instance: &aws_sdk_rds::types::DbInstance, db: &str) -> mysql_async::Conn {
    let ep = instance.endpoint().expect("an endpoint");
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(ep.address().unwrap().to_owned())
        .tcp_port(ep.port().unwrap() as u16)
        .user(Some("shop"))
        .pass(Some(PASSWORD))
        .db_name(Some(db))
        .prefer_socket(false);
    mysql_async::Conn::new(opts)
        .await
        .unwrap_or_else(|e| panic!("connect to {ep:?}: {e}"))
}

/// Every order row of a MySQL-protocol connection, sorted.
pub async fn mysql_orders(db: &mut mysql_async::Conn) -> Vec<(i32, i32, String)> {
    use mysql_async::prelude::Queryable;
    db.query("SELECT id, amount, status FROM orders ORDER BY id")
        .await
        .unwrap()
}

/// Polls until the cluster is `available` (bounded).
pub async fn wait_cluster(c: &aws_sdk_rds::Client, id: &str) -> aws_sdk_rds::types::DbCluster {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let out = c
            .describe_db_clusters()
            .db_cluster_identifier(id)
            .send()
            .await
            .unwrap();
        let cl = out.db_clusters()[0].clone();
        if cl.status() == Some("available") {
            return cl;
        }
        assert!(cl.status() != Some("failed"), "cluster {id} failed");
        assert!(
            Instant::now() < deadline,
            "cluster {id} stuck in {:?}",
            cl.status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
