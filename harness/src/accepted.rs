//! Expected loss: the loss a scenario accepts on a layer without
//! point-in-time recovery (`[expect.accepted_rpo]`). Pure.
//!
//! ElastiCache has no PITR: a session store restored from its last
//! snapshot loses every write since, by design. A scenario that says so
//! (`elasticache = "1d"` for daily snapshots) wants that loss measured and
//! shown, not counted as a failed recovery. [`assess`] looks at each layer
//! given an accepted window: its loss is *within* it when the only
//! findings are lost writes and deletions undone (what a restore from a
//! snapshot does; nothing corrupted or unexpected) and the layer's
//! data-loss window is no longer than the accepted one.
//! The checker's verdict is untouched (acknowledged writes are gone, so it
//! stays invalid); [`residual_ok`] says whether everything *else* is
//! recovered: every other layer valid, every cross-layer orphan pointing
//! into a layer whose loss is accepted, the other layers' RPO met.

use crate::checker::{CheckResult, Verdict};
use crate::history::Layer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One layer's loss against the window the scenario accepts for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedLoss {
    /// The layer.
    pub layer: Layer,
    /// The accepted window, seconds.
    pub accepted_seconds: f64,
    /// The layer's measured data-loss window, seconds.
    pub window_seconds: f64,
    /// Records with lost writes.
    pub records_lost: u64,
    /// Acknowledged writes lost.
    pub writes_lost: u64,
    /// Cross-layer orphans pointing into the layer (orders whose session is gone).
    pub orphans: u64,
    /// Whether the loss is only lost writes within the accepted window.
    pub within: bool,
    /// Why it is not, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
}

/// Each accepted layer's loss, for the layers the checker judged.
pub fn assess(check: &CheckResult, accepted: &BTreeMap<Layer, f64>) -> Vec<AcceptedLoss> {
    let mut out = Vec::new();
    for l in &check.layers {
        let Some(&window) = accepted.get(&l.layer) else {
            continue;
        };
        let orphans = check
            .cross_layer
            .iter()
            .filter(|a| {
                a.related
                    .as_ref()
                    .is_some_and(|k| k.collection.layer() == l.layer)
            })
            .count() as u64;
        // A restore from a snapshot brings back what was deleted since it
        // as surely as it loses what was written: both are the accepted loss.
        let other = l.corrupted + l.unexpected + l.lost_versions;
        let why_not = if l.verdict == Verdict::Unknown {
            Some(format!("the layer could not be judged: {}", l.unknown.join("; ")))
        } else if other > 0 {
            Some(format!(
                "{other} records are corrupted or hold unexpected values: only lost writes (and deletions undone) are accepted"
            ))
        } else if l.rpo.seconds > window {
            Some(format!(
                "the loss window {:.0} s exceeds the accepted {:.0} s",
                l.rpo.seconds, window
            ))
        } else {
            None
        };
        out.push(AcceptedLoss {
            layer: l.layer,
            accepted_seconds: window,
            window_seconds: l.rpo.seconds,
            records_lost: l.rpo.records_lost,
            writes_lost: l.lost_writes,
            orphans,
            within: why_not.is_none(),
            why_not,
        });
    }
    out
}

/// Whether everything outside the layers whose loss is accepted (and
/// within) is recovered, with the other layers' RPO inside `rpo_seconds`.
pub fn residual_ok(check: &CheckResult, losses: &[AcceptedLoss], rpo_seconds: f64) -> bool {
    let excused = |layer: Layer| losses.iter().any(|a| a.layer == layer && a.within);
    let layers_ok = check
        .layers
        .iter()
        .filter(|l| !excused(l.layer))
        .all(|l| l.verdict == Verdict::Valid && l.rpo.seconds <= rpo_seconds);
    let orphans_ok = check
        .cross_layer
        .iter()
        .all(|a| a.kind.is_orphan() && a.related.as_ref().is_some_and(|k| excused(k.collection.layer())));
    check.unknown.is_empty() && layers_ok && orphans_ok && losses.iter().any(|a| a.within)
}

/// The report's sentence for one layer's accepted loss.
pub fn sentence(a: &AcceptedLoss) -> String {
    let window = crate::scenario::format_duration(chrono::Duration::seconds(a.window_seconds as i64));
    let accepted = crate::scenario::format_duration(chrono::Duration::seconds(a.accepted_seconds as i64));
    let pitr = if a.layer == Layer::Elasticache {
        " (no PITR on ElastiCache: the loss window is the snapshot interval)"
    } else {
        ""
    };
    match &a.why_not {
        None => format!(
            "expected loss on {}: {} writes on {} records since its last snapshot, window {window}, within the accepted RPO {accepted}{pitr}",
            a.layer, a.writes_lost, a.records_lost
        ),
        Some(why) => format!(
            "loss on {} is not the accepted kind (accepted RPO {accepted}): {why}{pitr}",
            a.layer
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{Anomaly, AnomalyKind, LayerResult, Rpo, Targets};
    use crate::history::{Collection, Key};

    fn layer(l: Layer, verdict: Verdict, lost: u64, window: f64) -> LayerResult {
        LayerResult {
            layer: l,
            engine: None,
            verdict,
            records_expected: 10,
            records_found: 10 - lost,
            census: Default::default(),
            lost_records: lost,
            lost_writes: lost,
            resurrected: 0,
            corrupted: 0,
            unexpected: 0,
            lost_versions: 0,
            rpo: Rpo {
                seconds: window,
                records_lost: lost,
                writes_lost: lost,
                earliest_lost: None,
                observed_recovery_point: None,
            },
            unknown: Vec::new(),
            gone: Vec::new(),
            anomalies: Vec::new(),
            anomalies_truncated: 0,
            preloaded: None,
        }
    }

    fn result(layers: Vec<LayerResult>, orphans: Vec<Anomaly>) -> CheckResult {
        let mut c = CheckResult::unknown("x", Targets::default(), None);
        c.unknown.clear();
        c.verdict = Verdict::Invalid;
        c.layers = layers;
        c.cross_layer = orphans;
        c
    }

    fn orphan(to: Collection) -> Anomaly {
        Anomaly {
            kind: AnomalyKind::OrderWithoutSession,
            key: Key::new(Collection::Orders, "o1"),
            found: None,
            expected: Vec::new(),
            lost_writes: 0,
            earliest_lost: None,
            related: Some(Key::new(to, "s1")),
        }
    }

    #[test]
    fn lost_sessions_within_the_window_are_expected_and_the_rest_must_be_recovered() {
        let accepted = BTreeMap::from([(Layer::Elasticache, 3600.0)]);
        let c = result(
            vec![
                layer(Layer::Rds, Verdict::Valid, 0, 0.0),
                layer(Layer::Elasticache, Verdict::Invalid, 4, 1800.0),
            ],
            vec![orphan(Collection::CacheSessions)],
        );
        let losses = assess(&c, &accepted);
        assert_eq!(losses.len(), 1);
        assert!(losses[0].within, "{:?}", losses[0]);
        assert_eq!(losses[0].orphans, 1);
        assert!(residual_ok(&c, &losses, 300.0));
        assert!(sentence(&losses[0]).contains("no PITR on ElastiCache"));

        // Another layer losing data is not excused.
        let mut bad = c.clone();
        bad.layers[0] = layer(Layer::Rds, Verdict::Invalid, 2, 60.0);
        assert!(!residual_ok(&bad, &assess(&bad, &accepted), 300.0));

        // An orphan into a layer without accepted loss is not excused.
        let mut bad = c.clone();
        bad.cross_layer.push(orphan(Collection::Invoices));
        assert!(!residual_ok(&bad, &assess(&bad, &accepted), 300.0));
    }

    #[test]
    fn a_wider_window_or_other_damage_is_not_the_accepted_loss() {
        let accepted = BTreeMap::from([(Layer::Elasticache, 600.0)]);
        let c = result(
            vec![layer(Layer::Elasticache, Verdict::Invalid, 4, 1800.0)],
            Vec::new(),
        );
        let losses = assess(&c, &accepted);
        assert!(!losses[0].within);
        assert!(
            losses[0]
                .why_not
                .as_deref()
                .unwrap_or_default()
                .contains("exceeds")
        );
        assert!(!residual_ok(&c, &losses, 300.0));

        let mut corrupted = layer(Layer::Elasticache, Verdict::Invalid, 1, 60.0);
        corrupted.unexpected = 1;
        let c = result(vec![corrupted], Vec::new());
        let losses = assess(&c, &accepted);
        assert!(!losses[0].within);
        assert!(sentence(&losses[0]).contains("not the accepted kind"));

        // No accepted layer: nothing assessed.
        assert!(assess(&c, &BTreeMap::new()).is_empty());
    }
}
