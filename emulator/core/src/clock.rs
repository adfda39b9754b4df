//! The one clock every emulated service reads.
//!
//! In `Real` mode the clock is the wall clock. In `Simulated` mode it starts at
//! a chosen instant, runs at the wall clock's rate, and jumps forward when a
//! scenario advances it, so that a day of traffic or a 35-day retention limit
//! passes in seconds while code that polls for a state change still sees time
//! move.
//!
//! Because a simulated clock only ever jumps forward, emulator time is a
//! monotone function of wall time. [`Clock::wall_time_for`] inverts it: real
//! engines that stamp their own commits (PostgreSQL) are restored to the wall
//! instant that corresponds to an emulator instant.

use chrono::{DateTime, Duration, Utc};
use parking_lot::RwLock;
use std::sync::Arc;
use tokio::sync::watch;

/// Whether the clock follows the wall clock or is driven by the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// Emulator time is wall time.
    Real,
    /// Emulator time is wall time plus an offset that grows when advanced.
    Simulated,
}

/// Why the clock refused a change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    /// Only a simulated clock can be advanced.
    #[error(
        "the emulator clock is in real mode and cannot be advanced; start the emulator with a simulated clock"
    )]
    RealClock,
    /// Time never runs backwards.
    #[error("the clock can only move forward (asked to advance by {0} seconds)")]
    Backwards(i64),
}

/// One forward jump of a simulated clock: from `wall` on, the offset is `offset`.
#[derive(Debug, Clone, Copy)]
struct Jump {
    wall: DateTime<Utc>,
    offset: Duration,
}

#[derive(Debug)]
struct Inner {
    mode: ClockMode,
    /// Jumps in wall-time order; the first one sets the start instant.
    jumps: RwLock<Vec<Jump>>,
    changed: watch::Sender<DateTime<Utc>>,
}

/// A cheaply cloneable handle to the emulator clock.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

impl Clock {
    /// A clock that is the wall clock.
    pub fn real() -> Self {
        Self::with(ClockMode::Real, Duration::zero())
    }

    /// A simulated clock reading `start` now.
    pub fn simulated(start: DateTime<Utc>) -> Self {
        Self::with(ClockMode::Simulated, start - Utc::now())
    }

    fn with(mode: ClockMode, offset: Duration) -> Self {
        let wall = Utc::now();
        let (changed, _) = watch::channel(wall + offset);
        Self {
            inner: Arc::new(Inner {
                mode,
                jumps: RwLock::new(vec![Jump { wall, offset }]),
                changed,
            }),
        }
    }

    /// The clock's mode.
    pub fn mode(&self) -> ClockMode {
        self.inner.mode
    }

    /// The current emulator instant.
    pub fn now(&self) -> DateTime<Utc> {
        let wall = Utc::now();
        let offset = self
            .inner
            .jumps
            .read()
            .last()
            .map(|j| j.offset)
            .unwrap_or_default();
        wall + offset
    }

    /// Moves a simulated clock forward by `by` and returns the new instant.
    ///
    /// Most callers should advance through the emulator handle or the admin
    /// API instead, which also lets every service act on the elapsed time
    /// before returning.
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, ClockError> {
        if self.inner.mode == ClockMode::Real {
            return Err(ClockError::RealClock);
        }
        if by < Duration::zero() {
            return Err(ClockError::Backwards(by.num_seconds()));
        }
        let now = {
            let mut jumps = self.inner.jumps.write();
            let wall = Utc::now();
            let offset = jumps.last().map(|j| j.offset).unwrap_or_default() + by;
            jumps.push(Jump { wall, offset });
            wall + offset
        };
        self.inner.changed.send_replace(now);
        Ok(now)
    }

    /// Moves a simulated clock forward to `instant` (no-op when already past it).
    pub fn advance_to(&self, instant: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        let now = self.now();
        if instant <= now {
            if self.inner.mode == ClockMode::Real {
                return Err(ClockError::RealClock);
            }
            return Ok(now);
        }
        self.advance(instant - now)
    }

    /// A receiver notified with the new instant each time the clock jumps.
    pub fn subscribe(&self) -> watch::Receiver<DateTime<Utc>> {
        self.inner.changed.subscribe()
    }

    /// The wall-clock instant at which the emulator clock read `emulated`.
    ///
    /// When `emulated` fell inside a jump (the clock skipped over it), the
    /// answer is the wall instant of that jump: everything stamped before the
    /// jump happened at or before `emulated`. Instants in the future map to
    /// the future at the current offset.
    pub fn wall_time_for(&self, emulated: DateTime<Utc>) -> DateTime<Utc> {
        let jumps = self.inner.jumps.read();
        // Walk backwards to the segment whose emulated range contains the instant.
        for (i, jump) in jumps.iter().enumerate().rev() {
            let segment_start = jump.wall + jump.offset;
            if emulated >= segment_start {
                return emulated - jump.offset;
            }
            if let Some(previous) = i.checked_sub(1).and_then(|p| jumps.get(p)) {
                let previous_end = jump.wall + previous.offset;
                if emulated >= previous_end {
                    // Skipped over by this jump.
                    return jump.wall;
                }
            }
        }
        emulated - jumps.first().map(|j| j.offset).unwrap_or_default()
    }

    /// The emulator instant that corresponds to the wall instant `wall`.
    pub fn emulated_time_for(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        let jumps = self.inner.jumps.read();
        let offset = jumps
            .iter()
            .rev()
            .find(|j| j.wall <= wall)
            .or(jumps.first())
            .map(|j| j.offset)
            .unwrap_or_default();
        wall + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn real_clock_cannot_advance() {
        let clock = Clock::real();
        assert_eq!(clock.advance(Duration::seconds(1)), Err(ClockError::RealClock));
        let drift = (clock.now() - Utc::now()).num_milliseconds().abs();
        assert!(drift < 1000, "real clock drifted {drift} ms from wall time");
    }

    #[test]
    fn simulated_clock_starts_where_asked_and_advances() {
        let clock = Clock::simulated(instant("2026-03-14T15:00:00Z"));
        let start = clock.now();
        assert!((start - instant("2026-03-14T15:00:00Z")).num_seconds() < 2);
        let after = clock.advance(Duration::hours(3)).unwrap();
        assert!(after - start >= Duration::hours(3));
        assert!(clock.advance(Duration::seconds(-1)).is_err());
    }

    #[test]
    fn wall_time_round_trips_and_skipped_instants_map_to_the_jump() {
        let clock = Clock::simulated(instant("2026-03-14T15:00:00Z"));
        let before = clock.now();
        let wall_before = clock.wall_time_for(before);
        assert_eq!(clock.emulated_time_for(wall_before), before);

        clock.advance(Duration::hours(1)).unwrap();
        let jump_wall = clock.inner.jumps.read().last().unwrap().wall;
        let skipped = before + Duration::minutes(30);
        assert_eq!(clock.wall_time_for(skipped), jump_wall);

        let after = clock.now();
        let wall_after = clock.wall_time_for(after);
        assert_eq!(clock.emulated_time_for(wall_after), after);
        assert!(wall_after >= jump_wall);
    }

    #[tokio::test]
    async fn subscribers_hear_jumps() {
        let clock = Clock::simulated(instant("2026-01-01T00:00:00Z"));
        let mut rx = clock.subscribe();
        let now = clock.advance(Duration::days(1)).unwrap();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), now);
    }
}
