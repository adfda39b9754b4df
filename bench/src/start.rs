//! How long the embedded emulator takes to start (goal: under 20 ms).

use crate::measure::{BenchResult, ms};
use firedrill_emulator::Emulator;
use std::time::Instant;

/// Starts and stops the emulator 25 times; reports the median start time.
pub async fn emulator_start() -> anyhow::Result<BenchResult> {
    let mut samples = Vec::new();
    for _ in 0..25 {
        let t = Instant::now();
        let emulator = Emulator::builder().start().await?;
        samples.push(ms(t.elapsed()));
        emulator.shutdown().await;
    }
    Ok(BenchResult::new("emulator_start", "ms", samples).goal_at_most(20.0))
}
