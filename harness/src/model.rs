//! The shop: what lives where, how it is named, and how to read it all back.
//!
//! Orders, order items, inventory and payments live in PostgreSQL on an RDS
//! instance ([`SCHEMA`]), or in MySQL or MariaDB when the scenario says so
//! (`[store] orders_engine`, [`crate::store::orders`]); carts and sessions in DynamoDB, each with a global
//! secondary index by customer, or as Redis keys with TTLs in an ElastiCache
//! replication group when the shop keeps them there ([`CacheNames`],
//! [`crate::store`]); product images, invoice PDFs and confirmation
//! templates in three S3 buckets. Every name derives from a stack prefix
//! ([`StoreNames`]) so several stores coexist on one target. [`Store`] is the
//! store as it currently is: recovery re-points it at restored tables,
//! instances, buckets or another region.
//!
//! The domain types ([`Product`], [`Order`], [`Cart`], [`Session`]) know their
//! record keys and canonical values; the workload writes through them and
//! [`read_store`] canonicalises what it reads back with the same functions, so
//! a value in the history and a value in a [`StoreSnapshot`] compare equal
//! exactly when the record is intact. The snapshot is plain data: the checker
//! takes it without doing any I/O.

use crate::history::{Collection, Key, Layer, Value};
use crate::store::orders::{OrdersEngine, ReplicaNames};
use crate::target::{Clients, Target};
use anyhow::{Context, anyhow};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration as StdDuration;

/// The PostgreSQL schema of the orders database.
pub const SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS inventory (
    product_id  text PRIMARY KEY,
    sku         text NOT NULL,
    name        text NOT NULL,
    price_cents bigint NOT NULL,
    quantity    integer NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id    text PRIMARY KEY,
    customer_id text NOT NULL,
    cart_id     text NOT NULL,
    session_id  text NOT NULL,
    status      text NOT NULL,
    total_cents bigint NOT NULL,
    placed_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_placed_at ON orders (placed_at);
CREATE TABLE IF NOT EXISTS order_items (
    order_id    text NOT NULL REFERENCES orders (order_id),
    line        integer NOT NULL,
    product_id  text NOT NULL,
    quantity    integer NOT NULL,
    price_cents bigint NOT NULL,
    PRIMARY KEY (order_id, line)
);
CREATE TABLE IF NOT EXISTS payments (
    payment_id   text PRIMARY KEY,
    order_id     text NOT NULL REFERENCES orders (order_id),
    amount_cents bigint NOT NULL,
    method       text NOT NULL,
    status       text NOT NULL
);
";

/// The DynamoDB global secondary index by customer, on carts and sessions.
pub const BY_CUSTOMER_INDEX: &str = "by_customer";

/// Every resource name of one store, derived from a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreNames {
    /// The stack prefix every name starts with.
    pub prefix: String,
    /// The RDS instance identifier.
    pub db_instance: String,
    /// The database inside it.
    pub db_name: String,
    /// The master user.
    pub db_user: String,
    /// The master password.
    pub db_password: String,
    /// The DynamoDB carts table.
    pub carts_table: String,
    /// The DynamoDB sessions table.
    pub sessions_table: String,
    /// The product images bucket.
    pub images_bucket: String,
    /// The invoice PDFs bucket.
    pub invoices_bucket: String,
    /// The confirmation templates bucket.
    pub templates_bucket: String,
    /// The AWS Backup vault (same name in both regions).
    pub backup_vault: String,
    /// The AWS Backup plan.
    pub backup_plan: String,
    /// The ElastiCache replication group, when the shop keeps sessions (or
    /// carts) there instead of DynamoDB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheNames>,
    /// The orders instance's engine (PostgreSQL unless the scenario says
    /// otherwise).
    #[serde(default, skip_serializing_if = "OrdersEngine::is_default")]
    pub orders_engine: OrdersEngine,
    /// The orders instance's read replica, when the store has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_replica: Option<ReplicaNames>,
    /// The region the orders instance lives in when it is not the store's
    /// (a promoted cross-region replica before the rest of the store fails
    /// over to its region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_region: Option<String>,
}

/// Where the shop's ElastiCache keys live: the replication group and which
/// of the shop's collections (sessions, carts) it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheNames {
    /// The replication group id (re-pointed by a restore).
    pub replication_group: String,
    /// The shop's collections kept in it ([`Collection::Sessions`],
    /// [`Collection::Carts`]), by their DynamoDB names.
    pub collections: BTreeSet<Collection>,
}

impl StoreNames {
    /// The CloudWatch alarm on the store's AWS Backup jobs (a policy's
    /// `alarm`).
    pub fn backup_alarm(&self) -> String {
        format!("{}-backup-jobs-failed", self.prefix)
    }

    /// The SNS topic the backup alarm notifies.
    pub fn alarm_topic(&self) -> String {
        format!("{}-backup-alerts", self.prefix)
    }

    /// Names for prefix `prefix`: lower-case letters, digits and hyphens,
    /// starting with a letter, at most 30 characters.
    pub fn new(prefix: &str) -> anyhow::Result<Self> {
        let valid = !prefix.is_empty()
            && prefix.len() <= 30
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && !prefix.ends_with('-')
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(anyhow!(
                "stack prefix {prefix:?} must be 1-30 lower-case letters, digits or hyphens, start with a letter and not end with a hyphen"
            ));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
            db_instance: format!("{prefix}-orders"),
            db_name: "shop".into(),
            db_user: "shop_admin".into(),
            db_password: format!("{}-Pw-2026", prefix.replace('-', "")),
            carts_table: format!("{prefix}-carts"),
            sessions_table: format!("{prefix}-sessions"),
            images_bucket: format!("{prefix}-product-images"),
            invoices_bucket: format!("{prefix}-invoices"),
            templates_bucket: format!("{prefix}-templates"),
            backup_vault: format!("{prefix}-vault"),
            backup_plan: format!("{prefix}-plan"),
            cache: None,
            orders_engine: OrdersEngine::default(),
            orders_replica: None,
            db_region: None,
        })
    }

    /// The table or bucket collection whose resource is named `name`.
    pub fn collection_named(&self, name: &str) -> Option<Collection> {
        self.tables()
            .into_iter()
            .chain(self.buckets())
            .find(|(_, n)| *n == name)
            .map(|(c, _)| c)
    }

    /// Points the table or bucket `collection` at the resource `name` (a
    /// restore's new table or bucket); false for any other collection.
    pub fn rename(&mut self, collection: Collection, name: &str) -> bool {
        let slot = match collection {
            Collection::Carts => &mut self.carts_table,
            Collection::Sessions => &mut self.sessions_table,
            Collection::Images => &mut self.images_bucket,
            Collection::Invoices => &mut self.invoices_bucket,
            Collection::Templates => &mut self.templates_bucket,
            _ => return false,
        };
        name.clone_into(slot);
        true
    }

    /// The vault in the second account a policy's `backup_account` copies
    /// into (`<prefix>-vault-locked`).
    pub fn backup_account_vault(&self) -> String {
        format!("{}-locked", self.backup_vault)
    }

    /// These names with the orders database on `engine`.
    pub fn with_orders_engine(mut self, engine: OrdersEngine) -> Self {
        self.orders_engine = engine;
        self
    }

    /// These names with `collections` (sessions, carts) kept in an
    /// ElastiCache replication group named after the prefix; an empty set
    /// keeps everything in DynamoDB.
    pub fn with_cache(mut self, collections: BTreeSet<Collection>) -> Self {
        self.cache = (!collections.is_empty()).then(|| CacheNames {
            replication_group: crate::store::elasticache::group_id(&self.prefix),
            collections,
        });
        self
    }

    /// Whether `collection` (sessions or carts) is kept in ElastiCache.
    pub fn cached(&self, collection: Collection) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|c| c.collections.contains(&collection))
    }

    /// The key a record of the shop is stored under: a session or cart kept
    /// in ElastiCache lives in the cache's collection.
    pub fn placed(&self, key: Key) -> Key {
        match key.collection.in_cache() {
            Some(cache) if self.cached(key.collection) => Key {
                collection: cache,
                id: key.id,
            },
            _ => key,
        }
    }

    /// The bucket holding `collection` (S3 collections only).
    pub fn bucket(&self, collection: Collection) -> Option<&str> {
        match collection {
            Collection::Images => Some(&self.images_bucket),
            Collection::Invoices => Some(&self.invoices_bucket),
            Collection::Templates => Some(&self.templates_bucket),
            _ => None,
        }
    }

    /// The table holding `collection` (DynamoDB collections only).
    pub fn table(&self, collection: Collection) -> Option<&str> {
        match collection {
            Collection::Carts => Some(&self.carts_table),
            Collection::Sessions => Some(&self.sessions_table),
            _ => None,
        }
    }

    /// Every bucket, with its collection.
    pub fn buckets(&self) -> [(Collection, &str); 3] {
        [
            (Collection::Images, &self.images_bucket),
            (Collection::Invoices, &self.invoices_bucket),
            (Collection::Templates, &self.templates_bucket),
        ]
    }

    /// Every table, with its collection.
    pub fn tables(&self) -> [(Collection, &str); 2] {
        [
            (Collection::Carts, &self.carts_table),
            (Collection::Sessions, &self.sessions_table),
        ]
    }

    /// The DynamoDB tables the shop uses: those of the collections not kept
    /// in ElastiCache.
    pub fn dynamodb_tables(&self) -> Vec<(Collection, &str)> {
        self.tables()
            .into_iter()
            .filter(|(c, _)| !self.cached(*c))
            .collect()
    }
}

/// Where the orders database answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbEndpoint {
    /// Host name or address, as DescribeDBInstances reports it.
    pub address: String,
    /// Port.
    pub port: u16,
}

/// The store as it currently is: names (re-pointed by recovery), the region
/// serving it and the database endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    /// Current resource names.
    pub names: StoreNames,
    /// The region currently serving the store.
    pub region: String,
    /// The orders database endpoint.
    pub db: DbEndpoint,
    /// Collections whose buckets keep versions.
    pub versioned: BTreeSet<Collection>,
    /// Where the ElastiCache replication group's primary answers, when the
    /// shop keeps sessions (or carts) there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<DbEndpoint>,
    /// Whether past orders were preloaded into the orders database's
    /// `order_archive` ([`crate::store::archive`]), so reading the store
    /// back reads that table's digest too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preloaded: bool,
}

impl Store {
    /// The SDK clients for the store's region.
    pub fn clients(&self, target: &dyn Target) -> Clients {
        Clients::new(target, &self.region)
    }

    /// The region the orders instance lives in.
    pub fn db_region(&self) -> &str {
        self.names.db_region.as_deref().unwrap_or(&self.region)
    }

    /// Opens a PostgreSQL connection to the orders database (refused when
    /// the orders database speaks MySQL: use [`Store::orders_db`]).
    pub async fn connect(&self, target: &dyn Target) -> anyhow::Result<tokio_postgres::Client> {
        if self.names.orders_engine.speaks_mysql() {
            return Err(anyhow!(
                "the orders database is {} (the MySQL protocol), not PostgreSQL",
                self.names.orders_engine
            ));
        }
        connect_db(target, &self.db, &self.names).await
    }

    /// Opens a connection to the orders database, whichever engine serves it.
    pub async fn orders_db(&self, target: &dyn Target) -> anyhow::Result<crate::store::orders::OrdersDb> {
        crate::store::orders::connect(target, self).await
    }
}

/// Opens a PostgreSQL connection to `endpoint` with the store's credentials.
pub async fn connect_db(
    target: &dyn Target,
    endpoint: &DbEndpoint,
    names: &StoreNames,
) -> anyhow::Result<tokio_postgres::Client> {
    let (host, port) = target.database_address(&endpoint.address, endpoint.port);
    let mut config = tokio_postgres::Config::new();
    config
        .host(&host)
        .port(port)
        .user(&names.db_user)
        .password(&names.db_password)
        .dbname(&names.db_name)
        .connect_timeout(StdDuration::from_secs(10));
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to the orders database at {host}:{port}"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "orders database connection closed");
        }
    });
    Ok(client)
}

/// A product and its stock, one `inventory` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Primary key, e.g. `p0007`.
    pub product_id: String,
    /// Stock keeping unit.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Unit price.
    pub price_cents: i64,
    /// Units in stock.
    pub quantity: i32,
}

impl Product {
    /// Its record key.
    pub fn key(&self) -> Key {
        Key::new(Collection::Inventory, &self.product_id)
    }

    /// Its canonical value.
    pub fn value(&self) -> Value {
        inventory_value(
            &self.product_id,
            &self.sku,
            &self.name,
            self.price_cents,
            self.quantity,
        )
    }

    /// The key of its image object.
    pub fn image_key(&self) -> Key {
        Key::new(Collection::Images, image_object_key(&self.product_id))
    }
}

/// The object key of a product's image.
pub fn image_object_key(product_id: &str) -> String {
    format!("products/{product_id}.jpg")
}

/// The object key of an order's invoice.
pub fn invoice_object_key(order_id: &str) -> String {
    format!("invoices/{order_id}.pdf")
}

/// The object key of a confirmation template.
pub fn template_object_key(name: &str) -> String {
    format!("templates/{name}.html")
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Line number from 1.
    pub line: i32,
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: i32,
    /// Unit price at the time of the order.
    pub price_cents: i64,
}

/// A payment for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Primary key.
    pub payment_id: String,
    /// Amount charged.
    pub amount_cents: i64,
    /// `card`, `paypal`, `gift_card`.
    pub method: String,
    /// `captured` or `authorized`.
    pub status: String,
}

/// An order with its items and payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Primary key.
    pub order_id: String,
    /// The buyer.
    pub customer_id: String,
    /// The cart it was checked out from (DynamoDB).
    pub cart_id: String,
    /// The session it was placed in (DynamoDB).
    pub session_id: String,
    /// `paid`, `shipped`, ...
    pub status: String,
    /// Sum of the lines.
    pub total_cents: i64,
    /// When it was placed, to the microsecond.
    pub placed_at: DateTime<Utc>,
    /// Its lines.
    pub items: Vec<OrderItem>,
    /// Its payment.
    pub payment: Payment,
}

impl Order {
    /// The key of the `orders` row.
    pub fn key(&self) -> Key {
        Key::new(Collection::Orders, &self.order_id)
    }

    /// The canonical `orders` row.
    pub fn value(&self) -> Value {
        order_value(
            &self.order_id,
            &self.customer_id,
            &self.cart_id,
            &self.session_id,
            &self.status,
            self.total_cents,
            self.placed_at,
        )
    }

    /// Every row the order writes, with keys: the order, its lines, its payment.
    pub fn records(&self) -> Vec<(Key, Value)> {
        let mut out = vec![(self.key(), self.value())];
        for item in &self.items {
            out.push((
                Key::new(Collection::OrderItems, order_item_id(&self.order_id, item.line)),
                order_item_value(
                    &self.order_id,
                    item.line,
                    &item.product_id,
                    item.quantity,
                    item.price_cents,
                ),
            ));
        }
        out.push((
            Key::new(Collection::Payments, &self.payment.payment_id),
            payment_value(
                &self.payment.payment_id,
                &self.order_id,
                self.payment.amount_cents,
                &self.payment.method,
                &self.payment.status,
            ),
        ));
        out
    }

    /// The key of its invoice object.
    pub fn invoice_key(&self) -> Key {
        Key::new(Collection::Invoices, invoice_object_key(&self.order_id))
    }
}

/// A shopping cart, one DynamoDB item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    /// Partition key.
    pub cart_id: String,
    /// The owner (GSI partition key).
    pub customer_id: String,
    /// Product id to units.
    pub items: BTreeMap<String, u32>,
    /// `open` or `checked_out`.
    pub status: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

impl Cart {
    /// Its record key.
    pub fn key(&self) -> Key {
        Key::new(Collection::Carts, &self.cart_id)
    }

    /// The DynamoDB item.
    pub fn item(&self) -> HashMap<String, AttributeValue> {
        let items = self
            .items
            .iter()
            .map(|(p, n)| (p.clone(), AttributeValue::N(n.to_string())))
            .collect();
        HashMap::from([
            ("cart_id".to_owned(), AttributeValue::S(self.cart_id.clone())),
            (
                "customer_id".to_owned(),
                AttributeValue::S(self.customer_id.clone()),
            ),
            ("items".to_owned(), AttributeValue::M(items)),
            ("status".to_owned(), AttributeValue::S(self.status.clone())),
            (
                "updated_at".to_owned(),
                AttributeValue::S(self.updated_at.clone()),
            ),
        ])
    }

    /// Its canonical value.
    pub fn value(&self) -> Value {
        item_value(&self.item())
    }
}

/// A browsing session, one DynamoDB item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Partition key.
    pub session_id: String,
    /// The customer (GSI partition key).
    pub customer_id: String,
    /// The customer's current cart.
    pub cart_id: String,
    /// Last activity, RFC 3339.
    pub last_seen: String,
    /// Page views so far.
    pub views: u32,
}

impl Session {
    /// Its record key.
    pub fn key(&self) -> Key {
        Key::new(Collection::Sessions, &self.session_id)
    }

    /// The DynamoDB item.
    pub fn item(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                "session_id".to_owned(),
                AttributeValue::S(self.session_id.clone()),
            ),
            (
                "customer_id".to_owned(),
                AttributeValue::S(self.customer_id.clone()),
            ),
            ("cart_id".to_owned(), AttributeValue::S(self.cart_id.clone())),
            ("last_seen".to_owned(), AttributeValue::S(self.last_seen.clone())),
            ("views".to_owned(), AttributeValue::N(self.views.to_string())),
        ])
    }

    /// Its canonical value.
    pub fn value(&self) -> Value {
        item_value(&self.item())
    }
}

/// The id of an `order_items` row.
pub fn order_item_id(order_id: &str, line: i32) -> String {
    format!("{order_id}#{line}")
}

/// Canonical text of an instant stored in PostgreSQL (microseconds, UTC).
pub fn canonical_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Truncates an instant to PostgreSQL's microsecond precision.
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The canonical `inventory` row.
pub fn inventory_value(product_id: &str, sku: &str, name: &str, price_cents: i64, quantity: i32) -> Value {
    Value::row([
        ("product_id", product_id.to_owned()),
        ("sku", sku.to_owned()),
        ("name", name.to_owned()),
        ("price_cents", price_cents.to_string()),
        ("quantity", quantity.to_string()),
    ])
}

/// The canonical `orders` row.
pub fn order_value(
    order_id: &str,
    customer_id: &str,
    cart_id: &str,
    session_id: &str,
    status: &str,
    total_cents: i64,
    placed_at: DateTime<Utc>,
) -> Value {
    Value::row([
        ("order_id", order_id.to_owned()),
        ("customer_id", customer_id.to_owned()),
        ("cart_id", cart_id.to_owned()),
        ("session_id", session_id.to_owned()),
        ("status", status.to_owned()),
        ("total_cents", total_cents.to_string()),
        ("placed_at", canonical_instant(placed_at)),
    ])
}

/// The canonical `order_items` row.
pub fn order_item_value(
    order_id: &str,
    line: i32,
    product_id: &str,
    quantity: i32,
    price_cents: i64,
) -> Value {
    Value::row([
        ("order_id", order_id.to_owned()),
        ("line", line.to_string()),
        ("product_id", product_id.to_owned()),
        ("quantity", quantity.to_string()),
        ("price_cents", price_cents.to_string()),
    ])
}

/// The canonical `payments` row.
pub fn payment_value(
    payment_id: &str,
    order_id: &str,
    amount_cents: i64,
    method: &str,
    status: &str,
) -> Value {
    Value::row([
        ("payment_id", payment_id.to_owned()),
        ("order_id", order_id.to_owned()),
        ("amount_cents", amount_cents.to_string()),
        ("method", method.to_owned()),
        ("status", status.to_owned()),
    ])
}

/// The canonical value of a DynamoDB item: every attribute as canonical text.
pub fn item_value(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Row {
        fields: item
            .iter()
            .map(|(k, v)| (k.clone(), canonical_attribute(v)))
            .collect(),
    }
}

/// Canonical text of an attribute value: maps sorted by key, numbers as written.
pub fn canonical_attribute(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null(_) => "null".into(),
        AttributeValue::M(m) => {
            let sorted: BTreeMap<&String, String> =
                m.iter().map(|(k, v)| (k, canonical_attribute(v))).collect();
            let parts: Vec<String> = sorted.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{{{}}}", parts.join(","))
        }
        AttributeValue::L(l) => {
            let parts: Vec<String> = l.iter().map(canonical_attribute).collect();
            format!("[{}]", parts.join(","))
        }
        AttributeValue::Ss(s) => {
            let mut s = s.clone();
            s.sort();
            format!("<{}>", s.join(","))
        }
        AttributeValue::Ns(s) => {
            let mut s = s.clone();
            s.sort();
            format!("<{}>", s.join(","))
        }
        AttributeValue::B(b) => format!("b:{}", hex::encode(b.as_ref())),
        AttributeValue::Bs(bs) => {
            let mut parts: Vec<String> = bs.iter().map(|b| hex::encode(b.as_ref())).collect();
            parts.sort();
            format!("<b:{}>", parts.join(","))
        }
        _ => "?".into(),
    }
}

/// Everything a recovered store holds, as plain data for the checker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSnapshot {
    /// When it was read, on the target's clock.
    pub read_at: Option<DateTime<Utc>>,
    /// The current content of every record found.
    pub records: BTreeMap<Key, Value>,
    /// For versioned buckets: every object version still stored (not delete
    /// markers), per key, oldest first.
    pub versions: BTreeMap<Key, Vec<Value>>,
    /// Collections whose versions were listed.
    pub versioned: BTreeSet<Collection>,
    /// Collections that were read completely.
    pub read: BTreeSet<Collection>,
    /// Collections that could not be read, with the reason (the checker's
    /// verdict on them is unknown).
    pub unreadable: BTreeMap<Collection, String>,
    /// Collections whose table or bucket no longer exists (read as empty).
    pub missing: BTreeSet<Collection>,
    /// ElastiCache keys found without an expiry: sessions and carts are
    /// written with a TTL, so a key without one was not restored as written.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub no_ttl: BTreeSet<Key>,
    /// The engine serving a layer where the layer names several (`postgres`
    /// or `mysql` for RDS, `redis` for ElastiCache), for the report.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub engines: BTreeMap<Layer, String>,
    /// The digest of the orders database's `order_archive`
    /// ([`crate::store::archive`]), read only when the history preloaded
    /// it (`None` otherwise, or when the database could not be reached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_archive: Option<crate::store::archive::ArchiveRead>,
}

impl StoreSnapshot {
    /// Records of one collection.
    pub fn collection(&self, c: Collection) -> impl Iterator<Item = (&Key, &Value)> {
        self.records.iter().filter(move |(k, _)| k.collection == c)
    }

    /// Whether every collection of `layer` was read.
    pub fn layer_read(&self, layer: Layer) -> bool {
        Collection::of_layer(layer).all(|c| self.read.contains(&c))
    }

    /// Records a collection that could not be read.
    pub fn mark_unreadable(&mut self, c: Collection, why: impl Into<String>) {
        self.read.remove(&c);
        self.unreadable.insert(c, why.into());
    }
}

/// Reads back every record of the store, as it now is.
///
/// A table, bucket, orders instance or PostgreSQL table that does not exist
/// reads as empty (its records are gone) and is listed in `missing`, as
/// does a bucket S3 says lives in another region than the store's (after a
/// failover that found no copy of it); a layer that cannot be
/// reached at all (a dark region, a refused connection) is listed in
/// `unreadable`, which the checker turns into an unknown verdict rather than
/// a guess. Current objects are downloaded and hashed; for versioned buckets
/// every version is listed with its ETag (the MD5 of a single-part upload).
pub async fn read_store(target: &dyn Target, store: &Store) -> anyhow::Result<StoreSnapshot> {
    let mut snap = StoreSnapshot {
        read_at: Some(target.now()),
        ..StoreSnapshot::default()
    };
    let clients = store.clients(target);
    snap.engines
        .insert(Layer::Rds, store.names.orders_engine.rds_engine().to_owned());
    if store.names.cache.is_some() {
        snap.engines.insert(Layer::Elasticache, "redis".to_owned());
    }
    read_rds(target, store, &mut snap).await;
    crate::store::elasticache::read_into(target, store, &mut snap).await;
    for (collection, table) in store.names.tables() {
        if store.names.cached(collection) {
            // Kept in ElastiCache: the shop has no such table.
            snap.read.insert(collection);
            continue;
        }
        match scan_table(&clients.dynamodb, table).await {
            Ok(Some(items)) => {
                let id_attr = if collection == Collection::Carts {
                    "cart_id"
                } else {
                    "session_id"
                };
                for item in items {
                    let id = item.get(id_attr).map(canonical_attribute).unwrap_or_default();
                    snap.records.insert(Key::new(collection, id), item_value(&item));
                }
                snap.read.insert(collection);
            }
            Ok(None) => {
                snap.read.insert(collection);
                snap.missing.insert(collection);
            }
            Err(e) => snap.mark_unreadable(collection, format!("{e:#}")),
        }
    }
    for (collection, bucket) in store.names.buckets() {
        match read_bucket(&clients.s3, bucket, collection, &mut snap).await {
            Ok(true) => {
                snap.read.insert(collection);
            }
            Ok(false) => {
                snap.read.insert(collection);
                snap.missing.insert(collection);
            }
            // The bucket lives in another region than the one serving the
            // store (a failover that found no copy of it): not there.
            Err(e) if in_another_region(&e) => {
                snap.read.insert(collection);
                snap.missing.insert(collection);
            }
            Err(e) => snap.mark_unreadable(collection, format!("{e:#}")),
        }
    }
    Ok(snap)
}

/// Whether S3 refused a listing with `PermanentRedirect`: the bucket exists,
/// but in another region than the client's.
fn in_another_region(e: &anyhow::Error) -> bool {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    e.downcast_ref::<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error>()
        .is_some_and(|e| e.code() == Some("PermanentRedirect"))
}

/// Whether the orders instance exists in the region that serves it: `false`
/// only when that region answers `DBInstanceNotFound` (a region that does not
/// answer at all may still hold it).
async fn orders_instance_exists(target: &dyn Target, store: &Store) -> bool {
    let rds = Clients::new(target, store.db_region()).rds;
    match rds
        .describe_db_instances()
        .db_instance_identifier(&store.names.db_instance)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e) => !e
            .as_service_error()
            .is_some_and(|s| s.is_db_instance_not_found_fault()),
    }
}

async fn read_rds(target: &dyn Target, store: &Store, snap: &mut StoreSnapshot) {
    let rds = [
        Collection::Inventory,
        Collection::Orders,
        Collection::OrderItems,
        Collection::Payments,
    ];
    let mut db = match store.orders_db(target).await {
        Ok(db) => db,
        Err(e) => {
            if !orders_instance_exists(target, store).await {
                // No such instance where the store looks for it (a failover
                // that found no copy of it): its records are gone.
                for c in rds {
                    snap.read.insert(c);
                    snap.missing.insert(c);
                }
                return;
            }
            for c in rds {
                snap.mark_unreadable(c, format!("{e:#}"));
            }
            return;
        }
    };
    for c in rds {
        match db.read_table(c).await {
            Ok(Some(rows)) => {
                snap.records.extend(rows);
                snap.read.insert(c);
            }
            Ok(None) => {
                snap.read.insert(c);
                snap.missing.insert(c);
            }
            Err(e) => snap.mark_unreadable(c, format!("{e:#}")),
        }
    }
    if store.preloaded {
        snap.order_archive = Some(crate::store::archive::read_digest(&mut db).await);
    }
}

/// One PostgreSQL `orders` row (`order_id, customer_id, cart_id,
/// session_id, status, total_cents, placed_at`) as a canonical record.
pub(crate) fn order_record(r: &tokio_postgres::Row) -> anyhow::Result<(Key, Value)> {
    let id: String = r.try_get(0)?;
    let v = order_value(
        &id,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
        r.try_get(5)?,
        r.try_get(6)?,
    );
    Ok((Key::new(Collection::Orders, id), v))
}

/// Reads one PostgreSQL table; `None` when it does not exist.
pub(crate) async fn read_table(
    db: &tokio_postgres::Client,
    c: Collection,
) -> anyhow::Result<Option<Vec<(Key, Value)>>> {
    let sql = match c {
        Collection::Inventory => "SELECT product_id, sku, name, price_cents, quantity FROM inventory",
        Collection::Orders => {
            "SELECT order_id, customer_id, cart_id, session_id, status, total_cents, placed_at FROM orders"
        }
        Collection::OrderItems => "SELECT order_id, line, product_id, quantity, price_cents FROM order_items",
        Collection::Payments => "SELECT payment_id, order_id, amount_cents, method, status FROM payments",
        other => return Err(anyhow!("{other} is not a PostgreSQL table")),
    };
    let rows = match db.query(sql, &[]).await {
        Ok(rows) => rows,
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => return Ok(None),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {c}"))),
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (key, value) = match c {
            Collection::Inventory => {
                let id: String = r.try_get(0)?;
                let v = inventory_value(&id, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
                (Key::new(c, id), v)
            }
            Collection::Orders => order_record(&r)?,
            Collection::OrderItems => {
                let order: String = r.try_get(0)?;
                let line: i32 = r.try_get(1)?;
                let v = order_item_value(&order, line, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
                (Key::new(c, order_item_id(&order, line)), v)
            }
            _ => {
                let id: String = r.try_get(0)?;
                let v = payment_value(&id, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
                (Key::new(c, id), v)
            }
        };
        out.push((key, value));
    }
    Ok(Some(out))
}

/// Scans a whole table with consistent reads; `None` when it does not exist.
pub async fn scan_table(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> anyhow::Result<Option<Vec<HashMap<String, AttributeValue>>>> {
    let mut items = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    for _page in 0..100_000 {
        let resp = ddb
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let service = e.as_service_error();
                if service.is_some_and(|s| s.is_resource_not_found_exception()) {
                    return Ok(None);
                }
                return Err(
                    anyhow::Error::new(e.into_service_error()).context(format!("scanning table {table}"))
                );
            }
        };
        items.extend(resp.items.unwrap_or_default());
        match resp.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return Ok(Some(items)),
        }
    }
    Err(anyhow!("scanning table {table}: more than 100000 pages"))
}

/// Whether an S3 error is `NoSuchBucket`.
fn no_such_bucket<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("NoSuchBucket")
}

/// Lists every current key of a bucket; `None` when the bucket does not exist.
pub async fn list_keys(s3: &aws_sdk_s3::Client, bucket: &str) -> anyhow::Result<Option<Vec<String>>> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    for _page in 0..100_000 {
        let resp = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.take())
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let e = e.into_service_error();
                if no_such_bucket(&e) {
                    return Ok(None);
                }
                return Err(anyhow::Error::new(e).context(format!("listing bucket {bucket}")));
            }
        };
        keys.extend(
            resp.contents
                .unwrap_or_default()
                .into_iter()
                .filter_map(|o| o.key),
        );
        match resp.next_continuation_token {
            Some(t) if resp.is_truncated == Some(true) => token = Some(t),
            _ => return Ok(Some(keys)),
        }
    }
    Err(anyhow!("listing bucket {bucket}: more than 100000 pages"))
}

/// One entry of ListObjectVersions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    /// The key.
    pub key: String,
    /// The version id (`null` for unversioned writes).
    pub version_id: String,
    /// Whether it is a delete marker.
    pub delete_marker: bool,
    /// Whether it is the current version.
    pub is_latest: bool,
    /// When it was written, on the target's clock.
    pub last_modified: Option<DateTime<Utc>>,
    /// The ETag without quotes (empty for markers).
    pub etag: String,
    /// Size in bytes (0 for markers).
    pub size: u64,
}

/// Lists every version and delete marker of a bucket; `None` when it does not exist.
pub async fn list_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> anyhow::Result<Option<Vec<ObjectVersion>>> {
    let mut out = Vec::new();
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    for _page in 0..100_000 {
        let resp = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let e = e.into_service_error();
                if no_such_bucket(&e) {
                    return Ok(None);
                }
                return Err(anyhow::Error::new(e).context(format!("listing versions of bucket {bucket}")));
            }
        };
        for v in resp.versions.unwrap_or_default() {
            out.push(ObjectVersion {
                key: v.key.unwrap_or_default(),
                version_id: v.version_id.unwrap_or_else(|| "null".into()),
                delete_marker: false,
                is_latest: v.is_latest.unwrap_or(false),
                last_modified: v.last_modified.and_then(smithy_to_chrono),
                etag: v.e_tag.unwrap_or_default().trim_matches('"').to_owned(),
                size: v.size.unwrap_or(0).max(0) as u64,
            });
        }
        for m in resp.delete_markers.unwrap_or_default() {
            out.push(ObjectVersion {
                key: m.key.unwrap_or_default(),
                version_id: m.version_id.unwrap_or_else(|| "null".into()),
                delete_marker: true,
                is_latest: m.is_latest.unwrap_or(false),
                last_modified: m.last_modified.and_then(smithy_to_chrono),
                etag: String::new(),
                size: 0,
            });
        }
        if resp.is_truncated == Some(true) {
            key_marker = resp.next_key_marker;
            version_marker = resp.next_version_id_marker;
            if key_marker.is_none() {
                break;
            }
        } else {
            break;
        }
    }
    out.sort_by(|a, b| (&a.key, a.last_modified).cmp(&(&b.key, b.last_modified)));
    Ok(Some(out))
}

/// Converts an SDK timestamp to chrono.
pub fn smithy_to_chrono(t: aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// Converts a chrono instant to an SDK timestamp.
pub fn chrono_to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

/// Reads a bucket into the snapshot; `false` when the bucket does not exist.
async fn read_bucket(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    collection: Collection,
    snap: &mut StoreSnapshot,
) -> anyhow::Result<bool> {
    let Some(keys) = list_keys(s3, bucket).await? else {
        return Ok(false);
    };
    for key in keys {
        let body = get_object(s3, bucket, &key, None).await?;
        snap.records
            .insert(Key::new(collection, key), Value::object(&body));
    }
    let versioning = s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()).context(format!("versioning of {bucket}")))?;
    let enabled = versioning
        .status
        .is_some_and(|s| s == aws_sdk_s3::types::BucketVersioningStatus::Enabled);
    if enabled && let Some(versions) = list_versions(s3, bucket).await? {
        snap.versioned.insert(collection);
        for v in versions.into_iter().filter(|v| !v.delete_marker) {
            snap.versions
                .entry(Key::new(collection, v.key))
                .or_default()
                .push(Value::Object {
                    md5: v.etag,
                    size: v.size,
                });
        }
    }
    Ok(true)
}

/// Downloads one object (a version of it when `version` is given).
pub async fn get_object(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> anyhow::Result<Vec<u8>> {
    let resp = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .map_err(|e| {
            anyhow::Error::new(e.into_service_error()).context(format!("getting s3://{bucket}/{key}"))
        })?;
    let body = resp
        .body
        .collect()
        .await
        .with_context(|| format!("reading the body of s3://{bucket}/{key}"))?;
    Ok(body.into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_prefix_and_bad_prefixes_are_refused() {
        let n = StoreNames::new("drill-7").unwrap();
        assert_eq!(n.carts_table, "drill-7-carts");
        assert_eq!(n.db_instance, "drill-7-orders");
        assert_eq!(n.bucket(Collection::Invoices), Some("drill-7-invoices"));
        assert_eq!(n.table(Collection::Sessions), Some("drill-7-sessions"));
        assert!(n.bucket(Collection::Orders).is_none());
        for bad in ["", "7up", "Shop", "a_b", "shop-", &"x".repeat(31)] {
            assert!(StoreNames::new(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn cart_values_are_canonical_whatever_the_map_order() {
        let cart = Cart {
            cart_id: "c1".into(),
            customer_id: "u1".into(),
            items: BTreeMap::from([("p2".into(), 1), ("p1".into(), 3)]),
            status: "open".into(),
            updated_at: "2026-03-14T15:00:00Z".into(),
        };
        let v = cart.value();
        assert_eq!(v.field("items"), Some("{p1=3,p2=1}"));
        assert_eq!(item_value(&cart.item()), v);
    }

    #[test]
    fn an_order_writes_its_row_lines_and_payment() {
        let placed: DateTime<Utc> = "2026-03-14T15:47:00.123456789Z".parse().unwrap();
        let order = Order {
            order_id: "o1".into(),
            customer_id: "u1".into(),
            cart_id: "c1".into(),
            session_id: "s1".into(),
            status: "paid".into(),
            total_cents: 500,
            placed_at: to_micros(placed),
            items: vec![OrderItem {
                line: 1,
                product_id: "p1".into(),
                quantity: 2,
                price_cents: 250,
            }],
            payment: Payment {
                payment_id: "pay1".into(),
                amount_cents: 500,
                method: "card".into(),
                status: "captured".into(),
            },
        };
        let records = order.records();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].0, Key::new(Collection::OrderItems, "o1#1"));
        assert_eq!(
            order.value().field("placed_at"),
            Some("2026-03-14T15:47:00.123456Z")
        );
        assert_eq!(order.invoice_key().id, "invoices/o1.pdf");
    }

    #[test]
    fn snapshot_layers_are_read_only_when_every_collection_was() {
        let mut s = StoreSnapshot::default();
        s.read.extend(Collection::of_layer(Layer::Dynamodb));
        assert!(s.layer_read(Layer::Dynamodb));
        s.mark_unreadable(Collection::Carts, "region down");
        assert!(!s.layer_read(Layer::Dynamodb));
        assert!(!s.layer_read(Layer::Rds));
    }
}
