//! Copy jobs: `StartCopyJob`, the run of a copy (the source vault's and
//! the destination vault's customer managed KMS keys, destination checks,
//! the provider's copy), `DescribeCopyJob`, `ListCopyJobs`. A destination vault
//! in another account of the emulator is that account's engine's to check
//! and to keep: see [`super::cross_account`].

use super::*;
use crate::provider::RecoveryPointData;
/// Filters of `ListCopyJobs`.
#[derive(Debug, Clone, Default)]
pub struct CopyJobFilter {
    /// `state`.
    pub state: Option<String>,
    /// `resourceArn`.
    pub resource_arn: Option<String>,
    /// `destinationVaultArn`.
    pub destination_vault_arn: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// `sourceRecoveryPointArn`.
    pub source_recovery_point_arn: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `completeAfter`.
    pub complete_after: Option<DateTime<Utc>>,
    /// `completeBefore`.
    pub complete_before: Option<DateTime<Utc>>,
}

impl Engine {
    /// `StartCopyJob`: copies a recovery point into the destination vault
    /// (normally in another region). The provider's copy runs at once; the
    /// job completes the restore-time model's `BackupCopyJob` time later.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_copy_job(
        &self,
        principal: &str,
        region: &str,
        recovery_point_arn: &str,
        source_vault_name: &str,
        destination_vault_arn: &str,
        iam_role_arn: &str,
        lifecycle: Option<Lifecycle>,
        idempotency_token: Option<String>,
    ) -> BackupResult<CopyJob> {
        let result = (async {
            if let Some(token) = &idempotency_token {
                let mut st = self.state.lock();
                let known = st
                    .region(region)
                    .copy_jobs
                    .iter()
                    .find(|j| j.idempotency_token.as_ref() == Some(token))
                    .cloned();
                if let Some(job) = known {
                    return Ok(job);
                }
            }
            if recovery_point_arn.is_empty() {
                return Err(BackupError::missing("RecoveryPointArn"));
            }
            if source_vault_name.is_empty() {
                return Err(BackupError::missing("SourceBackupVaultName"));
            }
            if !vault_name_valid(source_vault_name) {
                return Err(BackupError::invalid(format!(
                    "Invalid SourceBackupVaultName {source_vault_name:?}: it must match ^[a-zA-Z0-9\\-\\_]{{2,50}}$"
                )));
            }
            if destination_vault_arn.is_empty() {
                return Err(BackupError::missing("DestinationBackupVaultArn"));
            }
            if iam_role_arn.is_empty() {
                return Err(BackupError::missing("IamRoleArn"));
            }
            parse_vault_arn(destination_vault_arn)?;
            if let Some(l) = &lifecycle {
                validate_lifecycle(l)?;
            }
            let id = {
                let now = self.now();
                let mut st = self.state.lock();
                let rs = st.region(region);
                if !rs.vaults.contains_key(source_vault_name) {
                    return Err(vault_not_found(source_vault_name));
                }
                let rp = rs
                    .recovery_points
                    .get(recovery_point_arn)
                    .filter(|rp| rp.vault_name == source_vault_name)
                    .ok_or_else(|| rp_not_found(recovery_point_arn))?;
                if rp.status != RecoveryPointStatus::Completed {
                    return Err(BackupError::InvalidRequest(format!(
                        "Recovery point {recovery_point_arn} is {} and cannot be copied",
                        rp.status.as_str()
                    )));
                }
                let mut job = self.new_copy_job(
                    rp,
                    destination_vault_arn,
                    lifecycle.clone(),
                    iam_role_arn,
                    None,
                    now,
                    principal,
                );
                job.idempotency_token = idempotency_token.clone();
                let id = job.id.clone();
                rs.copy_jobs.push(job);
                id
            };
            self.run_copy_job(region, &id).await;
            self.describe_copy_job(region, &id)
        })
        .await;
        self.audit(principal, "StartCopyJob", region, recovery_point_arn, &result);
        result
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_copy_job(
        &self,
        rp: &RecoveryPoint,
        destination_vault_arn: &str,
        lifecycle: Option<Lifecycle>,
        iam_role_arn: &str,
        created_by_backup_job_id: Option<String>,
        created: DateTime<Utc>,
        principal: &str,
    ) -> CopyJob {
        let (dest_region, dest_name) = parse_vault_arn(destination_vault_arn).unwrap_or_default();
        CopyJob {
            id: upper_uuid(),
            account_id: self.account().to_owned(),
            source_region: rp.region.clone(),
            source_vault_arn: rp.vault_arn.clone(),
            source_recovery_point_arn: rp.arn.clone(),
            destination_vault_arn: destination_vault_arn.to_owned(),
            destination_region: dest_region,
            destination_vault_name: dest_name,
            destination_recovery_point_arn: None,
            // Without its own lifecycle, a copy keeps the source's.
            destination_lifecycle: lifecycle
                .filter(|l| !l.is_empty())
                .or_else(|| rp.lifecycle.clone()),
            resource_arn: rp.resource_arn.clone(),
            resource_type: rp.resource_type.clone(),
            resource_name: rp.resource_name.clone(),
            creation_date: created,
            completion_date: None,
            state: JobState::Created,
            status_message: None,
            size_bytes: rp.size_bytes,
            iam_role_arn: iam_role_arn.to_owned(),
            created_by: rp.created_by.clone(),
            created_by_backup_job_id,
            provider: rp.provider,
            data: Some(rp.data.clone()),
            source_creation_date: rp.creation_date,
            // A copy of a continuous backup is a snapshot, as on AWS.
            continuous: false,
            idempotency_token: None,
            principal: principal.to_owned(),
        }
    }

    /// Why a copy job into a vault of this account cannot start: the
    /// destination region, the vault, its access policy when the job is
    /// another account's (which needs `backup:CopyIntoBackupVault`), its
    /// lock's retention range, or its customer managed KMS key. The
    /// destination account's engine answers.
    pub(crate) fn destination_problem(&self, job: &CopyJob) -> Option<String> {
        if !self.env.config.serves_region(&job.destination_region) {
            return Some(format!(
                "Destination region {} is not served by this emulator",
                job.destination_region
            ));
        }
        if self.env.outages.is_down(&job.destination_region) {
            return Some(format!(
                "Destination region {} is unavailable",
                job.destination_region
            ));
        }
        let st = self.state.lock();
        let Some(vault) = st
            .regions
            .get(&job.destination_region)
            .and_then(|rs| rs.vaults.get(&job.destination_vault_name))
        else {
            return Some(format!(
                "Destination backup vault {} does not exist",
                job.destination_vault_arn
            ));
        };
        if job.account_id != self.account() && !cross_account::copy_allowed(vault, job) {
            return Some(cross_account::COPY_ACCESS_DENIED.to_owned());
        }
        vault
            .lock
            .as_ref()
            .and_then(|l| {
                l.retention_problem(&job.destination_vault_name, job.destination_lifecycle.as_ref())
            })
            .or_else(|| {
                self.key_problem(
                    &job.destination_region,
                    &vault.encryption_key_arn,
                    vault.customer_managed_key,
                    &format!(
                        "Unable to encrypt the copy in destination backup vault {}",
                        job.destination_vault_arn
                    ),
                )
            })
    }

    /// Why the source recovery point of a copy cannot be read: its vault's
    /// customer managed KMS key is disabled, pending deletion or gone.
    fn source_key_problem(&self, region: &str, job: &CopyJob) -> Option<String> {
        let (key, customer_managed) = {
            let mut st = self.state.lock();
            let rp = st
                .region(region)
                .recovery_points
                .get(&job.source_recovery_point_arn)?;
            (rp.encryption_key_arn.clone(), rp.customer_managed_key)
        };
        self.key_problem(
            region,
            &key,
            customer_managed,
            &format!(
                "Unable to decrypt recovery point {}",
                job.source_recovery_point_arn
            ),
        )
    }

    /// Runs a CREATED copy job: checks the destination (in this account,
    /// or through the destination account's engine), calls the provider
    /// and marks the job RUNNING (or FAILED).
    pub(crate) async fn run_copy_job(&self, region: &str, id: &str) {
        let job = {
            let mut st = self.state.lock();
            st.region(region).copy_jobs.iter().find(|j| j.id == id).cloned()
        };
        let Some(job) = job else { return };
        let dest_account = cross_account::destination_account(&job);
        let peer = (dest_account != self.account()).then(|| self.peer(&dest_account));
        let problem = self.source_key_problem(region, &job).or_else(|| match &peer {
            None => self.destination_problem(&job),
            Some(Some(peer)) => peer.destination_problem(&job),
            Some(None) => Some(format!(
                "Destination backup vault {} belongs to account {dest_account}, which this emulator does not serve",
                job.destination_vault_arn
            )),
        });
        let peer = peer.flatten();
        let prepared = {
            let mut st = self.state.lock();
            let job = st.region(region).copy_jobs.iter_mut().find(|j| j.id == id);
            let Some(job) = job else { return };
            match problem {
                Some(message) => {
                    job.state = JobState::Failed;
                    job.status_message = Some(message);
                    job.completion_date = Some(job.creation_date);
                    job.data = None;
                    None
                }
                None => {
                    job.state = JobState::Running;
                    job.data.clone().map(|data| {
                        (
                            job.provider,
                            CopyRequest {
                                data,
                                source_region: region.to_owned(),
                                dest_region: job.destination_region.clone(),
                                dest_account: peer.as_ref().map(|_| dest_account.clone()),
                                job_id: job.id.clone(),
                                resource_arn: job.resource_arn.clone(),
                            },
                        )
                    })
                }
            }
        };
        let Some((provider, request)) = prepared else {
            self.audit_copy_end(region, id);
            return;
        };
        let Some(provider) = self.providers.get(provider).cloned() else {
            return;
        };
        let answer = provider.copy_to_region(request).await;
        let mut st = self.state.lock();
        let Some(job) = st.region(region).copy_jobs.iter_mut().find(|j| j.id == id) else {
            return;
        };
        match answer {
            Ok(data) => {
                job.destination_recovery_point_arn = Some(data.native_arn.clone().unwrap_or_else(|| {
                    format!(
                        "arn:aws:backup:{}:{dest_account}:recovery-point:{}",
                        job.destination_region,
                        upper_uuid()
                    )
                }));
                job.size_bytes = data.size_bytes;
                job.data = Some(data);
                let plan = self.plan_copy(job);
                job.completion_date = Some(plan.completes_at);
                let running = job.clone();
                drop(st);
                self.env.timings.record(plan);
                if let Some(peer) = &peer {
                    peer.record_incoming_copy(&running);
                }
            }
            Err(e) => {
                job.state = JobState::Failed;
                job.status_message = Some(e.to_string());
                job.completion_date = Some(job.creation_date);
                job.data = None;
                drop(st);
                self.audit_copy_end(region, id);
            }
        }
    }

    /// The recovery point a completed copy job leaves in `vault`, its data
    /// held by the provider at index `provider`.
    pub(crate) fn copied_recovery_point(
        job: &CopyJob,
        arn: &str,
        vault: &Vault,
        provider: usize,
        data: RecoveryPointData,
        now: DateTime<Utc>,
    ) -> RecoveryPoint {
        RecoveryPoint {
            arn: arn.to_owned(),
            region: job.destination_region.clone(),
            vault_name: vault.name.clone(),
            vault_arn: vault.arn.clone(),
            source_vault_arn: Some(job.source_vault_arn.clone()),
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
            lifecycle: job.destination_lifecycle.clone(),
            encryption_key_arn: vault.encryption_key_arn.clone(),
            customer_managed_key: vault.customer_managed_key,
            last_restore_time: None,
            continuous: job.continuous,
            provider,
            data,
            tags: BTreeMap::new(),
        }
    }

    /// The restore-time model's plan for a copy job that has started: AWS
    /// Backup's copy of `BackupSizeInBytes`, timed from the job's creation.
    fn plan_copy(&self, job: &CopyJob) -> ModelledOperation {
        let mut plan = self.env.plan_long_operation(
            LongOperation {
                operation: Operation::BackupCopyJob,
                resource: &job.source_recovery_point_arn,
                region: &job.source_region,
                workload: Workload {
                    bytes: job.size_bytes,
                    ..Workload::default()
                },
            },
            self.env.config.timings.backup_job_duration,
        );
        let applied = plan.completes_at.signed_duration_since(plan.started_at);
        plan.started_at = job.creation_date;
        plan.completes_at = saturating_after(job.creation_date, applied);
        plan
    }

    pub(crate) fn audit_copy_end(&self, region: &str, id: &str) {
        let job = {
            let mut st = self.state.lock();
            st.region(region).copy_jobs.iter().find(|j| j.id == id).cloned()
        };
        if let Some(job) = job {
            self.audit_result(
                &job.principal,
                "CopyJobCompleted",
                region,
                &job.source_recovery_point_arn,
                if job.state == JobState::Completed {
                    "Success"
                } else {
                    "FAILED"
                },
            );
        }
    }

    /// `DescribeCopyJob`.
    pub fn describe_copy_job(&self, region: &str, id: &str) -> BackupResult<CopyJob> {
        let mut st = self.state.lock();
        st.region(region)
            .copy_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Copy job {id} not found")))
    }

    /// `ListCopyJobs`.
    pub fn list_copy_jobs(&self, region: &str, f: &CopyJobFilter) -> Vec<CopyJob> {
        let mut st = self.state.lock();
        st.region(region)
            .copy_jobs
            .iter()
            .filter(|j| f.state.as_deref().is_none_or(|s| s == j.state.copy_str()))
            .filter(|j| f.resource_arn.as_deref().is_none_or(|s| s == j.resource_arn))
            .filter(|j| {
                f.destination_vault_arn
                    .as_deref()
                    .is_none_or(|s| s == j.destination_vault_arn)
            })
            .filter(|j| f.resource_type.as_deref().is_none_or(|s| s == j.resource_type))
            .filter(|j| {
                f.source_recovery_point_arn
                    .as_deref()
                    .is_none_or(|s| s == j.source_recovery_point_arn)
            })
            .filter(|j| within(j.creation_date, f.created_after, f.created_before))
            .filter(|j| {
                let done = matches!(j.state, JobState::Completed | JobState::Failed);
                completed_within(
                    j.completion_date.filter(|_| done),
                    f.complete_after,
                    f.complete_before,
                )
            })
            .cloned()
            .collect()
    }
}
