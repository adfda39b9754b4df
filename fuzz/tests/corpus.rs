//! Every target runs its committed seed corpus, and a short burst of
//! mutated inputs, without a panic.

use firedrill_fuzz::runner::{Campaign, load_corpus};
use firedrill_fuzz::targets::{NAMES, build};
use std::path::Path;
use std::time::Duration;

fn campaign(name: &str) -> Campaign {
    let corpus = load_corpus(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name));
    assert!(corpus.len() >= 4, "{name} has only {} seed inputs", corpus.len());
    Campaign::new(build(name).expect("a known target"), corpus, 1, None)
}

#[test]
fn every_target_runs_its_corpus_without_a_panic() {
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
