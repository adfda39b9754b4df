//! `firedrill-bench` (run through `cargo xtask bench`): measures the emulator
//! and prints one JSON document. Figures are medians over several rounds;
//! comparisons against another endpoint (`--vs URL`) are ratios.
//!
//! Each benchmark is a function in a module named after what it measures;
//! `--only` picks some by name prefix.

mod dynamodb;
mod elasticache;
mod harness;
mod measure;
mod rds;
mod s3;
mod start;

use clap::Parser;
use measure::BenchResult;
use serde::Serialize;

/// Benchmarks of the firedrill emulator.
#[derive(Debug, Parser)]
struct Args {
    /// Run only benchmarks whose name starts with one of these (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Also run the client load against this endpoint (e.g. moto's server) and report ratios.
    #[arg(long)]
    vs: Option<String>,
    /// The throughput ratio over `--vs` to hold as a goal (20 against moto's server).
    #[arg(long, requires = "vs")]
    vs_min_ratio: Option<f64>,
    /// Write the JSON here as well as to stdout.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Smaller workloads (for a quick look; the goals are stated for the full size).
    #[arg(long)]
    quick: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    firedrill_version: &'static str,
    profile: &'static str,
    quick: bool,
    cores: usize,
    results: Vec<BenchResult>,
}

fn selected(args: &Args, name: &str) -> bool {
    args.only.is_empty() || args.only.iter().any(|p| name.starts_with(p.as_str()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut results = Vec::new();
    let scale = if args.quick { 10 } else { 1 };
    if selected(&args, "emulator_start") {
        results.push(start::emulator_start().await?);
    }
    if selected(&args, "dynamodb") {
        results.extend(dynamodb::throughput(args.vs.as_deref(), args.vs_min_ratio, scale).await?);
        results.push(dynamodb::pitr_restore(scale).await?);
    }
    if selected(&args, "s3") {
        results.extend(s3::throughput(scale).await?);
        results.push(s3::list_object_versions(scale).await?);
    }
    if selected(&args, "rds") {
        results.extend(rds::create_and_restore(scale).await?);
    }
    if selected(&args, "elasticache") {
        results.extend(elasticache::create_and_restore(scale).await?);
    }
    if selected(&args, "harness") {
        results.push(harness::seeding(scale).await?);
        results.push(harness::scenario_set().await?);
    }
    let report = Report {
        firedrill_version: env!("CARGO_PKG_VERSION"),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        quick: args.quick,
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        results,
    };
    let json = serde_json::to_string_pretty(&report)?;
    println!("{json}");
    if let Some(path) = args.out {
        std::fs::write(&path, &json)?;
    }
    Ok(())
}
