//! S3 for the firedrill emulator: versioning, delete markers, lifecycle,
//! cross-region replication and Object Lock, on the `s3s` protocol layer.
//!
//! # Layout
//!
//! - [`engine`]: the versioned object engine (buckets, versions, delete
//!   markers, multipart uploads, Object Lock, lifecycle, replication). It
//!   knows nothing of HTTP.
//! - `protocol`: s3s's `S3` trait implemented over the engine; s3s does
//!   the routing and the XML. Error documents are finished here: `Code`,
//!   `Message`, the extra elements AWS adds (`BucketName` on bucket errors,
//!   `Key` on NoSuchKey, `Key` and `VersionId` on NoSuchVersion, `UploadId`
//!   on NoSuchUpload, `ArgumentName`/`ArgumentValue` on an invalid version
//!   id), then `RequestId` and `HostId` on every error.
//! - [`blob`]: object bodies on disk (temporary file renamed into place) or
//!   in memory, shared by reference between versions, replicas and snapshots.
//! - [`checksum`]: the additional checksums (CRC32, CRC32C, CRC64NVME,
//!   SHA1, SHA256), full-object CRC combination and composite checksums,
//!   pure. `protocol::checksums` reads and writes their wire fields.
//! - `chunked`: decoding of `aws-chunked` upload bodies (their trailers
//!   reach the protocol layer through the request extensions).
//! - `integrity`: `Content-MD5` and DeleteObjects schema checks on whole
//!   XML bodies, before s3s parses them.
//! - [`S3`]: the [`AwsService`] the core routes `s3` requests to.
//!
//! # Requests
//!
//! Path-style addressing (`http://endpoint/bucket/key`): clients set
//! `force_path_style(true)` with a custom endpoint. Virtual-hosted-style
//! addressing (`http://bucket.localhost:4566/key`) works for the base
//! domains in [`host`]. Signatures are the
//! core's business (strict mode); s3s never sees them. The region a request
//! was signed for is the region it is served in: buckets are global by name
//! but each lives in one region, and a request for a bucket in another
//! region answers `301 PermanentRedirect` with `x-amz-bucket-region`, as
//! S3's regional endpoints do (aws-sdk-s3 surfaces it as an error whose raw
//! response carries the bucket's region; `HeadBucket` in the right region
//! answers the region in `BucketRegion`). `GetBucketLocation`, `ListBuckets`
//! and copy sources work across regions, as on AWS.
//!
//! # Supported operations
//!
//! Buckets: CreateBucket (LocationConstraint, Object Lock), HeadBucket,
//! DeleteBucket, ListBuckets (`max-buckets` 1 to 10,000, `continuation-token`,
//! `prefix`, `bucket-region`; a token it never issued is `InvalidArgument`),
//! GetBucketLocation, Put/GetBucketVersioning,
//! Put/Get/DeleteBucketTagging, Put/Get/DeleteBucketLifecycle(Configuration),
//! Put/Get/DeleteBucketReplication, Put/GetObjectLockConfiguration,
//! Put/Get/DeleteBucketEncryption, Put/Get/DeleteBucketPolicy (stored as
//! written, not evaluated; a document that is not a JSON object with a
//! `Statement` is `MalformedPolicy`, a missing one `NoSuchBucketPolicy`),
//! Put/Get/DeletePublicAccessBlock and Put/Get/DeleteBucketOwnershipControls
//! (stored; see below), Get/PutBucketAcl, Put/Get/DeleteBucketCors,
//! Put/Get/DeleteBucketWebsite, Put/GetBucketLogging,
//! Put/GetBucketAccelerateConfiguration, Put/GetBucketRequestPayment and
//! Put/GetBucketNotificationConfiguration (stored and returned, not acted
//! on: see `engine::configs`).
//!
//! Objects: PutObject (conditional), GetObject and HeadObject (Range,
//! `partNumber`, versionId, conditional headers, checksum mode),
//! GetObjectAttributes (ETag, Checksum, ObjectParts, StorageClass,
//! ObjectSize), DeleteObject, DeleteObjects, ListObjects, ListObjectsV2,
//! ListObjectVersions, CopyObject (versionId sources, metadata and tagging
//! directives, conditions), CreateMultipartUpload, UploadPart,
//! UploadPartCopy (`x-amz-copy-source-range`, versionId sources,
//! copy-source conditions), CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts, ListMultipartUploads,
//! Put/Get/DeleteObjectTagging, Put/GetObjectRetention, Put/GetObjectLegalHold,
//! Get/PutObjectAcl.
//!
//! Every other operation answers `501 NotImplemented` in S3's XML error
//! shape, saying that firedrill does not support it: analytics, inventory,
//! metrics, intelligent-tiering and metadata table configurations;
//! GetBucketPolicyStatus; RestoreObject,
//! SelectObjectContent, GetObjectTorrent, WriteGetObjectResponse, PostObject;
//! CreateSession and ListDirectoryBuckets (directory buckets).
//!
//! # Semantics worth knowing
//!
//! - Version ids carry check digits, as AWS's carry their own integrity: a
//!   version id the emulator never issued (made up or altered) answers
//!   `400 InvalidArgument` "Invalid version id specified" on every call that
//!   takes one, DeleteObject included; an issued id that names no version of
//!   the key answers `NoSuchVersion` (GET, HEAD) or a no-op 204 (DELETE).
//! - Bucket access as AWS sets it for every bucket since April 2023: all
//!   four Block Public Access settings on and Object Ownership
//!   `BucketOwnerEnforced` (ACLs disabled). PutPublicAccessBlock naming
//!   none of the four is `InvalidRequest` ("Must specify at least one
//!   configuration."), a setting it leaves out is off; after
//!   DeletePublicAccessBlock the Get answers `404
//!   NoSuchPublicAccessBlockConfiguration`, after
//!   DeleteBucketOwnershipControls `404 OwnershipControlsNotFoundError`
//!   (both with `BucketName`). An ownership outside the model's enum, or
//!   other than one rule, is `MalformedXML`. CreateBucket takes
//!   `x-amz-object-ownership`. With ACLs disabled, GetBucketAcl and
//!   GetObjectAcl answer the owner with one `FULL_CONTROL` grant to its
//!   canonical id, and an ACL on PutBucketAcl, PutObjectAcl, PutObject,
//!   CopyObject, CreateMultipartUpload or CreateBucket is accepted only when
//!   it grants the owner's full control (`400
//!   AccessControlListNotSupported`, or `InvalidBucketAclWithObjectOwnership`
//!   on CreateBucket). With ACLs enabled every ACL is stored on the bucket
//!   or version and read back, except a public one while Block Public
//!   Access blocks public ACLs (`403 AccessDenied`,
//!   `InvalidBucketAclWithBlockPublicAccessError` on CreateBucket). A
//!   malformed ACL is refused first, whatever the bucket's settings (see
//!   `protocol::acl`). Block Public Access changes nothing else a request
//!   may do.
//! - CORS, website, logging, acceleration, Requester Pays and EventBridge
//!   notification settings are checked as S3 checks them and stored, never
//!   acted on. Before one is set the Gets answer as S3 does: `404
//!   NoSuchCORSConfiguration`, `404 NoSuchWebsiteConfiguration`, an empty
//!   logging status, no acceleration status, payer `BucketOwner`, an empty
//!   notification configuration. A logging target must exist in the
//!   account (`InvalidTargetBucketForLogging`) and region
//!   (`403 CrossLocationLoggingProhibitted`); notifications to SNS, SQS or
//!   Lambda answer `501` (they would never be delivered).
//! - GetBucketLocation answers no constraint for us-east-1, `EU` for a
//!   bucket created with the legacy `EU` constraint (it lives in
//!   eu-west-1), and the region's name otherwise.
//! - Re-creating a bucket you own answers 200 in us-east-1 (nothing
//!   changes) and `409 BucketAlreadyOwnedByYou` in every other region.
//! - CreateBucket's LocationConstraint: a request to us-east-1 (S3's
//!   legacy global endpoint) creates the bucket in the region the
//!   constraint names (`EU` is eu-west-1); `us-east-1` or a name that is
//!   no region there is `InvalidLocationConstraint` (with
//!   `LocationConstraint`). Any other region creates only its own
//!   buckets: no constraint, or another region's, is
//!   `IllegalLocationConstraintException`.
//! - `Expect: 100-continue` (boto3's PutObject) is answered by hyper with
//!   `100 Continue` before the body is read, and the connection stays
//!   usable for the next request.
//! - `encoding-type=url` listings encode keys, prefixes and markers as S3
//!   does, leaving `/` unencoded.
//! - A repeated CompleteMultipartUpload of a completed upload (same bucket
//!   and key) answers the first completion's success again and writes
//!   nothing (the last 10,000 completions are remembered).
//! - Every object is reported as encrypted with SSE-S3
//!   (`x-amz-server-side-encryption: AES256` on PutObject, GetObject,
//!   HeadObject, CopyObject and the multipart calls), as AWS applies it to
//!   every new object since 2023. Every bucket's default encryption is
//!   SSE-S3 (`AES256`, no Bucket Key) until PutBucketEncryption sets
//!   another (`aws:kms`, `aws:kms:dsse`, stored and returned; a KMS key
//!   with `AES256` is `InvalidArgument`); DeleteBucketEncryption restores
//!   the default. Nothing is encrypted on disk. A PutObject (or CopyObject
//!   into a bucket) with `aws:kms` and a customer managed key, named by
//!   `x-amz-server-side-encryption-aws-kms-key-id` or by the bucket's
//!   SSE-KMS default, records that key's ARN on the version (answered on
//!   PutObject, GetObject and HeadObject) after asking KMS through the
//!   core's key seam ([`firedrill_emu_core::keys`]): a disabled key is
//!   400 `KMS.DisabledException`, one pending deletion 400
//!   `KMS.KMSInvalidStateException`, an unknown one `KMS.NotFoundException`,
//!   with nothing written; a GetObject of a version whose key is no longer
//!   usable answers the same (HeadObject decrypts nothing and answers), and
//!   so does a CopyObject or UploadPartCopy from one (a copy decrypts its
//!   source). CreateMultipartUpload takes the same SSE-KMS headers (or the
//!   bucket's default), asks KMS at creation and again at completion, and
//!   answers `aws:kms` with the key on both.
//!   The AWS managed `aws/s3` key is S3's own; other versions report
//!   `AES256`.
//! - Checksums, as on AWS since December 2024: every version stores one.
//!   An upload that names an algorithm (an `x-amz-checksum-*` header, an
//!   aws-chunked `x-amz-trailer`, or `x-amz-sdk-checksum-algorithm` alone)
//!   gets that one, verified against the body before the version or part
//!   is committed; any other gets CRC64NVME. The checksum is answered by
//!   PutObject, CopyObject and CompleteMultipartUpload, by GetObject and
//!   HeadObject with `x-amz-checksum-mode: ENABLED` (not for a Range),
//!   with `x-amz-checksum-type` (`FULL_OBJECT` or `COMPOSITE`), and named
//!   (`ChecksumAlgorithm`, `ChecksumType`) in ListObjects(V2),
//!   ListObjectVersions, ListParts and ListMultipartUploads. Multipart
//!   uploads take `ChecksumAlgorithm` and `ChecksumType` (COMPOSITE by
//!   default, FULL_OBJECT for CRC64NVME; CRC64NVME cannot be composite nor
//!   the SHAs full-object): every part must carry the upload's algorithm,
//!   a composite completion must list every part's checksum and answers
//!   `<base64>-<parts>`, a full-object one combines the parts' CRCs into
//!   the whole body's, and an upload without an algorithm completes with a
//!   full-object CRC64NVME. A copy keeps the source's checksum, gets the
//!   one it names, and a copy of a multipart object is one part with an
//!   MD5 ETag and a full-object checksum, as on AWS.
//! - Conditional writes: PutObject, CopyObject and CompleteMultipartUpload
//!   take `If-None-Match: *` (the key has no current object; a delete
//!   marker is none) or `If-Match: <etag>`, evaluated atomically with the
//!   write: `412 PreconditionFailed` (with `Condition`), `404 NoSuchKey`
//!   for `If-Match` on a missing key, `409 ConditionalRequestConflict` when
//!   a completion finds the key overwritten (`If-Match`) or deleted
//!   (`If-None-Match`) since the upload was created, `501 NotImplemented`
//!   (with `Header`) for both headers at once, `If-None-Match` other than
//!   `*` or `If-Match: *`. CopyObject's `x-amz-copy-source-if-match`,
//!   `-if-none-match`, `-if-modified-since` and `-if-unmodified-since` pair
//!   as RFC 7232 says and answer `412` naming the condition.
//! - `partNumber` on GetObject and HeadObject answers 206 with the part's
//!   `Content-Range` and `x-amz-mp-parts-count` (a one-part object has
//!   part 1, the whole of it); a part the object lacks is
//!   `416 InvalidPartNumber` (with `ActualPartCount`), a Range with it
//!   `InvalidRequest`. With checksum mode, a part of a composite object
//!   answers the part's checksum. GetObjectAttributes lists the parts of
//!   composite objects (paged by `x-amz-max-parts`) and only the count of
//!   the others; its ETag is written bare, as AWS writes it there (every
//!   other answer quotes it).
//! - UploadPartCopy writes the source range as a part of its own: an
//!   `x-amz-copy-source-range` not of the form `bytes=first-last` is
//!   `InvalidArgument`, one past the source `InvalidRange`.
//! - Lifecycle answers carry `TransitionDefaultMinimumObjectSize`:
//!   `all_storage_classes_128K` by default, or what the last
//!   PutBucketLifecycleConfiguration's header said (echoed in its answer).
//!   The size is stored and returned; transitions do not yet skip small
//!   objects by it.
//! - `x-amz-bypass-governance-retention`, true or false, on DeleteObject or
//!   DeleteObjects against a bucket without Object Lock is
//!   `400 InvalidArgument` (with `ArgumentName`), and nothing is deleted.
//! - Owners and initiators (ListBuckets, ListObjects, ListObjectVersions,
//!   ListParts, ListMultipartUploads) carry the account's canonical `ID`
//!   and no `DisplayName`: AWS stopped returning it in every region on
//!   November 21, 2025.
//! - PutBucketTagging answers 204; GetObjectLegalHold on a version whose
//!   legal hold was never set answers `404 NoSuchObjectLockConfiguration`.
//! - Lifecycle actions fall due at the UTC midnight after creation (or
//!   noncurrency) plus N days, as on AWS, and are applied by
//!   [`AwsService::tick`] as the emulator clock passes. Objects in GLACIER
//!   or DEEP_ARCHIVE answer `InvalidObjectState` to GET (RestoreObject is
//!   not supported); GLACIER_IR objects stay readable.
//! - Replication copies a new version (same version id) to the destination
//!   after `timings.s3_replication_lag`, never while either region is in an
//!   outage; see [`engine`] for what is never replicated.
//! - Bodies are written to a temporary file and renamed into place before
//!   a write is acknowledged (no fsync: durable across a crash of the
//!   emulator process, not of the machine). Bodies under
//!   [`blob::INLINE_LIMIT`] stay in memory with their metadata, which lives
//!   in memory.
//!
//! # Hostile input
//!
//! Refused with S3's error before any state changes:
//! - a `Content-MD5` on a whole XML body (DeleteObjects,
//!   CompleteMultipartUpload, the configuration PUTs) that is not a base64
//!   MD5 (`InvalidDigest`) or does not match (`BadDigest`); on PutObject and
//!   UploadPart the streamed body is checked before the version or part is
//!   committed;
//! - an `x-amz-checksum-*` value (header or trailer) that is not base64 of
//!   the algorithm's length, two of them, or an unknown algorithm
//!   (`InvalidRequest`, with AWS's messages), a value that does not match
//!   the body (`BadDigest` "The CRC32 you specified did not match the
//!   calculated checksum."), a promised trailer that never comes
//!   (`MalformedTrailerError`); on CompleteMultipartUpload a part checksum
//!   that differs from the part's (`InvalidPart`), a missing one on a
//!   composite upload or a checksum type other than the upload's
//!   (`InvalidRequest`), a whole-object checksum that differs (`BadDigest`),
//!   and an `x-amz-mp-object-size` that is not the parts' total
//!   (`InvalidRequest`): the upload stays as it was;
//! - a DeleteObjects body outside S3's schema, a junk element at any depth
//!   included (`MalformedXML`), so nothing is deleted;
//! - an Object Lock default retention that is not 1 to 36,500 `Days` or 1
//!   to 100 `Years` (`InvalidArgument`, "Default retention period is too
//!   large."); a `RetainUntilDate` past what a timestamp can carry is
//!   `MalformedXML` from s3s;
//! - a PutBucketVersioning with neither `Status` nor `MfaDelete`
//!   (`IllegalVersioningConfigurationException`, "The Versioning element
//!   must be specified", as AWS answers), a lifecycle rule with neither
//!   `Filter` nor `Prefix`, and an Object Lock configuration without
//!   `ObjectLockEnabled`, with an empty `Rule` or a `DefaultRetention`
//!   lacking its mode or period (`MalformedXML`);
//! - a storage class outside the model's `StorageClass` enum on PutObject,
//!   CopyObject and CreateMultipartUpload (`InvalidStorageClass`, 400), and
//!   more than 2 KB of user metadata, keys and values (`MetadataTooLarge`,
//!   400).
//!
//! Time sums in the engine are checked (`engine::time`): a lifecycle whose
//! `Days` is past chrono's range never falls due instead of panicking the
//! tick. The crate's `clippy.toml` forbids chrono's panicking constructors,
//! and the engine warns on `clippy::arithmetic_side_effects`.
//!
//! No panic is reachable from a request or a tick: outside tests the crate
//! denies `unwrap`, `expect`, `panic!` and unchecked indexing, each
//! remaining use carrying an `#[allow]` that says why it cannot fail.
//!
//! # In-process API for AWS Backup
//!
//! [`S3::snapshot_bucket`], [`S3::restore_snapshot`],
//! [`S3::copy_snapshot_region`], [`S3::list_buckets_with_tags`],
//! [`S3::bucket_region`].

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod blob;
pub mod checksum;
mod chunked;
pub mod engine;
pub mod error;
pub mod host;
mod integrity;
mod protocol;

pub use engine::{BucketSnapshot, SnapshotObject};
pub use error::S3EngineError;

use chrono::{DateTime, Utc};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use futures::TryStreamExt;
use http::{HeaderValue, StatusCode};
use std::sync::Arc;

/// The emulated S3 service.
pub struct S3 {
    engine: Arc<engine::Engine>,
    service: s3s::service::S3Service,
}

impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3").finish_non_exhaustive()
    }
}

/// Query parameters of a presigned URL, removed before s3s sees the request.
const PRESIGN_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

impl S3 {
    /// A fresh S3 with no buckets, storing bodies as `env` says, answering
    /// path-style requests and virtual-hosted-style ones under
    /// [`host::DEFAULT_BASE_DOMAINS`].
    pub fn new(env: &Environment) -> Arc<Self> {
        Self::with_base_domains(env, host::DEFAULT_BASE_DOMAINS)
    }

    /// Like [`S3::new`], recognising `bucket.<base>` Host headers for each
    /// of `base_domains` (for example `s3.firedrill.test`).
    pub fn with_base_domains<I, S>(env: &Environment, base_domains: I) -> Arc<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let engine = Arc::new(engine::Engine::new(env));
        let mut builder = s3s::service::S3ServiceBuilder::new(protocol::Handler {
            engine: engine.clone(),
        });
        builder.set_host(host::S3VirtualHosts(host::VirtualHosts::new(base_domains)));
        Arc::new(Self {
            engine,
            service: builder.build(),
        })
    }

    /// The engine, for in-process callers and tests.
    pub fn engine(&self) -> &engine::Engine {
        &self.engine
    }

    /// The current version of every key of `bucket`, bodies included; later
    /// writes and deletes do not change it. Fails with `NoSuchBucket`, or
    /// `ServiceUnavailable` while the bucket's region is in an outage.
    pub fn snapshot_bucket(&self, bucket: &str) -> Result<BucketSnapshot, S3EngineError> {
        self.engine.snapshot_bucket(bucket)
    }

    /// Writes every object of `snapshot` into `target_bucket` as new
    /// versions, creating the bucket in `region` when it does not exist.
    /// Fails with `PermanentRedirect` when the bucket exists in another
    /// region, `ServiceUnavailable` while `region` is in an outage.
    pub fn restore_snapshot(
        &self,
        snapshot: &BucketSnapshot,
        target_bucket: &str,
        region: &str,
    ) -> Result<(), S3EngineError> {
        self.engine.restore_snapshot(snapshot, target_bucket, region)
    }

    /// A copy of `snapshot` held in `region` (bodies are shared, so this is
    /// cheap). Fails with `ServiceUnavailable` while either region is dark.
    pub fn copy_snapshot_region(
        &self,
        snapshot: &BucketSnapshot,
        region: &str,
    ) -> Result<BucketSnapshot, S3EngineError> {
        for r in [snapshot.region.as_str(), region] {
            if self.engine.env().outages.is_down(r) {
                return Err(S3EngineError::ServiceUnavailable(r.to_owned()));
            }
        }
        let mut copy = snapshot.clone();
        copy.region = region.to_owned();
        Ok(copy)
    }

    /// The buckets that live in `region`, with their tags.
    pub fn list_buckets_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        self.engine.list_buckets_with_tags(region)
    }

    /// The region `bucket` lives in.
    pub fn bucket_region(&self, bucket: &str) -> Option<String> {
        self.engine.bucket_region(bucket)
    }

    async fn serve(&self, ctx: RequestContext, req: http::Request<Body>) -> http::Response<Body> {
        let (mut parts, body) = req.into_parts();
        parts.headers.remove(http::header::AUTHORIZATION);
        if let Some(q) = parts.uri.query()
            && q.contains("X-Amz-")
        {
            let kept: Vec<&str> = q
                .split('&')
                .filter(|kv| !PRESIGN_PARAMS.iter().any(|p| kv.split('=').next() == Some(*p)))
                .collect();
            let pq = if kept.is_empty() {
                parts.uri.path().to_owned()
            } else {
                format!("{}?{}", parts.uri.path(), kept.join("&"))
            };
            if let Ok(uri) = pq.parse() {
                parts.uri = uri;
            }
        }
        let streaming = parts
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("STREAMING-"));
        let aws_chunked = parts
            .headers
            .get(http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim() == "aws-chunked"));
        let s3_body = if streaming || aws_chunked {
            if let Some(len) = parts.headers.get("x-amz-decoded-content-length").cloned() {
                parts.headers.insert(http::header::CONTENT_LENGTH, len);
            } else {
                parts.headers.remove(http::header::CONTENT_LENGTH);
            }
            let rest: Vec<String> = parts
                .headers
                .get(http::header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty() && *e != "aws-chunked")
                .map(str::to_owned)
                .collect();
            match HeaderValue::from_str(&rest.join(",")) {
                Ok(v) if !rest.is_empty() => {
                    parts.headers.insert(http::header::CONTENT_ENCODING, v);
                }
                _ => {
                    parts.headers.remove(http::header::CONTENT_ENCODING);
                }
            }
            let decoder = chunked::AwsChunked::new(body.into_data_stream());
            parts
                .extensions
                .insert(protocol::ChunkTrailers(decoder.trailers()));
            let decoded = decoder.map_ok(http_body::Frame::data);
            s3s::Body::http_body_unsync(http_body_util::StreamBody::new(decoded))
        } else {
            s3s::Body::http_body_unsync(body)
        };
        let s3_body = match integrity::body_check(&parts.method, parts.uri.query()) {
            None => s3_body,
            Some(kind) => match checked_body(kind, &parts.headers, s3_body).await {
                Ok(body) => body,
                Err(e) => {
                    return error_document(
                        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
                        e.code(),
                        &e.to_string(),
                        &e.extra_elements(),
                        &ctx.request_id,
                    );
                }
            },
        };
        parts.extensions.insert(protocol::ReqInfo {
            region: ctx.region.clone(),
            request_id: ctx.request_id.clone(),
            principal: ctx.principal(),
        });
        let resp = match self.service.call(http::Request::from_parts(parts, s3_body)).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = ?e, "s3s failed a request");
                return error_document(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                    &[] as &[(&str, &str)],
                    &ctx.request_id,
                );
            }
        };
        let (mut parts, body) = resp.into_parts();
        if let Some(protocol::StatusOverride(status)) = parts.extensions.remove::<protocol::StatusOverride>()
        {
            parts.status = status;
        }
        let body = if parts.extensions.remove::<protocol::BareETag>().is_some() {
            parts.headers.remove(http::header::CONTENT_LENGTH);
            unquote_etag(body).await
        } else {
            body
        };
        if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
            parts.headers.insert("x-amz-request-id", v.clone());
            parts.headers.entry("x-amz-id-2").or_insert(v);
        }
        if parts.status.is_client_error() || parts.status.is_server_error() {
            return complete_error(parts, body, &ctx.request_id).await;
        }
        http::Response::from_parts(parts, Body::new(body))
    }
}

/// Reads a whole XML body and checks it ([`integrity::check`]), giving it
/// back for s3s to parse when it passes.
async fn checked_body(
    kind: integrity::BodyCheck,
    headers: &http::HeaderMap,
    body: s3s::Body,
) -> Result<s3s::Body, S3EngineError> {
    let limited = http_body_util::Limited::new(body, integrity::MAX_XML_BODY);
    let bytes = match http_body_util::BodyExt::collect(limited).await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(S3EngineError::MaxMessageLengthExceeded);
        }
        Err(e) => return Err(S3EngineError::IncompleteBody(e.to_string())),
    };
    integrity::check(kind, headers.get("content-md5").map(|v| v.as_bytes()), &bytes)?;
    Ok(s3s::Body::from(bytes))
}

/// The XML document `body` with its first `ETag` element's quotes removed,
/// as S3 writes the ETag of GetObjectAttributes.
async fn unquote_etag(body: s3s::Body) -> s3s::Body {
    let bytes = match http_body_util::BodyExt::collect(body).await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read an answer's body");
            bytes::Bytes::new()
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let bare = match text.split_once("<ETag>\"") {
        Some((before, rest)) => match rest.split_once("\"</ETag>") {
            Some((etag, after)) => format!("{before}<ETag>{etag}</ETag>{after}"),
            None => return s3s::Body::from(bytes),
        },
        None => return s3s::Body::from(bytes),
    };
    s3s::Body::from(bytes::Bytes::from(bare))
}

/// The message AWS sends with errors s3s raises on its own (it sends none).
fn default_message(code: &str) -> &'static str {
    match code {
        "InvalidBucketName" => "The specified bucket is not valid.",
        "MalformedXML" => {
            "The XML you provided was not well-formed or did not validate against our published schema"
        }
        "InvalidURI" => "Couldn't parse the specified URI.",
        "KeyTooLongError" => "Your key is too long",
        "InvalidArgument" => "Invalid Argument",
        "InvalidRequest" => "Invalid Request",
        "MissingContentLength" => "You must provide the Content-Length HTTP header.",
        "IncompleteBody" => {
            "You did not provide the number of bytes specified by the Content-Length HTTP header"
        }
        "MethodNotAllowed" => "The specified method is not allowed against this resource.",
        "InvalidDigest" => "The Content-MD5 you specified is not valid.",
        "MaxMessageLengthExceeded" => "Your request was too big.",
        _ => "The request could not be processed.",
    }
}

/// The XML elements `extras` stand for, in order.
fn extra_xml(extras: &[(impl AsRef<str>, impl AsRef<str>)]) -> String {
    use firedrill_emu_core::error::xml_escape;
    extras
        .iter()
        .map(|(k, v)| format!("<{0}>{1}</{0}>", k.as_ref(), xml_escape(v.as_ref())))
        .collect()
}

/// S3's XML error document: `Code`, `Message`, the error's extra elements,
/// `RequestId` and `HostId` (AWS always sends both).
fn error_document(
    status: StatusCode,
    code: &str,
    message: &str,
    extras: &[(impl AsRef<str>, impl AsRef<str>)],
    request_id: &str,
) -> http::Response<Body> {
    use firedrill_emu_core::error::xml_escape;
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>{}<RequestId>{id}</RequestId><HostId>{id}</HostId></Error>",
        xml_escape(code),
        xml_escape(message),
        extra_xml(extras),
        id = xml_escape(request_id),
    );
    let mut resp = http::Response::new(firedrill_emu_core::body::full(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amz-request-id", v);
    }
    resp
}

/// The document s3s wrote for a handler's error, with the extra elements
/// the handler passed in [`protocol::EXTRA_ELEMENTS_HEADER`] placed before
/// `RequestId`, and `HostId` after it.
fn with_extras_and_host_id(text: &str, extras: &[(String, String)], request_id: &str) -> String {
    let mut out = text.replacen("<RequestId>", &format!("{}<RequestId>", extra_xml(extras)), 1);
    if !out.contains("<HostId>") {
        let host = format!(
            "</RequestId><HostId>{}</HostId>",
            firedrill_emu_core::error::xml_escape(request_id)
        );
        out = out.replacen("</RequestId>", &host, 1);
    }
    out
}

fn element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split(&format!("<{name}>"))
        .nth(1)
        .and_then(|m| m.split(&format!("</{name}>")).next())
}

/// Completes the XML error s3s produced: a message when it has none, the
/// request id, and for unsupported operations a message saying firedrill
/// does not support them (s3s says "not implemented yet").
async fn complete_error(
    mut parts: http::response::Parts,
    body: s3s::Body,
    request_id: &str,
) -> http::Response<Body> {
    let extras: Vec<(String, String)> = parts
        .headers
        .remove(protocol::EXTRA_ELEMENTS_HEADER)
        .map(|v| {
            form_urlencoded::parse(v.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let bytes = match http_body_util::BodyExt::collect(body).await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read an error body");
            bytes::Bytes::new()
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let already_complete = text.contains("<RequestId>");
    let Some(code) = element(&text, "Code").map(str::to_owned) else {
        return http::Response::from_parts(parts, Body::from(bytes));
    };
    if already_complete {
        let text = with_extras_and_host_id(&text, &extras, request_id);
        parts.headers.remove(http::header::CONTENT_LENGTH);
        return http::Response::from_parts(parts, Body::from(bytes::Bytes::from(text)));
    }
    let message = match element(&text, "Message") {
        Some(m) if parts.status == StatusCode::NOT_IMPLEMENTED && m.ends_with(" is not implemented yet") => {
            format!(
                "{} is not supported by firedrill's S3 emulator",
                m.trim_end_matches(" is not implemented yet")
            )
        }
        Some(m) if parts.status == StatusCode::NOT_IMPLEMENTED => {
            format!("firedrill's S3 emulator does not support this request: {m}")
        }
        Some(m) => m.to_owned(),
        None => default_message(&code).to_owned(),
    };
    let mut resp = error_document(parts.status, &code, &message, &extras, request_id);
    for (k, v) in &parts.headers {
        if k != http::header::CONTENT_LENGTH && k != http::header::CONTENT_TYPE {
            resp.headers_mut().insert(k.clone(), v.clone());
        }
    }
    resp
}

impl AwsService for S3 {
    fn signing_names(&self) -> &'static [&'static str] {
        &["s3"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(self.serve(ctx, req))
    }

    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        self.engine.tick(now);
        Box::pin(async {})
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        self.engine.reset();
        Box::pin(async {})
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        self.engine.reset();
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn snapshots_can_be_shared_across_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<super::BucketSnapshot>();
        shareable::<super::S3EngineError>();
    }
}
