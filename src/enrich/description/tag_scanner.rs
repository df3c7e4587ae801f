//! The fast path for HTML: one linear pass over tags and text, no tree,
//! exact for well-formed markup; and the tokenizer-shape checks that tell
//! when markup is not plain enough for it.

use super::element::Element;
use super::entities::{is_tag_start, unescape_into};
use super::line_writer::LineWriter;

/// Whether the scanner read the markup exactly as a parser would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Markup {
    /// Every tag closed in order, every entity known: same result as html5ever.
    WellFormed,
    /// Misnested or unclosed tags, implied end tags, unknown entities.
    NeedsRepair,
}

/// The fast path: one linear pass over tags and text, no tree. Exact for
/// well-formed markup (tested against html5ever over the corpus); for the
/// rest it says so, and its approximate lines are used only where the
/// parser cannot go (pathological nesting).
pub(super) fn scan_tags(html: &str, newline_breaks: bool, w: &mut LineWriter) -> Markup {
    let mut open: Vec<(TagName, Element)> = Vec::new();
    let mut markup = Markup::WellFormed;
    let mut text = String::new();
    let mut rest = html;
    loop {
        // Text up to the next tag-like "<".
        let next_tag = next_tag_start(rest.as_bytes());
        let (chunk, after) = match next_tag {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if memchr::memchr(b'&', chunk.as_bytes()).is_none() {
            w.text(chunk, newline_breaks);
        } else {
            text.clear();
            if !unescape_into(chunk, &mut text).all_known {
                markup = Markup::NeedsRepair;
            }
            w.text(&text, newline_breaks);
        }
        let Some(after) = after else { break };
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = tag_end(after) else {
            // An unterminated tag: a parser drops it; so does the scanner.
            markup = Markup::NeedsRepair;
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let (closing, body) = match tag.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, tag),
        };
        let tag_name = TagName::new(body);
        let name = tag_name.as_str();
        if name.is_empty() {
            // <!DOCTYPE ...> and the like.
            continue;
        }
        let element = Element::of(name);
        if element.is(Element::PARSER_TEXT) || !is_plain_tag(body.as_bytes(), name.len()) {
            markup = Markup::NeedsRepair;
        }
        if !closing && element.is(Element::RAW_TEXT) {
            // Raw text: skip to the end tag without reading "<" inside.
            let end_tag = format!("</{name}");
            rest = match find_ascii_case_insensitive(rest, &end_tag) {
                Some(pos) => rest[pos..].find('>').map_or("", |gt| &rest[pos + gt + 1..]),
                None => "",
            };
            continue;
        }
        if !read_tag(closing, body, tag_name, element, &mut open, w) {
            markup = Markup::NeedsRepair;
        }
    }
    if !open.is_empty() {
        markup = Markup::NeedsRepair;
    }
    markup
}

/// One start or end tag (`body`: after "<" or "</", up to ">") given to
/// the writer and to the stack of open elements. False when a parser
/// would repair the markup around it.
pub(super) fn read_tag<'a>(
    closing: bool,
    body: &str,
    tag_name: TagName<'a>,
    element: Element,
    open: &mut Vec<(TagName<'a>, Element)>,
    w: &mut LineWriter,
) -> bool {
    let mut well_formed = true;
    if closing {
        if element.is(Element::VOID) {
            well_formed = false; // "</br>" is a <br> to a browser
        } else if open.last().is_some_and(|(top, _)| *top == tag_name) {
            open.pop();
        } else {
            well_formed = false;
        }
        w.close(element);
    } else {
        w.open(element);
        if element.is(Element::VOID) || body.ends_with('/') {
            w.close(element);
        } else {
            // Block elements inside inline ones, or an <li>/<p> that
            // implicitly closes the open one, are repaired by parsers.
            if open.last().is_some_and(|&(_, top)| {
                top.ends_before(element) || (top.is(Element::INLINE) && element.is(Element::BLOCK))
            }) {
                well_formed = false;
            }
            open.push((tag_name, element));
        }
    }
    well_formed
}

/// Whether the quote at `at` opens an attribute value as an HTML tokenizer
/// reads it: right after `name=`, where `name` follows whitespace (so it
/// is an attribute's name, not the tag's or an unquoted value). Anywhere
/// else a tokenizer takes the quote as an ordinary character.
pub(super) fn opens_value(tag: &[u8], at: usize) -> bool {
    let Some(eq) = at.checked_sub(1) else {
        return false;
    };
    let Some(before) = tag.get(..eq).filter(|_| tag.get(eq) == Some(&b'=')) else {
        return false;
    };
    let name = before
        .iter()
        .rev()
        .take_while(|&&b| is_attribute_name_byte(b))
        .count();
    name > 0
        && before
            .len()
            .checked_sub(name + 1)
            .and_then(|ws| before.get(ws))
            .is_some_and(u8::is_ascii_whitespace)
}

pub(super) fn is_attribute_name_byte(b: u8) -> bool {
    !b.is_ascii_whitespace() && !b"=\"'/<>&".contains(&b)
}

/// Whether a tag body (after "<" or "</", with a name of `name_len` bytes
/// as [`TagName`] read it) has the shape the scanner reads as a tokenizer
/// does: a name that ends where the scanner ends it, and quotes only
/// around attribute values.
pub(super) fn is_plain_tag(body: &[u8], name_len: usize) -> bool {
    name_ends_at(body, name_len)
        && (memchr::memchr2(b'"', b'\'', body).is_none() || quotes_are_values(body))
}

/// The tag name (letters and digits, `len` bytes) ends at whitespace, "/"
/// or the end: `<p-x>` and `<br="x">` name other elements to a tokenizer.
pub(super) fn name_ends_at(body: &[u8], len: usize) -> bool {
    body.get(len)
        .is_none_or(|&b| b.is_ascii_whitespace() || b == b'/')
}

/// Every quote of the body opens (and one later closes) an attribute value.
pub(super) fn quotes_are_values(body: &[u8]) -> bool {
    let mut quoted: Option<u8> = None;
    let all = body.iter().enumerate().all(|(i, &b)| match quoted {
        Some(q) => {
            if b == q {
                quoted = None;
            }
            true
        }
        None if b == b'"' || b == b'\'' => {
            quoted = Some(b);
            opens_value(body, i)
        }
        None => true,
    });
    all && quoted.is_none()
}

/// Whether open elements nest deeper than `max`, counting every `<name`
/// of the input as a parser would roughly (comments, scripts and tags the
/// scanner gave up on included): void elements and the elements that
/// close themselves (`<li>`, `<p>`, cells) do not nest.
pub(super) fn nesting_exceeds(html: &str, max: usize) -> bool {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    for i in memchr::memchr_iter(b'<', bytes) {
        let closing = bytes.get(i + 1) == Some(&b'/');
        let start = i + 1 + usize::from(closing);
        let tag = TagName::new(html.get(start..).unwrap_or_default());
        let name = tag.as_str();
        if name.is_empty() || Element::of(name).does_not_nest() {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            if depth > max {
                return true;
            }
        }
    }
    false
}

/// Any `<br`, `<p`, `<li`, `<div`, `<h` (or `<BR`, `<P`) anywhere in the
/// input: then the markup, not the source's newlines, breaks lines.
pub(super) fn has_block_markup(html: &str) -> bool {
    block_markup!("<").iter().any(|m| html.contains(m))
}

/// The next "<" that opens a tag (a letter, "/" or "!" after it).
pub(super) fn next_tag_start(bytes: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'<', bytes).find(|&i| is_tag_start(bytes.get(i + 1)))
}

/// A tag's name, lower-cased, without an allocation per tag: borrowed
/// from the input when written in lower case (nearly always), else a
/// lowered copy (cut at 24 bytes, longer than any HTML element name).
#[derive(Clone, Copy)]
pub(super) enum TagName<'a> {
    AsWritten(&'a str),
    Lowered { bytes: [u8; 24], len: u8 },
}

impl<'a> TagName<'a> {
    pub(super) fn new(body: &'a str) -> TagName<'a> {
        let len = body.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let written = body.get(..len).unwrap_or_default();
        if !written.bytes().any(|b| b.is_ascii_uppercase()) {
            return TagName::AsWritten(written);
        }
        let mut bytes = [0; 24];
        for (slot, b) in bytes.iter_mut().zip(written.bytes()) {
            *slot = b.to_ascii_lowercase();
        }
        TagName::Lowered {
            bytes,
            len: len.min(24) as u8,
        }
    }

    pub(super) fn as_str(&self) -> &str {
        match self {
            TagName::AsWritten(s) => s,
            // ASCII alphanumerics only, so always valid UTF-8.
            TagName::Lowered { bytes, len } => bytes
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or(""),
        }
    }
}

impl PartialEq for TagName<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// The `>` that ends a tag, skipping quoted attribute values.
pub(super) fn tag_end(after_lt: &str) -> Option<usize> {
    let mut quote = None;
    for (i, b) in after_lt.bytes().enumerate() {
        match (quote, b) {
            (None, b'>') => return Some(i),
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    None
}

pub(super) fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}
