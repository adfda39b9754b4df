//! Checked time arithmetic for the engine: a client's number of days or
//! years (Object Lock retention, lifecycle rules) meets an instant here and
//! gives `None`, or "never", instead of a panic. chrono's panicking
//! constructors are forbidden in this crate by its `clippy.toml`, and
//! `DateTime + TimeDelta` by `clippy::arithmetic_side_effects` in the engine.

#![warn(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Months, TimeDelta, Utc};

/// The instant that stands for "never": the last one chrono can hold.
pub const NEVER: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

/// `t` plus `days`, if chrono can hold the sum.
pub fn after_days(t: DateTime<Utc>, days: i64) -> Option<DateTime<Utc>> {
    TimeDelta::try_days(days).and_then(|d| t.checked_add_signed(d))
}

/// `t` plus `years` calendar years, if chrono can hold the sum.
pub fn after_years(t: DateTime<Utc>, years: i64) -> Option<DateTime<Utc>> {
    let months = u32::try_from(years).ok()?.checked_mul(12)?;
    t.checked_add_months(Months::new(months))
}

/// `t` plus `d`, or [`NEVER`] when chrono cannot hold the sum.
pub fn saturating_after(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(NEVER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_numbers_give_none_instead_of_panicking() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert!(after_days(now, i64::from(i32::MAX)).is_none());
        assert!(after_days(now, 365_000_000).is_none());
        assert!(after_years(now, i64::from(i32::MAX)).is_none());
        assert!(after_years(now, -1).is_none());
        assert_eq!(saturating_after(NEVER, TimeDelta::nanoseconds(1)), NEVER);
        assert_eq!(
            after_years(now, 100).map(|t| t.to_rfc3339()).as_deref(),
            Some("2070-01-01T00:00:00+00:00")
        );
        assert_eq!(after_days(now, 1).map(|t| t.timestamp()), Some(86_400));
    }
}
