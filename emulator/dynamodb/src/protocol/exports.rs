//! The wire shapes of table exports to S3: `ExportTableToPointInTime`,
//! `DescribeExport` and `ListExports`.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// `ExportTableToPointInTime` input.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportTableToPointInTimeInput {
    /// The table.
    #[serde(default)]
    pub table_arn: String,
    /// The instant to export (default: now).
    #[serde(default)]
    pub export_time: Option<Timestamp>,
    /// Makes the call idempotent.
    #[serde(default)]
    pub client_token: Option<String>,
    /// The destination bucket.
    #[serde(default, rename = "S3Bucket")]
    pub s3_bucket: String,
    /// The account that owns the bucket.
    #[serde(default, rename = "S3BucketOwner")]
    pub s3_bucket_owner: Option<String>,
    /// The key prefix.
    #[serde(default, rename = "S3Prefix")]
    pub s3_prefix: Option<String>,
    /// `AES256` or `KMS`.
    #[serde(default, rename = "S3SseAlgorithm")]
    pub s3_sse_algorithm: Option<String>,
    /// The KMS key for `KMS`.
    #[serde(default, rename = "S3SseKmsKeyId")]
    pub s3_sse_kms_key_id: Option<String>,
    /// `DYNAMODB_JSON` (default) or `ION`.
    #[serde(default)]
    pub export_format: Option<String>,
    /// `FULL_EXPORT` (default) or `INCREMENTAL_EXPORT`.
    #[serde(default)]
    pub export_type: Option<String>,
    /// The window of an incremental export.
    #[serde(default)]
    pub incremental_export_specification: Option<serde_json::Value>,
}

/// `ExportDescription`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportDescription {
    /// `<table arn>/export/<export id>`.
    pub export_arn: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub export_status: String,
    /// When the export was asked for.
    pub start_time: Timestamp,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// The key of `manifest-summary.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_manifest: Option<String>,
    /// The table.
    pub table_arn: String,
    /// The table's id.
    pub table_id: String,
    /// The instant exported.
    pub export_time: Timestamp,
    /// The client token, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// The bucket.
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: String,
    /// The bucket's owner, when given.
    #[serde(rename = "S3BucketOwner", skip_serializing_if = "Option::is_none")]
    pub s3_bucket_owner: Option<String>,
    /// The prefix, when given.
    #[serde(rename = "S3Prefix", skip_serializing_if = "Option::is_none")]
    pub s3_prefix: Option<String>,
    /// The encryption of the written objects.
    #[serde(rename = "S3SseAlgorithm")]
    pub s3_sse_algorithm: String,
    /// The KMS key, for `KMS`.
    #[serde(rename = "S3SseKmsKeyId", skip_serializing_if = "Option::is_none")]
    pub s3_sse_kms_key_id: Option<String>,
    /// Why the export failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    /// How it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// `DYNAMODB_JSON` or `ION`.
    pub export_format: String,
    /// The size billed (the items' size), once completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_size_bytes: Option<i64>,
    /// The items exported, once completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_count: Option<i64>,
    /// `FULL_EXPORT`.
    pub export_type: String,
}

/// `DescribeExport` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeExportInput {
    /// The export.
    #[serde(default)]
    pub export_arn: String,
}

/// `ListExports` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExportsInput {
    /// Only this table's exports.
    #[serde(default)]
    pub table_arn: Option<String>,
    /// 1 to 25.
    #[serde(default)]
    pub max_results: Option<i64>,
    /// Where the page starts.
    #[serde(default)]
    pub next_token: Option<String>,
}

/// `ExportSummary`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportSummary {
    /// The export.
    pub export_arn: String,
    /// Its status.
    pub export_status: String,
    /// Its type.
    pub export_type: String,
}

/// `ListExports` output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExportsOutput {
    /// The exports, oldest first.
    pub export_summaries: Vec<ExportSummary>,
    /// Where the next page starts, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
