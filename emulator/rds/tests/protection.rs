//! Deletion protection of DB instances and Aurora clusters, and
//! ModifyDBCluster's backup settings: a protected resource refuses
//! DeleteDBInstance / DeleteDBCluster with AWS's error until Modify lifts
//! the protection.

mod common;

use common::*;

const PROTECTED_INSTANCE: &str =
    "Cannot delete protected DB Instance, please disable deletion protection and try again.";
const PROTECTED_CLUSTER: &str =
    "Cannot delete protected Cluster, please disable deletion protection and try again.";

#[tokio::test]
async fn protected_instance_refuses_deletion_until_modified() {
    let Some((server, _rds)) = start("protected_instance_refuses_deletion_until_modified").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_db_instance()
        .db_instance_identifier("ledger")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .deletion_protection(true)
        .send()
        .await
        .expect("create");
    let shown = wait_status(&c, "ledger", "available").await;
    assert_eq!(shown.deletion_protection(), Some(true));

    let err = c
        .delete_db_instance()
        .db_instance_identifier("ledger")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().message()),
        Some(PROTECTED_INSTANCE)
    );
    assert_eq!(
        describe(&c, "ledger").await.db_instance_status(),
        Some("available")
    );

    c.modify_db_instance()
        .db_instance_identifier("ledger")
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify");
    let shown = wait_status(&c, "ledger", "available").await;
    assert_eq!(shown.deletion_protection(), Some(false));
    c.delete_db_instance()
        .db_instance_identifier("ledger")
        .skip_final_snapshot(true)
        .send()
        .await
        .expect("delete once unprotected");
    wait_gone(&c, "ledger").await;
    server.stop().await;
}

#[tokio::test]
async fn protected_cluster_refuses_deletion_and_modify_changes_backups() {
    let Some((server, _rds)) = start("protected_cluster_refuses_deletion_and_modify_changes_backups").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let created = c
        .create_db_cluster()
        .db_cluster_identifier("vault")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .deletion_protection(true)
        .send()
        .await
        .expect("create cluster");
    assert_eq!(created.db_cluster().unwrap().deletion_protection(), Some(true));
    let shown = wait_cluster(&c, "vault").await;
    assert_eq!(shown.deletion_protection(), Some(true));
    assert_eq!(shown.backup_retention_period(), Some(1));

    let err = c
        .delete_db_cluster()
        .db_cluster_identifier("vault")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().message()),
        Some(PROTECTED_CLUSTER)
    );

    // Bad values are refused before anything changes.
    for (retention, window) in [(Some(0), None), (Some(36), None), (None, Some("25:00-25:30"))] {
        let err = c
            .modify_db_cluster()
            .db_cluster_identifier("vault")
            .set_backup_retention_period(retention)
            .set_preferred_backup_window(window.map(str::to_owned))
            .deletion_protection(false)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterValue", "{retention:?} {window:?}");
    }
    let err = c
        .modify_db_cluster()
        .db_cluster_identifier("vault")
        .preferred_backup_window("05:00-05:30")
        .preferred_maintenance_window("sun:05:10-sun:05:40")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue", "overlapping windows");
    let unchanged = wait_cluster(&c, "vault").await;
    assert_eq!(unchanged.deletion_protection(), Some(true));
    assert_eq!(unchanged.backup_retention_period(), Some(1));

    let modified = c
        .modify_db_cluster()
        .db_cluster_identifier("vault")
        .backup_retention_period(14)
        .preferred_backup_window("07:00-07:30")
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify cluster");
    let m = modified.db_cluster().unwrap();
    assert_eq!(m.backup_retention_period(), Some(14));
    assert_eq!(m.preferred_backup_window(), Some("07:00-07:30"));
    assert_eq!(m.deletion_protection(), Some(false));
    let shown = wait_cluster(&c, "vault").await;
    assert_eq!(shown.backup_retention_period(), Some(14));
    assert_eq!(shown.deletion_protection(), Some(false));

    let err = c
        .modify_db_cluster()
        .db_cluster_identifier("nope")
        .deletion_protection(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterNotFoundFault");

    c.delete_db_cluster()
        .db_cluster_identifier("vault")
        .skip_final_snapshot(true)
        .send()
        .await
        .expect("delete once unprotected");
    server.stop().await;
}
