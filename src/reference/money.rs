//! Currency reference data: ISO 4217 codes, each country's currencies, and
//! one day's ECB reference rates (`config/fx-rates.toml`, or a file of the
//! same shape named by `enrich.salary.fx_rates_file`).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::data_error::DataError;

const FX_RATES: &str = include_str!("../../config/fx-rates.toml");
const ISO4217: &str = include_str!("../../data/iso4217.tsv");
const COUNTRY_CURRENCIES: &str = include_str!("../../data/country-currencies.tsv");

/// One day's reference rates: units of each currency per one `base`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxRates {
    pub date: String,
    pub source: String,
    pub base: String,
    pub rates: HashMap<String, f64>,
}

impl FxRates {
    pub fn from_toml(text: &str) -> Result<FxRates, DataError> {
        let rates: FxRates = toml::from_str(text).map_err(|e| DataError::new("fx rates", e))?;
        let bad = |detail: String| Err(DataError::new("fx rates", detail));
        if let Some((code, rate)) = rates
            .rates
            .iter()
            .find(|(_, r)| !(r.is_finite() && **r > 0.0))
        {
            return bad(format!("rate for {code} is {rate}"));
        }
        // The date goes into every record's version: one shape only.
        if chrono::NaiveDate::parse_from_str(&rates.date, "%Y-%m-%d").is_err() {
            return bad(format!("date {:?} is not YYYY-MM-DD", rates.date));
        }
        if rates.rates.get(&rates.base) != Some(&1.0) {
            return bad(format!(
                "the base {} is not among the rates at 1.0",
                rates.base
            ));
        }
        if rates.rates.len() < 2 {
            return bad("no rate besides the base".into());
        }
        Ok(rates)
    }

    /// The rates file these rates load from again (keys sorted, each rate
    /// as read), with the ECB's attribution its licence asks for.
    pub fn to_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::from(
            "# Euro foreign exchange reference rates of ONE day: units of each\n\
             # currency per 1 EUR, as the ECB states them (plus EUR = 1.0).\n\
             # Source: European Central Bank (ECB). Written by\n\
             # `posting-enricher fx-rates`; see data/README.md.\n",
        );
        out += &format!("date = {}\n", quote(&self.date));
        out += &format!("source = {}\n", quote(&self.source));
        out += &format!("base = {}\n\n[rates]\n", quote(&self.base));
        let mut codes: Vec<&String> = self.rates.keys().collect();
        codes.sort();
        for code in codes {
            // `{:?}` keeps a decimal point (1.0, not 1): TOML reads a float.
            out += &format!("{code} = {:?}\n", self.rates[code]);
        }
        out
    }

    /// Units of `to` per unit of `from`, from the two rates of the same day.
    pub fn rate(&self, from: &str, to: &str) -> Option<f64> {
        if from == to {
            return Some(1.0);
        }
        Some(self.rates.get(to)? / self.rates.get(from)?)
    }
}

pub struct MoneyData {
    pub fx: FxRates,
    iso4217: HashSet<String>,
    by_country: HashMap<String, Vec<String>>,
}

impl MoneyData {
    /// The embedded codes and rates (configured rates files are read by
    /// `enrich::ReferenceFiles` and given to [`MoneyData::with_rates`]).
    pub fn embedded() -> Result<MoneyData, DataError> {
        MoneyData::with_rates(FxRates::from_toml(FX_RATES)?)
    }

    /// The embedded rates file's text.
    pub fn embedded_fx_rates() -> &'static str {
        FX_RATES
    }

    /// The embedded codes with these rates.
    pub fn with_rates(fx: FxRates) -> Result<MoneyData, DataError> {
        let iso4217 = ISO4217
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .filter(|c| c.len() == 3)
            .map(str::to_string)
            .collect();
        let by_country = COUNTRY_CURRENCIES
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once('\t'))
            .map(|(c, list)| {
                (
                    c.to_string(),
                    list.split('|')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                )
            })
            .collect();
        Ok(MoneyData {
            fx,
            iso4217,
            by_country,
        })
    }

    pub fn is_currency(&self, code: &str) -> bool {
        self.iso4217.contains(code)
    }

    /// The one currency of a country, when it has exactly one.
    pub fn sole_currency(&self, alpha2: &str) -> Option<&str> {
        match self.by_country.get(alpha2).map(Vec::as_slice) {
            Some([one]) => Some(one),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rates_and_codes() {
        let m = MoneyData::embedded().expect("load");
        assert_eq!(m.fx.base, "EUR");
        assert_eq!(m.fx.rate("USD", "USD"), Some(1.0));
        let usd_per_gbp = m.fx.rate("GBP", "USD").expect("GBP");
        assert!((1.0..2.0).contains(&usd_per_gbp), "{usd_per_gbp}");
        assert_eq!(m.fx.rate("VND", "USD"), None, "the ECB does not quote VND");
        assert!(m.is_currency("JPY") && !m.is_currency("JPN"));
        assert_eq!(m.sole_currency("JP"), Some("JPY"));
    }
}
