//! Running one of the team's commands: an argv array, no shell, a working
//! directory, an environment, a timeout, and its output kept (capped).
//!
//! A command runs in a process group of its own so that a timeout stops
//! everything it started (a bash script's `aws` children included). Groups
//! still running when firedrill is interrupted are stopped by
//! [`stop_all_running`], which the CLI calls on Ctrl-C. After the command
//! exits, its output is drained for a short grace period only: a background
//! process it left holding the pipes cannot hang the drill.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of each stream a report keeps (the tail).
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How long output is still read after the command itself has exited.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// One command to run.
#[derive(Debug, Clone)]
pub struct CommandRun {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Working directory.
    pub dir: PathBuf,
    /// Variables set on top of the inherited environment.
    pub env: Vec<(String, String)>,
    /// Inherited variables removed first (exact names).
    pub remove_env: Vec<String>,
    /// Killed (with everything it started) after this long.
    pub timeout: Duration,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exit {
    /// It exited with this status.
    Exited {
        /// The exit status.
        code: i32,
    },
    /// A signal ended it.
    Signaled {
        /// The signal number.
        signal: i32,
    },
    /// It ran past its timeout and was killed.
    TimedOut {
        /// The timeout, in seconds.
        after_seconds: f64,
    },
    /// It could not be started.
    NotStarted {
        /// Why.
        error: String,
    },
}

impl Exit {
    /// Whether the command succeeded (exit status 0).
    pub fn success(&self) -> bool {
        matches!(self, Exit::Exited { code: 0 })
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Exited { code } => write!(f, "exit status {code}"),
            Exit::Signaled { signal } => write!(f, "killed by signal {signal}"),
            Exit::TimedOut { after_seconds } => write!(
                f,
                "timed out after {} and was killed",
                crate::scenario::format_duration(chrono::Duration::milliseconds(
                    (after_seconds * 1000.0) as i64
                ))
            ),
            Exit::NotStarted { error } => write!(f, "could not be started: {error}"),
        }
    }
}

/// A stream's captured text: its last [`OUTPUT_CAP`] bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    /// The text kept (lossy UTF-8).
    pub text: String,
    /// Bytes dropped from the start to stay within the cap.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub truncated_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Captured {
    /// The last `n` non-empty lines.
    pub fn last_lines(&self, n: usize) -> Vec<&str> {
        let lines: Vec<&str> = self.text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(n)..].to_vec()
    }
}

/// What a command did: how it ended and what it printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandOutput {
    /// Program and arguments, as run.
    pub argv: Vec<String>,
    /// The working directory.
    pub dir: String,
    /// How it ended.
    pub exit: Exit,
    /// Its standard output (tail).
    pub stdout: Captured,
    /// Its standard error (tail).
    pub stderr: Captured,
    /// Wall seconds it ran.
    pub wall_seconds: f64,
}

impl CommandOutput {
    /// `python3 runbooks/restore.py`, quoted where needed.
    pub fn command_line(&self) -> String {
        command_line(&self.argv)
    }
}

/// An argv array as a shell would show it.
pub fn command_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shlex::try_quote(a).map_or_else(|_| format!("{a:?}"), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Process groups of commands running now.
static RUNNING: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn running() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    RUNNING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kills every command still running and everything it started; the CLI
/// calls it when interrupted, so nothing outlives firedrill.
pub fn stop_all_running() {
    let groups: Vec<i32> = running().iter().copied().collect();
    for pgid in groups {
        kill_group(pgid);
    }
}

fn kill_group(pgid: i32) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    // The group may already be gone; that is the outcome wanted.
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
}

/// Registers a running group and kills it when dropped (a drill future
/// dropped mid-command, a panic): the command never outlives its step.
struct GroupGuard(i32);

impl GroupGuard {
    fn new(pgid: i32) -> Self {
        running().insert(pgid);
        Self(pgid)
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.0);
        running().remove(&self.0);
    }
}

/// Runs a command to its end (or its timeout) and returns what it did.
pub async fn run(cmd: &CommandRun) -> CommandOutput {
    let started = Instant::now();
    let output = |exit, stdout, stderr| CommandOutput {
        argv: cmd.argv.clone(),
        dir: cmd.dir.display().to_string(),
        exit,
        stdout,
        stderr,
        wall_seconds: started.elapsed().as_secs_f64(),
    };
    let Some((program, args)) = cmd.argv.split_first() else {
        let exit = Exit::NotStarted {
            error: "the command is empty".into(),
        };
        return output(exit, Captured::default(), Captured::default());
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(&cmd.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for name in &cmd.remove_env {
        command.env_remove(name);
    }
    for (k, v) in &cmd.env {
        command.env(k, v);
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            let error = match e.kind() {
                std::io::ErrorKind::NotFound if !cmd.dir.is_dir() => {
                    format!("working directory {} does not exist", cmd.dir.display())
                }
                std::io::ErrorKind::NotFound => {
                    format!("{program}: not found (not on PATH, and no such file)")
                }
                std::io::ErrorKind::PermissionDenied => {
                    format!("{program}: permission denied (is it executable?)")
                }
                _ => format!("{program}: {e}"),
            };
            return output(
                Exit::NotStarted { error },
                Captured::default(),
                Captured::default(),
            );
        }
    };
    let guard = child.id().map(|pid| GroupGuard::new(pid as i32));
    let stdout = tokio::spawn(capture(child.stdout.take()));
    let stderr = tokio::spawn(capture(child.stderr.take()));
    tracing::debug!(command = %command_line(&cmd.argv), dir = %cmd.dir.display(), "team command started");

    let exit = match tokio::time::timeout(cmd.timeout, child.wait()).await {
        Ok(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            match (status.code(), status.signal()) {
                (Some(code), _) => Exit::Exited { code },
                (None, Some(signal)) => Exit::Signaled { signal },
                (None, None) => Exit::Exited { code: -1 },
            }
        }
        Ok(Err(e)) => Exit::NotStarted {
            error: format!("waiting for it failed: {e}"),
        },
        Err(_) => Exit::TimedOut {
            after_seconds: cmd.timeout.as_secs_f64(),
        },
    };
    // The step is over: whatever the command left running goes with it, and
    // the pipes close (what is already in them can still be read).
    drop(guard);
    let _ = child.start_kill();
    let _ = child.wait().await;
    let stdout = drain(stdout).await;
    let stderr = drain(stderr).await;
    tracing::debug!(command = %command_line(&cmd.argv), %exit, "team command ended");
    output(exit, stdout, stderr)
}

/// Waits a short while for a stream's reader; a stream still held open by a
/// leftover process yields what was read so far.
async fn drain(reader: tokio::task::JoinHandle<Captured>) -> Captured {
    let abort = reader.abort_handle();
    match tokio::time::timeout(DRAIN_GRACE, reader).await {
        Ok(Ok(c)) => c,
        Ok(Err(_)) => Captured::default(),
        Err(_) => {
            abort.abort();
            Captured {
                text: "[output not read to its end: a process the command started kept it open]".into(),
                truncated_bytes: 0,
            }
        }
    }
}

/// Reads a stream to its end, keeping the last [`OUTPUT_CAP`] bytes.
async fn capture<R: AsyncRead + Unpin>(stream: Option<R>) -> Captured {
    let Some(mut stream) = stream else {
        return Captured::default();
    };
    let mut kept: Vec<u8> = Vec::new();
    let mut dropped: u64 = 0;
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > OUTPUT_CAP {
                    let excess = kept.len() - OUTPUT_CAP;
                    kept.drain(..excess);
                    dropped += excess as u64;
                }
            }
        }
    }
    Captured {
        text: String::from_utf8_lossy(&kept).into_owned(),
        truncated_bytes: dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> CommandRun {
        CommandRun {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            dir: std::env::temp_dir(),
            env: vec![("FD_TEST_VAR".into(), "hello".into())],
            remove_env: vec![],
            timeout,
        }
    }

    #[tokio::test]
    async fn output_status_and_environment_are_kept() {
        let out = run(&sh(
            "echo out $FD_TEST_VAR; echo err >&2; exit 3",
            Duration::from_secs(20),
        ))
        .await;
        assert_eq!(out.exit, Exit::Exited { code: 3 });
        assert!(!out.exit.success());
        assert_eq!(out.stdout.text, "out hello\n");
        assert_eq!(out.stderr.last_lines(5), vec!["err"]);
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group() {
        let marker = tempfile::NamedTempFile::new().expect("temp file");
        let path = marker.path().display().to_string();
        // The grandchild would write the marker after 3 s if it survived.
        let script = format!("(sleep 3; echo alive > {path}) & sleep 30");
        let out = run(&sh(&script, Duration::from_millis(300))).await;
        assert!(matches!(out.exit, Exit::TimedOut { .. }), "{:?}", out.exit);
        assert!(running().is_empty());
        tokio::time::sleep(Duration::from_secs(4)).await;
        let content = std::fs::read_to_string(marker.path()).unwrap_or_default();
        assert!(content.is_empty(), "a process of the timed-out group survived");
    }

    #[tokio::test]
    async fn a_missing_program_is_named() {
        let cmd = CommandRun {
            argv: vec!["./no-such-runbook.sh".into()],
            ..sh("", Duration::from_secs(5))
        };
        let out = run(&cmd).await;
        match out.exit {
            Exit::NotStarted { error } => assert!(error.contains("no-such-runbook.sh: not found"), "{error}"),
            other => panic!("expected NotStarted, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn output_is_capped_to_its_tail() {
        let out = run(&sh(
            "head -c 200000 /dev/zero | tr '\\0' a; echo END",
            Duration::from_secs(20),
        ))
        .await;
        assert!(out.exit.success());
        assert_eq!(out.stdout.text.len(), OUTPUT_CAP);
        assert!(out.stdout.text.ends_with("END\n"));
        assert_eq!(out.stdout.truncated_bytes, 200_004 - OUTPUT_CAP as u64);
    }

    #[test]
    fn command_lines_are_quoted() {
        let argv = vec!["python3".to_owned(), "my runbook.py".to_owned()];
        assert_eq!(command_line(&argv), "python3 'my runbook.py'");
    }
}
