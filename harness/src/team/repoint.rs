//! Re-pointing the store where a command said it put the data back, as the
//! application would be re-pointed, but only at resources that are ready.
//!
//! A re-point at a table that is still `CREATING`, an instance that is not
//! `available`, a bucket or region that does not answer is refused with the
//! reason: an application cut over at that moment would be serving errors,
//! which is the classic "did not wait" bug. Nothing is re-pointed unless
//! every key checks out.

use super::contract::Recovered;
use crate::history::Collection;
use crate::model::{DbEndpoint, Store};
use crate::policy::describe_db;
use crate::recovery::RecoveryContext;
use crate::target::Clients;
use anyhow::{Context, anyhow, bail};

/// Applies `recovered` to the store; returns `key -> value` lines of what moved.
pub async fn apply(ctx: &mut RecoveryContext<'_>, recovered: &Recovered) -> anyhow::Result<Vec<String>> {
    if recovered.is_empty() {
        return Ok(Vec::new());
    }
    let mut store: Store = ctx.store.clone();
    let mut moved = Vec::new();
    if let Some(region) = recovered.get("region") {
        store.region = region.to_owned();
    }
    let clients = Clients::new(ctx.target, &store.region);

    for (key, collection) in [
        ("carts_table", Collection::Carts),
        ("sessions_table", Collection::Sessions),
    ] {
        if let Some(table) = recovered.get(key) {
            table_ready(&clients.dynamodb, table, &store.region)
                .await
                .with_context(|| format!("{key} re-pointed at {table}"))?;
            match collection {
                Collection::Carts => store.names.carts_table = table.to_owned(),
                _ => store.names.sessions_table = table.to_owned(),
            }
        }
    }
    for (key, collection) in [
        ("images_bucket", Collection::Images),
        ("invoices_bucket", Collection::Invoices),
        ("templates_bucket", Collection::Templates),
    ] {
        if let Some(bucket) = recovered.get(key) {
            let versioned = bucket_versioned(&clients.s3, bucket)
                .await
                .with_context(|| format!("{key} re-pointed at {bucket}"))?;
            match collection {
                Collection::Images => store.names.images_bucket = bucket.to_owned(),
                Collection::Invoices => store.names.invoices_bucket = bucket.to_owned(),
                _ => store.names.templates_bucket = bucket.to_owned(),
            }
            if versioned {
                store.versioned.insert(collection);
            } else {
                store.versioned.remove(&collection);
            }
        }
    }
    for key in ["db_name", "db_user", "db_password", "backup_vault", "backup_plan"] {
        if let Some(v) = recovered.get(key) {
            let slot = match key {
                "db_name" => &mut store.names.db_name,
                "db_user" => &mut store.names.db_user,
                "db_password" => &mut store.names.db_password,
                "backup_vault" => &mut store.names.backup_vault,
                _ => &mut store.names.backup_plan,
            };
            *slot = v.to_owned();
        }
    }
    let db_moved = [
        "db_instance",
        "db_host",
        "db_port",
        "db_name",
        "db_user",
        "db_password",
    ]
    .iter()
    .any(|k| recovered.get(k).is_some())
        || recovered.get("region").is_some();
    if let Some(id) = recovered.get("db_instance") {
        let info = describe_db(&clients.rds, id).await?.ok_or_else(|| {
            anyhow!(
                "db_instance re-pointed at {id}, which does not exist in {}",
                store.region
            )
        })?;
        if info.status != "available" {
            bail!(
                "db_instance re-pointed at {id} while its status is {:?}, not \"available\": the application would fail to connect; wait for it to be available (aws rds wait db-instance-available) before re-pointing",
                info.status
            );
        }
        store.names.db_instance = id.to_owned();
        store.db = info.endpoint;
    }
    if let Some(host) = recovered.get("db_host") {
        store.db = DbEndpoint {
            address: host.to_owned(),
            port: store.db.port,
        };
    }
    if let Some(port) = recovered.get("db_port") {
        store.db.port = port.parse().context("db_port")?;
    }
    if let Some(group) = recovered.get("cache_replication_group") {
        let info = crate::store::elasticache::describe_group(&clients.elasticache, group)
            .await?
            .ok_or_else(|| {
                anyhow!(
                    "cache_replication_group re-pointed at {group}, which does not exist in {}",
                    store.region
                )
            })?;
        let endpoint = match (info.status.as_str(), info.primary) {
            ("available", Some(e)) => e,
            (status, _) => bail!(
                "cache_replication_group re-pointed at {group} while its status is {status:?}, not \"available\": the application would fail to connect; wait for it (aws elasticache wait replication-group-available) before re-pointing"
            ),
        };
        let cache = store.names.cache.as_mut().ok_or_else(|| {
            anyhow!("cache_replication_group re-pointed, but the store keeps nothing in ElastiCache")
        })?;
        cache.replication_group = group.to_owned();
        store.cache = Some(endpoint);
        crate::store::elasticache::records(ctx.target, &store)
            .await
            .with_context(|| format!("the re-pointed replication group {group} does not answer"))?;
    }
    if db_moved {
        let mut db = store
            .orders_db(ctx.target)
            .await
            .context("the re-pointed orders database does not accept connections")?;
        db.ping()
            .await
            .context("the re-pointed orders database does not answer queries")?;
    }
    for (key, value) in &recovered.keys {
        if key == "db_password" {
            moved.push(format!("{key} -> (changed)"));
        } else {
            moved.push(format!("{key} -> {value}"));
        }
    }
    *ctx.store = store;
    Ok(moved)
}

async fn table_ready(ddb: &aws_sdk_dynamodb::Client, table: &str, region: &str) -> anyhow::Result<()> {
    let resp = ddb.describe_table().table_name(table).send().await.map_err(|e| {
        let e = e.into_service_error();
        if e.is_resource_not_found_exception() {
            anyhow!("table {table} does not exist in {region}")
        } else {
            anyhow::Error::new(e).context(format!("DescribeTable {table}"))
        }
    })?;
    let status = resp.table.and_then(|t| t.table_status);
    match status {
        Some(aws_sdk_dynamodb::types::TableStatus::Active) => Ok(()),
        other => bail!(
            "its status is {}, not ACTIVE: the application would fail on it; wait for ACTIVE (aws dynamodb wait table-exists) before re-pointing",
            other.as_ref().map_or("unknown", |s| s.as_str())
        ),
    }
}

async fn bucket_versioned(s3: &aws_sdk_s3::Client, bucket: &str) -> anyhow::Result<bool> {
    s3.head_bucket().bucket(bucket).send().await.map_err(|e| {
        anyhow!(
            "bucket {bucket} does not answer HeadBucket: {}",
            e.into_service_error()
        )
    })?;
    let v = s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("GetBucketVersioning {bucket}"))?;
    Ok(v.status == Some(aws_sdk_s3::types::BucketVersioningStatus::Enabled))
}
