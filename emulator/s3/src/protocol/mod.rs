//! The protocol layer: s3s's typed S3 operations mapped onto the engine.
//!
//! s3s parses the REST/XML wire format into one typed input per operation
//! and serialises the typed outputs; this module implements its `S3` trait
//! by converting those types to and from the engine's, and maps
//! [`S3EngineError`] to S3's XML error shape in one place
//! ([`to_s3_error`]). The request's region (from its SigV4 scope, found by
//! the core's router) arrives in the request extensions as [`ReqInfo`].
//!
//! Operations implemented here are listed in the crate documentation; every
//! other S3 operation falls through to s3s's default, which the service
//! rewrites into a `NotImplemented` error naming firedrill.

mod access;
mod acl;
mod attributes;
mod checksums;
mod conditions;
mod configs;
mod convert;
mod multipart;
mod ops;

pub(crate) use checksums::ChunkTrailers;

use crate::engine::Engine;
use crate::error::S3EngineError;
use http::{HeaderMap, HeaderValue, StatusCode};
use s3s::{S3Error, S3ErrorCode, S3Request};
use std::sync::Arc;

/// What the core's router knew of the request.
#[derive(Debug, Clone)]
pub(crate) struct ReqInfo {
    /// The region the request was signed for.
    pub region: String,
    /// The request id echoed in errors and `x-amz-request-id`.
    pub request_id: String,
    /// Who made the request, for the audit trail.
    pub principal: String,
}

/// A success status other than the one s3s writes for the operation (s3s
/// ignores `S3Response::status` for most operations); the service applies it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatusOverride(pub StatusCode);

/// Marks a response whose XML `ETag` S3 writes bare (GetObjectAttributes)
/// where s3s always quotes it; the service unquotes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BareETag;

/// The s3s `S3` implementation over the engine.
#[derive(Debug, Clone)]
pub(crate) struct Handler {
    pub engine: Arc<Engine>,
}

pub(crate) fn info<T>(req: &S3Request<T>) -> ReqInfo {
    req.extensions
        .get::<ReqInfo>()
        .cloned()
        .unwrap_or_else(|| ReqInfo {
            region: req
                .region
                .as_ref()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_else(|| "us-east-1".to_owned()),
            request_id: String::new(),
            principal: "anonymous".to_owned(),
        })
}

fn header(v: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(v).ok()
}

/// The private header that carries an error's extra elements
/// ([`S3EngineError::extra_elements`], form-urlencoded) from the handler,
/// through s3s, to the service, which writes them into the error document
/// and removes the header.
pub(crate) const EXTRA_ELEMENTS_HEADER: &str = "x-firedrill-error-elements";

/// Turns an engine error into S3's XML error, with the headers AWS sends
/// along with some of them.
pub(crate) fn to_s3_error(e: S3EngineError, request_id: &str) -> S3Error {
    let code =
        S3ErrorCode::from_bytes(e.code().as_bytes()).unwrap_or_else(|| S3ErrorCode::Custom(e.code().into()));
    let mut err = S3Error::with_message(code, e.to_string());
    if let Ok(status) = StatusCode::from_u16(e.status()) {
        err.set_status_code(status);
    }
    if !request_id.is_empty() {
        err.set_request_id(request_id);
    }
    let mut h = HeaderMap::new();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    if let Some(v) = header(request_id) {
        h.insert("x-amz-request-id", v);
    }
    let extras = e.extra_elements();
    if !extras.is_empty() {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(extras)
            .finish();
        if let Some(v) = header(&encoded) {
            h.insert(EXTRA_ELEMENTS_HEADER, v);
        }
    }
    match &e {
        S3EngineError::NoSuchKey {
            delete_marker: Some((vid, _)),
            ..
        } => {
            h.insert("x-amz-delete-marker", HeaderValue::from_static("true"));
            if vid != crate::engine::model::NULL_VERSION
                && let Some(v) = header(vid)
            {
                h.insert("x-amz-version-id", v);
            }
        }
        S3EngineError::MethodNotAllowed {
            version_id,
            last_modified,
        } => {
            h.insert("x-amz-delete-marker", HeaderValue::from_static("true"));
            h.insert("allow", HeaderValue::from_static("DELETE"));
            if let Some(v) = header(version_id) {
                h.insert("x-amz-version-id", v);
            }
            if let Some(v) = header(&last_modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
                h.insert(http::header::LAST_MODIFIED, v);
            }
        }
        S3EngineError::PermanentRedirect { region, .. } => {
            if let Some(v) = header(region) {
                h.insert("x-amz-bucket-region", v);
            }
        }
        S3EngineError::InvalidRange { size } => {
            if let Some(v) = header(&format!("bytes */{size}")) {
                h.insert(http::header::CONTENT_RANGE, v);
            }
        }
        _ => {}
    }
    err.set_headers(h);
    err
}

/// Shorthand for the engine errors of one request.
pub(crate) trait OrS3<T> {
    fn or_s3(self, info: &ReqInfo) -> Result<T, S3Error>;
}

impl<T> OrS3<T> for Result<T, S3EngineError> {
    fn or_s3(self, info: &ReqInfo) -> Result<T, S3Error> {
        self.map_err(|e| to_s3_error(e, &info.request_id))
    }
}

impl s3s::stream::ByteStream for crate::blob::BlobStream {
    fn remaining_length(&self) -> s3s::stream::RemainingLength {
        s3s::stream::RemainingLength::new_exact(usize::try_from(self.remaining()).unwrap_or(usize::MAX))
    }
}
