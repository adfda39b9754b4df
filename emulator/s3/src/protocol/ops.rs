//! The supported S3 operations: s3s's typed inputs in, engine calls, typed
//! outputs out.

use super::attributes::{checksum_element, parts_element, select, wanted};
use super::checksums::{
    self, ChunkTrailers, checksum_fields, checksum_type, set_checksum, set_object_checksum,
};
use super::conditions::{Conditions, write_precondition};
use super::convert::*;
use super::{Handler, OrS3, ReqInfo, info, to_s3_error};
use crate::checksum::{self as ck, Algorithm};
use crate::engine::model::{
    DefaultRetention as LockDefault, NULL_VERSION, ObjectData, ObjectMeta, Retention,
};
use crate::engine::{MAX_PUT_SIZE, Rehashed, is_archived, validate_new_object};
use crate::error::S3EngineError;
use crate::integrity::content_md5;
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

/// The owner shown in listings: the emulator's single account, by canonical
/// id only (S3 stopped returning `DisplayName` in every region on
/// November 21, 2025).
pub(super) fn owner() -> Owner {
    Owner {
        display_name: None,
        id: Some(crate::engine::model::OWNER_CANONICAL_ID.to_owned()),
    }
}

/// SSE-S3, which AWS applies to every new object since January 2023 and
/// names on every write and read of one.
pub(super) fn sse_s3() -> ServerSideEncryption {
    ServerSideEncryption::from_static(ServerSideEncryption::AES256)
}

/// `x-amz-server-side-encryption` of a version: `aws:kms` when it has a
/// customer managed key, SSE-S3 otherwise.
pub(super) fn sse_of(kms_key_arn: Option<&String>) -> ServerSideEncryption {
    match kms_key_arn {
        Some(_) => ServerSideEncryption::from_static(ServerSideEncryption::AWS_KMS),
        None => sse_s3(),
    }
}

/// What a write's SSE headers ask for (see `NewObject::kms`).
pub(super) fn requested_kms(
    sse: Option<&ServerSideEncryption>,
    key: Option<&String>,
) -> Option<Option<String>> {
    let sse = sse?;
    Some(
        sse.as_str()
            .starts_with("aws:kms")
            .then(|| key.cloned())
            .flatten(),
    )
}

pub(super) fn etag(s: &str) -> ETag {
    ETag::Strong(s.to_owned())
}

fn storage_class_header(class: &str) -> Option<StorageClass> {
    (class != "STANDARD").then(|| StorageClass::from(class.to_owned()))
}

/// Records a deletion in the audit trail: `resource` is a bucket or object
/// key, named by its ARN as CloudTrail's data events do.
fn audit<T>(handler: &Handler, i: &ReqInfo, event: &str, resource: &str, result: &Result<T, S3EngineError>) {
    handler
        .engine
        .env()
        .audit
        .record(firedrill_emu_core::audit::AuditEvent {
            event_time: handler.engine.env().clock.now(),
            event_source: "s3".to_owned(),
            event_name: event.to_owned(),
            region: i.region.clone(),
            principal: i.principal.clone(),
            resource: format!("arn:aws:s3:::{resource}"),
            result: match result {
                Ok(_) => "Success".to_owned(),
                Err(e) => e.code().to_owned(),
            },
        });
}

pub(super) fn err(e: S3EngineError, i: &ReqInfo) -> s3s::S3Error {
    to_s3_error(e, &i.request_id)
}

fn lock_fields(
    o: &ObjectData,
) -> (
    Option<ObjectLockMode>,
    Option<Timestamp>,
    Option<ObjectLockLegalHoldStatus>,
) {
    (
        o.retention
            .map(|r| ObjectLockMode::from(r.mode.as_str().to_owned())),
        o.retention.map(|r| ts(r.until)),
        (o.legal_hold == Some(true)).then(|| ObjectLockLegalHoldStatus::from("ON".to_owned())),
    )
}

/// The checksum algorithm and type a listing shows for an object.
fn listed_checksum(
    c: (Algorithm, ck::ChecksumType),
) -> (Option<ChecksumAlgorithmList>, Option<ChecksumType>) {
    (
        Some(vec![ChecksumAlgorithm::from(c.0.name().to_owned())]),
        Some(checksum_type(c.1)),
    )
}

/// The ListBuckets continuation token that resumes after `name`.
fn new_bucket_token(name: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("firedrill-buckets:{name}"))
}

/// The bucket name a ListBuckets continuation token resumes after.
fn bucket_token(token: &str) -> Option<String> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("firedrill-buckets:")
        .map(str::to_owned)
}

/// The bucket, key and version id of a copy source.
fn copy_source_names(c: &CopySource) -> Result<(String, String, Option<String>), S3EngineError> {
    match c {
        CopySource::Bucket {
            bucket,
            key,
            version_id,
        } => Ok((
            bucket.to_string(),
            key.to_string(),
            version_id.as_ref().map(|v| v.to_string()),
        )),
        _ => Err(S3EngineError::InvalidArgument(
            "firedrill supports copy sources of the form bucket/key[?versionId=...] only".to_owned(),
        )),
    }
}

/// An object of a ListObjects or ListObjectsV2 page.
fn listed_object(o: &crate::engine::ListedObject, url: bool, with_owner: bool) -> Object {
    let (checksum_algorithm, checksum_type) = listed_checksum(o.checksum);
    Object {
        checksum_algorithm,
        checksum_type,
        e_tag: Some(etag(&o.etag)),
        key: Some(enc(&o.key, url)),
        last_modified: Some(ts(o.last_modified)),
        owner: with_owner.then(owner),
        size: Some(i64::try_from(o.size).unwrap_or(i64::MAX)),
        storage_class: Some(ObjectStorageClass::from(o.storage_class.clone())),
        ..Default::default()
    }
}

fn user_meta(o: &ObjectData) -> Option<Metadata> {
    (!o.meta.user.is_empty()).then(|| o.meta.user.clone().into_iter().collect())
}

fn has_checksum_header(h: &http::HeaderMap) -> bool {
    h.contains_key("content-md5")
        || h.keys().any(|k| k.as_str().starts_with("x-amz-checksum-"))
        || h.contains_key("x-amz-sdk-checksum-algorithm")
}

impl Handler {
    /// The source of a copy into `bucket` (CopyObject, UploadPartCopy),
    /// found and checked against its `x-amz-copy-source-if-*` conditions.
    pub(super) fn checked_copy_source(
        &self,
        bucket: &str,
        i: &ReqInfo,
        source: &CopySource,
        conditions: Conditions<'_>,
    ) -> Result<crate::engine::CopySource, S3EngineError> {
        let (src_bucket, src_key, src_version) = copy_source_names(source)?;
        let found = self.engine.copy_source(
            bucket,
            Some(&i.region),
            &src_bucket,
            &src_key,
            src_version.as_deref(),
        )?;
        conditions.check_copy_source(&found.found)?;
        Ok(found)
    }

    /// Stores an upload's body (PutObject, UploadPart) with its MD5,
    /// CRC64NVME and `algorithm` digests, then checks it against the
    /// request's `Content-MD5` and checksum; a refused body is dropped
    /// before anything refers to it.
    pub(super) async fn receive(
        &self,
        body: Option<StreamingBlob>,
        md5: Option<[u8; 16]>,
        algorithm: Option<Algorithm>,
        requested: Option<&checksums::Requested>,
        trailers: Option<&ChunkTrailers>,
    ) -> Result<crate::blob::Written, S3EngineError> {
        let written = match body {
            Some(body) => self.engine.write_body(body, MAX_PUT_SIZE, algorithm).await?,
            None => {
                self.engine
                    .store()
                    .write_bytes(bytes::Bytes::new(), algorithm)
                    .await?
            }
        };
        if md5.is_some_and(|m| m != written.md5) {
            return Err(S3EngineError::BadDigest);
        }
        if let Some(r) = requested {
            checksums::verify(r, &written.digests, trailers)?;
        }
        Ok(written)
    }

    /// Hashes a copy's source body again when the copy gets a new ETag or
    /// checksum: when the client names an algorithm, and for multipart
    /// sources (S3 copies them into one-part objects with an MD5 ETag and
    /// a full-object checksum of the source's algorithm).
    async fn rehash(
        &self,
        o: &ObjectData,
        requested: Option<Algorithm>,
    ) -> Result<Option<Rehashed>, S3EngineError> {
        let algorithm = match requested {
            Some(a) => a,
            None if o.parts.is_empty() => return Ok(None),
            None => o.checksum.algorithm,
        };
        let digests = o
            .blob
            .digests(Some(algorithm))
            .await
            .map_err(|e| S3EngineError::Internal(e.to_string()))?;
        Ok(Some(Rehashed {
            digests,
            algorithm,
            requested: requested.is_some(),
        }))
    }

    /// Refuses `x-amz-bypass-governance-retention`, whatever its value, on
    /// a bucket without Object Lock, as S3 does.
    fn check_bypass(&self, bucket: &str, i: &ReqInfo, bypass: Option<bool>) -> S3Result<()> {
        if bypass.is_some()
            && !self
                .engine
                .with_bucket(bucket, Some(&i.region), |b| b.object_lock)
                .or_s3(i)?
        {
            return Err(err(S3EngineError::BypassWithoutObjectLock, i));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl S3 for Handler {
    // ----- Buckets -----

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let i = info(&req);
        let acl = super::acl::from_headers(&req.headers).or_s3(&i)?;
        let input = req.input;
        let ownership = input.object_ownership.as_ref().map(|o| o.as_str().to_owned());
        if let Some(e) = super::acl::create_bucket_refusal(&acl.kind(), ownership.as_deref()) {
            return Err(err(e, &i));
        }
        // With ACLs disabled only the owner's full control gets this far,
        // which is what a bucket has without an ACL.
        let stored = match ownership.as_deref() {
            Some(o) if o != crate::engine::model::DEFAULT_OBJECT_OWNERSHIP => acl.stored(),
            _ => None,
        };
        let constraint = input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_owned());
        self.engine
            .create_bucket(
                &input.bucket,
                &i.region,
                constraint.as_deref(),
                input.object_lock_enabled_for_bucket.unwrap_or(false),
                ownership.as_deref(),
            )
            .or_s3(&i)?;
        if stored.is_some() {
            self.engine
                .put_bucket_acl(&input.bucket, Some(&i.region), stored)
                .or_s3(&i)?;
        }
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        }))
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        let i = info(&req);
        let region = self
            .engine
            .head_bucket(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(region),
            ..Default::default()
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let i = info(&req);
        let result = self.engine.delete_bucket(&req.input.bucket, Some(&i.region));
        audit(self, &i, "DeleteBucket", &req.input.bucket, &result);
        result.or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let i = info(&req);
        let input = req.input;
        let max = match input.max_buckets {
            None => None,
            Some(n) if (1..=10_000).contains(&n) => usize::try_from(n).ok(),
            Some(_) => {
                return Err(err(
                    S3EngineError::InvalidArgument(
                        "Argument max-buckets must be an integer between 1 and 10000.".to_owned(),
                    ),
                    &i,
                ));
            }
        };
        let after = match &input.continuation_token {
            None => None,
            Some(t) => Some(bucket_token(t).ok_or_else(|| {
                err(
                    S3EngineError::InvalidArgument("The continuation token provided is incorrect".to_owned()),
                    &i,
                )
            })?),
        };
        let mut all = self
            .engine
            .list_buckets()
            .into_iter()
            .filter(|(_, r, _)| input.bucket_region.as_ref().is_none_or(|want| want == r))
            .filter(|(n, _, _)| input.prefix.as_ref().is_none_or(|p| n.starts_with(p.as_str())))
            .filter(|(n, _, _)| after.as_ref().is_none_or(|a| n > a))
            .peekable();
        let mut buckets = Vec::new();
        while max.is_none_or(|m| buckets.len() < m) {
            let Some((name, region, created)) = all.next() else {
                break;
            };
            buckets.push(Bucket {
                bucket_region: Some(region),
                creation_date: Some(ts(created)),
                name: Some(name),
            });
        }
        let next = if all.peek().is_some() {
            buckets
                .last()
                .and_then(|b| b.name.as_deref())
                .map(new_bucket_token)
        } else {
            None
        };
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(owner()),
            prefix: input.prefix,
            continuation_token: next,
        }))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let i = info(&req);
        // GetBucketLocation is answered from any region, as on AWS.
        let location = self.engine.bucket_location(&req.input.bucket).or_s3(&i)?;
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint: location.map(BucketLocationConstraint::from),
        }))
    }

    // ----- Bucket access (protocol::access) -----

    async fn put_public_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        self.put_access_block(req)
    }

    async fn get_public_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        self.get_access_block(req)
    }

    async fn delete_public_access_block(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
        self.delete_access_block(req)
    }

    async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        self.put_ownership(req)
    }

    async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        self.get_ownership(req)
    }

    async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        self.delete_ownership(req)
    }

    async fn get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        self.bucket_acl(req)
    }

    async fn get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        self.object_acl(req)
    }

    async fn put_bucket_acl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        self.put_bucket_acl_checked(req)
    }

    async fn put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        self.put_object_acl_checked(req)
    }

    // ----- Serving configurations (protocol::configs) -----

    async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        self.put_cors(req)
    }

    async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        self.get_cors(req)
    }

    async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        self.delete_cors(req)
    }

    async fn put_bucket_website(
        &self,
        req: S3Request<PutBucketWebsiteInput>,
    ) -> S3Result<S3Response<PutBucketWebsiteOutput>> {
        self.put_website(req)
    }

    async fn get_bucket_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        self.get_website(req)
    }

    async fn delete_bucket_website(
        &self,
        req: S3Request<DeleteBucketWebsiteInput>,
    ) -> S3Result<S3Response<DeleteBucketWebsiteOutput>> {
        self.delete_website(req)
    }

    async fn put_bucket_logging(
        &self,
        req: S3Request<PutBucketLoggingInput>,
    ) -> S3Result<S3Response<PutBucketLoggingOutput>> {
        self.put_logging(req)
    }

    async fn get_bucket_logging(
        &self,
        req: S3Request<GetBucketLoggingInput>,
    ) -> S3Result<S3Response<GetBucketLoggingOutput>> {
        self.get_logging(req)
    }

    async fn put_bucket_accelerate_configuration(
        &self,
        req: S3Request<PutBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketAccelerateConfigurationOutput>> {
        self.put_accelerate(req)
    }

    async fn get_bucket_accelerate_configuration(
        &self,
        req: S3Request<GetBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketAccelerateConfigurationOutput>> {
        self.get_accelerate(req)
    }

    async fn put_bucket_request_payment(
        &self,
        req: S3Request<PutBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<PutBucketRequestPaymentOutput>> {
        self.put_payer(req)
    }

    async fn get_bucket_request_payment(
        &self,
        req: S3Request<GetBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<GetBucketRequestPaymentOutput>> {
        self.get_payer(req)
    }

    async fn put_bucket_notification_configuration(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketNotificationConfigurationOutput>> {
        self.put_notification(req)
    }

    async fn get_bucket_notification_configuration(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        self.get_notification(req)
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let i = info(&req);
        let input = req.input;
        if input.versioning_configuration.status.is_none()
            && input.versioning_configuration.mfa_delete.is_none()
        {
            return Err(err(S3EngineError::IllegalVersioningConfiguration, &i));
        }
        match input.versioning_configuration.status.as_ref() {
            Some(s) => self
                .engine
                .put_versioning(&input.bucket, Some(&i.region), s.as_str())
                .or_s3(&i)?,
            None => self
                .engine
                .check_writable(&input.bucket, Some(&i.region))
                .or_s3(&i)?,
        }
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let i = info(&req);
        let v = self
            .engine
            .with_bucket(&req.input.bucket, Some(&i.region), |b| b.versioning)
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketVersioningOutput {
            mfa_delete: None,
            status: v.status().map(|s| BucketVersioningStatus::from(s.to_owned())),
        }))
    }

    async fn put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        let i = info(&req);
        let tags = tags_from(&req.input.tagging.tag_set).or_s3(&i)?;
        self.engine
            .put_bucket_tags(&req.input.bucket, Some(&i.region), tags)
            .or_s3(&i)?;
        // S3 answers PutBucketTagging with 204 No Content.
        let mut resp = S3Response::new(PutBucketTaggingOutput::default());
        resp.extensions
            .insert(super::StatusOverride(http::StatusCode::NO_CONTENT));
        Ok(resp)
    }

    async fn get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        let i = info(&req);
        let tags = self
            .engine
            .bucket_tags(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketTaggingOutput {
            tag_set: tags_to(&tags),
        }))
    }

    async fn delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        let i = info(&req);
        self.engine
            .delete_bucket_tags(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketTaggingOutput::default()))
    }

    async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
        let i = info(&req);
        let input = req.input;
        let config = input
            .lifecycle_configuration
            .ok_or_else(|| err(S3EngineError::MalformedXml, &i))?;
        let rules = lifecycle_from(&config.rules).or_s3(&i)?;
        let min_size = self
            .engine
            .put_lifecycle(
                &input.bucket,
                Some(&i.region),
                rules,
                input
                    .transition_default_minimum_object_size
                    .as_ref()
                    .map(|s| s.as_str()),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketLifecycleConfigurationOutput {
            transition_default_minimum_object_size: Some(TransitionDefaultMinimumObjectSize::from(min_size)),
        }))
    }

    async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
        let i = info(&req);
        let (rules, min_size) = self
            .engine
            .lifecycle(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketLifecycleConfigurationOutput {
            rules: Some(lifecycle_to(&rules)),
            transition_default_minimum_object_size: Some(TransitionDefaultMinimumObjectSize::from(min_size)),
        }))
    }

    async fn delete_bucket_lifecycle(
        &self,
        req: S3Request<DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
        let i = info(&req);
        self.engine
            .delete_lifecycle(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketLifecycleOutput::default()))
    }

    async fn put_bucket_replication(
        &self,
        req: S3Request<PutBucketReplicationInput>,
    ) -> S3Result<S3Response<PutBucketReplicationOutput>> {
        let i = info(&req);
        let config = replication_from(&req.input.replication_configuration).or_s3(&i)?;
        self.engine
            .put_replication(&req.input.bucket, Some(&i.region), config)
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketReplicationOutput::default()))
    }

    async fn get_bucket_replication(
        &self,
        req: S3Request<GetBucketReplicationInput>,
    ) -> S3Result<S3Response<GetBucketReplicationOutput>> {
        let i = info(&req);
        let c = self
            .engine
            .replication(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketReplicationOutput {
            replication_configuration: Some(replication_to(&c)),
        }))
    }

    async fn delete_bucket_replication(
        &self,
        req: S3Request<DeleteBucketReplicationInput>,
    ) -> S3Result<S3Response<DeleteBucketReplicationOutput>> {
        let i = info(&req);
        self.engine
            .delete_replication(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketReplicationOutput::default()))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let i = info(&req);
        let input = req.input;
        self.engine
            .put_policy(&input.bucket, Some(&i.region), &input.policy)
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let i = info(&req);
        let policy = self.engine.policy(&req.input.bucket, Some(&i.region)).or_s3(&i)?;
        Ok(S3Response::new(GetBucketPolicyOutput { policy: Some(policy) }))
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        let i = info(&req);
        self.engine
            .delete_policy(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }

    async fn put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        let i = info(&req);
        let input = req.input;
        let enc = encryption_from(&input.server_side_encryption_configuration).or_s3(&i)?;
        self.engine
            .put_encryption(&input.bucket, Some(&i.region), enc)
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketEncryptionOutput::default()))
    }

    async fn get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        let i = info(&req);
        let enc = self
            .engine
            .encryption(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(encryption_to(&enc)),
        }))
    }

    async fn delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        let i = info(&req);
        self.engine
            .delete_encryption(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketEncryptionOutput::default()))
    }

    async fn put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        let i = info(&req);
        let input = req.input;
        let c = input
            .object_lock_configuration
            .ok_or_else(|| err(S3EngineError::MalformedXml, &i))?;
        // S3's schema requires ObjectLockEnabled, and a Rule, when present,
        // to hold a DefaultRetention with a Mode and a period.
        let enabled = c
            .object_lock_enabled
            .as_ref()
            .ok_or_else(|| err(S3EngineError::MalformedXml, &i))?
            .as_str()
            == "Enabled";
        let retention = match c.rule {
            None => None,
            Some(r) => Some(
                r.default_retention
                    .ok_or_else(|| err(S3EngineError::MalformedXml, &i))?,
            ),
        };
        if retention
            .as_ref()
            .is_some_and(|d| d.mode.is_none() || (d.days.is_none() && d.years.is_none()))
        {
            return Err(err(S3EngineError::MalformedXml, &i));
        }
        let default = match retention {
            None => None,
            Some(d) => Some(LockDefault {
                mode: lock_mode(d.mode.as_ref().map(|m| m.as_str()).unwrap_or("")).or_s3(&i)?,
                days: d.days,
                years: d.years,
            }),
        };
        self.engine
            .put_object_lock_config(&input.bucket, Some(&i.region), enabled, default)
            .or_s3(&i)?;
        Ok(S3Response::new(PutObjectLockConfigurationOutput::default()))
    }

    async fn get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        let i = info(&req);
        let d = self
            .engine
            .object_lock_config(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetObjectLockConfigurationOutput {
            object_lock_configuration: Some(ObjectLockConfiguration {
                object_lock_enabled: Some(ObjectLockEnabled::from("Enabled".to_owned())),
                rule: d.map(|d| ObjectLockRule {
                    default_retention: Some(DefaultRetention {
                        days: d.days,
                        mode: Some(ObjectLockRetentionMode::from(d.mode.as_str().to_owned())),
                        years: d.years,
                    }),
                }),
            }),
        }))
    }

    // ----- Objects -----

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let i = info(&req);
        let trailers = req.extensions.get::<ChunkTrailers>().cloned();
        let requested = checksums::requested(
            checksums::present(checksum_fields!(req.input)),
            req.input.checksum_algorithm.as_ref().map(|a| a.as_str()),
            &req.headers,
        )
        .or_s3(&i)?;
        let algorithm = requested.as_ref().map(|r| r.algorithm);
        let precondition = write_precondition(&req.headers).or_s3(&i)?;
        let acl = super::acl::from_headers(&req.headers).or_s3(&i)?;
        let acl = self.check_acl(&req.input.bucket, &i, &acl)?;
        let input = req.input;
        // Refused before the body is read when it already fails; the
        // engine checks again as it commits.
        self.engine
            .check_write(&input.bucket, Some(&i.region), &input.key, precondition.as_ref())
            .or_s3(&i)?;
        let mut new = new_object!(input, object_meta!(input), precondition.clone()).or_s3(&i)?;
        new.acl = acl;
        new.kms = requested_kms(
            input.server_side_encryption.as_ref(),
            input.ssekms_key_id.as_ref(),
        );
        // Refused before the body is read, so nothing is written.
        validate_new_object(&new, None).or_s3(&i)?;
        let md5 = content_md5(input.content_md5.as_deref()).or_s3(&i)?;
        let written = self
            .receive(input.body, md5, algorithm, requested.as_ref(), trailers.as_ref())
            .await
            .or_s3(&i)?;
        let r = self
            .engine
            .put_object(
                &input.bucket,
                Some(&i.region),
                &input.key,
                new,
                written,
                algorithm.unwrap_or(Algorithm::Crc64Nvme),
            )
            .or_s3(&i)?;
        let mut out = PutObjectOutput {
            server_side_encryption: Some(sse_of(r.kms_key_arn.as_ref())),
            ssekms_key_id: r.kms_key_arn.clone(),
            e_tag: Some(etag(&r.etag)),
            version_id: r.version_id,
            size: None,
            ..Default::default()
        };
        set_object_checksum!(out, &r.checksum);
        Ok(S3Response::new(out))
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let i = info(&req);
        let input = req.input;
        let found = self
            .engine
            .get_object(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        Conditions {
            if_match: input.if_match.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
        }
        .check_read(&found)
        .or_s3(&i)?;
        let o = &found.object;
        self.engine.readable(&i.region, o).or_s3(&i)?;
        if is_archived(&o.storage_class) {
            return Err(err(
                S3EngineError::InvalidObjectState {
                    storage_class: o.storage_class.clone(),
                },
                &i,
            ));
        }
        let sel = select(
            o,
            input.range.as_ref(),
            input.part_number,
            input.checksum_mode.as_ref(),
        )
        .or_s3(&i)?;
        let range = sel.range.clone();
        let content_range = sel.content_range.clone();
        let stream = o.blob.stream_range(range.start, range.end);
        let (mode, until, hold) = lock_fields(o);
        let (wire, checksum_type) = (sel.wire, sel.checksum_type);
        let mut out = GetObjectOutput {
            checksum_type,
            server_side_encryption: Some(sse_of(o.kms_key_arn.as_ref())),
            ssekms_key_id: o.kms_key_arn.clone(),
            accept_ranges: Some("bytes".to_owned()),
            body: Some(StreamingBlob::new(stream)),
            cache_control: o.meta.cache_control.clone(),
            content_disposition: o.meta.content_disposition.clone(),
            content_encoding: o.meta.content_encoding.clone(),
            content_language: o.meta.content_language.clone(),
            content_length: Some(i64::try_from(range.end - range.start).unwrap_or(i64::MAX)),
            content_range,
            content_type: Some(
                o.meta
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "binary/octet-stream".to_owned()),
            ),
            e_tag: Some(etag(&o.etag)),
            last_modified: Some(ts(found.last_modified)),
            metadata: user_meta(o),
            object_lock_legal_hold_status: hold,
            object_lock_mode: mode,
            object_lock_retain_until_date: until,
            parts_count: sel.parts_count,
            replication_status: o
                .replication_status
                .map(|s| ReplicationStatus::from(s.as_str().to_owned())),
            storage_class: storage_class_header(&o.storage_class),
            tag_count: (!o.tags.is_empty()).then(|| i32::try_from(o.tags.len()).unwrap_or(i32::MAX)),
            version_id: found.version_id.clone(),
            website_redirect_location: o.meta.website_redirect_location.clone(),
            ..Default::default()
        };
        set_checksum!(out, wire);
        Ok(S3Response::new(out))
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let i = info(&req);
        let input = req.input;
        let found = self
            .engine
            .get_object(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        Conditions {
            if_match: input.if_match.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
        }
        .check_read(&found)
        .or_s3(&i)?;
        let o = &found.object;
        let sel = select(
            o,
            input.range.as_ref(),
            input.part_number,
            input.checksum_mode.as_ref(),
        )
        .or_s3(&i)?;
        let len = sel.range.end.saturating_sub(sel.range.start);
        let content_range = sel.content_range.clone();
        let partial = content_range.is_some();
        let (mode, until, hold) = lock_fields(o);
        let (wire, checksum_type) = (sel.wire, sel.checksum_type);
        // HEAD decrypts nothing: it answers whatever the key's state.
        let mut out = HeadObjectOutput {
            checksum_type,
            server_side_encryption: Some(sse_of(o.kms_key_arn.as_ref())),
            ssekms_key_id: o.kms_key_arn.clone(),
            accept_ranges: Some("bytes".to_owned()),
            cache_control: o.meta.cache_control.clone(),
            content_disposition: o.meta.content_disposition.clone(),
            content_encoding: o.meta.content_encoding.clone(),
            content_language: o.meta.content_language.clone(),
            content_length: Some(i64::try_from(len).unwrap_or(i64::MAX)),
            content_range,
            content_type: Some(
                o.meta
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "binary/octet-stream".to_owned()),
            ),
            e_tag: Some(etag(&o.etag)),
            last_modified: Some(ts(found.last_modified)),
            metadata: user_meta(o),
            object_lock_legal_hold_status: hold,
            object_lock_mode: mode,
            object_lock_retain_until_date: until,
            parts_count: sel.parts_count,
            replication_status: o
                .replication_status
                .map(|s| ReplicationStatus::from(s.as_str().to_owned())),
            storage_class: storage_class_header(&o.storage_class),
            version_id: found.version_id.clone(),
            website_redirect_location: o.meta.website_redirect_location.clone(),
            ..Default::default()
        };
        set_checksum!(out, wire);
        let mut resp = S3Response::new(out);
        if partial {
            resp.extensions
                .insert(super::StatusOverride(http::StatusCode::PARTIAL_CONTENT));
        }
        Ok(resp)
    }

    async fn get_object_attributes(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
        let i = info(&req);
        let input = req.input;
        let want = wanted(&input.object_attributes).or_s3(&i)?;
        let found = self
            .engine
            .get_object(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        let o = &found.object;
        let mut resp = S3Response::new(GetObjectAttributesOutput {
            checksum: want.checksum.then(|| checksum_element(o)),
            e_tag: want.etag.then(|| etag(&o.etag)),
            last_modified: Some(ts(found.last_modified)),
            object_parts: if want.parts {
                parts_element(o, input.max_parts, input.part_number_marker)
            } else {
                None
            },
            object_size: want.size.then(|| i64::try_from(o.size()).unwrap_or(i64::MAX)),
            storage_class: want
                .storage_class
                .then(|| StorageClass::from(o.storage_class.clone())),
            version_id: found.version_id.clone(),
            ..Default::default()
        });
        // S3 writes this ETag without the quotes every other answer has.
        resp.extensions.insert(super::BareETag);
        Ok(resp)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let i = info(&req);
        let input = req.input;
        self.check_bypass(&input.bucket, &i, input.bypass_governance_retention)?;
        let result = self.engine.delete_object(
            &input.bucket,
            Some(&i.region),
            &input.key,
            input.version_id.as_deref(),
            input.bypass_governance_retention.unwrap_or(false),
        );
        audit(
            self,
            &i,
            "DeleteObject",
            &format!("{}/{}", input.bucket, input.key),
            &result,
        );
        let r = result.or_s3(&i)?;
        Ok(S3Response::new(DeleteObjectOutput {
            delete_marker: r.delete_marker.then_some(true),
            request_charged: None,
            version_id: r.version_id,
        }))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let i = info(&req);
        if !has_checksum_header(&req.headers) {
            return Err(err(
                S3EngineError::InvalidRequest(
                    "Missing required header for this request: Content-MD5".to_owned(),
                ),
                &i,
            ));
        }
        let input = req.input;
        self.engine
            .check_writable(&input.bucket, Some(&i.region))
            .or_s3(&i)?;
        if input.delete.objects.len() > 1000 || input.delete.objects.is_empty() {
            return Err(err(S3EngineError::MalformedXml, &i));
        }
        self.check_bypass(&input.bucket, &i, input.bypass_governance_retention)?;
        let quiet = input.delete.quiet.unwrap_or(false);
        let bypass = input.bypass_governance_retention.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for obj in &input.delete.objects {
            match self.engine.delete_object(
                &input.bucket,
                Some(&i.region),
                &obj.key,
                obj.version_id.as_deref(),
                bypass,
            ) {
                Ok(r) => {
                    if quiet {
                        continue;
                    }
                    let d = match &obj.version_id {
                        Some(v) => DeletedObject {
                            key: Some(obj.key.clone()),
                            version_id: Some(v.clone()),
                            delete_marker: r.delete_marker.then_some(true),
                            delete_marker_version_id: r.delete_marker.then(|| v.clone()),
                        },
                        None => DeletedObject {
                            key: Some(obj.key.clone()),
                            version_id: None,
                            delete_marker: r.delete_marker.then_some(true),
                            delete_marker_version_id: if r.delete_marker { r.version_id } else { None },
                        },
                    };
                    deleted.push(d);
                }
                Err(e) => errors.push(Error {
                    code: Some(e.code().to_owned()),
                    key: Some(obj.key.clone()),
                    message: Some(e.to_string()),
                    version_id: obj.version_id.clone(),
                }),
            }
        }
        audit(
            self,
            &i,
            "DeleteObjects",
            &input.bucket,
            &Ok::<(), S3EngineError>(()),
        );
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!deleted.is_empty()).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            request_charged: None,
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        use base64::Engine as _;
        let i = info(&req);
        let input = req.input;
        let url = input.encoding_type.as_ref().is_some_and(|e| e.as_str() == "url");
        let token = match input.continuation_token.as_deref() {
            None => None,
            Some(t) => Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        err(
                            S3EngineError::InvalidArgument(
                                "The continuation token provided is incorrect".to_owned(),
                            ),
                            &i,
                        )
                    })?,
            ),
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = match (&token, &input.start_after) {
            (Some(t), _) => Some(t.as_str()),
            (None, Some(s)) => Some(s.as_str()),
            _ => None,
        };
        let page = self
            .engine
            .list_objects(
                &input.bucket,
                Some(&i.region),
                &prefix,
                input.delimiter.as_deref(),
                after,
                input.max_keys,
            )
            .or_s3(&i)?;
        let fetch_owner = input.fetch_owner.unwrap_or(false);
        let contents: Vec<Object> = page
            .objects
            .iter()
            .map(|o| listed_object(o, url, fetch_owner))
            .collect();
        let common: Vec<CommonPrefix> = page
            .common_prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some(enc(p, url)),
            })
            .collect();
        let key_count = i32::try_from(contents.len() + common.len()).unwrap_or(i32::MAX);
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(enc(&prefix, url)),
            max_keys: Some(input.max_keys.unwrap_or(1000)),
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.is_truncated),
            next_continuation_token: page
                .next_marker
                .map(|m| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m)),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!common.is_empty()).then_some(common),
            delimiter: input.delimiter.map(|d| enc(&d, url)),
            encoding_type: input.encoding_type,
            start_after: input.start_after.map(|s| enc(&s, url)),
            request_charged: None,
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let i = info(&req);
        let input = req.input;
        let url = input.encoding_type.as_ref().is_some_and(|e| e.as_str() == "url");
        let prefix = input.prefix.clone().unwrap_or_default();
        let page = self
            .engine
            .list_objects(
                &input.bucket,
                Some(&i.region),
                &prefix,
                input.delimiter.as_deref(),
                input.marker.as_deref(),
                input.max_keys,
            )
            .or_s3(&i)?;
        let contents: Vec<Object> = page.objects.iter().map(|o| listed_object(o, url, true)).collect();
        let common: Vec<CommonPrefix> = page
            .common_prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some(enc(p, url)),
            })
            .collect();
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(enc(&prefix, url)),
            marker: Some(input.marker.map(|m| enc(&m, url)).unwrap_or_default()),
            max_keys: Some(input.max_keys.unwrap_or(1000)),
            is_truncated: Some(page.is_truncated),
            next_marker: if input.delimiter.is_some() {
                page.next_marker.map(|m| enc(&m, url))
            } else {
                None
            },
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!common.is_empty()).then_some(common),
            delimiter: input.delimiter.map(|d| enc(&d, url)),
            encoding_type: input.encoding_type,
            request_charged: None,
        }))
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let i = info(&req);
        let input = req.input;
        let url = input.encoding_type.as_ref().is_some_and(|e| e.as_str() == "url");
        let prefix = input.prefix.clone().unwrap_or_default();
        let page = self
            .engine
            .list_versions(
                &input.bucket,
                Some(&i.region),
                &prefix,
                input.delimiter.as_deref(),
                input.key_marker.as_deref(),
                input.version_id_marker.as_deref(),
                input.max_keys,
            )
            .or_s3(&i)?;
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        for e in &page.entries {
            match &e.object {
                Some((et, size, class, checksum)) => versions.push({
                    let (checksum_algorithm, checksum_type) = listed_checksum(*checksum);
                    ObjectVersion {
                        checksum_algorithm,
                        checksum_type,
                        e_tag: Some(etag(et)),
                        is_latest: Some(e.is_latest),
                        key: Some(enc(&e.key, url)),
                        last_modified: Some(ts(e.last_modified)),
                        owner: Some(owner()),
                        size: Some(i64::try_from(*size).unwrap_or(i64::MAX)),
                        storage_class: Some(ObjectVersionStorageClass::from(class.clone())),
                        version_id: Some(e.version_id.clone()),
                        ..Default::default()
                    }
                }),
                None => markers.push(DeleteMarkerEntry {
                    is_latest: Some(e.is_latest),
                    key: Some(enc(&e.key, url)),
                    last_modified: Some(ts(e.last_modified)),
                    owner: Some(owner()),
                    version_id: Some(e.version_id.clone()),
                }),
            }
        }
        let common: Vec<CommonPrefix> = page
            .common_prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some(enc(p, url)),
            })
            .collect();
        Ok(S3Response::new(ListObjectVersionsOutput {
            common_prefixes: (!common.is_empty()).then_some(common),
            delete_markers: (!markers.is_empty()).then_some(markers),
            delimiter: input.delimiter.map(|d| enc(&d, url)),
            encoding_type: input.encoding_type,
            is_truncated: Some(page.is_truncated),
            key_marker: Some(input.key_marker.map(|k| enc(&k, url)).unwrap_or_default()),
            max_keys: Some(input.max_keys.unwrap_or(1000)),
            name: Some(input.bucket),
            next_key_marker: page.next_key_marker.map(|k| enc(&k, url)),
            next_version_id_marker: page.next_version_id_marker,
            prefix: Some(enc(&prefix, url)),
            request_charged: None,
            version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
            versions: (!versions.is_empty()).then_some(versions),
        }))
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let i = info(&req);
        let acl = super::acl::from_headers(&req.headers).or_s3(&i)?;
        let acl = self.check_acl(&req.input.bucket, &i, &acl)?;
        let input = req.input;
        let replace = match input.metadata_directive.as_ref().map(|d| d.as_str()) {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(_) => {
                return Err(err(
                    S3EngineError::InvalidArgument("Unknown metadata directive.".to_owned()),
                    &i,
                ));
            }
        };
        let replace_tags = match input.tagging_directive.as_ref().map(|d| d.as_str()) {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(_) => {
                return Err(err(
                    S3EngineError::InvalidArgument("Unknown tagging directive.".to_owned()),
                    &i,
                ));
            }
        };
        let replace_meta = replace.then(|| object_meta!(input));
        let precondition = write_precondition(&req.headers).or_s3(&i)?;
        let mut new = new_object!(input, ObjectMeta::default(), precondition.clone()).or_s3(&i)?;
        new.acl = acl;
        let requested = input
            .checksum_algorithm
            .as_ref()
            .map(|a| checksums::algorithm(a.as_str()))
            .transpose()
            .or_s3(&i)?;
        let source = self
            .checked_copy_source(
                &input.bucket,
                &i,
                &input.copy_source,
                Conditions {
                    if_match: input.copy_source_if_match.as_ref(),
                    if_none_match: input.copy_source_if_none_match.as_ref(),
                    if_modified_since: input.copy_source_if_modified_since.as_ref(),
                    if_unmodified_since: input.copy_source_if_unmodified_since.as_ref(),
                },
            )
            .or_s3(&i)?;
        self.engine
            .check_write(&input.bucket, Some(&i.region), &input.key, precondition.as_ref())
            .or_s3(&i)?;
        let rehashed = self.rehash(&source.found.object, requested).await.or_s3(&i)?;
        let r = self
            .engine
            .copy_object(
                &input.bucket,
                Some(&i.region),
                &input.key,
                &source,
                replace_meta,
                new,
                replace_tags,
                rehashed,
            )
            .or_s3(&i)?;
        let mut result = CopyObjectResult {
            e_tag: Some(etag(&r.etag)),
            last_modified: Some(ts(r.last_modified)),
            ..Default::default()
        };
        set_object_checksum!(result, &r.checksum);
        Ok(S3Response::new(CopyObjectOutput {
            server_side_encryption: Some(sse_s3()),
            copy_object_result: Some(result),
            copy_source_version_id: source.version_id,
            version_id: r.version_id,
            ..Default::default()
        }))
    }

    // ----- Multipart uploads (protocol::multipart) -----

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.create_upload(req)
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.upload_one_part(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.complete_upload(req)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.abort_upload(req)
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.copy_part(req).await
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.list_upload_parts(req)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        self.list_uploads(req)
    }

    async fn put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        let i = info(&req);
        let input = req.input;
        let tags = tags_from(&input.tagging.tag_set).or_s3(&i)?;
        let id = self
            .engine
            .put_object_tags(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
                tags,
            )
            .or_s3(&i)?;
        Ok(S3Response::new(PutObjectTaggingOutput {
            version_id: (id != NULL_VERSION).then_some(id),
        }))
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        let i = info(&req);
        let input = req.input;
        let (tags, id) = self
            .engine
            .object_tags(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(GetObjectTaggingOutput {
            tag_set: tags_to(&tags),
            version_id: (id != NULL_VERSION).then_some(id),
        }))
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        let i = info(&req);
        let input = req.input;
        let id = self
            .engine
            .put_object_tags(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
                Vec::new(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteObjectTaggingOutput {
            version_id: (id != NULL_VERSION).then_some(id),
        }))
    }

    // ----- Object Lock on versions -----

    async fn put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        let i = info(&req);
        let input = req.input;
        let retention = match input.retention {
            None => None,
            Some(r) => match (r.mode, r.retain_until_date) {
                (None, None) => None,
                (Some(m), Some(d)) => Some(Retention {
                    mode: lock_mode(m.as_str()).or_s3(&i)?,
                    until: from_ts(&d).ok_or_else(|| err(S3EngineError::MalformedXml, &i))?,
                }),
                _ => return Err(err(S3EngineError::MalformedXml, &i)),
            },
        };
        self.engine
            .put_retention(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
                retention,
                input.bypass_governance_retention.unwrap_or(false),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(PutObjectRetentionOutput::default()))
    }

    async fn get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        let i = info(&req);
        let input = req.input;
        let r = self
            .engine
            .retention(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(GetObjectRetentionOutput {
            retention: Some(ObjectLockRetention {
                mode: Some(ObjectLockRetentionMode::from(r.mode.as_str().to_owned())),
                retain_until_date: Some(ts(r.until)),
            }),
        }))
    }

    async fn put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        let i = info(&req);
        let input = req.input;
        let on = match input
            .legal_hold
            .and_then(|h| h.status)
            .as_ref()
            .map(|s| s.as_str())
        {
            Some("ON") => true,
            Some("OFF") => false,
            _ => return Err(err(S3EngineError::MalformedXml, &i)),
        };
        self.engine
            .put_legal_hold(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
                on,
            )
            .or_s3(&i)?;
        Ok(S3Response::new(PutObjectLegalHoldOutput::default()))
    }

    async fn get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        let i = info(&req);
        let input = req.input;
        let on = self
            .engine
            .legal_hold(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(GetObjectLegalHoldOutput {
            legal_hold: Some(ObjectLockLegalHold {
                status: Some(ObjectLockLegalHoldStatus::from(
                    if on { "ON" } else { "OFF" }.to_owned(),
                )),
            }),
        }))
    }
}
