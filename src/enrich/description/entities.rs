//! Character references (`&amp;`, `&#8217;`, `&ouml;`) decoded, and the
//! escaped tags counted on the way (they tell how often markup was escaped).

use markup5ever::data::NAMED_ENTITIES;

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

/// After "<": a letter, "/" or "!" (so "x < 5" is not a tag).
pub(super) fn is_tag_start(b: Option<&u8>) -> bool {
    matches!(b, Some(c) if c.is_ascii_alphabetic() || *c == b'/' || *c == b'!')
}

/// Decodes character references: named (the HTML standard's table) and numeric
/// ones. Unknown or malformed references are kept as written.
pub fn unescape_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    unescape_into(s, &mut out);
    out
}

/// The longest reference after its "&", ";" included
/// ("CounterClockwiseContourIntegral;", or a numeric one with leading zeros).
const LONGEST_REFERENCE: usize = 33;

/// Appends `s` with character references decoded; says whether every
/// reference that looked named (`&name;`) was known, and counts the
/// escaped tags on the way.
pub(super) fn unescape_into(s: &str, out: &mut String) -> Unescaped {
    let mut result = Unescaped {
        all_known: true,
        escapes: Escapes::default(),
    };
    let mut rest = s;
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
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
        let semi = after
            .bytes()
            .take(LONGEST_REFERENCE)
            .position(|b| b == b';');
        let decoded = semi.and_then(|end| decode_entity(&after[..=end]).map(|c| (c, end)));
        match decoded {
            Some(((c, second), end)) => {
                result.escapes.numeric |= after.starts_with('#');
                out.push(c);
                out.extend(second);
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
                // "&copy 2024" or "&nbsp&nbsp": a legacy name a browser
                // decodes without its ";" (wherever a later ";" is).
                if starts_with_legacy_entity(after) {
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

/// The character(s) of a reference, given what follows its "&" up to and
/// including the ";": numeric (`#8217;`, `#x2019;`), or named as in the
/// HTML standard's table (html5ever's copy of it, so the scanner and the
/// parser know the same names). A few names stand for two characters.
pub(super) fn decode_entity(name: &str) -> Option<(char, Option<char>)> {
    if let Some(num) = name.strip_prefix('#') {
        let num = num.strip_suffix(';')?;
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code)
            .filter(|&c| c != '\0')
            .map(|c| (c, None));
    }
    let &(first, second) = NAMED_ENTITIES.get(name).filter(|(first, _)| *first != 0)?;
    Some((
        char::from_u32(first)?,
        char::from_u32(second).filter(|&c| c != '\0'),
    ))
}

/// Whether the text after a "&" starts with a name a browser decodes even
/// without its ";" ("&amp", "&copy", "&ouml"): the table's names without
/// one, all of two to six letters. (The table also holds every prefix of
/// every name, with no character: those are not names.)
fn starts_with_legacy_entity(after: &str) -> bool {
    (2..=6).any(|len| {
        after
            .get(..len)
            .and_then(|name| NAMED_ENTITIES.get(name))
            .is_some_and(|&(first, _)| first != 0)
    })
}
