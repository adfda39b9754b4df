//! The target seam: the one place that knows where AWS is.
//!
//! Everything else in firedrill (provisioning, the workload, the nemesis, the
//! runbooks) talks to AWS through official `aws-sdk-*` clients built from
//! [`Target::sdk_config`], reads the clock through [`Target::now`] and breaks
//! regions through [`Target::set_region_outage`]. An embedded emulator, a
//! LocalStack container, any endpoint or a real account are all targets; the
//! integrator's `Stack` implements this trait for each. Targets differ in what
//! they can honour, which [`Capabilities`] states so a drill can say "this
//! target cannot restore to a point in time" instead of failing obscurely.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use firedrill_emulator::timing::{ClientOperation, ModelledOperation, TimingReport};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future, as the object-safe traits of this crate return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which recovery guarantees a target honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Capabilities {
    /// DynamoDB `RestoreTableToPointInTime` restores the past, not a copy of now.
    pub dynamodb_pitr: bool,
    /// S3 keeps object versions and delete markers.
    pub s3_versioning: bool,
    /// RDS `RestoreDBInstanceToPointInTime` replays to the requested instant.
    pub rds_pitr: bool,
    /// AWS Backup vaults, plans, copy and restore jobs.
    pub aws_backup: bool,
    /// More than one region, each of which can go dark on its own.
    pub regions: bool,
    /// The clock can be advanced, so hours of traffic pass in seconds.
    pub simulated_clock: bool,
    /// ElastiCache replication groups whose Redis endpoint this machine
    /// reaches, with snapshots and restores from them.
    pub elasticache: bool,
    /// RDS instances of the `mysql` and `mariadb` engines, with their
    /// snapshots, point-in-time restores and read replicas.
    #[serde(default)]
    pub rds_mysql: bool,
    /// A second account with keys of its own ([`Target::account_sdk_config`]),
    /// where a policy keeps copies out of reach of the production keys.
    #[serde(default)]
    pub backup_account: bool,
}

impl Capabilities {
    /// Everything a full drill uses, as the embedded emulator offers.
    pub fn all() -> Self {
        Self {
            dynamodb_pitr: true,
            s3_versioning: true,
            rds_pitr: true,
            aws_backup: true,
            regions: true,
            simulated_clock: true,
            elasticache: true,
            rds_mysql: true,
            backup_account: true,
        }
    }

    /// The names of the capabilities in `needed` that this target lacks.
    pub fn missing(&self, needed: &Capabilities) -> Vec<&'static str> {
        let mut out = Vec::new();
        let pairs = [
            ("dynamodb_pitr", needed.dynamodb_pitr, self.dynamodb_pitr),
            ("s3_versioning", needed.s3_versioning, self.s3_versioning),
            ("rds_pitr", needed.rds_pitr, self.rds_pitr),
            ("aws_backup", needed.aws_backup, self.aws_backup),
            ("regions", needed.regions, self.regions),
            ("simulated_clock", needed.simulated_clock, self.simulated_clock),
            ("elasticache", needed.elasticache, self.elasticache),
            ("rds_mysql", needed.rds_mysql, self.rds_mysql),
            ("backup_account", needed.backup_account, self.backup_account),
        ];
        for (name, need, have) in pairs {
            if need && !have {
                out.push(name);
            }
        }
        out
    }
}

/// What a drill needs from wherever AWS is: SDK config per region, the clock,
/// and the faults that need the target itself (a region outage).
pub trait Target: Send + Sync {
    /// A short name for reports ("embedded", "localstack", "aws").
    fn name(&self) -> &str;

    /// What this target honours.
    fn capabilities(&self) -> Capabilities;

    /// The SDK configuration for `region`; every client is built from it.
    fn sdk_config(&self, region: &str) -> aws_config::SdkConfig;

    /// The SDK configuration for `region` acting in the target's second
    /// account named `account` (where a policy keeps its locked copies,
    /// out of reach of the production account's keys), or `None` when the
    /// target serves no account of that name. The embedded emulator serves
    /// [`BACKUP_ACCOUNT`]; other targets none yet.
    fn account_sdk_config(&self, _account: &str, _region: &str) -> Option<aws_config::SdkConfig> {
        None
    }

    /// The region the store lives in.
    fn primary_region(&self) -> &str;

    /// The region copies go to and failover happens in, when there is one.
    fn secondary_region(&self) -> Option<&str>;

    /// The target's clock: every instant in a history is read here.
    fn now(&self) -> DateTime<Utc>;

    /// Moves a simulated clock forward; an error when the clock is real.
    fn advance(&self, by: Duration) -> BoxFuture<'_, anyhow::Result<()>>;

    /// Takes `region` down (`down = true`) or brings it back.
    fn set_region_outage(&self, region: &str, down: bool) -> BoxFuture<'_, anyhow::Result<()>>;

    /// The restore-time model in force and every long-running operation it
    /// timed, when the target is a firedrill emulator (`None` elsewhere:
    /// AWS and other emulators take the time they take).
    fn timings(&self) -> BoxFuture<'_, anyhow::Result<Option<TimingReport>>> {
        Box::pin(async { Ok(None) })
    }

    /// Times an operation the harness performs as many requests (an S3
    /// rollback) with the target's restore-time model, when the target is a
    /// firedrill emulator (`None` elsewhere: there the requests take the
    /// time they take).
    fn time_client_operation(
        &self,
        _op: ClientOperation,
    ) -> BoxFuture<'_, anyhow::Result<Option<ModelledOperation>>> {
        Box::pin(async { Ok(None) })
    }

    /// The messages published to the SNS topic `topic` (a name) in the
    /// primary region, oldest first, when the target can show what it
    /// delivered (a firedrill emulator's inbox; `None` elsewhere, where a
    /// subscriber of the team's own reads them).
    fn notifications(&self, _topic: &str) -> BoxFuture<'_, anyhow::Result<Option<Vec<String>>>> {
        Box::pin(async { Ok(None) })
    }

    /// Where to open a PostgreSQL connection for an RDS endpoint.
    ///
    /// The default is the endpoint itself; a target whose database endpoints
    /// are reachable only through a proxy or a mapped port overrides it.
    fn database_address(&self, address: &str, port: u16) -> (String, u16) {
        (address.to_owned(), port)
    }
}

/// Builds the official clients for one region of a target.
#[derive(Clone, Debug)]
pub struct Clients {
    /// The region these clients call.
    pub region: String,
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// S3 (path-style addressing, which every emulator and AWS accept).
    pub s3: aws_sdk_s3::Client,
    /// RDS.
    pub rds: aws_sdk_rds::Client,
    /// AWS Backup.
    pub backup: aws_sdk_backup::Client,
    /// ElastiCache.
    pub elasticache: aws_sdk_elasticache::Client,
    /// KMS.
    pub kms: aws_sdk_kms::Client,
    /// CloudWatch (the backup alarm).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// SNS (the alarm's topic).
    pub sns: aws_sdk_sns::Client,
    /// STS (who the keys belong to; AssumeRole into another account).
    pub sts: aws_sdk_sts::Client,
}

/// The name of the second account the embedded emulator serves, where a
/// policy's `backup_account` vault lives.
pub const BACKUP_ACCOUNT: &str = "backup";

impl Clients {
    /// The clients for `region` of `target`.
    pub fn new(target: &dyn Target, region: &str) -> Self {
        Self::from_config(&target.sdk_config(region), region)
    }

    /// The clients for `region` of the target's account named `account`;
    /// an error naming the account when the target serves none of that name.
    pub fn for_account(target: &dyn Target, account: &str, region: &str) -> anyhow::Result<Self> {
        let config = target.account_sdk_config(account, region).ok_or_else(|| {
            anyhow::anyhow!(
                "target {} serves no account named {account:?} (the embedded emulator serves {BACKUP_ACCOUNT:?})",
                target.name()
            )
        })?;
        Ok(Self::from_config(&config, region))
    }

    /// The account these clients' keys act in (`GetCallerIdentity`).
    pub async fn account_id(&self) -> anyhow::Result<String> {
        self.sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("GetCallerIdentity")?
            .account
            .ok_or_else(|| anyhow::anyhow!("GetCallerIdentity returned no account"))
    }

    /// The key of backup vault `vault` as a key ARN (DescribeKey resolves
    /// the alias a vault may name: key management takes only the key), or
    /// `None` when the vault names no key.
    pub async fn vault_key_arn(&self, vault: &str) -> anyhow::Result<Option<String>> {
        let d = self
            .backup
            .describe_backup_vault()
            .backup_vault_name(vault)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("DescribeBackupVault {vault}"))?;
        let Some(key) = d.encryption_key_arn else {
            return Ok(None);
        };
        let m = self
            .kms
            .describe_key()
            .key_id(&key)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .with_context(|| format!("DescribeKey {key}"))?
            .key_metadata
            .ok_or_else(|| anyhow::anyhow!("DescribeKey {key} returned no key"))?;
        Ok(Some(m.arn.unwrap_or(m.key_id)))
    }

    /// The clients built from one SDK configuration.
    pub fn from_config(config: &aws_config::SdkConfig, region: &str) -> Self {
        let config = config.clone();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build();
        Self {
            region: region.to_owned(),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            rds: aws_sdk_rds::Client::new(&config),
            backup: aws_sdk_backup::Client::new(&config),
            elasticache: aws_sdk_elasticache::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
        }
    }

    /// The clients for the target's primary region.
    pub fn primary(target: &dyn Target) -> Self {
        Self::new(target, target.primary_region())
    }
}

/// Advances the target's clock when it is simulated, and does nothing when it
/// is real (a real clock moves by itself while the caller waits).
pub async fn advance_if_simulated(target: &dyn Target, by: Duration) -> anyhow::Result<()> {
    if target.capabilities().simulated_clock && by > Duration::zero() {
        target.advance(by).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_capabilities_are_named() {
        let have = Capabilities {
            dynamodb_pitr: true,
            s3_versioning: true,
            ..Capabilities::default()
        };
        let need = Capabilities {
            dynamodb_pitr: true,
            rds_pitr: true,
            regions: true,
            ..Capabilities::default()
        };
        assert_eq!(have.missing(&need), vec!["rds_pitr", "regions"]);
        assert!(Capabilities::all().missing(&Capabilities::all()).is_empty());
    }
}
