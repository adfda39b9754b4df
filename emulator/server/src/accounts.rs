//! The accounts of one emulator as the services that span them see each
//! other: AWS Backup's cross-account copies need the destination account's
//! Backup engine (to check its vault and keep the recovery point) and its
//! DynamoDB, RDS and S3 engines (to hold the copied data).
//!
//! Every account's [`Services`](crate::services::Services) registers here
//! once built. The directory holds weak references, so an account's
//! services still stop when the emulator drops them (no engine keeps
//! another alive), and nothing here lets one account reach another's
//! resources except what AWS Backup's copy into a vault provides.

use firedrill_emu_backup::{Backup, Engine, PeerAccounts, ProviderError};
use firedrill_emu_dynamodb::DynamoDb;
use firedrill_emu_rds::Rds;
use firedrill_emu_s3::S3;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// One account's engines.
struct AccountEngines {
    dynamodb: Weak<DynamoDb>,
    rds: Weak<Rds>,
    s3: Weak<S3>,
    backup: Weak<Backup>,
}

/// Every account's engines, by account id.
#[derive(Default)]
pub(crate) struct Accounts {
    by_id: RwLock<BTreeMap<String, AccountEngines>>,
}

impl Accounts {
    /// Adds `account`'s engines.
    pub(crate) fn register(
        &self,
        account: &str,
        dynamodb: &Arc<DynamoDb>,
        rds: &Arc<Rds>,
        s3: &Arc<S3>,
        backup: &Arc<Backup>,
    ) {
        self.by_id.write().insert(
            account.to_owned(),
            AccountEngines {
                dynamodb: Arc::downgrade(dynamodb),
                rds: Arc::downgrade(rds),
                s3: Arc::downgrade(s3),
                backup: Arc::downgrade(backup),
            },
        );
    }

    /// One engine of `account`, or the provider error a copy into an
    /// account the emulator does not (or no longer) serve fails with.
    fn engine<T>(
        &self,
        account: &str,
        pick: impl Fn(&AccountEngines) -> &Weak<T>,
    ) -> Result<Arc<T>, ProviderError> {
        self.by_id
            .read()
            .get(account)
            .and_then(|e| pick(e).upgrade())
            .ok_or_else(|| {
                ProviderError::NotFound(format!("Account {account} is not served by this emulator"))
            })
    }

    /// `account`'s DynamoDB.
    pub(crate) fn dynamodb(&self, account: &str) -> Result<Arc<DynamoDb>, ProviderError> {
        self.engine(account, |e| &e.dynamodb)
    }

    /// `account`'s RDS.
    pub(crate) fn rds(&self, account: &str) -> Result<Arc<Rds>, ProviderError> {
        self.engine(account, |e| &e.rds)
    }

    /// `account`'s S3.
    pub(crate) fn s3(&self, account: &str) -> Result<Arc<S3>, ProviderError> {
        self.engine(account, |e| &e.s3)
    }
}

impl PeerAccounts for Accounts {
    fn backup(&self, account: &str) -> Option<Arc<Engine>> {
        self.engine(account, |e| &e.backup)
            .ok()
            .map(|b| b.engine().clone())
    }
}
