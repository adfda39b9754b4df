//! A drill's RTO under the restore-time model: on the `aws` preset the
//! DynamoDB point-in-time restore takes AWS's 20-odd minutes on the target
//! clock (in seconds of wall time), the report carries the model's band and
//! name, and an objective the `fast` preset "meets" is missed. A team's own
//! command that polls for ACTIVE is carried over the wait the same way,
//! while one that does not wait still finds the table CREATING. An S3
//! rollback, which the emulator serves request by request in milliseconds,
//! takes the time the model gives AWS for its request count.

#[path = "support/drills.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod drills;

use firedrill::drill::DrillOptions;
use firedrill::scenario::{self, Scenario};
use firedrill::stack::EmbeddedTarget;
use firedrill::timings::{TimingPreset, TimingsSection};
use std::path::Path;

/// The shipped carts story with a 20-minute RTO objective, noticed six
/// minutes after the fault (on the `aws` preset DynamoDB's latest
/// restorable time trails by five).
fn carts_story(dir: &Path, recovery: &str) -> Scenario {
    let text = std::fs::read_to_string(drills::SCENARIO).expect("the shipped scenario");
    let (head, _) = text.split_once("[recovery]").expect("a recovery section");
    let text = format!(
        "{head}[recovery]\ndetect_after = \"6m\"\n{recovery}\n[expect]\noutcome = \"recovered\"\nrto = \"20m\"\n"
    );
    let path = dir.join("carts.toml");
    std::fs::write(&path, text).unwrap();
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

const BUILT_IN: &str =
    "[[recovery.step]]\nrunbook = \"dynamodb_pitr\"\ntables = [\"carts\"]\ncutover = \"repoint\"\n";

fn aws(mut s: Scenario) -> Scenario {
    s.timings = TimingsSection {
        model: TimingPreset::Aws,
        ..TimingsSection::default()
    };
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_model_misses_an_objective_the_fast_preset_meets() {
    if !drills::postgres_installed() {
        eprintln!(
            "SKIPPED: PostgreSQL server binaries are not installed (the drill's store has an RDS layer)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let story = carts_story(dir.path(), BUILT_IN);

    let fast = EmbeddedTarget::play(&story, &DrillOptions::default())
        .await
        .unwrap();
    assert!(fast.check.recovered(), "{}", fast.to_text());
    assert!(fast.check.rto_met, "{}", fast.to_text());
    assert_eq!(fast.check.rto_band.as_ref().unwrap().model, "fast");
    assert!(fast.to_text().contains("RTO model: fast"), "{}", fast.to_text());

    let wall = std::time::Instant::now();
    let modelled = EmbeddedTarget::play(&aws(story), &DrillOptions::default())
        .await
        .unwrap();
    let text = modelled.to_text();
    assert!(modelled.check.recovered(), "{text}");
    let rto = modelled.check.rto.expect("measured");
    // Detection (6 minutes) plus the restore's at least 20 minutes.
    assert!(rto.simulated_seconds >= 26.0 * 60.0, "{text}");
    assert!(
        !modelled.check.rto_met,
        "a 20-minute objective cannot hold: {text}"
    );
    let band = modelled.check.rto_band.as_ref().expect("a band");
    assert_eq!(band.model, "aws-defaults");
    assert_eq!(band.operations.len(), 1, "{band:?}");
    assert_eq!(band.operations[0].operation, "dynamodb-restore-to-point-in-time");
    assert!(
        band.low_seconds < rto.simulated_seconds && rto.simulated_seconds < band.high_seconds,
        "{band:?}"
    );
    assert!(text.contains("by the aws-defaults restore-time model"), "{text}");
    // The minutes pass on the simulated clock, not the wall.
    assert!(
        wall.elapsed() < std::time::Duration::from_secs(600),
        "{:?}",
        wall.elapsed()
    );
}

const POLLING_COMMAND: &str = r#"[[recovery.step]]
command = ["sh", "restore.sh"]
timeout = "5m"
"#;

/// Restores the carts table to just before the fault with the AWS CLI,
/// then either polls until ACTIVE or (with `nowait`) re-points at once.
const RESTORE_SH: &str = r#"set -eu
carts=$(python3 -c 'import json,os; print(json.load(open(os.environ["FIREDRILL_STORE"]))["carts_table"])')
aws dynamodb restore-table-to-point-in-time --source-table-name "$carts" \
  --target-table-name "$carts-restored" --restore-date-time "$FIREDRILL_RESTORE_TO" >/dev/null
if [ "${1:-}" != nowait ]; then
  while [ "$(aws dynamodb describe-table --table-name "$carts-restored" --query Table.TableStatus --output text)" != ACTIVE ]; do
    sleep 1
  done
fi
printf '{"carts_table": "%s-restored"}' "$carts" > "$FIREDRILL_RECOVERED"
"#;

fn aws_cli_installed() -> bool {
    std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_command_that_waits_is_carried_over_the_modelled_restore() {
    if !drills::postgres_installed() || !aws_cli_installed() {
        eprintln!("SKIPPED: needs PostgreSQL server binaries and the AWS CLI");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("restore.sh"), RESTORE_SH).unwrap();
    let story = aws(carts_story(dir.path(), POLLING_COMMAND));
    let report = EmbeddedTarget::play(&story, &DrillOptions::default())
        .await
        .unwrap();
    let text = report.to_text();
    assert!(report.check.recovered(), "{text}");
    let rto = report.check.rto.expect("measured");
    assert!(rto.simulated_seconds >= 26.0 * 60.0, "{text}");
    assert!(
        rto.wall_seconds < 120.0,
        "the wait is skipped on the simulated clock: {text}"
    );
    assert_eq!(
        report.check.rto_band.as_ref().unwrap().operations.len(),
        1,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_command_that_does_not_wait_still_finds_the_table_creating() {
    if !drills::postgres_installed() || !aws_cli_installed() {
        eprintln!("SKIPPED: needs PostgreSQL server binaries and the AWS CLI");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("restore.sh"), RESTORE_SH).unwrap();
    let story = aws(carts_story(
        dir.path(),
        &POLLING_COMMAND.replace("[\"sh\", \"restore.sh\"]", "[\"sh\", \"restore.sh\", \"nowait\"]"),
    ));
    let report = EmbeddedTarget::play(&story, &DrillOptions::default())
        .await
        .unwrap();
    let text = report.to_text();
    assert!(
        !report.check.recovered(),
        "re-pointing at a CREATING table must not pass: {text}"
    );
    assert!(text.contains("its status is CREATING, not ACTIVE"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_prices_the_loss_and_the_downtime_from_the_drills_own_data() {
    if !drills::postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL server binaries are not installed (the drill restores RDS)");
        return;
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/backup-hope-baseline.toml"
    );
    let mut story = scenario::load(Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    story.business = Some(firedrill::business::BusinessSection {
        revenue_per_hour: 570.0,
        average_order_value: Some(38.0),
        currency: "USD".into(),
    });
    let report = EmbeddedTarget::play(&story, &DrillOptions::default())
        .await
        .unwrap();
    assert!(report.passed(), "{}", report.to_text());
    let b = report.business.as_ref().expect("the scenario prices its loss");
    let orders = report
        .check
        .layers
        .iter()
        .find(|l| l.layer == firedrill::history::Layer::Rds)
        .expect("an RDS layer");
    // A day's orders since the 03:00 snapshot are gone, each with its total.
    assert!(b.orders_lost >= 10, "{b:?}");
    assert!(
        b.orders_lost <= orders.lost_records + orders.corrupted + orders.unexpected,
        "{b:?} {orders:?}"
    );
    assert!(b.revenue_lost > 0.0, "{b:?}");
    let rto_hours = report.check.rto.unwrap().simulated_seconds / 3600.0;
    let risk = b.revenue_at_risk.expect("the RTO was measured");
    assert!((risk.measured - 570.0 * rto_hours).abs() < 1e-6, "{risk:?}");
    let taken = b.orders_not_taken.expect("an average order value was given");
    assert!(
        (taken.measured - 570.0 / 38.0 * rto_hours).abs() < 1e-6,
        "{taken:?}"
    );
    for text in [report.to_text(), report.to_markdown(), report.to_html()] {
        assert!(text.contains("Revenue at risk while down"), "{text}");
        assert!(
            text.contains(&format!("{} orders worth", b.orders_lost)),
            "{text}"
        );
    }
}

/// The shipped S3 story (invoices mass-deleted, images overwritten by
/// ransomware, both rolled back from versions) with `timings`.
fn s3_story(timings: TimingsSection) -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/invoice-bucket-mass-delete-and-ransomware.toml"
    );
    let mut s = scenario::load(Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    s.timings = timings;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_rollback_takes_the_time_aws_takes_for_its_requests() {
    if !drills::postgres_installed() {
        eprintln!(
            "SKIPPED: PostgreSQL server binaries are not installed (the drill's store has an RDS layer)"
        );
        return;
    }
    use firedrill_emulator::timing::{Band, Operation, OperationModel};
    let fast = EmbeddedTarget::play(&s3_story(TimingsSection::default()), &DrillOptions::default())
        .await
        .unwrap();
    assert!(fast.check.recovered(), "{}", fast.to_text());
    let fast_steps = &fast.recovery.as_ref().unwrap().checklist;
    assert!(
        fast_steps
            .iter()
            .all(|s| !s.title.starts_with("wait what AWS takes")),
        "the fast preset times nothing: {fast_steps:?}"
    );

    // Ten seconds a request, so that a few dozen requests weigh minutes.
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert(
        Operation::S3ObjectRollback,
        OperationModel {
            per_thousand_objects: Band::secs(5_000, 10_000, 20_000),
            source: "this test: slow enough to see".to_owned(),
            ..OperationModel::default()
        },
    );
    let modelled = EmbeddedTarget::play(
        &s3_story(TimingsSection {
            model: TimingPreset::Aws,
            overrides,
            ..TimingsSection::default()
        }),
        &DrillOptions::default(),
    )
    .await
    .unwrap();
    let text = modelled.to_text();
    assert!(modelled.check.recovered(), "{text}");
    let steps = &modelled.recovery.as_ref().unwrap().checklist;
    let waits: Vec<_> = steps
        .iter()
        .filter(|s| s.title.starts_with("wait what AWS takes for "))
        .collect();
    assert_eq!(waits.len(), 2, "one per bucket: {steps:?}");
    let band = modelled.check.rto_band.as_ref().expect("a band");
    let rollbacks: Vec<_> = band
        .operations
        .iter()
        .filter(|o| o.operation == "s3-object-rollback")
        .collect();
    assert_eq!(rollbacks.len(), 2, "{band:?}");
    let mut typical = 0.0;
    for (wait, op) in waits.iter().zip(&rollbacks) {
        // The step's request count, at ten seconds each, is the model's
        // typical time, and the step lasted that long on the target clock.
        let requests: f64 = wait
            .title
            .trim_start_matches("wait what AWS takes for ")
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}", wait.title));
        assert!(requests >= 1.0, "{}", wait.title);
        assert!(
            (op.typical_seconds - 10.0 * requests).abs() < 1e-6,
            "{op:?} for {}",
            wait.title
        );
        let lasted = (wait.target_end - wait.target_start).num_milliseconds() as f64 / 1000.0;
        assert!(lasted >= op.typical_seconds, "{lasted} vs {op:?}");
        typical += op.typical_seconds;
    }
    let (fast_rto, rto) = (
        fast.check.rto.unwrap().simulated_seconds,
        modelled.check.rto.unwrap().simulated_seconds,
    );
    assert!(
        rto >= fast_rto + typical - 5.0,
        "{rto} vs {fast_rto} + {typical}: {text}"
    );
    assert!(band.low_seconds < rto && rto < band.high_seconds, "{band:?}");
}
