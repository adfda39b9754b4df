//! `cargo xtask`: the project's tasks, one `match` over subcommands.
//!
//! It needs nothing but cargo and the standard library, so that it builds in
//! seconds on a fresh machine; everything heavy runs in the crates it calls.
//!
//! | task | does |
//! |---|---|
//! | `drill [ARGS]` | the main job: `firedrill drill` on the embedded emulator |
//! | `test [--deep] [ARGS]` | the whole workspace's tests through cargo-nextest (or `cargo test`) |
//! | `deps [drill\|test]` | only checks and installs what `drill` or `test` needs |
//! | `bench [ARGS]` | benchmarks in release mode, JSON out (`firedrill-bench --help`) |
//! | `up [--port N] [--store sessions=elasticache,orders=mysql] [--traffic [--speed X]] [--target containers]` | a seeded store in the background: the emulator, or LocalStack and PostgreSQL through compose; `--store` keeps sessions (and carts) in ElastiCache; `--traffic` keeps the shop's traffic running and prints destructive one-liners to try (`firedrill check` judges the recovery) |
//! | `seed [--endpoint URL] [--store sessions=elasticache]` | seeds the store into a running emulator |
//! | `down [--target containers]` | stops what `up` started |
//! | `ci` | what CI runs: format check, clippy, tests |
//! | `moto` | the fidelity matrix against moto's server, when installed |
//!
//! `drill` and `test` first make sure the machine has what they need
//! ([`prereqs`]): on a fresh Debian machine with only Rust they install it
//! (as root or with passwordless sudo), elsewhere they say what to install.
//! `up --target containers` lives in [`containers`].

mod containers;
mod prereqs;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let task = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    let outcome = match task.as_str() {
        "drill" => drill(&rest),
        "test" => test(&rest),
        "deps" => deps(&rest),
        "bench" => bench(&rest),
        "up" => up(&rest),
        "seed" => seed(&rest),
        "down" => down(&rest),
        "ci" => ci(),
        "moto" => moto(),
        "fuzz" => fuzz(&rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown task {other:?}\n\n{HELP}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = "\
cargo xtask <task>

  drill [ARGS]        run the disaster drill on the embedded emulator (firedrill drill ARGS)
  test [--deep] [ARGS]
                      run every test in the workspace (cargo-nextest when installed);
                      --deep runs many more property-test cases
  deps [drill|test]   only check for (and install) what drill or test needs
  bench [ARGS]        run the benchmarks in release mode and print JSON
                      (e.g. --out bench.json, --vs http://127.0.0.1:5000)
  up [--port N]       start `firedrill serve` in the background and seed the store
  up --store sessions=elasticache[,carts=elasticache][,orders=mysql]
                      the same, with sessions (and carts) in an ElastiCache
                      replication group (a real redis-server) instead of DynamoDB,
                      and the orders in RDS for MySQL (a MariaDB server) with
                      orders=mysql or orders=mariadb
  up --traffic [--speed X]
                      the same, with the shop's traffic kept running and recorded
                      (target/firedrill-up/live); prints destructive one-liners to
                      try, then judge the recovery with `firedrill check --dir ...`
  up --target containers
                      start LocalStack and PostgreSQL (compose/docker-compose.yml)
                      and seed the store (needs a Docker engine)
  seed [--endpoint URL] [--store sessions=elasticache]
                      seed the store into a running emulator
  down [--target containers]
                      stop what `up` started

drill and test install what a fresh Debian machine lacks (PostgreSQL; for test
also the AWS CLI, boto3, jq, the Node examples' packages, Chromium, xmllint) when
run as root or with passwordless sudo, saying what and why first; elsewhere,
or with FIREDRILL_NO_INSTALL=1, they list what is missing and stop.
  ci                  format check, clippy, then the tests (what CI runs)
  moto                the fidelity matrix against moto's server (pip install 'moto[server]')
  fuzz [--minutes N | --execs N] [--target NAME] [--debug]
                      fuzz the wire decoders and the expression parser (not in CI)
";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(root());
    cmd
}

fn run(mut cmd: Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| format!("could not run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn drill(args: &[String]) -> Result {
    // Only the embedded emulator runs PostgreSQL here.
    if flag_value(args, "--target").is_none_or(|t| t == "embedded") {
        prereqs::ensure(prereqs::Task::Drill, &root())?;
    }
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "--package",
        "firedrill",
        "--bin",
        "firedrill",
        "--",
        "drill",
    ]);
    cmd.args(args);
    run(cmd)
}

fn test(args: &[String]) -> Result {
    let deep = args.iter().any(|a| a == "--deep");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--deep").collect();
    prereqs::ensure(prereqs::Task::Test, &root())?;
    let mut cmd = cargo();
    if has_nextest() {
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        println!(
            "xtask: cargo-nextest is not installed; falling back to `cargo test` (install it with `cargo install cargo-nextest`)"
        );
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
    }
    cmd.args(rest);
    if deep {
        cmd.env(
            "PROPTEST_CASES",
            env::var("PROPTEST_CASES").unwrap_or_else(|_| "512".to_owned()),
        );
        cmd.env("FIREDRILL_DEEP", "1");
    }
    run(cmd)
}

fn deps(args: &[String]) -> Result {
    let task = match args.first().map(String::as_str) {
        None | Some("test") => prereqs::Task::Test,
        Some("drill") => prereqs::Task::Drill,
        Some(other) => return Err(format!("deps {other:?}: expected `drill` or `test`")),
    };
    prereqs::ensure(task, &root())
}

/// Whether `--target containers` was given; any other target is refused.
fn containers_target(args: &[String]) -> Result<bool> {
    match flag_value(args, "--target").as_deref() {
        None | Some("embedded") => Ok(false),
        Some("containers") => Ok(true),
        Some(other) => Err(format!(
            "--target {other:?}: expected `containers` (or none, for the embedded emulator)"
        )),
    }
}

fn bench(args: &[String]) -> Result {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "firedrill-bench",
        "--",
    ]);
    cmd.args(args);
    run(cmd)
}

fn state_dir() -> PathBuf {
    root().join("target").join("firedrill-up")
}

fn build_firedrill() -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["build", "--quiet", "--package", "firedrill", "--bin", "firedrill"]);
    run(cmd)?;
    let target = env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
    Ok(target.join("debug").join("firedrill"))
}

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

fn up(args: &[String]) -> Result {
    if containers_target(args)? {
        // Check the engine before spending a build on firedrill.
        containers::check_engine()?;
        return containers::up(&root(), &build_firedrill()?);
    }
    let port = flag_value(args, "--port").unwrap_or_else(|| "4566".to_owned());
    let firedrill = build_firedrill()?;
    let dir = state_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    let pid_file = dir.join("serve.pid");
    if pid_file.exists() {
        return Err(format!(
            "an emulator started by `cargo xtask up` may still run (pid file {}); run `cargo xtask down` first",
            pid_file.display()
        ));
    }
    // Whatever answers on a taken port is not the emulator about to start.
    if std::net::TcpListener::bind((
        "127.0.0.1",
        port.parse::<u16>().map_err(|e| format!("--port {port}: {e}"))?,
    ))
    .is_err()
    {
        return Err(format!(
            "port {port} is in use (another emulator?): stop it, or pick another with --port"
        ));
    }
    let log = std::fs::File::create(dir.join("serve.log")).map_err(|e| e.to_string())?;
    let mut child = Command::new(&firedrill)
        .args(["serve", "--port", &port, "--simulated-clock"])
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", firedrill.display()))?;
    std::fs::write(&pid_file, child.id().to_string()).map_err(|e| e.to_string())?;
    let endpoint = format!("http://127.0.0.1:{port}");
    if let Err(e) = wait_for_health(&firedrill, &endpoint, &mut child) {
        let _ = std::fs::remove_file(&pid_file);
        return Err(e);
    }
    let store = flag_value(args, "--store");
    if args.iter().any(|a| a == "--traffic") {
        live_up(&firedrill, &endpoint, args)?;
    } else {
        seed_into(&firedrill, &endpoint, store.as_deref())?;
    }
    println!(
        "firedrill is up (pid {}, log {}).",
        child.id(),
        dir.join("serve.log").display()
    );
    println!("export AWS_ENDPOINT_URL={endpoint}");
    println!("export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1");
    println!("Stop it with `cargo xtask down`.");
    Ok(())
}

/// Waits until the emulator `serve` started answers. A server that exited
/// (say, its port was taken) fails at once: whatever answers on the port
/// then is not the one started.
fn wait_for_health(firedrill: &Path, endpoint: &str, serve: &mut std::process::Child) -> Result {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = serve.try_wait() {
            let log = state_dir().join("serve.log");
            let last = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!(
                "firedrill serve exited ({status}): {}",
                last.lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("see target/firedrill-up/serve.log")
            ));
        }
        let ok = Command::new(firedrill)
            .args(["admin", "--endpoint", endpoint, "health"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "the emulator did not answer at {endpoint} within 30 s; see target/firedrill-up/serve.log"
    ))
}

/// `up --traffic [--speed X]`: `firedrill up --traffic --detach` against the
/// emulator just started, its files in target/firedrill-up/live; it prints
/// the destructive one-liners to try.
fn live_up(firedrill: &Path, endpoint: &str, args: &[String]) -> Result {
    let mut cmd = Command::new(firedrill);
    cmd.args(["up", "--traffic", "--detach", "--endpoint", endpoint, "--dir"]);
    cmd.arg(state_dir().join("live"));
    if let Some(speed) = flag_value(args, "--speed") {
        cmd.args(["--speed", &speed]);
    }
    if let Some(store) = flag_value(args, "--store") {
        cmd.args(["--store", &store]);
    }
    run(cmd)
}

/// `firedrill seed`; `store` is `--store` (`sessions=elasticache`).
fn seed_into(firedrill: &Path, endpoint: &str, store: Option<&str>) -> Result {
    let mut cmd = Command::new(firedrill);
    cmd.args(["seed", "--endpoint", endpoint]);
    if let Some(store) = store {
        cmd.args(["--store", store]);
    }
    run(cmd)
}

fn seed(args: &[String]) -> Result {
    let endpoint = flag_value(args, "--endpoint").unwrap_or_else(|| "http://127.0.0.1:4566".to_owned());
    let firedrill = build_firedrill()?;
    seed_into(&firedrill, &endpoint, flag_value(args, "--store").as_deref())
}

fn down(args: &[String]) -> Result {
    if containers_target(args)? {
        return containers::down(&root());
    }
    let live = state_dir().join("live");
    if live.join("up.pid").exists() {
        // The traffic first, while the emulator still answers.
        let mut stop = Command::new(build_firedrill()?);
        stop.args(["down", "--dir"]).arg(&live);
        run(stop)?;
    }
    let pid_file = state_dir().join("serve.pid");
    let pid = std::fs::read_to_string(&pid_file)
        .map_err(|_| "nothing to stop: `cargo xtask up` has not started an emulator".to_owned())?;
    let pid = pid.trim();
    // SIGINT lets `firedrill serve` stop its PostgreSQL servers and remove its files.
    let mut kill = Command::new("kill");
    kill.args(["-INT", pid]);
    let sent = run(kill);
    let _ = std::fs::remove_file(&pid_file);
    sent?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && Path::new(&format!("/proc/{pid}")).exists() {
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("stopped the emulator (pid {pid})");
    Ok(())
}

fn moto() -> Result {
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--package",
        "firedrill",
        "--test",
        "matrix_moto",
        "--",
        "--nocapture",
    ]);
    run(cmd)
}

fn ci() -> Result {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    run(clippy)?;
    test(&[])
}

/// `fuzz [--minutes N] [--target NAME] [--debug] [ARGS]`: the decoders'
/// fuzzer (`fuzz/README.md`), in release mode unless `--debug`; other
/// arguments go to `firedrill-fuzz` (`--seconds`, `--execs`, `--seed`, `--slice`).
/// PostgreSQL and MariaDB are hidden from it so that RDS creations fail
/// after their validation instead of starting servers.
fn fuzz(args: &[String]) -> Result {
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "--package", "firedrill-fuzz"]);
    if !args.iter().any(|a| a == "--debug") {
        cmd.arg("--release");
    }
    cmd.arg("--").args(args.iter().filter(|a| *a != "--debug"));
    cmd.env("FIREDRILL_PG_BIN", "/nonexistent/firedrill-fuzz-hides-postgres");
    cmd.env(
        "FIREDRILL_MARIADB_BIN",
        "/nonexistent/firedrill-fuzz-hides-mariadb",
    );
    run(cmd)
}
