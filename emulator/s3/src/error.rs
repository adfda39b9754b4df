//! The engine's errors, one variant per AWS error code it answers.
//!
//! Each variant knows its AWS code and HTTP status; the protocol layer turns
//! them into S3's XML error shape in one place (`protocol::to_s3_error`),
//! adding the headers some of them carry (`x-amz-delete-marker`,
//! `x-amz-bucket-region`, ...).

use chrono::{DateTime, Utc};

/// An S3 error, as the engine reports it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum S3EngineError {
    /// The bucket does not exist.
    #[error("The specified bucket does not exist")]
    NoSuchBucket(String),
    /// The key does not exist, or its current version is a delete marker.
    #[error("The specified key does not exist.")]
    NoSuchKey {
        /// The key asked for.
        key: String,
        /// When the current version is a delete marker: its version id and date.
        delete_marker: Option<(String, DateTime<Utc>)>,
    },
    /// The version does not exist.
    #[error("The specified version does not exist.")]
    NoSuchVersion {
        /// The key.
        key: String,
        /// The version id asked for.
        version_id: String,
    },
    /// A GET or HEAD named a delete marker by its version id.
    #[error("The specified method is not allowed against this resource.")]
    MethodNotAllowed {
        /// The delete marker's version id.
        version_id: String,
        /// When the marker was written.
        last_modified: DateTime<Utc>,
    },
    /// DeleteBucket on a bucket that still holds versions.
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty(String),
    /// CreateBucket of a bucket this account already owns.
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou(String),
    /// The bucket name breaks S3's naming rules.
    #[error("The specified bucket is not valid.")]
    InvalidBucketName(String),
    /// A location constraint that does not match the endpoint's region.
    #[error("{0}")]
    IllegalLocationConstraint(String),
    /// A location constraint that names no region (the constraint).
    #[error("The specified location-constraint is not valid")]
    InvalidLocationConstraint(String),
    /// The bucket lives in another region than the request was signed for.
    #[error(
        "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint."
    )]
    PermanentRedirect {
        /// The bucket.
        bucket: String,
        /// The region the bucket lives in.
        region: String,
    },
    /// A bad parameter.
    #[error("{0}")]
    InvalidArgument(String),
    /// A version id the emulator never issued (`InvalidArgument`).
    #[error("Invalid version id specified")]
    InvalidVersionId(String),
    /// `x-amz-bypass-governance-retention` (true or false) on a bucket
    /// without Object Lock.
    #[error("x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.")]
    BypassWithoutObjectLock,
    /// PutBucketVersioning with neither `Status` nor `MfaDelete`.
    #[error("The Versioning element must be specified")]
    IllegalVersioningConfiguration,
    /// A request that is well formed but not allowed in this state.
    #[error("{0}")]
    InvalidRequest(String),
    /// An XML document that does not match the schema.
    #[error("The XML you provided was not well-formed or did not validate against our published schema")]
    MalformedXml,
    /// A Range outside the object.
    #[error("The requested range is not satisfiable")]
    InvalidRange {
        /// The object's size.
        size: u64,
    },
    /// A request refused by Object Lock.
    #[error("{0}")]
    AccessDenied(String),
    /// The multipart upload does not exist.
    #[error(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )]
    NoSuchUpload(String),
    /// A part in CompleteMultipartUpload was not uploaded or its ETag differs.
    #[error(
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
    )]
    InvalidPart,
    /// Parts in CompleteMultipartUpload were not in ascending order.
    #[error("The list of parts was not in ascending order. Parts must be ordered by part number.")]
    InvalidPartOrder,
    /// A part other than the last was smaller than 5 MiB.
    #[error("Your proposed upload is smaller than the minimum allowed size")]
    EntityTooSmall,
    /// The body is larger than S3 allows.
    #[error("Your proposed upload exceeds the maximum allowed size")]
    EntityTooLarge,
    /// A partNumber the object does not have.
    #[error("The requested partnumber is not satisfiable")]
    InvalidPartNumber {
        /// The part asked for.
        requested: i32,
        /// How many parts the object has.
        actual: u32,
    },
    /// The bucket has no tags.
    #[error("The TagSet does not exist")]
    NoSuchTagSet(String),
    /// The bucket has no policy.
    #[error("The bucket policy does not exist")]
    NoSuchBucketPolicy(String),
    /// The bucket has no Block Public Access configuration (it was deleted).
    #[error("The public access block configuration was not found")]
    NoSuchPublicAccessBlockConfiguration(String),
    /// The bucket has no Object Ownership controls (they were deleted).
    #[error("The bucket ownership controls were not found")]
    OwnershipControlsNotFound(String),
    /// A bucket policy that is not a policy document.
    #[error("{0}")]
    MalformedPolicy(String),
    /// The bucket has no lifecycle configuration.
    #[error("The lifecycle configuration does not exist")]
    NoSuchLifecycleConfiguration(String),
    /// The bucket has no replication configuration.
    #[error("The replication configuration was not found")]
    ReplicationConfigurationNotFound(String),
    /// The bucket has no Object Lock configuration.
    #[error("Object Lock configuration does not exist for this bucket")]
    ObjectLockConfigurationNotFound(String),
    /// The version has no retention.
    #[error("The specified object does not have a ObjectLock configuration")]
    NoSuchObjectLockConfiguration,
    /// The bucket's state forbids the request.
    #[error("{0}")]
    InvalidBucketState(String),
    /// The object is archived (GLACIER, DEEP_ARCHIVE) and must be restored first.
    #[error("The operation is not valid for the object's storage class")]
    InvalidObjectState {
        /// The storage class.
        storage_class: String,
    },
    /// The Content-MD5 did not match the body.
    #[error("The Content-MD5 you specified did not match what we received.")]
    BadDigest,
    /// An `x-amz-checksum-*` value (or a multipart part's checksum) did
    /// not match the body (`BadDigest`).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// An aws-chunked body whose declared checksum trailer is missing or
    /// garbled.
    #[error(
        "The request contained trailing data that was not well-formed or did not conform to our published schema."
    )]
    MalformedTrailer,
    /// The Content-MD5 is not a base64 MD5.
    #[error("The Content-MD5 you specified is not valid.")]
    InvalidDigest,
    /// An XML request body larger than S3 reads.
    #[error("Your request was too big.")]
    MaxMessageLengthExceeded,
    /// A storage class outside the S3 model's enum.
    #[error("The storage class you specified is not valid")]
    InvalidStorageClass,
    /// More than 2 KB of user metadata.
    #[error("Your metadata headers exceed the maximum allowed metadata size")]
    MetadataTooLarge,
    /// A tag set that breaks S3's rules.
    #[error("{0}")]
    InvalidTag(String),
    /// A conditional request whose condition (named) failed.
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed(String),
    /// A conditional write that lost to a write or delete made while it
    /// was in progress (a multipart upload's completion).
    #[error("The conditional request cannot succeed due to a conflicting operation against this resource.")]
    ConditionalRequestConflict {
        /// The condition (`If-Match`, `If-None-Match`).
        condition: String,
        /// The key.
        key: String,
    },
    /// A conditional header S3 does not accept in this form (named).
    #[error("A header you provided implies functionality that is not implemented")]
    HeaderNotImplemented(String),
    /// A conditional GET whose object has not changed.
    #[error("Not Modified")]
    NotModified,
    /// The region is in an outage.
    #[error("Service unavailable in {0} (the region is in an outage)")]
    ServiceUnavailable(String),
    /// The request body could not be read.
    #[error("{0}")]
    IncompleteBody(String),
    /// The emulator failed (a disk error).
    #[error("We encountered an internal error. Please try again. ({0})")]
    Internal(String),
    /// The bucket has no CORS configuration.
    #[error("The CORS configuration does not exist")]
    NoSuchCorsConfiguration(String),
    /// The bucket has no website configuration.
    #[error("The specified bucket does not have a website configuration")]
    NoSuchWebsiteConfiguration(String),
    /// A logging target bucket that does not exist in the account.
    #[error("The target bucket for logging does not exist")]
    InvalidTargetBucketForLogging(String),
    /// A logging target bucket in another region than the source.
    #[error("Cross S3 location logging not allowed. ")]
    CrossLocationLoggingProhibited {
        /// The source bucket's region (AWS leaves it out for us-east-1).
        source_region: Option<String>,
        /// The target bucket's region.
        target_region: String,
    },
    /// An invalid argument S3 names (`ArgumentName`, `ArgumentValue`).
    #[error("{message}")]
    InvalidArgumentNamed {
        /// The message.
        message: String,
        /// The argument.
        name: String,
        /// Its value.
        value: String,
    },
    /// An ACL other than the bucket owner's full control on a bucket whose
    /// Object Ownership is `BucketOwnerEnforced` (ACLs disabled).
    #[error("{0}")]
    AccessControlListNotSupported(String),
    /// A bucket ACL granting others access together with
    /// `BucketOwnerEnforced`.
    #[error("Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")]
    InvalidBucketAclWithObjectOwnership,
    /// A public bucket ACL on CreateBucket while Block Public Access (on
    /// for every new bucket) blocks public ACLs.
    #[error("Bucket cannot have public ACLs set with BlockPublicAccess enabled")]
    InvalidBucketAclWithBlockPublicAccess,
    /// A body on a request that takes its content from headers.
    #[error("This request does not support content")]
    UnexpectedContent,
    /// An `AccessControlPolicy` that is not one: no owner, a permission or
    /// grantee type outside the model's enums, a grantee without its id or
    /// URI.
    #[error("The XML you provided was not well-formed or did not validate against our published schema")]
    MalformedAcl,
    /// A grant to an email address (`UnresolvableGrantByEmailAddress`):
    /// the emulator's accounts have none.
    #[error("The e-mail address you provided does not match any account on record.")]
    UnresolvableGrantByEmailAddress(String),
    /// A request that must name something in a header and names nothing
    /// (PutBucketAcl with no ACL at all: `MissingSecurityHeader`).
    #[error("Your request was missing a required header")]
    MissingSecurityHeader(String),
    /// A request the emulator does not serve (501 NotImplemented, saying
    /// what).
    #[error("{0}")]
    Unsupported(String),
    /// The SSE-KMS key of the write or of the stored object cannot be
    /// used: `KMS.DisabledException`, `KMS.KMSInvalidStateException` or
    /// `KMS.NotFoundException` (400), with KMS's own message.
    #[error("{}", .0.message())]
    Kms(firedrill_emu_core::keys::KeyRefusal),
}

impl S3EngineError {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        use S3EngineError as E;
        match self {
            E::NoSuchBucket(_) => "NoSuchBucket",
            E::NoSuchKey { .. } => "NoSuchKey",
            E::NoSuchVersion { .. } => "NoSuchVersion",
            E::MethodNotAllowed { .. } => "MethodNotAllowed",
            E::BucketNotEmpty(_) => "BucketNotEmpty",
            E::BucketAlreadyOwnedByYou(_) => "BucketAlreadyOwnedByYou",
            E::InvalidBucketName(_) => "InvalidBucketName",
            E::IllegalLocationConstraint(_) => "IllegalLocationConstraintException",
            E::InvalidLocationConstraint(_) => "InvalidLocationConstraint",
            E::PermanentRedirect { .. } => "PermanentRedirect",
            E::InvalidArgument(_) | E::InvalidVersionId(_) | E::BypassWithoutObjectLock => "InvalidArgument",
            E::IllegalVersioningConfiguration => "IllegalVersioningConfigurationException",
            E::InvalidRequest(_) => "InvalidRequest",
            E::MalformedXml => "MalformedXML",
            E::InvalidRange { .. } => "InvalidRange",
            E::AccessDenied(_) => "AccessDenied",
            E::NoSuchUpload(_) => "NoSuchUpload",
            E::InvalidPart => "InvalidPart",
            E::InvalidPartOrder => "InvalidPartOrder",
            E::InvalidPartNumber { .. } => "InvalidPartNumber",
            E::EntityTooSmall => "EntityTooSmall",
            E::EntityTooLarge => "EntityTooLarge",
            E::NoSuchTagSet(_) => "NoSuchTagSet",
            E::NoSuchBucketPolicy(_) => "NoSuchBucketPolicy",
            E::MalformedPolicy(_) => "MalformedPolicy",
            E::NoSuchPublicAccessBlockConfiguration(_) => "NoSuchPublicAccessBlockConfiguration",
            E::OwnershipControlsNotFound(_) => "OwnershipControlsNotFoundError",
            E::NoSuchLifecycleConfiguration(_) => "NoSuchLifecycleConfiguration",
            E::ReplicationConfigurationNotFound(_) => "ReplicationConfigurationNotFoundError",
            E::ObjectLockConfigurationNotFound(_) => "ObjectLockConfigurationNotFoundError",
            E::NoSuchObjectLockConfiguration => "NoSuchObjectLockConfiguration",
            E::InvalidBucketState(_) => "InvalidBucketState",
            E::InvalidObjectState { .. } => "InvalidObjectState",
            E::BadDigest | E::ChecksumMismatch(_) => "BadDigest",
            E::MalformedTrailer => "MalformedTrailerError",
            E::InvalidDigest => "InvalidDigest",
            E::MaxMessageLengthExceeded => "MaxMessageLengthExceeded",
            E::InvalidStorageClass => "InvalidStorageClass",
            E::MetadataTooLarge => "MetadataTooLarge",
            E::InvalidTag(_) => "InvalidTag",
            E::PreconditionFailed(_) => "PreconditionFailed",
            E::ConditionalRequestConflict { .. } => "ConditionalRequestConflict",
            E::HeaderNotImplemented(_) => "NotImplemented",
            E::NotModified => "NotModified",
            E::ServiceUnavailable(_) => "ServiceUnavailable",
            E::IncompleteBody(_) => "IncompleteBody",
            E::Internal(_) => "InternalError",
            E::NoSuchCorsConfiguration(_) => "NoSuchCORSConfiguration",
            E::NoSuchWebsiteConfiguration(_) => "NoSuchWebsiteConfiguration",
            E::InvalidTargetBucketForLogging(_) => "InvalidTargetBucketForLogging",
            // AWS's own spelling.
            E::CrossLocationLoggingProhibited { .. } => "CrossLocationLoggingProhibitted",
            E::InvalidArgumentNamed { .. } => "InvalidArgument",
            E::AccessControlListNotSupported(_) => "AccessControlListNotSupported",
            E::InvalidBucketAclWithObjectOwnership => "InvalidBucketAclWithObjectOwnership",
            E::InvalidBucketAclWithBlockPublicAccess => "InvalidBucketAclWithBlockPublicAccessError",
            E::UnexpectedContent => "UnexpectedContent",
            E::MalformedAcl => "MalformedACLError",
            E::UnresolvableGrantByEmailAddress(_) => "UnresolvableGrantByEmailAddress",
            E::MissingSecurityHeader(_) => "MissingSecurityHeader",
            E::Unsupported(_) => "NotImplemented",
            E::Kms(r) => match r {
                firedrill_emu_core::keys::KeyRefusal::Disabled(_) => "KMS.DisabledException",
                firedrill_emu_core::keys::KeyRefusal::PendingDeletion(_) => "KMS.KMSInvalidStateException",
                firedrill_emu_core::keys::KeyRefusal::NotFound(_) => "KMS.NotFoundException",
            },
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> u16 {
        use S3EngineError as E;
        match self {
            E::NoSuchBucket(_)
            | E::NoSuchKey { .. }
            | E::NoSuchVersion { .. }
            | E::NoSuchUpload(_)
            | E::NoSuchTagSet(_)
            | E::NoSuchBucketPolicy(_)
            | E::NoSuchPublicAccessBlockConfiguration(_)
            | E::OwnershipControlsNotFound(_)
            | E::NoSuchLifecycleConfiguration(_)
            | E::ReplicationConfigurationNotFound(_)
            | E::ObjectLockConfigurationNotFound(_)
            | E::NoSuchObjectLockConfiguration
            | E::NoSuchCorsConfiguration(_)
            | E::NoSuchWebsiteConfiguration(_) => 404,
            E::MethodNotAllowed { .. } => 405,
            E::BucketNotEmpty(_)
            | E::BucketAlreadyOwnedByYou(_)
            | E::InvalidBucketState(_)
            | E::ConditionalRequestConflict { .. } => 409,
            E::HeaderNotImplemented(_) | E::Unsupported(_) => 501,
            E::PermanentRedirect { .. } => 301,
            E::InvalidRange { .. } | E::InvalidPartNumber { .. } => 416,
            E::AccessDenied(_) | E::InvalidObjectState { .. } | E::CrossLocationLoggingProhibited { .. } => {
                403
            }
            E::PreconditionFailed(_) => 412,
            E::NotModified => 304,
            E::ServiceUnavailable(_) => 503,
            E::Internal(_) => 500,
            E::Kms(_)
            | E::InvalidBucketName(_)
            | E::IllegalLocationConstraint(_)
            | E::InvalidLocationConstraint(_)
            | E::InvalidArgument(_)
            | E::InvalidVersionId(_)
            | E::BypassWithoutObjectLock
            | E::IllegalVersioningConfiguration
            | E::InvalidRequest(_)
            | E::MalformedXml
            | E::InvalidPart
            | E::InvalidPartOrder
            | E::EntityTooSmall
            | E::EntityTooLarge
            | E::BadDigest
            | E::ChecksumMismatch(_)
            | E::MalformedTrailer
            | E::InvalidDigest
            | E::InvalidTag(_)
            | E::MalformedPolicy(_)
            | E::MaxMessageLengthExceeded
            | E::InvalidStorageClass
            | E::MetadataTooLarge
            | E::IncompleteBody(_)
            | E::InvalidTargetBucketForLogging(_)
            | E::InvalidArgumentNamed { .. }
            | E::AccessControlListNotSupported(_)
            | E::InvalidBucketAclWithObjectOwnership
            | E::InvalidBucketAclWithBlockPublicAccess
            | E::UnexpectedContent
            | E::MalformedAcl
            | E::UnresolvableGrantByEmailAddress(_)
            | E::MissingSecurityHeader(_) => 400,
        }
    }
}

impl S3EngineError {
    /// The elements AWS adds to the error document after `Message`, in
    /// order: `BucketName` on bucket errors, `Key` (and `VersionId`) on
    /// missing objects, `UploadId` on a missing upload, `ArgumentName` and
    /// `ArgumentValue` on an invalid version id.
    pub fn extra_elements(&self) -> Vec<(&'static str, String)> {
        use S3EngineError as E;
        match self {
            E::NoSuchBucket(b)
            | E::NoSuchBucketPolicy(b)
            | E::NoSuchPublicAccessBlockConfiguration(b)
            | E::OwnershipControlsNotFound(b)
            | E::NoSuchCorsConfiguration(b)
            | E::NoSuchWebsiteConfiguration(b)
            | E::NoSuchTagSet(b)
            | E::NoSuchLifecycleConfiguration(b)
            | E::ReplicationConfigurationNotFound(b)
            | E::ObjectLockConfigurationNotFound(b)
            | E::BucketNotEmpty(b)
            | E::BucketAlreadyOwnedByYou(b)
            | E::InvalidBucketName(b) => {
                vec![("BucketName", b.clone())]
            }
            E::NoSuchKey { key, .. } => vec![("Key", key.clone())],
            E::NoSuchVersion { key, version_id } => {
                vec![("Key", key.clone()), ("VersionId", version_id.clone())]
            }
            E::NoSuchUpload(id) => vec![("UploadId", id.clone())],
            E::InvalidVersionId(id) => vec![
                ("ArgumentName", "versionId".to_owned()),
                ("ArgumentValue", id.clone()),
            ],
            E::PreconditionFailed(c) => vec![("Condition", c.clone())],
            E::InvalidLocationConstraint(c) => vec![("LocationConstraint", c.clone())],
            E::InvalidPartNumber { requested, actual } => vec![
                ("ActualPartCount", actual.to_string()),
                ("PartNumberRequested", requested.to_string()),
            ],
            E::ConditionalRequestConflict { condition, key } => {
                vec![("Condition", condition.clone()), ("Key", key.clone())]
            }
            E::HeaderNotImplemented(h) => vec![("Header", h.clone())],
            E::BypassWithoutObjectLock => {
                vec![("ArgumentName", "x-amz-bypass-governance-retention".to_owned())]
            }
            E::InvalidTargetBucketForLogging(b) => vec![("TargetBucket", b.clone())],
            E::CrossLocationLoggingProhibited {
                source_region,
                target_region,
            } => source_region
                .iter()
                .map(|s| ("SourceBucketLocation", s.clone()))
                .chain([("TargetBucketLocation", target_region.clone())])
                .collect(),
            E::InvalidArgumentNamed { name, value, .. } => {
                vec![("ArgumentName", name.clone()), ("ArgumentValue", value.clone())]
            }
            E::UnresolvableGrantByEmailAddress(email) => vec![("EmailAddress", email.clone())],
            E::MissingSecurityHeader(header) => vec![("MissingHeaderName", header.clone())],
            _ => Vec::new(),
        }
    }
}

impl From<crate::blob::WriteError> for S3EngineError {
    fn from(e: crate::blob::WriteError) -> Self {
        match e {
            crate::blob::WriteError::Body(m) => S3EngineError::IncompleteBody(m),
            crate::blob::WriteError::TooLarge(_) => S3EngineError::EntityTooLarge,
            crate::blob::WriteError::Io(e) => S3EngineError::Internal(e.to_string()),
        }
    }
}
