//! The one place this crate calls the expression language
//! (`firedrill-ddb-expr`): the placeholders of one request and the
//! expressions parsed against them, with expression errors turned into
//! `ValidationException`s.

use crate::errors::{DynamoDbError, Result};
use crate::protocol::{Names, Values};
use firedrill_ddb_expr as x;

pub use x::{Condition, KeyCondition, Projection, Update, normalize_value};

impl From<x::ExprError> for DynamoDbError {
    fn from(e: x::ExprError) -> Self {
        DynamoDbError::Validation(e.message)
    }
}

/// The placeholders of one request and what its expressions used of them.
pub struct Exprs<'a> {
    params: x::Params<'a>,
}

impl<'a> Exprs<'a> {
    /// Checks the placeholder maps themselves.
    pub fn new(names: Option<&'a Names>, values: Option<&'a Values>) -> Result<Self> {
        let params = x::Params::new(names, values);
        params.validate()?;
        Ok(Self { params })
    }

    /// A `ConditionExpression`.
    pub fn condition(&mut self, expr: Option<&str>) -> Result<Option<Condition>> {
        expr.map(|e| x::parse_condition(e, &mut self.params).map_err(Into::into))
            .transpose()
    }

    /// A `FilterExpression`.
    pub fn filter(&mut self, expr: Option<&str>) -> Result<Option<Condition>> {
        expr.map(|e| x::parse_condition_named(e, "FilterExpression", &mut self.params).map_err(Into::into))
            .transpose()
    }

    /// A `KeyConditionExpression` on a table or index key.
    pub fn key_condition(&mut self, expr: &str, partition: &str, sort: Option<&str>) -> Result<KeyCondition> {
        Ok(x::parse_key_condition(expr, &mut self.params, partition, sort)?)
    }

    /// An `UpdateExpression`.
    pub fn update(&mut self, expr: &str) -> Result<Update> {
        Ok(x::parse_update(expr, &mut self.params)?)
    }

    /// A `ProjectionExpression`.
    pub fn projection(&mut self, expr: Option<&str>) -> Result<Option<Projection>> {
        expr.map(|e| x::parse_projection(e, &mut self.params).map_err(Into::into))
            .transpose()
    }

    /// Fails when a placeholder was given but not used, as AWS does.
    pub fn finish(self) -> Result<()> {
        Ok(self.params.check_all_used()?)
    }
}

/// Whether `cond` holds on `item` (`None`: no item).
pub fn holds(cond: &Condition, item: Option<&firedrill_ddb_expr::Item>) -> Result<bool> {
    Ok(cond.evaluate(item)?)
}

/// Checks every value of an item (or key) and normalises its numbers; an
/// empty attribute name is refused as AWS refuses it.
pub fn normalize_item(item: &firedrill_ddb_expr::Item) -> Result<firedrill_ddb_expr::Item> {
    item.iter()
        .map(|(k, v)| {
            if k.is_empty() {
                return Err(DynamoDbError::validation(
                    "One or more parameter values were invalid: Empty attribute name",
                ));
            }
            Ok((k.clone(), x::normalize_value(v)?))
        })
        .collect()
}
