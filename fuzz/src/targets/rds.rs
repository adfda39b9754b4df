//! RDS: Query form decoding (`Params::decode` and its typed readers) and the
//! actions behind it, through the service's own handler. Inputs are form
//! bodies (`Action=...&Version=2014-10-31&...`).
//!
//! Actions that start database servers (creating or restoring an instance
//! or cluster) are only decoded, not run, unless both PostgreSQL and
//! MariaDB are unavailable to the emulator (as `cargo xtask fuzz` arranges
//! with `FIREDRILL_PG_BIN` and `FIREDRILL_MARIADB_BIN` pointing nowhere),
//! when they fail after validation.

use super::Target;
use crate::harness::Harness;
use firedrill_emu_core::{AwsService, Environment};
use firedrill_emu_rds::protocol::Params;
use std::sync::Arc;

fn make(env: &Environment) -> Arc<dyn AwsService> {
    firedrill_emu_rds::Rds::new(env)
}

/// RDS Query requests.
pub struct RdsQuery {
    harness: Harness,
    /// Whether the emulator could start a PostgreSQL or MariaDB server.
    servers: bool,
}

impl RdsQuery {
    pub fn new() -> Self {
        let harness = Harness::new("rds", make);
        let servers = firedrill_emu_rds::postgres::PgBinaries::discover().is_ok()
            || firedrill_emu_rds::mariadb::MariaBinaries::discover().is_ok();
        Self { harness, servers }
    }
}

/// Whether `action` may start a database server.
fn starts_servers(action: &str) -> bool {
    (action.starts_with("Create") || action.starts_with("Restore") || action.starts_with("Start"))
        && (action.contains("DBInstance") || action.contains("DBCluster"))
}

/// Every typed reader of the decoded form, on the names the actions use.
fn read_all(p: &Params) -> String {
    let mut out = Vec::new();
    for name in [
        "Port",
        "AllocatedStorage",
        "BackupRetentionPeriod",
        "MaxRecords",
        "Iops",
    ] {
        out.push(p.int(name).is_ok());
    }
    for name in [
        "MultiAZ",
        "DeletionProtection",
        "SkipFinalSnapshot",
        "UseLatestRestorableTime",
    ] {
        out.push(p.bool(name).is_ok());
    }
    out.push(p.time("RestoreTime").is_ok());
    out.push(p.tags("Tags").is_ok());
    out.push(p.settings("Port").is_ok());
    let _ = p.list("VpcSecurityGroupIds", "VpcSecurityGroupId");
    let _ = p.filters();
    out.iter().map(|ok| if *ok { '1' } else { '0' }).collect()
}

impl Target for RdsQuery {
    fn name(&self) -> &'static str {
        "rds-query"
    }

    fn dictionary(&self) -> &'static [&'static str] {
        DICTIONARY
    }

    fn run(&mut self, input: &[u8]) -> String {
        let params = Params::decode(input, None);
        let readers = read_all(&params);
        let action = params.string("Action").unwrap_or_default();
        if self.servers && starts_servers(&action) {
            return format!("decoded {readers}");
        }
        let reply = self.harness.send(
            "POST",
            "/",
            &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            input.to_vec(),
        );
        format!("{readers} {}", reply.signature())
    }

    fn reset(&mut self) {
        self.harness.rebuild();
    }
}

const DICTIONARY: &[&str] = &[
    "&",
    "=",
    "%",
    "%00",
    "%FF",
    "%zz",
    "+",
    ".member.1",
    ".member.2",
    ".Tag.1",
    ".Filter.1.Name",
    ".Value.1",
    "Action=",
    "Version=2014-10-31",
    "Action=CreateDBInstance",
    "Action=DescribeDBInstances",
    "Action=ModifyDBInstance",
    "Action=CreateDBSnapshot",
    "Action=DescribeDBSnapshots",
    "Action=RestoreDBInstanceToPointInTime",
    "Action=CreateDBSubnetGroup",
    "Action=CreateDBParameterGroup",
    "Action=ModifyDBParameterGroup",
    "Action=DescribeEvents",
    "Action=AddTagsToResource",
    "Action=DescribeOrderableDBInstanceOptions",
    "Action=DeleteDBInstance",
    "DBInstanceIdentifier=fuzz",
    "DBInstanceClass=db.t3.micro",
    "Engine=postgres",
    "EngineVersion=16.3",
    "MasterUsername=app",
    "MasterUserPassword=secret123",
    "AllocatedStorage=20",
    "Port=",
    "StorageType=gp3",
    "BackupRetentionPeriod=",
    "PreferredBackupWindow=03:00-03:30",
    "PreferredMaintenanceWindow=sun:05:00-sun:05:30",
    "RestoreTime=2026-03-14T12:00:00Z",
    "Tags.Tag.1.Key=k",
    "Tags.Tag.1.Value=v",
    "Filters.Filter.1.Name=engine",
    "Filters.Filter.1.Values.Value.1=postgres",
    "MaxRecords=",
    "Marker=",
    "DBSubnetGroupName=g",
    "SubnetIds.SubnetIdentifier.1=subnet-1",
    "DBParameterGroupName=p",
    "DBParameterGroupFamily=postgres16",
    "Parameters.Parameter.1.ParameterName=work_mem",
    "Parameters.Parameter.1.ParameterValue=",
    "Parameters.Parameter.1.ApplyMethod=immediate",
    "ResourceName=arn:aws:rds:us-east-1:000000000000:db:fuzz",
    "StartTime=",
    "Duration=",
    "SourceType=db-instance",
    "true",
    "false",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_only_started_by_create_restore_and_start() {
        assert!(starts_servers("CreateDBInstance"));
        assert!(starts_servers("RestoreDBInstanceToPointInTime"));
        assert!(starts_servers("RestoreDBClusterFromSnapshot"));
        assert!(!starts_servers("CreateDBSnapshot"));
        assert!(!starts_servers("DescribeDBInstances"));
    }
}
