//! DynamoDB's data model and expression language, with no I/O and no HTTP.
//!
//! - [`value`]: `AttributeValue` and `Item` in DynamoDB's JSON wire form.
//! - [`number`]: exact 38-digit decimals (a hand-written big decimal on digit
//!   vectors; `rust_decimal` stops at 28 digits).
//! - [`ops`]: DynamoDB equality and ordering, and validation of values.
//! - [`params`]: ExpressionAttributeNames / ExpressionAttributeValues and
//!   the check that all of them were used.
//! - `syntax`: a hand-written lexer and recursive-descent parser.
//! - [`condition`], [`key`], [`update`], [`projection`]: resolution of the
//!   parsed trees (placeholders, AWS's parse-time checks) and evaluation.
//! - `reserved`: DynamoDB's reserved words.
//!
//! The DynamoDB service crate (`firedrill-emu-dynamodb`) parses requests into
//! these types and evaluates expressions with this crate; this crate knows
//! nothing of tables, indexes or history. Every error is an [`ExprError`],
//! which the service reports as `ValidationException` with its message.
//!
//! ```
//! use firedrill_ddb_expr::{AttributeValue, Item, Params, Values, parse_condition, parse_update};
//!
//! let values: Values = [(":one".to_string(), AttributeValue::N("1".into()))].into();
//! let mut params = Params::new(None, Some(&values));
//! let update = parse_update("SET qty = if_not_exists(qty, :one) + :one", &mut params).unwrap();
//! let cond = parse_condition("attribute_not_exists(qty) OR qty < :one", &mut params).unwrap();
//! params.check_all_used().unwrap();
//!
//! let old = Item::new();
//! assert!(cond.evaluate(Some(&old)).unwrap());
//! let new = update.apply(&old, &["pk"]).unwrap();
//! assert_eq!(new["qty"], AttributeValue::N("2".into()));
//! ```

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod condition;
mod error;
pub mod key;
pub mod number;
pub mod ops;
pub mod params;
pub mod path;
pub mod projection;
mod reserved;
mod syntax;
pub mod update;
pub mod value;

pub use condition::{Condition, parse_condition, parse_condition_named};
pub use error::ExprError;
pub use key::{KeyCondition, SortKeyCondition, parse_key_condition};
pub use number::{Decimal, normalize_number};
pub use ops::{compare, normalize_value, validate_item, validate_value, values_equal};
pub use params::{Names, Params, Values};
pub use path::{DocPath, PathElem};
pub use projection::{Projection, parse_projection};
pub use reserved::is_reserved;
pub use update::{Update, parse_update};
pub use value::{AttributeValue, Item, item_size};
