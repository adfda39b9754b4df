//! `firedrill check`: the live store judged against the recorded history.
//!
//! One check: read `history.json`, find the first destructive act ([`act`]),
//! take the restore point just before it (or `--restore-to`), re-point the
//! store where the person's restore put the data (`--recovered` pairs, or the
//! `FIREDRILL_RECOVERED` file, both of [`crate::team::contract`]), read the
//! store back, see it as of the restore point ([`judge`]), run the checker,
//! and build the usual [`Report`]: verdict, per-layer census, RPO in records,
//! writes and seconds, and RTO from the act to this check on the emulator's
//! clock and on the wall clock.

use super::{LiveDir, LiveRecord, TrafficState, act, judge, oneliners};
use crate::checker::{self, CheckInput, CheckResult, RecoveryTime, Targets};
use crate::drill::evaluate;
use crate::fault::FaultRecord;
use crate::history::{Collection, Layer};
use crate::model::read_store;
use crate::recovery::RecoveryContext;
use crate::report::{Report, Traffic};
use crate::scenario::{Expectation, Outcome, Span};
use crate::stack::EndpointTarget;
use crate::target::Target;
use crate::team::contract::{Recovered, STORE_KEYS};
use crate::wait::WaitOptions;
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Duration, Utc};
use firedrill_emulator::AdminClient;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// How to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The session's files.
    pub dir: LiveDir,
    /// The restore point, instead of the instant before the first act.
    pub restore_to: Option<DateTime<Utc>>,
    /// Where the restore put the data (`--recovered key=value,...`).
    pub recovered: Recovered,
    /// A `FIREDRILL_RECOVERED` file, read at every check.
    pub recovered_file: Option<PathBuf>,
    /// The objectives.
    pub targets: Targets,
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The report (its check is the verdict).
    pub report: Report,
    /// The act the restore point came from, if one was found.
    pub act: Option<act::Act>,
    /// The restore point judged at, if there is one.
    pub restore_point: Option<DateTime<Utc>>,
    /// Things the person should know (a source that could not be read, a
    /// re-pointing that was refused, a history behind the store).
    pub notes: Vec<String>,
    /// Restore commands for the layers found lost.
    pub suggestions: Vec<String>,
}

impl Checked {
    /// Whether every acknowledged write is back.
    pub fn recovered(&self) -> bool {
        self.report.check.recovered()
    }
}

/// Parses `--recovered carts_table=NAME,db_instance=NAME` with the key rules
/// of `FIREDRILL_RECOVERED`.
pub fn parse_recovered_pairs(text: &str) -> anyhow::Result<Recovered> {
    let mut map = serde_json::Map::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            anyhow!(
                "--recovered {pair:?} is not KEY=VALUE; the keys are {}",
                STORE_KEYS.join(", ")
            )
        })?;
        map.insert(
            k.trim().to_owned(),
            serde_json::Value::String(v.trim().to_owned()),
        );
    }
    Recovered::parse(&serde_json::Value::Object(map).to_string())
        .map_err(|e| anyhow!("{}", e.to_string().replace("FIREDRILL_RECOVERED", "--recovered")))
}

/// The restore point of an act: the last whole second strictly before it.
/// The AWS CLI sends restore times in whole seconds (as does any client at
/// botocore's default precision), so that is the instant a person can
/// restore to; writes in the fraction of a second before the act are not
/// asked back.
pub fn restore_point_of(act_at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::DurationRound;
    let before = act_at - Duration::milliseconds(1);
    before.duration_trunc(Duration::seconds(1)).unwrap_or(before)
}

/// `--recovered` pairs with the file's keys over them.
fn recovered_now(options: &CheckOptions) -> anyhow::Result<Recovered> {
    let mut recovered = options.recovered.clone();
    if let Some(path) = &options.recovered_file {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let file = Recovered::parse(&text).with_context(|| path.display().to_string())?;
                recovered.keys.extend(file.keys);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        }
    }
    Ok(recovered)
}

/// A `--restore-to` instant: RFC 3339.
pub fn parse_instant(text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("{text:?} is not an RFC 3339 instant such as 2026-03-14T03:04:05.123Z"))
}

/// The restore point alone: `--restore-to`, else the instant before the
/// first destructive act (`None` while there is none).
pub async fn restore_point(options: &CheckOptions) -> anyhow::Result<Option<DateTime<Utc>>> {
    if let Some(t) = options.restore_to {
        return Ok(Some(t));
    }
    let record = LiveRecord::load(&options.dir)?;
    let (_, _, found) = connect_and_find(&record, &options.dir).await?;
    Ok(found.act.map(|a| restore_point_of(a.at)))
}

/// The emulator of `record`, its admin API, and the first act found there.
async fn connect_and_find(
    record: &LiveRecord,
    dir: &LiveDir,
) -> anyhow::Result<(EndpointTarget, AdminClient, act::Found)> {
    let target = EndpointTarget::connect(
        &record.endpoint,
        &record.store.region,
        record.secondary_region.as_deref(),
    )
    .await?;
    let admin = AdminClient::new(&record.endpoint);
    let found = act::find(&target, record, dir, &admin).await?;
    Ok((target, admin, found))
}

/// Checks once. `lenient`: a re-pointing that is refused (a restore still
/// being created) is noted and the store judged where it was, as `--watch`
/// wants; otherwise the check is unknown with the reason.
pub async fn check_once(options: &CheckOptions, lenient: bool) -> anyhow::Result<Checked> {
    let wall = std::time::Instant::now();
    let started = Utc::now();
    let mut record = LiveRecord::load(&options.dir)?;
    let (target, admin, found) = connect_and_find(&record, &options.dir).await?;
    let mut notes = found.unread.clone();
    let restore_point = options
        .restore_to
        .or_else(|| found.act.as_ref().map(|a| restore_point_of(a.at)));
    let targets = options.targets;
    let mut report = base_report(&record, started);
    let Some(restore_point) = restore_point else {
        let why =
            "no destructive act found yet in the audit trail or the statement log (or give --restore-to)";
        report.check = CheckResult::unknown(why, targets, None);
        report.expectation = evaluate(&expectation(targets), &report.check, None, &[]);
        return Ok(Checked {
            report,
            act: None,
            restore_point: None,
            notes,
            suggestions: Vec::new(),
        });
    };
    let act_at = found.act.as_ref().map_or(restore_point, |a| a.at);
    if let Some(a) = &found.act {
        report.faults.push(FaultRecord {
            fault: format!("{} {}", a.source, a.operation),
            struck_at: a.at,
            records: 0,
            detail: a.describe(),
            destructive: true,
            fixed_at: None,
            fix_detail: None,
        });
    }
    report.description = match &found.act {
        Some(a) => format!("first destructive act: {}", a.describe()),
        None => "restore point given with --restore-to".to_owned(),
    };

    let recovered = recovered_now(options)?;
    let mut store = record.store()?;
    if !recovered.is_empty() {
        let mut scratch = record.history.clone();
        let mut moved = store.clone();
        let mut ctx = RecoveryContext::new(&target, &mut moved, &mut scratch, act_at, WaitOptions::default());
        match crate::team::repoint::apply(&mut ctx, &recovered).await {
            Ok(_) => store = moved,
            Err(e) if lenient => notes.push(format!("not re-pointed yet: {e:#}")),
            Err(e) => {
                let why = format!("cannot re-point the store where the restore put it: {e:#}");
                report.check = CheckResult::unknown(why, targets, None);
                report.expectation = evaluate(&expectation(targets), &report.check, None, &[]);
                return Ok(Checked {
                    report,
                    act: found.act,
                    restore_point: Some(restore_point),
                    notes,
                    suggestions: Vec::new(),
                });
            }
        }
    }

    let snapshot = read_store(&target, &store).await;
    let read_end = target.now();
    // The history must cover the read: wait for the traffic to write it.
    for _ in 0..100 {
        if record.traffic != TrafficState::Running || record.written_at >= read_end {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        record = LiveRecord::load(&options.dir)?;
    }
    if record.traffic == TrafficState::Running && record.written_at < read_end {
        notes.push(format!(
            "the history is written only up to {}, before the store was read; is `firedrill up` still running?",
            record.written_at.to_rfc3339()
        ));
    }
    let now = target.now();
    let act_wall = admin.wall_time_for(act_at).await.unwrap_or(act_at);
    let rto = Some(RecoveryTime {
        simulated_seconds: (now - act_at).num_milliseconds() as f64 / 1000.0,
        wall_seconds: (Utc::now() - act_wall).num_milliseconds().max(0) as f64 / 1000.0,
    });
    report.check = match snapshot {
        Ok(snapshot) => {
            let history = judge::with_clock_tolerance(&record.history, restore_point);
            let seen = judge::as_of_restore_point(&snapshot, &history, restore_point, read_end);
            checker::check(CheckInput {
                history: &history,
                fault_at: Some(restore_point),
                snapshot: &seen,
                rto,
                targets,
            })
        }
        Err(e) => CheckResult::unknown(format!("reading the store back failed: {e:#}"), targets, rto),
    };
    report.expectation = evaluate(&expectation(targets), &report.check, None, &[]);
    report.traffic = Traffic::from_history(&record.history);
    report.events = record.history.events().to_vec();
    report.wall_seconds = wall.elapsed().as_secs_f64();
    let lost: Vec<Layer> = report
        .check
        .layers
        .iter()
        .filter(|l| l.verdict != checker::Verdict::Valid)
        .map(|l| l.layer)
        .collect();
    let at = restore_point.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let suggestions = if report.check.recovered() {
        Vec::new()
    } else {
        oneliners::restores(&record, &at, &lost, &damaged_buckets(&report.check))
    };
    Ok(Checked {
        report,
        act: found.act,
        restore_point: Some(restore_point),
        notes,
        suggestions,
    })
}

/// The buckets of a damaged S3 layer: those its findings name, or every
/// bucket of the store when the layer is not valid and names none.
fn damaged_buckets(check: &CheckResult) -> Vec<Collection> {
    let Some(s3) = check
        .layers
        .iter()
        .find(|l| l.layer == Layer::S3 && l.verdict != checker::Verdict::Valid)
    else {
        return Vec::new();
    };
    let named: BTreeSet<Collection> = s3.anomalies.iter().map(|a| a.key.collection).collect();
    if named.is_empty() {
        return vec![Collection::Images, Collection::Invoices, Collection::Templates];
    }
    named.into_iter().collect()
}

/// A live check passes when every acknowledged write is back within the objectives.
fn expectation(targets: Targets) -> Expectation {
    let span = |s: f64| Span(Duration::milliseconds((s * 1000.0) as i64));
    Expectation {
        outcome: Outcome::Recovered,
        rpo: span(targets.rpo_seconds),
        rto: span(targets.rto_seconds),
        min_lost_records: None,
        rpo_at_least: None,
        rpo_at_most: None,
        accepted_rpo: Default::default(),
        alarm_fired: None,
        detection_at_most: None,
    }
}

fn base_report(record: &LiveRecord, started: DateTime<Utc>) -> Report {
    Report {
        scenario: "break-it-yourself".to_owned(),
        description: String::new(),
        file: None,
        target: format!("endpoint {}", record.endpoint),
        policy: record.policy.clone(),
        seed: record.seed,
        prefix: record.store.prefix.clone(),
        started,
        wall_seconds: 0.0,
        traffic: Traffic::from_history(&record.history),
        setup: Vec::new(),
        faults: Vec::new(),
        recovery: None,
        check: CheckResult::unknown("not checked", Targets::default(), None),
        expectation: crate::report::ExpectationResult {
            expected: String::new(),
            met: false,
            reasons: Vec::new(),
        },
        protection_lost: Vec::new(),
        business: None,
        detection: None,
        events: Vec::new(),
        skipped: None,
        restore_testing: None,
    }
}

/// Writes the report as JSON, Markdown and HTML into `dir`; returns the JSON path.
pub fn write_reports(report: &Report, dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let base = dir.join(&report.scenario);
    std::fs::write(base.with_extension("json"), report.to_json())?;
    std::fs::write(base.with_extension("md"), report.to_markdown())?;
    std::fs::write(base.with_extension("html"), report.to_html())?;
    Ok(base.with_extension("json"))
}

/// The text `check` prints: the act, the restore point, the report, notes
/// and, when data is lost, how to restore.
pub fn to_text(c: &Checked) -> String {
    let mut s = String::new();
    if let Some(a) = &c.act {
        s.push_str(&format!("destructive act: {}\n", a.describe()));
    }
    if let Some(r) = c.restore_point {
        s.push_str(&format!(
            "restore point: {}\n",
            r.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ));
    }
    s.push_str(&c.report.to_text());
    for n in &c.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    if !c.suggestions.is_empty() {
        s.push_str("to restore to the restore point:\n");
        for line in &c.suggestions {
            s.push_str(&format!("  {line}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovered_pairs_follow_the_contract() {
        let r = parse_recovered_pairs("carts_table=shop-carts-r, db_instance=shop-orders-r").expect("valid");
        assert_eq!(r.get("carts_table"), Some("shop-carts-r"));
        assert_eq!(r.get("db_instance"), Some("shop-orders-r"));
        let e = parse_recovered_pairs("cart_table=x").expect_err("a typo");
        assert!(e.to_string().contains("--recovered has an unknown key"), "{e}");
        let e = parse_recovered_pairs("carts_table").expect_err("no value");
        assert!(e.to_string().contains("KEY=VALUE"), "{e}");
    }

    #[test]
    fn the_restore_point_is_the_last_whole_second_before_the_act() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().expect("an instant");
        assert_eq!(
            restore_point_of(t("2026-03-14T03:04:05.652Z")),
            t("2026-03-14T03:04:05Z")
        );
        assert_eq!(
            restore_point_of(t("2026-03-14T03:04:05Z")),
            t("2026-03-14T03:04:04Z")
        );
    }

    #[test]
    fn instants_parse_or_say_the_form() {
        assert!(parse_instant("2026-03-14T03:04:05.123Z").is_ok());
        let e = parse_instant("yesterday").expect_err("not an instant");
        assert!(e.to_string().contains("RFC 3339"), "{e}");
    }
}
