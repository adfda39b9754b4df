//! The endpoint target: any AWS-compatible URL.
//!
//! When the endpoint is a firedrill emulator (it answers
//! `/_firedrill/health`), its simulated clock and region outages are used
//! through the admin API; otherwise the clock is the wall clock and outages
//! are unsupported, which the capabilities say.

use crate::target::{BoxFuture, Capabilities, Target};
use chrono::{DateTime, Duration, Utc};
use firedrill_emulator::timing::{ClientOperation, ModelledOperation, TimingReport};
use firedrill_emulator::{AdminClient, ClockMode};
use parking_lot::Mutex;
use std::collections::HashMap;

/// Any AWS-compatible endpoint as a target.
#[derive(Debug)]
pub struct EndpointTarget {
    endpoint: String,
    configs: HashMap<String, aws_config::SdkConfig>,
    primary: String,
    secondary: Option<String>,
    admin: Option<AdminClient>,
    simulated: bool,
    /// Emulator time minus local wall time, refreshed after every advance.
    offset: Mutex<Duration>,
}

impl EndpointTarget {
    /// Connects to `endpoint`, serving `primary` (and `secondary` when given).
    pub async fn connect(endpoint: &str, primary: &str, secondary: Option<&str>) -> anyhow::Result<Self> {
        let mut configs = HashMap::new();
        for region in std::iter::once(primary).chain(secondary) {
            configs.insert(region.to_owned(), endpoint_sdk_config(endpoint, region).await);
        }
        let admin = AdminClient::new(endpoint);
        let (admin, simulated, offset) = match admin.clock().await {
            Ok(view) => {
                let simulated = view.mode == ClockMode::Simulated;
                (Some(admin), simulated, view.now - Utc::now())
            }
            Err(_) => (None, false, Duration::zero()),
        };
        Ok(Self {
            endpoint: endpoint.to_owned(),
            configs,
            primary: primary.to_owned(),
            secondary: secondary.map(str::to_owned),
            admin,
            simulated,
            offset: Mutex::new(offset),
        })
    }

    /// The URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

/// An SDK config for `endpoint`, signing with the environment's credentials
/// when set (as real clients would) and test credentials otherwise.
async fn endpoint_sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "test".to_owned());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "test".to_owned());
    firedrill_emulator::sdk_config_with(endpoint, region, &key, &secret).await
}

impl Target for EndpointTarget {
    fn name(&self) -> &str {
        "endpoint"
    }

    fn capabilities(&self) -> Capabilities {
        let firedrill = self.admin.is_some();
        Capabilities {
            // Only a firedrill endpoint is known to restore the past; others
            // are probed by `firedrill matrix`.
            dynamodb_pitr: firedrill,
            s3_versioning: true,
            rds_pitr: firedrill,
            aws_backup: firedrill,
            regions: firedrill && self.secondary.is_some(),
            simulated_clock: self.simulated,
            // A firedrill endpoint runs its clusters on this machine.
            elasticache: firedrill,
            // A firedrill endpoint runs MariaDB behind the mysql engines.
            rds_mysql: firedrill,
            // The endpoint's keys are one account's.
            backup_account: false,
        }
    }

    fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        match self.configs.get(region) {
            Some(c) => c.clone(),
            None => self.configs[&self.primary]
                .to_builder()
                .region(aws_config::Region::new(region.to_owned()))
                .build(),
        }
    }

    fn primary_region(&self) -> &str {
        &self.primary
    }

    fn secondary_region(&self) -> Option<&str> {
        self.secondary.as_deref()
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock()
    }

    fn advance(&self, by: Duration) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let admin = match (&self.admin, self.simulated) {
                (Some(admin), true) => admin,
                _ => anyhow::bail!("the clock of {} is real and cannot be advanced", self.endpoint),
            };
            let view = admin.advance(by.num_milliseconds() as f64 / 1000.0).await?;
            *self.offset.lock() = view.now - Utc::now();
            Ok(())
        })
    }

    fn set_region_outage(&self, region: &str, down: bool) -> BoxFuture<'_, anyhow::Result<()>> {
        let region = region.to_owned();
        Box::pin(async move {
            let Some(admin) = &self.admin else {
                anyhow::bail!(
                    "{} cannot take a region down (it is not a firedrill emulator)",
                    self.endpoint
                );
            };
            admin.set_outage(&region, down).await?;
            Ok(())
        })
    }

    fn timings(&self) -> BoxFuture<'_, anyhow::Result<Option<TimingReport>>> {
        Box::pin(async move {
            match &self.admin {
                Some(admin) => Ok(Some(admin.timings().await?)),
                None => Ok(None),
            }
        })
    }

    fn time_client_operation(
        &self,
        op: ClientOperation,
    ) -> BoxFuture<'_, anyhow::Result<Option<ModelledOperation>>> {
        Box::pin(async move {
            match &self.admin {
                Some(admin) => Ok(Some(admin.time_client_operation(&op).await?)),
                None => Ok(None),
            }
        })
    }
    fn notifications(&self, topic: &str) -> BoxFuture<'_, anyhow::Result<Option<Vec<String>>>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            match &self.admin {
                Some(admin) => Ok(Some(
                    admin
                        .sns_messages(&topic)
                        .await?
                        .into_iter()
                        .map(|m| m.message)
                        .collect(),
                )),
                None => Ok(None),
            }
        })
    }
}
