//! Multi-AZ instances and RebootDBInstance with ForceFailover: the standby
//! takes over (the zones swap), the status passes through `rebooting`, the
//! endpoint stays and the data is still there; a Single-AZ instance refuses
//! ForceFailover with InvalidParameterCombination.

mod common;

use common::*;

#[tokio::test]
async fn force_failover_swaps_zones_and_keeps_the_endpoint() {
    let Some((server, _rds)) = start("force_failover_swaps_zones_and_keeps_the_endpoint").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let err = c
        .create_db_instance()
        .db_instance_identifier("pinned")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .multi_az(true)
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");

    c.create_db_instance()
        .db_instance_identifier("orders")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .db_name("store")
        .multi_az(true)
        .send()
        .await
        .expect("create Multi-AZ");
    let before = wait_status(&c, "orders", "available").await;
    assert_eq!(before.multi_az(), Some(true));
    assert_eq!(before.availability_zone(), Some("us-east-1a"));
    assert_eq!(before.secondary_availability_zone(), Some("us-east-1b"));
    let endpoint = before.endpoint().unwrap().clone();
    let db = connect(&before, "shop", "store").await;
    seed_orders(&db, 10).await;
    let expected = orders(&db).await;
    drop(db);

    let rebooting = c
        .reboot_db_instance()
        .db_instance_identifier("orders")
        .force_failover(true)
        .send()
        .await
        .expect("reboot with failover");
    assert_eq!(
        rebooting.db_instance().unwrap().db_instance_status(),
        Some("rebooting")
    );
    let after = wait_status(&c, "orders", "available").await;
    assert_eq!(after.availability_zone(), Some("us-east-1b"));
    assert_eq!(after.secondary_availability_zone(), Some("us-east-1a"));
    assert_eq!(after.endpoint().unwrap().address(), endpoint.address());
    assert_eq!(after.endpoint().unwrap().port(), endpoint.port());
    let db = connect(&after, "shop", "store").await;
    assert_eq!(orders(&db).await, expected);

    c.modify_db_instance()
        .db_instance_identifier("orders")
        .multi_az(false)
        .apply_immediately(true)
        .send()
        .await
        .expect("to Single-AZ");
    let single = wait_status(&c, "orders", "available").await;
    assert_eq!(single.multi_az(), Some(false));
    assert_eq!(single.secondary_availability_zone(), None);
    let err = c
        .reboot_db_instance()
        .db_instance_identifier("orders")
        .force_failover(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    assert_eq!(
        describe(&c, "orders").await.db_instance_status(),
        Some("available")
    );
    server.stop().await;
}

#[tokio::test]
async fn failover_db_cluster_flips_the_writer_and_keeps_the_endpoint() {
    let Some((server, _rds)) = start("failover_db_cluster_flips_the_writer_and_keeps_the_endpoint").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    c.create_db_cluster()
        .db_cluster_identifier("carts")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .send()
        .await
        .expect("create cluster");
    for member in ["carts-1", "carts-2"] {
        c.create_db_instance()
            .db_instance_identifier(member)
            .db_cluster_identifier("carts")
            .engine("aurora-postgresql")
            .db_instance_class("db.r6g.large")
            .send()
            .await
            .expect("create member");
    }
    let before = wait_cluster(&c, "carts").await;
    wait_status(&c, "carts-2", "available").await;
    let writer = |cl: &aws_sdk_rds::types::DbCluster| {
        cl.db_cluster_members()
            .iter()
            .find(|m| m.is_cluster_writer() == Some(true))
            .and_then(|m| m.db_instance_identifier())
            .map(str::to_owned)
    };
    assert_eq!(writer(&before).as_deref(), Some("carts-1"));

    c.failover_db_cluster()
        .db_cluster_identifier("carts")
        .send()
        .await
        .expect("failover");
    let after = wait_cluster(&c, "carts").await;
    assert_eq!(writer(&after).as_deref(), Some("carts-2"));
    assert_eq!(after.endpoint(), before.endpoint());
    assert_eq!(after.port(), before.port());

    c.failover_db_cluster()
        .db_cluster_identifier("carts")
        .target_db_instance_identifier("carts-1")
        .send()
        .await
        .expect("failover to a named member");
    assert_eq!(
        writer(&wait_cluster(&c, "carts").await).as_deref(),
        Some("carts-1")
    );

    let err = c
        .failover_db_cluster()
        .db_cluster_identifier("carts")
        .target_db_instance_identifier("elsewhere")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let err = c
        .failover_db_cluster()
        .db_cluster_identifier("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DBClusterNotFoundFault");
    server.stop().await;
}
