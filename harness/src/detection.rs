//! Detection: whether anyone could have known the backups were failing.
//!
//! A backup that silently fails for a week is found on the day it is
//! needed. The design's answer is a CloudWatch alarm on AWS Backup's
//! `NumberOfBackupJobsFailed` with an action to an SNS topic someone reads
//! (a policy's [`crate::policy::AlarmPolicy`]). [`read`] asks the target,
//! through the SDKs, what happened before the incident: the AWS Backup jobs
//! that failed (`ListBackupJobs` with `ByState FAILED`), when the alarm went
//! to ALARM (`DescribeAlarmHistory`, `StateUpdate` items) and, where the
//! target can show it, what reached the topic (the emulator's SNS inbox).
//! The rest is pure: [`first_alarm`] picks the first transition to ALARM at
//! or after the first failure, [`Detection::sentence`] says it in the
//! report ("alarm X fired at T (detection delay D after the first failed
//! job)" or "no alarm fired: the backups failed silently for N days"), and
//! [`evaluate`] holds it against a scenario's `alarm_fired` and
//! `detection_at_most`.

use crate::model::{Store, smithy_to_chrono};
use crate::policy::BackupPolicy;
use crate::scenario::{Expectation, format_duration, format_seconds};
use crate::target::Target;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the drill found out about the backups' failures and their alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The alarm the policy put on the backups, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<String>,
    /// The SNS topic its action notifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// AWS Backup jobs that failed between the start of traffic and the incident.
    pub failed_jobs: u64,
    /// When the first of them failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failed_job: Option<DateTime<Utc>>,
    /// Why it failed (its `StatusMessage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failure_message: Option<String>,
    /// When the alarm first went to ALARM at or after the first failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fired_at: Option<DateTime<Utc>>,
    /// Seconds from the first failed job to the alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<f64>,
    /// Alarm messages that reached the topic, when the target shows its
    /// deliveries (`None` elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<u64>,
    /// The incident: the first destructive fault's instant.
    pub incident_at: DateTime<Utc>,
    /// When the team fixed the cause after the alarm, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_at: Option<DateTime<Utc>>,
}

impl Detection {
    /// Whether the alarm fired.
    pub fn fired(&self) -> bool {
        self.fired_at.is_some()
    }

    /// The report's line.
    pub fn sentence(&self) -> String {
        match (&self.alarm, self.fired_at, self.first_failed_job) {
            (Some(alarm), Some(at), first) => {
                let mut s = format!("alarm {alarm} fired at {}", at.to_rfc3339());
                if let (Some(d), Some(first)) = (self.delay_seconds, first) {
                    s.push_str(&format!(
                        " (detection delay {} after the first failed job at {})",
                        format_seconds(d),
                        first.to_rfc3339()
                    ));
                }
                if let (Some(n), Some(topic)) = (self.notifications, &self.topic) {
                    s.push_str(&format!(
                        "; {n} alarm message{} reached topic {topic}",
                        if n == 1 { "" } else { "s" }
                    ));
                }
                if let Some(fixed) = self.fixed_at {
                    s.push_str(&format!("; the cause was fixed at {}", fixed.to_rfc3339()));
                }
                s
            }
            (alarm, _, Some(first)) => {
                let span = (self.incident_at - first).num_seconds().max(0) as f64;
                format!(
                    "no alarm fired: the backups failed silently for {:.1} days ({} failed jobs from {} until the incident at {}{})",
                    span / 86_400.0,
                    self.failed_jobs,
                    first.to_rfc3339(),
                    self.incident_at.to_rfc3339(),
                    match alarm {
                        Some(a) => format!("; alarm {a} stayed quiet"),
                        None => "; the policy has no alarm on them".to_owned(),
                    }
                )
            }
            (Some(alarm), None, None) => {
                format!("no backup job failed before the incident; alarm {alarm} stayed quiet")
            }
            (None, _, None) => "no backup job failed before the incident".to_owned(),
        }
    }
}

/// The first `StateUpdate` to ALARM at or after `after` (each item is its
/// timestamp and `HistorySummary`, "Alarm updated from OK to ALARM").
pub fn first_alarm(items: &[(DateTime<Utc>, String)], after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    items
        .iter()
        .filter(|(at, summary)| *at >= after && summary.ends_with(" to ALARM"))
        .map(|(at, _)| *at)
        .min()
}

/// Reads what happened to the backups between `since` and `incident_at`,
/// in the store's region. `fixed_at` is when the drill repaired the cause.
pub async fn read(
    target: &dyn Target,
    store: &Store,
    policy: &BackupPolicy,
    since: DateTime<Utc>,
    incident_at: DateTime<Utc>,
    fixed_at: Option<DateTime<Utc>>,
) -> anyhow::Result<Detection> {
    let clients = store.clients(target);
    let jobs: Vec<_> = clients
        .backup
        .list_backup_jobs()
        .by_state(aws_sdk_backup::types::BackupJobState::Failed)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("ListBackupJobs ByState=FAILED")?;
    let mut failed: Vec<(DateTime<Utc>, Option<String>)> = jobs
        .into_iter()
        .filter_map(|j| {
            let at = j.creation_date.and_then(smithy_to_chrono)?;
            (at >= since && at < incident_at).then_some((at, j.status_message))
        })
        .collect();
    failed.sort_by_key(|(at, _)| *at);
    let first = failed.first().cloned();
    let (alarm, topic) = match &policy.alarm {
        Some(_) => (Some(store.names.backup_alarm()), Some(store.names.alarm_topic())),
        None => (None, None),
    };
    let mut fired_at = None;
    let mut notifications = None;
    if let (Some(alarm), Some(topic)) = (&alarm, &topic) {
        let items = alarm_history(&clients.cloudwatch, alarm).await?;
        fired_at =
            first_alarm(&items, first.as_ref().map_or(since, |(at, _)| *at)).filter(|at| *at < incident_at);
        notifications = target.notifications(topic).await?.map(|messages| {
            messages
                .iter()
                .filter(|m| {
                    serde_json::from_str::<serde_json::Value>(m)
                        .is_ok_and(|v| v["NewStateValue"] == "ALARM" && v["AlarmName"] == alarm.as_str())
                })
                .count() as u64
        });
    }
    let delay_seconds = match (fired_at, &first) {
        (Some(f), Some((at, _))) => Some((f - *at).num_milliseconds() as f64 / 1000.0),
        _ => None,
    };
    Ok(Detection {
        alarm,
        topic,
        failed_jobs: failed.len() as u64,
        first_failed_job: first.as_ref().map(|(at, _)| *at),
        first_failure_message: first.and_then(|(_, m)| m),
        fired_at,
        delay_seconds,
        notifications,
        incident_at,
        fixed_at,
    })
}

/// The alarm's state updates: each one's timestamp and summary.
pub async fn alarm_history(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    alarm: &str,
) -> anyhow::Result<Vec<(DateTime<Utc>, String)>> {
    let items: Vec<_> = cloudwatch
        .describe_alarm_history()
        .alarm_name(alarm)
        .history_item_type(aws_sdk_cloudwatch::types::HistoryItemType::StateUpdate)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("DescribeAlarmHistory {alarm}"))?;
    Ok(items
        .into_iter()
        .filter_map(|i| {
            let at = i.timestamp.and_then(smithy_to_chrono)?;
            Some((at, i.history_summary.unwrap_or_default()))
        })
        .collect())
}

/// Whether the detection meets the scenario's `alarm_fired` and
/// `detection_at_most`; the reasons say why (pure). Nothing to check when
/// the scenario asks neither.
pub fn evaluate(expect: &Expectation, detection: Option<&Detection>) -> (bool, Vec<String>) {
    let mut reasons = Vec::new();
    if expect.alarm_fired.is_none() && expect.detection_at_most.is_none() {
        return (true, reasons);
    }
    let Some(d) = detection else {
        reasons.push("the drill could not tell whether an alarm fired".into());
        return (false, reasons);
    };
    let mut ok = true;
    if let Some(want) = expect.alarm_fired {
        if d.fired() == want {
            reasons.push(format!(
                "{}, as expected",
                if want { "the alarm fired" } else { "no alarm fired" }
            ));
        } else {
            ok = false;
            reasons.push(if want {
                "no alarm fired, but the scenario expects one".to_owned()
            } else {
                "an alarm fired, but the scenario expects none".to_owned()
            });
        }
    }
    if let Some(limit) = expect.detection_at_most {
        match d.delay_seconds {
            Some(s) if s <= limit.0.num_seconds() as f64 => reasons.push(format!(
                "detection delay {} within {}",
                format_seconds(s),
                format_duration(limit.0)
            )),
            Some(s) => {
                ok = false;
                reasons.push(format!(
                    "detection delay {} exceeds {}",
                    format_seconds(s),
                    format_duration(limit.0)
                ));
            }
            None => {
                ok = false;
                reasons.push(format!(
                    "nothing detected the failures, expected within {}",
                    format_duration(limit.0)
                ));
            }
        }
    }
    (ok, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Span;
    use chrono::Duration;

    fn t(h: i64) -> DateTime<Utc> {
        "2026-03-16T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(h)
    }

    fn detection(fired_at: Option<DateTime<Utc>>) -> Detection {
        Detection {
            alarm: Some("shop-backup-jobs-failed".into()),
            topic: Some("shop-backup-alerts".into()),
            failed_jobs: 138,
            first_failed_job: Some(t(2)),
            first_failure_message: Some("retention too short".into()),
            fired_at,
            delay_seconds: fired_at.map(|f| (f - t(2)).num_seconds() as f64),
            notifications: Some(1),
            incident_at: t(24 * 6 + 14),
            fixed_at: None,
        }
    }

    #[test]
    fn the_first_transition_to_alarm_after_the_failure_is_the_detection() {
        let items = vec![
            (t(0), "Alarm updated from INSUFFICIENT_DATA to OK".to_owned()),
            (t(1), "Alarm updated from OK to ALARM".to_owned()),
            (t(2), "Alarm updated from ALARM to OK".to_owned()),
            (t(4), "Alarm updated from OK to ALARM".to_owned()),
            (t(3), "Alarm updated from OK to ALARM".to_owned()),
        ];
        assert_eq!(
            first_alarm(&items, t(2)),
            Some(t(3)),
            "an earlier alarm is not this one"
        );
        assert_eq!(first_alarm(&items, t(5)), None);
        assert_eq!(first_alarm(&items[..1], t(0)), None, "OK is not ALARM");
    }

    #[test]
    fn the_sentences_say_when_or_for_how_long() {
        let fired = detection(Some(t(2) + Duration::minutes(1)));
        let s = fired.sentence();
        assert!(
            s.starts_with("alarm shop-backup-jobs-failed fired at 2026-03-16T02:01:00+00:00 (detection delay 1m after the first failed job at 2026-03-16T02:00:00+00:00)"),
            "{s}"
        );
        assert!(
            s.contains("1 alarm message reached topic shop-backup-alerts"),
            "{s}"
        );
        let silent = detection(None).sentence();
        assert!(
            silent.starts_with("no alarm fired: the backups failed silently for 6.5 days (138 failed jobs"),
            "{silent}"
        );
        assert!(
            silent.ends_with("alarm shop-backup-jobs-failed stayed quiet)"),
            "{silent}"
        );
        let mut unwatched = detection(None);
        unwatched.alarm = None;
        assert!(unwatched.sentence().contains("the policy has no alarm"));
    }

    #[test]
    fn expectations_on_the_alarm_can_fail() {
        let mut e = Expectation::of(crate::scenario::Outcome::Recovered);
        assert_eq!(
            evaluate(&e, None),
            (true, vec![]),
            "nothing asked, nothing checked"
        );
        e.alarm_fired = Some(true);
        e.detection_at_most = Some(Span(Duration::hours(2)));
        let fired = detection(Some(t(3)));
        let (ok, why) = evaluate(&e, Some(&fired));
        assert!(ok, "{why:?}");
        assert!(why.iter().any(|w| w == "detection delay 1h within 2h"), "{why:?}");
        let late = detection(Some(t(5)));
        let (ok, why) = evaluate(&e, Some(&late));
        assert!(!ok && why.iter().any(|w| w.contains("exceeds 2h")), "{why:?}");
        let (ok, why) = evaluate(&e, Some(&detection(None)));
        assert!(
            !ok && why.iter().any(|w| w.contains("no alarm fired, but")),
            "{why:?}"
        );
        e.alarm_fired = Some(false);
        e.detection_at_most = None;
        assert!(evaluate(&e, Some(&detection(None))).0);
        assert!(!evaluate(&e, Some(&fired)).0);
        assert!(!evaluate(&e, None).0, "asked but unknown fails");
    }
}
