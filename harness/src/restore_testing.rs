//! AWS Backup restore testing with firedrill's checker as the validation
//! (`firedrill drill --restore-testing`).
//!
//! After a drill, [`run`] creates a restore testing plan over the store's
//! vault and one selection per resource type with recovery points there
//! (DynamoDB tables, S3 buckets, the RDS orders instance), through the SDK,
//! scheduled a few minutes ahead; it advances the simulated clock until
//! the run has started its restore jobs and waits for them. Each restored
//! resource is read back as the store's own would be (the store re-pointed
//! at the restored table, bucket or instance, as the `backup_restore`
//! runbook re-points it) and [`judge`]d against the history at the
//! recovery point's creation instant: every record of the resource's
//! collections must be as the acknowledged writes before that instant
//! left it. The verdict goes back to AWS Backup with
//! `PutRestoreValidationResult` (SUCCESSFUL or FAILED, the message naming
//! the counts), and the report records, per recovery point, the resource,
//! the restore's duration on the target's clock (the restore-time model's
//! on the emulator), the point's age at the run (its RPO) and the verdict.
//!
//! Invariant: the judgement is pure; only [`run`] talks to AWS.

use crate::checker::{self, Census, CheckInput, Targets};
use crate::history::{Collection, History, Layer, Process};
use crate::model::{Store, StoreSnapshot, read_store, smithy_to_chrono};
use crate::policy::{wait_db_available, wait_table_active};
use crate::target::{Clients, Target};
use crate::wait::{Poll, WaitOptions, wait_for};
use anyhow::{Context, anyhow, bail};
use aws_sdk_backup::types::{
    RestoreJobStatus, RestoreJobsListMember, RestoreTestingPlanForCreate,
    RestoreTestingRecoveryPointSelection, RestoreTestingRecoveryPointSelectionAlgorithm,
    RestoreTestingRecoveryPointType, RestoreTestingSelectionForCreate, RestoreValidationStatus,
};
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Hours a restored resource is kept for firedrill's validation.
pub const VALIDATION_WINDOW_HOURS: i32 = 4;

/// What a restore testing run found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestoreTestingReport {
    /// The restore testing plan's ARN.
    pub plan_arn: String,
    /// When its run started its restore jobs (target clock).
    pub ran_at: Option<DateTime<Utc>>,
    /// One entry per recovery point restored.
    pub entries: Vec<RestoreTestEntry>,
    /// Why the run could not be played to its end, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RestoreTestingReport {
    /// Whether every recovery point restored and validated SUCCESSFUL.
    pub fn all_successful(&self) -> bool {
        self.error.is_none() && !self.entries.is_empty() && self.entries.iter().all(|e| e.successful)
    }

    /// The report's lines, one per recovery point.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("restore testing plan {}", self.plan_arn)];
        for e in &self.entries {
            out.push(format!(
                "  {} {} from {}: restore {}, point age {} at the run, {}",
                e.resource_type,
                e.resource_arn,
                e.recovery_point_arn,
                e.restore_seconds
                    .map(|s| format!("{s:.0} s"))
                    .unwrap_or_else(|| "not completed".to_owned()),
                e.recovery_point_age_seconds
                    .map(|s| format!("{s:.0} s"))
                    .unwrap_or_else(|| "unknown".to_owned()),
                e.message
            ));
        }
        if let Some(error) = &self.error {
            out.push(format!("  error: {error}"));
        }
        out
    }
}

/// One recovery point a restore test restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreTestEntry {
    /// The protected resource.
    pub resource_arn: String,
    /// Its AWS Backup resource type.
    pub resource_type: String,
    /// The recovery point restored.
    pub recovery_point_arn: String,
    /// When the recovery point was created: the instant the records are judged at.
    pub recovery_point_created: Option<DateTime<Utc>>,
    /// The restore job.
    pub restore_job_id: String,
    /// What the restore created.
    pub created_resource_arn: Option<String>,
    /// The restore job's status.
    pub restore_status: String,
    /// From the job's creation to its completion, on the target's clock.
    pub restore_seconds: Option<f64>,
    /// The recovery point's age when the job started: the RPO the run proves.
    pub recovery_point_age_seconds: Option<f64>,
    /// The record-level census of the resource's collections.
    pub census: Census,
    /// Whether the records are as the history says (the validation sent).
    pub successful: bool,
    /// The validation message sent to AWS Backup.
    pub message: String,
}

/// The record-level verdict on one restored resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// SUCCESSFUL (true) or FAILED.
    pub successful: bool,
    /// The counts over the resource's collections.
    pub census: Census,
    /// The message naming the counts.
    pub message: String,
}

/// Judges `snapshot`'s records of `collections` against `history` at
/// `at`: SUCCESSFUL when every record is as the shop's acknowledged writes
/// before `at` left it (a value it may have, nothing missing or
/// resurrected) and the table or bucket exists. The faults' own writes are
/// left out of the history: a recovery point taken after a corruption or a
/// batch delete holds the damage, and fails.
pub fn judge(
    history: &History,
    at: DateTime<Utc>,
    snapshot: &StoreSnapshot,
    collections: &BTreeSet<Collection>,
) -> Judgement {
    let mut only = snapshot.clone();
    only.records.retain(|k, _| collections.contains(&k.collection));
    only.versions.retain(|k, _| collections.contains(&k.collection));
    only.read.retain(|c| collections.contains(c));
    only.versioned.retain(|c| collections.contains(c));
    only.missing.retain(|c| collections.contains(c));
    only.unreadable.retain(|c, _| collections.contains(c));
    only.no_ttl.retain(|k| collections.contains(&k.collection));
    // The shop's own writes only: a point that holds what a fault wrote
    // (corrupted values, a batch delete) does not hold the shop's data.
    let mut shop = History::new();
    for op in history.ops().iter().filter(|o| o.process != Process::Nemesis) {
        shop.push(op.clone());
    }
    let result = checker::check(CheckInput {
        history: &shop,
        fault_at: Some(at),
        snapshot: &only,
        rto: None,
        targets: Targets::default(),
    });
    let layers: BTreeSet<Layer> = collections.iter().map(|c| c.layer()).collect();
    let mut census = Census::default();
    let mut gone = Vec::new();
    for l in result.layers.iter().filter(|l| layers.contains(&l.layer)) {
        census.correct += l.census.correct;
        census.wrong_value += l.census.wrong_value;
        census.missing += l.census.missing;
        census.resurrected += l.census.resurrected;
        census.absent_allowed += l.census.absent_allowed;
        gone.extend(
            l.gone
                .iter()
                .filter(|g| collections.iter().any(|c| g.starts_with(&format!("{c}:"))))
                .cloned(),
        );
    }
    let unreadable: Vec<String> = only
        .unreadable
        .iter()
        .map(|(c, why)| format!("{c} could not be read: {why}"))
        .collect();
    let unknown = result
        .unknown
        .iter()
        .any(|u| u.contains("no fault") || u.contains("checker failed"));
    let successful = census.wrong_value + census.missing + census.resurrected == 0
        && gone.is_empty()
        && unreadable.is_empty()
        && !unknown;
    let names: Vec<String> = collections.iter().map(|c| c.to_string()).collect();
    let mut message = format!(
        "firedrill checker, {} at {}: {} correct, {} wrong value, {} missing, {} resurrected, {} absent as allowed",
        names.join("+"),
        at.to_rfc3339(),
        census.correct,
        census.wrong_value,
        census.missing,
        census.resurrected,
        census.absent_allowed
    );
    for extra in gone.iter().chain(&unreadable) {
        message.push_str("; ");
        message.push_str(extra);
    }
    Judgement {
        successful,
        census,
        message,
    }
}

/// The collections the resource `arn` holds in `store`, and the store
/// re-pointed at `restored` (the name the restore created).
fn repointed(store: &Store, arn: &str, restored: &str) -> Option<(BTreeSet<Collection>, Store)> {
    let name = arn.rsplit(['/', ':']).next().unwrap_or(arn);
    let mut s = store.clone();
    let collections: BTreeSet<Collection> = if arn.contains(":rds:") && name == s.names.db_instance {
        restored.clone_into(&mut s.names.db_instance);
        Collection::of_layer(Layer::Rds).collect()
    } else {
        let c = s.names.collection_named(name)?;
        let kind = if arn.starts_with("arn:aws:s3:::") {
            Layer::S3
        } else {
            Layer::Dynamodb
        };
        if c.layer() != kind || (kind == Layer::Dynamodb && !arn.contains(":dynamodb:")) {
            return None;
        }
        s.names.rename(c, restored);
        // The restored bucket keeps only the versions current at the backup.
        s.versioned.remove(&c);
        [c].into()
    };
    Some((collections, s))
}

fn service<
    E: std::error::Error + Send + Sync + aws_smithy_runtime_api::client::result::CreateUnhandledError + 'static,
>(
    e: aws_sdk_backup::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> anyhow::Error {
    anyhow::Error::new(e.into_service_error())
}

/// Creates the plan and its selections over `store`'s vault; the plan's
/// ARN and when it will run.
async fn create_plan(
    target: &dyn Target,
    clients: &Clients,
    store: &Store,
) -> anyhow::Result<(String, DateTime<Utc>)> {
    let backup = &clients.backup;
    let vault = &store.names.backup_vault;
    let vault_arn = backup
        .describe_backup_vault()
        .backup_vault_name(vault)
        .send()
        .await
        .map_err(service)
        .with_context(|| format!("DescribeBackupVault {vault}"))?
        .backup_vault_arn
        .ok_or_else(|| anyhow!("vault {vault} has no ARN"))?;
    let mut resources: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pages = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .into_paginator()
        .items()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(service).context("ListRecoveryPointsByBackupVault")?;
        if let (Some(t), Some(arn)) = (p.resource_type, p.resource_arn)
            && matches!(t.as_str(), "DynamoDB" | "S3" | "RDS")
        {
            resources.entry(t).or_default().insert(arn);
        }
    }
    if resources.is_empty() {
        bail!("vault {vault} holds no recovery point of a DynamoDB table, S3 bucket or RDS instance");
    }
    // Daily, two minutes from now: one run within the drill's reach.
    let now = target.now();
    let at = (now + Duration::minutes(2))
        .with_second(0)
        .unwrap_or(now)
        .with_nanosecond(0)
        .unwrap_or(now);
    let mut name: String = format!("{}_restore_test", store.names.prefix)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 'p');
    }
    name.truncate(50);
    let selection = RestoreTestingRecoveryPointSelection::builder()
        .algorithm(RestoreTestingRecoveryPointSelectionAlgorithm::LatestWithinWindow)
        .include_vaults(&vault_arn)
        .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
        .recovery_point_types(RestoreTestingRecoveryPointType::Continuous)
        .selection_window_days(30)
        .build();
    let plan_arn = backup
        .create_restore_testing_plan()
        .restore_testing_plan(
            RestoreTestingPlanForCreate::builder()
                .restore_testing_plan_name(&name)
                .schedule_expression(format!("cron({} {} ? * * *)", at.minute(), at.hour()))
                .start_window_hours(1)
                .recovery_point_selection(selection)
                .build()?,
        )
        .send()
        .await
        .map_err(service)
        .context("CreateRestoreTestingPlan")?
        .restore_testing_plan_arn;
    let account = crate::policy::arn_account(&vault_arn)
        .unwrap_or("000000000000")
        .to_owned();
    for (kind, arns) in resources {
        let mut s = RestoreTestingSelectionForCreate::builder()
            .restore_testing_selection_name(format!("firedrill_{}", kind.to_ascii_lowercase()))
            .iam_role_arn(crate::policy::backup_role_arn(&account))
            .protected_resource_type(&kind)
            .validation_window_hours(VALIDATION_WINDOW_HOURS);
        for arn in arns.iter().take(30) {
            s = s.protected_resource_arns(arn);
        }
        backup
            .create_restore_testing_selection()
            .restore_testing_plan_name(&name)
            .restore_testing_selection(s.build()?)
            .send()
            .await
            .map_err(service)
            .with_context(|| format!("CreateRestoreTestingSelection {kind}"))?;
    }
    Ok((plan_arn, at))
}

/// Runs a restore test over `store` (as provisioned, before any recovery
/// re-pointed it) and validates each restore with the checker against
/// `history`. Never fails the drill: what goes wrong is in `error`.
pub async fn run(
    target: &dyn Target,
    store: &Store,
    history: &History,
    wait: &WaitOptions,
) -> RestoreTestingReport {
    let mut report = RestoreTestingReport::default();
    if let Err(e) = play(target, store, history, wait, &mut report).await {
        report.error = Some(format!("{e:#}"));
    }
    report
}

async fn play(
    target: &dyn Target,
    store: &Store,
    history: &History,
    wait: &WaitOptions,
    report: &mut RestoreTestingReport,
) -> anyhow::Result<()> {
    let clients = store.clients(target);
    let (plan_arn, at) = create_plan(target, &clients, store).await?;
    report.plan_arn = plan_arn.clone();
    let now = target.now();
    if at > now {
        target.advance(at - now + Duration::seconds(5)).await?;
    }
    let backup = clients.backup.clone();
    let jobs: Vec<RestoreJobsListMember> =
        wait_for(target, "the restore test's jobs to end", wait, || async {
            let jobs = backup
                .list_restore_jobs()
                .by_restore_testing_plan_arn(&plan_arn)
                .send()
                .await
                .map_err(service)
                .context("ListRestoreJobs")?
                .restore_jobs
                .unwrap_or_default();
            let ended = |j: &RestoreJobsListMember| {
                matches!(
                    j.status,
                    Some(RestoreJobStatus::Completed | RestoreJobStatus::Failed | RestoreJobStatus::Aborted)
                )
            };
            if !jobs.is_empty() && jobs.iter().all(ended) {
                Ok(Poll::Ready(jobs))
            } else {
                Ok(Poll::Pending(format!("{} jobs", jobs.len())))
            }
        })
        .await?;
    report.ran_at = jobs
        .iter()
        .filter_map(|j| j.creation_date.and_then(smithy_to_chrono))
        .min();
    for job in jobs {
        let entry = validate(target, &clients, store, history, wait, &job).await;
        report.entries.push(entry);
    }
    Ok(())
}

/// Reads back what one job restored, judges it and sends the verdict.
async fn validate(
    target: &dyn Target,
    clients: &Clients,
    store: &Store,
    history: &History,
    wait: &WaitOptions,
    job: &RestoreJobsListMember,
) -> RestoreTestEntry {
    let created = job.creation_date.and_then(smithy_to_chrono);
    let completed = job.completion_date.and_then(smithy_to_chrono);
    let point_created = job.recovery_point_creation_date.and_then(smithy_to_chrono);
    let seconds = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| {
        a.zip(b).map(|(a, b)| (b - a).num_milliseconds() as f64 / 1000.0)
    };
    let mut entry = RestoreTestEntry {
        resource_arn: job.source_resource_arn.clone().unwrap_or_default(),
        resource_type: job.resource_type.clone().unwrap_or_default(),
        recovery_point_arn: job.recovery_point_arn.clone().unwrap_or_default(),
        recovery_point_created: point_created,
        restore_job_id: job.restore_job_id.clone().unwrap_or_default(),
        created_resource_arn: job.created_resource_arn.clone(),
        restore_status: job
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        restore_seconds: seconds(created, completed),
        recovery_point_age_seconds: seconds(point_created, created),
        census: Census::default(),
        successful: false,
        message: String::new(),
    };
    if job.status != Some(RestoreJobStatus::Completed) {
        entry.message = format!(
            "the restore job ended {}: {}",
            entry.restore_status,
            job.status_message.clone().unwrap_or_default()
        );
        return entry;
    }
    let judged = async {
        let at = point_created.ok_or_else(|| anyhow!("the job names no recovery point creation date"))?;
        let restored_arn = job
            .created_resource_arn
            .clone()
            .ok_or_else(|| anyhow!("the job names no created resource"))?;
        let restored = restored_arn
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(&restored_arn)
            .to_owned();
        let (collections, mut view) = repointed(store, &entry.resource_arn, &restored)
            .ok_or_else(|| anyhow!("{} is none of the store's resources", entry.resource_arn))?;
        match entry.resource_type.as_str() {
            "DynamoDB" => {
                wait_table_active(target, &clients.dynamodb, &restored, wait).await?;
            }
            "RDS" => {
                let instance = wait_db_available(target, &clients.rds, &restored, wait).await?;
                view.db = instance.endpoint;
            }
            _ => {}
        }
        let snapshot = read_store(target, &view).await?;
        Ok::<_, anyhow::Error>(judge(history, at, &snapshot, &collections))
    }
    .await;
    let judgement = match judged {
        Ok(j) => j,
        Err(e) => Judgement {
            successful: false,
            census: Census::default(),
            message: format!("firedrill could not check the restored resource: {e:#}"),
        },
    };
    let status = if judgement.successful {
        RestoreValidationStatus::Successful
    } else {
        RestoreValidationStatus::Failed
    };
    let sent = clients
        .backup
        .put_restore_validation_result()
        .restore_job_id(&entry.restore_job_id)
        .validation_status(status)
        .validation_status_message(&judgement.message)
        .send()
        .await;
    entry.census = judgement.census;
    entry.successful = judgement.successful;
    entry.message = match sent {
        Ok(_) => judgement.message,
        Err(e) => format!(
            "{} (PutRestoreValidationResult failed: {})",
            judgement.message,
            service(e)
        ),
    };
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Key, OpKind, Outcome, Value, Write};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("an instant")
    }

    /// Two carts written and acknowledged at 10:00 and 10:10, a third at 11:00.
    fn history() -> History {
        let mut h = History::new();
        for (id, at) in [
            ("c1", "2026-01-01T10:00:00Z"),
            ("c2", "2026-01-01T10:10:00Z"),
            ("c3", "2026-01-01T11:00:00Z"),
        ] {
            let write = Write::put(Key::new(Collection::Carts, id), Value::row([("cart_id", id)]));
            let pending = h.invoke(Process::Client(0), OpKind::CartAdd, vec![write], t(at));
            h.complete(pending, t(at) + Duration::seconds(1), Outcome::Ok, None);
        }
        h
    }

    fn snapshot(records: &[(&str, Value)]) -> StoreSnapshot {
        let mut s = StoreSnapshot::default();
        for (id, v) in records {
            s.records.insert(Key::new(Collection::Carts, *id), v.clone());
        }
        s.read.insert(Collection::Carts);
        s
    }

    #[test]
    fn an_intact_restore_is_successful_and_a_wrong_one_failed() {
        let h = history();
        let at = t("2026-01-01T10:30:00Z");
        let only_carts: BTreeSet<Collection> = [Collection::Carts].into();
        let intact = snapshot(&[
            ("c1", Value::row([("cart_id", "c1")])),
            ("c2", Value::row([("cart_id", "c2")])),
        ]);
        let j = judge(&h, at, &intact, &only_carts);
        assert!(j.successful, "{j:?}");
        assert_eq!(j.census.correct, 2, "{j:?}");
        assert!(j.message.contains("2 correct"), "{}", j.message);

        let corrupted = snapshot(&[("c1", Value::row([("cart_id", "garbage")]))]);
        let j = judge(&h, at, &corrupted, &only_carts);
        assert!(!j.successful, "{j:?}");
        assert_eq!((j.census.wrong_value, j.census.missing), (1, 1), "{j:?}");
        assert!(j.message.contains("1 wrong value, 1 missing"), "{}", j.message);

        let from_the_future = snapshot(&[
            ("c1", Value::row([("cart_id", "c1")])),
            ("c2", Value::row([("cart_id", "c2")])),
            ("c3", Value::row([("cart_id", "c3")])),
        ]);
        let j = judge(&h, at, &from_the_future, &only_carts);
        assert!(
            !j.successful,
            "a record written after the point is not in it: {j:?}"
        );
    }
}
