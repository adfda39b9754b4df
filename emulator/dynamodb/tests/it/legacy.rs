//! The legacy parameters older code and the boto3 resource layer send
//! (`Expected`, `AttributeUpdates`, `KeyConditions`, `QueryFilter`,
//! `ScanFilter`, `ConditionalOperator`, `AttributesToGet`), and AWS's
//! refusals when they are mixed with expressions.

use crate::common::*;
use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue, AttributeValueUpdate, ComparisonOperator, Condition,
    ConditionalOperator, ExpectedAttributeValue, KeysAndAttributes, ScalarAttributeType,
};

fn exists(yes: bool) -> ExpectedAttributeValue {
    ExpectedAttributeValue::builder().exists(yes).build()
}

fn compare(op: ComparisonOperator, values: Vec<AttributeValue>) -> ExpectedAttributeValue {
    ExpectedAttributeValue::builder()
        .comparison_operator(op)
        .set_attribute_value_list(Some(values))
        .build()
}

fn cond(op: ComparisonOperator, values: Vec<AttributeValue>) -> Condition {
    Condition::builder()
        .comparison_operator(op)
        .set_attribute_value_list(Some(values))
        .build()
        .unwrap()
}

fn update(action: AttributeAction, value: Option<AttributeValue>) -> AttributeValueUpdate {
    AttributeValueUpdate::builder()
        .action(action)
        .set_value(value)
        .build()
}

#[tokio::test]
async fn expected_guards_puts_and_deletes() {
    let env = start().await;
    env.table("carts", None).await;
    let c = &env.client;
    let put = |qty: i64| {
        c.put_item()
            .table_name("carts")
            .set_item(Some(item(&[("pk", s("c1")), ("qty", n(qty))])))
    };
    put(1).expected("pk", exists(false)).send().await.unwrap();
    let err = put(2).expected("pk", exists(false)).send().await.unwrap_err();
    assert_eq!(code(&err), "ConditionalCheckFailedException");
    // A value alone means "equals".
    put(3)
        .expected("qty", ExpectedAttributeValue::builder().value(n(1)).build())
        .send()
        .await
        .unwrap();
    // Two conditions, joined by OR.
    put(4)
        .expected("qty", compare(ComparisonOperator::Gt, vec![n(10)]))
        .expected("pk", compare(ComparisonOperator::BeginsWith, vec![s("c")]))
        .conditional_operator(ConditionalOperator::Or)
        .send()
        .await
        .unwrap();
    let err = put(5)
        .expected("qty", compare(ComparisonOperator::Gt, vec![n(10)]))
        .expected("pk", compare(ComparisonOperator::BeginsWith, vec![s("c")]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ConditionalCheckFailedException");

    let err = c
        .delete_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .expected("qty", compare(ComparisonOperator::Between, vec![n(5), n(9)]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ConditionalCheckFailedException");
    c.delete_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .expected("qty", compare(ComparisonOperator::In, vec![n(3), n(4)]))
        .send()
        .await
        .unwrap();
    assert!(scan_all(c, "carts").await.is_empty());

    // Refusals, before anything is written.
    let err = put(6)
        .expected("pk", exists(false))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    );
    let err = put(6)
        .expected("pk", exists(false))
        .expression_attribute_values(":v", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
    );
    let err = put(6)
        .expected("qty", compare(ComparisonOperator::Eq, vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    assert!(scan_all(c, "carts").await.is_empty());
}

#[tokio::test]
async fn attribute_updates_put_add_and_delete() {
    let env = start().await;
    env.table("carts", None).await;
    let c = &env.client;
    let key = || Some(item(&[("pk", s("c1"))]));
    c.update_item()
        .table_name("carts")
        .set_key(key())
        .attribute_updates("owner", update(AttributeAction::Put, Some(s("ann"))))
        .attribute_updates("qty", update(AttributeAction::Add, Some(n(2))))
        .attribute_updates(
            "tags",
            update(
                AttributeAction::Add,
                Some(AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ),
        )
        .attribute_updates(
            "log",
            update(AttributeAction::Add, Some(AttributeValue::L(vec![s("x")]))),
        )
        .send()
        .await
        .unwrap();
    let out = c
        .update_item()
        .table_name("carts")
        .set_key(key())
        .attribute_updates("owner", update(AttributeAction::Delete, None))
        .attribute_updates("qty", update(AttributeAction::Add, Some(n(3))))
        .attribute_updates(
            "tags",
            update(
                AttributeAction::Delete,
                Some(AttributeValue::Ss(vec!["a".into()])),
            ),
        )
        .attribute_updates(
            "log",
            update(AttributeAction::Add, Some(AttributeValue::L(vec![s("y")]))),
        )
        .expected("qty", ExpectedAttributeValue::builder().value(n(2)).build())
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.attributes().cloned().unwrap(),
        item(&[
            ("pk", s("c1")),
            ("qty", n(5)),
            ("tags", AttributeValue::Ss(vec!["b".into()])),
            ("log", AttributeValue::L(vec![s("x"), s("y")])),
        ])
    );
    // The condition is checked: qty is 5 now.
    let err = c
        .update_item()
        .table_name("carts")
        .set_key(key())
        .attribute_updates("qty", update(AttributeAction::Put, Some(n(0))))
        .expected("qty", ExpectedAttributeValue::builder().value(n(2)).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ConditionalCheckFailedException");

    let err = c
        .update_item()
        .table_name("carts")
        .set_key(key())
        .attribute_updates("qty", update(AttributeAction::Put, Some(n(0))))
        .update_expression("SET qty = :z")
        .expression_attribute_values(":z", n(0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"
    );
    let err = c
        .update_item()
        .table_name("carts")
        .set_key(key())
        .attribute_updates("pk", update(AttributeAction::Put, Some(s("c2"))))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let stored = c
        .get_item()
        .table_name("carts")
        .set_key(key())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.item().unwrap()["qty"], n(5));
}

#[tokio::test]
async fn legacy_reads_filter_and_project() {
    let env = start().await;
    env.table("events", Some(ScalarAttributeType::N)).await;
    let c = &env.client;
    for i in 0..6 {
        c.put_item()
            .table_name("events")
            .set_item(Some(item(&[
                ("pk", s("a")),
                ("sk", n(i)),
                ("qty", n(i * 10)),
                ("note", s("n")),
            ])))
            .send()
            .await
            .unwrap();
    }
    let q = c
        .query()
        .table_name("events")
        .key_conditions("pk", cond(ComparisonOperator::Eq, vec![s("a")]))
        .key_conditions("sk", cond(ComparisonOperator::Between, vec![n(1), n(4)]))
        .query_filter("qty", cond(ComparisonOperator::Ge, vec![n(20)]))
        .attributes_to_get("sk")
        .attributes_to_get("qty")
        .send()
        .await
        .unwrap();
    assert_eq!(q.scanned_count(), 4);
    assert_eq!(
        q.items(),
        [2, 3, 4]
            .map(|i| item(&[("sk", n(i)), ("qty", n(i * 10))]))
            .as_slice()
    );

    let scan = c
        .scan()
        .table_name("events")
        .scan_filter("sk", cond(ComparisonOperator::Eq, vec![n(0)]))
        .scan_filter("qty", cond(ComparisonOperator::Gt, vec![n(40)]))
        .conditional_operator(ConditionalOperator::Or)
        .send()
        .await
        .unwrap();
    assert_eq!(scan.count(), 2);

    let got = c
        .get_item()
        .table_name("events")
        .set_key(Some(item(&[("pk", s("a")), ("sk", n(1))])))
        .attributes_to_get("note")
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().cloned().unwrap(), item(&[("note", s("n"))]));
    let batch = c
        .batch_get_item()
        .request_items(
            "events",
            KeysAndAttributes::builder()
                .keys(item(&[("pk", s("a")), ("sk", n(2))]))
                .attributes_to_get("qty")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(batch.responses().unwrap()["events"], [item(&[("qty", n(20))])]);

    let err = c
        .query()
        .table_name("events")
        .key_conditions("pk", cond(ComparisonOperator::Eq, vec![s("a")]))
        .filter_expression("qty > :q")
        .expression_attribute_values(":q", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {FilterExpression}"
    );
    let err = c
        .get_item()
        .table_name("events")
        .set_key(Some(item(&[("pk", s("a")), ("sk", n(1))])))
        .attributes_to_get("note")
        .attributes_to_get("note")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Duplicate value in attribute name: note"
    );
}

#[tokio::test]
async fn taking_attributes_from_a_missing_item_creates_nothing() {
    let env = start().await;
    env.table("carts", None).await;
    let c = &env.client;
    c.update_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("legacy"))])))
        .attribute_updates("qty", update(AttributeAction::Delete, None))
        .send()
        .await
        .unwrap();
    c.update_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("expression"))])))
        .update_expression("REMOVE qty")
        .send()
        .await
        .unwrap();
    assert!(scan_all(c, "carts").await.is_empty());
    // An update that changes nothing still creates the item, as on AWS.
    c.update_item()
        .table_name("carts")
        .set_key(Some(item(&[("pk", s("empty"))])))
        .send()
        .await
        .unwrap();
    assert_eq!(scan_all(c, "carts").await, vec![item(&[("pk", s("empty"))])]);
}
