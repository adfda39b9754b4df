//! STS's errors, with the codes and statuses of the botocore model and of
//! AWS's Query front end, answered in the Query error shape.

use firedrill_emu_core::Body;
use http::StatusCode;

/// An STS refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// `ValidationError` (400): a parameter breaks its constraint.
    #[error("{0}")]
    Validation(String),
    /// `MalformedPolicyDocument` (400): the session policy is not a JSON policy.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// `PackedPolicyTooLarge` (400): the session policy is too large.
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// `AccessDenied` (403): the role cannot be assumed by this caller.
    #[error("{0}")]
    AccessDenied(String),
    /// `MissingAuthenticationToken` (403): the request is not signed.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// `InvalidAction` (400): not an STS action, or one firedrill does not serve.
    #[error("{0}")]
    InvalidAction(String),
    /// `MissingAction` (400): no `Action` parameter.
    #[error("Missing Action")]
    MissingAction,
    /// `InternalFailure` (500): the request body could not be read.
    #[error("{0}")]
    Internal(String),
}

impl StsError {
    /// The error code on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationError",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Self::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            Self::AccessDenied(_) => "AccessDenied",
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::InvalidAction(_) => "InvalidAction",
            Self::MissingAction => "MissingAction",
            Self::Internal(_) => "InternalFailure",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::AccessDenied(_) | Self::MissingAuthenticationToken => StatusCode::FORBIDDEN,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The answer in the Query error shape.
    pub fn into_response(&self, request_id: &str) -> http::Response<Body> {
        firedrill_emu_core::error::query_xml(
            firedrill_emu_core::protocol::QueryApi::Sts.xmlns(),
            self.status(),
            self.code(),
            &self.to_string(),
            request_id,
        )
    }
}
