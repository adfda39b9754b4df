//! The record of every modelled long-running operation, readable from
//! `GET /_firedrill/timings`: what ran, on what, from when, how long the
//! model said it takes (the band) and which model said so. A drill reads it
//! to give its RTO a band; a runbook's wait is judged against it.

use super::{Band, Operation, Workload};
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use std::sync::Arc;

/// One modelled operation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelledOperation {
    /// What ran.
    pub operation: Operation,
    /// The resource it produces or acts on (a name or ARN).
    pub resource: String,
    /// The region it ran in.
    pub region: String,
    /// Emulator time it started.
    pub started_at: DateTime<Utc>,
    /// Emulator time it completes: `started_at` plus the applied duration.
    pub completes_at: DateTime<Utc>,
    /// The size the duration was computed from.
    pub workload: Workload,
    /// The model's band for that size, in seconds.
    pub band: Band,
    /// The model that produced it (`fast` when the preset's fixed delays
    /// applied instead).
    pub model: String,
}

/// `POST /_firedrill/timings`: an operation a client performs as many
/// requests (an S3 rollback's copies and deletes), which the emulator serves
/// in milliseconds but AWS at its documented rates. The emulator times it
/// with the model in force (nothing on `fast`), records it and answers the
/// [`ModelledOperation`]; the client waits until its `completesAt`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOperation {
    /// What the client did.
    pub operation: Operation,
    /// What it acted on (a bucket).
    pub resource: String,
    /// The region it ran in.
    pub region: String,
    /// Its size: objects touched, bytes copied.
    #[serde(default)]
    pub workload: Workload,
}

/// `GET /_firedrill/timings`: the model in force and what it timed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimingReport {
    /// The name of the model in force (`fast` for the fixed delays).
    pub model: String,
    /// Every modelled operation, oldest first.
    pub operations: Vec<ModelledOperation>,
}

/// A shared, append-only log of modelled operations.
#[derive(Debug, Clone, Default)]
pub struct TimingLog(Arc<RwLock<Vec<ModelledOperation>>>);

impl TimingLog {
    /// Appends an operation.
    pub fn record(&self, op: ModelledOperation) {
        tracing::debug!(
            target: "firedrill::timing",
            operation = %op.operation,
            resource = %op.resource,
            typical_s = op.band.typical.as_secs_f64(),
            model = %op.model,
            "modelled a long-running operation"
        );
        self.0.write().push(op);
    }

    /// Everything recorded, oldest first.
    pub fn operations(&self) -> Vec<ModelledOperation> {
        self.0.read().clone()
    }

    /// Operations not yet complete at `now`.
    pub fn pending_at(&self, now: DateTime<Utc>) -> Vec<ModelledOperation> {
        self.0
            .read()
            .iter()
            .filter(|op| op.completes_at > now)
            .cloned()
            .collect()
    }

    /// Forgets everything (the admin reset).
    pub fn clear(&self) {
        self.0.write().clear();
    }
}
