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
