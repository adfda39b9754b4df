//! `cargo xtask up --target containers` and its `down`: LocalStack and
//! PostgreSQL through `compose/docker-compose.yml`, seeded through
//! `firedrill seed --endpoint`.
//!
//! It first asks `docker info` whether an engine answers, and stops with one
//! line when none does. Then `docker compose up -d`, a wait for LocalStack's
//! health endpoint to list DynamoDB and S3 as available and for `pg_isready`
//! in the PostgreSQL container, and the seed. `down` is `docker compose down`
//! (the volumes are kept; `docker compose -f compose/docker-compose.yml down
//! -v` removes them too). The standard library's TCP stream is the HTTP
//! client: xtask has no dependencies.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// LocalStack's edge endpoint as the compose file publishes it.
pub const ENDPOINT: &str = "http://127.0.0.1:4566";
const EDGE: &str = "127.0.0.1:4566";
/// How long the containers get to become healthy once started.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

fn compose_file(root: &Path) -> PathBuf {
    root.join("compose").join("docker-compose.yml")
}

fn compose(root: &Path) -> Command {
    let mut cmd = Command::new("docker");
    cmd.current_dir(root)
        .arg("compose")
        .arg("-f")
        .arg(compose_file(root));
    cmd
}

/// The one line said when no Docker engine answers, from what `docker info`
/// printed (or why it could not run).
pub fn engine_unreachable(detail: &str) -> String {
    let detail = detail
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("docker info failed");
    format!(
        "Docker engine not reachable: {detail} (cargo xtask up without --target uses the embedded emulator)"
    )
}

/// Fails with [`engine_unreachable`]'s line unless `docker info` succeeds.
pub fn check_engine() -> crate::Result {
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdin(Stdio::null())
        .output()
    {
        Err(e) => Err(engine_unreachable(&format!("could not run docker: {e}"))),
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => {
            // The client prints its own version, then the server error, on stderr.
            let stderr = String::from_utf8_lossy(&out.stderr);
            let line = stderr
                .lines()
                .find(|l| l.contains("Cannot connect") || l.contains("error") || l.contains("ERROR"))
                .unwrap_or(&stderr);
            Err(engine_unreachable(line))
        }
    }
}

/// Whether LocalStack's health document lists DynamoDB and S3 as usable
/// (`available` before first use, `running` after).
pub fn localstack_healthy(body: &str) -> bool {
    ["dynamodb", "s3"].iter().all(|service| {
        ["available", "running"].iter().any(|state| {
            body.contains(&format!("\"{service}\": \"{state}\""))
                || body.contains(&format!("\"{service}\":\"{state}\""))
        })
    })
}

/// `GET path` on the edge port; the body when the status is 200.
fn http_get(path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&EDGE.parse().ok()?, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {EDGE}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    (head.starts_with("HTTP/1.") && head.split_whitespace().nth(1) == Some("200")).then(|| body.to_owned())
}

fn postgres_ready(root: &Path) -> bool {
    compose(root)
        .args([
            "exec",
            "-T",
            "postgres",
            "pg_isready",
            "-U",
            "shop",
            "-d",
            "store",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) -> crate::Result {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    Err(format!(
        "{what} was not ready within {} s; see `docker compose -f compose/docker-compose.yml logs`",
        READY_TIMEOUT.as_secs()
    ))
}

/// Starts the compose stack, waits for it and seeds the store (the caller
/// has checked the engine).
pub fn up(root: &Path, firedrill: &Path) -> crate::Result {
    let mut start = compose(root);
    start.args(["up", "-d"]);
    crate::run(start)?;
    wait_until("LocalStack (DynamoDB and S3)", || {
        http_get("/_localstack/health").is_some_and(|b| localstack_healthy(&b))
    })?;
    wait_until("PostgreSQL", || postgres_ready(root))?;
    let mut seed = Command::new(firedrill);
    seed.args(["seed", "--endpoint", ENDPOINT]);
    crate::run(seed).map_err(|e| {
        format!("the containers are up, but seeding failed: {e} (stop them with `cargo xtask down --target containers`)")
    })?;
    println!("LocalStack and PostgreSQL are up (compose/docker-compose.yml).");
    println!("export AWS_ENDPOINT_URL={ENDPOINT}");
    println!("export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1");
    println!("orders database: postgres://shop:firedrill-shop@127.0.0.1:5432/store");
    println!("Stop them with `cargo xtask down --target containers`.");
    Ok(())
}

/// Stops the compose stack (its volumes are kept).
pub fn down(root: &Path) -> crate::Result {
    check_engine()?;
    let mut stop = compose(root);
    stop.arg("down");
    crate::run(stop)?;
    println!(
        "stopped the containers (volumes kept; `docker compose -f compose/docker-compose.yml down -v` removes them)"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unreachable_engine_line_names_the_cause_and_the_way_out() {
        let line = engine_unreachable(
            "\nCannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
        );
        assert_eq!(
            line,
            "Docker engine not reachable: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running? (cargo xtask up without --target uses the embedded emulator)"
        );
        assert!(!line.contains('\n'));
        assert!(engine_unreachable("").contains("docker info failed"));
    }

    #[test]
    fn localstack_is_healthy_when_dynamodb_and_s3_are_usable() {
        let starting =
            r#"{"services": {"dynamodb": "available", "s3": "initializing"}, "edition": "community"}"#;
        assert!(!localstack_healthy(starting));
        let ready = r#"{"services": {"dynamodb": "running", "s3": "available", "sqs": "disabled"}}"#;
        assert!(localstack_healthy(ready));
        assert!(localstack_healthy(
            r#"{"services":{"dynamodb":"available","s3":"running"}}"#
        ));
        assert!(!localstack_healthy(r#"{"services": {"s3": "running"}}"#));
    }

    #[test]
    fn compose_runs_the_shipped_file_from_the_workspace() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert!(
            compose_file(root).is_file(),
            "compose/docker-compose.yml is shipped"
        );
        let cmd = compose(root);
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args[..2], ["compose", "-f"]);
        assert!(args[2].ends_with("compose/docker-compose.yml"));
    }
}
