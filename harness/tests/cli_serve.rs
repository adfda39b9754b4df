//! The AWS CLI against `firedrill serve` in a subprocess: the DynamoDB PITR
//! story, the S3 versioning story, RDS create/restore/psql and AWS Backup
//! vault/plan/selection/job, exactly as a user would type them. Skipped, with
//! a line saying so, where the AWS CLI is not installed.

use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

/// `firedrill serve` on a simulated clock, with the AWS CLI pointed at it.
struct Serve {
    serve: support::serve::Serve,
}

impl Serve {
    fn start() -> Self {
        Self {
            serve: support::serve::Serve::start(&["--simulated-clock", "2026-03-14T12:00:00Z"]),
        }
    }

    fn aws(&self, args: &[&str]) -> Value {
        let out = Command::new("aws")
            .args(args)
            .args([
                "--endpoint-url",
                &self.serve.endpoint,
                "--region",
                "us-east-1",
                "--output",
                "json",
            ])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .output()
            .expect("run the AWS CLI");
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON output")
        }
    }

    fn advance(&self, seconds: u64) {
        let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args([
                "admin",
                "--endpoint",
                &self.serve.endpoint,
                "advance",
                &seconds.to_string(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
    }

    fn now(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args(["admin", "--endpoint", &self.serve.endpoint, "clock"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["now"].as_str().unwrap().to_owned()
    }

    fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.advance(1);
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn aws_cli_installed() -> bool {
    Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql").is_ok() || Command::new("pg_config").output().is_ok()
}

#[test]
fn aws_cli_dynamodb_pitr_and_s3_versions_against_serve() {
    if !aws_cli_installed() {
        println!("SKIPPED: the AWS CLI is not installed (pip install awscli)");
        return;
    }
    let serve = Serve::start();
    serve.aws(&[
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
    ]);
    serve.wait_until("carts ACTIVE", || {
        serve.aws(&["dynamodb", "describe-table", "--table-name", "carts"])["Table"]["TableStatus"]
            == "ACTIVE"
    });
    serve.aws(&[
        "dynamodb",
        "update-continuous-backups",
        "--table-name",
        "carts",
        "--point-in-time-recovery-specification",
        "PointInTimeRecoveryEnabled=true",
    ]);
    for i in 0..3 {
        serve.aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "carts",
            "--item",
            &format!("{{\"pk\":{{\"S\":\"c{i}\"}}}}"),
        ]);
    }
    serve.advance(60);
    let t = serve.now();
    serve.advance(60);
    serve.aws(&[
        "dynamodb", "batch-write-item", "--request-items",
        r#"{"carts":[{"DeleteRequest":{"Key":{"pk":{"S":"c0"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"c1"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"c2"}}}}]}"#,
    ]);
    assert_eq!(
        serve.aws(&["dynamodb", "scan", "--table-name", "carts"])["Count"],
        0
    );
    serve.aws(&[
        "dynamodb",
        "restore-table-to-point-in-time",
        "--source-table-name",
        "carts",
        "--target-table-name",
        "carts-restored",
        "--restore-date-time",
        &t,
    ]);
    serve.wait_until("carts-restored ACTIVE", || {
        serve.aws(&["dynamodb", "describe-table", "--table-name", "carts-restored"])["Table"]["TableStatus"]
            == "ACTIVE"
    });
    assert_eq!(
        serve.aws(&["dynamodb", "scan", "--table-name", "carts-restored"])["Count"],
        3
    );

    serve.aws(&["s3api", "create-bucket", "--bucket", "invoices"]);
    serve.aws(&[
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        "invoices",
        "--versioning-configuration",
        "Status=Enabled",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (v1, v2) = (dir.path().join("v1"), dir.path().join("v2"));
    std::fs::write(&v1, "invoice v1").unwrap();
    std::fs::write(&v2, "ENCRYPTED BY RANSOMWARE").unwrap();
    let first = serve.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "invoices",
        "--key",
        "i.pdf",
        "--body",
        v1.to_str().unwrap(),
    ]);
    serve.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "invoices",
        "--key",
        "i.pdf",
        "--body",
        v2.to_str().unwrap(),
    ]);
    serve.aws(&["s3api", "delete-object", "--bucket", "invoices", "--key", "i.pdf"]);
    let versions = serve.aws(&["s3api", "list-object-versions", "--bucket", "invoices"]);
    assert_eq!(versions["Versions"].as_array().unwrap().len(), 2);
    assert_eq!(versions["DeleteMarkers"].as_array().unwrap().len(), 1);
    let out = dir.path().join("out");
    serve.aws(&[
        "s3api",
        "get-object",
        "--bucket",
        "invoices",
        "--key",
        "i.pdf",
        "--version-id",
        first["VersionId"].as_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "invoice v1");
}

#[test]
fn aws_cli_rds_restore_and_backup_plan_against_serve() {
    if !aws_cli_installed() || !postgres_installed() {
        println!("SKIPPED: needs the AWS CLI and PostgreSQL server binaries");
        return;
    }
    let serve = Serve::start();
    serve.aws(&[
        "rds",
        "create-db-instance",
        "--db-instance-identifier",
        "orders",
        "--engine",
        "postgres",
        "--db-instance-class",
        "db.t3.micro",
        "--master-username",
        "shop",
        "--master-user-password",
        "shop-password",
        "--db-name",
        "shop",
        "--backup-retention-period",
        "7",
        "--tags",
        "Key=Environment,Value=Production",
    ]);
    serve.wait_until("orders available", || {
        serve.aws(&[
            "rds",
            "describe-db-instances",
            "--db-instance-identifier",
            "orders",
        ])["DBInstances"][0]["DBInstanceStatus"]
            == "available"
    });
    serve.advance(120);
    serve.aws(&[
        "rds",
        "restore-db-instance-to-point-in-time",
        "--source-db-instance-identifier",
        "orders",
        "--target-db-instance-identifier",
        "orders-restored",
        "--use-latest-restorable-time",
    ]);
    let mut endpoint = Value::Null;
    serve.wait_until("orders-restored available", || {
        let d = serve.aws(&[
            "rds",
            "describe-db-instances",
            "--db-instance-identifier",
            "orders-restored",
        ]);
        endpoint = d["DBInstances"][0]["Endpoint"].clone();
        d["DBInstances"][0]["DBInstanceStatus"] == "available"
    });
    let psql = Command::new("psql")
        .args([
            "-h",
            endpoint["Address"].as_str().unwrap(),
            "-p",
            &endpoint["Port"].to_string(),
            "-U",
            "shop",
            "-d",
            "shop",
            "-tAc",
            "select 40 + 2",
        ])
        .env("PGPASSWORD", "shop-password")
        .output()
        .expect("run psql");
    assert_eq!(
        String::from_utf8_lossy(&psql.stdout).trim(),
        "42",
        "{}",
        String::from_utf8_lossy(&psql.stderr)
    );

    serve.aws(&[
        "backup",
        "create-backup-vault",
        "--backup-vault-name",
        "shop-vault",
    ]);
    let plan = serve.aws(&[
        "backup", "create-backup-plan", "--backup-plan",
        r#"{"BackupPlanName":"shop","Rules":[{"RuleName":"daily","TargetBackupVaultName":"shop-vault","ScheduleExpression":"cron(0 3 ? * * *)"}]}"#,
    ]);
    serve.aws(&[
        "backup", "create-backup-selection", "--backup-plan-id", plan["BackupPlanId"].as_str().unwrap(),
        "--backup-selection",
        r#"{"SelectionName":"prod","IamRoleArn":"arn:aws:iam::000000000000:role/backup","ListOfTags":[{"ConditionType":"STRINGEQUALS","ConditionKey":"Environment","ConditionValue":"Production"}]}"#,
    ]);
    serve.aws(&[
        "backup",
        "start-backup-job",
        "--backup-vault-name",
        "shop-vault",
        "--resource-arn",
        "arn:aws:rds:us-east-1:000000000000:db:orders",
        "--iam-role-arn",
        "arn:aws:iam::000000000000:role/backup",
    ]);
    serve.wait_until("a recovery point", || {
        let points = serve.aws(&[
            "backup",
            "list-recovery-points-by-backup-vault",
            "--backup-vault-name",
            "shop-vault",
        ]);
        points["RecoveryPoints"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["Status"] == "COMPLETED"))
    });
}
