//! UpdateExpression: `SET` (with `+`, `-`, `if_not_exists`, `list_append`),
//! `REMOVE` (also list elements), `ADD` (numbers and sets) and `DELETE`
//! (from sets), each clause at most once and in any order. Parsing resolves
//! placeholders and makes AWS's parse-time checks; `apply` computes the new
//! item from a copy of the old one.

use crate::ExprError;
use crate::number::Decimal;
use crate::ops::{long_type, short_type, values_equal};
use crate::params::Params;
use crate::path::{DocPath, PathElem, Resolver, Severity};
use crate::syntax::{self, Clause, RawAction, RawOperand, RawSetValue};
use crate::value::{AttributeValue, Item};

const KIND: &str = "UpdateExpression";

/// A resolved operand of a `SET` value.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(DocPath),
    Value(AttributeValue),
    IfNotExists(DocPath, Box<Operand>),
    ListAppend(Box<Operand>, Box<Operand>),
}

/// The right-hand side of a `SET` action.
#[derive(Debug, Clone, PartialEq)]
enum SetValue {
    Operand(Operand),
    Plus(Operand, Operand),
    Minus(Operand, Operand),
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Set(DocPath, SetValue),
    Remove(DocPath),
    Add(DocPath, AttributeValue),
    Delete(DocPath, AttributeValue),
}

impl Action {
    fn path(&self) -> &DocPath {
        match self {
            Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _) => p,
        }
    }
}

/// A parsed UpdateExpression.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    actions: Vec<Action>,
}

/// Parses an UpdateExpression, resolving its placeholders.
pub fn parse_update(expr: &str, params: &mut Params) -> Result<Update, ExprError> {
    let raw = syntax::parse_update(expr)?;
    let mut r = Resolver::new(KIND, params);
    let mut seen: Vec<Clause> = Vec::new();
    for c in &raw.clauses {
        if seen.contains(c) {
            r.report(
                Severity::Section,
                format!(
                    "The \"{}\" section can only be used once in an update expression;",
                    c.keyword()
                ),
            );
        }
        seen.push(*c);
    }
    let actions: Vec<Action> = raw.actions.iter().map(|a| resolve_action(&mut r, a)).collect();
    let paths: Vec<&DocPath> = actions.iter().map(Action::path).collect();
    r.check_overlaps(&paths);
    r.finish()?;
    Ok(Update { actions })
}

fn resolve_action(r: &mut Resolver, raw: &RawAction) -> Action {
    match raw {
        RawAction::Set(p, v) => {
            let path = r.path(p);
            let value = match v {
                RawSetValue::Operand(o) => SetValue::Operand(operand(r, o)),
                RawSetValue::Plus(a, b) => {
                    let (a, b) = (operand(r, a), operand(r, b));
                    check_arithmetic(r, "+", &[&a, &b]);
                    SetValue::Plus(a, b)
                }
                RawSetValue::Minus(a, b) => {
                    let (a, b) = (operand(r, a), operand(r, b));
                    check_arithmetic(r, "-", &[&a, &b]);
                    SetValue::Minus(a, b)
                }
            };
            Action::Set(path, value)
        }
        RawAction::Remove(p) => Action::Remove(r.path(p)),
        RawAction::Add(p, v) => {
            let path = r.path(p);
            let value = r.value(v);
            if !matches!(
                value,
                AttributeValue::N(_) | AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
            ) {
                r.report(Severity::Check, format!(
                    "Incorrect operand type for operator or function; operator: ADD, operand type: {}, typeSet: ALLOWED_FOR_ADD_OPERAND",
                    long_type(&value)
                ));
            }
            Action::Add(path, value)
        }
        RawAction::Delete(p, v) => {
            let path = r.path(p);
            let value = r.value(v);
            if !matches!(
                value,
                AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
            ) {
                r.report(Severity::Check, format!(
                    "Incorrect operand type for operator or function; operator: DELETE, operand type: {}, typeSet: ALLOWED_FOR_DELETE_OPERAND",
                    long_type(&value)
                ));
            }
            Action::Delete(path, value)
        }
    }
}

fn check_arithmetic(r: &mut Resolver, op: &str, args: &[&Operand]) {
    for a in args {
        let ty = match a {
            Operand::Value(v) => short_type(v),
            Operand::ListAppend(..) => "L",
            _ => continue,
        };
        if ty != "N" {
            r.report(
                Severity::Check,
                format!("Incorrect operand type for operator or function; operator or function: {op}, operand type: {ty}"),
            );
            return;
        }
    }
}

fn operand(r: &mut Resolver, raw: &RawOperand) -> Operand {
    match raw {
        RawOperand::Path(p) => Operand::Path(r.path(p)),
        RawOperand::Value(v) => Operand::Value(r.value(v)),
        RawOperand::Func(name, raw_args) => {
            let args: Vec<Operand> = raw_args.iter().map(|a| operand(r, a)).collect();
            let placeholder = Operand::Value(AttributeValue::Null(true));
            let known = name == "if_not_exists" || name == "list_append";
            if !known {
                let condition_only = [
                    "attribute_exists",
                    "attribute_not_exists",
                    "attribute_type",
                    "begins_with",
                    "contains",
                    "size",
                ];
                let message = if condition_only.contains(&name.as_str()) {
                    format!("The function is not allowed in an update expression; function: {name}")
                } else {
                    format!("Invalid function name; function: {name}")
                };
                r.report(Severity::UnknownFunction, message);
                return placeholder;
            }
            if args.len() != 2 {
                r.report(Severity::Check, format!(
                    "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                    args.len()
                ));
                return placeholder;
            }
            let mut args = args.into_iter();
            let (a, b) = match (args.next(), args.next()) {
                (Some(a), Some(b)) => (a, b),
                _ => return placeholder,
            };
            if name == "if_not_exists" {
                match a {
                    Operand::Path(p) => Operand::IfNotExists(p, Box::new(b)),
                    _ => {
                        r.report(
                            Severity::Check,
                            "Operator or function requires a document path; operator or function: if_not_exists",
                        );
                        placeholder
                    }
                }
            } else {
                for x in [&a, &b] {
                    if let Operand::Value(v) = x
                        && !matches!(v, AttributeValue::L(_))
                    {
                        r.report(Severity::Check, format!(
                            "Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                            short_type(v)
                        ));
                    }
                }
                Operand::ListAppend(Box::new(a), Box::new(b))
            }
        }
    }
}

impl Update {
    /// Applies the update to a copy of the item (an absent item starts
    /// empty). All right-hand sides see the item as it was before the update.
    pub fn apply(&self, item: &Item, key_attributes: &[&str]) -> Result<Item, ExprError> {
        self.check_keys(key_attributes)?;
        let mut sets: Vec<(&DocPath, AttributeValue)> = Vec::new();
        for a in &self.actions {
            if let Action::Set(p, v) = a {
                sets.push((p, eval_set_value(v, item)?));
            }
        }
        sets.sort_by(|a, b| a.0.0.cmp(&b.0.0));
        let mut out = item.clone();
        for (p, v) in sets {
            set_at(&mut out, p, v)?;
        }
        let mut removes: Vec<&DocPath> = Vec::new();
        for a in &self.actions {
            match a {
                Action::Add(p, v) => {
                    let new = match p.get(&out) {
                        None => v.clone(),
                        Some(cur) => add_values(cur, v)?,
                    };
                    set_at(&mut out, p, new)?;
                }
                Action::Delete(p, v) => {
                    if let Some(cur) = p.get(&out) {
                        match delete_values(cur, v)? {
                            Some(rest) => set_at(&mut out, p, rest)?,
                            None => removes.push(p),
                        }
                    }
                }
                Action::Remove(p) => removes.push(p),
                Action::Set(..) => {}
            }
        }
        removes.sort_by(|a, b| b.0.cmp(&a.0));
        for p in removes {
            remove_at(&mut out, p);
        }
        Ok(out)
    }

    /// AWS's error when the update touches a key attribute (also nested
    /// under it). `apply` makes this check too; call it early to report the
    /// error before evaluating a ConditionExpression, as AWS does.
    pub fn check_keys(&self, key_attributes: &[&str]) -> Result<(), ExprError> {
        for a in &self.actions {
            let head = a.path().head();
            if key_attributes.contains(&head) {
                return Err(ExprError::new(format!(
                    "One or more parameter values were invalid: Cannot update attribute {head}. This attribute is part of the key"
                )));
            }
        }
        Ok(())
    }

    /// Whether the update only takes away (`REMOVE`, `DELETE`): applied to
    /// an item that does not exist, it creates nothing, as on AWS.
    pub fn only_removes(&self) -> bool {
        self.actions
            .iter()
            .all(|a| matches!(a, Action::Remove(_) | Action::Delete(..)))
    }

    /// The top-level attribute names this update touches, in order of first
    /// appearance (for ReturnValues UPDATED_OLD / UPDATED_NEW).
    pub fn touched_attributes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in &self.actions {
            let h = a.path().head();
            if !out.iter().any(|x| x == h) {
                out.push(h.to_string());
            }
        }
        out
    }
}

fn eval_operand(op: &Operand, item: &Item) -> Result<AttributeValue, ExprError> {
    match op {
        Operand::Path(p) => p.get(item).cloned().ok_or_else(ExprError::missing_attribute),
        Operand::Value(v) => Ok(v.clone()),
        Operand::IfNotExists(p, default) => match p.get(item) {
            Some(v) => Ok(v.clone()),
            None => eval_operand(default, item),
        },
        Operand::ListAppend(a, b) => match (eval_operand(a, item)?, eval_operand(b, item)?) {
            (AttributeValue::L(mut x), AttributeValue::L(y)) => {
                x.extend(y);
                Ok(AttributeValue::L(x))
            }
            _ => Err(ExprError::incorrect_data_type()),
        },
    }
}

fn number(v: &AttributeValue) -> Result<Decimal, ExprError> {
    match v {
        AttributeValue::N(n) => Decimal::parse(n),
        _ => Err(ExprError::incorrect_data_type()),
    }
}

fn number_value(d: Decimal) -> Result<AttributeValue, ExprError> {
    d.check_limits()?;
    Ok(AttributeValue::N(d.to_plain_string()))
}

fn eval_set_value(v: &SetValue, item: &Item) -> Result<AttributeValue, ExprError> {
    match v {
        SetValue::Operand(o) => eval_operand(o, item),
        SetValue::Plus(a, b) => {
            let (x, y) = (eval_operand(a, item)?, eval_operand(b, item)?);
            number_value(number(&x)?.checked_add(&number(&y)?)?)
        }
        SetValue::Minus(a, b) => {
            let (x, y) = (eval_operand(a, item)?, eval_operand(b, item)?);
            number_value(number(&x)?.checked_sub(&number(&y)?)?)
        }
    }
}

fn union<T: Clone>(cur: &[T], add: &[T], same: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut out = cur.to_vec();
    for x in add {
        if !out.iter().any(|y| same(x, y)) {
            out.push(x.clone());
        }
    }
    out
}

fn numbers_same(a: &str, b: &str) -> bool {
    values_equal(
        &AttributeValue::N(a.to_string()),
        &AttributeValue::N(b.to_string()),
    )
}

fn add_values(cur: &AttributeValue, v: &AttributeValue) -> Result<AttributeValue, ExprError> {
    use AttributeValue as V;
    match (cur, v) {
        (V::N(_), V::N(_)) => number_value(number(cur)?.checked_add(&number(v)?)?),
        (V::Ss(x), V::Ss(y)) => Ok(V::Ss(union(x, y, |a, b| a == b))),
        (V::Ns(x), V::Ns(y)) => Ok(V::Ns(union(x, y, |a, b| numbers_same(a, b)))),
        (V::Bs(x), V::Bs(y)) => Ok(V::Bs(union(x, y, |a, b| a == b))),
        _ => Err(ExprError::incorrect_data_type()),
    }
}

/// The set left after removing `v`'s members, or `None` when it is empty.
fn delete_values(cur: &AttributeValue, v: &AttributeValue) -> Result<Option<AttributeValue>, ExprError> {
    use AttributeValue as V;
    let out = match (cur, v) {
        (V::Ss(x), V::Ss(y)) => V::Ss(x.iter().filter(|a| !y.contains(a)).cloned().collect()),
        (V::Ns(x), V::Ns(y)) => V::Ns(
            x.iter()
                .filter(|a| !y.iter().any(|b| numbers_same(a, b)))
                .cloned()
                .collect(),
        ),
        (V::Bs(x), V::Bs(y)) => V::Bs(x.iter().filter(|a| !y.contains(a)).cloned().collect()),
        _ => return Err(ExprError::incorrect_data_type()),
    };
    let empty = match &out {
        V::Ss(s) | V::Ns(s) => s.is_empty(),
        V::Bs(s) => s.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(out))
}

fn step_mut<'a>(v: &'a mut AttributeValue, e: &PathElem) -> Option<&'a mut AttributeValue> {
    match (v, e) {
        (AttributeValue::M(m), PathElem::Attr(a)) => m.get_mut(a),
        (AttributeValue::L(l), PathElem::Index(i)) => l.get_mut(*i),
        _ => None,
    }
}

/// The container holding the last element of `path`, and that element.
fn parent_mut<'a>(item: &'a mut Item, path: &'a DocPath) -> Option<(&'a mut AttributeValue, &'a PathElem)> {
    let (last, init) = path.0.split_last()?;
    let (first, middle) = init.split_first()?;
    let PathElem::Attr(name) = first else { return None };
    let mut cur = item.get_mut(name)?;
    for e in middle {
        cur = step_mut(cur, e)?;
    }
    Some((cur, last))
}

fn set_at(item: &mut Item, path: &DocPath, v: AttributeValue) -> Result<(), ExprError> {
    if let [PathElem::Attr(name)] = path.0.as_slice() {
        item.insert(name.clone(), v);
        return Ok(());
    }
    let (parent, last) = parent_mut(item, path).ok_or_else(ExprError::invalid_update_path)?;
    match (parent, last) {
        (AttributeValue::M(m), PathElem::Attr(a)) => {
            m.insert(a.clone(), v);
            Ok(())
        }
        (AttributeValue::L(l), PathElem::Index(i)) => {
            match l.get_mut(*i) {
                Some(slot) => *slot = v,
                None => l.push(v),
            }
            Ok(())
        }
        _ => Err(ExprError::invalid_update_path()),
    }
}

fn remove_at(item: &mut Item, path: &DocPath) {
    if let [PathElem::Attr(name)] = path.0.as_slice() {
        item.remove(name);
        return;
    }
    if let Some((parent, last)) = parent_mut(item, path) {
        match (parent, last) {
            (AttributeValue::M(m), PathElem::Attr(a)) => {
                m.remove(a);
            }
            (AttributeValue::L(l), PathElem::Index(i)) if *i < l.len() => {
                l.remove(*i);
            }
            _ => {}
        }
    }
}
