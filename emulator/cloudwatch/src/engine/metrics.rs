//! Metrics: the identity of a metric (namespace, name, dimensions), the
//! samples stored for it, and the statistics over a period (SampleCount,
//! Sum, Average, Minimum, Maximum) that GetMetricStatistics, GetMetricData
//! and alarm evaluation share. Pure: no clock, no locks.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// A metric's identity; dimensions are sorted by name, as CloudWatch
/// treats them as a set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricId {
    /// The namespace (`AWS/Backup`).
    pub namespace: String,
    /// The metric name.
    pub name: String,
    /// `(name, value)` pairs, sorted by name.
    pub dimensions: Vec<(String, String)>,
}

impl MetricId {
    /// A metric id with its dimensions put in order.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        mut dimensions: Vec<(String, String)>,
    ) -> Self {
        dimensions.sort();
        Self {
            namespace: namespace.into(),
            name: name.into(),
            dimensions,
        }
    }
}

/// A statistic set: what one or many samples add up to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatSet {
    /// How many values.
    pub count: f64,
    /// Their sum.
    pub sum: f64,
    /// The least.
    pub min: f64,
    /// The greatest.
    pub max: f64,
}

impl StatSet {
    /// One value, `count` times.
    pub fn value(v: f64, count: f64) -> Self {
        Self {
            count,
            sum: v * count,
            min: v,
            max: v,
        }
    }

    /// Both sets together.
    pub fn merge(self, other: Self) -> Self {
        Self {
            count: self.count + other.count,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    /// The value of `stat` over this set.
    pub fn get(&self, stat: Statistic) -> f64 {
        match stat {
            Statistic::SampleCount => self.count,
            Statistic::Sum => self.sum,
            Statistic::Minimum => self.min,
            Statistic::Maximum => self.max,
            Statistic::Average => {
                if self.count > 0.0 {
                    self.sum / self.count
                } else {
                    0.0
                }
            }
        }
    }
}

/// A statistic CloudWatch computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Statistic {
    /// `SampleCount`.
    SampleCount,
    /// `Average`.
    Average,
    /// `Sum`.
    Sum,
    /// `Minimum`.
    Minimum,
    /// `Maximum`.
    Maximum,
}

impl Statistic {
    /// Every statistic, in the model's order.
    pub const ALL: [Self; 5] = [
        Self::SampleCount,
        Self::Average,
        Self::Sum,
        Self::Minimum,
        Self::Maximum,
    ];

    /// The model's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SampleCount => "SampleCount",
            Self::Average => "Average",
            Self::Sum => "Sum",
            Self::Minimum => "Minimum",
            Self::Maximum => "Maximum",
        }
    }

    /// From the model's name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// One stored sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Its values.
    pub stats: StatSet,
    /// Its unit (`Count`), `None` when none was given.
    pub unit: Option<String>,
}

/// A metric's samples, by timestamp (milliseconds) and arrival order.
#[derive(Debug, Clone, Default)]
pub struct Series {
    samples: BTreeMap<(i64, u64), Sample>,
    next: u64,
}

impl Series {
    /// Adds a sample at `t`.
    pub fn add(&mut self, t: DateTime<Utc>, sample: Sample) {
        self.samples.insert((t.timestamp_millis(), self.next), sample);
        self.next = self.next.wrapping_add(1);
    }

    /// The newest sample's timestamp.
    pub fn newest(&self) -> Option<i64> {
        self.samples.keys().next_back().map(|(t, _)| *t)
    }

    /// What the samples in `[from, to)` with `unit` (any when `None`) add
    /// up to, with the unit of the first; `None` when there are none.
    pub fn aggregate(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        unit: Option<&str>,
    ) -> Option<(StatSet, Option<String>)> {
        let lo = (from.timestamp_millis(), 0);
        let hi = (to.timestamp_millis(), 0);
        if lo >= hi {
            return None;
        }
        let mut total: Option<(StatSet, Option<String>)> = None;
        for sample in self.samples.range(lo..hi).map(|(_, s)| s) {
            if unit.is_some_and(|u| sample.unit.as_deref().unwrap_or("None") != u) {
                continue;
            }
            total = Some(match total {
                None => (sample.stats, sample.unit.clone()),
                Some((acc, u)) => (acc.merge(sample.stats), u),
            });
        }
        total
    }

    /// The periods of `period` from `start` (inclusive) to `end` (exclusive)
    /// that hold samples, oldest first.
    pub fn buckets(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        period: Duration,
        unit: Option<&str>,
    ) -> Vec<(DateTime<Utc>, StatSet, Option<String>)> {
        let mut out = Vec::new();
        if period <= Duration::zero() {
            return out;
        }
        let mut from = start;
        while from < end {
            let Some(to) = from.checked_add_signed(period) else {
                break;
            };
            if let Some((stats, u)) = self.aggregate(from, to.min(end), unit) {
                out.push((from, stats, u));
            }
            from = to;
        }
        out
    }
}

/// `t` rounded down to a whole multiple of `step` seconds since the epoch.
pub fn floor_to(t: DateTime<Utc>, step: i64) -> DateTime<Utc> {
    if step <= 0 {
        return t;
    }
    let secs = t.timestamp().div_euclid(step).saturating_mul(step);
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("an instant")
    }

    #[test]
    fn statistics_over_a_period_add_up_every_sample_in_it() {
        let mut series = Series::default();
        for (t, v) in [
            ("2026-01-01T00:00:10Z", 2.0),
            ("2026-01-01T00:00:50Z", 6.0),
            ("2026-01-01T00:01:00Z", 100.0),
        ] {
            series.add(
                at(t),
                Sample {
                    stats: StatSet::value(v, 1.0),
                    unit: Some("Count".into()),
                },
            );
        }
        let (stats, unit) = series
            .aggregate(at("2026-01-01T00:00:00Z"), at("2026-01-01T00:01:00Z"), None)
            .expect("samples in the minute");
        assert_eq!(unit.as_deref(), Some("Count"));
        assert_eq!(stats.get(Statistic::Sum), 8.0);
        assert_eq!(stats.get(Statistic::Average), 4.0);
        assert_eq!(stats.get(Statistic::SampleCount), 2.0);
        assert_eq!(stats.get(Statistic::Minimum), 2.0);
        assert_eq!(stats.get(Statistic::Maximum), 6.0);
        let buckets = series.buckets(
            at("2026-01-01T00:00:00Z"),
            at("2026-01-01T00:03:00Z"),
            Duration::seconds(60),
            None,
        );
        assert_eq!(buckets.len(), 2, "the empty third minute has no datapoint");
        assert_eq!(buckets[1].1.get(Statistic::Sum), 100.0);
        assert!(
            series
                .aggregate(
                    at("2026-01-01T00:00:00Z"),
                    at("2026-01-01T00:01:00Z"),
                    Some("Seconds")
                )
                .is_none()
        );
    }

    #[test]
    fn dimensions_are_a_set() {
        let a = MetricId::new("N", "M", vec![("b".into(), "2".into()), ("a".into(), "1".into())]);
        let b = MetricId::new("N", "M", vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(a, b);
        assert_eq!(
            floor_to(at("2026-01-01T00:07:13Z"), 300),
            at("2026-01-01T00:05:00Z")
        );
    }
}
