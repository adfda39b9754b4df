//! The request shapes of the served operations, member names as in the
//! botocore model. Every member is optional here: [`crate::validate`]
//! answers a missing required one with `MissingParameter`, as CloudWatch
//! does, rather than a decoding error. Timestamps are epoch seconds.

use serde::Deserialize;

/// `Dimension`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// `Name`.
    pub name: Option<String>,
    /// `Value`.
    pub value: Option<String>,
}

/// `StatisticSet`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StatisticSet {
    /// `SampleCount`.
    pub sample_count: Option<f64>,
    /// `Sum`.
    pub sum: Option<f64>,
    /// `Minimum`.
    pub minimum: Option<f64>,
    /// `Maximum`.
    pub maximum: Option<f64>,
}

/// `MetricDatum`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDatum {
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Dimensions`.
    pub dimensions: Option<Vec<Dimension>>,
    /// `Timestamp`.
    pub timestamp: Option<f64>,
    /// `Value`.
    pub value: Option<f64>,
    /// `StatisticValues`.
    pub statistic_values: Option<StatisticSet>,
    /// `Values`.
    pub values: Option<Vec<f64>>,
    /// `Counts`.
    pub counts: Option<Vec<f64>>,
    /// `Unit`.
    pub unit: Option<String>,
    /// `StorageResolution`.
    pub storage_resolution: Option<i64>,
}

/// `PutMetricData`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutMetricData {
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricData`.
    pub metric_data: Option<Vec<MetricDatum>>,
    /// `EntityMetricData` (not served).
    pub entity_metric_data: Option<Vec<serde_json::Value>>,
}

/// `ListMetrics`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListMetrics {
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Dimensions` (`DimensionFilter`: the value is optional).
    pub dimensions: Option<Vec<Dimension>>,
    /// `NextToken`.
    pub next_token: Option<String>,
    /// `RecentlyActive`.
    pub recently_active: Option<String>,
}

/// `Metric`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Dimensions`.
    pub dimensions: Option<Vec<Dimension>>,
}

/// `GetMetricStatistics`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GetMetricStatistics {
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Dimensions`.
    pub dimensions: Option<Vec<Dimension>>,
    /// `StartTime`.
    pub start_time: Option<f64>,
    /// `EndTime`.
    pub end_time: Option<f64>,
    /// `Period`.
    pub period: Option<i64>,
    /// `Statistics`.
    pub statistics: Option<Vec<String>>,
    /// `ExtendedStatistics` (percentiles, not served).
    pub extended_statistics: Option<Vec<String>>,
    /// `Unit`.
    pub unit: Option<String>,
}

/// `MetricStat`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    /// `Metric`.
    pub metric: Option<Metric>,
    /// `Period`.
    pub period: Option<i64>,
    /// `Stat`.
    pub stat: Option<String>,
    /// `Unit`.
    pub unit: Option<String>,
}

/// `MetricDataQuery`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataQuery {
    /// `Id`.
    pub id: Option<String>,
    /// `MetricStat`.
    pub metric_stat: Option<MetricStat>,
    /// `Expression` (metric math, not served).
    pub expression: Option<String>,
    /// `Label`.
    pub label: Option<String>,
    /// `ReturnData`.
    pub return_data: Option<bool>,
    /// `Period`.
    pub period: Option<i64>,
}

/// `GetMetricData`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GetMetricData {
    /// `MetricDataQueries`.
    pub metric_data_queries: Option<Vec<MetricDataQuery>>,
    /// `StartTime`.
    pub start_time: Option<f64>,
    /// `EndTime`.
    pub end_time: Option<f64>,
    /// `NextToken`.
    pub next_token: Option<String>,
    /// `ScanBy`.
    pub scan_by: Option<String>,
    /// `MaxDatapoints`.
    pub max_datapoints: Option<i64>,
}

/// `PutMetricAlarm`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutMetricAlarm {
    /// `AlarmName`.
    pub alarm_name: Option<String>,
    /// `AlarmDescription`.
    pub alarm_description: Option<String>,
    /// `ActionsEnabled`.
    pub actions_enabled: Option<bool>,
    /// `OKActions`.
    #[serde(rename = "OKActions")]
    pub ok_actions: Option<Vec<String>>,
    /// `AlarmActions`.
    pub alarm_actions: Option<Vec<String>>,
    /// `InsufficientDataActions`.
    pub insufficient_data_actions: Option<Vec<String>>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `Statistic`.
    pub statistic: Option<String>,
    /// `ExtendedStatistic` (not served).
    pub extended_statistic: Option<String>,
    /// `Dimensions`.
    pub dimensions: Option<Vec<Dimension>>,
    /// `Period`.
    pub period: Option<i64>,
    /// `Unit`.
    pub unit: Option<String>,
    /// `EvaluationPeriods`.
    pub evaluation_periods: Option<i64>,
    /// `DatapointsToAlarm`.
    pub datapoints_to_alarm: Option<i64>,
    /// `Threshold`.
    pub threshold: Option<f64>,
    /// `ComparisonOperator`.
    pub comparison_operator: Option<String>,
    /// `TreatMissingData`.
    pub treat_missing_data: Option<String>,
    /// `Metrics` (metric math alarms, not served).
    pub metrics: Option<Vec<serde_json::Value>>,
    /// `ThresholdMetricId` (anomaly detection, not served).
    pub threshold_metric_id: Option<String>,
}

/// `DescribeAlarms`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAlarms {
    /// `AlarmNames`.
    pub alarm_names: Option<Vec<String>>,
    /// `AlarmNamePrefix`.
    pub alarm_name_prefix: Option<String>,
    /// `AlarmTypes`.
    pub alarm_types: Option<Vec<String>>,
    /// `StateValue`.
    pub state_value: Option<String>,
    /// `ActionPrefix`.
    pub action_prefix: Option<String>,
    /// `MaxRecords`.
    pub max_records: Option<i64>,
    /// `NextToken`.
    pub next_token: Option<String>,
}

/// `DeleteAlarms`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAlarms {
    /// `AlarmNames`.
    pub alarm_names: Option<Vec<String>>,
}

/// `DescribeAlarmHistory`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAlarmHistory {
    /// `AlarmName`.
    pub alarm_name: Option<String>,
    /// `AlarmTypes`.
    pub alarm_types: Option<Vec<String>>,
    /// `HistoryItemType`.
    pub history_item_type: Option<String>,
    /// `StartDate`.
    pub start_date: Option<f64>,
    /// `EndDate`.
    pub end_date: Option<f64>,
    /// `MaxRecords`.
    pub max_records: Option<i64>,
    /// `NextToken`.
    pub next_token: Option<String>,
    /// `ScanBy`.
    pub scan_by: Option<String>,
}

/// `SetAlarmState`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SetAlarmState {
    /// `AlarmName`.
    pub alarm_name: Option<String>,
    /// `StateValue`.
    pub state_value: Option<String>,
    /// `StateReason`.
    pub state_reason: Option<String>,
    /// `StateReasonData`.
    pub state_reason_data: Option<String>,
}
