//! The HTTP side of DynamoDB: reads `X-Amz-Target`, decodes the JSON body
//! into the operation's input, calls the engine, encodes the output, and
//! turns errors into AWS's JSON 1.0 error shape.

use crate::engine::{BackupType, Engine};
use crate::errors::{DynamoDbError, Result};
use crate::protocol::*;
use firedrill_emu_core::Body;
use firedrill_emu_core::body::{MAX_BUFFERED_BODY, collect};
use http::{Request, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The X-Amz-Target prefix of DynamoDB's API version.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The X-Amz-Target prefix of the DynamoDB Streams API (same signing name,
/// `dynamodb`, so the same service answers it).
pub const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";

/// The operations DynamoDB has that firedrill does not emulate.
const UNSUPPORTED: &[&str] = &[
    "BatchExecuteStatement",
    "CreateGlobalTable",
    "DeleteResourcePolicy",
    "DescribeContributorInsights",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "DescribeImport",
    "DescribeKinesisStreamingDestination",
    "DescribeTableReplicaAutoScaling",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ExecuteStatement",
    "ExecuteTransaction",
    "GetResourcePolicy",
    "ImportTable",
    "ListContributorInsights",
    "ListGlobalTables",
    "ListImports",
    "PutResourcePolicy",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateKinesisStreamingDestination",
    "UpdateTableReplicaAutoScaling",
];

/// The operations recorded in the audit trail: backups, restores, PITR
/// settings and table deletion (the changes a recovery story turns on).
/// `BatchWriteItem` is recorded too when it deletes items.
const AUDITED: &[&str] = &[
    "CreateBackup",
    "DeleteBackup",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "UpdateContinuousBackups",
    "DeleteTable",
];

/// The resource an audited request names: its backup ARN, source table or
/// table, as sent.
fn audit_resource(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    ["BackupArn", "SourceTableArn", "SourceTableName", "TableName"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

/// The tables a `BatchWriteItem` body deletes items from: a batch delete is
/// audited (once per table), a batch of puts is not.
fn batch_delete_tables(body: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let Some(items) = v.get("RequestItems").and_then(Value::as_object) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|(_, requests)| {
            requests
                .as_array()
                .is_some_and(|r| r.iter().any(|w| w.get("DeleteRequest").is_some()))
        })
        .map(|(table, _)| table.clone())
        .collect()
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let text = if body.is_empty() { &b"{}"[..] } else { body };
    serde_json::from_slice(text).map_err(|e| {
        if e.is_data() && e.to_string().contains("unknown variant") {
            DynamoDbError::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            )
        } else if e.is_syntax() || e.is_eof() {
            DynamoDbError::Serialization(format!("Start of structure or map found where not expected: {e}"))
        } else {
            DynamoDbError::Serialization(e.to_string())
        }
    })
}

fn encode<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| DynamoDbError::InternalServerError(e.to_string()))
}

/// Answers one DynamoDB request.
pub async fn handle(
    engine: &Engine,
    region: &str,
    principal: &str,
    request_id: &str,
    req: Request<Body>,
) -> Response<Body> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = match collect(req.into_body(), MAX_BUFFERED_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return DynamoDbError::Serialization(e.to_string()).into_response(request_id);
        }
    };
    let result = if let Some(op) = target.strip_prefix(TARGET_PREFIX) {
        let result = if op == "ExportTableToPointInTime" {
            export(engine, region, &body).await
        } else {
            dispatch(engine, region, op, &body)
        };
        if AUDITED.contains(&op) {
            engine.audit(region, op, &audit_resource(&body), principal, &result);
        } else if op == "BatchWriteItem" {
            for table in batch_delete_tables(&body) {
                engine.audit(region, op, &table, principal, &result);
            }
        }
        result
    } else if let Some(op) = target.strip_prefix(STREAMS_TARGET_PREFIX) {
        dispatch_streams(engine, region, op, &body)
    } else {
        Err(DynamoDbError::UnknownOperation(format!(
            "Unknown operation: X-Amz-Target {target:?} does not name a DynamoDB_20120810 or DynamoDBStreams_20120810 operation"
        )))
    };
    match result {
        Ok(value) => {
            let text = value.to_string();
            let crc = firedrill_emu_core::checksum::crc32(text.as_bytes());
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/x-amz-json-1.0")
                .header("x-amzn-requestid", request_id)
                .header("x-amz-crc32", crc.to_string())
                .body(Body::from(text))
                .unwrap_or_else(|_| {
                    DynamoDbError::InternalServerError("could not build the response".to_owned())
                        .into_response(request_id)
                })
        }
        Err(e) => {
            tracing::debug!(target = %target, code = e.code(), message = %e, "dynamodb error");
            e.into_response(request_id)
        }
    }
}

/// `ExportTableToPointInTime`: the engine accepts the export, then its
/// objects are written through the export store and the export completes
/// (or fails) before the call answers with the `IN_PROGRESS` description,
/// so a client polling `DescribeExport` sees it finished.
async fn export(engine: &Engine, region: &str, body: &[u8]) -> Result<Value> {
    let input = decode(body)?;
    let (description, pending) = engine.export_table(region, input)?;
    if let Some(pending) = pending {
        let outcome = match engine.export_store() {
            Some(store) => crate::exports::write(store, &pending).await,
            None => Err(crate::exports::ExportStoreError::Failed(
                "this emulator has no S3 to export to".to_owned(),
            )),
        };
        engine.finish_export(region, &pending, outcome);
    }
    Ok(json!({ "ExportDescription": encode(&description)? }))
}

/// Decodes, runs and encodes one DynamoDB Streams operation.
pub fn dispatch_streams(engine: &Engine, region: &str, op: &str, body: &[u8]) -> Result<Value> {
    match op {
        "ListStreams" => encode(&engine.list_streams(region, decode(body)?)?),
        "DescribeStream" => encode(&engine.describe_stream(region, decode(body)?)?),
        "GetShardIterator" => encode(&engine.get_shard_iterator(region, decode(body)?)?),
        "GetRecords" => encode(&engine.get_records(region, decode(body)?)?),
        other => Err(DynamoDbError::UnknownOperation(format!(
            "Unknown operation: {other}"
        ))),
    }
}

/// Decodes, runs and encodes one operation.
pub fn dispatch(engine: &Engine, region: &str, op: &str, body: &[u8]) -> Result<Value> {
    match op {
        "CreateTable" => Ok(json!({ "TableDescription": engine.create_table(region, decode(body)?)? })),
        "DescribeTable" => {
            let i: TableNameInput = decode(body)?;
            Ok(json!({ "Table": engine.describe_table(region, &i.table_name)? }))
        }
        "ListTables" => encode(&engine.list_tables(region, decode(body)?)?),
        "DeleteTable" => {
            let i: TableNameInput = decode(body)?;
            Ok(json!({ "TableDescription": engine.delete_table(region, &i.table_name)? }))
        }
        "UpdateTable" => Ok(json!({ "TableDescription": engine.update_table(region, decode(body)?)? })),
        "PutItem" => encode(&engine.put_item(region, decode(body)?)?),
        "GetItem" => encode(&engine.get_item(region, decode(body)?)?),
        "DeleteItem" => encode(&engine.delete_item(region, decode(body)?)?),
        "UpdateItem" => encode(&engine.update_item(region, decode(body)?)?),
        "Query" => encode(&engine.query(region, decode(body)?)?),
        "Scan" => encode(&engine.scan(region, decode(body)?)?),
        "BatchWriteItem" => encode(&engine.batch_write_item(region, decode(body)?)?),
        "BatchGetItem" => encode(&engine.batch_get_item(region, decode(body)?)?),
        "TransactWriteItems" => {
            // Canonical JSON (object keys sorted), so that the same request
            // built twice has the same fingerprint whatever its map order.
            let canonical: Value = decode(body)?;
            let fingerprint = crate::items::fnv(canonical.to_string().as_bytes());
            encode(&engine.transact_write_items(region, decode(body)?, fingerprint)?)
        }
        "TransactGetItems" => encode(&engine.transact_get_items(region, decode(body)?)?),
        "TagResource" => {
            let i: TagResourceInput = decode(body)?;
            engine.tag_resource(region, &i.resource_arn, i.tags)?;
            Ok(json!({}))
        }
        "UntagResource" => {
            let i: UntagResourceInput = decode(body)?;
            engine.untag_resource(region, &i.resource_arn, &i.tag_keys)?;
            Ok(json!({}))
        }
        "ListTagsOfResource" => {
            let i: ListTagsOfResourceInput = decode(body)?;
            encode(&ListTagsOfResourceOutput {
                tags: engine.list_tags(region, &i.resource_arn)?,
            })
        }
        "UpdateTimeToLive" => Ok(json!({
            "TimeToLiveSpecification": engine.update_ttl(region, decode(body)?)?
        })),
        "DescribeTimeToLive" => {
            let i: TableNameInput = decode(body)?;
            Ok(json!({ "TimeToLiveDescription": engine.describe_ttl(region, &i.table_name)? }))
        }
        "UpdateContinuousBackups" => Ok(json!({
            "ContinuousBackupsDescription": engine.update_continuous_backups(region, decode(body)?)?
        })),
        "DescribeContinuousBackups" => {
            let i: TableNameInput = decode(body)?;
            Ok(json!({
                "ContinuousBackupsDescription": engine.describe_continuous_backups(region, &i.table_name)?
            }))
        }
        "RestoreTableToPointInTime" => Ok(json!({
            "TableDescription": engine.restore_table_to_point_in_time(region, decode(body)?)?
        })),
        "RestoreTableFromBackup" => Ok(json!({
            "TableDescription": engine.restore_table_from_backup(region, decode(body)?)?
        })),
        "CreateBackup" => {
            let i: CreateBackupInput = decode(body)?;
            let d = engine.create_backup(region, &i.table_name, &i.backup_name, BackupType::User)?;
            Ok(json!({ "BackupDetails": d.backup_details }))
        }
        "DescribeBackup" => {
            let i: BackupArnInput = decode(body)?;
            Ok(json!({ "BackupDescription": engine.describe_backup(&i.backup_arn)? }))
        }
        "DeleteBackup" => {
            let i: BackupArnInput = decode(body)?;
            Ok(json!({ "BackupDescription": engine.delete_backup(&i.backup_arn)? }))
        }
        "ListBackups" => encode(&engine.list_backups(region, decode(body)?)?),
        "DescribeExport" => Ok(json!({
            "ExportDescription": engine.describe_export(region, decode(body)?)?
        })),
        "ListExports" => encode(&engine.list_exports(region, decode(body)?)?),
        "DescribeEndpoints" => Ok(json!({
            "Endpoints": [{ "Address": format!("dynamodb.{region}.amazonaws.com"), "CachePeriodInMinutes": 1440 }]
        })),
        "DescribeLimits" => Ok(json!({
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000
        })),
        other if UNSUPPORTED.contains(&other) => Err(DynamoDbError::UnknownOperation(format!(
            "The DynamoDB operation {other} is not supported by firedrill"
        ))),
        other => Err(DynamoDbError::UnknownOperation(format!(
            "Unknown operation: {other}"
        ))),
    }
}
