//! Proof that no Redis server or directory outlives the emulator: a child
//! process (this test binary re-run as `cleanup_child`) starts a cluster
//! and takes a snapshot, and is then killed with SIGKILL; the janitor stops
//! the server and removes the run directory and the emulator's data
//! directory. Also: dropping the service cleans up synchronously.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FIREDRILL_ELASTICACHE_CLEANUP_CHILD";

fn redis_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim() == "redis-server")
        .unwrap_or(false)
}

/// The child side: only acts when re-run by the parent test.
#[tokio::test]
async fn cleanup_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let Some((server, service)) = start("cleanup_child").await else {
        println!("NOREDIS");
        return;
    };
    let c = client(&server, "us-east-1").await;
    let cluster = create_cluster(&c, "victim").await;
    fill(&mut redis_of(&cluster), "k", 10);
    c.create_snapshot()
        .cache_cluster_id("victim")
        .snapshot_name("kept")
        .send()
        .await
        .unwrap();
    wait_snapshot(&c, "kept", "available").await;
    let pids: Vec<String> = service.server_pids().iter().map(u32::to_string).collect();
    println!(
        "READY {} {} {}",
        service.run_dir().display(),
        server.env().data_dir.display(),
        pids.join(",")
    );
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[test]
fn sigkill_leaves_no_server_or_directory() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let stderr_path =
        std::env::temp_dir().join(format!("firedrill-ec-cleanup-{}.stderr", std::process::id()));
    let stderr_file = std::fs::File::create(&stderr_path).unwrap();
    let mut child = Command::new(exe)
        .args(["cleanup_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(stderr_file)
        .spawn()
        .expect("spawn the child test process");
    let stdout = child.stdout.take().unwrap();
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
            .unwrap_or_else(|e| {
                let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                let _ = std::fs::remove_file(&stderr_path);
                panic!("the child did not report READY ({e}): {stderr}")
            });
        if line.contains("NOREDIS") {
            let _ = child.wait();
            println!("SKIP sigkill_leaves_no_server_or_directory: redis-server is not available");
            return;
        }
        if let Some((_, rest)) = line.split_once("READY ") {
            break rest.to_owned();
        }
    };
    let parts: Vec<&str> = ready.split(' ').collect();
    let run_dir = PathBuf::from(parts[0]);
    let data_dir = PathBuf::from(parts[1]);
    let pids: Vec<u32> = parts[2].split(',').filter_map(|p| p.parse().ok()).collect();
    assert_eq!(pids.len(), 1);
    assert!(redis_alive(pids[0]));
    assert!(
        run_dir.join("snapshots").read_dir().unwrap().next().is_some(),
        "a snapshot file exists"
    );

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = child.wait();
    let gone_deadline = Instant::now() + Duration::from_secs(30);
    while redis_alive(pids[0]) || run_dir.exists() || data_dir.exists() {
        assert!(
            Instant::now() < gone_deadline,
            "after SIGKILL: redis alive {}, run dir exists {}, data dir exists {}",
            redis_alive(pids[0]),
            run_dir.exists(),
            data_dir.exists()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_file(&stderr_path);
}

#[tokio::test]
async fn dropping_the_service_stops_servers_and_removes_files() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let Some((server, service)) = start("dropping_the_service_stops_servers_and_removes_files").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    create_cluster(&c, "dropped").await;
    let pids = service.server_pids();
    let run_dir = service.run_dir();
    assert_eq!(pids.len(), 1);
    drop(c);
    drop(server);
    drop(service);
    let deadline = Instant::now() + Duration::from_secs(30);
    while (redis_alive(pids[0]) || run_dir.exists()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!redis_alive(pids[0]), "server still running after drop");
    assert!(!run_dir.exists(), "run dir left behind after drop");
}
