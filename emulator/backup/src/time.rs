//! Checked time arithmetic: every place a client's number (a window in
//! minutes, a lifecycle in days) or a configured duration meets an instant
//! goes through here, so an out-of-range value gives `None` instead of a
//! panic. chrono's panicking constructors (`TimeDelta::days`, `minutes`,
//! ...) are forbidden in this crate by its `clippy.toml`, and
//! `DateTime + TimeDelta` by `clippy::arithmetic_side_effects` in the
//! modules where dates meet numbers (engine, model, scheduler, time).

// Dates meet client numbers here: no operator that can overflow or panic
// (`DateTime + TimeDelta`, unchecked integer arithmetic); see `crate::time`.
#![warn(clippy::arithmetic_side_effects)]

use chrono::{DateTime, TimeDelta, Utc};

/// `t` plus `minutes`, if that is an instant chrono can hold.
pub fn after_minutes(t: DateTime<Utc>, minutes: i64) -> Option<DateTime<Utc>> {
    TimeDelta::try_minutes(minutes).and_then(|d| t.checked_add_signed(d))
}

/// `t` plus `days`, if that is an instant chrono can hold.
pub fn after_days(t: DateTime<Utc>, days: i64) -> Option<DateTime<Utc>> {
    TimeDelta::try_days(days).and_then(|d| t.checked_add_signed(d))
}

/// `t` minus `days`, if that is an instant chrono can hold.
pub fn before_days(t: DateTime<Utc>, days: i64) -> Option<DateTime<Utc>> {
    TimeDelta::try_days(days).and_then(|d| t.checked_sub_signed(d))
}

/// `t` plus `d`, if that is an instant chrono can hold.
pub fn after(t: DateTime<Utc>, d: TimeDelta) -> Option<DateTime<Utc>> {
    t.checked_add_signed(d)
}

/// `t` plus `d`, or the last instant chrono can hold (that is, never) when
/// the sum is past it.
pub fn saturating_after(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    after(t, d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_numbers_give_none_instead_of_panicking() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert!(after_minutes(now, 1 << 62).is_none());
        assert!(after_minutes(now, i64::MAX).is_none());
        assert!(after_days(now, 200_000_000_000_000).is_none());
        assert!(after_days(now, i64::MAX).is_none());
        assert!(before_days(now, i64::MIN).is_none());
        assert!(after(DateTime::<Utc>::MAX_UTC, TimeDelta::nanoseconds(1)).is_none());
        assert_eq!(
            saturating_after(DateTime::<Utc>::MAX_UTC, TimeDelta::nanoseconds(1)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            after_days(now, 1).map(|t| t.timestamp()),
            Some(86_400),
            "in-range numbers still add"
        );
    }
}
