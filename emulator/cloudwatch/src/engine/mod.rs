//! The CloudWatch engine: per-region metrics and alarms and the operations
//! on them, with no HTTP. [`metrics`] holds the samples and statistics,
//! [`alarms`] the evaluation rule and the shapes a transition writes.
//!
//! Time is the emulator clock's. Each tick first pulls the samples the
//! registered [`MetricSource`]s publish (AWS's own metrics, such as
//! `AWS/Backup`), then evaluates every alarm at each whole minute since its
//! last evaluation (at most two weeks back), so that after a jump of the
//! simulated clock an alarm goes to ALARM at the minute it would have on
//! AWS, and its history and message say so. Actions run after the state
//! lock is released, through the [`AlarmNotifier`] (SNS); each writes an
//! `Action` history item.

pub mod alarms;
pub mod metrics;

use crate::errors::{CloudWatchError, CwResult};
use alarms::{Alarm, AlarmConfig, AlarmState, HistoryItem, Verdict};
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::Environment;
use metrics::{MetricId, Sample, Series, Statistic};
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One sample a [`MetricSource`] publishes or PutMetricData stores.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    /// The region it belongs to.
    pub region: String,
    /// The metric.
    pub metric: MetricId,
    /// When.
    pub timestamp: DateTime<Utc>,
    /// The sample.
    pub sample: Sample,
}

/// Where AWS's own metrics come from: the assembly registers one per
/// service whose metrics CloudWatch shows (the AWS Backup adapter), so that
/// this crate knows no other engine.
pub trait MetricSource: Send + Sync + std::fmt::Debug {
    /// The samples published since the last call, stamped with the instant
    /// each event happened.
    fn collect(&self, now: DateTime<Utc>) -> Vec<Datum>;
}

/// Where alarm actions go: the assembly implements it over SNS.
pub trait AlarmNotifier: Send + Sync + std::fmt::Debug {
    /// Publishes `message` with `subject` to the topic `topic_arn`; the
    /// message id, or why it could not be published.
    fn publish(&self, topic_arn: &str, subject: &str, message: &str) -> Result<String, String>;
}

/// One region's CloudWatch state.
#[derive(Debug, Default)]
pub struct RegionState {
    /// Samples by metric.
    pub metrics: BTreeMap<MetricId, Series>,
    /// Alarms by name.
    pub alarms: BTreeMap<String, Alarm>,
    /// Alarm history, oldest first (kept after an alarm is deleted, as AWS
    /// keeps it).
    pub history: Vec<HistoryItem>,
}

/// A filter of ListMetrics.
#[derive(Debug, Clone, Default)]
pub struct MetricFilter {
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricName`.
    pub name: Option<String>,
    /// `Dimensions`: a name, and a value when given.
    pub dimensions: Vec<(String, Option<String>)>,
    /// `RecentlyActive=PT3H`: only metrics with a sample in the last three
    /// hours.
    pub recently_active: bool,
}

/// A filter of DescribeAlarms.
#[derive(Debug, Clone, Default)]
pub struct AlarmFilter {
    /// `AlarmNames`.
    pub names: Vec<String>,
    /// `AlarmNamePrefix`.
    pub prefix: Option<String>,
    /// `StateValue`.
    pub state: Option<AlarmState>,
    /// `ActionPrefix`.
    pub action_prefix: Option<String>,
}

/// An action to run once the lock is released.
#[derive(Debug)]
struct Pending {
    region: String,
    alarm: String,
    topic: String,
    subject: String,
    message: String,
    at: DateTime<Utc>,
}

/// The engine.
#[derive(Debug)]
pub struct Engine {
    env: Environment,
    state: Mutex<BTreeMap<String, RegionState>>,
    sources: RwLock<Vec<Arc<dyn MetricSource>>>,
    notifier: RwLock<Option<Arc<dyn AlarmNotifier>>>,
}

impl Engine {
    /// An empty engine.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self {
            env: env.clone(),
            state: Mutex::new(BTreeMap::new()),
            sources: RwLock::new(Vec::new()),
            notifier: RwLock::new(None),
        })
    }

    /// The emulator clock's instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.env.now()
    }

    /// Registers a source of AWS's own metrics.
    pub fn add_source(&self, source: Arc<dyn MetricSource>) {
        self.sources.write().push(source);
    }

    /// Sets where alarm actions publish.
    pub fn set_notifier(&self, notifier: Arc<dyn AlarmNotifier>) {
        *self.notifier.write() = Some(notifier);
    }

    /// Stores samples (PutMetricData, or a source's).
    pub fn put(&self, data: Vec<Datum>) {
        let mut st = self.state.lock();
        for d in data {
            st.entry(d.region)
                .or_default()
                .metrics
                .entry(d.metric)
                .or_default()
                .add(d.timestamp, d.sample);
        }
    }

    /// ListMetrics: the metrics with samples, in order.
    pub fn list_metrics(&self, region: &str, f: &MetricFilter) -> Vec<MetricId> {
        let now = self.now();
        let recent = now
            .checked_sub_signed(Duration::hours(3))
            .unwrap_or(now)
            .timestamp_millis();
        let st = self.state.lock();
        let Some(rs) = st.get(region) else {
            return Vec::new();
        };
        rs.metrics
            .iter()
            .filter(|(id, _)| f.namespace.as_deref().is_none_or(|n| n == id.namespace))
            .filter(|(id, _)| f.name.as_deref().is_none_or(|n| n == id.name))
            .filter(|(id, _)| {
                f.dimensions.iter().all(|(name, value)| {
                    id.dimensions
                        .iter()
                        .any(|(n, v)| n == name && value.as_deref().is_none_or(|want| want == v))
                })
            })
            .filter(|(_, series)| !f.recently_active || series.newest().is_some_and(|t| t >= recent))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The periods of one metric from `start` to `end` that hold samples:
    /// start, statistic set and unit, oldest first.
    pub fn statistics(
        &self,
        region: &str,
        metric: &MetricId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        period: Duration,
        unit: Option<&str>,
    ) -> Vec<(DateTime<Utc>, metrics::StatSet, Option<String>)> {
        let st = self.state.lock();
        st.get(region)
            .and_then(|rs| rs.metrics.get(metric))
            .map(|s| s.buckets(start, end, period, unit))
            .unwrap_or_default()
    }

    /// PutMetricAlarm: creates the alarm (INSUFFICIENT_DATA) or replaces
    /// its configuration, keeping its state.
    pub fn put_alarm(&self, region: &str, config: AlarmConfig) {
        let now = self.now();
        let arn = format!(
            "arn:aws:cloudwatch:{region}:{}:alarm:{}",
            self.env.account_id(),
            config.name
        );
        let mut st = self.state.lock();
        let rs = st.entry(region.to_owned()).or_default();
        let name = config.name.clone();
        let created = !rs.alarms.contains_key(&name);
        let summary = if created {
            format!("Alarm \"{name}\" created")
        } else {
            format!("Alarm \"{name}\" updated")
        };
        let data = serde_json::json!({
            "version": "1.0",
            "type": if created { "Create" } else { "Update" },
            "createdAlarm": {"alarmName": name, "metricName": config.metric.name, "namespace": config.metric.namespace},
        })
        .to_string();
        match rs.alarms.get_mut(&name) {
            Some(alarm) => {
                alarm.config = config;
                alarm.configuration_updated = now;
            }
            None => {
                rs.alarms.insert(
                    name.clone(),
                    Alarm {
                        config,
                        arn,
                        configuration_updated: now,
                        state: AlarmState::InsufficientData,
                        state_reason: "Unchecked: Initial alarm creation".into(),
                        state_reason_data: None,
                        state_updated: now,
                        state_transitioned: now,
                        evaluated_until: now,
                    },
                );
            }
        }
        rs.history.push(HistoryItem {
            alarm_name: name,
            timestamp: now,
            item_type: "ConfigurationUpdate",
            summary,
            data,
        });
    }

    /// DescribeAlarms: the alarms that pass `f`, in name order.
    pub fn describe_alarms(&self, region: &str, f: &AlarmFilter) -> Vec<Alarm> {
        let st = self.state.lock();
        let Some(rs) = st.get(region) else {
            return Vec::new();
        };
        rs.alarms
            .values()
            .filter(|a| f.names.is_empty() || f.names.contains(&a.config.name))
            .filter(|a| f.prefix.as_deref().is_none_or(|p| a.config.name.starts_with(p)))
            .filter(|a| f.state.is_none_or(|s| s == a.state))
            .filter(|a| {
                f.action_prefix.as_deref().is_none_or(|p| {
                    [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData]
                        .iter()
                        .any(|s| a.config.actions_for(*s).iter().any(|arn| arn.starts_with(p)))
                })
            })
            .cloned()
            .collect()
    }

    /// DeleteAlarms: every named alarm must exist, or nothing is deleted
    /// (`ResourceNotFound` naming the first unknown one).
    pub fn delete_alarms(&self, region: &str, names: &[String]) -> CwResult<()> {
        let mut st = self.state.lock();
        let rs = st.entry(region.to_owned()).or_default();
        if let Some(missing) = names.iter().find(|n| !rs.alarms.contains_key(*n)) {
            return Err(CloudWatchError::ResourceNotFound(format!(
                "The following alarms were not found: [{missing}]"
            )));
        }
        let now = self.now();
        for name in names {
            if rs.alarms.remove(name).is_some() {
                rs.history.push(HistoryItem {
                    alarm_name: name.clone(),
                    timestamp: now,
                    item_type: "ConfigurationUpdate",
                    summary: format!("Alarm \"{name}\" deleted"),
                    data: serde_json::json!({"version": "1.0", "type": "Delete", "deletedAlarm": {"alarmName": name}})
                        .to_string(),
                });
            }
        }
        Ok(())
    }

    /// DescribeAlarmHistory: the items of `name` (or every alarm), of
    /// `item_type` when given, within `[start, end]`, newest first unless
    /// `oldest_first`.
    pub fn history(
        &self,
        region: &str,
        name: Option<&str>,
        item_type: Option<&str>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        oldest_first: bool,
    ) -> Vec<HistoryItem> {
        let st = self.state.lock();
        let Some(rs) = st.get(region) else {
            return Vec::new();
        };
        let mut items: Vec<HistoryItem> = rs
            .history
            .iter()
            .filter(|h| name.is_none_or(|n| n == h.alarm_name))
            .filter(|h| item_type.is_none_or(|t| t == h.item_type))
            .filter(|h| start.is_none_or(|s| h.timestamp >= s) && end.is_none_or(|e| h.timestamp <= e))
            .cloned()
            .collect();
        // A stable sort keeps a transition before the actions it ran.
        items.sort_by_key(|h| h.timestamp);
        if !oldest_first {
            items.reverse();
        }
        items
    }

    /// SetAlarmState: the alarm takes `state` now, with its actions, until
    /// its next evaluation says otherwise.
    pub fn set_alarm_state(
        &self,
        region: &str,
        name: &str,
        state: AlarmState,
        reason: String,
        reason_data: Option<String>,
    ) -> CwResult<()> {
        let now = self.now();
        let pending = {
            let mut st = self.state.lock();
            let rs = st.entry(region.to_owned()).or_default();
            if !rs.alarms.contains_key(name) {
                return Err(CloudWatchError::ResourceNotFound(format!(
                    "Alarm {name} not found"
                )));
            }
            let verdict = Verdict {
                state,
                reason,
                reason_data: reason_data.unwrap_or_default(),
            };
            let mut pending = Vec::new();
            transition(
                self.env.account_id(),
                region,
                rs,
                name,
                &verdict,
                now,
                &mut pending,
            );
            pending
        };
        self.run_actions(pending);
        Ok(())
    }

    /// The tick: pulls the sources' samples, then evaluates every alarm up
    /// to `now` and runs the actions of its transitions.
    pub fn tick(&self, now: DateTime<Utc>) {
        let sources: Vec<_> = self.sources.read().clone();
        for source in sources {
            let data = source.collect(now);
            if !data.is_empty() {
                self.put(data);
            }
        }
        let pending = {
            let mut st = self.state.lock();
            let mut pending = Vec::new();
            for (region, rs) in st.iter_mut() {
                let names: Vec<String> = rs.alarms.keys().cloned().collect();
                for name in names {
                    evaluate_alarm(self.env.account_id(), region, rs, &name, now, &mut pending);
                }
            }
            pending
        };
        self.run_actions(pending);
    }

    fn run_actions(&self, pending: Vec<Pending>) {
        if pending.is_empty() {
            return;
        }
        let notifier = self.notifier.read().clone();
        let mut items = Vec::new();
        for p in pending {
            let outcome = if !p.topic.starts_with("arn:aws:sns:") {
                Err("firedrill runs SNS actions only".to_owned())
            } else if let Some(n) = &notifier {
                n.publish(&p.topic, &p.subject, &p.message)
            } else {
                Err("no SNS service is assembled".to_owned())
            };
            let (summary, data) = match outcome {
                Ok(id) => (
                    format!("Successfully executed action {}", p.topic),
                    serde_json::json!({"actionState": "Succeeded", "notificationResource": p.topic, "stateUpdateTimestamp": p.at.timestamp_millis(), "publishedMessage": {"messageId": id}}),
                ),
                Err(why) => {
                    tracing::warn!(alarm = p.alarm, topic = p.topic, %why, "alarm action failed");
                    (
                        format!("Failed to execute action {}. Received error: \"{why}\"", p.topic),
                        serde_json::json!({"actionState": "Failed", "notificationResource": p.topic, "stateUpdateTimestamp": p.at.timestamp_millis(), "error": why}),
                    )
                }
            };
            items.push((
                p.region,
                HistoryItem {
                    alarm_name: p.alarm,
                    timestamp: p.at,
                    item_type: "Action",
                    summary,
                    data: data.to_string(),
                },
            ));
        }
        let mut st = self.state.lock();
        for (region, item) in items {
            st.entry(region).or_default().history.push(item);
        }
    }

    /// Forgets everything.
    pub fn reset(&self) {
        self.state.lock().clear();
    }
}

/// Evaluates one alarm at each minute since its last evaluation.
fn evaluate_alarm(
    account: &str,
    region: &str,
    rs: &mut RegionState,
    name: &str,
    now: DateTime<Utc>,
    pending: &mut Vec<Pending>,
) {
    let Some(alarm) = rs.alarms.get(name) else { return };
    let instants = alarms::evaluation_instants(alarm.evaluated_until, now);
    let config = alarm.config.clone();
    let period = Duration::seconds(config.period);
    for at in instants {
        let series = rs.metrics.get(&config.metric);
        let mut points = Vec::with_capacity(config.evaluation_periods as usize);
        let mut end = at;
        for _ in 0..config.evaluation_periods {
            let Some(start) = end.checked_sub_signed(period) else {
                break;
            };
            let value = series
                .and_then(|s| s.aggregate(start, end, config.unit.as_deref()))
                .map(|(stats, _)| stats.get(config.statistic));
            points.push((start, value));
            end = start;
        }
        if let Some(verdict) = alarms::evaluate(&config, &points, at) {
            transition(account, region, rs, name, &verdict, at, pending);
        }
        if let Some(alarm) = rs.alarms.get_mut(name) {
            alarm.evaluated_until = at;
        }
    }
}

/// Moves an alarm to the verdict's state at `at` if it is another state:
/// history, timestamps and the actions to run.
fn transition(
    account: &str,
    region: &str,
    rs: &mut RegionState,
    name: &str,
    verdict: &Verdict,
    at: DateTime<Utc>,
    pending: &mut Vec<Pending>,
) {
    let Some(alarm) = rs.alarms.get_mut(name) else {
        return;
    };
    if alarm.state == verdict.state {
        return;
    }
    let old = alarm.state;
    let old_reason = std::mem::replace(&mut alarm.state_reason, verdict.reason.clone());
    alarm.state = verdict.state;
    alarm.state_reason_data = (!verdict.reason_data.is_empty()).then(|| verdict.reason_data.clone());
    alarm.state_updated = at;
    alarm.state_transitioned = at;
    let item = alarms::state_update(alarm, old, &old_reason, verdict, at);
    if alarm.config.actions_enabled {
        let (subject, message) = alarms::notification(alarm, account, region, old, at);
        for topic in alarm.config.actions_for(verdict.state) {
            pending.push(Pending {
                region: region.to_owned(),
                alarm: name.to_owned(),
                topic: topic.clone(),
                subject: subject.clone(),
                message: message.clone(),
                at,
            });
        }
    }
    rs.history.push(item);
}

/// Every statistic's value over a set, for GetMetricStatistics.
pub fn all_statistics(stats: &metrics::StatSet, wanted: &[Statistic]) -> Vec<(Statistic, f64)> {
    wanted.iter().map(|s| (*s, stats.get(*s))).collect()
}
