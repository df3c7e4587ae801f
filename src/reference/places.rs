//! Populated places (GeoNames, towns and cities; neighbourhood records
//! removed at build time): the nearest one to a point.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use flate2::read::GzDecoder;
use geo::{Distance, Haversine, Point};

use super::data_error::DataError;
use super::place_grid::PlaceGrid;

/// A place, borrowed from the index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place<'a> {
    pub name: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub country: &'a Arc<str>,
    /// ISO 3166-2 code of its subdivision; empty when unknown.
    pub subdivision: &'a Arc<str>,
    pub population: u32,
}

/// A place as stored: 32 bytes, its name in one shared string and its
/// codes as indices (an `Arc<str>` per name and code took 18 MB more).
#[derive(Debug)]
struct Stored {
    name_start: u32,
    name_len: u32,
    lat: f64,
    lon: f64,
    country: u16,
    subdivision: u16,
    population: u32,
}

pub struct PlaceIndex {
    /// Every name, one after the other.
    names: String,
    /// Country and subdivision codes, each once.
    codes: Vec<Arc<str>>,
    /// Each code's index in `codes`.
    code_index: HashMap<Arc<str>, u16>,
    places: Vec<Stored>,
    grid: PlaceGrid,
}

/// How many nearest candidates are looked at to find one in the wanted country.
const COUNTRY_SEARCH_LIMIT: usize = 64;

impl PlaceIndex {
    pub fn from_gzip_tsv(gz: &[u8]) -> Result<PlaceIndex, DataError> {
        // Decompressed whole (10 MB, freed at the end) and split in place:
        // no allocation per line.
        let mut text = String::with_capacity(gz.len() * 3);
        GzDecoder::new(gz)
            .read_to_string(&mut text)
            .map_err(|e| DataError::new("places", e))?;
        let mut code_index: HashMap<Arc<str>, u16> = HashMap::new();
        let mut codes: Vec<Arc<str>> = Vec::new();
        let mut names = String::new();
        let mut places = Vec::with_capacity(240_000);
        for line in text.lines().skip(1) {
            let bad = |what: &str| DataError::new("places", format!("{what} in {line:?}"));
            let mut cols = line.split('\t');
            let mut col = || cols.next().ok_or_else(|| bad("missing column"));
            let (name, lat, lon, country, subdivision, population) =
                (col()?, col()?, col()?, col()?, col()?, col()?);
            if cols.next().is_some() {
                return Err(bad("extra columns"));
            }
            let num = |s: &str| s.parse::<f64>().map_err(|e| bad(&e.to_string()));
            let mut code =
                |s| intern(s, &mut code_index, &mut codes).ok_or_else(|| bad("too many codes"));
            let name_start = u32::try_from(names.len()).map_err(|_| bad("names too long"))?;
            names.push_str(name);
            places.push(Stored {
                name_start,
                name_len: u32::try_from(name.len()).map_err(|_| bad("name too long"))?,
                lat: num(lat)?,
                lon: num(lon)?,
                country: code(country)?,
                subdivision: code(subdivision)?,
                population: population.parse().unwrap_or(0),
            });
        }
        names.shrink_to_fit();
        places.shrink_to_fit();
        let grid = PlaceGrid::new(places.iter().map(|p| (p.lat, p.lon)));
        Ok(PlaceIndex {
            names,
            codes,
            code_index,
            places,
            grid,
        })
    }

    fn get(&self, index: u32) -> Option<Place<'_>> {
        let p = self.places.get(index as usize)?;
        let start = p.name_start as usize;
        Some(Place {
            name: self.names.get(start..start + p.name_len as usize)?,
            lat: p.lat,
            lon: p.lon,
            country: self.codes.get(usize::from(p.country))?,
            subdivision: self.codes.get(usize::from(p.subdivision))?,
            population: p.population,
        })
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The nearest place, preferring one in `country` (so Windsor, Ontario
    /// is not named after Detroit across the river); returns the distance in km.
    pub fn nearest(&self, lat: f64, lon: f64, country: Option<&str>) -> Option<(Place<'_>, f64)> {
        // The single nearest first; only when it lies in another country
        // is the search widened.
        let nearest = self.grid.nearest(lat, lon).and_then(|i| self.get(i))?;
        if country.is_none_or(|c| &**nearest.country == c) {
            return Some((nearest, km(lat, lon, nearest)));
        }
        // Widened to the nearest place in `country` among the 64 nearest,
        // else the nearest of all.
        let wanted = country.and_then(|c| self.code_index.get(c));
        let in_country = wanted.and_then(|code| {
            self.grid
                .first_of_nearest(lat, lon, COUNTRY_SEARCH_LIMIT, |i| {
                    self.places
                        .get(i as usize)
                        .is_some_and(|p| p.country == *code)
                })
        });
        let place = in_country.and_then(|i| self.get(i)).unwrap_or(nearest);
        Some((place, km(lat, lon, place)))
    }

    /// Places within `max_km`, nearest first, at most `limit` (for
    /// matching a stated locality).
    pub fn within(
        &self,
        lat: f64,
        lon: f64,
        max_km: f64,
        limit: usize,
    ) -> impl Iterator<Item = Place<'_>> {
        self.grid
            .within(lat, lon, max_km, limit)
            .into_iter()
            .filter_map(|i| self.get(i))
            .take_while(move |p| km(lat, lon, *p) <= max_km)
            .take(limit)
    }
}

/// The index of `code` in `codes`, added if new; `None` past `u16::MAX`.
fn intern(
    code: &str,
    index: &mut HashMap<Arc<str>, u16>,
    codes: &mut Vec<Arc<str>>,
) -> Option<u16> {
    if let Some(&i) = index.get(code) {
        return Some(i);
    }
    let i = u16::try_from(codes.len()).ok()?;
    let shared: Arc<str> = Arc::from(code);
    index.insert(shared.clone(), i);
    codes.push(shared);
    Some(i)
}

fn km(lat: f64, lon: f64, p: Place<'_>) -> f64 {
    Haversine.distance(Point::new(lon, lat), Point::new(p.lon, p.lat)) / 1000.0
}
