//! The command contract from the team's side: what a recovery command is
//! told (its environment and `FIREDRILL_STORE`), and what a failed backup
//! configuration command does to the verdict. The example runbooks in
//! `examples/` are driven through the binary by `examples.rs`.

use firedrill::drill::DrillOptions;
use firedrill::scenario;
use firedrill::stack::EmbeddedTarget;
use std::path::Path;

const SCENARIO: &str = r#"
name = "contract-probe"
policy = "four_layer"

[workload]
seed = 11
start = "10:45"
products = 4
customers = 10
orders_per_hour = 30.0
cart_churn_per_hour = 60.0

[[fault]]
at = "10:52"
kind = "batch_delete_carts"

[recovery]
detect_after = "3m"
[[recovery.step]]
command = ["sh", "probe.sh"]
timeout = "1m"
[[recovery.step]]
runbook = "dynamodb_pitr"
tables = ["carts"]

[expect]
outcome = "recovered"
"#;

/// Writes the scenario and a probe script into `dir`; returns the scenario.
fn write(dir: &Path, scenario_text: &str, script: &str) -> scenario::Scenario {
    std::fs::write(dir.join("probe.sh"), script).unwrap();
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario_text).unwrap();
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn env_file(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("env.txt"))
        .expect("the probe ran and wrote its environment")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_command_is_told_where_the_store_is_and_what_to_restore() {
    let dir = tempfile::tempdir().unwrap();
    // Runs in the scenario's directory: relative paths land beside it.
    let script = "env > env.txt\ncp \"$FIREDRILL_STORE\" store.json\necho probing >&2\n";
    let s = write(dir.path(), SCENARIO, script);
    let report = EmbeddedTarget::play(&s, &DrillOptions::default()).await.unwrap();
    assert!(report.passed(), "{}", report.to_text());

    let env = env_file(dir.path());
    let endpoint = &env["AWS_ENDPOINT_URL"];
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    for var in [
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_RDS",
        "AWS_ENDPOINT_URL_BACKUP",
    ] {
        assert_eq!(&env[var], endpoint, "{var}");
    }
    assert!(!env["AWS_ACCESS_KEY_ID"].is_empty() && !env["AWS_SECRET_ACCESS_KEY"].is_empty());
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["FIREDRILL_SECONDARY_REGION"], "us-west-2");
    let config = std::fs::read_to_string(&env["AWS_CONFIG_FILE"]).unwrap_or_default();
    assert!(
        config.is_empty(),
        "the step's own AWS config is gone with the step"
    );
    assert!(env["FIREDRILL_RECOVERED"].ends_with("recovered.json"));

    let recovery = report.recovery.as_ref().expect("the recovery ran");
    let fault_at: chrono::DateTime<chrono::Utc> = env["FIREDRILL_FAULT_AT"].parse().unwrap();
    let restore_to: chrono::DateTime<chrono::Utc> = env["FIREDRILL_RESTORE_TO"].parse().unwrap();
    assert_eq!(restore_to, recovery.restore_to);
    assert!(env["FIREDRILL_RESTORE_TO"].ends_with('Z'), "RFC 3339 UTC");
    assert!(restore_to < fault_at && fault_at - restore_to <= chrono::Duration::seconds(2));

    let store: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("store.json")).unwrap()).unwrap();
    for key in firedrill::team::contract::STORE_KEYS {
        assert!(store.get(key).is_some(), "FIREDRILL_STORE lacks {key}: {store}");
    }
    assert_eq!(store["carts_table"], format!("{}-carts", report.prefix));
    assert_eq!(store["db_host"], "127.0.0.1");
    assert!(store["db_port"].as_u64().is_some_and(|p| p > 0));

    // The command is a timed checklist step with its output kept.
    let step = &recovery.checklist[0];
    assert_eq!(step.title, "run `sh probe.sh`");
    let output = step.output.as_ref().expect("a command step keeps its output");
    assert!(output.exit.success());
    assert_eq!(output.stderr.text, "probing\n");
    assert!(step.target_end >= step.target_start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_configuration_is_never_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let text = SCENARIO.replace(
        "policy = \"four_layer\"\n",
        "[policy]\nbase = \"none\"\ncommand = [\"sh\", \"probe.sh\"]\n\n",
    );
    let s = write(
        dir.path(),
        &text,
        "env > env.txt\necho 'aws: command not found' >&2\nexit 4\n",
    );
    let report = EmbeddedTarget::play(&s, &DrillOptions::default()).await.unwrap();
    assert!(!report.passed());
    assert!(!report.check.recovered());
    assert!(report.recovery.is_none(), "nothing after a failed step runs");
    let setup = &report.setup[0];
    let why = match &setup.status {
        firedrill::recovery::StepStatus::Failed(why) => why.clone(),
        other => panic!("expected a failed step, got {other:?}"),
    };
    assert!(why.contains("exit status 4"), "{why}");
    assert!(why.contains("aws: command not found"), "{why}");
    let env = env_file(dir.path());
    assert!(env.contains_key("FIREDRILL_STORE"));
    assert!(
        !env.contains_key("FIREDRILL_RESTORE_TO") && !env.contains_key("FIREDRILL_RECOVERED"),
        "a backup configuration command is not told about the fault"
    );
    assert!(
        report
            .expectation
            .reasons
            .iter()
            .any(|r| r.contains("backup configuration failed")),
        "{:?}",
        report.expectation.reasons
    );
}
