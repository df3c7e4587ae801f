//! Warnings: something in a posting was odd, missing or repaired, but the
//! posting was still enriched. Codes are stable (output contract, metric
//! labels); add new ones, never rename.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// The description was longer than `enrich.description.max_bytes` and was cut.
    DescriptionTruncated,
    /// No description, or one with no visible text.
    DescriptionMissing,
    /// No `jobLocation` with coordinates.
    GeoMissing,
    /// Latitude outside [-90, 90] or longitude outside [-180, 180].
    GeoOutOfRange,
    /// The point is (0, 0), a placeholder rather than a place.
    GeoNullIsland,
    /// Latitude and longitude were swapped; read the other way round.
    GeoLatLonSwapped,
    /// The point is at sea, farther than `enrich.geo.coast_snap_km` from land.
    GeoAtSea,
    /// The point is a country's or subdivision's centroid while the address names a city.
    GeoCentroid,
    /// A salary field was present but held no usable figure.
    SalaryUnreadable,
    /// The salary unit was missing; inferred from the magnitude.
    SalaryUnitInferred,
    /// Minimum and maximum were swapped; swapped back.
    SalaryMinMaxSwapped,
    /// The salary has no currency; no reporting figures.
    SalaryCurrencyMissing,
    /// The salary's currency is not an ISO 4217 code; no reporting figures.
    SalaryCurrencyInvalid,
    /// The currency was written as a country code, symbol or name and read
    /// as the ISO 4217 code it unambiguously means ("JPN" in Japan -> JPY).
    SalaryCurrencyRepaired,
    /// The stated unit contradicted the magnitude (HOUR with 96,400); corrected.
    SalaryUnitCorrected,
    /// The annual figure in the reporting currency is outside the plausible band.
    SalaryImplausible,
    /// The description states several pay ranges and none (or more than
    /// one) applies to the posting's location: none of them headlines the
    /// salary (the estimate may).
    SalaryTextAmbiguous,
    /// `baseSalary`'s maximum is ten times its minimum or more: read as a
    /// form's placeholder, it does not win over a stated range or the
    /// estimate.
    SalaryBasePlaceholder,
    /// No exchange rate to the reporting currency; no reporting figures.
    FxRateUnavailable,
    /// `datePosted` or `validThrough` is not a date or time.
    LifecycleDateUnreadable,
    /// `validThrough` is before `datePosted` (both kept as stated).
    LifecycleValidThroughBeforePosted,
}

impl WarningCode {
    pub const ALL: [WarningCode; 21] = [
        WarningCode::DescriptionTruncated,
        WarningCode::DescriptionMissing,
        WarningCode::GeoMissing,
        WarningCode::GeoOutOfRange,
        WarningCode::GeoNullIsland,
        WarningCode::GeoLatLonSwapped,
        WarningCode::GeoAtSea,
        WarningCode::GeoCentroid,
        WarningCode::SalaryUnreadable,
        WarningCode::SalaryUnitInferred,
        WarningCode::SalaryMinMaxSwapped,
        WarningCode::SalaryCurrencyMissing,
        WarningCode::SalaryCurrencyInvalid,
        WarningCode::SalaryCurrencyRepaired,
        WarningCode::SalaryUnitCorrected,
        WarningCode::SalaryImplausible,
        WarningCode::SalaryTextAmbiguous,
        WarningCode::SalaryBasePlaceholder,
        WarningCode::FxRateUnavailable,
        WarningCode::LifecycleDateUnreadable,
        WarningCode::LifecycleValidThroughBeforePosted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            WarningCode::DescriptionTruncated => "description_truncated",
            WarningCode::DescriptionMissing => "description_missing",
            WarningCode::GeoMissing => "geo_missing",
            WarningCode::GeoOutOfRange => "geo_out_of_range",
            WarningCode::GeoNullIsland => "geo_null_island",
            WarningCode::GeoLatLonSwapped => "geo_lat_lon_swapped",
            WarningCode::GeoAtSea => "geo_at_sea",
            WarningCode::GeoCentroid => "geo_centroid",
            WarningCode::SalaryUnreadable => "salary_unreadable",
            WarningCode::SalaryUnitInferred => "salary_unit_inferred",
            WarningCode::SalaryMinMaxSwapped => "salary_min_max_swapped",
            WarningCode::SalaryCurrencyMissing => "salary_currency_missing",
            WarningCode::SalaryCurrencyInvalid => "salary_currency_invalid",
            WarningCode::SalaryCurrencyRepaired => "salary_currency_repaired",
            WarningCode::SalaryUnitCorrected => "salary_unit_corrected",
            WarningCode::SalaryImplausible => "salary_implausible",
            WarningCode::SalaryTextAmbiguous => "salary_text_ambiguous",
            WarningCode::SalaryBasePlaceholder => "salary_base_placeholder",
            WarningCode::FxRateUnavailable => "fx_rate_unavailable",
            WarningCode::LifecycleDateUnreadable => "lifecycle_date_unreadable",
            WarningCode::LifecycleValidThroughBeforePosted => {
                "lifecycle_valid_through_before_posted"
            }
        }
    }
}

/// A warning with a detail for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub code: WarningCode,
    pub detail: String,
}

impl Warning {
    pub fn new(code: WarningCode, detail: impl Into<String>) -> Self {
        Warning {
            code,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_code_matches_as_str() {
        for code in WarningCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_string())
            );
        }
    }
}
