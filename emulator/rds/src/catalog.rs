//! What RDS offers for the PostgreSQL engines: engine versions, parameter
//! group families and the DB instance classes that can be ordered. One
//! table that validation ([`crate::validate`]) checks requests against and
//! that DescribeDBEngineVersions / DescribeOrderableDBInstanceOptions answer
//! from, so that what is listed is exactly what is accepted.
//!
//! The versions are the minor versions AWS listed for RDS for PostgreSQL and
//! Aurora PostgreSQL; the default minor of the default major is AWS's
//! default when `EngineVersion` is absent. The servers themselves run the
//! machine's PostgreSQL whatever version an instance reports.

/// The engine of a standalone RDS for PostgreSQL instance.
pub const POSTGRES: &str = "postgres";
/// The engine of an Aurora PostgreSQL cluster and its instances.
pub const AURORA_POSTGRES: &str = "aurora-postgresql";
/// The license model of both PostgreSQL engines.
pub const LICENSE: &str = "postgresql-license";

/// Every engine name AWS accepts for CreateDBInstance (from the API
/// reference), so that a known engine firedrill does not run is told apart
/// from a name that is no engine at all.
pub const AWS_ENGINES: &[&str] = &[
    "aurora-mysql",
    "aurora-postgresql",
    "custom-oracle-ee",
    "custom-oracle-ee-cdb",
    "custom-oracle-se2",
    "custom-oracle-se2-cdb",
    "custom-sqlserver-ee",
    "custom-sqlserver-se",
    "custom-sqlserver-web",
    "custom-sqlserver-dev",
    "db2-ae",
    "db2-se",
    "mariadb",
    "mysql",
    "oracle-ee",
    "oracle-ee-cdb",
    "oracle-se2",
    "oracle-se2-cdb",
    "postgres",
    "sqlserver-dev-ee",
    "sqlserver-ee",
    "sqlserver-se",
    "sqlserver-ex",
    "sqlserver-web",
];

/// The minor versions offered per engine, oldest first.
fn versions(engine: &str) -> &'static [&'static str] {
    match engine {
        POSTGRES => &[
            "13.20", "13.21", "14.17", "14.18", "15.12", "15.13", "16.8", "16.9", "17.4", "17.5",
        ],
        AURORA_POSTGRES => &[
            "13.20", "13.21", "14.17", "14.18", "15.12", "15.13", "16.8", "16.9", "17.4", "17.5",
        ],
        _ => &[],
    }
}

/// One engine version as DescribeDBEngineVersions shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersion {
    pub engine: &'static str,
    pub version: &'static str,
    pub family: String,
    pub is_default: bool,
}

impl EngineVersion {
    /// The major version (`16` of `16.9`).
    pub fn major(&self) -> &'static str {
        self.version.split('.').next().unwrap_or(self.version)
    }

    /// The name of the default DB parameter group of this version
    /// (`default.postgres16`).
    pub fn default_parameter_group(&self) -> String {
        format!("default.{}", self.family)
    }
}

/// The default major version when a request names none.
pub const DEFAULT_MAJOR: &str = "17";

/// Every version of `engine` (or of both PostgreSQL engines when `None`).
pub fn engine_versions(engine: Option<&str>) -> Vec<EngineVersion> {
    [POSTGRES, AURORA_POSTGRES]
        .into_iter()
        .filter(|e| engine.is_none_or(|x| x == *e))
        .flat_map(|e| {
            let list = versions(e);
            let default = default_minor(list, DEFAULT_MAJOR);
            list.iter().map(move |v| EngineVersion {
                engine: e,
                version: v,
                family: format!("{e}{}", v.split('.').next().unwrap_or(v)),
                is_default: Some(*v) == default,
            })
        })
        .collect()
}

/// The newest minor of `major` in `list`.
fn default_minor(list: &'static [&'static str], major: &str) -> Option<&'static str> {
    list.iter()
        .rev()
        .find(|v| v.split('.').next() == Some(major))
        .copied()
}

/// Resolves a requested `EngineVersion` of `engine`: absent, the default;
/// a major alone (`16`), its newest minor; else the exact version.
pub fn resolve_version(engine: &str, requested: Option<&str>) -> Option<EngineVersion> {
    let all = engine_versions(Some(engine));
    match requested {
        None => all.into_iter().find(|v| v.is_default),
        Some(r) if !r.contains('.') => {
            let minor = default_minor(versions(engine), r)?;
            all.into_iter().find(|v| v.version == minor)
        }
        Some(r) => all.into_iter().find(|v| v.version == r),
    }
}

/// The parameter group families of the PostgreSQL engines
/// (`postgres13` … `aurora-postgresql17`).
pub fn families() -> Vec<String> {
    let mut out: Vec<String> = engine_versions(None).into_iter().map(|v| v.family).collect();
    out.dedup();
    out
}

/// The engine a parameter group family belongs to.
pub fn family_engine(family: &str) -> Option<&'static str> {
    if !families().iter().any(|f| f == family) {
        return None;
    }
    Some(if family.starts_with(AURORA_POSTGRES) {
        AURORA_POSTGRES
    } else {
        POSTGRES
    })
}

const BURSTABLE: &[&str] = &["micro", "small", "medium", "large", "xlarge", "2xlarge"];
const GRAVITON: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
];
const INTEL: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
];
const INTEL_6: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge",
];

/// The instance class families and sizes orderable for `engine`.
fn class_table(engine: &str) -> Vec<(&'static str, &'static [&'static str])> {
    match engine {
        POSTGRES => vec![
            ("t3", BURSTABLE),
            ("t4g", BURSTABLE),
            ("m5", INTEL),
            ("m6g", GRAVITON),
            ("m6gd", GRAVITON),
            ("m6i", INTEL_6),
            ("m7g", GRAVITON),
            ("r5", INTEL),
            ("r6g", GRAVITON),
            ("r6gd", GRAVITON),
            ("r6i", INTEL_6),
            ("r7g", GRAVITON),
        ],
        AURORA_POSTGRES => vec![
            ("t3", &["medium", "large"]),
            ("t4g", &["medium", "large"]),
            ("r5", INTEL),
            ("r6g", GRAVITON),
            ("r6i", INTEL_6),
            ("r7g", GRAVITON),
        ],
        _ => Vec::new(),
    }
}

/// Every DB instance class orderable for `engine`, in table order.
pub fn instance_classes(engine: &str) -> Vec<String> {
    let mut out: Vec<String> = class_table(engine)
        .into_iter()
        .flat_map(|(family, sizes)| sizes.iter().map(move |s| format!("db.{family}.{s}")))
        .collect();
    if engine == AURORA_POSTGRES {
        out.push("db.serverless".to_owned());
    }
    out
}

/// Whether `class` can be ordered for `engine`.
pub fn class_orderable(engine: &str, class: &str) -> bool {
    instance_classes(engine).iter().any(|c| c == class)
}

/// The storage types an RDS for PostgreSQL instance can have.
pub const STORAGE_TYPES: &[&str] = &["gp2", "gp3", "io1", "io2", "standard"];

/// The storage types of an Aurora cluster.
pub const AURORA_STORAGE_TYPES: &[&str] = &["aurora", "aurora-iopt1"];

/// The allocated storage range in GiB of a storage type for PostgreSQL.
pub fn storage_range(storage_type: &str) -> (i32, i32) {
    match storage_type {
        "io1" | "io2" => (100, 65536),
        "standard" => (5, 3072),
        _ => (20, 65536),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_resolve_like_aws() {
        let d = resolve_version(POSTGRES, None).unwrap();
        assert!(d.is_default);
        assert_eq!(d.major(), DEFAULT_MAJOR);
        assert_eq!(resolve_version(POSTGRES, Some("16")).unwrap().version, "16.9");
        assert_eq!(
            resolve_version(POSTGRES, Some("15.12")).unwrap().family,
            "postgres15"
        );
        assert!(resolve_version(POSTGRES, Some("99.1")).is_none());
        assert!(resolve_version("mysql", None).is_none());
        assert_eq!(
            resolve_version(AURORA_POSTGRES, Some("16.8"))
                .unwrap()
                .default_parameter_group(),
            "default.aurora-postgresql16"
        );
        assert_eq!(engine_versions(None).iter().filter(|v| v.is_default).count(), 2);
    }

    #[test]
    fn classes_and_families() {
        assert!(class_orderable(POSTGRES, "db.t3.micro"));
        assert!(class_orderable(POSTGRES, "db.r6i.32xlarge"));
        assert!(!class_orderable(POSTGRES, "db.huge"));
        assert!(!class_orderable(POSTGRES, "db.serverless"));
        assert!(class_orderable(AURORA_POSTGRES, "db.serverless"));
        assert!(!class_orderable(AURORA_POSTGRES, "db.t3.micro"));
        assert_eq!(family_engine("aurora-postgresql15"), Some(AURORA_POSTGRES));
        assert_eq!(family_engine("postgres13"), Some(POSTGRES));
        assert_eq!(family_engine("mysql8.0"), None);
        assert_eq!(families().len(), 10);
    }
}
