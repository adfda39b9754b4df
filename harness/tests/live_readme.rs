//! README's "Break it yourself" followed verbatim: the section's `sh` block
//! is taken out of README.md and run with `bash -e` from the repository's
//! root. `cargo run -q -p firedrill --` is handed to the binary this test
//! was built with (a shell function), as in `readme_walkthrough.rs`.

use std::path::Path;
use std::process::Command;

const SECTION: &str = "## Break it yourself";

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

/// Stops what the walkthrough started, however the test ends.
struct Down<'a>(&'a Path);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args(["down", "--dir", "target/firedrill-up/live"])
            .current_dir(self.0)
            .output();
        let _ = std::fs::remove_dir_all(self.0.join("target/firedrill-up/live"));
    }
}

#[test]
fn break_it_yourself_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let script = walkthrough(&readme);
    assert!(
        script.contains("cargo run -q -p firedrill -- up --traffic"),
        "{script}"
    );
    let has_cli = Command::new("sh")
        .args(["-c", "command -v aws"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cli {
        println!("SKIPPED: the AWS CLI is not installed (cargo xtask test installs it)");
        return;
    }
    if std::net::TcpListener::bind(("127.0.0.1", 4566)).is_err() {
        println!("SKIPPED: port 4566, which the walkthrough uses, is taken (another emulator?)");
        return;
    }
    if root.join("target/firedrill-up/live/up.pid").exists() {
        println!("SKIPPED: a `firedrill up` of the developer's runs in target/firedrill-up/live");
        return;
    }
    let _down = Down(&root);
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
        .env_remove("FIREDRILL_RECOVERED")
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
        stdout.contains("FAIL break-it-yourself: data loss"),
        "step 3 finds the carts lost: {stdout}"
    );
    assert!(
        stdout.contains("destructive act: dynamodb BatchWriteItem shop-carts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS break-it-yourself: recovered"),
        "step 5 passes: {stdout}"
    );
    assert!(stdout.contains("RPO: 0.0 s"), "{stdout}");
}
