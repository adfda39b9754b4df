//! SNS's errors: one enum with the codes and HTTP statuses of the botocore
//! model, answered in the Query protocol's XML error shape by the core's
//! `query_xml`.

use firedrill_emu_core::Body;
use http::StatusCode;

/// An SNS error as AWS reports it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SnsError {
    /// `InvalidParameter`.
    #[error("{0}")]
    InvalidParameter(String),
    /// `ValidationError`: a required member is absent.
    #[error("{0}")]
    Validation(String),
    /// `NotFound`.
    #[error("{0}")]
    NotFound(String),
    /// `InvalidAction`: not an action SNS has or firedrill serves.
    #[error("{0}")]
    InvalidAction(String),
}

impl SnsError {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameter(_) => "InvalidParameter",
            Self::Validation(_) => "ValidationError",
            Self::NotFound(_) => "NotFound",
            Self::InvalidAction(_) => "InvalidAction",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The Query XML error answer.
    pub fn into_response(self, request_id: &str) -> http::Response<Body> {
        firedrill_emu_core::error::query_xml(
            firedrill_emu_core::protocol::QueryApi::Sns.xmlns(),
            self.status(),
            self.code(),
            &self.to_string(),
            request_id,
        )
    }

    /// `ValidationError` for a required member, in AWS's words.
    pub fn missing(member: &str) -> Self {
        let mut chars = member.chars();
        let lower: String = chars
            .next()
            .map(|c| c.to_ascii_lowercase())
            .into_iter()
            .chain(chars)
            .collect();
        Self::Validation(format!(
            "1 validation error detected: Value null at '{lower}' failed to satisfy constraint: Member must not be null"
        ))
    }

    /// `InvalidParameter` naming the parameter, in AWS's words.
    pub fn invalid(what: impl std::fmt::Display) -> Self {
        Self::InvalidParameter(format!("Invalid parameter: {what}"))
    }

    /// `NotFound` for a topic.
    pub fn no_topic() -> Self {
        Self::NotFound("Topic does not exist".into())
    }
}

/// A result with an [`SnsError`].
pub type SnsResult<T> = Result<T, SnsError>;
