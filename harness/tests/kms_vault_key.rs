//! The attacker who schedules the deletion of the backup vault's KMS key
//! before destroying the data, played end to end on the embedded emulator:
//! every restore job from the vault fails on the key (AWS Backup cannot
//! decrypt a recovery point whose key is pending deletion), the drill
//! reports the data lost, and the checklist says why in KMS's words.

#[path = "support/drills.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod drills;

use firedrill::checker::Verdict;
use firedrill::recovery::StepStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_key_scheduled_for_deletion_fails_every_restore_and_the_data_is_lost() {
    if !drills::postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL server binaries are not installed (the store has an RDS layer)");
        return;
    }
    let r = drills::play("dr-vault-key-scheduled-for-deletion.toml").await;
    let text = r.to_text();
    // The expectation is data loss, and that is what happened.
    assert!(r.passed(), "{text}");
    assert_eq!(r.check.verdict, Verdict::Invalid, "{text}");
    assert!(!r.check.recovered(), "{text}");

    // The key fault struck first and says what it did.
    let key_fault = r
        .faults
        .iter()
        .find(|f| f.fault.starts_with("schedule_key_deletion"))
        .expect("the key fault struck");
    assert!(!key_fault.destructive, "{key_fault:?}");
    assert!(
        key_fault.detail.contains("scheduled for deletion in 7 days"),
        "{key_fault:?}"
    );

    // The recovery found recovery points and started restores, and a
    // restore job failed on the key, in KMS's words.
    let recovery = r.recovery.as_ref().expect("a recovery ran");
    let failed: Vec<_> = recovery
        .checklist
        .iter()
        .filter_map(|step| match &step.status {
            StepStatus::Failed(why) => Some((step, why)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "the first failed restore stops the runbook: {text}"
    );
    let (step, why) = failed[0];
    assert_eq!(step.runbook, "backup_restore", "{text}");
    assert!(step.title.starts_with("wait for restore job"), "{step:?}");
    assert!(
        why.contains("is pending deletion.") && why.contains("KMSInvalidStateException"),
        "{why}"
    );
    assert!(
        recovery
            .error
            .as_deref()
            .is_some_and(|e| e.contains("pending deletion")),
        "{:?}",
        recovery.error
    );
    assert!(
        text.contains("pending deletion"),
        "the report names the KMS reason: {text}"
    );
}
