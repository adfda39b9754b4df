//! The orders database on the MySQL protocol (`[store] orders_engine =
//! "mysql"` or `"mariadb"`), over `mysql_async`: the schema, the shop's
//! writes, reading every row back, and the destructive SQL the nemesis runs.
//!
//! The tables are PostgreSQL's ([`crate::model::SCHEMA`]) in InnoDB, with
//! byte-exact `utf8mb4_bin` keys and `placed_at` as `DATETIME(6)`: an
//! instant written as UTC text to the microsecond and read back with
//! `DATE_FORMAT`, so no session time zone can shift it and the canonical
//! value is the same as PostgreSQL's `timestamptz`. Writes use prepared
//! statements; an order is one transaction (order, lines, payment, stock).
//! A server error before or at commit is a refusal (the server rolled the
//! transaction back); a broken connection at commit leaves the write
//! indeterminate ([`WriteError::certainly_not_applied`]).

use crate::history::{Collection, Key, Value};
use crate::model::{
    Order, Product, StoreNames, inventory_value, order_item_id, order_item_value, order_value, payment_value,
};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, TxOpts};
use std::time::Duration as StdDuration;

/// The schema, one statement each (the same tables as PostgreSQL's).
pub const SCHEMA: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS inventory (
    product_id  VARCHAR(64) NOT NULL PRIMARY KEY,
    sku         VARCHAR(64) NOT NULL,
    name        VARCHAR(255) NOT NULL,
    price_cents BIGINT NOT NULL,
    quantity    INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS orders (
    order_id    VARCHAR(64) NOT NULL PRIMARY KEY,
    customer_id VARCHAR(64) NOT NULL,
    cart_id     VARCHAR(64) NOT NULL,
    session_id  VARCHAR(64) NOT NULL,
    status      VARCHAR(32) NOT NULL,
    total_cents BIGINT NOT NULL,
    placed_at   DATETIME(6) NOT NULL,
    KEY orders_placed_at (placed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS order_items (
    order_id    VARCHAR(64) NOT NULL,
    line        INT NOT NULL,
    product_id  VARCHAR(64) NOT NULL,
    quantity    INT NOT NULL,
    price_cents BIGINT NOT NULL,
    PRIMARY KEY (order_id, line),
    FOREIGN KEY (order_id) REFERENCES orders (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS payments (
    payment_id   VARCHAR(64) NOT NULL PRIMARY KEY,
    order_id     VARCHAR(64) NOT NULL,
    amount_cents BIGINT NOT NULL,
    method       VARCHAR(32) NOT NULL,
    status       VARCHAR(32) NOT NULL,
    FOREIGN KEY (order_id) REFERENCES orders (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
];

/// MySQL's `ER_NO_SUCH_TABLE`.
const NO_SUCH_TABLE: u16 = 1146;

/// The `orders` columns as canonical text, `placed_at` in RFC 3339 UTC.
const ORDER_COLUMNS: &str = "order_id, customer_id, cart_id, session_id, status, total_cents, \
     DATE_FORMAT(placed_at, '%Y-%m-%dT%H:%i:%s.%fZ')";

/// One `orders` row as read.
type OrderRow = (String, String, String, String, String, i64, String);

/// Connects to `host:port` as the store's master user, to its database.
pub async fn connect(host: &str, port: u16, names: &StoreNames) -> anyhow::Result<Conn> {
    let opts = OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(Some(names.db_user.as_str()))
        .pass(Some(names.db_password.as_str()))
        .db_name(Some(names.db_name.as_str()))
        .prefer_socket(false);
    let what = || format!("connecting to the orders database (MySQL protocol) at {host}:{port}");
    tokio::time::timeout(StdDuration::from_secs(10), Conn::new(opts))
        .await
        .map_err(|_| anyhow!("timed out after 10 s"))
        .with_context(what)?
        .with_context(what)
}

/// Creates the four tables.
pub async fn create_schema(db: &mut Conn) -> anyhow::Result<()> {
    for statement in SCHEMA {
        db.query_drop(statement)
            .await
            .context("creating the orders schema (MySQL)")?;
    }
    Ok(())
}

/// An instant as a `DATETIME(6)` literal in UTC.
pub fn datetime_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

fn parse_instant(text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("placed_at {text:?} is not an instant"))
}

fn no_such_table(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if s.code == NO_SUCH_TABLE)
}

/// How many orders there are; `None` when the table is missing.
pub async fn count_orders(db: &mut Conn) -> anyhow::Result<Option<i64>> {
    match db.query_first::<i64, _>("SELECT count(*) FROM orders").await {
        Ok(n) => Ok(Some(n.unwrap_or(0))),
        Err(e) if no_such_table(&e) => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context("counting orders")),
    }
}

/// How many orders were placed at or after `since`.
pub async fn count_orders_since(db: &mut Conn, since: DateTime<Utc>) -> anyhow::Result<i64> {
    let n: Option<i64> = db
        .exec_first(
            "SELECT count(*) FROM orders WHERE placed_at >= ?",
            (datetime_text(since),),
        )
        .await
        .context("counting the orders to corrupt")?;
    Ok(n.unwrap_or(0))
}

fn order_record(r: OrderRow) -> anyhow::Result<(Key, Value)> {
    let (id, customer, cart, session, status, total, placed) = r;
    let v = order_value(
        &id,
        &customer,
        &cart,
        &session,
        &status,
        total,
        parse_instant(&placed)?,
    );
    Ok((Key::new(Collection::Orders, id), v))
}

/// Every row of one table as canonical records; `None` when it does not exist.
pub async fn read_table(db: &mut Conn, c: Collection) -> anyhow::Result<Option<Vec<(Key, Value)>>> {
    let read = async {
        let rows = match c {
            Collection::Inventory => db
                .query::<(String, String, String, i64, i32), _>(
                    "SELECT product_id, sku, name, price_cents, quantity FROM inventory",
                )
                .await?
                .into_iter()
                .map(|(id, sku, name, price, qty)| {
                    let v = inventory_value(&id, &sku, &name, price, qty);
                    Ok((Key::new(c, id), v))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            Collection::Orders => db
                .query::<OrderRow, _>(format!("SELECT {ORDER_COLUMNS} FROM orders"))
                .await?
                .into_iter()
                .map(order_record)
                .collect::<anyhow::Result<Vec<_>>>()?,
            Collection::OrderItems => db
                .query::<(String, i32, String, i32, i64), _>(
                    "SELECT order_id, line, product_id, quantity, price_cents FROM order_items",
                )
                .await?
                .into_iter()
                .map(|(order, line, product, qty, price)| {
                    let v = order_item_value(&order, line, &product, qty, price);
                    Ok((Key::new(c, order_item_id(&order, line)), v))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            Collection::Payments => db
                .query::<(String, String, i64, String, String), _>(
                    "SELECT payment_id, order_id, amount_cents, method, status FROM payments",
                )
                .await?
                .into_iter()
                .map(|(id, order, amount, method, status)| {
                    let v = payment_value(&id, &order, amount, &method, &status);
                    Ok((Key::new(c, id), v))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            other => bail!("{other} is not an orders-database table"),
        };
        Ok::<_, anyhow::Error>(rows)
    };
    match read.await {
        Ok(rows) => Ok(Some(rows)),
        Err(e) if e.downcast_ref::<mysql_async::Error>().is_some_and(no_such_table) => Ok(None),
        Err(e) => Err(e.context(format!("reading {c}"))),
    }
}

/// The record ids of one table.
pub async fn read_ids(db: &mut Conn, c: Collection) -> anyhow::Result<Vec<String>> {
    let sql = match c {
        Collection::Orders => "SELECT order_id FROM orders",
        Collection::OrderItems => "SELECT CONCAT(order_id, '#', line) FROM order_items",
        Collection::Inventory => "SELECT product_id FROM inventory",
        Collection::Payments => "SELECT payment_id FROM payments",
        other => bail!("{other} is not an orders-database table"),
    };
    db.query::<String, _>(sql)
        .await
        .with_context(|| format!("reading {c}"))
}

/// The bad deploy's UPDATE: totals zeroed and statuses scrambled on every
/// order placed at or after `since`, in one transaction; returns the rows as
/// the UPDATE left them (MySQL has no `UPDATE ... RETURNING`, so the same
/// transaction reads them back).
pub async fn corrupt_orders(db: &mut Conn, since: DateTime<Utc>) -> anyhow::Result<Vec<(Key, Value)>> {
    let since = datetime_text(since);
    let mut tx = db.start_transaction(TxOpts::default()).await?;
    tx.exec_drop(
        "UPDATE orders SET total_cents = 0, \
         status = ELT(1 + CRC32(order_id) % 4, 'refunded', 'cancelled', 'pending', 'on_hold') \
         WHERE placed_at >= ?",
        (since.as_str(),),
    )
    .await?;
    let rows: Vec<OrderRow> = tx
        .exec(
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE placed_at >= ?"),
            (since.as_str(),),
        )
        .await?;
    tx.commit().await?;
    rows.into_iter().map(order_record).collect()
}

/// The ids of the orders placed at or after `since` and of their lines and
/// payments.
pub async fn order_keys_since(
    db: &mut Conn,
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<(Collection, String)>> {
    let since = datetime_text(since);
    let mut out = Vec::new();
    for (c, sql) in [
        (
            Collection::Orders,
            "SELECT order_id FROM orders WHERE placed_at >= ?",
        ),
        (
            Collection::OrderItems,
            "SELECT CONCAT(i.order_id, '#', i.line) FROM order_items i JOIN orders o USING (order_id) WHERE o.placed_at >= ?",
        ),
        (
            Collection::Payments,
            "SELECT p.payment_id FROM payments p JOIN orders o USING (order_id) WHERE o.placed_at >= ?",
        ),
    ] {
        let ids: Vec<String> = db
            .exec(sql, (since.as_str(),))
            .await
            .with_context(|| format!("reading {c}"))?;
        out.extend(ids.into_iter().map(|id| (c, id)));
    }
    Ok(out)
}

/// Deletes the orders placed at or after `since` with their lines and
/// payments, in one transaction.
pub async fn delete_orders_since(db: &mut Conn, since: DateTime<Utc>) -> anyhow::Result<()> {
    let since = datetime_text(since);
    let mut tx = db.start_transaction(TxOpts::default()).await?;
    for sql in super::orders::DELETE_ORDERS {
        tx.exec_drop(sql, (since.as_str(),)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `DROP TABLE` of one table; the foreign keys of the tables referencing it
/// are not checked (PostgreSQL's `CASCADE` drops those constraints; MySQL
/// refuses the drop unless the check is off for the session).
pub async fn drop_table(db: &mut Conn, c: Collection) -> anyhow::Result<()> {
    db.query_drop("SET SESSION foreign_key_checks = 0").await?;
    let dropped = db.query_drop(format!("DROP TABLE {}", c.name())).await;
    let restored = db.query_drop("SET SESSION foreign_key_checks = 1").await;
    dropped?;
    restored?;
    Ok(())
}

/// Why a write of the shop did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Before the commit: the transaction did not commit, whatever broke.
    #[error("{0}")]
    BeforeCommit(mysql_async::Error),
    /// At the commit (or of a single auto-committed statement).
    #[error("{0}")]
    AtCommit(mysql_async::Error),
}

impl WriteError {
    /// Whether the write certainly did not apply: any failure before the
    /// commit, or the server's own refusal at it (a broken connection at
    /// commit may have committed).
    pub fn certainly_not_applied(&self) -> bool {
        match self {
            WriteError::BeforeCommit(_) => true,
            WriteError::AtCommit(e) => matches!(e, mysql_async::Error::Server(_)),
        }
    }

    /// Whether the connection can be used again (the server answered).
    pub fn connection_usable(&self) -> bool {
        let (WriteError::BeforeCommit(e) | WriteError::AtCommit(e)) = self;
        matches!(e, mysql_async::Error::Server(_))
    }
}

/// Seeds the products in one transaction.
pub async fn seed_inventory(db: &mut Conn, products: &[Product]) -> Result<(), WriteError> {
    let mut tx = db
        .start_transaction(TxOpts::default())
        .await
        .map_err(WriteError::BeforeCommit)?;
    for p in products {
        tx.exec_drop(
            "INSERT INTO inventory (product_id, sku, name, price_cents, quantity) VALUES (?, ?, ?, ?, ?)",
            (
                p.product_id.as_str(),
                p.sku.as_str(),
                p.name.as_str(),
                p.price_cents,
                p.quantity,
            ),
        )
        .await
        .map_err(WriteError::BeforeCommit)?;
    }
    tx.commit().await.map_err(WriteError::AtCommit)
}

/// Writes one product row (auto-committed).
pub async fn update_inventory(db: &mut Conn, p: &Product) -> Result<(), WriteError> {
    db.exec_drop(
        "UPDATE inventory SET sku = ?, name = ?, price_cents = ?, quantity = ? WHERE product_id = ?",
        (
            p.sku.as_str(),
            p.name.as_str(),
            p.price_cents,
            p.quantity,
            p.product_id.as_str(),
        ),
    )
    .await
    .map_err(WriteError::AtCommit)
}

/// Places an order: the order, its lines, its payment and the new stock in
/// one transaction.
pub async fn place_order(db: &mut Conn, order: &Order, stock: &[Product]) -> Result<(), WriteError> {
    let before = WriteError::BeforeCommit;
    let mut tx = db.start_transaction(TxOpts::default()).await.map_err(before)?;
    tx.exec_drop(
        "INSERT INTO orders (order_id, customer_id, cart_id, session_id, status, total_cents, placed_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            order.order_id.as_str(),
            order.customer_id.as_str(),
            order.cart_id.as_str(),
            order.session_id.as_str(),
            order.status.as_str(),
            order.total_cents,
            datetime_text(order.placed_at),
        ),
    )
    .await
    .map_err(before)?;
    for i in &order.items {
        tx.exec_drop(
            "INSERT INTO order_items (order_id, line, product_id, quantity, price_cents) VALUES (?, ?, ?, ?, ?)",
            (
                order.order_id.as_str(),
                i.line,
                i.product_id.as_str(),
                i.quantity,
                i.price_cents,
            ),
        )
        .await
        .map_err(before)?;
    }
    let p = &order.payment;
    tx.exec_drop(
        "INSERT INTO payments (payment_id, order_id, amount_cents, method, status) VALUES (?, ?, ?, ?, ?)",
        (
            p.payment_id.as_str(),
            order.order_id.as_str(),
            p.amount_cents,
            p.method.as_str(),
            p.status.as_str(),
        ),
    )
    .await
    .map_err(before)?;
    for s in stock {
        tx.exec_drop(
            "UPDATE inventory SET quantity = ?, price_cents = ? WHERE product_id = ?",
            (s.quantity, s.price_cents, s.product_id.as_str()),
        )
        .await
        .map_err(before)?;
    }
    tx.commit().await.map_err(WriteError::AtCommit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_as_utc_datetime_and_read_back_canonically() {
        let t: DateTime<Utc> = "2026-03-14T15:47:00.123456Z".parse().expect("instant");
        assert_eq!(datetime_text(t), "2026-03-14 15:47:00.123456");
        let read = parse_instant("2026-03-14T15:47:00.123456Z").expect("parses");
        assert_eq!(read, t);
        assert_eq!(
            crate::model::canonical_instant(read),
            crate::model::canonical_instant(t)
        );
        assert!(parse_instant("2026-03-14 15:47:00").is_err());
    }

    #[test]
    fn only_a_server_answer_at_commit_says_the_write_did_not_apply() {
        let server = || {
            mysql_async::Error::Server(mysql_async::ServerError {
                code: 1062,
                message: "Duplicate entry".into(),
                state: "23000".into(),
            })
        };
        let io = || mysql_async::Error::Driver(mysql_async::DriverError::ConnectionClosed);
        assert!(WriteError::BeforeCommit(io()).certainly_not_applied());
        assert!(WriteError::AtCommit(server()).certainly_not_applied());
        assert!(!WriteError::AtCommit(io()).certainly_not_applied());
        assert!(WriteError::AtCommit(server()).connection_usable());
        assert!(!WriteError::BeforeCommit(io()).connection_usable());
    }

    #[test]
    fn the_schema_has_the_four_tables_postgres_has() {
        for table in ["inventory", "orders", "order_items", "payments"] {
            assert!(
                SCHEMA
                    .iter()
                    .any(|s| s.contains(&format!("CREATE TABLE IF NOT EXISTS {table} ("))),
                "{table}"
            );
            assert!(crate::model::SCHEMA.contains(&format!("CREATE TABLE IF NOT EXISTS {table} (")));
        }
    }
}
