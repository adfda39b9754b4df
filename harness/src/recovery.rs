//! Recovery runbooks: the steps that bring the data back, each timed on the
//! wall clock and the target's clock, kept as a checklist a team can reuse.
//!
//! - [`Runbook::DynamodbPitr`]: `RestoreTableToPointInTime` of each table to
//!   T into a new table (from the deleted table's `SYSTEM` backup when the
//!   table itself is gone), wait for `ACTIVE`, re-enable PITR on it, then cut
//!   over: re-point the store at the new table, or copy the items back.
//! - [`Runbook::RdsPitr`]: wait until `LatestRestorableTime` >= T,
//!   `RestoreDBInstanceToPointInTime` into a new instance, wait `available`,
//!   re-point the store at its endpoint.
//! - [`Runbook::S3Rollback`]: for every key, `ListObjectVersions`, then copy
//!   the version current at T over the key, remove the delete markers written
//!   after T, or delete keys created after T.
//! - [`Runbook::RegionFailover`]: in the other region, restore each resource
//!   from the newest AWS Backup copy made before T (`StartRestoreJob`), wait
//!   for the jobs, re-point the store at that region.
//! - [`Runbook::BackupRestore`]: the same restore from the AWS Backup vault
//!   of the store's own region (new `-dr` resources, re-pointed); a restore
//!   job AWS Backup fails (its vault's KMS key disabled or pending
//!   deletion) fails the step with the job's status message. Both, and
//!   [`Runbook::BackupAccountRestore`], end by turning PITR and versioning
//!   back on for what they restored (a restored resource inherits neither).
//! - [`Runbook::Baseline`]: restore from the newest nightly snapshot and
//!   DynamoDB backup (what a "backup hope" shop has).
//! - [`Runbook::ElasticacheRestore`]: a new replication group from the
//!   session store's newest snapshot before T, wait `available`, re-point
//!   ([`crate::store::restore`]); ElastiCache has no PITR, so the writes
//!   since that snapshot stay lost.
//! - [`Runbook::PromoteReplica`]: `PromoteReadReplica` of the orders
//!   database's read replica (kept with the source's backup retention), wait
//!   `available`, re-point the orders database at it
//!   ([`crate::store::replica`]); a later `region_failover` to the replica's
//!   region restores the other layers and leaves the promoted database be.
//!
//! Users test their own recovery code by implementing [`Recovery`]; the
//! runbooks here are firedrill's. Every wait is bounded and its error says
//! what it waited for and what it last saw.

use crate::history::{Collection, EventKind, History};
use crate::model::{
    DbEndpoint, ObjectVersion, Store, chrono_to_smithy, list_versions, scan_table, smithy_to_chrono,
};
use crate::policy::{
    arn_account, backup_role_arn, describe_db, set_table_pitr, wait_db_available, wait_table_active,
};
use crate::target::{BoxFuture, Clients, Target};
use crate::team::CommandSpec;
use crate::team::process::CommandOutput;
use crate::wait::{Poll, WaitOptions, wait_for};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

pub mod backup_account;

/// How a restored table replaces the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Cutover {
    /// The application is re-pointed at the restored table's name.
    #[default]
    Repoint,
    /// The restored items are copied back into the original table.
    CopyBack,
}

/// A recovery procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "runbook", rename_all = "snake_case", deny_unknown_fields)]
pub enum Runbook {
    /// DynamoDB point-in-time restore of the given tables (both when empty).
    DynamodbPitr {
        /// `carts`, `sessions`.
        #[serde(default)]
        tables: Vec<Collection>,
        /// How the restored table takes over.
        #[serde(default)]
        cutover: Cutover,
    },
    /// RDS point-in-time restore into a new instance.
    RdsPitr,
    /// S3 rollback of every key of the given buckets (all when empty) to T.
    S3Rollback {
        /// `images`, `invoices`, `templates`.
        #[serde(default)]
        buckets: Vec<Collection>,
    },
    /// Failover to the region holding AWS Backup copies.
    RegionFailover {
        /// The region to fail over to (the target's secondary when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    /// Restore in the store's own region from the newest AWS Backup
    /// recovery points in its vault made before T.
    BackupRestore,
    /// Restore from the newest nightly snapshot and DynamoDB backups.
    Baseline,
    /// ElastiCache: a new replication group from the newest snapshot before
    /// T, then re-point (no PITR exists on ElastiCache).
    ElasticacheRestore,
    /// Promote the orders database's read replica and re-point at it.
    PromoteReplica,
    /// Restore from the locked vault in the second account: the backup
    /// account copies its newest points before T back into a new vault of
    /// production, which restores them (see [`backup_account`]).
    BackupAccountRestore {
        /// The target's name of that account (`backup` when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        /// The vault's region (the store's when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
}

impl Runbook {
    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Runbook::DynamodbPitr { .. } => "dynamodb_pitr",
            Runbook::RdsPitr => "rds_pitr",
            Runbook::S3Rollback { .. } => "s3_rollback",
            Runbook::RegionFailover { .. } => "region_failover",
            Runbook::BackupRestore => "backup_restore",
            Runbook::Baseline => "baseline_snapshot",
            Runbook::ElasticacheRestore => "elasticache_restore",
            Runbook::PromoteReplica => "promote_replica",
            Runbook::BackupAccountRestore { .. } => "backup_account_restore",
        }
    }

    /// Checks the runbook's parameters; the message names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        match self {
            Runbook::DynamodbPitr { tables, .. } => {
                if let Some(t) = tables
                    .iter()
                    .find(|t| t.layer() != crate::history::Layer::Dynamodb)
                {
                    bail!("tables: {t} is not a DynamoDB table (carts, sessions)");
                }
            }
            Runbook::S3Rollback { buckets } => {
                if let Some(b) = buckets.iter().find(|b| b.layer() != crate::history::Layer::S3) {
                    bail!("buckets: {b} is not a bucket (images, invoices, templates)");
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum StepStatus {
    /// Done.
    Done,
    /// Failed, with the error.
    Failed(String),
    /// Not needed or not possible, with why.
    Skipped(String),
}

/// One executed step of a runbook: a checklist line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The runbook it belongs to.
    pub runbook: String,
    /// What the step does.
    pub title: String,
    /// What happened.
    pub detail: String,
    /// How it ended.
    pub status: StepStatus,
    /// Start on the target's clock.
    pub target_start: DateTime<Utc>,
    /// End on the target's clock.
    pub target_end: DateTime<Utc>,
    /// Wall seconds from the start of recovery to the step's start.
    pub wall_offset_seconds: f64,
    /// Wall seconds the step took.
    pub wall_seconds: f64,
    /// What the team's command printed and how it ended (command steps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<CommandOutput>,
}

/// An open step: close it with [`RecoveryContext::finish`].
#[derive(Debug)]
#[must_use = "finish the step"]
pub struct OpenStep {
    runbook: String,
    title: String,
    target_start: DateTime<Utc>,
    wall_start: Instant,
}

/// What recovery code works with: the target, the store it re-points, the
/// instant to restore to, and the checklist it fills.
pub struct RecoveryContext<'a> {
    /// Where AWS is.
    pub target: &'a dyn Target,
    /// The store; runbooks re-point it at what they restored.
    pub store: &'a mut Store,
    /// The history (recovery events land here).
    pub history: &'a mut History,
    /// The first fault's instant.
    pub fault_at: DateTime<Utc>,
    /// The instant to restore to (just before the fault).
    pub restore_to: DateTime<Utc>,
    /// Wait bounds.
    pub wait: WaitOptions,
    /// The executed steps.
    pub checklist: Vec<Step>,
    started: Instant,
}

impl<'a> RecoveryContext<'a> {
    /// A context restoring to [`restore_point`] of `fault_at`.
    pub fn new(
        target: &'a dyn Target,
        store: &'a mut Store,
        history: &'a mut History,
        fault_at: DateTime<Utc>,
        wait: WaitOptions,
    ) -> Self {
        Self {
            target,
            store,
            history,
            fault_at,
            restore_to: restore_point(fault_at),
            wait,
            checklist: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Opens a step.
    pub fn begin(&self, runbook: &str, title: impl Into<String>) -> OpenStep {
        OpenStep {
            runbook: runbook.to_owned(),
            title: title.into(),
            target_start: self.target.now(),
            wall_start: Instant::now(),
        }
    }

    /// Closes a step with its outcome and returns the outcome.
    pub fn finish<T>(&mut self, step: OpenStep, result: anyhow::Result<(T, String)>) -> anyhow::Result<T> {
        let (status, detail, out) = match result {
            Ok((v, detail)) => (StepStatus::Done, detail, Ok(v)),
            Err(e) => {
                let msg = format!("{e:#}");
                (StepStatus::Failed(msg.clone()), msg, Err(e))
            }
        };
        self.push(step, status, detail, None);
        out
    }

    /// [`RecoveryContext::finish`] for a team command's step, keeping its output.
    pub fn finish_command<T>(
        &mut self,
        step: OpenStep,
        result: anyhow::Result<(T, String)>,
        output: CommandOutput,
    ) -> anyhow::Result<T> {
        let (status, detail, out) = match result {
            Ok((v, detail)) => (StepStatus::Done, detail, Ok(v)),
            Err(e) => {
                let msg = format!("{e:#}");
                (StepStatus::Failed(msg.clone()), msg, Err(e))
            }
        };
        self.push(step, status, detail, Some(output));
        out
    }

    /// Closes a step as skipped.
    pub fn skip(&mut self, step: OpenStep, why: impl Into<String>) {
        let why = why.into();
        self.push(step, StepStatus::Skipped(why.clone()), why, None);
    }

    fn push(&mut self, step: OpenStep, status: StepStatus, detail: String, output: Option<CommandOutput>) {
        let end = self.target.now();
        self.history.event(
            end,
            EventKind::Recovery {
                detail: format!("{}: {} ({})", step.runbook, step.title, status_word(&status)),
            },
        );
        self.checklist.push(Step {
            runbook: step.runbook,
            title: step.title,
            detail,
            status,
            target_start: step.target_start,
            target_end: end,
            wall_offset_seconds: step.wall_start.duration_since(self.started).as_secs_f64(),
            wall_seconds: step.wall_start.elapsed().as_secs_f64(),
            output,
        });
    }

    /// The primary region's clients for the store.
    pub fn clients(&self) -> Clients {
        self.store.clients(self.target)
    }
}

fn status_word(s: &StepStatus) -> &'static str {
    match s {
        StepStatus::Done => "done",
        StepStatus::Failed(_) => "failed",
        StepStatus::Skipped(_) => "skipped",
    }
}

/// The instant to restore to for a fault at `fault_at`: the whole second
/// before it. PITR has one-second granularity; the drill keeps a quiet gap
/// of a few seconds before a fault so no acknowledged write falls between.
pub fn restore_point(fault_at: DateTime<Utc>) -> DateTime<Utc> {
    fault_at.duration_trunc(Duration::seconds(1)).unwrap_or(fault_at) - Duration::seconds(1)
}

/// Recovery code under test: implement it to run your own runbook.
pub trait Recovery: Send + Sync {
    /// A name for reports.
    fn name(&self) -> &str;

    /// Brings the data back, re-pointing `ctx.store` and filling the checklist.
    fn recover<'a, 'b: 'a>(&'a self, ctx: &'a mut RecoveryContext<'b>) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// firedrill's runbooks, run in order; a failed runbook stops the recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runbooks(pub Vec<Runbook>);

impl Recovery for Runbooks {
    fn name(&self) -> &str {
        "firedrill-runbooks"
    }

    fn recover<'a, 'b: 'a>(&'a self, ctx: &'a mut RecoveryContext<'b>) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for r in &self.0 {
                run_runbook(ctx, r).await?;
            }
            Ok(())
        })
    }
}

/// One step of a scenario's recovery: a built-in runbook or the team's command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RecoveryStep {
    /// `runbook = "rds_pitr"` and its parameters.
    Runbook(Runbook),
    /// `command = ["python3", "restore.py"]`, `timeout = "10m"`.
    Command(CommandSpec),
}

impl<'de> Deserialize<'de> for RecoveryStep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = toml::Value::deserialize(d)?;
        let has = |k: &str| value.as_table().is_some_and(|t| t.contains_key(k));
        match (has("command"), has("runbook")) {
            (true, true) => Err(D::Error::custom(
                "a step is either a `runbook` or a `command`, not both",
            )),
            (true, false) => CommandSpec::deserialize(value)
                .map(RecoveryStep::Command)
                .map_err(D::Error::custom),
            (false, true) => Runbook::deserialize(value)
                .map(RecoveryStep::Runbook)
                .map_err(D::Error::custom),
            (false, false) => Err(D::Error::custom(
                "a step needs `runbook = \"...\"` (dynamodb_pitr, rds_pitr, s3_rollback, region_failover, backup_restore, baseline) or `command = [\"program\", \"arg\"]`",
            )),
        }
    }
}

impl RecoveryStep {
    /// A short name for reports.
    pub fn name(&self) -> String {
        match self {
            RecoveryStep::Runbook(r) => r.name().to_owned(),
            RecoveryStep::Command(c) => c.command_line(),
        }
    }

    /// Checks the step's parameters; the message names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        match self {
            RecoveryStep::Runbook(r) => r.validate(),
            RecoveryStep::Command(c) => c.validate(),
        }
    }
}

/// A scenario's recovery: its steps in order, built-in runbooks and the
/// team's commands mixed; commands run in `dir` (the scenario file's
/// directory) unless they name their own. A failed step stops the recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioRecovery {
    /// The steps.
    pub steps: Vec<RecoveryStep>,
    /// Where commands run.
    pub dir: Option<std::path::PathBuf>,
}

impl ScenarioRecovery {
    /// The recovery of `scenario`.
    pub fn of(scenario: &crate::scenario::Scenario) -> Self {
        Self {
            steps: scenario.recovery.step.clone(),
            dir: scenario.dir(),
        }
    }
}

impl Recovery for ScenarioRecovery {
    fn name(&self) -> &str {
        if self.steps.iter().all(|s| matches!(s, RecoveryStep::Runbook(_))) {
            "firedrill-runbooks"
        } else if self.steps.iter().all(|s| matches!(s, RecoveryStep::Command(_))) {
            "team-commands"
        } else {
            "team-commands-and-runbooks"
        }
    }

    fn recover<'a, 'b: 'a>(&'a self, ctx: &'a mut RecoveryContext<'b>) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for step in &self.steps {
                match step {
                    RecoveryStep::Runbook(r) => run_runbook(ctx, r).await?,
                    RecoveryStep::Command(c) => {
                        crate::team::run_recovery_command(ctx, c, self.dir.as_deref()).await?
                    }
                }
            }
            Ok(())
        })
    }
}

/// Runs one runbook.
pub async fn run_runbook(ctx: &mut RecoveryContext<'_>, runbook: &Runbook) -> anyhow::Result<()> {
    runbook.validate()?;
    match runbook {
        Runbook::DynamodbPitr { tables, cutover } => {
            let tables = if tables.is_empty() {
                vec![Collection::Carts, Collection::Sessions]
            } else {
                tables.clone()
            };
            for t in tables {
                dynamodb_pitr(ctx, t, *cutover).await?;
            }
            Ok(())
        }
        Runbook::RdsPitr => rds_pitr(ctx).await,
        Runbook::S3Rollback { buckets } => {
            let buckets = if buckets.is_empty() {
                vec![Collection::Images, Collection::Invoices, Collection::Templates]
            } else {
                buckets.clone()
            };
            for b in buckets {
                s3_rollback(ctx, b).await?;
            }
            Ok(())
        }
        Runbook::RegionFailover { region } => region_failover(ctx, region.clone()).await,
        Runbook::BackupRestore => backup_restore(ctx).await,
        Runbook::Baseline => baseline(ctx).await,
        Runbook::ElasticacheRestore => crate::store::restore::elasticache_restore(ctx).await,
        Runbook::PromoteReplica => crate::store::replica::promote_replica(ctx).await,
        Runbook::BackupAccountRestore { account, region } => {
            backup_account::backup_account_restore(ctx, account.as_deref(), region.as_deref()).await
        }
    }
}

fn suffix(t: DateTime<Utc>) -> String {
    t.format("%H%M%S").to_string()
}

/// DynamoDB PITR of one table to `ctx.restore_to`, then cut-over.
pub async fn dynamodb_pitr(
    ctx: &mut RecoveryContext<'_>,
    table: Collection,
    cutover: Cutover,
) -> anyhow::Result<()> {
    const RB: &str = "dynamodb_pitr";
    let clients = ctx.clients();
    let ddb = clients.dynamodb.clone();
    let source = ctx
        .store
        .names
        .table(table)
        .ok_or_else(|| anyhow!("{table} is not a DynamoDB table"))?
        .to_owned();
    let t = ctx.restore_to;
    let restored = format!("{source}-r{}", suffix(t));

    // 1. Is PITR on, and has the restorable window reached T?
    let step = ctx.begin(RB, format!("check PITR on {source} covers {}", t.to_rfc3339()));
    let target = ctx.target;
    let wait = ctx.wait;
    let probe = wait_for(target, &format!("{source}'s LatestRestorableDateTime to reach T"), &wait, || async {
        let d = match ddb.describe_continuous_backups().table_name(&source).send().await {
            Ok(d) => d,
            Err(e) => {
                let e = e.into_service_error();
                if e.is_table_not_found_exception() {
                    return Ok(Poll::Ready(None));
                }
                return Err(anyhow::Error::new(e).context("DescribeContinuousBackups"));
            }
        };
        let pitr = d
            .continuous_backups_description
            .and_then(|c| c.point_in_time_recovery_description)
            .ok_or_else(|| anyhow!("DescribeContinuousBackups returned no PITR description"))?;
        if pitr.point_in_time_recovery_status != Some(aws_sdk_dynamodb::types::PointInTimeRecoveryStatus::Enabled) {
            bail!("point-in-time recovery is not enabled on {source}: there is no continuous backup to restore from");
        }
        let latest = pitr.latest_restorable_date_time.and_then(smithy_to_chrono);
        let earliest = pitr.earliest_restorable_date_time.and_then(smithy_to_chrono);
        if let Some(e) = earliest
            && e > t
        {
            bail!("T {t} is before {source}'s earliest restorable time {e}");
        }
        Ok(match latest {
            Some(l) if l >= t => Poll::Ready(Some(l)),
            other => Poll::Pending(format!("LatestRestorableDateTime {other:?}")),
        })
    })
    .await;
    let latest = ctx.finish(
        step,
        probe.map(|l| {
            let d = match l {
                Some(l) => format!("PITR enabled, latest restorable {}", l.to_rfc3339()),
                None => "table is gone: restoring from its SYSTEM backup".into(),
            };
            (l, d)
        }),
    )?;

    // 2. Restore into a new table.
    let step = ctx.begin(RB, format!("restore {source} to {restored}"));
    let result: anyhow::Result<(String, String)> = async {
        if latest.is_some() {
            ddb.restore_table_to_point_in_time()
                .source_table_name(&source)
                .target_table_name(&restored)
                .restore_date_time(chrono_to_smithy(t))
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("RestoreTableToPointInTime")?;
            Ok((
                restored.clone(),
                format!(
                    "RestoreTableToPointInTime {source} -> {restored} at {}",
                    t.to_rfc3339()
                ),
            ))
        } else {
            let backups = ddb
                .list_backups()
                .table_name(&source)
                .backup_type(aws_sdk_dynamodb::types::BackupTypeFilter::System)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("ListBackups SYSTEM")?;
            let newest = backups
                .backup_summaries
                .unwrap_or_default()
                .into_iter()
                .filter(|b| b.backup_status == Some(aws_sdk_dynamodb::types::BackupStatus::Available))
                .max_by_key(|b| b.backup_creation_date_time.and_then(smithy_to_chrono))
                .and_then(|b| b.backup_arn)
                .ok_or_else(|| anyhow!("{source} was deleted and no SYSTEM backup of it exists"))?;
            ddb.restore_table_from_backup()
                .backup_arn(&newest)
                .target_table_name(&restored)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("RestoreTableFromBackup")?;
            Ok((
                restored.clone(),
                format!("RestoreTableFromBackup {newest} -> {restored}"),
            ))
        }
    }
    .await;
    ctx.finish(step, result)?;

    // 3. Wait for ACTIVE.
    let step = ctx.begin(RB, format!("wait for {restored} to be ACTIVE"));
    let r = wait_table_active(ctx.target, &ddb, &restored, &ctx.wait)
        .await
        .map(|arn| ((), format!("ACTIVE ({arn})")));
    ctx.finish(step, r)?;

    // 4. PITR is not carried over by a restore: turn it back on.
    let step = ctx.begin(RB, format!("re-enable PITR on {restored}"));
    let r = set_table_pitr(&ddb, &restored, true, None)
        .await
        .map(|_| ((), "UpdateContinuousBackups enabled".to_owned()));
    ctx.finish(step, r)?;

    // 5. Cut over.
    match cutover {
        Cutover::Repoint => {
            let step = ctx.begin(
                RB,
                format!("re-point the application from {source} to {restored}"),
            );
            match table {
                Collection::Carts => ctx.store.names.carts_table = restored.clone(),
                _ => ctx.store.names.sessions_table = restored.clone(),
            }
            ctx.finish(step, Ok(((), format!("{table} now served by {restored}"))))?;
        }
        Cutover::CopyBack => {
            let step = ctx.begin(RB, format!("copy {restored} back into {source}"));
            let r = copy_table(&ddb, &restored, &source, table).await;
            ctx.finish(step, r.map(|n| ((), format!("{n} items copied back"))))?;
        }
    }
    Ok(())
}

/// Replaces the content of `to` with the content of `from`.
async fn copy_table(
    ddb: &aws_sdk_dynamodb::Client,
    from: &str,
    to: &str,
    table: Collection,
) -> anyhow::Result<usize> {
    use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
    let pk = if table == Collection::Carts {
        "cart_id"
    } else {
        "session_id"
    };
    let items = scan_table(ddb, from)
        .await?
        .ok_or_else(|| anyhow!("{from} does not exist"))?;
    let current = scan_table(ddb, to)
        .await?
        .ok_or_else(|| anyhow!("{to} does not exist: re-point instead of copying back"))?;
    let keep: std::collections::HashSet<String> = items
        .iter()
        .filter_map(|i| i.get(pk).map(crate::model::canonical_attribute))
        .collect();
    let mut requests = Vec::new();
    for i in &current {
        if let Some(k) = i.get(pk)
            && !keep.contains(&crate::model::canonical_attribute(k))
        {
            let key: HashMap<String, AttributeValue> = HashMap::from([(pk.to_owned(), k.clone())]);
            requests.push(
                WriteRequest::builder()
                    .delete_request(DeleteRequest::builder().set_key(Some(key)).build()?)
                    .build(),
            );
        }
    }
    for i in &items {
        requests.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(i.clone())).build()?)
                .build(),
        );
    }
    for chunk in requests.chunks(25) {
        let mut pending = HashMap::from([(to.to_owned(), chunk.to_vec())]);
        let mut done = false;
        for _ in 0..20 {
            let resp = ddb
                .batch_write_item()
                .set_request_items(Some(pending.clone()))
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
            match resp.unprocessed_items {
                Some(u) if !u.is_empty() => pending = u,
                _ => {
                    done = true;
                    break;
                }
            }
        }
        if !done {
            bail!("BatchWriteItem into {to} kept returning unprocessed items");
        }
    }
    Ok(items.len())
}

/// RDS PITR to `ctx.restore_to` into a new instance, then re-point.
pub async fn rds_pitr(ctx: &mut RecoveryContext<'_>) -> anyhow::Result<()> {
    const RB: &str = "rds_pitr";
    let rds = ctx.clients().rds;
    let source = ctx.store.names.db_instance.clone();
    let t = ctx.restore_to;
    let restored = format!("{source}-pitr-{}", suffix(t));

    let step = ctx.begin(
        RB,
        format!(
            "wait for {source}'s LatestRestorableTime to reach {}",
            t.to_rfc3339()
        ),
    );
    let rds2 = rds.clone();
    let src = source.clone();
    let r = wait_for(ctx.target, &format!("{source}'s LatestRestorableTime to reach T"), &ctx.wait, || async {
        let i = describe_db(&rds2, &src)
            .await?
            .ok_or_else(|| anyhow!("RDS instance {src} does not exist"))?;
        if i.retention_days == 0 {
            bail!("automated backups are off on {src} (BackupRetentionPeriod 0): point-in-time restore is impossible");
        }
        Ok(match i.latest_restorable {
            Some(l) if l >= t => Poll::Ready(l),
            other => Poll::Pending(format!("LatestRestorableTime {other:?}")),
        })
    })
    .await
    .map(|l| ((), format!("LatestRestorableTime {}", l.to_rfc3339())));
    ctx.finish(step, r)?;

    let step = ctx.begin(RB, format!("restore {source} to {restored} at T"));
    let r = rds
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier(&source)
        .target_db_instance_identifier(&restored)
        .restore_time(chrono_to_smithy(t))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("RestoreDBInstanceToPointInTime")
        .map(|_| {
            (
                (),
                format!(
                    "RestoreDBInstanceToPointInTime {source} -> {restored} at {}",
                    t.to_rfc3339()
                ),
            )
        });
    ctx.finish(step, r)?;

    repoint_db(ctx, RB, &rds, &restored).await
}

/// Waits for the instance `id` (as `rds` sees it) to be available, then
/// re-points the orders database at it once it answers; the store is left
/// as it was when it does not.
pub(crate) async fn repoint_db(
    ctx: &mut RecoveryContext<'_>,
    rb: &str,
    rds: &aws_sdk_rds::Client,
    id: &str,
) -> anyhow::Result<()> {
    let step = ctx.begin(rb, format!("wait for {id} to be available"));
    let r = wait_db_available(ctx.target, rds, id, &ctx.wait).await.map(|i| {
        (
            i.endpoint.clone(),
            format!("available at {}:{}", i.endpoint.address, i.endpoint.port),
        )
    });
    let endpoint: DbEndpoint = ctx.finish(step, r)?;

    let step = ctx.begin(rb, format!("re-point the application at {id}"));
    let previous = (ctx.store.db.clone(), ctx.store.names.db_instance.clone());
    ctx.store.db = endpoint;
    ctx.store.names.db_instance = id.to_owned();
    let check = async {
        let mut db = ctx.store.orders_db(ctx.target).await?;
        let n = db.count_orders().await.ok().flatten().unwrap_or(-1);
        Ok::<_, anyhow::Error>(n)
    }
    .await;
    if check.is_err() {
        ctx.store.db = previous.0;
        ctx.store.names.db_instance = previous.1;
    }
    let r = check.map(|n| {
        let d = if n >= 0 {
            format!("connected; {n} orders")
        } else {
            "connected; the orders table is missing".to_owned()
        };
        ((), d)
    });
    ctx.finish(step, r)
}

/// What to do with one key to bring it back to its state at T.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAction {
    /// Already as at T.
    Keep,
    /// Copy this version over the key.
    CopyVersion(String),
    /// Permanently delete these delete markers (newest first), uncovering the version at T.
    RemoveMarkers(Vec<String>),
    /// The key did not exist at T: delete it (a delete marker).
    Delete,
}

/// Plans the rollback of one key from its versions and markers (any order).
/// Pure: the runbook and its tests share it.
pub fn plan_key_rollback(versions: &[ObjectVersion], t: DateTime<Utc>) -> KeyAction {
    let mut sorted: Vec<&ObjectVersion> = versions.iter().collect();
    sorted.sort_by_key(|v| (v.last_modified, !v.is_latest));
    let at_t = sorted
        .iter()
        .rev()
        .find(|v| v.last_modified.is_some_and(|m| m <= t));
    let current = sorted.iter().find(|v| v.is_latest).or(sorted.last());
    let Some(current) = current else {
        return KeyAction::Keep;
    };
    match at_t {
        None => {
            if current.delete_marker {
                KeyAction::Keep
            } else {
                KeyAction::Delete
            }
        }
        Some(v) if v.delete_marker => {
            if current.delete_marker {
                KeyAction::Keep
            } else {
                KeyAction::Delete
            }
        }
        Some(v) => {
            if v.version_id == current.version_id {
                return KeyAction::Keep;
            }
            let newer: Vec<&&ObjectVersion> = sorted
                .iter()
                .filter(|x| x.last_modified > v.last_modified && x.version_id != v.version_id)
                .collect();
            if !newer.is_empty() && newer.iter().all(|x| x.delete_marker) {
                KeyAction::RemoveMarkers(newer.iter().rev().map(|x| x.version_id.clone()).collect())
            } else {
                KeyAction::CopyVersion(v.version_id.clone())
            }
        }
    }
}

/// Rolls every key of a bucket back to its version at `ctx.restore_to`.
pub async fn s3_rollback(ctx: &mut RecoveryContext<'_>, bucket: Collection) -> anyhow::Result<()> {
    const RB: &str = "s3_rollback";
    let s3 = ctx.clients().s3;
    let name = ctx
        .store
        .names
        .bucket(bucket)
        .ok_or_else(|| anyhow!("{bucket} is not a bucket"))?
        .to_owned();
    let t = ctx.restore_to;

    let step = ctx.begin(RB, format!("list every version of {name}"));
    let r: anyhow::Result<(Vec<ObjectVersion>, String)> = async {
        let v = s3
            .get_bucket_versioning()
            .bucket(&name)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("GetBucketVersioning {name}"))?;
        if v.status.is_none() {
            bail!("versioning was never enabled on {name}: there are no versions to roll back to");
        }
        let versions = list_versions(&s3, &name)
            .await?
            .ok_or_else(|| anyhow!("bucket {name} does not exist"))?;
        let n = versions.len();
        Ok((versions, format!("{n} versions and delete markers")))
    }
    .await;
    let versions = ctx.finish(step, r)?;

    let step = ctx.begin(RB, format!("roll every key of {name} back to {}", t.to_rfc3339()));
    let mut by_key: BTreeMap<String, Vec<ObjectVersion>> = BTreeMap::new();
    for v in versions {
        by_key.entry(v.key.clone()).or_default().push(v);
    }
    let r: anyhow::Result<((u64, u64), String)> = async {
        let (mut copied, mut unmarked, mut deleted, mut kept) = (0, 0, 0, 0);
        // Every copy and delete is one request; copies carry their bytes.
        let (mut requests, mut bytes) = (0_u64, 0_u64);
        for (key, versions) in &by_key {
            match plan_key_rollback(versions, t) {
                KeyAction::Keep => kept += 1,
                KeyAction::CopyVersion(id) => {
                    s3.copy_object()
                        .bucket(&name)
                        .key(key)
                        .copy_source(format!("{name}/{key}?versionId={id}"))
                        .send()
                        .await
                        .map_err(|e| anyhow::Error::new(e.into_service_error()))
                        .with_context(|| format!("CopyObject {key} from version {id}"))?;
                    copied += 1;
                    requests += 1;
                    bytes += versions.iter().find(|v| v.version_id == id).map_or(0, |v| v.size);
                }
                KeyAction::RemoveMarkers(ids) => {
                    for id in ids {
                        s3.delete_object()
                            .bucket(&name)
                            .key(key)
                            .version_id(&id)
                            .send()
                            .await
                            .map_err(|e| anyhow::Error::new(e.into_service_error()))
                            .with_context(|| format!("DeleteObject {key} marker {id}"))?;
                        requests += 1;
                    }
                    unmarked += 1;
                }
                KeyAction::Delete => {
                    s3.delete_object()
                        .bucket(&name)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| anyhow::Error::new(e.into_service_error()))
                        .with_context(|| format!("DeleteObject {key}"))?;
                    deleted += 1;
                    requests += 1;
                }
            }
        }
        Ok((
            (requests, bytes),
            format!(
                "{copied} keys restored from an old version, {unmarked} undeleted (markers removed), {deleted} created after T deleted, {kept} unchanged"
            ),
        ))
    }
    .await;
    let (requests, bytes) = ctx.finish(step, r)?;

    // The emulator answered those requests in milliseconds; AWS takes its
    // request rates' time for them, which the target's model says.
    let target = ctx.target;
    if requests > 0 && crate::restore_time::models_client_operations(target).await {
        let step = ctx.begin(
            RB,
            format!("wait what AWS takes for {requests} requests ({bytes} bytes copied) on {name}"),
        );
        let op = firedrill_emulator::timing::ClientOperation {
            operation: firedrill_emulator::timing::Operation::S3ObjectRollback,
            resource: name.clone(),
            region: ctx.clients().region,
            workload: firedrill_emulator::timing::Workload {
                objects: requests,
                bytes,
                ..Default::default()
            },
        };
        let r = crate::restore_time::wait_client_operation(target, op)
            .await
            .map(|timed| match timed {
                Some(t) => (
                    (),
                    format!(
                        "{:.0} s on the {} model (band {:.0} to {:.0} s)",
                        t.band.typical.as_secs_f64(),
                        t.model,
                        t.band.low.as_secs_f64(),
                        t.band.high.as_secs_f64()
                    ),
                ),
                None => ((), "the target does not model it".to_owned()),
            });
        ctx.finish(step, r)?;
    }
    Ok(())
}

/// A recovery point in a vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPointInfo {
    /// Its ARN.
    pub arn: String,
    /// The protected resource's ARN.
    pub resource_arn: String,
    /// `RDS`, `DynamoDB`, `S3`.
    pub resource_type: String,
    /// When it was created.
    pub created: Option<DateTime<Utc>>,
}

/// Fails over to the other region from the AWS Backup copies made before T.
pub async fn region_failover(ctx: &mut RecoveryContext<'_>, region: Option<String>) -> anyhow::Result<()> {
    let region = region
        .or_else(|| ctx.target.secondary_region().map(str::to_owned))
        .ok_or_else(|| anyhow!("the target has no secondary region to fail over to"))?;
    restore_from_vault(ctx, "region_failover", region).await
}

/// Restores each resource in the store's own region from the newest
/// recovery point before T in its AWS Backup vault (`StartRestoreJob` into
/// new `-dr` resources), waits for the jobs and re-points the store. A
/// restore job AWS Backup fails (its vault's KMS key disabled or pending
/// deletion, say) fails the step with the job's `StatusMessage`.
pub async fn backup_restore(ctx: &mut RecoveryContext<'_>) -> anyhow::Result<()> {
    let region = ctx.store.region.clone();
    restore_from_vault(ctx, "backup_restore", region).await
}

/// The restore from the vault of `region` that [`region_failover`] and
/// [`backup_restore`] share; `RB` names the runbook in the checklist.
#[allow(non_snake_case, reason = "RB reads as the constant it replaced")]
async fn restore_from_vault(
    ctx: &mut RecoveryContext<'_>,
    RB: &'static str,
    region: String,
) -> anyhow::Result<()> {
    let remote = Clients::new(ctx.target, &region);
    let vault = ctx.store.names.backup_vault.clone();
    let points = find_points_before(ctx, RB, &remote, &vault).await?;
    restore_points(ctx, RB, &remote, points).await
}

/// The step that finds, in `vault` of the `remote` clients' region, the
/// newest completed recovery point made before T of each resource (none
/// when the vault does not exist there).
#[allow(non_snake_case, reason = "RB reads as the constant it replaced")]
async fn find_points_before(
    ctx: &mut RecoveryContext<'_>,
    RB: &'static str,
    remote: &Clients,
    vault: &str,
) -> anyhow::Result<Vec<RecoveryPointInfo>> {
    let region = remote.region.clone();
    let t = ctx.restore_to;
    let step = ctx.begin(
        RB,
        format!("find the newest copies in {region} vault {vault} made before T"),
    );
    let r: anyhow::Result<(Vec<RecoveryPointInfo>, String)> = async {
        let mut points = Vec::new();
        let mut token = None;
        for _ in 0..1000 {
            let resp = remote
                .backup
                .list_recovery_points_by_backup_vault()
                .backup_vault_name(vault)
                .set_next_token(token.take())
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                // No vault there: nothing was ever copied to that region.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    break;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e.into_service_error())
                        .context(format!("ListRecoveryPointsByBackupVault {vault} in {region}")));
                }
            };
            for p in resp.recovery_points.unwrap_or_default() {
                let completed = matches!(
                    p.status,
                    Some(aws_sdk_backup::types::RecoveryPointStatus::Completed)
                );
                let created = p.creation_date.and_then(smithy_to_chrono);
                if completed && created.is_some_and(|c| c <= t) {
                    points.push(RecoveryPointInfo {
                        arn: p.recovery_point_arn.unwrap_or_default(),
                        resource_arn: p.resource_arn.unwrap_or_default(),
                        resource_type: p.resource_type.unwrap_or_default(),
                        created,
                    });
                }
            }
            token = resp.next_token;
            if token.is_none() {
                break;
            }
        }
        let newest = newest_per_resource(points);
        if newest.is_empty() {
            // Failing over without a copy is the disaster itself, not a
            // failed runbook: the store is re-pointed at the other region
            // all the same, every layer is skipped below for want of a copy,
            // and the read-back finds them missing there (lost).
            return Ok((
                newest,
                format!("no copy in {region}: no completed recovery point made before {t} was copied there"),
            ));
        }
        let oldest = newest.iter().filter_map(|p| p.created).min();
        let d = format!(
            "{} resources, oldest copy {}",
            newest.len(),
            oldest.map(|o| o.to_rfc3339()).unwrap_or_default()
        );
        Ok((newest, d))
    }
    .await;
    ctx.finish(step, r)
}

/// Restores `points` with the `remote` clients (`StartRestoreJob` of each
/// into new `-dr` resources), waits for the jobs and the tables, and
/// re-points the store at the clients' region; a layer without a point is
/// a skipped step.
#[allow(non_snake_case, reason = "RB reads as the constant it replaced")]
async fn restore_points(
    ctx: &mut RecoveryContext<'_>,
    RB: &'static str,
    remote: &Clients,
    points: Vec<RecoveryPointInfo>,
) -> anyhow::Result<()> {
    let region = remote.region.clone();
    let same_region = region == ctx.store.region;
    let names = ctx.store.names.clone();
    let account = points
        .iter()
        .find_map(|p| {
            arn_account(&p.arn)
                .or(arn_account(&p.resource_arn))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "000000000000".into());
    let mut new_names = names.clone();
    let mut jobs = Vec::new();
    // A replica promoted in that region already serves the orders.
    let db_already_there = names.db_region.as_deref() == Some(region.as_str());
    for p in &points {
        let (metadata, what): (HashMap<String, String>, String) = match p.resource_type.as_str() {
            "RDS" if db_already_there => continue,
            "RDS" => {
                let id = format!("{}-dr", names.db_instance);
                new_names.db_instance = id.clone();
                (
                    HashMap::from([("DBInstanceIdentifier".to_owned(), id.clone())]),
                    format!("RDS -> {id}"),
                )
            }
            "DynamoDB" => {
                let source = p.resource_arn.rsplit('/').next().unwrap_or_default().to_owned();
                let id = format!("{source}-dr");
                match names.collection_named(&source) {
                    Some(c) if c.layer() == crate::history::Layer::Dynamodb => new_names.rename(c, &id),
                    _ => continue,
                };
                (
                    HashMap::from([("targetTableName".to_owned(), id.clone())]),
                    format!("DynamoDB {source} -> {id}"),
                )
            }
            "S3" => {
                let source = p.resource_arn.rsplit(':').next().unwrap_or_default().to_owned();
                let id = format!("{source}-{region}");
                match names.collection_named(&source) {
                    Some(c) if c.layer() == crate::history::Layer::S3 => new_names.rename(c, &id),
                    _ => continue,
                };
                (
                    HashMap::from([
                        ("DestinationBucketName".to_owned(), id.clone()),
                        ("NewBucket".to_owned(), "true".to_owned()),
                    ]),
                    format!("S3 {source} -> {id}"),
                )
            }
            _ => continue,
        };
        let step = ctx.begin(RB, format!("start restore job: {what}"));
        let r = remote
            .backup
            .start_restore_job()
            .recovery_point_arn(&p.arn)
            .iam_role_arn(backup_role_arn(&account))
            .resource_type(&p.resource_type)
            .set_metadata(Some(metadata))
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("StartRestoreJob")
            .and_then(|r| {
                r.restore_job_id
                    .ok_or_else(|| anyhow!("StartRestoreJob returned no id"))
            })
            .map(|id| (id.clone(), format!("job {id} from {}", p.arn)));
        let id = ctx.finish(step, r)?;
        jobs.push((id, what));
    }

    for (id, what) in jobs {
        let step = ctx.begin(RB, format!("wait for restore job {id} ({what})"));
        let backup = remote.backup.clone();
        let r = wait_for(
            ctx.target,
            &format!("restore job {id} to complete"),
            &ctx.wait,
            || async {
                let d = backup
                    .describe_restore_job()
                    .restore_job_id(&id)
                    .send()
                    .await
                    .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                use aws_sdk_backup::types::RestoreJobStatus as S;
                match d.status {
                    Some(S::Completed) => Ok(Poll::Ready(d.created_resource_arn.unwrap_or_default())),
                    Some(S::Failed) | Some(S::Aborted) => bail!(
                        "restore job {id} ended {:?}: {}",
                        d.status,
                        d.status_message.unwrap_or_default()
                    ),
                    other => Ok(Poll::Pending(format!("status {other:?}"))),
                }
            },
        )
        .await
        .map(|arn| ((), format!("completed: {arn}")));
        ctx.finish(step, r)?;
    }

    // A restored table answers only once it is ACTIVE: re-point at it then.
    for (_, table) in new_names.dynamodb_tables() {
        if table.ends_with("-dr") {
            let step = ctx.begin(RB, format!("wait for table {table} to be ACTIVE"));
            let r = wait_table_active(ctx.target, &remote.dynamodb, table, &ctx.wait)
                .await
                .map(|_| ((), format!("{table} is ACTIVE in {region}")));
            ctx.finish(step, r)?;
        }
    }

    let step = ctx.begin(RB, format!("re-point the application at {region}"));
    let previous = ctx.store.clone();
    ctx.store.region = region.clone();
    ctx.store.names = new_names.clone();
    ctx.store.versioned.clear();
    ctx.finish(step, Ok(((), format!("store now served from {region}"))))?;
    if db_already_there {
        let step = ctx.begin(RB, format!("orders database {}", new_names.db_instance));
        ctx.store.names.db_region = None;
        ctx.skip(
            step,
            format!("already served from {region} (a promoted read replica): its copies are not restored"),
        );
    } else if new_names.db_instance != names.db_instance {
        repoint_db(ctx, RB, &remote.rds, &new_names.db_instance).await?;
    } else {
        let step = ctx.begin(RB, "orders database");
        ctx.skip(step, "no RDS copy was found in the other region");
        ctx.store.db = previous.db;
    }
    for (_, table) in new_names.dynamodb_tables() {
        if !table.ends_with("-dr") {
            let step = ctx.begin(RB, format!("table {table}"));
            ctx.skip(step, "no copy of this table was found in the other region");
        }
    }
    for ((_, bucket), (_, before)) in new_names.buckets().into_iter().zip(names.buckets()) {
        if bucket == before {
            let step = ctx.begin(RB, format!("bucket {bucket}"));
            ctx.skip(step, "no copy of this bucket was found in the other region");
        }
    }
    reprotect(ctx, RB, remote, &names, &previous.versioned).await?;
    if let Some(cache) = new_names.cache.as_ref().filter(|_| !same_region) {
        let step = ctx.begin(RB, format!("session store {}", cache.replication_group));
        // Its endpoint is in the region left behind: the application in
        // `region` no longer has one, and the read-back looks the group up
        // there (not found: its records are lost, not unknown).
        ctx.store.cache = None;
        ctx.skip(
            step,
            format!(
                "AWS Backup does not copy ElastiCache, and ElastiCache cannot copy a snapshot to another region: nothing in {region} holds the session store, so its sessions and carts are lost unless the team's own runbook seeds it there (export its snapshots to S3 and copy the bucket to {region})"
            ),
        );
    }
    Ok(())
}

/// The step after an AWS Backup restore that a runbook must not forget: a
/// restored table does not inherit point-in-time recovery, nor a restored
/// bucket versioning, so the next disaster would find them bare. Turns PITR
/// on for every table restored into a new name, and versioning on for every
/// new bucket whose original (in `before`) was versioned.
#[allow(non_snake_case, reason = "RB reads as the constant it replaced")]
async fn reprotect(
    ctx: &mut RecoveryContext<'_>,
    RB: &'static str,
    remote: &Clients,
    before: &crate::model::StoreNames,
    versioned: &std::collections::BTreeSet<Collection>,
) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let now = ctx.store.names.clone();
    let tables: Vec<String> = now
        .dynamodb_tables()
        .into_iter()
        .zip(before.dynamodb_tables())
        .filter(|((_, t), (_, b))| t != b)
        .map(|((_, t), _)| t.to_owned())
        .collect();
    let buckets: Vec<(Collection, String)> = now
        .buckets()
        .into_iter()
        .zip(before.buckets())
        .filter(|((c, t), (_, b))| t != b && versioned.contains(c))
        .map(|((c, t), _)| (c, t.to_owned()))
        .collect();
    if tables.is_empty() && buckets.is_empty() {
        return Ok(());
    }
    let step = ctx.begin(
        RB,
        "re-protect what was restored: PITR on the tables, versioning on the buckets",
    );
    let r = async {
        for t in &tables {
            set_table_pitr(&remote.dynamodb, t, true, None).await?;
        }
        for (_, b) in &buckets {
            remote
                .s3
                .put_bucket_versioning()
                .bucket(b)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("PutBucketVersioning {b}"))?;
        }
        let mut done: Vec<String> = tables.iter().map(|t| format!("PITR on {t}")).collect();
        done.extend(buckets.iter().map(|(_, b)| format!("versioning on {b}")));
        Ok(((), done.join(", ")))
    }
    .await;
    ctx.finish(step, r)?;
    ctx.store.versioned.extend(buckets.iter().map(|(c, _)| *c));
    Ok(())
}

/// Keeps the newest recovery point per protected resource.
pub fn newest_per_resource(points: Vec<RecoveryPointInfo>) -> Vec<RecoveryPointInfo> {
    let mut best: BTreeMap<String, RecoveryPointInfo> = BTreeMap::new();
    for p in points {
        let replace = best.get(&p.resource_arn).is_none_or(|b| p.created > b.created);
        if replace {
            best.insert(p.resource_arn.clone(), p);
        }
    }
    best.into_values().collect()
}

/// Restores from the newest nightly snapshot and DynamoDB backups before T.
pub async fn baseline(ctx: &mut RecoveryContext<'_>) -> anyhow::Result<()> {
    const RB: &str = "baseline_snapshot";
    let clients = ctx.clients();
    let t = ctx.restore_to;
    let source = ctx.store.names.db_instance.clone();

    let step = ctx.begin(RB, format!("find the newest snapshot of {source} before T"));
    let r: anyhow::Result<(String, String)> = async {
        let d = clients
            .rds
            .describe_db_snapshots()
            .db_instance_identifier(&source)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("DescribeDBSnapshots")?;
        let newest = d
            .db_snapshots
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.status.as_deref() == Some("available"))
            .filter_map(|s| {
                let created = s.snapshot_create_time.and_then(smithy_to_chrono)?;
                (created <= t).then_some((created, s.db_snapshot_identifier?))
            })
            .max()
            .ok_or_else(|| anyhow!("no available snapshot of {source} was taken before {t}"))?;
        Ok((
            newest.1.clone(),
            format!("{} taken {}", newest.1, newest.0.to_rfc3339()),
        ))
    }
    .await;
    let snapshot = ctx.finish(step, r)?;

    let restored = format!("{source}-snap-{}", suffix(t));
    let step = ctx.begin(RB, format!("restore snapshot {snapshot} to {restored}"));
    let r = clients
        .rds
        .restore_db_instance_from_db_snapshot()
        .db_snapshot_identifier(&snapshot)
        .db_instance_identifier(&restored)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("RestoreDBInstanceFromDBSnapshot")
        .map(|_| {
            (
                (),
                format!("RestoreDBInstanceFromDBSnapshot {snapshot} -> {restored}"),
            )
        });
    ctx.finish(step, r)?;
    repoint_db(ctx, RB, &clients.rds, &restored).await?;

    for (collection, table) in ctx.store.names.clone().dynamodb_tables() {
        let step = ctx.begin(RB, format!("restore {table} from its newest backup before T"));
        let restored = format!("{table}-b{}", suffix(t));
        let ddb = clients.dynamodb.clone();
        let r: anyhow::Result<((), String)> = async {
            let list = ddb
                .list_backups()
                .table_name(table)
                .backup_type(aws_sdk_dynamodb::types::BackupTypeFilter::All)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("ListBackups")?;
            let (created, arn) = list
                .backup_summaries
                .unwrap_or_default()
                .into_iter()
                .filter_map(|b| {
                    let c = b.backup_creation_date_time.and_then(smithy_to_chrono)?;
                    (c <= t).then_some((c, b.backup_arn?))
                })
                .max()
                .ok_or_else(|| anyhow!("no backup of {table} was taken before {t}"))?;
            ddb.restore_table_from_backup()
                .backup_arn(&arn)
                .target_table_name(&restored)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("RestoreTableFromBackup")?;
            Ok(((), format!("{arn} taken {} -> {restored}", created.to_rfc3339())))
        }
        .await;
        ctx.finish(step, r)?;
        let step = ctx.begin(RB, format!("wait for {restored} and re-point"));
        let r = wait_table_active(ctx.target, &ddb, &restored, &ctx.wait).await;
        if r.is_ok() {
            match collection {
                Collection::Carts => ctx.store.names.carts_table = restored.clone(),
                _ => ctx.store.names.sessions_table = restored.clone(),
            }
        }
        ctx.finish(
            step,
            r.map(|_| ((), format!("{collection} now served by {restored}"))),
        )?;
    }
    let step = ctx.begin(RB, "S3 buckets");
    ctx.skip(
        step,
        "no versioning and no backup: objects deleted or overwritten are gone",
    );
    Ok(())
}

/// The outcome of running recovery code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryRun {
    /// Whose recovery code ran.
    pub name: String,
    /// The instant restored to.
    pub restore_to: DateTime<Utc>,
    /// Target clock at the start.
    pub started: DateTime<Utc>,
    /// Target clock at the end.
    pub ended: DateTime<Utc>,
    /// Wall seconds.
    pub wall_seconds: f64,
    /// The checklist.
    pub checklist: Vec<Step>,
    /// The error that stopped it, if any.
    pub error: Option<String>,
}

/// Runs `recovery` against the store and times it.
pub async fn run(
    target: &dyn Target,
    store: &mut Store,
    history: &mut History,
    fault_at: DateTime<Utc>,
    recovery: &dyn Recovery,
    wait: WaitOptions,
) -> RecoveryRun {
    let started = target.now();
    let wall = Instant::now();
    let mut ctx = RecoveryContext::new(target, store, history, fault_at, wait);
    let restore_to = ctx.restore_to;
    let result = recovery.recover(&mut ctx).await;
    let checklist = std::mem::take(&mut ctx.checklist);
    RecoveryRun {
        name: recovery.name().to_owned(),
        restore_to,
        started,
        ended: target.now(),
        wall_seconds: wall.elapsed().as_secs_f64(),
        checklist,
        error: result.err().map(|e| format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        "2026-03-14T15:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
    }

    fn v(id: &str, at: i64, marker: bool, latest: bool) -> ObjectVersion {
        ObjectVersion {
            key: "k".into(),
            version_id: id.into(),
            delete_marker: marker,
            is_latest: latest,
            last_modified: Some(t(at)),
            etag: String::new(),
            size: 0,
        }
    }

    #[test]
    fn restore_point_is_the_whole_second_before_the_fault() {
        let f: DateTime<Utc> = "2026-03-14T15:47:00.250Z".parse().unwrap();
        assert_eq!(
            restore_point(f),
            "2026-03-14T15:46:59Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn rollback_plans_cover_every_case() {
        let at = t(100);
        // Untouched since T.
        assert_eq!(plan_key_rollback(&[v("a", 10, false, true)], at), KeyAction::Keep);
        // Overwritten after T (ransomware): copy the old version.
        assert_eq!(
            plan_key_rollback(&[v("a", 10, false, false), v("b", 200, false, true)], at),
            KeyAction::CopyVersion("a".into())
        );
        // Deleted after T (mass delete): remove the marker.
        assert_eq!(
            plan_key_rollback(&[v("a", 10, false, false), v("m", 200, true, true)], at),
            KeyAction::RemoveMarkers(vec!["m".into()])
        );
        // Overwritten then deleted: copy.
        assert_eq!(
            plan_key_rollback(
                &[
                    v("a", 10, false, false),
                    v("b", 150, false, false),
                    v("m", 200, true, true)
                ],
                at
            ),
            KeyAction::CopyVersion("a".into())
        );
        // Created after T: delete.
        assert_eq!(
            plan_key_rollback(&[v("b", 150, false, true)], at),
            KeyAction::Delete
        );
        // Deleted before T and still deleted: keep.
        assert_eq!(
            plan_key_rollback(&[v("a", 10, false, false), v("m", 50, true, true)], at),
            KeyAction::Keep
        );
        // Deleted before T, recreated after: delete again.
        assert_eq!(
            plan_key_rollback(
                &[
                    v("a", 10, false, false),
                    v("m", 50, true, false),
                    v("c", 150, false, true)
                ],
                at
            ),
            KeyAction::Delete
        );
    }

    #[test]
    fn newest_point_per_resource_wins() {
        let p = |arn: &str, res: &str, at: i64| RecoveryPointInfo {
            arn: arn.into(),
            resource_arn: res.into(),
            resource_type: "DynamoDB".into(),
            created: Some(t(at)),
        };
        let out = newest_per_resource(vec![p("1", "a", 0), p("2", "a", 10), p("3", "b", 5)]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].arn, "2");
    }

    #[test]
    fn runbooks_parse_and_validate() {
        #[derive(Deserialize)]
        struct W {
            step: Vec<Runbook>,
        }
        let w: W = toml::from_str(
            r#"
            [[step]]
            runbook = "rds_pitr"
            [[step]]
            runbook = "dynamodb_pitr"
            tables = ["carts"]
            cutover = "copy_back"
            [[step]]
            runbook = "s3_rollback"
            [[step]]
            runbook = "promote_replica"
            [[step]]
            runbook = "backup_account_restore"
            "#,
        )
        .unwrap();
        assert_eq!(w.step.len(), 5);
        assert_eq!(
            w.step[4],
            Runbook::BackupAccountRestore {
                account: None,
                region: None
            }
        );
        assert_eq!(w.step[4].name(), "backup_account_restore");
        assert_eq!(w.step[3], Runbook::PromoteReplica);
        assert_eq!(w.step[3].name(), "promote_replica");
        assert!(w.step.iter().all(|r| r.validate().is_ok()));
        let bad = Runbook::DynamodbPitr {
            tables: vec![Collection::Orders],
            cutover: Cutover::Repoint,
        };
        assert!(bad.validate().unwrap_err().to_string().contains("tables"));
    }
}
