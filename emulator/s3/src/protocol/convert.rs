//! Conversions between s3s's DTOs and the engine's types: timestamps, tags,
//! metadata, lifecycle and replication rules, Object Lock settings.

use crate::engine::model::*;
use crate::error::S3EngineError;
use chrono::{DateTime, TimeZone, Utc};
use s3s::dto;
use s3s::dto::{Timestamp, TimestampFormat};

type Result<T> = std::result::Result<T, S3EngineError>;

/// An engine instant as an s3s timestamp.
pub fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp::from(std::time::SystemTime::from(t))
}

/// An s3s timestamp as an engine instant.
pub fn from_ts(t: &Timestamp) -> Option<DateTime<Utc>> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::EpochSeconds, &mut buf).ok()?;
    let text = String::from_utf8(buf).ok()?;
    let (secs, frac) = match text.split_once('.') {
        Some((s, f)) => (s, f),
        None => (text.as_str(), ""),
    };
    let secs: i64 = secs.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        digits.parse().ok()?
    };
    Utc.timestamp_opt(secs, nanos).single()
}

/// Tags from the wire.
pub fn tags_from(set: &[dto::Tag]) -> Result<Vec<(String, String)>> {
    set.iter()
        .map(|t| match (&t.key, &t.value) {
            (Some(k), Some(v)) => Ok((k.clone(), v.clone())),
            (Some(k), None) => Ok((k.clone(), String::new())),
            _ => Err(S3EngineError::MalformedXml),
        })
        .collect()
}

/// Tags for the wire.
pub fn tags_to(tags: &[(String, String)]) -> Vec<dto::Tag> {
    tags.iter()
        .map(|(k, v)| dto::Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

/// Tags from an `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded).
pub fn tags_from_header(h: Option<&str>) -> Result<Vec<(String, String)>> {
    let Some(h) = h.filter(|h| !h.is_empty()) else {
        return Ok(Vec::new());
    };
    let tags: Vec<(String, String)> = form_urlencoded::parse(h.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    crate::engine::validate_tags(&tags, 10)?;
    Ok(tags)
}

/// The parts of a `<Filter>` element.
#[derive(Default)]
struct FilterParts<'a> {
    prefix: Option<&'a String>,
    tag: Option<&'a dto::Tag>,
    and: Option<AndParts<'a>>,
    gt: Option<i64>,
    lt: Option<i64>,
}

/// The parts of an `<And>` element.
struct AndParts<'a> {
    prefix: Option<&'a String>,
    tags: Option<&'a Vec<dto::Tag>>,
    gt: Option<i64>,
    lt: Option<i64>,
}

fn filter_from(legacy_prefix: Option<&String>, filter: Option<FilterParts<'_>>) -> Result<RuleFilter> {
    let Some(FilterParts {
        prefix,
        tag,
        and,
        gt,
        lt,
    }) = filter
    else {
        return Ok(RuleFilter {
            prefix: legacy_prefix.cloned(),
            shape: FilterShape::LegacyPrefix,
            ..RuleFilter::default()
        });
    };
    if legacy_prefix.is_some() {
        // A rule-level Prefix next to a Filter is rejected by S3.
        return Err(S3EngineError::MalformedXml);
    }
    let n = usize::from(prefix.is_some())
        + usize::from(tag.is_some())
        + usize::from(and.is_some())
        + usize::from(gt.is_some())
        + usize::from(lt.is_some());
    if n > 1 {
        return Err(S3EngineError::MalformedXml);
    }
    if let Some(a) = and {
        return Ok(RuleFilter {
            prefix: a.prefix.cloned(),
            tags: a.tags.map(|t| tags_from(t)).transpose()?.unwrap_or_default(),
            size_greater_than: a.gt,
            size_less_than: a.lt,
            shape: FilterShape::And,
        });
    }
    if let Some(t) = tag {
        return Ok(RuleFilter {
            tags: tags_from(std::slice::from_ref(t))?,
            shape: FilterShape::Tag,
            ..RuleFilter::default()
        });
    }
    if let Some(p) = prefix {
        return Ok(RuleFilter {
            prefix: Some(p.clone()),
            shape: FilterShape::Prefix,
            ..RuleFilter::default()
        });
    }
    if gt.is_some() {
        return Ok(RuleFilter {
            size_greater_than: gt,
            shape: FilterShape::SizeGreaterThan,
            ..RuleFilter::default()
        });
    }
    if lt.is_some() {
        return Ok(RuleFilter {
            size_less_than: lt,
            shape: FilterShape::SizeLessThan,
            ..RuleFilter::default()
        });
    }
    Ok(RuleFilter {
        shape: FilterShape::Empty,
        ..RuleFilter::default()
    })
}

fn status_enabled(s: &str) -> Result<bool> {
    match s {
        "Enabled" => Ok(true),
        "Disabled" => Ok(false),
        _ => Err(S3EngineError::MalformedXml),
    }
}

fn enabled_str(b: bool) -> &'static str {
    if b { "Enabled" } else { "Disabled" }
}

/// Lifecycle rules from the wire.
pub fn lifecycle_from(rules: &[dto::LifecycleRule]) -> Result<Vec<LifecycleRule>> {
    rules
        .iter()
        .map(|r| {
            if r.filter.is_none() && r.prefix.is_none() {
                // S3 requires a Filter (or the legacy Prefix) on every rule.
                return Err(S3EngineError::MalformedXml);
            }
            let filter = filter_from(
                r.prefix.as_ref(),
                r.filter.as_ref().map(|f| FilterParts {
                    prefix: f.prefix.as_ref(),
                    tag: f.tag.as_ref(),
                    and: f.and.as_ref().map(|a| AndParts {
                        prefix: a.prefix.as_ref(),
                        tags: a.tags.as_ref(),
                        gt: a.object_size_greater_than,
                        lt: a.object_size_less_than,
                    }),
                    gt: f.object_size_greater_than,
                    lt: f.object_size_less_than,
                }),
            )?;
            let mut transitions = Vec::new();
            for t in r.transitions.iter().flatten() {
                transitions.push(Transition {
                    days: t.days,
                    date: t.date.as_ref().and_then(from_ts),
                    storage_class: t
                        .storage_class
                        .as_ref()
                        .map(|c| c.as_str().to_owned())
                        .ok_or(S3EngineError::MalformedXml)?,
                });
            }
            let mut noncurrent_transitions = Vec::new();
            for t in r.noncurrent_version_transitions.iter().flatten() {
                noncurrent_transitions.push(NoncurrentTransition {
                    days: t.noncurrent_days.ok_or(S3EngineError::MalformedXml)?,
                    storage_class: t
                        .storage_class
                        .as_ref()
                        .map(|c| c.as_str().to_owned())
                        .ok_or(S3EngineError::MalformedXml)?,
                    newer_noncurrent_versions: t.newer_noncurrent_versions,
                });
            }
            let noncurrent_expiration = match &r.noncurrent_version_expiration {
                None => None,
                Some(e) => Some(NoncurrentExpiration {
                    days: e.noncurrent_days.ok_or(S3EngineError::MalformedXml)?,
                    newer_noncurrent_versions: e.newer_noncurrent_versions,
                }),
            };
            Ok(LifecycleRule {
                id: r.id.clone(),
                enabled: status_enabled(r.status.as_str())?,
                filter,
                expiration: r.expiration.as_ref().map(|e| Expiration {
                    days: e.days,
                    date: e.date.as_ref().and_then(from_ts),
                    expired_object_delete_marker: e.expired_object_delete_marker,
                }),
                transitions,
                noncurrent_transitions,
                noncurrent_expiration,
                abort_incomplete_multipart_days: r
                    .abort_incomplete_multipart_upload
                    .as_ref()
                    .and_then(|a| a.days_after_initiation),
            })
        })
        .collect()
}

fn lifecycle_filter_to(f: &RuleFilter) -> (Option<String>, Option<dto::LifecycleRuleFilter>) {
    let empty = dto::LifecycleRuleFilter::default();
    match f.shape {
        FilterShape::LegacyPrefix => (Some(f.prefix.clone().unwrap_or_default()), None),
        FilterShape::Empty => (None, Some(empty)),
        FilterShape::Prefix => (
            None,
            Some(dto::LifecycleRuleFilter {
                prefix: f.prefix.clone(),
                ..empty
            }),
        ),
        FilterShape::Tag => (
            None,
            Some(dto::LifecycleRuleFilter {
                tag: tags_to(&f.tags).into_iter().next(),
                ..empty
            }),
        ),
        FilterShape::SizeGreaterThan => (
            None,
            Some(dto::LifecycleRuleFilter {
                object_size_greater_than: f.size_greater_than,
                ..empty
            }),
        ),
        FilterShape::SizeLessThan => (
            None,
            Some(dto::LifecycleRuleFilter {
                object_size_less_than: f.size_less_than,
                ..empty
            }),
        ),
        FilterShape::And => (
            None,
            Some(dto::LifecycleRuleFilter {
                and: Some(dto::LifecycleRuleAndOperator {
                    prefix: f.prefix.clone(),
                    tags: (!f.tags.is_empty()).then(|| tags_to(&f.tags)),
                    object_size_greater_than: f.size_greater_than,
                    object_size_less_than: f.size_less_than,
                }),
                ..empty
            }),
        ),
    }
}

/// Lifecycle rules for the wire.
pub fn lifecycle_to(rules: &[LifecycleRule]) -> Vec<dto::LifecycleRule> {
    rules
        .iter()
        .map(|r| {
            let (prefix, filter) = lifecycle_filter_to(&r.filter);
            dto::LifecycleRule {
                abort_incomplete_multipart_upload: r.abort_incomplete_multipart_days.map(|d| {
                    dto::AbortIncompleteMultipartUpload {
                        days_after_initiation: Some(d),
                    }
                }),
                expiration: r.expiration.as_ref().map(|e| dto::LifecycleExpiration {
                    date: e.date.map(ts),
                    days: e.days,
                    expired_object_delete_marker: e.expired_object_delete_marker,
                }),
                filter,
                id: r.id.clone(),
                noncurrent_version_expiration: r.noncurrent_expiration.as_ref().map(|e| {
                    dto::NoncurrentVersionExpiration {
                        newer_noncurrent_versions: e.newer_noncurrent_versions,
                        noncurrent_days: Some(e.days),
                    }
                }),
                noncurrent_version_transitions: (!r.noncurrent_transitions.is_empty()).then(|| {
                    r.noncurrent_transitions
                        .iter()
                        .map(|t| dto::NoncurrentVersionTransition {
                            newer_noncurrent_versions: t.newer_noncurrent_versions,
                            noncurrent_days: Some(t.days),
                            storage_class: Some(dto::TransitionStorageClass::from(t.storage_class.clone())),
                        })
                        .collect()
                }),
                prefix,
                status: dto::ExpirationStatus::from(enabled_str(r.enabled).to_owned()),
                transitions: (!r.transitions.is_empty()).then(|| {
                    r.transitions
                        .iter()
                        .map(|t| dto::Transition {
                            date: t.date.map(ts),
                            days: t.days,
                            storage_class: Some(dto::TransitionStorageClass::from(t.storage_class.clone())),
                        })
                        .collect()
                }),
            }
        })
        .collect()
}

/// The bucket name in a replication destination (`arn:aws:s3:::name` or a bare name).
pub fn bucket_from_arn(arn: &str) -> String {
    arn.strip_prefix("arn:aws:s3:::").unwrap_or(arn).to_owned()
}

/// A replication configuration from the wire.
pub fn replication_from(c: &dto::ReplicationConfiguration) -> Result<ReplicationConfig> {
    let mut rules = Vec::new();
    for r in &c.rules {
        let filter = filter_from(
            r.prefix.as_ref(),
            r.filter.as_ref().map(|f| FilterParts {
                prefix: f.prefix.as_ref(),
                tag: f.tag.as_ref(),
                and: f.and.as_ref().map(|a| AndParts {
                    prefix: a.prefix.as_ref(),
                    tags: a.tags.as_ref(),
                    gt: None,
                    lt: None,
                }),
                ..FilterParts::default()
            }),
        )?;
        let dest = &r.destination.bucket;
        if dest.is_empty() {
            return Err(S3EngineError::MalformedXml);
        }
        rules.push(ReplicationRule {
            id: r.id.clone(),
            priority: r.priority,
            enabled: status_enabled(r.status.as_str())?,
            filter,
            delete_marker_replication: r
                .delete_marker_replication
                .as_ref()
                .and_then(|d| d.status.as_ref())
                .map(|s| status_enabled(s.as_str()))
                .transpose()?,
            destination_arn: dest.clone(),
            destination_bucket: bucket_from_arn(dest),
            storage_class: r
                .destination
                .storage_class
                .as_ref()
                .map(|s| s.as_str().to_owned()),
            existing_object_replication: r
                .existing_object_replication
                .as_ref()
                .map(|e| status_enabled(e.status.as_str()))
                .transpose()?,
        });
    }
    Ok(ReplicationConfig {
        role: c.role.clone(),
        rules,
    })
}

/// A replication configuration for the wire.
pub fn replication_to(c: &ReplicationConfig) -> dto::ReplicationConfiguration {
    dto::ReplicationConfiguration {
        role: c.role.clone(),
        rules: c
            .rules
            .iter()
            .map(|r| {
                let (prefix, filter) = match r.filter.shape {
                    FilterShape::LegacyPrefix => (Some(r.filter.prefix.clone().unwrap_or_default()), None),
                    FilterShape::Tag => (
                        None,
                        Some(dto::ReplicationRuleFilter {
                            tag: tags_to(&r.filter.tags).into_iter().next(),
                            ..Default::default()
                        }),
                    ),
                    FilterShape::And => (
                        None,
                        Some(dto::ReplicationRuleFilter {
                            and: Some(dto::ReplicationRuleAndOperator {
                                prefix: r.filter.prefix.clone(),
                                tags: (!r.filter.tags.is_empty()).then(|| tags_to(&r.filter.tags)),
                            }),
                            ..Default::default()
                        }),
                    ),
                    _ => (
                        None,
                        Some(dto::ReplicationRuleFilter {
                            prefix: r.filter.prefix.clone(),
                            ..Default::default()
                        }),
                    ),
                };
                dto::ReplicationRule {
                    delete_marker_replication: r.delete_marker_replication.map(|e| {
                        dto::DeleteMarkerReplication {
                            status: Some(dto::DeleteMarkerReplicationStatus::from(
                                enabled_str(e).to_owned(),
                            )),
                        }
                    }),
                    destination: dto::Destination {
                        bucket: r.destination_arn.clone(),
                        storage_class: r.storage_class.clone().map(dto::StorageClass::from),
                        ..Default::default()
                    },
                    existing_object_replication: r.existing_object_replication.map(|e| {
                        dto::ExistingObjectReplication {
                            status: dto::ExistingObjectReplicationStatus::from(enabled_str(e).to_owned()),
                        }
                    }),
                    filter,
                    id: r.id.clone(),
                    prefix,
                    priority: r.priority,
                    source_selection_criteria: None,
                    status: dto::ReplicationRuleStatus::from(enabled_str(r.enabled).to_owned()),
                }
            })
            .collect(),
    }
}

/// A retention mode from the wire.
pub fn lock_mode(s: &str) -> Result<LockMode> {
    LockMode::parse(s).ok_or(S3EngineError::MalformedXml)
}

/// Object metadata from the common header fields of a write.
pub fn meta(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    website_redirect_location: Option<String>,
    user: Option<dto::Metadata>,
) -> ObjectMeta {
    ObjectMeta {
        content_type,
        content_encoding: content_encoding.filter(|e| e != "aws-chunked"),
        content_disposition,
        content_language,
        cache_control,
        website_redirect_location,
        user: user.map(|m| m.into_iter().collect()).unwrap_or_default(),
    }
}

/// The metadata a write's headers give the new object (PutObject,
/// CreateMultipartUpload, CopyObject with `REPLACE`), moved out of the
/// s3s input.
macro_rules! object_meta {
    ($input:expr) => {
        crate::protocol::convert::meta(
            $input.content_type,
            $input.content_encoding,
            $input.content_disposition,
            $input.content_language,
            $input.cache_control,
            $input.website_redirect_location,
            $input.metadata,
        )
    };
}
pub(crate) use object_meta;

/// The new object a write's s3s input describes (PutObject,
/// CreateMultipartUpload, CopyObject): `meta`, then its storage class,
/// tags and Object Lock headers, checked ([`checked_new_object`]).
macro_rules! new_object {
    ($input:expr, $meta:expr, $precondition:expr) => {
        crate::protocol::convert::checked_new_object(
            $meta,
            $input.storage_class.as_ref(),
            $input.tagging.as_deref(),
            $input.object_lock_mode.as_ref(),
            $input.object_lock_retain_until_date.as_ref(),
            $input.object_lock_legal_hold_status.as_ref(),
            $precondition,
        )
    };
}
pub(crate) use new_object;

/// A new object from a write's headers: the tagging header, the Object
/// Lock mode, retain-until date and legal hold, refused as S3 refuses them.
pub fn checked_new_object(
    meta: ObjectMeta,
    storage_class: Option<&dto::StorageClass>,
    tagging: Option<&str>,
    lock_mode: Option<&dto::ObjectLockMode>,
    retain_until: Option<&Timestamp>,
    legal_hold: Option<&dto::ObjectLockLegalHoldStatus>,
    precondition: Option<Precondition>,
) -> Result<NewObject> {
    Ok(NewObject {
        meta,
        storage_class: storage_class.map(|c| c.as_str().to_owned()),
        tags: tags_from_header(tagging)?,
        retention: write_retention(lock_mode, retain_until)?,
        legal_hold: write_legal_hold(legal_hold)?,
        precondition,
        kms: None,
        acl: None,
    })
}

/// Explicit retention from write headers (both or neither).
pub fn write_retention(
    mode: Option<&dto::ObjectLockMode>,
    until: Option<&Timestamp>,
) -> Result<Option<Retention>> {
    match (mode, until) {
        (None, None) => Ok(None),
        (Some(m), Some(u)) => Ok(Some(Retention {
            mode: LockMode::parse(m.as_str())
                .ok_or_else(|| S3EngineError::InvalidArgument("Unknown wormMode directive.".to_owned()))?,
            until: from_ts(u)
                .ok_or_else(|| S3EngineError::InvalidArgument("Invalid retain until date".to_owned()))?,
        })),
        _ => Err(S3EngineError::InvalidArgument(
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied".to_owned(),
        )),
    }
}

/// Explicit legal hold from write headers.
pub fn write_legal_hold(s: Option<&dto::ObjectLockLegalHoldStatus>) -> Result<Option<bool>> {
    match s.map(|s| s.as_str()) {
        None => Ok(None),
        Some("ON") => Ok(Some(true)),
        Some("OFF") => Ok(Some(false)),
        Some(_) => Err(S3EngineError::InvalidArgument(
            "Legal Hold must be either of 'ON' or 'OFF'".to_owned(),
        )),
    }
}

/// URL-encodes list output when the client asked for `encoding-type=url`.
pub fn enc(s: &str, url: bool) -> String {
    if url {
        // S3 leaves `/` as it is in url-encoded keys and prefixes.
        s.split('/')
            .map(|part| form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>())
            .collect::<Vec<_>>()
            .join("/")
    } else {
        s.to_owned()
    }
}

/// The engine's bucket encryption from PutBucketEncryption's document: one
/// rule with `ApplyServerSideEncryptionByDefault` (else `MalformedXML`).
pub fn encryption_from(c: &dto::ServerSideEncryptionConfiguration) -> Result<BucketEncryption> {
    let [rule] = c.rules.as_slice() else {
        return Err(S3EngineError::MalformedXml);
    };
    let by_default = rule
        .apply_server_side_encryption_by_default
        .as_ref()
        .ok_or(S3EngineError::MalformedXml)?;
    Ok(BucketEncryption {
        algorithm: by_default.sse_algorithm.as_str().to_owned(),
        kms_key_id: by_default.kms_master_key_id.clone(),
        bucket_key_enabled: rule.bucket_key_enabled.unwrap_or(false),
    })
}

/// GetBucketEncryption's document for the engine's bucket encryption.
pub fn encryption_to(e: &BucketEncryption) -> dto::ServerSideEncryptionConfiguration {
    dto::ServerSideEncryptionConfiguration {
        rules: vec![dto::ServerSideEncryptionRule {
            apply_server_side_encryption_by_default: Some(dto::ServerSideEncryptionByDefault {
                kms_master_key_id: e.kms_key_id.clone(),
                sse_algorithm: dto::ServerSideEncryption::from(e.algorithm.clone()),
            }),
            bucket_key_enabled: Some(e.bucket_key_enabled),
        }],
    }
}
