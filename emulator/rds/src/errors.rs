//! RDS's errors: one enum with AWS's error codes (from the botocore model)
//! and HTTP statuses, turned into the Query protocol's XML error shape in one
//! place ([`RdsError::into_response`]).

use firedrill_emu_core::Body;
use http::StatusCode;

/// An RDS error as AWS reports it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RdsError {
    /// A parameter has a bad value.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// Parameters that cannot go together.
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// A required parameter is absent.
    #[error("{0}")]
    MissingParameter(String),
    /// The action is not one RDS has or firedrill serves.
    #[error("{0}")]
    InvalidAction(String),
    /// `DBInstanceNotFound`.
    #[error("{0}")]
    DBInstanceNotFound(String),
    /// `DBInstanceAlreadyExists`.
    #[error("{0}")]
    DBInstanceAlreadyExists(String),
    /// `InvalidDBInstanceState`.
    #[error("{0}")]
    InvalidDBInstanceState(String),
    /// `DBSnapshotNotFound`.
    #[error("{0}")]
    DBSnapshotNotFound(String),
    /// `DBSnapshotAlreadyExists`.
    #[error("{0}")]
    DBSnapshotAlreadyExists(String),
    /// `InvalidDBSnapshotState`.
    #[error("{0}")]
    InvalidDBSnapshotState(String),
    /// `PointInTimeRestoreNotEnabled`.
    #[error("{0}")]
    PointInTimeRestoreNotEnabled(String),
    /// `InvalidRestoreFault`.
    #[error("{0}")]
    InvalidRestore(String),
    /// `DBInstanceAutomatedBackupNotFound`.
    #[error("{0}")]
    DBInstanceAutomatedBackupNotFound(String),
    /// `InvalidDBInstanceAutomatedBackupState`.
    #[error("{0}")]
    InvalidDBInstanceAutomatedBackupState(String),
    /// `DBClusterNotFoundFault`.
    #[error("{0}")]
    DBClusterNotFound(String),
    /// `DBClusterAlreadyExistsFault`.
    #[error("{0}")]
    DBClusterAlreadyExists(String),
    /// `InvalidDBClusterStateFault`.
    #[error("{0}")]
    InvalidDBClusterState(String),
    /// `InsufficientDBInstanceCapacity`: also used when the machine has no
    /// PostgreSQL to run an instance on.
    #[error("{0}")]
    InsufficientDBInstanceCapacity(String),
    /// An unexpected failure inside the emulator.
    #[error("{0}")]
    InternalFailure(String),
}

impl RdsError {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::InvalidParameterCombination(_) => "InvalidParameterCombination",
            Self::MissingParameter(_) => "MissingParameter",
            Self::InvalidAction(_) => "InvalidAction",
            Self::DBInstanceNotFound(_) => "DBInstanceNotFound",
            Self::DBInstanceAlreadyExists(_) => "DBInstanceAlreadyExists",
            Self::InvalidDBInstanceState(_) => "InvalidDBInstanceState",
            Self::DBSnapshotNotFound(_) => "DBSnapshotNotFound",
            Self::DBSnapshotAlreadyExists(_) => "DBSnapshotAlreadyExists",
            Self::InvalidDBSnapshotState(_) => "InvalidDBSnapshotState",
            Self::PointInTimeRestoreNotEnabled(_) => "PointInTimeRestoreNotEnabled",
            Self::InvalidRestore(_) => "InvalidRestoreFault",
            Self::DBInstanceAutomatedBackupNotFound(_) => "DBInstanceAutomatedBackupNotFound",
            Self::InvalidDBInstanceAutomatedBackupState(_) => "InvalidDBInstanceAutomatedBackupState",
            Self::DBClusterNotFound(_) => "DBClusterNotFoundFault",
            Self::DBClusterAlreadyExists(_) => "DBClusterAlreadyExistsFault",
            Self::InvalidDBClusterState(_) => "InvalidDBClusterStateFault",
            Self::InsufficientDBInstanceCapacity(_) => "InsufficientDBInstanceCapacity",
            Self::InternalFailure(_) => "InternalFailure",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::DBInstanceNotFound(_)
            | Self::DBSnapshotNotFound(_)
            | Self::DBInstanceAutomatedBackupNotFound(_)
            | Self::DBClusterNotFound(_) => StatusCode::NOT_FOUND,
            Self::InternalFailure(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The Query-protocol XML error response.
    pub fn into_response(&self, request_id: &str) -> http::Response<Body> {
        firedrill_emu_core::error::query_xml(self.status(), self.code(), &self.to_string(), request_id)
    }

    /// `DBInstanceNotFound` for `id`, with AWS's message.
    pub fn instance_not_found(id: &str) -> Self {
        Self::DBInstanceNotFound(format!("DBInstance {id} not found."))
    }

    /// `DBSnapshotNotFound` for `id`, with AWS's message.
    pub fn snapshot_not_found(id: &str) -> Self {
        Self::DBSnapshotNotFound(format!("DBSnapshot {id} not found."))
    }

    /// `DBClusterNotFoundFault` for `id`, with AWS's message.
    pub fn cluster_not_found(id: &str) -> Self {
        Self::DBClusterNotFound(format!("DBCluster {id} not found."))
    }
}

impl From<crate::postgres::PgError> for RdsError {
    fn from(e: crate::postgres::PgError) -> Self {
        match e {
            crate::postgres::PgError::NoBinaries(m) => Self::InsufficientDBInstanceCapacity(m),
            other => Self::InternalFailure(other.to_string()),
        }
    }
}
