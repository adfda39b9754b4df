//! Test doubles for the AWS Backup tests: an in-memory `ResourceProvider`
//! (`InMemoryProvider`) standing in for the DynamoDB, RDS and S3 engines,
//! plus helpers to start a test server with it. Test code only.

#![allow(dead_code)]

use firedrill_emu_backup::{
    Backup, BackupRequest, CopyRequest, ProtectedResource, ProviderError, RecoveryPointData,
    ResourceProvider, RestoreRequest,
};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::testing::TestServer;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The account the test server uses.
pub const ACCOUNT: &str = "000000000000";
/// A role ARN for requests.
pub const ROLE: &str = "arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole";

/// One in-memory resource: its tags and its "data" (a list of items).
#[derive(Debug, Clone, Default)]
pub struct FakeResource {
    pub region: String,
    pub name: String,
    pub tags: Vec<(String, String)>,
    pub items: Vec<String>,
}

/// What a fake backup holds.
#[derive(Debug, Clone)]
pub struct FakeSnapshot {
    pub id: u64,
    pub region: String,
    pub resource_arn: String,
    pub items: Vec<String>,
}

/// The kinds of resource the double can pretend to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    DynamoDb,
    S3,
    Rds,
}

/// An in-memory test double of `ResourceProvider`.
pub struct InMemoryProvider {
    pub kind: Kind,
    pub resources: Mutex<BTreeMap<String, FakeResource>>,
    pub backups: Mutex<Vec<BackupRequest>>,
    pub copies: Mutex<Vec<(String, String)>>,
    pub restores: Mutex<Vec<RestoreRequest>>,
    pub deleted: Mutex<Vec<u64>>,
    pub live: Mutex<BTreeMap<u64, FakeSnapshot>>,
    next: AtomicU64,
}

impl InMemoryProvider {
    pub fn new(kind: Kind) -> Arc<Self> {
        Arc::new(Self {
            kind,
            resources: Mutex::new(BTreeMap::new()),
            backups: Mutex::new(Vec::new()),
            copies: Mutex::new(Vec::new()),
            restores: Mutex::new(Vec::new()),
            deleted: Mutex::new(Vec::new()),
            live: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(1),
        })
    }

    /// The ARN of a resource called `name` in `region`.
    pub fn arn(&self, region: &str, name: &str) -> String {
        match self.kind {
            Kind::DynamoDb => format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"),
            Kind::S3 => format!("arn:aws:s3:::{name}"),
            Kind::Rds => format!("arn:aws:rds:{region}:{ACCOUNT}:db:{name}"),
        }
    }

    /// Adds (or replaces) a resource and returns its ARN.
    pub fn add(&self, region: &str, name: &str, tags: &[(&str, &str)], items: &[&str]) -> String {
        let arn = self.arn(region, name);
        self.resources.lock().insert(
            arn.clone(),
            FakeResource {
                region: region.to_owned(),
                name: name.to_owned(),
                tags: tags
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                items: items.iter().map(|s| (*s).to_owned()).collect(),
            },
        );
        arn
    }

    pub fn set_items(&self, arn: &str, items: &[&str]) {
        if let Some(r) = self.resources.lock().get_mut(arn) {
            r.items = items.iter().map(|s| (*s).to_owned()).collect();
        }
    }

    pub fn tag(&self, arn: &str, key: &str, value: &str) {
        if let Some(r) = self.resources.lock().get_mut(arn) {
            r.tags.push((key.to_owned(), value.to_owned()));
        }
    }

    pub fn resource(&self, arn: &str) -> Option<FakeResource> {
        self.resources.lock().get(arn).cloned()
    }

    fn snapshot(&self, region: &str, resource_arn: &str, items: Vec<String>) -> RecoveryPointData {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let snap = FakeSnapshot {
            id,
            region: region.to_owned(),
            resource_arn: resource_arn.to_owned(),
            items: items.clone(),
        };
        self.live.lock().insert(id, snap.clone());
        let name = resource_arn.rsplit(['/', ':']).next().unwrap_or("x").to_owned();
        let native_arn = match self.kind {
            Kind::DynamoDb => Some(format!(
                "arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}/backup/0{id:013}-fake"
            )),
            Kind::Rds => Some(format!(
                "arn:aws:rds:{region}:{ACCOUNT}:snapshot:awsbackup:job-fake-{id}"
            )),
            Kind::S3 => None,
        };
        RecoveryPointData {
            native_arn,
            size_bytes: items.iter().map(|s| s.len() as u64).sum(),
            payload: Arc::new(snap),
        }
    }
}

impl ResourceProvider for InMemoryProvider {
    fn resource_type(&self) -> &'static str {
        match self.kind {
            Kind::DynamoDb => "DynamoDB",
            Kind::S3 => "S3",
            Kind::Rds => "RDS",
        }
    }

    fn owns(&self, resource_arn: &str) -> bool {
        match self.kind {
            Kind::DynamoDb => {
                resource_arn.starts_with("arn:aws:dynamodb:") && resource_arn.contains(":table/")
            }
            Kind::S3 => resource_arn.starts_with("arn:aws:s3:::"),
            Kind::Rds => resource_arn.starts_with("arn:aws:rds:") && resource_arn.contains(":db:"),
        }
    }

    fn list_resources(&self, region: &str) -> Vec<ProtectedResource> {
        self.resources
            .lock()
            .iter()
            .filter(|(_, r)| r.region == region)
            .map(|(arn, r)| ProtectedResource {
                arn: arn.clone(),
                name: r.name.clone(),
                tags: r.tags.clone(),
            })
            .collect()
    }

    fn backup(&self, request: BackupRequest) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let items = self
                .resource(&request.resource_arn)
                .ok_or_else(|| ProviderError::NotFound(format!("{} does not exist", request.resource_arn)))?
                .items;
            let data = self.snapshot(&request.region, &request.resource_arn, items);
            self.backups.lock().push(request);
            Ok(data)
        })
    }

    fn copy_to_region(
        &self,
        request: CopyRequest,
    ) -> BoxFuture<'_, Result<RecoveryPointData, ProviderError>> {
        Box::pin(async move {
            let snap = request
                .data
                .payload
                .downcast_ref::<FakeSnapshot>()
                .cloned()
                .ok_or_else(|| ProviderError::Failed("not a fake snapshot".into()))?;
            self.copies
                .lock()
                .push((request.source_region.clone(), request.dest_region.clone()));
            Ok(self.snapshot(&request.dest_region, &snap.resource_arn, snap.items))
        })
    }

    fn restore(&self, request: RestoreRequest) -> BoxFuture<'_, Result<String, ProviderError>> {
        Box::pin(async move {
            let snap = request
                .data
                .payload
                .downcast_ref::<FakeSnapshot>()
                .cloned()
                .ok_or_else(|| ProviderError::Failed("not a fake snapshot".into()))?;
            let key = match self.kind {
                Kind::DynamoDb => "targetTableName",
                Kind::S3 => "DestinationBucketName",
                Kind::Rds => "DBInstanceIdentifier",
            };
            let name =
                request.metadata.get(key).cloned().ok_or_else(|| {
                    ProviderError::InvalidParameter(format!("restore metadata needs {key}"))
                })?;
            let arn = self.arn(&request.region, &name);
            if self.resources.lock().contains_key(&arn) {
                return Err(ProviderError::AlreadyExists(format!("{name} already exists")));
            }
            let items: Vec<&str> = snap.items.iter().map(String::as_str).collect();
            self.add(&request.region, &name, &[], &items);
            self.restores.lock().push(request);
            Ok(arn)
        })
    }

    fn delete(&self, data: RecoveryPointData) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            if let Some(snap) = data.payload.downcast_ref::<FakeSnapshot>() {
                self.live.lock().remove(&snap.id);
                self.deleted.lock().push(snap.id);
            }
            Ok(())
        })
    }
}

/// A test server with AWS Backup over in-memory DynamoDB, S3 and RDS doubles.
pub struct Harness {
    pub server: TestServer,
    pub dynamodb: Arc<InMemoryProvider>,
    pub s3: Arc<InMemoryProvider>,
    pub rds: Arc<InMemoryProvider>,
    pub backup: Arc<Backup>,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(firedrill_emu_core::EmulatorConfig::default()).await
    }

    /// Starts with `config` (a fidelity preset, say) on the usual simulated clock.
    pub async fn start_with(config: firedrill_emu_core::EmulatorConfig) -> Self {
        let dynamodb = InMemoryProvider::new(Kind::DynamoDb);
        let s3 = InMemoryProvider::new(Kind::S3);
        let rds = InMemoryProvider::new(Kind::Rds);
        let providers: Vec<Arc<dyn ResourceProvider>> = vec![dynamodb.clone(), s3.clone(), rds.clone()];
        let slot: Arc<Mutex<Option<Arc<Backup>>>> = Arc::new(Mutex::new(None));
        let slot2 = slot.clone();
        let clock = firedrill_emu_core::clock::Clock::simulated(
            "2026-03-14T12:00:00Z".parse().expect("valid instant"),
        );
        let server = TestServer::start_with(config, clock, move |env| {
            let backup = Backup::new(env, providers);
            *slot2.lock() = Some(backup.clone());
            vec![backup as Arc<dyn firedrill_emu_core::AwsService>]
        })
        .await;
        let backup = slot.lock().clone().expect("the service was built");
        Self {
            server,
            dynamodb,
            s3,
            rds,
            backup,
        }
    }

    pub async fn client(&self, region: &str) -> aws_sdk_backup::Client {
        aws_sdk_backup::Client::new(&self.server.sdk_config(region).await)
    }

    pub fn vault_arn(region: &str, name: &str) -> String {
        format!("arn:aws:backup:{region}:{ACCOUNT}:backup-vault:{name}")
    }
}

/// The AWS error code of an SDK error.
pub fn code<E: aws_sdk_backup::error::ProvideErrorMetadata>(err: &E) -> String {
    err.code().unwrap_or("<none>").to_owned()
}
