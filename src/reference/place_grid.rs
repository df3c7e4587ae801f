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
}
