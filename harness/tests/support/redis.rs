//! Whether `redis-server` is here, for the tests whose store keeps sessions
//! in ElastiCache. Included with `#[path]` by the tests that use it.

use std::process::Command;

/// Whether `redis-server` is installed where the emulator looks for it
/// (`FIREDRILL_REDIS_BIN`, else `PATH`).
pub fn redis_installed() -> bool {
    std::env::var_os("FIREDRILL_REDIS_BIN").is_some()
        || Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}
