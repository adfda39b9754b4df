//! SigV4 signature verification for strict mode.
//!
//! By default the emulator accepts any credentials, as emulators do. In strict
//! mode it recomputes each request's signature with the configured secret and
//! refuses a mismatch, so that client code with broken signing fails here as
//! it would on AWS. The algorithm follows AWS's "Create a signed AWS API
//! request" guide: canonical request, string to sign, derived signing key.
//!
//! As on AWS, a signature must also cover the `host` header, the request
//! must carry its time (`X-Amz-Date`, or `Date`), and that time must be
//! within [`MAX_SKEW`] (15 minutes) of now. "Now" is the time the client
//! signs against: its wall clock. With a real emulator clock that is the
//! emulator's time; with a simulated clock (which may be days ahead of the
//! wall clock after an advance) the emulator compares with the wall clock
//! instead, so that a correctly signing client is never refused because a
//! scenario moved the emulator's time.
//!
//! [`presigned`] verifies the query-string form (presigned URLs), with its
//! own validity window instead of the 15-minute skew.

use crate::protocol::Protocol;
use crate::service::Body;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use http::{HeaderMap, Method};
use http::{Response, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

pub mod presigned;

type HmacSha256 = Hmac<Sha256>;

/// How far a request's time may be from now, either way.
pub const MAX_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// The basic ISO 8601 form SigV4 writes times in.
const AMZ_DATE: &str = "%Y%m%dT%H%M%SZ";

/// Characters SigV4 leaves unencoded: `A-Z a-z 0-9 - _ . ~`.
const SIGV4_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Why a signature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The request carries no SigV4 signature at all.
    #[error("Request is missing Authentication Token")]
    Missing,
    /// The access key is not the configured one.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// The signature does not match.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
    )]
    Mismatch,
    /// The signature leaves out what AWS requires it to cover.
    #[error("{0}")]
    Incomplete(String),
    /// The request's time is more than [`MAX_SKEW`] before now.
    #[error("Signature expired: {signed} is now earlier than {earliest} ({now} - 15 min.)")]
    Expired {
        /// The request's time.
        signed: String,
        /// The earliest time accepted.
        earliest: String,
        /// Now.
        now: String,
    },
    /// The request's time is more than [`MAX_SKEW`] after now.
    #[error("Signature not yet current: {signed} is still later than {latest} ({now} + 15 min.)")]
    NotYetCurrent {
        /// The request's time.
        signed: String,
        /// The latest time accepted.
        latest: String,
        /// Now.
        now: String,
    },
    /// A presigned URL's query parameters are missing or malformed.
    #[error("{0}")]
    QueryParameters(String),
    /// A presigned URL used after `X-Amz-Date` + `X-Amz-Expires`.
    #[error("Request has expired")]
    RequestExpired {
        /// The URL's `X-Amz-Expires`, in seconds.
        expires_in: i64,
        /// When it expired, ISO 8601.
        expires: String,
        /// Now, ISO 8601.
        server_time: String,
    },
    /// A presigned URL used more than [`MAX_SKEW`] before its `X-Amz-Date`.
    #[error("Request is not yet valid")]
    NotYetValid {
        /// The URL's time, ISO 8601.
        signed: String,
        /// Now, ISO 8601.
        server_time: String,
    },
    /// The request authenticates by header and by query string at once.
    #[error(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
    )]
    TwoMechanisms,
}

impl SignatureError {
    /// Whether the request's time, not its signature, was refused.
    pub fn is_skew(&self) -> bool {
        matches!(self, Self::Expired { .. } | Self::NotYetCurrent { .. })
    }

    /// AWS's answer to this refusal in `protocol`. S3 refuses a skewed time
    /// with `RequestTimeTooSkewed` (and the request and server times); the
    /// JSON services say `InvalidSignatureException` "Signature expired",
    /// the Query services `SignatureDoesNotMatch` with the same message.
    /// A presigned URL's own refusals on S3: `AuthorizationQueryParametersError`
    /// (400) for its parameters, `AccessDenied` (403) "Request has expired"
    /// with `X-Amz-Expires`, `Expires` and `ServerTime`, `InvalidArgument`
    /// (400) when a header signature comes with it; the Query services
    /// answer a URL out of its window with `RequestExpired` (400).
    pub fn answer(&self, protocol: Protocol, request_id: &str) -> Response<Body> {
        use Protocol as P;
        let message = self.to_string();
        let (status, code) = match (protocol, self) {
            (P::RestXml, Self::UnknownAccessKey) => (StatusCode::FORBIDDEN, "InvalidAccessKeyId"),
            (P::RestXml, Self::Missing | Self::Incomplete(_)) => (StatusCode::FORBIDDEN, "AccessDenied"),
            (P::RestXml, Self::Mismatch) => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"),
            (P::RestXml, Self::Expired { signed, now, .. } | Self::NotYetCurrent { signed, now, .. }) => {
                return crate::error::s3_xml_with(
                    StatusCode::FORBIDDEN,
                    "RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too large.",
                    &[
                        ("RequestTime", signed),
                        ("ServerTime", now),
                        ("MaxAllowedSkewMilliseconds", "900000"),
                    ],
                    request_id,
                );
            }
            (P::RestXml, Self::QueryParameters(_)) => {
                (StatusCode::BAD_REQUEST, "AuthorizationQueryParametersError")
            }
            (P::RestXml, Self::NotYetValid { .. }) => (StatusCode::FORBIDDEN, "AccessDenied"),
            (
                P::RestXml,
                Self::RequestExpired {
                    expires_in,
                    expires,
                    server_time,
                },
            ) => {
                return crate::error::s3_xml_with(
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    &message,
                    &[
                        ("X-Amz-Expires", &expires_in.to_string()),
                        ("Expires", expires),
                        ("ServerTime", server_time),
                    ],
                    request_id,
                );
            }
            (P::RestXml, Self::TwoMechanisms) => {
                return crate::error::s3_xml_with(
                    StatusCode::BAD_REQUEST,
                    "InvalidArgument",
                    &message,
                    &[("ArgumentName", "Authorization")],
                    request_id,
                );
            }
            (P::Json(_) | P::Cbor, Self::UnknownAccessKey) => {
                (StatusCode::BAD_REQUEST, "UnrecognizedClientException")
            }
            (P::Json(_) | P::Cbor, Self::Missing) => {
                (StatusCode::BAD_REQUEST, "MissingAuthenticationTokenException")
            }
            (P::Json(_) | P::Cbor, Self::Incomplete(_) | Self::QueryParameters(_) | Self::TwoMechanisms) => {
                (StatusCode::BAD_REQUEST, "IncompleteSignatureException")
            }
            (P::Json(_) | P::Cbor, _) => (StatusCode::BAD_REQUEST, "InvalidSignatureException"),
            (P::Query(_), Self::UnknownAccessKey) => (StatusCode::FORBIDDEN, "InvalidClientTokenId"),
            (P::Query(_), Self::Missing) => (StatusCode::FORBIDDEN, "MissingAuthenticationToken"),
            (P::Query(_), Self::Incomplete(_) | Self::QueryParameters(_) | Self::TwoMechanisms) => {
                (StatusCode::BAD_REQUEST, "IncompleteSignature")
            }
            (P::Query(_), Self::RequestExpired { .. } | Self::NotYetValid { .. }) => {
                (StatusCode::BAD_REQUEST, "RequestExpired")
            }
            (P::Query(_), _) => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"),
            (P::RestJson, Self::UnknownAccessKey) => (StatusCode::FORBIDDEN, "UnrecognizedClientException"),
            (P::RestJson, Self::Missing) => (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException"),
            (P::RestJson, Self::Incomplete(_) | Self::QueryParameters(_) | Self::TwoMechanisms) => {
                (StatusCode::FORBIDDEN, "IncompleteSignatureException")
            }
            (P::RestJson, _) => (StatusCode::FORBIDDEN, "InvalidSignatureException"),
        };
        protocol.error(status, code, &message, request_id)
    }
}

/// The parts of a request a signature covers.
#[derive(Debug)]
pub struct SignedRequest<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: Option<&'a str>,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` (and its streaming kin).
    pub payload_hash: &'a str,
}

struct Authorization<'a> {
    access_key_id: &'a str,
    scope: String,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
    /// The request's time in SigV4's form, when it carries a readable one.
    timestamp: Option<String>,
}

/// The time a request says it was signed at: `X-Amz-Date`, else `Date`.
fn request_time(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(amz) = header("x-amz-date") {
        return NaiveDateTime::parse_from_str(amz, AMZ_DATE)
            .ok()
            .map(|t| t.and_utc());
    }
    header("date")
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn parse_authorization<'a>(req: &'a SignedRequest<'a>) -> Option<Authorization<'a>> {
    let auth = req.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?.trim();
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let credential = credential?;
    let mut parts = credential.splitn(2, '/');
    let access_key_id = parts.next()?;
    let scope = parts.next()?.to_owned();
    let mut scope_parts = credential.split('/').skip(1);
    let date = scope_parts.next()?;
    let region = scope_parts.next()?;
    let service = scope_parts.next()?;
    let timestamp = request_time(req.headers).map(|t| t.format(AMZ_DATE).to_string());
    Some(Authorization {
        access_key_id,
        scope,
        date,
        region,
        service,
        signed_headers: signed_headers?.split(';').collect(),
        signature: signature?,
        timestamp,
    })
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_SET).to_string()
}

fn canonical_uri(path: &str, service: &str) -> String {
    if service == "s3" {
        // S3 encodes the path once: what the client sent is already canonical.
        return if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        };
    }
    // Other services encode each segment of the (already encoded) path again.
    let encoded: Vec<String> = path.split('/').map(encode).collect();
    let joined = encoded.join("/");
    if joined.is_empty() { "/".to_owned() } else { joined }
}

fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let k = percent_decode_str(k).decode_utf8_lossy().replace('+', " ");
            let v = percent_decode_str(v).decode_utf8_lossy().into_owned();
            (encode(&k), encode(&v))
        })
        .filter(|(k, _)| k != "X-Amz-Signature")
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_header_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[allow(
    clippy::expect_used,
    reason = "HMAC takes a key of any length: new_from_slice cannot fail for it"
)]
fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The signature AWS would compute for `req` with `secret`.
fn expected_signature(req: &SignedRequest<'_>, auth: &Authorization<'_>, secret: &str) -> String {
    let canonical_headers: String = auth
        .signed_headers
        .iter()
        .map(|name| format!("{name}:{}\n", canonical_header_value(req.headers, name)))
        .collect();
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.as_str(),
        canonical_uri(req.path, auth.service),
        canonical_query(req.query),
        canonical_headers,
        auth.signed_headers.join(";"),
        req.payload_hash,
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        auth.timestamp.as_deref().unwrap_or_default(),
        auth.scope,
        hex::encode(Sha256::digest(canonical_request.as_bytes())),
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    let k_region = hmac(&k_date, auth.region.as_bytes());
    let k_service = hmac(&k_region, auth.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex::encode(hmac(&k_signing, string_to_sign.as_bytes()))
}

/// Who signs a request, where and when: what [`authorization`] needs.
#[derive(Debug, Clone)]
pub struct Signer<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// Its secret.
    pub secret: &'a str,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The signing name of the service.
    pub service: &'a str,
    /// The headers to sign, lower-case, sorted.
    pub signed_headers: &'a [&'a str],
}

/// The `Authorization` header a client with `signer` sends for `req`,
/// whose headers must already carry its time (`X-Amz-Date`), as a test
/// client or a tool signs. Returns `None` when `req` has no readable time.
pub fn authorization(req: &SignedRequest<'_>, signer: &Signer<'_>) -> Option<String> {
    let time = request_time(req.headers)?;
    let date = time.format("%Y%m%d").to_string();
    let scope = format!("{date}/{}/{}/aws4_request", signer.region, signer.service);
    let auth = Authorization {
        access_key_id: signer.access_key_id,
        scope: scope.clone(),
        date: &date,
        region: signer.region,
        service: signer.service,
        signed_headers: signer.signed_headers.to_vec(),
        signature: "",
        timestamp: Some(time.format(AMZ_DATE).to_string()),
    };
    let signature = expected_signature(req, &auth, signer.secret);
    Some(format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        signer.access_key_id,
        signer.signed_headers.join(";"),
    ))
}

/// Verifies a header-signed request against the one configured key pair,
/// at `now` (see the module documentation for which clock that is).
pub fn verify(
    req: &SignedRequest<'_>,
    access_key_id: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let auth = parse_authorization(req).ok_or(SignatureError::Missing)?;
    if !auth.signed_headers.iter().any(|h| h.eq_ignore_ascii_case("host")) {
        return Err(SignatureError::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    let Some(signed_at) = request_time(req.headers) else {
        return Err(SignatureError::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".to_owned(),
        ));
    };
    if auth.access_key_id != access_key_id {
        return Err(SignatureError::UnknownAccessKey);
    }
    let expected = expected_signature(req, &auth, secret);
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(SignatureError::Mismatch);
    }
    check_skew(signed_at, now)
}

/// Refuses a request time more than [`MAX_SKEW`] away from `now`.
pub fn check_skew(signed_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), SignatureError> {
    let fmt = |t: DateTime<Utc>| t.format(AMZ_DATE).to_string();
    let earliest = now - MAX_SKEW;
    let latest = now + MAX_SKEW;
    if signed_at < earliest {
        return Err(SignatureError::Expired {
            signed: fmt(signed_at),
            earliest: fmt(earliest),
            now: fmt(now),
        });
    }
    if signed_at > latest {
        return Err(SignatureError::NotYetCurrent {
            signed: fmt(signed_at),
            latest: fmt(latest),
            now: fmt(now),
        });
    }
    Ok(())
}

/// The instant a request's time is compared with: the emulator clock when
/// it is the wall clock, the wall clock when the emulator's is simulated.
pub fn signing_now(clock: &crate::clock::Clock) -> DateTime<Utc> {
    match clock.mode() {
        crate::clock::ClockMode::Real => clock.now(),
        crate::clock::ClockMode::Simulated => Utc::now(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The hex SHA-256 of a body, for services that sign the payload.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// AWS's own worked example ("Examples of the complete Signature Version 4
    /// signing process", IAM ListUsers).
    fn example_headers(signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
            ))
            .unwrap(),
        );
        h
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    fn example_time() -> DateTime<Utc> {
        "2015-08-30T12:36:00Z".parse().unwrap()
    }

    fn check_at(
        headers: &HeaderMap,
        key: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let hash = payload_hash(b"");
        let req = SignedRequest {
            method: &Method::GET,
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers,
            payload_hash: &hash,
        };
        verify(&req, key, secret, now)
    }

    fn check(headers: &HeaderMap, key: &str, secret: &str) -> Result<(), SignatureError> {
        check_at(headers, key, secret, example_time())
    }

    #[test]
    fn accepts_aws_worked_example() {
        assert_eq!(check(&example_headers(SIGNATURE), "AKIDEXAMPLE", SECRET), Ok(()));
    }

    #[test]
    fn refuses_wrong_secret_key_or_signature() {
        assert_eq!(
            check(&example_headers(SIGNATURE), "AKIDEXAMPLE", "not-the-secret"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&example_headers(SIGNATURE), "OTHERKEY", SECRET),
            Err(SignatureError::UnknownAccessKey)
        );
        let tampered = SIGNATURE.replace('5', "6");
        assert_eq!(
            check(&example_headers(&tampered), "AKIDEXAMPLE", SECRET),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&HeaderMap::new(), "AKIDEXAMPLE", SECRET),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn signs_as_aws_worked_example_does() {
        let headers = example_headers(SIGNATURE);
        let hash = payload_hash(b"");
        let req = SignedRequest {
            method: &Method::GET,
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            payload_hash: &hash,
        };
        let signer = Signer {
            access_key_id: "AKIDEXAMPLE",
            secret: SECRET,
            region: "us-east-1",
            service: "iam",
            signed_headers: &["content-type", "host", "x-amz-date"],
        };
        assert_eq!(
            authorization(&req, &signer).as_deref(),
            headers.get("authorization").and_then(|v| v.to_str().ok())
        );
    }

    #[test]
    fn refuses_a_request_time_more_than_fifteen_minutes_off() {
        let headers = example_headers(SIGNATURE);
        let in_window = example_time() + chrono::TimeDelta::minutes(14);
        assert_eq!(check_at(&headers, "AKIDEXAMPLE", SECRET, in_window), Ok(()));
        let two_days_on = example_time() + chrono::TimeDelta::days(2);
        let err = check_at(&headers, "AKIDEXAMPLE", SECRET, two_days_on).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Signature expired: 20150830T123600Z is now earlier than 20150901T122100Z (20150901T123600Z - 15 min.)"
        );
        assert!(err.is_skew());
        let before = example_time() - chrono::TimeDelta::minutes(16);
        let err = check_at(&headers, "AKIDEXAMPLE", SECRET, before).unwrap_err();
        assert!(matches!(err, SignatureError::NotYetCurrent { .. }), "{err}");
    }

    #[test]
    fn the_signature_must_cover_host_and_a_time() {
        let mut headers = example_headers(SIGNATURE);
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;x-amz-date, Signature=abc",
            ),
        );
        let err = check(&headers, "AKIDEXAMPLE", SECRET).unwrap_err();
        assert!(err.to_string().contains("'Host'"), "{err}");
        let mut headers = example_headers(SIGNATURE);
        headers.remove("x-amz-date");
        let err = check(&headers, "AKIDEXAMPLE", SECRET).unwrap_err();
        assert!(err.to_string().contains("'X-Amz-Date' or a 'Date'"), "{err}");
    }
}
