//! Geo enrichment from a location's latitude/longitude.
//!
//! This first version validates the point and carries the stated address;
//! country, subdivision, nearest place and time zone lookups from offline
//! reference data come with issue #5 and fill the fields that are `null`
//! here, without changing the record's shape.

use serde::Serialize;

use super::warning::{Warning, WarningCode};
use crate::posting::Location;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Country {
    pub alpha2: String,
    pub alpha3: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subdivision {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub name: String,
    pub distance_km: f64,
}

/// Per stated address field: agrees (`true`), disagrees (`false`), or
/// nothing stated / nothing resolved to compare with (`null`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AddressAgreement {
    pub country: Option<bool>,
    pub subdivision: Option<bool>,
    pub locality: Option<bool>,
}

/// The address as the posting states it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatedAddress {
    pub country: Option<String>,
    pub region: Option<String>,
    pub locality: Option<String>,
    pub postal_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geo {
    pub point: Point,
    pub country: Option<Country>,
    pub subdivision: Option<Subdivision>,
    pub place: Option<Place>,
    pub timezone: Option<String>,
    pub address: StatedAddress,
    pub address_agreement: AddressAgreement,
}

/// Geo for every located `jobLocation`, in order. Warnings name the
/// location by its index.
pub fn enrich(locations: &[Location], warnings: &mut Vec<Warning>) -> Vec<Geo> {
    let mut out = Vec::with_capacity(locations.len());
    for (index, loc) in locations.iter().enumerate() {
        let Some((lat, lon)) = loc.point() else {
            continue;
        };
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            warnings.push(Warning::new(
                WarningCode::GeoOutOfRange,
                format!("jobLocation[{index}]: ({lat}, {lon}) is not on Earth"),
            ));
            continue;
        }
        if lat == 0.0 && lon == 0.0 {
            warnings.push(Warning::new(
                WarningCode::GeoNullIsland,
                format!("jobLocation[{index}]: (0, 0) is a placeholder"),
            ));
            continue;
        }
        let a = &loc.address;
        out.push(Geo {
            point: Point { lat, lon },
            country: None,
            subdivision: None,
            place: None,
            timezone: None,
            address: StatedAddress {
                country: a.country.clone(),
                region: a.region.clone(),
                locality: a.locality.clone(),
                postal_code: a.postal_code.clone(),
            },
            address_agreement: AddressAgreement::default(),
        });
    }
    if out.is_empty()
        && !warnings.iter().any(|w| {
            matches!(
                w.code,
                WarningCode::GeoOutOfRange | WarningCode::GeoNullIsland
            )
        })
    {
        warnings.push(Warning::new(
            WarningCode::GeoMissing,
            "no jobLocation with latitude and longitude",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posting::Address;

    fn loc(lat: f64, lon: f64) -> Location {
        Location {
            latitude: Some(lat),
            longitude: Some(lon),
            address: Address::default(),
        }
    }

    #[test]
    fn bad_points_warn_and_are_skipped() {
        let mut w = Vec::new();
        let g = enrich(&[loc(0.0, 0.0), loc(95.0, 10.0), loc(37.4, -122.1)], &mut w);
        assert_eq!(g.len(), 1);
        assert_eq!(
            g[0].point,
            Point {
                lat: 37.4,
                lon: -122.1
            }
        );
        let codes: Vec<_> = w.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            vec![WarningCode::GeoNullIsland, WarningCode::GeoOutOfRange]
        );
    }

    #[test]
    fn no_coordinates_warns_missing() {
        let mut w = Vec::new();
        assert!(enrich(&[], &mut w).is_empty());
        assert_eq!(w[0].code, WarningCode::GeoMissing);
    }
}
