//! ElastiCache's view of S3: the object seam
//! ([`firedrill_emu_elasticache::ObjectStore`]) over the S3 engine, through
//! which CopySnapshot exports RDB files into a bucket and CreateCacheCluster
//! reads `SnapshotArns`.

use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_elasticache::{ObjectError, ObjectStore};
use firedrill_emu_s3::{S3, S3EngineError};
use std::sync::Arc;

/// The largest RDB file an export writes or a seed reads (5 GiB, S3's
/// single-PUT limit).
const MAX_OBJECT: u64 = 5 << 30;

/// The checksum an object firedrill writes on a service's behalf (an
/// ElastiCache export) carries: S3's own default, CRC64NVME.
const DEFAULT_CHECKSUM: firedrill_emu_s3::checksum::Algorithm =
    firedrill_emu_s3::checksum::Algorithm::Crc64Nvme;

pub(crate) struct S3Objects(pub(crate) Arc<S3>);

fn object_error(bucket: &str, key: &str, e: S3EngineError) -> ObjectError {
    match e {
        S3EngineError::NoSuchBucket(_) => ObjectError::NoSuchBucket(bucket.to_owned()),
        S3EngineError::NoSuchKey { .. } | S3EngineError::MethodNotAllowed { .. } => ObjectError::NoSuchKey {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        },
        other => ObjectError::Failed(other.to_string()),
    }
}

impl ObjectStore for S3Objects {
    fn bucket_region(&self, bucket: &str) -> Option<String> {
        self.0.bucket_region(bucket)
    }

    fn put(&self, bucket: &str, key: &str, body: bytes::Bytes) -> BoxFuture<'_, Result<(), ObjectError>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(async move {
            let engine = self.0.engine();
            engine
                .check_writable(&bucket, None)
                .map_err(|e| object_error(&bucket, &key, e))?;
            let stream = futures::stream::iter([Ok::<_, std::io::Error>(body)]);
            let written = engine
                .write_body(stream, MAX_OBJECT, None)
                .await
                .map_err(|e| object_error(&bucket, &key, e))?;
            let new = firedrill_emu_s3::engine::model::NewObject {
                meta: firedrill_emu_s3::engine::model::ObjectMeta {
                    content_type: Some("application/octet-stream".to_owned()),
                    ..Default::default()
                },
                ..Default::default()
            };
            engine
                .put_object(&bucket, None, &key, new, written, DEFAULT_CHECKSUM)
                .map(|_| ())
                .map_err(|e| object_error(&bucket, &key, e))
        })
    }

    fn get(&self, bucket: &str, key: &str) -> BoxFuture<'_, Result<bytes::Bytes, ObjectError>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(async move {
            let found = self
                .0
                .engine()
                .get_object(&bucket, None, &key, None)
                .map_err(|e| object_error(&bucket, &key, e))?;
            found
                .object
                .blob
                .read_all()
                .await
                .map_err(|e| ObjectError::Failed(format!("read s3://{bucket}/{key}: {e}")))
        })
    }
}
