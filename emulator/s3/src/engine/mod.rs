//! The versioned object engine: buckets, versions, delete markers, multipart
//! uploads, Object Lock, lifecycle and replication, with no HTTP in sight.
//!
//! State lives behind one mutex that is never held across an `.await`:
//! bodies are streamed into blobs first ([`crate::blob`]), then the version
//! is committed in one short critical section. Every method that serves a
//! request takes the region the request was signed for and answers
//! [`S3EngineError::PermanentRedirect`] when the bucket lives elsewhere;
//! the in-process API for AWS Backup passes `None` and reaches any bucket.

// Client numbers meet instants and sizes here: no operator that can
// overflow or panic (`DateTime + TimeDelta`, unchecked integer arithmetic);
// see `time`.
#![warn(clippy::arithmetic_side_effects)]

mod access;
mod completed;
pub mod configs;
mod lifecycle;
mod list;
pub mod model;
mod multipart;
mod replication;
mod time;

use crate::blob::{Blob, BlobStore, Written};
use crate::checksum::{Algorithm, ObjectChecksum};
use crate::error::S3EngineError;
use chrono::{DateTime, Utc};
use firedrill_emu_core::Environment;
use model::*;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use time::saturating_after;

pub use list::{ListObjectsPage, ListVersionsPage, ListedObject, ListedVersion};
pub use multipart::{CompleteChecksum, CompletedPartSpec};

/// The most parts a multipart upload may have.
pub const MAX_PARTS: i32 = 10_000;
/// The longest Object Lock default retention in days (100 years), as AWS caps it.
pub const MAX_RETENTION_DAYS: i32 = 36_500;
/// The longest Object Lock default retention in years.
pub const MAX_RETENTION_YEARS: i32 = 100;
/// The most bytes of user metadata (keys and values, UTF-8) an object may carry.
pub const MAX_USER_METADATA_BYTES: usize = 2 * 1024;
/// The storage classes of the S3 model's `StorageClass` enum.
pub const STORAGE_CLASSES: [&str; 13] = [
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
    "FSX_OPENZFS",
    "FSX_ONTAP",
];

/// Checks a bucket policy document as S3 does before storing it: JSON
/// whose first byte is `{`, an object, with a `Statement`.
pub fn validate_policy(policy: &str) -> Result<()> {
    let malformed = |m: &str| S3EngineError::MalformedPolicy(m.to_owned());
    if !policy.trim_start().starts_with('{') {
        return Err(malformed(
            "Policies must be valid JSON and the first byte must be '{'",
        ));
    }
    let doc: serde_json::Value = serde_json::from_str(policy)
        .map_err(|_| malformed("Policies must be valid JSON and the first byte must be '{'"))?;
    match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) if !a.is_empty() => Ok(()),
        Some(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(malformed("Missing required field Statement")),
    }
}

/// Validates what a write asks for before anything is stored: a storage
/// class of the model's enum (`InvalidStorageClass`) and at most 2 KB of
/// user metadata (`MetadataTooLarge`), in `new` and in the metadata a copy
/// replaces the source's with.
pub fn validate_new_object(new: &NewObject, replaced_meta: Option<&ObjectMeta>) -> Result<()> {
    if let Some(class) = &new.storage_class
        && !STORAGE_CLASSES.contains(&class.as_str())
    {
        return Err(S3EngineError::InvalidStorageClass);
    }
    for meta in std::iter::once(&new.meta).chain(replaced_meta) {
        let size = meta.user.iter().fold(0usize, |n, (k, v)| {
            n.saturating_add(k.len()).saturating_add(v.len())
        });
        if size > MAX_USER_METADATA_BYTES {
            return Err(S3EngineError::MetadataTooLarge);
        }
    }
    Ok(())
}
/// The smallest part other than the last.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest single PUT (5 GiB).
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

type Result<T> = std::result::Result<T, S3EngineError>;

/// The engine's mutable state.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub buckets: BTreeMap<String, Bucket>,
    pub uploads: HashMap<String, Upload>,
    pub completed: completed::CompletedUploads,
    pub replication: replication::Queue,
}

/// The S3 engine.
#[derive(Debug)]
pub struct Engine {
    env: Environment,
    store: BlobStore,
    pub(crate) state: Mutex<State>,
}

/// What a PUT, copy or multipart completion answers.
#[derive(Debug, Clone)]
pub struct WriteResult {
    /// The new version's id, when the bucket has versioning (enabled or suspended).
    pub version_id: Option<String>,
    /// The ETag without quotes.
    pub etag: String,
    /// When it was written.
    pub last_modified: DateTime<Utc>,
    /// The size.
    pub size: u64,
    /// The checksum stored with the version.
    pub checksum: ObjectChecksum,
    /// The customer managed KMS key the version is encrypted with.
    pub kms_key_arn: Option<String>,
}

/// What a new version is made of besides its metadata.
struct Stored {
    blob: Blob,
    etag: String,
    parts: Arc<[ObjectPart]>,
    checksum: ObjectChecksum,
    /// For a multipart completion: when the upload was initiated and
    /// whether the key had an object then.
    upload: Option<(DateTime<Utc>, bool)>,
}

/// Evaluates a write's precondition against the key's current version.
fn check_precondition(
    b: &Bucket,
    key: &str,
    precondition: Option<&Precondition>,
    upload: Option<(DateTime<Utc>, bool)>,
) -> Result<()> {
    let Some(pre) = precondition else {
        return Ok(());
    };
    let current = b
        .objects
        .get(key)
        .and_then(|vs| vs.last())
        .and_then(|v| v.object.as_ref().map(|o| (v, o)));
    let conflict = |condition: &str| S3EngineError::ConditionalRequestConflict {
        condition: condition.to_owned(),
        key: key.to_owned(),
    };
    match (pre, current) {
        (Precondition::Absent, Some(_)) => Err(S3EngineError::PreconditionFailed("If-None-Match".to_owned())),
        (Precondition::Absent, None) if upload.is_some_and(|(_, existed)| existed) => {
            Err(conflict("If-None-Match"))
        }
        (Precondition::Absent, None) => Ok(()),
        (Precondition::Matches(_), None) => Err(S3EngineError::NoSuchKey {
            key: key.to_owned(),
            delete_marker: None,
        }),
        (Precondition::Matches(e), Some((_, o))) if *e != o.etag => {
            Err(S3EngineError::PreconditionFailed("If-Match".to_owned()))
        }
        (Precondition::Matches(_), Some((v, _))) if upload.is_some_and(|(t, _)| v.last_modified > t) => {
            Err(conflict("If-Match"))
        }
        (Precondition::Matches(_), Some(_)) => Ok(()),
    }
}

/// A copy's body hashed again, for a copy that gets a new ETag or checksum.
#[derive(Debug, Clone)]
pub struct Rehashed {
    /// The body's MD5 and digests.
    pub digests: crate::blob::BodyDigests,
    /// The algorithm the copy stores.
    pub algorithm: Algorithm,
    /// Whether the client asked for it (a copy onto itself may then change
    /// nothing else).
    pub requested: bool,
}

/// The source of a copy, found and checked.
#[derive(Debug, Clone)]
pub struct CopySource {
    /// The source bucket.
    pub bucket: String,
    /// The source key.
    pub key: String,
    /// Whether the request named the source version.
    pub explicit_version: bool,
    /// The source version.
    pub found: Found,
    /// The `x-amz-copy-source-version-id` to answer (versioned source buckets).
    pub version_id: Option<String>,
}

/// What a DELETE answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteResult {
    /// Whether a delete marker was created or removed.
    pub delete_marker: bool,
    /// The version id created or removed.
    pub version_id: Option<String>,
}

/// An object version found by GET or HEAD.
#[derive(Debug, Clone)]
pub struct Found {
    /// The version id (`None` for the null version of a never-versioned bucket).
    pub version_id: Option<String>,
    /// When it was written.
    pub last_modified: DateTime<Utc>,
    /// The object.
    pub object: ObjectData,
}

/// The current version of one key in a snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotObject {
    /// The key.
    pub key: String,
    /// The version id it had in the source bucket.
    pub version_id: String,
    /// When it was written.
    pub last_modified: DateTime<Utc>,
    /// The object (its body is held by reference and never changes).
    pub object: ObjectData,
}

impl SnapshotObject {
    /// The size in bytes.
    pub fn size(&self) -> u64 {
        self.object.size()
    }

    /// The ETag without quotes.
    pub fn etag(&self) -> &str {
        &self.object.etag
    }

    /// Reads the body.
    pub async fn read(&self) -> std::io::Result<bytes::Bytes> {
        self.object.blob.read_all().await
    }
}

/// The current version of every key of a bucket at one instant, bodies
/// included, immune to later writes and deletes.
#[derive(Debug, Clone)]
pub struct BucketSnapshot {
    /// The bucket it was taken of.
    pub bucket: String,
    /// The region the snapshot lives in (the bucket's, or where it was copied).
    pub region: String,
    /// When it was taken (emulator time).
    pub taken_at: DateTime<Utc>,
    /// The bucket's tags at the time.
    pub tags: Vec<(String, String)>,
    /// The objects, by key order.
    pub objects: Vec<SnapshotObject>,
}

impl BucketSnapshot {
    /// The total size of the bodies.
    pub fn total_bytes(&self) -> u64 {
        self.objects.iter().map(SnapshotObject::size).sum()
    }

    /// The object at `key`.
    pub fn get(&self, key: &str) -> Option<&SnapshotObject> {
        self.objects
            .binary_search_by(|o| o.key.as_str().cmp(key))
            .ok()
            .and_then(|i| self.objects.get(i))
    }
}

/// A fresh version id: 32 URL-safe characters.
pub(crate) fn new_version_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let body = &random[..VERSION_ID_BODY];
    format!("{body}{}", version_id_check(body))
}

/// The length of a version id's random part; four hex digits of check follow.
const VERSION_ID_BODY: usize = 28;

/// The check digits of a version id: like AWS's, a version id carries its
/// own integrity, so an altered or made-up id is refused as invalid rather
/// than looked up (AWS answers `InvalidArgument`, "Invalid version id
/// specified", to a version id it did not issue).
fn version_id_check(body: &str) -> String {
    let digest = <md5::Md5 as md5::Digest>::digest(body.as_bytes());
    #[allow(
        clippy::indexing_slicing,
        reason = "an MD5 digest is 16 bytes, so its first two always exist"
    )]
    hex::encode(&digest[..2])
}

/// Whether `id` could be a version id this emulator issued.
pub(crate) fn is_valid_version_id(id: &str) -> bool {
    if id == NULL_VERSION {
        return true;
    }
    id.len() == VERSION_ID_BODY + 4
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && id
            .get(..VERSION_ID_BODY)
            .is_some_and(|body| id.ends_with(&version_id_check(body)))
}

fn invalid_version_id(id: &str) -> S3EngineError {
    S3EngineError::InvalidVersionId(id.to_owned())
}

/// Checks S3's bucket naming rules.
pub fn valid_bucket_name(name: &str) -> bool {
    let len_ok = (3..=63).contains(&name.len());
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    let not_ip = name.parse::<std::net::Ipv4Addr>().is_err();
    let no_dots = !name.contains("..") && !name.contains(".-") && !name.contains("-.");
    let reserved = name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3");
    len_ok && chars_ok && ends_ok && not_ip && no_dots && !reserved
}

impl State {
    /// The bucket, checked against the request's region.
    pub(crate) fn bucket(&self, name: &str, region: Option<&str>) -> Result<&Bucket> {
        let b = self
            .buckets
            .get(name)
            .ok_or_else(|| S3EngineError::NoSuchBucket(name.to_owned()))?;
        check_region(b, region)?;
        Ok(b)
    }

    /// The bucket, mutably, checked against the request's region.
    pub(crate) fn bucket_mut(&mut self, name: &str, region: Option<&str>) -> Result<&mut Bucket> {
        let b = self
            .buckets
            .get_mut(name)
            .ok_or_else(|| S3EngineError::NoSuchBucket(name.to_owned()))?;
        check_region(b, region)?;
        Ok(b)
    }
}

fn check_region(b: &Bucket, region: Option<&str>) -> Result<()> {
    match region {
        Some(r) if r != b.region => Err(S3EngineError::PermanentRedirect {
            bucket: b.name.clone(),
            region: b.region.clone(),
        }),
        _ => Ok(()),
    }
}

/// Whether a version may be deleted now; `bypass` is the governance bypass.
fn check_deletable(v: &Version, now: DateTime<Utc>, bypass: bool) -> Result<()> {
    let Some(o) = &v.object else { return Ok(()) };
    if o.legal_hold == Some(true) {
        return Err(S3EngineError::AccessDenied(
            "Access Denied because object protected by object lock.".to_owned(),
        ));
    }
    if let Some(r) = o.retention
        && r.until > now
        && !(r.mode == LockMode::Governance && bypass)
    {
        return Err(S3EngineError::AccessDenied(
            "Access Denied because object protected by object lock.".to_owned(),
        ));
    }
    Ok(())
}

/// The retention a new version gets: explicit, else the bucket default
/// (whose period PutObjectLockConfiguration kept within 100 years).
fn retention_for(
    bucket: &Bucket,
    explicit: Option<Retention>,
    now: DateTime<Utc>,
) -> Result<Option<Retention>> {
    if !bucket.object_lock {
        return Ok(None);
    }
    if explicit.is_some() {
        return Ok(explicit);
    }
    let Some(d) = bucket.default_retention else {
        return Ok(None);
    };
    let until = match (d.days, d.years) {
        (Some(days), _) => time::after_days(now, i64::from(days)),
        (None, Some(years)) => time::after_years(now, i64::from(years)),
        (None, None) => return Ok(None),
    };
    let until = until
        .ok_or_else(|| S3EngineError::InvalidArgument("Default retention period is too large.".to_owned()))?;
    Ok(Some(Retention { mode: d.mode, until }))
}

impl Engine {
    /// An engine storing bodies as the environment says.
    pub fn new(env: &Environment) -> Self {
        let store = if env.config.in_memory_bodies {
            BlobStore::in_memory()
        } else {
            match env
                .service_dir("s3")
                .and_then(|d| BlobStore::on_disk(d.join("blobs")))
            {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot create the S3 data directory; keeping bodies in memory");
                    BlobStore::in_memory()
                }
            }
        };
        Self {
            env: env.clone(),
            store,
            state: Mutex::new(State::default()),
        }
    }

    /// The emulator's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.env.now()
    }

    /// The blob store.
    pub fn store(&self) -> &BlobStore {
        &self.store
    }

    /// The environment.
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// Forgets every bucket and upload (their bodies go with them).
    pub fn reset(&self) {
        let old = std::mem::take(&mut *self.state.lock());
        drop(old);
    }

    // ----- Buckets -----

    /// CreateBucket in `region` with an optional location constraint.
    pub fn create_bucket(
        &self,
        name: &str,
        region: &str,
        location_constraint: Option<&str>,
        object_lock: bool,
        object_ownership: Option<&str>,
    ) -> Result<()> {
        if !valid_bucket_name(name) {
            return Err(S3EngineError::InvalidBucketName(name.to_owned()));
        }
        if let Some(o) = object_ownership.filter(|o| !OBJECT_OWNERSHIPS.contains(o)) {
            return Err(S3EngineError::InvalidArgumentNamed {
                message: format!("Invalid x-amz-object-ownership header: {o}"),
                name: "x-amz-object-ownership".to_owned(),
                value: o.to_owned(),
            });
        }
        let illegal = |c: &str| {
            S3EngineError::IllegalLocationConstraint(format!(
                "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
            ))
        };
        // The us-east-1 endpoint (S3's legacy global endpoint) creates the
        // bucket in the region the constraint names; every other regional
        // endpoint only in its own region.
        let target = match location_constraint.filter(|c| !c.is_empty()) {
            None if region != "us-east-1" => {
                return Err(S3EngineError::IllegalLocationConstraint(
                    "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
                        .to_owned(),
                ));
            }
            None => region,
            Some(c) if c == region && c != "us-east-1" => region,
            Some(c) if region != "us-east-1" => return Err(illegal(c)),
            Some("EU") => "eu-west-1",
            Some(c) if c == "us-east-1" || !looks_like_region(c) => {
                return Err(S3EngineError::InvalidLocationConstraint(c.to_owned()));
            }
            Some(c) => c,
        };
        let now = self.now();
        let mut st = self.state.lock();
        if let Some(existing) = st.buckets.get(name) {
            // In us-east-1, S3 answers 200 to re-creating a bucket you own
            // there (the legacy global endpoint's behaviour); every other
            // region answers 409.
            if existing.region == "us-east-1" && target == "us-east-1" {
                return Ok(());
            }
            return Err(S3EngineError::BucketAlreadyOwnedByYou(name.to_owned()));
        }
        let region = target;
        let mut b = Bucket::new(name, region, now);
        // GetBucketLocation answers `EU` for a bucket created with that
        // legacy constraint, though it lives in eu-west-1.
        if location_constraint == Some("EU") {
            b.location_constraint = Some("EU".to_owned());
        }
        if object_lock {
            b.object_lock = true;
            b.versioning = Versioning::Enabled;
        }
        if let Some(o) = object_ownership {
            b.object_ownership = Some(o.to_owned());
        }
        st.buckets.insert(name.to_owned(), b);
        tracing::debug!(bucket = name, region, "bucket created");
        Ok(())
    }

    /// GetBucketLocation, answered from any region: `None` for us-east-1,
    /// the constraint the bucket was created with otherwise.
    pub fn bucket_location(&self, name: &str) -> Result<Option<String>> {
        let st = self.state.lock();
        Ok(st.bucket(name, None)?.location_constraint.clone())
    }

    /// HeadBucket: the bucket's region when it exists and is addressed right.
    pub fn head_bucket(&self, name: &str, region: Option<&str>) -> Result<String> {
        let st = self.state.lock();
        Ok(st.bucket(name, region)?.region.clone())
    }

    /// DeleteBucket: refused while any version or upload remains.
    pub fn delete_bucket(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        let b = st.bucket(name, region)?;
        if !b.objects.is_empty() || st.uploads.values().any(|u| u.bucket == name) {
            return Err(S3EngineError::BucketNotEmpty(name.to_owned()));
        }
        st.buckets.remove(name);
        st.replication.forget_bucket(name);
        st.completed.forget_bucket(name);
        Ok(())
    }

    /// Removes a bucket with every version and upload in it: AWS Backup's
    /// clean-up of a bucket a restore test created (not an S3 operation;
    /// S3's own DeleteBucket refuses a bucket that is not empty).
    pub fn discard_bucket(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket(name, region)?;
        st.uploads.retain(|_, u| u.bucket != name);
        st.buckets.remove(name);
        st.replication.forget_bucket(name);
        st.completed.forget_bucket(name);
        Ok(())
    }

    /// Every bucket: name, region, creation time.
    pub fn list_buckets(&self) -> Vec<(String, String, DateTime<Utc>)> {
        let st = self.state.lock();
        st.buckets
            .values()
            .map(|b| (b.name.clone(), b.region.clone(), b.created))
            .collect()
    }

    /// The region a bucket lives in.
    pub fn bucket_region(&self, name: &str) -> Option<String> {
        self.state.lock().buckets.get(name).map(|b| b.region.clone())
    }

    /// Runs `f` on the bucket (checked against `region`).
    pub fn with_bucket<T>(
        &self,
        name: &str,
        region: Option<&str>,
        f: impl FnOnce(&Bucket) -> T,
    ) -> Result<T> {
        let st = self.state.lock();
        Ok(f(st.bucket(name, region)?))
    }

    /// PutBucketVersioning.
    pub fn put_versioning(&self, name: &str, region: Option<&str>, status: &str) -> Result<()> {
        let mut st = self.state.lock();
        let b = st.bucket_mut(name, region)?;
        let new = match status {
            "Enabled" => Versioning::Enabled,
            "Suspended" => Versioning::Suspended,
            _ => return Err(S3EngineError::MalformedXml),
        };
        if new == Versioning::Suspended && b.object_lock {
            return Err(S3EngineError::InvalidBucketState(
                "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."
                    .to_owned(),
            ));
        }
        if new == Versioning::Suspended && b.replication.is_some() {
            return Err(S3EngineError::InvalidRequest(
                "A replication configuration is present on this bucket, so the versioning state cannot be changed."
                    .to_owned(),
            ));
        }
        // Suspending a never-versioned bucket is accepted and reported as Suspended.
        b.versioning = new;
        Ok(())
    }

    /// PutBucketTagging.
    pub fn put_bucket_tags(
        &self,
        name: &str,
        region: Option<&str>,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        validate_tags(&tags, 50)?;
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.tags = Some(tags);
        Ok(())
    }

    /// GetBucketTagging.
    pub fn bucket_tags(&self, name: &str, region: Option<&str>) -> Result<Vec<(String, String)>> {
        let st = self.state.lock();
        st.bucket(name, region)?
            .tags
            .clone()
            .ok_or_else(|| S3EngineError::NoSuchTagSet(name.to_owned()))
    }

    /// DeleteBucketTagging.
    pub fn delete_bucket_tags(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.tags = None;
        Ok(())
    }

    /// PutBucketEncryption: refuses a KMS key with `AES256`
    /// (`InvalidArgument`) and algorithms outside the model's enum.
    pub fn put_encryption(&self, name: &str, region: Option<&str>, enc: BucketEncryption) -> Result<()> {
        if !["AES256", "aws:kms", "aws:kms:dsse"].contains(&enc.algorithm.as_str()) {
            return Err(S3EngineError::MalformedXml);
        }
        if enc.algorithm == "AES256" && enc.kms_key_id.is_some() {
            return Err(S3EngineError::InvalidArgument(
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"
                    .to_owned(),
            ));
        }
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.encryption = enc;
        Ok(())
    }

    /// GetBucketEncryption: SSE-S3 unless set otherwise.
    pub fn encryption(&self, name: &str, region: Option<&str>) -> Result<BucketEncryption> {
        let st = self.state.lock();
        Ok(st.bucket(name, region)?.encryption.clone())
    }

    /// DeleteBucketEncryption: back to the SSE-S3 default.
    pub fn delete_encryption(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.encryption = BucketEncryption::default();
        Ok(())
    }

    /// PutObjectLockConfiguration.
    pub fn put_object_lock_config(
        &self,
        name: &str,
        region: Option<&str>,
        enabled: bool,
        default: Option<DefaultRetention>,
    ) -> Result<()> {
        if !enabled {
            return Err(S3EngineError::MalformedXml);
        }
        if let Some(d) = default {
            match (d.days, d.years) {
                (Some(_), Some(_)) | (None, None) => return Err(S3EngineError::MalformedXml),
                (Some(n), None) | (None, Some(n)) if n <= 0 => {
                    return Err(S3EngineError::InvalidArgument(
                        "Default retention period must be a positive integer value.".to_owned(),
                    ));
                }
                (Some(days), None) if days > MAX_RETENTION_DAYS => {
                    return Err(S3EngineError::InvalidArgument(
                        "Default retention period is too large.".to_owned(),
                    ));
                }
                (None, Some(years)) if years > MAX_RETENTION_YEARS => {
                    return Err(S3EngineError::InvalidArgument(
                        "Default retention period is too large.".to_owned(),
                    ));
                }
                _ => {}
            }
        }
        let mut st = self.state.lock();
        let b = st.bucket_mut(name, region)?;
        if !b.object_lock {
            if b.versioning != Versioning::Enabled {
                return Err(S3EngineError::InvalidBucketState(
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
                        .to_owned(),
                ));
            }
            b.object_lock = true;
        }
        b.default_retention = default;
        Ok(())
    }

    /// GetObjectLockConfiguration: whether enabled, and the default retention.
    pub fn object_lock_config(&self, name: &str, region: Option<&str>) -> Result<Option<DefaultRetention>> {
        let st = self.state.lock();
        let b = st.bucket(name, region)?;
        if !b.object_lock {
            return Err(S3EngineError::ObjectLockConfigurationNotFound(name.to_owned()));
        }
        Ok(b.default_retention)
    }

    /// PutBucketLifecycleConfiguration, after checking the rules as S3 does.
    /// `min_size` is the request's `x-amz-transition-default-minimum-object-size`;
    /// without it the default (`all_storage_classes_128K`) applies. Answers
    /// the size in force.
    pub fn put_lifecycle(
        &self,
        name: &str,
        region: Option<&str>,
        rules: Vec<LifecycleRule>,
        min_size: Option<&str>,
    ) -> Result<String> {
        validate_lifecycle(&rules)?;
        let mut st = self.state.lock();
        let b = st.bucket_mut(name, region)?;
        b.transition_min_size = min_size.unwrap_or(DEFAULT_TRANSITION_MIN_SIZE).to_owned();
        b.lifecycle = Some(rules);
        b.lifecycle_applied_on = None;
        Ok(b.transition_min_size.clone())
    }

    /// GetBucketLifecycleConfiguration: the rules and the
    /// `TransitionDefaultMinimumObjectSize`.
    pub fn lifecycle(&self, name: &str, region: Option<&str>) -> Result<(Vec<LifecycleRule>, String)> {
        let st = self.state.lock();
        let b = st.bucket(name, region)?;
        let rules = b
            .lifecycle
            .clone()
            .ok_or_else(|| S3EngineError::NoSuchLifecycleConfiguration(name.to_owned()))?;
        Ok((rules, b.transition_min_size.clone()))
    }

    /// DeleteBucketLifecycle.
    pub fn delete_lifecycle(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.lifecycle = None;
        Ok(())
    }

    /// PutBucketReplication: both buckets must have versioning enabled.
    pub fn put_replication(&self, name: &str, region: Option<&str>, config: ReplicationConfig) -> Result<()> {
        if config.rules.is_empty() || config.rules.len() > 1000 {
            return Err(S3EngineError::MalformedXml);
        }
        let mut ids = std::collections::HashSet::new();
        for r in &config.rules {
            if let Some(id) = &r.id
                && !ids.insert(id.clone())
            {
                return Err(S3EngineError::InvalidArgument(
                    "Rule Id must be unique.".to_owned(),
                ));
            }
            if !r.filter.tags.is_empty() && r.delete_marker_replication == Some(true) {
                return Err(S3EngineError::InvalidRequest(
                    "Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information.".to_owned(),
                ));
            }
        }
        if config.rules.len() > 1 && config.rules.iter().any(|r| r.priority.is_none()) {
            return Err(S3EngineError::InvalidRequest(
                "Priority must be specified for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information.".to_owned(),
            ));
        }
        let mut st = self.state.lock();
        let b = st.bucket(name, region)?;
        if b.versioning != Versioning::Enabled {
            return Err(S3EngineError::InvalidRequest(
                "Versioning must be 'Enabled' on the bucket to apply a replication configuration".to_owned(),
            ));
        }
        for r in &config.rules {
            let dest = st
                .buckets
                .get(&r.destination_bucket)
                .ok_or_else(|| S3EngineError::InvalidRequest("Destination bucket must exist.".to_owned()))?;
            if dest.versioning != Versioning::Enabled {
                return Err(S3EngineError::InvalidRequest(
                    "Destination bucket must have versioning enabled.".to_owned(),
                ));
            }
        }
        st.bucket_mut(name, region)?.replication = Some(config);
        Ok(())
    }

    /// GetBucketReplication.
    pub fn replication(&self, name: &str, region: Option<&str>) -> Result<ReplicationConfig> {
        let st = self.state.lock();
        st.bucket(name, region)?
            .replication
            .clone()
            .ok_or_else(|| S3EngineError::ReplicationConfigurationNotFound(name.to_owned()))
    }

    /// PutBucketPolicy: the document must be a JSON object with a
    /// `Statement` (`MalformedPolicy` otherwise); it is stored as written.
    pub fn put_policy(&self, name: &str, region: Option<&str>, policy: &str) -> Result<()> {
        validate_policy(policy)?;
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.policy = Some(policy.to_owned());
        Ok(())
    }

    /// GetBucketPolicy (`NoSuchBucketPolicy` when none is set).
    pub fn policy(&self, name: &str, region: Option<&str>) -> Result<String> {
        let st = self.state.lock();
        st.bucket(name, region)?
            .policy
            .clone()
            .ok_or_else(|| S3EngineError::NoSuchBucketPolicy(name.to_owned()))
    }

    /// DeleteBucketPolicy (a no-op when none is set).
    pub fn delete_policy(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.policy = None;
        Ok(())
    }

    /// DeleteBucketReplication.
    pub fn delete_replication(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.replication = None;
        Ok(())
    }

    /// How many versions wait to be replicated.
    pub fn pending_replications(&self) -> usize {
        self.state.lock().replication.len()
    }

    // ----- Objects -----

    /// Checks, before a body is read, that a write to the bucket can succeed.
    pub fn check_writable(&self, bucket: &str, region: Option<&str>) -> Result<()> {
        let st = self.state.lock();
        st.bucket(bucket, region).map(|_| ())
    }

    /// Checks, before a body is read or a copy made, that the bucket takes
    /// writes and that the write's precondition holds now (the commit
    /// checks it again, atomically).
    pub fn check_write(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        precondition: Option<&Precondition>,
    ) -> Result<()> {
        let st = self.state.lock();
        let b = st.bucket(bucket, region)?;
        check_precondition(b, key, precondition, None)
    }

    /// Stores a body from a stream (no state changes), computing its MD5,
    /// CRC64NVME and `checksum`.
    pub async fn write_body<S, E>(&self, body: S, limit: u64, checksum: Option<Algorithm>) -> Result<Written>
    where
        S: futures::Stream<Item = std::result::Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        Ok(self.store.write(body, limit, checksum).await?)
    }

    /// Commits a new version of `key` with a body already written, storing
    /// its `checksum` digest (which [`Engine::write_body`] computed).
    pub fn put_object(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        new: NewObject,
        written: Written,
        checksum: Algorithm,
    ) -> Result<WriteResult> {
        let digest = written
            .digests
            .get(checksum)
            .ok_or_else(|| S3EngineError::Internal(format!("no {} was computed", checksum.name())))?
            .to_vec();
        let stored = Stored {
            etag: hex::encode(written.md5),
            blob: written.blob,
            parts: Arc::from(Vec::new()),
            checksum: ObjectChecksum::full(checksum, digest),
            upload: None,
        };
        self.commit(bucket, region, key, new, stored)
    }

    fn commit(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        new: NewObject,
        stored: Stored,
    ) -> Result<WriteResult> {
        validate_new_object(&new, None)?;
        let now = self.now();
        let lag = self.env.config.timings.s3_replication_lag;
        let mut st = self.state.lock();
        let State {
            buckets, replication, ..
        } = &mut *st;
        let b = buckets
            .get_mut(bucket)
            .ok_or_else(|| S3EngineError::NoSuchBucket(bucket.to_owned()))?;
        check_region(b, region)?;
        check_precondition(b, key, new.precondition.as_ref(), stored.upload)?;
        if new.retention.is_some() || new.legal_hold.is_some() {
            require_object_lock(b.object_lock)?;
        }
        let retention = retention_for(b, new.retention, now)?;
        let kms_key_arn = self.write_key(b, new.kms)?;
        let size = stored.blob.len();
        let Stored {
            blob,
            etag,
            parts,
            checksum,
            ..
        } = stored;
        let object = ObjectData {
            blob,
            etag: etag.clone(),
            meta: new.meta,
            storage_class: new.storage_class.unwrap_or_else(|| "STANDARD".to_owned()),
            parts,
            checksum: checksum.clone(),
            replication_status: None,
            retention,
            legal_hold: new.legal_hold,
            tags: new.tags,
            kms_key_arn: kms_key_arn.clone(),
            acl: new.acl,
        };
        let version_id = insert_new_version(b, key, now, Some(object))?;
        replication::enqueue_write(replication, b, key, &version_id, saturating_after(now, lag));
        Ok(WriteResult {
            version_id: (b.versioning != Versioning::Unversioned).then_some(version_id),
            etag,
            last_modified: now,
            size,
            checksum,
            kms_key_arn,
        })
    }

    /// The customer managed KMS key a new version is encrypted with: the
    /// write's own SSE-KMS key, else the bucket's default when that is
    /// SSE-KMS with a key. It must be usable now ([`S3EngineError::Kms`]
    /// otherwise, before anything is written); the AWS managed `aws/s3`
    /// is S3's own and never asked about.
    fn write_key(&self, b: &Bucket, requested: Option<Option<String>>) -> Result<Option<String>> {
        let default = || {
            b.encryption
                .kms_key_id
                .clone()
                .filter(|_| b.encryption.algorithm.starts_with("aws:kms"))
        };
        let key = match requested {
            Some(k) => k,
            None => default(),
        };
        let Some(key) = key.filter(|k| !k.starts_with("alias/aws/") && !k.contains(":alias/aws/")) else {
            return Ok(None);
        };
        match self.env.key_usable(&b.region, &key) {
            Ok(arn) => Ok(Some(arn.unwrap_or(key))),
            Err(refusal) => Err(S3EngineError::Kms(refusal)),
        }
    }

    /// Whether a stored version can be read: its customer managed KMS key
    /// must be usable ([`S3EngineError::Kms`] otherwise, as S3 answers a
    /// GET or HEAD of an SSE-KMS object whose key is disabled or pending
    /// deletion).
    pub fn readable(&self, region: &str, object: &ObjectData) -> Result<()> {
        match &object.kms_key_arn {
            None => Ok(()),
            Some(key) => self
                .env
                .key_usable(region, key)
                .map(|_| ())
                .map_err(S3EngineError::Kms),
        }
    }

    /// Finds the version GET/HEAD would answer with.
    pub fn get_object(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Found> {
        let st = self.state.lock();
        let b = st.bucket(bucket, region)?;
        find_version(b, key, version_id)
    }

    /// Finds and checks the source of a copy (CopyObject, UploadPartCopy):
    /// the destination bucket must exist in `region`, the source version
    /// must be an object (not a delete marker) that is not archived, and
    /// its customer managed KMS key (if any) usable.
    pub fn copy_source(
        &self,
        bucket: &str,
        region: Option<&str>,
        src_bucket: &str,
        src_key: &str,
        src_version: Option<&str>,
    ) -> Result<CopySource> {
        let (found, version_id, src_region) = {
            let st = self.state.lock();
            st.bucket(bucket, region)?;
            let sb = st.bucket(src_bucket, None)?;
            if let Some(v) = src_version
                && !is_valid_version_id(v)
            {
                return Err(invalid_version_id(v));
            }
            let found = match find_version(sb, src_key, src_version) {
                Err(S3EngineError::MethodNotAllowed { .. }) => {
                    return Err(S3EngineError::InvalidRequest(
                        "The source of a copy request may not specifically refer to a delete marker by version id."
                            .to_owned(),
                    ));
                }
                other => other?,
            };
            let vid = (sb.versioning != Versioning::Unversioned).then(|| {
                found
                    .version_id
                    .clone()
                    .unwrap_or_else(|| NULL_VERSION.to_owned())
            });
            (found, vid, sb.region.clone())
        };
        if is_archived(&found.object.storage_class) {
            return Err(S3EngineError::InvalidObjectState {
                storage_class: found.object.storage_class.clone(),
            });
        }
        // A copy decrypts its source: an SSE-KMS source whose key is no
        // longer usable is refused as its GetObject would be.
        self.readable(&src_region, &found.object)?;
        Ok(CopySource {
            bucket: src_bucket.to_owned(),
            key: src_key.to_owned(),
            explicit_version: src_version.is_some(),
            found,
            version_id,
        })
    }

    /// CopyObject: a new version of `key` from a source found by
    /// [`Engine::copy_source`]. The body is shared, not copied; `rehashed`
    /// is the body's MD5 and digests when the copy gets a new ETag or
    /// checksum (multipart sources, another algorithm), with the algorithm
    /// to store.
    #[allow(clippy::too_many_arguments)]
    pub fn copy_object(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        source: &CopySource,
        replace_meta: Option<ObjectMeta>,
        new: NewObject,
        replace_tags: bool,
        rehashed: Option<Rehashed>,
    ) -> Result<WriteResult> {
        validate_new_object(&new, replace_meta.as_ref())?;
        let same = bucket == source.bucket && key == source.key && !source.explicit_version;
        let new_checksum = rehashed.as_ref().is_some_and(|r| r.requested);
        if same && replace_meta.is_none() && new.storage_class.is_none() && !new_checksum {
            return Err(S3EngineError::InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
                    .to_owned(),
            ));
        }
        let object = source.found.object.clone();
        let meta = replace_meta.unwrap_or(object.meta);
        let tags = if replace_tags { new.tags } else { object.tags };
        let n = NewObject {
            meta,
            storage_class: new.storage_class.or(Some("STANDARD".to_owned())),
            tags,
            retention: new.retention,
            legal_hold: new.legal_hold,
            precondition: new.precondition,
            kms: new.kms,
            acl: new.acl,
        };
        let stored = match rehashed {
            Some(Rehashed {
                digests: d,
                algorithm,
                ..
            }) => Stored {
                blob: object.blob,
                etag: hex::encode(d.md5),
                parts: Arc::from(Vec::new()),
                checksum: ObjectChecksum::full(
                    algorithm,
                    d.digests
                        .get(algorithm)
                        .ok_or_else(|| {
                            S3EngineError::Internal(format!("no {} was computed", algorithm.name()))
                        })?
                        .to_vec(),
                ),
                upload: None,
            },
            None => Stored {
                blob: object.blob,
                etag: object.etag,
                parts: object.parts,
                checksum: object.checksum,
                upload: None,
            },
        };
        self.commit(bucket, region, key, n, stored)
    }

    /// DeleteObject: a delete marker (or removal of the null version), or the
    /// permanent removal of one version.
    pub fn delete_object(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
        bypass_governance: bool,
    ) -> Result<DeleteResult> {
        if let Some(v) = version_id
            && !is_valid_version_id(v)
        {
            return Err(invalid_version_id(v));
        }
        let now = self.now();
        let lag = self.env.config.timings.s3_replication_lag;
        let mut st = self.state.lock();
        let State {
            buckets, replication, ..
        } = &mut *st;
        let b = buckets
            .get_mut(bucket)
            .ok_or_else(|| S3EngineError::NoSuchBucket(bucket.to_owned()))?;
        check_region(b, region)?;
        if let Some(vid) = version_id {
            let Some(versions) = b.objects.get_mut(key) else {
                return Ok(DeleteResult {
                    delete_marker: false,
                    version_id: Some(vid.to_owned()),
                });
            };
            let Some((i, version)) = versions.iter().enumerate().find(|(_, v)| v.id == vid) else {
                return Ok(DeleteResult {
                    delete_marker: false,
                    version_id: Some(vid.to_owned()),
                });
            };
            check_deletable(version, now, bypass_governance)?;
            let removed = versions.remove(i);
            if versions.is_empty() {
                b.objects.remove(key);
            }
            return Ok(DeleteResult {
                delete_marker: removed.is_delete_marker(),
                version_id: Some(vid.to_owned()),
            });
        }
        match b.versioning {
            Versioning::Unversioned => {
                if let Some(versions) = b.objects.get(key)
                    && let Some(v) = versions.iter().find(|v| v.id == NULL_VERSION)
                {
                    check_deletable(v, now, bypass_governance)?;
                }
                b.objects.remove(key);
                Ok(DeleteResult {
                    delete_marker: false,
                    version_id: None,
                })
            }
            Versioning::Enabled | Versioning::Suspended => {
                let id = insert_new_version(b, key, now, None)?;
                replication::enqueue_delete_marker(replication, b, key, &id, saturating_after(now, lag));
                Ok(DeleteResult {
                    delete_marker: true,
                    version_id: Some(id),
                })
            }
        }
    }

    // ----- Object Lock on versions -----

    fn with_version_mut<T>(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
        f: impl FnOnce(bool, &str, &mut ObjectData) -> Result<T>,
    ) -> Result<T> {
        if let Some(v) = version_id
            && !is_valid_version_id(v)
        {
            return Err(invalid_version_id(v));
        }
        let mut st = self.state.lock();
        let b = st.bucket_mut(bucket, region)?;
        let object_lock = b.object_lock;
        let versions = b.objects.get_mut(key).ok_or_else(|| S3EngineError::NoSuchKey {
            key: key.to_owned(),
            delete_marker: None,
        })?;
        let v = match version_id {
            Some(id) => {
                versions
                    .iter_mut()
                    .find(|v| v.id == id)
                    .ok_or_else(|| S3EngineError::NoSuchVersion {
                        key: key.to_owned(),
                        version_id: id.to_owned(),
                    })?
            }
            None => versions.last_mut().ok_or_else(|| S3EngineError::NoSuchKey {
                key: key.to_owned(),
                delete_marker: None,
            })?,
        };
        let (id, lm) = (v.id.clone(), v.last_modified);
        let Some(o) = v.object.as_mut() else {
            return Err(if version_id.is_some() {
                S3EngineError::MethodNotAllowed {
                    version_id: id,
                    last_modified: lm,
                }
            } else {
                S3EngineError::NoSuchKey {
                    key: key.to_owned(),
                    delete_marker: Some((id, lm)),
                }
            });
        };
        f(object_lock, &id, o)
    }

    /// PutObjectRetention.
    pub fn put_retention(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
        retention: Option<Retention>,
        bypass_governance: bool,
    ) -> Result<()> {
        let now = self.now();
        self.with_version_mut(bucket, region, key, version_id, |object_lock, _, o| {
            require_object_lock(object_lock)?;
            if let Some(new) = retention
                && new.until <= now
            {
                return Err(S3EngineError::InvalidArgument(
                    "The retain until date must be in the future!".to_owned(),
                ));
            }
            if let Some(old) = o.retention
                && old.until > now
            {
                let weaker = match retention {
                    None => true,
                    Some(new) => new.until < old.until || new.mode != old.mode,
                };
                let extends_same =
                    retention.is_some_and(|new| new.mode == old.mode && new.until >= old.until);
                if weaker && !extends_same {
                    let allowed = old.mode == LockMode::Governance && bypass_governance;
                    if !allowed {
                        return Err(S3EngineError::AccessDenied("Access Denied".to_owned()));
                    }
                }
            }
            o.retention = retention;
            Ok(())
        })
    }

    /// GetObjectRetention.
    pub fn retention(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Retention> {
        self.with_version_mut(bucket, region, key, version_id, |object_lock, _, o| {
            require_object_lock(object_lock)?;
            o.retention.ok_or(S3EngineError::NoSuchObjectLockConfiguration)
        })
    }

    /// PutObjectTagging: replaces a version's tags; answers its version id.
    pub fn put_object_tags(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
        tags: Vec<(String, String)>,
    ) -> Result<String> {
        validate_tags(&tags, 10)?;
        self.with_version_mut(bucket, region, key, version_id, |_, id, o| {
            o.tags = tags;
            Ok(id.to_owned())
        })
    }

    /// GetObjectTagging: a version's tags and its version id.
    pub fn object_tags(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(Vec<(String, String)>, String)> {
        self.with_version_mut(bucket, region, key, version_id, |_, id, o| {
            Ok((o.tags.clone(), id.to_owned()))
        })
    }

    /// PutObjectLegalHold.
    pub fn put_legal_hold(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
        on: bool,
    ) -> Result<()> {
        self.with_version_mut(bucket, region, key, version_id, |object_lock, _, o| {
            require_object_lock(object_lock)?;
            o.legal_hold = Some(on);
            Ok(())
        })
    }

    /// GetObjectLegalHold.
    pub fn legal_hold(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<bool> {
        self.with_version_mut(bucket, region, key, version_id, |object_lock, _, o| {
            require_object_lock(object_lock)?;
            o.legal_hold.ok_or(S3EngineError::NoSuchObjectLockConfiguration)
        })
    }

    // ----- The in-process API for AWS Backup -----

    /// The current version of every key, with bodies held by reference.
    pub fn snapshot_bucket(&self, bucket: &str) -> Result<BucketSnapshot> {
        let now = self.now();
        let st = self.state.lock();
        let b = st.bucket(bucket, None)?;
        if self.env.outages.is_down(&b.region) {
            return Err(S3EngineError::ServiceUnavailable(b.region.clone()));
        }
        let objects = b
            .objects
            .iter()
            .filter_map(|(key, versions)| {
                let v = versions.last()?;
                let o = v.object.as_ref()?;
                Some(SnapshotObject {
                    key: key.clone(),
                    version_id: v.id.clone(),
                    last_modified: v.last_modified,
                    object: o.clone(),
                })
            })
            .collect();
        Ok(BucketSnapshot {
            bucket: bucket.to_owned(),
            region: b.region.clone(),
            taken_at: now,
            tags: b.tags.clone().unwrap_or_default(),
            objects,
        })
    }

    /// Writes every object of a snapshot into `target` (created in `region`
    /// when missing) as new versions.
    pub fn restore_snapshot(&self, snapshot: &BucketSnapshot, target: &str, region: &str) -> Result<()> {
        if !valid_bucket_name(target) {
            return Err(S3EngineError::InvalidBucketName(target.to_owned()));
        }
        if self.env.outages.is_down(region) {
            return Err(S3EngineError::ServiceUnavailable(region.to_owned()));
        }
        let now = self.now();
        let lag = self.env.config.timings.s3_replication_lag;
        let mut st = self.state.lock();
        let State {
            buckets, replication, ..
        } = &mut *st;
        let b = buckets
            .entry(target.to_owned())
            .or_insert_with(|| Bucket::new(target, region, now));
        check_region(b, Some(region))?;
        for so in &snapshot.objects {
            let mut o = so.object.clone();
            o.replication_status = None;
            o.legal_hold = None;
            o.retention = retention_for(b, None, now)?;
            let id = insert_new_version(b, &so.key, now, Some(o))?;
            replication::enqueue_write(replication, b, &so.key, &id, saturating_after(now, lag));
        }
        Ok(())
    }

    /// Buckets in `region` with their tags.
    pub fn list_buckets_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        let st = self.state.lock();
        st.buckets
            .values()
            .filter(|b| b.region == region)
            .map(|b| (b.name.clone(), b.tags.clone().unwrap_or_default()))
            .collect()
    }

    // ----- Time -----

    /// Applies replication and lifecycle rules up to `now`.
    pub fn tick(&self, now: DateTime<Utc>) {
        let mut st = self.state.lock();
        replication::run(&mut st, now, &self.env.outages);
        lifecycle::run(&mut st, now);
    }
}

/// Whether objects of this class must be restored before they are read.
pub fn is_archived(storage_class: &str) -> bool {
    matches!(storage_class, "GLACIER" | "DEEP_ARCHIVE")
}

fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

const TRANSITION_CLASSES: [&str; 6] = [
    "GLACIER",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
];

fn is_midnight(d: DateTime<Utc>) -> bool {
    d.time() == chrono::NaiveTime::MIN
}

/// Checks lifecycle rules as S3 does.
pub fn validate_lifecycle(rules: &[LifecycleRule]) -> Result<()> {
    let arg = |m: String| Err(S3EngineError::InvalidArgument(m));
    if rules.is_empty() || rules.len() > 1000 {
        return Err(S3EngineError::MalformedXml);
    }
    let mut ids = std::collections::HashSet::new();
    for r in rules {
        if let Some(id) = &r.id {
            if id.chars().count() > 255 {
                return arg("ID length should not exceed allowed limit of 255".to_owned());
            }
            if !ids.insert(id.as_str()) {
                return arg("Rule ID must be unique. Found same ID for more than one rule".to_owned());
            }
        }
        let has_action = r.expiration.is_some()
            || !r.transitions.is_empty()
            || !r.noncurrent_transitions.is_empty()
            || r.noncurrent_expiration.is_some()
            || r.abort_incomplete_multipart_days.is_some();
        if !has_action {
            return arg("At least one action needs to be specified in a rule".to_owned());
        }
        if let Some(e) = &r.expiration {
            let n = [
                e.days.is_some(),
                e.date.is_some(),
                e.expired_object_delete_marker.is_some(),
            ]
            .into_iter()
            .filter(|given| *given)
            .count();
            if n != 1 {
                return Err(S3EngineError::MalformedXml);
            }
            if e.days.is_some_and(|d| d <= 0) {
                return arg("'Days' for Expiration action must be a positive integer".to_owned());
            }
            if e.date.is_some_and(|d| !is_midnight(d)) {
                return arg("'Date' must be at midnight GMT".to_owned());
            }
            if e.expired_object_delete_marker.is_some() && !r.filter.tags.is_empty() {
                return arg("ExpiredObjectDeleteMarker cannot be specified with tags".to_owned());
            }
        }
        for t in &r.transitions {
            if !TRANSITION_CLASSES.contains(&t.storage_class.as_str()) {
                return Err(S3EngineError::MalformedXml);
            }
            match (t.days, t.date) {
                (Some(d), None) => {
                    if d < 0 {
                        return arg("'Days' in Transition action must be nonnegative".to_owned());
                    }
                    if matches!(t.storage_class.as_str(), "STANDARD_IA" | "ONEZONE_IA") && d < 30 {
                        return arg(format!(
                            "'Days' in Transition action must be greater than or equal to 30 for storageClass '{}'",
                            t.storage_class
                        ));
                    }
                    if let Some(exp) = r.expiration.as_ref().and_then(|e| e.days)
                        && exp <= d
                    {
                        return arg(format!(
                            "'Days' in the Expiration action for filter '{}' must be greater than 'Days' in the Transition action",
                            r.filter.prefix.clone().unwrap_or_default()
                        ));
                    }
                }
                (None, Some(date)) => {
                    if !is_midnight(date) {
                        return arg("'Date' must be at midnight GMT".to_owned());
                    }
                }
                _ => return Err(S3EngineError::MalformedXml),
            }
        }
        for t in &r.noncurrent_transitions {
            if !TRANSITION_CLASSES.contains(&t.storage_class.as_str()) {
                return Err(S3EngineError::MalformedXml);
            }
            if t.days < 0 {
                return arg(
                    "'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative".to_owned(),
                );
            }
            if matches!(t.storage_class.as_str(), "STANDARD_IA" | "ONEZONE_IA") && t.days < 30 {
                return arg(format!(
                    "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass '{}'",
                    t.storage_class
                ));
            }
            if t.newer_noncurrent_versions
                .is_some_and(|n| !(1..=100).contains(&n))
            {
                return arg("NewerNoncurrentVersions must be an integer between 1 and 100".to_owned());
            }
        }
        if let Some(e) = &r.noncurrent_expiration {
            if e.days <= 0 {
                return arg(
                    "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"
                        .to_owned(),
                );
            }
            if e.newer_noncurrent_versions
                .is_some_and(|n| !(1..=100).contains(&n))
            {
                return arg("NewerNoncurrentVersions must be an integer between 1 and 100".to_owned());
            }
        }
        if r.abort_incomplete_multipart_days.is_some_and(|d| d <= 0) {
            return arg(
                "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"
                    .to_owned(),
            );
        }
    }
    Ok(())
}

/// Checks a tag set: unique keys, lengths, count.
pub fn validate_tags(tags: &[(String, String)], max: usize) -> Result<()> {
    if tags.len() > max {
        return Err(S3EngineError::InvalidTag(format!(
            "Object tags cannot be greater than {max}"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(S3EngineError::InvalidTag(
                "The TagKey you have provided is invalid".to_owned(),
            ));
        }
        if v.chars().count() > 256 {
            return Err(S3EngineError::InvalidTag(
                "The TagValue you have provided is too long, max length is 256".to_owned(),
            ));
        }
        if k.starts_with("aws:") {
            return Err(S3EngineError::InvalidTag(
                "System tags cannot be added/updated by requester".to_owned(),
            ));
        }
        if !seen.insert(k.as_str()) {
            return Err(S3EngineError::InvalidTag(
                "Cannot provide multiple Tags with the same key".to_owned(),
            ));
        }
    }
    Ok(())
}

/// Adds a version (an object, or a delete marker when `object` is `None`) as
/// the key's current version, following the bucket's versioning state;
/// answers its version id.
pub(crate) fn insert_new_version(
    b: &mut Bucket,
    key: &str,
    now: DateTime<Utc>,
    object: Option<ObjectData>,
) -> Result<String> {
    let versions = b.objects.entry(key.to_owned()).or_default();
    let id = match b.versioning {
        Versioning::Enabled => new_version_id(),
        Versioning::Unversioned | Versioning::Suspended => {
            if let Some((i, null)) = versions.iter().enumerate().find(|(_, v)| v.id == NULL_VERSION) {
                // Replacing the null version deletes it; Object Lock protects it.
                if let Err(e) = check_deletable(null, now, false) {
                    if versions.is_empty() {
                        b.objects.remove(key);
                    }
                    return Err(e);
                }
                versions.remove(i);
            }
            NULL_VERSION.to_owned()
        }
    };
    // Keep versions ordered by time even if the clock was read out of order.
    let last_modified = versions.last().map_or(now, |v| v.last_modified.max(now));
    versions.push(Version {
        id: id.clone(),
        last_modified,
        object,
        replica_marker: false,
    });
    Ok(id)
}

/// The version GET/HEAD answers with.
pub(crate) fn find_version(b: &Bucket, key: &str, version_id: Option<&str>) -> Result<Found> {
    let versioned = b.versioning != Versioning::Unversioned;
    match version_id {
        Some(vid) => {
            if !is_valid_version_id(vid) {
                return Err(invalid_version_id(vid));
            }
            let v = b
                .objects
                .get(key)
                .and_then(|vs| vs.iter().find(|v| v.id == vid))
                .ok_or_else(|| S3EngineError::NoSuchVersion {
                    key: key.to_owned(),
                    version_id: vid.to_owned(),
                })?;
            match &v.object {
                Some(o) => Ok(Found {
                    version_id: Some(v.id.clone()),
                    last_modified: v.last_modified,
                    object: o.clone(),
                }),
                None => Err(S3EngineError::MethodNotAllowed {
                    version_id: v.id.clone(),
                    last_modified: v.last_modified,
                }),
            }
        }
        None => {
            let v = b
                .objects
                .get(key)
                .and_then(|vs| vs.last())
                .ok_or_else(|| S3EngineError::NoSuchKey {
                    key: key.to_owned(),
                    delete_marker: None,
                })?;
            match &v.object {
                Some(o) => Ok(Found {
                    version_id: (versioned || v.id != NULL_VERSION).then(|| v.id.clone()),
                    last_modified: v.last_modified,
                    object: o.clone(),
                }),
                None => Err(S3EngineError::NoSuchKey {
                    key: key.to_owned(),
                    delete_marker: Some((v.id.clone(), v.last_modified)),
                }),
            }
        }
    }
}

/// Object Lock settings on a bucket created without Object Lock: S3's
/// InvalidRequest.
fn require_object_lock(object_lock: bool) -> Result<()> {
    if object_lock {
        Ok(())
    } else {
        Err(S3EngineError::InvalidRequest(
            "Bucket is missing Object Lock Configuration".to_owned(),
        ))
    }
}
