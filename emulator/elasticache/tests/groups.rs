//! Replication groups through `aws-sdk-elasticache`: a primary and a replica
//! that really replicates it, group snapshots, a group restored from one,
//! ModifyReplicationGroup, DeleteReplicationGroup with a final snapshot,
//! and a region outage that stops the region's servers and brings them
//! back with every acknowledged write.

mod common;

use aws_sdk_elasticache::error::ProvideErrorMetadata;
use aws_sdk_elasticache::types::ReplicationGroup;
use common::*;

async fn group(c: &aws_sdk_elasticache::Client, id: &str) -> ReplicationGroup {
    c.describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .unwrap()
        .replication_groups()
        .first()
        .cloned()
        .unwrap()
}

async fn wait_group(c: &aws_sdk_elasticache::Client, id: &str, status: &str) -> ReplicationGroup {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let g = group(c, id).await;
        if g.status() == Some(status) {
            return g;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "group {id} is {:?}, wanted {status}",
            g.status()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn primary(g: &ReplicationGroup) -> redis::Connection {
    let ep = g.node_groups()[0].primary_endpoint().expect("a primary endpoint");
    redis_at(ep.address().unwrap(), ep.port().unwrap() as u16)
}

#[tokio::test]
async fn a_group_replicates_snapshots_restores_and_is_deleted() {
    let Some((server, service)) = start_slow("a_group_replicates_snapshots_restores_and_is_deleted").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let e = c
        .create_replication_group()
        .replication_group_id("shop")
        .replication_group_description("sessions")
        .automatic_failover_enabled(true)
        .num_cache_clusters(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    let e = c
        .create_replication_group()
        .replication_group_id("shop")
        .replication_group_description("sessions")
        .num_node_groups(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));
    assert!(service.server_pids().is_empty());

    let created = c
        .create_replication_group()
        .replication_group_id("shop")
        .replication_group_description("sessions")
        .num_cache_clusters(2)
        .snapshot_retention_limit(1)
        .send()
        .await
        .unwrap()
        .replication_group()
        .cloned()
        .unwrap();
    assert_eq!(created.status(), Some("creating"));
    assert_eq!(created.member_clusters(), ["shop-001", "shop-002"]);
    let e = c
        .create_replication_group()
        .replication_group_id("shop")
        .replication_group_description("again")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_replication_group_already_exists_fault()
    );
    eventually("both nodes start", || service.server_pids().len() == 2).await;
    server.advance(chrono::Duration::hours(1)).await;
    let g = wait_group(&c, "shop", "available").await;
    let members = g.node_groups()[0].node_group_members();
    let roles: Vec<_> = members.iter().filter_map(|m| m.current_role()).collect();
    assert_eq!(roles, ["primary", "replica"]);
    assert_eq!(
        describe(&c, "shop-002").await.replication_group_id(),
        Some("shop")
    );

    let mut writer = primary(&g);
    fill(&mut writer, "session", 200);
    let expected = dump(&mut writer);
    let reader_ep = g.node_groups()[0].reader_endpoint().unwrap();
    let mut reader = redis_at(reader_ep.address().unwrap(), reader_ep.port().unwrap() as u16);
    eventually("the replica has every key", || dump(&mut reader) == expected).await;

    let modified = c
        .modify_replication_group()
        .replication_group_id("shop")
        .snapshot_retention_limit(5)
        .snapshot_window("01:00-02:00")
        .send()
        .await
        .unwrap()
        .replication_group()
        .cloned()
        .unwrap();
    assert_eq!(modified.snapshot_retention_limit(), Some(5));
    assert_eq!(
        describe(&c, "shop-001").await.snapshot_window(),
        Some("01:00-02:00")
    );

    let snap = c
        .create_snapshot()
        .replication_group_id("shop")
        .snapshot_name("shop-snap")
        .send()
        .await
        .unwrap()
        .snapshot()
        .cloned()
        .unwrap();
    assert_eq!(snap.replication_group_id(), Some("shop"));
    assert_eq!(group(&c, "shop").await.status(), Some("snapshotting"));
    server.advance(chrono::Duration::hours(1)).await;
    wait_snapshot(&c, "shop-snap", "available").await;
    wait_group(&c, "shop", "available").await;

    c.create_replication_group()
        .replication_group_id("shop-restored")
        .replication_group_description("restored")
        .snapshot_name("shop-snap")
        .send()
        .await
        .unwrap();
    server.advance(chrono::Duration::hours(1)).await;
    let restored = wait_group(&c, "shop-restored", "available").await;
    assert_eq!(dump(&mut primary(&restored)), expected);

    let deleting = c
        .delete_replication_group()
        .replication_group_id("shop")
        .final_snapshot_identifier("shop-final")
        .send()
        .await
        .unwrap()
        .replication_group()
        .cloned()
        .unwrap();
    assert_eq!(deleting.status(), Some("deleting"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while c
        .describe_replication_groups()
        .replication_group_id("shop")
        .send()
        .await
        .is_ok()
    {
        assert!(std::time::Instant::now() < deadline, "the group was not deleted");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    wait_gone(&c, "shop-001").await;
    wait_gone(&c, "shop-002").await;
    server.advance(chrono::Duration::hours(1)).await;
    let final_snapshot = wait_snapshot(&c, "shop-final", "available").await;
    assert_eq!(final_snapshot.replication_group_id(), Some("shop"));
    server.stop().await;
}

#[tokio::test]
async fn a_region_outage_stops_its_servers_and_keeps_every_write() {
    let Some((server, service)) = start("a_region_outage_stops_its_servers_and_keeps_every_write").await
    else {
        return;
    };
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let a = create_cluster(&east, "east-cache").await;
    let b = create_cluster(&west, "west-cache").await;
    let mut conn = redis_of(&a);
    fill(&mut conn, "k", 100);
    let expected = dump(&mut conn);
    assert_eq!(service.server_pids().len(), 2);
    let port = a.cache_nodes()[0].endpoint().unwrap().port().unwrap() as u16;

    server.dispatcher.set_outage("us-east-1", true).await.unwrap();
    assert_eq!(service.server_pids().len(), 1, "only the east server stopped");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the east endpoint refuses connections in the outage"
    );
    let e = east.describe_cache_clusters().send().await.unwrap_err();
    assert_eq!(e.code(), Some("ServiceUnavailable"));
    let mut west_conn = redis_of(&b);
    let pong: String = redis::cmd("PING").query(&mut west_conn).unwrap();
    assert_eq!(pong, "PONG");

    server.dispatcher.set_outage("us-east-1", false).await.unwrap();
    assert_eq!(service.server_pids().len(), 2);
    let back = wait_status(&east, "east-cache", "available").await;
    assert_eq!(
        dump(&mut redis_of(&back)),
        expected,
        "every acknowledged write survives"
    );
    server.stop().await;
}
