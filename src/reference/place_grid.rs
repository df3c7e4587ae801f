//! Places bucketed in fixed latitude/longitude cells, for the nearest-place
//! lookup every location makes. The nearest town is almost always in the
//! query's cell or the ring around it, which costs a few dozen distance
//! computations instead of an R-tree descent (measured in
//! docs/performance.md). Exact: the search stops only when no cell farther
//! out can hold anything nearer; where that cannot be shown within a few
//! rings (polar regions, empty ocean) the caller asks the R-tree.

/// Cell size in degrees: about 28 km north-south.
const CELL_DEG: f64 = 0.25;
const ROWS: usize = 720; // 180 / CELL_DEG
const COLS: usize = 1440; // 360 / CELL_DEG
/// Rings searched before giving up (about 2° around the query).
const MAX_RING: usize = 8;

pub struct PlaceGrid {
    /// Where each cell's places start in `items`; one extra entry at the end.
    cell_start: Vec<u32>,
    /// Place indices, grouped by cell.
    items: Vec<u32>,
    /// Unit vector of every place, by place index.
    vectors: Vec<[f64; 3]>,
}

pub fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    x * x + y * y + z * z
}

fn cell_of(lat: f64, lon: f64) -> (usize, usize) {
    let row = ((lat + 90.0) / CELL_DEG)
        .floor()
        .clamp(0.0, (ROWS - 1) as f64) as usize;
    let col = ((lon + 180.0) / CELL_DEG).floor().rem_euclid(COLS as f64) as usize;
    (row, col.min(COLS - 1))
}

impl PlaceGrid {
    /// `points` are (lat, lon) by place index.
    pub fn new(points: impl ExactSizeIterator<Item = (f64, f64)>) -> PlaceGrid {
        let mut cells: Vec<(u32, u32)> = Vec::with_capacity(points.len());
        let mut vectors = Vec::with_capacity(points.len());
        for (i, (lat, lon)) in points.enumerate() {
            let (row, col) = cell_of(lat, lon);
            cells.push(((row * COLS + col) as u32, i as u32));
            vectors.push(unit_vector(lat, lon));
        }
        cells.sort_unstable();
        let mut cell_start = vec![0u32; ROWS * COLS + 1];
        for &(cell, _) in &cells {
            if let Some(next) = cell_start.get_mut(cell as usize + 1) {
                *next += 1;
            }
        }
        for i in 1..cell_start.len() {
            cell_start[i] += cell_start[i - 1];
        }
        PlaceGrid {
            cell_start,
            items: cells.into_iter().map(|(_, i)| i).collect(),
            vectors,
        }
    }

    /// The index of the nearest place, or `None` when the grid cannot prove
    /// it within `MAX_RING` rings (the caller then asks the R-tree).
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<u32> {
        let q = unit_vector(lat, lon);
        let (row0, col0) = cell_of(lat, lon);
        let mut best: Option<(u32, f64)> = None;
        for ring in 0..=MAX_RING {
            let top = row0.saturating_sub(ring);
            let bottom = (row0 + ring).min(ROWS - 1);
            for row in top..=bottom {
                let edge_row = row + ring == row0 || row == row0 + ring;
                let step = if edge_row { 1 } else { 2 * ring.max(1) };
                let mut dc = 0;
                while dc <= 2 * ring {
                    let col = (col0 + COLS - ring + dc) % COLS;
                    self.scan_cell(row * COLS + col, &q, &mut best);
                    dc += step;
                }
            }
            if let Some((index, d2)) = best
                && d2 <= ring_bound(lat, ring)
            {
                return Some(index);
            }
        }
        None
    }

    /// Indices of the places within `max_km` (up to `limit` of them),
    /// nearest first; `None` where the cells to scan cannot be bounded
    /// cheaply (near the poles, very large radii): ask the R-tree.
    pub fn within(&self, lat: f64, lon: f64, max_km: f64, limit: usize) -> Option<Vec<u32>> {
        const KM_PER_DEG: f64 = 111.19; // a degree of latitude (mean radius)
        let lat_span = max_km / KM_PER_DEG;
        let cos = (lat.abs() + lat_span).min(90.0).to_radians().cos();
        if !(lat_span.is_finite() && cos > 0.1 && lat_span <= 2.0) {
            return None;
        }
        let rows = (lat_span / CELL_DEG).ceil() as usize;
        let cols = (lat_span / cos / CELL_DEG).ceil() as usize;
        if 2 * cols + 1 >= COLS {
            return None;
        }
        let q = unit_vector(lat, lon);
        // Squared chord of the radius, a hair larger for rounding (the
        // caller filters by exact distance).
        let angle = max_km / 6371.0088;
        let chord = 2.0 * (angle / 2.0).sin();
        let limit2 = chord * chord * 1.000_001;
        let (row0, col0) = cell_of(lat, lon);
        let mut found: Vec<(f64, u32)> = Vec::new();
        for row in row0.saturating_sub(rows)..=(row0 + rows).min(ROWS - 1) {
            for dc in 0..=2 * cols {
                let col = (col0 + COLS - cols + dc) % COLS;
                let cell = row * COLS + col;
                let (Some(&start), Some(&end)) =
                    (self.cell_start.get(cell), self.cell_start.get(cell + 1))
                else {
                    continue;
                };
                for &i in self.items.get(start as usize..end as usize).unwrap_or(&[]) {
                    if let Some(v) = self.vectors.get(i as usize) {
                        let d2 = chord2(&q, v);
                        if d2 <= limit2 {
                            found.push((d2, i));
                        }
                    }
                }
            }
        }
        if found.len() > limit && limit > 0 {
            found.select_nth_unstable_by(limit - 1, |a, b| a.0.total_cmp(&b.0));
            found.truncate(limit);
        }
        found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        Some(found.into_iter().map(|(_, i)| i).collect())
    }

    fn scan_cell(&self, cell: usize, q: &[f64; 3], best: &mut Option<(u32, f64)>) {
        let (Some(&start), Some(&end)) = (self.cell_start.get(cell), self.cell_start.get(cell + 1))
        else {
            return;
        };
        let Some(items) = self.items.get(start as usize..end as usize) else {
            return;
        };
        for &i in items {
            if let Some(v) = self.vectors.get(i as usize) {
                let d2 = chord2(q, v);
                if best.is_none_or(|(_, b)| d2 < b) {
                    *best = Some((i, d2));
                }
            }
        }
    }
}

/// A lower bound (as squared chord) on the distance from a query at `lat`
/// to any point outside the block of cells within `ring` of its cell:
/// at least `ring` cells away in latitude or in longitude, and meridians
/// converge at most as much as at the block's highest latitude.
fn ring_bound(lat: f64, ring: usize) -> f64 {
    let delta = (ring as f64 * CELL_DEG).to_radians();
    let lat_max = (lat.abs() + (ring + 1) as f64 * CELL_DEG)
        .min(90.0)
        .to_radians();
    let angle = 2.0 * (lat_max.cos() * (delta / 2.0).sin()).clamp(0.0, 1.0).asin();
    // Squared chord of that angle, a hair smaller for rounding.
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord * 0.999_999
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid agrees with a brute-force search, including across the
    /// antimeridian and near the poles (where it may decline).
    #[test]
    fn grid_finds_the_true_nearest() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut points: Vec<(f64, f64)> = (0..100_000)
            .map(|_| (next() * 170.0 - 85.0, next() * 360.0 - 180.0))
            .collect();
        points.extend([(0.0, 179.99), (0.0, -179.99), (89.9, 10.0)]);
        let grid = PlaceGrid::new(points.iter().copied());
        let mut answered = 0;
        let queries: Vec<(f64, f64)> = (0..1_000)
            .map(|_| (next() * 180.0 - 90.0, next() * 360.0 - 180.0))
            .chain([(0.0, 180.0), (0.0, -180.0), (0.01, 179.999), (90.0, 0.0)])
            .collect();
        for (lat, lon) in queries {
            let q = unit_vector(lat, lon);
            let brute = points
                .iter()
                .map(|&(a, b)| chord2(&q, &unit_vector(a, b)))
                .fold(f64::INFINITY, f64::min);
            if let Some(i) = grid.nearest(lat, lon) {
                answered += 1;
                let (a, b) = points[i as usize];
                let got = chord2(&q, &unit_vector(a, b));
                assert!(
                    (got - brute).abs() < 1e-12,
                    "({lat}, {lon}): grid {got} vs brute {brute}"
                );
            }
        }
        // With ~1.6 points per square degree most queries are answered by the grid.
        assert!(answered > 800, "grid answered only {answered}");
    }

    /// `within` returns what a brute-force search finds, in order.
    #[test]
    fn grid_within_matches_brute_force() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        // Dense: 200,000 points in a 10 x 10 degree box across the antimeridian.
        let points: Vec<(f64, f64)> = (0..200_000)
            .map(|_| {
                let lon = 175.0 + next() * 10.0;
                (
                    40.0 + next() * 10.0,
                    if lon > 180.0 { lon - 360.0 } else { lon },
                )
            })
            .collect();
        let grid = PlaceGrid::new(points.iter().copied());
        for _ in 0..200 {
            let (lat, lon) = (41.0 + next() * 8.0, 176.0 + next() * 8.0);
            let lon = if lon > 180.0 { lon - 360.0 } else { lon };
            let q = unit_vector(lat, lon);
            let angle = 25.0 / 6371.0088;
            let max2 = (2.0 * (angle / 2.0_f64).sin()).powi(2);
            let mut brute: Vec<(f64, u32)> = points
                .iter()
                .enumerate()
                .map(|(i, &(a, b))| (chord2(&q, &unit_vector(a, b)), i as u32))
                .filter(|(d, _)| *d <= max2)
                .collect();
            brute.sort_by(|a, b| a.0.total_cmp(&b.0));
            brute.truncate(50);
            let got = grid.within(lat, lon, 25.0, 50).expect("answered");
            let got: Vec<u32> = got.into_iter().take(brute.len()).collect();
            let want: Vec<u32> = brute.iter().map(|(_, i)| *i).collect();
            assert_eq!(got, want, "({lat}, {lon})");
        }
        assert!(
            grid.within(89.0, 0.0, 25.0, 50).is_none(),
            "polar: the R-tree answers"
        );
    }
}
