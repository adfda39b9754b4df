//! AssumeRole: a role ARN of any account the emulator serves, checked as
//! AWS checks it, turned into temporary credentials that act in the role's
//! account until their expiration on the emulator clock.
//!
//! No IAM policy is evaluated: there are no roles to create, any role name
//! in a served account can be assumed by any caller, trust policies,
//! session policies (validated and sized, then kept only for
//! `PackedPolicySize`), session tags and external ids constrain nothing.
//! A role of an account the emulator does not serve is refused with
//! `AccessDenied`, as AWS refuses a role the caller may not assume. Roles
//! allow sessions up to 12 hours (`DurationSeconds` 900..=43200); role
//! chaining (an assumed role assuming a role) is limited to one hour, as on
//! AWS.

use crate::errors::StsError;
use crate::validate::{self, Violations};
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::accounts::{Caller, Credentials, TemporaryCredentials, unique_id, valid_account_id};
use firedrill_emu_core::ids::random_hex;

/// The session length when `DurationSeconds` is not given.
pub const DEFAULT_DURATION_SECONDS: i64 = 3600;

/// The longest session a chained role may have.
pub const CHAINED_MAX_SECONDS: i64 = 3600;

/// The plaintext limit of session policies, in characters.
pub const MAX_POLICY_CHARS: usize = 2048;

/// An AssumeRole request, decoded.
#[derive(Debug, Clone, Default)]
pub struct AssumeRole {
    /// `RoleArn`.
    pub role_arn: Option<String>,
    /// `RoleSessionName`.
    pub session_name: Option<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `PolicyArns.member.N.arn`.
    pub policy_arns: Vec<String>,
    /// `Tags.member.N`.
    pub tags: Vec<(String, String)>,
    /// `TransitiveTagKeys.member.N`.
    pub transitive_tag_keys: Vec<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `TokenCode`.
    pub token_code: Option<String>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
}

/// What AssumeRole answers.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    /// The new credentials.
    pub credentials: TemporaryCredentials,
    /// `PackedPolicySize`, when a session policy or policy ARNs were given.
    pub packed_policy_size: Option<u32>,
    /// `SourceIdentity`, echoed.
    pub source_identity: Option<String>,
}

/// A role ARN split: account, name.
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    let valid_name = (1..=64).contains(&name.len()) && name.chars().all(validate::session_name_char);
    let valid_path = path_and_name
        .split('/')
        .all(|segment| !segment.is_empty() && segment.chars().all(|c| c.is_ascii_graphic()));
    (valid_account_id(account) && valid_name && valid_path).then_some((account, name))
}

/// Checks every constraint of `req` before anything is issued.
fn check(req: &AssumeRole) -> Result<(), StsError> {
    let mut v = Violations::default();
    match &req.role_arn {
        None => v.null("roleArn"),
        Some(arn) => {
            v.length("roleArn", arn, 20, Some(2048));
            v.pattern("roleArn", arn, "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+", validate::text_char);
        }
    }
    match &req.session_name {
        None => v.null("roleSessionName"),
        Some(name) => {
            v.length("roleSessionName", name, 2, Some(64));
            v.pattern(
                "roleSessionName",
                name,
                "[\\w+=,.@-]*",
                validate::session_name_char,
            );
        }
    }
    if let Some(d) = req.duration_seconds {
        v.range("durationSeconds", d, 900, 43200);
    }
    if let Some(policy) = &req.policy {
        v.length("policy", policy, 1, None);
        v.pattern("policy", policy, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", |c| {
            matches!(c, '\t' | '\n' | '\r') || ('\u{20}'..='\u{FF}').contains(&c)
        });
    }
    for arn in &req.policy_arns {
        v.length("policyArns.member.arn", arn, 20, Some(2048));
    }
    v.count("tags", req.tags.len(), 50);
    for (key, value) in &req.tags {
        v.length("tags.member.key", key, 1, Some(128));
        v.pattern(
            "tags.member.key",
            key,
            "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            validate::tag_char,
        );
        v.length("tags.member.value", value, 0, Some(256));
        v.pattern(
            "tags.member.value",
            value,
            "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            validate::tag_char,
        );
    }
    v.count("transitiveTagKeys", req.transitive_tag_keys.len(), 50);
    if let Some(id) = &req.external_id {
        v.length("externalId", id, 2, Some(1224));
        v.pattern("externalId", id, "[\\w+=,.@:\\/-]*", validate::external_id_char);
    }
    if let Some(serial) = &req.serial_number {
        v.length("serialNumber", serial, 9, Some(256));
        v.pattern(
            "serialNumber",
            serial,
            "[\\w+=/:,.@-]*",
            validate::serial_number_char,
        );
    }
    if let Some(code) = &req.token_code {
        v.length("tokenCode", code, 6, Some(6));
        v.pattern("tokenCode", code, "[\\d]*", |c| c.is_ascii_digit());
    }
    if let Some(id) = &req.source_identity {
        v.length("sourceIdentity", id, 2, Some(64));
        v.pattern("sourceIdentity", id, "[\\w+=,.@-]*", validate::session_name_char);
    }
    v.finish()
}

/// The share of the packed-policy limit a session policy and policy ARNs
/// take, in percent, refusing more than the limit.
fn packed_policy_size(req: &AssumeRole) -> Result<Option<u32>, StsError> {
    if req.policy.is_none() && req.policy_arns.is_empty() {
        return Ok(None);
    }
    if req.policy_arns.len() > 10 {
        return Err(StsError::Validation(
            "The number of policy ARNs must not exceed 10.".to_owned(),
        ));
    }
    let chars = req.policy.as_deref().map_or(0, |p| p.chars().count())
        + req.policy_arns.iter().map(|a| a.chars().count()).sum::<usize>();
    let percent = chars.saturating_mul(100).div_ceil(MAX_POLICY_CHARS);
    if chars > MAX_POLICY_CHARS {
        return Err(StsError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {percent}% of allotted space, please use smaller policy for this session."
        )));
    }
    Ok(Some(u32::try_from(percent).unwrap_or(u32::MAX)))
}

/// Assumes `req`'s role for `caller` at `now`, remembering the new
/// credentials in `credentials`. Nothing is issued unless every check
/// passes.
pub fn assume_role(
    req: &AssumeRole,
    caller: &Caller,
    credentials: &Credentials,
    now: DateTime<Utc>,
) -> Result<AssumedRole, StsError> {
    if caller.access_key_id.is_none() {
        return Err(StsError::MissingAuthenticationToken);
    }
    check(req)?;
    let role_arn = req.role_arn.as_deref().unwrap_or_default();
    let session_name = req.session_name.as_deref().unwrap_or_default();
    let Some((account, role_name)) = parse_role_arn(role_arn) else {
        return Err(StsError::Validation(format!("{role_arn} is invalid")));
    };
    if let Some(policy) = &req.policy
        && !is_json_object(policy)
    {
        return Err(StsError::MalformedPolicyDocument(
            "The policy is not in the valid JSON format.".to_owned(),
        ));
    }
    let packed = packed_policy_size(req)?;
    if req.serial_number.is_some() || req.token_code.is_some() {
        return Err(StsError::AccessDenied(
            "MultiFactorAuthentication failed, unable to validate MFA code.".to_owned(),
        ));
    }
    let duration = req.duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS);
    if caller.session.is_some() && duration > CHAINED_MAX_SECONDS {
        return Err(StsError::Validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                .to_owned(),
        ));
    }
    if !credentials.serves_account(account) {
        return Err(StsError::AccessDenied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.arn
        )));
    }
    let issued = TemporaryCredentials {
        access_key_id: format!("ASIA{}", random_hex(16).to_ascii_uppercase()),
        secret_access_key: random_hex(40),
        session_token: format!("FwoGZXIvYXdzE{}", random_hex(320)),
        expiration: now + Duration::seconds(duration),
        account_id: account.to_owned(),
        role_arn: role_arn.to_owned(),
        role_name: role_name.to_owned(),
        session_name: session_name.to_owned(),
        role_id: unique_id("AROA", role_arn),
    };
    credentials.issue(issued.clone());
    tracing::debug!(role = role_arn, session = session_name, caller = %caller.arn, "role assumed");
    Ok(AssumedRole {
        credentials: issued,
        packed_policy_size: packed,
        source_identity: req.source_identity.clone(),
    })
}

/// Whether `text` is a JSON object, as a policy document must be.
fn is_json_object(text: &str) -> bool {
    matches!(
        serde_json::from_str::<serde_json::Value>(text),
        Ok(serde_json::Value::Object(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(arn: &str) -> AssumeRole {
        AssumeRole {
            role_arn: Some(arn.to_owned()),
            session_name: Some("drill".to_owned()),
            ..AssumeRole::default()
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-03-14T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn roles_of_served_accounts_are_assumed_and_others_refused() {
        let creds = Credentials::new("000000000000", &[]);
        let caller = Caller::user("000000000000", "AKIAFIREDRILLTEST", "AKIAFIREDRILLTEST");
        let out = assume_role(
            &request("arn:aws:iam::000000000000:role/ops/restore"),
            &caller,
            &creds,
            now(),
        )
        .unwrap();
        let c = &out.credentials;
        assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id.len() == 20);
        assert_eq!(c.expiration, now() + Duration::hours(1));
        assert_eq!(
            c.assumed_role_arn(),
            "arn:aws:sts::000000000000:assumed-role/restore/drill"
        );
        assert_eq!(creds.temporary(&c.access_key_id).as_ref(), Some(c));
        let refused = assume_role(
            &request("arn:aws:iam::999999999999:role/restore"),
            &caller,
            &creds,
            now(),
        );
        assert!(matches!(refused, Err(StsError::AccessDenied(m)) if m.contains("sts:AssumeRole")));
        for bad in [
            "arn:aws:iam::000000000000:user/someone",
            "arn:aws:s3:::some-bucket-name",
            "arn:aws:iam::0000:role/x12345",
        ] {
            assert!(matches!(
                assume_role(&request(bad), &caller, &creds, now()),
                Err(StsError::Validation(m)) if m == format!("{bad} is invalid")
            ));
        }
    }

    #[test]
    fn constraints_are_checked_before_anything_is_issued() {
        let creds = Credentials::new("000000000000", &[]);
        let caller = Caller::user("000000000000", "AKIAFIREDRILLTEST", "AKIAFIREDRILLTEST");
        let mut req = request("arn:aws:iam::000000000000:role/restore");
        req.duration_seconds = Some(43201);
        req.session_name = Some("a b".into());
        let Err(StsError::Validation(m)) = assume_role(&req, &caller, &creds, now()) else {
            panic!("accepted");
        };
        assert!(m.starts_with("2 validation errors detected"), "{m}");
        let mut req = request("arn:aws:iam::000000000000:role/restore");
        req.policy = Some("not json".into());
        assert!(matches!(
            assume_role(&req, &caller, &creds, now()),
            Err(StsError::MalformedPolicyDocument(_))
        ));
        req.policy = Some(format!(
            "{{\"Version\":\"2012-10-17\",\"Sid\":\"{}\"}}",
            "x".repeat(2100)
        ));
        assert!(matches!(
            assume_role(&req, &caller, &creds, now()),
            Err(StsError::PackedPolicyTooLarge(_))
        ));
        req.policy = Some("{\"Version\":\"2012-10-17\",\"Statement\":[]}".into());
        assert!(
            assume_role(&req, &caller, &creds, now())
                .unwrap()
                .packed_policy_size
                .is_some()
        );
    }

    #[test]
    fn a_chained_role_session_lasts_at_most_an_hour() {
        let creds = Credentials::new("000000000000", &[]);
        let user = Caller::user("000000000000", "AKIAFIREDRILLTEST", "AKIAFIREDRILLTEST");
        let mut req = request("arn:aws:iam::000000000000:role/restore");
        req.duration_seconds = Some(43200);
        let first = assume_role(&req, &user, &creds, now()).unwrap();
        assert_eq!(first.credentials.expiration, now() + Duration::hours(12));
        let chained = Caller::assumed(first.credentials);
        assert!(
            matches!(assume_role(&req, &chained, &creds, now()), Err(StsError::Validation(m)) if m.contains("role chaining"))
        );
        req.duration_seconds = Some(3600);
        assert!(assume_role(&req, &chained, &creds, now()).is_ok());
    }
}
