//! Ransomware with stolen admin keys, end to end on the embedded emulator:
//! the two shipped stories.
//!
//! With every backup in the production account (`four_layer`), the
//! attacker's deletions leave nothing to restore: every record of every
//! layer is lost. With locked copies in a second account
//! (`four_layer_backup_account`), the production keys cannot touch them,
//! the role the attacker assumes there can neither lift the compliance
//! lock nor delete a point, and the team's runbook brings the store back
//! from them, losing only the writes since the last hourly copy.

#[path = "support/drills.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod drills;

use firedrill::checker::Verdict;
use firedrill::recovery::StepStatus;

fn prerequisites() -> bool {
    let ok = drills::postgres_installed();
    if !ok {
        eprintln!("SKIPPED: PostgreSQL server binaries are not installed (the store has an RDS layer)");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_backup_in_the_production_account_the_stolen_keys_leave_nothing() {
    if !prerequisites() {
        return;
    }
    let r = drills::play("ransomware-stolen-keys-no-backup-account.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    let fault = &r.faults[0];
    assert_eq!(fault.fault, "stolen_admin_keys(production account)", "{text}");
    assert!(fault.destructive, "{text}");
    // Every recovery point in both regions, both tables and both vault keys.
    assert!(fault.detail.contains("disabled 2 vault keys"), "{text}");
    assert!(
        fault.detail.contains("found no copy in another account"),
        "{text}"
    );
    assert!(!fault.detail.contains("deleted 0 recovery points"), "{text}");
    assert_eq!(r.check.verdict, Verdict::Invalid, "{text}");
    // Nothing came back: not one record of any layer.
    for layer in &r.check.layers {
        assert_eq!(layer.census.correct, 0, "{text}");
        assert!(layer.lost_records > 0, "{text}");
    }
    let recovery = r.recovery.as_ref().expect("the runbooks ran");
    assert!(
        recovery
            .checklist
            .iter()
            .any(|s| s.detail.contains("no completed recovery point made before")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_locked_copies_in_the_backup_account_survive_the_attacker_and_restore_the_shop() {
    if !prerequisites() {
        return;
    }
    let r = drills::play("ransomware-stolen-keys-locked-backup-account.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    let fault = &r.faults[0];
    assert_eq!(
        fault.fault, "stolen_admin_keys(production and backup account)",
        "{text}"
    );
    // The production keys reach none of the copies...
    let refused = fault
        .detail
        .split("with the production keys, ")
        .nth(1)
        .and_then(|s| s.split(" DeleteRecoveryPoint").next())
        .expect("the attempt with the production keys is told");
    let (n, of) = refused.split_once(" of ").expect("N of M");
    assert_eq!(n, of, "every attempt refused: {text}");
    assert_ne!(n, "0", "{text}");
    // ...and inside the backup account the compliance lock holds.
    assert!(
        fault
            .detail
            .contains("could not remove the Vault Lock (InvalidRequestException"),
        "{text}"
    );
    assert!(fault.detail.contains("deleted 0 of "), "{text}");
    assert!(
        fault.detail.contains("scheduled the deletion of its key"),
        "{text}"
    );

    // The runbook caught the key deletion in its window and copied back.
    let recovery = r.recovery.as_ref().expect("the runbooks ran");
    let done = |needle: &str| {
        recovery
            .checklist
            .iter()
            .any(|s| s.status == StepStatus::Done && s.detail.contains(needle))
    };
    assert!(done("cancelled its scheduled deletion, enabled it"), "{text}");
    assert!(done("in production as arn:aws:backup:"), "{text}");
    assert!(
        recovery.checklist.iter().all(|s| s.status == StepStatus::Done),
        "{text}"
    );

    // The restored tables and buckets are guarded again.
    assert!(done("PITR on "), "{text}");
    assert!(r.protection_lost.is_empty(), "{:?}", r.protection_lost);

    // Every layer is back but for the writes since the last hourly copy.
    assert!(r.check.rpo.seconds <= 3600.0, "{text}");
    for layer in &r.check.layers {
        let expected = layer.records_expected.max(1);
        assert!(
            layer.census.correct * 100 >= expected * 95,
            "{:?}: {text}",
            layer.layer
        );
    }
}
