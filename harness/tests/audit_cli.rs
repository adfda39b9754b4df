//! `firedrill audit` as users run it, through a recording endpoint that
//! refuses every mutating call: `--target aws` (the default credential
//! chain, no allowlist) and `--target endpoint` read a `firedrill serve`
//! through it, `--fail-on` sets the exit code, `--peak-hours` finds the
//! backup windows inside them, and the SARIF it prints is valid against
//! OASIS's SARIF 2.1.0 JSON schema (`tests/data/sarif-schema-2.1.0.json`,
//! checked with Python's `jsonschema` where it is installed). `--drill` on
//! `backup_hope` plays each finding's scenario and measures its loss.
//! The endpoint classifies requests by protocol on the wire (Query
//! `Action=`, JSON `X-Amz-Target`, REST methods), independently of the
//! audit's own guard, and answers STS `GetCallerIdentity` itself (the
//! emulator has no STS). Skipped where PostgreSQL is not installed.

mod support;

use firedrill::audit::command::{FINDINGS_EXIT_CODE, provision_seed};
use firedrill::stack::EndpointTarget;
use parking_lot::Mutex;
use std::process::{Command, Output};
use std::sync::Arc;
use support::serve::Serve;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[path = "support/drills.rs"]
#[allow(dead_code)]
mod drills;

/// What the recording endpoint saw.
#[derive(Default)]
struct Seen {
    /// Every operation let through.
    reads: Vec<String>,
    /// Every operation refused.
    refused: Vec<String>,
}

/// A recording, refusing proxy in front of `upstream`; returns its URL.
async fn recording_endpoint(upstream: String, seen: Arc<Mutex<Seen>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (upstream, seen) = (upstream.clone(), seen.clone());
            tokio::spawn(async move {
                let _ = serve_one(socket, &upstream, &seen).await;
            });
        }
    });
    url
}

/// The operation a request names, and whether it only reads.
fn classify(method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> (String, bool) {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let form = String::from_utf8_lossy(body);
    let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
    let action = form
        .split('&')
        .chain(query.split('&'))
        .find_map(|kv| kv.strip_prefix("Action="));
    let reads = |op: &str| ["Describe", "List", "Get"].iter().any(|p| op.starts_with(p));
    if let Some(op) = action {
        return (op.to_owned(), reads(op));
    }
    if let Some(target) = header("x-amz-target") {
        let op = target.rsplit('.').next().unwrap_or(target);
        return (op.to_owned(), reads(op));
    }
    let op = format!("{method} {}", path.split('?').next().unwrap_or(path));
    (op, method == "GET" || method == "HEAD")
}

async fn serve_one(mut client: TcpStream, upstream: &str, seen: &Mutex<Seen>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, path) = (
        first.next().unwrap_or("").to_owned(),
        first.next().unwrap_or("").to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 8192];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let (op, reads) = classify(&method, &path, &headers, &body);
    if !reads || chunked {
        seen.lock().refused.push(op);
        let body =
            r#"{"__type":"AccessDeniedException","message":"this endpoint refuses every mutating call"}"#;
        let reply = format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-ErrorType: AccessDeniedException\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(reply.as_bytes()).await?;
        return client.shutdown().await;
    }
    seen.lock().reads.push(op.clone());
    if op == "GetCallerIdentity" {
        let body = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:user/auditor</Arn><UserId>AIDAAUDITOR</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>";
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(reply.as_bytes()).await?;
        return client.shutdown().await;
    }
    // Forward one request per connection: `Connection: close` both ways, so
    // the response ends where the upstream closes.
    let mut forwarded = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        if !k.eq_ignore_ascii_case("connection") {
            forwarded.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(forwarded.as_bytes()).await?;
    up.write_all(&body).await?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).await?;
    client.write_all(&response).await?;
    client.shutdown().await
}

/// `firedrill audit ARGS` with the default credential chain pointed at `endpoint`.
async fn firedrill_audit(endpoint: &str, args: &[&str]) -> Output {
    let (endpoint, args): (String, Vec<String>) = (
        endpoint.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect(),
    );
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .arg("audit")
            .args(&args)
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIDAUDITOR")
            .env("AWS_SECRET_ACCESS_KEY", "audit-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent/firedrill-audit-config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/firedrill-audit-credentials",
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("FIREDRILL_AWS_ACCOUNT_ALLOWLIST")
            .output()
            .expect("run firedrill audit")
    })
    .await
    .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A `firedrill serve` with the shop provisioned under `policy`.
async fn served(policy: &str) -> Serve {
    let serve = Serve::start(&[]);
    let target = EndpointTarget::connect(&serve.endpoint, "us-east-1", Some("us-west-2"))
        .await
        .unwrap();
    provision_seed(&target, policy, "shop").await.unwrap();
    serve
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_target_reads_through_an_endpoint_that_refuses_every_mutation() {
    if !drills::postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the shop needs RDS)");
        return;
    }
    let (hope, four) = tokio::join!(served("backup_hope"), served("four_layer"));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let hope_url = recording_endpoint(hope.endpoint.clone(), seen.clone()).await;
    let four_url = recording_endpoint(four.endpoint.clone(), seen.clone()).await;

    // The endpoint itself refuses a mutation, so an empty refusal list means
    // the audit sent none.
    let probe = firedrill::stack::EndpointTarget::connect(&hope_url, "us-east-1", None)
        .await
        .unwrap();
    let clients = firedrill::target::Clients::primary(&probe);
    assert!(
        clients
            .backup
            .create_backup_vault()
            .backup_vault_name("probe")
            .send()
            .await
            .is_err()
    );
    assert_eq!(seen.lock().refused, ["PUT /backup-vaults/probe"]);
    seen.lock().refused.clear();

    let regions = "--region=us-east-1,us-west-2";
    let out = firedrill_audit(&hope_url, &["--target", "aws", regions, "--fail-on", "high"]).await;
    assert_eq!(
        out.status.code(),
        Some(i32::from(FINDINGS_EXIT_CODE)),
        "{}",
        show(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("firedrill audit of aws (account 000000000000)")
            && stdout.contains("dynamodb_tables_pitr_enabled")
            && stdout.contains("rds_instance_backup_enabled"),
        "{}",
        show(&out)
    );

    let out = firedrill_audit(&hope_url, &["--target", "aws", regions, "--sarif"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    match schema_errors(&out.stdout) {
        Some(errors) => assert!(errors.is_empty(), "the SARIF log breaks the schema:\n{errors}"),
        None => println!("SKIPPED the schema check: Python's jsonschema is not installed"),
    }
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "s3_bucket_object_versioning" && r["level"] == "error")
    );

    let out = firedrill_audit(&four_url, &["--target", "aws", regions, "--fail-on", "high"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = firedrill_audit(
        &four_url,
        &[
            "--target",
            "endpoint",
            "--endpoint",
            &four_url,
            "--json",
            "--fail-on",
            "medium",
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(i32::from(FINDINGS_EXIT_CODE)),
        "{}",
        show(&out)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["target"], "endpoint");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "high")
    );

    // --peak-hours: the 03:00-04:00 RDS window and the daily and weekly
    // rules at 03:00 fall in 02:30-03:30; nothing falls in the evening; a
    // window that is not one stops the audit before it reads anything.
    let peak = |hours: &'static str| {
        let url = four_url.clone();
        async move {
            firedrill_audit(
                &url,
                &[
                    "--target",
                    "endpoint",
                    "--endpoint",
                    &url,
                    "--json",
                    "--peak-hours",
                    hours,
                ],
            )
            .await
        }
    };
    let windows = |out: &Output| -> Vec<String> {
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check"] == "backup_window_overlaps_peak_hours")
            .map(|f| f["evidence"].as_str().unwrap().to_owned())
            .collect()
    };
    let out = peak("02:30-03:30").await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let found = windows(&out);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found
            .iter()
            .any(|e| e.ends_with("PreferredBackupWindow 03:00-04:00 overlaps peak hours 02:30-03:30")),
        "{found:?}"
    );
    assert!(
        found.iter().filter(|e| e.contains("runs at 03:00")).count() == 2,
        "{found:?}"
    );
    let out = peak("18:00-22:00").await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(windows(&out).is_empty(), "{}", show(&out));
    let before = seen.lock().reads.len();
    let out = peak("25:00-26:00").await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--peak-hours \"25:00-26:00\""),
        "{}",
        show(&out)
    );
    assert_eq!(seen.lock().reads.len(), before, "nothing read for a bad window");

    let seen = seen.lock();
    assert!(
        seen.refused.is_empty(),
        "mutating calls reached the endpoint: {:?}",
        seen.refused
    );
    for op in [
        "GetCallerIdentity",
        "DescribeDBInstances",
        "DescribeContinuousBackups",
        "ListTables",
        "GET /backup/plans/",
        "GET /shop-templates",
    ] {
        assert!(
            seen.reads.iter().any(|r| r.starts_with(op)),
            "{op} never read: {:?}",
            seen.reads
        );
    }
    drop(seen);
    drop((hope, four));
}

/// The SARIF 2.1.0 JSON schema, as OASIS publishes it.
const SARIF_SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sarif-schema-2.1.0.json");

/// Where `log` breaks the SARIF 2.1.0 schema, one line per error (empty:
/// valid); `None` where Python's `jsonschema` is not installed.
fn schema_errors(log: &[u8]) -> Option<String> {
    let installed = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return None;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("audit.sarif");
    std::fs::write(&file, log).expect("write the log");
    let script = "import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
validator = jsonschema.validators.validator_for(schema)(schema)
for e in sorted(validator.iter_errors(log), key=lambda e: list(map(str, e.absolute_path))):
    print('/'.join(map(str, e.absolute_path)) + ': ' + e.message)
";
    let out = Command::new("python3")
        .args(["-c", script, SARIF_SCHEMA])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the schema check could not run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn the_sarif_schema_check_refuses_a_broken_log() {
    let report = firedrill::audit::AuditReport {
        target: "embedded".into(),
        account: None,
        inventory: firedrill::audit::Inventory {
            taken_at: chrono::Utc::now(),
            regions: vec![],
        },
        findings: vec![firedrill::audit::Finding {
            check: "dynamodb_tables_pitr_enabled".into(),
            severity: firedrill::audit::Severity::High,
            region: "us-east-1".into(),
            resource: "shop-carts".into(),
            arn: Some("arn:aws:dynamodb:us-east-1:000000000000:table/shop-carts".into()),
            layer: Some("carts".into()),
            evidence: "shop-carts: PointInTimeRecoveryStatus is DISABLED".into(),
            fix: "Enable PITR.".into(),
        }],
        rpo: vec![],
        calls: vec![],
    };
    let log = report.to_sarif();
    let Some(errors) = schema_errors(&serde_json::to_vec(&log).unwrap()) else {
        println!("SKIPPED: Python's jsonschema is not installed");
        return;
    };
    assert!(errors.is_empty(), "{errors}");
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    broken["runs"][0]["tool"]["driver"]["rules"][0]["unknownMember"] = true.into();
    let errors = schema_errors(&serde_json::to_vec(&broken).unwrap()).unwrap();
    assert!(
        errors.contains("runs/0/results/0/level: 'fatal' is not one of"),
        "{errors}"
    );
    assert!(errors.contains("unknownMember"), "{errors}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_on_backup_hope_measures_what_each_finding_costs() {
    if !drills::postgres_installed() {
        println!("SKIPPED: PostgreSQL server binaries are not installed (the shop needs RDS)");
        return;
    }
    let out = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args([
                "audit",
                "--target",
                "embedded",
                "--policy",
                "backup_hope",
                "--drill",
                "--json",
            ])
            .env("FIREDRILL_LOG", "warn")
            .output()
            .expect("run firedrill audit --drill")
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let drills = &json["drills"];
    assert_eq!(drills["mirror"]["policy"]["name"], "audited-shop");
    assert_eq!(drills["mirror"]["policy"]["rds"]["retention_days"], 0);
    let consequences = drills["consequences"].as_array().expect("consequences");
    let played: Vec<&str> = consequences
        .iter()
        .map(|c| c["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(
        played,
        [
            "junior-dev-cart-batch-delete",
            "invoice-bucket-mass-delete-and-ransomware",
            "flash-sale-corrupted-orders",
            "us-east-1-outage-during-sale",
        ]
    );
    let findings: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    for c in consequences {
        let checks = c["checks"].as_array().unwrap();
        assert!(
            !checks.is_empty() && checks.iter().all(|k| findings.contains(&k.as_str().unwrap())),
            "each drill answers findings of the audit: {c}"
        );
        assert_ne!(c["verdict"], "valid", "{}", c["report"]);
    }
    // The three in-region failures cost measured data: carts and invoices
    // lost, orders left corrupted (no backup to restore them from).
    for (scenario, lost) in [
        ("junior-dev-cart-batch-delete", "records_lost"),
        ("invoice-bucket-mass-delete-and-ransomware", "records_lost"),
        ("flash-sale-corrupted-orders", "corrupted"),
    ] {
        let c = consequences.iter().find(|c| c["scenario"] == scenario).unwrap();
        assert!(c[lost].as_u64().unwrap() > 0, "{scenario}: {}", c["report"]);
    }
    // The outage: us-east-1 is dark and nothing was copied to us-west-2, so
    // the failover finds no copy, the layers read back from us-west-2 are
    // not there, and everything acknowledged is lost: a loss, measured (its
    // records, its RPO, the RTO of a failover that restored nothing), never
    // an unknown.
    let outage = consequences
        .iter()
        .find(|c| c["scenario"] == "us-east-1-outage-during-sale")
        .unwrap();
    let report = &outage["report"];
    assert_eq!(
        outage["checks"],
        serde_json::json!(["no_cross_region_copy"]),
        "{report}"
    );
    assert_eq!(outage["verdict"], "invalid", "{report}");
    assert!(outage["records_lost"].as_u64().unwrap() > 0, "{report}");
    assert!(outage["rpo_seconds"].as_f64().unwrap() > 0.0, "{report}");
    assert!(
        outage["rto_seconds"].as_f64().is_some_and(|r| r > 0.0),
        "{report}"
    );
    let text = report.as_str().unwrap();
    assert!(!text.contains("unknown"), "{text}");
    // Every layer is missing from us-west-2, none merely unreadable.
    for layer in ["rds", "dynamodb", "s3"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(layer)
                && l.contains("invalid")
                && l.contains("0 correct")),
            "{layer}: {text}"
        );
    }
}
