//! A small HTTP client for the admin API (`/_firedrill/...`), for tools and
//! tests that talk to an emulator they did not start in-process (for example
//! `firedrill serve` in another process).

use crate::{AuditEvent, ClockInstant, ClockView, Health, RegionView};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminClientError {
    /// The emulator could not be reached.
    #[error("could not reach the emulator admin API at {url}: {message}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The emulator refused the call.
    #[error("the emulator refused {url} with HTTP {status}: {body}")]
    Refused {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The error body.
        body: String,
    },
    /// The answer was not the expected JSON.
    #[error("unexpected answer from {url}: {message}")]
    Decode {
        /// The URL called.
        url: String,
        /// The decode error.
        message: String,
    },
}

/// An admin API client.
#[derive(Debug, Clone)]
pub struct AdminClient {
    base: String,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl AdminClient {
    /// A client for the emulator at `endpoint` (`http://host:port`).
    pub fn new(endpoint: &str) -> Self {
        Self {
            base: endpoint.trim_end_matches('/').to_owned(),
            http: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: http::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, AdminClientError> {
        let url = format!("{}/_firedrill/{path}", self.base);
        let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let req = http::Request::builder()
            .method(method)
            .uri(&url)
            .header("content-type", "application/json")
            .body(Full::new(bytes))
            .map_err(|e| AdminClientError::Unreachable {
                url: url.clone(),
                message: e.to_string(),
            })?;
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|e| AdminClientError::Unreachable {
                url: url.clone(),
                message: e.to_string(),
            })?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| AdminClientError::Unreachable {
                url: url.clone(),
                message: e.to_string(),
            })?
            .to_bytes();
        if !status.is_success() {
            return Err(AdminClientError::Refused {
                url,
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        serde_json::from_slice(&body).map_err(|e| AdminClientError::Decode {
            url,
            message: e.to_string(),
        })
    }

    /// `GET /_firedrill/health`.
    pub async fn health(&self) -> Result<Health, AdminClientError> {
        self.call(http::Method::GET, "health", None).await
    }

    /// `GET /_firedrill/clock`.
    pub async fn clock(&self) -> Result<ClockView, AdminClientError> {
        self.call(http::Method::GET, "clock", None).await
    }

    /// `POST /_firedrill/clock/advance` by `seconds`.
    pub async fn advance(&self, seconds: f64) -> Result<ClockView, AdminClientError> {
        self.call(
            http::Method::POST,
            "clock/advance",
            Some(serde_json::json!({ "seconds": seconds })),
        )
        .await
    }

    /// `POST /_firedrill/clock/map`: `ask` on both clocks.
    async fn map_clock(&self, ask: serde_json::Value) -> Result<ClockInstant, AdminClientError> {
        self.call(http::Method::POST, "clock/map", Some(ask)).await
    }

    /// The emulator instant of the wall instant `wall`.
    pub async fn emulated_time_for(&self, wall: DateTime<Utc>) -> Result<DateTime<Utc>, AdminClientError> {
        let answer = self.map_clock(serde_json::json!({ "wall": wall })).await?;
        answer.emulated.ok_or_else(|| self.unmapped())
    }

    /// The emulator instants of the wall instants `walls`, in order, in as
    /// few requests as the admin API's batch limit allows.
    pub async fn emulated_times_for(
        &self,
        walls: &[DateTime<Utc>],
    ) -> Result<Vec<DateTime<Utc>>, AdminClientError> {
        let mut out = Vec::with_capacity(walls.len());
        for chunk in walls.chunks(firedrill_emu_core::admin::MAX_CLOCK_MAP_BATCH) {
            let ask: Vec<serde_json::Value> =
                chunk.iter().map(|w| serde_json::json!({ "wall": w })).collect();
            let answer: Vec<ClockInstant> = self
                .call(
                    http::Method::POST,
                    "clock/map",
                    Some(serde_json::Value::Array(ask)),
                )
                .await?;
            if answer.len() != chunk.len() {
                return Err(self.unmapped());
            }
            for a in answer {
                out.push(a.emulated.ok_or_else(|| self.unmapped())?);
            }
        }
        Ok(out)
    }

    /// The wall instant of the emulator instant `emulated`.
    pub async fn wall_time_for(&self, emulated: DateTime<Utc>) -> Result<DateTime<Utc>, AdminClientError> {
        let answer = self
            .map_clock(serde_json::json!({ "emulated": emulated }))
            .await?;
        answer.wall.ok_or_else(|| self.unmapped())
    }

    fn unmapped(&self) -> AdminClientError {
        AdminClientError::Decode {
            url: format!("{}/_firedrill/clock/map", self.base),
            message: "the answer lacks the instant asked for".to_owned(),
        }
    }

    /// `POST /_firedrill/reset`.
    pub async fn reset(&self) -> Result<(), AdminClientError> {
        self.call::<serde_json::Value>(http::Method::POST, "reset", None)
            .await
            .map(|_| ())
    }

    /// `GET /_firedrill/regions`.
    pub async fn regions(&self) -> Result<Vec<RegionView>, AdminClientError> {
        self.call(http::Method::GET, "regions", None).await
    }

    /// Starts (`down == true`) or ends an outage of `region`.
    pub async fn set_outage(&self, region: &str, down: bool) -> Result<RegionView, AdminClientError> {
        let method = if down {
            http::Method::POST
        } else {
            http::Method::DELETE
        };
        self.call(method, &format!("regions/{region}/outage"), None).await
    }

    /// `GET /_firedrill/audit`.
    pub async fn audit(&self) -> Result<Vec<AuditEvent>, AdminClientError> {
        self.call(http::Method::GET, "audit", None).await
    }

    /// `GET /_firedrill/timings`: the restore-time model in force and what
    /// it timed.
    pub async fn timings(&self) -> Result<firedrill_emu_core::timing::TimingReport, AdminClientError> {
        self.call(http::Method::GET, "timings", None).await
    }

    /// `POST /_firedrill/timings`: times and records an operation the
    /// client performs as many requests (an S3 rollback), answering how
    /// long the model says AWS takes for it.
    pub async fn time_client_operation(
        &self,
        op: &firedrill_emu_core::timing::ClientOperation,
    ) -> Result<firedrill_emu_core::timing::ModelledOperation, AdminClientError> {
        let body = serde_json::to_value(op).map_err(|e| AdminClientError::Decode {
            url: format!("{}/_firedrill/timings", self.base),
            message: e.to_string(),
        })?;
        self.call(http::Method::POST, "timings", Some(body)).await
    }

    /// `GET /_firedrill/sns/<topic>/messages`: every message published to
    /// the SNS topic (a name or an ARN), oldest first.
    pub async fn sns_messages(
        &self,
        topic: &str,
    ) -> Result<Vec<firedrill_emu_sns::InboxMessage>, AdminClientError> {
        let topic: String =
            percent_encoding::utf8_percent_encode(topic, percent_encoding::NON_ALPHANUMERIC).collect();
        self.call(http::Method::GET, &format!("sns/{topic}/messages"), None)
            .await
    }
}
