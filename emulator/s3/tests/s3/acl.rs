//! ACL writes as S3 answers them since ACLs are disabled by default: the
//! bucket owner's full control is accepted, any other ACL refused with
//! AccessControlListNotSupported (or, with ACLs enabled, AccessDenied for
//! a public ACL under Block Public Access), and CreateBucket's ACL checked
//! against the Object Ownership it asks for.

use super::bad_input::{assert_error, raw};
use super::*;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, Grant, Grantee, ObjectCannedAcl, ObjectOwnership, Owner,
    OwnershipControls, OwnershipControlsRule, Permission, Type,
};

/// The canonical id GetBucketAcl answers for the owner.
async fn owner_id(c: &Client, bucket: &str) -> String {
    c.get_bucket_acl()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .owner()
        .and_then(|o| o.id())
        .expect("an owner id")
        .to_owned()
}

fn policy(id: &str, permission: Permission) -> AccessControlPolicy {
    AccessControlPolicy::builder()
        .owner(Owner::builder().id(id).build())
        .grants(
            Grant::builder()
                .grantee(
                    Grantee::builder()
                        .id(id)
                        .r#type(Type::CanonicalUser)
                        .build()
                        .unwrap(),
                )
                .permission(permission)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn acls_disabled_take_only_the_owners_full_control() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "enforced", "us-east-1").await;
    put(&c, "enforced", "k", b"v").await;
    let id = owner_id(&c, "enforced").await;

    for canned in [BucketCannedAcl::Private, BucketCannedAcl::PublicRead] {
        let refused = c
            .put_bucket_acl()
            .bucket("enforced")
            .acl(canned.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&refused), "AccessControlListNotSupported", "{canned:?}");
        assert_eq!(
            refused.as_service_error().and_then(|e| e.meta().message()),
            Some("The bucket does not allow ACLs")
        );
    }
    c.put_bucket_acl()
        .bucket("enforced")
        .access_control_policy(policy(&id, Permission::FullControl))
        .send()
        .await
        .expect("the owner's full control, in XML, is accepted");
    let read_only = c
        .put_bucket_acl()
        .bucket("enforced")
        .access_control_policy(policy(&id, Permission::Read))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&read_only), "AccessControlListNotSupported");

    c.put_object_acl()
        .bucket("enforced")
        .key("k")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .send()
        .await
        .expect("bucket-owner-full-control is accepted");
    let public = c
        .put_object_acl()
        .bucket("enforced")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&public), "AccessControlListNotSupported");
    let missing = c
        .put_object_acl()
        .bucket("enforced")
        .key("nope")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NoSuchKey");

    // Writes that carry an ACL are refused before anything is written.
    let put_public = c
        .put_object()
        .bucket("enforced")
        .key("public")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&put_public), "AccessControlListNotSupported");
    assert_eq!(
        get(&c, "enforced", "public", None).await,
        Err("NoSuchKey".to_owned())
    );
    c.put_object()
        .bucket("enforced")
        .key("owned")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("PutObject with bucket-owner-full-control");
    let copy = c
        .copy_object()
        .bucket("enforced")
        .key("copy")
        .copy_source("enforced/k")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&copy), "AccessControlListNotSupported");
    let upload = c
        .create_multipart_upload()
        .bucket("enforced")
        .key("mpu")
        .grant_read("uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&upload), "AccessControlListNotSupported");

    // The refusal is S3's XML error shape, over the wire.
    let r = raw(
        &server,
        "PUT",
        "/enforced?acl",
        &[("x-amz-acl", "public-read-write")],
        b"",
    )
    .await;
    assert_error(&r, 400, "AccessControlListNotSupported");
}

#[tokio::test]
async fn acls_enabled_refuse_public_acls_under_block_public_access() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "writer", "us-east-1").await;
    c.put_bucket_ownership_controls()
        .bucket("writer")
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::ObjectWriter)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.put_bucket_acl()
        .bucket("writer")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .expect("private is what the bucket has");
    let public = c
        .put_bucket_acl()
        .bucket("writer")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&public),
        "AccessDenied",
        "Block Public Access blocks public ACLs"
    );
}

#[tokio::test]
async fn create_bucket_checks_its_acl_against_object_ownership() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    let enforced = c
        .create_bucket()
        .bucket("public-default")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&enforced), "InvalidBucketAclWithObjectOwnership");
    let blocked = c
        .create_bucket()
        .bucket("public-writer")
        .acl(BucketCannedAcl::PublicRead)
        .object_ownership(ObjectOwnership::ObjectWriter)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&blocked), "InvalidBucketAclWithBlockPublicAccessError");
    for refused in ["public-default", "public-writer"] {
        let head = c.head_bucket().bucket(refused).send().await;
        assert!(head.is_err(), "{refused} was not created");
    }

    c.create_bucket()
        .bucket("private-writer")
        .acl(BucketCannedAcl::Private)
        .object_ownership(ObjectOwnership::BucketOwnerPreferred)
        .send()
        .await
        .expect("a private ACL with ACLs enabled");
    let ownership = c
        .get_bucket_ownership_controls()
        .bucket("private-writer")
        .send()
        .await
        .unwrap();
    let rules = ownership
        .ownership_controls()
        .map(|o| o.rules())
        .unwrap_or_default();
    assert_eq!(
        rules.first().map(|r| r.object_ownership()),
        Some(&ObjectOwnership::BucketOwnerPreferred),
        "CreateBucket's x-amz-object-ownership is kept"
    );
}
