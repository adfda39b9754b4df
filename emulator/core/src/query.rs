//! The Query protocol's wire format, shared by every service that speaks
//! it (RDS, ElastiCache, STS, and any other `awsQuery` service): the request
//! is a form (`Action=…&Version=…`, lists as `Name.Member.N` or
//! `Name.member.N`, tags as `Tags.Tag.N.Key`), the answer an
//! `<ActionResponse>` envelope with the result and the request id.
//!
//! [`QueryParams`] decodes the form and reads typed values; a value that
//! cannot be read is a [`ParamError`], which each service turns into its own
//! error (`MissingParameter`, `InvalidParameterValue`) with a `From` impl,
//! so `?` works in its decoders. [`envelope`] and [`xml_response`] write the
//! success answer; errors are [`crate::error::query_xml`]'s.

use crate::Body;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The most members a list or tag set is read to (AWS's own limits are far
/// lower; this only bounds the scan).
const MAX_MEMBERS: usize = 1000;

/// Why a form value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A required parameter is absent or empty.
    #[error("The request must contain the parameter {0}")]
    Missing(String),
    /// A boolean parameter holds something other than `true`/`false`.
    #[error("Invalid boolean value {value:?} for parameter {name}.")]
    NotBoolean {
        /// The parameter.
        name: String,
        /// What it held.
        value: String,
    },
    /// An integer parameter holds something that is not one.
    #[error("Invalid value {value:?} for parameter {name}: expected an integer.")]
    NotInteger {
        /// The parameter.
        name: String,
        /// What it held.
        value: String,
    },
    /// A timestamp parameter holds something that is not ISO 8601.
    #[error("Invalid value {value:?} for parameter {name}: expected an ISO 8601 timestamp.")]
    NotTimestamp {
        /// The parameter.
        name: String,
        /// What it held.
        value: String,
    },
}

impl ParamError {
    /// Whether the parameter was missing (services answer
    /// `MissingParameter`), rather than present with a bad value
    /// (`InvalidParameterValue`).
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Missing(_))
    }
}

/// A decoded Query-protocol form.
#[derive(Debug, Default, Clone)]
pub struct QueryParams {
    map: HashMap<String, String>,
}

impl QueryParams {
    /// Decodes `application/x-www-form-urlencoded` bytes with the query
    /// string merged in (AWS accepts both; the body wins on a clash).
    pub fn decode(body: &[u8], query: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for source in [query.map(str::as_bytes).unwrap_or_default(), body] {
            for (k, v) in form_urlencoded::parse(source) {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        Self { map }
    }

    /// A parameter's value.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// A parameter's value, owned.
    pub fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_owned)
    }

    /// A required parameter: present and not empty.
    pub fn required(&self, name: &str) -> Result<String, ParamError> {
        match self.str(name) {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(ParamError::Missing(name.to_owned())),
        }
    }

    /// An optional boolean (`true`/`false`, any case).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ParamError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ParamError::NotBoolean {
                name: name.to_owned(),
                value: v.to_owned(),
            }),
        }
    }

    /// An optional 32-bit integer.
    pub fn int(&self, name: &str) -> Result<Option<i32>, ParamError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| ParamError::NotInteger {
                name: name.to_owned(),
                value: v.to_owned(),
            }),
        }
    }

    /// An optional ISO 8601 timestamp.
    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ParamError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => parse_time(v).map(Some).ok_or_else(|| ParamError::NotTimestamp {
                name: name.to_owned(),
                value: v.to_owned(),
            }),
        }
    }

    /// A list: `Name.<member>.1`, `Name.<member>.2`, … (also
    /// `Name.member.N`), up to the first gap.
    pub fn list(&self, name: &str, member: &str) -> Vec<String> {
        (1..=MAX_MEMBERS)
            .map_while(|n| {
                self.str(&format!("{name}.{member}.{n}"))
                    .or_else(|| self.str(&format!("{name}.member.{n}")))
                    .map(str::to_owned)
            })
            .collect()
    }

    /// Key-value pairs `Name.Tag.N.Key` / `Name.Tag.N.Value` (also
    /// `Name.member.N.…`), in order, up to the first member with neither; a
    /// missing half is empty. The service validates them.
    pub fn tag_pairs(&self, name: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for n in 1..=MAX_MEMBERS {
            let prefix = [format!("{name}.Tag.{n}"), format!("{name}.member.{n}")]
                .into_iter()
                .find(|p| {
                    self.str(&format!("{p}.Key")).is_some() || self.str(&format!("{p}.Value")).is_some()
                });
            let Some(prefix) = prefix else { break };
            let key = self.str(&format!("{prefix}.Key")).unwrap_or_default();
            let value = self.str(&format!("{prefix}.Value")).unwrap_or_default();
            out.push((key.to_owned(), value.to_owned()));
        }
        out
    }
}

/// Reads an ISO 8601 timestamp as AWS's Query services accept it: RFC 3339,
/// or without a zone (taken as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// The `<ActionResponse>` envelope in namespace `xmlns` around a result
/// (`None`: an action whose answer has no result element).
pub fn envelope(xmlns: &str, action: &str, result: Option<&str>, request_id: &str) -> String {
    let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{xmlns}\">");
    if let Some(r) = result {
        out.push_str(&format!("<{action}Result>{r}</{action}Result>"));
    }
    out.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        crate::error::xml_escape(request_id)
    ));
    out
}

/// A 200 answer carrying `xml`, with the request id header AWS sets.
pub fn xml_response(xml: String, request_id: &str) -> http::Response<Body> {
    let mut response = http::Response::new(Body::from(xml));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/xml"),
    );
    if let Ok(id) = http::HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_wins_over_the_query_and_values_are_typed() {
        let p = QueryParams::decode(
            b"Action=Describe&Max=20&On=TRUE",
            Some("Action=Other&Since=2026-03-14T12:00:00"),
        );
        assert_eq!(p.str("Action"), Some("Describe"));
        assert_eq!(p.int("Max"), Ok(Some(20)));
        assert_eq!(p.bool("On"), Ok(Some(true)));
        assert_eq!(
            p.time("Since").unwrap().map(|t| t.to_rfc3339()),
            Some("2026-03-14T12:00:00+00:00".to_owned())
        );
        assert_eq!(p.int("Absent"), Ok(None));
    }

    #[test]
    fn bad_values_and_missing_parameters_are_errors() {
        let p = QueryParams::decode(b"Max=lots&On=yes&Empty=&Since=noon", None);
        assert!(matches!(p.int("Max"), Err(ParamError::NotInteger { .. })));
        assert!(matches!(p.bool("On"), Err(ParamError::NotBoolean { .. })));
        assert!(matches!(p.time("Since"), Err(ParamError::NotTimestamp { .. })));
        assert!(p.required("Empty").unwrap_err().is_missing());
        assert!(p.required("Gone").unwrap_err().is_missing());
        assert!(!p.int("Max").unwrap_err().is_missing());
    }

    #[test]
    fn lists_and_tags_read_both_member_spellings_up_to_the_first_gap() {
        let p = QueryParams::decode(
            b"Ids.Id.1=a&Ids.Id.2=b&Ids.Id.4=d&Arns.member.1=x&Tags.Tag.1.Key=team&Tags.Tag.1.Value=shop&Tags.member.2.Key=tier",
            None,
        );
        assert_eq!(p.list("Ids", "Id"), ["a", "b"]);
        assert_eq!(p.list("Arns", "Arn"), ["x"]);
        assert_eq!(
            p.tag_pairs("Tags"),
            [
                ("team".to_owned(), "shop".to_owned()),
                ("tier".to_owned(), String::new())
            ]
        );
    }

    #[test]
    fn the_envelope_escapes_the_request_id_and_omits_an_absent_result() {
        let body = envelope(
            "http://rds.amazonaws.com/doc/2014-10-31/",
            "DescribeDBInstances",
            Some("<DBInstances/>"),
            "r<1>",
        );
        assert!(
            body.contains("<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">")
        );
        assert!(body.contains("<DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult>"));
        assert!(body.contains("<RequestId>r&lt;1&gt;</RequestId>"));
        assert!(!envelope("x", "AddTagsToResource", None, "r").contains("Result>"));
        let response = xml_response(body, "r-1");
        assert_eq!(response.headers()["content-type"], "text/xml");
        assert_eq!(response.headers()["x-amzn-requestid"], "r-1");
    }
}
