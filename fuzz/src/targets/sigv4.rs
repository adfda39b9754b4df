//! SigV4: the credential scope parser, the router's reading of a request's
//! scope, and the strict-mode verifier's parsing of the `Authorization`
//! header. Inputs are lines: the `Authorization` value, then an optional
//! method and the path with an optional `?query` (where a presigned `X-Amz-Credential` lives), then
//! `name: value` headers (`x-amz-date`, `host`, ...).

use super::Target;
use firedrill_emu_core::routing::{CredentialScope, route};
use firedrill_emu_core::sigv4::{SignedRequest, verify};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// SigV4 header parsing.
pub struct SigV4;

impl Target for SigV4 {
    fn name(&self) -> &'static str {
        "sigv4"
    }

    fn dictionary(&self) -> &'static [&'static str] {
        DICTIONARY
    }

    fn run(&mut self, input: &[u8]) -> String {
        let text = String::from_utf8_lossy(input);
        let mut lines = text.split('\n');
        let auth = lines.next().unwrap_or_default();
        let line = lines.next().unwrap_or("/");
        let (method, target) = line.split_once(' ').unwrap_or(("GET", line));
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(auth) {
            headers.insert(http::header::AUTHORIZATION, v);
        }
        for line in lines {
            if let Some((k, v)) = line.split_once(':')
                && let (Ok(k), Ok(v)) = (
                    HeaderName::from_bytes(k.trim().as_bytes()),
                    HeaderValue::from_str(v.trim()),
                )
            {
                headers.append(k, v);
            }
        }
        let credential = auth
            .split([',', ' '])
            .find_map(|p| p.strip_prefix("Credential="))
            .map(CredentialScope::parse);
        let scope = CredentialScope::from_request(&headers, query);
        let routed = route(method.as_str(), &headers, path, query, "us-east-1");
        let signed = SignedRequest {
            method: &method,
            path,
            query,
            headers: &headers,
            payload_hash: "UNSIGNED-PAYLOAD",
        };
        let verdict = verify(
            &signed,
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            chrono::DateTime::from_timestamp(1_440_938_160, 0).unwrap_or_default(),
        );
        format!(
            "{} {} {} {:?}",
            credential.map_or("none", |c| if c.is_some() { "scope" } else { "bad" }),
            if scope.is_some() { "scoped" } else { "unscoped" },
            routed.service.len().min(12),
            verdict.err()
        )
    }
}

const DICTIONARY: &[&str] = &[
    "AWS4-HMAC-SHA256 ",
    "AWS4-HMAC-SHA256",
    "Credential=",
    "SignedHeaders=",
    "Signature=",
    ", ",
    ",",
    "/",
    "AKIDEXAMPLE",
    "20150830",
    "us-east-1",
    "dynamodb",
    "s3",
    "rds",
    "backup",
    "aws4_request",
    "host;x-amz-date",
    "host",
    "x-amz-date:20150830T123600Z",
    "x-amz-content-sha256:UNSIGNED-PAYLOAD",
    "x-amz-security-token:x",
    "X-Amz-Credential=",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    "X-Amz-Date=",
    "X-Amz-SignedHeaders=host",
    "X-Amz-Signature=",
    "X-Amz-Expires=",
    "%2F",
    "%",
    "&",
    "=",
    "\n",
    ";",
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_header_yields_a_scope() {
        let out = SigV4.run(b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc\n/\nhost: localhost\nx-amz-date: 20150830T123600Z");
        assert!(out.starts_with("scope scoped"), "{out}");
    }
}
