//! PostgreSQL process management: finding the binaries, the cached `initdb`
//! template, starting and stopping one server per instance, base backups,
//! WAL archive bookkeeping and the janitor that cleans up after a dead
//! emulator.
//!
//! This module knows PostgreSQL and the file system, and nothing of RDS's API.
//! The engine ([`crate::engine`]) decides what to start and when.
//!
//! Cleanup design (every server and directory goes away, whatever happens):
//! - Each [`PgServer`] owns its `postgres` child process; dropping it sends
//!   SIGQUIT (immediate shutdown) and waits for the process synchronously.
//!   [`PgRuntime`] keeps a weak registry of every server it started, so
//!   `shutdown` (and `Drop`) stop servers that background tasks still hold.
//! - A [`Janitor`] (from the core, [`firedrill_emu_core::janitor`]) watches
//!   the run directory and the template: when the emulator exits in any way
//!   (clean shutdown, panic, Ctrl-C, SIGKILL) it stops every postmaster whose
//!   `postmaster.pid` lies under its directory and removes the directory.
//!   Servers and janitors run in their own process groups, so a terminal's
//!   Ctrl-C reaches the emulator first.
//! - Durability: servers run with `fsync=off` for speed. Every acknowledged
//!   commit survives a clean stop, an immediate stop and a crash of
//!   PostgreSQL itself (the WAL is in the OS page cache); only an operating
//!   system crash could lose recent commits, which is acceptable for an
//!   emulator whose state lives in memory anyway.
//!
//! When the process runs as root, PostgreSQL (which refuses root) and every
//! helper it needs run as the `postgres` user if it exists, else `nobody`;
//! the runtime directory is owned by that user and its ancestors are made
//! traversable (`o+x`).

use chrono::{DateTime, Utc};
pub use firedrill_emu_core::janitor::Janitor;
use parking_lot::Mutex;
use std::io::{BufRead, Read as _};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The superuser every emulated server has; the emulator's own connections use it.
pub const ADMIN_USER: &str = "firedrill_admin";

/// A database the template holds so that a new instance renames it to its
/// DBName (instant) instead of creating one.
pub const SPARE_DATABASE: &str = "firedrill_spare";

/// Why a PostgreSQL operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// No usable PostgreSQL installation was found.
    #[error("{0}")]
    NoBinaries(String),
    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A PostgreSQL tool or the server failed.
    #[error("{0}")]
    Failed(String),
    /// A SQL statement failed.
    #[error("SQL on the emulated server failed: {0}")]
    Sql(#[from] tokio_postgres::Error),
    /// The runtime was shut down.
    #[error("the RDS emulator is shutting down")]
    ShuttingDown,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let context = context.into();
    move |source| PgError::Io { context, source }
}

/// Where the PostgreSQL programs live.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    /// The directory holding `initdb`, `postgres` and `pg_basebackup`.
    pub bin_dir: PathBuf,
}

impl PgBinaries {
    /// Finds PostgreSQL: `FIREDRILL_PG_BIN`, else `initdb` on `PATH`, else
    /// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
    pub fn discover() -> Result<Self, PgError> {
        if let Some(dir) = std::env::var_os("FIREDRILL_PG_BIN") {
            let dir = PathBuf::from(dir);
            return Self::usable(&dir).ok_or_else(|| {
                PgError::NoBinaries(format!(
                    "FIREDRILL_PG_BIN={} does not hold initdb, postgres and pg_basebackup",
                    dir.display()
                ))
            });
        }
        let mut candidates = Vec::new();
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                let initdb = dir.join("initdb");
                if initdb.is_file() {
                    // Distributions link a few tools into PATH; the rest sit
                    // next to the real binary.
                    if let Ok(real) = std::fs::canonicalize(&initdb)
                        && let Some(parent) = real.parent()
                    {
                        candidates.push(parent.to_path_buf());
                    }
                    candidates.push(dir);
                }
            }
        }
        if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
            && out.status.success()
        {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
        if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
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
            .iter()
            .find_map(|dir| Self::usable(dir))
            .ok_or_else(|| {
                PgError::NoBinaries(
                    "firedrill could not find PostgreSQL (initdb, postgres, pg_basebackup): install PostgreSQL or set FIREDRILL_PG_BIN to its bin directory".to_owned(),
                )
            })
    }

    fn usable(dir: &Path) -> Option<Self> {
        ["initdb", "postgres", "pg_basebackup"]
            .iter()
            .all(|t| dir.join(t).is_file())
            .then(|| Self {
                bin_dir: dir.to_path_buf(),
            })
    }

    /// The path of one program.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// The unprivileged account PostgreSQL runs as when the emulator is root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl RunAs {
    /// `None` when not root (PostgreSQL runs as the current user).
    pub fn detect() -> Option<Self> {
        if !nix::unistd::geteuid().is_root() {
            return None;
        }
        for name in ["postgres", "nobody"] {
            if let Ok(Some(user)) = nix::unistd::User::from_name(name) {
                return Some(Self {
                    uid: user.uid.as_raw(),
                    gid: user.gid.as_raw(),
                });
            }
        }
        // Fall back to the conventional nobody ids.
        Some(Self {
            uid: 65534,
            gid: 65534,
        })
    }
}

fn chown(path: &Path, run_as: Option<RunAs>) -> Result<(), PgError> {
    if let Some(r) = run_as {
        nix::unistd::chown(
            path,
            Some(nix::unistd::Uid::from_raw(r.uid)),
            Some(nix::unistd::Gid::from_raw(r.gid)),
        )
        .map_err(|e| PgError::Failed(format!("chown {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700, owned by the server user.
pub fn make_dir(dir: &Path, run_as: Option<RunAs>) -> Result<(), PgError> {
    std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(io(format!("chmod {}", dir.display())))?;
    chown(dir, run_as)
}

/// Adds `o+x` to every ancestor of `dir` that lacks it, so the server user
/// can reach its files.
fn make_traversable(dir: &Path) -> Result<(), PgError> {
    for ancestor in dir.ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() || ancestor == Path::new("/") {
            continue;
        }
        let meta = std::fs::metadata(ancestor).map_err(io(format!("stat {}", ancestor.display())))?;
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            tracing::debug!(dir = %ancestor.display(), "adding o+x so the PostgreSQL user can traverse it");
            std::fs::set_permissions(ancestor, std::fs::Permissions::from_mode((mode & 0o7777) | 0o001))
                .map_err(io(format!("chmod {}", ancestor.display())))?;
        }
    }
    Ok(())
}

/// A cluster directory made by `initdb` once and copied for each instance.
#[derive(Debug)]
pub struct Template {
    base: PathBuf,
    /// The initialised data directory.
    pub data: PathBuf,
    /// The password of [`ADMIN_USER`].
    pub admin_password: String,
    janitor: Mutex<Janitor>,
}

impl Drop for Template {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
        self.janitor.lock().finish();
    }
}

/// The template shared by every runtime of this process while one is alive.
static TEMPLATE: Mutex<Weak<Template>> = Mutex::new(Weak::new());

fn build_template(bins: &PgBinaries, run_as: Option<RunAs>) -> Result<Arc<Template>, PgError> {
    let mut shared = TEMPLATE.lock();
    if let Some(t) = shared.upgrade() {
        return Ok(t);
    }
    let started = Instant::now();
    let base = tempfile::Builder::new()
        .prefix("firedrill-pg-template-")
        .tempdir()
        .map_err(io("create the template directory"))?
        .keep();
    let janitor = Janitor::spawn(&base).map_err(io("start the cleanup janitor"))?;
    if run_as.is_some() {
        make_traversable(&base.join("x"))?;
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o700))
            .map_err(io("chmod template dir"))?;
        chown(&base, run_as)?;
    }
    let admin_password = firedrill_emu_core::ids::random_hex(32);
    let pwfile = base.join("pw");
    std::fs::write(&pwfile, &admin_password).map_err(io("write the password file"))?;
    chown(&pwfile, run_as)?;
    let data = base.join("data");
    let mut cmd = command(&bins.tool("initdb"), run_as);
    cmd.arg("-D")
        .arg(&data)
        .arg("-U")
        .arg(ADMIN_USER)
        .arg(format!("--pwfile={}", pwfile.display()))
        .args([
            "--auth-local=md5",
            "--auth-host=md5",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--wal-segsize=1",
            "--no-instructions",
        ]);
    let out = cmd.output().map_err(io("run initdb"))?;
    let _ = std::fs::remove_file(&pwfile);
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&base);
        return Err(PgError::Failed(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    // In single-user mode: store the superuser's password as MD5 (the
    // emulator's own connections then authenticate cheaply; clients' roles
    // keep SCRAM, which pg_hba's md5 method negotiates), and create a spare
    // database that an instance renames to its DBName instead of paying for
    // CREATE DATABASE.
    let script = format!(
        "SET password_encryption = 'md5';\nALTER ROLE {ADMIN_USER} PASSWORD '{admin_password}';\nCREATE DATABASE {SPARE_DATABASE};\n"
    );
    let mut single = command(&bins.tool("postgres"), run_as);
    single
        .arg("--single")
        .arg("-D")
        .arg(&data)
        .args(["-c", "fsync=off", "-c", "log_min_messages=warning", "postgres"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = single.spawn().map_err(io("run postgres --single"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        stdin
            .write_all(script.as_bytes())
            .map_err(io("write to postgres --single"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(io("wait for postgres --single"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || stderr.contains("ERROR") {
        let _ = std::fs::remove_dir_all(&base);
        return Err(PgError::Failed(format!(
            "preparing the template failed: {stderr}"
        )));
    }
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, dir = %data.display(), "initdb template ready");
    let template = Arc::new(Template {
        base,
        data,
        admin_password,
        janitor: Mutex::new(janitor),
    });
    *shared = Arc::downgrade(&template);
    Ok(template)
}

fn command(program: &Path, run_as: Option<RunAs>) -> Command {
    let mut cmd = Command::new(program);
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid);
    }
    cmd.env("LC_ALL", "C").stdin(Stdio::null());
    cmd
}

fn async_command(program: &Path, run_as: Option<RunAs>) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid);
    }
    cmd.env("LC_ALL", "C").stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

/// Where a restored server's recovery stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryTarget {
    /// Replay every commit at or before this wall-clock instant.
    Time(DateTime<Utc>),
    /// Replay up to and including this transaction's commit.
    Xid(String),
    /// Stop as soon as the base backup is consistent.
    Immediate,
}

/// Archive recovery settings for a server started from a base backup.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The WAL archive to replay from.
    pub archive: PathBuf,
    /// Where to stop.
    pub target: RecoveryTarget,
}

/// What a server is started with.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The server log.
    pub log_path: PathBuf,
    /// Where completed WAL segments are archived (skipped while it does not exist).
    pub archive_dir: PathBuf,
    /// Archive recovery to perform before accepting writes.
    pub recovery: Option<Recovery>,
}

/// How a server is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Clean shutdown with a checkpoint (SIGINT).
    Fast,
    /// Abort without a checkpoint (SIGQUIT); crash recovery on next start.
    Immediate,
}

/// One running PostgreSQL server.
#[derive(Debug)]
pub struct PgServer {
    /// Its data directory.
    pub data_dir: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    pid: u32,
    child: Mutex<Option<Child>>,
    admin_password: String,
    admin: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
}

impl PgServer {
    /// The postmaster's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the postmaster is still running.
    pub fn is_running(&self) -> bool {
        let mut child = self.child.lock();
        match child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Stops the server and waits for it (synchronously, bounded).
    pub fn stop(&self, mode: StopMode) {
        let Some(mut child) = self.child.lock().take() else {
            return;
        };
        let pid = nix::unistd::Pid::from_raw(self.pid as i32);
        let signal = match mode {
            StopMode::Fast => nix::sys::signal::Signal::SIGINT,
            StopMode::Immediate => nix::sys::signal::Signal::SIGQUIT,
        };
        let _ = nix::sys::signal::kill(pid, signal);
        let deadline = Instant::now()
            + Duration::from_secs(match mode {
                StopMode::Fast => 30,
                StopMode::Immediate => 10,
            });
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    tracing::warn!(pid = self.pid, "PostgreSQL did not stop in time; killing it");
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        // The backends notice the postmaster's death and exit on their own;
        // give them a moment so the data directory can be removed cleanly.
        let pidfile = self.data_dir.join("postmaster.pid");
        let deadline = Instant::now() + Duration::from_secs(2);
        while pidfile.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the server without blocking the async runtime.
    pub async fn stop_async(self: &Arc<Self>, mode: StopMode) {
        self.admin.lock().await.take();
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.stop(mode)).await;
    }

    /// A connection string for `user` on `database`.
    pub fn conninfo(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user='{}' password='{}' dbname='{}' connect_timeout=10",
            self.port,
            user.replace('\\', "\\\\").replace('\'', "\\'"),
            password.replace('\\', "\\\\").replace('\'', "\\'"),
            database.replace('\\', "\\\\").replace('\'', "\\'"),
        )
    }

    /// A fresh superuser connection to `database`.
    pub async fn connect_admin(&self, database: &str) -> Result<tokio_postgres::Client, PgError> {
        let (client, conn) = tokio_postgres::connect(
            &self.conninfo(ADMIN_USER, &self.admin_password, database),
            tokio_postgres::NoTls,
        )
        .await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    }

    /// Runs `f` on the cached superuser connection to `postgres`,
    /// reconnecting when it was closed.
    pub async fn with_admin<T, F>(&self, f: F) -> Result<T, PgError>
    where
        F: AsyncFnOnce(&tokio_postgres::Client) -> Result<T, PgError>,
    {
        let mut guard = self.admin.lock().await;
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            *guard = Some(self.connect_admin("postgres").await?);
        }
        let client = guard.as_ref().expect("connected above");
        let result = f(client).await;
        if result.is_err() && client.is_closed() {
            guard.take();
        }
        result
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop(StopMode::Immediate);
    }
}

/// What a base backup covers.
#[derive(Debug, Clone)]
pub struct BaseBackupInfo {
    /// The first WAL segment the backup needs.
    pub start_wal: String,
    /// The wall instant the backup was complete (consistent) by.
    pub end_wall: DateTime<Utc>,
    /// Bytes on disk.
    pub size_bytes: u64,
}

/// The latest commit the archive is known to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Its transaction id.
    pub xid: String,
    /// Its commit timestamp (wall clock).
    pub commit_wall: DateTime<Utc>,
}

/// The state shared by every server of one RDS service: binaries, the
/// template, the run directory and its janitor.
#[derive(Debug)]
pub struct PgRuntime {
    bins: Result<PgBinaries, String>,
    /// The run directory; everything PostgreSQL writes lives under it.
    pub root: PathBuf,
    /// The account servers run as (when root).
    pub run_as: Option<RunAs>,
    template: Mutex<Option<Arc<Template>>>,
    janitor: Mutex<Option<Janitor>>,
    servers: Mutex<Vec<Weak<PgServer>>>,
    closed: std::sync::atomic::AtomicBool,
}

impl PgRuntime {
    /// A runtime whose files live in a fresh directory under `service_dir`.
    pub fn new(service_dir: &Path) -> Self {
        let bins = PgBinaries::discover().map_err(|e| e.to_string());
        let run_as = RunAs::detect();
        let root = service_dir.join(format!(
            "run-{}-{}",
            std::process::id(),
            firedrill_emu_core::ids::random_hex(8)
        ));
        let runtime = Self {
            bins,
            root,
            run_as,
            template: Mutex::new(None),
            janitor: Mutex::new(None),
            servers: Mutex::new(Vec::new()),
            closed: std::sync::atomic::AtomicBool::new(false),
        };
        if let Err(e) = runtime.prepare_root() {
            tracing::warn!(error = %e, "could not prepare the RDS run directory");
        }
        runtime
    }

    fn prepare_root(&self) -> Result<(), PgError> {
        make_dir(&self.root, self.run_as)?;
        if self.run_as.is_some() {
            make_traversable(&self.root)?;
        }
        *self.janitor.lock() = Some(Janitor::spawn(&self.root).map_err(io("start the cleanup janitor"))?);
        Ok(())
    }

    /// Whether `shutdown` has begun: background work that fails now is
    /// expected to, and says so quietly.
    pub fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The binaries, or why there are none.
    pub fn binaries(&self) -> Result<&PgBinaries, PgError> {
        self.bins.as_ref().map_err(|e| PgError::NoBinaries(e.clone()))
    }

    fn check_open(&self) -> Result<(), PgError> {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            Err(PgError::ShuttingDown)
        } else {
            Ok(())
        }
    }

    /// The initdb template, created on first use (blocking).
    pub fn template_blocking(&self) -> Result<Arc<Template>, PgError> {
        let mut slot = self.template.lock();
        if let Some(t) = slot.as_ref() {
            return Ok(t.clone());
        }
        let t = build_template(self.binaries()?, self.run_as)?;
        *slot = Some(t.clone());
        Ok(t)
    }

    /// The initdb template, created on first use.
    pub async fn template(self: &Arc<Self>) -> Result<Arc<Template>, PgError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.template_blocking())
            .await
            .map_err(|e| PgError::Failed(format!("template task failed: {e}")))?
    }

    /// Gives `path` to the server user (when running as root).
    pub fn own(&self, path: &Path) -> Result<(), PgError> {
        chown(path, self.run_as)
    }

    /// Creates a directory owned by the server user.
    pub fn make_dir(&self, dir: &Path) -> Result<(), PgError> {
        make_dir(dir, self.run_as)
    }

    /// Copies a directory tree, keeping modes and owners (`cp -a`).
    pub async fn copy_tree(&self, from: &Path, to: &Path) -> Result<(), PgError> {
        if let Some(parent) = to.parent() {
            self.make_dir(parent)?;
        }
        let out = tokio::process::Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(to)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(io("run cp"))?;
        if !out.status.success() {
            return Err(PgError::Failed(format!(
                "copying {} to {} failed: {}",
                from.display(),
                to.display(),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        chown(to, self.run_as)?;
        Ok(())
    }

    /// Copies a tree that nobody will modify in place, with hard links
    /// where the file system allows (`cp -al`), else a plain copy.
    pub async fn link_tree(&self, from: &Path, to: &Path) -> Result<(), PgError> {
        if let Some(parent) = to.parent() {
            self.make_dir(parent)?;
        }
        let linked = tokio::process::Command::new("cp")
            .arg("-al")
            .arg(from)
            .arg(to)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status()
            .await
            .map(|s| s.success())
            .unwrap_or(false);
        if linked {
            return Ok(());
        }
        let _ = std::fs::remove_dir_all(to);
        self.copy_tree(from, to).await
    }

    /// A fresh data directory copied from the template.
    pub async fn fresh_data_dir(self: &Arc<Self>, data_dir: &Path) -> Result<(), PgError> {
        let template = self.template().await?;
        self.copy_tree(&template.data, data_dir).await
    }

    /// Starts a server on `spec`, preferring `port` when given and free.
    pub async fn start(
        self: &Arc<Self>,
        spec: &ServerSpec,
        port: Option<u16>,
    ) -> Result<Arc<PgServer>, PgError> {
        self.check_open()?;
        let bins = self.binaries()?.clone();
        let template = self.template().await?;
        for s in [&spec.archive_dir, &spec.data_dir] {
            if s.to_string_lossy().contains('\'') {
                return Err(PgError::Failed(format!("path {} contains a quote", s.display())));
            }
        }
        if let Some(recovery) = &spec.recovery {
            let signal = spec.data_dir.join("recovery.signal");
            std::fs::write(&signal, b"").map_err(io("write recovery.signal"))?;
            chown(&signal, self.run_as)?;
            let _ = std::fs::remove_file(spec.data_dir.join("standby.signal"));
            let _ = recovery;
        }
        let _ = std::fs::remove_file(spec.data_dir.join("postmaster.pid"));
        let mut last_error = String::new();
        for attempt in 0..4 {
            let port = match (attempt, port) {
                (0, Some(p)) if port_is_free(p) => p,
                _ => free_port().map_err(|(_, e)| e)?,
            };
            match self.spawn_once(&bins, &template, spec, port).await {
                Ok(server) => {
                    let server = Arc::new(server);
                    let mut servers = self.servers.lock();
                    servers.retain(|w| w.strong_count() > 0);
                    servers.push(Arc::downgrade(&server));
                    drop(servers);
                    if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                        server.stop(StopMode::Immediate);
                        return Err(PgError::ShuttingDown);
                    }
                    return Ok(server);
                }
                Err((retry, e)) => {
                    last_error = e.to_string();
                    if !retry {
                        return Err(e);
                    }
                }
            }
        }
        Err(PgError::Failed(last_error))
    }

    async fn spawn_once(
        &self,
        bins: &PgBinaries,
        template: &Template,
        spec: &ServerSpec,
        port: u16,
    ) -> Result<PgServer, (bool, PgError)> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log_path)
            .map_err(|e| (false, io("open the server log")(e)))?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let log_err = log
            .try_clone()
            .map_err(|e| (false, io("clone the log handle")(e)))?;
        let arch = spec.archive_dir.display().to_string();
        let archive_command = format!(
            "[ ! -d '{arch}' ] || [ -f '{arch}/%f' ] || {{ cp %p '{arch}/%f.tmp' && mv '{arch}/%f.tmp' '{arch}/%f'; }}"
        );
        let mut cmd = command(&bins.tool("postgres"), self.run_as);
        cmd.arg("-D").arg(&spec.data_dir);
        let mut settings: Vec<(String, String)> = vec![
            ("port".into(), port.to_string()),
            ("listen_addresses".into(), "127.0.0.1".into()),
            ("unix_socket_directories".into(), String::new()),
            ("wal_level".into(), "replica".into()),
            ("archive_mode".into(), "on".into()),
            ("archive_command".into(), archive_command),
            ("archive_timeout".into(), "0".into()),
            ("fsync".into(), "off".into()),
            ("synchronous_commit".into(), "on".into()),
            ("full_page_writes".into(), "on".into()),
            ("track_commit_timestamp".into(), "on".into()),
            ("max_connections".into(), "60".into()),
            ("shared_buffers".into(), "32MB".into()),
            ("max_wal_senders".into(), "5".into()),
            ("max_wal_size".into(), "256MB".into()),
            ("checkpoint_timeout".into(), "30min".into()),
            ("logging_collector".into(), "off".into()),
            ("log_min_messages".into(), "warning".into()),
            ("timezone".into(), "UTC".into()),
            ("log_timezone".into(), "UTC".into()),
            ("password_encryption".into(), "scram-sha-256".into()),
        ];
        if let Some(recovery) = &spec.recovery {
            // Without hot standby the postmaster only reports "ready" once
            // recovery ended and the server was promoted.
            settings.push(("hot_standby".into(), "off".into()));
            let archive = recovery.archive.display().to_string();
            settings.push(("restore_command".into(), format!("cp '{archive}/%f' '%p'")));
            settings.push(("recovery_target_action".into(), "promote".into()));
            settings.push(("recovery_target_inclusive".into(), "true".into()));
            settings.push(("recovery_target_timeline".into(), "latest".into()));
            match &recovery.target {
                RecoveryTarget::Time(t) => settings.push((
                    "recovery_target_time".into(),
                    t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string(),
                )),
                RecoveryTarget::Xid(x) => settings.push(("recovery_target_xid".into(), x.clone())),
                RecoveryTarget::Immediate => settings.push(("recovery_target".into(), "immediate".into())),
            }
        }
        for (k, v) in &settings {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        cmd.stdout(log).stderr(log_err).process_group(0);
        let mut child = cmd.spawn().map_err(|e| (false, io("start postgres")(e)))?;
        let pid = child.id();
        let started = Instant::now();
        let timeout = if spec.recovery.is_some() {
            Duration::from_secs(300)
        } else {
            Duration::from_secs(60)
        };
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let tail = log_tail(&spec.log_path, log_start);
                let retry =
                    tail.contains("could not bind") || tail.contains("could not create any TCP/IP sockets");
                return Err((
                    retry,
                    PgError::Failed(format!("PostgreSQL exited ({status}) while starting: {tail}")),
                ));
            }
            if postmaster_status(&spec.data_dir).as_deref() == Some("ready") {
                break;
            }
            if started.elapsed() > timeout {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGQUIT,
                );
                let _ = child.wait();
                return Err((
                    false,
                    PgError::Failed(format!(
                        "PostgreSQL did not become ready within {timeout:?}: {}",
                        log_tail(&spec.log_path, log_start)
                    )),
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tracing::debug!(pid, port, elapsed_ms = started.elapsed().as_millis() as u64, dir = %spec.data_dir.display(), "PostgreSQL ready");
        Ok(PgServer {
            data_dir: spec.data_dir.clone(),
            port,
            pid,
            child: Mutex::new(Some(child)),
            admin_password: template.admin_password.clone(),
            admin: tokio::sync::Mutex::new(None),
        })
    }

    /// Takes a self-contained base backup of `server` into `dest` (which
    /// must not exist).
    pub async fn base_backup(&self, server: &PgServer, dest: &Path) -> Result<BaseBackupInfo, PgError> {
        self.check_open()?;
        let bins = self.binaries()?;
        if let Some(parent) = dest.parent() {
            self.make_dir(parent)?;
        }
        let out = async_command(&bins.tool("pg_basebackup"), self.run_as)
            .arg("-h")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(server.port.to_string())
            .arg("-U")
            .arg(ADMIN_USER)
            .arg("-D")
            .arg(dest)
            .args(["-X", "stream", "-c", "fast", "--no-sync", "--no-manifest", "-w"])
            .env("PGPASSWORD", &server.admin_password)
            .output()
            .await
            .map_err(io("run pg_basebackup"))?;
        let end_wall = Utc::now();
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(dest);
            return Err(PgError::Failed(format!(
                "pg_basebackup failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let label = std::fs::read_to_string(dest.join("backup_label")).map_err(io("read backup_label"))?;
        let start_wal = label
            .lines()
            .find_map(|l| {
                let l = l.strip_prefix("START WAL LOCATION:")?;
                let file = l.split("(file ").nth(1)?;
                Some(file.trim_end_matches(')').trim().to_owned())
            })
            .ok_or_else(|| PgError::Failed("backup_label has no START WAL LOCATION".to_owned()))?;
        Ok(BaseBackupInfo {
            start_wal,
            end_wall,
            size_bytes: dir_size(dest),
        })
    }

    /// Commits a marker transaction, switches WAL and waits until the
    /// segment holding it is in `archive_dir`.
    pub async fn archive_marker(&self, server: &PgServer, archive_dir: &Path) -> Result<Marker, PgError> {
        self.check_open()?;
        let (xid, segment) = server
            .with_admin(async |c| {
                let row = c
                    .query_one(
                        "WITH x AS (SELECT pg_current_xact_id()::text AS xid) SELECT xid FROM x",
                        &[],
                    )
                    .await?;
                let xid: String = row.get(0);
                let row = c
                    .query_one("SELECT pg_walfile_name(pg_switch_wal())", &[])
                    .await?;
                let segment: String = row.get(0);
                Ok((xid, segment))
            })
            .await?;
        let commit_wall = server
            .with_admin(async |c| {
                let row = c
                    .query_one(&format!("SELECT pg_xact_commit_timestamp('{xid}'::xid)"), &[])
                    .await?;
                let ts: Option<DateTime<Utc>> = row.get(0);
                ts.ok_or_else(|| PgError::Failed(format!("no commit timestamp for marker {xid}")))
            })
            .await?;
        let target = archive_dir.join(&segment);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !target.exists() {
            if Instant::now() > deadline {
                return Err(PgError::Failed(format!(
                    "WAL segment {segment} was not archived within 20 s"
                )));
            }
            if !server.is_running() {
                return Err(PgError::Failed("the server stopped while archiving".to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(Marker { xid, commit_wall })
    }

    /// The transaction id of the latest commit, and the server's `now()`.
    pub async fn last_commit(&self, server: &PgServer) -> Result<(Option<String>, DateTime<Utc>), PgError> {
        server
            .with_admin(async |c| {
                let row = c
                    .query_one("SELECT (pg_last_committed_xact()).xid::text, now()", &[])
                    .await?;
                Ok((row.get(0), row.get(1)))
            })
            .await
    }

    /// Stops every server this runtime started, refuses new ones, and
    /// removes the run directory.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        let servers: Vec<Arc<PgServer>> = self
            .servers
            .lock()
            .drain(..)
            .filter_map(|w| w.upgrade())
            .collect();
        for server in &servers {
            server.stop(StopMode::Immediate);
        }
        drop(servers);
        let _ = std::fs::remove_dir_all(&self.root);
        if let Some(mut janitor) = self.janitor.lock().take() {
            janitor.finish();
        }
        self.template.lock().take();
    }

    /// The initdb template directory in use, if one was built.
    pub fn template_dir(&self) -> Option<PathBuf> {
        self.template.lock().as_ref().map(|t| t.base.clone())
    }

    /// The pids of every live server, for diagnostics and tests.
    pub fn server_pids(&self) -> Vec<u32> {
        self.servers
            .lock()
            .iter()
            .filter_map(|w| w.upgrade())
            .filter(|s| s.is_running())
            .map(|s| s.pid())
            .collect()
    }
}

impl Drop for PgRuntime {
    fn drop(&mut self) {
        self.close();
    }
}

fn postmaster_status(data_dir: &Path) -> Option<String> {
    let f = std::fs::File::open(data_dir.join("postmaster.pid")).ok()?;
    let lines: Vec<String> = std::io::BufReader::new(f).lines().map_while(Result::ok).collect();
    lines.get(7).map(|s| s.trim().to_owned())
}

pub fn log_tail(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        use std::io::Seek;
        let _ = f.seek(std::io::SeekFrom::Start(from));
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(8);
    lines[start..].join(" | ")
}

fn free_port() -> Result<u16, (bool, PgError)> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| (false, io("pick a free port")(e)))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| (false, io("pick a free port")(e)))
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The total size of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                match e.file_type() {
                    Ok(t) if t.is_dir() => stack.push(e.path()),
                    Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                    Err(_) => {}
                }
            }
        }
    }
    total
}

/// Whether `name` is a WAL segment file name (24 hex digits).
pub fn is_segment(name: &str) -> bool {
    name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes archived WAL segments older than `keep_from` (timeline ignored,
/// as `pg_archivecleanup` does). History files are kept.
pub fn prune_archive(archive: &Path, keep_from: &str) {
    let Some(cut) = keep_from.get(8..) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(archive) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let base = name.split('.').next().unwrap_or("");
        if is_segment(base) && &base[8..] < cut {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
