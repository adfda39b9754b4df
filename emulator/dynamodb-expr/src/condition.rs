//! ConditionExpression and FilterExpression: resolution of the raw tree
//! (placeholders, functions, AWS's parse-time checks) and evaluation
//! against an item. The key-condition module reuses the resolved tree.

use crate::ExprError;
use crate::number::Decimal;
use crate::ops::{compare, short_type, show_value, values_equal};
use crate::params::Params;
use crate::path::{DocPath, Resolver, Severity};
use crate::syntax::{self, CmpOp, RawCond, RawOperand};
use crate::value::{AttributeValue, Item};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The most operands `IN` takes.
const MAX_IN_OPERANDS: usize = 100;

/// The type names `attribute_type` accepts.
const TYPE_NAMES: &[&str] = &["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

/// A resolved operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Path(DocPath),
    Value(AttributeValue),
    Size(Box<Operand>),
}

/// A resolved condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Cmp(CmpOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Exists(DocPath),
    NotExists(DocPath),
    AttrType(Operand, String),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// A parsed ConditionExpression or FilterExpression, with every `#name` and
/// `:value` resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub(crate) root: Cond,
}

/// Parses a ConditionExpression.
pub fn parse_condition(expr: &str, params: &mut Params) -> Result<Condition, ExprError> {
    parse_condition_named(expr, "ConditionExpression", params)
}

/// Parses a condition whose errors name it `kind` (`"FilterExpression"`,
/// `"ConditionExpression"`): "Invalid FilterExpression: ...".
pub fn parse_condition_named(expr: &str, kind: &str, params: &mut Params) -> Result<Condition, ExprError> {
    let raw = syntax::parse_condition(kind, expr)?;
    let mut r = Resolver::new(kind, params);
    let root = resolve_cond(&mut r, &raw);
    r.finish()?;
    Ok(Condition { root })
}

impl Condition {
    /// Evaluates the condition against an item (`None`: the item is absent).
    /// Comparisons of mismatched types are false, as in AWS.
    pub fn evaluate(&self, item: Option<&Item>) -> Result<bool, ExprError> {
        Ok(eval(&self.root, item))
    }

    /// The top-level attribute names the condition refers to, sorted and
    /// without duplicates (e.g. to reject key attributes in a Query's
    /// FilterExpression, as AWS does).
    pub fn attributes(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_cond(&self.root, &mut out);
        out.sort();
        out.dedup();
        out
    }
}

fn collect_operand(op: &Operand, out: &mut Vec<String>) {
    match op {
        Operand::Path(p) => out.push(p.head().to_string()),
        Operand::Value(_) => {}
        Operand::Size(inner) => collect_operand(inner, out),
    }
}

fn collect_cond(c: &Cond, out: &mut Vec<String>) {
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            collect_cond(a, out);
            collect_cond(b, out);
        }
        Cond::Not(a) => collect_cond(a, out),
        Cond::Cmp(_, a, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
            collect_operand(a, out);
            collect_operand(b, out);
        }
        Cond::Between(a, b, c) => [a, b, c].into_iter().for_each(|x| collect_operand(x, out)),
        Cond::In(a, list) => {
            collect_operand(a, out);
            list.iter().for_each(|x| collect_operand(x, out));
        }
        Cond::Exists(p) | Cond::NotExists(p) => out.push(p.head().to_string()),
        Cond::AttrType(a, _) => collect_operand(a, out),
    }
}

fn literal_type(op: &Operand) -> Option<&'static str> {
    match op {
        Operand::Value(v) => Some(short_type(v)),
        Operand::Size(_) => Some("N"),
        Operand::Path(_) => None,
    }
}

fn check_distinct(r: &mut Resolver, name: &str, a: &Operand, b: &Operand) {
    if let (Operand::Path(p), Operand::Path(q)) = (a, b)
        && p == q
    {
        r.report(
            Severity::Check,
            format!(
                "The first operand must be distinct from the remaining operands for this operator or function; operator: {name}, first operand: {p}"
            ),
        );
    }
}

pub(crate) fn resolve_cond(r: &mut Resolver, raw: &RawCond) -> Cond {
    match raw {
        RawCond::Paren(inner) => {
            if r.reject_redundant_parens && matches!(**inner, RawCond::Paren(_)) {
                r.report(Severity::Parens, "The expression has redundant parentheses;");
            }
            resolve_cond(r, inner)
        }
        RawCond::And(a, b) => Cond::And(Box::new(resolve_cond(r, a)), Box::new(resolve_cond(r, b))),
        RawCond::Or(a, b) => Cond::Or(Box::new(resolve_cond(r, a)), Box::new(resolve_cond(r, b))),
        RawCond::Not(a) => Cond::Not(Box::new(resolve_cond(r, a))),
        RawCond::Cmp(op, a, b) => {
            let a = operand(r, a);
            let b = operand(r, b);
            check_distinct(r, op.symbol(), &a, &b);
            Cond::Cmp(*op, a, b)
        }
        RawCond::Between(a, lo, hi) => {
            let a = operand(r, a);
            let lo = operand(r, lo);
            let hi = operand(r, hi);
            if let (Operand::Value(x), Operand::Value(y)) = (&lo, &hi) {
                if x.type_descriptor() != y.type_descriptor() {
                    r.report(Severity::Check, format!(
                        "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                        show_value(x), show_value(y)
                    ));
                } else if compare(x, y) == Some(Ordering::Greater) {
                    r.report(Severity::Check, format!(
                        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                        show_value(x), show_value(y)
                    ));
                }
            }
            Cond::Between(a, lo, hi)
        }
        RawCond::In(a, list) => {
            let a = operand(r, a);
            let list: Vec<Operand> = list.iter().map(|x| operand(r, x)).collect();
            if list.len() > MAX_IN_OPERANDS {
                r.report(
                    Severity::Check,
                    format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    ),
                );
            }
            Cond::In(a, list)
        }
        RawCond::Func(name, args) => function(r, name, args),
    }
}

fn arity(r: &mut Resolver, name: &str, args: &[Operand], want: usize) -> bool {
    if args.len() != want {
        r.report(
            Severity::Check,
            format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                args.len()
            ),
        );
        return false;
    }
    true
}

fn operand_type_error(r: &mut Resolver, name: &str, ty: &str) {
    r.report(
        Severity::Check,
        format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {ty}"),
    );
}

/// A function used as a whole condition.
fn function(r: &mut Resolver, name: &str, raw_args: &[RawOperand]) -> Cond {
    let known = [
        "attribute_exists",
        "attribute_not_exists",
        "attribute_type",
        "begins_with",
        "contains",
    ];
    let args: Vec<Operand> = raw_args.iter().map(|a| operand(r, a)).collect();
    let placeholder = Cond::Exists(DocPath(Vec::new()));
    if name == "size" {
        r.report(
            Severity::Misuse,
            format!("The function is not allowed to be used this way in an expression; function: {name}"),
        );
        return placeholder;
    }
    if !known.contains(&name) {
        r.report(
            Severity::UnknownFunction,
            format!("Invalid function name; function: {name}"),
        );
        return placeholder;
    }
    match name {
        "attribute_exists" | "attribute_not_exists" => {
            if !arity(r, name, &args, 1) {
                return placeholder;
            }
            let [arg] = args.as_slice() else {
                return placeholder;
            };
            match arg {
                Operand::Path(p) if name == "attribute_exists" => Cond::Exists(p.clone()),
                Operand::Path(p) => Cond::NotExists(p.clone()),
                _ => {
                    r.report(
                        Severity::Check,
                        format!(
                            "Operator or function requires a document path; operator or function: {name}"
                        ),
                    );
                    placeholder
                }
            }
        }
        "attribute_type" => {
            if !arity(r, name, &args, 2) {
                return placeholder;
            }
            let [subject, type_name] = args.as_slice() else {
                return placeholder;
            };
            match type_name {
                Operand::Value(AttributeValue::S(t)) => {
                    if !TYPE_NAMES.contains(&t.as_str()) {
                        r.report(
                            Severity::Check,
                            format!("Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"),
                        );
                    }
                    Cond::AttrType(subject.clone(), t.clone())
                }
                other => {
                    let ty = literal_type(other).unwrap_or("{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
                    operand_type_error(r, name, ty);
                    placeholder
                }
            }
        }
        _ => {
            if !arity(r, name, &args, 2) {
                return placeholder;
            }
            let [a, b] = args.as_slice() else {
                return placeholder;
            };
            check_distinct(r, name, a, b);
            let (a, b) = (a.clone(), b.clone());
            if name == "begins_with" {
                for x in [&a, &b] {
                    if let Some(ty) = literal_type(x).filter(|t| *t != "S" && *t != "B") {
                        operand_type_error(r, name, ty);
                    }
                }
                Cond::BeginsWith(a, b)
            } else {
                Cond::Contains(a, b)
            }
        }
    }
}

/// An operand: a path, a value, or `size(...)`.
fn operand(r: &mut Resolver, raw: &RawOperand) -> Operand {
    match raw {
        RawOperand::Path(p) => Operand::Path(r.path(p)),
        RawOperand::Value(v) => Operand::Value(r.value(v)),
        RawOperand::Func(name, raw_args) => {
            let args: Vec<Operand> = raw_args.iter().map(|a| operand(r, a)).collect();
            let placeholder = Operand::Value(AttributeValue::Null(true));
            match name.as_str() {
                "size" => {
                    if !arity(r, name, &args, 1) {
                        return placeholder;
                    }
                    let [arg] = args.as_slice() else {
                        return placeholder;
                    };
                    if let Some(ty) = literal_type(arg).filter(|t| ["N", "BOOL", "NULL"].contains(t)) {
                        operand_type_error(r, name, ty);
                    }
                    Operand::Size(Box::new(arg.clone()))
                }
                "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains" => {
                    r.report(
                        Severity::Misuse,
                        format!("The function is not allowed to be used this way in an expression; function: {name}"),
                    );
                    placeholder
                }
                _ => {
                    r.report(
                        Severity::UnknownFunction,
                        format!("Invalid function name; function: {name}"),
                    );
                    placeholder
                }
            }
        }
    }
}

/// The number `size()` gives, or `None` for types without a size.
fn size_of(v: &AttributeValue) -> Option<usize> {
    use AttributeValue as V;
    match v {
        V::S(s) => Some(s.encode_utf16().count()),
        V::B(b) => Some(b.len()),
        V::Ss(x) | V::Ns(x) => Some(x.len()),
        V::Bs(x) => Some(x.len()),
        V::L(x) => Some(x.len()),
        V::M(x) => Some(x.len()),
        V::N(_) | V::Bool(_) | V::Null(_) => None,
    }
}

pub(crate) fn eval_operand<'a>(op: &'a Operand, item: Option<&'a Item>) -> Option<Cow<'a, AttributeValue>> {
    match op {
        Operand::Path(p) => item.and_then(|i| p.get(i)).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(inner) => {
            let v = eval_operand(inner, item)?;
            let n = size_of(&v)?;
            Some(Cow::Owned(AttributeValue::N(
                Decimal::from_u64(n as u64).to_plain_string(),
            )))
        }
    }
}

fn eval(c: &Cond, item: Option<&Item>) -> bool {
    let get = |op| eval_operand(op, item);
    match c {
        Cond::And(a, b) => eval(a, item) && eval(b, item),
        Cond::Or(a, b) => eval(a, item) || eval(b, item),
        Cond::Not(a) => !eval(a, item),
        Cond::Cmp(op, a, b) => match (get(a), get(b)) {
            (Some(x), Some(y)) => match op {
                CmpOp::Eq => values_equal(&x, &y),
                CmpOp::Ne => !values_equal(&x, &y),
                _ => compare(&x, &y).is_some_and(|o| match op {
                    CmpOp::Lt => o == Ordering::Less,
                    CmpOp::Le => o != Ordering::Greater,
                    CmpOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                }),
            },
            _ => *op == CmpOp::Ne,
        },
        Cond::Between(a, lo, hi) => match (get(a), get(lo), get(hi)) {
            (Some(x), Some(l), Some(h)) => {
                compare(&x, &l).is_some_and(|o| o != Ordering::Less)
                    && compare(&x, &h).is_some_and(|o| o != Ordering::Greater)
            }
            _ => false,
        },
        Cond::In(a, list) => match get(a) {
            Some(x) => list.iter().any(|o| get(o).is_some_and(|y| values_equal(&x, &y))),
            None => false,
        },
        Cond::Exists(p) => item.and_then(|i| p.get(i)).is_some(),
        Cond::NotExists(p) => item.and_then(|i| p.get(i)).is_none(),
        Cond::AttrType(a, t) => get(a).is_some_and(|v| v.type_descriptor() == t),
        Cond::BeginsWith(a, b) => match (get(a).as_deref(), get(b).as_deref()) {
            (Some(AttributeValue::S(x)), Some(AttributeValue::S(y))) => x.starts_with(y.as_str()),
            (Some(AttributeValue::B(x)), Some(AttributeValue::B(y))) => x.starts_with(y),
            _ => false,
        },
        Cond::Contains(a, b) => match (get(a), get(b)) {
            (Some(x), Some(y)) => contains(&x, &y),
            _ => false,
        },
    }
}

fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (haystack, needle) {
        (V::S(h), V::S(n)) => h.contains(n.as_str()),
        (V::B(h), V::B(n)) => n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice()),
        (V::Ss(h), V::S(n)) => h.contains(n),
        (V::Bs(h), V::B(n)) => h.contains(n),
        (V::Ns(h), V::N(_)) => h.iter().any(|m| values_equal(&V::N(m.clone()), needle)),
        (V::L(h), n) => h.iter().any(|e| values_equal(e, n)),
        _ => false,
    }
}
