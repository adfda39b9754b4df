//! The legacy (pre-expression) request parameters that older code and the
//! boto3 resource layer still send — `Expected`, `AttributeUpdates`,
//! `KeyConditions`, `QueryFilter`, `ScanFilter`, `ConditionalOperator`,
//! `AttributesToGet` — rewritten as the equivalent expressions, so that one
//! evaluator (the expression crate) serves both forms.
//!
//! Each operation's input is rewritten in place before the engine reads it:
//! the legacy members are turned into expression text over generated
//! placeholders (`#l0`, `:l0`, ...), which become the request's
//! `ExpressionAttributeNames` and `ExpressionAttributeValues`. That is sound
//! because AWS refuses, as this module does first, a request that mixes the
//! two forms ("Can not use both expression and non-expression parameters in
//! the same request: ...") or gives placeholders without expressions.

use crate::errors::{DynamoDbError, Result};
use crate::protocol::*;
use firedrill_ddb_expr::AttributeValue;
use std::collections::BTreeMap;

/// The comparison operators of legacy conditions, in the model's order.
const OPERATORS: &[&str] = &[
    "EQ",
    "NE",
    "IN",
    "LE",
    "LT",
    "GE",
    "GT",
    "BETWEEN",
    "NOT_NULL",
    "NULL",
    "CONTAINS",
    "NOT_CONTAINS",
    "BEGINS_WITH",
];

/// Refuses a request that gives both forms, or placeholder maps without
/// an expression, with AWS's messages. `legacy` and `expressions` list the
/// operation's members in the order AWS names them, with whether each was
/// given; `valued` names the expressions that take values.
fn check_forms(
    legacy: &[(&str, bool)],
    expressions: &[(&str, bool)],
    valued: &[&str],
    names_given: bool,
    values_given: bool,
) -> Result<()> {
    let given = |members: &[(&str, bool)]| -> Vec<String> {
        members
            .iter()
            .filter(|(_, present)| *present)
            .map(|(m, _)| (*m).to_owned())
            .collect()
    };
    let old = given(legacy);
    let new = given(expressions);
    if !old.is_empty() && !new.is_empty() {
        return Err(DynamoDbError::validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            old.join(", "),
            new.join(", ")
        )));
    }
    if new.is_empty() && names_given {
        return Err(DynamoDbError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if values_given
        && !expressions
            .iter()
            .any(|(m, present)| *present && valued.contains(m))
    {
        return Err(DynamoDbError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
            valued.join(" and "),
            if valued.len() == 1 { "is" } else { "are" }
        )));
    }
    Ok(())
}

/// Writes expression text, handing out placeholders.
#[derive(Default)]
struct Writer {
    names: Names,
    values: Values,
}

impl Writer {
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#l{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    fn value(&mut self, value: &AttributeValue) -> String {
        let placeholder = format!(":l{}", self.values.len());
        self.values.insert(placeholder.clone(), value.clone());
        placeholder
    }

    /// The placeholder maps, `None` when nothing was written.
    fn into_maps(self) -> (Option<Names>, Option<Values>) {
        (
            (!self.names.is_empty()).then_some(self.names),
            (!self.values.is_empty()).then_some(self.values),
        )
    }
}

/// One legacy comparison `attribute <operator> values` as expression text.
fn comparison(w: &mut Writer, attribute: &str, operator: &str, values: &[AttributeValue]) -> Result<String> {
    if !OPERATORS.contains(&operator) {
        return Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            OPERATORS.join(", ")
        )));
    }
    let expected = match operator {
        "NOT_NULL" | "NULL" => Some(0),
        "BETWEEN" => Some(2),
        "IN" => None,
        _ => Some(1),
    };
    let count_ok = match expected {
        Some(n) => values.len() == n,
        None => !values.is_empty(),
    };
    if !count_ok {
        return Err(DynamoDbError::validation(format!(
            "One or more parameter values were invalid: Invalid number of argument(s) for the {operator} ComparisonOperator"
        )));
    }
    let a = w.name(attribute);
    let v: Vec<String> = values.iter().map(|v| w.value(v)).collect();
    // The count was checked above; the empty defaults are never written.
    let (first, second) = match v.as_slice() {
        [a, b, ..] => (a.as_str(), b.as_str()),
        [a] => (a.as_str(), ""),
        [] => ("", ""),
    };
    Ok(match operator {
        "EQ" => format!("{a} = {first}"),
        "NE" => format!("{a} <> {first}"),
        "LE" => format!("{a} <= {first}"),
        "LT" => format!("{a} < {first}"),
        "GE" => format!("{a} >= {first}"),
        "GT" => format!("{a} > {first}"),
        "NOT_NULL" => format!("attribute_exists({a})"),
        "NULL" => format!("attribute_not_exists({a})"),
        "CONTAINS" => format!("contains({a}, {first})"),
        "NOT_CONTAINS" => format!("NOT contains({a}, {first})"),
        "BEGINS_WITH" => format!("begins_with({a}, {first})"),
        "IN" => format!("{a} IN ({})", v.join(", ")),
        _ => format!("{a} BETWEEN {first} AND {second}"),
    })
}

/// The joiner of a `ConditionalOperator`.
fn joiner(operator: Option<&str>) -> Result<&'static str> {
    match operator.unwrap_or("AND") {
        "AND" => Ok(" AND "),
        "OR" => Ok(" OR "),
        other => Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{other}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [AND, OR]"
        ))),
    }
}

/// `Expected` as a condition expression.
fn expected(w: &mut Writer, expected: &ExpectedMap, operator: Option<&str>) -> Result<String> {
    let join = joiner(operator)?;
    let mut parts = Vec::with_capacity(expected.len());
    for (attribute, e) in expected {
        let part = match (&e.comparison_operator, &e.value, e.exists) {
            (Some(op), None, None) => comparison(
                w,
                attribute,
                op,
                e.attribute_value_list.as_deref().unwrap_or_default(),
            )?,
            (Some(_), _, _) => {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Value or Exists cannot be used with ComparisonOperator for Attribute: {attribute}"
                )));
            }
            (None, Some(_), Some(false)) => {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: {attribute}"
                )));
            }
            (None, None, Some(false)) => format!("attribute_not_exists({})", w.name(attribute)),
            (None, Some(v), _) => comparison(w, attribute, "EQ", std::slice::from_ref(v))?,
            (None, None, _) => {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: {attribute}"
                )));
            }
        };
        parts.push(format!("({part})"));
    }
    Ok(parts.join(join))
}

/// `QueryFilter`, `ScanFilter` or `KeyConditions` as one expression text
/// per attribute.
fn conditions(w: &mut Writer, conditions: &ConditionMap) -> Result<Vec<String>> {
    conditions
        .iter()
        .map(|(attribute, c)| {
            comparison(
                w,
                attribute,
                &c.comparison_operator,
                c.attribute_value_list.as_deref().unwrap_or_default(),
            )
        })
        .collect()
}

/// `AttributesToGet` as a projection expression.
fn projection(w: &mut Writer, attributes: &[String]) -> Result<String> {
    if attributes.is_empty() {
        return Err(DynamoDbError::validation(
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    for (i, a) in attributes.iter().enumerate() {
        if attributes.iter().take(i).any(|b| b == a) {
            return Err(DynamoDbError::validation(format!(
                "One or more parameter values were invalid: Duplicate value in attribute name: {a}"
            )));
        }
    }
    Ok(attributes
        .iter()
        .map(|a| w.name(a))
        .collect::<Vec<_>>()
        .join(", "))
}

/// `AttributeUpdates` as an update expression (`None`: nothing to change).
fn updates(w: &mut Writer, updates: &BTreeMap<String, AttributeValueUpdate>) -> Result<Option<String>> {
    let (mut set, mut remove, mut add, mut delete) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (attribute, u) in updates {
        match (u.action.as_deref().unwrap_or("PUT"), &u.value) {
            ("PUT", Some(v)) => set.push(format!("{} = {}", w.name(attribute), w.value(v))),
            ("PUT", None) => {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified: {attribute}"
                )));
            }
            ("DELETE", None) => remove.push(w.name(attribute)),
            ("DELETE", Some(v)) => delete.push(format!("{} {}", w.name(attribute), w.value(v))),
            ("ADD", Some(AttributeValue::L(_))) => {
                // Adding to a list appends to it, starting from an empty one.
                let a = w.name(attribute);
                let v = w.value(u.value.as_ref().unwrap_or(&AttributeValue::L(Vec::new())));
                let empty = w.value(&AttributeValue::L(Vec::new()));
                set.push(format!("{a} = list_append(if_not_exists({a}, {empty}), {v})"));
            }
            ("ADD", Some(v)) => add.push(format!("{} {}", w.name(attribute), w.value(v))),
            ("ADD", None) => {
                return Err(DynamoDbError::validation(format!(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified: {attribute}"
                )));
            }
            (other, _) => {
                return Err(DynamoDbError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'attributeUpdates.{attribute}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
                )));
            }
        }
    }
    let clauses: Vec<String> = [("SET", set), ("REMOVE", remove), ("ADD", add), ("DELETE", delete)]
        .into_iter()
        .filter(|(_, parts)| !parts.is_empty())
        .map(|(keyword, parts)| format!("{keyword} {}", parts.join(", ")))
        .collect();
    Ok((!clauses.is_empty()).then(|| clauses.join(" ")))
}

/// `PutItem` and `DeleteItem`: `Expected` and `ConditionalOperator`.
fn conditional_write(
    expected_in: &mut Option<ExpectedMap>,
    conditional_operator: &mut Option<String>,
    condition_expression: &mut Option<String>,
    names: &mut Option<Names>,
    values: &mut Option<Values>,
) -> Result<()> {
    check_forms(
        &[
            ("Expected", expected_in.is_some()),
            ("ConditionalOperator", conditional_operator.is_some()),
        ],
        &[("ConditionExpression", condition_expression.is_some())],
        &["ConditionExpression"],
        names.is_some(),
        values.is_some(),
    )?;
    let Some(e) = expected_in.take() else {
        return Ok(());
    };
    let mut w = Writer::default();
    let text = expected(&mut w, &e, conditional_operator.take().as_deref())?;
    *condition_expression = (!text.is_empty()).then_some(text);
    (*names, *values) = w.into_maps();
    Ok(())
}

/// `PutItem`'s legacy members, rewritten as expressions.
pub fn put_item(mut i: PutItemInput) -> Result<PutItemInput> {
    conditional_write(
        &mut i.expected,
        &mut i.conditional_operator,
        &mut i.condition_expression,
        &mut i.expression_attribute_names,
        &mut i.expression_attribute_values,
    )?;
    Ok(i)
}

/// `DeleteItem`'s legacy members, rewritten as expressions.
pub fn delete_item(mut i: DeleteItemInput) -> Result<DeleteItemInput> {
    conditional_write(
        &mut i.expected,
        &mut i.conditional_operator,
        &mut i.condition_expression,
        &mut i.expression_attribute_names,
        &mut i.expression_attribute_values,
    )?;
    Ok(i)
}

/// `UpdateItem`'s legacy members (`AttributeUpdates`, `Expected`),
/// rewritten as expressions.
pub fn update_item(mut i: UpdateItemInput) -> Result<UpdateItemInput> {
    check_forms(
        &[
            ("AttributeUpdates", i.attribute_updates.is_some()),
            ("Expected", i.expected.is_some()),
            ("ConditionalOperator", i.conditional_operator.is_some()),
        ],
        &[
            ("UpdateExpression", i.update_expression.is_some()),
            ("ConditionExpression", i.condition_expression.is_some()),
        ],
        &["UpdateExpression", "ConditionExpression"],
        i.expression_attribute_names.is_some(),
        i.expression_attribute_values.is_some(),
    )?;
    if i.attribute_updates.is_none() && i.expected.is_none() {
        return Ok(i);
    }
    let mut w = Writer::default();
    if let Some(u) = i.attribute_updates.take() {
        i.update_expression = updates(&mut w, &u)?;
    }
    if let Some(e) = i.expected.take() {
        let text = expected(&mut w, &e, i.conditional_operator.take().as_deref())?;
        i.condition_expression = (!text.is_empty()).then_some(text);
    }
    (i.expression_attribute_names, i.expression_attribute_values) = w.into_maps();
    Ok(i)
}

/// `AttributesToGet` of a read, rewritten as a `ProjectionExpression`.
fn projection_only(
    attributes_to_get: &mut Option<Vec<String>>,
    projection_expression: &mut Option<String>,
    names: &mut Option<Names>,
) -> Result<()> {
    check_forms(
        &[("AttributesToGet", attributes_to_get.is_some())],
        &[("ProjectionExpression", projection_expression.is_some())],
        &[],
        names.is_some(),
        false,
    )?;
    if let Some(a) = attributes_to_get.take() {
        let mut w = Writer::default();
        *projection_expression = Some(projection(&mut w, &a)?);
        *names = w.into_maps().0;
    }
    Ok(())
}

/// `GetItem`'s `AttributesToGet`, rewritten as a projection expression.
pub fn get_item(mut i: GetItemInput) -> Result<GetItemInput> {
    projection_only(
        &mut i.attributes_to_get,
        &mut i.projection_expression,
        &mut i.expression_attribute_names,
    )?;
    Ok(i)
}

/// One table's `KeysAndAttributes` in `BatchGetItem`, likewise.
pub fn keys_and_attributes(ka: &mut KeysAndAttributes) -> Result<()> {
    projection_only(
        &mut ka.attributes_to_get,
        &mut ka.projection_expression,
        &mut ka.expression_attribute_names,
    )
}

/// `Query`'s legacy members (`KeyConditions`, `QueryFilter`,
/// `ConditionalOperator`, `AttributesToGet`), rewritten as expressions.
pub fn query(i: QueryInput) -> Result<QueryInput> {
    read(i, true)
}

/// `Scan`'s legacy members (`ScanFilter`, `ConditionalOperator`,
/// `AttributesToGet`), rewritten as expressions.
pub fn scan(i: QueryInput) -> Result<QueryInput> {
    read(i, false)
}

fn read(mut i: QueryInput, is_query: bool) -> Result<QueryInput> {
    let filter_legacy = if is_query { &i.query_filter } else { &i.scan_filter };
    let mut legacy = vec![
        ("AttributesToGet", i.attributes_to_get.is_some()),
        (
            if is_query { "QueryFilter" } else { "ScanFilter" },
            filter_legacy.is_some(),
        ),
        ("ConditionalOperator", i.conditional_operator.is_some()),
    ];
    let mut expressions = vec![
        ("ProjectionExpression", i.projection_expression.is_some()),
        ("FilterExpression", i.filter_expression.is_some()),
    ];
    let mut valued = vec!["FilterExpression"];
    if is_query {
        legacy.push(("KeyConditions", i.key_conditions.is_some()));
        expressions.push(("KeyConditionExpression", i.key_condition_expression.is_some()));
        valued.push("KeyConditionExpression");
    }
    check_forms(
        &legacy,
        &expressions,
        &valued,
        i.expression_attribute_names.is_some(),
        i.expression_attribute_values.is_some(),
    )?;
    if !legacy.iter().any(|(_, present)| *present) {
        return Ok(i);
    }
    let mut w = Writer::default();
    if let Some(k) = i.key_conditions.take() {
        i.key_condition_expression = Some(conditions(&mut w, &k)?.join(" AND "));
    }
    let filter = if is_query {
        i.query_filter.take()
    } else {
        i.scan_filter.take()
    };
    let join = joiner(i.conditional_operator.take().as_deref())?;
    if let Some(f) = filter.filter(|f| !f.is_empty()) {
        let parts: Vec<String> = conditions(&mut w, &f)?
            .into_iter()
            .map(|p| format!("({p})"))
            .collect();
        i.filter_expression = Some(parts.join(join));
    }
    if let Some(a) = i.attributes_to_get.take() {
        i.projection_expression = Some(projection(&mut w, &a)?);
    }
    (i.expression_attribute_names, i.expression_attribute_values) = w.into_maps();
    Ok(i)
}
