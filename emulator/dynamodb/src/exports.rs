//! Table exports to S3 (`ExportTableToPointInTime`, `DescribeExport`,
//! `ListExports`): a table with point-in-time recovery on is exported as it
//! was at `ExportTime` (any instant of its recovery window, by default
//! now), in AWS's layout:
//!
//! ```text
//! <prefix>/AWSDynamoDB/<ExportId>/_started
//! <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json (+ .checksum)
//! <prefix>/AWSDynamoDB/<ExportId>/manifest-files.json   (+ .checksum)
//! <prefix>/AWSDynamoDB/<ExportId>/data/<name>.json.gz   (or .ion.gz)
//! ```
//!
//! Data files hold one item a line (`{"Item":{...}}` in DynamoDB JSON, or
//! `$ion_1_0 {Item:{...}}` in Amazon Ion text), gzipped; `manifest-files.json`
//! lists them (item count, MD5, ETag, key) one a line; the summary names
//! the export, the table, the instants and the totals.
//!
//! DynamoDB never links to S3 itself: the objects are written through the
//! [`ExportStore`] seam, which the assembled emulator implements over its S3
//! engine. The export is `IN_PROGRESS` when the call answers and `COMPLETED`
//! once every object is written; an unknown bucket makes it `FAILED` with
//! AWS's `S3NoSuchBucket`, as AWS reports a destination it cannot write.
//! Incremental exports are not emulated: `INCREMENTAL_EXPORT` is answered
//! with a `ValidationException` that says so.

use crate::engine::{Engine, Region};
use crate::errors::{DynamoDbError, Result, not_null, one_of};
use crate::protocol::{
    DescribeExportInput, ExportDescription, ExportSummary, ExportTableToPointInTimeInput, ListExportsInput,
    ListExportsOutput, Timestamp,
};
use crate::store::ItemStore;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use firedrill_ddb_expr::{AttributeValue, Item, item_size};
use firedrill_emu_core::service::BoxFuture;
use md5::{Digest, Md5};
use std::io::Write;
use std::sync::Arc;

/// Why an object could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportStoreError {
    /// The bucket does not exist.
    #[error("The specified bucket does not exist: {0}")]
    NoSuchBucket(String),
    /// Any other refusal.
    #[error("{0}")]
    Failed(String),
}

/// Where exports are written: an object store (the emulator's S3).
pub trait ExportStore: Send + Sync + std::fmt::Debug {
    /// Writes one object.
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> BoxFuture<'_, std::result::Result<(), ExportStoreError>>;
}

/// One object of an export.
#[derive(Debug, Clone)]
pub struct ExportObject {
    /// Its key.
    pub key: String,
    /// Its body.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// An export accepted and not yet written.
#[derive(Debug)]
pub struct PendingExport {
    /// The export's ARN.
    pub arn: String,
    /// The bucket.
    pub bucket: String,
    /// Every object, in the order AWS writes them (`_started` first, the
    /// summary last).
    pub objects: Vec<ExportObject>,
    /// How many items.
    pub item_count: i64,
    /// Their size.
    pub billed_size_bytes: i64,
}

/// A stored export: its description and the request it answered.
#[derive(Debug, Clone)]
pub struct Export {
    /// As DescribeExport shows it.
    pub description: ExportDescription,
    /// The request, for client-token idempotency.
    pub request: ExportTableToPointInTimeInput,
}

/// Checks the request's members against the model before anything else.
fn validate(input: &ExportTableToPointInTimeInput) -> Result<()> {
    not_null(&input.table_arn, "tableArn")?;
    not_null(&input.s3_bucket, "s3Bucket")?;
    let bucket_ok = input.s3_bucket.len() <= 255
        && input.s3_bucket.len() >= 2
        && input.s3_bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && input.s3_bucket.ends_with(|c: char| c.is_ascii_alphanumeric())
        && input
            .s3_bucket
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !bucket_ok {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{}' at 's3Bucket' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
            input.s3_bucket
        )));
    }
    if input.s3_prefix.as_ref().is_some_and(|p| p.len() > 1024) {
        return Err(DynamoDbError::validation(
            "1 validation error detected: Value at 's3Prefix' failed to satisfy constraint: Member must have length less than or equal to 1024",
        ));
    }
    if let Some(owner) = &input.s3_bucket_owner
        && (owner.len() != 12 || !owner.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{owner}' at 's3BucketOwner' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{{12}}"
        )));
    }
    if input
        .client_token
        .as_ref()
        .is_some_and(|t| t.is_empty() || t.contains('$'))
    {
        return Err(DynamoDbError::validation(
            "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[^\\$]+$",
        ));
    }
    one_of(
        input.s3_sse_algorithm.as_deref(),
        "s3SseAlgorithm",
        &["AES256", "KMS"],
    )?;
    one_of(
        input.export_format.as_deref(),
        "exportFormat",
        &["DYNAMODB_JSON", "ION"],
    )?;
    one_of(
        input.export_type.as_deref(),
        "exportType",
        &["FULL_EXPORT", "INCREMENTAL_EXPORT"],
    )?;
    if input.export_type.as_deref() == Some("INCREMENTAL_EXPORT") {
        return Err(DynamoDbError::validation(
            "firedrill does not emulate incremental exports (ExportType INCREMENTAL_EXPORT); use FULL_EXPORT",
        ));
    }
    Ok(())
}

/// The MD5 of `bytes`.
fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .map_err(|e| DynamoDbError::InternalServerError(format!("could not compress an export file: {e}")))
}

/// An Ion text string literal (Ion's escapes are JSON's).
fn ion_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A DynamoDB number as an Ion decimal: `12.` for an integer, `1.5`, and
/// an exponent as `d` (`1.5d3`).
fn ion_decimal(n: &str) -> String {
    let (mantissa, exponent) = match n.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.trim_start_matches('+'))),
        None => (n, None),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.")
    };
    match exponent {
        Some(e) => format!("{}d{e}", mantissa.trim_end_matches('.')),
        None => mantissa,
    }
}

fn ion_blob(b: &[u8]) -> String {
    format!("{{{{{}}}}}", base64::engine::general_purpose::STANDARD.encode(b))
}

/// One attribute value in Amazon Ion text, as DynamoDB exports it: sets
/// are lists annotated `$dynamodb_SS`, `$dynamodb_NS`, `$dynamodb_BS`.
fn ion_value(v: &AttributeValue) -> String {
    let list = |items: Vec<String>| format!("[{}]", items.join(","));
    match v {
        AttributeValue::S(s) => ion_string(s),
        AttributeValue::N(n) => ion_decimal(n),
        AttributeValue::B(b) => ion_blob(b),
        AttributeValue::Ss(ss) => format!(
            "$dynamodb_SS::{}",
            list(ss.iter().map(|s| ion_string(s)).collect())
        ),
        AttributeValue::Ns(ns) => format!(
            "$dynamodb_NS::{}",
            list(ns.iter().map(|n| ion_decimal(n)).collect())
        ),
        AttributeValue::Bs(bs) => format!("$dynamodb_BS::{}", list(bs.iter().map(|b| ion_blob(b)).collect())),
        AttributeValue::M(m) => ion_struct(m),
        AttributeValue::L(l) => list(l.iter().map(ion_value).collect()),
        AttributeValue::Null(_) => "null".to_owned(),
        AttributeValue::Bool(b) => b.to_string(),
    }
}

fn ion_struct(m: &Item) -> String {
    let fields: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{}:{}", ion_string(k), ion_value(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// The data file's lines for `items`, in `format`.
fn data_lines(items: &ItemStore, format: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for item in items.items() {
        let line = if format == "ION" {
            format!("$ion_1_0 {{Item:{}}}", ion_struct(item))
        } else {
            let body = serde_json::to_string(&**item)
                .map_err(|e| DynamoDbError::InternalServerError(format!("could not encode an item: {e}")))?;
            format!("{{\"Item\":{body}}}")
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The export's objects in AWS's layout.
fn layout(
    d: &ExportDescription,
    items: &ItemStore,
    now: DateTime<Utc>,
) -> Result<(Vec<ExportObject>, i64, i64)> {
    let export_id = d.export_arn.rsplit('/').next().unwrap_or_default();
    let root = match d.s3_prefix.as_deref().map(|p| p.trim_end_matches('/')) {
        Some(p) if !p.is_empty() => format!("{p}/AWSDynamoDB/{export_id}"),
        _ => format!("AWSDynamoDB/{export_id}"),
    };
    let (extension, format) = if d.export_format == "ION" {
        ("ion.gz", "ION")
    } else {
        ("json.gz", "DYNAMODB_JSON")
    };
    let item_count = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let billed: usize = items.items().map(|i| item_size(i)).sum();
    let billed = i64::try_from(billed).unwrap_or(i64::MAX);
    let data = gzip(&data_lines(items, format)?)?;
    let data_digest = md5(&data);
    let data_key = format!(
        "{root}/data/{}.{extension}",
        &uuid::Uuid::new_v4().simple().to_string()[..26]
    );
    let files = format!(
        "{}\n",
        serde_json::json!({
            "itemCount": item_count,
            "md5Checksum": base64::engine::general_purpose::STANDARD.encode(data_digest),
            "etag": hex(&data_digest),
            "dataFileS3Key": data_key,
        })
    );
    let files_key = format!("{root}/manifest-files.json");
    let summary = serde_json::json!({
        "version": "2020-06-30",
        "exportArn": d.export_arn,
        "startTime": rfc3339(d.start_time.0),
        "endTime": rfc3339(now),
        "tableArn": d.table_arn,
        "tableId": d.table_id,
        "exportTime": rfc3339(d.export_time.0),
        "s3Bucket": d.s3_bucket,
        "s3Prefix": d.s3_prefix,
        "s3SseAlgorithm": d.s3_sse_algorithm,
        "s3SseKmsKeyId": d.s3_sse_kms_key_id,
        "manifestFilesS3Key": files_key,
        "billedSizeBytes": billed,
        "itemCount": item_count,
        "outputFormat": d.export_format,
        "exportType": d.export_type,
    })
    .to_string();
    let object = |key: String, body: Vec<u8>, content_type| ExportObject {
        key,
        body,
        content_type,
    };
    let objects = vec![
        object(format!("{root}/_started"), Vec::new(), "application/octet-stream"),
        object(data_key, data, "application/x-gzip"),
        object(
            format!("{root}/manifest-files.checksum"),
            hex(&md5(files.as_bytes())).into_bytes(),
            "text/plain",
        ),
        object(files_key, files.into_bytes(), "application/json"),
        object(
            format!("{root}/manifest-summary.checksum"),
            hex(&md5(summary.as_bytes())).into_bytes(),
            "text/plain",
        ),
        object(
            format!("{root}/manifest-summary.json"),
            summary.into_bytes(),
            "application/json",
        ),
    ];
    Ok((objects, item_count, billed))
}

fn find_export<'a>(r: &'a mut Region, arn: &str) -> Option<&'a mut Export> {
    r.exports.get_mut(arn)
}

impl Engine {
    /// `ExportTableToPointInTime`: checks the request, takes the table as
    /// it was at the export time, and records the export `IN_PROGRESS`.
    /// Returns its description and, for a new export, the objects to write
    /// (then [`Engine::finish_export`]).
    pub fn export_table(
        &self,
        region: &str,
        input: ExportTableToPointInTimeInput,
    ) -> Result<(ExportDescription, Option<PendingExport>)> {
        validate(&input)?;
        let name = crate::engine::resolve_table_name(&input.table_arn)?;
        let now = self.now();
        let state = self.region(region);
        let mut r = state.write();
        if let Some(token) = &input.client_token
            && let Some(e) = r
                .exports
                .values()
                .find(|e| e.request.client_token.as_ref() == Some(token))
        {
            if e.request != input {
                return Err(DynamoDbError::ExportConflict(format!(
                    "There was a conflict when attempting to export: an export with client token {token} was requested with different parameters"
                )));
            }
            return Ok((e.description.clone(), None));
        }
        let t = self
            .visible(&r, &name, now)
            .filter(|t| t.meta.arn == input.table_arn || !input.table_arn.starts_with("arn:"))
            .ok_or_else(|| DynamoDbError::TableNotFound(format!("Table not found: {}", input.table_arn)))?;
        let Some(history) = &t.history else {
            return Err(DynamoDbError::PointInTimeRecoveryUnavailable(format!(
                "Point in time recovery is not enabled for table '{name}'"
            )));
        };
        let earliest = history.earliest(now);
        let export_time = input.export_time.map_or(now, |t| t.0);
        if export_time < earliest || export_time > now {
            return Err(DynamoDbError::InvalidExportTime(format!(
                "ExportTime must be between the table's EarliestRestorableDateTime ({}) and now ({})",
                rfc3339(earliest),
                rfc3339(now)
            )));
        }
        let items = history.state_at(export_time);
        let export_id = format!(
            "{:014}-{}",
            now.timestamp_millis(),
            firedrill_emu_core::ids::random_hex(8)
        );
        let description = ExportDescription {
            export_arn: format!("{}/export/{export_id}", t.meta.arn),
            export_status: "IN_PROGRESS".to_owned(),
            start_time: Timestamp(now),
            end_time: None,
            export_manifest: None,
            table_arn: t.meta.arn.clone(),
            table_id: t.meta.id.clone(),
            export_time: Timestamp(export_time),
            client_token: input.client_token.clone(),
            s3_bucket: input.s3_bucket.clone(),
            s3_bucket_owner: input.s3_bucket_owner.clone(),
            s3_prefix: input.s3_prefix.clone(),
            s3_sse_algorithm: input
                .s3_sse_algorithm
                .clone()
                .unwrap_or_else(|| "AES256".to_owned()),
            s3_sse_kms_key_id: input.s3_sse_kms_key_id.clone(),
            failure_code: None,
            failure_message: None,
            export_format: input
                .export_format
                .clone()
                .unwrap_or_else(|| "DYNAMODB_JSON".to_owned()),
            billed_size_bytes: None,
            item_count: None,
            export_type: "FULL_EXPORT".to_owned(),
        };
        let (objects, item_count, billed_size_bytes) = layout(&description, &items, now)?;
        tracing::info!(export = %description.export_arn, items = item_count, "table export started");
        r.exports.insert(
            description.export_arn.clone(),
            Export {
                description: description.clone(),
                request: input,
            },
        );
        Ok((
            description.clone(),
            Some(PendingExport {
                arn: description.export_arn,
                bucket: description.s3_bucket,
                objects,
                item_count,
                billed_size_bytes,
            }),
        ))
    }

    /// Marks an export `COMPLETED`, or `FAILED` with AWS's failure code.
    pub fn finish_export(
        &self,
        region: &str,
        pending: &PendingExport,
        outcome: std::result::Result<(), ExportStoreError>,
    ) {
        let now = self.now();
        let state = self.region(region);
        let mut r = state.write();
        let Some(e) = find_export(&mut r, &pending.arn) else {
            return;
        };
        let d = &mut e.description;
        d.end_time = Some(Timestamp(now));
        match outcome {
            Ok(()) => {
                d.export_status = "COMPLETED".to_owned();
                d.item_count = Some(pending.item_count);
                d.billed_size_bytes = Some(pending.billed_size_bytes);
                d.export_manifest = pending.objects.last().map(|o| o.key.clone());
            }
            Err(err) => {
                tracing::info!(export = %pending.arn, error = %err, "table export failed");
                d.export_status = "FAILED".to_owned();
                d.failure_code = Some(
                    match err {
                        ExportStoreError::NoSuchBucket(_) => "S3NoSuchBucket",
                        ExportStoreError::Failed(_) => "UNKNOWN",
                    }
                    .to_owned(),
                );
                d.failure_message = Some(err.to_string());
            }
        }
    }

    /// `DescribeExport`.
    pub fn describe_export(&self, region: &str, input: DescribeExportInput) -> Result<ExportDescription> {
        not_null(&input.export_arn, "exportArn")?;
        let state = self.region(region);
        let r = state.read();
        r.exports
            .get(&input.export_arn)
            .map(|e| e.description.clone())
            .ok_or_else(|| DynamoDbError::ExportNotFound(format!("Export not found: {}", input.export_arn)))
    }

    /// `ListExports`: oldest first, `MaxResults` (1 to 25) a page.
    pub fn list_exports(&self, region: &str, input: ListExportsInput) -> Result<ListExportsOutput> {
        let max = match input.max_results {
            None => 25,
            Some(m @ 1..=25) => usize::try_from(m).unwrap_or(25),
            Some(m) => {
                return Err(DynamoDbError::validation(format!(
                    "1 validation error detected: Value '{m}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 25"
                )));
            }
        };
        let state = self.region(region);
        let r = state.read();
        let mut all: Vec<&Export> = r
            .exports
            .values()
            .filter(|e| {
                input
                    .table_arn
                    .as_ref()
                    .is_none_or(|t| *t == e.description.table_arn)
            })
            .collect();
        all.sort_by(|a, b| {
            (a.description.start_time, &a.description.export_arn)
                .cmp(&(b.description.start_time, &b.description.export_arn))
        });
        let start = match &input.next_token {
            Some(token) => all
                .iter()
                .position(|e| e.description.export_arn == *token)
                .ok_or_else(|| DynamoDbError::validation(format!("Invalid NextToken: {token}")))?,
            None => 0,
        };
        let page: Vec<&Export> = all.iter().skip(start).take(max).copied().collect();
        let next_token = all
            .get(start + page.len())
            .map(|e| e.description.export_arn.clone());
        Ok(ListExportsOutput {
            export_summaries: page
                .into_iter()
                .map(|e| ExportSummary {
                    export_arn: e.description.export_arn.clone(),
                    export_status: e.description.export_status.clone(),
                    export_type: e.description.export_type.clone(),
                })
                .collect(),
            next_token,
        })
    }
}

/// Writes a pending export's objects through `store`, in order, stopping at
/// the first refusal.
pub async fn write(
    store: &Arc<dyn ExportStore>,
    pending: &PendingExport,
) -> std::result::Result<(), ExportStoreError> {
    for o in &pending.objects {
        store
            .put_object(&pending.bucket, &o.key, o.body.clone(), o.content_type)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_ion_decimals() {
        assert_eq!(ion_decimal("12"), "12.");
        assert_eq!(ion_decimal("-1.5"), "-1.5");
        assert_eq!(ion_decimal("1.5E+3"), "1.5d3");
        assert_eq!(ion_decimal("7e-2"), "7d-2");
    }

    #[test]
    fn items_become_ion_structs_with_annotated_sets() {
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S("a\"b".into()));
        item.insert("tags".into(), AttributeValue::Ss(vec!["x".into()]));
        item.insert("bin".into(), AttributeValue::B(vec![1, 2, 3]));
        item.insert("n".into(), AttributeValue::N("3".into()));
        assert_eq!(
            ion_struct(&item),
            r#"{"bin":{{AQID}},"n":3.,"pk":"a\"b","tags":$dynamodb_SS::["x"]}"#
        );
    }
}
