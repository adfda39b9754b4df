//! boto3 against the emulator: `boto3_interop.py` (beside this file) runs
//! checksummed puts and gets, a conditional put, a checksummed multipart
//! upload, a zero-byte put on a kept-alive connection (boto3's
//! `Expect: 100-continue`), the list_object_versions paginator and
//! delete_objects. Skipped, saying why, when python3 or boto3 is missing
//! (`cargo xtask test` installs boto3).

use super::*;

/// The script, next to this file.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/s3/boto3_interop.py");

/// Why boto3 cannot run here, if it cannot.
fn missing() -> Option<String> {
    match std::process::Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
    {
        Err(e) => Some(format!("python3 cannot be run ({e})")),
        Ok(o) if !o.status.success() => Some(format!(
            "boto3 is not importable: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(_) => None,
    }
}

#[tokio::test]
async fn boto3_drives_the_emulator() {
    if let Some(why) = missing() {
        println!("SKIPPED: {why}");
        return;
    }
    let (server, _) = server().await;
    let run = tokio::process::Command::new("python3")
        .arg(SCRIPT)
        .env("FIREDRILL_ENDPOINT", &server.endpoint)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REQUEST_CHECKSUM_CALCULATION")
        .env_remove("AWS_RESPONSE_CHECKSUM_VALIDATION")
        .kill_on_drop(true)
        .output();
    // A guard against a hang, not a measure of speed: the script's own
    // client times out any stalled request after 10 seconds.
    let out = tokio::time::timeout(std::time::Duration::from_secs(300), run)
        .await
        .expect("the boto3 script finishes")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the boto3 script failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for check in [
        "ok checksums",
        "ok conditional put",
        "ok multipart upload",
        "ok zero-byte put on a kept-alive connection",
        "ok list_object_versions paginator",
        "ok delete_objects",
        "boto3 interop: 6 checks passed",
    ] {
        assert!(
            stdout.lines().any(|l| l == check),
            "`{check}` missing from:\n{stdout}\n{stderr}"
        );
    }
}
