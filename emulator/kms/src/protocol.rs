//! The HTTP side of KMS (AWS JSON 1.1, `X-Amz-Target: TrentService.<Op>`):
//! reads the target and body, checks every member against the model
//! ([`crate::input`]) before the engine runs, calls the engine, renders its
//! answer, and records key-management calls in the audit trail.

use crate::engine::aliases::AliasEntry;
use crate::engine::crypto::{self, Context, SYMMETRIC_DEFAULT};
use crate::engine::keys::CreateKey;
use crate::engine::policy::POLICY_NAME;
use crate::engine::{Engine, Key, KeyState, Scope};
use crate::errors::{KmsError, Result, json_response};
use crate::input::{Input, present};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use firedrill_emu_core::Body;
use firedrill_emu_core::audit::AuditEvent;
use firedrill_emu_core::body::{MAX_BUFFERED_BODY, collect};
use http::{Request, Response, StatusCode};
use rand::RngCore;
use serde_json::{Value, json};

/// The `X-Amz-Target` prefix of KMS's API.
pub const TARGET_PREFIX: &str = "TrentService.";

/// The key-management operations recorded in the audit trail (the
/// cryptographic ones and the reads are not).
pub const AUDITED: &[&str] = &[
    "CreateKey",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "PutKeyPolicy",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "TagResource",
    "UntagResource",
    "UpdateKeyDescription",
];

const KEY_USAGES: &[&str] = &[
    "SIGN_VERIFY",
    "ENCRYPT_DECRYPT",
    "GENERATE_VERIFY_MAC",
    "KEY_AGREEMENT",
];
/// `KeySpec`'s values; `CustomerMasterKeySpec` has the first 13.
const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
];
/// `CustomerMasterKeySpec`'s values, cut at compile time (a range past the
/// table's end would fail the build, not a request).
const CMK_SPECS: &[&str] = KEY_SPECS.split_at(13).0;
const ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];
const ALGORITHMS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "SM2PKE",
];
const DATA_KEY_SPECS: &[&str] = &["AES_256", "AES_128"];

/// Who is calling, where.
pub struct Caller<'a> {
    /// The account and region.
    pub scope: Scope<'a>,
    /// The principal, for the audit trail.
    pub principal: &'a str,
    /// The request id.
    pub request_id: &'a str,
}

fn time(t: DateTime<Utc>) -> Value {
    json!(t.timestamp_millis() as f64 / 1000.0)
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// `KeyMetadata` as AWS renders it for a symmetric key.
pub fn key_metadata(k: &Key) -> Value {
    let mut m = json!({
        "AWSAccountId": k.account,
        "KeyId": k.id,
        "Arn": k.arn,
        "CreationDate": time(k.created),
        "Enabled": k.state == KeyState::Enabled,
        "Description": k.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": k.state.as_str(),
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": SYMMETRIC_DEFAULT,
        "KeySpec": SYMMETRIC_DEFAULT,
        "EncryptionAlgorithms": [SYMMETRIC_DEFAULT],
        "MultiRegion": false,
    });
    if let Some(d) = k.deletion_date {
        insert(&mut m, "DeletionDate", time(d));
    }
    m
}

/// Adds `key` to a JSON object built just before (a no-op on any other value,
/// where `IndexMut` would panic).
fn insert(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

fn alias_entry(a: &AliasEntry) -> Value {
    json!({
        "AliasName": a.alias.name,
        "AliasArn": a.arn,
        "TargetKeyId": a.alias.target_key_id,
        "CreationDate": time(a.alias.created),
        "LastUpdatedDate": time(a.alias.updated),
    })
}

fn listing(field: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut out = json!({ field: items, "Truncated": next.is_some() });
    if let Some(n) = next {
        insert(&mut out, "NextMarker", Value::String(n));
    }
    out
}

fn limit(i: &mut Input, default: usize) -> Result<usize> {
    Ok(i.integer("Limit", 1, 1000)?
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(default))
}

fn marker(i: &mut Input) -> Result<Option<String>> {
    i.string("Marker", 1, 1024)
}

fn context(i: &mut Input, member: &str) -> Result<Context> {
    Ok(i.string_map(member)?.unwrap_or_default())
}

fn grant_tokens(i: &mut Input) -> Result<()> {
    if let Some(tokens) = i.string_list("GrantTokens", 1, 8192)?
        && tokens.len() > 10
    {
        i.violate(
            "GrantTokens",
            "",
            "Member must have length less than or equal to 10",
        );
    }
    Ok(())
}

/// Refuses `Recipient` (Nitro Enclaves attestation), which AWS serves and
/// this emulator does not.
fn no_recipient(i: &Input) -> Result<()> {
    if i.has("Recipient") {
        return Err(KmsError::UnsupportedOperation(
            "firedrill does not emulate Nitro Enclaves attestation (Recipient)".to_owned(),
        ));
    }
    Ok(())
}

/// Decodes, runs and encodes one operation.
pub fn dispatch(engine: &Engine, scope: Scope<'_>, op: &str, body: &[u8]) -> Result<Value> {
    let mut i = Input::parse(body)?;
    match op {
        "CreateKey" => {
            let req = CreateKey {
                policy: i.string("Policy", 1, 131_072)?,
                description: i.string("Description", 0, 8192)?,
                key_usage: i.enumeration("KeyUsage", KEY_USAGES)?,
                customer_master_key_spec: i.enumeration("CustomerMasterKeySpec", CMK_SPECS)?,
                key_spec: i.enumeration("KeySpec", KEY_SPECS)?,
                origin: i.enumeration("Origin", ORIGINS)?,
                custom_key_store_id: i.string("CustomKeyStoreId", 1, 64)?,
                multi_region: i.boolean("MultiRegion")?,
                tags: i.tags("Tags")?.unwrap_or_default(),
            };
            i.boolean("BypassPolicyLockoutSafetyCheck")?;
            i.string("XksKeyId", 1, 128)?;
            i.finish()?;
            Ok(json!({ "KeyMetadata": key_metadata(&engine.create_key(scope, req)?) }))
        }
        "DescribeKey" => {
            let key = i.required_key_id("KeyId")?;
            grant_tokens(&mut i)?;
            i.finish()?;
            let k = engine.describe_key(scope, &present(key, "KeyId")?)?;
            Ok(json!({ "KeyMetadata": key_metadata(&k) }))
        }
        "ListKeys" => {
            let limit = limit(&mut i, 100)?;
            let marker = marker(&mut i)?;
            i.finish()?;
            let (keys, next) = engine.list_keys(scope, limit, marker.as_deref())?;
            let keys = keys
                .into_iter()
                .map(|(id, arn)| json!({ "KeyId": id, "KeyArn": arn }))
                .collect();
            Ok(listing("Keys", keys, next))
        }
        "CreateAlias" | "UpdateAlias" => {
            let name = i.required_string("AliasName", 1, 256)?;
            let target = i.required_key_id("TargetKeyId")?;
            i.finish()?;
            let (name, target) = (present(name, "AliasName")?, present(target, "TargetKeyId")?);
            if op == "CreateAlias" {
                engine.create_alias(scope, &name, &target)?;
            } else {
                engine.update_alias(scope, &name, &target)?;
            }
            Ok(json!({}))
        }
        "DeleteAlias" => {
            let name = i.required_string("AliasName", 1, 256)?;
            i.finish()?;
            engine.delete_alias(scope, &present(name, "AliasName")?)?;
            Ok(json!({}))
        }
        "ListAliases" => {
            let key = i.key_id("KeyId")?;
            let limit = limit(&mut i, 100)?;
            let marker = marker(&mut i)?;
            i.finish()?;
            let (aliases, next) = engine.list_aliases(scope, key.as_deref(), limit, marker.as_deref())?;
            Ok(listing(
                "Aliases",
                aliases.iter().map(alias_entry).collect(),
                next,
            ))
        }
        "EnableKey" | "DisableKey" => {
            let key = i.required_key_id("KeyId")?;
            i.finish()?;
            let key = present(key, "KeyId")?;
            if op == "EnableKey" {
                engine.enable_key(scope, &key)?;
            } else {
                engine.disable_key(scope, &key)?;
            }
            Ok(json!({}))
        }
        "ScheduleKeyDeletion" => {
            let key = i.required_key_id("KeyId")?;
            let window = i.integer("PendingWindowInDays", 1, 365)?;
            i.finish()?;
            let k = engine.schedule_key_deletion(scope, &present(key, "KeyId")?, window)?;
            Ok(json!({
                "KeyId": k.arn,
                "DeletionDate": k.deletion_date.map(time),
                "KeyState": k.state.as_str(),
                "PendingWindowInDays": k.pending_window_days,
            }))
        }
        "CancelKeyDeletion" => {
            let key = i.required_key_id("KeyId")?;
            i.finish()?;
            let k = engine.cancel_key_deletion(scope, &present(key, "KeyId")?)?;
            Ok(json!({ "KeyId": k.arn }))
        }
        "GetKeyPolicy" => {
            let key = i.required_key_id("KeyId")?;
            let name = i.string("PolicyName", 1, 128)?;
            i.finish()?;
            let policy = engine.get_key_policy(scope, &present(key, "KeyId")?, name.as_deref())?;
            Ok(json!({ "Policy": policy, "PolicyName": POLICY_NAME }))
        }
        "PutKeyPolicy" => {
            let key = i.required_key_id("KeyId")?;
            let name = i.string("PolicyName", 1, 128)?;
            let policy = i.required_string("Policy", 1, 131_072)?;
            i.boolean("BypassPolicyLockoutSafetyCheck")?;
            i.finish()?;
            engine.put_key_policy(
                scope,
                &present(key, "KeyId")?,
                name.as_deref(),
                &present(policy, "Policy")?,
            )?;
            Ok(json!({}))
        }
        "ListKeyPolicies" => {
            let key = i.required_key_id("KeyId")?;
            limit(&mut i, 100)?;
            marker(&mut i)?;
            i.finish()?;
            engine.get_key_policy(scope, &present(key, "KeyId")?, None)?;
            Ok(json!({ "PolicyNames": [POLICY_NAME], "Truncated": false }))
        }
        "UpdateKeyDescription" => {
            let key = i.required_key_id("KeyId")?;
            let description = i.string("Description", 0, 8192)?;
            if description.is_none() {
                i.violate("Description", "null", "Member must not be null");
            }
            i.finish()?;
            engine.update_key_description(
                scope,
                &present(key, "KeyId")?,
                &present(description, "Description")?,
            )?;
            Ok(json!({}))
        }
        "TagResource" => {
            let key = i.required_key_id("KeyId")?;
            let tags = i.tags("Tags")?;
            if tags.is_none() {
                i.violate("Tags", "null", "Member must not be null");
            }
            i.finish()?;
            engine.tag_resource(scope, &present(key, "KeyId")?, &present(tags, "Tags")?)?;
            Ok(json!({}))
        }
        "UntagResource" => {
            let key = i.required_key_id("KeyId")?;
            let keys = i.string_list("TagKeys", 1, 128)?;
            if keys.is_none() {
                i.violate("TagKeys", "null", "Member must not be null");
            }
            i.finish()?;
            engine.untag_resource(scope, &present(key, "KeyId")?, &present(keys, "TagKeys")?)?;
            Ok(json!({}))
        }
        "ListResourceTags" => {
            let key = i.required_key_id("KeyId")?;
            let limit = limit(&mut i, 50)?;
            let marker = marker(&mut i)?;
            i.finish()?;
            let (tags, next) =
                engine.list_resource_tags(scope, &present(key, "KeyId")?, limit, marker.as_deref())?;
            let tags = tags
                .into_iter()
                .map(|(k, v)| json!({ "TagKey": k, "TagValue": v }))
                .collect();
            Ok(listing("Tags", tags, next))
        }
        "Encrypt" => {
            let key = i.required_key_id("KeyId")?;
            let plaintext = i.blob("Plaintext", 1, 4096)?;
            if plaintext.is_none() {
                i.violate("Plaintext", "null", "Member must not be null");
            }
            let ctx = context(&mut i, "EncryptionContext")?;
            grant_tokens(&mut i)?;
            let algorithm = i.enumeration("EncryptionAlgorithm", ALGORITHMS)?;
            let dry = i.boolean("DryRun")?.unwrap_or(false);
            i.finish()?;
            crypto::check_algorithm(algorithm.as_deref())?;
            let sealed = engine.encrypt(
                scope,
                &present(key, "KeyId")?,
                &present(plaintext, "Plaintext")?,
                &ctx,
                dry,
            )?;
            Ok(json!({
                "CiphertextBlob": b64(&sealed.blob),
                "KeyId": sealed.key_arn,
                "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
            }))
        }
        "Decrypt" => {
            let blob = i.blob("CiphertextBlob", 1, 6144)?;
            if blob.is_none() {
                i.violate("CiphertextBlob", "null", "Member must not be null");
            }
            let ctx = context(&mut i, "EncryptionContext")?;
            grant_tokens(&mut i)?;
            let key = i.key_id("KeyId")?;
            let algorithm = i.enumeration("EncryptionAlgorithm", ALGORITHMS)?;
            let dry = i.boolean("DryRun")?.unwrap_or(false);
            no_recipient(&i)?;
            i.finish()?;
            crypto::check_algorithm(algorithm.as_deref())?;
            let opened = engine.decrypt(
                scope,
                &present(blob, "CiphertextBlob")?,
                &ctx,
                key.as_deref(),
                dry,
            )?;
            Ok(json!({
                "KeyId": opened.key_arn,
                "Plaintext": b64(&opened.plaintext),
                "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
            }))
        }
        "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
            let key = i.required_key_id("KeyId")?;
            let ctx = context(&mut i, "EncryptionContext")?;
            let bytes = i.integer("NumberOfBytes", 1, 1024)?;
            let spec = i.enumeration("KeySpec", DATA_KEY_SPECS)?;
            grant_tokens(&mut i)?;
            let dry = i.boolean("DryRun")?.unwrap_or(false);
            if op == "GenerateDataKey" {
                no_recipient(&i)?;
            }
            i.finish()?;
            let len = crypto::data_key_len(spec.as_deref(), bytes)?;
            let (plaintext, sealed) =
                engine.generate_data_key(scope, &present(key, "KeyId")?, len, &ctx, dry)?;
            let mut out = json!({ "CiphertextBlob": b64(&sealed.blob), "KeyId": sealed.key_arn });
            if op == "GenerateDataKey" {
                insert(&mut out, "Plaintext", b64(&plaintext));
            }
            Ok(out)
        }
        "ReEncrypt" => {
            let blob = i.blob("CiphertextBlob", 1, 6144)?;
            if blob.is_none() {
                i.violate("CiphertextBlob", "null", "Member must not be null");
            }
            let source_ctx = context(&mut i, "SourceEncryptionContext")?;
            let source_key = i.key_id("SourceKeyId")?;
            let dest = i.required_key_id("DestinationKeyId")?;
            let dest_ctx = context(&mut i, "DestinationEncryptionContext")?;
            let source_alg = i.enumeration("SourceEncryptionAlgorithm", ALGORITHMS)?;
            let dest_alg = i.enumeration("DestinationEncryptionAlgorithm", ALGORITHMS)?;
            grant_tokens(&mut i)?;
            let dry = i.boolean("DryRun")?.unwrap_or(false);
            i.finish()?;
            crypto::check_algorithm(source_alg.as_deref())?;
            crypto::check_algorithm(dest_alg.as_deref())?;
            let (source_arn, sealed) = engine.re_encrypt(
                scope,
                &present(blob, "CiphertextBlob")?,
                &source_ctx,
                source_key.as_deref(),
                &present(dest, "DestinationKeyId")?,
                &dest_ctx,
                dry,
            )?;
            Ok(json!({
                "CiphertextBlob": b64(&sealed.blob),
                "SourceKeyId": source_arn,
                "KeyId": sealed.key_arn,
                "SourceEncryptionAlgorithm": SYMMETRIC_DEFAULT,
                "DestinationEncryptionAlgorithm": SYMMETRIC_DEFAULT,
            }))
        }
        "GenerateRandom" => {
            let bytes = i.integer("NumberOfBytes", 1, 1024)?;
            i.string("CustomKeyStoreId", 1, 64)?;
            i.finish()?;
            let Some(n) = bytes.and_then(|n| usize::try_from(n).ok()) else {
                return Err(KmsError::Validation("NumberOfBytes is required.".to_owned()));
            };
            let mut out = vec![0u8; n];
            rand::rngs::OsRng.fill_bytes(&mut out);
            Ok(json!({ "Plaintext": b64(&out) }))
        }
        other => Err(KmsError::UnknownOperation(format!(
            "firedrill does not emulate the KMS operation {other:?}"
        ))),
    }
}

/// The resource an audited call acts on: the alias ARN for alias calls,
/// the key ARN (or the key reference as sent, when it names no key) for
/// the rest.
fn audit_resource(
    engine: &Engine,
    scope: Scope<'_>,
    op: &str,
    body: &[u8],
    result: &Result<Value>,
) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let field = |name: &str| v.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    match op {
        "CreateKey" => result
            .as_ref()
            .ok()
            .and_then(|r| r.get("KeyMetadata")?.get("Arn")?.as_str())
            .unwrap_or_default()
            .to_owned(),
        "CreateAlias" | "UpdateAlias" | "DeleteAlias" => scope.alias_arn(&field("AliasName")),
        _ => {
            let key = field("KeyId");
            engine.key_arn_of(scope, &key).unwrap_or(key)
        }
    }
}

/// Answers one KMS request.
pub async fn handle(engine: &Engine, caller: Caller<'_>, req: Request<Body>) -> Response<Body> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = match collect(req.into_body(), MAX_BUFFERED_BODY).await {
        Ok(b) => b,
        Err(e) => return KmsError::Serialization(e.to_string()).into_response(caller.request_id),
    };
    let Some(op) = target.strip_prefix(TARGET_PREFIX) else {
        return KmsError::UnknownOperation(format!(
            "X-Amz-Target {target:?} does not name a TrentService operation"
        ))
        .into_response(caller.request_id);
    };
    let result = dispatch(engine, caller.scope, op, &body);
    if AUDITED.contains(&op) {
        engine.env().audit.record(AuditEvent {
            event_time: engine.now(),
            event_source: "kms".to_owned(),
            event_name: op.to_owned(),
            region: caller.scope.region.to_owned(),
            principal: caller.principal.to_owned(),
            resource: audit_resource(engine, caller.scope, op, &body, &result),
            result: match &result {
                Ok(_) => "Success".to_owned(),
                Err(e) => e.code().to_owned(),
            },
        });
    }
    match result {
        Ok(value) => json_response(StatusCode::OK, &value, caller.request_id),
        Err(e) => {
            tracing::debug!(op, code = e.code(), message = %e, "kms error");
            e.into_response(caller.request_id)
        }
    }
}
