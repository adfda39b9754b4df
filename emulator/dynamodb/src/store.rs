//! A table's items: partitions ordered by partition key, items within a
//! partition ordered by sort key, as DynamoDB keeps them, with the item
//! count and size it reports.
//!
//! Items are shared (`Arc`) between the live store, the PITR history and
//! backups, so a snapshot costs pointers, not copies.

use crate::keys::{KeyValue, PrimaryKey};
use firedrill_ddb_expr::Item;
use firedrill_ddb_expr::value::item_size;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// One partition: sort key (or `None` for hash-only tables) to item.
pub type Partition = BTreeMap<Option<KeyValue>, Arc<Item>>;

/// The items of a table.
#[derive(Debug, Clone, Default)]
pub struct ItemStore {
    partitions: BTreeMap<KeyValue, Partition>,
    count: usize,
    bytes: usize,
}

impl ItemStore {
    /// The number of items.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The total item size in bytes, as DynamoDB counts it.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The item at `key`.
    pub fn get(&self, key: &PrimaryKey) -> Option<&Arc<Item>> {
        self.partitions.get(&key.0)?.get(&key.1)
    }

    /// Stores `item` at `key`; returns the previous item.
    pub fn insert(&mut self, key: PrimaryKey, item: Arc<Item>) -> Option<Arc<Item>> {
        self.bytes += item_size(&item);
        let old = self.partitions.entry(key.0).or_default().insert(key.1, item);
        match &old {
            Some(o) => self.bytes -= item_size(o),
            None => self.count += 1,
        }
        old
    }

    /// Appends an item known to sort after every item stored so far (used
    /// when rebuilding a table in key order).
    pub fn insert_sorted(&mut self, pk: &KeyValue, sk: &Option<KeyValue>, item: Arc<Item>) {
        self.bytes += item_size(&item);
        self.count += 1;
        match self.partitions.last_entry() {
            Some(mut last) if last.key() == pk => {
                last.get_mut().insert(sk.clone(), item);
            }
            _ => {
                self.partitions
                    .entry(pk.clone())
                    .or_default()
                    .insert(sk.clone(), item);
            }
        }
    }

    /// Removes the item at `key`; returns it.
    pub fn remove(&mut self, key: &PrimaryKey) -> Option<Arc<Item>> {
        let partition = self.partitions.get_mut(&key.0)?;
        let old = partition.remove(&key.1)?;
        if partition.is_empty() {
            self.partitions.remove(&key.0);
        }
        self.count -= 1;
        self.bytes -= item_size(&old);
        Some(old)
    }

    /// Every partition in key order.
    pub fn partitions(&self) -> impl Iterator<Item = (&KeyValue, &Partition)> {
        self.partitions.iter()
    }

    /// One partition.
    pub fn partition(&self, pk: &KeyValue) -> Option<&Partition> {
        self.partitions.get(pk)
    }

    /// Every item in key order, starting after `after` when given.
    pub fn iter_from<'a>(
        &'a self,
        after: Option<&'a PrimaryKey>,
    ) -> Box<dyn Iterator<Item = (&'a KeyValue, &'a Option<KeyValue>, &'a Arc<Item>)> + 'a> {
        match after {
            None => Box::new(
                self.partitions
                    .iter()
                    .flat_map(|(pk, p)| p.iter().map(move |(sk, i)| (pk, sk, i))),
            ),
            Some((start_pk, start_sk)) => {
                let first = self.partitions.get(start_pk).into_iter().flat_map(move |p| {
                    p.range((Bound::Excluded(start_sk), Bound::Unbounded))
                        .map(move |(sk, i)| (start_pk, sk, i))
                });
                let rest = self
                    .partitions
                    .range((Bound::Excluded(start_pk), Bound::Unbounded))
                    .flat_map(|(pk, p)| p.iter().map(move |(sk, i)| (pk, sk, i)));
                Box::new(first.chain(rest))
            }
        }
    }

    /// Every item, in key order.
    pub fn items(&self) -> impl Iterator<Item = &Arc<Item>> {
        self.partitions.values().flat_map(|p| p.values())
    }
}
