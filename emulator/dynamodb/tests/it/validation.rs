//! Input AWS refuses and firedrill once accepted: oversized keys and items,
//! `{"NULL": false}`, empty attribute names, key attributes in a Query's
//! filter, and the order of RestoreTableToPointInTime's checks. Each
//! refusal leaves the table as it was.

use crate::common::*;
use crate::pitr::enable_pitr;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, ScalarAttributeType, WriteRequest};

const HASH_TOO_BIG: &str = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes";
const RANGE_TOO_BIG: &str = "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes";
const NULL_FALSE: &str =
    "One or more parameter values were invalid: Null attribute value types must have the value of true";

async fn count(env: &Env, table: &str) -> usize {
    scan_all(&env.client, table).await.len()
}

#[tokio::test]
async fn keys_over_the_size_limits_are_refused() {
    let env = start().await;
    env.table("sized", Some(ScalarAttributeType::S)).await;
    let c = &env.client;
    let put = |pk: String, sk: String| {
        c.put_item()
            .table_name("sized")
            .set_item(Some(item(&[("pk", s(&pk)), ("sk", s(&sk))])))
            .send()
    };
    // At the limits: stored.
    put("p".repeat(2048), "s".repeat(1024)).await.unwrap();
    // One byte over, counted in UTF-8 bytes.
    let err = put("p".repeat(2049), "s".into()).await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(message(&err), HASH_TOO_BIG);
    let err = put("é".repeat(1025), "s".into()).await.unwrap_err();
    assert_eq!(message(&err), HASH_TOO_BIG);
    let err = put("p".into(), "s".repeat(1025)).await.unwrap_err();
    assert_eq!(message(&err), RANGE_TOO_BIG);

    // Keys given as `Key` are refused the same way.
    let err = c
        .get_item()
        .table_name("sized")
        .set_key(Some(item(&[("pk", s(&"p".repeat(2049))), ("sk", s("s"))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), HASH_TOO_BIG);
    let err = c
        .update_item()
        .table_name("sized")
        .set_key(Some(item(&[("pk", s("p")), ("sk", s(&"s".repeat(1025)))])))
        .update_expression("SET a = :a")
        .expression_attribute_values(":a", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), RANGE_TOO_BIG);

    // A batch with one oversized key writes nothing.
    let req = |pk: String| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item(&[("pk", s(&pk)), ("sk", s("s"))])))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let err = c
        .batch_write_item()
        .request_items("sized", vec![req("ok".into()), req("p".repeat(2049))])
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), HASH_TOO_BIG);
    assert_eq!(count(&env, "sized").await, 1);
}

#[tokio::test]
async fn a_secondary_index_key_over_the_limit_is_refused() {
    let env = start().await;
    let c = &env.client;
    env.table_with_gsi("indexed", "byG", "g").await;
    let err = c
        .put_item()
        .table_name("indexed")
        .set_item(Some(item(&[("pk", s("p")), ("g", s(&"g".repeat(2049)))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), HASH_TOO_BIG);
    assert_eq!(count(&env, "indexed").await, 0);
}

#[tokio::test]
async fn items_over_400_kb_are_refused() {
    let env = start().await;
    env.table("big", None).await;
    let c = &env.client;
    // "pk" + "p" + "data" = 7 bytes besides the payload.
    let at_limit = 400 * 1024 - 7;
    c.put_item()
        .table_name("big")
        .set_item(Some(item(&[("pk", s("p")), ("data", s(&"x".repeat(at_limit)))])))
        .send()
        .await
        .unwrap();
    let err = c
        .put_item()
        .table_name("big")
        .set_item(Some(item(&[
            ("pk", s("q")),
            ("data", s(&"x".repeat(at_limit + 1))),
        ])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(message(&err), "Item size has exceeded the maximum allowed size");

    let err = c
        .update_item()
        .table_name("big")
        .set_key(Some(item(&[("pk", s("p"))])))
        .update_expression("SET more = :m")
        .expression_attribute_values(":m", s("y"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Item size to update has exceeded the maximum allowed size"
    );
    let stored = c
        .get_item()
        .table_name("big")
        .set_key(Some(item(&[("pk", s("p"))])))
        .send()
        .await
        .unwrap();
    assert!(!stored.item().unwrap().contains_key("more"));
    assert_eq!(count(&env, "big").await, 1);
}

#[tokio::test]
async fn null_false_is_refused() {
    let env = start().await;
    env.table("nulls", None).await;
    let c = &env.client;
    let err = c
        .put_item()
        .table_name("nulls")
        .set_item(Some(item(&[
            ("pk", s("p")),
            ("gone", AttributeValue::Null(false)),
        ])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(message(&err), NULL_FALSE);
    let err = c
        .put_item()
        .table_name("nulls")
        .set_item(Some(item(&[("pk", s("p"))])))
        .condition_expression("gone = :n")
        .expression_attribute_values(":n", AttributeValue::Null(false))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        format!("ExpressionAttributeValues contains invalid value: {NULL_FALSE} for key :n")
    );
    assert_eq!(count(&env, "nulls").await, 0);
    // `{"NULL": true}` is stored.
    c.put_item()
        .table_name("nulls")
        .set_item(Some(item(&[
            ("pk", s("p")),
            ("gone", AttributeValue::Null(true)),
        ])))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn empty_attribute_names_are_refused() {
    let env = start().await;
    env.table("names", None).await;
    let c = &env.client;
    let err = c
        .put_item()
        .table_name("names")
        .set_item(Some(item(&[("pk", s("p")), ("", s("v"))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Empty attribute name"
    );
    let err = c
        .update_item()
        .table_name("names")
        .set_key(Some(item(&[("pk", s("p"))])))
        .update_expression("SET #e = :v")
        .expression_attribute_names("#e", "")
        .expression_attribute_values(":v", s("v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #e"
    );
    assert_eq!(count(&env, "names").await, 0);
}

#[tokio::test]
async fn a_query_filter_on_key_attributes_is_refused() {
    let env = start().await;
    env.table("events", Some(ScalarAttributeType::N)).await;
    let c = &env.client;
    let query = |filter: &str| {
        c.query()
            .table_name("events")
            .key_condition_expression("pk = :p")
            .filter_expression(filter)
            .expression_attribute_values(":p", s("a"))
            .expression_attribute_values(":v", n(1))
            .send()
    };
    for (filter, attribute) in [("sk > :v", "sk"), ("qty = :v OR pk = :v", "pk")] {
        let err = query(filter).await.unwrap_err();
        assert_eq!(code(&err), "ValidationException");
        assert_eq!(
            message(&err),
            format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {attribute}"
            )
        );
    }
    query("qty = :v").await.unwrap();
    // A Scan may filter on keys.
    c.scan()
        .table_name("events")
        .filter_expression("sk > :v")
        .expression_attribute_values(":v", n(1))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn restore_checks_the_source_and_target_before_the_restore_time() {
    let env = start().await;
    env.table("plain", None).await;
    env.table("taken", None).await;
    env.table("orders", None).await;
    enable_pitr(&env, "orders", None).await;
    let c = &env.client;
    // No restore time at all: the tables are still checked first.
    let restore = |source: &str, target: &str| {
        c.restore_table_to_point_in_time()
            .source_table_name(source)
            .target_table_name(target)
            .send()
    };
    let err = restore("missing", "fresh").await.unwrap_err();
    assert_eq!(code(&err), "TableNotFoundException");
    let err = restore("missing", "taken").await.unwrap_err();
    assert_eq!(code(&err), "TableNotFoundException");
    let err = restore("orders", "taken").await.unwrap_err();
    assert_eq!(code(&err), "TableAlreadyExistsException");
    let err = restore("plain", "fresh").await.unwrap_err();
    assert_eq!(code(&err), "PointInTimeRecoveryUnavailableException");
    let err = restore("orders", "fresh").await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "Either RestoreDateTime or UseLatestRestorableTime must be specified"
    );
    let tables = c.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["orders", "plain", "taken"]);
}
