//! S3: the XML bodies of the requests that carry one (DeleteObjects,
//! lifecycle, Object Lock configuration, retention and legal hold,
//! versioning, tagging, replication, CreateBucket's configuration), decoded
//! by `s3s` and converted by the emulator's protocol module, and the
//! emulator's own `aws-chunked` body decoder, and the request headers of
//! PutObject, GetObject, CopyObject, HeadObject and DeleteObject (Object
//! Lock, tagging, metadata, checksums, ranges, conditions, copy source).
//! Inputs are `route\nbody`; an XML body is sent with a correct
//! `Content-MD5`, so that it is decoded; on a header route the body is
//! `name: value` lines.

use super::Target;
use crate::harness::{Harness, Reply, pick, split_route};
use base64::Engine as _;
use firedrill_emu_core::{AwsService, Environment};
use md5::{Digest, Md5};
use std::sync::Arc;

/// What the input's body is on a route.
#[derive(PartialEq)]
enum Kind {
    /// The request body (with a correct Content-MD5).
    Xml,
    /// An aws-chunked body.
    Chunked,
    /// `name: value` request headers, one a line; the body is empty.
    Headers,
}

struct Route {
    method: &'static str,
    uri: &'static str,
    kind: Kind,
}

const fn r(method: &'static str, uri: &'static str) -> Route {
    Route {
        method,
        uri,
        kind: Kind::Xml,
    }
}

const fn h(method: &'static str, uri: &'static str) -> Route {
    Route {
        method,
        uri,
        kind: Kind::Headers,
    }
}

const ROUTES: &[(&str, Route)] = &[
    ("delete-objects", r("POST", "/fuzz?delete")),
    ("lifecycle", r("PUT", "/fuzz?lifecycle")),
    ("object-lock", r("PUT", "/fuzz-lock?object-lock")),
    ("retention", r("PUT", "/fuzz-lock/key?retention")),
    ("legal-hold", r("PUT", "/fuzz-lock/key?legal-hold")),
    ("versioning", r("PUT", "/fuzz?versioning")),
    ("bucket-tagging", r("PUT", "/fuzz?tagging")),
    ("object-tagging", r("PUT", "/fuzz/key?tagging")),
    ("replication", r("PUT", "/fuzz-lock?replication")),
    ("create-bucket", r("PUT", "/fuzz-new")),
    (
        "aws-chunked",
        Route {
            method: "PUT",
            uri: "/fuzz/chunked",
            kind: Kind::Chunked,
        },
    ),
    ("put-object-headers", h("PUT", "/fuzz-lock/put")),
    ("get-object-headers", h("GET", "/fuzz/key")),
    ("copy-object-headers", h("PUT", "/fuzz/copy")),
    ("head-object-headers", h("HEAD", "/fuzz-lock/key")),
    ("delete-object-headers", h("DELETE", "/fuzz-lock/key")),
];

fn make(env: &Environment) -> Arc<dyn AwsService> {
    firedrill_emu_s3::S3::new(env)
}

/// S3 XML bodies and aws-chunked bodies.
pub struct S3Xml {
    harness: Harness,
}

impl S3Xml {
    pub fn new() -> Self {
        let mut t = Self {
            harness: Harness::new("s3", make),
        };
        t.setup();
        t
    }

    fn setup(&mut self) {
        let h = &self.harness;
        let host = ("host", "localhost");
        for (uri, headers, body) in [
            ("/fuzz", vec![host], &b""[..]),
            (
                "/fuzz-lock",
                vec![host, ("x-amz-bucket-object-lock-enabled", "true")],
                &b""[..],
            ),
            ("/fuzz/key", vec![host], &b"body"[..]),
            ("/fuzz-lock/key", vec![host], &b"body"[..]),
        ] {
            let reply = h.send("PUT", uri, &headers, body.to_vec());
            assert_eq!(reply.status, 200, "setup PUT {uri}: {:?}", reply.body);
        }
    }

    fn send(&self, route: &Route, body: &[u8]) -> Reply {
        if route.kind == Kind::Headers {
            let text = String::from_utf8_lossy(body);
            let mut headers = vec![("host", "localhost")];
            headers.extend(
                text.lines()
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim(), v.trim()))
                    .filter(|(k, v)| {
                        http::HeaderName::from_bytes(k.as_bytes()).is_ok()
                            && http::HeaderValue::from_str(v).is_ok()
                    }),
            );
            let body = if route.method == "PUT" {
                b"fuzz".to_vec()
            } else {
                Vec::new()
            };
            return self.harness.send(route.method, route.uri, &headers, body);
        }
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
        let decoded = body.len().to_string();
        let mut headers = vec![("host", "localhost"), ("content-md5", md5.as_str())];
        if route.kind == Kind::Chunked {
            headers.extend([
                ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", decoded.as_str()),
                ("x-amz-trailer", "x-amz-checksum-crc32"),
            ]);
            headers.retain(|(k, _)| *k != "content-md5");
        }
        self.harness
            .send(route.method, route.uri, &headers, body.to_vec())
    }
}

impl Target for S3Xml {
    fn name(&self) -> &'static str {
        "s3-xml"
    }

    fn dictionary(&self) -> &'static [&'static str] {
        DICTIONARY
    }

    fn run(&mut self, input: &[u8]) -> String {
        let (key, body) = split_route(input);
        let (name, route) = pick(ROUTES, &key);
        format!("{name} {}", self.send(route, body).signature())
    }

    fn reset(&mut self) {
        self.harness.rebuild();
        self.setup();
    }
}

const DICTIONARY: &[&str] = &[
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    "<",
    ">",
    "</",
    "/>",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x110000;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<!DOCTYPE a [<!ENTITY e \"x\">]>",
    "&e;",
    " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"",
    "<Delete>",
    "</Delete>",
    "<Object>",
    "</Object>",
    "<Key>",
    "</Key>",
    "<VersionId>",
    "</VersionId>",
    "<Quiet>true</Quiet>",
    "<LifecycleConfiguration>",
    "<Rule>",
    "</Rule>",
    "<ID>",
    "<Status>Enabled</Status>",
    "<Filter>",
    "<Prefix>",
    "</Prefix>",
    "<And>",
    "<Tag>",
    "</Tag>",
    "<Value>",
    "</Value>",
    "<Expiration><Days>",
    "</Days></Expiration>",
    "<Date>",
    "</Date>",
    "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>",
    "<NoncurrentVersionExpiration><NoncurrentDays>",
    "</NoncurrentDays></NoncurrentVersionExpiration>",
    "<NewerNoncurrentVersions>",
    "<Transition><Days>",
    "<StorageClass>GLACIER</StorageClass>",
    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>",
    "<ObjectLockConfiguration>",
    "<ObjectLockEnabled>Enabled</ObjectLockEnabled>",
    "<DefaultRetention>",
    "<Mode>COMPLIANCE</Mode>",
    "<Mode>GOVERNANCE</Mode>",
    "<Years>",
    "</Years>",
    "<Retention>",
    "<RetainUntilDate>",
    "2026-03-15T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "</RetainUntilDate>",
    "<LegalHold><Status>ON</Status></LegalHold>",
    "<VersioningConfiguration>",
    "<Status>Suspended</Status>",
    "<MfaDelete>Enabled</MfaDelete>",
    "<Tagging><TagSet>",
    "</TagSet></Tagging>",
    "<ReplicationConfiguration>",
    "<Role>arn:aws:iam::000000000000:role/r</Role>",
    "<Destination><Bucket>arn:aws:s3:::fuzz</Bucket></Destination>",
    "<Priority>",
    "<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>",
    "<CreateBucketConfiguration>",
    "<LocationConstraint>eu-west-1</LocationConstraint>",
    "x-amz-object-lock-mode: GOVERNANCE\n",
    "x-amz-object-lock-retain-until-date: 2026-03-20T00:00:00Z\n",
    "x-amz-object-lock-legal-hold: ON\n",
    "x-amz-bypass-governance-retention: true\n",
    "x-amz-tagging: a=b&c=d\n",
    "x-amz-meta-",
    "x-amz-storage-class: STANDARD_IA\n",
    "content-md5: ",
    "x-amz-checksum-sha256: ",
    "x-amz-checksum-crc32: ",
    "x-amz-sdk-checksum-algorithm: CRC32\n",
    "range: bytes=0-1\n",
    "bytes=-",
    "if-match: ",
    "if-none-match: *\n",
    "if-modified-since: Sat, 14 Mar 2026 12:00:00 GMT\n",
    "x-amz-copy-source: /fuzz/key\n",
    "x-amz-copy-source: fuzz/key?versionId=",
    "x-amz-metadata-directive: REPLACE\n",
    "x-amz-tagging-directive: REPLACE\n",
    "x-amz-content-sha256: ",
    "content-type: ",
    "partNumber",
    "0;chunk-signature=",
    "\r\n",
    "ffffffffffffffff",
    "x-amz-checksum-crc32:AAAAAA==",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_versioning_body_from_the_sdk_is_applied() {
        let mut t = S3Xml::new();
        let body = "versioning\n<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>";
        let out = t.run(body.as_bytes());
        assert!(out.starts_with("versioning 200"), "{out}");
    }
}
