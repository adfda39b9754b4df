//! README's "Testing your own backup scripts" followed verbatim: the section's
//! `sh` block is taken out of README.md and run with `bash -e` from the
//! repository's root, so the walkthrough a new user copies cannot rot.
//!
//! The one thing resolved differently is `cargo run -q -p firedrill --`: a
//! shell function hands it to the `firedrill` binary this test was built
//! with, rather than starting a nested cargo inside the test run.

use std::path::Path;
use std::process::Command;

const SECTION: &str = "## Testing your own backup scripts";

/// The first ```sh block after the section's heading.
fn walkthrough(readme: &str) -> String {
    let section = readme
        .split_once(SECTION)
        .unwrap_or_else(|| panic!("README.md has no {SECTION:?} section"))
        .1;
    let block = section
        .split_once("```sh\n")
        .expect("the section has a ```sh block")
        .1;
    block
        .split_once("\n```")
        .expect("the block is closed")
        .0
        .to_owned()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let script = walkthrough(&readme);
    assert!(script.contains("cargo run -q -p firedrill -- drill"), "{script}");
    let has_boto3 = Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_boto3 {
        println!("SKIPPED: python3 with boto3 is not installed (cargo xtask test installs it)");
        return;
    }
    let prelude = r#"
cargo() {
  if [ "$1 $2 $3 $4 $5" = "run -q -p firedrill --" ]; then
    shift 5
    "$FIREDRILL_BIN" "$@"
  else
    command cargo "$@"
  fi
}
"#;
    let output = Command::new("bash")
        .arg("-e")
        .arg("-c")
        .arg(format!("{prelude}\n{script}"))
        .current_dir(&root)
        .env("FIREDRILL_BIN", env!("CARGO_BIN_EXE_firedrill"))
        .env("FIREDRILL_LOG", "warn")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the walkthrough failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("PASS my-carts-restore: recovered"),
        "step 4 passes: {stdout}"
    );
    let last: Vec<&str> = stdout.lines().rev().take(2).collect();
    assert!(
        last.iter()
            .any(|l| l.starts_with("FAIL my-carts-restore: data loss")),
        "step 5 is caught as data loss: {last:?}"
    );
    assert!(
        last.iter()
            .any(|l| l.trim_start().starts_with("dynamodb") && l.contains("missing")),
        "and says the carts are missing: {last:?}"
    );
}

#[test]
fn the_walkthrough_block_is_found() {
    let text = "intro\n## Testing your own backup scripts\ntext\n```sh\necho one\necho two\n```\n## Next\n```sh\nno\n```\n";
    assert_eq!(walkthrough(text), "echo one\necho two");
}
