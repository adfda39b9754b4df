//! What restore testing plans do as the emulator clock moves, and
//! `PutRestoreValidationResult`.
//!
//! - **Runs.** A plan fires at each instant of its `ScheduleExpression`
//!   after its last run (the plan's creation at first), on the scheduler's
//!   tick, as backup plans' rules do ([`crate::cron`]). An instant that fell
//!   while the region was dark and whose `StartWindowHours` (AWS's default:
//!   24) has passed starts nothing, as on AWS; the others run at the tick.
//!   For each of the plan's selections the run picks, per protected
//!   resource, one recovery point among the COMPLETED ones of the
//!   selection's `ProtectedResourceType` whose resource the selection names
//!   (`ProtectedResourceArns`, or `*` narrowed by
//!   `ProtectedResourceConditions` on the resource's tags as its provider
//!   lists them now), in an `IncludeVaults` vault and no `ExcludeVaults`
//!   one, of a `RecoveryPointTypes` type, created within
//!   `SelectionWindowDays` (default 30) before the run: the newest
//!   (`LATEST_WITHIN_WINDOW`) or one drawn by a seed made of the plan, the
//!   instant and the resource (`RANDOM_WITHIN_WINDOW`, the same draw for
//!   the same run). Each pick starts a restore job, as `StartRestoreJob`
//!   would, its `CreatedBy.RestoreTestingPlanArn` naming the plan.
//! - **Metadata.** A job restores with the metadata AWS Backup infers: the
//!   recovery point's own (`GetRecoveryPointRestoreMetadata`), a new
//!   resource named `awsbackup-restore-test-<id>` (DynamoDB
//!   `targetTableName`, RDS `DBInstanceIdentifier`, Aurora
//!   `DBClusterIdentifier`, S3 `DestinationBucketName` with `NewBucket`),
//!   then the selection's `RestoreMetadataOverrides` (keys matched without
//!   regard to case, as AWS says).
//! - **Validation.** `PutRestoreValidationResult` takes a job a restore
//!   testing plan started, once COMPLETED (InvalidRequestException
//!   otherwise; ResourceNotFoundException for an unknown job), until its
//!   restored resource is deleted. `VALIDATING` says validation goes on;
//!   the other statuses are final.
//! - **Deletion.** AWS Backup deletes what a restore test restored once a
//!   final validation result is put or the validation window
//!   (`ValidationWindowHours` after the job's completion; 0 when unset, so
//!   at the next tick) closes. A job still `VALIDATING` when the window
//!   closes is `TIMED_OUT` (firedrill's reading: AWS documents no
//!   transition). `DeletionStatus` is `DELETING` while the provider deletes
//!   the resource, then `SUCCESSFUL`, or `FAILED` with the provider's
//!   message: a provider without a delete path for its resource type says
//!   so there ([`ResourceProvider::delete_restored`]), and the resource
//!   stays.

// Dates meet client numbers here: no operator that can overflow or panic
// (`DateTime + TimeDelta`, unchecked integer arithmetic); see `crate::time`.
#![warn(clippy::arithmetic_side_effects)]

use super::restore_testing::{RecoveryPointSelection, RestoreTestingPlan, RestoreTestingSelection};
use super::*;
use crate::time::{after_minutes, before_days};
use std::hash::{Hash, Hasher};

/// AWS's default `StartWindowHours` of a restore testing plan.
pub const DEFAULT_RESTORE_TEST_START_WINDOW_HOURS: i64 = 24;
/// AWS's default `SelectionWindowDays`.
pub const DEFAULT_SELECTION_WINDOW_DAYS: i64 = 30;
/// The prefix of the resources a restore test creates, as AWS names them.
pub const RESTORE_TEST_PREFIX: &str = "awsbackup-restore-test-";
/// The most runs of one plan handled in one tick; the rest wait for the next.
const MAX_RUNS_PER_PLAN_PER_TICK: usize = 1_000;

/// `RestoreValidationStatus`.
pub const VALIDATION_STATUSES: &[&str] = &["FAILED", "SUCCESSFUL", "TIMED_OUT", "VALIDATING"];

/// One due run of one restore testing plan.
#[derive(Debug, Clone)]
struct TestRun {
    region: String,
    instant: DateTime<Utc>,
    plan: RestoreTestingPlan,
    selections: Vec<RestoreTestingSelection>,
}

/// One restore a run starts.
#[derive(Debug, Clone)]
struct Pick {
    recovery_point_arn: String,
    metadata: BTreeMap<String, String>,
    role: String,
    test: RestoreTest,
}

/// Whether a recovery point may be chosen by `s` at `instant`.
fn point_in_window(rp: &RecoveryPoint, s: &RecoveryPointSelection, instant: DateTime<Utc>) -> bool {
    let vault_ok = s
        .include_vaults
        .iter()
        .flatten()
        .any(|v| v == "*" || *v == rp.vault_arn)
        && !s.exclude_vaults.iter().flatten().any(|v| *v == rp.vault_arn);
    let kind = if rp.continuous { "CONTINUOUS" } else { "SNAPSHOT" };
    let type_ok = s.recovery_point_types.iter().flatten().any(|t| t == kind);
    let days = s.selection_window_days.unwrap_or(DEFAULT_SELECTION_WINDOW_DAYS);
    let window_ok = before_days(instant, days).is_some_and(|from| rp.creation_date >= from)
        && rp.creation_date <= instant;
    vault_ok && type_ok && window_ok
}

/// Whether the selection takes the resource `arn` with `tags`.
fn selects_resource(s: &RestoreTestingSelection, arn: &str, tags: Option<&Vec<(String, String)>>) -> bool {
    let spec = &s.spec;
    let wildcard =
        spec.protected_resource_arns.is_empty() || spec.protected_resource_arns.iter().any(|a| a == "*");
    if !wildcard {
        return spec.protected_resource_arns.iter().any(|a| a == arn);
    }
    let Some(conditions) = &spec.protected_resource_conditions else {
        return true;
    };
    let tag = |key: &str| {
        let key = key.strip_prefix("aws:ResourceTag/").unwrap_or(key);
        tags.and_then(|t| t.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()))
    };
    conditions
        .string_equals
        .iter()
        .all(|kv| tag(&kv.key) == Some(kv.value.as_str()))
        && conditions
            .string_not_equals
            .iter()
            .all(|kv| tag(&kv.key) != Some(kv.value.as_str()))
}

/// A deterministic draw in `0..n` from the run and the resource.
fn draw(plan: &str, instant: DateTime<Utc>, resource: &str, n: usize) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (plan, instant.timestamp(), resource).hash(&mut h);
    let n64 = u64::try_from(n).unwrap_or(u64::MAX).max(1);
    usize::try_from(h.finish().checked_rem(n64).unwrap_or(0)).unwrap_or(0)
}

/// The metadata AWS Backup infers for a restore test of a recovery point
/// of `resource_type`: `base` (the recovery point's own) plus a new
/// resource's name, then `overrides`, keys matched without regard to case.
pub fn restore_test_metadata(
    resource_type: &str,
    base: BTreeMap<String, String>,
    overrides: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = base;
    let name = format!(
        "{RESTORE_TEST_PREFIX}{}",
        lower_uuid()
            .chars()
            .filter(|c| *c != '-')
            .take(12)
            .collect::<String>()
    );
    match resource_type {
        "DynamoDB" => {
            out.insert("targetTableName".to_owned(), name);
        }
        "RDS" => {
            out.insert("DBInstanceIdentifier".to_owned(), name);
        }
        "Aurora" | "DocumentDB" | "Neptune" => {
            out.insert("DBClusterIdentifier".to_owned(), name);
        }
        "S3" => {
            out.insert("DestinationBucketName".to_owned(), name);
            out.insert("NewBucket".to_owned(), "true".to_owned());
        }
        _ => {}
    }
    for (k, v) in overrides {
        out.retain(|known, _| !known.eq_ignore_ascii_case(k));
        out.insert(k.clone(), v.clone());
    }
    out
}

impl Engine {
    /// The due runs of every restore testing plan of the available
    /// regions; each plan's cursor moves past them.
    fn due_restore_tests(&self, now: DateTime<Utc>, regions: &[String]) -> Vec<TestRun> {
        let mut st = self.state.lock();
        let windows = st.outage_windows.clone();
        let mut runs = Vec::new();
        for region in regions {
            let rs = st.region(region);
            let mut plan_runs = Vec::new();
            for plan in rs.restore_testing_plans.values_mut() {
                let Ok(schedule) = crate::cron::CronSchedule::parse(&plan.schedule_expression) else {
                    continue;
                };
                let instants =
                    schedule.instants_between(plan.schedule_cursor, now, MAX_RUNS_PER_PLAN_PER_TICK);
                plan.schedule_cursor = match instants.last() {
                    Some(last) if instants.len() == MAX_RUNS_PER_PLAN_PER_TICK => *last,
                    _ => now,
                };
                let window_minutes = plan
                    .start_window_hours
                    .unwrap_or(DEFAULT_RESTORE_TEST_START_WINDOW_HOURS)
                    .saturating_mul(60);
                for instant in instants {
                    let in_outage = windows
                        .iter()
                        .any(|(r, s, e)| r == region && *s <= instant && instant <= *e);
                    let missed =
                        in_outage && after_minutes(instant, window_minutes).is_some_and(|end| end < now);
                    if missed {
                        tracing::info!(plan = %plan.name, %instant, "a restore test's start window passed while its region was dark");
                        continue;
                    }
                    plan.last_execution_time = Some(instant);
                    plan_runs.push((plan.clone(), instant));
                }
            }
            for (plan, instant) in plan_runs {
                let selections = rs
                    .restore_testing_selections
                    .values()
                    .filter(|s| s.plan_name == plan.name)
                    .cloned()
                    .collect();
                runs.push(TestRun {
                    region: region.clone(),
                    instant,
                    plan,
                    selections,
                });
            }
        }
        runs.sort_by_key(|r| r.instant);
        runs
    }

    /// The restores one run starts: per selection and protected resource,
    /// one recovery point.
    fn picks(&self, run: &TestRun) -> Vec<Pick> {
        // The resources' tags as each provider lists them now, read before
        // the state lock is taken.
        let tags: Vec<BTreeMap<String, Vec<(String, String)>>> = self
            .providers
            .iter()
            .map(|p| {
                p.list_resources(&run.region)
                    .into_iter()
                    .map(|r| (r.arn, r.tags))
                    .collect()
            })
            .collect();
        let mut st = self.state.lock();
        let rs = st.region(&run.region);
        let mut picks = Vec::new();
        for selection in &run.selections {
            let mut by_resource: BTreeMap<&str, Vec<&RecoveryPoint>> = BTreeMap::new();
            for rp in rs.recovery_points.values() {
                if rp.status != RecoveryPointStatus::Completed
                    || rp.resource_type != selection.spec.protected_resource_type
                    || !point_in_window(rp, &run.plan.recovery_point_selection, run.instant)
                {
                    continue;
                }
                let listed = tags.get(rp.provider).and_then(|t| t.get(&rp.resource_arn));
                if selects_resource(selection, &rp.resource_arn, listed) {
                    by_resource.entry(&rp.resource_arn).or_default().push(rp);
                }
            }
            for (resource, mut points) in by_resource {
                points.sort_by_key(|rp| (rp.creation_date, rp.arn.clone()));
                let random =
                    run.plan.recovery_point_selection.algorithm.as_deref() == Some("RANDOM_WITHIN_WINDOW");
                let chosen = if random {
                    points.get(draw(&run.plan.arn, run.instant, resource, points.len()))
                } else {
                    points.last()
                };
                let Some(rp) = chosen else { continue };
                let base = self
                    .providers
                    .get(rp.provider)
                    .map(|p| p.restore_metadata(&rp.data))
                    .unwrap_or_default();
                picks.push(Pick {
                    recovery_point_arn: rp.arn.clone(),
                    metadata: restore_test_metadata(
                        &rp.resource_type,
                        base,
                        &selection.spec.restore_metadata_overrides,
                    ),
                    role: selection.spec.iam_role_arn.clone(),
                    test: RestoreTest {
                        plan_arn: run.plan.arn.clone(),
                        plan_name: run.plan.name.clone(),
                        selection_name: selection.spec.name.clone(),
                        validation_window_hours: selection.spec.validation_window_hours.unwrap_or(0),
                        validation_status: None,
                        validation_status_message: None,
                        validated_at: None,
                        deletion_status: None,
                        deletion_status_message: None,
                    },
                });
            }
        }
        picks
    }

    /// Runs the restore testing plans that are due: each pick starts a
    /// restore job (the provider's restore is called now, the job completes
    /// after its modelled duration, as any restore job).
    pub(crate) async fn run_restore_tests(&self, now: DateTime<Utc>, regions: &[String]) {
        for run in self.due_restore_tests(now, regions) {
            let picks = self.picks(&run);
            tracing::info!(
                plan = %run.plan.name,
                instant = %run.instant,
                restores = picks.len(),
                "a restore testing plan ran"
            );
            for pick in picks {
                let started = self.start_restore_job_for(
                    SYSTEM_PRINCIPAL,
                    &run.region,
                    &pick.recovery_point_arn,
                    pick.metadata,
                    Some(pick.role),
                    None,
                    None,
                    Some(pick.test),
                );
                match started {
                    Ok((job, _)) => self.run_restore_job(&run.region, &job.id).await,
                    Err(e) => tracing::warn!(
                        plan = %run.plan.name,
                        recovery_point = %pick.recovery_point_arn,
                        error = %e,
                        "a restore test could not start its restore job"
                    ),
                }
            }
        }
    }

    /// Deletes what restore tests restored once their validation is final
    /// or their validation window has closed; a job still `VALIDATING`
    /// then is `TIMED_OUT`.
    pub(crate) async fn delete_restore_test_resources(&self, now: DateTime<Utc>, regions: &[String]) {
        let mut due = Vec::new();
        {
            let mut st = self.state.lock();
            for region in regions {
                let rs = st.region(region);
                let providers: BTreeMap<String, usize> = rs
                    .recovery_points
                    .values()
                    .map(|rp| (rp.arn.clone(), rp.provider))
                    .collect();
                for job in rs.restore_jobs.iter_mut() {
                    let (Some(test), Some(done), Some(created)) = (
                        job.restore_test.as_mut(),
                        job.completion_date,
                        job.created_resource_arn.clone(),
                    ) else {
                        continue;
                    };
                    // DELETING: a deletion the provider answered busy is tried again.
                    if job.state != JobState::Completed
                        || test.deletion_status.as_deref().is_some_and(|s| s != "DELETING")
                    {
                        continue;
                    }
                    let window_end = after_minutes(done, test.validation_window_hours.saturating_mul(60));
                    let window_closed = window_end.is_some_and(|end| end <= now);
                    if !(window_closed || test.validated_at.is_some()) {
                        continue;
                    }
                    if test.validated_at.is_none() && test.validation_status.as_deref() == Some("VALIDATING")
                    {
                        test.validation_status = Some("TIMED_OUT".to_owned());
                        test.validation_status_message.get_or_insert_with(|| {
                            "The validation window closed before validation completed".to_owned()
                        });
                    }
                    test.deletion_status = Some("DELETING".to_owned());
                    let provider = providers
                        .get(&job.recovery_point_arn)
                        .copied()
                        .or_else(|| self.provider_for(&job.source_resource_arn));
                    due.push((region.clone(), job.id.clone(), created, provider));
                }
            }
        }
        for (region, id, created, provider) in due {
            let answer = match provider.and_then(|p| self.providers.get(p).cloned()) {
                Some(p) => p.delete_restored(region.clone(), created.clone()).await,
                None => Err(crate::provider::ProviderError::Failed(format!(
                    "firedrill has no provider that can delete {created}"
                ))),
            };
            let (status, message) = match answer {
                Ok(()) => ("SUCCESSFUL", None),
                Err(crate::provider::ProviderError::Busy(why)) => {
                    tracing::debug!(resource = %created, %why, "a restore test's resource is busy; its deletion is tried again");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(resource = %created, error = %e, "a restore test's resource could not be deleted");
                    ("FAILED", Some(e.to_string()))
                }
            };
            self.audit_result(
                SYSTEM_PRINCIPAL,
                "DeleteRestoreTestResource",
                &region,
                &created,
                if message.is_none() { "Success" } else { "FAILED" },
            );
            let mut st = self.state.lock();
            if let Some(test) = st
                .region(&region)
                .restore_jobs
                .iter_mut()
                .find(|j| j.id == id)
                .and_then(|j| j.restore_test.as_mut())
            {
                test.deletion_status = Some(status.to_owned());
                test.deletion_status_message = message;
            }
        }
    }

    /// `PutRestoreValidationResult`.
    pub fn put_restore_validation_result(
        &self,
        principal: &str,
        region: &str,
        id: &str,
        status: &str,
        message: Option<String>,
    ) -> BackupResult<()> {
        let result = (|| {
            if status.is_empty() {
                return Err(BackupError::missing("ValidationStatus"));
            }
            if !VALIDATION_STATUSES.contains(&status) {
                return Err(BackupError::invalid(format!(
                    "Invalid ValidationStatus {status:?}: valid values are {}",
                    VALIDATION_STATUSES.join(", ")
                )));
            }
            let now = self.now();
            let mut st = self.state.lock();
            let job = st
                .region(region)
                .restore_jobs
                .iter_mut()
                .find(|j| j.id == id)
                .ok_or_else(|| BackupError::not_found(format!("Restore job {id} not found")))?;
            let state = job.state;
            let Some(test) = job.restore_test.as_mut() else {
                return Err(BackupError::InvalidRequest(format!(
                    "Restore job {id} was not created by a restore testing plan; only restore testing jobs take a validation result"
                )));
            };
            if state != JobState::Completed {
                return Err(BackupError::InvalidRequest(format!(
                    "Restore job {id} is {}; a validation result can be put only once it is COMPLETED",
                    state.restore_str()
                )));
            }
            if test.deletion_status.is_some() {
                return Err(BackupError::InvalidRequest(format!(
                    "The validation window of restore job {id} has closed: its restored resource is deleted"
                )));
            }
            test.validation_status = Some(status.to_owned());
            test.validation_status_message = message;
            if status != "VALIDATING" {
                test.validated_at = Some(now);
            }
            Ok(())
        })();
        self.audit(principal, "PutRestoreValidationResult", region, id, &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_inferred_keys_whatever_their_case() {
        let base = BTreeMap::from([("originalTableName".to_owned(), "carts".to_owned())]);
        let overrides = BTreeMap::from([("TARGETTABLENAME".to_owned(), "mine".to_owned())]);
        let m = restore_test_metadata("DynamoDB", base, &overrides);
        assert_eq!(m.get("TARGETTABLENAME").map(String::as_str), Some("mine"));
        assert!(!m.contains_key("targetTableName"), "{m:?}");
        assert_eq!(m.get("originalTableName").map(String::as_str), Some("carts"));
        let s3 = restore_test_metadata("S3", BTreeMap::new(), &BTreeMap::new());
        assert!(
            s3.get("DestinationBucketName")
                .is_some_and(|b| b.starts_with(RESTORE_TEST_PREFIX)),
            "{s3:?}"
        );
        assert_eq!(s3.get("NewBucket").map(String::as_str), Some("true"));
    }

    #[test]
    fn a_random_draw_is_the_same_for_the_same_run_and_in_range() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        for n in 1..20 {
            let a = draw("plan", t, "arn:r", n);
            assert_eq!(a, draw("plan", t, "arn:r", n));
            assert!(a < n);
        }
    }
}
