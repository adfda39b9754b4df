//! Stacks: a target plus the store provisioned on it.
//!
//! [`EmbeddedTarget`] is the default target: the firedrill emulator started
//! in-process on an ephemeral loopback port, with its own PostgreSQL servers,
//! a simulated clock and every capability. [`EndpointTarget`] points at any
//! AWS-compatible URL (another emulator, a LocalStack someone already runs,
//! `firedrill serve` in another process). Everything else in the harness sees
//! only the [`crate::target::Target`] trait.

mod aws;
mod containers;
mod embedded;
mod endpoint;

pub use aws::{
    ALLOWLIST_ENV, AwsOptions, AwsTarget, InterlockError, TargetKind, allowlist_from_env,
    authorize_destructive, is_loopback_endpoint, parse_allowlist,
};
pub use containers::{
    BASE_BACKUP_DIR, ContainersOptions, ContainersTarget, DEFAULT_LOCALSTACK_IMAGE, DEFAULT_LOCALSTACK_TAG,
    DEFAULT_POSTGRES_TAG, WAL_ARCHIVE_DIR, docker_available,
};
pub use embedded::{DRILL_CREATE_DELAY, EmbeddedOptions, EmbeddedTarget};
pub use endpoint::EndpointTarget;
