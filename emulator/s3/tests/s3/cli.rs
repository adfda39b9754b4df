//! The AWS CLI (s3api) against the emulator: versioning on, put, overwrite,
//! delete, list-object-versions, get by version id. Skipped, with a printed
//! reason, when `aws` is not installed.

use super::*;
use serde_json::Value;

async fn aws(server: &TestServer, args: &[&str]) -> Value {
    let out = tokio::process::Command::new("aws")
        .args(args)
        .args([
            "--endpoint-url",
            &server.endpoint,
            "--output",
            "json",
            "--region",
            "us-east-1",
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIAFIREDRILLTEST")
        .env("AWS_SECRET_ACCESS_KEY", "firedrill-test-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run aws");
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("aws {args:?} printed non-JSON ({e}): {text}"))
    }
}

fn cli_present() -> bool {
    std::process::Command::new("aws")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test]
async fn s3api_versioning_story() {
    if !cli_present() {
        eprintln!("skipping: the AWS CLI (`aws`) is not installed");
        return;
    }
    let (server, _) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let v1_file = dir.path().join("v1.txt");
    let v2_file = dir.path().join("v2.txt");
    std::fs::write(&v1_file, "first version").unwrap();
    std::fs::write(&v2_file, "second version").unwrap();
    let (v1_path, v2_path) = (v1_file.to_str().unwrap(), v2_file.to_str().unwrap());

    aws(&server, &["s3api", "create-bucket", "--bucket", "cli-bucket"]).await;
    aws(
        &server,
        &[
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            "cli-bucket",
            "--versioning-configuration",
            "Status=Enabled",
        ],
    )
    .await;
    let v = aws(
        &server,
        &["s3api", "get-bucket-versioning", "--bucket", "cli-bucket"],
    )
    .await;
    assert_eq!(v["Status"], "Enabled");
    let put1 = aws(
        &server,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "cli-bucket",
            "--key",
            "note.txt",
            "--body",
            v1_path,
        ],
    )
    .await;
    let v1 = put1["VersionId"].as_str().expect("a version id").to_owned();
    let put2 = aws(
        &server,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "cli-bucket",
            "--key",
            "note.txt",
            "--body",
            v2_path,
        ],
    )
    .await;
    assert_ne!(put2["VersionId"].as_str(), Some(v1.as_str()));
    let del = aws(
        &server,
        &[
            "s3api",
            "delete-object",
            "--bucket",
            "cli-bucket",
            "--key",
            "note.txt",
        ],
    )
    .await;
    assert_eq!(del["DeleteMarker"], true);

    let listed = aws(
        &server,
        &["s3api", "list-object-versions", "--bucket", "cli-bucket"],
    )
    .await;
    assert_eq!(listed["Versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed["DeleteMarkers"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["DeleteMarkers"][0]["IsLatest"], true);

    let out_file = dir.path().join("restored.txt");
    let got = aws(
        &server,
        &[
            "s3api",
            "get-object",
            "--bucket",
            "cli-bucket",
            "--key",
            "note.txt",
            "--version-id",
            &v1,
            out_file.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(got["VersionId"].as_str(), Some(v1.as_str()));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "first version");
    server.stop().await;
}
