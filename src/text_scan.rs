//! The project's one text-scanning module: searches over bytes that look
//! at eight bytes at once in a `u64` ("SWAR"), or sixteen with SSE2 where
//! the target has it, behind functions named for what they find. Domain
//! code (the description decoder, salary text, the record writer) calls
//! these and reads as rules; the lane arithmetic stays here, tested
//! against byte-by-byte searches.

/// The first byte JSON must escape (a control byte, `"` or `\`).
pub fn first_json_escape(bytes: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: the function only needs SSE2, which this build targets
        // (the cfg above; every x86-64 CPU has it).
        unsafe { first_escape_sse2(bytes) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    first_escape_swar(bytes)
}

/// [`first_json_escape`] sixteen bytes at a time: the record's strings are most
/// of its bytes, and this search is most of its encoding (measured in
/// docs/performance.md).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn first_escape_sse2(bytes: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8,
        _mm_setzero_si128, _mm_subs_epu8,
    };
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let control_max = _mm_set1_epi8(0x1f);
    let zero = _mm_setzero_si128();
    let mut chunks = bytes.chunks_exact(16);
    let mut at = 0;
    for chunk in &mut chunks {
        let (lo, hi) = chunk.split_at(8);
        let word = |b: &[u8]| i64::from_le_bytes(b.try_into().unwrap_or_default());
        // Two loads the compiler joins into one unaligned 16-byte load.
        let x = _mm_set_epi64x(word(hi), word(lo));
        // A byte is a control byte when saturating 0x1f off leaves zero.
        let escapes = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
            _mm_cmpeq_epi8(_mm_subs_epu8(x, control_max), zero),
        );
        let mask = _mm_movemask_epi8(escapes);
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    first_escape_swar(chunks.remainder()).map(|i| at + i)
}

/// [`first_json_escape`] eight bytes at a time, in plain Rust.
fn first_escape_swar(bytes: &[u8]) -> Option<usize> {
    first_where(
        bytes,
        |x| control_lanes(x) | lanes_equal(x, b'"') | lanes_equal(x, b'\\'),
        |b| b < 0x20 || b == b'"' || b == b'\\',
    )
}

/// From `start`, the end of a run of printable ASCII in which spaces
/// stand alone, and how many spaces it holds. The run ends before a byte
/// outside 0x20..=0x7E or before the first of two spaces in a row; a
/// space that is the run's last byte is counted (callers decide what a
/// trailing space means). Eight bytes at a time, no branch per byte: most
/// description text is such runs.
pub fn printable_ascii_run(bytes: &[u8], start: usize) -> (usize, usize) {
    let (mut at, mut spaces) = (start, 0);
    while let Some(x) = bytes.get(at..).and_then(word) {
        let space = lanes_equal(x, b' ');
        // Not printable ASCII, or the first of two spaces.
        let stop = (!printable_lanes(x) & HIGH) | (space & (space >> 8));
        if stop == 0 {
            // A space in the last lane is left to the next word, which
            // sees whether a second one follows.
            let last_is_space = space >> 56 != 0;
            spaces += count_lanes(space) - usize::from(last_is_space);
            at += 8 - usize::from(last_is_space);
            continue;
        }
        let lane = first_lane(stop);
        spaces += count_lanes(space & ((1u64 << (8 * lane)) - 1));
        return (at + lane, spaces);
    }
    while let Some(&b) = bytes.get(at) {
        if b == b' ' && bytes.get(at + 1) != Some(&b' ') {
            spaces += 1;
        } else if !(0x21..0x7f).contains(&b) {
            break;
        }
        at += 1;
    }
    (at, spaces)
}

/// The first ASCII digit.
pub fn first_ascii_digit(bytes: &[u8]) -> Option<usize> {
    first_where(
        bytes,
        |x| ascii_lanes_between(x & splat(0x7f), b'0', b'9') & !x & HIGH,
        |b| b.is_ascii_digit(),
    )
}

/// Every position of `a` or `b` (lower-case ASCII letters) in either case,
/// in order, eight bytes at a time: for finding the few words that start
/// with one of two letters without an automaton over every byte.
pub fn letter_positions_any_case(bytes: &[u8], a: u8, b: u8) -> impl Iterator<Item = usize> + '_ {
    let mut at = 0;
    let mut lanes = 0u64;
    std::iter::from_fn(move || {
        loop {
            if lanes != 0 {
                let lane = first_lane(lanes);
                lanes &= lanes - 1;
                return Some(at - 8 + lane);
            }
            let rest = bytes.get(at..)?;
            match word(rest) {
                Some(w) => {
                    let folded = w | splat(0x20);
                    lanes = lanes_equal(folded, a) | lanes_equal(folded, b);
                    at += 8;
                }
                None => {
                    let found = rest
                        .iter()
                        .position(|&c| matches!(c | 0x20, x if x == a || x == b))?;
                    at += found + 1;
                    // `at - 8 + lane` of the next call must not apply here.
                    return Some(at - 1);
                }
            }
        }
    })
}

// The lane arithmetic: one `u64` holds eight bytes ("lanes"); each test
// returns the high bit of every lane it accepts.

/// Eight bytes of a slice as one word, or `None` when fewer remain.
fn word(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// `byte` in every lane.
const fn splat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

const HIGH: u64 = splat(0x80);
const LOW7: u64 = splat(0x7f);

/// The high bit of each lane of `x` that is zero (exact: no carries
/// between lanes).
const fn zero_lanes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The high bit of each lane of `x` equal to `byte`.
const fn lanes_equal(x: u64, byte: u8) -> u64 {
    zero_lanes(x ^ splat(byte))
}

/// The high bit of each lane of `x` under 0x20 (control characters).
const fn control_lanes(x: u64) -> u64 {
    // Adding 0x60 to the low seven bits sets the high bit from 0x20 up.
    !((x & LOW7) + splat(0x60)) & !x & HIGH
}

/// The high bit of each lane of printable ASCII (0x20..=0x7E).
const fn printable_lanes(x: u64) -> u64 {
    let low = x & LOW7;
    let at_least_space = low + splat(0x60);
    let is_del = low + splat(0x01);
    at_least_space & !is_del & !x & HIGH
}

/// The high bit of each lane of `x` from `lo` to `hi` inclusive, for an
/// `x` of ASCII lanes only (`hi` < 0x80).
const fn ascii_lanes_between(x: u64, lo: u8, hi: u8) -> u64 {
    // For a lane under 0x80 neither sum carries into the next lane.
    let at_least_lo = x + splat(0x80 - lo);
    let above_hi = x + splat(0x7f - hi);
    at_least_lo & !above_hi & HIGH
}

/// The index of the first lane a (non-zero) mask from these functions marks.
const fn first_lane(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// How many lanes a mask from these functions marks (one bit per lane,
/// summed into the top byte; no popcount instruction in baseline x86-64).
const fn count_lanes(mask: u64) -> usize {
    ((mask >> 7).wrapping_mul(splat(1)) >> 56) as usize
}

/// The first byte of `bytes` that `byte` accepts, eight at a time: `lanes`
/// marks the accepted lanes of a word (the high bit of each, as the lane
/// tests above do) and must agree with `byte`; the tail of fewer than
/// eight goes byte by byte. Inlined, so each caller's tests compile into
/// its own loop.
#[inline(always)]
fn first_where(
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
            assert_eq!(printable_lanes(x), mask(&|b| (0x20..=0x7e).contains(&b)));
            let spaces = lanes_equal(x, b' ');
            if spaces != 0 {
                assert_eq!(
                    Some(first_lane(spaces)),
                    bytes.iter().position(|&b| b == b' ')
                );
            }
            if x & HIGH == 0 {
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

    /// Every byte value, at every position of the sixteen- and eight-byte
    /// loops and their tails: the vector search agrees with the byte test.
    #[test]
    fn first_json_escape_agrees_with_a_byte_by_byte_search() {
        let needs_escape = |b: &u8| *b < 0x20 || *b == b'"' || *b == b'\\';
        let mut rng = crate::test_random::Lcg::new(31);
        for _ in 0..50_000 {
            let len = (rng.next_u64() >> 58) as usize + (rng.next_u64() >> 62) as usize * 40;
            // Mostly plain bytes (ASCII letters and bytes from 0x7f up),
            // with an escape-worthy byte now and then.
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = rng.next_u64() >> 32;
                    match r % 64 {
                        0 => (r >> 8) as u8 % 0x20,
                        1 => b'"',
                        2 => b'\\',
                        3..=20 => 0x7f + (r >> 8) as u8 % 0x81,
                        _ => b'a' + (r >> 8) as u8 % 26,
                    }
                })
                .collect();
            let want = bytes.iter().position(needs_escape);
            assert_eq!(first_json_escape(&bytes), want, "{bytes:?}");
            assert_eq!(first_escape_swar(&bytes), want, "{bytes:?}");
        }
        for b in 0..=255u8 {
            for at in 0..40 {
                let mut bytes = vec![b'x'; 40];
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = b;
                }
                let want = bytes.iter().position(needs_escape);
                assert_eq!(first_json_escape(&bytes), want, "byte {b:#x} at {at}");
                assert_eq!(first_escape_swar(&bytes), want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn printable_ascii_run_agrees_with_a_byte_by_byte_reading() {
        fn by_byte(bytes: &[u8], start: usize) -> (usize, usize) {
            let (mut at, mut spaces) = (start, 0);
            while let Some(&b) = bytes.get(at) {
                if b == b' ' && bytes.get(at + 1) != Some(&b' ') {
                    spaces += 1;
                } else if !(0x21..0x7f).contains(&b) {
                    break;
                }
                at += 1;
            }
            (at, spaces)
        }
        let mut rng = crate::test_random::Lcg::new(41);
        let edges = [b'a', b' ', b' ', b'~', 0x7f, 0x1f, 0x80, 0xE2, b'\n', b'Z'];
        for _ in 0..50_000 {
            let seed = rng.next_u64();
            let len = (seed >> 58) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| edges[(rng.next_u64() >> 40) as usize % edges.len()])
                .collect();
            let start = (seed as usize) % (len + 1);
            assert_eq!(
                printable_ascii_run(&bytes, start),
                by_byte(&bytes, start),
                "{bytes:?} from {start}"
            );
        }
    }

    #[test]
    fn first_ascii_digit_and_letter_positions_agree_with_byte_searches() {
        let mut rng = crate::test_random::Lcg::new(43);
        let edges = [
            b'a', b'l', b'L', b'c', b'C', b'0', b'9', b'/', b':', 0xEC, 0xB0, b' ',
        ];
        for _ in 0..50_000 {
            let len = (rng.next_u64() >> 58) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| edges[(rng.next_u64() >> 40) as usize % edges.len()])
                .collect();
            assert_eq!(
                first_ascii_digit(&bytes),
                bytes.iter().position(u8::is_ascii_digit),
                "{bytes:?}"
            );
            let want: Vec<usize> = (0..len)
                .filter(|&i| matches!(bytes[i] | 0x20, b'l' | b'c'))
                .collect();
            let got: Vec<usize> = letter_positions_any_case(&bytes, b'l', b'c').collect();
            assert_eq!(got, want, "{bytes:?}");
        }
    }
}
