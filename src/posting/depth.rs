//! A fast pre-check of JSON nesting depth. serde_json skips unread values
//! without a depth limit (iteratively, so no crash), but a 100,000-deep
//! record would still reach downstream consumers that do recurse; such
//! records are rejected before parsing.

use memchr::memchr2;

/// Whether `text` nests arrays/objects deeper than `max`. Strings are
/// skipped with `memchr`, so descriptions cost little. Malformed JSON is
/// left for the parser to report.
pub fn exceeds(text: &[u8], max: usize) -> bool {
    // Fewer openings than the limit, counted strings and all: nothing can
    // nest deeper (a posting has a dozen; counting them is one SIMD pass).
    if memchr::memchr2_iter(b'[', b'{', text).take(max + 1).count() <= max {
        return false;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'"' => {
                // Jump to the closing quote, stepping over escapes.
                let mut j = i + 1;
                loop {
                    match memchr2(b'"', b'\\', text.get(j..).unwrap_or_default()) {
                        Some(k) if text.get(j + k) == Some(&b'\\') => j += k + 2,
                        Some(k) => {
                            i = j + k;
                            break;
                        }
                        None => return false,
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::exceeds;

    #[test]
    fn counts_structure_not_strings() {
        assert!(!exceeds(br#"{"a":[{"b":"[[[[[[[["}]}"#, 3));
        assert!(exceeds(br#"{"a":[{"b":[]}]}"#, 3));
        assert!(!exceeds(br#"{"a":"\"[[[[\\"}"#, 1));
        assert!(exceeds(&[b'['; 1000], 128));
        assert!(!exceeds(br#"{"unterminated"#, 1));
        // More openings than the limit, but inside strings or side by side.
        assert!(!exceeds(br#"{"a":"[[[[[[","b":[],"c":{}}"#, 2));
        assert!(exceeds(br#"{"a":"[[[[[[","b":[[]]}"#, 2));
    }
}
