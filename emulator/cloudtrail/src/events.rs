//! The event history as CloudTrail shows it, over the emulator's audit
//! trail: no HTTP here.
//!
//! [`TrailEvent::of`] reads one [`AuditRecord`] as a management event:
//! its source as `<service>.amazonaws.com`, whether it is read-only (the
//! operation's name starts with `Get`, `Describe`, `List`, `Head` or
//! `Lookup`), the user name (the IAM user, or the role session of an
//! assumed role), the access key that signed it and the resources it names
//! with their CloudFormation types (`AWS::Backup::RecoveryPoint`,
//! `AWS::DynamoDB::Table`, ...; none when the type cannot be told, as AWS
//! answers). The emulator's own events (region outages, source `firedrill`)
//! are not CloudTrail's and are left out.
//!
//! [`lookup`] answers one `LookupEvents` page: the events of one account
//! and region within the last 90 days on the emulator clock, newest first,
//! filtered by at most one [`Attribute`] and by the inclusive
//! `StartTime`/`EndTime` range. A page's token names the first event of
//! the next page and a digest of the parameters, so a token is refused
//! with other parameters, as AWS refuses it.

use crate::errors::{Result, TrailError};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::audit::AuditRecord;
use std::hash::{DefaultHasher, Hash, Hasher};

/// How far back the event history reaches.
pub const RETENTION_DAYS: i64 = 90;

/// The principal the emulator records its own work under.
pub const SERVICE_PRINCIPAL: &str = "firedrill";

/// A resource an event names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    /// Its CloudFormation type, when it can be told.
    pub kind: Option<String>,
    /// Its name or ARN, as the service recorded it.
    pub name: String,
}

/// One management event of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEvent {
    /// The record it is read from.
    pub record: AuditRecord,
    /// `backup.amazonaws.com`.
    pub source: String,
    /// Whether the operation only reads.
    pub read_only: bool,
    /// The IAM user or role session name, when a caller is known.
    pub username: Option<String>,
    /// The access key that signed the request.
    pub access_key_id: Option<String>,
    /// The resources it names.
    pub resources: Vec<Resource>,
}

impl TrailEvent {
    /// The event `record` shows, or `None` for the emulator's own events.
    pub fn of(record: &AuditRecord) -> Option<Self> {
        let e = &record.event;
        if e.event_source == SERVICE_PRINCIPAL {
            return None;
        }
        let caller = record.request.as_ref().map(|r| &r.caller);
        let username = match caller {
            Some(c) => match &c.session {
                Some(s) => Some(s.session_name.clone()),
                None => user_name(&c.arn),
            },
            None => user_name(&e.principal).or_else(|| session_name(&e.principal)),
        };
        let resources = if e.resource.is_empty() {
            Vec::new()
        } else {
            vec![Resource {
                kind: resource_type(&e.event_source, &e.event_name, &e.resource),
                name: e.resource.clone(),
            }]
        };
        Some(Self {
            source: event_source(&e.event_source),
            read_only: read_only(&e.event_name),
            username,
            access_key_id: caller.and_then(|c| c.access_key_id.clone()),
            resources,
            record: record.clone(),
        })
    }

    /// The instant of the event.
    pub fn time(&self) -> DateTime<Utc> {
        self.record.event.event_time
    }

    /// Whether the emulator did this on its own (a scheduled job, a key
    /// deleted at the end of its window): an `AwsServiceEvent`.
    pub fn by_service(&self) -> bool {
        self.record.event.principal == SERVICE_PRINCIPAL
    }

    fn matches(&self, attribute: &Attribute) -> bool {
        let e = &self.record.event;
        match attribute {
            Attribute::EventId(v) => self.record.event_id == *v,
            Attribute::EventName(v) => e.event_name == *v,
            Attribute::ReadOnly(v) => self.read_only == *v,
            Attribute::Username(v) => self.username.as_deref() == Some(v.as_str()),
            Attribute::ResourceType(v) => self
                .resources
                .iter()
                .any(|r| r.kind.as_deref() == Some(v.as_str())),
            Attribute::ResourceName(v) => self.resources.iter().any(|r| r.name == *v),
            Attribute::EventSource(v) => self.source == *v,
            Attribute::AccessKeyId(v) => self.access_key_id.as_deref() == Some(v.as_str()),
        }
    }
}

/// `backup` is `backup.amazonaws.com`.
pub fn event_source(signing_name: &str) -> String {
    format!("{signing_name}.amazonaws.com")
}

/// The IAM user name of a user ARN.
fn user_name(arn: &str) -> Option<String> {
    let parsed = Arn::parse(arn).ok().filter(|a| a.service == "iam")?;
    parsed
        .resource
        .strip_prefix("user/")
        .map(|path| path.rsplit('/').next().unwrap_or(path).to_owned())
}

/// The session name of an assumed-role ARN
/// (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
fn session_name(arn: &str) -> Option<String> {
    let parsed = Arn::parse(arn).ok().filter(|a| a.service == "sts")?;
    let rest = parsed.resource.strip_prefix("assumed-role/")?;
    rest.split_once('/').map(|(_, session)| session.to_owned())
}

/// Whether an operation only reads.
fn read_only(event_name: &str) -> bool {
    ["Get", "Describe", "List", "Head", "Lookup", "BatchGet"]
        .iter()
        .any(|p| event_name.starts_with(p))
}

/// The CloudFormation type of a resource an event names: from its ARN, or,
/// for a bare name, from the service and operation that recorded it.
pub fn resource_type(source: &str, event_name: &str, resource: &str) -> Option<String> {
    // AWS Backup names a recovery point by its ARN whatever service holds
    // it (a DynamoDB backup, an RDS snapshot): it is a recovery point.
    let recovery_point = ["RecoveryPoint", "StartCopyJob", "StartRestoreJob"]
        .iter()
        .any(|n| event_name.contains(n));
    if source == "backup" && recovery_point && Arn::parse(resource).is_ok() {
        return Some("AWS::Backup::RecoveryPoint".to_owned());
    }
    let kind = match Arn::parse(resource) {
        Ok(arn) => arn_type(&arn)?,
        Err(_) => match source {
            "dynamodb" => "AWS::DynamoDB::Table",
            "s3" => "AWS::S3::Bucket",
            "rds" if event_name.contains("ClusterSnapshot") => "AWS::RDS::DBClusterSnapshot",
            "rds" if event_name.contains("Snapshot") => "AWS::RDS::DBSnapshot",
            "rds" if event_name.contains("Cluster") => "AWS::RDS::DBCluster",
            "rds" => "AWS::RDS::DBInstance",
            _ => return None,
        },
    };
    Some(kind.to_owned())
}

fn arn_type(arn: &Arn) -> Option<&'static str> {
    let r = arn.resource.as_str();
    let head = r.split([':', '/']).next().unwrap_or(r);
    Some(match (arn.service.as_str(), head) {
        ("dynamodb", "table") if r.contains("/backup/") => "AWS::DynamoDB::Backup",
        ("dynamodb", "table") => "AWS::DynamoDB::Table",
        ("s3", _) if r.contains('/') => "AWS::S3::Object",
        ("s3", _) => "AWS::S3::Bucket",
        ("rds", "db") => "AWS::RDS::DBInstance",
        ("rds", "snapshot") => "AWS::RDS::DBSnapshot",
        ("rds", "cluster") => "AWS::RDS::DBCluster",
        ("rds", "cluster-snapshot") => "AWS::RDS::DBClusterSnapshot",
        ("backup", "recovery-point") => "AWS::Backup::RecoveryPoint",
        ("backup", "backup-vault") => "AWS::Backup::BackupVault",
        ("backup", "backup-plan") => "AWS::Backup::BackupPlan",
        ("kms", "key") => "AWS::KMS::Key",
        ("kms", "alias") => "AWS::KMS::Alias",
        ("elasticache", "cluster") => "AWS::ElastiCache::CacheCluster",
        ("elasticache", "replicationgroup") => "AWS::ElastiCache::ReplicationGroup",
        ("elasticache", "snapshot") => "AWS::ElastiCache::Snapshot",
        ("iam", "role") => "AWS::IAM::Role",
        ("iam", "user") => "AWS::IAM::User",
        ("sns", _) => "AWS::SNS::Topic",
        _ => return None,
    })
}

/// The one attribute a lookup filters by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Attribute {
    /// `EventId`.
    EventId(String),
    /// `EventName`.
    EventName(String),
    /// `ReadOnly` (`true` or `false`).
    ReadOnly(bool),
    /// `Username`.
    Username(String),
    /// `ResourceType`.
    ResourceType(String),
    /// `ResourceName`.
    ResourceName(String),
    /// `EventSource`.
    EventSource(String),
    /// `AccessKeyId`.
    AccessKeyId(String),
}

/// One `LookupEvents` request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The attribute to filter by.
    pub attribute: Option<Attribute>,
    /// Events at or after this instant.
    pub start: Option<DateTime<Utc>>,
    /// Events at or before this instant.
    pub end: Option<DateTime<Utc>>,
    /// `EventCategory = insight`: Insights events only (there are none).
    pub insight: bool,
    /// The page size, 1 to 50.
    pub max_results: usize,
}

/// Whose events, where, when.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The caller's account.
    pub account: &'a str,
    /// The region asked.
    pub region: &'a str,
    /// The emulator's now.
    pub now: DateTime<Utc>,
}

/// One page of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The events, newest first.
    pub events: Vec<TrailEvent>,
    /// The token of the next page, when there is one.
    pub next_token: Option<String>,
}

/// A digest of the parameters a token is bound to (all but the page size,
/// which a paginator may change between pages).
fn digest(lookup: &Lookup, scope: Scope<'_>) -> String {
    let mut h = DefaultHasher::new();
    lookup.attribute.hash(&mut h);
    lookup.start.hash(&mut h);
    lookup.end.hash(&mut h);
    lookup.insight.hash(&mut h);
    scope.account.hash(&mut h);
    scope.region.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn encode_token(digest: &str, event_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{digest}:{event_id}"))
}

fn decode_token(token: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (digest, id) = text.split_once(':')?;
    Some((digest.to_owned(), id.to_owned()))
}

/// One page of the events of `records` that `lookup` selects in `scope`,
/// starting where `token` says.
pub fn lookup(
    records: &[AuditRecord],
    scope: Scope<'_>,
    lookup: &Lookup,
    token: Option<&str>,
) -> Result<Page> {
    let invalid_token = || TrailError::InvalidNextToken("Invalid NextToken.".to_owned());
    let digest = digest(lookup, scope);
    let after = match token {
        Some(t) => {
            let (d, id) = decode_token(t).ok_or_else(invalid_token)?;
            if d != digest {
                return Err(invalid_token());
            }
            Some(id)
        }
        None => None,
    };
    let oldest = scope
        .now
        .checked_sub_signed(Duration::days(RETENTION_DAYS))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut selected: Vec<TrailEvent> = if lookup.insight {
        Vec::new()
    } else {
        records
            .iter()
            .rev()
            .filter(|r| r.account_id == scope.account && r.event.region == scope.region)
            .filter_map(TrailEvent::of)
            .filter(|e| e.time() >= oldest && e.time() <= scope.now)
            .filter(|e| lookup.start.is_none_or(|s| e.time() >= s))
            .filter(|e| lookup.end.is_none_or(|end| e.time() <= end))
            .filter(|e| lookup.attribute.as_ref().is_none_or(|a| e.matches(a)))
            .collect()
    };
    // Newest first; events of the same instant, the later recorded first
    // (the reverse iteration above, kept by the stable sort).
    selected.sort_by_key(|e| std::cmp::Reverse(e.time()));
    let from = match after {
        Some(id) => selected
            .iter()
            .position(|e| e.record.event_id == id)
            .ok_or_else(invalid_token)?,
        None => 0,
    };
    let mut rest = selected.split_off(from.min(selected.len()));
    let next_token = rest
        .get(lookup.max_results)
        .map(|next| encode_token(&digest, &next.record.event_id));
    rest.truncate(lookup.max_results);
    Ok(Page {
        events: rest,
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_get_their_cloudformation_types() {
        let t = |source: &str, name: &str, resource: &str| resource_type(source, name, resource);
        assert_eq!(
            t(
                "backup",
                "DeleteRecoveryPoint",
                "arn:aws:backup:us-east-1:111111111111:recovery-point:ABC"
            )
            .as_deref(),
            Some("AWS::Backup::RecoveryPoint")
        );
        assert_eq!(
            t(
                "dynamodb",
                "DeleteBackup",
                "arn:aws:dynamodb:us-east-1:111111111111:table/carts/backup/0157"
            )
            .as_deref(),
            Some("AWS::DynamoDB::Backup")
        );
        assert_eq!(
            t("s3", "DeleteObject", "arn:aws:s3:::invoices/2026/x.pdf").as_deref(),
            Some("AWS::S3::Object")
        );
        assert_eq!(
            t("rds", "DeleteDBSnapshot", "orders-nightly").as_deref(),
            Some("AWS::RDS::DBSnapshot")
        );
        assert_eq!(
            t("rds", "DeleteDBInstance", "orders").as_deref(),
            Some("AWS::RDS::DBInstance")
        );
        assert_eq!(t("backup", "StopBackupJob", "0F1E-JOB").as_deref(), None);
        assert_eq!(
            t(
                "backup",
                "DeleteRecoveryPoint",
                "arn:aws:dynamodb:us-east-1:111111111111:table/orders/backup/0157"
            )
            .as_deref(),
            Some("AWS::Backup::RecoveryPoint"),
            "a recovery point held by DynamoDB is still a recovery point"
        );
    }

    #[test]
    fn callers_are_named_as_cloudtrail_names_them() {
        assert_eq!(
            user_name("arn:aws:iam::111111111111:user/ops/alice").as_deref(),
            Some("alice")
        );
        assert_eq!(
            session_name("arn:aws:sts::111111111111:assumed-role/admin/attacker").as_deref(),
            Some("attacker")
        );
        assert_eq!(user_name("firedrill"), None);
        assert!(read_only("DescribeBackupVault") && !read_only("DeleteRecoveryPoint"));
    }

    #[test]
    fn tokens_are_bound_to_their_parameters() {
        let l = Lookup {
            attribute: None,
            start: None,
            end: None,
            insight: false,
            max_results: 1,
        };
        let scope = Scope {
            account: "111111111111",
            region: "us-east-1",
            now: DateTime::<Utc>::UNIX_EPOCH,
        };
        let token = encode_token(&digest(&l, scope), "e-1");
        assert!(lookup(&[], scope, &l, Some(&token)).is_err(), "no such event");
        let other = Lookup {
            attribute: Some(Attribute::EventName("DeleteRecoveryPoint".to_owned())),
            ..l.clone()
        };
        let err = lookup(&[], scope, &other, Some(&token)).unwrap_err();
        assert_eq!(err.code(), "InvalidNextTokenException");
        assert!(lookup(&[], scope, &l, Some("not base64!")).is_err());
        assert_eq!(lookup(&[], scope, &l, None).unwrap().events.len(), 0);
    }
}
