//! Logs written to a pipe or a file (CI, `2> drill.log`) are plain text: the
//! `firedrill` binary colours its log lines only when stderr is a terminal.

use std::net::TcpListener;
use std::process::{Command, Stdio};

/// A loopback port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[test]
fn debug_logs_on_a_pipe_carry_no_ansi_escape_codes() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["admin", "--endpoint", &endpoint, "health"])
        .env("FIREDRILL_LOG", "debug")
        // NO_COLOR would hide the bug this test guards against.
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run firedrill admin health");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "nothing listens at {endpoint}; stderr:\n{stderr}"
    );
    // The HTTP client logs its connection attempt at debug level: the output
    // holds real tracing lines, not just the final error message.
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("DEBUG") && l.contains("connect")),
        "no debug log line on stderr:\n{stderr}"
    );
    assert!(
        !stderr.contains("\x1b["),
        "ANSI escape codes in piped logs:\n{}",
        stderr.escape_debug()
    );
}
