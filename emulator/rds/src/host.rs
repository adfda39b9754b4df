//! The machine side every database engine shares: the unprivileged account
//! servers run as when the emulator is root, the run directory (with its
//! cleanup [`Janitor`]) that every server file lives under, directory
//! creation and tree copies that keep that account's ownership, commands,
//! loopback ports and log tails, and starting a server: on a free port
//! (retried when another took it), registered so that it is stopped however
//! the runtime closes, awaited until ready.
//!
//! Database servers refuse to run as root, so when the process is root every
//! server and helper runs as the `postgres` user if it exists, else
//! `nobody`; the run directory is owned by that account and its ancestors
//! are made traversable (`o+x`).

use crate::process::{ServerError, io};
pub use firedrill_emu_core::janitor::Janitor;
use parking_lot::Mutex;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// The unprivileged account servers run as when the emulator is root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl RunAs {
    /// `None` when not root (servers run as the current user).
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

/// Gives `path` to the server account (when running as root).
pub fn chown(path: &Path, run_as: Option<RunAs>) -> Result<(), ServerError> {
    if let Some(r) = run_as {
        nix::unistd::chown(
            path,
            Some(nix::unistd::Uid::from_raw(r.uid)),
            Some(nix::unistd::Gid::from_raw(r.gid)),
        )
        .map_err(|e| ServerError::Failed(format!("chown {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700, owned by the server account.
pub fn make_dir(dir: &Path, run_as: Option<RunAs>) -> Result<(), ServerError> {
    std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(io(format!("chmod {}", dir.display())))?;
    chown(dir, run_as)
}

/// Adds `o+x` to every ancestor of `dir` that lacks it, so the server
/// account can reach its files.
pub fn make_traversable(dir: &Path) -> Result<(), ServerError> {
    for ancestor in dir.ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() || ancestor == Path::new("/") {
            continue;
        }
        let meta = std::fs::metadata(ancestor).map_err(io(format!("stat {}", ancestor.display())))?;
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            tracing::debug!(dir = %ancestor.display(), "adding o+x so the server account can traverse it");
            std::fs::set_permissions(ancestor, std::fs::Permissions::from_mode((mode & 0o7777) | 0o001))
                .map_err(io(format!("chmod {}", ancestor.display())))?;
        }
    }
    Ok(())
}

/// A command for `program`, run as `run_as` when given, in the C locale.
pub fn command(program: &Path, run_as: Option<RunAs>) -> Command {
    let mut cmd = Command::new(program);
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid);
    }
    cmd.env("LC_ALL", "C").stdin(Stdio::null());
    cmd
}

/// [`command`] for async use; the child is killed when the future is dropped.
pub fn async_command(program: &Path, run_as: Option<RunAs>) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid);
    }
    cmd.env("LC_ALL", "C").stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

/// The directory every server file of one RDS service lives under, with
/// the janitor that removes it (stopping the servers under it) however the
/// emulator ends.
#[derive(Debug)]
pub struct RunDir {
    /// The directory.
    pub root: PathBuf,
    /// The account servers run as (when root).
    pub run_as: Option<RunAs>,
    janitor: Mutex<Option<Janitor>>,
    closed: AtomicBool,
}

impl RunDir {
    /// A fresh run directory under `service_dir`.
    pub fn new(service_dir: &Path) -> Self {
        let root = service_dir.join(format!(
            "run-{}-{}",
            std::process::id(),
            firedrill_emu_core::ids::random_hex(8)
        ));
        let dir = Self {
            root,
            run_as: RunAs::detect(),
            janitor: Mutex::new(None),
            closed: AtomicBool::new(false),
        };
        if let Err(e) = dir.prepare() {
            tracing::warn!(error = %e, "could not prepare the RDS run directory");
        }
        dir
    }

    fn prepare(&self) -> Result<(), ServerError> {
        make_dir(&self.root, self.run_as)?;
        if self.run_as.is_some() {
            make_traversable(&self.root)?;
        }
        *self.janitor.lock() = Some(Janitor::spawn(&self.root).map_err(io("start the cleanup janitor"))?);
        Ok(())
    }

    /// Whether [`RunDir::close`] has begun.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Refuses work once closed.
    pub fn check_open(&self) -> Result<(), ServerError> {
        if self.is_closed() {
            Err(ServerError::ShuttingDown)
        } else {
            Ok(())
        }
    }

    /// Marks the directory closed (servers refuse to start from now on).
    pub fn begin_close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Removes the directory and lets its janitor go (call once every
    /// server under it stopped).
    pub fn close(&self) {
        self.begin_close();
        let _ = std::fs::remove_dir_all(&self.root);
        if let Some(mut janitor) = self.janitor.lock().take() {
            janitor.finish();
        }
    }

    /// Gives `path` to the server account (when running as root).
    pub fn own(&self, path: &Path) -> Result<(), ServerError> {
        chown(path, self.run_as)
    }

    /// Creates a directory owned by the server account.
    pub fn make_dir(&self, dir: &Path) -> Result<(), ServerError> {
        make_dir(dir, self.run_as)
    }

    /// Copies a directory tree, keeping modes and owners (`cp -a`).
    pub async fn copy_tree(&self, from: &Path, to: &Path) -> Result<(), ServerError> {
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
            return Err(ServerError::Failed(format!(
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
    pub async fn link_tree(&self, from: &Path, to: &Path) -> Result<(), ServerError> {
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
}

impl Drop for RunDir {
    fn drop(&mut self) {
        self.close();
    }
}

/// The last lines of a server log from byte `from` on, joined on one line.
pub fn log_tail(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        use std::io::Seek;
        let _ = f.seek(std::io::SeekFrom::Start(from));
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(8);
    lines.get(start..).unwrap_or_default().join(" | ")
}

/// A loopback port nothing listens on now.
pub fn free_port() -> Result<u16, ServerError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("pick a free port"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(io("pick a free port"))
}

/// Whether `port` can be bound on loopback now.
pub fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A data directory made once per process by an engine's own tool
/// (`initdb`, `mariadb-install-db`) and copied for each new server; its
/// janitor removes it however the process ends.
#[derive(Debug)]
pub struct Template {
    base: PathBuf,
    /// The initialised data directory.
    pub data: PathBuf,
    /// The password of the engine's own superuser in it.
    pub admin_password: String,
    janitor: Mutex<Janitor>,
}

impl Template {
    /// A template whose files live under `base` (removed on drop).
    pub fn new(base: PathBuf, data: PathBuf, admin_password: String, janitor: Janitor) -> Self {
        Self {
            base,
            data,
            admin_password,
            janitor: Mutex::new(janitor),
        }
    }

    /// The directory the template lives in.
    pub fn base(&self) -> &Path {
        &self.base
    }
}

impl Drop for Template {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
        self.janitor.lock().finish();
    }
}

/// One runtime's template, built on first use.
#[derive(Debug, Default)]
pub struct TemplateSlot(Mutex<Option<std::sync::Arc<Template>>>);

impl TemplateSlot {
    /// The template, built by `build` when there is none yet (blocking).
    pub fn get_or_build(
        &self,
        build: impl FnOnce() -> Result<std::sync::Arc<Template>, ServerError>,
    ) -> Result<std::sync::Arc<Template>, ServerError> {
        let mut slot = self.0.lock();
        if let Some(t) = slot.as_ref() {
            return Ok(t.clone());
        }
        let t = build()?;
        *slot = Some(t.clone());
        Ok(t)
    }

    /// The template directory, once built.
    pub fn dir(&self) -> Option<PathBuf> {
        self.0.lock().as_ref().map(|t| t.base.clone())
    }

    /// Lets the template go (it is removed once no server holds it).
    pub fn clear(&self) {
        self.0.lock().take();
    }
}

/// A server's child process.
#[derive(Debug)]
pub struct ServerChild {
    pid: u32,
    child: Mutex<Option<std::process::Child>>,
}

impl ServerChild {
    /// Owns `child`.
    pub fn new(child: std::process::Child) -> Self {
        Self {
            pid: child.id(),
            child: Mutex::new(Some(child)),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        let mut child = self.child.lock();
        match child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends `signal` and waits for the process to exit, killing it after
    /// `grace`; once stopped, later calls do nothing.
    pub fn stop(&self, signal: nix::sys::signal::Signal, grace: std::time::Duration) {
        let Some(mut child) = self.child.lock().take() else {
            return;
        };
        if !matches!(child.try_wait(), Ok(None)) {
            // Exited (and reaped) already: its pid may be another's now.
            return;
        }
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid as i32), signal);
        let deadline = std::time::Instant::now() + grace;
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if std::time::Instant::now() > deadline => {
                    tracing::warn!(
                        pid = self.pid,
                        "a database server did not stop in time; killing it"
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
    }
}

/// What a [`Registry`] needs of a server.
pub trait Registered: Send + Sync {
    /// The server's process.
    fn child(&self) -> &ServerChild;
    /// Stops it at once (the runtime is closing).
    fn stop_now(&self);
}

/// The live servers of one runtime, held weakly so that `close` (and
/// `Drop`) stop servers that background tasks still hold.
#[derive(Debug)]
pub struct Registry<S>(Mutex<Vec<std::sync::Weak<S>>>);

impl<S> Default for Registry<S> {
    fn default() -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl<S: Registered> Registry<S> {
    /// Remembers `server`.
    pub fn register(&self, server: &std::sync::Arc<S>) {
        let mut servers = self.0.lock();
        servers.retain(|w| w.strong_count() > 0);
        servers.push(std::sync::Arc::downgrade(server));
    }

    /// Stops every live server.
    pub fn stop_all(&self) {
        let servers: Vec<std::sync::Arc<S>> = self.0.lock().drain(..).filter_map(|w| w.upgrade()).collect();
        for server in &servers {
            server.stop_now();
        }
    }

    /// The pids of every live server.
    pub fn pids(&self) -> Vec<u32> {
        self.0
            .lock()
            .iter()
            .filter_map(|w| w.upgrade())
            .filter(|s| s.child().is_running())
            .map(|s| s.child().pid())
            .collect()
    }
}

impl<S: Registered> Registry<S> {
    /// Starts a server with `spawn` (see [`start_on_a_port`]) and remembers
    /// it; when `run` began closing meanwhile, stops it and answers
    /// [`ServerError::ShuttingDown`].
    pub async fn start<F, Fut>(
        &self,
        run: &RunDir,
        port: Option<u16>,
        spawn: F,
    ) -> Result<std::sync::Arc<S>, ServerError>
    where
        F: FnMut(u16) -> Fut,
        Fut: std::future::Future<Output = Result<S, (bool, ServerError)>>,
    {
        let server = std::sync::Arc::new(start_on_a_port(port, spawn).await?);
        self.register(&server);
        if run.is_closed() {
            server.stop_now();
            return Err(ServerError::ShuttingDown);
        }
        Ok(server)
    }
}

/// How a freshly spawned server is waited for.
#[derive(Debug, Clone, Copy)]
pub struct Readiness<'a> {
    /// The database's name, for errors (`PostgreSQL`, `MariaDB`).
    pub engine: &'a str,
    /// The server log, and where this start's lines begin in it.
    pub log: &'a Path,
    pub log_start: u64,
    /// How long the server may take.
    pub timeout: std::time::Duration,
    /// Log texts saying the port was taken meanwhile (the start is then
    /// retried on another port).
    pub bind_failures: &'a [&'a str],
}

/// Polls `ready` every 10 ms until it says the server accepts connections.
/// Answers `Err((true, _))` when the process exited with a bind failure in
/// its log, `Err((false, _))` when it exited otherwise or was not ready in
/// time (the caller's server, owning the child, stops it when dropped).
pub async fn await_ready<F, Fut>(
    child: &ServerChild,
    r: Readiness<'_>,
    mut ready: F,
) -> Result<(), (bool, ServerError)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    loop {
        if !child.is_running() {
            let tail = log_tail(r.log, r.log_start);
            let retry = r.bind_failures.iter().any(|m| tail.contains(m));
            return Err((
                retry,
                ServerError::Failed(format!("{} exited while starting: {tail}", r.engine)),
            ));
        }
        if ready().await {
            return Ok(());
        }
        if started.elapsed() > r.timeout {
            return Err((
                false,
                ServerError::Failed(format!(
                    "{} did not become ready within {:?}: {}",
                    r.engine,
                    r.timeout,
                    log_tail(r.log, r.log_start)
                )),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Runs blocking work (a tool, a template build) off the async runtime.
pub async fn blocking<T, F>(f: F) -> Result<T, ServerError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ServerError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServerError::Failed(format!("a blocking task failed: {e}")))?
}

/// Starts a server with `spawn`, on `port` when given and free, else on a
/// free port; retries (up to four attempts) while `spawn` says the port
/// was taken meanwhile (`Err((true, _))`).
pub async fn start_on_a_port<S, F, Fut>(port: Option<u16>, mut spawn: F) -> Result<S, ServerError>
where
    F: FnMut(u16) -> Fut,
    Fut: std::future::Future<Output = Result<S, (bool, ServerError)>>,
{
    let mut last_error = String::new();
    for attempt in 0..4 {
        let port = match (attempt, port) {
            (0, Some(p)) if port_is_free(p) => p,
            _ => free_port()?,
        };
        match spawn(port).await {
            Ok(server) => return Ok(server),
            Err((true, e)) => last_error = e.to_string(),
            Err((false, e)) => return Err(e),
        }
    }
    Err(ServerError::Failed(last_error))
}

/// A fresh data directory copied from `template`, and, when `first_base`
/// is given, the template linked there as the first base backup (a cleanly
/// shut down server from which every later commit is in the archive),
/// whose log starts at `start_log`.
pub async fn fresh_from_template(
    run: &RunDir,
    template: &Template,
    data_dir: &Path,
    first_base: Option<&Path>,
    start_log: String,
) -> Result<Option<crate::process::BaseBackupInfo>, ServerError> {
    run.copy_tree(&template.data, data_dir).await?;
    let Some(dest) = first_base else {
        return Ok(None);
    };
    run.link_tree(&template.data, dest).await?;
    Ok(Some(crate::process::BaseBackupInfo {
        start_log,
        end_wall: chrono::Utc::now(),
    }))
}
