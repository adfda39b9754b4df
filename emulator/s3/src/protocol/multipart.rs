//! The multipart upload operations: CreateMultipartUpload, UploadPart,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts and
//! ListMultipartUploads, with their checksum fields (the rules themselves
//! are the engine's, see `engine::multipart`).

use super::attributes::copy_range;
use super::checksums::{self, ChunkTrailers, Wire, checksum_fields, set_checksum, set_object_checksum};
use super::conditions::Conditions;
use super::conditions::write_precondition;
use super::convert::*;
use super::ops::{err, etag, owner, sse_s3};
use super::{Handler, OrS3, info};
use crate::checksum::{self as ck, Algorithm};
use crate::engine::model::UploadChecksum;
use crate::engine::{CompleteChecksum, CompletedPartSpec, MAX_PUT_SIZE};
use crate::error::S3EngineError;
use crate::integrity::content_md5;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

/// The wire form of an upload's checksum algorithm and type.
fn upload_fields(c: Option<UploadChecksum>) -> (Option<ChecksumAlgorithm>, Option<ChecksumType>) {
    match c {
        Some(c) => (
            Some(ChecksumAlgorithm::from(c.algorithm.name().to_owned())),
            Some(ChecksumType::from(c.kind.name().to_owned())),
        ),
        None => (None, None),
    }
}

/// The upload checksum CreateMultipartUpload asks for, refused as S3
/// refuses it: an unknown algorithm or type, a type without an algorithm,
/// or a type the algorithm cannot make.
fn upload_checksum(
    algorithm: Option<&str>,
    kind: Option<&str>,
) -> Result<Option<UploadChecksum>, S3EngineError> {
    let kind = kind
        .map(|k| {
            ck::ChecksumType::parse(k).ok_or_else(|| {
                S3EngineError::InvalidRequest(format!("Value for x-amz-checksum-type header is invalid: {k}"))
            })
        })
        .transpose()?;
    let Some(name) = algorithm else {
        return match kind {
            Some(_) => Err(S3EngineError::InvalidRequest(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
                    .to_owned(),
            )),
            None => Ok(None),
        };
    };
    let algorithm = checksums::algorithm(name)?;
    let kind = kind.unwrap_or_else(|| algorithm.default_multipart_type());
    if !algorithm.supports(kind) {
        return Err(S3EngineError::InvalidRequest(format!(
            "The {} checksum type cannot be used with the {} checksum algorithm.",
            kind.name(),
            algorithm.lower()
        )));
    }
    Ok(Some(UploadChecksum { algorithm, kind }))
}

impl Handler {
    pub(super) fn create_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let i = info(&req);
        let acl = super::acl::from_headers(&req.headers).or_s3(&i)?;
        let acl = self.check_acl(&req.input.bucket, &i, &acl)?;
        let input = req.input;
        let checksum = upload_checksum(
            input.checksum_algorithm.as_ref().map(|a| a.as_str()),
            input.checksum_type.as_ref().map(|t| t.as_str()),
        )
        .or_s3(&i)?;
        let mut template = new_object!(input, object_meta!(input), None).or_s3(&i)?;
        template.acl = acl;
        template.kms = super::ops::requested_kms(
            input.server_side_encryption.as_ref(),
            input.ssekms_key_id.as_ref(),
        );
        let (id, kms_key_arn) = self
            .engine
            .create_upload(&input.bucket, Some(&i.region), &input.key, template, checksum)
            .or_s3(&i)?;
        let (checksum_algorithm, checksum_type) = upload_fields(checksum);
        Ok(S3Response::new(CreateMultipartUploadOutput {
            server_side_encryption: Some(super::ops::sse_of(kms_key_arn.as_ref())),
            ssekms_key_id: kms_key_arn,
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            checksum_algorithm,
            checksum_type,
            ..Default::default()
        }))
    }

    pub(super) async fn upload_one_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let i = info(&req);
        let trailers = req.extensions.get::<ChunkTrailers>().cloned();
        let requested = checksums::requested(
            checksums::present(checksum_fields!(req.input)),
            req.input.checksum_algorithm.as_ref().map(|a| a.as_str()),
            &req.headers,
        )
        .or_s3(&i)?;
        let input = req.input;
        let upload = self
            .engine
            .check_upload_exists(
                &input.bucket,
                Some(&i.region),
                &input.key,
                &input.upload_id,
                input.part_number,
                requested.as_ref().map(|r| r.algorithm),
            )
            .or_s3(&i)?;
        // The upload's algorithm, or the one the part was sent with.
        let algorithm: Option<Algorithm> = upload
            .map(|u| u.algorithm)
            .or(requested.as_ref().map(|r| r.algorithm));
        let md5 = content_md5(input.content_md5.as_deref()).or_s3(&i)?;
        let written = self
            .receive(input.body, md5, algorithm, requested.as_ref(), trailers.as_ref())
            .await
            .or_s3(&i)?;
        let wire = Wire::digest(&written.digests, algorithm);
        let e = self
            .engine
            .put_part(
                &input.bucket,
                Some(&i.region),
                &input.key,
                &input.upload_id,
                input.part_number,
                written,
            )
            .or_s3(&i)?;
        let mut out = UploadPartOutput {
            server_side_encryption: Some(sse_s3()),
            e_tag: Some(etag(&e)),
            ..Default::default()
        };
        set_checksum!(out, wire);
        Ok(S3Response::new(out))
    }

    pub(super) async fn copy_part(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let i = info(&req);
        let input = req.input;
        let upload = self
            .engine
            .check_upload_exists(
                &input.bucket,
                Some(&i.region),
                &input.key,
                &input.upload_id,
                input.part_number,
                None,
            )
            .or_s3(&i)?;
        let source = self
            .checked_copy_source(
                &input.bucket,
                &i,
                &input.copy_source,
                Conditions {
                    if_match: input.copy_source_if_match.as_ref(),
                    if_none_match: input.copy_source_if_none_match.as_ref(),
                    if_modified_since: input.copy_source_if_modified_since.as_ref(),
                    if_unmodified_since: input.copy_source_if_unmodified_since.as_ref(),
                },
            )
            .or_s3(&i)?;
        let blob = &source.found.object.blob;
        let range = copy_range(input.copy_source_range.as_deref(), blob.len()).or_s3(&i)?;
        let algorithm = upload.map(|u| u.algorithm);
        // The range is written as a part of its own (hashed on the way);
        // the source is never changed.
        let written = self
            .engine
            .write_body(blob.stream_range(range.start, range.end), MAX_PUT_SIZE, algorithm)
            .await
            .or_s3(&i)?;
        let wire = Wire::digest(&written.digests, algorithm);
        let e = self
            .engine
            .put_part(
                &input.bucket,
                Some(&i.region),
                &input.key,
                &input.upload_id,
                input.part_number,
                written,
            )
            .or_s3(&i)?;
        let mut result = CopyPartResult {
            e_tag: Some(etag(&e)),
            last_modified: Some(ts(self.engine.now())),
            ..Default::default()
        };
        set_checksum!(result, wire);
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(result),
            copy_source_version_id: source.version_id,
            server_side_encryption: Some(sse_s3()),
            ..Default::default()
        }))
    }

    pub(super) fn complete_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let i = info(&req);
        let precondition = write_precondition(&req.headers).or_s3(&i)?;
        let input = req.input;
        let whole = CompleteChecksum {
            kind: input
                .checksum_type
                .as_ref()
                .map(|t| {
                    ck::ChecksumType::parse(t.as_str()).ok_or_else(|| {
                        S3EngineError::InvalidRequest(format!(
                            "Value for x-amz-checksum-type header is invalid: {}",
                            t.as_str()
                        ))
                    })
                })
                .transpose()
                .or_s3(&i)?,
            values: checksums::present(checksum_fields!(input)),
            object_size: input.mpu_object_size,
            precondition,
        };
        let mut parts = Vec::new();
        for p in input.multipart_upload.and_then(|m| m.parts).unwrap_or_default() {
            let checksums = checksums::present(checksum_fields!(p));
            let (Some(n), Some(e)) = (p.part_number, p.e_tag) else {
                return Err(err(S3EngineError::MalformedXml, &i));
            };
            parts.push(CompletedPartSpec {
                number: n,
                etag: e.value().to_owned(),
                checksums,
            });
        }
        let r = self
            .engine
            .complete_upload(
                &input.bucket,
                Some(&i.region),
                &input.key,
                &input.upload_id,
                &parts,
                &whole,
            )
            .or_s3(&i)?;
        let mut out = CompleteMultipartUploadOutput {
            server_side_encryption: Some(super::ops::sse_of(r.kms_key_arn.as_ref())),
            ssekms_key_id: r.kms_key_arn.clone(),
            bucket: Some(input.bucket.clone()),
            e_tag: Some(etag(&r.etag)),
            key: Some(input.key.clone()),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            version_id: r.version_id,
            ..Default::default()
        };
        set_object_checksum!(out, &r.checksum);
        Ok(S3Response::new(out))
    }

    pub(super) fn abort_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let i = info(&req);
        let input = req.input;
        self.engine
            .abort_upload(&input.bucket, Some(&i.region), &input.key, &input.upload_id)
            .or_s3(&i)?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    pub(super) fn list_upload_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let i = info(&req);
        let input = req.input;
        let up = self
            .engine
            .list_parts(&input.bucket, Some(&i.region), &input.key, &input.upload_id)
            .or_s3(&i)?;
        let max = usize::try_from(input.max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let marker = input.part_number_marker.unwrap_or(0);
        let mut all = up.parts.range(marker.saturating_add(1)..).peekable();
        let mut parts = Vec::new();
        let algorithm = up.checksum.map(|c| c.algorithm);
        while parts.len() < max {
            let Some((n, p)) = all.next() else { break };
            let mut part = Part {
                e_tag: Some(etag(&p.etag)),
                last_modified: Some(ts(p.last_modified)),
                part_number: Some(*n),
                size: Some(i64::try_from(p.blob.len()).unwrap_or(i64::MAX)),
                ..Default::default()
            };
            set_checksum!(part, Wire::digest(&p.digests, algorithm));
            parts.push(part);
        }
        let truncated = all.peek().is_some();
        let next = parts.last().and_then(|p| p.part_number);
        let (checksum_algorithm, checksum_type) = upload_fields(up.checksum);
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            checksum_algorithm,
            checksum_type,
            initiator: Some(Initiator {
                display_name: None,
                id: owner().id,
            }),
            is_truncated: Some(truncated),
            key: Some(input.key),
            max_parts: Some(i32::try_from(max).unwrap_or(1000)),
            next_part_number_marker: if truncated { next } else { None },
            owner: Some(owner()),
            part_number_marker: input.part_number_marker,
            parts: (!parts.is_empty()).then_some(parts),
            storage_class: Some(StorageClass::from(
                up.template
                    .storage_class
                    .clone()
                    .unwrap_or_else(|| "STANDARD".to_owned()),
            )),
            upload_id: Some(up.id),
            ..Default::default()
        }))
    }

    pub(super) fn list_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let i = info(&req);
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = usize::try_from(input.max_uploads.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let ups = self
            .engine
            .list_uploads(&input.bucket, Some(&i.region))
            .or_s3(&i)?;
        let mut out = Vec::new();
        let mut truncated = false;
        for u in ups.iter().filter(|u| u.key.starts_with(&prefix)) {
            if let Some(km) = &input.key_marker {
                let after_marker = match &input.upload_id_marker {
                    Some(um) => (&u.key, &u.id) > (km, um),
                    None => &u.key > km,
                };
                if !after_marker {
                    continue;
                }
            }
            if out.len() == max {
                truncated = true;
                break;
            }
            let (checksum_algorithm, checksum_type) = upload_fields(u.checksum);
            out.push(MultipartUpload {
                checksum_algorithm,
                checksum_type,
                initiated: Some(ts(u.initiated)),
                initiator: Some(Initiator {
                    display_name: None,
                    id: owner().id,
                }),
                key: Some(u.key.clone()),
                owner: Some(owner()),
                storage_class: Some(StorageClass::from(
                    u.template
                        .storage_class
                        .clone()
                        .unwrap_or_else(|| "STANDARD".to_owned()),
                )),
                upload_id: Some(u.id.clone()),
            });
        }
        let (nk, nu) = match (truncated, out.last()) {
            (true, Some(l)) => (l.key.clone(), l.upload_id.clone()),
            _ => (None, None),
        };
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            is_truncated: Some(truncated),
            key_marker: input.key_marker,
            max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
            next_key_marker: nk,
            next_upload_id_marker: nu,
            prefix: input.prefix,
            upload_id_marker: input.upload_id_marker,
            uploads: (!out.is_empty()).then_some(out),
            ..Default::default()
        }))
    }
}
