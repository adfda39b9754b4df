//! The services the assembled emulator serves, each built over the shared
//! environment. Adding a service means adding it here. Each account of the
//! emulator has one [`Services`], built over its own environment.

use crate::accounts::Accounts;
use crate::alarms::{BackupMetrics, RdsMetrics, SnsNotifier};
use crate::buckets::{AccountS3, BucketNamespace};
use crate::objects::S3Objects;
use crate::providers::{AuroraProvider, DynamoDbProvider, RdsProvider, S3Provider};
use firedrill_emu_backup::{Backup, ResourceProvider};
use firedrill_emu_cloudwatch::CloudWatch;
use firedrill_emu_core::{AwsService, Environment};
use firedrill_emu_dynamodb::DynamoDb;
use firedrill_emu_elasticache::ElastiCache;
use firedrill_emu_rds::Rds;
use firedrill_emu_s3::S3;
use firedrill_emu_sns::Sns;
use firedrill_emu_sts::Sts;
use std::sync::Arc;

/// Every engine, typed, for the AWS Backup providers that span them.
pub(crate) struct Services {
    pub(crate) dynamodb: Arc<DynamoDb>,
    pub(crate) rds: Arc<Rds>,
    pub(crate) backup: Arc<Backup>,
    pub(crate) elasticache: Arc<ElastiCache>,
    pub(crate) sts: Arc<Sts>,
    /// S3 as requests reach it: inside the emulator's one bucket namespace.
    s3_in_namespace: Arc<AccountS3>,
    pub(crate) kms: Arc<firedrill_emu_kms::Kms>,
    pub(crate) sns: Arc<Sns>,
    pub(crate) cloudwatch: Arc<CloudWatch>,
    pub(crate) cloudtrail: Arc<firedrill_emu_cloudtrail::CloudTrail>,
}

impl Services {
    /// Builds every service over `env`, its S3 buckets in `buckets`, and
    /// registers its engines in `accounts` for cross-account copies.
    pub(crate) fn new(env: &Environment, buckets: &Arc<BucketNamespace>, accounts: &Arc<Accounts>) -> Self {
        let dynamodb = DynamoDb::new(env);
        let s3 = S3::new(env);
        buckets.register(env.account_id(), s3.clone());
        let s3_in_namespace = AccountS3::new(env.account_id(), s3.clone(), buckets.clone());
        dynamodb.set_export_store(Arc::new(S3Objects(s3.clone())));
        let rds = Rds::new(env);
        let providers: Vec<Arc<dyn ResourceProvider>> = vec![
            Arc::new(DynamoDbProvider(dynamodb.clone(), accounts.clone())),
            Arc::new(S3Provider(s3.clone(), accounts.clone())),
            Arc::new(RdsProvider(rds.clone(), accounts.clone())),
            Arc::new(AuroraProvider(rds.clone(), accounts.clone())),
        ];
        let backup = Backup::new(env, providers);
        backup.engine().set_peer_accounts(accounts.clone());
        accounts.register(env.account_id(), &dynamodb, &rds, &s3, &backup);
        let elasticache = ElastiCache::new(env);
        elasticache.set_object_store(Arc::new(S3Objects(s3.clone())));
        let sns = Sns::new(env);
        let cloudwatch = CloudWatch::new(env);
        cloudwatch.engine().add_source(Arc::new(BackupMetrics::new(
            backup.clone(),
            env.config.regions.clone(),
        )));
        cloudwatch
            .engine()
            .add_source(Arc::new(RdsMetrics::new(rds.clone(), env.config.regions.clone())));
        cloudwatch
            .engine()
            .set_notifier(Arc::new(SnsNotifier(sns.clone())));
        let kms = firedrill_emu_kms::Kms::new(env);
        env.keys.set(Arc::new(crate::keys::KmsKeys(kms.clone())));
        Self {
            dynamodb,
            rds,
            backup,
            elasticache,
            sts: Sts::new(env),
            s3_in_namespace,
            kms,
            sns,
            cloudwatch,
            cloudtrail: firedrill_emu_cloudtrail::CloudTrail::new(env),
        }
    }

    /// The services as the dispatcher sees them.
    pub(crate) fn dispatch_list(&self) -> Vec<Arc<dyn AwsService>> {
        vec![
            self.dynamodb.clone(),
            self.s3_in_namespace.clone(),
            self.rds.clone(),
            self.backup.clone(),
            self.elasticache.clone(),
            self.sts.clone(),
            self.kms.clone(),
            // After AWS Backup, so that each tick's job outcomes are in the
            // alarms' evaluation of the same tick.
            self.sns.clone(),
            self.cloudwatch.clone(),
            self.cloudtrail.clone(),
        ]
    }
}
