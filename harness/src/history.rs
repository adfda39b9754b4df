//! The append-only history of a drill, and the state it implies at any instant.
//!
//! Every operation the workload (the clients) and the nemesis (the faults)
//! apply lands here, Jepsen-style: who did it, which records it wrote and with
//! which values, when it was invoked and acknowledged on the target's clock,
//! and its outcome: `ok` (it happened), `fail` (it certainly did not) or
//! `info` (indeterminate: a timeout or a dropped connection, so it may or may
//! not have happened). Events that are not record writes (a fault striking, a
//! snapshot taken, a runbook step) are kept alongside for the report.
//!
//! [`History::state_at`] answers "what must the store hold at instant T": for
//! every record, the set of values it may have. A write acknowledged before T
//! is definite; one in flight at T, or indeterminate, may go either way. The
//! checker compares a recovered store with this state and never does I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The storage layer a record lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// PostgreSQL on RDS: orders, order items, inventory, payments.
    Rds,
    /// DynamoDB: carts and sessions.
    Dynamodb,
    /// S3: product images, invoice PDFs, confirmation templates.
    S3,
    /// ElastiCache for Redis: sessions (and carts) kept as keys with TTLs,
    /// when the shop keeps them there (`[store]` in a scenario).
    Elasticache,
}

impl Layer {
    /// Every layer, in report order.
    pub const ALL: [Layer; 4] = [Layer::Rds, Layer::Dynamodb, Layer::S3, Layer::Elasticache];

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Rds => "rds",
            Layer::Dynamodb => "dynamodb",
            Layer::S3 => "s3",
            Layer::Elasticache => "elasticache",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A collection of records: a table or a bucket of the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    /// PostgreSQL `orders`.
    Orders,
    /// PostgreSQL `order_items`, keyed `order_id#line`.
    OrderItems,
    /// PostgreSQL `inventory`, one row per product.
    Inventory,
    /// PostgreSQL `payments`.
    Payments,
    /// DynamoDB carts table.
    Carts,
    /// DynamoDB sessions table.
    Sessions,
    /// S3 product images bucket.
    Images,
    /// S3 invoice PDFs bucket.
    Invoices,
    /// S3 confirmation templates bucket.
    Templates,
    /// Sessions as Redis keys in ElastiCache.
    CacheSessions,
    /// Carts as Redis keys in ElastiCache.
    CacheCarts,
}

impl Collection {
    /// Every collection, in report order.
    pub const ALL: [Collection; 11] = [
        Collection::Orders,
        Collection::OrderItems,
        Collection::Inventory,
        Collection::Payments,
        Collection::Carts,
        Collection::Sessions,
        Collection::Images,
        Collection::Invoices,
        Collection::Templates,
        Collection::CacheSessions,
        Collection::CacheCarts,
    ];

    /// The layer the collection lives in.
    pub fn layer(self) -> Layer {
        match self {
            Collection::Orders | Collection::OrderItems | Collection::Inventory | Collection::Payments => {
                Layer::Rds
            }
            Collection::Carts | Collection::Sessions => Layer::Dynamodb,
            Collection::Images | Collection::Invoices | Collection::Templates => Layer::S3,
            Collection::CacheSessions | Collection::CacheCarts => Layer::Elasticache,
        }
    }

    /// The name used in reports and scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Collection::Orders => "orders",
            Collection::OrderItems => "order_items",
            Collection::Inventory => "inventory",
            Collection::Payments => "payments",
            Collection::Carts => "carts",
            Collection::Sessions => "sessions",
            Collection::Images => "images",
            Collection::Invoices => "invoices",
            Collection::Templates => "templates",
            Collection::CacheSessions => "cache_sessions",
            Collection::CacheCarts => "cache_carts",
        }
    }

    /// The collection holding this one's records in ElastiCache (sessions
    /// and carts only).
    pub fn in_cache(self) -> Option<Collection> {
        match self {
            Collection::Sessions => Some(Collection::CacheSessions),
            Collection::Carts => Some(Collection::CacheCarts),
            _ => None,
        }
    }

    /// What the shop calls this collection wherever it is kept: the cache's
    /// sessions are sessions.
    pub fn logical(self) -> Collection {
        match self {
            Collection::CacheSessions => Collection::Sessions,
            Collection::CacheCarts => Collection::Carts,
            c => c,
        }
    }

    /// The collections of one layer.
    pub fn of_layer(layer: Layer) -> impl Iterator<Item = Collection> {
        Self::ALL.into_iter().filter(move |c| c.layer() == layer)
    }
}

impl fmt::Display for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One record: a row, an item or an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Where it lives.
    pub collection: Collection,
    /// Its identity inside the collection (primary key, `order_id#line`, object key).
    pub id: String,
}

impl Key {
    /// A key in `collection`.
    pub fn new(collection: Collection, id: impl Into<String>) -> Self {
        Self {
            collection,
            id: id.into(),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.collection, self.id)
    }
}

/// The canonical content of a record, comparable across the write and the read back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Value {
    /// A row or an item: every attribute as canonical text.
    Row {
        /// Column or attribute name to canonical text.
        fields: BTreeMap<String, String>,
    },
    /// An object: the MD5 of its body (an S3 ETag of a single-part upload) and its size.
    Object {
        /// Lower-case hex MD5 of the body.
        md5: String,
        /// Body length in bytes.
        size: u64,
    },
}

impl Value {
    /// A row from `(name, text)` pairs.
    pub fn row<K: Into<String>, V: Into<String>>(fields: impl IntoIterator<Item = (K, V)>) -> Self {
        Value::Row {
            fields: fields.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        }
    }

    /// The value of an object body.
    pub fn object(body: &[u8]) -> Self {
        use md5::Digest;
        Value::Object {
            md5: hex::encode(md5::Md5::digest(body)),
            size: body.len() as u64,
        }
    }

    /// A field of a row.
    pub fn field(&self, name: &str) -> Option<&str> {
        match self {
            Value::Row { fields } => fields.get(name).map(String::as_str),
            Value::Object { .. } => None,
        }
    }

    /// A short human rendering for reports.
    pub fn summary(&self) -> String {
        match self {
            Value::Row { fields } => {
                let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let text = parts.join(", ");
                if text.len() > 120 {
                    let cut: String = text.chars().take(117).collect();
                    format!("{cut}...")
                } else {
                    text
                }
            }
            Value::Object { md5, size } => format!("object {size} B md5 {}", &md5[..md5.len().min(12)]),
        }
    }
}

/// One record written by an operation: `None` deletes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Write {
    /// The record.
    pub key: Key,
    /// Its new content, or `None` for a delete.
    pub value: Option<Value>,
}

impl Write {
    /// A put.
    pub fn put(key: Key, value: Value) -> Self {
        Self {
            key,
            value: Some(value),
        }
    }

    /// A delete.
    pub fn delete(key: Key) -> Self {
        Self { key, value: None }
    }
}

/// Who applied an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Process {
    /// The seeding of the store before traffic starts.
    Seed,
    /// A workload client.
    Client(u32),
    /// The fault injector.
    Nemesis,
    /// The recovery runbook (a re-seeding or copy-back write).
    Recovery,
}

/// What an operation did, in the shop's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Initial inventory, templates and images.
    Seed,
    /// An order with its items, its payment and the inventory it takes.
    PlaceOrder,
    /// A restock or price change of one product.
    UpdateInventory,
    /// A product added to a cart (creating the cart when new).
    CartAdd,
    /// A product removed from a cart.
    CartRemove,
    /// A cart marked checked out.
    CartCheckout,
    /// A session created or touched.
    SessionTouch,
    /// A product image uploaded.
    ImageUpload,
    /// An invoice PDF written.
    InvoiceWrite,
    /// A confirmation template changed.
    TemplateWrite,
    /// A destructive write of the nemesis.
    Fault,
}

impl OpKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Seed => "seed",
            OpKind::PlaceOrder => "place_order",
            OpKind::UpdateInventory => "update_inventory",
            OpKind::CartAdd => "cart_add",
            OpKind::CartRemove => "cart_remove",
            OpKind::CartCheckout => "cart_checkout",
            OpKind::SessionTouch => "session_touch",
            OpKind::ImageUpload => "image_upload",
            OpKind::InvoiceWrite => "invoice_write",
            OpKind::TemplateWrite => "template_write",
            OpKind::Fault => "fault",
        }
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Acknowledged: it happened.
    Ok,
    /// Refused: it certainly did not happen.
    Fail,
    /// Indeterminate: it may or may not have happened.
    Info,
}

/// One operation in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// Position in the history, from 0.
    pub id: u64,
    /// Who applied it.
    pub process: Process,
    /// What it was.
    pub kind: OpKind,
    /// The records it wrote (atomically within one layer).
    pub writes: Vec<Write>,
    /// When it was sent, on the target's clock.
    pub invoke: DateTime<Utc>,
    /// When its answer came back (or when the client gave up), on the target's clock.
    pub complete: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
    /// The error, for `fail` and `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Something that happened to the store that is not a record write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Traffic started.
    TrafficStart,
    /// Traffic stopped.
    TrafficEnd,
    /// A fault struck: `at` is the last instant before its first destructive write.
    FaultStruck {
        /// The fault's name.
        fault: String,
        /// What it did.
        detail: String,
    },
    /// A backup was taken (a snapshot, an on-demand backup, a plan's job).
    Backup {
        /// What was backed up and how.
        detail: String,
    },
    /// The configuration changed (config drift or a fix).
    Config {
        /// What changed.
        detail: String,
    },
    /// A recovery step started or ended.
    Recovery {
        /// The step.
        detail: String,
    },
    /// Past orders were written before the traffic, as one range
    /// ([`crate::store::archive`]): the checker verifies them by digest,
    /// not record by record.
    Preloaded {
        /// The table (`order_archive`).
        table: String,
        /// The first and last order ids of the range.
        first_id: String,
        /// See `first_id`.
        last_id: String,
        /// What the generator implies the rows hold.
        digest: crate::store::archive::ArchiveDigest,
    },
}

/// A timestamped event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When, on the target's clock.
    pub at: DateTime<Utc>,
    /// What.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The append-only history of one drill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    ops: Vec<Op>,
    events: Vec<Event>,
}

/// A handle to an operation that was invoked and not yet completed.
#[derive(Debug)]
#[must_use = "complete the operation with History::complete"]
pub struct Pending {
    process: Process,
    kind: OpKind,
    writes: Vec<Write>,
    invoke: DateTime<Utc>,
}

impl Pending {
    /// The writes the operation attempts.
    pub fn writes(&self) -> &[Write] {
        &self.writes
    }
}

/// One write to one record, as the state model sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyWrite {
    /// The operation's id.
    pub op: u64,
    /// Who wrote it.
    pub process: Process,
    /// The new content (`None` deletes).
    pub value: Option<Value>,
    /// Invocation instant.
    pub invoke: DateTime<Utc>,
    /// Completion instant.
    pub complete: DateTime<Utc>,
    /// Outcome.
    pub outcome: Outcome,
}

/// What one record may hold at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// The value written by the last write acknowledged before the instant (`None`: absent).
    pub definite: Option<Value>,
    /// The id of that write's operation, if any.
    pub definite_op: Option<u64>,
    /// Every value the record may hold: `definite` plus the values of writes
    /// in flight at the instant or indeterminate.
    pub possible: BTreeSet<Option<Value>>,
}

impl Expected {
    /// Whether `value` is acceptable.
    pub fn admits(&self, value: &Option<Value>) -> bool {
        self.possible.contains(value)
    }

    /// Whether the record may exist.
    pub fn may_exist(&self) -> bool {
        self.possible.iter().any(Option::is_some)
    }

    /// Whether the record must exist.
    pub fn must_exist(&self) -> bool {
        self.possible.iter().all(Option::is_some)
    }
}

/// The state the history implies at an instant: every record ever written.
pub type State = BTreeMap<Key, Expected>;

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `process` invokes an operation at `at`.
    pub fn invoke(&self, process: Process, kind: OpKind, writes: Vec<Write>, at: DateTime<Utc>) -> Pending {
        Pending {
            process,
            kind,
            writes,
            invoke: at,
        }
    }

    /// Appends the completed operation and returns its id.
    pub fn complete(
        &mut self,
        pending: Pending,
        at: DateTime<Utc>,
        outcome: Outcome,
        error: Option<String>,
    ) -> u64 {
        let id = self.ops.len() as u64;
        self.ops.push(Op {
            id,
            process: pending.process,
            kind: pending.kind,
            writes: pending.writes,
            invoke: pending.invoke,
            complete: at.max(pending.invoke),
            outcome,
            error,
        });
        id
    }

    /// Appends an already completed operation (ids are reassigned in order).
    pub fn push(&mut self, mut op: Op) -> u64 {
        op.id = self.ops.len() as u64;
        let id = op.id;
        self.ops.push(op);
        id
    }

    /// Appends an event.
    pub fn event(&mut self, at: DateTime<Utc>, kind: EventKind) {
        self.events.push(Event { at, kind });
    }

    /// The preloaded range, when past orders were written before the
    /// traffic: its table and the digest the generator implies.
    pub fn preloaded(&self) -> Option<(&str, &crate::store::archive::ArchiveDigest)> {
        self.events.iter().find_map(|e| match &e.kind {
            EventKind::Preloaded { table, digest, .. } => Some((table.as_str(), digest)),
            _ => None,
        })
    }

    /// Every operation, in the order they completed.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// Every event, in the order they were recorded.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The instants at which faults struck, in order.
    pub fn fault_instants(&self) -> Vec<DateTime<Utc>> {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::FaultStruck { .. }))
            .map(|e| e.at)
            .collect()
    }

    /// The first instant a fault struck.
    pub fn first_fault(&self) -> Option<DateTime<Utc>> {
        self.fault_instants().into_iter().min()
    }

    /// Every write per record, in history order.
    pub fn by_key(&self) -> BTreeMap<Key, Vec<KeyWrite>> {
        let mut out: BTreeMap<Key, Vec<KeyWrite>> = BTreeMap::new();
        for op in &self.ops {
            for w in &op.writes {
                out.entry(w.key.clone()).or_default().push(KeyWrite {
                    op: op.id,
                    process: op.process,
                    value: w.value.clone(),
                    invoke: op.invoke,
                    complete: op.complete,
                    outcome: op.outcome,
                });
            }
        }
        out
    }

    /// The state of every record the history ever wrote, at instant `t`.
    ///
    /// A write counts as definite when it was acknowledged strictly before `t`;
    /// the last such write gives the definite value (absent when none). A write
    /// invoked before `t` whose outcome is indeterminate, or acknowledged only at
    /// or after `t`, may or may not be visible: its value joins the possible
    /// set. An indeterminate write may take effect at any instant after its
    /// invocation, so even an old one stays possible (the Jepsen reading; the
    /// checker never raises a false alarm over it). Refused writes and writes
    /// invoked at or after `t` do not count.
    pub fn state_at(&self, t: DateTime<Utc>) -> State {
        self.by_key()
            .into_iter()
            .map(|(key, writes)| (key, expected_from(&writes, t)))
            .collect()
    }

    /// The expected state of one record at `t` (absent if never written).
    pub fn expected(&self, key: &Key, t: DateTime<Utc>) -> Expected {
        let writes: Vec<KeyWrite> = self.by_key().remove(key).unwrap_or_default();
        expected_from(&writes, t)
    }

    /// The time span the history covers (first invoke, last completion).
    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let first = self
            .ops
            .iter()
            .map(|o| o.invoke)
            .chain(self.events.iter().map(|e| e.at))
            .min()?;
        let last = self
            .ops
            .iter()
            .map(|o| o.complete)
            .chain(self.events.iter().map(|e| e.at))
            .max()?;
        Some((first, last))
    }
}

/// The expected state of a record from its writes, at `t`.
pub fn expected_from(writes: &[KeyWrite], t: DateTime<Utc>) -> Expected {
    let mut definite: Option<&KeyWrite> = None;
    for w in writes {
        if w.outcome == Outcome::Ok && w.complete < t {
            let later = match definite {
                None => true,
                Some(d) => (w.complete, w.op) >= (d.complete, d.op),
            };
            if later {
                definite = Some(w);
            }
        }
    }
    let definite_value = definite.and_then(|w| w.value.clone());
    let mut possible = BTreeSet::new();
    possible.insert(definite_value.clone());
    for w in writes {
        if w.invoke >= t {
            continue;
        }
        let uncertain = match w.outcome {
            Outcome::Info => true,
            Outcome::Ok => w.complete >= t,
            Outcome::Fail => false,
        };
        if uncertain {
            possible.insert(w.value.clone());
        }
    }
    Expected {
        definite: definite_value,
        definite_op: definite.map(|w| w.op),
        possible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        "2026-03-14T12:00:00Z".parse().unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        t0() + Duration::seconds(secs)
    }

    fn cart(id: &str) -> Key {
        Key::new(Collection::Carts, id)
    }

    fn row(v: &str) -> Value {
        Value::row([("v", v)])
    }

    fn apply(
        h: &mut History,
        key: Key,
        value: Option<Value>,
        invoke: i64,
        complete: i64,
        outcome: Outcome,
    ) -> u64 {
        let p = h.invoke(
            Process::Client(0),
            OpKind::CartAdd,
            vec![Write { key, value }],
            at(invoke),
        );
        h.complete(p, at(complete), outcome, None)
    }

    #[test]
    fn acknowledged_writes_before_t_are_definite() {
        let mut h = History::new();
        apply(&mut h, cart("a"), Some(row("1")), 0, 1, Outcome::Ok);
        apply(&mut h, cart("a"), Some(row("2")), 10, 11, Outcome::Ok);
        apply(&mut h, cart("b"), Some(row("x")), 12, 13, Outcome::Ok);
        apply(&mut h, cart("b"), None, 20, 21, Outcome::Ok);

        let s = h.state_at(at(15));
        assert_eq!(s[&cart("a")].definite, Some(row("2")));
        assert_eq!(s[&cart("a")].possible.len(), 1);
        assert_eq!(s[&cart("b")].definite, Some(row("x")));

        let s = h.state_at(at(30));
        assert_eq!(s[&cart("b")].definite, None);
        assert!(!s[&cart("b")].may_exist());

        let s = h.state_at(at(5));
        assert_eq!(s[&cart("a")].definite, Some(row("1")));
        assert!(!s[&cart("b")].may_exist(), "b was not yet written at t=5");
    }

    #[test]
    fn in_flight_and_indeterminate_writes_go_either_way() {
        let mut h = History::new();
        apply(&mut h, cart("a"), Some(row("1")), 0, 1, Outcome::Ok);
        apply(&mut h, cart("a"), Some(row("2")), 9, 12, Outcome::Ok);
        apply(&mut h, cart("c"), Some(row("c")), 3, 4, Outcome::Info);
        apply(&mut h, cart("d"), Some(row("d")), 3, 4, Outcome::Fail);

        let s = h.state_at(at(10));
        let a = &s[&cart("a")];
        assert_eq!(a.definite, Some(row("1")));
        assert!(a.admits(&Some(row("1"))) && a.admits(&Some(row("2"))));
        assert!(!a.admits(&None));

        let c = &s[&cart("c")];
        assert!(c.admits(&None) && c.admits(&Some(row("c"))));
        assert!(c.may_exist() && !c.must_exist());

        let d = &s[&cart("d")];
        assert!(!d.may_exist(), "a refused write never happened");
    }

    #[test]
    fn writes_invoked_at_or_after_t_do_not_count() {
        let mut h = History::new();
        apply(&mut h, cart("a"), Some(row("1")), 0, 1, Outcome::Ok);
        apply(&mut h, cart("a"), None, 10, 11, Outcome::Info);
        let s = h.state_at(at(10));
        assert_eq!(s[&cart("a")].possible.len(), 1);
        assert!(s[&cart("a")].must_exist());
    }

    #[test]
    fn faults_are_found_and_history_round_trips_through_json() {
        let mut h = History::new();
        apply(&mut h, cart("a"), Some(row("1")), 0, 1, Outcome::Ok);
        h.event(
            at(100),
            EventKind::FaultStruck {
                fault: "batch_delete_carts".into(),
                detail: "1 cart".into(),
            },
        );
        assert_eq!(h.first_fault(), Some(at(100)));
        assert_eq!(h.span(), Some((at(0), at(100))));
        let json = serde_json::to_string(&h).unwrap();
        let back: History = serde_json::from_str(&json).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn object_values_hash_their_bodies() {
        let a = Value::object(b"hello");
        assert_eq!(a, Value::object(b"hello"));
        assert_ne!(a, Value::object(b"hellp"));
        assert!(a.summary().starts_with("object 5 B"));
    }
}
