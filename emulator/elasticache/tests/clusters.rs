//! Cache clusters through `aws-sdk-elasticache`: the states a cluster goes
//! through (creating → available → deleting → gone), the endpoint a real
//! Redis client uses, ModifyCacheCluster, tags, DescribeCacheEngineVersions,
//! and AWS's errors for bad requests, answered before anything is created.

mod common;

use aws_sdk_elasticache::error::ProvideErrorMetadata;

use aws_sdk_elasticache::types::Tag;
use common::*;

#[tokio::test]
async fn a_cluster_is_created_serves_redis_is_modified_and_deleted() {
    let Some((server, service)) =
        start_slow("a_cluster_is_created_serves_redis_is_modified_and_deleted").await
    else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let created = c
        .create_cache_cluster()
        .cache_cluster_id("Sessions")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .num_cache_nodes(1)
        .snapshot_retention_limit(3)
        .snapshot_window("04:00-05:00")
        .tags(Tag::builder().key("app").value("shop").build())
        .send()
        .await
        .expect("create")
        .cache_cluster()
        .cloned()
        .unwrap();
    assert_eq!(created.cache_cluster_id(), Some("sessions"), "ids are lowercased");
    assert_eq!(created.cache_cluster_status(), Some("creating"));
    assert_eq!(created.engine(), Some("redis"));
    assert_eq!(created.engine_version(), Some("7.1"));
    assert_eq!(created.snapshot_retention_limit(), Some(3));
    assert_eq!(created.snapshot_window(), Some("04:00-05:00"));
    assert_eq!(
        created.arn(),
        Some("arn:aws:elasticache:us-east-1:000000000000:cluster:sessions")
    );
    eventually("the node starts", || service.server_pids().len() == 1).await;
    assert_eq!(
        describe(&c, "sessions").await.cache_cluster_status(),
        Some("creating")
    );

    server.advance(chrono::Duration::hours(1)).await;
    let available = wait_status(&c, "sessions", "available").await;
    let node = &available.cache_nodes()[0];
    assert_eq!(node.cache_node_id(), Some("0001"));
    assert_eq!(node.cache_node_status(), Some("available"));
    let mut redis = redis_of(&available);
    let () = redis::cmd("SET")
        .arg("cart:1")
        .arg("3 items")
        .query(&mut redis)
        .unwrap();
    let got: String = redis::cmd("GET").arg("cart:1").query(&mut redis).unwrap();
    assert_eq!(got, "3 items");

    let without_nodes = c
        .describe_cache_clusters()
        .send()
        .await
        .unwrap()
        .cache_clusters()
        .to_vec();
    assert_eq!(without_nodes.len(), 1);
    assert!(
        without_nodes[0].cache_nodes().is_empty(),
        "nodes only with ShowCacheNodeInfo"
    );

    let modified = c
        .modify_cache_cluster()
        .cache_cluster_id("sessions")
        .snapshot_retention_limit(7)
        .snapshot_window("22:00-23:30")
        .apply_immediately(true)
        .send()
        .await
        .unwrap()
        .cache_cluster()
        .cloned()
        .unwrap();
    assert_eq!(modified.snapshot_retention_limit(), Some(7));
    assert_eq!(
        describe(&c, "sessions").await.snapshot_window(),
        Some("22:00-23:30")
    );

    let arn = available.arn().unwrap().to_owned();
    c.add_tags_to_resource()
        .resource_name(&arn)
        .tags(Tag::builder().key("team").value("carts").build())
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_name(&arn)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<&str> = tags.tag_list().iter().filter_map(|t| t.key()).collect();
    keys.sort();
    assert_eq!(keys, ["app", "team"]);
    let left = c
        .remove_tags_from_resource()
        .resource_name(&arn)
        .tag_keys("app")
        .send()
        .await
        .unwrap();
    assert_eq!(left.tag_list().len(), 1);
    let missing = c
        .remove_tags_from_resource()
        .resource_name(&arn)
        .tag_keys("app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        missing.as_service_error().unwrap().meta().code(),
        Some("TagNotFound")
    );
    let bad_arn = c
        .list_tags_for_resource()
        .resource_name("sessions")
        .send()
        .await
        .unwrap_err();
    assert!(bad_arn.as_service_error().unwrap().is_invalid_arn_fault());

    let pid = service.server_pids()[0];
    let deleting = c
        .delete_cache_cluster()
        .cache_cluster_id("sessions")
        .send()
        .await
        .unwrap()
        .cache_cluster()
        .cloned()
        .unwrap();
    assert_eq!(deleting.cache_cluster_status(), Some("deleting"));
    wait_gone(&c, "sessions").await;
    eventually("the server stops", || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    })
    .await;
    assert!(service.server_pids().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_aws_errors_and_change_nothing() {
    let Some((server, service)) = start_slow("bad_requests_get_aws_errors_and_change_nothing").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    for (id, engine, nodes, retention, window) in [
        ("1-starts-with-digit", "redis", 1, 0, "05:00-06:00"),
        ("double--hyphen", "redis", 1, 0, "05:00-06:00"),
        ("ok", "memcached", 1, 0, "05:00-06:00"),
        ("ok", "redis", 2, 0, "05:00-06:00"),
        ("ok", "redis", 1, 36, "05:00-06:00"),
        ("ok", "redis", 1, 1, "05:00-05:30"),
    ] {
        let e = c
            .create_cache_cluster()
            .cache_cluster_id(id)
            .engine(engine)
            .num_cache_nodes(nodes)
            .snapshot_retention_limit(retention)
            .snapshot_window(window)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            e.code().unwrap_or_default(),
            "InvalidParameterValue",
            "{id} {engine} {nodes} {retention} {window}"
        );
    }
    let e = c
        .create_cache_cluster()
        .cache_cluster_id("both")
        .snapshot_name("s")
        .snapshot_arns("arn:aws:s3:::bucket/dump.rdb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code().unwrap_or_default(), "InvalidParameterCombination");
    let e = c
        .create_cache_cluster()
        .cache_cluster_id("from-nothing")
        .snapshot_name("no-such-snapshot")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().is_some());
    assert_eq!(e.code().unwrap_or_default(), "SnapshotNotFoundFault");
    assert!(
        service.server_pids().is_empty(),
        "no refused request started a server"
    );
    let listed = c.describe_cache_clusters().send().await.unwrap();
    assert!(
        listed.cache_clusters().is_empty(),
        "no refused request left a record"
    );

    c.create_cache_cluster()
        .cache_cluster_id("taken")
        .send()
        .await
        .unwrap();
    let e = c
        .create_cache_cluster()
        .cache_cluster_id("taken")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_cache_cluster_already_exists_fault()
    );
    let e = c
        .delete_cache_cluster()
        .cache_cluster_id("taken")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_invalid_cache_cluster_state_fault(),
        "a creating cluster cannot be deleted"
    );
    let e = c
        .create_snapshot()
        .cache_cluster_id("taken")
        .snapshot_name("early")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_invalid_cache_cluster_state_fault()
    );
    let e = c
        .describe_cache_clusters()
        .cache_cluster_id("absent")
        .send()
        .await
        .unwrap_err();
    let service_error = e.as_service_error().unwrap();
    assert!(service_error.is_cache_cluster_not_found_fault());
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);
    let e = c
        .describe_cache_clusters()
        .cache_cluster_id("bad_id")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code().unwrap_or_default(), "InvalidParameterValue");
    let e = c
        .describe_replication_groups()
        .replication_group_id("absent")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_replication_group_not_found_fault()
    );
    let e = c
        .delete_cache_cluster()
        .cache_cluster_id("absent")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_cache_cluster_not_found_fault());
    let e = c.create_snapshot().snapshot_name("s").send().await.unwrap_err();
    assert_eq!(e.code().unwrap_or_default(), "InvalidParameterCombination");
    server.stop().await;
}

#[tokio::test]
async fn engine_versions_list_redis_and_valkey() {
    let Some((server, _service)) = start("engine_versions_list_redis_and_valkey").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let all = c.describe_cache_engine_versions().send().await.unwrap();
    let engines: std::collections::BTreeSet<&str> = all
        .cache_engine_versions()
        .iter()
        .filter_map(|v| v.engine())
        .collect();
    assert_eq!(engines.into_iter().collect::<Vec<_>>(), ["redis", "valkey"]);
    let defaults = c
        .describe_cache_engine_versions()
        .engine("valkey")
        .default_only(true)
        .send()
        .await
        .unwrap();
    let v = &defaults.cache_engine_versions()[0];
    assert_eq!(
        (v.engine_version(), v.cache_parameter_group_family()),
        (Some("8.0"), Some("valkey8"))
    );

    let valkey = c
        .create_cache_cluster()
        .cache_cluster_id("vk")
        .engine("valkey")
        .send()
        .await
        .unwrap()
        .cache_cluster()
        .cloned()
        .unwrap();
    assert_eq!(
        (valkey.engine(), valkey.engine_version()),
        (Some("valkey"), Some("8.0"))
    );
    let ready = wait_status(&c, "vk", "available").await;
    let mut conn = redis_of(&ready);
    let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
    assert_eq!(pong, "PONG", "valkey is served by the same redis-server");
    server.stop().await;
}
