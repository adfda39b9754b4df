//! Finding the service and region a request is meant for.
//!
//! AWS clients sign every request with SigV4, whose credential scope names
//! the region and the signing service:
//! `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request, ...`
//! (or `X-Amz-Credential=` in a presigned URL's query). That scope is the
//! routing key, as on LocalStack's edge port. A request that names no
//! service (unsigned, or with a scope that cannot be read) goes to the
//! service whose protocol its form implies ([`Protocol::from_form`]: an
//! `X-Amz-Target` header to DynamoDB, an `Action=` query or form to RDS, a
//! Backup resource path to Backup, anything else to S3), in the default
//! region.

use crate::protocol::Protocol;
use http::HeaderMap;

/// The parsed SigV4 credential scope of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD`.
    pub date: String,
    /// The region the request was signed for.
    pub region: String,
    /// The signing name of the service (`dynamodb`, `s3`, `rds`, `backup`).
    pub service: String,
}

impl CredentialScope {
    /// Parses `AKID/20150830/us-east-1/dynamodb/aws4_request`.
    pub fn parse(credential: &str) -> Option<Self> {
        let mut parts = credential.trim().split('/');
        let access_key_id = parts.next()?.to_owned();
        let date = parts.next()?.to_owned();
        let region = parts.next()?.to_owned();
        let service = parts.next()?.to_owned();
        if parts.next()? != "aws4_request" || parts.next().is_some() {
            return None;
        }
        if access_key_id.is_empty() || region.is_empty() || service.is_empty() {
            return None;
        }
        Some(Self {
            access_key_id,
            date,
            region,
            service,
        })
    }

    /// The scope of a request, from its `Authorization` header or its
    /// presigned `X-Amz-Credential` query parameter.
    pub fn from_request(headers: &HeaderMap, query: Option<&str>) -> Option<Self> {
        if let Some(auth) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?;
            let credential = rest
                .split(',')
                .map(str::trim)
                .find_map(|part| part.strip_prefix("Credential="))?;
            return Self::parse(credential);
        }
        let query = query?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .and_then(|(_, v)| Self::parse(&v))
    }
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The signing name of the service.
    pub service: String,
    /// The region.
    pub region: String,
    /// The access key id, when the request was signed.
    pub access_key_id: Option<String>,
    /// The full scope, when the request was signed.
    pub scope: Option<CredentialScope>,
    /// The protocol answers to this request speak: the named service's, or
    /// the one the request's form implies when the service is not served.
    pub protocol: Protocol,
}

/// Routes a request by its credential scope, or by what a request that
/// names no service says of itself.
pub fn route(
    method: &str,
    headers: &HeaderMap,
    path: &str,
    query: Option<&str>,
    default_region: &str,
) -> Route {
    let form = Protocol::from_form(method, path, query, headers);
    if let Some(scope) = CredentialScope::from_request(headers, query) {
        return Route {
            service: scope.service.clone(),
            region: scope.region.clone(),
            access_key_id: Some(scope.access_key_id.clone()),
            protocol: Protocol::of_service(&scope.service).unwrap_or(form),
            scope: Some(scope),
        };
    }
    Route {
        service: form.service().to_owned(),
        region: default_region.to_owned(),
        access_key_id: None,
        scope: None,
        protocol: form,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn routes_by_authorization_scope() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
            ),
        );
        let r = route("POST", &headers, "/", None, "us-east-1");
        assert_eq!(r.service, "dynamodb");
        assert_eq!(r.region, "us-west-2");
        assert_eq!(r.access_key_id.as_deref(), Some("AKIDEXAMPLE"));
    }

    #[test]
    fn routes_presigned_urls_by_query_credential() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=x";
        let r = route("GET", &HeaderMap::new(), "/bucket/key", Some(q), "us-east-1");
        assert_eq!((r.service.as_str(), r.region.as_str()), ("s3", "eu-west-1"));
    }

    #[test]
    fn unsigned_requests_fall_back_to_what_they_say() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.ListTables"),
        );
        assert_eq!(
            route("POST", &headers, "/", None, "us-east-1").service,
            "dynamodb"
        );
        assert_eq!(
            route("GET", &HeaderMap::new(), "/backup-vaults/", None, "us-east-1").service,
            "backup"
        );
        let s3 = route("GET", &HeaderMap::new(), "/bucket", None, "us-west-2");
        assert_eq!((s3.service.as_str(), s3.region.as_str()), ("s3", "us-west-2"));
    }

    #[test]
    fn unsigned_query_requests_go_to_rds_never_to_s3() {
        let rds = route(
            "GET",
            &HeaderMap::new(),
            "/",
            Some("Action=DescribeDBInstances&Version=2014-10-31"),
            "us-east-1",
        );
        assert_eq!(
            (rds.service.as_str(), rds.protocol),
            ("rds", Protocol::Query(crate::protocol::QueryApi::Rds))
        );
        let mut form = HeaderMap::new();
        form.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(route("POST", &form, "/", None, "us-east-1").service, "rds");
    }

    #[test]
    fn an_unreadable_scope_is_judged_by_the_form() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1, Signature=x"),
        );
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.PutItem"),
        );
        let r = route("POST", &headers, "/", None, "us-east-1");
        assert_eq!(
            (r.service.as_str(), r.protocol),
            ("dynamodb", Protocol::Json(crate::protocol::JsonApi::DynamoDb))
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x",
            ),
        );
        let r = route("POST", &headers, "/", None, "us-east-1");
        assert_eq!(
            (r.service.as_str(), r.protocol),
            ("sqs", Protocol::Json(crate::protocol::JsonApi::DynamoDb))
        );
    }

    #[test]
    fn malformed_scopes_are_rejected() {
        assert!(CredentialScope::parse("AK/20260101/us-east-1/s3").is_none());
        assert!(CredentialScope::parse("AK/20260101/us-east-1/s3/aws4_request/extra").is_none());
        assert!(CredentialScope::parse("/20260101/us-east-1/s3/aws4_request").is_none());
    }
}
