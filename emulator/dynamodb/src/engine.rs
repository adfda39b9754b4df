//! The DynamoDB engine: per-region tables, backups and PITR histories,
//! with no HTTP. Table operations live here; item operations in
//! [`crate::items`], backups and restores in [`crate::backups`].
//!
//! Locking: one `RwLock` per region, taken for the whole of an operation, so
//! every operation (including a transaction across tables) is atomic, and
//! every write is stamped with the emulator instant while the lock is held.
//! Stamps never decrease within a table.

use crate::errors::{DynamoDbError, Result};
use crate::history::History;
use crate::protocol::*;
use crate::store::ItemStore;
use crate::table::{self, Table, TableDefinition, TableMeta};
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::Environment;
use firedrill_emu_core::arn::Arn;
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A backup's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupType {
    /// `CreateBackup` by a user.
    User,
    /// Kept by DynamoDB when a table with PITR is deleted.
    System,
    /// Taken by AWS Backup.
    AwsBackup,
}

impl BackupType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::System => "SYSTEM",
            Self::AwsBackup => "AWS_BACKUP",
        }
    }
}

/// An on-demand or system backup: the table's settings and items as they
/// were when it was taken.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The ARN.
    pub arn: String,
    /// The name.
    pub name: String,
    /// The kind.
    pub kind: BackupType,
    /// When taken.
    pub created_at: DateTime<Utc>,
    /// When it expires (`SYSTEM` backups).
    pub expires_at: Option<DateTime<Utc>>,
    /// The table's settings then.
    pub meta: TableMeta,
    /// The table's items then.
    pub items: Arc<ItemStore>,
}

/// A table deleted while PITR was on: its history stays restorable (by
/// `SourceTableArn`) until the recovery period has passed.
#[derive(Debug, Clone)]
pub struct DeletedTable {
    /// Settings at deletion.
    pub meta: TableMeta,
    /// The history up to deletion.
    pub history: History,
    /// When deleted.
    pub deleted_at: DateTime<Utc>,
}

/// One region's state.
#[derive(Debug, Default)]
pub struct Region {
    /// Tables by name (including ones still `DELETING`).
    pub tables: BTreeMap<String, Table>,
    /// Backups by ARN.
    pub backups: BTreeMap<String, Backup>,
    /// Deleted tables whose PITR history is still in its window.
    pub deleted: Vec<DeletedTable>,
    /// `TransactWriteItems` client request tokens of the last ten minutes:
    /// token to (request fingerprint, when applied).
    pub tokens: HashMap<String, (u64, DateTime<Utc>)>,
    /// Streams by ARN: the enabled ones and those disabled in the last 24
    /// hours.
    pub streams: BTreeMap<String, crate::streams::SharedStream>,
    /// Table exports by ARN.
    pub exports: BTreeMap<String, crate::exports::Export>,
}

/// How long DynamoDB remembers a transaction's `ClientRequestToken`.
pub const TOKEN_LIFETIME_MINUTES: i64 = 10;

/// The engine.
#[derive(Debug)]
pub struct Engine {
    pub(crate) env: Environment,
    regions: Mutex<HashMap<String, Arc<RwLock<Region>>>>,
    /// Where table exports are written, once the assembly has set it.
    export_store: std::sync::OnceLock<Arc<dyn crate::exports::ExportStore>>,
}

/// Turns a `TableName` member (a name or a table ARN) into a table name.
pub fn resolve_table_name(name_or_arn: &str) -> Result<String> {
    if name_or_arn.starts_with("arn:") {
        let arn = Arn::parse(name_or_arn).map_err(|e| DynamoDbError::validation(e.to_string()))?;
        let name = arn
            .resource
            .strip_prefix("table/")
            .map(|r| r.split('/').next().unwrap_or(r))
            .ok_or_else(|| DynamoDbError::validation(format!("Invalid table ARN: {name_or_arn}")))?;
        return Ok(name.to_owned());
    }
    table::validate_table_name(name_or_arn, "tableName")?;
    Ok(name_or_arn.to_owned())
}

impl Engine {
    /// An empty engine sharing `env`.
    pub fn new(env: &Environment) -> Self {
        Self {
            env: env.clone(),
            regions: Mutex::new(HashMap::new()),
            export_store: std::sync::OnceLock::new(),
        }
    }

    /// Sets where table exports are written (once; later calls are
    /// ignored).
    pub fn set_export_store(&self, store: Arc<dyn crate::exports::ExportStore>) {
        if self.export_store.set(store).is_err() {
            tracing::debug!("the DynamoDB export store was already set");
        }
    }

    /// Where table exports are written, when set.
    pub fn export_store(&self) -> Option<&Arc<dyn crate::exports::ExportStore>> {
        self.export_store.get()
    }

    /// The current emulator instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.env.now()
    }

    /// How long a new or restored table stays `CREATING` (and a deleted
    /// one `DELETING`).
    pub fn delay(&self) -> Duration {
        self.env.config.timings.resource_create_delay
    }

    /// How far `LatestRestorableDateTime` trails now.
    pub fn pitr_lag(&self) -> Duration {
        self.env.config.timings.dynamodb_pitr_lag
    }

    /// A region's state.
    pub fn region(&self, region: &str) -> Arc<RwLock<Region>> {
        let mut regions = self.regions.lock();
        if let Some(r) = regions.get(region) {
            return r.clone();
        }
        regions
            .entry(region.to_owned())
            .or_insert_with(|| Arc::new(RwLock::new(Region::default())))
            .clone()
    }

    /// Every region with state.
    pub fn regions(&self) -> Vec<(String, Arc<RwLock<Region>>)> {
        self.regions
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Forgets everything.
    pub fn reset(&self) {
        self.regions.lock().clear();
    }

    /// The ARN of table `name` in `region`.
    pub fn table_arn(&self, region: &str, name: &str) -> String {
        format!("arn:aws:dynamodb:{region}:{}:table/{name}", self.env.account_id())
    }

    /// Lets time pass: finishes deletions, prunes PITR histories, expires
    /// system backups and deleted tables' histories.
    pub fn tick(&self, now: DateTime<Utc>) {
        let delay = self.delay();
        for (_, region) in self.regions() {
            let mut r = region.write();
            r.tables
                .retain(|_, t| t.meta.deleting_at.is_none_or(|d| now < d + delay));
            for t in r.tables.values_mut() {
                sweep_expired(t, now);
                if let Some(h) = &mut t.history {
                    let start = h.earliest(now);
                    h.prune_lazily(start);
                }
            }
            r.backups.retain(|_, b| b.expires_at.is_none_or(|e| now < e));
            r.tokens
                .retain(|_, (_, at)| now - *at < Duration::minutes(TOKEN_LIFETIME_MINUTES));
            crate::streams::tick(&mut r, now);
            r.deleted.retain(|d| now < d.deleted_at + d.history.period());
            for d in &mut r.deleted {
                let start = d.history.earliest(now);
                d.history.prune_lazily(start.min(d.deleted_at));
            }
        }
    }

    // ----- Table operations -----

    /// `CreateTable`.
    pub fn create_table(&self, region: &str, input: CreateTableInput) -> Result<TableDescription> {
        let name = resolve_table_name(&input.table_name)?;
        let now = self.now();
        let active_at = now + self.delay();
        let parsed = table::parse_definition(
            &TableDefinition {
                attribute_definitions: &input.attribute_definitions,
                key_schema: &input.key_schema,
                gsis: input.global_secondary_indexes.as_deref().unwrap_or_default(),
                lsis: input.local_secondary_indexes.as_deref().unwrap_or_default(),
                billing_mode: input.billing_mode.as_deref(),
                throughput: input.provisioned_throughput,
            },
            active_at,
        )?;
        let tags = input.tags.unwrap_or_default();
        validate_tags(&tags)?;
        let table_class = table::parse_table_class(input.table_class.as_deref().unwrap_or("STANDARD"))?;
        if let Some(o) = &input.on_demand_throughput {
            table::validate_on_demand(o, &parsed.billing_mode)?;
        }
        if let Some(w) = &input.warm_throughput {
            table::validate_warm(w)?;
        }
        let meta = TableMeta {
            arn: self.table_arn(region, &name),
            name: name.clone(),
            id: uuid::Uuid::new_v4().to_string(),
            attribute_definitions: input.attribute_definitions,
            key_schema: input.key_schema,
            key: parsed.key,
            gsis: parsed.gsis,
            lsis: parsed.lsis,
            pay_per_request_since: (parsed.billing_mode == "PAY_PER_REQUEST").then_some(now),
            billing_mode: parsed.billing_mode,
            throughput: parsed.throughput,
            sse: self.sse_for(input.sse_specification.as_ref(), region)?,
            stream: None,
            latest_stream: None,
            tags,
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            table_class,
            table_class_updated_at: None,
            on_demand: input.on_demand_throughput,
            warm: input.warm_throughput,
            created_at: now,
            active_at,
            deleting_at: None,
            restore: None,
            ttl: None,
        };
        table::check_definitions_used(&meta)?;
        let view_type = match &input.stream_specification {
            Some(s) => crate::streams::validate_spec(s)?,
            None => None,
        };
        let region_state = self.region(region);
        let mut r = region_state.write();
        let description = self.insert_new_table(&mut r, meta, ItemStore::default(), now)?;
        let Some(view_type) = view_type else {
            return Ok(description);
        };
        crate::streams::open(&mut r, &name, region, view_type, now);
        self.describe_in(&r, &name, now)
    }

    /// The description of table `name` of `r`.
    fn describe_in(&self, r: &Region, name: &str, now: DateTime<Utc>) -> Result<TableDescription> {
        r.tables
            .get(name)
            .map(|t| t.describe(now))
            .ok_or_else(DynamoDbError::table_missing)
    }

    /// Adds a new table, refusing a taken name.
    pub(crate) fn insert_new_table(
        &self,
        r: &mut Region,
        meta: TableMeta,
        items: ItemStore,
        now: DateTime<Utc>,
    ) -> Result<TableDescription> {
        self.purge_deleted(r, now);
        if r.tables.contains_key(&meta.name) {
            return Err(DynamoDbError::ResourceInUse(format!(
                "Table already exists: {}",
                meta.name
            )));
        }
        let description = meta.describe(&items, now);
        tracing::debug!(table = %meta.name, items = items.len(), "table created");
        r.tables.insert(meta.name.clone(), Table::new(meta, items, now));
        Ok(description)
    }

    fn purge_deleted(&self, r: &mut Region, now: DateTime<Utc>) {
        let delay = self.delay();
        r.tables
            .retain(|_, t| t.meta.deleting_at.is_none_or(|d| now < d + delay));
    }

    /// The table `name` if it exists (in any state but gone).
    pub(crate) fn visible<'a>(&self, r: &'a Region, name: &str, now: DateTime<Utc>) -> Option<&'a Table> {
        let delay = self.delay();
        r.tables
            .get(name)
            .filter(|t| t.meta.deleting_at.is_none_or(|d| now < d + delay))
    }

    /// The table `name`, which must be `ACTIVE` for item operations
    /// (`ResourceNotFoundException` otherwise, as AWS answers).
    pub(crate) fn ready<'a>(&self, r: &'a Region, name: &str, now: DateTime<Utc>) -> Result<&'a Table> {
        let name = resolve_table_name(name)?;
        match self.visible(r, &name, now) {
            Some(t) if t.meta.status(now) == "ACTIVE" => Ok(t),
            _ => Err(DynamoDbError::table_missing()),
        }
    }

    /// The table `name` for an item read or write: `ACTIVE`, and its
    /// customer managed KMS key usable (see [`Engine::table_key_usable`]).
    pub(crate) fn usable<'a>(
        &self,
        r: &'a Region,
        region: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<&'a Table> {
        let t = self.ready(r, name, now)?;
        self.table_key_usable(region, &t.meta)?;
        Ok(t)
    }

    /// [`Engine::usable`], mutable.
    pub(crate) fn usable_mut<'a>(
        &self,
        r: &'a mut Region,
        region: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<&'a mut Table> {
        let t = self.ready_mut(r, name, now)?;
        self.table_key_usable(region, &t.meta)?;
        Ok(t)
    }

    /// Whether the table's data can be read and written: a table encrypted
    /// with a customer managed key answers every item operation with
    /// [`DynamoDbError::kms`] while the key is disabled, pending deletion
    /// or deleted. AWS keeps serving from a cached data key for about five
    /// minutes and flips the table to `INACCESSIBLE_ENCRYPTION_CREDENTIALS`
    /// only after tens of minutes; firedrill refuses at once and keeps the
    /// table `ACTIVE` (control-plane calls go on working, as on AWS).
    pub(crate) fn table_key_usable(&self, region: &str, meta: &TableMeta) -> Result<()> {
        let Some(key) = meta.customer_key() else {
            return Ok(());
        };
        self.env
            .key_usable(region, key)
            .map(|_| ())
            .map_err(|e| DynamoDbError::kms(&e))
    }

    /// The `SSEDescription` for an `SSESpecification`, its customer managed
    /// key (key id, key ARN, alias name or alias ARN) resolved through KMS
    /// to its ARN; a disabled, pending-deletion or unknown key is refused
    /// with [`DynamoDbError::kms`] before anything changes (CreateTable,
    /// UpdateTable and both restores' `SSESpecificationOverride`).
    pub(crate) fn sse_for(
        &self,
        spec: Option<&SseSpecification>,
        region: &str,
    ) -> Result<Option<SseDescription>> {
        let mut sse = table::sse_description(spec, region, self.env.account_id());
        if let (Some(d), Some(key)) = (sse.as_mut(), spec.and_then(|s| s.kms_master_key_id.as_deref()))
            && !table::aws_managed_key(key)
            && let Some(arn) = self
                .env
                .key_usable(region, key)
                .map_err(|e| DynamoDbError::kms(&e))?
        {
            d.kms_master_key_arn = arn;
        }
        Ok(sse)
    }

    /// The table `name`, mutable, which must be `ACTIVE`.
    pub(crate) fn ready_mut<'a>(
        &self,
        r: &'a mut Region,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<&'a mut Table> {
        self.ready(r, name, now)?;
        let name = resolve_table_name(name)?;
        r.tables.get_mut(&name).ok_or_else(DynamoDbError::table_missing)
    }

    /// `DescribeTable`.
    pub fn describe_table(&self, region: &str, name: &str) -> Result<TableDescription> {
        let name = resolve_table_name(name)?;
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let t = self
            .visible(&r, &name, now)
            .ok_or_else(DynamoDbError::table_missing)?;
        Ok(t.describe(now))
    }

    /// `ListTables`.
    pub fn list_tables(&self, region: &str, input: ListTablesInput) -> Result<ListTablesOutput> {
        let limit = input.limit.unwrap_or(100);
        if !(1..=100).contains(&limit) {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {}",
                if limit < 1 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 100"
                }
            )));
        }
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let names: Vec<&String> = r
            .tables
            .keys()
            .filter(|n| self.visible(&r, n, now).is_some())
            .filter(|n| {
                input
                    .exclusive_start_table_name
                    .as_ref()
                    .is_none_or(|s| n.as_str() > s.as_str())
            })
            .collect();
        let limit = limit as usize;
        let more = names.len() > limit;
        let table_names: Vec<String> = names.into_iter().take(limit).cloned().collect();
        Ok(ListTablesOutput {
            last_evaluated_table_name: if more { table_names.last().cloned() } else { None },
            table_names,
        })
    }

    /// `DeleteTable`. A table with PITR on leaves a `SYSTEM` backup and its
    /// history, both kept for the recovery period.
    pub fn delete_table(&self, region: &str, name: &str) -> Result<TableDescription> {
        let name = resolve_table_name(name)?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self
            .visible(&r, &name, now)
            .ok_or_else(DynamoDbError::table_missing)?;
        match t.meta.status(now) {
            "CREATING" => {
                return Err(DynamoDbError::ResourceInUse(format!(
                    "Attempt to change a resource which is still in use: Table is being created: {name}"
                )));
            }
            "DELETING" => {
                return Err(DynamoDbError::ResourceInUse(format!(
                    "Attempt to change a resource which is still in use: Table is being deleted: {name}"
                )));
            }
            _ => {}
        }
        if t.meta.deletion_protection {
            return Err(DynamoDbError::validation(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
            ));
        }
        let t = r.tables.get_mut(&name).ok_or_else(DynamoDbError::table_missing)?;
        let deleted_at = now.max(t.last_write);
        t.meta.deleting_at = Some(deleted_at);
        if let Some(s) = t.stream.take() {
            s.lock().disable(deleted_at);
        }
        let description = t.describe(now);
        if let Some(history) = t.history.take() {
            let meta = t.meta.clone();
            let items = Arc::new(std::mem::take(&mut t.items));
            let expires = deleted_at + history.period();
            let backup = Backup {
                arn: backup_arn(&meta.arn, deleted_at),
                name: format!("{}$DeletedTableBackup", meta.name),
                kind: BackupType::System,
                created_at: deleted_at,
                expires_at: Some(expires),
                meta: TableMeta {
                    deleting_at: None,
                    ..meta.clone()
                },
                items,
            };
            tracing::info!(table = %name, backup = %backup.arn, "table with PITR deleted; system backup kept");
            r.backups.insert(backup.arn.clone(), backup);
            r.deleted.push(DeletedTable {
                meta: TableMeta {
                    deleting_at: None,
                    ..meta
                },
                history,
                deleted_at,
            });
        }
        Ok(description)
    }

    /// `UpdateTable`: billing mode and capacity, GSI creation and deletion,
    /// streams, encryption, deletion protection.
    pub fn update_table(&self, region: &str, input: UpdateTableInput) -> Result<TableDescription> {
        let name = resolve_table_name(&input.table_name)?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self
            .visible(&r, &name, now)
            .ok_or_else(DynamoDbError::table_missing)?;
        if t.meta.status(now) != "ACTIVE" {
            return Err(DynamoDbError::ResourceInUse(format!(
                "Attempt to change a resource which is still in use: Table is being {}: {name}",
                if t.meta.status(now) == "CREATING" {
                    "created"
                } else {
                    "deleted"
                }
            )));
        }
        let mut meta = t.meta.clone();
        let mut changed = false;
        if input.billing_mode.is_some() || input.provisioned_throughput.is_some() {
            let mode = input
                .billing_mode
                .as_deref()
                .unwrap_or(&meta.billing_mode)
                .to_owned();
            let (mode, throughput) = table::parse_billing(Some(&mode), input.provisioned_throughput)?;
            if mode == "PAY_PER_REQUEST" && meta.billing_mode != "PAY_PER_REQUEST" {
                meta.pay_per_request_since = Some(now);
                for g in &mut meta.gsis {
                    g.throughput = None;
                }
            }
            if mode == "PROVISIONED" && meta.billing_mode != "PROVISIONED" {
                for g in &mut meta.gsis {
                    g.throughput.get_or_insert(throughput);
                }
            }
            meta.billing_mode = mode;
            meta.throughput = throughput;
            changed = true;
        }
        if let Some(defs) = &input.attribute_definitions {
            for d in defs {
                match meta
                    .attribute_definitions
                    .iter()
                    .find(|e| e.attribute_name == d.attribute_name)
                {
                    Some(e) if e.attribute_type != d.attribute_type => {
                        return Err(DynamoDbError::validation(format!(
                            "One or more parameter values were invalid: Attribute {} is already defined with type {}",
                            d.attribute_name, e.attribute_type
                        )));
                    }
                    Some(_) => {}
                    None => meta.attribute_definitions.push(d.clone()),
                }
            }
        }
        for update in input.global_secondary_index_updates.iter().flatten() {
            let actions = usize::from(update.create.is_some())
                + usize::from(update.delete.is_some())
                + usize::from(update.update.is_some());
            if actions != 1 {
                return Err(DynamoDbError::validation(
                    "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified",
                ));
            }
            if let Some(c) = &update.create {
                if meta.gsis.iter().any(|g| g.name == c.index_name)
                    || meta.lsis.iter().any(|l| l.name == c.index_name)
                {
                    return Err(DynamoDbError::validation(format!(
                        "One or more parameter values were invalid: Index {} already exists",
                        c.index_name
                    )));
                }
                let gsi = table::build_gsi(
                    &GlobalSecondaryIndex {
                        index_name: c.index_name.clone(),
                        key_schema: c.key_schema.clone(),
                        projection: c.projection.clone(),
                        provisioned_throughput: c.provisioned_throughput,
                    },
                    &meta.attribute_definitions,
                    &meta.billing_mode,
                    now + self.delay(),
                )?;
                meta.gsis.push(gsi);
                changed = true;
            }
            if let Some(d) = &update.delete {
                let before = meta.gsis.len();
                meta.gsis.retain(|g| g.name != d.index_name);
                if meta.gsis.len() == before {
                    return Err(DynamoDbError::ResourceNotFound(format!(
                        "Requested resource not found: Index: {} not found for table: {name}",
                        d.index_name
                    )));
                }
                changed = true;
            }
            if let Some(u) = &update.update {
                let g = meta
                    .gsis
                    .iter_mut()
                    .find(|g| g.name == u.index_name)
                    .ok_or_else(|| {
                        DynamoDbError::ResourceNotFound(format!(
                            "Requested resource not found: Index: {} not found for table: {name}",
                            u.index_name
                        ))
                    })?;
                if let Some(pt) = u.provisioned_throughput {
                    if meta.billing_mode != "PROVISIONED" {
                        return Err(DynamoDbError::validation(
                            "One or more parameter values were invalid: ProvisionedThroughput cannot be specified for an index when BillingMode is PAY_PER_REQUEST",
                        ));
                    }
                    g.throughput = Some(pt);
                }
                changed = true;
            }
        }
        if input.attribute_definitions.is_some() {
            table::check_definitions_used(&meta)?;
        }
        let stream_change = match &input.stream_specification {
            Some(s) => {
                let view_type = crate::streams::validate_spec(s)?;
                if s.stream_enabled && meta.stream.is_some() {
                    return Err(DynamoDbError::validation(format!(
                        "Table already has an enabled stream: TableName: {name}"
                    )));
                }
                if !s.stream_enabled && meta.stream.is_none() {
                    return Err(DynamoDbError::validation(format!(
                        "Table already has no enabled stream: TableName: {name}"
                    )));
                }
                changed = true;
                Some(view_type)
            }
            None => None,
        };
        if let Some(s) = &input.sse_specification {
            meta.sse = self.sse_for(Some(s), region)?;
            changed = true;
        }
        if let Some(p) = input.deletion_protection_enabled {
            meta.deletion_protection = p;
            changed = true;
        }
        if let Some(class) = &input.table_class {
            let class = table::parse_table_class(class)?;
            if class != meta.table_class {
                meta.table_class = class;
                meta.table_class_updated_at = Some(now);
            }
            changed = true;
        }
        if let Some(o) = input.on_demand_throughput {
            table::validate_on_demand(&o, &meta.billing_mode)?;
            meta.on_demand = Some(o);
            changed = true;
        }
        if let Some(w) = input.warm_throughput {
            table::validate_warm(&w)?;
            meta.warm = Some(w);
            changed = true;
        }
        if !changed {
            return Err(DynamoDbError::validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
            ));
        }
        let t = r.tables.get_mut(&name).ok_or_else(DynamoDbError::table_missing)?;
        t.meta = meta;
        t.sync_indexes();
        match stream_change {
            Some(Some(view_type)) => crate::streams::open(&mut r, &name, region, view_type, now),
            Some(None) => crate::streams::close(&mut r, &name, now),
            None => {}
        }
        self.describe_in(&r, &name, now)
    }

    // ----- Tags -----

    fn table_by_arn_mut<'a>(
        &self,
        r: &'a mut Region,
        arn: &str,
        now: DateTime<Utc>,
    ) -> Result<&'a mut Table> {
        let parsed = Arn::parse(arn).map_err(|_| {
            DynamoDbError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            ))
        })?;
        let name = parsed
            .resource
            .strip_prefix("table/")
            .filter(|n| !n.contains('/'))
            .ok_or_else(|| {
                DynamoDbError::validation(format!(
                    "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
                ))
            })?
            .to_owned();
        let found = self
            .visible(r, &name, now)
            .is_some_and(|t| t.meta.arn == arn && t.meta.deleting_at.is_none());
        if !found {
            return Err(DynamoDbError::ResourceNotFound(format!(
                "Requested resource not found: ResourcearN: {arn} not found"
            )));
        }
        r.tables.get_mut(&name).ok_or_else(DynamoDbError::table_missing)
    }

    /// `TagResource`.
    pub fn tag_resource(&self, region: &str, arn: &str, tags: Vec<Tag>) -> Result<()> {
        validate_tags(&tags)?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self.table_by_arn_mut(&mut r, arn, now)?;
        for tag in tags {
            match t.meta.tags.iter_mut().find(|x| x.key == tag.key) {
                Some(existing) => existing.value = tag.value,
                None => t.meta.tags.push(tag),
            }
        }
        if t.meta.tags.len() > 50 {
            return Err(DynamoDbError::LimitExceeded(
                "The number of tags on a resource cannot exceed 50".to_owned(),
            ));
        }
        Ok(())
    }

    /// `UntagResource`.
    pub fn untag_resource(&self, region: &str, arn: &str, keys: &[String]) -> Result<()> {
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self.table_by_arn_mut(&mut r, arn, now)?;
        t.meta.tags.retain(|tag| !keys.contains(&tag.key));
        Ok(())
    }

    /// `ListTagsOfResource`.
    pub fn list_tags(&self, region: &str, arn: &str) -> Result<Vec<Tag>> {
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self.table_by_arn_mut(&mut r, arn, now)?;
        Ok(t.meta.tags.clone())
    }

    /// Every live table in `region` with its tags (for AWS Backup's
    /// tag-based selections).
    pub fn list_tables_with_tags(&self, region: &str) -> Vec<(String, Vec<(String, String)>)> {
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        r.tables
            .values()
            .filter(|t| t.meta.deleting_at.is_none() && self.visible(&r, &t.meta.name, now).is_some())
            .map(|t| {
                (
                    t.meta.arn.clone(),
                    t.meta
                        .tags
                        .iter()
                        .map(|tag| (tag.key.clone(), tag.value.clone()))
                        .collect(),
                )
            })
            .collect()
    }

    // ----- Time to live -----

    /// `UpdateTimeToLive`. Expired items are deleted by the clock's ticks
    /// (see [`sweep_expired`]).
    pub fn update_ttl(&self, region: &str, input: UpdateTimeToLiveInput) -> Result<TimeToLiveSpecification> {
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self.ready_mut(&mut r, &input.table_name, now)?;
        let spec = input.time_to_live_specification;
        match (&t.meta.ttl, spec.enabled) {
            (Some(cur), true) if cur.enabled => {
                return Err(DynamoDbError::validation("TimeToLive is already enabled"));
            }
            (None, false) => return Err(DynamoDbError::validation("TimeToLive is already disabled")),
            (Some(cur), false) if !cur.enabled => {
                return Err(DynamoDbError::validation("TimeToLive is already disabled"));
            }
            _ => {}
        }
        t.meta.ttl = Some(spec.clone());
        Ok(spec)
    }

    /// `DescribeTimeToLive`.
    pub fn describe_ttl(&self, region: &str, name: &str) -> Result<TimeToLiveDescription> {
        let name = resolve_table_name(name)?;
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let t = self
            .visible(&r, &name, now)
            .ok_or_else(DynamoDbError::table_missing)?;
        Ok(match &t.meta.ttl {
            Some(spec) if spec.enabled => TimeToLiveDescription {
                time_to_live_status: "ENABLED".to_owned(),
                attribute_name: Some(spec.attribute_name.clone()),
            },
            _ => TimeToLiveDescription {
                time_to_live_status: "DISABLED".to_owned(),
                attribute_name: None,
            },
        })
    }
}

/// How often a table is swept for expired items, in emulator time.
const TTL_SWEEP_INTERVAL: i64 = 30;

/// Deletes items whose time-to-live attribute (a number of epoch seconds)
/// is in the past, as DynamoDB's background TTL process does: at most every
/// [`TTL_SWEEP_INTERVAL`] seconds of emulator time, ignoring values more
/// than five years old as AWS does. The deletions are ordinary writes, so
/// PITR history records them.
fn sweep_expired(t: &mut Table, now: DateTime<Utc>) {
    let Some(attribute) = t
        .meta
        .ttl
        .as_ref()
        .filter(|s| s.enabled)
        .map(|s| s.attribute_name.clone())
    else {
        return;
    };
    if t.meta.deleting_at.is_some()
        || t.ttl_swept_at
            .is_some_and(|at| now - at < Duration::seconds(TTL_SWEEP_INTERVAL))
    {
        return;
    }
    t.ttl_swept_at = Some(now);
    let cutoff = now.timestamp() as f64;
    let oldest = cutoff - 5.0 * 365.0 * 86_400.0;
    let expired: Vec<crate::keys::PrimaryKey> = t
        .items
        .iter_from(None)
        .filter(|(_, _, item)| match item.get(&attribute) {
            Some(firedrill_ddb_expr::AttributeValue::N(n)) => {
                n.parse::<f64>().is_ok_and(|v| v < cutoff && v >= oldest)
            }
            _ => false,
        })
        .map(|(pk, sk, _)| (pk.clone(), sk.clone()))
        .collect();
    if !expired.is_empty() {
        tracing::debug!(table = %t.meta.name, count = expired.len(), "time to live expired items");
    }
    for key in expired {
        crate::items::commit_as(t, key, None, now, crate::streams::Origin::Service);
    }
}

/// A backup ARN for a table ARN at `at`: `<table arn>/backup/<13-digit millis>-<8 hex>`.
pub fn backup_arn(table_arn: &str, at: DateTime<Utc>) -> String {
    format!(
        "{table_arn}/backup/{:013}-{}",
        at.timestamp_millis(),
        firedrill_emu_core::ids::random_hex(8)
    )
}

fn validate_tags(tags: &[Tag]) -> Result<()> {
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(DynamoDbError::validation(
                "One or more parameter values were invalid: Tag keys must be between 1 and 128 characters",
            ));
        }
        if t.value.chars().count() > 256 {
            return Err(DynamoDbError::validation(
                "One or more parameter values were invalid: Tag values must be at most 256 characters",
            ));
        }
        if t.key.starts_with("aws:") {
            return Err(DynamoDbError::validation(
                "One or more parameter values were invalid: Tag keys starting with aws: are reserved",
            ));
        }
    }
    Ok(())
}
