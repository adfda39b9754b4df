//! AWS Backup: the REST-JSON bodies of the requests that carry one (vaults,
//! plans and their updates, selections, backup, copy and restore jobs,
//! tagging), through the service's own router. Inputs are `route\nbody`.
//! Every 64 runs the harness ticks the scheduler a day on, so that a value a
//! request stored is also read by the background tick.

use super::Target;
use crate::harness::{Harness, pick, split_route};
use firedrill_emu_core::{AwsService, Environment};
use std::sync::Arc;

fn make(env: &Environment) -> Arc<dyn AwsService> {
    firedrill_emu_backup::Backup::new(env, Vec::new())
}

const ROUTES: &[(&str, (&str, &str))] = &[
    ("create-vault", ("PUT", "/backup-vaults/fuzz-vault-2")),
    ("create-plan", ("PUT", "/backup/plans/")),
    ("update-plan", ("POST", "/backup/plans/{plan}")),
    ("create-selection", ("PUT", "/backup/plans/{plan}/selections/")),
    ("start-backup-job", ("PUT", "/backup-jobs")),
    ("start-copy-job", ("PUT", "/copy-jobs")),
    ("start-restore-job", ("PUT", "/restore-jobs")),
    ("tag", ("POST", "/tags/{vault}")),
];

const PLAN: &str = r#"{"BackupPlan":{"BackupPlanName":"fuzz","Rules":[{"RuleName":"daily","TargetBackupVaultName":"fuzz-vault","ScheduleExpression":"cron(0 5 ? * * *)","StartWindowMinutes":60,"CompletionWindowMinutes":120,"Lifecycle":{"DeleteAfterDays":35}}]}}"#;

/// AWS Backup JSON bodies.
pub struct BackupJson {
    harness: Harness,
    plan_id: String,
    vault_arn: String,
    runs: u64,
}

impl BackupJson {
    pub fn new() -> Self {
        let mut t = Self {
            harness: Harness::new("backup", make),
            plan_id: String::new(),
            vault_arn: String::new(),
            runs: 0,
        };
        t.setup();
        t
    }

    fn setup(&mut self) {
        let vault = self
            .harness
            .send("PUT", "/backup-vaults/fuzz-vault", &[], b"{}".to_vec());
        let plan = self
            .harness
            .send("PUT", "/backup/plans/", &[], PLAN.as_bytes().to_vec());
        let field = |body: &[u8], name: &str| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get(name).and_then(|x| x.as_str()).map(str::to_owned))
                .unwrap_or_default()
        };
        self.vault_arn = field(&vault.body, "BackupVaultArn");
        self.plan_id = field(&plan.body, "BackupPlanId");
    }
}

impl Target for BackupJson {
    fn name(&self) -> &'static str {
        "backup-json"
    }

    fn dictionary(&self) -> &'static [&'static str] {
        DICTIONARY
    }

    fn run(&mut self, input: &[u8]) -> String {
        let (key, body) = split_route(input);
        let (name, (method, path)) = pick(ROUTES, &key);
        let path = path
            .replace("{plan}", &self.plan_id)
            .replace("{vault}", &self.vault_arn);
        let reply = self.harness.send(
            method,
            &path,
            &[("content-type", "application/json")],
            body.to_vec(),
        );
        self.runs += 1;
        if self.runs.is_multiple_of(64) {
            self.harness.tick();
        }
        format!("{name} {}", reply.signature())
    }

    fn reset(&mut self) {
        self.harness.rebuild();
        self.setup();
    }
}

const DICTIONARY: &[&str] = &[
    "\"BackupPlan\":",
    "\"BackupPlanName\":\"p\"",
    "\"Rules\":[",
    "\"RuleName\":\"r\"",
    "\"TargetBackupVaultName\":\"fuzz-vault\"",
    "\"ScheduleExpression\":\"cron(0 5 ? * * *)\"",
    "\"ScheduleExpression\":\"rate(1 hour)\"",
    "\"StartWindowMinutes\":",
    "\"CompletionWindowMinutes\":",
    "\"Lifecycle\":{",
    "\"DeleteAfterDays\":",
    "\"MoveToColdStorageAfterDays\":",
    "\"CopyActions\":[{\"DestinationBackupVaultArn\":\"arn:aws:backup:us-west-2:000000000000:backup-vault:fuzz-vault\"}]",
    "\"RecoveryPointTags\":{",
    "\"BackupSelection\":",
    "\"SelectionName\":\"s\"",
    "\"IamRoleArn\":\"arn:aws:iam::000000000000:role/backup\"",
    "\"Resources\":[\"*\"]",
    "\"ListOfTags\":[{\"ConditionType\":\"STRINGEQUALS\",\"ConditionKey\":\"backup\",\"ConditionValue\":\"yes\"}]",
    "\"Conditions\":{\"StringEquals\":[{\"ConditionKey\":\"aws:ResourceTag/backup\",\"ConditionValue\":\"yes\"}]}",
    "\"NotResources\":[",
    "\"BackupVaultName\":\"fuzz-vault\"",
    "\"ResourceArn\":\"arn:aws:dynamodb:us-east-1:000000000000:table/t\"",
    "\"RecoveryPointArn\":\"arn:aws:backup:us-east-1:000000000000:recovery-point:x\"",
    "\"SourceBackupVaultName\":\"fuzz-vault\"",
    "\"DestinationBackupVaultArn\":",
    "\"Metadata\":{",
    "\"IdempotencyToken\":",
    "\"Tags\":{\"k\":\"v\"}",
    "\"BackupVaultTags\":{",
    "\"CreatorRequestId\":",
    "\"EncryptionKeyArn\":",
    "\"AdvancedBackupSettings\":[",
    "\"ScheduleExpressionTimezone\":\"Europe/Paris\"",
    "\"EnableContinuousBackup\":true",
    "cron(",
    "rate(",
    "? * * *)",
    "L",
    "#",
    "/",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setup_plan_and_vault_exist() {
        let t = BackupJson::new();
        assert!(!t.plan_id.is_empty());
        assert!(t.vault_arn.starts_with("arn:aws:backup:"));
    }
}
