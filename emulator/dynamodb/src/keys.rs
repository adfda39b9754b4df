//! Key values and their order, as DynamoDB sorts them.
//!
//! A key attribute is a string, a number or a binary. Strings and binaries
//! order bytewise (UTF-8 bytes for strings); numbers order numerically, so
//! `"10"` sorts after `"9"` and `"1.0"` equals `"1"`. [`KeyValue`] carries
//! that order so that tables and indexes can be ordered maps.

use crate::errors::{DynamoDbError, Result};
use firedrill_ddb_expr::AttributeValue;
use std::cmp::Ordering;

/// The scalar type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    /// `S`
    S,
    /// `N`
    N,
    /// `B`
    B,
}

impl ScalarType {
    /// Parses an `AttributeType`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(Self::S),
            "N" => Some(Self::N),
            "B" => Some(Self::B),
            _ => None,
        }
    }

    /// The type descriptor.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S => "S",
            Self::N => "N",
            Self::B => "B",
        }
    }
}

/// A decimal number in a normal form that orders numerically:
/// value = ±0.d1d2d3... × 10^exponent, digits without leading or trailing
/// zeros; zero has no digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: String,
    exponent: i32,
}

impl Number {
    /// Parses DynamoDB's number text (`-12.5`, `1e3`, `0.001`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let (negative, rest) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (mantissa, exp_part) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let mut exponent: i64 = match exp_part {
            Some(e) => e.parse().ok()?,
            None => 0,
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all: String = format!("{int_part}{frac_part}");
        exponent += int_part.len() as i64;
        let leading = all.bytes().take_while(|b| *b == b'0').count();
        let digits = all[leading..].trim_end_matches('0').to_owned();
        if digits.is_empty() {
            return Some(Self {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        exponent -= leading as i64;
        let exponent = i32::try_from(exponent).ok()?;
        Some(Self {
            negative,
            digits,
            exponent,
        })
    }

    fn magnitude_cmp(&self, other: &Self) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self
                .exponent
                .cmp(&other.exponent)
                .then_with(|| self.digits.cmp(&other.digits)),
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.magnitude_cmp(other),
            (true, true) => other.magnitude_cmp(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One key attribute's value, ordered as DynamoDB orders it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyValue {
    /// A string, ordered by its UTF-8 bytes.
    S(String),
    /// A number, ordered numerically.
    N(Number),
    /// A binary, ordered bytewise.
    B(Vec<u8>),
}

impl KeyValue {
    /// The key value of `value`, which must be of type `ty`; `None` when the
    /// type does not match.
    pub fn from_attribute(value: &AttributeValue, ty: ScalarType) -> Option<Self> {
        match (value, ty) {
            (AttributeValue::S(s), ScalarType::S) => Some(Self::S(s.clone())),
            (AttributeValue::N(n), ScalarType::N) => Number::parse(n).map(Self::N),
            (AttributeValue::B(b), ScalarType::B) => Some(Self::B(b.clone())),
            _ => None,
        }
    }

    /// Whether the value is an empty string or binary (not allowed in keys).
    pub fn is_empty(&self) -> bool {
        match self {
            Self::S(s) => s.is_empty(),
            Self::B(b) => b.is_empty(),
            Self::N(_) => false,
        }
    }

    /// The bytes DynamoDB counts against a key attribute's size limit: the
    /// UTF-8 length of a string, the length of a binary; numbers are never
    /// too large (their 38 digits fit any limit).
    pub fn key_bytes(&self) -> usize {
        match self {
            Self::S(s) => s.len(),
            Self::B(b) => b.len(),
            Self::N(_) => 0,
        }
    }

    /// Bytes that identify the value, for hashing into scan segments.
    pub fn hash_bytes(&self) -> Vec<u8> {
        match self {
            Self::S(s) => s.as_bytes().to_vec(),
            Self::B(b) => b.clone(),
            Self::N(n) => {
                format!("{}{}e{}", if n.negative { "-" } else { "" }, n.digits, n.exponent).into_bytes()
            }
        }
    }
}

/// A table key schema: the partition key and, optionally, the sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    /// The partition (HASH) key attribute and its type.
    pub partition: (String, ScalarType),
    /// The sort (RANGE) key attribute and its type.
    pub sort: Option<(String, ScalarType)>,
}

/// A primary key: partition value and optional sort value.
pub type PrimaryKey = (KeyValue, Option<KeyValue>);

/// The largest partition key value DynamoDB stores, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// The largest sort key value DynamoDB stores, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// Refuses a partition (`sort == false`) or sort key value over DynamoDB's
/// size limit, with AWS's messages (the partition key's has no space before
/// the number, as AWS writes it).
pub fn check_key_size(key: &KeyValue, sort: bool) -> Result<()> {
    let bytes = key.key_bytes();
    if !sort && bytes > MAX_PARTITION_KEY_BYTES {
        return Err(DynamoDbError::validation(format!(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{MAX_PARTITION_KEY_BYTES} bytes"
        )));
    }
    if sort && bytes > MAX_SORT_KEY_BYTES {
        return Err(DynamoDbError::validation(format!(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of {MAX_SORT_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

impl KeySchema {
    /// The key attribute names.
    pub fn names(&self) -> Vec<&str> {
        let mut v = vec![self.partition.0.as_str()];
        if let Some((s, _)) = &self.sort {
            v.push(s.as_str());
        }
        v
    }

    /// Whether `name` is one of the key attributes.
    pub fn is_key(&self, name: &str) -> bool {
        self.partition.0 == name || self.sort.as_ref().is_some_and(|(s, _)| s == name)
    }

    /// The primary key of a full item being written (`PutItem`), with AWS's
    /// messages for missing, mistyped and empty key attributes.
    pub fn key_of_item(&self, item: &firedrill_ddb_expr::Item) -> Result<PrimaryKey> {
        let one = |(name, ty): &(String, ScalarType), sort: bool| -> Result<KeyValue> {
            let Some(value) = item.get(name) else {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Missing the key {name} in the item"
                )));
            };
            let Some(key) = KeyValue::from_attribute(value, *ty) else {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for key {name} expected: {} actual: {}",
                    ty.as_str(),
                    value.type_descriptor()
                )));
            };
            if key.is_empty() {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {name}",
                    if ty.as_str() == "S" { "string" } else { "binary" }
                )));
            }
            check_key_size(&key, sort)?;
            Ok(key)
        };
        let pk = one(&self.partition, false)?;
        let sk = self.sort.as_ref().map(|s| one(s, true)).transpose()?;
        Ok((pk, sk))
    }

    /// The primary key given as a `Key` parameter (`GetItem`, `DeleteItem`,
    /// `UpdateItem`): exactly the key attributes, of the right types.
    pub fn key_of_key(&self, key: &firedrill_ddb_expr::Item) -> Result<PrimaryKey> {
        let expected = if self.sort.is_some() { 2 } else { 1 };
        let one = |(name, ty): &(String, ScalarType), sort: bool| -> Result<KeyValue> {
            let Some(value) = key.get(name) else {
                return Err(DynamoDbError::validation(
                    "One of the required keys was not given a value",
                ));
            };
            let Some(k) = KeyValue::from_attribute(value, *ty) else {
                return Err(DynamoDbError::validation(
                    "The provided key element does not match the schema",
                ));
            };
            if k.is_empty() {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {name}",
                    if ty.as_str() == "S" { "string" } else { "binary" }
                )));
            }
            check_key_size(&k, sort)?;
            Ok(k)
        };
        let pk = one(&self.partition, false)?;
        let sk = self.sort.as_ref().map(|s| one(s, true)).transpose()?;
        if key.len() != expected {
            return Err(DynamoDbError::validation(
                "The provided key element does not match the schema",
            ));
        }
        Ok((pk, sk))
    }

    /// The key attributes of `item`, as a `Key` map (for `LastEvaluatedKey`).
    pub fn project_key(&self, item: &firedrill_ddb_expr::Item) -> firedrill_ddb_expr::Item {
        self.names()
            .into_iter()
            .filter_map(|n| item.get(n).map(|v| (n.to_owned(), v.clone())))
            .collect()
    }

    /// The index key of `item` under this schema, or `None` when the item
    /// lacks an index key attribute or has it with another type (such items
    /// are not in a secondary index).
    pub fn index_key(&self, item: &firedrill_ddb_expr::Item) -> Option<PrimaryKey> {
        let pk = KeyValue::from_attribute(item.get(&self.partition.0)?, self.partition.1)?;
        let sk = match &self.sort {
            Some((name, ty)) => Some(KeyValue::from_attribute(item.get(name)?, *ty)?),
            None => None,
        };
        Some((pk, sk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn numbers_order_numerically() {
        let mut v = vec!["10", "9", "-1", "-10", "0", "0.5", "1e2", "-0.25", "100.5", "2"];
        v.sort_by_key(|a| n(a));
        assert_eq!(
            v,
            ["-10", "-1", "-0.25", "0", "0.5", "2", "9", "10", "1e2", "100.5"]
        );
        assert_eq!(n("1.0"), n("1"));
        assert_eq!(n("-0"), n("0"));
        assert_eq!(n("0.0100"), n("1e-2"));
        assert!(Number::parse("abc").is_none());
        assert!(Number::parse("").is_none());
        assert!(Number::parse("1.2.3").is_none());
    }

    #[test]
    fn strings_and_binaries_order_bytewise() {
        assert!(KeyValue::S("B".into()) < KeyValue::S("a".into()));
        assert!(KeyValue::B(vec![0x01]) < KeyValue::B(vec![0xff]));
        assert!(KeyValue::S("a".into()) < KeyValue::S("ab".into()));
    }
}
