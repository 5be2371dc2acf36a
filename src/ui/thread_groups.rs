//! Which sidebar group a thread belongs to: Pinned, Today, Yesterday, Last 7
//! days, Last 30 days or Older, by local calendar day.

use chrono::{DateTime, TimeZone};

/// A sidebar group, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Pinned by the user, whatever their age.
    Pinned,
    /// Changed today.
    Today,
    /// Changed yesterday.
    Yesterday,
    /// Changed in the 7 days before yesterday.
    Last7Days,
    /// Changed in the 30 days before today.
    Last30Days,
    /// Anything earlier.
    Older,
}

impl Group {
    /// The heading shown above the group.
    #[must_use]
    pub fn heading(self) -> &'static str {
        match self {
            Self::Pinned => "Pinned",
            Self::Today => "Today",
            Self::Yesterday => "Yesterday",
            Self::Last7Days => "Last 7 days",
            Self::Last30Days => "Last 30 days",
            Self::Older => "Older",
        }
    }
}

/// The group of a thread last changed at `updated_ms`, seen at `now` in `now`'s
/// time zone.
#[must_use]
pub fn group_of<Tz: TimeZone>(pinned: bool, updated_ms: u64, now: &DateTime<Tz>) -> Group {
    if pinned {
        return Group::Pinned;
    }
    let millis = i64::try_from(updated_ms).unwrap_or(i64::MAX);
    let Some(updated) = now.timezone().timestamp_millis_opt(millis).single() else {
        return Group::Older;
    };
    let days = (now.date_naive() - updated.date_naive()).num_days();
    match days {
        ..=0 => Group::Today,
        1 => Group::Yesterday,
        2..=7 => Group::Last7Days,
        8..=30 => Group::Last30Days,
        _ => Group::Older,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(tz: &FixedOffset, y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
        tz.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap()
    }

    fn ms(t: &DateTime<FixedOffset>) -> u64 {
        u64::try_from(t.timestamp_millis()).unwrap()
    }

    #[test]
    fn groups_follow_local_calendar_days() {
        let tz = FixedOffset::east_opt(5 * 3600).unwrap();
        let now = at(&tz, 2026, 11, 25, 0);
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 11, 25, 0)), &now), Group::Today);
        // One hour before local midnight is yesterday even though it is minutes ago.
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 11, 24, 23)), &now), Group::Yesterday);
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 11, 23, 12)), &now), Group::Last7Days);
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 11, 18, 12)), &now), Group::Last7Days);
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 11, 17, 12)), &now), Group::Last30Days);
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 10, 26, 12)), &now), Group::Last30Days);
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 10, 25, 12)), &now), Group::Older);
        assert_eq!(group_of(true, 0, &now), Group::Pinned);
    }

    #[test]
    fn future_stamps_from_a_fast_clock_count_as_today() {
        let tz = FixedOffset::east_opt(0).unwrap();
        let now = at(&tz, 2026, 11, 25, 10);
        assert_eq!(group_of(false, ms(&at(&tz, 2026, 11, 27, 10)), &now), Group::Today);
    }
}
