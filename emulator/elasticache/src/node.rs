//! Redis processes: finding `redis-server`, starting one server per cache
//! node on a loopback port in its own directory, `BGSAVE` snapshots, clean
//! stops and the cleanup janitor.
//!
//! This module knows Redis and the file system, and nothing of
//! ElastiCache's API; the engine ([`crate::engine`]) decides what to start
//! and when.
//!
//! Cleanup design (every server and directory goes away, whatever happens):
//! - Each [`RedisNode`] owns its `redis-server` child; dropping it stops the
//!   server (SIGTERM, SIGKILL after five seconds) and waits for it.
//!   [`NodeRuntime`] keeps a weak registry of every node it started, so
//!   `shutdown` stops nodes that background tasks still hold.
//! - The core's [`Janitor`] watches the run directory: when the emulator
//!   exits in any way (clean shutdown, panic, Ctrl-C, SIGKILL) it stops
//!   every `redis-server` whose `redis.pid` lies under the directory and
//!   removes it. Servers run in their own process groups, so a terminal's
//!   Ctrl-C reaches the emulator first.
//!
//! Persistence: a node saves nothing on its own (`save ""`, no AOF), as an
//! ElastiCache node keeps its data in memory; an RDB file is written only by
//! a snapshot (`BGSAVE`) and by a stop that must keep the data (a region
//! outage stops a node with `SHUTDOWN SAVE` and starts it again from that
//! file).
//!
//! When the process runs as root, `redis-server` runs as the `redis` user if
//! it exists, else `nobody`; the run directory is owned by that user and its
//! ancestors are made traversable (`o+x`).

pub use firedrill_emu_core::janitor::Janitor;
use parking_lot::Mutex;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The RDB file name inside every node directory.
pub const RDB_FILE: &str = "dump.rdb";

/// Why a Redis operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No usable `redis-server` was found.
    #[error("{0}")]
    NoBinary(String),
    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The server or a command on it failed.
    #[error("{0}")]
    Failed(String),
    /// The runtime was shut down.
    #[error("the ElastiCache emulator is shutting down")]
    ShuttingDown,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> NodeError {
    let context = context.into();
    move |source| NodeError::Io { context, source }
}

fn failed(context: &str) -> impl FnOnce(redis::RedisError) -> NodeError + '_ {
    move |e| NodeError::Failed(format!("{context}: {e}"))
}

/// The `redis-server` program and its version.
#[derive(Debug, Clone)]
pub struct RedisBinary {
    /// The executable.
    pub path: PathBuf,
    /// Its version, as `redis-server --version` reports it (`7.0.15`).
    pub version: String,
}

impl RedisBinary {
    /// Finds `redis-server`: `FIREDRILL_REDIS_BIN` (the program, or the
    /// directory holding it), else the first `redis-server` on `PATH`, else
    /// `/usr/bin/redis-server`.
    pub fn discover() -> Result<Self, NodeError> {
        if let Some(given) = std::env::var_os("FIREDRILL_REDIS_BIN") {
            let given = PathBuf::from(given);
            let path = if given.is_dir() {
                given.join("redis-server")
            } else {
                given.clone()
            };
            return Self::usable(&path).ok_or_else(|| {
                NodeError::NoBinary(format!(
                    "FIREDRILL_REDIS_BIN={} is not a runnable redis-server",
                    given.display()
                ))
            });
        }
        let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("redis-server"))
                    .collect()
            })
            .unwrap_or_default();
        candidates.push(PathBuf::from("/usr/bin/redis-server"));
        candidates.iter().find_map(|p| Self::usable(p)).ok_or_else(|| {
            NodeError::NoBinary(
                "firedrill could not find redis-server: install Redis (Debian's redis-server package) or set FIREDRILL_REDIS_BIN".to_owned(),
            )
        })
    }

    fn usable(path: &Path) -> Option<Self> {
        if !path.is_file() {
            return None;
        }
        let out = Command::new(path).arg("--version").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix("v="))?
            .to_owned();
        Some(Self {
            path: path.to_path_buf(),
            version,
        })
    }
}

/// The unprivileged account `redis-server` runs as when the emulator is root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl RunAs {
    /// `None` when not root (the server runs as the current user).
    pub fn detect() -> Option<Self> {
        if !nix::unistd::geteuid().is_root() {
            return None;
        }
        ["redis", "nobody"]
            .iter()
            .find_map(|name| nix::unistd::User::from_name(name).ok().flatten())
            .map(|u| Self {
                uid: u.uid.as_raw(),
                gid: u.gid.as_raw(),
            })
            .or(Some(Self {
                uid: 65534,
                gid: 65534,
            }))
    }
}

fn chown(path: &Path, run_as: Option<RunAs>) -> Result<(), NodeError> {
    if let Some(r) = run_as {
        nix::unistd::chown(
            path,
            Some(nix::unistd::Uid::from_raw(r.uid)),
            Some(nix::unistd::Gid::from_raw(r.gid)),
        )
        .map_err(|e| NodeError::Failed(format!("chown {}: {e}", path.display())))?;
    }
    Ok(())
}

fn make_dir(dir: &Path, run_as: Option<RunAs>) -> Result<(), NodeError> {
    std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(io(format!("chmod {}", dir.display())))?;
    chown(dir, run_as)
}

/// Adds `o+x` to every ancestor of `dir` that lacks it, so the server user
/// can reach its files.
fn make_traversable(dir: &Path) -> Result<(), NodeError> {
    for ancestor in dir.ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() || ancestor == Path::new("/") {
            continue;
        }
        let meta = std::fs::metadata(ancestor).map_err(io(format!("stat {}", ancestor.display())))?;
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            std::fs::set_permissions(ancestor, std::fs::Permissions::from_mode((mode & 0o7777) | 0o001))
                .map_err(io(format!("chmod {}", ancestor.display())))?;
        }
    }
    Ok(())
}

/// How a node is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// `SHUTDOWN SAVE`: the data is written to the node's RDB file first, so
    /// that a later start finds it (region outages).
    Save,
    /// The data is discarded (deletion, emulator shutdown).
    Discard,
}

/// What a node is started with.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// The node's own directory (its RDB file, log and pid file).
    pub dir: PathBuf,
    /// An RDB file to load at start (a restore); copied into the directory.
    pub seed: Option<PathBuf>,
    /// The port to prefer when it is free.
    pub port: Option<u16>,
    /// The primary this node replicates (`replicaof`).
    pub replica_of: Option<u16>,
}

/// One running `redis-server`.
#[derive(Debug)]
pub struct RedisNode {
    /// Its directory.
    pub dir: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    pid: u32,
    child: Mutex<Option<Child>>,
}

impl RedisNode {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the server still runs.
    pub fn is_running(&self) -> bool {
        self.child
            .lock()
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    fn connection(&self) -> Result<redis::Connection, NodeError> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .map_err(failed("open a Redis client"))?;
        let conn = client
            .get_connection_with_timeout(Duration::from_secs(5))
            .map_err(failed("connect to the node"))?;
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(failed("set a read timeout"))?;
        Ok(conn)
    }

    /// The number of keys in every database (`INFO keyspace`), blocking.
    pub fn key_count(&self) -> Result<u64, NodeError> {
        let mut conn = self.connection()?;
        let info: String = redis::cmd("INFO")
            .arg("keyspace")
            .query(&mut conn)
            .map_err(failed("INFO keyspace"))?;
        Ok(info
            .lines()
            .filter(|l| l.starts_with("db"))
            .filter_map(|l| l.split_once("keys=")?.1.split(',').next()?.parse::<u64>().ok())
            .sum())
    }

    /// Takes an RDB snapshot with the server's own `BGSAVE` and waits for it
    /// (blocking); returns the RDB file, which the next save overwrites.
    pub fn bgsave(&self) -> Result<PathBuf, NodeError> {
        let mut conn = self.connection()?;
        let saves = |conn: &mut redis::Connection| -> Result<(u64, bool, bool), NodeError> {
            let info: String = redis::cmd("INFO")
                .arg("persistence")
                .query(conn)
                .map_err(failed("INFO persistence"))?;
            let field = |name: &str| {
                info.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                    .map(str::trim)
                    .unwrap_or_default()
                    .to_owned()
            };
            Ok((
                field("rdb_saves").parse().unwrap_or(0),
                field("rdb_bgsave_in_progress") == "1",
                field("rdb_last_bgsave_status") == "ok",
            ))
        };
        let deadline = Instant::now() + Duration::from_secs(300);
        let before = loop {
            let (count, in_progress, _) = saves(&mut conn)?;
            if !in_progress {
                match redis::cmd("BGSAVE").query::<String>(&mut conn) {
                    Ok(_) => break count,
                    Err(e) if e.to_string().contains("in progress") => {}
                    Err(e) => return Err(NodeError::Failed(format!("BGSAVE: {e}"))),
                }
            }
            if Instant::now() > deadline {
                return Err(NodeError::Failed("BGSAVE could not start in time".to_owned()));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        loop {
            let (count, in_progress, ok) = saves(&mut conn)?;
            if count > before && !in_progress {
                if !ok {
                    return Err(NodeError::Failed(format!(
                        "BGSAVE failed on the node (see {})",
                        self.dir.join("redis.log").display()
                    )));
                }
                return Ok(self.dir.join(RDB_FILE));
            }
            if !in_progress && !ok {
                return Err(NodeError::Failed("BGSAVE failed on the node".to_owned()));
            }
            if Instant::now() > deadline {
                return Err(NodeError::Failed("BGSAVE did not finish in time".to_owned()));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Stops the server and waits for it (blocking, bounded).
    pub fn stop(&self, mode: StopMode) {
        let Some(mut child) = self.child.lock().take() else {
            return;
        };
        if mode == StopMode::Save {
            let saved = self.connection().and_then(|mut c| {
                // A successful SHUTDOWN closes the connection, which the
                // client reports as an I/O error: that is the success case.
                match redis::cmd("SHUTDOWN").arg("SAVE").query::<()>(&mut c) {
                    Err(e) if e.is_io_error() || e.is_connection_dropped() => Ok(()),
                    Err(e) => Err(NodeError::Failed(format!("SHUTDOWN SAVE: {e}"))),
                    Ok(()) => Ok(()),
                }
            });
            if let Err(e) = saved {
                tracing::warn!(pid = self.pid, error = %e, "Redis could not save on shutdown");
            }
        } else {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + Duration::from_secs(if mode == StopMode::Save { 120 } else { 5 });
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    tracing::warn!(pid = self.pid, "redis-server did not stop in time; killing it");
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    }

    /// Stops the server without blocking the async runtime.
    pub async fn stop_async(self: &Arc<Self>, mode: StopMode) {
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.stop(mode)).await;
    }
}

impl Drop for RedisNode {
    fn drop(&mut self) {
        self.stop(StopMode::Discard);
    }
}

/// What every node of one ElastiCache service shares: the binary, the run
/// directory and its janitor, and the registry of live nodes.
#[derive(Debug)]
pub struct NodeRuntime {
    binary: Result<RedisBinary, String>,
    /// The run directory; every node directory and snapshot file lives under it.
    pub root: PathBuf,
    /// The account servers run as (when root).
    pub run_as: Option<RunAs>,
    janitor: Mutex<Option<Janitor>>,
    nodes: Mutex<Vec<Weak<RedisNode>>>,
    closed: AtomicBool,
}

impl NodeRuntime {
    /// A runtime whose files live in a fresh directory under `service_dir`.
    pub fn new(service_dir: &Path) -> Self {
        let runtime = Self {
            binary: RedisBinary::discover().map_err(|e| e.to_string()),
            root: service_dir.join(format!(
                "run-{}-{}",
                std::process::id(),
                firedrill_emu_core::ids::random_hex(8)
            )),
            run_as: RunAs::detect(),
            janitor: Mutex::new(None),
            nodes: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        };
        if let Err(e) = runtime.prepare_root() {
            tracing::warn!(error = %e, "could not prepare the ElastiCache run directory");
        }
        runtime
    }

    fn prepare_root(&self) -> Result<(), NodeError> {
        make_dir(&self.root, self.run_as)?;
        if self.run_as.is_some() {
            make_traversable(&self.root)?;
        }
        make_dir(&self.snapshot_dir(), None)?;
        *self.janitor.lock() = Some(Janitor::spawn(&self.root).map_err(io("start the cleanup janitor"))?);
        Ok(())
    }

    /// Where snapshot RDB files are kept (the emulator's own storage).
    pub fn snapshot_dir(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// The binary, or why there is none.
    pub fn binary(&self) -> Result<&RedisBinary, NodeError> {
        self.binary.as_ref().map_err(|e| NodeError::NoBinary(e.clone()))
    }

    /// Whether `shutdown` has begun.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// A fresh, empty node directory named after `label`.
    pub fn node_dir(&self, label: &str) -> Result<PathBuf, NodeError> {
        let dir = self
            .root
            .join("nodes")
            .join(format!("{label}-{}", firedrill_emu_core::ids::random_hex(8)));
        make_dir(&self.root.join("nodes"), self.run_as)?;
        make_dir(&dir, self.run_as)?;
        Ok(dir)
    }

    /// Starts a node (blocking until it answers `PING`, or fails).
    pub fn start_blocking(&self, spec: &NodeSpec) -> Result<Arc<RedisNode>, NodeError> {
        if self.is_closed() {
            return Err(NodeError::ShuttingDown);
        }
        let binary = self.binary()?.clone();
        if let Some(seed) = &spec.seed {
            let target = spec.dir.join(RDB_FILE);
            std::fs::copy(seed, &target).map_err(io("copy the snapshot into the node"))?;
            chown(&target, self.run_as)?;
        }
        let mut last_error = String::new();
        for attempt in 0..4 {
            let port = match (attempt, spec.port) {
                (0, Some(p)) if port_is_free(p) => p,
                _ => free_port()?,
            };
            match self.spawn_once(&binary, spec, port) {
                Ok(node) => {
                    let node = Arc::new(node);
                    let mut nodes = self.nodes.lock();
                    nodes.retain(|w| w.strong_count() > 0);
                    nodes.push(Arc::downgrade(&node));
                    drop(nodes);
                    if self.is_closed() {
                        node.stop(StopMode::Discard);
                        return Err(NodeError::ShuttingDown);
                    }
                    return Ok(node);
                }
                Err((retry, e)) => {
                    last_error = e.to_string();
                    if !retry {
                        return Err(e);
                    }
                }
            }
        }
        Err(NodeError::Failed(last_error))
    }

    /// Starts a node without blocking the async runtime.
    pub async fn start(self: &Arc<Self>, spec: NodeSpec) -> Result<Arc<RedisNode>, NodeError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.start_blocking(&spec))
            .await
            .map_err(|e| NodeError::Failed(format!("the start task failed: {e}")))?
    }

    fn spawn_once(
        &self,
        binary: &RedisBinary,
        spec: &NodeSpec,
        port: u16,
    ) -> Result<RedisNode, (bool, NodeError)> {
        let dir = spec.dir.display().to_string();
        if dir.contains(['"', '\n', '\\']) {
            return Err((
                false,
                NodeError::Failed(format!("node directory {dir} cannot be quoted")),
            ));
        }
        let mut conf = format!(
            "port {port}\nbind 127.0.0.1\nprotected-mode no\ndaemonize no\ndir \"{dir}\"\ndbfilename {RDB_FILE}\npidfile \"{dir}/redis.pid\"\nlogfile \"{dir}/redis.log\"\nsave \"\"\nappendonly no\nloglevel warning\nlatency-tracking no\n"
        );
        if let Some(primary) = spec.replica_of {
            conf.push_str(&format!("replicaof 127.0.0.1 {primary}\nreplica-read-only yes\n"));
        }
        let conf_path = spec.dir.join("redis.conf");
        std::fs::write(&conf_path, conf).map_err(|e| (false, io("write redis.conf")(e)))?;
        chown(&conf_path, self.run_as).map_err(|e| (false, e))?;
        let log_path = spec.dir.join("redis.log");
        let log_start = std::fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
        let mut cmd = Command::new(&binary.path);
        if let Some(r) = self.run_as {
            cmd.uid(r.uid).gid(r.gid);
        }
        cmd.arg(&conf_path)
            .current_dir(&spec.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = cmd.spawn().map_err(|e| (false, io("start redis-server")(e)))?;
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail = log.get(log_start as usize..).unwrap_or(&log).trim().to_owned();
                let port_taken = tail.contains("Address already in use");
                return Err((
                    port_taken,
                    NodeError::Failed(format!("redis-server exited ({status}) on port {port}: {tail}")),
                ));
            }
            if answering_pid(port) == Some(pid) {
                return Ok(RedisNode {
                    dir: spec.dir.clone(),
                    port,
                    pid,
                    child: Mutex::new(Some(child)),
                });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err((
                    false,
                    NodeError::Failed(format!("redis-server on port {port} did not answer in time")),
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The pids of every running node.
    pub fn node_pids(&self) -> Vec<u32> {
        self.nodes
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|n| n.is_running())
            .map(|n| n.pid())
            .collect()
    }

    /// Stops every node, removes the run directory and finishes the
    /// janitor (blocking; idempotent).
    pub fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let nodes: Vec<Arc<RedisNode>> = self.nodes.lock().drain(..).filter_map(|w| w.upgrade()).collect();
        for node in nodes {
            node.stop(StopMode::Discard);
        }
        let _ = std::fs::remove_dir_all(&self.root);
        if let Some(mut janitor) = self.janitor.lock().take() {
            janitor.finish();
        }
    }
}

impl Drop for NodeRuntime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The process id of the Redis server answering on `port`, once it is
/// ready: it answers `INFO` (which a server still loading its RDB file
/// answers too) and its persistence section says `loading:0`, so that a
/// cluster restored from a large snapshot is not reported available while
/// every command but `INFO` still answers `LOADING`. Checking the pid tells
/// a node that started from one that lost the race for its port to another
/// server.
fn answering_pid(port: u16) -> Option<u32> {
    use std::io::{Read, Write};
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_millis(500))).ok()?;
    stream.write_all(b"INFO\r\n").ok()?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    while reply.len() < 256 * 1024 {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(buf.get(..n).unwrap_or_default());
        let text = String::from_utf8_lossy(&reply);
        if !text.starts_with('$') {
            return None;
        }
        if let (Some(pid), Some(loading)) = (info_field(&text, "process_id"), info_field(&text, "loading")) {
            return (loading == "0").then(|| pid.parse().ok()).flatten();
        }
    }
    None
}

/// The value of `field` in an `INFO` reply, once its whole line has arrived.
fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    let (complete, _) = info.rsplit_once("\r\n")?;
    complete
        .split("\r\n")
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(str::trim)
}

fn free_port() -> Result<u16, NodeError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("pick a free port"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(io("pick a free port"))
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Copies a file into the run directory's snapshot storage under a fresh
/// name and returns that path.
pub fn store_rdb(runtime: &NodeRuntime, from: &Path, label: &str) -> Result<PathBuf, NodeError> {
    let to = runtime
        .snapshot_dir()
        .join(format!("{label}-{}.rdb", firedrill_emu_core::ids::random_hex(12)));
    std::fs::copy(from, &to).map_err(io("copy the RDB file into snapshot storage"))?;
    Ok(to)
}

/// Writes bytes (an RDB file from S3) into snapshot storage.
pub fn store_rdb_bytes(runtime: &NodeRuntime, bytes: &[u8], label: &str) -> Result<PathBuf, NodeError> {
    let to = runtime
        .snapshot_dir()
        .join(format!("{label}-{}.rdb", firedrill_emu_core::ids::random_hex(12)));
    std::fs::write(&to, bytes).map_err(io("write the RDB file into snapshot storage"))?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot server on a free port answering `INFO` with `info`.
    fn fake_info_server(info: String) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf);
                let _ = s.write_all(format!("${}\r\n{info}\r\n", info.len()).as_bytes());
            }
        });
        port
    }

    #[test]
    fn a_server_still_loading_its_rdb_file_is_not_ready() {
        let info = |loading: u8| {
            format!(
                "# Server\r\nredis_version:7.0.15\r\nprocess_id:4242\r\n\r\n# Persistence\r\nloading:{loading}\r\nasync_loading:0\r\nloading_start_time:1\r\n"
            )
        };
        assert_eq!(answering_pid(fake_info_server(info(1))), None);
        assert_eq!(answering_pid(fake_info_server(info(0))), Some(4242));
        assert_eq!(
            info_field("loading_start_time:1\r\nloading:0\r\n", "loading"),
            Some("0")
        );
        assert_eq!(
            info_field("process_id:42", "process_id"),
            None,
            "a partial line is not read"
        );
    }
}
