//! Reading a JSON 1.1 request body member by member, with the model's
//! constraints checked the way AWS's front end checks them.
//!
//! A member of the wrong JSON type is a `SerializationException`; a member
//! outside its length, range or enum is collected, and [`Input::finish`]
//! answers every violation at once in AWS's words: `2 validation errors
//! detected: Value null at 'keyId' failed to satisfy constraint: Member must
//! not be null; ...`. Members the model does not know are ignored, as AWS
//! ignores them.

use crate::errors::{KmsError, Result};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A request body being read.
pub struct Input {
    body: Map<String, Value>,
    violations: Vec<String>,
}

/// The model's name for a member in validation messages: the member name
/// with its first letter lowercased (`KeyId` is `keyId`).
fn wire_name(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How a JSON value is named in AWS's serialization messages.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL_VALUE",
        Value::Bool(_) => "BOOLEAN_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

fn mismatch(v: &Value, want: &str) -> KmsError {
    KmsError::Serialization(format!("{} can not be converted to {want}", json_kind(v)))
}

impl Input {
    /// Parses a body; an empty body is an empty object.
    pub fn parse(body: &[u8]) -> Result<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self {
                body: Map::new(),
                violations: Vec::new(),
            });
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(body)) => Ok(Self {
                body,
                violations: Vec::new(),
            }),
            Ok(other) => Err(KmsError::Serialization(format!(
                "Start of structure or map found where not expected: {}",
                json_kind(&other)
            ))),
            Err(e) => Err(KmsError::Serialization(format!(
                "Unable to parse the request body: {e}"
            ))),
        }
    }

    /// Whether the body carries `member` (non-null).
    pub fn has(&self, member: &str) -> bool {
        self.get(member).is_some()
    }

    fn get(&self, member: &str) -> Option<&Value> {
        self.body.get(member).filter(|v| !v.is_null())
    }

    /// Records a violation in AWS's words.
    pub fn violate(&mut self, member: &str, shown: &str, constraint: &str) {
        self.violations.push(format!(
            "Value {shown} at '{}' failed to satisfy constraint: {constraint}",
            wire_name(member)
        ));
    }

    fn missing(&mut self, member: &str) {
        self.violate(member, "null", "Member must not be null");
    }

    /// An optional string of `min..=max` characters.
    pub fn string(&mut self, member: &str, min: usize, max: usize) -> Result<Option<String>> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let Value::String(s) = v else {
            return Err(mismatch(v, "String"));
        };
        let s = s.clone();
        let len = s.chars().count();
        if len < min {
            self.violate(
                member,
                &format!("'{s}'"),
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if len > max {
            self.violate(
                member,
                &format!("'{s}'"),
                &format!("Member must have length less than or equal to {max}"),
            );
        }
        Ok(Some(s))
    }

    /// A required string of `min..=max` characters (`None` only when a
    /// violation was recorded).
    pub fn required_string(&mut self, member: &str, min: usize, max: usize) -> Result<Option<String>> {
        let s = self.string(member, min, max)?;
        if s.is_none() {
            self.missing(member);
        }
        Ok(s)
    }

    /// An optional key id member (`KeyId`, `TargetKeyId`, ...): 1 to 2048
    /// characters.
    pub fn key_id(&mut self, member: &str) -> Result<Option<String>> {
        self.string(member, 1, 2048)
    }

    /// A required key id member.
    pub fn required_key_id(&mut self, member: &str) -> Result<Option<String>> {
        self.required_string(member, 1, 2048)
    }

    /// An optional member whose value must be one of `values`.
    pub fn enumeration(&mut self, member: &str, values: &[&str]) -> Result<Option<String>> {
        let Some(s) = self.string(member, 0, usize::MAX)? else {
            return Ok(None);
        };
        if !values.contains(&s.as_str()) {
            self.violate(
                member,
                &format!("'{s}'"),
                &format!("Member must satisfy enum value set: [{}]", values.join(", ")),
            );
        }
        Ok(Some(s))
    }

    /// An optional integer in `min..=max`.
    pub fn integer(&mut self, member: &str, min: i64, max: i64) -> Result<Option<i64>> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let Some(n) = v.as_i64() else {
            return Err(mismatch(v, "Integer"));
        };
        if n < min {
            self.violate(
                member,
                &format!("'{n}'"),
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if n > max {
            self.violate(
                member,
                &format!("'{n}'"),
                &format!("Member must have value less than or equal to {max}"),
            );
        }
        Ok(Some(n))
    }

    /// An optional boolean.
    pub fn boolean(&mut self, member: &str) -> Result<Option<bool>> {
        match self.get(member) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(mismatch(v, "Boolean")),
        }
    }

    /// An optional blob (base64 on the wire) of `min..=max` bytes.
    pub fn blob(&mut self, member: &str, min: usize, max: usize) -> Result<Option<Vec<u8>>> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let Value::String(s) = v else {
            return Err(mismatch(v, "Blob"));
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(|_| {
                KmsError::Serialization(format!("Could not decode base64 in '{}'", wire_name(member)))
            })?;
        if bytes.len() < min {
            self.violate(
                member,
                "",
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if bytes.len() > max {
            self.violate(
                member,
                "",
                &format!("Member must have length less than or equal to {max}"),
            );
        }
        Ok(Some(bytes))
    }

    /// An optional string-to-string map (an encryption context).
    pub fn string_map(&mut self, member: &str) -> Result<Option<BTreeMap<String, String>>> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let Value::Object(m) = v else {
            return Err(mismatch(v, "Map"));
        };
        let mut out = BTreeMap::new();
        for (k, v) in m {
            let Value::String(s) = v else {
                return Err(mismatch(v, "String"));
            };
            out.insert(k.clone(), s.clone());
        }
        Ok(Some(out))
    }

    /// An optional list of strings, each of `min..=max` characters.
    pub fn string_list(&mut self, member: &str, min: usize, max: usize) -> Result<Option<Vec<String>>> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(mismatch(v, "List"));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.clone() {
            let Value::String(s) = item else {
                return Err(mismatch(&item, "String"));
            };
            let len = s.chars().count();
            if len < min || len > max {
                self.violate(
                    member,
                    &format!("'[{s}]'"),
                    &format!(
                        "Member must satisfy constraint: [Member must have length less than or equal to {max}, Member must have length greater than or equal to {min}]"
                    ),
                );
            }
            out.push(s);
        }
        Ok(Some(out))
    }

    /// An optional list of `{"TagKey", "TagValue"}` tags, each checked
    /// against the model's lengths.
    pub fn tags(&mut self, member: &str) -> Result<Option<Vec<(String, String)>>> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(mismatch(v, "List"));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.clone() {
            let Value::Object(tag) = &item else {
                return Err(mismatch(&item, "Tag"));
            };
            let field = |name: &str| -> Result<Option<String>> {
                match tag.get(name).filter(|v| !v.is_null()) {
                    None => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(v) => Err(mismatch(v, "String")),
                }
            };
            let (key, value) = (field("TagKey")?, field("TagValue")?);
            match &key {
                None => self.violate("tags.member.tagKey", "null", "Member must not be null"),
                Some(k) if k.is_empty() || k.chars().count() > 128 => self.violate(
                    "tags.member.tagKey",
                    &format!("'{k}'"),
                    "Member must have length between 1 and 128",
                ),
                Some(_) => {}
            }
            match &value {
                None => self.violate("tags.member.tagValue", "null", "Member must not be null"),
                Some(v) if v.chars().count() > 256 => self.violate(
                    "tags.member.tagValue",
                    &format!("'{v}'"),
                    "Member must have length less than or equal to 256",
                ),
                Some(_) => {}
            }
            if let (Some(k), Some(v)) = (key, value) {
                out.push((k, v));
            }
        }
        Ok(Some(out))
    }

    /// Answers every recorded violation as one `ValidationException`.
    pub fn finish(self) -> Result<()> {
        match self.violations.as_slice() {
            [] => Ok(()),
            [one] => Err(KmsError::Validation(format!(
                "1 validation error detected: {one}"
            ))),
            all => Err(KmsError::Validation(format!(
                "{} validation errors detected: {}",
                all.len(),
                all.join("; ")
            ))),
        }
    }
}

/// A required value known present once [`Input::finish`] succeeded.
pub fn present<T>(value: Option<T>, member: &str) -> Result<T> {
    value.ok_or_else(|| {
        KmsError::Validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            wire_name(member)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_counted_and_named_in_camel_case() {
        let mut i = Input::parse(br#"{"PendingWindowInDays": 400}"#).unwrap();
        assert_eq!(i.required_key_id("KeyId").unwrap(), None);
        assert_eq!(i.integer("PendingWindowInDays", 1, 365).unwrap(), Some(400));
        let e = i.finish().unwrap_err();
        assert_eq!(
            e.to_string(),
            "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; Value '400' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365"
        );
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let mut i = Input::parse(br#"{"KeyId": 5}"#).unwrap();
        assert_eq!(i.key_id("KeyId").unwrap_err().code(), "SerializationException");
        assert_eq!(
            Input::parse(b"[1]").err().unwrap().code(),
            "SerializationException"
        );
        assert_eq!(Input::parse(b"{").err().unwrap().code(), "SerializationException");
        let mut i = Input::parse(br#"{"Plaintext": "not base64!"}"#).unwrap();
        assert_eq!(
            i.blob("Plaintext", 1, 4096).unwrap_err().code(),
            "SerializationException"
        );
    }
}
