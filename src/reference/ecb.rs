//! The ECB's euro foreign exchange reference rates as it publishes them,
//! turned into the project's rates file (`config/fx-rates.toml`'s shape):
//! what `posting-enricher fx-rates --from FILE` does, so a daily refresh
//! needs no hand editing.
//!
//! Two shapes are read, both as the ECB publishes them:
//! - the daily file (`eurofxref.csv` in `eurofxref.zip`): a header
//!   `Date, USD, JPY, ...` and one row `30 October 2026, 1.1172, ...`,
//!   each line ending in `, `;
//! - the history (`eurofxref-hist.csv`): the same header without spaces
//!   and one row per day, newest first, `N/A` where a currency was not
//!   quoted. The newest day is taken, never a mix of days.
//!
//! The checks are the loader's ([`FxRates::from_toml`]: every rate finite
//! and positive) and the file's own: a date, three-letter currency codes
//! each named once, as many figures as codes. A file that fails any of
//! them gives an error and no rates: a refresh job must fail rather than
//! write a file the worker would refuse (or, worse, take).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::money::FxRates;

/// What the ECB's file is called in the record's `source`.
const SOURCE: &str = "European Central Bank, euro foreign exchange reference rates";

/// Why a file is not the ECB's reference rates.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EcbCsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the header does not start with \"Date\": {0:?}")]
    NoDateColumn(String),
    #[error("{0:?} in the header is not a currency code (three capital letters)")]
    BadCode(String),
    #[error("{0} is named twice in the header")]
    DuplicateCode(String),
    #[error("no row of rates under the header")]
    NoRows,
    #[error("line {line}: {date:?} is not a date (\"30 October 2026\" or \"2026-10-30\")")]
    BadDate { line: usize, date: String },
    #[error("line {line}: {found} figures for {expected} currencies")]
    WrongWidth {
        line: usize,
        found: usize,
        expected: usize,
    },
    #[error("line {line}: the rate for {code} is {value:?}, not a positive number")]
    BadRate {
        line: usize,
        code: String,
        value: String,
    },
    #[error("line {line}: {date} is there twice")]
    DuplicateDate { line: usize, date: NaiveDate },
    #[error("the newest day ({0}) quotes no currency")]
    NoRates(String),
}

/// The newest day's rates of an ECB reference-rate CSV (daily or history).
pub fn rates_from_ecb_csv(text: &str) -> Result<FxRates, EcbCsvError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let (_, header) = lines.next().ok_or(EcbCsvError::Empty)?;
    let header = header.trim_start_matches('\u{feff}');
    let mut columns = cells(header);
    let first = columns.next().unwrap_or_default();
    if !first.eq_ignore_ascii_case("date") {
        return Err(EcbCsvError::NoDateColumn(first.to_string()));
    }
    let mut codes: Vec<&str> = Vec::new();
    for code in columns {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(EcbCsvError::BadCode(code.to_string()));
        }
        if codes.contains(&code) {
            return Err(EcbCsvError::DuplicateCode(code.to_string()));
        }
        codes.push(code);
    }
    let mut newest: Option<(NaiveDate, HashMap<String, f64>)> = None;
    let mut dates = HashSet::new();
    let mut rows = 0;
    for (line, row) in lines {
        rows += 1;
        let mut figures = cells(row);
        let date_text = figures.next().unwrap_or_default();
        let date = parse_date(date_text).ok_or_else(|| EcbCsvError::BadDate {
            line,
            date: date_text.to_string(),
        })?;
        let figures: Vec<&str> = figures.collect();
        if figures.len() != codes.len() {
            return Err(EcbCsvError::WrongWidth {
                line,
                found: figures.len(),
                expected: codes.len(),
            });
        }
        let mut rates = HashMap::new();
        for (code, value) in codes.iter().zip(figures) {
            // The history marks a currency not quoted that day.
            if value.is_empty() || value == "N/A" {
                continue;
            }
            match value.parse::<f64>() {
                Ok(rate) if rate.is_finite() && rate > 0.0 => {
                    rates.insert(code.to_string(), rate);
                }
                _ => {
                    return Err(EcbCsvError::BadRate {
                        line,
                        code: code.to_string(),
                        value: value.to_string(),
                    });
                }
            }
        }
        if !dates.insert(date) {
            return Err(EcbCsvError::DuplicateDate { line, date });
        }
        if newest.as_ref().is_none_or(|(d, _)| date > *d) {
            newest = Some((date, rates));
        }
    }
    if rows == 0 {
        return Err(EcbCsvError::NoRows);
    }
    let (date, mut rates) = newest.ok_or(EcbCsvError::NoRows)?;
    let date = date.format("%Y-%m-%d").to_string();
    if rates.is_empty() {
        return Err(EcbCsvError::NoRates(date));
    }
    rates.insert("EUR".to_string(), 1.0);
    Ok(FxRates {
        date,
        source: SOURCE.to_string(),
        base: "EUR".to_string(),
        rates,
    })
}

/// A line's comma-separated cells, trimmed; the empty cell after the
/// ECB's one trailing comma is not one.
fn cells(line: &str) -> impl Iterator<Item = &str> {
    let line = line.trim_end();
    let line = line.strip_suffix(',').unwrap_or(line);
    line.split(',').map(str::trim)
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d %B %Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of tests/data/ecb (read, not embedded: tests/ is not in the
    /// image's build context).
    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/data/ecb/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The ECB's daily file of 2026-10-30, byte for byte (provenance in
    /// tests/data/ecb/README.md).
    fn daily() -> String {
        fixture("eurofxref.csv")
    }

    #[test]
    fn the_daily_file_gives_its_day_and_every_rate() {
        let fx = rates_from_ecb_csv(&daily()).unwrap();
        assert_eq!(fx.date, "2026-10-30");
        assert_eq!(fx.base, "EUR");
        // 29 quoted currencies and the euro itself.
        assert_eq!(fx.rates.len(), 30);
        assert_eq!(fx.rates["USD"], 1.1172);
        assert_eq!(fx.rates["JPY"], 175.68);
        assert_eq!(fx.rates["EUR"], 1.0);
    }

    #[test]
    fn the_history_gives_its_newest_day_only() {
        let history = fixture("eurofxref-hist-head.csv");
        let fx = rates_from_ecb_csv(&history).unwrap();
        assert_eq!(fx.date, "2026-10-30");
        assert_eq!(fx.rates["USD"], 1.1172);
        // Not quoted that day ("N/A"): absent, not zero.
        assert!(!fx.rates.contains_key("BGN"));
        assert_eq!(fx.rates.len(), 30);
        // Rows in any order: the newest still wins.
        let mut lines: Vec<&str> = history.lines().collect();
        lines.swap(1, 2);
        let fx = rates_from_ecb_csv(&lines.join("\n")).unwrap();
        assert_eq!(fx.date, "2026-10-30");
    }

    #[test]
    fn the_daily_file_agrees_with_the_shipped_rates() {
        let shipped = FxRates::from_toml(include_str!("../../config/fx-rates.toml")).unwrap();
        let fx = rates_from_ecb_csv(&daily()).unwrap();
        assert_eq!(fx.date, shipped.date);
        assert_eq!(fx.rates, shipped.rates);
    }

    #[test]
    fn what_the_loader_would_refuse_is_refused_here() {
        let bad = |text: &str| rates_from_ecb_csv(text).unwrap_err();
        assert_eq!(bad(""), EcbCsvError::Empty);
        assert_eq!(bad("Date, USD, \n"), EcbCsvError::NoRows);
        assert!(matches!(
            bad("Day, USD\n30 October 2026, 1.1"),
            EcbCsvError::NoDateColumn(_)
        ));
        assert!(matches!(
            bad("Date, usd\n30 October 2026, 1.1"),
            EcbCsvError::BadCode(_)
        ));
        assert!(matches!(
            bad("Date, USD, USD\n30 October 2026, 1.1, 1.2"),
            EcbCsvError::DuplicateCode(_)
        ));
        assert!(matches!(
            bad("Date, USD\n31 Octember 2026, 1.1"),
            EcbCsvError::BadDate { line: 2, .. }
        ));
        assert!(matches!(
            bad("Date, USD, JPY\n30 October 2026, 1.1"),
            EcbCsvError::WrongWidth {
                found: 1,
                expected: 2,
                ..
            }
        ));
        for rate in ["0", "-1.1", "inf", "NaN", "1.1x", "abc"] {
            let text = format!("Date, USD\n30 October 2026, {rate}");
            assert!(matches!(bad(&text), EcbCsvError::BadRate { .. }), "{rate}");
        }
        assert!(matches!(
            bad("Date,USD\n2026-10-30,N/A"),
            EcbCsvError::NoRates(_)
        ));
        assert!(matches!(
            bad("Date,USD\n2026-10-30,1.1\n2026-10-30,1.2"),
            EcbCsvError::DuplicateDate { line: 3, .. }
        ));
        // An empty cell is a currency not quoted that day, at the end of a
        // row too (only the one trailing comma is the ECB's).
        let fx = rates_from_ecb_csv("Date, USD, JPY, \n30 October 2026, 1.1, , \n").unwrap();
        assert!(fx.rates.contains_key("USD") && !fx.rates.contains_key("JPY"));
        // A byte-order mark before the header.
        assert!(rates_from_ecb_csv("\u{feff}Date, USD\n30 October 2026, 1.1").is_ok());
    }

    #[test]
    fn the_written_file_loads_as_it_was_read() {
        let fx = rates_from_ecb_csv(&daily()).unwrap();
        let again = FxRates::from_toml(&fx.to_toml()).unwrap();
        assert_eq!(again.date, fx.date);
        assert_eq!(again.base, fx.base);
        assert_eq!(again.source, fx.source);
        assert_eq!(again.rates, fx.rates);
    }
}
