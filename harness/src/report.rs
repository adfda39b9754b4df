//! Reports: what a drill found, for a terminal, for machines (JSON), for a
//! pull request (Markdown) and for the team (a self-contained HTML page).
//!
//! The HTML page needs nothing but a browser: styles inline, no scripts, and
//! an incident timeline drawn as inline SVG: traffic per interval, the fault,
//! the recovery point, each restore step, and the RPO window (the data lost,
//! from the earliest lost write to the fault). The executed runbook is
//! rendered as a checklist the team can keep.

use crate::checker::{AnomalyKind, CheckResult, Verdict};
use crate::fault::FaultRecord;
use crate::history::{Event, EventKind, History, Layer, OpKind, Outcome, Process};
use crate::recovery::{RecoveryRun, StepStatus};
use crate::scenario::format_seconds;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Traffic over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Traffic {
    /// Client operations acknowledged.
    pub ok: u64,
    /// Client operations refused.
    pub fail: u64,
    /// Client operations indeterminate.
    pub info: u64,
    /// Operations per kind.
    pub by_kind: BTreeMap<String, u64>,
    /// First client operation.
    pub first: Option<DateTime<Utc>>,
    /// Last client operation.
    pub last: Option<DateTime<Utc>>,
    /// Width of a histogram bin, seconds.
    pub bin_seconds: i64,
    /// Acknowledged client operations per bin, from `first`.
    pub bins: Vec<u64>,
}

impl Traffic {
    /// Summarises the client operations of a history into at most 60 bins.
    pub fn from_history(h: &History) -> Self {
        let client: Vec<_> = h
            .ops()
            .iter()
            .filter(|o| matches!(o.process, Process::Client(_)))
            .collect();
        let mut t = Traffic::default();
        for o in &client {
            match o.outcome {
                Outcome::Ok => t.ok += 1,
                Outcome::Fail => t.fail += 1,
                Outcome::Info => t.info += 1,
            }
            *t.by_kind.entry(o.kind.name().to_owned()).or_insert(0) += 1;
        }
        t.first = client.iter().map(|o| o.invoke).min();
        t.last = client.iter().map(|o| o.complete).max();
        if let (Some(first), Some(last)) = (t.first, t.last) {
            let span = (last - first).num_seconds().max(1);
            t.bin_seconds = ((span + 59) / 60).max(1);
            let n = (span / t.bin_seconds + 1) as usize;
            t.bins = vec![0; n];
            for o in client.iter().filter(|o| o.outcome == Outcome::Ok) {
                let i = ((o.invoke - first).num_seconds() / t.bin_seconds) as usize;
                if let Some(b) = t.bins.get_mut(i) {
                    *b += 1;
                }
            }
        }
        t
    }

    /// Orders acknowledged.
    pub fn orders(&self) -> u64 {
        self.by_kind.get(OpKind::PlaceOrder.name()).copied().unwrap_or(0)
    }
}

/// Whether the scenario's expectation held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationResult {
    /// What was expected, in words.
    pub expected: String,
    /// Whether it held: the scenario's pass condition.
    pub met: bool,
    /// Why not, or what confirmed it.
    pub reasons: Vec<String>,
}

/// Everything a drill found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// Its story.
    pub description: String,
    /// The file it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The target's name.
    pub target: String,
    /// The policy's name.
    pub policy: String,
    /// The workload seed (replay with it).
    pub seed: u64,
    /// The stack prefix.
    pub prefix: String,
    /// Wall-clock start of the drill.
    pub started: DateTime<Utc>,
    /// Wall seconds the whole drill took.
    pub wall_seconds: f64,
    /// The traffic.
    pub traffic: Traffic,
    /// The team's backup configuration command, when the policy names one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<crate::recovery::Step>,
    /// The faults that struck.
    pub faults: Vec<FaultRecord>,
    /// The recovery, when it ran.
    pub recovery: Option<RecoveryRun>,
    /// The checker's findings.
    pub check: CheckResult,
    /// Guards there before the fault and gone after the recovery.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protection_lost: Vec<crate::protection::ProtectionLost>,
    /// What the loss and the downtime cost, when the scenario says what an
    /// hour of trading is worth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<crate::business::BusinessImpact>,
    /// Whether the backup alarm saw the backups fail before the incident,
    /// when the policy has an alarm or a fault makes the backups fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<crate::detection::Detection>,
    /// The pass condition.
    pub expectation: ExpectationResult,
    /// Timeline events (faults, backups, recovery steps).
    pub events: Vec<Event>,
    /// Why the drill could not run, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The AWS Backup restore test run after the drill, validated by the
    /// checker (`--restore-testing`), when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_testing: Option<crate::restore_testing::RestoreTestingReport>,
}

fn secs(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.1} s")
    } else {
        format_seconds(s)
    }
}

/// One line on the RTO's band and the model that produced it, when the
/// target timed its restores.
fn rto_band_line(c: &CheckResult) -> Option<String> {
    let band = c.rto_band.as_ref()?;
    if band.model == "fast" {
        return Some(
            "RTO model: fast (the emulator's short fixed delays, not AWS's restore times; run with --fidelity aws for a prediction)"
                .to_owned(),
        );
    }
    let mut line = format!(
        "RTO band {} to {} by the {} restore-time model ({} modelled operation{})",
        secs(band.low_seconds),
        secs(band.high_seconds),
        band.model,
        band.operations.len(),
        if band.operations.len() == 1 { "" } else { "s" }
    );
    for op in &band.operations {
        if let Some(size) = crate::restore_time::workload_words(&op.workload) {
            line.push_str(&format!(
                "; {} {} typical for {size}",
                op.operation,
                secs(op.typical_seconds)
            ));
        }
    }
    if c.rto_met && band.high_seconds > c.targets.rto_seconds {
        line.push_str("; at the band's high end the objective is MISSED");
    } else if !c.rto_met && band.low_seconds <= c.targets.rto_seconds {
        line.push_str("; only at the band's low end would the objective be met");
    }
    Some(line)
}

impl Report {
    /// Whether the scenario passed (its expectation held).
    pub fn passed(&self) -> bool {
        self.expectation.met
    }

    /// The one-line headline.
    pub fn headline(&self) -> String {
        let status = if self.passed() { "PASS" } else { "FAIL" };
        let what = if self.check.recovered() && !self.protection_lost.is_empty() {
            format!(
                "recovered, but {} guard{} lost",
                self.protection_lost.len(),
                if self.protection_lost.len() == 1 { "" } else { "s" }
            )
        } else if self.check.recovered() {
            "recovered".to_owned()
        } else if let Some(a) = self.expected_loss() {
            format!(
                "recovered, with the expected loss on {}: {} writes, window {} (accepted {})",
                a.layer,
                a.writes_lost,
                secs(a.window_seconds),
                secs(a.accepted_seconds)
            )
        } else {
            match self.check.verdict {
                Verdict::Invalid => format!(
                    "data loss: {} records, {} writes, RPO {}",
                    self.check.rpo.records_lost,
                    self.check.rpo.writes_lost,
                    secs(self.check.rpo.seconds)
                ),
                _ => "unknown".to_owned(),
            }
        };
        format!(
            "{status} {}: {what} (expected {})",
            self.scenario, self.expectation.expected
        )
    }

    /// The accepted loss the drill showed, when every other layer is back
    /// ([`crate::accepted`]).
    pub fn expected_loss(&self) -> Option<&crate::accepted::AcceptedLoss> {
        let c = &self.check;
        (c.verdict == Verdict::Invalid
            && crate::accepted::residual_ok(c, &c.accepted_loss, c.targets.rpo_seconds))
        .then(|| c.accepted_loss.iter().find(|a| a.within))
        .flatten()
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The terminal summary.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let c = &self.check;
        let _ = writeln!(s, "{}", self.headline());
        let _ = writeln!(
            s,
            "  target {} · policy {} · seed {} · prefix {}",
            self.target, self.policy, self.seed, self.prefix
        );
        if let Some(why) = &self.skipped {
            let _ = writeln!(s, "  skipped: {why}");
        }
        let _ = writeln!(
            s,
            "  traffic: {} ok, {} failed, {} indeterminate ({} orders)",
            self.traffic.ok,
            self.traffic.fail,
            self.traffic.info,
            self.traffic.orders()
        );
        for step in &self.setup {
            let _ = writeln!(
                s,
                "  backup configuration {}: {}",
                step.title,
                match &step.status {
                    crate::recovery::StepStatus::Failed(why) => format!("FAILED: {why}"),
                    _ => step.detail.clone(),
                }
            );
        }
        for f in &self.faults {
            let _ = writeln!(
                s,
                "  fault {} at {}: {}",
                f.fault,
                f.struck_at.to_rfc3339(),
                f.detail
            );
            if let (Some(at), Some(fix)) = (f.fixed_at, &f.fix_detail) {
                let _ = writeln!(s, "    fixed at {}: {fix}", at.to_rfc3339());
            }
        }
        if let Some(d) = &self.detection {
            let _ = writeln!(s, "  detection: {}", d.sentence());
        }
        if let Some(r) = &self.recovery {
            let _ = writeln!(
                s,
                "  recovery {} to {}: {} steps, {}",
                r.name,
                r.restore_to.to_rfc3339(),
                r.checklist.len(),
                r.error
                    .as_deref()
                    .map_or("completed".to_owned(), |e| format!("FAILED: {e}"))
            );
        }
        let _ = writeln!(s, "  verdict: {}", c.verdict);
        for a in &c.accepted_loss {
            let _ = writeln!(s, "  {}", crate::accepted::sentence(a));
        }
        let _ = writeln!(
            s,
            "  RPO: {} ({} records, {} writes lost; objective {}) {}",
            secs(c.rpo.seconds),
            c.rpo.records_lost,
            c.rpo.writes_lost,
            secs(c.targets.rpo_seconds),
            if c.rpo_met { "met" } else { "MISSED" }
        );
        match &c.rto {
            Some(r) => {
                let _ = writeln!(
                    s,
                    "  RTO: {} on the target clock, {} wall (objective {}) {}",
                    secs(r.simulated_seconds),
                    secs(r.wall_seconds),
                    secs(c.targets.rto_seconds),
                    if c.rto_met { "met" } else { "MISSED" }
                );
                if let Some(line) = rto_band_line(c) {
                    let _ = writeln!(s, "  {line}");
                }
            }
            None => {
                let _ = writeln!(s, "  RTO: not measured");
            }
        }
        if let Some(b) = &self.business {
            for line in b.lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        if let Some(r) = &self.restore_testing {
            for line in r.lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        for l in &c.layers {
            let _ = writeln!(s, "  {}", layer_line(l));
        }
        let (groups, untold) = crate::findings::groups(c);
        if !groups.is_empty() {
            let _ = writeln!(s, "  findings:");
            for g in &groups {
                let _ = writeln!(s, "    {}", g.line());
            }
            if untold > 0 {
                let _ = writeln!(s, "    (+{untold} more counted, not itemised)");
            }
        }
        for g in c.layers.iter().flat_map(|l| &l.gone) {
            let _ = writeln!(s, "  gone: {g}");
        }
        for u in &c.unknown {
            let _ = writeln!(s, "  unknown: {u}");
        }
        for r in &self.expectation.reasons {
            let _ = writeln!(s, "  - {r}");
        }
        s
    }

    /// Markdown for a pull request or a wiki.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let c = &self.check;
        let _ = writeln!(s, "# Disaster drill: {}\n", self.scenario);
        let _ = writeln!(s, "{}\n", self.description);
        let _ = writeln!(s, "**{}**\n", self.headline());
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| Target | {} |", self.target);
        let _ = writeln!(s, "| Policy | {} |", self.policy);
        let _ = writeln!(s, "| Seed | {} |", self.seed);
        let _ = writeln!(s, "| Verdict | {} |", c.verdict);
        for a in &c.accepted_loss {
            let _ = writeln!(s, "| Expected loss | {} |", crate::accepted::sentence(a));
        }
        let _ = writeln!(
            s,
            "| RPO | {} ({} records, {} writes lost; objective {}) |",
            secs(c.rpo.seconds),
            c.rpo.records_lost,
            c.rpo.writes_lost,
            secs(c.targets.rpo_seconds)
        );
        if let Some(r) = &c.rto {
            let _ = writeln!(
                s,
                "| RTO | {} target clock, {} wall (objective {}) |",
                secs(r.simulated_seconds),
                secs(r.wall_seconds),
                secs(c.targets.rto_seconds)
            );
            if let Some(line) = rto_band_line(c) {
                let _ = writeln!(s, "| RTO band | {line} |");
            }
        }
        for p in c.layers.iter().filter_map(|l| l.preloaded.as_ref()) {
            let _ = writeln!(s, "| Preloaded | {} |", p.sentence());
        }
        let _ = writeln!(
            s,
            "| Traffic | {} ok, {} failed, {} indeterminate |\n",
            self.traffic.ok, self.traffic.fail, self.traffic.info
        );
        let _ = writeln!(s, "## Faults\n");
        for f in &self.faults {
            let _ = writeln!(s, "- `{}` at {}: {}", f.fault, f.struck_at.to_rfc3339(), f.detail);
            if let (Some(at), Some(fix)) = (f.fixed_at, &f.fix_detail) {
                let _ = writeln!(s, "  - fixed at {}: {fix}", at.to_rfc3339());
            }
        }
        if let Some(d) = &self.detection {
            let _ = writeln!(s, "\n## Detection\n\n{}", d.sentence());
        }
        let _ = writeln!(s, "\n## Per layer\n");
        let _ = writeln!(
            s,
            "| Layer | Verdict | Expected | Correct | Wrong value | Missing | Absent (allowed) | Resurrected | Writes lost | Lost versions | RPO |\n|---|---|---|---|---|---|---|---|---|---|---|"
        );
        for l in &c.layers {
            let n = l.census;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                l.label(),
                l.verdict,
                l.records_expected,
                n.correct,
                n.wrong_value,
                n.missing,
                n.absent_allowed,
                n.resurrected,
                l.lost_writes,
                l.lost_versions,
                secs(l.rpo.seconds)
            );
        }
        let (groups, untold) = crate::findings::groups(c);
        if !groups.is_empty() {
            let _ = writeln!(s, "\n## Findings\n");
            for g in &groups {
                let _ = writeln!(s, "- {}", g.line());
            }
            if untold > 0 {
                let _ = writeln!(s, "- (+{untold} more counted, not itemised)");
            }
        }
        if !self.protection_lost.is_empty() {
            let _ = writeln!(s, "\n## Protection lost\n");
            for p in &self.protection_lost {
                let _ = writeln!(s, "- {}", p.finding);
            }
        }
        if let Some(b) = &self.business {
            let _ = writeln!(s, "\n## Business impact\n");
            for line in b.lines() {
                let _ = writeln!(s, "- {line}");
            }
        }
        if let Some(r) = &self.restore_testing {
            let _ = writeln!(s, "\n## Restore testing\n");
            for line in r.lines() {
                let _ = writeln!(s, "- {}", line.trim_start());
            }
        }
        if let Some(r) = &self.recovery {
            let _ = writeln!(
                s,
                "\n## Runbook ({}), restoring to {}\n",
                r.name,
                r.restore_to.to_rfc3339()
            );
            for step in &r.checklist {
                let mark = match step.status {
                    StepStatus::Done => "[x]",
                    _ => "[ ]",
                };
                let _ = writeln!(
                    s,
                    "- {mark} **{}**: {} ({} wall, {} target clock)",
                    step.title,
                    step.detail,
                    secs(step.wall_seconds),
                    secs((step.target_end - step.target_start).num_milliseconds() as f64 / 1000.0)
                );
            }
            if let Some(e) = &r.error {
                let _ = writeln!(s, "\n**Recovery failed:** {e}");
            }
        }
        let _ = writeln!(s, "\n## Expectation: {}\n", self.expectation.expected);
        for r in &self.expectation.reasons {
            let _ = writeln!(s, "- {r}");
        }
        s
    }

    /// The self-contained HTML page with the SVG timeline and the checklist.
    pub fn to_html(&self) -> String {
        let c = &self.check;
        let mut s = String::new();
        let _ = write!(
            s,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>firedrill: {name}</title>\n<style>\
body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}}\
h1{{margin-bottom:.2em}} .pass{{color:#17803d}} .fail{{color:#b42318}}\
table{{border-collapse:collapse;margin:1em 0}} td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}} th{{background:#f4f4f4}} td:first-child,th:first-child{{text-align:left}}\
.checklist{{list-style:none;padding-left:0}} .checklist li{{margin:.4em 0}} .done{{color:#17803d}} .failed{{color:#b42318}} .skipped{{color:#8a6d00}}\
svg text{{font-size:11px;font-family:system-ui,sans-serif}} code{{background:#f4f4f4;padding:0 .2em}}\
</style></head><body>\n",
            name = esc(&self.scenario)
        );
        let class = if self.passed() { "pass" } else { "fail" };
        let _ = writeln!(s, "<h1>Disaster drill: {}</h1>", esc(&self.scenario));
        let _ = writeln!(s, "<p>{}</p>", esc(&self.description));
        let _ = writeln!(
            s,
            "<p class=\"{class}\" id=\"headline\"><strong>{}</strong></p>",
            esc(&self.headline())
        );
        let _ = writeln!(s, "<table id=\"summary\"><tbody>");
        let rows = [
            ("Target", self.target.clone()),
            ("Policy", self.policy.clone()),
            ("Seed", self.seed.to_string()),
            ("Verdict", c.verdict.to_string()),
            (
                "RPO",
                format!(
                    "{} ({} records, {} writes lost; objective {}) {}",
                    secs(c.rpo.seconds),
                    c.rpo.records_lost,
                    c.rpo.writes_lost,
                    secs(c.targets.rpo_seconds),
                    if c.rpo_met { "met" } else { "missed" }
                ),
            ),
            (
                "RTO",
                c.rto.map_or("not measured".to_owned(), |r| {
                    let mut text = format!(
                        "{} target clock, {} wall (objective {}) {}",
                        secs(r.simulated_seconds),
                        secs(r.wall_seconds),
                        secs(c.targets.rto_seconds),
                        if c.rto_met { "met" } else { "missed" }
                    );
                    if let Some(line) = rto_band_line(c) {
                        text.push_str("; ");
                        text.push_str(&line);
                    }
                    text
                }),
            ),
            (
                "Traffic",
                format!(
                    "{} ok, {} failed, {} indeterminate ({} orders)",
                    self.traffic.ok,
                    self.traffic.fail,
                    self.traffic.info,
                    self.traffic.orders()
                ),
            ),
        ];
        let preloaded = c
            .layers
            .iter()
            .filter_map(|l| l.preloaded.as_ref())
            .map(|p| ("Preloaded", p.sentence()));
        for (k, v) in rows.into_iter().chain(preloaded) {
            let _ = writeln!(s, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
        }
        let _ = writeln!(s, "</tbody></table>");
        let _ = writeln!(s, "<h2>Incident timeline</h2>");
        s.push_str(&self.timeline_svg());
        let _ = writeln!(
            s,
            "<h2>Per layer</h2><table id=\"layers\"><thead><tr><th>Layer</th><th>Verdict</th><th>Expected</th><th>Correct</th><th>Wrong value</th><th>Missing</th><th>Absent (allowed)</th><th>Resurrected</th><th>Writes lost</th><th>Lost versions</th><th>RPO</th></tr></thead><tbody>"
        );
        for l in &c.layers {
            let n = l.census;
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                l.label(),
                l.verdict,
                l.records_expected,
                n.correct,
                n.wrong_value,
                n.missing,
                n.absent_allowed,
                n.resurrected,
                l.lost_writes,
                l.lost_versions,
                secs(l.rpo.seconds)
            );
        }
        let _ = writeln!(s, "</tbody></table>");
        let (groups, untold) = crate::findings::groups(c);
        if !groups.is_empty() {
            let _ = writeln!(
                s,
                "<h2>Findings</h2><table id=\"findings\"><thead><tr><th>Where</th><th>What</th><th>Count</th><th>Examples</th></tr></thead><tbody>"
            );
            for g in &groups {
                let place = match g.related {
                    Some(r) => format!("{} → {}", g.collection, r),
                    None => g.collection.to_string(),
                };
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&place),
                    esc(g.kind.name()),
                    g.count,
                    g.examples
                        .iter()
                        .map(|e| format!("<code>{}</code>", esc(e)))
                        .collect::<Vec<_>>()
                        .join("<br>")
                );
            }
            let _ = writeln!(s, "</tbody></table>");
            if untold > 0 {
                let _ = writeln!(s, "<p>+{untold} more counted, not itemised.</p>");
            }
        }
        if let Some(d) = &self.detection {
            let _ = writeln!(
                s,
                "<h2>Detection</h2><p id=\"detection\" class=\"{}\">{}</p>",
                if d.fired() { "done" } else { "failed" },
                esc(&d.sentence())
            );
        }
        if !self.protection_lost.is_empty() {
            let _ = writeln!(s, "<h2>Protection lost</h2><ul id=\"protection-lost\">");
            for p in &self.protection_lost {
                let _ = writeln!(s, "<li>{}</li>", esc(&p.finding));
            }
            let _ = writeln!(s, "</ul>");
        }
        if let Some(b) = &self.business {
            let _ = writeln!(s, "<h2>Business impact</h2><ul id=\"business\">");
            for line in b.lines() {
                let _ = writeln!(s, "<li>{}</li>", esc(&line));
            }
            let _ = writeln!(s, "</ul>");
        }
        if !self.setup.is_empty() {
            let _ = writeln!(s, "<h2>Backup configuration</h2><ul id=\"setup\">");
            for step in &self.setup {
                let _ = writeln!(
                    s,
                    "<li><strong>{}</strong>: {}</li>",
                    esc(&step.title),
                    esc(&step.detail)
                );
                if let Some(out) = &step.output {
                    s.push_str(&command_output_html(out));
                }
            }
            let _ = writeln!(s, "</ul>");
        }
        let _ = writeln!(s, "<h2>Runbook checklist</h2>");
        match &self.recovery {
            Some(r) => {
                let _ = writeln!(
                    s,
                    "<p>{} restoring to <code>{}</code>; {} wall.</p><ul class=\"checklist\" id=\"checklist\">",
                    esc(&r.name),
                    r.restore_to.to_rfc3339(),
                    secs(r.wall_seconds)
                );
                for step in &r.checklist {
                    let (box_, cls) = match step.status {
                        StepStatus::Done => ("☑", "done"),
                        StepStatus::Failed(_) => ("☒", "failed"),
                        StepStatus::Skipped(_) => ("☐", "skipped"),
                    };
                    let _ = writeln!(
                        s,
                        "<li class=\"{cls}\"><input type=\"checkbox\" disabled{}> {box_} <strong>{}</strong> <em>({})</em>: {} <small>{} wall, {} target clock</small></li>",
                        if cls == "done" { " checked" } else { "" },
                        esc(&step.title),
                        esc(&step.runbook),
                        esc(&step.detail),
                        secs(step.wall_seconds),
                        secs((step.target_end - step.target_start).num_milliseconds() as f64 / 1000.0)
                    );
                    if let Some(out) = &step.output {
                        s.push_str(&command_output_html(out));
                    }
                }
                let _ = writeln!(s, "</ul>");
                if let Some(e) = &r.error {
                    let _ = writeln!(s, "<p class=\"fail\">Recovery failed: {}</p>", esc(e));
                }
            }
            None => {
                let _ = writeln!(s, "<p>No recovery ran.</p>");
            }
        }
        let _ = writeln!(s, "<h2>Expectation: {}</h2><ul>", esc(&self.expectation.expected));
        for r in &self.expectation.reasons {
            let _ = writeln!(s, "<li>{}</li>", esc(r));
        }
        let _ = writeln!(
            s,
            "</ul><p><small>firedrill · seed {} · replay with <code>--seed {}</code></small></p></body></html>",
            self.seed, self.seed
        );
        s
    }

    /// The incident timeline as inline SVG.
    pub fn timeline_svg(&self) -> String {
        const W: f64 = 1000.0;
        const LEFT: f64 = 110.0;
        const RIGHT: f64 = 20.0;
        let fault_at = self.check.fault_at.or(self.faults.first().map(|f| f.struck_at));
        let mut instants: Vec<DateTime<Utc>> = Vec::new();
        instants.extend(self.traffic.first);
        instants.extend(self.traffic.last);
        instants.extend(fault_at);
        instants.extend(self.events.iter().map(|e| e.at));
        if let Some(r) = &self.recovery {
            instants.push(r.ended);
        }
        instants.extend(self.check.rpo.earliest_lost);
        let (Some(t0), Some(t1)) = (instants.iter().min().copied(), instants.iter().max().copied()) else {
            return "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"40\"><text x=\"10\" y=\"20\">no events</text></svg>\n".into();
        };
        let span = ((t1 - t0).num_milliseconds().max(1)) as f64;
        let x = |t: DateTime<Utc>| LEFT + (W - LEFT - RIGHT) * ((t - t0).num_milliseconds() as f64 / span);
        let steps = self.recovery.as_ref().map_or(0, |r| r.checklist.len());
        let height = 200.0 + 16.0 * steps as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"incident timeline\">"
        );
        let _ = writeln!(
            s,
            "<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{height}\" fill=\"#fff\"/>"
        );
        // Lanes.
        for (y, label) in [(30.0, "traffic"), (110.0, "events"), (150.0, "restore steps")] {
            let _ = writeln!(s, "<text x=\"8\" y=\"{y}\" fill=\"#555\">{label}</text>");
        }
        // RPO window.
        if let (Some(e), Some(f)) = (self.check.rpo.earliest_lost, fault_at) {
            let (a, b) = (x(e), x(f));
            let _ = writeln!(
                s,
                "<rect class=\"rpo-window\" x=\"{a:.1}\" y=\"10\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#b42318\" fill-opacity=\"0.12\"><title>RPO window: {} of acknowledged writes lost</title></rect>",
                (b - a).max(1.0),
                height - 30.0,
                esc(&secs(self.check.rpo.seconds))
            );
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#b42318\">RPO {}</text>",
                a + 2.0,
                height - 24.0,
                esc(&secs(self.check.rpo.seconds))
            );
        }
        // Traffic histogram.
        let tr = &self.traffic;
        if let Some(first) = tr.first {
            let max = tr.bins.iter().copied().max().unwrap_or(1).max(1) as f64;
            for (i, n) in tr.bins.iter().enumerate() {
                let a = first + Duration::seconds(tr.bin_seconds * i as i64);
                let b = a + Duration::seconds(tr.bin_seconds);
                let h = 60.0 * (*n as f64) / max;
                let _ = writeln!(
                    s,
                    "<rect class=\"traffic\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#2e6fd8\"><title>{n} ops from {}</title></rect>",
                    x(a),
                    80.0 - h,
                    (x(b) - x(a) - 0.5).max(0.5),
                    a.format("%H:%M")
                );
            }
        }
        // Events: backups as ticks.
        for e in &self.events {
            if let EventKind::Backup { detail } = &e.kind {
                let _ = writeln!(
                    s,
                    "<line class=\"backup\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"95\" y2=\"120\" stroke=\"#17803d\" stroke-width=\"2\"><title>{1}</title></line>",
                    x(e.at),
                    esc(detail)
                );
            }
        }
        // Faults.
        for (i, f) in self.faults.iter().enumerate() {
            let fx = x(f.struck_at);
            let label_y = 100.0 + 11.0 * (i % 3) as f64;
            let color = if f.destructive { "#b42318" } else { "#8a6d00" };
            let _ = writeln!(
                s,
                "<line class=\"fault\" x1=\"{fx:.1}\" x2=\"{fx:.1}\" y1=\"10\" y2=\"{:.1}\" stroke=\"{color}\" stroke-width=\"2\"><title>{}: {}</title></line>",
                height - 30.0,
                esc(&f.fault),
                esc(&f.detail)
            );
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{label_y:.1}\" fill=\"{color}\">{} {}</text>",
                fx + 3.0,
                esc(&f.fault),
                f.struck_at.format("%H:%M:%S")
            );
        }
        // Recovery point and steps.
        if let Some(r) = &self.recovery {
            let rx = x(r.restore_to);
            let _ = writeln!(
                s,
                "<line class=\"recovery-point\" x1=\"{rx:.1}\" x2=\"{rx:.1}\" y1=\"10\" y2=\"{:.1}\" stroke=\"#17803d\" stroke-dasharray=\"4 3\" stroke-width=\"2\"><title>recovery point {}</title></line>",
                height - 30.0,
                r.restore_to.to_rfc3339()
            );
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"125\" fill=\"#17803d\" text-anchor=\"end\">recovery point {}</text>",
                rx - 3.0,
                r.restore_to.format("%H:%M:%S")
            );
            for (i, step) in r.checklist.iter().enumerate() {
                let (a, b) = (x(step.target_start), x(step.target_end));
                let y = 140.0 + 16.0 * i as f64;
                let color = match step.status {
                    StepStatus::Done => "#17803d",
                    StepStatus::Failed(_) => "#b42318",
                    StepStatus::Skipped(_) => "#8a6d00",
                };
                let _ = writeln!(
                    s,
                    "<rect class=\"step\" x=\"{a:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{color}\"><title>{}: {}</title></rect>",
                    (b - a).max(2.0),
                    esc(&step.title),
                    esc(&step.detail)
                );
                let _ = writeln!(
                    s,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text>",
                    (a - 4.0).max(LEFT + 200.0),
                    y + 10.0,
                    esc(&step.title)
                );
            }
        }
        // Axis.
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>",
            W - RIGHT,
            height - 12.0,
            height - 12.0
        );
        for i in 0..=5 {
            let t = t0 + Duration::milliseconds((span * i as f64 / 5.0) as i64);
            let anchor = match i {
                0 => "start",
                5 => "end",
                _ => "middle",
            };
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"#555\">{}</text>",
                x(t),
                height - 1.0,
                t.format("%H:%M:%S")
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

/// A team command's output, folded: its exit and the kept tails of its streams.
fn command_output_html(out: &crate::team::process::CommandOutput) -> String {
    let stream = |name: &str, c: &crate::team::process::Captured| {
        if c.text.is_empty() {
            return String::new();
        }
        let cut = if c.truncated_bytes > 0 {
            format!(" (first {} bytes not kept)", c.truncated_bytes)
        } else {
            String::new()
        };
        format!("<p>{name}{cut}:</p><pre>{}</pre>", esc(&c.text))
    };
    format!(
        "<details class=\"command-output\"><summary><code>{}</code> in <code>{}</code>: {}</summary>{}{}</details>\n",
        esc(&out.command_line()),
        esc(&out.dir),
        esc(&out.exit.to_string()),
        stream("stdout", &out.stdout),
        stream("stderr", &out.stderr)
    )
}

/// One layer's counts for the terminal, in terms that add up:
/// `expected = correct + wrong value + missing (+ absent as allowed)`.
pub fn layer_line(l: &crate::checker::LayerResult) -> String {
    let n = l.census;
    let mut line = format!(
        "{:<19} {:<8} {} expected: {} correct, {} wrong value, {} missing",
        l.label(),
        l.verdict.name(),
        l.records_expected,
        n.correct,
        n.wrong_value,
        n.missing
    );
    if n.absent_allowed > 0 {
        line.push_str(&format!(", {} absent (in flight at the fault)", n.absent_allowed));
    }
    line.push_str(&format!("; {} resurrected", n.resurrected));
    if l.lost_writes > 0 {
        line.push_str(&format!("; {} writes lost", l.lost_writes));
    }
    if l.lost_versions > 0 {
        line.push_str(&format!("; {} object versions lost", l.lost_versions));
    }
    if let Some(p) = &l.preloaded {
        line.push_str(&format!("; {}", p.sentence()));
    }
    if l.layer == Layer::Elasticache && l.lost_writes > 0 {
        line.push_str(if l.gone.is_empty() {
            " (no PITR on ElastiCache: lost since the last snapshot)"
        } else {
            " (no session store where the shop now runs: every write is lost)"
        });
    }
    line
}

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A report's layer by name, for callers that look one up.
pub fn layer(r: &Report, l: Layer) -> Option<&crate::checker::LayerResult> {
    r.check.layers.iter().find(|x| x.layer == l)
}

/// Counts anomalies of a kind across the report.
pub fn count(r: &Report, kind: AnomalyKind) -> usize {
    r.check
        .layers
        .iter()
        .flat_map(|l| l.anomalies.iter())
        .chain(r.check.cross_layer.iter())
        .filter(|a| a.kind == kind)
        .count()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::checker::{CheckInput, RecoveryTime, Targets, check};
    use crate::history::{Collection, Key, Value, Write};
    use crate::model::StoreSnapshot;
    use crate::recovery::Step;

    fn t(s: i64) -> DateTime<Utc> {
        "2026-03-15T15:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
    }

    /// A report with traffic, a fault, a lost write and a recovery checklist.
    pub(crate) fn sample() -> Report {
        let mut h = History::new();
        for i in 0..40 {
            let p = h.invoke(
                Process::Client(i % 3),
                OpKind::PlaceOrder,
                vec![Write::put(
                    Key::new(Collection::Orders, format!("o{i}")),
                    Value::row([("total", "5")]),
                )],
                t(i as i64 * 60),
            );
            h.complete(
                p,
                t(i as i64 * 60) + Duration::milliseconds(30),
                Outcome::Ok,
                None,
            );
        }
        h.event(
            t(2820),
            EventKind::Backup {
                detail: "snapshot <nightly>".into(),
            },
        );
        h.event(
            t(2900),
            EventKind::FaultStruck {
                fault: "corrupt_orders".into(),
                detail: "zeroed".into(),
            },
        );
        let mut snap = StoreSnapshot::default();
        for i in 0..39 {
            snap.records.insert(
                Key::new(Collection::Orders, format!("o{i}")),
                Value::row([("total", "5")]),
            );
        }
        snap.read.extend(Collection::ALL);
        let check = check(CheckInput {
            history: &h,
            fault_at: None,
            snapshot: &snap,
            rto: Some(RecoveryTime {
                simulated_seconds: 900.0,
                wall_seconds: 4.2,
            }),
            targets: Targets::default(),
        });
        let step = |title: &str, a: i64, b: i64, status: StepStatus| Step {
            runbook: "rds_pitr".into(),
            title: title.into(),
            detail: format!("{title} ok"),
            status,
            target_start: t(a),
            target_end: t(b),
            wall_offset_seconds: 0.0,
            wall_seconds: 0.5,
            output: None,
        };
        Report {
            scenario: "sample".into(),
            description: "A sample <story> & more".into(),
            file: None,
            target: "embedded".into(),
            policy: "four_layer".into(),
            seed: 7,
            prefix: "fd-sample".into(),
            started: t(0),
            wall_seconds: 5.0,
            traffic: Traffic::from_history(&h),
            setup: Vec::new(),
            faults: vec![FaultRecord {
                fault: "corrupt_orders".into(),
                struck_at: t(2900),
                records: 40,
                detail: "zeroed".into(),
                destructive: true,
                fixed_at: None,
                fix_detail: None,
            }],
            recovery: Some(RecoveryRun {
                name: "firedrill-runbooks".into(),
                restore_to: t(2899),
                started: t(3200),
                ended: t(3800),
                wall_seconds: 4.2,
                checklist: vec![
                    step("wait for LatestRestorableTime", 3200, 3500, StepStatus::Done),
                    step("restore to new instance", 3500, 3700, StepStatus::Done),
                    step("re-point", 3700, 3800, StepStatus::Skipped("not needed".into())),
                ],
                error: None,
            }),
            check,
            protection_lost: Vec::new(),
            business: None,
            detection: None,
            expectation: ExpectationResult {
                expected: "recovered".into(),
                met: false,
                reasons: vec!["1 acknowledged write lost".into()],
            },
            events: h.events().to_vec(),
            skipped: None,
            restore_testing: None,
        }
    }

    #[test]
    fn the_html_page_has_the_timeline_and_the_checklist() {
        let r = sample();
        let html = r.to_html();
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<svg id=\"timeline\""));
        for class in [
            "traffic",
            "fault",
            "recovery-point",
            "step",
            "rpo-window",
            "backup",
        ] {
            assert!(html.contains(&format!("class=\"{class}\"")), "missing {class}");
        }
        assert!(html.contains("id=\"checklist\""));
        assert!(html.contains("wait for LatestRestorableTime"));
        assert!(html.contains("type=\"checkbox\" disabled checked"));
        assert!(html.contains("A sample &lt;story&gt; &amp; more"), "escaped");
        assert!(!html.contains("<script"), "self-contained, no scripts");
        assert!(html.contains("snapshot &lt;nightly&gt;"));
    }

    #[test]
    fn the_rpo_window_ends_at_the_fault() {
        let r = sample();
        assert_eq!(r.check.rpo.earliest_lost, Some(t(39 * 60)));
        let svg = r.timeline_svg();
        assert!(svg.contains("RPO 9m20s"), "2900 s - 2340 s: {svg}");
    }

    #[test]
    fn text_markdown_and_json_carry_the_numbers() {
        let r = sample();
        let text = r.to_text();
        assert!(
            text.starts_with("FAIL sample: data loss: 1 records, 1 writes"),
            "{text}"
        );
        assert!(text.contains("RTO: 15m on the target clock"), "{text}");
        let md = r.to_markdown();
        assert!(md.contains("# Disaster drill: sample"));
        assert!(md.contains("- [x] **restore to new instance**"));
        assert!(md.contains("- [ ] **re-point**"));
        assert!(md.contains("| rds | invalid |"));
        let json = r.to_json();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn a_command_step_shows_its_output_and_the_layers_add_up() {
        use crate::team::process::{Captured, CommandOutput, Exit};
        let mut r = sample();
        let recovery = r.recovery.as_mut().expect("the sample has a recovery");
        recovery.checklist[0].output = Some(CommandOutput {
            argv: vec!["python3".into(), "restore <carts>.py".into()],
            dir: "/work/examples".into(),
            exit: Exit::Exited { code: 3 },
            stdout: Captured::default(),
            stderr: Captured {
                text: "Traceback: <boom> & more\n".into(),
                truncated_bytes: 10,
            },
            wall_seconds: 1.5,
        });
        let html = r.to_html();
        assert!(html.contains("<details class=\"command-output\">"), "{html}");
        assert!(html.contains("restore &lt;carts&gt;.py"));
        assert!(html.contains("exit status 3"));
        assert!(html.contains("Traceback: &lt;boom&gt; &amp; more"));
        assert!(html.contains("first 10 bytes not kept"));
        let back: Report = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r, "command output survives JSON");
        for l in &r.check.layers {
            let line = layer_line(l);
            assert!(
                line.contains(&format!(
                    "{} expected: {} correct",
                    l.records_expected, l.census.correct
                )),
                "{line}"
            );
        }
    }

    #[test]
    fn traffic_is_binned() {
        let r = sample();
        assert_eq!(r.traffic.ok, 40);
        assert_eq!(r.traffic.orders(), 40);
        assert!(r.traffic.bins.len() <= 61);
        assert_eq!(r.traffic.bins.iter().sum::<u64>(), 40);
    }
}
