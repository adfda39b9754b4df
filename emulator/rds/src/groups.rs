//! DB subnet groups, DB parameter groups, DB cluster parameter groups and
//! option groups, per region, with the defaults RDS has in every account:
//! the `default` subnet group, `default.<family>` parameter groups and
//! `default:<engine>-<major>` option groups. Instances and clusters name
//! their groups; the engine asks [`Store`] to resolve and check those names
//! and whether a group is in use before deleting it.
//!
//! Parameter values are stored and returned; they are not applied to the
//! PostgreSQL servers (firedrill runs every server with the settings its
//! WAL archiving needs). firedrill has no EC2: subnet ids are taken as
//! given (`subnet-` and hex digits) and placed in the region's zones in the
//! order given, and the VPC is the region's default one.

use crate::catalog::{self, EngineVersion};
use crate::errors::RdsError;
use crate::validate;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};

/// The groups an instance belongs to (their names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    pub parameter_group: String,
    pub option_group: String,
    pub subnet_group: String,
}

/// The name of the default DB subnet group.
pub const DEFAULT_SUBNET_GROUP: &str = "default";

/// One subnet of a subnet group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub availability_zone: String,
}

/// A DB subnet group.
#[derive(Debug, Clone)]
pub struct SubnetGroup {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub vpc_id: String,
    pub subnets: Vec<Subnet>,
    pub tags: Vec<(String, String)>,
}

/// Whether a parameter group is for instances or for clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterKind {
    Instance,
    Cluster,
}

/// A DB parameter group or DB cluster parameter group.
#[derive(Debug, Clone)]
pub struct ParameterGroup {
    pub name: String,
    pub arn: String,
    pub family: String,
    pub description: String,
    pub kind: ParameterKind,
    /// Values set by ModifyDB(Cluster)ParameterGroup: name → (value, apply method).
    pub overrides: BTreeMap<String, (String, String)>,
    pub tags: Vec<(String, String)>,
}

/// An option group.
#[derive(Debug, Clone)]
pub struct OptionGroup {
    pub name: String,
    pub arn: String,
    pub engine: String,
    pub major: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
}

/// One parameter as DescribeDBParameters shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: &'static str,
    pub value: Option<String>,
    pub description: &'static str,
    pub source: &'static str,
    pub apply_type: &'static str,
    pub data_type: &'static str,
    pub allowed: &'static str,
    pub modifiable: bool,
    pub apply_method: String,
}

/// One engine default: `(name, default, description, apply type, data
/// type, allowed values, modifiable)`.
type ParameterDefault = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
);

/// The engine defaults of the PostgreSQL families that matter to backups,
/// replication and recovery. RDS lists several hundred parameters;
/// firedrill lists these.
#[rustfmt::skip]
const PARAMETERS: &[ParameterDefault] = &[
    ("archive_timeout", Some("300"), "(s) Forces a switch to the next xlog file if a new file has not been started within N seconds.", "dynamic", "integer", "0-1073741823", false),
    ("autovacuum", Some("1"), "Starts the autovacuum subprocess.", "dynamic", "boolean", "0,1", true),
    ("checkpoint_timeout", Some("300"), "(s) Sets the maximum time between automatic WAL checkpoints.", "dynamic", "integer", "30-86400", true),
    ("full_page_writes", Some("1"), "Writes full pages to WAL when first modified after a checkpoint.", "dynamic", "boolean", "0,1", false),
    ("fsync", Some("1"), "Forces synchronization of updates to disk.", "dynamic", "boolean", "0,1", false),
    ("idle_in_transaction_session_timeout", None, "(ms) Sets the maximum allowed duration of any idling transaction.", "dynamic", "integer", "0-2147483647", true),
    ("log_min_duration_statement", None, "(ms) Sets the minimum execution time above which statements will be logged.", "dynamic", "integer", "-1-2147483647", true),
    ("max_connections", Some("LEAST({DBInstanceClassMemory/9531392},5000)"), "Sets the maximum number of concurrent connections.", "static", "integer", "6-262143", true),
    ("max_replication_slots", Some("20"), "Sets the maximum number of replication slots that the server can support.", "static", "integer", "5-8388607", true),
    ("max_wal_senders", Some("10"), "Sets the maximum number of simultaneously running WAL sender processes.", "static", "integer", "5-8388607", true),
    ("rds.force_ssl", Some("1"), "Force SSL connections.", "dynamic", "boolean", "0,1", true),
    ("rds.logical_replication", Some("0"), "Enables logical decoding.", "static", "boolean", "0,1", true),
    ("shared_buffers", Some("{DBInstanceClassMemory/32768}"), "(8kB) Sets the number of shared memory buffers used by the server.", "static", "integer", "16-1073741823", true),
    ("statement_timeout", None, "(ms) Sets the maximum allowed duration of any statement.", "dynamic", "integer", "0-2147483647", true),
    ("synchronous_commit", Some("on"), "Sets the current transactions synchronization level.", "dynamic", "string", "local,on,off,remote_write,remote_apply", true),
    ("timezone", Some("UTC"), "Sets the time zone for displaying and interpreting time stamps.", "dynamic", "string", "", true),
    ("track_commit_timestamp", Some("0"), "Collects transaction commit time.", "static", "boolean", "0,1", true),
    ("wal_keep_size", Some("2048"), "(MB) Sets the size of WAL files held for standby servers.", "dynamic", "integer", "0-2147483647", true),
];

#[derive(Debug, Default)]
struct RegionGroups {
    subnets: BTreeMap<String, SubnetGroup>,
    parameters: BTreeMap<String, ParameterGroup>,
    cluster_parameters: BTreeMap<String, ParameterGroup>,
    options: BTreeMap<String, OptionGroup>,
}

/// Every region's groups.
#[derive(Debug)]
pub struct Store {
    account: String,
    regions: Mutex<HashMap<String, RegionGroups>>,
}

fn default_vpc(region: &str) -> String {
    let h = region
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("vpc-{h:08x}")
}

fn default_subnets(region: &str) -> Vec<Subnet> {
    ('a'..='f')
        .enumerate()
        .map(|(n, z)| Subnet {
            id: format!("subnet-{:08x}{n:x}", region.len() * 7919 + n),
            availability_zone: format!("{region}{z}"),
        })
        .collect()
}

fn subnet_ids(region: &str, ids: &[String]) -> Result<Vec<Subnet>, RdsError> {
    const ZONES: [char; 6] = ['a', 'b', 'c', 'd', 'e', 'f'];
    let mut out = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let ok = id
            .strip_prefix("subnet-")
            .is_some_and(|h| (8..=17).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            return Err(RdsError::InvalidSubnet(format!(
                "The subnet ID '{id}' does not exist"
            )));
        }
        if out.iter().any(|s: &Subnet| &s.id == id) {
            continue;
        }
        out.push(Subnet {
            id: id.clone(),
            availability_zone: format!("{region}{}", ZONES.get(n % ZONES.len()).unwrap_or(&'a')),
        });
    }
    let mut azs: Vec<&str> = out.iter().map(|s| s.availability_zone.as_str()).collect();
    azs.dedup();
    if azs.len() < 2 {
        return Err(RdsError::DBSubnetGroupDoesNotCoverEnoughAZs(format!(
            "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: {}. Add subnets to cover at least 2 AZs.",
            azs.join(", ")
        )));
    }
    Ok(out)
}

/// `default.<family>` for a family of the catalog.
fn default_parameter_family(name: &str, kind: ParameterKind) -> Option<String> {
    let family = name.strip_prefix("default.")?;
    let engine = catalog::family_engine(family)?;
    let ok = match kind {
        ParameterKind::Instance => true,
        ParameterKind::Cluster => catalog::is_aurora(engine),
    };
    ok.then(|| family.to_owned())
}

/// The name of the default option group of an engine major
/// (`default:postgres-16`, `default:mysql-8-0`).
pub fn default_option_group_name(engine: &str, major: &str) -> String {
    format!("default:{engine}-{}", major.replace('.', "-"))
}

/// The engine and major a default option group name stands for.
fn default_option_group(name: &str) -> Option<(String, String)> {
    catalog::engine_versions(None)
        .into_iter()
        .find(|v| default_option_group_name(v.engine, v.major()) == name)
        .map(|v| (v.engine.to_owned(), v.major().to_owned()))
}

/// Whether an engine's instances have option groups of their own (Aurora's
/// do not).
fn has_option_groups(engine: &str) -> bool {
    matches!(engine, catalog::POSTGRES | catalog::MYSQL | catalog::MARIADB)
}

impl Store {
    /// An empty store for `account`.
    pub fn new(account: &str) -> Self {
        Self {
            account: account.to_owned(),
            regions: Mutex::new(HashMap::new()),
        }
    }

    fn arn(&self, region: &str, kind: &str, name: &str) -> String {
        format!("arn:aws:rds:{region}:{}:{kind}:{name}", self.account)
    }

    fn with<T>(&self, region: &str, f: impl FnOnce(&mut RegionGroups) -> T) -> T {
        let mut regions = self.regions.lock();
        f(regions.entry(region.to_owned()).or_default())
    }

    /// Forgets every group (the admin reset).
    pub fn reset(&self) {
        self.regions.lock().clear();
    }

    /// The groups an instance of `version` gets from the names a request
    /// gives (each optional), checked to exist.
    pub fn resolve(
        &self,
        region: &str,
        parameter_group: Option<&str>,
        option_group: Option<&str>,
        subnet_group: Option<&str>,
        version: &EngineVersion,
    ) -> Result<Groups, RdsError> {
        let parameter_group = match parameter_group {
            None => version.default_parameter_group(),
            Some(name) => {
                let g = self.parameter_group(region, name, ParameterKind::Instance)?;
                if g.family != version.family {
                    return Err(RdsError::InvalidParameterCombination(format!(
                        "The parameter group {name} with DBParameterGroupFamily {} can't be used for this instance. Use a parameter group with DBParameterGroupFamily {}.",
                        g.family, version.family
                    )));
                }
                g.name
            }
        };
        let option_group = match option_group {
            None => default_option_group_name(version.engine, version.major()),
            Some(name) => {
                let g = self.option_group(region, name)?;
                if g.engine != version.engine || g.major != version.major() {
                    return Err(RdsError::InvalidParameterCombination(format!(
                        "The option group {name} is for {} {} and can't be used with {} {}.",
                        g.engine, g.major, version.engine, version.version
                    )));
                }
                g.name
            }
        };
        let subnet_group = match subnet_group {
            None => DEFAULT_SUBNET_GROUP.to_owned(),
            Some(name) => self.subnet_group(region, name)?.name,
        };
        Ok(Groups {
            parameter_group,
            option_group,
            subnet_group,
        })
    }

    /// The cluster parameter group a cluster of `version` gets.
    pub fn resolve_cluster(
        &self,
        region: &str,
        name: Option<&str>,
        version: &EngineVersion,
    ) -> Result<String, RdsError> {
        match name {
            None => Ok(version.default_parameter_group()),
            Some(name) => {
                let g = self
                    .parameter_group(region, name, ParameterKind::Cluster)
                    .map_err(|_| {
                        RdsError::DBClusterParameterGroupNotFound(format!(
                            "DBClusterParameterGroup not found: {name}"
                        ))
                    })?;
                if g.family != version.family {
                    return Err(RdsError::InvalidParameterCombination(format!(
                        "The cluster parameter group {name} has family {} but the cluster needs {}.",
                        g.family, version.family
                    )));
                }
                Ok(g.name)
            }
        }
    }

    // ----- subnet groups -----

    fn default_subnet_group(&self, region: &str) -> SubnetGroup {
        SubnetGroup {
            name: DEFAULT_SUBNET_GROUP.to_owned(),
            arn: self.arn(region, "subgrp", DEFAULT_SUBNET_GROUP),
            description: "default".to_owned(),
            vpc_id: default_vpc(region),
            subnets: default_subnets(region),
            tags: Vec::new(),
        }
    }

    /// One subnet group (the default one included).
    pub fn subnet_group(&self, region: &str, name: &str) -> Result<SubnetGroup, RdsError> {
        if name.eq_ignore_ascii_case(DEFAULT_SUBNET_GROUP) {
            return Ok(self.default_subnet_group(region));
        }
        let key = name.to_ascii_lowercase();
        self.with(region, |r| r.subnets.get(&key).cloned())
            .ok_or_else(|| RdsError::subnet_group_not_found(name))
    }

    /// Every subnet group of `region`, the default first.
    pub fn subnet_groups(&self, region: &str) -> Vec<SubnetGroup> {
        let mut out = vec![self.default_subnet_group(region)];
        out.extend(self.with(region, |r| r.subnets.values().cloned().collect::<Vec<_>>()));
        out
    }

    /// CreateDBSubnetGroup.
    pub fn create_subnet_group(
        &self,
        region: &str,
        name: &str,
        description: &str,
        ids: &[String],
        tags: Vec<(String, String)>,
    ) -> Result<SubnetGroup, RdsError> {
        let key = subnet_group_name(name)?;
        let subnets = subnet_ids(region, ids)?;
        let group = SubnetGroup {
            name: key.clone(),
            arn: self.arn(region, "subgrp", &key),
            description: description.to_owned(),
            vpc_id: default_vpc(region),
            subnets,
            tags,
        };
        self.with(region, |r| {
            if key == DEFAULT_SUBNET_GROUP || r.subnets.contains_key(&key) {
                return Err(RdsError::DBSubnetGroupAlreadyExists(format!(
                    "The DB subnet group '{key}' already exists."
                )));
            }
            r.subnets.insert(key.clone(), group.clone());
            Ok(group)
        })
    }

    /// ModifyDBSubnetGroup.
    pub fn modify_subnet_group(
        &self,
        region: &str,
        name: &str,
        description: Option<&str>,
        ids: &[String],
    ) -> Result<SubnetGroup, RdsError> {
        if name.eq_ignore_ascii_case(DEFAULT_SUBNET_GROUP) {
            return Err(RdsError::InvalidParameterValue(
                "The default DB subnet group cannot be modified.".to_owned(),
            ));
        }
        let subnets = subnet_ids(region, ids)?;
        let key = name.to_ascii_lowercase();
        self.with(region, |r| {
            let g = r
                .subnets
                .get_mut(&key)
                .ok_or_else(|| RdsError::subnet_group_not_found(name))?;
            g.subnets = subnets;
            if let Some(d) = description {
                g.description = d.to_owned();
            }
            Ok(g.clone())
        })
    }

    /// DeleteDBSubnetGroup (`in_use`: an instance still names it).
    pub fn delete_subnet_group(&self, region: &str, name: &str, in_use: bool) -> Result<(), RdsError> {
        if name.eq_ignore_ascii_case(DEFAULT_SUBNET_GROUP) {
            return Err(RdsError::InvalidParameterValue(
                "The default DB subnet group cannot be deleted.".to_owned(),
            ));
        }
        let key = name.to_ascii_lowercase();
        self.with(region, |r| {
            if !r.subnets.contains_key(&key) {
                return Err(RdsError::subnet_group_not_found(name));
            }
            if in_use {
                return Err(RdsError::InvalidDBSubnetGroupState(format!(
                    "Cannot delete the subnet group '{key}' because at least one database instance: is still using it."
                )));
            }
            r.subnets.remove(&key);
            Ok(())
        })
    }

    // ----- parameter groups -----

    fn map(r: &mut RegionGroups, kind: ParameterKind) -> &mut BTreeMap<String, ParameterGroup> {
        match kind {
            ParameterKind::Instance => &mut r.parameters,
            ParameterKind::Cluster => &mut r.cluster_parameters,
        }
    }

    fn default_parameter_group(&self, region: &str, family: &str, kind: ParameterKind) -> ParameterGroup {
        let name = format!("default.{family}");
        let (arn_kind, what) = match kind {
            ParameterKind::Instance => ("pg", "DB"),
            ParameterKind::Cluster => ("cluster-pg", "DB cluster"),
        };
        ParameterGroup {
            arn: self.arn(region, arn_kind, &name),
            name,
            family: family.to_owned(),
            description: format!("Default {what} parameter group for {family}"),
            kind,
            overrides: BTreeMap::new(),
            tags: Vec::new(),
        }
    }

    fn not_found(kind: ParameterKind, name: &str) -> RdsError {
        match kind {
            ParameterKind::Instance => RdsError::parameter_group_not_found(name),
            ParameterKind::Cluster => RdsError::cluster_parameter_group_not_found(name),
        }
    }

    /// One parameter group (the defaults included).
    pub fn parameter_group(
        &self,
        region: &str,
        name: &str,
        kind: ParameterKind,
    ) -> Result<ParameterGroup, RdsError> {
        let key = name.to_ascii_lowercase();
        if let Some(family) = default_parameter_family(&key, kind) {
            return Ok(self.default_parameter_group(region, &family, kind));
        }
        self.with(region, |r| Self::map(r, kind).get(&key).cloned())
            .ok_or_else(|| Self::not_found(kind, name))
    }

    /// Every parameter group of a kind: the defaults of each family, then
    /// the account's own.
    pub fn parameter_groups(&self, region: &str, kind: ParameterKind) -> Vec<ParameterGroup> {
        let mut out: Vec<ParameterGroup> = catalog::families()
            .iter()
            .filter(|f| {
                kind == ParameterKind::Instance || catalog::family_engine(f).is_some_and(catalog::is_aurora)
            })
            .map(|f| self.default_parameter_group(region, f, kind))
            .collect();
        out.extend(self.with(region, |r| {
            Self::map(r, kind).values().cloned().collect::<Vec<_>>()
        }));
        out
    }

    /// CreateDB(Cluster)ParameterGroup.
    pub fn create_parameter_group(
        &self,
        region: &str,
        kind: ParameterKind,
        name: &str,
        family: &str,
        description: &str,
        tags: Vec<(String, String)>,
    ) -> Result<ParameterGroup, RdsError> {
        let param = match kind {
            ParameterKind::Instance => "DBParameterGroupName",
            ParameterKind::Cluster => "DBClusterParameterGroupName",
        };
        let key = validate::identifier(param, name)?;
        let engine = catalog::family_engine(family).ok_or_else(|| {
            RdsError::InvalidParameterValue(format!(
                "ParameterGroupFamily {family} is not a valid parameter group family"
            ))
        })?;
        if kind == ParameterKind::Cluster && !catalog::is_aurora(engine) {
            return Err(RdsError::InvalidParameterValue(format!(
                "The parameter DBParameterGroupFamily {family} is not a valid cluster parameter group family: cluster parameter groups are for aurora-postgresql and aurora-mysql."
            )));
        }
        let arn_kind = match kind {
            ParameterKind::Instance => "pg",
            ParameterKind::Cluster => "cluster-pg",
        };
        let group = ParameterGroup {
            arn: self.arn(region, arn_kind, &key),
            name: key.clone(),
            family: family.to_owned(),
            description: description.to_owned(),
            kind,
            overrides: BTreeMap::new(),
            tags,
        };
        self.with(region, |r| {
            let map = Self::map(r, kind);
            if default_parameter_family(&key, kind).is_some() || map.contains_key(&key) {
                return Err(RdsError::DBParameterGroupAlreadyExists(format!(
                    "Parameter group {key} already exists"
                )));
            }
            map.insert(key.clone(), group.clone());
            Ok(group)
        })
    }

    /// DeleteDB(Cluster)ParameterGroup (`in_use`: an instance or cluster
    /// still names it).
    pub fn delete_parameter_group(
        &self,
        region: &str,
        kind: ParameterKind,
        name: &str,
        in_use: bool,
    ) -> Result<(), RdsError> {
        let key = name.to_ascii_lowercase();
        if default_parameter_family(&key, kind).is_some() {
            return Err(RdsError::InvalidDBParameterGroupState(format!(
                "Default parameter group {key} cannot be deleted."
            )));
        }
        self.with(region, |r| {
            let map = Self::map(r, kind);
            if !map.contains_key(&key) {
                return Err(Self::not_found(kind, name));
            }
            if in_use {
                return Err(RdsError::InvalidDBParameterGroupState(format!(
                    "One or more database instances are still members of this parameter group {key}, so the group cannot be deleted"
                )));
            }
            map.remove(&key);
            Ok(())
        })
    }

    /// ModifyDB(Cluster)ParameterGroup / ResetDB(Cluster)ParameterGroup:
    /// `changes` are `(name, value, apply method)`; `reset` drops the named
    /// overrides (all when `changes` is empty and `reset_all`).
    pub fn modify_parameter_group(
        &self,
        region: &str,
        kind: ParameterKind,
        name: &str,
        changes: &[(String, Option<String>, Option<String>)],
        reset: bool,
        reset_all: bool,
    ) -> Result<String, RdsError> {
        let key = name.to_ascii_lowercase();
        if default_parameter_family(&key, kind).is_some() {
            return Err(RdsError::InvalidParameterValue(format!(
                "Default parameter group {key} cannot be modified."
            )));
        }
        if !reset && changes.is_empty() {
            return Err(RdsError::MissingParameter(
                "The request must contain the parameter Parameters".to_owned(),
            ));
        }
        if changes.len() > 20 {
            return Err(RdsError::InvalidParameterValue(
                "You can modify up to 20 parameters in a single request.".to_owned(),
            ));
        }
        let mut checked = Vec::new();
        for (pname, value, method) in changes {
            let Some(def) = PARAMETERS.iter().find(|p| p.0 == pname) else {
                return Err(RdsError::InvalidParameterValue(format!(
                    "Could not find parameter with name: {pname}"
                )));
            };
            if !reset && !def.6 {
                return Err(RdsError::InvalidParameterValue(format!(
                    "The parameter {pname} cannot be modified."
                )));
            }
            let method = method.clone().unwrap_or_else(|| "pending-reboot".to_owned());
            validate::one_of("ApplyMethod", Some(&method), &["immediate", "pending-reboot"])?;
            if !reset && def.3 == "static" && method == "immediate" {
                return Err(RdsError::InvalidParameterCombination(format!(
                    "cannot use immediate apply method for static parameter {pname}"
                )));
            }
            if !reset {
                let v = value.clone().ok_or_else(|| {
                    RdsError::InvalidParameterValue(format!("A value is required for parameter {pname}."))
                })?;
                allowed_value(def, &v)?;
                checked.push((pname.clone(), Some(v), method));
            } else {
                checked.push((pname.clone(), None, method));
            }
        }
        self.with(region, |r| {
            let g = Self::map(r, kind)
                .get_mut(&key)
                .ok_or_else(|| Self::not_found(kind, name))?;
            if reset_all {
                g.overrides.clear();
            }
            for (pname, value, method) in checked {
                match value {
                    Some(v) => {
                        g.overrides.insert(pname, (v, method));
                    }
                    None => {
                        g.overrides.remove(&pname);
                    }
                }
            }
            Ok(g.name.clone())
        })
    }

    /// The parameters of a group: the engine defaults with its overrides;
    /// `source` filters on `engine-default`, `system` or `user`.
    pub fn parameters(
        &self,
        region: &str,
        kind: ParameterKind,
        name: &str,
        source: Option<&str>,
    ) -> Result<Vec<Parameter>, RdsError> {
        validate::one_of("Source", source, &["user", "system", "engine-default"])?;
        let g = self.parameter_group(region, name, kind)?;
        Ok(defaults()
            .into_iter()
            .map(|mut p| {
                if let Some((v, m)) = g.overrides.get(p.name) {
                    p.value = Some(v.clone());
                    p.apply_method = m.clone();
                    p.source = "user";
                }
                p
            })
            .filter(|p| source.is_none_or(|s| s == p.source))
            .collect())
    }

    // ----- option groups -----

    fn default_option(&self, region: &str, engine: &str, major: &str) -> OptionGroup {
        let name = default_option_group_name(engine, major);
        OptionGroup {
            arn: self.arn(region, "og", &name),
            description: format!("Default option group for {engine} {major}"),
            name,
            engine: engine.to_owned(),
            major: major.to_owned(),
            tags: Vec::new(),
        }
    }

    /// One option group (the defaults included).
    pub fn option_group(&self, region: &str, name: &str) -> Result<OptionGroup, RdsError> {
        let key = name.to_ascii_lowercase();
        if let Some((engine, major)) = default_option_group(&key) {
            return Ok(self.default_option(region, &engine, &major));
        }
        self.with(region, |r| r.options.get(&key).cloned())
            .ok_or_else(|| RdsError::option_group_not_found(name))
    }

    /// Every option group: each engine major's default, then the account's.
    pub fn option_groups(&self, region: &str) -> Vec<OptionGroup> {
        let mut majors: Vec<(&str, &str)> = catalog::engine_versions(None)
            .iter()
            .map(|v| (v.engine, v.major()))
            .collect();
        majors.dedup();
        let mut out: Vec<OptionGroup> = majors
            .into_iter()
            .filter(|(e, _)| has_option_groups(e))
            .map(|(e, m)| self.default_option(region, e, m))
            .collect();
        out.extend(self.with(region, |r| r.options.values().cloned().collect::<Vec<_>>()));
        out
    }

    /// CreateOptionGroup.
    pub fn create_option_group(
        &self,
        region: &str,
        name: &str,
        engine: &str,
        major: &str,
        description: &str,
        tags: Vec<(String, String)>,
    ) -> Result<OptionGroup, RdsError> {
        let key = validate::identifier("OptionGroupName", name)?;
        if !has_option_groups(engine) {
            return Err(RdsError::InvalidParameterValue(format!(
                "Invalid DB engine: {engine}. firedrill's option groups are for postgres, mysql and mariadb."
            )));
        }
        if !catalog::engine_versions(Some(engine))
            .iter()
            .any(|v| v.major() == major)
        {
            return Err(RdsError::InvalidParameterCombination(format!(
                "Cannot find major version {major} for {engine}"
            )));
        }
        let group = OptionGroup {
            arn: self.arn(region, "og", &key),
            name: key.clone(),
            engine: engine.to_owned(),
            major: major.to_owned(),
            description: description.to_owned(),
            tags,
        };
        self.with(region, |r| {
            if r.options.contains_key(&key) {
                return Err(RdsError::OptionGroupAlreadyExists(format!(
                    "Option group {key} already exists."
                )));
            }
            r.options.insert(key.clone(), group.clone());
            Ok(group)
        })
    }

    /// DeleteOptionGroup (`in_use`: an instance or snapshot still names it).
    pub fn delete_option_group(&self, region: &str, name: &str, in_use: bool) -> Result<(), RdsError> {
        let key = name.to_ascii_lowercase();
        if default_option_group(&key).is_some() {
            return Err(RdsError::InvalidOptionGroupState(format!(
                "Default option group {key} cannot be deleted."
            )));
        }
        self.with(region, |r| {
            if !r.options.contains_key(&key) {
                return Err(RdsError::option_group_not_found(name));
            }
            if in_use {
                return Err(RdsError::InvalidOptionGroupState(format!(
                    "The option group {key} cannot be deleted because it is in use."
                )));
            }
            r.options.remove(&key);
            Ok(())
        })
    }

    /// The tags of a group named by its ARN kind (`subgrp`, `pg`,
    /// `cluster-pg`, `og`), for the tagging operations.
    pub fn tags_mut<T>(
        &self,
        region: &str,
        kind: &str,
        name: &str,
        f: impl FnOnce(&mut Vec<(String, String)>) -> T,
    ) -> Option<T> {
        self.with(region, |r| {
            let tags = match kind {
                "subgrp" => r.subnets.get_mut(name).map(|g| &mut g.tags),
                "pg" => r.parameters.get_mut(name).map(|g| &mut g.tags),
                "cluster-pg" => r.cluster_parameters.get_mut(name).map(|g| &mut g.tags),
                "og" => r.options.get_mut(name).map(|g| &mut g.tags),
                _ => None,
            };
            tags.map(f)
        })
    }
}

/// A subnet group name: 1 to 255 letters, digits, spaces, periods,
/// underscores and hyphens, not `default`; lowercased as RDS stores it.
fn subnet_group_name(name: &str) -> Result<String, RdsError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-".contains(c));
    if !ok {
        return Err(RdsError::InvalidParameterValue(
            "The parameter DBSubnetGroupName is not a valid identifier: it must contain 1 to 255 letters, numbers, spaces, periods, underscores or hyphens.".to_owned(),
        ));
    }
    Ok(name.to_ascii_lowercase())
}

fn defaults() -> Vec<Parameter> {
    PARAMETERS
        .iter()
        .map(
            |&(name, value, description, apply_type, data_type, allowed, modifiable)| Parameter {
                name,
                value: value.map(str::to_owned),
                description,
                source: if modifiable { "engine-default" } else { "system" },
                apply_type,
                data_type,
                allowed,
                modifiable,
                apply_method: "pending-reboot".to_owned(),
            },
        )
        .collect()
}

fn allowed_value(def: &ParameterDefault, value: &str) -> Result<(), RdsError> {
    let (name, _, _, _, data_type, allowed, _) = *def;
    let bad = || {
        RdsError::InvalidParameterValue(format!(
            "Value: {value} is outside of range: {allowed} for parameter: {name}"
        ))
    };
    match data_type {
        "boolean" | "string" if !allowed.is_empty() && !allowed.split(',').any(|a| a == value) => {
            return Err(bad());
        }
        "integer" => {
            let v: i64 = value.parse().map_err(|_| bad())?;
            let (lo, hi) = match allowed.strip_prefix('-') {
                Some(rest) => {
                    let (a, b) = rest.split_once('-').ok_or_else(bad)?;
                    (
                        -a.parse::<i64>().map_err(|_| bad())?,
                        b.parse::<i64>().map_err(|_| bad())?,
                    )
                }
                None => {
                    let (a, b) = allowed.split_once('-').ok_or_else(bad)?;
                    (
                        a.parse::<i64>().map_err(|_| bad())?,
                        b.parse::<i64>().map_err(|_| bad())?,
                    )
                }
            };
            if !(lo..=hi).contains(&v) {
                return Err(bad());
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve_and_custom_groups_are_checked() {
        let s = Store::new("000000000000");
        let v = catalog::resolve_version(catalog::POSTGRES, Some("16.9")).unwrap();
        let g = s.resolve("us-east-1", None, None, None, &v).unwrap();
        assert_eq!(g.parameter_group, "default.postgres16");
        assert_eq!(g.option_group, "default:postgres-16");
        assert_eq!(g.subnet_group, "default");
        assert_eq!(
            s.resolve("us-east-1", Some("nope"), None, None, &v)
                .unwrap_err()
                .code(),
            "DBParameterGroupNotFound"
        );
        s.create_parameter_group(
            "us-east-1",
            ParameterKind::Instance,
            "shop-pg",
            "postgres15",
            "d",
            Vec::new(),
        )
        .unwrap();
        assert_eq!(
            s.resolve("us-east-1", Some("shop-pg"), None, None, &v)
                .unwrap_err()
                .code(),
            "InvalidParameterCombination"
        );
        let changes = [("rds.logical_replication".to_owned(), Some("1".to_owned()), None)];
        s.modify_parameter_group(
            "us-east-1",
            ParameterKind::Instance,
            "shop-pg",
            &changes,
            false,
            false,
        )
        .unwrap();
        let p = s
            .parameters("us-east-1", ParameterKind::Instance, "shop-pg", Some("user"))
            .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].value.as_deref(), Some("1"));
        let bad = [("rds.logical_replication".to_owned(), Some("7".to_owned()), None)];
        assert!(
            s.modify_parameter_group(
                "us-east-1",
                ParameterKind::Instance,
                "shop-pg",
                &bad,
                false,
                false
            )
            .is_err()
        );
        assert!(subnet_ids("us-east-1", &["subnet-0123456789".to_owned()]).is_err());
        assert_eq!(
            subnet_ids("us-east-1", &["bad".to_owned(), "subnet-01234567".to_owned()])
                .unwrap_err()
                .code(),
            "InvalidSubnet"
        );
    }
}
