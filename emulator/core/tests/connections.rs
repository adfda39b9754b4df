//! More requests in flight than `max_connections`, from the real SDK
//! client: its pool opens one connection per request in flight, so a
//! burst beyond the limit is honest load, and AWS serves it. Connections
//! beyond the limit reclaim idle ones or wait for a slot; none is refused
//! while slots keep freeing, and nothing is dropped without an answer.
//! The idle-reclaim and give-up paths are tested over raw TCP in
//! `transport.rs` and in `transport::slots`.
//!
//! (The benchmark's point-in-time restore writes 1280 batches at once and
//! failed against the 1024-connection default with `ServiceUnavailable`
//! and, past 64 refusals at once, with dispatch failures.)

use aws_sdk_dynamodb::types::AttributeValue;
use firedrill_emu_core::config::TransportLimits;
use firedrill_emu_core::service::{AwsService, BoxFuture};
use firedrill_emu_core::{Body, Clock, EmulatorConfig, Environment, RequestContext};
use futures::future::try_join_all;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Answers every DynamoDB request with an empty JSON object (a valid
/// PutItem and GetItem output) after reading its body, and counts them.
struct Tables {
    served: AtomicUsize,
}

impl AwsService for Tables {
    fn signing_names(&self) -> &'static [&'static str] {
        &["dynamodb"]
    }

    fn handle(&self, _ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let read = firedrill_emu_core::body::collect(req.into_body(), usize::MAX).await;
            // Long enough that the whole burst is in flight at once.
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.served.fetch_add(1, Ordering::SeqCst);
            let status = if read.is_ok() { 200 } else { 400 };
            http::Response::builder()
                .status(status)
                .header("content-type", "application/x-amz-json-1.0")
                .body(Body::from("{}"))
                .unwrap()
        })
    }
}

async fn client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AK", "SK", None, None, "test",
        ))
        // One attempt: a refused request must show, not be retried away.
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_connection_limit_is_served() {
    const MAX: usize = 8;
    const WORKERS: usize = 48;
    const ROUNDS: usize = 4;
    let config = EmulatorConfig {
        transport: TransportLimits {
            max_connections: MAX,
            ..TransportLimits::default()
        },
        ..EmulatorConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let env = Environment::new(config, Clock::real(), dir.path().to_path_buf());
    let tables = Arc::new(Tables {
        served: AtomicUsize::new(0),
    });
    let dispatcher =
        firedrill_emu_core::server::Dispatcher::new(env, vec![tables.clone() as Arc<dyn AwsService>]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = firedrill_emu_core::server::serve(listener, dispatcher).unwrap();
    let endpoint = format!("http://{}", handle.local_addr());
    for round in 0..ROUNDS {
        // Two clients, each with its own pool, as two processes would have;
        // new ones each round, so that the previous round's connections sit
        // idle (or close) while the next burst arrives. (A client reusing a
        // connection at the moment it is reclaimed sees it closed, as with
        // any keep-alive close, and its SDK retries; retries are off here.)
        let clients = [client(&endpoint).await, client(&endpoint).await];
        try_join_all((0..WORKERS).map(|w| {
            let client = clients[w % 2].clone();
            async move {
                let key = AttributeValue::S(format!("cart-{w}"));
                let context = |e: &dyn std::error::Error| format!("worker {w} round {round}: {e:?}");
                if round % 2 == 0 {
                    let put = client.put_item().table_name("carts").item("pk", key);
                    put.send().await.map(drop).map_err(|e| context(&e))
                } else {
                    let get = client.get_item().table_name("carts").key("pk", key);
                    get.send().await.map(drop).map_err(|e| context(&e))
                }
            }
        }))
        .await
        .unwrap();
    }
    assert_eq!(tables.served.load(Ordering::SeqCst), WORKERS * ROUNDS);
    handle.stop().await;
}
