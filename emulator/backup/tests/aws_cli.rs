//! The AWS CLI against the emulator: create a vault, a plan and a
//! selection, start a backup job and list the vault's recovery points.
//! Skipped, with a printed reason, when `aws` is not installed.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

mod common;

use common::*;
use serde_json::Value;

async fn aws(endpoint: &str, args: &[&str]) -> Value {
    let out = tokio::process::Command::new("aws")
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
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run aws");
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("aws prints JSON")
}

fn aws_installed() -> bool {
    std::process::Command::new("aws")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test]
async fn the_aws_cli_creates_a_plan_and_backs_up() {
    if !aws_installed() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed");
        return;
    }
    let h = Harness::start().await;
    let ep = h.server.endpoint.clone();
    let table = h.dynamodb.add(
        "us-east-1",
        "carts",
        &[("Environment", "Production")],
        &["cart-1"],
    );

    let vault = aws(
        &ep,
        &["backup", "create-backup-vault", "--backup-vault-name", "primary"],
    )
    .await;
    assert_eq!(vault["BackupVaultName"], "primary");

    let plan = aws(
        &ep,
        &[
            "backup",
            "create-backup-plan",
            "--backup-plan",
            r#"{"BackupPlanName":"store","Rules":[{"RuleName":"daily","TargetBackupVaultName":"primary","ScheduleExpression":"cron(0 5 ? * * *)","StartWindowMinutes":60,"Lifecycle":{"DeleteAfterDays":35}}]}"#,
        ],
    )
    .await;
    let plan_id = plan["BackupPlanId"].as_str().expect("a plan id").to_owned();

    let selection = aws(
        &ep,
        &[
            "backup",
            "create-backup-selection",
            "--backup-plan-id",
            &plan_id,
            "--backup-selection",
            &format!(
                r#"{{"SelectionName":"production","IamRoleArn":"{ROLE}","ListOfTags":[{{"ConditionType":"STRINGEQUALS","ConditionKey":"Environment","ConditionValue":"Production"}}]}}"#
            ),
        ],
    )
    .await;
    assert!(selection["SelectionId"].is_string());

    let job = aws(
        &ep,
        &[
            "backup",
            "start-backup-job",
            "--backup-vault-name",
            "primary",
            "--resource-arn",
            &table,
            "--iam-role-arn",
            ROLE,
        ],
    )
    .await;
    let rp_arn = job["RecoveryPointArn"]
        .as_str()
        .expect("a recovery point ARN")
        .to_owned();
    h.server.advance(chrono::Duration::seconds(5)).await;

    let listed = aws(
        &ep,
        &[
            "backup",
            "list-recovery-points-by-backup-vault",
            "--backup-vault-name",
            "primary",
        ],
    )
    .await;
    let points = listed["RecoveryPoints"].as_array().expect("a list");
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["RecoveryPointArn"], rp_arn.as_str());
    assert_eq!(points[0]["Status"], "COMPLETED");
    assert_eq!(points[0]["ResourceArn"], table.as_str());

    // The CLI percent-encodes the ARN in the path; describe finds it.
    let described = aws(
        &ep,
        &[
            "backup",
            "describe-recovery-point",
            "--backup-vault-name",
            "primary",
            "--recovery-point-arn",
            &rp_arn,
        ],
    )
    .await;
    assert_eq!(described["ResourceType"], "DynamoDB");
}
