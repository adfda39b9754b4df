//! The machine side every database engine shares: the unprivileged account
//! servers run as when the emulator is root, the run directory (with its
//! cleanup [`Janitor`]) that every server file lives under, directory
//! creation and tree copies that keep that account's ownership, commands,
//! loopback ports and log tails.
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
    lines[start..].join(" | ")
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
