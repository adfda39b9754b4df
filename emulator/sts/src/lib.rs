//! STS (AWS Security Token Service) for the firedrill emulator, on the
//! Query protocol (`Action=…&Version=2011-06-15`, XML answers).
//!
//! Served:
//! - `GetCallerIdentity`: the caller's `Account`, `Arn` and `UserId`. A
//!   long-term key mapped to an account (`--accounts
//!   prod=111111111111:AKIAPROD…`) is IAM user `arn:aws:iam::<account>:user/<name>`;
//!   an unmapped key is `user/<key>` of the default account; temporary
//!   credentials are `arn:aws:sts::<account>:assumed-role/<role>/<session>`
//!   with user id `AROA…:<session>`.
//! - `GetAccessKeyInfo`: the account an access key id acts in.
//! - `AssumeRole` into `arn:aws:iam::<account>:role/<path><name>` of any
//!   account the emulator serves ([`sessions`]): temporary credentials
//!   (`ASIA…` key id, secret, session token, `Expiration` after
//!   `DurationSeconds`, 900 to 43200, default 3600, on the emulator clock)
//!   that every service of the emulator accepts and maps to the role's
//!   account. A request with them must carry the session token; past the
//!   expiration it is refused with the protocol's expired-token error (the
//!   core's `accounts` module), and in strict SigV4 mode its signature is
//!   verified with the temporary secret.
//!
//! No IAM policy is evaluated (there is no IAM: any role name of a served
//! account can be assumed; trust, session and permission policies constrain
//! nothing). Every request constraint of the botocore model is checked
//! before anything is issued and refused with `ValidationError`,
//! `MalformedPolicyDocument` or `PackedPolicyTooLarge`; a role in an account
//! the emulator does not serve, and MFA parameters (firedrill has no MFA
//! devices), are refused with `AccessDenied`. Every other STS action
//! (`GetSessionToken`, `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`,
//! `GetFederationToken`, `DecodeAuthorizationMessage`, …) is answered
//! `InvalidAction`.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod errors;
pub mod protocol;
pub mod sessions;
pub mod validate;

use errors::StsError;
use firedrill_emu_core::audit::AuditEvent;
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, Environment, RequestContext};
use std::sync::Arc;

/// The largest form STS reads (its largest request, AssumeRole with a
/// session policy and fifty tags, is a few kilobytes).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The STS service of one account (every account's answers the same: the
/// credentials it reads and issues are the emulator's).
#[derive(Debug)]
pub struct Sts {
    env: Environment,
}

impl Sts {
    /// STS over `env`.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self { env: env.clone() })
    }

    fn answer(
        &self,
        ctx: &RequestContext,
        action: &str,
        params: &protocol::Params,
    ) -> Result<String, StsError> {
        match action {
            "GetCallerIdentity" => Ok(protocol::caller_identity(&ctx.caller, &ctx.request_id)),
            "GetAccessKeyInfo" => {
                let key = params.str("AccessKeyId");
                let mut v = validate::Violations::default();
                match key {
                    None => v.null("accessKeyId"),
                    Some(key) => {
                        v.length("accessKeyId", key, 16, Some(128));
                        v.pattern("accessKeyId", key, "[\\w]*", validate::word);
                    }
                }
                v.finish()?;
                let account = self.env.credentials.account_of(key.unwrap_or_default());
                Ok(protocol::access_key_info(&account, &ctx.request_id))
            }
            "AssumeRole" => {
                let req = protocol::assume_role(params)?;
                let result = sessions::assume_role(&req, &ctx.caller, &self.env.credentials, self.env.now());
                self.env.audit.record(AuditEvent {
                    event_time: self.env.now(),
                    event_source: "sts".to_owned(),
                    event_name: "AssumeRole".to_owned(),
                    region: ctx.region.clone(),
                    principal: ctx.principal(),
                    resource: req.role_arn.clone().unwrap_or_default(),
                    result: result
                        .as_ref()
                        .map_or_else(|e| e.code().to_owned(), |_| "Success".to_owned()),
                });
                Ok(protocol::assumed_role(&result?, &ctx.request_id))
            }
            other => Err(StsError::InvalidAction(format!(
                "Could not find operation {other} for version {}",
                protocol::API_VERSION
            ))),
        }
    }
}

impl AwsService for Sts {
    fn signing_names(&self) -> &'static [&'static str] {
        &["sts"]
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(async move {
            let query = req.uri().query().map(str::to_owned);
            let body = match firedrill_emu_core::body::collect(req.into_body(), MAX_FORM_BYTES).await {
                Ok(b) => b,
                Err(e) => return StsError::Internal(e.to_string()).into_response(&ctx.request_id),
            };
            let params = protocol::Params::decode(&body, query.as_deref());
            let Some(action) = params.str("Action").map(str::to_owned) else {
                return StsError::MissingAction.into_response(&ctx.request_id);
            };
            if let Some(v) = params.str("Version")
                && v != protocol::API_VERSION
            {
                return StsError::InvalidAction(format!("Could not find operation {action} for version {v}"))
                    .into_response(&ctx.request_id);
            }
            match self.answer(&ctx, &action, &params) {
                Ok(xml) => firedrill_emu_core::query::xml_response(xml, &ctx.request_id),
                Err(e) => e.into_response(&ctx.request_id),
            }
        })
    }
}
