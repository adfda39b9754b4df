//! A bucket's access settings: Block Public Access, Object Ownership and ACLs,
//! stored and returned (none is enforced: the emulator has one account
//! and serves no anonymous reads).
//!
//! A new bucket has all four Block Public Access settings on and Object
//! Ownership `BucketOwnerEnforced` (ACLs disabled), as AWS creates every
//! bucket since April 2023. Deleting either leaves the bucket without it:
//! the Get answers `NoSuchPublicAccessBlockConfiguration` or
//! `OwnershipControlsNotFoundError` until it is put again.

use super::*;

/// Whether `b`'s ACLs are disabled (Object Ownership `BucketOwnerEnforced`).
fn enforced(b: &Bucket) -> bool {
    b.object_ownership.as_deref() == Some(DEFAULT_OBJECT_OWNERSHIP)
}

impl Engine {
    /// PutPublicAccessBlock.
    pub fn put_public_access_block(
        &self,
        name: &str,
        region: Option<&str>,
        config: PublicAccessBlock,
    ) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.public_access_block = Some(config);
        Ok(())
    }

    /// GetPublicAccessBlock (`NoSuchPublicAccessBlockConfiguration` once
    /// deleted).
    pub fn public_access_block(&self, name: &str, region: Option<&str>) -> Result<PublicAccessBlock> {
        let st = self.state.lock();
        st.bucket(name, region)?
            .public_access_block
            .ok_or_else(|| S3EngineError::NoSuchPublicAccessBlockConfiguration(name.to_owned()))
    }

    /// DeletePublicAccessBlock (a no-op when there is none).
    pub fn delete_public_access_block(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.public_access_block = None;
        Ok(())
    }

    /// PutBucketOwnershipControls: `ownership` must be one of the model's
    /// `ObjectOwnership` values (`MalformedXML` otherwise); ACLs cannot be
    /// disabled (`BucketOwnerEnforced`) while the bucket ACL grants anyone
    /// but the owner (`InvalidBucketAclWithObjectOwnership`).
    pub fn put_object_ownership(&self, name: &str, region: Option<&str>, ownership: &str) -> Result<()> {
        if !OBJECT_OWNERSHIPS.contains(&ownership) {
            return Err(S3EngineError::MalformedXml);
        }
        let mut st = self.state.lock();
        let b = st.bucket_mut(name, region)?;
        if ownership == DEFAULT_OBJECT_OWNERSHIP && grants_others(&b.acl) {
            return Err(S3EngineError::InvalidBucketAclWithObjectOwnership);
        }
        b.object_ownership = Some(ownership.to_owned());
        Ok(())
    }

    /// PutBucketAcl, once the protocol has checked the ACL against the
    /// bucket's settings.
    pub fn put_bucket_acl(&self, name: &str, region: Option<&str>, acl: StoredAcl) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.acl = acl;
        Ok(())
    }

    /// GetBucketAcl: the ACL last set (`None`: the owner's full control)
    /// and whether ACLs are disabled (`BucketOwnerEnforced`), when it reads
    /// as the owner's full control whatever was set.
    pub fn bucket_acl(&self, name: &str, region: Option<&str>) -> Result<(StoredAcl, bool)> {
        let st = self.state.lock();
        let b = st.bucket(name, region)?;
        Ok((b.acl.clone(), enforced(b)))
    }

    /// PutObjectAcl on a version that exists.
    pub fn put_object_acl(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
        acl: StoredAcl,
    ) -> Result<()> {
        self.with_version_mut(bucket, region, key, version_id, |_, _, o| {
            o.acl = acl;
            Ok(())
        })
    }

    /// GetObjectAcl: a version's ACL and whether the bucket's ACLs are
    /// disabled (as [`Engine::bucket_acl`]).
    pub fn object_acl(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(StoredAcl, bool)> {
        let st = self.state.lock();
        let b = st.bucket(bucket, region)?;
        let found = find_version(b, key, version_id)?;
        Ok((found.object.acl, enforced(b)))
    }

    /// GetBucketOwnershipControls (`OwnershipControlsNotFoundError` once
    /// deleted).
    pub fn object_ownership(&self, name: &str, region: Option<&str>) -> Result<String> {
        let st = self.state.lock();
        st.bucket(name, region)?
            .object_ownership
            .clone()
            .ok_or_else(|| S3EngineError::OwnershipControlsNotFound(name.to_owned()))
    }

    /// DeleteBucketOwnershipControls (a no-op when there are none).
    pub fn delete_object_ownership(&self, name: &str, region: Option<&str>) -> Result<()> {
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.object_ownership = None;
        Ok(())
    }
}
