//! The list of services the assembled emulator serves, each built over the
//! shared environment. Adding a service means adding it here.

use firedrill_emu_core::{AwsService, Environment};
use std::sync::Arc;

/// Every service, ready to be dispatched to.
pub(crate) fn all(env: &Environment) -> Vec<Arc<dyn AwsService>> {
    let s3 = firedrill_emu_s3::S3::new(env);
    vec![s3]
}
