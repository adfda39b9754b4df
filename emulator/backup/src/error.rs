//! The one error type of the AWS Backup service, with AWS's error codes, and
//! its mapping to AWS's REST-JSON error shape (`x-amzn-ErrorType` plus
//! `{"Code", "Message"}`, which aws-sdk-backup and botocore both read).

use firedrill_emu_core::Body;
use http::{Response, StatusCode};

/// Why an AWS Backup request failed, by AWS's own error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    /// A parameter's value is wrong (out of range, bad pattern, bad ARN).
    #[error("{0}")]
    InvalidParameterValue(String),
    /// A required parameter is missing.
    #[error("{0}")]
    MissingParameterValue(String),
    /// A resource the request names does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    /// The resource to create already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The request cannot be done in the resource's current state
    /// (for example deleting a vault that still holds recovery points).
    #[error("{0}")]
    InvalidRequest(String),
    /// Backup is already acting on the recovery point.
    #[error("{0}")]
    InvalidResourceState(String),
    /// The request body is not the JSON the operation expects.
    #[error("{0}")]
    Serialization(String),
    /// The operation exists in AWS Backup but firedrill does not emulate it.
    #[error("{0}")]
    UnsupportedOperation(String),
    /// An explicit `Deny` in the vault's access policy refuses the call.
    #[error("{0}")]
    AccessDenied(String),
    /// The request body is larger than AWS Backup accepts.
    #[error("{0}")]
    TooLarge(String),
}

impl BackupError {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameterValue(_) => "InvalidParameterValueException",
            Self::MissingParameterValue(_) => "MissingParameterValueException",
            Self::ResourceNotFound(_) => "ResourceNotFoundException",
            Self::AlreadyExists(_) => "AlreadyExistsException",
            Self::InvalidRequest(_) => "InvalidRequestException",
            Self::InvalidResourceState(_) => "InvalidResourceStateException",
            Self::Serialization(_) => "SerializationException",
            Self::UnsupportedOperation(_) => "UnknownOperationException",
            Self::AccessDenied(_) => "AccessDeniedException",
            Self::TooLarge(_) => "RequestEntityTooLargeException",
        }
    }

    /// The HTTP status AWS Backup answers the error with.
    pub fn status(&self) -> StatusCode {
        match self {
            // IAM's refusal and the front end's size limit keep their own
            // statuses, as on every AWS service.
            Self::AccessDenied(_) => StatusCode::FORBIDDEN,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            // The model gives none of Backup's errors an HTTP status of its
            // own, so every other client error is a 400, as the service
            // sends them.
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// AWS's REST-JSON error response.
    pub fn into_response(self, request_id: &str) -> Response<Body> {
        firedrill_emu_core::error::rest_json(self.status(), self.code(), &self.to_string(), request_id)
    }

    /// Shorthand for a missing parameter.
    pub fn missing(name: &str) -> Self {
        Self::MissingParameterValue(format!("Missing required parameter: {name}"))
    }

    /// Shorthand for an invalid parameter.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidParameterValue(message.into())
    }

    /// Shorthand for a resource that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::ResourceNotFound(message.into())
    }
}

/// The result of an AWS Backup operation.
pub type BackupResult<T> = Result<T, BackupError>;
