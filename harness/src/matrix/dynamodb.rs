//! DynamoDB probes: restore to T returns T's state; a deleted PITR table
//! leaves a SYSTEM backup that restores. Plus the table helpers the other
//! probes share (create and wait for ACTIVE, scan into a map).

use super::Outcome;
use super::support::{Created, Ctx, DRILL_TAG_KEY, Step, classify, code, describe, fail};
use crate::model::{chrono_to_smithy, smithy_to_chrono};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BackupStatus, BackupTypeFilter, BillingMode, KeySchemaElement,
    KeyType, PointInTimeRecoverySpecification, ScalarAttributeType, TableStatus, Tag,
};
use parking_lot::Mutex;
use std::collections::BTreeMap;

/// Creates a pay-per-request table keyed by `pk` (a string), tagged with
/// the run, records the state CreateTable answered, and waits for ACTIVE.
pub(crate) async fn create_table(
    ctx: &Ctx<'_>,
    ddb: &Client,
    name: &str,
    details: &mut Vec<String>,
) -> Step<()> {
    let build = |e: aws_sdk_dynamodb::error::BuildError| Outcome::Error(format!("building CreateTable: {e}"));
    let out = ddb
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build)?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .map_err(build)?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .tags(
            Tag::builder()
                .key(DRILL_TAG_KEY)
                .value(&ctx.run_id)
                .build()
                .map_err(build)?,
        )
        .send()
        .await
        .map_err(fail("CreateTable"))?;
    ctx.created(Created::Table {
        region: ctx.clients.region.clone(),
        name: name.to_owned(),
    });
    let status = out
        .table_description()
        .and_then(|d| d.table_status())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "(no TableStatus)".into());
    details.push(format!("CreateTable {name}: {status}"));
    ctx.observe("CreateTable", status, "CREATING");
    wait_active(ctx, ddb, name, details).await
}

/// Waits until `name` is ACTIVE.
pub(crate) async fn wait_active(
    ctx: &Ctx<'_>,
    ddb: &Client,
    name: &str,
    details: &mut Vec<String>,
) -> Step<()> {
    let last = Mutex::new(String::new());
    let done = ctx
        .poll(&ctx.opts.wait, || {
            let last = &last;
            async move {
                let d = ddb
                    .describe_table()
                    .table_name(name)
                    .send()
                    .await
                    .map_err(fail("DescribeTable"))?;
                let status = d.table().and_then(|t| t.table_status()).cloned();
                *last.lock() = status.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default();
                Ok((status == Some(TableStatus::Active)).then_some(()))
            }
        })
        .await?;
    match done {
        Some(()) => {
            details.push(format!("{name} is ACTIVE"));
            Ok(())
        }
        None => Err(Outcome::Error(format!(
            "table {name} did not become ACTIVE (last: {})",
            last.lock()
        ))),
    }
}

/// Turns PITR on for `name`.
async fn enable_pitr(ddb: &Client, name: &str) -> Step<()> {
    ddb.update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .map_err(|e| Outcome::Error(e.to_string()))?,
        )
        .send()
        .await
        .map_err(fail("UpdateContinuousBackups"))?;
    Ok(())
}

async fn put(ddb: &Client, table: &str, pk: &str, v: &str) -> Step<()> {
    ddb.put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(pk.to_owned()))
        .item("v", AttributeValue::S(v.to_owned()))
        .send()
        .await
        .map_err(fail("PutItem"))?;
    Ok(())
}

/// Every item of `table` as `pk -> v` (bounded to 100 pages).
pub(crate) async fn scan(ddb: &Client, table: &str) -> Step<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut start = None;
    for _ in 0..100 {
        let page = ddb
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(fail("Scan"))?;
        for item in page.items() {
            let pk = item
                .get("pk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let v = item
                .get("v")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            out.insert(pk, v);
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    Ok(out)
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Write, note T, overwrite and delete, restore to T, compare.
pub(crate) async fn restore_to_t(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let ddb = &ctx.clients.dynamodb;
    let source = ctx.name("pitr");
    let restored = ctx.name("pitr-at-t");
    create_table(ctx, ddb, &source, details).await?;
    enable_pitr(ddb, &source).await?;
    put(ddb, &source, "a", "before").await?;
    put(ddb, &source, "b", "before").await?;
    ctx.pass_time().await?;
    let t = ctx.target.now();
    details.push(format!("T = {t}: a=before, b=before"));
    ctx.pass_time().await?;
    put(ddb, &source, "a", "after").await?;
    ddb.delete_item()
        .table_name(&source)
        .key("pk", AttributeValue::S("b".into()))
        .send()
        .await
        .map_err(fail("DeleteItem"))?;
    put(ddb, &source, "c", "after").await?;
    let expected = map(&[("a", "before"), ("b", "before")]);
    let now_state = map(&[("a", "after"), ("c", "after")]);
    details.push("after T: a=after, b deleted, c=after".into());

    // Recovery code waits until T is inside the restorable window.
    let last = Mutex::new(String::new());
    let ready = ctx
        .poll(&ctx.opts.wait, || {
            let last = &last;
            let source = &source;
            async move {
                let d = ddb
                    .describe_continuous_backups()
                    .table_name(source)
                    .send()
                    .await
                    .map_err(fail("DescribeContinuousBackups"))?;
                let pitr = d
                    .continuous_backups_description()
                    .and_then(|c| c.point_in_time_recovery_description());
                let status = pitr
                    .and_then(|p| p.point_in_time_recovery_status())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default();
                let latest = pitr
                    .and_then(|p| p.latest_restorable_date_time())
                    .and_then(|d| smithy_to_chrono(*d));
                *last.lock() = format!("PITR {status}, LatestRestorableDateTime {latest:?}");
                if status != "ENABLED" {
                    return Ok(None);
                }
                Ok(match latest {
                    Some(l) if l >= t => Some(last.lock().clone()),
                    Some(_) => None,
                    // No window reported: nothing to wait for.
                    None => Some(last.lock().clone()),
                })
            }
        })
        .await?;
    // A window that never reaches T is a gap of its own; the restore is
    // still tried, so that the report also says what the target restores.
    let window_gap = match ready {
        Some(seen) => {
            details.push(seen);
            None
        }
        None => {
            let gap = format!("T never entered the restorable window ({})", last.lock());
            details.push(format!("{gap}; restoring to T anyway"));
            Some(gap)
        }
    };
    let out = match ddb
        .restore_table_to_point_in_time()
        .source_table_name(&source)
        .target_table_name(&restored)
        .restore_date_time(chrono_to_smithy(t))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            return match (window_gap, classify("RestoreTableToPointInTime", &e)) {
                (Some(gap), Outcome::Error(why)) => Ok(Outcome::NotHonoured(format!("{gap}; {why}"))),
                (_, other) => Err(other),
            };
        }
    };
    ctx.created(Created::Table {
        region: ctx.clients.region.clone(),
        name: restored.clone(),
    });
    let status = out
        .table_description()
        .and_then(|d| d.table_status())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "(no TableStatus)".into());
    details.push(format!("RestoreTableToPointInTime -> {restored}: {status}"));
    ctx.observe("RestoreTableToPointInTime", status, "CREATING");
    wait_active(ctx, ddb, &restored, details).await?;
    let got = scan(ddb, &restored).await?;
    details.push(format!("restored table holds {got:?}"));
    let restore_gap = if got == expected {
        None
    } else if got == now_state {
        Some("the restore to T returned the table as it is now (a copy), not as it was at T".to_owned())
    } else {
        Some(format!(
            "the restore to T holds {got:?}; at T the table held {expected:?}"
        ))
    };
    let gaps: Vec<String> = window_gap.into_iter().chain(restore_gap).collect();
    Ok(if gaps.is_empty() {
        Outcome::Honoured
    } else {
        Outcome::NotHonoured(gaps.join("; "))
    })
}

/// Deletes a table with PITR on and restores it from its SYSTEM backup.
pub(crate) async fn deleted_table_backup(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let ddb = &ctx.clients.dynamodb;
    let table = ctx.name("deleted");
    let back = ctx.name("deleted-back");
    create_table(ctx, ddb, &table, details).await?;
    enable_pitr(ddb, &table).await?;
    put(ddb, &table, "keep", "me").await?;
    ctx.pass_time().await?;
    ddb.delete_table()
        .table_name(&table)
        .send()
        .await
        .map_err(fail("DeleteTable"))?;
    details.push(format!("DeleteTable {table} (PITR on)"));

    let last = Mutex::new(String::new());
    let backup = ctx
        .poll(&ctx.opts.wait, || {
            let last = &last;
            let table = &table;
            async move {
                let list = ddb
                    .list_backups()
                    .table_name(table)
                    .backup_type(BackupTypeFilter::System)
                    .send()
                    .await
                    .map_err(fail("ListBackups"))?;
                let Some(b) = list.backup_summaries().first() else {
                    *last.lock() = "ListBackups(BackupType=SYSTEM) is empty".into();
                    return Ok(None);
                };
                let status = b.backup_status().cloned();
                *last.lock() = format!(
                    "{} is {}",
                    b.backup_arn().unwrap_or_default(),
                    status.as_ref().map(|s| s.as_str()).unwrap_or("?")
                );
                Ok((status == Some(BackupStatus::Available))
                    .then(|| b.backup_arn().unwrap_or_default().to_owned()))
            }
        })
        .await?;
    let Some(arn) = backup else {
        return Ok(Outcome::NotHonoured(format!(
            "deleting a table with PITR on left no restorable SYSTEM backup ({})",
            last.lock()
        )));
    };
    ctx.created(Created::DynamoBackup {
        region: ctx.clients.region.clone(),
        arn: arn.clone(),
    });
    details.push(format!("SYSTEM backup {arn} is AVAILABLE"));
    let out = ddb
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name(&back)
        .send()
        .await
        .map_err(fail("RestoreTableFromBackup"))?;
    ctx.created(Created::Table {
        region: ctx.clients.region.clone(),
        name: back.clone(),
    });
    let status = out
        .table_description()
        .and_then(|d| d.table_status())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    details.push(format!("RestoreTableFromBackup -> {back}: {status}"));
    ctx.observe("RestoreTableFromBackup", status, "CREATING");
    wait_active(ctx, ddb, &back, details).await?;
    let got = scan(ddb, &back).await?;
    Ok(if got == map(&[("keep", "me")]) {
        Outcome::Honoured
    } else {
        Outcome::NotHonoured(format!(
            "the table restored from the SYSTEM backup holds {got:?}, not {{keep: me}}"
        ))
    })
}

/// A malformed key on an existing table: ValidationException.
pub(crate) async fn malformed_key(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Result<(), String>> {
    let ddb = &ctx.clients.dynamodb;
    let table = ctx.name("errors");
    create_table(ctx, ddb, &table, details).await?;
    let r = ddb
        .get_item()
        .table_name(&table)
        .key("not_the_key", AttributeValue::S("x".into()))
        .send()
        .await;
    Ok(match r {
        Ok(_) => Err("GetItem with a key that does not match the schema succeeded".into()),
        Err(e) if code(&e) == "ValidationException" => {
            details.push(format!("GetItem(malformed key): {}", describe(&e)));
            Ok(())
        }
        Err(e) => Err(format!(
            "GetItem(malformed key) answered {} where AWS answers ValidationException",
            describe(&e)
        )),
    })
}
