//! Encryption for real over the SDK: round trips, encryption context as
//! authenticated data, data keys, re-encryption, every key-state error of
//! the cryptographic operations, and the engine-level `key_usable` seam.

mod common;

use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};
use aws_smithy_types::Blob;
use common::{client, code, key, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn blob(b: &[u8]) -> Blob {
    Blob::new(b.to_vec())
}

#[tokio::test]
async fn encrypt_and_decrypt_round_trip_with_the_context_bound() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{id}");
    kms.create_alias()
        .alias_name("alias/pay")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let sealed = kms
        .encrypt()
        .key_id("alias/pay")
        .plaintext(blob(b"4111 1111 1111 1111"))
        .encryption_context("table", "orders")
        .send()
        .await
        .unwrap();
    assert_eq!(sealed.key_id(), Some(arn.as_str()));
    assert_eq!(
        sealed.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let ct = sealed.ciphertext_blob().unwrap().clone();
    assert!(
        !ct.as_ref().windows(4).any(|w| w == b"4111"),
        "the plaintext is not in the blob"
    );

    // No KeyId needed: the blob names its key.
    let opened = kms
        .decrypt()
        .ciphertext_blob(ct.clone())
        .encryption_context("table", "orders")
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"4111 1111 1111 1111");
    assert_eq!(opened.key_id(), Some(arn.as_str()));
    for reference in [id.as_str(), arn.as_str(), "alias/pay"] {
        kms.decrypt()
            .ciphertext_blob(ct.clone())
            .key_id(reference)
            .encryption_context("table", "orders")
            .send()
            .await
            .unwrap();
    }

    let wrong = [
        kms.decrypt().ciphertext_blob(ct.clone()),
        kms.decrypt()
            .ciphertext_blob(ct.clone())
            .encryption_context("table", "carts"),
        kms.decrypt()
            .ciphertext_blob(ct.clone())
            .encryption_context("table", "orders")
            .encryption_context("extra", "1"),
    ];
    for call in wrong {
        assert_eq!(code(call.send().await).0, "InvalidCiphertextException");
    }
    let mut tampered = ct.clone().into_inner();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let (c, _) = code(
        kms.decrypt()
            .ciphertext_blob(Blob::new(tampered))
            .encryption_context("table", "orders")
            .send()
            .await,
    );
    assert_eq!(c, "InvalidCiphertextException");
    assert_eq!(
        code(kms.decrypt().ciphertext_blob(blob(b"garbage")).send().await).0,
        "InvalidCiphertextException"
    );
    let other = key(&kms).await;
    let (c, _) = code(
        kms.decrypt()
            .ciphertext_blob(ct.clone())
            .key_id(&other)
            .encryption_context("table", "orders")
            .send()
            .await,
    );
    assert_eq!(c, "IncorrectKeyException");
    // A blob from one region is no ciphertext in another.
    let west = client(&server, "us-west-2").await;
    assert_eq!(
        code(west.decrypt().ciphertext_blob(ct).send().await).0,
        "InvalidCiphertextException"
    );
    server.stop().await;
}

#[tokio::test]
async fn data_keys_are_random_and_decrypt_to_their_plaintext() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    let dk = kms
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("vault", "prod")
        .send()
        .await
        .unwrap();
    let plain = dk.plaintext().unwrap().as_ref().to_vec();
    assert_eq!(plain.len(), 32);
    let back = kms
        .decrypt()
        .ciphertext_blob(dk.ciphertext_blob().unwrap().clone())
        .encryption_context("vault", "prod")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), plain.as_slice());
    let second = kms
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    assert_ne!(second.plaintext().unwrap().as_ref(), plain.as_slice());

    let small = kms
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes128)
        .send()
        .await
        .unwrap();
    assert_eq!(small.plaintext().unwrap().as_ref().len(), 16);
    let sized = kms
        .generate_data_key()
        .key_id(&id)
        .number_of_bytes(64)
        .send()
        .await
        .unwrap();
    assert_eq!(sized.plaintext().unwrap().as_ref().len(), 64);
    for call in [
        kms.generate_data_key().key_id(&id),
        kms.generate_data_key()
            .key_id(&id)
            .number_of_bytes(32)
            .key_spec(DataKeySpec::Aes256),
        kms.generate_data_key().key_id(&id).number_of_bytes(1025),
    ] {
        assert_eq!(code(call.send().await).0, "ValidationException");
    }

    let without = kms
        .generate_data_key_without_plaintext()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(
        without.key_id(),
        Some(format!("arn:aws:kms:us-east-1:000000000000:key/{id}").as_str())
    );
    let opened = kms
        .decrypt()
        .ciphertext_blob(without.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref().len(), 32);

    let random = kms.generate_random().number_of_bytes(48).send().await.unwrap();
    assert_eq!(random.plaintext().unwrap().as_ref().len(), 48);
    assert_eq!(code(kms.generate_random().send().await).0, "ValidationException");
    server.stop().await;
}

#[tokio::test]
async fn re_encrypt_moves_a_ciphertext_to_another_key_and_context() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let (src, dst) = (key(&kms).await, key(&kms).await);
    let ct = kms
        .encrypt()
        .key_id(&src)
        .plaintext(blob(b"backup manifest"))
        .encryption_context("a", "1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(ct.clone())
        .source_encryption_context("a", "1")
        .destination_key_id(&dst)
        .destination_encryption_context("b", "2")
        .send()
        .await
        .unwrap();
    assert!(moved.source_key_id().unwrap().ends_with(&src));
    assert!(moved.key_id().unwrap().ends_with(&dst));
    let opened = kms
        .decrypt()
        .ciphertext_blob(moved.ciphertext_blob().unwrap().clone())
        .encryption_context("b", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"backup manifest");
    assert!(opened.key_id().unwrap().ends_with(&dst));
    let (c, _) = code(
        kms.re_encrypt()
            .ciphertext_blob(ct.clone())
            .destination_key_id(&dst)
            .send()
            .await,
    );
    assert_eq!(c, "InvalidCiphertextException");
    let (c, _) = code(
        kms.re_encrypt()
            .ciphertext_blob(ct.clone())
            .source_encryption_context("a", "1")
            .source_key_id(&dst)
            .destination_key_id(&dst)
            .send()
            .await,
    );
    assert_eq!(c, "IncorrectKeyException");
    kms.disable_key().key_id(&dst).send().await.unwrap();
    let (c, _) = code(
        kms.re_encrypt()
            .ciphertext_blob(ct)
            .source_encryption_context("a", "1")
            .destination_key_id(&dst)
            .send()
            .await,
    );
    assert_eq!(c, "DisabledException");
    server.stop().await;
}

#[tokio::test]
async fn every_cryptographic_operation_refuses_disabled_and_pending_keys() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let (id, good) = (key(&kms).await, key(&kms).await);
    let ct = kms
        .encrypt()
        .key_id(&id)
        .plaintext(blob(b"x"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{id}");
    let expectations = [
        ("DisabledException", format!("{arn} is disabled.")),
        ("KMSInvalidStateException", format!("{arn} is pending deletion.")),
    ];
    kms.disable_key().key_id(&id).send().await.unwrap();
    for (round, (want, message)) in expectations.iter().enumerate() {
        if round == 1 {
            kms.schedule_key_deletion().key_id(&id).send().await.unwrap();
        }
        let want = (want.to_string(), message.clone());
        assert_eq!(
            code(kms.encrypt().key_id(&id).plaintext(blob(b"x")).send().await),
            want
        );
        assert_eq!(code(kms.decrypt().ciphertext_blob(ct.clone()).send().await), want);
        assert_eq!(
            code(
                kms.generate_data_key()
                    .key_id(&id)
                    .key_spec(DataKeySpec::Aes256)
                    .send()
                    .await
            ),
            want
        );
        assert_eq!(
            code(
                kms.generate_data_key_without_plaintext()
                    .key_id(&id)
                    .key_spec(DataKeySpec::Aes256)
                    .send()
                    .await
            ),
            want
        );
        assert_eq!(
            code(
                kms.re_encrypt()
                    .ciphertext_blob(ct.clone())
                    .destination_key_id(&good)
                    .send()
                    .await
            ),
            want
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn requests_outside_the_model_are_refused() {
    let (server, _kms) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    let (c, m) = code(
        kms.encrypt()
            .key_id(&id)
            .plaintext(blob(&[0u8; 4097]))
            .send()
            .await,
    );
    assert_eq!(c, "ValidationException");
    assert!(m.contains("'plaintext'") && m.contains("4096"), "{m}");
    let (c, _) = code(
        kms.encrypt()
            .key_id(&id)
            .plaintext(blob(b"x"))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
    );
    assert_eq!(c, "InvalidKeyUsageException");
    let (c, _) = code(
        kms.encrypt()
            .key_id(&id)
            .plaintext(blob(b"x"))
            .dry_run(true)
            .send()
            .await,
    );
    assert_eq!(c, "DryRunOperationException");
    let (c, m) = code(kms.encrypt().plaintext(blob(b"x")).send().await);
    assert_eq!(c, "ValidationException");
    assert!(m.contains("Value null at 'keyId'"), "{m}");
    server.stop().await;
}

#[tokio::test]
async fn key_usable_tells_other_services_whether_a_key_works() {
    let (server, kms_service) = start().await;
    let kms = client(&server, "us-east-1").await;
    let id = key(&kms).await;
    kms.create_alias()
        .alias_name("alias/vault")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{id}");
    for reference in [
        id.as_str(),
        arn.as_str(),
        "alias/vault",
        "arn:aws:kms:us-east-1:000000000000:alias/vault",
    ] {
        let usable = kms_service
            .key_usable("000000000000", "us-east-1", reference)
            .unwrap();
        assert_eq!(usable.0, arn);
    }
    assert_eq!(
        kms_service
            .key_usable("111111111111", "us-east-1", &id)
            .unwrap_err()
            .code(),
        "NotFoundException",
        "another account's key is not usable"
    );
    kms.disable_key().key_id(&id).send().await.unwrap();
    let err = kms_service
        .key_usable("000000000000", "us-east-1", "alias/vault")
        .unwrap_err();
    assert_eq!(err.code(), "DisabledException");
    assert_eq!(err.to_string(), format!("{arn} is disabled."));
    kms.schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let err = kms_service
        .key_usable("000000000000", "us-east-1", &arn)
        .unwrap_err();
    assert_eq!(err.code(), "KMSInvalidStateException");
    server.stop().await;
}

/// Sends one raw request signed for KMS (the signature is not checked
/// outside strict mode) and returns the status line, headers and body.
async fn raw(endpoint: &str, target: &str, body: &str) -> String {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAFIREDRILLTEST/20260314/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn errors_have_the_json_1_1_shape() {
    let (server, _kms) = start().await;
    let resp = raw(
        &server.endpoint,
        "TrentService.DescribeKey",
        r#"{"KeyId":"nope"}"#,
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
    assert!(
        resp.to_ascii_lowercase()
            .contains("content-type: application/x-amz-json-1.1"),
        "{resp}"
    );
    assert!(resp.contains(r#""__type":"NotFoundException""#), "{resp}");
    assert!(resp.contains(r#""message":"Invalid keyId 'nope'""#), "{resp}");
    let resp = raw(&server.endpoint, "TrentService.CreateGrant", "{}").await;
    assert!(
        resp.contains("com.amazon.coral.service#UnknownOperationException"),
        "{resp}"
    );
    let resp = raw(&server.endpoint, "TrentService.ListKeys", "{not json").await;
    assert!(
        resp.contains("com.amazon.coral.service#SerializationException"),
        "{resp}"
    );
    let resp = raw(&server.endpoint, "TrentService.ListKeys", r#"{"Limit":"ten"}"#).await;
    assert!(resp.contains("SerializationException"), "{resp}");
    let resp = raw(&server.endpoint, "TrentService.ListKeys", "").await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains(r#""Truncated":false"#), "{resp}");
    server.stop().await;
}
