//! ProjectionExpression: top-level and nested paths, list elements, names,
//! and AWS's messages.

mod common;

use common::{item, names};
use firedrill_ddb_expr::{Item, Params, parse_projection};

const ITEM: &str = r#"{
    "pk": {"S": "p"},
    "a": {"M": {"b": {"N": "1"}, "c": {"N": "2"}, "d": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]}}},
    "l": {"L": [{"S": "l0"}, {"M": {"k": {"S": "v"}, "j": {"S": "w"}}}, {"S": "l2"}]},
    "status": {"S": "open"}
}"#;

fn project(expr: &str) -> Result<Item, String> {
    let n = names(&[("#s", "status")]);
    let mut p = Params::new(Some(&n), None);
    let proj = parse_projection(expr, &mut p).map_err(|e| e.message)?;
    Ok(proj.apply(&item(ITEM)))
}

#[test]
fn selects_top_level_and_nested_parts() {
    assert_eq!(
        project("pk, #s").unwrap(),
        item(r#"{"pk":{"S":"p"},"status":{"S":"open"}}"#)
    );
    assert_eq!(
        project("a.b, a.d[2]").unwrap(),
        item(r#"{"a":{"M":{"b":{"N":"1"},"d":{"L":[{"S":"z"}]}}}}"#)
    );
    assert_eq!(
        project("l[2], l[0], l[1].j").unwrap(),
        item(r#"{"l":{"L":[{"S":"l0"},{"M":{"j":{"S":"w"}}},{"S":"l2"}]}}"#)
    );
    assert_eq!(project("absent, a.nope, l[7], pk.x").unwrap(), Item::new());
}

#[test]
fn errors() {
    assert_eq!(
        project("status").unwrap_err(),
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        project("a, a.b").unwrap_err(),
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        project("l[0], l.x").unwrap_err(),
        "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, x]"
    );
    assert_eq!(
        project("#zz").unwrap_err(),
        "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #zz"
    );
    assert_eq!(
        project("a,,b").unwrap_err(),
        "Invalid ProjectionExpression: Syntax error; token: \",\", near: \",,b\""
    );
}

#[test]
fn paths_deeper_than_32_levels_are_rejected() {
    let ok = format!("a{}", ".b".repeat(31));
    assert!(project(&ok).is_ok());
    let deep = format!("a{}", ".b".repeat(32));
    assert_eq!(
        project(&deep).unwrap_err(),
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"
    );
}
