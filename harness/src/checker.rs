//! The checker: what the recovered store holds against what the history says
//! it must hold. Pure: no I/O, no clock, no randomness.
//!
//! Input: the [`History`], the instant the first fault struck (the state the
//! business wants back is the state just before it), the recovered store read
//! back as a [`StoreSnapshot`], the measured recovery times and the targets.
//! For every record ever written, per layer, the checker decides:
//!
//! - **lost write**: an acknowledged write made before the fault is missing
//!   (the record is absent, or holds an older value);
//! - **resurrected**: a record deleted before the fault is back;
//! - **corruption survived**: the record holds a value only the nemesis wrote;
//! - **unexpected value**: the record holds a value nobody acknowledged
//!   (a refused write that landed anyway, or a value never written);
//! - **lost version**: in a versioned bucket, an acknowledged object version
//!   is no longer stored.
//!
//! Across layers it finds orphans: orders whose cart or session vanished,
//! products whose image is gone, orders whose invoice is gone. Operations in
//! flight at the fault, or indeterminate, may go either way (see
//! [`History::state_at`]).
//!
//! Verdicts are Jepsen's: `valid` (recovered), `invalid` (data is lost or
//! wrong) and `unknown` (a layer could not be read, or the checker itself
//! failed). Invalid dominates, then unknown; a checker that fails yields
//! unknown, never valid, so "recovered" is only ever said when every
//! acknowledged write is back.
//!
//! **RPO** is the data-loss window: the fault instant minus the invocation
//! instant of the earliest acknowledged write that is lost (0 when nothing
//! acknowledged is lost), with the number of records and writes lost. The
//! *observed recovery point* is the completion instant of the newest
//! acknowledged write whose value is present after recovery. **RTO** is the
//! time from the fault to the end of recovery on the target's clock (the
//! target compared with the objective) and on the wall clock.

use crate::history::{
    Collection, Expected, History, Key, KeyWrite, Layer, Outcome, Process, State, Value, expected_from,
};
use crate::model::{StoreSnapshot, image_object_key, invoice_object_key};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A Jepsen verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Everything acknowledged is back, nothing else is.
    Valid,
    /// Could not decide (a layer unreadable, the checker failed).
    Unknown,
    /// Data is lost, resurrected or corrupted.
    Invalid,
}

impl Verdict {
    /// Composition: invalid dominates, then unknown.
    pub fn and(self, other: Verdict) -> Verdict {
        self.max(other)
    }

    /// Composes many verdicts; none at all is valid.
    pub fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().fold(Verdict::Valid, Verdict::and)
    }

    /// The word used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Unknown => "unknown",
            Verdict::Invalid => "invalid",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is wrong with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// Acknowledged writes are missing.
    LostWrite,
    /// A record deleted before the fault is back.
    Resurrected,
    /// The record holds a value only the nemesis wrote.
    CorruptionSurvived,
    /// The record holds a value no acknowledged write produced.
    UnexpectedValue,
    /// An acknowledged object version is no longer stored.
    LostVersion,
    /// An order whose cart vanished.
    OrderWithoutCart,
    /// An order whose session vanished.
    OrderWithoutSession,
    /// An order whose invoice PDF vanished.
    OrderWithoutInvoice,
    /// A product whose image vanished.
    ProductWithoutImage,
    /// An ElastiCache key holding the right value but no expiry: the
    /// shop writes every session and cart with a TTL.
    TtlLost,
}

impl AnomalyKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::LostWrite => "lost write",
            AnomalyKind::Resurrected => "resurrected",
            AnomalyKind::CorruptionSurvived => "corruption survived",
            AnomalyKind::UnexpectedValue => "unexpected value",
            AnomalyKind::LostVersion => "lost version",
            AnomalyKind::OrderWithoutCart => "order without cart",
            AnomalyKind::OrderWithoutSession => "order without session",
            AnomalyKind::OrderWithoutInvoice => "order without invoice",
            AnomalyKind::ProductWithoutImage => "product without image",
            AnomalyKind::TtlLost => "ttl lost",
        }
    }

    /// Whether it is a cross-layer orphan.
    pub fn is_orphan(self) -> bool {
        matches!(
            self,
            AnomalyKind::OrderWithoutCart
                | AnomalyKind::OrderWithoutSession
                | AnomalyKind::OrderWithoutInvoice
                | AnomalyKind::ProductWithoutImage
        )
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// What is wrong.
    pub kind: AnomalyKind,
    /// The record.
    pub key: Key,
    /// What was found (`None`: absent), summarised.
    pub found: Option<String>,
    /// What was expected, summarised (one of these).
    pub expected: Vec<Option<String>>,
    /// How many acknowledged writes are lost on this record.
    pub lost_writes: u64,
    /// Invocation instant of the earliest lost acknowledged write.
    pub earliest_lost: Option<DateTime<Utc>>,
    /// The record the orphan points at (cross-layer anomalies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Key>,
}

/// Recovery objectives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    /// Recovery point objective, seconds (default 300).
    pub rpo_seconds: f64,
    /// Recovery time objective, seconds (default 1800).
    pub rto_seconds: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Self {
            rpo_seconds: 300.0,
            rto_seconds: 1800.0,
        }
    }
}

/// The measured recovery time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecoveryTime {
    /// From the fault to the end of recovery, on the target's clock.
    pub simulated_seconds: f64,
    /// Wall time the recovery took.
    pub wall_seconds: f64,
}

/// The data-loss measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rpo {
    /// Fault instant minus the invocation of the earliest lost acknowledged write; 0 when none.
    pub seconds: f64,
    /// Records with lost writes or resurrected.
    pub records_lost: u64,
    /// Acknowledged writes lost.
    pub writes_lost: u64,
    /// The earliest lost acknowledged write's invocation.
    pub earliest_lost: Option<DateTime<Utc>>,
    /// The completion of the newest acknowledged write present after recovery.
    pub observed_recovery_point: Option<DateTime<Utc>>,
}

/// Where every record of a layer stands after recovery, in counts that add
/// up: `expected = correct + wrong_value + missing + absent_allowed` and
/// `found = correct + wrong_value + resurrected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Census {
    /// Present with the value it must (or may) have.
    pub correct: u64,
    /// Present, but with a stale, corrupted or unknown value.
    pub wrong_value: u64,
    /// Absent, though it must exist.
    pub missing: u64,
    /// Present, though it was deleted (or never written) before the fault.
    pub resurrected: u64,
    /// Absent, which is allowed: the write that created it was in flight at the fault.
    pub absent_allowed: u64,
}

impl Census {
    /// Counts one record.
    fn count(&mut self, may_exist: bool, found: bool, anomaly: Option<AnomalyKind>) {
        match (found, anomaly) {
            (true, None) => self.correct += 1,
            (true, Some(_)) if may_exist => self.wrong_value += 1,
            (true, Some(_)) => self.resurrected += 1,
            (false, Some(_)) => self.missing += 1,
            (false, None) if may_exist => self.absent_allowed += 1,
            (false, None) => {}
        }
    }
}

/// The findings on one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerResult {
    /// The layer.
    pub layer: Layer,
    /// The engine serving it, where the layer has several (`postgres` or
    /// `mysql` for RDS, `redis` for ElastiCache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Its verdict.
    pub verdict: Verdict,
    /// Records that must or may exist at the fault.
    pub records_expected: u64,
    /// Records found after recovery.
    pub records_found: u64,
    /// How the expected and found records split up.
    #[serde(default)]
    pub census: Census,
    /// Records with lost acknowledged writes.
    pub lost_records: u64,
    /// Acknowledged writes lost.
    pub lost_writes: u64,
    /// Records resurrected.
    pub resurrected: u64,
    /// Records still corrupted by the nemesis.
    pub corrupted: u64,
    /// Records holding values nobody acknowledged.
    pub unexpected: u64,
    /// Object versions lost.
    pub lost_versions: u64,
    /// The layer's data-loss window.
    pub rpo: Rpo,
    /// Why the verdict is unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// Tables or buckets of the layer that no longer exist though the
    /// shop wrote to them: the layer is not back, whatever its records say
    /// (a dropped table no order can be placed in, even when every write the
    /// restore point asks for came after it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<String>,
    /// The findings (at most [`MAX_ANOMALIES`]).
    pub anomalies: Vec<Anomaly>,
    /// Findings left out of `anomalies`.
    pub anomalies_truncated: u64,
    /// The preloaded past orders' range, checked as a whole by its digest
    /// ([`crate::store::archive`]); RDS only, when the drill preloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preloaded: Option<PreloadedCheck>,
}

/// The check of a preloaded range: one comparison of count and digest
/// instead of millions of records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreloadedCheck {
    /// The table holding the range.
    pub table: String,
    /// The rows the generator wrote.
    pub rows_expected: u64,
    /// The rows found after recovery (`None`: the table is gone or could
    /// not be read).
    pub rows_found: Option<u64>,
    /// Whether every row is back as written: the count and the digest
    /// match the generator's.
    pub intact: bool,
}

impl PreloadedCheck {
    /// One sentence for the report.
    pub fn sentence(&self) -> String {
        match (self.rows_found, self.intact) {
            (Some(_), true) => format!(
                "{}: all {} preloaded past orders are back, their digest matches the generator's",
                self.table, self.rows_expected
            ),
            (Some(found), false) if found == self.rows_expected => format!(
                "{}: {} rows found as preloaded, but their digest differs from the generator's: at least one past order was changed",
                self.table, found
            ),
            (Some(found), false) => format!(
                "{}: {found} rows found of the {} preloaded past orders, and their digest differs from the generator's",
                self.table, self.rows_expected
            ),
            (None, _) => format!(
                "{}: the {} preloaded past orders were not found",
                self.table, self.rows_expected
            ),
        }
    }
}

/// Judges the preloaded range of `history`, when there is one, against what
/// `snap` read of it, into the RDS layer's `tally`.
fn judge_preloaded(history: &History, snap: &StoreSnapshot, tally: &mut Tally) {
    use crate::store::archive::ArchiveRead;
    let Some((table, expected)) = history.preloaded() else {
        return;
    };
    let r = &mut tally.result;
    let (rows_found, intact) = match &snap.order_archive {
        None => {
            r.unknown.push(format!("{table} was not read"));
            return;
        }
        Some(ArchiveRead::Unreadable { error }) => {
            r.unknown.push(format!("{table} could not be read: {error}"));
            return;
        }
        Some(ArchiveRead::Missing) => {
            r.gone.push(format!("{table}: its table no longer exists"));
            (None, false)
        }
        Some(ArchiveRead::Found(found)) => (Some(found.rows), found == expected),
    };
    r.preloaded = Some(PreloadedCheck {
        table: table.to_owned(),
        rows_expected: expected.rows,
        rows_found,
        intact,
    });
}

impl LayerResult {
    /// The layer's name with its engine where it has one: `rds (mysql)`,
    /// `elasticache (redis)`, `dynamodb`.
    pub fn label(&self) -> String {
        match &self.engine {
            Some(engine) => format!("{} ({engine})", self.layer.name()),
            None => self.layer.name().to_owned(),
        }
    }
}

/// The most anomalies kept per layer (the counts are always complete).
pub const MAX_ANOMALIES: usize = 200;

/// The checker's whole answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Every layer and the cross-layer checks composed.
    pub verdict: Verdict,
    /// The fault instant the state is judged at.
    pub fault_at: Option<DateTime<Utc>>,
    /// Per layer.
    pub layers: Vec<LayerResult>,
    /// Orphans across layers.
    pub cross_layer: Vec<Anomaly>,
    /// Orphans left out of `cross_layer`.
    pub cross_layer_truncated: u64,
    /// The whole store's data-loss window.
    pub rpo: Rpo,
    /// The recovery time, when measured.
    pub rto: Option<RecoveryTime>,
    /// The objectives.
    pub targets: Targets,
    /// RPO within its objective.
    pub rpo_met: bool,
    /// RTO within its objective (false when not measured).
    pub rto_met: bool,
    /// The band the restore-time model puts around the RTO, and the model's
    /// name, when the target timed its restores ([`crate::timing`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_band: Option<crate::restore_time::RtoBand>,
    /// Why the verdict is unknown, when it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// The loss each layer with an accepted window shows against it
    /// ([`crate::accepted`]); the verdict itself does not change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_loss: Vec<crate::accepted::AcceptedLoss>,
}

impl CheckResult {
    /// Whether the store is recovered: valid, nothing acknowledged lost.
    pub fn recovered(&self) -> bool {
        self.verdict == Verdict::Valid && self.rpo.writes_lost == 0
    }

    /// An unknown result carrying `why`.
    pub fn unknown(why: impl Into<String>, targets: Targets, rto: Option<RecoveryTime>) -> Self {
        Self {
            verdict: Verdict::Unknown,
            fault_at: None,
            layers: Vec::new(),
            cross_layer: Vec::new(),
            cross_layer_truncated: 0,
            rpo: empty_rpo(),
            rto,
            targets,
            rpo_met: false,
            rto_met: false,
            rto_band: None,
            unknown: vec![why.into()],
            accepted_loss: Vec::new(),
        }
    }
}

fn empty_rpo() -> Rpo {
    Rpo {
        seconds: 0.0,
        records_lost: 0,
        writes_lost: 0,
        earliest_lost: None,
        observed_recovery_point: None,
    }
}

/// What the checker is given.
#[derive(Debug, Clone, Copy)]
pub struct CheckInput<'a> {
    /// The whole history.
    pub history: &'a History,
    /// The state to get back is the state just before this instant (usually
    /// the first fault); `None` uses the history's first fault.
    pub fault_at: Option<DateTime<Utc>>,
    /// The recovered store.
    pub snapshot: &'a StoreSnapshot,
    /// The measured recovery time.
    pub rto: Option<RecoveryTime>,
    /// The objectives.
    pub targets: Targets,
}

/// Runs the checker, turning any failure of its own into an unknown verdict.
pub fn check(input: CheckInput<'_>) -> CheckResult {
    let targets = input.targets;
    let rto = input.rto;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_inner(input))) {
        Ok(Ok(r)) => r,
        Ok(Err(why)) => CheckResult::unknown(why, targets, rto),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            CheckResult::unknown(format!("the checker failed: {msg}"), targets, rto)
        }
    }
}

struct Tally {
    result: LayerResult,
    earliest: Option<DateTime<Utc>>,
}

fn check_inner(input: CheckInput<'_>) -> Result<CheckResult, String> {
    let fault_at = input
        .fault_at
        .or_else(|| input.history.first_fault())
        .ok_or("the history records no fault, so there is no state to recover to")?;
    let snap = input.snapshot;
    let by_key = input.history.by_key();
    let state: State = by_key
        .iter()
        .map(|(k, w)| (k.clone(), expected_from(w, fault_at)))
        .collect();

    // The ElastiCache layer is judged only when the shop keeps something
    // there: it was read, could not be, or the history wrote to it.
    let in_use = |layer: Layer| {
        layer != Layer::Elasticache
            || Collection::of_layer(layer).any(|c| snap.read.contains(&c) || snap.unreadable.contains_key(&c))
            || state.keys().any(|k| k.collection.layer() == layer)
    };
    let mut tallies: BTreeMap<Layer, Tally> = Layer::ALL
        .into_iter()
        .filter(|l| in_use(*l))
        .map(|layer| {
            let mut unknown = Vec::new();
            let mut gone = Vec::new();
            for c in Collection::of_layer(layer) {
                let written = by_key.iter().any(|(k, ws)| {
                    k.collection == c
                        && ws
                            .iter()
                            .any(|w| w.outcome == Outcome::Ok && w.process != Process::Nemesis)
                });
                if snap.missing.contains(&c) && !snap.unreadable.contains_key(&c) && written {
                    let what = if layer == Layer::Elasticache {
                        "its replication group does not exist where the shop now looks for it"
                    } else {
                        "its table or bucket no longer exists"
                    };
                    gone.push(format!("{c}: {what}"));
                }
                if let Some(why) = snap.unreadable.get(&c) {
                    unknown.push(format!("{c} could not be read: {why}"));
                } else if !snap.read.contains(&c) {
                    unknown.push(format!("{c} was not read"));
                }
            }
            (
                layer,
                Tally {
                    result: LayerResult {
                        layer,
                        engine: snap.engines.get(&layer).cloned(),
                        verdict: Verdict::Valid,
                        records_expected: 0,
                        records_found: 0,
                        census: Census::default(),
                        lost_records: 0,
                        lost_writes: 0,
                        resurrected: 0,
                        corrupted: 0,
                        unexpected: 0,
                        lost_versions: 0,
                        rpo: empty_rpo(),
                        unknown,
                        gone,
                        anomalies: Vec::new(),
                        anomalies_truncated: 0,
                        preloaded: None,
                    },
                    earliest: None,
                },
            )
        })
        .collect();
    let readable = |c: Collection| snap.read.contains(&c) && !snap.unreadable.contains_key(&c);

    let mut observed_point: Option<DateTime<Utc>> = None;
    let keys: BTreeSet<&Key> = state.keys().chain(snap.records.keys()).collect();
    let none: Vec<KeyWrite> = Vec::new();
    for key in keys {
        if !readable(key.collection) {
            continue;
        }
        let writes = by_key.get(key).unwrap_or(&none);
        let expected = state
            .get(key)
            .cloned()
            .unwrap_or_else(|| expected_from(&[], fault_at));
        let found = snap.records.get(key).cloned();
        let tally = tallies.get_mut(&key.collection.layer()).ok_or("layer missing")?;
        if expected.may_exist() {
            tally.result.records_expected += 1;
        }
        if found.is_some() {
            tally.result.records_found += 1;
        }
        let acked: Vec<&KeyWrite> = writes
            .iter()
            .filter(|w| w.outcome == Outcome::Ok && w.complete < fault_at && w.process != Process::Nemesis)
            .collect();
        if let Some(v) = &found
            && let Some(w) = acked.iter().rev().find(|w| w.value.as_ref() == Some(v))
        {
            observed_point = observed_point.max(Some(w.complete));
        }
        let judged = judge_record(key, writes, &acked, &expected, &found, fault_at)
            .or_else(|| ttl_lost(key, &found, snap));
        tally.result.census.count(
            expected.may_exist(),
            found.is_some(),
            judged.as_ref().map(|a| a.kind),
        );
        if let Some(a) = judged {
            record(tally, a);
        }
        if snap.versioned.contains(&key.collection) {
            let stored = snap.versions.get(key);
            for w in &acked {
                if let Some(v @ Value::Object { .. }) = &w.value
                    && !stored.is_some_and(|s| s.contains(v))
                {
                    record(
                        tally,
                        Anomaly {
                            kind: AnomalyKind::LostVersion,
                            key: key.clone(),
                            found: None,
                            expected: vec![Some(v.summary())],
                            lost_writes: 0,
                            earliest_lost: None,
                            related: None,
                        },
                    );
                }
            }
        }
    }

    if let Some(tally) = tallies.get_mut(&Layer::Rds) {
        judge_preloaded(input.history, snap, tally);
    }
    let (cross_layer, cross_truncated) = orphans(&state, snap, &readable);

    let mut layers = Vec::new();
    let mut total = empty_rpo();
    let mut earliest: Option<DateTime<Utc>> = None;
    let mut unknown = Vec::new();
    for (_, mut t) in tallies {
        let r = &mut t.result;
        r.verdict = if r.lost_writes + r.resurrected + r.corrupted + r.unexpected + r.lost_versions > 0
            || r.lost_records > 0
            || !r.gone.is_empty()
            || r.preloaded.as_ref().is_some_and(|p| !p.intact)
        {
            Verdict::Invalid
        } else if !r.unknown.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Valid
        };
        r.rpo.records_lost = r.lost_records + r.resurrected;
        r.rpo.writes_lost = r.lost_writes;
        r.rpo.earliest_lost = t.earliest;
        r.rpo.seconds = window(fault_at, t.earliest);
        total.records_lost += r.rpo.records_lost;
        total.writes_lost += r.rpo.writes_lost;
        earliest = match (earliest, t.earliest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        unknown.extend(r.unknown.iter().map(|u| format!("{}: {u}", r.layer)));
        layers.push(t.result);
    }
    total.earliest_lost = earliest;
    total.seconds = window(fault_at, earliest);
    total.observed_recovery_point = observed_point;

    let verdict = Verdict::all(layers.iter().map(|l| l.verdict)).and(if cross_layer.is_empty() {
        Verdict::Valid
    } else {
        Verdict::Invalid
    });
    let rpo_met = verdict != Verdict::Unknown && total.seconds <= input.targets.rpo_seconds;
    let rto_met = input
        .rto
        .is_some_and(|r| r.simulated_seconds <= input.targets.rto_seconds);
    Ok(CheckResult {
        verdict,
        fault_at: Some(fault_at),
        layers,
        cross_layer,
        cross_layer_truncated: cross_truncated,
        rpo: total,
        rto: input.rto,
        targets: input.targets,
        rpo_met,
        rto_met,
        rto_band: None,
        unknown,
        accepted_loss: Vec::new(),
    })
}

fn window(fault_at: DateTime<Utc>, earliest: Option<DateTime<Utc>>) -> f64 {
    earliest
        .map(|e| ((fault_at - e).num_milliseconds().max(0) as f64) / 1000.0)
        .unwrap_or(0.0)
}

fn record(tally: &mut Tally, a: Anomaly) {
    let r = &mut tally.result;
    match a.kind {
        AnomalyKind::LostWrite => {
            r.lost_records += 1;
            r.lost_writes += a.lost_writes;
        }
        AnomalyKind::Resurrected => {
            r.resurrected += 1;
            r.lost_writes += a.lost_writes;
        }
        AnomalyKind::CorruptionSurvived => r.corrupted += 1,
        AnomalyKind::UnexpectedValue | AnomalyKind::TtlLost => r.unexpected += 1,
        AnomalyKind::LostVersion => r.lost_versions += 1,
        _ => {}
    }
    if let Some(e) = a.earliest_lost {
        tally.earliest = Some(tally.earliest.map_or(e, |t| t.min(e)));
    }
    if r.anomalies.len() < MAX_ANOMALIES {
        r.anomalies.push(a);
    } else {
        r.anomalies_truncated += 1;
    }
}

/// Judges one record; `None` when what was found is admissible.
fn judge_record(
    key: &Key,
    writes: &[KeyWrite],
    acked: &[&KeyWrite],
    expected: &Expected,
    found: &Option<Value>,
    _fault_at: DateTime<Utc>,
) -> Option<Anomaly> {
    if expected.admits(found) {
        return None;
    }
    let summarise = |v: &Option<Value>| v.as_ref().map(Value::summary);
    let mut anomaly = Anomaly {
        kind: AnomalyKind::UnexpectedValue,
        key: key.clone(),
        found: summarise(found),
        expected: expected.possible.iter().map(summarise).collect(),
        lost_writes: 0,
        earliest_lost: None,
        related: None,
    };
    if let Some(v) = found
        && writes
            .iter()
            .any(|w| w.process == Process::Nemesis && w.value.as_ref() == Some(v))
        && !acked.iter().any(|w| w.value.as_ref() == Some(v))
    {
        anomaly.kind = AnomalyKind::CorruptionSurvived;
        return Some(anomaly);
    }
    // Where in the acknowledged sequence does the found value sit? Absent
    // before the first write counts as position "before everything".
    let position = match found {
        None => Some(acked.iter().rposition(|w| w.value.is_none()).map_or(0, |i| i + 1)),
        Some(v) => acked
            .iter()
            .rposition(|w| w.value.as_ref() == Some(v))
            .map(|i| i + 1),
    };
    let Some(pos) = position else {
        return Some(anomaly);
    };
    let lost = &acked[pos..];
    if lost.is_empty() {
        // The found value is the newest acknowledged one but is still not
        // admitted: only possible with writes of other outcomes; call it unexpected.
        return Some(anomaly);
    }
    anomaly.lost_writes = lost.len() as u64;
    anomaly.earliest_lost = lost.iter().map(|w| w.invoke).min();
    anomaly.kind = if found.is_some() && !expected.may_exist() {
        AnomalyKind::Resurrected
    } else {
        AnomalyKind::LostWrite
    };
    Some(anomaly)
}

/// An ElastiCache record whose value is admissible but which has no expiry
/// any more (a restore or a copy that dropped the TTLs): the value is
/// right, the key is not what was written. TTLs are compared for their
/// presence only: their exact value moves with Redis's own clock.
fn ttl_lost(key: &Key, found: &Option<Value>, snap: &StoreSnapshot) -> Option<Anomaly> {
    let v = found.as_ref()?;
    snap.no_ttl.contains(key).then(|| Anomaly {
        kind: AnomalyKind::TtlLost,
        key: key.clone(),
        found: Some(format!("{} (no TTL)", v.summary())),
        expected: vec![Some(format!("{} with a TTL", v.summary()))],
        lost_writes: 0,
        earliest_lost: None,
        related: None,
    })
}

/// The record an order points at: the shop's collection, or its cache
/// twin when the history wrote the record there.
fn referenced(state: &State, collection: Collection, id: &str) -> Key {
    let key = Key::new(collection, id);
    match collection.in_cache() {
        Some(cache) if !state.contains_key(&key) => Key::new(cache, id),
        _ => key,
    }
}

/// Cross-layer orphans among the records found after recovery.
fn orphans(
    state: &State,
    snap: &StoreSnapshot,
    readable: &dyn Fn(Collection) -> bool,
) -> (Vec<Anomaly>, u64) {
    let mut out = Vec::new();
    let mut truncated = 0u64;
    let mut push = |a: Anomaly| {
        if out.len() < MAX_ANOMALIES {
            out.push(a);
        } else {
            truncated += 1;
        }
    };
    let mut check = |from: &Key, kind: AnomalyKind, to: Key| {
        if !readable(to.collection) {
            return;
        }
        let was_there = state.get(&to).is_some_and(Expected::must_exist);
        if was_there && !snap.records.contains_key(&to) {
            push(Anomaly {
                kind,
                key: from.clone(),
                found: None,
                expected: Vec::new(),
                lost_writes: 0,
                earliest_lost: None,
                related: Some(to),
            });
        }
    };
    for (key, value) in &snap.records {
        match key.collection {
            Collection::Orders => {
                if let Some(cart) = value.field("cart_id") {
                    check(
                        key,
                        AnomalyKind::OrderWithoutCart,
                        referenced(state, Collection::Carts, cart),
                    );
                }
                if let Some(session) = value.field("session_id") {
                    check(
                        key,
                        AnomalyKind::OrderWithoutSession,
                        referenced(state, Collection::Sessions, session),
                    );
                }
                check(
                    key,
                    AnomalyKind::OrderWithoutInvoice,
                    Key::new(Collection::Invoices, invoice_object_key(&key.id)),
                );
            }
            Collection::Inventory => check(
                key,
                AnomalyKind::ProductWithoutImage,
                Key::new(Collection::Images, image_object_key(&key.id)),
            ),
            _ => {}
        }
    }
    (out, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{EventKind, OpKind, Write};
    use crate::model::{Order, OrderItem, Payment, to_micros};
    use chrono::Duration;

    fn t(secs: i64) -> DateTime<Utc> {
        "2026-03-14T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(secs)
    }

    fn put(h: &mut History, process: Process, writes: Vec<Write>, at: i64, outcome: Outcome) {
        let p = h.invoke(process, OpKind::CartAdd, writes, t(at));
        h.complete(p, t(at) + Duration::milliseconds(20), outcome, None);
    }

    fn order(id: &str, cart: &str, session: &str, at: i64) -> Order {
        Order {
            order_id: id.into(),
            customer_id: "u1".into(),
            cart_id: cart.into(),
            session_id: session.into(),
            status: "paid".into(),
            total_cents: 1000,
            placed_at: to_micros(t(at)),
            items: vec![OrderItem {
                line: 1,
                product_id: "p1".into(),
                quantity: 1,
                price_cents: 1000,
            }],
            payment: Payment {
                payment_id: format!("pay-{id}"),
                amount_cents: 1000,
                method: "card".into(),
                status: "captured".into(),
            },
        }
    }

    fn cart(id: &str, v: &str) -> Write {
        Write::put(
            Key::new(Collection::Carts, id),
            Value::row([("cart_id", id), ("v", v)]),
        )
    }

    fn session(id: &str) -> Write {
        Write::put(
            Key::new(Collection::Sessions, id),
            Value::row([("session_id", id)]),
        )
    }

    fn object(c: Collection, id: &str, body: &[u8]) -> Write {
        Write::put(Key::new(c, id), Value::object(body))
    }

    const FAULT: i64 = 10_000;

    /// A small history: seeded products and images, orders with carts,
    /// sessions and invoices, then a fault at t=10000 that corrupts orders and
    /// deletes carts.
    fn story() -> History {
        let mut h = History::new();
        put(
            &mut h,
            Process::Seed,
            vec![
                Write::put(Key::new(Collection::Inventory, "p1"), Value::row([("q", "10")])),
                object(Collection::Images, "products/p1.jpg", b"jpeg-1"),
            ],
            0,
            Outcome::Ok,
        );
        for i in 0..5 {
            let at = 100 + i * 1000;
            let o = order(&format!("o{i}"), &format!("c{i}"), &format!("s{i}"), at);
            put(
                &mut h,
                Process::Client(0),
                vec![session(&format!("s{i}"))],
                at,
                Outcome::Ok,
            );
            put(
                &mut h,
                Process::Client(0),
                vec![cart(&format!("c{i}"), "open")],
                at + 1,
                Outcome::Ok,
            );
            put(
                &mut h,
                Process::Client(0),
                vec![cart(&format!("c{i}"), "checked_out")],
                at + 2,
                Outcome::Ok,
            );
            let writes = o.records().into_iter().map(|(k, v)| Write::put(k, v)).collect();
            put(&mut h, Process::Client(0), writes, at + 3, Outcome::Ok);
            put(
                &mut h,
                Process::Client(0),
                vec![object(
                    Collection::Invoices,
                    &format!("invoices/o{i}.pdf"),
                    format!("pdf{i}").as_bytes(),
                )],
                at + 4,
                Outcome::Ok,
            );
        }
        // An order deleted before the fault (a GDPR erasure of its cart).
        put(
            &mut h,
            Process::Client(0),
            vec![cart("gone", "open")],
            6000,
            Outcome::Ok,
        );
        put(
            &mut h,
            Process::Client(0),
            vec![Write::delete(Key::new(Collection::Carts, "gone"))],
            6001,
            Outcome::Ok,
        );
        // The image is re-uploaded: two versions.
        put(
            &mut h,
            Process::Client(0),
            vec![object(Collection::Images, "products/p1.jpg", b"jpeg-2")],
            7000,
            Outcome::Ok,
        );
        h.event(
            t(FAULT),
            EventKind::FaultStruck {
                fault: "corrupted_orders".into(),
                detail: "totals zeroed".into(),
            },
        );
        let corrupt: Vec<Write> = (0..5)
            .map(|i| {
                let mut o = order(
                    &format!("o{i}"),
                    &format!("c{i}"),
                    &format!("s{i}"),
                    100 + i * 1000,
                );
                o.total_cents = 0;
                o.status = "refunded".into();
                Write::put(o.key(), o.value())
            })
            .collect();
        put(&mut h, Process::Nemesis, corrupt, FAULT + 1, Outcome::Ok);
        put(
            &mut h,
            Process::Nemesis,
            (0..5)
                .map(|i| Write::delete(Key::new(Collection::Carts, format!("c{i}"))))
                .collect(),
            FAULT + 2,
            Outcome::Ok,
        );
        h
    }

    /// The perfect recovery: the state just before the fault, every version kept.
    fn perfect(h: &History) -> StoreSnapshot {
        let mut s = StoreSnapshot::default();
        for (k, e) in h.state_at(t(FAULT)) {
            if let Some(v) = e.definite {
                s.records.insert(k, v);
            }
        }
        for (k, writes) in h.by_key() {
            if k.collection.layer() == Layer::S3 {
                s.versions
                    .insert(k, writes.iter().filter_map(|w| w.value.clone()).collect());
            }
        }
        s.read.extend(Collection::ALL);
        s.versioned
            .extend([Collection::Images, Collection::Invoices, Collection::Templates]);
        s
    }

    fn run(h: &History, s: &StoreSnapshot) -> CheckResult {
        check(CheckInput {
            history: h,
            fault_at: None,
            snapshot: s,
            rto: Some(RecoveryTime {
                simulated_seconds: 600.0,
                wall_seconds: 3.0,
            }),
            targets: Targets::default(),
        })
    }

    fn layer(r: &CheckResult, l: Layer) -> &LayerResult {
        r.layers.iter().find(|x| x.layer == l).unwrap()
    }

    #[test]
    fn a_perfect_recovery_is_valid() {
        let h = story();
        let r = run(&h, &perfect(&h));
        assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
        assert!(r.recovered() && r.rpo_met && r.rto_met);
        assert_eq!(r.rpo.seconds, 0.0);
        assert_eq!(
            r.rpo.observed_recovery_point,
            Some(t(7000) + Duration::milliseconds(20))
        );
    }

    #[test]
    fn census_counts_add_up_for_a_reader() {
        let h = story();
        let mut s = perfect(&h);
        s.records.retain(|k, _| k.id != "o4");
        s.records.insert(
            Key::new(Collection::Carts, "c3"),
            Value::row([("cart_id", "c3"), ("v", "open")]),
        );
        s.records.insert(
            Key::new(Collection::Carts, "gone"),
            Value::row([("cart_id", "gone"), ("v", "open")]),
        );
        let r = run(&h, &s);
        for l in &r.layers {
            let c = l.census;
            assert_eq!(
                l.records_expected,
                c.correct + c.wrong_value + c.missing + c.absent_allowed,
                "{l:#?}"
            );
            assert_eq!(
                l.records_found,
                c.correct + c.wrong_value + c.resurrected,
                "{l:#?}"
            );
        }
        let rds = layer(&r, Layer::Rds).census;
        assert_eq!((rds.missing, rds.wrong_value, rds.resurrected), (1, 0, 0));
        let ddb = layer(&r, Layer::Dynamodb).census;
        assert_eq!((ddb.missing, ddb.wrong_value, ddb.resurrected), (0, 1, 1));
        assert_eq!(
            layer(&r, Layer::S3).census.correct,
            layer(&r, Layer::S3).records_found
        );
    }

    #[test]
    fn a_planted_lost_write_is_caught_and_measured() {
        let h = story();
        let mut s = perfect(&h);
        // The newest order vanished with its lines and payment.
        s.records
            .retain(|k, _| !(k.id.starts_with("o4") || k.id == "pay-o4"));
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Invalid);
        assert!(!r.recovered());
        let rds = layer(&r, Layer::Rds);
        assert_eq!(rds.lost_records, 3, "order, line and payment");
        assert_eq!(rds.verdict, Verdict::Invalid);
        assert!(
            rds.anomalies
                .iter()
                .any(|a| a.kind == AnomalyKind::LostWrite && a.key.id == "o4")
        );
        // o4 was written at 4103: the window reaches back from the fault to it.
        assert_eq!(r.rpo.earliest_lost, Some(t(4103)));
        assert_eq!(r.rpo.seconds, (FAULT - 4103) as f64);
        assert!(!r.rpo_met);
    }

    #[test]
    fn a_stale_value_loses_the_writes_after_it() {
        let h = story();
        let mut s = perfect(&h);
        // The cart rolled back to "open": its checkout is lost.
        s.records.insert(
            Key::new(Collection::Carts, "c3"),
            Value::row([("cart_id", "c3"), ("v", "open")]),
        );
        let r = run(&h, &s);
        let ddb = layer(&r, Layer::Dynamodb);
        assert_eq!((ddb.lost_records, ddb.lost_writes), (1, 1));
        assert_eq!(r.rpo.earliest_lost, Some(t(3102)));
    }

    #[test]
    fn a_planted_resurrected_row_is_caught() {
        let h = story();
        let mut s = perfect(&h);
        s.records.insert(
            Key::new(Collection::Carts, "gone"),
            Value::row([("cart_id", "gone"), ("v", "open")]),
        );
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Invalid);
        let ddb = layer(&r, Layer::Dynamodb);
        assert_eq!(ddb.resurrected, 1);
        assert_eq!(ddb.anomalies[0].kind, AnomalyKind::Resurrected);
        assert_eq!(r.rpo.earliest_lost, Some(t(6001)), "the delete is the lost write");
    }

    #[test]
    fn a_planted_surviving_corruption_is_caught() {
        let h = story();
        let mut s = perfect(&h);
        let mut o = order("o2", "c2", "s2", 2100);
        o.total_cents = 0;
        o.status = "refunded".into();
        s.records.insert(o.key(), o.value());
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Invalid);
        let rds = layer(&r, Layer::Rds);
        assert_eq!(rds.corrupted, 1);
        assert_eq!(rds.anomalies[0].kind, AnomalyKind::CorruptionSurvived);
        assert_eq!(rds.lost_writes, 0);
    }

    #[test]
    fn a_planted_lost_object_version_is_caught() {
        let h = story();
        let mut s = perfect(&h);
        // The current image is right, but its first version was destroyed.
        s.versions.insert(
            Key::new(Collection::Images, "products/p1.jpg"),
            vec![Value::object(b"jpeg-2")],
        );
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Invalid);
        assert_eq!(layer(&r, Layer::S3).lost_versions, 1);
        assert_eq!(r.rpo.writes_lost, 0, "a lost version is not a lost current write");
    }

    #[test]
    fn a_value_nobody_wrote_is_unexpected() {
        let h = story();
        let mut s = perfect(&h);
        s.records.insert(
            Key::new(Collection::Templates, "templates/evil.html"),
            Value::object(b"x"),
        );
        let r = run(&h, &s);
        assert_eq!(layer(&r, Layer::S3).unexpected, 1);
        assert_eq!(r.verdict, Verdict::Invalid);
    }

    #[test]
    fn orphans_across_layers_are_found() {
        let h = story();
        let mut s = perfect(&h);
        // RDS restored, the session store and an invoice not.
        s.records.retain(|k, _| k.collection != Collection::Sessions);
        s.records
            .remove(&Key::new(Collection::Invoices, "invoices/o1.pdf"));
        s.records.remove(&Key::new(Collection::Images, "products/p1.jpg"));
        let r = run(&h, &s);
        let kinds: BTreeSet<AnomalyKind> = r.cross_layer.iter().map(|a| a.kind).collect();
        assert!(kinds.contains(&AnomalyKind::OrderWithoutSession));
        assert!(kinds.contains(&AnomalyKind::OrderWithoutInvoice));
        assert!(kinds.contains(&AnomalyKind::ProductWithoutImage));
        assert_eq!(
            r.cross_layer
                .iter()
                .filter(|a| a.kind == AnomalyKind::OrderWithoutSession)
                .count(),
            5
        );
        assert_eq!(layer(&r, Layer::Dynamodb).lost_records, 5);
        assert_eq!(r.verdict, Verdict::Invalid);
    }

    #[test]
    fn the_unrecovered_store_is_invalid_with_corruption_and_loss() {
        let h = story();
        // What the store holds after the fault, with no recovery.
        let mut s = perfect(&h);
        for (k, e) in h.state_at(t(FAULT + 100)) {
            match e.definite {
                Some(v) => s.records.insert(k, v),
                None => s.records.remove(&k),
            };
        }
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Invalid);
        assert_eq!(layer(&r, Layer::Rds).corrupted, 5);
        assert_eq!(layer(&r, Layer::Dynamodb).lost_records, 5);
        assert!(
            r.cross_layer
                .iter()
                .any(|a| a.kind == AnomalyKind::OrderWithoutCart)
        );
    }

    #[test]
    fn indeterminate_writes_go_either_way() {
        let mut h = story();
        // An indeterminate cart write before the fault: present or absent, both fine.
        put(
            &mut h,
            Process::Client(1),
            vec![cart("maybe", "open")],
            9000,
            Outcome::Info,
        );
        let s = perfect(&h);
        assert_eq!(run(&h, &s).verdict, Verdict::Valid);
        let mut s2 = s.clone();
        s2.records.insert(
            Key::new(Collection::Carts, "maybe"),
            Value::row([("cart_id", "maybe"), ("v", "open")]),
        );
        assert_eq!(run(&h, &s2).verdict, Verdict::Valid);
        // A refused write that landed anyway is not fine.
        put(
            &mut h,
            Process::Client(1),
            vec![cart("refused", "open")],
            9100,
            Outcome::Fail,
        );
        let mut s3 = perfect(&h);
        s3.records.insert(
            Key::new(Collection::Carts, "refused"),
            Value::row([("cart_id", "refused"), ("v", "open")]),
        );
        assert_eq!(run(&h, &s3).verdict, Verdict::Invalid);
    }

    #[test]
    fn a_table_gone_is_invalid_even_when_no_write_before_the_fault_is_asked_back() {
        let mut h = story();
        // Payments were written only after the fault: none is asked back.
        put(
            &mut h,
            Process::Client(0),
            vec![Write::put(
                Key::new(Collection::Payments, "pay-1"),
                Value::row([("amount", "5")]),
            )],
            FAULT + 50,
            Outcome::Ok,
        );
        let mut s = perfect(&h);
        s.read.insert(Collection::Payments);
        assert_eq!(run(&h, &s).verdict, Verdict::Valid, "the table is there");
        s.missing.insert(Collection::Payments);
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Invalid);
        let rds = r
            .layers
            .iter()
            .find(|l| l.layer == Layer::Rds)
            .expect("the RDS layer");
        assert_eq!(
            rds.gone,
            vec!["payments: its table or bucket no longer exists".to_owned()]
        );
        assert!(!r.recovered());
        // A bucket the shop never wrote to may be absent.
        let mut s = perfect(&story());
        s.missing.insert(Collection::Templates);
        assert_eq!(run(&story(), &s).verdict, Verdict::Valid);
    }

    #[test]
    fn an_unreadable_layer_is_unknown_never_valid_and_invalid_dominates() {
        let h = story();
        let mut s = perfect(&h);
        s.mark_unreadable(Collection::Orders, "connection refused");
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(!r.recovered() && !r.rpo_met);
        assert!(r.unknown[0].contains("connection refused"));
        s.records.retain(|k, _| k.collection != Collection::Carts);
        assert_eq!(run(&h, &s).verdict, Verdict::Invalid);
    }

    #[test]
    fn a_preloaded_range_is_judged_by_its_digest() {
        use crate::store::archive::{ArchiveDigest, ArchiveRead};
        let digest = |rows, hash: &str| ArchiveDigest {
            rows,
            hash_sum: hash.to_owned(),
        };
        let mut h = story();
        h.event(
            t(0),
            EventKind::Preloaded {
                table: "order_archive".into(),
                first_id: "hist-000000001".into(),
                last_id: "hist-000001000".into(),
                digest: digest(1000, "123456789"),
            },
        );
        let mut s = perfect(&h);
        let rds = |r: &CheckResult| layer(r, Layer::Rds).clone();
        s.order_archive = Some(ArchiveRead::Found(digest(1000, "123456789")));
        let r = run(&h, &s);
        assert!(r.recovered(), "{r:?}");
        assert!(rds(&r).preloaded.unwrap().intact);
        // One row changed, one lost, the table gone: invalid each time.
        for (read, found) in [
            (ArchiveRead::Found(digest(1000, "123456790")), Some(1000)),
            (ArchiveRead::Found(digest(999, "123000000")), Some(999)),
            (ArchiveRead::Missing, None),
        ] {
            s.order_archive = Some(read);
            let r = run(&h, &s);
            assert_eq!(r.verdict, Verdict::Invalid, "{r:?}");
            let p = rds(&r).preloaded.unwrap();
            assert!(!p.intact && p.rows_found == found, "{p:?}");
        }
        s.order_archive = None;
        assert_eq!(rds(&run(&h, &s)).verdict, Verdict::Unknown);
        // Without a preloaded range nothing is judged.
        let plain = story();
        assert!(rds(&run(&plain, &perfect(&plain))).preloaded.is_none());
    }

    #[test]
    fn no_fault_means_unknown() {
        let mut h = History::new();
        put(&mut h, Process::Client(0), vec![cart("a", "1")], 0, Outcome::Ok);
        let r = run(&h, &StoreSnapshot::default());
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(r.unknown[0].contains("no fault"));
    }

    #[test]
    fn verdicts_compose_with_invalid_dominating() {
        use Verdict::*;
        assert_eq!(Valid.and(Unknown), Unknown);
        assert_eq!(Unknown.and(Invalid), Invalid);
        assert_eq!(Verdict::all([Valid, Valid]), Valid);
        assert_eq!(Verdict::all([]), Valid);
        assert_eq!(Verdict::all([Valid, Invalid, Unknown]), Invalid);
    }

    #[test]
    fn rto_is_judged_on_the_targets_clock() {
        let h = story();
        let s = perfect(&h);
        let mut input = CheckInput {
            history: &h,
            fault_at: None,
            snapshot: &s,
            rto: Some(RecoveryTime {
                simulated_seconds: 2400.0,
                wall_seconds: 2.0,
            }),
            targets: Targets::default(),
        };
        assert!(!check(input).rto_met);
        input.targets.rto_seconds = 3600.0;
        assert!(check(input).rto_met);
        input.rto = None;
        assert!(!check(input).rto_met);
    }

    /// A shop keeping sessions in ElastiCache: three sessions written, one
    /// touched twice, an order pointing at the third, then the fault.
    fn cache_story() -> History {
        let mut h = History::new();
        let sess = |id: &str, views: &str| {
            Write::put(
                Key::new(Collection::CacheSessions, id),
                Value::row([("session_id", id), ("views", views)]),
            )
        };
        for (i, id) in ["s1", "s2", "s3"].iter().enumerate() {
            put(
                &mut h,
                Process::Client(0),
                vec![sess(id, "1")],
                100 + i as i64 * 100,
                Outcome::Ok,
            );
        }
        put(
            &mut h,
            Process::Client(0),
            vec![sess("s1", "2")],
            5000,
            Outcome::Ok,
        );
        let o = order("o1", "c1", "s3", 5100);
        put(
            &mut h,
            Process::Client(0),
            vec![Write::put(o.key(), o.value())],
            5100,
            Outcome::Ok,
        );
        h.event(
            t(FAULT),
            EventKind::FaultStruck {
                fault: "flush_sessions".into(),
                detail: "FLUSHALL".into(),
            },
        );
        h
    }

    fn cache_snapshot(h: &History) -> StoreSnapshot {
        let mut s = perfect(h);
        s.read.clear();
        s.read.extend(Collection::ALL);
        s
    }

    #[test]
    fn cache_keys_are_compared_per_key_with_the_ttl_present_but_not_measured() {
        let h = cache_story();
        let s = cache_snapshot(&h);
        let r = run(&h, &s);
        assert_eq!(r.verdict, Verdict::Valid, "{r:?}");
        let ec = layer(&r, Layer::Elasticache);
        assert_eq!(ec.census.correct, 3);

        // s1 back at its first value (restored from an older snapshot), s2
        // gone, s3 right but without its TTL.
        let mut s = cache_snapshot(&h);
        s.records.insert(
            Key::new(Collection::CacheSessions, "s1"),
            Value::row([("session_id", "s1"), ("views", "1")]),
        );
        s.records.remove(&Key::new(Collection::CacheSessions, "s2"));
        s.no_ttl.insert(Key::new(Collection::CacheSessions, "s3"));
        let r = run(&h, &s);
        let ec = layer(&r, Layer::Elasticache);
        assert_eq!(ec.verdict, Verdict::Invalid);
        assert_eq!(ec.census.correct, 0);
        assert_eq!(ec.census.wrong_value, 2, "s1 stale and s3 without a TTL");
        assert_eq!(ec.census.missing, 1);
        assert_eq!(ec.lost_records, 2);
        assert_eq!(ec.lost_writes, 2, "s1's second touch and s2's only write");
        assert_eq!(ec.unexpected, 1);
        let kinds: Vec<AnomalyKind> = ec.anomalies.iter().map(|a| a.kind).collect();
        assert!(kinds.contains(&AnomalyKind::TtlLost), "{kinds:?}");
        // The window opens at s2's write (t=200), the earliest lost.
        assert_eq!(ec.rpo.seconds, (FAULT - 200) as f64);
        // The other layers are untouched.
        assert_eq!(layer(&r, Layer::Rds).verdict, Verdict::Valid);
    }

    #[test]
    fn orders_pointing_at_flushed_cache_sessions_are_orphans() {
        let h = cache_story();
        let mut s = cache_snapshot(&h);
        s.records.retain(|k, _| k.collection != Collection::CacheSessions);
        let r = run(&h, &s);
        let orphan = r
            .cross_layer
            .iter()
            .find(|a| a.kind == AnomalyKind::OrderWithoutSession)
            .expect("an orphan");
        assert_eq!(orphan.related, Some(Key::new(Collection::CacheSessions, "s3")));
        assert_eq!(layer(&r, Layer::Elasticache).census.missing, 3);
    }

    #[test]
    fn a_cache_that_cannot_be_read_is_unknown_and_an_unused_one_is_not_judged() {
        let h = cache_story();
        let mut s = cache_snapshot(&h);
        s.mark_unreadable(Collection::CacheSessions, "us-east-1 is dark");
        let r = run(&h, &s);
        assert_eq!(layer(&r, Layer::Elasticache).verdict, Verdict::Unknown);
        assert_eq!(r.verdict, Verdict::Unknown);

        // A shop without a cache: no ElastiCache row at all.
        let h = story();
        let mut s = perfect(&h);
        s.read.remove(&Collection::CacheSessions);
        s.read.remove(&Collection::CacheCarts);
        let r = run(&h, &s);
        assert!(r.layers.iter().all(|l| l.layer != Layer::Elasticache));
        assert_eq!(r.verdict, Verdict::Valid);
    }
}
