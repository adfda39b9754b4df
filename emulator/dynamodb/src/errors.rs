//! DynamoDB's errors: one enum with AWS's error codes, and the one place
//! where they become JSON 1.0 error responses.
//!
//! Every error is a client error (HTTP 400) except `InternalServerError`.
//! Most map to `firedrill_emu_core::error::json_1_0`; the two that carry
//! extra members (`ConditionalCheckFailedException` with `Item`,
//! `TransactionCanceledException` with `CancellationReasons`) are built here
//! in the same shape with those members added.

use crate::protocol::CancellationReason;
use firedrill_ddb_expr::Item;
use firedrill_emu_core::Body;
use http::{Response, StatusCode};

/// The namespace of DynamoDB's error shapes.
pub const ERROR_PREFIX: &str = "com.amazonaws.dynamodb.v20120810";

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
    /// A fault of the emulator itself.
    #[error("{0}")]
    InternalServerError(String),
}

impl DynamoDbError {
    /// A `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation(message.into())
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

    /// The error as DynamoDB's JSON 1.0 error response.
    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let extra = match &self {
            Self::ConditionalCheckFailed { item: Some(item), .. } => {
                Some(("Item", serde_json::to_value(item).unwrap_or_default()))
            }
            Self::TransactionCanceled { reasons, .. } => Some((
                "CancellationReasons",
                serde_json::to_value(reasons).unwrap_or_default(),
            )),
            _ => None,
        };
        let message = self.to_string();
        let Some((name, value)) = extra else {
            return firedrill_emu_core::error::json_1_0(
                self.status(),
                ERROR_PREFIX,
                self.code(),
                &message,
                request_id,
            );
        };
        let body = serde_json::json!({
            "__type": format!("{ERROR_PREFIX}#{}", self.code()),
            "message": message,
            name: value,
        });
        Response::builder()
            .status(self.status())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amzn-requestid", request_id)
            .body(Body::from(body.to_string()))
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
