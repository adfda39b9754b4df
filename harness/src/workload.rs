//! The workload: shop traffic generated from a seed, and the client that
//! applies it and records the history.
//!
//! The generator ([`generate`]) is a pure function of a [`WorkloadSpec`] and a
//! start instant: Poisson arrivals per stream (orders, abandoned-cart churn,
//! session touches, restocks, image uploads, template edits) at the given
//! hourly rates, drawn from a ChaCha8 generator seeded with the spec's seed,
//! so a seed replays exactly. An order is a flow: a session touch, items added
//! to a cart, the cart checked out, the order written in one SQL transaction
//! (order, lines, payment, inventory), and its invoice PDF stored. Writes are
//! absolute (the generator tracks stock and carts), so every value in the
//! history is known without reading the store.
//!
//! The executor ([`execute`]) applies planned operations through the official
//! SDKs and tokio-postgres (or mysql_async when the orders database is MySQL
//! or MariaDB, [`crate::store::mysql`]) in time order, advancing a simulated target clock
//! to each operation's instant so hours pass in seconds (on a real clock the
//! operations run back to back). Each operation is recorded with its invoke
//! and completion instants on the target's clock; a refusal from the service
//! is `fail`, a timeout or a transport error is `info` (indeterminate).
//! Sessions and carts the store keeps in ElastiCache are written as Redis
//! keys with TTLs ([`crate::store::elasticache`]) and recorded under the
//! cache's collections ([`crate::model::StoreNames::placed`]).
//! Scheduled jobs (a nightly snapshot) run when the clock reaches them.

use crate::history::{Collection, EventKind, History, Key, OpKind, Outcome, Process, Value, Write};
use crate::model::{
    Cart, Order, OrderItem, Payment, Product, Session, Store, canonical_instant, image_object_key,
    invoice_object_key, template_object_key, to_micros,
};
use crate::policy::{SnapshotJob, run_snapshot_job};
use crate::target::{Clients, Target};
use crate::team::CommandSpec;
use crate::team::cron::CronJob;
use crate::wait::WaitOptions;
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration as StdDuration;

/// What traffic to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// The seed; the same seed gives the same traffic.
    pub seed: u64,
    /// Products seeded in the inventory (each with an image).
    #[serde(default = "default_products")]
    pub products: u32,
    /// Distinct customers.
    #[serde(default = "default_customers")]
    pub customers: u32,
    /// Orders placed per hour.
    #[serde(default)]
    pub orders_per_hour: f64,
    /// Abandoned-cart adds and removes per hour.
    #[serde(default)]
    pub cart_churn_per_hour: f64,
    /// Session touches per hour (besides those of orders).
    #[serde(default)]
    pub sessions_per_hour: f64,
    /// Restocks and price changes per hour.
    #[serde(default)]
    pub restocks_per_hour: f64,
    /// Product image uploads per hour.
    #[serde(default)]
    pub image_uploads_per_hour: f64,
    /// Confirmation template edits per hour.
    #[serde(default)]
    pub template_edits_per_hour: f64,
    /// Client processes the traffic is spread over (labels in the history).
    #[serde(default = "default_clients")]
    pub clients: u32,
}

fn default_products() -> u32 {
    20
}
fn default_customers() -> u32 {
    50
}
fn default_clients() -> u32 {
    4
}

impl WorkloadSpec {
    /// A flash sale: 400 orders an hour with cart churn and uploads.
    pub fn flash_sale(seed: u64) -> Self {
        Self {
            seed,
            products: 20,
            customers: 200,
            orders_per_hour: 400.0,
            cart_churn_per_hour: 300.0,
            sessions_per_hour: 200.0,
            restocks_per_hour: 20.0,
            image_uploads_per_hour: 10.0,
            template_edits_per_hour: 1.0,
            clients: 8,
        }
    }

    /// Checks the rates; the message names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        let rates = [
            ("orders_per_hour", self.orders_per_hour),
            ("cart_churn_per_hour", self.cart_churn_per_hour),
            ("sessions_per_hour", self.sessions_per_hour),
            ("restocks_per_hour", self.restocks_per_hour),
            ("image_uploads_per_hour", self.image_uploads_per_hour),
            ("template_edits_per_hour", self.template_edits_per_hour),
        ];
        for (name, r) in rates {
            if !r.is_finite() || !(0.0..=100_000.0).contains(&r) {
                anyhow::bail!("{name} must be between 0 and 100000, got {r}");
            }
        }
        if self.products == 0 || self.products > 100_000 {
            anyhow::bail!("products must be 1-100000, got {}", self.products);
        }
        if self.customers == 0 {
            anyhow::bail!("customers must be at least 1");
        }
        if self.clients == 0 {
            anyhow::bail!("clients must be at least 1");
        }
        Ok(())
    }
}

/// One concrete write the client performs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Seed products into the inventory (one transaction).
    SeedInventory {
        /// The products.
        products: Vec<Product>,
    },
    /// Put an object (image, invoice, template).
    PutObject {
        /// Which bucket.
        collection: crate::history::Collection,
        /// Object key.
        key: String,
        /// Body.
        body: Vec<u8>,
        /// What it is, in the shop's terms.
        kind: OpKind,
    },
    /// Put a session item.
    TouchSession {
        /// The new session state.
        session: Session,
    },
    /// Put a cart item (add, remove, checkout).
    PutCart {
        /// The new cart state.
        cart: Cart,
        /// What it is, in the shop's terms.
        kind: OpKind,
    },
    /// Delete an emptied cart.
    DeleteCart {
        /// The cart's id.
        cart_id: String,
    },
    /// Place an order: order, lines, payment and new stock in one transaction.
    PlaceOrder {
        /// The order.
        order: Order,
        /// The products whose stock it takes, with their new quantity.
        stock: Vec<Product>,
    },
    /// Write a product row (restock or price change).
    UpdateInventory {
        /// The new product state.
        product: Product,
    },
}

impl Action {
    /// The history kind.
    pub fn kind(&self) -> OpKind {
        match self {
            Action::SeedInventory { .. } => OpKind::Seed,
            Action::PutObject { kind, .. } | Action::PutCart { kind, .. } => *kind,
            Action::TouchSession { .. } => OpKind::SessionTouch,
            Action::DeleteCart { .. } => OpKind::CartRemove,
            Action::PlaceOrder { .. } => OpKind::PlaceOrder,
            Action::UpdateInventory { .. } => OpKind::UpdateInventory,
        }
    }

    /// The records it writes, with their canonical values.
    pub fn writes(&self) -> Vec<Write> {
        match self {
            Action::SeedInventory { products } => {
                products.iter().map(|p| Write::put(p.key(), p.value())).collect()
            }
            Action::PutObject {
                collection,
                key,
                body,
                ..
            } => vec![Write::put(Key::new(*collection, key), Value::object(body))],
            Action::TouchSession { session } => vec![Write::put(session.key(), session.value())],
            Action::PutCart { cart, .. } => vec![Write::put(cart.key(), cart.value())],
            Action::DeleteCart { cart_id } => {
                vec![Write::delete(Key::new(
                    crate::history::Collection::Carts,
                    cart_id,
                ))]
            }
            Action::PlaceOrder { order, stock } => order
                .records()
                .into_iter()
                .map(|(k, v)| Write::put(k, v))
                .chain(stock.iter().map(|p| Write::put(p.key(), p.value())))
                .collect(),
            Action::UpdateInventory { product } => vec![Write::put(product.key(), product.value())],
        }
    }
}

/// A planned operation: when and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedOp {
    /// When, on the target's clock.
    pub at: DateTime<Utc>,
    /// Which client (or the seeder).
    pub process: Process,
    /// What.
    pub action: Action,
}

/// The generated traffic: seeding first, then the timed operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Initial inventory, images and templates (applied before traffic).
    pub seed: Vec<PlannedOp>,
    /// Traffic in time order.
    pub ops: Vec<PlannedOp>,
}

impl Plan {
    /// Operations per kind.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for op in self.seed.iter().chain(&self.ops) {
            *out.entry(op.action.kind().name()).or_insert(0) += 1;
        }
        out
    }
}

const TEMPLATES: [&str; 3] = ["order-confirmation", "shipping-notice", "refund-notice"];
const METHODS: [&str; 3] = ["card", "paypal", "gift_card"];

/// Generator state: the shop as the workload believes it is.
struct Shop {
    rng: ChaCha8Rng,
    spec: WorkloadSpec,
    products: Vec<Product>,
    open_carts: BTreeMap<String, Cart>,
    sessions: BTreeMap<String, Session>,
    template_versions: BTreeMap<&'static str, u32>,
    image_versions: BTreeMap<String, u32>,
    next_order: u64,
    next_cart: u64,
    next_session: u64,
}

impl Shop {
    fn customer(&mut self) -> String {
        format!("cust-{:05}", self.rng.gen_range(0..self.spec.customers))
    }

    fn session_for(&mut self, customer: &str, cart_id: &str, at: DateTime<Utc>) -> Session {
        let existing = self
            .sessions
            .values()
            .find(|s| s.customer_id == customer)
            .map(|s| s.session_id.clone());
        let id = existing.unwrap_or_else(|| {
            self.next_session += 1;
            format!("sess-{:06}", self.next_session)
        });
        let views = self.sessions.get(&id).map_or(0, |s| s.views) + 1;
        let s = Session {
            session_id: id.clone(),
            customer_id: customer.to_owned(),
            cart_id: cart_id.to_owned(),
            last_seen: canonical_instant(at),
            views,
        };
        self.sessions.insert(id, s.clone());
        s
    }

    fn new_cart(&mut self, customer: &str, at: DateTime<Utc>) -> Cart {
        self.next_cart += 1;
        Cart {
            cart_id: format!("cart-{:06}", self.next_cart),
            customer_id: customer.to_owned(),
            items: BTreeMap::new(),
            status: "open".into(),
            updated_at: canonical_instant(at),
        }
    }

    fn image(&mut self, product_id: &str) -> Vec<u8> {
        let version = self.image_versions.entry(product_id.to_owned()).or_insert(0);
        *version += 1;
        let version = *version;
        let len = self.rng.gen_range(256..1024);
        let mut body = vec![0xFF, 0xD8, 0xFF, 0xE0];
        body.extend(format!("{product_id} v{version} ").bytes());
        body.extend((0..len).map(|_| self.rng.r#gen::<u8>()));
        body.extend([0xFF, 0xD9]);
        body
    }

    fn template(&mut self, name: &'static str) -> Vec<u8> {
        let version = self.template_versions.entry(name).or_insert(0);
        *version += 1;
        format!(
            "<!doctype html><html><body><h1>{name}</h1><p>Thank you for your order {{{{order_id}}}}.</p><!-- v{version} --></body></html>"
        )
        .into_bytes()
    }
}

/// An invoice PDF for an order (a small but real PDF).
pub fn invoice_pdf(order: &Order) -> Vec<u8> {
    let mut lines = vec![format!(
        "Invoice {} for {} placed {}",
        order.order_id,
        order.customer_id,
        canonical_instant(order.placed_at)
    )];
    for i in &order.items {
        lines.push(format!(
            "{} x {} at {} cents",
            i.quantity, i.product_id, i.price_cents
        ));
    }
    lines.push(format!(
        "Total {} cents, paid by {}",
        order.total_cents, order.payment.method
    ));
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(n, l)| format!("BT /F1 10 Tf 50 {} Td ({l}) Tj ET\n", 780 - 14 * n as i64))
        .collect();
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n4 0 obj << /Length {} >> stream\n{text}endstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        text.len()
    )
    .into_bytes()
}

/// Generates the plan for `spec` over `duration` of target time from `start`.
pub fn generate(spec: &WorkloadSpec, start: DateTime<Utc>, duration: Duration) -> Plan {
    let mut shop = Shop {
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        spec: spec.clone(),
        products: Vec::new(),
        open_carts: BTreeMap::new(),
        sessions: BTreeMap::new(),
        template_versions: BTreeMap::new(),
        image_versions: BTreeMap::new(),
        next_order: 0,
        next_cart: 0,
        next_session: 0,
    };
    let seed_at = start - Duration::seconds(1);
    for i in 0..spec.products.max(1) {
        let price = shop.rng.gen_range(5..200) * 100 - 1;
        shop.products.push(Product {
            product_id: format!("prod-{i:05}"),
            sku: format!("SKU-{:06}", shop.rng.gen_range(0..1_000_000)),
            name: format!("Product {i}"),
            price_cents: price,
            quantity: shop.rng.gen_range(500..5000),
        });
    }
    let mut seed = vec![PlannedOp {
        at: seed_at,
        process: Process::Seed,
        action: Action::SeedInventory {
            products: shop.products.clone(),
        },
    }];
    for p in shop.products.clone() {
        let body = shop.image(&p.product_id);
        seed.push(PlannedOp {
            at: seed_at,
            process: Process::Seed,
            action: Action::PutObject {
                collection: crate::history::Collection::Images,
                key: image_object_key(&p.product_id),
                body,
                kind: OpKind::Seed,
            },
        });
    }
    for name in TEMPLATES {
        let body = shop.template(name);
        seed.push(PlannedOp {
            at: seed_at,
            process: Process::Seed,
            action: Action::PutObject {
                collection: crate::history::Collection::Templates,
                key: template_object_key(name),
                body,
                kind: OpKind::Seed,
            },
        });
    }

    // Arrival instants per stream, merged into one timeline of intents.
    #[derive(Clone, Copy)]
    enum Intent {
        Order,
        Churn,
        Session,
        Restock,
        Image,
        Template,
    }
    let streams = [
        (Intent::Order, spec.orders_per_hour),
        (Intent::Churn, spec.cart_churn_per_hour),
        (Intent::Session, spec.sessions_per_hour),
        (Intent::Restock, spec.restocks_per_hour),
        (Intent::Image, spec.image_uploads_per_hour),
        (Intent::Template, spec.template_edits_per_hour),
    ];
    let total_ms = duration.num_milliseconds().max(0);
    let mut timeline: Vec<(i64, usize, Intent)> = Vec::new();
    for (s, (intent, rate)) in streams.into_iter().enumerate() {
        if rate <= 0.0 {
            continue;
        }
        let mean_ms = 3_600_000.0 / rate;
        let mut t = 0.0f64;
        for _ in 0..10_000_000 {
            let u: f64 = shop.rng.gen_range(f64::EPSILON..1.0);
            t += -u.ln() * mean_ms;
            if t as i64 >= total_ms {
                break;
            }
            timeline.push((t as i64, s, intent));
        }
    }
    timeline.sort_by_key(|(t, s, _)| (*t, *s));

    let mut ops = Vec::new();
    for (offset, _, intent) in timeline {
        let at = start + Duration::milliseconds(offset);
        let process = Process::Client(shop.rng.gen_range(0..spec.clients.max(1)));
        let step = |n: i64| at + Duration::milliseconds(150 * n);
        let mut push = |n: i64, action: Action| {
            ops.push(PlannedOp {
                at: step(n),
                process,
                action,
            })
        };
        match intent {
            Intent::Order => {
                let customer = shop.customer();
                let mut cart = shop.new_cart(&customer, at);
                let session = shop.session_for(&customer, &cart.cart_id, at);
                push(
                    0,
                    Action::TouchSession {
                        session: session.clone(),
                    },
                );
                let lines = shop.rng.gen_range(1..=3usize);
                for n in 0..lines {
                    let p = shop.rng.gen_range(0..shop.products.len());
                    let qty = shop.rng.gen_range(1..=3u32);
                    *cart.items.entry(shop.products[p].product_id.clone()).or_insert(0) += qty;
                    cart.updated_at = canonical_instant(step(1 + n as i64));
                    push(
                        1 + n as i64,
                        Action::PutCart {
                            cart: cart.clone(),
                            kind: OpKind::CartAdd,
                        },
                    );
                }
                let k = 1 + lines as i64;
                cart.status = "checked_out".into();
                cart.updated_at = canonical_instant(step(k));
                push(
                    k,
                    Action::PutCart {
                        cart: cart.clone(),
                        kind: OpKind::CartCheckout,
                    },
                );
                shop.next_order += 1;
                let order_id = format!("ord-{:07}", shop.next_order);
                let mut items = Vec::new();
                let mut stock = Vec::new();
                for (line, (pid, qty)) in cart.items.iter().enumerate() {
                    let Some(p) = shop.products.iter_mut().find(|p| &p.product_id == pid) else {
                        continue;
                    };
                    p.quantity = (p.quantity - *qty as i32).max(0);
                    items.push(OrderItem {
                        line: line as i32 + 1,
                        product_id: pid.clone(),
                        quantity: *qty as i32,
                        price_cents: p.price_cents,
                    });
                    stock.push(p.clone());
                }
                let total: i64 = items.iter().map(|i| i.price_cents * i.quantity as i64).sum();
                let method = METHODS[shop.rng.gen_range(0..METHODS.len())];
                let order = Order {
                    order_id: order_id.clone(),
                    customer_id: customer.clone(),
                    cart_id: cart.cart_id.clone(),
                    session_id: session.session_id.clone(),
                    status: "paid".into(),
                    total_cents: total,
                    placed_at: to_micros(step(k + 1)),
                    items,
                    payment: Payment {
                        payment_id: format!("pay-{order_id}"),
                        amount_cents: total,
                        method: method.into(),
                        status: "captured".into(),
                    },
                };
                let pdf = invoice_pdf(&order);
                push(k + 1, Action::PlaceOrder { order, stock });
                push(
                    k + 2,
                    Action::PutObject {
                        collection: crate::history::Collection::Invoices,
                        key: invoice_object_key(&order_id),
                        body: pdf,
                        kind: OpKind::InvoiceWrite,
                    },
                );
            }
            Intent::Churn => {
                let remove = !shop.open_carts.is_empty() && shop.rng.gen_bool(0.4);
                if remove {
                    let idx = shop.rng.gen_range(0..shop.open_carts.len());
                    let id = shop.open_carts.keys().nth(idx).cloned().unwrap_or_default();
                    let Some(mut cart) = shop.open_carts.remove(&id) else {
                        continue;
                    };
                    let first = cart.items.keys().next().cloned();
                    if let Some(first) = first {
                        cart.items.remove(&first);
                    }
                    if cart.items.is_empty() {
                        push(0, Action::DeleteCart { cart_id: id });
                    } else {
                        cart.updated_at = canonical_instant(at);
                        shop.open_carts.insert(id, cart.clone());
                        push(
                            0,
                            Action::PutCart {
                                cart,
                                kind: OpKind::CartRemove,
                            },
                        );
                    }
                } else {
                    let customer = shop.customer();
                    let mut cart = shop.new_cart(&customer, at);
                    let p = shop.rng.gen_range(0..shop.products.len());
                    cart.items
                        .insert(shop.products[p].product_id.clone(), shop.rng.gen_range(1..=2));
                    shop.open_carts.insert(cart.cart_id.clone(), cart.clone());
                    push(
                        0,
                        Action::PutCart {
                            cart,
                            kind: OpKind::CartAdd,
                        },
                    );
                }
            }
            Intent::Session => {
                let customer = shop.customer();
                let cart_id = shop
                    .sessions
                    .values()
                    .find(|s| s.customer_id == customer)
                    .map(|s| s.cart_id.clone())
                    .unwrap_or_default();
                let session = shop.session_for(&customer, &cart_id, at);
                push(0, Action::TouchSession { session });
            }
            Intent::Restock => {
                let p = shop.rng.gen_range(0..shop.products.len());
                let extra = shop.rng.gen_range(50..500);
                let reprice = shop.rng.gen_bool(0.2);
                let product = &mut shop.products[p];
                product.quantity += extra;
                if reprice {
                    product.price_cents = (product.price_cents * 9 / 10).max(99);
                }
                let product = product.clone();
                push(0, Action::UpdateInventory { product });
            }
            Intent::Image => {
                let p = shop.rng.gen_range(0..shop.products.len());
                let pid = shop.products[p].product_id.clone();
                let body = shop.image(&pid);
                push(
                    0,
                    Action::PutObject {
                        collection: crate::history::Collection::Images,
                        key: image_object_key(&pid),
                        body,
                        kind: OpKind::ImageUpload,
                    },
                );
            }
            Intent::Template => {
                let name = TEMPLATES[shop.rng.gen_range(0..TEMPLATES.len())];
                let body = shop.template(name);
                push(
                    0,
                    Action::PutObject {
                        collection: crate::history::Collection::Templates,
                        key: template_object_key(name),
                        body,
                        kind: OpKind::TemplateWrite,
                    },
                );
            }
        }
    }
    ops.sort_by_key(|o| o.at);
    Plan { seed, ops }
}

/// How the executor runs.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// A single operation taking longer is abandoned as indeterminate.
    pub op_timeout: StdDuration,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Waits inside scheduled jobs.
    pub wait: WaitOptions,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            op_timeout: StdDuration::from_secs(10),
            progress: false,
            wait: WaitOptions::default(),
        }
    }
}

/// A job that runs at a target instant (the nightly snapshot, a run of the
/// team's cron).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledJob {
    /// When, on the target's clock.
    pub at: DateTime<Utc>,
    /// What.
    pub job: Job,
}

/// What a scheduled job does.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// The policy's nightly snapshot job.
    Snapshot(SnapshotJob),
    /// The team's cron command ([`crate::team::cron`]).
    Command(CommandSpec),
}

/// Every run of the team's cron `jobs` in `[from, to)`, each command run in
/// `dir` (the scenario's directory).
pub fn schedule_cron(
    jobs: &[CronJob],
    dir: Option<&std::path::Path>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<ScheduledJob> {
    let mut out: Vec<ScheduledJob> = jobs
        .iter()
        .flat_map(|j| {
            let mut spec = j.spec();
            spec.dir = dir.map(std::path::Path::to_path_buf);
            j.runs(from, to).into_iter().map(move |at| ScheduledJob {
                at,
                job: Job::Command(spec.clone()),
            })
        })
        .collect();
    out.sort_by_key(|j| j.at);
    out
}

/// Every run of `job` in `[from, to)`.
pub fn schedule_snapshots(job: &SnapshotJob, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<ScheduledJob> {
    let mut out = Vec::new();
    let mut day = from.date_naive();
    for _ in 0..10_000 {
        let at = day.and_time(job.at).and_utc();
        if at >= to {
            break;
        }
        if at >= from {
            out.push(ScheduledJob {
                at,
                job: Job::Snapshot(job.clone()),
            });
        }
        day = day.succ_opt().unwrap_or(day);
    }
    out
}

/// What the executor did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecStats {
    /// Operations acknowledged.
    pub ok: u64,
    /// Operations refused.
    pub fail: u64,
    /// Operations indeterminate.
    pub info: u64,
    /// Scheduled jobs run.
    pub jobs: u64,
}

/// The client: applies planned operations to a store.
pub struct Executor<'a> {
    target: &'a dyn Target,
    store: Store,
    clients: Clients,
    db: Option<tokio_postgres::Client>,
    /// The MySQL-protocol connection when the orders database speaks it;
    /// dropped after any failure the server did not answer.
    mysql: Option<mysql_async::Conn>,
    opts: ExecOptions,
}

impl<'a> Executor<'a> {
    /// A client for `store` on `target`.
    pub fn new(target: &'a dyn Target, store: &Store, opts: ExecOptions) -> Self {
        Self {
            target,
            clients: store.clients(target),
            store: store.clone(),
            db: None,
            mysql: None,
            opts,
        }
    }

    /// Applies `ops` in order, advancing a simulated clock to each one's
    /// instant, running `jobs` when their instant comes, and recording
    /// everything in `history`. Operations planned at or after `until` are
    /// not applied. Returns how many operations of `ops` were applied.
    pub async fn run(
        &mut self,
        ops: &[PlannedOp],
        jobs: &[ScheduledJob],
        until: Option<DateTime<Utc>>,
        history: &mut History,
        stats: &mut ExecStats,
    ) -> anyhow::Result<usize> {
        let bar = if self.opts.progress {
            indicatif::ProgressBar::new(ops.len() as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ops ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message("traffic");
        let mut pending_jobs: Vec<&ScheduledJob> = jobs.iter().collect();
        pending_jobs.sort_by_key(|j| j.at);
        let mut job_idx = 0;
        let mut applied = 0;
        for op in ops {
            if until.is_some_and(|u| op.at >= u) {
                break;
            }
            while job_idx < pending_jobs.len() && pending_jobs[job_idx].at <= op.at {
                let job = pending_jobs[job_idx];
                self.run_job(job, history).await?;
                stats.jobs += 1;
                job_idx += 1;
            }
            self.advance_to(op.at).await?;
            let outcome = self.apply(op, history).await?;
            match outcome {
                Outcome::Ok => stats.ok += 1,
                Outcome::Fail => stats.fail += 1,
                Outcome::Info => stats.info += 1,
            }
            applied += 1;
            bar.inc(1);
        }
        // Jobs due before the end of the window still run.
        let end = until.or_else(|| ops.last().map(|o| o.at));
        while job_idx < pending_jobs.len() && end.is_some_and(|e| pending_jobs[job_idx].at < e) {
            let job = pending_jobs[job_idx];
            self.run_job(job, history).await?;
            stats.jobs += 1;
            job_idx += 1;
        }
        bar.finish_and_clear();
        Ok(applied)
    }

    async fn run_job(&mut self, job: &ScheduledJob, history: &mut History) -> anyhow::Result<()> {
        self.advance_to(job.at).await?;
        let detail = match &job.job {
            Job::Snapshot(snapshot) => {
                run_snapshot_job(self.target, &self.store, snapshot, &self.opts.wait).await?
            }
            Job::Command(spec) => crate::team::cron::run(self.target, &self.store, spec, job.at).await,
        };
        history.event(self.target.now(), EventKind::Backup { detail });
        Ok(())
    }

    async fn advance_to(&self, at: DateTime<Utc>) -> anyhow::Result<()> {
        if !self.target.capabilities().simulated_clock {
            return Ok(());
        }
        // Gaps under a second are left to the clock itself (it runs at wall
        // rate): one admin call per operation would dominate a drill.
        let now = self.target.now();
        if at - now > Duration::seconds(1) {
            self.target.advance(at - now).await?;
        }
        Ok(())
    }

    async fn db(&mut self) -> anyhow::Result<&mut tokio_postgres::Client> {
        let stale = self.db.as_ref().is_none_or(|c| c.is_closed());
        if stale {
            self.db = Some(self.store.connect(self.target).await?);
        }
        self.db.as_mut().context("no database connection")
    }

    /// Applies one operation and records it; returns its outcome.
    pub async fn apply(&mut self, op: &PlannedOp, history: &mut History) -> anyhow::Result<Outcome> {
        let writes = op
            .action
            .writes()
            .into_iter()
            .map(|w| Write {
                key: self.store.names.placed(w.key),
                value: w.value,
            })
            .collect();
        let pending = history.invoke(op.process, op.action.kind(), writes, self.target.now());
        let timeout = self.opts.op_timeout;
        let result = tokio::time::timeout(timeout, self.perform(&op.action)).await;
        let (outcome, error) = match result {
            Ok(Ok(())) => (Outcome::Ok, None),
            Ok(Err(OpError::Refused(e))) => (Outcome::Fail, Some(e)),
            Ok(Err(OpError::Unknown(e))) => (Outcome::Info, Some(e)),
            Err(_) => (
                Outcome::Info,
                Some(format!("timed out after {} ms", timeout.as_millis())),
            ),
        };
        if let Some(e) = &error {
            tracing::debug!(kind = op.action.kind().name(), error = %e, ?outcome, "operation did not succeed");
        }
        history.complete(pending, self.target.now(), outcome, error);
        Ok(outcome)
    }

    async fn perform(&mut self, action: &Action) -> Result<(), OpError> {
        if self.store.names.orders_engine.speaks_mysql()
            && matches!(
                action,
                Action::SeedInventory { .. } | Action::UpdateInventory { .. } | Action::PlaceOrder { .. }
            )
        {
            return self.perform_mysql(action).await;
        }
        match action {
            Action::SeedInventory { products } => {
                let db = self.db().await.map_err(OpError::unknown)?;
                let tx = db.transaction().await.map_err(OpError::sql)?;
                for p in products {
                    tx.execute(
                        "INSERT INTO inventory (product_id, sku, name, price_cents, quantity) VALUES ($1, $2, $3, $4, $5)",
                        &[&p.product_id, &p.sku, &p.name, &p.price_cents, &p.quantity],
                    )
                    .await
                    .map_err(OpError::sql)?;
                }
                tx.commit().await.map_err(OpError::sql_commit)
            }
            Action::UpdateInventory { product: p } => {
                let db = self.db().await.map_err(OpError::unknown)?;
                db.execute(
                    "UPDATE inventory SET sku = $2, name = $3, price_cents = $4, quantity = $5 WHERE product_id = $1",
                    &[&p.product_id, &p.sku, &p.name, &p.price_cents, &p.quantity],
                )
                .await
                .map_err(OpError::sql_commit)?;
                Ok(())
            }
            Action::PlaceOrder { order, stock } => {
                let db = self.db().await.map_err(OpError::unknown)?;
                let tx = db.transaction().await.map_err(OpError::sql)?;
                tx.execute(
                    "INSERT INTO orders (order_id, customer_id, cart_id, session_id, status, total_cents, placed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &order.order_id,
                        &order.customer_id,
                        &order.cart_id,
                        &order.session_id,
                        &order.status,
                        &order.total_cents,
                        &order.placed_at,
                    ],
                )
                .await
                .map_err(OpError::sql)?;
                for i in &order.items {
                    tx.execute(
                        "INSERT INTO order_items (order_id, line, product_id, quantity, price_cents) VALUES ($1, $2, $3, $4, $5)",
                        &[&order.order_id, &i.line, &i.product_id, &i.quantity, &i.price_cents],
                    )
                    .await
                    .map_err(OpError::sql)?;
                }
                let p = &order.payment;
                tx.execute(
                    "INSERT INTO payments (payment_id, order_id, amount_cents, method, status) VALUES ($1, $2, $3, $4, $5)",
                    &[&p.payment_id, &order.order_id, &p.amount_cents, &p.method, &p.status],
                )
                .await
                .map_err(OpError::sql)?;
                for s in stock {
                    tx.execute(
                        "UPDATE inventory SET quantity = $2, price_cents = $3 WHERE product_id = $1",
                        &[&s.product_id, &s.quantity, &s.price_cents],
                    )
                    .await
                    .map_err(OpError::sql)?;
                }
                tx.commit().await.map_err(OpError::sql_commit)
            }
            Action::TouchSession { session } if self.store.names.cached(Collection::Sessions) => {
                self.put_cached(session.key(), session.value()).await
            }
            Action::PutCart { cart, .. } if self.store.names.cached(Collection::Carts) => {
                self.put_cached(cart.key(), cart.value()).await
            }
            Action::DeleteCart { cart_id } if self.store.names.cached(Collection::Carts) => {
                let key = self.store.names.placed(Key::new(Collection::Carts, cart_id));
                crate::store::elasticache::delete(self.target, &self.store, &key)
                    .await
                    .map_err(OpError::cache)
            }
            Action::TouchSession { session } => {
                let table = self.store.names.sessions_table.clone();
                self.clients
                    .dynamodb
                    .put_item()
                    .table_name(table)
                    .set_item(Some(session.item()))
                    .send()
                    .await
                    .map_err(OpError::sdk)?;
                Ok(())
            }
            Action::PutCart { cart, .. } => {
                let table = self.store.names.carts_table.clone();
                self.clients
                    .dynamodb
                    .put_item()
                    .table_name(table)
                    .set_item(Some(cart.item()))
                    .send()
                    .await
                    .map_err(OpError::sdk)?;
                Ok(())
            }
            Action::DeleteCart { cart_id } => {
                let table = self.store.names.carts_table.clone();
                let key: HashMap<_, _> = [(
                    "cart_id".to_owned(),
                    aws_sdk_dynamodb::types::AttributeValue::S(cart_id.clone()),
                )]
                .into();
                self.clients
                    .dynamodb
                    .delete_item()
                    .table_name(table)
                    .set_key(Some(key))
                    .send()
                    .await
                    .map_err(OpError::sdk)?;
                Ok(())
            }
            Action::PutObject {
                collection,
                key,
                body,
                ..
            } => {
                let bucket = self
                    .store
                    .names
                    .bucket(*collection)
                    .ok_or_else(|| OpError::Refused(format!("{collection} is not a bucket")))?
                    .to_owned();
                let content_type = match collection {
                    crate::history::Collection::Images => "image/jpeg",
                    crate::history::Collection::Invoices => "application/pdf",
                    _ => "text/html",
                };
                self.clients
                    .s3
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .content_type(content_type)
                    .body(body.clone().into())
                    .send()
                    .await
                    .map_err(OpError::sdk)?;
                Ok(())
            }
        }
    }
}

impl Executor<'_> {
    /// Applies an orders-database action over the MySQL protocol. The
    /// connection is taken for the write and put back only when the server
    /// answered, so a broken or cancelled one is never reused.
    async fn perform_mysql(&mut self, action: &Action) -> Result<(), OpError> {
        use crate::store::mysql;
        let mut conn = match self.mysql.take() {
            Some(c) => c,
            None => {
                let (host, port) = self
                    .target
                    .database_address(&self.store.db.address, self.store.db.port);
                mysql::connect(&host, port, &self.store.names)
                    .await
                    .map_err(OpError::unknown)?
            }
        };
        let result = match action {
            Action::SeedInventory { products } => mysql::seed_inventory(&mut conn, products).await,
            Action::UpdateInventory { product } => mysql::update_inventory(&mut conn, product).await,
            Action::PlaceOrder { order, stock } => mysql::place_order(&mut conn, order, stock).await,
            other => {
                self.mysql = Some(conn);
                return Err(OpError::Refused(format!(
                    "{} is not an orders-database write",
                    other.kind().name()
                )));
            }
        };
        match result {
            Ok(()) => {
                self.mysql = Some(conn);
                Ok(())
            }
            Err(e) => {
                if e.connection_usable() {
                    self.mysql = Some(conn);
                }
                Err(if e.certainly_not_applied() {
                    OpError::Refused(e.to_string())
                } else {
                    OpError::Unknown(e.to_string())
                })
            }
        }
    }

    /// Writes a session or cart kept in ElastiCache, with its TTL.
    async fn put_cached(&self, key: Key, value: Value) -> Result<(), OpError> {
        let key = self.store.names.placed(key);
        crate::store::elasticache::put(self.target, &self.store, &key, &value)
            .await
            .map_err(OpError::cache)
    }
}

/// Why an operation did not succeed: certainly not applied, or unknown.
#[derive(Debug)]
pub enum OpError {
    /// The service refused it: it did not happen.
    Refused(String),
    /// It may or may not have happened.
    Unknown(String),
}

impl OpError {
    fn unknown(e: anyhow::Error) -> Self {
        OpError::Unknown(format!("{e:#}"))
    }

    /// A Redis error: refused when the command certainly did not apply.
    fn cache(e: crate::store::elasticache::CacheError) -> Self {
        if e.certainly_not_applied() {
            OpError::Refused(e.to_string())
        } else {
            OpError::Unknown(e.to_string())
        }
    }

    /// An SDK error: a service error is a refusal, anything else
    /// (dispatch, timeout, an unreadable response) is indeterminate.
    pub fn sdk<E: std::error::Error + Send + Sync + 'static, R: std::fmt::Debug>(
        e: aws_sdk_dynamodb::error::SdkError<E, R>,
    ) -> Self {
        use aws_sdk_dynamodb::error::SdkError;
        match e {
            SdkError::ServiceError(s) => OpError::Refused(format!("{}", s.err())),
            SdkError::ConstructionFailure(_) => OpError::Refused(format!("{e}")),
            other => OpError::Unknown(format!("{other}")),
        }
    }

    /// A SQL error before commit: the server's refusal rolls the transaction
    /// back; a broken connection leaves it unknown only if it broke at commit,
    /// which [`OpError::sql_commit`] handles.
    fn sql(e: tokio_postgres::Error) -> Self {
        if e.as_db_error().is_some() {
            OpError::Refused(e.to_string())
        } else if e.is_closed() {
            OpError::Refused(format!("connection closed before commit: {e}"))
        } else {
            OpError::Unknown(e.to_string())
        }
    }

    /// A SQL error at commit (or of a single auto-committed statement).
    fn sql_commit(e: tokio_postgres::Error) -> Self {
        if e.as_db_error().is_some() {
            OpError::Refused(e.to_string())
        } else {
            OpError::Unknown(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Collection;

    fn start() -> DateTime<Utc> {
        "2026-03-14T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_traffic_and_another_seed_does_not() {
        let spec = WorkloadSpec::flash_sale(42);
        let a = generate(&spec, start(), Duration::hours(1));
        let b = generate(&spec, start(), Duration::hours(1));
        assert_eq!(a, b);
        let c = generate(&WorkloadSpec::flash_sale(43), start(), Duration::hours(1));
        assert_ne!(a.ops, c.ops);
    }

    #[test]
    fn rates_are_honoured_roughly() {
        let spec = WorkloadSpec::flash_sale(7);
        let plan = generate(&spec, start(), Duration::hours(2));
        let orders = plan
            .ops
            .iter()
            .filter(|o| o.action.kind() == OpKind::PlaceOrder)
            .count();
        assert!((680..=920).contains(&orders), "{orders} orders in 2 h at 400/h");
        let invoices = plan.counts()["invoice_write"];
        assert_eq!(invoices, orders, "every order has an invoice");
        assert!(plan.ops.windows(2).all(|w| w[0].at <= w[1].at), "time order");
        assert!(
            plan.ops
                .iter()
                .all(|o| o.at >= start() && o.at < start() + Duration::hours(2) + Duration::seconds(5))
        );
    }

    #[test]
    fn orders_are_consistent_flows() {
        let plan = generate(&WorkloadSpec::flash_sale(1), start(), Duration::minutes(30));
        for op in &plan.ops {
            if let Action::PlaceOrder { order, stock } = &op.action {
                let sum: i64 = order
                    .items
                    .iter()
                    .map(|i| i.price_cents * i.quantity as i64)
                    .sum();
                assert_eq!(order.total_cents, sum);
                assert_eq!(order.payment.amount_cents, sum);
                assert_eq!(stock.len(), order.items.len());
                let checkout = plan.ops.iter().any(|o| {
                    matches!(&o.action, Action::PutCart { cart, kind: OpKind::CartCheckout }
                        if cart.cart_id == order.cart_id && o.at < op.at)
                });
                assert!(checkout, "order {} follows its cart's checkout", order.order_id);
                let writes = op.action.writes();
                assert_eq!(writes.len(), 2 + order.items.len() + stock.len());
            }
        }
    }

    #[test]
    fn seeding_covers_products_images_and_templates() {
        let spec = WorkloadSpec {
            products: 5,
            ..WorkloadSpec::flash_sale(3)
        };
        let plan = generate(&spec, start(), Duration::zero());
        assert!(plan.ops.is_empty());
        let writes: Vec<Write> = plan.seed.iter().flat_map(|o| o.action.writes()).collect();
        assert_eq!(
            writes
                .iter()
                .filter(|w| w.key.collection == Collection::Inventory)
                .count(),
            5
        );
        assert_eq!(
            writes
                .iter()
                .filter(|w| w.key.collection == Collection::Images)
                .count(),
            5
        );
        assert_eq!(
            writes
                .iter()
                .filter(|w| w.key.collection == Collection::Templates)
                .count(),
            3
        );
        assert!(
            plan.seed
                .iter()
                .all(|o| o.process == Process::Seed && o.at < start())
        );
    }

    #[test]
    fn invalid_specs_name_the_field() {
        let mut s = WorkloadSpec::flash_sale(1);
        s.orders_per_hour = -1.0;
        assert!(s.validate().unwrap_err().to_string().contains("orders_per_hour"));
        let mut s = WorkloadSpec::flash_sale(1);
        s.products = 0;
        assert!(s.validate().unwrap_err().to_string().contains("products"));
    }

    #[test]
    fn snapshots_are_scheduled_daily_inside_the_window() {
        let job = SnapshotJob {
            at: chrono::NaiveTime::from_hms_opt(3, 0, 0).unwrap(),
            retention_days: 7,
        };
        let from: DateTime<Utc> = "2026-03-14T00:00:00Z".parse().unwrap();
        let runs = schedule_snapshots(&job, from, from + Duration::hours(15) + Duration::minutes(47));
        assert_eq!(runs.len(), 1);
        assert_eq!(
            runs[0].at,
            "2026-03-14T03:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let runs = schedule_snapshots(&job, from + Duration::hours(4), from + Duration::days(3));
        assert_eq!(runs.len(), 2);
    }

    #[test]
    fn invoices_are_pdfs() {
        let plan = generate(&WorkloadSpec::flash_sale(9), start(), Duration::minutes(10));
        let pdf = plan
            .ops
            .iter()
            .find_map(|o| match &o.action {
                Action::PutObject {
                    collection: Collection::Invoices,
                    body,
                    ..
                } => Some(body.clone()),
                _ => None,
            })
            .unwrap();
        assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
    }
}
