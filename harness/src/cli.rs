//! Command-line interface: `serve`, `admin`, the drill commands and `audit`.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use firedrill_emulator::{AccountConfig, AdminClient, Emulator, Fidelity, OutageMode, TransportLimits};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Prove that AWS backups restore, locally, before the day they are needed.
#[derive(Debug, Parser)]
#[command(name = "firedrill", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// The log filter when `FIREDRILL_LOG` is unset. `serve` logs what the
    /// emulator does (it is a server's only output); the drill commands print
    /// reports, so only warnings and the drill's own phases go to stderr.
    pub fn default_log_filter(&self) -> &'static str {
        match self.command {
            Command::Serve(_) => "warn,firedrill=info",
            _ => "warn,firedrill::drill=info",
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the emulator standalone for any AWS client (CLI, boto3, Terraform).
    Serve(ServeArgs),
    /// Talk to a running emulator's admin API.
    Admin(AdminArgs),
    /// List, show or validate scenario files.
    Scenarios(ScenariosArgs),
    /// Run disaster drills: provision, traffic, fault, recovery, check, report.
    Drill(DrillArgs),
    /// Provision the shop under the four-layer policy and seed an hour of traffic.
    Seed(SeedArgs),
    /// Probe which recovery guarantees a target honours (table or JSON).
    Matrix(MatrixArgs),
    /// Audit a target's backup configuration (read-only): findings and RPO per layer.
    Audit(firedrill::audit::AuditArgs),
    /// Fit the restore-time model to a target's AWS Backup restore and copy
    /// jobs (read-only) and write a timings file for `drill --timings`.
    Calibrate(CalibrateArgs),
    /// Start the shop (and an emulator) to break by hand, its traffic recorded.
    Up(crate::live_cli::UpArgs),
    /// Judge the live store after `up` against its recorded history.
    Check(crate::live_cli::CheckArgs),
    /// Stop a `firedrill up --detach`.
    Down(crate::live_cli::DownArgs),
}

/// Where `firedrill calibrate` reads job history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CalibrateTarget {
    /// Any AWS-compatible endpoint (--endpoint or AWS_ENDPOINT_URL).
    Endpoint,
    /// A real AWS account through the default credential chain (the
    /// account must be allowlisted, as for every firedrill run on AWS).
    Aws,
}

#[derive(Debug, clap::Args)]
struct CalibrateArgs {
    /// Where the job history is.
    #[arg(long, value_enum, default_value = "endpoint")]
    target: CalibrateTarget,
    /// The endpoint for `--target endpoint`.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint: Option<String>,
    /// Regions to read (default: the target's primary and secondary).
    #[arg(long, value_delimiter = ',')]
    regions: Vec<String>,
    /// Accounts firedrill may run against on AWS; also read from
    /// FIREDRILL_AWS_ACCOUNT_ALLOWLIST.
    #[arg(long = "allow-account")]
    allow_accounts: Vec<String>,
    /// Where to write the timings file (JSON).
    #[arg(long, default_value = "timings.json")]
    out: PathBuf,
}

/// Where the fidelity matrix runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MatrixTarget {
    /// The firedrill emulator in this process.
    Embedded,
    /// Any AWS-compatible endpoint (--endpoint or AWS_ENDPOINT_URL).
    Endpoint,
    /// LocalStack and PostgreSQL containers (needs a Docker engine).
    Containers,
    /// A real AWS account through the default credential chain.
    Aws,
}

#[derive(Debug, clap::Args)]
struct MatrixArgs {
    /// The target to probe.
    #[arg(long, value_enum, default_value = "embedded")]
    target: MatrixTarget,
    /// The endpoint for `--target endpoint`.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint: Option<String>,
    /// Accounts the probes may create and delete resources in (real AWS or a
    /// non-loopback endpoint); also read from FIREDRILL_AWS_ACCOUNT_ALLOWLIST.
    #[arg(long = "allow-account")]
    allow_accounts: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Which target a drill runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TargetKind {
    /// The firedrill emulator in this process (default).
    Embedded,
    /// Any AWS-compatible endpoint (--endpoint or AWS_ENDPOINT_URL).
    Endpoint,
    /// LocalStack and PostgreSQL containers (needs a Docker engine).
    Containers,
    /// A real AWS account through the default credential chain (behind the
    /// destructive-action interlock: --allow-account).
    Aws,
}

#[derive(Debug, clap::Args)]
struct DrillArgs {
    /// Scenario files or names in ./scenarios (default: every shipped scenario).
    scenarios: Vec<String>,
    /// A scenario file or a name in ./scenarios, as a flag (repeatable; the
    /// same as naming it after `drill`).
    #[arg(long = "scenario", value_name = "NAME")]
    scenario: Vec<String>,
    /// Where AWS is.
    #[arg(long, value_enum, default_value = "embedded")]
    target: TargetKind,
    /// The endpoint for `--target endpoint`.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint: Option<String>,
    /// Write JSON, Markdown and HTML reports into this directory.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Override every scenario's workload seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the reports as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    /// After each drill, run an AWS Backup restore testing plan over the
    /// store's vault and validate every restore with the checker
    /// (PutRestoreValidationResult).
    #[arg(long)]
    restore_testing: bool,
    /// Scenarios played at once on the embedded target, each on its own
    /// emulator (default: the number of CPUs). Other targets play one at a
    /// time: they share one clock.
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// The team's recovery command, replacing the scenarios' recovery steps;
    /// split into words as a shell would, run without one, in the current
    /// directory. Repeat it for several steps, run in order.
    #[arg(long = "recovery-cmd", value_name = "COMMAND")]
    recovery_cmds: Vec<String>,
    /// The team's backup configuration command, run after firedrill creates
    /// the store's resources under the scenario's policy (its base).
    #[arg(long = "policy-cmd", value_name = "COMMAND")]
    policy_cmd: Option<String>,
    /// Accounts a drill may create and delete resources in (the aws target,
    /// or a non-loopback endpoint); also read from FIREDRILL_AWS_ACCOUNT_ALLOWLIST.
    #[arg(long = "allow-account")]
    allow_accounts: Vec<String>,
    /// Also write the results as JUnit XML to this file (one test case per
    /// scenario), for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// The restore-time model on the embedded target, replacing every
    /// scenario's `[timings]`: `fast` (short fixed delays), `aws` (AWS's
    /// restore times from public sources), or a timings file (as
    /// `firedrill calibrate` writes; implies `aws`).
    #[arg(long, value_name = "fast|aws|FILE")]
    timings: Option<String>,
}

#[derive(Debug, clap::Args)]
struct SeedArgs {
    /// The emulator's endpoint.
    #[arg(long, env = "AWS_ENDPOINT_URL", default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    /// Stack prefix of the seeded store.
    #[arg(long, default_value = "shop")]
    prefix: String,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where sessions and carts live: `sessions=elasticache[,carts=elasticache]`
    /// (default: DynamoDB), and the orders engine: `orders=mysql` (or `mariadb`).
    #[arg(long, value_name = "KEY=VALUE,...")]
    store: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ScenariosArgs {
    #[command(subcommand)]
    action: ScenariosAction,
}

#[derive(Debug, Subcommand)]
enum ScenariosAction {
    /// One line per scenario in DIR (default: ./scenarios).
    List {
        /// The scenario directory.
        #[arg(default_value = "scenarios")]
        dir: PathBuf,
    },
    /// A scenario as firedrill reads it, with defaults filled in.
    Show {
        /// A scenario file, or a name in ./scenarios.
        scenario: String,
    },
    /// Checks scenario files; errors name the file, line and field.
    Validate {
        /// Files or directories (default: ./scenarios).
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4566)]
    port: u16,
    /// Regions to serve, comma-separated; the first is the default.
    #[arg(long, value_delimiter = ',', default_value = "us-east-1,us-west-2")]
    regions: Vec<String>,
    /// The default account: unsigned requests and every access key not
    /// mapped by --accounts act in it.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// More accounts, comma-separated `name=ACCOUNT_ID:ACCESS_KEY_ID[:SECRET]`
    /// (for example `prod=111111111111:AKIAPROD...,backup=222222222222:AKIABACKUP...`):
    /// requests signed with that key act in that account. The secret is
    /// checked in strict mode (--access-key-id).
    #[arg(long, value_name = "LIST", value_parser = parse_accounts)]
    accounts: Option<AccountList>,
    /// Timing preset: `fast` (short delays) or `aws` (AWS's own lags).
    #[arg(long, default_value = "fast")]
    fidelity: Fidelity,
    /// Use a simulated clock, starting now or at the given RFC 3339 instant;
    /// advance it with `POST /_firedrill/clock/advance`.
    #[arg(long, num_args = 0..=1, default_missing_value = "now")]
    simulated_clock: Option<String>,
    /// Keep state in this directory (kept after exit) instead of a temporary one.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Verify SigV4 signatures: only this access key (with --secret-access-key) is accepted.
    #[arg(long, requires = "secret_access_key")]
    access_key_id: Option<String>,
    /// The secret for --access-key-id.
    #[arg(long, requires = "access_key_id")]
    secret_access_key: Option<String>,
    /// What a region outage looks like: `service-unavailable` (503s) or `connection-refused`.
    #[arg(long, default_value = "service-unavailable", value_parser = parse_outage_mode)]
    outage_mode: OutageMode,
    /// Also listen on one port per region (implied by `--outage-mode connection-refused`).
    #[arg(long)]
    region_endpoints: bool,
    /// Seconds a client may take to send a request line and headers, from
    /// their first byte; past it the connection is closed (default 20).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    header_read_timeout: Option<Duration>,
    /// Seconds a request body may go without a byte; past it the request is
    /// answered with the protocol's RequestTimeout error (default 20).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    body_idle_timeout: Option<Duration>,
    /// Seconds a connection may stay open with no request in flight (default 60).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    keep_alive_timeout: Option<Duration>,
    /// Connections served at once; one beyond takes an idle one's place or
    /// waits, and is answered 503 if none frees (default 1024).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// The largest request line plus headers accepted, in bytes (default 16384).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1..))]
    max_header_bytes: Option<u32>,
}

impl ServeArgs {
    /// The front end's limits: the defaults, with the flags given applied.
    fn transport_limits(&self) -> TransportLimits {
        let mut limits = TransportLimits::default();
        if let Some(t) = self.header_read_timeout {
            limits.header_read_timeout = t;
        }
        if let Some(t) = self.body_idle_timeout {
            limits.body_idle_timeout = t;
        }
        if let Some(t) = self.keep_alive_timeout {
            limits.keep_alive_timeout = t;
        }
        if let Some(n) = self.max_connections {
            limits.max_connections = n as usize;
        }
        if let Some(n) = self.max_header_bytes {
            limits.max_header_bytes = n as usize;
        }
        limits
    }
}

/// A positive number of seconds, fractions allowed.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// The accounts of `--accounts`.
#[derive(Debug, Clone)]
struct AccountList(Vec<AccountConfig>);

fn parse_accounts(s: &str) -> Result<AccountList, String> {
    firedrill_emulator::parse_accounts(s)
        .map(AccountList)
        .map_err(|e| e.to_string())
}

fn parse_outage_mode(s: &str) -> Result<OutageMode, String> {
    match s {
        "service-unavailable" => Ok(OutageMode::ServiceUnavailable),
        "connection-refused" => Ok(OutageMode::ConnectionRefused),
        other => Err(format!(
            "unknown outage mode {other:?}; expected service-unavailable or connection-refused"
        )),
    }
}

#[derive(Debug, clap::Args)]
struct AdminArgs {
    /// The emulator's endpoint.
    #[arg(long, env = "AWS_ENDPOINT_URL", default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    #[command(subcommand)]
    action: AdminAction,
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// Version, regions, services and outages.
    Health,
    /// The emulator clock.
    Clock,
    /// Advance a simulated clock by SECONDS.
    Advance {
        /// Seconds to move forward.
        seconds: f64,
    },
    /// Start or end a region outage.
    Outage {
        /// The region.
        region: String,
        /// `on` starts the outage, `off` ends it.
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Forget all state.
    Reset,
    /// The audit trail of backup and restore operations.
    Audit,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin(args) => admin(args).await,
        Command::Scenarios(args) => scenarios(args),
        Command::Drill(args) => drill(args).await,
        Command::Seed(args) => seed(args).await,
        Command::Matrix(args) => matrix(args).await,
        Command::Calibrate(args) => calibrate(args).await,
        Command::Audit(args) => firedrill::audit::command::run(args).await,
        Command::Up(args) => {
            let mut stop = StopSignals::listen()?;
            crate::live_cli::up(args, async move { stop.wait().await }).await
        }
        Command::Check(args) => {
            let mut stop = StopSignals::listen()?;
            tokio::select! {
                code = crate::live_cli::check(args) => code,
                _ = stop.wait() => Ok(ExitCode::from(130)),
            }
        }
        Command::Down(args) => crate::live_cli::down(args),
    }
}

async fn matrix(args: MatrixArgs) -> Result<ExitCode> {
    use firedrill::matrix::run_matrix;
    use firedrill::stack::{
        AwsOptions, AwsTarget, ContainersOptions, ContainersTarget, EmbeddedOptions, EmbeddedTarget,
        allowlist_from_env,
    };
    let mut allowlist = args.allow_accounts.clone();
    allowlist.extend(allowlist_from_env());
    let report = match args.target {
        MatrixTarget::Embedded => {
            let target = EmbeddedTarget::start(EmbeddedOptions::default()).await?;
            let report = run_matrix(&target).await;
            target.shutdown().await;
            report
        }
        MatrixTarget::Endpoint => {
            // The probes create and delete resources: only on loopback or an allowlisted account.
            let target = authorized_endpoint(args.endpoint.as_deref(), &allowlist).await?;
            run_matrix(&target).await
        }
        MatrixTarget::Containers => {
            let target = ContainersTarget::start(ContainersOptions::default()).await?;
            let report = target.run_matrix().await;
            target.shutdown().await;
            report
        }
        MatrixTarget::Aws => {
            let target = AwsTarget::connect(AwsOptions {
                allowlist,
                ..AwsOptions::default()
            })
            .await?;
            target.run_matrix().await?
        }
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{}", report.to_table());
    }
    Ok(ExitCode::SUCCESS)
}

/// An endpoint target, once the destructive-action interlock allows it:
/// loopback, or an account (FIREDRILL_ENDPOINT_ACCOUNT_ID) in the allowlist.
async fn authorized_endpoint(
    endpoint: Option<&str>,
    allowlist: &[String],
) -> Result<firedrill::stack::EndpointTarget> {
    use firedrill::stack::{EndpointTarget, TargetKind, authorize_destructive};
    let endpoint = endpoint.context("--target endpoint needs --endpoint URL (or AWS_ENDPOINT_URL)")?;
    let account =
        std::env::var("FIREDRILL_ENDPOINT_ACCOUNT_ID").unwrap_or_else(|_| "000000000000".to_owned());
    authorize_destructive(TargetKind::Endpoint, Some(endpoint), &account, allowlist)?;
    EndpointTarget::connect(endpoint, "us-east-1", Some("us-west-2")).await
}

async fn calibrate(args: CalibrateArgs) -> Result<ExitCode> {
    use firedrill::stack::{AwsOptions, AwsTarget, EndpointTarget, allowlist_from_env};
    let mut allowlist = args.allow_accounts.clone();
    allowlist.extend(allowlist_from_env());
    let (target, account): (Box<dyn firedrill::Target>, String) = match args.target {
        // Reading job lists changes nothing: any endpoint will do.
        CalibrateTarget::Endpoint => {
            let endpoint = args
                .endpoint
                .as_deref()
                .context("--target endpoint needs --endpoint URL (or AWS_ENDPOINT_URL)")?;
            let account =
                std::env::var("FIREDRILL_ENDPOINT_ACCOUNT_ID").unwrap_or_else(|_| "000000000000".to_owned());
            let target = EndpointTarget::connect(endpoint, "us-east-1", Some("us-west-2")).await?;
            (Box::new(target), account)
        }
        CalibrateTarget::Aws => {
            let target = AwsTarget::connect(AwsOptions {
                allowlist,
                ..AwsOptions::default()
            })
            .await?;
            target.authorize(
                "calibrate (read-only: ListRestoreJobs, ListCopyJobs, DescribeEvents, DescribeDBInstances, DescribeDBSnapshots)",
                &[],
            )?;
            let account = target.account_id().to_owned();
            (Box::new(target), account)
        }
    };
    let regions = if args.regions.is_empty() {
        std::iter::once(target.primary_region().to_owned())
            .chain(target.secondary_region().map(str::to_owned))
            .collect()
    } else {
        args.regions.clone()
    };
    let samples = firedrill::calibrate::collect(target.as_ref(), &regions).await?;
    let name = firedrill::calibrate::model_name(&account, chrono::Utc::now());
    let operations = firedrill::calibrate::fit(&samples, &account);
    let file = firedrill::timings::TimingsFile::Named {
        name: name.clone(),
        operations: operations.clone(),
    };
    let json = serde_json::to_string_pretty(&file)?;
    std::fs::write(&args.out, json + "\n").with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "{} completed jobs in {} fitted {} operation{} into {} ({name}); drill with --timings {}",
        samples.len(),
        regions.join(","),
        operations.len(),
        if operations.len() == 1 { "" } else { "s" },
        args.out.display(),
        args.out.display()
    );
    for (op, m) in &operations {
        println!(
            "  {op}: {:.0} s typical (band {:.0} to {:.0} s) + {:.1} s per GiB",
            m.fixed.typical.as_secs_f64(),
            m.fixed.low.as_secs_f64(),
            m.fixed.high.as_secs_f64(),
            m.per_gib.typical.as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The shipped scenarios: ./scenarios when run from the workspace, else the
/// directory this binary was built from.
fn shipped_scenarios_dir() -> PathBuf {
    let here = PathBuf::from("scenarios");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
}

async fn drill(args: DrillArgs) -> Result<ExitCode> {
    // Commands of the team's that are running when Ctrl-C arrives go with
    // firedrill, whatever they started.
    let mut stop = StopSignals::listen()?;
    tokio::select! {
        code = play_drills(args) => code,
        _ = stop.wait() => {
            firedrill::team::process::stop_all_running();
            eprintln!("firedrill: interrupted; the team's commands were stopped");
            Ok(ExitCode::from(130))
        }
    }
}

/// The scenarios named on the command line (default: the shipped ones),
/// with the team's commands from `--policy-cmd` / `--recovery-cmd` in place.
fn drill_scenarios(args: &DrillArgs) -> Result<Vec<firedrill::scenario::Scenario>> {
    use firedrill::recovery::RecoveryStep;
    use firedrill::scenario;
    use firedrill::team::CommandSpec;
    let mut scenarios = if args.scenarios.is_empty() && args.scenario.is_empty() {
        scenario::load_dir(&shipped_scenarios_dir())?
    } else {
        args.scenarios
            .iter()
            .chain(&args.scenario)
            .map(|name| scenario::load(&scenario_path(name)))
            .collect::<Result<Vec<_>, _>>()?
    };
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let recovery: Vec<RecoveryStep> = args
        .recovery_cmds
        .iter()
        .map(|c| CommandSpec::parse_line(c, cwd.clone()).map(RecoveryStep::Command))
        .collect::<Result<_>>()
        .context("--recovery-cmd")?;
    let policy = args
        .policy_cmd
        .as_deref()
        .map(|c| CommandSpec::parse_line(c, cwd.clone()))
        .transpose()
        .context("--policy-cmd")?;
    let timings = args.timings.as_deref().map(|v| {
        let mut t = firedrill::timings::TimingsSection::from_flag(v);
        t.file = t.file.map(|f| cwd.join(f));
        t
    });
    for s in &mut scenarios {
        if !recovery.is_empty() {
            s.recovery.step = recovery.clone();
        }
        if let Some(t) = &timings {
            s.timings = t.clone();
        }
        if let Some(p) = &policy {
            s.policy = s.policy.with_command(p.clone());
        }
    }
    Ok(scenarios)
}

/// A target every drill of one command line plays on (each embedded drill
/// starts an emulator of its own instead).
enum SharedTarget {
    Endpoint(Box<firedrill::stack::EndpointTarget>),
    Containers(Box<firedrill::stack::ContainersTarget>),
    Aws(firedrill::stack::AwsTarget),
}

impl SharedTarget {
    fn target(&self) -> &dyn firedrill::Target {
        match self {
            SharedTarget::Endpoint(t) => t.as_ref(),
            SharedTarget::Containers(t) => t.as_ref(),
            SharedTarget::Aws(t) => t,
        }
    }

    /// Removes what the target started (the containers).
    async fn shutdown(self) {
        if let SharedTarget::Containers(t) = self {
            t.shutdown().await;
        }
    }
}

/// The target of a drill other than the embedded one.
async fn shared_target(args: &DrillArgs) -> Result<Option<SharedTarget>> {
    use firedrill::stack::{AwsOptions, AwsTarget, ContainersOptions, ContainersTarget, allowlist_from_env};
    let mut allowlist = args.allow_accounts.clone();
    allowlist.extend(allowlist_from_env());
    Ok(match args.target {
        TargetKind::Embedded => None,
        TargetKind::Endpoint => {
            // A drill creates, breaks and restores: only on loopback or an allowlisted account.
            let target = authorized_endpoint(args.endpoint.as_deref(), &allowlist).await?;
            Some(SharedTarget::Endpoint(Box::new(target)))
        }
        TargetKind::Containers => Some(SharedTarget::Containers(Box::new(
            ContainersTarget::start(ContainersOptions::default()).await?,
        ))),
        TargetKind::Aws => {
            let target = AwsTarget::connect(AwsOptions {
                allowlist,
                ..AwsOptions::default()
            })
            .await?;
            target.authorize("drill (provision, fault, restore)", &[])?;
            Some(SharedTarget::Aws(target))
        }
    })
}

async fn play_drills(args: DrillArgs) -> Result<ExitCode> {
    use firedrill::drill::{DrillOptions, run};
    use firedrill::stack::EmbeddedTarget;
    use futures::StreamExt;

    let scenarios = drill_scenarios(&args)?;
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let jobs = match args.target {
        TargetKind::Embedded => args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, scenarios.len().max(1)),
        _ => 1,
    };
    let options = DrillOptions {
        seed: args.seed,
        // Bars of drills played at once would overwrite each other.
        progress: !args.quiet && !args.json && jobs == 1,
        restore_testing: args.restore_testing,
        ..DrillOptions::default()
    };
    let shared = shared_target(&args).await?;
    if !args.json && jobs > 1 {
        eprintln!("playing {} scenarios, {jobs} at a time", scenarios.len());
    }
    let json = args.json;
    let options = &options;
    let shared_ref = shared.as_ref().map(SharedTarget::target);
    let mut played = futures::stream::iter(&scenarios)
        .map(|scenario| async move {
            if !json {
                eprintln!("== {}: {}", scenario.name, scenario.description);
            }
            let report = match shared_ref {
                // Each scenario gets its own emulator: no state leaks between drills.
                None => EmbeddedTarget::play(scenario, options).await,
                Some(target) => run(target, scenario, options).await,
            };
            report.with_context(|| format!("drill {} could not run", scenario.name))
        })
        .buffered(jobs);
    let (mut passed, mut failed, mut unsupported) = (0, 0, 0);
    let mut reports = Vec::new();
    let mut junit = Vec::new();
    while let Some(report) = played.next().await {
        let report = report?;
        if let Some(dir) = &args.report {
            let base = dir.join(&report.scenario);
            std::fs::write(base.with_extension("json"), report.to_json())?;
            std::fs::write(base.with_extension("md"), report.to_markdown())?;
            std::fs::write(base.with_extension("html"), report.to_html())?;
        }
        if report.skipped.is_some() {
            unsupported += 1;
        } else if report.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
        if args.json {
            reports.push(serde_json::to_value(&report)?);
        } else {
            println!("{}", report.to_text());
        }
        if args.junit.is_some() {
            junit.push(report);
        }
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, firedrill::junit::to_junit(&junit))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    drop(played);
    if let Some(t) = shared {
        t.shutdown().await;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        if let Some(dir) = &args.report {
            println!("reports (JSON, Markdown, HTML) in {}", dir.display());
        }
        println!("{passed} passed, {failed} failed, {unsupported} unsupported on this target");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn seed(args: SeedArgs) -> Result<ExitCode> {
    use firedrill::history::History;
    use firedrill::model::StoreNames;
    use firedrill::policy::{Provisioner, SdkProvisioner, four_layer};
    use firedrill::stack::EndpointTarget;
    use firedrill::target::Target;
    use firedrill::wait::WaitOptions;
    use firedrill::workload::{ExecOptions, ExecStats, Executor, generate};

    let target = EndpointTarget::connect(&args.endpoint, "us-east-1", Some("us-west-2")).await?;
    let layout = match &args.store {
        Some(pairs) => firedrill::store::StoreSection::parse_pairs(pairs).context("--store")?,
        None => Default::default(),
    };
    let names = StoreNames::new(&args.prefix)?
        .with_cache(layout.cached())
        .with_orders_engine(layout.orders_engine);
    let policy = four_layer();
    let store = SdkProvisioner {
        wait: WaitOptions::default(),
    }
    .provision(&target, &policy, &names)
    .await
    .context("provisioning the shop")?;
    let spec = firedrill::live::traffic::shop_traffic(args.seed);
    let start = target.now();
    let plan = generate(&spec, start, chrono::Duration::hours(1));
    let mut history = History::new();
    let mut stats = ExecStats::default();
    let mut executor = Executor::new(&target, &store, ExecOptions::default());
    executor
        .run(&plan.seed, &[], None, &mut history, &mut stats)
        .await?;
    executor
        .run(&plan.ops, &[], None, &mut history, &mut stats)
        .await?;
    println!(
        "seeded store {:?} under policy {}: {} operations acknowledged, {} refused, {} indeterminate",
        names.prefix, policy.name, stats.ok, stats.fail, stats.info
    );
    let tables: Vec<String> = names
        .dynamodb_tables()
        .iter()
        .map(|(c, t)| format!(", {c} table {t}"))
        .collect();
    println!(
        "orders database: instance {} (database {}){}",
        names.db_instance,
        names.db_name,
        tables.concat()
    );
    if let (Some(cache), Some(endpoint)) = (&names.cache, &store.cache) {
        let held: Vec<String> = cache.collections.iter().map(|c| c.to_string()).collect();
        println!(
            "session store: ElastiCache replication group {} at {}:{} ({}): redis-cli -h {} -p {} FLUSHALL empties it",
            cache.replication_group,
            endpoint.address,
            endpoint.port,
            held.join(" and "),
            endpoint.address,
            endpoint.port
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A scenario named on the command line: a path, or a file stem in ./scenarios.
pub(crate) fn scenario_path(name: &str) -> PathBuf {
    let path = PathBuf::from(name);
    if path.exists() {
        return path;
    }
    PathBuf::from("scenarios").join(format!("{}.toml", name.trim_end_matches(".toml")))
}

fn scenarios(args: ScenariosArgs) -> Result<ExitCode> {
    use firedrill::scenario;
    match args.action {
        ScenariosAction::List { dir } => {
            for s in scenario::load_dir(&dir)? {
                let outcome = serde_json::to_value(s.expect.outcome)?;
                println!(
                    "{:<45} {:<11} {}",
                    s.name,
                    outcome.as_str().unwrap_or("?"),
                    s.description
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ScenariosAction::Show { scenario: name } => {
            let s = scenario::load(&scenario_path(&name))?;
            println!("{}", toml::to_string_pretty(&s)?);
            Ok(ExitCode::SUCCESS)
        }
        ScenariosAction::Validate { paths } => {
            let paths = if paths.is_empty() {
                vec![PathBuf::from("scenarios")]
            } else {
                paths
            };
            let mut files = Vec::new();
            for path in paths {
                if path.is_dir() {
                    let mut found: Vec<PathBuf> = std::fs::read_dir(&path)
                        .with_context(|| format!("cannot list {}", path.display()))?
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                        .collect();
                    found.sort();
                    files.extend(found);
                } else {
                    files.push(path);
                }
            }
            let mut bad = 0;
            for file in &files {
                match scenario::load(file) {
                    Ok(s) => println!("ok    {} ({})", file.display(), s.name),
                    Err(e) => {
                        bad += 1;
                        println!("error {e}");
                    }
                }
            }
            println!("{} valid, {bad} invalid", files.len() - bad);
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let limits = args.transport_limits();
    let mut builder = Emulator::builder()
        .bind(SocketAddr::new(args.host, args.port))
        .regions(args.regions.clone())
        .account_id(args.account_id)
        .accounts(args.accounts.clone().map(|a| a.0).unwrap_or_default())
        .fidelity(args.fidelity)
        .outage_mode(args.outage_mode)
        .region_endpoints(args.region_endpoints)
        .transport_limits(limits);
    if let Some(start) = args.simulated_clock.as_deref() {
        let start = if start == "now" {
            chrono::Utc::now()
        } else {
            start
                .parse()
                .with_context(|| format!("--simulated-clock {start:?} is not an RFC 3339 instant"))?
        };
        builder = builder.simulated_clock(start);
    }
    if let Some(dir) = args.data_dir {
        builder = builder.data_dir(dir);
    }
    if let (Some(key), Some(secret)) = (args.access_key_id, args.secret_access_key) {
        builder = builder.strict_credentials(key, secret);
    }
    let mut stop = StopSignals::listen()?;
    let emulator = builder.start().await?;
    announce(format_args!(
        "firedrill emulator listening on {}",
        emulator.endpoint()
    ));
    announce(format_args!("regions: {}", args.regions.join(", ")));
    if let Some(AccountList(accounts)) = &args.accounts {
        let named: Vec<String> = accounts
            .iter()
            .map(|a| format!("{} {} (key {})", a.name, a.account_id, a.access_key_id))
            .collect();
        announce(format_args!(
            "accounts: {} (default, any other key), {}",
            emulator.account_ids()[0],
            named.join(", ")
        ));
    }
    for region in &args.regions {
        if let Some(endpoint) = emulator.region_endpoint(region) {
            announce(format_args!("region {region} alone: {endpoint}"));
        }
    }
    announce(format_args!("export AWS_ENDPOINT_URL={}", emulator.endpoint()));
    announce(format_args!(
        "admin API: {}/_firedrill/health (Ctrl-C stops and cleans up)",
        emulator.endpoint()
    ));
    stop.wait().await;
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "firedrill: stopping (PostgreSQL servers and temporary files are being removed)"
        );
    }
    emulator.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Prints one line of `serve`'s banner. A server must outlive whoever read
/// its banner: when stdout is closed (a parent that stopped reading, a pipe
/// to `head`), the line is dropped instead of panicking the process.
fn announce(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// SIGINT (Ctrl-C) and SIGTERM, listened for from the moment this is made:
/// a signal that arrives before the wait begins (say, right after the banner)
/// still stops the server gracefully instead of killing it.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("could not listen for Ctrl-C")?,
            terminate: signal(SignalKind::terminate()).context("could not listen for SIGTERM")?,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

async fn admin(args: AdminArgs) -> Result<ExitCode> {
    let client = AdminClient::new(&args.endpoint);
    let value = match args.action {
        AdminAction::Health => serde_json::to_value(client.health().await?)?,
        AdminAction::Clock => serde_json::to_value(client.clock().await?)?,
        AdminAction::Advance { seconds } => {
            if !(seconds.is_finite() && seconds >= 0.0) {
                bail!("SECONDS must be a non-negative number");
            }
            serde_json::to_value(client.advance(seconds).await?)?
        }
        AdminAction::Outage { region, state } => {
            serde_json::to_value(client.set_outage(&region, state == "on").await?)?
        }
        AdminAction::Reset => {
            client.reset().await?;
            serde_json::json!({ "reset": true })
        }
        AdminAction::Audit => serde_json::to_value(client.audit().await?)?,
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(flags: &[&str]) -> Result<ServeArgs, clap::Error> {
        let argv = ["firedrill", "serve"].iter().chain(flags);
        match Cli::try_parse_from(argv)?.command {
            Command::Serve(args) => Ok(args),
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn serve_flags_set_the_transport_limits() {
        let limits = serve_args(&[
            "--header-read-timeout",
            "2.5",
            "--body-idle-timeout",
            "3",
            "--keep-alive-timeout",
            "75",
            "--max-connections",
            "10",
            "--max-header-bytes",
            "8192",
        ])
        .unwrap()
        .transport_limits();
        assert_eq!(
            limits,
            TransportLimits {
                header_read_timeout: Duration::from_millis(2500),
                body_idle_timeout: Duration::from_secs(3),
                keep_alive_timeout: Duration::from_secs(75),
                max_connections: 10,
                max_header_bytes: 8192,
            }
        );
        assert_eq!(
            serve_args(&[]).unwrap().transport_limits(),
            TransportLimits::default()
        );
    }

    #[test]
    fn serve_maps_access_keys_to_accounts() {
        let args = serve_args(&[
            "--accounts",
            "prod=111111111111:AKIAPRODEXAMPLE0001,backup=222222222222:AKIABACKUPEXAMPLE01:secret",
        ])
        .unwrap();
        let accounts = args.accounts.unwrap().0;
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].account_id, "111111111111");
        assert_eq!(accounts[1].secret_access_key.as_deref(), Some("secret"));
        assert!(serve_args(&[]).unwrap().accounts.is_none());
        for bad in [
            "prod=1111:AKIAPRODEXAMPLE0001",
            "prod",
            "a=111111111111:AKIAPRODEXAMPLE0001,a=222222222222:AKIABACKUPEXAMPLE01",
        ] {
            assert!(serve_args(&["--accounts", bad]).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn serve_refuses_zero_or_nonsense_limits() {
        for flags in [
            ["--header-read-timeout", "0"],
            ["--body-idle-timeout", "-1"],
            ["--keep-alive-timeout", "soon"],
            ["--max-connections", "0"],
            ["--max-header-bytes", "0"],
        ] {
            assert!(serve_args(&flags).is_err(), "{flags:?} was accepted");
        }
    }
}
