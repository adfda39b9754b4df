//! The result shapes of the botocore model: `Metric`, `Datapoint`,
//! `MetricAlarm` and `AlarmHistoryItem`, member names as the SDKs read them.

use crate::engine::alarms::{Alarm, HistoryItem};
use crate::engine::metrics::{MetricId, StatSet, Statistic};
use crate::wire::Out;
use chrono::{DateTime, Utc};

fn dimensions(id: &MetricId) -> Out {
    Out::List(
        id.dimensions
            .iter()
            .map(|(n, v)| {
                Out::Map(vec![
                    ("Name", Out::str(n.clone())),
                    ("Value", Out::str(v.clone())),
                ])
            })
            .collect(),
    )
}

/// `Metric`.
pub(super) fn metric(id: &MetricId) -> Out {
    Out::Map(vec![
        ("Namespace", Out::str(id.namespace.clone())),
        ("MetricName", Out::str(id.name.clone())),
        ("Dimensions", dimensions(id)),
    ])
}

/// `Datapoint` with the requested statistics.
pub(super) fn datapoint(t: DateTime<Utc>, set: &StatSet, stats: &[Statistic], unit: Option<&str>) -> Out {
    let value = |s: Statistic| stats.contains(&s).then(|| Out::Num(set.get(s)));
    Out::map(vec![
        ("Timestamp", Some(Out::Time(t))),
        ("SampleCount", value(Statistic::SampleCount)),
        ("Average", value(Statistic::Average)),
        ("Sum", value(Statistic::Sum)),
        ("Minimum", value(Statistic::Minimum)),
        ("Maximum", value(Statistic::Maximum)),
        ("Unit", Some(Out::str(unit.unwrap_or("None")))),
    ])
}

/// `MetricAlarm`.
pub(super) fn alarm(a: &Alarm) -> Out {
    let c = &a.config;
    Out::map(vec![
        ("AlarmName", Some(Out::str(c.name.clone()))),
        ("AlarmArn", Some(Out::str(a.arn.clone()))),
        ("AlarmDescription", c.description.clone().map(Out::Str)),
        (
            "AlarmConfigurationUpdatedTimestamp",
            Some(Out::Time(a.configuration_updated)),
        ),
        ("ActionsEnabled", Some(Out::Bool(c.actions_enabled))),
        ("OKActions", Some(Out::strs(&c.ok_actions))),
        ("AlarmActions", Some(Out::strs(&c.alarm_actions))),
        (
            "InsufficientDataActions",
            Some(Out::strs(&c.insufficient_data_actions)),
        ),
        ("StateValue", Some(Out::str(a.state.as_str()))),
        ("StateReason", Some(Out::str(a.state_reason.clone()))),
        ("StateReasonData", a.state_reason_data.clone().map(Out::Str)),
        ("StateUpdatedTimestamp", Some(Out::Time(a.state_updated))),
        ("MetricName", Some(Out::str(c.metric.name.clone()))),
        ("Namespace", Some(Out::str(c.metric.namespace.clone()))),
        ("Statistic", Some(Out::str(c.statistic.as_str()))),
        ("Dimensions", Some(dimensions(&c.metric))),
        ("Period", Some(Out::Int(c.period))),
        ("Unit", c.unit.clone().map(Out::Str)),
        (
            "EvaluationPeriods",
            Some(Out::Int(i64::from(c.evaluation_periods))),
        ),
        (
            "DatapointsToAlarm",
            Some(Out::Int(i64::from(c.datapoints_to_alarm))),
        ),
        ("Threshold", Some(Out::Num(c.threshold))),
        ("ComparisonOperator", Some(Out::str(c.comparison.as_str()))),
        (
            "TreatMissingData",
            c.treat_missing_given.then(|| Out::str(c.treat_missing.as_str())),
        ),
        (
            "StateTransitionedTimestamp",
            Some(Out::Time(a.state_transitioned)),
        ),
    ])
}

/// `AlarmHistoryItem`.
pub(super) fn history_item(h: &HistoryItem) -> Out {
    Out::Map(vec![
        ("AlarmName", Out::str(h.alarm_name.clone())),
        ("AlarmType", Out::str("MetricAlarm")),
        ("Timestamp", Out::Time(h.timestamp)),
        ("HistoryItemType", Out::str(h.item_type)),
        ("HistorySummary", Out::str(h.summary.clone())),
        ("HistoryData", Out::str(h.data.clone())),
    ])
}
