//! Salary from the structured fields (`baseSalary`, else `estimatedSalary`):
//! the stated figures and unit, the figures annualized, and the figures in
//! the reporting currency.
//!
//! Not (yet) here: pay stated only in the description text, and exchange
//! rates between different currencies (issue #4).

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::warning::{Warning, WarningCode};
use crate::posting::{PostingView, lenient};

/// Working-time constants and the reporting currency.
#[derive(Debug, Clone, PartialEq)]
pub struct SalaryOptions {
    pub hours_per_week: f64,
    pub weeks_per_year: f64,
    pub reporting_currency: String,
}

impl Default for SalaryOptions {
    fn default() -> Self {
        SalaryOptions {
            hours_per_week: 40.0,
            weeks_per_year: 52.0,
            reporting_currency: "USD".to_string(),
        }
    }
}

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
const UNIT_SPELLINGS: &[(&str, PayUnit)] = &[
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

    /// How many of this unit make a year under the working-time constants.
    pub fn per_year(self, opts: &SalaryOptions) -> f64 {
        let days_per_week = 5.0;
        match self {
            PayUnit::Hour => opts.hours_per_week * opts.weeks_per_year,
            PayUnit::Day => days_per_week * opts.weeks_per_year,
            PayUnit::Week => opts.weeks_per_year,
            PayUnit::Biweekly => 26.0,
            PayUnit::Semimonthly => 24.0,
            PayUnit::Month => 12.0,
            PayUnit::Quarter => 4.0,
            PayUnit::Year => 1.0,
        }
    }
}

/// Where the figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SalarySource {
    #[serde(rename = "baseSalary")]
    BaseSalary,
    #[serde(rename = "estimatedSalary")]
    EstimatedSalary,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    #[serde(serialize_with = "money")]
    pub min: f64,
    #[serde(serialize_with = "money")]
    pub max: f64,
    #[serde(serialize_with = "money")]
    pub mid: f64,
}

/// Whole amounts as JSON integers (`96400`, not `96400.0`): what people and
/// most JSON consumers expect of money. Cents stay as decimals.
fn money<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT_INTEGER_LIMIT {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

impl Figures {
    fn scaled(min: f64, max: f64, factor: f64) -> Figures {
        let (min, max) = (round2(min * factor), round2(max * factor));
        Figures {
            min,
            max,
            mid: round2((min + max) / 2.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reporting {
    pub currency: String,
    #[serde(serialize_with = "money")]
    pub min: f64,
    #[serde(serialize_with = "money")]
    pub max: f64,
    #[serde(serialize_with = "money")]
    pub mid: f64,
    /// Units of the reporting currency per unit of the stated currency.
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Salary {
    pub source: SalarySource,
    pub currency: Option<String>,
    pub unit: PayUnit,
    #[serde(serialize_with = "money")]
    pub min: f64,
    #[serde(serialize_with = "money")]
    pub max: f64,
    pub annual: Figures,
    pub reporting: Option<Reporting>,
}

/// The salary of a posting, if its structured fields state one.
pub fn enrich(
    view: &PostingView<'_>,
    opts: &SalaryOptions,
    warnings: &mut Vec<Warning>,
) -> Option<Salary> {
    let (source, raw) = match (view.base_salary, view.estimated_salary) {
        (Some(b), _) if stated(b) => (SalarySource::BaseSalary, b),
        (_, Some(e)) if stated(e) => (SalarySource::EstimatedSalary, e),
        _ => return None,
    };
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let Some(amount) = read_amount(&value) else {
        warnings.push(Warning::new(
            WarningCode::SalaryUnreadable,
            format!("no figure in {}", truncate(raw.get(), 120)),
        ));
        return None;
    };
    let stated_currency = amount
        .currency
        .or_else(|| view.salary_currency.as_deref().map(str::to_string));
    let currency = stated_currency.and_then(|c| {
        let code = c.trim().to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Some(code)
        } else {
            warnings.push(Warning::new(
                WarningCode::SalaryCurrencyInvalid,
                format!("{c:?} is not a currency code"),
            ));
            None
        }
    });
    let (mut min, mut max) = (amount.min, amount.max);
    if min > max {
        warnings.push(Warning::new(
            WarningCode::SalaryMinMaxSwapped,
            format!("minimum {min} was above maximum {max}"),
        ));
        std::mem::swap(&mut min, &mut max);
    }
    let unit = match amount.unit {
        Some(u) => u,
        None => {
            let inferred = infer_unit(max)?;
            warnings.push(Warning::new(
                WarningCode::SalaryUnitInferred,
                format!("no unit stated; {max} read as {inferred:?}"),
            ));
            inferred
        }
    };
    let annual = Figures::scaled(min, max, unit.per_year(opts));
    let reporting = match currency.as_deref() {
        Some(c) if c == opts.reporting_currency => Some(Reporting {
            currency: c.to_string(),
            min: annual.min,
            max: annual.max,
            mid: annual.mid,
            rate: 1.0,
        }),
        Some(c) => {
            warnings.push(Warning::new(
                WarningCode::FxRateUnavailable,
                format!("no rate from {c} to {}", opts.reporting_currency),
            ));
            None
        }
        None if warnings
            .iter()
            .any(|w| w.code == WarningCode::SalaryCurrencyInvalid) =>
        {
            None
        }
        None => {
            warnings.push(Warning::new(
                WarningCode::SalaryCurrencyMissing,
                "the salary states no currency",
            ));
            None
        }
    };
    Some(Salary {
        source,
        currency,
        unit,
        min,
        max,
        annual,
        reporting,
    })
}

fn stated(raw: &RawValue) -> bool {
    !matches!(raw.get(), "null" | "\"\"" | "{}" | "[]")
}

struct Amount {
    min: f64,
    max: f64,
    unit: Option<PayUnit>,
    currency: Option<String>,
}

/// A `MonetaryAmount` (or a bare number/string, or an array of either).
fn read_amount(v: &Value) -> Option<Amount> {
    match v {
        Value::Array(items) => items.iter().find_map(read_amount),
        Value::Object(_) => {
            let currency = lenient::get(v, "currency")
                .and_then(lenient::string)
                .map(str::to_string);
            let outer_unit = lenient::get(v, "unitText")
                .and_then(lenient::string)
                .and_then(PayUnit::parse);
            let inner = lenient::get(v, "value").unwrap_or(v);
            let (min, max, unit) = read_value(inner).or_else(|| read_value(v))?;
            Some(Amount {
                min,
                max,
                unit: unit.or(outer_unit),
                currency,
            })
        }
        other => {
            let n = lenient::number(other).filter(|n| *n > 0.0)?;
            Some(Amount {
                min: n,
                max: n,
                unit: None,
                currency: None,
            })
        }
    }
}

/// A `QuantitativeValue` (`value` or `minValue`/`maxValue`) or a bare figure.
fn read_value(v: &Value) -> Option<(f64, f64, Option<PayUnit>)> {
    let positive = |key: &str| {
        lenient::get(v, key)
            .and_then(lenient::number)
            .filter(|n| *n > 0.0)
    };
    match v {
        Value::Object(_) => {
            let unit = lenient::get(v, "unitText")
                .and_then(lenient::string)
                .and_then(PayUnit::parse);
            let single = positive("value");
            let (min, max) = match (positive("minValue"), positive("maxValue")) {
                (Some(a), Some(b)) => (a, b),
                (Some(a), None) => (a, single.unwrap_or(a)),
                (None, Some(b)) => (single.unwrap_or(b), b),
                (None, None) => (single?, single?),
            };
            Some((min, max, unit))
        }
        other => {
            let n = lenient::number(other).filter(|n| *n > 0.0)?;
            Some((n, n, None))
        }
    }
}

/// Without a stated unit, only clear magnitudes are read: a few hundred at
/// most is hourly, ten thousand and more is yearly; between, nothing.
fn infer_unit(max: f64) -> Option<PayUnit> {
    if max >= 10_000.0 {
        Some(PayUnit::Year)
    } else if max <= 300.0 {
        Some(PayUnit::Hour)
    } else {
        None
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posting::{DecodeOptions, locate, parse};

    fn salary_of(json: &str) -> (Option<Salary>, Vec<WarningCode>) {
        let doc = locate(json.as_bytes(), &DecodeOptions::default()).unwrap();
        let view = parse(&doc).unwrap();
        let mut w = Vec::new();
        let s = enrich(&view, &SalaryOptions::default(), &mut w);
        (s, w.into_iter().map(|w| w.code).collect())
    }

    #[test]
    fn quantitative_value_range_yearly() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","estimatedSalary":{"@type":"MonetaryAmount","currency":"USD","value":{"@type":"QuantitativeValue","minValue":96400,"maxValue":126000,"unitText":"YEAR"}}}"#,
        );
        let s = s.unwrap();
        assert_eq!(s.source, SalarySource::EstimatedSalary);
        assert_eq!((s.min, s.max, s.unit), (96400.0, 126000.0, PayUnit::Year));
        assert_eq!(s.annual.mid, 111200.0);
        assert_eq!(s.reporting.unwrap().mid, 111200.0);
        assert!(w.is_empty());
    }

    #[test]
    fn hourly_annualized_and_base_preferred() {
        let (s, _) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"USD","value":{"value":"45","unitText":"per hour"}},"estimatedSalary":{"currency":"USD","value":{"value":1,"unitText":"YEAR"}}}"#,
        );
        let s = s.unwrap();
        assert_eq!(s.source, SalarySource::BaseSalary);
        assert_eq!(s.unit, PayUnit::Hour);
        assert_eq!(s.annual.min, 93600.0);
    }

    #[test]
    fn bare_string_with_top_level_currency_and_inferred_unit() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":"100000","salaryCurrency":"USD"}"#,
        );
        let s = s.unwrap();
        assert_eq!(
            (s.min, s.unit, s.currency.as_deref()),
            (100000.0, PayUnit::Year, Some("USD"))
        );
        assert_eq!(w, vec![WarningCode::SalaryUnitInferred]);
    }

    #[test]
    fn swapped_min_max() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"USD","value":{"minValue":50,"maxValue":40,"unitText":"HOUR"}}}"#,
        );
        let s = s.unwrap();
        assert_eq!((s.min, s.max), (40.0, 50.0));
        assert_eq!(w, vec![WarningCode::SalaryMinMaxSwapped]);
    }

    #[test]
    fn other_currency_has_no_reporting_yet() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"GBP","value":{"value":22917,"unitText":"YEAR"}}}"#,
        );
        assert!(s.unwrap().reporting.is_none());
        assert_eq!(w, vec![WarningCode::FxRateUnavailable]);
    }

    #[test]
    fn unreadable_and_null_salaries() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":null,"value":{"value":null,"unitText":null}}}"#,
        );
        assert!(s.is_none());
        assert_eq!(w, vec![WarningCode::SalaryUnreadable]);
        let (s, w) = salary_of(r#"{"@type":"JobPosting","title":"x","baseSalary":null}"#);
        assert!(s.is_none() && w.is_empty());
    }

    #[test]
    fn unit_spellings() {
        for (t, u) in [
            ("HOUR", PayUnit::Hour),
            ("Hourly", PayUnit::Hour),
            ("per hour", PayUnit::Hour),
            ("DAY", PayUnit::Day),
            ("weekly", PayUnit::Week),
            ("BIWEEKLY", PayUnit::Biweekly),
            ("semi-monthly", PayUnit::Semimonthly),
            ("MONTH", PayUnit::Month),
            ("annum", PayUnit::Year),
            ("P.A.", PayUnit::Year),
        ] {
            assert_eq!(PayUnit::parse(t), Some(u), "{t}");
        }
        let o = SalaryOptions::default();
        assert_eq!(PayUnit::Hour.per_year(&o), 2080.0);
        assert_eq!(PayUnit::Day.per_year(&o), 260.0);
    }
}
