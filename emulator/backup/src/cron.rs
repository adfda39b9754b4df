//! AWS's six-field cron expressions, as AWS Backup rules take them:
//! `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, in UTC.
//!
//! Supported: `*`, `?`, lists (`,`), ranges (`-`), increments (`/`, as in
//! `0/15` or `*/5`), month names (`JAN`-`DEC`), weekday names (`SUN`-`SAT`,
//! with `1` = Sunday as in AWS), `L` in day-of-month (last day of the
//! month), `nL` and `n#k` in day-of-week (last / k-th weekday n of the
//! month). One of day-of-month and day-of-week must be `?`, as AWS requires.
//! `W` (nearest weekday) is refused as not supported by firedrill.
//!
//! [`CronSchedule::instants_between`] lists the firing instants in a time
//! range, which is what the scheduler needs after a clock jump.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use std::fmt;

/// Why an expression is not a cron expression AWS Backup accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid schedule expression {expression:?}: {reason}")]
pub struct CronError {
    /// The expression as given.
    pub expression: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The set of values one field allows, over `lo..=hi`.
#[derive(Clone, PartialEq, Eq)]
struct ValueSet {
    lo: u32,
    allowed: Vec<bool>,
}

impl ValueSet {
    fn contains(&self, v: u32) -> bool {
        v >= self.lo && self.allowed.get((v - self.lo) as usize).copied().unwrap_or(false)
    }

    fn values(&self) -> impl Iterator<Item = u32> + '_ {
        self.allowed
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(i, _)| self.lo + i as u32)
    }
}

/// What the day-of-month field says.
#[derive(Clone, PartialEq, Eq)]
enum DayOfMonth {
    /// `?`: the day-of-week field decides.
    Unspecified,
    /// A set of days (`*` is all of them).
    Days(ValueSet),
    /// `L`: the month's last day.
    Last,
}

/// What the day-of-week field says (AWS numbering: 1 = Sunday .. 7 = Saturday).
#[derive(Clone, PartialEq, Eq)]
enum DayOfWeek {
    /// `?`: the day-of-month field decides.
    Unspecified,
    /// A set of weekdays (`*` is all of them).
    Days(ValueSet),
    /// `nL`: the last weekday `n` of the month.
    Last(u32),
    /// `n#k`: the `k`-th weekday `n` of the month.
    Nth(u32, u32),
}

/// A parsed AWS cron expression.
#[derive(Clone, PartialEq, Eq)]
pub struct CronSchedule {
    source: String,
    minutes: ValueSet,
    hours: ValueSet,
    day_of_month: DayOfMonth,
    months: ValueSet,
    day_of_week: DayOfWeek,
    years: ValueSet,
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({})", self.source)
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The last year AWS's cron syntax allows.
const MAX_YEAR: u32 = 2199;

fn parse_value(token: &str, names: &[&str], name_base: u32) -> Option<u32> {
    if let Ok(v) = token.parse::<u32>() {
        return Some(v);
    }
    let upper = token.to_ascii_uppercase();
    names
        .iter()
        .position(|n| *n == upper)
        .map(|i| i as u32 + name_base)
}

fn parse_set(field: &str, lo: u32, hi: u32, names: &[&str], name_base: u32) -> Result<ValueSet, String> {
    let mut allowed = vec![false; (hi - lo + 1) as usize];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("bad increment {s:?} in {part:?}"))?;
                if step == 0 {
                    return Err(format!("increment 0 in {part:?}"));
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (start, end) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            let a = parse_value(a, names, name_base).ok_or_else(|| format!("bad value {a:?}"))?;
            let b = parse_value(b, names, name_base).ok_or_else(|| format!("bad value {b:?}"))?;
            (a, b)
        } else {
            let v = parse_value(range, names, name_base).ok_or_else(|| format!("bad value {range:?}"))?;
            // `5/10` means from 5 to the end in steps of 10.
            if part.contains('/') { (v, hi) } else { (v, v) }
        };
        if start < lo || end > hi || start > end {
            return Err(format!("{part:?} is outside {lo}-{hi}"));
        }
        // `start..=end` lies within `lo..=hi` (checked above), so every slot
        // exists; a step past the end (`0/4294967295`) stops after `start`.
        let mut v = start;
        while v <= end {
            if let Some(slot) = allowed.get_mut((v - lo) as usize) {
                *slot = true;
            }
            let Some(next) = v.checked_add(step) else {
                break;
            };
            v = next;
        }
    }
    Ok(ValueSet { lo, allowed })
}

impl CronSchedule {
    /// Parses `cron(...)` (the wrapper is required, as AWS Backup requires it).
    pub fn parse(expression: &str) -> Result<Self, CronError> {
        let err = |reason: String| CronError {
            expression: expression.to_owned(),
            reason,
        };
        let trimmed = expression.trim();
        let inner = trimmed
            .strip_prefix("cron(")
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(|| err("expected cron(Minutes Hours Day-of-month Month Day-of-week Year)".into()))?;
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let &[
            minutes_field,
            hours_field,
            dom_field,
            months_field,
            dow_field,
            years_field,
        ] = fields.as_slice()
        else {
            return Err(err(format!("expected 6 fields, found {}", fields.len())));
        };
        let minutes = parse_set(minutes_field, 0, 59, &[], 0).map_err(|r| err(format!("minutes: {r}")))?;
        let hours = parse_set(hours_field, 0, 23, &[], 0).map_err(|r| err(format!("hours: {r}")))?;
        let day_of_month = match dom_field {
            "?" => DayOfMonth::Unspecified,
            "L" | "l" => DayOfMonth::Last,
            f if f.to_ascii_uppercase().contains('W') => {
                return Err(err(
                    "the W (nearest weekday) option is not supported by firedrill".into(),
                ));
            }
            f => {
                DayOfMonth::Days(parse_set(f, 1, 31, &[], 0).map_err(|r| err(format!("day-of-month: {r}")))?)
            }
        };
        let months = parse_set(months_field, 1, 12, &MONTHS, 1).map_err(|r| err(format!("month: {r}")))?;
        let dow_field = dow_field.to_ascii_uppercase();
        let day_of_week = if dow_field == "?" {
            DayOfWeek::Unspecified
        } else if let Some((d, k)) = dow_field.split_once('#') {
            let d = parse_value(d, &WEEKDAYS, 1)
                .filter(|d| (1..=7).contains(d))
                .ok_or_else(|| err(format!("day-of-week: bad weekday {d:?}")))?;
            let k: u32 = k
                .parse()
                .ok()
                .filter(|k| (1..=5).contains(k))
                .ok_or_else(|| err(format!("day-of-week: bad week number {k:?}")))?;
            DayOfWeek::Nth(d, k)
        } else if dow_field == "L" {
            DayOfWeek::Last(7)
        } else if let Some(d) = dow_field.strip_suffix('L') {
            let d = parse_value(d, &WEEKDAYS, 1)
                .filter(|d| (1..=7).contains(d))
                .ok_or_else(|| err(format!("day-of-week: bad weekday {d:?}")))?;
            DayOfWeek::Last(d)
        } else {
            DayOfWeek::Days(
                parse_set(&dow_field, 1, 7, &WEEKDAYS, 1).map_err(|r| err(format!("day-of-week: {r}")))?,
            )
        };
        match (&day_of_month, &day_of_week) {
            (DayOfMonth::Unspecified, DayOfWeek::Unspecified) => {
                return Err(err("day-of-month and day-of-week cannot both be ?".into()));
            }
            (DayOfMonth::Unspecified, _) | (_, DayOfWeek::Unspecified) => {}
            _ => {
                return Err(err(
                    "one of day-of-month and day-of-week must be ? (you cannot specify both)".into(),
                ));
            }
        }
        let years = parse_set(years_field, 1970, MAX_YEAR, &[], 0).map_err(|r| err(format!("year: {r}")))?;
        Ok(Self {
            source: trimmed.to_owned(),
            minutes,
            hours,
            day_of_month,
            months,
            day_of_week,
            years,
        })
    }

    /// Whether the schedule fires on `date` (at some hour and minute).
    pub fn matches_date(&self, date: NaiveDate) -> bool {
        if !self.years.contains(date.year() as u32) || !self.months.contains(date.month()) {
            return false;
        }
        let last_day = last_day_of_month(date);
        let dom_ok = match &self.day_of_month {
            DayOfMonth::Unspecified => true,
            DayOfMonth::Days(set) => set.contains(date.day()),
            DayOfMonth::Last => date.day() == last_day,
        };
        // AWS numbers weekdays from Sunday = 1.
        let weekday = date.weekday().num_days_from_sunday() + 1;
        let dow_ok = match &self.day_of_week {
            DayOfWeek::Unspecified => true,
            DayOfWeek::Days(set) => set.contains(weekday),
            DayOfWeek::Last(d) => weekday == *d && date.day() + 7 > last_day,
            DayOfWeek::Nth(d, k) => weekday == *d && (date.day() - 1) / 7 + 1 == *k,
        };
        dom_ok && dow_ok
    }

    /// The firing instants `t` with `after < t <= upto`, oldest first, at
    /// most `limit` of them.
    pub fn instants_between(
        &self,
        after: DateTime<Utc>,
        upto: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        if upto <= after {
            return out;
        }
        let mut date = after.date_naive();
        let last = upto.date_naive();
        while date <= last && out.len() < limit {
            if self.matches_date(date) {
                for hour in self.hours.values() {
                    for minute in self.minutes.values() {
                        let Some(naive) = date.and_hms_opt(hour, minute, 0) else {
                            continue;
                        };
                        let t = Utc.from_utc_datetime(&naive);
                        if t > after && t <= upto && out.len() < limit {
                            out.push(t);
                        }
                    }
                }
            }
            let Some(next) = date.checked_add_days(Days::new(1)) else {
                break;
            };
            date = next;
        }
        out
    }

    /// The next firing instant strictly after `after`, looking at most
    /// `horizon_days` ahead.
    pub fn next_after(&self, after: DateTime<Utc>, horizon_days: u64) -> Option<DateTime<Utc>> {
        let mut date = after.date_naive();
        for _ in 0..=horizon_days {
            if self.matches_date(date) {
                for hour in self.hours.values() {
                    for minute in self.minutes.values() {
                        let t = Utc.from_utc_datetime(&date.and_hms_opt(hour, minute, 0)?);
                        if t > after {
                            return Some(t);
                        }
                    }
                }
            }
            date = date.checked_add_days(Days::new(1))?;
        }
        None
    }
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// Used by tests and callers that want a weekday by name.
pub fn aws_weekday_number(day: Weekday) -> u32 {
    day.num_days_from_sunday() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_step_past_u32_fires_at_its_start_only() {
        // 5 + 4294967295 overflowed u32 and panicked the parse.
        let c = CronSchedule::parse("cron(5/4294967295 * ? * * *)").unwrap();
        let got = c.instants_between(at("2026-03-14T00:00:00Z"), at("2026-03-14T03:00:00Z"), 100);
        assert_eq!(
            got,
            vec![
                at("2026-03-14T00:05:00Z"),
                at("2026-03-14T01:05:00Z"),
                at("2026-03-14T02:05:00Z")
            ]
        );
    }

    #[test]
    fn daily_at_five_fires_once_a_day() {
        let c = CronSchedule::parse("cron(0 5 ? * * *)").unwrap();
        let got = c.instants_between(at("2026-03-14T12:00:00Z"), at("2026-03-16T12:00:00Z"), 100);
        assert_eq!(got, vec![at("2026-03-15T05:00:00Z"), at("2026-03-16T05:00:00Z")]);
    }

    #[test]
    fn hourly_fires_24_times_a_day_in_order_and_bounds_are_half_open() {
        let c = CronSchedule::parse("cron(0 * ? * * *)").unwrap();
        let got = c.instants_between(at("2026-03-14T12:00:00Z"), at("2026-03-15T12:00:00Z"), 100);
        assert_eq!(got.len(), 24);
        assert_eq!(got[0], at("2026-03-14T13:00:00Z"));
        assert_eq!(got[23], at("2026-03-15T12:00:00Z"));
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            c.instants_between(at("2026-03-14T12:00:00Z"), at("2026-03-15T12:00:00Z"), 5)
                .len(),
            5
        );
    }

    #[test]
    fn weekly_by_name_and_number_agree() {
        // 2026-03-15 is a Sunday.
        let by_name = CronSchedule::parse("cron(0 3 ? * SUN *)").unwrap();
        let by_number = CronSchedule::parse("cron(0 3 ? * 1 *)").unwrap();
        let from = at("2026-03-01T00:00:00Z");
        let to = at("2026-04-01T00:00:00Z");
        let a = by_name.instants_between(from, to, 100);
        assert_eq!(a, by_number.instants_between(from, to, 100));
        assert_eq!(a.len(), 5);
        assert!(a.contains(&at("2026-03-15T03:00:00Z")));
    }

    #[test]
    fn steps_ranges_lists_and_names() {
        let c = CronSchedule::parse("cron(0/15 8-10 ? JAN-MAR MON,WED,FRI 2026)").unwrap();
        // 2026-03-16 is a Monday.
        let got = c.instants_between(at("2026-03-16T00:00:00Z"), at("2026-03-17T00:00:00Z"), 100);
        assert_eq!(got.len(), 12);
        assert_eq!(got[0], at("2026-03-16T08:00:00Z"));
        assert_eq!(got[1], at("2026-03-16T08:15:00Z"));
        assert!(
            c.instants_between(at("2027-03-15T00:00:00Z"), at("2027-03-17T00:00:00Z"), 100)
                .is_empty()
        );
        let every5 = CronSchedule::parse("cron(*/5 0 1 * ? *)").unwrap();
        assert_eq!(
            every5
                .instants_between(at("2026-03-31T23:00:00Z"), at("2026-04-01T01:00:00Z"), 100)
                .len(),
            12
        );
    }

    #[test]
    fn last_day_and_nth_weekday() {
        let last = CronSchedule::parse("cron(0 0 L * ? *)").unwrap();
        assert_eq!(
            last.next_after(at("2026-02-01T00:00:00Z"), 60),
            Some(at("2026-02-28T00:00:00Z"))
        );
        let second_tuesday = CronSchedule::parse("cron(0 0 ? * 3#2 *)").unwrap();
        assert_eq!(
            second_tuesday.next_after(at("2026-03-01T00:00:00Z"), 60),
            Some(at("2026-03-10T00:00:00Z"))
        );
        let last_friday = CronSchedule::parse("cron(0 0 ? * 6L *)").unwrap();
        assert_eq!(
            last_friday.next_after(at("2026-03-01T00:00:00Z"), 60),
            Some(at("2026-03-27T00:00:00Z"))
        );
    }

    #[test]
    fn bad_expressions_are_refused() {
        for bad in [
            "0 5 ? * * *",
            "cron(0 5 * * *)",
            "cron(0 5 ? * ? *)",
            "cron(0 5 1 * MON *)",
            "cron(60 5 ? * * *)",
            "cron(0 24 ? * * *)",
            "cron(0 5 ? FOO * *)",
            "cron(0/0 5 ? * * *)",
            "cron(0 5 1W * ? *)",
            "rate(1 hour)",
        ] {
            assert!(CronSchedule::parse(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(aws_weekday_number(Weekday::Sun), 1);
    }
}
