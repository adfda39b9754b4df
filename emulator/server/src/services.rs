//! The services the assembled emulator serves, each built over the shared
//! environment. Adding a service means adding it here.

use firedrill_emu_core::{AwsService, Environment};
use firedrill_emu_dynamodb::DynamoDb;
use firedrill_emu_rds::Rds;
use firedrill_emu_s3::S3;
use std::sync::Arc;

/// Every engine, typed, for the AWS Backup providers that span them.
pub(crate) struct Services {
    pub(crate) dynamodb: Arc<DynamoDb>,
    pub(crate) s3: Arc<S3>,
    pub(crate) rds: Arc<Rds>,
}

impl Services {
    /// Builds every service over `env`.
    pub(crate) fn new(env: &Environment) -> Self {
        Self {
            dynamodb: DynamoDb::new(env),
            s3: S3::new(env),
            rds: Rds::new(env),
        }
    }

    /// The services as the dispatcher sees them.
    pub(crate) fn dispatch_list(&self) -> Vec<Arc<dyn AwsService>> {
        vec![self.dynamodb.clone(), self.s3.clone(), self.rds.clone()]
    }
}
