//! The engine versions ElastiCache offers that firedrill serves, with their
//! parameter group families, for validation and DescribeCacheEngineVersions.
//! Every version, Redis OSS or Valkey, runs on the machine's one
//! `redis-server`: the version is a label the API reports, not the server's
//! own (the RDB format of Redis 7 is read by every version listed).

/// One engine version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineVersion {
    /// `redis` or `valkey`.
    pub engine: &'static str,
    /// The version, for example `7.1`.
    pub version: &'static str,
    /// Its parameter group family, for example `redis7`.
    pub family: &'static str,
    /// Whether it is the engine's default.
    pub default: bool,
}

/// Every version served.
pub const VERSIONS: &[EngineVersion] = &[
    EngineVersion {
        engine: "redis",
        version: "6.0",
        family: "redis6.x",
        default: false,
    },
    EngineVersion {
        engine: "redis",
        version: "6.2",
        family: "redis6.x",
        default: false,
    },
    EngineVersion {
        engine: "redis",
        version: "7.0",
        family: "redis7",
        default: false,
    },
    EngineVersion {
        engine: "redis",
        version: "7.1",
        family: "redis7",
        default: true,
    },
    EngineVersion {
        engine: "valkey",
        version: "7.2",
        family: "valkey7",
        default: false,
    },
    EngineVersion {
        engine: "valkey",
        version: "8.0",
        family: "valkey8",
        default: true,
    },
    EngineVersion {
        engine: "valkey",
        version: "8.1",
        family: "valkey8",
        default: false,
    },
];

/// The version `version` of `engine`; `6.x` names the newest 6 release as
/// ElastiCache accepts it.
pub fn find(engine: &str, version: &str) -> Option<&'static EngineVersion> {
    let version = if version == "6.x" { "6.2" } else { version };
    VERSIONS.iter().find(|v| {
        v.engine == engine && (v.version == version || version.starts_with(&format!("{}.", v.version)))
    })
}

/// The default version of `engine`.
pub fn default_version(engine: &str) -> &'static str {
    VERSIONS
        .iter()
        .find(|v| v.engine == engine && v.default)
        .map(|v| v.version)
        .unwrap_or("7.1")
}

/// The engine's name as DescribeCacheEngineVersions describes it.
pub fn description(engine: &str) -> &'static str {
    if engine == "valkey" { "Valkey" } else { "Redis" }
}
