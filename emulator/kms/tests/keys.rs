//! Key management over the real SDK: creation, description by every kind
//! of reference, listing, aliases, enabling and disabling, the deletion
//! window on the simulated clock, policies, tags and descriptions.

mod common;

use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use chrono::Duration;
use common::{client, code, key, start};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

#[tokio::test]
async fn a_key_is_created_described_by_every_reference_and_listed() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let created = kms
        .create_key()
        .description("orders table key")
        .tags(tag("team", "payments"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let id = created.key_id().to_owned();
    let arn = created.arn().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:kms:us-east-1:000000000000:key/{id}"));
    assert_eq!(created.key_state(), Some(&KeyState::Enabled));
    assert!(created.enabled());
    assert_eq!(created.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(created.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(created.description(), Some("orders table key"));
    assert_eq!(created.aws_account_id(), Some("000000000000"));
    assert_eq!(
        created.creation_date().unwrap().secs(),
        server.env().now().timestamp()
    );
    assert!(created.deletion_date().is_none());
    kms.create_alias()
        .alias_name("alias/orders")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();

    for reference in [
        id.clone(),
        arn.clone(),
        "alias/orders".to_owned(),
        "arn:aws:kms:us-east-1:000000000000:alias/orders".to_owned(),
    ] {
        let d = kms.describe_key().key_id(&reference).send().await.unwrap();
        assert_eq!(d.key_metadata().unwrap().key_id(), id, "by {reference}");
    }

    let mut ids = vec![id.clone(), key(&kms).await, key(&kms).await];
    ids.sort();
    let first = kms.list_keys().limit(2).send().await.unwrap();
    assert!(first.truncated());
    let mut listed: Vec<String> = first
        .keys()
        .iter()
        .map(|k| k.key_id().unwrap().to_owned())
        .collect();
    let second = kms
        .list_keys()
        .limit(2)
        .marker(first.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!second.truncated());
    assert!(second.next_marker().is_none());
    listed.extend(second.keys().iter().map(|k| k.key_id().unwrap().to_owned()));
    assert_eq!(listed, ids);
    assert_eq!(
        code(kms.list_keys().marker("not-a-marker!").send().await).0,
        "InvalidMarkerException"
    );
    // Keys belong to their region.
    let west = client(&server, "us-west-2").await;
    assert!(west.list_keys().send().await.unwrap().keys().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn references_that_name_no_key_are_refused_as_aws_refuses_them() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    let missing = "2f1a3a6e-0c1b-4f4e-9d43-7e0d9a1c5b11";
    let cases = [
        (
            "fake-key-id",
            "NotFoundException",
            "Invalid keyId 'fake-key-id'".to_owned(),
        ),
        (
            missing,
            "NotFoundException",
            format!("Key 'arn:aws:kms:us-east-1:000000000000:key/{missing}' does not exist"),
        ),
        (
            "alias/none",
            "NotFoundException",
            "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.".to_owned(),
        ),
        (
            "arn:aws:s3:::bucket",
            "InvalidArnException",
            "Invalid arn arn:aws:s3:::bucket".to_owned(),
        ),
    ];
    for (reference, want, message) in cases {
        let (got, msg) = code(kms.describe_key().key_id(reference).send().await);
        assert_eq!((got.as_str(), msg), (want, message), "for {reference}");
    }
    // The key's ARN from another region names nothing there.
    let west = client(&server, "us-west-2").await;
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{id}");
    assert_eq!(
        code(west.describe_key().key_id(&arn).send().await),
        ("NotFoundException".to_owned(), "Invalid arn us-west-2".to_owned())
    );
    assert_eq!(
        code(west.describe_key().key_id(&id).send().await).0,
        "NotFoundException"
    );
    let (c, m) = code(kms.describe_key().key_id("").send().await);
    assert_eq!(c, "ValidationException");
    assert!(m.contains("at 'keyId'"), "{m}");
    server.stop().await;
}

#[tokio::test]
async fn unsupported_and_invalid_key_specs_are_refused_before_anything_is_created() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let rsa = kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::SignVerify);
    assert_eq!(code(rsa.send().await).0, "UnsupportedOperationException");
    let sign = kms.create_key().key_usage(KeyUsageType::SignVerify);
    assert_eq!(code(sign.send().await).0, "ValidationException");
    // The deprecated spelling is what the check is about.
    #[allow(deprecated)]
    let both = kms
        .create_key()
        .key_spec(KeySpec::SymmetricDefault)
        .customer_master_key_spec(aws_sdk_kms::types::CustomerMasterKeySpec::SymmetricDefault);
    assert_eq!(code(both.send().await).0, "ValidationException");
    let store = kms.create_key().custom_key_store_id("cks-1234567890abcdef0");
    assert_eq!(code(store.send().await).0, "CustomKeyStoreNotFoundException");
    let external = kms.create_key().origin(aws_sdk_kms::types::OriginType::External);
    assert_eq!(code(external.send().await).0, "UnsupportedOperationException");
    let bad_enum = kms.create_key().key_spec(KeySpec::from("AES_999"));
    assert_eq!(code(bad_enum.send().await).0, "ValidationException");
    let reserved = kms.create_key().tags(tag("aws:owner", "x"));
    assert_eq!(code(reserved.send().await).0, "TagException");
    let policy = kms.create_key().policy("not json");
    assert_eq!(code(policy.send().await).0, "MalformedPolicyDocumentException");
    assert!(kms.list_keys().send().await.unwrap().keys().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn aliases_are_created_listed_repointed_and_deleted() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let (a, b) = (key(&kms).await, key(&kms).await);
    kms.create_alias()
        .alias_name("alias/vault")
        .target_key_id(&a)
        .send()
        .await
        .unwrap();
    kms.create_alias()
        .alias_name("alias/table")
        .target_key_id(&a)
        .send()
        .await
        .unwrap();
    let (c, m) = code(
        kms.create_alias()
            .alias_name("alias/vault")
            .target_key_id(&b)
            .send()
            .await,
    );
    assert_eq!(c, "AlreadyExistsException");
    assert_eq!(
        m,
        "An alias with the name arn:aws:kms:us-east-1:000000000000:alias/vault already exists"
    );
    let (c, _) = code(
        kms.create_alias()
            .alias_name("vault")
            .target_key_id(&b)
            .send()
            .await,
    );
    assert_eq!(c, "ValidationException");
    let (c, _) = code(
        kms.create_alias()
            .alias_name("alias/a b")
            .target_key_id(&b)
            .send()
            .await,
    );
    assert_eq!(c, "ValidationException");
    let (c, _) = code(
        kms.create_alias()
            .alias_name("alias/aws/mine")
            .target_key_id(&b)
            .send()
            .await,
    );
    assert_eq!(c, "NotAuthorizedException");
    let (c, _) = code(
        kms.create_alias()
            .alias_name("alias/x")
            .target_key_id("alias/vault")
            .send()
            .await,
    );
    assert_eq!(c, "NotFoundException");

    let all = kms.list_aliases().send().await.unwrap();
    let names: Vec<&str> = all.aliases().iter().map(|x| x.alias_name().unwrap()).collect();
    assert_eq!(names, ["alias/table", "alias/vault"]);
    let entry = &all.aliases()[1];
    assert_eq!(
        entry.alias_arn(),
        Some("arn:aws:kms:us-east-1:000000000000:alias/vault")
    );
    assert_eq!(entry.target_key_id(), Some(a.as_str()));
    assert!(entry.creation_date().is_some() && entry.last_updated_date().is_some());
    let paged = kms.list_aliases().limit(1).send().await.unwrap();
    assert!(paged.truncated());
    let rest = kms
        .list_aliases()
        .marker(paged.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.aliases().len(), 1);
    assert!(
        kms.list_aliases()
            .key_id(&b)
            .send()
            .await
            .unwrap()
            .aliases()
            .is_empty()
    );

    server.advance(Duration::hours(1)).await;
    kms.update_alias()
        .alias_name("alias/vault")
        .target_key_id(&b)
        .send()
        .await
        .unwrap();
    let of_b = kms.list_aliases().key_id(&b).send().await.unwrap();
    let moved = &of_b.aliases()[0];
    assert_eq!(moved.alias_name(), Some("alias/vault"));
    assert!(moved.last_updated_date().unwrap().secs() > moved.creation_date().unwrap().secs());
    let d = kms.describe_key().key_id("alias/vault").send().await.unwrap();
    assert_eq!(d.key_metadata().unwrap().key_id(), b);
    let (c, _) = code(
        kms.update_alias()
            .alias_name("alias/none")
            .target_key_id(&b)
            .send()
            .await,
    );
    assert_eq!(c, "NotFoundException");

    kms.delete_alias().alias_name("alias/vault").send().await.unwrap();
    let (c, m) = code(kms.delete_alias().alias_name("alias/vault").send().await);
    assert_eq!(c, "NotFoundException");
    assert_eq!(
        m,
        "Alias arn:aws:kms:us-east-1:000000000000:alias/vault is not found."
    );
    assert_eq!(kms.list_aliases().send().await.unwrap().aliases().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn disabling_and_enabling_a_key_changes_its_state() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    kms.disable_key().key_id(&id).send().await.unwrap();
    let d = kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(d.key_state(), Some(&KeyState::Disabled));
    assert!(!d.enabled());
    // Disabling twice is not an error, as in AWS.
    kms.disable_key().key_id(&id).send().await.unwrap();
    kms.enable_key().key_id(&id).send().await.unwrap();
    let d = kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(d.key_state(), Some(&KeyState::Enabled));
    assert!(d.enabled());
    // Key management takes key ids and ARNs, not aliases.
    kms.create_alias()
        .alias_name("alias/k")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(kms.disable_key().key_id("alias/k").send().await).0,
        "NotFoundException"
    );
    assert_eq!(
        code(
            kms.enable_key()
                .key_id("6a7e1d52-6a0c-4a8b-8d0f-1d2b3c4d5e6f")
                .send()
                .await
        )
        .0,
        "NotFoundException"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_deletion_window_runs_on_the_emulator_clock() {
    let (server, kms_service) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    kms.create_alias()
        .alias_name("alias/doomed")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let plaintext = aws_smithy_types::Blob::new(b"card numbers".to_vec());
    let blob = kms
        .encrypt()
        .key_id(&id)
        .plaintext(plaintext)
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();

    for days in [0, 6, 31, 365] {
        let (c, m) = code(
            kms.schedule_key_deletion()
                .key_id(&id)
                .pending_window_in_days(days)
                .send()
                .await,
        );
        assert_eq!(c, "ValidationException", "{days} days");
        assert!(m.contains("pendingWindowInDays"), "{m}");
    }
    let start_at = server.env().now();
    let scheduled = kms
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(scheduled.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days(), Some(7));
    assert_eq!(
        scheduled.key_id(),
        Some(format!("arn:aws:kms:us-east-1:000000000000:key/{id}").as_str())
    );
    let deletion = (start_at + Duration::days(7)).timestamp();
    assert_eq!(scheduled.deletion_date().unwrap().secs(), deletion);
    let d = kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(d.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(d.deletion_date().unwrap().secs(), deletion);
    assert!(!d.enabled());

    let pending = format!("arn:aws:kms:us-east-1:000000000000:key/{id} is pending deletion.");
    let invalid = ("KMSInvalidStateException".to_owned(), pending);
    assert_eq!(code(kms.enable_key().key_id(&id).send().await), invalid);
    assert_eq!(code(kms.disable_key().key_id(&id).send().await), invalid);
    assert_eq!(
        code(kms.schedule_key_deletion().key_id(&id).send().await),
        invalid
    );
    assert_eq!(
        code(kms.decrypt().ciphertext_blob(blob.clone()).send().await),
        invalid
    );
    assert_eq!(
        code(
            kms.create_alias()
                .alias_name("alias/late")
                .target_key_id(&id)
                .send()
                .await
        ),
        invalid
    );
    assert_eq!(
        code(kms.tag_resource().key_id(&id).tags(tag("a", "b")).send().await),
        invalid
    );
    assert_eq!(
        code(kms.untag_resource().key_id(&id).tag_keys("a").send().await),
        invalid
    );
    // Still listed and its policy still readable while pending.
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 1);
    kms.get_key_policy().key_id(&id).send().await.unwrap();

    // Cancelling leaves the key disabled, as AWS does.
    let cancelled = kms.cancel_key_deletion().key_id(&id).send().await.unwrap();
    assert_eq!(
        cancelled.key_id(),
        Some(format!("arn:aws:kms:us-east-1:000000000000:key/{id}").as_str())
    );
    let d = kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(d.key_state(), Some(&KeyState::Disabled));
    assert!(d.deletion_date().is_none());
    let (c, m) = code(kms.cancel_key_deletion().key_id(&id).send().await);
    assert_eq!(c, "KMSInvalidStateException");
    assert!(m.ends_with("is not pending deletion."), "{m}");

    // The default window is 30 days; the key survives until it ends.
    let again = kms.schedule_key_deletion().key_id(&id).send().await.unwrap();
    assert_eq!(again.pending_window_in_days(), Some(30));
    server.advance(Duration::days(29)).await;
    kms.describe_key().key_id(&id).send().await.unwrap();
    assert!(kms_service.key_usable("000000000000", "us-east-1", &id).is_err());
    server.advance(Duration::days(1) + Duration::seconds(1)).await;
    let (c, m) = code(kms.describe_key().key_id(&id).send().await);
    assert_eq!(c, "NotFoundException");
    assert!(m.contains("does not exist"), "{m}");
    assert!(kms.list_keys().send().await.unwrap().keys().is_empty());
    assert!(kms.list_aliases().send().await.unwrap().aliases().is_empty());
    // Data under a deleted key is gone for good.
    assert_eq!(
        code(kms.decrypt().ciphertext_blob(blob).send().await).0,
        "NotFoundException"
    );
    let err = kms_service
        .key_usable("000000000000", "us-east-1", &id)
        .unwrap_err();
    assert_eq!(err.code(), "NotFoundException");
    let deleted: Vec<_> = server
        .env()
        .audit
        .events()
        .into_iter()
        .filter(|e| e.event_source == "kms" && e.event_name == "DeleteKey")
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].principal, "firedrill");
    assert!(deleted[0].resource.ends_with(&id));
    server.stop().await;
}

#[tokio::test]
async fn key_policies_are_stored_with_aws_default() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    let got = kms.get_key_policy().key_id(&id).send().await.unwrap();
    assert_eq!(got.policy_name(), Some("default"));
    let default = got.policy().unwrap();
    let doc: serde_json::Value = serde_json::from_str(default).unwrap();
    assert_eq!(doc["Id"], "key-default-1");
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::000000000000:root"
    );
    assert_eq!(doc["Statement"][0]["Action"], "kms:*");
    assert!(
        default.contains("\"Version\" : \"2012-10-17\""),
        "AWS's own layout: {default}"
    );

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/backup"},"Action":"kms:Decrypt","Resource":"*"}]}"#;
    kms.put_key_policy()
        .key_id(&id)
        .policy(policy)
        .send()
        .await
        .unwrap();
    let got = kms
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(policy));
    for bad in ["{", "{\"Version\":\"2012-10-17\"}", "[]"] {
        let (c, _) = code(kms.put_key_policy().key_id(&id).policy(bad).send().await);
        assert_eq!(c, "MalformedPolicyDocumentException", "{bad}");
    }
    assert_eq!(
        kms.get_key_policy().key_id(&id).send().await.unwrap().policy(),
        Some(policy),
        "a refused policy changes nothing"
    );
    let (c, _) = code(kms.get_key_policy().key_id(&id).policy_name("other").send().await);
    assert_eq!(c, "NotFoundException");
    let names = kms.list_key_policies().key_id(&id).send().await.unwrap();
    assert_eq!(names.policy_names(), ["default"]);
    server.stop().await;
}

#[tokio::test]
async fn tags_and_descriptions_change_and_list() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    kms.tag_resource()
        .key_id(&id)
        .tags(tag("b", "2"))
        .tags(tag("a", "1"))
        .tags(tag("c", "3"))
        .send()
        .await
        .unwrap();
    kms.tag_resource()
        .key_id(&id)
        .tags(tag("a", "one"))
        .send()
        .await
        .unwrap();
    let first = kms
        .list_resource_tags()
        .key_id(&id)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert!(first.truncated());
    let second = kms
        .list_resource_tags()
        .key_id(&id)
        .marker(first.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    let all: Vec<(String, String)> = first
        .tags()
        .iter()
        .chain(second.tags())
        .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
        .collect();
    assert_eq!(
        all,
        [
            ("a".into(), "one".into()),
            ("b".into(), "2".into()),
            ("c".into(), "3".into())
        ]
    );
    kms.untag_resource()
        .key_id(&id)
        .tag_keys("b")
        .tag_keys("zz")
        .send()
        .await
        .unwrap();
    let left = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(left.tags().len(), 2);
    let (c, _) = code(
        kms.tag_resource()
            .key_id(&id)
            .tags(tag("aws:x", "1"))
            .send()
            .await,
    );
    assert_eq!(c, "TagException");
    let many = (0..50).fold(kms.tag_resource().key_id(&id), |r, n| {
        r.tags(tag(&format!("k{n}"), "v"))
    });
    assert_eq!(code(many.send().await).0, "LimitExceededException");
    assert_eq!(
        kms.list_resource_tags()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .tags()
            .len(),
        2
    );

    kms.update_key_description()
        .key_id(&id)
        .description("rotated")
        .send()
        .await
        .unwrap();
    let d = kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(d.description(), Some("rotated"));
    server.stop().await;
}

#[tokio::test]
async fn key_management_calls_are_audited_with_the_key_arn() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    kms.disable_key().key_id(&id).send().await.unwrap();
    let _ = kms
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(3)
        .send()
        .await;
    kms.encrypt()
        .key_id(&id)
        .plaintext(aws_smithy_types::Blob::new(b"x".to_vec()))
        .send()
        .await
        .unwrap_err();
    let events: Vec<(String, String, String)> = server
        .env()
        .audit
        .events()
        .into_iter()
        .map(|e| (e.event_name, e.resource, e.result))
        .collect();
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{id}");
    assert_eq!(
        events,
        [
            ("CreateKey".to_owned(), arn.clone(), "Success".to_owned()),
            ("DisableKey".to_owned(), arn.clone(), "Success".to_owned()),
            (
                "ScheduleKeyDeletion".to_owned(),
                arn,
                "ValidationException".to_owned()
            ),
        ]
    );
    assert!(
        server.env().audit.events()[1]
            .principal
            .ends_with("AKIAFIREDRILLTEST")
    );
    server.stop().await;
}
