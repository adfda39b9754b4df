//! Shared core of the firedrill AWS emulator.
//!
//! This crate owns everything the service crates (DynamoDB, S3, RDS,
//! ElastiCache, AWS Backup) have in common and nothing that is specific to one of them:
//!
//! - [`clock`]: the one emulator clock, real or simulated, and the mapping of
//!   emulator instants to wall-clock instants (needed where a real engine such
//!   as PostgreSQL stamps its own commits);
//! - [`config`]: the default account and the others, regions, fidelity
//!   preset, data directory and the front end's [`TransportLimits`];
//! - [`accounts`]: which account each access key acts in, the temporary
//!   credentials STS issues, and the caller of each request;
//! - [`routing`]: reading the SigV4 credential scope to find the service and
//!   region a request is meant for ([`protocol`] tells the protocol, and so
//!   the service, of a request that names none), and [`sigv4`] to verify
//!   signatures in strict mode (request time within 15 minutes, `host`
//!   signed; presigned URLs within their `X-Amz-Expires`), and [`methods`]
//!   for the HTTP methods each protocol uses and AWS's answer to the rest;
//! - [`transport`]: the front end's own rules, as a real one's: header,
//!   body and keep-alive timeouts, a connection limit, hyper's framing rules
//!   applied before hyper so that malformed HTTP, oversized heads and bodies
//!   and S3 payload digest mismatches are answered in the shape of the
//!   protocol the request speaks;
//! - [`service`]: the [`service::AwsService`] trait each service implements;
//! - [`timing`]: the restore-time model (how long AWS's restores and copies
//!   take, by size, with a low / typical / high band and a source for every
//!   figure) and the log of what it timed;
//! - [`server`]: the HTTP listener that dispatches requests to services and
//!   serves the admin API ([`admin`]);
//! - [`error`]: AWS's error shapes for the JSON, REST-JSON, Query and
//!   REST-XML protocols, escaping every echoed value (a character XML 1.0
//!   cannot carry, such as NUL, becomes U+FFFD), and [`checksum`]: the
//!   `x-amz-crc32` every JSON 1.0 answer carries;
//! - [`arn`], [`audit`], [`ids`]: small shared vocabulary.
//!
//! Invariant: the core knows no service's wire format beyond what routing and
//! error shapes need, and no service's state. No panic is reachable from a
//! request or a tick: outside tests the crate denies `unwrap`, `expect`,
//! `panic!` and unchecked indexing, each remaining use carrying an
//! `#[allow]` that says why it cannot fail.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod accounts;
pub mod admin;
pub mod arn;
pub mod audit;
pub mod body;
pub mod checksum;
pub mod clock;
pub mod config;
pub mod error;
pub mod ids;
pub mod janitor;
pub mod keys;
pub mod methods;
pub mod protocol;
pub mod query;
pub mod routing;
pub mod s3_host;
#[cfg(feature = "sdk")]
pub mod sdk;
pub mod server;
pub mod service;
pub mod sigv4;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timing;
pub mod transport;

pub use clock::{Clock, ClockMode};
pub use config::{EmulatorConfig, Fidelity, FidelitySettings, TransportLimits};
pub use service::{AwsService, Body, Environment, LongOperation, RequestContext};

/// The emulator's version, reported by `/_firedrill/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
