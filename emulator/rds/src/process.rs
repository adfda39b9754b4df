//! What the RDS engine needs of a database server, whatever the database:
//! the [`DbEngine`] trait (find the binaries, prepare a fresh data
//! directory, start a server, optionally restoring it to a point in time,
//! prune an archive) and the [`DbServer`] trait of one running server (take
//! a base backup, archive the log up to a marker, create the master user,
//! promote a read replica, stop). A read replica is a server started on a
//! base backup of its source with [`ServerSpec::follow`] naming the source:
//! PostgreSQL streams WAL from it as a hot standby, MariaDB replicates its
//! binary log by GTID; both refuse writes until promoted.
//! [`crate::postgres`] and [`crate::mariadb`] implement them; the engine
//! ([`crate::engine`]) only calls these traits, so adding a database touches
//! one module.
//!
//! Shared vocabulary:
//! - a *base backup* is a directory a server can start from as its data
//!   directory (consistent once the engine's own recovery ran);
//! - the *archive* is a directory of log files (PostgreSQL's WAL segments)
//!   that, replayed on a base backup, reproduce every later commit;
//! - a [`Marker`] is the latest point the archive is known to hold: after
//!   it is recorded, every commit up to `commit_wall` can be replayed.

use chrono::{DateTime, Utc};
use std::fmt::Debug;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

/// Why a server operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No usable installation of the database was found.
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
    /// A database tool or the server failed.
    #[error("{0}")]
    Failed(String),
    /// A SQL statement failed.
    #[error("SQL on the emulated server failed: {0}")]
    Sql(String),
    /// The runtime was shut down.
    #[error("the RDS emulator is shutting down")]
    ShuttingDown,
}

/// An I/O error mapper naming what was being done.
pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
    let context = context.into();
    move |source| ServerError::Io { context, source }
}

/// The future of a server operation.
pub type ServerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ServerError>> + Send + 'a>>;

/// Where a restored server's recovery stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryTarget {
    /// Replay every commit at or before this wall-clock instant.
    Time(DateTime<Utc>),
    /// Replay up to and including the marker whose [`Marker::id`] this is.
    Marker(String),
    /// Stop as soon as the base backup is consistent.
    Immediate,
}

/// Archive recovery settings for a server started from a base backup.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The archive to replay from.
    pub archive: PathBuf,
    /// Where to stop.
    pub target: RecoveryTarget,
}

/// The server a read replica follows, and that server's log archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The source server's loopback port.
    pub port: u16,
    /// The archive of the primary at the head of the replica's chain (its
    /// source's own, unless the source is itself a replica): a PostgreSQL
    /// replica fetches from it the WAL its source no longer holds.
    pub archive: PathBuf,
}

/// What a server is started with.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The server log.
    pub log_path: PathBuf,
    /// Where completed log files are archived (skipped while it does not exist).
    pub archive_dir: PathBuf,
    /// Archive recovery to perform before accepting writes.
    pub recovery: Option<Recovery>,
    /// For a read replica: the server it follows. The data directory then
    /// holds a base backup of that server ([`DbServer::base_backup`]); the
    /// server replicates from it and refuses writes until
    /// [`DbServer::promote`].
    pub follow: Option<Upstream>,
}

/// How a server is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Clean shutdown with a checkpoint.
    Fast,
    /// Abort without a checkpoint; crash recovery on next start.
    Immediate,
}

/// What a base backup covers.
#[derive(Debug, Clone)]
pub struct BaseBackupInfo {
    /// The first archived log file the backup needs (older ones may be pruned).
    pub start_log: String,
    /// The wall instant the backup was complete (consistent) by.
    pub end_wall: DateTime<Utc>,
}

/// The latest commit the archive is known to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The engine's identifier of the marker (PostgreSQL: a transaction id),
    /// comparable with what [`DbServer::last_commit`] answers.
    pub id: String,
    /// Its commit instant (wall clock).
    pub commit_wall: DateTime<Utc>,
}

/// A database engine's processes and tools, shared by every server of one
/// RDS service.
pub trait DbEngine: Send + Sync + Debug {
    /// The binaries were found, or why not (the error instances answer).
    fn available(&self) -> Result<(), ServerError>;

    /// Fills `data_dir` with a fresh, empty server. When `first_base` is
    /// given, also places a base backup of that empty server there (from
    /// which every later commit lands in the archive) and describes it.
    fn fresh_data_dir<'a>(
        &'a self,
        data_dir: &'a Path,
        first_base: Option<&'a Path>,
    ) -> ServerFuture<'a, Option<BaseBackupInfo>>;

    /// Starts a server on `spec`, preferring `port` when given and free.
    /// With `spec.recovery`, the server first replays the archive onto its
    /// base backup up to the target; it accepts writes when this returns.
    fn start<'a>(&'a self, spec: &'a ServerSpec, port: Option<u16>) -> ServerFuture<'a, Arc<dyn DbServer>>;

    /// Removes archived log files older than `keep_from` (a
    /// [`BaseBackupInfo::start_log`]).
    fn prune_archive(&self, archive: &Path, keep_from: &str);

    /// The pids of every live server (diagnostics and tests).
    fn server_pids(&self) -> Vec<u32>;

    /// Stops every server this engine started and refuses new ones.
    fn close(&self);
}

/// One running database server.
pub trait DbServer: Send + Sync + Debug {
    /// The loopback port it listens on.
    fn port(&self) -> u16;

    /// Takes a self-contained base backup into `dest` (which must not exist).
    fn base_backup<'a>(&'a self, dest: &'a Path) -> ServerFuture<'a, BaseBackupInfo>;

    /// Makes every commit so far durable in `archive_dir` and returns the
    /// marker that says so.
    fn archive_marker<'a>(&'a self, archive_dir: &'a Path) -> ServerFuture<'a, Marker>;

    /// The marker id of the latest commit (`None` before any), and the
    /// server's own clock.
    fn last_commit(&self) -> ServerFuture<'_, (Option<String>, DateTime<Utc>)>;

    /// How far this server's log goes, as an ordinal that only grows: for
    /// a source (`replica` false) the position it has written, for a read
    /// replica the position it has replayed (`None` before it replayed
    /// anything). A replica has caught up with its source when its ordinal
    /// reaches the source's (PostgreSQL: the LSN; MariaDB: the sum of the
    /// GTID sequence numbers over its domains).
    fn log_position(&self, replica: bool) -> ServerFuture<'_, Option<u64>>;

    /// Creates the master user with `password` and, when named, its database.
    fn create_master<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
        db_name: Option<&'a str>,
    ) -> ServerFuture<'a, ()>;

    /// For a read replica: stops following the source and accepts writes
    /// (returns once it does).
    fn promote(&self) -> ServerFuture<'_, ()>;

    /// Changes the master user's password.
    fn set_master_password<'a>(&'a self, username: &'a str, password: &'a str) -> ServerFuture<'a, ()>;

    /// Stops the server and waits for it (synchronously, bounded).
    fn stop(&self, mode: StopMode);

    /// Stops the server without blocking the async runtime.
    fn stop_async(self: Arc<Self>, mode: StopMode) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}
