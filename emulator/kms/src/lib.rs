//! AWS KMS for the firedrill emulator: symmetric keys with real AES-256-GCM
//! encryption, aliases, key policies, tags, and key states (enabled,
//! disabled, pending deletion) on the emulator clock.
//!
//! # Shape
//!
//! - [`protocol`]: the AWS JSON 1.1 wire format (`X-Amz-Target:
//!   TrentService.<Operation>`), with every member checked against
//!   botocore's `kms/2014-11-01` model by [`input`] before the engine runs;
//! - [`engine`]: keys and aliases per account and region, with no HTTP;
//!   [`engine::crypto`] holds the ciphertext format;
//! - [`engine::usable`]: [`Engine::key_usable`], the seam other services
//!   call to refuse a restore or copy whose key is disabled or deleted;
//! - [`errors`]: KMS's error codes and their JSON 1.1 shape.
//!
//! # Operations
//!
//! Answered as AWS answers them: `CreateKey` (`SYMMETRIC_DEFAULT` /
//! `ENCRYPT_DECRYPT` keys with KMS-generated material; other key specs,
//! origins and multi-Region keys answer `UnsupportedOperationException`),
//! `DescribeKey` (key id, key ARN, alias name or alias ARN), `ListKeys`,
//! `CreateAlias`, `ListAliases`, `UpdateAlias`, `DeleteAlias`, `EnableKey`,
//! `DisableKey`, `ScheduleKeyDeletion` (7 to 30 days, default 30; the key
//! is deleted by the service's tick once its `DeletionDate` passes on the
//! emulator clock), `CancelKeyDeletion` (the key is left `Disabled`),
//! `GetKeyPolicy`, `PutKeyPolicy`, `ListKeyPolicies` (the `default` policy,
//! stored, not evaluated), `UpdateKeyDescription`, `TagResource`,
//! `UntagResource`, `ListResourceTags`, `Encrypt`, `Decrypt` (the blob
//! names its key, so `KeyId` is optional), `GenerateDataKey`,
//! `GenerateDataKeyWithoutPlaintext`, `ReEncrypt` and `GenerateRandom`.
//! `Limit` / `Marker` page the listings; `DryRun` answers
//! `DryRunOperationException` once every check passed; grant tokens are
//! accepted and not checked (there are no grants).
//!
//! Key states are checked as AWS checks them: a disabled key refuses the
//! cryptographic operations with `DisabledException`; a key pending
//! deletion refuses them and every change but `CancelKeyDeletion` and
//! `PutKeyPolicy` with `KMSInvalidStateException`, and is still described
//! and listed; a deleted key is `NotFoundException`, and a ciphertext it
//! made can no longer be decrypted. A wrong encryption context or an
//! altered blob is `InvalidCiphertextException`.
//!
//! Every other KMS operation (grants, rotation, custom key stores,
//! imported material, asymmetric and HMAC operations, replication) answers
//! `UnknownOperationException` naming it. State is in memory, as in the
//! emulator's other services; one account cannot use another's keys (a
//! foreign key ARN is `NotFoundException`), key policies are not evaluated.
//!
//! Key-management calls (`CreateKey`, `EnableKey`, `DisableKey`,
//! `ScheduleKeyDeletion`, `CancelKeyDeletion`, `PutKeyPolicy`, alias and
//! tag changes, `UpdateKeyDescription`) are recorded in the audit trail
//! with the key or alias ARN, and the deletion of a key at the end of its
//! window as `DeleteKey` by `firedrill`.
//!
//! No panic is reachable from a request or a tick: outside tests the crate
//! denies `unwrap`, `expect`, `panic!` and unchecked indexing, each remaining
//! use carrying an `#[allow]` that says why it cannot fail.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod engine;
pub mod errors;
pub mod input;
pub mod protocol;

pub use engine::usable::{KeyArn, KeyStateError};
pub use engine::{Engine, KeyState, Scope};
pub use errors::KmsError;

use chrono::{DateTime, Utc};
use firedrill_emu_core::audit::AuditEvent;
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;

/// The KMS service.
#[derive(Debug)]
pub struct Kms {
    engine: Engine,
}

impl Kms {
    /// A KMS over the shared environment.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self {
            engine: Engine::new(env),
        })
    }

    /// The engine, for other services and tests.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether the key `key` (key id, key ARN, alias name or alias ARN) of
    /// `account` in `region` is usable now: see [`Engine::key_usable`].
    pub fn key_usable(&self, account: &str, region: &str, key: &str) -> Result<KeyArn, KeyStateError> {
        self.engine.key_usable(account, region, key)
    }
}

impl AwsService for Kms {
    fn signing_names(&self) -> &'static [&'static str] {
        &["kms"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let principal = ctx.principal();
            let caller = protocol::Caller {
                scope: Scope {
                    account: ctx.account_id(),
                    region: &ctx.region,
                },
                principal: &principal,
                request_id: &ctx.request_id,
            };
            protocol::handle(&self.engine, caller, req).await
        })
    }

    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            for (region, arn) in self.engine.tick(now) {
                tracing::info!(key = %arn, "kms key deleted at the end of its window");
                self.engine.env().audit.record(AuditEvent {
                    event_time: now,
                    event_source: "kms".to_owned(),
                    event_name: "DeleteKey".to_owned(),
                    region,
                    principal: "firedrill".to_owned(),
                    resource: arn,
                    result: "Success".to_owned(),
                });
            }
        })
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.engine.reset() })
    }
}
