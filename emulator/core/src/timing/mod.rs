//! The restore-time model: how long AWS's long-running operations take on
//! the emulator clock.
//!
//! On AWS a restore is not instant. A DynamoDB point-in-time restore takes
//! at least 20 minutes whatever the table's size; an RDS point-in-time
//! restore replays every transaction log between the snapshot and the
//! target time; a cross-region snapshot copy can take hours. A drill that
//! restores in the emulator's own few seconds and reports "RTO met" says
//! something AWS would not, so every long-running operation a service
//! performs asks this model how long it takes:
//!
//! - each [`Operation`] has an [`OperationModel`]: a fixed part plus parts
//!   that grow with the resource's [`Workload`] (bytes, items in the largest
//!   partition, log bytes to replay, objects), each a [`Band`] of low,
//!   typical and high;
//! - [`TimingModel::aws_defaults`] holds parameters taken from public
//!   sources (see [`defaults`]; each names its source, or says plainly that
//!   no public figure exists and which conservative value was chosen);
//! - users override any operation from a file or a scenario's `[timings]`
//!   table ([`TimingModel::with_overrides`]), or fit it to their own
//!   account's history (`firedrill calibrate`);
//! - the `fast` fidelity preset uses no model (its small fixed delays keep
//!   test suites quick); the `aws` preset uses the defaults;
//! - every modelled operation is recorded in the [`TimingLog`]
//!   (`GET /_firedrill/timings`), so a drill can report the band of its RTO
//!   and the model that produced it;
//! - an operation a client performs as many requests (an S3 rollback's
//!   copies and deletes, `s3-object-rollback`) is timed on the client's
//!   word ([`ClientOperation`], `POST /_firedrill/timings`): the emulator
//!   serves each request in milliseconds, the model says how long AWS takes
//!   for that many at S3's documented rates, and the client waits for it.
//!
//! Services apply the *typical* duration; the band is what the report shows.

pub mod defaults;
mod log;

pub use log::{ClientOperation, ModelledOperation, TimingLog, TimingReport};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// A long-running AWS operation the emulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// DynamoDB `RestoreTableToPointInTime`.
    DynamodbRestoreToPointInTime,
    /// DynamoDB `RestoreTableFromBackup`.
    DynamodbRestoreFromBackup,
    /// RDS `RestoreDBInstanceFromDBSnapshot`.
    RdsRestoreFromSnapshot,
    /// RDS `RestoreDBInstanceToPointInTime` (snapshot restore plus log replay).
    RdsRestoreToPointInTime,
    /// Aurora `RestoreDBClusterFromSnapshot` / `RestoreDBClusterToPointInTime`.
    RdsClusterRestore,
    /// RDS `CopyDBSnapshot` within a region.
    RdsSnapshotCopy,
    /// RDS `CopyDBSnapshot` into another region, and cross-region
    /// automated-backup replication's first copy.
    RdsCrossRegionSnapshotCopy,
    /// RDS `PromoteReadReplica`.
    RdsPromoteReadReplica,
    /// AWS Backup's own part of a restore job (the service's restore is
    /// modelled separately and added).
    BackupRestoreJob,
    /// AWS Backup `StartCopyJob` / a plan's copy action.
    BackupCopyJob,
    /// Rolling S3 objects back to earlier versions (copy or delete per object).
    S3ObjectRollback,
    /// ElastiCache: a cluster created from a snapshot.
    ElasticacheRestoreFromSnapshot,
}

impl Operation {
    /// Every operation, in a stable order.
    pub const ALL: [Operation; 12] = [
        Operation::DynamodbRestoreToPointInTime,
        Operation::DynamodbRestoreFromBackup,
        Operation::RdsRestoreFromSnapshot,
        Operation::RdsRestoreToPointInTime,
        Operation::RdsClusterRestore,
        Operation::RdsSnapshotCopy,
        Operation::RdsCrossRegionSnapshotCopy,
        Operation::RdsPromoteReadReplica,
        Operation::BackupRestoreJob,
        Operation::BackupCopyJob,
        Operation::S3ObjectRollback,
        Operation::ElasticacheRestoreFromSnapshot,
    ];

    /// The operation's name as files and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Operation::DynamodbRestoreToPointInTime => "dynamodb-restore-to-point-in-time",
            Operation::DynamodbRestoreFromBackup => "dynamodb-restore-from-backup",
            Operation::RdsRestoreFromSnapshot => "rds-restore-from-snapshot",
            Operation::RdsRestoreToPointInTime => "rds-restore-to-point-in-time",
            Operation::RdsClusterRestore => "rds-cluster-restore",
            Operation::RdsSnapshotCopy => "rds-snapshot-copy",
            Operation::RdsCrossRegionSnapshotCopy => "rds-cross-region-snapshot-copy",
            Operation::RdsPromoteReadReplica => "rds-promote-read-replica",
            Operation::BackupRestoreJob => "backup-restore-job",
            Operation::BackupCopyJob => "backup-copy-job",
            Operation::S3ObjectRollback => "s3-object-rollback",
            Operation::ElasticacheRestoreFromSnapshot => "elasticache-restore-from-snapshot",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Low, typical and high values of one quantity. In files each is a number
/// of seconds (fractions allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Band {
    /// The fastest AWS is seen to be.
    #[serde(with = "seconds")]
    pub low: Duration,
    /// What to expect.
    #[serde(with = "seconds")]
    pub typical: Duration,
    /// The slow end a plan must survive.
    #[serde(with = "seconds")]
    pub high: Duration,
}

impl Band {
    /// A band from whole seconds.
    pub const fn secs(low: u64, typical: u64, high: u64) -> Self {
        Self {
            low: Duration::from_secs(low),
            typical: Duration::from_secs(typical),
            high: Duration::from_secs(high),
        }
    }

    /// A band whose three values are the same.
    pub const fn exactly(d: Duration) -> Self {
        Self {
            low: d,
            typical: d,
            high: d,
        }
    }

    /// Whether low <= typical <= high.
    pub fn is_ordered(&self) -> bool {
        self.low <= self.typical && self.typical <= self.high
    }

    /// This band times `factor` (a size in the rate's unit), saturating.
    pub fn times(&self, factor: f64) -> Self {
        let scale = |d: Duration| {
            let secs = d.as_secs_f64() * factor.max(0.0);
            // Saturate at about 31 years: no modelled operation is longer,
            // and Duration::from_secs_f64 panics past u64 seconds.
            Duration::from_secs_f64(secs.min(1.0e9))
        };
        Self {
            low: scale(self.low),
            typical: scale(self.typical),
            high: scale(self.high),
        }
    }

    /// The sum of two bands, saturating.
    pub fn plus(&self, other: &Band) -> Self {
        Self {
            low: self.low.saturating_add(other.low),
            typical: self.typical.saturating_add(other.typical),
            high: self.high.saturating_add(other.high),
        }
    }
}

/// What a resource holds, as far as restore time depends on it. Zero where
/// unknown or irrelevant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Workload {
    /// Bytes of data in the resource (table size, allocated or used storage,
    /// snapshot size, object bytes).
    pub bytes: u64,
    /// Items or rows.
    pub items: u64,
    /// Partitions the items are spread over (DynamoDB); 0 counts as 1.
    pub partitions: u64,
    /// Transaction-log bytes to replay (PostgreSQL WAL, MySQL binlog).
    pub log_bytes: u64,
    /// Objects touched (S3).
    pub objects: u64,
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

impl Workload {
    /// Items in the largest partition, assuming an even spread (AWS: restore
    /// time "is proportional to the largest single partition by item count").
    pub fn items_in_largest_partition(&self) -> u64 {
        self.items.div_ceil(self.partitions.max(1))
    }

    /// The partitions DynamoDB needs for `bytes` of data (10 GB each, from
    /// the DynamoDB developer guide's partition section), at least one.
    pub fn dynamodb_partitions(bytes: u64) -> u64 {
        bytes.div_ceil(10 * 1_000_000_000).max(1)
    }
}

/// How long one operation takes: a fixed part plus rates per unit of size.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct OperationModel {
    /// Time taken whatever the size (provisioning, hand-offs).
    pub fixed: Band,
    /// Per GiB of the resource's data.
    pub per_gib: Band,
    /// Per million items in the largest partition.
    pub per_million_items: Band,
    /// Per GiB of transaction log to replay.
    pub per_gib_log: Band,
    /// Per thousand objects.
    pub per_thousand_objects: Band,
    /// Where the figures come from (a URL and what it says, "calibrated
    /// from ...", or "no public figure; ...").
    pub source: String,
}

impl OperationModel {
    /// The band of durations for `workload`.
    pub fn band(&self, workload: &Workload) -> Band {
        self.fixed
            .plus(&self.per_gib.times(workload.bytes as f64 / GIB))
            .plus(
                &self
                    .per_million_items
                    .times(workload.items_in_largest_partition() as f64 / 1.0e6),
            )
            .plus(&self.per_gib_log.times(workload.log_bytes as f64 / GIB))
            .plus(&self.per_thousand_objects.times(workload.objects as f64 / 1.0e3))
    }

    /// Whether every band is ordered low <= typical <= high.
    pub fn is_ordered(&self) -> bool {
        [
            &self.fixed,
            &self.per_gib,
            &self.per_million_items,
            &self.per_gib_log,
            &self.per_thousand_objects,
        ]
        .iter()
        .all(|b| b.is_ordered())
    }
}

/// Why a timing override was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimingError {
    /// A band with low > typical or typical > high.
    #[error("timings for {0}: every band must have low <= typical <= high")]
    Unordered(Operation),
}

/// The model in force: a name for reports and one [`OperationModel`] per
/// operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimingModel {
    /// Shown in reports: `aws-defaults`, or what the user called theirs.
    pub name: String,
    /// Per operation.
    pub operations: BTreeMap<Operation, OperationModel>,
}

impl TimingModel {
    /// The defaults from public sources (see [`defaults`]).
    pub fn aws_defaults() -> Self {
        Self {
            name: "aws-defaults".to_owned(),
            operations: defaults::table(),
        }
    }

    /// This model with `overrides` replacing whole operations, renamed
    /// `name`. Refused when an override's bands are out of order.
    pub fn with_overrides(
        mut self,
        name: impl Into<String>,
        overrides: BTreeMap<Operation, OperationModel>,
    ) -> Result<Self, TimingError> {
        for (op, model) in overrides {
            if !model.is_ordered() {
                return Err(TimingError::Unordered(op));
            }
            self.operations.insert(op, model);
        }
        self.name = name.into();
        Ok(self)
    }

    /// The band for `operation` on `workload` (zero for an operation the
    /// model leaves out).
    pub fn band(&self, operation: Operation, workload: &Workload) -> Band {
        self.operations
            .get(&operation)
            .map(|m| m.band(workload))
            .unwrap_or_default()
    }
}

/// Serde for [`Duration`] as a number of seconds.
mod seconds {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        if !secs.is_finite() || !(0.0..=1.0e9).contains(&secs) {
            return Err(D::Error::custom(format!(
                "{secs} is not a number of seconds between 0 and 1e9"
            )));
        }
        Ok(Duration::from_secs_f64(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gib(n: u64) -> u64 {
        n * 1024 * 1024 * 1024
    }

    #[test]
    fn every_operation_has_ordered_defaults_and_a_source() {
        let model = TimingModel::aws_defaults();
        for op in Operation::ALL {
            let m = model
                .operations
                .get(&op)
                .unwrap_or_else(|| panic!("{op} has no default"));
            assert!(m.is_ordered(), "{op}: bands out of order");
            assert!(
                m.source.len() > 20,
                "{op}: the source must say where the figures come from"
            );
            assert!(
                m.source.contains("https://") || m.source.contains("no public figure"),
                "{op}: cite a source or say there is none: {}",
                m.source
            );
        }
    }

    #[test]
    fn duration_grows_with_every_size_and_bands_stay_ordered() {
        let model = TimingModel::aws_defaults();
        let sizes = [
            Workload::default(),
            Workload {
                bytes: gib(1),
                items: 1_000_000,
                partitions: 1,
                log_bytes: gib(1),
                objects: 1000,
            },
            Workload {
                bytes: gib(100),
                items: 100_000_000,
                partitions: Workload::dynamodb_partitions(gib(100)),
                log_bytes: gib(20),
                objects: 1_000_000,
            },
        ];
        for op in Operation::ALL {
            let bands: Vec<Band> = sizes.iter().map(|w| model.band(op, w)).collect();
            for b in &bands {
                assert!(b.is_ordered(), "{op}: {b:?}");
            }
            for pair in bands.windows(2) {
                assert!(pair[1].low >= pair[0].low, "{op}: low shrank with size");
                assert!(
                    pair[1].typical >= pair[0].typical,
                    "{op}: typical shrank with size"
                );
                assert!(pair[1].high >= pair[0].high, "{op}: high shrank with size");
            }
        }
    }

    #[test]
    fn dynamodb_point_in_time_restore_never_beats_twenty_minutes() {
        let band =
            TimingModel::aws_defaults().band(Operation::DynamodbRestoreToPointInTime, &Workload::default());
        assert!(band.low >= Duration::from_secs(20 * 60), "{band:?}");
    }

    #[test]
    fn rds_point_in_time_restore_grows_with_the_log_to_replay() {
        let model = TimingModel::aws_defaults();
        let little = model.band(
            Operation::RdsRestoreToPointInTime,
            &Workload {
                log_bytes: gib(1),
                ..Workload::default()
            },
        );
        let lots = model.band(
            Operation::RdsRestoreToPointInTime,
            &Workload {
                log_bytes: gib(50),
                ..Workload::default()
            },
        );
        assert!(
            lots.typical > little.typical + Duration::from_secs(60 * 30),
            "{little:?} vs {lots:?}"
        );
    }

    #[test]
    fn the_largest_partition_decides_dynamodb_item_time() {
        let spread = Workload {
            items: 10_000_000,
            partitions: 10,
            ..Workload::default()
        };
        assert_eq!(spread.items_in_largest_partition(), 1_000_000);
        let one = Workload {
            items: 10_000_000,
            partitions: 0,
            ..Workload::default()
        };
        assert_eq!(one.items_in_largest_partition(), 10_000_000);
        assert_eq!(Workload::dynamodb_partitions(0), 1);
        assert_eq!(Workload::dynamodb_partitions(25_000_000_000), 3);
    }

    #[test]
    fn overrides_replace_operations_and_refuse_unordered_bands() {
        let mut ours = BTreeMap::new();
        ours.insert(
            Operation::RdsRestoreFromSnapshot,
            OperationModel {
                fixed: Band::secs(60, 120, 180),
                source: "calibrated from our account's restore jobs".to_owned(),
                ..OperationModel::default()
            },
        );
        let model = TimingModel::aws_defaults().with_overrides("ours", ours).unwrap();
        assert_eq!(model.name, "ours");
        assert_eq!(
            model.band(Operation::RdsRestoreFromSnapshot, &Workload::default()),
            Band::secs(60, 120, 180)
        );
        let mut bad = BTreeMap::new();
        bad.insert(
            Operation::S3ObjectRollback,
            OperationModel {
                fixed: Band::secs(10, 5, 20),
                ..OperationModel::default()
            },
        );
        assert_eq!(
            TimingModel::aws_defaults().with_overrides("bad", bad),
            Err(TimingError::Unordered(Operation::S3ObjectRollback))
        );
    }

    #[test]
    fn files_spell_operations_and_seconds_as_documented() {
        let json =
            r#"{"rds-snapshot-copy": {"fixed": {"low": 1.5, "typical": 2, "high": 3}, "source": "ours"}}"#;
        let parsed: BTreeMap<Operation, OperationModel> = serde_json::from_str(json).unwrap();
        let m = &parsed[&Operation::RdsSnapshotCopy];
        assert_eq!(m.fixed.low, Duration::from_millis(1500));
        assert_eq!(m.per_gib, Band::default());
        for op in Operation::ALL {
            assert_eq!(
                serde_json::to_value(op).unwrap(),
                serde_json::Value::String(op.name().to_owned())
            );
        }
        let negative = r#"{"rds-snapshot-copy": {"fixed": {"low": -1, "typical": 2, "high": 3}}}"#;
        assert!(serde_json::from_str::<BTreeMap<Operation, OperationModel>>(negative).is_err());
        let unknown = r#"{"rds-snapshot-copy": {"per-row": {"low": 1, "typical": 2, "high": 3}}}"#;
        assert!(serde_json::from_str::<BTreeMap<Operation, OperationModel>>(unknown).is_err());
    }

    fn env(fidelity: crate::Fidelity) -> crate::Environment {
        let config = crate::EmulatorConfig {
            fidelity,
            timings: fidelity.settings(),
            ..crate::EmulatorConfig::default()
        };
        let start = "2026-03-14T12:00:00Z".parse().unwrap();
        crate::Environment::new(config, crate::Clock::simulated(start), std::env::temp_dir())
    }

    #[test]
    fn the_aws_preset_applies_the_typical_duration_and_logs_the_band() {
        let env = env(crate::Fidelity::Aws);
        let workload = Workload {
            items: 2_000_000,
            ..Workload::default()
        };
        let applied = env.long_operation(
            crate::LongOperation {
                operation: Operation::DynamodbRestoreToPointInTime,
                resource: "carts-restored",
                region: "us-east-1",
                workload,
            },
            chrono::Duration::seconds(3),
        );
        let expected = TimingModel::aws_defaults().band(Operation::DynamodbRestoreToPointInTime, &workload);
        assert_eq!(applied.to_std().unwrap(), expected.typical);
        let log = env.timings.operations();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].band, expected);
        assert_eq!(log[0].model, "aws-defaults");
        assert_eq!(log[0].completes_at - log[0].started_at, applied);
        assert_eq!(env.timings.pending_at(env.now()).len(), 1);
        assert!(env.timings.pending_at(log[0].completes_at).is_empty());
    }

    #[test]
    fn the_fast_preset_applies_the_fixed_delay_and_says_so() {
        let env = env(crate::Fidelity::Fast);
        let applied = env.long_operation(
            crate::LongOperation {
                operation: Operation::RdsRestoreToPointInTime,
                resource: "orders-restored",
                region: "us-east-1",
                workload: Workload {
                    log_bytes: 1 << 40,
                    ..Workload::default()
                },
            },
            chrono::Duration::seconds(3),
        );
        assert_eq!(applied, chrono::Duration::seconds(3));
        assert_eq!(env.timing_model_name(), "fast");
        let log = env.timings.operations();
        assert_eq!(log[0].model, "fast");
        assert_eq!(log[0].band, Band::exactly(Duration::from_secs(3)));
    }

    #[test]
    fn a_client_side_rollback_takes_s3s_rates_for_its_requests_and_nothing_on_fast() {
        let op = ClientOperation {
            operation: Operation::S3ObjectRollback,
            resource: "shop-images".to_owned(),
            region: "us-east-1".to_owned(),
            workload: Workload {
                objects: 12_000,
                bytes: gib(3),
                ..Workload::default()
            },
        };
        let aws = env(crate::Fidelity::Aws);
        let timed = aws.client_operation(&op);
        let defaults = &TimingModel::aws_defaults().operations[&Operation::S3ObjectRollback];
        assert_eq!(
            timed.band,
            defaults
                .per_thousand_objects
                .times(12.0)
                .plus(&defaults.per_gib.times(3.0))
        );
        // 12,000 requests at S3's 3,500 a second per prefix: a few seconds at best.
        assert!(timed.band.low >= Duration::from_secs(3), "{:?}", timed.band);
        assert!(timed.band.typical >= Duration::from_secs(120), "{:?}", timed.band);
        assert_eq!(aws.timings.operations(), vec![timed.clone()]);
        assert_eq!(
            (timed.completes_at - timed.started_at).to_std().unwrap(),
            timed.band.typical
        );
        let json = r#"{"operation": "s3-object-rollback", "resource": "b", "region": "us-east-1",
                       "workload": {"objects": 5, "bytes": 10}}"#;
        let parsed: ClientOperation = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.workload.objects, 5);
        assert!(serde_json::from_str::<ClientOperation>(r#"{"operation": "s3-object-rollback"}"#).is_err());

        let fast = env(crate::Fidelity::Fast);
        let timed = fast.client_operation(&op);
        assert_eq!(timed.model, "fast");
        assert_eq!(timed.band, Band::default());
        assert_eq!(timed.completes_at, timed.started_at);
    }

    #[test]
    fn huge_sizes_saturate_instead_of_panicking() {
        let band = TimingModel::aws_defaults().band(
            Operation::RdsCrossRegionSnapshotCopy,
            &Workload {
                bytes: u64::MAX,
                log_bytes: u64::MAX,
                items: u64::MAX,
                objects: u64::MAX,
                partitions: 1,
            },
        );
        assert!(band.is_ordered());
    }
}
