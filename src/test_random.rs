//! The property tests' random source: a fixed linear congruential
//! generator (Knuth's MMIX constants), so every run checks the same cases.

pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }

    /// `count` of `pieces` in a row, each drawn at random.
    pub(crate) fn text(&mut self, pieces: &[&str], count: usize) -> String {
        (0..count)
            .filter_map(|_| pieces.get((self.next_u64() >> 33) as usize % pieces.len().max(1)))
            .copied()
            .collect()
    }
}
