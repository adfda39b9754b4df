//! AWS CloudTrail for the firedrill emulator: the event history
//! (`LookupEvents`) over the emulator's audit trail, so that "who deleted
//! the recovery points at 03:12?" is answered as on AWS.
//!
//! # Shape
//!
//! - [`protocol`]: the AWS JSON 1.1 wire format (`X-Amz-Target:
//!   CloudTrail_20131101.<Operation>`), every member checked before the
//!   trail is read;
//! - [`events`]: the history as CloudTrail shows it (sources, read-only,
//!   user names, resource types), the filters and the pages, with no HTTP;
//! - [`document`]: the `CloudTrailEvent` JSON of one event (`userIdentity`
//!   with the caller's account and access key, `sourceIPAddress`,
//!   `requestParameters`, `errorCode`, ...);
//! - [`errors`]: CloudTrail's error codes and their JSON 1.1 shape.
//!
//! # What is served
//!
//! `LookupEvents` over the management events the emulator's services
//! record ([`firedrill_emu_core::audit`]: backups, restores, deletions, key
//! and vault changes, job outcomes): the caller's account and region only,
//! the last 90 days on the emulator clock, newest first, filtered by one
//! `LookupAttributes` entry (`EventId`, `EventName`, `ReadOnly`,
//! `Username`, `ResourceType`, `ResourceName`, `EventSource`,
//! `AccessKeyId`) and by `StartTime`/`EndTime` (both inclusive), 1 to 50 a
//! page (50 by default) with `NextToken`. Errors are CloudTrail's:
//! `InvalidLookupAttributesException` (an unknown key, a value out of
//! range, more than one attribute), `InvalidTimeRangeException`,
//! `InvalidMaxResultsException`, `InvalidNextTokenException` (a token
//! handed out for other parameters), `InvalidEventCategoryException`.
//! `EventCategory = insight` answers no events: there are no Insights.
//! `DescribeTrails` and `ListTrails` answer no trails (the event history
//! needs none). Every other CloudTrail operation (trails, event data
//! stores, Lake queries, channels, dashboards) answers
//! `UnsupportedOperationException`; a target outside the model answers
//! `UnknownOperationException`.
//!
//! Only what the services audit is in the history: reads and most
//! configuration calls are not recorded, so a lookup never shows them, and
//! the emulator's own region outages (source `firedrill`) are left out.
//! `requestParameters` holds the resource the call named, not the whole
//! request. `LookupEvents` itself is not recorded.
//!
//! No panic is reachable from a request or a tick: outside tests the crate
//! denies `unwrap`, `expect`, `panic!` and unchecked indexing, each remaining
//! use carrying an `#[allow]` that says why it cannot fail.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod document;
pub mod errors;
pub mod events;
pub mod protocol;

pub use errors::TrailError;

use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;

/// The CloudTrail service of one account.
#[derive(Debug)]
pub struct CloudTrail {
    env: Environment,
}

impl CloudTrail {
    /// CloudTrail over the environment's audit trail.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self { env: env.clone() })
    }
}

impl AwsService for CloudTrail {
    fn signing_names(&self) -> &'static [&'static str] {
        &["cloudtrail"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let scope = events::Scope {
                account: ctx.account_id(),
                region: &ctx.region,
                now: self.env.now(),
            };
            protocol::handle(&ctx.env.audit, scope, &ctx.request_id, req).await
        })
    }
}
