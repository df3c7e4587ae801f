//! First-level subdivision boundaries (Natural Earth admin-1, codes mapped
//! to current ISO 3166-2): which subdivision contains a point, and which
//! is nearest to a point just off the coast.
//!
//! The polygons stay on the integer grid they are stored in (`i32` pairs,
//! half the memory of `f64` pairs: ~10 MB saved). A coordinate becomes
//! `f64` only while a test reads it, by the same division the loader used
//! to do, so every answer is the one `geo` gives on the `f64` polygon.

use std::collections::HashMap;
use std::sync::Arc;

use geo::{
    Area as _, BoundingRect, Centroid, Closest, ClosestPoint, Coord, Distance, GeoNum, Haversine,
    Kernel, LineString, MultiPolygon, Orientation, Point, Polygon,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::data_error::DataError;

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
    pub centroid: Option<Point<f64>>,
    polygons: Box<[GridPolygon]>,
}

/// One polygon's rings on the stored integer grid, each ring closed (its
/// last point repeats its first, as `geo::Polygon::new` makes them).
#[derive(Debug)]
struct GridPolygon {
    points: Box<[[i32; 2]]>,
    /// Where each ring ends in `points`; the first ring is the exterior.
    ring_ends: Box<[u32]>,
}

/// Where a point lies relative to a ring or a polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Inside,
    OnBoundary,
    Outside,
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
    /// Grid units per degree.
    scale: f64,
}

/// One area as read from the data file, before indexing.
struct RawArea {
    code: String,
    name: String,
    country: String,
    alt_country: Option<String>,
    polygons: Vec<GridPolygon>,
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

    /// Appends one ring to `points`, closed.
    fn ring(&mut self, points: &mut Vec<[i32; 2]>) -> Result<(), DataError> {
        let n = self.count()?;
        let start = points.len();
        points.reserve(n + 1);
        let (mut x, mut y) = (0i64, 0i64);
        for _ in 0..n {
            let (dx, dy) = (self.varint()?, self.varint()?);
            x = x
                .checked_add(dx)
                .ok_or_else(|| self.err("coordinate overflow"))?;
            y = y
                .checked_add(dy)
                .ok_or_else(|| self.err("coordinate overflow"))?;
            let (Ok(xi), Ok(yi)) = (i32::try_from(x), i32::try_from(y)) else {
                return Err(self.err("coordinate overflow"));
            };
            points.push([xi, yi]);
        }
        if let (Some(&first), Some(&last)) = (points.get(start), points.last())
            && first != last
        {
            points.push(first);
        }
        Ok(())
    }

    /// The areas and the grid's scale (units per degree).
    fn areas(mut self) -> Result<(Vec<RawArea>, f64), DataError> {
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
                    let mut points = Vec::new();
                    let mut ring_ends = Vec::with_capacity(rings);
                    for _ in 0..rings {
                        self.ring(&mut points)?;
                        let end = u32::try_from(points.len())
                            .map_err(|_| self.err("polygon too large"))?;
                        ring_ends.push(end);
                    }
                    Ok(GridPolygon {
                        points: points.into_boxed_slice(),
                        ring_ends: ring_ends.into_boxed_slice(),
                    })
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
        Ok((areas, scale))
    }
}

impl Admin1Index {
    /// Loads the packed file embedded in the binary (`data/geo/admin1.bin`).
    pub fn from_packed(bytes: &[u8]) -> Result<Admin1Index, DataError> {
        let (raw, scale) = Packed { bytes, at: 0 }.areas()?;
        Ok(Admin1Index::build(raw, scale))
    }

    fn build(raw: Vec<RawArea>, scale: f64) -> Admin1Index {
        let mut areas = Vec::with_capacity(raw.len());
        let mut entries = Vec::new();
        let mut sums: HashMap<String, (f64, f64, f64)> = HashMap::new();
        for (ai, a) in raw.into_iter().enumerate() {
            // The f64 shape lives only while its boxes, centroid and area
            // are taken.
            let shape = MultiPolygon::new(a.polygons.iter().map(|p| p.to_geo(scale)).collect());
            for (pi, p) in shape.0.iter().enumerate() {
                if let Some(r) = p.bounding_rect() {
                    entries.push(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        (ai as u32, pi as u32),
                    ));
                }
            }
            let centroid = shape.centroid();
            if let Some(c) = centroid {
                let w = shape.unsigned_area();
                let e = sums.entry(a.country.clone()).or_default();
                *e = (e.0 + c.x() * w, e.1 + c.y() * w, e.2 + w);
            }
            areas.push(Area {
                centroid,
                code: a.code.into(),
                name: a.name.into(),
                country: a.country,
                alt_country: a.alt_country,
                polygons: a.polygons.into_boxed_slice(),
            });
        }
        let country_centroids = sums
            .into_iter()
            .filter(|(_, (_, _, w))| *w > 0.0)
            .map(|(k, (x, y, w))| (k, Point::new(x / w, y / w)))
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
            scale,
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
        let p = Coord { x: lon, y: lat };
        self.tree
            .locate_all_at_point(&[lon, lat])
            .filter_map(|e| {
                let (ai, pi) = e.data;
                let area = self.areas.get(ai as usize)?;
                let polygon = area.polygons.get(pi as usize)?;
                (country.is_none_or(|c| area.in_country(c))
                    && polygon.position(p, self.scale) == Position::Inside)
                    .then_some(area)
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
                // Off-coast points are rare: the f64 polygon is built for them.
                let polygon = area.polygons.get(pi as usize)?.to_geo(self.scale);
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

impl GridPolygon {
    fn rings(&self) -> impl Iterator<Item = &[[i32; 2]]> {
        let starts = std::iter::once(0).chain(self.ring_ends.iter().copied());
        starts
            .zip(self.ring_ends.iter().copied())
            .map(|(start, end)| self.points.get(start as usize..end as usize).unwrap_or(&[]))
    }

    /// The `f64` polygon the loader used to keep.
    fn to_geo(&self, scale: f64) -> Polygon<f64> {
        let mut rings = self
            .rings()
            .map(|r| LineString::new(r.iter().map(|&p| to_coord(p, scale)).collect()));
        let exterior = rings.next().unwrap_or_else(|| LineString::new(Vec::new()));
        Polygon::new(exterior, rings.collect())
    }

    /// Inside, on the boundary or outside, as `geo`'s `CoordinatePosition`
    /// decides for the `f64` polygon: inside the exterior and outside
    /// every hole.
    fn position(&self, p: Coord<f64>, scale: f64) -> Position {
        let mut rings = self.rings();
        let Some(exterior) = rings.next() else {
            return Position::Outside;
        };
        match ring_position(exterior, p, scale) {
            Position::Inside => {}
            other => return other,
        }
        for hole in rings {
            match ring_position(hole, p, scale) {
                Position::Outside => {}
                Position::OnBoundary => return Position::OnBoundary,
                Position::Inside => return Position::Outside,
            }
        }
        Position::Inside
    }
}

fn to_coord([x, y]: [i32; 2], scale: f64) -> Coord<f64> {
    Coord {
        x: f64::from(x) / scale,
        y: f64::from(y) / scale,
    }
}

/// The nonzero winding rule with exact orientation, and the boundary
/// caught on the way: an upward edge counts its start and not its end, a
/// downward edge its end and not its start, so a vertex on the ray is
/// counted once; horizontal edges never count.
fn ring_position(ring: &[[i32; 2]], p: Coord<f64>, scale: f64) -> Position {
    let mut points = ring.iter().map(|&q| to_coord(q, scale));
    let Some(mut a) = points.next() else {
        return Position::Outside;
    };
    if ring.len() == 1 {
        return if a == p {
            Position::OnBoundary
        } else {
            Position::Outside
        };
    }
    let between = |x: f64, u: f64, v: f64| x >= u.min(v) && x <= u.max(v);
    let mut winding = 0i64;
    for b in points {
        if a.y <= p.y {
            if b.y >= p.y {
                let o = <f64 as GeoNum>::Ker::orient2d(a, b, p);
                if o == Orientation::CounterClockwise && b.y != p.y {
                    winding += 1;
                } else if o == Orientation::Collinear && between(p.x, a.x, b.x) {
                    return Position::OnBoundary;
                }
            }
        } else if b.y <= p.y {
            let o = <f64 as GeoNum>::Ker::orient2d(a, b, p);
            if o == Orientation::Clockwise {
                winding -= 1;
            } else if o == Orientation::Collinear && between(p.x, a.x, b.x) {
                return Position::OnBoundary;
            }
        }
        a = b;
    }
    if winding == 0 {
        Position::Outside
    } else {
        Position::Inside
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

    /// The integer-grid test against `geo` on the `f64` polygon, for every
    /// polygon: at vertices, at edge midpoints (boundary cases) and at
    /// random points of its bounding box.
    #[test]
    fn grid_positions_are_the_ones_geo_gives() {
        use geo::coordinate_position::{CoordPos, CoordinatePosition};
        let index = Admin1Index::from_packed(PACKED).expect("packed admin-1");
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut checked, mut counts) = (0usize, [0usize; 3]);
        for area in index.areas() {
            for polygon in area.polygons.iter() {
                let geo_polygon = polygon.to_geo(index.scale);
                let Some(rect) = geo_polygon.bounding_rect() else {
                    continue;
                };
                let ring: Vec<Coord<f64>> = geo_polygon.exterior().0.clone();
                let step = (ring.len() / 8).max(1);
                let mut probes: Vec<Coord<f64>> = ring.iter().step_by(step).copied().collect();
                probes.extend(ring.windows(2).step_by(step).map(|w| Coord {
                    x: (w[0].x + w[1].x) / 2.0,
                    y: (w[0].y + w[1].y) / 2.0,
                }));
                probes.extend((0..24).map(|_| Coord {
                    x: rect.min().x + random() * rect.width(),
                    y: rect.min().y + random() * rect.height(),
                }));
                for p in probes {
                    let expected = match geo_polygon.coordinate_position(&p) {
                        CoordPos::Inside => Position::Inside,
                        CoordPos::OnBoundary => Position::OnBoundary,
                        CoordPos::Outside => Position::Outside,
                    };
                    let got = polygon.position(p, index.scale);
                    assert_eq!(got, expected, "{} at {p:?}", area.code);
                    counts[got as usize] += 1;
                    checked += 1;
                }
            }
        }
        // All three answers were exercised, not just the easy one.
        assert!(checked > 100_000, "{checked} probes");
        assert!(counts.iter().all(|&n| n > 1_000), "{counts:?}");
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
