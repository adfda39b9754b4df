//! S3's one bucket namespace across the emulator's accounts.
//!
//! Each account has its own S3 engine, but on AWS a bucket name is global:
//! creating a bucket another account owns answers 409
//! `BucketAlreadyExists`, and any other request naming it (as the bucket,
//! or as a `CopyObject` / `UploadPartCopy` source) answers 403
//! `AccessDenied` rather than `NoSuchBucket`. [`AccountS3`] wraps one
//! account's S3 service and asks the other accounts' engines, through the
//! shared [`BucketNamespace`], before the request reaches its own. No
//! bucket policy is evaluated: another account's bucket is always refused.
//! Creations are serialised across accounts, so two accounts cannot both
//! create one name.

use chrono::{DateTime, Utc};
use firedrill_emu_core::error::{s3_xml, s3_xml_with};
use firedrill_emu_core::service::BoxFuture;
use firedrill_emu_core::{AwsService, Body, RequestContext};
use firedrill_emu_s3::S3;
use firedrill_emu_s3::host::{DEFAULT_BASE_DOMAINS, VirtualHosts};
use http::{Method, StatusCode};
use parking_lot::RwLock;
use percent_encoding::percent_decode_str;
use std::sync::Arc;

/// Every account's S3 engine, for the name checks.
#[derive(Default)]
pub(crate) struct BucketNamespace {
    engines: RwLock<Vec<(String, Arc<S3>)>>,
    creating: tokio::sync::Mutex<()>,
}

impl BucketNamespace {
    /// Adds `account`'s engine.
    pub(crate) fn register(&self, account: &str, s3: Arc<S3>) {
        self.engines.write().push((account.to_owned(), s3));
    }

    /// The account other than `me` that owns `bucket`, if any.
    fn owner_besides(&self, me: &str, bucket: &str) -> Option<String> {
        self.engines
            .read()
            .iter()
            .find(|(account, s3)| account != me && s3.bucket_region(bucket).is_some())
            .map(|(account, _)| account.clone())
    }
}

/// One account's S3 service inside the shared namespace.
pub(crate) struct AccountS3 {
    account: String,
    inner: Arc<S3>,
    namespace: Arc<BucketNamespace>,
    hosts: VirtualHosts,
}

impl AccountS3 {
    /// `inner`, the S3 service of `account`, checked against `namespace`.
    pub(crate) fn new(account: &str, inner: Arc<S3>, namespace: Arc<BucketNamespace>) -> Arc<Self> {
        Arc::new(Self {
            account: account.to_owned(),
            inner,
            namespace,
            hosts: VirtualHosts::new(DEFAULT_BASE_DOMAINS),
        })
    }

    async fn serve(&self, ctx: RequestContext, req: http::Request<Body>) -> http::Response<Body> {
        let target = Target::of(&req, &self.hosts);
        // A creation holds the namespace from the check to the engine's
        // answer, so that no other account creates the name in between.
        let _creating = match target.create_bucket {
            true => Some(self.namespace.creating.lock().await),
            false => None,
        };
        let foreign = |bucket: &str| self.namespace.owner_besides(&self.account, bucket);
        if let Some(bucket) = &target.bucket
            && let Some(owner) = foreign(bucket)
        {
            tracing::debug!(bucket, owner, caller = %ctx.caller.arn, "request to another account's bucket");
            if target.create_bucket {
                return s3_xml_with(
                    StatusCode::CONFLICT,
                    "BucketAlreadyExists",
                    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                    &[("BucketName", bucket)],
                    &ctx.request_id,
                );
            }
            return access_denied(&ctx.request_id);
        }
        if let Some(source) = target.copy_source.as_deref().filter(|b| foreign(b).is_some()) {
            tracing::debug!(source, caller = %ctx.caller.arn, "copy from another account's bucket");
            return access_denied(&ctx.request_id);
        }
        self.inner.handle(ctx, req).await
    }
}

fn access_denied(request_id: &str) -> http::Response<Body> {
    s3_xml(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied", request_id)
}

/// What a request names, for the namespace checks.
#[derive(Debug, Default, PartialEq, Eq)]
struct Target {
    bucket: Option<String>,
    copy_source: Option<String>,
    create_bucket: bool,
}

impl Target {
    fn of(req: &http::Request<Body>, hosts: &VirtualHosts) -> Self {
        let host = req
            .headers()
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()));
        let path = req.uri().path();
        let (bucket, key) = match host.and_then(|h| hosts.bucket_of(h)) {
            Some(bucket) => (Some(bucket), path.trim_start_matches('/')),
            None => {
                let rest = path.trim_start_matches('/');
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                let bucket = percent_decode_str(bucket).decode_utf8_lossy().into_owned();
                ((!bucket.is_empty()).then_some(bucket), key)
            }
        };
        // CreateBucket is a PUT on the bucket itself with no subresource
        // (presigned URLs carry only X-Amz-* parameters).
        let create_bucket = bucket.is_some()
            && req.method() == Method::PUT
            && key.is_empty()
            && req
                .uri()
                .query()
                .unwrap_or_default()
                .split('&')
                .filter(|p| !p.is_empty())
                .all(|p| p.starts_with("X-Amz-") || p.starts_with("x-id="));
        let copy_source = req
            .headers()
            .get("x-amz-copy-source")
            .and_then(|v| v.to_str().ok())
            .map(|v| percent_decode_str(v).decode_utf8_lossy().into_owned())
            .and_then(|v| {
                let v = v.trim_start_matches('/');
                v.split('/').next().filter(|b| !b.is_empty()).map(str::to_owned)
            });
        Self {
            bucket,
            copy_source,
            create_bucket,
        }
    }
}

impl AwsService for AccountS3 {
    fn signing_names(&self) -> &'static [&'static str] {
        self.inner.signing_names()
    }

    fn handle(&self, ctx: RequestContext, req: http::Request<Body>) -> BoxFuture<'_, http::Response<Body>> {
        Box::pin(self.serve(ctx, req))
    }

    fn tick(&self, now: DateTime<Utc>) -> BoxFuture<'_, ()> {
        self.inner.tick(now)
    }

    fn reset(&self) -> BoxFuture<'_, ()> {
        self.inner.reset()
    }

    fn set_region_available(&self, region: &str, available: bool) -> BoxFuture<'_, ()> {
        self.inner.set_region_available(region, available)
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        self.inner.shutdown()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(method: &str, host: &str, uri: &str, copy: Option<&str>) -> Target {
        let mut req = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", host);
        if let Some(c) = copy {
            req = req.header("x-amz-copy-source", c);
        }
        Target::of(
            &req.body(Body::empty()).unwrap(),
            &VirtualHosts::new(DEFAULT_BASE_DOMAINS),
        )
    }

    #[test]
    fn requests_name_their_bucket_in_either_style() {
        let t = target("PUT", "127.0.0.1:4566", "/orders", None);
        assert_eq!(t.bucket.as_deref(), Some("orders"));
        assert!(t.create_bucket);
        assert!(target("PUT", "orders.localhost:4566", "/", None).create_bucket);
        assert!(!target("PUT", "127.0.0.1", "/orders?versioning", None).create_bucket);
        assert!(!target("PUT", "127.0.0.1", "/orders/key", None).create_bucket);
        assert_eq!(target("GET", "127.0.0.1", "/", None).bucket, None);
        let copy = target(
            "PUT",
            "127.0.0.1",
            "/mine/k",
            Some("/theirs/some%20key?versionId=1"),
        );
        assert_eq!(copy.copy_source.as_deref(), Some("theirs"));
        assert_eq!(copy.bucket.as_deref(), Some("mine"));
    }
}
