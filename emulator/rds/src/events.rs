//! RDS events: what the engine did to instances, snapshots and clusters
//! (creation, backup, restoration, availability, deletion, failure), kept
//! per region for 14 days as RDS keeps them, and answered by DescribeEvents.
//! The engine records an event where the state change happens; the messages
//! are those of RDS's event catalogue (RDS-EVENT-0001 "Backing up DB
//! instance", RDS-EVENT-0005 "DB instance created", …).

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use std::collections::HashMap;

/// The source types DescribeEvents accepts (the botocore enum).
pub const SOURCE_TYPES: &[&str] = &[
    "db-instance",
    "db-parameter-group",
    "db-security-group",
    "db-snapshot",
    "db-cluster",
    "db-cluster-snapshot",
    "custom-engine-version",
    "db-proxy",
    "blue-green-deployment",
    "db-shard-group",
    "zero-etl",
];

/// How long RDS keeps events.
pub const RETENTION_DAYS: i64 = 14;

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub source_id: String,
    pub source_type: &'static str,
    pub source_arn: String,
    pub message: String,
    pub categories: Vec<&'static str>,
    pub date: DateTime<Utc>,
}

/// The source type of a DB instance's events.
pub const DB_INSTANCE: &str = "db-instance";
/// The source type of a DB snapshot's events.
pub const DB_SNAPSHOT: &str = "db-snapshot";
/// The source type of a DB cluster's events.
pub const DB_CLUSTER: &str = "db-cluster";

impl Event {
    /// An event of the `source_type` resource `id` (ARN `arn`).
    pub fn of(
        source_type: &'static str,
        id: &str,
        arn: &str,
        category: &'static str,
        message: impl Into<String>,
        date: DateTime<Utc>,
    ) -> Self {
        Self {
            source_id: id.to_owned(),
            source_type,
            source_arn: arn.to_owned(),
            message: message.into(),
            categories: vec![category],
            date,
        }
    }
}

/// Which events DescribeEvents asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub source_id: Option<String>,
    pub source_type: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
}

/// Every region's events, oldest first.
#[derive(Debug, Default)]
pub struct Log {
    regions: Mutex<HashMap<String, Vec<Event>>>,
}

impl Log {
    /// Records events of `region`.
    pub fn record(&self, region: &str, events: impl IntoIterator<Item = Event>) {
        let mut regions = self.regions.lock();
        let list = regions.entry(region.to_owned()).or_default();
        list.extend(events);
        list.sort_by_key(|e| e.date);
    }

    /// The events of `region` that `q` selects.
    pub fn query(&self, region: &str, q: &Query) -> Vec<Event> {
        let regions = self.regions.lock();
        regions
            .get(region)
            .map(|list| {
                list.iter()
                    .filter(|e| q.source_type.as_deref().is_none_or(|t| e.source_type == t))
                    .filter(|e| {
                        q.source_id
                            .as_deref()
                            .is_none_or(|s| e.source_id.eq_ignore_ascii_case(s) || e.source_arn == s)
                    })
                    .filter(|e| q.start.is_none_or(|t| e.date >= t))
                    .filter(|e| q.end.is_none_or(|t| e.date <= t))
                    .filter(|e| {
                        q.categories.is_empty()
                            || e.categories.iter().any(|c| q.categories.iter().any(|x| x == c))
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets events older than the retention.
    pub fn prune(&self, now: DateTime<Utc>) {
        let horizon = now - Duration::days(RETENTION_DAYS);
        for list in self.regions.lock().values_mut() {
            list.retain(|e| e.date >= horizon);
        }
    }

    /// Forgets everything (the admin reset).
    pub fn reset(&self) {
        self.regions.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_select_and_prune_forgets() {
        let log = Log::default();
        let t0 = DateTime::parse_from_rfc3339("2026-03-14T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        log.record(
            "us-east-1",
            [
                Event::of(DB_INSTANCE, "a", "arn:a", "creation", "DB instance created", t0),
                Event::of(
                    DB_SNAPSHOT,
                    "s",
                    "arn:s",
                    "creation",
                    "Manual snapshot created",
                    t0 + Duration::minutes(5),
                ),
                Event::of(
                    DB_INSTANCE,
                    "a",
                    "arn:a",
                    "backup",
                    "Backing up DB instance",
                    t0 + Duration::minutes(1),
                ),
            ],
        );
        let all = log.query("us-east-1", &Query::default());
        assert_eq!(all.len(), 3);
        assert!(all.windows(2).all(|w| w[0].date <= w[1].date));
        let q = Query {
            source_type: Some("db-instance".into()),
            source_id: Some("A".into()),
            categories: vec!["backup".into()],
            ..Query::default()
        };
        assert_eq!(log.query("us-east-1", &q)[0].message, "Backing up DB instance");
        assert!(log.query("eu-west-1", &Query::default()).is_empty());
        log.prune(t0 + Duration::days(RETENTION_DAYS) + Duration::minutes(2));
        assert_eq!(log.query("us-east-1", &Query::default()).len(), 1);
    }
}
