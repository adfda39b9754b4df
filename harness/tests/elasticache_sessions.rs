//! The session store in ElastiCache, end to end on the embedded emulator
//! (real `redis-server` processes): the two shipped stories.
//!
//! A bad deploy's `FLUSHALL` restored from the morning's automatic
//! snapshot: the writes since that snapshot are lost, reported as the loss
//! the scenario accepts, and nothing else is. An RDS-only backup plan: the
//! orders come back, every session and cart stays gone, and the report says
//! the ElastiCache layer is the one lost. The team's own hourly cron
//! snapshots instead of ElastiCache's: the flush loses the minutes since the
//! last one. And a region outage: the session store seeded in the other
//! region from the team's hourly RDB export copied there.

#[path = "support/drills.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod drills;
#[path = "support/redis.rs"]
mod redis_support;

use firedrill::checker::{AnomalyKind, Verdict};
use firedrill::history::{Collection, EventKind, Layer};
use firedrill::report::{count, layer};

/// Whether this machine can play the stories: PostgreSQL for the orders,
/// `redis-server` for the session store.
fn prerequisites() -> bool {
    if !drills::postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL server binaries are not installed (the store has an RDS layer)");
        return false;
    }
    let redis = redis_support::redis_installed();
    if !redis {
        eprintln!("SKIPPED: redis-server is not installed (the session store is ElastiCache)");
    }
    redis
}

/// Whether the team's scripts can run: python3 with boto3.
fn boto3_installed() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: python3 with boto3 is not installed (the team's scripts are boto3)");
    }
    ok
}

/// Minutes between two instants.
fn minutes(d: chrono::Duration) -> f64 {
    d.num_seconds() as f64 / 60.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flushed_session_store_comes_back_from_its_snapshot_with_the_expected_loss() {
    if !prerequisites() {
        return;
    }
    let r = drills::play("session-store-flushed-by-bad-deploy.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    // Acknowledged writes are gone, so the verdict stays invalid...
    assert_eq!(r.check.verdict, Verdict::Invalid, "{text}");
    assert!(!r.check.recovered(), "{text}");
    // ...but only on the session store, as the accepted loss.
    for l in [Layer::Rds, Layer::S3] {
        assert_eq!(
            layer(&r, l).expect("judged").verdict,
            Verdict::Valid,
            "{l}: {text}"
        );
    }
    let ec = layer(&r, Layer::Elasticache).expect("the ElastiCache layer is judged");
    assert!(ec.lost_writes > 0, "{text}");
    assert!(ec.census.correct > 0, "the snapshot brought keys back: {text}");
    let loss = r.expected_loss().expect("an expected loss");
    assert_eq!(loss.layer, Layer::Elasticache);
    assert!(loss.within);
    assert_eq!(loss.writes_lost, ec.lost_writes);
    // The loss window is the writes since the snapshot: the automatic one
    // of the 05:00-06:00 window, taken shortly after 05:00, forty minutes
    // before the 05:40 flush.
    assert!(
        (30.0 * 60.0..=40.0 * 60.0).contains(&loss.window_seconds),
        "window {} s: {text}",
        loss.window_seconds
    );
    let earliest = ec.rpo.earliest_lost.expect("a lost write");
    assert!(
        earliest.format("%H:%M").to_string().as_str() >= "05:00",
        "nothing before the snapshot is lost: {earliest} {text}"
    );
    assert!(text.contains("no PITR on ElastiCache"), "{text}");
    assert!(r.headline().contains("expected loss on elasticache"), "{text}");
    // The runbook restored the newest snapshot into a new group.
    let run = r.recovery.as_ref().expect("a recovery");
    let found = &run.checklist[0];
    assert!(found.detail.starts_with("automatic."), "{found:?}");
    assert!(
        run.checklist
            .iter()
            .any(|s| s.detail.contains("CreateReplicationGroup") && s.detail.contains("SnapshotName")),
        "{text}"
    );
    // Orders placed after the snapshot point at carts and sessions that are
    // gone: orphans, excused because they point into the accepted loss.
    assert!(count(&r, AnomalyKind::OrderWithoutCart) > 0, "{text}");
    // No key came back without its TTL.
    assert_eq!(count(&r, AnomalyKind::TtlLost), 0, "{text}");
    assert!(
        r.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::FaultStruck { fault, .. } if fault == "flush_sessions")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rds_only_plan_brings_the_orders_back_and_loses_every_session_and_cart() {
    if !prerequisites() {
        return;
    }
    let r = drills::play("rds-only-plan-skips-session-store.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    assert_eq!(r.check.verdict, Verdict::Invalid, "{text}");
    let rds = layer(&r, Layer::Rds).expect("judged");
    assert_eq!(rds.verdict, Verdict::Valid, "the orders are back: {text}");
    assert!(rds.census.correct > 0, "{text}");
    let ec = layer(&r, Layer::Elasticache).expect("the ElastiCache layer is judged");
    assert_eq!(ec.verdict, Verdict::Invalid, "{text}");
    assert!(ec.records_expected > 0, "{text}");
    assert_eq!(ec.census.correct, 0, "every session and cart is gone: {text}");
    assert_eq!(ec.census.missing, ec.records_expected, "{text}");
    let lost: Vec<Collection> = ec.anomalies.iter().map(|a| a.key.collection).collect();
    assert!(lost.contains(&Collection::CacheSessions) && lost.contains(&Collection::CacheCarts));
    // All the loss is the session layer's.
    assert_eq!(r.check.rpo.records_lost, ec.rpo.records_lost, "{text}");
    assert!(count(&r, AnomalyKind::OrderWithoutSession) > 0, "{text}");
    assert!(r.expected_loss().is_none(), "nothing accepts this loss: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teams_hourly_cron_snapshot_bounds_the_loss_of_a_flush() {
    if !prerequisites() || !boto3_installed() {
        return;
    }
    let r = drills::play("session-store-hourly-snapshots-by-team-cron.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    // The drill ran the team's cron at 15:00 on the emulator clock, and it
    // succeeded.
    let cron: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Backup { detail } if detail.contains("the team's cron") => Some((e.at, detail)),
            _ => None,
        })
        .collect();
    assert_eq!(cron.len(), 1, "one run in 14:50-15:47: {cron:?}");
    assert_eq!(cron[0].0.format("%H:%M").to_string(), "15:00", "{cron:?}");
    assert!(!cron[0].1.contains("FAILED"), "{cron:?}");
    // The restore took the team's manual snapshot (ElastiCache's automatic
    // ones are off under backup_hope).
    let run = r.recovery.as_ref().expect("a recovery");
    let found = &run.checklist[0];
    assert!(
        found.detail.contains("-hourly-") && found.detail.contains("manual"),
        "{found:?}"
    );
    let ec = layer(&r, Layer::Elasticache).expect("the ElastiCache layer is judged");
    assert!(ec.census.correct > 0, "the snapshot brought keys back: {text}");
    assert!(ec.lost_writes > 0, "{text}");
    let loss = r.expected_loss().expect("an expected loss");
    assert_eq!(loss.layer, Layer::Elasticache);
    assert!(loss.within, "{text}");
    // The window is the writes since 15:00: up to 47 minutes.
    assert!(
        (40.0 * 60.0..=47.0 * 60.0).contains(&loss.window_seconds),
        "window {} s: {text}",
        loss.window_seconds
    );
    let earliest = ec.rpo.earliest_lost.expect("a lost write");
    assert!(
        earliest.format("%H:%M").to_string().as_str() >= "15:00",
        "nothing before the cron's snapshot is lost: {earliest} {text}"
    );
    for l in [Layer::Rds, Layer::S3] {
        assert_eq!(
            layer(&r, l).expect("judged").verdict,
            Verdict::Valid,
            "{l}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dark_regions_session_store_is_seeded_elsewhere_from_the_teams_exports() {
    if !prerequisites() || !boto3_installed() {
        return;
    }
    let r = drills::play("us-east-1-outage-session-store-from-s3-exports.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "{text}");
    let run = r.recovery.as_ref().expect("a recovery");
    // region_failover says plainly that AWS Backup does not carry the cache...
    assert!(
        run.checklist
            .iter()
            .any(|s| s.detail.contains("AWS Backup does not copy ElastiCache")),
        "{text}"
    );
    // ...and the team's runbook re-pointed it at a group in us-west-2.
    let last = run.checklist.last().expect("a step");
    assert!(
        last.detail.contains("re-pointed cache_replication_group ->") && last.detail.contains("-dr"),
        "{last:?}"
    );
    let ec = layer(&r, Layer::Elasticache).expect("the ElastiCache layer is judged");
    assert!(
        ec.census.correct > 0,
        "the export brought keys back in us-west-2: {text}"
    );
    assert!(
        ec.lost_writes > 0,
        "writes after the 15:00 export are lost: {text}"
    );
    let earliest = ec.rpo.earliest_lost.expect("a lost write");
    assert!(
        earliest.format("%H:%M").to_string().as_str() >= "15:00",
        "nothing before the export is lost: {earliest} {text}"
    );
    let fault = r
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::FaultStruck { .. }))
        .expect("the outage struck");
    assert!(
        minutes(fault.at - earliest) <= 47.5,
        "the cache loses at most the minutes since the export: {earliest} {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dark_regions_session_store_without_an_export_is_lost_not_unknown() {
    if !prerequisites() {
        return;
    }
    let r = drills::play("us-east-1-outage-session-store-left-behind.toml").await;
    let text = r.to_text();
    assert!(r.passed(), "the expected data loss: {text}");
    assert_eq!(r.check.verdict, Verdict::Invalid, "lost, not unknown: {text}");
    assert!(r.check.unknown.is_empty(), "{:?}", r.check.unknown);
    let run = r.recovery.as_ref().expect("a recovery");
    assert!(
        run.checklist
            .iter()
            .any(|s| s.detail.contains("nothing in us-west-2 holds the session store")),
        "{text}"
    );
    let ec = layer(&r, Layer::Elasticache).expect("the ElastiCache layer is judged");
    assert_eq!(ec.engine.as_deref(), Some("redis"), "{text}");
    assert_eq!(
        layer(&r, Layer::Rds).and_then(|l| l.engine.as_deref()),
        Some("postgres"),
        "{text}"
    );
    assert_eq!(ec.census.correct, 0, "no session or cart is back: {text}");
    assert!(ec.lost_writes >= 10, "{text}");
    assert!(
        !ec.gone.is_empty(),
        "the session store is named as gone from the region serving the shop: {text}"
    );
    // Every session back to the first one is lost, while the layers AWS
    // Backup copied lose at most the hour since their last copy.
    let earliest = ec.rpo.earliest_lost.expect("a lost write");
    assert!(
        earliest.format("%H:%M").to_string().as_str() < "14:30",
        "the first sessions of 14:10 are lost: {earliest} {text}"
    );
    let orders = layer(&r, Layer::Rds).expect("the orders are judged");
    if let Some(e) = orders.rpo.earliest_lost {
        assert!(
            e.format("%H:%M").to_string().as_str() >= "14:45",
            "the orders lose only the hour since their last copy: {e} {text}"
        );
    }
}
