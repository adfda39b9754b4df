//! The audit as SARIF 2.1.0, for code-scanning dashboards.
//!
//! One run; the tool's rules are the whole check catalog ([`super::CHECKS`]),
//! each with its severity as the default level (high → `error`, medium →
//! `warning`, low → `note`) and a `security-severity` property; each
//! finding is a result pointing at its rule by id and index, located by a
//! logical location of kind `resource` whose fully qualified name is the
//! resource's ARN (or region). A partial fingerprint of check, region and
//! resource lets a dashboard follow one finding across audits.

use super::AuditReport;
use super::checks::{CHECKS, Severity, Source};
use serde_json::{Value, json};

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";

/// The schema URI written in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF level of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
    }
}

fn source_tag(source: Source) -> &'static str {
    match source {
        Source::Prowler => "prowler",
        Source::AwsConfig => "aws-config",
        Source::Firedrill => "firedrill",
    }
}

impl AuditReport {
    /// The report as a SARIF 2.1.0 log.
    pub fn to_sarif(&self) -> Value {
        let rules: Vec<Value> = CHECKS
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "shortDescription": { "text": c.title },
                    "fullDescription": { "text": c.title },
                    "help": { "text": c.fix },
                    "defaultConfiguration": { "level": level(c.severity) },
                    "properties": {
                        "security-severity": security_severity(c.severity),
                        "tags": ["backup", "aws", source_tag(c.source)],
                    },
                })
            })
            .collect();
        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                let index = CHECKS.iter().position(|c| c.id == f.check);
                let name = f.arn.clone().unwrap_or_else(|| f.region.clone());
                let mut result = json!({
                    "ruleId": f.check,
                    "level": level(f.severity),
                    "message": { "text": format!("{} Fix: {}", f.evidence, f.fix) },
                    "locations": [{
                        "logicalLocations": [{
                            "name": f.resource,
                            "fullyQualifiedName": name,
                            "kind": "resource",
                        }],
                    }],
                    "partialFingerprints": {
                        "firedrillFinding/v1": format!("{}|{}|{}", f.check, f.region, name),
                    },
                    "properties": {
                        "severity": f.severity.as_str(),
                        "region": f.region,
                        "layer": f.layer,
                    },
                });
                if let (Some(i), Some(obj)) = (index, result.as_object_mut()) {
                    obj.insert("ruleIndex".into(), json!(i));
                }
                result
            })
            .collect();
        json!({
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "firedrill",
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "rules": rules,
                    },
                },
                "invocations": [{ "executionSuccessful": true }],
                "results": results,
            }],
        })
    }
}
