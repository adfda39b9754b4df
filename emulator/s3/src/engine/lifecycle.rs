//! Lifecycle rules applied as the emulator clock passes.
//!
//! As on AWS, an action that is due N days after an instant becomes due at
//! the first UTC midnight at or after that instant plus N days; so actions
//! only ever fall due at midnight, and rules are evaluated once per UTC day
//! for each bucket (and right after its configuration changes), which keeps
//! ticks cheap however many objects a bucket holds.
//!
//! Lifecycle actions are never replicated and never remove a version that
//! Object Lock protects.

use super::model::{Bucket, LifecycleRule, NULL_VERSION, ObjectData, Version, Versioning};
use super::time::{NEVER, after_days};
use super::{State, check_deletable, new_version_id};
use chrono::{DateTime, NaiveTime, Utc};

/// The first UTC midnight at or after `t` ([`NEVER`] past chrono's range).
pub fn ceil_midnight(t: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = t.date_naive().and_time(NaiveTime::MIN).and_utc();
    if midnight == t {
        t
    } else {
        after_days(midnight, 1).unwrap_or(NEVER)
    }
}

/// When an action `days` after `t` falls due: [`NEVER`] for a number of
/// days past chrono's range, so a huge `Days` never panics the tick.
fn due(t: DateTime<Utc>, days: i32) -> DateTime<Utc> {
    after_days(t, i64::from(days)).map_or(NEVER, ceil_midnight)
}

/// How cold a storage class is; transitions only ever go colder.
pub fn coldness(class: &str) -> u8 {
    match class {
        "INTELLIGENT_TIERING" => 1,
        "STANDARD_IA" => 2,
        "ONEZONE_IA" => 3,
        "GLACIER_IR" => 4,
        "GLACIER" => 5,
        "DEEP_ARCHIVE" => 6,
        _ => 0,
    }
}

/// Applies every bucket's lifecycle rules that are due at `now`.
pub(super) fn run(st: &mut State, now: DateTime<Utc>) {
    let today = now.date_naive();
    let State { buckets, uploads, .. } = st;
    for b in buckets.values_mut() {
        let Some(rules) = b.lifecycle.clone() else {
            continue;
        };
        if b.lifecycle_applied_on == Some(today) {
            continue;
        }
        b.lifecycle_applied_on = Some(today);
        for rule in rules.iter().filter(|r| r.enabled) {
            apply_rule(b, rule, now);
            if let Some(days) = rule.abort_incomplete_multipart_days {
                let prefix = rule.filter.prefix.clone().unwrap_or_default();
                uploads.retain(|_, u| {
                    !(u.bucket == b.name && u.key.starts_with(&prefix) && due(u.initiated, days) <= now)
                });
            }
        }
    }
}

fn apply_rule(b: &mut Bucket, rule: &LifecycleRule, now: DateTime<Utc>) {
    let prefix = rule.filter.prefix.clone().unwrap_or_default();
    let keys: Vec<String> = b
        .objects
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    let versioning = b.versioning;
    for key in keys {
        let Some(versions) = b.objects.get_mut(&key) else {
            continue;
        };
        apply_to_key(&key, versions, rule, versioning, now);
        if versions.is_empty() {
            b.objects.remove(&key);
        }
    }
}

fn matches(rule: &LifecycleRule, key: &str, object: Option<&ObjectData>) -> bool {
    rule.filter.matches(key, object)
}

fn apply_to_key(
    key: &str,
    versions: &mut Vec<Version>,
    rule: &LifecycleRule,
    versioning: Versioning,
    now: DateTime<Utc>,
) {
    // Noncurrent versions first, so that a version made noncurrent by an
    // expiration below waits its own NoncurrentDays.
    let len = versions.len();
    if len > 1 {
        let mut remove = Vec::new();
        // Each noncurrent version became noncurrent when its successor was
        // written; the zip stops before the current (last) version.
        let successors: Vec<DateTime<Utc>> = versions.iter().skip(1).map(|v| v.last_modified).collect();
        for (i, (v, since)) in versions.iter_mut().zip(successors).enumerate() {
            let newer_noncurrent = i32::try_from(len.saturating_sub(2).saturating_sub(i)).unwrap_or(i32::MAX);
            if !matches(rule, key, v.object.as_ref()) {
                continue;
            }
            if let Some(exp) = &rule.noncurrent_expiration
                && due(since, exp.days) <= now
                && exp
                    .newer_noncurrent_versions
                    .is_none_or(|n| newer_noncurrent >= n)
                && check_deletable(v, now, false).is_ok()
            {
                remove.push(i);
                continue;
            }
            if let Some(o) = v.object.as_mut() {
                for t in &rule.noncurrent_transitions {
                    if due(since, t.days) <= now
                        && t.newer_noncurrent_versions.is_none_or(|n| newer_noncurrent >= n)
                        && coldness(&t.storage_class) > coldness(&o.storage_class)
                    {
                        o.storage_class = t.storage_class.clone();
                    }
                }
            }
        }
        for i in remove.into_iter().rev() {
            versions.remove(i);
        }
    }
    let Some(current) = versions.last_mut() else {
        return;
    };
    // An expired object delete marker: the only version left is a marker.
    if current.object.is_none() {
        if versions.len() == 1
            && rule
                .expiration
                .as_ref()
                .is_some_and(|e| e.expired_object_delete_marker == Some(true))
            && matches(rule, key, None)
        {
            versions.clear();
        }
        return;
    }
    let created = current.last_modified;
    if !matches(rule, key, current.object.as_ref()) {
        return;
    }
    if let Some(exp) = &rule.expiration {
        let expired = exp.days.is_some_and(|d| due(created, d) <= now) || exp.date.is_some_and(|d| d <= now);
        if expired {
            match versioning {
                Versioning::Unversioned => {
                    if check_deletable(current, now, false).is_ok() {
                        versions.clear();
                    }
                }
                Versioning::Enabled => versions.push(marker(new_version_id(), now)),
                Versioning::Suspended => {
                    if let Some(i) = versions.iter().position(|v| v.id == NULL_VERSION)
                        && versions
                            .get(i)
                            .is_some_and(|v| check_deletable(v, now, false).is_ok())
                    {
                        versions.remove(i);
                    }
                    versions.push(marker(NULL_VERSION.to_owned(), now));
                }
            }
            return;
        }
    }
    if let Some(o) = current.object.as_mut() {
        for t in &rule.transitions {
            let is_due = t.days.is_some_and(|d| due(created, d) <= now) || t.date.is_some_and(|d| d <= now);
            if is_due && coldness(&t.storage_class) > coldness(&o.storage_class) {
                o.storage_class = t.storage_class.clone();
            }
        }
    }
}

fn marker(id: String, now: DateTime<Utc>) -> Version {
    Version {
        id,
        last_modified: now,
        object: None,
        replica_marker: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_round_up_to_midnight() {
        let t: DateTime<Utc> = "2026-01-15T10:30:00Z".parse().unwrap();
        assert_eq!(
            due(t, 3),
            "2026-01-19T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let m: DateTime<Utc> = "2026-01-15T00:00:00Z".parse().unwrap();
        assert_eq!(due(m, 0), m);
        assert_eq!(
            due(t, i32::MAX),
            NEVER,
            "a huge Days is never due, and does not panic"
        );
        assert!(coldness("GLACIER_IR") > coldness("STANDARD_IA"));
        assert!(coldness("DEEP_ARCHIVE") > coldness("GLACIER"));
    }
}
