//! AWS's error shapes, per protocol.
//!
//! - JSON 1.0 (DynamoDB): `{"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": "..."}`
//! - REST-JSON (AWS Backup): `x-amzn-ErrorType: Code` and `{"Code": ..., "Message": ...}`
//! - Query (RDS): `<ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`
//! - REST-XML (S3): `<Error><Code/><Message/><RequestId/></Error>`
//!
//! Services build their own typed errors and turn them into responses with
//! these functions, so the shapes live in one place.

use crate::body::full;
use crate::protocol::Protocol;
use crate::service::Body;
use http::{HeaderValue, Response, StatusCode};

fn with_request_id(mut resp: Response<Body>, header: &'static str, request_id: &str) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert(header, v);
    }
    resp
}

/// A JSON 1.0 error, as DynamoDB sends it, with the `x-amz-crc32` of its
/// body (DynamoDB clients check it on errors too). `type_prefix` is the
/// shape namespace, for example `com.amazonaws.dynamodb.v20120810`.
pub fn json_1_0(
    status: StatusCode,
    type_prefix: &str,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    let body = serde_json::json!({
        "__type": format!("{type_prefix}#{code}"),
        "message": message,
    })
    .to_string();
    let crc = crate::checksum::crc32(body.as_bytes());
    let resp = Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-crc32", crc)
        .body(full(body))
        .expect("static headers are valid");
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// A REST-JSON error, as AWS Backup sends it.
pub fn rest_json(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response<Body> {
    let body = serde_json::json!({ "Code": code, "Message": message });
    let mut resp = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(full(body.to_string()))
        .expect("static headers are valid");
    // A code is AWS's own identifier; one that could not be a header value
    // (never the case for the codes this crate sends) is left to the body.
    if let Ok(v) = HeaderValue::from_str(code) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// Whether XML 1.0 can carry `c` at all (its `Char` production): tabs,
/// newlines and carriage returns are the only control characters allowed,
/// and U+FFFE and U+FFFF are excluded.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for an XML element or attribute. Characters XML 1.0 cannot
/// carry even as references (NUL and the other C0 controls but tab, newline
/// and carriage return; U+FFFE, U+FFFF) become U+FFFD, so an echoed value
/// can never break the document.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if !xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A Query-protocol error, as RDS sends it. `sender` is true for client
/// errors (`<Type>Sender</Type>`), false for server faults.
pub fn query_xml(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response<Body> {
    let kind = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id),
    );
    let resp = Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .body(full(body))
        .expect("static headers are valid");
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// A REST-XML error, as S3 sends it.
pub fn s3_xml(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response<Body> {
    s3_xml_with(status, code, message, &[], request_id)
}

/// A REST-XML error with S3's extra elements for the code (for example
/// `RequestTime` and `ServerTime` of `RequestTimeTooSkewed`), in order,
/// after `Message`.
pub fn s3_xml_with(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
    request_id: &str,
) -> Response<Body> {
    let extra: String = extra
        .iter()
        .map(|(name, value)| format!("<{name}>{}</{name}>", xml_escape(value)))
        .collect();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>{extra}<RequestId>{}</RequestId></Error>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id),
    );
    let resp = Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(full(body))
        .expect("static headers are valid");
    with_request_id(resp, "x-amz-request-id", request_id)
}

/// The error a service would send when it is unreachable in an outage.
pub fn service_unavailable(
    protocol: Protocol,
    service: &str,
    region: &str,
    request_id: &str,
) -> Response<Body> {
    let message = format!("Service {service} is unavailable in {region} (the region is in an outage)");
    let status = StatusCode::SERVICE_UNAVAILABLE;
    match protocol {
        Protocol::Json => json_1_0(
            status,
            "com.amazonaws.dynamodb.v20120810",
            "ServiceUnavailable",
            &message,
            request_id,
        ),
        Protocol::Query | Protocol::RestXml => {
            protocol.error(status, "ServiceUnavailable", &message, request_id)
        }
        Protocol::RestJson => protocol.error(status, "ServiceUnavailableException", &message, request_id),
    }
}

/// The error a handler's panic is answered with.
pub fn internal(protocol: Protocol, request_id: &str) -> Response<Body> {
    let message = "We encountered an internal error. Please try again.";
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    match protocol {
        Protocol::Json => json_1_0(
            status,
            "com.amazonaws.dynamodb.v20120810",
            "InternalServerError",
            message,
            request_id,
        ),
        Protocol::Query => protocol.error(status, "InternalFailure", message, request_id),
        Protocol::RestXml => protocol.error(status, "InternalError", message, request_id),
        Protocol::RestJson => protocol.error(status, "ServiceUnavailableException", message, request_id),
    }
}

/// The error for a request that names a service or region this emulator
/// does not serve, in the shape of the protocol the request speaks.
pub fn unknown_service(protocol: Protocol, service: &str, region: &str, request_id: &str) -> Response<Body> {
    let message = format!(
        "firedrill does not emulate service {service:?} in region {region:?}; it serves dynamodb, s3, rds and backup in its configured regions"
    );
    let status = StatusCode::BAD_REQUEST;
    let code = match protocol {
        Protocol::Json => "UnrecognizedClientException",
        Protocol::Query => "InvalidClientTokenId",
        Protocol::RestXml => "InvalidRequest",
        Protocol::RestJson => "UnknownOperationException",
    };
    protocol.error(status, code, &message, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(resp: Response<Body>) -> String {
        let bytes = crate::body::collect(resp.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn json_error_has_dynamodb_shape() {
        let resp = json_1_0(
            StatusCode::BAD_REQUEST,
            "com.amazonaws.dynamodb.v20120810",
            "ValidationException",
            "bad",
            "rid",
        );
        assert_eq!(resp.headers()["x-amzn-requestid"], "rid");
        let v: serde_json::Value = serde_json::from_str(&text(resp).await).unwrap();
        assert_eq!(
            v["__type"],
            "com.amazonaws.dynamodb.v20120810#ValidationException"
        );
        assert_eq!(v["message"], "bad");
    }

    #[tokio::test]
    async fn query_error_is_escaped_xml() {
        let resp = query_xml(
            StatusCode::NOT_FOUND,
            "DBInstanceNotFound",
            "DBInstance <x> not found.",
            "r1",
        );
        let body = text(resp).await;
        assert!(body.contains("<Code>DBInstanceNotFound</Code>"));
        assert!(body.contains("DBInstance &lt;x&gt; not found."));
        assert!(body.contains("<Type>Sender</Type>"));
    }

    #[tokio::test]
    async fn echoed_values_never_break_the_document() {
        let resp = s3_xml(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "bad key a\0b<c>&\u{1}\u{FFFF}\td",
            "r\0",
        );
        let body = text(resp).await;
        assert!(!body.contains('\0') && !body.contains('\u{1}') && !body.contains('\u{FFFF}'));
        assert!(body.contains("bad key a\u{FFFD}b&lt;c&gt;&amp;\u{FFFD}\u{FFFD}\td"));
        assert!(body.contains("<RequestId>r\u{FFFD}</RequestId>"));
        let resp = query_xml(StatusCode::BAD_REQUEST, "InvalidParameterValue", "x\0y", "r");
        assert!(text(resp).await.contains("x\u{FFFD}y"));
        let resp = rest_json(StatusCode::BAD_REQUEST, "Bad\nCode", "m\0\"", "r");
        assert!(resp.headers().get("x-amzn-errortype").is_none());
        let v: serde_json::Value = serde_json::from_str(&text(resp).await).unwrap();
        assert_eq!(v["Message"], "m\0\"");
    }
}
