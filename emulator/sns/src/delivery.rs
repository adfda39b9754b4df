//! HTTP delivery: one POST of a notification or a subscription
//! confirmation to a subscriber's endpoint, as SNS sends it (the JSON body
//! as `text/plain; charset=UTF-8`, the `x-amz-sns-message-type`,
//! `x-amz-sns-message-id`, `x-amz-sns-topic-arn` and, for notifications,
//! `x-amz-sns-subscription-arn` headers), retried three times a second
//! apart like SNS's default HTTP delivery policy, each attempt bounded by
//! a timeout. Endpoints are on loopback only (checked at Subscribe), so a
//! drill never posts anywhere else. Messages are not signed: there is no
//! certificate of AWS's to sign them with, so `Signature` and
//! `SigningCertURL` are absent.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// How many times a delivery is tried.
const ATTEMPTS: u32 = 4;

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// One POST to make.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The endpoint URL.
    pub endpoint: String,
    /// `Notification` or `SubscriptionConfirmation`.
    pub kind: &'static str,
    /// The message id.
    pub message_id: String,
    /// The topic.
    pub topic_arn: String,
    /// The subscription, for notifications.
    pub subscription_arn: Option<String>,
    /// The JSON body.
    pub body: String,
}

/// Called with the message id, subscription, `delivered` or `failed`, and
/// the endpoint's status or the error, once a delivery is done.
pub type Outcome = Box<dyn FnOnce(&str, &str, &str, String) + Send>;

/// Whether `url` is an `http://` or `https://` URL on a loopback host.
pub fn loopback_url(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return false;
    }
    match uri.host() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Posts `d` in the background (on the current Tokio runtime; without one
/// the delivery is recorded as failed).
pub fn spawn(d: Delivery, outcome: Option<Outcome>) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(endpoint = d.endpoint, "no runtime to deliver an SNS message on");
        if let (Some(done), Some(sub)) = (outcome, d.subscription_arn.as_deref()) {
            done(&d.message_id, sub, "failed", "no runtime".into());
        }
        return;
    };
    handle.spawn(async move {
        let result = deliver(&d).await;
        let (status, detail) = match &result {
            Ok(code) => ("delivered", code.to_string()),
            Err(e) => ("failed", e.clone()),
        };
        if let Err(e) = &result {
            tracing::warn!(endpoint = d.endpoint, kind = d.kind, error = %e, "SNS delivery failed");
        }
        if let (Some(done), Some(sub)) = (outcome, d.subscription_arn.as_deref()) {
            done(&d.message_id, sub, status, detail);
        }
    });
}

async fn deliver(d: &Delivery) -> Result<u16, String> {
    if !d.endpoint.starts_with("http://") {
        return Err("firedrill delivers to http:// endpoints only".into());
    }
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let mut req = http::Request::post(&d.endpoint)
            .header("content-type", "text/plain; charset=UTF-8")
            .header("user-agent", "Amazon Simple Notification Service Agent")
            .header("x-amz-sns-message-type", d.kind)
            .header("x-amz-sns-message-id", &d.message_id)
            .header("x-amz-sns-topic-arn", &d.topic_arn);
        if let Some(sub) = &d.subscription_arn {
            req = req.header("x-amz-sns-subscription-arn", sub);
        }
        let req = req
            .body(Full::new(Bytes::from(d.body.clone())))
            .map_err(|e| format!("bad request: {e}"))?;
        match tokio::time::timeout(ATTEMPT_TIMEOUT, client.request(req)).await {
            Ok(Ok(resp)) if resp.status().is_success() => return Ok(resp.status().as_u16()),
            Ok(Ok(resp)) => last = format!("the endpoint answered {}", resp.status()),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "timed out".into(),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_endpoints_are_accepted() {
        assert!(loopback_url("http://127.0.0.1:8080/hook"));
        assert!(loopback_url("http://localhost/hook"));
        assert!(loopback_url("http://[::1]:9000/"));
        assert!(!loopback_url("http://10.0.0.1/hook"));
        assert!(!loopback_url("http://example.com/hook"));
        assert!(!loopback_url("ftp://127.0.0.1/"));
        assert!(!loopback_url("not a url"));
    }
}
