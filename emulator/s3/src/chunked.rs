//! Decoding of `aws-chunked` request bodies.
//!
//! SDKs send streaming uploads as `Content-Encoding: aws-chunked` with an
//! `x-amz-content-sha256` of `STREAMING-...`: a sequence of
//! `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` chunks, a zero-size
//! chunk, then optional trailers (a checksum, a trailer signature) and a
//! blank line. s3s decodes this only while verifying signatures, which the
//! emulator leaves to the core (strict mode), so the S3 service unwraps the
//! chunks itself before the body reaches the protocol layer. Chunk
//! signatures are not checked here; trailing headers are collected and the
//! checksum they carry is exposed to the caller.

use bytes::{Buf, Bytes, BytesMut};
use futures::Stream;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// An error in a chunked body.
pub type ChunkError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The longest chunk header or trailer line accepted.
const MAX_LINE: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a `<hex size>[;ext]` line.
    Header,
    /// Inside a chunk's data, with this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// Reading trailer lines after the last chunk.
    Trailers,
    /// Finished.
    Done,
}

/// Trailing headers of a chunked body, filled in once it has been read.
pub type Trailers = Arc<Mutex<Vec<(String, String)>>>;

/// A stream adapter that turns an `aws-chunked` body into its payload.
pub struct AwsChunked<S> {
    inner: S,
    buf: BytesMut,
    state: State,
    eof: bool,
    trailers: Trailers,
}

impl<S> AwsChunked<S> {
    /// Decodes `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            buf: BytesMut::new(),
            state: State::Header,
            eof: false,
            trailers: Trailers::default(),
        }
    }

    /// The trailing headers, available once the stream has ended.
    pub fn trailers(&self) -> Trailers {
        self.trailers.clone()
    }

    fn take_line(&mut self) -> Result<Option<Bytes>, ChunkError> {
        match self.buf.windows(2).position(|w| w == b"\r\n") {
            Some(i) => {
                let line = self.buf.split_to(i).freeze();
                self.buf.advance(2);
                Ok(Some(line))
            }
            None if self.buf.len() > MAX_LINE => Err("aws-chunked line too long".into()),
            None => Ok(None),
        }
    }

    /// Makes as much progress as the buffer allows; returns payload bytes
    /// when there are some.
    fn step(&mut self) -> Result<Option<Bytes>, ChunkError> {
        loop {
            match self.state {
                State::Header => {
                    let Some(line) = self.take_line()? else {
                        return Ok(None);
                    };
                    let text = std::str::from_utf8(&line).map_err(|_| "aws-chunked header is not text")?;
                    let size_text = text.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(size_text, 16)
                        .map_err(|_| format!("bad aws-chunked chunk size {size_text:?}"))?;
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    if self.buf.is_empty() {
                        return Ok(None);
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(self.buf.len());
                    let out = self.buf.split_to(n).freeze();
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    return Ok(Some(out));
                }
                State::DataEnd => {
                    let Some(end) = self.buf.get(..2) else {
                        return Ok(None);
                    };
                    if end != b"\r\n" {
                        return Err("aws-chunked data not followed by CRLF".into());
                    }
                    self.buf.advance(2);
                    self.state = State::Header;
                }
                State::Trailers => {
                    let Some(line) = self.take_line()? else {
                        if self.eof {
                            // Some clients end without the final blank line.
                            self.state = State::Done;
                        }
                        return Ok(None);
                    };
                    if line.is_empty() {
                        self.state = State::Done;
                        return Ok(None);
                    }
                    let text = String::from_utf8_lossy(&line);
                    if let Some((k, v)) = text.split_once(':')
                        && let Ok(mut t) = self.trailers.lock()
                    {
                        t.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                    }
                }
                State::Done => return Ok(None),
            }
        }
    }
}

impl<S, E> Stream for AwsChunked<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<ChunkError>,
{
    type Item = Result<Bytes, ChunkError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match this.step() {
                Err(e) => {
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(e)));
                }
                Ok(Some(bytes)) => return Poll::Ready(Some(Ok(bytes))),
                Ok(None) => {}
            }
            if this.state == State::Done {
                return Poll::Ready(None);
            }
            if this.eof {
                return Poll::Ready(Some(Err("aws-chunked body ended early".into())));
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.eof = true,
                Poll::Ready(Some(Err(e))) => {
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(Some(Ok(bytes))) => this.buf.extend_from_slice(&bytes),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    async fn decode(pieces: &[&[u8]]) -> Result<(Vec<u8>, Vec<(String, String)>), ChunkError> {
        let items: Vec<Result<Bytes, ChunkError>> =
            pieces.iter().map(|p| Ok(Bytes::copy_from_slice(p))).collect();
        let mut d = AwsChunked::new(futures::stream::iter(items));
        let trailers = d.trailers();
        let mut out = Vec::new();
        while let Some(c) = d.next().await {
            out.extend_from_slice(&c?);
        }
        let t = trailers.lock().unwrap().clone();
        Ok((out, t))
    }

    #[tokio::test]
    async fn signed_chunks_split_anywhere_decode() {
        let body = b"5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=ghi\r\n\r\n";
        for split in 0..body.len() {
            let (a, b) = body.split_at(split);
            let (data, _) = decode(&[a, b]).await.unwrap();
            assert_eq!(data, b"hello world");
        }
    }

    #[tokio::test]
    async fn unsigned_chunks_with_trailers() {
        let body = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n";
        let (data, trailers) = decode(&[body]).await.unwrap();
        assert_eq!(data, b"abc");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_owned(), "NSRBwg==".to_owned())]
        );
    }

    #[tokio::test]
    async fn truncated_or_garbled_bodies_fail() {
        assert!(decode(&[b"5\r\nhel"]).await.is_err());
        assert!(decode(&[b"zz\r\nhello\r\n"]).await.is_err());
        assert!(decode(&[b"5\r\nhelloXX0\r\n\r\n"]).await.is_err());
    }
}
