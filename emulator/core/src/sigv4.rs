//! SigV4 signature verification for strict mode.
//!
//! By default the emulator accepts any credentials, as emulators do. In strict
//! mode it recomputes each request's signature with the configured secret and
//! refuses a mismatch, so that client code with broken signing fails here as
//! it would on AWS. The algorithm follows AWS's "Create a signed AWS API
//! request" guide: canonical request, string to sign, derived signing key.

use hmac::{Hmac, Mac};
use http::{HeaderMap, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

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
    timestamp: String,
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
    let timestamp = req
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)?;
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
        auth.timestamp,
        auth.scope,
        hex::encode(Sha256::digest(canonical_request.as_bytes())),
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    let k_region = hmac(&k_date, auth.region.as_bytes());
    let k_service = hmac(&k_region, auth.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex::encode(hmac(&k_signing, string_to_sign.as_bytes()))
}

/// Verifies a header-signed request against the one configured key pair.
pub fn verify(req: &SignedRequest<'_>, access_key_id: &str, secret: &str) -> Result<(), SignatureError> {
    let auth = parse_authorization(req).ok_or(SignatureError::Missing)?;
    if auth.access_key_id != access_key_id {
        return Err(SignatureError::UnknownAccessKey);
    }
    let expected = expected_signature(req, &auth, secret);
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
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

    fn check(headers: &HeaderMap, key: &str, secret: &str) -> Result<(), SignatureError> {
        let hash = payload_hash(b"");
        let req = SignedRequest {
            method: &Method::GET,
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers,
            payload_hash: &hash,
        };
        verify(&req, key, secret)
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
}
