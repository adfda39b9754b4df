//! The audit trail of backup and restore operations (CloudTrail-like):
//! who did what to which resource, when, and with what result. Readable from
//! `GET /_firedrill/audit`, and through CloudTrail's `LookupEvents`
//! (`firedrill-emu-cloudtrail`).
//!
//! Besides backups and restores it records the destructive acts a recovery
//! story starts from: DynamoDB `DeleteTable` and `BatchWriteItem` calls that
//! delete items (one event per table), S3 `DeleteObject` (the resource is the
//! object's ARN), `DeleteObjects` and `DeleteBucket`, RDS instance deletion,
//! and region outages (`StartRegionOutage` / `EndRegionOutage`, source
//! `firedrill`). `firedrill check` finds its restore point here.
//!
//! Each event is kept as an [`AuditRecord`]: the event as its service
//! recorded it, an event id, the account whose environment recorded it, and
//! the identity of the request it was recorded under. The server runs every
//! request inside [`scope`] with the caller's identity ([`RequestIdentity`]:
//! account, access key id, ARN, source address, user agent), so the
//! services record events as before and the trail still knows which key
//! signed them. An event whose principal is not the request's caller (the
//! emulator's own work, such as AWS Backup's in-process calls during a
//! `StartBackupJob`) keeps no request identity.

use crate::accounts::Caller;
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use std::future::Future;
use std::net::IpAddr;
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

/// Who sent the request an event was recorded under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIdentity {
    /// The caller: account, access key id, ARN, unique id, session.
    pub caller: Caller,
    /// The request id the answer carried.
    pub request_id: String,
    /// The address the request came from.
    pub source_ip: Option<IpAddr>,
    /// The request's `User-Agent`.
    pub user_agent: Option<String>,
}

/// The peer address of a connection, put in each request's extensions by
/// the server so that the audit trail can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceIp(pub IpAddr);

/// One event of the trail with what CloudTrail adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// A unique id (a UUID, as CloudTrail's `eventID`).
    pub event_id: String,
    /// The account whose environment recorded the event (CloudTrail's
    /// `recipientAccountId`); empty when the log belongs to no account.
    pub account_id: String,
    /// The event as its service recorded it.
    pub event: AuditEvent,
    /// The request it was recorded under, when its principal is that
    /// request's caller.
    pub request: Option<Arc<RequestIdentity>>,
}

tokio::task_local! {
    /// The identity of the request being handled on this task.
    static REQUEST: Arc<RequestIdentity>;
}

/// Runs `work` (a service handling one request) with `identity` as the
/// request every event it records belongs to.
pub async fn scope<F: Future>(identity: RequestIdentity, work: F) -> F::Output {
    REQUEST.scope(Arc::new(identity), work).await
}

/// A shared, append-only audit trail. Every account's environment holds a
/// handle on the same trail, tagged with its account.
#[derive(Debug, Clone, Default)]
pub struct AuditLog {
    records: Arc<RwLock<Vec<AuditRecord>>>,
    account: Option<Arc<str>>,
}

impl AuditLog {
    /// The same trail, recording for `account_id`.
    pub fn for_account(&self, account_id: &str) -> Self {
        Self {
            records: self.records.clone(),
            account: Some(Arc::from(account_id)),
        }
    }

    /// Appends an event, with the request it was recorded under when its
    /// principal is that request's caller.
    pub fn record(&self, event: AuditEvent) {
        tracing::debug!(target: "firedrill::audit", ?event, "audit");
        let request = REQUEST
            .try_with(Arc::clone)
            .ok()
            .filter(|r| r.caller.arn == event.principal);
        let account_id = match (&self.account, &request) {
            (Some(account), _) => account.to_string(),
            (None, Some(r)) => r.caller.account_id.clone(),
            (None, None) => String::new(),
        };
        self.records.write().push(AuditRecord {
            event_id: uuid::Uuid::new_v4().to_string(),
            account_id,
            event,
            request,
        });
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.records.read().iter().map(|r| r.event.clone()).collect()
    }

    /// Every record so far, oldest first.
    pub fn records(&self) -> Vec<AuditRecord> {
        self.records.read().clone()
    }

    /// Runs `f` over every record so far, oldest first, without copying the
    /// trail (under its read lock: `f` must not record).
    pub fn with_records<R>(&self, f: impl FnOnce(&[AuditRecord]) -> R) -> R {
        f(&self.records.read())
    }

    /// Forgets every event.
    pub fn clear(&self) {
        self.records.write().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(principal: &str) -> AuditEvent {
        AuditEvent {
            event_time: DateTime::<Utc>::UNIX_EPOCH,
            event_source: "backup".to_owned(),
            event_name: "DeleteRecoveryPoint".to_owned(),
            region: "us-east-1".to_owned(),
            principal: principal.to_owned(),
            resource: "arn:aws:backup:us-east-1:111111111111:recovery-point:1".to_owned(),
            result: "Success".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_request_scope_names_the_key_of_its_caller_only() {
        let log = AuditLog::default().for_account("111111111111");
        let caller = Caller::user("111111111111", "AKIAPRODEXAMPLE0001", "prod");
        let arn = caller.arn.clone();
        let identity = RequestIdentity {
            caller,
            request_id: "r-1".to_owned(),
            source_ip: Some(IpAddr::from([127, 0, 0, 1])),
            user_agent: Some("aws-cli/2".to_owned()),
        };
        scope(identity, async {
            log.record(event(&arn));
            log.record(event("firedrill"));
        })
        .await;
        log.record(event(&arn));
        let records = log.records();
        assert_eq!(records.len(), 3);
        let key = |r: &AuditRecord| r.request.as_ref().and_then(|q| q.caller.access_key_id.clone());
        assert_eq!(key(&records[0]).as_deref(), Some("AKIAPRODEXAMPLE0001"));
        assert_eq!(key(&records[1]), None, "the emulator's own work is nobody's key");
        assert_eq!(key(&records[2]), None, "outside a request there is no caller");
        assert!(records.iter().all(|r| r.account_id == "111111111111"));
        assert_ne!(records[0].event_id, records[1].event_id);
        assert_eq!(log.events().len(), 3);
    }

    #[test]
    fn every_account_shares_one_trail() {
        let root = AuditLog::default();
        let (a, b) = (root.for_account("111111111111"), root.for_account("222222222222"));
        a.record(event("x"));
        b.record(event("y"));
        let accounts: Vec<String> = root.records().into_iter().map(|r| r.account_id).collect();
        assert_eq!(accounts, ["111111111111", "222222222222"]);
    }
}
