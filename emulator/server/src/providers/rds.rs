//! RDS instances under AWS Backup: a recovery point is a DB snapshot of type
//! `awsbackup` (a real PostgreSQL base backup), ARN
//! `arn:aws:rds:<region>:<account>:snapshot:awsbackup:job-<id>` as on AWS.
//! A copy into another account is a snapshot of that account's RDS, its
//! base backup copied into that account's data directory.

use super::{after, payload};
use crate::accounts::Accounts;
use firedrill_emu_backup::{
    BackupRequest, CopyRequest, ProtectedResource, ProviderError, RecoveryPointData, ResourceProvider,
    RestoreRequest,
};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_rds::{Rds, RdsError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an RDS recovery point holds: where its snapshot lives.
#[derive(Debug)]
struct DbSnapshot {
    region: String,
    snapshot_id: String,
    instance_id: String,
}

pub(crate) struct RdsProvider(pub(crate) Arc<Rds>, pub(crate) Arc<Accounts>);

fn failed(e: RdsError) -> ProviderError {
    let text = e.to_string();
    match e {
        RdsError::DBInstanceNotFound(_) | RdsError::DBSnapshotNotFound(_) => ProviderError::NotFound(text),
        RdsError::DBInstanceAlreadyExists(_) | RdsError::DBSnapshotAlreadyExists(_) => {
            ProviderError::AlreadyExists(text)
        }
        RdsError::InvalidParameterValue(_) | RdsError::InvalidParameterCombination(_) => {
            ProviderError::InvalidParameter(text)
        }
        _ => ProviderError::Failed(text),
    }
}

fn instance_id(arn: &str) -> Option<&str> {
    after(arn, ":db:").filter(|id| !id.is_empty() && !id.contains(':'))
}

impl ResourceProvider for RdsProvider {
    fn resource_type(&self) -> &'static str {
        "RDS"
    }

    fn owns(&self, resource_arn: &str) -> bool {
        resource_arn.starts_with("arn:aws:rds:") && instance_id(resource_arn).is_some()
    }

    fn list_resources(&self, region: &str) -> Vec<ProtectedResource> {
        self.0
            .list_instances_with_tags(region)
            .into_iter()
            .filter_map(|(arn, tags)| {
                let name = instance_id(&arn)?.to_owned();
                Some(ProtectedResource { arn, name, tags })
            })
            .collect()
    }

    fn backup(&self, request: BackupRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let instance = instance_id(&request.resource_arn)
                .ok_or_else(|| {
                    ProviderError::InvalidParameter(format!(
                        "not a DB instance ARN: {}",
                        request.resource_arn
                    ))
                })?
                .to_owned();
            let snapshot_id = format!("awsbackup:job-{}", request.job_id.to_lowercase());
            let arn = self
                .0
                .create_snapshot(&request.region, &instance, &snapshot_id, "awsbackup")
                .await
                .map_err(failed)?;
            Ok(RecoveryPointData {
                native_arn: Some(arn),
                size_bytes: 0,
                payload: Arc::new(DbSnapshot {
                    region: request.region,
                    snapshot_id,
                    instance_id: instance,
                }),
            })
        })
    }

    fn copy_to_region(
        &self,
        request: CopyRequest,
    ) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let source = payload::<DbSnapshot>(&request.data)?;
            let dest_id = format!("awsbackup-copy-{}", request.job_id.to_lowercase());
            let arn = match &request.dest_account {
                None => {
                    self.0
                        .copy_snapshot_to_region(
                            &source.region,
                            &source.snapshot_id,
                            &request.dest_region,
                            &dest_id,
                        )
                        .await
                }
                Some(account) => {
                    let dest = self.1.rds(account)?;
                    self.0
                        .copy_snapshot_to_account(
                            &source.region,
                            &source.snapshot_id,
                            &dest,
                            &request.dest_region,
                            &dest_id,
                        )
                        .await
                }
            }
            .map_err(failed)?;
            Ok(RecoveryPointData {
                native_arn: Some(arn),
                size_bytes: request.data.size_bytes,
                payload: Arc::new(DbSnapshot {
                    region: request.dest_region,
                    snapshot_id: dest_id,
                    instance_id: source.instance_id.clone(),
                }),
            })
        })
    }

    fn restore(&self, request: RestoreRequest) -> BoxFuture<'_, Result<String, ProviderError>> {
        Box::pin(async move {
            let source = payload::<DbSnapshot>(&request.data)?;
            let target = request.metadata.get("DBInstanceIdentifier").ok_or_else(|| {
                ProviderError::InvalidParameter(
                    "Restore metadata must include DBInstanceIdentifier.".to_owned(),
                )
            })?;
            self.0
                .restore_from_snapshot(&source.region, &source.snapshot_id, target)
                .await
                .map_err(failed)
        })
    }

    fn delete_restored(
        &self,
        region: String,
        resource_arn: String,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let id = instance_id(&resource_arn).ok_or_else(|| {
                ProviderError::InvalidParameter(format!("not a DB instance ARN: {resource_arn}"))
            })?;
            let request = firedrill_emu_rds::engine::DeleteInstance {
                id: id.to_owned(),
                skip_final_snapshot: true,
                final_snapshot_id: None,
                delete_automated_backups: true,
            };
            match self.0.engine().delete_instance(&region, request) {
                Ok(_) | Err(RdsError::DBInstanceNotFound(_)) => Ok(()),
                Err(e @ RdsError::InvalidDBInstanceState(_)) => Err(ProviderError::Busy(e.to_string())),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn delete(&self, data: RecoveryPointData) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let snapshot = payload::<DbSnapshot>(&data)?;
            match self
                .0
                .engine()
                .delete_snapshot(&snapshot.region, &snapshot.snapshot_id)
            {
                Ok(_) | Err(RdsError::DBSnapshotNotFound(_)) => Ok(()),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn restore_metadata(&self, data: &RecoveryPointData) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(snapshot) = payload::<DbSnapshot>(data) {
            out.insert(
                "DBInstanceIdentifier".to_owned(),
                format!("{}-restored", snapshot.instance_id),
            );
            out.insert("Engine".to_owned(), "postgres".to_owned());
        }
        out
    }
}
