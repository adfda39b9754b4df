//! Aliases: friendly names (`alias/...`) for keys, one key per alias.
//!
//! A name must match the model's pattern and start with `alias/`
//! (`ValidationException` otherwise); the `alias/aws/` prefix is AWS's own
//! (`NotAuthorizedException`). A taken name is `AlreadyExistsException`,
//! an unknown one `NotFoundException`; an alias cannot be pointed at a key
//! pending deletion (`KMSInvalidStateException`). Aliases go with their
//! key when it is deleted.

use super::{Alias, Aliases, Engine, Page, Scope, page};
use crate::errors::{KmsError, Result};

/// The prefix every alias name starts with.
const PREFIX: &str = "alias/";
/// The prefix reserved for AWS managed keys.
const RESERVED: &str = "alias/aws/";

/// An alias as `ListAliases` reports it.
#[derive(Debug, Clone)]
pub struct AliasEntry {
    /// The alias.
    pub alias: Alias,
    /// Its ARN.
    pub arn: String,
}

fn check_name(name: &str) -> Result<()> {
    let pattern_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'));
    if !pattern_ok {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
        )));
    }
    if !name.starts_with(PREFIX) || name.len() == PREFIX.len() {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
                .to_owned(),
        ));
    }
    Ok(())
}

fn check_new_name(name: &str) -> Result<()> {
    check_name(name)?;
    if name.starts_with(RESERVED) {
        return Err(KmsError::NotAuthorized(format!(
            "Cannot create alias with prefix '{RESERVED}'"
        )));
    }
    Ok(())
}

impl Engine {
    /// `CreateAlias`.
    pub fn create_alias(&self, scope: Scope<'_>, name: &str, target: &str) -> Result<()> {
        check_new_name(name)?;
        let now = self.now();
        self.with_region(scope, |r| {
            if r.aliases.contains_key(name) {
                return Err(KmsError::AlreadyExists(format!(
                    "An alias with the name {} already exists",
                    scope.alias_arn(name)
                )));
            }
            let key = r.key(scope, target, Aliases::Refused)?;
            key.not_pending_deletion()?;
            let alias = Alias {
                name: name.to_owned(),
                target_key_id: key.id.clone(),
                created: now,
                updated: now,
            };
            r.aliases.insert(name.to_owned(), alias);
            Ok(())
        })
    }

    /// `UpdateAlias`: points an existing alias at another key.
    pub fn update_alias(&self, scope: Scope<'_>, name: &str, target: &str) -> Result<()> {
        check_name(name)?;
        let now = self.now();
        self.with_region(scope, |r| {
            if !r.aliases.contains_key(name) {
                return Err(KmsError::NotFound(format!(
                    "Alias {} is not found.",
                    scope.alias_arn(name)
                )));
            }
            let key = r.key(scope, target, Aliases::Refused)?;
            key.not_pending_deletion()?;
            let id = key.id.clone();
            if let Some(a) = r.aliases.get_mut(name) {
                a.target_key_id = id;
                a.updated = now;
            }
            Ok(())
        })
    }

    /// `DeleteAlias`.
    pub fn delete_alias(&self, scope: Scope<'_>, name: &str) -> Result<()> {
        check_name(name)?;
        self.with_region(scope, |r| {
            r.aliases
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| KmsError::NotFound(format!("Alias {} is not found.", scope.alias_arn(name))))
        })
    }

    /// `ListAliases`, of every key or of one (key id or key ARN), in name
    /// order, paged.
    pub fn list_aliases(
        &self,
        scope: Scope<'_>,
        key: Option<&str>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<AliasEntry>> {
        self.with_region(scope, |r| {
            let only = match key {
                Some(k) => Some(r.resolve(scope, k, Aliases::Refused)?),
                None => None,
            };
            page(
                r.aliases
                    .values()
                    .filter(|a| only.as_ref().is_none_or(|id| a.target_key_id == *id))
                    .map(|a| {
                        (
                            a.name.clone(),
                            AliasEntry {
                                alias: a.clone(),
                                arn: scope.alias_arn(&a.name),
                            },
                        )
                    }),
                marker,
                limit,
            )
        })
    }
}
