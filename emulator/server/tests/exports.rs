//! DynamoDB table exports into the assembled emulator's S3, through the
//! official aws-sdk-dynamodb and aws-sdk-s3 clients: the table as it was at
//! ExportTime lands in AWS's layout (`AWSDynamoDB/<ExportId>/` with
//! `_started`, the manifests and their checksums, gzipped data files), and
//! DescribeExport, ListExports and AWS's errors answer as on AWS.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ExportFormat, ExportStatus, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, ScalarAttributeType,
};
use chrono::{DateTime, Duration, Utc};
use firedrill_emulator::{Emulator, EmulatorHandle};
use std::io::Read;

struct Env {
    emulator: EmulatorHandle,
    ddb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
}

async fn start() -> Env {
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T00:30:00Z".parse().unwrap())
        .start()
        .await
        .unwrap();
    let sdk = emulator.sdk_config("us-east-1").await;
    Env {
        ddb: aws_sdk_dynamodb::Client::new(&sdk),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        ),
        emulator,
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

impl Env {
    fn now(&self) -> DateTime<Utc> {
        self.emulator.now()
    }

    async fn advance(&self, by: Duration) {
        self.emulator.advance(by).await.unwrap();
    }

    /// Creates table `name` keyed by `pk`, PITR on when `pitr`; returns its ARN.
    async fn table(&self, name: &str, pitr: bool) -> String {
        let out = self
            .ddb
            .create_table()
            .table_name(name)
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
        self.advance(Duration::seconds(1)).await;
        if pitr {
            self.ddb
                .update_continuous_backups()
                .table_name(name)
                .point_in_time_recovery_specification(
                    PointInTimeRecoverySpecification::builder()
                        .point_in_time_recovery_enabled(true)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        }
        out.table_description().unwrap().table_arn().unwrap().to_owned()
    }

    async fn put(&self, table: &str, pk: &str, qty: &str) {
        self.ddb
            .put_item()
            .table_name(table)
            .item("pk", s(pk))
            .item("qty", AttributeValue::N(qty.to_owned()))
            .send()
            .await
            .unwrap();
    }

    async fn object(&self, bucket: &str, key: &str) -> (Vec<u8>, Option<String>) {
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        let etag = out.e_tag().map(|e| e.trim_matches('"').to_owned());
        (out.body.collect().await.unwrap().into_bytes().to_vec(), etag)
    }
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn an_export_writes_the_table_as_it_was_at_export_time_in_aws_layout() {
    let env = start().await;
    env.s3.create_bucket().bucket("exports").send().await.unwrap();
    let arn = env.table("carts", true).await;
    env.put("carts", "a", "1").await;
    env.put("carts", "b", "1").await;
    env.advance(Duration::minutes(1)).await;
    let export_time = env.now();
    env.advance(Duration::minutes(1)).await;
    env.put("carts", "a", "2").await;
    env.ddb
        .delete_item()
        .table_name("carts")
        .key("pk", s("b"))
        .send()
        .await
        .unwrap();
    env.put("carts", "c", "1").await;

    let out = env
        .ddb
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("exports")
        .s3_prefix("nightly")
        .export_time(aws_smithy_types::DateTime::from_secs(export_time.timestamp()))
        .send()
        .await
        .unwrap();
    let started = out.export_description().unwrap();
    assert_eq!(started.export_status(), Some(&ExportStatus::InProgress));
    let export_arn = started.export_arn().unwrap().to_owned();
    assert!(export_arn.starts_with(&format!("{arn}/export/")), "{export_arn}");
    let export_id = export_arn.rsplit('/').next().unwrap().to_owned();

    let d = env
        .ddb
        .describe_export()
        .export_arn(&export_arn)
        .send()
        .await
        .unwrap();
    let d = d.export_description().unwrap();
    assert_eq!(d.export_status(), Some(&ExportStatus::Completed));
    assert_eq!(d.item_count(), Some(2));
    assert_eq!(d.export_format(), Some(&ExportFormat::DynamodbJson));
    let root = format!("nightly/AWSDynamoDB/{export_id}");
    assert_eq!(
        d.export_manifest(),
        Some(format!("{root}/manifest-summary.json").as_str())
    );
    assert_eq!(d.export_time().unwrap().secs(), export_time.timestamp());

    let (summary, _) = env
        .object("exports", &format!("{root}/manifest-summary.json"))
        .await;
    let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap();
    assert_eq!(summary["version"], "2020-06-30");
    assert_eq!(summary["exportArn"], export_arn.as_str());
    assert_eq!(summary["tableArn"], arn.as_str());
    assert_eq!(summary["itemCount"], 2);
    assert_eq!(summary["outputFormat"], "DYNAMODB_JSON");
    assert_eq!(summary["s3Bucket"], "exports");
    assert_eq!(
        summary["manifestFilesS3Key"],
        format!("{root}/manifest-files.json")
    );
    for name in ["_started", "manifest-summary.checksum", "manifest-files.checksum"] {
        env.object("exports", &format!("{root}/{name}")).await;
    }

    let (files, _) = env
        .object("exports", &format!("{root}/manifest-files.json"))
        .await;
    let files: Vec<serde_json::Value> = String::from_utf8(files)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(files.len(), 1);
    let data_key = files[0]["dataFileS3Key"].as_str().unwrap();
    assert!(data_key.starts_with(&format!("{root}/data/")) && data_key.ends_with(".json.gz"));
    assert_eq!(files[0]["itemCount"], 2);
    let (data, etag) = env.object("exports", data_key).await;
    assert_eq!(
        files[0]["etag"].as_str(),
        etag.as_deref(),
        "the manifest names the object's ETag"
    );
    let mut items: Vec<serde_json::Value> = gunzip(&data)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Item"].clone())
        .collect();
    items.sort_by_key(|i| i["pk"]["S"].as_str().unwrap().to_owned());
    assert_eq!(
        items,
        vec![
            serde_json::json!({"pk": {"S": "a"}, "qty": {"N": "1"}}),
            serde_json::json!({"pk": {"S": "b"}, "qty": {"N": "1"}}),
        ],
        "the table as it was at ExportTime, not as it is now"
    );

    let listed = env.ddb.list_exports().table_arn(&arn).send().await.unwrap();
    assert_eq!(listed.export_summaries().len(), 1);
    assert_eq!(
        listed.export_summaries()[0].export_arn(),
        Some(export_arn.as_str())
    );
    assert_eq!(
        listed.export_summaries()[0].export_status(),
        Some(&ExportStatus::Completed)
    );
}

#[tokio::test]
async fn an_ion_export_writes_ion_text() {
    let env = start().await;
    env.s3.create_bucket().bucket("exports").send().await.unwrap();
    let arn = env.table("carts", true).await;
    env.put("carts", "a", "12").await;
    let out = env
        .ddb
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("exports")
        .export_format(ExportFormat::Ion)
        .send()
        .await
        .unwrap();
    let export_id = out
        .export_description()
        .unwrap()
        .export_arn()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (files, _) = env
        .object("exports", &format!("AWSDynamoDB/{export_id}/manifest-files.json"))
        .await;
    let line: serde_json::Value =
        serde_json::from_slice(files.split(|b| *b == b'\n').next().unwrap()).unwrap();
    let key = line["dataFileS3Key"].as_str().unwrap();
    assert!(key.ends_with(".ion.gz"), "{key}");
    let (data, _) = env.object("exports", key).await;
    assert_eq!(gunzip(&data), "$ion_1_0 {Item:{\"pk\":\"a\",\"qty\":12.}}\n");
}

#[tokio::test]
async fn exports_refused_or_failed_as_aws_answers_them() {
    let env = start().await;
    env.s3.create_bucket().bucket("exports").send().await.unwrap();
    let plain = env.table("plain", false).await;
    let arn = env.table("carts", true).await;
    let export = |table: &str| {
        env.ddb
            .export_table_to_point_in_time()
            .table_arn(table)
            .s3_bucket("exports")
    };
    let code = |e: &dyn ProvideErrorMetadata| e.code().unwrap_or_default().to_owned();

    let err = export(&plain).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&err), "PointInTimeRecoveryUnavailableException");
    let missing = arn.replace("carts", "gone");
    let err = export(&missing).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&err), "TableNotFoundException");
    let future = env.now() + Duration::hours(1);
    let err = export(&arn)
        .export_time(aws_smithy_types::DateTime::from_secs(future.timestamp()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "InvalidExportTimeException");
    let before_pitr = env.now() - Duration::hours(1);
    let err = export(&arn)
        .export_time(aws_smithy_types::DateTime::from_secs(before_pitr.timestamp()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "InvalidExportTimeException");
    let err = export(&arn)
        .export_format(ExportFormat::from("CSV"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "ValidationException");
    let err = env
        .ddb
        .describe_export()
        .export_arn(format!("{arn}/export/01234567890123-abcdef01"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "ExportNotFoundException");
    assert!(
        env.ddb
            .list_exports()
            .send()
            .await
            .unwrap()
            .export_summaries()
            .is_empty(),
        "a refused export leaves no trace"
    );

    // One client token, one export; the same token with other parameters
    // is a conflict.
    let first = export(&arn).client_token("nightly-1").send().await.unwrap();
    let again = export(&arn).client_token("nightly-1").send().await.unwrap();
    assert_eq!(
        first.export_description().unwrap().export_arn(),
        again.export_description().unwrap().export_arn()
    );
    let err = export(&arn)
        .client_token("nightly-1")
        .s3_prefix("other")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "ExportConflictException");

    // A bucket that does not exist fails the export, as AWS reports it.
    let out = env
        .ddb
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("no-such-bucket")
        .send()
        .await
        .unwrap();
    let failed = env
        .ddb
        .describe_export()
        .export_arn(out.export_description().unwrap().export_arn().unwrap())
        .send()
        .await
        .unwrap();
    let failed = failed.export_description().unwrap();
    assert_eq!(failed.export_status(), Some(&ExportStatus::Failed));
    assert_eq!(failed.failure_code(), Some("S3NoSuchBucket"));
    assert_eq!(
        env.ddb
            .list_exports()
            .send()
            .await
            .unwrap()
            .export_summaries()
            .len(),
        2
    );
}
