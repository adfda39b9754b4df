//! Every target runs its committed seed corpus, and a short burst of
//! mutated inputs, without a panic.
//!
//! Each test re-runs itself with PostgreSQL hidden (`FIREDRILL_PG_BIN`
//! pointing nowhere, as `cargo xtask fuzz` runs), so that the RDS target's
//! service does not prepare a PostgreSQL template (seconds of `initdb`) and
//! its creating actions are run up to their failure after validation.

use firedrill_fuzz::runner::{Campaign, load_corpus};
use firedrill_fuzz::targets::{NAMES, build};
use std::path::Path;
use std::time::Duration;

const HIDDEN: &str = "/nonexistent/firedrill-fuzz-hides-postgres";

/// In the outer run, runs `test` again in a child process with PostgreSQL
/// hidden and returns true (the caller stops); in the child, returns false.
fn rerun_with_postgres_hidden(test: &str) -> bool {
    if std::env::var_os("FIREDRILL_PG_BIN").is_some_and(|v| v == HIDDEN) {
        return false;
    }
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env("FIREDRILL_PG_BIN", HIDDEN)
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} with PostgreSQL hidden: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

fn campaign(name: &str) -> Campaign {
    let corpus = load_corpus(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name));
    assert!(corpus.len() >= 4, "{name} has only {} seed inputs", corpus.len());
    Campaign::new(build(name).expect("a known target"), corpus, 1, None)
}

#[test]
fn every_target_runs_its_corpus_without_a_panic() {
    if rerun_with_postgres_hidden("every_target_runs_its_corpus_without_a_panic") {
        return;
    }
    for name in NAMES {
        let mut c = campaign(name);
        let crashes = c.run_corpus();
        assert!(
            crashes.is_empty(),
            "{name}: {:?}",
            crashes.first().map(|c| &c.panic)
        );
        assert!(
            c.stats.classes >= 2,
            "{name}: the seeds reach only {} outcome",
            c.stats.classes
        );
    }
}

#[test]
fn a_short_burst_of_mutations_runs_and_grows_the_corpus() {
    if rerun_with_postgres_hidden("a_short_burst_of_mutations_runs_and_grows_the_corpus") {
        return;
    }
    for name in NAMES {
        let mut c = campaign(name);
        c.run_corpus();
        let seeds = c.stats.corpus;
        c.run_for(Duration::from_secs(60), 100);
        assert_eq!(c.stats.execs, seeds as u64 + 100, "{name}");
        assert!(
            c.stats.corpus > seeds,
            "{name}: no mutated input reached a new outcome"
        );
    }
}
