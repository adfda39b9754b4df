//! The `aws` target: a real account through the default credential chain.
//!
//! Read-only by default. Connecting only asks STS who we are
//! (`GetCallerIdentity`). Anything destructive (a fault, a restore or probe
//! that creates resources) must first pass [`authorize_destructive`], the one
//! interlock every destructive path goes through: it is allowed when the
//! endpoint is loopback (an emulator), or when the account id is in an
//! explicit allowlist (`--aws-account-allowlist` or the environment variable
//! [`ALLOWLIST_ENV`]); refused otherwise, including a non-loopback endpoint
//! whose account is not listed. Before a destructive run,
//! [`AwsTarget::authorize`] prints the account, the region and every
//! resource that will be touched. Everything created carries the tag
//! `firedrill:drill=<id>` ([`crate::matrix::DRILL_TAG_KEY`]) and is removed
//! afterwards by whoever created it.
//!
//! The workspace builds aws-config without default features, so the HTTPS
//! client (rustls with ring) is built here explicitly.

use crate::target::{BoxFuture, Capabilities, Target};
use anyhow::Context;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;

/// The environment variable holding the comma-separated account ids that
/// destructive steps may touch.
pub const ALLOWLIST_ENV: &str = "FIREDRILL_AWS_ACCOUNT_ALLOWLIST";

/// Which kind of target a destructive step would act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The in-process emulator (always loopback).
    Embedded,
    /// Any AWS-compatible URL.
    Endpoint,
    /// LocalStack and PostgreSQL containers.
    Containers,
    /// A real account.
    Aws,
}

/// Why a destructive step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterlockError {
    /// No allowlist was given at all.
    #[error(
        "refusing a destructive step on account {account_id} ({endpoint}): no account allowlist is set; pass --aws-account-allowlist {account_id} or set {ALLOWLIST_ENV}={account_id} if this account may be broken"
    )]
    NoAllowlist {
        /// The account that would be touched.
        account_id: String,
        /// Where the calls would go.
        endpoint: String,
    },
    /// The account is not in the allowlist.
    #[error(
        "refusing a destructive step on account {account_id} ({endpoint}): it is not in the allowlist [{allowlist}]"
    )]
    NotAllowlisted {
        /// The account that would be touched.
        account_id: String,
        /// Where the calls would go.
        endpoint: String,
        /// The allowlist, comma-separated.
        allowlist: String,
    },
    /// The endpoint could not be read as a URL, so it cannot be shown to be loopback.
    #[error("refusing a destructive step: the endpoint {0:?} is not a URL firedrill can check")]
    BadEndpoint(String),
}

/// The interlock every destructive path calls.
///
/// Allowed when the endpoint is loopback (an emulator on this machine) or
/// the target is the embedded emulator; otherwise only when `account_id` is
/// in `allowlist`.
pub fn authorize_destructive(
    kind: TargetKind,
    endpoint: Option<&str>,
    account_id: &str,
    allowlist: &[String],
) -> Result<(), InterlockError> {
    if kind == TargetKind::Embedded {
        return Ok(());
    }
    if let Some(ep) = endpoint {
        match is_loopback_endpoint(ep) {
            Some(true) => return Ok(()),
            Some(false) => {}
            None => return Err(InterlockError::BadEndpoint(ep.to_owned())),
        }
    }
    let shown = endpoint.map(str::to_owned).unwrap_or_else(|| "AWS".to_owned());
    if allowlist.is_empty() {
        return Err(InterlockError::NoAllowlist {
            account_id: account_id.to_owned(),
            endpoint: shown,
        });
    }
    if allowlist.iter().any(|a| a == account_id) {
        Ok(())
    } else {
        Err(InterlockError::NotAllowlisted {
            account_id: account_id.to_owned(),
            endpoint: shown,
            allowlist: allowlist.join(","),
        })
    }
}

/// Whether `endpoint`'s host is loopback (`localhost`, 127.0.0.0/8, ::1);
/// `None` when it is not a URL with a host.
pub fn is_loopback_endpoint(endpoint: &str) -> Option<bool> {
    let url = url::Url::parse(endpoint).ok()?;
    Some(match url.host()? {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => IpAddr::V4(ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(ip).is_loopback(),
    })
}

/// Account ids from a comma- or whitespace-separated list.
pub fn parse_allowlist(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The allowlist from [`ALLOWLIST_ENV`] (empty when unset).
pub fn allowlist_from_env() -> Vec<String> {
    std::env::var(ALLOWLIST_ENV)
        .map(|s| parse_allowlist(&s))
        .unwrap_or_default()
}

/// How to reach the account.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// The region the store lives in (default: the credential chain's region, else us-east-1).
    pub region: Option<String>,
    /// The region copies go to, when drills use one.
    pub secondary_region: Option<String>,
    /// A named profile instead of the default chain's.
    pub profile: Option<String>,
    /// Account ids destructive steps may touch; [`ALLOWLIST_ENV`] is added.
    pub allowlist: Vec<String>,
    /// The account id, when STS is unreachable (for example an endpoint
    /// without STS); otherwise asked of STS.
    pub account_id: Option<String>,
}

/// A real AWS account as a target.
#[derive(Debug)]
pub struct AwsTarget {
    configs: HashMap<String, SdkConfig>,
    primary: String,
    secondary: Option<String>,
    account_id: String,
    caller_arn: Option<String>,
    endpoint: Option<String>,
    allowlist: Vec<String>,
}

/// The default chain's config, with the HTTPS client every AWS call uses
/// (rustls with ring).
async fn load_config(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https);
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_owned()));
    }
    loader.load().await
}

impl AwsTarget {
    /// Loads the default credential chain and asks STS who we are. Nothing
    /// else is called: the target is read-only until [`AwsTarget::authorize`]
    /// passes.
    pub async fn connect(options: AwsOptions) -> anyhow::Result<Self> {
        let base = load_config(options.profile.as_deref(), options.region.as_deref()).await;
        let primary = base
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let mut configs = HashMap::new();
        for region in std::iter::once(primary.as_str()).chain(options.secondary_region.as_deref()) {
            configs.insert(
                region.to_owned(),
                load_config(options.profile.as_deref(), Some(region)).await,
            );
        }
        let endpoint = std::env::var("AWS_ENDPOINT_URL").ok().filter(|e| !e.is_empty());
        let (account_id, caller_arn) = match options.account_id.clone() {
            Some(a) => (a, None),
            None => {
                let sts = aws_sdk_sts::Client::new(&configs[&primary]);
                let me = tokio::time::timeout(
                    std::time::Duration::from_secs(20),
                    sts.get_caller_identity().send(),
                )
                .await
                .context("STS GetCallerIdentity timed out after 20 s")?
                .map_err(|e| anyhow::anyhow!("{}", aws_smithy_types::error::display::DisplayErrorContext(e)))
                .context("STS GetCallerIdentity failed: no usable credentials in the default chain?")?;
                (
                    me.account().context("STS returned no account id")?.to_owned(),
                    me.arn().map(str::to_owned),
                )
            }
        };
        let mut allowlist = options.allowlist.clone();
        for a in allowlist_from_env() {
            if !allowlist.contains(&a) {
                allowlist.push(a);
            }
        }
        Ok(Self {
            configs,
            primary,
            secondary: options.secondary_region,
            account_id,
            caller_arn,
            endpoint,
            allowlist,
        })
    }

    /// The account id (from STS or the options).
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Who the credentials are (STS's ARN), when STS was asked.
    pub fn caller_arn(&self) -> Option<&str> {
        self.caller_arn.as_deref()
    }

    /// The account ids destructive steps may touch.
    pub fn allowlist(&self) -> &[String] {
        &self.allowlist
    }

    /// The custom endpoint (`AWS_ENDPOINT_URL`), when one is set.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// What a destructive step will touch, as printed before it starts.
    pub fn announcement(&self, action: &str, resources: &[String]) -> String {
        let mut out = format!(
            "firedrill {action} on a REAL AWS account\n  account: {}{}\n  region:  {}{}\n  endpoint: {}\n  resources to be created, changed or deleted (tagged firedrill:drill=<id>, removed afterwards):\n",
            self.account_id,
            self.caller_arn
                .as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default(),
            self.primary,
            self.secondary
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            self.endpoint.as_deref().unwrap_or("AWS"),
        );
        for r in resources {
            out.push_str(&format!("    - {r}\n"));
        }
        out
    }

    /// Prints the account, regions and `resources` to stderr, then applies
    /// [`authorize_destructive`]. Call it before every destructive step.
    pub fn authorize(&self, action: &str, resources: &[String]) -> Result<(), InterlockError> {
        eprint!("{}", self.announcement(action, resources));
        let verdict = authorize_destructive(
            TargetKind::Aws,
            self.endpoint.as_deref(),
            &self.account_id,
            &self.allowlist,
        );
        match &verdict {
            Ok(()) => eprintln!("  account {} is allowlisted: proceeding", self.account_id),
            Err(e) => eprintln!("  {e}"),
        }
        verdict
    }

    /// `firedrill matrix --target aws`: prints what will be created, passes
    /// the interlock, runs every probe (all resources tagged with the run id)
    /// and removes what it made. Refused, before any call, when the account
    /// is not allowlisted.
    pub async fn run_matrix(&self) -> Result<crate::matrix::MatrixReport, InterlockError> {
        let run_id = crate::matrix::new_run_id();
        self.authorize(
            &format!("matrix (run {run_id})"),
            &crate::matrix::planned_resources(self, &run_id),
        )?;
        let mut options = crate::matrix::MatrixOptions::for_target(self);
        options.run_id = Some(run_id);
        options.account_id = Some(self.account_id.clone());
        Ok(crate::matrix::run_matrix_with(self, &options).await)
    }
}

impl Target for AwsTarget {
    fn name(&self) -> &str {
        "aws"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            dynamodb_pitr: true,
            s3_versioning: true,
            rds_pitr: true,
            aws_backup: true,
            regions: self.secondary.is_some(),
            simulated_clock: false,
            // Cache endpoints answer inside their VPC, not on this machine.
            elasticache: false,
            rds_mysql: true,
            // One account's credentials: a profile per account is not yet taken.
            backup_account: false,
        }
    }

    fn sdk_config(&self, region: &str) -> SdkConfig {
        match self.configs.get(region) {
            Some(c) => c.clone(),
            None => self.configs[&self.primary]
                .to_builder()
                .region(Region::new(region.to_owned()))
                .build(),
        }
    }

    fn primary_region(&self) -> &str {
        &self.primary
    }

    fn secondary_region(&self) -> Option<&str> {
        self.secondary.as_deref()
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn advance(&self, _by: Duration) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { anyhow::bail!("the aws target's clock is real and cannot be advanced") })
    }

    fn set_region_outage(&self, region: &str, _down: bool) -> BoxFuture<'_, anyhow::Result<()>> {
        let region = region.to_owned();
        Box::pin(async move {
            anyhow::bail!(
                "a real AWS region ({region}) cannot be taken down; run region-outage scenarios on the embedded emulator"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn loopback_endpoints_are_recognised() {
        assert_eq!(is_loopback_endpoint("http://127.0.0.1:4566"), Some(true));
        assert_eq!(is_loopback_endpoint("http://127.8.9.1"), Some(true));
        assert_eq!(is_loopback_endpoint("http://localhost:4566/"), Some(true));
        assert_eq!(is_loopback_endpoint("http://[::1]:4566"), Some(true));
        assert_eq!(
            is_loopback_endpoint("https://dynamodb.us-east-1.amazonaws.com"),
            Some(false)
        );
        assert_eq!(is_loopback_endpoint("http://10.0.0.5:4566"), Some(false));
        assert_eq!(is_loopback_endpoint("http://localhost.evil.com"), Some(false));
        assert_eq!(is_loopback_endpoint("not a url"), None);
    }

    #[test]
    fn allowlists_parse_commas_and_spaces() {
        assert_eq!(
            parse_allowlist(" 111122223333, 444455556666 777"),
            list(&["111122223333", "444455556666", "777"])
        );
        assert!(parse_allowlist(" , ").is_empty());
    }
}
