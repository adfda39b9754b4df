//! Item operations: single-item reads and writes, queries and scans,
//! batches and transactions.
//!
//! Every write goes through [`commit`], which stamps it with the emulator
//! instant (never earlier than the table's previous write), applies it to
//! the item store and, while PITR is on, appends it to the history. A
//! request is validated in full (expressions, keys, sizes, conditions)
//! before its first write, so a refused request changes nothing.

use crate::engine::Engine;
use crate::errors::{DynamoDbError, Result};
use crate::expr::{self, Exprs};
use crate::keys::{KeySchema, KeyValue, PrimaryKey, ScalarType};
use crate::legacy;
use crate::protocol::*;
use crate::streams::Origin;
use crate::table::{Table, TableMeta};
use chrono::{DateTime, Utc};
use firedrill_ddb_expr::{Item, item_size};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

/// DynamoDB's item size limit.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// How much a Query or Scan page reads at most.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// Applies one write of a request to a table: stamp, store, history,
/// stream.
pub(crate) fn commit(t: &mut Table, key: PrimaryKey, new: Option<Arc<Item>>, now: DateTime<Utc>) {
    commit_as(t, key, new, now, Origin::User);
}

/// Applies one write made by `origin` (a request, or DynamoDB itself).
pub(crate) fn commit_as(
    t: &mut Table,
    key: PrimaryKey,
    new: Option<Arc<Item>>,
    now: DateTime<Utc>,
    origin: Origin,
) {
    let at = now.max(t.last_write);
    t.last_write = at;
    let old = match &new {
        Some(item) => t.items.insert(key.clone(), item.clone()),
        None => match t.items.remove(&key) {
            Some(old) => Some(old),
            None => return,
        },
    };
    if !t.indexes.is_empty() {
        t.update_indexes(&key, old.as_ref(), new.as_ref());
    }
    if let Some(s) = &t.stream {
        s.lock().append(at, old.as_ref(), new.as_ref(), origin);
    }
    if let Some(h) = &mut t.history {
        h.record(&key, at, new);
    }
}

/// Refuses a write whose secondary-index key attributes have the wrong type
/// or are empty. Items already in a table when an index is created are not
/// checked: as on AWS, those with mistyped index keys are left out of it.
fn index_key_check(meta: &TableMeta, item: &Item) -> Result<()> {
    let check = |key: &KeySchema, index: &str| -> Result<()> {
        let mut attrs = vec![&key.partition];
        if let Some(s) = &key.sort {
            attrs.push(s);
        }
        for (position, (name, ty)) in attrs.into_iter().enumerate() {
            let Some(v) = item.get(name) else { continue };
            if meta.key.is_key(name) {
                continue;
            }
            let Some(k) = KeyValue::from_attribute(v, *ty) else {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {name} Expected: {} Actual: {} IndexName: {index}",
                    ty.as_str(),
                    v.type_descriptor()
                )));
            };
            if k.is_empty() {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {index}, IndexKey: {name}",
                    if *ty == ScalarType::S { "string" } else { "binary" }
                )));
            }
            crate::keys::check_key_size(&k, position == 1)?;
        }
        Ok(())
    };
    for g in &meta.gsis {
        check(&g.key, &g.name)?;
    }
    for l in &meta.lsis {
        check(&l.key, &l.name)?;
    }
    Ok(())
}

/// Validates a whole item for a table: values, key, size, index keys.
fn prepare_item(meta: &TableMeta, item: &Item) -> Result<(PrimaryKey, Item)> {
    let item = expr::normalize_item(item)?;
    let key = meta.key.key_of_item(&item)?;
    check_size(&item)?;
    index_key_check(meta, &item)?;
    Ok((key, item))
}

fn check_size(item: &Item) -> Result<()> {
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(DynamoDbError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

/// The size check of an item an update would leave, with the message AWS
/// gives `UpdateItem` (and a transaction's `Update`).
fn check_updated_size(item: &Item) -> Result<()> {
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(DynamoDbError::validation(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

/// A `Key` parameter: values checked and numbers normalised.
fn prepare_key(meta: &TableMeta, key: &Item) -> Result<(PrimaryKey, Item)> {
    let key_item = expr::normalize_item(key)?;
    let pk = meta.key.key_of_key(&key_item)?;
    Ok((pk, key_item))
}

fn check_enum(value: Option<&str>, allowed: &[&str], member: &str) -> Result<String> {
    let Some(v) = value.or(allowed.first().copied()) else {
        return Err(DynamoDbError::InternalServerError(format!(
            "no default value for {member}"
        )));
    };
    crate::errors::one_of(Some(v), member, allowed)?;
    Ok(v.to_owned())
}

fn capacity_mode(value: Option<&str>) -> Result<String> {
    check_enum(value, &["NONE", "TOTAL", "INDEXES"], "returnConsumedCapacity")
}

fn consumed(mode: &str, table: &str, units: f64, write: bool) -> Option<ConsumedCapacity> {
    match mode {
        "TOTAL" | "INDEXES" => Some(ConsumedCapacity {
            table_name: table.to_owned(),
            capacity_units: units,
            read_capacity_units: (!write).then_some(units),
            write_capacity_units: write.then_some(units),
            table: (mode == "INDEXES").then_some(Capacity {
                capacity_units: units,
            }),
        }),
        _ => None,
    }
}

fn write_units(old: Option<&Item>, new: Option<&Item>) -> f64 {
    let size = old
        .map(item_size)
        .unwrap_or(0)
        .max(new.map(item_size).unwrap_or(0));
    (size.div_ceil(1024)).max(1) as f64
}

fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

fn condition_failed(old: Option<&Arc<Item>>, return_old: bool) -> DynamoDbError {
    DynamoDbError::ConditionalCheckFailed {
        message: "The conditional request failed".to_owned(),
        item: if return_old {
            old.map(|i| (**i).clone())
        } else {
            None
        },
    }
}

fn project_names(item: &Item, names: &[String]) -> Item {
    item.iter()
        .filter(|(k, _)| names.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// FNV-1a, for scan segments and request fingerprints.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What an index shows of an item.
fn index_view(item: &Item, table_key: &KeySchema, index_key: &KeySchema, projection: &Projection) -> Item {
    match projection.projection_type.as_deref() {
        Some("KEYS_ONLY") | Some("INCLUDE") => {
            let mut keep: BTreeSet<&str> = table_key.names().into_iter().collect();
            keep.extend(index_key.names());
            if let Some(extra) = &projection.non_key_attributes {
                keep.extend(extra.iter().map(String::as_str));
            }
            item.iter()
                .filter(|(k, _)| keep.contains(k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }
        _ => item.clone(),
    }
}

use crate::table::IndexOrder;

/// The read plan of a Query or Scan over a table or index.
struct Source<'a> {
    table: &'a Table,
    index: Option<(&'a str, &'a KeySchema, &'a Projection)>,
}

impl<'a> Source<'a> {
    fn key(&self) -> &'a KeySchema {
        self.index.map(|(_, k, _)| k).unwrap_or(&self.table.meta.key)
    }

    /// The entries of the index (all, or one partition's), in index order.
    fn index_items(&self, partition: Option<&KeyValue>) -> Vec<(&'a IndexOrder, &'a Arc<Item>)> {
        let Some((name, _, _)) = self.index else {
            return Vec::new();
        };
        let Some(store) = self.table.indexes.get(name) else {
            return Vec::new();
        };
        match partition {
            None => store.iter().collect(),
            Some(pk) => {
                // The smallest entry of a partition: no sort key (None sorts
                // first) and the smallest table key (an empty string).
                let first: IndexOrder = ((pk.clone(), None), (KeyValue::S(String::new()), None));
                store
                    .range(first..)
                    .take_while(|((ik, _), _)| &ik.0 == pk)
                    .collect()
            }
        }
    }

    /// The `LastEvaluatedKey` of an item.
    fn last_key(&self, item: &Item) -> Item {
        let mut k = self.table.meta.key.project_key(item);
        if let Some((_, key, _)) = self.index {
            k.extend(key.project_key(item));
        }
        k
    }

    /// The position an `ExclusiveStartKey` names.
    fn start_position(&self, esk: &Item) -> Result<IndexOrder> {
        let esk = expr::normalize_item(esk)?;
        let table_key = &self.table.meta.key;
        let invalid = || {
            DynamoDbError::validation(
                "The provided starting key is invalid: The provided key element does not match the schema",
            )
        };
        let tk = table_key.index_key(&esk).ok_or_else(invalid)?;
        match self.index {
            None => {
                if esk.len() != table_key.names().len() {
                    return Err(invalid());
                }
                Ok((tk.clone(), tk))
            }
            Some((_, key, _)) => {
                let ik = key.index_key(&esk).ok_or_else(invalid)?;
                Ok((ik, tk))
            }
        }
    }
}

/// One page of a Query or Scan.
struct Page {
    items: Vec<Item>,
    scanned: i64,
    last: Option<Item>,
    bytes: usize,
}

struct PageSpec<'a> {
    limit: Option<usize>,
    filter: Option<&'a expr::Condition>,
    projection: Option<&'a expr::Projection>,
    count_only: bool,
}

fn read_page<'a>(
    source: &Source<'a>,
    candidates: impl Iterator<Item = &'a Arc<Item>>,
    spec: &PageSpec<'_>,
) -> Result<Page> {
    let mut page = Page {
        items: Vec::new(),
        scanned: 0,
        last: None,
        bytes: 0,
    };
    let mut candidates = candidates.peekable();
    while let Some(item) = candidates.next() {
        let view = match source.index {
            Some((_, key, projection)) => index_view(item, &source.table.meta.key, key, projection),
            None => (**item).clone(),
        };
        page.scanned += 1;
        page.bytes += item_size(item);
        let keep = match spec.filter {
            Some(f) => expr::holds(f, Some(&view))?,
            None => true,
        };
        if keep {
            if spec.count_only {
                page.items.push(Item::new());
            } else {
                page.items.push(match spec.projection {
                    Some(p) => p.apply(&view),
                    None => view,
                });
            }
        }
        let full = spec.limit.is_some_and(|l| page.scanned as usize >= l) || page.bytes >= MAX_PAGE_BYTES;
        if full {
            if candidates.peek().is_some() {
                page.last = Some(source.last_key(item));
            }
            break;
        }
    }
    Ok(page)
}

fn select_mode(input: &QueryInput, on_index: bool) -> Result<bool> {
    let select = check_enum(
        input.select.as_deref(),
        &[
            "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES",
            "SPECIFIC_ATTRIBUTES",
            "COUNT",
        ],
        "select",
    )?;
    let has_projection = input.projection_expression.is_some();
    match (input.select.as_deref(), has_projection) {
        (Some("COUNT") | Some("ALL_ATTRIBUTES") | Some("ALL_PROJECTED_ATTRIBUTES"), true) => {
            return Err(DynamoDbError::validation(format!(
                "One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get {}",
                select
            )));
        }
        (Some("SPECIFIC_ATTRIBUTES"), false) => {
            return Err(DynamoDbError::validation(
                "One or more parameter values were invalid: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
            ));
        }
        (Some("ALL_PROJECTED_ATTRIBUTES"), _) if !on_index => {
            return Err(DynamoDbError::validation(
                "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for Query and Scan operations on indexes",
            ));
        }
        _ => {}
    }
    Ok(select == "COUNT")
}

fn check_limit(limit: Option<i64>) -> Result<Option<usize>> {
    match limit {
        None => Ok(None),
        Some(l) if l >= 1 => Ok(Some(l as usize)),
        Some(l) => Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{l}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ))),
    }
}

impl Engine {
    fn source<'a>(
        &self,
        t: &'a Table,
        index: Option<&'a str>,
        consistent: bool,
        now: DateTime<Utc>,
    ) -> Result<Source<'a>> {
        let Some(name) = index else {
            return Ok(Source {
                table: t,
                index: None,
            });
        };
        if let Some(g) = t.meta.gsis.iter().find(|g| g.name == name) {
            if consistent {
                return Err(DynamoDbError::validation(
                    "Consistent reads are not supported on global secondary indexes",
                ));
            }
            if now < g.active_at {
                return Err(DynamoDbError::validation(format!(
                    "Cannot read from backfilling global secondary index: {name}"
                )));
            }
            return Ok(Source {
                table: t,
                index: Some((&g.name, &g.key, &g.projection)),
            });
        }
        if let Some(l) = t.meta.lsis.iter().find(|l| l.name == name) {
            return Ok(Source {
                table: t,
                index: Some((&l.name, &l.key, &l.projection)),
            });
        }
        Err(DynamoDbError::validation(format!(
            "The table does not have the specified index: {name}"
        )))
    }

    /// `PutItem`.
    pub fn put_item(&self, region: &str, input: PutItemInput) -> Result<WriteItemOutput> {
        let input = legacy::put_item(input)?;
        let rv = check_enum(
            input.return_values.as_deref(),
            &["NONE", "ALL_OLD"],
            "returnValues",
        )?;
        let on_fail = check_enum(
            input.return_values_on_condition_check_failure.as_deref(),
            &["NONE", "ALL_OLD"],
            "returnValuesOnConditionCheckFailure",
        )?;
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let mut ex = Exprs::new(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values.as_ref(),
        )?;
        let cond = ex.condition(input.condition_expression.as_deref())?;
        ex.finish()?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self.usable_mut(&mut r, region, &input.table_name, now)?;
        let (key, item) = prepare_item(&t.meta, &input.item)?;
        let old = t.items.get(&key).cloned();
        if let Some(c) = &cond
            && !expr::holds(c, old.as_deref())?
        {
            return Err(condition_failed(old.as_ref(), on_fail == "ALL_OLD"));
        }
        let units = write_units(old.as_deref(), Some(&item));
        commit(t, key, Some(Arc::new(item)), now);
        Ok(WriteItemOutput {
            attributes: if rv == "ALL_OLD" {
                old.map(|o| (*o).clone())
            } else {
                None
            },
            consumed_capacity: consumed(&cap, &t.meta.name, units, true),
        })
    }

    /// `GetItem`.
    pub fn get_item(&self, region: &str, input: GetItemInput) -> Result<GetItemOutput> {
        let input = legacy::get_item(input)?;
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let mut ex = Exprs::new(input.expression_attribute_names.as_ref(), None)?;
        let projection = ex.projection(input.projection_expression.as_deref())?;
        ex.finish()?;
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let t = self.usable(&r, region, &input.table_name, now)?;
        let (key, _) = prepare_key(&t.meta, &input.key)?;
        let found = t.items.get(&key);
        let consistent = input.consistent_read.unwrap_or(false);
        let units = read_units(found.map(|i| item_size(i)).unwrap_or(0), consistent);
        let item = found.map(|i| match &projection {
            Some(p) => p.apply(i),
            None => (**i).clone(),
        });
        Ok(GetItemOutput {
            item,
            consumed_capacity: consumed(&cap, &t.meta.name, units, false),
        })
    }

    /// `DeleteItem`.
    pub fn delete_item(&self, region: &str, input: DeleteItemInput) -> Result<WriteItemOutput> {
        let input = legacy::delete_item(input)?;
        let rv = check_enum(
            input.return_values.as_deref(),
            &["NONE", "ALL_OLD"],
            "returnValues",
        )?;
        let on_fail = check_enum(
            input.return_values_on_condition_check_failure.as_deref(),
            &["NONE", "ALL_OLD"],
            "returnValuesOnConditionCheckFailure",
        )?;
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let mut ex = Exprs::new(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values.as_ref(),
        )?;
        let cond = ex.condition(input.condition_expression.as_deref())?;
        ex.finish()?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self.usable_mut(&mut r, region, &input.table_name, now)?;
        let (key, _) = prepare_key(&t.meta, &input.key)?;
        let old = t.items.get(&key).cloned();
        if let Some(c) = &cond
            && !expr::holds(c, old.as_deref())?
        {
            return Err(condition_failed(old.as_ref(), on_fail == "ALL_OLD"));
        }
        let units = write_units(old.as_deref(), None);
        commit(t, key, None, now);
        Ok(WriteItemOutput {
            attributes: if rv == "ALL_OLD" {
                old.map(|o| (*o).clone())
            } else {
                None
            },
            consumed_capacity: consumed(&cap, &t.meta.name, units, true),
        })
    }

    /// `UpdateItem`.
    pub fn update_item(&self, region: &str, input: UpdateItemInput) -> Result<WriteItemOutput> {
        let input = legacy::update_item(input)?;
        let rv = check_enum(
            input.return_values.as_deref(),
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
            "returnValues",
        )?;
        let on_fail = check_enum(
            input.return_values_on_condition_check_failure.as_deref(),
            &["NONE", "ALL_OLD"],
            "returnValuesOnConditionCheckFailure",
        )?;
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let mut ex = Exprs::new(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values.as_ref(),
        )?;
        let update = input
            .update_expression
            .as_deref()
            .map(|u| ex.update(u))
            .transpose()?;
        let cond = ex.condition(input.condition_expression.as_deref())?;
        ex.finish()?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let t = self.usable_mut(&mut r, region, &input.table_name, now)?;
        let (key, key_item) = prepare_key(&t.meta, &input.key)?;
        let old = t.items.get(&key).cloned();
        if let Some(c) = &cond
            && !expr::holds(c, old.as_deref())?
        {
            return Err(condition_failed(old.as_ref(), on_fail == "ALL_OLD"));
        }
        let base: Item = old.as_deref().cloned().unwrap_or(key_item);
        let key_names = t.meta.key.names();
        let new = match &update {
            Some(u) => u.apply(&base, &key_names)?,
            None => base,
        };
        check_updated_size(&new)?;
        index_key_check(&t.meta, &new)?;
        let touched = update
            .as_ref()
            .map(|u| u.touched_attributes())
            .unwrap_or_default();
        let attributes = match rv.as_str() {
            "ALL_OLD" => old.as_deref().cloned(),
            "ALL_NEW" => Some(new.clone()),
            "UPDATED_OLD" => old.as_deref().map(|o| project_names(o, &touched)),
            "UPDATED_NEW" => Some(project_names(&new, &touched)),
            _ => None,
        }
        .filter(|a| !a.is_empty());
        let units = write_units(old.as_deref(), Some(&new));
        // Taking attributes away from an item that does not exist leaves it
        // absent, as on AWS (an update with no expression still creates it).
        if old.is_none() && update.as_ref().is_some_and(|u| u.only_removes()) {
            return Ok(WriteItemOutput {
                attributes: None,
                consumed_capacity: consumed(&cap, &t.meta.name, units, true),
            });
        }
        commit(t, key, Some(Arc::new(new)), now);
        Ok(WriteItemOutput {
            attributes,
            consumed_capacity: consumed(&cap, &t.meta.name, units, true),
        })
    }

    /// `Query`.
    pub fn query(&self, region: &str, input: QueryInput) -> Result<QueryOutput> {
        let input = legacy::query(input)?;
        let Some(kce) = input.key_condition_expression.as_deref() else {
            return Err(DynamoDbError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ));
        };
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let limit = check_limit(input.limit)?;
        let count_only = select_mode(&input, input.index_name.is_some())?;
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let t = self.usable(&r, region, &input.table_name, now)?;
        let consistent = input.consistent_read.unwrap_or(false);
        let source = self.source(t, input.index_name.as_deref(), consistent, now)?;
        let key = source.key();
        let mut ex = Exprs::new(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values.as_ref(),
        )?;
        let kc = ex.key_condition(kce, &key.partition.0, key.sort.as_ref().map(|(n, _)| n.as_str()))?;
        let filter = ex.filter(input.filter_expression.as_deref())?;
        let projection = ex.projection(input.projection_expression.as_deref())?;
        ex.finish()?;
        if let Some(f) = &filter
            && let Some(name) = f.attributes().into_iter().find(|a| key.is_key(a))
        {
            return Err(DynamoDbError::validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}"
            )));
        }
        let mismatch = || {
            DynamoDbError::validation(
                "One or more parameter values were invalid: Condition parameter type does not match schema type",
            )
        };
        let pk = KeyValue::from_attribute(&expr::normalize_value(&kc.partition_value)?, key.partition.1)
            .ok_or_else(mismatch)?;
        if let (Some((_, cond)), Some((_, ty))) = (&kc.sort, &key.sort)
            && cond.values().iter().any(|v| v.type_descriptor() != ty.as_str())
        {
            return Err(mismatch());
        }
        let sort_ok = |item: &Item| match &kc.sort {
            None => true,
            Some((name, cond)) => item.get(name).is_some_and(|v| cond.matches(v)),
        };
        let forward = input.scan_index_forward.unwrap_or(true);
        let start = input
            .exclusive_start_key
            .as_ref()
            .map(|e| source.start_position(e))
            .transpose()?;
        let spec = PageSpec {
            limit,
            filter: filter.as_ref(),
            projection: projection.as_ref(),
            count_only,
        };
        let page = match source.index {
            None => {
                use std::ops::Bound::{Excluded, Unbounded};
                let after = start.as_ref().map(|(_, tk)| tk.1.clone());
                let candidates: Box<dyn Iterator<Item = &Arc<Item>>> =
                    match (t.items.partition(&pk), forward, &after) {
                        (None, _, _) => Box::new(std::iter::empty()),
                        (Some(p), true, None) => Box::new(p.values()),
                        (Some(p), false, None) => Box::new(p.values().rev()),
                        (Some(p), true, Some(sk)) => {
                            Box::new(p.range((Excluded(sk), Unbounded)).map(|(_, i)| i))
                        }
                        (Some(p), false, Some(sk)) => {
                            Box::new(p.range((Unbounded, Excluded(sk))).rev().map(|(_, i)| i))
                        }
                    };
                read_page(&source, candidates.filter(|i| sort_ok(i)), &spec)?
            }
            Some(_) => {
                let mut all = source.index_items(Some(&pk));
                if !forward {
                    all.reverse();
                }
                let skip = match &start {
                    Some(pos) => all
                        .iter()
                        .position(|(o, _)| if forward { *o > pos } else { *o < pos })
                        .unwrap_or(all.len()),
                    None => 0,
                };
                read_page(
                    &source,
                    all.get(skip..)
                        .unwrap_or_default()
                        .iter()
                        .map(|(_, i)| *i)
                        .filter(|i| sort_ok(i)),
                    &spec,
                )?
            }
        };
        Ok(QueryOutput {
            count: page.items.len() as i64,
            items: (!count_only).then_some(page.items),
            scanned_count: page.scanned,
            last_evaluated_key: page.last,
            consumed_capacity: consumed(&cap, &t.meta.name, read_units(page.bytes, consistent), false),
        })
    }

    /// `Scan`.
    pub fn scan(&self, region: &str, input: QueryInput) -> Result<QueryOutput> {
        let input = legacy::scan(input)?;
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let limit = check_limit(input.limit)?;
        let count_only = select_mode(&input, input.index_name.is_some())?;
        let segments = match (input.segment, input.total_segments) {
            (None, None) => None,
            (Some(s), Some(n)) => {
                if !(1..=1_000_000).contains(&n) {
                    return Err(DynamoDbError::validation(format!(
                        "1 validation error detected: Value '{n}' at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000"
                    )));
                }
                if s < 0 || s >= n {
                    return Err(DynamoDbError::validation(format!(
                        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {n}"
                    )));
                }
                Some((s as u64, n as u64))
            }
            (Some(_), None) => {
                return Err(DynamoDbError::validation(
                    "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
                ));
            }
            (None, Some(_)) => {
                return Err(DynamoDbError::validation(
                    "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
                ));
            }
        };
        let mut ex = Exprs::new(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values.as_ref(),
        )?;
        let filter = ex.filter(input.filter_expression.as_deref())?;
        let projection = ex.projection(input.projection_expression.as_deref())?;
        ex.finish()?;
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let t = self.usable(&r, region, &input.table_name, now)?;
        let consistent = input.consistent_read.unwrap_or(false);
        let source = self.source(t, input.index_name.as_deref(), consistent, now)?;
        let start = input
            .exclusive_start_key
            .as_ref()
            .map(|e| source.start_position(e))
            .transpose()?;
        let in_segment = |pk: &KeyValue| match segments {
            None => true,
            Some((s, n)) => fnv(&pk.hash_bytes()) % n == s,
        };
        let spec = PageSpec {
            limit,
            filter: filter.as_ref(),
            projection: projection.as_ref(),
            count_only,
        };
        let page = match source.index {
            None => {
                let after = start.as_ref().map(|(_, tk)| tk);
                read_page(
                    &source,
                    t.items
                        .iter_from(after)
                        .filter(|(pk, _, _)| in_segment(pk))
                        .map(|(_, _, i)| i),
                    &spec,
                )?
            }
            Some(_) => {
                let all = source.index_items(None);
                let skip = match &start {
                    Some(pos) => all.iter().position(|(o, _)| *o > pos).unwrap_or(all.len()),
                    None => 0,
                };
                read_page(
                    &source,
                    all.get(skip..)
                        .unwrap_or_default()
                        .iter()
                        .filter(|((ik, _), _)| in_segment(&ik.0))
                        .map(|(_, i)| *i),
                    &spec,
                )?
            }
        };
        Ok(QueryOutput {
            count: page.items.len() as i64,
            items: (!count_only).then_some(page.items),
            scanned_count: page.scanned,
            last_evaluated_key: page.last,
            consumed_capacity: consumed(&cap, &t.meta.name, read_units(page.bytes, consistent), false),
        })
    }

    /// `BatchWriteItem`: up to 25 puts and deletes, all validated before
    /// any is applied; none is ever left unprocessed.
    pub fn batch_write_item(&self, region: &str, input: BatchWriteItemInput) -> Result<BatchWriteItemOutput> {
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let total: usize = input.request_items.values().map(Vec::len).sum();
        if input.request_items.is_empty() {
            return Err(DynamoDbError::validation(
                "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        if total > 25 {
            return Err(DynamoDbError::validation(
                "Too many items requested for the BatchWriteItem call",
            ));
        }
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let mut plan: Vec<(String, PrimaryKey, Option<Item>)> = Vec::new();
        for (table_name, requests) in &input.request_items {
            if requests.is_empty() {
                return Err(DynamoDbError::validation(format!(
                    "1 validation error detected: Value '[]' at 'requestItems.{table_name}.member' failed to satisfy constraint: Member must have length greater than or equal to 1"
                )));
            }
            let t = self.usable(&r, region, table_name, now)?;
            let mut seen = HashSet::new();
            for w in requests {
                let (key, item) = match (&w.put_request, &w.delete_request) {
                    (Some(p), None) => {
                        let (k, i) = prepare_item(&t.meta, &p.item)?;
                        (k, Some(i))
                    }
                    (None, Some(d)) => (prepare_key(&t.meta, &d.key)?.0, None),
                    _ => {
                        return Err(DynamoDbError::validation(
                            "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest",
                        ));
                    }
                };
                if !seen.insert(key.clone()) {
                    return Err(DynamoDbError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                plan.push((t.meta.name.clone(), key, item));
            }
        }
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        for (table_name, key, item) in plan {
            let Some(t) = r.tables.get_mut(&table_name) else {
                continue;
            };
            let old = t.items.get(&key).cloned();
            *units.entry(table_name).or_default() += write_units(old.as_deref(), item.as_ref());
            commit(t, key, item.map(Arc::new), now);
        }
        Ok(BatchWriteItemOutput {
            unprocessed_items: BTreeMap::new(),
            consumed_capacity: (cap != "NONE").then(|| {
                units
                    .iter()
                    .filter_map(|(name, u)| consumed(&cap, name, *u, true))
                    .collect()
            }),
        })
    }

    /// `BatchGetItem`: up to 100 keys; none is ever left unprocessed.
    pub fn batch_get_item(&self, region: &str, mut input: BatchGetItemInput) -> Result<BatchGetItemOutput> {
        for ka in input.request_items.values_mut() {
            legacy::keys_and_attributes(ka)?;
        }
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        if input.request_items.is_empty() {
            return Err(DynamoDbError::validation(
                "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let total: usize = input.request_items.values().map(|k| k.keys.len()).sum();
        if total > 100 {
            return Err(DynamoDbError::validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let mut responses = BTreeMap::new();
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        for (table_name, ka) in &input.request_items {
            if ka.keys.is_empty() {
                return Err(DynamoDbError::validation(format!(
                    "1 validation error detected: Value '[]' at 'requestItems.{table_name}.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1"
                )));
            }
            let mut ex = Exprs::new(ka.expression_attribute_names.as_ref(), None)?;
            let projection = ex.projection(ka.projection_expression.as_deref())?;
            ex.finish()?;
            let t = self.usable(&r, region, table_name, now)?;
            let mut seen = HashSet::new();
            let mut found = Vec::new();
            let mut bytes = 0;
            for k in &ka.keys {
                let (key, _) = prepare_key(&t.meta, k)?;
                if !seen.insert(key.clone()) {
                    return Err(DynamoDbError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                if let Some(item) = t.items.get(&key) {
                    bytes += item_size(item);
                    found.push(match &projection {
                        Some(p) => p.apply(item),
                        None => (**item).clone(),
                    });
                }
            }
            units.insert(
                table_name.clone(),
                read_units(bytes, ka.consistent_read.unwrap_or(false)),
            );
            responses.insert(table_name.clone(), found);
        }
        Ok(BatchGetItemOutput {
            responses,
            unprocessed_keys: BTreeMap::new(),
            consumed_capacity: (cap != "NONE").then(|| {
                units
                    .iter()
                    .filter_map(|(name, u)| consumed(&cap, name, *u, false))
                    .collect()
            }),
        })
    }

    /// `TransactWriteItems`: all actions or none. `fingerprint` identifies
    /// the request's parameters (a hash of its canonical body): a
    /// `ClientRequestToken` seen in the last ten minutes with the same
    /// fingerprint succeeds without applying the writes again, with another
    /// fingerprint fails with `IdempotentParameterMismatchException`, as on AWS.
    pub fn transact_write_items(
        &self,
        region: &str,
        input: TransactWriteItemsInput,
        fingerprint: u64,
    ) -> Result<TransactWriteItemsOutput> {
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let n = input.transact_items.len();
        if n == 0 || n > 100 {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
                if n == 0 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 100"
                }
            )));
        }
        enum Kind {
            Check,
            Put(Item),
            Delete,
            Update(expr::Update),
        }
        struct Action<'a> {
            table: &'a str,
            key: &'a Item,
            kind: Kind,
            cond: Option<expr::Condition>,
            return_old: bool,
        }
        let mut actions = Vec::with_capacity(n);
        for item in &input.transact_items {
            let count = usize::from(item.condition_check.is_some())
                + usize::from(item.put.is_some())
                + usize::from(item.delete.is_some())
                + usize::from(item.update.is_some());
            if count != 1 {
                return Err(DynamoDbError::validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete",
                ));
            }
            let on_fail = |v: &Option<String>| -> Result<bool> {
                Ok(check_enum(
                    v.as_deref(),
                    &["NONE", "ALL_OLD"],
                    "returnValuesOnConditionCheckFailure",
                )? == "ALL_OLD")
            };
            let action = if let Some(c) = &item.condition_check {
                let mut ex = Exprs::new(
                    c.expression_attribute_names.as_ref(),
                    c.expression_attribute_values.as_ref(),
                )?;
                let cond = ex.condition(Some(&c.condition_expression))?;
                ex.finish()?;
                Action {
                    table: &c.table_name,
                    key: &c.key,
                    kind: Kind::Check,
                    cond,
                    return_old: on_fail(&c.return_values_on_condition_check_failure)?,
                }
            } else if let Some(p) = &item.put {
                let mut ex = Exprs::new(
                    p.expression_attribute_names.as_ref(),
                    p.expression_attribute_values.as_ref(),
                )?;
                let cond = ex.condition(p.condition_expression.as_deref())?;
                ex.finish()?;
                Action {
                    table: &p.table_name,
                    key: &p.item,
                    kind: Kind::Put(p.item.clone()),
                    cond,
                    return_old: on_fail(&p.return_values_on_condition_check_failure)?,
                }
            } else if let Some(d) = &item.delete {
                let mut ex = Exprs::new(
                    d.expression_attribute_names.as_ref(),
                    d.expression_attribute_values.as_ref(),
                )?;
                let cond = ex.condition(d.condition_expression.as_deref())?;
                ex.finish()?;
                Action {
                    table: &d.table_name,
                    key: &d.key,
                    kind: Kind::Delete,
                    cond,
                    return_old: on_fail(&d.return_values_on_condition_check_failure)?,
                }
            } else if let Some(u) = &item.update {
                let mut ex = Exprs::new(
                    u.expression_attribute_names.as_ref(),
                    u.expression_attribute_values.as_ref(),
                )?;
                let update = ex.update(&u.update_expression)?;
                let cond = ex.condition(u.condition_expression.as_deref())?;
                ex.finish()?;
                Action {
                    table: &u.table_name,
                    key: &u.key,
                    kind: Kind::Update(update),
                    cond,
                    return_old: on_fail(&u.return_values_on_condition_check_failure)?,
                }
            } else {
                continue;
            };
            actions.push(action);
        }
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        if let Some(token) = &input.client_request_token {
            if token.is_empty() || token.len() > 36 {
                return Err(DynamoDbError::validation(
                    "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 1 and 36",
                ));
            }
            if let Some((seen, at)) = r.tokens.get(token)
                && now - *at < chrono::Duration::minutes(crate::engine::TOKEN_LIFETIME_MINUTES)
            {
                if *seen == fingerprint {
                    return Ok(TransactWriteItemsOutput::default());
                }
                return Err(DynamoDbError::IdempotentParameterMismatch(
                    "Request parameters do not match the parameters of a previous request with the same ClientRequestToken".to_owned(),
                ));
            }
        }
        // Resolve keys and new items; validation errors refuse the whole request.
        let mut resolved: Vec<(String, PrimaryKey, Option<Option<Item>>)> = Vec::with_capacity(n);
        let mut seen = HashSet::new();
        let mut reasons = Vec::with_capacity(n);
        let mut failed = false;
        for a in &actions {
            let t = self.usable(&r, region, a.table, now)?;
            let (key, key_item) = match &a.kind {
                Kind::Put(item) => {
                    let (k, _) = prepare_item(&t.meta, item)?;
                    (k, t.meta.key.project_key(item))
                }
                _ => prepare_key(&t.meta, a.key)?,
            };
            if !seen.insert((t.meta.name.clone(), key.clone())) {
                return Err(DynamoDbError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            let old = t.items.get(&key).cloned();
            let ok = match &a.cond {
                Some(c) => expr::holds(c, old.as_deref())?,
                None => true,
            };
            let new: Option<Option<Item>> = match &a.kind {
                Kind::Check => None,
                Kind::Put(item) => Some(Some(prepare_item(&t.meta, item)?.1)),
                Kind::Delete => Some(None),
                // Nothing to take attributes from: the item stays absent.
                Kind::Update(u) if old.is_none() && u.only_removes() => Some(None),
                Kind::Update(u) => {
                    let base = old.as_deref().cloned().unwrap_or(key_item);
                    let new = u.apply(&base, &t.meta.key.names())?;
                    check_updated_size(&new)?;
                    index_key_check(&t.meta, &new)?;
                    Some(Some(new))
                }
            };
            if ok {
                reasons.push(CancellationReason {
                    item: None,
                    code: "None".to_owned(),
                    message: None,
                });
            } else {
                failed = true;
                reasons.push(CancellationReason {
                    item: if a.return_old {
                        old.as_deref().cloned()
                    } else {
                        None
                    },
                    code: "ConditionalCheckFailed".to_owned(),
                    message: Some("The conditional request failed".to_owned()),
                });
            }
            resolved.push((t.meta.name.clone(), key, new));
        }
        if failed {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
            return Err(DynamoDbError::TransactionCanceled {
                message: format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    codes.join(", ")
                ),
                reasons,
            });
        }
        if let Some(token) = &input.client_request_token {
            r.tokens.insert(token.clone(), (fingerprint, now));
        }
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        for (table_name, key, new) in resolved {
            let Some(t) = r.tables.get_mut(&table_name) else {
                continue;
            };
            let old = t.items.get(&key).cloned();
            let entry = units.entry(table_name).or_default();
            match new {
                None => *entry += 2.0 * write_units(old.as_deref(), None),
                Some(new) => {
                    *entry += 2.0 * write_units(old.as_deref(), new.as_ref());
                    commit(t, key, new.map(Arc::new), now);
                }
            }
        }
        Ok(TransactWriteItemsOutput {
            consumed_capacity: (cap != "NONE").then(|| {
                units
                    .iter()
                    .filter_map(|(name, u)| consumed(&cap, name, *u, true))
                    .collect()
            }),
        })
    }

    /// `TransactGetItems`: a consistent snapshot of up to 100 items.
    pub fn transact_get_items(
        &self,
        region: &str,
        input: TransactGetItemsInput,
    ) -> Result<TransactGetItemsOutput> {
        let cap = capacity_mode(input.return_consumed_capacity.as_deref())?;
        let n = input.transact_items.len();
        if n == 0 || n > 100 {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
                if n == 0 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 100"
                }
            )));
        }
        let mut projections = Vec::with_capacity(n);
        for g in &input.transact_items {
            let mut ex = Exprs::new(g.get.expression_attribute_names.as_ref(), None)?;
            projections.push(ex.projection(g.get.projection_expression.as_deref())?);
            ex.finish()?;
        }
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let mut responses = Vec::with_capacity(n);
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        let mut seen = HashSet::new();
        for (g, projection) in input.transact_items.iter().zip(&projections) {
            let t = self.usable(&r, region, &g.get.table_name, now)?;
            let (key, _) = prepare_key(&t.meta, &g.get.key)?;
            if !seen.insert((t.meta.name.clone(), key.clone())) {
                return Err(DynamoDbError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            let found = t.items.get(&key);
            *units.entry(t.meta.name.clone()).or_default() +=
                2.0 * read_units(found.map(|i| item_size(i)).unwrap_or(0), true);
            responses.push(ItemResponse {
                item: found.map(|i| match projection {
                    Some(p) => p.apply(i),
                    None => (**i).clone(),
                }),
            });
        }
        Ok(TransactGetItemsOutput {
            responses,
            consumed_capacity: (cap != "NONE").then(|| {
                units
                    .iter()
                    .filter_map(|(name, u)| consumed(&cap, name, *u, false))
                    .collect()
            }),
        })
    }
}
