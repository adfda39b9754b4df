//! `LookupEvents` through aws-sdk-cloudtrail over a trail recorded on the
//! emulator's simulated clock: the event shape, each lookup attribute, the
//! time range, pages with `NextToken` (and the SDK's paginator), accounts
//! and regions kept apart, and CloudTrail's errors.

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::primitives::DateTime as SdkTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_cloudtrail::CloudTrail;
use firedrill_emu_core::accounts::Caller;
use firedrill_emu_core::audit::{AuditEvent, RequestIdentity, scope};
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_core::{AwsService, Environment};
use std::sync::Arc;

const ACCOUNT: &str = "000000000000";
const KEY: &str = "AKIAPRODEXAMPLE0001";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an instant")
}

fn event(time: &str, name: &str, principal: &str, resource: &str, region: &str) -> AuditEvent {
    AuditEvent {
        event_time: at(time),
        event_source: "backup".to_owned(),
        event_name: name.to_owned(),
        region: region.to_owned(),
        principal: principal.to_owned(),
        resource: resource.to_owned(),
        result: "Success".to_owned(),
    }
}

fn rp(n: u32) -> String {
    format!("arn:aws:backup:us-east-1:{ACCOUNT}:recovery-point:RP{n}")
}

/// Records the story: scheduled backups by AWS Backup, then at 03:12 a
/// user with the prod key deletes three recovery points (one refused), and
/// another account and another region have events of their own.
async fn record(env: &Environment) {
    let log = &env.audit;
    for n in 1..=3 {
        log.record(event(
            &format!("2026-03-14T0{n}:00:00Z"),
            "BackupJobCompleted",
            "firedrill",
            &rp(n),
            "us-east-1",
        ));
    }
    let caller = Caller::user(ACCOUNT, KEY, "mallory");
    let arn = caller.arn.clone();
    let identity = RequestIdentity {
        caller,
        request_id: "req-0312".to_owned(),
        source_ip: Some(std::net::IpAddr::from([203, 0, 113, 7])),
        user_agent: Some("aws-cli/2.9.19".to_owned()),
    };
    scope(identity, async {
        for n in 1..=3 {
            let mut e = event(
                &format!("2026-03-14T03:12:0{n}Z"),
                "DeleteRecoveryPoint",
                &arn,
                &rp(n),
                "us-east-1",
            );
            if n == 3 {
                e.result = "InvalidResourceStateException".to_owned();
            }
            log.record(e);
        }
    })
    .await;
    log.record(event(
        "2026-03-14T03:20:00Z",
        "DeleteRecoveryPoint",
        "firedrill",
        &rp(9),
        "us-west-2",
    ));
    env.for_account("111111111111").audit.record(event(
        "2026-03-14T03:30:00Z",
        "DeleteRecoveryPoint",
        "arn:aws:iam::111111111111:user/other",
        "arn:aws:backup:us-east-1:111111111111:recovery-point:X",
        "us-east-1",
    ));
    let mut outage = event(
        "2026-03-14T03:40:00Z",
        "StartRegionOutage",
        "firedrill",
        "us-east-1",
        "us-east-1",
    );
    outage.event_source = "firedrill".to_owned();
    log.record(outage);
}

async fn start() -> (TestServer, Client) {
    let server = TestServer::start(|env| vec![CloudTrail::new(env) as Arc<dyn AwsService>]).await;
    server.advance(Duration::hours(20)).await;
    record(server.env()).await;
    let client = Client::new(&server.sdk_config("us-east-1").await);
    (server, client)
}

fn attribute(key: LookupAttributeKey, value: &str) -> LookupAttribute {
    LookupAttribute::builder()
        .attribute_key(key)
        .attribute_value(value)
        .build()
        .expect("a lookup attribute")
}

fn sdk_time(s: &str) -> SdkTime {
    SdkTime::from_millis(at(s).timestamp_millis())
}

#[tokio::test]
async fn who_deleted_the_recovery_points_at_0312() {
    let (server, ct) = start().await;
    let out = ct
        .lookup_events()
        .lookup_attributes(attribute(LookupAttributeKey::EventName, "DeleteRecoveryPoint"))
        .start_time(sdk_time("2026-03-14T03:00:00Z"))
        .end_time(sdk_time("2026-03-14T03:59:59Z"))
        .send()
        .await
        .expect("LookupEvents");
    let events = out.events();
    assert_eq!(events.len(), 3, "this account and region only: {events:?}");
    assert!(out.next_token().is_none());
    let newest = &events[0];
    assert_eq!(newest.event_name(), Some("DeleteRecoveryPoint"));
    assert_eq!(newest.username(), Some("mallory"));
    assert_eq!(newest.access_key_id(), Some(KEY));
    assert_eq!(newest.read_only(), Some("false"));
    assert_eq!(newest.event_source(), Some("backup.amazonaws.com"));
    assert_eq!(
        newest.event_time().map(|t| t.to_millis().unwrap()),
        Some(at("2026-03-14T03:12:03Z").timestamp_millis()),
        "newest first"
    );
    let resource = &newest.resources()[0];
    assert_eq!(resource.resource_type(), Some("AWS::Backup::RecoveryPoint"));
    assert_eq!(resource.resource_name(), Some(rp(3).as_str()));
    let doc: serde_json::Value =
        serde_json::from_str(newest.cloud_trail_event().expect("the event document")).expect("JSON");
    assert_eq!(doc["userIdentity"]["type"], "IAMUser");
    assert_eq!(doc["userIdentity"]["accountId"], ACCOUNT);
    assert_eq!(doc["userIdentity"]["accessKeyId"], KEY);
    assert_eq!(doc["sourceIPAddress"], "203.0.113.7");
    assert_eq!(doc["errorCode"], "InvalidResourceStateException");
    assert_eq!(doc["requestParameters"]["recoveryPointArn"], rp(3));
    assert_eq!(doc["eventID"], newest.event_id().expect("an id"));
    assert_eq!(doc["recipientAccountId"], ACCOUNT);
    let older: serde_json::Value =
        serde_json::from_str(events[2].cloud_trail_event().expect("a document")).expect("JSON");
    assert!(
        older.get("errorCode").is_none(),
        "a successful call has no error code"
    );
    server.stop().await;
}

#[tokio::test]
async fn every_lookup_attribute_filters() {
    let (server, ct) = start().await;
    let count = |key: LookupAttributeKey, value: &str| {
        let ct = ct.clone();
        let a = attribute(key, value);
        async move {
            ct.lookup_events()
                .lookup_attributes(a)
                .send()
                .await
                .expect("LookupEvents")
                .events()
                .len()
        }
    };
    assert_eq!(
        count(LookupAttributeKey::EventName, "BackupJobCompleted").await,
        3
    );
    assert_eq!(count(LookupAttributeKey::Username, "mallory").await, 3);
    assert_eq!(count(LookupAttributeKey::AccessKeyId, KEY).await, 3);
    assert_eq!(
        count(LookupAttributeKey::AccessKeyId, "AKIAOTHEREXAMPLE001").await,
        0
    );
    assert_eq!(count(LookupAttributeKey::ResourceName, &rp(2)).await, 2);
    assert_eq!(
        count(LookupAttributeKey::ResourceType, "AWS::Backup::RecoveryPoint").await,
        6
    );
    assert_eq!(
        count(LookupAttributeKey::EventSource, "backup.amazonaws.com").await,
        6
    );
    assert_eq!(count(LookupAttributeKey::EventSource, "backup").await, 0);
    assert_eq!(count(LookupAttributeKey::ReadOnly, "false").await, 6);
    assert_eq!(count(LookupAttributeKey::ReadOnly, "true").await, 0);
    let all = ct.lookup_events().send().await.expect("LookupEvents");
    assert_eq!(
        all.events().len(),
        6,
        "the region outage is not a CloudTrail event"
    );
    let id = all.events()[4].event_id().expect("an id").to_owned();
    assert_eq!(count(LookupAttributeKey::EventId, &id).await, 1);
    let service: serde_json::Value =
        serde_json::from_str(all.events()[5].cloud_trail_event().expect("a document")).expect("JSON");
    assert_eq!(service["userIdentity"]["type"], "AWSService");
    assert_eq!(service["eventType"], "AwsServiceEvent");
    assert!(all.events()[5].access_key_id().is_none());
    server.stop().await;
}

#[tokio::test]
async fn pages_follow_next_token_and_the_paginator() {
    let (server, ct) = start().await;
    let first = ct.lookup_events().max_results(4).send().await.expect("page 1");
    assert_eq!(first.events().len(), 4);
    let token = first.next_token().expect("a second page").to_owned();
    let second = ct
        .lookup_events()
        .max_results(4)
        .next_token(&token)
        .send()
        .await
        .expect("page 2");
    assert_eq!(second.events().len(), 2);
    assert!(second.next_token().is_none());
    let mut ids: Vec<String> = first
        .events()
        .iter()
        .chain(second.events())
        .filter_map(|e| e.event_id().map(str::to_owned))
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 6, "no event twice");

    let paged: Vec<_> = ct
        .lookup_events()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("the paginator");
    assert_eq!(paged.len(), 6);

    let err = ct
        .lookup_events()
        .lookup_attributes(attribute(LookupAttributeKey::Username, "mallory"))
        .next_token(&token)
        .send()
        .await
        .expect_err("a token of other parameters");
    assert_eq!(err.code(), Some("InvalidNextTokenException"));
    server.stop().await;
}

#[tokio::test]
async fn refusals_are_cloudtrails() {
    let (server, ct) = start().await;
    let two = ct
        .lookup_events()
        .lookup_attributes(attribute(LookupAttributeKey::EventName, "DeleteRecoveryPoint"))
        .lookup_attributes(attribute(LookupAttributeKey::Username, "mallory"))
        .send()
        .await
        .expect_err("two attributes");
    assert_eq!(two.code(), Some("InvalidLookupAttributesException"));
    let range = ct
        .lookup_events()
        .start_time(sdk_time("2026-03-14T04:00:00Z"))
        .end_time(sdk_time("2026-03-14T03:00:00Z"))
        .send()
        .await
        .expect_err("start after end");
    assert_eq!(range.code(), Some("InvalidTimeRangeException"));
    let max = ct
        .lookup_events()
        .max_results(51)
        .send()
        .await
        .expect_err("too many");
    assert_eq!(max.code(), Some("InvalidMaxResultsException"));
    let readonly = ct
        .lookup_events()
        .lookup_attributes(attribute(LookupAttributeKey::ReadOnly, "maybe"))
        .send()
        .await
        .expect_err("not a boolean");
    assert_eq!(readonly.code(), Some("InvalidLookupAttributesException"));
    let insight = ct
        .lookup_events()
        .event_category(aws_sdk_cloudtrail::types::EventCategory::Insight)
        .send()
        .await
        .expect("insight");
    assert!(insight.events().is_empty(), "there are no Insights events");
    server.stop().await;
}

#[tokio::test]
async fn the_history_reaches_back_ninety_days() {
    let (server, ct) = start().await;
    server.advance(Duration::days(91)).await;
    let out = ct.lookup_events().send().await.expect("LookupEvents");
    assert!(out.events().is_empty(), "{:?}", out.events());
    server.stop().await;
}
