//! Every value an ElastiCache request carries, checked against the API
//! reference's rules before anything is created or changed: identifiers,
//! engines and versions, node types, snapshot windows and retention limits,
//! maintenance windows, tags and page sizes. A refused request starts no
//! server and leaves no record.

use crate::catalog;
use crate::errors::ElastiCacheError;

/// The largest `SnapshotRetentionLimit` ElastiCache accepts (days).
pub const MAX_RETENTION_DAYS: i32 = 35;

/// The most tags one resource may carry.
pub const MAX_TAGS: usize = 50;

fn invalid(message: String) -> ElastiCacheError {
    ElastiCacheError::InvalidParameterValue(message)
}

/// An identifier as ElastiCache shapes it: 1 to `max` ASCII letters,
/// digits and hyphens, beginning with a letter, without a trailing hyphen
/// or two consecutive hyphens. ElastiCache stores identifiers in lowercase.
fn identifier(parameter: &str, value: &str, max: usize) -> Result<String, ElastiCacheError> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.ends_with('-')
        && !value.contains("--");
    if !ok {
        return Err(invalid(format!(
            "The parameter {parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; must be at most {max} characters; and must not end with a hyphen or contain two consecutive hyphens."
        )));
    }
    Ok(value.to_ascii_lowercase())
}

/// A `CacheClusterId` (at most 50 characters), lowercased.
pub fn cluster_id(value: &str) -> Result<String, ElastiCacheError> {
    identifier("CacheClusterIdentifier", value, 50)
}

/// A `ReplicationGroupId` (at most 40 characters), lowercased.
pub fn replication_group_id(value: &str) -> Result<String, ElastiCacheError> {
    identifier("ReplicationGroupId", value, 40)
}

/// A snapshot name: 1 to 255 printable characters. `automatic` names are
/// ElastiCache's own (automatic snapshots) unless `allow_automatic`.
pub fn snapshot_name(parameter: &str, value: &str, allow_automatic: bool) -> Result<(), ElastiCacheError> {
    if value.is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "The parameter {parameter} must be 1 to 255 printable characters."
        )));
    }
    if !allow_automatic && value.to_ascii_lowercase().starts_with("automatic") {
        return Err(invalid(format!(
            "The parameter {parameter} must not begin with \"automatic\": such names are reserved for automatic snapshots."
        )));
    }
    Ok(())
}

/// The engine, lowercased: `redis` or `valkey` (both served by
/// `redis-server`); `memcached` is refused, firedrill has no Memcached.
pub fn engine(value: Option<&str>) -> Result<String, ElastiCacheError> {
    let engine = value.unwrap_or("redis").to_ascii_lowercase();
    match engine.as_str() {
        "redis" | "valkey" => Ok(engine),
        "memcached" => Err(invalid(
            "Engine memcached is not served by firedrill: it emulates ElastiCache for Redis OSS and Valkey only.".to_owned(),
        )),
        _ => Err(invalid(format!(
            "Invalid value for parameter Engine: {engine}. Valid values are redis, valkey and memcached."
        ))),
    }
}

/// The engine version for `engine`: the given one if the catalog has it,
/// else the engine's default.
pub fn engine_version(engine: &str, value: Option<&str>) -> Result<String, ElastiCacheError> {
    match value {
        None => Ok(catalog::default_version(engine).to_owned()),
        Some(v) => catalog::find(engine, v)
            .map(|e| e.version.to_owned())
            .ok_or_else(|| invalid(format!("Cannot find version {v} for {engine}."))),
    }
}

/// A node type: `cache.<family>.<size>`.
pub fn node_type(value: Option<&str>) -> Result<String, ElastiCacheError> {
    let v = value.unwrap_or("cache.t3.micro");
    let parts: Vec<&str> = v.split('.').collect();
    let ok = match parts.as_slice() {
        ["cache", rest @ ..] if rest.len() == 2 => rest
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
        _ => false,
    };
    if !ok {
        return Err(invalid(format!(
            "Invalid CacheNodeType: {v}. Node types have the form cache.<family>.<size>, for example cache.t3.micro."
        )));
    }
    Ok(v.to_owned())
}

/// A `SnapshotRetentionLimit`: 0 (automatic snapshots off) to 35 days.
pub fn retention(value: Option<i32>) -> Result<Option<i32>, ElastiCacheError> {
    match value {
        Some(v) if !(0..=MAX_RETENTION_DAYS).contains(&v) => Err(invalid(format!(
            "Invalid value {v} for parameter SnapshotRetentionLimit: it must be between 0 and {MAX_RETENTION_DAYS}."
        ))),
        other => Ok(other),
    }
}

fn hh_mm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A `SnapshotWindow` (`hh24:mi-hh24:mi`, UTC, at least 60 minutes):
/// the start and the length, in minutes.
pub fn snapshot_window(value: &str) -> Result<(u32, u32), ElastiCacheError> {
    let parsed = value
        .split_once('-')
        .and_then(|(a, b)| Some((hh_mm(a)?, hh_mm(b)?)));
    let Some((start, end)) = parsed else {
        return Err(invalid(format!(
            "Invalid snapshot window {value}: the format is hh24:mi-hh24:mi (UTC), for example 05:00-06:00."
        )));
    };
    let length = (end + 24 * 60 - start) % (24 * 60);
    if length < 60 {
        return Err(invalid(format!(
            "Invalid snapshot window {value}: the minimum snapshot window is 60 minutes."
        )));
    }
    Ok((start, length))
}

/// A `PreferredMaintenanceWindow` (`ddd:hh24:mi-ddd:hh24:mi`, UTC).
pub fn maintenance_window(value: &str) -> Result<String, ElastiCacheError> {
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let lower = value.to_ascii_lowercase();
    let part = |p: &str| {
        let (day, time) = p.split_once(':')?;
        DAYS.contains(&day).then_some(())?;
        hh_mm(time)
    };
    match lower.split_once('-') {
        Some((a, b)) if part(a).is_some() && part(b).is_some() => Ok(lower),
        _ => Err(invalid(format!(
            "Invalid maintenance window {value}: the format is ddd:hh24:mi-ddd:hh24:mi (UTC), for example sun:05:00-sun:06:00."
        ))),
    }
}

/// One tag: a key of 1 to 128 characters not in the `aws:` namespace, a
/// value of at most 256.
pub fn tag(key: &str, value: &str) -> Result<(), ElastiCacheError> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(invalid("Tag keys must be 1 to 128 characters long.".to_owned()));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(invalid(format!(
            "Tag key {key} is invalid: the aws: prefix is reserved for AWS's own tags."
        )));
    }
    if value.chars().count() > 256 {
        return Err(invalid(format!(
            "The value of tag {key} is longer than 256 characters."
        )));
    }
    Ok(())
}

/// `MaxRecords`: 20 to 100, 100 when absent.
pub fn max_records(value: Option<i32>) -> Result<usize, ElastiCacheError> {
    match value {
        None => Ok(100),
        Some(v @ 20..=100) => Ok(v as usize),
        Some(v) => Err(invalid(format!(
            "Invalid value {v} for parameter MaxRecords: it must be between 20 and 100."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_the_api_reference() {
        assert_eq!(cluster_id("Sessions-1").unwrap(), "sessions-1");
        for bad in ["", "1abc", "a--b", "abc-", "a_b", &"a".repeat(51)] {
            assert!(cluster_id(bad).is_err(), "{bad:?}");
        }
        assert!(replication_group_id(&"a".repeat(40)).is_ok());
        assert!(replication_group_id(&"a".repeat(41)).is_err());
    }

    #[test]
    fn windows_are_checked() {
        assert_eq!(snapshot_window("05:00-06:00").unwrap(), (300, 60));
        assert_eq!(snapshot_window("23:30-00:30").unwrap(), (1410, 60));
        for bad in ["05:00-05:30", "5:00-6:00", "25:00-26:00", "05:00"] {
            assert!(snapshot_window(bad).is_err(), "{bad}");
        }
        assert!(maintenance_window("Sun:05:00-sun:06:00").is_ok());
        assert!(maintenance_window("sunday:05:00-sun:06:00").is_err());
    }

    #[test]
    fn engines_and_retention() {
        assert_eq!(engine(None).unwrap(), "redis");
        assert_eq!(engine(Some("Valkey")).unwrap(), "valkey");
        assert!(engine(Some("memcached")).is_err());
        assert!(retention(Some(36)).is_err());
        assert!(retention(Some(-1)).is_err());
        assert_eq!(retention(Some(35)).unwrap(), Some(35));
        assert!(node_type(Some("cache.t3.micro")).is_ok());
        assert!(node_type(Some("db.t3.micro")).is_err());
        assert!(max_records(Some(19)).is_err());
    }
}
