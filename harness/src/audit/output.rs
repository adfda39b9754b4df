//! The audit report for a terminal, as JSON and as Markdown.

use super::AuditReport;
use super::rpo::show;
use std::fmt::Write;

/// Counts of findings by severity, most severe first.
fn counts(report: &AuditReport) -> String {
    use super::Severity::*;
    let n = |s| report.findings.iter().filter(|f| f.severity == s).count();
    format!("{} high, {} medium, {} low", n(High), n(Medium), n(Low))
}

fn inventory_line(r: &super::inventory::RegionInventory) -> String {
    let covered: usize = r
        .data_resources()
        .iter()
        .filter(|d| !r.rules_covering(d.arn).is_empty())
        .count();
    format!(
        "{}: {} RDS instance(s), {} cluster(s), {} DynamoDB table(s), {} S3 bucket(s); {} vault(s), {} plan(s) covering {} resource(s); {} restore job(s) in 90 days",
        r.region,
        r.db_instances.len(),
        r.db_clusters.len(),
        r.tables.len(),
        r.buckets.len(),
        r.vaults.len(),
        r.plans.len(),
        covered,
        r.restore_jobs.len()
    )
}

impl AuditReport {
    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Plain text for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "firedrill audit of {} (account {}): {}",
            self.target,
            self.account.as_deref().unwrap_or("unknown"),
            counts(self)
        );
        for r in &self.inventory.regions {
            let _ = writeln!(s, "  {}", inventory_line(r));
            for note in &r.notes {
                let _ = writeln!(s, "    note: {note}");
            }
        }
        let _ = writeln!(s, "\nworst-case RPO per data layer:");
        for e in &self.rpo {
            let _ = writeln!(
                s,
                "  {:<10} {:<22} {:<12} in region {:>9} ({}); region lost {:>9} ({})",
                e.region,
                e.layer,
                e.kind.label(),
                show(e.in_region_seconds),
                e.in_region_basis,
                show(e.region_loss_seconds),
                e.region_loss_basis
            );
        }
        let _ = writeln!(s, "\nfindings:");
        for f in &self.findings {
            let _ = writeln!(
                s,
                "  [{:<6}] {:<48} {}\n           {}\n           fix: {}",
                f.severity.as_str(),
                f.check,
                f.region,
                f.evidence,
                f.fix
            );
        }
        let _ = writeln!(s, "\n{} read-only calls made", self.calls.len());
        s
    }

    /// Markdown, for an issue or a pull request.
    pub fn to_markdown(&self) -> String {
        let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Backup audit: {} (account {})\n\n{}.\n",
            self.target,
            self.account.as_deref().unwrap_or("unknown"),
            counts(self)
        );
        let _ = writeln!(s, "## Inventory\n");
        for r in &self.inventory.regions {
            let _ = writeln!(s, "- {}", inventory_line(r));
            for note in &r.notes {
                let _ = writeln!(s, "  - note: {}", note);
            }
        }
        let _ = writeln!(
            s,
            "\n## Worst-case RPO per data layer\n\n| Region | Layer | Kind | In region | Basis | Region lost | Basis |\n|---|---|---|---|---|---|---|"
        );
        for e in &self.rpo {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                e.region,
                cell(&e.layer),
                e.kind.label(),
                show(e.in_region_seconds),
                cell(&e.in_region_basis),
                show(e.region_loss_seconds),
                cell(&e.region_loss_basis)
            );
        }
        let _ = writeln!(
            s,
            "\n## Findings\n\n| Severity | Check | Region | Resource | Evidence | Fix |\n|---|---|---|---|---|---|"
        );
        for f in &self.findings {
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} | {} |",
                f.severity.as_str(),
                f.check,
                f.region,
                cell(&f.resource),
                cell(&f.evidence),
                cell(&f.fix)
            );
        }
        s
    }
}
