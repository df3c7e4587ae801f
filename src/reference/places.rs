//! Populated places (GeoNames, towns and cities; neighbourhood records
//! removed at build time): the nearest one to a point.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use flate2::read::GzDecoder;
use geo::{Distance, Haversine, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::DataError;
use super::place_grid::{PlaceGrid, unit_vector};

#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub name: Arc<str>,
    pub lat: f64,
    pub lon: f64,
    pub country: Arc<str>,
    /// ISO 3166-2 code of its subdivision; empty when unknown.
    pub subdivision: Arc<str>,
    pub population: u64,
}

/// Points on the unit sphere, so that straight-line nearness is
/// great-circle nearness at every latitude (no distortion near the poles
/// or at the antimeridian).
type Entry = GeomWithData<[f64; 3], u32>;

pub struct PlaceIndex {
    places: Vec<Place>,
    tree: RTree<Entry>,
    /// The fast path for the single nearest place.
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
        // Country and subdivision codes repeat; share one copy of each.
        let mut interned: HashMap<&str, Arc<str>> = HashMap::new();
        let mut places = Vec::with_capacity(240_000);
        for line in text.lines().skip(1) {
            let mut cols = line.split('\t');
            let mut col = || {
                cols.next()
                    .ok_or_else(|| DataError::new("places", format!("bad line {line:?}")))
            };
            let (name, lat, lon, country, subdivision, population) =
                (col()?, col()?, col()?, col()?, col()?, col()?);
            if cols.next().is_some() {
                return Err(DataError::new(
                    "places",
                    format!("extra columns in {line:?}"),
                ));
            }
            let num = |s: &str| {
                s.parse::<f64>()
                    .map_err(|e| DataError::new("places", format!("{line:?}: {e}")))
            };
            let mut intern = |s| interned.entry(s).or_insert_with(|| Arc::from(s)).clone();
            places.push(Place {
                name: name.into(),
                lat: num(lat)?,
                lon: num(lon)?,
                country: intern(country),
                subdivision: intern(subdivision),
                population: population.parse().unwrap_or(0),
            });
        }
        places.shrink_to_fit();
        // The R-tree (about 100 ms for 230,000 places) builds beside the grid.
        let (tree, grid) = std::thread::scope(|s| {
            let tree = s.spawn(|| {
                RTree::bulk_load(
                    places
                        .iter()
                        .enumerate()
                        .map(|(i, p)| GeomWithData::new(unit_vector(p.lat, p.lon), i as u32))
                        .collect(),
                )
            });
            let grid = PlaceGrid::new(places.iter().map(|p| (p.lat, p.lon)));
            (tree.join(), grid)
        });
        let tree = tree.map_err(|_| DataError::new("places", "R-tree builder panicked"))?;
        Ok(PlaceIndex { places, tree, grid })
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The nearest place, preferring one in `country` (so Windsor, Ontario
    /// is not named after Detroit across the river); returns the distance in km.
    pub fn nearest(&self, lat: f64, lon: f64, country: Option<&str>) -> Option<(&Place, f64)> {
        let q = unit_vector(lat, lon);
        // The single nearest comes from the grid (the tree where the grid
        // cannot tell); only when it lies in another country is the search
        // widened.
        let nearest = self
            .grid
            .nearest(lat, lon)
            .or_else(|| self.tree.nearest_neighbor(&q).map(|e| e.data))
            .and_then(|i| self.places.get(i as usize))?;
        if country.is_none_or(|c| &*nearest.country == c) {
            return Some((nearest, km(lat, lon, nearest)));
        }
        let mut first = None;
        for e in self
            .tree
            .nearest_neighbor_iter(&q)
            .take(COUNTRY_SEARCH_LIMIT)
        {
            let Some(place) = self.places.get(e.data as usize) else {
                continue;
            };
            first.get_or_insert(place);
            if country.is_none_or(|c| &*place.country == c) {
                return Some((place, km(lat, lon, place)));
            }
        }
        first.map(|p| (p, km(lat, lon, p)))
    }

    /// Places within `max_km`, nearest first, at most `limit` (for
    /// matching a stated locality): from the grid, the R-tree where the
    /// grid declines.
    pub fn within(
        &self,
        lat: f64,
        lon: f64,
        max_km: f64,
        limit: usize,
    ) -> impl Iterator<Item = &Place> {
        let from_grid = self.grid.within(lat, lon, max_km, limit);
        let from_tree = from_grid.is_none().then(|| {
            let q = unit_vector(lat, lon);
            self.tree.nearest_neighbor_iter(&q).map(|e| e.data)
        });
        from_grid
            .into_iter()
            .flatten()
            .chain(from_tree.into_iter().flatten())
            .filter_map(|i| self.places.get(i as usize))
            .take_while(move |p| km(lat, lon, p) <= max_km)
            .take(limit)
    }
}

fn km(lat: f64, lon: f64, p: &Place) -> f64 {
    Haversine.distance(Point::new(lon, lat), Point::new(p.lon, p.lat)) / 1000.0
}
