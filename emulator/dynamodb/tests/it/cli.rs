//! The AWS CLI against the emulator: create a table, enable PITR, put
//! items, batch-delete them, restore to the instant before, scan the
//! restored table; and its error answers, whose `x-amz-crc32` botocore
//! checks. Skipped (with a message) when `aws` is not installed.

use crate::common::*;
use chrono::{Duration, SecondsFormat};
use std::process::Command;

fn aws_output(endpoint: &str, args: &[&str]) -> std::process::Output {
    Command::new("aws")
        .args(args)
        .args([
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIAFIREDRILLTEST")
        .env("AWS_SECRET_ACCESS_KEY", "firedrill-test-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run aws")
}

fn aws(endpoint: &str, args: &[&str]) -> serde_json::Value {
    let out = aws_output(endpoint, args);
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("aws prints JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_restores_a_table_to_a_point_in_time() {
    if Command::new("aws").arg("--version").output().is_err() {
        eprintln!("skipping: the AWS CLI (`aws`) is not installed");
        return;
    }
    let env = start().await;
    let ep = env.server.endpoint.clone();
    let run = |args: Vec<String>| {
        let ep = ep.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                aws(&ep, &refs)
            })
            .await
            .unwrap()
        }
    };
    let v = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    run(v(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "carts",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]))
    .await;
    env.settle().await;
    run(v(&[
        "dynamodb",
        "update-continuous-backups",
        "--table-name",
        "carts",
        "--point-in-time-recovery-specification",
        "PointInTimeRecoveryEnabled=true",
    ]))
    .await;
    for i in 0..5 {
        let it = format!(r#"{{"pk":{{"S":"cart-{i}"}},"qty":{{"N":"{i}"}}}}"#);
        run(v(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "carts",
            "--item",
            &it,
        ]))
        .await;
    }
    // The CLI sends whole seconds; step past a second boundary on both sides.
    env.server.advance(Duration::seconds(2)).await;
    let t = env.now();
    env.server.advance(Duration::seconds(2)).await;
    let deletes: Vec<String> = (0..5)
        .map(|i| format!(r#"{{"DeleteRequest":{{"Key":{{"pk":{{"S":"cart-{i}"}}}}}}}}"#))
        .collect();
    let request = format!(r#"{{"carts":[{}]}}"#, deletes.join(","));
    run(v(&["dynamodb", "batch-write-item", "--request-items", &request])).await;
    let scan = run(v(&["dynamodb", "scan", "--table-name", "carts"])).await;
    assert_eq!(scan["Count"], 0);

    let when = t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let out = run(v(&[
        "dynamodb",
        "restore-table-to-point-in-time",
        "--source-table-name",
        "carts",
        "--target-table-name",
        "carts-restored",
        "--restore-date-time",
        &when,
    ]))
    .await;
    assert_eq!(out["TableDescription"]["TableStatus"], "CREATING");
    env.settle().await;
    let scan = run(v(&["dynamodb", "scan", "--table-name", "carts-restored"])).await;
    assert_eq!(scan["Count"], 5);
    let mut keys: Vec<String> = scan["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["pk"]["S"].as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    assert_eq!(keys, ["cart-0", "cart-1", "cart-2", "cart-3", "cart-4"]);
    let _ = item(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_accepts_the_crc32_of_error_responses() {
    if Command::new("aws").arg("--version").output().is_err() {
        eprintln!("skipping: the AWS CLI (`aws`) is not installed");
        return;
    }
    let env = start().await;
    let ep = env.server.endpoint.clone();
    // botocore compares x-amz-crc32 with the body it read and, on a
    // mismatch, retries and then fails with a checksum error instead of
    // the service's error.
    let out = tokio::task::spawn_blocking(move || {
        aws_output(
            &ep,
            &[
                "dynamodb",
                "describe-table",
                "--table-name",
                "missing",
                "--cli-read-timeout",
                "5",
            ],
        )
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(ResourceNotFoundException)") && stderr.contains("Requested resource not found"),
        "{stderr}"
    );
    assert!(!stderr.to_lowercase().contains("crc32"), "{stderr}");
}
