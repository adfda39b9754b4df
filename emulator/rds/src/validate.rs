//! Validation of request values, before anything is created or changed.
//!
//! Every rule here is one the RDS API reference or the botocore model states
//! for the PostgreSQL engines (identifiers, windows, retention, names,
//! passwords, ports, instance classes, storage, availability zones, tags),
//! with AWS's error code and, where it is known, AWS's message. The engine
//! calls these first in every operation that creates or changes a resource,
//! so a refused request leaves no record, directory or server behind.
//!
//! Messages marked as AWS's were seen in answers from AWS; the others follow
//! the API reference's wording (AWS's exact text for them is unconfirmed).

use crate::catalog::{self, EngineVersion};
use crate::errors::RdsError;
use chrono::{NaiveTime, Timelike};

/// Validates an RDS identifier (instance, cluster, snapshot, group): 1 to 63
/// (instances and clusters) or 255 characters, a letter first, letters,
/// digits and hyphens, no trailing or doubled hyphen. Returns it lowercased,
/// as RDS stores it.
pub fn identifier(param: &str, value: &str) -> Result<String, RdsError> {
    let ok = !value.is_empty()
        && value.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.ends_with('-')
        && !value.contains("--");
    let limit = if matches!(
        param,
        "DBInstanceIdentifier" | "DBClusterIdentifier" | "TargetDBInstanceIdentifier"
    ) {
        63
    } else {
        255
    };
    if !ok || value.len() > limit {
        return Err(RdsError::InvalidParameterValue(format!(
            "The parameter {param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
        )));
    }
    Ok(value.to_ascii_lowercase())
}

/// `BackupRetentionPeriod`: 0 to 35 days.
pub fn retention(value: i32) -> Result<i32, RdsError> {
    if !(0..=35).contains(&value) {
        return Err(RdsError::InvalidParameterValue(format!(
            "Invalid backup retention period {value}: BackupRetentionPeriod must be a value from 0 to 35."
        )));
    }
    Ok(value)
}

/// `hh24:mi`.
pub(crate) fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// `ddd:hh24:mi`: the day of the week (0 = Monday) and the time.
pub(crate) fn parse_weekly(s: &str) -> Option<(u32, NaiveTime)> {
    let (day, time) = s.split_once(':')?;
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .position(|d| d.eq_ignore_ascii_case(day))? as u32;
    Some((day, parse_hhmm(time)?))
}

fn minute_of_day(t: NaiveTime) -> i64 {
    i64::from(t.hour() * 60 + t.minute())
}

/// `PreferredBackupWindow`: `hh24:mi-hh24:mi` UTC, at least 30 minutes.
pub fn backup_window(window: &str) -> Result<String, RdsError> {
    let bad = || {
        RdsError::InvalidParameterValue(
            "The parameter PreferredBackupWindow must be provided in the format hh24:mi-hh24:mi.".to_owned(),
        )
    };
    let (a, b) = window.split_once('-').ok_or_else(bad)?;
    let (start, end) = (parse_hhmm(a).ok_or_else(bad)?, parse_hhmm(b).ok_or_else(bad)?);
    if (minute_of_day(end) - minute_of_day(start)).rem_euclid(24 * 60) < 30 {
        return Err(RdsError::InvalidParameterValue(
            "The backup window must be at least 30 minutes.".to_owned(),
        ));
    }
    Ok(window.to_owned())
}

/// `PreferredMaintenanceWindow`: `ddd:hh24:mi-ddd:hh24:mi` UTC, 30 minutes
/// to 24 hours. Returned lowercased, as RDS shows it.
pub fn maintenance_window(window: &str) -> Result<String, RdsError> {
    let bad = || {
        RdsError::InvalidParameterValue(
            "The parameter PreferredMaintenanceWindow must be provided in the format ddd:hh24:mi-ddd:hh24:mi.".to_owned(),
        )
    };
    let (a, b) = window.split_once('-').ok_or_else(bad)?;
    let (start, end) = (parse_weekly(a).ok_or_else(bad)?, parse_weekly(b).ok_or_else(bad)?);
    let minutes = (weekly_minute(end) - weekly_minute(start)).rem_euclid(7 * 24 * 60);
    if minutes < 30 {
        return Err(RdsError::InvalidParameterValue(
            "The maintenance window must be at least 30 minutes.".to_owned(),
        ));
    }
    if minutes > 24 * 60 {
        return Err(RdsError::InvalidParameterValue(
            "Maintenance window must be less than 24 hours.".to_owned(),
        ));
    }
    Ok(window.to_ascii_lowercase())
}

fn weekly_minute((day, t): (u32, NaiveTime)) -> i64 {
    i64::from(day) * 24 * 60 + minute_of_day(t)
}

/// The backup window and the maintenance window must not overlap (both
/// already validated). AWS's message.
pub fn windows_disjoint(backup: &str, maintenance: &str) -> Result<(), RdsError> {
    const WEEK: i64 = 7 * 24 * 60;
    let parse = || -> Option<((i64, i64), (i64, i64))> {
        let (a, b) = backup.split_once('-')?;
        let (bs, be) = (minute_of_day(parse_hhmm(a)?), minute_of_day(parse_hhmm(b)?));
        let blen = (be - bs).rem_euclid(24 * 60);
        let (c, d) = maintenance.split_once('-')?;
        let (ms, me) = (weekly_minute(parse_weekly(c)?), weekly_minute(parse_weekly(d)?));
        Some(((bs, blen), (ms, (me - ms).rem_euclid(WEEK))))
    };
    let Some(((bs, blen), (ms, mlen))) = parse() else {
        return Ok(());
    };
    // The daily window recurs every day of the week; compare each
    // occurrence with the weekly window on a circle of one week.
    let overlaps = (0..7).any(|day| {
        let start = day * 24 * 60 + bs;
        let a = (start - ms).rem_euclid(WEEK);
        let b = (ms - start).rem_euclid(WEEK);
        a < mlen || b < blen
    });
    if overlaps {
        return Err(RdsError::InvalidParameterValue(
            "The backup window and maintenance window must not overlap.".to_owned(),
        ));
    }
    Ok(())
}

/// `MasterUsername` for PostgreSQL: 1 to 16 letters, digits or underscores,
/// a letter first, not a word PostgreSQL or RDS reserves. Returned
/// lowercased, as PostgreSQL folds it.
pub fn master_username(name: Option<&str>) -> Result<String, RdsError> {
    let name = match name {
        None | Some("") => {
            return Err(RdsError::InvalidParameterValue(
                "The parameter MasterUsername must be provided and must not be blank.".to_owned(),
            ));
        }
        Some(n) => n,
    };
    let ok = name.len() <= 16
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let lower = name.to_ascii_lowercase();
    let reserved = [
        "rdsadmin",
        "firedrill_admin",
        "public",
        "all",
        "user",
        "select",
        "table",
    ];
    if !ok {
        return Err(RdsError::InvalidParameterValue(
            "The parameter MasterUsername is not a valid identifier: it must be 1 to 16 letters, numbers, or underscores, and its first character must be a letter.".to_owned(),
        ));
    }
    if reserved.contains(&lower.as_str()) || lower.starts_with("pg_") {
        return Err(RdsError::InvalidParameterValue(format!(
            "MasterUsername {name} cannot be used as it is a reserved word used by the engine"
        )));
    }
    Ok(lower)
}

/// `MasterUserPassword` for PostgreSQL: 8 to 128 printable ASCII characters
/// other than `/`, `"`, `@` and space.
pub fn password(password: Option<&str>) -> Result<String, RdsError> {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(RdsError::InvalidParameterValue(
            "The parameter MasterUserPassword must be provided and must not be blank.".to_owned(),
        ));
    };
    if password
        .chars()
        .any(|c| !c.is_ascii_graphic() || c == '/' || c == '@' || c == '"')
    {
        return Err(RdsError::InvalidParameterValue(
            "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.".to_owned(),
        ));
    }
    if password.len() < 8 || password.len() > 128 {
        return Err(RdsError::InvalidParameterValue(
            "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters or longer than 128.".to_owned(),
        ));
    }
    Ok(password.to_owned())
}

/// `DBName` for PostgreSQL: 1 to 63 letters, digits or underscores, a letter
/// first, not a reserved database name.
pub fn db_name(name: &str) -> Result<String, RdsError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok || ["template0", "template1", "rdsadmin"].contains(&name.to_ascii_lowercase().as_str()) {
        return Err(RdsError::InvalidParameterValue(
            "The parameter DBName is not a valid identifier: it must begin with a letter, contain 1 to 63 letters, digits or underscores, and not be a word reserved by the engine.".to_owned(),
        ));
    }
    Ok(name.to_owned())
}

/// `Engine` of CreateDBInstance: `postgres`, `mysql` or `mariadb`, or an
/// Aurora engine (`aurora-postgresql`, `aurora-mysql`) inside a cluster.
/// Another engine AWS has is refused as one firedrill does not run;
/// anything else is no engine (AWS's message).
pub fn instance_engine(engine: &str, in_cluster: bool) -> Result<&'static str, RdsError> {
    let known = catalog::ENGINES.iter().find(|e| **e == engine).copied();
    match known {
        Some(e) if catalog::is_aurora(e) == in_cluster => Ok(e),
        Some(e) if catalog::is_aurora(e) => Err(RdsError::InvalidParameterValue(format!(
            "DBClusterIdentifier is required to create an Aurora DB instance (engine {e})."
        ))),
        Some(e) => Err(RdsError::InvalidParameterCombination(format!(
            "The engine {e} cannot be a member of a DB cluster: use an Aurora engine."
        ))),
        None if catalog::AWS_ENGINES.contains(&engine) => Err(RdsError::InvalidParameterValue(format!(
            "Invalid DB engine: {engine}. firedrill runs RDS instances on PostgreSQL (postgres, aurora-postgresql) and MariaDB (mysql, mariadb, aurora-mysql) only."
        ))),
        None => Err(RdsError::InvalidParameterValue(format!(
            "Invalid DB engine: {engine}"
        ))),
    }
}

/// `EngineVersion` of `engine`: one that RDS offers, or a major alone.
/// AWS's message for an unknown one.
pub fn engine_version(engine: &str, requested: Option<&str>) -> Result<EngineVersion, RdsError> {
    catalog::resolve_version(engine, requested).ok_or_else(|| {
        RdsError::InvalidParameterCombination(format!(
            "Cannot find version {} for {engine}",
            requested.unwrap_or_default()
        ))
    })
}

/// `DBInstanceClass`: one orderable for the engine. AWS's message.
pub fn instance_class(class: &str, version: &EngineVersion) -> Result<(), RdsError> {
    if !catalog::class_orderable(version.engine, class) {
        return Err(RdsError::InvalidParameterCombination(format!(
            "RDS does not support creating a DB instance with the following combination: DBInstanceClass={class}, Engine={}, EngineVersion={}, LicenseModel={}. For supported combinations of instance class and database engine version, see the documentation.",
            version.engine,
            version.version,
            catalog::license(version.engine)
        )));
    }
    Ok(())
}

/// `Port` / `DBPortNumber`: 1150 to 65535.
pub fn port(param: &str, port: Option<i32>) -> Result<(), RdsError> {
    if let Some(p) = port
        && !(1150..=65535).contains(&p)
    {
        return Err(RdsError::InvalidParameterValue(format!(
            "Invalid value {p} for parameter {param}: the port must be a value from 1150 to 65535."
        )));
    }
    Ok(())
}

/// The storage of an RDS for PostgreSQL instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    pub storage_type: String,
    pub allocated: i32,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    /// `StorageEncrypted`.
    pub encrypted: bool,
    /// `KmsKeyId`: the customer managed key the storage is encrypted with
    /// (its ARN once KMS has resolved it); `None` for the AWS managed
    /// `aws/rds` or no encryption.
    pub kms_key_id: Option<String>,
}

impl Default for Storage {
    /// What CreateDBInstance gives when nothing is asked: gp3, 20 GiB.
    fn default() -> Self {
        Self {
            storage_type: "gp3".to_owned(),
            allocated: 20,
            iops: None,
            throughput: None,
            encrypted: false,
            kms_key_id: None,
        }
    }
}

/// The storage values a request may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageRequest {
    pub storage_type: Option<String>,
    pub allocated: Option<i32>,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    /// `StorageEncrypted`.
    pub encrypted: Option<bool>,
    /// `KmsKeyId`.
    pub kms_key_id: Option<String>,
}

impl StorageRequest {
    /// Whether the request names any storage value.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Values that CreateDBInstance, the restores and ModifyDBInstance share,
/// each optional (validated by [`settings`] before anything changes).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub class: Option<String>,
    pub port: Option<i32>,
    pub storage: StorageRequest,
    pub availability_zone: Option<String>,
    pub parameter_group: Option<String>,
    pub option_group: Option<String>,
    pub subnet_group: Option<String>,
    pub monitoring_interval: Option<i32>,
    pub promotion_tier: Option<i32>,
    pub license_model: Option<String>,
    pub network_type: Option<String>,
}

/// [`Settings`] once checked against an engine version.
#[derive(Debug, Clone)]
pub struct Checked {
    pub class: Option<String>,
    pub storage: Storage,
    pub availability_zone: Option<String>,
}

/// Checks `s` for an instance of `version` in `region` whose storage would
/// otherwise be `base`.
pub fn settings(
    region: &str,
    s: &Settings,
    version: &EngineVersion,
    base: &Storage,
) -> Result<Checked, RdsError> {
    if let Some(c) = &s.class {
        instance_class(c, version)?;
    }
    port("Port", s.port)?;
    let storage = if catalog::is_aurora(version.engine) {
        no_instance_storage(&s.storage)?;
        base.clone()
    } else {
        storage(&s.storage, base)?
    };
    let availability_zone = availability_zone(region, s.availability_zone.as_deref())?;
    monitoring_interval(s.monitoring_interval)?;
    promotion_tier(s.promotion_tier)?;
    license_model(version.engine, s.license_model.as_deref())?;
    one_of("NetworkType", s.network_type.as_deref(), &["IPV4", "DUAL"])?;
    Ok(Checked {
        class: s.class.clone(),
        storage,
        availability_zone,
    })
}

/// The storage an instance gets from `req` over `base` (the defaults, a
/// snapshot's storage, or the instance's current storage), checked against
/// the API reference's rules for PostgreSQL: the type is one of
/// gp2|gp3|io1|io2|standard, the size within that type's range (AWS's
/// message), io1/io2 need Iops (AWS's message) at 0.5 to 50 per GiB, and
/// only gp3 takes a throughput.
pub fn storage(req: &StorageRequest, base: &Storage) -> Result<Storage, RdsError> {
    let storage_type = match req.storage_type.as_deref() {
        Some(t) if !catalog::STORAGE_TYPES.contains(&t) => {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid storage type: {t}"
            )));
        }
        Some(t) => t.to_owned(),
        None if req.iops.is_some() && base.iops.is_none() => "io1".to_owned(),
        None => base.storage_type.clone(),
    };
    let allocated = req.allocated.unwrap_or(base.allocated);
    let (min, max) = catalog::storage_range(&storage_type);
    if !(min..=max).contains(&allocated) {
        return Err(RdsError::InvalidParameterCombination(format!(
            "Invalid storage size for engine name postgres and storage type {storage_type}: {allocated}"
        )));
    }
    let provisioned = matches!(storage_type.as_str(), "io1" | "io2");
    let iops = match (req.iops, provisioned || storage_type == "gp3") {
        (Some(_), false) => {
            return Err(RdsError::InvalidParameterCombination(format!(
                "You can't specify IOPS for storage type {storage_type}."
            )));
        }
        (Some(i), true) => Some(i),
        (None, _) if storage_type == base.storage_type => base.iops,
        (None, _) => None,
    };
    if provisioned {
        let Some(i) = iops else {
            return Err(RdsError::InvalidParameterCombination(format!(
                "The storage type {storage_type} requires iops to be specified."
            )));
        };
        let ratio_ok = i64::from(i) * 2 >= i64::from(allocated) && i64::from(i) <= 50 * i64::from(allocated);
        if !(1000..=256_000).contains(&i) || !ratio_ok {
            return Err(RdsError::InvalidParameterCombination(format!(
                "Invalid iops to storage (GiB) ratio for engine name postgres and storage type {storage_type}: {i} IOPS for {allocated} GiB; IOPS must be from 1000 to 256000 and 0.5 to 50 times the storage."
            )));
        }
    }
    if storage_type == "gp3" && allocated < 400 && (req.iops.is_some() || req.throughput.is_some()) {
        return Err(RdsError::InvalidParameterCombination(
            "You can't specify IOPS or storage throughput for engine postgres and a storage size less than 400.".to_owned(),
        ));
    }
    let throughput = match req.throughput {
        Some(_) if storage_type != "gp3" => {
            return Err(RdsError::InvalidParameterCombination(format!(
                "You can't specify StorageThroughput for storage type {storage_type}: it applies only to gp3."
            )));
        }
        Some(t) => Some(t),
        None if storage_type == "gp3" => base.throughput,
        None => None,
    };
    if let Some(t) = throughput
        && !(125..=16_000).contains(&t)
    {
        return Err(RdsError::InvalidParameterValue(format!(
            "Invalid value {t} for parameter StorageThroughput: it must be from 125 to 16000 MiBps."
        )));
    }
    if req.encrypted == Some(false) && req.kms_key_id.is_some() {
        return Err(RdsError::InvalidParameterCombination(
            "Cannot specify KmsKeyId when StorageEncrypted is false.".to_owned(),
        ));
    }
    let kms_key_id = req
        .kms_key_id
        .clone()
        .filter(|k| !aws_managed_key(k))
        .or_else(|| base.kms_key_id.clone());
    Ok(Storage {
        storage_type,
        allocated,
        iops,
        throughput,
        encrypted: req.encrypted.unwrap_or(base.encrypted) || req.kms_key_id.is_some(),
        kms_key_id,
    })
}

/// Whether a `KmsKeyId` names RDS's AWS managed key (`alias/aws/rds`),
/// which KMS does not hold for the customer.
pub fn aws_managed_key(key: &str) -> bool {
    key.starts_with("alias/aws/") || key.contains(":alias/aws/")
}

/// Storage parameters on an Aurora instance: storage belongs to the cluster
/// (AWS answers `StorageTypeNotSupported` for a storage type there).
pub fn no_instance_storage(req: &StorageRequest) -> Result<(), RdsError> {
    if let Some(t) = &req.storage_type {
        return Err(RdsError::StorageTypeNotSupported(format!(
            "Invalid storage type: {t}"
        )));
    }
    if req.allocated.is_some() || req.iops.is_some() || req.throughput.is_some() {
        return Err(RdsError::InvalidParameterCombination(
            "The requested DB instance will be a member of a DB cluster. You don't need to set storage size, IOPS or throughput.".to_owned(),
        ));
    }
    Ok(())
}

/// `AvailabilityZone`: one of the region's zones (`us-east-1a` … `f`).
/// AWS's message.
pub fn availability_zone(region: &str, az: Option<&str>) -> Result<Option<String>, RdsError> {
    let Some(az) = az else { return Ok(None) };
    let ok = az
        .strip_prefix(region)
        .is_some_and(|s| s.len() == 1 && ('a'..='f').contains(&s.chars().next().unwrap_or(' ')));
    if !ok {
        return Err(RdsError::InvalidParameterValue(format!(
            "{az} is not a valid availability zone."
        )));
    }
    Ok(Some(az.to_owned()))
}

/// `MonitoringInterval`: 0, 1, 5, 10, 15, 30 or 60.
pub fn monitoring_interval(value: Option<i32>) -> Result<(), RdsError> {
    if let Some(v) = value
        && ![0, 1, 5, 10, 15, 30, 60].contains(&v)
    {
        return Err(RdsError::InvalidParameterValue(format!(
            "Invalid value {v} for MonitoringInterval. Valid values are 0, 1, 5, 10, 15, 30 and 60."
        )));
    }
    Ok(())
}

/// `PromotionTier`: 0 to 15.
pub fn promotion_tier(value: Option<i32>) -> Result<(), RdsError> {
    if let Some(v) = value
        && !(0..=15).contains(&v)
    {
        return Err(RdsError::InvalidParameterValue(format!(
            "Invalid value {v} for PromotionTier: it must be from 0 to 15."
        )));
    }
    Ok(())
}

/// `LicenseModel`: each engine firedrill runs has one
/// (`postgresql-license`, `general-public-license`).
pub fn license_model(engine: &str, value: Option<&str>) -> Result<(), RdsError> {
    let only = catalog::license(engine);
    if let Some(v) = value
        && v != only
    {
        return Err(RdsError::InvalidParameterCombination(format!(
            "Invalid license model {v} for engine {engine}: the only license model is {only}."
        )));
    }
    Ok(())
}

/// A string value out of a closed set (`NetworkType`, `BackupTarget`, …).
pub fn one_of(param: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), RdsError> {
    if let Some(v) = value
        && !allowed.contains(&v)
    {
        return Err(RdsError::InvalidParameterValue(format!(
            "Invalid value {v} for parameter {param}. Valid values: {}.",
            allowed.join(", ")
        )));
    }
    Ok(())
}

/// One tag: a key of 1 to 128 and a value of up to 256 Unicode letters,
/// digits, white space, `_ . : / = + - @`, the key not starting with
/// `aws:` (the pattern of RDS's tagging rules).
pub fn tag(key: &str, value: &str) -> Result<(), RdsError> {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    if key.is_empty()
        || key.chars().count() > 128
        || key.starts_with("aws:")
        || key.starts_with("rds:")
        || !key.chars().all(allowed)
    {
        return Err(RdsError::InvalidParameterValue(
            "Invalid tag key: keys are 1 to 128 Unicode letters, digits, white space or _ . : / = + - @ and must not start with aws: or rds:.".to_owned(),
        ));
    }
    if value.chars().count() > 256 || !value.chars().all(allowed) {
        return Err(RdsError::InvalidParameterValue(
            "Invalid tag value: values are at most 256 Unicode letters, digits, white space or _ . : / = + - @.".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert!(backup_window("03:00-03:30").is_ok());
        assert!(backup_window("23:45-00:15").is_ok());
        assert!(backup_window("03:00-03:10").is_err());
        assert!(backup_window("3am").is_err());
        assert!(backup_window("+3:00-04:00").is_err());
        assert_eq!(
            maintenance_window("Sun:05:00-Sun:05:30").unwrap(),
            "sun:05:00-sun:05:30"
        );
        assert!(maintenance_window("sun:05:00-sun:05:10").is_err());
        assert!(maintenance_window("mon:05:00-wed:05:00").is_err());
        assert!(windows_disjoint("03:00-03:30", "sun:05:00-sun:05:30").is_ok());
        assert!(windows_disjoint("05:15-05:45", "sun:05:00-sun:05:30").is_err());
        assert!(windows_disjoint("04:45-05:15", "sun:05:00-sun:05:30").is_err());
        // Across midnight and across the week's end.
        assert!(windows_disjoint("23:50-00:20", "mon:00:00-mon:00:30").is_err());
        assert!(windows_disjoint("00:10-00:40", "sun:23:50-mon:00:20").is_err());
        assert!(windows_disjoint("01:00-01:30", "sun:23:50-mon:00:20").is_ok());
    }

    #[test]
    fn storage_rules() {
        let d = Storage::default();
        let s = storage(&StorageRequest::default(), &d).unwrap();
        assert_eq!(s, d);
        // A key asked for encrypts; without one the base's key is kept;
        // RDS's own `alias/aws/rds` is no customer key.
        let keyed = StorageRequest {
            kms_key_id: Some("alias/orders".into()),
            ..StorageRequest::default()
        };
        let s = storage(&keyed, &d).unwrap();
        assert!(s.encrypted && s.kms_key_id.as_deref() == Some("alias/orders"));
        assert_eq!(storage(&StorageRequest::default(), &s).unwrap(), s);
        let managed = StorageRequest {
            kms_key_id: Some("alias/aws/rds".into()),
            ..StorageRequest::default()
        };
        let s = storage(&managed, &d).unwrap();
        assert!(s.encrypted && s.kms_key_id.is_none());
        let contradictory = StorageRequest {
            encrypted: Some(false),
            ..keyed
        };
        assert_eq!(
            storage(&contradictory, &d).unwrap_err().code(),
            "InvalidParameterCombination"
        );
        let req = |t: Option<&str>, a: Option<i32>, i: Option<i32>| StorageRequest {
            storage_type: t.map(str::to_owned),
            allocated: a,
            iops: i,
            throughput: None,
            ..StorageRequest::default()
        };
        assert_eq!(
            storage(&req(Some("floppy"), None, None), &d).unwrap_err().code(),
            "InvalidParameterValue"
        );
        assert_eq!(
            storage(&req(Some("gp2"), Some(10), None), &d)
                .unwrap_err()
                .to_string(),
            "Invalid storage size for engine name postgres and storage type gp2: 10"
        );
        assert!(storage(&req(Some("standard"), Some(10), None), &d).is_ok());
        assert_eq!(
            storage(&req(Some("io1"), Some(100), None), &d)
                .unwrap_err()
                .to_string(),
            "The storage type io1 requires iops to be specified."
        );
        assert!(storage(&req(Some("io1"), Some(100), Some(1000)), &d).is_ok());
        assert!(storage(&req(Some("io2"), Some(100), Some(50_000)), &d).is_err());
        assert!(storage(&req(Some("gp2"), None, Some(3000)), &d).is_err());
        let io = storage(&req(None, Some(200), Some(3000)), &d).unwrap();
        assert_eq!(io.storage_type, "io1");
    }

    #[test]
    fn names_and_values() {
        assert_eq!(master_username(Some("Shop")).unwrap(), "shop");
        assert!(master_username(Some("a_very_long_username")).is_err());
        assert!(master_username(Some("rdsadmin")).is_err());
        assert!(master_username(None).is_err());
        assert!(password(Some("short")).is_err());
        assert!(password(Some("has space in it")).is_err());
        assert!(password(Some("good-password")).is_ok());
        assert!(port("Port", Some(70000)).is_err());
        assert!(port("Port", Some(1149)).is_err());
        assert!(port("Port", Some(5432)).is_ok());
        assert!(availability_zone("us-east-1", Some("us-east-1a")).is_ok());
        assert!(availability_zone("us-east-1", Some("us-east-1")).is_err());
        assert!(availability_zone("us-east-1", Some("eu-west-1a")).is_err());
        assert!(tag("team", "shop").is_ok());
        assert!(tag("team", "a\0b").is_err());
        assert!(tag("aws:x", "y").is_err());
        assert_eq!(
            instance_engine("nosuch", false).unwrap_err().to_string(),
            "Invalid DB engine: nosuch"
        );
        let v = engine_version("postgres", None).unwrap();
        assert!(instance_class("db.t3.micro", &v).is_ok());
        assert_eq!(
            instance_class("db.huge", &v).unwrap_err().code(),
            "InvalidParameterCombination"
        );
        assert_eq!(
            engine_version("postgres", Some("9.9")).unwrap_err().to_string(),
            "Cannot find version 9.9 for postgres"
        );
    }
}
