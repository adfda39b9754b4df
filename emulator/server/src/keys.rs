//! The KMS seam the other services ask through (the core's
//! [`KeyDirectory`]), over this account's KMS engine, so that no service
//! crate knows KMS: AWS Backup's jobs, DynamoDB's tables and restores,
//! S3's SSE-KMS objects and RDS's encrypted restores and copies check the
//! key they recorded here before any state change.

use firedrill_emu_core::keys::{KeyDirectory, KeyRefusal};
use firedrill_emu_kms::{KeyStateError, Kms};
use std::sync::Arc;

/// One account's KMS as the other services see it.
pub(crate) struct KmsKeys(pub(crate) Arc<Kms>);

impl KeyDirectory for KmsKeys {
    fn usable(&self, account: &str, region: &str, key: &str) -> Result<String, KeyRefusal> {
        self.0
            .key_usable(account, region, key)
            .map(|arn| arn.0)
            .map_err(|e| match e {
                KeyStateError::NotFound(m) => KeyRefusal::NotFound(m),
                KeyStateError::Disabled(m) => KeyRefusal::Disabled(m),
                KeyStateError::PendingDeletion(m) => KeyRefusal::PendingDeletion(m),
            })
    }
}
