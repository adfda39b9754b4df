//! The containers target: LocalStack + PostgreSQL through testcontainers.
//! These tests need a Docker engine; where none answers they print
//! "SKIPPED: no Docker engine" and return. Without an engine,
//! `ContainersTarget::start` must fail fast with one line.

use firedrill::Target;
use firedrill::matrix::{Outcome, ProbeId};
use firedrill::stack::{ContainersOptions, ContainersTarget, docker_available};
use std::time::{Duration, Instant};

async fn docker_or_skip(test: &str) -> bool {
    match docker_available(Duration::from_secs(3)).await {
        Ok(()) => true,
        Err(e) => {
            println!("SKIPPED: no Docker engine ({test}: {e})");
            false
        }
    }
}

#[tokio::test]
async fn without_docker_start_fails_fast_with_one_line() {
    if docker_available(Duration::from_secs(3)).await.is_ok() {
        println!("a Docker engine answers here: the no-engine error is not exercised");
        return;
    }
    let started = Instant::now();
    let err = ContainersTarget::start(ContainersOptions::default())
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(msg.starts_with("no Docker engine"), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
}

#[tokio::test]
async fn localstack_and_postgres_pitr_through_the_harness() {
    if !docker_or_skip("localstack_and_postgres_pitr_through_the_harness").await {
        return;
    }
    let target = ContainersTarget::start(ContainersOptions::default())
        .await
        .expect("containers start");
    assert_eq!(target.name(), "containers");
    let caps = target.capabilities();
    assert!(caps.rds_pitr && !caps.aws_backup && !caps.regions && !caps.simulated_clock);

    // DynamoDB and S3 answer on LocalStack.
    let clients = firedrill::Clients::primary(&target);
    clients
        .s3
        .create_bucket()
        .bucket("firedrill-containers-smoke")
        .send()
        .await
        .expect("S3 on LocalStack");
    clients
        .dynamodb
        .list_tables()
        .send()
        .await
        .expect("DynamoDB on LocalStack");

    // The harness's PostgreSQL PITR brings back the state at T.
    let pitr = target.probe_pitr().await;
    println!("{:?}: {:?}\n{:#?}", pitr.probe, pitr.outcome, pitr.details);
    assert_eq!(pitr.outcome, Outcome::Honoured);

    let report = target.run_matrix().await;
    println!("{}", report.to_table());
    assert_eq!(report.outcome(ProbeId::RdsPitrToT), Some(&Outcome::Honoured));
    assert!(matches!(
        report.outcome(ProbeId::CrossRegionCopies),
        Some(Outcome::Unsupported(_))
    ));
    target.shutdown().await;
}
