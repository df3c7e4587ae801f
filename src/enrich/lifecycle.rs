//! The lifecycle stage: when a posting opened (`datePosted`) and when it
//! closes (`validThrough`), as RFC 3339 instants in UTC, whatever form the
//! feed wrote them in.
//!
//! Read forms: RFC 3339 with a zone (`2021-08-13T07:46:03.000Z`,
//! `...+02:00`), ISO 8601 with a zone without its colon (`+0200`), a date
//! and time without a zone, and a date alone. A time without a zone is the
//! local time of the posting's first located workplace (its time zone from
//! the geo stage), else UTC. A date alone opens at the start of that day
//! and, for `validThrough` ("valid through the 20th"), closes at its last
//! second.

use chrono::{
    DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc,
};
use serde::Serialize;

use super::stage::{StageOutcome, Staged};
use super::warning::{Warning, WarningCode};

/// `enrichment.lifecycle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    pub posted_at: Option<String>,
    pub valid_through: Option<String>,
}

/// Which end of a day a date alone stands for.
#[derive(Clone, Copy)]
enum DayEnd {
    Start,
    End,
}

/// The lifecycle stage. Ok when either date was read; failed when a date
/// was given but none could be read; absent when the posting gives none.
/// `zone`: the IANA time zone of the first located workplace.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(
    date_posted: Option<&str>,
    valid_through: Option<&str>,
    zone: Option<&str>,
) -> Staged<Option<Lifecycle>> {
    let zone = zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok());
    let mut warnings = Vec::new();
    let mut read = |field: &str, text: Option<&str>, end: DayEnd| {
        let text = text.map(str::trim).filter(|t| !t.is_empty())?;
        let instant = instant(text, zone, end);
        if instant.is_none() {
            warnings.push(Warning::new(
                WarningCode::LifecycleDateUnreadable,
                format!("{field} {text:?} is not a date"),
            ));
        }
        instant
    };
    let posted = read("datePosted", date_posted, DayEnd::Start);
    let closes = read("validThrough", valid_through, DayEnd::End);
    if let (Some(p), Some(c)) = (posted, closes)
        && c < p
    {
        warnings.push(Warning::new(
            WarningCode::LifecycleValidThroughBeforePosted,
            format!(
                "validThrough {} is before datePosted {}",
                rfc3339(c),
                rfc3339(p)
            ),
        ));
    }
    let lifecycle = (posted.is_some() || closes.is_some()).then(|| Lifecycle {
        posted_at: posted.map(rfc3339),
        valid_through: closes.map(rfc3339),
    });
    let outcome = if lifecycle.is_some() {
        StageOutcome::Ok
    } else if warnings.is_empty() {
        StageOutcome::Absent
    } else {
        StageOutcome::Failed
    };
    Staged::with_warnings(lifecycle, outcome, warnings)
}

/// Whole seconds stay whole ("...:03Z", not "...:03.000Z").
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn instant(text: &str, zone: Option<chrono_tz::Tz>, end: DayEnd) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .or_else(|| {
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        let time = match end {
            DayEnd::Start => NaiveTime::MIN,
            DayEnd::End => NaiveTime::from_hms_opt(23, 59, 59)?,
        };
        Some(day.and_time(time))
    })?;
    Some(match zone {
        Some(zone) => match zone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            // A time a clock change repeated: its first reading; one the
            // change skipped never happened there, and is read as UTC.
            LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => local.and_utc(),
        },
        None => local.and_utc(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifecycle(
        posted: Option<&str>,
        valid: Option<&str>,
        zone: Option<&str>,
    ) -> Staged<Option<Lifecycle>> {
        run(posted, valid, zone)
    }

    fn codes(s: &Staged<Option<Lifecycle>>) -> Vec<WarningCode> {
        s.warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn instants_with_a_zone_become_utc() {
        let s = lifecycle(
            Some("2021-08-21T04:00:20.000Z"),
            Some("2021-09-20T06:00:20+02:00"),
            Some("America/Los_Angeles"),
        );
        assert_eq!(s.outcome, StageOutcome::Ok);
        assert_eq!(
            s.value,
            Some(Lifecycle {
                posted_at: Some("2021-08-21T04:00:20Z".into()),
                valid_through: Some("2021-09-20T04:00:20Z".into()),
            })
        );
        let s = lifecycle(Some("2021-08-21T04:00:20.250+0000"), None, None);
        assert_eq!(
            s.value.unwrap().posted_at.as_deref(),
            Some("2021-08-21T04:00:20.250Z")
        );
    }

    #[test]
    fn times_without_a_zone_are_the_workplace_s_local_time() {
        let s = lifecycle(Some("2021-08-21 09:30:00"), None, Some("America/New_York"));
        assert_eq!(
            s.value.unwrap().posted_at.as_deref(),
            Some("2021-08-21T13:30:00Z")
        );
        let s = lifecycle(Some("2021-08-21T09:30:00"), None, None);
        assert_eq!(
            s.value.unwrap().posted_at.as_deref(),
            Some("2021-08-21T09:30:00Z")
        );
    }

    #[test]
    fn a_date_alone_opens_at_the_start_and_closes_at_the_end_of_its_day() {
        let s = lifecycle(
            Some("2021-08-21"),
            Some("2021-09-20"),
            Some("Europe/Berlin"),
        );
        let value = s.value.unwrap();
        assert_eq!(value.posted_at.as_deref(), Some("2021-08-20T22:00:00Z"));
        assert_eq!(value.valid_through.as_deref(), Some("2021-09-20T21:59:59Z"));
    }

    #[test]
    fn unreadable_and_backwards_dates_are_warned() {
        let s = lifecycle(Some("last Tuesday"), None, None);
        assert_eq!(s.outcome, StageOutcome::Failed);
        assert_eq!(s.value, None);
        assert_eq!(codes(&s), [WarningCode::LifecycleDateUnreadable]);
        let s = lifecycle(Some("2021-08-21"), Some("soon"), None);
        assert_eq!(s.outcome, StageOutcome::Ok);
        assert_eq!(codes(&s), [WarningCode::LifecycleDateUnreadable]);
        let s = lifecycle(
            Some("2021-09-21T00:00:00Z"),
            Some("2021-08-21T00:00:00Z"),
            None,
        );
        assert_eq!(codes(&s), [WarningCode::LifecycleValidThroughBeforePosted]);
        assert!(s.value.unwrap().valid_through.is_some(), "kept as stated");
    }

    #[test]
    fn no_dates_is_absent() {
        for (posted, valid) in [(None, None), (Some(" "), Some(""))] {
            let s = lifecycle(posted, valid, None);
            assert_eq!(s.outcome, StageOutcome::Absent);
            assert_eq!(s.value, None);
            assert!(s.warnings.is_empty());
        }
    }
}
