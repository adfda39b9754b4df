//! What the `firedrill drill` command-line tests share: the shipped story
//! they play, whether PostgreSQL is here to play it, and its twin with a
//! wrong expectation. Included with `#[path]` by the tests that use it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shipped scenario the command-line tests play.
pub const SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/junior-dev-cart-batch-delete.toml"
);

/// Whether PostgreSQL server binaries are installed (the drills need RDS).
pub fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql").is_ok()
        || Command::new("pg_config")
            .output()
            .is_ok_and(|o| o.status.success())
        || std::env::var_os("FIREDRILL_PG_BIN").is_some()
}

/// Writes into `dir` the same story expecting loss where the runbook
/// recovers everything (`junior-dev-expects-loss`): its expectation fails.
pub fn write_expects_loss(dir: &Path) -> PathBuf {
    let wrong = std::fs::read_to_string(SCENARIO)
        .expect("the shipped scenario")
        .replace(
            "name = \"junior-dev-cart-batch-delete\"",
            "name = \"junior-dev-expects-loss\"",
        )
        .replace("outcome = \"recovered\"", "outcome = \"data-loss\"");
    assert!(wrong.contains("junior-dev-expects-loss") && wrong.contains("data-loss"));
    let path = dir.join("junior-dev-expects-loss.toml");
    std::fs::write(&path, wrong).expect("write the scenario");
    path
}

/// Plays the shipped scenario `scenarios/<file>` on the embedded emulator.
#[allow(
    dead_code,
    reason = "the scenario tests use it, the CLI tests that share this file do not"
)]
pub async fn play(file: &str) -> firedrill::report::Report {
    let path = format!("{}/../scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let s = firedrill::scenario::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    firedrill::stack::EmbeddedTarget::play(&s, &firedrill::drill::DrillOptions::default())
        .await
        .expect("the drill runs")
}
