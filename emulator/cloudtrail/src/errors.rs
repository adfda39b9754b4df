//! CloudTrail's errors: one enum named after AWS's error codes, and the one
//! place where they become AWS JSON 1.1 error responses.
//!
//! Bodies are `{"__type": "<Code>", "message": "..."}` with
//! `Content-Type: application/x-amz-json-1.1`, every one HTTP 400; the front
//! end's own errors (an unreadable body, an unknown target) carry the
//! `com.amazon.coral.service` namespace.

use firedrill_emu_core::Body;
use firedrill_emu_core::body::response;
use firedrill_emu_core::protocol::COMMON_JSON_PREFIX;
use http::{HeaderValue, Response, StatusCode};

/// A CloudTrail error, named after AWS's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailError {
    /// A lookup attribute with an unknown key, a value out of range, or more
    /// than one attribute.
    #[error("{0}")]
    InvalidLookupAttributes(String),
    /// `StartTime` after `EndTime`.
    #[error("{0}")]
    InvalidTimeRange(String),
    /// `MaxResults` outside 1 to 50.
    #[error("{0}")]
    InvalidMaxResults(String),
    /// A `NextToken` this service did not hand out for these parameters.
    #[error("{0}")]
    InvalidNextToken(String),
    /// An `EventCategory` other than `insight`.
    #[error("{0}")]
    InvalidEventCategory(String),
    /// A CloudTrail operation AWS serves and this emulator does not.
    #[error("{0}")]
    UnsupportedOperation(String),
    /// A body that is not JSON or has a member of the wrong type.
    #[error("{0}")]
    Serialization(String),
    /// An `X-Amz-Target` that names no CloudTrail operation.
    #[error("{0}")]
    UnknownOperation(String),
}

/// The result of a CloudTrail operation.
pub type Result<T> = std::result::Result<T, TrailError>;

impl TrailError {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidLookupAttributes(_) => "InvalidLookupAttributesException",
            Self::InvalidTimeRange(_) => "InvalidTimeRangeException",
            Self::InvalidMaxResults(_) => "InvalidMaxResultsException",
            Self::InvalidNextToken(_) => "InvalidNextTokenException",
            Self::InvalidEventCategory(_) => "InvalidEventCategoryException",
            Self::UnsupportedOperation(_) => "UnsupportedOperationException",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
        }
    }

    /// The `__type` of the error body.
    fn type_name(&self) -> String {
        match self {
            Self::Serialization(_) | Self::UnknownOperation(_) => {
                format!("{COMMON_JSON_PREFIX}#{}", self.code())
            }
            _ => self.code().to_owned(),
        }
    }

    /// The error as AWS's JSON 1.1 response.
    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let body = serde_json::json!({
            "__type": self.type_name(),
            "message": self.to_string(),
        });
        json_response(StatusCode::BAD_REQUEST, &body, request_id)
    }
}

/// A JSON 1.1 response with CloudTrail's headers.
pub fn json_response(status: StatusCode, body: &serde_json::Value, request_id: &str) -> Response<Body> {
    let mut resp = response(status, "application/x-amz-json-1.1", body.to_string());
    if let Ok(id) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amzn-requestid", id);
    }
    resp
}
