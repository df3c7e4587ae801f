//! Character references (`&amp;`, `&#8217;`, `&ouml;`) decoded, and the
//! escaped tags counted on the way (they tell how often markup was escaped).

use super::is_tag_start;

/// What unescaping met besides the text.
#[derive(Default)]
pub(super) struct Escapes {
    /// `&lt;p`: a tag escaped once.
    pub(super) once: usize,
    /// `&amp;lt;p`: a tag escaped twice.
    pub(super) twice: usize,
    /// A numeric reference was decoded (it may have made new escaped tags).
    pub(super) numeric: bool,
}

/// Decodes character references: the named ones feeds use, and numeric
/// ones. Unknown or malformed references are kept as written.
pub fn unescape_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    unescape_into(s, &mut out);
    out
}

/// Entities a browser decodes even without the ";" ("&amp", "&nbsp").
pub(super) const LEGACY_ENTITIES: [&str; 7] = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];

/// Appends `s` with character references decoded; says whether every
/// reference that looked named (`&name;`) was known, and counts the
/// escaped tags on the way.
pub(super) fn unescape_into(s: &str, out: &mut String) -> Unescaped {
    let mut result = Unescaped {
        all_known: true,
        escapes: Escapes::default(),
    };
    let mut rest = s;
    while let Some(amp) = next_amp(rest.as_bytes()) {
        if amp > 0 {
            out.push_str(&rest[..amp]);
        }
        let after = &rest[amp + 1..];
        let a = after.as_bytes();
        if a.starts_with(b"lt;") {
            result.escapes.once += usize::from(is_tag_start(a.get(3)));
        } else if a.starts_with(b"amp;lt;") {
            result.escapes.twice += usize::from(is_tag_start(a.get(7)));
        }
        // The entities of escaped markup first, without the general lookup.
        if let Some((c, len)) = common_entity(after.as_bytes()) {
            out.push(c);
            rest = after.get(len..).unwrap_or_default();
            continue;
        }
        let semi = after.bytes().take(12).position(|b| b == b';');
        let decoded = semi.and_then(|end| decode_entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                result.escapes.numeric |= after.starts_with('#');
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                if semi.is_some_and(|end| {
                    end > 0
                        && after[..end]
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'#')
                }) {
                    result.all_known = false;
                }
                // A bare "&name" without ";" may also be a legacy entity.
                if LEGACY_ENTITIES.iter().any(|e| after.starts_with(e))
                    && decoded.is_none()
                    && semi.is_none()
                {
                    result.all_known = false;
                }
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    result
}

/// The next "&". Escaped markup has one every few bytes, where looking at
/// the next eight bytes at once costs less than a `memchr` call.
pub(super) fn next_amp(bytes: &[u8]) -> Option<usize> {
    use crate::bytes8::{first_lane, lanes_equal, word};
    let Some(x) = word(bytes) else {
        return memchr::memchr(b'&', bytes);
    };
    let amps = lanes_equal(x, b'&');
    if amps != 0 {
        return Some(first_lane(amps));
    }
    memchr::memchr(b'&', bytes.get(8..)?).map(|at| at + 8)
}

/// What unescaping found.
pub(super) struct Unescaped {
    /// Every reference that looked named (`&name;`) was known.
    pub(super) all_known: bool,
    pub(super) escapes: Escapes,
}

/// `&lt;`, `&gt;`, `&amp;`, `&quot;` (after the "&"): the character and
/// the length of the reference after the "&".
pub(super) fn common_entity(after_amp: &[u8]) -> Option<(char, usize)> {
    match after_amp {
        [b'l', b't', b';', ..] => Some(('<', 3)),
        [b'g', b't', b';', ..] => Some(('>', 3)),
        [b'a', b'm', b'p', b';', ..] => Some(('&', 4)),
        [b'q', b'u', b'o', b't', b';', ..] => Some(('"', 5)),
        _ => None,
    }
}

pub(super) fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|&c| c != '\0');
    }
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "rsquo" => '’',
        "lsquo" => '‘',
        "rdquo" => '”',
        "ldquo" => '“',
        "bull" => '•',
        "middot" => '·',
        "hellip" => '…',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "eacute" => 'é',
        _ => return None,
    })
}
