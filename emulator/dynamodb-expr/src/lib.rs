//! DynamoDB's data model and expression language, with no I/O and no HTTP.
//!
//! - [`value`]: `AttributeValue` and `Item` in DynamoDB's JSON wire form.
//!
//! The DynamoDB service crate (`firedrill-emu-dynamodb`) parses requests into
//! these types and evaluates expressions with this crate; this crate knows
//! nothing of tables, indexes or history.

pub mod value;

pub use value::{AttributeValue, Item};
