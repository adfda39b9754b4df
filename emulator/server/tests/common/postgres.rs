//! The RDS side of the assembled emulator's tests: whether PostgreSQL is
//! installed, waiting for an instance, and a connection to it as the shop.

use firedrill_emulator::EmulatorHandle;
use std::time::{Duration, Instant};

/// Whether the PostgreSQL server binaries are here (tests that start an
/// instance skip, saying why, when they are not).
pub fn postgres_installed() -> bool {
    std::env::var_os("FIREDRILL_PG_BIN").is_some()
        || std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
            .is_ok_and(|o| o.status.success())
        || std::fs::read_dir("/usr/lib/postgresql").is_ok()
}

/// Waits (advancing the emulator clock) until instance `id` is available;
/// returns its endpoint.
pub async fn wait_rds_available(
    rds: &aws_sdk_rds::Client,
    emulator: &EmulatorHandle,
    id: &str,
) -> (String, u16) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = rds
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .unwrap();
        let db = &out.db_instances()[0];
        if db.db_instance_status() == Some("available") {
            let ep = db.endpoint().unwrap();
            return (ep.address().unwrap().to_owned(), ep.port().unwrap() as u16);
        }
        assert!(Instant::now() < deadline, "{id} never became available");
        emulator.advance(chrono::Duration::seconds(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A connection to the `shop` database as `shop`.
pub async fn sql(host: &str, port: u16) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::Config::new()
        .host(host)
        .port(port)
        .user("shop")
        .password("shop-password")
        .dbname("shop")
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}
