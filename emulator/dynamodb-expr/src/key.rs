//! KeyConditionExpression: a condition restricted to `pk = :v` and at most
//! one sort-key condition, validated against the key schema of the table or
//! index being queried.

use crate::ExprError;
use crate::condition::{Cond, Operand, resolve_cond};
use crate::ops::{compare, values_equal};
use crate::params::Params;
use crate::path::{PathElem, Resolver};
use crate::syntax::{self, CmpOp};
use crate::value::AttributeValue;
use std::cmp::Ordering;

const KIND: &str = "KeyConditionExpression";

/// A condition on the sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKeyCondition {
    /// `sk = :v`
    Eq(AttributeValue),
    /// `sk < :v`
    Lt(AttributeValue),
    /// `sk <= :v`
    Le(AttributeValue),
    /// `sk > :v`
    Gt(AttributeValue),
    /// `sk >= :v`
    Ge(AttributeValue),
    /// `sk BETWEEN :lo AND :hi` (inclusive).
    Between(AttributeValue, AttributeValue),
    /// `begins_with(sk, :prefix)` for S and B.
    BeginsWith(AttributeValue),
}

impl SortKeyCondition {
    /// Whether a sort-key value satisfies the condition (false for mismatched types).
    pub fn matches(&self, v: &AttributeValue) -> bool {
        let cmp = |w: &AttributeValue| compare(v, w);
        match self {
            Self::Eq(w) => values_equal(v, w),
            Self::Lt(w) => cmp(w) == Some(Ordering::Less),
            Self::Le(w) => matches!(cmp(w), Some(Ordering::Less | Ordering::Equal)),
            Self::Gt(w) => cmp(w) == Some(Ordering::Greater),
            Self::Ge(w) => matches!(cmp(w), Some(Ordering::Greater | Ordering::Equal)),
            Self::Between(lo, hi) => {
                matches!(cmp(lo), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(hi), Some(Ordering::Less | Ordering::Equal))
            }
            Self::BeginsWith(p) => match (v, p) {
                (AttributeValue::S(x), AttributeValue::S(y)) => x.starts_with(y.as_str()),
                (AttributeValue::B(x), AttributeValue::B(y)) => x.starts_with(y),
                _ => false,
            },
        }
    }

    /// The values in the condition (to check them against the schema's type).
    pub fn values(&self) -> Vec<&AttributeValue> {
        match self {
            Self::Eq(v) | Self::Lt(v) | Self::Le(v) | Self::Gt(v) | Self::Ge(v) | Self::BeginsWith(v) => {
                vec![v]
            }
            Self::Between(a, b) => vec![a, b],
        }
    }
}

/// A parsed key condition.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    /// The partition key attribute name.
    pub partition_name: String,
    /// The value the partition key must equal.
    pub partition_value: AttributeValue,
    /// The sort key attribute name and its condition, if any.
    pub sort: Option<(String, SortKeyCondition)>,
}

impl KeyCondition {
    /// Whether an item's key attributes satisfy the whole condition.
    pub fn matches(&self, item: &crate::Item) -> bool {
        let pk_ok = item
            .get(&self.partition_name)
            .is_some_and(|v| values_equal(v, &self.partition_value));
        pk_ok
            && match &self.sort {
                None => true,
                Some((name, cond)) => item.get(name).is_some_and(|v| cond.matches(v)),
            }
    }
}

fn invalid(detail: impl std::fmt::Display) -> ExprError {
    ExprError::invalid(KIND, detail)
}

fn flatten<'c>(c: &'c Cond, out: &mut Vec<&'c Cond>) -> Result<(), ExprError> {
    match c {
        Cond::And(a, b) => {
            flatten(a, out)?;
            flatten(b, out)
        }
        Cond::Or(..) => Err(invalid("Invalid operator used in KeyConditionExpression: OR")),
        Cond::Not(..) => Err(invalid("Invalid operator used in KeyConditionExpression: NOT")),
        Cond::In(..) => Err(invalid("Invalid operator used in KeyConditionExpression: IN")),
        Cond::Cmp(CmpOp::Ne, ..) => Err(invalid("Invalid operator used in KeyConditionExpression: <>")),
        Cond::Exists(_) => Err(invalid(
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        )),
        Cond::NotExists(_) => Err(invalid(
            "Invalid operator used in KeyConditionExpression: attribute_not_exists",
        )),
        Cond::AttrType(..) => Err(invalid(
            "Invalid operator used in KeyConditionExpression: attribute_type",
        )),
        Cond::Contains(..) => Err(invalid(
            "Invalid operator used in KeyConditionExpression: contains",
        )),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

/// A leaf turned into (attribute, condition), with the attribute on the left.
fn leaf(c: &Cond) -> Result<(String, SortKeyCondition), ExprError> {
    let unsupported = || ExprError::new("Query key condition not supported");
    let attr = |op: &Operand| -> Result<Option<String>, ExprError> {
        match op {
            Operand::Path(p) => match p.0.as_slice() {
                [PathElem::Attr(a)] => Ok(Some(a.clone())),
                _ => Err(invalid(
                    "KeyConditionExpressions cannot have conditions on nested attributes",
                )),
            },
            _ => Ok(None),
        }
    };
    let value = |op: &Operand| -> Option<AttributeValue> {
        match op {
            Operand::Value(v) => Some(v.clone()),
            _ => None,
        }
    };
    match c {
        Cond::Cmp(op, a, b) => {
            let (name, v, op) = match (attr(a)?, attr(b)?) {
                (Some(n), None) => (n, value(b).ok_or_else(unsupported)?, *op),
                (None, Some(n)) => {
                    let flipped = match op {
                        CmpOp::Lt => CmpOp::Gt,
                        CmpOp::Le => CmpOp::Ge,
                        CmpOp::Gt => CmpOp::Lt,
                        CmpOp::Ge => CmpOp::Le,
                        other => *other,
                    };
                    (n, value(a).ok_or_else(unsupported)?, flipped)
                }
                _ => return Err(unsupported()),
            };
            let cond = match op {
                CmpOp::Eq => SortKeyCondition::Eq(v),
                CmpOp::Lt => SortKeyCondition::Lt(v),
                CmpOp::Le => SortKeyCondition::Le(v),
                CmpOp::Gt => SortKeyCondition::Gt(v),
                CmpOp::Ge => SortKeyCondition::Ge(v),
                CmpOp::Ne => return Err(invalid("Invalid operator used in KeyConditionExpression: <>")),
            };
            Ok((name, cond))
        }
        Cond::Between(a, lo, hi) => {
            let name = attr(a)?.ok_or_else(unsupported)?;
            let lo = value(lo).ok_or_else(unsupported)?;
            let hi = value(hi).ok_or_else(unsupported)?;
            Ok((name, SortKeyCondition::Between(lo, hi)))
        }
        Cond::BeginsWith(a, p) => {
            let name = attr(a)?.ok_or_else(unsupported)?;
            let p = value(p).ok_or_else(unsupported)?;
            Ok((name, SortKeyCondition::BeginsWith(p)))
        }
        _ => Err(unsupported()),
    }
}

/// Parses a KeyConditionExpression and validates it against the key schema
/// of the table or index queried (`partition_key`, optional `sort_key`).
pub fn parse_key_condition(
    expr: &str,
    params: &mut Params,
    partition_key: &str,
    sort_key: Option<&str>,
) -> Result<KeyCondition, ExprError> {
    let raw = syntax::parse_condition(KIND, expr)?;
    let mut r = Resolver::new(KIND, params);
    r.reject_redundant_parens = false;
    let root = resolve_cond(&mut r, &raw);
    r.finish()?;
    let mut leaves = Vec::new();
    flatten(&root, &mut leaves)?;
    if leaves.len() > 2 {
        return Err(invalid(
            "KeyConditionExpressions must only contain one condition per key",
        ));
    }
    let mut partition: Option<AttributeValue> = None;
    let mut sort: Option<(String, SortKeyCondition)> = None;
    let mut others: Vec<String> = Vec::new();
    for c in leaves {
        let (name, cond) = leaf(c)?;
        if name == partition_key {
            if partition.is_some() {
                return Err(invalid(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            match cond {
                SortKeyCondition::Eq(v) => partition = Some(v),
                _ => return Err(ExprError::new("Query key condition not supported")),
            }
        } else if Some(name.as_str()) == sort_key {
            if sort.is_some() {
                return Err(invalid(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            sort = Some((name, cond));
        } else {
            others.push(name);
        }
    }
    let Some(partition_value) = partition else {
        return Err(ExprError::new(format!(
            "Query condition missed key schema element: {partition_key}"
        )));
    };
    if !others.is_empty() {
        return Err(match sort_key {
            Some(sk) if sort.is_none() => {
                ExprError::new(format!("Query condition missed key schema element: {sk}"))
            }
            _ => ExprError::new("Query key condition not supported"),
        });
    }
    Ok(KeyCondition {
        partition_name: partition_key.to_string(),
        partition_value,
        sort,
    })
}
