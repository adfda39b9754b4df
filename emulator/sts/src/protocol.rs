//! STS's Query protocol: form-encoded requests (`Action=AssumeRole&
//! Version=2011-06-15`, lists as `Tags.member.1.Key`,
//! `PolicyArns.member.1.arn`) decoded into typed inputs, and answers in the
//! XML envelope of the botocore model (`<AssumeRoleResponse>` /
//! `<AssumeRoleResult>` / `<ResponseMetadata>`).

use crate::errors::StsError;
use crate::sessions::{AssumeRole, AssumedRole};
use firedrill_emu_core::accounts::Caller;
use firedrill_emu_core::error::xml_escape;

/// The XML namespace of every STS response.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The API version served.
pub const API_VERSION: &str = "2011-06-15";

/// A decoded form (the query string merged in, as AWS accepts both).
pub use firedrill_emu_core::query::QueryParams as Params;

/// `Name.member.1<suffix>`, `Name.member.2<suffix>`, … up to the first gap.
fn members(p: &Params, name: &str, suffix: &str) -> Vec<String> {
    (1..)
        .map_while(|n| p.string(&format!("{name}.member.{n}{suffix}")))
        .collect()
}

/// The AssumeRole input of a form.
pub fn assume_role(p: &Params) -> Result<AssumeRole, StsError> {
    let duration_seconds = match p.str("DurationSeconds") {
        None => None,
        Some(v) => Some(v.trim().parse::<i64>().map_err(|_| {
            StsError::Validation(format!(
                "1 validation error detected: Value '{v}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
            ))
        })?),
    };
    let tags = (1..)
        .map_while(|n| {
            let key = p.string(&format!("Tags.member.{n}.Key"));
            let value = p.string(&format!("Tags.member.{n}.Value"));
            (key.is_some() || value.is_some()).then(|| (key.unwrap_or_default(), value.unwrap_or_default()))
        })
        .collect();
    Ok(AssumeRole {
        role_arn: p.string("RoleArn"),
        session_name: p.string("RoleSessionName"),
        duration_seconds,
        policy: p.string("Policy"),
        policy_arns: members(p, "PolicyArns", ".arn"),
        tags,
        transitive_tag_keys: members(p, "TransitiveTagKeys", ""),
        external_id: p.string("ExternalId"),
        serial_number: p.string("SerialNumber"),
        token_code: p.string("TokenCode"),
        source_identity: p.string("SourceIdentity"),
    })
}

/// Wraps a result in `<{action}Response>` with the request id.
fn envelope(action: &str, result: &str, request_id: &str) -> String {
    firedrill_emu_core::query::envelope(XMLNS, action, Some(result), request_id)
}

/// GetCallerIdentity's answer for `caller`.
pub fn caller_identity(caller: &Caller, request_id: &str) -> String {
    let result = format!(
        "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
        xml_escape(&caller.arn),
        xml_escape(&caller.user_id),
        xml_escape(&caller.account_id)
    );
    envelope("GetCallerIdentity", &result, request_id)
}

/// GetAccessKeyInfo's answer.
pub fn access_key_info(account_id: &str, request_id: &str) -> String {
    envelope(
        "GetAccessKeyInfo",
        &format!("<Account>{}</Account>", xml_escape(account_id)),
        request_id,
    )
}

/// AssumeRole's answer.
pub fn assumed_role(out: &AssumedRole, request_id: &str) -> String {
    let c = &out.credentials;
    let mut result = String::new();
    if let Some(id) = &out.source_identity {
        result.push_str(&format!("<SourceIdentity>{}</SourceIdentity>", xml_escape(id)));
    }
    result.push_str(&format!(
        "<AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>",
        xml_escape(&c.assumed_role_id()),
        xml_escape(&c.assumed_role_arn())
    ));
    result.push_str(&format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        xml_escape(&c.access_key_id),
        xml_escape(&c.secret_access_key),
        xml_escape(&c.session_token),
        c.expiration.format("%Y-%m-%dT%H:%M:%SZ")
    ));
    if let Some(size) = out.packed_policy_size {
        result.push_str(&format!("<PackedPolicySize>{size}</PackedPolicySize>"));
    }
    envelope("AssumeRole", &result, request_id)
}
