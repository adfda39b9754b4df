//! Timing helpers and the result record every benchmark returns.

use serde::Serialize;
use std::time::Duration;

/// One benchmark's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// What was measured.
    pub name: String,
    /// The unit of `median` and `samples`.
    pub unit: &'static str,
    /// The median of the samples.
    pub median: f64,
    /// Every round's figure.
    pub samples: Vec<f64>,
    /// The goal, in words, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// Whether the median meets the goal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal_met: Option<bool>,
    /// Anything a reader needs to interpret the figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl BenchResult {
    /// A result from samples.
    pub fn new(name: impl Into<String>, unit: &'static str, samples: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            unit,
            median: median(&samples),
            samples,
            goal: None,
            goal_met: None,
            note: None,
        }
    }

    /// States a goal: at most `max` (for times).
    pub fn goal_at_most(mut self, max: f64) -> Self {
        self.goal = Some(format!("<= {max} {}", self.unit));
        self.goal_met = Some(self.median <= max);
        self
    }

    /// States a goal: at least `min` (for rates and ratios).
    pub fn goal_at_least(mut self, min: f64) -> Self {
        self.goal = Some(format!(">= {min} {}", self.unit));
        self.goal_met = Some(self.median >= min);
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// The median of `samples` (0 when empty).
pub fn median(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// Milliseconds in a duration.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Operations per second for `ops` operations in `elapsed`.
pub fn rate(ops: usize, elapsed: Duration) -> f64 {
    ops as f64 / elapsed.as_secs_f64().max(1e-9)
}
