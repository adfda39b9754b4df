//! The wire: Smithy RPC v2 CBOR, the protocol both `aws-sdk-cloudwatch`
//! 1.x and botocore 1.43 speak to CloudWatch (the model lists
//! `smithy-rpc-v2-cbor` first, then `json` and `query`).
//!
//! A request is `POST /service/GraniteServiceVersion20100801/operation/<Op>`
//! with a CBOR map body (timestamps are tag 1 over epoch seconds). A request
//! in the JSON 1.0 form (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`)
//! is read too, since the same members decode from either. Both become a
//! JSON value tree ([`Input`]) so that the protocol module decodes members
//! once.
//!
//! An answer is a CBOR map with `smithy-protocol: rpc-v2-cbor` (or JSON 1.0
//! when the request was JSON); an error carries `__type` (the model's shape
//! name) and `message`, and, because CloudWatch is `awsQueryCompatible`, the
//! `x-amzn-query-error: <Code>;Sender` header with the Query error code the
//! SDKs report.

use base64::Engine as _;
use ciborium::Value as Cbor;
use firedrill_emu_core::Body;
use http::{Response, StatusCode};
use serde_json::Value as Json;

/// The Smithy service shape name in the RPC v2 path and the JSON target.
pub const SERVICE_SHAPE: &str = "GraniteServiceVersion20100801";

/// The namespace of `__type` in errors.
pub const ERROR_NAMESPACE: &str = "com.amazonaws.cloudwatch";

/// Which encoding a request used, and so its answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Smithy RPC v2 CBOR.
    Cbor,
    /// JSON 1.0 (awsJson1_0).
    Json,
}

/// A decoded request: the operation and its members as a JSON tree.
#[derive(Debug)]
pub struct Input {
    /// The operation's name (`PutMetricAlarm`).
    pub operation: String,
    /// The members.
    pub members: Json,
    /// The encoding to answer in.
    pub encoding: Encoding,
}

/// Why a request could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The path or target names no operation.
    #[error("{0}")]
    UnknownOperation(String),
    /// The body is not a CBOR (or JSON) map.
    #[error("{0}")]
    Serialization(String),
}

/// Reads the operation from the path (or `X-Amz-Target`) and decodes the body.
pub fn decode(path: &str, target: Option<&str>, body: &[u8]) -> Result<Input, WireError> {
    if let Some(target) = target {
        let operation = target
            .strip_prefix(SERVICE_SHAPE)
            .and_then(|t| t.strip_prefix('.'))
            .ok_or_else(|| WireError::UnknownOperation(format!("Unknown target {target}")))?;
        let members = if body.is_empty() {
            Json::Object(Default::default())
        } else {
            serde_json::from_slice(body)
                .map_err(|e| WireError::Serialization(format!("Malformed JSON body: {e}")))?
        };
        return Ok(Input {
            operation: operation.to_owned(),
            members: object_or_error(members)?,
            encoding: Encoding::Json,
        });
    }
    let operation = path
        .strip_prefix("/service/")
        .and_then(|p| p.strip_prefix(SERVICE_SHAPE))
        .and_then(|p| p.strip_prefix("/operation/"))
        .filter(|op| !op.is_empty() && !op.contains('/'))
        .ok_or_else(|| WireError::UnknownOperation(format!("No operation at {path}")))?;
    let members = if body.is_empty() {
        Json::Object(Default::default())
    } else {
        let value: Cbor = ciborium::from_reader(body)
            .map_err(|e| WireError::Serialization(format!("Malformed CBOR body: {e}")))?;
        to_json(value, 0)?
    };
    Ok(Input {
        operation: operation.to_owned(),
        members: object_or_error(members)?,
        encoding: Encoding::Cbor,
    })
}

fn object_or_error(v: Json) -> Result<Json, WireError> {
    match v {
        Json::Object(_) => Ok(v),
        Json::Null => Ok(Json::Object(Default::default())),
        _ => Err(WireError::Serialization("The request body must be a map".into())),
    }
}

/// The deepest nesting accepted (the model nests five levels at most).
const MAX_DEPTH: usize = 32;

/// A CBOR value as JSON: tags dropped (a timestamp becomes its epoch
/// seconds), byte strings base64, map keys text.
fn to_json(v: Cbor, depth: usize) -> Result<Json, WireError> {
    if depth > MAX_DEPTH {
        return Err(WireError::Serialization("The request nests too deeply".into()));
    }
    Ok(match v {
        Cbor::Integer(i) => {
            let i: i128 = i.into();
            if let Ok(n) = i64::try_from(i) {
                Json::from(n)
            } else {
                serde_json::Number::from_f64(i as f64).map_or(Json::Null, Json::Number)
            }
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or_else(|| WireError::Serialization("Non-finite numbers are not accepted".into()))?,
        Cbor::Text(s) => Json::String(s),
        Cbor::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Cbor::Bool(b) => Json::Bool(b),
        Cbor::Null => Json::Null,
        Cbor::Tag(_, inner) => to_json(*inner, depth + 1)?,
        Cbor::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|i| to_json(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Cbor::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                let Cbor::Text(k) = k else {
                    return Err(WireError::Serialization("Map keys must be text".into()));
                };
                map.insert(k, to_json(v, depth + 1)?);
            }
            Json::Object(map)
        }
        _ => return Err(WireError::Serialization("Unsupported CBOR value".into())),
    })
}

/// An answer value: what a result shape is built of.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// A string.
    Str(String),
    /// A double.
    Num(f64),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A timestamp.
    Time(chrono::DateTime<chrono::Utc>),
    /// A list.
    List(Vec<Out>),
    /// A structure, members in order.
    Map(Vec<(&'static str, Out)>),
}

impl Out {
    /// A structure from members, leaving out the absent ones.
    pub fn map(members: Vec<(&'static str, Option<Out>)>) -> Self {
        Self::Map(
            members
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect(),
        )
    }

    /// A string member.
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    /// A list of strings.
    pub fn strs<'a>(items: impl IntoIterator<Item = &'a String>) -> Self {
        Self::List(items.into_iter().map(|s| Self::Str(s.clone())).collect())
    }

    fn into_cbor(self) -> Cbor {
        match self {
            Self::Str(s) => Cbor::Text(s),
            Self::Num(n) => Cbor::Float(n),
            Self::Int(i) => Cbor::Integer(i.into()),
            Self::Bool(b) => Cbor::Bool(b),
            Self::Time(t) => Cbor::Tag(1, Box::new(Cbor::Float(epoch_seconds(t)))),
            Self::List(items) => Cbor::Array(items.into_iter().map(Self::into_cbor).collect()),
            Self::Map(members) => Cbor::Map(
                members
                    .into_iter()
                    .map(|(k, v)| (Cbor::Text(k.to_owned()), v.into_cbor()))
                    .collect(),
            ),
        }
    }

    fn into_json(self) -> Json {
        match self {
            Self::Str(s) => Json::String(s),
            Self::Num(n) => serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number),
            Self::Int(i) => Json::from(i),
            Self::Bool(b) => Json::Bool(b),
            Self::Time(t) => serde_json::Number::from_f64(epoch_seconds(t)).map_or(Json::Null, Json::Number),
            Self::List(items) => Json::Array(items.into_iter().map(Self::into_json).collect()),
            Self::Map(members) => Json::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.into_json()))
                    .collect(),
            ),
        }
    }
}

fn epoch_seconds(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

fn response(status: StatusCode, encoding: Encoding, request_id: &str) -> http::response::Builder {
    let builder = Response::builder()
        .status(status)
        .header("x-amzn-requestid", request_id);
    match encoding {
        Encoding::Cbor => builder
            .header("content-type", "application/cbor")
            .header("smithy-protocol", "rpc-v2-cbor"),
        Encoding::Json => builder.header("content-type", "application/x-amz-json-1.0"),
    }
}

fn encode(encoding: Encoding, value: Out) -> Vec<u8> {
    match encoding {
        Encoding::Cbor => {
            let mut buf = Vec::new();
            if let Err(e) = ciborium::into_writer(&value.into_cbor(), &mut buf) {
                tracing::error!(error = %e, "could not encode a CBOR answer");
            }
            buf
        }
        Encoding::Json => serde_json::to_vec(&value.into_json()).unwrap_or_default(),
    }
}

/// A successful answer (`None`: an operation without output, an empty map).
pub fn ok(encoding: Encoding, value: Option<Out>, request_id: &str) -> Response<Body> {
    let body = encode(encoding, value.unwrap_or(Out::Map(Vec::new())));
    response(StatusCode::OK, encoding, request_id)
        .body(firedrill_emu_core::body::full(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// An error answer: `shape` is the model's exception shape name, `code` its
/// Query error code.
pub fn error(
    encoding: Encoding,
    status: StatusCode,
    shape: &str,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    let body = encode(
        encoding,
        Out::Map(vec![
            ("__type", Out::str(format!("{ERROR_NAMESPACE}#{shape}"))),
            ("message", Out::str(message)),
        ]),
    );
    let fault = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    response(status, encoding, request_id)
        .header("x-amzn-query-error", format!("{code};{fault}"))
        .body(firedrill_emu_core::body::full(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cbor_request_decodes_with_its_timestamps_as_seconds() {
        let value = Cbor::Map(vec![
            (Cbor::Text("Namespace".into()), Cbor::Text("Shop".into())),
            (
                Cbor::Text("StartTime".into()),
                Cbor::Tag(1, Box::new(Cbor::Float(1_700_000_000.5))),
            ),
        ]);
        let mut body = Vec::new();
        ciborium::into_writer(&value, &mut body).expect("encode");
        let input = decode(
            "/service/GraniteServiceVersion20100801/operation/ListMetrics",
            None,
            &body,
        )
        .expect("decodes");
        assert_eq!(input.operation, "ListMetrics");
        assert_eq!(input.members["Namespace"], "Shop");
        assert_eq!(input.members["StartTime"], 1_700_000_000.5);
    }

    #[test]
    fn a_body_that_is_not_a_map_is_refused() {
        let mut body = Vec::new();
        ciborium::into_writer(&Cbor::Integer(3.into()), &mut body).expect("encode");
        let path = "/service/GraniteServiceVersion20100801/operation/ListMetrics";
        assert!(matches!(
            decode(path, None, &body),
            Err(WireError::Serialization(_))
        ));
        assert!(matches!(
            decode(path, None, b"\xff\x00"),
            Err(WireError::Serialization(_))
        ));
        assert!(matches!(
            decode("/", None, b""),
            Err(WireError::UnknownOperation(_))
        ));
    }
}
