//! Directories that never outlive the emulator process, however it ends.
//!
//! A [`Janitor`] is a small `sh` process started for one directory, with a
//! pipe on its stdin whose only writer is the emulator. When the emulator
//! exits in any way (clean shutdown, panic, Ctrl-C, SIGKILL) the kernel
//! closes the pipe; the janitor then stops every PostgreSQL server whose
//! `postmaster.pid` and every MariaDB server whose `mariadbd.pid` lies under
//! the directory (SIGQUIT), every Redis server whose `redis.pid` does
//! (SIGTERM, Redis's own shutdown signal), SIGKILL for stragglers after
//! about ten seconds, and removes the directory. Janitors
//! run in their own process group and ignore SIGINT/SIGTERM/SIGHUP, so a
//! terminal's Ctrl-C reaches the emulator first and the janitor outlives it.
//!
//! [`ScratchDir`] is a temporary directory with its janitor: the emulator's
//! default data directory (S3 bodies, RDS servers, DynamoDB backups).

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

const JANITOR_SCRIPT: &str = r#"
trap '' INT TERM HUP
read _ignored
dir="$1"
pids() {
  find "$dir" \( -name postmaster.pid -o -name mariadbd.pid -o -name redis.pid \) 2>/dev/null | while read -r f; do
    pid=$(head -n 1 "$f" 2>/dev/null)
    case "$pid" in ''|*[!0-9]*) continue ;; esac
    comm=$(cat "/proc/$pid/comm" 2>/dev/null)
    case "$f:$comm" in *postmaster.pid:postgres|*mariadbd.pid:mariadbd|*redis.pid:redis-server) echo "$pid" ;; esac
  done
}
for p in $(pids); do
  case "$(cat "/proc/$p/comm" 2>/dev/null)" in
    redis-server) kill -TERM "$p" 2>/dev/null ;;
    *) kill -QUIT "$p" 2>/dev/null ;;
  esac
done
i=0
while [ $i -lt 100 ]; do
  left=$(pids)
  [ -z "$left" ] && break
  sleep 0.1
  i=$((i+1))
done
for p in $(pids); do kill -KILL "$p" 2>/dev/null; done
rm -rf "$dir"
"#;

/// A watchdog process that removes `dir` (stopping the servers under it)
/// when the emulator closes its pipe, by exiting or by [`Janitor::finish`].
#[derive(Debug)]
pub struct Janitor {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl Janitor {
    /// Starts a janitor for `dir`.
    pub fn spawn(dir: &Path) -> std::io::Result<Self> {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(JANITOR_SCRIPT)
            .arg("firedrill-janitor")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Self {
            child: Some(child),
            stdin,
        })
    }

    /// Closes the pipe and waits (bounded) for the janitor to finish.
    pub fn finish(&mut self) {
        self.stdin.take();
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
    }
}

impl Drop for Janitor {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A fresh temporary directory (under the system's temp dir) that is removed
/// when this value is closed or dropped, and by its [`Janitor`] when the
/// process dies without either.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    janitor: Option<Janitor>,
}

impl ScratchDir {
    /// Creates `<tmp>/<prefix><random>` and starts its janitor.
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        let path = tempfile::Builder::new().prefix(prefix).tempdir()?.keep();
        match Janitor::spawn(&path) {
            Ok(janitor) => Ok(Self {
                path,
                janitor: Some(janitor),
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&path);
                Err(e)
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory now, reporting a failure (dropping then
    /// finishes the janitor).
    pub fn close(self) -> std::io::Result<()> {
        self.remove()
    }

    fn remove(&self) -> std::io::Result<()> {
        match std::fs::remove_dir_all(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = self.remove();
        if let Some(mut janitor) = self.janitor.take() {
            janitor.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_dir_is_removed_on_drop() {
        let dir = ScratchDir::new("firedrill-janitor-test-").unwrap();
        let path = dir.path().to_path_buf();
        std::fs::write(path.join("blob"), b"data").unwrap();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn the_janitor_removes_its_dir_when_its_pipe_closes() {
        let path = tempfile::Builder::new()
            .prefix("firedrill-janitor-test-")
            .tempdir()
            .unwrap()
            .keep();
        std::fs::create_dir_all(path.join("s3/blobs")).unwrap();
        std::fs::write(path.join("s3/blobs/x"), b"data").unwrap();
        let mut janitor = Janitor::spawn(&path).unwrap();
        assert!(path.exists(), "nothing happens while the pipe is open");
        janitor.finish();
        assert!(!path.exists());
    }
}
