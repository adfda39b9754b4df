//! S3 probes: versions and delete markers, Object Lock, cross-region
//! replication, and the NoSuchBucket error code.

use super::Outcome;
use super::support::{Created, Ctx, DRILL_TAG_KEY, Step, code, describe, fail};
use crate::target::Clients;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, DeleteMarkerReplication,
    DeleteMarkerReplicationStatus, Destination, ObjectLockMode, ReplicationConfiguration, ReplicationRule,
    ReplicationRuleFilter, ReplicationRuleStatus, Tag, Tagging, VersioningConfiguration,
};
use parking_lot::Mutex;

fn build_err(e: aws_sdk_s3::error::BuildError) -> Outcome {
    Outcome::Error(format!("building an S3 request: {e}"))
}

/// Creates `bucket` in `region` (with Object Lock when asked), tags it with
/// the run, and remembers it for cleanup.
pub(crate) async fn create_bucket(
    ctx: &Ctx<'_>,
    s3: &Client,
    region: &str,
    bucket: &str,
    lock: bool,
    details: &mut Vec<String>,
) -> Step<()> {
    let mut req = s3.create_bucket().bucket(bucket);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    if lock {
        req = req.object_lock_enabled_for_bucket(true);
    }
    req.send().await.map_err(fail("CreateBucket"))?;
    ctx.created(Created::Bucket {
        region: region.to_owned(),
        name: bucket.to_owned(),
    });
    let tagging = Tagging::builder()
        .tag_set(
            Tag::builder()
                .key(DRILL_TAG_KEY)
                .value(&ctx.run_id)
                .build()
                .map_err(build_err)?,
        )
        .build()
        .map_err(build_err)?;
    if let Err(e) = s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
    {
        details.push(format!("PutBucketTagging {bucket}: {}", describe(&e)));
    }
    details.push(format!(
        "CreateBucket {bucket} ({region}{})",
        if lock { ", Object Lock" } else { "" }
    ));
    Ok(())
}

async fn enable_versioning(s3: &Client, bucket: &str) -> Step<()> {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(fail("PutBucketVersioning"))?;
    Ok(())
}

async fn put(s3: &Client, bucket: &str, key: &str, body: &str) -> Step<Option<String>> {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .map_err(fail("PutObject"))?;
    Ok(out.version_id().map(str::to_owned))
}

/// The body of `key` (at `version`), or the error code.
async fn get(s3: &Client, bucket: &str, key: &str, version: Option<&str>) -> Result<String, String> {
    match s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
    {
        Ok(o) => match o.body.collect().await {
            Ok(b) => Ok(String::from_utf8_lossy(&b.into_bytes()).into_owned()),
            Err(e) => Err(format!("reading the body: {e}")),
        },
        Err(e) => Err(code(&e)),
    }
}

/// Put two versions, delete (marker), read the old version, remove the marker.
pub(crate) async fn versions_and_delete_markers(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let s3 = &ctx.clients.s3;
    let bucket = ctx.name("versions");
    let region = ctx.clients.region.clone();
    create_bucket(ctx, s3, &region, &bucket, false, details).await?;
    enable_versioning(s3, &bucket).await?;
    let key = "invoices/1.pdf";
    let v1 = put(s3, &bucket, key, "v1").await?;
    let v2 = put(s3, &bucket, key, "v2").await?;
    let (Some(v1), Some(v2)) = (v1, v2) else {
        return Ok(Outcome::NotHonoured(
            "PutObject on a versioned bucket returned no version id".into(),
        ));
    };
    if v1 == v2 || v1 == "null" {
        return Ok(Outcome::NotHonoured(format!(
            "two writes got version ids {v1:?} and {v2:?}: versions are not kept apart"
        )));
    }
    details.push(format!("PutObject twice: versions {v1}, {v2}"));
    let del = s3
        .delete_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .map_err(fail("DeleteObject"))?;
    let Some(marker) = del
        .version_id()
        .map(str::to_owned)
        .filter(|_| del.delete_marker() == Some(true))
    else {
        return Ok(Outcome::NotHonoured(format!(
            "DeleteObject on a versioned bucket answered delete_marker={:?}, version_id={:?} instead of a delete marker",
            del.delete_marker(),
            del.version_id()
        )));
    };
    details.push(format!("DeleteObject: delete marker {marker}"));
    match get(s3, &bucket, key, None).await {
        Err(c) if c == "NoSuchKey" || c == "HTTP 404" => details.push(format!("GetObject after delete: {c}")),
        Err(c) => {
            return Ok(Outcome::NotHonoured(format!(
                "GetObject behind a delete marker answered {c}, not NoSuchKey"
            )));
        }
        Ok(body) => {
            return Ok(Outcome::NotHonoured(format!(
                "GetObject behind a delete marker returned {body:?}"
            )));
        }
    }
    let list = s3
        .list_object_versions()
        .bucket(&bucket)
        .prefix(key)
        .send()
        .await
        .map_err(fail("ListObjectVersions"))?;
    let versions: Vec<(String, bool)> = list
        .versions()
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap_or_default().to_owned(),
                v.is_latest() == Some(true),
            )
        })
        .collect();
    let markers: Vec<(String, bool)> = list
        .delete_markers()
        .iter()
        .map(|m| {
            (
                m.version_id().unwrap_or_default().to_owned(),
                m.is_latest() == Some(true),
            )
        })
        .collect();
    details.push(format!(
        "ListObjectVersions: versions {versions:?}, delete markers {markers:?}"
    ));
    let mut listed: Vec<&str> = versions.iter().map(|(v, _)| v.as_str()).collect();
    listed.sort_unstable();
    let mut want = vec![v1.as_str(), v2.as_str()];
    want.sort_unstable();
    if listed != want || versions.iter().any(|(_, latest)| *latest) {
        return Ok(Outcome::NotHonoured(format!(
            "ListObjectVersions shows versions {versions:?}; expected {v1} and {v2}, neither latest"
        )));
    }
    if markers != vec![(marker.clone(), true)] {
        return Ok(Outcome::NotHonoured(format!(
            "ListObjectVersions shows delete markers {markers:?}; expected {marker} as the latest"
        )));
    }
    match get(s3, &bucket, key, Some(&v1)).await {
        Ok(b) if b == "v1" => {}
        other => {
            return Ok(Outcome::NotHonoured(format!(
                "GetObject of version {v1} answered {other:?}, not \"v1\""
            )));
        }
    }
    s3.delete_object()
        .bucket(&bucket)
        .key(key)
        .version_id(&marker)
        .send()
        .await
        .map_err(fail("DeleteObject(versionId=marker)"))?;
    match get(s3, &bucket, key, None).await {
        Ok(b) if b == "v2" => {
            details.push("removing the delete marker brought v2 back".into());
            Ok(Outcome::Honoured)
        }
        other => Ok(Outcome::NotHonoured(format!(
            "after removing the delete marker GetObject answered {other:?}, not \"v2\""
        ))),
    }
}

/// A GOVERNANCE-locked version cannot be deleted without the bypass.
pub(crate) async fn object_lock(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let s3 = &ctx.clients.s3;
    let bucket = ctx.name("lock");
    let region = ctx.clients.region.clone();
    create_bucket(ctx, s3, &region, &bucket, true, details).await?;
    let until = ctx.target.now() + chrono::Duration::days(1);
    let out = s3
        .put_object()
        .bucket(&bucket)
        .key("ledger.csv")
        .body(ByteStream::from_static(b"locked"))
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(crate::model::chrono_to_smithy(until))
        .send()
        .await
        .map_err(fail("PutObject(Object Lock)"))?;
    let Some(version) = out.version_id().map(str::to_owned) else {
        return Ok(Outcome::NotHonoured(
            "PutObject on an Object Lock bucket returned no version id".into(),
        ));
    };
    details.push(format!(
        "PutObject ledger.csv GOVERNANCE until {until}: version {version}"
    ));
    match s3
        .get_object_retention()
        .bucket(&bucket)
        .key("ledger.csv")
        .version_id(&version)
        .send()
        .await
    {
        Ok(r) => details.push(format!(
            "GetObjectRetention: {:?}",
            r.retention()
                .and_then(|r| r.mode())
                .map(|m| m.as_str().to_owned())
        )),
        Err(e) => details.push(format!("GetObjectRetention: {}", describe(&e))),
    }
    match s3
        .delete_object()
        .bucket(&bucket)
        .key("ledger.csv")
        .version_id(&version)
        .send()
        .await
    {
        Ok(_) => {
            let still = get(s3, &bucket, "ledger.csv", Some(&version)).await;
            Ok(Outcome::NotHonoured(format!(
                "deleting the locked version {version} succeeded without bypass (reading it now: {still:?})"
            )))
        }
        Err(e) if code(&e) == "AccessDenied" => {
            details.push(format!("DeleteObject(versionId) refused: {}", describe(&e)));
            Ok(Outcome::Honoured)
        }
        Err(e) => Ok(Outcome::NotHonoured(format!(
            "deleting the locked version answered {} where AWS answers AccessDenied",
            describe(&e)
        ))),
    }
}

/// An object written in the primary region reaches a bucket in the second.
pub(crate) async fn cross_region_copies(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let Some(secondary) = ctx.target.secondary_region() else {
        return Ok(Outcome::Unsupported(
            "single-region target: there is no second region to copy to".into(),
        ));
    };
    let src_s3 = &ctx.clients.s3;
    let dst_s3 = &Clients::new(ctx.target, secondary).s3;
    let src = ctx.name("crr-src");
    let dst = ctx.name("crr-dst");
    let primary = ctx.clients.region.clone();
    create_bucket(ctx, src_s3, &primary, &src, false, details).await?;
    create_bucket(ctx, dst_s3, secondary, &dst, false, details).await?;
    enable_versioning(src_s3, &src).await?;
    enable_versioning(dst_s3, &dst).await?;
    let rule = ReplicationRule::builder()
        .id("firedrill-matrix")
        .priority(1)
        .status(ReplicationRuleStatus::Enabled)
        .filter(ReplicationRuleFilter::builder().prefix("").build())
        .delete_marker_replication(
            DeleteMarkerReplication::builder()
                .status(DeleteMarkerReplicationStatus::Disabled)
                .build(),
        )
        .destination(
            Destination::builder()
                .bucket(format!("arn:aws:s3:::{dst}"))
                .build()
                .map_err(build_err)?,
        )
        .build()
        .map_err(build_err)?;
    let config = ReplicationConfiguration::builder()
        .role(format!(
            "arn:aws:iam::{}:role/firedrill-matrix-replication",
            ctx.account_id()
        ))
        .rules(rule)
        .build()
        .map_err(build_err)?;
    src_s3
        .put_bucket_replication()
        .bucket(&src)
        .replication_configuration(config)
        .send()
        .await
        .map_err(fail("PutBucketReplication"))?;
    details.push(format!("PutBucketReplication {src} -> {dst}"));
    put(src_s3, &src, "images/p1.jpg", "pixels").await?;
    let last = Mutex::new(String::new());
    let arrived = ctx
        .poll(&ctx.opts.wait, || {
            let (last, src, dst) = (&last, &src, &dst);
            async move {
                let status = match src_s3.head_object().bucket(src).key("images/p1.jpg").send().await {
                    Ok(h) => h
                        .replication_status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    Err(e) => code(&e),
                };
                match get(dst_s3, dst, "images/p1.jpg", None).await {
                    Ok(body) => Ok(Some((body, status))),
                    Err(c) => {
                        *last.lock() =
                            format!("source replication status {status:?}, destination GetObject {c}");
                        Ok(None)
                    }
                }
            }
        })
        .await?;
    match arrived {
        Some((body, status)) if body == "pixels" => {
            details.push(format!(
                "replica arrived in {secondary}; source replication status {status:?}"
            ));
            Ok(Outcome::Honoured)
        }
        Some((body, _)) => Ok(Outcome::NotHonoured(format!(
            "the replica in {secondary} holds {body:?}, not \"pixels\""
        ))),
        None => Ok(Outcome::NotHonoured(format!(
            "the object never reached {dst} in {secondary} ({})",
            last.lock()
        ))),
    }
}

/// GetObject on a bucket that does not exist: NoSuchBucket.
pub(crate) async fn no_such_bucket(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Result<(), String> {
    let bucket = ctx.name("missing");
    match ctx.clients.s3.get_object().bucket(&bucket).key("k").send().await {
        Ok(_) => Err(format!("GetObject on the missing bucket {bucket} succeeded")),
        Err(e) if code(&e) == "NoSuchBucket" => {
            details.push(format!("GetObject(missing bucket): {}", describe(&e)));
            Ok(())
        }
        Err(e) => Err(format!(
            "GetObject on a missing bucket answered {} where AWS answers NoSuchBucket",
            describe(&e)
        )),
    }
}
