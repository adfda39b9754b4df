//! PostgreSQL, the [`DbEngine`] behind `postgres` and `aurora-postgresql`:
//! finding the binaries, the cached `initdb` template, one server per
//! instance, base backups (`pg_basebackup`), WAL archiving with marker
//! commits, point-in-time recovery (`recovery_target_time` /
//! `recovery_target_xid`), read replicas (hot standbys with
//! `primary_conninfo` to the source and its archive as `restore_command`,
//! promoted with `pg_promote`) and archive pruning.
//!
//! This module knows PostgreSQL and the file system, and nothing of RDS's API.
//! The engine ([`crate::engine`]) decides what to start and when, through the
//! [`DbEngine`] and [`DbServer`] traits.
//!
//! Cleanup design (every server and directory goes away, whatever happens):
//! - Each [`PgServer`] owns its `postgres` child process; dropping it sends
//!   SIGQUIT (immediate shutdown) and waits for the process synchronously.
//!   [`PgRuntime`] keeps a weak registry of every server it started, so
//!   `close` (and `Drop`) stop servers that background tasks still hold.
//! - The run directory's [`crate::host::Janitor`] (and the template's own)
//!   stops every postmaster whose `postmaster.pid` lies under its directory
//!   and removes the directory when the emulator exits in any way (clean
//!   shutdown, panic, Ctrl-C, SIGKILL). Servers and janitors run in their
//!   own process groups, so a terminal's Ctrl-C reaches the emulator first.
//! - Durability: servers run with `fsync=off` for speed. Every acknowledged
//!   commit survives a clean stop, an immediate stop and a crash of
//!   PostgreSQL itself (the WAL is in the OS page cache); only an operating
//!   system crash could lose recent commits, which is acceptable for an
//!   emulator whose state lives in memory anyway.
//!
//! When the process runs as root, PostgreSQL (which refuses root) and every
//! helper it needs run as [`crate::host::RunAs`].

use crate::host::{
    self, Janitor, Registered, Registry, RunAs, RunDir, ServerChild, Template, TemplateSlot, async_command,
    chown, command,
};
use crate::process::{
    BaseBackupInfo, DbEngine, DbServer, Marker, RecoveryTarget, ServerError, ServerFuture, ServerSpec,
    StopMode, io,
};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use std::io::BufRead;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

impl From<tokio_postgres::Error> for ServerError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Sql(e.to_string())
    }
}

/// The superuser every emulated server has; the emulator's own connections use it.
pub const ADMIN_USER: &str = "firedrill_admin";

/// The libpq password file a replica's WAL receiver reads, in its data
/// directory.
const REPLICA_PASSFILE: &str = "firedrill_replica.pgpass";

/// Writes a libpq password file (`host:port:database:user:password`, mode
/// 0600, as libpq requires) for the admin user at `port` on loopback.
fn write_passfile(path: &Path, port: u16, password: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "127.0.0.1:{port}:*:{ADMIN_USER}:{password}")
}

/// A database the template holds so that a new instance renames it to its
/// DBName (instant) instead of creating one.
pub const SPARE_DATABASE: &str = "firedrill_spare";

/// Where the PostgreSQL programs live.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    /// The directory holding `initdb`, `postgres` and `pg_basebackup`.
    pub bin_dir: PathBuf,
}

impl PgBinaries {
    /// Finds PostgreSQL: `FIREDRILL_PG_BIN`, else `initdb` on `PATH`, else
    /// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
    pub fn discover() -> Result<Self, ServerError> {
        if let Some(dir) = std::env::var_os("FIREDRILL_PG_BIN") {
            let dir = PathBuf::from(dir);
            return Self::usable(&dir).ok_or_else(|| {
                ServerError::NoBinaries(format!(
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
        if let Ok(out) = std::process::Command::new("pg_config").arg("--bindir").output()
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
                ServerError::NoBinaries(
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

/// The template shared by every runtime of this process while one is alive.
static TEMPLATE: Mutex<Weak<Template>> = Mutex::new(Weak::new());

fn build_template(bins: &PgBinaries, run_as: Option<RunAs>) -> Result<Arc<Template>, ServerError> {
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
        host::make_traversable(&base.join("x"))?;
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
        return Err(ServerError::Failed(format!(
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
        return Err(ServerError::Failed(format!(
            "preparing the template failed: {stderr}"
        )));
    }
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, dir = %data.display(), "initdb template ready");
    let template = Arc::new(Template::new(base, data, admin_password, janitor));
    *shared = Arc::downgrade(&template);
    Ok(template)
}

/// One running PostgreSQL server.
#[derive(Debug)]
pub struct PgServer {
    /// Its data directory.
    pub data_dir: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    child: ServerChild,
    admin_password: String,
    admin: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
    runtime: Weak<PgRuntime>,
}

impl PgServer {
    /// The postmaster's process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Whether the postmaster is still running.
    pub fn is_running(&self) -> bool {
        self.child.is_running()
    }

    /// Stops the server and waits for it (synchronously, bounded).
    pub fn stop(&self, mode: StopMode) {
        match mode {
            StopMode::Fast => self
                .child
                .stop(nix::sys::signal::Signal::SIGINT, Duration::from_secs(30)),
            StopMode::Immediate => self
                .child
                .stop(nix::sys::signal::Signal::SIGQUIT, Duration::from_secs(10)),
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
    pub async fn connect_admin(&self, database: &str) -> Result<tokio_postgres::Client, ServerError> {
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
    pub async fn with_admin<T, F>(&self, f: F) -> Result<T, ServerError>
    where
        F: AsyncFnOnce(&tokio_postgres::Client) -> Result<T, ServerError>,
    {
        let mut guard = self.admin.lock().await;
        let client = match guard.take() {
            Some(client) if !client.is_closed() => guard.insert(client),
            _ => guard.insert(self.connect_admin("postgres").await?),
        };
        let result = f(client).await;
        if result.is_err() && client.is_closed() {
            guard.take();
        }
        result
    }
    /// Waits until a recovered server left recovery (promotion finishes
    /// asynchronously), then checkpoints so that a base backup starts on
    /// the new timeline.
    async fn await_promotion(&self) -> Result<(), ServerError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let in_recovery = self
                .with_admin(async |c| {
                    Ok(c.query_one("SELECT pg_is_in_recovery()", &[])
                        .await?
                        .get::<_, bool>(0))
                })
                .await?;
            if !in_recovery {
                break;
            }
            if Instant::now() > deadline {
                return Err(ServerError::Failed(
                    "the restored server was not promoted within 60 s".to_owned(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.with_admin(async |c| Ok(c.batch_execute("CHECKPOINT").await?))
            .await
    }

    fn runtime(&self) -> Result<Arc<PgRuntime>, ServerError> {
        self.runtime.upgrade().ok_or(ServerError::ShuttingDown)
    }
}

impl DbServer for PgServer {
    fn port(&self) -> u16 {
        self.port
    }

    fn base_backup<'a>(&'a self, dest: &'a Path) -> ServerFuture<'a, BaseBackupInfo> {
        Box::pin(async move { self.runtime()?.base_backup(self, dest).await })
    }

    fn archive_marker<'a>(&'a self, archive_dir: &'a Path) -> ServerFuture<'a, Marker> {
        Box::pin(async move { self.runtime()?.archive_marker(self, archive_dir).await })
    }

    fn last_commit(&self) -> ServerFuture<'_, (Option<String>, DateTime<Utc>)> {
        Box::pin(async move { self.runtime()?.last_commit(self).await })
    }

    fn log_position(&self, replica: bool) -> ServerFuture<'_, Option<u64>> {
        Box::pin(async move {
            // A replica's replay position after a WAL switch is the next
            // segment's start, which is also where the source's flush
            // position stands: the two meet once the replica caught up.
            // A source that is itself a standby (the middle of a cascade)
            // has written what it replayed.
            let sql = if replica {
                "SELECT pg_last_wal_replay_lsn()::text"
            } else {
                "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END)::text"
            };
            self.with_admin(async |c| {
                let row = c.query_one(sql, &[]).await?;
                let lsn: Option<String> = row.get(0);
                Ok(lsn.as_deref().and_then(parse_lsn))
            })
            .await
        })
    }

    fn create_master<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
        db_name: Option<&'a str>,
    ) -> ServerFuture<'a, ()> {
        Box::pin(async move {
            let sql = format!(
                "CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}",
                quote_ident(username),
                quote_literal(password)
            );
            // The template's spare database becomes the DBName (a rename is
            // instant, CREATE DATABASE is not).
            let db_sql = match db_name.filter(|n| *n != "postgres") {
                Some(n) => format!(
                    "ALTER DATABASE {SPARE_DATABASE} RENAME TO {db}; ALTER DATABASE {db} OWNER TO {owner}",
                    db = quote_ident(n),
                    owner = quote_ident(username)
                ),
                None => format!("DROP DATABASE {SPARE_DATABASE}"),
            };
            self.with_admin(async |c| {
                c.batch_execute(&sql).await?;
                c.batch_execute(&db_sql).await?;
                Ok(())
            })
            .await
        })
    }

    fn promote(&self) -> ServerFuture<'_, ()> {
        Box::pin(async move {
            self.with_admin(async |c| {
                let promoted: bool = c.query_one("SELECT pg_promote(true, 60)", &[]).await?.get(0);
                if promoted {
                    Ok(())
                } else {
                    Err(ServerError::Failed(
                        "the standby was not promoted within 60 s".to_owned(),
                    ))
                }
            })
            .await?;
            self.await_promotion().await
        })
    }

    fn set_master_password<'a>(&'a self, username: &'a str, password: &'a str) -> ServerFuture<'a, ()> {
        Box::pin(async move {
            let sql = format!(
                "ALTER ROLE {} PASSWORD {}",
                quote_ident(username),
                quote_literal(password)
            );
            self.with_admin(async |c| Ok(c.batch_execute(&sql).await?)).await
        })
    }

    fn stop(&self, mode: StopMode) {
        PgServer::stop(self, mode);
    }

    fn stop_async(
        self: Arc<Self>,
        mode: StopMode,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move { PgServer::stop_async(&self, mode).await })
    }
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Registered for PgServer {
    fn child(&self) -> &ServerChild {
        &self.child
    }

    fn stop_now(&self) {
        self.stop(StopMode::Immediate);
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop(StopMode::Immediate);
    }
}

/// The state shared by every PostgreSQL server of one RDS service: the
/// binaries, the template and the registry of live servers.
#[derive(Debug)]
pub struct PgRuntime {
    bins: Result<PgBinaries, String>,
    run: Arc<RunDir>,
    template: TemplateSlot,
    servers: Registry<PgServer>,
    me: Weak<PgRuntime>,
}

impl PgRuntime {
    /// A runtime whose servers live under `run`.
    pub fn new(run: Arc<RunDir>) -> Arc<Self> {
        let bins = PgBinaries::discover().map_err(|e| e.to_string());
        Arc::new_cyclic(|me| Self {
            bins,
            run,
            template: TemplateSlot::default(),
            servers: Registry::default(),
            me: me.clone(),
        })
    }

    /// The binaries, or why there are none.
    pub fn binaries(&self) -> Result<&PgBinaries, ServerError> {
        self.bins.as_ref().map_err(|e| ServerError::NoBinaries(e.clone()))
    }

    fn arc(&self) -> Result<Arc<Self>, ServerError> {
        self.me.upgrade().ok_or(ServerError::ShuttingDown)
    }

    /// The initdb template, created on first use (blocking).
    pub fn template_blocking(&self) -> Result<Arc<Template>, ServerError> {
        self.template
            .get_or_build(|| build_template(self.binaries()?, self.run.run_as))
    }

    /// The initdb template, created on first use.
    pub async fn template(&self) -> Result<Arc<Template>, ServerError> {
        let me = self.arc()?;
        host::blocking(move || me.template_blocking()).await
    }

    /// Starts a server on `spec`, preferring `port` when given and free;
    /// after a recovery, returns once the server is promoted and has
    /// checkpointed (a base backup must start on the new timeline).
    pub async fn start(&self, spec: &ServerSpec, port: Option<u16>) -> Result<Arc<PgServer>, ServerError> {
        self.run.check_open()?;
        let bins = self.binaries()?.clone();
        let template = self.template().await?;
        let upstream_archive = spec.follow.as_ref().map(|u| &u.archive);
        for s in [&spec.archive_dir, &spec.data_dir]
            .into_iter()
            .chain(upstream_archive)
        {
            if s.to_string_lossy().contains('\'') {
                return Err(ServerError::Failed(format!(
                    "path {} contains a quote",
                    s.display()
                )));
            }
        }
        if spec.recovery.is_some() {
            let signal = spec.data_dir.join("recovery.signal");
            std::fs::write(&signal, b"").map_err(io("write recovery.signal"))?;
            chown(&signal, self.run.run_as)?;
            let _ = std::fs::remove_file(spec.data_dir.join("standby.signal"));
        } else if spec.follow.is_some() {
            // A read replica runs as a hot standby of its source.
            let signal = spec.data_dir.join("standby.signal");
            std::fs::write(&signal, b"").map_err(io("write standby.signal"))?;
            chown(&signal, self.run.run_as)?;
            let _ = std::fs::remove_file(spec.data_dir.join("recovery.signal"));
        } else {
            // A replica whose source is gone starts as a standalone server.
            let _ = std::fs::remove_file(spec.data_dir.join("standby.signal"));
        }
        let _ = std::fs::remove_file(spec.data_dir.join("postmaster.pid"));
        let server = self
            .servers
            .start(&self.run, port, |p| self.spawn_once(&bins, &template, spec, p))
            .await?;
        if spec.recovery.is_some() {
            server.await_promotion().await?;
        }
        Ok(server)
    }

    async fn spawn_once(
        &self,
        bins: &PgBinaries,
        template: &Template,
        spec: &ServerSpec,
        port: u16,
    ) -> Result<PgServer, (bool, ServerError)> {
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
        let mut cmd = command(&bins.tool("postgres"), self.run.run_as);
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
                RecoveryTarget::Marker(x) => settings.push(("recovery_target_xid".into(), x.clone())),
                RecoveryTarget::Immediate => settings.push(("recovery_target".into(), "immediate".into())),
            }
        } else if let Some(upstream) = &spec.follow {
            // Streams WAL from the source; what the source no longer holds
            // comes from its archive.
            let archive = upstream.archive.display().to_string();
            settings.push(("hot_standby".into(), "on".into()));
            // The password goes in a libpq password file inside the
            // replica's own data directory (0600, the server's user), not
            // on the command line, where `ps` would show it to every user.
            let passfile = spec.data_dir.join(REPLICA_PASSFILE);
            write_passfile(&passfile, upstream.port, &template.admin_password)
                .map_err(|e| (false, io("write the replica's password file")(e)))?;
            self.run.own(&passfile).map_err(|e| (false, e))?;
            settings.push((
                "primary_conninfo".into(),
                format!(
                    "host=127.0.0.1 port={} user={ADMIN_USER} passfile='{}' application_name=firedrill_replica",
                    upstream.port,
                    passfile.display()
                ),
            ));
            settings.push(("restore_command".into(), format!("cp '{archive}/%f' '%p'")));
            settings.push(("recovery_target_timeline".into(), "latest".into()));
            settings.push(("wal_retrieve_retry_interval".into(), "200ms".into()));
        }
        for (k, v) in &settings {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        cmd.stdout(log).stderr(log_err).process_group(0);
        let child = cmd.spawn().map_err(|e| (false, io("start postgres")(e)))?;
        let started = Instant::now();
        // Owned at once: a server that fails to come up is stopped on drop.
        let server = PgServer {
            data_dir: spec.data_dir.clone(),
            port,
            child: ServerChild::new(child),
            admin_password: template.admin_password.clone(),
            admin: tokio::sync::Mutex::new(None),
            runtime: self.me.clone(),
        };
        let readiness = host::Readiness {
            engine: "PostgreSQL",
            log: &spec.log_path,
            log_start,
            timeout: Duration::from_secs(if spec.recovery.is_some() { 300 } else { 60 }),
            bind_failures: &["could not bind", "could not create any TCP/IP sockets"],
        };
        host::await_ready(&server.child, readiness, || {
            // A hot standby reports `standby` once it accepts connections.
            let status = postmaster_status(&spec.data_dir);
            let ready = status.as_deref() == Some("ready")
                || (spec.follow.is_some() && status.as_deref() == Some("standby"));
            std::future::ready(ready)
        })
        .await?;
        tracing::debug!(pid = server.pid(), port, elapsed_ms = started.elapsed().as_millis() as u64, dir = %spec.data_dir.display(), "PostgreSQL ready");
        Ok(server)
    }

    /// Takes a self-contained base backup of `server` into `dest` (which
    /// must not exist).
    pub async fn base_backup(&self, server: &PgServer, dest: &Path) -> Result<BaseBackupInfo, ServerError> {
        self.run.check_open()?;
        let bins = self.binaries()?;
        if let Some(parent) = dest.parent() {
            self.run.make_dir(parent)?;
        }
        let out = async_command(&bins.tool("pg_basebackup"), self.run.run_as)
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
            return Err(ServerError::Failed(format!(
                "pg_basebackup failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let label = std::fs::read_to_string(dest.join("backup_label")).map_err(io("read backup_label"))?;
        let start_log = label
            .lines()
            .find_map(|l| {
                let l = l.strip_prefix("START WAL LOCATION:")?;
                let file = l.split("(file ").nth(1)?;
                Some(file.trim_end_matches(')').trim().to_owned())
            })
            .ok_or_else(|| ServerError::Failed("backup_label has no START WAL LOCATION".to_owned()))?;
        Ok(BaseBackupInfo { start_log, end_wall })
    }

    /// Commits a marker transaction, switches WAL and waits until the
    /// segment holding it is in `archive_dir`.
    pub async fn archive_marker(&self, server: &PgServer, archive_dir: &Path) -> Result<Marker, ServerError> {
        self.run.check_open()?;
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
                ts.ok_or_else(|| ServerError::Failed(format!("no commit timestamp for marker {xid}")))
            })
            .await?;
        let target = archive_dir.join(&segment);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !target.exists() {
            if Instant::now() > deadline {
                return Err(ServerError::Failed(format!(
                    "WAL segment {segment} was not archived within 20 s"
                )));
            }
            if !server.is_running() {
                return Err(ServerError::Failed(
                    "the server stopped while archiving".to_owned(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(Marker { id: xid, commit_wall })
    }

    /// The transaction id of the latest commit, and the server's `now()`.
    pub async fn last_commit(
        &self,
        server: &PgServer,
    ) -> Result<(Option<String>, DateTime<Utc>), ServerError> {
        server
            .with_admin(async |c| {
                let row = c
                    .query_one("SELECT (pg_last_committed_xact()).xid::text, now()", &[])
                    .await?;
                Ok((row.get(0), row.get(1)))
            })
            .await
    }

    /// Stops every server this runtime started and refuses new ones.
    pub fn close(&self) {
        self.run.begin_close();
        self.servers.stop_all();
        self.template.clear();
    }

    /// The initdb template directory in use, if one was built.
    pub fn template_dir(&self) -> Option<PathBuf> {
        self.template.dir()
    }

    /// The pids of every live server, for diagnostics and tests.
    pub fn server_pids(&self) -> Vec<u32> {
        self.servers.pids()
    }
}

impl Drop for PgRuntime {
    fn drop(&mut self) {
        self.close();
    }
}

impl DbEngine for PgRuntime {
    fn available(&self) -> Result<(), ServerError> {
        self.binaries().map(|_| ())
    }

    fn fresh_data_dir<'a>(
        &'a self,
        data_dir: &'a Path,
        first_base: Option<&'a Path>,
    ) -> ServerFuture<'a, Option<BaseBackupInfo>> {
        Box::pin(async move {
            let template = self.template().await?;
            // From the template's checkpoint on, every WAL record lands in
            // the server's archive.
            host::fresh_from_template(&self.run, &template, data_dir, first_base, "0".repeat(24)).await
        })
    }

    fn start<'a>(&'a self, spec: &'a ServerSpec, port: Option<u16>) -> ServerFuture<'a, Arc<dyn DbServer>> {
        Box::pin(async move {
            let server: Arc<dyn DbServer> = PgRuntime::start(self, spec, port).await?;
            Ok(server)
        })
    }

    fn prune_archive(&self, archive: &Path, keep_from: &str) {
        prune_archive(archive, keep_from);
    }

    fn server_pids(&self) -> Vec<u32> {
        PgRuntime::server_pids(self)
    }

    fn close(&self) {
        PgRuntime::close(self);
    }
}

/// The status line of a postmaster's `postmaster.pid` (`ready` once it
/// accepts connections).
fn postmaster_status(data_dir: &Path) -> Option<String> {
    let f = std::fs::File::open(data_dir.join("postmaster.pid")).ok()?;
    let lines: Vec<String> = std::io::BufReader::new(f).lines().map_while(Result::ok).collect();
    lines.get(7).map(|s| s.trim().to_owned())
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

/// A PostgreSQL LSN (`16/B374D848`) as the 64-bit position it names.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u64::from_str_radix(high, 16).ok()?;
    let low = u64::from_str_radix(low, 16).ok()?;
    (high <= u64::from(u32::MAX) && low <= u64::from(u32::MAX)).then_some((high << 32) | low)
}

#[cfg(test)]
mod lsn_tests {
    #[test]
    fn lsns_parse_to_their_position() {
        assert_eq!(super::parse_lsn("0/3000148"), Some(0x0300_0148));
        assert_eq!(super::parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(super::parse_lsn("junk"), None);
        assert_eq!(super::parse_lsn("1/FFFFFFFFF"), None);
    }
}
