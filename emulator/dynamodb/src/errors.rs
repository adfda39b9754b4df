//! DynamoDB's errors: one enum with AWS's error codes, and the one place
//! where they become JSON 1.0 error responses.
//!
//! Every error is a client error (HTTP 400) except `InternalServerError`.
//! Bodies are as AWS writes them: `__type` in the namespace AWS uses for the
//! error (`com.amazon.coral.validate` for validation,
//! `com.amazon.coral.service` for unreadable requests and unknown
//! operations, DynamoDB's own for the rest), the message under `message` or,
//! for the errors whose model member is capitalised
//! (`TransactionCanceledException`, `IdempotentParameterMismatchException`,
//! `SerializationException`), `Message`; `Item` on
//! `ConditionalCheckFailedException` when the request asked for
//! `ReturnValuesOnConditionCheckFailure: ALL_OLD`, `CancellationReasons` on
//! `TransactionCanceledException`. Every response carries `x-amz-crc32`.

use crate::protocol::CancellationReason;
use firedrill_ddb_expr::Item;
use firedrill_emu_core::Body;
use http::{Response, StatusCode};

/// The namespace of DynamoDB's error shapes.
pub const ERROR_PREFIX: &str = "com.amazonaws.dynamodb.v20120810";
/// The namespace AWS gives `ValidationException`.
pub const VALIDATION_PREFIX: &str = "com.amazon.coral.validate";
/// The namespace AWS gives `SerializationException` and
/// `UnknownOperationException`.
pub const FRAMEWORK_PREFIX: &str = "com.amazon.coral.service";

/// The message AWS sends when a table does not exist.
pub const NOT_FOUND: &str = "Requested resource not found";

/// A DynamoDB error, named after AWS's error code.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum DynamoDbError {
    /// Bad input.
    #[error("{0}")]
    Validation(String),
    /// A body that is not JSON or does not have the operation's shape.
    #[error("{0}")]
    Serialization(String),
    /// An X-Amz-Target this service does not know or does not support.
    #[error("{0}")]
    UnknownOperation(String),
    /// A missing table or index.
    #[error("{0}")]
    ResourceNotFound(String),
    /// A table in the wrong state, or a name already taken.
    #[error("{0}")]
    ResourceInUse(String),
    /// A condition expression evaluated to false.
    #[error("{message}")]
    ConditionalCheckFailed {
        /// The message.
        message: String,
        /// The item as it was, when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`.
        item: Option<Item>,
    },
    /// A transaction was refused; one reason per action, in order.
    #[error("{message}")]
    TransactionCanceled {
        /// The message, listing the reason codes.
        message: String,
        /// Per action: `None` code, or why it failed.
        reasons: Vec<CancellationReason>,
    },
    /// A restore target already exists.
    #[error("{0}")]
    TableAlreadyExists(String),
    /// A restore or backup source table does not exist.
    #[error("{0}")]
    TableNotFound(String),
    /// A table is busy (being created, deleted or restored).
    #[error("{0}")]
    TableInUse(String),
    /// A restore time outside the recovery window.
    #[error("{0}")]
    InvalidRestoreTime(String),
    /// A point-in-time restore from a table without PITR.
    #[error("{0}")]
    PointInTimeRecoveryUnavailable(String),
    /// Continuous backups cannot be changed now.
    #[error("{0}")]
    ContinuousBackupsUnavailable(String),
    /// No such backup.
    #[error("{0}")]
    BackupNotFound(String),
    /// A backup is busy.
    #[error("{0}")]
    BackupInUse(String),
    /// Too many concurrent control-plane operations or resources.
    #[error("{0}")]
    LimitExceeded(String),
    /// A `ClientRequestToken` reused with different parameters.
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// A stream shard iterator older than 15 minutes.
    #[error("{0}")]
    ExpiredIterator(String),
    /// A stream read before the shard's trim horizon (24 hours).
    #[error("{0}")]
    TrimmedDataAccess(String),
    /// No such export.
    #[error("{0}")]
    ExportNotFound(String),
    /// An export with the same client token and other parameters.
    #[error("{0}")]
    ExportConflict(String),
    /// An export time outside the recovery window.
    #[error("{0}")]
    InvalidExportTime(String),
    /// A fault of the emulator itself.
    #[error("{0}")]
    InternalServerError(String),
}

/// The `ValidationException` AWS's request validation sends for a
/// required member that is missing.
pub(crate) fn not_null(value: &str, member: &str) -> Result<()> {
    if value.is_empty() {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        )));
    }
    Ok(())
}

/// The `ValidationException` AWS's request validation sends for a value
/// outside a member's enum; an absent value passes.
pub(crate) fn one_of(value: Option<&str>, member: &str, allowed: &[&str]) -> Result<()> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{v}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

impl DynamoDbError {
    /// A `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation(message.into())
    }

    /// The `ValidationException` DynamoDB answers when the table's (or the
    /// requested) customer managed KMS key cannot be used: `KMS key
    /// disabled error: ...DisabledException: <arn> is disabled. (...)` for
    /// a disabled key, `KMS validation error: ...` for one pending deletion
    /// or gone, the KMS client's text embedded as AWS embeds it.
    pub fn kms(refusal: &firedrill_emu_core::keys::KeyRefusal) -> Self {
        use firedrill_emu_core::keys::KeyRefusal;
        let kind = match refusal {
            KeyRefusal::Disabled(_) => "KMS key disabled error",
            KeyRefusal::PendingDeletion(_) | KeyRefusal::NotFound(_) => "KMS validation error",
        };
        Self::Validation(format!("{kind}: {}", refusal.relayed()))
    }

    /// The `ResourceNotFoundException` AWS sends for a missing table.
    pub fn table_missing() -> Self {
        Self::ResourceNotFound(NOT_FOUND.to_owned())
    }

    /// AWS's error code (the part after `#` in `__type`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationException",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::ResourceNotFound(_) => "ResourceNotFoundException",
            Self::ResourceInUse(_) => "ResourceInUseException",
            Self::ConditionalCheckFailed { .. } => "ConditionalCheckFailedException",
            Self::TransactionCanceled { .. } => "TransactionCanceledException",
            Self::TableAlreadyExists(_) => "TableAlreadyExistsException",
            Self::TableNotFound(_) => "TableNotFoundException",
            Self::TableInUse(_) => "TableInUseException",
            Self::InvalidRestoreTime(_) => "InvalidRestoreTimeException",
            Self::PointInTimeRecoveryUnavailable(_) => "PointInTimeRecoveryUnavailableException",
            Self::ContinuousBackupsUnavailable(_) => "ContinuousBackupsUnavailableException",
            Self::BackupNotFound(_) => "BackupNotFoundException",
            Self::BackupInUse(_) => "BackupInUseException",
            Self::LimitExceeded(_) => "LimitExceededException",
            Self::ExpiredIterator(_) => "ExpiredIteratorException",
            Self::TrimmedDataAccess(_) => "TrimmedDataAccessException",
            Self::ExportNotFound(_) => "ExportNotFoundException",
            Self::ExportConflict(_) => "ExportConflictException",
            Self::InvalidExportTime(_) => "InvalidExportTimeException",
            Self::IdempotentParameterMismatch(_) => "IdempotentParameterMismatchException",
            Self::InternalServerError(_) => "InternalServerError",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InternalServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The namespace AWS writes before the code in `__type`: validation
    /// and wire errors come from AWS's service framework, the rest from
    /// DynamoDB's own model.
    pub fn type_prefix(&self) -> &'static str {
        match self {
            Self::Validation(_) => VALIDATION_PREFIX,
            Self::Serialization(_) | Self::UnknownOperation(_) => FRAMEWORK_PREFIX,
            _ => ERROR_PREFIX,
        }
    }

    /// The member that carries the message, spelled as AWS spells it for
    /// this error (the service model names most `message`, a few `Message`).
    pub fn message_member(&self) -> &'static str {
        match self {
            Self::TransactionCanceled { .. }
            | Self::IdempotentParameterMismatch(_)
            | Self::Serialization(_) => "Message",
            _ => "message",
        }
    }

    /// The error as DynamoDB's JSON 1.0 error body: `__type`, the message
    /// under the member AWS uses, and `Item` or `CancellationReasons` for
    /// the errors that carry them.
    pub fn body(&self) -> String {
        let mut body = serde_json::Map::new();
        body.insert(
            "__type".to_owned(),
            format!("{}#{}", self.type_prefix(), self.code()).into(),
        );
        body.insert(self.message_member().to_owned(), self.to_string().into());
        match self {
            Self::ConditionalCheckFailed { item: Some(item), .. } => {
                body.insert("Item".to_owned(), serde_json::to_value(item).unwrap_or_default());
            }
            Self::TransactionCanceled { reasons, .. } => {
                body.insert(
                    "CancellationReasons".to_owned(),
                    serde_json::to_value(reasons).unwrap_or_default(),
                );
            }
            _ => {}
        }
        serde_json::Value::Object(body).to_string()
    }

    /// The error as DynamoDB's JSON 1.0 error response, with the body's
    /// CRC-32 in `x-amz-crc32` as AWS sends it.
    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let body = self.body();
        let crc = firedrill_emu_core::checksum::crc32(body.as_bytes());
        Response::builder()
            .status(self.status())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amzn-requestid", request_id)
            .header("x-amz-crc32", crc.to_string())
            .body(Body::from(body))
            .unwrap_or_else(|_| {
                firedrill_emu_core::error::json_1_0(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ERROR_PREFIX,
                    "InternalServerError",
                    "could not build the error response",
                    "",
                )
            })
    }
}

/// The result type of the engine and protocol.
pub type Result<T, E = DynamoDbError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::DynamoDbError;
    use serde_json::{Value, json};

    fn body(e: DynamoDbError) -> Value {
        serde_json::from_str(&e.body()).unwrap()
    }

    #[test]
    fn bodies_name_the_namespace_and_message_member_aws_uses() {
        assert_eq!(
            body(DynamoDbError::Serialization("bad".into())),
            json!({"__type": "com.amazon.coral.service#SerializationException", "Message": "bad"})
        );
        assert_eq!(
            body(DynamoDbError::UnknownOperation("no".into())),
            json!({"__type": "com.amazon.coral.service#UnknownOperationException", "message": "no"})
        );
        assert_eq!(
            body(DynamoDbError::validation("v")),
            json!({"__type": "com.amazon.coral.validate#ValidationException", "message": "v"})
        );
        assert_eq!(
            body(DynamoDbError::table_missing()),
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                "message": "Requested resource not found"
            })
        );
    }
}
