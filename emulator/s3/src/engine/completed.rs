//! Multipart uploads already completed, remembered so that a repeated
//! CompleteMultipartUpload answers the same success, as S3 does (a client
//! retrying a completion whose answer it lost must not see `NoSuchUpload`).
//!
//! The memory is bounded: past [`CAPACITY`] completions the oldest are
//! forgotten, and a repeat of a forgotten one answers `NoSuchUpload`.

use super::WriteResult;
use std::collections::{HashMap, VecDeque};

/// How many completed uploads are remembered.
pub const CAPACITY: usize = 10_000;

/// One completed upload: where it went and what it answered.
#[derive(Debug, Clone)]
pub struct Completed {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The completion's answer.
    pub result: WriteResult,
}

/// Completed uploads by upload id, oldest first in `order`.
#[derive(Debug, Default)]
pub struct CompletedUploads {
    by_id: HashMap<String, Completed>,
    order: VecDeque<String>,
}

impl CompletedUploads {
    /// Remembers a completion, forgetting the oldest past [`CAPACITY`].
    pub fn insert(&mut self, upload_id: &str, completed: Completed) {
        if self.by_id.insert(upload_id.to_owned(), completed).is_none() {
            self.order.push_back(upload_id.to_owned());
        }
        while self.order.len() > CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
    }

    /// The completion of `upload_id` into `bucket`/`key`, if remembered.
    pub fn get(&self, upload_id: &str, bucket: &str, key: &str) -> Option<&Completed> {
        self.by_id
            .get(upload_id)
            .filter(|c| c.bucket == bucket && c.key == key)
    }

    /// Forgets every completion into `bucket` (the bucket was deleted).
    pub fn forget_bucket(&mut self, bucket: &str) {
        self.by_id.retain(|_, c| c.bucket != bucket);
        self.order.retain(|id| self.by_id.contains_key(id));
    }
}
