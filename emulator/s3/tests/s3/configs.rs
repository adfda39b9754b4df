//! The serving configurations (CORS, website, logging, acceleration,
//! Requester Pays, notifications): S3's "not configured" answers before
//! one is set, the configuration returned as stored, S3's refusals of bad
//! ones, and deletion.

use super::bad_input::{assert_error, raw};
use super::*;
use aws_sdk_s3::types::{
    AccelerateConfiguration, BucketAccelerateStatus, BucketLoggingStatus, CorsConfiguration, CorsRule,
    ErrorDocument, EventBridgeConfiguration, IndexDocument, LoggingEnabled, NotificationConfiguration, Payer,
    RequestPaymentConfiguration, RoutingRule, TopicConfiguration, WebsiteConfiguration,
};

fn cors_rule(method: &str) -> CorsRule {
    CorsRule::builder()
        .id("shop")
        .allowed_methods(method)
        .allowed_origins("https://shop.example")
        .allowed_headers("*")
        .expose_headers("ETag")
        .max_age_seconds(3000)
        .build()
        .unwrap()
}

#[tokio::test]
async fn nothing_configured_answers_as_s3_does() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "bare", "us-east-1").await;

    let cors = c.get_bucket_cors().bucket("bare").send().await.unwrap_err();
    assert_eq!(code(&cors), "NoSuchCORSConfiguration");
    let website = c.get_bucket_website().bucket("bare").send().await.unwrap_err();
    assert_eq!(code(&website), "NoSuchWebsiteConfiguration");
    let logging = c.get_bucket_logging().bucket("bare").send().await.unwrap();
    assert!(logging.logging_enabled().is_none());
    let accelerate = c
        .get_bucket_accelerate_configuration()
        .bucket("bare")
        .send()
        .await
        .unwrap();
    assert!(accelerate.status().is_none());
    let payment = c
        .get_bucket_request_payment()
        .bucket("bare")
        .send()
        .await
        .unwrap();
    assert_eq!(payment.payer(), Some(&Payer::BucketOwner));
    let notification = c
        .get_bucket_notification_configuration()
        .bucket("bare")
        .send()
        .await
        .unwrap();
    assert!(notification.topic_configurations().is_empty());
    assert!(notification.event_bridge_configuration().is_none());
    let encryption = c.get_bucket_encryption().bucket("bare").send().await.unwrap();
    assert!(encryption.server_side_encryption_configuration().is_some());

    // The 404s carry BucketName, as AWS's do.
    let r = raw(&server, "GET", "/bare?cors", &[], b"").await;
    assert_error(&r, 404, "NoSuchCORSConfiguration");
    assert!(r.2.contains("<BucketName>bare</BucketName>"), "{r:?}");
    let r = raw(&server, "GET", "/bare?website", &[], b"").await;
    assert_error(&r, 404, "NoSuchWebsiteConfiguration");
    assert!(r.2.contains("<BucketName>bare</BucketName>"), "{r:?}");
    for sub in ["tagging", "lifecycle", "replication", "object-lock"] {
        let r = raw(&server, "GET", &format!("/bare?{sub}"), &[], b"").await;
        assert_eq!(r.0, 404, "{r:?}");
        assert!(r.2.contains("<BucketName>bare</BucketName>"), "{sub}: {r:?}");
    }
    // A missing bucket is still NoSuchBucket.
    let missing = c.get_bucket_logging().bucket("nope").send().await.unwrap_err();
    assert_eq!(code(&missing), "NoSuchBucket");
}

#[tokio::test]
async fn cors_is_stored_returned_checked_and_deleted() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "cors", "us-east-1").await;
    c.put_bucket_cors()
        .bucket("cors")
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(cors_rule("GET"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_cors().bucket("cors").send().await.unwrap();
    assert_eq!(got.cors_rules(), [cors_rule("GET")]);

    let bad = c
        .put_bucket_cors()
        .bucket("cors")
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(cors_rule("PATCH"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "InvalidRequest");
    assert_eq!(
        bad.as_service_error().and_then(|e| e.meta().message()),
        Some("Found unsupported HTTP method in CORS config. Unsupported method is PATCH")
    );
    let kept = c.get_bucket_cors().bucket("cors").send().await.unwrap();
    assert_eq!(
        kept.cors_rules(),
        [cors_rule("GET")],
        "a refused Put changes nothing"
    );

    c.delete_bucket_cors().bucket("cors").send().await.unwrap();
    let gone = c.get_bucket_cors().bucket("cors").send().await.unwrap_err();
    assert_eq!(code(&gone), "NoSuchCORSConfiguration");
}

#[tokio::test]
async fn website_is_stored_returned_checked_and_deleted() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "site", "us-east-1").await;
    let rule = RoutingRule::builder()
        .condition(
            aws_sdk_s3::types::Condition::builder()
                .key_prefix_equals("docs/")
                .build(),
        )
        .redirect(
            aws_sdk_s3::types::Redirect::builder()
                .replace_key_prefix_with("documents/")
                .build(),
        )
        .build();
    c.put_bucket_website()
        .bucket("site")
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
                .error_document(ErrorDocument::builder().key("error.html").build().unwrap())
                .routing_rules(rule.clone())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_website().bucket("site").send().await.unwrap();
    assert_eq!(got.index_document().map(|d| d.suffix()), Some("index.html"));
    assert_eq!(got.error_document().map(|d| d.key()), Some("error.html"));
    assert_eq!(got.routing_rules(), [rule]);

    let bad = c
        .put_bucket_website()
        .bucket("site")
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(IndexDocument::builder().suffix("a/index.html").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "InvalidArgument");
    let none = c
        .put_bucket_website()
        .bucket("site")
        .website_configuration(WebsiteConfiguration::builder().build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&none), "InvalidArgument");

    c.delete_bucket_website().bucket("site").send().await.unwrap();
    let gone = c.get_bucket_website().bucket("site").send().await.unwrap_err();
    assert_eq!(code(&gone), "NoSuchWebsiteConfiguration");
}

#[tokio::test]
async fn logging_needs_a_target_bucket_in_the_same_region() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    create_bucket(&c, "logged", "us-east-1").await;
    create_bucket(&c, "logs", "us-east-1").await;
    create_bucket(&west, "logs-west", "us-west-2").await;
    let to = |target: &str| {
        BucketLoggingStatus::builder()
            .logging_enabled(
                LoggingEnabled::builder()
                    .target_bucket(target)
                    .target_prefix("access/")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let missing = c
        .put_bucket_logging()
        .bucket("logged")
        .bucket_logging_status(to("no-such-target"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "InvalidTargetBucketForLogging");
    let r = raw(
        &server,
        "PUT",
        "/logged?logging",
        &[],
        b"<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LoggingEnabled><TargetBucket>logs-west</TargetBucket><TargetPrefix>a/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>",
    )
    .await;
    assert_error(&r, 403, "CrossLocationLoggingProhibitted");
    assert!(
        r.2.contains("<TargetBucketLocation>us-west-2</TargetBucketLocation>"),
        "{r:?}"
    );
    let off = c.get_bucket_logging().bucket("logged").send().await.unwrap();
    assert!(off.logging_enabled().is_none(), "refused Puts change nothing");

    c.put_bucket_logging()
        .bucket("logged")
        .bucket_logging_status(to("logs"))
        .send()
        .await
        .unwrap();
    let on = c.get_bucket_logging().bucket("logged").send().await.unwrap();
    let enabled = on.logging_enabled().expect("logging is on");
    assert_eq!(
        (enabled.target_bucket(), enabled.target_prefix()),
        ("logs", "access/")
    );

    c.put_bucket_logging()
        .bucket("logged")
        .bucket_logging_status(BucketLoggingStatus::builder().build())
        .send()
        .await
        .unwrap();
    let off = c.get_bucket_logging().bucket("logged").send().await.unwrap();
    assert!(
        off.logging_enabled().is_none(),
        "an empty status turns logging off"
    );
}

#[tokio::test]
async fn acceleration_payment_and_notifications_are_stored() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "fast", "us-east-1").await;
    create_bucket(&c, "with.dots", "us-east-1").await;
    let accelerate = |status| AccelerateConfiguration::builder().status(status).build();
    c.put_bucket_accelerate_configuration()
        .bucket("fast")
        .accelerate_configuration(accelerate(BucketAccelerateStatus::Enabled))
        .send()
        .await
        .unwrap();
    let got = c
        .get_bucket_accelerate_configuration()
        .bucket("fast")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), Some(&BucketAccelerateStatus::Enabled));
    let dotted = c
        .put_bucket_accelerate_configuration()
        .bucket("with.dots")
        .accelerate_configuration(accelerate(BucketAccelerateStatus::Enabled))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&dotted), "InvalidRequest");

    c.put_bucket_request_payment()
        .bucket("fast")
        .request_payment_configuration(
            RequestPaymentConfiguration::builder()
                .payer(Payer::Requester)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let payer = c
        .get_bucket_request_payment()
        .bucket("fast")
        .send()
        .await
        .unwrap();
    assert_eq!(payer.payer(), Some(&Payer::Requester));

    c.put_bucket_notification_configuration()
        .bucket("fast")
        .notification_configuration(
            NotificationConfiguration::builder()
                .event_bridge_configuration(EventBridgeConfiguration::builder().build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let n = c
        .get_bucket_notification_configuration()
        .bucket("fast")
        .send()
        .await
        .unwrap();
    assert!(n.event_bridge_configuration().is_some());
    let sns = c
        .put_bucket_notification_configuration()
        .bucket("fast")
        .notification_configuration(
            NotificationConfiguration::builder()
                .topic_configurations(
                    TopicConfiguration::builder()
                        .topic_arn("arn:aws:sns:us-east-1:000000000000:orders")
                        .events(aws_sdk_s3::types::Event::S3ObjectCreated)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&sns),
        "NotImplemented",
        "never stored and silently not delivered"
    );
}
