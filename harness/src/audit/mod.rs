//! `firedrill audit`: the backup-gap audit of a target, read-only.
//!
//! The audit reads an account's backup configuration region by region
//! ([`inventory`]), resolves AWS Backup selections to the resources they
//! cover, tags included ([`coverage`]), estimates each data resource's
//! worst-case RPO from what is configured ([`rpo`]), and runs the checks
//! ([`checks`]), named after Prowler's and AWS Config's where those scanners
//! have the same one. The report renders as text, JSON, Markdown or SARIF
//! 2.1.0 ([`output`], [`sarif`]). [`drill`] then mirrors the shop's
//! audited configuration into embedded emulators and plays the scenario of
//! each finding, so every gap comes with its measured cost.
//!
//! It never changes anything: every client it builds carries the
//! [`readonly::ReadOnlyGuard`], which refuses any call that is not a
//! `Describe*`, `List*`, `Get*` or `Head*` before it is sent, so the audit
//! needs no destructive-action allowlist on any target. On `aws` it uses the
//! default credential chain. Only configuration is read, never data.

pub mod checks;
pub mod command;
pub mod coverage;
pub mod drill;
pub mod elasticache;
pub mod inventory;
pub mod output;
pub mod readonly;
pub mod rpo;
pub mod sarif;

pub use checks::{CHECKS, Check, CheckOptions, Finding, Severity};
pub use command::AuditArgs;
pub use inventory::Inventory;
pub use readonly::ReadOnlyGuard;
pub use rpo::RpoEstimate;

use crate::model::StoreNames;
use crate::target::Target;
use serde::{Deserialize, Serialize};

/// A finished audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    /// The target's name (`embedded`, `endpoint`, `aws`).
    pub target: String,
    /// The account, when the resources' ARNs name it.
    pub account: Option<String>,
    /// Everything read.
    pub inventory: Inventory,
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
    /// Each data resource's worst-case RPO.
    pub rpo: Vec<RpoEstimate>,
    /// Every call the audit made (`service:Operation`), each a read.
    pub calls: Vec<String>,
}

impl AuditReport {
    /// Whether any finding is at least `severity`.
    pub fn fails(&self, severity: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= severity)
    }

    /// The findings of one check.
    pub fn of(&self, check: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.check == check).collect()
    }
}

/// The shop layers of a stack prefix: resource name → layer (the
/// ElastiCache replication group too, when the names keep sessions there).
pub fn shop_layers(names: &StoreNames) -> Vec<(String, String)> {
    let mut out = vec![(names.db_instance.clone(), "orders".to_owned())];
    out.push((names.carts_table.clone(), "carts".to_owned()));
    out.push((names.sessions_table.clone(), "sessions".to_owned()));
    out.push((names.images_bucket.clone(), "images".to_owned()));
    out.push((names.invoices_bucket.clone(), "invoices".to_owned()));
    out.push((names.templates_bucket.clone(), "templates".to_owned()));
    if let Some(cache) = &names.cache {
        out.push((cache.replication_group.clone(), "sessions".to_owned()));
    }
    out
}

/// Audits `regions` of `target`.
pub async fn audit(
    target: &dyn Target,
    regions: &[String],
    options: &CheckOptions,
) -> anyhow::Result<AuditReport> {
    let guard = ReadOnlyGuard::default();
    let inventory = inventory::collect_all(target, regions, &guard).await?;
    let mut findings = checks::run(&inventory, options);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.check.cmp(&b.check))
            .then_with(|| a.resource.cmp(&b.resource))
    });
    let rpo = checks::estimates(&inventory, options);
    Ok(AuditReport {
        target: target.name().to_owned(),
        account: inventory
            .regions
            .iter()
            .find_map(|r| r.account().map(str::to_owned)),
        inventory,
        findings,
        rpo,
        calls: guard.calls(),
    })
}
