//! Tags on keys: at most 50 per key, keys outside the reserved `aws:`
//! prefix (`TagException`), changed only while the key is not pending
//! deletion (`KMSInvalidStateException`), listed in any state.

use super::{Aliases, Engine, Page, Scope, page};
use crate::errors::{KmsError, Result};
use std::collections::BTreeMap;

/// The most tags a key carries.
pub const MAX_TAGS: usize = 50;

/// `current` with `added` applied (a repeated key takes the new value),
/// refused whole when a tag is reserved or the total passes the limit.
pub fn merged(
    current: &BTreeMap<String, String>,
    added: &[(String, String)],
) -> Result<BTreeMap<String, String>> {
    let mut out = current.clone();
    for (k, v) in added {
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(KmsError::Tag("Tags beginning with aws: are reserved".to_owned()));
        }
        out.insert(k.clone(), v.clone());
    }
    if out.len() > MAX_TAGS {
        return Err(KmsError::LimitExceeded(format!(
            "A KMS key can have at most {MAX_TAGS} tags"
        )));
    }
    Ok(out)
}

impl Engine {
    /// `TagResource`.
    pub fn tag_resource(&self, scope: Scope<'_>, key: &str, tags: &[(String, String)]) -> Result<()> {
        self.with_region(scope, |r| {
            let k = r.key_mut(scope, key, Aliases::Refused)?;
            k.not_pending_deletion()?;
            k.tags = merged(&k.tags, tags)?;
            Ok(())
        })
    }

    /// `UntagResource`.
    pub fn untag_resource(&self, scope: Scope<'_>, key: &str, tag_keys: &[String]) -> Result<()> {
        self.with_region(scope, |r| {
            let k = r.key_mut(scope, key, Aliases::Refused)?;
            k.not_pending_deletion()?;
            for t in tag_keys {
                k.tags.remove(t);
            }
            Ok(())
        })
    }

    /// `ListResourceTags`, in tag key order, paged.
    pub fn list_resource_tags(
        &self,
        scope: Scope<'_>,
        key: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<(String, String)>> {
        self.with_region(scope, |r| {
            let k = r.key(scope, key, Aliases::Refused)?;
            page(
                k.tags.iter().map(|(t, v)| (t.clone(), (t.clone(), v.clone()))),
                marker,
                limit,
            )
        })
    }
}
