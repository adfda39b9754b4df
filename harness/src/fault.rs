//! The nemesis: the disasters that actually happen, applied through the same
//! SDKs and SQL a person or a bad deploy would use.
//!
//! Each [`Fault`] first reads what it is about to destroy (without harm),
//! then records the instant it struck (the last instant before its first
//! destructive write) as a [`EventKind::FaultStruck`] event, then writes, and
//! every destructive write lands in the history as a nemesis operation with
//! the values it left behind (deletes, zeroed totals, garbage bodies). The
//! checker uses those to tell a lost write from a corruption that survived.
//! Config drift is recorded as a configuration event instead: it destroys
//! nothing by itself, it only makes the next recovery fail.
//!
//! [`Fault::BackupJobFailures`] is drift of the same kind that strikes days
//! before the data loss: from the instant it strikes AWS Backup's jobs fail,
//! and nothing but an alarm says so. It may come with its heal: with
//! `fix = "on_alarm"` the team repairs the cause once the backup alarm has
//! fired ([`heal`], called by the drill when it sees the alarm).

use crate::history::{Collection, EventKind, History, Key, OpKind, Outcome, Process, Value, Write};
use crate::model::{Store, canonical_attribute, list_keys, scan_table};
use crate::policy::set_table_pitr;
use crate::store::orders::OrdersDb;
use crate::target::Target;
use anyhow::{Context, anyhow, bail};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod stolen_keys;
pub use stolen_keys::ORGANIZATION_ROLE;

/// A configuration change that silently weakens the backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum Drift {
    /// `UpdateContinuousBackups` with PITR off on both DynamoDB tables.
    DynamodbPitrOff,
    /// `ModifyDBInstance BackupRetentionPeriod` cut to `days` (0 turns PITR off).
    RdsRetention {
        /// The new retention.
        days: u32,
    },
    /// `PutBucketVersioning Suspended` on every bucket.
    S3VersioningSuspended,
}

/// What makes AWS Backup's jobs fail (`backup_job_failures`' `cause`).
///
/// Only causes the emulator makes real: it has no IAM, so a deleted or
/// unusable service role cannot fail a job there, and a selection emptied
/// by a wrong tag makes no job at all (nothing fails, so
/// `NumberOfBackupJobsFailed` stays at zero: that drift needs an alarm on
/// `NumberOfBackupJobsCompleted` instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BackupFailureCause {
    /// A compliance change puts a Vault Lock (governance mode) on the plan's
    /// vault whose `MinRetentionDays` is longer than some rules keep their
    /// recovery points: every job of those rules fails with AWS's message
    /// (the hourly rule's 2-day points under a 7-day minimum).
    #[default]
    VaultLockRetention,
}

/// When a [`Fault::BackupJobFailures`] is repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fix {
    /// Never: the failures go on until the incident.
    #[default]
    Never,
    /// When the backup alarm fires: the team reads the alarm and fixes the
    /// cause (raises the failing rules' retention to the lock's minimum).
    OnAlarm,
}

impl Fix {
    fn is_never(&self) -> bool {
        *self == Fix::Never
    }
}

/// A disaster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The junior developer's one command: `BatchWriteItem` deletes of every cart.
    BatchDeleteCarts,
    /// A bad deploy: totals zeroed and statuses scrambled on orders placed in
    /// the last `window_minutes` (every order when absent), by SQL.
    CorruptOrders {
        /// How far back the bad deploy reaches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window_minutes: Option<u32>,
    },
    /// A cleanup job's DELETE gone wrong: the orders placed in the last
    /// `window_minutes` (every order when absent) deleted with their lines
    /// and payments, by SQL.
    DeleteOrders {
        /// How far back the DELETE reaches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window_minutes: Option<u32>,
    },
    /// `DeleteTable` (carts, sessions) or `DROP TABLE ... CASCADE` (orders, ...).
    DropTable {
        /// Which collection's table.
        table: Collection,
    },
    /// `DeleteObjects` of every key of a bucket.
    MassDeleteBucket {
        /// Which bucket.
        bucket: Collection,
    },
    /// Every object of a bucket overwritten with encrypted-looking garbage.
    Ransomware {
        /// Which bucket.
        bucket: Collection,
    },
    /// A whole region goes dark (the primary when absent).
    RegionOutage {
        /// The region.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    /// A bad deploy runs `FLUSHALL` on the ElastiCache session store: every
    /// session (and cart) kept there is gone.
    FlushSessions,
    /// Backups weakened by a configuration change.
    ConfigDrift {
        /// The change.
        drift: Drift,
    },
    /// An attacker's `DisableKey` of a KMS key (`key`: key id, key ARN,
    /// alias name or alias ARN; the backup vault's customer managed key
    /// when absent). It destroys nothing by itself: every backup into,
    /// restore from and copy of that vault fails while it lasts.
    DisableKmsKey {
        /// The key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// An attacker's `ScheduleKeyDeletion` of a KMS key (the backup vault's
    /// customer managed key when absent) with a `pending_days` window
    /// (7-30, default 7): the key is unusable at once, and its recovery
    /// points are gone for good once the window ends.
    ScheduleKeyDeletion {
        /// The key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// The waiting period.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pending_days: Option<u32>,
    },
    /// Ransomware with the production account's admin keys: every
    /// recovery point of the store's vault (in every region), the orders
    /// database with its snapshots and automated backups, the tables with
    /// their backups and every object version deleted, the vault keys
    /// disabled; then the attacker tries the backup account (see
    /// [`stolen_keys`](self) for the whole playbook).
    StolenAdminKeys {
        /// Whether the attacker also assumes a role in the backup account
        /// (`OrganizationAccountAccessRole`) and tries to remove its Vault
        /// Lock, delete its recovery points and schedule its key's deletion.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reach_backup_account: bool,
    },
    /// Drift that makes AWS Backup's jobs fail from the instant it strikes.
    BackupJobFailures {
        /// Why they fail.
        #[serde(default)]
        cause: BackupFailureCause,
        /// `vault_lock_retention`: the lock's minimum retention (default 7).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_retention_days: Option<u32>,
        /// When the team repairs it (`never` by default, or `on_alarm`).
        #[serde(default, skip_serializing_if = "Fix::is_never")]
        fix: Fix,
    },
}

/// The default minimum retention of `vault_lock_retention`.
pub const DEFAULT_LOCK_MIN_RETENTION_DAYS: u32 = 7;

impl Fault {
    /// A short name for reports.
    pub fn name(&self) -> String {
        match self {
            Fault::BatchDeleteCarts => "batch_delete_carts".into(),
            Fault::CorruptOrders { .. } => "corrupt_orders".into(),
            Fault::DeleteOrders { .. } => "delete_orders".into(),
            Fault::DropTable { table } => format!("drop_table({table})"),
            Fault::MassDeleteBucket { bucket } => format!("mass_delete({bucket})"),
            Fault::Ransomware { bucket } => format!("ransomware({bucket})"),
            Fault::RegionOutage { region } => {
                format!("region_outage({})", region.as_deref().unwrap_or("primary"))
            }
            Fault::FlushSessions => "flush_sessions".into(),
            Fault::ConfigDrift { drift } => format!("config_drift({drift:?})"),
            Fault::DisableKmsKey { key } => {
                format!("disable_kms_key({})", key.as_deref().unwrap_or("vault key"))
            }
            Fault::ScheduleKeyDeletion { key, .. } => {
                format!("schedule_key_deletion({})", key.as_deref().unwrap_or("vault key"))
            }
            Fault::StolenAdminKeys { reach_backup_account } => {
                if *reach_backup_account {
                    "stolen_admin_keys(production and backup account)".into()
                } else {
                    "stolen_admin_keys(production account)".into()
                }
            }
            Fault::BackupJobFailures { cause, .. } => match cause {
                BackupFailureCause::VaultLockRetention => "backup_job_failures(vault_lock_retention)".into(),
            },
        }
    }

    /// Whether it destroys or hides data (config drift, failing backup
    /// jobs and a KMS key's disabling or scheduled deletion do not: they
    /// make the backups unusable, which only the recovery finds out).
    pub fn destructive(&self) -> bool {
        !matches!(
            self,
            Fault::ConfigDrift { .. }
                | Fault::BackupJobFailures { .. }
                | Fault::DisableKmsKey { .. }
                | Fault::ScheduleKeyDeletion { .. }
        )
    }

    /// Whether the drill repairs it once the backup alarm fires.
    pub fn fixed_on_alarm(&self) -> bool {
        matches!(
            self,
            Fault::BackupJobFailures {
                fix: Fix::OnAlarm,
                ..
            }
        )
    }

    /// Checks the fault's parameters; the message names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        match self {
            Fault::MassDeleteBucket { bucket } | Fault::Ransomware { bucket }
                if bucket.layer() != crate::history::Layer::S3 =>
            {
                bail!("bucket must be one of images, invoices, templates; got {bucket}")
            }
            Fault::DropTable { table } if table.layer() == crate::history::Layer::S3 => {
                bail!("table must be a DynamoDB or PostgreSQL table; got the bucket {table}")
            }
            Fault::ConfigDrift {
                drift: Drift::RdsRetention { days },
            } if *days > 35 => bail!("drift.days must be 0-35, got {days}"),
            Fault::ScheduleKeyDeletion {
                pending_days: Some(d),
                ..
            } if !(7..=30).contains(d) => bail!("pending_days must be 7-30, got {d}"),
            Fault::BackupJobFailures {
                min_retention_days: Some(d),
                ..
            } if !(1..=36_500).contains(d) => {
                bail!("min_retention_days must be 1-36500, got {d}")
            }
            _ => Ok(()),
        }
    }
}

/// What a fault did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// The fault's name.
    pub fault: String,
    /// The last instant before its first destructive write (target clock).
    pub struck_at: DateTime<Utc>,
    /// Records it deleted or overwrote.
    pub records: u64,
    /// What it did, in a sentence.
    pub detail: String,
    /// Whether it destroyed or hid data.
    pub destructive: bool,
    /// When the team repaired it, if it did (a `fix = "on_alarm"` fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_at: Option<DateTime<Utc>>,
    /// What the repair did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_detail: Option<String>,
}

/// Strikes: applies `fault` to the store and records it in `history`.
/// `seed` drives the garbage of a ransomware overwrite.
pub async fn strike(
    target: &dyn Target,
    store: &Store,
    fault: &Fault,
    history: &mut History,
    seed: u64,
) -> anyhow::Result<FaultRecord> {
    fault.validate()?;
    let clients = store.clients(target);
    let name = fault.name();
    let mut nemesis = Nemesis {
        target,
        history,
        struck: None,
        name: name.clone(),
    };
    let (records, detail) = match fault {
        Fault::BatchDeleteCarts => {
            let table = &store.names.carts_table;
            let items = scan_table(&clients.dynamodb, table)
                .await?
                .ok_or_else(|| anyhow!("table {table} does not exist"))?;
            let ids: Vec<String> = items
                .iter()
                .filter_map(|i| i.get("cart_id").map(canonical_attribute))
                .collect();
            nemesis.strike_now(format!(
                "BatchWriteItem deletes of {} carts in {table}",
                ids.len()
            ));
            for chunk in ids.chunks(25) {
                let writes = chunk
                    .iter()
                    .map(|id| Write::delete(Key::new(Collection::Carts, id)))
                    .collect();
                let requests: Vec<WriteRequest> = chunk
                    .iter()
                    .map(|id| {
                        let key = HashMap::from([("cart_id".to_owned(), AttributeValue::S(id.clone()))]);
                        DeleteRequest::builder()
                            .set_key(Some(key))
                            .build()
                            .map(|d| WriteRequest::builder().delete_request(d).build())
                    })
                    .collect::<Result<_, _>>()?;
                let ddb = clients.dynamodb.clone();
                let table = table.clone();
                nemesis
                    .write(writes, async move {
                        let mut pending = HashMap::from([(table.clone(), requests)]);
                        for _ in 0..20 {
                            let resp = ddb
                                .batch_write_item()
                                .set_request_items(Some(pending.clone()))
                                .send()
                                .await
                                .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                            match resp.unprocessed_items {
                                Some(u) if !u.is_empty() => pending = u,
                                _ => return Ok(()),
                            }
                        }
                        Err(anyhow!("BatchWriteItem kept returning unprocessed items"))
                    })
                    .await?;
            }
            (
                ids.len() as u64,
                format!(
                    "deleted every cart ({}) of {table} with BatchWriteItem",
                    ids.len()
                ),
            )
        }
        Fault::CorruptOrders { window_minutes } => {
            let mut db = store.orders_db(target).await?;
            let since = window_minutes
                .map(|m| target.now() - Duration::minutes(m as i64))
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            let count = db.count_orders_since(since).await?;
            nemesis.strike_now(format!(
                "UPDATE of {count} orders: totals zeroed, statuses scrambled"
            ));
            let invoke = target.now();
            let result = corrupt_orders(&mut db, since).await;
            let (writes, outcome, error) = match result {
                Ok(rows) => (
                    rows.into_iter().map(|(k, v)| Write::put(k, v)).collect(),
                    Outcome::Ok,
                    None,
                ),
                Err(e) => (Vec::new(), Outcome::Info, Some(format!("{e:#}"))),
            };
            let n = writes.len() as u64;
            let p = nemesis
                .history
                .invoke(Process::Nemesis, OpKind::Fault, writes, invoke);
            nemesis.history.complete(p, target.now(), outcome, error.clone());
            if let Some(e) = error {
                bail!("the corrupting UPDATE failed: {e}");
            }
            (n, format!("zeroed totals and scrambled statuses of {n} orders"))
        }
        Fault::DeleteOrders { window_minutes } => {
            let mut db = store.orders_db(target).await?;
            let since = window_minutes
                .map(|m| target.now() - Duration::minutes(m as i64))
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            let keys = db.order_keys_since(since).await?;
            let orders = keys.iter().filter(|k| k.collection == Collection::Orders).count();
            let n = keys.len() as u64;
            nemesis.strike_now(format!(
                "DELETE of {orders} orders with their lines and payments ({n} rows)"
            ));
            let writes = keys.into_iter().map(Write::delete).collect();
            nemesis
                .write(writes, async move { db.delete_orders_since(since).await })
                .await?;
            (
                n,
                format!("deleted {orders} orders with their lines and payments ({n} rows)"),
            )
        }
        Fault::DropTable { table } => match table.layer() {
            crate::history::Layer::Dynamodb => {
                let name = store.names.table(*table).unwrap_or_default().to_owned();
                let id_attr = if *table == Collection::Carts {
                    "cart_id"
                } else {
                    "session_id"
                };
                let items = scan_table(&clients.dynamodb, &name)
                    .await?
                    .ok_or_else(|| anyhow!("table {name} does not exist"))?;
                let writes: Vec<Write> = items
                    .iter()
                    .filter_map(|i| i.get(id_attr).map(canonical_attribute))
                    .map(|id| Write::delete(Key::new(*table, id)))
                    .collect();
                let n = writes.len() as u64;
                nemesis.strike_now(format!("DeleteTable {name} ({n} items)"));
                let ddb = clients.dynamodb.clone();
                let name2 = name.clone();
                nemesis
                    .write(writes, async move {
                        ddb.delete_table()
                            .table_name(name2)
                            .send()
                            .await
                            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                        Ok(())
                    })
                    .await?;
                (n, format!("deleted table {name} with {n} items"))
            }
            _ => {
                let mut db = store.orders_db(target).await?;
                let snap_rows = db.read_ids(*table).await?;
                let n = snap_rows.len() as u64;
                let statement = match &db {
                    OrdersDb::Postgres(_) => format!("DROP TABLE {table} CASCADE"),
                    OrdersDb::Mysql(_) => format!("DROP TABLE {table} (foreign_key_checks off)"),
                };
                nemesis.strike_now(format!("{statement} ({n} rows)"));
                let writes = snap_rows
                    .into_iter()
                    .map(|id| Write::delete(Key::new(*table, id)))
                    .collect();
                let table = *table;
                nemesis
                    .write(writes, async move {
                        match &mut db {
                            OrdersDb::Postgres(db) => {
                                db.batch_execute(&format!("DROP TABLE {} CASCADE", table.name()))
                                    .await?
                            }
                            OrdersDb::Mysql(db) => crate::store::mysql::drop_table(db, table).await?,
                        }
                        Ok(())
                    })
                    .await?;
                (n, format!("dropped table {table} with {n} rows"))
            }
        },
        Fault::MassDeleteBucket { bucket } => {
            let name = store.names.bucket(*bucket).unwrap_or_default().to_owned();
            let keys = list_keys(&clients.s3, &name)
                .await?
                .ok_or_else(|| anyhow!("bucket {name} does not exist"))?;
            nemesis.strike_now(format!("DeleteObjects of {} keys in {name}", keys.len()));
            for chunk in keys.chunks(1000) {
                let writes = chunk
                    .iter()
                    .map(|k| Write::delete(Key::new(*bucket, k)))
                    .collect();
                let s3 = clients.s3.clone();
                let name = name.clone();
                let chunk = chunk.to_vec();
                nemesis
                    .write(writes, async move {
                        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
                        let objects = chunk
                            .iter()
                            .map(|k| ObjectIdentifier::builder().key(k).build())
                            .collect::<Result<Vec<_>, _>>()?;
                        let resp = s3
                            .delete_objects()
                            .bucket(&name)
                            .delete(Delete::builder().set_objects(Some(objects)).quiet(true).build()?)
                            .send()
                            .await
                            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                        if let Some(errors) = resp.errors.filter(|e| !e.is_empty()) {
                            bail!("DeleteObjects left {} keys: {:?}", errors.len(), errors.first());
                        }
                        Ok(())
                    })
                    .await?;
            }
            (
                keys.len() as u64,
                format!("deleted all {} objects of {name}", keys.len()),
            )
        }
        Fault::Ransomware { bucket } => {
            let name = store.names.bucket(*bucket).unwrap_or_default().to_owned();
            let keys = list_keys(&clients.s3, &name)
                .await?
                .ok_or_else(|| anyhow!("bucket {name} does not exist"))?;
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x05EE_DBAD);
            nemesis.strike_now(format!("overwrite of {} objects in {name}", keys.len()));
            for key in &keys {
                let mut body = b"ENCRYPTED-BY-FIREDRILL-RANSOMWARE\n".to_vec();
                body.extend((0..rng.gen_range(128..512)).map(|_| rng.r#gen::<u8>()));
                let writes = vec![Write::put(Key::new(*bucket, key), Value::object(&body))];
                let s3 = clients.s3.clone();
                let name = name.clone();
                let key = key.clone();
                nemesis
                    .write(writes, async move {
                        s3.put_object()
                            .bucket(name)
                            .key(key)
                            .body(body.into())
                            .send()
                            .await
                            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                        Ok(())
                    })
                    .await?;
            }
            (
                keys.len() as u64,
                format!("overwrote all {} objects of {name} with garbage", keys.len()),
            )
        }
        Fault::FlushSessions => {
            let keys = crate::store::elasticache::records(target, store).await?;
            let group = store
                .names
                .cache
                .as_ref()
                .map(|c| c.replication_group.clone())
                .unwrap_or_default();
            nemesis.strike_now(format!("FLUSHALL on {group} ({} keys)", keys.len()));
            let n = keys.len() as u64;
            let writes = keys.into_iter().map(Write::delete).collect();
            nemesis
                .write(writes, async {
                    crate::store::elasticache::flush_all(target, store)
                        .await
                        .map_err(anyhow::Error::new)
                })
                .await?;
            (
                n,
                format!("FLUSHALL emptied {group}: {n} sessions and carts gone"),
            )
        }
        Fault::RegionOutage { region } => {
            let region = region.clone().unwrap_or_else(|| store.region.clone());
            if !target.capabilities().regions {
                bail!("target {} cannot take a region down", target.name());
            }
            nemesis.strike_now(format!("{region} goes dark"));
            target.set_region_outage(&region, true).await?;
            (0, format!("region {region} is down"))
        }
        Fault::ConfigDrift { drift } => {
            let detail = match drift {
                Drift::DynamodbPitrOff => {
                    for (_, table) in store.names.dynamodb_tables() {
                        set_table_pitr(&clients.dynamodb, table, false, None).await?;
                    }
                    "PITR switched off on the carts and sessions tables".to_owned()
                }
                Drift::RdsRetention { days } => {
                    clients
                        .rds
                        .modify_db_instance()
                        .db_instance_identifier(&store.names.db_instance)
                        .backup_retention_period(*days as i32)
                        .apply_immediately(true)
                        .send()
                        .await
                        .map_err(|e| anyhow::Error::new(e.into_service_error()))
                        .context("ModifyDBInstance")?;
                    format!("RDS backup retention cut to {days} days")
                }
                Drift::S3VersioningSuspended => {
                    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
                    for (_, bucket) in store.names.buckets() {
                        clients
                            .s3
                            .put_bucket_versioning()
                            .bucket(bucket)
                            .versioning_configuration(
                                VersioningConfiguration::builder()
                                    .status(BucketVersioningStatus::Suspended)
                                    .build(),
                            )
                            .send()
                            .await
                            .map_err(|e| anyhow::Error::new(e.into_service_error()))?;
                    }
                    "versioning suspended on every bucket".to_owned()
                }
            };
            nemesis.history.event(
                target.now(),
                EventKind::Config {
                    detail: format!("config drift: {detail}"),
                },
            );
            (0, detail)
        }
        Fault::DisableKmsKey { key } => {
            let key = key_or_vault_key(&clients, store, key.as_deref()).await?;
            clients
                .kms
                .disable_key()
                .key_id(&key)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("DisableKey {key}"))?;
            let detail = format!("KMS key {key} disabled");
            nemesis.history.event(
                target.now(),
                EventKind::Config {
                    detail: format!("attacker: {detail}"),
                },
            );
            (0, detail)
        }
        Fault::ScheduleKeyDeletion { key, pending_days } => {
            let key = key_or_vault_key(&clients, store, key.as_deref()).await?;
            let days = pending_days.unwrap_or(7);
            let r = clients
                .kms
                .schedule_key_deletion()
                .key_id(&key)
                .pending_window_in_days(days as i32)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .with_context(|| format!("ScheduleKeyDeletion {key}"))?;
            let detail = format!(
                "KMS key {} scheduled for deletion in {days} days",
                r.key_id().unwrap_or(&key)
            );
            nemesis.history.event(
                target.now(),
                EventKind::Config {
                    detail: format!("attacker: {detail}"),
                },
            );
            (0, detail)
        }
        Fault::StolenAdminKeys { reach_backup_account } => {
            stolen_keys::strike(target, store, &mut nemesis, *reach_backup_account).await?
        }
        Fault::BackupJobFailures {
            cause: BackupFailureCause::VaultLockRetention,
            min_retention_days,
            ..
        } => {
            let min = min_retention_days.unwrap_or(DEFAULT_LOCK_MIN_RETENTION_DAYS);
            let detail = lock_vault(&clients.backup, store, min).await?;
            nemesis.history.event(
                target.now(),
                EventKind::Config {
                    detail: format!("backup drift: {detail}"),
                },
            );
            (0, detail)
        }
    };
    let struck_at = nemesis.struck.unwrap_or_else(|| target.now());
    tracing::info!(fault = %name, %struck_at, records, "fault struck");
    Ok(FaultRecord {
        fault: name,
        struck_at,
        records,
        detail,
        destructive: fault.destructive(),
        fixed_at: None,
        fix_detail: None,
    })
}

/// The ARN of the key a KMS fault acts on (`DescribeKey`, since key
/// management takes no alias): the one named, else the customer managed
/// key of the store's backup vault (`DescribeBackupVault`).
async fn key_or_vault_key(
    clients: &crate::target::Clients,
    store: &Store,
    key: Option<&str>,
) -> anyhow::Result<String> {
    let key = match key {
        Some(k) => k.to_owned(),
        None => vault_key(clients, store).await?,
    };
    let d = clients
        .kms
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("DescribeKey {key}"))?;
    d.key_metadata()
        .and_then(|m| m.arn())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("DescribeKey {key} returned no ARN"))
}

/// The customer managed key of the store's backup vault.
async fn vault_key(clients: &crate::target::Clients, store: &Store) -> anyhow::Result<String> {
    let vault = &store.names.backup_vault;
    let d = clients
        .backup
        .describe_backup_vault()
        .backup_vault_name(vault)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("DescribeBackupVault {vault}: the fault needs its key"))?;
    let customer = d
        .encryption_key_type()
        .is_some_and(|t| t.as_str() == "CUSTOMER_MANAGED_KMS_KEY");
    match d.encryption_key_arn() {
        Some(arn) if customer => Ok(arn.to_owned()),
        _ => bail!(
            "backup vault {vault} is encrypted with an AWS managed key: name the key to act on (`key = \"alias/...\"`)"
        ),
    }
}

/// The store's AWS Backup plan as its id and rules, when it has one.
async fn store_plan(
    backup: &aws_sdk_backup::Client,
    store: &Store,
) -> anyhow::Result<Option<(String, Vec<aws_sdk_backup::types::BackupRule>)>> {
    let plans: Vec<_> = backup
        .list_backup_plans()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .context("ListBackupPlans")?;
    let Some(id) = plans
        .into_iter()
        .find(|p| p.backup_plan_name.as_deref() == Some(store.names.backup_plan.as_str()))
        .and_then(|p| p.backup_plan_id)
    else {
        return Ok(None);
    };
    let plan = backup
        .get_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("GetBackupPlan {id}"))?
        .backup_plan
        .ok_or_else(|| anyhow!("GetBackupPlan {id} returned no plan"))?;
    Ok(Some((id, plan.rules)))
}

/// The rules whose recovery points a lock with `min` days refuses.
fn rules_below(rules: &[aws_sdk_backup::types::BackupRule], min: u32) -> Vec<(String, i64)> {
    rules
        .iter()
        .filter_map(|r| {
            let days = r.lifecycle().and_then(|l| l.delete_after_days())?;
            (days < i64::from(min)).then(|| (r.rule_name().to_owned(), days))
        })
        .collect()
}

fn rule_list(rules: &[(String, i64)]) -> String {
    rules
        .iter()
        .map(|(n, d)| format!("{n} ({d} days)"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `PutBackupVaultLockConfiguration` on the plan's vault, governance mode.
async fn lock_vault(backup: &aws_sdk_backup::Client, store: &Store, min: u32) -> anyhow::Result<String> {
    let vault = &store.names.backup_vault;
    let (_, rules) = store_plan(backup, store)
        .await?
        .ok_or_else(|| anyhow!("backup_job_failures needs an AWS Backup plan; the store has none"))?;
    backup
        .put_backup_vault_lock_configuration()
        .backup_vault_name(vault)
        .min_retention_days(i64::from(min))
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("PutBackupVaultLockConfiguration {vault}"))?;
    let failing = rules_below(&rules, min);
    Ok(if failing.is_empty() {
        format!("Vault Lock put on {vault} (MinRetentionDays {min}); every rule keeps its points that long")
    } else {
        format!(
            "Vault Lock put on {vault} (governance mode, MinRetentionDays {min}): every backup job of {} fails from now on",
            rule_list(&failing)
        )
    })
}

/// Repairs a fault that has a fix (`backup_job_failures`): for
/// `vault_lock_retention`, `UpdateBackupPlan` raising every rule kept
/// shorter than the lock's minimum to that minimum, copies included.
/// Records the repair as a configuration event and returns what it did.
pub async fn heal(
    target: &dyn Target,
    store: &Store,
    fault: &Fault,
    history: &mut History,
) -> anyhow::Result<String> {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, CopyAction, Lifecycle};
    let Fault::BackupJobFailures {
        cause: BackupFailureCause::VaultLockRetention,
        min_retention_days,
        ..
    } = fault
    else {
        bail!("{} has no fix", fault.name());
    };
    let min_days = min_retention_days.unwrap_or(DEFAULT_LOCK_MIN_RETENTION_DAYS);
    let min = i64::from(min_days);
    let backup = store.clients(target).backup;
    let (id, rules) = store_plan(&backup, store)
        .await?
        .ok_or_else(|| anyhow!("the store's backup plan is gone"))?;
    let raise = |l: Option<&Lifecycle>| {
        let days = l.and_then(|l| l.delete_after_days());
        Lifecycle::builder()
            .set_delete_after_days(days.map(|d| d.max(min)))
            .set_move_to_cold_storage_after_days(l.and_then(|l| l.move_to_cold_storage_after_days()))
            .build()
    };
    let failing = rules_below(&rules, min_days);
    let mut input = BackupPlanInput::builder().backup_plan_name(&store.names.backup_plan);
    for r in &rules {
        let copies = r
            .copy_actions()
            .iter()
            .map(|c| {
                CopyAction::builder()
                    .destination_backup_vault_arn(c.destination_backup_vault_arn())
                    .lifecycle(raise(c.lifecycle()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rule = BackupRuleInput::builder()
            .rule_name(r.rule_name())
            .target_backup_vault_name(r.target_backup_vault_name())
            .set_schedule_expression(r.schedule_expression().map(str::to_owned))
            .set_start_window_minutes(r.start_window_minutes())
            .set_completion_window_minutes(r.completion_window_minutes())
            .lifecycle(raise(r.lifecycle()))
            .set_recovery_point_tags(r.recovery_point_tags().cloned())
            .set_copy_actions((!copies.is_empty()).then_some(copies))
            .set_enable_continuous_backup(r.enable_continuous_backup())
            .build()?;
        input = input.rules(rule);
    }
    backup
        .update_backup_plan()
        .backup_plan_id(&id)
        .backup_plan(input.build()?)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.into_service_error()))
        .with_context(|| format!("UpdateBackupPlan {id}"))?;
    let detail = format!(
        "UpdateBackupPlan {}: {} now kept {min} days, the Vault Lock's minimum",
        store.names.backup_plan,
        rule_list(&failing)
    );
    history.event(
        target.now(),
        EventKind::Config {
            detail: format!("backup fix: {detail}"),
        },
    );
    tracing::info!(fault = %fault.name(), %detail, "fault fixed");
    Ok(detail)
}

/// The bad deploy's UPDATE on either engine: the corrupted rows as written.
async fn corrupt_orders(db: &mut OrdersDb, since: DateTime<Utc>) -> anyhow::Result<Vec<(Key, Value)>> {
    let db = match db {
        OrdersDb::Mysql(db) => return crate::store::mysql::corrupt_orders(db, since).await,
        OrdersDb::Postgres(db) => db,
    };
    let rows = db
        .query(
            "UPDATE orders SET total_cents = 0, \
             status = (ARRAY['refunded','cancelled','pending','on_hold'])[1 + abs(hashtext(order_id)) % 4] \
             WHERE placed_at >= $1 \
             RETURNING order_id, customer_id, cart_id, session_id, status, total_cents, placed_at",
            &[&since],
        )
        .await?;
    rows.iter().map(crate::model::order_record).collect()
}

/// Reads the ids of a PostgreSQL table.
pub(crate) async fn read_ids(db: &tokio_postgres::Client, table: Collection) -> anyhow::Result<Vec<String>> {
    let sql = match table {
        Collection::Orders => "SELECT order_id FROM orders",
        Collection::OrderItems => "SELECT order_id || '#' || line FROM order_items",
        Collection::Inventory => "SELECT product_id FROM inventory",
        Collection::Payments => "SELECT payment_id FROM payments",
        other => bail!("{other} is not a PostgreSQL table"),
    };
    let rows = db
        .query(sql, &[])
        .await
        .with_context(|| format!("reading {table}"))?;
    rows.iter().map(|r| r.try_get(0).map_err(Into::into)).collect()
}

/// Records the strike and every destructive write.
struct Nemesis<'h, 't> {
    target: &'t dyn Target,
    history: &'h mut History,
    struck: Option<DateTime<Utc>>,
    name: String,
}

impl Nemesis<'_, '_> {
    fn strike_now(&mut self, detail: String) {
        if self.struck.is_none() {
            let at = self.target.now();
            self.struck = Some(at);
            self.history.event(
                at,
                EventKind::FaultStruck {
                    fault: self.name.clone(),
                    detail,
                },
            );
        }
    }

    /// Performs one destructive write and records it: ok, or indeterminate
    /// when it failed (part of a batch may have landed).
    async fn write(
        &mut self,
        writes: Vec<Write>,
        f: impl std::future::Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<()> {
        let p = self
            .history
            .invoke(Process::Nemesis, OpKind::Fault, writes, self.target.now());
        let result = f.await;
        let (outcome, error) = match &result {
            Ok(()) => (Outcome::Ok, None),
            Err(e) => (Outcome::Info, Some(format!("{e:#}"))),
        };
        self.history.complete(p, self.target.now(), outcome, error);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_from_toml_and_validate() {
        #[derive(Deserialize)]
        struct W {
            fault: Vec<Fault>,
        }
        let w: W = toml::from_str(
            r#"
            [[fault]]
            kind = "batch_delete_carts"
            [[fault]]
            kind = "corrupt_orders"
            window_minutes = 60
            [[fault]]
            kind = "ransomware"
            bucket = "invoices"
            [[fault]]
            kind = "config_drift"
            drift = { change = "rds_retention", days = 1 }
            [[fault]]
            kind = "delete_orders"
            window_minutes = 30
            [[fault]]
            kind = "backup_job_failures"
            cause = "vault_lock_retention"
            fix = "on_alarm"
            [[fault]]
            kind = "backup_job_failures"
            min_retention_days = 14
            "#,
        )
        .unwrap();
        let w = W {
            fault: w.fault.into_iter().rev().collect(),
        };
        let (plain, fixed) = (&w.fault[0], &w.fault[1]);
        assert_eq!(
            *plain,
            Fault::BackupJobFailures {
                cause: BackupFailureCause::VaultLockRetention,
                min_retention_days: Some(14),
                fix: Fix::Never,
            }
        );
        assert!(fixed.fixed_on_alarm() && !plain.fixed_on_alarm());
        assert!(!plain.destructive(), "failing jobs destroy nothing by themselves");
        assert_eq!(plain.name(), "backup_job_failures(vault_lock_retention)");
        let bad = Fault::BackupJobFailures {
            cause: BackupFailureCause::VaultLockRetention,
            min_retention_days: Some(0),
            fix: Fix::Never,
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("min_retention_days")
        );
        let w = W {
            fault: w.fault.into_iter().skip(2).rev().collect(),
        };
        assert_eq!(w.fault.len(), 5);
        assert_eq!(
            w.fault[4],
            Fault::DeleteOrders {
                window_minutes: Some(30)
            }
        );
        assert_eq!(w.fault[4].name(), "delete_orders");
        assert!(w.fault[4].destructive());
        assert!(w.fault.iter().all(|f| f.validate().is_ok()));
        assert!(!w.fault[3].destructive() && w.fault[0].destructive());
        assert_eq!(w.fault[2].name(), "ransomware(invoices)");

        let stolen: W = toml::from_str(
            "[[fault]]\nkind = \"stolen_admin_keys\"\n[[fault]]\nkind = \"stolen_admin_keys\"\nreach_backup_account = true\n",
        )
        .unwrap();
        assert_eq!(
            stolen.fault[0],
            Fault::StolenAdminKeys {
                reach_backup_account: false
            }
        );
        assert_eq!(
            stolen.fault[1].name(),
            "stolen_admin_keys(production and backup account)"
        );
        assert!(
            stolen
                .fault
                .iter()
                .all(|f| f.destructive() && f.validate().is_ok())
        );

        let bad = Fault::MassDeleteBucket {
            bucket: Collection::Orders,
        };
        assert!(bad.validate().unwrap_err().to_string().contains("bucket"));
        let bad = Fault::DropTable {
            table: Collection::Images,
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn kms_faults_parse_default_to_the_vault_key_and_hide_rather_than_destroy() {
        #[derive(Deserialize)]
        struct W {
            fault: Vec<Fault>,
        }
        let w: W = toml::from_str(
            r#"
            [[fault]]
            kind = "disable_kms_key"
            key = "alias/firedrill-backup"
            [[fault]]
            kind = "schedule_key_deletion"
            [[fault]]
            kind = "schedule_key_deletion"
            pending_days = 30
            "#,
        )
        .unwrap();
        assert_eq!(
            w.fault[0],
            Fault::DisableKmsKey {
                key: Some("alias/firedrill-backup".into())
            }
        );
        assert_eq!(w.fault[0].name(), "disable_kms_key(alias/firedrill-backup)");
        assert_eq!(w.fault[1].name(), "schedule_key_deletion(vault key)");
        assert!(w.fault.iter().all(|f| !f.destructive() && f.validate().is_ok()));
        let short = Fault::ScheduleKeyDeletion {
            key: None,
            pending_days: Some(6),
        };
        assert!(
            short
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("pending_days")
        );
        let unknown: Result<W, _> = toml::from_str("[[fault]]\nkind = \"disable_kms_key\"\nalias = \"x\"\n");
        assert!(unknown.is_err(), "unknown fields are refused");
    }
}
