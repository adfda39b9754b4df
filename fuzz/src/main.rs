//! `firedrill-fuzz`: fuzzes the emulator's decoders round-robin and prints
//! each target's figures (`--help` for the options).

use firedrill_fuzz::runner::{Campaign, Stats, load_corpus, run_one};
use firedrill_fuzz::targets::{NAMES, build};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const HELP: &str = "\
firedrill-fuzz [--minutes N] [--seconds N] [--execs N] [--target NAME]... [--seed N] [--slice SECONDS]

  --minutes N     time each target gets, in minutes (default 1; fractions allowed)
  --seconds N     the same in seconds (overrides --minutes)
  --execs N       run each target until it has had N inputs (its corpus included);
                  with no --minutes/--seconds, as long as that takes
  --target NAME   only this target (repeat or comma-separate for several)
  --seed N        the mutator's seed (default 1); the same seed replays the same inputs
  --slice S       targets take turns in slices of S seconds (default 10)
  --list          list the targets
  --replay FILE   run FILE once through the (one) --target and print its outcome or panic

Targets: ddb-json ddb-expr s3-xml rds-query backup-json sigv4.
Crashes are saved to fuzz/crashes/<target>/<hash> (with <hash>.panic);
the exit status is 1 when any target crashed.
";

struct Options {
    per_target: Duration,
    /// Inputs each target gets, when the goal is a count rather than a time.
    execs: Option<u64>,
    /// Whether `--minutes` or `--seconds` was given.
    timed: bool,
    targets: Vec<String>,
    seed: u64,
    slice: Duration,
    replay: Vec<PathBuf>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        per_target: Duration::from_secs(60),
        execs: None,
        timed: false,
        targets: Vec::new(),
        seed: 1,
        slice: Duration::from_secs(10),
        replay: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        let number = |v: String| {
            v.parse::<f64>()
                .map_err(|_| format!("{a}: {v:?} is not a number"))
        };
        match a.as_str() {
            "--minutes" => {
                o.per_target = Duration::from_secs_f64(number(value()?)?.max(0.0) * 60.0);
                o.timed = true;
            }
            "--seconds" => {
                o.per_target = Duration::from_secs_f64(number(value()?)?.max(0.0));
                o.timed = true;
            }
            "--execs" => {
                o.execs = Some(
                    value()?
                        .replace('_', "")
                        .parse()
                        .map_err(|_| "--execs takes a whole number".to_owned())?,
                )
            }
            "--slice" => o.slice = Duration::from_secs_f64(number(value()?)?.max(0.1)),
            "--seed" => {
                o.seed = value()?
                    .parse()
                    .map_err(|_| "--seed takes an integer".to_owned())?
            }
            "--target" => o.targets.extend(value()?.split(',').map(str::to_owned)),
            "--replay" => o.replay.push(PathBuf::from(value()?)),
            "--list" => {
                println!("{}", NAMES.join("\n"));
                return Ok(None);
            }
            "--help" | "-h" => {
                print!("{HELP}");
                return Ok(None);
            }
            other => return Err(format!("unknown option {other:?}\n\n{HELP}")),
        }
    }
    if o.execs.is_some() && !o.timed {
        o.per_target = Duration::MAX;
    }
    if o.targets.is_empty() {
        o.targets = NAMES.iter().map(|n| (*n).to_owned()).collect();
    }
    if let Some(bad) = o.targets.iter().find(|t| !NAMES.contains(&t.as_str())) {
        return Err(format!("unknown target {bad:?}; targets: {}", NAMES.join(" ")));
    }
    Ok(Some(o))
}

fn row(name: &str, s: &Stats) -> String {
    format!(
        "{name:<12} {:>12} {:>10.0} {:>8} {:>7} {:>8} {:>5} {:>10.1}",
        s.execs,
        s.rate(),
        s.classes,
        s.corpus,
        s.crashes,
        s.bugs.len(),
        s.slowest.as_secs_f64() * 1000.0
    )
}

const HEADER: &str = "target              execs    execs/s  classes  corpus crashes     bugs slowest ms";

/// Runs each `--replay` file once through the one target named.
fn replay(options: &Options) -> ExitCode {
    let [name] = options.targets.as_slice() else {
        eprintln!("firedrill-fuzz: --replay needs exactly one --target");
        return ExitCode::FAILURE;
    };
    let Some(mut target) = build(name) else {
        return ExitCode::FAILURE;
    };
    let mut crashed = false;
    for file in &options.replay {
        let input = match std::fs::read(file) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("firedrill-fuzz: {}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        };
        match run_one(target.as_mut(), &input) {
            Ok(class) => println!("{}: {class}", file.display()),
            Err(crash) => {
                crashed = true;
                println!("{}: PANIC {}", file.display(), crash.panic);
                target.reset();
            }
        }
    }
    if crashed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firedrill-fuzz: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !options.replay.is_empty() {
        return replay(&options);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    let mut campaigns: Vec<Campaign> = options
        .targets
        .iter()
        .filter_map(|name| {
            let target = build(name)?;
            let corpus = load_corpus(&root.join("corpus").join(name));
            Some(Campaign::new(
                target,
                corpus,
                options.seed,
                Some(root.join("crashes")),
            ))
        })
        .collect();
    for c in &mut campaigns {
        c.run_corpus();
    }
    let mut spent = vec![Duration::ZERO; campaigns.len()];
    loop {
        let mut any = false;
        for (c, spent) in campaigns.iter_mut().zip(spent.iter_mut()) {
            let left = options.per_target.saturating_sub(*spent);
            let execs_left = options
                .execs
                .map_or(u64::MAX, |goal| goal.saturating_sub(c.stats.execs));
            if left.is_zero() || execs_left == 0 {
                continue;
            }
            any = true;
            let turn = Instant::now();
            c.run_for(left.min(options.slice), execs_left);
            *spent += turn.elapsed();
        }
        if !any {
            break;
        }
        eprintln!("after {:.0} s:", started.elapsed().as_secs_f64());
        for c in &campaigns {
            eprintln!("  {}", row(c.name(), &c.stats));
        }
    }
    println!("{HEADER}");
    for c in &campaigns {
        println!("{}", row(c.name(), &c.stats));
    }
    println!("wall time {:.0} s", started.elapsed().as_secs_f64());
    let mut crashed = false;
    for c in &campaigns {
        for panic in c.stats.bugs.values() {
            crashed = true;
            println!("bug in {}: {panic}", c.name());
        }
    }
    if crashed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
