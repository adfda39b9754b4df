//! DynamoDB Streams through the official aws-sdk-dynamodbstreams client:
//! stream specifications on CreateTable and UpdateTable, ListStreams,
//! DescribeStream, every iterator type, the records of every write path
//! (TTL deletions with the service's identity), 24-hour retention and 15
//! minute iterators on the emulator clock, and AWS's errors.

use crate::common::*;
use aws_sdk_dynamodb::types::{
    BillingMode, KeyType, Put, ScalarAttributeType, StreamSpecification, StreamViewType, TransactWriteItem,
    Update, WriteRequest,
};
use aws_sdk_dynamodbstreams::Client as Streams;
use aws_sdk_dynamodbstreams::types::{OperationType, Record, ShardIteratorType, StreamStatus};
use chrono::Duration;

async fn streams(env: &Env) -> Streams {
    Streams::new(&env.server.sdk_config("us-east-1").await)
}

fn spec(view: StreamViewType) -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(view)
        .build()
        .unwrap()
}

/// Creates table `name` keyed by `pk` (S) and `sk` (N) with a stream of
/// `view`; returns the stream's ARN as DescribeTable shows it.
async fn streamed_table(env: &Env, name: &str, view: StreamViewType) -> String {
    let created = env
        .client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .stream_specification(spec(view))
        .send()
        .await
        .unwrap();
    env.settle().await;
    let d = created.table_description().unwrap();
    let arn = d.latest_stream_arn().unwrap().to_owned();
    assert_eq!(
        arn,
        format!(
            "{}/stream/{}",
            d.table_arn().unwrap(),
            d.latest_stream_label().unwrap()
        )
    );
    arn
}

/// Puts the item `pk`, `sk = 1` into `carts`.
async fn put(env: &Env, pk: &str) {
    env.client
        .put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s(pk)), ("sk", n(1))])))
        .send()
        .await
        .unwrap();
}

/// The one shard of a stream.
async fn shard(st: &Streams, arn: &str) -> String {
    let d = st.describe_stream().stream_arn(arn).send().await.unwrap();
    let shards = d.stream_description().unwrap().shards();
    assert_eq!(shards.len(), 1);
    shards[0].shard_id().unwrap().to_owned()
}

async fn iterator(st: &Streams, arn: &str, kind: ShardIteratorType, seq: Option<&str>) -> String {
    let shard = shard(st, arn).await;
    st.get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .set_sequence_number(seq.map(str::to_owned))
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_owned()
}

/// Every record from `it` on, following NextShardIterator until a page is
/// empty.
async fn read_all(st: &Streams, it: String) -> Vec<Record> {
    let mut out = Vec::new();
    let mut next = Some(it);
    while let Some(it) = next {
        let page = st.get_records().shard_iterator(it).send().await.unwrap();
        if page.records().is_empty() {
            break;
        }
        out.extend(page.records().iter().cloned());
        next = page.next_shard_iterator().map(str::to_owned);
    }
    out
}

fn events(records: &[Record]) -> Vec<(OperationType, String)> {
    records
        .iter()
        .map(|r| {
            let pk = match r.dynamodb().unwrap().keys().unwrap().get("pk") {
                Some(aws_sdk_dynamodbstreams::types::AttributeValue::S(v)) => v.clone(),
                other => panic!("no pk key in {other:?}"),
            };
            (r.event_name().unwrap().clone(), pk)
        })
        .collect()
}

fn code_of<E, R>(err: &aws_sdk_dynamodbstreams::error::SdkError<E, R>) -> String
where
    E: aws_sdk_dynamodbstreams::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("<no service error>")
        .to_owned()
}

#[tokio::test]
async fn a_stream_is_listed_and_described_as_aws_shows_it() {
    let env = start().await;
    let arn = streamed_table(&env, "carts", StreamViewType::NewAndOldImages).await;
    env.table("plain", None).await;
    let d = env
        .client
        .describe_table()
        .table_name("carts")
        .send()
        .await
        .unwrap();
    let t = d.table().unwrap();
    assert_eq!(t.latest_stream_arn(), Some(arn.as_str()));
    let s = t.stream_specification().unwrap();
    assert!(s.stream_enabled());
    assert_eq!(s.stream_view_type(), Some(&StreamViewType::NewAndOldImages));
    let plain = env
        .client
        .describe_table()
        .table_name("plain")
        .send()
        .await
        .unwrap();
    assert!(plain.table().unwrap().latest_stream_arn().is_none());

    let st = streams(&env).await;
    let all = st.list_streams().send().await.unwrap();
    assert_eq!(all.streams().len(), 1);
    assert_eq!(all.streams()[0].stream_arn(), Some(arn.as_str()));
    assert_eq!(all.streams()[0].table_name(), Some("carts"));
    let none = st.list_streams().table_name("plain").send().await.unwrap();
    assert!(none.streams().is_empty());

    let d = st.describe_stream().stream_arn(&arn).send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.stream_status(), Some(&StreamStatus::Enabled));
    assert_eq!(
        d.stream_view_type(),
        Some(&aws_sdk_dynamodbstreams::types::StreamViewType::NewAndOldImages)
    );
    assert_eq!(d.table_name(), Some("carts"));
    assert_eq!(d.key_schema().len(), 2);
    let range = d.shards()[0].sequence_number_range().unwrap();
    assert!(range.starting_sequence_number().is_some());
    assert!(
        range.ending_sequence_number().is_none(),
        "an open shard has no end"
    );
}

#[tokio::test]
async fn every_write_path_writes_a_record_and_a_no_op_writes_none() {
    let env = start().await;
    let arn = streamed_table(&env, "carts", StreamViewType::NewAndOldImages).await;
    let c = &env.client;
    let k = |pk: &str| item(&[("pk", s(pk)), ("sk", n(1))]);
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("a")), ("sk", n(1)), ("qty", n(1))])))
        .send()
        .await
        .unwrap();
    // The same item again changes nothing, and AWS writes no record for it.
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("a")), ("sk", n(1)), ("qty", n(1))])))
        .send()
        .await
        .unwrap();
    c.update_item()
        .table_name("carts")
        .set_key(Some(k("a")))
        .update_expression("SET qty = :q")
        .expression_attribute_values(":q", n(2))
        .send()
        .await
        .unwrap();
    // The second delete finds nothing there: it changes nothing either.
    for _ in 0..2 {
        c.delete_item()
            .table_name("carts")
            .set_key(Some(k("a")))
            .send()
            .await
            .unwrap();
    }
    c.batch_write_item()
        .request_items(
            "carts",
            vec![
                WriteRequest::builder()
                    .put_request(
                        aws_sdk_dynamodb::types::PutRequest::builder()
                            .set_item(Some(k("b")))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ],
        )
        .send()
        .await
        .unwrap();
    c.transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("carts")
                        .set_item(Some(k("c")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("carts")
                        .set_key(Some(k("b")))
                        .update_expression("SET qty = :q")
                        .expression_attribute_values(":q", n(5))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    env.enable_ttl("carts", "expires").await;
    let past = env.now().timestamp() - 10;
    c.put_item()
        .table_name("carts")
        .set_item(Some(item(&[("pk", s("t")), ("sk", n(1)), ("expires", n(past))])))
        .send()
        .await
        .unwrap();
    env.server.advance(Duration::minutes(1)).await;

    let st = streams(&env).await;
    let records = read_all(
        &st,
        iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await,
    )
    .await;
    use OperationType::{Insert, Modify, Remove};
    assert_eq!(
        events(&records),
        vec![
            (Insert, "a".to_owned()),
            (Modify, "a".to_owned()),
            (Remove, "a".to_owned()),
            (Insert, "b".to_owned()),
            (Insert, "c".to_owned()),
            (Modify, "b".to_owned()),
            (Insert, "t".to_owned()),
            (Remove, "t".to_owned()),
        ]
    );
    let modify = records[1].dynamodb().unwrap();
    assert_eq!(
        modify.old_image().unwrap()["qty"],
        aws_sdk_dynamodbstreams::types::AttributeValue::N("1".into())
    );
    assert_eq!(
        modify.new_image().unwrap()["qty"],
        aws_sdk_dynamodbstreams::types::AttributeValue::N("2".into())
    );
    assert_eq!(modify.keys().unwrap().len(), 2, "both key attributes");
    assert!(records[2].dynamodb().unwrap().new_image().is_none());
    let seqs: Vec<u128> = records
        .iter()
        .map(|r| r.dynamodb().unwrap().sequence_number().unwrap().parse().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    for r in &records[..7] {
        assert!(r.user_identity().is_none());
        assert_eq!(r.event_source(), Some("aws:dynamodb"));
        assert_eq!(r.aws_region(), Some("us-east-1"));
    }
    let ttl = records[7]
        .user_identity()
        .expect("a TTL deletion names the service");
    assert_eq!(ttl.principal_id(), Some("dynamodb.amazonaws.com"));
    assert_eq!(ttl.r#type(), Some("Service"));
}

#[tokio::test]
async fn view_types_decide_which_images_records_carry() {
    let env = start().await;
    let st = streams(&env).await;
    for (table, view, old, new) in [
        ("keys", StreamViewType::KeysOnly, false, false),
        ("olds", StreamViewType::OldImage, true, false),
        ("news", StreamViewType::NewImage, false, true),
    ] {
        let arn = streamed_table(&env, table, view).await;
        for qty in [1, 2] {
            env.client
                .put_item()
                .table_name(table)
                .set_item(Some(item(&[("pk", s("a")), ("sk", n(1)), ("qty", n(qty))])))
                .send()
                .await
                .unwrap();
        }
        let records = read_all(
            &st,
            iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await,
        )
        .await;
        let modify = records[1].dynamodb().unwrap();
        assert_eq!(modify.old_image().is_some(), old, "{table}");
        assert_eq!(modify.new_image().is_some(), new, "{table}");
        assert_eq!(modify.keys().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn iterator_types_start_where_aws_starts_them() {
    let env = start().await;
    let arn = streamed_table(&env, "carts", StreamViewType::KeysOnly).await;
    put(&env, "a").await;
    put(&env, "b").await;
    let st = streams(&env).await;
    let latest = iterator(&st, &arn, ShardIteratorType::Latest, None).await;
    put(&env, "c").await;
    let after_latest = read_all(&st, latest).await;
    assert_eq!(
        events(&after_latest),
        vec![(OperationType::Insert, "c".to_owned())]
    );

    let all = read_all(
        &st,
        iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await,
    )
    .await;
    let second = all[1].dynamodb().unwrap().sequence_number().unwrap().to_owned();
    let at = read_all(
        &st,
        iterator(&st, &arn, ShardIteratorType::AtSequenceNumber, Some(&second)).await,
    )
    .await;
    assert_eq!(
        events(&at).iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["b", "c"]
    );
    let after = read_all(
        &st,
        iterator(&st, &arn, ShardIteratorType::AfterSequenceNumber, Some(&second)).await,
    )
    .await;
    assert_eq!(
        events(&after).iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["c"]
    );

    // Limit pages the records, and the next iterator goes on after them.
    let page = st
        .get_records()
        .shard_iterator(iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.records().len(), 2);
    let rest = read_all(&st, page.next_shard_iterator().unwrap().to_owned()).await;
    assert_eq!(
        events(&rest).iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["c"]
    );
}

#[tokio::test]
async fn iterators_expire_after_15_minutes_and_records_after_24_hours() {
    let env = start().await;
    let arn = streamed_table(&env, "carts", StreamViewType::KeysOnly).await;
    put(&env, "a").await;
    let st = streams(&env).await;
    let it = iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await;
    env.server.advance(Duration::minutes(16)).await;
    let err = st.get_records().shard_iterator(&it).send().await.unwrap_err();
    assert_eq!(code_of(&err), "ExpiredIteratorException");

    // An iterator taken just before the record's 24 hours are up points at
    // a trimmed record once they are.
    let first = read_all(
        &st,
        iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await,
    )
    .await;
    let seq = first[0].dynamodb().unwrap().sequence_number().unwrap().to_owned();
    env.server
        .advance(Duration::hours(23) + Duration::minutes(40))
        .await;
    let it = iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await;
    env.server.advance(Duration::minutes(10)).await;
    let err = st.get_records().shard_iterator(&it).send().await.unwrap_err();
    assert_eq!(code_of(&err), "TrimmedDataAccessException");
    let shard = shard(&st, &arn).await;
    let err = st
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(&seq)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "TrimmedDataAccessException");
    // A fresh TRIM_HORIZON iterator starts after the trimmed records.
    let left = read_all(
        &st,
        iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await,
    )
    .await;
    assert!(left.is_empty());
}

#[tokio::test]
async fn disabling_closes_the_shard_and_keeps_it_readable_for_24_hours() {
    let env = start().await;
    let arn = streamed_table(&env, "carts", StreamViewType::KeysOnly).await;
    put(&env, "a").await;
    let err = env
        .client
        .update_table()
        .table_name("carts")
        .stream_specification(spec(StreamViewType::NewImage))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(
        message(&err).contains("already has an enabled stream"),
        "{}",
        message(&err)
    );
    let off = env
        .client
        .update_table()
        .table_name("carts")
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let d = off.table_description().unwrap();
    assert!(d.stream_specification().is_none());
    assert_eq!(
        d.latest_stream_arn(),
        Some(arn.as_str()),
        "the latest stream stays named"
    );
    put(&env, "b").await;

    let st = streams(&env).await;
    let d = st.describe_stream().stream_arn(&arn).send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.stream_status(), Some(&StreamStatus::Disabled));
    assert!(
        d.shards()[0]
            .sequence_number_range()
            .unwrap()
            .ending_sequence_number()
            .is_some()
    );
    let it = iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await;
    let page = st.get_records().shard_iterator(it).send().await.unwrap();
    assert_eq!(
        events(page.records()),
        vec![(OperationType::Insert, "a".to_owned())]
    );
    assert!(
        page.next_shard_iterator().is_none(),
        "a closed shard read to its end"
    );

    env.settle().await;
    let on = env
        .client
        .update_table()
        .table_name("carts")
        .stream_specification(spec(StreamViewType::NewImage))
        .send()
        .await
        .unwrap();
    let second = on
        .table_description()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_owned();
    assert_ne!(second, arn);
    assert_eq!(
        st.list_streams()
            .table_name("carts")
            .send()
            .await
            .unwrap()
            .streams()
            .len(),
        2
    );

    env.server.advance(Duration::hours(25)).await;
    let err = st.describe_stream().stream_arn(&arn).send().await.unwrap_err();
    assert_eq!(code_of(&err), "ResourceNotFoundException");
    assert_eq!(st.list_streams().send().await.unwrap().streams().len(), 1);
}

#[tokio::test]
async fn a_deleted_tables_stream_is_disabled_and_still_readable() {
    let env = start().await;
    let arn = streamed_table(&env, "carts", StreamViewType::NewAndOldImages).await;
    put(&env, "a").await;
    env.client
        .delete_table()
        .table_name("carts")
        .send()
        .await
        .unwrap();
    env.settle().await;
    let st = streams(&env).await;
    let d = st.describe_stream().stream_arn(&arn).send().await.unwrap();
    assert_eq!(
        d.stream_description().unwrap().stream_status(),
        Some(&StreamStatus::Disabled)
    );
    let records = read_all(
        &st,
        iterator(&st, &arn, ShardIteratorType::TrimHorizon, None).await,
    )
    .await;
    assert_eq!(events(&records), vec![(OperationType::Insert, "a".to_owned())]);
}

#[tokio::test]
async fn bad_stream_requests_get_aws_errors_and_change_nothing() {
    let env = start().await;
    let arn = streamed_table(&env, "carts", StreamViewType::KeysOnly).await;
    let st = streams(&env).await;
    let missing = format!("{arn}x");
    let err = st
        .describe_stream()
        .stream_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "ResourceNotFoundException");
    let shard = shard(&st, &arn).await;
    let err = st
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id("shardId-00000000000000000000-00000000")
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "ResourceNotFoundException");
    let err = st
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "ValidationException");
    let err = st
        .get_records()
        .shard_iterator("not-an-iterator")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "ValidationException");
    let err = st.list_streams().limit(0).send().await.unwrap_err();
    assert_eq!(code_of(&err), "ValidationException");

    // A stream asked for without a view type, or with an unknown one, is
    // refused and no table is created.
    for view in [None, Some(StreamViewType::from("EVERYTHING"))] {
        let err = env
            .client
            .create_table()
            .table_name("orders")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(def("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .set_stream_view_type(view)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException");
    }
    let tables = env.client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["carts"]);
}
