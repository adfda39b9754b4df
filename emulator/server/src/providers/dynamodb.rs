//! DynamoDB tables under AWS Backup: a recovery point is a DynamoDB backup of
//! type `AWS_BACKUP`, its ARN the recovery point ARN, as on AWS. A copy into
//! another account is a backup of that account's DynamoDB.

use super::{after, payload};
use crate::accounts::Accounts;
use firedrill_emu_backup::{
    BackupRequest, CopyRequest, ProtectedResource, ProviderError, RecoveryPointData, ResourceProvider,
    RestoreRequest,
};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_dynamodb::{BackupType, DynamoDb, DynamoDbError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a DynamoDB recovery point holds: the backup's ARN and the table name.
#[derive(Debug)]
struct TableBackup {
    backup_arn: String,
    table_name: String,
}

pub(crate) struct DynamoDbProvider(pub(crate) Arc<DynamoDb>, pub(crate) Arc<Accounts>);

fn failed(e: DynamoDbError) -> ProviderError {
    let text = e.to_string();
    match e {
        DynamoDbError::ResourceNotFound(_)
        | DynamoDbError::TableNotFound(_)
        | DynamoDbError::BackupNotFound(_) => ProviderError::NotFound(text),
        DynamoDbError::TableAlreadyExists(_) => ProviderError::AlreadyExists(text),
        _ => ProviderError::Failed(text),
    }
}

fn table_name(arn: &str) -> Option<&str> {
    after(arn, ":table/").filter(|rest| !rest.contains('/'))
}

impl ResourceProvider for DynamoDbProvider {
    fn resource_type(&self) -> &'static str {
        "DynamoDB"
    }

    fn owns(&self, resource_arn: &str) -> bool {
        resource_arn.starts_with("arn:aws:dynamodb:") && table_name(resource_arn).is_some()
    }

    fn list_resources(&self, region: &str) -> Vec<ProtectedResource> {
        self.0
            .list_tables_with_tags(region)
            .into_iter()
            .filter_map(|(arn, tags)| {
                let name = table_name(&arn)?.to_owned();
                Some(ProtectedResource { arn, name, tags })
            })
            .collect()
    }

    fn backup(&self, request: BackupRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let table = table_name(&request.resource_arn)
                .ok_or_else(|| {
                    ProviderError::InvalidParameter(format!("not a table ARN: {}", request.resource_arn))
                })?
                .to_owned();
            let name = format!("awsbackup-{}", request.job_id);
            let backup = self
                .0
                .create_backup(&request.region, &table, &name, BackupType::AwsBackup)
                .map_err(failed)?;
            let details = backup.backup_details;
            Ok(RecoveryPointData {
                native_arn: Some(details.backup_arn.clone()),
                size_bytes: u64::try_from(details.backup_size_bytes).unwrap_or(0),
                payload: Arc::new(TableBackup {
                    backup_arn: details.backup_arn,
                    table_name: table,
                }),
            })
        })
    }

    fn copy_to_region(
        &self,
        request: CopyRequest,
    ) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let source = payload::<TableBackup>(&request.data)?;
            let copy_arn = match &request.dest_account {
                None => self
                    .0
                    .copy_backup_to_region(&source.backup_arn, &request.dest_region),
                Some(account) => {
                    let dest = self.1.dynamodb(account)?;
                    self.0
                        .copy_backup_to_account(&source.backup_arn, &dest, &request.dest_region)
                }
            }
            .map_err(failed)?;
            Ok(RecoveryPointData {
                native_arn: Some(copy_arn.clone()),
                size_bytes: request.data.size_bytes,
                payload: Arc::new(TableBackup {
                    backup_arn: copy_arn,
                    table_name: source.table_name.clone(),
                }),
            })
        })
    }

    fn restore(&self, request: RestoreRequest) -> BoxFuture<'_, Result<String, ProviderError>> {
        Box::pin(async move {
            let source = payload::<TableBackup>(&request.data)?;
            let target = request.metadata.get("targetTableName").ok_or_else(|| {
                ProviderError::InvalidParameter("Restore metadata must include targetTableName.".to_owned())
            })?;
            self.0
                .restore_table_from_backup(&request.region, &source.backup_arn, target)
                .map_err(failed)
        })
    }

    fn delete_restored(
        &self,
        region: String,
        resource_arn: String,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let table = table_name(&resource_arn)
                .ok_or_else(|| ProviderError::InvalidParameter(format!("not a table ARN: {resource_arn}")))?;
            match self.0.engine().delete_table(&region, table) {
                Ok(_) | Err(DynamoDbError::ResourceNotFound(_)) | Err(DynamoDbError::TableNotFound(_)) => {
                    Ok(())
                }
                Err(e @ DynamoDbError::ResourceInUse(_)) => Err(ProviderError::Busy(e.to_string())),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn delete(&self, data: RecoveryPointData) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let backup = payload::<TableBackup>(&data)?;
            match self.0.delete_backup(&backup.backup_arn) {
                Ok(_) | Err(DynamoDbError::BackupNotFound(_)) => Ok(()),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn restore_metadata(&self, data: &RecoveryPointData) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(backup) = payload::<TableBackup>(data) {
            out.insert("originalTableName".to_owned(), backup.table_name.clone());
        }
        out
    }
}
