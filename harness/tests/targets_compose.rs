//! compose/docker-compose.yml is the containers target for compose users:
//! parsed here and checked for the images, ports and WAL settings the
//! harness's own PostgreSQL PITR relies on; `docker compose config` also
//! validates it where a Docker engine answers.

use std::path::PathBuf;
use yaml_rust2::{Yaml, YamlLoader};

fn compose_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compose/docker-compose.yml")
}

fn load() -> Yaml {
    let text = std::fs::read_to_string(compose_path()).expect("compose/docker-compose.yml exists");
    let mut docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

fn strings(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Yaml::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[test]
fn localstack_serves_dynamodb_and_s3_on_4566() {
    let doc = load();
    let ls = &doc["services"]["localstack"];
    assert_eq!(
        ls["image"].as_str(),
        Some(
            format!(
                "localstack/localstack:{}",
                firedrill::stack::DEFAULT_LOCALSTACK_TAG
            )
            .as_str()
        )
    );
    assert_eq!(ls["image"].as_str(), Some("localstack/localstack:4.14.0"));
    let ports = strings(&ls["ports"]);
    assert!(ports.iter().any(|p| p.ends_with("4566:4566")), "{ports:?}");
    let services = ls["environment"]["SERVICES"].as_str().expect("SERVICES is set");
    let mut services: Vec<&str> = services.split(',').map(str::trim).collect();
    services.sort_unstable();
    assert_eq!(services, ["dynamodb", "s3"]);
    assert!(
        ls["environment"]["LOCALSTACK_AUTH_TOKEN"]
            .as_str()
            .is_some_and(|v| v.contains("LOCALSTACK_AUTH_TOKEN")),
        "the auth token is passed through"
    );
}

#[test]
fn postgres_archives_its_wal_to_a_named_volume() {
    let doc = load();
    let pg = &doc["services"]["postgres"];
    assert_eq!(pg["image"].as_str(), Some("postgres:15"));
    let ports = strings(&pg["ports"]);
    assert!(ports.iter().any(|p| p.ends_with("5432:5432")), "{ports:?}");
    let command = strings(&pg["command"]).join(" ");
    for setting in ["wal_level=replica", "archive_mode=on"] {
        assert!(
            command.contains(&format!("-c {setting}")),
            "{setting} missing from {command}"
        );
    }
    let archive = command
        .split("archive_command=")
        .nth(1)
        .expect("an archive_command is set");
    assert!(archive.contains("cp %p /wal-archive/%f"), "{archive}");
    let volumes = strings(&pg["volumes"]);
    assert!(
        volumes.iter().any(|v| v == "wal-archive:/wal-archive"),
        "{volumes:?}"
    );
    assert!(
        !doc["volumes"]["wal-archive"].is_badvalue(),
        "wal-archive is a named volume declared at the top level"
    );
    assert_eq!(firedrill::stack::WAL_ARCHIVE_DIR, "/wal-archive");
}

#[test]
fn docker_compose_config_accepts_it_where_docker_runs() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Err(e) = rt.block_on(firedrill::stack::docker_available(
        std::time::Duration::from_secs(3),
    )) {
        println!("SKIPPED: no Docker engine ({e}); the YAML checks above still ran");
        return;
    }
    let out = std::process::Command::new("docker")
        .args(["compose", "-f"])
        .arg(compose_path())
        .args(["config", "--quiet"])
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker compose config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
