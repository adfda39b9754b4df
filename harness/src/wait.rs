//! Bounded waits on AWS states, as real recovery code must do them.
//!
//! AWS resources go through states (`CREATING` -> `ACTIVE`, `creating` ->
//! `available`) and a restore is only possible once `LatestRestorableTime`
//! has passed the target instant. [`wait_for`] polls a probe until it yields a
//! value, with a bound on wall time and on the number of polls, and fails
//! with an error that names what it waited for and the last state it saw.
//! When the target's clock is simulated each poll also advances it, so states
//! that mature with time (a restore window, a backup job) do so in seconds;
//! when the restore-time model has an operation pending, the poll jumps the
//! clock to its completion ([`crate::restore_time::skip_waiting`]).

use crate::target::{Target, advance_if_simulated};
use anyhow::anyhow;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::{Duration as StdDuration, Instant};

/// How to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitOptions {
    /// Give up after this much wall time.
    pub timeout: StdDuration,
    /// Sleep this long between polls.
    pub interval: StdDuration,
    /// Give up after this many polls.
    pub max_polls: u32,
    /// Seconds of simulated time to advance between polls (0: never).
    pub advance_seconds: i64,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: StdDuration::from_secs(120),
            interval: StdDuration::from_millis(100),
            max_polls: 2_000,
            advance_seconds: 10,
        }
    }
}

/// What a probe saw: done with a value, or not yet with the state observed.
#[derive(Debug)]
pub enum Poll<T> {
    /// The wait is over.
    Ready(T),
    /// Not yet; the text says what was observed (it goes into the timeout error).
    Pending(String),
}

/// Polls `probe` until it is ready, a probe fails, or the bounds run out.
pub async fn wait_for<T, F, Fut>(
    target: &dyn Target,
    what: &str,
    opts: &WaitOptions,
    probe: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Poll<T>>>,
{
    poll_until(target, what, opts, true, probe).await
}

/// Like [`wait_for`], for a state the emulator reaches by real work (a
/// database server starting, a restore replaying its log): modelled
/// operations are still jumped over, but the simulated clock is not crept
/// forward between polls, so the real work's seconds pass on the target
/// clock at wall rate instead of [`WaitOptions::advance_seconds`] a poll
/// (a restore replaying gigabytes of log for 40 s would otherwise add an
/// hour to the RTO).
pub async fn wait_for_real_work<T, F, Fut>(
    target: &dyn Target,
    what: &str,
    opts: &WaitOptions,
    probe: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Poll<T>>>,
{
    poll_until(target, what, opts, false, probe).await
}

async fn poll_until<T, F, Fut>(
    target: &dyn Target,
    what: &str,
    opts: &WaitOptions,
    creep: bool,
    mut probe: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Poll<T>>>,
{
    let start = Instant::now();
    let mut last = String::from("nothing observed yet");
    for poll in 0..opts.max_polls.max(1) {
        match probe().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(seen) => last = seen,
        }
        if start.elapsed() >= opts.timeout {
            break;
        }
        tracing::trace!(what, poll, last = %last, "waiting");
        tokio::time::sleep(opts.interval).await;
        // A modelled restore may be minutes from done: jump to its end
        // rather than creep towards it.
        if opts.advance_seconds == 0 {
            continue;
        }
        if !crate::restore_time::skip_waiting(target, chrono::Duration::zero()).await? && creep {
            advance_if_simulated(target, chrono::Duration::seconds(opts.advance_seconds)).await?;
        }
    }
    Err(anyhow!(
        "timed out after {:.1} s waiting for {what}; last observed: {last}",
        start.elapsed().as_secs_f64()
    ))
}
