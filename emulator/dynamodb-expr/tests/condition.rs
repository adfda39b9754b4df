//! ConditionExpression / FilterExpression: grammar, evaluation and AWS's
//! error messages, through the public API.

mod common;

use common::{item, names, values};
use firedrill_ddb_expr::{Item, Params, parse_condition, parse_condition_named};

/// Evaluates `expr` against `it` with the given values (JSON) and names.
fn eval(expr: &str, vals: &str, nm: &[(&str, &str)], it: Option<&Item>) -> bool {
    let v = values(vals);
    let n = names(nm);
    let mut p = Params::new(
        if nm.is_empty() { None } else { Some(&n) },
        if v.is_empty() { None } else { Some(&v) },
    );
    let c = parse_condition(expr, &mut p).unwrap_or_else(|e| panic!("{expr}: {e}"));
    c.evaluate(it).unwrap()
}

fn err(expr: &str, vals: &str, nm: &[(&str, &str)]) -> String {
    let v = values(vals);
    let n = names(nm);
    let mut p = Params::new(Some(&n), Some(&v));
    parse_condition(expr, &mut p).expect_err(expr).message
}

const ITEM: &str = r#"{
    "pk": {"S": "cart-1"},
    "qty": {"N": "3"},
    "price": {"N": "19.990"},
    "title": {"S": "Blue shoes"},
    "bin": {"B": "AAEC"},
    "tags": {"SS": ["sale", "new"]},
    "sizes": {"NS": ["40", "41.5"]},
    "flag": {"BOOL": true},
    "gone": {"NULL": true},
    "addr": {"M": {"city": {"S": "Oslo"}, "street": {"L": [{"S": "a"}, {"S": "b"}]}}},
    "hist": {"L": [{"N": "1"}, {"S": "x"}, {"M": {"k": {"N": "2"}}}]}
}"#;

#[test]
fn comparators_on_numbers_are_exact() {
    let it = item(ITEM);
    let v = r#"{":a":{"N":"19.99"},":b":{"N":"20"},":c":{"N":"3.0"}}"#;
    assert!(eval("price = :a", v, &[], Some(&it)));
    assert!(eval("price < :b AND qty = :c", v, &[], Some(&it)));
    assert!(eval("price <= :a AND price >= :a", v, &[], Some(&it)));
    assert!(!eval("price > :b OR price <> :a", v, &[], Some(&it)));
    assert!(eval("qty <> :a", v, &[], Some(&it)));
}

#[test]
fn strings_and_binary_compare_bytewise() {
    let it = item(ITEM);
    let v = r#"{":s":{"S":"Blue"},":t":{"S":"Blue shoes"},":b":{"B":"AAE="}}"#;
    assert!(eval("title > :s", v, &[], Some(&it)));
    assert!(eval("title = :t", v, &[], Some(&it)));
    assert!(eval("bin > :b", v, &[], Some(&it)));
}

#[test]
fn type_mismatch_is_false_not_an_error() {
    let it = item(ITEM);
    let v = r#"{":s":{"S":"3"}}"#;
    assert!(!eval("qty = :s", v, &[], Some(&it)));
    assert!(!eval("qty < :s", v, &[], Some(&it)));
    assert!(!eval("qty >= :s", v, &[], Some(&it)));
    assert!(eval("qty <> :s", v, &[], Some(&it)));
    assert!(!eval("flag < :s", v, &[], Some(&it)));
}

#[test]
fn missing_attributes_and_absent_items() {
    let it = item(ITEM);
    let v = r#"{":n":{"N":"1"}}"#;
    assert!(!eval("nope = :n", v, &[], Some(&it)));
    assert!(!eval("nope < :n", v, &[], Some(&it)));
    assert!(eval("nope <> :n", v, &[], Some(&it)));
    assert!(eval("attribute_not_exists(pk)", "{}", &[], None));
    assert!(!eval("attribute_exists(pk)", "{}", &[], None));
    assert!(!eval("qty = :n", v, &[], None));
}

#[test]
fn between_and_in() {
    let it = item(ITEM);
    let v = r#"{":lo":{"N":"3"},":hi":{"N":"5"},":x":{"N":"3.00"},":y":{"S":"3"},":z":{"N":"4"}}"#;
    assert!(eval("qty BETWEEN :lo AND :hi", v, &[], Some(&it)));
    assert!(!eval("price BETWEEN :lo AND :hi", v, &[], Some(&it)));
    assert!(eval("qty IN (:y, :x)", v, &[], Some(&it)));
    assert!(!eval("qty IN (:y, :z)", v, &[], Some(&it)));
    let sv = r#"{":a":{"S":"A"},":b":{"S":"C"}}"#;
    assert!(eval("title BETWEEN :a AND :b", sv, &[], Some(&it)));
}

#[test]
fn precedence_and_parentheses() {
    let it = item(ITEM);
    let v = r#"{":t":{"BOOL":true},":f":{"BOOL":false}}"#;
    // OR binds looser than AND: true OR (false AND false).
    assert!(eval("flag = :t OR flag = :f AND flag = :f", v, &[], Some(&it)));
    assert!(!eval("(flag = :t OR flag = :f) AND flag = :f", v, &[], Some(&it)));
    // NOT binds tighter than AND.
    assert!(!eval("NOT flag = :t AND flag = :t", v, &[], Some(&it)));
    assert!(eval("NOT (flag = :f AND flag = :t)", v, &[], Some(&it)));
    assert!(eval("not not flag = :t", v, &[], Some(&it)));
    assert!(eval("(flag) = :t", v, &[], Some(&it)));
}

#[test]
fn functions() {
    let it = item(ITEM);
    let v = r#"{
        ":blue":{"S":"Blue"}, ":shoe":{"S":"shoe"}, ":sale":{"S":"sale"}, ":n40":{"N":"40.0"},
        ":x":{"S":"x"}, ":two":{"N":"2"}, ":ten":{"N":"10"}, ":ss":{"S":"SS"}, ":m":{"S":"M"},
        ":raw":{"B":"AA=="}, ":city":{"S":"Oslo"}
    }"#;
    let ok = |e: &str| eval(e, v, &[], Some(&it));
    assert!(ok(
        "begins_with(title, :blue) AND contains(title, :shoe) AND size(tags) = :two \
                AND attribute_type(tags, :ss) AND attribute_type(addr, :m) AND begins_with(bin, :raw) \
                AND contains(sizes, :n40) AND contains(hist, :x) AND contains(tags, :sale) \
                AND size(title) = :ten AND size(addr.street) = :two AND addr.city = :city \
                AND attribute_exists(addr.street[1]) AND attribute_not_exists(addr.street[2])"
    ));
    assert!(!ok("begins_with(qty, :blue)"));
    assert!(!ok("contains(qty, :two)"));
    assert!(!ok("size(qty) = :two"));
    // size() of a type without a size is missing, so `<>` holds.
    assert!(ok("size(flag) <> :two"));
    assert!(ok(
        "attribute_type(hist[2], :m) AND hist[2].k = :two AND hist[0] < :two"
    ));
}

#[test]
fn names_resolve_and_allow_reserved_words_and_dots() {
    let it = item(r#"{"status":{"S":"open"},"a.b":{"N":"1"},"a":{"M":{"b":{"N":"2"}}}}"#);
    let v = r#"{":s":{"S":"open"},":one":{"N":"1"},":two":{"N":"2"}}"#;
    assert!(eval(
        "#s = :s",
        v.replace(",\":one\":{\"N\":\"1\"},\":two\":{\"N\":\"2\"}", "")
            .as_str(),
        &[("#s", "status")],
        Some(&it)
    ));
    assert!(eval(
        "#ab = :one AND #a.b = :two",
        &v.replace("\":s\":{\"S\":\"open\"},", ""),
        &[("#ab", "a.b"), ("#a", "a")],
        Some(&it)
    ));
}

#[test]
fn error_messages() {
    let v = r#"{":v":{"N":"1"},":w":{"N":"2"},":s":{"S":"x"}}"#;
    assert_eq!(
        err("status = :v", v, &[]),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        err("a = :nope", v, &[]),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"
    );
    assert_eq!(
        err("#n = :v", v, &[]),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n"
    );
    assert_eq!(
        err("foo(a)", v, &[]),
        "Invalid ConditionExpression: Invalid function name; function: foo"
    );
    assert_eq!(
        err("size(a)", v, &[]),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"
    );
    assert_eq!(
        err("attribute_exists(a) = :v", v, &[]),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"
    );
    assert_eq!(
        err("begins_with(a)", v, &[]),
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
    );
    assert_eq!(
        err("attribute_exists(:v)", v, &[]),
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"
    );
    assert_eq!(
        err("begins_with(a, :v)", v, &[]),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        err("attribute_type(a, :s)", v, &[]),
        "Invalid ConditionExpression: Invalid attribute type name found; type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    );
    assert_eq!(
        err("a BETWEEN :w AND :v", v, &[]),
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"
    );
    assert_eq!(
        err("a BETWEEN :v AND :s", v, &[]),
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}"
    );
    assert_eq!(
        err("a.b = a.b", v, &[]),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a, b]"
    );
    assert_eq!(
        err("((a = :v))", v, &[]),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    assert_eq!(
        err("((attribute_not_exists(pk)))", v, &[]),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    assert_eq!(
        err("contains(#a, #a)", v, &[("#a", "data")]),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [data]"
    );
    assert_eq!(
        err("a = :v AND", v, &[]),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""
    );
    assert_eq!(
        err("", v, &[]),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    let many: Vec<String> = (0..101).map(|_| ":v".to_string()).collect();
    assert_eq!(
        err(&format!("a IN ({})", many.join(",")), v, &[]),
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
    let hundred: Vec<String> = (0..100).map(|_| ":v".to_string()).collect();
    let vv = values(v);
    let mut p = Params::new(None, Some(&vv));
    assert!(parse_condition(&format!("a IN ({})", hundred.join(",")), &mut p).is_ok());
}

#[test]
fn syntax_errors_take_precedence_and_filter_is_named() {
    let v = values(r#"{":v":{"N":"1"}}"#);
    let mut p = Params::new(None, Some(&v));
    let e = parse_condition_named("status = :v =", "FilterExpression", &mut p).unwrap_err();
    assert_eq!(
        e.message,
        "Invalid FilterExpression: Syntax error; token: \"=\", near: \":v =\""
    );
    let e = parse_condition_named("status = :v", "FilterExpression", &mut p).unwrap_err();
    assert!(
        e.message
            .starts_with("Invalid FilterExpression: Attribute name is a reserved keyword")
    );
}

#[test]
fn unused_placeholders_are_reported() {
    let v = values(r#"{":a":{"N":"1"},":b":{"N":"2"},":c":{"N":"3"}}"#);
    let n = names(&[("#x", "x"), ("#y", "y")]);
    let mut p = Params::new(Some(&n), Some(&v));
    parse_condition("#x = :a", &mut p).unwrap();
    assert_eq!(
        p.check_all_used().unwrap_err().message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#y}"
    );
    let mut p = Params::new(Some(&n), Some(&v));
    parse_condition("#x = :a AND #y = :b", &mut p).unwrap();
    assert_eq!(
        p.check_all_used().unwrap_err().message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:c}"
    );
    parse_condition("c = :c", &mut p).unwrap();
    p.check_all_used().unwrap();
}

#[test]
fn placeholder_maps_are_validated() {
    let empty = values("{}");
    let p = Params::new(None, Some(&empty));
    assert_eq!(
        p.check_all_used().unwrap_err().message,
        "ExpressionAttributeValues must not be empty"
    );
    let bad_key = values(r#"{"v":{"N":"1"}}"#);
    let p = Params::new(None, Some(&bad_key));
    assert_eq!(
        p.validate().unwrap_err().message,
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\""
    );
    let bad_value = values(r#"{":v":{"SS":[]}}"#);
    let p = Params::new(None, Some(&bad_value));
    assert_eq!(
        p.validate().unwrap_err().message,
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v"
    );
    let n = names(&[("x", "y")]);
    let p = Params::new(Some(&n), None);
    assert_eq!(
        p.validate().unwrap_err().message,
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"x\""
    );
}

#[test]
fn attributes_lists_top_level_names() {
    let v = values(r#"{":v":{"N":"1"}}"#);
    let n = names(&[("#s", "status")]);
    let mut p = Params::new(Some(&n), Some(&v));
    let c = parse_condition(
        "#s = :v OR (size(b.c[0]) > :v AND attribute_exists(a)) OR b IN (:v, z)",
        &mut p,
    )
    .unwrap();
    assert_eq!(c.attributes(), vec!["a", "b", "status", "z"]);
}

#[test]
fn placeholder_numbers_compare_after_normalization() {
    let it = item(r#"{"n":{"N":"1.5"},"s":{"NS":["1.5","2"]}}"#);
    assert!(eval(
        "n = :v AND contains(s, :v) AND s = :set",
        r#"{":v":{"N":"15E-1"},":set":{"NS":["2.0","1.50"]}}"#,
        &[],
        Some(&it)
    ));
}
