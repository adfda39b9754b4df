//! RDS's errors: one enum with AWS's error codes (from the botocore model)
//! and HTTP statuses, turned into the Query protocol's XML error shape in one
//! place ([`RdsError::into_response`]), with any character XML 1.0 cannot
//! carry replaced ([`xml_chars`]).

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
    /// `KMSKeyNotAccessibleFault`: the KMS key is disabled, pending
    /// deletion or unknown.
    #[error("{0}")]
    KMSKeyNotAccessible(String),
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
    /// `DBClusterSnapshotNotFoundFault`.
    #[error("{0}")]
    DBClusterSnapshotNotFound(String),
    /// `DBClusterSnapshotAlreadyExistsFault`.
    #[error("{0}")]
    DBClusterSnapshotAlreadyExists(String),
    /// `InvalidDBClusterSnapshotStateFault`.
    #[error("{0}")]
    InvalidDBClusterSnapshotState(String),
    /// `InsufficientDBInstanceCapacity`: also used when the machine has no
    /// PostgreSQL to run an instance on.
    #[error("{0}")]
    InsufficientDBInstanceCapacity(String),
    /// `StorageTypeNotSupported`.
    #[error("{0}")]
    StorageTypeNotSupported(String),
    /// `DBParameterGroupNotFound`.
    #[error("{0}")]
    DBParameterGroupNotFound(String),
    /// `DBParameterGroupAlreadyExists`.
    #[error("{0}")]
    DBParameterGroupAlreadyExists(String),
    /// `InvalidDBParameterGroupState`.
    #[error("{0}")]
    InvalidDBParameterGroupState(String),
    /// `DBSubnetGroupNotFoundFault`.
    #[error("{0}")]
    DBSubnetGroupNotFound(String),
    /// `DBSubnetGroupAlreadyExists`.
    #[error("{0}")]
    DBSubnetGroupAlreadyExists(String),
    /// `InvalidDBSubnetGroupStateFault`.
    #[error("{0}")]
    InvalidDBSubnetGroupState(String),
    /// `DBSubnetGroupDoesNotCoverEnoughAZs`.
    #[error("{0}")]
    DBSubnetGroupDoesNotCoverEnoughAZs(String),
    /// `InvalidSubnet`.
    #[error("{0}")]
    InvalidSubnet(String),
    /// `OptionGroupNotFoundFault`.
    #[error("{0}")]
    OptionGroupNotFound(String),
    /// `OptionGroupAlreadyExistsFault`.
    #[error("{0}")]
    OptionGroupAlreadyExists(String),
    /// `InvalidOptionGroupStateFault`.
    #[error("{0}")]
    InvalidOptionGroupState(String),
    /// `DBClusterParameterGroupNotFound`.
    #[error("{0}")]
    DBClusterParameterGroupNotFound(String),
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
            Self::KMSKeyNotAccessible(_) => "KMSKeyNotAccessibleFault",
            Self::DBSnapshotAlreadyExists(_) => "DBSnapshotAlreadyExists",
            Self::InvalidDBSnapshotState(_) => "InvalidDBSnapshotState",
            Self::PointInTimeRestoreNotEnabled(_) => "PointInTimeRestoreNotEnabled",
            Self::InvalidRestore(_) => "InvalidRestoreFault",
            Self::DBInstanceAutomatedBackupNotFound(_) => "DBInstanceAutomatedBackupNotFound",
            Self::InvalidDBInstanceAutomatedBackupState(_) => "InvalidDBInstanceAutomatedBackupState",
            Self::DBClusterNotFound(_) => "DBClusterNotFoundFault",
            Self::DBClusterAlreadyExists(_) => "DBClusterAlreadyExistsFault",
            Self::InvalidDBClusterState(_) => "InvalidDBClusterStateFault",
            Self::DBClusterSnapshotNotFound(_) => "DBClusterSnapshotNotFoundFault",
            Self::DBClusterSnapshotAlreadyExists(_) => "DBClusterSnapshotAlreadyExistsFault",
            Self::InvalidDBClusterSnapshotState(_) => "InvalidDBClusterSnapshotStateFault",
            Self::InsufficientDBInstanceCapacity(_) => "InsufficientDBInstanceCapacity",
            Self::StorageTypeNotSupported(_) => "StorageTypeNotSupported",
            Self::DBParameterGroupNotFound(_) => "DBParameterGroupNotFound",
            Self::DBParameterGroupAlreadyExists(_) => "DBParameterGroupAlreadyExists",
            Self::InvalidDBParameterGroupState(_) => "InvalidDBParameterGroupState",
            Self::DBSubnetGroupNotFound(_) => "DBSubnetGroupNotFoundFault",
            Self::DBSubnetGroupAlreadyExists(_) => "DBSubnetGroupAlreadyExists",
            Self::InvalidDBSubnetGroupState(_) => "InvalidDBSubnetGroupStateFault",
            Self::DBSubnetGroupDoesNotCoverEnoughAZs(_) => "DBSubnetGroupDoesNotCoverEnoughAZs",
            Self::InvalidSubnet(_) => "InvalidSubnet",
            Self::OptionGroupNotFound(_) => "OptionGroupNotFoundFault",
            Self::OptionGroupAlreadyExists(_) => "OptionGroupAlreadyExistsFault",
            Self::InvalidOptionGroupState(_) => "InvalidOptionGroupStateFault",
            Self::DBClusterParameterGroupNotFound(_) => "DBClusterParameterGroupNotFound",
            Self::InternalFailure(_) => "InternalFailure",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::DBInstanceNotFound(_)
            | Self::DBSnapshotNotFound(_)
            | Self::DBInstanceAutomatedBackupNotFound(_)
            | Self::DBClusterNotFound(_)
            | Self::DBClusterSnapshotNotFound(_)
            | Self::DBParameterGroupNotFound(_)
            | Self::DBSubnetGroupNotFound(_)
            | Self::OptionGroupNotFound(_)
            | Self::DBClusterParameterGroupNotFound(_) => StatusCode::NOT_FOUND,
            Self::InternalFailure(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The Query-protocol XML error response. The message may echo a
    /// client's value: characters XML 1.0 cannot carry are replaced first.
    pub fn into_response(&self, request_id: &str) -> http::Response<Body> {
        firedrill_emu_core::error::query_xml(
            firedrill_emu_core::protocol::QueryApi::Rds.xmlns(),
            self.status(),
            self.code(),
            &xml_chars(&self.to_string()),
            &xml_chars(request_id),
        )
    }

    /// `DBInstanceNotFound` for `id`, with AWS's message.
    pub fn instance_not_found(id: &str) -> Self {
        Self::DBInstanceNotFound(format!("DBInstance {id} not found."))
    }

    /// `DBSnapshotNotFound` for `id`, with AWS's message.
    pub fn snapshot_not_found(id: &str) -> Self {
        Self::DBSnapshotNotFound(format!("DBSnapshot {id} not found."))
    }

    /// `DBParameterGroupNotFound` for `name`, with AWS's message.
    pub fn parameter_group_not_found(name: &str) -> Self {
        Self::DBParameterGroupNotFound(format!("DBParameterGroup not found: {name}"))
    }

    /// `DBClusterParameterGroupNotFound` for `name`, with AWS's message.
    pub fn cluster_parameter_group_not_found(name: &str) -> Self {
        Self::DBParameterGroupNotFound(format!("DBClusterParameterGroup not found: {name}"))
    }

    /// `DBSubnetGroupNotFoundFault` for `name`, with AWS's message.
    pub fn subnet_group_not_found(name: &str) -> Self {
        Self::DBSubnetGroupNotFound(format!("DBSubnetGroup {name} not found."))
    }

    /// `OptionGroupNotFoundFault` for `name`, with AWS's message.
    pub fn option_group_not_found(name: &str) -> Self {
        Self::OptionGroupNotFound(format!("Specified OptionGroupName: {name} not found."))
    }

    /// `DBClusterSnapshotNotFoundFault` for `id`, with AWS's message.
    pub fn cluster_snapshot_not_found(id: &str) -> Self {
        Self::DBClusterSnapshotNotFound(format!("DBClusterSnapshot {id} not found."))
    }

    /// `DBClusterNotFoundFault` for `id`, with AWS's message.
    pub fn cluster_not_found(id: &str) -> Self {
        Self::DBClusterNotFound(format!("DBCluster {id} not found."))
    }
}

/// `s` with every character that XML 1.0 cannot represent (control
/// characters other than tab, line feed and carriage return, U+FFFE and
/// U+FFFF) replaced by U+FFFD, so that an echoed value never makes a
/// document unparseable; markup escaping is done by the writer.
pub fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}';
    if s.chars().any(bad) {
        s.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

impl From<crate::process::ServerError> for RdsError {
    fn from(e: crate::process::ServerError) -> Self {
        match e {
            crate::process::ServerError::NoBinaries(m) => Self::InsufficientDBInstanceCapacity(m),
            other => Self::InternalFailure(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_control_characters_never_reach_the_xml() {
        assert_eq!(xml_chars("plain"), "plain");
        assert_eq!(xml_chars("a\0b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
        assert!(matches!(xml_chars("ok"), std::borrow::Cow::Borrowed(_)));
    }
}
