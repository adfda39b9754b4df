//! Backup jobs: `StartBackupJob` (the provider's backup runs when the job
//! starts), a job's run (refused by a locked vault whose retention range
//! its lifecycle leaves, or whose customer managed KMS key is disabled,
//! pending deletion or deleted), `DescribeBackupJob`, `ListBackupJobs`,
//! `StopBackupJob`.

use super::*;
/// Filters of `ListBackupJobs`.
#[derive(Debug, Clone, Default)]
pub struct BackupJobFilter {
    /// `state`.
    pub state: Option<String>,
    /// `resourceArn`.
    pub resource_arn: Option<String>,
    /// `backupVaultName`.
    pub vault_name: Option<String>,
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `completeAfter`.
    pub complete_after: Option<DateTime<Utc>>,
    /// `completeBefore`.
    pub complete_before: Option<DateTime<Utc>>,
}

/// The parameters of `StartBackupJob` (or of one scheduled job).
#[derive(Debug, Clone, Default)]
pub struct StartBackup {
    /// The target vault.
    pub vault_name: String,
    /// The resource.
    pub resource_arn: String,
    /// The role.
    pub iam_role_arn: String,
    /// Start window in minutes.
    pub start_window_minutes: Option<i64>,
    /// Completion window in minutes.
    pub complete_window_minutes: Option<i64>,
    /// The recovery point's lifecycle.
    pub lifecycle: Option<Lifecycle>,
    /// Tags for the recovery point.
    pub recovery_point_tags: BTreeMap<String, String>,
    /// `BackupOptions` (kept and shown on the job).
    pub backup_options: BTreeMap<String, String>,
    /// The client's idempotency token (the SDKs fill one in): a retry with
    /// the same token gets the same job, and nothing is done twice.
    pub idempotency_token: Option<String>,
}

impl Engine {
    fn resource_info(&self, provider: usize, region: &str, arn: &str) -> Option<ProtectedResource> {
        self.providers
            .get(provider)?
            .list_resources(region)
            .into_iter()
            .find(|r| r.arn == arn)
    }

    /// `StartBackupJob`: the job starts at once, so the data captured is the
    /// resource as it is at this call; it completes `backup_job_duration`
    /// later on the emulator clock.
    pub async fn start_backup_job(
        &self,
        principal: &str,
        region: &str,
        req: StartBackup,
    ) -> BackupResult<BackupJob> {
        let result = self.start_backup_job_inner(principal, region, req.clone()).await;
        self.audit(principal, "StartBackupJob", region, &req.resource_arn, &result);
        result
    }

    async fn start_backup_job_inner(
        &self,
        principal: &str,
        region: &str,
        req: StartBackup,
    ) -> BackupResult<BackupJob> {
        if let Some(token) = &req.idempotency_token {
            let mut st = self.state.lock();
            let known = st
                .region(region)
                .backup_jobs
                .iter()
                .find(|j| j.idempotency_token.as_ref() == Some(token))
                .cloned();
            if let Some(job) = known {
                return Ok(job);
            }
        }
        if req.vault_name.is_empty() {
            return Err(BackupError::missing("BackupVaultName"));
        }
        if !vault_name_valid(&req.vault_name) {
            return Err(BackupError::invalid(format!(
                "Invalid BackupVaultName {:?}: it must match ^[a-zA-Z0-9\\-\\_]{{2,50}}$",
                req.vault_name
            )));
        }
        validate_tags("RecoveryPointTags", &req.recovery_point_tags)?;
        validate_backup_options(&req.backup_options)?;
        if req.resource_arn.is_empty() {
            return Err(BackupError::missing("ResourceArn"));
        }
        if req.iam_role_arn.is_empty() {
            return Err(BackupError::missing("IamRoleArn"));
        }
        Arn::parse(&req.resource_arn)
            .map_err(|_| BackupError::invalid(format!("Invalid ARN: {}", req.resource_arn)))?;
        if Arn::parse(&req.iam_role_arn)
            .map(|a| a.service != "iam")
            .unwrap_or(true)
        {
            return Err(BackupError::invalid(format!(
                "Invalid IamRoleArn: {}",
                req.iam_role_arn
            )));
        }
        let (provider, resource_type) = self
            .provider_for(&req.resource_arn)
            .and_then(|i| Some((i, self.providers.get(i)?.resource_type().to_owned())))
            .ok_or_else(|| {
            BackupError::invalid(format!(
                "Resource type of {} is not supported: firedrill protects DynamoDB tables, RDS databases, Aurora clusters and S3 buckets",
                req.resource_arn
            ))
        })?;
        if let Some(l) = &req.lifecycle {
            validate_lifecycle(l)?;
        }
        if let Some(w) = req.start_window_minutes {
            validate_window("StartWindowMinutes", w, MIN_START_WINDOW_MINUTES)?;
        }
        if let Some(w) = req.complete_window_minutes {
            validate_window("CompleteWindowMinutes", w, 1)?;
        }
        let (vault_arn, encryption_key_arn) = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            rs.vaults
                .get(&req.vault_name)
                .map(|v| (v.arn.clone(), v.encryption_key_arn.clone()))
                .ok_or_else(|| vault_not_found(&req.vault_name))?
        };
        let now = self.now();
        let start_by = crate::time::after_minutes(
            now,
            req.start_window_minutes.unwrap_or(DEFAULT_START_WINDOW_MINUTES),
        )
        .ok_or_else(|| {
            BackupError::invalid("StartWindowMinutes ends after the last instant firedrill can represent")
        })?;
        let name = self
            .resource_info(provider, region, &req.resource_arn)
            .map(|r| r.name)
            .unwrap_or_else(|| resource_name_from_arn(&req.resource_arn));
        let job = BackupJob {
            id: upper_uuid(),
            region: region.to_owned(),
            vault_name: req.vault_name.clone(),
            vault_arn,
            resource_arn: req.resource_arn.clone(),
            resource_type,
            resource_name: name,
            iam_role_arn: req.iam_role_arn.clone(),
            state: BackupJobState::Created,
            status_message: None,
            creation_date: now,
            start_by,
            started: None,
            expected_completion_date: None,
            completion_date: None,
            completion_window_minutes: req
                .complete_window_minutes
                .unwrap_or(DEFAULT_COMPLETION_WINDOW_MINUTES),
            lifecycle: req.lifecycle.clone().filter(|l| !l.is_empty()),
            recovery_point_arn: None,
            size_bytes: 0,
            created_by: None,
            provider,
            data: None,
            recovery_point_tags: req.recovery_point_tags.clone(),
            copy_actions: Vec::new(),
            continuous: false,
            updates_recovery_point: false,
            idempotency_token: req.idempotency_token.clone(),
            principal: principal.to_owned(),
            backup_options: req.backup_options.clone(),
            encryption_key_arn: Some(encryption_key_arn),
        };
        let id = job.id.clone();
        self.state.lock().region(region).backup_jobs.push(job);
        self.run_backup_job(region, &id, now).await;
        let mut st = self.state.lock();
        st.region(region)
            .backup_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Backup job {id} vanished")))
    }

    /// Starts a CREATED job at `started`: calls the provider, then marks the
    /// job RUNNING (or FAILED) and completes it if its duration has passed.
    pub(crate) async fn run_backup_job(&self, region: &str, id: &str, started: DateTime<Utc>) {
        let request = {
            let mut st = self.state.lock();
            let rs = st.region(region);
            let Some(job) = rs.backup_jobs.iter_mut().find(|j| j.id == id) else {
                return;
            };
            // A locked vault fails a job whose retention is outside its range.
            // So does one whose vault key is disabled, pending deletion or gone.
            let refused = rs
                .vaults
                .get(&job.vault_name)
                .and_then(|v| v.lock.as_ref())
                .and_then(|l| l.retention_problem(&job.vault_name, job.lifecycle.as_ref()))
                .or_else(|| {
                    let vault = rs.vaults.get(&job.vault_name)?;
                    self.key_problem(
                        region,
                        &vault.encryption_key_arn,
                        vault.customer_managed_key,
                        &format!("Unable to encrypt the backup in backup vault {}", vault.name),
                    )
                });
            if let Some(message) = refused {
                job.state = BackupJobState::Failed;
                job.started = Some(started);
                job.completion_date = Some(started);
                job.status_message = Some(message.clone());
                let (principal, resource) = (job.principal.clone(), job.resource_arn.clone());
                drop(st);
                tracing::info!(region, job = id, %message, "backup job failed");
                self.audit_result(&principal, "BackupJobFailed", region, &resource, "FAILED");
                return;
            }
            job.state = BackupJobState::Running;
            job.started = Some(started);
            BackupRequest {
                region: region.to_owned(),
                resource_arn: job.resource_arn.clone(),
                job_id: job.id.clone(),
                continuous: job.continuous,
                scheduled_at: job.creation_date,
            }
        };
        let Some(provider) = ({
            let mut st = self.state.lock();
            st.region(region)
                .backup_jobs
                .iter()
                .find(|j| j.id == id)
                .map(|j| j.provider)
        })
        .and_then(|p| self.providers.get(p).cloned()) else {
            return;
        };
        let answer = provider.backup(request).await;
        let duration = self.env.config.timings.backup_job_duration;
        let mut failed = None;
        let mut orphan = None;
        {
            let mut st = self.state.lock();
            let job = st.region(region).backup_jobs.iter_mut().find(|j| j.id == id);
            match (job, answer) {
                // Stopped (or forgotten by a reset) while the provider worked:
                // what it captured is freed, not kept.
                (Some(job), Ok(data)) if job.state != BackupJobState::Running => orphan = Some(data),
                (None, Ok(data)) => orphan = Some(data),
                (None, Err(_)) => {}
                (Some(job), Ok(data)) => {
                    let arn = data.native_arn.clone().unwrap_or_else(|| {
                        format!(
                            "arn:aws:backup:{region}:{}:recovery-point:{}",
                            self.account(),
                            upper_uuid()
                        )
                    });
                    job.recovery_point_arn = Some(arn);
                    job.size_bytes = data.size_bytes;
                    job.data = Some(data);
                    job.expected_completion_date = Some(saturating_after(started, duration));
                }
                (Some(job), Err(e)) => {
                    job.state = BackupJobState::Failed;
                    job.status_message = Some(e.to_string());
                    job.completion_date = Some(self.env.now().max(started));
                    failed = Some((job.principal.clone(), job.resource_arn.clone(), e.to_string()));
                }
            }
        }
        if let Some(data) = orphan
            && let Err(e) = provider.delete(data).await
        {
            tracing::warn!(error = %e, "could not free the data of a stopped backup job");
        }
        if let Some((principal, resource, message)) = failed {
            tracing::info!(region, job = id, %message, "backup job failed");
            self.audit_result(&principal, "BackupJobFailed", region, &resource, "FAILED");
        }
    }

    /// `DescribeBackupJob` (any region's job is found by id in `region` only).
    pub fn describe_backup_job(&self, region: &str, id: &str) -> BackupResult<BackupJob> {
        let mut st = self.state.lock();
        st.region(region)
            .backup_jobs
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| BackupError::not_found(format!("Backup job {id} not found")))
    }

    /// `ListBackupJobs`.
    pub fn list_backup_jobs(&self, region: &str, f: &BackupJobFilter) -> Vec<BackupJob> {
        let mut st = self.state.lock();
        st.region(region)
            .backup_jobs
            .iter()
            .filter(|j| f.state.as_deref().is_none_or(|s| s == j.state.as_str()))
            .filter(|j| f.resource_arn.as_deref().is_none_or(|s| s == j.resource_arn))
            .filter(|j| f.vault_name.as_deref().is_none_or(|s| s == j.vault_name))
            .filter(|j| f.resource_type.as_deref().is_none_or(|s| s == j.resource_type))
            .filter(|j| within(j.creation_date, f.created_after, f.created_before))
            .filter(|j| completed_within(j.completion_date, f.complete_after, f.complete_before))
            .cloned()
            .collect()
    }

    /// `StopBackupJob`: a CREATED or RUNNING job is ABORTED and the data
    /// it captured is freed.
    pub async fn stop_backup_job(&self, principal: &str, region: &str, id: &str) -> BackupResult<()> {
        let result = (async {
            let freed = {
                let mut st = self.state.lock();
                let job = st
                    .region(region)
                    .backup_jobs
                    .iter_mut()
                    .find(|j| j.id == id)
                    .ok_or_else(|| BackupError::not_found(format!("Backup job {id} not found")))?;
                if job.state.is_terminal() {
                    return Err(BackupError::InvalidRequest(format!(
                        "Backup job {id} is {} and cannot be stopped",
                        job.state.as_str()
                    )));
                }
                job.state = BackupJobState::Aborted;
                job.status_message = Some("The backup job was stopped".to_owned());
                job.completion_date = Some(self.now());
                job.data.take().map(|d| (job.provider, d))
            };
            if let Some((provider, data)) = freed
                && let Some(p) = self.providers.get(provider)
                && let Err(e) = p.delete(data).await
            {
                tracing::warn!(error = %e, "could not free the data of a stopped backup job");
            }
            Ok(())
        })
        .await;
        self.audit(principal, "StopBackupJob", region, id, &result);
        result
    }
}
