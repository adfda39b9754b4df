//! Where the shop keeps its sessions and carts: a scenario's `[store]`.
//!
//! ```toml
//! [store]
//! sessions = "elasticache"   # or "dynamodb" (the default)
//! carts = "elasticache"      # or "dynamodb" (the default)
//! ```
//!
//! A collection kept in ElastiCache is written as Redis keys with TTLs
//! ([`elasticache`]) in one replication group named after the stack prefix
//! ([`crate::model::CacheNames`]); its records live in the
//! [`Layer::Elasticache`](crate::history::Layer::Elasticache) layer
//! ([`Collection::in_cache`]) and the DynamoDB table it would have had is
//! not created.

pub mod elasticache;
pub mod restore;

use crate::history::Collection;
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

/// A scenario's `[store]`: where sessions and carts live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// Where sessions live.
    #[serde(default)]
    pub sessions: Backend,
    /// Where carts live.
    #[serde(default)]
    pub carts: Backend,
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

    /// Whether this is the default layout (everything in DynamoDB).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The layout a command line gives: `sessions=elasticache,carts=dynamodb`
    /// (the keys and values of `[store]`; a key left out stays in DynamoDB).
    pub fn parse_pairs(text: &str) -> anyhow::Result<Self> {
        let mut section = Self::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("{pair:?} is not KEY=VALUE (sessions=elasticache)"))?;
            let backend = match value.trim() {
                "elasticache" => Backend::Elasticache,
                "dynamodb" => Backend::Dynamodb,
                other => anyhow::bail!("{key}={other}: the store is \"dynamodb\" or \"elasticache\""),
            };
            match key.trim() {
                "sessions" => section.sessions = backend,
                "carts" => section.carts = backend,
                other => {
                    anyhow::bail!("{other}={value}: only sessions and carts can move (sessions=elasticache)")
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
}
