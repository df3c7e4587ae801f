//! Salary: every figure a posting states, and one headline.
//!
//! Read: `baseSalary` (the employer's), `estimatedSalary` (the job board's
//! estimate), and every pay range in the description text
//! ([`description_text`]), each with the jurisdiction it is limited to
//! ([`scope`]). The headline is, in order: `baseSalary`; the description's
//! range for the posting's own location (or its only range); the estimate;
//! a `baseSalary` that is a placeholder. Each figure is annualized and
//! converted to the reporting currency (exchange rates from
//! `reference::money`).

pub mod description_text;
pub mod money_figures;
mod pay_unit;
pub mod scope;
mod structured;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

pub use pay_unit::PayUnit;
use pay_unit::{HOURLY_CEILING_USD, YEARLY_FLOOR_USD, unit_name};
pub use scope::Scope;
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

/// One pay statement: as stated, annualized, and in the reporting currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pay {
    pub currency: Option<String>,
    pub unit: PayUnit,
    #[serde(serialize_with = "money")]
    pub min: f64,
    #[serde(serialize_with = "money")]
    pub max: f64,
    pub annual: Figures,
    pub reporting: Option<Reporting>,
}

/// A range stated in the description, with where it applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayRange {
    #[serde(flatten)]
    pub pay: Pay,
    /// The jurisdiction the range is limited to; null when it names none.
    pub scope: Option<Scope>,
    pub qualifier: Option<description_text::Qualifier>,
    /// The line (or lines) the figures were read from.
    pub evidence: String,
}

/// `baseSalary` as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BasePay {
    #[serde(flatten)]
    pub pay: Pay,
    /// A maximum ten times the minimum or more: a form's placeholder.
    pub placeholder: bool,
}

/// The figure the salary's headline fields describe.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub source: SalarySource,
    pub pay: Pay,
    /// A single figure stated as a floor ("minimum", "starting at") or a
    /// ceiling ("up to"); null for a range or a plain figure.
    pub qualifier: Option<description_text::Qualifier>,
    /// For `source: "description"`, the line the figures were read from.
    pub evidence: Option<String>,
    pub scope: Option<Scope>,
    /// False when the only range stated is for another place than the
    /// posting's; null when the posting's place is unknown.
    pub applies_to_location: Option<bool>,
}

/// Every figure the posting states, and the headline (none when the
/// description's ranges do not say which applies and nothing else does).
#[derive(Debug, Clone, PartialEq)]
pub struct Salary {
    pub headline: Option<Headline>,
    pub ranges: Vec<PayRange>,
    pub estimate: Option<Pay>,
    pub base: Option<BasePay>,
}

/// Whole amounts as JSON integers, for an optional figure.
struct Money(f64);

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        money(&self.0, s)
    }
}

/// The headline's fields at the top level (schema v1's salary object, null
/// each when there is no headline), then the statements behind it.
impl Serialize for Salary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let h = self.headline.as_ref();
        let pay = h.map(|h| &h.pay);
        let mut m = s.serialize_map(Some(14))?;
        m.serialize_entry("source", &h.map(|h| h.source))?;
        m.serialize_entry("currency", &pay.and_then(|p| p.currency.as_deref()))?;
        m.serialize_entry("unit", &pay.map(|p| p.unit))?;
        m.serialize_entry("min", &pay.map(|p| Money(p.min)))?;
        m.serialize_entry("max", &pay.map(|p| Money(p.max)))?;
        m.serialize_entry("annual", &pay.map(|p| &p.annual))?;
        m.serialize_entry("reporting", &pay.and_then(|p| p.reporting.as_ref()))?;
        m.serialize_entry("qualifier", &h.and_then(|h| h.qualifier))?;
        m.serialize_entry("evidence", &h.and_then(|h| h.evidence.as_deref()))?;
        m.serialize_entry("scope", &h.and_then(|h| h.scope.as_ref()))?;
        m.serialize_entry(
            "applies_to_location",
            &h.and_then(|h| h.applies_to_location),
        )?;
        m.serialize_entry("ranges", &self.ranges)?;
        m.serialize_entry("estimate", &self.estimate)?;
        m.serialize_entry("base", &self.base)?;
        m.end()
    }
}

/// Reference data the salary stage reads.
pub struct SalaryContext<'a> {
    pub money: &'a MoneyData,
    pub countries: &'a Countries,
    /// Where the posting is (resolved from coordinates, else stated), for
    /// repairing a currency written as a country code.
    pub country: Option<&'a str>,
    /// Its ISO 3166-2 subdivision and locality, for pay lines scoped to
    /// one state or city.
    pub subdivision: Option<&'a str>,
    pub locality: Option<&'a str>,
}

/// Builds the stage's phrase tables (cues, state names) now rather than on
/// the first posting.
pub fn prepare() {
    description_text::prepare();
    scope::prepare();
}

/// The salary stage. Ok with a headline salary; failed when pay was
/// stated but could not be read (or the description's ranges did not say
/// which applies); absent otherwise.
pub fn run(
    view: &PostingView<'_>,
    description: &str,
    opts: &SalaryOptions,
    ctx: &SalaryContext<'_>,
) -> Staged<Option<Salary>> {
    let mut warnings = Vec::new();
    let salary = enrich(view, description, opts, ctx, &mut warnings);
    let outcome = StageOutcome::judged(
        salary.as_ref().is_some_and(|s| s.headline.is_some()),
        &warnings,
        &[
            WarningCode::SalaryUnreadable,
            WarningCode::SalaryTextAmbiguous,
        ],
    );
    Staged::with_warnings(salary, outcome, warnings)
}

/// Which statement headlines the salary.
enum Choice {
    Base,
    Range { index: usize, applies: Option<bool> },
    Estimate,
    None,
}

/// The salary of a posting: every statement read, and the headline chosen
/// among them.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub(crate) fn enrich(
    view: &PostingView<'_>,
    description: &str,
    opts: &SalaryOptions,
    ctx: &SalaryContext<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<Salary> {
    let mut unreadable = None;
    let base = structured_amount(view.base_salary, &mut unreadable);
    let estimate = structured_amount(view.estimated_salary, &mut unreadable);
    if base.is_none()
        && estimate.is_none()
        && let Some(text) = &unreadable
    {
        warnings.push(Warning::new(
            WarningCode::SalaryUnreadable,
            format!("no figure in {text}"),
        ));
    }
    let local_dollar = ctx
        .country
        .and_then(|c| ctx.money.sole_currency(c))
        .and_then(|c| description_text::DOLLARS.iter().find(|d| **d == c).copied());
    let usd_per_unit = |c: &str| ctx.money.fx.rate(c, "USD");
    let stated_in_text = description_text::find_all(description, local_dollar, &usd_per_unit);
    let view_currency = view.salary_currency.as_deref();
    // Figures other than the headline are read without warnings: the
    // warnings describe the headline.
    let mut quiet = Vec::new();
    let text_amounts: Vec<(Amount, description_text::TextPay)> = stated_in_text
        .into_iter()
        .map(|t| {
            let amount = Amount {
                min: t.min,
                max: t.max,
                unit: t.unit,
                currency: t.currency.map(str::to_string),
            };
            (amount, t)
        })
        .collect();
    let (ranges, range_amounts): (Vec<PayRange>, Vec<&Amount>) = text_amounts
        .iter()
        .filter_map(|(amount, t)| {
            let range = PayRange {
                pay: pay_of(amount, None, opts, ctx, &mut quiet)?,
                scope: t.scope.clone(),
                qualifier: t.qualifier,
                evidence: t.evidence.clone(),
            };
            Some((range, amount))
        })
        .unzip();
    let base_pay = base
        .as_ref()
        .and_then(|a| pay_of(a, view_currency, opts, ctx, &mut quiet));
    let placeholder = base_pay.as_ref().is_some_and(is_placeholder);
    let estimate_pay = estimate
        .as_ref()
        .and_then(|a| pay_of(a, view_currency, opts, ctx, &mut quiet));

    let picked = pick_range(&ranges, ctx);
    let choice = if base_pay.is_some() && !placeholder {
        Choice::Base
    } else if let Some((index, applies)) = picked {
        Choice::Range { index, applies }
    } else if estimate_pay.is_some() {
        Choice::Estimate
    } else if base_pay.is_some() {
        Choice::Base
    } else {
        Choice::None
    };
    if placeholder && let Some(b) = &base_pay {
        warnings.push(Warning::new(
            WarningCode::SalaryBasePlaceholder,
            format!(
                "baseSalary {}-{} spans ten times or more: read as a placeholder",
                b.min, b.max
            ),
        ));
    }
    let base_headlines = base_pay.is_some() && !placeholder;
    if picked.is_none() && ranges.len() > 1 && !base_headlines {
        warnings.push(Warning::new(
            WarningCode::SalaryTextAmbiguous,
            format!(
                "the description states {} pay ranges and none is the one for the posting's location; all are in salary.ranges",
                ranges.len()
            ),
        ));
    }
    // The headline again, this time with its warnings.
    let mut structured = |source, amount: Option<&Amount>| {
        Some(Headline {
            source,
            pay: pay_of(amount?, view_currency, opts, ctx, warnings)?,
            qualifier: None,
            evidence: None,
            scope: None,
            applies_to_location: Some(true),
        })
    };
    let headline = match choice {
        Choice::Base => structured(SalarySource::BaseSalary, base.as_ref()),
        Choice::Estimate => structured(SalarySource::EstimatedSalary, estimate.as_ref()),
        Choice::Range { index, applies } => {
            let (range, amount) = (ranges.get(index)?, range_amounts.get(index)?);
            Some(Headline {
                source: SalarySource::Description,
                pay: pay_of(amount, None, opts, ctx, warnings)?,
                qualifier: range.qualifier,
                evidence: Some(range.evidence.clone()),
                scope: range.scope.clone(),
                applies_to_location: applies,
            })
        }
        Choice::None => None,
    };
    if headline.is_none() && ranges.is_empty() && estimate_pay.is_none() && base_pay.is_none() {
        return None;
    }
    Some(Salary {
        headline,
        ranges,
        estimate: estimate_pay,
        base: base_pay.map(|pay| BasePay { pay, placeholder }),
    })
}

/// A structured salary field read as figures; what it held, when it held
/// something but no figure, goes to `unreadable`.
fn structured_amount(
    raw: Option<&serde_json::value::RawValue>,
    unreadable: &mut Option<String>,
) -> Option<Amount> {
    let raw = raw.filter(|r| stated(r))?;
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    match read_amount(&value) {
        Some(a) => Some(a),
        // A MonetaryAmount of nulls states nothing: absent, not unreadable.
        None if !has_content(&value) => None,
        None => {
            unreadable
                .get_or_insert_with(|| raw.get()[..raw.get().floor_char_boundary(120)].to_string());
            None
        }
    }
}

/// A `baseSalary` whose maximum is ten times its minimum or more.
fn is_placeholder(p: &Pay) -> bool {
    p.min > 0.0 && p.max >= 10.0 * p.min
}

/// The description's range for the posting's location: one for its city,
/// else one for its state, else one stated without a scope. More than one
/// at the first level that has any: none (levels, offices, shifts). With
/// none for the location, the only range there is, marked as not applying.
fn pick_range(ranges: &[PayRange], ctx: &SalaryContext<'_>) -> Option<(usize, Option<bool>)> {
    let same_city = |s: &Scope| {
        s.locality
            .as_deref()
            .is_some_and(|l| ctx.locality.is_some_and(|c| same_locality(l, c)))
            && Some(s.subdivision.as_str()) == ctx.subdivision
    };
    let same_state =
        |s: &Scope| s.locality.is_none() && Some(s.subdivision.as_str()) == ctx.subdivision;
    // Level 0: the posting's city; 1: its state; 2: no scope.
    let level_of = |scope: &Option<Scope>| match scope {
        Some(s) if same_city(s) => Some(0),
        Some(s) if same_state(s) => Some(1),
        Some(_) => None,
        None => Some(2),
    };
    for level in 0..3 {
        let matching: Vec<(usize, &PayRange)> = ranges
            .iter()
            .enumerate()
            .filter(|(_, r)| level_of(&r.scope) == Some(level))
            .collect();
        match matching.first() {
            // One range, or one pay stated in two periods ("$25 - $30 per
            // hour ($52,000 - $62,400 annually)").
            Some(&(i, first)) if matching.iter().all(|(_, r)| same_pay(r, first)) => {
                return Some((i, Some(true)));
            }
            Some(_) => return None,
            None => {}
        }
    }
    let applies = ctx.subdivision.map(|_| false);
    (ranges.len() == 1).then_some((0, applies))
}

/// Two statements of one pay: the same annual figures within 1%.
fn same_pay(a: &PayRange, b: &PayRange) -> bool {
    let near = |x: f64, y: f64| (x - y).abs() <= 0.01 * x.abs().max(y.abs());
    a.pay.currency == b.pay.currency
        && near(a.pay.annual.min, b.pay.annual.min)
        && near(a.pay.annual.max, b.pay.annual.max)
}

/// A posting's locality and a scope's name the same city ("New York" and
/// "New York City").
fn same_locality(scope: &str, posting: &str) -> bool {
    let city = |s: &str| {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "new york city" | "nyc" | "new york" | "manhattan" => "new york city".to_string(),
            _ => s,
        }
    };
    city(scope) == city(posting)
}

/// One amount as stated, annualized and converted, with the warnings its
/// reading calls for; none when no unit can be told.
fn pay_of(
    amount: &Amount,
    view_currency: Option<&str>,
    opts: &SalaryOptions,
    ctx: &SalaryContext<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<Pay> {
    let stated_currency = amount.currency.as_deref().or(view_currency);
    let currency = stated_currency.and_then(|c| currency_code(c, ctx, warnings));
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
    Some(Pay {
        currency,
        unit,
        min,
        max,
        annual,
        reporting,
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

    /// The headline's fields, as tests read them.
    struct Flat {
        source: SalarySource,
        currency: Option<String>,
        unit: PayUnit,
        min: f64,
        max: f64,
        annual: Figures,
        reporting: Option<Reporting>,
        evidence: Option<String>,
    }

    fn salary_of(json: &str) -> (Option<Flat>, Vec<WarningCode>) {
        let (s, w) = full_salary_of(json, None);
        let flat = s.and_then(|s| s.headline).map(|h| Flat {
            source: h.source,
            currency: h.pay.currency,
            unit: h.pay.unit,
            min: h.pay.min,
            max: h.pay.max,
            annual: h.pay.annual,
            reporting: h.pay.reporting,
            evidence: h.evidence,
        });
        (flat, w)
    }

    fn full_salary_of(json: &str, subdivision: Option<&str>) -> (Option<Salary>, Vec<WarningCode>) {
        let doc = locate(json.as_bytes(), &DecodeOptions::default()).unwrap();
        let view = parse(&doc).unwrap();
        let geo = crate::reference::GeoData::shared().unwrap();
        let money = MoneyData::embedded().unwrap();
        let country = view.stated_country().and_then(|c| geo.countries.resolve(c));
        let ctx = SalaryContext {
            money: &money,
            countries: &geo.countries,
            country,
            subdivision,
            locality: None,
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
        let (s, w) = full_salary_of(
            r#"{"@type":"JobPosting","title":"x","description":"Level I salary: $60,000 - $70,000\nLevel II salary: $80,000 - $95,000"}"#,
            None,
        );
        let s = s.unwrap();
        assert!(s.headline.is_none());
        assert_eq!(s.ranges.len(), 2);
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

    const NEVADA_AND_COLORADO: &str = "If performed in Nevada, this position has an hourly rate range of $30.94 - $36.39.\\nIf performed in Colorado, this position has an hourly rate range of $29.46 - $34.66.";

    fn posting(description: &str, extra: &str) -> String {
        format!(r#"{{"@type":"JobPosting","title":"x","description":"{description}"{extra}}}"#)
    }

    #[test]
    fn the_range_for_the_postings_state_headlines() {
        let (s, w) = full_salary_of(&posting(NEVADA_AND_COLORADO, ""), Some("US-NV"));
        let s = s.unwrap();
        let h = s.headline.unwrap();
        assert_eq!(
            (h.pay.min, h.pay.unit, h.applies_to_location),
            (30.94, PayUnit::Hour, Some(true))
        );
        assert_eq!(h.scope.unwrap().subdivision, "US-NV");
        assert_eq!(h.pay.annual.min, 64_355.2);
        assert_eq!(s.ranges.len(), 2);
        assert!(w.is_empty(), "{w:?}");
        // In Arizona neither applies: both kept, none headlines.
        let (s, w) = full_salary_of(&posting(NEVADA_AND_COLORADO, ""), Some("US-AZ"));
        let s = s.unwrap();
        assert!(s.headline.is_none());
        assert_eq!(s.ranges.len(), 2);
        assert_eq!(w, vec![WarningCode::SalaryTextAmbiguous]);
    }

    #[test]
    fn the_only_range_headlines_where_it_does_not_apply() {
        let text = "Base Pay Range in Colorado: $86,000 - $125,000";
        let (s, _) = full_salary_of(&posting(text, ""), Some("US-TX"));
        let h = s.unwrap().headline.unwrap();
        assert_eq!((h.pay.min, h.applies_to_location), (86_000.0, Some(false)));
        assert_eq!(h.scope.unwrap().subdivision, "US-CO");
        // Where the posting is not known: whether it applies is not either.
        let (s, _) = full_salary_of(&posting(text, ""), None);
        assert_eq!(s.unwrap().headline.unwrap().applies_to_location, None);
    }

    #[test]
    fn one_pay_in_two_periods_is_not_two_offers() {
        let text = "Pay: $25 - $30 per hour ($52,000 - $62,400 annually)";
        let (s, w) = full_salary_of(&posting(text, ""), None);
        let h = s.unwrap().headline.unwrap();
        assert_eq!((h.pay.min, h.pay.unit), (25.0, PayUnit::Hour));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn a_new_york_posting_takes_the_new_york_city_range() {
        let text = "NYC pay range: $120,000 - $150,000\\nColorado pay range: $100,000 - $125,000";
        let json = posting(text, "");
        let doc = locate(json.as_bytes(), &DecodeOptions::default()).unwrap();
        let view = parse(&doc).unwrap();
        let geo = crate::reference::GeoData::shared().unwrap();
        let money = MoneyData::embedded().unwrap();
        let ctx = SalaryContext {
            money: &money,
            countries: &geo.countries,
            country: Some("US"),
            subdivision: Some("US-NY"),
            locality: Some("New York"),
        };
        let mut w = Vec::new();
        let text = view.description.as_deref().unwrap_or("");
        let s = enrich(&view, text, &SalaryOptions::default(), &ctx, &mut w).unwrap();
        let h = s.headline.unwrap();
        assert_eq!((h.pay.min, h.applies_to_location), (120_000.0, Some(true)));
    }

    #[test]
    fn the_employers_word_over_the_boards_estimate() {
        let estimate = r#","estimatedSalary":{"currency":"USD","value":{"minValue":96400,"maxValue":126000,"unitText":"YEAR"}}"#;
        let (s, _) = full_salary_of(
            &posting("Salary: $120,000 - $140,000 per year", estimate),
            None,
        );
        let s = s.unwrap();
        let h = s.headline.unwrap();
        assert_eq!(
            (h.source, h.pay.min),
            (SalarySource::Description, 120_000.0)
        );
        assert_eq!(s.estimate.unwrap().min, 96_400.0);
        // baseSalary first; the text's range is still kept.
        let base = r#","baseSalary":{"currency":"USD","value":{"minValue":110000,"maxValue":130000,"unitText":"YEAR"}}"#;
        let (s, _) = full_salary_of(
            &posting(
                "Salary: $120,000 - $140,000 per year",
                &format!("{base}{estimate}"),
            ),
            None,
        );
        let s = s.unwrap();
        assert_eq!(s.headline.unwrap().source, SalarySource::BaseSalary);
        assert_eq!(s.ranges.len(), 1);
        // A placeholder baseSalary loses to the stated range, and is kept.
        let placeholder = r#","baseSalary":{"currency":"USD","value":{"minValue":100000,"maxValue":1000000,"unitText":"YEAR"}}"#;
        let (s, w) = full_salary_of(
            &posting("Salary: $120,000 - $140,000 per year", placeholder),
            None,
        );
        let s = s.unwrap();
        assert_eq!(s.headline.unwrap().source, SalarySource::Description);
        assert!(s.base.unwrap().placeholder);
        assert_eq!(w, vec![WarningCode::SalaryBasePlaceholder]);
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
