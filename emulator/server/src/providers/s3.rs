//! S3 buckets under AWS Backup: a recovery point is a snapshot of the
//! version current at backup time of every key (bodies shared, immutable);
//! a restore writes every object into the destination bucket. A copy into
//! another account is held by that account's S3 (the immutable bodies are
//! shared, so it outlives anything the source account deletes).

use super::{after, payload};
use crate::accounts::Accounts;
use firedrill_emu_backup::{
    BackupRequest, CopyRequest, ProtectedResource, ProviderError, RecoveryPointData, ResourceProvider,
    RestoreRequest,
};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_s3::{BucketSnapshot, S3, S3EngineError};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) struct S3Provider(pub(crate) Arc<S3>, pub(crate) Arc<Accounts>);

fn failed(e: S3EngineError) -> ProviderError {
    match e {
        S3EngineError::NoSuchBucket(_) => ProviderError::NotFound(e.to_string()),
        _ => ProviderError::Failed(e.to_string()),
    }
}

fn bucket_name(arn: &str) -> Option<&str> {
    after(arn, "arn:aws:s3:::").filter(|b| !b.is_empty() && !b.contains('/'))
}

fn data(snapshot: BucketSnapshot) -> RecoveryPointData {
    RecoveryPointData {
        native_arn: None,
        size_bytes: snapshot.objects.iter().map(|o| o.size()).sum(),
        payload: Arc::new(snapshot),
    }
}

impl ResourceProvider for S3Provider {
    fn resource_type(&self) -> &'static str {
        "S3"
    }

    fn owns(&self, resource_arn: &str) -> bool {
        resource_arn.starts_with("arn:aws:s3:::") && bucket_name(resource_arn).is_some()
    }

    fn list_resources(&self, region: &str) -> Vec<ProtectedResource> {
        self.0
            .list_buckets_with_tags(region)
            .into_iter()
            .map(|(name, tags)| ProtectedResource {
                arn: format!("arn:aws:s3:::{name}"),
                name,
                tags,
            })
            .collect()
    }

    fn backup(&self, request: BackupRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let bucket = bucket_name(&request.resource_arn).ok_or_else(|| {
                ProviderError::InvalidParameter(format!("not a bucket ARN: {}", request.resource_arn))
            })?;
            Ok(data(self.0.snapshot_bucket(bucket).map_err(failed)?))
        })
    }

    fn copy_to_region(
        &self,
        request: CopyRequest,
    ) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let snapshot = payload::<BucketSnapshot>(&request.data)?;
            let dest = match &request.dest_account {
                None => self.0.clone(),
                Some(account) => self.1.s3(account)?,
            };
            Ok(data(
                dest.copy_snapshot_region(snapshot, &request.dest_region)
                    .map_err(failed)?,
            ))
        })
    }

    fn restore(&self, request: RestoreRequest) -> BoxFuture<'_, Result<String, ProviderError>> {
        Box::pin(async move {
            let snapshot = payload::<BucketSnapshot>(&request.data)?;
            let target = request.metadata.get("DestinationBucketName").ok_or_else(|| {
                ProviderError::InvalidParameter(
                    "Restore metadata must include DestinationBucketName.".to_owned(),
                )
            })?;
            let new_bucket = request
                .metadata
                .get("NewBucket")
                .map(|v| v.eq_ignore_ascii_case("true"));
            let exists = self.0.bucket_region(target).is_some();
            if new_bucket == Some(true) && exists {
                return Err(ProviderError::AlreadyExists(format!(
                    "Bucket {target} already exists."
                )));
            }
            if new_bucket == Some(false) && !exists {
                return Err(ProviderError::NotFound(format!(
                    "Bucket {target} does not exist."
                )));
            }
            self.0
                .restore_snapshot(snapshot, target, &request.region)
                .map_err(failed)?;
            Ok(format!("arn:aws:s3:::{target}"))
        })
    }

    fn delete_restored(
        &self,
        region: String,
        resource_arn: String,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let bucket = resource_arn
                .strip_prefix("arn:aws:s3:::")
                .unwrap_or(&resource_arn);
            match self.0.engine().discard_bucket(bucket, Some(&region)) {
                Ok(()) | Err(S3EngineError::NoSuchBucket(_)) => Ok(()),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn delete(&self, _data: RecoveryPointData) -> BoxFuture<'_, Result<(), ProviderError>> {
        // Snapshot bodies are shared, immutable files freed with the last reference.
        Box::pin(async { Ok(()) })
    }

    fn restore_metadata(&self, data: &RecoveryPointData) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(snapshot) = payload::<BucketSnapshot>(data) {
            out.insert("DestinationBucketName".to_owned(), snapshot.bucket.clone());
            out.insert("NewBucket".to_owned(), "true".to_owned());
        }
        out
    }
}
