//! The admin API under `/_firedrill/`, JSON in and out, for clients in any
//! language:
//!
//! | method and path | does |
//! |---|---|
//! | `GET /_firedrill/health` | version, default account and every account, regions, services, outages |
//! | `GET /_firedrill/clock` | `{"now": RFC 3339, "mode": "real"\|"simulated"}` |
//! | `POST /_firedrill/clock/advance` | `{"seconds": N}` or `{"to": RFC 3339}`; returns the clock |
//! | `POST /_firedrill/clock/map` | `{"wall": RFC 3339}` or `{"emulated": RFC 3339}`: the instant on both clocks (a PostgreSQL commit time on the emulator's, say); an array of them (at most [`MAX_CLOCK_MAP_BATCH`]) answers an array, in order |
//! | `POST /_firedrill/reset` | forgets all state, in every account (STS's temporary credentials too) |
//! | `GET /_firedrill/regions` | each region and whether it is in an outage |
//! | `POST` / `DELETE /_firedrill/regions/{region}/outage` | starts / ends an outage |
//! | `GET /_firedrill/audit` | the audit trail of backup, restore and destructive operations |
//! | `GET /_firedrill/timings` | the restore-time model in force and every long-running operation it timed (`crate::timing::TimingReport`) |
//! | `POST /_firedrill/timings` | times and records an operation a client performs as many requests (`crate::timing::ClientOperation`, an S3 rollback); answers the `ModelledOperation` |
//!
//! Any other path is offered to the services in turn
//! ([`crate::AwsService::admin`]): SNS answers `/_firedrill/sns/...`.

use crate::body::collect;
use crate::server::{AdminError, Dispatcher};
use crate::service::Body;
use chrono::{DateTime, Duration, Utc};
use http::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where the admin API lives.
pub const PREFIX: &str = "/_firedrill/";

/// The clock as the admin API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClockView {
    /// The emulator's current instant.
    pub now: DateTime<Utc>,
    /// `real` or `simulated`.
    pub mode: crate::clock::ClockMode,
}

/// `POST /_firedrill/clock/map`: one instant on both clocks. A request names
/// either; the answer names both (the same unless the clock is simulated).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClockInstant {
    /// The wall instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall: Option<DateTime<Utc>>,
    /// The emulator's instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emulated: Option<DateTime<Utc>>,
}

/// The most instants one `POST /_firedrill/clock/map` maps.
pub const MAX_CLOCK_MAP_BATCH: usize = 10_000;

/// Maps one asked instant to both clocks, or says what is wrong with it.
fn map_instant(clock: &crate::Clock, ask: &ClockInstant) -> Result<ClockInstant, &'static str> {
    match (ask.wall, ask.emulated) {
        (Some(wall), None) => Ok(ClockInstant {
            wall: Some(wall),
            emulated: Some(clock.emulated_time_for(wall)),
        }),
        (None, Some(emulated)) => Ok(ClockInstant {
            wall: Some(clock.wall_time_for(emulated)),
            emulated: Some(emulated),
        }),
        _ => Err("expected exactly one of {\"wall\": \"<RFC 3339>\"} or {\"emulated\": \"<RFC 3339>\"}"),
    }
}

/// The body of `POST /_firedrill/clock/advance`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdvanceRequest {
    /// Seconds to move forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// An instant to move forward to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// The answer of `GET /_firedrill/health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    /// Always `ok` when the emulator answers.
    pub status: String,
    /// The emulator's version.
    pub version: String,
    /// The default account: unsigned requests and unmapped keys act in it.
    pub account_id: String,
    /// Every account served, the default first.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// The regions served.
    pub regions: Vec<String>,
    /// The services served, by signing name.
    pub services: Vec<String>,
    /// Regions in an outage.
    pub outages: Vec<String>,
}

/// One region in `GET /_firedrill/regions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionView {
    /// The region name.
    pub region: String,
    /// Whether it is in an outage.
    pub outage: bool,
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    crate::body::response(
        status,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    json(status, &serde_json::json!({ "error": message.into() }))
}

fn clock_view(d: &Dispatcher) -> ClockView {
    ClockView {
        now: d.env().clock.now(),
        mode: d.env().clock.mode(),
    }
}

/// Answers an admin request.
pub async fn handle(d: &Arc<Dispatcher>, req: Request<Body>) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let rest = path.strip_prefix(PREFIX.trim_end_matches('/')).unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method().clone();
    match (method, segments.as_slice()) {
        (Method::GET, ["health"]) => {
            let env = d.env();
            json(
                StatusCode::OK,
                &Health {
                    status: "ok".into(),
                    version: crate::VERSION.into(),
                    account_id: env.config.account_id.clone(),
                    accounts: d.account_ids(),
                    regions: env.config.regions.clone(),
                    services: d.service_names().into_iter().map(String::from).collect(),
                    outages: env.outages.list(),
                },
            )
        }
        (Method::GET, ["clock"]) => json(StatusCode::OK, &clock_view(d)),
        (Method::POST, ["clock", "map"]) => {
            let body = match collect(req.into_body(), 4 << 20).await {
                Ok(b) => b,
                Err(e) => return problem(StatusCode::BAD_REQUEST, e.to_string()),
            };
            let clock = &d.env().clock;
            if body.first() == Some(&b'[') {
                let asks = match serde_json::from_slice::<Vec<ClockInstant>>(&body) {
                    Ok(a) => a,
                    Err(e) => {
                        return problem(
                            StatusCode::BAD_REQUEST,
                            format!(
                                "expected an array of {{\"wall\": \"<RFC 3339>\"}} or {{\"emulated\": \"<RFC 3339>\"}}: {e}"
                            ),
                        );
                    }
                };
                if asks.len() > MAX_CLOCK_MAP_BATCH {
                    return problem(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "at most {MAX_CLOCK_MAP_BATCH} instants per request, got {}",
                            asks.len()
                        ),
                    );
                }
                let mapped: Result<Vec<ClockInstant>, _> =
                    asks.iter().map(|a| map_instant(clock, a)).collect();
                return match mapped {
                    Ok(m) => json(StatusCode::OK, &m),
                    Err(why) => problem(StatusCode::BAD_REQUEST, why),
                };
            }
            match serde_json::from_slice::<ClockInstant>(&body) {
                Ok(ask) => match map_instant(clock, &ask) {
                    Ok(m) => json(StatusCode::OK, &m),
                    Err(why) => problem(StatusCode::BAD_REQUEST, why),
                },
                Err(e) => problem(
                    StatusCode::BAD_REQUEST,
                    format!("expected {{\"wall\": \"<RFC 3339>\"}} or {{\"emulated\": \"<RFC 3339>\"}}: {e}"),
                ),
            }
        }
        (Method::POST, ["clock", "advance"]) => {
            let body = match collect(req.into_body(), 1 << 16).await {
                Ok(b) => b,
                Err(e) => return problem(StatusCode::BAD_REQUEST, e.to_string()),
            };
            let ask: AdvanceRequest = match serde_json::from_slice(&body) {
                Ok(a) => a,
                Err(e) => {
                    return problem(
                        StatusCode::BAD_REQUEST,
                        format!("expected {{\"seconds\": N}} or {{\"to\": \"<RFC 3339>\"}}: {e}"),
                    );
                }
            };
            let by = match (ask.seconds, ask.to) {
                (Some(s), None) if s.is_finite() && s >= 0.0 => Duration::milliseconds((s * 1000.0) as i64),
                (None, Some(to)) => (to - d.env().clock.now()).max(Duration::zero()),
                _ => {
                    return problem(
                        StatusCode::BAD_REQUEST,
                        "give exactly one of \"seconds\" (a non-negative number) or \"to\" (an RFC 3339 instant)",
                    );
                }
            };
            match d.advance_clock(by).await {
                Ok(_) => json(StatusCode::OK, &clock_view(d)),
                Err(e) => problem(StatusCode::CONFLICT, e.to_string()),
            }
        }
        (Method::POST, ["reset"]) => {
            d.reset().await;
            json(StatusCode::OK, &serde_json::json!({ "reset": true }))
        }
        (Method::GET, ["regions"]) => {
            let env = d.env();
            let regions: Vec<RegionView> = env
                .config
                .regions
                .iter()
                .map(|r| RegionView {
                    region: r.clone(),
                    outage: env.outages.is_down(r),
                })
                .collect();
            json(StatusCode::OK, &regions)
        }
        (m @ (Method::POST | Method::DELETE), ["regions", region, "outage"]) => {
            let down = m == Method::POST;
            match d.set_outage(region, down).await {
                Ok(()) => json(
                    StatusCode::OK,
                    &RegionView {
                        region: (*region).to_owned(),
                        outage: down,
                    },
                ),
                Err(e @ AdminError::UnknownRegion(_)) => problem(StatusCode::NOT_FOUND, e.to_string()),
                Err(e) => problem(StatusCode::CONFLICT, e.to_string()),
            }
        }
        (Method::GET, ["audit"]) => json(StatusCode::OK, &d.env().audit.events()),
        (Method::GET, ["timings"]) => {
            let env = d.env();
            json(
                StatusCode::OK,
                &crate::timing::TimingReport {
                    model: env.timing_model_name(),
                    operations: env.timings.operations(),
                },
            )
        }
        (Method::POST, ["timings"]) => {
            let body = match collect(req.into_body(), 1 << 16).await {
                Ok(b) => b,
                Err(e) => return problem(StatusCode::BAD_REQUEST, e.to_string()),
            };
            let op: crate::timing::ClientOperation = match serde_json::from_slice(&body) {
                Ok(op) => op,
                Err(e) => {
                    return problem(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "expected {{\"operation\": \"s3-object-rollback\", \"resource\": ..., \"region\": ..., \"workload\": {{...}}}}: {e}"
                        ),
                    );
                }
            };
            let env = d.env();
            if !env.config.serves_region(&op.region) {
                return problem(StatusCode::NOT_FOUND, format!("no region {}", op.region));
            }
            json(StatusCode::OK, &env.client_operation(&op))
        }
        (method, segments) => match d.service_admin(&method, segments, req.uri().query()) {
            Some(resp) => resp,
            None => problem(
                StatusCode::NOT_FOUND,
                format!(
                    "no admin endpoint {path}; see /_firedrill/health, /clock, /clock/advance, /clock/map, /reset, /regions, /audit, /timings"
                ),
            ),
        },
    }
}
