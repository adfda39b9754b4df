//! Bad input answers AWS's own error codes in the Query protocol's XML
//! shape, and the server stays up.

mod common;

use aws_smithy_types::DateTime as SdkTime;
use common::*;

#[tokio::test]
async fn bad_input_gets_aws_errors() {
    let Some((server, _rds)) = start("bad_input_gets_aws_errors").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;

    // Errors that need no server.
    let err = c
        .describe_db_instances()
        .db_instance_identifier("missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_db_instance_not_found_fault());
    assert_eq!(
        err.as_service_error().unwrap().meta().message(),
        Some("DBInstance missing not found.")
    );
    let err = c
        .create_db_instance()
        .db_instance_identifier("1bad")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    for (retention, window) in [(36, None), (1, Some("03:00-03:10")), (1, Some("3am"))] {
        let mut req = c
            .create_db_instance()
            .db_instance_identifier("bad-params")
            .db_instance_class("db.t3.micro")
            .engine("postgres")
            .master_username("shop")
            .master_user_password(PASSWORD)
            .backup_retention_period(retention);
        if let Some(w) = window {
            req = req.preferred_backup_window(w);
        }
        let err = req.send().await.unwrap_err();
        assert_eq!(
            code(&err),
            "InvalidParameterValue",
            "retention {retention} window {window:?}"
        );
    }
    let err = c
        .create_db_instance()
        .db_instance_identifier("no-user")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let err = c
        .create_db_instance()
        .db_instance_identifier("oracle")
        .db_instance_class("db.t3.micro")
        .engine("oracle-ee")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let err = c
        .describe_db_snapshots()
        .db_snapshot_identifier("missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_db_snapshot_not_found_fault());
    let err = c
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier("x")
        .db_snapshot_identifier("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBSnapshotNotFound");
    let err = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("missing")
        .target_db_instance_identifier("x")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_db_instance_not_found_fault());
    let err = c
        .restore_db_instance_to_point_in_time()
        .source_dbi_resource_id("db-NOPE")
        .target_db_instance_identifier("x")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBInstanceAutomatedBackupNotFound");
    let err = c
        .delete_db_instance()
        .db_instance_identifier("missing")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBInstanceNotFound");
    let err = c
        .list_tags_for_resource()
        .resource_name("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");

    // The raw XML shape.
    let (status, body) = raw_post(
        &server.endpoint,
        "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=ghost",
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.starts_with("<ErrorResponse"), "{body}");
    assert!(body.contains("<Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance ghost not found.</Message></Error><RequestId>"), "{body}");
    let (status, body) = raw_post(&server.endpoint, "Action=BacktrackDBCluster&Version=2014-10-31").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("<Code>InvalidAction</Code>") && body.contains("firedrill"),
        "{body}"
    );
    let (status, body) = raw_post(&server.endpoint, "Version=2014-10-31").await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");

    // Errors that need instances.
    let no_pitr = c
        .create_db_instance()
        .db_instance_identifier("no-pitr")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .backup_retention_period(0)
        .send()
        .await
        .expect("create without backups");
    assert_eq!(no_pitr.db_instance().unwrap().backup_retention_period(), Some(0));
    // A snapshot of an instance that is still creating.
    let err = c
        .create_db_snapshot()
        .db_instance_identifier("no-pitr")
        .db_snapshot_identifier("too-soon")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidDBInstanceState");
    let err = c
        .create_db_instance()
        .db_instance_identifier("no-pitr")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_db_instance_already_exists_fault()
    );
    let i = wait_status(&c, "no-pitr", "available").await;
    assert!(i.latest_restorable_time().is_none());
    let err = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("no-pitr")
        .target_db_instance_identifier("x")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PointInTimeRestoreNotEnabled");
    let err = c
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier("no-pitr")
        .target_db_instance_identifier("no-pitr")
        .restore_time(SdkTime::from_secs(0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PointInTimeRestoreNotEnabled");
    let err = c
        .start_db_instance()
        .db_instance_identifier("no-pitr")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_db_instance_state_fault()
    );
    let err = c
        .describe_db_instance_automated_backups()
        .dbi_resource_id("db-NOPE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBInstanceAutomatedBackupNotFound");

    // Still serving after all that.
    let all = c.describe_db_instances().send().await.expect("describe");
    assert_eq!(all.db_instances().len(), 1);
    server.stop().await;
}
