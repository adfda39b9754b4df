//! Property tests over whole drills: for generated workloads and faults at
//! generated times, what the checker finds after recovery.
//!
//! Each case is a full drill on its own embedded stack (seconds each), so
//! the default case count is small; `PROPTEST_CASES=N` (or
//! `cargo xtask test --deep`) runs more. A failure shrinks to a minimal
//! case and prints it, seed included; replay it by putting the printed
//! values into the scenario text below, or with
//! `cargo run -p firedrill -- drill <file> --seed <seed>`.
//!
//! The engines' own model-based properties (DynamoDB restore at random T,
//! S3 rollback at random T, RDS PITR at random T, each against a naive
//! replay) live with the engines: `emulator/*/tests`.

use firedrill::scenario::{self, Scenario};
use firedrill_tests::{drill, failure_text};
use proptest::prelude::*;

/// Cases per property: `PROPTEST_CASES`, else 2 (whole drills are slow).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    ProptestConfig {
        cases,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A destructive fault and the runbook that undoes it under `four_layer`.
#[derive(Debug, Clone, Copy)]
enum Disaster {
    CartBatchDelete,
    CorruptOrders,
    DroppedSessions,
    InvoiceMassDelete,
    Ransomware,
}

impl Disaster {
    fn toml(self, at: &str) -> String {
        let (fault, recovery) = match self {
            Disaster::CartBatchDelete => (
                "kind = \"batch_delete_carts\"",
                "runbook = \"dynamodb_pitr\"\ntables = [\"carts\"]",
            ),
            Disaster::CorruptOrders => ("kind = \"corrupt_orders\"", "runbook = \"rds_pitr\""),
            Disaster::DroppedSessions => (
                "kind = \"drop_table\"\ntable = \"sessions\"",
                "runbook = \"dynamodb_pitr\"\ntables = [\"sessions\"]",
            ),
            Disaster::InvoiceMassDelete => (
                "kind = \"mass_delete_bucket\"\nbucket = \"invoices\"",
                "runbook = \"s3_rollback\"\nbuckets = [\"invoices\"]",
            ),
            Disaster::Ransomware => (
                "kind = \"ransomware\"\nbucket = \"images\"",
                "runbook = \"s3_rollback\"\nbuckets = [\"images\"]",
            ),
        };
        format!(
            "[[fault]]\nat = \"{at}\"\n{fault}\n\n[recovery]\ndetect_after = \"5m\"\n[[recovery.step]]\n{recovery}\n"
        )
    }
}

fn disaster() -> impl Strategy<Value = Disaster> {
    prop_oneof![
        Just(Disaster::CartBatchDelete),
        Just(Disaster::CorruptOrders),
        Just(Disaster::DroppedSessions),
        Just(Disaster::InvoiceMassDelete),
        Just(Disaster::Ransomware),
    ]
}

fn workload(seed: u64, start: &str, orders_per_hour: u32) -> String {
    format!(
        "[workload]\nseed = {seed}\nstart = \"{start}\"\nproducts = 6\ncustomers = 30\norders_per_hour = {orders_per_hour}.0\ncart_churn_per_hour = 40.0\nsessions_per_hour = 20.0\nimage_uploads_per_hour = 6.0\n"
    )
}

fn parse(text: &str) -> Scenario {
    scenario::parse(text, "<property>")
        .unwrap_or_else(|e| panic!("generated scenario does not parse: {e}\n{text}"))
}

fn hhmm(minutes_after_midnight: u32) -> String {
    format!(
        "{:02}:{:02}",
        minutes_after_midnight / 60,
        minutes_after_midnight % 60
    )
}

proptest! {
    #![proptest_config(config())]

    /// Under `four_layer`, any fault at any time during traffic is undone:
    /// every layer is back to the instant before the fault.
    #[test]
    fn four_layer_recovers_every_layer_to_the_instant_before_the_fault(
        seed in 0u64..1_000_000_000,
        disaster in disaster(),
        fault_after in 10u32..40,
        orders_per_hour in 60u32..300,
    ) {
        let start = 10 * 60;
        let text = format!(
            "name = \"four-layer-property\"\npolicy = \"four_layer\"\n\n{}\n{}\n[expect]\noutcome = \"recovered\"\n",
            workload(seed, &hhmm(start), orders_per_hour),
            disaster.toml(&hhmm(start + fault_after)),
        );
        let report = drill(&parse(&text), None).expect("the drill runs");
        prop_assert!(report.passed(), "{}", failure_text(&report));
        prop_assert!(report.check.recovered(), "{}", failure_text(&report));
    }

    /// Under `backup_hope` (one 03:00 snapshot), a corruption later in the
    /// day is reported as loss with an RPO of the time since the snapshot;
    /// never as recovered.
    #[test]
    fn backup_hope_reports_the_loss_since_the_last_snapshot(
        seed in 0u64..1_000_000_000,
        fault_minute in (4 * 60u32)..(9 * 60),
    ) {
        let text = format!(
            "name = \"backup-hope-property\"\npolicy = \"backup_hope\"\n\n{}\n[[fault]]\nat = \"{}\"\nkind = \"corrupt_orders\"\n\n[recovery]\ndetect_after = \"10m\"\n[[recovery.step]]\nrunbook = \"baseline\"\n\n[expect]\noutcome = \"data-loss\"\nmin_lost_records = 1\n",
            workload(seed, "02:30", 60),
            hhmm(fault_minute),
        );
        let report = drill(&parse(&text), None).expect("the drill runs");
        prop_assert!(!report.check.recovered(), "acknowledged writes after 03:00 are gone: {}", failure_text(&report));
        prop_assert!(report.check.rpo.writes_lost > 0, "{}", failure_text(&report));
        let since_snapshot = f64::from(fault_minute - 3 * 60) * 60.0;
        let rpo = report.check.rpo.seconds;
        prop_assert!(
            rpo <= since_snapshot + 60.0 && rpo >= since_snapshot - 15.0 * 60.0,
            "RPO {rpo} s should be the time since the 03:00 snapshot ({since_snapshot} s): {}",
            failure_text(&report)
        );
    }

    /// A region outage: the restore in the other region loses at most what
    /// was written since the last completed hourly copy (plus the job time).
    #[test]
    fn region_outage_loses_at_most_the_copy_interval(
        seed in 0u64..1_000_000_000,
        fault_after in 70u32..120,
    ) {
        let start = 13 * 60;
        let text = format!(
            "name = \"outage-property\"\npolicy = \"four_layer\"\n\n{}\n[[fault]]\nat = \"{}\"\nkind = \"region_outage\"\nregion = \"us-east-1\"\n\n[recovery]\ndetect_after = \"5m\"\n[[recovery.step]]\nrunbook = \"region_failover\"\nregion = \"us-west-2\"\n\n[expect]\noutcome = \"data-loss\"\nrpo_at_most = \"1h10m\"\n",
            workload(seed, &hhmm(start), 30),
            hhmm(start + fault_after),
        );
        let report = drill(&parse(&text), None).expect("the drill runs");
        prop_assert!(report.check.rpo.seconds <= 70.0 * 60.0, "{}", failure_text(&report));
        prop_assert!(report.passed(), "{}", failure_text(&report));
    }
}
