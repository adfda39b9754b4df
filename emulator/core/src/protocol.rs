//! Which AWS wire protocol a request speaks, told from its form alone.
//!
//! The core must answer some requests itself (transport errors, refused
//! signatures, refused connections) before any service has seen them, and
//! AWS answers each in the shape of the protocol the request spoke. The
//! signing name in the SigV4 credential scope says it best; a request that
//! names no service (unsigned, or with a scope the core cannot read) is
//! judged by its form:
//!
//! - an `X-Amz-Target` header: a JSON service, told by the target's prefix
//!   (`TrentService.*` is KMS, JSON 1.1; anything else DynamoDB, JSON 1.0);
//! - a path `/service/<name>/operation/<op>`: Smithy RPC v2 CBOR
//!   (CloudWatch);
//! - an `Action=` query parameter, or a form-encoded POST: the Query protocol
//!   (RDS; ElastiCache requests are told by their signing name);
//! - a path under one of AWS Backup's REST resources: REST-JSON (Backup);
//! - anything else: REST-XML (S3).
//!
//! [`Protocol::error`] builds an error in that protocol's shape with
//! [`crate::error`]'s functions.

use crate::error;
use crate::service::Body;
use http::{HeaderMap, Response, StatusCode};

/// The namespace of errors AWS's shared JSON front end raises before the
/// service itself runs (signature, framing, throttling).
pub const COMMON_JSON_PREFIX: &str = "com.amazon.coral.service";

/// The top-level path segments of AWS Backup's REST-JSON API.
const BACKUP_ROOTS: [&str; 9] = [
    "backup",
    "backup-jobs",
    "backup-vaults",
    "copy-jobs",
    "restore-jobs",
    "resources",
    "supported-resource-types",
    "tags",
    "untag",
];

/// A service that speaks the Query protocol: each writes its errors in
/// its own XML namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryApi {
    /// Amazon RDS, API version 2014-10-31.
    Rds,
    /// Amazon ElastiCache, API version 2015-02-02.
    ElastiCache,
    /// AWS STS, API version 2011-06-15.
    Sts,
    /// Amazon SNS, API version 2010-03-31.
    Sns,
}

impl QueryApi {
    /// The XML namespace of this service's answers.
    pub const fn xmlns(self) -> &'static str {
        match self {
            Self::Rds => "http://rds.amazonaws.com/doc/2014-10-31/",
            Self::ElastiCache => "http://elasticache.amazonaws.com/doc/2015-02-02/",
            Self::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            Self::Sns => "http://sns.amazonaws.com/doc/2010-03-31/",
        }
    }

    /// The SigV4 signing name of this service.
    pub fn service(self) -> &'static str {
        match self {
            Self::Rds => "rds",
            Self::ElastiCache => "elasticache",
            Self::Sts => "sts",
            Self::Sns => "sns",
        }
    }
}

/// A service that speaks AWS's JSON protocol, 1.0 or 1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonApi {
    /// Amazon DynamoDB (and DynamoDB Streams), JSON 1.0.
    DynamoDb,
    /// AWS KMS, JSON 1.1.
    Kms,
    /// AWS CloudTrail, JSON 1.1.
    CloudTrail,
}

impl JsonApi {
    /// The SigV4 signing name of this service.
    pub const fn service(self) -> &'static str {
        match self {
            Self::DynamoDb => "dynamodb",
            Self::Kms => "kms",
            Self::CloudTrail => "cloudtrail",
        }
    }

    /// The content type of this service's answers.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::DynamoDb => "application/x-amz-json-1.0",
            Self::Kms | Self::CloudTrail => "application/x-amz-json-1.1",
        }
    }

    /// The service an `X-Amz-Target` names (`TrentService.Decrypt` is KMS,
    /// `CloudTrail_20131101.*` or its namespaced form CloudTrail); a target
    /// no served service uses is taken for DynamoDB's.
    pub fn of_target(target: &str) -> Self {
        let target = target.trim_start();
        if target.starts_with("TrentService.") {
            Self::Kms
        } else if target.starts_with("CloudTrail_20131101.")
            || target.starts_with("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.")
        {
            Self::CloudTrail
        } else {
            Self::DynamoDb
        }
    }
}

/// An AWS wire protocol, with the service that speaks it here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// JSON 1.0 or 1.1 (DynamoDB, KMS).
    Json(JsonApi),
    /// Query, form-encoded in and XML out (RDS, ElastiCache, STS, SNS).
    Query(QueryApi),
    /// Smithy RPC v2 CBOR (CloudWatch).
    Cbor,
    /// REST-JSON (AWS Backup).
    RestJson,
    /// REST-XML (S3).
    RestXml,
}

impl Protocol {
    /// The protocol of the service with this SigV4 signing name, if served.
    pub fn of_service(service: &str) -> Option<Self> {
        match service {
            "dynamodb" => Some(Self::Json(JsonApi::DynamoDb)),
            "kms" => Some(Self::Json(JsonApi::Kms)),
            "cloudtrail" => Some(Self::Json(JsonApi::CloudTrail)),
            "monitoring" => Some(Self::Cbor),
            "rds" => Some(Self::Query(QueryApi::Rds)),
            "elasticache" => Some(Self::Query(QueryApi::ElastiCache)),
            "sts" => Some(Self::Query(QueryApi::Sts)),
            "sns" => Some(Self::Query(QueryApi::Sns)),
            "backup" => Some(Self::RestJson),
            "s3" => Some(Self::RestXml),
            _ => None,
        }
    }

    /// The signing name of the service that speaks this protocol here.
    pub fn service(self) -> &'static str {
        match self {
            Self::Json(api) => api.service(),
            Self::Query(api) => api.service(),
            Self::Cbor => "monitoring",
            Self::RestJson => "backup",
            Self::RestXml => "s3",
        }
    }

    /// The protocol a request's form implies, ignoring any signature.
    pub fn from_form(method: &str, path: &str, query: Option<&str>, headers: &HeaderMap) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Self::judge(
            method,
            path,
            query,
            header("x-amz-target"),
            header("content-type"),
        )
    }

    /// The same judgement from loose parts, for heads the core parsed itself.
    pub fn judge(
        method: &str,
        path: &str,
        query: Option<&str>,
        target: Option<&str>,
        content_type: Option<&str>,
    ) -> Self {
        if let Some(target) = target.filter(|t| !t.trim().is_empty()) {
            return Self::Json(JsonApi::of_target(target));
        }
        if path.starts_with("/service/") && path.contains("/operation/") {
            return Self::Cbor;
        }
        let names_action = query.is_some_and(|q| {
            q.split('&')
                .any(|pair| pair.split('=').next().is_some_and(|k| k == "Action"))
        });
        let form_post = method.eq_ignore_ascii_case("POST")
            && content_type.is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if names_action || form_post {
            return Self::Query(QueryApi::Rds);
        }
        let root = path.trim_start_matches('/').split('/').next().unwrap_or("");
        if BACKUP_ROOTS.contains(&root) {
            return Self::RestJson;
        }
        Self::RestXml
    }

    /// An error in this protocol's shape. JSON and CBOR errors raised by the
    /// core carry AWS's front-end namespace, [`COMMON_JSON_PREFIX`].
    pub fn error(self, status: StatusCode, code: &str, message: &str, request_id: &str) -> Response<Body> {
        match self {
            Self::Json(JsonApi::DynamoDb) => {
                error::json_1_0(status, COMMON_JSON_PREFIX, code, message, request_id)
            }
            Self::Json(JsonApi::Kms | JsonApi::CloudTrail) => error::json_1_1(
                status,
                &format!("{COMMON_JSON_PREFIX}#{code}"),
                message,
                request_id,
            ),
            Self::Cbor => error::rpc_v2_cbor(
                status,
                &format!("{COMMON_JSON_PREFIX}#{code}"),
                message,
                request_id,
            ),
            Self::Query(api) => error::query_xml(api.xmlns(), status, code, message, request_id),
            Self::RestJson => error::rest_json(status, code, message, request_id),
            Self::RestXml => error::s3_xml(status, code, message, request_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn the_form_names_the_protocol() {
        let mut target = HeaderMap::new();
        target.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.ListTables"),
        );
        assert_eq!(
            Protocol::from_form("POST", "/", None, &target),
            Protocol::Json(JsonApi::DynamoDb)
        );
        let mut kms = HeaderMap::new();
        kms.insert("x-amz-target", HeaderValue::from_static("TrentService.Decrypt"));
        assert_eq!(
            Protocol::from_form("POST", "/", None, &kms),
            Protocol::Json(JsonApi::Kms)
        );
        let mut trail = HeaderMap::new();
        trail.insert(
            "x-amz-target",
            HeaderValue::from_static("CloudTrail_20131101.LookupEvents"),
        );
        assert_eq!(
            Protocol::from_form("POST", "/", None, &trail),
            Protocol::Json(JsonApi::CloudTrail)
        );
        assert_eq!(
            Protocol::from_form(
                "POST",
                "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
                None,
                &HeaderMap::new()
            ),
            Protocol::Cbor
        );
        let mut form = HeaderMap::new();
        form.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        assert_eq!(
            Protocol::from_form("POST", "/", None, &form),
            Protocol::Query(QueryApi::Rds)
        );
        assert_eq!(
            Protocol::from_form("GET", "/", Some("Action=DescribeDBInstances"), &HeaderMap::new()),
            Protocol::Query(QueryApi::Rds)
        );
        assert_eq!(
            Protocol::from_form("GET", "/backup-vaults/", None, &HeaderMap::new()),
            Protocol::RestJson
        );
        assert_eq!(
            Protocol::from_form("GET", "/backup-bucket/key", None, &HeaderMap::new()),
            Protocol::RestXml
        );
        assert_eq!(
            Protocol::from_form("GET", "/bucket", Some("list-type=2"), &HeaderMap::new()),
            Protocol::RestXml
        );
    }
}
