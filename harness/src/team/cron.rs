//! The team's own cron: a backup command the team schedules itself (hourly
//! snapshots of the session store, exports of them to another region), run
//! by the drill at every whole multiple of its interval on the target's
//! clock while the traffic runs, as `cron` would run it at `0 * * * *`.
//!
//! ```toml
//! [policy]
//! base = "backup_hope"
//! [[policy.cron]]
//! every = "1h"                                  # at 00:00, 01:00, ... UTC
//! command = ["python3", "team/snapshot_sessions.py"]
//! name = "hourly session-store snapshot"        # optional, for the report
//! timeout = "5m"                                # optional (default 15m)
//! ```
//!
//! Each run gets the environment of every team command ([`super::CommandEnv`])
//! plus `FIREDRILL_SCHEDULED_AT`, the instant cron fired (RFC 3339), so a
//! script can name what it makes after its schedule rather than after the
//! wall clock. A run that fails is recorded in the history as a failed
//! backup and the drill goes on, as a real cron job fails quietly: what it
//! did not back up is what the recovery then lacks.

use super::{CommandSpec, Phase, failure_text, run_command};
use crate::model::Store;
use crate::scenario::Span;
use crate::target::Target;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The shortest interval a cron job may have (cron's own resolution).
pub const MIN_EVERY: Duration = Duration::minutes(1);

/// One `[[policy.cron]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CronJob {
    /// The interval: runs at every whole multiple of it since midnight UTC.
    pub every: Span,
    /// Program and arguments, run without a shell.
    pub command: Vec<String>,
    /// A title for the report (default: the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Killed after this long (default 15m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Span>,
}

impl CronJob {
    /// The command as a [`CommandSpec`] (run in the scenario's directory).
    pub fn spec(&self) -> CommandSpec {
        CommandSpec {
            command: self.command.clone(),
            timeout: self.timeout,
            name: self.name.clone(),
            dir: None,
        }
    }

    /// Checks the interval and the command; the message names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.every.0 < MIN_EVERY {
            anyhow::bail!("every must be at least 1m, got {}", String::from(self.every));
        }
        if Duration::days(1).num_seconds() % self.every.0.num_seconds() != 0 {
            anyhow::bail!(
                "every must divide a day (1m, 5m, 15m, 1h, 6h, 1d, ...), got {}",
                String::from(self.every)
            );
        }
        self.spec().validate()
    }

    /// Every instant it fires in `[from, to)`.
    pub fn runs(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let step = self.every.0.num_seconds().max(MIN_EVERY.num_seconds());
        let first = from.timestamp().div_euclid(step) * step;
        let first = if first < from.timestamp() {
            first + step
        } else {
            first
        };
        (0..100_000)
            .map(|n| first + n * step)
            .take_while(|t| *t < to.timestamp())
            .filter_map(|t| DateTime::from_timestamp(t, 0))
            .collect()
    }
}

/// Runs one firing of `spec` (scheduled at `at`); returns a line for the
/// history saying what it did or why it failed.
pub async fn run(target: &dyn Target, store: &Store, spec: &CommandSpec, at: DateTime<Utc>) -> String {
    let title = spec.title();
    match run_command(target, store, spec, None, Phase::Scheduled { at }).await {
        Ok((output, _env)) if output.exit.success() => {
            format!("the team's cron: {title} ({})", output.exit)
        }
        Ok((output, _env)) => format!("the team's cron FAILED: {title}: {}", failure_text(&output)),
        Err(e) => format!("the team's cron FAILED: {title}: {e:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(every: &str) -> CronJob {
        CronJob {
            every: Span(crate::scenario::parse_duration(every).unwrap()),
            command: vec!["python3".into(), "snap.py".into()],
            name: None,
            timeout: None,
        }
    }

    #[test]
    fn it_fires_on_whole_multiples_of_its_interval() {
        let from: DateTime<Utc> = "2026-03-16T14:50:00Z".parse().unwrap();
        let to: DateTime<Utc> = "2026-03-16T17:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            job("1h").runs(from, to),
            vec![at("2026-03-16T15:00:00Z"), at("2026-03-16T16:00:00Z")]
        );
        assert_eq!(job("15m").runs(from, from + Duration::minutes(31)).len(), 2);
        let on_the_hour = at("2026-03-16T15:00:00Z");
        assert_eq!(
            job("1h").runs(on_the_hour, on_the_hour + Duration::hours(1)),
            vec![on_the_hour]
        );
        assert!(job("1d").runs(from, to).is_empty());
    }

    #[test]
    fn intervals_must_be_cron_like() {
        assert!(job("1h").validate().is_ok());
        assert!(
            job("30s")
                .validate()
                .unwrap_err()
                .to_string()
                .contains("at least 1m")
        );
        assert!(
            job("7m")
                .validate()
                .unwrap_err()
                .to_string()
                .contains("divide a day")
        );
        let mut empty = job("1h");
        empty.command.clear();
        assert!(empty.validate().is_err());
    }
}
