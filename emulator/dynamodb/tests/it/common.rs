//! Shared helpers: a test server with DynamoDB, a client, and tables that
//! are waited for the way client code must wait on AWS.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType,
};
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_dynamodb::DynamoDb;
use std::collections::HashMap;
use std::sync::Arc;

pub type Item = HashMap<String, AttributeValue>;

pub struct Env {
    pub server: TestServer,
    pub ddb: Arc<DynamoDb>,
    pub client: Client,
}

pub async fn start() -> Env {
    start_with(firedrill_emu_core::EmulatorConfig::default()).await
}

/// A test server with `config` and a simulated clock at 2026-03-14T12:00:00Z.
pub async fn start_with(config: firedrill_emu_core::EmulatorConfig) -> Env {
    let mut ddb = None;
    let clock = firedrill_emu_core::Clock::simulated("2026-03-14T12:00:00Z".parse().expect("valid instant"));
    let server = TestServer::start_with(config, clock, |env| {
        let d = DynamoDb::new(env);
        ddb = Some(d.clone());
        vec![d as Arc<dyn firedrill_emu_core::AwsService>]
    })
    .await;
    let client = Client::new(&server.sdk_config("us-east-1").await);
    Env {
        server,
        ddb: ddb.expect("service built"),
        client,
    }
}

impl Env {
    /// A client for another region of the same server.
    pub async fn client_in(&self, region: &str) -> Client {
        Client::new(&self.server.sdk_config(region).await)
    }

    /// Lets the create/delete delay pass on the simulated clock.
    pub async fn settle(&self) {
        self.server.advance(chrono::Duration::seconds(1)).await;
    }

    /// The emulator's current instant.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.server.env().now()
    }

    /// Creates an on-demand table keyed by `pk` (S) and, optionally, `sk`
    /// of type `sk_type`, and waits until it is ACTIVE.
    pub async fn table(&self, name: &str, sk: Option<ScalarAttributeType>) {
        let mut req = self
            .client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(def("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash));
        if let Some(t) = sk {
            req = req
                .attribute_definitions(def("sk", t))
                .key_schema(key("sk", KeyType::Range));
        }
        req.send().await.expect("create table");
        self.settle().await;
    }

    /// Turns time to live on for `table`, on attribute `attribute`.
    pub async fn enable_ttl(&self, table: &str, attribute: &str) {
        self.client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(attribute)
                    .build()
                    .expect("specification"),
            )
            .send()
            .await
            .expect("update time to live");
    }

    /// Creates an on-demand table keyed by `pk` (S) with a global secondary
    /// index `index` keyed by `attribute` (S), projecting everything, and
    /// waits until it is ACTIVE.
    pub async fn table_with_gsi(&self, name: &str, index: &str, attribute: &str) {
        self.client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(def("pk", ScalarAttributeType::S))
            .attribute_definitions(def(attribute, ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index)
                    .key_schema(key(attribute, KeyType::Hash))
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .expect("index"),
            )
            .send()
            .await
            .expect("create table");
        self.settle().await;
    }
}

pub fn def(name: &str, t: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .expect("definition")
}

pub fn key(name: &str, t: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(t)
        .build()
        .expect("key")
}

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An item from `(name, value)` pairs.
pub fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// The AWS error code of an SDK error.
pub fn code<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("<no service error>")
        .to_owned()
}

/// The AWS error message of an SDK error.
pub fn message<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.message())
        .unwrap_or_default()
        .to_owned()
}

/// Every item of a table, by scanning all pages, sorted by key.
pub async fn scan_all(client: &Client, table: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut start = None;
    for _ in 0..10_000 {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        out.extend(page.items().iter().cloned());
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    out.sort_by_key(|i| format!("{:?}{:?}", i.get("pk"), i.get("sk")));
    out
}
