//! ACLs as S3 answers them: with ACLs disabled (the default) the bucket
//! owner's full control is accepted and any other ACL refused with
//! AccessControlListNotSupported; with ACLs enabled a public ACL is
//! AccessDenied under Block Public Access, and every other ACL is stored on
//! the bucket or version and read back in S3's shape; CreateBucket's ACL is
//! checked against the Object Ownership it asks for; malformed ACLs are
//! refused with S3's codes and arguments before anything changes.

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

/// PutBucketOwnershipControls with one rule.
async fn set_ownership(
    c: &Client,
    bucket: &str,
    ownership: ObjectOwnership,
) -> Result<
    (),
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::put_bucket_ownership_controls::PutBucketOwnershipControlsError,
    >,
> {
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ownership)
        .build()
        .unwrap();
    c.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(OwnershipControls::builder().rules(rule).build().unwrap())
        .send()
        .await
        .map(|_| ())
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
    set_ownership(&c, "writer", ObjectOwnership::ObjectWriter)
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

/// A bucket with ACLs enabled and Block Public Access removed, as S3's
/// guide asks before public ACLs can be set.
async fn acl_bucket(c: &Client, name: &str) {
    create_bucket(c, name, "us-east-1").await;
    c.delete_bucket_ownership_controls()
        .bucket(name)
        .send()
        .await
        .unwrap();
    c.delete_public_access_block().bucket(name).send().await.unwrap();
}

/// Grants as (grantee, permission): the id or URI, and the permission.
fn listed(grants: &[Grant]) -> Vec<(String, String)> {
    grants
        .iter()
        .map(|g| {
            let e = g.grantee().expect("a grantee");
            let who = e.id().or(e.uri()).expect("an id or a URI").to_owned();
            assert_eq!(
                e.r#type(),
                if e.id().is_some() {
                    &Type::CanonicalUser
                } else {
                    &Type::Group
                },
                "{g:?}"
            );
            (who, g.permission().expect("a permission").as_str().to_owned())
        })
        .collect()
}

async fn bucket_grants(c: &Client, bucket: &str) -> Vec<(String, String)> {
    let acl = c.get_bucket_acl().bucket(bucket).send().await.unwrap();
    listed(acl.grants())
}

async fn object_grants(c: &Client, bucket: &str, key: &str, version: Option<&str>) -> Vec<(String, String)> {
    let acl = c
        .get_object_acl()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .unwrap();
    listed(acl.grants())
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const OTHER_ACCOUNT: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

fn pair(who: &str, permission: &str) -> (String, String) {
    (who.to_owned(), permission.to_owned())
}

#[tokio::test]
async fn acls_enabled_are_stored_on_the_bucket_and_read_back() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    acl_bucket(&c, "shared").await;
    let id = owner_id(&c, "shared").await;
    assert_eq!(bucket_grants(&c, "shared").await, vec![pair(&id, "FULL_CONTROL")]);

    c.put_bucket_acl()
        .bucket("shared")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(
        bucket_grants(&c, "shared").await,
        vec![pair(&id, "FULL_CONTROL"), pair(ALL_USERS, "READ")]
    );

    c.put_bucket_acl()
        .bucket("shared")
        .acl(BucketCannedAcl::from("log-delivery-write"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bucket_grants(&c, "shared").await,
        vec![
            pair(&id, "FULL_CONTROL"),
            pair(LOG_DELIVERY, "READ_ACP"),
            pair(LOG_DELIVERY, "WRITE")
        ]
    );

    // Header grants replace the ACL: the owner is not added.
    c.put_bucket_acl()
        .bucket("shared")
        .grant_read(format!("uri=\"{LOG_DELIVERY}\""))
        .grant_write_acp(format!("id=\"{OTHER_ACCOUNT}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bucket_grants(&c, "shared").await,
        vec![pair(LOG_DELIVERY, "READ"), pair(OTHER_ACCOUNT, "WRITE_ACP")]
    );

    // ACLs cannot be disabled while they grant others.
    let refused = set_ownership(&c, "shared", ObjectOwnership::BucketOwnerEnforced)
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "InvalidBucketAclWithObjectOwnership");
    assert_eq!(
        bucket_grants(&c, "shared").await,
        vec![pair(LOG_DELIVERY, "READ"), pair(OTHER_ACCOUNT, "WRITE_ACP")],
        "the refusal changed nothing"
    );

    // The owner's full control in XML, then ACLs disabled.
    c.put_bucket_acl()
        .bucket("shared")
        .access_control_policy(policy(&id, Permission::FullControl))
        .send()
        .await
        .unwrap();
    set_ownership(&c, "shared", ObjectOwnership::BucketOwnerEnforced)
        .await
        .expect("only the owner is granted now");
    assert_eq!(bucket_grants(&c, "shared").await, vec![pair(&id, "FULL_CONTROL")]);
}

#[tokio::test]
async fn acls_enabled_are_stored_per_version_and_not_copied() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    acl_bucket(&c, "objects").await;
    enable_versioning(&c, "objects").await;
    let id = owner_id(&c, "objects").await;

    let first = c
        .put_object()
        .bucket("objects")
        .key("k")
        .grant_read(format!("id=\"{OTHER_ACCOUNT}\""))
        .grant_full_control(format!("id=\"{id}\""))
        .body(ByteStream::from_static(b"one"))
        .send()
        .await
        .unwrap();
    let first = first.version_id().expect("a version").to_owned();
    let granted = vec![pair(&id, "FULL_CONTROL"), pair(OTHER_ACCOUNT, "READ")];
    assert_eq!(object_grants(&c, "objects", "k", None).await, granted);

    // A new version is private; the old one keeps its grants.
    put(&c, "objects", "k", b"two").await;
    assert_eq!(
        object_grants(&c, "objects", "k", None).await,
        vec![pair(&id, "FULL_CONTROL")]
    );
    assert_eq!(object_grants(&c, "objects", "k", Some(&first)).await, granted);

    // PutObjectAcl on a named version.
    c.put_object_acl()
        .bucket("objects")
        .key("k")
        .version_id(&first)
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_grants(&c, "objects", "k", Some(&first)).await,
        vec![pair(&id, "FULL_CONTROL"), pair(ALL_USERS, "READ")]
    );

    // A copy takes the request's ACL, never the source's.
    c.copy_object()
        .bucket("objects")
        .key("copy")
        .copy_source(format!("objects/k?versionId={first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_grants(&c, "objects", "copy", None).await,
        vec![pair(&id, "FULL_CONTROL")]
    );
    c.copy_object()
        .bucket("objects")
        .key("copy")
        .copy_source("objects/k")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_grants(&c, "objects", "copy", None).await,
        vec![
            pair(&id, "FULL_CONTROL"),
            pair(
                "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                "READ"
            )
        ]
    );

    // A multipart upload's ACL is the completed object's.
    let upload = c
        .create_multipart_upload()
        .bucket("objects")
        .key("mpu")
        .grant_read(format!("uri=\"{LOG_DELIVERY}\""))
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = c
        .upload_part()
        .bucket("objects")
        .key("mpu")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    c.complete_multipart_upload()
        .bucket("objects")
        .key("mpu")
        .upload_id(upload_id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_grants(&c, "objects", "mpu", None).await,
        vec![pair(LOG_DELIVERY, "READ")]
    );
}

#[tokio::test]
async fn malformed_acls_are_refused_with_s3s_codes_before_anything_changes() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    // A default bucket: ACLs disabled, yet the ACL is read and refused first.
    create_bucket(&c, "strict", "us-east-1").await;
    put(&c, "strict", "k", b"v").await;
    let id = owner_id(&c, "strict").await;

    // (path, headers, code, the ArgumentName and ArgumentValue S3 adds)
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
        Option<(&'a str, &'a str)>,
    );
    let cases: [Case; 6] = [
        (
            "/strict?acl",
            &[("x-amz-acl", "fake-acl")],
            "InvalidArgument",
            Some(("x-amz-acl", "fake-acl")),
        ),
        (
            "/strict?acl",
            &[(
                "x-amz-grant-write",
                "uri=\"http://acs.amazonaws.com/groups/s3/FakeGroup\"",
            )],
            "InvalidArgument",
            Some(("uri", "http://acs.amazonaws.com/groups/s3/FakeGroup")),
        ),
        (
            "/strict?acl",
            &[("x-amz-grant-write", "fakekey=\"1234\"")],
            "InvalidArgument",
            Some(("x-amz-grant-write", "fakekey=&quot;1234&quot;")),
        ),
        (
            "/strict/k?acl",
            &[("x-amz-grant-write", "id=\"wrong-id\"")],
            "InvalidArgument",
            Some(("id", "wrong-id")),
        ),
        (
            "/strict/k?acl",
            &[("x-amz-grant-read", "emailAddress=\"someone@example.com\"")],
            "UnresolvableGrantByEmailAddress",
            None,
        ),
        ("/strict?acl", &[], "MissingSecurityHeader", None),
    ];
    for (path, headers, want, argument) in cases {
        let r = raw(&server, "PUT", path, headers, b"").await;
        assert_error(&r, 400, want);
        if let Some((name, value)) = argument {
            assert!(
                r.2.contains(&format!(
                    "<ArgumentName>{name}</ArgumentName><ArgumentValue>{value}</ArgumentValue>"
                )),
                "{path} {headers:?}: {r:?}"
            );
        }
    }
    let missing = raw(&server, "PUT", "/strict?acl", &[], b"").await;
    assert!(
        missing
            .2
            .contains("<MissingHeaderName>x-amz-acl</MissingHeaderName>"),
        "{missing:?}"
    );

    // A policy without its owner, with a permission or grantee type the
    // model does not define, or an empty one, is not an ACL.
    let grant = |permission: &str, grantee: &str| {
        format!(
            "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" {grantee}</Grantee><Permission>{permission}</Permission></Grant>"
        )
    };
    let log_delivery = format!("xsi:type=\"Group\"><URI>{LOG_DELIVERY}</URI>");
    let body = |owner: &str, grants: &str| {
        format!(
            "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{owner}<AccessControlList>{grants}</AccessControlList></AccessControlPolicy>"
        )
    };
    let owner = format!("<Owner><ID>{id}</ID></Owner>");
    let malformed = [
        body("", &grant("WRITE", &log_delivery)),
        body(&owner, &grant("WRONG-PERMISSION", &log_delivery)),
        body(&owner, &grant("READ", "xsi:type=\"BadType\"><ID>x</ID>")),
        "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>".to_owned(),
    ];
    for xml in &malformed {
        let r = raw(&server, "PUT", "/strict?acl", &[], xml.as_bytes()).await;
        assert_error(&r, 400, "MalformedACLError");
    }
    let wrong_owner = body("<Owner><ID>wrong-id</ID></Owner>", &grant("READ", &log_delivery));
    let r = raw(&server, "PUT", "/strict?acl", &[], wrong_owner.as_bytes()).await;
    assert_error(&r, 400, "InvalidArgument");
    assert!(
        r.2.contains("<ArgumentName>CanonicalUser/ID</ArgumentName>"),
        "{r:?}"
    );
    let fake_group = body(
        &owner,
        &grant(
            "READ",
            "xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/s3/FakeGroup</URI>",
        ),
    );
    let r = raw(&server, "PUT", "/strict?acl", &[], fake_group.as_bytes()).await;
    assert_error(&r, 400, "InvalidArgument");
    assert!(r.2.contains("<ArgumentName>Group/URI</ArgumentName>"), "{r:?}");

    // A refused PutObject wrote nothing; the bucket still reads as before.
    let refused = c
        .put_object()
        .bucket("strict")
        .key("new")
        .grant_read("id=\"wrong-id\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "InvalidArgument");
    assert_eq!(get(&c, "strict", "new", None).await, Err("NoSuchKey".to_owned()));
    assert_eq!(bucket_grants(&c, "strict").await, vec![pair(&id, "FULL_CONTROL")]);
}
