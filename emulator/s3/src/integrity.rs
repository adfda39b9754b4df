//! Checks of whole XML request bodies that s3s does not make, done before
//! s3s parses the request, so a refused request changes nothing.
//!
//! A request whose body s3s reads into memory (DeleteObjects,
//! CompleteMultipartUpload, and the bucket and object configuration PUTs:
//! tagging, lifecycle, versioning, replication, Object Lock, retention,
//! legal hold, encryption, policy, public access block, ownership
//! controls, CORS, website, logging, acceleration, request payment,
//! notifications and ACLs) is buffered here: a `Content-MD5` that is not a base64 MD5
//! answers `InvalidDigest`, one that does not match the body `BadDigest`.
//! A DeleteObjects body must also follow S3's schema (`Delete` holding
//! `Quiet` and `Object` elements, each with `Key`, `VersionId`, `ETag`,
//! `LastModifiedTime`, `Size`): anything else, a junk element at any depth
//! included, answers `MalformedXML`, where s3s would skip it and go on to
//! delete. The check reads the XML as a stream of events, so no depth of
//! nesting can exhaust the stack. Object uploads (PutObject, UploadPart)
//! stream their bodies and are checked in the protocol layer instead.

use crate::error::S3EngineError;
use md5::{Digest, Md5};
use quick_xml::Reader;
use quick_xml::events::Event;

/// The largest body buffered for the checks (DeleteObjects of 1000 keys of
/// 1024 bytes each is about 1.1 MB); a larger one answers
/// `MaxMessageLengthExceeded`, as S3 does for oversized XML.
pub(crate) const MAX_XML_BODY: usize = 16 * 1024 * 1024;

/// Query keys of the configuration subresources whose PUT carries an XML
/// body s3s reads whole.
const XML_SUBRESOURCES: [&str; 18] = [
    "tagging",
    "encryption",
    "policy",
    "publicAccessBlock",
    "ownershipControls",
    "lifecycle",
    "versioning",
    "replication",
    "object-lock",
    "retention",
    "legal-hold",
    "cors",
    "website",
    "logging",
    "accelerate",
    "requestPayment",
    "notification",
    "acl",
];

/// A base64 Content-MD5 header as raw bytes.
pub(crate) fn content_md5(h: Option<&str>) -> Result<Option<[u8; 16]>, S3EngineError> {
    use base64::Engine as _;
    let Some(h) = h else { return Ok(None) };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(h.trim())
        .map_err(|_| S3EngineError::InvalidDigest)?;
    <[u8; 16]>::try_from(bytes.as_slice())
        .map(Some)
        .map_err(|_| S3EngineError::InvalidDigest)
}

/// What the front checks of one request are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyCheck {
    /// DeleteObjects: the digest and the schema.
    DeleteObjects,
    /// Another whole XML body: the digest.
    Digest,
}

/// Which checks `method` on a URI with `query` needs, if any.
pub(crate) fn body_check(method: &http::Method, query: Option<&str>) -> Option<BodyCheck> {
    let keys: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .map(|kv| kv.split('=').next().unwrap_or(""))
        .collect();
    let has = |k: &str| keys.contains(&k);
    match *method {
        http::Method::POST if has("delete") => Some(BodyCheck::DeleteObjects),
        http::Method::POST if has("uploadId") => Some(BodyCheck::Digest),
        http::Method::PUT if XML_SUBRESOURCES.iter().any(|k| has(k)) => Some(BodyCheck::Digest),
        _ => None,
    }
}

/// Checks a buffered body against its `Content-MD5` (when given) and, for
/// DeleteObjects, against S3's schema.
pub(crate) fn check(kind: BodyCheck, md5_header: Option<&[u8]>, body: &[u8]) -> Result<(), S3EngineError> {
    if let Some(header) = md5_header {
        let header = std::str::from_utf8(header).map_err(|_| S3EngineError::InvalidDigest)?;
        let expected = content_md5(Some(header))?.ok_or(S3EngineError::InvalidDigest)?;
        if expected != <[u8; 16]>::from(Md5::digest(body)) {
            return Err(S3EngineError::BadDigest);
        }
    }
    if kind == BodyCheck::DeleteObjects && !delete_follows_schema(body) {
        return Err(S3EngineError::MalformedXml);
    }
    Ok(())
}

/// The elements a DeleteObjects body may hold, by parent.
fn allowed(path: &[Vec<u8>], name: &[u8]) -> bool {
    match path {
        [] => name == b"Delete",
        [d] if d == b"Delete" => matches!(name, b"Object" | b"Quiet"),
        [d, o] if d == b"Delete" && o == b"Object" => {
            matches!(
                name,
                b"Key" | b"VersionId" | b"ETag" | b"LastModifiedTime" | b"Size"
            )
        }
        _ => false,
    }
}

/// Whether text may stand directly inside the innermost element of `path`.
fn holds_text(path: &[Vec<u8>]) -> bool {
    matches!(path.len(), 3) || path.last().is_some_and(|n| n == b"Quiet")
}

/// Whether `xml` is one well-formed `Delete` document with only the
/// elements of S3's schema.
pub(crate) fn delete_follows_schema(xml: &[u8]) -> bool {
    let mut reader = Reader::from_reader(xml);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut roots = 0u8;
    loop {
        let open = |path: &[Vec<u8>], name: &[u8], roots: &mut u8| {
            if path.is_empty() {
                *roots = roots.saturating_add(1);
            }
            *roots == 1 && allowed(path, name)
        };
        match reader.read_event() {
            Err(_) | Ok(Event::DocType(_)) => return false,
            Ok(Event::Eof) => return roots == 1 && path.is_empty(),
            Ok(Event::Start(e)) => {
                let name = e.local_name().as_ref().to_vec();
                if !open(&path, &name, &mut roots) {
                    return false;
                }
                path.push(name);
            }
            Ok(Event::Empty(e)) => {
                if !open(&path, e.local_name().as_ref(), &mut roots) {
                    return false;
                }
            }
            Ok(Event::End(_)) => {
                if path.pop().is_none() {
                    return false;
                }
            }
            Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_)) => {}
            Ok(Event::Text(t)) => {
                if !holds_text(&path) && !t.iter().all(u8::is_ascii_whitespace) {
                    return false;
                }
            }
            Ok(_) => {
                if !holds_text(&path) {
                    return false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_bodies_follow_the_schema_or_are_refused() {
        let ok = br#"<?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Object><Key>a &amp; b</Key><VersionId>v</VersionId></Object>
              <Object><Key><![CDATA[c]]></Key></Object>
              <Quiet>true</Quiet>
            </Delete>"#;
        assert!(delete_follows_schema(ok));
        for bad in [
            &b"<Delete><Object><Key>a</Key></Object><Junk/></Delete>"[..],
            b"<Delete><Object><Key>a</Key><Key2>b</Key2></Object></Delete>",
            b"<Delete><Object><Key>a<Sub/></Key></Object></Delete>",
            b"<Delete><Object><Key>a</Key></Object>",
            b"<Delete><Object><Key>a</Key></Object></Delete><Delete/>",
            b"<Delete>text<Object><Key>a</Key></Object></Delete>",
            b"<Remove><Object><Key>a</Key></Object></Remove>",
            b"<Delete><Object><Key>a</Key></Objet></Delete>",
            b"",
            b"<!DOCTYPE d [<!ENTITY e \"x\">]><Delete/>",
        ] {
            assert!(!delete_follows_schema(bad), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!(
            "<Delete>{}{}</Delete>",
            "<J>".repeat(100_000),
            "</J>".repeat(100_000)
        );
        assert!(
            !delete_follows_schema(deep.as_bytes()),
            "refused at the first junk element"
        );
    }

    #[test]
    fn digests_are_checked_against_the_body() {
        let body = b"<Delete><Object><Key>a</Key></Object></Delete>";
        use base64::Engine as _;
        let good = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
        assert_eq!(
            check(BodyCheck::DeleteObjects, Some(good.as_bytes()), body),
            Ok(())
        );
        assert_eq!(
            check(BodyCheck::Digest, Some(b"1B2M2Y8AsgTpgAmY7PhCfg=="), body),
            Err(S3EngineError::BadDigest)
        );
        assert_eq!(
            check(BodyCheck::Digest, Some(b"AAAA"), body),
            Err(S3EngineError::InvalidDigest)
        );
        assert_eq!(check(BodyCheck::Digest, None, b"anything"), Ok(()));
    }

    #[test]
    fn only_whole_xml_bodies_are_buffered() {
        use http::Method;
        assert_eq!(
            body_check(&Method::POST, Some("delete")),
            Some(BodyCheck::DeleteObjects)
        );
        assert_eq!(
            body_check(&Method::POST, Some("delete=")),
            Some(BodyCheck::DeleteObjects)
        );
        assert_eq!(
            body_check(&Method::POST, Some("uploadId=x")),
            Some(BodyCheck::Digest)
        );
        assert_eq!(body_check(&Method::PUT, Some("tagging")), Some(BodyCheck::Digest));
        assert_eq!(body_check(&Method::PUT, Some("x-id=PutObject")), None);
        assert_eq!(body_check(&Method::PUT, Some("partNumber=1&uploadId=x")), None);
        assert_eq!(body_check(&Method::PUT, None), None);
        assert_eq!(body_check(&Method::POST, Some("uploads")), None);
    }
}
