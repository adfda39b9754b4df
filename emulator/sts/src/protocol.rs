//! STS's Query protocol: form-encoded requests (`Action=AssumeRole&
//! Version=2011-06-15`, lists as `Tags.member.1.Key`,
//! `PolicyArns.member.1.arn`) decoded into typed inputs, and answers in the
//! XML envelope of the botocore model (`<AssumeRoleResponse>` /
//! `<AssumeRoleResult>` / `<ResponseMetadata>`).

use crate::errors::StsError;
use crate::sessions::{AssumeRole, AssumedRole};
use firedrill_emu_core::accounts::Caller;
use firedrill_emu_core::error::xml_escape;
use std::collections::HashMap;

/// The XML namespace of every STS response.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The API version served.
pub const API_VERSION: &str = "2011-06-15";

/// A decoded form (the query string merged in, as AWS accepts both).
#[derive(Debug, Default)]
pub struct Params {
    map: HashMap<String, String>,
}

impl Params {
    /// Decodes `application/x-www-form-urlencoded` bytes and the query.
    pub fn decode(body: &[u8], query: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for source in [query.map(str::as_bytes).unwrap_or_default(), body] {
            for (k, v) in form_urlencoded::parse(source) {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        Self { map }
    }

    /// A parameter's value.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_owned)
    }

    fn members(&self, name: &str, suffix: &str) -> Vec<String> {
        (1..)
            .map_while(|n| self.string(&format!("{name}.member.{n}{suffix}")))
            .collect()
    }

    /// The AssumeRole input.
    pub fn assume_role(&self) -> Result<AssumeRole, StsError> {
        let duration_seconds = match self.str("DurationSeconds") {
            None => None,
            Some(v) => Some(v.trim().parse::<i64>().map_err(|_| {
                StsError::Validation(format!(
                    "1 validation error detected: Value '{v}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
                ))
            })?),
        };
        let tags = (1..)
            .map_while(|n| {
                let key = self.string(&format!("Tags.member.{n}.Key"));
                let value = self.string(&format!("Tags.member.{n}.Value"));
                (key.is_some() || value.is_some())
                    .then(|| (key.unwrap_or_default(), value.unwrap_or_default()))
            })
            .collect();
        Ok(AssumeRole {
            role_arn: self.string("RoleArn"),
            session_name: self.string("RoleSessionName"),
            duration_seconds,
            policy: self.string("Policy"),
            policy_arns: self.members("PolicyArns", ".arn"),
            tags,
            transitive_tag_keys: self.members("TransitiveTagKeys", ""),
            external_id: self.string("ExternalId"),
            serial_number: self.string("SerialNumber"),
            token_code: self.string("TokenCode"),
            source_identity: self.string("SourceIdentity"),
        })
    }
}

/// Wraps a result in `<{action}Response>` with the request id.
fn envelope(action: &str, result: &str, request_id: &str) -> String {
    format!(
        "<{action}Response xmlns=\"{XMLNS}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        xml_escape(request_id)
    )
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
