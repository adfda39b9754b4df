//! Object parts and attributes: what byte range and checksum a GET or HEAD
//! answers (`Range`, `partNumber`, checksum mode), GetObjectAttributes, and
//! the source range of UploadPartCopy.

use super::checksums::{self, Wire, checksum_type, set_checksum};
use crate::checksum::ChecksumType as Kind;
use crate::engine::model::ObjectData;
use crate::error::S3EngineError;
use s3s::dto::{
    Checksum, ChecksumMode, ChecksumType, GetObjectAttributesParts, ObjectAttributes, ObjectPart, Range,
};
use std::ops::Range as Bytes;

/// What a GET or HEAD reads of an object.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// The bytes.
    pub range: Bytes<u64>,
    /// `Content-Range`, for a Range or a partNumber (answered with 206).
    pub content_range: Option<String>,
    /// The checksum fields.
    pub wire: Wire,
    /// `x-amz-checksum-type`.
    pub checksum_type: Option<ChecksumType>,
    /// `x-amz-mp-parts-count`, answered with a partNumber.
    pub parts_count: Option<i32>,
}

fn content_range(r: &Bytes<u64>, size: u64) -> Option<String> {
    r.end
        .checked_sub(1)
        .filter(|_| r.end > r.start)
        .map(|last| format!("bytes {}-{last}/{size}", r.start))
}

/// Selects what a GET or HEAD answers: a Range (no checksum), a part (the
/// part's checksum for a composite object, the object's when the part is
/// the whole of a full-object one), or the whole object (its checksum
/// when checksum mode is on).
pub(crate) fn select(
    o: &ObjectData,
    range: Option<&Range>,
    part_number: Option<i32>,
    mode: Option<&ChecksumMode>,
) -> Result<Selection, S3EngineError> {
    let size = o.size();
    let enabled = checksums::mode_enabled(mode.map(|m| m.as_str()));
    let whole_checksum = |on: bool| {
        if on {
            (Wire::object(&o.checksum), Some(checksum_type(o.checksum.kind)))
        } else {
            (Wire::default(), None)
        }
    };
    match (range, part_number) {
        (Some(_), Some(_)) => Err(S3EngineError::InvalidRequest(
            "Cannot specify both Range header and partNumber query parameter".to_owned(),
        )),
        (Some(r), None) => {
            let rg = r.check(size).map_err(|_| S3EngineError::InvalidRange { size })?;
            Ok(Selection {
                content_range: content_range(&rg, size),
                range: rg,
                wire: Wire::default(),
                checksum_type: None,
                parts_count: None,
            })
        }
        (None, Some(n)) if !(1..=10_000).contains(&n) => Err(S3EngineError::InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive".to_owned(),
        )),
        (None, Some(n)) if o.parts.is_empty() => {
            if n != 1 {
                return Err(S3EngineError::InvalidPartNumber {
                    requested: n,
                    actual: 1,
                });
            }
            let (wire, checksum_type) = whole_checksum(enabled);
            Ok(Selection {
                content_range: content_range(&(0..size), size),
                range: 0..size,
                wire,
                checksum_type,
                parts_count: None,
            })
        }
        (None, Some(n)) => {
            let count = o.parts_count().unwrap_or(0);
            let (rg, part) = o.part_range(n).ok_or(S3EngineError::InvalidPartNumber {
                requested: n,
                actual: count,
            })?;
            let (wire, checksum_type) = match (o.checksum.kind, &part.checksum) {
                (Kind::Composite, Some(c)) if enabled => (
                    Wire::of(o.checksum.algorithm, c.clone()),
                    Some(checksum_type(Kind::Composite)),
                ),
                (Kind::FullObject, _) => whole_checksum(enabled && rg == (0..size)),
                _ => (Wire::default(), None),
            };
            Ok(Selection {
                content_range: content_range(&rg, size),
                range: rg,
                wire,
                checksum_type,
                parts_count: i32::try_from(count).ok(),
            })
        }
        (None, None) => {
            let (wire, checksum_type) = whole_checksum(enabled);
            Ok(Selection {
                range: 0..size,
                content_range: None,
                wire,
                checksum_type,
                parts_count: None,
            })
        }
    }
}

/// The attributes GetObjectAttributes may ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub etag: bool,
    pub checksum: bool,
    pub parts: bool,
    pub storage_class: bool,
    pub size: bool,
}

/// Parses `x-amz-object-attributes`; an unknown name is `InvalidArgument`.
pub(crate) fn wanted(list: &[ObjectAttributes]) -> Result<Wanted, S3EngineError> {
    let mut w = Wanted::default();
    for a in list {
        match a.as_str() {
            "ETag" => w.etag = true,
            "Checksum" => w.checksum = true,
            "ObjectParts" => w.parts = true,
            "StorageClass" => w.storage_class = true,
            "ObjectSize" => w.size = true,
            _ => {
                return Err(S3EngineError::InvalidArgument(
                    "Invalid attribute name specified.".to_owned(),
                ));
            }
        }
    }
    Ok(w)
}

/// The `Checksum` element: the base64 digest alone (no `-N`) and the type.
pub(crate) fn checksum_element(o: &ObjectData) -> Checksum {
    let mut c = Checksum {
        checksum_type: Some(checksum_type(o.checksum.kind)),
        ..Default::default()
    };
    set_checksum!(c, Wire::of(o.checksum.algorithm, o.checksum.base64()));
    c
}

/// The `ObjectParts` element of a multipart object: the part count, and
/// for a composite checksum the parts themselves (with their checksums),
/// paged by `max_parts` after `marker`.
pub(crate) fn parts_element(
    o: &ObjectData,
    max_parts: Option<i32>,
    marker: Option<i32>,
) -> Option<GetObjectAttributesParts> {
    let count = i32::try_from(o.parts_count()?).unwrap_or(i32::MAX);
    if o.checksum.kind != Kind::Composite {
        return Some(GetObjectAttributesParts {
            total_parts_count: Some(count),
            ..Default::default()
        });
    }
    let max = usize::try_from(max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
    let marker = marker.unwrap_or(0);
    let mut after = o.parts.iter().filter(|p| p.number > marker).peekable();
    let mut parts = Vec::new();
    while parts.len() < max {
        let Some(p) = after.next() else { break };
        let mut part = ObjectPart {
            part_number: Some(p.number),
            size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
            ..Default::default()
        };
        if let Some(c) = &p.checksum {
            set_checksum!(part, Wire::of(o.checksum.algorithm, c.clone()));
        }
        parts.push(part);
    }
    let truncated = after.peek().is_some();
    Some(GetObjectAttributesParts {
        is_truncated: Some(truncated),
        max_parts: Some(i32::try_from(max).unwrap_or(1000)),
        next_part_number_marker: parts.last().and_then(|p| p.part_number),
        part_number_marker: Some(marker),
        parts: Some(parts),
        total_parts_count: Some(count),
    })
}

/// The bytes an `x-amz-copy-source-range` (`bytes=first-last`) names in a
/// source of `size` bytes.
pub(crate) fn copy_range(header: Option<&str>, size: u64) -> Result<Bytes<u64>, S3EngineError> {
    let Some(h) = header else {
        return Ok(0..size);
    };
    let malformed = || {
        S3EngineError::InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"
                .to_owned(),
        )
    };
    let (first, last) = h
        .trim()
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(malformed)?;
    let first: u64 = first.trim().parse().map_err(|_| malformed())?;
    let last: u64 = last.trim().parse().map_err(|_| malformed())?;
    if first > last {
        return Err(malformed());
    }
    if last >= size {
        return Err(S3EngineError::InvalidRange { size });
    }
    Ok(first..last.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_ranges_are_inclusive_and_inside_the_source() {
        assert_eq!(copy_range(None, 10), Ok(0..10));
        assert_eq!(copy_range(Some("bytes=0-4"), 10), Ok(0..5));
        assert_eq!(copy_range(Some("bytes=9-9"), 10), Ok(9..10));
        assert_eq!(
            copy_range(Some("bytes=5-10"), 10),
            Err(S3EngineError::InvalidRange { size: 10 })
        );
        for bad in ["0-4", "bytes=4-1", "bytes=a-b", "bytes=-3"] {
            assert_eq!(
                copy_range(Some(bad), 10).unwrap_err().code(),
                "InvalidArgument",
                "{bad}"
            );
        }
    }
}
