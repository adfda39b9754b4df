//! S3 write-integrity probes: what a restore that copies objects back relies
//! on when it writes them.
//!
//! - [`checksums`]: a CRC32 checksum the client sends is verified against
//!   the body (a mismatch is refused and nothing is stored, as S3 answers
//!   `BadDigest`), stored and returned on GetObject with `ChecksumMode`.
//! - [`conditional_writes`]: `If-None-Match: *` refuses to overwrite an
//!   existing key, and `If-Match` with a stale ETag refuses to overwrite a
//!   newer version (412 `PreconditionFailed`), while `If-Match` with the
//!   current ETag writes: a rollback that uses them never clobbers a write
//!   it did not expect.

use super::Outcome;
use super::support::{Ctx, Step, code, describe, fail};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};

/// The body the checksum probe writes.
const BODY: &str = "order-0001 total_cents=4599";
/// Its CRC32, big-endian and base64 as S3 gives it
/// (`base64(zlib.crc32(BODY).to_bytes(4, "big"))`).
const BODY_CRC32: &str = "wulHlQ==";
/// A CRC32 that is not the body's.
const WRONG_CRC32: &str = "AAAAAA==";

/// The body of `key`, or the error code.
async fn body(s3: &Client, bucket: &str, key: &str) -> Result<String, String> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => match o.body.collect().await {
            Ok(b) => Ok(String::from_utf8_lossy(&b.into_bytes()).into_owned()),
            Err(e) => Err(format!("reading the body: {e}")),
        },
        Err(e) => Err(code(&e)),
    }
}

/// Put with a CRC32 checksum; read it back; put with a wrong one.
pub(crate) async fn checksums(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let s3 = &ctx.clients.s3;
    let bucket = ctx.name("checksums");
    let region = ctx.clients.region.clone();
    super::s3::create_bucket(ctx, s3, &region, &bucket, false, details).await?;

    let put = s3
        .put_object()
        .bucket(&bucket)
        .key("orders/1.json")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from(BODY.as_bytes().to_vec()))
        .send()
        .await
        .map_err(fail("PutObject with ChecksumAlgorithm CRC32"))?;
    let acknowledged = put.checksum_crc32().map(str::to_owned);
    details.push(format!("PutObject with a CRC32: acknowledged {acknowledged:?}"));
    if acknowledged.as_deref() != Some(BODY_CRC32) {
        return Ok(Outcome::NotHonoured(format!(
            "PutObject acknowledged the CRC32 {acknowledged:?}, not the body's {BODY_CRC32}"
        )));
    }
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("orders/1.json")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(fail("GetObject with ChecksumMode ENABLED"))?;
    let stored = got.checksum_crc32().map(str::to_owned);
    details.push(format!("GetObject with ChecksumMode ENABLED: {stored:?}"));
    if stored.as_deref() != Some(BODY_CRC32) {
        return Ok(Outcome::NotHonoured(format!(
            "GetObject returned the CRC32 {stored:?}, not the {BODY_CRC32} stored with the object"
        )));
    }

    let wrong = s3
        .put_object()
        .bucket(&bucket)
        .key("orders/2.json")
        .checksum_crc32(WRONG_CRC32)
        .body(ByteStream::from(BODY.as_bytes().to_vec()))
        .send()
        .await;
    match wrong {
        Ok(_) => {
            details.push("PutObject with a CRC32 that is not the body's: accepted".into());
            return Ok(Outcome::NotHonoured(
                "a body whose CRC32 does not match the one sent was stored".into(),
            ));
        }
        Err(e) => details.push(format!(
            "PutObject with a CRC32 that is not the body's: {}",
            describe(&e)
        )),
    }
    match body(s3, &bucket, "orders/2.json").await {
        Err(c) if c == "NoSuchKey" => {
            details.push("the refused object is not there (NoSuchKey)".into());
            Ok(Outcome::Honoured)
        }
        Ok(_) => Ok(Outcome::NotHonoured(
            "the PutObject with a wrong CRC32 was refused, yet the object was stored".into(),
        )),
        Err(c) => Ok(Outcome::Error(format!(
            "GetObject of the refused object answered {c}, not NoSuchKey"
        ))),
    }
}

/// Whether a conditional put was refused with 412 PreconditionFailed.
fn refused_412<E>(
    r: &Result<aws_sdk_s3::operation::put_object::PutObjectOutput, super::support::SdkError<E>>,
) -> Option<bool>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    match r {
        Ok(_) => Some(false),
        Err(e) => (code(e) == "PreconditionFailed" || super::support::status(e) == Some(412)).then_some(true),
    }
}

/// Conditional puts: If-None-Match `*` and a stale If-Match refuse; the
/// current ETag writes.
pub(crate) async fn conditional_writes(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let s3 = &ctx.clients.s3;
    let bucket = ctx.name("conditional");
    let region = ctx.clients.region.clone();
    super::s3::create_bucket(ctx, s3, &region, &bucket, false, details).await?;
    let key = "invoices/1.pdf";
    let put = |text: &'static str| {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(text.as_bytes().to_vec()))
    };
    let first = put("v1").send().await.map_err(fail("PutObject"))?;
    let etag = first.e_tag().unwrap_or_default().to_owned();
    details.push(format!("PutObject v1: ETag {etag}"));

    let r = put("v2 (If-None-Match)").if_none_match("*").send().await;
    match refused_412(&r) {
        Some(true) => {
            details.push("PutObject If-None-Match * on an existing key: 412 PreconditionFailed".into())
        }
        Some(false) => {
            return Ok(Outcome::NotHonoured(
                "PutObject with If-None-Match * overwrote an existing key".into(),
            ));
        }
        None => {
            if let Err(e) = &r {
                return Ok(super::support::classify("PutObject with If-None-Match *", e));
            }
        }
    }
    let r = put("v2 (stale If-Match)")
        .if_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await;
    match refused_412(&r) {
        Some(true) => details.push("PutObject If-Match with a stale ETag: 412 PreconditionFailed".into()),
        Some(false) => {
            return Ok(Outcome::NotHonoured(
                "PutObject with If-Match naming another ETag overwrote the object".into(),
            ));
        }
        None => {
            if let Err(e) = &r {
                return Ok(super::support::classify("PutObject with a stale If-Match", e));
            }
        }
    }
    match body(s3, &bucket, key).await {
        Ok(b) if b == "v1" => details.push("the object is still v1".into()),
        Ok(b) => {
            return Ok(Outcome::NotHonoured(format!(
                "a refused conditional put changed the object to {b:?}"
            )));
        }
        Err(c) => return Ok(Outcome::Error(format!("GetObject answered {c}"))),
    }
    put("v2")
        .if_match(&etag)
        .send()
        .await
        .map_err(fail("PutObject with If-Match the current ETag"))?;
    match body(s3, &bucket, key).await {
        Ok(b) if b == "v2" => {
            details.push("PutObject If-Match the current ETag: written (v2)".into());
            Ok(Outcome::Honoured)
        }
        Ok(b) => Ok(Outcome::NotHonoured(format!(
            "PutObject with If-Match the current ETag was acknowledged, yet the object reads {b:?}"
        ))),
        Err(c) => Ok(Outcome::Error(format!("GetObject answered {c}"))),
    }
}
