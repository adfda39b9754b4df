//! The `firedrill` command: serve the emulator, run drills, manage scenarios.
//! All behaviour lives in the library and the emulator crates; this file only
//! sets up logging and hands the parsed command line to [`cli`]. Logs go to
//! stderr, coloured only when stderr is a terminal: a log file or a CI pipe
//! gets plain text.

mod cli;
mod live_cli;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIREDRILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(cli.default_log_filter()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("firedrill: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("firedrill: {e:#}");
            ExitCode::FAILURE
        }
    }
}
