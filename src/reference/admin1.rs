//! First-level subdivision boundaries (Natural Earth admin-1, codes mapped
//! to current ISO 3166-2): which subdivision contains a point, and which
//! is nearest to a point just off the coast.

use flate2::read::GzDecoder;
use std::collections::HashMap;
use std::sync::Arc;

use geo::{
    Area as _, BoundingRect, Centroid, Closest, ClosestPoint, Contains, Coord, Distance, Haversine,
    LineString, MultiPolygon, Point, Polygon,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Deserialize;

use super::DataError;

/// One subdivision: possibly many polygons (islands, merged finer units).
#[derive(Debug)]
pub struct Area {
    /// ISO 3166-2 code; empty where no current code exists.
    pub code: Arc<str>,
    pub name: Arc<str>,
    /// ISO 3166-1 alpha-2 of the country.
    pub country: String,
    /// A territory's own code (PR, HK) or another claimant (RU for Crimea).
    pub alt_country: Option<String>,
    pub shape: MultiPolygon<f64>,
    pub centroid: Option<Point<f64>>,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

pub struct Admin1Index {
    areas: Vec<Area>,
    /// ISO code -> index of the (first) area with that code.
    by_code: HashMap<String, usize>,
    /// Area-weighted centroid of each country's subdivisions.
    country_centroids: HashMap<String, Point<f64>>,
    /// Bounding box of every polygon -> (area, polygon).
    tree: RTree<Entry>,
}

#[derive(Deserialize)]
struct FileJson {
    areas: Vec<AreaJson>,
}

#[derive(Deserialize)]
struct AreaJson {
    code: String,
    name: String,
    country: String,
    #[serde(default)]
    alt_country: Option<String>,
    polygons: Vec<Vec<Vec<f64>>>,
}

fn ring(flat: &[f64]) -> LineString<f64> {
    flat.chunks_exact(2)
        .map(|xy| Coord { x: xy[0], y: xy[1] })
        .collect()
}

impl Admin1Index {
    pub fn from_gzip_json(gz: &[u8]) -> Result<Admin1Index, DataError> {
        // Streamed: the 24 MB of JSON is never held whole.
        let reader = std::io::BufReader::with_capacity(256 * 1024, GzDecoder::new(gz));
        let file: FileJson =
            serde_json::from_reader(reader).map_err(|e| DataError::new("admin1", e))?;
        let mut areas = Vec::with_capacity(file.areas.len());
        let mut entries = Vec::new();
        for (ai, a) in file.areas.into_iter().enumerate() {
            let polygons: Vec<Polygon<f64>> = a
                .polygons
                .iter()
                .filter_map(|rings| {
                    let (outer, holes) = rings.split_first()?;
                    Some(Polygon::new(
                        ring(outer),
                        holes.iter().map(|h| ring(h)).collect(),
                    ))
                })
                .collect();
            for (pi, p) in polygons.iter().enumerate() {
                if let Some(r) = p.bounding_rect() {
                    entries.push(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        (ai as u32, pi as u32),
                    ));
                }
            }
            let shape = MultiPolygon::new(polygons);
            areas.push(Area {
                centroid: shape.centroid(),
                code: a.code.into(),
                name: a.name.into(),
                country: a.country,
                alt_country: a.alt_country.filter(|c| !c.is_empty()),
                shape,
            });
        }
        let mut sums: HashMap<&str, (f64, f64, f64)> = HashMap::new();
        for a in &areas {
            if let Some(c) = a.centroid {
                let w = a.shape.unsigned_area();
                let e = sums.entry(a.country.as_str()).or_default();
                *e = (e.0 + c.x() * w, e.1 + c.y() * w, e.2 + w);
            }
        }
        let country_centroids = sums
            .into_iter()
            .filter(|(_, (_, _, w))| *w > 0.0)
            .map(|(k, (x, y, w))| (k.to_string(), Point::new(x / w, y / w)))
            .collect();
        let mut by_code = HashMap::new();
        for (i, a) in areas.iter().enumerate() {
            if !a.code.is_empty() {
                by_code.entry(a.code.to_string()).or_insert(i);
            }
        }
        Ok(Admin1Index {
            areas,
            by_code,
            country_centroids,
            tree: RTree::bulk_load(entries),
        })
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    pub fn by_code(&self, code: &str) -> Option<&Area> {
        self.by_code.get(code).and_then(|&i| self.areas.get(i))
    }

    pub fn country_centroid(&self, alpha2: &str) -> Option<Point<f64>> {
        self.country_centroids.get(alpha2).copied()
    }

    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// The area containing the point; with `country`, only areas of that
    /// country (or claimed by it) count.
    pub fn containing(&self, lon: f64, lat: f64, country: Option<&str>) -> Option<&Area> {
        let p = Point::new(lon, lat);
        self.tree
            .locate_all_at_point(&[lon, lat])
            .filter_map(|e| {
                let (ai, pi) = e.data;
                let area = self.areas.get(ai as usize)?;
                let polygon = area.shape.0.get(pi as usize)?;
                (country.is_none_or(|c| area.in_country(c)) && polygon.contains(&p)).then_some(area)
            })
            .next()
    }

    /// The nearest area within `max_km` of the point (for points on piers,
    /// harbours and beaches just outside the coarse coastline).
    pub fn nearest_within(
        &self,
        lon: f64,
        lat: f64,
        max_km: f64,
        country: Option<&str>,
    ) -> Option<(&Area, f64)> {
        // A degree of latitude is ~111 km; longitude shrinks with latitude.
        let dlat = max_km / 111.0;
        let dlon = max_km / (111.0 * lat.to_radians().cos().max(0.05));
        let window = AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        let p = Point::new(lon, lat);
        self.tree
            .locate_in_envelope_intersecting(&window)
            .filter_map(|e| {
                let (ai, pi) = e.data;
                let area = self.areas.get(ai as usize)?;
                if !country.is_none_or(|c| area.in_country(c)) {
                    return None;
                }
                let polygon = area.shape.0.get(pi as usize)?;
                let closest = match polygon.closest_point(&p) {
                    Closest::Intersection(q) | Closest::SinglePoint(q) => q,
                    Closest::Indeterminate => return None,
                };
                let km = Haversine.distance(p, closest) / 1000.0;
                (km <= max_km).then_some((area, km))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

impl Area {
    pub fn in_country(&self, alpha2: &str) -> bool {
        self.country == alpha2 || self.alt_country.as_deref() == Some(alpha2)
    }
}
