//! The seam through which a service asks KMS whether a key can be used,
//! without knowing KMS: [`KeyStates`], held by every account's
//! [`Environment`](crate::Environment) and wired by the assembly
//! (`emulator/server/src/keys.rs`) to that account's KMS engine.
//!
//! AWS Backup, DynamoDB, S3 and RDS record the key their data is encrypted
//! under (a vault's `EncryptionKeyArn`, a table's `SSESpecification`, an
//! object's `x-amz-server-side-encryption-aws-kms-key-id`, an instance's
//! `KmsKeyId`). Before reading or writing that data they ask
//! [`KeyStates::check`] with the reference they recorded (key id, key ARN,
//! alias name or alias ARN) in the caller's account and region, and on a
//! [`KeyRefusal`] answer in their own protocol as AWS does. With no KMS
//! wired (a service crate's own tests) every key is usable.

use parking_lot::RwLock;
use std::sync::Arc;

/// Why a key cannot be used, with KMS's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    /// No such key or alias (never created, or deleted after its window):
    /// KMS's `NotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// The key is disabled: `DisabledException` (`<arn> is disabled.`).
    #[error("{0}")]
    Disabled(String),
    /// The key is pending deletion: `KMSInvalidStateException`
    /// (`<arn> is pending deletion.`).
    #[error("{0}")]
    PendingDeletion(String),
}

impl KeyRefusal {
    /// KMS's error code: `NotFoundException`, `DisabledException` or
    /// `KMSInvalidStateException`. Services that relay it in a header or
    /// a Query error prefix it as AWS does (`KMS.DisabledException`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NotFoundException",
            Self::Disabled(_) => "DisabledException",
            Self::PendingDeletion(_) => "KMSInvalidStateException",
        }
    }

    /// KMS's message (`arn:aws:kms:...:key/... is disabled.`).
    pub fn message(&self) -> &str {
        match self {
            Self::NotFound(m) | Self::Disabled(m) | Self::PendingDeletion(m) => m,
        }
    }

    /// The text AWS's services embed when they relay a KMS refusal, as
    /// their Java KMS client renders it:
    /// `com.amazonaws.services.kms.model.DisabledException: <arn> is
    /// disabled. (Service: AWSKMS; Status Code: 400; Error Code:
    /// DisabledException; Request ID: <uuid>; Proxy: null)`.
    pub fn relayed(&self) -> String {
        let code = self.code();
        format!(
            "com.amazonaws.services.kms.model.{code}: {} (Service: AWSKMS; Status Code: 400; Error Code: {code}; Request ID: {}; Proxy: null)",
            self.message(),
            uuid::Uuid::new_v4()
        )
    }
}

/// What the assembly implements over KMS: the state of the key `key`
/// names in `account` and `region`, its ARN when it is usable.
pub trait KeyDirectory: Send + Sync {
    /// The key's ARN when it is enabled, why not otherwise.
    fn usable(&self, account: &str, region: &str, key: &str) -> Result<String, KeyRefusal>;
}

/// One account's view of KMS, shared by every clone of its environment;
/// set once by the assembly.
#[derive(Clone, Default)]
pub struct KeyStates(Arc<RwLock<Option<Arc<dyn KeyDirectory>>>>);

impl std::fmt::Debug for KeyStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("KeyStates")
            .field(&self.0.read().as_ref().map(|_| "kms"))
            .finish()
    }
}

impl KeyStates {
    /// Wires these key states to `directory`.
    pub fn set(&self, directory: Arc<dyn KeyDirectory>) {
        *self.0.write() = Some(directory);
    }

    /// The ARN of the key `key` names in `account` and `region` when it is
    /// usable (`None` when no KMS is wired), or why it is not.
    pub fn check(&self, account: &str, region: &str, key: &str) -> Result<Option<String>, KeyRefusal> {
        let directory = self.0.read().clone();
        match directory {
            None => Ok(None),
            Some(d) => d.usable(account, region, key).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Disabled;
    impl KeyDirectory for Disabled {
        fn usable(&self, _: &str, region: &str, key: &str) -> Result<String, KeyRefusal> {
            Err(KeyRefusal::Disabled(format!(
                "arn:aws:kms:{region}:1:{key} is disabled."
            )))
        }
    }

    #[test]
    fn unwired_states_let_every_key_through_and_wired_ones_ask_kms() {
        let states = KeyStates::default();
        assert_eq!(states.check("1", "us-east-1", "alias/x"), Ok(None));
        states.clone().set(Arc::new(Disabled));
        let refusal = states.check("1", "us-east-1", "alias/x").unwrap_err();
        assert_eq!(refusal.code(), "DisabledException");
        let text = refusal.relayed();
        assert!(
            text.starts_with(
                "com.amazonaws.services.kms.model.DisabledException: arn:aws:kms:us-east-1:1:alias/x is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException; Request ID: "
            ),
            "{text}"
        );
    }
}
