//! Table descriptions as AWS shows them (billing summary, table class, warm
//! and on-demand throughput, encryption) and deletion protection.

use crate::common::*;
use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, IndexStatus, KeyType, OnDemandThroughput, Projection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, SseSpecification, SseStatus, SseType, TableClass,
    TableDescription, TableStatus, WarmThroughput,
};

fn capacity(read: i64, write: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .unwrap()
}

async fn describe(env: &Env, table: &str) -> TableDescription {
    env.client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table()
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn descriptions_show_billing_class_and_warm_throughput_as_aws_does() {
    let env = start().await;
    env.client
        .create_table()
        .table_name("provisioned")
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .provisioned_throughput(capacity(5, 5))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byG")
                .key_schema(key("g", KeyType::Hash))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .provisioned_throughput(capacity(3, 2))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    env.table("ondemand", None).await;

    let p = describe(&env, "provisioned").await;
    assert!(
        p.billing_mode_summary().is_none(),
        "AWS shows none for provisioned tables"
    );
    assert_eq!(
        p.table_class_summary().and_then(|c| c.table_class()),
        Some(&TableClass::Standard)
    );
    let warm = p.warm_throughput().unwrap();
    assert_eq!(
        (warm.read_units_per_second(), warm.write_units_per_second()),
        (Some(5), Some(5))
    );
    assert_eq!(warm.status(), Some(&TableStatus::Active));
    let index_warm = p.global_secondary_indexes()[0].warm_throughput().unwrap();
    assert_eq!(
        (
            index_warm.read_units_per_second(),
            index_warm.write_units_per_second()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(index_warm.status(), Some(&IndexStatus::Active));
    assert_eq!(p.deletion_protection_enabled(), Some(false));
    assert!(p.sse_description().is_none());
    assert!(p.on_demand_throughput().is_none());

    let o = describe(&env, "ondemand").await;
    let billing = o.billing_mode_summary().unwrap();
    assert_eq!(billing.billing_mode(), Some(&BillingMode::PayPerRequest));
    assert!(billing.last_update_to_pay_per_request_date_time().is_some());
    let warm = o.warm_throughput().unwrap();
    assert_eq!(
        (warm.read_units_per_second(), warm.write_units_per_second()),
        (Some(12_000), Some(4_000))
    );
    let pt = o.provisioned_throughput().unwrap();
    assert_eq!(
        (pt.read_capacity_units(), pt.write_capacity_units()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn table_class_and_throughput_settings_are_kept_and_checked() {
    let env = start().await;
    let c = &env.client;
    let out = c
        .create_table()
        .table_name("cold")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .table_class(TableClass::StandardInfrequentAccess)
        .on_demand_throughput(
            OnDemandThroughput::builder()
                .max_read_request_units(100)
                .max_write_request_units(50)
                .build(),
        )
        .warm_throughput(
            WarmThroughput::builder()
                .read_units_per_second(20_000)
                .write_units_per_second(5_000)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(
        d.table_class_summary().and_then(|c| c.table_class()),
        Some(&TableClass::StandardInfrequentAccess)
    );
    let limit = d.on_demand_throughput().unwrap();
    assert_eq!(
        (limit.max_read_request_units(), limit.max_write_request_units()),
        (Some(100), Some(50))
    );
    let warm = d.warm_throughput().unwrap();
    assert_eq!(
        (warm.read_units_per_second(), warm.write_units_per_second()),
        (Some(20_000), Some(5_000))
    );
    assert_eq!(warm.status(), Some(&TableStatus::Creating));
    env.settle().await;

    let updated = c
        .update_table()
        .table_name("cold")
        .table_class(TableClass::Standard)
        .send()
        .await
        .unwrap();
    let summary = updated
        .table_description()
        .unwrap()
        .table_class_summary()
        .unwrap();
    assert_eq!(summary.table_class(), Some(&TableClass::Standard));
    assert!(summary.last_update_date_time().is_some());

    let err = c
        .update_table()
        .table_name("cold")
        .table_class(TableClass::from("GLACIER"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value 'GLACIER' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]"
    );
    let err = c
        .create_table()
        .table_name("capped")
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .provisioned_throughput(capacity(1, 1))
        .on_demand_throughput(OnDemandThroughput::builder().max_read_request_units(10).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let tables = c.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["cold"]);
}

#[tokio::test]
async fn encryption_is_described_when_asked_for() {
    let env = start().await;
    let c = &env.client;
    let create = |name: &str, sse: Option<SseSpecification>| {
        c.create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(def("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .set_sse_specification(sse)
            .send()
    };
    create("owned", Some(SseSpecification::builder().enabled(false).build()))
        .await
        .unwrap();
    create("managed", Some(SseSpecification::builder().enabled(true).build()))
        .await
        .unwrap();
    create(
        "custom",
        Some(
            SseSpecification::builder()
                .enabled(true)
                .sse_type(SseType::Kms)
                .kms_master_key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
                .build(),
        ),
    )
    .await
    .unwrap();
    assert!(describe(&env, "owned").await.sse_description().is_none());
    let managed = describe(&env, "managed").await;
    let sse = managed.sse_description().unwrap();
    assert_eq!(sse.status(), Some(&SseStatus::Enabled));
    assert_eq!(sse.sse_type(), Some(&SseType::Kms));
    assert!(
        sse.kms_master_key_arn()
            .unwrap()
            .starts_with("arn:aws:kms:us-east-1:000000000000:key/")
    );
    let custom = describe(&env, "custom").await;
    assert_eq!(
        custom.sse_description().unwrap().kms_master_key_arn(),
        Some("arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    );
}

#[tokio::test]
async fn deletion_protection_refuses_delete_table_until_turned_off() {
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("carts")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap();
    env.settle().await;
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("c1"))])))
        .send()
        .await
        .unwrap();
    let err = c.delete_table().table_name("carts").send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
    );
    let d = describe(&env, "carts").await;
    assert_eq!(d.table_status(), Some(&TableStatus::Active));
    assert_eq!(d.deletion_protection_enabled(), Some(true));
    assert_eq!(scan_all(c, "carts").await.len(), 1);

    let off = c
        .update_table()
        .table_name("carts")
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        off.table_description().unwrap().deletion_protection_enabled(),
        Some(false)
    );
    let gone = c.delete_table().table_name("carts").send().await.unwrap();
    assert_eq!(
        gone.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
}
