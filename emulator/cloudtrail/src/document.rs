//! The `CloudTrailEvent` document of one event: the JSON record CloudTrail
//! writes (event version 1.09), which `LookupEvents` returns as a string.
//!
//! `userIdentity` is the caller as CloudTrail describes it: an `IAMUser`
//! (principal id, ARN, account, access key, user name), an `AssumedRole`
//! (with the `sessionContext.sessionIssuer` role), an `AWSService` with
//! `invokedBy` for the emulator's own work (a scheduled backup job, a key
//! deleted at the end of its window, AWS Backup's calls into the services it
//! protects), or an anonymous `AWSAccount` for an unsigned request. A
//! failed call carries `errorCode` (AWS's error code). `requestParameters`
//! holds what the trail knows of the request: the resource it named, under
//! the name of the operation's parameter for it where that is known
//! (`recoveryPointArn`, `tableName`, `bucketName`, ...), else `resource`;
//! `responseElements` is null, as for most calls whose answer CloudTrail
//! does not log.

use crate::events::{TrailEvent, event_source};
use firedrill_emu_core::accounts::Caller;
use firedrill_emu_core::arn::Arn;
use serde_json::{Map, Value, json};

/// The event version CloudTrail writes today.
const EVENT_VERSION: &str = "1.09";

/// The CloudTrail record of `event`.
pub fn document(event: &TrailEvent) -> Value {
    let record = &event.record;
    let e = &record.event;
    let request = record.request.as_deref();
    let invoked_by = event_source(&invoked_by(&e.event_source));
    let identity = match request {
        Some(r) => caller_identity(&r.caller),
        None if event.by_service() => json!({ "type": "AWSService", "invokedBy": invoked_by }),
        None => principal_identity(&e.principal, &record.account_id),
    };
    let source_ip = match request {
        Some(r) => r.source_ip.map(|ip| ip.to_string()),
        None if event.by_service() => Some(invoked_by.clone()),
        None => None,
    };
    let user_agent = match request {
        Some(r) => r.user_agent.clone(),
        None if event.by_service() => Some(invoked_by),
        None => None,
    };
    let mut doc = Map::new();
    doc.insert("eventVersion".into(), EVENT_VERSION.into());
    doc.insert("userIdentity".into(), identity);
    doc.insert(
        "eventTime".into(),
        e.event_time.format("%Y-%m-%dT%H:%M:%SZ").to_string().into(),
    );
    doc.insert("eventSource".into(), event.source.clone().into());
    doc.insert("eventName".into(), e.event_name.clone().into());
    doc.insert("awsRegion".into(), e.region.clone().into());
    doc.insert(
        "sourceIPAddress".into(),
        source_ip.map_or(Value::Null, Value::String),
    );
    doc.insert("userAgent".into(), user_agent.map_or(Value::Null, Value::String));
    if e.result != "Success" {
        doc.insert("errorCode".into(), e.result.clone().into());
    }
    doc.insert("requestParameters".into(), request_parameters(event));
    doc.insert("responseElements".into(), Value::Null);
    if let Some(r) = request {
        doc.insert("requestID".into(), r.request_id.clone().into());
    }
    doc.insert("eventID".into(), record.event_id.clone().into());
    doc.insert("readOnly".into(), event.read_only.into());
    let resources: Vec<Value> = event
        .resources
        .iter()
        .filter_map(|r| {
            let arn = Arn::parse(&r.name).ok()?;
            let account = if arn.account.is_empty() {
                record.account_id.clone()
            } else {
                arn.account
            };
            Some(json!({ "accountId": account, "type": r.kind, "ARN": r.name }))
        })
        .collect();
    if !resources.is_empty() {
        doc.insert("resources".into(), resources.into());
    }
    let event_type = if event.by_service() {
        "AwsServiceEvent"
    } else {
        "AwsApiCall"
    };
    doc.insert("eventType".into(), event_type.into());
    doc.insert("managementEvent".into(), true.into());
    doc.insert("recipientAccountId".into(), record.account_id.clone().into());
    doc.insert("eventCategory".into(), "Management".into());
    Value::Object(doc)
}

/// Which service did the emulator's own work recorded under `source`:
/// AWS Backup, for the backups and restores it runs inside DynamoDB, RDS
/// and S3; the service itself otherwise.
fn invoked_by(source: &str) -> String {
    match source {
        "dynamodb" | "rds" | "s3" => "backup".to_owned(),
        other => other.to_owned(),
    }
}

/// `userIdentity` of a caller the request named.
fn caller_identity(c: &Caller) -> Value {
    if c.arn == "anonymous" {
        return json!({ "type": "AWSAccount", "principalId": "", "accountId": "anonymous" });
    }
    let mut id = json!({
        "principalId": c.user_id,
        "arn": c.arn,
        "accountId": c.account_id,
    });
    if let Some(key) = &c.access_key_id {
        insert(&mut id, "accessKeyId", key.clone().into());
    }
    match &c.session {
        Some(s) => {
            insert(&mut id, "type", "AssumedRole".into());
            insert(
                &mut id,
                "sessionContext",
                json!({
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": s.role_id,
                        "arn": s.role_arn,
                        "accountId": s.account_id,
                        "userName": s.role_name,
                    },
                    "attributes": { "mfaAuthenticated": "false" },
                }),
            );
        }
        None => {
            insert(&mut id, "type", "IAMUser".into());
            if let Some(name) = c.arn.rsplit('/').next() {
                insert(&mut id, "userName", name.into());
            }
        }
    }
    id
}

/// Adds `key` to a JSON object built just before (a no-op on any other value,
/// where `IndexMut` would panic).
pub(crate) fn insert(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// `userIdentity` from a principal ARN alone (an event recorded outside the
/// request of its principal, such as a job that user started failing later).
fn principal_identity(principal: &str, account: &str) -> Value {
    let Ok(arn) = Arn::parse(principal) else {
        return json!({ "type": "Unknown", "principalId": principal, "accountId": account });
    };
    let kind = if arn.resource.starts_with("assumed-role/") {
        "AssumedRole"
    } else if arn.resource.starts_with("user/") {
        "IAMUser"
    } else {
        "Unknown"
    };
    let mut id = json!({ "type": kind, "arn": principal, "accountId": arn.account });
    if kind == "IAMUser"
        && let Some(name) = arn.resource.rsplit('/').next()
    {
        insert(&mut id, "userName", name.into());
    }
    id
}

/// What the trail knows of the request's parameters: the resource it named.
fn request_parameters(event: &TrailEvent) -> Value {
    let Some(resource) = event.resources.first() else {
        return Value::Null;
    };
    let short = || {
        Arn::parse(&resource.name)
            .ok()
            .and_then(|a| {
                a.resource
                    .split([':', '/'])
                    .nth(1)
                    .map(str::to_owned)
                    .or(Some(a.resource))
            })
            .unwrap_or_else(|| resource.name.clone())
    };
    let (key, value) = match resource.kind.as_deref() {
        Some("AWS::Backup::RecoveryPoint") => ("recoveryPointArn", resource.name.clone()),
        Some("AWS::Backup::BackupVault") => ("backupVaultName", short()),
        Some("AWS::DynamoDB::Table") => ("tableName", short()),
        Some("AWS::DynamoDB::Backup") => ("backupArn", resource.name.clone()),
        Some("AWS::S3::Bucket") => ("bucketName", short()),
        Some("AWS::RDS::DBInstance") => ("dBInstanceIdentifier", short()),
        Some("AWS::RDS::DBSnapshot") => ("dBSnapshotIdentifier", short()),
        Some("AWS::RDS::DBCluster") => ("dBClusterIdentifier", short()),
        Some("AWS::KMS::Key") => ("keyId", resource.name.clone()),
        _ => ("resource", resource.name.clone()),
    };
    json!({ key: value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use firedrill_emu_core::audit::{AuditEvent, AuditRecord, RequestIdentity};
    use std::sync::Arc;

    fn record(principal: &str, request: Option<RequestIdentity>, result: &str) -> TrailEvent {
        let record = AuditRecord {
            event_id: "e-1".to_owned(),
            account_id: "111111111111".to_owned(),
            event: AuditEvent {
                event_time: "2026-03-21T03:12:00Z".parse::<DateTime<Utc>>().unwrap(),
                event_source: "backup".to_owned(),
                event_name: "DeleteRecoveryPoint".to_owned(),
                region: "us-east-1".to_owned(),
                principal: principal.to_owned(),
                resource: "arn:aws:backup:us-east-1:111111111111:recovery-point:RP1".to_owned(),
                result: result.to_owned(),
            },
            request: request.map(Arc::new),
        };
        TrailEvent::of(&record).unwrap()
    }

    #[test]
    fn a_users_call_names_the_user_key_and_address() {
        let caller = Caller::user("111111111111", "AKIAPRODEXAMPLE0001", "prod");
        let arn = caller.arn.clone();
        let identity = RequestIdentity {
            caller,
            request_id: "req-1".to_owned(),
            source_ip: Some(std::net::IpAddr::from([127, 0, 0, 1])),
            user_agent: Some("aws-cli/2.9.19".to_owned()),
        };
        let doc = document(&record(&arn, Some(identity), "AccessDeniedException"));
        assert_eq!(doc["userIdentity"]["type"], "IAMUser");
        assert_eq!(doc["userIdentity"]["accessKeyId"], "AKIAPRODEXAMPLE0001");
        assert_eq!(doc["userIdentity"]["userName"], "prod");
        assert_eq!(doc["userIdentity"]["accountId"], "111111111111");
        assert_eq!(doc["sourceIPAddress"], "127.0.0.1");
        assert_eq!(doc["userAgent"], "aws-cli/2.9.19");
        assert_eq!(doc["errorCode"], "AccessDeniedException");
        assert_eq!(
            doc["requestParameters"]["recoveryPointArn"],
            "arn:aws:backup:us-east-1:111111111111:recovery-point:RP1"
        );
        assert_eq!(doc["eventTime"], "2026-03-21T03:12:00Z");
        assert_eq!(doc["eventSource"], "backup.amazonaws.com");
        assert_eq!(doc["eventType"], "AwsApiCall");
        assert_eq!(doc["readOnly"], false);
        assert_eq!(doc["requestID"], "req-1");
        assert_eq!(doc["resources"][0]["type"], "AWS::Backup::RecoveryPoint");
    }

    #[test]
    fn the_emulators_own_work_is_a_service_event() {
        let doc = document(&record("firedrill", None, "Success"));
        assert_eq!(doc["userIdentity"]["type"], "AWSService");
        assert_eq!(doc["userIdentity"]["invokedBy"], "backup.amazonaws.com");
        assert_eq!(doc["sourceIPAddress"], "backup.amazonaws.com");
        assert_eq!(doc["eventType"], "AwsServiceEvent");
        assert!(doc.get("errorCode").is_none());
    }
}
