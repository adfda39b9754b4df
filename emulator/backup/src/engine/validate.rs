//! Validation of the values the model constrains, shared by the engine's
//! operations: lifecycles, windows, tags, backup options, advanced settings,
//! names and vault ARNs. Each answers AWS's `InvalidParameterValueException`.

use super::*;

/// The model's backup vault name pattern, `^[a-zA-Z0-9\-\_]{2,50}$`.
pub(crate) fn vault_name_valid(name: &str) -> bool {
    (2..=50).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn rule_like_name_valid(name: &str) -> bool {
    (1..=50).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// Validates a lifecycle as AWS does: each number of days from 1 to 36,500
/// (100 years), and a recovery point that goes to cold storage stays there
/// at least 90 days.
pub fn validate_lifecycle(lifecycle: &Lifecycle) -> BackupResult<()> {
    for (name, days) in [
        (
            "MoveToColdStorageAfterDays",
            lifecycle.move_to_cold_storage_after_days,
        ),
        ("DeleteAfterDays", lifecycle.delete_after_days),
    ] {
        if let Some(d) = days
            && !(1..=MAX_LIFECYCLE_DAYS).contains(&d)
        {
            return Err(BackupError::invalid(format!(
                "Invalid lifecycle. {name} cannot be less than 1 or more than {MAX_LIFECYCLE_DAYS} days"
            )));
        }
    }
    if let (Some(cold), Some(delete)) = (
        lifecycle.move_to_cold_storage_after_days,
        lifecycle.delete_after_days,
    ) && delete.saturating_sub(cold) < MIN_COLD_STORAGE_DAYS
    {
        return Err(BackupError::invalid(format!(
            "Invalid lifecycle. DeleteAfterDays ({delete}) cannot be less than 90 days apart from MoveToColdStorageAfterDays ({cold}): backups transitioned to cold storage must be stored there for a minimum of 90 days"
        )));
    }
    Ok(())
}

/// Validates tags as AWS does: at most 50, keys of 1 to 128 characters
/// that do not start with the reserved `aws:`, values of at most 256.
pub fn validate_tags(what: &str, tags: &BTreeMap<String, String>) -> BackupResult<()> {
    if tags.len() > MAX_TAGS {
        return Err(BackupError::invalid(format!(
            "{what} has {} tags; a resource can have at most {MAX_TAGS}",
            tags.len()
        )));
    }
    for (k, v) in tags {
        let key_len = k.chars().count();
        if !(1..=128).contains(&key_len) {
            return Err(BackupError::invalid(format!(
                "{what}: tag keys must be 1 to 128 characters, got {key_len}"
            )));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(BackupError::invalid(format!(
                "{what}: tag key {k:?} uses the reserved prefix aws:"
            )));
        }
        if v.chars().count() > 256 {
            return Err(BackupError::invalid(format!(
                "{what}: the value of tag {k:?} is longer than 256 characters"
            )));
        }
    }
    Ok(())
}

/// The most tags a resource can have.
const MAX_TAGS: usize = 50;

/// Validates `BackupOptions` as the model types them: option names and
/// values matching `^[a-zA-Z0-9\-\_\.]{1,50}$`.
pub fn validate_backup_options(options: &BTreeMap<String, String>) -> BackupResult<()> {
    match options
        .iter()
        .find(|(k, v)| !rule_like_name_valid(k) || !rule_like_name_valid(v))
    {
        Some((k, _)) => Err(BackupError::invalid(format!(
            "Invalid BackupOptions {k:?}: names and values must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
        ))),
        None => Ok(()),
    }
}

/// Validates `AdvancedBackupSettings` as the model types it: a list of
/// `{"ResourceType": <type>, "BackupOptions": {<name>: <value>}}`, the
/// type, names and values matching `^[a-zA-Z0-9\-\_\.]{1,50}$`.
pub fn validate_advanced_settings(settings: &serde_json::Value) -> BackupResult<()> {
    let bad = |why: &str| BackupError::invalid(format!("Invalid AdvancedBackupSettings: {why}"));
    let list = settings.as_array().ok_or_else(|| bad("it must be a list"))?;
    for setting in list {
        let setting = setting
            .as_object()
            .ok_or_else(|| bad("each setting must be an object"))?;
        if let Some(k) = setting
            .keys()
            .find(|k| !matches!(k.as_str(), "ResourceType" | "BackupOptions"))
        {
            return Err(bad(&format!("unknown member {k}")));
        }
        if let Some(t) = setting.get("ResourceType") {
            let t = t.as_str().ok_or_else(|| bad("ResourceType must be a string"))?;
            if !rule_like_name_valid(t) {
                return Err(bad(&format!(
                    "ResourceType {t:?} must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                )));
            }
        }
        if let Some(options) = setting.get("BackupOptions") {
            let options = options
                .as_object()
                .ok_or_else(|| bad("BackupOptions must map option names to values"))?;
            for (name, value) in options {
                let value = value.as_str().unwrap_or("");
                if !rule_like_name_valid(name) || !rule_like_name_valid(value) {
                    return Err(bad(&format!(
                        "BackupOptions {name:?}: names and values must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Validates a start or completion window as AWS does: at least `min`
/// minutes and at most 100 years (52,560,000 minutes).
pub fn validate_window(name: &str, minutes: i64, min: i64) -> BackupResult<()> {
    if minutes < min {
        return Err(BackupError::invalid(format!(
            "{name} must be at least {min} minutes, got {minutes}"
        )));
    }
    if minutes > MAX_WINDOW_MINUTES {
        return Err(BackupError::invalid(format!(
            "{name} has a maximum value of 100 years ({MAX_WINDOW_MINUTES} minutes), got {minutes}"
        )));
    }
    Ok(())
}

/// The region and name of a backup vault ARN.
pub fn parse_vault_arn(arn: &str) -> BackupResult<(String, String)> {
    let parsed = Arn::parse(arn).map_err(|_| BackupError::invalid(format!("Invalid ARN: {arn}")))?;
    let name = parsed
        .resource
        .strip_prefix("backup-vault:")
        .filter(|_| parsed.service == "backup" && !parsed.region.is_empty());
    match name {
        Some(name) => Ok((parsed.region, name.to_owned())),
        None => Err(BackupError::invalid(format!("{arn} is not a backup vault ARN"))),
    }
}
