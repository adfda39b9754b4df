//! ACLs: PutBucketAcl, PutObjectAcl, GetBucketAcl, GetObjectAcl, and the
//! ACL headers of CreateBucket, PutObject, CopyObject and
//! CreateMultipartUpload.
//!
//! An ACL is read from the request first and refused as S3 refuses it,
//! whatever the bucket's settings: an unknown canned ACL or grant header
//! key, a canonical id that is not 64 hex digits or a group S3 does not
//! define (`InvalidArgument`, naming the argument), a grant to an email
//! address (`UnresolvableGrantByEmailAddress`: the emulator's accounts have
//! none), an `AccessControlPolicy` without its owner or with a permission
//! or grantee type outside the model's enums (`MalformedACLError`), a canned
//! ACL with grant headers (`InvalidRequest`), headers with a body
//! (`UnexpectedContent`), and PutBucketAcl naming nothing
//! (`MissingSecurityHeader`). Then against the bucket:
//!
//! - With ACLs disabled (Object Ownership `BucketOwnerEnforced`, every new
//!   bucket's setting), S3 takes only requests that name no ACL or the
//!   bucket owner's full control: the `bucket-owner-full-control` canned
//!   ACL, `x-amz-grant-full-control` to the owner's canonical id, or an
//!   `AccessControlPolicy` granting only that. Anything else, `private`
//!   included (it is an ACL too), is `400 AccessControlListNotSupported`
//!   ("The bucket does not allow ACLs"); GetBucketAcl and GetObjectAcl
//!   answer the owner's full control whatever was stored before.
//! - CreateBucket with ACLs disabled takes `private` or the owner's full
//!   control; a grant to anyone else is `400
//!   InvalidBucketAclWithObjectOwnership`. With ACLs enabled
//!   (`x-amz-object-ownership: ObjectWriter` or `BucketOwnerPreferred`) a
//!   public ACL is `400 InvalidBucketAclWithBlockPublicAccessError`, as
//!   Block Public Access is on for every new bucket.
//! - With ACLs enabled, a public ACL (a grant to `AllUsers` or
//!   `AuthenticatedUsers`, or the canned ACLs that make one) is `403
//!   AccessDenied` while the bucket's Block Public Access blocks public
//!   ACLs. Every other ACL is stored: on the bucket, or on the version
//!   written (PutObject, CopyObject, which does not copy the source's ACL,
//!   and the object a multipart upload completes into) or named
//!   (PutObjectAcl), and read back by Get*Acl in S3's order. A canned ACL
//!   is stored as the grants S3 expands it to (the owner's full control,
//!   then `AllUsers` READ (and WRITE), `AuthenticatedUsers` READ, or
//!   `LogDelivery` READ_ACP and WRITE); `aws-exec-read` lists the owner's
//!   grant only (the EC2 grantee's canonical id is not published), and
//!   `bucket-owner-read` / `bucket-owner-full-control` add nothing, as the
//!   bucket owner is the object owner in every bucket the emulator holds.
//! - PutBucketOwnershipControls to `BucketOwnerEnforced` is refused (`400
//!   InvalidBucketAclWithObjectOwnership`) while the bucket ACL grants
//!   anyone but the owner, as S3 asks for the grants to move to a policy
//!   first.
//!
//! ACLs are stored, not evaluated: no request is allowed or refused by
//! them. A grant to a well-formed canonical id is kept whoever it names.

use super::ops::{err, owner};
use super::{Handler, OrS3, ReqInfo, info};
use crate::engine::model::{
    ACL_GROUPS, ACL_PERMISSIONS, AclGrant, DEFAULT_OBJECT_OWNERSHIP, Grantee, StoredAcl,
};
use crate::error::S3EngineError;
use http::HeaderMap;
use s3s::dto::{
    AccessControlPolicy, Grant, Grants, PutBucketAclInput, PutBucketAclOutput, PutObjectAclInput,
    PutObjectAclOutput, Type,
};
use s3s::{S3Request, S3Response, S3Result};
use std::sync::Arc;

/// The request headers that grant a permission, with the permission each grants.
const GRANT_HEADERS: [(&str, &str); 5] = [
    ("x-amz-grant-full-control", "FULL_CONTROL"),
    ("x-amz-grant-read", "READ"),
    ("x-amz-grant-read-acp", "READ_ACP"),
    ("x-amz-grant-write", "WRITE"),
    ("x-amz-grant-write-acp", "WRITE_ACP"),
];

/// The groups a grant to makes a resource public.
const PUBLIC_GROUPS: [&str; 2] = [ACL_GROUPS[0], ACL_GROUPS[1]];

/// The canned ACLs of the model's `BucketCannedACL` and `ObjectCannedACL`.
const CANNED: [&str; 8] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// What a request's ACL grants, as far as the checks tell them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Acl {
    /// The request names no ACL.
    Absent,
    /// Only the owner's full control: by a canned ACL (named) or by
    /// explicit grants (`None`).
    OwnerOnly(Option<String>),
    /// A grant to everyone or to every AWS user.
    Public,
    /// A grant to some other grantee, or no grant at all.
    Others,
}

/// The ACL a request names, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RequestAcl {
    /// The canned ACL named, if one was.
    canned: Option<String>,
    /// The grants, `None` when the request names no ACL.
    grants: Option<Vec<AclGrant>>,
}

impl RequestAcl {
    /// A request that names no ACL.
    pub(super) const ABSENT: RequestAcl = RequestAcl {
        canned: None,
        grants: None,
    };

    /// What it grants, for the checks against the bucket.
    pub(super) fn kind(&self) -> Acl {
        let Some(grants) = &self.grants else {
            return Acl::Absent;
        };
        let owner_id = owner_id();
        if grants
            .iter()
            .any(|g| matches!(&g.grantee, Grantee::Group(u) if PUBLIC_GROUPS.contains(&u.as_str())))
        {
            return Acl::Public;
        }
        let owner_only = !grants.is_empty()
            && grants.iter().all(|g| {
                g.permission == "FULL_CONTROL" && g.grantee == Grantee::CanonicalUser(owner_id.clone())
            });
        if owner_only {
            Acl::OwnerOnly(self.canned.clone())
        } else {
            Acl::Others
        }
    }

    /// What to store: nothing when the request names no ACL.
    pub(super) fn stored(&self) -> StoredAcl {
        self.grants.as_ref().map(|g| Arc::from(g.as_slice()))
    }
}

fn owner_id() -> String {
    owner().id.unwrap_or_default()
}

fn owner_grant() -> AclGrant {
    AclGrant {
        grantee: Grantee::CanonicalUser(owner_id()),
        permission: "FULL_CONTROL",
    }
}

fn group(uri: &str, permission: &'static str) -> AclGrant {
    AclGrant {
        grantee: Grantee::Group(uri.to_owned()),
        permission,
    }
}

/// The grants S3 expands a canned ACL to (`InvalidArgument` naming
/// `x-amz-acl` for one it does not define).
fn canned_grants(name: &str) -> Result<Vec<AclGrant>, S3EngineError> {
    let [all_users, authenticated, log_delivery] = ACL_GROUPS;
    let mut grants = vec![owner_grant()];
    match name {
        "private" | "aws-exec-read" | "bucket-owner-read" | "bucket-owner-full-control" => {}
        "public-read" => grants.push(group(all_users, "READ")),
        "public-read-write" => {
            grants.push(group(all_users, "READ"));
            grants.push(group(all_users, "WRITE"));
        }
        "authenticated-read" => grants.push(group(authenticated, "READ")),
        "log-delivery-write" => {
            grants.push(group(log_delivery, "READ_ACP"));
            grants.push(group(log_delivery, "WRITE"));
        }
        _ => {
            return Err(S3EngineError::InvalidArgumentNamed {
                message: String::new(),
                name: "x-amz-acl".to_owned(),
                value: name.to_owned(),
            });
        }
    }
    debug_assert!(CANNED.contains(&name));
    Ok(grants)
}

/// Whether `id` has the form of a canonical user id: 64 hex digits.
fn is_canonical_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn invalid_id(name: &str, id: &str) -> S3EngineError {
    S3EngineError::InvalidArgumentNamed {
        message: "Invalid id".to_owned(),
        name: name.to_owned(),
        value: id.to_owned(),
    }
}

fn invalid_group(name: &str, uri: &str) -> S3EngineError {
    S3EngineError::InvalidArgumentNamed {
        message: "Invalid group uri".to_owned(),
        name: name.to_owned(),
        value: uri.to_owned(),
    }
}

/// The grants of one `x-amz-grant-*` header: `id="…"`, `uri="…"` or
/// `emailAddress="…"`, comma separated.
fn header_grants(
    header: &str,
    value: &str,
    permission: &'static str,
) -> Result<Vec<AclGrant>, S3EngineError> {
    let unrecognised = || S3EngineError::InvalidArgumentNamed {
        message: "Argument format not recognized".to_owned(),
        name: header.to_owned(),
        value: value.to_owned(),
    };
    value
        .split(',')
        .map(|g| {
            let (k, v) = g.split_once('=').ok_or_else(unrecognised)?;
            let v = v.trim().trim_matches('"');
            let grantee = match k.trim().to_ascii_lowercase().as_str() {
                "id" if is_canonical_id(v) => Grantee::CanonicalUser(v.to_ascii_lowercase()),
                "id" => return Err(invalid_id("id", v)),
                "uri" if ACL_GROUPS.contains(&v) => Grantee::Group(v.to_owned()),
                "uri" => return Err(invalid_group("uri", v)),
                "emailaddress" => return Err(S3EngineError::UnresolvableGrantByEmailAddress(v.to_owned())),
                _ => return Err(unrecognised()),
            };
            Ok(AclGrant { grantee, permission })
        })
        .collect()
}

/// The ACL a request's headers carry (`x-amz-acl`, `x-amz-grant-*`), in
/// the order S3 lists them.
pub(super) fn from_headers(h: &HeaderMap) -> Result<RequestAcl, S3EngineError> {
    let named: Vec<(&str, &'static str, &str)> = GRANT_HEADERS
        .iter()
        .filter_map(|(name, permission)| {
            Some((*name, *permission, h.get(*name)?.to_str().unwrap_or_default()))
        })
        .collect();
    if let Some(c) = h.get("x-amz-acl") {
        if !named.is_empty() {
            return Err(S3EngineError::InvalidRequest(
                "Specifying both Canned ACLs and Header Grants is not allowed".to_owned(),
            ));
        }
        let name = c.to_str().unwrap_or_default().trim();
        return Ok(RequestAcl {
            canned: Some(name.to_owned()),
            grants: Some(canned_grants(name)?),
        });
    }
    if named.is_empty() {
        return Ok(RequestAcl::ABSENT);
    }
    let mut grants = Vec::new();
    for (name, permission, value) in named {
        grants.extend(header_grants(name, value, permission)?);
    }
    Ok(RequestAcl {
        canned: None,
        grants: Some(grants),
    })
}

/// The ACL an `AccessControlPolicy` body grants.
pub(super) fn from_policy(p: &AccessControlPolicy) -> Result<RequestAcl, S3EngineError> {
    let owner = p.owner.as_ref().ok_or(S3EngineError::MalformedAcl)?;
    let owner_id = owner.id.as_deref().ok_or(S3EngineError::MalformedAcl)?;
    if !is_canonical_id(owner_id) {
        return Err(invalid_id("CanonicalUser/ID", owner_id));
    }
    let grants = p
        .grants
        .iter()
        .flatten()
        .map(|g| {
            let permission = g
                .permission
                .as_ref()
                .and_then(|perm| ACL_PERMISSIONS.iter().find(|p| **p == perm.as_str()))
                .ok_or(S3EngineError::MalformedAcl)?;
            let e = g.grantee.as_ref().ok_or(S3EngineError::MalformedAcl)?;
            let grantee = match e.type_.as_str() {
                Type::CANONICAL_USER => {
                    let id = e.id.as_deref().ok_or(S3EngineError::MalformedAcl)?;
                    if !is_canonical_id(id) {
                        return Err(invalid_id("CanonicalUser/ID", id));
                    }
                    Grantee::CanonicalUser(id.to_ascii_lowercase())
                }
                Type::GROUP => {
                    let uri = e.uri.as_deref().ok_or(S3EngineError::MalformedAcl)?;
                    if !ACL_GROUPS.contains(&uri) {
                        return Err(invalid_group("Group/URI", uri));
                    }
                    Grantee::Group(uri.to_owned())
                }
                Type::AMAZON_CUSTOMER_BY_EMAIL => {
                    return Err(S3EngineError::UnresolvableGrantByEmailAddress(
                        e.email_address.clone().unwrap_or_default(),
                    ));
                }
                _ => return Err(S3EngineError::MalformedAcl),
            };
            Ok(AclGrant { grantee, permission })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RequestAcl {
        canned: None,
        grants: Some(grants),
    })
}

/// The one ACL a request names, read and checked: headers together with
/// an `AccessControlPolicy` body are `UnexpectedContent`, as S3 answers.
pub(super) fn request_acl(
    h: &HeaderMap,
    body: Option<&AccessControlPolicy>,
) -> Result<RequestAcl, S3EngineError> {
    let headers = from_headers(h)?;
    match (headers.grants.is_some(), body) {
        (_, None) => Ok(headers),
        (false, Some(p)) => from_policy(p),
        (true, Some(_)) => Err(S3EngineError::UnexpectedContent),
    }
}

/// A stored ACL as Get*Acl answers it: the owner's full control until one
/// is set.
pub(super) fn grants_of(acl: &StoredAcl) -> Grants {
    let owner_only = [owner_grant()];
    let grants: &[AclGrant] = acl.as_deref().unwrap_or(&owner_only);
    grants
        .iter()
        .map(|g| {
            let (type_, id, uri) = match &g.grantee {
                Grantee::CanonicalUser(id) => (Type::CANONICAL_USER, Some(id.clone()), None),
                Grantee::Group(uri) => (Type::GROUP, None, Some(uri.clone())),
            };
            Grant {
                grantee: Some(s3s::dto::Grantee {
                    display_name: None,
                    email_address: None,
                    id,
                    type_: Type::from_static(type_),
                    uri,
                }),
                permission: Some(s3s::dto::Permission::from_static(g.permission)),
            }
        })
        .collect()
}

/// The error CreateBucket answers for `acl` with `ownership`, if any.
pub(super) fn create_bucket_refusal(acl: &Acl, ownership: Option<&str>) -> Option<S3EngineError> {
    let enforced = ownership.is_none_or(|o| o == DEFAULT_OBJECT_OWNERSHIP);
    match acl {
        Acl::Absent | Acl::OwnerOnly(_) => None,
        _ if enforced => Some(S3EngineError::InvalidBucketAclWithObjectOwnership),
        Acl::Public => Some(S3EngineError::InvalidBucketAclWithBlockPublicAccess),
        Acl::Others => None,
    }
}

impl Handler {
    /// Checks the ACL of a write to an existing bucket (PutBucketAcl,
    /// PutObjectAcl, PutObject, CopyObject, CreateMultipartUpload) against
    /// the bucket's Object Ownership and Block Public Access; answers what
    /// to store (nothing with ACLs disabled, where only the owner's full
    /// control is taken).
    pub(super) fn check_acl(&self, bucket: &str, i: &ReqInfo, acl: &RequestAcl) -> S3Result<StoredAcl> {
        let region = Some(i.region.as_str());
        let ownership = match self.engine.object_ownership(bucket, region) {
            Ok(o) => Some(o),
            Err(S3EngineError::OwnershipControlsNotFound(_)) => None,
            Err(e) => return Err(err(e, i)),
        };
        let enforced = ownership.as_deref() == Some(DEFAULT_OBJECT_OWNERSHIP);
        let refusal = match acl.kind() {
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
                blocks.then(|| S3EngineError::AccessDenied("Access Denied".to_owned()))
            }
            Acl::OwnerOnly(_) | Acl::Others => None,
        };
        match refusal {
            Some(e) => Err(err(e, i)),
            None if enforced => Ok(None),
            None => Ok(acl.stored()),
        }
    }
}

impl Handler {
    /// PutBucketAcl: checked (see the module documentation), then stored.
    pub(super) fn put_bucket_acl_checked(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        let i = info(&req);
        let acl = request_acl(&req.headers, req.input.access_control_policy.as_ref()).or_s3(&i)?;
        if acl.grants.is_none() {
            return Err(err(
                S3EngineError::MissingSecurityHeader("x-amz-acl".to_owned()),
                &i,
            ));
        }
        let stored = self.check_acl(&req.input.bucket, &i, &acl)?;
        if stored.is_some() {
            self.engine
                .put_bucket_acl(&req.input.bucket, Some(&i.region), stored)
                .or_s3(&i)?;
        }
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
        if acl.grants.is_none() {
            return Err(err(
                S3EngineError::MissingSecurityHeader("x-amz-acl".to_owned()),
                &i,
            ));
        }
        let input = req.input;
        let stored = self.check_acl(&input.bucket, &i, &acl)?;
        self.engine
            .put_object_acl(
                &input.bucket,
                Some(&i.region),
                &input.key,
                input.version_id.as_deref(),
                stored,
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

    fn kind(pairs: &[(&'static str, &str)]) -> Acl {
        from_headers(&headers(pairs)).unwrap().kind()
    }

    #[test]
    fn headers_are_told_apart() {
        let id = owner().id.unwrap();
        assert_eq!(kind(&[]), Acl::Absent);
        assert_eq!(
            kind(&[("x-amz-acl", "bucket-owner-full-control")]),
            Acl::OwnerOnly(Some("bucket-owner-full-control".to_owned()))
        );
        assert_eq!(kind(&[("x-amz-acl", "public-read")]), Acl::Public);
        assert_eq!(kind(&[("x-amz-acl", "log-delivery-write")]), Acl::Others);
        assert_eq!(
            kind(&[("x-amz-grant-full-control", &format!("id=\"{id}\""))]),
            Acl::OwnerOnly(None)
        );
        assert_eq!(
            kind(&[("x-amz-grant-read", &format!("id=\"{id}\""))]),
            Acl::Others
        );
        assert_eq!(
            kind(&[(
                "x-amz-grant-read",
                "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""
            )]),
            Acl::Public
        );
    }

    #[test]
    fn bad_grants_are_refused_naming_the_argument() {
        let refused = |pairs: &[(&'static str, &str)]| from_headers(&headers(pairs)).unwrap_err();
        assert!(matches!(
            refused(&[("x-amz-acl", "fake-acl")]),
            S3EngineError::InvalidArgumentNamed { name, value, .. } if name == "x-amz-acl" && value == "fake-acl"
        ));
        assert!(matches!(
            refused(&[("x-amz-grant-write", "fakekey=\"1234\"")]),
            S3EngineError::InvalidArgumentNamed { message, name, .. }
                if message == "Argument format not recognized" && name == "x-amz-grant-write"
        ));
        assert!(matches!(
            refused(&[("x-amz-grant-write", "id=\"wrong-id\"")]),
            S3EngineError::InvalidArgumentNamed { message, name, value }
                if message == "Invalid id" && name == "id" && value == "wrong-id"
        ));
        assert!(matches!(
            refused(&[("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/s3/FakeGroup\"")]),
            S3EngineError::InvalidArgumentNamed { message, name, .. } if message == "Invalid group uri" && name == "uri"
        ));
        assert_eq!(
            refused(&[("x-amz-grant-read", "emailAddress=\"a@example.com\"")]),
            S3EngineError::UnresolvableGrantByEmailAddress("a@example.com".to_owned())
        );
        assert!(matches!(
            refused(&[("x-amz-acl", "private"), ("x-amz-grant-read", "uri=\"x\"")]),
            S3EngineError::InvalidRequest(_)
        ));
    }

    #[test]
    fn canned_acls_expand_as_s3_lists_them() {
        let grants = |name: &str| {
            from_headers(&headers(&[("x-amz-acl", name)]))
                .unwrap()
                .grants
                .unwrap()
        };
        assert_eq!(grants("private"), vec![owner_grant()]);
        assert_eq!(
            grants("public-read-write"),
            vec![
                owner_grant(),
                group(ACL_GROUPS[0], "READ"),
                group(ACL_GROUPS[0], "WRITE")
            ]
        );
        assert_eq!(
            grants("log-delivery-write"),
            vec![
                owner_grant(),
                group(ACL_GROUPS[2], "READ_ACP"),
                group(ACL_GROUPS[2], "WRITE")
            ]
        );
        for name in CANNED {
            assert_eq!(grants(name)[0], owner_grant(), "{name}");
        }
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
        assert_eq!(create_bucket_refusal(&Acl::Others, Some("ObjectWriter")), None);
    }
}
