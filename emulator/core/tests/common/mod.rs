//! Helpers for the core's raw-TCP tests: a service that echoes what it
//! read, an in-process server with chosen limits, and a reader of answers
//! off the wire.

#![allow(dead_code)]

use bytes::Bytes;
use firedrill_emu_core::config::TransportLimits;
use firedrill_emu_core::server::{Dispatcher, ServerHandle, serve};
use firedrill_emu_core::service::{AwsService, BoxFuture};
use firedrill_emu_core::{Body, Clock, EmulatorConfig, Environment, RequestContext};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far beyond every timeout the tests configure: reaching it means the
/// server held the connection.
pub const BOUND: Duration = Duration::from_secs(3600);

/// A service that reads its whole body, keeps it, and says who it is.
pub struct Echo {
    pub stored: parking_lot::Mutex<Vec<(String, Bytes)>>,
}

impl AwsService for Echo {
    fn signing_names(&self) -> &'static [&'static str] {
        &["dynamodb", "s3", "rds", "backup"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            match firedrill_emu_core::body::collect(req.into_body(), usize::MAX).await {
                Ok(bytes) => {
                    let answer = format!("{} {}", ctx.service, bytes.len());
                    self.stored.lock().push((ctx.service.clone(), bytes));
                    http::Response::new(Body::from(answer))
                }
                Err(e) => http::Response::builder()
                    .status(599)
                    .body(Body::from(format!("body failed: {e}")))
                    .unwrap(),
            }
        })
    }
}

pub struct Server {
    pub addr: std::net::SocketAddr,
    pub echo: Arc<Echo>,
    _handle: ServerHandle,
    _dir: tempfile::TempDir,
}

pub fn limits() -> TransportLimits {
    TransportLimits {
        header_read_timeout: Duration::from_secs(2),
        body_idle_timeout: Duration::from_secs(3),
        keep_alive_timeout: Duration::from_secs(5),
        max_connections: 64,
        max_header_bytes: 4096,
    }
}

pub async fn start(transport: TransportLimits) -> Server {
    let config = EmulatorConfig {
        transport,
        ..EmulatorConfig::default()
    };
    start_with(config, Clock::simulated("2026-03-14T12:00:00Z".parse().unwrap())).await
}

/// Starts with `config` and `clock`.
pub async fn start_with(config: EmulatorConfig, clock: Clock) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment::new(config, clock, dir.path().to_path_buf());
    let echo = Arc::new(Echo {
        stored: parking_lot::Mutex::new(Vec::new()),
    });
    let dispatcher = Dispatcher::new(env, vec![echo.clone() as Arc<dyn AwsService>]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = serve(listener, dispatcher).unwrap();
    Server {
        addr: handle.local_addr(),
        echo,
        _handle: handle,
        _dir: dir,
    }
}

/// One answer as read off the wire.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts that a JSON 1.0 answer carries the `x-amz-crc32` of its
    /// body, as DynamoDB clients check it.
    pub fn assert_crc32(&self) {
        let crc = firedrill_emu_core::checksum::crc32(self.body.as_bytes()).to_string();
        assert_eq!(self.header("x-amz-crc32"), Some(crc.as_str()), "{self:?}");
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Reads one answer (head and Content-Length body) from `stream`, and not
/// a byte more: a second answer may follow on the same connection.
pub async fn read_answer(stream: &mut TcpStream) -> Answer {
    let read = async {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            let n = stream.read(&mut byte).await.unwrap_or(0);
            assert!(
                n > 0,
                "connection closed without an answer: {:?}",
                String::from_utf8_lossy(&head)
            );
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let mut lines = head.trim_end().split("\r\n");
        let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).await.expect("the whole body");
        let body = String::from_utf8_lossy(&body).into_owned();
        Answer {
            status,
            headers,
            body,
        }
    };
    tokio::time::timeout(BOUND, read)
        .await
        .expect("the server answered")
}

/// Asserts that the server closes `stream` (end of stream or reset).
pub async fn assert_closed(stream: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    let closed = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(BOUND, closed)
        .await
        .expect("the server closed the connection");
}

pub async fn send(server: &Server, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Sends `bytes` on a fresh connection and reads the one answer.
pub async fn exchange(server: &Server, bytes: &[u8]) -> Answer {
    let mut stream = send(server, bytes).await;
    read_answer(&mut stream).await
}

pub const DDB_HEAD: &str = "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\n";
pub const RDS_HEAD: &str = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\n";
