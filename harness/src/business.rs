//! Business impact: what a drill's data loss and downtime cost, in the
//! shop's own numbers.
//!
//! A scenario may say what an hour of trading is worth:
//!
//! ```toml
//! [business]
//! revenue_per_hour = 570.0     # in `currency`, what the shop takes in an hour
//! average_order_value = 38.0   # optional: turns the downtime into orders not taken
//! currency = "USD"             # optional (USD)
//! ```
//!
//! The report then adds, from the drill's own history and the store read
//! back after recovery (never from a guess):
//!
//! - the orders acknowledged before the fault that are not back as they
//!   were, and their totals (the revenue lost in the RPO window);
//! - the carts and sessions not back, and the distinct customers they
//!   belonged to (the active customers whose basket or login is gone);
//! - the revenue at risk while the shop is down: `revenue_per_hour` times
//!   the RTO, at the low end, the measured value and the high end of the
//!   restore-time model's band ([`crate::restore_time`]); with an average
//!   order value, the orders not taken in that time.
//!
//! A record counts as not back when it held a value at the fault and the
//! store holds nothing the history admits for it (the checker's reading:
//! the last acknowledged value, or one an indeterminate write may have
//! left). Collections that could not be read are left out and named.

use crate::checker::CheckResult;
use crate::history::{Collection, History, State, Value};
use crate::model::StoreSnapshot;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A scenario's `[business]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessSection {
    /// What the shop takes in an hour of trading.
    pub revenue_per_hour: f64,
    /// The average order's value, to count the orders not taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_order_value: Option<f64>,
    /// The currency of both (ISO 4217 code).
    #[serde(default = "default_currency")]
    pub currency: String,
}

fn default_currency() -> String {
    "USD".to_owned()
}

impl BusinessSection {
    /// Semantic checks; the error is `(field, message)`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !self.revenue_per_hour.is_finite() || self.revenue_per_hour < 0.0 {
            return Err(("business.revenue_per_hour".into(), "must be a number >= 0".into()));
        }
        if let Some(v) = self.average_order_value
            && (!v.is_finite() || v <= 0.0)
        {
            return Err((
                "business.average_order_value".into(),
                "must be a number > 0".into(),
            ));
        }
        let code = self.currency.len() == 3 && self.currency.chars().all(|c| c.is_ascii_uppercase());
        if !code {
            return Err((
                "business.currency".into(),
                "must be an ISO 4217 code such as USD".into(),
            ));
        }
        Ok(())
    }
}

/// Low, measured and high values of one figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// At the low end of the RTO band.
    pub low: f64,
    /// At the measured RTO.
    pub measured: f64,
    /// At the high end of the RTO band.
    pub high: f64,
}

/// What the drill's loss and downtime cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessImpact {
    /// The currency of every amount.
    pub currency: String,
    /// Orders acknowledged before the fault that are not back as they were.
    pub orders_lost: u64,
    /// Their totals, in the currency.
    pub revenue_lost: f64,
    /// Carts not back.
    pub carts_lost: u64,
    /// Sessions not back.
    pub sessions_lost: u64,
    /// Distinct customers whose cart or session is not back.
    pub customers_affected: u64,
    /// `revenue_per_hour` times the RTO (absent when the RTO was not measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_at_risk: Option<Range>,
    /// Orders not taken in the RTO (with an average order value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_not_taken: Option<Range>,
    /// Collections left out because they could not be read back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

/// The records of `collection` that held a value at the fault (by the
/// checker's own reading of the history, [`History::state_at`]) and are not
/// back: the store holds nothing the history admits. Each with the value it
/// should have had.
fn not_back(state: &State, snapshot: &StoreSnapshot, collection: Collection) -> Vec<Value> {
    state
        .iter()
        .filter(|(key, _)| key.collection == collection)
        .filter_map(|(key, expected)| {
            let should = expected.definite.clone()?;
            (!expected.admits(&snapshot.records.get(key).cloned())).then_some(should)
        })
        .collect()
}

/// The impact of one drill: `history` up to `fault_at`, the store read back,
/// and the check's RTO and band.
pub fn impact(
    section: &BusinessSection,
    history: &History,
    fault_at: DateTime<Utc>,
    snapshot: &StoreSnapshot,
    check: &CheckResult,
) -> BusinessImpact {
    let state = history.state_at(fault_at);
    let mut unread = Vec::new();
    let mut lost = |c: Collection| {
        if snapshot.read.contains(&c) && !snapshot.unreadable.contains_key(&c) {
            not_back(&state, snapshot, c)
        } else {
            unread.push(c.to_string());
            Vec::new()
        }
    };
    let orders = lost(Collection::Orders);
    let mut carts = lost(Collection::Carts);
    let mut sessions = lost(Collection::Sessions);
    // Sessions and carts the shop keeps in ElastiCache count the same.
    let kept = |c: Collection| snapshot.read.contains(&c) || snapshot.unreadable.contains_key(&c);
    if kept(Collection::CacheCarts) {
        carts.extend(lost(Collection::CacheCarts));
    }
    if kept(Collection::CacheSessions) {
        sessions.extend(lost(Collection::CacheSessions));
    }
    let revenue_lost_cents: i64 = orders
        .iter()
        .filter_map(|v| v.field("total_cents")?.parse::<i64>().ok())
        .sum();
    let customers: BTreeSet<&str> = carts
        .iter()
        .chain(&sessions)
        .filter_map(|v| v.field("customer_id"))
        .collect();
    let hours = check.rto.map(|r| {
        let band = check.rto_band.as_ref();
        Range {
            low: band.map_or(r.simulated_seconds, |b| b.low_seconds) / 3600.0,
            measured: r.simulated_seconds / 3600.0,
            high: band.map_or(r.simulated_seconds, |b| b.high_seconds) / 3600.0,
        }
    });
    let scale = |h: &Range, per_hour: f64| Range {
        low: h.low * per_hour,
        measured: h.measured * per_hour,
        high: h.high * per_hour,
    };
    BusinessImpact {
        currency: section.currency.clone(),
        orders_lost: orders.len() as u64,
        revenue_lost: revenue_lost_cents as f64 / 100.0,
        carts_lost: carts.len() as u64,
        sessions_lost: sessions.len() as u64,
        customers_affected: customers.len() as u64,
        revenue_at_risk: hours.as_ref().map(|h| scale(h, section.revenue_per_hour)),
        orders_not_taken: hours
            .as_ref()
            .zip(section.average_order_value)
            .map(|(h, aov)| scale(h, section.revenue_per_hour / aov)),
        unread,
    }
}

/// Formats an amount as `1,234.56 USD`.
pub fn money(amount: f64, currency: &str) -> String {
    let cents = (amount * 100.0).round() as i64;
    let (whole, frac) = (cents.abs() / 100, cents.abs() % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac:02} {currency}")
}

impl BusinessImpact {
    /// The report's lines, without indentation.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "Lost in the RPO window: {} order{} worth {}; {} cart{} and {} session{} of {} customer{}",
            self.orders_lost,
            plural(self.orders_lost),
            money(self.revenue_lost, &self.currency),
            self.carts_lost,
            plural(self.carts_lost),
            self.sessions_lost,
            plural(self.sessions_lost),
            self.customers_affected,
            plural(self.customers_affected),
        )];
        if let Some(r) = &self.revenue_at_risk {
            let mut line = format!(
                "Revenue at risk while down: {} (band {} to {})",
                money(r.measured, &self.currency),
                money(r.low, &self.currency),
                money(r.high, &self.currency)
            );
            if let Some(o) = &self.orders_not_taken {
                line.push_str(&format!(
                    "; about {:.0} orders not taken ({:.0} to {:.0})",
                    o.measured, o.low, o.high
                ));
            }
            out.push(line);
        }
        if !self.unread.is_empty() {
            out.push(format!(
                "Not counted (could not be read back): {}",
                self.unread.join(", ")
            ));
        }
        out
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{RecoveryTime, Targets};
    use crate::history::{Key, OpKind, Outcome, Process, Write};
    use crate::restore_time::RtoBand;

    fn at(s: &str) -> DateTime<Utc> {
        format!("2026-03-16T{s}Z").parse().unwrap()
    }

    fn row(pairs: &[(&str, &str)]) -> Value {
        Value::row(pairs.iter().map(|(k, v)| (*k, *v)))
    }

    fn order(id: &str, customer: &str, cents: i64) -> Write {
        Write::put(
            Key::new(Collection::Orders, id),
            row(&[("customer_id", customer), ("total_cents", &cents.to_string())]),
        )
    }

    fn cart(id: &str, customer: &str) -> Write {
        Write::put(Key::new(Collection::Carts, id), row(&[("customer_id", customer)]))
    }

    fn op(h: &mut History, p: Process, writes: Vec<Write>, from: &str, to: &str, outcome: Outcome) {
        let pending = h.invoke(p, OpKind::PlaceOrder, writes, at(from));
        h.complete(pending, at(to), outcome, None);
    }

    fn section() -> BusinessSection {
        BusinessSection {
            revenue_per_hour: 570.0,
            average_order_value: Some(38.0),
            currency: "USD".into(),
        }
    }

    fn read_all() -> StoreSnapshot {
        let mut snap = StoreSnapshot::default();
        snap.read
            .extend([Collection::Orders, Collection::Carts, Collection::Sessions]);
        snap
    }

    #[test]
    fn counts_what_the_history_says_is_not_back_and_prices_the_downtime() {
        let mut h = History::new();
        let c = Process::Client(0);
        op(
            &mut h,
            c,
            vec![order("o1", "c1", 4_250)],
            "15:00:00",
            "15:00:01",
            Outcome::Ok,
        );
        op(
            &mut h,
            c,
            vec![order("o2", "c2", 1_999)],
            "15:10:00",
            "15:10:01",
            Outcome::Ok,
        );
        op(
            &mut h,
            c,
            vec![order("o3", "c3", 10_000)],
            "15:20:00",
            "15:20:01",
            Outcome::Ok,
        );
        // Refused and after-the-fault writes count for nothing.
        op(
            &mut h,
            c,
            vec![order("o4", "c4", 500)],
            "15:30:00",
            "15:30:01",
            Outcome::Fail,
        );
        op(
            &mut h,
            c,
            vec![order("o5", "c5", 500)],
            "15:50:00",
            "15:50:01",
            Outcome::Ok,
        );
        op(
            &mut h,
            c,
            vec![cart("k1", "c1"), cart("k2", "c2")],
            "15:40:00",
            "15:40:01",
            Outcome::Ok,
        );
        // The nemesis deletes a cart after the fault instant.
        let gone = vec![Write::delete(Key::new(Collection::Carts, "k1"))];
        op(
            &mut h,
            Process::Nemesis,
            gone,
            "15:47:00",
            "15:47:00",
            Outcome::Ok,
        );

        let mut snap = read_all();
        let o1 = row(&[("customer_id", "c1"), ("total_cents", "4250")]);
        snap.records.insert(Key::new(Collection::Orders, "o1"), o1);
        // o2 is gone, o3 came back corrupted, k1 is gone.
        let o3 = row(&[("customer_id", "c3"), ("total_cents", "0")]);
        snap.records.insert(Key::new(Collection::Orders, "o3"), o3);
        snap.records
            .insert(Key::new(Collection::Carts, "k2"), row(&[("customer_id", "c2")]));

        let rto = RecoveryTime {
            simulated_seconds: 1800.0,
            wall_seconds: 2.0,
        };
        let mut check = CheckResult::unknown("test", Targets::default(), Some(rto));
        check.rto_band = Some(RtoBand {
            model: "aws-defaults".into(),
            low_seconds: 900.0,
            high_seconds: 3600.0,
            operations: vec![],
        });
        let i = impact(&section(), &h, at("15:46:59"), &snap, &check);
        assert_eq!(i.orders_lost, 2);
        assert_eq!(i.revenue_lost, 119.99);
        assert_eq!((i.carts_lost, i.sessions_lost, i.customers_affected), (1, 0, 1));
        let risk = Range {
            low: 142.5,
            measured: 285.0,
            high: 570.0,
        };
        assert_eq!(i.revenue_at_risk, Some(risk));
        let o = i.orders_not_taken.unwrap();
        assert!((o.measured - 7.5).abs() < 1e-9, "{o:?}");
        let text = i.lines().join("\n");
        assert!(text.contains("2 orders worth 119.99 USD"), "{text}");
        assert!(
            text.contains("Revenue at risk while down: 285.00 USD (band 142.50 USD to 570.00 USD)"),
            "{text}"
        );
    }

    #[test]
    fn unread_collections_are_named_not_counted() {
        let mut h = History::new();
        op(
            &mut h,
            Process::Client(0),
            vec![order("o1", "c1", 100)],
            "15:00:00",
            "15:00:01",
            Outcome::Ok,
        );
        let check = CheckResult::unknown("test", Targets::default(), None);
        let i = impact(&section(), &h, at("15:46:59"), &StoreSnapshot::default(), &check);
        assert_eq!(i.orders_lost, 0);
        assert_eq!(i.unread, vec!["orders", "carts", "sessions"]);
        assert!(i.revenue_at_risk.is_none());
    }

    #[test]
    fn money_groups_thousands_and_bad_sections_are_refused() {
        assert_eq!(money(47_000.0, "USD"), "47,000.00 USD");
        assert_eq!(money(1_234_567.891, "EUR"), "1,234,567.89 EUR");
        assert_eq!(money(0.5, "USD"), "0.50 USD");
        let mut s = section();
        s.revenue_per_hour = -1.0;
        assert!(s.validate().is_err());
        let mut s = section();
        s.currency = "dollars".into();
        assert!(s.validate().is_err());
        assert!(section().validate().is_ok());
    }
}
