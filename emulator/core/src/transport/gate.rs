//! The gate: an I/O wrapper between a client's socket and hyper.
//!
//! hyper answers a request head it cannot accept (bad framing, HTTP/0.9,
//! oversized headers) with a bodyless 400 or 431 before any handler runs,
//! and holds a connection whose client stops mid-head or sits idle for as
//! long as the client likes. The gate reads ahead of hyper: it holds each
//! request head back until it is complete and [`head::check`] accepts it,
//! then lets it and its body through, following the body's framing
//! (Content-Length or chunked) to find the next head. So:
//!
//! - a refused head never reaches hyper: the gate answers it in the shape of
//!   the protocol the head speaks ([`head::sniff`]) and closes the
//!   connection (hyper sees the connection end between two requests, and
//!   finishes the answers it owes first);
//! - a client that has sent part of a head and then nothing for
//!   `header_read_timeout` (counted from the head's first byte) is
//!   disconnected without an answer, as front ends do;
//! - a connection with no request in flight and no bytes moving for
//!   `keep_alive_timeout` is closed, and so is one asked to give up its
//!   slot ([`Activity::reclaim`]) once it is idle between requests.
//!
//! What the gate does not judge: the HTTP/2 preface switches it off for the
//! connection (hyper serves HTTP/2 itself), as do a `CONNECT` request and a
//! chunked body whose syntax the gate cannot follow; hyper's own rules then
//! apply to the rest of that connection. Stalled bodies are
//! [`super::watch`]'s business, where a handler is waiting for them.

use super::head::{self, Framing, Verdict};
use bytes::{Buf, Bytes, BytesMut};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

/// The longest chunk-size or trailer line the gate follows before it stops
/// judging the connection.
const MAX_CHUNK_LINE: usize = 4096;

/// How long a refused connection's further bytes are read and dropped.
pub const LINGER: Duration = Duration::from_secs(1);

/// The limits a gate enforces.
#[derive(Debug, Clone, Copy)]
pub struct GateLimits {
    /// See [`crate::config::TransportLimits::header_read_timeout`].
    pub header_read_timeout: Duration,
    /// See [`crate::config::TransportLimits::keep_alive_timeout`].
    pub keep_alive_timeout: Duration,
    /// See [`crate::config::TransportLimits::max_header_bytes`].
    pub max_header_bytes: usize,
}

/// Whether a connection has requests in flight (from the head's arrival to
/// the end of the answer's body), and since when it has had none: shared by
/// the gate, the connection's request handlers and the connection
/// [`super::slots`] (which may ask an idle connection to close).
#[derive(Debug)]
pub struct Activity {
    in_flight: AtomicUsize,
    idle_since: parking_lot::Mutex<Instant>,
    /// Set once a request has finished: only then is the connection a
    /// keep-alive one that may be reclaimed (a new one awaits its first head).
    served: AtomicBool,
    /// Set when the connection is asked to close as soon as it is idle.
    reclaim: AtomicBool,
    /// The gate's task, woken when the last answer has finished (hyper
    /// drops a connection that ends mid-exchange) or a reclaim is asked.
    waiter: futures::task::AtomicWaker,
    /// Told whenever the connection turns idle.
    turned_idle: Option<Arc<Notify>>,
}

impl Activity {
    /// A connection with nothing in flight yet.
    pub fn new() -> Arc<Self> {
        Self::notifying(None)
    }

    /// A connection with nothing in flight yet that tells `turned_idle`
    /// each time its last request in flight ends.
    pub fn notifying(turned_idle: Option<Arc<Notify>>) -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            idle_since: parking_lot::Mutex::new(Instant::now()),
            served: AtomicBool::new(false),
            reclaim: AtomicBool::new(false),
            waiter: futures::task::AtomicWaker::new(),
            turned_idle,
        })
    }

    /// Marks a request in flight until the returned guard drops.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Whether a request is in flight.
    pub fn busy(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) > 0
    }

    /// Since when the connection has had no request in flight.
    pub fn idle_since(&self) -> Instant {
        *self.idle_since.lock()
    }

    /// Whether the connection sits idle between requests, having served at
    /// least one: a keep-alive connection its client may or may not reuse.
    pub fn kept_alive(&self) -> bool {
        self.served.load(Ordering::SeqCst) && !self.busy()
    }

    /// Asks the gate to end the connection the next time it is idle
    /// between requests. Returns false if that was already asked.
    pub fn reclaim(&self) -> bool {
        let first = !self.reclaim.swap(true, Ordering::SeqCst);
        self.waiter.wake();
        first
    }

    /// Whether the connection was asked to close.
    pub fn reclaimed(&self) -> bool {
        self.reclaim.load(Ordering::SeqCst)
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            *self.0.idle_since.lock() = Instant::now();
            self.0.served.store(true, Ordering::SeqCst);
            self.0.waiter.wake();
            if let Some(notify) = &self.0.turned_idle {
                notify.notify_waiters();
            }
        }
    }
}

/// Where the gate is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for (or holding back) the next request head.
    Head,
    /// Inside a body of known length: this many bytes remain.
    Body(u64),
    /// Inside a chunked body, reading a line of this kind.
    ChunkLine(LineKind),
    /// Inside a chunk's data: this many bytes remain.
    ChunkData(u64),
    /// Not judging this connection any more.
    Passthrough,
}

/// The lines of a chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// `size[;extensions]`.
    Size,
    /// The empty line after a chunk's data.
    DataEnd,
    /// A trailer field, or the empty line that ends the body.
    Trailer,
}

/// Why the gate stopped reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// A head was refused and answered.
    Refused,
    /// A head did not arrive whole in time.
    HeaderTimeout,
    /// The connection sat idle.
    KeepAliveTimeout,
    /// The connection was idle when its slot was wanted for a new one.
    Reclaimed,
}

/// The I/O wrapper; see the module documentation.
pub struct Gate<IO> {
    io: IO,
    limits: GateLimits,
    activity: Arc<Activity>,
    state: State,
    /// Bytes received and not yet judged.
    raw: BytesMut,
    /// Bytes judged and not yet read by hyper.
    ready: BytesMut,
    /// The current chunk line, while one is being read.
    line: Vec<u8>,
    eof: bool,
    closed: Option<Closed>,
    /// The answer to a refused head, written before the socket is shut down.
    refusal: Option<Bytes>,
    head_started: Option<Instant>,
    last_io: Instant,
    /// Until when a refused connection lingers, once its answer is written.
    linger: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    refuse: fn(&[u8], &head::Fault) -> Bytes,
}

impl<IO> std::fmt::Debug for Gate<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("state", &self.state)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<IO> Gate<IO> {
    /// Wraps `io`. `refuse` turns a refused head (its raw bytes and fault)
    /// into the raw HTTP answer to send.
    pub fn new(
        io: IO,
        limits: GateLimits,
        activity: Arc<Activity>,
        refuse: fn(&[u8], &head::Fault) -> Bytes,
    ) -> Self {
        let now = Instant::now();
        Self {
            io,
            limits,
            activity,
            state: State::Head,
            raw: BytesMut::new(),
            ready: BytesMut::new(),
            line: Vec::new(),
            eof: false,
            closed: None,
            refusal: None,
            head_started: None,
            last_io: now,
            linger: None,
            timer: Box::pin(tokio::time::sleep_until(now)),
            refuse,
        }
    }

    /// Why the gate stopped reading, if it did.
    pub fn closed(&self) -> Option<Closed> {
        self.closed
    }

    /// Moves `n` judged bytes from `raw` to `ready`.
    fn pass(&mut self, n: usize) {
        let bytes = self.raw.split_to(n);
        self.ready.extend_from_slice(&bytes);
    }

    /// Judges as much of `raw` as possible.
    fn judge(&mut self) {
        while !self.raw.is_empty() && self.closed.is_none() {
            match self.state {
                State::Passthrough => {
                    let n = self.raw.len();
                    self.pass(n);
                }
                State::Head => match head::check(&self.raw, self.limits.max_header_bytes) {
                    Verdict::Partial => return,
                    Verdict::Http2 => self.state = State::Passthrough,
                    Verdict::Complete { len, framing } => {
                        self.pass(len);
                        self.head_started = None;
                        self.state = match framing {
                            Framing::Length(0) => State::Head,
                            Framing::Length(n) => State::Body(n),
                            Framing::Chunked => State::ChunkLine(LineKind::Size),
                            Framing::Opaque => State::Passthrough,
                        };
                    }
                    Verdict::Refused(fault) => {
                        tracing::debug!(?fault, "request head refused before hyper");
                        self.refusal = Some((self.refuse)(&self.raw, &fault));
                        self.raw.clear();
                        self.closed = Some(Closed::Refused);
                    }
                },
                State::Body(left) | State::ChunkData(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(self.raw.len());
                    self.pass(n);
                    let left = left - n as u64;
                    self.state = match (self.state, left) {
                        (State::Body(_), 0) => State::Head,
                        (State::Body(_), _) => State::Body(left),
                        (_, 0) => State::ChunkLine(LineKind::DataEnd),
                        (_, _) => State::ChunkData(left),
                    };
                }
                State::ChunkLine(kind) => {
                    let end = self.raw.iter().position(|b| *b == b'\n');
                    let n = end.map_or(self.raw.len(), |i| i + 1);
                    self.line.extend_from_slice(self.raw.get(..n).unwrap_or_default());
                    self.pass(n);
                    if self.line.len() > MAX_CHUNK_LINE {
                        self.state = State::Passthrough;
                    } else if end.is_some() {
                        let line = std::mem::take(&mut self.line);
                        self.state = next_after_line(kind, &line);
                    }
                }
            }
        }
    }

    /// Polls the timer that applies now; `Ready` means the gate closed.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.state != State::Head || !self.ready.is_empty() {
            return Poll::Pending;
        }
        self.activity.waiter.register(cx.waker());
        if self.raw.is_empty() && !self.activity.busy() && self.activity.reclaimed() {
            tracing::debug!("closing an idle connection for a new one");
            self.closed = Some(Closed::Reclaimed);
            return Poll::Ready(());
        }
        loop {
            let now = Instant::now();
            let (deadline, on_expiry) = match self.head_started {
                Some(started) if !self.raw.is_empty() => {
                    (started + self.limits.header_read_timeout, Closed::HeaderTimeout)
                }
                _ if self.activity.busy() => (now + self.limits.keep_alive_timeout, Closed::KeepAliveTimeout),
                _ => {
                    let since = (*self.activity.idle_since.lock()).max(self.last_io);
                    (since + self.limits.keep_alive_timeout, Closed::KeepAliveTimeout)
                }
            };
            if deadline <= now {
                tracing::debug!(reason = ?on_expiry, "closing a connection");
                self.closed = Some(on_expiry);
                return Poll::Ready(());
            }
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

/// The state after a complete chunk line.
fn next_after_line(kind: LineKind, line: &[u8]) -> State {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    match kind {
        LineKind::Size => {
            let size = text.split(|b| *b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .map(str::trim)
                .and_then(|s| u64::from_str_radix(s, 16).ok());
            match size {
                Some(0) => State::ChunkLine(LineKind::Trailer),
                Some(n) => State::ChunkData(n),
                None => State::Passthrough,
            }
        }
        LineKind::DataEnd if text.is_empty() => State::ChunkLine(LineKind::Size),
        LineKind::DataEnd => State::Passthrough,
        LineKind::Trailer if text.is_empty() => State::Head,
        LineKind::Trailer => State::ChunkLine(LineKind::Trailer),
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Gate<IO> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.ready.is_empty() {
                let n = out.remaining().min(this.ready.len());
                out.put_slice(this.ready.get(..n).unwrap_or_default());
                this.ready.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.closed.is_some() {
                // The stream ends only between exchanges: hyper would drop
                // the answer it still owes.
                this.activity.waiter.register(cx.waker());
                if this.activity.busy() {
                    return Poll::Pending;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            if this.state == State::Passthrough && this.raw.is_empty() {
                let before = out.filled().len();
                ready!(Pin::new(&mut this.io).poll_read(cx, out))?;
                if out.filled().len() > before {
                    this.last_io = Instant::now();
                }
                return Poll::Ready(Ok(()));
            }
            let mut buf = [0u8; 8192];
            let mut read = ReadBuf::new(&mut buf);
            match Pin::new(&mut this.io).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => this.eof = true,
                Poll::Ready(Ok(())) => {
                    let now = Instant::now();
                    this.last_io = now;
                    if this.state == State::Head && this.raw.is_empty() {
                        this.head_started = Some(now);
                    }
                    this.raw.extend_from_slice(read.filled());
                    this.judge();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    ready!(this.poll_timers(cx));
                }
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Gate<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.io).poll_write(cx, buf))?;
        this.last_io = Instant::now();
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.io).poll_write_vectored(cx, bufs))?;
        this.last_io = Instant::now();
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// Writes the answer to a refused head, if any, before shutting down,
    /// then lingers: what the client still sends is read and dropped for up
    /// to [`LINGER`], so that closing with unread bytes does not reset the
    /// connection before the client has read the answer.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while let Some(refusal) = this.refusal.as_mut() {
            if refusal.is_empty() {
                this.refusal = None;
                ready!(Pin::new(&mut this.io).poll_flush(cx))?;
                this.linger = Some(Instant::now() + LINGER);
                break;
            }
            let n = ready!(Pin::new(&mut this.io).poll_write(cx, refusal))?;
            if n == 0 {
                this.refusal = None;
                break;
            }
            refusal.advance(n);
        }
        ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
        if let Some(until) = this.linger {
            if this.timer.deadline() != until {
                this.timer.as_mut().reset(until);
            }
            loop {
                if this.eof || this.timer.as_mut().poll(cx).is_ready() {
                    break;
                }
                let mut buf = [0u8; 4096];
                let mut read = ReadBuf::new(&mut buf);
                match Pin::new(&mut this.io).poll_read(cx, &mut read) {
                    Poll::Ready(Ok(())) if !read.filled().is_empty() => {}
                    Poll::Ready(_) => break,
                    Poll::Pending => return Poll::Pending,
                }
            }
            this.linger = None;
        }
        Poll::Ready(Ok(()))
    }
}
