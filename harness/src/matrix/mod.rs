//! `firedrill matrix`: which recovery guarantees does a target honour?
//!
//! Every emulator answers `RestoreTableToPointInTime`; few restore the past.
//! The matrix finds out by doing, through the official SDKs, what recovery
//! code does and checking the result record by record: write, note T,
//! overwrite, restore to T, compare. It runs against any [`Target`] (the
//! embedded emulator, `firedrill serve`, moto, LocalStack, a real account)
//! and never takes a target's word for it: [`Capabilities`] are printed next
//! to what the probes found.
//!
//! Each probe ends in an [`Outcome`]: `Honoured`, `NotHonoured` (the target
//! answered but the guarantee does not hold, with what it did instead),
//! `Unsupported` (the target does not offer the operation, with the reason)
//! or `Error` (the probe could not decide). Everything a probe creates is
//! named `firedrill-matrix-<run>-…`, tagged `firedrill:drill=<run>` and
//! removed at the end; what could not be removed is listed in
//! [`MatrixReport::cleanup`].
//!
//! The probes live in [`dynamodb`], [`s3`], [`s3_writes`] (checksums and
//! conditional writes), [`rds`] and [`errors`]; the
//! shared waiting, naming and error classification in [`support`].

mod dynamodb;
mod errors;
mod rds;
mod s3;
mod s3_writes;
mod support;

use crate::target::{Capabilities, Target};
use crate::wait::WaitOptions;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::{Duration as StdDuration, Instant};
use support::Ctx;

pub use support::DRILL_TAG_KEY;

/// One fidelity probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeId {
    /// DynamoDB `RestoreTableToPointInTime` returns the table as it was at T.
    DynamodbRestoreToT,
    /// Deleting a table with PITR on leaves a `SYSTEM` backup that restores.
    DynamodbDeletedTableBackup,
    /// S3 keeps every version; a delete adds a marker that can be removed.
    S3VersionsAndDeleteMarkers,
    /// S3 Object Lock refuses to delete a locked version.
    S3ObjectLock,
    /// S3 verifies, stores and returns a CRC32 checksum the client sends.
    S3Checksums,
    /// S3 conditional puts (If-None-Match, If-Match) refuse what they must.
    S3ConditionalWrites,
    /// RDS `RestoreDBInstanceToPointInTime` replays to T.
    RdsPitrToT,
    /// Objects reach a second region (S3 cross-region replication).
    CrossRegionCopies,
    /// New and restored resources pass through CREATING / creating.
    CreatingStates,
    /// Bad input is answered with AWS's error codes.
    ErrorCodes,
}

impl ProbeId {
    /// Every probe, in the order they run (states last: it reads what the
    /// others observed).
    pub const ALL: [ProbeId; 10] = [
        ProbeId::DynamodbRestoreToT,
        ProbeId::DynamodbDeletedTableBackup,
        ProbeId::S3VersionsAndDeleteMarkers,
        ProbeId::S3ObjectLock,
        ProbeId::S3Checksums,
        ProbeId::S3ConditionalWrites,
        ProbeId::RdsPitrToT,
        ProbeId::CrossRegionCopies,
        ProbeId::ErrorCodes,
        ProbeId::CreatingStates,
    ];

    /// The kebab-case name used in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            ProbeId::DynamodbRestoreToT => "dynamodb-restore-to-t",
            ProbeId::DynamodbDeletedTableBackup => "dynamodb-deleted-table-backup",
            ProbeId::S3VersionsAndDeleteMarkers => "s3-versions-and-delete-markers",
            ProbeId::S3ObjectLock => "s3-object-lock",
            ProbeId::S3Checksums => "s3-checksums",
            ProbeId::S3ConditionalWrites => "s3-conditional-writes",
            ProbeId::RdsPitrToT => "rds-pitr-to-t",
            ProbeId::CrossRegionCopies => "cross-region-copies",
            ProbeId::CreatingStates => "creating-states",
            ProbeId::ErrorCodes => "error-codes",
        }
    }

    /// The guarantee the probe checks, in one sentence.
    pub fn guarantee(self) -> &'static str {
        match self {
            ProbeId::DynamodbRestoreToT => {
                "DynamoDB restore to T returns the table as it was at T, not a copy of now"
            }
            ProbeId::DynamodbDeletedTableBackup => {
                "deleting a table with PITR on leaves a SYSTEM backup that restores it"
            }
            ProbeId::S3VersionsAndDeleteMarkers => {
                "S3 keeps every version; a delete adds a removable delete marker"
            }
            ProbeId::S3ObjectLock => "S3 Object Lock refuses to delete a locked version",
            ProbeId::S3Checksums => {
                "S3 refuses a body that does not match the CRC32 sent, and stores and returns the one that does"
            }
            ProbeId::S3ConditionalWrites => {
                "S3 conditional puts never overwrite what they did not expect (If-None-Match *, a stale If-Match)"
            }
            ProbeId::RdsPitrToT => "RDS restore to T replays the database to T",
            ProbeId::CrossRegionCopies => "objects are copied to a second region",
            ProbeId::CreatingStates => {
                "new and restored resources go through CREATING / creating before they are usable"
            }
            ProbeId::ErrorCodes => {
                "bad input gets AWS's error codes (ValidationException, NoSuchBucket, DBInstanceNotFound)"
            }
        }
    }
}

impl std::fmt::Display for ProbeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum Outcome {
    /// The guarantee holds on this target.
    Honoured,
    /// The target answered, but the guarantee does not hold; the reason says
    /// what it did instead.
    NotHonoured(String),
    /// The target does not offer what the probe needs; the reason says what.
    Unsupported(String),
    /// The probe could not decide (a timeout, a connection failure, an
    /// unexpected answer).
    Error(String),
}

impl Outcome {
    /// `honoured`, `NOT HONOURED`, `unsupported` or `error`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Honoured => "honoured",
            Outcome::NotHonoured(_) => "NOT HONOURED",
            Outcome::Unsupported(_) => "unsupported",
            Outcome::Error(_) => "error",
        }
    }

    /// The reason, empty when honoured.
    pub fn reason(&self) -> &str {
        match self {
            Outcome::Honoured => "",
            Outcome::NotHonoured(r) | Outcome::Unsupported(r) | Outcome::Error(r) => r,
        }
    }

    /// Whether the guarantee holds.
    pub fn is_honoured(&self) -> bool {
        matches!(self, Outcome::Honoured)
    }
}

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// Which probe.
    pub probe: ProbeId,
    /// The guarantee it checks.
    pub guarantee: String,
    /// What it found.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// What it did and saw, step by step.
    pub details: Vec<String>,
    /// Wall-clock seconds it took.
    pub seconds: f64,
}

/// The whole matrix for one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixReport {
    /// The target's name (`embedded`, `endpoint`, `containers`, `aws`).
    pub target: String,
    /// The run id every resource name and tag carries.
    pub run_id: String,
    /// The primary region.
    pub region: String,
    /// The second region, when the target has one.
    pub secondary_region: Option<String>,
    /// What the target claims ([`Target::capabilities`]).
    pub claimed: Capabilities,
    /// When the run started, on the target's clock.
    pub started_at: DateTime<Utc>,
    /// One entry per probe, in run order.
    pub probes: Vec<ProbeReport>,
    /// Resources that could not be removed afterwards (empty when all were).
    pub cleanup: Vec<String>,
}

impl MatrixReport {
    /// The outcome of `probe`, when it ran.
    pub fn outcome(&self, probe: ProbeId) -> Option<&Outcome> {
        self.probes.iter().find(|p| p.probe == probe).map(|p| &p.outcome)
    }

    /// Adds a probe result computed outside [`run_matrix`] (for example the
    /// harness-managed PostgreSQL PITR of the containers target).
    pub fn push(&mut self, report: ProbeReport) {
        self.probes.retain(|p| p.probe != report.probe);
        self.probes.push(report);
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// A plain-text table for a terminal.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "firedrill fidelity matrix: target {} (regions {}{}; run {})\n",
            self.target,
            self.region,
            self.secondary_region
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            self.run_id
        );
        let width = self
            .probes
            .iter()
            .map(|p| p.probe.name().len())
            .max()
            .unwrap_or(5)
            .max(5);
        out.push_str(&format!(
            "{:<width$}  {:<12}  {:>7}  REASON\n",
            "PROBE", "OUTCOME", "SECONDS"
        ));
        for p in &self.probes {
            out.push_str(&format!(
                "{:<width$}  {:<12}  {:>7.1}  {}\n",
                p.probe.name(),
                p.outcome.label(),
                p.seconds,
                p.outcome.reason()
            ));
        }
        let honoured = self.probes.iter().filter(|p| p.outcome.is_honoured()).count();
        out.push_str(&format!(
            "{honoured} of {} guarantees honoured\n",
            self.probes.len()
        ));
        if !self.cleanup.is_empty() {
            out.push_str("left behind (remove by hand):\n");
            for c in &self.cleanup {
                out.push_str(&format!("  {c}\n"));
            }
        }
        out
    }

    /// A Markdown table, for a README.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("| probe | outcome | reason |\n|---|---|---|\n");
        for p in &self.probes {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                p.probe.name(),
                p.outcome.label(),
                p.outcome.reason().replace('|', "\\|").replace('\n', " ")
            ));
        }
        out
    }
}

/// How to run the matrix.
#[derive(Debug, Clone)]
pub struct MatrixOptions {
    /// The run id in every name and tag; a random one when `None`.
    pub run_id: Option<String>,
    /// The account id for role ARNs (replication); `000000000000` when `None`.
    pub account_id: Option<String>,
    /// Only these probes (all when empty).
    pub only: Vec<ProbeId>,
    /// Bounds for waiting on DynamoDB and S3 states.
    pub wait: WaitOptions,
    /// Bounds for waiting on RDS instances (slower everywhere).
    pub rds_wait: WaitOptions,
    /// How long "a moment passes" lasts between writes and T: advanced on a
    /// simulated clock, slept on a real one.
    pub gap_simulated: chrono::Duration,
    /// The same on a real clock (DynamoDB has one-second granularity).
    pub gap_real: StdDuration,
}

impl MatrixOptions {
    /// Defaults sized for `target`: short waits on a simulated clock, the
    /// minutes AWS needs on a real one.
    pub fn for_target(target: &dyn Target) -> Self {
        let simulated = target.capabilities().simulated_clock;
        let (wait, rds_wait) = if simulated {
            (
                WaitOptions {
                    timeout: StdDuration::from_secs(60),
                    interval: StdDuration::from_millis(50),
                    max_polls: 1_000,
                    advance_seconds: 10,
                },
                WaitOptions {
                    timeout: StdDuration::from_secs(180),
                    interval: StdDuration::from_millis(100),
                    max_polls: 2_000,
                    advance_seconds: 10,
                },
            )
        } else {
            let local = matches!(target.name(), "endpoint" | "containers");
            (
                WaitOptions {
                    timeout: StdDuration::from_secs(if local { 20 } else { 20 * 60 }),
                    interval: StdDuration::from_millis(if local { 200 } else { 5_000 }),
                    max_polls: 2_000,
                    advance_seconds: 0,
                },
                WaitOptions {
                    timeout: StdDuration::from_secs(if local { 120 } else { 60 * 60 }),
                    interval: StdDuration::from_millis(if local { 500 } else { 15_000 }),
                    max_polls: 2_000,
                    advance_seconds: 0,
                },
            )
        };
        Self {
            run_id: None,
            account_id: None,
            only: Vec::new(),
            wait,
            rds_wait,
            gap_simulated: chrono::Duration::seconds(60),
            gap_real: StdDuration::from_millis(2_100),
        }
    }
}

/// The names of everything a run with `run_id` may create, for printing
/// before a destructive run on a real account.
pub fn planned_resources(target: &dyn Target, run_id: &str) -> Vec<String> {
    support::planned_resources(target, run_id)
}

/// A fresh random run id (six hex digits).
pub fn new_run_id() -> String {
    support::new_run_id()
}

/// Runs every probe against `target` with defaults for it.
pub async fn run_matrix(target: &dyn Target) -> MatrixReport {
    run_matrix_with(target, &MatrixOptions::for_target(target)).await
}

/// Runs the probes `options` selects against `target`, then removes what
/// they created.
pub async fn run_matrix_with(target: &dyn Target, options: &MatrixOptions) -> MatrixReport {
    let run_id = options.run_id.clone().unwrap_or_else(new_run_id);
    let ctx = Ctx::new(target, options, &run_id);
    let mut report = MatrixReport {
        target: target.name().to_owned(),
        run_id: run_id.clone(),
        region: target.primary_region().to_owned(),
        secondary_region: target.secondary_region().map(str::to_owned),
        claimed: target.capabilities(),
        started_at: target.now(),
        probes: Vec::new(),
        cleanup: Vec::new(),
    };
    for probe in ProbeId::ALL {
        if !options.only.is_empty() && !options.only.contains(&probe) {
            continue;
        }
        let started = Instant::now();
        let mut details = Vec::new();
        tracing::info!(probe = probe.name(), target = target.name(), "matrix probe");
        let outcome = match probe {
            ProbeId::DynamodbRestoreToT => dynamodb::restore_to_t(&ctx, &mut details).await,
            ProbeId::DynamodbDeletedTableBackup => dynamodb::deleted_table_backup(&ctx, &mut details).await,
            ProbeId::S3VersionsAndDeleteMarkers => s3::versions_and_delete_markers(&ctx, &mut details).await,
            ProbeId::S3ObjectLock => s3::object_lock(&ctx, &mut details).await,
            ProbeId::S3Checksums => s3_writes::checksums(&ctx, &mut details).await,
            ProbeId::S3ConditionalWrites => s3_writes::conditional_writes(&ctx, &mut details).await,
            ProbeId::RdsPitrToT => rds::pitr_to_t(&ctx, &mut details).await,
            ProbeId::CrossRegionCopies => s3::cross_region_copies(&ctx, &mut details).await,
            ProbeId::ErrorCodes => errors::error_codes(&ctx, &mut details).await,
            ProbeId::CreatingStates => ctx.creating_states(&mut details),
        };
        let outcome = outcome.unwrap_or_else(|o| o);
        tracing::info!(
            probe = probe.name(),
            outcome = outcome.label(),
            reason = outcome.reason(),
            "matrix probe done"
        );
        report.probes.push(ProbeReport {
            probe,
            guarantee: probe.guarantee().to_owned(),
            outcome,
            details,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    report.cleanup = ctx.cleanup().await;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MatrixReport {
        MatrixReport {
            target: "demo".into(),
            run_id: "abc123".into(),
            region: "us-east-1".into(),
            secondary_region: None,
            claimed: Capabilities::default(),
            started_at: "2026-03-14T00:00:00Z".parse().unwrap(),
            probes: vec![
                ProbeReport {
                    probe: ProbeId::DynamodbRestoreToT,
                    guarantee: ProbeId::DynamodbRestoreToT.guarantee().into(),
                    outcome: Outcome::NotHonoured("a copy of now".into()),
                    details: vec![],
                    seconds: 1.0,
                },
                ProbeReport {
                    probe: ProbeId::CrossRegionCopies,
                    guarantee: ProbeId::CrossRegionCopies.guarantee().into(),
                    outcome: Outcome::Unsupported("single region".into()),
                    details: vec![],
                    seconds: 0.0,
                },
            ],
            cleanup: vec![],
        }
    }

    #[test]
    fn table_names_each_probe_and_outcome() {
        let t = sample().to_table();
        assert!(t.contains("dynamodb-restore-to-t  NOT HONOURED"), "{t}");
        assert!(t.contains("cross-region-copies"), "{t}");
        assert!(t.contains("single region"), "{t}");
        assert!(t.contains("0 of 2 guarantees honoured"), "{t}");
    }

    #[test]
    fn json_round_trips_with_tagged_outcomes() {
        let r = sample();
        let json = r.to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["probes"][0]["probe"], "dynamodb-restore-to-t");
        assert_eq!(v["probes"][0]["outcome"], "not_honoured");
        assert_eq!(v["probes"][0]["reason"], "a copy of now");
        let back: MatrixReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn push_replaces_a_probe_result() {
        let mut r = sample();
        r.push(ProbeReport {
            probe: ProbeId::CrossRegionCopies,
            guarantee: String::new(),
            outcome: Outcome::Honoured,
            details: vec![],
            seconds: 0.0,
        });
        assert_eq!(r.probes.len(), 2);
        assert_eq!(r.outcome(ProbeId::CrossRegionCopies), Some(&Outcome::Honoured));
    }
}
