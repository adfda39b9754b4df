//! `firedrill check --watch`: the check again every few seconds, each layer
//! shown going from "lost" to "recovered" as the person's commands bring the
//! data back, until every layer is recovered or the watch's time is up
//! (`--watch-timeout`): then it gives up with the last check, whose verdict
//! the command exits on, so a watch left running in CI or a forgotten
//! terminal ends.
//!
//! On a terminal each layer is a spinner line (indicatif) rewritten in
//! place; elsewhere (a pipe, a CI log) a plain line is printed whenever a
//! layer's state changes.

use super::check::{CheckOptions, Checked, check_once};
use crate::checker::{LayerResult, Verdict};
use crate::history::Layer;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

/// How to watch.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// Between two checks.
    pub interval: Duration,
    /// Draw spinners (a terminal) instead of plain lines.
    pub terminal: bool,
    /// Give up after this long (wall clock) with the last check; `None`
    /// watches until recovered.
    pub timeout: Option<Duration>,
}

/// Whether a watch started at `started` has used up `timeout`.
fn time_up(started: Instant, timeout: Option<Duration>) -> bool {
    timeout.is_some_and(|t| started.elapsed() >= t)
}

/// One layer's state, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerState {
    /// `recovered`, `lost` or `unknown`.
    pub word: &'static str,
    /// The counts behind it.
    pub detail: String,
}

/// The state of `layer` in a check (pure).
pub fn layer_state(c: &Checked, layer: Layer) -> LayerState {
    if c.restore_point.is_none() {
        return LayerState {
            word: "waiting",
            detail: "no destructive act yet".to_owned(),
        };
    }
    match c.report.check.layers.iter().find(|l| l.layer == layer) {
        Some(l) => state_of(l),
        None => LayerState {
            word: "unknown",
            detail: c.report.check.unknown.join("; "),
        },
    }
}

fn state_of(l: &LayerResult) -> LayerState {
    let n = &l.census;
    match l.verdict {
        Verdict::Valid => LayerState {
            word: "recovered",
            detail: format!("{} of {} records correct", n.correct, l.records_expected),
        },
        Verdict::Invalid => LayerState {
            word: "lost",
            detail: format!(
                "{} missing, {} wrong, {} resurrected; {} acknowledged writes lost",
                n.missing, n.wrong_value, n.resurrected, l.lost_writes
            ),
        },
        Verdict::Unknown => LayerState {
            word: "unknown",
            detail: l.unknown.join("; "),
        },
    }
}

/// Watches until every layer is recovered or the time is up; returns the
/// last check.
pub async fn watch(options: &CheckOptions, w: WatchOptions) -> anyhow::Result<Checked> {
    let started = Instant::now();
    let bars = w.terminal.then(|| {
        let multi = indicatif::MultiProgress::new();
        let style = indicatif::ProgressStyle::with_template("{spinner} {prefix:>9} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        let bars: BTreeMap<Layer, indicatif::ProgressBar> = Layer::ALL
            .into_iter()
            .map(|layer| {
                let bar = multi.add(indicatif::ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(layer.name());
                bar.set_message("checking...");
                bar.enable_steady_tick(Duration::from_millis(120));
                (layer, bar)
            })
            .collect();
        (multi, bars)
    });
    let mut shown: BTreeMap<Layer, LayerState> = BTreeMap::new();
    let mut notes_shown: Vec<String> = Vec::new();
    loop {
        // A check that cannot run after a first one did (the emulator
        // restarting, say) is said and tried again: the watch outlives it.
        let checked = match check_once(options, true).await {
            Ok(c) => c,
            Err(e) if shown.is_empty() => return Err(e),
            Err(e) if time_up(started, w.timeout) => {
                return Err(e.context(format!(
                    "the watch gave up after {} s (--watch-timeout) while the check could not run",
                    w.timeout.unwrap_or_default().as_secs_f64()
                )));
            }
            Err(e) => {
                let line = format!("check failed, trying again: {e:#}");
                match &bars {
                    Some((multi, _)) => {
                        let _ = multi.println(&line);
                    }
                    None => println!("{line}"),
                }
                tokio::time::sleep(w.interval).await;
                continue;
            }
        };
        for layer in Layer::ALL {
            let state = layer_state(&checked, layer);
            if shown.get(&layer) == Some(&state) {
                continue;
            }
            match &bars {
                Some((_, bars)) => {
                    if let Some(bar) = bars.get(&layer) {
                        bar.set_message(format!("{}: {}", state.word, state.detail));
                    }
                }
                None => {
                    let mut out = std::io::stdout();
                    let _ = writeln!(
                        out,
                        "{} {}: {} ({})",
                        chrono::Utc::now().format("%H:%M:%S"),
                        layer.name(),
                        state.word,
                        state.detail
                    );
                    let _ = out.flush();
                }
            }
            shown.insert(layer, state);
        }
        if bars.is_none() && checked.notes != notes_shown {
            for n in checked.notes.iter().filter(|n| !notes_shown.contains(n)) {
                println!("note: {n}");
            }
            notes_shown = checked.notes.clone();
        }
        if checked.recovered() {
            if let Some((_, bars)) = &bars {
                for bar in bars.values() {
                    bar.finish();
                }
            }
            return Ok(checked);
        }
        if time_up(started, w.timeout) {
            let line = format!(
                "the watch gave up after {} s (--watch-timeout): not every layer is recovered",
                w.timeout.unwrap_or_default().as_secs_f64()
            );
            match &bars {
                Some((multi, bars)) => {
                    for bar in bars.values() {
                        bar.abandon();
                    }
                    let _ = multi.println(&line);
                }
                None => println!("{line}"),
            }
            return Ok(checked);
        }
        tokio::time::sleep(w.interval).await;
    }
}
