//! Answers that must match AWS's exactly where code depends on them: version
//! id validation, re-creating owned buckets, url-encoded listings, repeated
//! multipart completions, status codes and Object Lock's "never set" errors.

use super::*;
use aws_sdk_s3::types::EncodingType;

#[tokio::test]
async fn delete_object_with_a_version_id_s3_never_issued_is_invalid_argument() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "ver", "us-east-1").await;
    enable_versioning(&c, "ver").await;
    let v = put(&c, "ver", "doc", b"one").await.expect("a version id");
    // An issued id with its tail altered, as a client with a corrupted
    // record would send.
    let altered = format!("{}ABCD", &v[..v.len() - 4]);
    let e = c
        .delete_object()
        .bucket("ver")
        .key("doc")
        .version_id(&altered)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    assert_eq!(code(&e), "InvalidArgument");
    assert_eq!(
        e.as_service_error().and_then(|s| s.meta().message()),
        Some("Invalid version id specified")
    );
    assert_eq!(get(&c, "ver", "doc", Some(&v)).await.unwrap(), b"one");
}

#[tokio::test]
async fn re_creating_an_owned_bucket_is_200_in_us_east_1_and_409_elsewhere() {
    let (server, _) = server().await;
    let east = client(&server, "us-east-1").await;
    create_bucket(&east, "home", "us-east-1").await;
    put(&east, "home", "k", b"kept").await;
    east.create_bucket().bucket("home").send().await.unwrap();
    assert_eq!(get(&east, "home", "k", None).await.unwrap(), b"kept");

    let west = client(&server, "us-west-2").await;
    create_bucket(&west, "away", "us-west-2").await;
    let e = west
        .create_bucket()
        .bucket("away")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 409);
    assert_eq!(code(&e), "BucketAlreadyOwnedByYou");
}

#[tokio::test]
async fn url_encoded_listings_leave_slashes_unencoded() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "enc", "us-east-1").await;
    put(&c, "enc", "dir/sub/a=b", b"x").await;
    let v2 = c
        .list_objects_v2()
        .bucket("enc")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(v2.contents()[0].key(), Some("dir/sub/a%3Db"));
    let v1 = c
        .list_objects()
        .bucket("enc")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(v1.contents()[0].key(), Some("dir/sub/a%3Db"));
    let versions = c
        .list_object_versions()
        .bucket("enc")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions()[0].key(), Some("dir/sub/a%3Db"));
}

#[tokio::test]
async fn a_repeated_complete_multipart_upload_repeats_the_success() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "mpu", "us-east-1").await;
    enable_versioning(&c, "mpu").await;
    let (id, body) = one_part_upload(&c, "mpu", "big", b"only part").await;
    let complete = || {
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("big")
            .upload_id(&id)
            .multipart_upload(body.clone())
            .send()
    };
    let first = complete().await.unwrap();
    let second = complete().await.unwrap();
    assert_eq!(first.e_tag(), second.e_tag());
    assert_eq!(first.version_id(), second.version_id());
    let listed = c.list_object_versions().bucket("mpu").send().await.unwrap();
    assert_eq!(listed.versions().len(), 1, "the repeat wrote no second version");
    let other_key = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("elsewhere")
        .upload_id(&id)
        .multipart_upload(body.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&other_key), "NoSuchUpload");
}

#[tokio::test]
async fn put_bucket_tagging_answers_204() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "tagged", "us-east-1").await;
    let r = super::bad_input::raw(
        &server,
        "PUT",
        "/tagged?tagging",
        &[],
        b"<Tagging><TagSet><Tag><Key>team</Key><Value>carts</Value></Tag></TagSet></Tagging>",
    )
    .await;
    assert_eq!(r.0, 204, "{r:?}");
    let tags = c.get_bucket_tagging().bucket("tagged").send().await.unwrap();
    assert_eq!(tags.tag_set()[0].value(), "carts");
}

#[tokio::test]
async fn legal_hold_never_set_is_no_such_object_lock_configuration() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    c.create_bucket()
        .bucket("vault")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    put(&c, "vault", "doc", b"x").await;
    let e = c
        .get_object_legal_hold()
        .bucket("vault")
        .key("doc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);
    assert_eq!(code(&e), "NoSuchObjectLockConfiguration");
    c.put_object_legal_hold()
        .bucket("vault")
        .key("doc")
        .legal_hold(
            aws_sdk_s3::types::ObjectLockLegalHold::builder()
                .status(aws_sdk_s3::types::ObjectLockLegalHoldStatus::Off)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let hold = c
        .get_object_legal_hold()
        .bucket("vault")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        hold.legal_hold().and_then(|h| h.status()),
        Some(&aws_sdk_s3::types::ObjectLockLegalHoldStatus::Off)
    );
}

#[tokio::test]
async fn objects_report_sse_s3_and_buckets_default_to_it() {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "enc", "us-east-1").await;
    let aes = Some(&ServerSideEncryption::Aes256);
    let put = c
        .put_object()
        .bucket("enc")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), aes);
    let got = c.get_object().bucket("enc").key("k").send().await.unwrap();
    assert_eq!(got.server_side_encryption(), aes);
    let head = c.head_object().bucket("enc").key("k").send().await.unwrap();
    assert_eq!(head.server_side_encryption(), aes);
    let copy = c
        .copy_object()
        .bucket("enc")
        .key("k2")
        .copy_source("enc/k")
        .send()
        .await
        .unwrap();
    assert_eq!(copy.server_side_encryption(), aes);

    let default_rule = |out: &aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput| {
        let rule = &out.server_side_encryption_configuration().unwrap().rules()[0];
        let by_default = rule.apply_server_side_encryption_by_default().unwrap();
        (
            by_default.sse_algorithm().clone(),
            by_default.kms_master_key_id().map(str::to_owned),
            rule.bucket_key_enabled(),
        )
    };
    let got = c.get_bucket_encryption().bucket("enc").send().await.unwrap();
    assert_eq!(
        default_rule(&got),
        (ServerSideEncryption::Aes256, None, Some(false))
    );

    let kms = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::AwsKms)
                        .kms_master_key_id("alias/backups")
                        .build()
                        .unwrap(),
                )
                .bucket_key_enabled(true)
                .build(),
        )
        .build()
        .unwrap();
    c.put_bucket_encryption()
        .bucket("enc")
        .server_side_encryption_configuration(kms)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_encryption().bucket("enc").send().await.unwrap();
    assert_eq!(
        default_rule(&got),
        (
            ServerSideEncryption::AwsKms,
            Some("alias/backups".to_owned()),
            Some(true)
        )
    );

    let key_with_aes = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256)
                        .kms_master_key_id("alias/backups")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
        .unwrap();
    let e = c
        .put_bucket_encryption()
        .bucket("enc")
        .server_side_encryption_configuration(key_with_aes)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidArgument");

    c.delete_bucket_encryption().bucket("enc").send().await.unwrap();
    let got = c.get_bucket_encryption().bucket("enc").send().await.unwrap();
    assert_eq!(
        default_rule(&got),
        (ServerSideEncryption::Aes256, None, Some(false))
    );
    let e = c
        .get_bucket_encryption()
        .bucket("nowhere")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchBucket");
}

#[tokio::test]
async fn error_documents_carry_aws_extra_elements_request_id_and_host_id() {
    use super::bad_input::raw;
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "errs", "us-east-1").await;
    enable_versioning(&c, "errs").await;
    let v = put(&c, "errs", "doc", b"x").await.expect("a version id");
    let other = put(&c, "errs", "other", b"y").await.expect("a version id");

    let has = |r: &(u16, String, String), parts: &[&str]| {
        let body = &r.2;
        let mut at = 0;
        for p in parts {
            let found = body[at..]
                .find(p)
                .unwrap_or_else(|| panic!("{p} after offset {at} in {body}"));
            at += found + p.len();
        }
        assert!(body.contains("<HostId>"), "a HostId in {body}");
    };
    let r = raw(&server, "GET", "/no-such-bucket/k", &[], b"").await;
    has(
        &r,
        &[
            "<Code>NoSuchBucket</Code>",
            "<Message>",
            "<BucketName>no-such-bucket</BucketName>",
            "<RequestId>",
        ],
    );
    let r = raw(&server, "GET", "/errs/missing%20key", &[], b"").await;
    has(
        &r,
        &["<Code>NoSuchKey</Code>", "<Key>missing key</Key>", "<RequestId>"],
    );
    let r = raw(&server, "GET", &format!("/errs/doc?versionId={other}"), &[], b"").await;
    has(
        &r,
        &[
            "<Code>NoSuchVersion</Code>",
            "<Key>doc</Key>",
            &format!("<VersionId>{other}</VersionId>"),
            "<RequestId>",
        ],
    );
    let altered = format!("{}ABCD", &v[..v.len() - 4]);
    let r = raw(
        &server,
        "DELETE",
        &format!("/errs/doc?versionId={altered}"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.0, 400);
    has(
        &r,
        &[
            "<Code>InvalidArgument</Code>",
            "<Message>Invalid version id specified</Message>",
            "<ArgumentName>versionId</ArgumentName>",
            &format!("<ArgumentValue>{altered}</ArgumentValue>"),
            "<RequestId>",
        ],
    );
    let r = raw(&server, "GET", "/errs/doc?uploadId=nope", &[], b"").await;
    has(
        &r,
        &[
            "<Code>NoSuchUpload</Code>",
            "<UploadId>nope</UploadId>",
            "<RequestId>",
        ],
    );
    let r = raw(&server, "DELETE", "/errs", &[], b"").await;
    has(
        &r,
        &[
            "<Code>BucketNotEmpty</Code>",
            "<BucketName>errs</BucketName>",
            "<RequestId>",
        ],
    );
    assert!(
        !r.1.contains("x-firedrill-error-elements"),
        "the private header is removed: {}",
        r.1
    );
    // Errors s3s raises itself carry a HostId too.
    let r = raw(&server, "PUT", "/Bad_Bucket_Name", &[], b"").await;
    has(&r, &["<Code>InvalidBucketName</Code>", "<RequestId>"]);

    // The SDK still reads the code and message.
    let e = c
        .get_object()
        .bucket("errs")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchKey");
}

#[tokio::test]
async fn bypass_governance_retention_on_a_bucket_without_object_lock_is_invalid_argument() {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "plain", "us-east-1").await;
    put(&c, "plain", "k", b"x").await;
    for bypass in [true, false] {
        let e = c
            .delete_object()
            .bucket("plain")
            .key("k")
            .bypass_governance_retention(bypass)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
        assert_eq!(code(&e), "InvalidArgument");
        assert_eq!(
            e.as_service_error().and_then(|s| s.meta().message()),
            Some("x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.")
        );
    }
    let e = c
        .delete_objects()
        .bucket("plain")
        .bypass_governance_retention(true)
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("k").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidArgument");
    assert_eq!(
        get(&c, "plain", "k", None).await.unwrap(),
        b"x",
        "nothing was deleted"
    );
}

#[tokio::test]
async fn lifecycle_answers_carry_transition_default_minimum_object_size() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        LifecycleRuleFilter, TransitionDefaultMinimumObjectSize as MinSize,
    };
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "aging", "us-east-1").await;
    let config = BucketLifecycleConfiguration::builder()
        .rules(
            LifecycleRule::builder()
                .id("wholebucket")
                .filter(LifecycleRuleFilter::builder().prefix("").build())
                .status(ExpirationStatus::Enabled)
                .expiration(LifecycleExpiration::builder().days(7).build())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let put = c
        .put_bucket_lifecycle_configuration()
        .bucket("aging")
        .lifecycle_configuration(config.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.transition_default_minimum_object_size(),
        Some(&MinSize::AllStorageClasses128K)
    );
    let got = c
        .get_bucket_lifecycle_configuration()
        .bucket("aging")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.transition_default_minimum_object_size(),
        Some(&MinSize::AllStorageClasses128K)
    );

    let put = c
        .put_bucket_lifecycle_configuration()
        .bucket("aging")
        .lifecycle_configuration(config)
        .transition_default_minimum_object_size(MinSize::VariesByStorageClass)
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.transition_default_minimum_object_size(),
        Some(&MinSize::VariesByStorageClass)
    );
    let got = c
        .get_bucket_lifecycle_configuration()
        .bucket("aging")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.transition_default_minimum_object_size(),
        Some(&MinSize::VariesByStorageClass)
    );
}

#[tokio::test]
async fn empty_configurations_are_refused_as_aws_refuses_them() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, DefaultRetention, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRule, VersioningConfiguration,
    };
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "plain", "us-east-1").await;
    let e = c
        .put_bucket_versioning()
        .bucket("plain")
        .versioning_configuration(VersioningConfiguration::builder().build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    assert_eq!(code(&e), "IllegalVersioningConfigurationException");

    let no_filter = BucketLifecycleConfiguration::builder()
        .rules(
            LifecycleRule::builder()
                .id("r")
                .status(ExpirationStatus::Enabled)
                .expiration(LifecycleExpiration::builder().days(1).build())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let e = c
        .put_bucket_lifecycle_configuration()
        .bucket("plain")
        .lifecycle_configuration(no_filter)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MalformedXML");

    c.create_bucket()
        .bucket("vault")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let configs = [
        ObjectLockConfiguration::builder()
            .object_lock_enabled(ObjectLockEnabled::Enabled)
            .rule(ObjectLockRule::builder().build())
            .build(),
        ObjectLockConfiguration::builder()
            .object_lock_enabled(ObjectLockEnabled::Enabled)
            .rule(
                ObjectLockRule::builder()
                    .default_retention(DefaultRetention::builder().build())
                    .build(),
            )
            .build(),
        ObjectLockConfiguration::builder().build(),
    ];
    for config in configs {
        let e = c
            .put_object_lock_configuration()
            .bucket("vault")
            .object_lock_configuration(config.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "MalformedXML", "{config:?}");
    }
    let lock = c
        .get_object_lock_configuration()
        .bucket("vault")
        .send()
        .await
        .unwrap();
    assert!(
        lock.object_lock_configuration().and_then(|l| l.rule()).is_none(),
        "nothing changed"
    );
}

#[tokio::test]
async fn owners_carry_an_id_and_no_display_name() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "own", "us-east-1").await;
    put(&c, "own", "k", b"x").await;
    let buckets = c.list_buckets().send().await.unwrap();
    let owner = buckets.owner().expect("an owner");
    assert!(owner.id().is_some());
    assert_eq!(owner.display_name(), None);
    let listed = c.list_objects().bucket("own").send().await.unwrap();
    let owner = listed.contents()[0].owner().expect("an owner");
    assert!(owner.id().is_some());
    assert_eq!(owner.display_name(), None);
    let versions = c.list_object_versions().bucket("own").send().await.unwrap();
    assert_eq!(
        versions.versions()[0].owner().and_then(|o| o.display_name()),
        None
    );
    c.create_multipart_upload()
        .bucket("own")
        .key("m")
        .send()
        .await
        .unwrap();
    let uploads = c.list_multipart_uploads().bucket("own").send().await.unwrap();
    let upload = &uploads.uploads()[0];
    assert_eq!(upload.initiator().and_then(|i| i.display_name()), None);
    assert_eq!(upload.owner().and_then(|o| o.display_name()), None);
}
