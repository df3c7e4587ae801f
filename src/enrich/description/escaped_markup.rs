//! Markup escaped once (`&lt;li&gt;...`), read where it lies instead of
//! through an unescaped copy.

use super::element::Element;
use super::entities::{is_tag_start, unescape_into};
use super::line::Line;
use super::line_writer::LineWriter;
use super::tag_scanner::{TagName, name_ends_at, next_tag_start, opens_value, read_tag};

/// The lines of markup escaped once (`&lt;li&gt;...`, most feeds that
/// escape), read where it lies: the same lines as [`unescaped_lines`]
/// without first copying the whole description unescaped. Only the plain
/// shape is read here; `None` for anything else (real tags beside escaped
/// ones, numeric references or escaping twice, which could make more
/// tags, comments, scripts, entities inside a tag, quotes a tokenizer
/// would not take as an attribute value's, and markup a parser would
/// repair), which goes the copying way.
///
/// Why it is the same: each `&lt;` of such text becomes a `<` of the copy
/// and nothing else does, since a reference never reaches past the next
/// `&`; so the copy's tags and text are these, with the text unescaped
/// chunk by chunk. Checked over the corpus by
/// `escaped_markup_is_read_as_its_unescaped_copy`.
pub fn escaped_markup_lines(raw: &str) -> Option<Vec<Line>> {
    let bytes = raw.as_bytes();
    if next_tag_start(bytes).is_some() {
        return None;
    }
    let newline_breaks = !block_markup!("&lt;").iter().any(|m| raw.contains(m));
    let mut w = LineWriter::sized_for(raw);
    let mut open: Vec<(TagName, Element)> = Vec::new();
    let (mut once, mut twice) = (String::new(), String::new());
    let mut tags = 0usize;
    let mut rest = raw;
    loop {
        let (next_tag, chunk_has_amp) = next_escaped_tag_start(rest.as_bytes());
        let chunk = rest.get(..next_tag.unwrap_or(rest.len()))?;
        if !chunk_has_amp {
            w.text(chunk, newline_breaks);
        } else {
            once.clear();
            let first = unescape_into(chunk, &mut once);
            if first.escapes.numeric || first.escapes.twice > 0 {
                return None;
            }
            if memchr::memchr(b'&', once.as_bytes()).is_none() {
                w.text(&once, newline_breaks);
            } else {
                twice.clear();
                if !unescape_into(&once, &mut twice).all_known {
                    return None;
                }
                w.text(&twice, newline_breaks);
            }
        }
        let Some(at) = next_tag else { break };
        let after = rest.get(at + "&lt;".len()..)?;
        let (end, resume) = escaped_tag_end(after.as_bytes())?;
        let body = after.get(..end)?;
        rest = after.get(resume..)?;
        let (closing, body) = match body.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, body),
        };
        let tag_name = TagName::new(body);
        let element = Element::of(tag_name.as_str());
        // "&lt;!": comments and doctypes; raw text elements; tags a
        // tokenizer reads otherwise than the scanner.
        if tag_name.as_str().is_empty()
            || (!closing && element.is(Element::RAW_TEXT))
            || element.is(Element::PARSER_TEXT)
            // `escaped_tag_end` has checked the quotes.
            || !name_ends_at(body.as_bytes(), tag_name.as_str().len())
        {
            return None;
        }
        if !read_tag(closing, body, tag_name, element, &mut open, &mut w) {
            return None;
        }
        tags += 1;
    }
    if tags == 0 || !open.is_empty() {
        return None;
    }
    w.flush();
    Some(w.lines)
}

/// Where an escaped tag's body ends (before its ">" or "&gt;") and where
/// the text after it starts, for the body that follows "&lt;". Quoted
/// attribute values (`class="x"`) may hold a ">"; only the plain
/// `name="value"` form is read, and a value or body with a "&" in it is
/// not (`&quot;` would end the value in the unescaped copy): `None`, read
/// the copying way.
pub(super) fn escaped_tag_end(after: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    loop {
        let rest = after.get(i..)?;
        i += rest
            .iter()
            .position(|&b| matches!(b, b'>' | b'&' | b'"' | b'\''))?;
        match after.get(i)? {
            b'>' => return Some((i, i + 1)),
            b'&' => return after.get(i..)?.starts_with(b"&gt;").then_some((i, i + 4)),
            &quote => {
                let value = after.get(i + 1..)?;
                let close = memchr::memchr(quote, value)?;
                if !opens_value(after, i) || memchr::memchr(b'&', value.get(..close)?).is_some() {
                    return None;
                }
                i += close + 2;
            }
        }
    }
}

/// The next `&lt;` that opens a tag (a letter, "/" or "!" after it), and
/// whether another "&" comes before it.
pub(super) fn next_escaped_tag_start(bytes: &[u8]) -> (Option<usize>, bool) {
    let mut from = 0;
    let mut amp_before = false;
    while let Some(i) = bytes
        .get(from..)
        .and_then(|b| memchr::memchr(b'&', b))
        .map(|at| from + at)
    {
        if bytes.get(i + 1..i + 4) == Some(b"lt;") && is_tag_start(bytes.get(i + 4)) {
            return (Some(i), amp_before);
        }
        amp_before = true;
        from = i + 1;
    }
    (None, amp_before)
}
