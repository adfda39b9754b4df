//! Restore jobs: `StartRestoreJob`, the run of a restore (FAILED before
//! the provider is called when the recovery point's customer managed KMS
//! key is disabled, pending deletion or gone), `DescribeRestoreJob`,
//! `ListRestoreJobs` and `ListRestoreJobsByProtectedResource`, and the
//! latest restore of a resource.

use super::*;
/// Filters of `ListRestoreJobs` and `ListRestoreJobsByProtectedResource`.
#[derive(Debug, Clone, Default)]
pub struct RestoreJobFilter {
    /// `status`.
    pub status: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// The protected resource (`ListRestoreJobsByProtectedResource`).
    pub source_resource_arn: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `completeAfter`.
    pub complete_after: Option<DateTime<Utc>>,
    /// `completeBefore`.
    pub complete_before: Option<DateTime<Utc>>,
    /// `recoveryPointCreationDateAfter`.
    pub recovery_point_created_after: Option<DateTime<Utc>>,
    /// `recoveryPointCreationDateBefore`.
    pub recovery_point_created_before: Option<DateTime<Utc>>,
    /// `restoreTestingPlanArn`: only the jobs that plan's runs started.
    pub restore_testing_plan_arn: Option<String>,
}

impl Engine {
    /// `StartRestoreJob`: records a PENDING job and says whether it is new;
    /// the caller runs a new one with [`Engine::run_restore_job`] in the
    /// background. A retry with a known idempotency token gets the known job.
    #[allow(clippy::too_many_arguments)]
    pub fn start_restore_job(
        &self,
        principal: &str,
        region: &str,
        recovery_point_arn: &str,
        metadata: BTreeMap<String, String>,
        iam_role_arn: Option<String>,
        resource_type: Option<String>,
        idempotency_token: Option<String>,
    ) -> BackupResult<(RestoreJob, bool)> {
        self.start_restore_job_for(
            principal,
            region,
            recovery_point_arn,
            metadata,
            iam_role_arn,
            resource_type,
            idempotency_token,
            None,
        )
    }

    /// [`Engine::start_restore_job`], for a restore test's job when
    /// `restore_test` is given (a restore testing plan's run).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_restore_job_for(
        &self,
        principal: &str,
        region: &str,
        recovery_point_arn: &str,
        metadata: BTreeMap<String, String>,
        iam_role_arn: Option<String>,
        resource_type: Option<String>,
        idempotency_token: Option<String>,
        restore_test: Option<RestoreTest>,
    ) -> BackupResult<(RestoreJob, bool)> {
        let mut restore_test = restore_test;
        let result = (|| {
            if let Some(token) = &idempotency_token {
                let mut st = self.state.lock();
                let known = st
                    .region(region)
                    .restore_jobs
                    .iter()
                    .find(|j| j.idempotency_token.as_ref() == Some(token))
                    .cloned();
                if let Some(job) = known {
                    return Ok((job, false));
                }
            }
            if recovery_point_arn.is_empty() {
                return Err(BackupError::missing("RecoveryPointArn"));
            }
            if metadata.is_empty() {
                return Err(BackupError::missing("Metadata"));
            }
            if let Some(t) = &resource_type
                && !rule_like_name_valid(t)
            {
                return Err(BackupError::invalid(format!(
                    "Invalid ResourceType {t:?}: it must match ^[a-zA-Z0-9\\-\\_\\.]{{1,50}}$"
                )));
            }
            let now = self.now();
            let mut st = self.state.lock();
            let rs = st.region(region);
            let rp = rs
                .recovery_points
                .get(recovery_point_arn)
                .ok_or_else(|| rp_not_found(recovery_point_arn))?;
            if rp.status != RecoveryPointStatus::Completed {
                return Err(BackupError::InvalidRequest(format!(
                    "Recovery point {recovery_point_arn} is {} and cannot be restored",
                    rp.status.as_str()
                )));
            }
            if let Some(t) = &resource_type
                && t != &rp.resource_type
            {
                return Err(BackupError::invalid(format!(
                    "ResourceType {t} does not match the recovery point's resource type {}",
                    rp.resource_type
                )));
            }
            let plan = self.env.plan_long_operation(
                LongOperation {
                    operation: Operation::BackupRestoreJob,
                    resource: &rp.arn,
                    region,
                    workload: Workload {
                        bytes: rp.size_bytes,
                        ..Workload::default()
                    },
                },
                self.env.config.timings.backup_job_duration,
            );
            let job = RestoreJob {
                id: upper_uuid(),
                region: region.to_owned(),
                recovery_point_arn: rp.arn.clone(),
                source_resource_arn: rp.resource_arn.clone(),
                vault_arn: rp.vault_arn.clone(),
                creation_date: now,
                started: None,
                completion_date: None,
                state: JobState::Created,
                status_message: None,
                size_bytes: rp.size_bytes,
                iam_role_arn,
                created_resource_arn: None,
                expected_duration: plan.completes_at.signed_duration_since(plan.started_at),
                resource_type: rp.resource_type.clone(),
                recovery_point_creation_date: rp.creation_date,
                metadata,
                idempotency_token,
                principal: principal.to_owned(),
                restore_test: restore_test.take(),
            };
            rs.restore_jobs.push(job.clone());
            self.env.timings.record(plan);
            Ok((job, true))
        })();
        self.audit(principal, "StartRestoreJob", region, recovery_point_arn, &result);
        result
    }

    /// Runs a PENDING restore job: RUNNING while the provider restores,
    /// then COMPLETED once its modelled duration has passed since its start
    /// (at once if it already has), or FAILED with the provider's message.
    pub async fn run_restore_job(&self, region: &str, id: &str) {
        let started = self.now();
        let prepared = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let Some(job) = rs.restore_jobs.iter_mut().find(|j| j.id == id) else {
                return;
            };
            job.state = JobState::Running;
            job.started = Some(started);
            // The recovery point cannot be decrypted without its vault's key.
            let key_problem = rs.recovery_points.get(&job.recovery_point_arn).and_then(|rp| {
                self.key_problem(
                    region,
                    &rp.encryption_key_arn,
                    rp.customer_managed_key,
                    &format!("Unable to decrypt recovery point {}", rp.arn),
                )
            });
            if let Some(message) = key_problem {
                job.state = JobState::Failed;
                job.status_message = Some(message);
                job.completion_date = Some(started);
                let job = job.clone();
                drop(st);
                self.audit_restore_end(&job);
                return;
            }
            let job = job.clone();
            rs.recovery_points.get(&job.recovery_point_arn).map(|rp| {
                (
                    rp.provider,
                    RestoreRequest {
                        region: region.to_owned(),
                        data: rp.data.clone(),
                        metadata: job.metadata.clone(),
                        job_id: job.id.clone(),
                        source_resource_arn: job.source_resource_arn.clone(),
                    },
                )
            })
        };
        let answer = match prepared {
            Some((provider, request)) => match self.providers.get(provider).cloned() {
                Some(p) => p.restore(request).await,
                None => Err(crate::provider::ProviderError::Failed(
                    "no provider for this recovery point".into(),
                )),
            },
            None => Err(crate::provider::ProviderError::NotFound(
                "The recovery point was deleted before the restore started".into(),
            )),
        };
        let now = self.now();
        let mut ended = None;
        {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let Some(job) = rs.restore_jobs.iter_mut().find(|j| j.id == id) else {
                return;
            };
            match answer {
                Ok(arn) => {
                    job.created_resource_arn = Some(arn);
                    if now >= saturating_after(started, job.expected_duration) {
                        job.state = JobState::Completed;
                        job.completion_date = Some(now);
                        ended = Some(job.clone());
                    }
                    let rp_arn = job.recovery_point_arn.clone();
                    if let Some(rp) = rs.recovery_points.get_mut(&rp_arn) {
                        rp.last_restore_time = Some(now);
                    }
                }
                Err(e) => {
                    job.state = JobState::Failed;
                    job.status_message = Some(e.to_string());
                    job.completion_date = Some(now);
                    ended = Some(job.clone());
                }
            }
        }
        if let Some(job) = ended {
            self.audit_restore_end(&job);
        }
    }

    pub(crate) fn audit_restore_end(&self, job: &RestoreJob) {
        let result = match job.state {
            JobState::Completed => "Success".to_owned(),
            _ => "FAILED".to_owned(),
        };
        self.audit_result(
            &job.principal,
            "RestoreJobCompleted",
            &job.region,
            &job.recovery_point_arn,
            &result,
        );
    }

    /// `DescribeRestoreJob`.
    pub fn describe_restore_job(&self, region: &str, id: &str) -> BackupResult<RestoreJob> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Restore job {id} not found")))
    }

    /// `ListRestoreJobs` and `ListRestoreJobsByProtectedResource`.
    pub fn list_restore_jobs(&self, region: &str, f: &RestoreJobFilter) -> Vec<RestoreJob> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_jobs
            .iter()
            .filter(|j| f.status.as_deref().is_none_or(|s| s == j.state.restore_str()))
            .filter(|j| f.resource_type.as_deref().is_none_or(|s| s == j.resource_type))
            .filter(|j| {
                f.source_resource_arn
                    .as_deref()
                    .is_none_or(|s| s == j.source_resource_arn)
            })
            .filter(|j| within(j.creation_date, f.created_after, f.created_before))
            .filter(|j| completed_within(j.completion_date, f.complete_after, f.complete_before))
            .filter(|j| {
                f.restore_testing_plan_arn
                    .as_deref()
                    .is_none_or(|arn| j.restore_test.as_ref().is_some_and(|t| t.plan_arn == arn))
            })
            .filter(|j| {
                within(
                    j.recovery_point_creation_date,
                    f.recovery_point_created_after,
                    f.recovery_point_created_before,
                )
            })
            .cloned()
            .collect()
    }

    /// The newest completed restore job of the resource `arn`.
    pub fn latest_restore(&self, region: &str, arn: &str) -> Option<RestoreJob> {
        let mut st = self.state.lock();
        st.region(region)
            .restore_jobs
            .iter()
            .filter(|j| j.source_resource_arn == arn && j.state == JobState::Completed)
            .max_by_key(|j| j.creation_date)
            .cloned()
    }

    /// `ListProtectedResourcesByBackupVault`: each resource with a recovery
    /// point in the vault, described by its newest one there.
    pub fn list_protected_resources_by_vault(
        &self,
        region: &str,
        vault: &str,
    ) -> BackupResult<Vec<(String, ProtectedInfo)>> {
        let mut st = self.state.lock();
        let rs = st.region(region);
        if !rs.vaults.contains_key(vault) {
            return Err(vault_not_found(vault));
        }
        let mut newest: BTreeMap<String, &RecoveryPoint> = BTreeMap::new();
        for rp in rs.recovery_points.values().filter(|rp| rp.vault_name == vault) {
            let slot = newest.entry(rp.resource_arn.clone()).or_insert(rp);
            if rp.creation_date > slot.creation_date {
                *slot = rp;
            }
        }
        Ok(newest
            .into_iter()
            .map(|(arn, rp)| {
                let info = ProtectedInfo {
                    resource_type: rp.resource_type.clone(),
                    resource_name: rp.resource_name.clone(),
                    last_backup_time: rp.creation_date,
                    last_vault_arn: rp.vault_arn.clone(),
                    last_recovery_point_arn: rp.arn.clone(),
                };
                (arn, info)
            })
            .collect())
    }
}
