//! ACL writes: PutBucketAcl, PutObjectAcl, and the ACL headers of
//! CreateBucket, PutObject, CopyObject and CreateMultipartUpload.
//!
//! The emulator keeps no ACLs: every bucket and object reads as its
//! owner's full control (`protocol::access`). So an ACL is accepted when
//! it says just that, and otherwise refused as S3 refuses it:
//!
//! - With ACLs disabled (Object Ownership `BucketOwnerEnforced`, every new
//!   bucket's setting), S3 takes only requests that name no ACL or the
//!   bucket owner's full control: the `bucket-owner-full-control` canned
//!   ACL, `x-amz-grant-full-control` to the owner's canonical id, or an
//!   `AccessControlPolicy` granting only that. Anything else, `private`
//!   included (it is an ACL too), is `400 AccessControlListNotSupported`
//!   ("The bucket does not allow ACLs").
//! - CreateBucket with ACLs disabled takes `private` or the owner's full
//!   control; a grant to anyone else is `400
//!   InvalidBucketAclWithObjectOwnership`. With ACLs enabled
//!   (`x-amz-object-ownership: ObjectWriter` or `BucketOwnerPreferred`) a
//!   public ACL is `400 InvalidBucketAclWithBlockPublicAccessError`, as
//!   Block Public Access is on for every new bucket.
//! - With ACLs enabled, a public ACL (a grant to `AllUsers` or
//!   `AuthenticatedUsers`, or the canned ACLs that make one) is `403
//!   AccessDenied` while the bucket's Block Public Access blocks public
//!   ACLs. Any other grant to someone else answers `501 NotImplemented`:
//!   the emulator would not keep it.

use super::ops::{err, owner};
use super::{Handler, OrS3, ReqInfo, info};
use crate::engine::model::DEFAULT_OBJECT_OWNERSHIP;
use crate::error::S3EngineError;
use http::HeaderMap;
use s3s::dto::{
    AccessControlPolicy, PutBucketAclInput, PutBucketAclOutput, PutObjectAclInput, PutObjectAclOutput,
};
use s3s::{S3Request, S3Response, S3Result};

/// The request headers that grant a permission.
const GRANT_HEADERS: [&str; 5] = [
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
];

/// The groups a grant to makes a resource public.
const PUBLIC_GROUPS: [&str; 2] = [
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

/// What a request's ACL grants, as far as the emulator tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Acl {
    /// The request names no ACL.
    Absent,
    /// Only the owner's full control: by a canned ACL (named) or by
    /// explicit grants (`None`).
    OwnerOnly(Option<String>),
    /// A grant to everyone or to every AWS user.
    Public,
    /// A grant to some other grantee.
    Others,
}

fn canned(name: &str) -> Acl {
    match name {
        "private" | "bucket-owner-full-control" => Acl::OwnerOnly(Some(name.to_owned())),
        "public-read" | "public-read-write" | "authenticated-read" => Acl::Public,
        _ => Acl::Others,
    }
}

/// The grantees of one `x-amz-grant-*` value (`id="…", uri="…"`), as
/// (type, value) pairs.
fn grantees(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .filter_map(|g| g.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_owned(),
            )
        })
        .collect()
}

/// Folds grants (permission, grantee type, grantee value) into an [`Acl`].
fn from_grants<'a>(grants: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Acl {
    let owner_id = owner().id.unwrap_or_default();
    let mut any = false;
    let mut owner_only = true;
    for (permission, kind, value) in grants {
        any = true;
        if kind.eq_ignore_ascii_case("uri") && PUBLIC_GROUPS.contains(&value) {
            return Acl::Public;
        }
        if !(permission == "FULL_CONTROL" && kind.eq_ignore_ascii_case("id") && value == owner_id) {
            owner_only = false;
        }
    }
    match (any, owner_only) {
        (false, _) => Acl::Absent,
        (true, true) => Acl::OwnerOnly(None),
        (true, false) => Acl::Others,
    }
}

/// The ACL a request's headers carry (`x-amz-acl`, `x-amz-grant-*`).
pub(super) fn from_headers(h: &HeaderMap) -> Acl {
    if let Some(c) = h.get("x-amz-acl") {
        return canned(c.to_str().unwrap_or_default().trim());
    }
    let grants: Vec<(&str, String, String)> = GRANT_HEADERS
        .iter()
        .filter_map(|name| Some((*name, h.get(*name)?.to_str().unwrap_or_default())))
        .flat_map(|(name, value)| {
            let permission = match name {
                "x-amz-grant-full-control" => "FULL_CONTROL",
                "x-amz-grant-read" => "READ",
                "x-amz-grant-read-acp" => "READ_ACP",
                "x-amz-grant-write" => "WRITE",
                _ => "WRITE_ACP",
            };
            grantees(value).into_iter().map(move |(k, v)| (permission, k, v))
        })
        .collect();
    from_grants(grants.iter().map(|(p, k, v)| (*p, k.as_str(), v.as_str())))
}

/// The ACL an `AccessControlPolicy` body grants (no grant at all leaves
/// no one, the owner included, any access: not the owner's full control).
pub(super) fn from_policy(p: &AccessControlPolicy) -> Acl {
    let grants: Vec<(String, String, String)> = p
        .grants
        .iter()
        .flatten()
        .map(|g| {
            let permission = g
                .permission
                .as_ref()
                .map(|perm| perm.as_str().to_owned())
                .unwrap_or_default();
            let (kind, value) = match &g.grantee {
                Some(e) if e.uri.is_some() => ("uri", e.uri.clone()),
                Some(e) if e.id.is_some() => ("id", e.id.clone()),
                Some(e) => ("emailaddress", e.email_address.clone()),
                None => ("none", None),
            };
            (permission, kind.to_owned(), value.unwrap_or_default())
        })
        .collect();
    match from_grants(
        grants
            .iter()
            .map(|(p, k, v)| (p.as_str(), k.as_str(), v.as_str())),
    ) {
        Acl::Absent => Acl::Others,
        acl => acl,
    }
}

/// The one ACL a request names: a canned ACL together with grant headers
/// is `InvalidRequest`, headers together with an `AccessControlPolicy`
/// body `UnexpectedContent`, as S3 answers them.
pub(super) fn request_acl(h: &HeaderMap, body: Option<&AccessControlPolicy>) -> Result<Acl, S3EngineError> {
    if h.contains_key("x-amz-acl") && GRANT_HEADERS.iter().any(|g| h.contains_key(*g)) {
        return Err(S3EngineError::InvalidRequest(
            "Specifying both Canned ACLs and Header Grants is not allowed".to_owned(),
        ));
    }
    match (from_headers(h), body) {
        (acl, None) => Ok(acl),
        (Acl::Absent, Some(p)) => Ok(from_policy(p)),
        (_, Some(_)) => Err(S3EngineError::UnexpectedContent),
    }
}

/// The error CreateBucket answers for `acl` with `ownership`, if any.
pub(super) fn create_bucket_refusal(acl: &Acl, ownership: Option<&str>) -> Option<S3EngineError> {
    let enforced = ownership.is_none_or(|o| o == DEFAULT_OBJECT_OWNERSHIP);
    match acl {
        Acl::Absent | Acl::OwnerOnly(_) => None,
        _ if enforced => Some(S3EngineError::InvalidBucketAclWithObjectOwnership),
        Acl::Public => Some(S3EngineError::InvalidBucketAclWithBlockPublicAccess),
        Acl::Others => Some(unsupported()),
    }
}

fn unsupported() -> S3EngineError {
    S3EngineError::Unsupported(
        "ACLs granting access to others are not supported by firedrill's S3 emulator (it keeps no ACLs)"
            .to_owned(),
    )
}

impl Handler {
    /// Checks the ACL of a write to an existing bucket (PutBucketAcl,
    /// PutObjectAcl, PutObject, CopyObject, CreateMultipartUpload) against
    /// the bucket's Object Ownership and Block Public Access.
    pub(super) fn check_acl(&self, bucket: &str, i: &ReqInfo, acl: &Acl) -> S3Result<()> {
        let region = Some(i.region.as_str());
        let ownership = match self.engine.object_ownership(bucket, region) {
            Ok(o) => Some(o),
            Err(S3EngineError::OwnershipControlsNotFound(_)) => None,
            Err(e) => return Err(err(e, i)),
        };
        let enforced = ownership.as_deref() == Some(DEFAULT_OBJECT_OWNERSHIP);
        let refusal = match acl {
            Acl::Absent => None,
            Acl::OwnerOnly(named)
                if !enforced || named.as_deref().is_none_or(|n| n == "bucket-owner-full-control") =>
            {
                None
            }
            _ if enforced => Some(S3EngineError::AccessControlListNotSupported(
                "The bucket does not allow ACLs".to_owned(),
            )),
            Acl::Public => {
                let blocks = self
                    .engine
                    .public_access_block(bucket, region)
                    .map(|b| b.block_public_acls)
                    .or_else(|e| match e {
                        S3EngineError::NoSuchPublicAccessBlockConfiguration(_) => Ok(false),
                        e => Err(e),
                    })
                    .or_s3(i)?;
                Some(if blocks {
                    S3EngineError::AccessDenied("Access Denied".to_owned())
                } else {
                    unsupported()
                })
            }
            _ => Some(unsupported()),
        };
        refusal.map_or(Ok(()), |e| Err(err(e, i)))
    }
}

impl Handler {
    /// PutBucketAcl: accepted when it asks for what the bucket already
    /// has (see the module documentation); nothing is stored.
    pub(super) fn put_bucket_acl_checked(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        let i = info(&req);
        let acl = request_acl(&req.headers, req.input.access_control_policy.as_ref()).or_s3(&i)?;
        self.check_acl(&req.input.bucket, &i, &acl)?;
        Ok(S3Response::new(PutBucketAclOutput::default()))
    }

    /// PutObjectAcl: as PutBucketAcl, for a version that exists
    /// (`NoSuchKey`, `NoSuchVersion` as GetObjectAcl answers them).
    pub(super) fn put_object_acl_checked(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        let i = info(&req);
        let acl = request_acl(&req.headers, req.input.access_control_policy.as_ref()).or_s3(&i)?;
        let input = req.input;
        self.check_acl(&input.bucket, &i, &acl)?;
        self.engine
            .get_object(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
            )
            .or_s3(&i)?;
        Ok(S3Response::new(PutObjectAclOutput::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn headers_are_told_apart() {
        let id = owner().id.unwrap();
        assert_eq!(from_headers(&headers(&[])), Acl::Absent);
        assert_eq!(
            from_headers(&headers(&[("x-amz-acl", "bucket-owner-full-control")])),
            Acl::OwnerOnly(Some("bucket-owner-full-control".to_owned()))
        );
        assert_eq!(
            from_headers(&headers(&[("x-amz-acl", "public-read")])),
            Acl::Public
        );
        assert_eq!(
            from_headers(&headers(&[("x-amz-acl", "log-delivery-write")])),
            Acl::Others
        );
        assert_eq!(
            from_headers(&headers(&[("x-amz-grant-full-control", &format!("id=\"{id}\""))])),
            Acl::OwnerOnly(None)
        );
        assert_eq!(
            from_headers(&headers(&[("x-amz-grant-read", &format!("id=\"{id}\""))])),
            Acl::Others
        );
        assert_eq!(
            from_headers(&headers(&[(
                "x-amz-grant-read",
                "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""
            )])),
            Acl::Public
        );
    }

    #[test]
    fn create_bucket_refuses_as_s3_does() {
        assert_eq!(
            create_bucket_refusal(&Acl::OwnerOnly(Some("private".into())), None),
            None
        );
        assert_eq!(
            create_bucket_refusal(&Acl::Public, None),
            Some(S3EngineError::InvalidBucketAclWithObjectOwnership)
        );
        assert_eq!(
            create_bucket_refusal(&Acl::Public, Some("ObjectWriter")),
            Some(S3EngineError::InvalidBucketAclWithBlockPublicAccess)
        );
    }
}
