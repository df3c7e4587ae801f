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
        if limit == 0 {
            return Some(Vec::new());
        }
        // At most 2° / 0.1 / 0.25° = 80 columns each side: never the whole row.
        let rows = (lat_span / CELL_DEG).ceil() as usize;
        let cols = (lat_span / cos / CELL_DEG).ceil() as usize;
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
                for &i in self.cell_items(row * COLS + col) {
                    if let Some(v) = self.vectors.get(i as usize) {
                        let d2 = chord2(&q, v);
                        if d2 <= limit2 {
                            found.push((d2, i));
                        }
                    }
                }
            }
        }
        if found.len() > limit {
            found.select_nth_unstable_by(limit - 1, |a, b| a.0.total_cmp(&b.0));
            found.truncate(limit);
        }
        found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        Some(found.into_iter().map(|(_, i)| i).collect())
    }

    /// The places in one cell.
    fn cell_items(&self, cell: usize) -> &[u32] {
        match (self.cell_start.get(cell), self.cell_start.get(cell + 1)) {
            (Some(&start), Some(&end)) => self.items.get(start as usize..end as usize),
            _ => None,
        }
        .unwrap_or(&[])
    }

    fn scan_cell(&self, cell: usize, q: &[f64; 3], best: &mut Option<(u32, f64)>) {
        for &i in self.cell_items(cell) {
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
        let mut next = uniform(0x9e37_79b9_7f4a_7c15);
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

    /// `within` returns exactly what a brute-force search finds, in order:
    /// sparse points (so that the whole radius is searched, not just the
    /// nearest cell), queries on cell corners, on the antimeridian and up
    /// to the latitude where the grid declines.
    #[test]
    fn grid_within_matches_brute_force() {
        let mut next = uniform(0x2545_f491_4f6c_dd1d);
        // ~1 point per 50 km²: a 25 km radius holds a dozen.
        let points: Vec<(f64, f64)> = (0..400_000)
            .map(|_| (next() * 170.0 - 85.0, next() * 360.0 - 180.0))
            .collect();
        let grid = PlaceGrid::new(points.iter().copied());
        let vectors: Vec<[f64; 3]> = points.iter().map(|&(a, b)| unit_vector(a, b)).collect();
        let mut queries: Vec<(f64, f64)> = (0..300)
            .map(|_| (next() * 160.0 - 80.0, next() * 360.0 - 180.0))
            .collect();
        for lat in [-80.0, -45.0, 0.0, 45.0, 60.25, 80.0, 83.5] {
            // Cell corners, and both sides of the antimeridian.
            queries.extend([(lat, 180.0), (lat, -180.0), (lat, 179.99), (lat, 10.25)]);
        }
        let (max_km, limit) = (60.0, 10_000);
        let angle = max_km / 6371.0088;
        let max2 = (2.0 * (angle / 2.0_f64).sin()).powi(2);
        let mut compared = 0;
        for (lat, lon) in queries {
            let Some(got) = grid.within(lat, lon, max_km, limit) else {
                continue;
            };
            let q = unit_vector(lat, lon);
            let mut brute: Vec<(f64, u32)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (chord2(&q, v), i as u32))
                .filter(|(d, _)| *d <= max2)
                .collect();
            brute.sort_by(|a, b| a.0.total_cmp(&b.0));
            let want: Vec<u32> = brute.iter().map(|(_, i)| *i).collect();
            // The grid may add points a rounding hair beyond the radius.
            assert_eq!(&got[..want.len()], &want[..], "({lat}, {lon})");
            compared += 1;
        }
        assert!(compared > 300, "the grid answered only {compared} queries");
        assert!(
            grid.within(89.0, 0.0, 25.0, 50).is_none(),
            "polar: the R-tree answers"
        );
        assert_eq!(grid.within(45.0, 7.0, 25.0, 0), Some(Vec::new()));
    }

    /// Uniform numbers in [0, 1) from a seed (xorshift64).
    fn uniform(mut seed: u64) -> impl FnMut() -> f64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        }
    }
}
