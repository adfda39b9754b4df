//! Stacks: a target plus the store provisioned on it.
//!
//! [`EmbeddedTarget`] is the default target: the firedrill emulator started
//! in-process on an ephemeral loopback port, with its own PostgreSQL servers,
//! a simulated clock and every capability. [`EndpointTarget`] points at any
//! AWS-compatible URL (another emulator, a LocalStack someone already runs,
//! `firedrill serve` in another process). Everything else in the harness sees
//! only the [`crate::target::Target`] trait.

mod embedded;
mod endpoint;

pub use embedded::{EmbeddedOptions, EmbeddedTarget};
pub use endpoint::EndpointTarget;
