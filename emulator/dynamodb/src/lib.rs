//! DynamoDB for the firedrill emulator: tables, items, expressions,
//! point-in-time recovery and backups, faithful to AWS on the backup and
//! restore surface.
//!
//! - [`protocol`]: the JSON 1.0 wire shapes (typed inputs and outputs);
//! - [`service`]: X-Amz-Target dispatch, decoding and encoding;
//! - [`engine`]: per-region state and table operations; [`items`]: item
//!   operations; [`backups`]: PITR and backups; [`history`]: the PITR
//!   history and its exact restore semantics; [`table`], [`store`],
//!   [`keys`]: a table's settings, items and key order;
//! - [`streams`]: DynamoDB Streams, the change log of a table with a
//!   `StreamSpecification` and the Streams API over it (`ListStreams`,
//!   `DescribeStream`, `GetShardIterator`, `GetRecords`; X-Amz-Target
//!   `DynamoDBStreams_20120810`, answered by this same service because it
//!   signs as `dynamodb`);
//! - [`exports`]: `ExportTableToPointInTime` (DYNAMODB_JSON and ION, AWS's
//!   `AWSDynamoDB/<ExportId>/` layout), `DescribeExport`, `ListExports`,
//!   writing through the [`exports::ExportStore`] seam that the assembly
//!   implements over its S3;
//! - [`expr`]: the bridge to the expression language crate; [`legacy`]: the
//!   pre-expression parameters rewritten as expressions;
//! - [`errors`]: AWS's error codes and their JSON shape; every response
//!   carries the `x-amz-crc32` of its body (the core's
//!   [`firedrill_emu_core::checksum`]).
//!
//! What AWS checks is checked before any write: key values over 2048
//! (partition) or 1024 (sort) bytes, items over 400 KB, `{"NULL": false}`,
//! empty attribute names, key attributes in a Query's FilterExpression, and
//! RestoreTableToPointInTime's source, target, PITR state and restore time,
//! in that order. The legacy parameters (`Expected`, `AttributeUpdates`,
//! `KeyConditions`, `QueryFilter`, `ScanFilter`, `ConditionalOperator`,
//! `AttributesToGet`) are served through the expression evaluator; mixing
//! them with expressions is AWS's `ValidationException`. Table descriptions
//! carry `TableClassSummary`, `WarmThroughput`, `OnDemandThroughput` (when
//! set), `SSEDescription` (when encryption was asked for) and a
//! `BillingModeSummary` only for tables that are or were on-demand;
//! `DeleteTable` is refused while deletion protection is on. A customer
//! managed `KMSMasterKeyId` is resolved through the core's KMS seam
//! ([`firedrill_emu_core::keys`]): CreateTable, UpdateTable and both
//! restores' `SSESpecificationOverride` refuse a disabled, pending-deletion
//! or unknown key with AWS's `ValidationException` (`KMS key disabled
//! error: ...`), and every item read and write of a table whose key is no
//! longer usable answers the same. A stream
//! records every write path (single items, batches, transactions, and
//! time-to-live deletions with the service's `userIdentity`) for 24 hours
//! of emulator time, in one shard per stream; iterators last 15 minutes
//! (`ExpiredIteratorException`), reads past the trim horizon are
//! `TrimmedDataAccessException`. An export needs PITR and an ExportTime in
//! its window (`PointInTimeRecoveryUnavailableException`,
//! `InvalidExportTimeException`), is idempotent by `ClientToken`
//! (`ExportConflictException` for other parameters) and fails with
//! `S3NoSuchBucket` for a bucket the emulator does not have; incremental
//! exports are a `ValidationException` that says they are not emulated.
//! Operations not emulated (ImportTable, global tables, PartiQL, ...)
//! answer `UnknownOperationException`.
//!
//! Invariant: the engine never sees HTTP; the service never touches state
//! except through the engine.
//!
//! Other crates (AWS Backup) call the engine in-process through
//! [`DynamoDb`]'s public methods: [`DynamoDb::create_backup`],
//! [`DynamoDb::restore_table_from_backup`], [`DynamoDb::list_tables_with_tags`],
//! [`DynamoDb::copy_backup_to_region`], [`DynamoDb::delete_backup`].
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

pub mod backups;
pub mod engine;
pub mod errors;
pub mod exports;
pub mod expr;
pub mod history;
pub mod items;
pub mod keys;
pub mod legacy;
pub mod protocol;
pub mod service;
pub mod store;
pub mod streams;
pub mod table;

pub use engine::{BackupType, Engine};
pub use errors::DynamoDbError;
pub use protocol::BackupDescription;

use chrono::{DateTime, Utc};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;

/// What [`DynamoDb::create_backup`] returns: the backup as `DescribeBackup`
/// shows it.
pub type BackupDescriptionOut = BackupDescription;

/// The principal the audit trail names for in-process calls (AWS Backup
/// jobs and other work the emulator does on its own).
const IN_PROCESS: &str = "firedrill";

/// The DynamoDB service.
#[derive(Debug)]
pub struct DynamoDb {
    engine: Engine,
}

impl DynamoDb {
    /// A DynamoDB with no tables, sharing `env`'s clock and configuration.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self {
            engine: Engine::new(env),
        })
    }

    /// Sets where `ExportTableToPointInTime` writes (the assembly's S3).
    pub fn set_export_store(&self, store: Arc<dyn exports::ExportStore>) {
        self.engine.set_export_store(store);
    }

    /// The engine, for in-process callers and tests.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Takes an on-demand backup of `table` in `region` (`kind`:
    /// `BackupType::AwsBackup` when AWS Backup takes it).
    pub fn create_backup(
        &self,
        region: &str,
        table: &str,
        name: &str,
        kind: BackupType,
    ) -> Result<BackupDescriptionOut, DynamoDbError> {
        let result = self.engine.create_backup(region, table, name, kind);
        self.engine
            .audit(region, "CreateBackup", table, IN_PROCESS, &result);
        result
    }

    /// Restores the backup `backup_arn` (which must be in `region`) to a new
    /// table `target_table`; returns the new table's ARN. The table is
    /// `CREATING` for the create delay, then `ACTIVE`.
    pub fn restore_table_from_backup(
        &self,
        region: &str,
        backup_arn: &str,
        target_table: &str,
    ) -> Result<String, DynamoDbError> {
        let result = self.engine.restore_table_from_backup(
            region,
            protocol::RestoreTableFromBackupInput {
                target_table_name: target_table.to_owned(),
                backup_arn: backup_arn.to_owned(),
                ..Default::default()
            },
        );
        self.engine
            .audit(region, "RestoreTableFromBackup", backup_arn, IN_PROCESS, &result);
        Ok(result?.table_arn)
    }

    /// Every live table of `region` as `(table ARN, tags)`.
    pub fn list_tables_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        self.engine.list_tables_with_tags(region)
    }

    /// Copies a backup into `dest_region`; returns the copy's ARN.
    pub fn copy_backup_to_region(
        &self,
        backup_arn: &str,
        dest_region: &str,
    ) -> Result<String, DynamoDbError> {
        let result = self.engine.copy_backup_to_region(backup_arn, dest_region);
        self.engine
            .audit(dest_region, "CopyBackup", backup_arn, IN_PROCESS, &result);
        result
    }

    /// Copies a backup into `dest_region` of another account's DynamoDB
    /// (`dest`), as AWS Backup's cross-account copy does; returns the
    /// copy's ARN, which carries the destination account.
    pub fn copy_backup_to_account(
        &self,
        backup_arn: &str,
        dest: &DynamoDb,
        dest_region: &str,
    ) -> Result<String, DynamoDbError> {
        let result = self
            .engine
            .copy_backup_into(backup_arn, &dest.engine, dest_region);
        dest.engine
            .audit(dest_region, "CopyBackup", backup_arn, IN_PROCESS, &result);
        result
    }

    /// Deletes a backup; returns its description with status `DELETED`.
    pub fn delete_backup(&self, backup_arn: &str) -> Result<BackupDescriptionOut, DynamoDbError> {
        let result = self.engine.delete_backup(backup_arn);
        let region = firedrill_emu_core::arn::Arn::parse(backup_arn)
            .map(|a| a.region)
            .unwrap_or_default();
        self.engine
            .audit(&region, "DeleteBackup", backup_arn, IN_PROCESS, &result);
        result
    }

    /// Describes a backup.
    pub fn describe_backup(&self, backup_arn: &str) -> Result<BackupDescriptionOut, DynamoDbError> {
        self.engine.describe_backup(backup_arn)
    }
}

impl AwsService for DynamoDb {
    fn signing_names(&self) -> &'static [&'static str] {
        &["dynamodb"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            service::handle(&self.engine, &ctx.region, &ctx.principal(), &ctx.request_id, req).await
        })
    }

    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        self.engine.tick(now);
        Box::pin(async {})
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        self.engine.reset();
        Box::pin(async {})
    }
}
