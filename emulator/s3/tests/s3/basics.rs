//! Buckets and versioned put/get/delete/list.

use super::*;
use aws_sdk_s3::types::{BucketVersioningStatus, Delete, ObjectIdentifier};

#[tokio::test]
async fn bucket_lifecycle_create_head_list_delete() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "alpha", "us-east-1").await;
    c.create_bucket().bucket("alpha").send().await.unwrap();
    let head = c.head_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let west = client(&server, "us-west-2").await;
    create_bucket(&west, "beta", "us-west-2").await;
    let names: Vec<String> = c
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .map(|b| format!("{}@{}", b.name().unwrap(), b.bucket_region().unwrap_or("?")))
        .collect();
    assert_eq!(names, vec!["alpha@us-east-1", "beta@us-west-2"]);
    let loc = c.get_bucket_location().bucket("beta").send().await.unwrap();
    assert_eq!(loc.location_constraint().map(|l| l.as_str()), Some("us-west-2"));
    put(&c, "alpha", "k", b"v").await;
    let busy = c.delete_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(code(&busy), "BucketNotEmpty");
    c.delete_object().bucket("alpha").key("k").send().await.unwrap();
    c.delete_bucket().bucket("alpha").send().await.unwrap();
    let gone = c.head_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(gone.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test]
async fn location_constraints_follow_aws_rules() {
    let (server, s3) = server().await;
    let east = client(&server, "us-east-1").await;
    let west = client(&server, "us-west-2").await;
    let no_constraint = west.create_bucket().bucket("west-one").send().await.unwrap_err();
    assert_eq!(code(&no_constraint), "IllegalLocationConstraintException");
    let constrained = |c: &Client, name: &str, constraint: &str| {
        c.create_bucket().bucket(name).create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(constraint))
                .build(),
        )
    };
    // The us-east-1 endpoint creates the bucket where the constraint says.
    constrained(&east, "west-two", "us-west-2")
        .send()
        .await
        .expect("created in us-west-2 through us-east-1");
    let loc = east
        .get_bucket_location()
        .bucket("west-two")
        .send()
        .await
        .unwrap();
    assert_eq!(loc.location_constraint().map(|l| l.as_str()), Some("us-west-2"));
    // `EU` is eu-west-1, and GetBucketLocation answers it as it was written;
    // a us-east-1 bucket has no constraint.
    constrained(&east, "legacy-eu", "EU")
        .send()
        .await
        .expect("EU through us-east-1");
    let eu = east
        .get_bucket_location()
        .bucket("legacy-eu")
        .send()
        .await
        .unwrap();
    assert_eq!(eu.location_constraint().map(|l| l.as_str()), Some("EU"));
    assert_eq!(s3.bucket_region("legacy-eu").as_deref(), Some("eu-west-1"));
    create_bucket(&east, "plain-east", "us-east-1").await;
    // S3 writes an empty LocationConstraint for us-east-1.
    let plain = east
        .get_bucket_location()
        .bucket("plain-east")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.location_constraint().map_or("", |l| l.as_str()), "");
    let redirected = east.head_bucket().bucket("west-two").send().await.unwrap_err();
    assert_eq!(redirected.raw_response().map(|r| r.status().as_u16()), Some(301));
    for (c, constraint, want) in [
        (&east, "us-east-1", "InvalidLocationConstraint"),
        (&east, "aws-global", "InvalidLocationConstraint"),
        (&west, "us-east-1", "IllegalLocationConstraintException"),
        (&west, "eu-west-1", "IllegalLocationConstraintException"),
        (&west, "aws-global", "IllegalLocationConstraintException"),
    ] {
        let e = constrained(c, "refused-one", constraint)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), want, "{constraint}");
    }
    assert_eq!(
        east.head_bucket()
            .bucket("refused-one")
            .send()
            .await
            .unwrap_err()
            .raw_response()
            .map(|r| r.status().as_u16()),
        Some(404)
    );
    let bad_name = east.create_bucket().bucket("Bad_Name").send().await.unwrap_err();
    assert_eq!(code(&bad_name), "InvalidBucketName");
}

#[tokio::test]
async fn wrong_region_requests_are_redirected_with_the_bucket_region() {
    let (server, _) = server().await;
    let west = client(&server, "us-west-2").await;
    create_bucket(&west, "west-bucket", "us-west-2").await;
    put(&west, "west-bucket", "k", b"hello").await;
    let east = client(&server, "us-east-1").await;
    let e = east
        .get_object()
        .bucket("west-bucket")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let raw = e.raw_response().expect("a response");
    assert_eq!(raw.status().as_u16(), 301);
    assert_eq!(raw.headers().get("x-amz-bucket-region"), Some("us-west-2"));
    assert_eq!(code(&e), "PermanentRedirect");
    let e = east.head_bucket().bucket("west-bucket").send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 301);
    assert_eq!(get(&west, "west-bucket", "k", None).await.unwrap(), b"hello");
}

#[tokio::test]
async fn versioned_put_get_delete_and_list() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "ver", "us-east-1").await;
    let status = c.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(status.status(), None);
    enable_versioning(&c, "ver").await;
    let status = c.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Enabled));

    let v1 = put(&c, "ver", "doc", b"one").await.expect("a version id");
    let v2 = put(&c, "ver", "doc", b"two").await.expect("a version id");
    assert_ne!(v1, v2);
    assert_eq!(get(&c, "ver", "doc", None).await.unwrap(), b"two");
    assert_eq!(get(&c, "ver", "doc", Some(&v1)).await.unwrap(), b"one");

    let del = c.delete_object().bucket("ver").key("doc").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_owned();
    let e = c.get_object().bucket("ver").key("doc").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchKey");
    assert_eq!(
        e.raw_response().unwrap().headers().get("x-amz-delete-marker"),
        Some("true")
    );
    let e = c.head_object().bucket("ver").key("doc").send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);
    assert_eq!(
        e.raw_response().unwrap().headers().get("x-amz-delete-marker"),
        Some("true")
    );
    let e = c
        .get_object()
        .bucket("ver")
        .key("doc")
        .version_id(&marker)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 405);
    assert_eq!(code(&e), "MethodNotAllowed");
    let other_key = put(&c, "ver", "other", b"x").await.expect("a version id");
    let e = c
        .get_object()
        .bucket("ver")
        .key("doc")
        .version_id(&other_key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchVersion");
    c.delete_object()
        .bucket("ver")
        .key("other")
        .version_id(&other_key)
        .send()
        .await
        .unwrap();

    let listed = c.list_object_versions().bucket("ver").send().await.unwrap();
    let versions: Vec<(&str, bool)> = listed
        .versions()
        .iter()
        .map(|v| (v.version_id().unwrap(), v.is_latest().unwrap()))
        .collect();
    assert_eq!(versions, vec![(v2.as_str(), false), (v1.as_str(), false)]);
    assert_eq!(listed.delete_markers().len(), 1);
    assert_eq!(listed.delete_markers()[0].is_latest(), Some(true));
    assert!(
        c.list_objects_v2()
            .bucket("ver")
            .send()
            .await
            .unwrap()
            .contents()
            .is_empty()
    );

    // Deleting the marker brings the object back.
    c.delete_object()
        .bucket("ver")
        .key("doc")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "ver", "doc", None).await.unwrap(), b"two");
    // A versionId delete is permanent.
    c.delete_object()
        .bucket("ver")
        .key("doc")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "ver", "doc", None).await.unwrap(), b"one");
    let e = c
        .get_object()
        .bucket("ver")
        .key("doc")
        .version_id(&v2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchVersion");
}

#[tokio::test]
async fn unversioned_and_suspended_buckets_use_null_versions() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "plain", "us-east-1").await;
    assert_eq!(put(&c, "plain", "k", b"a").await, None);
    put(&c, "plain", "k", b"b").await;
    let listed = c.list_object_versions().bucket("plain").send().await.unwrap();
    assert_eq!(listed.versions().len(), 1);
    assert_eq!(listed.versions()[0].version_id(), Some("null"));
    let del = c.delete_object().bucket("plain").key("k").send().await.unwrap();
    assert_eq!(del.delete_marker(), None);
    assert_eq!(get(&c, "plain", "k", None).await.unwrap_err(), "NoSuchKey");

    enable_versioning(&c, "plain").await;
    let v1 = put(&c, "plain", "s", b"versioned").await.unwrap();
    c.put_bucket_versioning()
        .bucket("plain")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(put(&c, "plain", "s", b"null-1").await.as_deref(), Some("null"));
    assert_eq!(put(&c, "plain", "s", b"null-2").await.as_deref(), Some("null"));
    let listed = c
        .list_object_versions()
        .bucket("plain")
        .prefix("s")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = listed
        .versions()
        .iter()
        .map(|v| v.version_id().unwrap())
        .collect();
    assert_eq!(ids, vec!["null", v1.as_str()]);
    assert_eq!(get(&c, "plain", "s", None).await.unwrap(), b"null-2");
    let del = c.delete_object().bucket("plain").key("s").send().await.unwrap();
    assert_eq!(del.version_id(), Some("null"));
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(get(&c, "plain", "s", Some(&v1)).await.unwrap(), b"versioned");
}

#[tokio::test]
async fn delete_objects_reports_per_key_and_honours_quiet() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "many", "us-east-1").await;
    enable_versioning(&c, "many").await;
    for k in ["a", "b", "c"] {
        put(&c, "many", k, k.as_bytes()).await;
    }
    let ids = |keys: &[&str]| {
        Delete::builder().set_objects(Some(
            keys.iter()
                .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
                .collect(),
        ))
    };
    let out = c
        .delete_objects()
        .bucket("many")
        .delete(ids(&["a", "b"]).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 2);
    assert!(
        out.deleted()
            .iter()
            .all(|d| d.delete_marker() == Some(true) && d.delete_marker_version_id().is_some())
    );
    let quiet = c
        .delete_objects()
        .bucket("many")
        .delete(ids(&["c"]).quiet(true).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(quiet.deleted().is_empty());
    let bad = c
        .delete_objects()
        .bucket("many")
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("a")
                        .version_id("not-a-version")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.errors().len(), 1);
    assert_eq!(bad.errors()[0].code(), Some("InvalidArgument"));
    let too_many: Vec<String> = (0..1001).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let e = c
        .delete_objects()
        .bucket("many")
        .delete(ids(&refs).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MalformedXML");
}

#[tokio::test]
async fn expect_100_continue_is_answered_and_the_connection_stays_usable() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "expect", "us-east-1").await;
    let addr = server.endpoint.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut conn = BufReader::new(stream);
    let within = |what: &'static str| {
        move |r: Result<std::io::Result<usize>, tokio::time::error::Elapsed>| {
            r.unwrap_or_else(|_| panic!("no {what} within 10 seconds"))
                .unwrap()
        }
    };
    // boto3's zero-byte PutObject, then a second request on the connection.
    for (key, body) in [("empty", &b""[..]), ("after", &b"next"[..])] {
        let head = format!(
            "PUT /expect/{key} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nexpect: 100-continue\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\r\n",
            body.len()
        );
        conn.get_mut().write_all(head.as_bytes()).await.unwrap();
        if !body.is_empty() {
            let mut line = String::new();
            within("100 Continue")(
                tokio::time::timeout(std::time::Duration::from_secs(10), conn.read_line(&mut line)).await,
            );
            assert!(line.starts_with("HTTP/1.1 100"), "{line:?}");
            line.clear();
            conn.read_line(&mut line).await.unwrap();
            assert_eq!(line, "\r\n");
            conn.get_mut().write_all(body).await.unwrap();
        }
        let mut status = String::new();
        within("answer")(
            tokio::time::timeout(std::time::Duration::from_secs(10), conn.read_line(&mut status)).await,
        );
        assert!(status.starts_with("HTTP/1.1 200"), "{key}: {status:?}");
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            conn.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut rest = vec![0u8; length];
        conn.read_exact(&mut rest).await.unwrap();
    }
    assert_eq!(get(&c, "expect", "empty", None).await.unwrap(), b"");
    assert_eq!(get(&c, "expect", "after", None).await.unwrap(), b"next");
}

#[tokio::test]
async fn bucket_policies_are_validated_stored_and_returned() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "policed", "us-east-1").await;
    let none = c.get_bucket_policy().bucket("policed").send().await.unwrap_err();
    assert_eq!(code(&none), "NoSuchBucketPolicy");
    for bad in ["not json", "{\"Version\": \"2012-10-17\"}", "[1]"] {
        let e = c
            .put_bucket_policy()
            .bucket("policed")
            .policy(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "MalformedPolicy", "{bad}");
    }
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::policed/*"}]}"#;
    c.put_bucket_policy()
        .bucket("policed")
        .policy(doc)
        .send()
        .await
        .expect("a valid policy");
    let got = c.get_bucket_policy().bucket("policed").send().await.unwrap();
    assert_eq!(got.policy(), Some(doc));
    c.delete_bucket_policy().bucket("policed").send().await.unwrap();
    let gone = c.get_bucket_policy().bucket("policed").send().await.unwrap_err();
    assert_eq!(code(&gone), "NoSuchBucketPolicy");
}
