//! The AWS CLI v2 against the whole emulator: runs `tests/cli/aws-cli-v2.sh`
//! (S3, DynamoDB, RDS and AWS Backup as a user types them) with the v2
//! binary. The CLI v1 that pip installs may be first on PATH, so the v2 one
//! is looked for by path (`FIREDRILL_AWS_V2`, then `/usr/bin/aws`, where
//! Debian 12's `awscli` package puts it, then `/usr/local/bin/aws`, where
//! AWS's installer does, then `aws` on PATH) and used only when `--version`
//! says `aws-cli/2`. Skipped, saying why, when there is none.

use firedrill_emulator::Emulator;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first AWS CLI v2 binary found, if any.
fn aws_cli_v2() -> Option<PathBuf> {
    let mut candidates = std::env::var_os("FIREDRILL_AWS_V2")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/aws", "/usr/local/bin/aws", "aws"].map(PathBuf::from));
    candidates.find(|cli| {
        Command::new(cli)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("aws-cli/2"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_v2_drives_every_service() {
    let Some(cli) = aws_cli_v2() else {
        eprintln!(
            "SKIPPED: no AWS CLI v2 (looked at $FIREDRILL_AWS_V2, /usr/bin/aws, /usr/local/bin/aws and aws on PATH); `cargo xtask test` installs Debian's awscli"
        );
        return;
    };
    let emulator = Emulator::builder().start().await.expect("the emulator starts");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("cli/aws-cli-v2.sh");
    let out = tokio::process::Command::new("bash")
        .arg(&script)
        .arg(emulator.endpoint())
        .env("AWS_CLI", &cli)
        .kill_on_drop(true)
        .output()
        .await
        .expect("bash runs the script");
    emulator.shutdown().await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} with {} failed:\n{stdout}\n{}",
        script.display(),
        cli.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all AWS CLI v2 checks passed"), "{stdout}");
}
