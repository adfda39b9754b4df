//! The admin API of the assembled emulator, through its HTTP client.

mod common;
use firedrill_emulator::{AdminClientError, ClockMode, Emulator};

#[tokio::test]
async fn health_clock_advance_outage_and_reset() {
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T03:00:00Z".parse().unwrap())
        .start()
        .await
        .expect("emulator starts");
    let admin = emulator.admin();

    let health = admin.health().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.account_id, "000000000000");
    assert_eq!(health.regions, vec!["us-east-1", "us-west-2"]);

    let clock = admin.clock().await.unwrap();
    assert_eq!(clock.mode, ClockMode::Simulated);
    let advanced = admin.advance(12.0 * 3600.0).await.unwrap();
    let moved = advanced.now - clock.now;
    assert!(moved >= chrono::Duration::hours(12), "clock moved only {moved}");
    assert!(moved < chrono::Duration::hours(12) + chrono::Duration::seconds(30));

    let region = admin.set_outage("us-east-1", true).await.unwrap();
    assert!(region.outage);
    assert_eq!(admin.health().await.unwrap().outages, vec!["us-east-1"]);
    match admin.set_outage("mars-north-1", true).await {
        Err(AdminClientError::Refused { status, .. }) => assert_eq!(status, 404),
        other => panic!("expected a 404 for an unknown region, got {other:?}"),
    }
    admin.set_outage("us-east-1", false).await.unwrap();
    assert!(admin.regions().await.unwrap().iter().all(|r| !r.outage));

    admin.set_outage("us-west-2", true).await.unwrap();
    admin.reset().await.unwrap();
    assert!(
        admin.health().await.unwrap().outages.is_empty(),
        "reset ends outages"
    );
    assert!(admin.audit().await.unwrap().is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn real_clock_refuses_to_advance() {
    let emulator = Emulator::builder().start().await.unwrap();
    match emulator.admin().advance(60.0).await {
        Err(AdminClientError::Refused { status, body, .. }) => {
            assert_eq!(status, 409);
            assert!(body.contains("real mode"), "{body}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn temporary_data_dir_is_removed_on_shutdown() {
    let emulator = Emulator::builder().start().await.unwrap();
    let dir = emulator.env().data_dir.clone();
    assert!(dir.exists());
    emulator.shutdown().await;
    assert!(!dir.exists(), "{} should be gone", dir.display());
}

#[tokio::test]
async fn connection_refused_mode_closes_and_reopens_the_region_listener() {
    use aws_sdk_dynamodb::Client;
    let emulator = Emulator::builder()
        .outage_mode(firedrill_emulator::OutageMode::ConnectionRefused)
        .start()
        .await
        .unwrap();
    let east = emulator.region_endpoint("us-east-1").unwrap().to_owned();
    let west = emulator.region_endpoint("us-west-2").unwrap().to_owned();
    let east_client = Client::new(&firedrill_emulator::sdk_config(&east, "us-east-1").await);
    let west_client = Client::new(&firedrill_emulator::sdk_config(&west, "us-west-2").await);
    east_client
        .list_tables()
        .send()
        .await
        .expect("east answers before the outage");

    emulator.set_outage("us-east-1", true).await.unwrap();
    let addr = east.trim_start_matches("http://").to_owned();
    let refused = tokio::net::TcpStream::connect(&addr).await;
    assert!(refused.is_err(), "the dark region's endpoint refuses connections");
    assert!(
        east_client.list_tables().send().await.is_err(),
        "pooled connections were dropped too"
    );
    west_client
        .list_tables()
        .send()
        .await
        .expect("the other region keeps working");
    // The shared endpoint answers 503 for the dark region.
    let shared = Client::new(&emulator.sdk_config("us-east-1").await);
    let err = shared.list_tables().send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));

    emulator.set_outage("us-east-1", false).await.unwrap();
    east_client
        .list_tables()
        .send()
        .await
        .expect("east answers again on the same port");
    emulator.shutdown().await;
}

#[tokio::test]
async fn clock_map_takes_a_batch_and_answers_in_order() {
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T03:00:00Z".parse().unwrap())
        .start()
        .await
        .expect("emulator starts");
    let admin = emulator.admin();
    let before = chrono::Utc::now();
    admin.advance(3600.0).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let after = chrono::Utc::now();
    let walls = vec![after, before, after];
    let batch = admin.emulated_times_for(&walls).await.unwrap();
    let mut singles = Vec::new();
    for w in &walls {
        singles.push(admin.emulated_time_for(*w).await.unwrap());
    }
    assert_eq!(
        batch, singles,
        "a batch maps each instant as a single request does"
    );
    assert!(batch[0] - batch[1] >= chrono::Duration::hours(1), "{batch:?}");
    assert!(admin.emulated_times_for(&[]).await.unwrap().is_empty());

    // A bad entry refuses the whole batch, with the reason.
    let addr: std::net::SocketAddr = emulator.endpoint().trim_start_matches("http://").parse().unwrap();
    let body = r#"[{"wall":"2026-03-14T03:00:00Z"},{"wall":"2026-03-14T03:00:00Z","emulated":"2026-03-14T03:00:00Z"}]"#;
    let request = format!(
        "POST /_firedrill/clock/map HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = common::exchange(addr, request.as_bytes()).await;
    assert_eq!(common::status(&answer), 400, "{answer}");
    assert!(common::body(&answer).contains("exactly one of"), "{answer}");
    emulator.shutdown().await;
}
