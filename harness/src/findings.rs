//! The checker's anomalies grouped for a reader: one line per kind and
//! collection with its count and a few examples, instead of a long list of
//! one kind. Pure; every report format and the JUnit output share it.

use crate::checker::{Anomaly, AnomalyKind, CheckResult};
use crate::history::Collection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Examples kept per group.
pub const EXAMPLES: usize = 3;

/// Anomalies of one kind in one collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingGroup {
    /// What is wrong.
    pub kind: AnomalyKind,
    /// Where.
    pub collection: Collection,
    /// The collection an orphan points at (cross-layer findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Collection>,
    /// How many the checker itemised.
    pub count: u64,
    /// A few of them, in words.
    pub examples: Vec<String>,
}

impl FindingGroup {
    /// `carts: 15 × lost write (e.g. c1: ..., c2, c3)`.
    pub fn line(&self) -> String {
        let place = match self.related {
            Some(r) => format!("{} → {}", self.collection, r),
            None => self.collection.to_string(),
        };
        format!(
            "{place}: {} × {} (e.g. {})",
            self.count,
            self.kind.name(),
            self.examples.join("; ")
        )
    }
}

/// The groups of `check`, the largest first; also how many anomalies the
/// checker counted but did not itemise.
pub fn groups(check: &CheckResult) -> (Vec<FindingGroup>, u64) {
    let mut by: BTreeMap<(AnomalyKind, Collection, Option<Collection>), FindingGroup> = BTreeMap::new();
    let all = check
        .layers
        .iter()
        .flat_map(|l| l.anomalies.iter())
        .chain(check.cross_layer.iter());
    for a in all {
        let related = a.related.as_ref().map(|k| k.collection);
        let g = by
            .entry((a.kind, a.key.collection, related))
            .or_insert_with(|| FindingGroup {
                kind: a.kind,
                collection: a.key.collection,
                related,
                count: 0,
                examples: Vec::new(),
            });
        g.count += 1;
        if g.examples.len() < EXAMPLES {
            g.examples.push(example(a, g.examples.is_empty()));
        }
    }
    let mut out: Vec<FindingGroup> = by.into_values().collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(&b.kind)));
    let untold =
        check.layers.iter().map(|l| l.anomalies_truncated).sum::<u64>() + check.cross_layer_truncated;
    (out, untold)
}

/// One anomaly in words; the first of a group in full, the rest by key.
fn example(a: &Anomaly, full: bool) -> String {
    let id = match &a.related {
        Some(r) => format!("{} → {}", a.key.id, r.id),
        None => a.key.id.clone(),
    };
    if !full || a.kind.is_orphan() {
        return id;
    }
    let expected: Vec<String> = a
        .expected
        .iter()
        .map(|e| e.clone().unwrap_or_else(|| "absent".into()))
        .collect();
    let found = a.found.clone().unwrap_or_else(|| "absent".into());
    match a.kind {
        AnomalyKind::LostVersion => format!("{id}: version {} no longer stored", expected.join(" or ")),
        _ => format!("{id}: found {found}, expected {}", expected.join(" or ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{Targets, Verdict};
    use crate::history::Key;

    fn anomaly(kind: AnomalyKind, c: Collection, id: &str, related: Option<Key>) -> Anomaly {
        Anomaly {
            kind,
            key: Key::new(c, id),
            found: None,
            expected: vec![Some("v=open".into())],
            lost_writes: 1,
            earliest_lost: None,
            related,
        }
    }

    #[test]
    fn anomalies_group_by_kind_and_collection_with_examples() {
        let mut check = CheckResult::unknown("x", Targets::default(), None);
        check.verdict = Verdict::Invalid;
        let mut l = crate::checker::LayerResult {
            layer: crate::history::Layer::Dynamodb,
            engine: None,
            verdict: Verdict::Invalid,
            records_expected: 0,
            records_found: 0,
            census: Default::default(),
            lost_records: 0,
            lost_writes: 0,
            resurrected: 0,
            corrupted: 0,
            unexpected: 0,
            lost_versions: 0,
            rpo: check.rpo.clone(),
            unknown: Vec::new(),
            gone: Vec::new(),
            anomalies: Vec::new(),
            anomalies_truncated: 4,
            preloaded: None,
        };
        for i in 0..15 {
            l.anomalies.push(anomaly(
                AnomalyKind::LostWrite,
                Collection::Carts,
                &format!("c{i}"),
                None,
            ));
        }
        l.anomalies.push(anomaly(
            AnomalyKind::Resurrected,
            Collection::Sessions,
            "s9",
            None,
        ));
        check.layers.push(l);
        check.cross_layer.push(anomaly(
            AnomalyKind::OrderWithoutCart,
            Collection::Orders,
            "o1",
            Some(Key::new(Collection::Carts, "c1")),
        ));
        let (groups, untold) = groups(&check);
        assert_eq!(untold, 4);
        assert_eq!(groups.len(), 3);
        assert_eq!((groups[0].kind, groups[0].count), (AnomalyKind::LostWrite, 15));
        assert_eq!(groups[0].examples.len(), EXAMPLES);
        assert_eq!(groups[0].examples[0], "c0: found absent, expected v=open");
        assert_eq!(groups[0].examples[1], "c1");
        let line = groups[0].line();
        assert!(
            line.starts_with("carts: 15 × lost write (e.g. c0: found absent"),
            "{line}"
        );
        let orphan = groups
            .iter()
            .find(|g| g.kind == AnomalyKind::OrderWithoutCart)
            .unwrap();
        assert_eq!(orphan.related, Some(Collection::Carts));
        assert_eq!(
            orphan.line(),
            "orders → carts: 1 × order without cart (e.g. o1 → c1)"
        );
    }
}
