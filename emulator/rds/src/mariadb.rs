//! MariaDB, the [`DbEngine`] behind `mariadb`, `mysql` and `aurora-mysql`:
//! every instance of those engines is a real MariaDB server speaking the
//! MySQL protocol (firedrill runs no Oracle MySQL; the version an instance
//! reports is the one its engine asked for, the server is the machine's
//! MariaDB).
//!
//! - Binaries: `FIREDRILL_MARIADB_BIN` (a directory, or a `PATH`-style list
//!   of directories), else `PATH`, `/usr/sbin`, `/usr/bin` and their
//!   `local` twins; `mariadbd`, `mariadb-install-db`, `mariadb-backup`,
//!   `mariadb-binlog` and the `mariadb` client are needed (the older
//!   `mysqld`, `mysql_install_db`, `mariabackup`, `mysqlbinlog`, `mysql`
//!   names are accepted).
//! - A template data directory is made once per process by
//!   `mariadb-install-db` plus a bootstrap that creates the emulator's own
//!   superuser ([`ADMIN_USER`], loopback only) and drops the passwordless
//!   accounts; a fresh instance copies it and creates its master user.
//! - Servers log binary logs (row format) in their data directory. An
//!   archive cycle ([`DbServer::archive_marker`]) notes the GTID position
//!   and the time, rotates the binary log (`FLUSH BINARY LOGS`) and copies
//!   every closed file into the archive, with a `<file>.times` note of the
//!   wall interval its commits lie in.
//! - Base backups are `mariadb-backup --backup` followed by `--prepare`, so
//!   a backup directory is a data directory a server starts from; its
//!   `xtrabackup_binlog_info` says where the binary log continues.
//! - A point-in-time restore starts a server on a base backup and replays
//!   the archived binary logs from there with `mariadb-binlog` into the
//!   server (`sql_log_bin=0`): files whose commits all lie at or before the
//!   target in full, files that straddle it up to `--stop-datetime`, and no
//!   file opened after it. Binary log events carry whole seconds, so within
//!   one archived file a restore to T keeps every commit of T's second
//!   (RDS for MySQL restores to the second too); files are rotated at
//!   least every second and after every jump of the emulator clock, so
//!   commits on either side of a jump are told apart exactly.
//! - A read replica starts on a base backup of its source and replicates
//!   from it by GTID (`CHANGE MASTER TO … MASTER_USE_GTID = slave_pos`,
//!   from the backup's position) with `read_only` on; the clients' accounts
//!   lose `READ_ONLY ADMIN` while it follows (noted in the data directory
//!   and given back on promotion, which is `STOP SLAVE` and `RESET SLAVE
//!   ALL`). A replica's server id is its port, so it differs from its
//!   source's. Every server logs what it applies (`log_slave_updates`), so
//!   a replica's binary log and GTID position go on its source's: it can
//!   be the source of a cascading replica.
//! - Durability: `innodb_flush_log_at_trx_commit=2` and `sync_binlog=0`: an
//!   acknowledged commit is in the operating system's page cache, so it
//!   survives a crash or kill of the server (not of the machine).
//! - Cleanup: each [`MariaServer`] owns its `mariadbd` child (dropping it
//!   kills the server); [`MariaRuntime`] keeps a weak registry of them; the
//!   run directory's janitor stops every `mariadbd` whose `mariadbd.pid`
//!   lies under it. When the emulator is root, servers and tools run as
//!   [`crate::host::RunAs`].

use crate::host::{
    self, Janitor, Registered, Registry, RunAs, RunDir, ServerChild, Template, TemplateSlot, async_command,
    chown, command,
};
use crate::process::{
    BaseBackupInfo, DbEngine, DbServer, Marker, RecoveryTarget, ServerError, ServerFuture, ServerSpec,
    StopMode, io,
};
use chrono::{DateTime, Duration as ChronoDuration, DurationRound, Utc};
use mysql_async::prelude::Queryable;
use parking_lot::Mutex;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The superuser every emulated MariaDB server has (from 127.0.0.1 only);
/// the emulator's own connections use it.
pub const ADMIN_USER: &str = "firedrill_admin";

/// The base name of every server's binary log files (`binlog.000001`).
const BINLOG: &str = "binlog";

/// The file a server's pid is written to, in its data directory (the
/// janitor looks for it).
const PID_FILE: &str = "mariadbd.pid";

/// Where `mariadb-backup` records the binary log position of a backup.
const BINLOG_INFO: &str = "xtrabackup_binlog_info";

impl From<mysql_async::Error> for ServerError {
    fn from(e: mysql_async::Error) -> Self {
        Self::Sql(e.to_string())
    }
}

/// Where the MariaDB programs live.
#[derive(Debug, Clone)]
pub struct MariaBinaries {
    /// The server (`mariadbd`).
    pub server: PathBuf,
    /// `mariadb-install-db`.
    pub install_db: PathBuf,
    /// `mariadb-backup`.
    pub backup: PathBuf,
    /// `mariadb-binlog`.
    pub binlog: PathBuf,
    /// The `mariadb` client.
    pub client: PathBuf,
}

impl MariaBinaries {
    /// Finds MariaDB: in `FIREDRILL_MARIADB_BIN` when set, else on `PATH`
    /// and in the usual system directories.
    pub fn discover() -> Result<Self, ServerError> {
        let (dirs, what) = match std::env::var_os("FIREDRILL_MARIADB_BIN") {
            Some(v) => (
                std::env::split_paths(&v).collect::<Vec<_>>(),
                format!("FIREDRILL_MARIADB_BIN={}", v.to_string_lossy()),
            ),
            None => {
                let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
                    .map(|p| std::env::split_paths(&p).collect())
                    .unwrap_or_default();
                for d in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
                    dirs.push(PathBuf::from(d));
                }
                (dirs, "PATH".to_owned())
            }
        };
        let find = |names: &[&str]| -> Option<PathBuf> {
            dirs.iter()
                .flat_map(|d| names.iter().map(move |n| d.join(n)))
                .find(|p| p.is_file())
        };
        let tools = (
            find(&["mariadbd", "mysqld"]),
            find(&["mariadb-install-db", "mysql_install_db"]),
            find(&["mariadb-backup", "mariabackup"]),
            find(&["mariadb-binlog", "mysqlbinlog"]),
            find(&["mariadb", "mysql"]),
        );
        match tools {
            (Some(server), Some(install_db), Some(backup), Some(binlog), Some(client)) => Ok(Self {
                server,
                install_db,
                backup,
                binlog,
                client,
            }),
            _ => Err(ServerError::NoBinaries(format!(
                "firedrill could not find MariaDB (mariadbd, mariadb-install-db, mariadb-backup, mariadb-binlog, mariadb) in {what}: install MariaDB (Debian: apt-get install mariadb-server mariadb-backup mariadb-client) or set FIREDRILL_MARIADB_BIN to the directories holding them"
            ))),
        }
    }
}

/// The template shared by every runtime of this process while one is alive.
static TEMPLATE: Mutex<Weak<Template>> = Mutex::new(Weak::new());

/// Options every server and bootstrap of the template shares (InnoDB's
/// files must be laid out alike).
const INNODB: [&str; 2] = ["--innodb-log-file-size=4M", "--innodb-buffer-pool-size=32M"];

fn build_template(bins: &MariaBinaries, run_as: Option<RunAs>) -> Result<Arc<Template>, ServerError> {
    let mut shared = TEMPLATE.lock();
    if let Some(t) = shared.upgrade() {
        return Ok(t);
    }
    let started = Instant::now();
    let base = tempfile::Builder::new()
        .prefix("firedrill-mariadb-template-")
        .tempdir()
        .map_err(io("create the template directory"))?
        .keep();
    let janitor = Janitor::spawn(&base).map_err(io("start the cleanup janitor"))?;
    let fail = |e: ServerError| {
        let _ = std::fs::remove_dir_all(&base);
        e
    };
    if run_as.is_some() {
        host::make_traversable(&base.join("x")).map_err(fail)?;
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o700))
            .map_err(io("chmod template dir"))
            .map_err(fail)?;
        chown(&base, run_as).map_err(fail)?;
    }
    let data = base.join("data");
    // Temporary tables go under the template's own directory: in a shared
    // /tmp, servers of other process namespaces can take the same names.
    let tmpdir = format!("--tmpdir={}", base.display());
    let out = command(&bins.install_db, run_as)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(&tmpdir)
        .args([
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ])
        .args(INNODB)
        .output()
        .map_err(io("run mariadb-install-db"))
        .map_err(fail)?;
    if !out.status.success() {
        return Err(fail(ServerError::Failed(format!(
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))));
    }
    // Bootstrap mode has no grant tables to CREATE USER with, so the
    // account is written as mariadb-install-db writes root's.
    let admin_password = firedrill_emu_core::ids::random_hex(32);
    let script = format!(
        "INSERT INTO mysql.global_priv (Host, User, Priv) VALUES ('127.0.0.1', '{ADMIN_USER}', JSON_OBJECT('access', 18446744073709551615, 'plugin', 'mysql_native_password', 'authentication_string', PASSWORD('{admin_password}')));\nDELETE FROM mysql.global_priv WHERE User IN ('root', 'mysql', '');\n"
    );
    let mut boot = command(&bins.server, run_as);
    boot.arg("--no-defaults")
        .arg("--bootstrap")
        .arg(format!("--datadir={}", data.display()))
        .arg("--skip-log-bin")
        .arg(&tmpdir)
        .args(INNODB)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = boot
        .spawn()
        .map_err(io("run mariadbd --bootstrap"))
        .map_err(fail)?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        stdin
            .write_all(script.as_bytes())
            .map_err(io("write to mariadbd --bootstrap"))
            .map_err(fail)?;
    }
    let out = child
        .wait_with_output()
        .map_err(io("wait for mariadbd --bootstrap"))
        .map_err(fail)?;
    if !out.status.success() {
        return Err(fail(ServerError::Failed(format!(
            "preparing the MariaDB template failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))));
    }
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, dir = %data.display(), "MariaDB template ready");
    let template = Arc::new(Template::new(base, data, admin_password, janitor));
    *shared = Arc::downgrade(&template);
    Ok(template)
}

/// The wall interval the commits of one archived binary log file lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileTimes {
    /// Every commit in the file is after this instant.
    opened_after: DateTime<Utc>,
    /// Every commit in the file is at or before this instant.
    closed_by: DateTime<Utc>,
}

impl FileTimes {
    fn note_path(file: &Path) -> PathBuf {
        let mut name = file.as_os_str().to_owned();
        name.push(".times");
        PathBuf::from(name)
    }

    fn read(file: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(Self::note_path(file)).ok()?;
        let (a, b) = text.trim().split_once(' ')?;
        Some(Self {
            opened_after: DateTime::parse_from_rfc3339(a).ok()?.to_utc(),
            closed_by: DateTime::parse_from_rfc3339(b).ok()?.to_utc(),
        })
    }

    fn text(&self) -> String {
        format!(
            "{} {}\n",
            self.opened_after
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            self.closed_by
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        )
    }
}

/// Whether `name` is a binary log file (`binlog.000001`).
fn is_binlog(name: &str) -> bool {
    name.strip_prefix("binlog.")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The archived binary log files of `archive`, oldest first.
fn archived_files(archive: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(archive)
        .map(|d| {
            d.flatten()
                .filter(|e| is_binlog(&e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|p| binlog_number(p));
    files
}

fn binlog_number(path: &Path) -> u64 {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("binlog."))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Quotes a MySQL string literal.
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// Quotes a MySQL identifier.
fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// One running MariaDB server.
#[derive(Debug)]
pub struct MariaServer {
    /// Its data directory.
    pub data_dir: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    child: ServerChild,
    admin_password: String,
    admin: tokio::sync::Mutex<Option<mysql_async::Conn>>,
    /// The instant before the rotation that opened the current binary log
    /// file (or the server's start): every commit in that file is later.
    current_opened_after: Mutex<DateTime<Utc>>,
    runtime: Weak<MariaRuntime>,
}

impl MariaServer {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Whether the server is still running.
    pub fn is_running(&self) -> bool {
        self.child.is_running()
    }

    fn opts(&self) -> mysql_async::Opts {
        mysql_async::OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(self.port)
            .user(Some(ADMIN_USER))
            .pass(Some(self.admin_password.clone()))
            .prefer_socket(false)
            .into()
    }

    /// Runs `f` on the cached superuser connection, reconnecting when it
    /// was closed.
    pub async fn with_admin<T, F>(&self, f: F) -> Result<T, ServerError>
    where
        F: AsyncFnOnce(&mut mysql_async::Conn) -> Result<T, ServerError>,
    {
        let mut guard = self.admin.lock().await;
        let conn = match guard.take() {
            Some(conn) => guard.insert(conn),
            None => guard.insert(mysql_async::Conn::new(self.opts()).await?),
        };
        let result = f(conn).await;
        if result.is_err() {
            // A failed statement may have left the connection unusable;
            // the next call opens a new one.
            guard.take();
        }
        result
    }

    /// Stops the server and waits for it (synchronously, bounded): SIGTERM
    /// is a clean shutdown, SIGKILL a crash InnoDB recovers from.
    pub fn stop(&self, mode: StopMode) {
        let signal = match mode {
            StopMode::Fast => nix::sys::signal::Signal::SIGTERM,
            StopMode::Immediate => nix::sys::signal::Signal::SIGKILL,
        };
        self.child.stop(signal, Duration::from_secs(30));
    }

    /// Stops the server without blocking the async runtime.
    pub async fn stop_async(self: &Arc<Self>, mode: StopMode) {
        if let Some(conn) = self.admin.lock().await.take() {
            let _ = conn.disconnect().await;
        }
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.stop(mode)).await;
    }

    fn runtime(&self) -> Result<Arc<MariaRuntime>, ServerError> {
        self.runtime.upgrade().ok_or(ServerError::ShuttingDown)
    }

    /// The GTID position of the latest commit and the server's clock.
    async fn position(&self) -> Result<(String, DateTime<Utc>), ServerError> {
        self.with_admin(async |c| {
            let row: Option<(String, i64)> = c
                .query_first("SELECT @@gtid_binlog_pos, CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)")
                .await?;
            let (pos, micros) =
                row.ok_or_else(|| ServerError::Failed("no binary log position".to_owned()))?;
            let at = DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| ServerError::Failed(format!("bad server time {micros}")))?;
            Ok((pos, at))
        })
        .await
    }

    async fn archive(&self, archive_dir: &Path) -> Result<Marker, ServerError> {
        let runtime = self.runtime()?;
        runtime.run.check_open()?;
        let (gtid, before) = self.position().await?;
        let (current_before, after, files) = self
            .with_admin(async |c| {
                let status: Option<mysql_async::Row> = c.query_first("SHOW MASTER STATUS").await?;
                let current: String = status
                    .and_then(|r| r.get(0))
                    .ok_or_else(|| ServerError::Failed("binary logging is off".to_owned()))?;
                c.query_drop("FLUSH NO_WRITE_TO_BINLOG BINARY LOGS").await?;
                let micros: Option<i64> = c
                    .query_first("SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)")
                    .await?;
                let logs: Vec<mysql_async::Row> = c.query("SHOW BINARY LOGS").await?;
                let files: Vec<String> = logs.into_iter().filter_map(|r| r.get(0)).collect();
                Ok((current, micros, files))
            })
            .await?;
        let after = after
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(|| ServerError::Failed("no server time after the rotation".to_owned()))?;
        let opened_after = std::mem::replace(&mut *self.current_opened_after.lock(), before);
        // Every file but the newest is closed; copy those not archived yet.
        let closed = files.len().saturating_sub(1);
        for name in files.iter().take(closed) {
            let target = archive_dir.join(name);
            if target.exists() {
                continue;
            }
            let times = FileTimes {
                opened_after: if *name == current_before {
                    opened_after
                } else {
                    DateTime::<Utc>::UNIX_EPOCH
                },
                closed_by: after,
            };
            runtime.copy_into_archive(&self.data_dir.join(name), &target, &times)?;
        }
        Ok(Marker {
            id: gtid,
            commit_wall: before,
        })
    }

    /// Runs `statements` on a connection of its own whose changes stay out
    /// of the binary log.
    async fn run_unlogged(&self, statements: &[String]) -> Result<(), ServerError> {
        let mut conn = mysql_async::Conn::new(self.opts()).await?;
        let result = async {
            conn.query_drop("SET SESSION sql_log_bin = 0").await?;
            for s in statements {
                conn.query_drop(s).await?;
            }
            Ok::<(), ServerError>(())
        }
        .await;
        let _ = conn.disconnect().await;
        result
    }

    /// Replicates from `upstream` by GTID and refuses clients' writes. When
    /// `fresh_gtid` is given (the server was just made from a base backup
    /// of its source), replication starts after that position and the
    /// clients' accounts lose `READ_ONLY ADMIN`; a restarted replica goes
    /// on from where it stopped.
    async fn follow(
        &self,
        upstream: &crate::process::Upstream,
        fresh_gtid: Option<String>,
    ) -> Result<(), ServerError> {
        // Started with `--skip-slave-start`: replication is not running.
        let mut sql = Vec::new();
        if let Some(gtid) = &fresh_gtid {
            let accounts: Vec<String> = self
                .with_admin(async |c| {
                    Ok(c.query(format!(
                        "SELECT GRANTEE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'READ_ONLY ADMIN' AND GRANTEE NOT LIKE {}",
                        quote_literal(&format!("'{ADMIN_USER}'@%"))
                    ))
                    .await?)
                })
                .await?;
            let note = self.data_dir.join(READ_ONLY_ACCOUNTS);
            std::fs::write(&note, accounts.join("\n")).map_err(io("write the read-only accounts note"))?;
            self.runtime()?.run.own(&note)?;
            sql.extend(
                accounts
                    .iter()
                    .map(|a| format!("REVOKE READ_ONLY ADMIN ON *.* FROM {a}")),
            );
            sql.push(format!("SET GLOBAL gtid_slave_pos = {}", quote_literal(gtid)));
        }
        sql.push(format!(
            "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {}, MASTER_USER = {}, MASTER_PASSWORD = {}, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1",
            upstream.port,
            quote_literal(ADMIN_USER),
            quote_literal(&self.admin_password)
        ));
        sql.push("SET GLOBAL read_only = 1".to_owned());
        sql.push("START SLAVE".to_owned());
        self.run_unlogged(&sql).await
    }

    /// Stops replicating, forgets the source and accepts writes again.
    /// What the replica has received is applied first: the I/O thread
    /// stops, and the SQL thread is given up to [`PROMOTE_APPLY_WAIT`] to
    /// apply the relay log up to the last GTID received, so a promotion
    /// loses only what never reached the replica.
    async fn stop_following(&self) -> Result<(), ServerError> {
        self.with_admin(async |c| {
            c.query_drop("STOP SLAVE IO_THREAD").await?;
            let status: Option<mysql_async::Row> = c.query_first("SHOW SLAVE STATUS").await?;
            let received = status
                .and_then(|row| row.get_opt::<String, _>("Gtid_IO_Pos"))
                .and_then(Result::ok)
                .filter(|pos| !pos.trim().is_empty());
            if let Some(pos) = received {
                let waited: Option<i64> = c
                    .query_first(format!(
                        "SELECT MASTER_GTID_WAIT({}, {})",
                        quote_literal(&pos),
                        PROMOTE_APPLY_WAIT.as_secs()
                    ))
                    .await?;
                if waited != Some(0) {
                    tracing::warn!(received = %pos, "the replica had not applied what it received when promoted");
                }
            }
            Ok(())
        })
        .await?;
        let note = self.data_dir.join(READ_ONLY_ACCOUNTS);
        let accounts = std::fs::read_to_string(&note).unwrap_or_default();
        let mut sql = vec![
            "STOP SLAVE".to_owned(),
            "RESET SLAVE ALL".to_owned(),
            "SET GLOBAL read_only = 0".to_owned(),
        ];
        sql.extend(
            accounts
                .lines()
                .filter(|a| !a.trim().is_empty())
                .map(|a| format!("GRANT READ_ONLY ADMIN ON *.* TO {a}")),
        );
        self.run_unlogged(&sql).await?;
        let _ = std::fs::remove_file(&note);
        Ok(())
    }

    async fn take_base_backup(&self, dest: &Path) -> Result<BaseBackupInfo, ServerError> {
        let runtime = self.runtime()?;
        runtime.run.check_open()?;
        let bins = runtime.binaries()?;
        if let Some(parent) = dest.parent() {
            runtime.run.make_dir(parent)?;
        }
        let out = async_command(&bins.backup, runtime.run.run_as)
            .arg("--no-defaults")
            .arg("--backup")
            .arg(format!("--target-dir={}", dest.display()))
            .arg(format!("--datadir={}", self.data_dir.display()))
            .args(["--host=127.0.0.1", &format!("--port={}", self.port)])
            .arg(format!("--user={ADMIN_USER}"))
            .env("MYSQL_PWD", &self.admin_password)
            .output()
            .await
            .map_err(io("run mariadb-backup"))?;
        let end_wall = Utc::now();
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(dest);
            return Err(ServerError::Failed(format!(
                "mariadb-backup --backup failed: {}",
                last_lines(&out.stderr)
            )));
        }
        let out = async_command(&bins.backup, runtime.run.run_as)
            .arg("--no-defaults")
            .arg("--prepare")
            .arg(format!("--target-dir={}", dest.display()))
            .output()
            .await
            .map_err(io("run mariadb-backup --prepare"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(dest);
            return Err(ServerError::Failed(format!(
                "mariadb-backup --prepare failed: {}",
                last_lines(&out.stderr)
            )));
        }
        let start_log = read_binlog_info(dest)
            .map(|(file, _)| file)
            .unwrap_or_else(|| format!("{BINLOG}.000001"));
        Ok(BaseBackupInfo { start_log, end_wall })
    }
}

/// The last lines of a tool's output.
fn last_lines(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let lines: Vec<&str> = text.lines().collect();
    lines
        .get(lines.len().saturating_sub(6)..)
        .unwrap_or_default()
        .join(" | ")
}

/// The GTID position of a base backup (`None` when the directory holds no
/// backup's binary log note; empty when the source had no transaction).
fn read_binlog_gtid(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(BINLOG_INFO)).ok()?;
    Some(text.split_whitespace().nth(2).unwrap_or_default().to_owned())
}

/// The accounts of a read replica whose `READ_ONLY ADMIN` privilege was
/// withdrawn (so that `read_only` refuses their writes), one per line, in
/// its data directory; promotion gives it back.
const READ_ONLY_ACCOUNTS: &str = "firedrill-read-only-accounts";

/// How long a promotion waits for a replica to apply the relay log it
/// received before it stops replicating.
const PROMOTE_APPLY_WAIT: Duration = Duration::from_secs(30);

/// The binary log file and position a base backup continues from.
fn read_binlog_info(dir: &Path) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(dir.join(BINLOG_INFO)).ok()?;
    let mut parts = text.split_whitespace();
    let file = parts.next()?.to_owned();
    let pos = parts.next()?.parse().ok()?;
    is_binlog(&file).then_some((file, pos))
}

impl Registered for MariaServer {
    fn child(&self) -> &ServerChild {
        &self.child
    }

    fn stop_now(&self) {
        self.stop(StopMode::Immediate);
    }
}

impl Drop for MariaServer {
    fn drop(&mut self) {
        self.stop(StopMode::Immediate);
    }
}

impl DbServer for MariaServer {
    fn port(&self) -> u16 {
        self.port
    }

    fn base_backup<'a>(&'a self, dest: &'a Path) -> ServerFuture<'a, BaseBackupInfo> {
        Box::pin(self.take_base_backup(dest))
    }

    fn archive_marker<'a>(&'a self, archive_dir: &'a Path) -> ServerFuture<'a, Marker> {
        Box::pin(self.archive(archive_dir))
    }

    fn last_commit(&self) -> ServerFuture<'_, (Option<String>, DateTime<Utc>)> {
        Box::pin(async move {
            let (pos, at) = self.position().await?;
            Ok(((!pos.is_empty()).then_some(pos), at))
        })
    }

    fn log_position(&self, replica: bool) -> ServerFuture<'_, Option<u64>> {
        Box::pin(async move {
            let sql = if replica {
                "SELECT @@gtid_slave_pos"
            } else {
                "SELECT @@gtid_binlog_pos"
            };
            self.with_admin(async |c| {
                let pos: Option<String> = c.query_first(sql).await?;
                Ok(pos.as_deref().and_then(gtid_ordinal))
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
            let user = format!("{}@'%'", quote_literal(username));
            let mut sql = vec![
                format!("CREATE USER {user} IDENTIFIED BY {}", quote_literal(password)),
                format!("GRANT ALL PRIVILEGES ON *.* TO {user} WITH GRANT OPTION"),
            ];
            if let Some(db) = db_name {
                sql.push(format!("CREATE DATABASE {}", quote_ident(db)));
            }
            self.with_admin(async |c| {
                for s in &sql {
                    c.query_drop(s).await?;
                }
                Ok(())
            })
            .await
        })
    }

    fn promote(&self) -> ServerFuture<'_, ()> {
        Box::pin(self.stop_following())
    }

    fn set_master_password<'a>(&'a self, username: &'a str, password: &'a str) -> ServerFuture<'a, ()> {
        Box::pin(async move {
            let sql = format!(
                "ALTER USER {}@'%' IDENTIFIED BY {}",
                quote_literal(username),
                quote_literal(password)
            );
            self.with_admin(async |c| Ok(c.query_drop(&sql).await?)).await
        })
    }

    fn stop(&self, mode: StopMode) {
        MariaServer::stop(self, mode);
    }

    fn stop_async(
        self: Arc<Self>,
        mode: StopMode,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move { MariaServer::stop_async(&self, mode).await })
    }
}

/// The state shared by every MariaDB server of one RDS service: the
/// binaries, the template and the registry of live servers.
#[derive(Debug)]
pub struct MariaRuntime {
    bins: Result<MariaBinaries, String>,
    run: Arc<RunDir>,
    template: TemplateSlot,
    servers: Registry<MariaServer>,
    me: Weak<MariaRuntime>,
}

impl MariaRuntime {
    /// A runtime whose servers live under `run`.
    pub fn new(run: Arc<RunDir>) -> Arc<Self> {
        let bins = MariaBinaries::discover().map_err(|e| e.to_string());
        Arc::new_cyclic(|me| Self {
            bins,
            run,
            template: TemplateSlot::default(),
            servers: Registry::default(),
            me: me.clone(),
        })
    }

    /// The binaries, or why there are none.
    pub fn binaries(&self) -> Result<&MariaBinaries, ServerError> {
        self.bins.as_ref().map_err(|e| ServerError::NoBinaries(e.clone()))
    }

    /// The template, created on first use (blocking).
    pub fn template_blocking(&self) -> Result<Arc<Template>, ServerError> {
        self.template
            .get_or_build(|| build_template(self.binaries()?, self.run.run_as))
    }

    /// The template, created on first use.
    pub async fn template(&self) -> Result<Arc<Template>, ServerError> {
        let me = self.me.upgrade().ok_or(ServerError::ShuttingDown)?;
        host::blocking(move || me.template_blocking()).await
    }

    /// The template directory in use, if one was built.
    pub fn template_dir(&self) -> Option<PathBuf> {
        self.template.dir()
    }

    /// Copies a closed binary log file into the archive with its times
    /// note (the note first, so a file in the archive always has one).
    fn copy_into_archive(&self, from: &Path, to: &Path, times: &FileTimes) -> Result<(), ServerError> {
        let note = FileTimes::note_path(to);
        std::fs::write(&note, times.text()).map_err(io("write a binary log times note"))?;
        self.run.own(&note)?;
        let mut tmp = to.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::copy(from, &tmp).map_err(io(format!("archive {}", from.display())))?;
        self.run.own(&tmp)?;
        std::fs::rename(&tmp, to).map_err(io("rename an archived binary log"))?;
        Ok(())
    }

    /// Starts a server on `spec`, preferring `port` when given and free;
    /// with a recovery, replays the archive before returning.
    pub async fn start(&self, spec: &ServerSpec, port: Option<u16>) -> Result<Arc<MariaServer>, ServerError> {
        self.run.check_open()?;
        let bins = self.binaries()?.clone();
        let template = self.template().await?;
        let _ = std::fs::remove_file(spec.data_dir.join(PID_FILE));
        // A replica fresh from its source's base backup starts replicating
        // after the backup's last transaction.
        let fresh_gtid = read_binlog_gtid(&spec.data_dir);
        let server = self
            .servers
            .start(&self.run, port, |p| self.spawn_once(&bins, &template, spec, p))
            .await?;
        if let Some(recovery) = &spec.recovery {
            self.replay(&server, &recovery.archive, &recovery.target).await?;
        }
        if let Some(upstream) = &spec.follow {
            server.follow(upstream, fresh_gtid).await?;
        }
        // A base backup's binary log position belongs to its source; this
        // server's own backups record their own.
        let _ = std::fs::remove_file(spec.data_dir.join(BINLOG_INFO));
        Ok(server)
    }

    async fn spawn_once(
        &self,
        bins: &MariaBinaries,
        template: &Template,
        spec: &ServerSpec,
        port: u16,
    ) -> Result<MariaServer, (bool, ServerError)> {
        let log_start = std::fs::metadata(&spec.log_path).map(|m| m.len()).unwrap_or(0);
        let mut cmd = command(&bins.server, self.run.run_as);
        cmd.current_dir(&spec.data_dir)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", spec.data_dir.display()))
            // Temporary tables beside the data directory, not in a shared /tmp.
            .arg(format!(
                "--tmpdir={}",
                spec.log_path.parent().unwrap_or(&spec.data_dir).display()
            ))
            .arg(format!("--port={port}"))
            .arg(format!("--log-error={}", spec.log_path.display()))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                // Relative to the data directory: a full path could pass
                // the 107 bytes a socket path may have.
                "--socket=mysqld.sock",
                &format!("--pid-file={PID_FILE}"),
                &format!("--log-bin={BINLOG}"),
                // A replica's id differs from its source's (ports are unique
                // among the servers running at once).
                &format!(
                    "--server-id={}",
                    if spec.follow.is_some() { u32::from(port) } else { 1 }
                ),
                // A replica's replication is (re)configured once it runs.
                "--skip-slave-start",
                // A replica logs what it applies, so that it can be the
                // source of a cascading replica (no effect on a primary).
                "--log-slave-updates",
                "--binlog-format=ROW",
                "--innodb-flush-log-at-trx-commit=2",
                "--sync-binlog=0",
                "--max-connections=60",
                "--performance-schema=OFF",
                "--default-time-zone=+00:00",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
            ])
            .args(INNODB)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let before = Utc::now();
        let child = cmd.spawn().map_err(|e| (false, io("start mariadbd")(e)))?;
        let started = Instant::now();
        // Owned at once: a server that fails to come up is stopped on drop.
        let server = MariaServer {
            data_dir: spec.data_dir.clone(),
            port,
            child: ServerChild::new(child),
            admin_password: template.admin_password.clone(),
            admin: tokio::sync::Mutex::new(None),
            current_opened_after: Mutex::new(before),
            runtime: self.me.clone(),
        };
        let readiness = host::Readiness {
            engine: "MariaDB",
            log: &spec.log_path,
            log_start,
            timeout: Duration::from_secs(120),
            bind_failures: &["Address already in use", "Can't start server: Bind"],
        };
        let server_ref = &server;
        host::await_ready(&server.child, readiness, || async move {
            match mysql_async::Conn::new(server_ref.opts()).await {
                Ok(conn) => {
                    *server_ref.admin.lock().await = Some(conn);
                    true
                }
                Err(_) => false,
            }
        })
        .await?;
        tracing::debug!(pid = server.pid(), port, elapsed_ms = started.elapsed().as_millis() as u64, dir = %spec.data_dir.display(), "MariaDB ready");
        Ok(server)
    }

    /// Replays the archived binary logs onto a server started from a base
    /// backup, up to `target`.
    async fn replay(
        &self,
        server: &MariaServer,
        archive: &Path,
        target: &RecoveryTarget,
    ) -> Result<(), ServerError> {
        let started = Instant::now();
        let info = read_binlog_info(&server.data_dir);
        let start_number = info
            .as_ref()
            .map(|(f, _)| binlog_number(Path::new(f)))
            .unwrap_or(0);
        let files: Vec<PathBuf> = archived_files(archive)
            .into_iter()
            .filter(|f| binlog_number(f) >= start_number)
            .collect();
        let (full, partial, stop) = match target {
            RecoveryTarget::Immediate => (Vec::new(), Vec::new(), None),
            RecoveryTarget::Marker(_) => (files, Vec::new(), None),
            RecoveryTarget::Time(w) => {
                let mut full = Vec::new();
                let mut partial = Vec::new();
                for f in files {
                    let times = FileTimes::read(&f);
                    match times {
                        Some(t) if t.opened_after >= *w => break,
                        Some(t) if t.closed_by <= *w && partial.is_empty() => full.push(f),
                        _ => partial.push(f),
                    }
                }
                // Events carry whole seconds: keep T's whole second.
                let stop =
                    w.duration_trunc(ChronoDuration::seconds(1)).unwrap_or(*w) + ChronoDuration::seconds(1);
                (full, partial, Some(stop))
            }
        };
        let start_pos = info.as_ref().map(|(_, p)| *p);
        let first_is_start = |group: &[PathBuf]| {
            group.first().is_some_and(|f| {
                info.as_ref()
                    .is_some_and(|(name, _)| f.file_name().and_then(|n| n.to_str()) == Some(name))
            })
        };
        if !full.is_empty() {
            let pos = if first_is_start(&full) { start_pos } else { None };
            self.pipe_binlog(server, &full, pos, None).await?;
        }
        if !partial.is_empty() {
            let pos = if full.is_empty() && first_is_start(&partial) {
                start_pos
            } else {
                None
            };
            self.pipe_binlog(server, &partial, pos, stop).await?;
        }
        tracing::debug!(
            full = full.len(),
            partial = partial.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "binary logs replayed"
        );
        Ok(())
    }

    /// `mariadb-binlog files | mariadb` into `server`, unlogged.
    async fn pipe_binlog(
        &self,
        server: &MariaServer,
        files: &[PathBuf],
        start_pos: Option<u64>,
        stop: Option<DateTime<Utc>>,
    ) -> Result<(), ServerError> {
        let bins = self.binaries()?.clone();
        let run_as = self.run.run_as;
        let files = files.to_vec();
        let port = server.port;
        let password = server.admin_password.clone();
        host::blocking(move || {
            let mut dump = command(&bins.binlog, run_as);
            dump.arg("--no-defaults").env("TZ", "UTC");
            if let Some(p) = start_pos {
                dump.arg(format!("--start-position={p}"));
            }
            if let Some(s) = stop {
                dump.arg(format!("--stop-datetime={}", s.format("%Y-%m-%d %H:%M:%S")));
            }
            dump.args(&files).stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut dump = dump.spawn().map_err(io("run mariadb-binlog"))?;
            let stdout = dump
                .stdout
                .take()
                .ok_or_else(|| ServerError::Failed("mariadb-binlog has no output".to_owned()))?;
            let out = command(&bins.client, run_as)
                .arg("--no-defaults")
                .args(["--host=127.0.0.1", &format!("--port={port}")])
                .arg(format!("--user={ADMIN_USER}"))
                .arg("--init-command=SET sql_log_bin=0")
                .env("MYSQL_PWD", &password)
                .stdin(Stdio::from(stdout))
                .output()
                .map_err(io("run the mariadb client"))?;
            let dumped = dump.wait_with_output().map_err(io("wait for mariadb-binlog"))?;
            if !dumped.status.success() {
                return Err(ServerError::Failed(format!(
                    "mariadb-binlog failed: {}",
                    last_lines(&dumped.stderr)
                )));
            }
            if !out.status.success() {
                return Err(ServerError::Failed(format!(
                    "replaying the binary log failed: {}",
                    last_lines(&out.stderr)
                )));
            }
            Ok(())
        })
        .await
    }

    /// Stops every server this runtime started and refuses new ones.
    pub fn close(&self) {
        self.run.begin_close();
        self.servers.stop_all();
        self.template.clear();
    }

    /// The pids of every live server, for diagnostics and tests.
    pub fn server_pids(&self) -> Vec<u32> {
        self.servers.pids()
    }
}

impl Drop for MariaRuntime {
    fn drop(&mut self) {
        self.close();
    }
}

impl DbEngine for MariaRuntime {
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
            // The template has no binary log: replaying a fresh server's
            // from its first file onto it reproduces every commit.
            host::fresh_from_template(
                &self.run,
                &template,
                data_dir,
                first_base,
                format!("{BINLOG}.000001"),
            )
            .await
        })
    }

    fn start<'a>(&'a self, spec: &'a ServerSpec, port: Option<u16>) -> ServerFuture<'a, Arc<dyn DbServer>> {
        Box::pin(async move {
            let server: Arc<dyn DbServer> = MariaRuntime::start(self, spec, port).await?;
            Ok(server)
        })
    }

    fn prune_archive(&self, archive: &Path, keep_from: &str) {
        let keep = binlog_number(Path::new(keep_from));
        for f in archived_files(archive) {
            if binlog_number(&f) < keep {
                let _ = std::fs::remove_file(FileTimes::note_path(&f));
                let _ = std::fs::remove_file(&f);
            }
        }
    }

    fn server_pids(&self) -> Vec<u32> {
        MariaRuntime::server_pids(self)
    }

    fn close(&self) {
        MariaRuntime::close(self);
    }
}

/// A GTID position (`0-1-42,1-2-7`) as one ordinal that grows with it:
/// the sum of its sequence numbers over the domains (`None` when empty or
/// malformed).
pub fn gtid_ordinal(pos: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut any = false;
    for gtid in pos.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        let seq: u64 = gtid.rsplit('-').next()?.parse().ok()?;
        total = total.checked_add(seq)?;
        any = true;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtid_positions_are_ordinals() {
        assert_eq!(gtid_ordinal("0-1-42"), Some(42));
        assert_eq!(gtid_ordinal("0-1-42,1-2-7"), Some(49));
        assert_eq!(gtid_ordinal(""), None);
        assert_eq!(gtid_ordinal("0-1-x"), None);
    }

    #[test]
    fn binlog_names_and_notes() {
        assert!(is_binlog("binlog.000012"));
        assert!(!is_binlog("binlog.000012.times"));
        assert!(!is_binlog("binlog.index"));
        assert!(!is_binlog("binlog."));
        assert_eq!(binlog_number(Path::new("/a/binlog.000012")), 12);
        let t = FileTimes {
            opened_after: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            closed_by: DateTime::from_timestamp_micros(1_700_000_001_000_001).unwrap(),
        };
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("binlog.000003");
        std::fs::write(FileTimes::note_path(&f), t.text()).unwrap();
        assert_eq!(FileTimes::read(&f), Some(t));
        assert_eq!(quote_literal("o'k\\"), "'o''k\\\\'");
        assert_eq!(quote_ident("a`b"), "`a``b`");
    }
}
