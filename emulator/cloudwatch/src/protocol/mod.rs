//! The served operations: each decodes its [`inputs`] shape from the
//! wire's member tree, is checked by [`crate::validate`], runs on the
//! engine and is answered in the result shape [`render`] builds. Any other
//! operation answers `UnknownOperationException`.

pub mod inputs;
mod render;

use crate::engine::alarms::AlarmState;
use crate::engine::metrics::{MetricId, Statistic};
use crate::engine::{AlarmFilter, Engine, MetricFilter};
use crate::errors::{CloudWatchError, CwResult};
use crate::validate;
use crate::wire::Out;
use base64::Engine as _;
use serde::de::DeserializeOwned;

/// The operations served.
pub const OPERATIONS: [&str; 9] = [
    "PutMetricData",
    "ListMetrics",
    "GetMetricStatistics",
    "GetMetricData",
    "PutMetricAlarm",
    "DescribeAlarms",
    "DeleteAlarms",
    "DescribeAlarmHistory",
    "SetAlarmState",
];

fn decode<T: DeserializeOwned>(members: serde_json::Value) -> CwResult<T> {
    serde_json::from_value(members)
        .map_err(|e| CloudWatchError::Serialization(format!("Could not decode the request: {e}")))
}

/// A paging token: an opaque form of the next item's offset.
fn token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("firedrill:{offset}"))
}

fn offset(token: Option<&str>) -> CwResult<usize> {
    let Some(token) = token else { return Ok(0) };
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("firedrill:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            CloudWatchError::InvalidNextToken("The service couldn't process the NextToken.".into())
        })
}

/// A page of `items` from `start`, and the token of the next page.
fn page<T: Clone>(items: &[T], start: usize, size: usize) -> (Vec<T>, Option<String>) {
    let end = start.saturating_add(size).min(items.len());
    let slice = items.get(start..end).unwrap_or_default().to_vec();
    (slice, (end < items.len()).then(|| token(end)))
}

/// Runs `operation` in `region`; `None` is an operation without output.
pub fn run(
    engine: &Engine,
    region: &str,
    operation: &str,
    members: serde_json::Value,
) -> CwResult<Option<Out>> {
    match operation {
        "PutMetricData" => {
            let data = validate::put_metric_data(decode(members)?, region, engine.now())?;
            engine.put(data);
            Ok(None)
        }
        "ListMetrics" => list_metrics(engine, region, decode(members)?).map(Some),
        "GetMetricStatistics" => get_metric_statistics(engine, region, decode(members)?).map(Some),
        "GetMetricData" => get_metric_data(engine, region, decode(members)?).map(Some),
        "PutMetricAlarm" => {
            let config = validate::put_metric_alarm(decode(members)?)?;
            engine.put_alarm(region, config);
            Ok(None)
        }
        "DescribeAlarms" => describe_alarms(engine, region, decode(members)?).map(Some),
        "DeleteAlarms" => {
            let req: inputs::DeleteAlarms = decode(members)?;
            let names = validate::required(req.alarm_names, "AlarmNames")?;
            if names.len() > 100 {
                return Err(CloudWatchError::invalid(
                    "AlarmNames",
                    "must not contain more than 100 names.",
                ));
            }
            engine.delete_alarms(region, &names)?;
            Ok(None)
        }
        "DescribeAlarmHistory" => describe_alarm_history(engine, region, decode(members)?).map(Some),
        "SetAlarmState" => {
            let req: inputs::SetAlarmState = decode(members)?;
            let name = validate::required(req.alarm_name, "AlarmName")?;
            let state = validate::required(req.state_value, "StateValue")?;
            let reason = validate::required(req.state_reason, "StateReason")?;
            let state = AlarmState::parse(&state).ok_or_else(|| {
                CloudWatchError::InvalidParameterValue(format!(
                    "The value {state} for parameter StateValue is not valid."
                ))
            })?;
            validate::length(&reason, "StateReason", 0, 1023)?;
            if let Some(data) = &req.state_reason_data {
                validate::length(data, "StateReasonData", 0, 4000)?;
                if serde_json::from_str::<serde_json::Value>(data).is_err() {
                    return Err(CloudWatchError::InvalidFormat(
                        "The parameter StateReasonData must be valid JSON.".into(),
                    ));
                }
            }
            engine.set_alarm_state(region, &name, state, reason, req.state_reason_data)?;
            Ok(None)
        }
        other => Err(CloudWatchError::UnknownOperation(format!(
            "The operation {other} is not served by firedrill's CloudWatch (served: {}).",
            OPERATIONS.join(", ")
        ))),
    }
}

fn list_metrics(engine: &Engine, region: &str, req: inputs::ListMetrics) -> CwResult<Out> {
    let start = offset(req.next_token.as_deref())?;
    let dims = req.dimensions.unwrap_or_default();
    if dims.len() > 10 {
        return Err(CloudWatchError::invalid(
            "Dimensions",
            "must not contain more than 10 filters.",
        ));
    }
    let mut dimensions = Vec::new();
    for (i, d) in dims.into_iter().enumerate() {
        let name = validate::required(d.name, &format!("Dimensions.member.{}.Name", i + 1))?;
        dimensions.push((name, d.value));
    }
    let recently_active = match req.recently_active.as_deref() {
        None => false,
        Some("PT3H") => true,
        Some(other) => {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The value {other} for parameter RecentlyActive is not valid."
            )));
        }
    };
    let all = engine.list_metrics(
        region,
        &MetricFilter {
            namespace: req.namespace,
            name: req.metric_name,
            dimensions,
            recently_active,
        },
    );
    let (items, next) = page(&all, start, 500);
    Ok(Out::map(vec![
        (
            "Metrics",
            Some(Out::List(items.iter().map(render::metric).collect())),
        ),
        ("NextToken", next.map(Out::Str)),
    ]))
}

fn metric_of(
    namespace: Option<String>,
    name: Option<String>,
    dims: Option<&[inputs::Dimension]>,
    prefix: &str,
) -> CwResult<MetricId> {
    let ns = validate::required(namespace, &format!("{prefix}Namespace"))?;
    let name = validate::required(name, &format!("{prefix}MetricName"))?;
    validate::length(&name, &format!("{prefix}MetricName"), 1, 255)?;
    let dims = validate::dimensions(dims, &format!("{prefix}Dimensions"), 30)?;
    Ok(MetricId::new(ns, name, dims))
}

fn get_metric_statistics(engine: &Engine, region: &str, req: inputs::GetMetricStatistics) -> CwResult<Out> {
    let metric = metric_of(req.namespace, req.metric_name, req.dimensions.as_deref(), "")?;
    let period = validate::period(validate::required(req.period, "Period")?, "Period")?;
    let (start, end) = validate::range(req.start_time, req.end_time, period)?;
    if req.extended_statistics.is_some() {
        return Err(CloudWatchError::InvalidParameterValue(
            "The parameter ExtendedStatistics (percentiles) is not served by firedrill.".into(),
        ));
    }
    let names = req.statistics.unwrap_or_default();
    if names.is_empty() {
        return Err(CloudWatchError::InvalidParameterCombination(
            "Must specify either Statistics or ExtendedStatistics".into(),
        ));
    }
    if names.len() > 5 {
        return Err(CloudWatchError::invalid(
            "Statistics",
            "must not contain more than 5 statistics.",
        ));
    }
    let stats: Vec<Statistic> = names
        .iter()
        .enumerate()
        .map(|(i, s)| validate::statistic(s, &format!("Statistics.member.{}", i + 1)))
        .collect::<CwResult<_>>()?;
    let unit = req.unit;
    if let Some(u) = &unit
        && !validate::UNITS.contains(&u.as_str())
    {
        return Err(CloudWatchError::InvalidParameterValue(format!(
            "The value {u} for parameter Unit is not a valid unit."
        )));
    }
    let requested = (end - start).num_seconds() / period.num_seconds().max(1);
    if requested > 1440 {
        return Err(CloudWatchError::InvalidParameterCombination(format!(
            "You have requested up to {requested} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )));
    }
    let buckets = engine.statistics(region, &metric, start, end, period, unit.as_deref());
    Ok(Out::map(vec![
        ("Label", Some(Out::str(metric.name.clone()))),
        (
            "Datapoints",
            Some(Out::List(
                buckets
                    .iter()
                    .map(|(t, set, u)| render::datapoint(*t, set, &stats, unit.as_deref().or(u.as_deref())))
                    .collect(),
            )),
        ),
    ]))
}

fn get_metric_data(engine: &Engine, region: &str, req: inputs::GetMetricData) -> CwResult<Out> {
    let queries = validate::required(req.metric_data_queries, "MetricDataQueries")?;
    if queries.is_empty() || queries.len() > 500 {
        return Err(CloudWatchError::invalid(
            "MetricDataQueries",
            "must contain between 1 and 500 queries.",
        ));
    }
    let descending = match req.scan_by.as_deref() {
        None | Some("TimestampDescending") => true,
        Some("TimestampAscending") => false,
        Some(other) => {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The value {other} for parameter ScanBy is not valid."
            )));
        }
    };
    if req.next_token.is_some() {
        offset(req.next_token.as_deref())?;
    }
    let mut ids = Vec::new();
    let mut results = Vec::new();
    for (i, q) in queries.into_iter().enumerate() {
        let member = format!("MetricDataQueries.member.{}", i + 1);
        let id = validate::required(q.id, &format!("{member}.Id"))?;
        let valid_id = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && id.len() <= 255;
        if !valid_id {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The value {id} for parameter {member}.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores."
            )));
        }
        if ids.contains(&id) {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The value {id} for parameter MetricDataQueries is not unique."
            )));
        }
        ids.push(id.clone());
        if q.expression.is_some() {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The parameter {member}.Expression (metric math) is not served by firedrill."
            )));
        }
        let stat = q.metric_stat.ok_or_else(|| {
            CloudWatchError::InvalidParameterCombination(format!(
                "Exactly one of {member}.MetricStat and {member}.Expression must be specified."
            ))
        })?;
        let m = validate::required(stat.metric, &format!("{member}.MetricStat.Metric"))?;
        let metric = metric_of(
            m.namespace,
            m.metric_name,
            m.dimensions.as_deref(),
            &format!("{member}.MetricStat.Metric."),
        )?;
        let period = validate::period(
            validate::required(stat.period, &format!("{member}.MetricStat.Period"))?,
            &format!("{member}.MetricStat.Period"),
        )?;
        let statistic = validate::statistic(
            &validate::required(stat.stat, &format!("{member}.MetricStat.Stat"))?,
            &format!("{member}.MetricStat.Stat"),
        )?;
        let (start, end) = validate::range(req.start_time, req.end_time, period)?;
        let mut buckets = engine.statistics(region, &metric, start, end, period, stat.unit.as_deref());
        if descending {
            buckets.reverse();
        }
        if q.return_data == Some(false) {
            continue;
        }
        results.push(Out::map(vec![
            ("Id", Some(Out::str(id))),
            (
                "Label",
                Some(Out::str(q.label.unwrap_or_else(|| metric.name.clone()))),
            ),
            (
                "Timestamps",
                Some(Out::List(buckets.iter().map(|(t, _, _)| Out::Time(*t)).collect())),
            ),
            (
                "Values",
                Some(Out::List(
                    buckets
                        .iter()
                        .map(|(_, s, _)| Out::Num(s.get(statistic)))
                        .collect(),
                )),
            ),
            ("StatusCode", Some(Out::str("Complete"))),
        ]));
    }
    Ok(Out::map(vec![
        ("MetricDataResults", Some(Out::List(results))),
        ("Messages", Some(Out::List(Vec::new()))),
    ]))
}

fn describe_alarms(engine: &Engine, region: &str, req: inputs::DescribeAlarms) -> CwResult<Out> {
    let max = validate::max_records(req.max_records, 50)?;
    let start = offset(req.next_token.as_deref())?;
    let names = req.alarm_names.unwrap_or_default();
    if names.len() > 100 {
        return Err(CloudWatchError::invalid(
            "AlarmNames",
            "must not contain more than 100 names.",
        ));
    }
    let state = match req.state_value.as_deref() {
        None => None,
        Some(s) => Some(AlarmState::parse(s).ok_or_else(|| {
            CloudWatchError::InvalidParameterValue(format!(
                "The value {s} for parameter StateValue is not valid."
            ))
        })?),
    };
    let types = req.alarm_types.unwrap_or_default();
    for t in &types {
        if t != "MetricAlarm" && t != "CompositeAlarm" {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The value {t} for parameter AlarmTypes is not valid."
            )));
        }
    }
    let wants_metric = types.is_empty() || types.iter().any(|t| t == "MetricAlarm");
    let alarms = if wants_metric {
        engine.describe_alarms(
            region,
            &AlarmFilter {
                names,
                prefix: req.alarm_name_prefix,
                state,
                action_prefix: req.action_prefix,
            },
        )
    } else {
        Vec::new()
    };
    let (items, next) = page(&alarms, start, max);
    Ok(Out::map(vec![
        (
            "MetricAlarms",
            Some(Out::List(items.iter().map(render::alarm).collect())),
        ),
        ("CompositeAlarms", Some(Out::List(Vec::new()))),
        ("NextToken", next.map(Out::Str)),
    ]))
}

fn describe_alarm_history(engine: &Engine, region: &str, req: inputs::DescribeAlarmHistory) -> CwResult<Out> {
    let max = validate::max_records(req.max_records, 100)?;
    let start = offset(req.next_token.as_deref())?;
    if let Some(t) = req.history_item_type.as_deref()
        && ![
            "ConfigurationUpdate",
            "StateUpdate",
            "Action",
            "AlarmContributorStateUpdate",
            "AlarmContributorAction",
        ]
        .contains(&t)
    {
        return Err(CloudWatchError::InvalidParameterValue(format!(
            "The value {t} for parameter HistoryItemType is not valid."
        )));
    }
    let oldest_first = match req.scan_by.as_deref() {
        None | Some("TimestampDescending") => false,
        Some("TimestampAscending") => true,
        Some(other) => {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The value {other} for parameter ScanBy is not valid."
            )));
        }
    };
    let from = req
        .start_date
        .map(|s| validate::instant(s, "StartDate"))
        .transpose()?;
    let to = req
        .end_date
        .map(|s| validate::instant(s, "EndDate"))
        .transpose()?;
    let items = engine.history(
        region,
        req.alarm_name.as_deref(),
        req.history_item_type.as_deref(),
        from,
        to,
        oldest_first,
    );
    let (items, next) = page(&items, start, max);
    Ok(Out::map(vec![
        (
            "AlarmHistoryItems",
            Some(Out::List(items.iter().map(render::history_item).collect())),
        ),
        ("NextToken", next.map(Out::Str)),
    ]))
}
