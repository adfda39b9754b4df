//! The audit's read-only guarantee, enforced in the client.
//!
//! Every SDK client the audit builds carries a [`ReadOnlyGuard`]: an
//! interceptor that reads each call's operation name before its request is
//! serialised and refuses the call unless it is a `Describe*`, `List*`,
//! `Get*` or `Head*` operation. A refused call never leaves the process, so
//! the audit cannot change an account even through a bug of its own. The
//! guard also records every call it let through, which the report lists and
//! the tests assert on.

use crate::target::Target;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use parking_lot::Mutex;
use std::sync::Arc;

/// The verbs of the calls the audit may make.
pub const READ_ONLY_PREFIXES: [&str; 4] = ["Describe", "List", "Get", "Head"];

/// Whether an operation name only reads.
pub fn is_read_only(operation: &str) -> bool {
    READ_ONLY_PREFIXES.iter().any(|p| {
        operation
            .strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    })
}

/// A call the guard refused.
#[derive(Debug, thiserror::Error)]
#[error("the audit is read-only: {service} {operation} was refused before it was sent")]
pub struct MutatingCallRefused {
    /// The service's name.
    pub service: String,
    /// The operation.
    pub operation: String,
}

/// The interceptor: refuses mutating calls and records the rest.
#[derive(Debug, Clone, Default)]
pub struct ReadOnlyGuard {
    calls: Arc<Mutex<Vec<String>>>,
}

impl ReadOnlyGuard {
    /// Every call let through so far, as `service:Operation`, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().clone()
    }
}

impl Intercept for ReadOnlyGuard {
    fn name(&self) -> &'static str {
        "firedrill-audit-read-only"
    }

    // Not `read_before_execution`: a client's interceptors run that hook
    // before the operation's own configuration (its name) is loaded.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(meta) = cfg.load::<Metadata>() else {
            return Err(Box::new(MutatingCallRefused {
                service: "unknown".into(),
                operation: "an unnamed operation".into(),
            }));
        };
        if !is_read_only(meta.name()) {
            return Err(Box::new(MutatingCallRefused {
                service: meta.service().to_owned(),
                operation: meta.name().to_owned(),
            }));
        }
        self.calls
            .lock()
            .push(format!("{}:{}", meta.service(), meta.name()));
        Ok(())
    }
}

/// The audit's clients for one region, each behind the guard.
#[derive(Debug, Clone)]
pub struct GuardedClients {
    /// The region these clients call.
    pub region: String,
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// S3 (path-style addressing).
    pub s3: aws_sdk_s3::Client,
    /// RDS.
    pub rds: aws_sdk_rds::Client,
    /// AWS Backup.
    pub backup: aws_sdk_backup::Client,
    /// ElastiCache.
    pub elasticache: aws_sdk_elasticache::Client,
}

impl GuardedClients {
    /// The clients for `region` of `target`, sharing `guard`.
    pub fn new(target: &dyn Target, region: &str, guard: &ReadOnlyGuard) -> Self {
        let config = target.sdk_config(region);
        Self {
            region: region.to_owned(),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&config)
                    .interceptor(guard.clone())
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config)
                    .force_path_style(true)
                    .interceptor(guard.clone())
                    .build(),
            ),
            rds: aws_sdk_rds::Client::from_conf(
                aws_sdk_rds::config::Builder::from(&config)
                    .interceptor(guard.clone())
                    .build(),
            ),
            backup: aws_sdk_backup::Client::from_conf(
                aws_sdk_backup::config::Builder::from(&config)
                    .interceptor(guard.clone())
                    .build(),
            ),
            elasticache: aws_sdk_elasticache::Client::from_conf(
                aws_sdk_elasticache::config::Builder::from(&config)
                    .interceptor(guard.clone())
                    .build(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reading_verbs_pass() {
        for op in [
            "DescribeDBInstances",
            "ListBackupPlans",
            "GetBucketVersioning",
            "HeadBucket",
        ] {
            assert!(is_read_only(op), "{op}");
        }
        for op in [
            "CreateBackupVault",
            "DeleteTable",
            "PutBucketVersioning",
            "UpdateContinuousBackups",
            "RestoreTableToPointInTime",
            "StartBackupJob",
            "Listen",
            "Getaway",
            "Describe",
        ] {
            assert!(!is_read_only(op), "{op}");
        }
    }
}
