//! The Query actions that describe what RDS offers and what the account may
//! use: DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions
//! (from [`crate::catalog`], the same table validation checks against) and
//! DescribeAccountAttributes (RDS's default quotas with this region's use).

use super::{Params, Xml, check_filters, filter_values, page};
use crate::catalog::{self, EngineVersion};
use crate::engine::Engine;
use crate::errors::RdsError;
use crate::groups::ParameterKind;

/// The actions this module serves.
pub const ACTIONS: &[&str] = &[
    "DescribeDBEngineVersions",
    "DescribeOrderableDBInstanceOptions",
    "DescribeAccountAttributes",
];

/// Runs `action` when it is one of this module's, else `None`.
pub fn dispatch(
    engine: &Engine,
    region: &str,
    action: &str,
    p: &Params,
) -> Option<Result<Option<String>, RdsError>> {
    ACTIONS.contains(&action).then(|| match action {
        "DescribeDBEngineVersions" => engine_versions(p),
        "DescribeOrderableDBInstanceOptions" => orderable(region, p),
        _ => account_attributes(engine, region),
    })
}

fn engine_version(x: &mut Xml, v: &EngineVersion, all: &[EngineVersion]) {
    x.open("DBEngineVersion");
    x.text("Engine", v.engine);
    x.text("MajorEngineVersion", v.major());
    x.text("EngineVersion", v.version);
    x.text("DBParameterGroupFamily", &v.family);
    let description = match v.engine {
        catalog::POSTGRES => "PostgreSQL",
        catalog::AURORA_POSTGRES => "Aurora (PostgreSQL Compatible)",
        catalog::MYSQL => "MySQL Community Edition",
        catalog::MARIADB => "MariaDB Community Edition",
        _ => "Aurora MySQL",
    };
    x.text("DBEngineDescription", description);
    x.text(
        "DBEngineVersionDescription",
        &format!("{description} {}", v.version),
    );
    x.open("ValidUpgradeTarget");
    for t in all
        .iter()
        .filter(|t| t.engine == v.engine && newer(t.version, v.version))
    {
        x.open("UpgradeTarget");
        x.text("Engine", t.engine);
        x.text("EngineVersion", t.version);
        x.text("Description", &format!("{description} {}", t.version));
        x.bool("AutoUpgrade", false);
        x.bool("IsMajorVersionUpgrade", t.major() != v.major());
        x.close("UpgradeTarget");
    }
    x.close("ValidUpgradeTarget");
    x.open("ExportableLogTypes");
    let logs: &[&str] = if catalog::is_mysql_family(v.engine) {
        &["audit", "error", "general", "slowquery"]
    } else {
        &["postgresql", "upgrade"]
    };
    for l in logs {
        x.text("member", l);
    }
    x.close("ExportableLogTypes");
    x.bool("SupportsLogExportsToCloudwatchLogs", true);
    x.bool("SupportsReadReplica", true);
    x.open("SupportedEngineModes");
    x.text("member", "provisioned");
    x.close("SupportedEngineModes");
    x.text("Status", "available");
    x.bool("SupportsParallelQuery", false);
    x.bool("SupportsGlobalDatabases", catalog::is_aurora(v.engine));
    x.bool("SupportsBabelfish", false);
    x.bool("SupportsLimitlessDatabase", false);
    x.bool("SupportsCertificateRotationWithoutRestart", true);
    x.bool("SupportsIntegrations", false);
    x.close("DBEngineVersion");
}

/// Whether version `a` is newer than `b`, comparing their numbers in
/// order (`16.9` < `17.4`, `8.0.mysql_aurora.3.07.1` < `…3.08.0`).
fn newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u32> {
        v.split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap_or(0))
            .collect()
    };
    parse(a) > parse(b)
}

fn engine_versions(p: &Params) -> Result<Option<String>, RdsError> {
    let filters = p.filters();
    check_filters(&filters, &["engine", "engine-version", "status", "engine-mode"])?;
    let all = catalog::engine_versions(None);
    let engine = p.str("Engine");
    if let Some(e) = engine
        && !catalog::AWS_ENGINES.contains(&e)
    {
        return Err(RdsError::InvalidParameterValue(format!(
            "Unrecognized engine name: {e}"
        )));
    }
    let version = p.str("EngineVersion");
    let family = p.str("DBParameterGroupFamily");
    let default_only = p.bool("DefaultOnly")?.unwrap_or(false);
    let list: Vec<EngineVersion> = all
        .iter()
        .filter(|v| engine.is_none_or(|e| v.engine == e))
        .filter(|v| version.is_none_or(|x| v.version == x || (!x.contains('.') && v.major() == x)))
        .filter(|v| family.is_none_or(|f| v.family == f))
        .filter(|v| filter_values(&filters, "engine").is_none_or(|f| f.iter().any(|e| e == v.engine)))
        .filter(|v| {
            filter_values(&filters, "engine-version").is_none_or(|f| f.iter().any(|e| e == v.version))
        })
        .filter(|_| filter_values(&filters, "status").is_none_or(|f| f.iter().any(|s| s == "available")))
        .filter(|_| {
            filter_values(&filters, "engine-mode").is_none_or(|f| f.iter().any(|s| s == "provisioned"))
        })
        .cloned()
        .collect();
    // DefaultOnly answers the engine's default version, or with a major
    // version the newest minor of that major.
    let list: Vec<EngineVersion> = match (default_only, version) {
        (false, _) => list,
        (true, None) => list.into_iter().filter(|v| v.is_default).collect(),
        (true, Some(_)) => list
            .into_iter()
            .filter(|v| v.version == newest_of(&all, v.engine, v.major()))
            .collect(),
    };
    let (items, marker) = page(p, list)?;
    let mut x = Xml::default();
    x.open("DBEngineVersions");
    for v in &items {
        engine_version(&mut x, v, &all);
    }
    x.close("DBEngineVersions");
    x.opt("Marker", marker.as_deref());
    Ok(Some(x.into_string()))
}

fn newest_of<'a>(all: &'a [EngineVersion], engine: &str, major: &str) -> &'a str {
    all.iter()
        .filter(|v| v.engine == engine && v.major() == major)
        .map(|v| v.version)
        .next_back()
        .unwrap_or_default()
}

/// One orderable row: engine, version, class and storage type.
#[derive(Debug, Clone)]
struct Orderable {
    engine: &'static str,
    version: &'static str,
    class: String,
    storage: &'static str,
}

fn orderable(region: &str, p: &Params) -> Result<Option<String>, RdsError> {
    let engine = p.required("Engine")?;
    check_filters(&p.filters(), &[])?;
    let version = p.str("EngineVersion");
    let class = p.str("DBInstanceClass");
    let license = p.str("LicenseModel");
    if p.bool("Vpc")? == Some(false) || license.is_some_and(|l| l != catalog::license(&engine)) {
        return page_orderable(region, p, Vec::new());
    }
    let storages: &[&'static str] = if catalog::is_aurora(&engine) {
        &["aurora", "aurora-iopt1"]
    } else {
        catalog::STORAGE_TYPES
    };
    let mut rows = Vec::new();
    for v in catalog::engine_versions(Some(&engine)) {
        if version.is_some_and(|x| x != v.version) {
            continue;
        }
        for c in catalog::instance_classes(v.engine) {
            if class.is_some_and(|x| x != c) {
                continue;
            }
            for s in storages {
                rows.push(Orderable {
                    engine: v.engine,
                    version: v.version,
                    class: c.clone(),
                    storage: s,
                });
            }
        }
    }
    page_orderable(region, p, rows)
}

fn page_orderable(region: &str, p: &Params, rows: Vec<Orderable>) -> Result<Option<String>, RdsError> {
    let (items, marker) = page(p, rows)?;
    let mut x = Xml::default();
    x.open("OrderableDBInstanceOptions");
    for o in &items {
        x.open("OrderableDBInstanceOption");
        x.text("Engine", o.engine);
        x.text("EngineVersion", o.version);
        x.text("DBInstanceClass", &o.class);
        x.text("LicenseModel", catalog::license(o.engine));
        x.open("AvailabilityZones");
        for z in ['a', 'b', 'c'] {
            x.open("AvailabilityZone");
            x.text("Name", &format!("{region}{z}"));
            x.close("AvailabilityZone");
        }
        x.close("AvailabilityZones");
        x.bool("MultiAZCapable", true);
        x.bool("ReadReplicaCapable", true);
        x.bool("Vpc", true);
        x.bool("SupportsStorageEncryption", true);
        x.text("StorageType", o.storage);
        let provisioned = matches!(o.storage, "io1" | "io2" | "gp3");
        x.bool("SupportsIops", provisioned);
        x.bool("SupportsStorageThroughput", o.storage == "gp3");
        x.bool("SupportsEnhancedMonitoring", true);
        x.bool("SupportsIAMDatabaseAuthentication", true);
        x.bool("SupportsPerformanceInsights", true);
        if !catalog::is_aurora(o.engine) {
            let (min, max) = catalog::storage_range(o.storage);
            x.num("MinStorageSize", min);
            x.num("MaxStorageSize", max);
            if matches!(o.storage, "io1" | "io2") {
                x.num("MinIopsPerDbInstance", 1000);
                x.num("MaxIopsPerDbInstance", 256_000);
                x.num("MinIopsPerGib", "0.5");
                x.num("MaxIopsPerGib", "50.0");
            }
        }
        x.open("SupportedEngineModes");
        x.text("member", "provisioned");
        x.close("SupportedEngineModes");
        x.bool("SupportsStorageAutoscaling", !catalog::is_aurora(o.engine));
        x.bool("SupportsKerberosAuthentication", true);
        x.bool("OutpostCapable", false);
        x.bool("SupportsGlobalDatabases", catalog::is_aurora(o.engine));
        x.open("SupportedNetworkTypes");
        x.text("member", "IPV4");
        x.text("member", "DUAL");
        x.close("SupportedNetworkTypes");
        x.bool("SupportsClusters", catalog::is_aurora(o.engine));
        x.bool("SupportsDedicatedLogVolume", false);
        x.bool("SupportsHttpEndpoint", false);
        x.close("OrderableDBInstanceOption");
    }
    x.close("OrderableDBInstanceOptions");
    x.opt("Marker", marker.as_deref());
    Ok(Some(x.into_string()))
}

/// RDS's default quotas per region, with what this region uses.
fn account_attributes(engine: &Engine, region: &str) -> Result<Option<String>, RdsError> {
    let usage = engine.usage(region);
    let groups = engine.groups();
    let own = |n: usize, defaults: usize| n.saturating_sub(defaults) as i64;
    let subnet_groups = own(groups.subnet_groups(region).len(), 1);
    let families = catalog::families().len();
    let aurora_families = catalog::families()
        .iter()
        .filter(|f| catalog::family_engine(f).is_some_and(catalog::is_aurora))
        .count();
    let parameter_groups = own(
        groups.parameter_groups(region, ParameterKind::Instance).len(),
        families,
    );
    let cluster_parameter_groups = own(
        groups.parameter_groups(region, ParameterKind::Cluster).len(),
        aurora_families,
    );
    let option_defaults = groups
        .option_groups(region)
        .iter()
        .filter(|g| g.name.starts_with("default:"))
        .count();
    let option_groups = own(groups.option_groups(region).len(), option_defaults);
    let quotas: [(&str, i64, i64); 17] = [
        ("DBInstances", usage.instances, 40),
        ("ReservedDBInstances", 0, 40),
        ("AllocatedStorage", usage.allocated_storage, 100_000),
        ("DBSecurityGroups", 0, 25),
        ("AuthorizationsPerDBSecurityGroup", 0, 20),
        ("DBParameterGroups", parameter_groups, 50),
        ("ManualSnapshots", usage.manual_snapshots, 100),
        ("EventSubscriptions", 0, 20),
        ("DBSubnetGroups", subnet_groups, 50),
        ("OptionGroups", option_groups, 20),
        ("SubnetsPerDBSubnetGroup", 0, 20),
        ("ReadReplicasPerMaster", 0, 15),
        ("DBClusters", usage.clusters, 40),
        ("DBClusterParameterGroups", cluster_parameter_groups, 50),
        ("DBClusterRoles", 0, 5),
        ("ManualClusterSnapshots", 0, 100),
        ("CustomEndpointsPerDBCluster", 0, 5),
    ];
    let mut x = Xml::default();
    x.open("AccountQuotas");
    for (name, used, max) in quotas {
        x.open("AccountQuota");
        x.text("AccountQuotaName", name);
        x.num("Used", used);
        x.num("Max", max);
        x.close("AccountQuota");
    }
    x.close("AccountQuotas");
    Ok(Some(x.into_string()))
}
