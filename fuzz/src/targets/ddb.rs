//! DynamoDB: the JSON 1.0 request decoding of PutItem, Query, UpdateItem and
//! TransactWriteItems (through the service's own handler, so the expression
//! parsing and validation the operations do are included), and the
//! expression parser on its own.

use super::Target;
use crate::harness::{Harness, pick, split_route};
use firedrill_ddb_expr::{
    AttributeValue, Item, Names, Params, Values, parse_condition, parse_key_condition, parse_projection,
    parse_update,
};
use firedrill_emu_core::{AwsService, Environment};
use std::sync::Arc;

const OPS: &[(&str, ())] = &[
    ("PutItem", ()),
    ("Query", ()),
    ("UpdateItem", ()),
    ("TransactWriteItems", ()),
    ("GetItem", ()),
    ("DeleteItem", ()),
    ("BatchWriteItem", ()),
    ("Scan", ()),
];

const TABLE: &str = r#"{"TableName":"fuzz","BillingMode":"PAY_PER_REQUEST",
"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"owner","AttributeType":"S"}],
"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
"GlobalSecondaryIndexes":[{"IndexName":"byOwner","KeySchema":[{"AttributeName":"owner","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}"#;

const SEED_ITEM: &str = r#"{"TableName":"fuzz","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"owner":{"S":"o"},"qty":{"N":"3"},"tags":{"SS":["x","y"]},"doc":{"M":{"l":{"L":[{"N":"1"},{"S":"s"}]}}}}}"#;

/// DynamoDB JSON requests: `Operation\n{json body}`.
pub struct DdbJson {
    harness: Harness,
}

fn make(env: &Environment) -> Arc<dyn AwsService> {
    firedrill_emu_dynamodb::DynamoDb::new(env)
}

impl DdbJson {
    pub fn new() -> Self {
        let mut t = Self {
            harness: Harness::new("dynamodb", make),
        };
        t.setup();
        t
    }

    fn setup(&mut self) {
        for (op, body) in [("CreateTable", TABLE), ("PutItem", SEED_ITEM)] {
            let reply = self.op(op, body.as_bytes());
            assert_eq!(reply.status, 200, "setup {op}: {:?}", reply.body);
            // The table is ACTIVE once the clock has moved past its creation.
            self.harness.tick();
        }
    }

    fn op(&self, op: &str, body: &[u8]) -> crate::harness::Reply {
        let target = format!("DynamoDB_20120810.{op}");
        self.harness.send(
            "POST",
            "/",
            &[
                ("x-amz-target", target.as_str()),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            body.to_vec(),
        )
    }
}

impl Target for DdbJson {
    fn name(&self) -> &'static str {
        "ddb-json"
    }

    fn dictionary(&self) -> &'static [&'static str] {
        DICTIONARY
    }

    fn run(&mut self, input: &[u8]) -> String {
        let (key, body) = split_route(input);
        let (op, ()) = pick(OPS, &key);
        format!("{op} {}", self.op(op, body).signature())
    }

    fn reset(&mut self) {
        self.harness.rebuild();
        self.setup();
    }
}

/// The expression parser: each input is parsed as a condition, an update,
/// a projection and a key condition, with a fixed set of placeholders; what
/// parses is evaluated against an item.
pub struct DdbExpr;

fn placeholders() -> (Names, Values) {
    let names: Names = [
        ("#n", "qty"),
        ("#p", "pk"),
        ("#s", "sk"),
        ("#d", "doc"),
        ("#l", "l"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let values: Values = [
        (":one", AttributeValue::N("1".into())),
        (
            ":big",
            AttributeValue::N("9.9999999999999999999999999999999999999E+125".into()),
        ),
        (":s", AttributeValue::S("a".into())),
        (":b", AttributeValue::B(vec![1, 2, 3])),
        (":ss", AttributeValue::Ss(vec!["x".into()])),
        (":ns", AttributeValue::Ns(vec!["1".into(), "2".into()])),
        (":l", AttributeValue::L(vec![AttributeValue::N("1".into())])),
        (":m", AttributeValue::M(Item::new())),
        (":t", AttributeValue::Bool(true)),
        (":null", AttributeValue::Null(true)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    (names, values)
}

fn item() -> Item {
    let mut doc = Item::new();
    doc.insert(
        "l".into(),
        AttributeValue::L(vec![AttributeValue::N("1".into()), AttributeValue::S("s".into())]),
    );
    [
        ("pk", AttributeValue::S("a".into())),
        ("sk", AttributeValue::N("1".into())),
        ("qty", AttributeValue::N("3".into())),
        ("tags", AttributeValue::Ss(vec!["x".into(), "y".into()])),
        ("doc", AttributeValue::M(doc)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn class<T>(r: &Result<T, firedrill_ddb_expr::ExprError>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => crate::harness::message_class(&e.to_string()),
    }
}

impl Target for DdbExpr {
    fn name(&self) -> &'static str {
        "ddb-expr"
    }

    fn dictionary(&self) -> &'static [&'static str] {
        EXPR_DICTIONARY
    }

    fn run(&mut self, input: &[u8]) -> String {
        let text = String::from_utf8_lossy(input);
        let (names, values) = placeholders();
        let item = item();
        let mut out = Vec::new();
        let mut params = Params::new(Some(&names), Some(&values));
        let cond = parse_condition(&text, &mut params);
        out.push(class(&cond));
        if let Ok(c) = &cond {
            out.push(class(&c.evaluate(Some(&item))));
            out.push(class(&c.evaluate(None)));
        }
        let mut params = Params::new(Some(&names), Some(&values));
        let update = parse_update(&text, &mut params);
        out.push(class(&update));
        if let Ok(u) = &update {
            out.push(class(&u.apply(&item, &["pk", "sk"])));
            out.push(class(&u.apply(&Item::new(), &["pk"])));
        }
        let mut params = Params::new(Some(&names), Some(&values));
        let projection = parse_projection(&text, &mut params);
        out.push(class(&projection));
        if let Ok(p) = &projection {
            let _ = p.apply(&item);
        }
        let mut params = Params::new(Some(&names), Some(&values));
        let key = parse_key_condition(&text, &mut params, "pk", Some("sk"));
        out.push(class(&key));
        if let Ok(k) = &key {
            let _ = k.matches(&item);
        }
        out.join("|")
    }
}

const DICTIONARY: &[&str] = &[
    "{\"S\":\"a\"}",
    "{\"N\":\"1\"}",
    "{\"B\":\"AAAA\"}",
    "{\"SS\":[]}",
    "{\"NS\":[\"1\"]}",
    "{\"L\":[]}",
    "{\"M\":{}}",
    "{\"NULL\":true}",
    "{\"BOOL\":false}",
    "\"TableName\":\"fuzz\"",
    "\"Key\":",
    "\"Item\":",
    "\"pk\"",
    "\"sk\"",
    "\"IndexName\":\"byOwner\"",
    "\"ConditionExpression\":",
    "\"UpdateExpression\":",
    "\"KeyConditionExpression\":",
    "\"ProjectionExpression\":",
    "\"FilterExpression\":",
    "\"ExpressionAttributeNames\":{\"#n\":\"qty\"}",
    "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"1\"}}",
    "\"ReturnValues\":\"ALL_NEW\"",
    "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"",
    "\"Limit\":",
    "\"ExclusiveStartKey\":",
    "\"TransactItems\":",
    "\"ClientRequestToken\":",
    "\"ConditionCheck\":",
    "\"Put\":",
    "\"Update\":",
    "\"Delete\":",
    "\"ScanIndexForward\":false",
    "SET ",
    "REMOVE ",
    " ADD ",
    "DELETE ",
    "attribute_not_exists(",
    " AND ",
    " BETWEEN ",
    "begins_with(",
];

const EXPR_DICTIONARY: &[&str] = &[
    "SET ",
    "REMOVE ",
    "ADD ",
    "DELETE ",
    " = ",
    " <> ",
    " < ",
    " <= ",
    " > ",
    " >= ",
    " AND ",
    " OR ",
    "NOT ",
    " BETWEEN ",
    " IN (",
    "attribute_exists(",
    "attribute_not_exists(",
    "attribute_type(",
    "begins_with(",
    "contains(",
    "size(",
    "if_not_exists(",
    "list_append(",
    "(",
    ")",
    ",",
    ".",
    "[",
    "]",
    "[0]",
    "[4294967296]",
    "[-1]",
    " + ",
    " - ",
    "#n",
    "#p",
    "#s",
    "#d",
    "#l",
    "#missing",
    ":one",
    ":big",
    ":s",
    ":b",
    ":ss",
    ":ns",
    ":l",
    ":m",
    ":t",
    ":null",
    ":missing",
    "pk",
    "sk",
    "qty",
    "doc",
    "tags",
    "a.b.c",
    "SIZE",
    "TABLE",
    "\u{0}",
    "\u{feff}",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_put_item_from_the_sdk_succeeds() {
        let mut t = DdbJson::new();
        let out = t.run(format!("PutItem\n{SEED_ITEM}").as_bytes());
        assert!(out.starts_with("PutItem 200"), "{out}");
    }

    #[test]
    fn expressions_parse_and_evaluate() {
        let out = DdbExpr.run(b"SET qty = qty + :one");
        assert!(out.contains("ok|ok"), "{out}");
    }
}
