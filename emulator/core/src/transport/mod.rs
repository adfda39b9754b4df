//! The HTTP front end's own rules: timeouts, limits and transport errors,
//! answered in AWS's shape for the protocol each request speaks.
//!
//! - [`head`] judges a request head by hyper's framing rules and tells its
//!   protocol from its raw bytes;
//! - [`gate`] sits between the socket and hyper: it refuses bad heads itself
//!   (hyper would answer them with a bodyless 400 or 431), closes a
//!   connection whose head stalls (`header_read_timeout`) or that sits idle
//!   (`keep_alive_timeout`);
//! - [`watch`] guards each request body on its way to the handler (idle
//!   timeout, the protocol's size limit, S3's `X-Amz-Content-SHA256`);
//! - [`slots`] holds `max_connections` connections: one beyond them asks an
//!   idle connection to close and waits for a slot (up to
//!   `header_read_timeout`); [`refuse_busy`] answers it with a 503 in its
//!   protocol's shape if none frees.
//!
//! The limits are [`crate::config::TransportLimits`]. What hyper still
//! answers itself, past the gate: heads on a connection the gate stopped
//! judging (after the HTTP/2 preface, a `CONNECT`, or a chunked body whose
//! syntax it could not follow) and bad chunk syntax inside a body (the
//! handler sees a body error and answers in its own shape).

pub mod gate;
pub mod head;
pub mod slots;
pub mod watch;

use crate::protocol::Protocol;
use crate::service::Body;
use bytes::Bytes;
use futures::FutureExt;
use http::{Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An answer's body that keeps its request in flight until it has been
/// sent (or dropped), so that the gate never ends a connection mid-answer.
pub struct Guarded {
    inner: Body,
    _in_flight: gate::InFlight,
}

impl Guarded {
    /// Guards `inner` with `in_flight`.
    pub fn new(inner: Body, in_flight: gate::InFlight) -> Self {
        Self {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl hyper::body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// The raw HTTP/1.1 bytes of an answer the core sends itself, with
/// `Connection: close`. The body is left out for a `HEAD` request.
pub fn to_wire(resp: Response<Body>, head_request: bool) -> Bytes {
    let (parts, body) = resp.into_parts();
    // Every answer the core builds has its whole body in memory.
    let body = crate::body::collect(body, usize::MAX)
        .now_or_never()
        .and_then(Result::ok)
        .unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        if name == http::header::CONNECTION || name == http::header::CONTENT_LENGTH {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
    out.extend_from_slice(
        format!(
            "date: {date}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    if !head_request {
        out.extend_from_slice(&body);
    }
    Bytes::from(out)
}

/// The answer to a head the gate refused, from its raw bytes.
pub fn refuse_head(raw: &[u8], fault: &head::Fault) -> Bytes {
    let sniffed = head::sniff(raw);
    let (status, code, message) = fault.answer(sniffed.protocol);
    let resp = sniffed
        .protocol
        .error(status, code, &message, &crate::ids::request_id());
    to_wire(resp, sniffed.method.eq_ignore_ascii_case("HEAD"))
}

/// AWS's answer when a service is too busy to take the request: 503 in the
/// protocol's shape (S3 `SlowDown`; every SDK retries it with backoff).
pub fn busy(protocol: Protocol, max_connections: usize, request_id: &str) -> Response<Body> {
    let message = format!(
        "The emulator is serving its maximum of {max_connections} connections; reduce your request rate."
    );
    let code = match protocol {
        Protocol::RestXml => "SlowDown",
        Protocol::RestJson => "ServiceUnavailableException",
        Protocol::Json(_) | Protocol::Query(_) | Protocol::Cbor => "ServiceUnavailable",
    };
    protocol.error(StatusCode::SERVICE_UNAVAILABLE, code, &message, request_id)
}

/// Answers a connection that found no slot: reads its first head (for as long
/// as `header_read_timeout` allows) to tell its protocol, answers 503 and
/// closes. A client that sends nothing in time is simply disconnected.
pub async fn refuse_busy(mut stream: tokio::net::TcpStream, limits: crate::config::TransportLimits) {
    let mut raw = Vec::new();
    let read_head = async {
        let mut buf = [0u8; 4096];
        loop {
            match head::check(&raw, limits.max_header_bytes) {
                head::Verdict::Partial => {}
                _ => return true,
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => raw.extend_from_slice(buf.get(..n).unwrap_or_default()),
            }
        }
    };
    let complete = tokio::time::timeout(limits.header_read_timeout, read_head)
        .await
        .unwrap_or(false);
    if complete {
        let sniffed = head::sniff(&raw);
        let resp = busy(
            sniffed.protocol,
            limits.max_connections,
            &crate::ids::request_id(),
        );
        let wire = to_wire(resp, sniffed.method.eq_ignore_ascii_case("HEAD"));
        if let Err(e) = stream.write_all(&wire).await {
            tracing::debug!(error = %e, "could not answer a connection beyond the limit");
        }
    }
    let _ = stream.shutdown().await;
    // Linger, as the gate does, so that unread bytes do not reset the
    // connection before the client has read the answer.
    let drain = async {
        let mut buf = [0u8; 4096];
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    let _ = tokio::time::timeout(gate::LINGER, drain).await;
}
