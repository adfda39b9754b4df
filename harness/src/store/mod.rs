//! Where the shop keeps its orders, sessions and carts: a scenario's `[store]`.
//!
//! ```toml
//! [store]
//! orders_engine = "mysql"              # or "mariadb", or "postgres" (the default)
//! orders_replica_region = "us-west-2"  # optional: a read replica of the orders database
//! sessions = "elasticache"             # or "dynamodb" (the default)
//! carts = "elasticache"                # or "dynamodb" (the default)
//! orders_preloaded = 1500000           # past orders written before the traffic ([`archive`])
//! ```
//!
//! The orders database is an RDS instance of `orders_engine` with the same
//! four tables whichever engine it is ([`orders`], [`mysql`]); the workload,
//! the faults, the runbooks and the checker work on either. With
//! `orders_replica_region` the provisioning also makes a read replica of it
//! there (`CreateDBInstanceReadReplica`, named `<instance>-replica`), which
//! the `promote_replica` runbook ([`replica`]) promotes when the source's
//! region goes dark.
//!
//! A collection kept in ElastiCache is written as Redis keys with TTLs
//! ([`elasticache`]) in one replication group named after the stack prefix
//! ([`crate::model::CacheNames`]); its records live in the
//! [`Layer::Elasticache`](crate::history::Layer::Elasticache) layer
//! ([`Collection::in_cache`]) and the DynamoDB table it would have had is
//! not created.

pub mod archive;
pub mod elasticache;
pub mod mysql;
pub mod orders;
pub mod replica;
pub mod restore;

use crate::history::Collection;
pub use orders::OrdersEngine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The service a collection is kept in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// A DynamoDB table (the default).
    #[default]
    Dynamodb,
    /// Redis keys in an ElastiCache replication group.
    Elasticache,
}

/// A scenario's `[store]`: the orders database's engine and replica, and
/// where sessions and carts live.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// The orders database's engine.
    #[serde(default, skip_serializing_if = "OrdersEngine::is_default")]
    pub orders_engine: OrdersEngine,
    /// The region of a read replica of the orders database, made when the
    /// store is provisioned (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_replica_region: Option<String>,
    /// Where sessions live.
    #[serde(default)]
    pub sessions: Backend,
    /// Where carts live.
    #[serde(default)]
    pub carts: Backend,
    /// How many past (delivered) orders the orders database holds before
    /// the traffic starts, in its `order_archive` table ([`archive`]):
    /// the store's size, with the write-ahead log that wrote it, which a
    /// point-in-time restore replays. PostgreSQL only; at most
    /// [`archive::MAX_PRELOADED`]; 0 (the default) preloads nothing.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub orders_preloaded: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl StoreSection {
    /// The shop's collections kept in ElastiCache.
    pub fn cached(&self) -> BTreeSet<Collection> {
        [
            (Collection::Sessions, self.sessions),
            (Collection::Carts, self.carts),
        ]
        .into_iter()
        .filter(|(_, b)| *b == Backend::Elasticache)
        .map(|(c, _)| c)
        .collect()
    }

    /// The store's names for `prefix` in this layout: the orders engine, its
    /// replica (its backup retention is set when it is made) and the cached
    /// collections.
    pub fn names(&self, prefix: &str) -> anyhow::Result<crate::model::StoreNames> {
        let mut names = crate::model::StoreNames::new(prefix)?
            .with_cache(self.cached())
            .with_orders_engine(self.orders_engine);
        names.orders_replica = self
            .orders_replica_region
            .as_deref()
            .map(|region| orders::ReplicaNames::new(&names, region, 0));
        Ok(names)
    }

    /// Whether this is the default layout (PostgreSQL orders without a
    /// replica, everything else in DynamoDB).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The layout a command line gives: `sessions=elasticache,carts=dynamodb`
    /// (the keys and values of `[store]`; a key left out stays in DynamoDB),
    /// and `orders=mysql` (or `mariadb`, `postgres`) for the orders engine.
    pub fn parse_pairs(text: &str) -> anyhow::Result<Self> {
        let mut section = Self::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("{pair:?} is not KEY=VALUE (sessions=elasticache)"))?;
            if key.trim() == "orders" {
                section.orders_engine = OrdersEngine::from_rds_engine(value.trim()).ok_or_else(|| {
                    anyhow::anyhow!(
                        "orders={}: the orders database is \"postgres\", \"mysql\" or \"mariadb\"",
                        value.trim()
                    )
                })?;
                continue;
            }
            let backend = match value.trim() {
                "elasticache" => Backend::Elasticache,
                "dynamodb" => Backend::Dynamodb,
                other => anyhow::bail!("{key}={other}: the store is \"dynamodb\" or \"elasticache\""),
            };
            match key.trim() {
                "sessions" => section.sessions = backend,
                "carts" => section.carts = backend,
                other => {
                    anyhow::bail!(
                        "{other}={value}: only sessions and carts can move (sessions=elasticache), and orders name their engine (orders=mysql)"
                    )
                }
            }
        }
        Ok(section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_line_names_the_orders_engine() {
        let s = StoreSection::parse_pairs("orders=mysql,sessions=elasticache").expect("parses");
        assert_eq!(s.orders_engine, OrdersEngine::Mysql);
        assert_eq!(s.cached(), BTreeSet::from([Collection::Sessions]));
        assert_eq!(
            StoreSection::parse_pairs("orders=mariadb")
                .expect("parses")
                .orders_engine,
            OrdersEngine::Mariadb
        );
        let e = StoreSection::parse_pairs("orders=oracle-ee").unwrap_err();
        assert!(e.to_string().contains("\"mysql\""), "{e}");
    }

    #[test]
    fn the_section_names_what_is_cached_and_defaults_to_dynamodb() {
        let s: StoreSection = toml::from_str("sessions = \"elasticache\"").expect("parses");
        assert_eq!(s.cached(), BTreeSet::from([Collection::Sessions]));
        assert!(!s.is_default());
        assert!(StoreSection::default().cached().is_empty());
        let both: StoreSection =
            toml::from_str("sessions = \"elasticache\"\ncarts = \"elasticache\"").expect("parses");
        assert_eq!(both.cached().len(), 2);
        assert!(toml::from_str::<StoreSection>("sessions = \"memcached\"").is_err());
        assert!(toml::from_str::<StoreSection>("orders = \"elasticache\"").is_err());
    }

    #[test]
    fn the_command_line_names_the_same_layout() {
        let s = StoreSection::parse_pairs("sessions=elasticache").expect("parses");
        assert_eq!(s.cached(), BTreeSet::from([Collection::Sessions]));
        let both = StoreSection::parse_pairs("sessions=elasticache, carts=elasticache").expect("parses");
        assert_eq!(both.cached().len(), 2);
        assert!(StoreSection::parse_pairs("").expect("parses").is_default());
        let e = StoreSection::parse_pairs("sessions=memcached")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"dynamodb\" or \"elasticache\""), "{e}");
        assert!(StoreSection::parse_pairs("orders=elasticache").is_err());
        assert!(StoreSection::parse_pairs("sessions").is_err());
    }

    #[test]
    fn the_orders_engine_defaults_to_postgres_and_names_a_replica_region() {
        assert_eq!(StoreSection::default().orders_engine, OrdersEngine::Postgres);
        let s: StoreSection =
            toml::from_str("orders_engine = \"mysql\"\norders_replica_region = \"us-west-2\"")
                .expect("parses");
        assert_eq!(s.orders_engine, OrdersEngine::Mysql);
        assert_eq!(s.orders_replica_region.as_deref(), Some("us-west-2"));
        assert!(!s.is_default());
        assert!(s.cached().is_empty());
        assert!(toml::from_str::<StoreSection>("orders_engine = \"oracle-ee\"").is_err());
        let round: StoreSection = toml::from_str(&toml::to_string(&s).expect("writes")).expect("reads");
        assert_eq!(round, s);
        let names = s.names("flash").expect("valid prefix");
        assert_eq!(names.orders_engine, OrdersEngine::Mysql);
        let replica = names.orders_replica.expect("a replica");
        assert_eq!(
            (replica.region.as_str(), replica.db_instance.as_str()),
            ("us-west-2", "flash-orders-replica")
        );
        assert_eq!(
            StoreSection::default().names("flash").expect("valid"),
            crate::model::StoreNames::new("flash").expect("valid")
        );
    }
}
