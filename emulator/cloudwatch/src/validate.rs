//! Every request rule, checked before any state changes: required members
//! (`MissingParameter`), the model's lengths, ranges and enums and
//! CloudWatch's own limits (`InvalidParameterValue`,
//! `InvalidParameterCombination`), each message naming the member.

use crate::engine::Datum;
use crate::engine::alarms::{AlarmConfig, Comparison, TreatMissing};
use crate::engine::metrics::{MetricId, Sample, StatSet, Statistic};
use crate::errors::{CloudWatchError, CwResult};
use crate::protocol::inputs;
use chrono::{DateTime, Duration, Utc};

/// The units of the model's `StandardUnit`.
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// A required member.
pub fn required<T>(value: Option<T>, name: &str) -> CwResult<T> {
    value.ok_or_else(|| CloudWatchError::missing(name))
}

/// A string of `min..=max` characters.
pub fn length(value: &str, name: &str, min: usize, max: usize) -> CwResult<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(CloudWatchError::invalid(
            name,
            format!("must be between {min} and {max} characters long."),
        ));
    }
    Ok(())
}

fn namespace(value: &str, name: &str) -> CwResult<()> {
    length(value, name, 1, 255)?;
    if value.starts_with(':') {
        return Err(CloudWatchError::invalid(name, "must not start with ':'."));
    }
    Ok(())
}

fn unit(value: Option<&str>, name: &str) -> CwResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(u) if UNITS.contains(&u) => Ok(Some(u.to_owned())),
        Some(u) => Err(CloudWatchError::InvalidParameterValue(format!(
            "The value {u} for parameter {name} is not a valid unit."
        ))),
    }
}

/// `Dimensions`: each with a name and value, at most `max`, names unique.
pub fn dimensions(
    dims: Option<&[inputs::Dimension]>,
    name: &str,
    max: usize,
) -> CwResult<Vec<(String, String)>> {
    let dims = dims.unwrap_or_default();
    if dims.len() > max {
        return Err(CloudWatchError::invalid(
            name,
            format!("must not contain more than {max} dimensions."),
        ));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(dims.len());
    for (i, d) in dims.iter().enumerate() {
        let member = format!("{name}.member.{}", i + 1);
        let n = required(d.name.as_deref(), &format!("{member}.Name"))?;
        let v = required(d.value.as_deref(), &format!("{member}.Value"))?;
        length(n, &format!("{member}.Name"), 1, 255)?;
        length(v, &format!("{member}.Value"), 1, 1024)?;
        if out.iter().any(|(existing, _)| existing == n) {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "No Metric may specify the same dimension name twice: {n}"
            )));
        }
        out.push((n.to_owned(), v.to_owned()));
    }
    Ok(out)
}

/// An epoch-seconds timestamp as an instant.
pub fn instant(secs: f64, name: &str) -> CwResult<DateTime<Utc>> {
    if !secs.is_finite() {
        return Err(CloudWatchError::invalid(name, "must be a valid timestamp."));
    }
    let millis = (secs * 1000.0).round();
    if millis.abs() > 1e15 {
        return Err(CloudWatchError::invalid(name, "must be a valid timestamp."));
    }
    DateTime::from_timestamp_millis(millis as i64)
        .ok_or_else(|| CloudWatchError::invalid(name, "must be a valid timestamp."))
}

/// CloudWatch's accepted value range: zero, or a magnitude between
/// 8.515920e-109 and 1.174271e+108.
fn value(v: f64, name: &str) -> CwResult<f64> {
    let a = v.abs();
    if !v.is_finite() || (a != 0.0 && !(8.515920e-109..=1.174271e108).contains(&a)) {
        return Err(CloudWatchError::InvalidParameterValue(format!(
            "The value {v} for parameter {name} is invalid."
        )));
    }
    Ok(v)
}

/// PutMetricData into samples. User namespaces may not begin with `AWS/`.
pub fn put_metric_data(req: inputs::PutMetricData, region: &str, now: DateTime<Utc>) -> CwResult<Vec<Datum>> {
    let ns = required(req.namespace, "Namespace")?;
    namespace(&ns, "Namespace")?;
    if ns.starts_with("AWS/") {
        return Err(CloudWatchError::InvalidParameterValue(format!(
            "The value {ns} for parameter Namespace is invalid."
        )));
    }
    if req.entity_metric_data.is_some_and(|e| !e.is_empty()) {
        return Err(CloudWatchError::InvalidParameterValue(
            "The parameter EntityMetricData is not served by firedrill.".into(),
        ));
    }
    let data = req.metric_data.unwrap_or_default();
    if data.is_empty() {
        return Err(CloudWatchError::missing("MetricData"));
    }
    if data.len() > 1000 {
        return Err(CloudWatchError::invalid(
            "MetricData",
            "must not contain more than 1000 items.",
        ));
    }
    let oldest = now.checked_sub_signed(Duration::days(14)).unwrap_or(now);
    let newest = now.checked_add_signed(Duration::hours(2)).unwrap_or(now);
    let mut out = Vec::new();
    for (i, d) in data.into_iter().enumerate() {
        let member = format!("MetricData.member.{}", i + 1);
        let name = required(d.metric_name, &format!("{member}.MetricName"))?;
        length(&name, &format!("{member}.MetricName"), 1, 255)?;
        let dims = dimensions(d.dimensions.as_deref(), &format!("{member}.Dimensions"), 30)?;
        let unit = unit(d.unit.as_deref(), &format!("{member}.Unit"))?;
        if let Some(r) = d.storage_resolution
            && r != 1
            && r != 60
        {
            return Err(CloudWatchError::invalid(
                &format!("{member}.StorageResolution"),
                "must be 1 or 60.",
            ));
        }
        let timestamp = match d.timestamp {
            Some(t) => instant(t, &format!("{member}.Timestamp"))?,
            None => now,
        };
        if timestamp < oldest || timestamp > newest {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "The parameter {member}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future."
            )));
        }
        let forms = [
            d.value.is_some(),
            d.statistic_values.is_some(),
            d.values.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if forms > 1 {
            return Err(CloudWatchError::InvalidParameterCombination(format!(
                "The parameters {member}.Value, {member}.StatisticValues and {member}.Values are mutually exclusive and you have specified more than one."
            )));
        }
        let metric = MetricId::new(ns.clone(), name, dims);
        let mut stats = Vec::new();
        if let Some(v) = d.value {
            stats.push(StatSet::value(value(v, &format!("{member}.Value"))?, 1.0));
        } else if let Some(s) = d.statistic_values {
            let field = |v: Option<f64>, f: &str| {
                let name = format!("{member}.StatisticValues.{f}");
                required(v, &name).and_then(|v| value(v, &name))
            };
            let set = StatSet {
                count: field(s.sample_count, "SampleCount")?,
                sum: field(s.sum, "Sum")?,
                min: field(s.minimum, "Minimum")?,
                max: field(s.maximum, "Maximum")?,
            };
            if set.count <= 0.0 || set.min > set.max {
                return Err(CloudWatchError::InvalidParameterValue(format!(
                    "The parameter {member}.StatisticValues is invalid: SampleCount must be positive and Minimum no greater than Maximum."
                )));
            }
            stats.push(set);
        } else if let Some(values) = d.values {
            let counts = d.counts.unwrap_or_default();
            if !counts.is_empty() && counts.len() != values.len() {
                return Err(CloudWatchError::InvalidParameterValue(format!(
                    "The parameters {member}.Values and {member}.Counts must be arrays of the same length."
                )));
            }
            if values.len() > 150 {
                return Err(CloudWatchError::invalid(
                    &format!("{member}.Values"),
                    "must not contain more than 150 values.",
                ));
            }
            for (j, v) in values.iter().enumerate() {
                let c = counts.get(j).copied().unwrap_or(1.0);
                if !c.is_finite() || c <= 0.0 {
                    continue;
                }
                stats.push(StatSet::value(value(*v, &format!("{member}.Values"))?, c));
            }
        } else {
            return Err(CloudWatchError::InvalidParameterCombination(format!(
                "The parameters {member}.Value, {member}.StatisticValues and {member}.Values: one must be specified."
            )));
        }
        for s in stats {
            out.push(Datum {
                region: region.to_owned(),
                metric: metric.clone(),
                timestamp,
                sample: Sample {
                    stats: s,
                    unit: unit.clone(),
                },
            });
        }
    }
    Ok(out)
}

/// `Period` of a statistics request: 1, 5, 10, 30 or a multiple of 60.
pub fn period(p: i64, name: &str) -> CwResult<Duration> {
    if p < 1 {
        return Err(CloudWatchError::invalid(name, "must be greater than 0."));
    }
    if !(matches!(p, 1 | 5 | 10 | 30) || p % 60 == 0) {
        return Err(CloudWatchError::invalid(name, "must be a multiple of 60."));
    }
    if p > 86_400 * 455 {
        return Err(CloudWatchError::invalid(name, "is too long."));
    }
    Ok(Duration::seconds(p))
}

/// The statistic set of a `Stat` or `Statistics` member.
pub fn statistic(s: &str, name: &str) -> CwResult<Statistic> {
    Statistic::parse(s).ok_or_else(|| {
        CloudWatchError::InvalidParameterValue(format!(
            "The value {s} for parameter {name} is not a statistic firedrill serves (SampleCount, Average, Sum, Minimum, Maximum)."
        ))
    })
}

/// The start and end of a statistics request, and the start rounded down
/// to the whole minute (or second, for periods under a minute) as
/// CloudWatch rounds it.
pub fn range(
    start: Option<f64>,
    end: Option<f64>,
    period: Duration,
) -> CwResult<(DateTime<Utc>, DateTime<Utc>)> {
    let start = instant(required(start, "StartTime")?, "StartTime")?;
    let end = instant(required(end, "EndTime")?, "EndTime")?;
    if start >= end {
        return Err(CloudWatchError::InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime.".into(),
        ));
    }
    let step = if period.num_seconds() >= 60 { 60 } else { 1 };
    Ok((crate::engine::metrics::floor_to(start, step), end))
}

/// PutMetricAlarm into an alarm configuration.
pub fn put_metric_alarm(req: inputs::PutMetricAlarm) -> CwResult<AlarmConfig> {
    let name = required(req.alarm_name, "AlarmName")?;
    length(&name, "AlarmName", 1, 255)?;
    if let Some(d) = &req.alarm_description {
        length(d, "AlarmDescription", 0, 1024)?;
    }
    if req.metrics.is_some() || req.threshold_metric_id.is_some() {
        return Err(CloudWatchError::InvalidParameterValue(
            "The parameters Metrics and ThresholdMetricId (metric math and anomaly detection alarms) are not served by firedrill.".into(),
        ));
    }
    if req.extended_statistic.is_some() {
        return Err(CloudWatchError::InvalidParameterValue(
            "The parameter ExtendedStatistic (percentiles) is not served by firedrill.".into(),
        ));
    }
    let metric_name = required(req.metric_name, "MetricName")?;
    length(&metric_name, "MetricName", 1, 255)?;
    let ns = required(req.namespace, "Namespace")?;
    namespace(&ns, "Namespace")?;
    let statistic = statistic(&required(req.statistic, "Statistic")?, "Statistic")?;
    let dims = dimensions(req.dimensions.as_deref(), "Dimensions", 30)?;
    let period = required(req.period, "Period")?;
    if !(matches!(period, 10 | 20 | 30) || (period >= 60 && period % 60 == 0)) {
        return Err(CloudWatchError::InvalidParameterValue(
            "The parameter Period must be 10, 20, 30, or a multiple of 60.".into(),
        ));
    }
    let evaluation_periods = required(req.evaluation_periods, "EvaluationPeriods")?;
    if evaluation_periods < 1 {
        return Err(CloudWatchError::invalid(
            "EvaluationPeriods",
            "must be greater than 0.",
        ));
    }
    let limit = if period >= 3600 { 7 * 86_400 } else { 86_400 };
    if period.saturating_mul(evaluation_periods) > limit {
        return Err(CloudWatchError::InvalidParameterValue(format!(
            "The product of the parameters EvaluationPeriods and Period must not exceed {limit} seconds."
        )));
    }
    let datapoints = req.datapoints_to_alarm.unwrap_or(evaluation_periods);
    if datapoints < 1 || datapoints > evaluation_periods {
        return Err(CloudWatchError::InvalidParameterValue(
            "The parameter DatapointsToAlarm must be between 1 and EvaluationPeriods.".into(),
        ));
    }
    let threshold = required(req.threshold, "Threshold")?;
    if !threshold.is_finite() {
        return Err(CloudWatchError::invalid("Threshold", "must be a finite number."));
    }
    let op = required(req.comparison_operator, "ComparisonOperator")?;
    let comparison = Comparison::parse(&op).ok_or_else(|| {
        if [
            "LessThanLowerOrGreaterThanUpperThreshold",
            "LessThanLowerThreshold",
            "GreaterThanUpperThreshold",
        ]
        .contains(&op.as_str())
        {
            CloudWatchError::InvalidParameterCombination(format!(
                "The ComparisonOperator {op} is only valid for anomaly detection alarms."
            ))
        } else {
            CloudWatchError::InvalidParameterValue(format!(
                "The value {op} for parameter ComparisonOperator is not valid."
            ))
        }
    })?;
    let treat_missing_given = req.treat_missing_data.is_some();
    let treat_missing = match req.treat_missing_data.as_deref() {
        None => TreatMissing::Missing,
        Some(t) => TreatMissing::parse(t).ok_or_else(|| {
            CloudWatchError::InvalidParameterValue(format!(
                "The value {t} for parameter TreatMissingData is not valid: use breaching, notBreaching, ignore or missing."
            ))
        })?,
    };
    let actions = |list: Option<Vec<String>>, member: &str| -> CwResult<Vec<String>> {
        let list = list.unwrap_or_default();
        if list.len() > 5 {
            return Err(CloudWatchError::invalid(
                member,
                "must not contain more than 5 actions.",
            ));
        }
        for arn in &list {
            if firedrill_emu_core::arn::Arn::parse(arn).is_err() {
                return Err(CloudWatchError::InvalidParameterValue(format!(
                    "Invalid arn syntax: {arn}"
                )));
            }
        }
        Ok(list)
    };
    Ok(AlarmConfig {
        name,
        description: req.alarm_description,
        actions_enabled: req.actions_enabled.unwrap_or(true),
        ok_actions: actions(req.ok_actions, "OKActions")?,
        alarm_actions: actions(req.alarm_actions, "AlarmActions")?,
        insufficient_data_actions: actions(req.insufficient_data_actions, "InsufficientDataActions")?,
        metric: MetricId::new(ns, metric_name, dims),
        statistic,
        unit: unit(req.unit.as_deref(), "Unit")?,
        period,
        evaluation_periods: u32::try_from(evaluation_periods).unwrap_or(u32::MAX),
        datapoints_to_alarm: u32::try_from(datapoints).unwrap_or(u32::MAX),
        threshold,
        comparison,
        treat_missing,
        treat_missing_given,
    })
}

/// `MaxRecords` in `1..=100`, defaulting to `default`.
pub fn max_records(v: Option<i64>, default: usize) -> CwResult<usize> {
    match v {
        None => Ok(default),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(_) => Err(CloudWatchError::invalid(
            "MaxRecords",
            "must be between 1 and 100.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_cloudwatchs_resolutions() {
        assert!(period(60, "Period").is_ok());
        assert!(period(30, "Period").is_ok());
        assert!(period(61, "Period").is_err());
        assert!(period(0, "Period").is_err());
    }

    #[test]
    fn an_alarm_needs_its_metric_and_comparison() {
        let err = put_metric_alarm(inputs::PutMetricAlarm {
            alarm_name: Some("a".into()),
            ..Default::default()
        })
        .expect_err("no metric");
        assert_eq!(err, CloudWatchError::missing("MetricName"));
    }
}
