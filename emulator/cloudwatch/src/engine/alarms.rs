//! Metric alarms: their configuration and state, and the evaluation rule
//! (pure): the last `EvaluationPeriods` periods ending at an evaluation
//! instant, each a datapoint or missing; `DatapointsToAlarm` of them
//! breaching the threshold make ALARM. Missing datapoints follow
//! `TreatMissingData` as CloudWatch documents it: when fewer datapoints
//! exist than `DatapointsToAlarm`, `breaching` counts the missing ones as
//! breaching and `notBreaching` as good; when none exists at all, `missing`
//! goes to INSUFFICIENT_DATA, `ignore` keeps the current state, `breaching`
//! goes to ALARM and `notBreaching` to OK.
//!
//! Also here: the history items a transition writes and the JSON message an
//! SNS action publishes, in the shapes AWS uses.

use super::metrics::{MetricId, Statistic};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// An alarm state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    /// `OK`.
    Ok,
    /// `ALARM`.
    Alarm,
    /// `INSUFFICIENT_DATA`.
    InsufficientData,
}

impl AlarmState {
    /// The model's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// From the model's name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Ok, Self::Alarm, Self::InsufficientData]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// `ComparisonOperator` (the static-threshold ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `GreaterThanOrEqualToThreshold`.
    GreaterOrEqual,
    /// `GreaterThanThreshold`.
    Greater,
    /// `LessThanThreshold`.
    Less,
    /// `LessThanOrEqualToThreshold`.
    LessOrEqual,
}

impl Comparison {
    /// The model's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GreaterOrEqual => "GreaterThanOrEqualToThreshold",
            Self::Greater => "GreaterThanThreshold",
            Self::Less => "LessThanThreshold",
            Self::LessOrEqual => "LessThanOrEqualToThreshold",
        }
    }

    /// From the model's name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::GreaterOrEqual, Self::Greater, Self::Less, Self::LessOrEqual]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::GreaterOrEqual => value >= threshold,
            Self::Greater => value > threshold,
            Self::Less => value < threshold,
            Self::LessOrEqual => value <= threshold,
        }
    }

    /// The words of a state reason ("greater than or equal to").
    fn words(self) -> &'static str {
        match self {
            Self::GreaterOrEqual => "greater than or equal to",
            Self::Greater => "greater than",
            Self::Less => "less than",
            Self::LessOrEqual => "less than or equal to",
        }
    }
}

/// `TreatMissingData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatMissing {
    /// `missing` (the default).
    Missing,
    /// `ignore`.
    Ignore,
    /// `breaching`.
    Breaching,
    /// `notBreaching`.
    NotBreaching,
}

impl TreatMissing {
    /// The model's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Ignore => "ignore",
            Self::Breaching => "breaching",
            Self::NotBreaching => "notBreaching",
        }
    }

    /// From the model's name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Missing, Self::Ignore, Self::Breaching, Self::NotBreaching]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// What PutMetricAlarm sets.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmConfig {
    /// `AlarmName`.
    pub name: String,
    /// `AlarmDescription`.
    pub description: Option<String>,
    /// `ActionsEnabled` (default true).
    pub actions_enabled: bool,
    /// `OKActions`.
    pub ok_actions: Vec<String>,
    /// `AlarmActions`.
    pub alarm_actions: Vec<String>,
    /// `InsufficientDataActions`.
    pub insufficient_data_actions: Vec<String>,
    /// The metric watched.
    pub metric: MetricId,
    /// `Statistic`.
    pub statistic: Statistic,
    /// `Unit`.
    pub unit: Option<String>,
    /// `Period`, seconds.
    pub period: i64,
    /// `EvaluationPeriods`.
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm` (defaults to `EvaluationPeriods`).
    pub datapoints_to_alarm: u32,
    /// `Threshold`.
    pub threshold: f64,
    /// `ComparisonOperator`.
    pub comparison: Comparison,
    /// `TreatMissingData`.
    pub treat_missing: TreatMissing,
    /// `TreatMissingData` as given (absent stays absent in answers).
    pub treat_missing_given: bool,
}

impl AlarmConfig {
    /// The actions a transition into `state` runs.
    pub fn actions_for(&self, state: AlarmState) -> &[String] {
        match state {
            AlarmState::Ok => &self.ok_actions,
            AlarmState::Alarm => &self.alarm_actions,
            AlarmState::InsufficientData => &self.insufficient_data_actions,
        }
    }
}

/// A stored alarm.
#[derive(Debug, Clone)]
pub struct Alarm {
    /// Its configuration.
    pub config: AlarmConfig,
    /// `AlarmArn`.
    pub arn: String,
    /// `AlarmConfigurationUpdatedTimestamp`.
    pub configuration_updated: DateTime<Utc>,
    /// `StateValue`.
    pub state: AlarmState,
    /// `StateReason`.
    pub state_reason: String,
    /// `StateReasonData`.
    pub state_reason_data: Option<String>,
    /// `StateUpdatedTimestamp`.
    pub state_updated: DateTime<Utc>,
    /// `StateTransitionedTimestamp`.
    pub state_transitioned: DateTime<Utc>,
    /// The last instant it was evaluated at.
    pub evaluated_until: DateTime<Utc>,
}

/// An evaluation's outcome: the state the datapoints call for and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The new state.
    pub state: AlarmState,
    /// `StateReason`.
    pub reason: String,
    /// `StateReasonData`.
    pub reason_data: String,
}

/// One period's datapoint: its start and value, or missing.
pub type Point = (DateTime<Utc>, Option<f64>);

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn reason_time(t: DateTime<Utc>) -> String {
    t.format("%d/%m/%y %H:%M:%S").to_string()
}

/// AWS's timestamp form in alarm messages and reason data
/// (`2026-03-14T12:00:00.000+0000`).
pub fn message_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Evaluates `points` (newest first, one per period) against `config`;
/// `None` keeps the current state.
pub fn evaluate(config: &AlarmConfig, points: &[Point], at: DateTime<Utc>) -> Option<Verdict> {
    let n = points.len();
    let m = config.datapoints_to_alarm as usize;
    let present: Vec<(DateTime<Utc>, f64)> = points.iter().filter_map(|(t, v)| v.map(|v| (*t, v))).collect();
    let start = points.last().map_or(at, |(t, _)| *t);
    let data = |recent: &[f64]| {
        json!({
            "version": "1.0",
            "queryDate": message_time(at),
            "startDate": message_time(start),
            "statistic": config.statistic.as_str(),
            "period": config.period,
            "recentDatapoints": recent,
            "threshold": config.threshold,
        })
        .to_string()
    };
    if present.is_empty() {
        let state = match config.treat_missing {
            TreatMissing::Ignore => return None,
            TreatMissing::Missing => AlarmState::InsufficientData,
            TreatMissing::Breaching => AlarmState::Alarm,
            TreatMissing::NotBreaching => AlarmState::Ok,
        };
        let reason = match state {
            AlarmState::InsufficientData => format!(
                "Insufficient Data: {n} datapoint{} {} unknown.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "was" } else { "were" }
            ),
            _ => format!(
                "no datapoints were received for {n} period{} and {n} missing datapoint{} {} treated as [{}].",
                if n == 1 { "" } else { "s" },
                if n == 1 { "" } else { "s" },
                if n == 1 { "was" } else { "were" },
                if state == AlarmState::Alarm {
                    "Breaching"
                } else {
                    "NonBreaching"
                }
            ),
        };
        return Some(Verdict {
            state,
            reason,
            reason_data: data(&[]),
        });
    }
    let breaching_present = present
        .iter()
        .filter(|(_, v)| config.comparison.breaches(*v, config.threshold))
        .count();
    let missing = n - present.len();
    let filled_breaching = if present.len() < m && config.treat_missing == TreatMissing::Breaching {
        missing
    } else {
        0
    };
    let breaching = breaching_present + filled_breaching;
    let recent: Vec<f64> = present.iter().map(|(_, v)| *v).collect();
    let listed = present
        .iter()
        .map(|(t, v)| format!("{} ({})", fmt_value(*v), reason_time(*t)))
        .collect::<Vec<_>>()
        .join(", ");
    if breaching >= m {
        Some(Verdict {
            state: AlarmState::Alarm,
            reason: format!(
                "Threshold Crossed: {breaching} out of the last {n} datapoints [{listed}] {} {} the threshold ({}) (minimum {m} datapoint{} for OK -> ALARM transition).",
                if breaching == 1 { "was" } else { "were" },
                config.comparison.words(),
                fmt_value(config.threshold),
                if m == 1 { "" } else { "s" }
            ),
            reason_data: data(&recent),
        })
    } else {
        Some(Verdict {
            state: AlarmState::Ok,
            reason: format!(
                "Threshold Crossed: {} datapoint{} [{listed}] {} not {} the threshold ({}).",
                present.len(),
                if present.len() == 1 { "" } else { "s" },
                if present.len() == 1 { "was" } else { "were" },
                config.comparison.words(),
                fmt_value(config.threshold)
            ),
            reason_data: data(&recent),
        })
    }
}

/// The instants an alarm is evaluated at after `after` up to `now`: every
/// whole minute, at most two weeks' worth (CloudWatch keeps no older
/// evaluation range).
pub fn evaluation_instants(after: DateTime<Utc>, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let horizon = now.checked_sub_signed(Duration::days(14)).unwrap_or(now);
    let mut t = super::metrics::floor_to(after.max(horizon), 60);
    let mut out = Vec::new();
    while let Some(next) = t.checked_add_signed(Duration::minutes(1)) {
        if next > now {
            break;
        }
        out.push(next);
        t = next;
    }
    out
}

/// A history item.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    /// `AlarmName`.
    pub alarm_name: String,
    /// `Timestamp`.
    pub timestamp: DateTime<Utc>,
    /// `HistoryItemType`: `ConfigurationUpdate`, `StateUpdate` or `Action`.
    pub item_type: &'static str,
    /// `HistorySummary`.
    pub summary: String,
    /// `HistoryData`.
    pub data: String,
}

/// The history item of a transition from `old` (with its reason) to the
/// verdict's state.
pub fn state_update(
    alarm: &Alarm,
    old: AlarmState,
    old_reason: &str,
    verdict: &Verdict,
    at: DateTime<Utc>,
) -> HistoryItem {
    HistoryItem {
        alarm_name: alarm.config.name.clone(),
        timestamp: at,
        item_type: "StateUpdate",
        summary: format!("Alarm updated from {} to {}", old.as_str(), verdict.state.as_str()),
        data: json!({
            "version": "1.0",
            "oldState": {"stateValue": old.as_str(), "stateReason": old_reason},
            "newState": {
                "stateValue": verdict.state.as_str(),
                "stateReason": verdict.reason,
                "stateReasonData": serde_json::from_str::<serde_json::Value>(&verdict.reason_data).unwrap_or_default(),
            },
        })
        .to_string(),
    }
}

/// The long name AWS puts in alarm messages ("US East (N. Virginia)").
pub fn region_name(region: &str) -> &str {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-west-3" => "EU (Paris)",
        "eu-central-1" => "EU (Frankfurt)",
        "eu-north-1" => "EU (Stockholm)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ca-central-1" => "Canada (Central)",
        "sa-east-1" => "South America (Sao Paulo)",
        other => other,
    }
}

/// The subject and JSON body an SNS action publishes for a transition, as
/// CloudWatch writes them.
pub fn notification(
    alarm: &Alarm,
    account: &str,
    region: &str,
    old: AlarmState,
    at: DateTime<Utc>,
) -> (String, String) {
    let c = &alarm.config;
    let subject = format!(
        "{}: \"{}\" in {}",
        alarm.state.as_str(),
        c.name,
        region_name(region)
    );
    let subject: String = subject.chars().take(100).collect();
    let dimensions: Vec<_> = c
        .metric
        .dimensions
        .iter()
        .map(|(n, v)| json!({"value": v, "name": n}))
        .collect();
    let message = json!({
        "AlarmName": c.name,
        "AlarmDescription": c.description,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": message_time(alarm.configuration_updated),
        "NewStateValue": alarm.state.as_str(),
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": message_time(at),
        "Region": region_name(region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old.as_str(),
        "OKActions": c.ok_actions,
        "AlarmActions": c.alarm_actions,
        "InsufficientDataActions": c.insufficient_data_actions,
        "Trigger": {
            "MetricName": c.metric.name,
            "Namespace": c.metric.namespace,
            "StatisticType": "Statistic",
            "Statistic": c.statistic.as_str().to_uppercase(),
            "Unit": c.unit,
            "Dimensions": dimensions,
            "Period": c.period,
            "EvaluationPeriods": c.evaluation_periods,
            "DatapointsToAlarm": c.datapoints_to_alarm,
            "ComparisonOperator": c.comparison.as_str(),
            "Threshold": c.threshold,
            "TreatMissingData": c.treat_missing.as_str(),
            "EvaluateLowSampleCountPercentile": "",
        },
    });
    (subject, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(m: u32, treat: TreatMissing) -> AlarmConfig {
        AlarmConfig {
            name: "backup-failures".into(),
            description: None,
            actions_enabled: true,
            ok_actions: vec![],
            alarm_actions: vec![],
            insufficient_data_actions: vec![],
            metric: MetricId::new("AWS/Backup", "NumberOfBackupJobsFailed", vec![]),
            statistic: Statistic::Sum,
            unit: None,
            period: 3600,
            evaluation_periods: 3,
            datapoints_to_alarm: m,
            threshold: 1.0,
            comparison: Comparison::GreaterOrEqual,
            treat_missing: treat,
            treat_missing_given: true,
        }
    }

    fn t(h: u32) -> DateTime<Utc> {
        format!("2026-01-01T{h:02}:00:00Z").parse().expect("an instant")
    }

    #[test]
    fn m_of_n_breaching_datapoints_make_alarm() {
        let c = config(2, TreatMissing::Missing);
        let two = [(t(2), Some(1.0)), (t(1), Some(0.0)), (t(0), Some(3.0))];
        let v = evaluate(&c, &two, t(3)).expect("a verdict");
        assert_eq!(v.state, AlarmState::Alarm);
        assert!(
            v.reason
                .starts_with("Threshold Crossed: 2 out of the last 3 datapoints"),
            "{}",
            v.reason
        );
        let one = [(t(2), Some(1.0)), (t(1), Some(0.0)), (t(0), Some(0.0))];
        assert_eq!(evaluate(&c, &one, t(3)).expect("a verdict").state, AlarmState::Ok);
    }

    #[test]
    fn missing_data_follows_treat_missing_data() {
        let none = [(t(2), None), (t(1), None), (t(0), None)];
        let state = |treat| evaluate(&config(3, treat), &none, t(3)).map(|v| v.state);
        assert_eq!(state(TreatMissing::Missing), Some(AlarmState::InsufficientData));
        assert_eq!(state(TreatMissing::Ignore), None);
        assert_eq!(state(TreatMissing::Breaching), Some(AlarmState::Alarm));
        assert_eq!(state(TreatMissing::NotBreaching), Some(AlarmState::Ok));
        let one = [(t(2), Some(5.0)), (t(1), None), (t(0), None)];
        let state = |treat| evaluate(&config(3, treat), &one, t(3)).map(|v| v.state);
        assert_eq!(state(TreatMissing::Breaching), Some(AlarmState::Alarm));
        assert_eq!(state(TreatMissing::NotBreaching), Some(AlarmState::Ok));
        assert_eq!(state(TreatMissing::Missing), Some(AlarmState::Ok));
    }

    #[test]
    fn evaluations_run_every_minute_up_to_two_weeks_back() {
        let instants = evaluation_instants(t(0), "2026-01-01T00:03:30Z".parse().expect("an instant"));
        assert_eq!(instants.len(), 3);
        let long = evaluation_instants(t(0), "2026-02-01T00:00:00Z".parse().expect("an instant"));
        assert_eq!(long.len(), 14 * 24 * 60);
    }
}
