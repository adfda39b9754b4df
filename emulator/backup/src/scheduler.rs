//! What AWS Backup does as the emulator clock moves: scheduled runs of
//! plan rules, job completion, copy actions and lifecycle expiry.
//!
//! On each tick, for every region that is not in an outage:
//!
//! 1. each rule of each active plan fires at every cron instant passed
//!    since the last tick, oldest first (a jump of a day fires all 24 runs
//!    of an hourly rule). Each run evaluates the plan's selections against
//!    the resources the providers list *now*, so a newly tagged resource
//!    joins with no change to the plan, and creates one backup job per
//!    selected resource, stamped with the run's cron instant. The job starts
//!    at that instant and the provider's backup is called then, during the
//!    tick: the data captured is the resource as the provider returns it at
//!    that call, which after a jump is later than the stamped instant.
//!    Instants that fell while the region was dark and whose start window
//!    has passed give EXPIRED jobs, as on AWS. Rules of a plan firing at the
//!    same instant make one backup, for the rule with the longest retention.
//! 2. jobs whose `backup_job_duration` has passed complete: the recovery
//!    point appears in the vault, and the rule's copy actions start copy
//!    jobs into the destination vaults (their own regions); copies and
//!    restores complete in turn, each after its restore-time model duration.
//! 3. restore testing plans that are due start their restore jobs, and
//!    what earlier restore tests restored is deleted once validated or
//!    past its validation window ([`crate::engine::restore_test_runs`]).
//! 4. recovery points past their lifecycle's `DeleteAt` go DELETING, the
//!    provider frees their data, and they are gone (EXPIRED, with the
//!    provider's message, if the data could not be freed).

// Dates meet client numbers here: no operator that can overflow or panic
// (`DateTime + TimeDelta`, unchecked integer arithmetic); see `crate::time`.
#![warn(clippy::arithmetic_side_effects)]

use crate::engine::{Engine, SYSTEM_PRINCIPAL};
use crate::model::*;
use crate::provider::{ProtectedResource, RecoveryPointData};
use crate::selection::selects;
use crate::time::{after_minutes, before_days, saturating_after};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};

/// The most runs of one rule handled in one tick; the rest wait for the next.
const MAX_RUNS_PER_RULE_PER_TICK: usize = 10_000;

/// How long AWS Backup keeps the history of ended jobs.
pub const JOB_HISTORY_DAYS: i64 = 30;

/// The most distinct tick-failure causes remembered; past it, new causes
/// are logged at debug level only, so the memory stays bounded.
const MAX_REMEMBERED_FAULTS: usize = 1024;

/// The causes of tick failures already logged. Work the tick cannot do (an
/// instant past what chrono can hold) is skipped, the cause is logged once
/// at error level, and the rest of the tick goes on.
#[derive(Debug, Default)]
pub struct TickFaults {
    seen: Mutex<BTreeSet<String>>,
}

impl TickFaults {
    /// Logs `cause` once; answers whether it was new.
    pub fn report(&self, cause: String) -> bool {
        let mut seen = self.seen.lock();
        let new = !seen.contains(&cause) && seen.len() < MAX_REMEMBERED_FAULTS;
        if new {
            tracing::error!(%cause, "the AWS Backup tick skipped work it cannot do (logged once per cause)");
            seen.insert(cause);
        } else {
            tracing::debug!(%cause, "the AWS Backup tick skipped work it cannot do");
        }
        new
    }
}

/// One scheduled run of one rule.
#[derive(Debug, Clone)]
struct Run {
    region: String,
    instant: DateTime<Utc>,
    plan: Plan,
    rule: Rule,
    missed: bool,
}

/// Rules of one plan that fire at the same instant make one backup, for the
/// rule with the longest retention (no `DeleteAfterDays` is longest), as
/// AWS does ("if the time frames of two rules overlap, AWS Backup takes a
/// backup for the rule with the longer retention time"); the other rules'
/// copy actions do not run. Overlap is judged by the scheduled instant;
/// AWS also weighs the start windows, which firedrill does not. A
/// continuous rule and a snapshot rule both run.
fn merge_overlapping_rules(runs: &mut Vec<(DateTime<Utc>, Rule, bool)>) {
    let retention = |r: &Rule| {
        r.lifecycle
            .as_ref()
            .and_then(|l| l.delete_after_days)
            .unwrap_or(i64::MAX)
    };
    // Stable: among equal retentions the rule listed first in the plan wins.
    // Continuous and snapshot rules do not merge with each other.
    runs.sort_by_key(|(t, r, _)| (*t, r.enable_continuous_backup));
    let mut merged: Vec<(DateTime<Utc>, Rule, bool)> = Vec::with_capacity(runs.len());
    for run in runs.drain(..) {
        match merged.last_mut() {
            Some(last)
                if last.0 == run.0 && last.1.enable_continuous_backup == run.1.enable_continuous_backup =>
            {
                if retention(&run.1) > retention(&last.1) {
                    *last = run;
                }
            }
            _ => merged.push(run),
        }
    }
    *runs = merged;
}

impl Engine {
    /// Acts on the clock having reached `now`.
    pub async fn tick(&self, now: DateTime<Utc>) {
        self.run_schedules(now).await;
        self.advance_jobs(now).await;
        let regions = self.available_regions();
        self.run_restore_tests(now, &regions).await;
        self.delete_restore_test_resources(now, &regions).await;
        self.expire_recovery_points(now).await;
        self.prune_job_history(now);
    }

    /// Forgets ended jobs older than AWS's 30 days of job history (what
    /// `ListBackupJobs`, `ListCopyJobs` and `ListRestoreJobs` return), so the
    /// state stays bounded however far the clock runs.
    fn prune_job_history(&self, now: DateTime<Utc>) {
        let Some(horizon) = before_days(now, JOB_HISTORY_DAYS) else {
            self.faults.report(format!(
                "the job history horizon before {now} is not representable"
            ));
            return;
        };
        let old = |done: Option<DateTime<Utc>>| done.is_some_and(|t| t < horizon);
        let mut st = self.state.lock();
        for rs in st.regions.values_mut() {
            rs.backup_jobs
                .retain(|j| !(j.state.is_terminal() && old(j.completion_date)));
            rs.copy_jobs.retain(|j| {
                !(matches!(j.state, JobState::Completed | JobState::Failed) && old(j.completion_date))
            });
            rs.restore_jobs.retain(|j| {
                !(matches!(j.state, JobState::Completed | JobState::Failed) && old(j.completion_date))
            });
        }
    }

    fn available_regions(&self) -> Vec<String> {
        self.env
            .config
            .regions
            .iter()
            .filter(|r| !self.env.outages.is_down(r))
            .cloned()
            .collect()
    }

    fn due_runs(&self, now: DateTime<Utc>) -> Vec<Run> {
        let regions = self.available_regions();
        let mut st = self.state.lock();
        let windows = st.outage_windows.clone();
        let mut runs = Vec::new();
        for region in regions {
            let rs = st.region(&region);
            for plan in rs.plans.values_mut().filter(|p| p.deletion_date.is_none()) {
                let from = plan.schedule_cursor;
                let mut cursor = now;
                let mut plan_runs = Vec::new();
                for rule in &plan.current().rules {
                    let instants = rule
                        .schedule
                        .instants_between(from, now, MAX_RUNS_PER_RULE_PER_TICK);
                    if instants.len() == MAX_RUNS_PER_RULE_PER_TICK
                        && let Some(last) = instants.last()
                    {
                        cursor = cursor.min(*last);
                    }
                    for instant in instants {
                        let in_outage = windows
                            .iter()
                            .any(|(r, s, e)| *r == region && *s <= instant && instant <= *e);
                        // A window that ends past the last representable
                        // instant never ends.
                        let missed = in_outage
                            && after_minutes(instant, rule.start_window_minutes).is_some_and(|end| end < now);
                        plan_runs.push((instant, rule.clone(), missed));
                    }
                }
                plan_runs.retain(|(t, _, _)| *t <= cursor);
                merge_overlapping_rules(&mut plan_runs);
                plan.schedule_cursor = cursor;
                if let Some(last) = plan_runs.iter().filter(|(_, _, m)| !m).map(|(t, _, _)| *t).max() {
                    plan.last_execution_date = Some(plan.last_execution_date.map_or(last, |d| d.max(last)));
                }
                let snapshot = plan.clone();
                for (instant, rule, missed) in plan_runs {
                    runs.push(Run {
                        region: region.clone(),
                        instant,
                        plan: snapshot.clone(),
                        rule,
                        missed,
                    });
                }
            }
        }
        runs.sort_by_key(|r| r.instant);
        runs
    }

    async fn run_schedules(&self, now: DateTime<Utc>) {
        let runs = self.due_runs(now);
        if runs.is_empty() {
            return;
        }
        // The resources of each region, with their tags, read once per tick.
        let mut listed: BTreeMap<String, Vec<(usize, ProtectedResource)>> = BTreeMap::new();
        for run in runs {
            let resources = listed.entry(run.region.clone()).or_insert_with(|| {
                self.providers
                    .iter()
                    .enumerate()
                    .flat_map(|(i, p)| p.list_resources(&run.region).into_iter().map(move |r| (i, r)))
                    .collect()
            });
            let mut seen = BTreeSet::new();
            let chosen: Vec<(usize, ProtectedResource)> = resources
                .iter()
                .filter(|(_, r)| run.plan.selections.values().any(|s| selects(s, r)))
                .filter(|(_, r)| seen.insert(r.arn.clone()))
                .cloned()
                .collect();
            let role = run
                .plan
                .selections
                .values()
                .next()
                .map(|s| s.iam_role_arn.clone())
                .unwrap_or_default();
            for (provider, resource) in chosen {
                let role = run
                    .plan
                    .selections
                    .values()
                    .find(|s| selects(s, &resource))
                    .map(|s| s.iam_role_arn.clone())
                    .unwrap_or_else(|| role.clone());
                self.scheduled_job(&run, provider, &resource, &role).await;
            }
        }
    }

    async fn scheduled_job(&self, run: &Run, provider: usize, resource: &ProtectedResource, role: &str) {
        // `provider` came from enumerating `self.providers`, which never
        // changes after construction; a stray index is a fault, not a panic.
        let Some(resource_provider) = self.providers.get(provider) else {
            self.faults.report(format!(
                "rule {} of plan {} chose a resource of unknown provider {provider}; no job was created",
                run.rule.rule_name, run.plan.id
            ));
            return;
        };
        let resource_type = resource_provider.resource_type().to_owned();
        let supports_continuous = resource_provider.supports_continuous();
        let version = run.plan.current();
        let creator = Creator {
            plan_id: run.plan.id.clone(),
            plan_arn: run.plan.arn.clone(),
            plan_name: version.plan_name.clone(),
            plan_version: version.version_id.clone(),
            rule_id: run.rule.rule_id.clone(),
            rule_name: run.rule.rule_name.clone(),
            rule_cron: run.rule.schedule_expression.clone(),
        };
        let start_by = after_minutes(run.instant, run.rule.start_window_minutes).unwrap_or_else(|| {
            self.faults.report(format!(
                "the start window of rule {} of plan {} ends past the last representable instant; the job never expires",
                run.rule.rule_name, run.plan.id
            ));
            DateTime::<Utc>::MAX_UTC
        });
        let continuous = run.rule.enable_continuous_backup && supports_continuous;
        let duration = self.env.config.timings.backup_job_duration;
        let (job_id, runnable) = {
            let mut st = self.state.lock();
            let rs = st.region(&run.region);
            // A continuous rule keeps one recovery point per resource and
            // vault: the one that exists, or the one a running job is making.
            let existing_continuous = continuous
                .then(|| {
                    rs.recovery_points
                        .values()
                        .find(|rp| {
                            rp.continuous
                                && rp.status == RecoveryPointStatus::Completed
                                && rp.resource_arn == resource.arn
                                && rp.vault_name == run.rule.target_backup_vault_name
                        })
                        .map(|rp| rp.arn.clone())
                        .or_else(|| {
                            rs.backup_jobs
                                .iter()
                                .find(|j| {
                                    j.continuous
                                        && !j.updates_recovery_point
                                        && j.state == BackupJobState::Running
                                        && j.resource_arn == resource.arn
                                        && j.vault_name == run.rule.target_backup_vault_name
                                })
                                .and_then(|j| j.recovery_point_arn.clone())
                        })
                })
                .flatten();
            let vault_arn = rs
                .vaults
                .get(&run.rule.target_backup_vault_name)
                .map(|v| v.arn.clone());
            let encryption_key_arn = rs
                .vaults
                .get(&run.rule.target_backup_vault_name)
                .map(|v| v.encryption_key_arn.clone());
            let mut job = BackupJob {
                id: crate::engine::upper_uuid(),
                region: run.region.clone(),
                vault_name: run.rule.target_backup_vault_name.clone(),
                vault_arn: vault_arn
                    .clone()
                    .unwrap_or_else(|| self.vault_arn(&run.region, &run.rule.target_backup_vault_name)),
                resource_arn: resource.arn.clone(),
                resource_type: resource_type.clone(),
                resource_name: resource.name.clone(),
                iam_role_arn: role.to_owned(),
                state: BackupJobState::Created,
                status_message: None,
                creation_date: run.instant,
                start_by,
                started: None,
                expected_completion_date: None,
                completion_date: None,
                completion_window_minutes: run.rule.completion_window_minutes,
                lifecycle: run.rule.lifecycle.clone(),
                recovery_point_arn: None,
                size_bytes: 0,
                created_by: Some(creator),
                provider,
                data: None,
                recovery_point_tags: run.rule.recovery_point_tags.clone(),
                copy_actions: run.rule.copy_actions.clone(),
                continuous,
                updates_recovery_point: false,
                idempotency_token: None,
                principal: SYSTEM_PRINCIPAL.to_owned(),
                backup_options: BTreeMap::new(),
                encryption_key_arn,
            };
            let runnable = if run.missed {
                job.state = BackupJobState::Expired;
                job.status_message = Some(
                    "The backup job did not start within its start window: the region was unavailable"
                        .to_owned(),
                );
                job.completion_date = Some(start_by);
                false
            } else if vault_arn.is_none() {
                job.state = BackupJobState::Failed;
                job.status_message = Some(format!(
                    "Backup vault {} does not exist",
                    run.rule.target_backup_vault_name
                ));
                job.completion_date = Some(run.instant);
                false
            } else if let Some(arn) = existing_continuous {
                // The continuous backup goes on: the job updates its recovery point.
                job.state = BackupJobState::Running;
                job.started = Some(run.instant);
                job.expected_completion_date = Some(saturating_after(run.instant, duration));
                job.recovery_point_arn = Some(arn.clone());
                job.updates_recovery_point = true;
                job.size_bytes = rs.recovery_points.get(&arn).map(|rp| rp.size_bytes).unwrap_or(0);
                false
            } else {
                true
            };
            let id = job.id.clone();
            rs.backup_jobs.push(job);
            (id, runnable)
        };
        let started = {
            let mut st = self.state.lock();
            st.region(&run.region)
                .backup_jobs
                .iter()
                .find(|j| j.id == job_id)
                .is_some_and(|j| !j.state.is_terminal())
        };
        let result = if started { "Success" } else { "FAILED" };
        self.audit_result(
            SYSTEM_PRINCIPAL,
            "StartBackupJob",
            &run.region,
            &resource.arn,
            result,
        );
        if runnable {
            self.run_backup_job(&run.region, &job_id, run.instant).await;
        }
    }

    async fn advance_jobs(&self, now: DateTime<Utc>) {
        let regions = self.available_regions();
        // Backup jobs that are done: recovery points appear, copies start.
        let mut copies = Vec::new();
        let mut to_free: Vec<(usize, RecoveryPointData)> = Vec::new();
        let mut events = Vec::new();
        {
            let mut st = self.state.lock();
            for region in &regions {
                let rs = st.region(region);
                let mut new_points = Vec::new();
                let mut updated_points = Vec::new();
                for job in rs.backup_jobs.iter_mut() {
                    if job.state != BackupJobState::Running {
                        continue;
                    }
                    let (Some(done_at), Some(started)) = (job.expected_completion_date, job.started) else {
                        continue;
                    };
                    if done_at > now {
                        continue;
                    }
                    if job.updates_recovery_point {
                        let Some(arn) = job.recovery_point_arn.clone() else {
                            continue;
                        };
                        job.state = BackupJobState::Completed;
                        job.completion_date = Some(done_at);
                        events.push((
                            job.principal.clone(),
                            region.clone(),
                            job.resource_arn.clone(),
                            "Success",
                        ));
                        updated_points.push((job.clone(), arn));
                        continue;
                    }
                    let Some(data) = job.data.take() else { continue };
                    if !rs.vaults.contains_key(&job.vault_name) {
                        job.state = BackupJobState::Failed;
                        job.status_message = Some(format!("Backup vault {} was deleted", job.vault_name));
                        job.completion_date = Some(done_at);
                        to_free.push((job.provider, data));
                        events.push((
                            job.principal.clone(),
                            region.clone(),
                            job.resource_arn.clone(),
                            "FAILED",
                        ));
                        continue;
                    }
                    let deadline = after_minutes(started, job.completion_window_minutes).unwrap_or_else(|| {
                        self.faults.report(format!(
                            "the completion window of backup job {} ends past the last representable instant; the job never expires",
                            job.id
                        ));
                        DateTime::<Utc>::MAX_UTC
                    });
                    if done_at > deadline {
                        job.state = BackupJobState::Expired;
                        job.status_message =
                            Some("The backup job did not complete within its completion window".to_owned());
                        job.completion_date = Some(deadline);
                        to_free.push((job.provider, data));
                        events.push((
                            job.principal.clone(),
                            region.clone(),
                            job.resource_arn.clone(),
                            "EXPIRED",
                        ));
                        continue;
                    }
                    job.state = BackupJobState::Completed;
                    job.completion_date = Some(done_at);
                    job.status_message = None;
                    events.push((
                        job.principal.clone(),
                        region.clone(),
                        job.resource_arn.clone(),
                        "Success",
                    ));
                    let Some(arn) = job.recovery_point_arn.clone() else {
                        continue;
                    };
                    new_points.push((job.clone(), arn, data));
                }
                for (job, arn, data) in new_points {
                    let Some(vault) = rs.vaults.get(&job.vault_name).cloned() else {
                        to_free.push((job.provider, data));
                        continue;
                    };
                    let rp = RecoveryPoint {
                        arn: arn.clone(),
                        region: region.clone(),
                        vault_name: vault.name.clone(),
                        vault_arn: vault.arn.clone(),
                        source_vault_arn: None,
                        resource_arn: job.resource_arn.clone(),
                        resource_type: job.resource_type.clone(),
                        resource_name: job.resource_name.clone(),
                        created_by: job.created_by.clone(),
                        iam_role_arn: job.iam_role_arn.clone(),
                        status: RecoveryPointStatus::Completed,
                        status_message: None,
                        creation_date: job.creation_date,
                        completion_date: job.completion_date.unwrap_or(now),
                        size_bytes: job.size_bytes,
                        lifecycle: job.lifecycle.clone(),
                        encryption_key_arn: vault.encryption_key_arn.clone(),
                        customer_managed_key: vault.customer_managed_key,
                        last_restore_time: None,
                        continuous: job.continuous,
                        provider: job.provider,
                        data,
                        tags: job.recovery_point_tags.clone(),
                    };
                    rs.protected.insert(
                        job.resource_arn.clone(),
                        ProtectedInfo {
                            resource_type: job.resource_type.clone(),
                            resource_name: job.resource_name.clone(),
                            last_backup_time: job.creation_date,
                            last_vault_arn: vault.arn.clone(),
                            last_recovery_point_arn: arn.clone(),
                        },
                    );
                    for action in &job.copy_actions {
                        let Some(dest) = action.destination_backup_vault_arn.as_deref() else {
                            continue;
                        };
                        let copy = self.new_copy_job(
                            &rp,
                            dest,
                            action.lifecycle.clone(),
                            &job.iam_role_arn,
                            Some(job.id.clone()),
                            job.completion_date.unwrap_or(now),
                            SYSTEM_PRINCIPAL,
                        );
                        copies.push((region.clone(), copy.id.clone()));
                        rs.copy_jobs.push(copy);
                    }
                    rs.recovery_points.insert(arn, rp);
                }
                for (job, arn) in updated_points {
                    let Some(rp) = rs.recovery_points.get_mut(&arn) else {
                        continue;
                    };
                    rp.completion_date = job.completion_date.unwrap_or(now);
                    rp.lifecycle = job.lifecycle.clone();
                    rp.created_by = job.created_by.clone();
                    let rp = rp.clone();
                    if let Some(info) = rs.protected.get_mut(&job.resource_arn) {
                        info.last_backup_time = job.creation_date;
                        info.last_recovery_point_arn = arn.clone();
                    }
                    for action in &job.copy_actions {
                        let Some(dest) = action.destination_backup_vault_arn.as_deref() else {
                            continue;
                        };
                        let copy = self.new_copy_job(
                            &rp,
                            dest,
                            action.lifecycle.clone(),
                            &job.iam_role_arn,
                            Some(job.id.clone()),
                            job.completion_date.unwrap_or(now),
                            SYSTEM_PRINCIPAL,
                        );
                        copies.push((region.clone(), copy.id.clone()));
                        rs.copy_jobs.push(copy);
                    }
                }
            }
        }
        for (principal, region, resource, result) in events {
            self.audit_result(&principal, "BackupJobCompleted", &region, &resource, result);
        }
        for (provider, data) in to_free {
            if let Some(p) = self.providers.get(provider)
                && let Err(e) = p.delete(data).await
            {
                tracing::warn!(error = %e, "could not free the data of an expired backup job");
            }
        }
        for (region, id) in &copies {
            self.audit_result(SYSTEM_PRINCIPAL, "StartCopyJob", region, id, "Success");
            self.run_copy_job(region, id).await;
        }
        self.complete_copies_and_restores(now, &regions).await;
    }

    async fn complete_copies_and_restores(&self, now: DateTime<Utc>, regions: &[String]) {
        let mut ended_copies = Vec::new();
        let mut ended_restores = Vec::new();
        let mut to_free: Vec<(usize, RecoveryPointData)> = Vec::new();
        {
            let mut st = self.state.lock();
            for region in regions {
                // Copies whose source is here; their destination must be up too.
                let due: Vec<CopyJob> = st
                    .region(region)
                    .copy_jobs
                    .iter()
                    .filter(|j| j.state == JobState::Running && j.data.is_some())
                    .filter(|j| j.completion_date.is_some_and(|t| t <= now))
                    .filter(|j| regions.contains(&j.destination_region))
                    .filter(|j| !self.is_cross_account(j))
                    .cloned()
                    .collect();
                for job in due {
                    let Some(data) = job.data.clone() else { continue };
                    let dest = st.region(&job.destination_region);
                    let vault = dest.vaults.get(&job.destination_vault_name).cloned();
                    let (state, message) = match (&vault, &job.destination_recovery_point_arn) {
                        (Some(vault), Some(arn)) => {
                            dest.recovery_points.insert(
                                arn.clone(),
                                Self::copied_recovery_point(&job, arn, vault, job.provider, data, now),
                            );
                            (JobState::Completed, None)
                        }
                        _ => {
                            to_free.push((job.provider, data));
                            (
                                JobState::Failed,
                                Some(format!(
                                    "Destination backup vault {} no longer exists",
                                    job.destination_vault_arn
                                )),
                            )
                        }
                    };
                    if let Some(j) = st.region(region).copy_jobs.iter_mut().find(|j| j.id == job.id) {
                        j.state = state;
                        j.status_message = message;
                        j.data = None;
                        ended_copies.push((region.clone(), j.id.clone()));
                    }
                }
                for job in st.region(region).restore_jobs.iter_mut() {
                    if job.state == JobState::Running
                        && job.created_resource_arn.is_some()
                        && let Some(started) = job.started
                        && saturating_after(started, job.expected_duration) <= now
                    {
                        job.state = JobState::Completed;
                        job.completion_date = Some(saturating_after(started, job.expected_duration));
                        ended_restores.push(job.clone());
                    }
                }
            }
        }
        for (region, id) in ended_copies {
            self.audit_copy_end(&region, &id);
        }
        self.complete_cross_account_copies(now, regions).await;
        for job in ended_restores {
            self.audit_restore_end(&job);
        }
        for (provider, data) in to_free {
            if let Some(p) = self.providers.get(provider)
                && let Err(e) = p.delete(data).await
            {
                tracing::warn!(error = %e, "could not free the data of a failed copy");
            }
        }
    }

    async fn expire_recovery_points(&self, now: DateTime<Utc>) {
        let regions = self.available_regions();
        let due: Vec<(String, String, usize, RecoveryPointData)> = {
            let mut st = self.state.lock();
            let mut due = Vec::new();
            for region in &regions {
                let rs = st.region(region);
                // A point a restore or copy is reading expires once that job ends.
                let busy: BTreeSet<String> = rs
                    .restore_jobs
                    .iter()
                    .filter(|j| matches!(j.state, JobState::Created | JobState::Running))
                    .map(|j| j.recovery_point_arn.clone())
                    .chain(
                        rs.copy_jobs
                            .iter()
                            .filter(|j| matches!(j.state, JobState::Created | JobState::Running))
                            .map(|j| j.source_recovery_point_arn.clone()),
                    )
                    .collect();
                for rp in rs.recovery_points.values_mut() {
                    if rp.status == RecoveryPointStatus::Completed
                        && !busy.contains(&rp.arn)
                        && rp.calculated_lifecycle().delete_at.is_some_and(|t| t <= now)
                    {
                        rp.status = RecoveryPointStatus::Deleting;
                        due.push((region.clone(), rp.arn.clone(), rp.provider, rp.data.clone()));
                    }
                }
            }
            due
        };
        for (region, arn, provider, data) in due {
            let freed = self
                .free_recovery_point(&region, &arn, provider, data, RecoveryPointStatus::Expired)
                .await;
            self.audit_result(
                SYSTEM_PRINCIPAL,
                "DeleteRecoveryPoint",
                &region,
                &arn,
                if freed { "Success" } else { "EXPIRED" },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TickFaults;

    #[test]
    fn a_fault_is_reported_once_per_cause() {
        let faults = TickFaults::default();
        assert!(faults.report("a".to_owned()));
        assert!(
            !faults.report("a".to_owned()),
            "the same cause is not logged again"
        );
        assert!(faults.report("b".to_owned()), "another cause is");
    }
}
