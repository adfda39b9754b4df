//! Error bodies as AWS writes them, read raw off the wire through an SDK
//! interceptor: the `__type` namespace, the `message`/`Message` member per
//! error, `Item` and `CancellationReasons`, and the `x-amz-crc32` header of
//! every response.

use crate::common::*;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TransactWriteItem,
};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// One response as it came off the wire.
#[derive(Debug, Clone)]
struct Raw {
    crc32: Option<String>,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Keeps every response body and its `x-amz-crc32` header.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Raw>>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        self.0.lock().unwrap().push(Raw {
            crc32: response.headers().get("x-amz-crc32").map(str::to_owned),
            body: response.body().bytes().unwrap_or_default().to_vec(),
        });
        Ok(())
    }
}

impl Recorder {
    fn last(&self) -> Raw {
        self.0.lock().unwrap().last().cloned().expect("a response")
    }

    fn all(&self) -> Vec<Raw> {
        self.0.lock().unwrap().clone()
    }
}

async fn recording_client(env: &Env) -> (Client, Recorder) {
    let recorder = Recorder::default();
    let conf = aws_sdk_dynamodb::config::Builder::from(&env.server.sdk_config("us-east-1").await)
        .interceptor(recorder.clone())
        .build();
    (Client::from_conf(conf), recorder)
}

#[tokio::test]
async fn error_bodies_use_aws_namespaces_and_message_members() {
    let env = start().await;
    env.table("carts", None).await;
    let (c, raw) = recording_client(&env).await;
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1")), ("qty", n(1))])))
        .send()
        .await
        .unwrap();

    // ValidationException: AWS's validation namespace, `message`.
    c.get_item()
        .table_name("x")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .send()
        .await
        .unwrap_err();
    let body = raw.last().json();
    assert_eq!(body["__type"], "com.amazon.coral.validate#ValidationException");
    assert!(body["message"].is_string(), "{body}");

    // ResourceNotFoundException: DynamoDB's namespace, `message`.
    c.get_item()
        .table_name("missing")
        .set_key(Some(item(&[("pk", s("c1"))])))
        .send()
        .await
        .unwrap_err();
    let body = raw.last().json();
    assert_eq!(
        body["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    assert_eq!(body["message"], "Requested resource not found");

    // ConditionalCheckFailedException with the item as it was.
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1")), ("qty", n(2))])))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err();
    let body = raw.last().json();
    assert_eq!(body["message"], "The conditional request failed");
    assert_eq!(body["Item"]["qty"], serde_json::json!({"N": "1"}));
    // Without ALL_OLD there is no Item.
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1")), ("qty", n(2))])))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert!(raw.last().json().get("Item").is_none());

    // TransactionCanceledException: `Message` and CancellationReasons.
    let conflicting = |qty: i64| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("carts")
                    .set_item(Some(item(&[("pk", s("c1")), ("qty", n(qty))])))
                    .condition_expression("attribute_not_exists(pk)")
                    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let err = c
        .transact_write_items()
        .transact_items(conflicting(3))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "TransactionCanceledException");
    let body = raw.last().json();
    assert!(body.get("message").is_none(), "{body}");
    assert_eq!(
        body["Message"],
        "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]"
    );
    assert_eq!(body["CancellationReasons"][0]["Code"], "ConditionalCheckFailed");
    assert_eq!(
        body["CancellationReasons"][0]["Item"]["qty"],
        serde_json::json!({"N": "1"})
    );
    // The SDK reads the reasons from that body.
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
        cancelled,
    ) = err.into_service_error()
    else {
        panic!("not a TransactionCanceledException");
    };
    assert_eq!(cancelled.cancellation_reasons()[0].item().unwrap()["qty"], n(1));

    // IdempotentParameterMismatchException: `Message`.
    let tokened = |pk: &str| {
        c.transact_write_items()
            .client_request_token("token-1")
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name("carts")
                            .set_item(Some(item(&[("pk", s(pk))])))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    tokened("c2").await.unwrap();
    let err = tokened("c3").await.unwrap_err();
    assert_eq!(code(&err), "IdempotentParameterMismatchException");
    let body = raw.last().json();
    assert!(body["Message"].is_string(), "{body}");
    assert!(body.get("message").is_none(), "{body}");
}

#[tokio::test]
async fn every_response_carries_the_crc32_of_its_body() {
    let env = start().await;
    env.table("events", Some(ScalarAttributeType::N)).await;
    let (c, raw) = recording_client(&env).await;
    c.put_item()
        .table_name("events")
        .set_item(Some(item(&[("pk", s("a")), ("sk", n(1)), ("note", s("é"))])))
        .send()
        .await
        .unwrap();
    c.query()
        .table_name("events")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("a"))
        .send()
        .await
        .unwrap();
    c.describe_table().table_name("missing").send().await.unwrap_err();
    c.put_item()
        .table_name("events")
        .set_item(Some(item(&[("pk", s("a"))])))
        .send()
        .await
        .unwrap_err();
    let responses = raw.all();
    assert_eq!(responses.len(), 4);
    for r in responses {
        let header = r.crc32.clone().expect("x-amz-crc32 on every response");
        assert_eq!(
            header,
            firedrill_emu_core::checksum::crc32(&r.body).to_string(),
            "body {}",
            String::from_utf8_lossy(&r.body)
        );
    }
}
