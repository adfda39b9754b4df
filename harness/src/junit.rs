//! JUnit XML for CI systems: `firedrill drill --junit FILE` shows each drill
//! as a test case, so Jenkins, GitLab, GitHub's test reporters and the like
//! list passed, failed and unsupported drills next to the unit tests.
//!
//! One `<testsuites>` holds one `<testsuite name="firedrill">`; each scenario
//! is a `<testcase classname="firedrill.drill" name="SCENARIO">` whose time
//! is the drill's wall time. A scenario whose expectation failed carries a
//! `<failure>`: its message is the report's one-line headline, its type says
//! what went wrong (`recovery-failed`, `data-loss`, `unknown`,
//! `protection-lost` or `expectation-not-met`) and its text holds the
//! headline, the expectation's reasons, the failed policy and recovery steps
//! and the findings grouped by kind and collection. A scenario the
//! target cannot play is `<skipped>` with the reason. Every test case carries
//! the text report in `<system-out>`. There are no `<error>` elements: a drill
//! that cannot run at all stops `firedrill drill` before any file is written.
//!
//! All text is escaped for XML 1.0, and characters XML 1.0 cannot carry (most
//! control characters, U+FFFE, U+FFFF) are dropped.

use crate::checker::Verdict;
use crate::recovery::StepStatus;
use crate::report::Report;
use std::fmt::Write as _;

/// The test-case class name every drill is reported under.
pub const CLASSNAME: &str = "firedrill.drill";

/// How many findings a failure's text lists (the counts are in the report).
pub const MAX_FINDINGS: usize = 10;

/// The JUnit XML document for the reports of one `firedrill drill` run, in
/// the order given.
pub fn to_junit(reports: &[Report]) -> String {
    let failures = reports
        .iter()
        .filter(|r| r.skipped.is_none() && !r.passed())
        .count();
    let skipped = reports.iter().filter(|r| r.skipped.is_some()).count();
    // A fold from +0.0: an empty float sum is -0.0, printed "-0.000".
    let total = reports.iter().fold(0.0, |t, r| t + finite(r.wall_seconds));
    let tests = reports.len();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"firedrill\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">",
        seconds(total)
    );
    let _ = write!(
        x,
        "  <testsuite name=\"firedrill\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\"",
        seconds(total)
    );
    if let Some(first) = reports.iter().map(|r| r.started).min() {
        let _ = write!(x, " timestamp=\"{}\"", first.format("%Y-%m-%dT%H:%M:%S"));
    }
    x.push_str(">\n");
    for report in reports {
        testcase(&mut x, report);
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

fn testcase(x: &mut String, r: &Report) {
    let _ = writeln!(
        x,
        "    <testcase classname=\"{CLASSNAME}\" name=\"{}\" time=\"{}\">",
        attr(&r.scenario),
        seconds(finite(r.wall_seconds))
    );
    if let Some(why) = &r.skipped {
        let _ = writeln!(x, "      <skipped message=\"{}\"/>", attr(why));
    } else if !r.passed() {
        let _ = writeln!(
            x,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            attr(&r.headline()),
            failure_type(r),
            text(&failure_text(r))
        );
    }
    let _ = writeln!(x, "      <system-out>{}</system-out>", text(&r.to_text()));
    x.push_str("    </testcase>\n");
}

/// What kind of failure it is, for CI systems that group by type.
fn failure_type(r: &Report) -> &'static str {
    if r.recovery.as_ref().is_some_and(|run| run.error.is_some()) {
        "recovery-failed"
    } else {
        match r.check.verdict {
            Verdict::Invalid => "data-loss",
            Verdict::Unknown => "unknown",
            Verdict::Valid if !r.protection_lost.is_empty() => "protection-lost",
            Verdict::Valid => "expectation-not-met",
        }
    }
}

/// The failure's body: the headline, why the expectation failed, the failed
/// recovery steps and the first findings.
fn failure_text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.headline());
    let _ = writeln!(s, "verdict: {}", r.check.verdict);
    let _ = writeln!(s, "expected: {}", r.expectation.expected);
    for reason in &r.expectation.reasons {
        let _ = writeln!(s, "- {reason}");
    }
    for step in &r.setup {
        if let StepStatus::Failed(why) = &step.status {
            let _ = writeln!(s, "policy step failed: {} ({}): {why}", step.title, step.runbook);
        }
    }
    if let Some(run) = &r.recovery {
        for step in &run.checklist {
            if let StepStatus::Failed(why) = &step.status {
                let _ = writeln!(
                    s,
                    "recovery step failed: {} ({}): {why}",
                    step.title, step.runbook
                );
            }
        }
        if let Some(e) = &run.error {
            let _ = writeln!(s, "recovery failed: {e}");
        }
    }
    let c = &r.check;
    let (groups, untold) = crate::findings::groups(c);
    if !groups.is_empty() {
        let _ = writeln!(s, "findings:");
        for g in groups.iter().take(MAX_FINDINGS) {
            let _ = writeln!(s, "- {}", g.line());
        }
        if groups.len() > MAX_FINDINGS {
            let _ = writeln!(s, "- ({} more kinds of finding)", groups.len() - MAX_FINDINGS);
        }
        if untold > 0 {
            let _ = writeln!(s, "- (+{untold} more counted, not itemised)");
        }
    }
    for u in &c.unknown {
        let _ = writeln!(s, "unknown: {u}");
    }
    s
}

fn finite(seconds: f64) -> f64 {
    if seconds.is_finite() && seconds > 0.0 {
        seconds
    } else {
        0.0
    }
}

fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

/// Whether XML 1.0 can carry `c` at all (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Character data: markup escaped, characters XML cannot carry dropped.
fn text(s: &str) -> String {
    escape(s, false)
}

/// An attribute value in double quotes: also escapes quotes, and writes line
/// breaks and tabs as character references so that attribute-value
/// normalisation keeps them.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|&c| xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{Anomaly, AnomalyKind, CheckResult, LayerResult, Targets};
    use crate::history::{Collection, Key, Layer};
    use crate::recovery::{RecoveryRun, Step};
    use crate::report::{ExpectationResult, Traffic};
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn report(name: &str, met: bool) -> Report {
        Report {
            scenario: name.into(),
            description: "a story".into(),
            file: None,
            target: "embedded".into(),
            policy: "four_layer".into(),
            seed: 7,
            prefix: "fd-x".into(),
            started: at("2026-12-01T10:00:00Z"),
            wall_seconds: 1.5,
            traffic: Traffic::default(),
            setup: Vec::new(),
            faults: Vec::new(),
            recovery: None,
            check: CheckResult::unknown("not checked", Targets::default(), None),
            protection_lost: Vec::new(),
            business: None,
            detection: None,
            expectation: ExpectationResult {
                expected: "recovered".into(),
                met,
                reasons: vec!["every acknowledged write is back, nothing else is".into()],
            },
            events: Vec::new(),
            skipped: None,
            restore_testing: None,
        }
    }

    fn lost(id: &str) -> Anomaly {
        Anomaly {
            kind: AnomalyKind::LostWrite,
            key: Key::new(Collection::Carts, id),
            found: None,
            expected: vec![Some("qty=2".into())],
            lost_writes: 1,
            earliest_lost: None,
            related: None,
        }
    }

    /// A report whose drill lost `n` cart writes, of which the report kept
    /// `kept`.
    fn data_loss(name: &str, n: u64, kept: u64) -> Report {
        let mut r = report(name, false);
        r.check.verdict = Verdict::Invalid;
        r.check.unknown.clear();
        r.check.layers = vec![LayerResult {
            layer: Layer::Dynamodb,
            engine: None,
            verdict: Verdict::Invalid,
            records_expected: n,
            records_found: 0,
            census: Default::default(),
            lost_records: n,
            lost_writes: n,
            resurrected: 0,
            corrupted: 0,
            unexpected: 0,
            lost_versions: 0,
            rpo: r.check.rpo.clone(),
            unknown: Vec::new(),
            gone: Vec::new(),
            anomalies: (0..kept).map(|i| lost(&format!("cart-{i}"))).collect(),
            anomalies_truncated: n - kept,
            preloaded: None,
        }];
        r.check.cross_layer = vec![Anomaly {
            kind: AnomalyKind::OrderWithoutCart,
            key: Key::new(Collection::Orders, "o1"),
            related: Some(Key::new(Collection::Carts, "cart-0")),
            found: None,
            expected: Vec::new(),
            lost_writes: 0,
            earliest_lost: None,
        }];
        r.expectation.reasons = vec![format!("{n} acknowledged writes lost")];
        r
    }

    #[test]
    fn counts_add_up_and_times_are_summed() {
        let mut skipped = report("skipped-one", false);
        skipped.skipped = Some("target endpoint lacks rds".into());
        let xml = to_junit(&[report("ok", true), data_loss("lossy", 1, 1), skipped]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(
            xml.contains(
                "<testsuite name=\"firedrill\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"4.500\" timestamp=\"2026-12-01T10:00:00\">"
            ),
            "{xml}"
        );
        assert!(xml.contains(
            "<testsuites name=\"firedrill\" tests=\"3\" failures=\"1\" errors=\"0\" time=\"4.500\">"
        ));
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert_eq!(xml.matches("<failure ").count(), 1);
        assert!(xml.contains("<testcase classname=\"firedrill.drill\" name=\"ok\" time=\"1.500\">"));
        assert!(
            xml.contains("<skipped message=\"target endpoint lacks rds\"/>"),
            "{xml}"
        );
        assert_eq!(xml.matches("<system-out>").count(), 3);
    }

    #[test]
    fn no_reports_make_an_empty_suite() {
        let xml = to_junit(&[]);
        assert!(xml.contains("tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\">"));
        assert!(!xml.contains("timestamp"));
    }

    #[test]
    fn a_failure_names_the_headline_the_reasons_and_the_first_findings() {
        let r = data_loss("lossy", 20, 12);
        let xml = to_junit(std::slice::from_ref(&r));
        let message = attr(&r.headline());
        assert!(message.starts_with("FAIL lossy: data loss"), "{message}");
        assert!(
            xml.contains(&format!("<failure message=\"{message}\" type=\"data-loss\">")),
            "{xml}"
        );
        let body = failure_text(&r);
        assert!(body.contains("20 acknowledged writes lost"), "{body}");
        // 12 kept on the layer, 8 left out, 1 orphan across layers: grouped.
        assert!(
            body.contains("findings:\n- carts: 12 × lost write (e.g. cart-0: "),
            "{body}"
        );
        assert!(body.contains("cart-1; cart-2)"), "{body}");
        assert!(!body.contains("cart-3"), "a few examples per group: {body}");
        assert!(body.contains("(+8 more counted, not itemised)"), "{body}");
    }

    #[test]
    fn failed_policy_and_recovery_steps_say_which_step_and_why() {
        let mut r = report("broken-runbook", false);
        let step = |title: &str, status: StepStatus| Step {
            runbook: "restore.py".into(),
            title: title.into(),
            detail: String::new(),
            status,
            target_start: r.started,
            target_end: r.started,
            wall_offset_seconds: 0.0,
            wall_seconds: 0.1,
            output: None,
        };
        r.recovery = Some(RecoveryRun {
            name: "team runbook".into(),
            restore_to: r.started,
            started: r.started,
            ended: r.started,
            wall_seconds: 0.2,
            checklist: vec![
                step("wait", StepStatus::Done),
                step("restore carts", StepStatus::Failed("exit status 3".into())),
            ],
            error: Some("restore carts failed".into()),
        });
        r.setup = vec![step(
            "backup/apply.sh",
            StepStatus::Failed("exit status 1".into()),
        )];
        assert_eq!(failure_type(&r), "recovery-failed");
        let body = failure_text(&r);
        assert!(
            body.contains("policy step failed: backup/apply.sh (restore.py): exit status 1"),
            "{body}"
        );
        assert!(
            body.contains("recovery step failed: restore carts (restore.py): exit status 3"),
            "{body}"
        );
        assert!(!body.contains("recovery step failed: wait"), "{body}");
        assert!(body.contains("recovery failed: restore carts failed"), "{body}");
    }

    #[test]
    fn failure_types_follow_the_verdict() {
        let mut r = report("x", false);
        assert_eq!(failure_type(&r), "unknown");
        r.check.verdict = Verdict::Valid;
        assert_eq!(failure_type(&r), "expectation-not-met");
        r.protection_lost.push(crate::protection::ProtectionLost {
            collection: crate::history::Collection::Carts,
            resource: "carts-restored".into(),
            finding: "point-in-time recovery is off".into(),
        });
        assert_eq!(failure_type(&r), "protection-lost");
        r.check.verdict = Verdict::Invalid;
        assert_eq!(failure_type(&r), "data-loss");
    }

    #[test]
    fn markup_is_escaped_and_characters_xml_cannot_carry_are_dropped() {
        assert_eq!(text("a<b>&c\"d'"), "a&lt;b&gt;&amp;c\"d'");
        assert_eq!(attr("say \"hi\" & <go>"), "say &quot;hi&quot; &amp; &lt;go&gt;");
        assert_eq!(attr("two\nlines\tand\r"), "two&#10;lines&#9;and&#13;");
        assert_eq!(text("two\nlines\tkept\r"), "two\nlines\tkept&#13;");
        assert_eq!(text("nul\u{0}bell\u{7}esc\u{1b}[0m"), "nulbellesc[0m");
        assert_eq!(text("\u{FFFE}\u{FFFF}ok \u{1F525} é"), "ok \u{1F525} é");
        let mut r = data_loss("a<&>\"b\u{1}", 1, 1);
        r.expectation.reasons.push("]]> in a reason".into());
        let xml = to_junit(&[r]);
        assert!(xml.contains("name=\"a&lt;&amp;&gt;&quot;b\""), "{xml}");
        assert!(!xml.contains('\u{1}'));
        assert!(!xml.contains("]]>"));
    }
}
