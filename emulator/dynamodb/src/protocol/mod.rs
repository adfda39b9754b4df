//! The wire shapes of DynamoDB's JSON 1.0 protocol: one input struct per
//! operation, the output structs, and timestamps as epoch seconds.
//!
//! Names follow AWS's PascalCase members (botocore's `service-2.json` for
//! `dynamodb` 2012-08-10 is the reference). The engine takes and returns
//! these typed values and never sees HTTP; [`crate::service`] turns bodies
//! into inputs and outputs into bodies.
//!
//! Timestamps travel as JSON numbers of epoch seconds. The official SDKs
//! send up to nine fraction digits; they are read exactly (from the raw
//! number text, not through `f64`), so a restore to an instant noted by a
//! client is a restore to that very instant.

mod exports;
mod streams;

pub use exports::*;
pub use streams::*;

use chrono::{DateTime, TimeZone, Utc};
use firedrill_ddb_expr::{AttributeValue, Item};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};

/// `ExpressionAttributeNames` (the same type as the expression crate's).
pub type Names = HashMap<String, String>;
/// `ExpressionAttributeValues` (the same type as the expression crate's).
pub type Values = HashMap<String, AttributeValue>;

/// An instant on the wire: epoch seconds, exact to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Parses epoch-seconds text exactly (`1773489600`, `1773489600.123456789`,
    /// `1.7734896E9`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.contains(['e', 'E']) {
            let secs: f64 = t.parse().ok()?;
            if !secs.is_finite() {
                return None;
            }
            let whole = secs.floor();
            let nanos = ((secs - whole) * 1e9).round() as u32;
            return Utc
                .timestamp_opt(whole as i64, nanos.min(999_999_999))
                .single()
                .map(Self);
        }
        let (negative, rest) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let (whole, frac) = match rest.split_once('.') {
            Some((w, f)) => (w, f),
            None => (rest, ""),
        };
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let secs: i64 = whole.parse().ok()?;
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        let nanos: i64 = digits.parse().ok()?;
        let total = if negative {
            -(secs as i128 * 1_000_000_000 + nanos as i128)
        } else {
            secs as i128 * 1_000_000_000 + nanos as i128
        };
        let secs = total.div_euclid(1_000_000_000) as i64;
        let nanos = total.rem_euclid(1_000_000_000) as u32;
        Utc.timestamp_opt(secs, nanos).single().map(Self)
    }

    /// The epoch-seconds text, with the fraction's trailing zeros trimmed.
    pub fn format(&self) -> String {
        let secs = self.0.timestamp();
        let nanos = self.0.timestamp_subsec_nanos();
        if nanos == 0 {
            return secs.to_string();
        }
        let frac = format!("{nanos:09}");
        format!("{secs}.{}", frac.trim_end_matches('0'))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw =
            serde_json::value::RawValue::from_string(self.format()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Box<serde_json::value::RawValue> = Deserialize::deserialize(d)?;
        let text = raw.get();
        let text = text.trim_matches('"');
        Self::parse(text)
            .or_else(|| {
                DateTime::parse_from_rfc3339(text)
                    .ok()
                    .map(|t| Self(t.with_timezone(&Utc)))
            })
            .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp {text}")))
    }
}

// ----- Table shapes -----

/// `AttributeDefinition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// The attribute.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// `KeySchemaElement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// The attribute.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

/// `Projection`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_type: Option<String>,
    /// Attributes projected besides the keys, for `INCLUDE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_key_attributes: Option<Vec<String>>,
}

/// `ProvisionedThroughput`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughput {
    /// Read capacity units.
    pub read_capacity_units: i64,
    /// Write capacity units.
    pub write_capacity_units: i64,
}

/// `GlobalSecondaryIndex` (as created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndex {
    /// The index name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// What it projects.
    #[serde(default)]
    pub projection: Projection,
    /// Its capacity (provisioned tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

/// `LocalSecondaryIndex` (as created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndex {
    /// The index name.
    pub index_name: String,
    /// Its key schema (same partition key as the table).
    pub key_schema: Vec<KeySchemaElement>,
    /// What it projects.
    #[serde(default)]
    pub projection: Projection,
}

/// `SSESpecification`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SseSpecification {
    /// Whether AWS-managed KMS encryption is on.
    #[serde(rename = "Enabled", default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `KMS`.
    #[serde(rename = "SSEType", default, skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<String>,
    /// A customer managed key.
    #[serde(rename = "KMSMasterKeyId", default, skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
}

/// `SSEDescription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SseDescription {
    /// `ENABLED`.
    #[serde(rename = "Status")]
    pub status: String,
    /// `KMS`.
    #[serde(rename = "SSEType")]
    pub sse_type: String,
    /// The key.
    #[serde(rename = "KMSMasterKeyArn")]
    pub kms_master_key_arn: String,
}

/// `StreamSpecification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecification {
    /// Whether a stream is on.
    pub stream_enabled: bool,
    /// What records carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<String>,
}

/// `Tag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `ProvisionedThroughputDescription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughputDescription {
    /// Always 0 here.
    pub number_of_decreases_today: i64,
    /// Read capacity units (0 for on-demand).
    pub read_capacity_units: i64,
    /// Write capacity units (0 for on-demand).
    pub write_capacity_units: i64,
}

/// `BillingModeSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingModeSummary {
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    /// When the table last went on-demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_to_pay_per_request_date_time: Option<Timestamp>,
}

/// `TableClassSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableClassSummary {
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    pub table_class: String,
    /// When `UpdateTable` last changed the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_date_time: Option<Timestamp>,
}

/// `WarmThroughput`: the warm throughput a client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WarmThroughput {
    /// Read units per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_units_per_second: Option<i64>,
    /// Write units per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_units_per_second: Option<i64>,
}

/// `TableWarmThroughputDescription` and
/// `GlobalSecondaryIndexWarmThroughputDescription`: the throughput a table or
/// index can take at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WarmThroughputDescription {
    /// Read units per second.
    pub read_units_per_second: i64,
    /// Write units per second.
    pub write_units_per_second: i64,
    /// The table's or index's status.
    pub status: String,
}

/// `OnDemandThroughput`: the most an on-demand table may consume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnDemandThroughput {
    /// Read request units per second (`-1`: no maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_read_request_units: Option<i64>,
    /// Write request units per second (`-1`: no maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_write_request_units: Option<i64>,
}

/// `GlobalSecondaryIndexDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexDescription {
    /// The name.
    pub index_name: String,
    /// The key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// The projection.
    pub projection: Projection,
    /// `CREATING`, `ACTIVE`, `DELETING`.
    pub index_status: String,
    /// Whether the index is being filled from the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfilling: Option<bool>,
    /// Capacity.
    pub provisioned_throughput: ProvisionedThroughputDescription,
    /// Bytes in the index.
    pub index_size_bytes: i64,
    /// Items in the index.
    pub item_count: i64,
    /// The index ARN.
    pub index_arn: String,
    /// The throughput it can take at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<WarmThroughputDescription>,
}

/// `LocalSecondaryIndexDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndexDescription {
    /// The name.
    pub index_name: String,
    /// The key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// The projection.
    pub projection: Projection,
    /// Bytes in the index.
    pub index_size_bytes: i64,
    /// Items in the index.
    pub item_count: i64,
    /// The index ARN.
    pub index_arn: String,
}

/// `RestoreSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreSummary {
    /// The backup restored from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_backup_arn: Option<String>,
    /// The table restored from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_table_arn: Option<String>,
    /// The instant restored to.
    pub restore_date_time: Timestamp,
    /// Whether the restore is still running.
    pub restore_in_progress: bool,
}

/// `TableDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDescription {
    /// Attribute definitions.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The name.
    pub table_name: String,
    /// The key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// `CREATING`, `ACTIVE`, `UPDATING`, `DELETING`.
    pub table_status: String,
    /// When created.
    pub creation_date_time: Timestamp,
    /// Capacity.
    pub provisioned_throughput: ProvisionedThroughputDescription,
    /// Bytes.
    pub table_size_bytes: i64,
    /// Items.
    pub item_count: i64,
    /// The ARN.
    pub table_arn: String,
    /// A UUID.
    pub table_id: String,
    /// Billing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode_summary: Option<BillingModeSummary>,
    /// LSIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndexDescription>>,
    /// GSIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexDescription>>,
    /// The stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// The stream's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_stream_label: Option<String>,
    /// The stream's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_stream_arn: Option<String>,
    /// Where a restored table came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_summary: Option<RestoreSummary>,
    /// Encryption.
    #[serde(rename = "SSEDescription", default, skip_serializing_if = "Option::is_none")]
    pub sse_description: Option<SseDescription>,
    /// Deletion protection.
    pub deletion_protection_enabled: bool,
    /// The table class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class_summary: Option<TableClassSummary>,
    /// The most an on-demand table may consume, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// The throughput the table can take at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<WarmThroughputDescription>,
}

// ----- Table operations -----

/// `CreateTable` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableInput {
    /// The name (or ARN).
    #[serde(default)]
    pub table_name: String,
    /// Attribute definitions.
    #[serde(default)]
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// Key schema.
    #[serde(default)]
    pub key_schema: Vec<KeySchemaElement>,
    /// LSIs.
    #[serde(default)]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
    /// GSIs.
    #[serde(default)]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    /// `PROVISIONED` (default) or `PAY_PER_REQUEST`.
    #[serde(default)]
    pub billing_mode: Option<String>,
    /// Capacity.
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// Stream.
    #[serde(default)]
    pub stream_specification: Option<StreamSpecification>,
    /// Encryption.
    #[serde(rename = "SSESpecification", default)]
    pub sse_specification: Option<SseSpecification>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    /// Deletion protection.
    #[serde(default)]
    pub deletion_protection_enabled: Option<bool>,
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    #[serde(default)]
    pub table_class: Option<String>,
    /// The most an on-demand table may consume.
    #[serde(default)]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// The throughput to be ready for at once.
    #[serde(default)]
    pub warm_throughput: Option<WarmThroughput>,
}

/// An input naming only a table (`DescribeTable`, `DeleteTable`,
/// `DescribeContinuousBackups`, `DescribeTimeToLive`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableNameInput {
    /// The name (or ARN).
    #[serde(default)]
    pub table_name: String,
}

/// `ListTables` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesInput {
    /// Start after this name.
    #[serde(default)]
    pub exclusive_start_table_name: Option<String>,
    /// 1-100.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `ListTables` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesOutput {
    /// Names, sorted.
    pub table_names: Vec<String>,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_table_name: Option<String>,
}

/// `CreateGlobalSecondaryIndexAction`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGsiAction {
    /// The name.
    pub index_name: String,
    /// The key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// The projection.
    #[serde(default)]
    pub projection: Projection,
    /// Capacity.
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

/// `DeleteGlobalSecondaryIndexAction`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteGsiAction {
    /// The name.
    pub index_name: String,
}

/// `UpdateGlobalSecondaryIndexAction`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGsiAction {
    /// The name.
    pub index_name: String,
    /// New capacity.
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

/// `GlobalSecondaryIndexUpdate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GsiUpdate {
    /// Create an index.
    #[serde(default)]
    pub create: Option<CreateGsiAction>,
    /// Delete an index.
    #[serde(default)]
    pub delete: Option<DeleteGsiAction>,
    /// Change an index's capacity.
    #[serde(default)]
    pub update: Option<UpdateGsiAction>,
}

/// `UpdateTable` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableInput {
    /// The name (or ARN).
    #[serde(default)]
    pub table_name: String,
    /// Definitions for new index keys.
    #[serde(default)]
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// New billing mode.
    #[serde(default)]
    pub billing_mode: Option<String>,
    /// New capacity.
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// Index changes.
    #[serde(default)]
    pub global_secondary_index_updates: Option<Vec<GsiUpdate>>,
    /// Stream change.
    #[serde(default)]
    pub stream_specification: Option<StreamSpecification>,
    /// Encryption change.
    #[serde(rename = "SSESpecification", default)]
    pub sse_specification: Option<SseSpecification>,
    /// Deletion protection.
    #[serde(default)]
    pub deletion_protection_enabled: Option<bool>,
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    #[serde(default)]
    pub table_class: Option<String>,
    /// The most an on-demand table may consume.
    #[serde(default)]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// The throughput to be ready for at once.
    #[serde(default)]
    pub warm_throughput: Option<WarmThroughput>,
}

// ----- Items -----

/// `ReturnConsumedCapacity`-driven `ConsumedCapacity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumedCapacity {
    /// The table.
    pub table_name: String,
    /// Units consumed.
    pub capacity_units: f64,
    /// Read units, when reads were consumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    /// Write units, when writes were consumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    /// The table's share (`INDEXES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Capacity>,
}

/// `Capacity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capacity {
    /// Units.
    pub capacity_units: f64,
}

/// `ExpectedAttributeValue`: one attribute's legacy condition (`Expected`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedAttributeValue {
    /// The value the attribute must equal.
    #[serde(default)]
    pub value: Option<AttributeValue>,
    /// Whether the attribute must exist (default true).
    #[serde(default)]
    pub exists: Option<bool>,
    /// `EQ`, `NE`, `LE`, `LT`, `GE`, `GT`, `NOT_NULL`, `NULL`, `CONTAINS`,
    /// `NOT_CONTAINS`, `BEGINS_WITH`, `IN`, `BETWEEN`.
    #[serde(default)]
    pub comparison_operator: Option<String>,
    /// The operator's arguments.
    #[serde(default)]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// `Condition`: one attribute's legacy filter or key condition
/// (`QueryFilter`, `ScanFilter`, `KeyConditions`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyCondition {
    /// The operator.
    #[serde(default)]
    pub comparison_operator: String,
    /// Its arguments.
    #[serde(default)]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// `AttributeValueUpdate`: one attribute's legacy update (`AttributeUpdates`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValueUpdate {
    /// The value to put, add or delete.
    #[serde(default)]
    pub value: Option<AttributeValue>,
    /// `PUT` (default), `ADD` or `DELETE`.
    #[serde(default)]
    pub action: Option<String>,
}

/// Legacy conditions by attribute.
pub type ExpectedMap = BTreeMap<String, ExpectedAttributeValue>;
/// Legacy filters or key conditions by attribute.
pub type ConditionMap = BTreeMap<String, LegacyCondition>;

/// `PutItem` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemInput {
    /// The table.
    #[serde(default)]
    pub table_name: String,
    /// The item.
    #[serde(default)]
    pub item: Item,
    /// A condition on the existing item.
    #[serde(default)]
    pub condition_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values: Option<String>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<String>,
    /// Legacy conditions, translated into a `ConditionExpression`.
    #[serde(default)]
    pub expected: Option<ExpectedMap>,
    /// `AND` (default) or `OR`, joining the legacy conditions.
    #[serde(default)]
    pub conditional_operator: Option<String>,
}

/// `GetItem` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemInput {
    /// The table.
    #[serde(default)]
    pub table_name: String,
    /// The key.
    #[serde(default)]
    pub key: Item,
    /// Attributes to return.
    #[serde(default)]
    pub projection_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Strong reads (every read here is strong).
    #[serde(default)]
    pub consistent_read: Option<bool>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
    /// Legacy projection, translated into a `ProjectionExpression`.
    #[serde(default)]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `DeleteItem` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemInput {
    /// The table.
    #[serde(default)]
    pub table_name: String,
    /// The key.
    #[serde(default)]
    pub key: Item,
    /// A condition on the existing item.
    #[serde(default)]
    pub condition_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values: Option<String>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<String>,
    /// Legacy conditions, translated into a `ConditionExpression`.
    #[serde(default)]
    pub expected: Option<ExpectedMap>,
    /// `AND` (default) or `OR`, joining the legacy conditions.
    #[serde(default)]
    pub conditional_operator: Option<String>,
}

/// `UpdateItem` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemInput {
    /// The table.
    #[serde(default)]
    pub table_name: String,
    /// The key.
    #[serde(default)]
    pub key: Item,
    /// SET / REMOVE / ADD / DELETE.
    #[serde(default)]
    pub update_expression: Option<String>,
    /// A condition on the existing item.
    #[serde(default)]
    pub condition_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// `NONE`, `ALL_OLD`, `UPDATED_OLD`, `ALL_NEW`, `UPDATED_NEW`.
    #[serde(default)]
    pub return_values: Option<String>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<String>,
    /// Legacy updates, translated into an `UpdateExpression`.
    #[serde(default)]
    pub attribute_updates: Option<BTreeMap<String, AttributeValueUpdate>>,
    /// Legacy conditions, translated into a `ConditionExpression`.
    #[serde(default)]
    pub expected: Option<ExpectedMap>,
    /// `AND` (default) or `OR`, joining the legacy conditions.
    #[serde(default)]
    pub conditional_operator: Option<String>,
}

/// The output of `PutItem`, `DeleteItem`, `UpdateItem`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteItemOutput {
    /// The returned attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `GetItem` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemOutput {
    /// The item, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// Capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `Query` and `Scan` input (the members they share; `Scan` ignores the
/// key condition and direction, `Query` the segments).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryInput {
    /// The table.
    #[serde(default)]
    pub table_name: String,
    /// A GSI or LSI.
    #[serde(default)]
    pub index_name: Option<String>,
    /// The key condition (`Query`).
    #[serde(default)]
    pub key_condition_expression: Option<String>,
    /// A filter on items read.
    #[serde(default)]
    pub filter_expression: Option<String>,
    /// Attributes to return.
    #[serde(default)]
    pub projection_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// Ascending (default) or descending sort key order (`Query`).
    #[serde(default)]
    pub scan_index_forward: Option<bool>,
    /// Items to evaluate at most.
    #[serde(default)]
    pub limit: Option<i64>,
    /// Where to start.
    #[serde(default)]
    pub exclusive_start_key: Option<Item>,
    /// `ALL_ATTRIBUTES`, `ALL_PROJECTED_ATTRIBUTES`, `SPECIFIC_ATTRIBUTES`, `COUNT`.
    #[serde(default)]
    pub select: Option<String>,
    /// Strong reads.
    #[serde(default)]
    pub consistent_read: Option<bool>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
    /// This worker's segment (`Scan`).
    #[serde(default)]
    pub segment: Option<i64>,
    /// How many workers (`Scan`).
    #[serde(default)]
    pub total_segments: Option<i64>,
    /// Legacy key conditions (`Query`), translated into a
    /// `KeyConditionExpression`.
    #[serde(default)]
    pub key_conditions: Option<ConditionMap>,
    /// Legacy filters (`Query`), translated into a `FilterExpression`.
    #[serde(default)]
    pub query_filter: Option<ConditionMap>,
    /// Legacy filters (`Scan`), translated into a `FilterExpression`.
    #[serde(default)]
    pub scan_filter: Option<ConditionMap>,
    /// `AND` (default) or `OR`, joining the legacy filters.
    #[serde(default)]
    pub conditional_operator: Option<String>,
    /// Legacy projection, translated into a `ProjectionExpression`.
    #[serde(default)]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `Query` and `Scan` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryOutput {
    /// Matching items (absent for `Select: COUNT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// Items returned.
    pub count: i64,
    /// Items evaluated before the filter.
    pub scanned_count: i64,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<Item>,
    /// Capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `PutRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRequest {
    /// The item.
    pub item: Item,
}

/// `DeleteRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRequest {
    /// The key.
    pub key: Item,
}

/// `WriteRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRequest {
    /// A put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub put_request: Option<PutRequest>,
    /// A delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_request: Option<DeleteRequest>,
}

/// `BatchWriteItem` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemInput {
    /// Table to writes.
    #[serde(default)]
    pub request_items: BTreeMap<String, Vec<WriteRequest>>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
}

/// `BatchWriteItem` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemOutput {
    /// Writes not done (always empty: the emulator never throttles).
    pub unprocessed_items: BTreeMap<String, Vec<WriteRequest>>,
    /// Capacity per table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// `KeysAndAttributes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributes {
    /// The keys.
    pub keys: Vec<Item>,
    /// Attributes to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// Placeholder names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<Names>,
    /// Strong reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Legacy projection, translated into a `ProjectionExpression`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `BatchGetItem` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemInput {
    /// Table to keys.
    #[serde(default)]
    pub request_items: BTreeMap<String, KeysAndAttributes>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
}

/// `BatchGetItem` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemOutput {
    /// Table to items found.
    pub responses: BTreeMap<String, Vec<Item>>,
    /// Keys not read (always empty: the emulator never throttles).
    pub unprocessed_keys: BTreeMap<String, KeysAndAttributes>,
    /// Capacity per table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// `ConditionCheck` (transactions).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConditionCheck {
    /// The key.
    pub key: Item,
    /// The table.
    pub table_name: String,
    /// The condition.
    pub condition_expression: String,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// `Put` (transactions).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactPut {
    /// The item.
    pub item: Item,
    /// The table.
    pub table_name: String,
    /// A condition.
    #[serde(default)]
    pub condition_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// `Delete` (transactions).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactDelete {
    /// The key.
    pub key: Item,
    /// The table.
    pub table_name: String,
    /// A condition.
    #[serde(default)]
    pub condition_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// `Update` (transactions).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactUpdate {
    /// The key.
    pub key: Item,
    /// The update.
    pub update_expression: String,
    /// The table.
    pub table_name: String,
    /// A condition.
    #[serde(default)]
    pub condition_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
    /// Placeholder values.
    #[serde(default)]
    pub expression_attribute_values: Option<Values>,
    /// `NONE` or `ALL_OLD`.
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<String>,
}

/// `TransactWriteItem`: exactly one action.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItem {
    /// A condition check.
    #[serde(default)]
    pub condition_check: Option<ConditionCheck>,
    /// A put.
    #[serde(default)]
    pub put: Option<TransactPut>,
    /// A delete.
    #[serde(default)]
    pub delete: Option<TransactDelete>,
    /// An update.
    #[serde(default)]
    pub update: Option<TransactUpdate>,
}

/// `TransactWriteItems` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemsInput {
    /// 1-100 actions.
    #[serde(default)]
    pub transact_items: Vec<TransactWriteItem>,
    /// Idempotency token.
    #[serde(default)]
    pub client_request_token: Option<String>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
}

/// `TransactWriteItems` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemsOutput {
    /// Capacity per table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// `Get` (transactions).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGet {
    /// The key.
    pub key: Item,
    /// The table.
    pub table_name: String,
    /// Attributes to return.
    #[serde(default)]
    pub projection_expression: Option<String>,
    /// Placeholder names.
    #[serde(default)]
    pub expression_attribute_names: Option<Names>,
}

/// `TransactGetItem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItem {
    /// The read.
    pub get: TransactGet,
}

/// `TransactGetItems` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemsInput {
    /// 1-100 reads.
    #[serde(default)]
    pub transact_items: Vec<TransactGetItem>,
    /// `NONE`, `TOTAL`, `INDEXES`.
    #[serde(default)]
    pub return_consumed_capacity: Option<String>,
}

/// `ItemResponse`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemResponse {
    /// The item, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
}

/// `TransactGetItems` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemsOutput {
    /// One response per read, in order.
    pub responses: Vec<ItemResponse>,
    /// Capacity per table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// `CancellationReason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancellationReason {
    /// The item, for `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, ...
    pub code: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

// ----- Tags -----

/// `TagResource` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    /// The table ARN.
    #[serde(default)]
    pub resource_arn: String,
    /// Tags to set.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `UntagResource` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    /// The table ARN.
    #[serde(default)]
    pub resource_arn: String,
    /// Keys to remove.
    #[serde(default)]
    pub tag_keys: Vec<String>,
}

/// `ListTagsOfResource` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsOfResourceInput {
    /// The table ARN.
    #[serde(default)]
    pub resource_arn: String,
    /// Pagination token (all tags fit one page here).
    #[serde(default)]
    pub next_token: Option<String>,
}

/// `ListTagsOfResource` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsOfResourceOutput {
    /// The tags.
    pub tags: Vec<Tag>,
}

// ----- Time to live -----

/// `TimeToLiveSpecification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveSpecification {
    /// On or off.
    pub enabled: bool,
    /// The attribute holding the expiry (epoch seconds).
    pub attribute_name: String,
}

/// `UpdateTimeToLive` input.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveInput {
    /// The table.
    pub table_name: String,
    /// The setting.
    pub time_to_live_specification: TimeToLiveSpecification,
}

/// `TimeToLiveDescription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveDescription {
    /// `ENABLED` or `DISABLED`.
    pub time_to_live_status: String,
    /// The attribute, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_name: Option<String>,
}

// ----- Continuous backups -----

/// `PointInTimeRecoverySpecification`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    /// On or off.
    pub point_in_time_recovery_enabled: bool,
    /// 1-35 days, default 35.
    #[serde(default)]
    pub recovery_period_in_days: Option<i64>,
}

/// `UpdateContinuousBackups` input.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateContinuousBackupsInput {
    /// The table.
    pub table_name: String,
    /// The setting.
    pub point_in_time_recovery_specification: PointInTimeRecoverySpecification,
}

/// `PointInTimeRecoveryDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoveryDescription {
    /// `ENABLED` or `DISABLED`.
    pub point_in_time_recovery_status: String,
    /// The period, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_period_in_days: Option<i64>,
    /// The window's start, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_restorable_date_time: Option<Timestamp>,
    /// The window's end, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_restorable_date_time: Option<Timestamp>,
}

/// `ContinuousBackupsDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContinuousBackupsDescription {
    /// Always `ENABLED`.
    pub continuous_backups_status: String,
    /// PITR.
    pub point_in_time_recovery_description: PointInTimeRecoveryDescription,
}

/// `RestoreTableToPointInTime` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableToPointInTimeInput {
    /// The source, by ARN.
    #[serde(default)]
    pub source_table_arn: Option<String>,
    /// The source, by name.
    #[serde(default)]
    pub source_table_name: Option<String>,
    /// The new table.
    #[serde(default)]
    pub target_table_name: String,
    /// Restore to the latest restorable time.
    #[serde(default)]
    pub use_latest_restorable_time: Option<bool>,
    /// Restore to this instant.
    #[serde(default)]
    pub restore_date_time: Option<Timestamp>,
    /// Billing mode.
    #[serde(default)]
    pub billing_mode_override: Option<String>,
    /// GSIs (replacing the source's).
    #[serde(default)]
    pub global_secondary_index_override: Option<Vec<GlobalSecondaryIndex>>,
    /// LSIs (replacing the source's).
    #[serde(default)]
    pub local_secondary_index_override: Option<Vec<LocalSecondaryIndex>>,
    /// Capacity.
    #[serde(default)]
    pub provisioned_throughput_override: Option<ProvisionedThroughput>,
    /// Encryption.
    #[serde(rename = "SSESpecificationOverride", default)]
    pub sse_specification_override: Option<SseSpecification>,
}

/// The overrides a restore accepts.
#[derive(Debug, Clone, Default)]
pub struct RestoreOverrides {
    /// Billing mode.
    pub billing_mode_override: Option<String>,
    /// GSIs (replacing the source's).
    pub global_secondary_index_override: Option<Vec<GlobalSecondaryIndex>>,
    /// LSIs (replacing the source's).
    pub local_secondary_index_override: Option<Vec<LocalSecondaryIndex>>,
    /// Capacity.
    pub provisioned_throughput_override: Option<ProvisionedThroughput>,
    /// Encryption.
    pub sse_specification_override: Option<SseSpecification>,
}

impl RestoreTableToPointInTimeInput {
    /// The overrides asked for.
    pub fn overrides(&self) -> RestoreOverrides {
        RestoreOverrides {
            billing_mode_override: self.billing_mode_override.clone(),
            global_secondary_index_override: self.global_secondary_index_override.clone(),
            local_secondary_index_override: self.local_secondary_index_override.clone(),
            provisioned_throughput_override: self.provisioned_throughput_override,
            sse_specification_override: self.sse_specification_override.clone(),
        }
    }
}

/// `RestoreTableFromBackup` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableFromBackupInput {
    /// The new table.
    #[serde(default)]
    pub target_table_name: String,
    /// The backup.
    #[serde(default)]
    pub backup_arn: String,
    /// Billing mode.
    #[serde(default)]
    pub billing_mode_override: Option<String>,
    /// GSIs (replacing the source's).
    #[serde(default)]
    pub global_secondary_index_override: Option<Vec<GlobalSecondaryIndex>>,
    /// LSIs (replacing the source's).
    #[serde(default)]
    pub local_secondary_index_override: Option<Vec<LocalSecondaryIndex>>,
    /// Capacity.
    #[serde(default)]
    pub provisioned_throughput_override: Option<ProvisionedThroughput>,
    /// Encryption.
    #[serde(rename = "SSESpecificationOverride", default)]
    pub sse_specification_override: Option<SseSpecification>,
}

// ----- Backups -----

impl RestoreTableFromBackupInput {
    /// The overrides asked for.
    pub fn overrides(&self) -> RestoreOverrides {
        RestoreOverrides {
            billing_mode_override: self.billing_mode_override.clone(),
            global_secondary_index_override: self.global_secondary_index_override.clone(),
            local_secondary_index_override: self.local_secondary_index_override.clone(),
            provisioned_throughput_override: self.provisioned_throughput_override,
            sse_specification_override: self.sse_specification_override.clone(),
        }
    }
}

/// `CreateBackup` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBackupInput {
    /// The table.
    #[serde(default)]
    pub table_name: String,
    /// The backup's name.
    #[serde(default)]
    pub backup_name: String,
}

/// An input naming one backup (`DescribeBackup`, `DeleteBackup`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupArnInput {
    /// The backup.
    #[serde(default)]
    pub backup_arn: String,
}

/// `BackupDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupDetails {
    /// The ARN.
    pub backup_arn: String,
    /// The name.
    pub backup_name: String,
    /// Bytes.
    pub backup_size_bytes: i64,
    /// `CREATING`, `AVAILABLE`, `DELETED`.
    pub backup_status: String,
    /// `USER`, `SYSTEM`, `AWS_BACKUP`.
    pub backup_type: String,
    /// When taken.
    pub backup_creation_date_time: Timestamp,
    /// When it expires (`SYSTEM` backups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_expiry_date_time: Option<Timestamp>,
}

/// `SourceTableDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceTableDetails {
    /// The table.
    pub table_name: String,
    /// Its id.
    pub table_id: String,
    /// Its ARN.
    pub table_arn: String,
    /// Bytes.
    pub table_size_bytes: i64,
    /// Key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// When the table was created.
    pub table_creation_date_time: Timestamp,
    /// Capacity.
    pub provisioned_throughput: ProvisionedThroughput,
    /// Items.
    pub item_count: i64,
    /// Billing.
    pub billing_mode: String,
}

/// `SourceTableFeatureDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceTableFeatureDetails {
    /// LSIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
    /// GSIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    /// Stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_description: Option<StreamSpecification>,
    /// TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live_description: Option<TimeToLiveDescription>,
    /// Encryption.
    #[serde(rename = "SSEDescription", default, skip_serializing_if = "Option::is_none")]
    pub sse_description: Option<SseDescription>,
}

/// `BackupDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupDescription {
    /// The backup.
    pub backup_details: BackupDetails,
    /// The table it was taken of.
    pub source_table_details: SourceTableDetails,
    /// The table's features.
    pub source_table_feature_details: SourceTableFeatureDetails,
}

/// `ListBackups` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBackupsInput {
    /// Only this table's backups.
    #[serde(default)]
    pub table_name: Option<String>,
    /// Page size, 1-100.
    #[serde(default)]
    pub limit: Option<i64>,
    /// Created at or after.
    #[serde(default)]
    pub time_range_lower_bound: Option<Timestamp>,
    /// Created before.
    #[serde(default)]
    pub time_range_upper_bound: Option<Timestamp>,
    /// Start after this backup.
    #[serde(default)]
    pub exclusive_start_backup_arn: Option<String>,
    /// `USER` (default), `SYSTEM`, `AWS_BACKUP`, `ALL`.
    #[serde(default)]
    pub backup_type: Option<String>,
}

/// `BackupSummary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupSummary {
    /// The table.
    pub table_name: String,
    /// Its id.
    pub table_id: String,
    /// Its ARN.
    pub table_arn: String,
    /// The backup's ARN.
    pub backup_arn: String,
    /// The backup's name.
    pub backup_name: String,
    /// When taken.
    pub backup_creation_date_time: Timestamp,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_expiry_date_time: Option<Timestamp>,
    /// Status.
    pub backup_status: String,
    /// Type.
    pub backup_type: String,
    /// Bytes.
    pub backup_size_bytes: i64,
}

/// `ListBackups` output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBackupsOutput {
    /// The page.
    pub backup_summaries: Vec<BackupSummary>,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_backup_arn: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_exact_to_the_nanosecond() {
        let t = Timestamp::parse("1773489600.123456789").unwrap();
        assert_eq!(t.0.timestamp(), 1_773_489_600);
        assert_eq!(t.0.timestamp_subsec_nanos(), 123_456_789);
        assert_eq!(t.format(), "1773489600.123456789");
        assert_eq!(Timestamp::parse("1773489600").unwrap().format(), "1773489600");
        assert_eq!(
            Timestamp::parse("1.7734896E9").unwrap().0.timestamp(),
            1_773_489_600
        );
        assert_eq!(
            Timestamp::parse("-0.5").unwrap().0.timestamp_subsec_nanos(),
            500_000_000
        );
        assert!(Timestamp::parse("x").is_none());
        let iso: Timestamp = serde_json::from_str("\"2026-03-14T12:00:00.5Z\"").unwrap();
        assert_eq!(iso.0.timestamp_subsec_millis(), 500);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "1773489600.123456789");
        let back: Timestamp = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }
}
