//! `firedrill audit` on a shop whose sessions and carts are in ElastiCache
//! (the embedded emulator, real `redis-server`): an RDS-only policy leaves
//! the session store without snapshots, which the audit flags twice on the
//! sessions layer and drills with the bad deploy's `FLUSHALL`; once the
//! group takes automatic snapshots, neither finding remains and `--drill`'s
//! mirror carries the group's retention and window. The audit stays
//! read-only throughout.

#[path = "support/drills.rs"]
#[allow(dead_code)]
mod drills;
#[path = "support/redis.rs"]
mod redis_support;

use firedrill::audit::readonly::is_read_only;
use firedrill::audit::{CheckOptions, audit, drill, shop_layers};
use firedrill::history::Collection;
use firedrill::model::StoreNames;
use firedrill::policy::{BackupPolicy, SnapshotSettings, provision};
use firedrill::stack::{EmbeddedOptions, EmbeddedTarget};
use firedrill::target::Clients;
use std::collections::BTreeSet;

fn rds_only() -> BackupPolicy {
    let mut p = firedrill::policy::none();
    p.name = "rds_only".into();
    p.rds.retention_days = 7;
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_store_without_snapshots_is_found_and_fixing_it_clears_the_findings() {
    if !drills::postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the shop needs RDS)");
        return;
    }
    if !redis_support::redis_installed() {
        println!("SKIPPED: redis-server is not installed (the session store is ElastiCache)");
        return;
    }
    let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.unwrap();
    let names = StoreNames::new("shop")
        .unwrap()
        .with_cache(BTreeSet::from([Collection::Sessions, Collection::Carts]));
    let store = provision(&target, &rds_only(), &names).await.unwrap();
    let group = names.cache.as_ref().unwrap().replication_group.clone();
    assert_eq!(group, "shop-sess");
    assert!(store.cache.is_some(), "the store has a cache endpoint");

    let options = CheckOptions {
        peak_hours: None,
        layers: shop_layers(&names),
    };
    let regions = vec!["us-east-1".to_owned()];
    let before = target.emulator().admin().audit().await.unwrap().len();
    let report = audit(&target, &regions, &options).await.unwrap();
    let trail = target.emulator().admin().audit().await.unwrap();
    assert!(
        trail[before..].iter().all(|e| is_read_only(&e.event_name)),
        "a mutating call during the audit"
    );
    assert!(
        report
            .calls
            .iter()
            .any(|c| c.ends_with(":DescribeReplicationGroups")),
        "{:?}",
        report.calls
    );
    for check in [
        "elasticache_redis_cluster_backup_enabled",
        "sessions_layer_not_covered",
    ] {
        let found = report.of(check);
        assert_eq!(found.len(), 1, "{check}: {:?}", report.findings);
        assert_eq!(found[0].resource, group);
        assert_eq!(found[0].layer.as_deref(), Some("sessions"));
        assert!(
            found[0]
                .arn
                .as_deref()
                .is_some_and(|a| a.contains(":replicationgroup:"))
        );
    }
    // The DynamoDB tables the shop does not use were never created.
    assert!(
        report.of("dynamodb_tables_pitr_enabled").is_empty(),
        "{:?}",
        report.findings
    );
    // Drilled: the session store's flush, under no snapshots at all.
    let planned = drill::scenarios_for(&report, &names);
    assert!(
        planned.contains(&(
            "session-store-flushed-by-bad-deploy".to_owned(),
            vec![
                "elasticache_redis_cluster_backup_enabled".to_owned(),
                "sessions_layer_not_covered".to_owned()
            ]
        )),
        "{planned:?}"
    );
    let mirror = drill::mirror_policy(&report, &names).unwrap();
    assert_eq!(mirror.policy.elasticache, SnapshotSettings::default());
    assert_eq!(mirror.policy.rds.retention_days, 7);

    // Automatic snapshots on: both findings are gone.
    Clients::primary(&target)
        .elasticache
        .modify_replication_group()
        .replication_group_id(&group)
        .snapshot_retention_limit(7)
        .snapshot_window("05:00-06:00")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let report = audit(&target, &regions, &options).await.unwrap();
    target.shutdown().await;
    assert!(
        report.of("elasticache_redis_cluster_backup_enabled").is_empty(),
        "{:?}",
        report.findings
    );
    assert!(
        report.of("sessions_layer_not_covered").is_empty(),
        "{:?}",
        report.findings
    );
    let mirror = drill::mirror_policy(&report, &names).unwrap();
    assert_eq!(
        mirror.policy.elasticache,
        SnapshotSettings {
            snapshot_retention_limit: 7,
            snapshot_window: Some("05:00-06:00".into()),
        }
    );
    assert!(
        drill::scenarios_for(&report, &names)
            .iter()
            .all(|(s, _)| s != "session-store-flushed-by-bad-deploy")
    );
}
