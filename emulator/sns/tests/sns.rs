//! SNS through `aws-sdk-sns` over HTTP: topics, an HTTP subscriber on
//! loopback that gets the confirmation first and the notification once
//! confirmed, the admin inbox, and AWS's errors.

use aws_sdk_sns::Client;
use bytes::Bytes;
use firedrill_emu_core::AwsService;
use firedrill_emu_core::testing::TestServer;
use firedrill_emu_sns::Sns;
use http_body_util::{BodyExt, Empty, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use tokio::sync::mpsc;

/// One POST a subscriber received: the message type header and the body.
type Received = (String, serde_json::Value);

/// A subscriber endpoint on loopback that hands every POST to the test.
async fn subscriber() -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let kind = req
                            .headers()
                            .get("x-amz-sns-message-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let json = serde_json::from_slice(&body).unwrap_or_default();
                        let _ = tx.send((kind, json));
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, rx)
}

async fn get(url: &str) -> (u16, String) {
    let client: HttpClient<_, Empty<Bytes>> = HttpClient::builder(TokioExecutor::new()).build_http();
    let resp = client.get(url.parse().expect("a URL")).await.expect("GET");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("a body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The error code of a refused call.
fn code<E: aws_sdk_sns::error::ProvideErrorMetadata>(e: &E) -> Option<String> {
    e.code().map(str::to_owned)
}

async fn create_topic(client: &Client, name: &str) -> String {
    client
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("an ARN")
        .to_owned()
}

async fn start() -> (TestServer, Client) {
    let server = TestServer::start(|env| vec![Sns::new(env) as Arc<dyn AwsService>]).await;
    let client = Client::new(&server.sdk_config("us-east-1").await);
    (server, client)
}

#[tokio::test]
async fn a_subscriber_confirms_then_receives_what_is_published() {
    let (server, client) = start().await;
    let topic = create_topic(&client, "backup-alerts").await;
    assert_eq!(topic, "arn:aws:sns:us-east-1:000000000000:backup-alerts");
    let again = client
        .create_topic()
        .name("backup-alerts")
        .send()
        .await
        .expect("CreateTopic again");
    assert_eq!(
        again.topic_arn(),
        Some(topic.as_str()),
        "CreateTopic is idempotent"
    );

    let (url, mut inbox) = subscriber().await;
    let sub = client
        .subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&url)
        .send()
        .await
        .expect("Subscribe");
    assert_eq!(sub.subscription_arn(), Some("pending confirmation"));

    let (kind, confirmation) = inbox.recv().await.expect("the confirmation is posted");
    assert_eq!(kind, "SubscriptionConfirmation");
    assert_eq!(confirmation["Type"], "SubscriptionConfirmation");
    assert_eq!(confirmation["TopicArn"], topic.as_str());
    let listed = client
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .expect("List");
    assert_eq!(
        listed.subscriptions()[0].subscription_arn(),
        Some("PendingConfirmation")
    );

    // Nothing reaches a pending subscription.
    client
        .publish()
        .topic_arn(&topic)
        .message("before confirmation")
        .send()
        .await
        .expect("Publish");

    let subscribe_url = confirmation["SubscribeURL"].as_str().expect("a SubscribeURL");
    let (status, body) = get(subscribe_url).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<SubscriptionArn>arn:aws:sns:us-east-1:000000000000:backup-alerts:"),
        "{body}"
    );

    let published = client
        .publish()
        .topic_arn(&topic)
        .subject("ALARM: backups")
        .message("{\"NewStateValue\":\"ALARM\"}")
        .send()
        .await
        .expect("Publish");
    let (kind, note) = inbox.recv().await.expect("the notification is posted");
    assert_eq!(kind, "Notification");
    assert_eq!(note["Type"], "Notification");
    assert_eq!(note["MessageId"], published.message_id().expect("an id"));
    assert_eq!(note["Subject"], "ALARM: backups");
    assert_eq!(note["Message"], "{\"NewStateValue\":\"ALARM\"}");
    assert!(
        inbox.try_recv().is_err(),
        "the message before confirmation was not delivered"
    );

    let (status, body) = get(&format!(
        "{}/_firedrill/sns/backup-alerts/messages",
        server.endpoint
    ))
    .await;
    assert_eq!(status, 200);
    let messages: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let messages = messages.as_array().expect("a list");
    assert_eq!(messages.len(), 2, "the inbox keeps every published message");
    assert_eq!(messages[0]["Message"], "before confirmation");
    assert_eq!(messages[0]["Deliveries"].as_array().map(Vec::len), Some(0));
    assert_eq!(messages[1]["Subject"], "ALARM: backups");

    let sub_arn = client
        .list_subscriptions()
        .send()
        .await
        .expect("ListSubscriptions")
        .subscriptions()[0]
        .subscription_arn()
        .expect("an ARN")
        .to_owned();
    client
        .unsubscribe()
        .subscription_arn(&sub_arn)
        .send()
        .await
        .expect("Unsubscribe");
    client
        .delete_topic()
        .topic_arn(&topic)
        .send()
        .await
        .expect("DeleteTopic");
    client
        .delete_topic()
        .topic_arn(&topic)
        .send()
        .await
        .expect("DeleteTopic is idempotent");
    let topics = client.list_topics().send().await.expect("ListTopics");
    assert!(topics.topics().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn refused_requests_answer_snss_errors() {
    let (server, client) = start().await;
    let err = client
        .publish()
        .topic_arn("arn:aws:sns:us-east-1:000000000000:nobody")
        .message("hello")
        .send()
        .await
        .expect_err("no such topic");
    assert_eq!(code(&err).as_deref(), Some("NotFound"));

    let err = client
        .create_topic()
        .name("bad name!")
        .send()
        .await
        .expect_err("a bad name");
    assert_eq!(code(&err).as_deref(), Some("InvalidParameter"));

    let topic = create_topic(&client, "t").await;
    let err = client
        .subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint("http://192.0.2.1/hook")
        .send()
        .await
        .expect_err("off loopback");
    assert_eq!(code(&err).as_deref(), Some("InvalidParameter"));
    let err = client
        .subscribe()
        .topic_arn(&topic)
        .protocol("carrier-pigeon")
        .endpoint("http://127.0.0.1/hook")
        .send()
        .await
        .expect_err("no such protocol");
    assert_eq!(code(&err).as_deref(), Some("InvalidParameter"));
    let err = client
        .publish()
        .topic_arn(&topic)
        .message("")
        .send()
        .await
        .expect_err("empty");
    assert_eq!(code(&err).as_deref(), Some("InvalidParameter"));
    let err = client
        .confirm_subscription()
        .topic_arn(&topic)
        .token("forged")
        .send()
        .await
        .expect_err("a token never sent");
    assert_eq!(code(&err).as_deref(), Some("InvalidParameter"));
    let subs = client
        .list_subscriptions()
        .send()
        .await
        .expect("ListSubscriptions");
    assert!(subs.subscriptions().is_empty(), "nothing refused was stored");
    let (status, _) = get(&format!("{}/_firedrill/sns/nobody/messages", server.endpoint)).await;
    assert_eq!(status, 404);
    server.stop().await;
}
