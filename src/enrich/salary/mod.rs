//! Salary from the structured fields (`baseSalary`, else `estimatedSalary`),
//! else from the description text ([`description_text`]): the stated figures and
//! unit, the figures annualized, and the figures in the reporting currency
//! (exchange rates from `reference::money`).

pub mod description_text;
pub mod money_figures;
mod pay_unit;
mod structured;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use pay_unit::PayUnit;
use pay_unit::{HOURLY_CEILING_USD, YEARLY_FLOOR_USD, unit_name};
use structured::{Amount, has_content, infer_unit, read_amount, stated};

use super::stage::{StageOutcome, Staged};
use super::warning::{Warning, WarningCode};
use crate::posting::PostingView;
use crate::reference::Countries;
use crate::reference::money::MoneyData;

/// Working-time constants and the reporting currency (`[enrich.salary]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SalaryOptions {
    pub hours_per_week: f64,
    pub weeks_per_year: f64,
    pub reporting_currency: String,
    /// Annual figures in the reporting currency outside this band get a
    /// `salary_implausible` warning (figures kept).
    pub plausible_min: f64,
    pub plausible_max: f64,
    /// Rates file replacing the embedded one (`None`, written "": embedded).
    #[serde(with = "crate::unset_if_empty")]
    pub fx_rates_file: Option<std::path::PathBuf>,
}

impl Default for SalaryOptions {
    fn default() -> Self {
        SalaryOptions {
            hours_per_week: 40.0,
            weeks_per_year: 52.0,
            reporting_currency: "USD".to_string(),
            plausible_min: 5_000.0,
            plausible_max: 2_000_000.0,
            fx_rates_file: None,
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
    /// Read from the description text.
    #[serde(rename = "description")]
    Description,
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
    /// The day of the reference rates used.
    pub rate_date: String,
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
    /// A single figure stated as a floor ("minimum", "starting at") or a
    /// ceiling ("up to"); null for a range or a plain figure.
    pub qualifier: Option<description_text::Qualifier>,
    /// For `source: "description"`, the line the figures were read from.
    pub evidence: Option<String>,
}

/// Reference data the salary stage reads.
pub struct SalaryContext<'a> {
    pub money: &'a MoneyData,
    pub countries: &'a Countries,
    /// Where the posting is (resolved from coordinates, else stated), for
    /// repairing a currency written as a country code.
    pub country: Option<&'a str>,
    /// Its ISO 3166-2 subdivision, for pay lines scoped to one state.
    pub subdivision: Option<&'a str>,
}

/// The salary stage. Ok with a salary; failed when pay was stated but
/// could not be read (or the description's was ambiguous); absent otherwise.
pub fn run(
    view: &PostingView<'_>,
    description: &str,
    opts: &SalaryOptions,
    ctx: &SalaryContext<'_>,
) -> Staged<Option<Salary>> {
    let mut warnings = Vec::new();
    let salary = enrich(view, description, opts, ctx, &mut warnings);
    let outcome = StageOutcome::judged(
        salary.is_some(),
        &warnings,
        &[
            WarningCode::SalaryUnreadable,
            WarningCode::SalaryTextAmbiguous,
        ],
    );
    Staged::with_warnings(salary, outcome, warnings)
}

/// The salary of a posting: from its structured fields when they state
/// one, else from its description text.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub(crate) fn enrich(
    view: &PostingView<'_>,
    description: &str,
    opts: &SalaryOptions,
    ctx: &SalaryContext<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<Salary> {
    // The employer's statement first; a job board's estimate otherwise.
    let candidates = [
        (SalarySource::BaseSalary, view.base_salary),
        (SalarySource::EstimatedSalary, view.estimated_salary),
    ];
    let mut unreadable = None;
    let structured = candidates.iter().find_map(|&(source, raw)| {
        let raw = raw.filter(|r| stated(r))?;
        let value: Value = serde_json::from_str(raw.get()).ok()?;
        match read_amount(&value) {
            Some(a) => Some((source, a)),
            // A MonetaryAmount of nulls states nothing: absent, not unreadable.
            None if !has_content(&value) => None,
            None => {
                unreadable.get_or_insert_with(|| {
                    raw.get()[..raw.get().floor_char_boundary(120)].to_string()
                });
                None
            }
        }
    });
    let (source, amount, evidence, qualifier) = match structured {
        Some((source, amount)) => (source, amount, None, None),
        None => {
            if let Some(text) = &unreadable {
                warnings.push(Warning::new(
                    WarningCode::SalaryUnreadable,
                    format!("no figure in {text}"),
                ));
            }
            let local_dollar = ctx
                .country
                .and_then(|c| ctx.money.sole_currency(c))
                .and_then(|c| description_text::DOLLARS.iter().find(|d| **d == c).copied());
            let outside_colorado = ctx.subdivision != Some("US-CO");
            let usd_per_unit = |c: &str| ctx.money.fx.rate(c, "USD");
            match description_text::find(description, local_dollar, outside_colorado, &usd_per_unit)
            {
                Ok(Some(p)) => (
                    SalarySource::Description,
                    Amount {
                        min: p.min,
                        max: p.max,
                        unit: p.unit,
                        currency: p.currency.map(str::to_string),
                    },
                    Some(p.evidence),
                    p.qualifier,
                ),
                Ok(None) => return None,
                Err(description_text::Unsure::Ambiguous(n)) => {
                    warnings.push(Warning::new(
                        WarningCode::SalaryTextAmbiguous,
                        format!("the description states {n} different pay figures; none taken"),
                    ));
                    return None;
                }
            }
        }
    };
    let stated_currency = amount
        .currency
        .clone()
        .or_else(|| view.salary_currency.as_deref().map(str::to_string));
    let currency = stated_currency.and_then(|c| currency_code(&c, ctx, warnings));
    let (mut min, mut max) = (amount.min, amount.max);
    if min > max {
        warnings.push(Warning::new(
            WarningCode::SalaryMinMaxSwapped,
            format!("minimum {min} was above maximum {max}"),
        ));
        std::mem::swap(&mut min, &mut max);
    }
    let usd_rate = currency
        .as_deref()
        .and_then(|c| ctx.money.fx.rate(c, "USD"));
    let unit = match amount.unit {
        Some(u) => correct_unit(u, max, usd_rate, warnings),
        None => {
            let inferred = infer_unit(max * usd_rate.unwrap_or(1.0))?;
            warnings.push(Warning::new(
                WarningCode::SalaryUnitInferred,
                format!("no unit stated; {max} read as {}", unit_name(inferred)),
            ));
            inferred
        }
    };
    let annual = Figures::scaled(
        min,
        max,
        unit.per_year(opts.hours_per_week, opts.weeks_per_year),
    );
    let reporting = match currency.as_deref() {
        Some(c) => match ctx.money.fx.rate(c, &opts.reporting_currency) {
            Some(rate) => {
                let r = Figures::scaled(annual.min, annual.max, rate);
                Some(Reporting {
                    currency: opts.reporting_currency.clone(),
                    min: r.min,
                    max: r.max,
                    mid: r.mid,
                    rate: (rate * 1e6).round() / 1e6,
                    rate_date: ctx.money.fx.date.clone(),
                })
            }
            None => {
                warnings.push(Warning::new(
                    WarningCode::FxRateUnavailable,
                    format!(
                        "no {} rate from {c} to {}",
                        ctx.money.fx.date, opts.reporting_currency
                    ),
                ));
                None
            }
        },
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
    if let Some(r) = &reporting
        && !(opts.plausible_min..=opts.plausible_max).contains(&r.mid)
    {
        warnings.push(Warning::new(
            WarningCode::SalaryImplausible,
            format!(
                "annual {} {} is outside {}..{} (enrich.salary.plausible_min/max)",
                r.mid, r.currency, opts.plausible_min, opts.plausible_max
            ),
        ));
    }
    Some(Salary {
        source,
        currency,
        unit,
        min,
        max,
        annual,
        reporting,
        qualifier,
        evidence,
    })
}

/// A stated unit that its magnitude contradicts (HOUR with 96,400; YEAR
/// with 25) is corrected, with a warning. Judged in USD when a rate exists.
fn correct_unit(
    unit: PayUnit,
    max: f64,
    usd_rate: Option<f64>,
    warnings: &mut Vec<Warning>,
) -> PayUnit {
    let Some(rate) = usd_rate else { return unit };
    let usd = max * rate;
    let corrected = match unit {
        PayUnit::Hour | PayUnit::Day if usd >= YEARLY_FLOOR_USD => PayUnit::Year,
        PayUnit::Year | PayUnit::Month if usd <= HOURLY_CEILING_USD => PayUnit::Hour,
        _ => return unit,
    };
    warnings.push(Warning::new(
        WarningCode::SalaryUnitCorrected,
        format!(
            "{max} per {} read as per {}",
            unit_name(unit),
            unit_name(corrected)
        ),
    ));
    corrected
}

/// A currency as an ISO 4217 code: as stated when valid; repaired with a
/// warning when the mistake is unambiguous (a country code such as "JPN"
/// for a posting in that country; a symbol or name such as "$" or "euro"
/// matching the posting's country); otherwise none, with a warning.
fn currency_code(
    stated: &str,
    ctx: &SalaryContext<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<String> {
    let code = stated.trim().to_uppercase();
    if ctx.money.is_currency(&code) {
        return Some(code);
    }
    let local = ctx.country.and_then(|c| ctx.money.sole_currency(c));
    let repaired = match code.as_str() {
        "$" | "US$" | "USD$" if local.is_none_or(|l| l == "USD") => Some("USD"),
        "$" if local.is_some_and(|l| l.ends_with('D')) => local,
        "€" | "EURO" | "EUROS" => Some("EUR"),
        "£" | "GBP£" => Some("GBP"),
        "¥" | "YEN" | "円" if local != Some("CNY") => Some("JPY"),
        "RMB" | "元" => Some("CNY"),
        "₹" | "RS" | "RS." | "RUPEES" | "INR₹" => Some("INR"),
        "NTD" | "NT$" => Some("TWD"),
        // A country code written for its currency: only for that country.
        other => ctx
            .countries
            .resolve(other)
            .filter(|c| ctx.country == Some(*c))
            .and_then(|c| ctx.money.sole_currency(c)),
    };
    match repaired {
        Some(fixed) => {
            warnings.push(Warning::new(
                WarningCode::SalaryCurrencyRepaired,
                format!("{stated:?} read as {fixed}"),
            ));
            Some(fixed.to_string())
        }
        None => {
            warnings.push(Warning::new(
                WarningCode::SalaryCurrencyInvalid,
                format!("{stated:?} is not an ISO 4217 currency code"),
            ));
            None
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posting::{DecodeOptions, locate, parse};

    fn salary_of(json: &str) -> (Option<Salary>, Vec<WarningCode>) {
        let doc = locate(json.as_bytes(), &DecodeOptions::default()).unwrap();
        let view = parse(&doc).unwrap();
        let geo = crate::reference::GeoData::shared().unwrap();
        let money = MoneyData::load(None).unwrap();
        let country = view.stated_country().and_then(|c| geo.countries.resolve(c));
        let ctx = SalaryContext {
            money: &money,
            countries: &geo.countries,
            country,
            subdivision: None,
        };
        let mut w = Vec::new();
        let text = view.description.as_deref().unwrap_or("");
        let s = enrich(&view, text, &SalaryOptions::default(), &ctx, &mut w);
        (s, w.into_iter().map(|w| w.code).collect())
    }

    #[test]
    fn other_currencies_convert_with_the_days_rate() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"GBP","value":{"minValue":22917,"maxValue":38633,"unitText":"YEAR"}}}"#,
        );
        let s = s.unwrap();
        let r = s.reporting.unwrap();
        assert_eq!(r.currency, "USD");
        assert!(r.rate > 1.0 && r.mid > s.annual.mid, "{r:?}");
        assert_eq!(r.rate_date, "2026-10-30");
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn country_code_as_currency_is_repaired_only_in_that_country() {
        let json = |country: &str| {
            format!(
                r#"{{"@type":"JobPosting","title":"x","jobLocation":{{"address":{{"addressCountry":"{country}"}}}},"baseSalary":{{"currency":"JPN","value":{{"minValue":610000,"maxValue":770000,"unitText":"MONTH"}}}}}}"#
            )
        };
        let (s, w) = salary_of(&json("JP"));
        assert_eq!(s.unwrap().currency.as_deref(), Some("JPY"));
        assert_eq!(w, vec![WarningCode::SalaryCurrencyRepaired]);
        let (s, w) = salary_of(&json("US"));
        assert_eq!(s.unwrap().currency, None);
        assert_eq!(w, vec![WarningCode::SalaryCurrencyInvalid]);
    }

    #[test]
    fn vietnamese_text_figures_and_missing_rate() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"VND","value":{"unitText":"MONTH","value":"7-20 triệu","minValue":"7 triệu","maxValue":"20 triệu"}}}"#,
        );
        let s = s.unwrap();
        assert_eq!((s.min, s.max, s.unit), (7e6, 20e6, PayUnit::Month));
        assert_eq!(s.annual.max, 240e6);
        assert!(s.reporting.is_none());
        assert_eq!(w, vec![WarningCode::FxRateUnavailable]);
    }

    #[test]
    fn text_ranges_in_structured_values() {
        let (s, _) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"AUD","value":{"value":"Up to $43/hr plus super"}}}"#,
        );
        let s = s.unwrap();
        assert_eq!((s.max, s.unit), (43.0, PayUnit::Hour));
        let (s, _) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"AUD","value":{"value":"$100,000 - $150,000"}}}"#,
        );
        let s = s.unwrap();
        assert_eq!(
            (s.min, s.max, s.unit),
            (100_000.0, 150_000.0, PayUnit::Year)
        );
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"AUD","value":{"value":"Competitive Daily Rate"}}}"#,
        );
        assert!(s.is_none());
        assert_eq!(w, vec![WarningCode::SalaryUnreadable]);
    }

    #[test]
    fn unit_contradicting_magnitude_is_corrected() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"USD","value":{"value":96400,"unitText":"HOUR"}}}"#,
        );
        assert_eq!(s.unwrap().unit, PayUnit::Year);
        assert_eq!(w, vec![WarningCode::SalaryUnitCorrected]);
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"USD","value":{"value":25,"unitText":"YEAR"}}}"#,
        );
        assert_eq!(s.unwrap().unit, PayUnit::Hour);
        assert_eq!(w, vec![WarningCode::SalaryUnitCorrected]);
    }

    #[test]
    fn implausible_annual_is_flagged_and_kept() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"USD","value":{"value":9000000,"unitText":"YEAR"}}}"#,
        );
        assert_eq!(s.unwrap().annual.max, 9_000_000.0);
        assert_eq!(w, vec![WarningCode::SalaryImplausible]);
    }

    #[test]
    fn missing_currency_and_ambiguous_text_warn() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"value":{"value":50000,"unitText":"YEAR"}}}"#,
        );
        assert!(s.unwrap().reporting.is_none());
        assert_eq!(w, vec![WarningCode::SalaryCurrencyMissing]);
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","description":"Level I salary: $60,000 - $70,000\nLevel II salary: $80,000 - $95,000"}"#,
        );
        assert!(s.is_none());
        assert_eq!(w, vec![WarningCode::SalaryTextAmbiguous]);
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","description":"Salary: $90,000 - $110,000 per year"}"#,
        );
        let s = s.unwrap();
        assert_eq!(
            (s.source, s.min, s.unit),
            (SalarySource::Description, 90_000.0, PayUnit::Year)
        );
        assert_eq!(
            s.evidence.as_deref(),
            Some("Salary: $90,000 - $110,000 per year")
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn unreadable_base_falls_back_to_estimate() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"value":{"value":"Negotiable"}},"estimatedSalary":{"currency":"USD","value":{"value":50000,"unitText":"YEAR"}}}"#,
        );
        assert_eq!(s.unwrap().source, SalarySource::EstimatedSalary);
        assert!(w.is_empty());
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
    fn unreadable_and_null_salaries() {
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":null,"value":{"value":null,"unitText":null}}}"#,
        );
        assert!(s.is_none());
        assert!(w.is_empty(), "an amount of nulls states nothing: {w:?}");
        let (s, w) = salary_of(
            r#"{"@type":"JobPosting","title":"x","baseSalary":{"currency":"USD","value":{"value":"Negotiable"}}}"#,
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
        assert_eq!(
            PayUnit::Hour.per_year(o.hours_per_week, o.weeks_per_year),
            2080.0
        );
        assert_eq!(
            PayUnit::Day.per_year(o.hours_per_week, o.weeks_per_year),
            260.0
        );
    }
}
