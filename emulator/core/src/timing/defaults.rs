//! The default restore-time parameters and where each comes from.
//!
//! AWS publishes few durations. Where it does (DynamoDB's 20-minute floor
//! for point-in-time restores, S3's request rates per prefix), the figure is
//! used and cited. Where it only says what a duration depends on (RDS log
//! replay, snapshot copies), the dependency is modelled and the rate is
//! marked "no public figure" with the conservative value chosen: a drill
//! should rather predict a slower restore than AWS delivers than a faster
//! one. Users replace any of these with their own account's figures
//! (`firedrill calibrate`, or a `[timings]` table).
//!
//! | operation | fixed (low / typical / high) | grows with | source |
//! |---|---|---|---|
//! | `dynamodb-restore-to-point-in-time` | 20 / 25 / 40 min | 1 / 3 / 8 min per million items in the largest partition | re:Post: at least 20 minutes whatever the size, usually under an hour, proportional to the largest partition's item count |
//! | `dynamodb-restore-from-backup` | 10 / 20 / 40 min | as above | re:Post: usually under an hour; no floor published |
//! | `rds-restore-from-snapshot` | 10 / 15 / 30 min | 0 / 2 / 10 s per GiB | RDS User Guide: available before the volume is hydrated (lazy loading); no figure published |
//! | `rds-restore-to-point-in-time` | 10 / 15 / 30 min | 0 / 2 / 10 s per GiB, 0.5 / 1.5 / 5 min per GiB of log | re:Post: the snapshot is restored, then every transaction log to the target time is applied; no rate published |
//! | `rds-cluster-restore` | 10 / 20 / 45 min | 0 / 2 / 10 s per GiB | no public figure |
//! | `rds-snapshot-copy` | 2 / 5 / 15 min | 2 / 6 / 30 s per GiB | RDS User Guide: depends on the amount of data; no figure published |
//! | `rds-cross-region-snapshot-copy` | 10 / 20 / 60 min | 10 / 30 / 120 s per GiB | RDS User Guide: depends on the Regions and the amount of data; no figure published |
//! | `rds-promote-read-replica` | 2 / 5 / 15 min | nothing | RDS User Guide: promotion reboots the instance; no figure published |
//! | `backup-restore-job` | 1 / 5 / 15 min | nothing (the service's restore is added) | no public figure |
//! | `backup-copy-job` | 10 / 20 / 60 min | 10 / 30 / 120 s per GiB | no public figure (as a cross-region snapshot copy) |
//! | `s3-object-rollback` | 0 | 0.3 / 10 / 60 s per thousand objects, 1 / 10 / 60 s per GiB | S3 performance guide: 3,500 PUT/COPY/POST/DELETE per second per prefix (low); a scripted copy loop is far slower (typical, high: no public figure) |
//! | `elasticache-restore-from-snapshot` | 5 / 10 / 20 min | 10 / 30 / 90 s per GiB | no public figure |

use super::{Band, Operation, OperationModel};
use std::collections::BTreeMap;

const MIN: u64 = 60;

const DYNAMODB_RESTORE_SLOW: &str = "https://repost.aws/knowledge-center/dynamodb-restore-taking-long";
const RDS_PITR_SLOW: &str = "https://repost.aws/knowledge-center/rds-point-in-time-restore-issues";
const RDS_RESTORE_SNAPSHOT: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RestoreFromSnapshot.html";
const RDS_COPY_SNAPSHOT: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html";
const RDS_READ_REPLICAS: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html";
const S3_PERFORMANCE: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html";

/// Per million items in the largest partition, shared by both DynamoDB
/// restores: re:Post says restore time follows the largest partition's
/// item count but gives no rate.
const DYNAMODB_PER_MILLION_ITEMS: Band = Band::secs(MIN, 3 * MIN, 8 * MIN);

/// Per GiB of an RDS volume: restores are usable before the volume is
/// hydrated, so size adds little (no public figure).
const RDS_PER_GIB: Band = Band::secs(0, 2, 10);

/// Per GiB copied between Regions (no public figure).
const CROSS_REGION_PER_GIB: Band = Band::secs(10, 30, 120);

fn model(fixed: Band, source: String) -> OperationModel {
    OperationModel {
        fixed,
        source,
        ..OperationModel::default()
    }
}

/// The default model of every [`Operation`].
pub fn table() -> BTreeMap<Operation, OperationModel> {
    let mut t = BTreeMap::new();
    t.insert(
        Operation::DynamodbRestoreToPointInTime,
        OperationModel {
            per_million_items: DYNAMODB_PER_MILLION_ITEMS,
            ..model(
                Band::secs(20 * MIN, 25 * MIN, 40 * MIN),
                format!(
                    "{DYNAMODB_RESTORE_SLOW}: a point-in-time restore takes at least 20 minutes whatever the \
                     table's size and usually under an hour, proportional to the largest partition's item \
                     count; the per-item rate has no public figure (chosen so a full 10 GB partition stays \
                     near the hour)"
                ),
            )
        },
    );
    t.insert(
        Operation::DynamodbRestoreFromBackup,
        OperationModel {
            per_million_items: DYNAMODB_PER_MILLION_ITEMS,
            ..model(
                Band::secs(10 * MIN, 20 * MIN, 40 * MIN),
                format!(
                    "{DYNAMODB_RESTORE_SLOW}: restores usually finish in under an hour; no public figure for a \
                     floor or a rate (the point-in-time restore's rate is used)"
                ),
            )
        },
    );
    t.insert(
        Operation::RdsRestoreFromSnapshot,
        OperationModel {
            per_gib: RDS_PER_GIB,
            ..model(
                Band::secs(10 * MIN, 15 * MIN, 30 * MIN),
                format!(
                    "{RDS_RESTORE_SNAPSHOT}: the instance is usable while its volume loads lazily; no public \
                     figure for the time to available (chosen conservatively)"
                ),
            )
        },
    );
    t.insert(
        Operation::RdsRestoreToPointInTime,
        OperationModel {
            per_gib: RDS_PER_GIB,
            per_gib_log: Band::secs(30, 90, 5 * MIN),
            ..model(
                Band::secs(10 * MIN, 15 * MIN, 30 * MIN),
                format!(
                    "{RDS_PITR_SLOW}: the snapshot closest before the target is restored, then the \
                     transaction logs up to the target are applied and the length follows their amount; \
                     no public figure for the replay rate (chosen conservatively)"
                ),
            )
        },
    );
    t.insert(
        Operation::RdsClusterRestore,
        OperationModel {
            per_gib: RDS_PER_GIB,
            ..model(
                Band::secs(10 * MIN, 20 * MIN, 45 * MIN),
                "no public figure for Aurora cluster restores (chosen conservatively, longer than an \
                 instance's as the cluster and its first instance are both created)"
                    .to_owned(),
            )
        },
    );
    t.insert(
        Operation::RdsSnapshotCopy,
        OperationModel {
            per_gib: Band::secs(2, 6, 30),
            ..model(
                Band::secs(2 * MIN, 5 * MIN, 15 * MIN),
                format!(
                    "{RDS_COPY_SNAPSHOT}: the copy's length depends on the amount of data; no public figure \
                     (chosen conservatively)"
                ),
            )
        },
    );
    t.insert(
        Operation::RdsCrossRegionSnapshotCopy,
        OperationModel {
            per_gib: CROSS_REGION_PER_GIB,
            ..model(
                Band::secs(10 * MIN, 20 * MIN, 60 * MIN),
                format!(
                    "{RDS_COPY_SNAPSHOT}: a cross-Region copy's length depends on the Regions and the amount \
                     of data; no public figure (chosen conservatively)"
                ),
            )
        },
    );
    t.insert(
        Operation::RdsPromoteReadReplica,
        model(
            Band::secs(2 * MIN, 5 * MIN, 15 * MIN),
            format!("{RDS_READ_REPLICAS}: promotion reboots the replica; no public figure for its length"),
        ),
    );
    t.insert(
        Operation::BackupRestoreJob,
        model(
            Band::secs(MIN, 5 * MIN, 15 * MIN),
            "no public figure for AWS Backup's own part of a restore job (queueing and hand-off to the \
             service, whose restore is modelled separately)"
                .to_owned(),
        ),
    );
    t.insert(
        Operation::BackupCopyJob,
        OperationModel {
            per_gib: CROSS_REGION_PER_GIB,
            ..model(
                Band::secs(10 * MIN, 20 * MIN, 60 * MIN),
                "no public figure for AWS Backup copy jobs (modelled as a cross-Region snapshot copy)"
                    .to_owned(),
            )
        },
    );
    t.insert(
        Operation::S3ObjectRollback,
        OperationModel {
            per_thousand_objects: Band {
                low: std::time::Duration::from_millis(300),
                typical: std::time::Duration::from_secs(10),
                high: std::time::Duration::from_secs(MIN),
            },
            per_gib: Band::secs(1, 10, MIN),
            ..model(
                Band::default(),
                format!(
                    "{S3_PERFORMANCE}: at least 3,500 PUT/COPY/POST/DELETE requests per second per prefix \
                     (the low end); a scripted loop of copies is far slower and has no public figure \
                     (typical 100 objects/s, high 17 objects/s)"
                ),
            )
        },
    );
    t.insert(
        Operation::ElasticacheRestoreFromSnapshot,
        OperationModel {
            per_gib: Band::secs(10, 30, 90),
            ..model(
                Band::secs(5 * MIN, 10 * MIN, 20 * MIN),
                "no public figure for ElastiCache restores from a snapshot (chosen conservatively)"
                    .to_owned(),
            )
        },
    );
    t
}
