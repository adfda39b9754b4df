//! Scenario files: a disaster story as TOML, validated with errors that name
//! the file, the line and the field.
//!
//! # Schema
//!
//! ```toml
//! name = "flash-sale-corrupted-orders"     # required; the test name
//! description = "A bad deploy at 15:47..."  # optional
//! policy = "four_layer"                     # a seed policy name (none, backup_hope, four_layer,
//!                                           # four_layer_alarmed, four_layer_backup_account),
//!                                           # or a [policy] table: a full BackupPolicy, or the
//!                                           # team's own backup configuration:
//! # [policy]
//! # base = "none"                            # firedrill creates the resources bare (or a seed policy)
//! # command = ["bash", "backup/apply.sh"]    # then runs this (argv, no shell, in this file's directory)
//! # timeout = "5m"                           # default 15m
//! # [[policy.cron]]                          # the team's own cron (see team::cron): run on the
//! # every = "1h"                             # target's clock at every whole hour of the traffic
//! # command = ["python3", "team/snapshot_sessions.py"]
//! prefix = "flash"                          # optional stack prefix (default: from the name)
//! day = "2026-03-16"                        # optional drill day (default: the day after the target's today)
//!
//! [store]                                   # optional: the orders engine, where sessions and carts live
//! orders_engine = "mysql"                   # "postgres" (default), "mysql" or "mariadb"
//! orders_replica_region = "us-west-2"       # optional: a read replica of the orders database
//! sessions = "elasticache"                  # "dynamodb" (default) or "elasticache" (Redis keys
//! carts = "dynamodb"                        # with TTLs; see the store module)
//! orders_preloaded = 1500000                # optional: past orders written before the traffic
//!                                           # (postgres only, at most 20000000; store::archive)
//!
//! [workload]                                # a workload::WorkloadSpec plus `start`
//! seed = 42                                 # required
//! start = "15:17"                           # time of day (UTC) traffic starts
//! orders_per_hour = 400.0                   # rates per hour, all optional (0)
//! cart_churn_per_hour = 100.0
//! sessions_per_hour = 60.0
//! restocks_per_hour = 10.0
//! image_uploads_per_hour = 6.0
//! template_edits_per_hour = 1.0
//! products = 20                             # optional (20)
//! customers = 50                            # optional (50)
//! clients = 4                               # optional (4)
//!
//! [[fault]]                                 # one or more; traffic stops at the first destructive one
//! at = "15:47"                              # time of day, or an offset from `start` such as "+32m"
//! kind = "corrupt_orders"                   # batch_delete_carts | corrupt_orders | delete_orders |
//! window_minutes = 60                       # drop_table | mass_delete_bucket | ransomware |
//!                                           # region_outage | flush_sessions | config_drift |
//!                                           # disable_kms_key | schedule_key_deletion |
//!                                           # backup_job_failures | stolen_admin_keys
//! # reach_backup_account = true             # stolen_admin_keys: also assume a role in the backup
//!                                           # account and try its lock, points and key
//! # key = "alias/firedrill-backup"          # the KMS faults: a key id, ARN or alias (the backup
//! # pending_days = 7                        # vault's key when absent); schedule_key_deletion's
//!                                           # window, 7-30 (7). Neither destroys data: traffic goes
//!                                           # on, and every backup, restore and copy through the
//!                                           # vault fails while the key is unusable
//!
//! [recovery]
//! detect_after = "10m"                      # the fault is noticed this long after it struck
//! [[recovery.step]]                         # in order: a built-in runbook (see recovery::Runbook)
//! runbook = "rds_pitr"                      # dynamodb_pitr | rds_pitr | s3_rollback | region_failover |
//!                                           # backup_restore (the store's own region's vault) |
//!                                           # baseline | elasticache_restore | promote_replica |
//!                                           # backup_account_restore (from the second account's
//!                                           # locked vault, copied back into production)
//! [[recovery.step]]                         # or the team's command (see the team module for
//! command = ["python3", "restore.py"]       # its environment, FIREDRILL_STORE and
//! timeout = "10m"                           # FIREDRILL_RECOVERED); default timeout 15m
//!
//! [business]                               # optional: see the business module
//! revenue_per_hour = 570.0                  # the report prices the loss and the downtime
//! average_order_value = 38.0
//!
//! [timings]                                # optional: see the timings module
//! model = "aws"                             # "fast" (default) or "aws": AWS's restore times
//!
//! [expect]
//! outcome = "recovered"                     # or "data-loss", or "protection-lost" (data back,
//!                                           # a guard such as PITR gone: the twin to catch)
//! rpo = "5m"                                # objectives (defaults 5m and 30m)
//! rto = "30m"
//! min_lost_records = 1                      # data-loss only: lower bound on records lost
//! rpo_at_least = "12h"                      # data-loss only: bounds on the measured RPO
//! rpo_at_most = "13h"
//! alarm_fired = true                        # optional: the policy's backup alarm went to ALARM
//!                                           # before the incident (false: it must stay quiet)
//! detection_at_most = "2h"                  # optional: from the first failed AWS Backup job to
//!                                           # the alarm (see the detection module)
//! [expect.accepted_rpo]                     # optional: loss a layer without PITR may show
//! elasticache = "1d"                        # (writes since its daily snapshot), not a failure
//! ```
//!
//! A `backup_job_failures` fault (`cause = "vault_lock_retention"`, optional
//! `min_retention_days = 7`, `fix = "on_alarm"` to have the team repair it
//! once the alarm fires) destroys nothing: it makes AWS Backup's jobs fail
//! from the instant it strikes, days before the destructive fault.
//!
//! Durations are written `1h47m`, `30m`, `90s`, `2d` (units d, h, m, s).
//! Unknown fields are errors. [`load`] and [`parse`] return a
//! [`ScenarioError`] whose display is `file:line:column: field: message`.

use crate::checker::Targets;
use crate::fault::Fault;
use crate::history::{Collection, Layer};
use crate::policy::BackupPolicy;
use crate::recovery::{RecoveryStep, Runbook};
use crate::store::StoreSection;
use crate::team::CommandSpec;
use crate::team::cron::CronJob;
use crate::workload::WorkloadSpec;
use chrono::{Duration, NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A policy given by seed name or inline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PolicyRef {
    /// `none`, `backup_hope` or `four_layer`.
    Named(String),
    /// The team's own backup configuration: a base policy firedrill applies,
    /// then the team's command.
    Team(Box<TeamPolicy>),
    /// A full [`BackupPolicy`].
    Inline(Box<BackupPolicy>),
}

/// `[policy] base = "none"` and `command = ["bash", "backup/apply.sh"]`:
/// firedrill creates the store's resources under `base` (`none`: bare, no
/// backups at all), then runs the team's backup configuration command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamPolicy {
    /// The seed policy firedrill applies first (`none` when unset).
    #[serde(default = "default_base")]
    pub base: String,
    /// The team's command, run after the resources exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Its timeout (default 15m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Span>,
    /// The team's own scheduled backup commands, run while the traffic runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cron: Vec<CronJob>,
}

fn default_base() -> String {
    "none".into()
}

impl TeamPolicy {
    /// The command as a [`CommandSpec`], when there is one.
    pub fn command_spec(&self) -> Option<CommandSpec> {
        self.command.as_ref().map(|argv| CommandSpec {
            command: argv.clone(),
            timeout: self.timeout,
            name: None,
            dir: None,
        })
    }
}

impl<'de> Deserialize<'de> for PolicyRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Named(String),
            Inline(toml::Value),
        }
        match Raw::deserialize(d)? {
            Raw::Named(n) => Ok(PolicyRef::Named(n)),
            Raw::Inline(v) => {
                let team = v
                    .as_table()
                    .is_some_and(|t| ["base", "command", "cron"].iter().any(|k| t.contains_key(*k)));
                if team {
                    TeamPolicy::deserialize(v)
                        .map(|p| PolicyRef::Team(Box::new(p)))
                        .map_err(serde::de::Error::custom)
                } else {
                    BackupPolicy::deserialize(v)
                        .map(|p| PolicyRef::Inline(Box::new(p)))
                        .map_err(serde::de::Error::custom)
                }
            }
        }
    }
}

impl PolicyRef {
    /// The policy firedrill applies itself (for a team policy, its base).
    pub fn resolve(&self) -> anyhow::Result<BackupPolicy> {
        let named = |n: &str| {
            crate::policy::by_name(n).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown policy {n:?}; the seed policies are {}",
                    crate::policy::SEED_POLICIES.join(", ")
                )
            })
        };
        match self {
            PolicyRef::Named(n) => named(n),
            PolicyRef::Team(t) => {
                let mut p = named(&t.base)?;
                if let Some(cmd) = t.command_spec() {
                    p.name = format!("{} + `{}`", p.name, cmd.command_line());
                }
                for job in &t.cron {
                    p.name = format!(
                        "{} + every {} `{}`",
                        p.name,
                        String::from(job.every),
                        job.spec().command_line()
                    );
                }
                Ok(p)
            }
            PolicyRef::Inline(p) => Ok((**p).clone()),
        }
    }

    /// The team's backup configuration command, when the policy names one.
    pub fn command(&self) -> Option<CommandSpec> {
        match self {
            PolicyRef::Team(t) => t.command_spec(),
            _ => None,
        }
    }

    /// The team's own cron jobs, when the policy has any.
    pub fn cron(&self) -> &[CronJob] {
        match self {
            PolicyRef::Team(t) => &t.cron,
            _ => &[],
        }
    }

    /// This policy with `command` as the team's backup configuration
    /// (the base stays: a seed name becomes the base).
    pub fn with_command(&self, command: CommandSpec) -> PolicyRef {
        let base = match self {
            PolicyRef::Named(n) => n.clone(),
            PolicyRef::Team(t) => t.base.clone(),
            PolicyRef::Inline(p) => p.name.clone(),
        };
        PolicyRef::Team(Box::new(TeamPolicy {
            base,
            command: Some(command.command),
            timeout: command.timeout,
            cron: self.cron().to_vec(),
        }))
    }
}

/// When something happens: a time of day, or an offset from traffic start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum When {
    /// `15:47` or `15:47:30`, UTC, on the drill day (the next day if before the start).
    TimeOfDay(NaiveTime),
    /// `+32m`: after traffic starts.
    Offset(Duration),
}

impl From<When> for String {
    fn from(w: When) -> String {
        match w {
            When::TimeOfDay(t) => t.format("%H:%M:%S").to_string(),
            When::Offset(d) => format!("+{}", format_duration(d)),
        }
    }
}

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_when(&s).map_err(serde::de::Error::custom)
    }
}

/// Parses a [`When`].
pub fn parse_when(s: &str) -> Result<When, String> {
    if let Some(rest) = s.strip_prefix('+') {
        return parse_duration(rest).map(When::Offset);
    }
    NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .map(When::TimeOfDay)
        .map_err(|_| format!("expected a time of day like \"15:47\" or an offset like \"+32m\", got {s:?}"))
}

/// Parses `1h47m`, `30m`, `90s`, `2d`, `1h30m15s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("expected a duration like \"1h47m\", \"30m\" or \"90s\", got {s:?}");
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total += match c {
            'd' => Duration::days(n),
            'h' => Duration::hours(n),
            'm' => Duration::minutes(n),
            's' => Duration::seconds(n),
            _ => return Err(bad()),
        };
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// Writes a number of seconds as `1h47m` (rounded to the second).
pub fn format_seconds(seconds: f64) -> String {
    format_duration(Duration::seconds(seconds.round() as i64))
}

/// Writes a duration as `1h47m`.
pub fn format_duration(d: Duration) -> String {
    let mut s = d.num_seconds().max(0);
    let mut out = String::new();
    for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= len {
            out.push_str(&format!("{}{unit}", s / len));
            s %= len;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// A duration field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Span(pub Duration);

impl From<Span> for String {
    fn from(s: Span) -> String {
        format_duration(s.0)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map(Span).map_err(serde::de::Error::custom)
    }
}

/// The traffic: when it starts and the [`WorkloadSpec`] fields (written out
/// rather than flattened so that errors keep their line numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// Time of day traffic starts.
    pub start: When,
    /// The seed.
    pub seed: u64,
    /// Products seeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<u32>,
    /// Customers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customers: Option<u32>,
    /// Client processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<u32>,
    /// Orders per hour.
    #[serde(default)]
    pub orders_per_hour: f64,
    /// Abandoned-cart churn per hour.
    #[serde(default)]
    pub cart_churn_per_hour: f64,
    /// Session touches per hour.
    #[serde(default)]
    pub sessions_per_hour: f64,
    /// Restocks per hour.
    #[serde(default)]
    pub restocks_per_hour: f64,
    /// Image uploads per hour.
    #[serde(default)]
    pub image_uploads_per_hour: f64,
    /// Template edits per hour.
    #[serde(default)]
    pub template_edits_per_hour: f64,
}

impl WorkloadSection {
    /// The workload spec, with defaults filled in.
    pub fn spec(&self) -> WorkloadSpec {
        let defaults = WorkloadSpec {
            seed: self.seed,
            products: 20,
            customers: 50,
            orders_per_hour: 0.0,
            cart_churn_per_hour: 0.0,
            sessions_per_hour: 0.0,
            restocks_per_hour: 0.0,
            image_uploads_per_hour: 0.0,
            template_edits_per_hour: 0.0,
            clients: 4,
        };
        WorkloadSpec {
            products: self.products.unwrap_or(defaults.products),
            customers: self.customers.unwrap_or(defaults.customers),
            clients: self.clients.unwrap_or(defaults.clients),
            orders_per_hour: self.orders_per_hour,
            cart_churn_per_hour: self.cart_churn_per_hour,
            sessions_per_hour: self.sessions_per_hour,
            restocks_per_hour: self.restocks_per_hour,
            image_uploads_per_hour: self.image_uploads_per_hour,
            template_edits_per_hour: self.template_edits_per_hour,
            ..defaults
        }
    }
}

/// A fault and when it strikes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledFault {
    /// When.
    pub at: When,
    /// What.
    #[serde(flatten)]
    pub fault: Fault,
}

/// How the store is brought back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverySection {
    /// How long after the fault recovery starts.
    #[serde(default = "default_detect")]
    pub detect_after: Span,
    /// Built-in runbooks and the team's commands, in order.
    #[serde(default)]
    pub step: Vec<RecoveryStep>,
}

fn default_detect() -> Span {
    Span(Duration::minutes(5))
}

/// What the drill should find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every acknowledged write back, within the RPO and RTO.
    Recovered,
    /// Data lost, within the given bounds (a baseline meant to fail).
    DataLoss,
    /// Every acknowledged write back, but a guard the store had before the
    /// fault is gone after the recovery (a buggy runbook's twin meant to be
    /// caught: the restored table without PITR).
    ProtectionLost,
}

/// The expectation, which is the scenario's pass condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Recovered or data loss.
    pub outcome: Outcome,
    /// RPO objective.
    #[serde(default = "default_rpo")]
    pub rpo: Span,
    /// RTO objective.
    #[serde(default = "default_rto")]
    pub rto: Span,
    /// Data loss: at least this many records lost (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_lost_records: Option<u64>,
    /// Data loss: the measured RPO is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_at_least: Option<Span>,
    /// Data loss: the measured RPO is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_at_most: Option<Span>,
    /// The loss the business accepts per layer (`[expect.accepted_rpo]`,
    /// e.g. `elasticache = "1d"` for a session store restored from its
    /// daily snapshot): acknowledged writes of that layer lost within this
    /// window before the fault are expected loss, reported as such, not a
    /// failure of a "recovered" expectation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accepted_rpo: BTreeMap<Layer, Span>,
    /// Whether the policy's backup alarm fired before the incident
    /// (`true`: it must have; `false`: it must have stayed quiet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_fired: Option<bool>,
    /// The alarm fired at most this long after the first failed AWS
    /// Backup job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_at_most: Option<Span>,
}

fn default_rpo() -> Span {
    Span(Duration::minutes(5))
}
fn default_rto() -> Span {
    Span(Duration::minutes(30))
}

impl Expectation {
    /// An expectation of `outcome` with the default objectives and nothing else.
    pub fn of(outcome: Outcome) -> Self {
        Self {
            outcome,
            rpo: default_rpo(),
            rto: default_rto(),
            min_lost_records: None,
            rpo_at_least: None,
            rpo_at_most: None,
            accepted_rpo: BTreeMap::new(),
            alarm_fired: None,
            detection_at_most: None,
        }
    }

    /// The accepted loss windows in seconds, per layer.
    pub fn accepted_seconds(&self) -> BTreeMap<Layer, f64> {
        self.accepted_rpo
            .iter()
            .map(|(l, s)| (*l, s.0.num_seconds() as f64))
            .collect()
    }

    /// The objectives for the checker.
    pub fn targets(&self) -> Targets {
        Targets {
            rpo_seconds: self.rpo.0.num_seconds() as f64,
            rto_seconds: self.rto.0.num_seconds() as f64,
        }
    }
}

fn is_default_timings(t: &crate::timings::TimingsSection) -> bool {
    *t == crate::timings::TimingsSection::default()
}

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name (the test name).
    pub name: String,
    /// The story.
    #[serde(default)]
    pub description: String,
    /// The backup policy under test.
    pub policy: PolicyRef,
    /// Stack prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The drill day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
    /// Where sessions and carts live (DynamoDB unless said otherwise).
    #[serde(default, skip_serializing_if = "StoreSection::is_default")]
    pub store: StoreSection,
    /// The traffic.
    pub workload: WorkloadSection,
    /// The faults.
    pub fault: Vec<ScheduledFault>,
    /// The recovery.
    pub recovery: RecoverySection,
    /// The pass condition.
    pub expect: Expectation,
    /// What an hour of trading is worth, for the report's business impact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<crate::business::BusinessSection>,
    /// The restore-time model the drill runs under (`fast` by default).
    #[serde(default, skip_serializing_if = "is_default_timings")]
    pub timings: crate::timings::TimingsSection,
    /// Where it was read from.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// A scenario that does not parse or validate: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file (or `<string>`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The dotted field path (`workload.orders_per_hour`, `fault[1].bucket`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.message.trim())
    }
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.display().to_string(),
        line: None,
        column: None,
        field: None,
        message: format!("cannot read: {e}"),
    })?;
    let mut s = parse(&text, &path.display().to_string())?;
    s.file = Some(path.to_path_buf());
    Ok(s)
}

/// Every `*.toml` in a directory, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ScenarioError {
            file: dir.display().to_string(),
            line: None,
            column: None,
            field: None,
            message: format!("cannot list: {e}"),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| {
        let (mut line, mut column, mut field) = match e.span() {
            Some(span) => {
                let (l, c) = line_col(text, span.start);
                (Some(l), Some(c), field_at(text, span.start))
            }
            None => (None, None, None),
        };
        let message = e.message().to_owned();
        if let Some(unknown) = backticked(&message).filter(|_| message.starts_with("unknown field")) {
            // Flattened tables report the table's span: find the key inside it.
            let table = field.clone().unwrap_or_default();
            let path = if table.is_empty() {
                unknown.clone()
            } else {
                format!("{table}.{unknown}")
            };
            if let Some((l, c)) = locate(text, &path) {
                line = Some(l);
                column = Some(c);
                field = Some(path);
            }
        }
        if let Some(missing) = backticked(&message).filter(|_| message.starts_with("missing field")) {
            // The span of a missing field is its table: name the field inside it.
            let table = field.as_deref().map(table_of).unwrap_or_default();
            field = Some(if table.is_empty() {
                missing
            } else {
                format!("{table}.{missing}")
            });
        }
        ScenarioError {
            file: file.to_owned(),
            line,
            column,
            field,
            message,
        }
    })?;
    scenario.validate().map_err(|(field, message)| {
        let (line, column) = locate(text, &field).map_or((None, None), |(l, c)| (Some(l), Some(c)));
        ScenarioError {
            file: file.to_owned(),
            line,
            column,
            field: Some(field),
            message,
        }
    })?;
    Ok(scenario)
}

impl Scenario {
    /// Semantic checks; the error is `(field path, message)`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let valid_name = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            return Err(("name".into(), "must be letters, digits, '-' or '_'".into()));
        }
        let policy = self
            .policy
            .resolve()
            .map_err(|e| ("policy".to_owned(), e.to_string()))?;
        if let PolicyRef::Team(t) = &self.policy {
            if t.base == "none" && t.command.is_none() && t.cron.is_empty() {
                return Err((
                    "policy.command".into(),
                    "a team policy on base \"none\" needs a command or a cron (or write policy = \"none\" for no backups at all)".into(),
                ));
            }
            for (i, job) in t.cron.iter().enumerate() {
                job.validate()
                    .map_err(|e| (format!("policy.cron[{i}]"), e.to_string()))?;
            }
            if let Some(c) = t.command_spec() {
                c.validate()
                    .map_err(|e| ("policy.command".to_owned(), e.to_string()))?;
            }
        }
        policy
            .validate()
            .map_err(|e| ("policy".to_owned(), format!("{e:#}")))?;
        if let Some(p) = &self.prefix {
            crate::model::StoreNames::new(p).map_err(|e| ("prefix".to_owned(), e.to_string()))?;
        }
        self.workload.spec().validate().map_err(|e| {
            let msg = e.to_string();
            let field = msg.split_whitespace().next().unwrap_or("").to_owned();
            (format!("workload.{field}"), msg)
        })?;
        if let Some(b) = &self.business {
            b.validate()?;
        }
        if self.timings.model == crate::timings::TimingPreset::Fast
            && (self.timings.file.is_some() || !self.timings.overrides.is_empty())
        {
            return Err((
                "timings".into(),
                "timing overrides need model = \"aws\": the fast preset times nothing".into(),
            ));
        }
        for (op, m) in &self.timings.overrides {
            if !m.is_ordered() {
                return Err((
                    format!("timings.override.{op}"),
                    "every band must have low <= typical <= high".into(),
                ));
            }
        }
        if self.fault.is_empty() {
            return Err(("fault".into(), "at least one [[fault]] is required".into()));
        }
        for (i, f) in self.fault.iter().enumerate() {
            f.fault.validate().map_err(|e| {
                let msg = e.to_string();
                let field = msg.split_whitespace().next().unwrap_or("kind").to_owned();
                (format!("fault[{i}].{field}"), msg)
            })?;
        }
        for (i, f) in self.fault.iter().enumerate() {
            if matches!(f.fault, Fault::BackupJobFailures { .. }) && policy.backup_plan.is_none() {
                return Err((
                    format!("fault[{i}].kind"),
                    "backup_job_failures needs an AWS Backup plan in the policy (four_layer has one)".into(),
                ));
            }
        }
        if !self.fault.iter().any(|f| f.fault.destructive()) {
            return Err((
                "fault".into(),
                "at least one fault must destroy or hide data (config drift alone does not)".into(),
            ));
        }
        let times = self.fault_offsets();
        for (i, off) in times.iter().enumerate() {
            if *off <= Duration::zero() {
                return Err((
                    format!("fault[{i}].at"),
                    "the fault must strike after traffic starts".into(),
                ));
            }
        }
        for (i, r) in self.recovery.step.iter().enumerate() {
            r.validate()
                .map_err(|e| (format!("recovery.step[{i}]"), e.to_string()))?;
        }
        self.validate_store()?;
        let e = &self.expect;
        if e.outcome != Outcome::DataLoss
            && (e.min_lost_records.is_some() || e.rpo_at_least.is_some() || e.rpo_at_most.is_some())
        {
            return Err((
                "expect.outcome".into(),
                "min_lost_records, rpo_at_least and rpo_at_most only apply to outcome = \"data-loss\"".into(),
            ));
        }
        if e.alarm_fired == Some(false) && e.detection_at_most.is_some() {
            return Err((
                "expect.detection_at_most".into(),
                "needs the alarm to fire; it contradicts alarm_fired = false".into(),
            ));
        }
        if (e.alarm_fired == Some(true) || e.detection_at_most.is_some()) && policy.alarm.is_none() {
            return Err((
                "expect.alarm_fired".into(),
                "the policy puts no backup alarm (four_layer_alarmed does, or an inline policy's `alarm`)"
                    .into(),
            ));
        }
        if let (Some(a), Some(b)) = (e.rpo_at_least, e.rpo_at_most)
            && a.0 > b.0
        {
            return Err((
                "expect.rpo_at_most".into(),
                "must not be less than rpo_at_least".into(),
            ));
        }
        Ok(())
    }

    /// The `[store]` layout against the faults and runbooks that touch it.
    fn validate_store(&self) -> Result<(), (String, String)> {
        let preloaded = self.store.orders_preloaded;
        if preloaded > crate::store::archive::MAX_PRELOADED {
            return Err((
                "store.orders_preloaded".into(),
                format!(
                    "{preloaded} past orders is more than the {} a drill may preload (about 300 bytes of table and 2.4 KiB of write-ahead log each)",
                    crate::store::archive::MAX_PRELOADED
                ),
            ));
        }
        if preloaded > 0 && self.store.orders_engine.speaks_mysql() {
            return Err((
                "store.orders_preloaded".into(),
                format!(
                    "past orders are preloaded into PostgreSQL only; this store's orders engine is {}",
                    self.store.orders_engine
                ),
            ));
        }
        let cached = self.store.cached();
        let no_cache = cached.is_empty();
        for (i, f) in self.fault.iter().enumerate() {
            let clash = match &f.fault {
                Fault::FlushSessions if no_cache => Some(
                    "flush_sessions needs sessions or carts in ElastiCache ([store] sessions = \"elasticache\")"
                        .to_owned(),
                ),
                Fault::BatchDeleteCarts if cached.contains(&Collection::Carts) => Some(
                    "batch_delete_carts deletes DynamoDB items, but [store] keeps carts in ElastiCache (use flush_sessions)"
                        .to_owned(),
                ),
                Fault::DropTable { table } if cached.contains(table) => Some(format!(
                    "[store] keeps {table} in ElastiCache: there is no {table} table to drop"
                )),
                _ => None,
            };
            if let Some(why) = clash {
                return Err((format!("fault[{i}].kind"), why));
            }
        }
        for (i, r) in self.recovery.step.iter().enumerate() {
            let RecoveryStep::Runbook(r) = r else {
                continue;
            };
            let clash = match r {
                Runbook::ElasticacheRestore if no_cache => Some(
                    "elasticache_restore needs sessions or carts in ElastiCache ([store] sessions = \"elasticache\")"
                        .to_owned(),
                ),
                Runbook::BackupAccountRestore { .. }
                    if !self.policy().is_ok_and(|p| {
                        p.backup_plan.is_some_and(|b| b.backup_account.is_some())
                    }) =>
                {
                    Some(
                        "backup_account_restore needs a backup plan copying into a second account (policy four_layer_backup_account, or backup_plan.backup_account)"
                            .to_owned(),
                    )
                }
                Runbook::PromoteReplica if self.store.orders_replica_region.is_none() => Some(
                    "promote_replica needs a read replica of the orders database ([store] orders_replica_region = \"us-west-2\")"
                        .to_owned(),
                ),
                Runbook::DynamodbPitr { tables, .. } => tables
                    .iter()
                    .find(|t| cached.contains(t))
                    .map(|t| format!("[store] keeps {t} in ElastiCache, not in a DynamoDB table")),
                _ => None,
            };
            if let Some(why) = clash {
                return Err((format!("recovery.step[{i}].runbook"), why));
            }
        }
        if self.expect.accepted_rpo.contains_key(&Layer::Elasticache) && no_cache {
            return Err((
                "expect.accepted_rpo".into(),
                "accepts loss on elasticache, but [store] keeps nothing there".into(),
            ));
        }
        Ok(())
    }

    /// The directory commands run in: the scenario file's.
    pub fn dir(&self) -> Option<PathBuf> {
        self.file.as_ref().and_then(|f| f.parent()).map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
            .to_path_buf()
        })
    }

    /// Whether the team's own commands run in this scenario.
    pub fn runs_team_commands(&self) -> bool {
        self.policy.command().is_some()
            || !self.policy.cron().is_empty()
            || self
                .recovery
                .step
                .iter()
                .any(|s| matches!(s, RecoveryStep::Command(_)))
    }

    /// The resolved policy (validated by [`parse`]).
    pub fn policy(&self) -> anyhow::Result<BackupPolicy> {
        self.policy.resolve()
    }

    /// Each fault's offset from traffic start, in file order.
    pub fn fault_offsets(&self) -> Vec<Duration> {
        let start = match self.workload.start {
            When::TimeOfDay(t) => t,
            When::Offset(_) => NaiveTime::MIN,
        };
        self.fault
            .iter()
            .map(|f| match f.at {
                When::Offset(d) => d,
                When::TimeOfDay(t) => {
                    let mut d = t - start;
                    if d < Duration::zero() {
                        d += Duration::days(1);
                    }
                    d
                }
            })
            .collect()
    }

    /// The capabilities a target needs to play this scenario.
    pub fn requires(&self) -> crate::target::Capabilities {
        use crate::target::Capabilities;
        let mut c = Capabilities {
            simulated_clock: true,
            ..Capabilities::default()
        };
        if let Ok(p) = self.policy() {
            c.aws_backup |= p.backup_plan.is_some();
            c.backup_account |= p.backup_plan.as_ref().is_some_and(|b| b.backup_account.is_some());
        }
        for f in &self.fault {
            match f.fault {
                Fault::RegionOutage { .. } => c.regions = true,
                Fault::BackupJobFailures { .. } => c.aws_backup = true,
                _ => {}
            }
        }
        for r in &self.recovery.step {
            let RecoveryStep::Runbook(r) = r else {
                continue;
            };
            match r {
                Runbook::DynamodbPitr { .. } => c.dynamodb_pitr = true,
                Runbook::RdsPitr => c.rds_pitr = true,
                Runbook::S3Rollback { .. } => c.s3_versioning = true,
                Runbook::RegionFailover { .. } => {
                    c.regions = true;
                    c.aws_backup = true;
                }
                Runbook::BackupRestore => c.aws_backup = true,
                Runbook::Baseline => {}
                Runbook::ElasticacheRestore => c.elasticache = true,
                Runbook::PromoteReplica => {}
                Runbook::BackupAccountRestore { .. } => {
                    c.aws_backup = true;
                    c.backup_account = true;
                }
            }
        }
        c.elasticache |= !self.store.cached().is_empty();
        c.regions |= self.store.orders_replica_region.is_some();
        c.rds_mysql |= self.store.orders_engine.speaks_mysql();
        c
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.len(), |i| before.len() - i - 1) + 1;
    (line, col)
}

fn backticked(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let end = msg[start..].find('`')? + start;
    Some(msg[start..end].to_owned())
}

/// The table part of a field path (`workload.seed` -> `workload`).
fn table_of(field: &str) -> String {
    field
        .rsplit_once('.')
        .map(|(t, _)| t.to_owned())
        .unwrap_or_default()
}

/// The table header in force at each line: `workload`, `fault[1]`, `recovery.step[0]`.
fn headers(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_owned();
            let n = counts.entry(name.clone()).or_insert(0);
            out.push((i + 1, format!("{name}[{n}]")));
            *n += 1;
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            out.push((i + 1, name.trim().to_owned()));
        }
    }
    out
}

/// The dotted field at a byte offset.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let table = headers(text)
        .into_iter()
        .take_while(|(l, _)| *l <= line)
        .last()
        .map(|(_, n)| n);
    let content = text.lines().nth(line - 1).unwrap_or("").trim();
    let key = if content.starts_with('[') {
        None
    } else {
        content
            .split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())
    };
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (Some(t), None) => Some(t),
        (None, Some(k)) => Some(k),
        (None, None) => None,
    }
}

/// The line and column of a dotted field path, when it is written in the file.
fn locate(text: &str, field: &str) -> Option<(usize, usize)> {
    let (table, key) = match field.rsplit_once('.') {
        Some((t, k)) => (Some(t.to_owned()), k.to_owned()),
        None => (None, field.to_owned()),
    };
    let hs = headers(text);
    let lines: Vec<&str> = text.lines().collect();
    let range = match &table {
        None => (1, hs.first().map_or(lines.len() + 1, |(l, _)| *l)),
        Some(t) => {
            let idx = hs.iter().position(|(_, n)| n == t);
            match idx {
                Some(i) => (hs[i].0, hs.get(i + 1).map_or(lines.len() + 1, |(l, _)| *l)),
                None => {
                    // The table itself may be the field (`fault[1]`), or absent.
                    let whole = hs.iter().find(|(_, n)| n == field)?;
                    return Some((whole.0, 1));
                }
            }
        }
    };
    for l in range.0..range.1 {
        let content = lines.get(l - 1)?;
        if let Some((k, _)) = content.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            let col = content.len() - content.trim_start().len() + 1;
            return Some((l, col));
        }
    }
    hs.iter()
        .find(|(_, n)| n == field)
        .map(|(l, _)| (*l, 1))
        .or(table.and(Some((range.0, 1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "flash-sale"
description = "A bad deploy zeroes totals at 15:47."
policy = "four_layer"

[workload]
seed = 42
start = "15:17"
orders_per_hour = 400.0
cart_churn_per_hour = 100.0

[[fault]]
at = "15:47"
kind = "corrupt_orders"
window_minutes = 60

[recovery]
detect_after = "10m"
[[recovery.step]]
runbook = "rds_pitr"

[expect]
outcome = "recovered"
"#;

    #[test]
    fn a_good_scenario_parses() {
        let s = parse(GOOD, "flash.toml").unwrap();
        assert_eq!(s.name, "flash-sale");
        assert_eq!(s.workload.spec().seed, 42);
        assert_eq!(s.workload.spec().products, 20, "defaults apply");
        assert_eq!(s.fault_offsets(), vec![Duration::minutes(30)]);
        assert_eq!(s.recovery.detect_after.0, Duration::minutes(10));
        assert_eq!(s.expect.targets(), Targets::default());
        assert!(s.requires().rds_pitr && s.requires().aws_backup && !s.requires().regions);
        assert_eq!(s.policy().unwrap().name, "four_layer");
    }

    fn err(text: &str) -> ScenarioError {
        parse(text, "scenarios/x.toml").unwrap_err()
    }

    #[test]
    fn an_unknown_field_is_named_with_its_line() {
        let e = err(&GOOD.replace("cart_churn_per_hour", "cart_chrun_per_hour"));
        assert_eq!(e.file, "scenarios/x.toml");
        assert_eq!(e.line, Some(10), "{e}");
        assert_eq!(e.field.as_deref(), Some("workload.cart_chrun_per_hour"), "{e}");
        assert!(e.to_string().starts_with("scenarios/x.toml:10:"), "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn a_wrong_type_is_named_with_its_line() {
        let e = err(&GOOD.replace("seed = 42", "seed = \"forty-two\""));
        assert_eq!(e.line, Some(7), "{e}");
        assert_eq!(e.field.as_deref(), Some("workload.seed"), "{e}");
    }

    #[test]
    fn a_bad_duration_names_the_field() {
        let e = err(&GOOD.replace("detect_after = \"10m\"", "detect_after = \"ten minutes\""));
        assert_eq!(e.line, Some(18), "{e}");
        assert_eq!(e.field.as_deref(), Some("recovery.detect_after"), "{e}");
        assert!(e.message.contains("duration"), "{e}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = err(&GOOD.replace("seed = 42\n", ""));
        assert!(e.field.as_deref().is_some_and(|f| f.ends_with("seed")), "{e}");
        assert!(e.message.contains("missing field"), "{e}");
    }

    #[test]
    fn an_unknown_fault_kind_is_named() {
        let e = err(&GOOD.replace("kind = \"corrupt_orders\"", "kind = \"meteor\""));
        assert!(
            e.field.as_deref().is_some_and(|f| f.starts_with("fault[0]")),
            "{e}"
        );
        assert!(e.message.contains("meteor"), "{e}");
    }

    #[test]
    fn semantic_errors_name_the_field_and_line() {
        let e = err(&GOOD.replace("orders_per_hour = 400.0", "orders_per_hour = -4.0"));
        assert_eq!(e.field.as_deref(), Some("workload.orders_per_hour"), "{e}");
        assert_eq!(e.line, Some(9), "{e}");

        let e = err(&GOOD.replace("policy = \"four_layer\"", "policy = \"hope\""));
        assert_eq!(e.field.as_deref(), Some("policy"));
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("backup_hope"), "{e}");

        let e = err(&GOOD.replace(
            "kind = \"corrupt_orders\"\nwindow_minutes = 60",
            "kind = \"ransomware\"\nbucket = \"orders\"",
        ));
        assert_eq!(e.field.as_deref(), Some("fault[0].bucket"), "{e}");
        assert_eq!(e.line, Some(15), "{e}");

        let e = err(&GOOD.replace(
            "outcome = \"recovered\"",
            "outcome = \"recovered\"\nrpo_at_most = \"1h\"",
        ));
        assert_eq!(e.field.as_deref(), Some("expect.outcome"), "{e}");
    }

    #[test]
    fn backup_failures_and_alarm_expectations_are_checked() {
        let with = |policy: &str, expect: &str| {
            GOOD.replace("policy = \"four_layer\"", &format!("policy = \"{policy}\""))
                .replace(
                    "[[fault]]\nat = \"15:47\"",
                    "[[fault]]\nat = \"15:20\"\nkind = \"backup_job_failures\"\nfix = \"on_alarm\"\n\n[[fault]]\nat = \"15:47\"",
                )
                .replace("outcome = \"recovered\"", &format!("outcome = \"recovered\"\n{expect}"))
        };
        let s = parse(
            &with(
                "four_layer_alarmed",
                "alarm_fired = true\ndetection_at_most = \"2h\"",
            ),
            "x.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.fault[0].fault.fixed_on_alarm() && !s.fault[0].fault.destructive());
        assert_eq!(s.expect.alarm_fired, Some(true));
        assert_eq!(s.expect.detection_at_most, Some(Span(Duration::hours(2))));
        assert!(s.requires().aws_backup);
        let e = err(&with("four_layer", "alarm_fired = true"));
        assert_eq!(e.field.as_deref(), Some("expect.alarm_fired"), "{e}");
        assert!(e.message.contains("no backup alarm"), "{e}");
        let e = err(&with(
            "four_layer_alarmed",
            "alarm_fired = false\ndetection_at_most = \"1h\"",
        ));
        assert_eq!(e.field.as_deref(), Some("expect.detection_at_most"), "{e}");
        let e = err(&with("backup_hope", ""));
        assert_eq!(e.field.as_deref(), Some("fault[0].kind"), "{e}");
        assert!(e.message.contains("needs an AWS Backup plan"), "{e}");
        assert!(parse(&with("four_layer", "alarm_fired = false"), "x.toml").is_ok());

        let account_restore = |policy: &str| {
            GOOD.replace("policy = \"four_layer\"", &format!("policy = \"{policy}\""))
                .replace("runbook = \"rds_pitr\"", "runbook = \"backup_account_restore\"")
        };
        let e = err(&account_restore("four_layer"));
        assert_eq!(e.field.as_deref(), Some("recovery.step[0].runbook"), "{e}");
        assert!(e.message.contains("second account"), "{e}");
        let s =
            parse(&account_restore("four_layer_backup_account"), "x.toml").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.requires().backup_account);
    }

    #[test]
    fn durations_and_times_parse_and_print() {
        assert_eq!(parse_duration("1h47m").unwrap(), Duration::minutes(107));
        assert_eq!(parse_duration("2d").unwrap(), Duration::days(2));
        assert!(
            parse_duration("10").is_err() && parse_duration("").is_err() && parse_duration("5y").is_err()
        );
        assert_eq!(format_duration(Duration::minutes(107)), "1h47m");
        assert_eq!(parse_when("+32m").unwrap(), When::Offset(Duration::minutes(32)));
        assert_eq!(
            parse_when("15:47").unwrap(),
            When::TimeOfDay(NaiveTime::from_hms_opt(15, 47, 0).unwrap())
        );
        assert!(parse_when("3pm").is_err());
    }

    #[test]
    fn inline_policies_are_accepted() {
        let text = GOOD.replace("policy = \"four_layer\"\n", "")
            + r#"
[policy]
name = "mine"
rds = { retention_days = 7 }
dynamodb = { pitr = true }
s3 = { versioning = true }
"#;
        let s = parse(&text, "x.toml").unwrap();
        assert_eq!(s.policy().unwrap().name, "mine");
    }

    #[test]
    fn team_policies_and_commands_parse() {
        let text = GOOD.replace("policy = \"four_layer\"\n", "").replace(
            "[[recovery.step]]\nrunbook = \"rds_pitr\"\n",
            "[[recovery.step]]\ncommand = [\"python3\", \"runbooks/restore_carts.py\"]\ntimeout = \"10m\"\n[[recovery.step]]\nrunbook = \"rds_pitr\"\n",
        ) + "\n[policy]\nbase = \"none\"\ncommand = [\"bash\", \"backup/apply.sh\"]\n";
        let s = parse(&text, "examples/x/carts.toml").unwrap_or_else(|e| panic!("{e}"));
        let cmd = s.policy.command().expect("a policy command");
        assert_eq!(cmd.command, vec!["bash", "backup/apply.sh"]);
        assert_eq!(cmd.timeout(), crate::team::DEFAULT_TIMEOUT);
        let policy = s.policy().unwrap();
        assert!(policy.name.starts_with("none + "), "{}", policy.name);
        assert_eq!(policy.rds.retention_days, 0, "base none creates bare resources");
        assert!(!policy.dynamodb.pitr && !policy.s3.versioning && policy.backup_plan.is_none());
        assert_eq!(s.recovery.step.len(), 2);
        match &s.recovery.step[0] {
            RecoveryStep::Command(c) => {
                assert_eq!(c.command_line(), "python3 runbooks/restore_carts.py");
                assert_eq!(c.timeout(), std::time::Duration::from_secs(600));
            }
            other => panic!("expected a command, got {other:?}"),
        }
        assert!(matches!(
            s.recovery.step[1],
            RecoveryStep::Runbook(Runbook::RdsPitr)
        ));
        assert!(s.runs_team_commands());
        assert!(
            s.requires().rds_pitr,
            "built-in runbooks still need their capability"
        );
    }

    #[test]
    fn the_teams_cron_parses_and_is_checked() {
        let with = |policy: &str| GOOD.replace("policy = \"four_layer\"\n", "") + policy;
        let s = parse(
            &with("\n[policy]\nbase = \"backup_hope\"\n[[policy.cron]]\nevery = \"1h\"\ncommand = [\"python3\", \"team/snapshot_sessions.py\"]\nname = \"hourly snapshot\"\n"),
            "x.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let cron = s.policy.cron();
        assert_eq!(cron.len(), 1);
        assert_eq!(cron[0].spec().title(), "hourly snapshot");
        assert!(s.policy.command().is_none());
        assert!(s.runs_team_commands());
        let policy = s.policy().unwrap();
        assert!(
            policy.name.starts_with("backup_hope + every 1h"),
            "{}",
            policy.name
        );
        // A cron alone is a team's backup configuration, even on base none.
        let s = parse(
            &with("\n[policy]\n[[policy.cron]]\nevery = \"1h\"\ncommand = [\"snap\"]\n"),
            "x.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.policy.cron().len(), 1);
        let e = err(&with(
            "\n[policy]\nbase = \"none\"\n[[policy.cron]]\nevery = \"7m\"\ncommand = [\"snap\"]\n",
        ));
        assert_eq!(e.field.as_deref(), Some("policy.cron[0]"), "{e}");
        assert!(e.message.contains("divide a day"), "{e}");
        let e = err(&with(
            "\n[policy]\nbase = \"none\"\n[[policy.cron]]\nevery = \"1h\"\ncommand = [\"snap\"]\nat = \"15:00\"\n",
        ));
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn bad_commands_are_named() {
        let step = |body: &str| {
            GOOD.replace(
                "[[recovery.step]]\nrunbook = \"rds_pitr\"\n",
                &format!("[[recovery.step]]\n{body}\n"),
            )
        };
        let e = err(&step("command = []"));
        assert_eq!(e.field.as_deref(), Some("recovery.step[0]"), "{e}");
        assert!(e.message.contains("must name a program"), "{e}");
        let e = err(&step("command = [\"x\"]\nrunbook = \"rds_pitr\""));
        assert!(e.message.contains("not both"), "{e}");
        let e = err(&step("command = [\"x\"]\ntimout = \"1m\""));
        assert!(e.message.contains("timout"), "{e}");
        let e = err(&step("tables = [\"carts\"]"));
        assert!(e.message.contains("needs `runbook"), "{e}");
        let e = err(&(GOOD.replace("policy = \"four_layer\"\n", "") + "\n[policy]\nbase = \"none\"\n"));
        assert_eq!(e.field.as_deref(), Some("policy.command"), "{e}");
        let e = err(&(GOOD.replace("policy = \"four_layer\"\n", "")
            + "\n[policy]\nbase = \"gold\"\ncommand = [\"x\"]\n"));
        assert!(e.message.contains("unknown policy \"gold\""), "{e}");
    }

    #[test]
    fn command_lines_split_like_a_shell() {
        let c = CommandSpec::parse_line(
            "python3 'my runbooks/restore.py' --to \"$T\"",
            PathBuf::from("/w"),
        )
        .unwrap();
        assert_eq!(c.command, vec!["python3", "my runbooks/restore.py", "--to", "$T"]);
        assert_eq!(c.working_dir(Some(Path::new("/elsewhere"))), PathBuf::from("/w"));
        assert!(CommandSpec::parse_line("python3 'unbalanced", PathBuf::from("/w")).is_err());
        assert!(CommandSpec::parse_line("   ", PathBuf::from("/w")).is_err());
        let s = parse(GOOD, "flash.toml").unwrap();
        let p = s.policy.with_command(c);
        assert_eq!(
            p.resolve().unwrap().rds.retention_days,
            14,
            "the seed policy stays the base"
        );
    }

    #[test]
    fn preloaded_orders_are_bounded_and_postgres_only() {
        let with = |store: &str| GOOD.replace("[workload]", &format!("[store]\n{store}\n\n[workload]"));
        let s = parse(&with("orders_preloaded = 1500000"), "size.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.store.orders_preloaded, 1_500_000);
        assert_eq!(parse(GOOD, "flash.toml").unwrap().store.orders_preloaded, 0);
        let e = err(&with("orders_preloaded = 20000001"));
        assert_eq!(e.field.as_deref(), Some("store.orders_preloaded"), "{e}");
        assert!(e.message.contains("more than the 20000000"), "{e}");
        let e = err(&with("orders_engine = \"mysql\"\norders_preloaded = 1000"));
        assert_eq!(e.field.as_deref(), Some("store.orders_preloaded"), "{e}");
        assert!(
            e.message.contains("PostgreSQL only") && e.message.contains("mysql"),
            "{e}"
        );
        assert!(
            err(&with("orders_preloaded = -1"))
                .message
                .contains("invalid value")
        );
    }

    #[test]
    fn the_store_section_and_accepted_loss_are_checked_against_faults_and_runbooks() {
        let cached = GOOD
            .replace("[workload]", "[store]\nsessions = \"elasticache\"\n\n[workload]")
            .replace(
                "kind = \"corrupt_orders\"\nwindow_minutes = 60",
                "kind = \"flush_sessions\"",
            )
            .replace("runbook = \"rds_pitr\"", "runbook = \"elasticache_restore\"")
            .replace(
                "outcome = \"recovered\"",
                "outcome = \"recovered\"\n[expect.accepted_rpo]\nelasticache = \"1d\"",
            );
        let s = parse(&cached, "cached.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.store.cached(),
            std::collections::BTreeSet::from([Collection::Sessions])
        );
        assert!(s.requires().elasticache);
        assert_eq!(s.expect.accepted_seconds()[&Layer::Elasticache], 86_400.0);
        assert!(!parse(GOOD, "flash.toml").unwrap().requires().elasticache);

        // Flushing or restoring a cache the shop does not have.
        let e = err(&cached.replace("[store]\nsessions = \"elasticache\"\n", ""));
        assert_eq!(e.field.as_deref(), Some("fault[0].kind"), "{e}");
        assert!(e.message.contains("flush_sessions needs"), "{e}");
        let e = err(&GOOD.replace("runbook = \"rds_pitr\"", "runbook = \"elasticache_restore\""));
        assert_eq!(e.field.as_deref(), Some("recovery.step[0].runbook"), "{e}");
        // DynamoDB operations on a collection kept in ElastiCache.
        let e = err(&cached.replace(
            "kind = \"flush_sessions\"",
            "kind = \"drop_table\"\ntable = \"sessions\"",
        ));
        assert!(e.message.contains("no sessions table"), "{e}");
        let e = err(&cached.replace(
            "runbook = \"elasticache_restore\"",
            "runbook = \"dynamodb_pitr\"\ntables = [\"sessions\"]",
        ));
        assert!(e.message.contains("not in a DynamoDB table"), "{e}");
        let e = err(&cached.replace("sessions = \"elasticache\"", "sessions = \"redis\""));
        assert!(e.message.contains("redis"), "{e}");
    }

    #[test]
    fn a_mysql_store_parses_and_promote_replica_needs_a_replica() {
        let mysql = GOOD.replace(
            "[workload]",
            "[store]\norders_engine = \"mysql\"\norders_replica_region = \"us-west-2\"\n\n[workload]",
        );
        let s = parse(&mysql, "mysql.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.store.orders_engine, crate::store::OrdersEngine::Mysql);
        assert!(s.requires().regions, "a cross-region replica needs regions");
        assert!(s.requires().rds_mysql && !parse(GOOD, "flash.toml").unwrap().requires().rds_mysql);
        let promote = mysql.replace("runbook = \"rds_pitr\"", "runbook = \"promote_replica\"");
        assert!(parse(&promote, "promote.toml").is_ok());
        let e = err(&GOOD.replace("runbook = \"rds_pitr\"", "runbook = \"promote_replica\""));
        assert_eq!(e.field.as_deref(), Some("recovery.step[0].runbook"), "{e}");
        assert!(e.message.contains("orders_replica_region"), "{e}");
        let e = err(&mysql.replace("\"mysql\"", "\"db2\""));
        assert!(e.message.contains("db2"), "{e}");
    }

    #[test]
    fn the_shipped_scenarios_all_validate() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let all = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert!(all.len() >= 7, "{} scenarios", all.len());
        let mut names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len(), "scenario names are unique");
    }
}
