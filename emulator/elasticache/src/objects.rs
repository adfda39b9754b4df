//! The seam to S3: where ElastiCache exports RDB files (CopySnapshot with
//! `TargetBucket`) and reads seed RDB files (`SnapshotArns`). The assembly
//! implements it over the emulator's S3 engine; without one, both answer
//! `InvalidParameterValue`.

use firedrill_emu_core::service::BoxFuture;

/// Why an object could not be read or written.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ObjectError {
    /// The bucket does not exist.
    #[error("The S3 bucket {0} does not exist.")]
    NoSuchBucket(String),
    /// The key does not exist in the bucket.
    #[error("No object {key} in S3 bucket {bucket}.")]
    NoSuchKey {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// Any other failure.
    #[error("{0}")]
    Failed(String),
}

/// Objects in the emulator's S3.
pub trait ObjectStore: Send + Sync + 'static {
    /// The region of `bucket`, `None` when it does not exist.
    fn bucket_region(&self, bucket: &str) -> Option<String>;

    /// Writes `body` as `bucket/key`.
    fn put(&self, bucket: &str, key: &str, body: bytes::Bytes) -> BoxFuture<'_, Result<(), ObjectError>>;

    /// Reads the current version of `bucket/key`.
    fn get(&self, bucket: &str, key: &str) -> BoxFuture<'_, Result<bytes::Bytes, ObjectError>>;
}

/// Splits an S3 object ARN (`arn:aws:s3:::bucket/key`) into bucket and key.
pub fn parse_object_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:s3:::")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}
