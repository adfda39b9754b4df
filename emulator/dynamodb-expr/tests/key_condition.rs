//! KeyConditionExpression: shapes Query accepts, key-schema validation and
//! AWS's messages.

mod common;

use common::{item, names, val, values};
use firedrill_ddb_expr::{KeyCondition, Params, SortKeyCondition, parse_key_condition};

const VALUES: &str = r#"{":p":{"S":"cart-1"},":a":{"N":"10"},":b":{"N":"20"},":s":{"S":"2024-"},":n":{"N":"1"},":x":{"S":"x"}}"#;

fn parse(expr: &str, sk: Option<&str>) -> Result<KeyCondition, String> {
    let v = values(VALUES);
    let n = names(&[("#pk", "pk"), ("#sk", "sk")]);
    let mut p = Params::new(Some(&n), Some(&v));
    parse_key_condition(expr, &mut p, "pk", sk).map_err(|e| e.message)
}

#[test]
fn partition_only_and_with_each_sort_operator() {
    let k = parse("pk = :p", Some("sk")).unwrap();
    assert_eq!(k.partition_name, "pk");
    assert_eq!(k.partition_value, val(r#"{"S":"cart-1"}"#));
    assert_eq!(k.sort, None);
    let cases = [
        ("pk = :p AND sk = :a", SortKeyCondition::Eq(val(r#"{"N":"10"}"#))),
        ("pk = :p AND sk < :a", SortKeyCondition::Lt(val(r#"{"N":"10"}"#))),
        ("pk = :p AND sk <= :a", SortKeyCondition::Le(val(r#"{"N":"10"}"#))),
        ("sk > :a AND pk = :p", SortKeyCondition::Gt(val(r#"{"N":"10"}"#))),
        (
            "#pk = :p AND #sk >= :a",
            SortKeyCondition::Ge(val(r#"{"N":"10"}"#)),
        ),
        (":a > sk AND pk = :p", SortKeyCondition::Lt(val(r#"{"N":"10"}"#))),
        (
            "(pk = :p) AND (sk BETWEEN :a AND :b)",
            SortKeyCondition::Between(val(r#"{"N":"10"}"#), val(r#"{"N":"20"}"#)),
        ),
        (
            "pk = :p AND begins_with(sk, :s)",
            SortKeyCondition::BeginsWith(val(r#"{"S":"2024-"}"#)),
        ),
    ];
    for (expr, want) in cases {
        let k = parse(expr, Some("sk")).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(k.sort, Some(("sk".to_string(), want)), "{expr}");
    }
}

#[test]
fn sort_conditions_match_values() {
    let n = |s: &str| val(&format!(r#"{{"N":"{s}"}}"#));
    let between = SortKeyCondition::Between(n("10"), n("20"));
    assert!(between.matches(&n("10")) && between.matches(&n("20.0")) && !between.matches(&n("20.01")));
    assert!(!between.matches(&val(r#"{"S":"15"}"#)));
    assert!(SortKeyCondition::Lt(n("1E1")).matches(&n("9.999")));
    assert!(SortKeyCondition::Eq(n("1.50")).matches(&n("1.5")));
    let prefix = SortKeyCondition::BeginsWith(val(r#"{"S":"2024-"}"#));
    assert!(prefix.matches(&val(r#"{"S":"2024-05-01"}"#)) && !prefix.matches(&val(r#"{"S":"2023"}"#)));
    let k = parse("pk = :p AND sk BETWEEN :a AND :b", Some("sk")).unwrap();
    assert!(k.matches(&item(r#"{"pk":{"S":"cart-1"},"sk":{"N":"15"}}"#)));
    assert!(!k.matches(&item(r#"{"pk":{"S":"cart-2"},"sk":{"N":"15"}}"#)));
}

#[test]
fn schema_errors() {
    assert_eq!(
        parse("sk = :a", Some("sk")).unwrap_err(),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        parse("pk = :p AND colour = :a", Some("sk")).unwrap_err(),
        "Query condition missed key schema element: sk"
    );
    assert_eq!(
        parse("pk = :p AND colour = :a", None).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        parse("pk < :p", Some("sk")).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        parse("begins_with(pk, :s)", Some("sk")).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        parse("pk = :p OR sk = :a", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"
    );
    assert_eq!(
        parse("pk = :p AND sk <> :a", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>"
    );
    assert_eq!(
        parse("pk = :p AND attribute_exists(sk)", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: attribute_exists"
    );
    assert_eq!(
        parse("pk = :p AND sk = :a AND sk = :b", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"
    );
    assert_eq!(
        parse("pk = :p AND sk.x = :a", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"
    );
    assert_eq!(
        parse("pk = :p AND begins_with(sk, :n)", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        parse("pk = :p AND sk BETWEEN :b AND :a", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:20}, upper bound operand: AttributeValue: {N:10}"
    );
    assert_eq!(
        parse("pk = :p AND", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""
    );
    assert_eq!(
        parse("pk = :q", Some("sk")).unwrap_err(),
        "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :q"
    );
}

#[test]
fn parentheses_are_accepted_even_doubled() {
    for expr in [
        "(pk = :p) AND (sk = :a)",
        "(pk = :p AND sk = :a)",
        "((pk = :p)) AND ((sk = :a))",
    ] {
        let k = parse(expr, Some("sk")).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(k.sort.unwrap().0, "sk");
    }
}
