//! AWS's error shapes, per protocol.
//!
//! - JSON 1.0 (DynamoDB): `{"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": "..."}`
//! - JSON 1.1 (KMS): `{"__type": "Code", "message": "..."}`
//! - Smithy RPC v2 CBOR (CloudWatch): a CBOR map `{"__type": "ns#Code", "message": "..."}`
//!   with `smithy-protocol: rpc-v2-cbor`
//! - REST-JSON (AWS Backup): `x-amzn-ErrorType: Code` and `{"Code": ..., "Message": ...}`
//! - Query (RDS, ElastiCache): `<ErrorResponse xmlns="..."><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`,
//!   in the service's own namespace ([`crate::protocol::QueryApi::xmlns`])
//! - REST-XML (S3): `<Error><Code/><Message/><RequestId/></Error>`
//!
//! Services build their own typed errors and turn them into responses with
//! these functions, so the shapes live in one place.

use crate::body::response;
use crate::protocol::{JsonApi, Protocol};
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
    let mut resp = response(status, "application/x-amz-json-1.0", body);
    resp.headers_mut().insert("x-amz-crc32", HeaderValue::from(crc));
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// A JSON 1.1 error, as KMS sends it: `type_name` is the `__type`, bare
/// (`NotFoundException`) or namespaced (`ns#Code`).
pub fn json_1_1(status: StatusCode, type_name: &str, message: &str, request_id: &str) -> Response<Body> {
    let body = serde_json::json!({ "__type": type_name, "message": message }).to_string();
    let resp = response(status, JsonApi::Kms.content_type(), body);
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// A Smithy RPC v2 CBOR error, as CloudWatch sends it: a CBOR map with the
/// shape's `__type` and the message.
pub fn rpc_v2_cbor(status: StatusCode, type_name: &str, message: &str, request_id: &str) -> Response<Body> {
    let value = ciborium::Value::Map(vec![
        (
            ciborium::Value::Text("__type".to_owned()),
            ciborium::Value::Text(type_name.to_owned()),
        ),
        (
            ciborium::Value::Text("message".to_owned()),
            ciborium::Value::Text(message.to_owned()),
        ),
    ]);
    let mut body = Vec::new();
    if let Err(e) = ciborium::into_writer(&value, &mut body) {
        // Writing a two-entry map of strings into a Vec cannot fail; an
        // empty body still carries the status.
        tracing::error!(error = %e, "could not encode a CBOR error");
    }
    let mut resp = response(status, "application/cbor", body);
    resp.headers_mut()
        .insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    with_request_id(resp, "x-amzn-requestid", request_id)
}

/// A REST-JSON error, as AWS Backup sends it.
pub fn rest_json(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response<Body> {
    let body = serde_json::json!({ "Code": code, "Message": message });
    let mut resp = response(status, "application/json", body.to_string());
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

/// A Query-protocol error, as RDS and ElastiCache send it, in the
/// service's XML namespace `xmlns` (see [`crate::protocol::QueryApi::xmlns`]).
/// The `Type` is `Sender` for client errors, `Receiver` for server faults.
pub fn query_xml(
    xmlns: &str,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    let kind = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml_escape(xmlns),
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id),
    );
    let resp = response(status, "text/xml", body);
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
    let resp = response(status, "application/xml", body);
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
        Protocol::Json(JsonApi::DynamoDb) => json_1_0(
            status,
            "com.amazonaws.dynamodb.v20120810",
            "ServiceUnavailable",
            &message,
            request_id,
        ),
        Protocol::Json(JsonApi::Kms | JsonApi::CloudTrail)
        | Protocol::Cbor
        | Protocol::Query(_)
        | Protocol::RestXml => protocol.error(status, "ServiceUnavailable", &message, request_id),
        Protocol::RestJson => protocol.error(status, "ServiceUnavailableException", &message, request_id),
    }
}

/// The error a handler's panic is answered with.
pub fn internal(protocol: Protocol, request_id: &str) -> Response<Body> {
    let message = "We encountered an internal error. Please try again.";
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    match protocol {
        Protocol::Json(JsonApi::DynamoDb) => json_1_0(
            status,
            "com.amazonaws.dynamodb.v20120810",
            "InternalServerError",
            message,
            request_id,
        ),
        Protocol::Json(JsonApi::Kms) => json_1_1(status, "KMSInternalException", message, request_id),
        Protocol::Json(JsonApi::CloudTrail) => json_1_1(
            status,
            "com.amazon.coral.service#InternalFailure",
            message,
            request_id,
        ),
        Protocol::Cbor => rpc_v2_cbor(
            status,
            "com.amazonaws.cloudwatch#InternalServiceFault",
            message,
            request_id,
        ),
        Protocol::Query(_) => protocol.error(status, "InternalFailure", message, request_id),
        Protocol::RestXml => protocol.error(status, "InternalError", message, request_id),
        Protocol::RestJson => protocol.error(status, "ServiceUnavailableException", message, request_id),
    }
}

/// The error for a request that names a service or region this emulator
/// does not serve, in the shape of the protocol the request speaks. The
/// message lists `served`, the signing names the dispatcher serves.
pub fn unknown_service(
    protocol: Protocol,
    service: &str,
    region: &str,
    served: &[&str],
    request_id: &str,
) -> Response<Body> {
    let message = format!(
        "firedrill does not emulate service {service:?} in region {region:?}; it serves {} in its configured regions",
        english_list(served)
    );
    let status = StatusCode::BAD_REQUEST;
    let code = match protocol {
        Protocol::Json(_) | Protocol::Cbor => "UnrecognizedClientException",
        Protocol::Query(_) => "InvalidClientTokenId",
        Protocol::RestXml => "InvalidRequest",
        Protocol::RestJson => "UnknownOperationException",
    };
    protocol.error(status, code, &message, request_id)
}

/// `a`, `a and b`, `a, b and c`.
fn english_list(items: &[&str]) -> String {
    match items.split_last() {
        None => "no services".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
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
            crate::protocol::QueryApi::Rds.xmlns(),
            StatusCode::NOT_FOUND,
            "DBInstanceNotFound",
            "DBInstance <x> not found.",
            "r1",
        );
        let body = text(resp).await;
        assert!(body.contains("<Code>DBInstanceNotFound</Code>"));
        assert!(body.contains("DBInstance &lt;x&gt; not found."));
        assert!(body.contains("<Type>Sender</Type>"));
        assert!(body.starts_with("<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">"));
    }

    #[tokio::test]
    async fn each_query_service_answers_in_its_own_namespace() {
        use crate::protocol::QueryApi;
        let rds = Protocol::Query(QueryApi::Rds).error(StatusCode::BAD_REQUEST, "InvalidAction", "m", "r");
        assert!(
            text(rds)
                .await
                .starts_with("<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">")
        );
        let cache =
            Protocol::Query(QueryApi::ElastiCache).error(StatusCode::BAD_REQUEST, "InvalidAction", "m", "r");
        assert!(
            text(cache)
                .await
                .starts_with("<ErrorResponse xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\">")
        );
    }

    #[tokio::test]
    async fn kms_and_cloudwatch_answer_in_their_own_protocols() {
        let kms = internal(Protocol::Json(JsonApi::Kms), "r");
        assert_eq!(kms.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(kms.headers()["content-type"], "application/x-amz-json-1.1");
        let v: serde_json::Value = serde_json::from_str(&text(kms).await).unwrap();
        assert_eq!(v["__type"], "KMSInternalException");

        let outage = service_unavailable(Protocol::Cbor, "monitoring", "us-east-1", "r");
        assert_eq!(outage.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(outage.headers()["content-type"], "application/cbor");
        assert_eq!(outage.headers()["smithy-protocol"], "rpc-v2-cbor");
        let bytes = crate::body::collect(outage.into_body(), 1 << 20).await.unwrap();
        let value: ciborium::Value = ciborium::from_reader(bytes.as_ref()).unwrap();
        let map = value.into_map().unwrap();
        let field = |name: &str| {
            map.iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .and_then(|(_, v)| v.as_text().map(str::to_owned))
        };
        assert_eq!(
            field("__type").as_deref(),
            Some("com.amazon.coral.service#ServiceUnavailable")
        );
        assert!(field("message").unwrap().contains("outage"));
    }

    #[tokio::test]
    async fn the_unknown_service_answer_lists_what_is_served() {
        let resp = unknown_service(
            Protocol::Json(JsonApi::DynamoDb),
            "sqs",
            "us-east-1",
            &["dynamodb", "s3", "elasticache"],
            "r",
        );
        let v: serde_json::Value = serde_json::from_str(&text(resp).await).unwrap();
        assert_eq!(
            v["message"],
            "firedrill does not emulate service \"sqs\" in region \"us-east-1\"; it serves dynamodb, s3 and elasticache in its configured regions"
        );
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
        let resp = query_xml(
            "ns",
            StatusCode::BAD_REQUEST,
            "InvalidParameterValue",
            "x\0y",
            "r",
        );
        assert!(text(resp).await.contains("x\u{FFFD}y"));
        let resp = rest_json(StatusCode::BAD_REQUEST, "Bad\nCode", "m\0\"", "r");
        assert!(resp.headers().get("x-amzn-errortype").is_none());
        let v: serde_json::Value = serde_json::from_str(&text(resp).await).unwrap();
        assert_eq!(v["Message"], "m\0\"");
    }
}
