//! The wire shapes of the DynamoDB Streams API (JSON 1.0, target prefix
//! `DynamoDBStreams_20120810`; botocore's `dynamodbstreams` 2012-08-10
//! model): `ListStreams`, `DescribeStream`, `GetShardIterator` and
//! `GetRecords`. Records use the model's own camelCase members (`eventID`,
//! `eventName`, ...) around a PascalCase `StreamRecord`.

use super::{KeySchemaElement, Timestamp};
use firedrill_ddb_expr::Item;
use serde::{Deserialize, Serialize};

/// `ListStreams` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsInput {
    /// Only this table's streams.
    #[serde(default)]
    pub table_name: Option<String>,
    /// At most this many streams (1 to 100).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Start after this stream.
    #[serde(default)]
    pub exclusive_start_stream_arn: Option<String>,
}

/// `Stream`: one entry of `ListStreams`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSummary {
    /// The stream's ARN.
    pub stream_arn: String,
    /// Its table.
    pub table_name: String,
    /// Its label (the creation instant).
    pub stream_label: String,
}

/// `ListStreams` output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsOutput {
    /// The streams.
    pub streams: Vec<StreamSummary>,
    /// Where the next page starts, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_stream_arn: Option<String>,
}

/// `ShardFilter`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShardFilter {
    /// `CHILD_SHARDS`.
    #[serde(default, rename = "Type")]
    pub kind: Option<String>,
    /// The parent shard.
    #[serde(default)]
    pub shard_id: Option<String>,
}

/// `DescribeStream` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamInput {
    /// The stream.
    #[serde(default)]
    pub stream_arn: String,
    /// At most this many shards (1 to 100).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Start after this shard.
    #[serde(default)]
    pub exclusive_start_shard_id: Option<String>,
    /// Only the children of a shard.
    #[serde(default)]
    pub shard_filter: Option<ShardFilter>,
}

/// `SequenceNumberRange`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SequenceNumberRange {
    /// The shard's first sequence number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starting_sequence_number: Option<String>,
    /// The shard's last sequence number, once it is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending_sequence_number: Option<String>,
}

/// `Shard`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Shard {
    /// The shard.
    pub shard_id: String,
    /// Its sequence numbers.
    pub sequence_number_range: SequenceNumberRange,
    /// The shard it split from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_shard_id: Option<String>,
}

/// `StreamDescription`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescription {
    /// The stream's ARN.
    pub stream_arn: String,
    /// Its label.
    pub stream_label: String,
    /// `ENABLED` or `DISABLED`.
    pub stream_status: String,
    /// What its records carry.
    pub stream_view_type: String,
    /// When it was asked for.
    pub creation_request_date_time: Timestamp,
    /// Its table.
    pub table_name: String,
    /// The table's key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// Its shards.
    pub shards: Vec<Shard>,
    /// Where the next page of shards starts, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_shard_id: Option<String>,
}

/// `DescribeStream` output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamOutput {
    /// The stream.
    pub stream_description: StreamDescription,
}

/// `GetShardIterator` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorInput {
    /// The stream.
    #[serde(default)]
    pub stream_arn: String,
    /// The shard.
    #[serde(default)]
    pub shard_id: String,
    /// `TRIM_HORIZON`, `LATEST`, `AT_SEQUENCE_NUMBER`, `AFTER_SEQUENCE_NUMBER`.
    #[serde(default)]
    pub shard_iterator_type: String,
    /// The sequence number the `AT_`/`AFTER_` types start from.
    #[serde(default)]
    pub sequence_number: Option<String>,
}

/// `GetShardIterator` output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorOutput {
    /// The iterator.
    pub shard_iterator: String,
}

/// `GetRecords` input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsInput {
    /// Where to read.
    #[serde(default)]
    pub shard_iterator: String,
    /// At most this many records (1 to 1000).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `Identity`: who made a change (only for the service's own TTL deletes).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Identity {
    /// `dynamodb.amazonaws.com`.
    pub principal_id: String,
    /// `Service`.
    #[serde(rename = "Type")]
    pub kind: String,
}

/// `StreamRecord`: the change itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamRecord {
    /// When the change was made, to the second.
    pub approximate_creation_date_time: Timestamp,
    /// The item's key attributes.
    pub keys: Item,
    /// The item after the change (`NEW_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_image: Option<Item>,
    /// The item before the change (`OLD_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_image: Option<Item>,
    /// The record's position in its shard.
    pub sequence_number: String,
    /// The size of keys and images.
    pub size_bytes: i64,
    /// The stream's view type.
    pub stream_view_type: String,
}

/// `Record`.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// A unique id.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName")]
    pub event_name: String,
    /// `1.1`.
    #[serde(rename = "eventVersion")]
    pub event_version: String,
    /// `aws:dynamodb`.
    #[serde(rename = "eventSource")]
    pub event_source: String,
    /// The table's region.
    #[serde(rename = "awsRegion")]
    pub aws_region: String,
    /// The change.
    pub dynamodb: StreamRecord,
    /// The service, for time-to-live deletions.
    #[serde(rename = "userIdentity", skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<Identity>,
}

/// `GetRecords` output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsOutput {
    /// The records read.
    pub records: Vec<Record>,
    /// Where to read next; absent once a closed shard is read to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_shard_iterator: Option<String>,
}
