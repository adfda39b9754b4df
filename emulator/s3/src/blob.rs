//! Object bodies: immutable blobs on disk (or in memory) shared by reference.
//!
//! A [`Blob`] is an ordered list of immutable segments. A single PUT makes a
//! one-segment blob; completing a multipart upload strings the parts'
//! segments together without copying a byte; CopyObject, replication and
//! backup snapshots clone the blob, which clones `Arc`s. A segment on disk
//! deletes its file when the last reference to it goes away, so a version
//! that was permanently deleted keeps its bytes for as long as a snapshot, a
//! replica or an in-flight GET still holds it.
//!
//! Writes stream the request body into a temporary file that is renamed into
//! place once the last byte is written, so a body the engine acknowledges is
//! complete on disk. Reads stream a byte range back out in chunks, reading
//! files on the blocking pool. This module knows nothing of S3 semantics.

use crate::checksum::{Algorithm, Digests, Hasher};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// How much of a body is gathered in memory before it is written out.
const WRITE_BUFFER: usize = 1024 * 1024;

/// Bodies smaller than this stay in memory even when bodies go to disk: a
/// file each would cost more (three system calls per write, an inode) than
/// the version's metadata, which lives in memory anyway.
pub const INLINE_LIMIT: u64 = 8 * 1024;

/// The size of the chunks a read streams.
const READ_CHUNK: u64 = 256 * 1024;

/// An error streaming a body in or out.
pub type StreamError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One immutable piece of a body.
#[derive(Debug)]
enum Segment {
    /// Bytes kept in memory.
    Mem(Bytes),
    /// A file on disk, removed when the segment is dropped.
    File { path: PathBuf, len: u64 },
}

impl Segment {
    fn len(&self) -> u64 {
        match self {
            Segment::Mem(b) => b.len() as u64,
            Segment::File { len, .. } => *len,
        }
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if let Segment::File { path, .. } = self
            && let Err(e) = std::fs::remove_file(path.as_path())
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "could not remove an object body file");
        }
    }
}

/// An immutable object body, cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Blob {
    segments: Vec<Arc<Segment>>,
    len: u64,
}

impl Blob {
    /// A blob held in memory.
    pub fn from_bytes(bytes: Bytes) -> Self {
        let len = bytes.len() as u64;
        if len == 0 {
            return Self::default();
        }
        Self {
            segments: vec![Arc::new(Segment::Mem(bytes))],
            len,
        }
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The blobs joined end to end, sharing their segments.
    pub fn concat<'a>(parts: impl IntoIterator<Item = &'a Blob>) -> Self {
        let mut out = Self::default();
        for part in parts {
            out.segments.extend(part.segments.iter().cloned());
            out.len += part.len;
        }
        out
    }

    /// A stream of the bytes in `start..end` (end exclusive, clamped).
    pub fn stream_range(&self, start: u64, end: u64) -> BlobStream {
        let end = end.min(self.len);
        let start = start.min(end);
        // Find the segment holding `start`.
        let mut seg = 0;
        let mut pos = start;
        while let Some(s) = self.segments.get(seg)
            && pos >= s.len()
        {
            pos -= s.len();
            seg += 1;
        }
        BlobStream {
            segments: self.segments.clone(),
            seg,
            pos,
            remaining: end - start,
            file: None,
            pending: None,
        }
    }

    /// A stream of the whole body.
    pub fn stream(&self) -> BlobStream {
        self.stream_range(0, self.len)
    }

    /// Reads the body through, computing its MD5, CRC64NVME and `checksum`.
    pub async fn digests(&self, checksum: Option<Algorithm>) -> std::io::Result<BodyDigests> {
        let mut md5 = Md5::new();
        let mut hasher = Hasher::new(checksum);
        let mut s = self.stream();
        while let Some(chunk) = s.next().await {
            let chunk = chunk.map_err(std::io::Error::other)?;
            md5.update(&chunk);
            hasher.update(&chunk);
        }
        Ok(BodyDigests {
            md5: md5.finalize().into(),
            digests: hasher.finish(),
        })
    }

    /// Reads the whole body into memory.
    pub async fn read_all(&self) -> std::io::Result<Bytes> {
        let mut out = BytesMut::with_capacity(usize::try_from(self.len).unwrap_or(0));
        let mut stream = self.stream();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.map_err(std::io::Error::other)?);
        }
        Ok(out.freeze())
    }
}

/// A body being read: yields chunks of at most 256 KiB.
pub struct BlobStream {
    segments: Vec<Arc<Segment>>,
    seg: usize,
    pos: u64,
    remaining: u64,
    file: Option<std::fs::File>,
    pending: Option<tokio::task::JoinHandle<std::io::Result<(std::fs::File, Bytes)>>>,
}

impl BlobStream {
    /// How many bytes are left to yield.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    fn advance(&mut self, n: u64) {
        self.pos += n;
        self.remaining -= n;
        if let Some(seg) = self.segments.get(self.seg)
            && self.pos >= seg.len()
        {
            self.seg += 1;
            self.pos = 0;
            self.file = None;
        }
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(handle) = this.pending.as_mut() {
                let result = match Pin::new(handle).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                };
                this.pending = None;
                return match result {
                    Ok(Ok((file, bytes))) => {
                        this.file = Some(file);
                        this.advance(bytes.len() as u64);
                        Poll::Ready(Some(Ok(bytes)))
                    }
                    Ok(Err(e)) => {
                        this.remaining = 0;
                        Poll::Ready(Some(Err(Box::new(e))))
                    }
                    Err(e) => {
                        this.remaining = 0;
                        Poll::Ready(Some(Err(Box::new(e))))
                    }
                };
            }
            if this.remaining == 0 {
                return Poll::Ready(None);
            }
            let Some(segment) = this.segments.get(this.seg).cloned() else {
                this.remaining = 0;
                return Poll::Ready(None);
            };
            let left_in_segment = segment.len().saturating_sub(this.pos);
            if left_in_segment == 0 {
                this.seg += 1;
                this.pos = 0;
                this.file = None;
                continue;
            }
            let n = READ_CHUNK.min(left_in_segment).min(this.remaining);
            match &*segment {
                Segment::Mem(bytes) => {
                    // Both bounds are within the in-memory segment.
                    let start = usize::try_from(this.pos).unwrap_or(usize::MAX);
                    let end = usize::try_from(this.pos + n).unwrap_or(usize::MAX);
                    let chunk = bytes.slice(start..end.min(bytes.len()));
                    this.advance(n);
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Segment::File { path, .. } => {
                    let path = path.clone();
                    let file = this.file.take();
                    let pos = this.pos;
                    this.pending = Some(tokio::task::spawn_blocking(move || {
                        let mut file = match file {
                            Some(f) => f,
                            None => {
                                let mut f = std::fs::File::open(&path)?;
                                f.seek(SeekFrom::Start(pos))?;
                                f
                            }
                        };
                        let mut buf = vec![0u8; usize::try_from(n).unwrap_or(0)];
                        file.read_exact(&mut buf)?;
                        Ok((file, Bytes::from(buf)))
                    }));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (0, Some(n))
    }
}

/// A blob written from a stream, with its MD5 and checksums.
#[derive(Debug, Clone)]
pub struct Written {
    /// The body.
    pub blob: Blob,
    /// The MD5 of the body.
    pub md5: [u8; 16],
    /// Its CRC64NVME and the checksum the writer asked for.
    pub digests: Digests,
}

/// The MD5 and checksums of a body already stored.
#[derive(Debug, Clone)]
pub struct BodyDigests {
    /// The MD5.
    pub md5: [u8; 16],
    /// CRC64NVME and the algorithm asked for.
    pub digests: Digests,
}

/// Why a body could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The client's stream failed (a dropped connection, a bad chunk).
    #[error("could not read the request body: {0}")]
    Body(String),
    /// The disk failed.
    #[error("could not store the object body: {0}")]
    Io(#[from] std::io::Error),
    /// The body was larger than allowed.
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
}

/// Where bodies go: a directory, or memory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: Option<PathBuf>,
}

/// A temporary file that is removed unless it is kept.
struct TempFile {
    path: PathBuf,
    file: Option<std::fs::File>,
    keep: bool,
}

impl TempFile {
    /// Keeps the file (it has been renamed into place).
    fn persist(&mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file = None;
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl BlobStore {
    /// Bodies on disk under `dir`.
    pub fn on_disk(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir: Some(dir) })
    }

    /// Bodies in memory.
    pub fn in_memory() -> Self {
        Self { dir: None }
    }

    /// Whether bodies live in memory.
    pub fn is_in_memory(&self) -> bool {
        self.dir.is_none()
    }

    fn new_paths(dir: &Path) -> (PathBuf, PathBuf) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        (dir.join(format!(".tmp-{id}")), dir.join(id))
    }

    /// Stores a body from a stream of chunks, hashing it on the way (MD5,
    /// CRC64NVME and `checksum`), refusing more than `limit` bytes.
    pub async fn write<S, E>(
        &self,
        mut body: S,
        limit: u64,
        checksum: Option<Algorithm>,
    ) -> Result<Written, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut md5 = Md5::new();
        let mut hasher = Hasher::new(checksum);
        let mut buffer: Vec<Bytes> = Vec::new();
        let mut buffered = 0usize;
        let mut total = 0u64;
        let mut temp: Option<TempFile> = None;
        let mut final_path = PathBuf::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| WriteError::Body(e.to_string()))?;
            total += chunk.len() as u64;
            if total > limit {
                return Err(WriteError::TooLarge(limit));
            }
            md5.update(&chunk);
            hasher.update(&chunk);
            buffered += chunk.len();
            buffer.push(chunk);
            if buffered >= WRITE_BUFFER
                && let Some(dir) = &self.dir
            {
                let mut t = match temp.take() {
                    Some(t) => t,
                    None => {
                        let (tmp, fin) = Self::new_paths(dir);
                        final_path = fin;
                        TempFile {
                            file: None,
                            path: tmp,
                            keep: false,
                        }
                    }
                };
                let chunks = std::mem::take(&mut buffer);
                buffered = 0;
                t = tokio::task::spawn_blocking(move || -> std::io::Result<TempFile> {
                    if t.file.is_none() {
                        t.file = Some(std::fs::File::create(&t.path)?);
                    }
                    if let Some(f) = t.file.as_mut() {
                        for c in &chunks {
                            f.write_all(c)?;
                        }
                    }
                    Ok(t)
                })
                .await
                .map_err(std::io::Error::other)??;
                temp = Some(t);
            }
        }
        let digest: [u8; 16] = md5.finalize().into();
        let digests = hasher.finish();
        let Some(dir) = &self.dir else {
            let bytes = if buffer.len() == 1 {
                buffer.pop().unwrap_or_default()
            } else {
                let mut all = BytesMut::with_capacity(buffered);
                for c in &buffer {
                    all.extend_from_slice(c);
                }
                all.freeze()
            };
            return Ok(Written {
                blob: Blob::from_bytes(bytes),
                md5: digest,
                digests,
            });
        };
        if temp.is_none() && total < INLINE_LIMIT {
            let mut all = BytesMut::with_capacity(buffered);
            for c in &buffer {
                all.extend_from_slice(c);
            }
            return Ok(Written {
                blob: Blob::from_bytes(all.freeze()),
                md5: digest,
                digests,
            });
        }
        let (mut t, fin) = match temp {
            Some(t) => (t, final_path),
            None => {
                let (tmp, fin) = Self::new_paths(dir);
                (
                    TempFile {
                        path: tmp,
                        file: None,
                        keep: false,
                    },
                    fin,
                )
            }
        };
        let fin2 = fin.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if t.file.is_none() {
                t.file = Some(std::fs::File::create(&t.path)?);
            }
            if let Some(f) = t.file.as_mut() {
                for c in &buffer {
                    f.write_all(c)?;
                }
                f.flush()?;
            }
            t.file = None;
            std::fs::rename(&t.path, &fin2)?;
            t.persist();
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(Written {
            blob: Blob {
                segments: vec![Arc::new(Segment::File {
                    path: fin,
                    len: total,
                })],
                len: total,
            },
            md5: digest,
            digests,
        })
    }

    /// Stores bytes already in memory, with their CRC64NVME and `checksum`.
    pub async fn write_bytes(
        &self,
        bytes: Bytes,
        checksum: Option<Algorithm>,
    ) -> Result<Written, WriteError> {
        let stream = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        self.write(stream, u64::MAX, checksum).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn roundtrip(store: &BlobStore) {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let chunks: Vec<Result<Bytes, std::convert::Infallible>> = data
            .chunks(100_000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let written = store
            .write(futures::stream::iter(chunks), u64::MAX, Some(Algorithm::Sha256))
            .await
            .unwrap();
        assert_eq!(written.blob.len(), data.len() as u64);
        assert_eq!(written.md5, <[u8; 16]>::from(Md5::digest(&data)));
        assert_eq!(written.digests, Digests::of(&data, Some(Algorithm::Sha256)));
        assert_eq!(written.blob.read_all().await.unwrap(), Bytes::from(data.clone()));
        let doubled = Blob::concat([&written.blob, &written.blob]);
        let mut got = BytesMut::new();
        let mut s = doubled.stream_range(2_999_990, 3_000_010);
        while let Some(c) = s.next().await {
            got.extend_from_slice(&c.unwrap());
        }
        let mut want = data[2_999_990..].to_vec();
        want.extend_from_slice(&data[..10]);
        assert_eq!(&got[..], &want[..]);
    }

    #[tokio::test]
    async fn disk_and_memory_round_trip_and_ranges_span_segments() {
        let dir = tempfile::tempdir().unwrap();
        let disk = BlobStore::on_disk(dir.path().join("blobs")).unwrap();
        roundtrip(&disk).await;
        roundtrip(&BlobStore::in_memory()).await;
        // Every blob was dropped: no file is left behind, not even a temporary one.
        let left: Vec<_> = std::fs::read_dir(dir.path().join("blobs")).unwrap().collect();
        assert!(left.is_empty(), "files left behind: {left:?}");
    }

    #[tokio::test]
    async fn a_failed_body_leaves_nothing_and_limits_hold() {
        let dir = tempfile::tempdir().unwrap();
        let disk = BlobStore::on_disk(dir.path().to_path_buf()).unwrap();
        let big = Bytes::from(vec![7u8; 2 * WRITE_BUFFER]);
        let chunks = vec![Ok(big), Err("connection reset")];
        let err = disk
            .write(futures::stream::iter(chunks), u64::MAX, None)
            .await
            .unwrap_err();
        assert!(matches!(err, WriteError::Body(_)));
        let small = disk
            .write_bytes(Bytes::from_static(b"0123456789"), None)
            .await
            .unwrap();
        assert_eq!(small.blob.len(), 10);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "small bodies stay in memory"
        );
        drop(small);
        let too_big = disk
            .write(
                futures::stream::iter([Ok::<_, std::convert::Infallible>(Bytes::from_static(b"abc"))]),
                2,
                None,
            )
            .await;
        assert!(matches!(too_big, Err(WriteError::TooLarge(2))));
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 0);
    }
}
