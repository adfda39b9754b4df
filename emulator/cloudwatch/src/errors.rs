//! CloudWatch's errors: one enum with the model's exception shapes, their
//! Query error codes (what the SDKs report, through `x-amzn-query-error`)
//! and HTTP statuses, turned into the wire's error shape in one place
//! ([`CloudWatchError::into_response`]).

use crate::wire::{self, Encoding};
use firedrill_emu_core::Body;
use http::StatusCode;

/// A CloudWatch error as AWS reports it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CloudWatchError {
    /// `InvalidParameterValue` (`InvalidParameterValueException`).
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `InvalidParameterCombination` (`InvalidParameterCombinationException`).
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// `MissingParameter` (`MissingRequiredParameterException`).
    #[error("{0}")]
    MissingParameter(String),
    /// `ResourceNotFound`.
    #[error("{0}")]
    ResourceNotFound(String),
    /// `InvalidNextToken`.
    #[error("{0}")]
    InvalidNextToken(String),
    /// `InvalidFormat` (`InvalidFormatFault`).
    #[error("{0}")]
    InvalidFormat(String),
    /// `LimitExceeded` (`LimitExceededFault`).
    #[error("{0}")]
    LimitExceeded(String),
    /// A body that is not the protocol's (`SerializationException`).
    #[error("{0}")]
    Serialization(String),
    /// An operation CloudWatch has that firedrill does not serve, or none
    /// at all (`UnknownOperationException`).
    #[error("{0}")]
    UnknownOperation(String),
}

impl CloudWatchError {
    /// The model's exception shape name (the `__type` of the answer).
    pub fn shape(&self) -> &'static str {
        match self {
            Self::InvalidParameterValue(_) => "InvalidParameterValueException",
            Self::InvalidParameterCombination(_) => "InvalidParameterCombinationException",
            Self::MissingParameter(_) => "MissingRequiredParameterException",
            Self::ResourceNotFound(_) => "ResourceNotFound",
            Self::InvalidNextToken(_) => "InvalidNextToken",
            Self::InvalidFormat(_) => "InvalidFormatFault",
            Self::LimitExceeded(_) => "LimitExceededFault",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
        }
    }

    /// The Query error code the SDKs report.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::InvalidParameterCombination(_) => "InvalidParameterCombination",
            Self::MissingParameter(_) => "MissingParameter",
            Self::ResourceNotFound(_) => "ResourceNotFound",
            Self::InvalidNextToken(_) => "InvalidNextToken",
            Self::InvalidFormat(_) => "InvalidFormat",
            Self::LimitExceeded(_) => "LimitExceeded",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::ResourceNotFound(_) | Self::UnknownOperation(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The answer in `encoding`.
    pub fn into_response(self, encoding: Encoding, request_id: &str) -> http::Response<Body> {
        wire::error(
            encoding,
            self.status(),
            self.shape(),
            self.code(),
            &self.to_string(),
            request_id,
        )
    }

    /// `MissingParameter` for a required member.
    pub fn missing(name: &str) -> Self {
        Self::MissingParameter(format!("The parameter {name} is required."))
    }

    /// `InvalidParameterValue` naming the member and why.
    pub fn invalid(name: &str, why: impl std::fmt::Display) -> Self {
        Self::InvalidParameterValue(format!("The parameter {name} {why}"))
    }
}

/// A result with a [`CloudWatchError`].
pub type CwResult<T> = Result<T, CloudWatchError>;
