//! Items: single-item reads and writes with conditions and return values,
//! update expressions, queries and scans on tables and indexes, batches,
//! transactions, and AWS's validation errors.

use crate::common::*;
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, ConditionCheck, Delete, DeleteRequest, Get, GlobalSecondaryIndex, KeyType,
    KeysAndAttributes, LocalSecondaryIndex, Projection, ProjectionType, Put, PutRequest,
    ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType, Select,
    TransactGetItem, TransactWriteItem, Update, WriteRequest,
};

fn put(pk: &str) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item(&[("pk", s(pk))])))
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test]
async fn put_get_delete_with_conditions_and_return_values() {
    let env = start().await;
    env.table("carts", None).await;
    let c = &env.client;
    let out = c
        .put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1")), ("qty", n("1.50"))])))
        .condition_expression("attribute_not_exists(pk)")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.consumed_capacity().unwrap().capacity_units(), Some(1.0));
    // Numbers come back normalised.
    let got = c
        .get_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["qty"], n("1.5"));

    let err = c
        .put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1")), ("qty", n(2))])))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ConditionalCheckFailedException");
    let aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(ccf) =
        err.into_service_error()
    else {
        panic!("not a ConditionalCheckFailedException");
    };
    assert_eq!(ccf.item().unwrap()["qty"], n("1.5"));

    let out = c
        .put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1")), ("qty", n(2))])))
        .condition_expression("qty < :max")
        .expression_attribute_values(":max", n(10))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["qty"], n("1.5"));

    let out = c
        .delete_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["qty"], n(2));
    let got = c
        .get_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_none());
    let err = c
        .delete_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .condition_expression("attribute_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ConditionalCheckFailedException");
}

#[tokio::test]
async fn update_expressions_and_return_values() {
    let env = start().await;
    env.table("orders", None).await;
    let c = &env.client;
    let key = || Some(item(&[("pk", s("o1"))]));
    let out = c
        .update_item()
        .table_name("orders")
        .set_key(key())
        .update_expression("SET amount = if_not_exists(amount, :zero) + :amt, skus = list_append(if_not_exists(skus, :empty), :line), #st = :new ADD tags :tags")
        .expression_attribute_names("#st", "status")
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":amt", n(25))
        .expression_attribute_values(":empty", AttributeValue::L(vec![]))
        .expression_attribute_values(":line", AttributeValue::L(vec![s("sku-1")]))
        .expression_attribute_values(":new", s("open"))
        .expression_attribute_values(":tags", AttributeValue::Ss(vec!["a".into(), "b".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let a = out.attributes().unwrap();
    assert_eq!(a["pk"], s("o1"));
    assert_eq!(a["amount"], n(25));
    assert_eq!(a["skus"], AttributeValue::L(vec![s("sku-1")]));
    assert_eq!(a["status"], s("open"));

    let out = c
        .update_item()
        .table_name("orders")
        .set_key(key())
        .update_expression("SET amount = amount - :d REMOVE skus DELETE tags :a")
        .condition_expression("#st = :open AND amount BETWEEN :lo AND :hi")
        .expression_attribute_names("#st", "status")
        .expression_attribute_values(":d", n(5))
        .expression_attribute_values(":a", AttributeValue::Ss(vec!["a".into()]))
        .expression_attribute_values(":open", s("open"))
        .expression_attribute_values(":lo", n(1))
        .expression_attribute_values(":hi", n(100))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    let a = out.attributes().unwrap();
    assert_eq!(a["amount"], n(25));
    assert!(a.contains_key("skus"));
    assert!(!a.contains_key("status"));

    let out = c
        .update_item()
        .table_name("orders")
        .set_key(key())
        .update_expression("ADD amount :one")
        .expression_attribute_values(":one", n(1))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["amount"], n(21));
    let got = c
        .get_item()
        .table_name("orders")
        .set_key(key())
        .send()
        .await
        .unwrap();
    let i = got.item().unwrap();
    assert_eq!(i["tags"], AttributeValue::Ss(vec!["b".into()]));
    assert!(!i.contains_key("skus"));

    // Key attributes cannot be updated; unused values are refused.
    let err = c
        .update_item()
        .table_name("orders")
        .set_key(key())
        .update_expression("SET pk = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err).contains("This attribute is part of the key"),
        "{}",
        message(&err)
    );
    let err = c
        .update_item()
        .table_name("orders")
        .set_key(key())
        .update_expression("SET a = :v")
        .expression_attribute_values(":v", s("x"))
        .expression_attribute_values(":unused", s("y"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(message(&err).contains("unused"), "{}", message(&err));
}

#[tokio::test]
async fn query_orders_numbers_numerically_and_paginates() {
    let env = start().await;
    env.table("events", Some(ScalarAttributeType::N)).await;
    let c = &env.client;
    for sk in [10, 9, 100, -5, 0, 2, 33, 7] {
        c.put_item()
            .table_name("events")
            .set_item(Some(item(&[
                ("pk", s("u1")),
                ("sk", n(sk)),
                ("odd", AttributeValue::Bool(sk % 2 != 0)),
            ])))
            .send()
            .await
            .unwrap();
    }
    c.put_item()
        .table_name("events")
        .set_item(Some(item(&[("pk", s("u2")), ("sk", n(1))])))
        .send()
        .await
        .unwrap();
    let q = |fwd: bool| {
        c.query()
            .table_name("events")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("u1"))
            .scan_index_forward(fwd)
    };
    let sks =
        |items: &[Item]| -> Vec<String> { items.iter().map(|i| i["sk"].as_n().unwrap().clone()).collect() };
    let all = q(true).send().await.unwrap();
    assert_eq!(sks(all.items()), ["-5", "0", "2", "7", "9", "10", "33", "100"]);
    let back = q(false).send().await.unwrap();
    assert_eq!(sks(back.items()), ["100", "33", "10", "9", "7", "2", "0", "-5"]);

    // Pages of 3, forward and backward.
    for fwd in [true, false] {
        let mut seen = Vec::new();
        let mut start = None;
        for _ in 0..10 {
            let page = q(fwd)
                .limit(3)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            assert!(page.count() <= 3);
            seen.extend(sks(page.items()));
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let expected = if fwd { sks(all.items()) } else { sks(back.items()) };
        assert_eq!(seen, expected);
    }

    // Sort key conditions, filters, projections, COUNT.
    let r = c
        .query()
        .table_name("events")
        .key_condition_expression("pk = :p AND sk BETWEEN :a AND :b")
        .filter_expression("odd = :t")
        .projection_expression("sk")
        .expression_attribute_values(":p", s("u1"))
        .expression_attribute_values(":a", n(0))
        .expression_attribute_values(":b", n(33))
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    assert_eq!(sks(r.items()), ["7", "9", "33"]);
    assert_eq!(r.scanned_count(), 6);
    assert_eq!(r.items()[0].len(), 1);
    let r = c
        .query()
        .table_name("events")
        .key_condition_expression("pk = :p AND sk > :a")
        .expression_attribute_values(":p", s("u1"))
        .expression_attribute_values(":a", n(9))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(r.count(), 3);
    assert!(r.items().is_empty());

    let err = c
        .query()
        .table_name("events")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test]
async fn indexes_are_queried_in_index_order_with_their_projection() {
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("orders")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::S))
        .attribute_definitions(def("status", ScalarAttributeType::S))
        .attribute_definitions(def("placed", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byStatus")
                .key_schema(key("status", KeyType::Hash))
                .key_schema(key("placed", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("byPlaced")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("placed", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    env.settle().await;
    let rows = [
        ("c1", "o1", "paid", 30),
        ("c1", "o2", "open", 10),
        ("c2", "o3", "paid", 20),
        ("c1", "o4", "paid", 5),
    ];
    for (pk, sk, st, placed) in rows {
        c.put_item()
            .table_name("orders")
            .set_item(Some(item(&[
                ("pk", s(pk)),
                ("sk", s(sk)),
                ("status", s(st)),
                ("placed", n(placed)),
                ("note", s("x")),
            ])))
            .send()
            .await
            .unwrap();
    }
    // An item without the index key is not in the index.
    c.put_item()
        .table_name("orders")
        .set_item(Some(item(&[("pk", s("c3")), ("sk", s("o9"))])))
        .send()
        .await
        .unwrap();
    let r = c
        .query()
        .table_name("orders")
        .index_name("byStatus")
        .key_condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("paid"))
        .send()
        .await
        .unwrap();
    let placed: Vec<&String> = r.items().iter().map(|i| i["placed"].as_n().unwrap()).collect();
    assert_eq!(placed, ["5", "20", "30"]);
    assert!(!r.items()[0].contains_key("note"), "KEYS_ONLY projects keys only");
    // Paginating an index.
    let p1 = c
        .query()
        .table_name("orders")
        .index_name("byStatus")
        .key_condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("paid"))
        .limit(2)
        .send()
        .await
        .unwrap();
    let lek = p1.last_evaluated_key().unwrap().clone();
    assert_eq!(lek.len(), 4, "index and table keys: {lek:?}");
    let p2 = c
        .query()
        .table_name("orders")
        .index_name("byStatus")
        .key_condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("paid"))
        .set_exclusive_start_key(Some(lek))
        .send()
        .await
        .unwrap();
    assert_eq!(p2.items().len(), 1);
    assert_eq!(p2.items()[0]["placed"], n(30));
    let r = c
        .query()
        .table_name("orders")
        .index_name("byPlaced")
        .key_condition_expression("pk = :c AND placed < :x")
        .expression_attribute_values(":c", s("c1"))
        .expression_attribute_values(":x", n(20))
        .send()
        .await
        .unwrap();
    let sks: Vec<&String> = r.items().iter().map(|i| i["sk"].as_s().unwrap()).collect();
    assert_eq!(sks, ["o4", "o2"]);
    assert!(r.items()[0].contains_key("note"));
    let err = c
        .query()
        .table_name("orders")
        .index_name("nope")
        .key_condition_expression("pk = :c")
        .expression_attribute_values(":c", s("c1"))
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("does not have the specified index"));
    // A mistyped index key is refused on write.
    let err = c
        .put_item()
        .table_name("orders")
        .set_item(Some(item(&[("pk", s("c1")), ("sk", s("o5")), ("status", n(1))])))
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err).contains("Type mismatch for Index Key status"),
        "{}",
        message(&err)
    );
}

#[tokio::test]
async fn scan_paginates_filters_and_splits_into_segments() {
    let env = start().await;
    env.table("sessions", None).await;
    let c = &env.client;
    for i in 0..50 {
        c.put_item()
            .table_name("sessions")
            .set_item(Some(item(&[("pk", s(&format!("s{i:02}"))), ("n", n(i))])))
            .send()
            .await
            .unwrap();
    }
    let all = scan_all(c, "sessions").await;
    assert_eq!(all.len(), 50);
    let mut total = 0;
    let mut seen = std::collections::BTreeSet::new();
    for seg in 0..4 {
        let mut start = None;
        for _ in 0..100 {
            let page = c
                .scan()
                .table_name("sessions")
                .segment(seg)
                .total_segments(4)
                .limit(7)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            total += page.count();
            for i in page.items() {
                assert!(seen.insert(i["pk"].as_s().unwrap().clone()), "segments overlap");
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
    }
    assert_eq!(total, 50);
    let r = c
        .scan()
        .table_name("sessions")
        .filter_expression("n >= :x")
        .expression_attribute_values(":x", n(45))
        .send()
        .await
        .unwrap();
    assert_eq!(r.count(), 5);
    assert_eq!(r.scanned_count(), 50);
    let err = c
        .scan()
        .table_name("sessions")
        .segment(4)
        .total_segments(4)
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("must be less than parameter TotalSegments"));
}

#[tokio::test]
async fn batches_respect_their_limits() {
    let env = start().await;
    env.table("carts", None).await;
    let c = &env.client;
    let reqs: Vec<WriteRequest> = (0..25).map(|i| put(&format!("c{i}"))).collect();
    let out = c
        .batch_write_item()
        .request_items("carts", reqs)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    let too_many: Vec<WriteRequest> = (0..26).map(|i| put(&format!("c{i}"))).collect();
    let err = c
        .batch_write_item()
        .request_items("carts", too_many)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Too many items requested for the BatchWriteItem call"
    );
    let dup = vec![put("c1"), put("c1")];
    let err = c
        .batch_write_item()
        .request_items("carts", dup)
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "Provided list of item keys contains duplicates");

    let mut keys = KeysAndAttributes::builder();
    for i in 0..30 {
        keys = keys.keys(item(&[("pk", s(&format!("c{i}")))]));
    }
    let out = c
        .batch_get_item()
        .request_items("carts", keys.build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.responses().unwrap()["carts"].len(), 25);
    assert!(out.unprocessed_keys().is_none_or(|u| u.is_empty()));
    let mut keys = KeysAndAttributes::builder();
    for i in 0..101 {
        keys = keys.keys(item(&[("pk", s(&format!("c{i}")))]));
    }
    let err = c
        .batch_get_item()
        .request_items("carts", keys.build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Too many items requested for the BatchGetItem call"
    );

    let dels: Vec<WriteRequest> = (0..10)
        .map(|i| {
            WriteRequest::builder()
                .delete_request(
                    DeleteRequest::builder()
                        .set_key(Some(item(&[("pk", s(&format!("c{i}")))])))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    c.batch_write_item()
        .request_items("carts", dels)
        .send()
        .await
        .unwrap();
    assert_eq!(scan_all(c, "carts").await.len(), 15);
    // A refused batch writes nothing.
    let bad = vec![
        put("new-1"),
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item(&[("pk", n(1))])))
                    .build()
                    .unwrap(),
            )
            .build(),
    ];
    c.batch_write_item()
        .request_items("carts", bad)
        .send()
        .await
        .unwrap_err();
    assert_eq!(scan_all(c, "carts").await.len(), 15);
}

#[tokio::test]
async fn transactions_are_all_or_nothing() {
    let env = start().await;
    env.table("accounts", None).await;
    let c = &env.client;
    c.put_item()
        .table_name("accounts")
        .set_item(Some(item(&[("pk", s("a")), ("bal", n(100))])))
        .send()
        .await
        .unwrap();
    let transfer = |amount: i64| {
        c.transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name("accounts")
                            .set_key(Some(item(&[("pk", s("a"))])))
                            .update_expression("SET bal = bal - :x")
                            .condition_expression("bal >= :x")
                            .expression_attribute_values(":x", n(amount))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name("accounts")
                            .set_item(Some(item(&[("pk", s("b")), ("bal", n(amount))])))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
    };
    transfer(60).send().await.unwrap();
    let err = transfer(60).send().await.unwrap_err();
    assert_eq!(code(&err), "TransactionCanceledException");
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tce) =
        err.into_service_error()
    else {
        panic!("not a TransactionCanceledException");
    };
    let codes: Vec<&str> = tce
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["ConditionalCheckFailed", "None"]);
    let get = |k: &str| {
        TransactGetItem::builder()
            .get(
                Get::builder()
                    .table_name("accounts")
                    .set_key(Some(item(&[("pk", s(k))])))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let out = c
        .transact_get_items()
        .transact_items(get("a"))
        .transact_items(get("b"))
        .send()
        .await
        .unwrap();
    let r = out.responses();
    assert_eq!(r[0].item().unwrap()["bal"], n(40));
    assert_eq!(r[1].item().unwrap()["bal"], n(60));

    // Condition checks and deletes; the same item twice is refused.
    c.transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name("accounts")
                        .set_key(Some(item(&[("pk", s("a"))])))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name("accounts")
                        .set_key(Some(item(&[("pk", s("b"))])))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(scan_all(c, "accounts").await.len(), 1);
    let twice = c
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name("accounts")
                        .set_key(Some(item(&[("pk", s("a"))])))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("accounts")
                        .set_item(Some(item(&[("pk", s("a"))])))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(message(&twice).contains("multiple operations on one item"));
}

#[tokio::test]
async fn bad_items_get_aws_validation_messages() {
    let env = start().await;
    env.table("tab1", Some(ScalarAttributeType::S)).await;
    let c = &env.client;
    let get = |k: Item| c.get_item().table_name("tab1").set_key(Some(k)).send();
    let err = get(item(&[("pk", s("a"))])).await.unwrap_err();
    assert_eq!(message(&err), "One of the required keys was not given a value");
    let err = get(item(&[("pk", s("a")), ("sk", n(1))])).await.unwrap_err();
    assert_eq!(
        message(&err),
        "The provided key element does not match the schema"
    );
    let err = get(item(&[("pk", s("a")), ("sk", s("b")), ("x", s("c"))]))
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "The provided key element does not match the schema"
    );
    let err = c
        .put_item()
        .table_name("tab1")
        .set_item(Some(item(&[("pk", s("")), ("sk", s("b"))])))
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err).contains("cannot contain an empty string value"),
        "{}",
        message(&err)
    );
    let err = c
        .put_item()
        .table_name("tab1")
        .set_item(Some(item(&[("pk", s("a"))])))
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).contains("Missing the key sk"), "{}", message(&err));
    let big = "x".repeat(401 * 1024);
    let err = c
        .put_item()
        .table_name("tab1")
        .set_item(Some(item(&[("pk", s("a")), ("sk", s("b")), ("blob", s(&big))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "Item size has exceeded the maximum allowed size");
    let err = c
        .put_item()
        .table_name("nope")
        .set_item(Some(item(&[("pk", s("a"))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let err = c
        .put_item()
        .table_name("tab1")
        .set_item(Some(item(&[("pk", s("a")), ("sk", s("b"))])))
        .condition_expression("#missing = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    // Nothing was written by any of these.
    assert!(scan_all(c, "tab1").await.is_empty());
}

#[tokio::test]
async fn a_transaction_token_is_idempotent_for_ten_minutes() {
    let env = start().await;
    env.table("counters", None).await;
    let c = &env.client;
    let bump = |by: i64| {
        c.transact_write_items()
            .client_request_token("token-1")
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name("counters")
                            .set_key(Some(item(&[("pk", s("hits"))])))
                            .update_expression("ADD hits :one")
                            .expression_attribute_values(":one", n(by))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    bump(1).await.unwrap();
    bump(1).await.unwrap();
    let got = c
        .get_item()
        .table_name("counters")
        .set_key(Some(item(&[("pk", s("hits"))])))
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.item().unwrap()["hits"],
        n(1),
        "the retry was not applied again"
    );
    let err = bump(2).await.unwrap_err();
    assert_eq!(code(&err), "IdempotentParameterMismatchException");
    env.server.advance(chrono::Duration::minutes(11)).await;
    bump(2).await.unwrap();
    let got = c
        .get_item()
        .table_name("counters")
        .set_key(Some(item(&[("pk", s("hits"))])))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["hits"], n(3));
}

#[tokio::test]
async fn condition_filter_and_projection_expression_families() {
    let env = start().await;
    env.table("catalog", None).await;
    let c = &env.client;
    let products = [
        ("p1", "shirt-red", 20, vec!["summer", "sale"]),
        ("p2", "shirt-blue", 25, vec!["summer"]),
        ("p3", "coat", 120, vec!["winter"]),
        ("p4", "scarf", 15, vec!["winter", "sale"]),
    ];
    for (pk, name, price, tags) in &products {
        c.put_item()
            .table_name("catalog")
            .set_item(Some(item(&[
                ("pk", s(pk)),
                ("title", s(name)),
                ("price", n(price)),
                (
                    "tags",
                    AttributeValue::Ss(tags.iter().map(|t| (*t).to_owned()).collect()),
                ),
                (
                    "dims",
                    AttributeValue::M(item(&[
                        ("w", n(price / 5)),
                        ("sizes", AttributeValue::L(vec![s("S"), s("M")])),
                    ])),
                ),
            ])))
            .send()
            .await
            .unwrap();
    }
    let filter = |expr: &str, values: &[(&str, AttributeValue)]| {
        let mut req = c.scan().table_name("catalog").filter_expression(expr);
        for (k, v) in values {
            req = req.expression_attribute_values(*k, v.clone());
        }
        async move {
            let mut ids: Vec<String> = req
                .send()
                .await
                .unwrap()
                .items()
                .iter()
                .map(|i| i["pk"].as_s().unwrap().clone())
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(
        filter("begins_with(title, :p)", &[(":p", s("shirt"))]).await,
        ["p1", "p2"]
    );
    assert_eq!(
        filter("contains(tags, :t)", &[(":t", s("sale"))]).await,
        ["p1", "p4"]
    );
    assert_eq!(filter("size(title) > :n", &[(":n", n(5))]).await, ["p1", "p2"]);
    assert_eq!(
        filter("price IN (:a, :b)", &[(":a", n(15)), (":b", n(120))]).await,
        ["p3", "p4"]
    );
    assert_eq!(
        filter("attribute_type(price, :t)", &[(":t", s("N"))]).await,
        ["p1", "p2", "p3", "p4"]
    );
    assert_eq!(
        filter(
            "NOT contains(tags, :w) AND (price < :lo OR price <> :x)",
            &[(":w", s("winter")), (":lo", n(21)), (":x", n(25))]
        )
        .await,
        ["p1"]
    );
    assert_eq!(filter("dims.w >= :w", &[(":w", n(5))]).await, ["p2", "p3"]);
    assert_eq!(
        filter("attribute_exists(dims.sizes[1])", &[]).await,
        ["p1", "p2", "p3", "p4"]
    );

    let got = c
        .get_item()
        .table_name("catalog")
        .set_key(Some(item(&[("pk", s("p3"))])))
        .projection_expression("title, dims.sizes[0], #p")
        .expression_attribute_names("#p", "price")
        .send()
        .await
        .unwrap();
    let i = got.item().unwrap();
    assert_eq!(i.len(), 3);
    assert_eq!(
        i["dims"],
        AttributeValue::M(item(&[("sizes", AttributeValue::L(vec![s("S")]))]))
    );

    let mut keys = KeysAndAttributes::builder().projection_expression("pk, price");
    for pk in ["p1", "p4", "missing"] {
        keys = keys.keys(item(&[("pk", s(pk))]));
    }
    let out = c
        .batch_get_item()
        .request_items("catalog", keys.build().unwrap())
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let found = &out.responses().unwrap()["catalog"];
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|i| i.len() == 2));
    assert_eq!(out.consumed_capacity().len(), 1);

    let err = c
        .put_item()
        .table_name("catalog")
        .set_item(Some(item(&[("pk", s("p1"))])))
        .condition_expression("price BETWEEN :hi AND :lo")
        .expression_attribute_values(":hi", n(100))
        .expression_attribute_values(":lo", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = c
        .scan()
        .table_name("catalog")
        .filter_expression("price >")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test]
async fn an_index_follows_updates_and_deletes() {
    let env = start().await;
    let c = &env.client;
    env.table_with_gsi("tickets", "byState", "state").await;
    for i in 0..6 {
        c.put_item()
            .table_name("tickets")
            .set_item(Some(item(&[("pk", s(&format!("t{i}"))), ("state", s("open"))])))
            .send()
            .await
            .unwrap();
    }
    let count = |state: &'static str| async move {
        c.query()
            .table_name("tickets")
            .index_name("byState")
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":s", s(state))
            .send()
            .await
            .unwrap()
            .count()
    };
    assert_eq!(count("open").await, 6);
    for i in 0..2 {
        c.update_item()
            .table_name("tickets")
            .set_key(Some(item(&[("pk", s(&format!("t{i}")))])))
            .update_expression("SET #s = :c")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":c", s("closed"))
            .send()
            .await
            .unwrap();
    }
    c.update_item()
        .table_name("tickets")
        .set_key(Some(item(&[("pk", s("t2"))])))
        .update_expression("REMOVE #s")
        .expression_attribute_names("#s", "state")
        .send()
        .await
        .unwrap();
    c.delete_item()
        .table_name("tickets")
        .set_key(Some(item(&[("pk", s("t3"))])))
        .send()
        .await
        .unwrap();
    assert_eq!(count("open").await, 2);
    assert_eq!(count("closed").await, 2);
    let all = c
        .scan()
        .table_name("tickets")
        .index_name("byState")
        .send()
        .await
        .unwrap();
    assert_eq!(all.count(), 4);
}
