//! The seam between AWS Backup and the services whose resources it protects.
//!
//! AWS Backup knows nothing of how a DynamoDB table, an RDS instance or an
//! S3 bucket keeps its data. Each kind of protected resource is a
//! [`ResourceProvider`]: the integrator implements it over the real engines
//! (the DynamoDB, RDS and S3 crates), tests implement it in memory. A
//! provider lists its resources with their tags (for tag-based selections),
//! takes a backup holding real data, copies it into another region or
//! another account's engine,
//! restores it into a new resource and frees it when the recovery point is
//! deleted or expires.
//!
//! The requests are owned structs so that an implementation can move them
//! into its `async` block; every method returns a boxed future so the trait
//! stays object-safe (`Arc<dyn ResourceProvider>`).

use chrono::{DateTime, Utc};
use firedrill_emu_core::service::BoxFuture;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One resource a provider can protect, as a selection sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedResource {
    /// The resource's ARN, for example `arn:aws:dynamodb:us-east-1:000000000000:table/carts`.
    pub arn: String,
    /// Its name (AWS Backup's `ResourceName`), for example `carts`.
    pub name: String,
    /// Its tags, as selections by tag read them.
    pub tags: Vec<(String, String)>,
}

/// What a recovery point holds: an opaque payload owned by the provider
/// that made it, kept with the recovery point until it is deleted.
#[derive(Clone)]
pub struct RecoveryPointData {
    /// The provider's own ARN for the backup when AWS uses it as the
    /// recovery point ARN: the DynamoDB backup ARN
    /// (`arn:aws:dynamodb:r:acct:table/T/backup/...`) or the RDS snapshot ARN
    /// (`arn:aws:rds:r:acct:snapshot:awsbackup:job-...`). `None` gives the
    /// native form `arn:aws:backup:r:acct:recovery-point:<uuid>` (S3).
    pub native_arn: Option<String>,
    /// The backup's size, reported as `BackupSizeInBytes`.
    pub size_bytes: u64,
    /// The provider's data (a table snapshot, a base backup, object versions).
    pub payload: Arc<dyn Any + Send + Sync>,
}

impl fmt::Debug for RecoveryPointData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryPointData")
            .field("native_arn", &self.native_arn)
            .field("size_bytes", &self.size_bytes)
            .finish_non_exhaustive()
    }
}

/// A backup to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRequest {
    /// The region the backup job runs in (the resource's region).
    pub region: String,
    /// The resource to back up.
    pub resource_arn: String,
    /// The backup job's id (`BackupJobId`), for naming native backups.
    pub job_id: String,
    /// Whether this is the first job of a continuous rule (point-in-time
    /// restore) for a provider that [supports it](ResourceProvider::supports_continuous):
    /// the provider starts continuous protection (a base backup plus the
    /// transaction log from then on) and the payload stands for it. Later
    /// runs of the rule update that one recovery point without calling the
    /// provider again.
    pub continuous: bool,
    /// The emulator instant the job was created for: a scheduled run's cron
    /// instant, or the time of `StartBackupJob`. The data captured is the
    /// resource as it is when the provider is called, which after a clock
    /// jump is later than this instant.
    pub scheduled_at: DateTime<Utc>,
}

/// A recovery point to copy into another region, or into another account.
#[derive(Debug, Clone)]
pub struct CopyRequest {
    /// The source recovery point's data.
    pub data: RecoveryPointData,
    /// The region the source recovery point lives in.
    pub source_region: String,
    /// The region to copy into.
    pub dest_region: String,
    /// The account to copy into when it is not the source's own (AWS
    /// Backup's cross-account copy): the provider then imports the data
    /// into that account's engine, so the copy is the destination
    /// account's (its ARNs carry that account) and outlives the source.
    pub dest_account: Option<String>,
    /// The copy job's id (`CopyJobId`).
    pub job_id: String,
    /// The ARN of the resource the recovery point was taken from.
    pub resource_arn: String,
}

/// A restore into a new resource.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The region to restore in (the recovery point's region).
    pub region: String,
    /// The recovery point's data.
    pub data: RecoveryPointData,
    /// AWS's restore metadata: DynamoDB `targetTableName`; RDS
    /// `DBInstanceIdentifier` (or `DBClusterIdentifier` for Aurora); S3
    /// `DestinationBucketName` and `NewBucket`.
    pub metadata: BTreeMap<String, String>,
    /// The restore job's id (`RestoreJobId`).
    pub job_id: String,
    /// The ARN of the resource the recovery point was taken from.
    pub source_resource_arn: String,
}

/// Why a provider could not do what was asked. The message becomes the
/// job's `StatusMessage`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The resource does not exist (any more).
    #[error("{0}")]
    NotFound(String),
    /// The request is wrong (for example restore metadata without a target name).
    #[error("{0}")]
    InvalidParameter(String),
    /// The resource to create already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The engine failed.
    #[error("{0}")]
    Failed(String),
    /// The resource is busy (still being created, for example): the same
    /// request may succeed later.
    #[error("{0}")]
    Busy(String),
}

/// One kind of protected resource (DynamoDB table, RDS instance or cluster,
/// S3 bucket).
pub trait ResourceProvider: Send + Sync + 'static {
    /// AWS Backup's `ResourceType`: `"DynamoDB"`, `"RDS"`, `"Aurora"`, `"S3"`.
    fn resource_type(&self) -> &'static str;

    /// Whether this provider owns `resource_arn` (by service and resource prefix).
    fn owns(&self, resource_arn: &str) -> bool;

    /// Every resource of this type in `region`, with its tags, read afresh at
    /// each scheduled run so that a newly tagged resource joins a plan.
    fn list_resources(&self, region: &str) -> Vec<ProtectedResource>;

    /// Takes a backup holding real data and returns what the recovery point keeps.
    fn backup(&self, request: BackupRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>>;

    /// Copies a recovery point's data into another region, and into
    /// another account's engine when [`CopyRequest::dest_account`] is set.
    fn copy_to_region(&self, request: CopyRequest)
    -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>>;

    /// Restores into a NEW resource and returns the created resource's ARN.
    fn restore(&self, request: RestoreRequest) -> BoxFuture<'_, Result<String, ProviderError>>;

    /// Frees what a deleted or expired recovery point held.
    fn delete(&self, data: RecoveryPointData) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// Deletes a resource a restore created (AWS Backup's clean-up after a
    /// restore test's validation window), in `region`. A provider with no
    /// delete path for its resource type keeps this default, which says so:
    /// the restore test's `DeletionStatus` is then `FAILED` with this
    /// message and the resource stays.
    fn delete_restored(
        &self,
        region: String,
        resource_arn: String,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        let _ = region;
        let kind = self.resource_type();
        Box::pin(async move {
            Err(ProviderError::Failed(format!(
                "firedrill cannot delete a restored {kind} resource ({resource_arn}); delete it yourself"
            )))
        })
    }

    /// Whether this kind of resource has continuous backups (point-in-time
    /// restore) under AWS Backup: RDS, Aurora and S3 do, DynamoDB does not
    /// (a continuous rule falls back to snapshots for it, as on AWS).
    fn supports_continuous(&self) -> bool {
        matches!(self.resource_type(), "RDS" | "Aurora" | "S3")
    }

    /// The restore metadata `GetRecoveryPointRestoreMetadata` reports for a
    /// recovery point (for example DynamoDB's `originalTableName`); none by default.
    fn restore_metadata(&self, data: &RecoveryPointData) -> BTreeMap<String, String> {
        let _ = data;
        BTreeMap::new()
    }
}
