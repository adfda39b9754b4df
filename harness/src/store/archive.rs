//! The shop's past orders (`[store] orders_preloaded`): a size the store
//! has before the drill's traffic starts, written server-side so that it is
//! real data with a real transaction log behind it.
//!
//! ```toml
//! [store]
//! orders_preloaded = 1500000   # past orders in `order_archive`, at most MAX_PRELOADED
//! ```
//!
//! [`preload`] creates the `order_archive` table in the orders database and
//! fills it with that many delivered orders (customer, total, currency,
//! placed and delivered times, a shipping address and the line items as
//! JSON: about 300 bytes a row), each generated from its number `n` alone.
//! Each order lives its life as on a live shop: inserted `placed`, then
//! updated `paid`, `shipped` and `delivered`, batch by batch with a
//! `VACUUM` between batches, so the table stays the size of its last
//! versions while the write-ahead log holds all four (about 2.4 KiB of log
//! per order). The log is archived like every other commit and a
//! point-in-time restore replays it, which is what makes the restore-time
//! model's "per GiB of log" part grow (`harness/tests/size_drill.rs`).
//!
//! Only PostgreSQL is supported; a MySQL or MariaDB store is refused when
//! the scenario is loaded.
//!
//! The checker does not read these rows one by one (two million records
//! would not fit the snapshot's map). The history records the range once
//! ([`crate::history::EventKind::Preloaded`]) with the [`ArchiveDigest`]
//! the generator implies, computed by the server over `generate_series`
//! before any row is written; after recovery [`read_digest`] computes the
//! same digest over the table, and any lost, added or changed row makes
//! the two differ: the count, and the sum over the rows of 60 bits of the
//! MD5 of every column (the order id included, so rows cannot trade
//! contents).

use super::orders::OrdersDb;
use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The table holding the preloaded orders.
pub const TABLE: &str = "order_archive";

/// The most past orders a scenario may preload: twenty million orders are
/// about 7 GiB of table and 45 GiB of log, more than a drill machine should
/// be asked to write.
pub const MAX_PRELOADED: u64 = 20_000_000;

/// Orders written per batch (insert, three updates, vacuum).
const BATCH: u64 = 250_000;

/// What the checker compares: how many rows and the sum of their hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveDigest {
    /// Rows.
    pub rows: u64,
    /// The sum over the rows of the first 60 bits of the MD5 of their
    /// columns, in decimal (`0` for no rows).
    pub hash_sum: String,
}

/// What reading the archive back found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ArchiveRead {
    /// The table exists; its digest.
    Found(ArchiveDigest),
    /// The table does not exist.
    Missing,
    /// It could not be read.
    Unreadable {
        /// Why.
        error: String,
    },
}

/// The columns of `order_archive`, in the order the expressions below give
/// them.
const COLUMNS: &str = "order_id, customer_id, status, total_cents, currency, placed_at, delivered_at, shipping_address, line_items";

/// The table (`IF NOT EXISTS`: a second preload adds nothing).
const CREATE: &str = "CREATE TABLE IF NOT EXISTS order_archive (
    order_id         text PRIMARY KEY,
    customer_id      text NOT NULL,
    status           text NOT NULL,
    total_cents      bigint NOT NULL,
    currency         text NOT NULL,
    placed_at        timestamptz NOT NULL,
    delivered_at     timestamptz,
    shipping_address text NOT NULL,
    line_items       text NOT NULL
)";

/// The hash of one row over its columns, as a 60-bit integer.
const ROW_HASH: &str = "('x' || left(md5(concat_ws('|', order_id, customer_id, status, total_cents::text, currency, \
     extract(epoch FROM placed_at)::bigint::text, coalesce(extract(epoch FROM delivered_at)::bigint::text, '-'), \
     shipping_address, line_items)), 15))::bit(60)::bigint::numeric";

/// Order `n`'s columns as SQL over `n` (a bigint), with the status
/// `status` and, when `delivered`, its delivery time.
fn row_expressions(status: &str, delivered: bool) -> String {
    let delivered_at = if delivered {
        "timestamptz '2025-01-01 00:00:00+00' + n * interval '13 seconds' + interval '3 days' + (n % 48) * interval '1 hour'"
    } else {
        "NULL::timestamptz"
    };
    format!(
        "'hist-' || lpad(n::text, 9, '0'), \
         'cust-' || lpad((n * 7919 % 50000)::text, 6, '0'), \
         '{status}', \
         1000 + n * 104729 % 90000, \
         'USD', \
         timestamptz '2025-01-01 00:00:00+00' + n * interval '13 seconds', \
         {delivered_at}, \
         (n % 9000 + 1)::text || ' ' || (ARRAY['Main St','Oak Ave','Pine Rd','Maple Dr','Cedar Ln'])[n % 5 + 1] \
            || ', ' || (ARRAY['Springfield','Riverton','Lakeside','Fairview'])[n % 4 + 1] || ' ' || lpad((n % 99999)::text, 5, '0'), \
         '[{{\"sku\":\"SKU-' || lpad((n % 500)::text, 4, '0') || '\",\"qty\":' || (n % 3 + 1) || ',\"price_cents\":' || (500 + n % 4000) \
            || '}},{{\"sku\":\"SKU-' || lpad((n * 31 % 500)::text, 4, '0') || '\",\"qty\":1,\"price_cents\":' || (900 + n % 2500) || '}}]'"
    )
}

/// The id of order `n`.
pub fn order_id(n: u64) -> String {
    format!("hist-{n:09}")
}

fn postgres(db: &mut OrdersDb) -> anyhow::Result<&mut tokio_postgres::Client> {
    match db {
        OrdersDb::Postgres(c) => Ok(c),
        OrdersDb::Mysql(_) => anyhow::bail!(
            "[store] orders_preloaded needs the postgres orders engine; MySQL and MariaDB stores cannot preload past orders"
        ),
    }
}

fn digest_of(row: &tokio_postgres::Row) -> anyhow::Result<ArchiveDigest> {
    let rows: i64 = row.try_get(0)?;
    let hash_sum: String = row.try_get(1)?;
    Ok(ArchiveDigest {
        rows: u64::try_from(rows).context("a negative count")?,
        hash_sum,
    })
}

/// The digest orders 1 to `count` have once delivered, computed by the
/// server from the generator alone (no table is read).
pub async fn expected_digest(db: &mut OrdersDb, count: u64) -> anyhow::Result<ArchiveDigest> {
    let client = postgres(db)?;
    let sql = format!(
        "SELECT count(*), coalesce(sum({ROW_HASH}), 0)::text FROM \
         (SELECT {} FROM generate_series(1::bigint, {count}::bigint) n) AS g ({COLUMNS})",
        row_expressions("delivered", true)
    );
    let row = client
        .query_one(&sql, &[])
        .await
        .context("computing the preloaded orders' digest")?;
    digest_of(&row)
}

/// Writes `count` past orders into `order_archive` (see the module docs)
/// and returns the digest the generator implies for them.
pub async fn preload(db: &mut OrdersDb, count: u64) -> anyhow::Result<ArchiveDigest> {
    if count > MAX_PRELOADED {
        anyhow::bail!("orders_preloaded = {count} is more than the {MAX_PRELOADED} a drill may preload");
    }
    let expected = expected_digest(db, count).await?;
    let client = postgres(db)?;
    client
        .batch_execute(CREATE)
        .await
        .context("creating order_archive")?;
    let mut first = 1;
    while first <= count {
        let last = (first + BATCH - 1).min(count);
        let (lo, hi) = (order_id(first), order_id(last));
        client
            .batch_execute(&format!(
                "INSERT INTO order_archive ({COLUMNS}) SELECT {} FROM generate_series({first}::bigint, {last}::bigint) n",
                row_expressions("placed", false)
            ))
            .await
            .with_context(|| format!("inserting past orders {first} to {last}"))?;
        for (status, delivered) in [("paid", false), ("shipped", false), ("delivered", true)] {
            let delivered_at = if delivered {
                ", delivered_at = placed_at + interval '3 days' + (substr(order_id, 6)::bigint % 48) * interval '1 hour'"
            } else {
                ""
            };
            client
                .batch_execute(&format!(
                    "UPDATE order_archive SET status = '{status}'{delivered_at} WHERE order_id BETWEEN '{lo}' AND '{hi}'"
                ))
                .await
                .with_context(|| format!("marking past orders {first} to {last} {status}"))?;
        }
        client
            .batch_execute("VACUUM order_archive")
            .await
            .context("vacuuming order_archive")?;
        tracing::debug!(first, last, "past orders written");
        first = last + 1;
    }
    Ok(expected)
}

/// The digest of what `order_archive` now holds.
pub async fn read_digest(db: &mut OrdersDb) -> ArchiveRead {
    let client = match postgres(db) {
        Ok(c) => c,
        Err(e) => {
            return ArchiveRead::Unreadable {
                error: format!("{e:#}"),
            };
        }
    };
    let sql = format!("SELECT count(*), coalesce(sum({ROW_HASH}), 0)::text FROM order_archive");
    match client.query_one(&sql, &[]).await {
        Ok(row) => match digest_of(&row) {
            Ok(d) => ArchiveRead::Found(d),
            Err(e) => ArchiveRead::Unreadable {
                error: format!("{e:#}"),
            },
        },
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => ArchiveRead::Missing,
        Err(e) => ArchiveRead::Unreadable {
            error: format!("{e:#}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_sort_as_their_numbers() {
        assert_eq!(order_id(7), "hist-000000007");
        assert!(order_id(99) < order_id(100));
        assert!(order_id(MAX_PRELOADED) > order_id(MAX_PRELOADED - 1));
    }

    #[test]
    fn the_final_rows_are_the_lifecycles_last_state() {
        let delivered = row_expressions("delivered", true);
        assert!(delivered.contains("'delivered'"));
        assert!(!delivered.contains("NULL"));
        assert!(row_expressions("placed", false).contains("NULL::timestamptz"));
    }
}
