//! The restore-time model seen from a drill: waiting for modelled
//! operations without paying for them in wall time, and the band of the
//! drill's RTO.
//!
//! On the `aws` preset an emulated restore takes as long on the emulator
//! clock as the model says AWS would (20 minutes and more for a DynamoDB
//! point-in-time restore). A simulated clock lets a drill spend those
//! minutes in milliseconds, so:
//!
//! - firedrill's own waits ([`crate::wait::wait_for`]) jump the clock to
//!   the earliest pending operation's completion instead of creeping ten
//!   seconds a poll ([`next_completion`]);
//! - while a team's command runs, [`while_running`] does the same, but stops
//!   [`COMMAND_TAIL`] short of each completion: the last seconds pass at
//!   wall rate, so a runbook that re-points the application without waiting
//!   still finds the resource `CREATING`, exactly as it would on AWS;
//! - the drill's RTO on the target clock therefore contains the modelled
//!   durations, and [`band`] gives its low and high ends from the model's
//!   bands, together with the model's name for the report;
//! - background work a recovery does not wait for (AWS Backup's scheduled
//!   copy jobs) is left out of both;
//! - a rollback the harness performs as many requests (S3's per-key copies
//!   and deletes) is served by the emulator in milliseconds, which no AWS
//!   account matches: [`wait_client_operation`] has the target's model time
//!   it for its request count and bytes (`s3-object-rollback`, at S3's
//!   documented request rates) and moves the simulated clock over it, so
//!   the RTO and its band contain what AWS would take.

use crate::target::Target;
use chrono::{DateTime, Utc};
use firedrill_emulator::timing::{ClientOperation, ModelledOperation, Operation, TimingReport, Workload};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// How much of each modelled operation a team's command waits out at wall
/// rate (the rest is skipped on the simulated clock): as long as the
/// drill's fast-preset creation delay, long enough for a runbook that does
/// not wait to be caught.
pub const COMMAND_TAIL: chrono::Duration = crate::stack::DRILL_CREATE_DELAY;

/// How often [`while_running`] looks for pending operations.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// Whether a recovery waits for `op`. AWS Backup copy jobs run in the
/// background on a plan's schedule (recovery reads copies that already
/// exist), so they neither move the clock nor widen the RTO's band; every
/// restore, snapshot copy and promotion does.
fn on_recovery_path(op: &ModelledOperation) -> bool {
    op.operation != Operation::BackupCopyJob
}

/// The earliest completion after `now` of an operation on the recovery
/// path the target's model timed, when the target reports timings and one
/// is pending.
pub async fn next_completion(target: &dyn Target) -> anyhow::Result<Option<DateTime<Utc>>> {
    let Some(report) = target.timings().await? else {
        return Ok(None);
    };
    let now = target.now();
    Ok(report
        .operations
        .iter()
        .filter(|op| on_recovery_path(op))
        .map(|op| op.completes_at)
        .filter(|at| *at > now)
        .min())
}

/// Moves a simulated clock to `tail` before the earliest pending
/// completion; returns whether it moved.
pub async fn skip_waiting(target: &dyn Target, tail: chrono::Duration) -> anyhow::Result<bool> {
    if !target.capabilities().simulated_clock {
        return Ok(false);
    }
    let Some(at) = next_completion(target).await? else {
        return Ok(false);
    };
    let by = at - tail - target.now();
    if by <= chrono::Duration::zero() {
        return Ok(false);
    }
    target.advance(by).await?;
    Ok(true)
}

/// Runs `work` (a team's command) while skipping the simulated clock over
/// the waiting part of every modelled operation, [`COMMAND_TAIL`] short of
/// its end. A failure to read or move the clock is logged and ends the
/// skipping; the command runs on regardless.
pub async fn while_running<F: Future>(target: &dyn Target, work: F) -> F::Output {
    if !target.capabilities().simulated_clock {
        return work.await;
    }
    tokio::pin!(work);
    let mut watching = true;
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(WATCH_INTERVAL), if watching => {
                if let Err(e) = skip_waiting(target, COMMAND_TAIL).await {
                    tracing::warn!(error = %e, "could not skip the clock over a modelled wait; the command runs at wall rate");
                    watching = false;
                }
            }
        }
    }
}

/// Whether the target's restore-time model times the harness's own
/// requests: a firedrill emulator on a simulated clock under a model (not
/// `fast`, whose requests take the time they take).
pub async fn models_client_operations(target: &dyn Target) -> bool {
    if !target.capabilities().simulated_clock {
        return false;
    }
    match target.timings().await {
        Ok(Some(report)) => report.model != "fast",
        _ => false,
    }
}

/// Has the target's model time `op` (a rollback of many requests the
/// harness just made), then moves the simulated clock to its modelled end:
/// the requests took milliseconds here and take that long on AWS. `None`
/// when the target does not model it (see [`models_client_operations`]).
pub async fn wait_client_operation(
    target: &dyn Target,
    op: ClientOperation,
) -> anyhow::Result<Option<ModelledOperation>> {
    if !models_client_operations(target).await {
        return Ok(None);
    }
    let Some(timed) = target.time_client_operation(op).await? else {
        return Ok(None);
    };
    let by = timed.completes_at - target.now();
    if by > chrono::Duration::zero() {
        target.advance(by).await?;
    }
    Ok(Some(timed))
}

/// The band of a drill's RTO, from the model that timed its restores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtoBand {
    /// The model's name (`fast` when the preset's fixed delays applied).
    pub model: String,
    /// The RTO had every modelled operation run at the model's low end.
    pub low_seconds: f64,
    /// The RTO had every modelled operation run at the model's high end.
    pub high_seconds: f64,
    /// The modelled operations that ran during the recovery.
    pub operations: Vec<ModelledStep>,
}

/// One modelled operation of a recovery, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelledStep {
    /// The operation's name (`rds-restore-to-point-in-time`, ...).
    pub operation: String,
    /// The resource it produced or acted on.
    pub resource: String,
    /// The model's low, typical and high durations.
    pub low_seconds: f64,
    /// See `low_seconds`.
    pub typical_seconds: f64,
    /// See `low_seconds`.
    pub high_seconds: f64,
    /// What the model's duration grew with (bytes, log bytes, items,
    /// objects), as the emulator's timing log recorded it.
    #[serde(default)]
    pub workload: Workload,
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What an operation's size was, in words (`2.4 GiB of log to replay and
/// a 20 GiB volume`); `None` when nothing was sized.
pub fn workload_words(w: &Workload) -> Option<String> {
    let gib = |b: u64| {
        let g = b as f64 / GIB;
        if g >= 10.0 {
            format!("{g:.0} GiB")
        } else if g >= 0.1 {
            format!("{g:.1} GiB")
        } else {
            format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
        }
    };
    let mut parts = Vec::new();
    if w.log_bytes > 0 {
        parts.push(format!("{} of log to replay", gib(w.log_bytes)));
    }
    if w.bytes > 0 {
        parts.push(format!("{} of storage", gib(w.bytes)));
    }
    if w.items > 0 {
        parts.push(format!("{} items", w.items));
    }
    if w.objects > 0 {
        parts.push(format!("{} objects", w.objects));
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

impl From<&ModelledOperation> for ModelledStep {
    fn from(op: &ModelledOperation) -> Self {
        Self {
            operation: op.operation.name().to_owned(),
            resource: op.resource.clone(),
            low_seconds: op.band.low.as_secs_f64(),
            typical_seconds: op.band.typical.as_secs_f64(),
            high_seconds: op.band.high.as_secs_f64(),
            workload: op.workload,
        }
    }
}

/// The band of an RTO of `measured_seconds` whose recovery ran from `from`
/// to `to` on the target clock, given what the model timed.
///
/// The measured RTO contains each modelled operation's typical duration.
/// Operations that overlap in time are waited for together, so each group
/// of overlapping ones moves the RTO by its largest difference to the low
/// (or high) end; groups one after the other add up.
pub fn band(report: &TimingReport, from: DateTime<Utc>, to: DateTime<Utc>, measured_seconds: f64) -> RtoBand {
    let mut ops: Vec<&ModelledOperation> = report
        .operations
        .iter()
        .filter(|op| on_recovery_path(op) && op.started_at >= from && op.started_at <= to)
        .collect();
    ops.sort_by_key(|op| op.started_at);
    let (mut faster, mut slower) = (0.0_f64, 0.0_f64);
    let mut group: Option<(DateTime<Utc>, f64, f64)> = None;
    for op in &ops {
        let down = (op.band.typical.as_secs_f64() - op.band.low.as_secs_f64()).max(0.0);
        let up = (op.band.high.as_secs_f64() - op.band.typical.as_secs_f64()).max(0.0);
        group = match group {
            Some((end, d, u)) if op.started_at < end => {
                Some((end.max(op.completes_at), d.max(down), u.max(up)))
            }
            Some((_, d, u)) => {
                faster += d;
                slower += u;
                Some((op.completes_at, down, up))
            }
            None => Some((op.completes_at, down, up)),
        };
    }
    if let Some((_, d, u)) = group {
        faster += d;
        slower += u;
    }
    RtoBand {
        model: report.model.clone(),
        low_seconds: (measured_seconds - faster).max(0.0),
        high_seconds: measured_seconds + slower,
        operations: ops.into_iter().map(ModelledStep::from).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_emulator::timing::Band;

    #[test]
    fn a_workload_is_said_in_words() {
        let w = Workload {
            bytes: 20 * 1024 * 1024 * 1024,
            log_bytes: 2_576_980_378,
            ..Workload::default()
        };
        assert_eq!(
            workload_words(&w).as_deref(),
            Some("2.4 GiB of log to replay and 20 GiB of storage")
        );
        let small = Workload {
            log_bytes: 5 * 1024 * 1024,
            ..Workload::default()
        };
        assert_eq!(
            workload_words(&small).as_deref(),
            Some("5.0 MiB of log to replay")
        );
        assert_eq!(workload_words(&Workload::default()), None);
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn op(start: &str, end: &str, band: Band) -> ModelledOperation {
        ModelledOperation {
            operation: Operation::RdsRestoreToPointInTime,
            resource: "orders-restored".into(),
            region: "us-east-1".into(),
            started_at: at(start),
            completes_at: at(end),
            workload: Workload::default(),
            band,
            model: "aws-defaults".into(),
        }
    }

    #[test]
    fn overlapping_operations_widen_the_band_once_and_sequential_ones_add_up() {
        let report = TimingReport {
            model: "aws-defaults".into(),
            operations: vec![
                // Two restores in parallel: the wider one decides.
                op(
                    "2026-03-14T16:00:00Z",
                    "2026-03-14T16:15:00Z",
                    Band::secs(600, 900, 1800),
                ),
                op(
                    "2026-03-14T16:00:01Z",
                    "2026-03-14T16:10:01Z",
                    Band::secs(500, 600, 700),
                ),
                // Then a copy after both.
                op(
                    "2026-03-14T16:20:00Z",
                    "2026-03-14T16:25:00Z",
                    Band::secs(120, 300, 900),
                ),
                // A plan's copy job in the background: not waited for.
                ModelledOperation {
                    operation: Operation::BackupCopyJob,
                    ..op(
                        "2026-03-14T16:00:00Z",
                        "2026-03-14T17:00:00Z",
                        Band::secs(0, 3600, 9000),
                    )
                },
                // Before the fault: not part of this recovery.
                op(
                    "2026-03-14T10:00:00Z",
                    "2026-03-14T11:00:00Z",
                    Band::secs(0, 3600, 9000),
                ),
            ],
        };
        let b = band(
            &report,
            at("2026-03-14T15:47:00Z"),
            at("2026-03-14T16:30:00Z"),
            2580.0,
        );
        assert_eq!(b.operations.len(), 3);
        assert_eq!(b.low_seconds, 2580.0 - 300.0 - 180.0);
        assert_eq!(b.high_seconds, 2580.0 + 900.0 + 600.0);
        assert_eq!(b.model, "aws-defaults");
    }

    #[test]
    fn a_recovery_without_modelled_operations_has_a_point_band() {
        let report = TimingReport {
            model: "fast".into(),
            operations: vec![],
        };
        let b = band(
            &report,
            at("2026-03-14T15:47:00Z"),
            at("2026-03-14T15:50:00Z"),
            180.0,
        );
        assert_eq!((b.low_seconds, b.high_seconds), (180.0, 180.0));
        assert!(b.operations.is_empty());
    }
}
