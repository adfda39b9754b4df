//! The runbooks in `examples/` under the drill, as a user runs them: the
//! `firedrill` binary on the scenario files on disk (`drill FILES --json
//! --jobs 2`). Every correct runbook must recover, and every buggy twin must
//! be caught with a report that names its cause: the collection lost, the
//! refused re-point, the protection left off. Misuse of the command contract
//! (a missing program, a file that is not executable, exit 3, a timeout,
//! garbage or an unknown key in `FIREDRILL_RECOVERED`) must each be one
//! failed step and a non-zero exit, never a hang or a "recovered".
//!
//! Three tests per language (the carts, orders and invoices scenarios), so
//! that nextest runs them side by side. A language
//! whose tools are missing here (python3 with boto3; the AWS CLI and jq;
//! node with `examples/node/node_modules`) prints `SKIPPED: ...` and passes;
//! CI installs them all (`cargo xtask test`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

/// Bound on one `firedrill drill` run: far above what it takes, so that a
/// hang fails the test instead of stalling the suite.
const HANG: Duration = Duration::from_secs(600);

/// What the drill must find for one example scenario.
#[derive(Debug, Clone, Copy)]
enum Caught {
    /// Every record back and every guard in place.
    Recovered,
    /// Records of `collection` lost although every step succeeded; with
    /// `destroyed`, old versions are gone for good too.
    Lost {
        collection: &'static str,
        destroyed: bool,
    },
    /// A recovery step failed with a reason containing `reason`, so the
    /// records of `collection` stayed lost.
    Refused {
        collection: &'static str,
        reason: &'static str,
    },
    /// Every record back, but `collection` is no longer guarded: a finding
    /// that fails the scenario's "recovered" expectation.
    Unguarded { collection: &'static str },
}

/// Every example scenario (the same nine in each language) and its verdict.
const CASES: [(&str, Caught); 9] = [
    ("carts-pitr", Caught::Recovered),
    (
        "carts-latest-restorable",
        Caught::Lost {
            collection: "carts",
            destroyed: false,
        },
    ),
    (
        "carts-no-wait",
        Caught::Refused {
            collection: "carts",
            reason: "its status is CREATING, not ACTIVE",
        },
    ),
    (
        "carts-pitr-not-reenabled",
        Caught::Unguarded { collection: "carts" },
    ),
    ("orders-and-sessions", Caught::Recovered),
    (
        "orders-only",
        Caught::Lost {
            collection: "sessions",
            destroyed: false,
        },
    ),
    ("invoices-rollback", Caught::Recovered),
    (
        "invoices-delete-newest",
        Caught::Lost {
            collection: "invoices",
            destroyed: true,
        },
    ),
    (
        "invoices-skip-markers",
        Caught::Lost {
            collection: "invoices",
            destroyed: false,
        },
    ),
];

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql").is_ok()
        || succeeds("pg_config", &[])
        || std::env::var_os("FIREDRILL_PG_BIN").is_some()
}

/// Why the drills cannot run here at all, if they cannot.
fn missing_postgres() -> Option<String> {
    (!postgres_installed())
        .then(|| "PostgreSQL server binaries are not installed (the drills need RDS)".to_owned())
}

/// A drill run: its exit status, its JSON reports and its stderr.
struct Run {
    status: ExitStatus,
    reports: Vec<Value>,
    stderr: String,
}

/// `firedrill drill FILES --json --jobs 2`, bounded by [`HANG`].
fn drill(files: &[PathBuf]) -> Run {
    let scratch = tempfile::tempdir().expect("a temp dir");
    let out_path = scratch.path().join("stdout.json");
    let err_path = scratch.path().join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["drill", "--json", "--jobs", "2"])
        .args(files)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("run firedrill drill");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for firedrill drill") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "firedrill drill {files:?} hung for {HANG:?}; stderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = std::fs::read_to_string(&out_path).expect("stdout");
    let stderr = std::fs::read_to_string(&err_path).expect("stderr");
    let reports = match serde_json::from_str::<Value>(&stdout) {
        Ok(Value::Array(reports)) => reports,
        other => panic!(
            "firedrill drill --json printed no JSON array ({other:?})\nstdout:\n{stdout}\nstderr:\n{stderr}"
        ),
    };
    assert_eq!(
        reports.len(),
        files.len(),
        "one report per scenario\nstderr:\n{stderr}"
    );
    Run {
        status,
        reports,
        stderr,
    }
}

/// The report of the scenario named `name`.
fn report<'a>(run: &'a Run, name: &str) -> &'a Value {
    run.reports
        .iter()
        .find(|r| r["scenario"] == name)
        .unwrap_or_else(|| panic!("no report for {name}; stderr:\n{}", run.stderr))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Every recovery step's status word and detail.
fn steps(r: &Value) -> Vec<(String, String)> {
    r["recovery"]["checklist"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| {
                    (
                        str_of(&s["status"]["status"]).to_owned(),
                        str_of(&s["detail"]).to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The anomalies the checker found in `collection`, by kind.
fn anomalies(r: &Value, collection: &str) -> Vec<String> {
    r["check"]["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["anomalies"].as_array().into_iter().flatten())
        .filter(|a| a["key"]["collection"] == collection)
        .map(|a| str_of(&a["kind"]).to_owned())
        .collect()
}

/// The sum of one counter over every layer of the check.
fn layer_sum(r: &Value, counter: &str) -> u64 {
    r["check"]["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l[counter].as_u64().unwrap_or(0))
        .sum()
}

/// The guards the recovery left off (the report omits an empty list).
fn protection_lost(r: &Value) -> Vec<Value> {
    r["protection_lost"].as_array().cloned().unwrap_or_default()
}

/// Asserts what the drill found for one example.
fn assert_caught(r: &Value, caught: Caught) {
    let name = str_of(&r["scenario"]);
    let met = r["expectation"]["met"] == true;
    let verdict = str_of(&r["check"]["verdict"]);
    let steps = steps(r);
    let context = format!(
        "{name}: verdict {verdict}, expectation {}, steps {steps:#?}, protection_lost {}",
        r["expectation"], r["protection_lost"]
    );
    assert!(!steps.is_empty(), "the team's recovery ran: {context}");
    match caught {
        Caught::Recovered => {
            assert!(met, "a correct runbook must recover: {context}");
            assert_eq!(verdict, "valid", "{context}");
            assert!(steps.iter().all(|(s, _)| s == "done"), "{context}");
            assert!(protection_lost(r).is_empty(), "{context}");
        }
        Caught::Lost {
            collection,
            destroyed,
        } => {
            assert!(met, "the twin's data-loss expectation holds: {context}");
            assert_eq!(verdict, "invalid", "{context}");
            assert!(
                steps.iter().all(|(s, _)| s == "done"),
                "the twin's steps succeed; only the checker can catch it: {context}"
            );
            let kinds = anomalies(r, collection);
            assert!(
                kinds.iter().any(|k| k == "lost_write"),
                "{collection} records reported lost: {kinds:?} {context}"
            );
            assert_eq!(
                layer_sum(r, "lost_versions") > 0,
                destroyed,
                "old versions destroyed for good exactly when the twin deletes them: {context}"
            );
        }
        Caught::Refused { collection, reason } => {
            assert!(met, "the twin's data-loss expectation holds: {context}");
            assert_eq!(verdict, "invalid", "{context}");
            let (status, detail) = steps.last().expect("a step");
            assert_eq!(status, "failed", "{context}");
            assert!(
                detail.contains(reason),
                "the failed step names the cause: {context}"
            );
            assert!(
                str_of(&r["recovery"]["error"]).contains(reason),
                "the recovery's error too: {context}"
            );
            assert!(
                anomalies(r, collection).iter().any(|k| k == "lost_write"),
                "{context}"
            );
        }
        Caught::Unguarded { collection } => {
            assert!(
                met,
                "the scenario expects the lost guard (outcome protection-lost): {context}"
            );
            assert_eq!(verdict, "valid", "every record is back: {context}");
            assert!(
                protection_lost(r).iter().any(|p| p["collection"] == collection
                    && str_of(&p["finding"]).contains("point-in-time recovery is off")),
                "the finding names the missing PITR: {context}"
            );
            let reasons = r["expectation"]["reasons"].to_string();
            assert!(reasons.contains("protection lost, as expected"), "{context}");
        }
    }
}

/// A third of the examples, by layer: the DynamoDB carts, the RDS orders
/// (with the sessions table), the S3 invoices. Each language's nine drills
/// run as three tests so that each stays well inside nextest's per-test
/// limit on a busy 2-core machine (every `aws` call starts a Python).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Carts,
    Orders,
    Invoices,
}

impl Part {
    fn holds(self, scenario: &str) -> bool {
        let prefix = match self {
            Part::Carts => "carts-",
            Part::Orders => "orders-",
            Part::Invoices => "invoices-",
        };
        scenario.starts_with(prefix)
    }
}

/// Plays `part` of the examples of `lang` and checks each verdict, or says
/// why not.
fn play_language(lang: &str, part: Part, missing: Option<String>) {
    if let Some(why) = missing_postgres().or(missing) {
        println!("SKIPPED: {lang} examples ({part:?}): {why}");
        return;
    }
    let dir = Path::new(EXAMPLES).join(lang);
    let mut listed: Vec<PathBuf> = CASES
        .iter()
        .map(|(name, _)| dir.join(format!("{name}.toml")))
        .collect();
    listed.sort();
    let mut on_disk: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the language's examples")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, listed,
        "every example scenario of {lang} is checked here"
    );

    let cases: Vec<(&str, Caught)> = CASES.into_iter().filter(|(name, _)| part.holds(name)).collect();
    let files: Vec<PathBuf> = cases
        .iter()
        .map(|(name, _)| dir.join(format!("{name}.toml")))
        .collect();
    let run = drill(&files);
    for (name, caught) in cases {
        let r = report(&run, &format!("{lang}-{name}"));
        assert_caught(r, caught);
    }
    let all_met = run.reports.iter().all(|r| r["expectation"]["met"] == true);
    assert_eq!(
        run.status.success(),
        all_met,
        "the exit status is the expectations' verdict\nstderr:\n{}",
        run.stderr
    );
}

/// Why the python examples cannot run here, if they cannot.
fn python_missing() -> Option<String> {
    (!succeeds("python3", &["-c", "import boto3"]))
        .then(|| "python3 with boto3 is not installed (python3 -m pip install boto3)".to_owned())
}

#[test]
fn python_carts_examples_recover_and_their_twins_are_caught() {
    play_language("python", Part::Carts, python_missing());
}

#[test]
fn python_orders_examples_recover_and_their_twins_are_caught() {
    play_language("python", Part::Orders, python_missing());
}

#[test]
fn python_invoices_examples_recover_and_their_twins_are_caught() {
    play_language("python", Part::Invoices, python_missing());
}

/// Why the bash examples cannot run here, if they cannot.
fn bash_missing() -> Option<String> {
    if !succeeds("aws", &["--version"]) {
        Some("the AWS CLI is not installed".to_owned())
    } else if !succeeds("jq", &["--version"]) {
        Some("jq is not installed".to_owned())
    } else {
        None
    }
}

#[test]
fn bash_carts_examples_recover_and_their_twins_are_caught() {
    play_language("bash", Part::Carts, bash_missing());
}

#[test]
fn bash_orders_examples_recover_and_their_twins_are_caught() {
    play_language("bash", Part::Orders, bash_missing());
}

#[test]
fn bash_invoices_examples_recover_and_their_twins_are_caught() {
    play_language("bash", Part::Invoices, bash_missing());
}

/// Why the node examples cannot run here, if they cannot.
fn node_missing() -> Option<String> {
    let modules = Path::new(EXAMPLES).join("node/node_modules/@aws-sdk/client-dynamodb");
    if !succeeds("node", &["--version"]) {
        Some("node is not installed".to_owned())
    } else if !modules.exists() {
        Some("examples/node/node_modules is absent (npm ci --prefix examples/node)".to_owned())
    } else {
        None
    }
}

#[test]
fn node_carts_examples_recover_and_their_twins_are_caught() {
    play_language("node", Part::Carts, node_missing());
}

#[test]
fn node_orders_examples_recover_and_their_twins_are_caught() {
    play_language("node", Part::Orders, node_missing());
}

#[test]
fn node_invoices_examples_recover_and_their_twins_are_caught() {
    play_language("node", Part::Invoices, node_missing());
}

/// A small scenario whose first recovery step is `step` (TOML lines) and
/// whose second would recover the carts, were it ever reached.
fn misuse_scenario(name: &str, step: &str) -> String {
    format!(
        r#"name = "{name}"
policy = "four_layer"

[workload]
seed = 13
start = "10:50"
products = 4
customers = 10
orders_per_hour = 30.0
cart_churn_per_hour = 60.0

[[fault]]
at = "10:55"
kind = "batch_delete_carts"

[recovery]
detect_after = "3m"
[[recovery.step]]
{step}
[[recovery.step]]
runbook = "dynamodb_pitr"
tables = ["carts"]

[expect]
outcome = "recovered"
"#
    )
}

#[test]
fn misused_contract_fails_the_step_and_the_run() {
    if let Some(why) = missing_postgres() {
        println!("SKIPPED: contract misuse: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    // Present but without the execute bit.
    std::fs::write(dir.path().join("restore.sh"), "#!/bin/sh\nexit 0\n").expect("write restore.sh");
    // What a command writes to FIREDRILL_RECOVERED, kept in files beside
    // the scenarios so that no quoting stands between the test and the bytes.
    std::fs::write(dir.path().join("garbage.txt"), "carts restored, all good\n").expect("write garbage.txt");
    std::fs::write(
        dir.path().join("unknown-key.json"),
        r#"{"cart_table": "restored"}"#,
    )
    .expect("write unknown-key.json");
    let write_recovered =
        |file: &str| format!(r#"command = ["sh", "-c", "cat {file} > \"$FIREDRILL_RECOVERED\""]"#);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "missing-program",
            "command = [\"no-such-restore-tool\", \"--now\"]".to_owned(),
            "no-such-restore-tool: not found",
        ),
        (
            "not-executable",
            "command = [\"./restore.sh\"]".to_owned(),
            "permission denied",
        ),
        (
            "exit-3",
            "command = [\"sh\", \"-c\", \"echo 'restore failed: AccessDenied' >&2; exit 3\"]".to_owned(),
            "exit status 3",
        ),
        (
            "timeout",
            "command = [\"sleep\", \"30\"]\ntimeout = \"2s\"".to_owned(),
            "timed out after 2s",
        ),
        (
            "garbage-recovered",
            write_recovered("garbage.txt"),
            "FIREDRILL_RECOVERED is not valid JSON",
        ),
        (
            "unknown-key",
            write_recovered("unknown-key.json"),
            "unknown key \"cart_table\"",
        ),
    ];
    let files: Vec<PathBuf> = cases
        .iter()
        .map(|(name, step, _)| {
            let path = dir.path().join(format!("{name}.toml"));
            std::fs::write(&path, misuse_scenario(name, step)).expect("write the scenario");
            path
        })
        .collect();

    let run = drill(&files);
    assert!(
        !run.status.success(),
        "a failed step fails the run\nstderr:\n{}",
        run.stderr
    );
    for (name, _, reason) in &cases {
        let r = report(&run, name);
        let steps = steps(r);
        let context = format!("{name}: steps {steps:#?}, expectation {}", r["expectation"]);
        assert_eq!(steps.len(), 1, "nothing after the failed step runs: {context}");
        assert_eq!(steps[0].0, "failed", "{context}");
        assert!(
            steps[0].1.contains(reason),
            "the step says why ({reason}): {context}"
        );
        assert_eq!(r["expectation"]["met"], false, "never recovered: {context}");
        assert!(
            r["expectation"]["reasons"]
                .to_string()
                .contains("the recovery failed"),
            "{context}"
        );
    }
    let exit3 = report(&run, "exit-3");
    assert!(
        steps(exit3)[0].1.contains("restore failed: AccessDenied"),
        "the last lines of its stderr are in the step: {:#?}",
        steps(exit3)
    );
}
