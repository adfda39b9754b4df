//! Command-line interface: `serve`, `admin`, and the drill commands.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use firedrill_emulator::{AdminClient, Emulator, Fidelity, OutageMode};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

/// Prove that AWS backups restore, locally, before the day they are needed.
#[derive(Debug, Parser)]
#[command(name = "firedrill", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the emulator standalone for any AWS client (CLI, boto3, Terraform).
    Serve(ServeArgs),
    /// Talk to a running emulator's admin API.
    Admin(AdminArgs),
    /// List, show or validate scenario files.
    Scenarios(ScenariosArgs),
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
    /// The account id resources belong to.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
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

/// Parses the command line and runs it.
pub async fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin(args) => admin(args).await,
        Command::Scenarios(args) => scenarios(args),
    }
}

/// A scenario named on the command line: a path, or a file stem in ./scenarios.
fn scenario_path(name: &str) -> PathBuf {
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
    let mut builder = Emulator::builder()
        .bind(SocketAddr::new(args.host, args.port))
        .regions(args.regions.clone())
        .account_id(args.account_id)
        .fidelity(args.fidelity)
        .outage_mode(args.outage_mode)
        .region_endpoints(args.region_endpoints);
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
    let emulator = builder.start().await?;
    println!("firedrill emulator listening on {}", emulator.endpoint());
    println!("regions: {}", args.regions.join(", "));
    for region in &args.regions {
        if let Some(endpoint) = emulator.region_endpoint(region) {
            println!("region {region} alone: {endpoint}");
        }
    }
    println!("export AWS_ENDPOINT_URL={}", emulator.endpoint());
    println!(
        "admin API: {}/_firedrill/health (Ctrl-C stops and cleans up)",
        emulator.endpoint()
    );
    wait_for_stop_signal().await?;
    eprintln!("firedrill: stopping (PostgreSQL servers and temporary files are being removed)");
    emulator.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM.
async fn wait_for_stop_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("could not listen for SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("could not listen for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
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
