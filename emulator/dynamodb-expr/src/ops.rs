//! Operations on attribute values that every expression needs: DynamoDB's
//! equality and ordering, and validation of client-supplied values.

use crate::ExprError;
use crate::number::Decimal;
use crate::value::{AttributeValue, Item};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::cmp::Ordering;

/// The deepest nesting of maps and lists DynamoDB accepts.
pub const MAX_NESTING: usize = 32;

/// DynamoDB ordering of two scalar values of the same type: N as exact
/// decimals, S by UTF-8 bytes, B bytewise. `None` if the types differ, a
/// value is not scalar, or a number does not parse.
pub fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => {
            Some(Decimal::parse(x).ok()?.cmp(&Decimal::parse(y).ok()?))
        }
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn numbers_equal(x: &str, y: &str) -> bool {
    match (Decimal::parse(x), Decimal::parse(y)) {
        (Ok(a), Ok(b)) => a == b,
        _ => x == y,
    }
}

/// DynamoDB equality: same type and same value, numbers compared exactly,
/// sets compared regardless of order, lists in order, maps by key.
pub fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (a, b) {
        (V::N(x), V::N(y)) => numbers_equal(x, y),
        (V::S(x), V::S(y)) => x == y,
        (V::B(x), V::B(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Null(_), V::Null(_)) => true,
        (V::Ss(x), V::Ss(y)) => x.len() == y.len() && x.iter().all(|s| y.contains(s)),
        (V::Bs(x), V::Bs(y)) => x.len() == y.len() && x.iter().all(|s| y.contains(s)),
        (V::Ns(x), V::Ns(y)) => x.len() == y.len() && x.iter().all(|n| y.iter().any(|m| numbers_equal(n, m))),
        (V::L(x), V::L(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q)),
        (V::M(x), V::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => false,
    }
}

fn set_empty(kind: &str) -> ExprError {
    ExprError::new(format!(
        "One or more parameter values were invalid: An {kind} set  may not be empty"
    ))
}

fn duplicates(shown: &[String]) -> ExprError {
    ExprError::new(format!(
        "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
        shown.join(", ")
    ))
}

/// Validates a client-supplied value as DynamoDB does: numbers parse and fit
/// (38 digits, 1E-130..1E+126), sets are non-empty without duplicates, NULL
/// is `true`, nesting is at most 32 levels.
pub fn validate_value(v: &AttributeValue) -> Result<(), ExprError> {
    validate_at(v, 0)
}

fn validate_at(v: &AttributeValue, depth: usize) -> Result<(), ExprError> {
    use AttributeValue as V;
    match v {
        V::S(_) | V::B(_) | V::Bool(_) => Ok(()),
        V::N(n) => Decimal::parse_dynamodb(n).map(|_| ()),
        V::Null(true) => Ok(()),
        V::Null(false) => Err(ExprError::new(
            "One or more parameter values were invalid: Null attribute value types must have the value of true",
        )),
        V::Ss(set) => {
            if set.is_empty() {
                return Err(set_empty("string"));
            }
            for (i, s) in set.iter().enumerate() {
                if set.iter().take(i).any(|earlier| earlier == s) {
                    return Err(duplicates(set));
                }
            }
            Ok(())
        }
        V::Ns(set) => {
            if set.is_empty() {
                return Err(set_empty("number"));
            }
            let mut parsed: Vec<Decimal> = Vec::with_capacity(set.len());
            for n in set {
                let d = Decimal::parse_dynamodb(n)?;
                if parsed.contains(&d) {
                    return Err(duplicates(set));
                }
                parsed.push(d);
            }
            Ok(())
        }
        V::Bs(set) => {
            if set.is_empty() {
                return Err(set_empty("binary"));
            }
            for (i, b) in set.iter().enumerate() {
                if set.iter().take(i).any(|earlier| earlier == b) {
                    let shown: Vec<String> = set.iter().map(|b| STANDARD.encode(b)).collect();
                    return Err(duplicates(&shown));
                }
            }
            Ok(())
        }
        V::L(list) => {
            if depth >= MAX_NESTING {
                return Err(too_deep());
            }
            list.iter().try_for_each(|x| validate_at(x, depth + 1))
        }
        V::M(map) => {
            if depth >= MAX_NESTING {
                return Err(too_deep());
            }
            map.values().try_for_each(|x| validate_at(x, depth + 1))
        }
    }
}

fn too_deep() -> ExprError {
    ExprError::new("One or more parameter values were invalid: Nesting Levels have exceeded supported limits")
}

/// Validates every attribute of an item.
pub fn validate_item(item: &Item) -> Result<(), ExprError> {
    item.values().try_for_each(validate_value)
}

/// The value with every number (also in sets, lists and maps) rewritten to
/// its canonical text, as DynamoDB returns it. Validates on the way.
pub fn normalize_value(v: &AttributeValue) -> Result<AttributeValue, ExprError> {
    validate_value(v)?;
    Ok(normalize_unchecked(v))
}

/// The value with its numbers in canonical text, without validating;
/// numbers that do not parse or are out of range are kept as they are.
pub(crate) fn normalize_unchecked(v: &AttributeValue) -> AttributeValue {
    use AttributeValue as V;
    let norm = |n: &String| match Decimal::parse(n) {
        Ok(d) if d.check_limits().is_ok() => d.to_plain_string(),
        _ => n.clone(),
    };
    match v {
        V::N(n) => V::N(norm(n)),
        V::Ns(set) => V::Ns(set.iter().map(norm).collect()),
        V::L(l) => V::L(l.iter().map(normalize_unchecked).collect()),
        V::M(m) => V::M(
            m.iter()
                .map(|(k, v)| (k.clone(), normalize_unchecked(v)))
                .collect(),
        ),
        V::Null(_) => V::Null(true),
        other => other.clone(),
    }
}

/// The short type name used in AWS's operand-type messages (`S`, `N`, ...).
pub(crate) fn short_type(v: &AttributeValue) -> &'static str {
    v.type_descriptor()
}

/// The long type name used in AWS's ADD/DELETE operand messages.
pub(crate) fn long_type(v: &AttributeValue) -> &'static str {
    use AttributeValue as V;
    match v {
        V::S(_) => "STRING",
        V::N(_) => "NUMBER",
        V::B(_) => "BINARY",
        V::Ss(_) => "STRING_SET",
        V::Ns(_) => "NUMBER_SET",
        V::Bs(_) => "BINARY_SET",
        V::M(_) => "MAP",
        V::L(_) => "LIST",
        V::Null(_) => "NULL",
        V::Bool(_) => "BOOLEAN",
    }
}

/// How AWS prints a scalar value in messages: `{N:5}`, `{S:abc}`.
pub(crate) fn show_value(v: &AttributeValue) -> String {
    use AttributeValue as V;
    let inner = match v {
        V::S(s) => s.clone(),
        V::N(n) => n.clone(),
        V::B(b) => STANDARD.encode(b),
        V::Bool(b) => b.to_string(),
        V::Null(b) => b.to_string(),
        V::Ss(s) | V::Ns(s) => format!("[{}]", s.join(", ")),
        V::Bs(s) => format!(
            "[{}]",
            s.iter()
                .map(|b| STANDARD.encode(b))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        V::L(l) => format!("[{}]", l.iter().map(show_value).collect::<Vec<_>>().join(", ")),
        V::M(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", show_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("{{{}:{inner}}}", v.type_descriptor())
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttributeValue as V;

    fn n(s: &str) -> V {
        V::N(s.to_string())
    }
    fn s(x: &str) -> V {
        V::S(x.to_string())
    }

    #[test]
    fn compares_scalars_of_the_same_type() {
        assert_eq!(compare(&n("2"), &n("10")), Some(Ordering::Less));
        assert_eq!(compare(&s("2"), &s("10")), Some(Ordering::Greater));
        assert_eq!(compare(&V::B(vec![1]), &V::B(vec![1, 0])), Some(Ordering::Less));
        assert_eq!(compare(&n("1"), &s("1")), None);
        assert_eq!(compare(&V::Bool(true), &V::Bool(true)), None);
        assert_eq!(compare(&s("é"), &s("z")), Some(Ordering::Greater));
    }

    #[test]
    fn equality_is_exact_and_set_order_free() {
        assert!(values_equal(&n("1.0"), &n("1")));
        assert!(!values_equal(&n("1"), &s("1")));
        assert!(values_equal(
            &V::Ns(vec!["1".into(), "2.0".into()]),
            &V::Ns(vec!["2".into(), "1".into()])
        ));
        assert!(values_equal(
            &V::Ss(vec!["a".into(), "b".into()]),
            &V::Ss(vec!["b".into(), "a".into()])
        ));
        assert!(!values_equal(
            &V::L(vec![n("1"), n("2")]),
            &V::L(vec![n("2"), n("1")])
        ));
    }

    #[test]
    fn validates_values_with_aws_messages() {
        assert_eq!(
            validate_value(&n("abc")).unwrap_err().message,
            "The parameter cannot be converted to a numeric value: abc"
        );
        assert_eq!(
            validate_value(&V::Ss(vec![])).unwrap_err().message,
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        assert_eq!(
            validate_value(&V::Ns(vec![])).unwrap_err().message,
            "One or more parameter values were invalid: An number set  may not be empty"
        );
        assert_eq!(
            validate_value(&V::Ss(vec!["a".into(), "a".into()]))
                .unwrap_err()
                .message,
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
        );
        assert_eq!(
            validate_value(&V::Ns(vec!["1".into(), "1.0".into()]))
                .unwrap_err()
                .message,
            "One or more parameter values were invalid: Input collection [1, 1.0] contains duplicates."
        );
        assert!(validate_value(&V::Bs(vec![vec![1], vec![1]])).is_err());
        assert_eq!(
            validate_value(&V::Null(false)).unwrap_err().message,
            "One or more parameter values were invalid: Null attribute value types must have the value of true"
        );
        assert!(normalize_value(&V::Null(false)).is_err());
        assert!(validate_value(&V::M([("x".to_string(), n("1e200"))].into())).is_err());
        let mut deep = n("1");
        for _ in 0..40 {
            deep = V::L(vec![deep]);
        }
        assert!(
            validate_value(&deep)
                .unwrap_err()
                .message
                .contains("Nesting Levels")
        );
        assert!(validate_value(&V::Ns(vec!["1".into(), "2".into()])).is_ok());
    }

    #[test]
    fn normalizes_nested_numbers() {
        let v = V::M([("x".to_string(), V::L(vec![n("1.50"), V::Ns(vec!["2E1".into()])]))].into());
        let want = V::M([("x".to_string(), V::L(vec![n("1.5"), V::Ns(vec!["20".into()])]))].into());
        assert_eq!(normalize_value(&v).unwrap(), want);
    }
}
