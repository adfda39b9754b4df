//! Key policies: stored as given, with the default AWS writes when a key
//! is created without one.
//!
//! The only policy name is `default`; another answers `NotFoundException`.
//! A policy must be a JSON object with a `Statement`
//! (`MalformedPolicyDocumentException` otherwise). Policies are stored and
//! returned, not evaluated: this emulator has no IAM engine, so the
//! lockout safety check (`BypassPolicyLockoutSafetyCheck`) has nothing to
//! check.

use super::{Aliases, Engine, Scope};
use crate::errors::{KmsError, Result};

/// The only key policy name.
pub const POLICY_NAME: &str = "default";

/// The key policy AWS gives a key created without one, in AWS's own layout.
pub fn default_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// Refuses a policy that is not a JSON policy document.
pub fn check(policy: &str) -> Result<()> {
    let doc: serde_json::Value = serde_json::from_str(policy)
        .map_err(|_| KmsError::MalformedPolicyDocument("The policy is not valid JSON.".to_owned()))?;
    let has_statement = doc
        .get("Statement")
        .is_some_and(|s| s.is_array() || s.is_object());
    if !has_statement {
        return Err(KmsError::MalformedPolicyDocument(
            "The policy has no Statement.".to_owned(),
        ));
    }
    Ok(())
}

fn check_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(_) => Err(KmsError::NotFound("Policy not found".to_owned())),
    }
}

impl Engine {
    /// `GetKeyPolicy`, in any key state.
    pub fn get_key_policy(&self, scope: Scope<'_>, key: &str, name: Option<&str>) -> Result<String> {
        self.with_region(scope, |r| {
            let k = r.key(scope, key, Aliases::Refused)?;
            check_name(name)?;
            Ok(k.policy.clone())
        })
    }

    /// `PutKeyPolicy`, in any key state.
    pub fn put_key_policy(
        &self,
        scope: Scope<'_>,
        key: &str,
        name: Option<&str>,
        policy: &str,
    ) -> Result<()> {
        self.with_region(scope, |r| {
            let k = r.key_mut(scope, key, Aliases::Refused)?;
            check_name(name)?;
            check(policy)?;
            k.policy = policy.to_owned();
            Ok(())
        })
    }
}
