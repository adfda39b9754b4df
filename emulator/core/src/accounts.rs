//! Accounts and the credentials that map to them.
//!
//! One emulator serves several AWS accounts. The default account
//! ([`EmulatorConfig::account_id`](crate::config::EmulatorConfig)) owns
//! every request signed with a key the emulator does not know, so a single
//! account works as before with any credentials. [`AccountConfig`] maps one
//! long-term access key id to another account
//! (`--accounts prod=111111111111:AKIAPROD,backup=222222222222:AKIABACKUP`);
//! [`Credentials`] holds the temporary credentials STS's AssumeRole issues
//! (`ASIA…` key, secret, session token, expiration on the emulator clock),
//! which act in the assumed role's account.
//!
//! [`Credentials::identify`] turns the signing key of a request into its
//! [`Caller`]: the account whose services answer it and the ARN STS's
//! GetCallerIdentity reports. A temporary key must come with its session
//! token (`X-Amz-Security-Token`, header or presigned query) and be used
//! before its expiration; otherwise the request is refused with the
//! protocol's invalid-token or expired-token error ([`CredentialError`]).
//! No IAM policy is evaluated anywhere: a known key may do anything in its
//! account.

use crate::protocol::Protocol;
use crate::service::Body;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Response, StatusCode};
use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// One configured account: a name, its 12-digit id and the long-term
/// access key that signs as it, with the key's secret when strict mode
/// should verify its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConfig {
    /// A short name (`prod`, `backup`), used in the caller's IAM user ARN.
    pub name: String,
    /// The 12-digit account id.
    pub account_id: String,
    /// The access key id mapped to the account.
    pub access_key_id: String,
    /// The key's secret, checked in strict mode.
    pub secret_access_key: Option<String>,
}

/// Why an account mapping was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountsError {
    /// An entry is not `name=account:key[:secret]`.
    #[error("{0:?} is not name=ACCOUNT_ID:ACCESS_KEY_ID[:SECRET]")]
    Malformed(String),
    /// An account id is not twelve digits.
    #[error("account id {0:?} is not twelve digits")]
    AccountId(String),
    /// An access key id is not 16 to 128 word characters.
    #[error("access key id {0:?} is not 16 to 128 letters, digits or underscores")]
    AccessKey(String),
    /// The same name or key is mapped twice.
    #[error("{0:?} is mapped twice")]
    Duplicate(String),
}

impl std::str::FromStr for AccountConfig {
    type Err = AccountsError;

    /// Parses `name=ACCOUNT_ID:ACCESS_KEY_ID[:SECRET]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || AccountsError::Malformed(s.to_owned());
        let (name, rest) = s.trim().split_once('=').ok_or_else(malformed)?;
        let mut parts = rest.splitn(3, ':');
        let account_id = parts.next().ok_or_else(malformed)?;
        let access_key_id = parts.next().ok_or_else(malformed)?;
        let secret = parts.next().filter(|s| !s.is_empty());
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        {
            return Err(malformed());
        }
        if !valid_account_id(account_id) {
            return Err(AccountsError::AccountId(account_id.to_owned()));
        }
        // IAM's AccessKeyId: 16 to 128 characters of `[\w]`.
        if !(16..=128).contains(&access_key_id.len())
            || !access_key_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(AccountsError::AccessKey(access_key_id.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            account_id: account_id.to_owned(),
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret.map(str::to_owned),
        })
    }
}

/// Parses a comma-separated list of [`AccountConfig`]s, refusing a name or
/// key mapped twice.
pub fn parse_accounts(list: &str) -> Result<Vec<AccountConfig>, AccountsError> {
    let accounts: Vec<AccountConfig> = list
        .split(',')
        .filter(|e| !e.trim().is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    check_unique(&accounts)?;
    Ok(accounts)
}

/// Refuses a name or an access key id that appears twice.
pub fn check_unique(accounts: &[AccountConfig]) -> Result<(), AccountsError> {
    for (i, a) in accounts.iter().enumerate() {
        for b in accounts.iter().take(i) {
            if a.name == b.name {
                return Err(AccountsError::Duplicate(a.name.clone()));
            }
            if a.access_key_id == b.access_key_id {
                return Err(AccountsError::Duplicate(a.access_key_id.clone()));
            }
        }
    }
    Ok(())
}

/// Whether `id` is an AWS account id: twelve ASCII digits.
pub fn valid_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The temporary credentials of one assumed-role session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// The `ASIA…` access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// The session token every request must carry.
    pub session_token: String,
    /// When the credentials stop working, on the emulator clock.
    pub expiration: DateTime<Utc>,
    /// The account the role belongs to.
    pub account_id: String,
    /// The role assumed, `arn:aws:iam::<account>:role/<path><name>`.
    pub role_arn: String,
    /// The role's name (the last segment of its ARN).
    pub role_name: String,
    /// The session name the caller chose.
    pub session_name: String,
    /// The role's unique id, `AROA…`.
    pub role_id: String,
}

impl TemporaryCredentials {
    /// `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`.
    pub fn assumed_role_arn(&self) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.account_id, self.role_name, self.session_name
        )
    }

    /// `AROA…:<session name>`, the assumed role's user id.
    pub fn assumed_role_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }
}

/// Who made a request: the account that answers it and how STS names the
/// caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account whose services answer the request.
    pub account_id: String,
    /// The access key that signed, when signed.
    pub access_key_id: Option<String>,
    /// The caller's ARN (IAM user, or STS assumed role).
    pub arn: String,
    /// The caller's unique id (`AIDA…`, or `AROA…:<session>`).
    pub user_id: String,
    /// The session, when the key is temporary.
    pub session: Option<TemporaryCredentials>,
}

impl Caller {
    /// An unsigned request in `account_id`.
    pub fn anonymous(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            access_key_id: None,
            arn: "anonymous".to_owned(),
            user_id: "anonymous".to_owned(),
            session: None,
        }
    }

    /// A long-term key of `account_id`, as IAM user `user`.
    pub fn user(account_id: &str, access_key_id: &str, user: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            access_key_id: Some(access_key_id.to_owned()),
            arn: format!("arn:aws:iam::{account_id}:user/{user}"),
            user_id: unique_id("AIDA", access_key_id),
            session: None,
        }
    }

    /// A temporary key of an assumed-role session.
    pub fn assumed(session: TemporaryCredentials) -> Self {
        Self {
            account_id: session.account_id.clone(),
            access_key_id: Some(session.access_key_id.clone()),
            arn: session.assumed_role_arn(),
            user_id: session.assumed_role_id(),
            session: Some(session),
        }
    }
}

/// A stable IAM unique id: `prefix` and 17 characters derived from `seed`.
pub fn unique_id(prefix: &str, seed: &str) -> String {
    let digest = hex::encode_upper(Sha256::digest(seed.as_bytes()));
    format!("{prefix}{}", &digest[..17])
}

/// Why a request's credentials were refused before any service saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// A temporary key came without its session token, or with another one.
    #[error("The security token included in the request is invalid.")]
    InvalidToken,
    /// A temporary key is past its expiration.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl CredentialError {
    /// AWS's answer in `protocol`: S3 says `InvalidToken` / `ExpiredToken`
    /// (400), the JSON services `UnrecognizedClientException` /
    /// `ExpiredTokenException` (400), the Query services
    /// `InvalidClientTokenId` / `ExpiredToken` (403) and REST-JSON
    /// `UnrecognizedClientException` / `ExpiredTokenException` (403).
    pub fn answer(&self, protocol: Protocol, request_id: &str) -> Response<Body> {
        use Protocol as P;
        let (status, code, message) = match (protocol, self) {
            (P::RestXml, Self::InvalidToken) => (
                StatusCode::BAD_REQUEST,
                "InvalidToken",
                "The provided token is malformed or otherwise invalid.".to_owned(),
            ),
            (P::RestXml, Self::ExpiredToken) => (
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "The provided token has expired.".to_owned(),
            ),
            (P::Json(_) | P::Cbor, Self::InvalidToken) => (
                StatusCode::BAD_REQUEST,
                "UnrecognizedClientException",
                self.to_string(),
            ),
            (P::Json(_) | P::Cbor, Self::ExpiredToken) => {
                (StatusCode::BAD_REQUEST, "ExpiredTokenException", self.to_string())
            }
            (P::Query(_), Self::InvalidToken) => {
                (StatusCode::FORBIDDEN, "InvalidClientTokenId", self.to_string())
            }
            (P::Query(_), Self::ExpiredToken) => (StatusCode::FORBIDDEN, "ExpiredToken", self.to_string()),
            (P::RestJson, Self::InvalidToken) => (
                StatusCode::FORBIDDEN,
                "UnrecognizedClientException",
                self.to_string(),
            ),
            (P::RestJson, Self::ExpiredToken) => {
                (StatusCode::FORBIDDEN, "ExpiredTokenException", self.to_string())
            }
        };
        protocol.error(status, code, &message, request_id)
    }
}

/// The session token a request carries: the `X-Amz-Security-Token` header,
/// or the presigned query parameter of that name.
pub fn session_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(token) = headers.get("x-amz-security-token").and_then(|v| v.to_str().ok()) {
        return Some(token.to_owned());
    }
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "X-Amz-Security-Token")
        .map(|(_, v)| v.into_owned())
}

/// Every credential the emulator knows: the configured long-term keys and
/// the temporary ones STS issued. Shared by every account's environment.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    inner: Arc<CredentialsInner>,
}

#[derive(Debug, Default)]
struct CredentialsInner {
    default_account: String,
    long_term: Vec<AccountConfig>,
    temporary: RwLock<HashMap<String, TemporaryCredentials>>,
}

impl Credentials {
    /// The credentials of an emulator whose unmapped keys belong to
    /// `default_account` and whose mapped keys are `accounts`.
    pub fn new(default_account: &str, accounts: &[AccountConfig]) -> Self {
        Self {
            inner: Arc::new(CredentialsInner {
                default_account: default_account.to_owned(),
                long_term: accounts.to_vec(),
                temporary: RwLock::default(),
            }),
        }
    }

    /// The account unmapped keys and unsigned requests belong to.
    pub fn default_account(&self) -> &str {
        &self.inner.default_account
    }

    /// Every account served, the default first, each once.
    pub fn account_ids(&self) -> Vec<String> {
        let mut out = vec![self.inner.default_account.clone()];
        for a in &self.inner.long_term {
            if !out.contains(&a.account_id) {
                out.push(a.account_id.clone());
            }
        }
        out
    }

    /// Whether `account_id` is served.
    pub fn serves_account(&self, account_id: &str) -> bool {
        account_id == self.inner.default_account
            || self.inner.long_term.iter().any(|a| a.account_id == account_id)
    }

    /// Remembers credentials STS issued. Expired ones are kept, not
    /// pruned: forgotten, their key would be an unknown key, which acts in
    /// the default account, where AWS answers `ExpiredToken`. Each entry is
    /// a few hundred bytes, one per AssumeRole call.
    pub fn issue(&self, credentials: TemporaryCredentials) {
        self.inner
            .temporary
            .write()
            .insert(credentials.access_key_id.clone(), credentials);
    }

    /// Forgets every temporary credential, as after a fresh start.
    pub fn clear_temporary(&self) {
        self.inner.temporary.write().clear();
    }

    /// The temporary credentials of `access_key_id`, if STS issued them.
    pub fn temporary(&self, access_key_id: &str) -> Option<TemporaryCredentials> {
        self.inner.temporary.read().get(access_key_id).cloned()
    }

    /// The account `access_key_id` belongs to, without checking tokens.
    pub fn account_of(&self, access_key_id: &str) -> String {
        if let Some(t) = self.temporary(access_key_id) {
            return t.account_id;
        }
        self.inner
            .long_term
            .iter()
            .find(|a| a.access_key_id == access_key_id)
            .map_or_else(|| self.inner.default_account.clone(), |a| a.account_id.clone())
    }

    /// The secret strict mode checks `access_key_id`'s signatures with:
    /// a temporary key's own, a mapped key's configured one, or `None`.
    pub fn secret_of(&self, access_key_id: &str) -> Option<String> {
        if let Some(t) = self.temporary(access_key_id) {
            return Some(t.secret_access_key);
        }
        self.inner
            .long_term
            .iter()
            .find(|a| a.access_key_id == access_key_id)
            .and_then(|a| a.secret_access_key.clone())
    }

    /// Who signed with `access_key_id` (carrying `token`) at `now`. An
    /// unknown key belongs to the default account; a temporary key needs
    /// its token and must not have expired.
    pub fn identify(
        &self,
        access_key_id: Option<&str>,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Caller, CredentialError> {
        let Some(key) = access_key_id else {
            return Ok(Caller::anonymous(&self.inner.default_account));
        };
        if let Some(session) = self.temporary(key) {
            if token != Some(session.session_token.as_str()) {
                return Err(CredentialError::InvalidToken);
            }
            if now >= session.expiration {
                return Err(CredentialError::ExpiredToken);
            }
            return Ok(Caller::assumed(session));
        }
        Ok(
            match self.inner.long_term.iter().find(|a| a.access_key_id == key) {
                Some(a) => Caller::user(&a.account_id, key, &a.name),
                None => Caller::user(&self.inner.default_account, key, key),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn account_lists_parse_and_refuse_nonsense() {
        let list = parse_accounts(
            "prod=111111111111:AKIAPRODEXAMPLE001,backup=222222222222:AKIABACKUPEXAMPLE1:s3cret",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "prod");
        assert_eq!(list[0].account_id, "111111111111");
        assert_eq!(list[0].secret_access_key, None);
        assert_eq!(list[1].secret_access_key.as_deref(), Some("s3cret"));
        for bad in [
            "prod",
            "prod=111111111111",
            "=111111111111:AKIAPRODEXAMPLE001",
            "prod=11111111111:AKIAPRODEXAMPLE001",
            "prod=11111111111a:AKIAPRODEXAMPLE001",
            "prod=111111111111:AKIA",
            "prod=111111111111:AKIA-PROD-EXAMPLE-1",
        ] {
            assert!(parse_accounts(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(
            parse_accounts("a=111111111111:AKIAPRODEXAMPLE001,a=222222222222:AKIABACKUPEXAMPLE1"),
            Err(AccountsError::Duplicate("a".into()))
        );
        assert_eq!(
            parse_accounts("a=111111111111:AKIAPRODEXAMPLE001,b=222222222222:AKIAPRODEXAMPLE001"),
            Err(AccountsError::Duplicate("AKIAPRODEXAMPLE001".into()))
        );
    }

    #[test]
    fn keys_map_to_their_account_and_unknown_keys_to_the_default() {
        let creds = Credentials::new(
            "000000000000",
            &parse_accounts("prod=111111111111:AKIAPRODEXAMPLE001").unwrap(),
        );
        let now = at("2026-03-14T12:00:00Z");
        let prod = creds.identify(Some("AKIAPRODEXAMPLE001"), None, now).unwrap();
        assert_eq!(prod.account_id, "111111111111");
        assert_eq!(prod.arn, "arn:aws:iam::111111111111:user/prod");
        assert!(prod.user_id.starts_with("AIDA") && prod.user_id.len() == 21);
        let other = creds.identify(Some("AKIAFIREDRILLTEST"), None, now).unwrap();
        assert_eq!(other.account_id, "000000000000");
        assert_eq!(other.arn, "arn:aws:iam::000000000000:user/AKIAFIREDRILLTEST");
        assert_eq!(
            creds.identify(None, None, now).unwrap().account_id,
            "000000000000"
        );
        assert_eq!(creds.account_ids(), ["000000000000", "111111111111"]);
    }

    #[test]
    fn temporary_keys_need_their_token_and_expire() {
        let creds = Credentials::new("000000000000", &[]);
        creds.issue(TemporaryCredentials {
            access_key_id: "ASIAEXAMPLE0000001".into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration: at("2026-03-14T13:00:00Z"),
            account_id: "222222222222".into(),
            role_arn: "arn:aws:iam::222222222222:role/restore".into(),
            role_name: "restore".into(),
            session_name: "drill".into(),
            role_id: unique_id("AROA", "arn:aws:iam::222222222222:role/restore"),
        });
        let key = Some("ASIAEXAMPLE0000001");
        let before = at("2026-03-14T12:59:59Z");
        let caller = creds.identify(key, Some("token"), before).unwrap();
        assert_eq!(caller.account_id, "222222222222");
        assert_eq!(caller.arn, "arn:aws:sts::222222222222:assumed-role/restore/drill");
        assert!(caller.user_id.starts_with("AROA") && caller.user_id.ends_with(":drill"));
        assert_eq!(
            creds.identify(key, None, before),
            Err(CredentialError::InvalidToken)
        );
        assert_eq!(
            creds.identify(key, Some("other"), before),
            Err(CredentialError::InvalidToken)
        );
        assert_eq!(
            creds.identify(key, Some("token"), at("2026-03-14T13:00:00Z")),
            Err(CredentialError::ExpiredToken)
        );
        assert_eq!(creds.secret_of("ASIAEXAMPLE0000001").as_deref(), Some("secret"));
        creds.clear_temporary();
        assert_eq!(
            creds.identify(key, Some("token"), before).unwrap().account_id,
            "000000000000"
        );
    }

    #[test]
    fn session_tokens_come_from_the_header_or_the_presigned_query() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            session_token(&headers, Some("X-Amz-Security-Token=a%2Bb")),
            Some("a+b".into())
        );
        headers.insert("x-amz-security-token", "tok".parse().unwrap());
        assert_eq!(session_token(&headers, None), Some("tok".into()));
    }
}
