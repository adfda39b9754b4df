//! AWS Backup's view of the other engines: one `ResourceProvider` per kind
//! of protected resource, each a thin adapter over an engine's in-process
//! API. The engines keep the data (a DynamoDB backup, an S3 snapshot of the
//! versions current at backup time, a PostgreSQL or MariaDB base backup of
//! an RDS instance or an Aurora cluster); AWS Backup keeps the recovery
//! point that points at it.

mod aurora;
mod dynamodb;
mod rds;
mod s3;

pub(crate) use aurora::AuroraProvider;
pub(crate) use dynamodb::DynamoDbProvider;
pub(crate) use rds::RdsProvider;
pub(crate) use s3::S3Provider;

/// The part of an ARN after `prefix`, when it starts with it.
fn after<'a>(arn: &'a str, prefix: &str) -> Option<&'a str> {
    arn.find(prefix).map(|i| &arn[i + prefix.len()..])
}

/// The payload of a recovery point, downcast to what its provider stored.
fn payload<T: Send + Sync + 'static>(
    data: &firedrill_emu_backup::RecoveryPointData,
) -> Result<&T, firedrill_emu_backup::ProviderError> {
    data.payload.downcast_ref::<T>().ok_or_else(|| {
        firedrill_emu_backup::ProviderError::InvalidParameter(
            "the recovery point was not made by this resource type".to_owned(),
        )
    })
}
