//! Points picked and checked by hand: borders, rivers, coasts, islands,
//! open ocean; and every geo warning.

use super::*;
use crate::posting::Address;

fn data() -> std::sync::Arc<GeoData> {
    GeoData::shared().expect("reference data")
}

fn at(lat: f64, lon: f64) -> Geo {
    at_with(lat, lon, Address::default()).0
}

fn at_with(lat: f64, lon: f64, address: Address) -> (Geo, Vec<WarningCode>) {
    let mut w = Vec::new();
    let loc = Location {
        latitude: Some(lat),
        longitude: Some(lon),
        address,
    };
    let g = enrich(
        &data(),
        &GeoOptions::default(),
        &[loc],
        Some("2021-08-21T04:00:20.000Z"),
        &mut w,
    );
    (
        g.into_iter().next().expect("located"),
        w.into_iter().map(|w| w.code).collect(),
    )
}

fn codes(g: &Geo) -> (Option<&str>, Option<&str>) {
    (
        g.country.as_ref().map(|c| c.alpha2.as_ref()),
        g.subdivision.as_ref().map(|s| s.code.as_ref()),
    )
}

fn addr(country: &str, region: &str, locality: &str) -> Address {
    Address {
        country: Some(country.into()),
        region: Some(region.into()),
        locality: Some(locality.into()),
        postal_code: None,
    }
}

#[test]
fn seed_point_palo_alto() {
    let (g, w) = at_with(37.445103, -122.16036, addr("US", "CA", "Palo Alto"));
    assert_eq!(codes(&g), (Some("US"), Some("US-CA")));
    let c = g.country.as_ref().expect("country");
    assert_eq!(
        (c.alpha3.as_ref(), c.name.as_ref()),
        ("USA", "United States")
    );
    assert_eq!(
        g.subdivision.as_ref().map(|s| s.name.as_ref()),
        Some("California")
    );
    assert_eq!(g.place.as_ref().map(|p| p.name.as_ref()), Some("Palo Alto"));
    assert!(g.place.as_ref().is_some_and(|p| p.distance_km < 3.0));
    assert_eq!(g.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(g.utc_offset.as_deref(), Some("-07:00"), "PDT in August");
    assert_eq!(
        g.posted_at_local.as_deref(),
        Some("2021-08-20T21:00:20-07:00")
    );
    assert_eq!(
        g.address_agreement,
        AddressAgreement {
            country: Some(true),
            subdivision: Some(true),
            locality: Some(true)
        }
    );
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn border_towns_on_both_sides() {
    // Detroit / Windsor across the Detroit River.
    assert_eq!(codes(&at(42.3314, -83.0458)), (Some("US"), Some("US-MI")));
    let windsor = at(42.3149, -83.0364);
    assert_eq!(codes(&windsor), (Some("CA"), Some("CA-ON")));
    assert_eq!(
        windsor.place.as_ref().map(|p| p.country.as_ref()),
        Some("CA"),
        "not Detroit"
    );
    // El Paso / Ciudad Juárez across the Rio Grande.
    assert_eq!(codes(&at(31.7619, -106.4850)), (Some("US"), Some("US-TX")));
    assert_eq!(codes(&at(31.6904, -106.4245)), (Some("MX"), Some("MX-CHH")));
    // Strasbourg / Kehl across the Rhine.
    assert_eq!(codes(&at(48.5734, 7.7521)), (Some("FR"), Some("FR-GES")));
    assert_eq!(codes(&at(48.5722, 7.8156)), (Some("DE"), Some("DE-BW")));
}

#[test]
fn exclaves_and_islands() {
    // Büsingen am Hochrhein: German town inside Switzerland.
    assert_eq!(codes(&at(47.6973, 8.6910)).0, Some("DE"));
    // Baarle-Hertog (Belgian enclave in the Netherlands), town hall.
    assert_eq!(codes(&at(51.4396, 4.9317)).0, Some("BE"));
    // Honolulu, Oahu.
    assert_eq!(codes(&at(21.3069, -157.8583)), (Some("US"), Some("US-HI")));
    // Ajaccio, Corsica.
    assert_eq!(codes(&at(41.9192, 8.7386)).0, Some("FR"));
    // Puerto Rico: the territory, with the US as sovereign.
    let pr = at(18.4655, -66.1057);
    assert_eq!(
        pr.country
            .as_ref()
            .map(|c| (c.alpha2.as_ref(), c.sovereign.as_deref())),
        Some(("PR", Some("US")))
    );
}

#[test]
fn coasts_and_harbours_snap_to_land() {
    // Santa Monica Pier, over the water.
    assert_eq!(codes(&at(34.0085, -118.4982)), (Some("US"), Some("US-CA")));
    // Battery Park, Manhattan's tip: New York, not New Jersey.
    assert_eq!(codes(&at(40.7033, -74.0170)), (Some("US"), Some("US-NY")));
    // Mumbai.
    assert_eq!(codes(&at(19.0760, 72.8777)), (Some("IN"), Some("IN-MH")));
}

#[test]
fn open_ocean_has_no_country() {
    let (g, w) = at_with(30.0, -40.0, Address::default());
    assert_eq!(codes(&g), (None, None));
    assert!(g.place.is_none());
    assert!(w.contains(&WarningCode::GeoAtSea));
    assert_eq!(g.timezone.as_deref(), Some("Etc/GMT+3"));
}

#[test]
fn stale_natural_earth_codes_come_out_current() {
    assert_eq!(codes(&at(19.4326, -99.1332)).1, Some("MX-CMX"));
    assert_eq!(codes(&at(-26.2041, 28.0473)).1, Some("ZA-GP"));
    assert_eq!(codes(&at(55.7558, 37.6173)).1, Some("RU-MOW"));
}

#[test]
fn swapped_coordinates_are_detected_and_fixed() {
    let (g, w) = at_with(-122.16036, 37.445103, addr("US", "CA", "Palo Alto"));
    assert!(w.contains(&WarningCode::GeoLatLonSwapped), "{w:?}");
    assert_eq!(codes(&g), (Some("US"), Some("US-CA")));
    assert_eq!(
        g.point,
        Point {
            lat: 37.445103,
            lon: -122.16036
        }
    );
    // Swapped but in range both ways: Lagos (6.5, 3.4) stated as Nigeria.
    let (g, w) = at_with(3.3792, 6.5244, addr("Nigeria", "Lagos", "Lagos"));
    assert!(w.contains(&WarningCode::GeoLatLonSwapped), "{w:?}");
    assert_eq!(codes(&g).0, Some("NG"));
}

#[test]
fn centroid_placeholder_is_flagged() {
    let d = data();
    let tx = d
        .admin1
        .areas()
        .iter()
        .find(|a| &*a.code == "US-TX")
        .and_then(|a| a.centroid)
        .expect("Texas");
    let (_, w) = at_with(tx.y(), tx.x(), addr("US", "TX", "Austin"));
    assert!(w.contains(&WarningCode::GeoCentroid), "{w:?}");
    let (_, w) = at_with(30.2672, -97.7431, addr("US", "TX", "Austin"));
    assert!(!w.contains(&WarningCode::GeoCentroid));
}

#[test]
fn disagreement_is_reported_per_field() {
    let (g, _) = at_with(
        37.445103,
        -122.16036,
        addr("United States", "Texas", "Houston"),
    );
    assert_eq!(
        g.address_agreement,
        AddressAgreement {
            country: Some(true),
            subdivision: Some(false),
            locality: Some(false)
        }
    );
    let (g, _) = at_with(37.445103, -122.16036, Address::default());
    assert_eq!(g.address_agreement, AddressAgreement::default());
}

#[test]
fn out_of_range_and_null_island_warn() {
    let mut w = Vec::new();
    let locs = [
        Location {
            latitude: Some(0.0),
            longitude: Some(0.0),
            address: Address::default(),
        },
        Location {
            latitude: Some(95.0),
            longitude: Some(10.0),
            address: Address::default(),
        },
    ];
    assert!(enrich(&data(), &GeoOptions::default(), &locs, None, &mut w).is_empty());
    let codes: Vec<_> = w.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        vec![WarningCode::GeoNullIsland, WarningCode::GeoOutOfRange]
    );
    let mut w = Vec::new();
    assert!(enrich(&data(), &GeoOptions::default(), &[], None, &mut w).is_empty());
    assert_eq!(w[0].code, WarningCode::GeoMissing);
}

#[test]
fn every_emitted_subdivision_code_is_current_iso() {
    let d = data();
    for a in d.admin1.areas().iter().filter(|a| !a.code.is_empty()) {
        assert!(
            d.countries.is_subdivision(&a.code),
            "{} is not ISO 3166-2",
            a.code
        );
    }
}

#[test]
fn date_formats() {
    assert!(parse_date("2021-08-21T04:00:20.000Z").is_some());
    assert!(parse_date("2022-09-17 00:00:00").is_some());
    assert!(parse_date("2018-04-21").is_some());
    assert!(parse_date("").is_none());
    assert!(parse_date("soon").is_none());
}
