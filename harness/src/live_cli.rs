//! The command line of "break it yourself": `up`, `check` and `down`
//! (the work is in [`firedrill::live`]).

use anyhow::{Context, Result, bail};
use firedrill::checker::Targets;
use firedrill::live::check::{
    CheckOptions, check_once, parse_instant, parse_recovered_pairs, to_text, write_reports,
};
use firedrill::live::traffic::{UpOptions, up as run_up};
use firedrill::live::watch::{WatchOptions, watch};
use firedrill::live::{DEFAULT_DIR, LiveDir};
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// A running emulator to use (default: start one in this process).
    #[arg(long)]
    endpoint: Option<String>,
    /// Where the emulator this process starts listens.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Its port (0 picks a free one).
    #[arg(long, default_value_t = 4566)]
    port: u16,
    /// Where store.json and history.json go.
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,
    /// Stack prefix of the shop.
    #[arg(long, default_value = "shop")]
    prefix: String,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Take the traffic's rates (and its `[store]`) from this scenario (a file or a name in ./scenarios).
    #[arg(long)]
    scenario: Option<String>,
    /// Where sessions and carts live: `sessions=elasticache[,carts=elasticache]`,
    /// and the orders engine: `orders=mysql` (or `mariadb`; default: the
    /// scenario's `[store]`, else DynamoDB and PostgreSQL).
    #[arg(long, value_name = "KEY=VALUE,...")]
    store: Option<String>,
    /// Multiply every rate (a demonstration that cannot wait an hour).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Keep the shop's traffic running, recording it, until stopped.
    #[arg(long)]
    traffic: bool,
    /// Run in the background once the shop is up (stop it with `firedrill down`).
    #[arg(long)]
    detach: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The directory `up` wrote.
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,
    /// Judge against the state just before this instant (RFC 3339) instead
    /// of the instant before the first destructive act.
    #[arg(long, value_name = "INSTANT")]
    restore_to: Option<String>,
    /// Where the restore put the data: `carts_table=NAME,db_instance=NAME`
    /// (the keys of FIREDRILL_STORE).
    #[arg(long, value_name = "KEY=VALUE,...")]
    recovered: Option<String>,
    /// A FIREDRILL_RECOVERED JSON file saying the same (read at every check).
    #[arg(long, env = "FIREDRILL_RECOVERED", value_name = "FILE")]
    recovered_file: Option<PathBuf>,
    /// Write JSON, Markdown and HTML reports here (default: DIR/reports).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Check again every few seconds until every layer is recovered.
    #[arg(long)]
    watch: bool,
    /// Seconds between checks with --watch.
    #[arg(long, default_value_t = 3.0)]
    interval: f64,
    /// With --watch, give up after this many seconds and exit on the last
    /// check's verdict (0: watch until recovered).
    #[arg(long, default_value_t = 3600.0, value_name = "SECONDS")]
    watch_timeout: f64,
    /// Recovery point objective, seconds.
    #[arg(long, default_value_t = 300.0)]
    rpo: f64,
    /// Recovery time objective, seconds.
    #[arg(long, default_value_t = 1800.0)]
    rto: f64,
    /// Print only the restore point (RFC 3339), for a restore command.
    #[arg(long)]
    print_restore_point: bool,
}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// The directory `up --detach` wrote.
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,
}

/// How the printed one-liners call this binary.
fn this_binary() -> String {
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "firedrill".to_owned())
}

/// `firedrill up`.
pub async fn up(args: UpArgs, stop: impl std::future::Future<Output = ()>) -> Result<ExitCode> {
    if args.detach {
        return detach(&args);
    }
    let (spec, scenario_store) = match &args.scenario {
        Some(name) => {
            let scenario = firedrill::scenario::load(&crate::cli::scenario_path(name))?;
            let mut s = scenario.workload.spec();
            s.seed = args.seed;
            (s, scenario.store)
        }
        None => (
            firedrill::live::traffic::shop_traffic(args.seed),
            Default::default(),
        ),
    };
    let store = match &args.store {
        Some(pairs) => firedrill::store::StoreSection::parse_pairs(pairs).context("--store")?,
        None => scenario_store,
    };
    let dir = std::path::absolute(&args.dir).unwrap_or(args.dir.clone());
    run_up(
        UpOptions {
            endpoint: args.endpoint.clone(),
            listen: SocketAddr::new(args.host, args.port),
            dir,
            prefix: args.prefix.clone(),
            spec,
            store,
            speed: args.speed,
            traffic: args.traffic,
            firedrill: this_binary(),
        },
        stop,
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Starts this same command without `--detach` in the background, waits
/// until the shop is up and prints what it printed.
fn detach(args: &UpArgs) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let dir = LiveDir(args.dir.clone());
    std::fs::create_dir_all(&dir.0).with_context(|| format!("cannot create {}", dir.0.display()))?;
    if let Ok(pid) = std::fs::read_to_string(dir.pid())
        && std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
    {
        bail!(
            "a detached `firedrill up` already runs (pid {}); stop it with `firedrill down --dir {}`",
            pid.trim(),
            dir.0.display()
        );
    }
    let _ = std::fs::remove_file(dir.banner());
    let log =
        std::fs::File::create(dir.log()).with_context(|| format!("cannot create {}", dir.log().display()))?;
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).filter(|a| a != "--detach").collect();
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(&argv)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: a Ctrl-C meant for the shell does not reach it.
        .process_group(0)
        .spawn()
        .context("starting `firedrill up` in the background")?;
    std::fs::write(dir.pid(), child.id().to_string())?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        if let Ok(banner) = std::fs::read_to_string(dir.banner()) {
            print!("{banner}");
            println!(
                "\n(running in the background, pid {}, log {}; stop it with `{} down --dir {}`)",
                child.id(),
                dir.log().display(),
                this_binary(),
                dir.0.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(status) = child.try_wait()? {
            let _ = std::fs::remove_file(dir.pid());
            let log = std::fs::read_to_string(dir.log()).unwrap_or_default();
            let tail: Vec<&str> = log
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            bail!("`firedrill up` exited ({status}):\n{}", tail.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!(
        "`firedrill up` was not ready within 5 minutes; see {}",
        dir.log().display()
    )
}

/// `firedrill down`: stops a detached `up` (SIGINT: it writes its history
/// and stops its emulator first).
pub fn down(args: DownArgs) -> Result<ExitCode> {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let dir = LiveDir(args.dir);
    let pid = std::fs::read_to_string(dir.pid())
        .with_context(|| format!("nothing to stop: no {}", dir.pid().display()))?;
    let pid: i32 = pid.trim().parse().context("the pid file holds no pid")?;
    let alive = || std::path::Path::new(&format!("/proc/{pid}")).exists();
    if alive() {
        kill(Pid::from_raw(pid), Signal::SIGINT).with_context(|| format!("signalling pid {pid}"))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if alive() {
            bail!("pid {pid} did not stop within a minute");
        }
    }
    let _ = std::fs::remove_file(dir.pid());
    println!(
        "stopped `firedrill up` (pid {pid}); the history stays in {}",
        dir.history().display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `firedrill check`.
pub async fn check(args: CheckArgs) -> Result<ExitCode> {
    if !(args.interval.is_finite() && args.interval >= 0.1) {
        bail!("--interval must be at least 0.1 seconds");
    }
    for (name, v) in [
        ("--rpo", args.rpo),
        ("--rto", args.rto),
        ("--watch-timeout", args.watch_timeout),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            bail!("{name} must be a non-negative number of seconds");
        }
    }
    let options = CheckOptions {
        dir: LiveDir(args.dir.clone()),
        restore_to: args.restore_to.as_deref().map(parse_instant).transpose()?,
        recovered: match &args.recovered {
            Some(text) => parse_recovered_pairs(text)?,
            None => Default::default(),
        },
        recovered_file: args.recovered_file.clone(),
        targets: Targets {
            rpo_seconds: args.rpo,
            rto_seconds: args.rto,
        },
    };
    if args.print_restore_point {
        return match firedrill::live::check::restore_point(&options).await? {
            Some(t) => {
                println!("{}", t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
                Ok(ExitCode::SUCCESS)
            }
            None => bail!("no destructive act found yet in the audit trail or the statement log"),
        };
    }
    let checked = if args.watch {
        let seconds = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v).with_context(|| format!("{name} {v} is out of range"))
        };
        let w = WatchOptions {
            interval: seconds("--interval", args.interval)?,
            terminal: std::io::stdout().is_terminal(),
            timeout: if args.watch_timeout > 0.0 {
                Some(seconds("--watch-timeout", args.watch_timeout)?)
            } else {
                None
            },
        };
        watch(&options, w).await?
    } else {
        check_once(&options, false).await?
    };
    let dir = args.report.clone().unwrap_or_else(|| options.dir.reports());
    let written = write_reports(&checked.report, &dir)?;
    if args.json {
        println!("{}", checked.report.to_json());
    } else {
        print!("{}", to_text(&checked));
        println!("reports (JSON, Markdown, HTML) in {}", dir.display());
    }
    tracing::debug!(report = %written.display(), "written");
    Ok(if checked.report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
