//! What `cargo xtask drill` and `cargo xtask test` need on the machine, and
//! getting it there.
//!
//! `drill` needs PostgreSQL's server binaries, MariaDB's and Redis's (RDS
//! instances are real PostgreSQL servers, and real MariaDB servers for the
//! mysql, mariadb and aurora-mysql engines; ElastiCache clusters are real
//! Redis servers); `test` needs them too, plus the AWS CLI and boto3
//! (the CLI-compatibility tests and the Python examples), the Node packages of
//! `examples/node`, Chromium (the HTML report test) and `xmllint` (the JUnit
//! schema test).
//!
//! Each need has one small check ([`probe`]); what to do about the missing
//! ones is a pure function of what is present and what the host allows
//! ([`plan`]); only [`ensure`] changes the machine. It installs with Debian's
//! `apt-get` when it may (root, or passwordless `sudo -n`), with pip and
//! `npm ci` where those are the way, saying in one line what it installs and
//! why before it does; it stops with one line per missing thing when it
//! cannot install it, or when `FIREDRILL_NO_INSTALL=1` asks it only to report.
//! When everything is present it prints one summary line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The task about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// `cargo xtask drill` on the embedded emulator.
    Drill,
    /// `cargo xtask test`.
    Test,
}

/// The programs RDS instances need (the RDS crate's `PgBinaries::usable`).
const PG_TOOLS: [&str; 3] = ["initdb", "postgres", "pg_basebackup"];

/// Where PostgreSQL is looked for, in the RDS crate's order
/// (`PgBinaries::discover` in emulator/rds/src/postgres.rs): an explicit
/// `FIREDRILL_PG_BIN`, then `initdb` on `PATH` (its real directory first),
/// then `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`.
#[derive(Debug, Clone, Default)]
pub struct PgSearch {
    /// `FIREDRILL_PG_BIN`: when set, the only place looked at.
    pub pg_bin: Option<PathBuf>,
    /// `PATH`.
    pub path: Option<OsString>,
    /// What `pg_config --bindir` printed.
    pub pg_config_bindir: Option<PathBuf>,
    /// The directory of versioned installations (`/usr/lib/postgresql`).
    pub versions_root: PathBuf,
}

/// What the PostgreSQL search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Postgres {
    /// A directory holding every tool.
    Found(PathBuf),
    /// Nowhere.
    Missing,
    /// `FIREDRILL_PG_BIN` names a directory without the tools: installing a
    /// package would not help, since the variable wins.
    BadOverride(PathBuf),
}

impl PgSearch {
    /// The search this machine's environment asks for.
    pub fn from_env() -> Self {
        let pg_config_bindir = Command::new("pg_config")
            .arg("--bindir")
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        Self {
            pg_bin: std::env::var_os("FIREDRILL_PG_BIN").map(PathBuf::from),
            path: std::env::var_os("PATH"),
            pg_config_bindir,
            versions_root: PathBuf::from("/usr/lib/postgresql"),
        }
    }

    /// Runs the search.
    pub fn find(&self) -> Postgres {
        if let Some(dir) = &self.pg_bin {
            return if has_pg_tools(dir) {
                Postgres::Found(dir.clone())
            } else {
                Postgres::BadOverride(dir.clone())
            };
        }
        let mut candidates = Vec::new();
        if let Some(path) = &self.path {
            for dir in std::env::split_paths(path) {
                let initdb = dir.join("initdb");
                if initdb.is_file() {
                    // Distributions link a few tools into PATH; the rest sit
                    // next to the real binary.
                    if let Some(parent) = std::fs::canonicalize(&initdb)
                        .ok()
                        .and_then(|real| real.parent().map(Path::to_path_buf))
                    {
                        candidates.push(parent);
                    }
                    candidates.push(dir);
                }
            }
        }
        candidates.extend(self.pg_config_bindir.clone());
        if let Ok(entries) = std::fs::read_dir(&self.versions_root) {
            let mut versions: Vec<(u32, PathBuf)> = entries
                .flatten()
                .filter_map(|e| {
                    let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                    Some((v, e.path().join("bin")))
                })
                .collect();
            versions.sort();
            candidates.extend(versions.into_iter().rev().map(|(_, p)| p));
        }
        candidates
            .into_iter()
            .find(|dir| has_pg_tools(dir))
            .map_or(Postgres::Missing, Postgres::Found)
    }
}

fn has_pg_tools(dir: &Path) -> bool {
    PG_TOOLS.iter().all(|t| dir.join(t).is_file())
}

/// Whether `examples/node` needs installing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodePackages {
    /// There is no `examples/node/package.json`.
    NotUsed,
    /// `node_modules` is there.
    Installed,
    /// `package.json` is there, `node_modules` is not.
    Missing,
}

/// The programs MySQL, MariaDB and Aurora MySQL instances need, each under
/// either name (the RDS crate's `MariaBinaries::discover`).
const MARIADB_TOOLS: [[&str; 2]; 5] = [
    ["mariadbd", "mysqld"],
    ["mariadb-install-db", "mysql_install_db"],
    ["mariadb-backup", "mariabackup"],
    ["mariadb-binlog", "mysqlbinlog"],
    ["mariadb", "mysql"],
];

/// Whether MariaDB's programs are where the RDS crate looks for them:
/// `FIREDRILL_MARIADB_BIN` (a `PATH`-style list) when set, else `PATH` and
/// the system's `sbin` and `bin` directories.
pub fn mariadb_found(override_dirs: Option<&OsString>, path: Option<&OsString>) -> bool {
    let dirs: Vec<PathBuf> = match override_dirs {
        Some(v) => std::env::split_paths(v).collect(),
        None => {
            let mut dirs: Vec<PathBuf> = path
                .map(|p| std::env::split_paths(p).collect())
                .unwrap_or_default();
            dirs.extend(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"].map(PathBuf::from));
            dirs
        }
    };
    MARIADB_TOOLS
        .iter()
        .all(|names| dirs.iter().any(|d| names.iter().any(|n| d.join(n).is_file())))
}

/// What the checks found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    /// PostgreSQL's server binaries.
    pub postgres: Postgres,
    /// MariaDB's server, install, backup, binlog and client programs.
    pub mariadb: bool,
    /// `aws` on PATH.
    pub aws: bool,
    /// The AWS CLI v2, which the v2 test looks for by path.
    pub aws_v2: AwsCliV2,
    /// `python3 -c 'import boto3'` succeeds.
    pub boto3: bool,
    /// `node` and `npm` on PATH.
    pub npm: bool,
    /// The Node examples' packages.
    pub node_packages: NodePackages,
    /// `chromium` (or `chromium-browser`, `google-chrome`) on PATH.
    pub chromium: bool,
    /// `xmllint` on PATH.
    pub xmllint: bool,
    /// `jq` on PATH (the bash examples read FIREDRILL_STORE with it).
    pub jq: bool,
    /// `redis-server` on PATH or at `FIREDRILL_REDIS_BIN`.
    pub redis: bool,
}

/// Where the AWS CLI v2 stands. It is optional: `tests/aws_cli_v2.rs` says
/// SKIPPED without it, so only an install the package manager can make is
/// planned, and its absence never stops a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsCliV2 {
    /// Found where the v2 test looks: `FIREDRILL_AWS_V2`, /usr/bin/aws,
    /// /usr/local/bin/aws, then `aws` on PATH.
    Found,
    /// Missing, and the distribution's `awscli` package is the v2 (Debian
    /// 12's 2.9): apt installs it at /usr/bin/aws.
    Packaged,
    /// Missing, and no package here provides it.
    Unavailable,
}

/// What the host lets xtask do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The prefix that runs `apt-get` as root (empty for root, `sudo -n` for
    /// a user with passwordless sudo); `None` when apt cannot be used.
    pub apt: Option<Vec<String>>,
    /// `python3 -m pip` works and may install (the interpreter is not an
    /// externally managed system Python).
    pub pip: bool,
}

/// How one missing thing is got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// Debian packages.
    Apt(Vec<&'static str>),
    /// A PyPI package through `python3 -m pip install`.
    Pip(&'static str),
    /// `npm ci --prefix DIR`.
    NpmCi(PathBuf),
    /// Not installable here: the line says what to install.
    Manual(String),
}

/// One missing thing and how to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What is missing.
    pub what: &'static str,
    /// What needs it.
    pub why: &'static str,
    /// How to get it.
    pub how: How,
}

impl Step {
    /// The one line saying what is missing and how to install it.
    pub fn line(&self) -> String {
        let how = match &self.how {
            How::Apt(packages) => format!("apt-get install {}", packages.join(" ")),
            How::Pip(package) => format!("python3 -m pip install {package}"),
            How::NpmCi(dir) => format!("npm ci --prefix {}", dir.display()),
            How::Manual(line) => return format!("missing {} ({}): {line}", self.what, self.why),
        };
        format!("missing {} ({}): install with `{how}`", self.what, self.why)
    }
}

/// What to do, given what is present and what the host allows. `node_dir`
/// is the Node examples' directory, for `npm ci`.
pub fn plan(task: Task, present: &Present, host: &Host, node_dir: &Path) -> Vec<Step> {
    let apt = host.apt.is_some();
    let not_root = "run xtask as root or with passwordless sudo to let it install";
    let mut steps = Vec::new();
    let postgres = "RDS instances are real PostgreSQL servers";
    match &present.postgres {
        Postgres::Found(_) => {}
        Postgres::BadOverride(dir) => steps.push(Step {
            what: "PostgreSQL server binaries",
            why: postgres,
            how: How::Manual(format!(
                "FIREDRILL_PG_BIN={} does not hold {}: point it at PostgreSQL's bin directory or unset it",
                dir.display(),
                PG_TOOLS.join(", ")
            )),
        }),
        Postgres::Missing => steps.push(Step {
            what: "PostgreSQL server binaries",
            why: postgres,
            how: if apt {
                How::Apt(vec!["postgresql"])
            } else {
                How::Manual(format!(
                    "install PostgreSQL (Debian: apt-get install postgresql) or set FIREDRILL_PG_BIN to its bin directory; {not_root}"
                ))
            },
        }),
    }
    if !present.mariadb {
        steps.push(Step {
            what: "MariaDB server, backup and client",
            why: "RDS MySQL, MariaDB and Aurora MySQL instances are real MariaDB servers",
            how: if apt {
                How::Apt(vec!["mariadb-server", "mariadb-backup", "mariadb-client"])
            } else {
                How::Manual(format!(
                    "install MariaDB (Debian: apt-get install mariadb-server mariadb-backup mariadb-client) or set FIREDRILL_MARIADB_BIN to the directories holding mariadbd, mariadb-install-db, mariadb-backup, mariadb-binlog and mariadb; {not_root}"
                ))
            },
        });
    }
    if !present.redis {
        steps.push(Step {
            what: "redis-server",
            why: "ElastiCache clusters are real Redis servers (the shipped session-store drills keep sessions there)",
            how: if apt {
                How::Apt(vec!["redis-server"])
            } else {
                How::Manual(format!(
                    "install Debian's redis-server (apt-get install redis-server) or set FIREDRILL_REDIS_BIN to it; {not_root}"
                ))
            },
        });
    }
    if task == Task::Drill {
        return steps;
    }
    let python = |what, why, pypi: &'static str, debian: &'static str, present: bool| {
        (!present).then(|| Step {
            what,
            why,
            how: if host.pip {
                How::Pip(pypi)
            } else if apt {
                How::Apt(vec![debian])
            } else {
                How::Manual(format!(
                    "install it with `python3 -m pip install {pypi}` (Debian: apt-get install {debian})"
                ))
            },
        })
    };
    steps.extend(python(
        "the AWS CLI",
        "the CLI-compatibility tests and the shell examples",
        "awscli",
        "awscli",
        present.aws,
    ));
    // Debian 12's awscli is the CLI v2, at /usr/bin/aws: it never replaces
    // a v1 from PyPI that comes first on PATH. When the v1 step already
    // installs it, one install serves both.
    if present.aws_v2 == AwsCliV2::Packaged && apt && !steps.iter().any(|s| s.how == How::Apt(vec!["awscli"]))
    {
        steps.push(Step {
            what: "the AWS CLI v2",
            why: "the AWS CLI v2 test (tests/cli/aws-cli-v2.sh)",
            how: How::Apt(vec!["awscli"]),
        });
    }
    steps.extend(python(
        "boto3",
        "the Python examples",
        "boto3",
        "python3-boto3",
        present.boto3,
    ));
    if present.node_packages != NodePackages::NotUsed {
        let why = "the Node examples";
        if !present.npm {
            steps.push(Step {
                what: "Node.js and npm",
                why,
                how: if apt {
                    How::Apt(vec!["nodejs", "npm"])
                } else {
                    How::Manual(format!(
                        "install Node.js 18 or newer with npm (Debian: apt-get install nodejs npm); {not_root}"
                    ))
                },
            });
        }
        if present.node_packages == NodePackages::Missing {
            steps.push(Step {
                what: "the Node examples' packages",
                why,
                how: How::NpmCi(node_dir.to_path_buf()),
            });
        }
    }
    let debian = |what, why, package: &'static str, present: bool| {
        (!present).then(|| Step {
            what,
            why,
            how: if apt {
                How::Apt(vec![package])
            } else {
                How::Manual(format!(
                    "install Debian's {package} (apt-get install {package}); {not_root}"
                ))
            },
        })
    };
    steps.extend(debian(
        "Chromium",
        "the HTML report test renders in it",
        "chromium",
        present.chromium,
    ));
    steps.extend(debian(
        "xmllint",
        "the JUnit schema test",
        "libxml2-utils",
        present.xmllint,
    ));
    steps.extend(debian(
        "jq",
        "the bash example runbooks read FIREDRILL_STORE with it",
        "jq",
        present.jq,
    ));
    steps
}

/// Whether an executable called `name` is on PATH.
pub fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Whether `program args` runs and exits 0, its output discarded.
fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The AWS CLI v2's standing: found, else whether apt's
/// `awscli` candidate is a 2.x version.
fn aws_v2() -> AwsCliV2 {
    if aws_v2_found() {
        return AwsCliV2::Found;
    }
    let packaged = Command::new("apt-cache")
        .args(["policy", "awscli"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).lines().any(|l| {
                l.trim()
                    .strip_prefix("Candidate: ")
                    .is_some_and(|v| v.starts_with("2."))
            })
        });
    if packaged {
        AwsCliV2::Packaged
    } else {
        AwsCliV2::Unavailable
    }
}

/// Whether an AWS CLI v2 is where `tests/aws_cli_v2.rs` looks for one:
/// `FIREDRILL_AWS_V2`, `/usr/bin/aws`, `/usr/local/bin/aws`, then `aws` on
/// PATH, whichever first answers `aws-cli/2` to `--version`.
fn aws_v2_found() -> bool {
    std::env::var_os("FIREDRILL_AWS_V2")
        .into_iter()
        .chain(["/usr/bin/aws", "/usr/local/bin/aws", "aws"].map(Into::into))
        .any(|cli| {
            Command::new(cli)
                .arg("--version")
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"aws-cli/2"))
        })
}

fn boto3_importable() -> bool {
    succeeds("python3", &["-c", "import boto3"])
}

fn chromium_installed() -> bool {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .any(|name| on_path(name))
}

fn node_packages(node_dir: &Path) -> NodePackages {
    if !node_dir.join("package.json").is_file() {
        NodePackages::NotUsed
    } else if node_dir.join("node_modules").is_dir() {
        NodePackages::Installed
    } else {
        let lock = std::fs::read_to_string(node_dir.join("package-lock.json")).ok();
        if lock.is_some_and(|l| !lock_lists_packages(&l)) {
            // `npm ci` of a package without dependencies creates no
            // node_modules: there is nothing to install.
            NodePackages::Installed
        } else {
            NodePackages::Missing
        }
    }
}

/// Whether a `package-lock.json` (lockfile version 2 or 3) names any package
/// to install: their keys are their paths under `node_modules/`.
fn lock_lists_packages(lock: &str) -> bool {
    lock.contains("\"node_modules/")
}

/// Runs every check `task` needs (the others are reported present).
pub fn probe(task: Task, node_dir: &Path) -> Present {
    let postgres = PgSearch::from_env().find();
    let mariadb = mariadb_found(
        std::env::var_os("FIREDRILL_MARIADB_BIN").as_ref(),
        std::env::var_os("PATH").as_ref(),
    );
    let redis = redis_installed();
    if task == Task::Drill {
        return Present {
            postgres,
            mariadb,
            redis,
            aws: true,
            aws_v2: AwsCliV2::Found,
            boto3: true,
            npm: true,
            node_packages: NodePackages::NotUsed,
            chromium: true,
            xmllint: true,
            jq: true,
        };
    }
    Present {
        postgres,
        mariadb,
        aws: on_path("aws"),
        aws_v2: aws_v2(),
        boto3: boto3_importable(),
        npm: on_path("node") && on_path("npm"),
        node_packages: node_packages(node_dir),
        chromium: chromium_installed(),
        xmllint: on_path("xmllint"),
        jq: on_path("jq"),
        redis,
    }
}

/// Whether `redis-server` is where the emulator looks for it
/// (`RedisBinary::discover` in emulator/elasticache/src/node.rs).
fn redis_installed() -> bool {
    match std::env::var_os("FIREDRILL_REDIS_BIN") {
        Some(given) => {
            let given = PathBuf::from(given);
            given.is_file() || given.join("redis-server").is_file()
        }
        None => on_path("redis-server") || Path::new("/usr/bin/redis-server").is_file(),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether pip may install into the `python3` on PATH: it runs, and the
/// interpreter is not marked externally managed (PEP 668, as Debian's is).
fn pip_usable() -> bool {
    const EXTERNALLY_MANAGED: &str = "import os, sys, sysconfig; \
        sys.exit(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))";
    succeeds("python3", &["-m", "pip", "--version"]) && succeeds("python3", &["-c", EXTERNALLY_MANAGED])
}

/// What this host allows.
pub fn host() -> Host {
    let apt = if !on_path("apt-get") {
        None
    } else if is_root() {
        Some(Vec::new())
    } else if succeeds("sudo", &["-n", "true"]) {
        Some(vec!["sudo".to_owned(), "-n".to_owned()])
    } else {
        None
    };
    Host {
        apt,
        pip: pip_usable(),
    }
}

/// The one line printed when nothing is missing.
fn summary(task: Task, present: &Present) -> String {
    let mut have = Vec::new();
    if let Postgres::Found(dir) = &present.postgres {
        have.push(format!("PostgreSQL ({})", dir.display()));
    }
    if present.mariadb {
        have.push("MariaDB".to_owned());
    }
    if present.redis {
        have.push("redis-server".to_owned());
    }
    if task == Task::Test {
        have.extend(["the AWS CLI", "boto3"].map(String::from));
        if present.aws_v2 == AwsCliV2::Found {
            have.push("the AWS CLI v2".to_owned());
        }
        if present.node_packages == NodePackages::Installed {
            have.push("the Node examples' packages".to_owned());
        }
        have.extend(["Chromium", "xmllint", "jq"].map(String::from));
    }
    format!("xtask: prerequisites present: {}", have.join(", "))
}

/// Checks what `task` needs and installs what is missing, or says in one
/// line each what to install and fails.
pub fn ensure(task: Task, root: &Path) -> Result<(), String> {
    let node_dir = root.join("examples").join("node");
    let present = probe(task, &node_dir);
    let host = host();
    let steps = plan(task, &present, &host, &node_dir);
    if steps.is_empty() {
        println!("{}", summary(task, &present));
        return Ok(());
    }
    let report_only = std::env::var_os("FIREDRILL_NO_INSTALL").is_some_and(|v| v == "1");
    if report_only || steps.iter().any(|s| matches!(s.how, How::Manual(_))) {
        for step in &steps {
            eprintln!("xtask: {}", step.line());
        }
        return Err(if report_only {
            format!(
                "{} prerequisite(s) missing; FIREDRILL_NO_INSTALL=1, so nothing was installed",
                steps.len()
            )
        } else {
            "install the above, then run the task again".to_owned()
        });
    }
    install(&steps, host.apt.as_deref().unwrap_or_default())?;
    let after = plan(task, &probe(task, &node_dir), &host, &node_dir);
    if after.is_empty() {
        return Ok(());
    }
    for step in &after {
        eprintln!("xtask: still {}", step.line());
    }
    Err("the installs above did not provide everything; install the rest by hand".to_owned())
}

/// Runs the steps: every Debian package in one `apt-get install` (after one
/// `apt-get update`), then pip, then `npm ci` (which may need the npm that
/// apt just installed).
fn install(steps: &[Step], sudo: &[String]) -> Result<(), String> {
    let apt: Vec<&Step> = steps.iter().filter(|s| matches!(s.how, How::Apt(_))).collect();
    if !apt.is_empty() {
        let packages: Vec<&str> = apt
            .iter()
            .flat_map(|s| match &s.how {
                How::Apt(p) => p.clone(),
                _ => Vec::new(),
            })
            .collect();
        let reasons: Vec<String> = apt.iter().map(|s| format!("{} for {}", s.what, s.why)).collect();
        println!(
            "xtask: installing {} with apt-get ({})",
            packages.join(" "),
            reasons.join("; ")
        );
        as_root(sudo, &["apt-get", "update", "-qq"])?;
        let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
        install.extend(&packages);
        as_root(sudo, &install)?;
        // Debian's packages start servers of their own; firedrill starts
        // its own and needs none running.
        for (package, service) in [("postgresql", "postgresql"), ("mariadb-server", "mariadb")] {
            if packages.contains(&package) {
                let _ = root_command(sudo, &["service", service, "stop"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
    for step in steps {
        match &step.how {
            How::Pip(package) => {
                println!(
                    "xtask: installing {package} with pip ({} for {})",
                    step.what, step.why
                );
                let mut cmd = Command::new("python3");
                cmd.args(["-m", "pip", "install", "--quiet", package])
                    .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
                crate::run(cmd)?;
            }
            How::NpmCi(dir) => {
                println!(
                    "xtask: installing {} with `npm ci --prefix {}` ({})",
                    step.what,
                    dir.display(),
                    step.why
                );
                let mut cmd = Command::new("npm");
                cmd.arg("ci")
                    .arg("--prefix")
                    .arg(dir)
                    .args(["--no-audit", "--no-fund"]);
                crate::run(cmd)?;
            }
            How::Apt(_) | How::Manual(_) => {}
        }
    }
    Ok(())
}

/// `args` as a command run as root: directly, or after the `sudo -n` prefix.
fn root_command(sudo: &[String], args: &[&str]) -> Command {
    let mut argv = sudo.iter().map(String::as_str).chain(args.iter().copied());
    let mut cmd = Command::new(argv.next().unwrap_or("true"));
    cmd.args(argv);
    cmd
}

/// Runs `args` as root with apt's questions answered by their defaults.
fn as_root(sudo: &[String], args: &[&str]) -> Result<(), String> {
    let mut argv = vec!["env", "DEBIAN_FRONTEND=noninteractive"];
    argv.extend(args);
    crate::run(root_command(sudo, &argv))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A directory holding the named (empty) files.
    fn bin_dir(root: &Path, rel: &str, tools: &[&str]) -> PathBuf {
        let dir = root.join(rel);
        fs::create_dir_all(&dir).unwrap();
        for t in tools {
            fs::write(dir.join(t), "").unwrap();
        }
        dir
    }

    fn search(root: &Path) -> PgSearch {
        PgSearch {
            pg_bin: None,
            path: None,
            pg_config_bindir: None,
            versions_root: root.join("usr/lib/postgresql"),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-prereqs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_newest_versioned_installation_with_every_tool_wins() {
        let root = scratch("versions");
        bin_dir(&root, "usr/lib/postgresql/9/bin", &PG_TOOLS);
        let fifteen = bin_dir(&root, "usr/lib/postgresql/15/bin", &PG_TOOLS);
        // 16 lacks pg_basebackup: not usable.
        bin_dir(&root, "usr/lib/postgresql/16/bin", &["initdb", "postgres"]);
        bin_dir(&root, "usr/lib/postgresql/not-a-version/bin", &PG_TOOLS);
        assert_eq!(search(&root).find(), Postgres::Found(fifteen));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn nothing_found_is_missing() {
        let root = scratch("none");
        assert_eq!(search(&root).find(), Postgres::Missing);
        bin_dir(&root, "usr/lib/postgresql/15/bin", &["psql"]);
        assert_eq!(search(&root).find(), Postgres::Missing);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn firedrill_pg_bin_is_the_only_place_looked_at_when_set() {
        let root = scratch("override");
        bin_dir(&root, "usr/lib/postgresql/15/bin", &PG_TOOLS);
        let custom = bin_dir(&root, "opt/pg/bin", &PG_TOOLS);
        let empty = bin_dir(&root, "opt/empty", &[]);
        let mut s = search(&root);
        s.pg_bin = Some(custom.clone());
        assert_eq!(s.find(), Postgres::Found(custom));
        s.pg_bin = Some(empty.clone());
        assert_eq!(s.find(), Postgres::BadOverride(empty));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn path_comes_before_pg_config_and_versions_and_follows_links() {
        let root = scratch("path");
        let real = bin_dir(&root, "usr/lib/postgresql/14/bin", &PG_TOOLS);
        bin_dir(&root, "usr/lib/postgresql/15/bin", &PG_TOOLS);
        let config = bin_dir(&root, "opt/config/bin", &PG_TOOLS);
        // Debian links initdb alone into PATH; the rest sit beside the real one.
        let linked = bin_dir(&root, "usr/bin", &[]);
        std::os::unix::fs::symlink(real.join("initdb"), linked.join("initdb")).unwrap();
        let mut s = search(&root);
        s.pg_config_bindir = Some(config.clone());
        assert_eq!(
            s.find(),
            Postgres::Found(config.clone()),
            "pg_config before the versions"
        );
        s.path = Some(std::env::join_paths([root.join("nowhere"), linked]).unwrap());
        assert_eq!(s.find(), Postgres::Found(real), "PATH first, through the link");
        fs::remove_dir_all(&root).unwrap();
    }

    fn everything() -> Present {
        Present {
            postgres: Postgres::Found(PathBuf::from("/usr/lib/postgresql/15/bin")),
            mariadb: true,
            aws: true,
            aws_v2: AwsCliV2::Found,
            boto3: true,
            npm: true,
            node_packages: NodePackages::Installed,
            chromium: true,
            xmllint: true,
            jq: true,
            redis: true,
        }
    }

    fn nothing() -> Present {
        Present {
            postgres: Postgres::Missing,
            mariadb: false,
            aws: false,
            aws_v2: AwsCliV2::Packaged,
            boto3: false,
            npm: false,
            node_packages: NodePackages::Missing,
            chromium: false,
            xmllint: false,
            jq: false,
            redis: false,
        }
    }

    fn root_host() -> Host {
        Host {
            apt: Some(Vec::new()),
            pip: true,
        }
    }

    fn hows(steps: &[Step]) -> Vec<How> {
        steps.iter().map(|s| s.how.clone()).collect()
    }

    const NODE: &str = "/w/examples/node";

    #[test]
    fn nothing_to_do_when_everything_is_present() {
        assert!(plan(Task::Test, &everything(), &root_host(), Path::new(NODE)).is_empty());
        let no_node = Present {
            npm: false,
            node_packages: NodePackages::NotUsed,
            ..everything()
        };
        assert!(
            plan(Task::Test, &no_node, &root_host(), Path::new(NODE)).is_empty(),
            "no examples/node/package.json: Node is not needed"
        );
    }

    #[test]
    fn a_bare_root_machine_installs_everything() {
        let steps = plan(Task::Test, &nothing(), &root_host(), Path::new(NODE));
        assert_eq!(
            hows(&steps),
            vec![
                How::Apt(vec!["postgresql"]),
                How::Apt(vec!["mariadb-server", "mariadb-backup", "mariadb-client"]),
                How::Apt(vec!["redis-server"]),
                How::Pip("awscli"),
                How::Apt(vec!["awscli"]),
                How::Pip("boto3"),
                How::Apt(vec!["nodejs", "npm"]),
                How::NpmCi(PathBuf::from(NODE)),
                How::Apt(vec!["chromium"]),
                How::Apt(vec!["libxml2-utils"]),
                How::Apt(vec!["jq"]),
            ]
        );
    }

    #[test]
    fn drill_needs_only_the_database_and_cache_servers() {
        let steps = plan(Task::Drill, &nothing(), &root_host(), Path::new(NODE));
        assert_eq!(
            hows(&steps),
            vec![
                How::Apt(vec!["postgresql"]),
                How::Apt(vec!["mariadb-server", "mariadb-backup", "mariadb-client"]),
                How::Apt(vec!["redis-server"])
            ]
        );
        let present = Present {
            postgres: everything().postgres,
            mariadb: true,
            redis: true,
            ..nothing()
        };
        assert!(plan(Task::Drill, &present, &root_host(), Path::new(NODE)).is_empty());
    }

    #[test]
    fn a_debian_system_python_gets_debian_packages() {
        let host = Host {
            apt: Some(vec!["sudo".into(), "-n".into()]),
            pip: false,
        };
        let present = Present {
            aws: false,
            boto3: false,
            ..everything()
        };
        let steps = plan(Task::Test, &present, &host, Path::new(NODE));
        assert_eq!(
            hows(&steps),
            vec![How::Apt(vec!["awscli"]), How::Apt(vec!["python3-boto3"])]
        );
    }

    #[test]
    fn the_cli_v2_comes_from_debian_beside_a_cli_v1_from_pypi() {
        let v1_only = Present {
            aws_v2: AwsCliV2::Packaged,
            ..everything()
        };
        let steps = plan(Task::Test, &v1_only, &root_host(), Path::new(NODE));
        assert_eq!(hows(&steps), vec![How::Apt(vec!["awscli"])]);
        let debian_python = Host {
            apt: Some(Vec::new()),
            pip: false,
        };
        let neither = Present {
            aws: false,
            aws_v2: AwsCliV2::Packaged,
            ..everything()
        };
        let steps = plan(Task::Test, &neither, &debian_python, Path::new(NODE));
        assert_eq!(
            hows(&steps),
            vec![How::Apt(vec!["awscli"])],
            "Debian's awscli is the v2 and serves both"
        );
        let elsewhere = Present {
            aws_v2: AwsCliV2::Unavailable,
            ..everything()
        };
        assert!(
            plan(Task::Test, &elsewhere, &root_host(), Path::new(NODE)).is_empty(),
            "no package provides the v2: the test skips, the task goes on"
        );
        let no_root = Host { apt: None, pip: true };
        assert!(
            plan(Task::Test, &v1_only, &no_root, Path::new(NODE)).is_empty(),
            "without apt the v2 is never asked for"
        );
    }

    #[test]
    fn present_npm_only_needs_npm_ci() {
        let present = Present {
            node_packages: NodePackages::Missing,
            ..everything()
        };
        let steps = plan(Task::Test, &present, &root_host(), Path::new(NODE));
        assert_eq!(hows(&steps), vec![How::NpmCi(PathBuf::from(NODE))]);
        assert_eq!(
            steps[0].line(),
            "missing the Node examples' packages (the Node examples): install with `npm ci --prefix /w/examples/node`"
        );
    }

    #[test]
    fn without_root_or_sudo_every_line_says_what_to_install() {
        let host = Host {
            apt: None,
            pip: false,
        };
        let steps = plan(Task::Test, &nothing(), &host, Path::new(NODE));
        let lines: Vec<String> = steps.iter().map(Step::line).collect();
        assert!(
            steps
                .iter()
                .all(|s| matches!(s.how, How::Manual(_) | How::NpmCi(_))),
            "{lines:#?}"
        );
        assert!(lines[0].contains("apt-get install postgresql"), "{}", lines[0]);
        assert!(lines[0].contains("FIREDRILL_PG_BIN"), "{}", lines[0]);
        assert!(lines[1].contains("FIREDRILL_MARIADB_BIN"), "{}", lines[1]);
        assert!(lines.iter().any(|l| l.contains("python3 -m pip install awscli")));
        assert!(lines.iter().any(|l| l.contains("apt-get install nodejs npm")));
        assert!(lines.iter().any(|l| l.contains("apt-get install libxml2-utils")));
        assert!(lines.iter().all(|l| !l.contains('\n')), "one line each");
    }

    #[test]
    fn node_packages_are_missing_until_installed_unless_there_are_none() {
        let dir = scratch("node");
        assert_eq!(node_packages(&dir), NodePackages::NotUsed);
        fs::write(dir.join("package.json"), r#"{"name": "x"}"#).unwrap();
        assert_eq!(node_packages(&dir), NodePackages::Missing, "no lock yet");
        fs::write(
            dir.join("package-lock.json"),
            r#"{"lockfileVersion": 3, "packages": {"": {"name": "x"}}}"#,
        )
        .unwrap();
        assert_eq!(node_packages(&dir), NodePackages::Installed, "nothing to install");
        fs::write(
            dir.join("package-lock.json"),
            r#"{"lockfileVersion": 3, "packages": {"": {"name": "x"}, "node_modules/@aws-sdk/client-s3": {"version": "3.0.0"}}}"#,
        )
        .unwrap();
        assert_eq!(node_packages(&dir), NodePackages::Missing);
        fs::create_dir(dir.join("node_modules")).unwrap();
        assert_eq!(node_packages(&dir), NodePackages::Installed);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn mariadb_is_found_under_either_name_where_the_rds_crate_looks() {
        let root = scratch("mariadb");
        let sbin = root.join("sbin");
        let bin = root.join("bin");
        fs::create_dir_all(&sbin).unwrap();
        fs::create_dir_all(&bin).unwrap();
        fs::write(sbin.join("mariadbd"), "").unwrap();
        for tool in ["mariadb-install-db", "mariabackup", "mysqlbinlog"] {
            fs::write(bin.join(tool), "").unwrap();
        }
        let both = std::env::join_paths([&sbin, &bin]).unwrap();
        assert!(!mariadb_found(Some(&both), None), "no client yet");
        fs::write(bin.join("mariadb"), "").unwrap();
        assert!(mariadb_found(Some(&both), None));
        let only_bin = std::env::join_paths([&bin]).unwrap();
        assert!(
            !mariadb_found(Some(&only_bin), None),
            "the override is the only place looked at"
        );
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_wrong_firedrill_pg_bin_is_never_papered_over_by_a_package() {
        let present = Present {
            postgres: Postgres::BadOverride(PathBuf::from("/opt/nothing")),
            ..everything()
        };
        let steps = plan(Task::Drill, &present, &root_host(), Path::new(NODE));
        assert_eq!(steps.len(), 1);
        assert!(matches!(steps[0].how, How::Manual(_)));
        assert!(
            steps[0]
                .line()
                .contains("FIREDRILL_PG_BIN=/opt/nothing does not hold initdb"),
            "{}",
            steps[0].line()
        );
    }
}
