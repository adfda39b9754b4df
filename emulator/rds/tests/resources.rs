//! The resources real clients read around an instance (subnet, parameter
//! and option groups, engine versions, orderable classes, quotas), and what
//! a snapshot restore inherits.

mod common;

use aws_sdk_rds::types::{ApplyMethod, Parameter, Tag};
use common::*;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

#[tokio::test]
async fn groups_versions_orderables_and_quotas() {
    let Some((server, _rds)) = start("groups_versions_orderables_and_quotas").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;

    // The default subnet group, and one of our own.
    let groups = c.describe_db_subnet_groups().send().await.unwrap();
    let default = &groups.db_subnet_groups()[0];
    assert_eq!(default.db_subnet_group_name(), Some("default"));
    assert!(default.subnets().len() >= 2);
    let err = c
        .create_db_subnet_group()
        .db_subnet_group_name("one-zone")
        .db_subnet_group_description("d")
        .subnet_ids("subnet-0a1b2c3d")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBSubnetGroupDoesNotCoverEnoughAZs");
    let err = c
        .create_db_subnet_group()
        .db_subnet_group_name("bad")
        .db_subnet_group_description("d")
        .subnet_ids("nonsense")
        .subnet_ids("subnet-0a1b2c3d")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidSubnet");
    let created = c
        .create_db_subnet_group()
        .db_subnet_group_name("Shop-Subnets")
        .db_subnet_group_description("the shop's subnets")
        .subnet_ids("subnet-0a1b2c3d")
        .subnet_ids("subnet-0a1b2c3e")
        .tags(tag("team", "shop"))
        .send()
        .await
        .expect("create subnet group")
        .db_subnet_group
        .unwrap();
    assert_eq!(created.db_subnet_group_name(), Some("shop-subnets"));
    assert_eq!(created.subnets().len(), 2);
    let arn = created.db_subnet_group_arn().unwrap().to_owned();
    let tags = c
        .list_tags_for_resource()
        .resource_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_list()[0].key(), Some("team"));
    let err = c
        .create_db_subnet_group()
        .db_subnet_group_name("shop-subnets")
        .db_subnet_group_description("again")
        .subnet_ids("subnet-0a1b2c3d")
        .subnet_ids("subnet-0a1b2c3e")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBSubnetGroupAlreadyExists");
    let modified = c
        .modify_db_subnet_group()
        .db_subnet_group_name("shop-subnets")
        .subnet_ids("subnet-0a1b2c3d")
        .subnet_ids("subnet-0a1b2c3e")
        .subnet_ids("subnet-0a1b2c3f")
        .send()
        .await
        .unwrap()
        .db_subnet_group
        .unwrap();
    assert_eq!(modified.subnets().len(), 3);
    let err = c
        .describe_db_subnet_groups()
        .db_subnet_group_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_db_subnet_group_not_found_fault()
    );

    // Parameter groups: the defaults that matter for backups, and our own.
    let params = c
        .describe_db_parameters()
        .db_parameter_group_name("default.postgres16")
        .send()
        .await
        .unwrap();
    let logical = params
        .parameters()
        .iter()
        .find(|p| p.parameter_name() == Some("rds.logical_replication"))
        .expect("rds.logical_replication is listed");
    assert_eq!(logical.parameter_value(), Some("0"));
    assert_eq!(logical.apply_type(), Some("static"));
    let archive = params
        .parameters()
        .iter()
        .find(|p| p.parameter_name() == Some("archive_timeout"))
        .unwrap();
    assert_eq!(archive.parameter_value(), Some("300"));
    assert_eq!(archive.is_modifiable(), Some(false));
    let err = c
        .describe_db_parameters()
        .db_parameter_group_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_db_parameter_group_not_found_fault()
    );
    c.create_db_parameter_group()
        .db_parameter_group_name("shop-pg16")
        .db_parameter_group_family("postgres16")
        .description("logical replication on")
        .send()
        .await
        .expect("create parameter group");
    let err = c
        .create_db_parameter_group()
        .db_parameter_group_name("bad-family")
        .db_parameter_group_family("postgres99")
        .description("d")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let change = |name: &str, value: &str, method: ApplyMethod| {
        Parameter::builder()
            .parameter_name(name)
            .parameter_value(value)
            .apply_method(method)
            .build()
    };
    let err = c
        .modify_db_parameter_group()
        .db_parameter_group_name("shop-pg16")
        .parameters(change("rds.logical_replication", "1", ApplyMethod::Immediate))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    let err = c
        .modify_db_parameter_group()
        .db_parameter_group_name("shop-pg16")
        .parameters(change("archive_timeout", "60", ApplyMethod::Immediate))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let err = c
        .modify_db_parameter_group()
        .db_parameter_group_name("default.postgres16")
        .parameters(change("rds.logical_replication", "1", ApplyMethod::PendingReboot))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    c.modify_db_parameter_group()
        .db_parameter_group_name("shop-pg16")
        .parameters(change("rds.logical_replication", "1", ApplyMethod::PendingReboot))
        .send()
        .await
        .expect("modify parameter group");
    let user = c
        .describe_db_parameters()
        .db_parameter_group_name("shop-pg16")
        .source("user")
        .send()
        .await
        .unwrap();
    assert_eq!(user.parameters().len(), 1);
    assert_eq!(user.parameters()[0].parameter_value(), Some("1"));
    let cluster_pg = c
        .create_db_cluster_parameter_group()
        .db_cluster_parameter_group_name("carts-cpg")
        .db_parameter_group_family("aurora-postgresql16")
        .description("d")
        .send()
        .await
        .unwrap()
        .db_cluster_parameter_group
        .unwrap();
    assert_eq!(
        cluster_pg.db_parameter_group_family(),
        Some("aurora-postgresql16")
    );
    let listed = c.describe_db_cluster_parameter_groups().send().await.unwrap();
    assert!(
        listed
            .db_cluster_parameter_groups()
            .iter()
            .any(|g| g.db_cluster_parameter_group_name() == Some("carts-cpg"))
    );

    // Option groups.
    let defaults = c
        .describe_option_groups()
        .engine_name("postgres")
        .send()
        .await
        .unwrap();
    assert!(
        defaults
            .option_groups_list()
            .iter()
            .any(|g| g.option_group_name() == Some("default:postgres-16"))
    );
    c.create_option_group()
        .option_group_name("shop-og")
        .engine_name("postgres")
        .major_engine_version("16")
        .option_group_description("d")
        .send()
        .await
        .expect("create option group");

    // Engine versions and orderable classes agree with what is accepted.
    let default = c
        .describe_db_engine_versions()
        .engine("postgres")
        .default_only(true)
        .send()
        .await
        .unwrap();
    assert_eq!(default.db_engine_versions().len(), 1);
    let v = &default.db_engine_versions()[0];
    assert_eq!(v.engine_version(), Some("17.5"));
    assert_eq!(v.db_parameter_group_family(), Some("postgres17"));
    let sixteen = c
        .describe_db_engine_versions()
        .engine("postgres")
        .engine_version("16")
        .default_only(true)
        .send()
        .await
        .unwrap();
    assert_eq!(sixteen.db_engine_versions()[0].engine_version(), Some("16.9"));
    let orderable = c
        .describe_orderable_db_instance_options()
        .engine("postgres")
        .engine_version("16.9")
        .db_instance_class("db.t3.micro")
        .send()
        .await
        .unwrap();
    let storage: Vec<&str> = orderable
        .orderable_db_instance_options()
        .iter()
        .filter_map(|o| o.storage_type())
        .collect();
    assert_eq!(storage, ["gp2", "gp3", "io1", "io2", "standard"]);
    let none = c
        .describe_orderable_db_instance_options()
        .engine("postgres")
        .db_instance_class("db.huge")
        .send()
        .await
        .unwrap();
    assert!(none.orderable_db_instance_options().is_empty());

    // An instance in our groups; the groups in use cannot be deleted.
    let i = c
        .create_db_instance()
        .db_instance_identifier("grouped")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .engine_version("16.9")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .db_parameter_group_name("shop-pg16")
        .db_subnet_group_name("shop-subnets")
        .option_group_name("shop-og")
        .send()
        .await
        .expect("create in our groups")
        .db_instance
        .unwrap();
    assert_eq!(
        i.db_parameter_groups()[0].db_parameter_group_name(),
        Some("shop-pg16")
    );
    assert_eq!(
        i.option_group_memberships()[0].option_group_name(),
        Some("shop-og")
    );
    let err = c
        .create_db_instance()
        .db_instance_identifier("wrong-family")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .engine_version("15.13")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .db_parameter_group_name("shop-pg16")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    let err = c
        .delete_db_parameter_group()
        .db_parameter_group_name("shop-pg16")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidDBParameterGroupState");
    let err = c
        .delete_db_subnet_group()
        .db_subnet_group_name("shop-subnets")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidDBSubnetGroupStateFault");
    let err = c
        .delete_option_group()
        .option_group_name("shop-og")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidOptionGroupStateFault");
    let err = c
        .delete_db_parameter_group()
        .db_parameter_group_name("default.postgres16")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidDBParameterGroupState");

    // Quotas count what the region uses.
    let quotas = c.describe_account_attributes().send().await.unwrap();
    let used = |name: &str| {
        quotas
            .account_quotas()
            .iter()
            .find(|q| q.account_quota_name() == Some(name))
            .map(|q| (q.used(), q.max()))
    };
    assert_eq!(used("DBInstances"), Some((Some(1), Some(40))));
    assert_eq!(used("DBParameterGroups"), Some((Some(1), Some(50))));
    assert_eq!(used("DBSubnetGroups"), Some((Some(1), Some(50))));
    assert_eq!(used("DBClusterParameterGroups"), Some((Some(1), Some(50))));
    assert_eq!(used("OptionGroups"), Some((Some(1), Some(20))));

    wait_status(&c, "grouped", "available").await;
    c.delete_db_instance()
        .db_instance_identifier("grouped")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    wait_gone(&c, "grouped").await;
    c.delete_db_parameter_group()
        .db_parameter_group_name("shop-pg16")
        .send()
        .await
        .expect("a group no longer used can be deleted");
    c.delete_db_subnet_group()
        .db_subnet_group_name("shop-subnets")
        .send()
        .await
        .expect("delete subnet group");
    server.stop().await;
}

#[tokio::test]
async fn snapshot_restores_inherit_and_copies_take_tags_when_asked() {
    let Some((server, _rds)) = start("snapshot_restores_inherit_and_copies_take_tags_when_asked").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_db_instance()
        .db_instance_identifier("orders")
        .db_instance_class("db.m5.large")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .storage_type("gp3")
        .allocated_storage(50)
        .tags(tag("app", "store"))
        .send()
        .await
        .expect("create");
    wait_status(&c, "orders", "available").await;
    c.create_db_snapshot()
        .db_instance_identifier("orders")
        .db_snapshot_identifier("nightly")
        .tags(tag("kind", "nightly"))
        .send()
        .await
        .unwrap();
    let snap = loop {
        let s = c
            .describe_db_snapshots()
            .db_snapshot_identifier("nightly")
            .send()
            .await
            .unwrap()
            .db_snapshots()[0]
            .clone();
        if s.status() == Some("available") {
            break s;
        }
        server.advance(chrono::Duration::seconds(1)).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(snap.storage_type(), Some("gp3"));
    assert_eq!(snap.allocated_storage(), Some(50));

    // Without overrides: the source's class, storage and tags.
    let plain = c
        .restore_db_instance_from_db_snapshot()
        .db_snapshot_identifier("nightly")
        .db_instance_identifier("orders-plain")
        .send()
        .await
        .expect("restore")
        .db_instance
        .unwrap();
    assert_eq!(plain.db_instance_class(), Some("db.m5.large"));
    assert_eq!(plain.storage_type(), Some("gp3"));
    assert_eq!(plain.allocated_storage(), Some(50));
    let keys: Vec<_> = plain.tag_list().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, ["app"]);
    assert_eq!(plain.copy_tags_to_snapshot(), Some(false));
    // Overrides win.
    let custom = c
        .restore_db_instance_from_db_snapshot()
        .db_snapshot_identifier("nightly")
        .db_instance_identifier("orders-custom")
        .db_instance_class("db.t3.small")
        .storage_type("io1")
        .allocated_storage(100)
        .iops(1000)
        .copy_tags_to_snapshot(true)
        .tags(tag("restored", "yes"))
        .send()
        .await
        .expect("restore with overrides")
        .db_instance
        .unwrap();
    assert_eq!(custom.db_instance_class(), Some("db.t3.small"));
    assert_eq!(custom.storage_type(), Some("io1"));
    assert_eq!(custom.iops(), Some(1000));
    assert_eq!(custom.copy_tags_to_snapshot(), Some(true));
    let keys: Vec<_> = custom.tag_list().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, ["restored"]);
    let err = c
        .restore_db_instance_from_db_snapshot()
        .db_snapshot_identifier("nightly")
        .db_instance_identifier("orders-small")
        .allocated_storage(10)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");

    // CopyDBSnapshot copies the snapshot's tags only when asked.
    let with = c
        .copy_db_snapshot()
        .source_db_snapshot_identifier("nightly")
        .target_db_snapshot_identifier("nightly-tagged")
        .copy_tags(true)
        .send()
        .await
        .unwrap()
        .db_snapshot
        .unwrap();
    let keys: Vec<_> = with.tag_list().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, ["kind"]);
    let without = c
        .copy_db_snapshot()
        .source_db_snapshot_identifier("nightly")
        .target_db_snapshot_identifier("nightly-bare")
        .tags(tag("own", "1"))
        .send()
        .await
        .unwrap()
        .db_snapshot
        .unwrap();
    let keys: Vec<_> = without.tag_list().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, ["own"]);
    assert_eq!(without.storage_type(), Some("gp3"));
    // A point-in-time restore inherits the source's class and storage too.
    for _ in 0..100 {
        if describe(&c, "orders").await.latest_restorable_time().is_some() {
            break;
        }
        server.advance(chrono::Duration::seconds(1)).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let pitr = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("orders")
        .target_db_instance_identifier("orders-pitr")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("point-in-time restore")
        .db_instance
        .unwrap();
    assert_eq!(pitr.db_instance_class(), Some("db.m5.large"));
    assert_eq!(pitr.storage_type(), Some("gp3"));
    assert_eq!(pitr.allocated_storage(), Some(50));
    wait_status(&c, "orders-plain", "available").await;
    wait_status(&c, "orders-custom", "available").await;
    wait_status(&c, "orders-pitr", "available").await;
    server.stop().await;
}

#[tokio::test]
async fn events_tell_creation_backup_snapshot_restore_and_deletion() {
    let Some((server, rds)) = start("events_tell_creation_backup_snapshot_restore_and_deletion").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    create_instance(&c, "ledger", 1).await;
    rds.create_snapshot("us-east-1", "ledger", "ledger-snap", "manual")
        .await
        .expect("snapshot");
    c.restore_db_instance_from_db_snapshot()
        .db_snapshot_identifier("ledger-snap")
        .db_instance_identifier("ledger-copy")
        .send()
        .await
        .unwrap();
    wait_status(&c, "ledger-copy", "available").await;
    c.delete_db_instance()
        .db_instance_identifier("ledger-copy")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    wait_gone(&c, "ledger-copy").await;
    let messages = |out: aws_sdk_rds::operation::describe_events::DescribeEventsOutput| -> Vec<String> {
        out.events()
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}",
                    e.source_identifier().unwrap_or_default(),
                    e.event_categories().join(","),
                    e.message().unwrap_or_default()
                )
            })
            .collect()
    };
    let ledger = messages(
        c.describe_events()
            .source_type(aws_sdk_rds::types::SourceType::DbInstance)
            .source_identifier("ledger")
            .send()
            .await
            .unwrap(),
    );
    for want in [
        "ledger creation DB instance created",
        "ledger backup Backing up DB instance",
        "ledger backup Finished DB instance backup",
    ] {
        assert!(ledger.iter().any(|m| m == want), "{want} not in {ledger:?}");
    }
    let copy = messages(
        c.describe_events()
            .source_type(aws_sdk_rds::types::SourceType::DbInstance)
            .source_identifier("ledger-copy")
            .send()
            .await
            .unwrap(),
    );
    for want in [
        "ledger-copy restoration Restored from snapshot ledger-snap",
        "ledger-copy deletion DB instance deleted",
    ] {
        assert!(copy.iter().any(|m| m == want), "{want} not in {copy:?}");
    }
    let snaps = messages(
        c.describe_events()
            .source_type(aws_sdk_rds::types::SourceType::DbSnapshot)
            .event_categories("creation")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(
        snaps,
        [
            "ledger-snap creation Creating manual snapshot",
            "ledger-snap creation Manual snapshot created"
        ]
    );
    // Events older than the asked duration are not answered (with nothing
    // left running, nothing new happens meanwhile).
    c.delete_db_instance()
        .db_instance_identifier("ledger")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    wait_gone(&c, "ledger").await;
    server.advance(chrono::Duration::hours(2)).await;
    let recent = c.describe_events().send().await.unwrap();
    assert!(recent.events().is_empty(), "{:?}", recent.events());
    let day = c.describe_events().duration(24 * 60).send().await.unwrap();
    assert!(day.events().len() >= 7);
    let err = c
        .describe_events()
        .source_identifier("ledger")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    server.stop().await;
}
