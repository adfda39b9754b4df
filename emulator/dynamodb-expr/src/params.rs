//! ExpressionAttributeNames (`#n`) and ExpressionAttributeValues (`:v`) of one
//! request, with a record of which were used so that unused ones can be
//! reported as AWS does once every expression of the request is parsed.

use crate::ExprError;
use crate::ops::validate_value;
use crate::value::AttributeValue;
use std::collections::{BTreeSet, HashMap, HashSet};

/// ExpressionAttributeNames: `#placeholder` to attribute name.
pub type Names = HashMap<String, String>;
/// ExpressionAttributeValues: `:placeholder` to value.
pub type Values = HashMap<String, AttributeValue>;

/// The placeholders of one request, and which of them the parsed expressions used.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    /// ExpressionAttributeNames, if the request has them.
    pub names: Option<&'a Names>,
    /// ExpressionAttributeValues, if the request has them.
    pub values: Option<&'a Values>,
    used_names: HashSet<String>,
    used_values: HashSet<String>,
}

impl<'a> Params<'a> {
    /// Placeholders of a request; nothing is used yet.
    pub fn new(names: Option<&'a Names>, values: Option<&'a Values>) -> Self {
        Self {
            names,
            values,
            used_names: HashSet::new(),
            used_values: HashSet::new(),
        }
    }

    /// Looks up `#name`, marking it used.
    pub(crate) fn name(&mut self, placeholder: &str) -> Option<String> {
        let found = self.names?.get(placeholder)?.clone();
        self.used_names.insert(placeholder.to_string());
        Some(found)
    }

    /// Looks up `:value`, marking it used.
    pub(crate) fn value(&mut self, placeholder: &str) -> Option<AttributeValue> {
        let found = self.values?.get(placeholder)?.clone();
        self.used_values.insert(placeholder.to_string());
        Some(found)
    }

    /// The checks AWS makes on the maps themselves, before any expression:
    /// not empty when given, keys spelled `#x` / `:x`, values valid.
    pub fn validate(&self) -> Result<(), ExprError> {
        if let Some(names) = self.names {
            if names.is_empty() {
                return Err(ExprError::new("ExpressionAttributeNames must not be empty"));
            }
            let mut entries: Vec<(&String, &String)> = names.iter().collect();
            entries.sort();
            for (k, v) in entries {
                if !valid_key(k, '#') {
                    return Err(ExprError::new(format!(
                        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                if v.is_empty() {
                    return Err(ExprError::new(format!(
                        "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                    )));
                }
            }
        }
        if let Some(values) = self.values {
            if values.is_empty() {
                return Err(ExprError::new("ExpressionAttributeValues must not be empty"));
            }
            let mut entries: Vec<(&String, &AttributeValue)> = values.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in entries {
                if !valid_key(k, ':') {
                    return Err(ExprError::new(format!(
                        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                if let Err(e) = validate_value(v) {
                    return Err(ExprError::new(format!(
                        "ExpressionAttributeValues contains invalid value: {} for key {k}",
                        e.message
                    )));
                }
            }
        }
        Ok(())
    }

    /// After all expressions of a request were parsed with these params:
    /// the checks of [`Params::validate`], then AWS's errors for unused
    /// placeholders ("Value provided in ExpressionAttributeNames unused in
    /// expressions: keys: {#x}", likewise for values).
    pub fn check_all_used(&self) -> Result<(), ExprError> {
        self.validate()?;
        if let Some(names) = self.names {
            let unused: BTreeSet<&String> = names.keys().filter(|k| !self.used_names.contains(*k)).collect();
            if !unused.is_empty() {
                return Err(ExprError::new(format!(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                    join(&unused)
                )));
            }
        }
        if let Some(values) = self.values {
            let unused: BTreeSet<&String> =
                values.keys().filter(|k| !self.used_values.contains(*k)).collect();
            if !unused.is_empty() {
                return Err(ExprError::new(format!(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                    join(&unused)
                )));
            }
        }
        Ok(())
    }
}

fn join(keys: &BTreeSet<&String>) -> String {
    keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

fn valid_key(k: &str, sigil: char) -> bool {
    let mut chars = k.chars();
    chars.next() == Some(sigil) && {
        let rest = chars.as_str();
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
}
