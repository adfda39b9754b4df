//! Multipart uploads: creation, parts, listing, abort and completion, with
//! the checksum rules S3 applies to them.
//!
//! An upload created with a checksum algorithm requires every part to carry
//! that algorithm (a part sent with another is `InvalidRequest` "Checksum
//! Type mismatch occurred"). At completion the client's list of parts is
//! checked against what was uploaded (a wrong ETag or part checksum is
//! `InvalidPart`; a composite upload needs every part's checksum), the
//! object's checksum is derived from the parts' (combined CRCs for
//! `FULL_OBJECT`, the checksum of the part checksums for `COMPOSITE`, a
//! combined CRC64NVME when the upload named none) and any whole-object
//! checksum the client sent must match it (`BadDigest`). Nothing changes
//! unless every check passes.

use super::*;
use crate::checksum::{self, Algorithm, ChecksumType, ObjectChecksum};
use std::sync::Arc;

/// A part as CompleteMultipartUpload lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletedPartSpec {
    /// The part number.
    pub number: i32,
    /// The ETag the client saw (quotes allowed).
    pub etag: String,
    /// The checksums the client gave for the part (base64).
    pub checksums: Vec<(Algorithm, String)>,
}

/// The whole-object fields of CompleteMultipartUpload: checksum, size and
/// precondition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteChecksum {
    /// `x-amz-checksum-type`.
    pub kind: Option<ChecksumType>,
    /// `x-amz-checksum-*` headers (base64, composite ones with `-N`).
    pub values: Vec<(Algorithm, String)>,
    /// `x-amz-mp-object-size`.
    pub object_size: Option<i64>,
    /// `If-None-Match` / `If-Match`.
    pub precondition: Option<Precondition>,
}

fn invalid_part() -> S3EngineError {
    S3EngineError::InvalidPart
}

fn digest_of(p: &UploadPart, a: Algorithm) -> Result<&[u8]> {
    p.digests
        .get(a)
        .ok_or_else(|| S3EngineError::Internal(format!("a part has no {} checksum", a.name())))
}

/// Checks one listed part against the uploaded one.
fn check_part(upload: &Upload, spec: &CompletedPartSpec, p: &UploadPart) -> Result<()> {
    if spec.etag.trim_matches('"') != p.etag {
        return Err(invalid_part());
    }
    let Some(uc) = upload.checksum else {
        return if spec.checksums.is_empty() {
            Ok(())
        } else {
            Err(invalid_part())
        };
    };
    let stored = digest_of(p, uc.algorithm)?;
    match spec.checksums.iter().find(|(a, _)| *a == uc.algorithm) {
        Some((a, v)) if checksum::decode(*a, v).as_deref() != Some(stored) => {
            return Err(invalid_part());
        }
        Some(_) => {}
        None if uc.kind == ChecksumType::Composite => {
            if let Some((other, _)) = spec.checksums.first() {
                return Err(S3EngineError::ChecksumMismatch(format!(
                    "The {} you specified for part {} did not match what we received.",
                    other.lower(),
                    spec.number
                )));
            }
            return Err(S3EngineError::InvalidRequest(format!(
                "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                uc.algorithm.lower(),
                spec.number
            )));
        }
        None => {}
    }
    Ok(())
}

/// The object checksum of the chosen parts.
fn object_checksum(upload: &Upload, chosen: &[&UploadPart]) -> Result<ObjectChecksum> {
    let (algorithm, kind) = match upload.checksum {
        Some(uc) => (uc.algorithm, uc.kind),
        None => (Algorithm::Crc64Nvme, ChecksumType::FullObject),
    };
    let parts = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
    match kind {
        ChecksumType::Composite => {
            let raw = chosen
                .iter()
                .map(|p| digest_of(p, algorithm))
                .collect::<Result<Vec<_>>>()?;
            Ok(ObjectChecksum {
                algorithm,
                digest: checksum::composite(algorithm, raw),
                kind,
                parts,
            })
        }
        ChecksumType::FullObject => {
            let mut acc: Option<Vec<u8>> = None;
            for p in chosen {
                let d = digest_of(p, algorithm)?;
                acc = Some(match acc {
                    None => d.to_vec(),
                    Some(a) => checksum::combine(algorithm, &a, d, p.blob.len()).ok_or_else(|| {
                        S3EngineError::Internal("a full-object checksum of a hash".to_owned())
                    })?,
                });
            }
            let digest = acc.ok_or(S3EngineError::MalformedXml)?;
            Ok(ObjectChecksum {
                algorithm,
                digest,
                kind,
                parts,
            })
        }
    }
}

/// Checks the client's whole-object checksum against the computed one.
fn check_whole(upload: &Upload, req: &CompleteChecksum, computed: &ObjectChecksum) -> Result<()> {
    let Some(uc) = upload.checksum else {
        return Ok(());
    };
    if req.values.is_empty() {
        return Ok(());
    }
    let mismatch = || {
        S3EngineError::ChecksumMismatch(format!(
            "The {} you specified did not match the calculated checksum.",
            uc.algorithm.lower()
        ))
    };
    if uc.kind == ChecksumType::FullObject && req.kind.is_none() {
        return Err(mismatch());
    }
    for (a, v) in &req.values {
        if *a != uc.algorithm {
            return Err(mismatch());
        }
        let given = match uc.kind {
            ChecksumType::Composite => v.split_once('-').map_or(v.as_str(), |(d, _)| d),
            ChecksumType::FullObject => v.as_str(),
        };
        if checksum::decode(*a, given).as_deref() != Some(computed.digest.as_slice()) {
            return Err(mismatch());
        }
    }
    Ok(())
}

impl Engine {
    /// CreateMultipartUpload: the upload id, and the customer managed KMS
    /// key its object will be encrypted with (the request's SSE-KMS key or
    /// the bucket's default), which must be usable now, as S3 asks KMS for
    /// the upload's data key when it is created; the completion asks again.
    pub fn create_upload(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        template: NewObject,
        checksum: Option<UploadChecksum>,
    ) -> Result<(String, Option<String>)> {
        validate_new_object(&template, None)?;
        let now = self.now();
        let mut st = self.state.lock();
        let b = st.bucket(bucket, region)?;
        if template.retention.is_some() || template.legal_hold.is_some() {
            require_object_lock(b.object_lock)?;
        }
        let kms_key_arn = self.write_key(b, template.kms.clone())?;
        let key_existed = b
            .objects
            .get(key)
            .and_then(|vs| vs.last())
            .is_some_and(|v| !v.is_delete_marker());
        let id = format!("{}{}", new_version_id(), new_version_id());
        st.uploads.insert(
            id.clone(),
            Upload {
                id: id.clone(),
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                initiated: now,
                template,
                checksum,
                key_existed,
                parts: BTreeMap::new(),
            },
        );
        Ok((id, kms_key_arn))
    }

    fn check_upload(
        st: &State,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        upload_id: &str,
    ) -> Result<()> {
        st.bucket(bucket, region)?;
        match st.uploads.get(upload_id) {
            Some(u) if u.bucket == bucket && u.key == key => Ok(()),
            _ => Err(S3EngineError::NoSuchUpload(upload_id.to_owned())),
        }
    }

    /// Checks, before a part's body is read, that the upload exists and
    /// that the part's checksum algorithm (when it names one) is the
    /// upload's; answers the upload's checksum.
    pub fn check_upload_exists(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        upload_id: &str,
        part: i32,
        part_algorithm: Option<Algorithm>,
    ) -> Result<Option<UploadChecksum>> {
        if !(1..=MAX_PARTS).contains(&part) {
            return Err(S3EngineError::InvalidArgument(
                "Part number must be an integer between 1 and 10000, inclusive".to_owned(),
            ));
        }
        let st = self.state.lock();
        Self::check_upload(&st, bucket, region, key, upload_id)?;
        let checksum = st.uploads.get(upload_id).and_then(|u| u.checksum);
        if let (Some(uc), Some(a)) = (checksum, part_algorithm)
            && uc.algorithm != a
        {
            return Err(S3EngineError::InvalidRequest(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                uc.algorithm.lower(),
                a.lower()
            )));
        }
        Ok(checksum)
    }

    /// UploadPart with a body already written; answers the part's ETag.
    pub fn put_part(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        upload_id: &str,
        part: i32,
        written: Written,
    ) -> Result<String> {
        let now = self.now();
        let mut st = self.state.lock();
        Self::check_upload(&st, bucket, region, key, upload_id)?;
        let etag = hex::encode(written.md5);
        if let Some(u) = st.uploads.get_mut(upload_id) {
            u.parts.insert(
                part,
                UploadPart {
                    blob: written.blob,
                    etag: etag.clone(),
                    md5: written.md5,
                    digests: written.digests,
                    last_modified: now,
                },
            );
        }
        Ok(etag)
    }

    /// ListParts: the upload's parts in order (all of them; the protocol pages).
    pub fn list_parts(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        upload_id: &str,
    ) -> Result<Upload> {
        let st = self.state.lock();
        Self::check_upload(&st, bucket, region, key, upload_id)?;
        st.uploads
            .get(upload_id)
            .cloned()
            .ok_or_else(|| S3EngineError::NoSuchUpload(upload_id.to_owned()))
    }

    /// Uploads in progress in a bucket, by key then initiation.
    pub fn list_uploads(&self, bucket: &str, region: Option<&str>) -> Result<Vec<Upload>> {
        let st = self.state.lock();
        st.bucket(bucket, region)?;
        let mut ups: Vec<Upload> = st
            .uploads
            .values()
            .filter(|u| u.bucket == bucket)
            .cloned()
            .collect();
        ups.sort_by(|a, b| (&a.key, a.initiated, &a.id).cmp(&(&b.key, b.initiated, &b.id)));
        Ok(ups)
    }

    /// AbortMultipartUpload.
    pub fn abort_upload(&self, bucket: &str, region: Option<&str>, key: &str, upload_id: &str) -> Result<()> {
        let mut st = self.state.lock();
        Self::check_upload(&st, bucket, region, key, upload_id)?;
        st.uploads.remove(upload_id);
        Ok(())
    }

    /// CompleteMultipartUpload with the client's list of parts and
    /// whole-object checksum fields.
    pub fn complete_upload(
        &self,
        bucket: &str,
        region: Option<&str>,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPartSpec],
        whole: &CompleteChecksum,
    ) -> Result<WriteResult> {
        let (blob, etag, taken, object_parts, checksum) = {
            let mut st = self.state.lock();
            if !st.uploads.contains_key(upload_id) {
                st.bucket(bucket, region)?;
                if let Some(done) = st.completed.get(upload_id, bucket, key) {
                    return Ok(done.result.clone());
                }
            }
            Self::check_upload(&st, bucket, region, key, upload_id)?;
            let Some(upload) = st.uploads.get(upload_id) else {
                return Err(S3EngineError::NoSuchUpload(upload_id.to_owned()));
            };
            if parts.is_empty() {
                return Err(S3EngineError::MalformedXml);
            }
            if parts
                .iter()
                .zip(parts.iter().skip(1))
                .any(|(a, b)| a.number >= b.number)
            {
                return Err(S3EngineError::InvalidPartOrder);
            }
            let upload_kind = upload.checksum.map(|c| c.kind);
            if let Some(k) = whole.kind
                && Some(k) != upload_kind
            {
                return Err(S3EngineError::InvalidRequest(format!(
                    "The upload was created using the {} checksum mode. The complete request must use the same checksum mode.",
                    upload_kind.map_or("null", ChecksumType::name)
                )));
            }
            let mut chosen = Vec::with_capacity(parts.len());
            for spec in parts {
                let p = upload.parts.get(&spec.number).ok_or_else(invalid_part)?;
                check_part(upload, spec, p)?;
                chosen.push(p);
            }
            if let Some((_, init)) = chosen.split_last()
                && init.iter().any(|p| p.blob.len() < MIN_PART_SIZE)
            {
                return Err(S3EngineError::EntityTooSmall);
            }
            let total = chosen.iter().fold(0u64, |n, p| n.saturating_add(p.blob.len()));
            if let Some(n) = whole.object_size
                && u64::try_from(n).ok() != Some(total)
            {
                return Err(S3EngineError::InvalidRequest(format!(
                    "The provided 'x-amz-mp-object-size' header value {n} does not match what was computed: {total}"
                )));
            }
            let checksum = object_checksum(upload, &chosen)?;
            check_whole(upload, whole, &checksum)?;
            let composite = checksum.kind == ChecksumType::Composite;
            let object_parts: Vec<ObjectPart> = parts
                .iter()
                .zip(&chosen)
                .map(|(spec, p)| ObjectPart {
                    number: spec.number,
                    size: p.blob.len(),
                    checksum: if composite {
                        p.digests.get(checksum.algorithm).map(checksum::encode)
                    } else {
                        None
                    },
                })
                .collect();
            let mut md5 = <md5::Md5 as md5::Digest>::new();
            for p in &chosen {
                md5::Digest::update(&mut md5, p.md5);
            }
            let etag = format!("{}-{}", hex::encode(md5::Digest::finalize(md5)), chosen.len());
            let blob = Blob::concat(chosen.iter().map(|p| &p.blob));
            // Taken out so that a concurrent completion finds no upload.
            let upload = st.uploads.remove(upload_id);
            (blob, etag, upload, object_parts, checksum)
        };
        let Some(upload) = taken else {
            return Err(S3EngineError::NoSuchUpload(upload_id.to_owned()));
        };
        let stored = Stored {
            blob,
            etag,
            parts: Arc::from(object_parts),
            checksum,
            upload: Some((upload.initiated, upload.key_existed)),
        };
        let mut template = upload.template.clone();
        template.precondition = whole.precondition.clone();
        match self.commit(bucket, region, key, template, stored) {
            Ok(result) => {
                self.state.lock().completed.insert(
                    upload_id,
                    completed::Completed {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                        result: result.clone(),
                    },
                );
                Ok(result)
            }
            Err(e) => {
                // The upload stays available to retry or abort.
                self.state.lock().uploads.insert(upload_id.to_owned(), upload);
                Err(e)
            }
        }
    }
}
