//! The SNS Query protocol: form-encoded requests (`Action=Publish&
//! Version=2010-03-31`, maps as `Attributes.entry.1.key`, lists as
//! `Tags.member.1.Key`) checked and run on the engine, and answers in the
//! XML envelope of the botocore model (`<PublishResponse><PublishResult>`
//! and `<ResponseMetadata>`). Every echoed value is escaped by the core's
//! `xml_escape`.

use crate::delivery::loopback_url;
use crate::engine::{Engine, Subscription};
use crate::errors::{SnsError, SnsResult};
use firedrill_emu_core::error::xml_escape;
use firedrill_emu_core::query::QueryParams;
use std::collections::BTreeMap;

/// The XML namespace of every SNS response.
pub const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// The actions served.
pub const ACTIONS: [&str; 10] = [
    "CreateTopic",
    "ListTopics",
    "DeleteTopic",
    "GetTopicAttributes",
    "Subscribe",
    "ConfirmSubscription",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "Unsubscribe",
    "Publish",
];

/// The largest message SNS accepts (256 KiB).
const MAX_MESSAGE: usize = 262_144;

/// A decoded form body: the core's form with SNS's member forms.
#[derive(Debug, Default)]
pub struct Params(QueryParams);

impl Params {
    /// Decodes `application/x-www-form-urlencoded` bytes and the query string.
    pub fn decode(body: &[u8], query: Option<&str>) -> Self {
        Self(QueryParams::decode(body, query))
    }

    /// A parameter.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.str(name)
    }

    fn required(&self, name: &str) -> SnsResult<&str> {
        self.str(name).ok_or_else(|| SnsError::missing(name))
    }

    /// A map in the `<name>.entry.N.key` / `.value` form.
    fn entries(&self, name: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for i in 1.. {
            let Some(k) = self.str(&format!("{name}.entry.{i}.key")) else {
                break;
            };
            let v = self.str(&format!("{name}.entry.{i}.value")).unwrap_or_default();
            out.insert(k.to_owned(), v.to_owned());
        }
        out
    }

    /// Tags in the `Tags.member.N.Key` / `.Value` form.
    fn tags(&self) -> BTreeMap<String, String> {
        self.0.tag_pairs("Tags").into_iter().collect()
    }
}

/// An XML answer under construction.
#[derive(Debug, Default)]
struct Xml(String);

impl Xml {
    fn text(&mut self, tag: &str, value: &str) {
        self.0.push_str(&format!("<{tag}>{}</{tag}>", xml_escape(value)));
    }

    fn open(&mut self, tag: &str) {
        self.0.push_str(&format!("<{tag}>"));
    }

    fn close(&mut self, tag: &str) {
        self.0.push_str(&format!("</{tag}>"));
    }

    fn subscription(&mut self, s: &Subscription) {
        self.open("member");
        self.text(
            "SubscriptionArn",
            if s.confirmed {
                &s.arn
            } else {
                "PendingConfirmation"
            },
        );
        self.text("Owner", &s.owner);
        self.text("Protocol", &s.protocol);
        self.text("Endpoint", &s.endpoint);
        self.text("TopicArn", &s.topic_arn);
        self.close("member");
    }
}

/// The whole answer document for `action` around `result`.
pub fn envelope(action: &str, result: &str, request_id: &str) -> String {
    let result = if result.is_empty() {
        String::new()
    } else {
        format!("<{action}Result>{result}</{action}Result>")
    };
    format!(
        "<{action}Response xmlns=\"{XMLNS}\">{result}<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        xml_escape(request_id)
    )
}

/// What a request needs beyond its parameters.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The signed region.
    pub region: &'a str,
    /// The base of `SubscribeURL`s: the admin API's confirmation path on
    /// the endpoint the client used.
    pub confirm_base: String,
}

fn topic_name(name: &str) -> SnsResult<()> {
    let ok = (1..=256).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if name.ends_with(".fifo") {
        return Err(SnsError::invalid(
            "Name Reason: FIFO topics are not served by firedrill",
        ));
    }
    if !ok {
        return Err(SnsError::invalid(
            "Topic Name: must contain only alphanumeric characters, hyphens (-), or underscores (_), and be 1 to 256 characters long",
        ));
    }
    Ok(())
}

/// A page of 100 items from the token's offset.
fn page<T: Clone>(items: &[T], token: Option<&str>) -> SnsResult<(Vec<T>, Option<String>)> {
    let start = match token {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| SnsError::invalid("NextToken"))?,
    };
    let end = start.saturating_add(100).min(items.len());
    let slice = items.get(start..end).unwrap_or_default().to_vec();
    Ok((slice, (end < items.len()).then(|| end.to_string())))
}

/// Runs `action`; the inner XML of its result element.
pub fn run(engine: &Engine, call: &Call<'_>, action: &str, p: &Params) -> SnsResult<String> {
    let region = call.region;
    let mut x = Xml::default();
    match action {
        "CreateTopic" => {
            let name = p.required("Name")?;
            topic_name(name)?;
            let arn = engine.create_topic(region, name, p.entries("Attributes"), p.tags())?;
            x.text("TopicArn", &arn);
        }
        "ListTopics" => {
            let topics = engine.list_topics(region);
            let (items, next) = page(&topics, p.str("NextToken"))?;
            x.open("Topics");
            for arn in items {
                x.open("member");
                x.text("TopicArn", &arn);
                x.close("member");
            }
            x.close("Topics");
            if let Some(n) = next {
                x.text("NextToken", &n);
            }
        }
        "DeleteTopic" => engine.delete_topic(region, p.required("TopicArn")?)?,
        "GetTopicAttributes" => {
            let attrs = engine.topic_attributes(region, p.required("TopicArn")?)?;
            x.open("Attributes");
            for (k, v) in attrs {
                x.open("entry");
                x.text("key", &k);
                x.text("value", &v);
                x.close("entry");
            }
            x.close("Attributes");
        }
        "Subscribe" => {
            let topic = p.required("TopicArn")?;
            let protocol = p.required("Protocol")?;
            let endpoint = p.str("Endpoint").unwrap_or_default();
            match protocol {
                "http" | "https" => {}
                "email" | "email-json" | "sms" | "sqs" | "lambda" | "application" | "firehose" => {
                    return Err(SnsError::invalid(format!(
                        "Protocol Reason: firedrill delivers to http endpoints only, not {protocol}"
                    )));
                }
                _ => return Err(SnsError::invalid("Protocol")),
            }
            if !endpoint.starts_with(&format!("{protocol}://")) {
                return Err(SnsError::invalid(format!(
                    "Endpoint Reason: {protocol} endpoint must begin with {protocol}://"
                )));
            }
            if protocol == "https" {
                return Err(SnsError::invalid(
                    "Endpoint Reason: firedrill delivers to http:// endpoints only (no certificate of AWS's to present)",
                ));
            }
            if !loopback_url(endpoint) {
                return Err(SnsError::invalid(
                    "Endpoint Reason: firedrill delivers to loopback endpoints only",
                ));
            }
            let sub = engine.subscribe(region, topic, protocol, endpoint, &call.confirm_base)?;
            let return_arn = p
                .str("ReturnSubscriptionArn")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let arn = if sub.confirmed || return_arn {
                sub.arn.as_str()
            } else {
                "pending confirmation"
            };
            x.text("SubscriptionArn", arn);
        }
        "ConfirmSubscription" => {
            let topic = p.required("TopicArn")?;
            let token = p.required("Token")?;
            let arn = engine.confirm(region, topic, token)?;
            x.text("SubscriptionArn", &arn);
        }
        "ListSubscriptions" | "ListSubscriptionsByTopic" => {
            let topic = if action == "ListSubscriptionsByTopic" {
                Some(p.required("TopicArn")?)
            } else {
                None
            };
            let subs = engine.list_subscriptions(region, topic)?;
            let (items, next) = page(&subs, p.str("NextToken"))?;
            x.open("Subscriptions");
            for s in &items {
                x.subscription(s);
            }
            x.close("Subscriptions");
            if let Some(n) = next {
                x.text("NextToken", &n);
            }
        }
        "Unsubscribe" => engine.unsubscribe(region, p.required("SubscriptionArn")?)?,
        "Publish" => {
            let topic = match (p.str("TopicArn"), p.str("TargetArn"), p.str("PhoneNumber")) {
                (Some(t), None, None) | (None, Some(t), None) => t,
                (None, None, Some(_)) => {
                    return Err(SnsError::invalid(
                        "PhoneNumber Reason: SMS is not served by firedrill",
                    ));
                }
                (None, None, None) => {
                    return Err(SnsError::invalid(
                        "TopicArn or TargetArn Reason: no value for required parameter",
                    ));
                }
                _ => {
                    return Err(SnsError::invalid(
                        "TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
                    ));
                }
            };
            let message = p.required("Message")?;
            if message.is_empty() {
                return Err(SnsError::invalid("Empty message"));
            }
            if message.len() > MAX_MESSAGE {
                return Err(SnsError::invalid("Message too long"));
            }
            let subject = p.str("Subject");
            if let Some(s) = subject {
                let printable = s.chars().all(|c| c.is_ascii() && !c.is_ascii_control());
                if s.is_empty() || s.len() > 100 || !printable {
                    return Err(SnsError::invalid("Subject"));
                }
            }
            let message = match p.str("MessageStructure") {
                None => message.to_owned(),
                Some("json") => {
                    let v: serde_json::Value = serde_json::from_str(message).map_err(|_| {
                        SnsError::invalid("Message Structure - JSON message body failed to parse")
                    })?;
                    let pick = v.get("http").or_else(|| v.get("default"));
                    match pick.and_then(|d| d.as_str()) {
                        Some(d) => d.to_owned(),
                        None => {
                            return Err(SnsError::invalid(
                                "Message Structure - No default entry in JSON message body",
                            ));
                        }
                    }
                }
                Some(_) => return Err(SnsError::invalid("MessageStructure")),
            };
            let id = engine.publish(region, topic, subject, &message)?;
            x.text("MessageId", &id);
        }
        other => {
            return Err(SnsError::InvalidAction(format!(
                "The action {other} is not valid for this web service or not served by firedrill (served: {}).",
                ACTIONS.join(", ")
            )));
        }
    }
    Ok(x.0)
}
