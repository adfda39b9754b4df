//! The engine's data model: buckets, keys, versions and bucket
//! configurations (lifecycle, replication, Object Lock), as plain Rust
//! types with no knowledge of HTTP or XML.

use crate::blob::Blob;
use crate::checksum::{Algorithm, ChecksumType, Digests, ObjectChecksum};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The literal version id of objects written while versioning is off or
/// suspended.
pub const NULL_VERSION: &str = "null";

/// The canonical user id of the account that owns every bucket and object
/// of the engine (S3 shows it as `Owner.ID`).
pub const OWNER_CANONICAL_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

/// Who an ACL grant is to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// An AWS account, by its canonical user id (64 hex digits).
    CanonicalUser(String),
    /// One of S3's predefined groups, by URI ([`ACL_GROUPS`]).
    Group(String),
}

/// The predefined groups an ACL may grant to: everyone, every AWS
/// account, and S3's log delivery.
pub const ACL_GROUPS: [&str; 3] = [
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "http://acs.amazonaws.com/groups/s3/LogDelivery",
];

/// The permissions of the model's `Permission` enum, as S3 spells them.
pub const ACL_PERMISSIONS: [&str; 5] = ["FULL_CONTROL", "READ", "READ_ACP", "WRITE", "WRITE_ACP"];

/// One grant of an access control list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclGrant {
    /// Who.
    pub grantee: Grantee,
    /// One of [`ACL_PERMISSIONS`].
    pub permission: &'static str,
}

/// The ACL of a bucket or version as set: `None` until one is set, which
/// reads as the owner's full control (what `private` grants).
pub type StoredAcl = Option<Arc<[AclGrant]>>;

/// Whether `acl` grants anyone but the owner.
pub fn grants_others(acl: &StoredAcl) -> bool {
    acl.as_deref().is_some_and(|grants| {
        grants
            .iter()
            .any(|g| !matches!(&g.grantee, Grantee::CanonicalUser(id) if id == OWNER_CANONICAL_ID))
    })
}

/// A bucket's versioning state. A bucket never goes back to `Unversioned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Versioning {
    /// Never enabled: every write replaces the `null` version.
    #[default]
    Unversioned,
    /// Every write adds a version.
    Enabled,
    /// Writes replace the `null` version; older versions are kept.
    Suspended,
}

impl Versioning {
    /// The `Status` S3 reports (`None` when never enabled).
    pub fn status(self) -> Option<&'static str> {
        match self {
            Versioning::Unversioned => None,
            Versioning::Enabled => Some("Enabled"),
            Versioning::Suspended => Some("Suspended"),
        }
    }
}

/// An Object Lock retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Removable or shortenable with `x-amz-bypass-governance-retention`.
    Governance,
    /// Nobody can shorten or remove it.
    Compliance,
}

impl LockMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GOVERNANCE" => Some(LockMode::Governance),
            "COMPLIANCE" => Some(LockMode::Compliance),
            _ => None,
        }
    }
}

/// An object version's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The mode.
    pub mode: LockMode,
    /// Until when the version cannot be deleted.
    pub until: DateTime<Utc>,
}

/// Replication state of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicationStatus {
    /// Waiting to be copied to the destination.
    Pending,
    /// Copied.
    Completed,
    /// Could not be copied (the destination disappeared or lost versioning).
    Failed,
    /// This version is itself a replica.
    Replica,
}

impl ReplicationStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicationStatus::Pending => "PENDING",
            ReplicationStatus::Completed => "COMPLETED",
            ReplicationStatus::Failed => "FAILED",
            ReplicationStatus::Replica => "REPLICA",
        }
    }
}

/// Standard HTTP metadata and user metadata of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `x-amz-website-redirect-location`.
    pub website_redirect_location: Option<String>,
    /// `x-amz-meta-*`.
    pub user: BTreeMap<String, String>,
}

/// The content of a version that is not a delete marker.
#[derive(Debug, Clone)]
pub struct ObjectData {
    /// The body.
    pub blob: Blob,
    /// The ETag without quotes: hex MD5, or `hex-N` for multipart uploads.
    pub etag: String,
    /// Metadata.
    pub meta: ObjectMeta,
    /// The storage class (`STANDARD` unless set or transitioned).
    pub storage_class: String,
    /// The parts a multipart object was completed from, in order (empty
    /// for an object written in one piece).
    pub parts: Arc<[ObjectPart]>,
    /// The checksum stored with the version (CRC64NVME unless the writer
    /// chose another algorithm).
    pub checksum: ObjectChecksum,
    /// Replication state.
    pub replication_status: Option<ReplicationStatus>,
    /// Object Lock retention.
    pub retention: Option<Retention>,
    /// Object Lock legal hold: `None` when it was never set (GetObjectLegalHold
    /// then answers `NoSuchObjectLockConfiguration`), else whether it is on.
    pub legal_hold: Option<bool>,
    /// Object tags.
    pub tags: Vec<(String, String)>,
    /// The ARN of the customer managed KMS key the version is encrypted
    /// with (SSE-KMS), if it is.
    pub kms_key_arn: Option<String>,
    /// The version's ACL (stored, not evaluated).
    pub acl: StoredAcl,
}

impl ObjectData {
    /// The body's size.
    pub fn size(&self) -> u64 {
        self.blob.len()
    }

    /// How many parts the object was uploaded in, for multipart objects.
    pub fn parts_count(&self) -> Option<u32> {
        (!self.parts.is_empty()).then(|| u32::try_from(self.parts.len()).unwrap_or(u32::MAX))
    }

    /// The byte range (`start..end`) and the part of part `number`.
    pub fn part_range(&self, number: i32) -> Option<(std::ops::Range<u64>, &ObjectPart)> {
        let mut start = 0u64;
        for p in self.parts.iter() {
            let end = start.saturating_add(p.size);
            if p.number == number {
                return Some((start..end, p));
            }
            start = end;
        }
        None
    }
}

/// One part of a completed multipart object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPart {
    /// The part number the client gave.
    pub number: i32,
    /// Its size.
    pub size: u64,
    /// Its checksum, for objects with a composite checksum.
    pub checksum: Option<String>,
}

/// One version of a key: an object or a delete marker.
#[derive(Debug, Clone)]
pub struct Version {
    /// The version id (`null` for null versions).
    pub id: String,
    /// When it was written.
    pub last_modified: DateTime<Utc>,
    /// The object, or `None` for a delete marker.
    pub object: Option<ObjectData>,
    /// Whether this delete marker is a replica (markers carry no status).
    pub replica_marker: bool,
}

impl Version {
    /// Whether this version is a delete marker.
    pub fn is_delete_marker(&self) -> bool {
        self.object.is_none()
    }
}

/// Which form a rule's filter took on the wire, so that it reads back as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterShape {
    /// The legacy rule-level `<Prefix>`.
    #[default]
    LegacyPrefix,
    /// `<Filter/>` with nothing in it.
    Empty,
    /// `<Filter><Prefix/></Filter>`.
    Prefix,
    /// `<Filter><Tag/></Filter>`.
    Tag,
    /// `<Filter><ObjectSizeGreaterThan/></Filter>`.
    SizeGreaterThan,
    /// `<Filter><ObjectSizeLessThan/></Filter>`.
    SizeLessThan,
    /// `<Filter><And>...</And></Filter>`.
    And,
}

/// Which objects a lifecycle or replication rule applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    /// Key prefix.
    pub prefix: Option<String>,
    /// Tags the object must all carry.
    pub tags: Vec<(String, String)>,
    /// Objects larger than this.
    pub size_greater_than: Option<i64>,
    /// Objects smaller than this.
    pub size_less_than: Option<i64>,
    /// How it was written.
    pub shape: FilterShape,
}

impl RuleFilter {
    /// Whether the key (and the object, when there is one) matches.
    pub fn matches(&self, key: &str, object: Option<&ObjectData>) -> bool {
        if let Some(p) = &self.prefix
            && !key.starts_with(p.as_str())
        {
            return false;
        }
        if self.tags.is_empty() && self.size_greater_than.is_none() && self.size_less_than.is_none() {
            return true;
        }
        let Some(object) = object else {
            // Delete markers carry no tags and no size.
            return false;
        };
        let size = i64::try_from(object.size()).unwrap_or(i64::MAX);
        if self.size_greater_than.is_some_and(|n| size <= n) || self.size_less_than.is_some_and(|n| size >= n)
        {
            return false;
        }
        self.tags.iter().all(|t| object.tags.contains(t))
    }
}

/// A transition of current versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Days after creation.
    pub days: Option<i32>,
    /// Or a date.
    pub date: Option<DateTime<Utc>>,
    /// The target class.
    pub storage_class: String,
}

/// A transition of noncurrent versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoncurrentTransition {
    /// Days after becoming noncurrent.
    pub days: i32,
    /// The target class.
    pub storage_class: String,
    /// How many newer noncurrent versions to leave alone.
    pub newer_noncurrent_versions: Option<i32>,
}

/// Expiration of current versions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expiration {
    /// Days after creation.
    pub days: Option<i32>,
    /// Or a date.
    pub date: Option<DateTime<Utc>>,
    /// Remove delete markers that are the only version left.
    pub expired_object_delete_marker: Option<bool>,
}

/// Expiration of noncurrent versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoncurrentExpiration {
    /// Days after becoming noncurrent.
    pub days: i32,
    /// How many newer noncurrent versions to keep.
    pub newer_noncurrent_versions: Option<i32>,
}

/// One lifecycle rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LifecycleRule {
    /// The rule id.
    pub id: Option<String>,
    /// `Enabled` (true) or `Disabled`.
    pub enabled: bool,
    /// Which objects.
    pub filter: RuleFilter,
    /// Current-version expiration.
    pub expiration: Option<Expiration>,
    /// Current-version transitions.
    pub transitions: Vec<Transition>,
    /// Noncurrent-version transitions.
    pub noncurrent_transitions: Vec<NoncurrentTransition>,
    /// Noncurrent-version expiration.
    pub noncurrent_expiration: Option<NoncurrentExpiration>,
    /// Abort multipart uploads this many days after initiation.
    pub abort_incomplete_multipart_days: Option<i32>,
}

/// One replication rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationRule {
    /// The rule id.
    pub id: Option<String>,
    /// Priority (higher wins).
    pub priority: Option<i32>,
    /// `Enabled` (true) or `Disabled`.
    pub enabled: bool,
    /// Which objects.
    pub filter: RuleFilter,
    /// `DeleteMarkerReplication` status, when given.
    pub delete_marker_replication: Option<bool>,
    /// The destination bucket's ARN as written.
    pub destination_arn: String,
    /// The destination bucket's name.
    pub destination_bucket: String,
    /// The replicas' storage class.
    pub storage_class: Option<String>,
    /// `ExistingObjectReplication` status, when given (accepted, but existing
    /// objects are never replicated: that takes S3 Batch Replication).
    pub existing_object_replication: Option<bool>,
}

/// A bucket's replication configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// The IAM role.
    pub role: String,
    /// The rules.
    pub rules: Vec<ReplicationRule>,
}

/// A bucket's default retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRetention {
    /// The mode.
    pub mode: LockMode,
    /// Days.
    pub days: Option<i32>,
    /// Or years.
    pub years: Option<i32>,
}

/// A bucket's default encryption (PutBucketEncryption). Every bucket has
/// one: SSE-S3 (`AES256`) unless set otherwise, as on AWS since 2023.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEncryption {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// The KMS key, for the KMS algorithms.
    pub kms_key_id: Option<String>,
    /// Whether an S3 Bucket Key is used.
    pub bucket_key_enabled: bool,
}

impl Default for BucketEncryption {
    fn default() -> Self {
        Self {
            algorithm: "AES256".to_owned(),
            kms_key_id: None,
            bucket_key_enabled: false,
        }
    }
}

/// A bucket's Block Public Access settings (PutPublicAccessBlock). AWS
/// turns all four on for every new bucket since April 2023.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicAccessBlock {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four settings on: a new bucket's.
    pub const ALL: Self = Self {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

/// The Object Ownership settings of the S3 model's `ObjectOwnership` enum.
pub const OBJECT_OWNERSHIPS: [&str; 3] = ["BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"];

/// A new bucket's Object Ownership: ACLs disabled, as on AWS since April
/// 2023.
pub const DEFAULT_OBJECT_OWNERSHIP: &str = "BucketOwnerEnforced";

/// The `TransitionDefaultMinimumObjectSize` AWS applies by default since
/// September 2024: objects under 128 KB do not transition.
pub const DEFAULT_TRANSITION_MIN_SIZE: &str = "all_storage_classes_128K";

/// One bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Its name.
    pub name: String,
    /// The region it lives in.
    pub region: String,
    /// What GetBucketLocation answers: `None` in us-east-1, `EU` for a
    /// bucket created with that constraint, else the region.
    pub location_constraint: Option<String>,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Versioning state.
    pub versioning: Versioning,
    /// Whether Object Lock is enabled.
    pub object_lock: bool,
    /// The default retention of new versions.
    pub default_retention: Option<DefaultRetention>,
    /// Bucket tags, when set.
    pub tags: Option<Vec<(String, String)>>,
    /// Lifecycle rules, when set.
    pub lifecycle: Option<Vec<LifecycleRule>>,
    /// Replication configuration, when set.
    pub replication: Option<ReplicationConfig>,
    /// Default encryption.
    pub encryption: BucketEncryption,
    /// The bucket policy, as the client wrote it (stored, not evaluated).
    pub policy: Option<String>,
    /// Block Public Access (stored, not enforced; `None` once deleted).
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object Ownership (one of [`OBJECT_OWNERSHIPS`]; `None` once deleted).
    pub object_ownership: Option<String>,
    /// The bucket ACL last set (stored, not evaluated).
    pub acl: StoredAcl,
    /// The lifecycle's `TransitionDefaultMinimumObjectSize`
    /// (`all_storage_classes_128K` unless PutBucketLifecycleConfiguration
    /// said otherwise).
    pub transition_min_size: String,
    /// CORS, website, logging, acceleration, Requester Pays and
    /// EventBridge notifications (stored, not acted on).
    pub configs: super::configs::BucketConfigs,
    /// Versions of every key, oldest first (the last is current).
    pub objects: BTreeMap<String, Vec<Version>>,
    /// The UTC day lifecycle rules were last applied for (`None`: apply at
    /// the next tick).
    pub lifecycle_applied_on: Option<chrono::NaiveDate>,
}

impl Bucket {
    /// A new empty bucket.
    pub fn new(name: &str, region: &str, created: DateTime<Utc>) -> Self {
        Self {
            name: name.to_owned(),
            region: region.to_owned(),
            location_constraint: (region != "us-east-1").then(|| region.to_owned()),
            created,
            versioning: Versioning::Unversioned,
            object_lock: false,
            default_retention: None,
            tags: None,
            lifecycle: None,
            replication: None,
            encryption: BucketEncryption::default(),
            policy: None,
            public_access_block: Some(PublicAccessBlock::ALL),
            object_ownership: Some(DEFAULT_OBJECT_OWNERSHIP.to_owned()),
            acl: None,
            transition_min_size: DEFAULT_TRANSITION_MIN_SIZE.to_owned(),
            configs: super::configs::BucketConfigs::default(),
            objects: BTreeMap::new(),
            lifecycle_applied_on: None,
        }
    }
}

/// A part of a multipart upload.
#[derive(Debug, Clone)]
pub struct UploadPart {
    /// The body.
    pub blob: Blob,
    /// Hex MD5.
    pub etag: String,
    /// The raw MD5.
    pub md5: [u8; 16],
    /// Its CRC64NVME and the upload's checksum (or the one the part was
    /// sent with).
    pub digests: Digests,
    /// When it was uploaded.
    pub last_modified: DateTime<Utc>,
}

/// The checksum a multipart upload was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadChecksum {
    /// The algorithm every part must carry.
    pub algorithm: Algorithm,
    /// How the parts' checksums make the object's.
    pub kind: ChecksumType,
}

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The upload id.
    pub id: String,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// When it was initiated.
    pub initiated: DateTime<Utc>,
    /// What the object will carry.
    pub template: NewObject,
    /// The checksum the upload was created with, if any (the object then
    /// gets a full-object CRC64NVME).
    pub checksum: Option<UploadChecksum>,
    /// Whether the key had a current object when the upload was created
    /// (a completion with `If-None-Match: *` that finds it gone since
    /// answers `ConditionalRequestConflict`).
    pub key_existed: bool,
    /// Parts by number.
    pub parts: BTreeMap<i32, UploadPart>,
}

/// A conditional write's precondition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-None-Match: *`: the key has no current object.
    Absent,
    /// `If-Match: <etag>`: the current object has this ETag (no quotes).
    Matches(String),
}

/// What a write asks for besides the body.
#[derive(Debug, Clone, Default)]
pub struct NewObject {
    /// Metadata.
    pub meta: ObjectMeta,
    /// Storage class (default `STANDARD`).
    pub storage_class: Option<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Explicit retention.
    pub retention: Option<Retention>,
    /// Explicit legal hold.
    pub legal_hold: Option<bool>,
    /// The write's precondition (`If-None-Match` / `If-Match`), checked
    /// atomically with the commit.
    pub precondition: Option<Precondition>,
    /// The write's `x-amz-server-side-encryption`: `None` when absent
    /// (the bucket's default encryption applies), `Some(None)` for a key
    /// KMS does not hold for the customer (`AES256`, or `aws:kms` without
    /// a key id: the AWS managed `aws/s3`), `Some(Some(key))` for the
    /// customer managed key named by `x-amz-server-side-encryption-aws-kms-key-id`.
    pub kms: Option<Option<String>>,
    /// The ACL the write names (`None`: the owner's full control).
    pub acl: StoredAcl,
}
