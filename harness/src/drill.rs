//! A drill: one scenario played end to end against a target.
//!
//! [`run`] provisions the store under the scenario's policy, seeds it, drives
//! the workload on the target's clock (running the policy's nightly snapshot
//! job and the team's cron when they are due, and any config drift when it
//! is scheduled), stops
//! traffic a few seconds before the first destructive fault so that the
//! recovery point is unambiguous, strikes the faults, waits until the fault
//! is "noticed", runs the recovery (firedrill's runbooks or the user's code),
//! reads the whole store back, checks it against the history, and returns a
//! [`Report`] whose expectation is the scenario's pass condition.
//!
//! The drill needs a simulated clock: a scenario's traffic spans hours of
//! target time that must pass in seconds. A target lacking a capability the
//! scenario needs yields a report whose verdict is unknown and whose
//! expectation fails, saying which capability is missing.

use crate::checker::{self, CheckInput, CheckResult, RecoveryTime, Verdict};
use crate::fault::{Fault, FaultRecord, strike};
use crate::history::{EventKind, History};
use crate::model::read_store;
use crate::policy::{Provisioner, SdkProvisioner};
use crate::recovery::{self, Recovery, RecoveryRun, ScenarioRecovery};
use crate::report::{ExpectationResult, Report, Traffic};
use crate::scenario::{Expectation, Outcome, Scenario, When, format_duration};
use crate::target::Target;
use crate::wait::WaitOptions;
use crate::workload::{
    ExecOptions, ExecStats, Executor, ScheduledJob, generate, schedule_cron, schedule_snapshots,
};
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use std::sync::Arc;
use std::time::Instant;

/// How to run a drill.
#[derive(Clone)]
pub struct DrillOptions {
    /// Stack prefix (default: from the scenario, made unique).
    pub prefix: Option<String>,
    /// Overrides the workload seed.
    pub seed: Option<u64>,
    /// Progress bars on stderr.
    pub progress: bool,
    /// Wait bounds for provisioning, jobs and recovery.
    pub wait: WaitOptions,
    /// Quiet time between the last client operation and the first fault.
    pub quiet_gap: Duration,
    /// Per-operation timeout of the workload client.
    pub op_timeout: std::time::Duration,
    /// The user's provisioning (default: firedrill's SDK provisioning).
    pub provisioner: Option<Arc<dyn Provisioner>>,
    /// The user's recovery (default: the scenario's runbooks).
    pub recovery: Option<Arc<dyn Recovery>>,
    /// After the check, run an AWS Backup restore test over the store's
    /// vault with the checker as its validation ([`crate::restore_testing`]).
    pub restore_testing: bool,
}

impl Default for DrillOptions {
    fn default() -> Self {
        Self {
            prefix: None,
            seed: None,
            progress: false,
            wait: WaitOptions::default(),
            quiet_gap: Duration::seconds(5),
            op_timeout: std::time::Duration::from_secs(10),
            provisioner: None,
            recovery: None,
            restore_testing: false,
        }
    }
}

impl std::fmt::Debug for DrillOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrillOptions")
            .field("prefix", &self.prefix)
            .field("seed", &self.seed)
            .field("progress", &self.progress)
            .field("wait", &self.wait)
            .field("quiet_gap", &self.quiet_gap)
            .field(
                "provisioner",
                &self.provisioner.as_ref().map(|p| p.name().to_owned()),
            )
            .field("recovery", &self.recovery.as_ref().map(|r| r.name().to_owned()))
            .field("restore_testing", &self.restore_testing)
            .finish()
    }
}

/// A unique, valid stack prefix for a scenario.
pub fn default_prefix(scenario: &str) -> String {
    let mut base: String = scenario
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    base.truncate(16);
    let base = base.trim_matches('-').to_owned();
    let nanos = Utc::now().timestamp_subsec_nanos() ^ std::process::id().rotate_left(16);
    let counter = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "fd-{base}-{:05x}",
        (nanos ^ counter.wrapping_mul(0x9E37)) & 0xFFFFF
    )
}

static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Plays `scenario` against `target`.
pub async fn run(target: &dyn Target, scenario: &Scenario, options: &DrillOptions) -> anyhow::Result<Report> {
    let wall = Instant::now();
    let started = Utc::now();
    let policy = scenario.policy()?;
    let mut spec = scenario.workload.spec();
    if let Some(seed) = options.seed {
        spec.seed = seed;
    }
    let prefix = options
        .prefix
        .clone()
        .or(scenario.prefix.clone())
        .unwrap_or_else(|| default_prefix(&scenario.name));
    let names = scenario.store.names(&prefix)?;
    let mut report = Report {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        file: scenario.file.as_ref().map(|f| f.display().to_string()),
        target: target.name().to_owned(),
        policy: policy.name.clone(),
        seed: spec.seed,
        prefix: prefix.clone(),
        started,
        wall_seconds: 0.0,
        traffic: Traffic::default(),
        setup: Vec::new(),
        faults: Vec::new(),
        recovery: None,
        check: CheckResult::unknown("the drill did not run", scenario.expect.targets(), None),
        expectation: ExpectationResult {
            expected: expected_words(&scenario.expect),
            met: false,
            reasons: Vec::new(),
        },
        protection_lost: Vec::new(),
        business: None,
        detection: None,
        events: Vec::new(),
        skipped: None,
        restore_testing: None,
    };

    let missing = target.capabilities().missing(&scenario.requires());
    if !missing.is_empty() {
        let why = format!("target {} lacks {}", target.name(), missing.join(", "));
        report.check = CheckResult::unknown(why.clone(), scenario.expect.targets(), None);
        report.expectation.reasons.push(why.clone());
        report.skipped = Some(why);
        report.wall_seconds = wall.elapsed().as_secs_f64();
        return Ok(report);
    }

    // The timeline on the target's clock.
    let now = target.now();
    let day = scenario
        .day
        .unwrap_or_else(|| (now + Duration::days(1)).date_naive());
    let start = match scenario.workload.start {
        When::TimeOfDay(t) => day.and_time(t).and_utc(),
        When::Offset(d) => day.and_time(NaiveTime::MIN).and_utc() + d,
    };
    if start <= now + Duration::minutes(1) {
        bail!("the drill starts at {start}, not after the target's clock ({now}); choose a later `day`");
    }
    let mut faults: Vec<(DateTime<Utc>, &Fault)> = scenario
        .fault_offsets()
        .into_iter()
        .zip(&scenario.fault)
        .map(|(off, f)| (start + off, &f.fault))
        .collect();
    faults.sort_by_key(|(at, _)| *at);
    let first_destructive = faults
        .iter()
        .find(|(_, f)| f.destructive())
        .map(|(at, _)| *at)
        .context("the scenario has no destructive fault")?;
    let traffic_end = first_destructive - options.quiet_gap;

    // Provision shortly before traffic: a backup plan created long before it
    // would have hours of scheduled runs to catch up on.
    advance_to(target, start - Duration::minutes(20)).await?;

    // Provision and seed.
    let provisioner: Arc<dyn Provisioner> = options
        .provisioner
        .clone()
        .unwrap_or_else(|| Arc::new(SdkProvisioner { wait: options.wait }));
    let mut store = provisioner
        .provision(target, &policy, &names)
        .await
        .with_context(|| format!("provisioning with {}", provisioner.name()))?;
    if let Some(command) = scenario.policy.command() {
        let (step, outcome) =
            crate::team::run_policy_command(target, &store, &command, scenario.dir().as_deref()).await;
        report.setup.push(step);
        if let Err(e) = outcome {
            let why = format!("the team's backup configuration failed: {e:#}");
            report.check = CheckResult::unknown(why.clone(), scenario.expect.targets(), None);
            report.expectation.reasons.push(why);
            report.wall_seconds = wall.elapsed().as_secs_f64();
            return Ok(report);
        }
    }
    // What guards each layer now, whoever configured it: the checker reads
    // object versions where versioning is really on.
    let guarded = crate::protection::read(target, &store).await;
    store.versioned = guarded
        .buckets
        .iter()
        .filter(|(_, (_, on))| *on == Some(true))
        .map(|(c, _)| *c)
        .collect();
    tracing::info!(
        phase = "provisioned",
        wall_s = wall.elapsed().as_secs_f64(),
        "drill phase"
    );
    let mut history = History::new();
    if scenario.store.orders_preloaded > 0 {
        preload_past_orders(target, &mut store, scenario.store.orders_preloaded, &mut history).await?;
        tracing::info!(
            phase = "preloaded",
            orders = scenario.store.orders_preloaded,
            wall_s = wall.elapsed().as_secs_f64(),
            "drill phase"
        );
    }
    let plan = generate(&spec, start, traffic_end - start);
    let mut stats = ExecStats::default();
    let exec = ExecOptions {
        op_timeout: options.op_timeout,
        progress: options.progress,
        wait: options.wait,
    };
    let mut executor = Executor::new(target, &store, exec);
    if target.now() < start - Duration::seconds(2) {
        target
            .advance(start - Duration::seconds(2) - target.now())
            .await?;
    }
    executor
        .run(&plan.seed, &[], None, &mut history, &mut stats)
        .await
        .context("seeding the store")?;
    for op in &history.ops().to_vec() {
        if op.outcome != crate::history::Outcome::Ok {
            bail!("seeding failed: {} {:?}", op.kind.name(), op.error);
        }
    }

    // Traffic, with scheduled jobs and non-destructive faults in between.
    let mut jobs: Vec<ScheduledJob> = policy
        .snapshot_job
        .as_ref()
        .map(|j| schedule_snapshots(j, start, traffic_end))
        .unwrap_or_default();
    jobs.extend(schedule_cron(
        scenario.policy.cron(),
        scenario.dir().as_deref(),
        start,
        traffic_end,
    ));
    jobs.sort_by_key(|j| j.at);
    history.event(target.now().max(start), EventKind::TrafficStart);
    let mut records: Vec<FaultRecord> = Vec::new();
    let mut traffic = TrafficRun {
        executor: &mut executor,
        target,
        store: &store,
        ops: &plan.ops,
        jobs: &jobs,
        next: 0,
        from: start,
        alarm: policy.alarm.as_ref().map(|_| store.names.backup_alarm()),
        watch: None,
    };
    for (at, fault) in faults
        .iter()
        .filter(|(at, f)| !f.destructive() && *at < traffic_end)
    {
        traffic
            .run_until(*at, &mut history, &mut stats, &mut records)
            .await?;
        advance_to(target, *at).await?;
        records.push(strike(target, &store, fault, &mut history, spec.seed).await?);
        if fault.fixed_on_alarm() && traffic.alarm.is_some() {
            traffic.watch = Some((records.len() - 1, fault));
        }
    }
    traffic
        .run_until(traffic_end, &mut history, &mut stats, &mut records)
        .await?;
    history.event(target.now(), EventKind::TrafficEnd);
    tracing::info!(
        phase = "traffic",
        ops = plan.ops.len(),
        wall_s = wall.elapsed().as_secs_f64(),
        "drill phase"
    );
    drop(executor);

    // Whether anyone could have known, before the incident, that the
    // backups were failing.
    let watched = policy.alarm.is_some()
        || faults
            .iter()
            .any(|(_, f)| matches!(f, Fault::BackupJobFailures { .. }));
    if watched {
        let fixed_at = records.iter().filter_map(|r| r.fixed_at).min();
        match crate::detection::read(target, &store, &policy, start, first_destructive, fixed_at).await {
            Ok(d) => {
                tracing::info!(detection = %d.sentence(), "detection");
                report.detection = Some(d);
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "could not read whether the backup alarm fired")
            }
        }
    }

    // The faults.
    for (at, fault) in faults
        .iter()
        .filter(|(at, f)| f.destructive() || *at >= traffic_end)
    {
        // Keep the quiet gap in the target's actual time too: operations take
        // real time, so the last one may have completed later than planned.
        let quiet_from = history.ops().iter().map(|o| o.complete).max().unwrap_or(start) + options.quiet_gap;
        advance_to(target, (*at).max(quiet_from)).await?;
        records.push(strike(target, &store, fault, &mut history, spec.seed).await?);
    }
    let fault_at = history.first_fault().context("no destructive fault struck")?;
    advance_to(target, fault_at + scenario.recovery.detect_after.0).await?;

    // Recovery. The store as provisioned stays for a restore test.
    let provisioned = store.clone();
    let recovery: Arc<dyn Recovery> = options
        .recovery
        .clone()
        .unwrap_or_else(|| Arc::new(ScenarioRecovery::of(scenario)));
    let run: RecoveryRun = recovery::run(
        target,
        &mut store,
        &mut history,
        fault_at,
        recovery.as_ref(),
        options.wait,
    )
    .await;
    let rto = run.error.is_none().then(|| RecoveryTime {
        simulated_seconds: (run.ended - fault_at).num_milliseconds() as f64 / 1000.0,
        wall_seconds: run.wall_seconds,
    });

    tracing::info!(
        phase = "recovered",
        wall_s = wall.elapsed().as_secs_f64(),
        "drill phase"
    );
    // Read back, heal, check.
    let snapshot = read_store(target, &store).await;
    if run.error.is_none() {
        let after = crate::protection::read(target, &store).await;
        report.protection_lost = crate::protection::lost(&guarded, &after);
    }
    for (_, f) in &faults {
        if let Fault::RegionOutage { region } = f {
            let region = region
                .clone()
                .unwrap_or_else(|| target.primary_region().to_owned());
            if let Err(e) = target.set_region_outage(&region, false).await {
                tracing::warn!(%region, error = %e, "could not end the region outage");
            }
        }
    }
    let targets = scenario.expect.targets();
    report.check = match &snapshot {
        Ok(snapshot) => checker::check(CheckInput {
            history: &history,
            fault_at: Some(fault_at),
            snapshot,
            rto,
            targets,
        }),
        Err(e) => CheckResult::unknown(format!("reading the store back failed: {e:#}"), targets, rto),
    };
    report.check.accepted_loss = crate::accepted::assess(&report.check, &scenario.expect.accepted_seconds());
    if let Some(r) = rto {
        report.check.rto_band = match target.timings().await {
            Ok(Some(timings)) => Some(crate::restore_time::band(
                &timings,
                fault_at,
                run.ended,
                r.simulated_seconds,
            )),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the restore-time model's log; the RTO has no band");
                None
            }
        };
    }
    if let (Some(business), Ok(snapshot)) = (&scenario.business, &snapshot) {
        report.business = Some(crate::business::impact(
            business,
            &history,
            fault_at,
            snapshot,
            &report.check,
        ));
    }
    tracing::info!(
        phase = "checked",
        wall_s = wall.elapsed().as_secs_f64(),
        "drill phase"
    );
    report.expectation = evaluate(
        &scenario.expect,
        &report.check,
        run.error.as_deref(),
        &report.protection_lost,
    );
    let (detected, reasons) = crate::detection::evaluate(&scenario.expect, report.detection.as_ref());
    report.expectation.met &= detected;
    report.expectation.reasons.extend(reasons);
    if options.restore_testing {
        report.restore_testing =
            Some(crate::restore_testing::run(target, &provisioned, &history, &options.wait).await);
    }
    report.traffic = Traffic::from_history(&history);
    report.faults = records;
    report.recovery = Some(run);
    report.events = history.events().to_vec();
    report.wall_seconds = wall.elapsed().as_secs_f64();
    tracing::info!(scenario = %scenario.name, passed = report.passed(), verdict = %report.check.verdict, "drill done");
    Ok(report)
}

/// The traffic between faults, and the team watching the backup alarm: while
/// a fault waits for its fix (`fix = "on_alarm"`), the traffic runs in
/// slices of an hour and after each one the alarm's history is read; once
/// it has fired, the fault is healed there and then.
struct TrafficRun<'e, 'a, 's> {
    executor: &'e mut Executor<'a>,
    target: &'a dyn Target,
    store: &'a crate::model::Store,
    ops: &'a [crate::workload::PlannedOp],
    jobs: &'a [ScheduledJob],
    /// The next operation to apply.
    next: usize,
    /// Where the traffic stands: the end of the last segment.
    from: DateTime<Utc>,
    /// The policy's backup alarm, when it has one.
    alarm: Option<String>,
    /// The fault waiting for its fix: its record's index, the fault.
    watch: Option<(usize, &'s Fault)>,
}

/// How often the team looks at the backup alarm while a fault awaits its fix.
const WATCH_EVERY: Duration = Duration::hours(1);

impl TrafficRun<'_, '_, '_> {
    async fn run_until(
        &mut self,
        until: DateTime<Utc>,
        history: &mut History,
        stats: &mut ExecStats,
        records: &mut [FaultRecord],
    ) -> anyhow::Result<()> {
        loop {
            let end = match self.watch {
                Some(_) => (self.from + WATCH_EVERY).min(until),
                None => until,
            };
            let last = end >= until;
            let window: Vec<ScheduledJob> = self
                .jobs
                .iter()
                .filter(|j| j.at >= self.from && (last || j.at < end))
                .cloned()
                .collect();
            self.next += self
                .executor
                .run(&self.ops[self.next..], &window, Some(end), history, stats)
                .await?;
            self.from = end;
            if last {
                return Ok(());
            }
            advance_to(self.target, end).await?;
            self.look_at_the_alarm(history, records).await?;
        }
    }

    /// Reads the alarm's history; once it has fired since the watched fault
    /// struck, heals the fault and notes when.
    async fn look_at_the_alarm(
        &mut self,
        history: &mut History,
        records: &mut [FaultRecord],
    ) -> anyhow::Result<()> {
        let (Some((idx, fault)), Some(alarm)) = (self.watch, &self.alarm) else {
            return Ok(());
        };
        let Some(record) = records.get_mut(idx) else {
            return Ok(());
        };
        let clients = self.store.clients(self.target);
        let items = crate::detection::alarm_history(&clients.cloudwatch, alarm).await?;
        let Some(fired) = crate::detection::first_alarm(&items, record.struck_at) else {
            return Ok(());
        };
        let detail = crate::fault::heal(self.target, self.store, fault, history)
            .await
            .with_context(|| format!("fixing {} after alarm {alarm} fired at {fired}", fault.name()))?;
        record.fixed_at = Some(self.target.now());
        record.fix_detail = Some(detail);
        self.watch = None;
        Ok(())
    }
}

/// Writes `count` past orders into the orders database before the traffic
/// ([`crate::store::archive`]) and records the range in the history, once.
async fn preload_past_orders(
    target: &dyn Target,
    store: &mut crate::model::Store,
    count: u64,
    history: &mut History,
) -> anyhow::Result<()> {
    use crate::store::archive;
    let mut db = store
        .orders_db(target)
        .await
        .context("connecting to preload past orders")?;
    let digest = archive::preload(&mut db, count)
        .await
        .with_context(|| format!("preloading {count} past orders"))?;
    store.preloaded = true;
    history.event(
        target.now(),
        EventKind::Preloaded {
            table: archive::TABLE.to_owned(),
            first_id: archive::order_id(1),
            last_id: archive::order_id(count),
            digest,
        },
    );
    Ok(())
}

async fn advance_to(target: &dyn Target, at: DateTime<Utc>) -> anyhow::Result<()> {
    let now = target.now();
    if at > now {
        target.advance(at - now).await?;
    }
    Ok(())
}

/// Whether the only loss is the loss the scenario accepts: some layer's
/// loss within its accepted window and everything else recovered.
fn expected_loss_only(expect: &Expectation, check: &CheckResult) -> bool {
    check.verdict == Verdict::Invalid
        && !expect.accepted_rpo.is_empty()
        && crate::accepted::residual_ok(check, &check.accepted_loss, check.targets.rpo_seconds)
}

fn expected_words(e: &Expectation) -> String {
    let mut words = match e.outcome {
        Outcome::Recovered => {
            let mut s = format!(
                "recovered within RPO {} and RTO {}",
                format_duration(e.rpo.0),
                format_duration(e.rto.0)
            );
            for (layer, span) in &e.accepted_rpo {
                s.push_str(&format!(
                    ", accepting {layer} loss up to {}",
                    format_duration(span.0)
                ));
            }
            s
        }
        Outcome::DataLoss => {
            let mut s = format!(
                "data loss of at least {} records",
                e.min_lost_records.unwrap_or(1)
            );
            if let Some(a) = e.rpo_at_least {
                s.push_str(&format!(", RPO at least {}", format_duration(a.0)));
            }
            if let Some(b) = e.rpo_at_most {
                s.push_str(&format!(", RPO at most {}", format_duration(b.0)));
            }
            s
        }
        Outcome::ProtectionLost => "every record back, but a guard lost by the recovery".to_owned(),
    };
    match (e.alarm_fired, e.detection_at_most) {
        (_, Some(d)) => words.push_str(&format!(
            ", the backup alarm firing within {} of the first failed job",
            format_duration(d.0)
        )),
        (Some(true), None) => words.push_str(", the backup alarm firing"),
        (Some(false), None) => words.push_str(", no backup alarm firing"),
        (None, None) => {}
    }
    words
}

/// Whether the checker's findings meet the expectation (pure).
pub fn evaluate(
    expect: &Expectation,
    check: &CheckResult,
    recovery_error: Option<&str>,
    protection_lost: &[crate::protection::ProtectionLost],
) -> ExpectationResult {
    let mut reasons = Vec::new();
    let rpo = check.rpo.seconds;
    let met = match expect.outcome {
        Outcome::Recovered if expected_loss_only(expect, check) => {
            if let Some(e) = recovery_error {
                reasons.push(format!("the recovery failed: {e}"));
            }
            for a in &check.accepted_loss {
                reasons.push(crate::accepted::sentence(a));
            }
            reasons.push("every other layer is back, nothing else is".into());
            if !check.rto_met {
                reasons.push(match check.rto {
                    Some(r) => format!(
                        "RTO {:.0} s exceeds the objective {:.0} s",
                        r.simulated_seconds, check.targets.rto_seconds
                    ),
                    None => "RTO not measured: the recovery did not complete".into(),
                });
            }
            for p in protection_lost {
                reasons.push(format!("protection lost: {}", p.finding));
            }
            recovery_error.is_none() && check.rto_met && protection_lost.is_empty()
        }
        Outcome::Recovered => {
            if let Some(e) = recovery_error {
                reasons.push(format!("the recovery failed: {e}"));
            }
            for a in &check.accepted_loss {
                reasons.push(crate::accepted::sentence(a));
            }
            match check.verdict {
                Verdict::Valid => reasons.push("every acknowledged write is back, nothing else is".into()),
                Verdict::Invalid => reasons.push(format!(
                    "not recovered: {} records and {} acknowledged writes lost, {} corrupted, {} resurrected, {} orphans",
                    check.rpo.records_lost,
                    check.rpo.writes_lost,
                    check.layers.iter().map(|l| l.corrupted).sum::<u64>(),
                    check.layers.iter().map(|l| l.resurrected).sum::<u64>(),
                    check.cross_layer.len()
                )),
                Verdict::Unknown => reasons.push(format!("unknown: {}", check.unknown.join("; "))),
            }
            if !check.rpo_met {
                reasons.push(format!(
                    "RPO {:.0} s exceeds the objective {:.0} s",
                    rpo, check.targets.rpo_seconds
                ));
            }
            if !check.rto_met {
                match check.rto {
                    Some(r) => reasons.push(format!(
                        "RTO {:.0} s exceeds the objective {:.0} s",
                        r.simulated_seconds, check.targets.rto_seconds
                    )),
                    None => reasons.push("RTO not measured: the recovery did not complete".into()),
                }
            }
            for p in protection_lost {
                reasons.push(format!("protection lost: {}", p.finding));
            }
            recovery_error.is_none()
                && check.verdict == Verdict::Valid
                && check.rpo_met
                && check.rto_met
                && protection_lost.is_empty()
        }
        Outcome::ProtectionLost => {
            if let Some(e) = recovery_error {
                reasons.push(format!("the recovery failed: {e}"));
            }
            match check.verdict {
                Verdict::Valid => reasons.push("every acknowledged write is back".into()),
                Verdict::Invalid => reasons.push(format!(
                    "data was lost too: {} records, {} acknowledged writes",
                    check.rpo.records_lost, check.rpo.writes_lost
                )),
                Verdict::Unknown => reasons.push(format!("unknown: {}", check.unknown.join("; "))),
            }
            if protection_lost.is_empty() {
                reasons.push("no guard was lost, but a lost one was expected".into());
            }
            for p in protection_lost {
                reasons.push(format!("protection lost, as expected: {}", p.finding));
            }
            recovery_error.is_none() && check.verdict == Verdict::Valid && !protection_lost.is_empty()
        }
        Outcome::DataLoss => {
            let min = expect.min_lost_records.unwrap_or(1);
            let mut ok = check.verdict == Verdict::Invalid;
            if check.verdict == Verdict::Unknown {
                reasons.push(format!("unknown: {}", check.unknown.join("; ")));
            } else if check.verdict == Verdict::Valid {
                reasons.push("no data was lost, but loss was expected".into());
            }
            if check.rpo.records_lost < min {
                ok = false;
                reasons.push(format!(
                    "{} records lost, expected at least {min}",
                    check.rpo.records_lost
                ));
            } else {
                reasons.push(format!(
                    "{} records and {} acknowledged writes lost, as expected",
                    check.rpo.records_lost, check.rpo.writes_lost
                ));
            }
            if let Some(a) = expect.rpo_at_least
                && rpo < a.0.num_seconds() as f64
            {
                ok = false;
                reasons.push(format!(
                    "RPO {rpo:.0} s is below the expected {} s",
                    a.0.num_seconds()
                ));
            }
            if let Some(b) = expect.rpo_at_most
                && rpo > b.0.num_seconds() as f64
            {
                ok = false;
                reasons.push(format!(
                    "RPO {rpo:.0} s is above the expected {} s",
                    b.0.num_seconds()
                ));
            }
            reasons.push(format!(
                "measured RPO {}",
                format_duration(Duration::seconds(rpo as i64))
            ));
            ok
        }
    };
    ExpectationResult {
        expected: expected_words(expect),
        met,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{Rpo, Targets};
    use crate::scenario::Span;

    fn expect(outcome: Outcome) -> Expectation {
        Expectation {
            outcome,
            rpo: Span(Duration::minutes(5)),
            rto: Span(Duration::minutes(30)),
            min_lost_records: None,
            rpo_at_least: None,
            rpo_at_most: None,
            accepted_rpo: Default::default(),
            alarm_fired: None,
            detection_at_most: None,
        }
    }

    fn result(verdict: Verdict, records_lost: u64, rpo_seconds: f64, rto: f64) -> CheckResult {
        let mut c = CheckResult::unknown("x", Targets::default(), None);
        c.verdict = verdict;
        c.unknown.clear();
        c.rpo = Rpo {
            seconds: rpo_seconds,
            records_lost,
            writes_lost: records_lost,
            earliest_lost: None,
            observed_recovery_point: None,
        };
        c.rpo_met = rpo_seconds <= 300.0 && verdict != Verdict::Unknown;
        c.rto = Some(RecoveryTime {
            simulated_seconds: rto,
            wall_seconds: 1.0,
        });
        c.rto_met = rto <= 1800.0;
        c
    }

    fn evaluate_plain(e: &Expectation, c: &CheckResult, err: Option<&str>) -> ExpectationResult {
        evaluate(e, c, err, &[])
    }

    #[test]
    fn recovered_needs_its_guards_back() {
        let e = expect(Outcome::Recovered);
        let lost = crate::protection::ProtectionLost {
            collection: crate::history::Collection::Carts,
            resource: "carts-r1".into(),
            finding: "point-in-time recovery is off on carts-r1".into(),
        };
        let r = evaluate(&e, &result(Verdict::Valid, 0, 0.0, 600.0), None, &[lost]);
        assert!(!r.met);
        assert!(
            r.reasons
                .iter()
                .any(|x| x.contains("protection lost: point-in-time recovery is off"))
        );
    }

    #[test]
    fn recovered_needs_valid_and_both_objectives() {
        let e = expect(Outcome::Recovered);
        assert!(evaluate_plain(&e, &result(Verdict::Valid, 0, 0.0, 600.0), None).met);
        assert!(
            !evaluate_plain(&e, &result(Verdict::Valid, 0, 0.0, 2400.0), None).met,
            "RTO missed"
        );
        assert!(!evaluate_plain(&e, &result(Verdict::Invalid, 3, 100.0, 600.0), None).met);
        assert!(!evaluate_plain(&e, &result(Verdict::Unknown, 0, 0.0, 600.0), None).met);
        let r = evaluate_plain(&e, &result(Verdict::Valid, 0, 0.0, 600.0), Some("boom"));
        assert!(!r.met && r.reasons[0].contains("boom"));
    }

    #[test]
    fn data_loss_needs_loss_within_bounds() {
        let mut e = expect(Outcome::DataLoss);
        e.min_lost_records = Some(10);
        e.rpo_at_least = Some(Span(Duration::hours(12)));
        e.rpo_at_most = Some(Span(Duration::hours(13)));
        let rpo = 12.78 * 3600.0;
        assert!(evaluate_plain(&e, &result(Verdict::Invalid, 120, rpo, 600.0), None).met);
        assert!(
            !evaluate_plain(&e, &result(Verdict::Invalid, 5, rpo, 600.0), None).met,
            "too few"
        );
        assert!(
            !evaluate_plain(&e, &result(Verdict::Invalid, 120, 3600.0, 600.0), None).met,
            "RPO too small"
        );
        assert!(
            !evaluate_plain(&e, &result(Verdict::Valid, 0, 0.0, 600.0), None).met,
            "no loss"
        );
        assert!(
            !evaluate_plain(&e, &result(Verdict::Unknown, 120, rpo, 600.0), None).met,
            "unknown never passes"
        );
        assert!(expected_words(&e).contains("RPO at least 12h"));
    }

    #[test]
    fn prefixes_are_valid_and_unique() {
        let a = default_prefix("Flash Sale: corrupted orders!");
        let b = default_prefix("Flash Sale: corrupted orders!");
        assert_ne!(a, b);
        for p in [a, b, default_prefix("x"), default_prefix(&"y".repeat(80))] {
            crate::model::StoreNames::new(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        }
    }
}
