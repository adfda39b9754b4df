//! The audit trail of backup and restore operations (CloudTrail-like):
//! who did what to which resource, when, and with what result. Readable from
//! `GET /_firedrill/audit`.
//!
//! Besides backups and restores it records the destructive acts a recovery
//! story starts from: DynamoDB `DeleteTable` and `BatchWriteItem` calls that
//! delete items (one event per table), S3 `DeleteObject` (the resource is the
//! object's ARN), `DeleteObjects` and `DeleteBucket`, RDS instance deletion,
//! and region outages (`StartRegionOutage` / `EndRegionOutage`, source
//! `firedrill`). `firedrill check` finds its restore point here.

use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use std::sync::Arc;

/// One recorded operation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Emulator time of the operation.
    pub event_time: DateTime<Utc>,
    /// The service's signing name (`dynamodb`, `rds`, `s3`, `backup`).
    pub event_source: String,
    /// The API operation, for example `RestoreTableToPointInTime`.
    pub event_name: String,
    /// The region.
    pub region: String,
    /// Who made the call (an IAM-style ARN, `anonymous`, or `firedrill` for
    /// work the emulator did on its own, such as a scheduled backup).
    pub principal: String,
    /// The resource acted on (ARN or name).
    pub resource: String,
    /// `Success`, or the AWS error code the call failed with.
    pub result: String,
}

/// A shared, append-only audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditLog(Arc<RwLock<Vec<AuditEvent>>>);

impl AuditLog {
    /// Appends an event.
    pub fn record(&self, event: AuditEvent) {
        tracing::debug!(target: "firedrill::audit", ?event, "audit");
        self.0.write().push(event);
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.0.read().clone()
    }

    /// Forgets every event.
    pub fn clear(&self) {
        self.0.write().clear();
    }
}
