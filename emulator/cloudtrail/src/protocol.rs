//! The HTTP side of CloudTrail (AWS JSON 1.1): reads the `X-Amz-Target`
//! (`CloudTrail_20131101.<Op>` as the Rust SDK sends it, or botocore's
//! `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`) and the
//! body, checks `LookupEvents`' members as CloudTrail checks them before
//! anything is read, and renders the answer.

use crate::document::{document, insert};
use crate::errors::{Result, TrailError, json_response};
use crate::events::{Attribute, Lookup, Page, Scope, TrailEvent, lookup};
use chrono::{DateTime, Utc};
use firedrill_emu_core::Body;
use firedrill_emu_core::audit::AuditRecord;
use firedrill_emu_core::body::{MAX_BUFFERED_BODY, collect};
use http::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};

/// The target prefixes CloudTrail's clients send.
const TARGET_PREFIXES: &[&str] = &[
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
    "CloudTrail_20131101.",
];

/// Every operation of botocore's `cloudtrail/2013-11-01` model; those this
/// emulator does not serve answer `UnsupportedOperationException`.
const MODEL_OPERATIONS: &[&str] = &[
    "AddTags",
    "CancelQuery",
    "CreateChannel",
    "CreateDashboard",
    "CreateEventDataStore",
    "CreateTrail",
    "DeleteChannel",
    "DeleteDashboard",
    "DeleteEventDataStore",
    "DeleteResourcePolicy",
    "DeleteTrail",
    "DeregisterOrganizationDelegatedAdmin",
    "DescribeQuery",
    "DescribeTrails",
    "DisableFederation",
    "EnableFederation",
    "GenerateQuery",
    "GetChannel",
    "GetDashboard",
    "GetEventConfiguration",
    "GetEventDataStore",
    "GetEventSelectors",
    "GetImport",
    "GetInsightSelectors",
    "GetQueryResults",
    "GetResourcePolicy",
    "GetTrail",
    "GetTrailStatus",
    "ListChannels",
    "ListDashboards",
    "ListEventDataStores",
    "ListImportFailures",
    "ListImports",
    "ListInsightsData",
    "ListInsightsMetricData",
    "ListPublicKeys",
    "ListQueries",
    "ListTags",
    "ListTrails",
    "LookupEvents",
    "PutEventConfiguration",
    "PutEventSelectors",
    "PutInsightSelectors",
    "PutResourcePolicy",
    "RegisterOrganizationDelegatedAdmin",
    "RemoveTags",
    "RestoreEventDataStore",
    "SearchSampleQueries",
    "StartDashboardRefresh",
    "StartEventDataStoreIngestion",
    "StartImport",
    "StartLogging",
    "StartQuery",
    "StopEventDataStoreIngestion",
    "StopImport",
    "StopLogging",
    "UpdateChannel",
    "UpdateDashboard",
    "UpdateEventDataStore",
    "UpdateTrail",
];

/// `LookupAttributeKey`'s values.
const ATTRIBUTE_KEYS: &[&str] = &[
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
];

/// The most `LookupAttributeValue` holds, counting `_`, space, `,` and
/// `\n` twice, as the model says.
const MAX_ATTRIBUTE_VALUE: usize = 2000;

/// Answers one request over the records of `audit` in `scope` (read in
/// place, not copied).
pub async fn handle(
    audit: &firedrill_emu_core::audit::AuditLog,
    scope: Scope<'_>,
    request_id: &str,
    req: Request<Body>,
) -> Response<Body> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = match collect(req.into_body(), MAX_BUFFERED_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return TrailError::Serialization(format!("Unable to read the request body: {e}"))
                .into_response(request_id);
        }
    };
    match audit.with_records(|records| dispatch(records, scope, &target, &body)) {
        Ok(v) => json_response(StatusCode::OK, &v, request_id),
        Err(e) => e.into_response(request_id),
    }
}

/// The operation a target names.
fn operation(target: &str) -> Result<&str> {
    let op = TARGET_PREFIXES
        .iter()
        .find_map(|p| target.strip_prefix(p))
        .filter(|op| MODEL_OPERATIONS.contains(op));
    op.ok_or_else(|| {
        TrailError::UnknownOperation(format!("Operation {target:?} is not a CloudTrail operation."))
    })
}

/// Decodes, runs and encodes one operation.
pub fn dispatch(records: &[AuditRecord], scope: Scope<'_>, target: &str, body: &[u8]) -> Result<Value> {
    let op = operation(target)?;
    let input = parse(body)?;
    match op {
        "LookupEvents" => {
            let (request, token) = lookup_request(&input)?;
            Ok(render(lookup(records, scope, &request, token.as_deref())?))
        }
        // The event history needs no trail: an account has none until it
        // creates one, and this emulator creates none.
        "DescribeTrails" => Ok(json!({ "trailList": [] })),
        "ListTrails" => Ok(json!({ "Trails": [] })),
        other => Err(TrailError::UnsupportedOperation(format!(
            "firedrill serves the event history (LookupEvents); {other} is not emulated."
        ))),
    }
}

fn parse(body: &[u8]) -> Result<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(TrailError::Serialization(
            "Start of structure or map found where not expected.".to_owned(),
        )),
        Err(e) => Err(TrailError::Serialization(format!(
            "Unable to parse the request body: {e}"
        ))),
    }
}

fn member<'a>(input: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    input.get(name).filter(|v| !v.is_null())
}

fn mismatch(name: &str, want: &str) -> TrailError {
    TrailError::Serialization(format!("{name} must be {want}"))
}

/// A JSON 1.1 timestamp: epoch seconds, with fractions.
fn timestamp(input: &Map<String, Value>, name: &str) -> Result<Option<DateTime<Utc>>> {
    let Some(v) = member(input, name) else {
        return Ok(None);
    };
    let secs = v
        .as_f64()
        .ok_or_else(|| mismatch(name, "a timestamp in epoch seconds"))?;
    let millis = (secs * 1000.0).round();
    let out_of_range =
        || TrailError::InvalidTimeRange(format!("{name} is outside the range of possible values."));
    if !millis.is_finite() || millis.abs() > 8.0e15 {
        return Err(out_of_range());
    }
    DateTime::<Utc>::from_timestamp_millis(millis as i64)
        .map(Some)
        .ok_or_else(out_of_range)
}

/// `LookupAttributeValue`'s length as the model counts it.
fn value_length(v: &str) -> usize {
    v.chars()
        .map(|c| if matches!(c, '_' | ' ' | ',' | '\n') { 2 } else { 1 })
        .sum()
}

fn attribute(v: &Value) -> Result<Attribute> {
    let obj = v
        .as_object()
        .ok_or_else(|| mismatch("LookupAttribute", "a structure"))?;
    let invalid = |m: &str| TrailError::InvalidLookupAttributes(m.to_owned());
    let key = match member(obj, "AttributeKey") {
        None => return Err(invalid("Lookup attribute key must not be null.")),
        Some(k) => k.as_str().ok_or_else(|| mismatch("AttributeKey", "a string"))?,
    };
    let value = match member(obj, "AttributeValue") {
        None => return Err(invalid("Lookup attribute value must not be null.")),
        Some(v) => v.as_str().ok_or_else(|| mismatch("AttributeValue", "a string"))?,
    };
    if !ATTRIBUTE_KEYS.contains(&key) {
        return Err(invalid("Lookup attribute key is not valid."));
    }
    if value.is_empty() || value_length(value) > MAX_ATTRIBUTE_VALUE {
        return Err(invalid("Lookup attribute value is not valid."));
    }
    let v = value.to_owned();
    Ok(match key {
        "EventId" => Attribute::EventId(v),
        "EventName" => Attribute::EventName(v),
        "ReadOnly" => match value {
            "true" => Attribute::ReadOnly(true),
            "false" => Attribute::ReadOnly(false),
            _ => {
                return Err(invalid(
                    "Lookup attribute value is not valid: ReadOnly is true or false.",
                ));
            }
        },
        "Username" => Attribute::Username(v),
        "ResourceType" => Attribute::ResourceType(v),
        "ResourceName" => Attribute::ResourceName(v),
        "EventSource" => Attribute::EventSource(v),
        _ => Attribute::AccessKeyId(v),
    })
}

/// `LookupEvents`' input, every rule checked before anything is read.
fn lookup_request(input: &Map<String, Value>) -> Result<(Lookup, Option<String>)> {
    let attributes = match member(input, "LookupAttributes") {
        None => Vec::new(),
        Some(v) => v
            .as_array()
            .ok_or_else(|| mismatch("LookupAttributes", "a list"))?
            .iter()
            .map(attribute)
            .collect::<Result<Vec<_>>>()?,
    };
    if attributes.len() > 1 {
        return Err(TrailError::InvalidLookupAttributes(
            "You can specify only one lookup attribute.".to_owned(),
        ));
    }
    let start = timestamp(input, "StartTime")?;
    let end = timestamp(input, "EndTime")?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(TrailError::InvalidTimeRange(
            "Start time must be before or equal to end time.".to_owned(),
        ));
    }
    let insight = match member(input, "EventCategory") {
        None => false,
        Some(v) => match v.as_str() {
            Some("insight") => true,
            Some(other) => {
                return Err(TrailError::InvalidEventCategory(format!(
                    "Event category {other} is not valid. Valid value is insight."
                )));
            }
            None => return Err(mismatch("EventCategory", "a string")),
        },
    };
    let max_results = match member(input, "MaxResults") {
        None => 50,
        Some(v) => {
            let n = v.as_i64().ok_or_else(|| mismatch("MaxResults", "an integer"))?;
            if !(1..=50).contains(&n) {
                return Err(TrailError::InvalidMaxResults(format!(
                    "A max results value of {n} is invalid. Specify max results between 1 and 50."
                )));
            }
            n as usize
        }
    };
    let token = match member(input, "NextToken") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .ok_or_else(|| mismatch("NextToken", "a string"))?
                .to_owned(),
        ),
    };
    Ok((
        Lookup {
            attribute: attributes.into_iter().next(),
            start,
            end,
            insight,
            max_results,
        },
        token,
    ))
}

fn epoch(t: DateTime<Utc>) -> Value {
    json!(t.timestamp_millis() as f64 / 1000.0)
}

/// One `Event` of the answer.
fn event(e: &TrailEvent) -> Value {
    let mut out = json!({
        "EventId": e.record.event_id,
        "EventName": e.record.event.event_name,
        "ReadOnly": e.read_only.to_string(),
        "EventTime": epoch(e.time()),
        "EventSource": e.source,
        "Resources": e
            .resources
            .iter()
            .map(|r| {
                let mut v = json!({ "ResourceName": r.name });
                if let Some(kind) = &r.kind {
                    insert(&mut v, "ResourceType", kind.clone().into());
                }
                v
            })
            .collect::<Vec<_>>(),
        "CloudTrailEvent": document(e).to_string(),
    });
    if let Some(key) = &e.access_key_id {
        insert(&mut out, "AccessKeyId", key.clone().into());
    }
    if let Some(user) = &e.username {
        insert(&mut out, "Username", user.clone().into());
    }
    out
}

fn render(page: Page) -> Value {
    let mut out = json!({ "Events": page.events.iter().map(event).collect::<Vec<_>>() });
    if let Some(t) = page.next_token {
        insert(&mut out, "NextToken", t.into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope<'static> {
        Scope {
            account: "000000000000",
            region: "us-east-1",
            now: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn code(target: &str, body: &str) -> &'static str {
        dispatch(&[], scope(), target, body.as_bytes())
            .unwrap_err()
            .code()
    }

    const LOOKUP: &str = "CloudTrail_20131101.LookupEvents";

    #[test]
    fn bad_lookups_get_cloudtrails_errors() {
        let two = r#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"a"},{"AttributeKey":"Username","AttributeValue":"b"}]}"#;
        assert_eq!(code(LOOKUP, two), "InvalidLookupAttributesException");
        let key = r#"{"LookupAttributes":[{"AttributeKey":"Region","AttributeValue":"a"}]}"#;
        assert_eq!(code(LOOKUP, key), "InvalidLookupAttributesException");
        let long = format!(
            r#"{{"LookupAttributes":[{{"AttributeKey":"EventName","AttributeValue":"{}"}}]}}"#,
            "_".repeat(1001)
        );
        assert_eq!(code(LOOKUP, &long), "InvalidLookupAttributesException");
        assert_eq!(
            code(LOOKUP, r#"{"StartTime": 200, "EndTime": 100}"#),
            "InvalidTimeRangeException"
        );
        assert_eq!(
            code(LOOKUP, r#"{"MaxResults": 51}"#),
            "InvalidMaxResultsException"
        );
        assert_eq!(code(LOOKUP, r#"{"MaxResults": 0}"#), "InvalidMaxResultsException");
        assert_eq!(
            code(LOOKUP, r#"{"EventCategory": "data"}"#),
            "InvalidEventCategoryException"
        );
        assert_eq!(
            code(LOOKUP, r#"{"NextToken": "bogus"}"#),
            "InvalidNextTokenException"
        );
        assert_eq!(code(LOOKUP, "[1]"), "SerializationException");
        assert_eq!(code(LOOKUP, r#"{"MaxResults": "ten"}"#), "SerializationException");
        assert_eq!(
            code("CloudTrail_20131101.CreateTrail", "{}"),
            "UnsupportedOperationException"
        );
        assert_eq!(
            code("CloudTrail_20131101.Nope", "{}"),
            "UnknownOperationException"
        );
    }

    #[test]
    fn both_target_forms_are_read() {
        let botocore = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";
        let answer = dispatch(&[], scope(), botocore, b"{}").unwrap();
        assert_eq!(answer, json!({ "Events": [] }));
        assert_eq!(value_length("a_b c"), 7);
    }
}
