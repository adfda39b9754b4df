//! A bucket's serving configurations, stored and returned but not acted on
//! (the emulator serves no browser, website endpoint, access log or
//! accelerated endpoint): CORS, static website hosting, server access
//! logging, Transfer Acceleration, Requester Pays and the EventBridge
//! switch of event notifications.
//!
//! Each Put checks the configuration as S3 does before anything is stored;
//! a Get of one never set answers S3's own "not configured" answer: `404
//! NoSuchCORSConfiguration` and `404 NoSuchWebsiteConfiguration` (with
//! `BucketName`), an empty logging status, no acceleration status, payer
//! `BucketOwner` and an empty notification configuration.

use super::*;

/// The HTTP methods a CORS rule may allow.
const CORS_METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// The most rules a CORS configuration may hold.
const MAX_CORS_RULES: usize = 100;

/// The most routing rules a website configuration may hold.
const MAX_ROUTING_RULES: usize = 50;

/// One CORS rule, as PutBucketCors wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsRule {
    /// `ID`.
    pub id: Option<String>,
    /// `AllowedMethod` elements.
    pub allowed_methods: Vec<String>,
    /// `AllowedOrigin` elements.
    pub allowed_origins: Vec<String>,
    /// `AllowedHeader` elements.
    pub allowed_headers: Vec<String>,
    /// `ExposeHeader` elements.
    pub expose_headers: Vec<String>,
    /// `MaxAgeSeconds`.
    pub max_age_seconds: Option<i32>,
}

/// A website redirect: `RedirectAllRequestsTo` (host name required) or a
/// routing rule's `Redirect`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebsiteRedirect {
    /// `HostName`.
    pub host_name: Option<String>,
    /// `Protocol` (`http` or `https`).
    pub protocol: Option<String>,
    /// `HttpRedirectCode` (routing rules only).
    pub http_redirect_code: Option<String>,
    /// `ReplaceKeyPrefixWith` (routing rules only).
    pub replace_key_prefix_with: Option<String>,
    /// `ReplaceKeyWith` (routing rules only).
    pub replace_key_with: Option<String>,
}

/// A routing rule's `Condition`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutingCondition {
    /// `HttpErrorCodeReturnedEquals`.
    pub http_error_code_returned_equals: Option<String>,
    /// `KeyPrefixEquals`.
    pub key_prefix_equals: Option<String>,
}

/// One website routing rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutingRule {
    /// `Condition`, when given.
    pub condition: Option<RoutingCondition>,
    /// `Redirect`.
    pub redirect: WebsiteRedirect,
}

/// A static website configuration (PutBucketWebsite).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Website {
    /// `IndexDocument.Suffix`.
    pub index_suffix: Option<String>,
    /// `ErrorDocument.Key`.
    pub error_key: Option<String>,
    /// `RedirectAllRequestsTo`.
    pub redirect_all: Option<WebsiteRedirect>,
    /// `RoutingRules`, `None` when the element was absent.
    pub routing_rules: Option<Vec<RoutingRule>>,
}

/// How log object keys are formed (`TargetObjectKeyFormat`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LogKeyFormat {
    /// No `TargetObjectKeyFormat` element.
    #[default]
    Unset,
    /// `SimplePrefix`.
    Simple,
    /// `PartitionedPrefix`, with its `PartitionDateSource` when given.
    Partitioned(Option<String>),
}

/// Server access logging (`LoggingEnabled`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Logging {
    /// `TargetBucket`: a bucket of the account in the same region.
    pub target_bucket: String,
    /// `TargetPrefix`.
    pub target_prefix: String,
    /// `TargetObjectKeyFormat`.
    pub key_format: LogKeyFormat,
}

/// Every serving configuration of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketConfigs {
    /// CORS rules, when set.
    pub cors: Option<Vec<CorsRule>>,
    /// The website configuration, when set.
    pub website: Option<Website>,
    /// Server access logging, when enabled.
    pub logging: Option<Logging>,
    /// Transfer Acceleration (`Enabled` or `Suspended`), once set.
    pub accelerate: Option<String>,
    /// Who pays for requests: `BucketOwner` (the default) or `Requester`.
    pub payer: String,
    /// Whether events go to EventBridge.
    pub event_bridge: bool,
}

impl Default for BucketConfigs {
    fn default() -> Self {
        Self {
            cors: None,
            website: None,
            logging: None,
            accelerate: None,
            payer: "BucketOwner".to_owned(),
            event_bridge: false,
        }
    }
}

/// Checks CORS rules as S3 does: 1 to 100 rules, each allowing at least
/// one method and one origin (`MalformedXML`), methods among GET, PUT,
/// HEAD, POST and DELETE (`InvalidRequest`).
pub fn validate_cors(rules: &[CorsRule]) -> Result<()> {
    if rules.is_empty() || rules.len() > MAX_CORS_RULES {
        return Err(S3EngineError::MalformedXml);
    }
    for rule in rules {
        if rule.allowed_methods.is_empty() || rule.allowed_origins.is_empty() {
            return Err(S3EngineError::MalformedXml);
        }
        if let Some(m) = rule
            .allowed_methods
            .iter()
            .find(|m| !CORS_METHODS.contains(&m.as_str()))
        {
            return Err(S3EngineError::InvalidRequest(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
    }
    Ok(())
}

fn check_protocol(protocol: Option<&str>) -> Result<()> {
    match protocol {
        None | Some("http" | "https") => Ok(()),
        Some(_) => Err(S3EngineError::InvalidRequest(
            "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically."
                .to_owned(),
        )),
    }
}

/// Checks a website configuration as S3 does: `RedirectAllRequestsTo`
/// alone (with a `HostName`), or an `IndexDocument` whose suffix is not
/// empty and has no `/`, an `ErrorDocument` with a key, and 1 to 50
/// routing rules that replace the key or its prefix but not both.
pub fn validate_website(w: &Website) -> Result<()> {
    if let Some(all) = &w.redirect_all {
        if w.index_suffix.is_some() || w.error_key.is_some() || w.routing_rules.is_some() {
            return Err(S3EngineError::InvalidArgumentNamed {
                message: "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules."
                    .to_owned(),
                name: "RedirectAllRequestsTo".to_owned(),
                value: "not null".to_owned(),
            });
        }
        if all.host_name.as_deref().is_none_or(str::is_empty) {
            return Err(S3EngineError::MalformedXml);
        }
        return check_protocol(all.protocol.as_deref());
    }
    let Some(suffix) = &w.index_suffix else {
        return Err(S3EngineError::InvalidArgumentNamed {
            message: "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"
                .to_owned(),
            name: "IndexDocument".to_owned(),
            value: "null".to_owned(),
        });
    };
    if suffix.is_empty() || suffix.contains('/') {
        return Err(S3EngineError::InvalidArgumentNamed {
            message: "The IndexDocument Suffix is not well formed".to_owned(),
            name: "IndexDocument".to_owned(),
            value: suffix.clone(),
        });
    }
    if w.error_key.as_deref().is_some_and(str::is_empty) {
        return Err(S3EngineError::MalformedXml);
    }
    if let Some(rules) = &w.routing_rules {
        if rules.is_empty() || rules.len() > MAX_ROUTING_RULES {
            return Err(S3EngineError::MalformedXml);
        }
        for rule in rules {
            let r = &rule.redirect;
            if r.replace_key_prefix_with.is_some() && r.replace_key_with.is_some() {
                return Err(S3EngineError::InvalidRequest(
                    "You can only define ReplaceKeyPrefix or ReplaceKey but not both.".to_owned(),
                ));
            }
            if rule
                .condition
                .as_ref()
                .is_some_and(|c| c.http_error_code_returned_equals.is_none() && c.key_prefix_equals.is_none())
            {
                return Err(S3EngineError::InvalidRequest(
                    "Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present."
                        .to_owned(),
                ));
            }
            check_protocol(r.protocol.as_deref())?;
        }
    }
    Ok(())
}

impl Engine {
    fn configs_mut<T>(
        &self,
        name: &str,
        region: Option<&str>,
        f: impl FnOnce(&mut BucketConfigs) -> T,
    ) -> Result<T> {
        let mut st = self.state.lock();
        Ok(f(&mut st.bucket_mut(name, region)?.configs))
    }

    /// A bucket's serving configurations.
    pub fn configs(&self, name: &str, region: Option<&str>) -> Result<BucketConfigs> {
        self.with_bucket(name, region, |b| b.configs.clone())
    }

    /// PutBucketCors (see [`validate_cors`]).
    pub fn put_cors(&self, name: &str, region: Option<&str>, rules: Vec<CorsRule>) -> Result<()> {
        validate_cors(&rules)?;
        self.configs_mut(name, region, |c| c.cors = Some(rules))
    }

    /// GetBucketCors (`NoSuchCORSConfiguration` when none is set).
    pub fn cors(&self, name: &str, region: Option<&str>) -> Result<Vec<CorsRule>> {
        self.configs(name, region)?
            .cors
            .ok_or_else(|| S3EngineError::NoSuchCorsConfiguration(name.to_owned()))
    }

    /// DeleteBucketCors (a no-op when none is set).
    pub fn delete_cors(&self, name: &str, region: Option<&str>) -> Result<()> {
        self.configs_mut(name, region, |c| c.cors = None)
    }

    /// PutBucketWebsite (see [`validate_website`]).
    pub fn put_website(&self, name: &str, region: Option<&str>, website: Website) -> Result<()> {
        validate_website(&website)?;
        self.configs_mut(name, region, |c| c.website = Some(website))
    }

    /// GetBucketWebsite (`NoSuchWebsiteConfiguration` when none is set).
    pub fn website(&self, name: &str, region: Option<&str>) -> Result<Website> {
        self.configs(name, region)?
            .website
            .ok_or_else(|| S3EngineError::NoSuchWebsiteConfiguration(name.to_owned()))
    }

    /// DeleteBucketWebsite (a no-op when none is set).
    pub fn delete_website(&self, name: &str, region: Option<&str>) -> Result<()> {
        self.configs_mut(name, region, |c| c.website = None)
    }

    /// PutBucketLogging: `None` turns logging off. The target must be a
    /// bucket of this account (`InvalidTargetBucketForLogging`, with
    /// `TargetBucket`) in the source bucket's region
    /// (`CrossLocationLoggingProhibitted`, 403, with the locations).
    pub fn put_logging(&self, name: &str, region: Option<&str>, logging: Option<Logging>) -> Result<()> {
        let mut st = self.state.lock();
        let source_region = st.bucket(name, region)?.region.clone();
        if let Some(l) = &logging {
            let target = st
                .buckets
                .get(&l.target_bucket)
                .ok_or_else(|| S3EngineError::InvalidTargetBucketForLogging(l.target_bucket.clone()))?;
            if target.region != source_region {
                return Err(S3EngineError::CrossLocationLoggingProhibited {
                    source_region: (source_region != "us-east-1").then_some(source_region),
                    target_region: target.region.clone(),
                });
            }
        }
        st.bucket_mut(name, region)?.configs.logging = logging;
        Ok(())
    }

    /// Whether `target` exists and disables ACLs (`BucketOwnerEnforced`),
    /// so it takes no logging target grants.
    pub fn acls_disabled(&self, target: &str) -> bool {
        let st = self.state.lock();
        st.buckets
            .get(target)
            .is_some_and(|b| b.object_ownership.as_deref() == Some(DEFAULT_OBJECT_OWNERSHIP))
    }

    /// PutBucketAccelerateConfiguration: `Enabled` or `Suspended`
    /// (`MalformedXML` otherwise); a bucket whose name has a period cannot
    /// be accelerated (`InvalidRequest`).
    pub fn put_accelerate(&self, name: &str, region: Option<&str>, status: Option<&str>) -> Result<()> {
        let status = match status {
            Some(s @ ("Enabled" | "Suspended")) => s.to_owned(),
            _ => return Err(S3EngineError::MalformedXml),
        };
        if name.contains('.') {
            return Err(S3EngineError::InvalidRequest(
                "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names"
                    .to_owned(),
            ));
        }
        self.configs_mut(name, region, |c| c.accelerate = Some(status))
    }

    /// PutBucketRequestPayment: `BucketOwner` or `Requester`
    /// (`MalformedXML` otherwise).
    pub fn put_payer(&self, name: &str, region: Option<&str>, payer: &str) -> Result<()> {
        if !matches!(payer, "BucketOwner" | "Requester") {
            return Err(S3EngineError::MalformedXml);
        }
        self.configs_mut(name, region, |c| c.payer = payer.to_owned())
    }

    /// PutBucketNotificationConfiguration with no SNS, SQS or Lambda
    /// destination: whether events go to EventBridge.
    pub fn put_event_bridge(&self, name: &str, region: Option<&str>, on: bool) -> Result<()> {
        self.configs_mut(name, region, |c| c.event_bridge = on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(methods: &[&str]) -> CorsRule {
        CorsRule {
            allowed_methods: methods.iter().map(|m| (*m).to_owned()).collect(),
            allowed_origins: vec!["*".to_owned()],
            ..CorsRule::default()
        }
    }

    #[test]
    fn cors_rules_are_checked_as_s3_checks_them() {
        assert!(validate_cors(&[rule(&["GET", "PUT"])]).is_ok());
        assert_eq!(validate_cors(&[]), Err(S3EngineError::MalformedXml));
        assert_eq!(validate_cors(&[rule(&[])]), Err(S3EngineError::MalformedXml));
        assert_eq!(
            validate_cors(&vec![rule(&["GET"]); 101]),
            Err(S3EngineError::MalformedXml)
        );
        let e = validate_cors(&[rule(&["PATCH"])]).unwrap_err();
        assert_eq!(e.code(), "InvalidRequest");
        assert!(e.to_string().ends_with("Unsupported method is PATCH"), "{e}");
    }

    #[test]
    fn website_rules_are_checked_as_s3_checks_them() {
        let index = |s: &str| Website {
            index_suffix: Some(s.to_owned()),
            ..Website::default()
        };
        assert!(validate_website(&index("index.html")).is_ok());
        assert_eq!(
            validate_website(&index("a/b")).unwrap_err().code(),
            "InvalidArgument"
        );
        assert_eq!(
            validate_website(&Website::default()).unwrap_err().code(),
            "InvalidArgument"
        );
        let all = WebsiteRedirect {
            host_name: Some("example.com".to_owned()),
            ..WebsiteRedirect::default()
        };
        let redirect = Website {
            redirect_all: Some(all.clone()),
            ..Website::default()
        };
        assert!(validate_website(&redirect).is_ok());
        let both = Website {
            index_suffix: Some("index.html".to_owned()),
            ..redirect
        };
        assert_eq!(validate_website(&both).unwrap_err().code(), "InvalidArgument");
        let bad_rule = Website {
            routing_rules: Some(vec![RoutingRule {
                condition: Some(RoutingCondition::default()),
                redirect: all,
            }]),
            ..index("index.html")
        };
        assert_eq!(validate_website(&bad_rule).unwrap_err().code(), "InvalidRequest");
    }
}
