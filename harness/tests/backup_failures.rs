//! The backup that silently failed, end to end on the embedded emulator:
//! the two shipped stories, two days and a half of traffic each.
//!
//! A Vault Lock with a 7-day minimum retention fails every hourly AWS
//! Backup job from day 1. Under `four_layer_alarmed` the CloudWatch alarm on
//! `NumberOfBackupJobsFailed` fires a minute after the first failed job, its
//! message reaches the SNS topic, the team raises the rule's retention, and
//! the day-3 region outage fails over to a copy from the last hour. Under
//! `four_layer` nothing fires, the failures go on for two days, and the
//! failover finds only the morning's daily copy: over twelve hours lost.

#[path = "support/drills.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod drills;

use chrono::Duration;
use firedrill::checker::Verdict;
use firedrill::history::EventKind;

fn prerequisites() -> bool {
    let ok = drills::postgres_installed();
    if !ok {
        eprintln!("SKIPPED: PostgreSQL server binaries are not installed (the store has an RDS layer)");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alarm_catches_the_failing_backups_and_the_outage_loses_at_most_the_last_hour() {
    if !prerequisites() {
        return;
    }
    let r = drills::play("backup-failures-caught-by-alarm.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    let d = r.detection.as_ref().expect("the drill reads the alarm");
    let drift = &r.faults[0];
    assert_eq!(drift.fault, "backup_job_failures(vault_lock_retention)", "{text}");
    assert!(drift.detail.contains("hourly (2 days)"), "{text}");

    // The first hourly job after the lock fails, with AWS's message.
    let first = d.first_failed_job.expect("a job failed");
    assert!(
        first > drift.struck_at && first <= drift.struck_at + Duration::hours(1),
        "{text}"
    );
    assert!(
        d.first_failure_message
            .as_deref()
            .is_some_and(|m| m.contains("shorter than the minimum retention period (7 days)")),
        "{d:?}"
    );
    // The alarm fires the minute after, and its message reaches the topic.
    let fired = d.fired_at.expect("the alarm fired");
    assert!(fired > first && fired <= first + Duration::minutes(2), "{text}");
    assert!(d.delay_seconds.is_some_and(|s| s > 0.0 && s <= 120.0), "{d:?}");
    assert_eq!(d.notifications, Some(1), "{d:?}");
    let line = format!(
        "alarm {} fired at {}",
        d.alarm.as_deref().unwrap_or(""),
        fired.to_rfc3339()
    );
    assert!(
        text.contains(&format!("detection: {line} (detection delay ")),
        "{text}"
    );
    assert!(
        r.to_markdown().contains("## Detection"),
        "the Markdown has the section"
    );
    assert!(
        r.to_html().contains("id=\"detection\""),
        "the HTML has the section"
    );
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("JSON");
    assert_eq!(json["detection"]["fired_at"], serde_json::json!(fired), "{json}");

    // The team fixed the rule once it saw the alarm, within the hour.
    let fixed = drift.fixed_at.expect("the fix was applied");
    assert!(fixed >= fired && fixed <= fired + Duration::hours(1), "{text}");
    assert!(
        drift
            .fix_detail
            .as_deref()
            .is_some_and(|f| f.contains("hourly (2 days) now kept 7 days")),
        "{text}"
    );
    assert!(
        r.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Config { detail } if detail.starts_with("backup fix:"))),
        "the fix is on the timeline"
    );
    // Only that first hour failed: the failures stopped with the fix.
    assert!(d.failed_jobs > 0 && d.failed_jobs <= 8, "{d:?}");

    // The outage fails over to a copy from the last hour.
    assert!(r.check.rpo.seconds <= 3600.0, "{text}");
    assert!(r.check.verdict != Verdict::Unknown, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_alarm_the_backups_fail_silently_for_days_and_the_outage_loses_half_a_day() {
    if !prerequisites() {
        return;
    }
    let r = drills::play("backup-failures-unnoticed.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    let d = r.detection.as_ref().expect("the drill reads the backup jobs");
    assert!(d.alarm.is_none() && d.fired_at.is_none(), "{d:?}");
    let first = d.first_failed_job.expect("jobs failed");
    let silent = d.incident_at - first;
    assert!(silent > Duration::days(2), "{text}");
    // Two days of hourly runs failed, six resources each; only the 03:00
    // daily landed.
    assert!(d.failed_jobs >= 2 * 22 * 6, "{d:?}");
    assert!(r.faults[0].fixed_at.is_none(), "nothing told the team: {text}");
    assert!(
        text.contains("detection: no alarm fired: the backups failed silently for 2."),
        "{text}"
    );
    assert_eq!(r.check.verdict, Verdict::Invalid, "{text}");
    assert!(r.check.rpo.records_lost > 0, "{text}");
    assert!(r.check.rpo.seconds >= 12.0 * 3600.0, "{text}");
}
