//! DB instance lifecycle through the official aws-sdk-rds: create, describe,
//! connect with tokio-postgres, modify, reboot, stop/start, delete.

mod common;

use common::*;

#[tokio::test]
async fn create_connect_describe_delete() {
    let Some((server, rds)) = start("create_connect_describe_delete").await else {
        return;
    };
    let rds_client = client(&server, "us-east-1").await;
    let started = std::time::Instant::now();
    let created = rds_client
        .create_db_instance()
        .db_instance_identifier("orders-db")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .db_name("store")
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("app")
                .value("store")
                .build(),
        )
        .send()
        .await
        .expect("create");
    let created = created.db_instance().unwrap();
    assert_eq!(created.db_instance_status(), Some("creating"));
    assert_eq!(created.backup_retention_period(), Some(1));
    let i = wait_status(&rds_client, "orders-db", "available").await;
    println!("create -> available in {:?}", started.elapsed());
    assert_eq!(i.engine(), Some("postgres"));
    assert_eq!(i.db_name(), Some("store"));
    assert!(i.dbi_resource_id().unwrap().starts_with("db-"));
    assert_eq!(
        i.db_instance_arn(),
        Some("arn:aws:rds:us-east-1:000000000000:db:orders-db")
    );
    assert_eq!(i.endpoint().unwrap().address(), Some("127.0.0.1"));
    assert_eq!(i.tag_list().len(), 1);
    let db = connect(&i, "shop", "store").await;
    seed_orders(&db, 10).await;
    assert_eq!(orders(&db).await.len(), 10);
    assert_eq!(
        rds.instance_endpoint("us-east-1", "orders-db"),
        Some((
            "127.0.0.1".to_owned(),
            i.endpoint().unwrap().port().unwrap() as u16
        ))
    );

    // LatestRestorableTime appears once WAL is archived.
    server.advance(chrono::Duration::seconds(5)).await;
    let i = describe(&rds_client, "orders-db").await;
    let lrt = i.latest_restorable_time().expect("a latest restorable time");
    let now = server.env().now();
    assert!(
        (now.timestamp() - lrt.secs()).abs() < 10,
        "LatestRestorableTime {lrt} far from now {now}"
    );

    // Deleting needs a final snapshot or SkipFinalSnapshot.
    let err = rds_client
        .delete_db_instance()
        .db_instance_identifier("orders-db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    assert!(
        format!("{:?}", err.as_service_error().unwrap().meta().message())
            .contains("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
    );

    let pids = rds.server_pids();
    assert_eq!(pids.len(), 1);
    let deleted = rds_client
        .delete_db_instance()
        .db_instance_identifier("orders-db")
        .skip_final_snapshot(true)
        .send()
        .await
        .expect("delete");
    assert_eq!(
        deleted.db_instance().unwrap().db_instance_status(),
        Some("deleting")
    );
    wait_gone(&rds_client, "orders-db").await;
    assert!(rds.server_pids().is_empty());
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .map(|c| c.trim() != "postgres")
                    .unwrap_or(true)
        );
    }
    let run_dir = rds.run_dir();
    drop(db);
    server.stop().await;
    drop(rds);
    assert!(!run_dir.exists(), "run dir {} left behind", run_dir.display());
}

/// Modify (retention, window), reboot, stop and start keep the data and go
/// through AWS's statuses.
#[tokio::test]
async fn modify_reboot_stop_start() {
    let Some((server, rds)) = start("modify_reboot_stop_start").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let i = create_instance(&c, "ops", 1).await;
    let db = connect(&i, "shop", "store").await;
    seed_orders(&db, 5).await;
    drop(db);

    let m = c
        .modify_db_instance()
        .db_instance_identifier("ops")
        .backup_retention_period(14)
        .preferred_backup_window("04:00-04:45")
        .apply_immediately(true)
        .send()
        .await
        .expect("modify");
    assert_eq!(m.db_instance().unwrap().db_instance_status(), Some("modifying"));
    let i = wait_status(&c, "ops", "available").await;
    assert_eq!(i.backup_retention_period(), Some(14));
    assert_eq!(i.preferred_backup_window(), Some("04:00-04:45"));
    let err = c
        .modify_db_instance()
        .db_instance_identifier("ops")
        .preferred_backup_window("04:00-04:15")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");

    // Turning backups off without ApplyImmediately waits for the maintenance window.
    c.modify_db_instance()
        .db_instance_identifier("ops")
        .backup_retention_period(0)
        .send()
        .await
        .expect("modify pending");
    let i = wait_status(&c, "ops", "available").await;
    assert_eq!(i.backup_retention_period(), Some(14));
    assert_eq!(
        i.pending_modified_values().unwrap().backup_retention_period(),
        Some(0)
    );
    server.advance(chrono::Duration::days(8)).await;
    let i = describe(&c, "ops").await;
    assert_eq!(i.backup_retention_period(), Some(0));
    let backups = c.describe_db_instance_automated_backups().send().await.unwrap();
    assert!(backups.db_instance_automated_backups().is_empty());

    let r = c
        .reboot_db_instance()
        .db_instance_identifier("ops")
        .send()
        .await
        .expect("reboot");
    assert_eq!(r.db_instance().unwrap().db_instance_status(), Some("rebooting"));
    let i = wait_status(&c, "ops", "available").await;
    let db = connect(&i, "shop", "store").await;
    assert_eq!(orders(&db).await.len(), 5);
    drop(db);

    let s = c
        .stop_db_instance()
        .db_instance_identifier("ops")
        .send()
        .await
        .expect("stop");
    assert_eq!(s.db_instance().unwrap().db_instance_status(), Some("stopping"));
    wait_status(&c, "ops", "stopped").await;
    assert!(rds.server_pids().is_empty());
    assert!(rds.instance_endpoint("us-east-1", "ops").is_none());
    c.start_db_instance()
        .db_instance_identifier("ops")
        .send()
        .await
        .expect("start");
    let i = wait_status(&c, "ops", "available").await;
    let db = connect(&i, "shop", "store").await;
    assert_eq!(orders(&db).await.len(), 5);

    // Tags through the tagging API.
    let arn = i.db_instance_arn().unwrap();
    c.add_tags_to_resource()
        .resource_name(arn)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("tier")
                .value("gold")
                .build(),
        )
        .send()
        .await
        .expect("tag");
    c.remove_tags_from_resource()
        .resource_name(arn)
        .tag_keys("app")
        .send()
        .await
        .expect("untag");
    let tags = c
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .unwrap();
    let tags: Vec<_> = tags
        .tag_list()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(tags, vec![("tier", "gold")]);

    // A final snapshot on delete.
    c.delete_db_instance()
        .db_instance_identifier("ops")
        .final_db_snapshot_identifier("ops-final")
        .send()
        .await
        .expect("delete with final snapshot");
    wait_gone(&c, "ops").await;
    let snaps = c
        .describe_db_snapshots()
        .db_instance_identifier("ops")
        .send()
        .await
        .unwrap();
    assert_eq!(
        snaps.db_snapshots()[0].db_snapshot_identifier(),
        Some("ops-final")
    );
    assert_eq!(snaps.db_snapshots()[0].status(), Some("available"));
    server.stop().await;
}
