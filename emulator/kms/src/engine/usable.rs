//! The seam other services call to ask whether a key can be used now,
//! without HTTP: [`Engine::key_usable`].
//!
//! A restore, copy or read of data encrypted under a KMS key (a vault's
//! recovery point, a table's `SSESpecification`, a bucket's SSE-KMS
//! default or an object's `x-amz-server-side-encryption-aws-kms-key-id`,
//! an instance's `KmsKeyId`) must fail the way AWS fails it when the key
//! is disabled or gone. The caller passes the key reference it recorded
//! (key id, key ARN, alias name or alias ARN) and, on error, answers with
//! [`KeyStateError::code`] and its message in its own protocol (AWS
//! Backup's restore job, for example, goes `FAILED` with the message as
//! its `StatusMessage`).

use super::{Aliases, Engine, Scope};
use crate::errors::KmsError;

/// The ARN of a key that is usable now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyArn(pub String);

/// Why a key cannot be used, in AWS's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyStateError {
    /// No such key or alias (never created, or deleted after its window).
    #[error("{0}")]
    NotFound(String),
    /// The key is disabled.
    #[error("{0}")]
    Disabled(String),
    /// The key is pending deletion.
    #[error("{0}")]
    PendingDeletion(String),
}

impl KeyStateError {
    /// KMS's error code for the state: `NotFoundException`,
    /// `DisabledException` or `KMSInvalidStateException`. Services that
    /// relay it prefix it as AWS does (`KMS.DisabledException`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NotFoundException",
            Self::Disabled(_) => "DisabledException",
            Self::PendingDeletion(_) => "KMSInvalidStateException",
        }
    }
}

impl Engine {
    /// Whether the key `key` names (key id, key ARN, alias name or alias
    /// ARN) in `account` and `region` is enabled, with its ARN when it is.
    pub fn key_usable(&self, account: &str, region: &str, key: &str) -> Result<KeyArn, KeyStateError> {
        let scope = Scope { account, region };
        self.with_region(scope, |r| {
            let k = r
                .key(scope, key, Aliases::Allowed)
                .map_err(|e| KeyStateError::NotFound(e.to_string()))?;
            match k.usable() {
                Ok(()) => Ok(KeyArn(k.arn.clone())),
                Err(KmsError::Disabled(m)) => Err(KeyStateError::Disabled(m)),
                Err(e) => Err(KeyStateError::PendingDeletion(e.to_string())),
            }
        })
    }
}
