//! The structured pay fields (`baseSalary`, `estimatedSalary`) read as
//! figures and a unit, however loosely a feed fills them.

use serde_json::Value;
use serde_json::value::RawValue;

use super::money_figures;
use super::pay_unit::{HOURLY_CEILING_USD, PayUnit, YEARLY_FLOOR_USD};
use crate::posting::lenient;

/// Whether a value holds anything besides JSON-LD type tags and nulls.
pub(super) fn has_content(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
        Value::Array(items) => items.iter().any(has_content),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| !k.starts_with('@') && has_content(v)),
    }
}

pub(super) fn stated(raw: &RawValue) -> bool {
    !matches!(raw.get(), "null" | "\"\"" | "{}" | "[]")
}

pub(super) struct Amount {
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) unit: Option<PayUnit>,
    pub(super) currency: Option<String>,
}

/// A `MonetaryAmount` (or a bare number/string, or an array of either).
pub(super) fn read_amount(v: &Value) -> Option<Amount> {
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
            let (min, max, unit) = read_value(other)?;
            Some(Amount {
                min,
                max,
                unit,
                currency: None,
            })
        }
    }
}

/// A `QuantitativeValue` (`value` or `minValue`/`maxValue`) or a bare figure.
pub(super) fn read_value(v: &Value) -> Option<(f64, f64, Option<PayUnit>)> {
    let positive = |key: &str| {
        lenient::get(v, key)
            .and_then(|x| match x {
                // "7 triệu", "120k", "$100,000.00": the text reader knows multipliers.
                Value::String(t) => money_figures::range(t).map(|r| r.0),
                other => lenient::number(other),
            })
            .filter(|n| *n > 0.0)
    };
    match v {
        Value::Object(_) => {
            let unit = lenient::get(v, "unitText")
                .and_then(lenient::string)
                .and_then(PayUnit::parse);
            let single = positive("value");
            // "value": "7-20 triệu" beside minValue/maxValue strings.
            let text_range = lenient::get(v, "value")
                .and_then(Value::as_str)
                .and_then(money_figures::range);
            let (min, max) = match (positive("minValue"), positive("maxValue")) {
                (Some(a), Some(b)) => (a, b),
                (Some(a), None) => (a, single.unwrap_or(a)),
                (None, Some(b)) => (single.unwrap_or(b), b),
                (None, None) => match text_range {
                    Some((lo, hi, _)) => (lo, hi),
                    None => (single?, single?),
                },
            };
            let unit = unit.or(text_range.and_then(|r| r.2));
            Some((min, max, unit))
        }
        Value::String(text) => {
            let (min, max, unit) = money_figures::range(text)?;
            (min > 0.0 && max > 0.0).then_some((min, max, unit))
        }
        other => {
            let n = lenient::number(other).filter(|n| *n > 0.0)?;
            Some((n, n, None))
        }
    }
}

/// Without a stated unit, only clear magnitudes (in USD when a rate
/// exists) are read: a few hundred at most is hourly, ten thousand and more
/// yearly; between, nothing.
pub(super) fn infer_unit(max_usd: f64) -> Option<PayUnit> {
    if max_usd >= YEARLY_FLOOR_USD {
        Some(PayUnit::Year)
    } else if max_usd <= HOURLY_CEILING_USD {
        Some(PayUnit::Hour)
    } else {
        None
    }
}
