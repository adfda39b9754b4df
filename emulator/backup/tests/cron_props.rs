//! Properties of the cron scheduler: firing instants over a range are the
//! same whether the clock jumps once or in steps (so a day's jump fires the
//! same runs as 24 hourly ticks), and `next_after` agrees with them.

#![allow(
    clippy::disallowed_methods,
    reason = "tests may build durations with panicking constructors"
)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use firedrill_emu_backup::cron::CronSchedule;
use proptest::prelude::*;

const EXPRESSIONS: [&str; 8] = [
    "cron(0 * ? * * *)",
    "cron(0 5 ? * * *)",
    "cron(30 2 ? * SUN *)",
    "cron(0/15 8-17 ? * MON-FRI *)",
    "cron(0 0 1 * ? *)",
    "cron(0 0 L * ? *)",
    "cron(0 12 ? * 3#2 *)",
    "cron(5,35 */6 ? JAN,MAR,DEC * 2026-2027)",
];

fn instant(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ranges_split_anywhere_give_the_same_instants(
        which in 0usize..EXPRESSIONS.len(),
        a in 0i64..400_000,
        len1 in 0i64..100_000,
        len2 in 0i64..100_000,
    ) {
        let c = CronSchedule::parse(EXPRESSIONS[which]).unwrap();
        let (t0, t1, t2) = (instant(a), instant(a + len1), instant(a + len1 + len2));
        let whole = c.instants_between(t0, t2, 1_000_000);
        let mut parts = c.instants_between(t0, t1, 1_000_000);
        parts.extend(c.instants_between(t1, t2, 1_000_000));
        prop_assert_eq!(&whole, &parts);
        prop_assert!(whole.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(whole.iter().all(|t| *t > t0 && *t <= t2));
        if let Some(first) = whole.first() {
            prop_assert_eq!(c.next_after(t0, 3700), Some(*first));
        }
    }
}
