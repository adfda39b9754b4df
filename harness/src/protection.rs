//! What guards each layer of the store right now: DynamoDB point-in-time
//! recovery per table, S3 versioning per bucket, RDS automated backups.
//!
//! Read through the SDK before the first fault and again after the
//! recovery: a restore that brings the data back but leaves the next
//! disaster unrecoverable (the restored table without PITR, a restored
//! instance without automated backups) is a finding, and a "recovered"
//! expectation fails on it. [`lost`] is pure.

use crate::history::Collection;
use crate::model::Store;
use crate::policy::describe_db;
use crate::target::Target;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The protection of one store at one instant; `None` where it could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protection {
    /// Per table: point-in-time recovery enabled, and the table's name.
    pub tables: BTreeMap<Collection, (String, Option<bool>)>,
    /// Per bucket: versioning `Enabled`, and the bucket's name.
    pub buckets: BTreeMap<Collection, (String, Option<bool>)>,
    /// The orders instance and its `BackupRetentionPeriod`.
    pub db: (String, Option<i32>),
}

/// A guard that was there before the fault and is gone after the recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectionLost {
    /// The collection it guarded.
    pub collection: Collection,
    /// The resource now serving it.
    pub resource: String,
    /// What is missing, and what it means.
    pub finding: String,
}

/// Reads the protection of `store`'s current resources.
pub async fn read(target: &dyn Target, store: &Store) -> Protection {
    let clients = store.clients(target);
    let mut p = Protection::default();
    for (collection, table) in store.names.dynamodb_tables() {
        let pitr = clients
            .dynamodb
            .describe_continuous_backups()
            .table_name(table)
            .send()
            .await
            .ok()
            .map(|d| {
                d.continuous_backups_description
                    .and_then(|c| c.point_in_time_recovery_description)
                    .and_then(|p| p.point_in_time_recovery_status)
                    == Some(aws_sdk_dynamodb::types::PointInTimeRecoveryStatus::Enabled)
            });
        p.tables.insert(collection, (table.to_owned(), pitr));
    }
    for (collection, bucket) in store.names.buckets() {
        let versioned = clients
            .s3
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .ok()
            .map(|v| v.status == Some(aws_sdk_s3::types::BucketVersioningStatus::Enabled));
        p.buckets.insert(collection, (bucket.to_owned(), versioned));
    }
    let db_rds = crate::target::Clients::new(target, store.db_region()).rds;
    let retention = describe_db(&db_rds, &store.names.db_instance)
        .await
        .ok()
        .flatten()
        .map(|i| i.retention_days);
    p.db = (store.names.db_instance.clone(), retention);
    p
}

/// The guards `before` had that `after` lacks (pure). A guard that cannot
/// be read after the recovery is not reported: the checker already reports
/// a layer it cannot read.
pub fn lost(before: &Protection, after: &Protection) -> Vec<ProtectionLost> {
    let mut out = Vec::new();
    for (collection, (_, was)) in &before.tables {
        if let Some((name, Some(false))) = after.tables.get(collection)
            && *was == Some(true)
        {
            out.push(ProtectionLost {
                collection: *collection,
                resource: name.clone(),
                finding: format!(
                    "point-in-time recovery is off on {name}, the table now serving {collection} (it was on before the fault): the next bad write cannot be undone; a restored table does not inherit PITR, turn it on (UpdateContinuousBackups)"
                ),
            });
        }
    }
    for (collection, (_, was)) in &before.buckets {
        if let Some((name, Some(false))) = after.buckets.get(collection)
            && *was == Some(true)
        {
            out.push(ProtectionLost {
                collection: *collection,
                resource: name.clone(),
                finding: format!(
                    "versioning is not enabled on {name}, the bucket now serving {collection} (it was before the fault): the next delete or overwrite is final"
                ),
            });
        }
    }
    if let (Some(was), (name, Some(0))) = (before.db.1, &after.db)
        && was > 0
    {
        out.push(ProtectionLost {
            collection: Collection::Orders,
            resource: name.clone(),
            finding: format!(
                "automated backups are off on {name} (BackupRetentionPeriod 0; it was {was} before the fault): no point-in-time restore of the orders database is possible any more"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protection(pitr: Option<bool>, versioned: Option<bool>, retention: Option<i32>) -> Protection {
        let mut p = Protection::default();
        p.tables.insert(Collection::Carts, ("carts-r1".into(), pitr));
        p.buckets
            .insert(Collection::Invoices, ("invoices".into(), versioned));
        p.db = ("orders".into(), retention);
        p
    }

    #[test]
    fn guards_lost_by_the_recovery_are_named() {
        let before = protection(Some(true), Some(true), Some(14));
        assert!(lost(&before, &before).is_empty());
        let after = protection(Some(false), Some(false), Some(0));
        let found = lost(&before, &after);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].collection, Collection::Carts);
        assert!(
            found[0]
                .finding
                .contains("point-in-time recovery is off on carts-r1")
        );
        assert!(found[1].finding.contains("versioning"));
        assert!(found[2].finding.contains("BackupRetentionPeriod 0"));
    }

    #[test]
    fn guards_never_there_or_unreadable_are_not_findings() {
        let before = protection(Some(false), None, Some(0));
        let after = protection(Some(false), Some(false), Some(0));
        assert!(lost(&before, &after).is_empty());
        let before = protection(Some(true), Some(true), Some(7));
        let unreadable = protection(None, None, None);
        assert!(lost(&before, &unreadable).is_empty());
    }
}
