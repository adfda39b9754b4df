//! The team's own code under the drill: backup configuration and restore
//! runbooks written in any language, run as commands.
//!
//! A scenario names a command as an argv array (no shell), run in the
//! scenario file's directory with a timeout (default 15 minutes). Every
//! command gets the same environment ([`CommandEnv`]): the endpoint and
//! credentials of the target (`AWS_ENDPOINT_URL`, the per-service
//! `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ACCESS_KEY_ID`, ...), the regions,
//! `FIREDRILL_STORE` (a JSON file naming where the store lives now, see
//! [`contract::StoreFile`]) and, for recovery commands, `FIREDRILL_FAULT_AT`,
//! `FIREDRILL_RESTORE_TO` and `FIREDRILL_RECOVERED`: a file the command may
//! write to say where it put the data back ([`contract::Recovered`]). firedrill
//! re-points the store there, as the application would be re-pointed, after
//! checking that each named resource exists and is ready ([`repoint`]); the
//! checker then reads the store from there. It never knows whether a built-in
//! runbook or the team's command did the work.
//!
//! The team's own cron ([`cron`], `[[policy.cron]]`) runs commands on the
//! target's clock while the traffic runs, with `FIREDRILL_SCHEDULED_AT`.
//!
//! A command that cannot start, exits non-zero, times out or writes an invalid
//! `FIREDRILL_RECOVERED` fails its step, with its exit status and the last
//! lines of its standard error; nothing after it runs.
//!
//! On an emulated target (any endpoint) the inherited `AWS_*` variables are
//! removed and the AWS config and credentials files point at files of the
//! step's own, so a profile on the developer's machine can never send a
//! team's runbook to a real account. On the `aws` target the developer's
//! credential chain is passed through (the drill itself is behind the
//! destructive-action interlock there).

pub mod contract;
pub mod cron;
pub mod process;
pub mod repoint;

use crate::model::Store;
use crate::recovery::{OpenStep, RecoveryContext, Step, StepStatus};
use crate::scenario::Span;
use crate::target::Target;
use anyhow::{Context, anyhow};
use aws_credential_types::provider::ProvideCredentials;
use chrono::{DateTime, SecondsFormat, Utc};
use contract::{Recovered, StoreFile};
use process::{CommandOutput, CommandRun};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

/// The timeout of a command that names none.
pub const DEFAULT_TIMEOUT: StdDuration = StdDuration::from_secs(15 * 60);

/// The services whose `AWS_ENDPOINT_URL_<SERVICE>` variables are set.
const SERVICE_ENDPOINT_VARS: [&str; 6] = [
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_RDS",
    "AWS_ENDPOINT_URL_BACKUP",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_ELASTICACHE",
];

/// A command in a scenario: `command = ["python3", "restore.py"]`, with an
/// optional `timeout` and a `name` for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// Program and arguments, run without a shell.
    pub command: Vec<String>,
    /// Killed after this long (default 15m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Span>,
    /// A title for the report's checklist (default: the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The working directory; the scenario file's directory when unset
    /// (commands given on the command line run in the current directory).
    #[serde(skip)]
    pub dir: Option<PathBuf>,
}

impl CommandSpec {
    /// A command from a command-line string, split as a POSIX shell would
    /// split words (quotes and backslashes), then run without a shell.
    pub fn parse_line(line: &str, dir: PathBuf) -> anyhow::Result<Self> {
        let argv = shlex::split(line)
            .ok_or_else(|| anyhow!("cannot split {line:?} into words: unbalanced quotes"))?;
        let spec = Self {
            command: argv,
            timeout: None,
            name: None,
            dir: Some(dir),
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the command and its timeout; the message names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        match self.command.first() {
            None => anyhow::bail!("command must name a program: [\"python3\", \"restore.py\"]"),
            Some(p) if p.trim().is_empty() => anyhow::bail!("command: the program name is empty"),
            Some(_) => {}
        }
        if let Some(t) = self.timeout
            && t.0 <= chrono::Duration::zero()
        {
            anyhow::bail!("timeout must be positive");
        }
        Ok(())
    }

    /// The timeout in force.
    pub fn timeout(&self) -> StdDuration {
        self.timeout
            .and_then(|t| t.0.to_std().ok())
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The command as a shell would show it.
    pub fn command_line(&self) -> String {
        process::command_line(&self.command)
    }

    /// The title of its checklist step.
    pub fn title(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("run `{}`", self.command_line()))
    }

    /// Where it runs: its own directory, else `default_dir`, else the
    /// current directory.
    pub fn working_dir(&self, default_dir: Option<&Path>) -> PathBuf {
        self.dir
            .clone()
            .or_else(|| default_dir.map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// How a command reaches the target: an endpoint (none on real AWS) and credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The endpoint every service is reached at; `None` is AWS's own endpoints.
    pub endpoint: Option<String>,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// A session token, for temporary credentials.
    pub session_token: Option<String>,
}

impl Access {
    /// The endpoint and credentials the target's SDK configuration uses.
    pub async fn of(target: &dyn Target) -> anyhow::Result<Self> {
        let config = target.sdk_config(target.primary_region());
        let provider = config
            .credentials_provider()
            .ok_or_else(|| anyhow!("target {} has no credentials to hand to a command", target.name()))?;
        let creds = provider
            .provide_credentials()
            .await
            .with_context(|| format!("reading the credentials of target {}", target.name()))?;
        Ok(Self {
            endpoint: config.endpoint_url().map(str::to_owned),
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: creds.secret_access_key().to_owned(),
            session_token: creds.session_token().map(str::to_owned),
        })
    }
}

/// Which of the two kinds of command is run: they differ in what they are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The team's backup configuration, after the resources exist.
    Policy,
    /// A run of the team's cron ([`cron`]): told the instant it fired.
    Scheduled {
        /// When cron fired, on the target's clock.
        at: DateTime<Utc>,
    },
    /// A recovery step: told the fault and restore instants, may re-point.
    Recovery {
        /// The first fault's instant.
        fault_at: DateTime<Utc>,
        /// The instant the business wants back.
        restore_to: DateTime<Utc>,
    },
}

/// The environment and files of one command, in a directory removed with it.
pub struct CommandEnv {
    dir: tempfile::TempDir,
    /// Variables set.
    pub vars: Vec<(String, String)>,
    /// Inherited variables removed.
    pub remove: Vec<String>,
}

impl CommandEnv {
    /// Writes `FIREDRILL_STORE` (and, on an emulated target, the AWS config
    /// files) and builds the variables for `phase`.
    pub fn prepare(
        target: &dyn Target,
        access: &Access,
        store: &Store,
        phase: Phase,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("firedrill-command-")
            .tempdir()
            .context("creating the command's scratch directory")?;
        let store_path = dir.path().join("store.json");
        let file = StoreFile::of(store, target);
        std::fs::write(&store_path, serde_json::to_string_pretty(&file)?)
            .with_context(|| format!("writing {}", store_path.display()))?;
        let mut vars: Vec<(String, String)> = Vec::new();
        let mut remove = Vec::new();
        let mut set = |k: &str, v: String| vars.push((k.to_owned(), v));
        if let Some(endpoint) = &access.endpoint {
            // Nothing inherited may send the command elsewhere.
            remove.extend(
                std::env::vars_os()
                    .filter_map(|(k, _)| k.into_string().ok())
                    .filter(|k| k.starts_with("AWS_")),
            );
            set("AWS_ENDPOINT_URL", endpoint.clone());
            for var in SERVICE_ENDPOINT_VARS {
                set(var, endpoint.clone());
            }
            let config = dir.path().join("aws-config");
            std::fs::write(
                &config,
                format!(
                    "[default]\nregion = {}\nendpoint_url = {endpoint}\n",
                    store.region
                ),
            )?;
            let credentials = dir.path().join("aws-credentials");
            std::fs::write(
                &credentials,
                format!(
                    "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                    access.access_key_id, access.secret_access_key
                ),
            )?;
            set("AWS_CONFIG_FILE", config.display().to_string());
            set("AWS_SHARED_CREDENTIALS_FILE", credentials.display().to_string());
            set("AWS_EC2_METADATA_DISABLED", "true".into());
            set("AWS_ACCESS_KEY_ID", access.access_key_id.clone());
            set("AWS_SECRET_ACCESS_KEY", access.secret_access_key.clone());
            if let Some(token) = &access.session_token {
                set("AWS_SESSION_TOKEN", token.clone());
            }
        }
        set("AWS_PAGER", String::new());
        set("AWS_REGION", store.region.clone());
        set("AWS_DEFAULT_REGION", store.region.clone());
        if let Some(secondary) = target.secondary_region() {
            set("FIREDRILL_SECONDARY_REGION", secondary.to_owned());
        }
        set("FIREDRILL_TARGET", target.name().to_owned());
        set("FIREDRILL_STORE", store_path.display().to_string());
        if let Phase::Scheduled { at } = phase {
            set("FIREDRILL_SCHEDULED_AT", rfc3339(at));
        }
        if let Phase::Recovery { fault_at, restore_to } = phase {
            set("FIREDRILL_FAULT_AT", rfc3339(fault_at));
            set("FIREDRILL_RESTORE_TO", rfc3339(restore_to));
            set(
                "FIREDRILL_RECOVERED",
                dir.path().join("recovered.json").display().to_string(),
            );
        }
        Ok(Self { dir, vars, remove })
    }

    /// The path of `FIREDRILL_RECOVERED`.
    pub fn recovered_path(&self) -> PathBuf {
        self.dir.path().join("recovered.json")
    }
}

/// `2026-03-16T11:04:59Z`: whole seconds when the instant has none.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Runs `spec` with the environment of `phase`.
pub async fn run_command(
    target: &dyn Target,
    store: &Store,
    spec: &CommandSpec,
    default_dir: Option<&Path>,
    phase: Phase,
) -> anyhow::Result<(CommandOutput, CommandEnv)> {
    spec.validate()?;
    let access = Access::of(target).await?;
    let env = CommandEnv::prepare(target, &access, store, phase)?;
    let run = CommandRun {
        argv: spec.command.clone(),
        dir: spec.working_dir(default_dir),
        env: env.vars.clone(),
        remove_env: env.remove.clone(),
        timeout: spec.timeout(),
    };
    // Modelled restores are waited out on the simulated clock, not the wall.
    let output = crate::restore_time::while_running(target, process::run(&run)).await;
    Ok((output, env))
}

/// Why a command's step failed, in a line or a few: the exit status and
/// the last lines of its standard error.
pub fn failure_text(output: &CommandOutput) -> String {
    let mut s = format!("`{}` {}", output.command_line(), output.exit);
    let tail = output.stderr.last_lines(5);
    if !tail.is_empty() {
        s.push_str("; last lines of its stderr:\n");
        s.push_str(&tail.join("\n"));
    }
    s
}

/// Runs the team's backup configuration command on a freshly provisioned
/// store; the checklist step says what it did.
pub async fn run_policy_command(
    target: &dyn Target,
    store: &Store,
    spec: &CommandSpec,
    default_dir: Option<&Path>,
) -> (Step, anyhow::Result<()>) {
    let target_start = target.now();
    let wall = Instant::now();
    let result = run_command(target, store, spec, default_dir, Phase::Policy).await;
    let (status, detail, output, outcome) = match result {
        Ok((output, _env)) if output.exit.success() => (
            StepStatus::Done,
            format!("`{}` {}", output.command_line(), output.exit),
            Some(output),
            Ok(()),
        ),
        Ok((output, _env)) => {
            let why = failure_text(&output);
            (
                StepStatus::Failed(why.clone()),
                why.clone(),
                Some(output),
                Err(anyhow!(why)),
            )
        }
        Err(e) => {
            let why = format!("{e:#}");
            (StepStatus::Failed(why.clone()), why, None, Err(e))
        }
    };
    let step = Step {
        runbook: "backup-configuration".into(),
        title: spec.title(),
        detail,
        status,
        target_start,
        target_end: target.now(),
        wall_offset_seconds: 0.0,
        wall_seconds: wall.elapsed().as_secs_f64(),
        output,
    };
    (step, outcome)
}

/// Runs one recovery command as a checklist step: the command, then the
/// re-pointing it asked for in `FIREDRILL_RECOVERED`.
pub async fn run_recovery_command(
    ctx: &mut RecoveryContext<'_>,
    spec: &CommandSpec,
    default_dir: Option<&Path>,
) -> anyhow::Result<()> {
    let step: OpenStep = ctx.begin("command", spec.title());
    let phase = Phase::Recovery {
        fault_at: ctx.fault_at,
        restore_to: ctx.restore_to,
    };
    let (output, env) = match run_command(ctx.target, ctx.store, spec, default_dir, phase).await {
        Ok(r) => r,
        Err(e) => return ctx.finish(step, Err(e)),
    };
    if !output.exit.success() {
        let why = failure_text(&output);
        return ctx.finish_command(step, Err(anyhow!(why)), output);
    }
    let recovered = match std::fs::read_to_string(env.recovered_path()) {
        Ok(text) => Recovered::parse(&text).map_err(anyhow::Error::new),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Recovered::default()),
        Err(e) => Err(anyhow!("reading FIREDRILL_RECOVERED: {e}")),
    };
    let recovered = match recovered {
        Ok(r) => r,
        Err(e) => {
            let why = format!("`{}` {}, but {e:#}", output.command_line(), output.exit);
            return ctx.finish_command(step, Err(anyhow!(why)), output);
        }
    };
    let result = repoint::apply(ctx, &recovered).await.map(|moved| {
        let detail = if moved.is_empty() {
            format!("`{}` {}; nothing re-pointed", output.command_line(), output.exit)
        } else {
            format!(
                "`{}` {}; re-pointed {}",
                output.command_line(),
                output.exit,
                moved.join(", ")
            )
        };
        ((), detail)
    });
    let result = result.map_err(|e| anyhow!("`{}` {}, but {e:#}", output.command_line(), output.exit));
    ctx.finish_command(step, result, output)
}
