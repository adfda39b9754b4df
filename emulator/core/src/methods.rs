//! Which HTTP methods each protocol uses, and AWS's answer to the rest.
//!
//! The front end decides this before any service sees the request, as AWS's
//! does, so that no handler reads a request its protocol never sends:
//!
//! - REST-XML (S3) uses `GET`, `PUT`, `POST`, `DELETE`, `HEAD` and `OPTIONS`
//!   (CORS preflight). Another method HTTP defines (`PATCH`, `TRACE`) is
//!   405 `MethodNotAllowed` with the `Method` and the `ResourceType` it was
//!   sent to (`SERVICE`, `BUCKET` or `OBJECT`, told from the path, and
//!   from the Host header for a virtual-hosted-style request, whose path
//!   holds only the key); a method HTTP does not define is 501
//!   `NotImplemented`.
//! - JSON 1.0 (DynamoDB) uses `POST` only. A `GET /` without a target is
//!   DynamoDB's health check (`healthy: dynamodb.<region>.amazonaws.com `);
//!   anything else is 400 `UnknownOperationException`, as a request naming
//!   no operation is.
//! - Query (RDS, ElastiCache) uses `GET` and `POST`; anything else is 400
//!   `InvalidAction`, the Query APIs' common error for a request that names
//!   no action they have.
//! - REST-JSON (AWS Backup) routes by method and path together: its own
//!   router answers a method no resource takes (`UnknownOperationException`),
//!   so the front end lets every method through.

use crate::protocol::{JsonApi, Protocol};
use crate::service::Body;
use http::{HeaderMap, Method, Response, StatusCode};

/// The methods S3 answers.
const S3_METHODS: [Method; 6] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::HEAD,
    Method::OPTIONS,
];

/// The methods HTTP itself defines (RFC 9110 and RFC 5789's `PATCH`).
const STANDARD_METHODS: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::CONNECT,
    Method::OPTIONS,
    Method::TRACE,
    Method::PATCH,
];

/// What a request to `path` with `method` in `protocol` gets from the front
/// end itself, if not passed on to the service: a refusal, or DynamoDB's
/// health check.
pub fn answer(
    protocol: Protocol,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    region: &str,
    request_id: &str,
) -> Option<Response<Body>> {
    match protocol {
        Protocol::RestXml if S3_METHODS.contains(method) => None,
        Protocol::RestXml if STANDARD_METHODS.contains(method) => Some(crate::error::s3_xml_with(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            &[("Method", method.as_str()), ("ResourceType", s3_resource_type(path, headers))],
            request_id,
        )),
        Protocol::RestXml => Some(protocol.error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented.",
            request_id,
        )),
        Protocol::Json(_) | Protocol::Cbor if method == Method::POST => None,
        Protocol::Json(JsonApi::DynamoDb)
            if method == Method::GET && path == "/" && !headers.contains_key("x-amz-target") =>
        {
            Some(health(region))
        }
        Protocol::Cbor => Some(protocol.error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("The HTTP method {method} is not supported; RPC v2 requests are POSTs."),
            request_id,
        )),
        Protocol::Json(_) => Some(protocol.error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("The HTTP method {method} is not supported; JSON API requests are POSTs."),
            request_id,
        )),
        Protocol::Query(_) if method == Method::GET || method == Method::POST => None,
        Protocol::Query(_) => Some(protocol.error(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            &format!(
                "The action or operation requested is invalid: the HTTP method {method} is not supported; Query API requests use GET or POST."
            ),
            request_id,
        )),
        Protocol::RestJson => None,
    }
}

/// What an S3 request addresses: the service, a bucket or an object. A
/// virtual-hosted-style request (the bucket in the Host header) addresses
/// its bucket at `/` and an object below it.
fn s3_resource_type(path: &str, headers: &HeaderMap) -> &'static str {
    let trimmed = path.trim_start_matches('/');
    let virtual_hosted = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| crate::s3_host::VirtualHosts::default().bucket_of(h).is_some());
    if virtual_hosted {
        return if trimmed.is_empty() { "BUCKET" } else { "OBJECT" };
    }
    match trimmed.split_once('/') {
        _ if trimmed.is_empty() => "SERVICE",
        None | Some((_, "")) => "BUCKET",
        Some(_) => "OBJECT",
    }
}

/// DynamoDB's answer to `GET /`: a plain-text health line.
fn health(region: &str) -> Response<Body> {
    crate::body::response(
        StatusCode::OK,
        "text/plain",
        format!("healthy: dynamodb.{region}.amazonaws.com "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::QueryApi;

    async fn text(resp: Response<Body>) -> (StatusCode, String) {
        let status = resp.status();
        let bytes = crate::body::collect(resp.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn ask(protocol: Protocol, method: &str, path: &str) -> Option<Response<Body>> {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        answer(protocol, &method, path, &HeaderMap::new(), "eu-west-1", "r")
    }

    #[tokio::test]
    async fn s3_refuses_known_methods_it_never_uses_and_unknown_ones() {
        for m in ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"] {
            assert!(ask(Protocol::RestXml, m, "/b/k").is_none(), "{m}");
        }
        let (status, body) = text(ask(Protocol::RestXml, "PATCH", "/b/k").unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(
            body.contains("<Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message><Method>PATCH</Method><ResourceType>OBJECT</ResourceType>"),
            "{body}"
        );
        let (_, body) = text(ask(Protocol::RestXml, "TRACE", "/b").unwrap()).await;
        assert!(body.contains("<ResourceType>BUCKET</ResourceType>"), "{body}");
        let (_, body) = text(ask(Protocol::RestXml, "PATCH", "/").unwrap()).await;
        assert!(body.contains("<ResourceType>SERVICE</ResourceType>"), "{body}");
        // Virtual-hosted style: the bucket is in the Host header.
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, "invoices.localhost:4566".parse().unwrap());
        let virtual_hosted = |path: &str| {
            answer(
                Protocol::RestXml,
                &Method::PATCH,
                path,
                &headers,
                "eu-west-1",
                "r",
            )
            .unwrap()
        };
        let (_, body) = text(virtual_hosted("/")).await;
        assert!(body.contains("<ResourceType>BUCKET</ResourceType>"), "{body}");
        let (_, body) = text(virtual_hosted("/2026/inv-1.pdf")).await;
        assert!(body.contains("<ResourceType>OBJECT</ResourceType>"), "{body}");
        let (_, body) = text(virtual_hosted("/inv-1.pdf")).await;
        assert!(body.contains("<ResourceType>OBJECT</ResourceType>"), "{body}");
        let (status, body) = text(ask(Protocol::RestXml, "BREW", "/b/k").unwrap()).await;
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
        assert!(body.contains("<Code>NotImplemented</Code>"), "{body}");
    }

    #[tokio::test]
    async fn json_and_query_services_take_only_their_methods() {
        assert!(ask(Protocol::Json(JsonApi::DynamoDb), "POST", "/").is_none());
        let (status, body) = text(ask(Protocol::Json(JsonApi::DynamoDb), "GET", "/").unwrap()).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "healthy: dynamodb.eu-west-1.amazonaws.com ")
        );
        let (status, body) = text(ask(Protocol::Json(JsonApi::DynamoDb), "PUT", "/").unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("com.amazon.coral.service#UnknownOperationException"),
            "{body}"
        );
        for api in [QueryApi::Rds, QueryApi::ElastiCache] {
            assert!(ask(Protocol::Query(api), "GET", "/").is_none());
            assert!(ask(Protocol::Query(api), "POST", "/").is_none());
            let (status, body) = text(ask(Protocol::Query(api), "DELETE", "/").unwrap()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
            assert!(body.contains(api.xmlns()), "{body}");
        }
        assert!(ask(Protocol::RestJson, "PATCH", "/backup-vaults/").is_none());
    }
}
