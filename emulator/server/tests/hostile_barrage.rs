//! A barrage of hostile but signed requests against the assembled emulator:
//! DynamoDB items and PostgreSQL rows behind RDS are unchanged afterwards,
//! every refusal comes in its protocol's error shape (a 4xx, never a 5xx),
//! and valid requests are served normally. S3's and AWS Backup's barrages
//! are in their crates (`s3/tests/s3/hostile.rs`,
//! `backup/tests/hostile_input.rs`), framing abuse in `core/tests/transport.rs`.
//!
//! The barrage is deterministic (a fixed xorshift seed) and made only of
//! requests AWS refuses whatever their mutation: JSON cut short, nested past
//! any depth, values of the wrong type or past AWS's limits, conditions that
//! fail, and Query calls whose values the RDS model rejects. None of them may
//! change a byte of acknowledged data.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use common::postgres::{postgres_installed, sql, wait_rds_available};
use common::{body, exchange, status};
use firedrill_emulator::{Emulator, EmulatorHandle};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

const REGION: &str = "us-east-1";
const TABLE: &str = "carts";
const ITEMS: usize = 40;

/// A tiny deterministic generator, so a failure replays exactly.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn authorization(service: &str) -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260314/{REGION}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\nX-Amz-Date: 20260314T000000Z\r\n"
    )
}

async fn dynamodb_raw(addr: SocketAddr, operation: &str, payload: &[u8]) -> String {
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{}X-Amz-Target: DynamoDB_20120810.{operation}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n",
        authorization("dynamodb"),
        payload.len()
    )
    .into_bytes();
    request.extend_from_slice(payload);
    exchange(addr, &request).await
}

async fn rds_raw(addr: SocketAddr, form: &str) -> String {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{}Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: {}\r\n\r\n{form}",
        authorization("rds"),
        form.len()
    );
    exchange(addr, request.as_bytes()).await
}

/// The valid PutItem body of cart `i`; the barrage cuts and corrupts it.
fn put_item(i: usize) -> String {
    serde_json::json!({
        "TableName": TABLE,
        "Item": {
            "pk": {"S": format!("cart-{i:03}")},
            "qty": {"N": (i * 3).to_string()},
            "sku": {"S": format!("SKU-{}", i % 7)},
        }
    })
    .to_string()
}

/// One hostile DynamoDB request: an operation and a body AWS refuses.
fn hostile_dynamodb(rng: &mut XorShift) -> (&'static str, Vec<u8>) {
    let i = rng.below(ITEMS);
    let valid = put_item(i);
    match rng.below(12) {
        // JSON cut short anywhere before its last byte is never a document.
        0 => {
            let cut = rng.below(valid.len() - 1);
            ("PutItem", valid.as_bytes()[..cut].to_vec())
        }
        // Nested far past any parser's patience.
        1 => {
            let depth = 1000 + rng.below(20_000);
            let mut s = String::from("{\"TableName\":\"carts\",\"Item\":{\"pk\":");
            s.push_str(&"[".repeat(depth));
            ("PutItem", s.into_bytes())
        }
        // The key attribute with the wrong type.
        2 => (
            "PutItem",
            format!(r#"{{"TableName":"carts","Item":{{"pk":{{"N":"{i}"}}}}}}"#).into_bytes(),
        ),
        // A partition key over 2048 bytes.
        3 => (
            "PutItem",
            format!(
                r#"{{"TableName":"carts","Item":{{"pk":{{"S":"{}"}}}}}}"#,
                "k".repeat(2049 + rng.below(5000))
            )
            .into_bytes(),
        ),
        // A condition on an existing cart that cannot hold.
        4 => (
            "PutItem",
            format!(
                r#"{{"TableName":"carts","Item":{{"pk":{{"S":"cart-{i:03}"}},"qty":{{"N":"-1"}}}},"ConditionExpression":"attribute_not_exists(pk)"}}"#
            )
            .into_bytes(),
        ),
        // An update whose expression does not parse.
        5 => (
            "UpdateItem",
            format!(
                r#"{{"TableName":"carts","Key":{{"pk":{{"S":"cart-{i:03}"}}}},"UpdateExpression":"SET qty = qty + + :n","ExpressionAttributeValues":{{":n":{{"N":"1"}}}}}}"#
            )
            .into_bytes(),
        ),
        // A delete whose condition fails.
        6 => (
            "DeleteItem",
            format!(
                r#"{{"TableName":"carts","Key":{{"pk":{{"S":"cart-{i:03}"}}}},"ConditionExpression":"qty = :never","ExpressionAttributeValues":{{":never":{{"N":"-42"}}}}}}"#
            )
            .into_bytes(),
        ),
        // A number past DynamoDB's 38 digits of precision.
        7 => (
            "UpdateItem",
            format!(
                r#"{{"TableName":"carts","Key":{{"pk":{{"S":"cart-{i:03}"}}}},"UpdateExpression":"SET qty = :n","ExpressionAttributeValues":{{":n":{{"N":"1{}"}}}}}}"#,
                "0".repeat(130)
            )
            .into_bytes(),
        ),
        // A transaction whose second write is invalid: none is applied.
        8 => (
            "TransactWriteItems",
            format!(
                r#"{{"TransactItems":[{{"Delete":{{"TableName":"carts","Key":{{"pk":{{"S":"cart-{i:03}"}}}}}}}},{{"Put":{{"TableName":"carts","Item":{{"pk":{{"NULL":false}}}}}}}}]}}"#
            )
            .into_bytes(),
        ),
        // A batch over 25 writes: refused whole.
        9 => {
            let deletes: Vec<String> = (0..26)
                .map(|j| format!(r#"{{"DeleteRequest":{{"Key":{{"pk":{{"S":"cart-{:03}"}}}}}}}}"#, j % ITEMS))
                .collect();
            (
                "BatchWriteItem",
                format!(r#"{{"RequestItems":{{"carts":[{}]}}}}"#, deletes.join(",")).into_bytes(),
            )
        }
        // Bytes that are not UTF-8 in the middle of a document.
        10 => {
            let mut b = valid.into_bytes();
            let at = 1 + rng.below(b.len() - 2);
            b[at] = 0xff;
            ("PutItem", b)
        }
        // A valid-looking body with an attribute value of no type.
        _ => (
            "PutItem",
            format!(r#"{{"TableName":"carts","Item":{{"pk":{{"S":"cart-{i:03}"}},"qty":{{}}}}}}"#)
                .into_bytes(),
        ),
    }
}

/// One hostile RDS Query request against instance `shop`.
fn hostile_rds(rng: &mut XorShift) -> String {
    let bad = [
        "Action=ModifyDBInstance&DBInstanceIdentifier=shop&DBPortNumber=70000&ApplyImmediately=true",
        "Action=ModifyDBInstance&DBInstanceIdentifier=shop&DBInstanceClass=db.huge&ApplyImmediately=true",
        "Action=ModifyDBInstance&DBInstanceIdentifier=shop&StorageType=floppy&ApplyImmediately=true",
        "Action=ModifyDBInstance&DBInstanceIdentifier=shop&AllocatedStorage=-5&ApplyImmediately=true",
        "Action=ModifyDBInstance&DBInstanceIdentifier=shop&BackupRetentionPeriod=36&ApplyImmediately=true",
        "Action=ModifyDBInstance&DBInstanceIdentifier=shop&NewDBInstanceIdentifier=-bad-&ApplyImmediately=true",
        "Action=DeleteDBInstance&DBInstanceIdentifier=shop",
        "Action=DeleteDBInstance&DBInstanceIdentifier=shop&SkipFinalSnapshot=false&FinalDBSnapshotIdentifier=--",
        "Action=CreateDBInstance&DBInstanceIdentifier=second&Engine=postgres&DBInstanceClass=db.t3.micro&AllocatedStorage=20&MasterUsername=shop&MasterUserPassword=shop-password&Port=70000",
        "Action=CreateDBInstance&DBInstanceIdentifier=second&Engine=postgres&DBInstanceClass=db.huge&AllocatedStorage=20&MasterUsername=shop&MasterUserPassword=shop-password",
        "Action=CreateDBInstance&DBInstanceIdentifier=second&Engine=postgres&DBInstanceClass=db.t3.micro&AllocatedStorage=20&StorageType=floppy&MasterUsername=shop&MasterUserPassword=shop-password",
        "Action=CreateDBInstance&DBInstanceIdentifier=shop&Engine=postgres&DBInstanceClass=db.t3.micro&AllocatedStorage=20&MasterUsername=shop&MasterUserPassword=shop-password",
        "Action=RestoreDBInstanceToPointInTime&SourceDBInstanceIdentifier=shop&TargetDBInstanceIdentifier=shop",
        "Action=RestoreDBInstanceToPointInTime&SourceDBInstanceIdentifier=shop&TargetDBInstanceIdentifier=pitr&RestoreTime=2199-01-01T00:00:00Z",
        "Action=RestoreDBInstanceToPointInTime&SourceDBInstanceIdentifier=shop&TargetDBInstanceIdentifier=pitr&RestoreTime=not-a-time",
        "Action=CreateDBSnapshot&DBInstanceIdentifier=shop&DBSnapshotIdentifier=%00nul",
        "Action=RebootDBInstance&DBInstanceIdentifier=shop&ForceFailover=true",
        "Action=ModifyDBInstance&DBInstanceIdentifier=shop&DBPortNumber=%00",
    ];
    let mut form = bad[rng.below(bad.len())].to_owned();
    if rng.below(3) == 0 {
        // Junk parameters besides the bad value change nothing either.
        form.push_str(&format!("&Junk{}=%ff%fe", rng.below(1000)));
    }
    format!("{form}&Version=2014-10-31")
}

fn json_error_type(answer: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body(answer)).ok()?;
    v.get("__type")?.as_str().map(str::to_owned)
}

async fn items(client: &aws_sdk_dynamodb::Client) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    let pages: Vec<_> = client
        .scan()
        .table_name(TABLE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    pages
        .into_iter()
        .map(|item| {
            let AttributeValue::S(pk) = &item["pk"] else {
                panic!("pk is a string: {item:?}")
            };
            (pk.clone(), item)
        })
        .collect()
}

async fn seed_table(client: &aws_sdk_dynamodb::Client, emulator: &EmulatorHandle) {
    client
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    emulator.advance(chrono::Duration::seconds(5)).await.unwrap();
    for i in 0..ITEMS {
        let v: serde_json::Value = serde_json::from_str(&put_item(i)).unwrap();
        let item = &v["Item"];
        client
            .put_item()
            .table_name(TABLE)
            .item(
                "pk",
                AttributeValue::S(item["pk"]["S"].as_str().unwrap().to_owned()),
            )
            .item(
                "qty",
                AttributeValue::N(item["qty"]["N"].as_str().unwrap().to_owned()),
            )
            .item(
                "sku",
                AttributeValue::S(item["sku"]["S"].as_str().unwrap().to_owned()),
            )
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_dynamodb_barrage_every_item_is_unchanged_and_valid_requests_are_served() {
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T00:30:00Z".parse().unwrap())
        .start()
        .await
        .unwrap();
    let addr = emulator.local_addr().unwrap();
    let client = aws_sdk_dynamodb::Client::new(&emulator.sdk_config(REGION).await);
    seed_table(&client, &emulator).await;
    let before = items(&client).await;
    assert_eq!(before.len(), ITEMS);

    let mut rng = XorShift(0x5eed_f1ee_d511);
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    for n in 0..600 {
        let (operation, payload) = hostile_dynamodb(&mut rng);
        let answer = dynamodb_raw(addr, operation, &payload).await;
        let code = status(&answer);
        assert!(
            (400..500).contains(&code),
            "request {n} ({operation}) answered {code}: {answer}"
        );
        let kind = json_error_type(&answer)
            .unwrap_or_else(|| panic!("request {n} ({operation}) is not a JSON error: {answer}"));
        assert!(answer.contains("application/x-amz-json-1.0"), "{answer}");
        *refusals
            .entry(kind.rsplit('#').next().unwrap_or(&kind).to_owned())
            .or_default() += 1;
    }
    // The barrage reached the parser, the validator and the condition checks.
    for kind in [
        "SerializationException",
        "ValidationException",
        "ConditionalCheckFailedException",
    ] {
        assert!(refusals.contains_key(kind), "no {kind} among {refusals:?}");
    }

    assert_eq!(items(&client).await, before, "an item changed under the barrage");
    client
        .put_item()
        .table_name(TABLE)
        .item("pk", AttributeValue::S("cart-new".into()))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S("cart-007".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item(), before.get("cart-007"));
    assert_eq!(items(&client).await.len(), ITEMS + 1);
    emulator.shutdown().await;
}

async fn rows(db: &tokio_postgres::Client) -> Vec<(i32, String, i64)> {
    db.query("SELECT id, sku, total_cents FROM orders ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// What a hostile Query call must not move: class, storage, port, size,
/// retention, status.
async fn instance_shape(rds: &aws_sdk_rds::Client) -> Vec<String> {
    let out = rds.describe_db_instances().send().await.unwrap();
    out.db_instances()
        .iter()
        .map(|db| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                db.db_instance_identifier(),
                db.db_instance_class(),
                db.storage_type(),
                db.endpoint().and_then(|e| e.port()),
                db.allocated_storage(),
                db.backup_retention_period(),
                db.db_instance_status()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_rds_barrage_every_row_and_the_instance_are_unchanged() {
    if !postgres_installed() {
        println!(
            "SKIPPED: PostgreSQL server binaries not found (set FIREDRILL_PG_BIN or install postgresql)"
        );
        return;
    }
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T00:30:00Z".parse().unwrap())
        .start()
        .await
        .unwrap();
    let addr = emulator.local_addr().unwrap();
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config(REGION).await);
    rds.create_db_instance()
        .db_instance_identifier("shop")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("shop")
        .master_user_password("shop-password")
        .db_name("shop")
        .backup_retention_period(7)
        .send()
        .await
        .unwrap();
    let (host, port) = wait_rds_available(&rds, &emulator, "shop").await;
    let db = sql(&host, port).await;
    db.batch_execute(
        "CREATE TABLE orders (id int PRIMARY KEY, sku text NOT NULL, total_cents bigint NOT NULL);
         INSERT INTO orders SELECT g, 'SKU-' || (g % 7), g * 1250 FROM generate_series(1, 200) g;",
    )
    .await
    .unwrap();
    let before_rows = rows(&db).await;
    let before_shape = instance_shape(&rds).await;

    let mut rng = XorShift(0xdead_beef_cafe);
    for n in 0..150 {
        let form = hostile_rds(&mut rng);
        let answer = rds_raw(addr, &form).await;
        let code = status(&answer);
        assert!(
            (400..500).contains(&code),
            "request {n} ({form}) answered {code}: {answer}"
        );
        let text = body(&answer);
        assert!(
            text.contains("<ErrorResponse") && text.contains("<Code>") && text.contains("<RequestId>"),
            "request {n} ({form}) is not an RDS XML error: {answer}"
        );
        assert!(!text.contains('\0'), "a NUL byte echoed raw: {answer}");
    }
    // A clock step lets anything a refused call might have queued take effect.
    emulator.advance(chrono::Duration::minutes(10)).await.unwrap();

    assert_eq!(
        instance_shape(&rds).await,
        before_shape,
        "the instance changed under the barrage"
    );
    let db = sql(&host, port).await;
    assert_eq!(rows(&db).await, before_rows, "a row changed under the barrage");
    db.execute("INSERT INTO orders VALUES (201, 'SKU-1', 999)", &[])
        .await
        .unwrap();
    assert_eq!(rows(&db).await.len(), 201);
    let snapshots = rds.describe_db_snapshots().send().await.unwrap();
    assert!(
        snapshots
            .db_snapshots()
            .iter()
            .all(|s| s.snapshot_type() == Some("automated")),
        "a refused call made a snapshot: {:?}",
        snapshots.db_snapshots()
    );
    rds.delete_db_instance()
        .db_instance_identifier("shop")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    emulator.shutdown().await;
}
