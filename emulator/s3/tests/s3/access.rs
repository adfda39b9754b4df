//! Bucket access settings as AWS answers them for buckets created since
//! April 2023: Block Public Access on, ACLs disabled (BucketOwnerEnforced),
//! ACL reads that show the owner's full control.

use super::bad_input::{assert_error, raw};
use super::*;
use aws_sdk_s3::types::{
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, Permission, PublicAccessBlockConfiguration,
    Type,
};

fn all_four(on: bool) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(on)
        .ignore_public_acls(on)
        .block_public_policy(on)
        .restrict_public_buckets(on)
        .build()
}

#[tokio::test]
async fn public_access_block_defaults_on_is_stored_and_deleted() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "guarded", "us-east-1").await;
    let fresh = c
        .get_public_access_block()
        .bucket("guarded")
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.public_access_block_configuration(), Some(&all_four(true)));

    c.put_public_access_block()
        .bucket("guarded")
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_policy(false)
                .build(),
        )
        .send()
        .await
        .expect("one setting is enough");
    let got = c
        .get_public_access_block()
        .bucket("guarded")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.public_access_block_configuration(),
        Some(&all_four(false)),
        "settings left out are off"
    );

    let empty = c
        .put_public_access_block()
        .bucket("guarded")
        .public_access_block_configuration(PublicAccessBlockConfiguration::builder().build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&empty), "InvalidRequest");
    assert_eq!(
        empty.as_service_error().and_then(|e| e.meta().message()),
        Some("Must specify at least one configuration.")
    );

    let deleted = c
        .delete_public_access_block()
        .bucket("guarded")
        .send()
        .await
        .unwrap();
    drop(deleted);
    let gone = c
        .get_public_access_block()
        .bucket("guarded")
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert_eq!(code(&gone), "NoSuchPublicAccessBlockConfiguration");
    let body = String::from_utf8_lossy(gone.raw_response().unwrap().body().bytes().unwrap()).into_owned();
    assert!(body.contains("<BucketName>guarded</BucketName>"), "{body}");

    let missing = c
        .get_public_access_block()
        .bucket("nowhere")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NoSuchBucket");
}

#[tokio::test]
async fn public_access_block_bodies_are_checked_before_anything_changes() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "checked", "us-east-1").await;
    let body = b"<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>";
    let wrong_md5 = raw(
        &server,
        "PUT",
        "/checked?publicAccessBlock",
        &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
        body,
    )
    .await;
    assert_error(&wrong_md5, 400, "BadDigest");
    let not_bool = raw(
        &server,
        "PUT",
        "/checked?publicAccessBlock",
        &[],
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>",
    )
    .await;
    assert_error(&not_bool, 400, "MalformedXML");
    let got = c
        .get_public_access_block()
        .bucket("checked")
        .send()
        .await
        .unwrap();
    assert_eq!(got.public_access_block_configuration(), Some(&all_four(true)));
}

#[tokio::test]
async fn ownership_controls_default_to_bucket_owner_enforced() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "owned", "us-east-1").await;
    let rule =
        |c: &aws_sdk_s3::operation::get_bucket_ownership_controls::GetBucketOwnershipControlsOutput| {
            c.ownership_controls().unwrap().rules()[0]
                .object_ownership()
                .clone()
        };
    let fresh = c
        .get_bucket_ownership_controls()
        .bucket("owned")
        .send()
        .await
        .unwrap();
    assert_eq!(rule(&fresh), ObjectOwnership::BucketOwnerEnforced);

    let controls = |o: ObjectOwnership| {
        OwnershipControls::builder()
            .rules(
                OwnershipControlsRule::builder()
                    .object_ownership(o)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    c.put_bucket_ownership_controls()
        .bucket("owned")
        .ownership_controls(controls(ObjectOwnership::ObjectWriter))
        .send()
        .await
        .unwrap();
    let got = c
        .get_bucket_ownership_controls()
        .bucket("owned")
        .send()
        .await
        .unwrap();
    assert_eq!(rule(&got), ObjectOwnership::ObjectWriter);

    let bad = c
        .put_bucket_ownership_controls()
        .bucket("owned")
        .ownership_controls(controls(ObjectOwnership::from("EveryoneOwns")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "MalformedXML");
    let still = c
        .get_bucket_ownership_controls()
        .bucket("owned")
        .send()
        .await
        .unwrap();
    assert_eq!(rule(&still), ObjectOwnership::ObjectWriter);

    c.delete_bucket_ownership_controls()
        .bucket("owned")
        .send()
        .await
        .unwrap();
    let gone = c
        .get_bucket_ownership_controls()
        .bucket("owned")
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert_eq!(code(&gone), "OwnershipControlsNotFoundError");
}

#[tokio::test]
async fn acls_read_as_the_owners_full_control() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "acl", "us-east-1").await;
    put(&c, "acl", "doc", b"body").await;
    let bucket = c.get_bucket_acl().bucket("acl").send().await.unwrap();
    let object = c.get_object_acl().bucket("acl").key("doc").send().await.unwrap();
    for (owner, grants) in [
        (bucket.owner(), bucket.grants()),
        (object.owner(), object.grants()),
    ] {
        let id = owner.and_then(|o| o.id()).expect("an owner id");
        assert_eq!(grants.len(), 1);
        let grantee = grants[0].grantee().unwrap();
        assert_eq!(grantee.r#type(), &Type::CanonicalUser);
        assert_eq!(grantee.id(), Some(id));
        assert_eq!(grants[0].permission(), Some(&Permission::FullControl));
    }
    let missing = c
        .get_object_acl()
        .bucket("acl")
        .key("nothing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NoSuchKey");
    let no_bucket = c.get_bucket_acl().bucket("nowhere").send().await.unwrap_err();
    assert_eq!(code(&no_bucket), "NoSuchBucket");
}
