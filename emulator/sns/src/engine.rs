//! The SNS engine: topics, subscriptions and every published message per
//! region, with no HTTP. Publishing records the message in its topic's
//! inbox (what the admin API shows) and hands one delivery per confirmed
//! HTTP subscription to [`crate::delivery`]; a new HTTP subscription gets a
//! `SubscriptionConfirmation` first and receives nothing until it is
//! confirmed (ConfirmSubscription with the token, or a GET of its
//! `SubscribeURL`).

use crate::delivery::{self, Delivery};
use crate::errors::{SnsError, SnsResult};
use chrono::{DateTime, SecondsFormat, Utc};
use firedrill_emu_core::Environment;
use firedrill_emu_core::arn::Arn;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its ARN (`<topic arn>:<uuid>`).
    pub arn: String,
    /// The topic's ARN.
    pub topic_arn: String,
    /// `http` or `https`.
    pub protocol: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// The confirmation token, while pending.
    pub token: Option<String>,
    /// Whether the endpoint confirmed it.
    pub confirmed: bool,
    /// The owner account.
    pub owner: String,
}

/// How one delivery of a message went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DeliveryStatus {
    /// The subscription.
    pub subscription_arn: String,
    /// Its endpoint.
    pub endpoint: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// The endpoint's HTTP status or the error, once known.
    pub detail: Option<String>,
}

/// One published message as the admin API shows it: the fields of the
/// notification an HTTP endpoint receives, and how each delivery went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct InboxMessage {
    /// `Notification`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The message id.
    pub message_id: String,
    /// The topic.
    pub topic_arn: String,
    /// The subject, when given.
    pub subject: Option<String>,
    /// The message.
    pub message: String,
    /// When it was published (emulator clock).
    pub timestamp: String,
    /// One entry per confirmed subscription it was sent to.
    pub deliveries: Vec<DeliveryStatus>,
}

/// A topic.
#[derive(Debug, Clone, Default)]
pub struct Topic {
    /// Its ARN.
    pub arn: String,
    /// Its attributes as set (`DisplayName`, ...).
    pub attributes: BTreeMap<String, String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Every message published to it, oldest first.
    pub inbox: Vec<InboxMessage>,
}

/// One region's SNS state.
#[derive(Debug, Default)]
pub struct RegionState {
    /// Topics by name.
    pub topics: BTreeMap<String, Topic>,
    /// Subscriptions by ARN.
    pub subscriptions: BTreeMap<String, Subscription>,
}

/// The engine.
#[derive(Debug)]
pub struct Engine {
    env: Environment,
    state: Arc<Mutex<BTreeMap<String, RegionState>>>,
}

/// The region and topic name of a topic ARN.
pub fn parse_topic_arn(arn: &str) -> Option<(String, String)> {
    let arn = Arn::parse(arn).ok()?;
    (arn.service == "sns" && !arn.resource.contains(':')).then_some((arn.region, arn.resource))
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Engine {
    /// An empty engine.
    pub fn new(env: &Environment) -> Arc<Self> {
        Arc::new(Self {
            env: env.clone(),
            state: Arc::new(Mutex::new(BTreeMap::new())),
        })
    }

    fn topic_arn(&self, region: &str, name: &str) -> String {
        format!("arn:aws:sns:{region}:{}:{name}", self.env.account_id())
    }

    /// CreateTopic: idempotent for the same name and attributes.
    pub fn create_topic(
        &self,
        region: &str,
        name: &str,
        attributes: BTreeMap<String, String>,
        tags: BTreeMap<String, String>,
    ) -> SnsResult<String> {
        let arn = self.topic_arn(region, name);
        let mut st = self.state.lock();
        let rs = st.entry(region.to_owned()).or_default();
        if let Some(existing) = rs.topics.get(name) {
            if !attributes.is_empty() && existing.attributes != attributes {
                return Err(SnsError::invalid(
                    "Attributes Reason: Topic already exists with different attributes",
                ));
            }
            return Ok(existing.arn.clone());
        }
        rs.topics.insert(
            name.to_owned(),
            Topic {
                arn: arn.clone(),
                attributes,
                tags,
                inbox: Vec::new(),
            },
        );
        Ok(arn)
    }

    /// ListTopics: every topic ARN in the region, in name order.
    pub fn list_topics(&self, region: &str) -> Vec<String> {
        let st = self.state.lock();
        st.get(region)
            .map(|rs| rs.topics.values().map(|t| t.arn.clone()).collect())
            .unwrap_or_default()
    }

    /// DeleteTopic with its subscriptions; deleting a topic that does not
    /// exist is not an error.
    pub fn delete_topic(&self, region: &str, arn: &str) -> SnsResult<()> {
        let (_, name) = parse_topic_arn(arn).ok_or_else(|| SnsError::invalid("TopicArn"))?;
        let mut st = self.state.lock();
        let rs = st.entry(region.to_owned()).or_default();
        if rs.topics.get(&name).is_some_and(|t| t.arn == arn) {
            rs.topics.remove(&name);
            rs.subscriptions.retain(|_, s| s.topic_arn != arn);
        }
        Ok(())
    }

    /// The topic's attributes as GetTopicAttributes shows them.
    pub fn topic_attributes(&self, region: &str, arn: &str) -> SnsResult<BTreeMap<String, String>> {
        let (_, name) = parse_topic_arn(arn).ok_or_else(|| SnsError::invalid("TopicArn"))?;
        let st = self.state.lock();
        let rs = st.get(region).ok_or_else(SnsError::no_topic)?;
        let topic = rs
            .topics
            .get(&name)
            .filter(|t| t.arn == arn)
            .ok_or_else(SnsError::no_topic)?;
        let subs = rs.subscriptions.values().filter(|s| s.topic_arn == arn);
        let confirmed = subs.clone().filter(|s| s.confirmed).count();
        let pending = subs.count() - confirmed;
        let mut attrs = topic.attributes.clone();
        attrs.insert("TopicArn".into(), topic.arn.clone());
        attrs.insert("Owner".into(), self.env.account_id().to_owned());
        attrs.entry("DisplayName".into()).or_default();
        attrs.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
        attrs.insert("SubscriptionsPending".into(), pending.to_string());
        attrs.insert("SubscriptionsDeleted".into(), "0".into());
        Ok(attrs)
    }

    /// Subscribe an HTTP endpoint: the subscription is pending and a
    /// `SubscriptionConfirmation` is posted to the endpoint, whose
    /// `SubscribeURL` is under `confirm_base`.
    pub fn subscribe(
        &self,
        region: &str,
        topic_arn: &str,
        protocol: &str,
        endpoint: &str,
        confirm_base: &str,
    ) -> SnsResult<Subscription> {
        let (_, name) = parse_topic_arn(topic_arn).ok_or_else(|| SnsError::invalid("TopicArn"))?;
        let (subscription, confirmation) = {
            let mut st = self.state.lock();
            let rs = st.entry(region.to_owned()).or_default();
            if rs.topics.get(&name).is_none_or(|t| t.arn != topic_arn) {
                return Err(SnsError::no_topic());
            }
            if let Some(existing) = rs
                .subscriptions
                .values()
                .find(|s| s.topic_arn == topic_arn && s.protocol == protocol && s.endpoint == endpoint)
            {
                return Ok(existing.clone());
            }
            let token = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            let subscription = Subscription {
                arn: format!("{topic_arn}:{}", uuid::Uuid::new_v4()),
                topic_arn: topic_arn.to_owned(),
                protocol: protocol.to_owned(),
                endpoint: endpoint.to_owned(),
                token: Some(token.clone()),
                confirmed: false,
                owner: self.env.account_id().to_owned(),
            };
            rs.subscriptions
                .insert(subscription.arn.clone(), subscription.clone());
            let message_id = uuid::Uuid::new_v4().to_string();
            let subscribe_url = format!(
                "{confirm_base}?TopicArn={}&Token={token}",
                form_urlencoded::byte_serialize(topic_arn.as_bytes()).collect::<String>()
            );
            let body = serde_json::json!({
                "Type": "SubscriptionConfirmation",
                "MessageId": message_id,
                "Token": token,
                "TopicArn": topic_arn,
                "Message": format!("You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."),
                "SubscribeURL": subscribe_url,
                "Timestamp": time(self.env.now()),
                "SignatureVersion": "1",
            });
            let delivery = Delivery {
                endpoint: endpoint.to_owned(),
                kind: "SubscriptionConfirmation",
                message_id,
                topic_arn: topic_arn.to_owned(),
                subscription_arn: None,
                body: body.to_string(),
            };
            (subscription, delivery)
        };
        delivery::spawn(confirmation, None);
        Ok(subscription)
    }

    /// ConfirmSubscription: the token of a pending subscription confirms it.
    pub fn confirm(&self, region: &str, topic_arn: &str, token: &str) -> SnsResult<String> {
        let mut st = self.state.lock();
        let rs = st.entry(region.to_owned()).or_default();
        if parse_topic_arn(topic_arn)
            .is_none_or(|(_, name)| rs.topics.get(&name).is_none_or(|t| t.arn != topic_arn))
        {
            return Err(SnsError::no_topic());
        }
        let sub = rs
            .subscriptions
            .values_mut()
            .find(|s| s.topic_arn == topic_arn && s.token.as_deref() == Some(token))
            .ok_or_else(|| SnsError::invalid("Token"))?;
        sub.confirmed = true;
        Ok(sub.arn.clone())
    }

    /// The region of a topic ARN of this engine's account, for a
    /// confirmation that arrives unsigned (the `SubscribeURL`).
    pub fn region_of_own(&self, topic_arn: &str) -> Option<String> {
        let arn = Arn::parse(topic_arn).ok()?;
        (arn.service == "sns" && arn.account == self.env.account_id()).then_some(arn.region)
    }

    /// The region of a topic ARN whose topic exists, for a confirmation
    /// that arrives without a signed region (the `SubscribeURL`).
    pub fn region_of(&self, topic_arn: &str) -> Option<String> {
        parse_topic_arn(topic_arn).map(|(region, _)| region)
    }

    /// ListSubscriptions (every topic) or ListSubscriptionsByTopic.
    pub fn list_subscriptions(&self, region: &str, topic_arn: Option<&str>) -> SnsResult<Vec<Subscription>> {
        let st = self.state.lock();
        if let Some(arn) = topic_arn {
            let (_, name) = parse_topic_arn(arn).ok_or_else(|| SnsError::invalid("TopicArn"))?;
            if st
                .get(region)
                .is_none_or(|rs| rs.topics.get(&name).is_none_or(|t| t.arn != arn))
            {
                return Err(SnsError::no_topic());
            }
        }
        Ok(st
            .get(region)
            .map(|rs| {
                rs.subscriptions
                    .values()
                    .filter(|s| topic_arn.is_none_or(|t| t == s.topic_arn))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Unsubscribe.
    pub fn unsubscribe(&self, region: &str, arn: &str) -> SnsResult<()> {
        let mut st = self.state.lock();
        let rs = st.entry(region.to_owned()).or_default();
        rs.subscriptions
            .remove(arn)
            .map(|_| ())
            .ok_or_else(|| SnsError::NotFound("Subscription does not exist".into()))
    }

    /// Publish: records the message in the topic's inbox and posts it to
    /// every confirmed subscription; the message id.
    pub fn publish(
        &self,
        region: &str,
        topic_arn: &str,
        subject: Option<&str>,
        message: &str,
    ) -> SnsResult<String> {
        let (_, name) = parse_topic_arn(topic_arn).ok_or_else(|| SnsError::invalid("TopicArn"))?;
        let message_id = uuid::Uuid::new_v4().to_string();
        let deliveries = {
            let mut st = self.state.lock();
            let rs = st.entry(region.to_owned()).or_default();
            if rs.topics.get(&name).is_none_or(|t| t.arn != topic_arn) {
                return Err(SnsError::NotFound("Topic does not exist".into()));
            }
            let targets: Vec<Subscription> = rs
                .subscriptions
                .values()
                .filter(|s| s.topic_arn == topic_arn && s.confirmed)
                .cloned()
                .collect();
            let timestamp = time(self.env.now());
            let deliveries: Vec<Delivery> = targets
                .iter()
                .map(|s| {
                    let body = serde_json::json!({
                        "Type": "Notification",
                        "MessageId": message_id,
                        "TopicArn": topic_arn,
                        "Subject": subject,
                        "Message": message,
                        "Timestamp": timestamp,
                        "SignatureVersion": "1",
                        "UnsubscribeURL": format!("{}?Action=Unsubscribe&SubscriptionArn={}", s.endpoint, s.arn),
                    });
                    Delivery {
                        endpoint: s.endpoint.clone(),
                        kind: "Notification",
                        message_id: message_id.clone(),
                        topic_arn: topic_arn.to_owned(),
                        subscription_arn: Some(s.arn.clone()),
                        body: body.to_string(),
                    }
                })
                .collect();
            if let Some(topic) = rs.topics.get_mut(&name) {
                topic.inbox.push(InboxMessage {
                    kind: "Notification".into(),
                    message_id: message_id.clone(),
                    topic_arn: topic_arn.to_owned(),
                    subject: subject.map(str::to_owned),
                    message: message.to_owned(),
                    timestamp,
                    deliveries: targets
                        .iter()
                        .map(|s| DeliveryStatus {
                            subscription_arn: s.arn.clone(),
                            endpoint: s.endpoint.clone(),
                            status: "pending".into(),
                            detail: None,
                        })
                        .collect(),
                });
            }
            deliveries
        };
        for d in deliveries {
            let state = self.state.clone();
            let region = region.to_owned();
            let topic = name.clone();
            delivery::spawn(
                d,
                Some(Box::new(
                    move |message_id: &str, subscription: &str, status: &str, detail: String| {
                        let mut st = state.lock();
                        let Some(t) = st.get_mut(&region).and_then(|rs| rs.topics.get_mut(&topic)) else {
                            return;
                        };
                        if let Some(d) = t
                            .inbox
                            .iter_mut()
                            .filter(|m| m.message_id == message_id)
                            .flat_map(|m| m.deliveries.iter_mut())
                            .find(|d| d.subscription_arn == subscription)
                        {
                            d.status = status.to_owned();
                            d.detail = Some(detail);
                        }
                    },
                )),
            );
        }
        Ok(message_id)
    }

    /// The messages of every topic named `topic` (a name or an ARN), oldest
    /// first; `None` when no such topic exists.
    pub fn inbox(&self, topic: &str) -> Option<Vec<InboxMessage>> {
        let st = self.state.lock();
        let mut found = false;
        let mut out = Vec::new();
        for rs in st.values() {
            for t in rs.topics.values() {
                let name = parse_topic_arn(&t.arn).map(|(_, n)| n);
                if t.arn == topic || name.as_deref() == Some(topic) {
                    found = true;
                    out.extend(t.inbox.iter().cloned());
                }
            }
        }
        out.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
        found.then_some(out)
    }

    /// Forgets everything.
    pub fn reset(&self) {
        self.state.lock().clear();
    }
}
