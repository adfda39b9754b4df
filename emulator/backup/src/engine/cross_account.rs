//! Cross-account copies: a copy job (a plan's copy action or
//! `StartCopyJob`) whose destination vault is in another account of the
//! emulator.
//!
//! Each account has its own engine; the assembly hands every engine the
//! others through [`PeerAccounts`]. The source account's engine runs the
//! job. Before any data moves it asks the destination account's engine
//! whether the vault exists, whether the vault's access policy allows the
//! source account `backup:CopyIntoBackupVault` (an `Allow` naming the
//! account's root, its id or the job's role, and no `Deny`; see
//! [`crate::access_policy`]), and whether the destination's Vault Lock
//! accepts the copy's retention. A vault without such a policy fails the
//! job with AWS's status message, [`COPY_ACCESS_DENIED`]. The provider then
//! imports the data into the destination account's engines
//! ([`crate::CopyRequest::dest_account`]: a DynamoDB backup, an RDS
//! snapshot or an S3 snapshot of that account), and when the job completes
//! the destination's engine stores the recovery point in its vault. The
//! destination account owns it (its ARN carries that account); the source
//! account cannot see, delete or change it, since its requests reach only
//! its own engine; the destination's lock, lifecycle and restores apply to
//! it as to any of its own recovery points.
//!
//! The job is listed by both accounts' `ListCopyJobs` and `DescribeCopyJob`
//! under the same id, with the source account as `AccountId` (the account
//! that owns the job): in the source's from its start, in the
//! destination's once the data is moving (a copy the policy refuses never
//! reaches the destination).
//!
//! AWS requires both accounts to be members of one AWS Organization with
//! cross-account backup turned on. The emulator has no Organizations and
//! needs none: any two accounts it serves can copy to each other as far as
//! the destination vault's policy allows.
//!
//! Locks: no two engines' state locks are ever held at once. The source
//! reads its job, releases its lock, then calls the destination.

use super::*;
use crate::access_policy::Caller;
use crate::provider::RecoveryPointData;

/// The other accounts' engines, as the assembly knows them.
pub trait PeerAccounts: Send + Sync {
    /// The AWS Backup engine of `account`, when the emulator serves it.
    fn backup(&self, account: &str) -> Option<Arc<Engine>>;
}

/// AWS's status message for a copy job that the destination vault's access
/// policy does not let the source account make.
pub const COPY_ACCESS_DENIED: &str = "Access Denied trying to call AWS Backup service";

/// The IAM action a cross-account copy needs on the destination vault.
pub const COPY_INTO_VAULT: &str = "backup:CopyIntoBackupVault";

/// The account a copy job's destination vault belongs to.
pub(crate) fn destination_account(job: &CopyJob) -> String {
    Arn::parse(&job.destination_vault_arn)
        .map(|arn| arn.account)
        .unwrap_or_default()
}

/// Whether `vault`'s access policy lets the account of `job` (its root,
/// its id, or the job's role) copy into it.
pub(crate) fn copy_allowed(vault: &Vault, job: &CopyJob) -> bool {
    let caller = Caller {
        arn: &job.iam_role_arn,
        account: &job.account_id,
    };
    vault
        .access_policy
        .as_ref()
        .is_some_and(|p| p.allows(COPY_INTO_VAULT, caller, &vault.arn))
}

impl Engine {
    /// Lets this engine reach the other accounts' engines.
    pub fn set_peer_accounts(&self, peers: Arc<dyn PeerAccounts>) {
        *self.peers.write() = Some(peers);
    }

    /// Another account's engine.
    pub(crate) fn peer(&self, account: &str) -> Option<Arc<Engine>> {
        self.peers.read().as_ref().and_then(|p| p.backup(account))
    }

    /// Whether `job` copies into another account's vault.
    pub(crate) fn is_cross_account(&self, job: &CopyJob) -> bool {
        destination_account(job) != self.account()
    }

    /// The index of this engine's provider of `resource_type`.
    fn provider_of_type(&self, resource_type: &str) -> Option<usize> {
        self.providers
            .iter()
            .position(|p| p.resource_type() == resource_type)
    }

    /// Records (or updates) this account's view of another account's copy
    /// job into one of its vaults.
    pub(crate) fn record_incoming_copy(&self, job: &CopyJob) {
        let mut view = job.clone();
        view.data = None;
        view.idempotency_token = None;
        view.provider = self.provider_of_type(&job.resource_type).unwrap_or(job.provider);
        let mut st = self.state.lock();
        let jobs = &mut st.region(&job.destination_region).copy_jobs;
        match jobs.iter_mut().find(|j| j.id == job.id) {
            Some(known) => *known = view,
            None => jobs.push(view),
        }
    }

    /// Stores the recovery point of another account's completed copy job
    /// in this account's vault; `data` is already held by this account's
    /// provider of `provider_type`. Fails when the vault is gone.
    fn receive_copy(
        &self,
        job: &CopyJob,
        provider_type: &str,
        data: RecoveryPointData,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        let gone = || {
            format!(
                "Destination backup vault {} no longer exists",
                job.destination_vault_arn
            )
        };
        let provider = self.provider_of_type(provider_type).ok_or_else(gone)?;
        let arn = job.destination_recovery_point_arn.clone().ok_or_else(gone)?;
        let mut st = self.state.lock();
        let rs = st.region(&job.destination_region);
        let vault = rs.vaults.get(&job.destination_vault_name).ok_or_else(gone)?;
        let point = Self::copied_recovery_point(job, &arn, vault, provider, data, now);
        rs.recovery_points.insert(arn.clone(), point);
        Ok(arn)
    }

    /// Frees data this account's provider of `provider_type` holds for a
    /// copy that did not complete.
    async fn free_incoming(&self, provider_type: &str, data: RecoveryPointData) {
        let Some(provider) = self
            .provider_of_type(provider_type)
            .and_then(|i| self.providers.get(i))
        else {
            return;
        };
        if let Err(e) = provider.delete(data).await {
            tracing::warn!(error = %e, "could not free the data of a failed cross-account copy");
        }
    }

    /// Completes the due cross-account copy jobs whose source is in one of
    /// `regions`: the destination account's engine stores each recovery
    /// point, then both accounts' views of the job end.
    pub(crate) async fn complete_cross_account_copies(&self, now: DateTime<Utc>, regions: &[String]) {
        let due: Vec<CopyJob> = {
            let mut st = self.state.lock();
            regions
                .iter()
                .flat_map(|region| st.region(region).copy_jobs.clone())
                .filter(|j| j.state == JobState::Running && j.data.is_some())
                .filter(|j| j.completion_date.is_some_and(|t| t <= now))
                .filter(|j| regions.contains(&j.destination_region))
                .filter(|j| self.is_cross_account(j))
                .collect()
        };
        for job in due {
            let Some(data) = job.data.clone() else { continue };
            let provider_type = self
                .providers
                .get(job.provider)
                .map(|p| p.resource_type())
                .unwrap_or_default();
            let peer = self.peer(&destination_account(&job));
            let outcome = match &peer {
                Some(peer) => peer.receive_copy(&job, provider_type, data.clone(), now),
                None => Err(format!(
                    "Destination backup vault {} is no longer served",
                    job.destination_vault_arn
                )),
            };
            let ended = {
                let mut st = self.state.lock();
                let rs = st.region(&job.source_region);
                rs.copy_jobs.iter_mut().find(|j| j.id == job.id).map(|j| {
                    match &outcome {
                        Ok(_) => {
                            j.state = JobState::Completed;
                            j.status_message = None;
                        }
                        Err(message) => {
                            j.state = JobState::Failed;
                            j.status_message = Some(message.clone());
                        }
                    }
                    j.data = None;
                    j.clone()
                })
            };
            if let Some(peer) = &peer {
                match &outcome {
                    Ok(arn) => peer.audit_result(
                        &job.principal,
                        "CopyIntoBackupVault",
                        &job.destination_region,
                        arn,
                        "Success",
                    ),
                    Err(_) => peer.free_incoming(provider_type, data).await,
                }
                if let Some(ended) = &ended {
                    peer.record_incoming_copy(ended);
                }
            }
            self.audit_copy_end(&job.source_region, &job.id);
        }
    }
}
