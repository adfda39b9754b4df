//! CloudWatch for the firedrill emulator: metrics, statistics and metric
//! alarms evaluated on the emulator clock, with SNS actions.
//!
//! The problem it lets a drill see: backup jobs that fail for days while
//! nobody notices. AWS's answer is an alarm on `AWS/Backup`
//! `NumberOfBackupJobsFailed` notifying an SNS topic; here the assembly
//! feeds AWS Backup's job outcomes into the engine through a
//! [`MetricSource`] and alarm actions reach SNS through an
//! [`AlarmNotifier`], so this crate knows no other service.
//!
//! Served operations (Smithy RPC v2 CBOR, as `aws-sdk-cloudwatch` and
//! botocore send them, and JSON 1.0): PutMetricData (`Value`,
//! `StatisticValues`, `Values` with `Counts`; user namespaces may not begin
//! with `AWS/`), ListMetrics (filters, `RecentlyActive`, 500 a page),
//! GetMetricStatistics and GetMetricData with `MetricStat` queries
//! (SampleCount, Average, Sum, Minimum, Maximum over `Period`; the start
//! rounded down to the minute as CloudWatch rounds it), PutMetricAlarm,
//! DescribeAlarms, DeleteAlarms, DescribeAlarmHistory and SetAlarmState.
//! Metric math (`Expression`, `Metrics`), percentiles, anomaly detection
//! and composite alarms answer `InvalidParameterValue` saying so; any other
//! operation answers `UnknownOperationException`. The Query protocol is not
//! read: the SDKs of this workspace and the installed AWS CLI send CBOR.
//!
//! Alarms: see [`engine::alarms`] for the evaluation rule and
//! [`engine`] for when it runs (every whole minute of the emulator clock,
//! caught up after a jump). Actions on `arn:aws:sns:` topics publish AWS's
//! alarm message (JSON with `AlarmName`, `NewStateValue`, `Trigger`, ...);
//! other action ARNs are stored and their execution is recorded as failed.
//!
//! - [`wire`]: the CBOR and JSON encodings and the error shape;
//! - [`protocol`]: the operations, their input shapes and result shapes;
//! - [`validate`]: every request rule, before any state changes;
//! - [`engine`]: metrics, alarms and history per region, no HTTP;
//! - [`errors`]: AWS's error codes and statuses.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod engine;
pub mod errors;
pub mod protocol;
pub mod validate;
pub mod wire;

use chrono::{DateTime, Utc};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;

pub use engine::metrics::{MetricId, Sample, StatSet};
pub use engine::{AlarmNotifier, Datum, Engine, MetricSource};
pub use errors::CloudWatchError;

/// The largest request body read (PutMetricData's documented 1 MB limit).
const MAX_BODY: usize = 1 << 20;

/// The CloudWatch service.
#[derive(Debug)]
pub struct CloudWatch {
    engine: Arc<Engine>,
}

impl CloudWatch {
    /// A service over `env`.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self {
            engine: Engine::new(env),
        })
    }

    /// The engine, for the assembly's adapters.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }
}

impl AwsService for CloudWatch {
    fn signing_names(&self) -> &'static [&'static str] {
        &["monitoring"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let path = req.uri().path().to_owned();
            let target = req
                .headers()
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let encoding = if target.is_some() {
                wire::Encoding::Json
            } else {
                wire::Encoding::Cbor
            };
            let body = match firedrill_emu_core::body::collect(req.into_body(), MAX_BODY).await {
                Ok(b) => b,
                Err(e) => {
                    return CloudWatchError::Serialization(format!("Could not read the request: {e}"))
                        .into_response(encoding, &ctx.request_id);
                }
            };
            let input = match wire::decode(&path, target.as_deref(), &body) {
                Ok(i) => i,
                Err(wire::WireError::UnknownOperation(m)) => {
                    return CloudWatchError::UnknownOperation(m).into_response(encoding, &ctx.request_id);
                }
                Err(wire::WireError::Serialization(m)) => {
                    return CloudWatchError::Serialization(m).into_response(encoding, &ctx.request_id);
                }
            };
            match protocol::run(&self.engine, &ctx.region, &input.operation, input.members) {
                Ok(out) => wire::ok(input.encoding, out, &ctx.request_id),
                Err(e) => {
                    tracing::debug!(operation = input.operation, code = e.code(), message = %e, "CloudWatch error");
                    e.into_response(input.encoding, &ctx.request_id)
                }
            }
        })
    }

    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.engine.tick(now) })
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.engine.reset() })
    }
}
