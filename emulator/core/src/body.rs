//! Small helpers for request and response bodies.

use crate::service::Body;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

/// The largest non-streaming request body a service reads (DynamoDB's own
/// limit on a request is 16 MB; RDS and Backup bodies are far smaller).
pub const MAX_BUFFERED_BODY: usize = 32 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The client sent more than the limit.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// The connection failed mid-body.
    #[error("could not read the request body: {0}")]
    Read(String),
}

/// Reads a whole body, refusing more than `limit` bytes.
pub async fn collect(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("length limit") {
            BodyError::TooLarge(limit)
        } else {
            BodyError::Read(text)
        }
    })
}

/// A response body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Body::from(bytes.into())
}

/// A whole response: `status`, a `content_type` and `bytes`. Built without
/// `Response::builder`, whose `expect` on header parsing would be a panic
/// path; a static content type is always a valid header value.
pub fn response(status: StatusCode, content_type: &'static str, bytes: impl Into<Bytes>) -> Response<Body> {
    let mut resp = Response::new(full(bytes));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}
