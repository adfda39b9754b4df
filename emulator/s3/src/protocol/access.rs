//! The bucket access operations: Put/Get/DeletePublicAccessBlock,
//! Put/Get/DeleteBucketOwnershipControls, GetBucketAcl and GetObjectAcl
//! (the settings themselves are the engine's, see `engine::access`).
//!
//! ACLs read as `protocol::acl` stores them: with ACLs disabled
//! (`BucketOwnerEnforced`, every new bucket's setting) always the owner,
//! with one `FULL_CONTROL` grant to the owner's canonical id.

use super::acl::grants_of;
use super::ops::{err, owner};
use super::{Handler, OrS3, info};
use crate::engine::model::PublicAccessBlock;
use crate::error::S3EngineError;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

impl Handler {
    /// PutPublicAccessBlock: a configuration naming none of the four
    /// settings is `InvalidRequest`, as S3 answers; a setting left out is
    /// off.
    pub(super) fn put_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        let i = info(&req);
        let input = req.input;
        let c = &input.public_access_block_configuration;
        let settings = [
            c.block_public_acls,
            c.ignore_public_acls,
            c.block_public_policy,
            c.restrict_public_buckets,
        ];
        if settings.iter().all(Option::is_none) {
            return Err(err(
                S3EngineError::InvalidRequest("Must specify at least one configuration.".to_owned()),
                &i,
            ));
        }
        let [
            block_public_acls,
            ignore_public_acls,
            block_public_policy,
            restrict_public_buckets,
        ] = settings.map(|s| s.unwrap_or(false));
        self.engine
            .put_public_access_block(
                &input.bucket,
                Some(&i.region),
                PublicAccessBlock {
                    block_public_acls,
                    ignore_public_acls,
                    block_public_policy,
                    restrict_public_buckets,
                },
            )
            .or_s3(&i)?;
        Ok(S3Response::new(PutPublicAccessBlockOutput::default()))
    }

    /// GetPublicAccessBlock.
    pub(super) fn get_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        let i = info(&req);
        let b = self
            .engine
            .public_access_block(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(PublicAccessBlockConfiguration {
                block_public_acls: Some(b.block_public_acls),
                block_public_policy: Some(b.block_public_policy),
                ignore_public_acls: Some(b.ignore_public_acls),
                restrict_public_buckets: Some(b.restrict_public_buckets),
            }),
        }))
    }

    /// DeletePublicAccessBlock (204).
    pub(super) fn delete_access_block(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
        let i = info(&req);
        self.engine
            .delete_public_access_block(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeletePublicAccessBlockOutput::default()))
    }

    /// PutBucketOwnershipControls: exactly one rule, with a value of the
    /// model's `ObjectOwnership` enum (`MalformedXML` otherwise).
    pub(super) fn put_ownership(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        let i = info(&req);
        let input = req.input;
        let [rule] = input.ownership_controls.rules.as_slice() else {
            return Err(err(S3EngineError::MalformedXml, &i));
        };
        self.engine
            .put_object_ownership(&input.bucket, Some(&i.region), rule.object_ownership.as_str())
            .or_s3(&i)?;
        Ok(S3Response::new(PutBucketOwnershipControlsOutput::default()))
    }

    /// GetBucketOwnershipControls.
    pub(super) fn get_ownership(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        let i = info(&req);
        let ownership = self
            .engine
            .object_ownership(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: ObjectOwnership::from(ownership),
                }],
            }),
        }))
    }

    /// DeleteBucketOwnershipControls (204).
    pub(super) fn delete_ownership(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        let i = info(&req);
        self.engine
            .delete_object_ownership(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(DeleteBucketOwnershipControlsOutput::default()))
    }

    /// GetBucketAcl: the ACL last set, or the owner's full control (always,
    /// with ACLs disabled).
    pub(super) fn bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        let i = info(&req);
        let (acl, enforced) = self
            .engine
            .bucket_acl(&req.input.bucket, Some(&i.region))
            .or_s3(&i)?;
        Ok(S3Response::new(GetBucketAclOutput {
            grants: Some(grants_of(if enforced { &None } else { &acl })),
            owner: Some(owner()),
        }))
    }

    /// GetObjectAcl: a version's ACL as GetBucketAcl answers the bucket's
    /// (`NoSuchKey`, `NoSuchVersion` and a delete marker's
    /// `MethodNotAllowed` as GetObject answers them).
    pub(super) fn object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        let i = info(&req);
        let input = req.input;
        let (acl, enforced) = self
            .engine
            .object_acl(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(GetObjectAclOutput {
            grants: Some(grants_of(if enforced { &None } else { &acl })),
            owner: Some(owner()),
            request_charged: None,
        }))
    }
}
