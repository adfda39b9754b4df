//! The embedded target: the emulator in this process.

use crate::scenario::{Scenario, When};
use crate::target::{BACKUP_ACCOUNT, BoxFuture, Capabilities, Target};
use crate::timings::TimingPreset;
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use firedrill_emulator::timing::{ClientOperation, ModelledOperation, TimingReport};
use firedrill_emulator::{AccountConfig, Emulator, EmulatorHandle, Fidelity};
use std::collections::HashMap;

/// How to start the embedded emulator.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Where the simulated clock starts.
    pub start: DateTime<Utc>,
    /// The region the store lives in.
    pub primary_region: String,
    /// The region copies go to.
    pub secondary_region: String,
    /// Timing preset.
    pub fidelity: Fidelity,
    /// How long new and restored resources stay `CREATING` / `creating`
    /// (the preset's own when unset).
    pub create_delay: Option<chrono::Duration>,
    /// The restore-time model (the preset's own when unset: none on `fast`,
    /// the AWS defaults on `aws`).
    pub restore_model: Option<firedrill_emulator::timing::TimingModel>,
}

/// How long a drill's new and restored resources stay `CREATING` on the
/// emulator clock: long enough that a runbook which re-points the
/// application without waiting is caught every time (a command runs at wall
/// rate on the simulated clock), short enough that one which polls every
/// second waits only a few seconds. firedrill's own waits advance the
/// simulated clock, so they do not pay it in wall time.
pub const DRILL_CREATE_DELAY: chrono::Duration = chrono::Duration::seconds(3);

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            start: "2026-03-14T00:00:00Z".parse().expect("valid instant"),
            primary_region: "us-east-1".to_owned(),
            secondary_region: "us-west-2".to_owned(),
            fidelity: Fidelity::Fast,
            create_delay: None,
            restore_model: None,
        }
    }
}

/// The account id of the embedded emulator's second account,
/// [`BACKUP_ACCOUNT`] (the production account is the emulator's default,
/// `000000000000`).
pub const BACKUP_ACCOUNT_ID: &str = "222222222222";

/// The access key that acts in [`BACKUP_ACCOUNT`]: the backup account's own
/// credentials, which the production account's keys are not.
pub const BACKUP_ACCOUNT_KEY: &str = "AKIAFIREDRILLBACKUP1";

/// The firedrill emulator, in-process, as a target.
#[derive(Debug)]
pub struct EmbeddedTarget {
    emulator: EmulatorHandle,
    configs: HashMap<String, aws_config::SdkConfig>,
    /// The backup account's configuration per region.
    backup_configs: HashMap<String, aws_config::SdkConfig>,
    primary: String,
    secondary: String,
}

impl EmbeddedTarget {
    /// Starts the emulator with a simulated clock.
    pub async fn start(options: EmbeddedOptions) -> anyhow::Result<Self> {
        let regions = vec![options.primary_region.clone(), options.secondary_region.clone()];
        let mut timings = options.fidelity.settings();
        if let Some(delay) = options.create_delay {
            timings.resource_create_delay = delay;
        }
        if let Some(model) = options.restore_model {
            timings.restore_model = Some(model);
        }
        let emulator = Emulator::builder()
            .regions(regions.clone())
            .simulated_clock(options.start)
            .fidelity(options.fidelity)
            .timings(timings)
            .accounts([AccountConfig {
                name: BACKUP_ACCOUNT.to_owned(),
                account_id: BACKUP_ACCOUNT_ID.to_owned(),
                access_key_id: BACKUP_ACCOUNT_KEY.to_owned(),
                secret_access_key: None,
            }])
            .start()
            .await
            .context("could not start the embedded emulator")?;
        let mut configs = HashMap::new();
        let mut backup_configs = HashMap::new();
        for region in &regions {
            configs.insert(region.clone(), emulator.sdk_config(region).await);
            backup_configs.insert(
                region.clone(),
                emulator
                    .sdk_config_as(region, BACKUP_ACCOUNT_KEY, "firedrill-backup-secret", None)
                    .await,
            );
        }
        Ok(Self {
            emulator,
            configs,
            backup_configs,
            primary: options.primary_region,
            secondary: options.secondary_region,
        })
    }

    /// Starts an emulator for one scenario: its clock is set half an hour
    /// before the scenario's traffic starts, on the scenario's day (the
    /// default day is 2026-03-16), so the drill does not first sit through
    /// a day of scheduled backups; its timings are the scenario's
    /// `[timings]`. Returns the scenario with its day fixed.
    pub async fn for_scenario(scenario: &Scenario) -> anyhow::Result<(Self, Scenario)> {
        let mut scenario = scenario.clone();
        let day = scenario
            .day
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(2026, 3, 16).expect("valid date"));
        scenario.day = Some(day);
        let traffic_start = match scenario.workload.start {
            When::TimeOfDay(t) => day.and_time(t).and_utc(),
            When::Offset(d) => day.and_time(NaiveTime::MIN).and_utc() + d,
        };
        let dir = scenario.file.as_deref().and_then(std::path::Path::parent);
        let timings = scenario
            .timings
            .resolve(dir)
            .with_context(|| format!("scenario {}: [timings]", scenario.name))?;
        let options = match timings.preset {
            TimingPreset::Fast => EmbeddedOptions {
                start: traffic_start - Duration::minutes(30),
                create_delay: Some(DRILL_CREATE_DELAY),
                ..EmbeddedOptions::default()
            },
            // AWS's own lags, and restores as long as the model says.
            TimingPreset::Aws => EmbeddedOptions {
                start: traffic_start - Duration::minutes(30),
                fidelity: Fidelity::Aws,
                restore_model: timings.model,
                ..EmbeddedOptions::default()
            },
        };
        Ok((Self::start(options).await?, scenario))
    }

    /// Plays `scenario` on an emulator of its own (started by
    /// [`EmbeddedTarget::for_scenario`], shut down afterwards whatever the
    /// outcome), so drills played concurrently share nothing.
    pub async fn play(
        scenario: &Scenario,
        options: &crate::drill::DrillOptions,
    ) -> anyhow::Result<crate::report::Report> {
        let (target, scenario) = Self::for_scenario(scenario).await?;
        let report = crate::drill::run(&target, &scenario, options).await;
        target.shutdown().await;
        report
    }

    /// The running emulator (endpoint, admin client, audit trail).
    pub fn emulator(&self) -> &EmulatorHandle {
        &self.emulator
    }

    /// Stops the emulator and removes everything it made.
    pub async fn shutdown(self) {
        self.emulator.shutdown().await;
    }
}

impl Target for EmbeddedTarget {
    fn name(&self) -> &str {
        "embedded"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }

    fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        match self.configs.get(region) {
            Some(config) => config.clone(),
            // A region the emulator does not serve: the emulator itself answers
            // with AWS's error, so hand out a config that reaches it.
            None => self.configs[&self.primary]
                .to_builder()
                .region(aws_config::Region::new(region.to_owned()))
                .build(),
        }
    }

    fn account_sdk_config(&self, account: &str, region: &str) -> Option<aws_config::SdkConfig> {
        (account == BACKUP_ACCOUNT)
            .then(|| self.backup_configs.get(region).cloned())
            .flatten()
    }

    fn primary_region(&self) -> &str {
        &self.primary
    }

    fn secondary_region(&self) -> Option<&str> {
        Some(&self.secondary)
    }

    fn now(&self) -> DateTime<Utc> {
        self.emulator.now()
    }

    fn advance(&self, by: Duration) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.emulator.advance(by).await?;
            Ok(())
        })
    }

    fn set_region_outage(&self, region: &str, down: bool) -> BoxFuture<'_, anyhow::Result<()>> {
        let region = region.to_owned();
        Box::pin(async move {
            self.emulator.set_outage(&region, down).await?;
            Ok(())
        })
    }

    fn timings(&self) -> BoxFuture<'_, anyhow::Result<Option<TimingReport>>> {
        Box::pin(async move {
            let env = self.emulator.env();
            Ok(Some(TimingReport {
                model: env.timing_model_name(),
                operations: env.timings.operations(),
            }))
        })
    }

    fn notifications(&self, topic: &str) -> BoxFuture<'_, anyhow::Result<Option<Vec<String>>>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let messages = self
                .emulator
                .admin()
                .sns_messages(&topic)
                .await
                .with_context(|| format!("reading the SNS inbox of {topic}"))?;
            Ok(Some(messages.into_iter().map(|m| m.message).collect()))
        })
    }

    fn time_client_operation(
        &self,
        op: ClientOperation,
    ) -> BoxFuture<'_, anyhow::Result<Option<ModelledOperation>>> {
        Box::pin(async move { Ok(Some(self.emulator.env().client_operation(&op))) })
    }
}
