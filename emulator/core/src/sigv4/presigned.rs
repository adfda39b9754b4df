//! Query-string SigV4 (presigned URLs) for strict mode.
//!
//! A presigned URL carries its signature in six query parameters instead
//! of an `Authorization` header: `X-Amz-Algorithm` (`AWS4-HMAC-SHA256`),
//! `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires` (seconds, 1 to
//! 604800: a week), `X-Amz-SignedHeaders` and `X-Amz-Signature`. The
//! canonical request is the header form's with every query parameter but
//! the signature, and on S3 the payload is `UNSIGNED-PAYLOAD` (the body is
//! not known when the URL is signed) unless the client signed an
//! `X-Amz-Content-SHA256` header.
//!
//! The checks run in S3's order: the parameters (a missing or malformed one
//! is `AuthorizationQueryParametersError`), the access key, the validity
//! window (a URL used after `X-Amz-Date` + `X-Amz-Expires` is `AccessDenied`
//! "Request has expired"; one used more than 15 minutes before its
//! `X-Amz-Date` is "Request is not yet valid"), then the signature.

use super::{
    AMZ_DATE, Authorization, MAX_SKEW, SignatureError, SignedRequest, constant_time_eq, expected_signature,
};
use crate::routing::CredentialScope;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

/// The longest validity a presigned URL may ask for, in seconds (a week).
pub const MAX_EXPIRES_SECONDS: i64 = 604_800;

/// The parameters every presigned URL carries.
const REQUIRED: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
];

/// How S3 writes the times of an expired URL's answer.
const ISO_8601: &str = "%Y-%m-%dT%H:%M:%SZ";

/// The payload hash S3 signs presigned URLs with.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Whether a request authenticates by query string: it carries any of the
/// presigned URL's own parameters.
pub fn is_presigned(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes())
            .any(|(k, _)| k == "X-Amz-Algorithm" || k == "X-Amz-Signature" || k == "X-Amz-Credential")
    })
}

fn parameters_error(message: &str) -> SignatureError {
    SignatureError::QueryParameters(message.to_owned())
}

/// Verifies a presigned request against the one configured key pair at
/// `now`. `req.payload_hash` is the hash the client signed (see the module
/// documentation).
pub fn verify(
    req: &SignedRequest<'_>,
    access_key_id: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    if req.headers.contains_key(http::header::AUTHORIZATION) {
        return Err(SignatureError::TwoMechanisms);
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(req.query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers), Some(expires)) = (
        param("X-Amz-Algorithm"),
        param("X-Amz-Credential"),
        param("X-Amz-Signature"),
        param("X-Amz-Date"),
        param("X-Amz-SignedHeaders"),
        param("X-Amz-Expires"),
    ) else {
        return Err(parameters_error(&format!(
            "Query-string authentication version 4 requires the {} parameters.",
            required_list()
        )));
    };
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(parameters_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let scope = CredentialScope::parse(credential).ok_or_else(|| {
        parameters_error(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        )
    })?;
    let signed_at = NaiveDateTime::parse_from_str(date, AMZ_DATE)
        .map(|t| t.and_utc())
        .map_err(|_| {
            parameters_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        })?;
    let expires_in = parse_expires(expires)?;
    let signed_headers: Vec<&str> = signed_headers.split(';').collect();
    if !signed_headers.iter().any(|h| h.eq_ignore_ascii_case("host")) {
        return Err(SignatureError::Incomplete(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    if scope.access_key_id != access_key_id {
        return Err(SignatureError::UnknownAccessKey);
    }
    check_window(signed_at, expires_in, now)?;
    let scope_text = credential
        .split_once('/')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default();
    let auth = Authorization {
        access_key_id: &scope.access_key_id,
        scope: scope_text,
        date: &scope.date,
        region: &scope.region,
        service: &scope.service,
        signed_headers,
        signature,
        timestamp: Some(date.to_owned()),
    };
    let expected = expected_signature(req, &auth, secret);
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(SignatureError::Mismatch);
    }
    Ok(())
}

fn required_list() -> String {
    let (last, rest) = REQUIRED.split_last().unwrap_or((&"", &[]));
    format!("{}, and {last}", rest.join(", "))
}

/// `X-Amz-Expires` as S3 reads it: whole seconds, 1 to a week.
fn parse_expires(text: &str) -> Result<i64, SignatureError> {
    let seconds: i64 = text
        .trim()
        .parse()
        .map_err(|_| parameters_error("X-Amz-Expires should be a number"))?;
    if seconds < 1 {
        return Err(parameters_error("X-Amz-Expires must be non-negative"));
    }
    if seconds > MAX_EXPIRES_SECONDS {
        return Err(parameters_error(&format!(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than {MAX_EXPIRES_SECONDS} seconds"
        )));
    }
    Ok(seconds)
}

/// Refuses a URL used after its expiry or well before its time.
fn check_window(signed_at: DateTime<Utc>, expires_in: i64, now: DateTime<Utc>) -> Result<(), SignatureError> {
    let fmt = |t: DateTime<Utc>| t.format(ISO_8601).to_string();
    let valid_from = signed_at.checked_sub_signed(MAX_SKEW).unwrap_or(signed_at);
    if now < valid_from {
        return Err(SignatureError::NotYetValid {
            signed: fmt(signed_at),
            server_time: fmt(now),
        });
    }
    // `expires_in` is at most a week, so the sum is in range for any
    // parseable date; an impossible overflow counts as expired.
    let expiry = TimeDelta::try_seconds(expires_in).and_then(|d| signed_at.checked_add_signed(d));
    match expiry {
        Some(expiry) if now <= expiry => Ok(()),
        _ => Err(SignatureError::RequestExpired {
            expires_in,
            expires: expiry.map(fmt).unwrap_or_default(),
            server_time: fmt(now),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, Method};

    /// AWS's worked example of a presigned GET ("Authenticating Requests:
    /// Using Query Parameters", S3 API reference).
    const QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn check(query: &str, now: &str) -> Result<(), SignatureError> {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("examplebucket.s3.amazonaws.com"));
        let req = SignedRequest {
            method: &Method::GET,
            path: "/test.txt",
            query: Some(query),
            headers: &headers,
            payload_hash: UNSIGNED_PAYLOAD,
        };
        verify(&req, KEY, SECRET, now.parse().unwrap())
    }

    #[test]
    fn accepts_aws_worked_example_within_its_day() {
        assert_eq!(check(QUERY, "2013-05-24T12:00:00Z"), Ok(()));
        assert!(is_presigned(Some(QUERY)));
        assert!(!is_presigned(Some("list-type=2")));
    }

    #[test]
    fn refuses_a_tampered_signature_or_parameter() {
        let tampered = QUERY.replace("d404", "d405");
        assert_eq!(
            check(&tampered, "2013-05-24T12:00:00Z"),
            Err(SignatureError::Mismatch)
        );
        let longer = QUERY.replace("X-Amz-Expires=86400", "X-Amz-Expires=86401");
        assert_eq!(
            check(&longer, "2013-05-24T12:00:00Z"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn refuses_an_expired_url_with_its_times() {
        let err = check(QUERY, "2013-05-25T00:00:01Z").unwrap_err();
        assert_eq!(
            err,
            SignatureError::RequestExpired {
                expires_in: 86400,
                expires: "2013-05-25T00:00:00Z".to_owned(),
                server_time: "2013-05-25T00:00:01Z".to_owned(),
            }
        );
        assert_eq!(err.to_string(), "Request has expired");
        assert!(matches!(
            check(QUERY, "2013-05-23T23:44:59Z"),
            Err(SignatureError::NotYetValid { .. })
        ));
        assert_eq!(check(QUERY, "2013-05-23T23:45:00Z"), Ok(()));
    }

    #[test]
    fn refuses_missing_and_malformed_parameters() {
        let message = |query: &str| match check(query, "2013-05-24T12:00:00Z") {
            Err(SignatureError::QueryParameters(m)) => m,
            other => panic!("{query}: {other:?}"),
        };
        let no_date = QUERY.replace("X-Amz-Date=20130524T000000Z&", "");
        assert_eq!(
            message(&no_date),
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
        );
        for (expires, why) in [
            ("604801", "less than a week"),
            ("0", "non-negative"),
            ("-5", "non-negative"),
            ("soon", "should be a number"),
        ] {
            let query = QUERY.replace("X-Amz-Expires=86400", &format!("X-Amz-Expires={expires}"));
            assert!(message(&query).contains(why), "{expires}");
        }
        let algorithm = QUERY.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1");
        assert!(message(&algorithm).contains("only supports"));
        let date = QUERY.replace("20130524T000000Z", "2013-05-24");
        assert!(message(&date).contains("ISO8601"));
        let credential = QUERY.replace("%2Faws4_request", "");
        assert!(message(&credential).contains("mal-formed"));
    }

    #[test]
    fn refuses_an_unknown_key_and_a_second_mechanism() {
        let other = QUERY.replace("AKIAIOSFODNN7EXAMPLE", "AKIAOTHER");
        assert_eq!(
            check(&other, "2013-05-24T12:00:00Z"),
            Err(SignatureError::UnknownAccessKey)
        );
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 x"));
        let req = SignedRequest {
            method: &Method::GET,
            path: "/test.txt",
            query: Some(QUERY),
            headers: &headers,
            payload_hash: UNSIGNED_PAYLOAD,
        };
        let now = "2013-05-24T12:00:00Z".parse().unwrap();
        assert_eq!(verify(&req, KEY, SECRET, now), Err(SignatureError::TwoMechanisms));
    }
}
