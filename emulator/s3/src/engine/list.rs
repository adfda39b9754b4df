//! ListObjectsV2 and ListObjectVersions over the engine's ordered key map.
//!
//! Both walk the bucket's `BTreeMap` from the marker onwards and stop after
//! `max_keys` entries, so a page costs the same whether the bucket holds a
//! hundred versions or a hundred thousand. Keys that share a prefix up to
//! the delimiter roll up into one common prefix, which counts as one entry.

use super::model::{Bucket, ObjectData};
use super::{Engine, Result};
use crate::checksum::{Algorithm, ChecksumType};
use crate::error::S3EngineError;
use chrono::{DateTime, Utc};
use std::ops::Bound;

/// One object in a ListObjectsV2 page.
#[derive(Debug, Clone)]
pub struct ListedObject {
    /// The key.
    pub key: String,
    /// When the current version was written.
    pub last_modified: DateTime<Utc>,
    /// Its ETag without quotes.
    pub etag: String,
    /// Its size.
    pub size: u64,
    /// Its storage class.
    pub storage_class: String,
    /// Its checksum's algorithm and type.
    pub checksum: (Algorithm, ChecksumType),
}

/// A ListObjectsV2 page.
#[derive(Debug, Clone, Default)]
pub struct ListObjectsPage {
    /// The objects.
    pub objects: Vec<ListedObject>,
    /// The common prefixes.
    pub common_prefixes: Vec<String>,
    /// Whether more follow.
    pub is_truncated: bool,
    /// Where the next page starts (exclusive), when truncated.
    pub next_marker: Option<String>,
}

/// One entry of a ListObjectVersions page.
#[derive(Debug, Clone)]
pub struct ListedVersion {
    /// The key.
    pub key: String,
    /// The version id.
    pub version_id: String,
    /// Whether it is the current version.
    pub is_latest: bool,
    /// When it was written.
    pub last_modified: DateTime<Utc>,
    /// The object (ETag, size, storage class, checksum algorithm and
    /// type), or `None` for a delete marker.
    pub object: Option<(String, u64, String, (Algorithm, ChecksumType))>,
}

/// A ListObjectVersions page.
#[derive(Debug, Clone, Default)]
pub struct ListVersionsPage {
    /// Versions and delete markers, by key, newest first within a key.
    pub entries: Vec<ListedVersion>,
    /// The common prefixes.
    pub common_prefixes: Vec<String>,
    /// Whether more follow.
    pub is_truncated: bool,
    /// The next key marker, when truncated.
    pub next_key_marker: Option<String>,
    /// The next version-id marker, when truncated.
    pub next_version_id_marker: Option<String>,
}

/// The common prefix `key` rolls up into, if any.
fn rollup<'a>(key: &'a str, prefix: &str, delimiter: Option<&str>) -> Option<&'a str> {
    let d = delimiter.filter(|d| !d.is_empty())?;
    // Callers pass keys under `prefix`; a key that is not rolls up into nothing
    // rather than slicing off a char boundary.
    let rest = key.strip_prefix(prefix)?;
    let i = rest.find(d)?;
    key.get(..prefix.len().saturating_add(i).saturating_add(d.len()))
}

/// The smallest string greater than every string starting with `p`, when
/// there is one: keys in a rolled-up prefix are skipped by seeking there.
fn after_prefix(p: &str) -> Option<String> {
    let mut chars: Vec<char> = p.chars().collect();
    while let Some(c) = chars.pop() {
        // The successor of U+D7FF skips the surrogates.
        let next = if c == '\u{D7FF}' {
            Some('\u{E000}')
        } else {
            (c as u32).checked_add(1).and_then(char::from_u32)
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn check_max_keys(max_keys: Option<i32>) -> Result<usize> {
    match max_keys {
        Some(n) if n < 0 => Err(S3EngineError::InvalidArgument(
            "Argument maxKeys must be an integer between 0 and 2147483647".to_owned(),
        )),
        Some(n) => Ok(usize::try_from(n).unwrap_or(1000).min(1000)),
        None => Ok(1000),
    }
}

fn current_object(versions: &[super::model::Version]) -> Option<(&super::model::Version, &ObjectData)> {
    let v = versions.last()?;
    v.object.as_ref().map(|o| (v, o))
}

impl Engine {
    /// ListObjectsV2: current, non-deleted objects after `start_after`.
    pub fn list_objects(
        &self,
        bucket: &str,
        region: Option<&str>,
        prefix: &str,
        delimiter: Option<&str>,
        start_after: Option<&str>,
        max_keys: Option<i32>,
    ) -> Result<ListObjectsPage> {
        let max = check_max_keys(max_keys)?;
        let st = self.state.lock();
        let b = st.bucket(bucket, region)?;
        Ok(list_objects_in(b, prefix, delimiter, start_after, max))
    }

    /// ListObjectVersions: every version and delete marker after the markers.
    #[allow(clippy::too_many_arguments)]
    pub fn list_versions(
        &self,
        bucket: &str,
        region: Option<&str>,
        prefix: &str,
        delimiter: Option<&str>,
        key_marker: Option<&str>,
        version_id_marker: Option<&str>,
        max_keys: Option<i32>,
    ) -> Result<ListVersionsPage> {
        let max = check_max_keys(max_keys)?;
        let key_marker = key_marker.filter(|k| !k.is_empty());
        let version_id_marker = version_id_marker.filter(|v| !v.is_empty());
        if version_id_marker.is_some() && key_marker.is_none() {
            return Err(S3EngineError::InvalidArgument(
                "A version-id marker cannot be specified without a key marker.".to_owned(),
            ));
        }
        if let Some(v) = version_id_marker
            && !super::is_valid_version_id(v)
        {
            return Err(S3EngineError::InvalidArgument(
                "Invalid version id specified".to_owned(),
            ));
        }
        let st = self.state.lock();
        let b = st.bucket(bucket, region)?;
        Ok(list_versions_in(
            b,
            prefix,
            delimiter,
            key_marker,
            version_id_marker,
            max,
        ))
    }
}

fn start_bound(prefix: &str, after: Option<&str>) -> (Bound<String>, bool) {
    match after {
        Some(a) if a >= prefix => (Bound::Excluded(a.to_owned()), true),
        _ => (Bound::Included(prefix.to_owned()), false),
    }
}

fn list_objects_in(
    b: &Bucket,
    prefix: &str,
    delimiter: Option<&str>,
    start_after: Option<&str>,
    max: usize,
) -> ListObjectsPage {
    let mut page = ListObjectsPage::default();
    if max == 0 {
        return page;
    }
    let (mut from, _) = start_bound(prefix, start_after);
    let mut count = 0usize;
    let mut last: Option<String> = None;
    'outer: loop {
        let range = b.objects.range::<String, _>((from.clone(), Bound::Unbounded));
        for (key, versions) in range {
            if !key.starts_with(prefix) {
                break 'outer;
            }
            if let Some(cp) = rollup(key, prefix, delimiter) {
                if start_after.is_some_and(|s| s >= cp && s.starts_with(cp)) {
                    // The marker sits inside this prefix, which was already returned.
                } else if b
                    .objects
                    .range::<str, _>((Bound::Included(cp), Bound::Unbounded))
                    .take_while(|(k, _)| k.starts_with(cp))
                    .any(|(_, vs)| current_object(vs).is_some())
                {
                    if count == max {
                        page.is_truncated = true;
                        break 'outer;
                    }
                    page.common_prefixes.push(cp.to_owned());
                    last = Some(cp.to_owned());
                    count = count.saturating_add(1);
                }
                match after_prefix(cp) {
                    Some(next) => {
                        from = Bound::Included(next);
                        continue 'outer;
                    }
                    None => break 'outer,
                }
            }
            let Some((v, o)) = current_object(versions) else {
                continue;
            };
            if count == max {
                page.is_truncated = true;
                break 'outer;
            }
            page.objects.push(ListedObject {
                key: key.clone(),
                last_modified: v.last_modified,
                etag: o.etag.clone(),
                size: o.size(),
                storage_class: o.storage_class.clone(),
                checksum: (o.checksum.algorithm, o.checksum.kind),
            });
            last = Some(key.clone());
            count = count.saturating_add(1);
        }
        break;
    }
    if page.is_truncated {
        page.next_marker = last;
    }
    page
}

fn list_versions_in(
    b: &Bucket,
    prefix: &str,
    delimiter: Option<&str>,
    key_marker: Option<&str>,
    version_id_marker: Option<&str>,
    max: usize,
) -> ListVersionsPage {
    let mut page = ListVersionsPage::default();
    if max == 0 {
        return page;
    }
    let mut count = 0usize;
    let mut last: Option<(String, Option<String>)> = None;
    // Versions of the marker key after the version-id marker come first.
    let mut from: Bound<String> = match (key_marker, version_id_marker) {
        (Some(k), Some(vid)) => {
            if let Some(versions) = b.objects.get(k)
                && k.starts_with(prefix)
                && rollup(k, prefix, delimiter).is_none()
                && let Some(pos) = versions.iter().rposition(|v| v.id == vid)
            {
                // Newest first: the versions older than the marker are at lower indices.
                for (i, v) in versions.iter().take(pos).enumerate().rev() {
                    if count == max {
                        page.is_truncated = true;
                        page.next_key_marker = last.as_ref().map(|l| l.0.clone());
                        page.next_version_id_marker = last.and_then(|l| l.1);
                        return page;
                    }
                    page.entries
                        .push(entry(k, v, i.saturating_add(1) == versions.len()));
                    last = Some((k.to_owned(), Some(v.id.clone())));
                    count = count.saturating_add(1);
                }
            }
            Bound::Excluded(k.to_owned())
        }
        (Some(k), None) if k >= prefix => Bound::Excluded(k.to_owned()),
        _ => Bound::Included(prefix.to_owned()),
    };
    'outer: loop {
        for (key, versions) in b.objects.range::<String, _>((from.clone(), Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break 'outer;
            }
            if let Some(cp) = rollup(key, prefix, delimiter) {
                if !key_marker.is_some_and(|m| m.starts_with(cp)) {
                    if count == max {
                        page.is_truncated = true;
                        break 'outer;
                    }
                    page.common_prefixes.push(cp.to_owned());
                    last = Some((cp.to_owned(), None));
                    count = count.saturating_add(1);
                }
                match after_prefix(cp) {
                    Some(next) => {
                        from = Bound::Included(next);
                        continue 'outer;
                    }
                    None => break 'outer,
                }
            }
            for (i, v) in versions.iter().enumerate().rev() {
                if count == max {
                    page.is_truncated = true;
                    break 'outer;
                }
                page.entries
                    .push(entry(key, v, i.saturating_add(1) == versions.len()));
                last = Some((key.clone(), Some(v.id.clone())));
                count = count.saturating_add(1);
            }
        }
        break;
    }
    if page.is_truncated
        && let Some((k, v)) = last
    {
        page.next_key_marker = Some(k);
        page.next_version_id_marker = v;
    }
    page
}

fn entry(key: &str, v: &super::model::Version, is_latest: bool) -> ListedVersion {
    ListedVersion {
        key: key.to_owned(),
        version_id: v.id.clone(),
        is_latest,
        last_modified: v.last_modified,
        object: v.object.as_ref().map(|o| {
            (
                o.etag.clone(),
                o.size(),
                o.storage_class.clone(),
                (o.checksum.algorithm, o.checksum.kind),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successors_bound_every_key_with_the_prefix() {
        assert_eq!(after_prefix("a/").as_deref(), Some("a0"));
        assert_eq!(after_prefix("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(after_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(after_prefix("\u{10FFFF}"), None);
        assert_eq!(
            rollup("photos/2026/a.jpg", "photos/", Some("/")),
            Some("photos/2026/")
        );
        assert_eq!(rollup("photos/a.jpg", "photos/", Some("/")), None);
    }
}
