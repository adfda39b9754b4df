//! The orders database's engine (`[store] orders_engine`) and the one
//! connection type every part of the harness uses to reach it.
//!
//! The shop's orders, order items, inventory and payments are the same four
//! tables whichever engine holds them: PostgreSQL (`postgres`, the default,
//! over `tokio-postgres`) or the MySQL protocol (`mysql` and `mariadb`, over
//! `mysql_async`; on the emulator both are a real MariaDB server, with binary
//! log point-in-time restore). [`OrdersDb`] hides which: the provisioning
//! creates the schema through it, the checker's [`crate::model::read_store`]
//! reads every row back through it, the faults corrupt and drop through it
//! and the runbooks check a restored instance through it. Values are
//! canonicalised by the same functions for both engines, so a record
//! compares equal across them exactly when it is intact.

use super::mysql;
use crate::history::{Collection, Key, Value};
use crate::model::{DbEndpoint, Store, StoreNames};
use crate::target::Target;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The engine of the RDS instance holding the orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrdersEngine {
    /// `Engine=postgres` (the default).
    #[default]
    Postgres,
    /// `Engine=mysql` (a MariaDB server speaking the MySQL protocol on the
    /// emulator).
    Mysql,
    /// `Engine=mariadb`.
    Mariadb,
}

impl OrdersEngine {
    /// The RDS `Engine` value.
    pub fn rds_engine(self) -> &'static str {
        match self {
            OrdersEngine::Postgres => "postgres",
            OrdersEngine::Mysql => "mysql",
            OrdersEngine::Mariadb => "mariadb",
        }
    }

    /// The engine whose RDS `Engine` value is `name` (`postgres`, `mysql`,
    /// `mariadb`).
    pub fn from_rds_engine(name: &str) -> Option<Self> {
        [OrdersEngine::Postgres, OrdersEngine::Mysql, OrdersEngine::Mariadb]
            .into_iter()
            .find(|e| e.rds_engine() == name)
    }

    /// Whether clients speak the MySQL protocol to it.
    pub fn speaks_mysql(self) -> bool {
        !matches!(self, OrdersEngine::Postgres)
    }

    /// Whether this is the default engine (PostgreSQL).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl std::fmt::Display for OrdersEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.rds_engine())
    }
}

/// The orders database's cross-region (or same-region) read replica, made
/// when the store is provisioned (`[store] orders_replica_region`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaNames {
    /// The region the replica lives in.
    pub region: String,
    /// Its instance identifier.
    pub db_instance: String,
    /// The `BackupRetentionPeriod` a promotion gives it: the source's, so the
    /// promoted instance is as guarded as the one it replaces.
    pub backup_retention_days: u32,
}

impl ReplicaNames {
    /// The replica of `names`' orders instance in `region`.
    pub fn new(names: &StoreNames, region: &str, backup_retention_days: u32) -> Self {
        Self {
            region: region.to_owned(),
            db_instance: format!("{}-replica", names.db_instance),
            backup_retention_days,
        }
    }
}

/// PostgreSQL's queries for the record ids an order deletion removes.
const PG_ORDER_KEYS: [(Collection, &str); 3] = [
    (
        Collection::Orders,
        "SELECT order_id FROM orders WHERE placed_at >= $1",
    ),
    (
        Collection::OrderItems,
        "SELECT i.order_id || '#' || i.line FROM order_items i JOIN orders o USING (order_id) WHERE o.placed_at >= $1",
    ),
    (
        Collection::Payments,
        "SELECT p.payment_id FROM payments p JOIN orders o USING (order_id) WHERE o.placed_at >= $1",
    ),
];

/// The deletion of the orders placed at or after `?`, children first (both
/// engines; PostgreSQL's placeholder is `$1`).
pub(crate) const DELETE_ORDERS: [&str; 3] = [
    "DELETE FROM payments WHERE order_id IN (SELECT order_id FROM orders WHERE placed_at >= ?)",
    "DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM orders WHERE placed_at >= ?)",
    "DELETE FROM orders WHERE placed_at >= ?",
];

/// A connection to the orders database, whichever engine serves it.
pub enum OrdersDb {
    /// PostgreSQL.
    Postgres(tokio_postgres::Client),
    /// MySQL or MariaDB.
    Mysql(mysql_async::Conn),
}

/// Opens a connection to the store's orders database.
pub async fn connect(target: &dyn Target, store: &Store) -> anyhow::Result<OrdersDb> {
    connect_at(target, &store.db, &store.names).await
}

/// Opens a connection to `endpoint` with `names`' credentials and engine.
pub async fn connect_at(
    target: &dyn Target,
    endpoint: &DbEndpoint,
    names: &StoreNames,
) -> anyhow::Result<OrdersDb> {
    if names.orders_engine.speaks_mysql() {
        let (host, port) = target.database_address(&endpoint.address, endpoint.port);
        Ok(OrdersDb::Mysql(mysql::connect(&host, port, names).await?))
    } else {
        Ok(OrdersDb::Postgres(
            crate::model::connect_db(target, endpoint, names).await?,
        ))
    }
}

impl OrdersDb {
    /// Creates the shop's four tables (idempotent).
    pub async fn create_schema(&mut self) -> anyhow::Result<()> {
        match self {
            OrdersDb::Postgres(db) => db
                .batch_execute(crate::model::SCHEMA)
                .await
                .context("creating the orders schema"),
            OrdersDb::Mysql(db) => mysql::create_schema(db).await,
        }
    }

    /// Answers a trivial query.
    pub async fn ping(&mut self) -> anyhow::Result<()> {
        match self {
            OrdersDb::Postgres(db) => {
                db.simple_query("SELECT 1").await?;
            }
            OrdersDb::Mysql(db) => {
                use mysql_async::prelude::Queryable;
                db.query_drop("SELECT 1").await?;
            }
        }
        Ok(())
    }

    /// How many orders there are; `None` when the table is missing.
    pub async fn count_orders(&mut self) -> anyhow::Result<Option<i64>> {
        match self {
            OrdersDb::Postgres(db) => match db.query_one("SELECT count(*) FROM orders", &[]).await {
                Ok(r) => Ok(Some(r.try_get(0)?)),
                Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => Ok(None),
                Err(e) => Err(e.into()),
            },
            OrdersDb::Mysql(db) => mysql::count_orders(db).await,
        }
    }

    /// Every row of one of the shop's tables as canonical records; `None`
    /// when the table does not exist.
    pub async fn read_table(&mut self, c: Collection) -> anyhow::Result<Option<Vec<(Key, Value)>>> {
        match self {
            OrdersDb::Postgres(db) => crate::model::read_table(db, c).await,
            OrdersDb::Mysql(db) => mysql::read_table(db, c).await,
        }
    }

    /// The record ids of one of the shop's tables.
    pub async fn read_ids(&mut self, c: Collection) -> anyhow::Result<Vec<String>> {
        match self {
            OrdersDb::Postgres(db) => crate::fault::read_ids(db, c).await,
            OrdersDb::Mysql(db) => mysql::read_ids(db, c).await,
        }
    }

    /// The keys of the orders placed at or after `since` and of their lines
    /// and payments: what [`OrdersDb::delete_orders_since`] deletes.
    pub async fn order_keys_since(&mut self, since: DateTime<Utc>) -> anyhow::Result<Vec<Key>> {
        let ids = match self {
            OrdersDb::Postgres(db) => {
                let mut ids = Vec::new();
                for (c, sql) in PG_ORDER_KEYS {
                    for r in db
                        .query(sql, &[&since])
                        .await
                        .with_context(|| format!("reading {c}"))?
                    {
                        ids.push((c, r.try_get::<_, String>(0)?));
                    }
                }
                ids
            }
            OrdersDb::Mysql(db) => mysql::order_keys_since(db, since).await?,
        };
        Ok(ids.into_iter().map(|(c, id)| Key::new(c, id)).collect())
    }

    /// Deletes the orders placed at or after `since` with their lines and
    /// payments, in one transaction.
    pub async fn delete_orders_since(&mut self, since: DateTime<Utc>) -> anyhow::Result<()> {
        match self {
            OrdersDb::Postgres(db) => {
                let tx = db.transaction().await?;
                for sql in DELETE_ORDERS {
                    tx.execute(sql.replace('?', "$1").as_str(), &[&since]).await?;
                }
                tx.commit().await?;
                Ok(())
            }
            OrdersDb::Mysql(db) => mysql::delete_orders_since(db, since).await,
        }
    }

    /// The number of orders placed at or after `since`.
    pub async fn count_orders_since(&mut self, since: DateTime<Utc>) -> anyhow::Result<i64> {
        match self {
            OrdersDb::Postgres(db) => Ok(db
                .query_one("SELECT count(*) FROM orders WHERE placed_at >= $1", &[&since])
                .await
                .context("counting the orders to corrupt")?
                .try_get(0)?),
            OrdersDb::Mysql(db) => mysql::count_orders_since(db, since).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_name_their_rds_engine_and_protocol() {
        assert_eq!(OrdersEngine::default(), OrdersEngine::Postgres);
        assert!(OrdersEngine::default().is_default());
        assert_eq!(OrdersEngine::Mysql.rds_engine(), "mysql");
        assert_eq!(OrdersEngine::Mariadb.to_string(), "mariadb");
        assert!(OrdersEngine::Mysql.speaks_mysql() && OrdersEngine::Mariadb.speaks_mysql());
        assert!(!OrdersEngine::Postgres.speaks_mysql());
        #[derive(Deserialize)]
        struct W {
            e: OrdersEngine,
        }
        let w: W = toml::from_str("e = \"mysql\"").expect("parses");
        assert_eq!(w.e, OrdersEngine::Mysql);
        assert!(toml::from_str::<W>("e = \"aurora-mysql\"").is_err());
        assert!(toml::from_str::<W>("e = \"oracle\"").is_err());
    }

    #[test]
    fn a_replica_is_named_after_the_orders_instance() {
        let names = StoreNames::new("flash").expect("valid");
        let r = ReplicaNames::new(&names, "us-west-2", 7);
        assert_eq!(r.db_instance, "flash-orders-replica");
        assert_eq!(r.region, "us-west-2");
        assert_eq!(r.backup_retention_days, 7);
    }
}
