//! Shared core of the firedrill AWS emulator.
//!
//! This crate owns everything the service crates (DynamoDB, S3, RDS, AWS
//! Backup) have in common and nothing that is specific to one of them:
//!
//! - [`clock`]: the one emulator clock, real or simulated, and the mapping of
//!   emulator instants to wall-clock instants (needed where a real engine such
//!   as PostgreSQL stamps its own commits);
//! - [`config`]: account id, regions, fidelity preset and data directory;
//! - [`routing`]: reading the SigV4 credential scope to find the service and
//!   region a request is meant for, and [`sigv4`] to verify signatures in
//!   strict mode;
//! - [`service`]: the [`service::AwsService`] trait each service implements;
//! - [`server`]: the HTTP listener that dispatches requests to services and
//!   serves the admin API ([`admin`]);
//! - [`error`]: AWS's error shapes for the JSON, REST-JSON and Query protocols;
//! - [`arn`], [`audit`], [`ids`]: small shared vocabulary.
//!
//! Invariant: the core knows no service's wire format beyond what routing and
//! error shapes need, and no service's state.

pub mod admin;
pub mod arn;
pub mod audit;
pub mod body;
pub mod clock;
pub mod config;
pub mod error;
pub mod ids;
pub mod janitor;
pub mod routing;
#[cfg(feature = "sdk")]
pub mod sdk;
pub mod server;
pub mod service;
pub mod sigv4;
#[cfg(feature = "testing")]
pub mod testing;

pub use clock::{Clock, ClockMode};
pub use config::{EmulatorConfig, Fidelity, FidelitySettings};
pub use service::{AwsService, Body, Environment, RequestContext};

/// The emulator's version, reported by `/_firedrill/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
