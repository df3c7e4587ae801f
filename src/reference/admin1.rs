//! First-level subdivision boundaries (Natural Earth admin-1, codes mapped
//! to current ISO 3166-2): which subdivision contains a point, and which
//! is nearest to a point just off the coast.

use std::collections::HashMap;
use std::sync::Arc;

use geo::{
    Area as _, BoundingRect, Centroid, Closest, ClosestPoint, Contains, Coord, Distance, Haversine,
    LineString, MultiPolygon, Point, Polygon,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

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

/// One area as read from the data file, before indexing.
struct RawArea {
    code: String,
    name: String,
    country: String,
    alt_country: Option<String>,
    polygons: Vec<Polygon<f64>>,
}

const PACKED_MAGIC: &[u8] = b"PEADMIN1";
const PACKED_VERSION: u32 = 1;

/// Reads the format written by `scripts/geo/pack_admin1.py` (described
/// there): strings, counts and delta-encoded varint coordinates.
struct Packed<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Packed<'a> {
    fn err(&self, what: &str) -> DataError {
        DataError::new("admin1", format!("{what} at byte {}", self.at))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DataError> {
        let end = self.at.checked_add(n).ok_or_else(|| self.err("overflow"))?;
        let out = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| self.err("truncated"))?;
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, DataError> {
        let b = self.take(4)?;
        let b: [u8; 4] = b.try_into().map_err(|_| self.err("truncated"))?;
        Ok(u32::from_le_bytes(b))
    }

    fn count(&mut self) -> Result<usize, DataError> {
        let n = self.u32()? as usize;
        // Each counted thing takes at least one byte: a larger count is corrupt.
        if n > self.bytes.len().saturating_sub(self.at) {
            return Err(self.err("count beyond the end"));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, DataError> {
        let b = self.take(2)?;
        let b: [u8; 2] = b.try_into().map_err(|_| self.err("truncated"))?;
        let n = u16::from_le_bytes(b) as usize;
        let raw = self.take(n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| self.err("invalid UTF-8"))
    }

    fn varint(&mut self) -> Result<i64, DataError> {
        let mut z: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self
                .bytes
                .get(self.at)
                .ok_or_else(|| self.err("truncated varint"))?;
            self.at += 1;
            z |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok((z >> 1) as i64 ^ -((z & 1) as i64));
            }
        }
        Err(self.err("varint too long"))
    }

    fn ring(&mut self, scale: f64) -> Result<LineString<f64>, DataError> {
        let n = self.count()?;
        let mut coords = Vec::with_capacity(n);
        let (mut x, mut y) = (0i64, 0i64);
        for _ in 0..n {
            let (dx, dy) = (self.varint()?, self.varint()?);
            x = x
                .checked_add(dx)
                .ok_or_else(|| self.err("coordinate overflow"))?;
            y = y
                .checked_add(dy)
                .ok_or_else(|| self.err("coordinate overflow"))?;
            coords.push(Coord {
                x: x as f64 / scale,
                y: y as f64 / scale,
            });
        }
        Ok(LineString::new(coords))
    }

    fn areas(mut self) -> Result<Vec<RawArea>, DataError> {
        if self.take(PACKED_MAGIC.len())? != PACKED_MAGIC {
            return Err(self.err("not a packed admin-1 file"));
        }
        let version = self.u32()?;
        if version != PACKED_VERSION {
            return Err(self.err(&format!("format version {version}")));
        }
        let scale = f64::from(self.u32()?);
        if scale == 0.0 {
            return Err(self.err("coordinate scale 0"));
        }
        let n = self.count()?;
        let mut areas = Vec::with_capacity(n);
        for _ in 0..n {
            let code = self.string()?;
            let name = self.string()?;
            let country = self.string()?;
            let alt_country = Some(self.string()?).filter(|c| !c.is_empty());
            let polygons = (0..self.count()?)
                .map(|_| {
                    let rings = self.count()?;
                    if rings == 0 {
                        return Err(self.err("polygon without rings"));
                    }
                    let outer = self.ring(scale)?;
                    let holes = (1..rings)
                        .map(|_| self.ring(scale))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Polygon::new(outer, holes))
                })
                .collect::<Result<Vec<_>, DataError>>()?;
            areas.push(RawArea {
                code,
                name,
                country,
                alt_country,
                polygons,
            });
        }
        if self.at != self.bytes.len() {
            return Err(self.err("trailing bytes"));
        }
        Ok(areas)
    }
}

impl Admin1Index {
    /// Loads the packed file embedded in the binary (`data/geo/admin1.bin`).
    pub fn from_packed(bytes: &[u8]) -> Result<Admin1Index, DataError> {
        Ok(Admin1Index::build(Packed { bytes, at: 0 }.areas()?))
    }

    fn build(raw: Vec<RawArea>) -> Admin1Index {
        let mut areas = Vec::with_capacity(raw.len());
        let mut entries = Vec::new();
        for (ai, a) in raw.into_iter().enumerate() {
            for (pi, p) in a.polygons.iter().enumerate() {
                if let Some(r) = p.bounding_rect() {
                    entries.push(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        (ai as u32, pi as u32),
                    ));
                }
            }
            let shape = MultiPolygon::new(a.polygons);
            areas.push(Area {
                centroid: shape.centroid(),
                code: a.code.into(),
                name: a.name.into(),
                country: a.country,
                alt_country: a.alt_country,
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
        Admin1Index {
            areas,
            by_code,
            country_centroids,
            tree: RTree::bulk_load(entries),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const PACKED: &[u8] = include_bytes!("../../data/geo/admin1.bin");

    #[test]
    fn the_packed_file_loads_whole() {
        let index = Admin1Index::from_packed(PACKED).expect("packed admin-1");
        assert_eq!(index.len(), 3607);
        let texas = index.by_code("US-TX").expect("Texas");
        assert_eq!(&*texas.name, "Texas");
        let austin = index.containing(-97.7431, 30.2672, None).expect("Austin");
        assert_eq!(&*austin.code, "US-TX");
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_panic() {
        for cut in [0, 7, 8, 13, 20, 100, PACKED.len() / 2, PACKED.len() - 1] {
            let err = Admin1Index::from_packed(&PACKED[..cut]).err();
            assert!(err.is_some(), "cut at {cut} loaded");
        }
        let mut flipped = PACKED.to_vec();
        flipped[0] ^= 0xff;
        assert!(Admin1Index::from_packed(&flipped).is_err());
        let mut trailing = PACKED.to_vec();
        trailing.push(0);
        assert!(Admin1Index::from_packed(&trailing).is_err());
    }

    /// Hand-built files: coordinates that overflow, a polygon without
    /// rings, a zero scale.
    #[test]
    fn corrupt_counts_and_coordinates_are_errors() {
        let header = |scale: u32| {
            let mut v = PACKED_MAGIC.to_vec();
            for n in [PACKED_VERSION, scale, 1] {
                v.extend_from_slice(&n.to_le_bytes());
            }
            for s in ["XX-A", "A", "XX", ""] {
                v.extend_from_slice(&(s.len() as u16).to_le_bytes());
                v.extend_from_slice(s.as_bytes());
            }
            v.extend_from_slice(&1u32.to_le_bytes()); // one polygon
            v
        };
        // Two points whose deltas are both i64::MAX: the sum overflows.
        let mut overflow = header(100_000);
        overflow.extend_from_slice(&1u32.to_le_bytes()); // one ring
        overflow.extend_from_slice(&2u32.to_le_bytes()); // two points
        let max_zigzag = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        for _ in 0..4 {
            overflow.extend_from_slice(&max_zigzag);
        }
        let err = Admin1Index::from_packed(&overflow).err().expect("an error");
        assert!(err.detail.contains("overflow"), "{err}");
        let mut no_rings = header(100_000);
        no_rings.extend_from_slice(&0u32.to_le_bytes());
        let err = Admin1Index::from_packed(&no_rings).err().expect("an error");
        assert!(err.detail.contains("without rings"), "{err}");
        let err = Admin1Index::from_packed(&header(0))
            .err()
            .expect("an error");
        assert!(err.detail.contains("scale"), "{err}");
    }
}
