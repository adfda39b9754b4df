//! A table: its settings ([`TableMeta`]), its items, its PITR history, and
//! how it describes itself. Also the validation of table definitions
//! (`CreateTable`, GSI creation, restore overrides) with AWS's messages.
//!
//! States are computed from the emulator clock, never from timers: a table
//! is `CREATING` until `active_at`, then `ACTIVE`; `DELETING` from
//! `deleting_at` until the create/delete delay has passed, then gone. So a
//! simulated clock that jumps moves every table along at once.

use crate::errors::{DynamoDbError, Result};
use crate::history::History;
use crate::keys::{KeySchema, PrimaryKey, ScalarType};
use crate::protocol::*;
use crate::store::ItemStore;
use chrono::{DateTime, Utc};
use firedrill_ddb_expr::Item;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A global secondary index.
#[derive(Debug, Clone)]
pub struct Gsi {
    /// The name.
    pub name: String,
    /// As given.
    pub key_schema: Vec<KeySchemaElement>,
    /// Parsed.
    pub key: KeySchema,
    /// What it projects.
    pub projection: Projection,
    /// Capacity (provisioned tables).
    pub throughput: Option<ProvisionedThroughput>,
    /// When it becomes `ACTIVE`.
    pub active_at: DateTime<Utc>,
}

/// A local secondary index.
#[derive(Debug, Clone)]
pub struct Lsi {
    /// The name.
    pub name: String,
    /// As given.
    pub key_schema: Vec<KeySchemaElement>,
    /// Parsed.
    pub key: KeySchema,
    /// What it projects.
    pub projection: Projection,
}

/// Where a restored table came from.
#[derive(Debug, Clone)]
pub struct RestoreOrigin {
    /// The backup, for `RestoreTableFromBackup`.
    pub backup_arn: Option<String>,
    /// The source table.
    pub table_arn: Option<String>,
    /// The instant restored to.
    pub restore_time: DateTime<Utc>,
}

/// A table's settings: everything but its items and history.
#[derive(Debug, Clone)]
pub struct TableMeta {
    /// The name.
    pub name: String,
    /// A UUID.
    pub id: String,
    /// `arn:aws:dynamodb:<region>:<account>:table/<name>`.
    pub arn: String,
    /// Attribute definitions.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// As given.
    pub key_schema: Vec<KeySchemaElement>,
    /// Parsed.
    pub key: KeySchema,
    /// GSIs.
    pub gsis: Vec<Gsi>,
    /// LSIs.
    pub lsis: Vec<Lsi>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    /// Capacity (zeros for on-demand).
    pub throughput: ProvisionedThroughput,
    /// When the table last became on-demand.
    pub pay_per_request_since: Option<DateTime<Utc>>,
    /// Encryption with a KMS key (`None`: AWS-owned key, the default).
    pub sse: Option<SseDescription>,
    /// The stream, while one is enabled.
    pub stream: Option<StreamSpecification>,
    /// The ARN and label of the table's latest stream (kept after it is
    /// disabled, as `DescribeTable` shows them).
    pub latest_stream: Option<(String, String)>,
    /// Tags, in the order set.
    pub tags: Vec<Tag>,
    /// Deletion protection.
    pub deletion_protection: bool,
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    pub table_class: String,
    /// When `UpdateTable` last changed the table class.
    pub table_class_updated_at: Option<DateTime<Utc>>,
    /// The maximum on-demand throughput, when set.
    pub on_demand: Option<OnDemandThroughput>,
    /// The warm throughput asked for, when more than the default.
    pub warm: Option<WarmThroughput>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When it becomes `ACTIVE`.
    pub active_at: DateTime<Utc>,
    /// When `DeleteTable` was called.
    pub deleting_at: Option<DateTime<Utc>>,
    /// Where a restored table came from.
    pub restore: Option<RestoreOrigin>,
    /// Time to live.
    pub ttl: Option<TimeToLiveSpecification>,
}

/// A live table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Settings.
    pub meta: TableMeta,
    /// Items.
    pub items: ItemStore,
    /// The PITR history, while PITR is on.
    pub history: Option<History>,
    /// The instant of the last write, so that write stamps never decrease.
    pub last_write: DateTime<Utc>,
    /// When expired items (time to live) were last swept.
    pub ttl_swept_at: Option<DateTime<Utc>>,
    /// The secondary indexes' entries, by index name, kept in step with
    /// the items by every write.
    pub indexes: BTreeMap<String, IndexStore>,
    /// The enabled stream, which every write appends to.
    pub stream: Option<crate::streams::SharedStream>,
}

/// The position of an item in a secondary index: its index key, then its
/// table key (which breaks ties, as DynamoDB orders equal index keys).
pub type IndexOrder = (PrimaryKey, PrimaryKey);

/// One secondary index's entries, in index order.
pub type IndexStore = BTreeMap<IndexOrder, Arc<Item>>;

/// The index key of `item` under `key`, when the item belongs in the index
/// (it has every index key attribute, of the right type, not empty).
pub fn index_entry_key(key: &KeySchema, item: &Item) -> Option<PrimaryKey> {
    let ik = key.index_key(item)?;
    if ik.0.is_empty() || ik.1.as_ref().is_some_and(|k| k.is_empty()) {
        return None;
    }
    Some(ik)
}

impl Table {
    /// A table with its indexes built from its items.
    pub fn new(meta: TableMeta, items: ItemStore, now: DateTime<Utc>) -> Self {
        let mut t = Self {
            meta,
            items,
            history: None,
            last_write: now,
            ttl_swept_at: None,
            indexes: BTreeMap::new(),
            stream: None,
        };
        t.sync_indexes();
        t
    }

    /// The table's `TableDescription` at `now`.
    pub fn describe(&self, now: DateTime<Utc>) -> TableDescription {
        self.meta.describe_with(&self.items, Some(&self.indexes), now)
    }

    /// The key schemas of the table's secondary indexes, by name.
    fn index_schemas(meta: &TableMeta) -> Vec<(&str, &KeySchema)> {
        meta.gsis
            .iter()
            .map(|g| (g.name.as_str(), &g.key))
            .chain(meta.lsis.iter().map(|l| (l.name.as_str(), &l.key)))
            .collect()
    }

    /// Builds the entries of indexes the settings name and the table lacks,
    /// and drops those of indexes no longer named.
    pub fn sync_indexes(&mut self) {
        let schemas = Self::index_schemas(&self.meta);
        self.indexes
            .retain(|name, _| schemas.iter().any(|(n, _)| n == name));
        for (name, key) in schemas {
            if self.indexes.contains_key(name) {
                continue;
            }
            let mut store = IndexStore::new();
            for (pk, sk, item) in self.items.iter_from(None) {
                if let Some(ik) = index_entry_key(key, item) {
                    store.insert((ik, (pk.clone(), sk.clone())), item.clone());
                }
            }
            self.indexes.insert(name.to_owned(), store);
        }
    }

    /// Moves `key` from `old` to `new` in every index.
    pub fn update_indexes(&mut self, key: &PrimaryKey, old: Option<&Arc<Item>>, new: Option<&Arc<Item>>) {
        for (name, schema) in Self::index_schemas(&self.meta) {
            let Some(store) = self.indexes.get_mut(name) else {
                continue;
            };
            if let Some(ik) = old.and_then(|o| index_entry_key(schema, o)) {
                store.remove(&(ik, key.clone()));
            }
            if let Some(item) = new
                && let Some(ik) = index_entry_key(schema, item)
            {
                store.insert((ik, key.clone()), item.clone());
            }
        }
    }
}

impl TableMeta {
    /// The ARN of the customer managed KMS key the table is encrypted
    /// with, if it is (not the AWS owned or AWS managed key).
    pub fn customer_key(&self) -> Option<&str> {
        self.sse
            .as_ref()
            .map(|s| s.kms_master_key_arn.as_str())
            .filter(|k| !aws_managed_key(k))
    }

    /// The table status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.deleting_at.is_some() {
            "DELETING"
        } else if now < self.active_at {
            "CREATING"
        } else {
            "ACTIVE"
        }
    }

    /// The index with this name.
    pub fn index_key(&self, name: &str) -> Option<(&KeySchema, &Projection)> {
        self.gsis
            .iter()
            .find(|g| g.name == name)
            .map(|g| (&g.key, &g.projection))
            .or_else(|| {
                self.lsis
                    .iter()
                    .find(|l| l.name == name)
                    .map(|l| (&l.key, &l.projection))
            })
    }

    fn throughput_description(t: &ProvisionedThroughput) -> ProvisionedThroughputDescription {
        ProvisionedThroughputDescription {
            number_of_decreases_today: 0,
            read_capacity_units: t.read_capacity_units,
            write_capacity_units: t.write_capacity_units,
        }
    }

    /// `SourceTableDetails` for a backup.
    pub fn source_details(&self, items: &ItemStore) -> SourceTableDetails {
        SourceTableDetails {
            table_name: self.name.clone(),
            table_id: self.id.clone(),
            table_arn: self.arn.clone(),
            table_size_bytes: items.bytes() as i64,
            key_schema: self.key_schema.clone(),
            table_creation_date_time: self.created_at.into(),
            provisioned_throughput: self.throughput,
            item_count: items.len() as i64,
            billing_mode: self.billing_mode.clone(),
        }
    }

    /// `SourceTableFeatureDetails` for a backup.
    pub fn feature_details(&self) -> SourceTableFeatureDetails {
        SourceTableFeatureDetails {
            local_secondary_indexes: (!self.lsis.is_empty()).then(|| {
                self.lsis
                    .iter()
                    .map(|l| LocalSecondaryIndex {
                        index_name: l.name.clone(),
                        key_schema: l.key_schema.clone(),
                        projection: l.projection.clone(),
                    })
                    .collect()
            }),
            global_secondary_indexes: (!self.gsis.is_empty()).then(|| {
                self.gsis
                    .iter()
                    .map(|g| GlobalSecondaryIndex {
                        index_name: g.name.clone(),
                        key_schema: g.key_schema.clone(),
                        projection: g.projection.clone(),
                        provisioned_throughput: g.throughput,
                    })
                    .collect()
            }),
            stream_description: self.stream.clone(),
            time_to_live_description: self.ttl.as_ref().map(|t| TimeToLiveDescription {
                time_to_live_status: if t.enabled { "ENABLED" } else { "DISABLED" }.to_owned(),
                attribute_name: Some(t.attribute_name.clone()),
            }),
            sse_description: self.sse.clone(),
        }
    }

    /// The `TableDescription` at `now`, given the table's items.
    pub fn describe(&self, items: &ItemStore, now: DateTime<Utc>) -> TableDescription {
        self.describe_with(items, None, now)
    }

    /// The `TableDescription` at `now`, reading index sizes from the
    /// maintained index entries when given (otherwise from the items).
    pub fn describe_with(
        &self,
        items: &ItemStore,
        indexes: Option<&BTreeMap<String, IndexStore>>,
        now: DateTime<Utc>,
    ) -> TableDescription {
        let stats = |name: &str, key: &KeySchema| match indexes.and_then(|i| i.get(name)) {
            Some(store) => (
                store.len() as i64,
                store
                    .values()
                    .map(|i| firedrill_ddb_expr::value::item_size(i) as i64)
                    .sum(),
            ),
            None => index_stats(key, items),
        };
        let status = self.status(now);
        let stream_arn = self.latest_stream.clone();
        TableDescription {
            attribute_definitions: self.attribute_definitions.clone(),
            table_name: self.name.clone(),
            key_schema: self.key_schema.clone(),
            table_status: status.to_owned(),
            creation_date_time: self.created_at.into(),
            provisioned_throughput: Self::throughput_description(&self.throughput),
            table_size_bytes: items.bytes() as i64,
            item_count: items.len() as i64,
            table_arn: self.arn.clone(),
            table_id: self.id.clone(),
            // AWS shows a billing summary only for tables that are or were
            // on-demand.
            billing_mode_summary: self.pay_per_request_since.map(|since| BillingModeSummary {
                billing_mode: self.billing_mode.clone(),
                last_update_to_pay_per_request_date_time: Some(since.into()),
            }),
            local_secondary_indexes: (!self.lsis.is_empty()).then(|| {
                self.lsis
                    .iter()
                    .map(|l| {
                        let (count, bytes) = stats(&l.name, &l.key);
                        LocalSecondaryIndexDescription {
                            index_name: l.name.clone(),
                            key_schema: l.key_schema.clone(),
                            projection: l.projection.clone(),
                            index_size_bytes: bytes,
                            item_count: count,
                            index_arn: format!("{}/index/{}", self.arn, l.name),
                        }
                    })
                    .collect()
            }),
            global_secondary_indexes: (!self.gsis.is_empty()).then(|| {
                self.gsis
                    .iter()
                    .map(|g| {
                        let creating = now < g.active_at;
                        let index_status = if status == "DELETING" {
                            "DELETING"
                        } else if creating {
                            "CREATING"
                        } else {
                            "ACTIVE"
                        };
                        let (count, bytes) = stats(&g.name, &g.key);
                        GlobalSecondaryIndexDescription {
                            index_name: g.name.clone(),
                            key_schema: g.key_schema.clone(),
                            projection: g.projection.clone(),
                            index_status: index_status.to_owned(),
                            backfilling: creating.then_some(true),
                            provisioned_throughput: Self::throughput_description(&g.throughput.unwrap_or(
                                ProvisionedThroughput {
                                    read_capacity_units: 0,
                                    write_capacity_units: 0,
                                },
                            )),
                            index_size_bytes: bytes,
                            item_count: count,
                            index_arn: format!("{}/index/{}", self.arn, g.name),
                            warm_throughput: Some(self.warm_description(g.throughput, None, index_status)),
                        }
                    })
                    .collect()
            }),
            stream_specification: self.stream.clone().filter(|s| s.stream_enabled),
            latest_stream_label: stream_arn.as_ref().map(|(_, l)| l.clone()),
            latest_stream_arn: stream_arn.map(|(a, _)| a),
            restore_summary: self.restore.as_ref().map(|r| RestoreSummary {
                source_backup_arn: r.backup_arn.clone(),
                source_table_arn: r.table_arn.clone(),
                restore_date_time: r.restore_time.into(),
                restore_in_progress: status == "CREATING",
            }),
            sse_description: self.sse.clone(),
            deletion_protection_enabled: self.deletion_protection,
            table_class_summary: Some(TableClassSummary {
                table_class: self.table_class.clone(),
                last_update_date_time: self.table_class_updated_at.map(Into::into),
            }),
            on_demand_throughput: self.on_demand.filter(|_| self.billing_mode == "PAY_PER_REQUEST"),
            warm_throughput: Some(self.warm_description(Some(self.throughput), self.warm, status)),
        }
    }

    /// The warm throughput of the table or of an index with `throughput`:
    /// what an on-demand table starts with (12,000 reads and 4,000 writes
    /// per second, as AWS shows), or the provisioned capacity, raised to
    /// what was asked for.
    fn warm_description(
        &self,
        throughput: Option<ProvisionedThroughput>,
        asked: Option<WarmThroughput>,
        status: &str,
    ) -> WarmThroughputDescription {
        let (read, write) = match throughput {
            Some(t) if self.billing_mode == "PROVISIONED" => (t.read_capacity_units, t.write_capacity_units),
            _ => (ON_DEMAND_WARM_READS, ON_DEMAND_WARM_WRITES),
        };
        let asked = asked.unwrap_or_default();
        WarmThroughputDescription {
            read_units_per_second: read.max(asked.read_units_per_second.unwrap_or(0)),
            write_units_per_second: write.max(asked.write_units_per_second.unwrap_or(0)),
            status: status.to_owned(),
        }
    }
}

/// The read units per second a new on-demand table can take at once.
const ON_DEMAND_WARM_READS: i64 = 12_000;
/// The write units per second a new on-demand table can take at once.
const ON_DEMAND_WARM_WRITES: i64 = 4_000;

/// Checks a `TableClass`.
pub fn parse_table_class(class: &str) -> Result<String> {
    match class {
        "STANDARD" | "STANDARD_INFREQUENT_ACCESS" => Ok(class.to_owned()),
        other => Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{other}' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]"
        ))),
    }
}

/// Checks an `OnDemandThroughput`: each maximum is at least 1, or -1 for
/// none, and only an on-demand table has one.
pub fn validate_on_demand(o: &OnDemandThroughput, billing_mode: &str) -> Result<()> {
    if billing_mode != "PAY_PER_REQUEST" {
        return Err(DynamoDbError::validation(
            "One or more parameter values were invalid: OnDemandThroughput can only be specified when BillingMode is PAY_PER_REQUEST",
        ));
    }
    for (member, v) in [
        ("maxReadRequestUnits", o.max_read_request_units),
        ("maxWriteRequestUnits", o.max_write_request_units),
    ] {
        if let Some(v) = v
            && v != -1
            && v < 1
        {
            return Err(DynamoDbError::validation(format!(
                "One or more parameter values were invalid: {member} must be -1 or greater than or equal to 1, but was {v}"
            )));
        }
    }
    Ok(())
}

/// Checks a `WarmThroughput`: positive units.
pub fn validate_warm(w: &WarmThroughput) -> Result<()> {
    for (member, v) in [
        ("readUnitsPerSecond", w.read_units_per_second),
        ("writeUnitsPerSecond", w.write_units_per_second),
    ] {
        if let Some(v) = v
            && v < 1
        {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value '{v}' at 'warmThroughput.{member}' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
    }
    Ok(())
}

fn index_stats(key: &KeySchema, items: &ItemStore) -> (i64, i64) {
    let mut count = 0;
    let mut bytes = 0;
    for item in items.items() {
        if key.index_key(item).is_some() {
            count += 1;
            bytes += firedrill_ddb_expr::value::item_size(item) as i64;
        }
    }
    (count, bytes)
}

/// Checks a table name against AWS's rules (3-255 of `[a-zA-Z0-9_.-]`).
pub fn validate_table_name(name: &str, member: &str) -> Result<()> {
    if name.len() < 3 || name.len() > 255 {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length {}",
            if name.len() < 3 {
                "greater than or equal to 3"
            } else {
                "less than or equal to 255"
            }
        )));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

/// Parses a key schema against attribute definitions.
fn parse_key_schema(
    schema: &[KeySchemaElement],
    defs: &[AttributeDefinition],
    what: &str,
) -> Result<KeySchema> {
    if schema.is_empty() {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value null at '{what}' failed to satisfy constraint: Member must not be null"
        )));
    }
    if schema.len() > 2 {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{}' at '{what}' failed to satisfy constraint: Member must have length less than or equal to 2",
            schema.len()
        )));
    }
    // One or two elements, as checked just above.
    let (hash, range) = match schema {
        [hash] => (hash, None),
        [hash, range] => (hash, Some(range)),
        _ => {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value null at '{what}' failed to satisfy constraint: Member must not be null"
            )));
        }
    };
    if hash.key_type != "HASH" {
        return Err(DynamoDbError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if let Some(range) = range {
        if range.key_type != "RANGE" {
            return Err(DynamoDbError::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
        if hash.attribute_name == range.attribute_name {
            return Err(DynamoDbError::validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name",
            ));
        }
    }
    let ty = |name: &str| -> Result<ScalarType> {
        let def = defs.iter().find(|d| d.attribute_name == name).ok_or_else(|| {
            DynamoDbError::validation(format!(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                schema.iter().map(|k| k.attribute_name.as_str()).collect::<Vec<_>>().join(", "),
                defs.iter().map(|d| d.attribute_name.as_str()).collect::<Vec<_>>().join(", "),
            ))
        })?;
        ScalarType::parse(&def.attribute_type).ok_or_else(|| {
            DynamoDbError::validation(format!(
                "1 validation error detected: Value '{}' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                def.attribute_type
            ))
        })
    };
    let partition = (hash.attribute_name.clone(), ty(&hash.attribute_name)?);
    let sort = match range {
        Some(k) => Some((k.attribute_name.clone(), ty(&k.attribute_name)?)),
        None => None,
    };
    Ok(KeySchema { partition, sort })
}

fn validate_projection(p: &Projection, index: &str) -> Result<()> {
    match p.projection_type.as_deref() {
        None | Some("ALL") | Some("KEYS_ONLY") => {
            if p.non_key_attributes.as_ref().is_some_and(|v| !v.is_empty()) {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: ProjectionType is {}, but NonKeyAttributes is specified",
                    p.projection_type.as_deref().unwrap_or("ALL")
                )));
            }
            Ok(())
        }
        Some("INCLUDE") => {
            if p.non_key_attributes.as_ref().is_none_or(|v| v.is_empty()) {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: NonKeyAttributes must be specified when ProjectionType is INCLUDE for index: {index}"
                )));
            }
            Ok(())
        }
        Some(other) => Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{other}' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]"
        ))),
    }
}

fn validate_throughput(t: &ProvisionedThroughput) -> Result<()> {
    if t.read_capacity_units < 1 || t.write_capacity_units < 1 {
        return Err(DynamoDbError::validation(
            "One or more parameter values were invalid: Each of ReadCapacityUnits and WriteCapacityUnits must be specified as a positive integer (1 or more)",
        ));
    }
    Ok(())
}

/// Parses billing mode and table capacity with AWS's rules.
pub fn parse_billing(
    mode: Option<&str>,
    throughput: Option<ProvisionedThroughput>,
) -> Result<(String, ProvisionedThroughput)> {
    match mode.unwrap_or("PROVISIONED") {
        "PROVISIONED" => {
            let Some(t) = throughput else {
                return Err(DynamoDbError::validation(
                    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
                ));
            };
            validate_throughput(&t)?;
            Ok(("PROVISIONED".to_owned(), t))
        }
        "PAY_PER_REQUEST" => {
            if throughput.is_some() {
                return Err(DynamoDbError::validation(
                    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ));
            }
            Ok((
                "PAY_PER_REQUEST".to_owned(),
                ProvisionedThroughput {
                    read_capacity_units: 0,
                    write_capacity_units: 0,
                },
            ))
        }
        other => Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{other}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
        ))),
    }
}

/// Builds a GSI from its definition, checking it.
pub fn build_gsi(
    g: &GlobalSecondaryIndex,
    defs: &[AttributeDefinition],
    billing_mode: &str,
    active_at: DateTime<Utc>,
) -> Result<Gsi> {
    validate_index_name(&g.index_name)?;
    let key = parse_key_schema(&g.key_schema, defs, "globalSecondaryIndexes.member.keySchema")?;
    validate_projection(&g.projection, &g.index_name)?;
    let throughput = if billing_mode == "PROVISIONED" {
        let Some(t) = g.provisioned_throughput else {
            return Err(DynamoDbError::validation(format!(
                "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {}",
                g.index_name
            )));
        };
        validate_throughput(&t)?;
        Some(t)
    } else {
        if g.provisioned_throughput.is_some() {
            return Err(DynamoDbError::validation(format!(
                "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
                g.index_name
            )));
        }
        None
    };
    let mut projection = g.projection.clone();
    projection.projection_type.get_or_insert_with(|| "ALL".to_owned());
    Ok(Gsi {
        name: g.index_name.clone(),
        key_schema: g.key_schema.clone(),
        key,
        projection,
        throughput,
        active_at,
    })
}

/// Builds an LSI from its definition, checking it against the table key.
pub fn build_lsi(
    l: &LocalSecondaryIndex,
    defs: &[AttributeDefinition],
    table_key: &KeySchema,
) -> Result<Lsi> {
    validate_index_name(&l.index_name)?;
    if table_key.sort.is_none() {
        return Err(DynamoDbError::validation(
            "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ));
    }
    let key = parse_key_schema(&l.key_schema, defs, "localSecondaryIndexes.member.keySchema")?;
    if key.partition.0 != table_key.partition.0 {
        return Err(DynamoDbError::validation(format!(
            "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
            l.index_name, key.partition.0, table_key.partition.0
        )));
    }
    if key.sort.is_none() {
        return Err(DynamoDbError::validation(format!(
            "One or more parameter values were invalid: Index KeySchema for index: {} does not have a range key",
            l.index_name
        )));
    }
    validate_projection(&l.projection, &l.index_name)?;
    let mut projection = l.projection.clone();
    projection.projection_type.get_or_insert_with(|| "ALL".to_owned());
    Ok(Lsi {
        name: l.index_name.clone(),
        key_schema: l.key_schema.clone(),
        key,
        projection,
    })
}

fn validate_index_name(name: &str) -> Result<()> {
    if name.len() < 3
        || name.len() > 255
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{name}' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
        )));
    }
    Ok(())
}

/// Checks that every attribute definition is used by a key (table or index).
pub fn check_definitions_used(meta: &TableMeta) -> Result<()> {
    let mut used: BTreeSet<&str> = meta.key.names().into_iter().collect();
    for g in &meta.gsis {
        used.extend(g.key.names());
    }
    for l in &meta.lsis {
        used.extend(l.key.names());
    }
    let defined: BTreeSet<&str> = meta
        .attribute_definitions
        .iter()
        .map(|d| d.attribute_name.as_str())
        .collect();
    if defined.len() != meta.attribute_definitions.len() {
        return Err(DynamoDbError::validation(
            "Cannot have two attributes with the same name",
        ));
    }
    if used != defined {
        return Err(DynamoDbError::validation(
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    Ok(())
}

/// Everything a new table needs besides its name, ids and times.
pub struct TableDefinition<'a> {
    /// Attribute definitions.
    pub attribute_definitions: &'a [AttributeDefinition],
    /// Key schema.
    pub key_schema: &'a [KeySchemaElement],
    /// GSIs.
    pub gsis: &'a [GlobalSecondaryIndex],
    /// LSIs.
    pub lsis: &'a [LocalSecondaryIndex],
    /// Billing mode.
    pub billing_mode: Option<&'a str>,
    /// Capacity.
    pub throughput: Option<ProvisionedThroughput>,
}

/// The parts of a new table's settings that a definition determines.
pub struct ParsedDefinition {
    /// Parsed key.
    pub key: KeySchema,
    /// GSIs.
    pub gsis: Vec<Gsi>,
    /// LSIs.
    pub lsis: Vec<Lsi>,
    /// Billing mode.
    pub billing_mode: String,
    /// Capacity.
    pub throughput: ProvisionedThroughput,
}

/// Checks a table definition and parses it.
pub fn parse_definition(def: &TableDefinition<'_>, active_at: DateTime<Utc>) -> Result<ParsedDefinition> {
    for d in def.attribute_definitions {
        if ScalarType::parse(&d.attribute_type).is_none() {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value '{}' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                d.attribute_type
            )));
        }
    }
    let key = parse_key_schema(def.key_schema, def.attribute_definitions, "keySchema")?;
    let (billing_mode, throughput) = parse_billing(def.billing_mode, def.throughput)?;
    if def.gsis.len() > 20 {
        return Err(DynamoDbError::LimitExceeded(
            "Subscriber limit exceeded: The number of global secondary indexes per table is limited to 20"
                .to_owned(),
        ));
    }
    if def.lsis.len() > 5 {
        return Err(DynamoDbError::validation(
            "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5",
        ));
    }
    let mut names = BTreeSet::new();
    let mut gsis = Vec::new();
    for g in def.gsis {
        if !names.insert(g.index_name.clone()) {
            return Err(DynamoDbError::validation(format!(
                "One or more parameter values were invalid: Duplicate index name: {}",
                g.index_name
            )));
        }
        gsis.push(build_gsi(g, def.attribute_definitions, &billing_mode, active_at)?);
    }
    let mut lsis = Vec::new();
    for l in def.lsis {
        if !names.insert(l.index_name.clone()) {
            return Err(DynamoDbError::validation(format!(
                "One or more parameter values were invalid: Duplicate index name: {}",
                l.index_name
            )));
        }
        lsis.push(build_lsi(l, def.attribute_definitions, &key)?);
    }
    Ok(ParsedDefinition {
        key,
        gsis,
        lsis,
        billing_mode,
        throughput,
    })
}

/// The last part of the ARN firedrill gives DynamoDB's AWS managed key
/// (`alias/aws/dynamodb`), which KMS does not hold and is always usable.
pub const AWS_MANAGED_KEY: &str = "key/aws-dynamodb-managed";

/// Whether a `KMSMasterKeyId` names an AWS managed key (`alias/aws/...`).
pub fn aws_managed_key(key: &str) -> bool {
    key.starts_with("alias/aws/") || key.contains(":alias/aws/") || key.ends_with(AWS_MANAGED_KEY)
}

/// The description AWS gives KMS encryption for an `SSESpecification`.
pub fn sse_description(
    spec: Option<&SseSpecification>,
    region: &str,
    account: &str,
) -> Option<SseDescription> {
    let spec = spec?;
    if spec.enabled != Some(true) {
        return None;
    }
    let key = spec
        .kms_master_key_id
        .clone()
        .filter(|k| !aws_managed_key(k))
        .map(|k| {
            if k.starts_with("arn:") {
                k
            } else {
                format!("arn:aws:kms:{region}:{account}:key/{k}")
            }
        })
        .unwrap_or_else(|| format!("arn:aws:kms:{region}:{account}:{AWS_MANAGED_KEY}"));
    Some(SseDescription {
        status: "ENABLED".to_owned(),
        sse_type: "KMS".to_owned(),
        kms_master_key_arn: key,
    })
}
