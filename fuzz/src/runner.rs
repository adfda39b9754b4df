//! The fuzz loop: pick a corpus entry, mutate it, run it under
//! `catch_unwind`, record a panic as a crash, and keep any input whose
//! outcome class was never seen before as a new corpus entry.
//!
//! A crash is saved as `crashes/<target>/<fnv64 of the input>` (the input's
//! bytes) with the panic message and location beside it in `<hash>.panic`;
//! the run goes on. After a crash, and every [`RESET_EVERY`] runs, the
//! target throws its state away and starts afresh.

use crate::harness::fnv;
use crate::mutator::Mutator;
use crate::targets::{COMMON_TOKENS, Target};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Runs between two resets of a target's state.
pub const RESET_EVERY: u64 = 20_000;
/// The longest input the mutator makes.
pub const MAX_INPUT: usize = 16 * 1024;
/// A run slower than this is saved as `crashes/<target>/<hash>.slow` (it
/// is not a crash: the time includes whatever else the machine was doing).
pub const SLOW: Duration = Duration::from_secs(1);
/// The most inputs kept in memory per target.
const MAX_CORPUS: usize = 4096;

thread_local! {
    static CATCHING: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that, while a target runs, keeps the panic's
/// message and location for the crash report instead of printing it; any
/// other panic goes to the previous hook as usual.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let caught = CATCHING.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let message = info
                            .payload()
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_owned())
                            .or_else(|| info.payload().downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        let at = info
                            .location()
                            .map(|l| format!("{}:{}", l.file(), l.line()))
                            .unwrap_or_default();
                        *slot = Some(format!("{at}: {message}"));
                        true
                    }
                    None => false,
                }
            });
            if !caught {
                previous(info);
            }
        }));
    });
}

/// A panic a target raised on an input.
#[derive(Debug, Clone)]
pub struct Crash {
    /// `file:line: message` of the panic.
    pub panic: String,
    /// The input.
    pub input: Vec<u8>,
}

impl Crash {
    /// The panic's location, which names the bug.
    pub fn location(&self) -> &str {
        self.panic.split(": ").next().unwrap_or_default()
    }
}

/// Runs one input, turning a panic into a [`Crash`].
pub fn run_one(target: &mut dyn Target, input: &[u8]) -> Result<String, Crash> {
    install_hook();
    CATCHING.with(|c| *c.borrow_mut() = Some(None));
    let outcome = catch_unwind(AssertUnwindSafe(|| target.run(input)));
    let caught = CATCHING.with(|c| c.borrow_mut().take()).flatten();
    outcome.map_err(|_| Crash {
        panic: caught.unwrap_or_else(|| "unknown location: panic".to_owned()),
        input: input.to_vec(),
    })
}

/// One target's corpus, on disk: every file in `dir` (sorted by name)
/// without an extension (not the `*.panic` and `*.slow` beside crashes).
pub fn load_corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "panic"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// One target's figures.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Inputs run.
    pub execs: u64,
    /// Time spent running them, the mutator and bookkeeping included.
    pub elapsed: Duration,
    /// Distinct outcome classes seen (the coverage proxy).
    pub classes: usize,
    /// Inputs in the corpus now (seeds plus those with a new class).
    pub corpus: usize,
    /// Panics.
    pub crashes: u64,
    /// Distinct panic locations, with one message each.
    pub bugs: BTreeMap<String, String>,
    /// The slowest single run.
    pub slowest: Duration,
}

impl Stats {
    /// Runs per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.execs as f64 / secs } else { 0.0 }
    }
}

/// A target with its corpus, mutator and figures.
pub struct Campaign {
    target: Box<dyn Target>,
    mutator: Mutator,
    corpus: Vec<Vec<u8>>,
    seen: HashSet<u64>,
    crash_dir: Option<PathBuf>,
    since_reset: u64,
    /// The figures so far.
    pub stats: Stats,
}

impl Campaign {
    /// A campaign over `target` from `corpus`; crashes go under `crash_dir`
    /// (`None`: kept in memory only).
    pub fn new(target: Box<dyn Target>, corpus: Vec<Vec<u8>>, seed: u64, crash_dir: Option<PathBuf>) -> Self {
        let mut dictionary: Vec<&str> = target.dictionary().to_vec();
        dictionary.extend_from_slice(COMMON_TOKENS);
        let corpus = if corpus.is_empty() {
            vec![Vec::new()]
        } else {
            corpus
        };
        let seed = seed ^ fnv(target.name().as_bytes());
        Self {
            mutator: Mutator::new(seed, &dictionary, MAX_INPUT),
            target,
            stats: Stats {
                corpus: corpus.len(),
                ..Stats::default()
            },
            corpus,
            seen: HashSet::new(),
            crash_dir,
            since_reset: 0,
        }
    }

    /// The target's name.
    pub fn name(&self) -> &'static str {
        self.target.name()
    }

    /// Runs every corpus entry once, unmutated; returns the crashes.
    pub fn run_corpus(&mut self) -> Vec<Crash> {
        let inputs = self.corpus.clone();
        inputs
            .iter()
            .filter_map(|input| self.exec(input, false))
            .collect()
    }

    /// Fuzzes for `budget`, or `max_execs` runs if that comes first.
    pub fn run_for(&mut self, budget: Duration, max_execs: u64) {
        let start = Instant::now();
        let mut done = 0;
        while start.elapsed() < budget && done < max_execs {
            let pick = self.mutator.rng().below(self.corpus.len());
            let mut input = self.corpus[pick].clone();
            self.mutator.mutate(&mut input, &self.corpus);
            self.exec(&input, true);
            done += 1;
        }
        self.stats.elapsed += start.elapsed();
    }

    fn exec(&mut self, input: &[u8], keep: bool) -> Option<Crash> {
        if self.since_reset >= RESET_EVERY {
            self.target.reset();
            self.since_reset = 0;
        }
        let start = Instant::now();
        let outcome = run_one(self.target.as_mut(), input);
        let took = start.elapsed();
        self.since_reset += 1;
        self.stats.execs += 1;
        self.stats.slowest = self.stats.slowest.max(took);
        if took >= SLOW {
            self.save(input, "slow");
        }
        match outcome {
            Ok(class) => {
                if self.seen.insert(fnv(class.as_bytes())) {
                    self.stats.classes = self.seen.len();
                    if keep && self.corpus.len() < MAX_CORPUS {
                        self.corpus.push(input.to_vec());
                        self.stats.corpus = self.corpus.len();
                    }
                }
                None
            }
            Err(crash) => {
                self.record(&crash);
                // A panic may leave the service's state half-changed.
                let _ = catch_unwind(AssertUnwindSafe(|| self.target.reset()));
                self.since_reset = 0;
                Some(crash)
            }
        }
    }

    fn record(&mut self, crash: &Crash) {
        self.stats.crashes += 1;
        let location = crash.location().to_owned();
        if !self.stats.bugs.contains_key(&location) {
            eprintln!("[{}] crash: {}", self.name(), crash.panic);
            self.stats.bugs.insert(location, crash.panic.clone());
        }
        if let Some(hash) = self.save(&crash.input, "") {
            self.save_beside(&hash, "panic", crash.panic.as_bytes());
        }
    }

    /// Saves `input` as `crashes/<target>/<hash>[.ext]`; returns the hash.
    fn save(&self, input: &[u8], ext: &str) -> Option<String> {
        let hash = format!("{:016x}", fnv(input));
        self.save_beside(&hash, ext, input).then_some(hash)
    }

    fn save_beside(&self, hash: &str, ext: &str, bytes: &[u8]) -> bool {
        let Some(dir) = &self.crash_dir else {
            return false;
        };
        let dir = dir.join(self.target.name());
        let file = if ext.is_empty() {
            hash.to_owned()
        } else {
            format!("{hash}.{ext}")
        };
        std::fs::create_dir_all(&dir).is_ok() && std::fs::write(dir.join(file), bytes).is_ok()
    }
}
