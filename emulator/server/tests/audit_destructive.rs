//! The audit trail names the destructive acts a recovery story starts from
//! (batch deletes of items, object deletions, region outages), and the
//! admin API maps a wall instant to the emulator's clock.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, WriteRequest,
};
use firedrill_emulator::{AuditEvent, Emulator};

fn named<'a>(audit: &'a [AuditEvent], name: &str) -> Vec<&'a AuditEvent> {
    audit.iter().filter(|e| e.event_name == name).collect()
}

#[tokio::test]
async fn batch_deletes_object_deletions_and_outages_are_audited() {
    let emulator = Emulator::builder()
        .in_memory_bodies(true)
        .start()
        .await
        .expect("emulator starts");
    let sdk = emulator.sdk_config("us-east-1").await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    ddb.create_table()
        .table_name("carts")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for _ in 0..600 {
        let t = ddb.describe_table().table_name("carts").send().await.unwrap();
        if t.table.and_then(|t| t.table_status) == Some(aws_sdk_dynamodb::types::TableStatus::Active) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let key = |id: &str| {
        [("id".to_owned(), AttributeValue::S(id.to_owned()))]
            .into_iter()
            .collect()
    };
    let puts: Vec<WriteRequest> = ["a", "b"]
        .iter()
        .map(|id| {
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(key(id))).build().unwrap())
                .build()
        })
        .collect();
    ddb.batch_write_item()
        .request_items("carts", puts)
        .send()
        .await
        .unwrap();
    let audit = emulator.admin().audit().await.unwrap();
    assert!(
        named(&audit, "BatchWriteItem").is_empty(),
        "a batch of puts is not audited: {audit:?}"
    );
    let delete = WriteRequest::builder()
        .delete_request(DeleteRequest::builder().set_key(Some(key("a"))).build().unwrap())
        .build();
    ddb.batch_write_item()
        .request_items("carts", vec![delete])
        .send()
        .await
        .unwrap();

    s3.create_bucket().bucket("invoices").send().await.unwrap();
    for k in ["one.pdf", "two.pdf"] {
        s3.put_object()
            .bucket("invoices")
            .key(k)
            .body(b"%PDF".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    s3.delete_object()
        .bucket("invoices")
        .key("one.pdf")
        .send()
        .await
        .unwrap();
    s3.delete_objects()
        .bucket("invoices")
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .objects(
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key("two.pdf")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    emulator.admin().set_outage("us-west-2", true).await.unwrap();

    let audit = emulator.admin().audit().await.unwrap();
    let batch = named(&audit, "BatchWriteItem");
    assert_eq!(batch.len(), 1, "{audit:?}");
    assert_eq!(batch[0].resource, "carts");
    assert_eq!(batch[0].event_source, "dynamodb");
    assert_eq!(batch[0].result, "Success");
    let one = named(&audit, "DeleteObject");
    assert_eq!(one.len(), 1, "{audit:?}");
    assert_eq!(one[0].resource, "arn:aws:s3:::invoices/one.pdf");
    assert!(one[0].principal.starts_with("arn:aws:iam::"), "{:?}", one[0]);
    let many = named(&audit, "DeleteObjects");
    assert_eq!(many.len(), 1, "{audit:?}");
    assert_eq!(many[0].resource, "arn:aws:s3:::invoices");
    let outage = named(&audit, "StartRegionOutage");
    assert_eq!(outage.len(), 1, "{audit:?}");
    assert_eq!(outage[0].region, "us-west-2");
    assert_eq!(outage[0].event_source, "firedrill");
    let times: Vec<_> = audit.iter().map(|e| e.event_time).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_wall_instant_maps_to_the_simulated_clock() {
    let emulator = Emulator::builder()
        .in_memory_bodies(true)
        .simulated_clock("2026-03-14T03:00:00Z".parse().unwrap())
        .start()
        .await
        .expect("emulator starts");
    let admin = emulator.admin();
    let before = chrono::Utc::now();
    admin.advance(3600.0).await.unwrap();
    let after = chrono::Utc::now();
    let at_before = admin.emulated_time_for(before).await.unwrap();
    let at_after = admin.emulated_time_for(after).await.unwrap();
    assert!(
        at_before
            < "2026-03-14T03:01:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        "before the jump: {at_before}"
    );
    assert!(
        at_after
            >= "2026-03-14T04:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        "after the jump: {at_after}"
    );
    let back = admin.wall_time_for(at_after).await.unwrap();
    assert!(
        (back - after).num_milliseconds().abs() < 5,
        "{back} maps back near {after}"
    );
    emulator.shutdown().await;
}
