//! Eight bytes tested at once in a `u64` ("SWAR"): the description
//! decoder and the record writer skip plain text eight bytes at a time
//! with these, without a branch per byte. The record writer's search for
//! the next byte to escape uses SSE2 where the target has it
//! (`record.rs`) and these words elsewhere.

/// Eight bytes of a slice as one word, or `None` when fewer remain.
pub(crate) fn word(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// `byte` in every lane.
pub(crate) const fn splat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

pub(crate) const HIGH: u64 = splat(0x80);
const LOW7: u64 = splat(0x7f);

/// The high bit of each lane of `x` that is zero (exact: no carries
/// between lanes).
pub(crate) const fn zero_lanes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The high bit of each lane of `x` equal to `byte`.
pub(crate) const fn lanes_equal(x: u64, byte: u8) -> u64 {
    zero_lanes(x ^ splat(byte))
}

/// The high bit of each lane of `x` under 0x20 (control characters).
pub(crate) const fn control_lanes(x: u64) -> u64 {
    // Adding 0x60 to the low seven bits sets the high bit from 0x20 up.
    !((x & LOW7) + splat(0x60)) & !x & HIGH
}

/// The high bit of each lane of printable ASCII (0x20..=0x7E).
pub(crate) const fn printable_lanes(x: u64) -> u64 {
    let low = x & LOW7;
    let at_least_space = low + splat(0x60);
    let is_del = low + splat(0x01);
    at_least_space & !is_del & !x & HIGH
}

/// The high bit of each lane of `x` at 0x80 or above (not ASCII).
pub(crate) const fn non_ascii_lanes(x: u64) -> u64 {
    x & HIGH
}

/// The high bit of each lane of `x` from `lo` to `hi` inclusive, for an
/// `x` of ASCII lanes only (check `non_ascii_lanes` first; `hi` < 0x80).
pub(crate) const fn ascii_lanes_between(x: u64, lo: u8, hi: u8) -> u64 {
    // For a lane under 0x80 neither sum carries into the next lane.
    let at_least_lo = x + splat(0x80 - lo);
    let above_hi = x + splat(0x7f - hi);
    at_least_lo & !above_hi & HIGH
}

/// The index of the first lane a (non-zero) mask from these functions marks.
pub(crate) const fn first_lane(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// How many lanes a mask from these functions marks (one bit per lane,
/// summed into the top byte; no popcount instruction in baseline x86-64).
pub(crate) const fn count_lanes(mask: u64) -> usize {
    ((mask >> 7).wrapping_mul(splat(1)) >> 56) as usize
}

/// The first byte of `bytes` that `byte` accepts, eight at a time: `lanes`
/// marks the accepted lanes of a word (the high bit of each, as the lane
/// tests above do) and must agree with `byte`; the tail of fewer than
/// eight goes byte by byte. Inlined, so each caller's tests compile into
/// its own loop.
#[inline(always)]
pub(crate) fn first_where(
    bytes: &[u8],
    lanes: impl Fn(u64) -> u64,
    byte: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut at = 0;
    while let Some(x) = bytes.get(at..).and_then(word) {
        let found = lanes(x);
        if found != 0 {
            return Some(at + first_lane(found));
        }
        at += 8;
    }
    let tail = bytes.get(at..)?;
    tail.iter().position(|&b| byte(b)).map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_agree_with_bytes() {
        let mut rng = crate::test_random::Lcg::new(11);
        for _ in 0..100_000 {
            let seed = rng.next_u64();
            // Bytes from a small set of edge values, so every lane test fires.
            let edges = [
                0x00, 0x1f, 0x20, 0x21, 0x22, 0x7e, 0x5c, 0x7f, 0x80, 0xff, b'a', b'z', b'{', b'`',
                b'0', b'9', b'/', b':',
            ];
            let bytes: Vec<u8> = (0..8)
                .map(|k| edges[((seed >> (8 * k)) as usize) % edges.len()])
                .collect();
            let x = word(&bytes).expect("eight bytes");
            let mask = |f: &dyn Fn(u8) -> bool| {
                bytes
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (k, &b)| m | (u64::from(f(b)) << (8 * k + 7)))
            };
            assert_eq!(lanes_equal(x, b' '), mask(&|b| b == b' '));
            assert_eq!(control_lanes(x), mask(&|b| b < 0x20));
            assert_eq!(non_ascii_lanes(x), mask(&|b| b >= 0x80));
            assert_eq!(printable_lanes(x), mask(&|b| (0x20..=0x7e).contains(&b)));
            let spaces = lanes_equal(x, b' ');
            if spaces != 0 {
                assert_eq!(
                    Some(first_lane(spaces)),
                    bytes.iter().position(|&b| b == b' ')
                );
            }
            if non_ascii_lanes(x) == 0 {
                for (lo, hi) in [(b'a', b'z'), (b'0', b'9'), (0x00, 0x1f), (0x20, 0x7f)] {
                    assert_eq!(
                        ascii_lanes_between(x, lo, hi),
                        mask(&|b| (lo..=hi).contains(&b))
                    );
                }
            }
            assert_eq!(
                count_lanes(lanes_equal(x, b'a')),
                bytes.iter().filter(|&&b| b == b'a').count()
            );
        }
        assert_eq!(word(b"short"), None);
    }
}
