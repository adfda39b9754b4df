//! Raw HTTP for the assembled emulator's tests: one request written to a
//! fresh connection, and the whole answer read back until the server
//! closes it; [`postgres`] for the tests that start RDS instances.

#![allow(dead_code)]

pub mod postgres;

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Writes `request` to a new connection to `addr` and reads the answer
/// until the server closes the connection.
pub async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_to_end(&mut stream).await
}

/// Reads `stream` to its end (within a minute, far beyond any answer's time).
pub async fn read_to_end(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = stream.read_to_end(&mut out);
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the server answered and closed")
        .expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw answer.
pub fn status(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

/// The body of a raw answer.
pub fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}
