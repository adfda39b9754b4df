//! DynamoDB attribute values in their JSON wire form:
//! `{"S": "text"}`, `{"N": "1.5"}`, `{"B": "<base64>"}`, `{"SS": [...]}`,
//! `{"NS": [...]}`, `{"BS": [...]}`, `{"M": {...}}`, `{"L": [...]}`,
//! `{"NULL": true}`, `{"BOOL": false}`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// An item: attribute name to value.
pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttributeValue {
    /// A string.
    #[serde(rename = "S")]
    S(String),
    /// A number, kept as the decimal text the client sent.
    #[serde(rename = "N")]
    N(String),
    /// Binary data (base64 on the wire).
    #[serde(rename = "B", with = "base64_bytes")]
    B(Vec<u8>),
    /// A string set.
    #[serde(rename = "SS")]
    Ss(Vec<String>),
    /// A number set.
    #[serde(rename = "NS")]
    Ns(Vec<String>),
    /// A binary set.
    #[serde(rename = "BS", with = "base64_bytes_vec")]
    Bs(Vec<Vec<u8>>),
    /// A map.
    #[serde(rename = "M")]
    M(BTreeMap<String, AttributeValue>),
    /// A list.
    #[serde(rename = "L")]
    L(Vec<AttributeValue>),
    /// Null (always `true` on the wire).
    #[serde(rename = "NULL")]
    Null(bool),
    /// A boolean.
    #[serde(rename = "BOOL")]
    Bool(bool),
}

impl AttributeValue {
    /// The type descriptor DynamoDB uses (`S`, `N`, `B`, `SS`, ...), as in
    /// `attribute_type(path, :t)` and in key schema attribute definitions.
    pub fn type_descriptor(&self) -> &'static str {
        match self {
            Self::S(_) => "S",
            Self::N(_) => "N",
            Self::B(_) => "B",
            Self::Ss(_) => "SS",
            Self::Ns(_) => "NS",
            Self::Bs(_) => "BS",
            Self::M(_) => "M",
            Self::L(_) => "L",
            Self::Null(_) => "NULL",
            Self::Bool(_) => "BOOL",
        }
    }

    /// The size DynamoDB counts for this value (for the 400 KB item limit):
    /// string and binary lengths, about one byte per two significant digits
    /// for numbers, plus a small overhead per map/list element.
    pub fn size(&self) -> usize {
        match self {
            Self::S(s) => s.len(),
            Self::N(n) => number_size(n),
            Self::B(b) => b.len(),
            Self::Ss(v) => v.iter().map(String::len).sum(),
            Self::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
            Self::Bs(v) => v.iter().map(Vec::len).sum(),
            Self::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            Self::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            Self::Null(_) | Self::Bool(_) => 1,
        }
    }
}

/// The bytes DynamoDB counts for a number: one, plus one per two significant
/// digits of the integer part and of the fraction part (leading and trailing
/// zeros trimmed, so `1E+125` is small), plus one if negative. Text that is not
/// a number falls back to one byte per two digit characters, plus one.
fn number_size(n: &str) -> usize {
    match crate::number::Decimal::parse(n) {
        Ok(d) => {
            let (int_digits, frac_digits) = d.digits_split();
            1 + int_digits.div_ceil(2) + frac_digits.div_ceil(2) + usize::from(d.is_negative())
        }
        Err(_) => n.chars().filter(char::is_ascii_digit).count().div_ceil(2) + 1,
    }
}

/// The size DynamoDB counts for a whole item: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

mod base64_bytes_vec {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let encoded: Vec<String> = v.iter().map(|b| STANDARD.encode(b)).collect();
        encoded.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .into_iter()
            .map(|t| STANDARD.decode(t.as_bytes()).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_wire_form() {
        let json = r#"{"id":{"S":"cart-1"},"n":{"N":"3.50"},"b":{"B":"aGk="},"tags":{"SS":["a","b"]},"m":{"M":{"x":{"NULL":true}}},"l":{"L":[{"BOOL":false}]}}"#;
        let item: Item = serde_json::from_str(json).unwrap();
        assert_eq!(item["b"], AttributeValue::B(b"hi".to_vec()));
        assert_eq!(item["n"].type_descriptor(), "N");
        let back: Item = serde_json::from_str(&serde_json::to_string(&item).unwrap()).unwrap();
        assert_eq!(back, item);
    }

    #[test]
    fn sizes_numbers_by_significant_digits() {
        let size = |n: &str| AttributeValue::N(n.to_string()).size();
        assert_eq!(size("0"), 1);
        assert_eq!(size("7"), 2);
        assert_eq!(size("-7"), 3);
        assert_eq!(size("123.45"), 4);
        assert_eq!(size("1E+125"), 2);
        assert_eq!(size("100"), 2);
        assert_eq!(size("0.001"), 2);
        assert_eq!(size("12345678901234567890123456789012345678"), 20);
    }

    #[test]
    fn rejects_unknown_types() {
        assert!(serde_json::from_str::<AttributeValue>(r#"{"X":"1"}"#).is_err());
        assert!(serde_json::from_str::<AttributeValue>(r#"{"B":"not base64!"}"#).is_err());
    }
}
