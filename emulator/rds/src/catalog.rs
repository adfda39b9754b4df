//! What RDS offers for the engines firedrill runs (PostgreSQL and Aurora
//! PostgreSQL on PostgreSQL; MySQL, MariaDB and Aurora MySQL on MariaDB):
//! engine versions, parameter group families, license models, default
//! ports and the DB instance classes that can be ordered. One
//! table that validation ([`crate::validate`]) checks requests against and
//! that DescribeDBEngineVersions / DescribeOrderableDBInstanceOptions answer
//! from, so that what is listed is exactly what is accepted.
//!
//! The versions are minor versions AWS lists for each engine; the newest
//! minor of the default major is the default when `EngineVersion` is
//! absent. The servers themselves run the machine's PostgreSQL or MariaDB
//! whatever version an instance reports: `mysql` and `aurora-mysql` are
//! MariaDB speaking the MySQL protocol.

/// The engine of a standalone RDS for PostgreSQL instance.
pub const POSTGRES: &str = "postgres";
/// The engine of an Aurora PostgreSQL cluster and its instances.
pub const AURORA_POSTGRES: &str = "aurora-postgresql";
/// The engine of a standalone RDS for MySQL instance (served by MariaDB).
pub const MYSQL: &str = "mysql";
/// The engine of a standalone RDS for MariaDB instance.
pub const MARIADB: &str = "mariadb";
/// The engine of an Aurora MySQL cluster and its instances (served by
/// MariaDB).
pub const AURORA_MYSQL: &str = "aurora-mysql";

/// The engines firedrill runs, in the order listings show them.
pub const ENGINES: [&str; 5] = [POSTGRES, AURORA_POSTGRES, MYSQL, MARIADB, AURORA_MYSQL];

/// Whether `engine` is one of Aurora's (cluster storage, members only).
pub fn is_aurora(engine: &str) -> bool {
    engine == AURORA_POSTGRES || engine == AURORA_MYSQL
}

/// Whether `engine` speaks the MySQL protocol (a MariaDB server runs it).
pub fn is_mysql_family(engine: &str) -> bool {
    matches!(engine, MYSQL | MARIADB | AURORA_MYSQL)
}

/// The license model RDS reports for `engine`.
pub fn license(engine: &str) -> &'static str {
    if is_mysql_family(engine) {
        "general-public-license"
    } else {
        "postgresql-license"
    }
}

/// The port a server of `engine` listens on unless told otherwise.
pub fn default_port(engine: &str) -> u16 {
    if is_mysql_family(engine) { 3306 } else { 5432 }
}

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

/// The minor versions offered per engine, oldest first within a major.
fn versions(engine: &str) -> &'static [&'static str] {
    match engine {
        POSTGRES => &[
            "13.20", "13.21", "14.17", "14.18", "15.12", "15.13", "16.8", "16.9", "17.4", "17.5",
        ],
        AURORA_POSTGRES => &[
            "13.20", "13.21", "14.17", "14.18", "15.12", "15.13", "16.8", "16.9", "17.4", "17.5",
        ],
        MYSQL => &[
            "8.0.36", "8.0.39", "8.0.40", "8.0.41", "8.0.42", "8.4.3", "8.4.4", "8.4.5",
        ],
        MARIADB => &[
            "10.11.9", "10.11.10", "10.11.11", "10.11.13", "11.4.4", "11.4.5", "11.4.7",
        ],
        AURORA_MYSQL => &[
            "8.0.mysql_aurora.3.05.2",
            "8.0.mysql_aurora.3.06.1",
            "8.0.mysql_aurora.3.07.1",
            "8.0.mysql_aurora.3.08.0",
            "8.0.mysql_aurora.3.08.1",
            "8.0.mysql_aurora.3.08.2",
        ],
        _ => &[],
    }
}

/// The major whose newest minor is AWS's default for `engine`.
fn default_major(engine: &str) -> &'static str {
    match engine {
        MYSQL | AURORA_MYSQL => "8.0",
        MARIADB => "11.4",
        _ => DEFAULT_MAJOR,
    }
}

/// The major of a version string of `engine`: `16` of `16.9`, `8.0` of
/// `8.0.42` and of `8.0.mysql_aurora.3.08.2`, `10.11` of `10.11.13`.
fn major_of(engine: &str, version: &'static str) -> &'static str {
    let parts = if is_mysql_family(engine) { 2 } else { 1 };
    let end = version
        .match_indices('.')
        .nth(parts - 1)
        .map(|(i, _)| i)
        .unwrap_or(version.len());
    &version[..end]
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
    /// The major version (`16` of `16.9`, `8.0` of `8.0.42`).
    pub fn major(&self) -> &'static str {
        major_of(self.engine, self.version)
    }

    /// The name of the default DB parameter group of this version
    /// (`default.postgres16`).
    pub fn default_parameter_group(&self) -> String {
        format!("default.{}", self.family)
    }
}

/// Whether a read replica running `version` can be the source of another
/// read replica: RDS for PostgreSQL from 14.1 (every 14 minor offered here
/// is later), every MySQL and MariaDB version.
pub fn cascading_replicas(version: &EngineVersion) -> bool {
    match version.engine {
        POSTGRES => version.major().parse::<u32>().is_ok_and(|m| m >= 14),
        MYSQL | MARIADB => true,
        _ => false,
    }
}

/// The default major version of the PostgreSQL engines when a request
/// names none.
pub const DEFAULT_MAJOR: &str = "17";

/// Every version of `engine` (or of every engine when `None`).
pub fn engine_versions(engine: Option<&str>) -> Vec<EngineVersion> {
    ENGINES
        .into_iter()
        .filter(|e| engine.is_none_or(|x| x == *e))
        .flat_map(|e| {
            let default = newest_minor(e, default_major(e));
            versions(e).iter().map(move |v| EngineVersion {
                engine: e,
                version: v,
                family: format!("{e}{}", major_of(e, v)),
                is_default: Some(*v) == default,
            })
        })
        .collect()
}

/// The newest minor of `major` of `engine`.
fn newest_minor(engine: &str, major: &str) -> Option<&'static str> {
    versions(engine)
        .iter()
        .rev()
        .find(|v| major_of(engine, v) == major)
        .copied()
}

/// Resolves a requested `EngineVersion` of `engine`: absent, the default;
/// a major alone (`16`), its newest minor; else the exact version.
pub fn resolve_version(engine: &str, requested: Option<&str>) -> Option<EngineVersion> {
    let all = engine_versions(Some(engine));
    match requested {
        None => all.into_iter().find(|v| v.is_default),
        Some(r) if all.iter().any(|v| v.major() == r) => {
            let minor = newest_minor(engine, r)?;
            all.into_iter().find(|v| v.version == minor)
        }
        Some(r) => all.into_iter().find(|v| v.version == r),
    }
}

/// The parameter group families of every engine (`postgres13` …
/// `aurora-postgresql17`, `mysql8.0`, `mariadb10.11`, `aurora-mysql8.0`).
pub fn families() -> Vec<String> {
    let mut out: Vec<String> = engine_versions(None).into_iter().map(|v| v.family).collect();
    out.dedup();
    out
}

/// The engine a parameter group family belongs to.
pub fn family_engine(family: &str) -> Option<&'static str> {
    engine_versions(None)
        .into_iter()
        .find(|v| v.family == family)
        .map(|v| v.engine)
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
        POSTGRES | MYSQL | MARIADB => vec![
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
        AURORA_POSTGRES | AURORA_MYSQL => vec![
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
    if is_aurora(engine) {
        out.push("db.serverless".to_owned());
    }
    out
}

/// Whether `class` can be ordered for `engine`.
pub fn class_orderable(engine: &str, class: &str) -> bool {
    instance_classes(engine).iter().any(|c| c == class)
}

/// The storage types a standalone RDS instance can have.
pub const STORAGE_TYPES: &[&str] = &["gp2", "gp3", "io1", "io2", "standard"];

/// The storage types of an Aurora cluster.
pub const AURORA_STORAGE_TYPES: &[&str] = &["aurora", "aurora-iopt1"];

/// The allocated storage range in GiB of a storage type (the same for
/// PostgreSQL, MySQL and MariaDB).
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
        assert!(resolve_version("oracle-ee", None).is_none());
        assert_eq!(resolve_version(MYSQL, None).unwrap().version, "8.0.42");
        assert_eq!(resolve_version(MYSQL, Some("8.4")).unwrap().version, "8.4.5");
        assert_eq!(resolve_version(MYSQL, Some("8.4.3")).unwrap().family, "mysql8.4");
        assert_eq!(resolve_version(MARIADB, None).unwrap().version, "11.4.7");
        assert_eq!(
            resolve_version(MARIADB, Some("10.11"))
                .unwrap()
                .default_parameter_group(),
            "default.mariadb10.11"
        );
        let aurora = resolve_version(AURORA_MYSQL, None).unwrap();
        assert_eq!(aurora.version, "8.0.mysql_aurora.3.08.2");
        assert_eq!(aurora.family, "aurora-mysql8.0");
        assert_eq!(aurora.major(), "8.0");
        assert_eq!(
            resolve_version(AURORA_POSTGRES, Some("16.8"))
                .unwrap()
                .default_parameter_group(),
            "default.aurora-postgresql16"
        );
        assert_eq!(engine_versions(None).iter().filter(|v| v.is_default).count(), 5);
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
        assert_eq!(family_engine("mysql8.0"), Some(MYSQL));
        assert_eq!(family_engine("aurora-mysql8.0"), Some(AURORA_MYSQL));
        assert_eq!(family_engine("mysql5.7"), None);
        assert_eq!(families().len(), 15);
        assert!(class_orderable(MARIADB, "db.t3.micro"));
        assert!(class_orderable(AURORA_MYSQL, "db.r6g.large"));
        assert_eq!(license(MYSQL), "general-public-license");
        assert_eq!(default_port(AURORA_MYSQL), 3306);
    }
}
