//! Other services' view of S3: the object seams over the S3 engine.
//!
//! - ElastiCache's ([`firedrill_emu_elasticache::ObjectStore`]): CopySnapshot
//!   exports RDB files into a bucket and CreateCacheCluster reads
//!   `SnapshotArns`.
//! - DynamoDB's ([`firedrill_emu_dynamodb::exports::ExportStore`]):
//!   `ExportTableToPointInTime` writes its manifest and data objects.
//!
//! Either way the objects are new versions under the bucket's own rules
//! (versioning, Object Lock defaults), so they read back through the S3 API
//! like any object.

use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_dynamodb::exports::{ExportStore, ExportStoreError};
use firedrill_emu_elasticache::{ObjectError, ObjectStore};
use firedrill_emu_s3::{S3, S3EngineError};
use std::sync::Arc;

/// The largest object a service writes or reads on its own behalf (5 GiB,
/// S3's single-PUT limit).
const MAX_OBJECT: u64 = 5 << 30;

/// The checksum an object firedrill writes on a service's behalf (an
/// ElastiCache or DynamoDB export) carries: S3's own default, CRC64NVME.
const DEFAULT_CHECKSUM: firedrill_emu_s3::checksum::Algorithm =
    firedrill_emu_s3::checksum::Algorithm::Crc64Nvme;

pub(crate) struct S3Objects(pub(crate) Arc<S3>);

impl std::fmt::Debug for S3Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("S3Objects")
    }
}

impl S3Objects {
    /// Writes `body` as a new version of `bucket`/`key`.
    async fn write(
        &self,
        bucket: &str,
        key: &str,
        body: bytes::Bytes,
        content_type: &str,
    ) -> Result<(), S3EngineError> {
        let engine = self.0.engine();
        engine.check_writable(bucket, None)?;
        let stream = futures::stream::iter([Ok::<_, std::io::Error>(body)]);
        let written = engine.write_body(stream, MAX_OBJECT, None).await?;
        let new = firedrill_emu_s3::engine::model::NewObject {
            meta: firedrill_emu_s3::engine::model::ObjectMeta {
                content_type: Some(content_type.to_owned()),
                ..Default::default()
            },
            ..Default::default()
        };
        engine
            .put_object(bucket, None, key, new, written, DEFAULT_CHECKSUM)
            .map(|_| ())
    }
}

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
            self.write(&bucket, &key, body, "application/octet-stream")
                .await
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

impl ExportStore for S3Objects {
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> BoxFuture<'_, Result<(), ExportStoreError>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(async move {
            self.write(&bucket, &key, bytes::Bytes::from(body), content_type)
                .await
                .map_err(|e| match e {
                    S3EngineError::NoSuchBucket(b) => ExportStoreError::NoSuchBucket(b),
                    other => ExportStoreError::Failed(other.to_string()),
                })
        })
    }
}
