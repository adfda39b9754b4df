//! The `firedrill audit` command line: which target, which regions, which
//! format, and the exit code `--fail-on` asks for.
//!
//! `--drill` then plays the findings ([`super::drill`]).
//!
//! Exit codes: 0 when no finding reaches the `--fail-on` severity (or none
//! was given), [`FINDINGS_EXIT_CODE`] when one does, 1 when the audit could
//! not run.

use super::{AuditReport, CheckOptions, Severity, audit, shop_layers};
use crate::history::Collection;
use crate::model::StoreNames;
use crate::target::Target;
use anyhow::Context;
use std::collections::BTreeSet;
use std::process::ExitCode;

/// The exit code when a finding reaches `--fail-on` (Prowler's, so CI
/// pipelines can tell findings from a failed run).
pub const FINDINGS_EXIT_CODE: u8 = 3;

/// Where the audit reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditTarget {
    /// A fresh emulator in this process, provisioned with the shop under
    /// `--policy` (to see what the audit finds in a known design).
    Embedded,
    /// Any AWS-compatible endpoint (--endpoint or AWS_ENDPOINT_URL).
    Endpoint,
    /// A real account through the default credential chain (read-only: no
    /// allowlist needed).
    Aws,
}

/// `firedrill audit`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// The target to audit.
    #[arg(long, value_enum, default_value = "embedded")]
    pub target: AuditTarget,
    /// The endpoint for `--target endpoint`.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint: Option<String>,
    /// Regions to audit (repeat or comma-separate; default: the target's
    /// region, and on embedded and endpoint targets us-west-2 too).
    #[arg(long = "region", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// A named AWS profile for `--target aws`.
    #[arg(long)]
    pub profile: Option<String>,
    /// The seed policy the embedded target is provisioned with
    /// (none, backup_hope, four_layer, four_layer_alarmed).
    #[arg(long, default_value = "backup_hope")]
    pub policy: String,
    /// The shop's stack prefix: its resources are reported by layer
    /// (orders, carts, sessions, images, invoices, templates).
    #[arg(long, default_value = "shop")]
    pub prefix: String,
    /// Peak hours (UTC, `hh24:mi-hh24:mi`): backup windows inside them are findings.
    #[arg(long, value_name = "HH:MM-HH:MM")]
    pub peak_hours: Option<String>,
    /// Print JSON.
    #[arg(long, group = "format")]
    pub json: bool,
    /// Print Markdown.
    #[arg(long, group = "format")]
    pub markdown: bool,
    /// Print SARIF 2.1.0.
    #[arg(long, group = "format")]
    pub sarif: bool,
    /// Exit with code 3 when a finding is at least this severe.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Then drill the findings: mirror the shop's audited configuration
    /// (never its data) into embedded emulators and play the scenario of each
    /// finding, reporting the records lost, the RPO and the RTO.
    #[arg(long)]
    pub drill: bool,
    /// Where the scenarios `--drill` plays live (default: the shipped ones).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<std::path::PathBuf>,
}

impl AuditArgs {
    fn check_options(&self) -> anyhow::Result<CheckOptions> {
        let peak_hours = self
            .peak_hours
            .as_deref()
            .map(|w| crate::policy::parse_window(w).with_context(|| format!("--peak-hours {w:?}")))
            .transpose()?;
        let names = audited_names(&self.prefix)?;
        Ok(CheckOptions {
            peak_hours,
            layers: shop_layers(&names),
        })
    }

    fn regions_for(&self, target: &dyn Target) -> Vec<String> {
        if !self.regions.is_empty() {
            return self.regions.clone();
        }
        std::iter::once(target.primary_region())
            .chain(target.secondary_region())
            .map(str::to_owned)
            .collect()
    }
}

/// The shop's names as the audit looks for them: its session store's
/// replication group too, so a shop that keeps sessions in ElastiCache has
/// them on the sessions layer (a group that does not exist is never found).
pub fn audited_names(prefix: &str) -> anyhow::Result<StoreNames> {
    Ok(StoreNames::new(prefix)
        .context("--prefix")?
        .with_cache(BTreeSet::from([Collection::Sessions, Collection::Carts])))
}

/// Provisions the shop on `target` under a seed policy, running its
/// snapshot job once so the audit sees what the policy leaves behind.
pub async fn provision_seed(target: &dyn Target, policy: &str, prefix: &str) -> anyhow::Result<()> {
    use crate::policy::{Provisioner, SdkProvisioner, by_name, run_snapshot_job};
    let policy = by_name(policy).with_context(|| {
        format!(
            "--policy {policy:?} is not a seed policy ({})",
            crate::policy::SEED_POLICIES.join(", ")
        )
    })?;
    let names = StoreNames::new(prefix)?;
    let provisioner = SdkProvisioner::default();
    let store = provisioner.provision(target, &policy, &names).await?;
    if let Some(job) = &policy.snapshot_job {
        run_snapshot_job(target, &store, job, &provisioner.wait).await?;
    }
    Ok(())
}

/// Audits the target the arguments name.
pub async fn audit_target(args: &AuditArgs) -> anyhow::Result<AuditReport> {
    use crate::stack::{AwsOptions, AwsTarget, EmbeddedOptions, EmbeddedTarget, EndpointTarget};
    let options = args.check_options()?;
    match args.target {
        AuditTarget::Embedded => {
            let target = EmbeddedTarget::start(EmbeddedOptions::default()).await?;
            let report = async {
                provision_seed(&target, &args.policy, &args.prefix).await?;
                audit(&target, &args.regions_for(&target), &options).await
            }
            .await;
            target.shutdown().await;
            report
        }
        AuditTarget::Endpoint => {
            let endpoint = args
                .endpoint
                .as_deref()
                .context("--target endpoint needs --endpoint URL (or AWS_ENDPOINT_URL)")?;
            let primary = args.regions.first().map(String::as_str).unwrap_or("us-east-1");
            let secondary = if args.regions.is_empty() {
                Some("us-west-2")
            } else {
                None
            };
            let target = EndpointTarget::connect(endpoint, primary, secondary).await?;
            audit(&target, &args.regions_for(&target), &options).await
        }
        AuditTarget::Aws => {
            let target = AwsTarget::connect(AwsOptions {
                region: args.regions.first().cloned(),
                profile: args.profile.clone(),
                ..AwsOptions::default()
            })
            .await?;
            let mut report = audit(&target, &args.regions_for(&target), &options).await?;
            report.account = Some(target.account_id().to_owned());
            Ok(report)
        }
    }
}

/// Runs `firedrill audit`.
pub async fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let report = audit_target(&args).await?;
    let drilled = if args.drill {
        let names = audited_names(&args.prefix)?;
        let dir = args
            .scenarios
            .clone()
            .unwrap_or_else(super::drill::shipped_scenarios_dir);
        Some(super::drill::drill_findings(&report, &names, &dir).await?)
    } else {
        None
    };
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        if let (Some(d), Some(obj)) = (&drilled, value.as_object_mut()) {
            obj.insert("drills".into(), serde_json::to_value(d)?);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if args.markdown {
        println!("{}", report.to_markdown());
        if let Some(d) = &drilled {
            println!("## What the gaps cost\n\n```\n{}```", d.to_text());
        }
    } else if args.sarif {
        println!("{}", serde_json::to_string_pretty(&report.to_sarif())?);
    } else {
        println!("{}", report.to_text());
        if let Some(d) = &drilled {
            println!("{}", d.to_text());
        }
    }
    Ok(match args.fail_on {
        Some(severity) if report.fails(severity) => ExitCode::from(FINDINGS_EXIT_CODE),
        _ => ExitCode::SUCCESS,
    })
}
