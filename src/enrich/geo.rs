//! Geo enrichment from a location's latitude/longitude, offline: country
//! (OSM boundaries), first-level subdivision (Natural Earth polygons with
//! ISO 3166-2 codes), nearest populated place (GeoNames), IANA time zone
//! and its UTC offset when the posting was published; then whether that
//! agrees with the address the posting states.
//!
//! Boundaries decide country and subdivision; the nearest place only names
//! the place (nearest-city methods put Windsor, Ontario in the US).

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use country_boundaries::LatLon;
use serde::{Deserialize, Serialize};

use super::stage::{StageOutcome, Staged};
use super::warning::{Warning, WarningCode};
use crate::posting::{Address, Location};
use crate::reference::GeoData;
use crate::reference::text::{fold, fold_into};

/// Geo settings (`[enrich.geo]` in `config/default.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeoOptions {
    /// A point off the coast within this distance takes the nearest
    /// subdivision (piers, harbours, reclaimed land).
    pub coast_snap_km: f64,
    /// A point this close to a country's or subdivision's centroid, while the
    /// address names a city, is flagged as a centroid placeholder.
    pub centroid_km: f64,
    /// A stated locality agrees when a place of that name is this close.
    pub locality_match_km: f64,
    /// Territories with their own ISO 3166-1 code (PR, HK, GU) are the
    /// `country`; false reports the sovereign state instead.
    pub territory_as_country: bool,
}

impl Default for GeoOptions {
    fn default() -> Self {
        GeoOptions {
            coast_snap_km: 5.0,
            centroid_km: 1.0,
            locality_match_km: 25.0,
            territory_as_country: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Country {
    // Names are shared with the reference data (no copy per record).
    pub alpha2: Arc<str>,
    pub alpha3: Arc<str>,
    pub name: Arc<str>,
    /// The sovereign state when `alpha2` is a territory (PR -> US), else null.
    pub sovereign: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subdivision {
    pub code: Arc<str>,
    pub name: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub name: Arc<str>,
    /// ISO 3166-2 code of the place's subdivision, when known.
    pub subdivision: Option<Arc<str>>,
    pub country: Arc<str>,
    pub distance_km: f64,
}

/// Per stated address field: agrees (`true`), disagrees (`false`), or
/// `null` when nothing is stated or the stated text names no known
/// country/subdivision.
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
    /// IANA time zone (`Etc/GMT±N` at sea).
    pub timezone: Option<Cow<'static, str>>,
    /// The zone's UTC offset at `datePosted`, e.g. "-07:00".
    pub utc_offset: Option<String>,
    /// `datePosted` in local time, RFC 3339 with offset.
    pub posted_at_local: Option<String>,
    pub address: StatedAddress,
    pub address_agreement: AddressAgreement,
}

/// The geo stage: every located `jobLocation`, in order. Ok when one is
/// located; failed when coordinates were given but out of range or at
/// (0, 0); absent otherwise.
pub fn run(
    data: &GeoData,
    opts: &GeoOptions,
    locations: &[Location],
    date_posted: Option<&str>,
) -> Staged<Vec<Geo>> {
    let mut warnings = Vec::new();
    let located = enrich(data, opts, locations, date_posted, &mut warnings);
    let outcome = StageOutcome::judged(
        !located.is_empty(),
        &warnings,
        &[WarningCode::GeoOutOfRange, WarningCode::GeoNullIsland],
    );
    Staged::with_warnings(located, outcome, warnings)
}

/// Geo for every located `jobLocation`, in order. Warnings name the
/// location by its index.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub(crate) fn enrich(
    data: &GeoData,
    opts: &GeoOptions,
    locations: &[Location],
    date_posted: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Vec<Geo> {
    let posted = date_posted.and_then(parse_date);
    let mut out = Vec::with_capacity(locations.len());
    let mut invalid = false;
    for (index, loc) in locations.iter().enumerate() {
        let Some((lat, lon)) = loc.point() else {
            continue;
        };
        if !in_range(lat, lon) {
            // Out of range one way, in range and in the stated country the other.
            let stated = loc
                .address
                .country
                .as_deref()
                .and_then(|c| data.countries.resolve(c));
            if let Some(sc) = stated
                && in_range(lon, lat)
                && agrees_country(&resolve(data, opts, lon, lat), sc)
            {
                warnings.push(Warning::new(
                    WarningCode::GeoLatLonSwapped,
                    format!("jobLocation[{index}]: ({lat}, {lon}) read as ({lon}, {lat}), which is in the stated country"),
                ));
                out.push(locate(
                    data,
                    opts,
                    index,
                    lon,
                    lat,
                    &loc.address,
                    posted,
                    warnings,
                ));
                continue;
            }
            invalid = true;
            warnings.push(Warning::new(
                WarningCode::GeoOutOfRange,
                format!("jobLocation[{index}]: ({lat}, {lon}) is not on Earth"),
            ));
            continue;
        }
        if lat == 0.0 && lon == 0.0 {
            invalid = true;
            warnings.push(Warning::new(
                WarningCode::GeoNullIsland,
                format!("jobLocation[{index}]: (0, 0) is a placeholder"),
            ));
            continue;
        }
        out.push(locate(
            data,
            opts,
            index,
            lat,
            lon,
            &loc.address,
            posted,
            warnings,
        ));
    }
    if out.is_empty() && !invalid {
        warnings.push(Warning::new(
            WarningCode::GeoMissing,
            "no jobLocation with latitude and longitude",
        ));
    }
    out
}

fn in_range(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// Where a point is, before comparing with the address.
struct Resolved<'d> {
    country: Option<&'d str>,
    sovereign: Option<&'d str>,
    area: Option<&'d crate::reference::Area>,
}

fn resolve<'d>(data: &'d GeoData, opts: &GeoOptions, lat: f64, lon: f64) -> Resolved<'d> {
    let ids = LatLon::new(lat, lon)
        .map(|p| data.boundaries.ids(p))
        .unwrap_or_default();
    // Smallest first: a territory (PR) before its sovereign (US).
    let mut countries = ids
        .iter()
        .filter(|id| id.len() == 2 && data.countries.get(id).is_some());
    let smallest = countries.next().copied();
    let largest = countries.next_back().copied();
    let (mut country, mut sovereign) = match (smallest, largest) {
        (Some(own), Some(sov)) if opts.territory_as_country => (Some(own), Some(sov)),
        (Some(_), Some(sov)) => (Some(sov), None),
        (own, None) => (own, None),
        (None, Some(_)) => (None, None),
    };
    // OSM boundaries name the subdivision for some countries (US, CA, AU,
    // IN, ...): exact at river borders and a fast path; polygons elsewhere.
    let osm_subdivision = ids.iter().find(|id| {
        id.len() > 3
            && country.is_some_and(|c| id.starts_with(c))
            && data.countries.is_subdivision(id)
    });
    let area = match country {
        Some(c) => osm_subdivision
            .and_then(|code| data.admin1.by_code(code))
            .or_else(|| data.admin1.containing(lon, lat, Some(c)))
            .or_else(|| sovereign.and_then(|s| data.admin1.containing(lon, lat, Some(s))))
            .or_else(|| {
                data.admin1
                    .nearest_within(lon, lat, opts.coast_snap_km, Some(c))
                    .map(|(a, _)| a)
            }),
        None => {
            // Off every country's boundary: a pier or harbour snaps to the
            // nearest coast within the limit; farther out it is at sea.
            let snapped = data
                .admin1
                .nearest_within(lon, lat, opts.coast_snap_km, None)
                .map(|(a, _)| a);
            if let Some(a) = snapped {
                country = Some(
                    a.alt_country
                        .as_deref()
                        .filter(|_| opts.territory_as_country)
                        .unwrap_or(a.country.as_str()),
                );
                sovereign = (country != Some(a.country.as_str())).then_some(a.country.as_str());
            }
            snapped
        }
    };
    Resolved {
        country,
        sovereign,
        area,
    }
}

#[allow(clippy::too_many_arguments)]
fn locate(
    data: &GeoData,
    opts: &GeoOptions,
    index: usize,
    lat: f64,
    lon: f64,
    stated: &Address,
    posted: Option<DateTime<Utc>>,
    warnings: &mut Vec<Warning>,
) -> Geo {
    let stated_country = stated
        .country
        .as_deref()
        .and_then(|c| data.countries.resolve(c));
    let mut point = Point { lat, lon };
    let mut r = resolve(data, opts, lat, lon);
    // Swapped coordinates: the stated country disagrees, and swapping makes it agree.
    if let Some(sc) = stated_country
        && !agrees_country(&r, sc)
        && (-90.0..=90.0).contains(&lon)
    {
        let swapped = resolve(data, opts, lon, lat);
        if agrees_country(&swapped, sc) {
            warnings.push(Warning::new(
                WarningCode::GeoLatLonSwapped,
                format!("jobLocation[{index}]: ({lat}, {lon}) read as ({lon}, {lat}), which is in the stated country"),
            ));
            point = Point { lat: lon, lon: lat };
            r = swapped;
        }
    }
    if r.country.is_none() {
        warnings.push(Warning::new(
            WarningCode::GeoAtSea,
            format!(
                "jobLocation[{index}]: ({}, {}) is farther than {} km from land",
                point.lat, point.lon, opts.coast_snap_km
            ),
        ));
    }
    let country = r
        .country
        .and_then(|c| data.countries.get(c))
        .map(|c| Country {
            alpha2: c.alpha2.clone(),
            alpha3: c.alpha3.clone(),
            name: c.name.clone(),
            sovereign: r.sovereign.filter(|s| **s != *c.alpha2).map(|s| {
                data.countries
                    .get(s)
                    .map_or_else(|| Arc::from(s), |c| c.alpha2.clone())
            }),
        });
    let subdivision = r
        .area
        .filter(|a| !a.code.is_empty() && data.countries.is_subdivision(&a.code))
        .map(|a| Subdivision {
            code: a.code.clone(),
            name: data
                .countries
                .subdivision_name(&a.code)
                .unwrap_or(&a.name)
                .clone(),
        });
    let place = r.country.as_ref().and_then(|c| {
        data.places
            .nearest(point.lat, point.lon, Some(c))
            .map(|(p, km)| Place {
                name: p.name.into(),
                subdivision: Some(p.subdivision.clone()).filter(|s| !s.is_empty()),
                country: p.country.clone(),
                distance_km: (km * 10.0).round() / 10.0,
            })
    });
    let tz_name =
        Some(data.timezones.get_tz_name(point.lon, point.lat)).filter(|tz| !tz.is_empty());
    let zone = tz_name.and_then(|tz| tz.parse::<chrono_tz::Tz>().ok());
    // chrono-tz's own name is static: no copy for the usual case.
    let timezone = match (zone, tz_name) {
        (Some(z), _) => Some(Cow::Borrowed(z.name())),
        (None, Some(tz)) => Some(Cow::Owned(tz.to_string())),
        (None, None) => None,
    };
    let (utc_offset, posted_at_local) = match (zone, posted) {
        (Some(zone), Some(at)) => local_time(zone, at),
        _ => (None, None),
    };
    // "United States", "California", "San Francisco Bay Area" as a locality
    // name a region, not a town: nothing to compare, and a centroid fits.
    let locality_agrees = stated.locality.as_deref().and_then(|l| {
        locality_agreement(
            data,
            opts,
            l,
            stated_country.or(r.country),
            &point,
            place.as_ref(),
        )
    });
    if locality_agrees.is_some() && is_on_centroid(data, opts, &point, &r) {
        warnings.push(Warning::new(
            WarningCode::GeoCentroid,
            format!(
                "jobLocation[{index}]: ({}, {}) is the centre of a country or subdivision, not the stated city",
                point.lat, point.lon
            ),
        ));
    }
    let address_agreement = AddressAgreement {
        country: stated_country.map(|sc| agrees_country(&r, sc)),
        subdivision: agrees_subdivision(
            data,
            stated,
            stated_country.or(r.country),
            subdivision.as_ref(),
        ),
        locality: locality_agrees,
    };
    Geo {
        point,
        country,
        subdivision,
        place,
        timezone,
        utc_offset,
        posted_at_local,
        address: StatedAddress {
            country: stated.country.clone(),
            region: stated.region.clone(),
            locality: stated.locality.clone(),
            postal_code: stated.postal_code.clone(),
        },
        address_agreement,
    }
}

fn agrees_country(r: &Resolved<'_>, stated: &str) -> bool {
    r.country == Some(stated)
        || r.sovereign == Some(stated)
        || r.area.is_some_and(|a| a.in_country(stated))
}

fn agrees_subdivision(
    data: &GeoData,
    stated: &Address,
    country: Option<&str>,
    resolved: Option<&Subdivision>,
) -> Option<bool> {
    let region = stated.region.as_deref()?;
    let code = data.countries.resolve_subdivision(country?, region)?;
    let resolved = match resolved {
        Some(s) => s,
        None => return Some(false),
    };
    Some(
        data.countries.subdivision_within(code, &resolved.code)
            || data.countries.subdivision_within(&resolved.code, code),
    )
}

/// Nearest places compared with a stated locality before giving up.
const LOCALITY_CANDIDATES: usize = 50;

/// Whether the stated locality is the place at the point. `None` when it
/// names a region rather than a town ("United States", "California",
/// "San Francisco Bay Area") and no town of that name is near: nothing to
/// compare.
fn locality_agreement(
    data: &GeoData,
    opts: &GeoOptions,
    locality: &str,
    country: Option<&str>,
    point: &Point,
    place: Option<&Place>,
) -> Option<bool> {
    let wanted = saint(fold(locality));
    if wanted.is_empty() {
        return None;
    }
    // One buffer for every candidate name: up to LOCALITY_CANDIDATES are compared.
    let mut name_key = String::with_capacity(64);
    let mut same = |name: &str| {
        fold_into(name, &mut name_key);
        saint_in_place(&mut name_key);
        let n = name_key.as_str();
        n == wanted || n.contains(wanted.as_str()) || wanted.contains(n)
    };
    let near_town = place.is_some_and(|p| same(&p.name))
        || data
            .places
            .within(
                point.lat,
                point.lon,
                opts.locality_match_km,
                LOCALITY_CANDIDATES,
            )
            .any(|p| same(p.name));
    if near_town {
        return Some(true);
    }
    let regional = [" area", " region", " metro", " county"]
        .iter()
        .any(|s| wanted.ends_with(s));
    let names_region = regional
        || data.countries.resolve(locality).is_some()
        || country.is_some_and(|c| data.countries.resolve_subdivision(c, locality).is_some());
    (!names_region).then_some(false)
}

/// [`saint`] without allocating when there is nothing to replace.
fn saint_in_place(folded: &mut String) {
    if folded.starts_with("st ") || folded.contains(" st ") {
        *folded = saint(std::mem::take(folded));
    }
}

/// "St Charles" and "Saint Charles" are one name.
fn saint(folded: String) -> String {
    match folded.strip_prefix("st ") {
        Some(rest) => format!("saint {rest}"),
        None => folded.replace(" st ", " saint "),
    }
}

fn is_on_centroid(data: &GeoData, opts: &GeoOptions, point: &Point, r: &Resolved<'_>) -> bool {
    use geo::{Distance, Haversine};
    let p = geo::Point::new(point.lon, point.lat);
    let near = |c: geo::Point<f64>| Haversine.distance(p, c) / 1000.0 <= opts.centroid_km;
    r.area.and_then(|a| a.centroid).is_some_and(near)
        || r.country
            .and_then(|c| data.admin1.country_centroid(c))
            .is_some_and(near)
}

/// `datePosted` as an instant: RFC 3339, "YYYY-MM-DD HH:MM:SS" (taken as
/// UTC), or a bare date (midnight UTC).
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn local_time(zone: chrono_tz::Tz, at: DateTime<Utc>) -> (Option<String>, Option<String>) {
    let local = zone.from_utc_datetime(&at.naive_utc());
    let offset = local.offset().fix();
    let secs = offset.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    (
        Some(format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)),
        Some(local.fixed_offset().to_rfc3339()),
    )
}

#[cfg(test)]
mod tests;
