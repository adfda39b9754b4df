//! Backup jobs that fail for days and the alarm that catches them: AWS
//! Backup's job outcomes reach CloudWatch as `AWS/Backup` metrics, an alarm
//! on `NumberOfBackupJobsFailed` goes to ALARM after its breaching periods
//! on the simulated clock, and its message reaches the SNS topic's inbox.

use aws_sdk_cloudwatch::primitives::DateTime as SdkTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use chrono::Duration;
use firedrill_emulator::{Emulator, EmulatorHandle};

const ROLE: &str = "arn:aws:iam::000000000000:role/backup";
const MISSING_TABLE: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/gone";

async fn start() -> EmulatorHandle {
    Emulator::builder()
        .simulated_clock("2026-03-14T00:00:00Z".parse().expect("an instant"))
        .start()
        .await
        .expect("emulator starts")
}

/// Starts a backup of a table that does not exist: the job fails.
async fn failing_backup(backup: &aws_sdk_backup::Client) -> String {
    let job = backup
        .start_backup_job()
        .backup_vault_name("prod")
        .resource_arn(MISSING_TABLE)
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect("StartBackupJob");
    let id = job.backup_job_id().expect("a job id").to_owned();
    let described = backup
        .describe_backup_job()
        .backup_job_id(&id)
        .send()
        .await
        .expect("DescribeBackupJob");
    assert_eq!(
        described.state().map(|s| s.as_str()),
        Some("FAILED"),
        "{described:?}"
    );
    id
}

#[tokio::test]
async fn a_failed_backup_job_is_counted_in_aws_backup_metrics() {
    let emulator = start().await;
    let sdk = emulator.sdk_config("us-east-1").await;
    let backup = aws_sdk_backup::Client::new(&sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    backup
        .create_backup_vault()
        .backup_vault_name("prod")
        .send()
        .await
        .expect("CreateBackupVault");
    let started = emulator.clock().now();
    failing_backup(&backup).await;
    emulator.advance(Duration::minutes(5)).await.expect("advance");

    let stats = |dims: Vec<Dimension>| {
        let cloudwatch = cloudwatch.clone();
        async move {
            cloudwatch
                .get_metric_statistics()
                .namespace("AWS/Backup")
                .metric_name("NumberOfBackupJobsFailed")
                .set_dimensions(Some(dims))
                .start_time(SdkTime::from_millis(
                    (started - Duration::hours(1)).timestamp_millis(),
                ))
                .end_time(SdkTime::from_millis(
                    (started + Duration::hours(1)).timestamp_millis(),
                ))
                .period(3600)
                .statistics(Statistic::Sum)
                .send()
                .await
                .expect("GetMetricStatistics")
                .datapoints()
                .iter()
                .filter_map(|d| d.sum())
                .sum::<f64>()
        }
    };
    assert_eq!(
        stats(vec![]).await,
        1.0,
        "the failure is counted across all resources"
    );
    let vault = Dimension::builder().name("BackupVaultName").value("prod").build();
    assert_eq!(stats(vec![vault]).await, 1.0, "and by vault");
    let kind = Dimension::builder()
        .name("ResourceType")
        .value("DynamoDB")
        .build();
    assert_eq!(stats(vec![kind]).await, 1.0, "and by resource type");

    emulator.advance(Duration::minutes(5)).await.expect("advance");
    assert_eq!(
        stats(vec![]).await,
        1.0,
        "a job is counted once, however many ticks see it"
    );
    let listed = cloudwatch
        .list_metrics()
        .namespace("AWS/Backup")
        .metric_name("NumberOfBackupJobsFailed")
        .send()
        .await
        .expect("ListMetrics");
    assert_eq!(
        listed.metrics().len(),
        4,
        "no dimension, by type, by vault, by both"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn three_hours_of_failed_backups_raise_the_alarm_and_reach_the_topic() {
    let emulator = start().await;
    let sdk = emulator.sdk_config("us-east-1").await;
    let backup = aws_sdk_backup::Client::new(&sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    let sns = aws_sdk_sns::Client::new(&sdk);
    backup
        .create_backup_vault()
        .backup_vault_name("prod")
        .send()
        .await
        .expect("CreateBackupVault");
    let topic = sns
        .create_topic()
        .name("backup-alerts")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("an ARN")
        .to_owned();
    cloudwatch
        .put_metric_alarm()
        .alarm_name("backups-failing")
        .namespace("AWS/Backup")
        .metric_name("NumberOfBackupJobsFailed")
        .statistic(Statistic::Sum)
        .period(3600)
        .evaluation_periods(3)
        .datapoints_to_alarm(3)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .alarm_actions(&topic)
        .send()
        .await
        .expect("PutMetricAlarm");
    let state = || {
        let cloudwatch = cloudwatch.clone();
        async move {
            cloudwatch
                .describe_alarms()
                .alarm_names("backups-failing")
                .send()
                .await
                .expect("DescribeAlarms")
                .metric_alarms()[0]
                .state_value()
                .cloned()
        }
    };

    for hour in 0..2 {
        failing_backup(&backup).await;
        emulator.advance(Duration::hours(1)).await.expect("advance");
        assert_eq!(
            state().await,
            Some(StateValue::Ok),
            "after {} failed hour(s) the alarm waits",
            hour + 1
        );
    }
    assert!(
        emulator
            .admin()
            .sns_messages("backup-alerts")
            .await
            .expect("the inbox")
            .is_empty()
    );

    failing_backup(&backup).await;
    let third = emulator.clock().now();
    emulator.advance(Duration::minutes(10)).await.expect("advance");
    assert_eq!(
        state().await,
        Some(StateValue::Alarm),
        "the third failed hour raises it"
    );

    let messages = emulator
        .admin()
        .sns_messages("backup-alerts")
        .await
        .expect("the inbox");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        messages[0].subject.as_deref(),
        Some("ALARM: \"backups-failing\" in US East (N. Virginia)")
    );
    let alarm: serde_json::Value = serde_json::from_str(&messages[0].message).expect("the message is JSON");
    assert_eq!(alarm["AlarmName"], "backups-failing");
    assert_eq!(alarm["NewStateValue"], "ALARM");
    assert_eq!(alarm["Trigger"]["Namespace"], "AWS/Backup");
    assert_eq!(alarm["Trigger"]["MetricName"], "NumberOfBackupJobsFailed");
    let changed: chrono::DateTime<chrono::Utc> = chrono::DateTime::parse_from_str(
        alarm["StateChangeTime"].as_str().expect("a time"),
        "%Y-%m-%dT%H:%M:%S%.3f%z",
    )
    .expect("AWS's time form")
    .into();
    assert!(
        changed > third && changed <= third + Duration::minutes(1),
        "the alarm fired the minute after the third failure ({changed}, failure at {third})"
    );
    emulator.shutdown().await;
}
