//! Places bucketed in fixed latitude/longitude cells: the only index of
//! places. The nearest town is almost always in the query's cell or the
//! ring around it, which costs a few dozen distance computations (measured
//! in docs/performance.md). Exact: a search stops only when no cell farther
//! out can hold anything nearer; where that cannot be shown within a few
//! rings (polar regions, empty ocean) every place is scanned, which is rare
//! enough that an R-tree beside the grid (21 MB resident) did not pay.

/// Cell size in degrees: about 28 km north-south.
const CELL_DEG: f64 = 0.25;
const ROWS: usize = 720; // 180 / CELL_DEG
const COLS: usize = 1440; // 360 / CELL_DEG
/// Rings searched for the single nearest before scanning everything
/// (about 2° around the query).
const MAX_RING: usize = 8;
/// Rings searched among the k nearest (about 10°: sparse regions need
/// more rings to hold k places, and a ring is still far cheaper than a
/// scan).
const MAX_RING_K: usize = 40;

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

    /// The index of the nearest place (`None` only without places).
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<u32> {
        self.nearest_in_rings(lat, lon)
            .or_else(|| self.nearest_by_scan(&unit_vector(lat, lon)))
    }

    /// The nearest place, if the grid can prove it within `MAX_RING` rings.
    fn nearest_in_rings(&self, lat: f64, lon: f64) -> Option<u32> {
        let q = unit_vector(lat, lon);
        let (row0, col0) = cell_of(lat, lon);
        let mut best: Option<(u32, f64)> = None;
        for ring in 0..=MAX_RING {
            for cell in ring_cells(row0, col0, ring) {
                self.scan_cell(cell, &q, &mut best);
            }
            if let Some((index, d2)) = best
                && d2 <= ring_bound(lat, ring)
            {
                return Some(index);
            }
        }
        None
    }

    fn nearest_by_scan(&self, q: &[f64; 3]) -> Option<u32> {
        self.distances(q)
            .into_iter()
            .min_by(by_distance)
            .map(|(_, i)| i)
    }

    /// Every place with its squared chord to `q` (where rings cannot
    /// prove an answer).
    fn distances(&self, q: &[f64; 3]) -> Vec<(f64, u32)> {
        self.vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (chord2(q, v), i as u32))
            .collect()
    }

    /// The first place satisfying `wanted` among the `k` nearest, in
    /// order of distance (`None`: none of the `k` nearest does). Rings are
    /// searched only until such a place, and every place nearer than it,
    /// is proven: near a border that is usually the first ring or two.
    pub fn first_of_nearest(
        &self,
        lat: f64,
        lon: f64,
        k: usize,
        wanted: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let q = unit_vector(lat, lon);
        let (row0, col0) = cell_of(lat, lon);
        let mut found: Vec<(f64, u32)> = Vec::new();
        let first_within = |found: &[(f64, u32)], bound: f64| {
            let mut proven: Vec<(f64, u32)> =
                found.iter().copied().filter(|c| c.0 <= bound).collect();
            proven.sort_unstable_by(by_distance);
            proven
                .into_iter()
                .take(k)
                .map(|(_, i)| i)
                .find(|&i| wanted(i))
        };
        for ring in 0..=MAX_RING_K {
            for cell in ring_cells(row0, col0, ring) {
                for &i in self.cell_items(cell) {
                    if let Some(v) = self.vectors.get(i as usize) {
                        found.push((chord2(&q, v), i));
                    }
                }
            }
            // Everything not yet scanned is at least `bound` away: the
            // places within it are the nearest ones, in full.
            let bound = ring_bound(lat, ring);
            let proven = found.iter().filter(|c| c.0 <= bound).count();
            if proven >= k || found.iter().any(|c| c.0 <= bound && wanted(c.1)) {
                return first_within(&found, bound);
            }
        }
        first_within(&self.distances(&q), f64::INFINITY)
    }

    /// Indices of the places within `max_km` (up to `limit` of them),
    /// nearest first (a few may lie a rounding hair beyond: the caller
    /// filters by exact distance). Every place is scanned where the cells
    /// cannot be bounded cheaply (near the poles, very large radii).
    pub fn within(&self, lat: f64, lon: f64, max_km: f64, limit: usize) -> Vec<u32> {
        const KM_PER_DEG: f64 = 111.19; // a degree of latitude (mean radius)
        if limit == 0 {
            return Vec::new();
        }
        let q = unit_vector(lat, lon);
        // Squared chord of the radius, a hair larger for rounding.
        let angle = max_km / 6371.0088;
        let chord = 2.0 * (angle / 2.0).sin();
        let limit2 = chord * chord * 1.000_001;
        let mut found: Vec<(f64, u32)> = Vec::new();
        let mut consider = |i: u32, v: &[f64; 3]| {
            let d2 = chord2(&q, v);
            if d2 <= limit2 {
                found.push((d2, i));
            }
        };
        let lat_span = max_km / KM_PER_DEG;
        let cos = (lat.abs() + lat_span).min(90.0).to_radians().cos();
        if lat_span.is_finite() && cos > 0.1 && lat_span <= 2.0 {
            // At most 2° / 0.1 / 0.25° = 80 columns each side: never the whole row.
            let rows = (lat_span / CELL_DEG).ceil() as usize;
            let cols = (lat_span / cos / CELL_DEG).ceil() as usize;
            let (row0, col0) = cell_of(lat, lon);
            for row in row0.saturating_sub(rows)..=(row0 + rows).min(ROWS - 1) {
                for dc in 0..=2 * cols {
                    let col = (col0 + COLS - cols + dc) % COLS;
                    for &i in self.cell_items(row * COLS + col) {
                        if let Some(v) = self.vectors.get(i as usize) {
                            consider(i, v);
                        }
                    }
                }
            }
        } else {
            found = self
                .distances(&q)
                .into_iter()
                .filter(|&(d2, _)| d2 <= limit2)
                .collect();
        }
        if found.len() > limit {
            found.select_nth_unstable_by(limit - 1, by_distance);
            found.truncate(limit);
        }
        sorted_indices(found)
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

/// The cells of ring `ring` around (`row0`, `col0`): the border of the
/// block within `ring` cells, each once (columns wrap at the antimeridian;
/// rows stop at the poles).
fn ring_cells(row0: usize, col0: usize, ring: usize) -> impl Iterator<Item = usize> {
    let top = row0.saturating_sub(ring);
    let bottom = (row0 + ring).min(ROWS - 1);
    let span = 2 * ring;
    (top..=bottom).flat_map(move |row| {
        let edge_row = row + ring == row0 || row == row0 + ring;
        let step = if edge_row { 1 } else { span.max(1) };
        (0..=span)
            .step_by(step)
            .map(move |dc| row * COLS + (col0 + COLS - ring + dc) % COLS)
    })
}

fn by_distance(a: &(f64, u32), b: &(f64, u32)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

fn sorted_indices(mut found: Vec<(f64, u32)>) -> Vec<u32> {
    found.sort_unstable_by(by_distance);
    found.into_iter().map(|(_, i)| i).collect()
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
    /// antimeridian and near the poles (where it scans every place).
    #[test]
    fn grid_finds_the_true_nearest() {
        let mut next = uniform(0x9e37_79b9_7f4a_7c15);
        let mut points: Vec<(f64, f64)> = (0..100_000)
            .map(|_| (next() * 170.0 - 85.0, next() * 360.0 - 180.0))
            .collect();
        points.extend([(0.0, 179.99), (0.0, -179.99), (89.9, 10.0)]);
        let grid = PlaceGrid::new(points.iter().copied());
        let mut in_rings = 0;
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
            in_rings += usize::from(grid.nearest_in_rings(lat, lon).is_some());
            let i = grid.nearest(lat, lon).expect("places exist");
            let (a, b) = points[i as usize];
            let got = chord2(&q, &unit_vector(a, b));
            assert!(
                (got - brute).abs() < 1e-12,
                "({lat}, {lon}): grid {got} vs brute {brute}"
            );
        }
        // With ~1.6 points per square degree most queries need no scan.
        assert!(in_rings > 800, "rings answered only {in_rings}");
        assert_eq!(PlaceGrid::new(std::iter::empty()).nearest(1.0, 2.0), None);
    }

    /// `first_of_nearest` gives what a brute-force sort gives: the first
    /// wanted place among the k nearest, in dense and sparse regions,
    /// across the antimeridian, at the poles, for rare and common wants.
    #[test]
    fn grid_first_of_nearest_matches_brute_force() {
        let mut next = uniform(0x1234_5678_9abc_def1);
        // Dense in one band, sparse elsewhere: some queries need many rings
        // or the scan.
        let mut points: Vec<(f64, f64)> = (0..50_000)
            .map(|_| (next() * 20.0 + 30.0, next() * 40.0 - 100.0))
            .collect();
        points.extend((0..2_000).map(|_| (next() * 180.0 - 90.0, next() * 360.0 - 180.0)));
        let grid = PlaceGrid::new(points.iter().copied());
        let vectors: Vec<[f64; 3]> = points.iter().map(|&(a, b)| unit_vector(a, b)).collect();
        let queries: Vec<(f64, f64)> = (0..200)
            .map(|_| (next() * 180.0 - 90.0, next() * 360.0 - 180.0))
            .chain([(40.0, -80.0), (0.0, 180.0), (89.99, 0.0), (-90.0, 0.0)])
            .collect();
        let mut some = 0;
        for (lat, lon) in queries {
            let q = unit_vector(lat, lon);
            let mut brute: Vec<(f64, u32)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (chord2(&q, v), i as u32))
                .collect();
            brute.sort_by(by_distance);
            for modulus in [1, 7, 40, 1_000] {
                let wanted = |i: u32| i % modulus == 3 % modulus;
                for k in [1, 5, 64] {
                    let want = brute.iter().take(k).map(|c| c.1).find(|&i| wanted(i));
                    let got = grid.first_of_nearest(lat, lon, k, wanted);
                    assert_eq!(got, want, "({lat}, {lon}), k = {k}, modulus {modulus}");
                    some += usize::from(got.is_some());
                }
            }
        }
        assert!(some > 500, "the wanted places were found only {some} times");
        assert_eq!(grid.first_of_nearest(40.0, -80.0, 0, |_| true), None);
    }

    /// `within` returns exactly what a brute-force search finds, in order:
    /// sparse points (so that the whole radius is searched, not just the
    /// nearest cell), queries on cell corners, on the antimeridian, and at
    /// the poles (where every place is scanned).
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
        for (lat, lon) in queries.into_iter().chain([(89.0, 0.0), (-90.0, 0.0)]) {
            let got = grid.within(lat, lon, max_km, limit);
            let q = unit_vector(lat, lon);
            let mut brute: Vec<(f64, u32)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (chord2(&q, v), i as u32))
                .filter(|(d, _)| *d <= max2)
                .collect();
            brute.sort_by(by_distance);
            let want: Vec<u32> = brute.iter().map(|(_, i)| *i).collect();
            // The grid may add points a rounding hair beyond the radius.
            assert_eq!(&got[..want.len()], &want[..], "({lat}, {lon})");
        }
        assert_eq!(grid.within(45.0, 7.0, 25.0, 0), Vec::<u32>::new());
        assert_eq!(
            grid.within(45.0, 7.0, 25.0, 3).len(),
            3.min(grid.within(45.0, 7.0, 25.0, 100).len())
        );
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
