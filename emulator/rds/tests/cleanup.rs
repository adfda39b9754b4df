//! Proof that no PostgreSQL or MariaDB server or directory outlives the
//! emulator: a child process (this test binary re-run as `cleanup_child`)
//! starts a PostgreSQL instance and (where MariaDB is installed) a MySQL
//! one, and is then interrupted with SIGINT (graceful shutdown) or killed
//! with SIGKILL (the janitors clean up: the RDS run directory, both
//! templates and the emulator's whole temporary data directory).
//! Also: dropping the service cleans up synchronously.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FIREDRILL_RDS_CLEANUP_CHILD";

/// The child side: only acts when re-run by the parent test.
#[tokio::test]
async fn cleanup_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let Some((server, rds)) = start("cleanup_child").await else {
        println!("NOPG");
        return;
    };
    // Listen for SIGINT before saying READY: `ctrl_c()` only installs its
    // handler when first polled, and a SIGINT arriving before that would
    // kill the child by default, without the graceful shutdown under test.
    let mut interrupt =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).expect("listen for SIGINT");
    let c = client(&server, "us-east-1").await;
    create_instance(&c, "victim", 1).await;
    if rds.mariadb_available().is_ok() {
        create_mysql_instance(&c, "victim-mysql", "mysql", 1).await;
    }
    let pids: Vec<String> = rds.server_pids().iter().map(u32::to_string).collect();
    println!(
        "READY {} {} {} {} {}",
        rds.run_dir().display(),
        rds.template_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        rds.mariadb_template_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "-".to_owned()),
        server.env().data_dir.display(),
        pids.join(",")
    );
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    interrupt.recv().await;
    server.stop().await;
    drop(rds);
    println!("CLEAN");
}

fn postgres_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim() == "postgres")
        .unwrap_or(false)
}

/// Whether `pid` is a live PostgreSQL or MariaDB server.
fn server_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| matches!(c.trim(), "postgres" | "mariadbd"))
        .unwrap_or(false)
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
                let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                if cmd.contains(needle) {
                    found.push(format!("{name}: {cmd}"));
                }
            }
        }
    }
    found
}

fn run_child_and_signal(signal: nix::sys::signal::Signal) -> Option<()> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["cleanup_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child test process");
    let stdout = child.stdout.take().unwrap();
    // Whatever happens below, the child does not outlive this test.
    struct KillOnDrop(u32);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.0 as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
    let _guard = KillOnDrop(child.id());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let ready = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the child reports READY in time");
        if line.contains("NOPG") {
            let _ = child.wait();
            return None;
        }
        if let Some((_, rest)) = line.split_once("READY ") {
            break rest.to_owned();
        }
    };
    let parts: Vec<&str> = ready.split(' ').collect();
    let run_dir = PathBuf::from(parts[0]);
    let template_dir = PathBuf::from(parts[1]);
    let maria_template = (parts[2] != "-").then(|| PathBuf::from(parts[2]));
    let data_dir = PathBuf::from(parts[3]);
    let pids: Vec<u32> = parts[4].split(',').filter_map(|p| p.parse().ok()).collect();
    assert_eq!(pids.len(), if maria_template.is_some() { 2 } else { 1 });
    assert!(pids.iter().all(|p| server_alive(*p)));
    assert!(maria_template.as_ref().is_none_or(|d| d.exists()));
    assert!(run_dir.exists());

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    let exit_deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            Instant::now() < exit_deadline,
            "the child did not exit after {signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let gone_deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alive: Vec<u32> = pids.iter().copied().filter(|p| server_alive(*p)).collect();
        let mentioning = processes_mentioning(&run_dir.display().to_string());
        let maria_left = maria_template.as_ref().is_some_and(|d| d.exists());
        if alive.is_empty()
            && mentioning.is_empty()
            && !run_dir.exists()
            && !template_dir.exists()
            && !maria_left
            && !data_dir.exists()
        {
            break;
        }
        assert!(
            Instant::now() < gone_deadline,
            "after {signal}: servers alive {alive:?}, processes {mentioning:?}, run dir exists {}, template exists {}, MariaDB template exists {maria_left}, data dir exists {}",
            run_dir.exists(),
            template_dir.exists(),
            data_dir.exists()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    if signal == nix::sys::signal::Signal::SIGINT {
        // The child has exited; read its output to the end (the reader
        // thread forwards lines as it gets to them, so what is already in
        // the channel may not be all of it).
        let mut rest = Vec::new();
        let eof_deadline = Instant::now() + Duration::from_secs(10);
        while let Ok(line) = rx.recv_timeout(eof_deadline.saturating_duration_since(Instant::now())) {
            rest.push(line);
        }
        assert!(
            rest.iter().any(|l| l.contains("CLEAN")),
            "graceful shutdown on SIGINT: {rest:?}"
        );
        assert!(!run_dir.exists());
    }
    Some(())
}

#[test]
fn sigint_and_sigkill_leave_no_server_or_directory() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    if run_child_and_signal(nix::sys::signal::Signal::SIGINT).is_none() {
        println!("SKIP sigint_and_sigkill_leave_no_server_or_directory: PostgreSQL is not available");
        return;
    }
    run_child_and_signal(nix::sys::signal::Signal::SIGKILL).expect("second run");
}

#[tokio::test]
async fn dropping_the_service_stops_servers_and_removes_files() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let Some((server, rds)) = start("dropping_the_service_stops_servers_and_removes_files").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    create_instance(&c, "dropped", 1).await;
    let pids = rds.server_pids();
    let run_dir = rds.run_dir();
    assert_eq!(pids.len(), 1);
    drop(c);
    drop(server);
    drop(rds);
    // The test server's tasks may hold the service a moment longer; the
    // drop path must finish in bounded time.
    let deadline = Instant::now() + Duration::from_secs(30);
    while (postgres_alive(pids[0]) || run_dir.exists()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!postgres_alive(pids[0]), "server still running after drop");
    assert!(!run_dir.exists(), "run dir left behind after drop");
}
