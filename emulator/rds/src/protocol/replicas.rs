//! The read replica actions: CreateDBInstanceReadReplica (the source named
//! by identifier, by ARN in another region, or by identifier with
//! `SourceRegion`) and PromoteReadReplica; both answer the `DBInstance`
//! shape.

use super::{Params, Xml, instance};
use crate::engine::{CreateReplica, Engine, PromoteReplica};
use crate::errors::RdsError;

/// The actions this module serves.
pub const ACTIONS: &[&str] = &["CreateDBInstanceReadReplica", "PromoteReadReplica"];

/// Runs `action` when it is one of this module's, else `None`.
pub fn dispatch(
    engine: &Engine,
    region: &str,
    action: &str,
    p: &Params,
) -> Option<Result<Option<String>, RdsError>> {
    ACTIONS.contains(&action).then(|| run(engine, region, action, p))
}

fn run(engine: &Engine, region: &str, action: &str, p: &Params) -> Result<Option<String>, RdsError> {
    let mut x = Xml::default();
    match action {
        "CreateDBInstanceReadReplica" => {
            let id = p.required("DBInstanceIdentifier")?;
            if p.str("SourceDBClusterIdentifier").is_some() {
                return Err(RdsError::InvalidParameterValue(
                    "firedrill does not create DB instance read replicas of Multi-AZ DB clusters (SourceDBClusterIdentifier); name a SourceDBInstanceIdentifier.".to_owned(),
                ));
            }
            let source = p
                .str("SourceDBInstanceIdentifier")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    RdsError::MissingParameter(
                        "The request must contain the parameter SourceDBInstanceIdentifier".to_owned(),
                    )
                })?;
            let req = CreateReplica {
                id,
                source: source.to_owned(),
                source_region: p.string("SourceRegion"),
                settings: p.settings("Port")?,
                tags: p.tags("Tags")?,
                copy_tags_to_snapshot: p.bool("CopyTagsToSnapshot")?.unwrap_or(false),
                deletion_protection: p.bool("DeletionProtection")?.unwrap_or(false),
                multi_az: p.bool("MultiAZ")?.unwrap_or(false),
            };
            let i = engine.create_read_replica(region, req)?;
            instance(&mut x, &i);
        }
        "PromoteReadReplica" => {
            let req = PromoteReplica {
                id: p.required("DBInstanceIdentifier")?,
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
            };
            let i = engine.promote_read_replica(region, req)?;
            instance(&mut x, &i);
        }
        other => {
            return Err(RdsError::InternalFailure(format!(
                "{other} is not a read replica action"
            )));
        }
    }
    Ok(Some(x.into_string()))
}
