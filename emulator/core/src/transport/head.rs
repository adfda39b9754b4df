//! Judging one HTTP/1 request head before hyper sees it.
//!
//! [`check`] applies hyper's own framing rules (the same parser, `httparse`,
//! and the same Content-Length and Transfer-Encoding rules) so that every
//! head hyper would reject with a bodyless 400 or 431 is refused here
//! instead, in the shape of the protocol the request speaks
//! ([`sniff`] tells it from the raw head, complete or not). A head that
//! passes says how its body is framed, so the gate can find the next one.

use crate::protocol::Protocol;
use crate::routing::CredentialScope;
use http::StatusCode;

/// hyper's default limit on the number of headers; more is a 431 there.
pub const MAX_HEADERS: usize = 100;

/// hyper's limit on the length of a request target.
const MAX_URI_LEN: usize = (u16::MAX - 1) as usize;

/// The HTTP/2 connection preface, which the gate lets through untouched.
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How a request's body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` bytes (zero when absent).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// A `CONNECT` request: hyper treats what follows as a tunnel, so the
    /// gate stops judging the connection.
    Opaque,
}

/// What is wrong with a head, in terms AWS answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The request line or headers cannot be parsed.
    Malformed(String),
    /// `Content-Length` is not one non-negative integer.
    BadContentLength(String),
    /// A `Transfer-Encoding` whose last coding is not `chunked`.
    UnsupportedTransferEncoding(String),
    /// The request line and headers are larger than allowed.
    TooLarge(usize),
}

impl Fault {
    /// The answer AWS's front end gives for this fault in `protocol`: S3's
    /// own codes on REST-XML, the `MalformedHttpRequestException` every
    /// other AWS API lists among its common errors elsewhere.
    pub fn answer(&self, protocol: Protocol) -> (StatusCode, &'static str, String) {
        let s3 = protocol == Protocol::RestXml;
        let (status, s3_code, message) = match self {
            Fault::TooLarge(limit) => (
                StatusCode::BAD_REQUEST,
                "RequestHeaderSectionTooLarge",
                format!("Your request header section exceeds the maximum allowed size of {limit} bytes."),
            ),
            Fault::UnsupportedTransferEncoding(te) if s3 => (
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!(
                    "A header you provided implies functionality that is not implemented: Transfer-Encoding: {te}"
                ),
            ),
            Fault::UnsupportedTransferEncoding(te) => (
                StatusCode::BAD_REQUEST,
                "",
                format!("Transfer-Encoding {te:?} is not supported; only chunked is."),
            ),
            Fault::BadContentLength(cl) => (
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!("Content-Length {cl:?} is not a valid length."),
            ),
            Fault::Malformed(why) => (
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                format!("The HTTP request is malformed: {why}."),
            ),
        };
        let code = if s3 {
            s3_code
        } else {
            "MalformedHttpRequestException"
        };
        (status, code, message)
    }
}

/// What judging the bytes of a head so far found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// More bytes are needed.
    Partial,
    /// A sound head of `len` bytes, with its body framing.
    Complete {
        /// The head's length in bytes, up to and including its blank line.
        len: usize,
        /// How its body is framed.
        framing: Framing,
    },
    /// The connection opens with the HTTP/2 preface.
    Http2,
    /// A head hyper would refuse.
    Refused(Fault),
}

/// Judges the bytes of the next request head received so far.
pub fn check(buf: &[u8], max_bytes: usize) -> Verdict {
    if buf.len() < H2_PREFACE.len() && H2_PREFACE.starts_with(buf) {
        return Verdict::Partial;
    }
    if buf.starts_with(H2_PREFACE) {
        return Verdict::Http2;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Partial) if buf.len() > max_bytes => {
            return Verdict::Refused(Fault::TooLarge(max_bytes));
        }
        Ok(httparse::Status::Partial) => return Verdict::Partial,
        Ok(httparse::Status::Complete(len)) if len > max_bytes => {
            return Verdict::Refused(Fault::TooLarge(max_bytes));
        }
        Ok(httparse::Status::Complete(len)) => len,
        Err(httparse::Error::TooManyHeaders) => return Verdict::Refused(Fault::TooLarge(max_bytes)),
        Err(httparse::Error::Token) if req.method.is_none() => {
            return Verdict::Refused(Fault::Malformed("the method is not a valid token".into()));
        }
        Err(httparse::Error::Token) => {
            return Verdict::Refused(Fault::Malformed("the request target is not valid".into()));
        }
        Err(httparse::Error::Version) => {
            return Verdict::Refused(Fault::Malformed(
                "the request line does not end in HTTP/1.0 or HTTP/1.1".into(),
            ));
        }
        Err(e) => return Verdict::Refused(Fault::Malformed(e.to_string())),
    };
    match judge_parsed(&req) {
        Ok(framing) => Verdict::Complete { len, framing },
        Err(fault) => Verdict::Refused(fault),
    }
}

/// hyper's rules for a parsed head: method, target, and body framing.
fn judge_parsed(req: &httparse::Request<'_, '_>) -> Result<Framing, Fault> {
    let method = req.method.unwrap_or_default();
    if http::Method::from_bytes(method.as_bytes()).is_err() {
        return Err(Fault::Malformed("the method is not valid".into()));
    }
    let path = req.path.unwrap_or_default();
    if path.len() > MAX_URI_LEN || http::Uri::try_from(path).is_err() {
        return Err(Fault::Malformed("the request target is not a valid URI".into()));
    }
    let http_11 = req.version == Some(1);
    let mut content_length: Option<u64> = None;
    let mut transfer_encoding: Option<bool> = None;
    for header in req.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            let value = String::from_utf8_lossy(header.value).into_owned();
            if !http_11 {
                return Err(Fault::UnsupportedTransferEncoding(value));
            }
            let chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            if !chunked {
                return Err(Fault::UnsupportedTransferEncoding(value));
            }
            transfer_encoding = Some(true);
        } else if header.name.eq_ignore_ascii_case("content-length") {
            if transfer_encoding.is_some() {
                continue;
            }
            let text = String::from_utf8_lossy(header.value).into_owned();
            let bad = || Fault::BadContentLength(text.clone());
            let text_ok = std::str::from_utf8(header.value).map_err(|_| bad())?;
            for part in text_ok.split(',') {
                let part = part.trim();
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let n: u64 = part.parse().map_err(|_| bad())?;
                if n >= u64::MAX - 1 || content_length.is_some_and(|prev| prev != n) {
                    return Err(bad());
                }
                content_length = Some(n);
            }
        }
    }
    if method == "CONNECT" {
        return Ok(Framing::Opaque);
    }
    if transfer_encoding.is_some() {
        return Ok(Framing::Chunked);
    }
    Ok(Framing::Length(content_length.unwrap_or(0)))
}

/// What the core can tell of a raw head, complete or cut short: its method
/// and the protocol it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// The method, as sent (empty when unreadable).
    pub method: String,
    /// The protocol the head's credential scope or form implies.
    pub protocol: Protocol,
}

/// Reads what it can of a raw head without trusting its syntax: the
/// request line and the headers that name the service.
pub fn sniff(buf: &[u8]) -> Sniffed {
    let text = String::from_utf8_lossy(buf);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let request_line = lines.by_ref().find(|l| !l.is_empty()).unwrap_or("");
    let mut words = request_line.split(' ');
    let method = words.next().unwrap_or("").to_owned();
    let target = words.next().unwrap_or("");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut amz_target = None;
    let mut content_type = None;
    let mut scope_service = None;
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("x-amz-target") {
            amz_target = Some(value);
        } else if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value);
        } else if name.eq_ignore_ascii_case("authorization") {
            scope_service = value
                .strip_prefix("AWS4-HMAC-SHA256")
                .and_then(|rest| {
                    rest.split(',')
                        .map(str::trim)
                        .find_map(|p| p.strip_prefix("Credential="))
                })
                .and_then(CredentialScope::parse)
                .map(|s| s.service);
        }
    }
    if scope_service.is_none()
        && let Some(q) = query
    {
        scope_service = form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .and_then(|(_, v)| CredentialScope::parse(&v))
            .map(|s| s.service);
    }
    let protocol = scope_service
        .as_deref()
        .and_then(Protocol::of_service)
        .unwrap_or_else(|| Protocol::judge(&method, path, query, amz_target, content_type));
    Sniffed { method, protocol }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(head: &str) -> Fault {
        match check(head.as_bytes(), 16 * 1024) {
            Verdict::Refused(f) => f,
            other => panic!("{head:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn sound_heads_say_how_their_bodies_are_framed() {
        let head = "PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(
            check(head.as_bytes(), 1024),
            Verdict::Complete {
                len: head.len() - 5,
                framing: Framing::Length(5)
            }
        );
        let head = "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 9\r\n\r\n";
        assert!(matches!(
            check(head.as_bytes(), 1024),
            Verdict::Complete {
                framing: Framing::Chunked,
                ..
            }
        ));
        assert_eq!(check(b"GET / HTTP/1.1\r\nHost:", 1024), Verdict::Partial);
        assert_eq!(check(b"PRI * HTTP/2.0\r\n", 1024), Verdict::Partial);
        assert_eq!(check(H2_PREFACE, 1024), Verdict::Http2);
    }

    #[test]
    fn heads_hyper_would_refuse_are_refused() {
        assert!(matches!(
            refused("GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            Fault::BadContentLength(_)
        ));
        assert!(matches!(
            refused("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            Fault::BadContentLength(_)
        ));
        assert!(matches!(
            refused("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            Fault::BadContentLength(_)
        ));
        assert!(matches!(
            refused("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Fault::UnsupportedTransferEncoding(_)
        ));
        assert!(matches!(
            refused("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Fault::UnsupportedTransferEncoding(_)
        ));
        assert!(matches!(refused("GET /\r\n"), Fault::Malformed(_)));
        assert!(matches!(refused("G(T / HTTP/1.1\r\n\r\n"), Fault::Malformed(_)));
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(2000));
        assert_eq!(
            check(big.as_bytes(), 1024),
            Verdict::Refused(Fault::TooLarge(1024))
        );
        let many: String = (0..150).map(|i| format!("X-{i}: v\r\n")).collect();
        assert!(matches!(
            refused(&format!("GET / HTTP/1.1\r\n{many}\r\n")),
            Fault::TooLarge(_)
        ));
    }

    #[test]
    fn sniffing_reads_the_scope_then_the_form() {
        let signed = b"POST / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=x\r\nContent-Len";
        assert_eq!(
            sniff(signed).protocol,
            Protocol::Query(crate::protocol::QueryApi::Rds)
        );
        let target = b"POST / HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n";
        assert_eq!(
            sniff(target).protocol,
            Protocol::Json(crate::protocol::JsonApi::DynamoDb)
        );
        assert_eq!(
            sniff(b"GET /?Action=DescribeDBInstances HTTP/1.1\r\n").protocol,
            Protocol::Query(crate::protocol::QueryApi::Rds)
        );
        assert_eq!(
            sniff(b"GET /backup-vaults/ HTTP/1.1\r\n").protocol,
            Protocol::RestJson
        );
        let s3 = sniff(b"HEAD /bucket/key HTTP/1.1\r\n");
        assert_eq!((s3.method.as_str(), s3.protocol), ("HEAD", Protocol::RestXml));
        assert_eq!(sniff(b"\x00\xff garbage").protocol, Protocol::RestXml);
    }
}
