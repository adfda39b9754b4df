//! Tables: lifecycle and states, listing, updates, tags, validation, and
//! the server's answers to requests that are not DynamoDB calls at all.

use crate::common::*;
use aws_sdk_dynamodb::types::{
    BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeyType, LocalSecondaryIndex, Projection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, TableStatus, Tag,
};
use std::io::{Read, Write};

#[tokio::test]
async fn a_table_is_creating_then_active_then_deleting_then_gone() {
    let env = start().await;
    let out = env
        .client
        .create_table()
        .table_name("carts")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .tags(Tag::builder().key("app").value("shop").build().unwrap())
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(d.table_status(), Some(&TableStatus::Creating));
    assert_eq!(
        d.table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/carts")
    );
    assert_eq!(
        d.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );

    // Writes to a CREATING table fail as on AWS.
    let err = env
        .client
        .put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("a"))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    env.settle().await;
    let d = env
        .client
        .describe_table()
        .table_name("carts")
        .send()
        .await
        .unwrap();
    assert_eq!(d.table().unwrap().table_status(), Some(&TableStatus::Active));

    // Creating it again is refused.
    let err = env
        .client
        .create_table()
        .table_name("carts")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");

    let del = env
        .client
        .delete_table()
        .table_name("carts")
        .send()
        .await
        .unwrap();
    assert_eq!(
        del.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
    let d = env
        .client
        .describe_table()
        .table_name("carts")
        .send()
        .await
        .unwrap();
    assert_eq!(d.table().unwrap().table_status(), Some(&TableStatus::Deleting));
    env.settle().await;
    let err = env
        .client
        .describe_table()
        .table_name("carts")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(message(&err), "Requested resource not found");
}

#[tokio::test]
async fn list_tables_paginates_in_name_order() {
    let env = start().await;
    for name in ["t-c", "t-a", "t-e", "t-b", "t-d"] {
        env.table(name, None).await;
    }
    let page = env.client.list_tables().limit(2).send().await.unwrap();
    assert_eq!(page.table_names(), ["t-a", "t-b"]);
    assert_eq!(page.last_evaluated_table_name(), Some("t-b"));
    let page = env
        .client
        .list_tables()
        .limit(2)
        .exclusive_start_table_name("t-b")
        .send()
        .await
        .unwrap();
    assert_eq!(page.table_names(), ["t-c", "t-d"]);
    let page = env
        .client
        .list_tables()
        .exclusive_start_table_name("t-d")
        .send()
        .await
        .unwrap();
    assert_eq!(page.table_names(), ["t-e"]);
    assert_eq!(page.last_evaluated_table_name(), None);

    // Regions are separate.
    let west = env.client_in("us-west-2").await;
    assert!(west.list_tables().send().await.unwrap().table_names().is_empty());
}

#[tokio::test]
async fn create_table_validates_like_aws() {
    let env = start().await;
    let base = || {
        env.client
            .create_table()
            .table_name("bad")
            .attribute_definitions(def("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
    };
    // PROVISIONED (the default) needs throughput.
    let err = base().send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(message(&err).contains("ReadCapacityUnits and WriteCapacityUnits must both be specified"));
    // PAY_PER_REQUEST refuses throughput.
    let err = base()
        .billing_mode(BillingMode::PayPerRequest)
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(1)
                .write_capacity_units(1)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("Neither ReadCapacityUnits nor WriteCapacityUnits"));
    // Undefined key attribute.
    let err = env
        .client
        .create_table()
        .table_name("bad")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("other", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err).contains("Some index key attributes are not defined"),
        "{}",
        message(&err)
    );
    // Unused definition.
    let err = base()
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("extra", ScalarAttributeType::N))
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("Number of attributes in KeySchema does not exactly match"));
    // First key must be HASH.
    let err = env
        .client
        .create_table()
        .table_name("bad")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Range))
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("The first KeySchemaElement is not a HASH key type"));
    // LSI on a hash-only table.
    let err = base()
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("x", ScalarAttributeType::S))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("byX")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("x", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err).contains("does not have a range key"),
        "{}",
        message(&err)
    );
    // Provisioned table with a provisioned GSI works.
    let out = env
        .client
        .create_table()
        .table_name("prov")
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("g", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(3)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byG")
                .key_schema(key("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .provisioned_throughput(
                    ProvisionedThroughput::builder()
                        .read_capacity_units(1)
                        .write_capacity_units(1)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(d.provisioned_throughput().unwrap().read_capacity_units(), Some(5));
    assert_eq!(
        d.global_secondary_indexes()[0].index_status(),
        Some(&IndexStatus::Creating)
    );
}

#[tokio::test]
async fn update_table_switches_billing_and_adds_and_drops_gsis() {
    let env = start().await;
    env.table("orders", Some(ScalarAttributeType::S)).await;
    let out = env
        .client
        .update_table()
        .table_name("orders")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(10)
                .write_capacity_units(10)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.table_description()
            .unwrap()
            .billing_mode_summary()
            .unwrap()
            .billing_mode(),
        Some(&BillingMode::Provisioned)
    );
    env.client
        .put_item()
        .table_name("orders")
        .set_item(Some(item(&[
            ("pk", s("o1")),
            ("sk", s("a")),
            ("status", s("paid")),
        ])))
        .send()
        .await
        .unwrap();
    let out = env
        .client
        .update_table()
        .table_name("orders")
        .attribute_definitions(def("status", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("byStatus")
                        .key_schema(key("status", KeyType::Hash))
                        .projection(Projection::builder().projection_type(ProjectionType::All).build())
                        .provisioned_throughput(
                            ProvisionedThroughput::builder()
                                .read_capacity_units(1)
                                .write_capacity_units(1)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let gsi = &out.table_description().unwrap().global_secondary_indexes()[0];
    assert_eq!(gsi.index_status(), Some(&IndexStatus::Creating));
    // A backfilling index cannot be read yet.
    let err = env
        .client
        .query()
        .table_name("orders")
        .index_name("byStatus")
        .key_condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("paid"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    env.settle().await;
    let d = env
        .client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    let gsi = &d.table().unwrap().global_secondary_indexes()[0];
    assert_eq!(gsi.index_status(), Some(&IndexStatus::Active));
    assert_eq!(gsi.item_count(), Some(1));
    let q = env
        .client
        .query()
        .table_name("orders")
        .index_name("byStatus")
        .key_condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("paid"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count(), 1);

    env.client
        .update_table()
        .table_name("orders")
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("byStatus")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = env
        .client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    assert!(d.table().unwrap().global_secondary_indexes().is_empty());
}

#[tokio::test]
async fn tags_are_set_listed_and_removed() {
    let env = start().await;
    env.table("sessions", None).await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/sessions";
    env.client
        .tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key("backup").value("daily").build().unwrap())
        .tags(Tag::builder().key("team").value("web").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = env
        .client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);
    env.client
        .untag_resource()
        .resource_arn(arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = env
        .client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), "backup");
    assert_eq!(
        env.ddb.list_tables_with_tags("us-east-1"),
        vec![(arn.to_owned(), vec![("backup".to_owned(), "daily".to_owned())])]
    );
    let err = env
        .client
        .list_tags_of_resource()
        .resource_arn("arn:aws:dynamodb:us-east-1:000000000000:table/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

/// Sends one raw HTTP request and returns (status line, body).
fn raw(endpoint: &str, target: &str, body: &str) -> (String, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {target}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20260314/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    let status = out.lines().next().unwrap_or_default().to_owned();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[tokio::test]
async fn malformed_requests_get_aws_errors_and_the_server_stays_up() {
    let env = start().await;
    env.table("carts", None).await;
    env.client
        .put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("kept"))])))
        .send()
        .await
        .unwrap();
    let endpoint = env.server.endpoint.clone();
    let answers = tokio::task::spawn_blocking(move || {
        vec![
            raw(&endpoint, "DynamoDB_20120810.PutItem", "{not json"),
            raw(&endpoint, "DynamoDB_20120810.PutItem", r#"{"TableName": 5}"#),
            raw(
                &endpoint,
                "DynamoDB_20120810.PutItem",
                r#"{"TableName":"carts","Item":{"pk":{"X":"1"}}}"#,
            ),
            raw(&endpoint, "DynamoDB_20120810.NoSuchOp", "{}"),
            raw(&endpoint, "DynamoDB_20120810.ExecuteStatement", "{}"),
            raw(&endpoint, "Nonsense", "{}"),
        ]
    })
    .await
    .unwrap();
    let types: Vec<String> = answers
        .iter()
        .map(|(status, body)| {
            assert!(status.contains("400"), "{status} {body}");
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            v["__type"]
                .as_str()
                .unwrap()
                .rsplit('#')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        [
            "SerializationException",
            "SerializationException",
            "ValidationException",
            "UnknownOperationException",
            "UnknownOperationException",
            "UnknownOperationException"
        ]
    );
    assert!(answers[4].1.contains("not supported by firedrill"));
    // Still serving, nothing lost.
    let got = env
        .client
        .get_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("kept"))])))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_some());
}

#[tokio::test]
async fn time_to_live_expires_items() {
    use aws_sdk_dynamodb::types::TimeToLiveStatus;
    let env = start().await;
    env.table("sessions", None).await;
    env.enable_ttl("sessions", "expires").await;
    let d = env
        .client
        .describe_time_to_live()
        .table_name("sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.time_to_live_description().unwrap().time_to_live_status(),
        Some(&TimeToLiveStatus::Enabled)
    );
    let now = env.now().timestamp();
    for (k, exp) in [("old", now - 10), ("new", now + 3600)] {
        env.client
            .put_item()
            .table_name("sessions")
            .set_item(Some(item(&[("pk", s(k)), ("expires", n(exp))])))
            .send()
            .await
            .unwrap();
    }
    env.server.advance(chrono::Duration::minutes(1)).await;
    let left = scan_all(&env.client, "sessions").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["pk"], s("new"));
}
