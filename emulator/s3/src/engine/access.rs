//! A bucket's access settings: Block Public Access and Object Ownership,
//! stored and returned (neither is enforced: the emulator has one account
//! and serves no anonymous reads).
//!
//! A new bucket has all four Block Public Access settings on and Object
//! Ownership `BucketOwnerEnforced` (ACLs disabled), as AWS creates every
//! bucket since April 2023. Deleting either leaves the bucket without it:
//! the Get answers `NoSuchPublicAccessBlockConfiguration` or
//! `OwnershipControlsNotFoundError` until it is put again.

use super::*;

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
    /// `ObjectOwnership` values (`MalformedXML` otherwise).
    pub fn put_object_ownership(&self, name: &str, region: Option<&str>, ownership: &str) -> Result<()> {
        if !OBJECT_OWNERSHIPS.contains(&ownership) {
            return Err(S3EngineError::MalformedXml);
        }
        let mut st = self.state.lock();
        st.bucket_mut(name, region)?.object_ownership = Some(ownership.to_owned());
        Ok(())
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
