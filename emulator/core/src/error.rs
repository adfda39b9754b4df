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
use crate::service::Body;
use http::{HeaderValue, Response, StatusCode};

fn with_request_id(mut resp: Response<Body>, header: &'static str, request_id: &str) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert(header, v);
    }
    resp
}

/// A JSON 1.0 error, as DynamoDB sends it. `type_prefix` is the shape
/// namespace, for example `com.amazonaws.dynamodb.v20120810`.
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
    });
    let resp = Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(full(body.to_string()))
        .expect("static headers are valid");
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// A REST-JSON error, as AWS Backup sends it.
pub fn rest_json(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response<Body> {
    let body = serde_json::json!({ "Code": code, "Message": message });
    let resp = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", code)
        .body(full(body.to_string()))
        .expect("static headers are valid");
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// Escapes text for an XML element.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
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
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
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
pub fn service_unavailable(service: &str, region: &str, request_id: &str) -> Response<Body> {
    let message = format!("Service {service} is unavailable in {region} (the region is in an outage)");
    match service {
        "dynamodb" => json_1_0(
            StatusCode::SERVICE_UNAVAILABLE,
            "com.amazonaws.dynamodb.v20120810",
            "ServiceUnavailable",
            &message,
            request_id,
        ),
        "rds" => query_xml(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            &message,
            request_id,
        ),
        "s3" => s3_xml(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            &message,
            request_id,
        ),
        _ => rest_json(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            &message,
            request_id,
        ),
    }
}

/// The error for a request that names a service or region this emulator
/// does not serve.
pub fn unknown_service(service: &str, region: &str, request_id: &str) -> Response<Body> {
    let message = format!(
        "firedrill does not emulate service {service:?} in region {region:?}; it serves dynamodb, s3, rds and backup in its configured regions"
    );
    match service {
        "dynamodb" => json_1_0(
            StatusCode::BAD_REQUEST,
            "com.amazonaws.dynamodb.v20120810",
            "UnrecognizedClientException",
            &message,
            request_id,
        ),
        "rds" => query_xml(
            StatusCode::BAD_REQUEST,
            "InvalidClientTokenId",
            &message,
            request_id,
        ),
        "s3" => s3_xml(StatusCode::BAD_REQUEST, "InvalidRequest", &message, request_id),
        _ => rest_json(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &message,
            request_id,
        ),
    }
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
}
