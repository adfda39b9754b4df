//! UpdateExpression: every clause, arithmetic, functions, list indexes,
//! sets, and AWS's parse-time and apply-time errors.

mod common;

use common::{item, names, values};
use firedrill_ddb_expr::{Item, Params, Update, parse_update};

const VALUES: &str = r#"{
    ":one":{"N":"1"}, ":half":{"N":"0.5"}, ":s":{"S":"x"}, ":l":{"L":[{"N":"9"}]},
    ":empty":{"L":[]}, ":tags":{"SS":["b","c"]}, ":nums":{"NS":["2","3.0"]}, ":bin":{"BS":["AQ=="]},
    ":m":{"M":{"k":{"S":"v"}}}, ":t":{"BOOL":true}, ":big":{"N":"99999999999999999999999999999999999999"}
}"#;

const ITEM: &str = r#"{
    "pk": {"S": "cart-1"},
    "qty": {"N": "3"},
    "title": {"S": "shoes"},
    "tags": {"SS": ["a", "b"]},
    "nums": {"NS": ["1", "2"]},
    "bins": {"BS": ["AQ==", "Ag=="]},
    "entries": {"L": [{"S": "i0"}, {"S": "i1"}, {"S": "i2"}, {"S": "i3"}]},
    "addr": {"M": {"city": {"S": "Oslo"}, "zip": {"S": "0150"}}}
}"#;

fn parse(expr: &str) -> Result<Update, String> {
    let v = values(VALUES);
    let n = names(&[("#st", "status"), ("#c", "city")]);
    let mut p = Params::new(Some(&n), Some(&v));
    parse_update(expr, &mut p).map_err(|e| e.message)
}

fn apply(expr: &str) -> Result<Item, String> {
    let u = parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    u.apply(&item(ITEM), &["pk"]).map_err(|e| e.message)
}

#[test]
fn set_values_arithmetic_and_functions() {
    let out = apply(
        "SET qty = qty + :one, price = :half - :one, #st = :s, dup = title, \
         entries = list_append(entries, :l), fresh = if_not_exists(ghost, :one), \
         kept = if_not_exists(title, :s), addr.#c = :s, front = list_append(:l, :empty)",
    )
    .unwrap();
    assert_eq!(out["qty"], common::val(r#"{"N":"4"}"#));
    assert_eq!(out["price"], common::val(r#"{"N":"-0.5"}"#));
    assert_eq!(out["status"], common::val(r#"{"S":"x"}"#));
    assert_eq!(out["dup"], common::val(r#"{"S":"shoes"}"#));
    assert_eq!(
        out["entries"],
        common::val(r#"{"L":[{"S":"i0"},{"S":"i1"},{"S":"i2"},{"S":"i3"},{"N":"9"}]}"#)
    );
    assert_eq!(out["fresh"], common::val(r#"{"N":"1"}"#));
    assert_eq!(out["kept"], common::val(r#"{"S":"shoes"}"#));
    assert_eq!(
        out["addr"],
        common::val(r#"{"M":{"city":{"S":"x"},"zip":{"S":"0150"}}}"#)
    );
    assert_eq!(out["front"], common::val(r#"{"L":[{"N":"9"}]}"#));
}

#[test]
fn right_hand_sides_see_the_old_item() {
    let out = apply("SET qty = :one, prev = qty").unwrap();
    assert_eq!(out["prev"], common::val(r#"{"N":"3"}"#));
    assert_eq!(out["qty"], common::val(r#"{"N":"1"}"#));
}

#[test]
fn list_indexes_set_and_remove() {
    let out = apply("SET entries[1] = :s, entries[10] = :one").unwrap();
    assert_eq!(
        out["entries"],
        common::val(r#"{"L":[{"S":"i0"},{"S":"x"},{"S":"i2"},{"S":"i3"},{"N":"1"}]}"#)
    );
    let out = apply("REMOVE entries[1], entries[3], entries[9], addr.zip, nothing").unwrap();
    assert_eq!(out["entries"], common::val(r#"{"L":[{"S":"i0"},{"S":"i2"}]}"#));
    assert_eq!(out["addr"], common::val(r#"{"M":{"city":{"S":"Oslo"}}}"#));
}

#[test]
fn add_and_delete() {
    let out = apply("ADD qty :half, tags :tags, nums :nums, tally :one, newset :bin").unwrap();
    assert_eq!(out["qty"], common::val(r#"{"N":"3.5"}"#));
    assert_eq!(out["tags"], common::val(r#"{"SS":["a","b","c"]}"#));
    assert_eq!(out["nums"], common::val(r#"{"NS":["1","2","3"]}"#));
    assert_eq!(out["tally"], common::val(r#"{"N":"1"}"#));
    assert_eq!(out["newset"], common::val(r#"{"BS":["AQ=="]}"#));
    let out = apply("DELETE tags :tags, nums :nums, bins :bin, ghost :tags").unwrap();
    assert_eq!(out["tags"], common::val(r#"{"SS":["a"]}"#));
    assert_eq!(out["nums"], common::val(r#"{"NS":["1"]}"#));
    assert_eq!(out["bins"], common::val(r#"{"BS":["Ag=="]}"#));
    assert!(!out.contains_key("ghost"));
    let out = apply("DELETE nums :nums").unwrap();
    let out2 = parse("DELETE nums :nums").unwrap().apply(&out, &[]).unwrap();
    assert_eq!(out2["nums"], common::val(r#"{"NS":["1"]}"#));
    let emptied = parse("DELETE tags :tags")
        .unwrap()
        .apply(&item(r#"{"tags":{"SS":["b"]}}"#), &[])
        .unwrap();
    assert!(emptied.is_empty());
}

#[test]
fn clauses_in_any_order_and_touched_attributes() {
    let u = parse("REMOVE title ADD qty :one SET addr.zip = :s, tags = :tags DELETE nums :nums").unwrap();
    assert_eq!(
        u.touched_attributes(),
        vec!["title", "qty", "addr", "tags", "nums"]
    );
    let out = u.apply(&item(ITEM), &["pk"]).unwrap();
    assert!(!out.contains_key("title"));
    assert_eq!(out["qty"], common::val(r#"{"N":"4"}"#));
}

#[test]
fn absent_item_starts_empty() {
    let u = parse("SET a = :one ADD c :one").unwrap();
    let out = u.apply(&Item::new(), &["pk"]).unwrap();
    assert_eq!(out.len(), 2);
}

#[test]
fn apply_time_errors() {
    assert_eq!(
        apply("SET title = title + :one").unwrap_err(),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        apply("SET qty = ghost + :one").unwrap_err(),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    assert_eq!(
        apply("SET title = list_append(title, :l)").unwrap_err(),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        apply("ADD title :one").unwrap_err(),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        apply("ADD tags :nums").unwrap_err(),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        apply("DELETE qty :tags").unwrap_err(),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        apply("SET nothing.deep = :one").unwrap_err(),
        "The document path provided in the update expression is invalid for update"
    );
    assert_eq!(
        apply("SET title.x = :one").unwrap_err(),
        "The document path provided in the update expression is invalid for update"
    );
    assert_eq!(
        apply("SET pk = :s").unwrap_err(),
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    );
    assert_eq!(
        apply("SET qty = :big + :big").unwrap_err(),
        "Attempting to store more than 38 significant digits in a Number"
    );
}

#[test]
fn parse_time_errors() {
    let cases = [
        (
            "SET a = :one SET b = :one",
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;",
        ),
        (
            "SET a = :one, a = :s",
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
        ),
        (
            "SET a = :one REMOVE a.b",
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]",
        ),
        (
            "SET a[0] = :one REMOVE a.b",
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]",
        ),
        (
            "SET a = :nope",
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
        ),
        (
            "SET #nope = :one",
            "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #nope",
        ),
        (
            "SET status = :one",
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status",
        ),
        (
            "SET a = foo(b)",
            "Invalid UpdateExpression: Invalid function name; function: foo",
        ),
        (
            "SET a = size(b)",
            "Invalid UpdateExpression: The function is not allowed in an update expression; function: size",
        ),
        (
            "SET a = if_not_exists(:one, b)",
            "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists",
        ),
        (
            "SET a = list_append(b)",
            "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1",
        ),
        (
            "SET a = list_append(b, :s)",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S",
        ),
        (
            "SET a = b + :s",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S",
        ),
        (
            "ADD a :s",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            "ADD a :m",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            "DELETE a :one",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND",
        ),
        (
            "SET a = :one,",
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\"",
        ),
        (
            "SET a :one",
            "Invalid UpdateExpression: Syntax error; token: \":one\", near: \"a :one\"",
        ),
        ("", "Invalid UpdateExpression: The expression can not be empty;"),
        (
            "ADD hits : incr",
            "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\"",
        ),
        (
            "INVALID SYNTAX HERE",
            "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"",
        ),
        (
            "UPDATE a = :one",
            "Invalid UpdateExpression: Syntax error; token: \"UPDATE\", near: \"UPDATE a\"",
        ),
    ];
    for (expr, want) in cases {
        assert_eq!(parse(expr).unwrap_err(), want, "{expr}");
    }
}
