//! The live store seen as of the restore point, for the checker (pure).
//!
//! The checker judges a store against the state just before the fault. A
//! live store keeps taking traffic after the destructive act, and a restore
//! may be to any instant from the restore point on (the latest restorable
//! time, say): a record may rightly hold what the traffic wrote after the
//! restore point. A record whose value the recorded traffic explains at
//! some instant between the restore point and the end of the read (the
//! value it had at the restore point, or one a later write of the traffic
//! gave it, or absent after the traffic deleted it) is undamaged; it is
//! shown to the checker with the value it had at the restore point. Every
//! other record (deleted, overwritten or created by someone the history does
//! not know, or restored from before the restore point) is left as found,
//! and the checker judges it against the restore point.

use crate::history::{History, KeyWrite, Outcome, Value, expected_from};
use crate::model::StoreSnapshot;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// How far apart the traffic's instants and the store's may be: the traffic
/// reads the emulator's clock over HTTP, and PostgreSQL stamps its commits on
/// the wall clock, mapped to the emulator's for a point-in-time restore; a
/// commit a few tens of milliseconds before the restore point was seen to
/// fall after it.
pub const CLOCK_TOLERANCE: chrono::Duration = chrono::Duration::milliseconds(250);

/// `history` with every operation acknowledged just before `restore_point`
/// (within [`CLOCK_TOLERANCE`]) taken as still in flight at it: whether it
/// landed before the restore point is closer than the two clocks can tell.
pub fn with_clock_tolerance(history: &History, restore_point: DateTime<Utc>) -> History {
    let mut out = History::new();
    for op in history.ops() {
        let mut op = op.clone();
        if op.complete < restore_point && op.complete >= restore_point - CLOCK_TOLERANCE {
            op.complete = restore_point;
        }
        out.push(op);
    }
    for e in history.events() {
        out.event(e.at, e.kind.clone());
    }
    out
}

/// Whether the traffic alone explains `found` at some instant of
/// `[from, to]`: the state at either end, or the value of a write that may
/// have taken effect in between.
fn explained(writes: &[KeyWrite], found: &Option<Value>, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    expected_from(writes, from).admits(found)
        || expected_from(writes, to).admits(found)
        || writes
            .iter()
            .any(|w| w.outcome != Outcome::Fail && w.invoke < to && w.complete >= from && &w.value == found)
}

/// `snapshot` with every undamaged record shown as it was at
/// `restore_point`; `read_end` is when the store's read ended.
pub fn as_of_restore_point(
    snapshot: &StoreSnapshot,
    history: &History,
    restore_point: DateTime<Utc>,
    read_end: DateTime<Utc>,
) -> StoreSnapshot {
    let mut out = snapshot.clone();
    let by_key = history.by_key();
    let none: Vec<KeyWrite> = Vec::new();
    let keys: BTreeSet<_> = by_key.keys().chain(snapshot.records.keys()).cloned().collect();
    let mut moved: BTreeMap<_, Option<Value>> = BTreeMap::new();
    for key in keys {
        if !snapshot.read.contains(&key.collection) {
            continue;
        }
        let writes = by_key.get(&key).unwrap_or(&none);
        let found = snapshot.records.get(&key).cloned();
        if !explained(writes, &found, restore_point, read_end) {
            continue;
        }
        let then = expected_from(writes, restore_point);
        if !then.admits(&found) {
            moved.insert(key, then.definite);
        }
    }
    for (key, value) in moved {
        match value {
            Some(v) => {
                out.records.insert(key, v);
            }
            None => {
                out.records.remove(&key);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Collection, Key, OpKind, Process, Write};
    use chrono::Duration;

    fn at(s: i64) -> DateTime<Utc> {
        "2026-03-14T03:00:00Z".parse::<DateTime<Utc>>().expect("instant") + Duration::seconds(s)
    }

    fn cart(v: &str) -> Value {
        Value::row([("items", v)])
    }

    fn put(h: &mut History, id: &str, v: &str, s: i64) {
        let p = h.invoke(
            Process::Client(0),
            OpKind::CartAdd,
            vec![Write::put(Key::new(Collection::Carts, id), cart(v))],
            at(s),
        );
        h.complete(p, at(s) + Duration::milliseconds(10), Outcome::Ok, None);
    }

    #[test]
    fn traffic_after_the_restore_point_is_wound_back_and_damage_is_kept() {
        let mut h = History::new();
        put(&mut h, "a", "1", 1);
        put(&mut h, "b", "1", 2);
        put(&mut h, "c", "1", 3);
        // The restore point is 10; the traffic goes on after it.
        put(&mut h, "a", "2", 20);
        put(&mut h, "d", "1", 21);
        let mut snap = StoreSnapshot::default();
        snap.read.insert(Collection::Carts);
        let key = |id: &str| Key::new(Collection::Carts, id);
        snap.records.insert(key("a"), cart("2"));
        snap.records.insert(key("d"), cart("1"));
        // b was deleted by someone else; c was overwritten by someone else.
        snap.records.insert(key("c"), cart("garbage"));
        let seen = as_of_restore_point(&snap, &h, at(10), at(31));
        assert_eq!(seen.records.get(&key("a")), Some(&cart("1")), "wound back");
        assert_eq!(
            seen.records.get(&key("d")),
            None,
            "created after the restore point"
        );
        assert_eq!(seen.records.get(&key("b")), None, "the damage stays");
        assert_eq!(
            seen.records.get(&key("c")),
            Some(&cart("garbage")),
            "the damage stays"
        );

        // A restore from before the restore point is judged as read.
        let mut old = snap.clone();
        old.records.insert(key("c"), cart("0"));
        put(&mut h, "c", "0", -5);
        let seen = as_of_restore_point(&old, &h, at(10), at(31));
        assert_eq!(
            seen.records.get(&key("c")),
            Some(&cart("0")),
            "stale, left for the checker"
        );
    }

    /// A cart acknowledged at `ack` (seconds from `at(0)`, fractional),
    /// invoked 20 ms before.
    fn put_acked_at(h: &mut History, id: &str, ack: f64) {
        let complete = at(0) + Duration::milliseconds((ack * 1000.0) as i64);
        let p = h.invoke(
            Process::Client(0),
            OpKind::CartAdd,
            vec![Write::put(Key::new(Collection::Carts, id), cart("1"))],
            complete - Duration::milliseconds(20),
        );
        h.complete(p, complete, Outcome::Ok, None);
    }

    /// The carts the checker finds lost when `snap` is judged at `restore_point`.
    fn lost_carts(history: &History, snap: &StoreSnapshot, restore_point: DateTime<Utc>) -> u64 {
        let result = crate::checker::check(crate::checker::CheckInput {
            history,
            fault_at: Some(restore_point),
            snapshot: snap,
            rto: None,
            targets: crate::checker::Targets::default(),
        });
        result
            .layers
            .iter()
            .find(|l| l.layer == crate::history::Layer::Dynamodb)
            .map_or(0, |l| l.lost_records)
    }

    #[test]
    fn a_write_acknowledged_within_250_ms_before_the_restore_point_may_be_missing() {
        // The restore point is 10 s. Cart a was acknowledged long before it,
        // b 80 ms before (the commit an RDS restore was seen to leave out:
        // the two clocks cannot tell which side it fell on), c 240 ms
        // before, and d 300 ms before, beyond the allowance.
        let mut h = History::new();
        put_acked_at(&mut h, "a", 1.0);
        put_acked_at(&mut h, "b", 9.92);
        put_acked_at(&mut h, "c", 9.76);
        put_acked_at(&mut h, "d", 9.7);
        let mut snap = StoreSnapshot::default();
        snap.read.insert(Collection::Carts);
        snap.records.insert(Key::new(Collection::Carts, "a"), cart("1"));
        let restore_point = at(10);

        // Judged as acknowledged, b, c and d are all lost.
        assert_eq!(lost_carts(&h, &snap, restore_point), 3);
        // With the allowance b and c are in flight at the restore point: their
        // absence is admissible, d's is not.
        let tolerant = with_clock_tolerance(&h, restore_point);
        assert_eq!(lost_carts(&tolerant, &snap, restore_point), 1);
        // Present, they are correct too: the allowance never turns a write
        // that did land into a finding.
        let mut all = snap.clone();
        for id in ["b", "c", "d"] {
            all.records.insert(Key::new(Collection::Carts, id), cart("1"));
        }
        assert_eq!(lost_carts(&tolerant, &all, restore_point), 0);
        // Writes acknowledged after the restore point are untouched.
        let mut later = History::new();
        put_acked_at(&mut later, "e", 10.1);
        let moved = with_clock_tolerance(&later, restore_point);
        assert_eq!(moved.ops()[0].complete, later.ops()[0].complete);
    }
}
