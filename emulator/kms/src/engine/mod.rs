//! KMS's state and the operations on it, with no HTTP.
//!
//! Keys and aliases belong to an account and a region ([`Scope`]), as in
//! AWS: a key id names a key only in its own account and region. The state
//! is held in memory, as every other service of the emulator holds its own;
//! a reset or restart forgets it.
//!
//! Submodules, one concern each: [`keys`] (creation, description, listing,
//! enabling, disabling, the deletion window and the tick that ends it),
//! [`aliases`], [`policy`] (key policies), [`tags`], [`crypto`] (the
//! ciphertext format and the cryptographic operations) and [`usable`] (the
//! seam other services call).

pub mod aliases;
pub mod crypto;
pub mod keys;
pub mod policy;
pub mod tags;
pub mod usable;

use crate::errors::{KmsError, Result};
use chrono::{DateTime, Utc};
use firedrill_emu_core::Environment;
use firedrill_emu_core::arn::Arn;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};

/// The account and region a request acts in.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The account id.
    pub account: &'a str,
    /// The region.
    pub region: &'a str,
}

impl Scope<'_> {
    /// The ARN of the key with this id.
    pub fn key_arn(&self, id: &str) -> String {
        format!("arn:aws:kms:{}:{}:key/{id}", self.region, self.account)
    }

    /// The ARN of the alias with this name (`alias/...`).
    pub fn alias_arn(&self, name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{name}", self.region, self.account)
    }

    fn index(&self) -> (String, String) {
        (self.account.to_owned(), self.region.to_owned())
    }
}

/// A key's state, as `KeyState` names it. Only the states a customer
/// managed key with KMS-generated material reaches occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Disabled: cryptographic operations answer `DisabledException`.
    Disabled,
    /// Scheduled for deletion: everything but description, listing,
    /// policies and cancelling answers `KMSInvalidStateException`.
    PendingDeletion,
}

impl KeyState {
    /// The model's name for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
        }
    }
}

/// The 256-bit key material; never printed.
#[derive(Clone)]
pub struct Material(pub(crate) [u8; 32]);

impl std::fmt::Debug for Material {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Material(..)")
    }
}

/// One KMS key.
#[derive(Debug, Clone)]
pub struct Key {
    /// The key id (a UUID).
    pub id: String,
    /// The key ARN.
    pub arn: String,
    /// The owning account.
    pub account: String,
    /// When it was created (emulator clock).
    pub created: DateTime<Utc>,
    /// The description given at creation.
    pub description: String,
    /// Its state.
    pub state: KeyState,
    /// When a scheduled deletion takes effect.
    pub deletion_date: Option<DateTime<Utc>>,
    /// The scheduled deletion's window, in days.
    pub pending_window_days: Option<i64>,
    /// The key policy (`default`), as given or as AWS writes the default.
    pub policy: String,
    /// Its tags, by key.
    pub tags: BTreeMap<String, String>,
    pub(crate) material: Material,
}

/// One alias.
#[derive(Debug, Clone)]
pub struct Alias {
    /// `alias/...`.
    pub name: String,
    /// The id of the key it points to.
    pub target_key_id: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it was last pointed elsewhere.
    pub updated: DateTime<Utc>,
}

/// The keys and aliases of one account in one region.
#[derive(Debug, Default)]
pub(crate) struct Region {
    pub(crate) keys: BTreeMap<String, Key>,
    pub(crate) aliases: BTreeMap<String, Alias>,
}

/// Whether a key reference may be an alias name or alias ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aliases {
    /// Key id, key ARN, alias name or alias ARN (`DescribeKey`, the
    /// cryptographic operations).
    Allowed,
    /// Key id or key ARN only (key management).
    Refused,
}

/// The KMS engine.
#[derive(Debug)]
pub struct Engine {
    env: Environment,
    state: Mutex<HashMap<(String, String), Region>>,
}

impl Engine {
    /// An engine over the shared environment.
    pub fn new(env: &Environment) -> Self {
        Self {
            env: env.clone(),
            state: Mutex::new(HashMap::new()),
        }
    }

    /// The shared environment.
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// The current emulator instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.env.now()
    }

    /// Forgets every key and alias.
    pub fn reset(&self) {
        self.state.lock().clear();
    }

    /// Runs `f` over the scope's region state, created on first use.
    pub(crate) fn with_region<T>(&self, scope: Scope<'_>, f: impl FnOnce(&mut Region) -> T) -> T {
        let mut state = self.state.lock();
        f(state.entry(scope.index()).or_default())
    }

    /// Runs `f` over every region state.
    pub(crate) fn with_all<T>(&self, f: impl FnOnce(&mut HashMap<(String, String), Region>) -> T) -> T {
        f(&mut self.state.lock())
    }
}

impl Region {
    /// The id of the key `input` names (key id, key ARN and, when allowed,
    /// alias name or alias ARN), with AWS's answer when it names none.
    pub(crate) fn resolve(&self, scope: Scope<'_>, input: &str, aliases: Aliases) -> Result<String> {
        let invalid_key_id = || KmsError::NotFound(format!("Invalid keyId '{input}'"));
        if input.starts_with("arn:") {
            let arn = Arn::parse(input).map_err(|_| KmsError::InvalidArn(format!("Invalid arn {input}")))?;
            if arn.service != "kms" {
                return Err(KmsError::InvalidArn(format!("Invalid arn {input}")));
            }
            if arn.region != scope.region {
                return Err(KmsError::NotFound(format!("Invalid arn {}", scope.region)));
            }
            if let Some(id) = arn.resource.strip_prefix("key/") {
                if arn.account != scope.account || !self.keys.contains_key(id) {
                    return Err(KmsError::NotFound(format!("Key '{input}' does not exist")));
                }
                return Ok(id.to_owned());
            }
            if arn.resource.starts_with("alias/") {
                if aliases == Aliases::Refused {
                    return Err(invalid_key_id());
                }
                if arn.account != scope.account {
                    return Err(KmsError::NotFound(format!("Alias {input} is not found.")));
                }
                return self.alias_target(scope, &arn.resource);
            }
            return Err(KmsError::InvalidArn(format!("Invalid arn {input}")));
        }
        if input.starts_with("alias/") {
            if aliases == Aliases::Refused {
                return Err(invalid_key_id());
            }
            return self.alias_target(scope, input);
        }
        let well_formed = input.len() == 36 && uuid::Uuid::parse_str(input).is_ok();
        if !well_formed {
            return Err(invalid_key_id());
        }
        if !self.keys.contains_key(input) {
            return Err(KmsError::NotFound(format!(
                "Key '{}' does not exist",
                scope.key_arn(input)
            )));
        }
        Ok(input.to_owned())
    }

    fn alias_target(&self, scope: Scope<'_>, name: &str) -> Result<String> {
        self.aliases
            .get(name)
            .map(|a| a.target_key_id.clone())
            .ok_or_else(|| KmsError::NotFound(format!("Alias {} is not found.", scope.alias_arn(name))))
    }

    /// The key `input` names.
    pub(crate) fn key(&self, scope: Scope<'_>, input: &str, aliases: Aliases) -> Result<&Key> {
        let id = self.resolve(scope, input, aliases)?;
        self.keys
            .get(&id)
            .ok_or_else(|| KmsError::Internal(format!("alias target {id} vanished")))
    }

    /// The key `input` names, for change.
    pub(crate) fn key_mut(&mut self, scope: Scope<'_>, input: &str, aliases: Aliases) -> Result<&mut Key> {
        let id = self.resolve(scope, input, aliases)?;
        self.keys
            .get_mut(&id)
            .ok_or_else(|| KmsError::Internal(format!("alias target {id} vanished")))
    }
}

impl Key {
    /// `KMSInvalidStateException` while the key is pending deletion: the
    /// rule for every key-management change but cancelling the deletion.
    pub(crate) fn not_pending_deletion(&self) -> Result<()> {
        if self.state == KeyState::PendingDeletion {
            return Err(KmsError::InvalidState(format!(
                "{} is pending deletion.",
                self.arn
            )));
        }
        Ok(())
    }

    /// The rule for cryptographic operations: `DisabledException` for a
    /// disabled key, `KMSInvalidStateException` for one pending deletion.
    pub(crate) fn usable(&self) -> Result<()> {
        match self.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", self.arn))),
            KeyState::PendingDeletion => self.not_pending_deletion(),
        }
    }
}

/// One page of a listing: its items and the marker of the next page.
pub type Page<T> = (Vec<T>, Option<String>);

/// One page of a listing: the items after the `marker`'s, at most `limit`,
/// and the marker of the next page when more follow. Markers are opaque
/// (the base64url of the last item's sort key); one this service did not
/// hand out answers `InvalidMarkerException`.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    marker: Option<&str>,
    limit: usize,
) -> Result<Page<T>> {
    use base64::Engine as _;
    let codec = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let after = match marker {
        None => None,
        Some(m) => Some(
            codec
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| KmsError::InvalidMarker("Invalid marker".to_owned()))?,
        ),
    };
    let mut out = Vec::new();
    let mut last = None;
    let mut more = false;
    for (sort_key, item) in items {
        if after.as_ref().is_some_and(|a| sort_key.as_str() <= a.as_str()) {
            continue;
        }
        if out.len() == limit {
            more = true;
            break;
        }
        last = Some(sort_key);
        out.push(item);
    }
    let next = if more { last.map(|k| codec.encode(k)) } else { None };
    Ok((out, next))
}
