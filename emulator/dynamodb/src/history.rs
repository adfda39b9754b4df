//! Point-in-time recovery: the per-table history kept while PITR is on.
//!
//! The history is, per primary key, a chain of versions `(instant, item or
//! deletion)` in the order the writes were acknowledged. When PITR is turned
//! on at instant `E`, every item then in the table is recorded as a version
//! at `E`, so the chains alone describe the table at any instant from `E` on.
//!
//! **Restore semantics.** A write acknowledged at emulator instant `t` (the
//! instant stamped on it while the table was locked, before the response was
//! sent) is included in a restore to `T` if and only if `t <= T`. The
//! restored table holds, for each key, the item of the last version at or
//! before `T` (nothing when that version is a deletion or there is none).
//! Instants are exact to the nanosecond; AWS's one-second granularity is a
//! coarsening of this that the emulator does not impose.
//!
//! **Pruning.** As the clock moves (lazily, see [`History::prune_lazily`]), versions that can no longer be the
//! answer for any instant of the window `[now - period, now]` are dropped:
//! for each key only the last version at or before the window's start is
//! kept (or none, when it is a deletion). Memory is thus bounded by the
//! live items plus the writes of the recovery period.
//!
//! A restore visits each key once and binary-searches its chain, so its cost
//! is O(keys × log versions) whatever the number of writes.

use crate::keys::{KeyValue, PrimaryKey};
use crate::store::ItemStore;
use chrono::{DateTime, Duration, Utc};
use firedrill_ddb_expr::Item;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One version of one key.
#[derive(Debug, Clone)]
struct Version {
    at: DateTime<Utc>,
    item: Option<Arc<Item>>,
}

/// A table's PITR history.
#[derive(Debug, Clone)]
pub struct History {
    /// When this window of PITR began (PITR turned on).
    pub enabled_at: DateTime<Utc>,
    /// The recovery period, 1-35 days.
    pub period_days: i64,
    chains: BTreeMap<KeyValue, BTreeMap<Option<KeyValue>, Vec<Version>>>,
    pruned_to: DateTime<Utc>,
    versions: usize,
}

impl History {
    /// Starts a history at `now` from the table's current items.
    pub fn start(now: DateTime<Utc>, period_days: i64, items: &ItemStore) -> Self {
        let mut chains: BTreeMap<KeyValue, BTreeMap<Option<KeyValue>, Vec<Version>>> = BTreeMap::new();
        let mut versions = 0;
        for (pk, partition) in items.partitions() {
            let mut out = BTreeMap::new();
            for (sk, item) in partition {
                out.insert(
                    sk.clone(),
                    vec![Version {
                        at: now,
                        item: Some(item.clone()),
                    }],
                );
                versions += 1;
            }
            chains.insert(pk.clone(), out);
        }
        Self {
            enabled_at: now,
            period_days,
            chains,
            pruned_to: now,
            versions,
        }
    }

    /// The recovery period.
    pub fn period(&self) -> Duration {
        Duration::days(self.period_days)
    }

    /// The earliest restorable instant at `now`.
    pub fn earliest(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.enabled_at.max(now - self.period())
    }

    /// How many versions are kept (for tests and metrics).
    pub fn version_count(&self) -> usize {
        self.versions
    }

    /// Records that `key` became `item` (or was deleted) at `at`. Instants
    /// must not decrease from one call to the next.
    pub fn record(&mut self, key: &PrimaryKey, at: DateTime<Utc>, item: Option<Arc<Item>>) {
        let chain = self
            .chains
            .entry(key.0.clone())
            .or_default()
            .entry(key.1.clone())
            .or_default();
        if chain.is_empty() && item.is_none() {
            return;
        }
        chain.push(Version { at, item });
        self.versions += 1;
    }

    /// The table as it was at `t`.
    pub fn state_at(&self, t: DateTime<Utc>) -> ItemStore {
        let mut store = ItemStore::default();
        for (pk, partition) in &self.chains {
            for (sk, chain) in partition {
                let n = chain.partition_point(|v| v.at <= t);
                let Some(version) = n.checked_sub(1).and_then(|last| chain.get(last)) else {
                    continue;
                };
                if let Some(item) = &version.item {
                    store.insert_sorted(pk, sk, item.clone());
                }
            }
        }
        store
    }

    /// Prunes when the window's start has moved by at least a hundredth
    /// of the period (and at least a minute) since the last pruning, so
    /// that frequent clock ticks do not walk every chain each time. Memory
    /// stays bounded by the period plus that slack.
    pub fn prune_lazily(&mut self, window_start: DateTime<Utc>) {
        let slack = (self.period() / 100).max(Duration::minutes(1));
        if window_start >= self.pruned_to + slack {
            self.prune(window_start);
        }
    }

    /// Drops versions no restore into `[window_start, ..]` can need.
    pub fn prune(&mut self, window_start: DateTime<Utc>) {
        if window_start <= self.pruned_to {
            return;
        }
        self.pruned_to = window_start;
        let mut removed = 0;
        self.chains.retain(|_, partition| {
            partition.retain(|_, chain| {
                let n = chain.partition_point(|v| v.at <= window_start);
                if n > 1 {
                    chain.drain(..n - 1);
                    removed += n - 1;
                }
                if chain
                    .first()
                    .is_some_and(|v| v.at <= window_start && v.item.is_none())
                {
                    chain.remove(0);
                    removed += 1;
                }
                !chain.is_empty()
            });
            !partition.is_empty()
        });
        self.versions -= removed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_ddb_expr::AttributeValue;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_773_489_600 + s, 0).unwrap()
    }

    fn key(k: &str) -> PrimaryKey {
        (KeyValue::S(k.into()), None)
    }

    fn item(k: &str, v: &str) -> Arc<Item> {
        let mut i = Item::new();
        i.insert("pk".into(), AttributeValue::S(k.into()));
        i.insert("v".into(), AttributeValue::S(v.into()));
        Arc::new(i)
    }

    fn value_at(h: &History, at: DateTime<Utc>, k: &str) -> Option<String> {
        h.state_at(at).get(&key(k)).map(|i| match &i["v"] {
            AttributeValue::S(s) => s.clone(),
            _ => unreachable!(),
        })
    }

    #[test]
    fn restores_the_last_version_at_or_before_t_and_prunes_safely() {
        let mut h = History::start(t(0), 1, &ItemStore::default());
        h.record(&key("a"), t(10), Some(item("a", "1")));
        h.record(&key("a"), t(20), Some(item("a", "2")));
        h.record(&key("a"), t(30), None);
        h.record(&key("b"), t(15), Some(item("b", "x")));
        assert_eq!(value_at(&h, t(9), "a"), None);
        assert_eq!(value_at(&h, t(10), "a").as_deref(), Some("1"));
        assert_eq!(value_at(&h, t(25), "a").as_deref(), Some("2"));
        assert_eq!(value_at(&h, t(30), "a"), None);
        assert_eq!(h.version_count(), 4);
        h.prune(t(25));
        assert_eq!(h.version_count(), 3);
        assert_eq!(value_at(&h, t(25), "a").as_deref(), Some("2"));
        assert_eq!(value_at(&h, t(25), "b").as_deref(), Some("x"));
        h.prune(t(31));
        assert_eq!(value_at(&h, t(31), "a"), None);
        assert_eq!(h.version_count(), 1);
    }

    /// A long history over many keys rebuilds exactly (the restore-time goal
    /// of issue 2 is measured by `cargo xtask bench`, not here).
    #[test]
    fn restore_from_a_long_history_over_many_keys_is_exact() {
        let mut h = History::start(t(0), 35, &ItemStore::default());
        for round in 0..10 {
            for k in 0..10_000 {
                let key = (KeyValue::S(format!("cart-{k:06}")), None);
                let at = t(round * 10_000 + k as i64);
                let item = if round == 9 && k % 10 == 0 {
                    None
                } else {
                    Some(item(&format!("cart-{k:06}"), &round.to_string()))
                };
                h.record(&key, at, item);
            }
        }
        assert_eq!(h.version_count(), 100_000);
        let state = h.state_at(t(85_000));
        assert_eq!(state.len(), 10_000);
        // By 95_000 the last round has deleted every tenth key up to 5_000.
        let state = h.state_at(t(95_000));
        assert_eq!(state.len(), 10_000 - 501);
    }
}
