//! The checksum fields of requests and answers.
//!
//! A body upload (PutObject, UploadPart) names its checksum by an
//! `x-amz-checksum-<algorithm>` header, by an `x-amz-trailer` that promises
//! it after an aws-chunked body, or by `x-amz-sdk-checksum-algorithm` alone
//! (then S3 computes it). What S3 refuses, before anything is stored:
//! two checksum headers (`InvalidRequest` "Expecting a single
//! x-amz-checksum- header"), a value that is not base64 of the algorithm's
//! length (`InvalidRequest` "Value for x-amz-checksum-crc32 header is
//! invalid."), an unknown algorithm (`InvalidRequest` "Checksum algorithm
//! provided is unsupported"), a value that differs from the body
//! (`BadDigest` "The CRC32 you specified did not match the calculated
//! checksum."), and a promised trailer that never came
//! (`MalformedTrailerError`).

use crate::checksum::{self, Algorithm, Digests, ObjectChecksum};
use crate::chunked::Trailers;
use crate::error::S3EngineError;

/// The trailers of an aws-chunked request body, which the service puts in
/// the request extensions; they are filled in once the body is read.
#[derive(Debug, Clone)]
pub(crate) struct ChunkTrailers(pub Trailers);

/// The checksum an upload names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requested {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The value from a header, when it came in one.
    pub value: Option<Vec<u8>>,
    /// Whether the value follows the body as a trailer.
    pub trailer: bool,
}

/// The message S3 gives an algorithm it does not know.
pub(crate) const UNSUPPORTED: &str = "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]";

/// Parses an algorithm name, or S3's error for an unknown one.
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, S3EngineError> {
    Algorithm::parse(name).ok_or_else(|| S3EngineError::InvalidRequest(UNSUPPORTED.to_owned()))
}

/// The `x-amz-checksum-*` values present among s3s's typed fields.
pub(crate) fn present(fields: [(Algorithm, Option<&str>); 5]) -> Vec<(Algorithm, String)> {
    fields
        .into_iter()
        .filter_map(|(a, v)| v.map(|v| (a, v.to_owned())))
        .collect()
}

/// The five typed checksum fields of an s3s input, by algorithm.
macro_rules! checksum_fields {
    ($input:expr) => {
        [
            (
                crate::checksum::Algorithm::Crc32,
                $input.checksum_crc32.as_deref(),
            ),
            (
                crate::checksum::Algorithm::Crc32c,
                $input.checksum_crc32c.as_deref(),
            ),
            (
                crate::checksum::Algorithm::Crc64Nvme,
                $input.checksum_crc64nvme.as_deref(),
            ),
            (crate::checksum::Algorithm::Sha1, $input.checksum_sha1.as_deref()),
            (
                crate::checksum::Algorithm::Sha256,
                $input.checksum_sha256.as_deref(),
            ),
        ]
    };
}
pub(crate) use checksum_fields;

/// Sets the five checksum fields of an s3s output from a [`Wire`].
macro_rules! set_checksum {
    ($out:expr, $wire:expr) => {{
        let w: crate::protocol::checksums::Wire = $wire;
        $out.checksum_crc32 = w.crc32;
        $out.checksum_crc32c = w.crc32c;
        $out.checksum_crc64nvme = w.crc64nvme;
        $out.checksum_sha1 = w.sha1;
        $out.checksum_sha256 = w.sha256;
    }};
}
pub(crate) use set_checksum;

/// Sets a write's answer (PutObject, CopyObject, CompleteMultipartUpload)
/// from the object's [`ObjectChecksum`]: its value in its algorithm's
/// field and its `ChecksumType`.
macro_rules! set_object_checksum {
    ($out:expr, $checksum:expr) => {{
        let c: &crate::checksum::ObjectChecksum = $checksum;
        $out.checksum_type = Some(crate::protocol::checksums::checksum_type(c.kind));
        crate::protocol::checksums::set_checksum!($out, crate::protocol::checksums::Wire::object(c));
    }};
}
pub(crate) use set_object_checksum;

/// An engine checksum type as s3s's.
pub(crate) fn checksum_type(k: checksum::ChecksumType) -> s3s::dto::ChecksumType {
    s3s::dto::ChecksumType::from(k.name().to_owned())
}

/// One checksum value, in the field of its algorithm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Wire {
    pub crc32: Option<String>,
    pub crc32c: Option<String>,
    pub crc64nvme: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
}

impl Wire {
    /// `value` in `a`'s field.
    pub fn of(a: Algorithm, value: String) -> Self {
        let mut w = Wire::default();
        match a {
            Algorithm::Crc32 => w.crc32 = Some(value),
            Algorithm::Crc32c => w.crc32c = Some(value),
            Algorithm::Crc64Nvme => w.crc64nvme = Some(value),
            Algorithm::Sha1 => w.sha1 = Some(value),
            Algorithm::Sha256 => w.sha256 = Some(value),
        }
        w
    }

    /// An object's checksum as GET, HEAD and the write answers carry it.
    pub fn object(c: &ObjectChecksum) -> Self {
        Self::of(c.algorithm, c.wire())
    }

    /// A part's (or a body's) digest of `a`, when there is one.
    pub fn digest(digests: &Digests, a: Option<Algorithm>) -> Self {
        match a.and_then(|a| digests.get(a).map(|d| (a, d))) {
            Some((a, d)) => Self::of(a, checksum::encode(d)),
            None => Self::default(),
        }
    }
}

/// Whether `x-amz-checksum-mode` asks for checksums (S3 ignores the case).
pub(crate) fn mode_enabled(mode: Option<&str>) -> bool {
    mode.is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
}

/// The checksum algorithm an `x-amz-trailer` header promises, if any.
fn trailer_algorithm(headers: &http::HeaderMap) -> Result<Option<Algorithm>, S3EngineError> {
    let mut found = None;
    for v in headers.get_all("x-amz-trailer") {
        let text = v.to_str().map_err(|_| S3EngineError::MalformedTrailer)?;
        for name in text.split(',').map(str::trim) {
            if let Some(alg) = name.to_ascii_lowercase().strip_prefix("x-amz-checksum-") {
                if found.is_some() {
                    return Err(multiple());
                }
                found = Some(algorithm(alg)?);
            }
        }
    }
    Ok(found)
}

fn multiple() -> S3EngineError {
    S3EngineError::InvalidRequest(
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.".to_owned(),
    )
}

fn invalid_value(a: Algorithm, trailing: bool) -> S3EngineError {
    let what = if trailing { "trailing header" } else { "header" };
    S3EngineError::InvalidRequest(format!("Value for {} {what} is invalid.", a.header()))
}

/// What an upload's headers say about its checksum: a value, a trailer
/// to come, an algorithm to compute, or nothing (S3 then stores a
/// CRC64NVME).
pub(crate) fn requested(
    values: Vec<(Algorithm, String)>,
    sdk_algorithm: Option<&str>,
    headers: &http::HeaderMap,
) -> Result<Option<Requested>, S3EngineError> {
    let trailer = trailer_algorithm(headers)?;
    if values.len() > 1 || (!values.is_empty() && trailer.is_some()) {
        return Err(multiple());
    }
    if let Some((a, v)) = values.into_iter().next() {
        let value = checksum::decode(a, &v).ok_or_else(|| invalid_value(a, false))?;
        return Ok(Some(Requested {
            algorithm: a,
            value: Some(value),
            trailer: false,
        }));
    }
    if let Some(a) = trailer {
        return Ok(Some(Requested {
            algorithm: a,
            value: None,
            trailer: true,
        }));
    }
    match sdk_algorithm {
        Some(name) => Ok(Some(Requested {
            algorithm: algorithm(name)?,
            value: None,
            trailer: false,
        })),
        None => Ok(None),
    }
}

/// Checks a stored body's digests against the value the request gave (in
/// a header, or in the trailers once the body has been read).
pub(crate) fn verify(
    req: &Requested,
    digests: &Digests,
    trailers: Option<&ChunkTrailers>,
) -> Result<(), S3EngineError> {
    let expected = match (&req.value, req.trailer) {
        (Some(v), _) => v.clone(),
        (None, true) => {
            let sent = trailers
                .and_then(|t| {
                    t.0.lock().ok().and_then(|t| {
                        t.iter()
                            .find(|(k, _)| k == req.algorithm.header())
                            .map(|(_, v)| v.clone())
                    })
                })
                .ok_or(S3EngineError::MalformedTrailer)?;
            checksum::decode(req.algorithm, &sent).ok_or_else(|| invalid_value(req.algorithm, true))?
        }
        (None, false) => return Ok(()),
    };
    if digests.get(req.algorithm) != Some(expected.as_slice()) {
        return Err(S3EngineError::ChecksumMismatch(format!(
            "The {} you specified did not match the calculated checksum.",
            req.algorithm.name()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn uploads_name_one_checksum_or_are_refused() {
        let none = http::HeaderMap::new();
        let code = |r: Result<Option<Requested>, S3EngineError>| r.unwrap_err().to_string();
        assert_eq!(
            code(requested(
                vec![
                    (Algorithm::Crc32, "NSRBwg==".into()),
                    (Algorithm::Sha1, "x".into())
                ],
                None,
                &none
            )),
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        );
        assert_eq!(
            code(requested(vec![(Algorithm::Crc32, "abc".into())], None, &none)),
            "Value for x-amz-checksum-crc32 header is invalid."
        );
        assert_eq!(code(requested(vec![], Some("MD5"), &none)), UNSUPPORTED);
        let t = headers(&[("x-amz-trailer", "x-amz-checksum-crc64nvme")]);
        assert_eq!(
            requested(vec![], Some("CRC64NVME"), &t).unwrap(),
            Some(Requested {
                algorithm: Algorithm::Crc64Nvme,
                value: None,
                trailer: true
            })
        );
        assert_eq!(requested(vec![], None, &none).unwrap(), None);
    }

    #[test]
    fn trailers_are_checked_once_the_body_is_read() {
        let digests = Digests::of(b"abc", Some(Algorithm::Crc32));
        let req = Requested {
            algorithm: Algorithm::Crc32,
            value: None,
            trailer: true,
        };
        let t = ChunkTrailers(Trailers::default());
        assert_eq!(
            verify(&req, &digests, Some(&t)),
            Err(S3EngineError::MalformedTrailer)
        );
        t.0.lock()
            .unwrap()
            .push(("x-amz-checksum-crc32".into(), "NSRBwg==".into()));
        assert_eq!(verify(&req, &digests, Some(&t)), Ok(()));
        let other = Digests::of(b"abd", Some(Algorithm::Crc32));
        assert_eq!(
            verify(&req, &other, Some(&t)).unwrap_err().to_string(),
            "The CRC32 you specified did not match the calculated checksum."
        );
    }
}
