//! Helpers shared by the integration tests: items and placeholder maps from
//! DynamoDB's JSON wire form.

#![allow(dead_code)]

use firedrill_ddb_expr::{AttributeValue, Item, Names, Values};

/// An item from DynamoDB JSON: `{"a":{"N":"1"}}`.
pub fn item(json: &str) -> Item {
    serde_json::from_str(json).expect("test item JSON")
}

/// A value from DynamoDB JSON: `{"N":"1"}`.
pub fn val(json: &str) -> AttributeValue {
    serde_json::from_str(json).expect("test value JSON")
}

/// ExpressionAttributeValues from DynamoDB JSON: `{":v":{"N":"1"}}`.
pub fn values(json: &str) -> Values {
    serde_json::from_str(json).expect("test values JSON")
}

/// ExpressionAttributeNames from pairs.
pub fn names(pairs: &[(&str, &str)]) -> Names {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
