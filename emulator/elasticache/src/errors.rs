//! ElastiCache's errors: one enum with AWS's error codes and HTTP statuses
//! (from the botocore model's `error` traits), turned into the Query
//! protocol's XML error shape in one place ([`ElastiCacheError::into_response`]).

use firedrill_emu_core::Body;
use http::StatusCode;

/// An ElastiCache error as AWS reports it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ElastiCacheError {
    /// `InvalidParameterValue`.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `InvalidParameterCombination`.
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// `MissingParameter`: a required member is absent.
    #[error("{0}")]
    MissingParameter(String),
    /// `InvalidAction`: not an action ElastiCache has or firedrill serves.
    #[error("{0}")]
    InvalidAction(String),
    /// `CacheClusterNotFound`.
    #[error("{0}")]
    CacheClusterNotFound(String),
    /// `CacheClusterAlreadyExists`.
    #[error("{0}")]
    CacheClusterAlreadyExists(String),
    /// `InvalidCacheClusterState`.
    #[error("{0}")]
    InvalidCacheClusterState(String),
    /// `ReplicationGroupNotFoundFault`.
    #[error("{0}")]
    ReplicationGroupNotFound(String),
    /// `ReplicationGroupAlreadyExists`.
    #[error("{0}")]
    ReplicationGroupAlreadyExists(String),
    /// `InvalidReplicationGroupState`.
    #[error("{0}")]
    InvalidReplicationGroupState(String),
    /// `SnapshotNotFoundFault`.
    #[error("{0}")]
    SnapshotNotFound(String),
    /// `SnapshotAlreadyExistsFault`.
    #[error("{0}")]
    SnapshotAlreadyExists(String),
    /// `InvalidSnapshotState`.
    #[error("{0}")]
    InvalidSnapshotState(String),
    /// `InvalidARN`.
    #[error("{0}")]
    InvalidArn(String),
    /// `TagNotFound`.
    #[error("{0}")]
    TagNotFound(String),
    /// `TagQuotaPerResourceExceeded`.
    #[error("{0}")]
    TagQuotaPerResourceExceeded(String),
    /// `InsufficientCacheClusterCapacity`: also the answer when the machine
    /// has no `redis-server` to run a node on.
    #[error("{0}")]
    InsufficientCacheClusterCapacity(String),
    /// An unexpected failure inside the emulator.
    #[error("{0}")]
    InternalFailure(String),
}

impl ElastiCacheError {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::InvalidParameterCombination(_) => "InvalidParameterCombination",
            Self::MissingParameter(_) => "MissingParameter",
            Self::InvalidAction(_) => "InvalidAction",
            Self::CacheClusterNotFound(_) => "CacheClusterNotFound",
            Self::CacheClusterAlreadyExists(_) => "CacheClusterAlreadyExists",
            Self::InvalidCacheClusterState(_) => "InvalidCacheClusterState",
            Self::ReplicationGroupNotFound(_) => "ReplicationGroupNotFoundFault",
            Self::ReplicationGroupAlreadyExists(_) => "ReplicationGroupAlreadyExists",
            Self::InvalidReplicationGroupState(_) => "InvalidReplicationGroupState",
            Self::SnapshotNotFound(_) => "SnapshotNotFoundFault",
            Self::SnapshotAlreadyExists(_) => "SnapshotAlreadyExistsFault",
            Self::InvalidSnapshotState(_) => "InvalidSnapshotState",
            Self::InvalidArn(_) => "InvalidARN",
            Self::TagNotFound(_) => "TagNotFound",
            Self::TagQuotaPerResourceExceeded(_) => "TagQuotaPerResourceExceeded",
            Self::InsufficientCacheClusterCapacity(_) => "InsufficientCacheClusterCapacity",
            Self::InternalFailure(_) => "InternalFailure",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::CacheClusterNotFound(_)
            | Self::ReplicationGroupNotFound(_)
            | Self::SnapshotNotFound(_)
            | Self::TagNotFound(_) => StatusCode::NOT_FOUND,
            Self::InternalFailure(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The Query-protocol XML error response (the core escapes every
    /// echoed value).
    pub fn into_response(&self, request_id: &str) -> http::Response<Body> {
        firedrill_emu_core::error::query_xml(
            firedrill_emu_core::protocol::QueryApi::ElastiCache.xmlns(),
            self.status(),
            self.code(),
            &self.to_string(),
            request_id,
        )
    }

    /// `CacheClusterNotFound` for `id`.
    pub fn cluster_not_found(id: &str) -> Self {
        Self::CacheClusterNotFound(format!("CacheCluster not found: {id}"))
    }

    /// `ReplicationGroupNotFoundFault` for `id`.
    pub fn group_not_found(id: &str) -> Self {
        Self::ReplicationGroupNotFound(format!("ReplicationGroup not found: {id}"))
    }

    /// `SnapshotNotFoundFault` for `name`.
    pub fn snapshot_not_found(name: &str) -> Self {
        Self::SnapshotNotFound(format!("Snapshot {name} not found."))
    }

    /// `SnapshotAlreadyExistsFault` for `name`.
    pub fn snapshot_exists(name: &str) -> Self {
        Self::SnapshotAlreadyExists(format!("Snapshot {name} already exists."))
    }
}

impl From<crate::node::NodeError> for ElastiCacheError {
    fn from(e: crate::node::NodeError) -> Self {
        match e {
            crate::node::NodeError::NoBinary(m) => Self::InsufficientCacheClusterCapacity(m),
            other => Self::InternalFailure(other.to_string()),
        }
    }
}

impl From<firedrill_emu_core::query::ParamError> for ElastiCacheError {
    fn from(e: firedrill_emu_core::query::ParamError) -> Self {
        match e {
            firedrill_emu_core::query::ParamError::Missing(name) => {
                Self::MissingParameter(format!("The request must contain the parameter {name}."))
            }
            bad => Self::InvalidParameterValue(bad.to_string()),
        }
    }
}
