//! Backup vault access policies: `PutBackupVaultAccessPolicy`,
//! `GetBackupVaultAccessPolicy`, `DeleteBackupVaultAccessPolicy`, and the
//! one part of a policy firedrill evaluates: its `Deny` statements.
//!
//! A policy is stored as the client sent it (Get returns the same text)
//! after it is checked as a resource policy: a JSON object whose
//! `Statement` (one object or a non-empty list) has, in each statement, an
//! `Effect` of `Allow` or `Deny`, an `Action` or `NotAction`, a `Principal`
//! or `NotPrincipal`, and `Resource`/`NotResource`/`Condition` of the right
//! JSON types; anything else is `InvalidParameterValueException`.
//!
//! There is no IAM engine. What is evaluated, on `DeleteRecoveryPoint`,
//! `UpdateRecoveryPointLifecycle` and `DeleteBackupVault` (as
//! `backup:<Operation>`, on the recovery point's or the vault's ARN), is
//! whether some `Deny` statement matches the call; if one does, the call is
//! refused with `AccessDeniedException` (HTTP 403) before anything changes.
//! A statement matches when:
//!
//! - its `Action` has a pattern matching the action (`*` wildcards, case
//!   insensitive), or its `NotAction` has none;
//! - its `Principal` is `"*"`, `{"AWS": "*"}`, or names the caller's ARN,
//!   account id or `arn:aws:iam::<account>:root` (a `NotPrincipal` is the
//!   converse);
//! - its `Resource` (absent: any) has a pattern matching the ARN, or its
//!   `NotResource` has none;
//! - every `Condition` holds. The operators `StringEquals`,
//!   `StringNotEquals`, `StringLike`, `StringNotLike`, `ArnEquals`,
//!   `ArnNotEquals`, `ArnLike` and `ArnNotLike` are evaluated on the keys
//!   `aws:PrincipalArn` and `aws:PrincipalAccount`; a statement with any
//!   other operator or key does not match (it is never applied).
//!
//! `Allow` statements grant one thing: a copy into the vault from another
//! account of the emulator (AWS Backup's cross-account copy, see
//! [`crate::engine::cross_account`]) goes on only when an `Allow` statement
//! matches `backup:CopyIntoBackupVault` by the source account (its root,
//! its id, or the copy job's role ARN) on the vault's ARN and no `Deny`
//! does. Anything else a caller of the vault's own account does needs no
//! `Allow`, since the emulator has no identity policies to grant it; and
//! as on AWS, another account reaches the vault only through that copy.
//! Conditions on AWS Organizations keys (`aws:PrincipalOrgID`,
//! `aws:PrincipalOrgPaths`) never hold: there are no organizations here,
//! and none are needed for a cross-account copy, so grant the source
//! account by id instead.

use crate::engine::Engine;
use crate::error::{BackupError, BackupResult};
use crate::selection::glob_match;
use serde_json::Value;

/// A vault's access policy: the client's text and its statements.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessPolicy {
    /// The policy as the client sent it.
    pub text: String,
    statements: Vec<Value>,
}

/// Who is calling, for matching `Principal` and conditions.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The caller's ARN (`arn:aws:iam::<account>:user/<key>`).
    pub arn: &'a str,
    /// The caller's account id.
    pub account: &'a str,
}

fn bad(message: impl std::fmt::Display) -> BackupError {
    BackupError::invalid(format!("Invalid backup vault access policy: {message}"))
}

/// A string or a list of strings, as policy elements are written.
fn strings(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

fn check_statement(i: usize, s: &Value) -> BackupResult<()> {
    let s = s
        .as_object()
        .ok_or_else(|| bad(format!("statement {i} is not an object")))?;
    match s.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => return Err(bad(format!("statement {i} needs an Effect of Allow or Deny"))),
    }
    let one_of = |a: &str, b: &str| -> BackupResult<()> {
        match (s.get(a), s.get(b)) {
            (Some(_), Some(_)) => Err(bad(format!("statement {i} has both {a} and {b}"))),
            (None, None) => Err(bad(format!("statement {i} needs {a} or {b}"))),
            _ => Ok(()),
        }
    };
    one_of("Action", "NotAction")?;
    one_of("Principal", "NotPrincipal")?;
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = s.get(key) {
            let list = strings(v).ok_or_else(|| {
                bad(format!(
                    "statement {i}: {key} must be a string or a list of strings"
                ))
            })?;
            if list.is_empty() {
                return Err(bad(format!("statement {i}: {key} is empty")));
            }
            if key.ends_with("Action")
                && let Some(a) = list.iter().find(|a| **a != "*" && !a.contains(':'))
            {
                return Err(bad(format!("statement {i}: action {a:?} is not service:action")));
            }
        }
    }
    if s.get("Resource").is_some() && s.get("NotResource").is_some() {
        return Err(bad(format!("statement {i} has both Resource and NotResource")));
    }
    for key in ["Principal", "NotPrincipal"] {
        match s.get(key) {
            None => {}
            Some(Value::String(p)) if p == "*" => {}
            Some(Value::Object(m)) if !m.is_empty() && m.values().all(|v| strings(v).is_some()) => {}
            Some(_) => {
                return Err(bad(format!(
                    "statement {i}: {key} must be \"*\" or an object such as {{\"AWS\": [...]}}"
                )));
            }
        }
    }
    if let Some(c) = s.get("Condition") {
        let ok = c.as_object().is_some_and(|ops| {
            ops.values().all(|keys| {
                keys.as_object()
                    .is_some_and(|k| k.values().all(|v| strings(v).is_some()))
            })
        });
        if !ok {
            return Err(bad(format!(
                "statement {i}: Condition must map operators to {{key: value or values}}"
            )));
        }
    }
    Ok(())
}

impl AccessPolicy {
    /// Parses and checks `text` as a resource policy.
    pub fn parse(text: &str) -> BackupResult<Self> {
        let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let doc = doc
            .as_object()
            .ok_or_else(|| bad("the policy is not a JSON object"))?;
        if let Some(v) = doc.get("Version")
            && !matches!(v.as_str(), Some("2012-10-17" | "2008-10-17"))
        {
            return Err(bad("Version must be 2012-10-17 or 2008-10-17"));
        }
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => list.clone(),
            Some(s @ Value::Object(_)) => vec![s.clone()],
            _ => return Err(bad("Statement must be an object or a non-empty list")),
        };
        for (i, s) in statements.iter().enumerate() {
            check_statement(i, s)?;
        }
        Ok(Self {
            text: text.to_owned(),
            statements,
        })
    }

    /// Whether a `Deny` statement matches `action` by `caller` on `resource`.
    pub fn denies(&self, action: &str, caller: Caller<'_>, resource: &str) -> bool {
        self.has_matching("Deny", action, caller, resource)
    }

    /// Whether the policy lets `caller` do `action` on `resource`: an
    /// `Allow` statement matches and no `Deny` does. This is what a
    /// cross-account copy into the vault needs for
    /// `backup:CopyIntoBackupVault`.
    pub fn allows(&self, action: &str, caller: Caller<'_>, resource: &str) -> bool {
        self.has_matching("Allow", action, caller, resource) && !self.denies(action, caller, resource)
    }

    fn has_matching(&self, effect: &str, action: &str, caller: Caller<'_>, resource: &str) -> bool {
        self.statements.iter().any(|s| {
            s.get("Effect").and_then(Value::as_str) == Some(effect)
                && element_matches(s, "Action", "NotAction", |p| {
                    glob_match(&p.to_ascii_lowercase(), &action.to_ascii_lowercase())
                })
                && principal_matches(s, caller)
                && (s.get("Resource").is_none() && s.get("NotResource").is_none()
                    || element_matches(s, "Resource", "NotResource", |p| glob_match(p, resource)))
                && conditions_hold(s.get("Condition"), caller)
        })
    }
}

/// Whether the `key` list has a matching pattern, or the `not_key` list has none.
fn element_matches(s: &Value, key: &str, not_key: &str, matches: impl Fn(&str) -> bool) -> bool {
    if let Some(list) = s.get(key).and_then(strings) {
        return list.iter().any(|p| matches(p));
    }
    if let Some(list) = s.get(not_key).and_then(strings) {
        return !list.iter().any(|p| matches(p));
    }
    false
}

fn names_caller(p: &Value, caller: Caller<'_>) -> bool {
    match p {
        Value::String(s) => s == "*",
        Value::Object(m) => m.get("AWS").and_then(strings).is_some_and(|list| {
            list.iter().any(|who| {
                *who == "*"
                    || *who == caller.arn
                    || *who == caller.account
                    || *who == format!("arn:aws:iam::{}:root", caller.account)
            })
        }),
        _ => false,
    }
}

fn principal_matches(s: &Value, caller: Caller<'_>) -> bool {
    match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(p), _) => names_caller(p, caller),
        (None, Some(p)) => !names_caller(p, caller),
        (None, None) => false,
    }
}

fn conditions_hold(condition: Option<&Value>, caller: Caller<'_>) -> bool {
    let Some(ops) = condition.and_then(Value::as_object) else {
        return true;
    };
    ops.iter().all(|(op, keys)| {
        keys.as_object().is_some_and(|keys| {
            keys.iter().all(|(key, values)| {
                let actual = match key.to_ascii_lowercase().as_str() {
                    "aws:principalarn" => caller.arn,
                    "aws:principalaccount" => caller.account,
                    _ => return false,
                };
                let values = strings(values).unwrap_or_default();
                let equal = values.contains(&actual);
                let like = values.iter().any(|v| glob_match(v, actual));
                match op.as_str() {
                    "StringEquals" | "ArnEquals" => equal,
                    "StringNotEquals" | "ArnNotEquals" => !equal,
                    "StringLike" | "ArnLike" => like,
                    "StringNotLike" | "ArnNotLike" => !like,
                    _ => false,
                }
            })
        })
    })
}

impl Engine {
    /// `PutBackupVaultAccessPolicy`: checks and stores the policy.
    pub fn put_vault_access_policy(
        &self,
        principal: &str,
        region: &str,
        vault: &str,
        policy: Option<&str>,
    ) -> BackupResult<()> {
        let result = policy
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| BackupError::missing("Policy"))
            .and_then(AccessPolicy::parse)
            .and_then(|parsed| {
                self.with_vault(region, vault, |v| {
                    v.access_policy = Some(parsed);
                    Ok(())
                })
            });
        self.audit_vault(principal, "PutBackupVaultAccessPolicy", region, vault, &result);
        result
    }

    /// `GetBackupVaultAccessPolicy`: the vault's ARN and policy text.
    pub fn get_vault_access_policy(&self, region: &str, vault: &str) -> BackupResult<(String, String)> {
        self.with_vault(region, vault, |v| {
            let policy = v.access_policy.as_ref().ok_or_else(|| {
                BackupError::not_found(format!("Backup vault {vault} has no access policy"))
            })?;
            Ok((v.arn.clone(), policy.text.clone()))
        })
    }

    /// `DeleteBackupVaultAccessPolicy`: a vault without one is left as it is.
    pub fn delete_vault_access_policy(&self, principal: &str, region: &str, vault: &str) -> BackupResult<()> {
        let result = self.with_vault(region, vault, |v| {
            v.access_policy = None;
            Ok(())
        });
        self.audit_vault(principal, "DeleteBackupVaultAccessPolicy", region, vault, &result);
        result
    }
}

/// Refuses `action` by `principal` on `resource` when `vault`'s access
/// policy denies it.
pub fn check(
    vault: &crate::model::Vault,
    principal: &str,
    account: &str,
    action: &str,
    resource: &str,
) -> BackupResult<()> {
    let caller = Caller {
        arn: principal,
        account: principal_account(principal).unwrap_or(account),
    };
    match &vault.access_policy {
        Some(p) if p.denies(action, caller, resource) => Err(access_denied(principal, action, resource)),
        _ => Ok(()),
    }
}

/// The account id in an IAM principal ARN.
fn principal_account(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:aws:iam::")?.split(':').next()
}

/// The refusal of a call a vault's access policy denies, in IAM's words.
pub fn access_denied(principal: &str, action: &str, resource: &str) -> BackupError {
    BackupError::AccessDenied(format!(
        "User: {principal} is not authorized to perform: {action} on resource: {resource} with an explicit deny in a resource-based policy"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: Caller<'static> = Caller {
        arn: "arn:aws:iam::000000000000:user/AKIDATTACKER",
        account: "000000000000",
    };

    #[test]
    fn deny_delete_matches_by_action_principal_and_resource() {
        let p = AccessPolicy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["backup:DeleteRecoveryPoint","backup:UpdateRecoveryPointLifecycle"],"Resource":"*"}]}"#,
        )
        .unwrap();
        assert!(p.denies(
            "backup:DeleteRecoveryPoint",
            CALLER,
            "arn:aws:backup:us-east-1:000000000000:recovery-point:X"
        ));
        assert!(
            p.denies("backup:deleterecoverypoint", CALLER, "x"),
            "actions are case insensitive"
        );
        assert!(!p.denies("backup:DeleteBackupVault", CALLER, "x"));
    }

    #[test]
    fn conditions_and_not_elements() {
        let p = AccessPolicy::parse(
            r#"{"Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"backup:Delete*","Resource":"arn:aws:backup:*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}}}"#,
        )
        .unwrap();
        assert!(p.denies(
            "backup:DeleteRecoveryPoint",
            CALLER,
            "arn:aws:backup:us-east-1:0:recovery-point:X"
        ));
        let admin = Caller {
            arn: "arn:aws:iam::000000000000:role/BreakGlass",
            account: "000000000000",
        };
        assert!(!p.denies(
            "backup:DeleteRecoveryPoint",
            admin,
            "arn:aws:backup:us-east-1:0:recovery-point:X"
        ));
        assert!(!p.denies(
            "backup:DeleteRecoveryPoint",
            CALLER,
            "arn:aws:rds:us-east-1:0:snapshot:x"
        ));
        let unknown_key = AccessPolicy::parse(
            r#"{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"backup:Describe*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#,
        )
        .unwrap();
        assert!(!unknown_key.denies("backup:DeleteRecoveryPoint", CALLER, "x"));
        let other_account = AccessPolicy::parse(
            r#"{"Statement":{"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"*"}}"#,
        )
        .unwrap();
        assert!(!other_account.denies("backup:DeleteRecoveryPoint", CALLER, "x"));
        let allow = AccessPolicy::parse(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}"#)
            .unwrap();
        assert!(!allow.denies("backup:DeleteRecoveryPoint", CALLER, "x"));
    }

    #[test]
    fn a_copy_from_another_account_needs_an_allow_and_no_deny() {
        let source = Caller {
            arn: "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole",
            account: "111111111111",
        };
        let vault = "arn:aws:backup:us-east-1:222222222222:backup-vault:copies";
        let allow = |principal: &str| {
            AccessPolicy::parse(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"backup:CopyIntoBackupVault","Resource":"*"}}]}}"#
            ))
            .unwrap()
        };
        for granted in ["arn:aws:iam::111111111111:root", "111111111111", source.arn, "*"] {
            assert!(allow(granted).allows(COPY, source, vault), "{granted}");
        }
        assert!(!allow("arn:aws:iam::333333333333:root").allows(COPY, source, vault));
        assert!(
            !allow("111111111111").allows("backup:DeleteRecoveryPoint", source, vault),
            "the grant is for the one action"
        );
        let denied_too = AccessPolicy::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:CopyIntoBackupVault"},{"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"backup:CopyIntoBackupVault"}]}"#,
        )
        .unwrap();
        assert!(!denied_too.allows(COPY, source, vault));
        let by_organization = AccessPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"backup:CopyIntoBackupVault","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-xxxxxxxx11"]}}}}"#,
        )
        .unwrap();
        assert!(
            !by_organization.allows(COPY, source, vault),
            "there are no organizations to match"
        );
    }

    const COPY: &str = "backup:CopyIntoBackupVault";

    #[test]
    fn malformed_policies_are_refused() {
        for bad in [
            "not json",
            "[]",
            r#"{"Statement":[]}"#,
            r#"{"Version":"2020-01-01","Statement":{"Effect":"Deny","Principal":"*","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Maybe","Principal":"*","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Deny","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Deny","Principal":"*"}}"#,
            r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"DeleteRecoveryPoint"}}"#,
            r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":7}}"#,
            r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Condition":"x"}}"#,
        ] {
            let err = AccessPolicy::parse(bad).unwrap_err();
            assert_eq!(err.code(), "InvalidParameterValueException", "{bad}");
        }
    }
}
