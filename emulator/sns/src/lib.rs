//! SNS for the firedrill emulator: enough that an alarm reaches someone and
//! a test can see it did.
//!
//! Served actions (the Query protocol, `Version=2010-03-31`): CreateTopic
//! (standard topics; FIFO topics answer `InvalidParameter`), ListTopics,
//! DeleteTopic, GetTopicAttributes, Subscribe (protocol `http` to a
//! loopback endpoint), ConfirmSubscription, ListSubscriptions,
//! ListSubscriptionsByTopic, Unsubscribe and Publish (with `Subject` and
//! `MessageStructure=json`). Other protocols (`https`, email, SMS, SQS,
//! Lambda) and endpoints off loopback answer `InvalidParameter` saying so;
//! any other action answers `InvalidAction`.
//!
//! A new subscription is posted a `SubscriptionConfirmation` (with `Token`
//! and `SubscribeURL`) and receives nothing until it is confirmed, by
//! ConfirmSubscription or by a GET of the `SubscribeURL`, which points at
//! this emulator's admin API. Each published message is then posted to
//! every confirmed subscription as AWS posts it (see [`delivery`]).
//!
//! The admin API (see [`firedrill_emu_core::admin`]) shows every message
//! published to a topic, whether or not anyone subscribed:
//!
//! | method and path | does |
//! |---|---|
//! | `GET /_firedrill/sns/<topic name or ARN>/messages` | the topic's messages, oldest first, each with `Type`, `MessageId`, `TopicArn`, `Subject`, `Message`, `Timestamp` and its `Deliveries` |
//! | `GET /_firedrill/sns/confirm?TopicArn=...&Token=...` | confirms a subscription (the `SubscribeURL`) |
//!
//! - [`protocol`]: form decoding, the actions and their XML;
//! - [`engine`]: topics, subscriptions and inboxes per region, no HTTP;
//! - [`delivery`]: the HTTP POSTs to subscribers;
//! - [`errors`]: AWS's error codes.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod delivery;
pub mod engine;
pub mod errors;
pub mod protocol;

use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use http::{Method, Response, StatusCode};
use std::sync::Arc;

pub use engine::{Engine, InboxMessage};
pub use errors::SnsError;

/// The largest request body read (a 256 KiB message, form-encoded).
const MAX_BODY: usize = 1 << 20;

/// The SNS service.
#[derive(Debug)]
pub struct Sns {
    engine: Arc<Engine>,
}

impl Sns {
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

fn xml(status: StatusCode, body: String, request_id: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", request_id)
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(value).unwrap_or_default()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

impl AwsService for Sns {
    fn signing_names(&self) -> &'static [&'static str] {
        &["sns"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let query = req.uri().query().map(str::to_owned);
            let host = req
                .headers()
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("127.0.0.1")
                .to_owned();
            let body = match firedrill_emu_core::body::collect(req.into_body(), MAX_BODY).await {
                Ok(b) => b,
                Err(e) => {
                    return SnsError::invalid(format!("request body: {e}")).into_response(&ctx.request_id);
                }
            };
            let params = protocol::Params::decode(&body, query.as_deref());
            let Some(action) = params.str("Action").map(str::to_owned) else {
                return SnsError::InvalidAction("The request must contain the parameter Action.".into())
                    .into_response(&ctx.request_id);
            };
            let call = protocol::Call {
                region: &ctx.region,
                confirm_base: format!("http://{host}/_firedrill/sns/confirm"),
            };
            match protocol::run(&self.engine, &call, &action, &params) {
                Ok(result) => xml(
                    StatusCode::OK,
                    protocol::envelope(&action, &result, &ctx.request_id),
                    &ctx.request_id,
                ),
                Err(e) => {
                    tracing::debug!(action, code = e.code(), message = %e, "SNS error");
                    e.into_response(&ctx.request_id)
                }
            }
        })
    }

    fn admin(&self, method: &Method, path: &[&str], query: Option<&str>) -> Option<Response<Body>> {
        match (method, path) {
            (&Method::GET, ["sns", "confirm"]) => {
                let params = protocol::Params::decode(b"", query);
                let request_id = firedrill_emu_core::ids::request_id();
                let (Some(topic), Some(token)) = (params.str("TopicArn"), params.str("Token")) else {
                    return Some(SnsError::missing("Token").into_response(&request_id));
                };
                // Each account's SNS answers for its own topics only.
                let region = self.engine.region_of_own(topic)?;
                Some(match self.engine.confirm(&region, topic, token) {
                    Ok(arn) => xml(
                        StatusCode::OK,
                        protocol::envelope(
                            "ConfirmSubscription",
                            &format!(
                                "<SubscriptionArn>{}</SubscriptionArn>",
                                firedrill_emu_core::error::xml_escape(&arn)
                            ),
                            &request_id,
                        ),
                        &request_id,
                    ),
                    Err(e) => e.into_response(&request_id),
                })
            }
            (&Method::GET, ["sns", topic, "messages"]) => {
                let topic = decode_segment(topic);
                // Another account's SNS may hold the topic; the core answers
                // 404 when none does.
                self.engine
                    .inbox(&topic)
                    .map(|messages| json(StatusCode::OK, &messages))
            }
            _ => None,
        }
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.engine.reset() })
    }
}
