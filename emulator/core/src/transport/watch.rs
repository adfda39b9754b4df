//! Watching a request body on its way to a handler.
//!
//! The core cannot know when a handler reads its body, nor judge a body
//! before it has arrived, so it wraps it: [`Watched`] fails the body (the
//! handler sees a read error, as from a broken connection) when it
//!
//! - goes `body_idle_timeout` without a byte while the handler waits for it;
//! - grows past the protocol's largest request ([`max_body`]);
//! - ends with a SHA-256 other than the hex digest the client declared in
//!   `X-Amz-Content-SHA256` (S3 only; `UNSIGNED-PAYLOAD` and the
//!   `STREAMING-*` forms are not digests).
//!
//! and records why in a [`Verdict`]. Failing the body stops the handler
//! before it acts on an incomplete or corrupt request (the S3 engine stores
//! nothing from a body that fails); the dispatcher then answers with
//! [`BodyFault::answer`] in place of whatever the handler said.

use crate::protocol::Protocol;
use crate::service::Body;
use bytes::Bytes;
use http::{Response, StatusCode};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The largest request body each protocol takes: DynamoDB's 16 MB request
/// limit (KMS's requests, at most 4 KiB of plaintext, are far below it);
/// 1 MiB for the Query, CBOR and REST-JSON APIs (RDS, CloudWatch and Backup
/// requests are small parameter sets; CloudWatch's PutMetricData takes at
/// most 1 MB); S3's 5 GiB single-PUT limit.
pub fn max_body(protocol: Protocol) -> u64 {
    match protocol {
        Protocol::Json(_) => 16 * 1024 * 1024,
        Protocol::Query(_) | Protocol::Cbor | Protocol::RestJson => 1024 * 1024,
        Protocol::RestXml => 5 * 1024 * 1024 * 1024,
    }
}

/// Why a body was failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyFault {
    /// No byte arrived for this long while the handler waited.
    Idle(Duration),
    /// The body is larger than the protocol allows.
    TooLarge {
        /// The protocol's limit.
        limit: u64,
        /// The size the client declared or had sent when refused.
        size: u64,
    },
    /// The body's SHA-256 is not the one the client declared.
    Sha256Mismatch {
        /// What `X-Amz-Content-SHA256` said.
        declared: String,
        /// What the body hashes to.
        computed: String,
    },
}

impl BodyFault {
    /// AWS's answer to this fault in `protocol`. Answers to a body the
    /// server stopped reading ask the client to close the connection.
    pub fn answer(&self, protocol: Protocol, request_id: &str) -> Response<Body> {
        let mut resp = match (self, protocol) {
            (BodyFault::Idle(_), Protocol::RestXml) => protocol.error(
                StatusCode::BAD_REQUEST,
                "RequestTimeout",
                "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
                request_id,
            ),
            (BodyFault::Idle(idle), _) => protocol.error(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeoutException",
                &format!(
                    "The request body stopped arriving for {} ms; the connection is closed.",
                    idle.as_millis()
                ),
                request_id,
            ),
            (BodyFault::TooLarge { limit, size }, Protocol::RestXml) => crate::error::s3_xml_with(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed object size.",
                &[
                    ("ProposedSize", &size.to_string()),
                    ("MaxSizeAllowed", &limit.to_string()),
                ],
                request_id,
            ),
            (BodyFault::TooLarge { limit, .. }, Protocol::Query(_)) => protocol.error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                &format!("Request size exceeds the maximum allowed size of {limit} bytes."),
                request_id,
            ),
            (BodyFault::TooLarge { limit, .. }, _) => protocol.error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &format!("Request size exceeds the maximum allowed size of {limit} bytes."),
                request_id,
            ),
            (BodyFault::Sha256Mismatch { declared, computed }, _) => crate::error::s3_xml_with(
                StatusCode::BAD_REQUEST,
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                &[
                    ("ClientComputedContentSHA256", declared),
                    ("S3ComputedContentSHA256", computed),
                ],
                request_id,
            ),
        };
        if !matches!(self, BodyFault::Sha256Mismatch { .. }) {
            resp.headers_mut()
                .insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
        }
        resp
    }
}

/// Where a watched body records why it failed.
#[derive(Debug, Clone, Default)]
pub struct Verdict(Arc<parking_lot::Mutex<Option<BodyFault>>>);

impl Verdict {
    /// Why the body failed, if it did.
    pub fn take(&self) -> Option<BodyFault> {
        self.0.lock().take()
    }

    fn set(&self, fault: BodyFault) {
        self.0.lock().get_or_insert(fault);
    }
}

/// What a watched body checks.
#[derive(Debug, Clone)]
pub struct Watch {
    /// See [`crate::config::TransportLimits::body_idle_timeout`].
    pub idle_timeout: Duration,
    /// The largest body allowed.
    pub max_bytes: u64,
    /// The hex SHA-256 the body must have, lower-cased.
    pub sha256: Option<String>,
}

/// A request body under watch; see the module documentation.
pub struct Watched {
    inner: Body,
    watch: Watch,
    verdict: Verdict,
    seen: u64,
    hasher: Option<Sha256>,
    idle: Option<Pin<Box<Sleep>>>,
    failed: bool,
}

impl Watched {
    /// Watches `inner`; faults are recorded in `verdict`.
    pub fn new(inner: Body, watch: Watch, verdict: Verdict) -> Self {
        let hasher = watch.sha256.as_ref().map(|_| Sha256::new());
        Self {
            inner,
            watch,
            verdict,
            seen: 0,
            hasher,
            idle: None,
            failed: false,
        }
    }

    fn fail(&mut self, fault: BodyFault) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let message = format!("request body refused: {fault:?}");
        self.verdict.set(fault);
        self.failed = true;
        Poll::Ready(Some(Err(axum::Error::new(message))))
    }
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.idle = None;
                if let Some(data) = frame.data_ref() {
                    this.seen = this.seen.saturating_add(data.len() as u64);
                    if this.seen > this.watch.max_bytes {
                        let (limit, size) = (this.watch.max_bytes, this.seen);
                        return this.fail(BodyFault::TooLarge { limit, size });
                    }
                    if let Some(hasher) = this.hasher.as_mut() {
                        hasher.update(data);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                if let (Some(hasher), Some(declared)) = (this.hasher.take(), this.watch.sha256.clone()) {
                    let computed = hex::encode(hasher.finalize());
                    if computed != declared {
                        return this.fail(BodyFault::Sha256Mismatch { declared, computed });
                    }
                }
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Pending => {
                let idle_timeout = this.watch.idle_timeout;
                let idle = this
                    .idle
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + idle_timeout)));
                if idle.as_mut().poll(cx).is_ready() {
                    return this.fail(BodyFault::Idle(idle_timeout));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        // A digest still to be compared keeps the stream open until polled.
        self.hasher.is_none() && (self.failed || self.inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What an `X-Amz-Content-SHA256` header declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredPayload {
    /// `UNSIGNED-PAYLOAD` or a `STREAMING-*` form: nothing to compare.
    Undigested,
    /// The lower-case hex SHA-256 the body must have.
    Digest(String),
    /// Neither: S3 refuses the request.
    Invalid,
}

/// Reads an `X-Amz-Content-SHA256` value as S3 does.
pub fn content_sha256(value: &str) -> DeclaredPayload {
    const FORMS: [&str; 6] = [
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    ];
    if FORMS.contains(&value) {
        DeclaredPayload::Undigested
    } else if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        DeclaredPayload::Digest(value.to_ascii_lowercase())
    } else {
        DeclaredPayload::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(body: Body) -> Result<Bytes, crate::body::BodyError> {
        crate::body::collect(body, usize::MAX).await
    }

    fn watched(bytes: &'static [u8], watch: Watch) -> (Body, Verdict) {
        let verdict = Verdict::default();
        let body = Body::new(Watched::new(Body::from(bytes), watch, verdict.clone()));
        (body, verdict)
    }

    fn watch(max: u64, sha256: Option<&str>) -> Watch {
        Watch {
            idle_timeout: Duration::from_secs(5),
            max_bytes: max,
            sha256: sha256.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn a_body_with_its_declared_digest_passes() {
        let digest = crate::sigv4::payload_hash(b"hello");
        let (body, verdict) = watched(b"hello", watch(10, Some(&digest)));
        assert_eq!(read(body).await.unwrap(), Bytes::from_static(b"hello"));
        assert_eq!(verdict.take(), None);
    }

    #[tokio::test]
    async fn a_body_with_another_digest_fails_before_its_end() {
        let digest = crate::sigv4::payload_hash(b"other");
        let (body, verdict) = watched(b"hello", watch(10, Some(&digest)));
        assert!(read(body).await.is_err());
        assert!(matches!(verdict.take(), Some(BodyFault::Sha256Mismatch { .. })));
        let (body, verdict) = watched(b"", watch(10, Some(&digest)));
        assert!(read(body).await.is_err());
        assert!(verdict.take().is_some());
    }

    #[tokio::test]
    async fn a_body_past_the_limit_fails() {
        let (body, verdict) = watched(b"hello world", watch(5, None));
        assert!(read(body).await.is_err());
        assert_eq!(verdict.take(), Some(BodyFault::TooLarge { limit: 5, size: 11 }));
    }

    #[test]
    fn content_sha256_forms() {
        assert_eq!(content_sha256("UNSIGNED-PAYLOAD"), DeclaredPayload::Undigested);
        assert_eq!(
            content_sha256("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            DeclaredPayload::Undigested
        );
        let hex = "A".repeat(64);
        assert_eq!(content_sha256(&hex), DeclaredPayload::Digest("a".repeat(64)));
        assert_eq!(content_sha256("abc"), DeclaredPayload::Invalid);
    }
}
