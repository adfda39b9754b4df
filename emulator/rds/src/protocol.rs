//! The RDS Query protocol: form-encoded requests (`Action=…&Version=2014-10-31`,
//! lists as `Tags.Tag.1.Key`, `Filters.Filter.1.Values.Value.1`) decoded into
//! the engine's typed inputs, and the engine's records encoded as the XML
//! result shapes of the botocore model (element names exactly as
//! `aws-sdk-rds` parses them). Instances, snapshots, automated backups and
//! tags are here; `clusters` holds the Aurora cluster actions,
//! `cluster_snapshots` the DB cluster snapshot actions, `groups` holds the subnet, parameter and option
//! group actions, `offerings` the engine versions, orderable options and
//! account quotas, `events` DescribeEvents, `replicas` the read replica
//! actions.

use crate::catalog;
use crate::engine::{
    AutomatedBackup, CreateInstance, DeleteInstance, Engine, Instance, ModifyInstance, PitrSource,
    RestorePitr, RestoreSnapshot, Snapshot,
};
use crate::errors::{RdsError, xml_chars};
use crate::validate::{self, Settings, Storage, StorageRequest};
use chrono::{DateTime, SecondsFormat, Utc};
use firedrill_emu_core::error::xml_escape;
use std::collections::HashMap;

mod cluster_snapshots;
mod clusters;
mod events;
mod groups;
mod offerings;
mod replicas;

/// The XML namespace of every RDS response.
pub const XMLNS: &str = "http://rds.amazonaws.com/doc/2014-10-31/";

/// A decoded form body.
#[derive(Debug, Default)]
pub struct Params {
    map: HashMap<String, String>,
}

impl Params {
    /// Decodes `application/x-www-form-urlencoded` bytes (the query string
    /// is merged in too, as AWS accepts both).
    pub fn decode(body: &[u8], query: Option<&str>) -> Self {
        let mut map = HashMap::new();
        if let Some(q) = query {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        for (k, v) in form_urlencoded::parse(body) {
            map.insert(k.into_owned(), v.into_owned());
        }
        Self { map }
    }

    /// A parameter's value.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// An owned optional string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_owned)
    }

    /// A required parameter.
    pub fn required(&self, name: &str) -> Result<String, RdsError> {
        match self.str(name) {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(RdsError::MissingParameter(format!(
                "The request must contain the parameter {name}"
            ))),
        }
    }

    /// An optional boolean.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, RdsError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(RdsError::InvalidParameterValue(format!(
                "Invalid boolean value {v:?} for parameter {name}."
            ))),
        }
    }

    /// An optional integer.
    pub fn int(&self, name: &str) -> Result<Option<i32>, RdsError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                RdsError::InvalidParameterValue(format!(
                    "Invalid value {v:?} for parameter {name}: expected an integer."
                ))
            }),
        }
    }

    /// An optional ISO 8601 timestamp.
    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, RdsError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => parse_time(v).map(Some).ok_or_else(|| {
                RdsError::InvalidParameterValue(format!(
                    "Invalid value {v:?} for parameter {name}: expected an ISO 8601 timestamp."
                ))
            }),
        }
    }

    /// A list: `Name.Member.1`, `Name.Member.2`, … (also `Name.member.N`).
    pub fn list(&self, name: &str, member: &str) -> Vec<String> {
        let mut out = Vec::new();
        for n in 1..=1000 {
            match self
                .str(&format!("{name}.{member}.{n}"))
                .or_else(|| self.str(&format!("{name}.member.{n}")))
            {
                Some(v) => out.push(v.to_owned()),
                None => break,
            }
        }
        out
    }

    /// `Tags.Tag.N.Key` / `Tags.Tag.N.Value`.
    pub fn tags(&self, name: &str) -> Result<Vec<(String, String)>, RdsError> {
        let mut out = Vec::new();
        for n in 1..=1000 {
            let prefix = [format!("{name}.Tag.{n}"), format!("{name}.member.{n}")]
                .into_iter()
                .find(|p| {
                    self.str(&format!("{p}.Key")).is_some() || self.str(&format!("{p}.Value")).is_some()
                });
            let Some(prefix) = prefix else { break };
            let key = self.str(&format!("{prefix}.Key")).unwrap_or_default();
            let value = self.str(&format!("{prefix}.Value")).unwrap_or_default();
            validate::tag(key, value)?;
            out.push((key.to_owned(), value.to_owned()));
        }
        Ok(out)
    }

    /// The values CreateDBInstance, the restores and ModifyDBInstance share;
    /// `port` names the port parameter (`Port`, or `DBPortNumber` on
    /// ModifyDBInstance).
    pub fn settings(&self, port: &str) -> Result<Settings, RdsError> {
        Ok(Settings {
            class: self.string("DBInstanceClass"),
            port: self.int(port)?,
            storage: StorageRequest {
                storage_type: self.string("StorageType"),
                allocated: self.int("AllocatedStorage")?,
                iops: self.int("Iops")?,
                throughput: self.int("StorageThroughput")?,
                encrypted: self.bool("StorageEncrypted")?,
                kms_key_id: self.string("KmsKeyId"),
            },
            availability_zone: self.string("AvailabilityZone"),
            parameter_group: self.string("DBParameterGroupName"),
            option_group: self.string("OptionGroupName"),
            subnet_group: self.string("DBSubnetGroupName"),
            monitoring_interval: self.int("MonitoringInterval")?,
            promotion_tier: self.int("PromotionTier")?,
            license_model: self.string("LicenseModel"),
            network_type: self.string("NetworkType"),
        })
    }

    /// `Filters.Filter.N.Name` with `Filters.Filter.N.Values.Value.M`.
    pub fn filters(&self) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for n in 1..=100 {
            let prefix = [format!("Filters.Filter.{n}"), format!("Filters.member.{n}")]
                .into_iter()
                .find(|p| self.str(&format!("{p}.Name")).is_some());
            let Some(prefix) = prefix else { break };
            let name = self.str(&format!("{prefix}.Name")).unwrap_or_default().to_owned();
            let values = self.list(&format!("{prefix}.Values"), "Value");
            out.push((name, values));
        }
        out
    }
}

/// Parses the timestamps clients send (RFC 3339, with or without fractions).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// An XML document under construction.
#[derive(Debug, Default)]
pub struct Xml {
    buf: String,
}

impl Xml {
    /// The document so far.
    fn into_string(self) -> String {
        self.buf
    }

    fn open(&mut self, tag: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    fn close(&mut self, tag: &str) {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    fn text(&mut self, tag: &str, value: &str) {
        self.open(tag);
        self.buf.push_str(&xml_escape(&xml_chars(value)));
        self.close(tag);
    }

    fn opt(&mut self, tag: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(tag, v);
        }
    }

    fn num(&mut self, tag: &str, value: impl std::fmt::Display) {
        self.text(tag, &value.to_string());
    }

    fn bool(&mut self, tag: &str, value: bool) {
        self.text(tag, if value { "true" } else { "false" });
    }

    fn time(&mut self, tag: &str, value: DateTime<Utc>) {
        self.text(tag, &value.to_rfc3339_opts(SecondsFormat::Millis, true));
    }

    fn opt_time(&mut self, tag: &str, value: Option<DateTime<Utc>>) {
        if let Some(v) = value {
            self.time(tag, v);
        }
    }

    fn tags(&mut self, tags: &[(String, String)]) {
        self.open("TagList");
        for (k, v) in tags {
            self.open("Tag");
            self.text("Key", k);
            self.text("Value", v);
            self.close("Tag");
        }
        self.close("TagList");
    }
}

/// The `DBInstance` shape.
pub fn instance(x: &mut Xml, i: &Instance) {
    x.open("DBInstance");
    x.text("DBInstanceIdentifier", &i.id);
    x.text("DBInstanceClass", &i.class);
    x.text("Engine", &i.engine);
    x.text("DBInstanceStatus", &i.status);
    x.text("MasterUsername", &i.master_username);
    x.opt("DBName", i.db_name.as_deref());
    if !matches!(i.status.as_str(), "creating") {
        x.open("Endpoint");
        x.text("Address", "127.0.0.1");
        x.num("Port", i.port);
        x.text("HostedZoneId", "Z2R2ITUGPM61AM");
        x.close("Endpoint");
    }
    x.num("AllocatedStorage", i.storage.allocated);
    x.time("InstanceCreateTime", i.create_time);
    x.text("PreferredBackupWindow", &i.backup_window);
    x.num("BackupRetentionPeriod", i.retention);
    x.open("DBSecurityGroups");
    x.close("DBSecurityGroups");
    x.open("VpcSecurityGroups");
    x.close("VpcSecurityGroups");
    x.open("DBParameterGroups");
    x.open("DBParameterGroup");
    x.text("DBParameterGroupName", &i.parameter_group);
    x.text("ParameterApplyStatus", "in-sync");
    x.close("DBParameterGroup");
    x.close("DBParameterGroups");
    x.text("AvailabilityZone", &i.availability_zone);
    subnet_group_ref(x, &i.subnet_group, &i.availability_zone);
    x.text("PreferredMaintenanceWindow", &i.maintenance_window);
    x.open("PendingModifiedValues");
    if let Some(r) = i.pending_retention {
        x.num("BackupRetentionPeriod", r);
    }
    x.close("PendingModifiedValues");
    x.opt_time("LatestRestorableTime", i.latest_restorable);
    x.bool("MultiAZ", i.secondary_az.is_some());
    x.opt("SecondaryAvailabilityZone", i.secondary_az.as_deref());
    x.text("EngineVersion", &i.engine_version);
    x.bool("AutoMinorVersionUpgrade", true);
    x.text("LicenseModel", catalog::license(&i.engine));
    x.open("OptionGroupMemberships");
    x.open("OptionGroupMembership");
    x.text("OptionGroupName", &i.option_group);
    x.text("Status", "in-sync");
    x.close("OptionGroupMembership");
    x.close("OptionGroupMemberships");
    x.bool("PubliclyAccessible", false);
    storage(x, &i.storage);
    x.num("DbInstancePort", 0);
    x.opt("DBClusterIdentifier", i.cluster_id.as_deref());
    x.bool("StorageEncrypted", i.storage.encrypted);
    x.opt("KmsKeyId", i.storage.kms_key_id.as_deref());
    x.text("DbiResourceId", &i.resource_id);
    x.bool("CopyTagsToSnapshot", i.copy_tags_to_snapshot);
    x.num("MonitoringInterval", 0);
    x.text("DBInstanceArn", &i.arn);
    x.bool("IAMDatabaseAuthenticationEnabled", false);
    x.bool("PerformanceInsightsEnabled", false);
    x.bool("DeletionProtection", i.deletion_protection);
    replication(x, i);
    x.tags(&i.tags);
    if !i.replications.is_empty() {
        x.open("DBInstanceAutomatedBackupsReplications");
        for arn in &i.replications {
            x.open("DBInstanceAutomatedBackupsReplication");
            x.text("DBInstanceAutomatedBackupsArn", arn);
            x.close("DBInstanceAutomatedBackupsReplication");
        }
        x.close("DBInstanceAutomatedBackupsReplications");
    }
    x.text("BackupTarget", "region");
    x.text("NetworkType", "IPV4");
    x.close("DBInstance");
}

/// What an instance shows of read replication: its source (the identifier
/// in the same region, the ARN in another), its replicas, and a replica's
/// `read replication` status.
fn replication(x: &mut Xml, i: &Instance) {
    if let Some(s) = &i.replica_of {
        let same_region = i.arn.starts_with(&format!("arn:aws:rds:{}:", s.region));
        x.text(
            "ReadReplicaSourceDBInstanceIdentifier",
            if same_region { &s.id } else { &s.arn },
        );
    }
    x.open("ReadReplicaDBInstanceIdentifiers");
    for r in &i.replica_ids {
        x.text("ReadReplicaDBInstanceIdentifier", r);
    }
    x.close("ReadReplicaDBInstanceIdentifiers");
    if let Some(status) = &i.replication_status {
        x.open("StatusInfos");
        x.open("DBInstanceStatusInfo");
        x.text("StatusType", "read replication");
        x.bool("Normal", status == "replicating");
        x.text("Status", status);
        if status != "replicating" {
            x.text(
                "Message",
                "Replication has stopped: the source DB instance cannot be reached.",
            );
        }
        x.close("DBInstanceStatusInfo");
        x.close("StatusInfos");
    }
}

/// `StorageType`, `Iops` and `StorageThroughput` of a storage.
fn storage_type_iops(x: &mut Xml, s: &Storage) {
    x.text("StorageType", &s.storage_type);
    if let Some(i) = s.iops {
        x.num("Iops", i);
    }
    if let Some(t) = s.throughput {
        x.num("StorageThroughput", t);
    }
}

/// An instance's storage fields.
fn storage(x: &mut Xml, s: &Storage) {
    storage_type_iops(x, s);
}

/// The `DBSubnetGroup` an instance shows (name, VPC and status).
fn subnet_group_ref(x: &mut Xml, name: &str, _az: &str) {
    x.open("DBSubnetGroup");
    x.text("DBSubnetGroupName", name);
    x.text("SubnetGroupStatus", "Complete");
    x.close("DBSubnetGroup");
}

/// The `DBSnapshot` shape.
pub fn snapshot(x: &mut Xml, s: &Snapshot) {
    x.open("DBSnapshot");
    x.text("DBSnapshotIdentifier", &s.id);
    x.text("DBInstanceIdentifier", &s.instance_id);
    if s.status != "creating" {
        x.time("SnapshotCreateTime", s.create_time);
    }
    x.text("Engine", &s.engine);
    x.num("AllocatedStorage", s.storage.allocated);
    x.text("Status", &s.status);
    x.num("Port", s.port);
    x.text("AvailabilityZone", &s.availability_zone);
    x.time("InstanceCreateTime", s.instance_create_time);
    x.text("MasterUsername", &s.master_username);
    x.text("EngineVersion", &s.engine_version);
    x.text("LicenseModel", catalog::license(&s.engine));
    x.text("SnapshotType", &s.snapshot_type);
    x.num("PercentProgress", s.percent);
    x.opt("SourceRegion", s.source_region.as_deref());
    x.text("OptionGroupName", &s.option_group);
    x.opt("SourceDBSnapshotIdentifier", s.source_snapshot.as_deref());
    storage_type_iops(x, &s.storage);
    x.bool("Encrypted", s.storage.encrypted);
    x.opt("KmsKeyId", s.storage.kms_key_id.as_deref());
    x.text("DBSnapshotArn", &s.arn);
    x.bool("IAMDatabaseAuthenticationEnabled", false);
    x.text("DbiResourceId", &s.resource_id);
    x.tags(&s.tags);
    x.time("OriginalSnapshotCreateTime", s.create_time);
    x.text("SnapshotTarget", "region");
    x.close("DBSnapshot");
}

/// The `DBInstanceAutomatedBackup` shape.
pub fn automated_backup(x: &mut Xml, b: &AutomatedBackup) {
    x.open("DBInstanceAutomatedBackup");
    x.text("DBInstanceArn", &b.instance_arn);
    x.text("DbiResourceId", &b.resource_id);
    x.text("Region", &b.source_region);
    x.text("DBInstanceIdentifier", &b.instance_id);
    if let (Some(e), Some(l)) = (b.earliest, b.latest) {
        x.open("RestoreWindow");
        x.time("EarliestTime", e);
        x.time("LatestTime", l);
        x.close("RestoreWindow");
    }
    x.num("AllocatedStorage", b.storage.allocated);
    x.text("Status", &b.status);
    x.num("Port", b.port);
    x.text("AvailabilityZone", &b.availability_zone);
    x.time("InstanceCreateTime", b.instance_create_time);
    x.text("MasterUsername", &b.master_username);
    x.text("Engine", &b.engine);
    x.text("EngineVersion", &b.engine_version);
    x.text("LicenseModel", catalog::license(&b.engine));
    x.bool("Encrypted", false);
    storage_type_iops(x, &b.storage);
    x.bool("IAMDatabaseAuthenticationEnabled", false);
    x.num("BackupRetentionPeriod", b.retention);
    x.text("PreferredBackupWindow", &b.backup_window);
    x.text("DBInstanceAutomatedBackupsArn", &b.arn);
    if !b.replications.is_empty() {
        x.open("DBInstanceAutomatedBackupsReplications");
        for (_, arn) in &b.replications {
            x.open("DBInstanceAutomatedBackupsReplication");
            x.text("DBInstanceAutomatedBackupsArn", arn);
            x.close("DBInstanceAutomatedBackupsReplication");
        }
        x.close("DBInstanceAutomatedBackupsReplications");
    }
    x.text("BackupTarget", "region");
    x.tags(&b.tags);
    x.close("DBInstanceAutomatedBackup");
}

/// Wraps a result in `<{Action}Response><{Action}Result>…`.
pub fn envelope(action: &str, result: Option<&str>, request_id: &str) -> String {
    let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{XMLNS}\">");
    if let Some(r) = result {
        out.push_str(&format!("<{action}Result>{r}</{action}Result>"));
    }
    out.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        xml_escape(request_id)
    ));
    out
}

/// Pages a list with `MaxRecords` (20–100, default 100) and `Marker`.
fn page<T: Clone>(p: &Params, items: Vec<T>) -> Result<(Vec<T>, Option<String>), RdsError> {
    let max = p.int("MaxRecords")?.unwrap_or(100);
    if !(20..=100).contains(&max) {
        return Err(RdsError::InvalidParameterValue(
            "Invalid value for parameter MaxRecords: must be between 20 and 100.".to_owned(),
        ));
    }
    let start = match p.str("Marker") {
        None | Some("") => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| RdsError::InvalidParameterValue(format!("Invalid marker {m:?}.")))?,
    };
    let end = (start + max as usize).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items.get(start..end).map(<[T]>::to_vec).unwrap_or_default(), next))
}

fn filter_values<'a>(filters: &'a [(String, Vec<String>)], name: &str) -> Option<&'a [String]> {
    filters.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
}

fn check_filters(filters: &[(String, Vec<String>)], allowed: &[&str]) -> Result<(), RdsError> {
    for (name, values) in filters {
        if !allowed.contains(&name.as_str()) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Unrecognized filter name: {name}. Supported filters: {}.",
                allowed.join(", ")
            )));
        }
        if values.is_empty() {
            return Err(RdsError::InvalidParameterValue(format!(
                "Filter {name} must have at least one value."
            )));
        }
    }
    Ok(())
}

fn id_matches(values: &[String], id: &str, arn: &str) -> bool {
    values.iter().any(|v| v.eq_ignore_ascii_case(id) || v == arn)
}

/// The Query actions of instances, snapshots, automated backups, tags and
/// clusters (see [`supported_actions`] for all).
pub const ACTIONS: &[&str] = &[
    "CreateDBInstance",
    "DescribeDBInstances",
    "ModifyDBInstance",
    "RebootDBInstance",
    "StopDBInstance",
    "StartDBInstance",
    "DeleteDBInstance",
    "CreateDBSnapshot",
    "DescribeDBSnapshots",
    "DeleteDBSnapshot",
    "CopyDBSnapshot",
    "RestoreDBInstanceFromDBSnapshot",
    "RestoreDBInstanceToPointInTime",
    "DescribeDBInstanceAutomatedBackups",
    "DeleteDBInstanceAutomatedBackup",
    "StartDBInstanceAutomatedBackupsReplication",
    "StopDBInstanceAutomatedBackupsReplication",
    "AddTagsToResource",
    "ListTagsForResource",
    "RemoveTagsFromResource",
];

/// Every action firedrill serves.
pub fn supported_actions() -> Vec<&'static str> {
    ACTIONS
        .iter()
        .chain(clusters::ACTIONS)
        .chain(cluster_snapshots::ACTIONS)
        .chain(groups::ACTIONS)
        .chain(offerings::ACTIONS)
        .chain(events::ACTIONS)
        .chain(replicas::ACTIONS)
        .copied()
        .collect()
}

/// RDS actions firedrill does not serve whose request names a cluster by
/// `DBClusterIdentifier` (from the botocore model).
const CLUSTER_ACTIONS: &[&str] = &[
    "AddRoleToDBCluster",
    "BacktrackDBCluster",
    "CreateDBClusterEndpoint",
    "DescribeDBClusterBacktracks",
    "ModifyCurrentDBClusterCapacity",
    "PromoteReadReplicaDBCluster",
    "RebootDBCluster",
    "RemoveRoleFromDBCluster",
    "StartDBCluster",
    "StopDBCluster",
];

/// Runs one action and returns its `<…Result>` body (or `None` for actions
/// without output).
pub async fn dispatch(
    engine: &Engine,
    region: &str,
    action: &str,
    p: &Params,
) -> Result<Option<String>, RdsError> {
    if let Some(result) = clusters::dispatch(engine, region, action, p)
        .or_else(|| cluster_snapshots::dispatch(engine, region, action, p))
        .or_else(|| groups::dispatch(engine, region, action, p))
        .or_else(|| offerings::dispatch(engine, region, action, p))
        .or_else(|| events::dispatch(engine, region, action, p))
        .or_else(|| replicas::dispatch(engine, region, action, p))
    {
        return result;
    }
    let mut x = Xml::default();
    match action {
        "CreateDBInstance" => {
            let req = CreateInstance {
                id: p.required("DBInstanceIdentifier")?,
                class: p.required("DBInstanceClass")?,
                engine: p.required("Engine")?,
                engine_version: p.string("EngineVersion"),
                master_username: p.string("MasterUsername"),
                master_password: p.string("MasterUserPassword"),
                db_name: p.string("DBName"),
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
                maintenance_window: p.string("PreferredMaintenanceWindow"),
                tags: p.tags("Tags")?,
                cluster_id: p.string("DBClusterIdentifier"),
                settings: p.settings("Port")?,
                copy_tags_to_snapshot: p.bool("CopyTagsToSnapshot")?.unwrap_or(false),
                deletion_protection: p.bool("DeletionProtection")?.unwrap_or(false),
                multi_az: p.bool("MultiAZ")?.unwrap_or(false),
            };
            if p.str("ManageMasterUserPassword") == Some("true") {
                return Err(RdsError::InvalidParameterValue(
                    "firedrill does not support ManageMasterUserPassword (Secrets Manager); pass MasterUserPassword.".to_owned(),
                ));
            }
            let i = engine.create_instance(region, req).await?;
            instance(&mut x, &i);
        }
        "DescribeDBInstances" => {
            let filters = p.filters();
            check_filters(
                &filters,
                &["db-instance-id", "db-cluster-id", "dbi-resource-id", "engine"],
            )?;
            let list = engine.describe_instances(region, p.str("DBInstanceIdentifier"))?;
            let list: Vec<Instance> = list
                .into_iter()
                .filter(|i| {
                    filter_values(&filters, "db-instance-id").is_none_or(|v| id_matches(v, &i.id, &i.arn))
                })
                .filter(|i| {
                    filter_values(&filters, "dbi-resource-id").is_none_or(|v| v.contains(&i.resource_id))
                })
                .filter(|i| filter_values(&filters, "engine").is_none_or(|v| v.contains(&i.engine)))
                .filter(|i| {
                    filter_values(&filters, "db-cluster-id").is_none_or(|v| {
                        i.cluster_id.as_ref().is_some_and(|c| {
                            v.iter()
                                .any(|x| x.eq_ignore_ascii_case(c) || x.ends_with(&format!(":cluster:{c}")))
                        })
                    })
                })
                .collect();
            let (items, marker) = page(p, list)?;
            x.open("DBInstances");
            for i in &items {
                instance(&mut x, i);
            }
            x.close("DBInstances");
            x.opt("Marker", marker.as_deref());
        }
        "ModifyDBInstance" => {
            if p.str("NewDBInstanceIdentifier").is_some() {
                return Err(RdsError::InvalidParameterValue(
                    "firedrill does not support renaming DB instances (NewDBInstanceIdentifier).".to_owned(),
                ));
            }
            let req = ModifyInstance {
                id: p.required("DBInstanceIdentifier")?,
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
                maintenance_window: p.string("PreferredMaintenanceWindow"),
                settings: p.settings("DBPortNumber")?,
                apply_immediately: p.bool("ApplyImmediately")?.unwrap_or(false),
                master_password: p.string("MasterUserPassword"),
                deletion_protection: p.bool("DeletionProtection")?,
                copy_tags_to_snapshot: p.bool("CopyTagsToSnapshot")?,
                multi_az: p.bool("MultiAZ")?,
            };
            let i = engine.modify_instance(region, req).await?;
            instance(&mut x, &i);
        }
        "RebootDBInstance" => {
            let i = engine.reboot_instance(
                region,
                &p.required("DBInstanceIdentifier")?,
                p.bool("ForceFailover")?.unwrap_or(false),
            )?;
            instance(&mut x, &i);
        }
        "StopDBInstance" => {
            let i = engine.stop_instance(
                region,
                &p.required("DBInstanceIdentifier")?,
                p.string("DBSnapshotIdentifier"),
            )?;
            instance(&mut x, &i);
        }
        "StartDBInstance" => {
            let i = engine.start_instance(region, &p.required("DBInstanceIdentifier")?)?;
            instance(&mut x, &i);
        }
        "DeleteDBInstance" => {
            let req = DeleteInstance {
                id: p.required("DBInstanceIdentifier")?,
                skip_final_snapshot: p.bool("SkipFinalSnapshot")?.unwrap_or(false),
                final_snapshot_id: p.string("FinalDBSnapshotIdentifier"),
                delete_automated_backups: p.bool("DeleteAutomatedBackups")?.unwrap_or(true),
            };
            let i = engine.delete_instance(region, req)?;
            instance(&mut x, &i);
        }
        "CreateDBSnapshot" => {
            let s = engine.create_snapshot(
                region,
                &p.required("DBInstanceIdentifier")?,
                &p.required("DBSnapshotIdentifier")?,
                p.tags("Tags")?,
            )?;
            snapshot(&mut x, &s);
        }
        "DescribeDBSnapshots" => {
            let filters = p.filters();
            check_filters(
                &filters,
                &[
                    "db-instance-id",
                    "db-snapshot-id",
                    "dbi-resource-id",
                    "snapshot-type",
                    "engine",
                ],
            )?;
            let list = engine.describe_snapshots(
                region,
                p.str("DBSnapshotIdentifier"),
                p.str("DBInstanceIdentifier"),
                p.str("SnapshotType"),
            )?;
            let rid = p.str("DbiResourceId");
            let list: Vec<Snapshot> = list
                .into_iter()
                .filter(|s| rid.is_none_or(|r| s.resource_id == r))
                .filter(|s| {
                    filter_values(&filters, "db-instance-id").is_none_or(|v| {
                        v.iter().any(|x| {
                            x.eq_ignore_ascii_case(&s.instance_id)
                                || x.ends_with(&format!(":db:{}", s.instance_id))
                        })
                    })
                })
                .filter(|s| {
                    filter_values(&filters, "db-snapshot-id").is_none_or(|v| id_matches(v, &s.id, &s.arn))
                })
                .filter(|s| {
                    filter_values(&filters, "dbi-resource-id").is_none_or(|v| v.contains(&s.resource_id))
                })
                .filter(|s| {
                    filter_values(&filters, "snapshot-type").is_none_or(|v| v.contains(&s.snapshot_type))
                })
                .filter(|s| filter_values(&filters, "engine").is_none_or(|v| v.contains(&s.engine)))
                .collect();
            let (items, marker) = page(p, list)?;
            x.open("DBSnapshots");
            for s in &items {
                snapshot(&mut x, s);
            }
            x.close("DBSnapshots");
            x.opt("Marker", marker.as_deref());
        }
        "DeleteDBSnapshot" => {
            let s = engine.delete_snapshot(region, &p.required("DBSnapshotIdentifier")?)?;
            snapshot(&mut x, &s);
        }
        "CopyDBSnapshot" => {
            let s = engine
                .copy_snapshot(
                    region,
                    &p.required("SourceDBSnapshotIdentifier")?,
                    &p.required("TargetDBSnapshotIdentifier")?,
                    p.tags("Tags")?,
                    p.bool("CopyTags")?.unwrap_or(false),
                    false,
                    p.string("KmsKeyId"),
                )
                .await?;
            snapshot(&mut x, &s);
        }
        "RestoreDBInstanceFromDBSnapshot" => {
            if p.str("DBClusterSnapshotIdentifier").is_some() {
                return Err(RdsError::InvalidParameterValue(
                    "firedrill restores DB cluster snapshots into clusters only: use RestoreDBClusterFromSnapshot.".to_owned(),
                ));
            }
            let req = RestoreSnapshot {
                target_id: p.required("DBInstanceIdentifier")?,
                snapshot_id: p.required("DBSnapshotIdentifier")?,
                settings: p.settings("Port")?,
                tags: p.tags("Tags")?,
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
                copy_tags_to_snapshot: p.bool("CopyTagsToSnapshot")?,
                deletion_protection: p.bool("DeletionProtection")?.unwrap_or(false),
            };
            let i = engine.restore_from_snapshot(region, req)?;
            instance(&mut x, &i);
        }
        "RestoreDBInstanceToPointInTime" => {
            let sources = [
                p.string("SourceDBInstanceIdentifier").map(PitrSource::Instance),
                p.string("SourceDbiResourceId").map(PitrSource::ResourceId),
                p.string("SourceDBInstanceAutomatedBackupsArn")
                    .map(PitrSource::BackupArn),
            ];
            let mut given: Vec<PitrSource> = sources.into_iter().flatten().collect();
            if given.len() != 1 {
                return Err(RdsError::InvalidParameterCombination(
                    "Exactly one of SourceDBInstanceIdentifier, SourceDbiResourceId and SourceDBInstanceAutomatedBackupsArn must be specified.".to_owned(),
                ));
            }
            let req = RestorePitr {
                target_id: p.required("TargetDBInstanceIdentifier")?,
                source: given.remove(0),
                restore_time: p.time("RestoreTime")?,
                use_latest: p.bool("UseLatestRestorableTime")?.unwrap_or(false),
                settings: p.settings("Port")?,
                tags: p.tags("Tags")?,
                retention: p.int("BackupRetentionPeriod")?,
                backup_window: p.string("PreferredBackupWindow"),
                copy_tags_to_snapshot: p.bool("CopyTagsToSnapshot")?,
                deletion_protection: p.bool("DeletionProtection")?.unwrap_or(false),
            };
            let i = engine.restore_to_point_in_time(region, req)?;
            instance(&mut x, &i);
        }
        "DescribeDBInstanceAutomatedBackups" => {
            let filters = p.filters();
            check_filters(&filters, &["status", "db-instance-id", "dbi-resource-id"])?;
            let statuses = filter_values(&filters, "status")
                .map(<[String]>::to_vec)
                .unwrap_or_default();
            let list = engine.describe_automated_backups(
                region,
                p.str("DBInstanceIdentifier"),
                p.str("DbiResourceId"),
                p.str("DBInstanceAutomatedBackupsArn"),
                &statuses,
            )?;
            let list: Vec<AutomatedBackup> = list
                .into_iter()
                .filter(|b| {
                    filter_values(&filters, "db-instance-id")
                        .is_none_or(|v| id_matches(v, &b.instance_id, &b.instance_arn))
                })
                .filter(|b| {
                    filter_values(&filters, "dbi-resource-id").is_none_or(|v| v.contains(&b.resource_id))
                })
                .collect();
            let (items, marker) = page(p, list)?;
            x.open("DBInstanceAutomatedBackups");
            for b in &items {
                automated_backup(&mut x, b);
            }
            x.close("DBInstanceAutomatedBackups");
            x.opt("Marker", marker.as_deref());
        }
        "DeleteDBInstanceAutomatedBackup" => {
            let rid = p.string("DbiResourceId");
            let arn = p.string("DBInstanceAutomatedBackupsArn");
            if rid.is_none() && arn.is_none() {
                return Err(RdsError::InvalidParameterCombination(
                    "One of DbiResourceId and DBInstanceAutomatedBackupsArn must be specified.".to_owned(),
                ));
            }
            let b = engine.delete_automated_backup(region, rid.as_deref(), arn.as_deref())?;
            automated_backup(&mut x, &b);
        }
        "StartDBInstanceAutomatedBackupsReplication" => {
            let b = engine.start_replication(
                region,
                &p.required("SourceDBInstanceArn")?,
                p.int("BackupRetentionPeriod")?,
            )?;
            automated_backup(&mut x, &b);
        }
        "StopDBInstanceAutomatedBackupsReplication" => {
            let b = engine.stop_replication(region, &p.required("SourceDBInstanceArn")?)?;
            automated_backup(&mut x, &b);
        }
        "AddTagsToResource" => {
            engine.add_tags(&p.required("ResourceName")?, p.tags("Tags")?)?;
            return Ok(None);
        }
        "ListTagsForResource" => {
            let tags = engine.list_tags(&p.required("ResourceName")?)?;
            x.tags(&tags);
        }
        "RemoveTagsFromResource" => {
            engine.remove_tags(&p.required("ResourceName")?, &p.list("TagKeys", "member"))?;
            return Ok(None);
        }
        other => {
            // An action firedrill does not serve that names an unknown
            // cluster answers as AWS would: the cluster is not found.
            if CLUSTER_ACTIONS.contains(&other)
                && let Some(id) = p.str("DBClusterIdentifier").filter(|id| !id.is_empty())
            {
                engine.describe_clusters(region, Some(id))?;
            }
            return Err(RdsError::InvalidAction(format!(
                "The action {other} is not valid for this web service, or firedrill does not support it. Supported actions: {}.",
                supported_actions().join(", ")
            )));
        }
    }
    Ok(Some(x.buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_lists_tags_and_filters() {
        let p = Params::decode(
            b"Action=X&Tags.Tag.1.Key=team&Tags.Tag.1.Value=shop&Tags.Tag.2.Key=env&Tags.Tag.2.Value=prod\
&Filters.Filter.1.Name=status&Filters.Filter.1.Values.Value.1=active&Filters.Filter.1.Values.Value.2=retained\
&TagKeys.member.1=a&TagKeys.member.2=b&RestoreTime=2026-03-14T12%3A00%3A01.5Z",
            None,
        );
        assert_eq!(
            p.tags("Tags").unwrap(),
            vec![("team".into(), "shop".into()), ("env".into(), "prod".into())]
        );
        assert_eq!(
            p.filters(),
            vec![(
                "status".to_owned(),
                vec!["active".to_owned(), "retained".to_owned()]
            )]
        );
        assert_eq!(p.list("TagKeys", "member"), vec!["a", "b"]);
        let t = p.time("RestoreTime").unwrap().unwrap();
        assert_eq!(t.timestamp_millis() % 1000, 500);
        assert!(p.bool("Action").is_err());
    }

    #[test]
    fn envelope_escapes_and_wraps() {
        let body = envelope("DescribeDBInstances", Some("<DBInstances/>"), "r<1>");
        assert!(
            body.contains("<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">")
        );
        assert!(body.contains("<DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult>"));
        assert!(body.contains("<RequestId>r&lt;1&gt;</RequestId>"));
        let empty = envelope("AddTagsToResource", None, "r");
        assert!(!empty.contains("Result>"));
    }
}
