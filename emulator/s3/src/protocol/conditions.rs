//! Conditional requests: the read conditions of GetObject and HeadObject,
//! the copy-source conditions of CopyObject and UploadPartCopy, and the
//! write preconditions of PutObject, CopyObject and CompleteMultipartUpload.
//!
//! Reads follow RFC 7232 as S3 does: a failed `If-Match` or
//! `If-Unmodified-Since` is `412 PreconditionFailed`, a failed
//! `If-None-Match` or `If-Modified-Since` is `304 Not Modified`, and
//! `If-Match` overrides `If-Unmodified-Since` (`If-None-Match` overrides
//! `If-Modified-Since`). Copy-source conditions pair the same way but every
//! failure is `412`, naming the `x-amz-copy-source-*` condition. Writes take
//! `If-None-Match: *` or `If-Match: <etag>` (one of them, any other value is
//! `501 NotImplemented` as on AWS); the engine evaluates them atomically
//! with the write.

use super::convert::from_ts;
use crate::engine::Found;
use crate::engine::model::Precondition;
use crate::error::S3EngineError;
use s3s::dto::{ETagCondition, Timestamp};

/// The four conditions of a read or a copy source.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Conditions<'a> {
    pub if_match: Option<&'a ETagCondition>,
    pub if_none_match: Option<&'a ETagCondition>,
    pub if_modified_since: Option<&'a Timestamp>,
    pub if_unmodified_since: Option<&'a Timestamp>,
}

/// Which condition failed, and how.
enum Failed {
    Match,
    UnmodifiedSince,
    NoneMatch,
    ModifiedSince,
}

impl Conditions<'_> {
    fn evaluate(&self, found: &Found) -> Option<Failed> {
        let matches = |c: &ETagCondition| match c {
            ETagCondition::Any => true,
            ETagCondition::ETag(e) => e.value() == found.object.etag,
        };
        let lm = found.last_modified.timestamp();
        if let Some(c) = self.if_match {
            if !matches(c) {
                return Some(Failed::Match);
            }
        } else if let Some(t) = self.if_unmodified_since.and_then(from_ts)
            && lm > t.timestamp()
        {
            return Some(Failed::UnmodifiedSince);
        }
        if let Some(c) = self.if_none_match {
            if matches(c) {
                return Some(Failed::NoneMatch);
            }
        } else if let Some(t) = self.if_modified_since.and_then(from_ts)
            && lm <= t.timestamp()
        {
            return Some(Failed::ModifiedSince);
        }
        None
    }

    /// Checks a GET or HEAD.
    pub fn check_read(&self, found: &Found) -> Result<(), S3EngineError> {
        match self.evaluate(found) {
            None => Ok(()),
            Some(Failed::Match) => Err(S3EngineError::PreconditionFailed("If-Match".to_owned())),
            Some(Failed::UnmodifiedSince) => Err(S3EngineError::PreconditionFailed(
                "If-Unmodified-Since".to_owned(),
            )),
            Some(Failed::NoneMatch | Failed::ModifiedSince) => Err(S3EngineError::NotModified),
        }
    }

    /// Checks the source of a copy.
    pub fn check_copy_source(&self, found: &Found) -> Result<(), S3EngineError> {
        let condition = match self.evaluate(found) {
            None => return Ok(()),
            Some(Failed::Match) => "x-amz-copy-source-If-Match",
            Some(Failed::UnmodifiedSince) => "x-amz-copy-source-If-Unmodified-Since",
            Some(Failed::NoneMatch) => "x-amz-copy-source-If-None-Match",
            Some(Failed::ModifiedSince) => "x-amz-copy-source-If-Modified-Since",
        };
        Err(S3EngineError::PreconditionFailed(condition.to_owned()))
    }
}

/// The precondition of a write, from its `If-Match` and `If-None-Match`
/// headers.
pub(crate) fn write_precondition(headers: &http::HeaderMap) -> Result<Option<Precondition>, S3EngineError> {
    let text = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().map(|s| s.trim().to_owned()))
            .transpose()
            .map_err(|_| S3EngineError::InvalidArgument(format!("Invalid {name} header")))
    };
    match (text("if-match")?, text("if-none-match")?) {
        (Some(_), Some(_)) => Err(S3EngineError::HeaderNotImplemented(
            "If-Match,If-None-Match".to_owned(),
        )),
        (None, Some(v)) if v == "*" => Ok(Some(Precondition::Absent)),
        (None, Some(_)) => Err(S3EngineError::HeaderNotImplemented("If-None-Match".to_owned())),
        (Some(v), None) if v == "*" => Err(S3EngineError::HeaderNotImplemented("If-Match".to_owned())),
        (Some(v), None) => Ok(Some(Precondition::Matches(v.trim_matches('"').to_owned()))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn writes_take_one_precondition_of_the_forms_s3_accepts() {
        assert_eq!(write_precondition(&headers(&[])), Ok(None));
        assert_eq!(
            write_precondition(&headers(&[("if-none-match", "*")])),
            Ok(Some(Precondition::Absent))
        );
        assert_eq!(
            write_precondition(&headers(&[("if-match", "\"abc\"")])),
            Ok(Some(Precondition::Matches("abc".to_owned())))
        );
        for bad in [
            &[("if-none-match", "\"abc\"")][..],
            &[("if-match", "*")],
            &[("if-match", "\"abc\""), ("if-none-match", "*")],
        ] {
            let e = write_precondition(&headers(bad)).unwrap_err();
            assert_eq!(e.code(), "NotImplemented", "{bad:?}");
            assert_eq!(e.status(), 501);
        }
    }
}
