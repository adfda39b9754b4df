//! CloudWatch through `aws-sdk-cloudwatch` over HTTP (Smithy RPC v2 CBOR):
//! metric statistics, alarms going ALARM on the simulated clock with their
//! history and actions, and AWS's errors for refused requests.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime as SdkTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, DimensionFilter, HistoryItemType, Metric, MetricDataQuery, MetricDatum,
    MetricStat, ScanBy, StandardUnit, StateValue, Statistic, StatisticSet,
};
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_cloudwatch::{AlarmNotifier, CloudWatch};
use firedrill_emu_core::AwsService;
use firedrill_emu_core::testing::TestServer;
use parking_lot::Mutex;
use std::sync::Arc;

/// Every message an alarm action published.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<(String, String, String)>>);

impl AlarmNotifier for Recorder {
    fn publish(&self, topic_arn: &str, subject: &str, message: &str) -> Result<String, String> {
        self.0
            .lock()
            .push((topic_arn.to_owned(), subject.to_owned(), message.to_owned()));
        Ok("message-id".to_owned())
    }
}

async fn start() -> (TestServer, Client, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let notifier = recorder.clone();
    let server = TestServer::start(move |env| {
        let cw = CloudWatch::new(env);
        cw.engine().set_notifier(notifier);
        vec![cw as Arc<dyn AwsService>]
    })
    .await;
    let client = Client::new(&server.sdk_config("us-east-1").await);
    (server, client, recorder)
}

fn sdk_time(t: DateTime<Utc>) -> SdkTime {
    SdkTime::from_millis(t.timestamp_millis())
}

fn dim(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

fn datum(value: f64, at: DateTime<Utc>) -> MetricDatum {
    MetricDatum::builder()
        .metric_name("OrdersFailed")
        .dimensions(dim("Service", "checkout"))
        .value(value)
        .unit(StandardUnit::Count)
        .timestamp(sdk_time(at))
        .build()
}

#[tokio::test]
async fn statistics_add_up_the_samples_of_each_period() {
    let (server, client, _) = start().await;
    let now = server.env().now();
    let minute = now - Duration::minutes(10);
    let base = firedrill_emu_cloudwatch::engine::metrics::floor_to(minute, 60);
    client
        .put_metric_data()
        .namespace("Shop")
        .metric_data(datum(2.0, base + Duration::seconds(5)))
        .metric_data(datum(6.0, base + Duration::seconds(30)))
        .metric_data(datum(10.0, base + Duration::seconds(65)))
        .metric_data(
            MetricDatum::builder()
                .metric_name("OrdersFailed")
                .dimensions(dim("Service", "checkout"))
                .statistic_values(
                    StatisticSet::builder()
                        .sample_count(2.0)
                        .sum(3.0)
                        .minimum(1.0)
                        .maximum(2.0)
                        .build(),
                )
                .unit(StandardUnit::Count)
                .timestamp(sdk_time(base + Duration::seconds(70)))
                .build(),
        )
        .send()
        .await
        .expect("PutMetricData");
    let stats = client
        .get_metric_statistics()
        .namespace("Shop")
        .metric_name("OrdersFailed")
        .dimensions(dim("Service", "checkout"))
        .start_time(sdk_time(base))
        .end_time(sdk_time(base + Duration::minutes(3)))
        .period(60)
        .statistics(Statistic::Sum)
        .statistics(Statistic::Average)
        .statistics(Statistic::SampleCount)
        .statistics(Statistic::Minimum)
        .statistics(Statistic::Maximum)
        .send()
        .await
        .expect("GetMetricStatistics");
    let mut points = stats.datapoints().to_vec();
    points.sort_by_key(|p| p.timestamp().map(|t| t.secs()));
    assert_eq!(points.len(), 2, "two minutes hold samples: {points:?}");
    let first = &points[0];
    assert_eq!(first.timestamp().map(|t| t.secs()), Some(base.timestamp()));
    assert_eq!(first.sum(), Some(8.0));
    assert_eq!(first.average(), Some(4.0));
    assert_eq!(first.sample_count(), Some(2.0));
    assert_eq!(first.minimum(), Some(2.0));
    assert_eq!(first.maximum(), Some(6.0));
    assert_eq!(first.unit(), Some(&StandardUnit::Count));
    let second = &points[1];
    assert_eq!(second.sum(), Some(13.0));
    assert_eq!(second.sample_count(), Some(3.0));
    assert_eq!(second.minimum(), Some(1.0));
    assert_eq!(second.maximum(), Some(10.0));

    let data = client
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("failed")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("Shop")
                                .metric_name("OrdersFailed")
                                .dimensions(dim("Service", "checkout"))
                                .build(),
                        )
                        .period(120)
                        .stat("Sum")
                        .build(),
                )
                .build(),
        )
        .start_time(sdk_time(base))
        .end_time(sdk_time(base + Duration::minutes(4)))
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .expect("GetMetricData");
    let result = &data.metric_data_results()[0];
    assert_eq!(result.id(), Some("failed"));
    assert_eq!(result.values(), &[21.0]);
    assert_eq!(result.timestamps().len(), 1);

    let listed = client
        .list_metrics()
        .namespace("Shop")
        .dimensions(DimensionFilter::builder().name("Service").build())
        .send()
        .await
        .expect("ListMetrics");
    assert_eq!(listed.metrics().len(), 1);
    assert_eq!(listed.metrics()[0].metric_name(), Some("OrdersFailed"));
    let none = client
        .list_metrics()
        .dimensions(DimensionFilter::builder().name("Service").value("search").build())
        .send()
        .await
        .expect("ListMetrics");
    assert!(none.metrics().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn an_alarm_goes_to_alarm_after_its_breaching_periods_and_runs_its_actions() {
    let (server, client, recorder) = start().await;
    let topic = "arn:aws:sns:us-east-1:000000000000:backup-alerts";
    client
        .put_metric_alarm()
        .alarm_name("orders-failing")
        .namespace("Shop")
        .metric_name("OrdersFailed")
        .dimensions(dim("Service", "checkout"))
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .alarm_actions(topic)
        .ok_actions(topic)
        .send()
        .await
        .expect("PutMetricAlarm");
    let state = |c: Client| async move {
        let alarms = c
            .describe_alarms()
            .alarm_names("orders-failing")
            .send()
            .await
            .expect("DescribeAlarms");
        alarms.metric_alarms()[0].state_value().cloned()
    };
    assert_eq!(state(client.clone()).await, Some(StateValue::InsufficientData));

    // Quiet periods: missing data is not breaching, so the alarm is OK.
    server.advance(Duration::minutes(5)).await;
    assert_eq!(state(client.clone()).await, Some(StateValue::Ok));
    assert_eq!(recorder.0.lock().len(), 1, "the OK action ran");

    // One failure in a period: one of the two datapoints needed.
    client
        .put_metric_data()
        .namespace("Shop")
        .metric_data(datum(1.0, server.env().now()))
        .send()
        .await
        .expect("PutMetricData");
    server.advance(Duration::minutes(5)).await;
    assert_eq!(state(client.clone()).await, Some(StateValue::Ok));

    // A second breaching period: 2 out of 3, ALARM.
    client
        .put_metric_data()
        .namespace("Shop")
        .metric_data(datum(4.0, server.env().now()))
        .send()
        .await
        .expect("PutMetricData");
    let before = server.env().now();
    server.advance(Duration::minutes(5)).await;
    let alarms = client
        .describe_alarms()
        .state_value(StateValue::Alarm)
        .send()
        .await
        .expect("DescribeAlarms");
    assert_eq!(alarms.metric_alarms().len(), 1, "the alarm is in ALARM");
    let alarm = &alarms.metric_alarms()[0];
    let reason = alarm.state_reason().unwrap_or_default();
    assert!(
        reason.starts_with("Threshold Crossed: 2 out of the last 3 datapoints"),
        "{reason}"
    );
    let changed = alarm.state_transitioned_timestamp().expect("a transition time");
    assert!(
        changed.secs() > before.timestamp(),
        "it went ALARM after the second breaching datapoint"
    );

    let sent = recorder.0.lock().clone();
    assert_eq!(sent.len(), 2);
    let (to, subject, message) = &sent[1];
    assert_eq!(to, topic);
    assert_eq!(subject, "ALARM: \"orders-failing\" in US East (N. Virginia)");
    let message: serde_json::Value = serde_json::from_str(message).expect("the message is JSON");
    assert_eq!(message["NewStateValue"], "ALARM");
    assert_eq!(message["OldStateValue"], "OK");
    assert_eq!(message["AlarmName"], "orders-failing");
    assert_eq!(message["Trigger"]["MetricName"], "OrdersFailed");
    assert_eq!(message["Trigger"]["Statistic"], "SUM");

    let history = client
        .describe_alarm_history()
        .alarm_name("orders-failing")
        .history_item_type(HistoryItemType::StateUpdate)
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .expect("DescribeAlarmHistory");
    let summaries: Vec<_> = history
        .alarm_history_items()
        .iter()
        .filter_map(|h| h.history_summary())
        .collect();
    assert_eq!(
        summaries,
        [
            "Alarm updated from INSUFFICIENT_DATA to OK",
            "Alarm updated from OK to ALARM"
        ]
    );
    let actions = client
        .describe_alarm_history()
        .alarm_name("orders-failing")
        .history_item_type(HistoryItemType::Action)
        .send()
        .await
        .expect("DescribeAlarmHistory");
    assert_eq!(actions.alarm_history_items().len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_clock_jump_catches_up_every_minute_of_evaluation() {
    let (server, client, recorder) = start().await;
    client
        .put_metric_alarm()
        .alarm_name("quiet")
        .namespace("Shop")
        .metric_name("OrdersFailed")
        .statistic(Statistic::Sum)
        .period(3600)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions("arn:aws:sns:us-east-1:000000000000:t")
        .send()
        .await
        .expect("PutMetricAlarm");
    let start = server.env().now();
    client
        .put_metric_data()
        .namespace("Shop")
        .metric_data(
            MetricDatum::builder()
                .metric_name("OrdersFailed")
                .value(3.0)
                .timestamp(sdk_time(start + Duration::minutes(90)))
                .build(),
        )
        .send()
        .await
        .expect("a sample an hour and a half ahead");
    server.advance(Duration::hours(5)).await;
    let history = client
        .describe_alarm_history()
        .alarm_name("quiet")
        .history_item_type(HistoryItemType::StateUpdate)
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .expect("DescribeAlarmHistory");
    let items = history.alarm_history_items();
    let to_alarm = items
        .iter()
        .find(|h| h.history_summary().is_some_and(|s| s.ends_with("to ALARM")))
        .expect("the alarm fired during the jump");
    let fired = to_alarm.timestamp().expect("a timestamp").secs();
    let sample = (start + Duration::minutes(90)).timestamp();
    assert!(
        fired > sample && fired <= sample + 60,
        "it fired the minute after the sample, not at the end of the jump"
    );
    assert!(
        items.last().and_then(|h| h.history_summary())
            == Some("Alarm updated from ALARM to INSUFFICIENT_DATA"),
        "once the sample left the hour, the data was missing again: {items:?}"
    );
    assert_eq!(
        recorder.0.lock().len(),
        1,
        "only the ALARM transition has an action"
    );
    server.stop().await;
}

#[tokio::test]
async fn refused_requests_answer_cloudwatchs_errors_and_change_nothing() {
    let (server, client, _) = start().await;
    let err = client
        .put_metric_data()
        .namespace("AWS/Backup")
        .metric_data(datum(1.0, server.env().now()))
        .send()
        .await
        .expect_err("AWS/ is reserved");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("InvalidParameterValue")
    );

    let err = client
        .get_metric_statistics()
        .namespace("Shop")
        .metric_name("OrdersFailed")
        .start_time(sdk_time(server.env().now() - Duration::hours(1)))
        .end_time(sdk_time(server.env().now()))
        .period(60)
        .send()
        .await
        .expect_err("no statistic");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("InvalidParameterCombination")
    );

    let err = client
        .put_metric_alarm()
        .alarm_name("half")
        .namespace("Shop")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect_err("no metric name");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("MissingParameter")
    );

    let err = client
        .set_alarm_state()
        .alarm_name("nobody")
        .state_value(StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .expect_err("no such alarm");
    assert!(
        err.as_service_error().is_some_and(|e| e.is_resource_not_found()),
        "{err:?}"
    );

    let err = client
        .delete_alarms()
        .alarm_names("nobody")
        .send()
        .await
        .expect_err("no such alarm");
    assert!(
        err.as_service_error().is_some_and(|e| e.is_resource_not_found()),
        "{err:?}"
    );

    let err = client
        .describe_alarms()
        .next_token("garbage")
        .send()
        .await
        .expect_err("a token we never gave");
    assert!(
        err.as_service_error().is_some_and(|e| e.is_invalid_next_token()),
        "{err:?}"
    );

    let alarms = client.describe_alarms().send().await.expect("DescribeAlarms");
    assert!(alarms.metric_alarms().is_empty(), "nothing refused was stored");
    let metrics = client.list_metrics().send().await.expect("ListMetrics");
    assert!(metrics.metrics().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn set_alarm_state_runs_the_actions_of_the_new_state() {
    let (server, client, recorder) = start().await;
    client
        .put_metric_alarm()
        .alarm_name("manual")
        .namespace("Shop")
        .metric_name("OrdersFailed")
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .alarm_actions("arn:aws:sns:us-east-1:000000000000:t")
        .send()
        .await
        .expect("PutMetricAlarm");
    client
        .set_alarm_state()
        .alarm_name("manual")
        .state_value(StateValue::Alarm)
        .state_reason("testing the pager")
        .send()
        .await
        .expect("SetAlarmState");
    let alarms = client.describe_alarms().send().await.expect("DescribeAlarms");
    assert_eq!(alarms.metric_alarms()[0].state_value(), Some(&StateValue::Alarm));
    assert_eq!(
        alarms.metric_alarms()[0].state_reason(),
        Some("testing the pager")
    );
    assert_eq!(recorder.0.lock().len(), 1);
    client
        .delete_alarms()
        .alarm_names("manual")
        .send()
        .await
        .expect("DeleteAlarms");
    let alarms = client.describe_alarms().send().await.expect("DescribeAlarms");
    assert!(alarms.metric_alarms().is_empty());
    server.stop().await;
}
