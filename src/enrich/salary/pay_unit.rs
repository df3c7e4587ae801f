//! The period a pay figure is for, and how feeds spell it.

use serde::Serialize;

/// Magnitude checks are made in US dollars, whatever the reporting currency.
pub(super) const HOURLY_CEILING_USD: f64 = 300.0;

pub(super) const YEARLY_FLOOR_USD: f64 = 10_000.0;

/// The period a figure is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayUnit {
    Hour,
    Day,
    Week,
    Biweekly,
    Semimonthly,
    Month,
    Quarter,
    Year,
}

/// Spellings of units seen in feeds, normalized (lower case, letters only).
pub(super) const UNIT_SPELLINGS: &[(&str, PayUnit)] = &[
    ("hour", PayUnit::Hour),
    ("hourly", PayUnit::Hour),
    ("perhour", PayUnit::Hour),
    ("hr", PayUnit::Hour),
    ("hrs", PayUnit::Hour),
    ("anhour", PayUnit::Hour),
    ("day", PayUnit::Day),
    ("daily", PayUnit::Day),
    ("perday", PayUnit::Day),
    ("week", PayUnit::Week),
    ("weekly", PayUnit::Week),
    ("perweek", PayUnit::Week),
    ("wk", PayUnit::Week),
    ("biweekly", PayUnit::Biweekly),
    ("fortnight", PayUnit::Biweekly),
    ("fortnightly", PayUnit::Biweekly),
    ("semimonthly", PayUnit::Semimonthly),
    ("twicemonthly", PayUnit::Semimonthly),
    ("month", PayUnit::Month),
    ("monthly", PayUnit::Month),
    ("permonth", PayUnit::Month),
    ("mo", PayUnit::Month),
    ("quarter", PayUnit::Quarter),
    ("quarterly", PayUnit::Quarter),
    ("year", PayUnit::Year),
    ("yearly", PayUnit::Year),
    ("peryear", PayUnit::Year),
    ("annual", PayUnit::Year),
    ("annually", PayUnit::Year),
    ("annum", PayUnit::Year),
    ("perannum", PayUnit::Year),
    ("pa", PayUnit::Year),
    ("yr", PayUnit::Year),
];

impl PayUnit {
    pub fn parse(text: &str) -> Option<PayUnit> {
        let norm: String = text
            .chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_lowercase)
            .collect();
        UNIT_SPELLINGS
            .iter()
            .find(|(s, _)| *s == norm)
            .map(|&(_, u)| u)
    }

    /// How many of this unit make a year under the working-time constants
    /// (`enrich.salary.hours_per_week`, `weeks_per_year`).
    pub fn per_year(self, hours_per_week: f64, weeks_per_year: f64) -> f64 {
        let days_per_week = 5.0;
        match self {
            PayUnit::Hour => hours_per_week * weeks_per_year,
            PayUnit::Day => days_per_week * weeks_per_year,
            PayUnit::Week => weeks_per_year,
            PayUnit::Biweekly => 26.0,
            PayUnit::Semimonthly => 24.0,
            PayUnit::Month => 12.0,
            PayUnit::Quarter => 4.0,
            PayUnit::Year => 1.0,
        }
    }
}

pub(super) fn unit_name(u: PayUnit) -> &'static str {
    match u {
        PayUnit::Hour => "HOUR",
        PayUnit::Day => "DAY",
        PayUnit::Week => "WEEK",
        PayUnit::Biweekly => "BIWEEKLY",
        PayUnit::Semimonthly => "SEMIMONTHLY",
        PayUnit::Month => "MONTH",
        PayUnit::Quarter => "QUARTER",
        PayUnit::Year => "YEAR",
    }
}
