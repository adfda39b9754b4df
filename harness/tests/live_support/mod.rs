//! A live session for the "break it yourself" tests: `firedrill up --traffic
//! --detach` in a directory of its own, its banner parsed into the
//! one-liners it printed, and shell commands run as the person would type
//! them. Dropping the session runs `firedrill down`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const FIREDRILL: &str = env!("CARGO_BIN_EXE_firedrill");

/// Whether the AWS CLI and psql are installed (`cargo xtask test` installs them).
pub fn tools_installed() -> bool {
    ["aws", "psql"].iter().all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

pub struct Session {
    pub dir: tempfile::TempDir,
    pub banner: String,
}

impl Session {
    /// `firedrill up --traffic --detach --port 0 --speed SPEED`.
    pub fn up(speed: &str) -> Self {
        Self::up_with(speed, &[])
    }

    /// The same with `extra` arguments (`--store sessions=elasticache`).
    pub fn up_with(speed: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = Command::new(FIREDRILL)
            .args(["up", "--traffic", "--detach", "--port", "0", "--speed", speed])
            .args(extra)
            .arg("--dir")
            .arg(dir.path())
            .env("FIREDRILL_LOG", "warn")
            .output()
            .expect("firedrill up runs");
        let banner = String::from_utf8_lossy(&out.stdout).into_owned();
        let session = Self { dir, banner };
        assert!(
            out.status.success(),
            "up failed: {}\n{}\nlog:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(session.path().join("up.log")).unwrap_or_default()
        );
        session
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The `export ...` line of the banner.
    pub fn exports(&self) -> String {
        self.banner
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("export AWS_ENDPOINT_URL="))
            .unwrap_or_else(|| panic!("no export line in the banner:\n{}", self.banner))
            .to_owned()
    }

    /// The command printed under the `# ...` line containing `what`.
    pub fn one_liner(&self, what: &str) -> String {
        let lines: Vec<&str> = self.banner.lines().map(str::trim).collect();
        let i = lines
            .iter()
            .position(|l| l.starts_with('#') && l.contains(what))
            .unwrap_or_else(|| panic!("no one-liner for {what:?} in the banner:\n{}", self.banner));
        lines[i + 1].to_owned()
    }

    /// Runs `command` with bash after the banner's exports.
    pub fn shell(&self, command: &str) -> Output {
        Command::new("bash")
            .arg("-c")
            .arg(format!("{}\n{command}", self.exports()))
            .output()
            .expect("bash runs")
    }

    /// Runs `command` and asserts it succeeded; returns its stdout.
    pub fn shell_ok(&self, command: &str) -> String {
        let out = self.shell(command);
        assert!(
            out.status.success(),
            "`{command}` failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `firedrill check --dir DIR ARGS...`.
    pub fn check(&self, args: &[&str]) -> Output {
        Command::new(FIREDRILL)
            .arg("check")
            .arg("--dir")
            .arg(self.path())
            .args(args)
            .env("FIREDRILL_LOG", "warn")
            .env_remove("FIREDRILL_RECOVERED")
            .output()
            .expect("firedrill check runs")
    }

    /// `firedrill check` with no restore point given; asserts that it found
    /// the act `act` (the start of its line) and returns its output.
    pub fn check_finds(&self, act: &str) -> Output {
        let out = self.check(&[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("destructive act: {act}")),
            "{}",
            text(&out)
        );
        out
    }

    /// The restore point `firedrill check --print-restore-point` finds.
    pub fn restore_point(&self) -> chrono::DateTime<chrono::Utc> {
        let out = self.check(&["--print-restore-point"]);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("not an instant ({e}): {}", text(&out)))
    }

    /// The last check's JSON report.
    pub fn report(&self) -> serde_json::Value {
        let path: PathBuf = self.path().join("reports").join("break-it-yourself.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).expect("the report is JSON")
    }

    /// `history.json`.
    pub fn record(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.path().join("history.json")).expect("history.json");
        serde_json::from_str(&text).expect("history.json is JSON")
    }

    /// The completion instants of the recorded history's acknowledged
    /// operations of a kind whose name starts with `kind`.
    fn acked(&self, kind: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
        let record = self.record();
        record["history"]["ops"]
            .as_array()
            .map(|ops| {
                ops.iter()
                    .filter(|o| {
                        o["outcome"] == "ok" && o["kind"].as_str().is_some_and(|k| k.starts_with(kind))
                    })
                    .filter_map(|o| o["complete"].as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits (bounded) until the recorded history holds `n` acknowledged
    /// operations of a kind whose name starts with `kind`.
    pub fn wait_for_ops(&self, kind: &str, n: usize) {
        self.wait_for_acked(kind, |acked| acked.len() >= n, &format!("{n} acknowledged"));
    }

    /// Waits (bounded) until an acknowledged operation of `kind` completed
    /// more than `margin` before a whole second that another one completed
    /// after. A restore point is an act's instant rounded down to the
    /// second, and the check takes what completed within its clock tolerance
    /// before the restore point as in flight: an act after both is restored
    /// to a point that must hold the first one's writes.
    pub fn wait_for_ops_before_a_second(&self, kind: &str, margin: Duration) {
        use chrono::Timelike;
        let margin = chrono::Duration::from_std(margin).expect("a small margin");
        self.wait_for_acked(
            kind,
            |acked| {
                let first = acked.iter().min();
                let second = acked.iter().max().and_then(|t| t.with_nanosecond(0));
                first
                    .zip(second)
                    .is_some_and(|(first, second)| *first < second - margin)
            },
            &format!("acknowledged {margin} before a second another one completed after"),
        );
    }

    fn wait_for_acked(
        &self,
        kind: &str,
        done: impl Fn(&[chrono::DateTime<chrono::Utc>]) -> bool,
        what: &str,
    ) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let acked = self.acked(kind);
            if done(&acked) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the traffic wrote no {kind} operations {what}, only {}",
                acked.len()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new(FIREDRILL)
            .arg("down")
            .arg("--dir")
            .arg(self.dir.path())
            .output();
    }
}

/// The text of an output.
pub fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The layer `name` of a report.
pub fn layer<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["check"]["layers"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["layer"] == name))
        .unwrap_or_else(|| panic!("no layer {name} in {report}"))
}

/// The restore commands `check` printed (the lines after "to restore").
pub fn suggestions(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("to restore to the restore point"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_owned())
        .collect()
}
