//! A posting's description, from whatever the feed sends (HTML, HTML
//! entity-escaped once or twice, plain text) to a list of [`Line`]s: the
//! blocks, `<br>`-separated lines and list items a reader sees, with the
//! emphasis that makes a line look like a heading. Sections and plain text
//! are built from these lines.
//!
//! Not for: deciding what is a heading (see `sections`).

use ego_tree::iter::Edge;
use scraper::{Html, Node};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::html_element::Element;

/// One visual line of the description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Whitespace-normalized text, never empty.
    pub text: String,
    pub kind: LineKind,
    /// Every visible character is inside `<strong>`/`<b>`/`<u>`/`<em>`/`<i>`.
    pub emphasized: bool,
    /// Inside `<h1>`–`<h6>`.
    pub heading_tag: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Text,
    /// A list item (`<li>`, or a bulleted/numbered plain-text line).
    Item,
}

/// The decoded description.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub lines: Vec<Line>,
    /// The description was cut at `max_bytes` before decoding.
    pub truncated: bool,
}

impl Decoded {
    /// The description as plain text: one line per block or list item,
    /// items marked with "• ".
    pub fn plain_text(&self) -> String {
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.text.len() + 5).sum());
        for line in &self.lines {
            if !out.is_empty() {
                out.push('\n');
            }
            if line.kind == LineKind::Item {
                out.push_str("• ");
            }
            out.push_str(&line.text);
        }
        out
    }
}

/// Decodes a description. `max_bytes` caps the input (cut at a character
/// boundary) so that hostile HTML costs bounded time and memory.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn decode(raw: &str, max_bytes: usize) -> Decoded {
    let (raw, truncated) = cap(raw, max_bytes);
    let lines = escaped_markup_lines(raw).unwrap_or_else(|| unescaped_lines(raw));
    Decoded { lines, truncated }
}

/// The lines of any description, by unescaping a copy of it as often as it
/// was escaped and reading that.
pub fn unescaped_lines(raw: &str) -> Vec<Line> {
    match as_html(raw) {
        Ok(html) => html_lines(&html),
        Err(plain) => plain_lines(&plain),
    }
}

/// The description as HTML, unescaped as often as it was escaped (`Ok`),
/// or as plain text with entities decoded (`Err`) when it has no tags.
pub fn as_html(raw: &str) -> Result<std::borrow::Cow<'_, str>, String> {
    let mut text = std::borrow::Cow::Borrowed(raw);
    // Escaped once (`&lt;br&gt;`) or twice (`&amp;lt;br&amp;gt;`): unescape
    // while escaped tags outnumber real ones. The copy is made while
    // counting, so escaped markup (most feeds that escape) is read once.
    let (mut tags, mut unescaped) = count_and_unescape(raw);
    for _ in 0..3 {
        if tags.escaped() == 0 || tags.escaped() <= tags.real {
            break;
        }
        let Some(next) = unescaped.take() else { break };
        text = std::borrow::Cow::Owned(next);
        if tags.escapes.twice == 0 && !tags.escapes.numeric {
            // Escaped once: the escaped tags are now the real ones (a
            // numeric reference such as `&#38;` could have made new ones).
            tags = TagCount {
                real: tags.real + tags.escapes.once,
                escapes: Escapes::default(),
            };
        } else {
            (tags, unescaped) = count_and_unescape(&text);
        }
    }
    if tags.real == 0 {
        Err(unescaped.unwrap_or_else(|| unescape_entities(&text)))
    } else {
        Ok(text)
    }
}

/// The tags of `s` counted, and `s` with its entities decoded (`None`:
/// the same as `s`).
fn count_and_unescape(s: &str) -> (TagCount, Option<String>) {
    let bytes = s.as_bytes();
    let real = memchr::memchr_iter(b'<', bytes)
        .filter(|&i| is_tag_start(bytes.get(i + 1)))
        .count();
    let mut count = TagCount {
        real,
        escapes: Escapes::default(),
    };
    // Without a "&" there is nothing to decode and nothing to copy.
    if memchr::memchr(b'&', bytes).is_none() {
        return (count, None);
    }
    let mut out = String::with_capacity(s.len());
    let unescaped = unescape_into(s, &mut out);
    count.escapes = unescaped.escapes;
    (count, Some(out))
}

/// After "<": a letter, "/" or "!" (so "x < 5" is not a tag).
fn is_tag_start(b: Option<&u8>) -> bool {
    matches!(b, Some(c) if c.is_ascii_alphabetic() || *c == b'/' || *c == b'!')
}

fn cap(s: &str, max: usize) -> (&str, bool) {
    (&s[..s.floor_char_boundary(max)], s.len() > max)
}

/// Tag-like openings: `<p`, `</li`, `<br` ... and their escaped forms.
struct TagCount {
    /// `<p`
    real: usize,
    escapes: Escapes,
}

/// What unescaping met besides the text.
#[derive(Default)]
struct Escapes {
    /// `&lt;p`: a tag escaped once.
    once: usize,
    /// `&amp;lt;p`: a tag escaped twice.
    twice: usize,
    /// A numeric reference was decoded (it may have made new escaped tags).
    numeric: bool,
}

impl TagCount {
    fn escaped(&self) -> usize {
        self.escapes.once + self.escapes.twice
    }
}

/// Decodes character references: the named ones feeds use, and numeric
/// ones. Unknown or malformed references are kept as written.
pub fn unescape_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    unescape_into(s, &mut out);
    out
}

/// Entities a browser decodes even without the ";" ("&amp", "&nbsp").
const LEGACY_ENTITIES: [&str; 7] = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];

/// Appends `s` with character references decoded; says whether every
/// reference that looked named (`&name;`) was known, and counts the
/// escaped tags on the way.
fn unescape_into(s: &str, out: &mut String) -> Unescaped {
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
fn next_amp(bytes: &[u8]) -> Option<usize> {
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
struct Unescaped {
    /// Every reference that looked named (`&name;`) was known.
    all_known: bool,
    escapes: Escapes,
}

/// `&lt;`, `&gt;`, `&amp;`, `&quot;` (after the "&"): the character and
/// the length of the reference after the "&".
fn common_entity(after_amp: &[u8]) -> Option<(char, usize)> {
    match after_amp {
        [b'l', b't', b';', ..] => Some(('<', 3)),
        [b'g', b't', b';', ..] => Some(('>', 3)),
        [b'a', b'm', b'p', b';', ..] => Some(('&', 4)),
        [b'q', b'u', b'o', b't', b';', ..] => Some(('"', 5)),
        _ => None,
    }
}

fn decode_entity(name: &str) -> Option<char> {
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

/// Plain text: one line per text line, bullets and numbering turned into
/// items.
fn plain_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut buf = String::new();
    for raw_line in text.split('\n') {
        buf.clear();
        push_normalized(&mut buf, raw_line);
        if let Some(line) = finish_line(&buf, LineKind::Text, false, false) {
            lines.push(line);
        }
    }
    lines
}

/// Deepest element nesting handed to the HTML parser. html5ever's tree
/// builder does work proportional to the open-element stack on every tag,
/// so pathological nesting (100,000 `<div>`s) would take quadratic time;
/// deeper input goes through the linear tag scanner instead.
const MAX_PARSER_DEPTH: usize = 256;

fn html_lines(html: &str) -> Vec<Line> {
    // Without block markup, newlines in the source are the only line breaks.
    let newline_breaks = !has_block_markup(html);
    let mut w = LineWriter::sized_for(html);
    if needs_parser(html, scan_tags(html, newline_breaks, &mut w)) {
        w = LineWriter::default();
        parse_tags(html, newline_breaks, &mut w);
    }
    w.flush();
    w.lines
}

/// Markup a browser would have to repair goes to html5ever, unless it
/// nests so deep that the parser's time would grow with the square of it
/// (checked only then: well-formed markup needs no parser).
fn needs_parser(html: &str, scanned: Markup) -> bool {
    scanned != Markup::WellFormed && !nesting_exceeds(html, MAX_PARSER_DEPTH)
}

/// The lines of HTML as the parser sees them (for tests and tools).
pub fn parsed_lines(html: &str) -> Vec<Line> {
    let mut w = LineWriter::default();
    parse_tags(html, !has_block_markup(html), &mut w);
    w.flush();
    w.lines
}

/// The lines of HTML as the fast scanner sees them, or `None` when the
/// scanner would hand the markup to the parser (for tests and tools).
pub fn scanned_lines(html: &str) -> Option<Vec<Line>> {
    let mut w = LineWriter::default();
    if scan_tags(html, !has_block_markup(html), &mut w) != Markup::WellFormed {
        return None;
    }
    w.flush();
    Some(w.lines)
}

/// The normal path for markup that needs repair: html5ever (via scraper)
/// builds the tree as a browser would; the walk over it is iterative.
fn parse_tags(html: &str, newline_breaks: bool, w: &mut LineWriter) {
    let doc = Html::parse_fragment(html);
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => w.open(Element::of(el.name())),
                Node::Text(t) => w.text(t, newline_breaks),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    w.close(Element::of(el.name()));
                }
            }
        }
    }
}

/// Whether the scanner read the markup exactly as a parser would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    /// Every tag closed in order, every entity known: same result as html5ever.
    WellFormed,
    /// Misnested or unclosed tags, implied end tags, unknown entities.
    NeedsRepair,
}

/// The fast path: one linear pass over tags and text, no tree. Exact for
/// well-formed markup (tested against html5ever over the corpus); for the
/// rest it says so, and its approximate lines are used only where the
/// parser cannot go (pathological nesting).
fn scan_tags(html: &str, newline_breaks: bool, w: &mut LineWriter) -> Markup {
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

/// The openings of the tags that make markup, not the source's newlines,
/// break lines: `<br`, `<p`, `<li`, `<div`, `<h` (or `<BR`, `<P`) after
/// `$open`, written `<` in markup and `&lt;` in markup escaped once.
macro_rules! block_markup {
    ($open:literal) => {
        [
            concat!($open, "br"),
            concat!($open, "p"),
            concat!($open, "li"),
            concat!($open, "div"),
            concat!($open, "h"),
            concat!($open, "BR"),
            concat!($open, "P"),
        ]
    };
}

/// One start or end tag (`body`: after "<" or "</", up to ">") given to
/// the writer and to the stack of open elements. False when a parser
/// would repair the markup around it.
fn read_tag<'a>(
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
fn escaped_tag_end(after: &[u8]) -> Option<(usize, usize)> {
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

/// Whether the quote at `at` opens an attribute value as an HTML tokenizer
/// reads it: right after `name=`, where `name` follows whitespace (so it
/// is an attribute's name, not the tag's or an unquoted value). Anywhere
/// else a tokenizer takes the quote as an ordinary character.
fn opens_value(tag: &[u8], at: usize) -> bool {
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

fn is_attribute_name_byte(b: u8) -> bool {
    !b.is_ascii_whitespace() && !b"=\"'/<>&".contains(&b)
}

/// Whether a tag body (after "<" or "</", with a name of `name_len` bytes
/// as [`TagName`] read it) has the shape the scanner reads as a tokenizer
/// does: a name that ends where the scanner ends it, and quotes only
/// around attribute values.
fn is_plain_tag(body: &[u8], name_len: usize) -> bool {
    name_ends_at(body, name_len)
        && (memchr::memchr2(b'"', b'\'', body).is_none() || quotes_are_values(body))
}

/// The tag name (letters and digits, `len` bytes) ends at whitespace, "/"
/// or the end: `<p-x>` and `<br="x">` name other elements to a tokenizer.
fn name_ends_at(body: &[u8], len: usize) -> bool {
    body.get(len)
        .is_none_or(|&b| b.is_ascii_whitespace() || b == b'/')
}

/// Every quote of the body opens (and one later closes) an attribute value.
fn quotes_are_values(body: &[u8]) -> bool {
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

/// The next `&lt;` that opens a tag (a letter, "/" or "!" after it), and
/// whether another "&" comes before it. Tags are a few dozen bytes apart:
/// [`next_amp`] looks at eight bytes before it calls `memchr`.
fn next_escaped_tag_start(bytes: &[u8]) -> (Option<usize>, bool) {
    let mut from = 0;
    let mut amp_before = false;
    while let Some(i) = bytes.get(from..).and_then(next_amp).map(|at| from + at) {
        if bytes.get(i + 1..i + 4) == Some(b"lt;") && is_tag_start(bytes.get(i + 4)) {
            return (Some(i), amp_before);
        }
        amp_before = true;
        from = i + 1;
    }
    (None, amp_before)
}

/// Whether open elements nest deeper than `max`, counting every `<name`
/// of the input as a parser would roughly (comments, scripts and tags the
/// scanner gave up on included): void elements and the elements that
/// close themselves (`<li>`, `<p>`, cells) do not nest.
fn nesting_exceeds(html: &str, max: usize) -> bool {
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
fn has_block_markup(html: &str) -> bool {
    block_markup!("<").iter().any(|m| html.contains(m))
}

/// The next "<" that opens a tag (a letter, "/" or "!" after it).
fn next_tag_start(bytes: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'<', bytes).find(|&i| is_tag_start(bytes.get(i + 1)))
}

/// A tag's name, lower-cased, without an allocation per tag: borrowed
/// from the input when written in lower case (nearly always), else a
/// lowered copy (cut at 24 bytes, longer than any HTML element name).
#[derive(Clone, Copy)]
enum TagName<'a> {
    AsWritten(&'a str),
    Lowered { bytes: [u8; 24], len: u8 },
}

impl<'a> TagName<'a> {
    fn new(body: &'a str) -> TagName<'a> {
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

    fn as_str(&self) -> &str {
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
fn tag_end(after_lt: &str) -> Option<usize> {
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

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[derive(Default)]
struct LineWriter {
    lines: Vec<Line>,
    current: String,
    emphasized_chars: usize,
    plain_chars: usize,
    heading_chars: usize,
    pending_space: bool,
    emphasis_depth: u32,
    heading_depth: u32,
    item_depth: u32,
    hidden: u32,
    /// The current line began inside an `<li>`.
    current_is_item: bool,
}

impl LineWriter {
    /// Room for the lines and the longest line of a typical description
    /// up front: growing them a step at a time cost ~5% of decoding.
    fn sized_for(html: &str) -> LineWriter {
        LineWriter {
            lines: Vec::with_capacity(html.len() / 128),
            current: String::with_capacity(html.len().min(1024)),
            ..LineWriter::default()
        }
    }

    fn space(&mut self) {
        self.pending_space = true;
    }

    fn open(&mut self, element: Element) {
        if self.hidden > 0 || element.is(Element::HIDDEN) {
            self.hidden += 1;
        } else if element.is(Element::LINE_BREAK) {
            // A break inside a list item continues the item.
            if self.item_depth > 0 {
                self.space();
            } else {
                self.flush();
            }
        } else if element.is(Element::LIST_ITEM) {
            self.flush();
            self.item_depth += 1;
        } else if element.is(Element::BLOCK) {
            self.flush();
            if element.is(Element::HEADING) {
                self.heading_depth += 1;
            }
        } else if element.is(Element::EMPHASIS) {
            self.emphasis_depth += 1;
        } else if element.is(Element::CELL) {
            self.space();
        }
    }

    fn close(&mut self, element: Element) {
        if self.hidden > 0 {
            self.hidden -= 1;
        } else if element.is(Element::LIST_ITEM) {
            self.flush();
            self.item_depth = self.item_depth.saturating_sub(1);
        } else if element.is(Element::BLOCK) {
            self.flush();
            if element.is(Element::HEADING) {
                self.heading_depth = self.heading_depth.saturating_sub(1);
            }
        } else if element.is(Element::EMPHASIS) {
            self.emphasis_depth = self.emphasis_depth.saturating_sub(1);
        }
    }

    fn text(&mut self, text: &str, newline_breaks: bool) {
        if self.hidden > 0 {
            return;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == b' ' {
                self.pending_space = true;
                i += 1;
                continue;
            }
            if !(0x21..0x7f).contains(&b) {
                // Whitespace, an invisible character, or a visible one
                // beyond ASCII (which starts a run).
                let c = text.get(i..).and_then(|t| t.chars().next()).unwrap_or(' ');
                if is_space(c) || is_invisible(c) {
                    i += c.len_utf8();
                    if c == '\n' && newline_breaks && self.item_depth == 0 {
                        self.flush();
                    } else if is_space(c) {
                        self.pending_space = true;
                    }
                    continue;
                }
            }
            // Most text is one run between two tags, appended at once.
            let (end, spaces) = visible_run(text, i);
            if let Some(run) = text.get(i..end) {
                self.push_counted(run, run.len() - spaces);
            }
            i = end.max(i + 1);
        }
    }

    /// Appends text of which `visible` bytes are not spaces (the counts
    /// decide whether a line is all bold or a heading).
    fn push_counted(&mut self, s: &str, visible: usize) {
        if self.current.is_empty() {
            self.current_is_item = self.item_depth > 0;
        } else if self.pending_space {
            self.current.push(' ');
        }
        self.pending_space = false;
        self.current.push_str(s);
        if self.emphasis_depth > 0 || self.heading_depth > 0 {
            self.emphasized_chars += visible;
        } else {
            self.plain_chars += visible;
        }
        if self.heading_depth > 0 {
            self.heading_chars += visible;
        }
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            let kind = if self.current_is_item {
                LineKind::Item
            } else {
                LineKind::Text
            };
            let emphasized = self.plain_chars == 0 && self.emphasized_chars > 0;
            let heading_tag = self.heading_chars > 0
                && self.heading_chars * 2 >= self.emphasized_chars + self.plain_chars;
            if let Some(line) = finish_line(&self.current, kind, emphasized, heading_tag) {
                self.lines.push(line);
            }
        }
        self.current.clear();
        self.emphasized_chars = 0;
        self.plain_chars = 0;
        self.heading_chars = 0;
        self.pending_space = false;
        self.current_is_item = false;
    }
}

/// The run of visible text that starts at `start` (a visible character):
/// its end and its count of spaces. Inside a run, single ASCII spaces; at
/// its end, whitespace (not included), an invisible character or the end
/// of the text. Printable ASCII is read eight bytes at a time (no branch
/// per byte): most description text is.
fn visible_run(text: &str, start: usize) -> (usize, usize) {
    use crate::bytes8::{count_lanes, first_lane, lanes_equal, printable_lanes, word};
    const HIGH: u64 = crate::bytes8::HIGH;
    let bytes = text.as_bytes();
    let (mut at, mut spaces) = (start, 0);
    loop {
        if let Some(x) = bytes.get(at..).and_then(word) {
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
            at += lane;
        } else {
            while let Some(&b) = bytes.get(at) {
                if b == b' ' && bytes.get(at + 1) != Some(&b' ') {
                    spaces += 1;
                } else if !(0x21..0x7f).contains(&b) {
                    break;
                }
                at += 1;
            }
        }
        // A visible character beyond ASCII continues the run.
        match text.get(at..).and_then(|t| t.chars().next()) {
            Some(c) if !c.is_ascii() && !is_space(c) && !is_invisible(c) => at += c.len_utf8(),
            _ => break,
        }
    }
    // A space before the end belongs to the whitespace after the run.
    if at > start && bytes.get(at - 1) == Some(&b' ') {
        at -= 1;
        spaces = spaces.saturating_sub(1);
    }
    (at, spaces)
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

/// Zero-width and formatting characters that carry nothing for a reader.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}'
    ) || (c.is_control() && c != '\t')
}

/// Appends `raw` with whitespace collapsed and invisible characters removed.
fn push_normalized(out: &mut String, raw: &str) {
    let mut pending = false;
    for c in raw.chars() {
        if is_space(c) {
            pending = true;
        } else if !is_invisible(c) {
            if pending && !out.is_empty() {
                out.push(' ');
            }
            pending = false;
            out.push(c);
        }
    }
}

/// Bullet markers a plain-text list item may start with.
const BULLETS: [char; 9] = ['•', '·', '-', '*', '▪', '●', '◦', '‣', '–'];

/// Builds the final line: NFC, and a plain-text bullet or numbering marker
/// turns a text line into an item (the marker removed).
fn finish_line(text: &str, kind: LineKind, emphasized: bool, heading_tag: bool) -> Option<Line> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (kind, text) = match (kind, strip_item_marker(text)) {
        (LineKind::Text, Some(rest)) if !rest.is_empty() => (LineKind::Item, rest),
        (LineKind::Item, Some(rest)) if !rest.is_empty() => (LineKind::Item, rest),
        _ => (kind, text),
    };
    let text = if is_nfc(text) {
        text.to_string()
    } else {
        text.nfc().collect()
    };
    Some(Line {
        text,
        kind,
        emphasized,
        heading_tag,
    })
}

/// Whether `text` is already in NFC (quick check). Every character below
/// U+0300 is NFC and starts a new combining sequence (tested), so only the
/// runs of characters from U+0300 up (curly quotes, bullets, dashes: a few
/// per line) go to the Unicode tables, each run on its own.
fn is_nfc(text: &str) -> bool {
    // ASCII is always NFC; `is_ascii` checks a word at a time.
    if text.is_ascii() {
        return true;
    }
    let bytes = text.as_bytes();
    let mut from = 0;
    // A lead byte from 0xCC up starts a character from U+0300 up.
    while let Some(start) = bytes
        .get(from..)
        .and_then(first_from_u0300)
        .map(|at| from + at)
    {
        let Some(run) = text.get(start..) else {
            return false;
        };
        let len = run
            .char_indices()
            .find(|&(_, c)| c < NFC_BELOW)
            .map_or(run.len(), |(at, _)| at);
        if is_nfc_quick(run.get(..len).unwrap_or(run).chars()) != IsNormalized::Yes {
            return false;
        }
        from = start + len.max(1);
    }
    true
}

/// The first lead byte from 0xCC up (a character from U+0300 up), eight
/// bytes at a time: paragraphs with one curly quote are mostly ASCII.
fn first_from_u0300(bytes: &[u8]) -> Option<usize> {
    use crate::bytes8::{ascii_lanes_between, first_where, non_ascii_lanes, splat};
    first_where(
        bytes,
        // Lanes from 0x80 up whose low seven bits are from 0x4C up.
        |x| non_ascii_lanes(x) & ascii_lanes_between(x & splat(0x7f), 0x4C, 0x7F),
        |b| b >= 0xCC,
    )
}

/// Characters below this are NFC alone and have combining class 0.
const NFC_BELOW: char = '\u{300}';

/// The text after a list marker: a bullet, `o `, `1.`, `1)`, `a)`.
fn strip_item_marker(text: &str) -> Option<&str> {
    let mut chars = text.char_indices();
    let (_, first) = chars.next()?;
    if BULLETS.contains(&first) {
        let rest = &text[first.len_utf8()..];
        // "-5%" or "*required" are not bullets; a bullet is followed by a space.
        return rest.starts_with(' ').then(|| rest.trim_start());
    }
    if let Some(rest) = text.strip_prefix("o ") {
        return Some(rest.trim_start());
    }
    // Numbering: up to two digits or one letter, then "." or ")", then a space.
    let marker_end = text
        .char_indices()
        .take(3)
        .find(|&(_, c)| c == '.' || c == ')')
        .map(|(i, _)| i)?;
    let label = &text[..marker_end];
    let numbered = !label.is_empty()
        && (label.chars().all(|c| c.is_ascii_digit())
            || (label.len() == 1
                && label.chars().all(|c| c.is_ascii_lowercase())
                && text[marker_end..].starts_with(')')));
    let rest = &text[marker_end + 1..];
    (numbered && rest.starts_with(' ')).then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_below_u0300_are_nfc_and_start_a_sequence() {
        use unicode_normalization::char::canonical_combining_class;
        for c in ('\0'..NFC_BELOW).filter(|c| !c.is_ascii()) {
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
        }
    }

    #[test]
    fn first_from_u0300_agrees_with_a_byte_scan() {
        let mut rng = crate::test_random::Lcg::new(5);
        let edges = [b'a', b' ', 0x80, 0xBF, 0xC3, 0xCB, 0xCC, 0xE2, 0xFF, 0x7F];
        for _ in 0..50_000 {
            let seed = rng.next_u64();
            let bytes: Vec<u8> = (0..(seed >> 59))
                .map(|k| edges[((seed >> (k % 60)) as usize) % edges.len()])
                .collect();
            assert_eq!(
                first_from_u0300(&bytes),
                bytes.iter().position(|&b| b >= 0xCC),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn nfc_check_by_runs_agrees_with_the_whole_text_check() {
        let pieces = [
            "a",
            " ",
            "é",
            "e\u{301}",
            "\u{301}",
            "\u{323}\u{301}",
            "\u{301}\u{323}",
            "’",
            "•",
            "—",
            "\u{2000}",
            "Å",
            "\u{212b}",
            "한",
            "\u{1100}\u{1161}",
            "ü",
            "\u{308}",
            "ÿ",
        ];
        let mut rng = crate::test_random::Lcg::new(3);
        for _ in 0..50_000 {
            let seed = rng.next_u64();
            let text: String = (0..(seed >> 60))
                .map(|k| pieces[((seed >> (4 * k)) as usize) % pieces.len()])
                .collect();
            let whole = text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes;
            assert_eq!(is_nfc(&text), whole, "{text:?}");
        }
    }

    fn texts(d: &Decoded) -> Vec<(&str, LineKind, bool)> {
        d.lines
            .iter()
            .map(|l| (l.text.as_str(), l.kind, l.emphasized))
            .collect()
    }

    #[test]
    fn escaped_markup_read_directly_gives_the_lines_of_its_copy() {
        // Well-formed groups, text with entities at every place, and pieces
        // that must send the text the copying way.
        let plain = [
            "&lt;p&gt;Role&lt;/p&gt;",
            "&lt;ul&gt;&lt;li&gt;a &amp;amp; b&lt;/li&gt;&lt;li&gt;c&lt;/li&gt;&lt;/ul&gt;",
            "&lt;br&gt;",
            "&lt;br/&gt;",
            "&lt;BR&gt;",
            "&lt;b&gt;Requirements:&lt;/b&gt;",
            "&lt;h2&gt;Perks&lt;/h2&gt;",
            "&lt;strong&gt;&lt;u&gt;The Role&lt;br&gt;&lt;/u&gt;&lt;/strong&gt;",
            "&lt;div&gt;x&lt;/div&gt;",
            "&lt;span>y&lt;/span>",
            "&amp;",
            "&amp;amp;",
            "&amp;nbsp;",
            "&nbsp;",
            "&nbsp",
            "&amp",
            "&",
            "&lt; ",
            "&gt;",
            ">",
            "x < 5",
            "&quot;",
            "&rsquo;",
            "Role",
            "Requirements:",
            " ",
            "  ",
            "\n",
            "é",
            "• ",
            "- item",
            "\u{a0}",
            "\u{200b}",
            "&lt;p&gt;",
            "&lt;/p&gt;",
            "&lt;span class=\"ql-cursor\"&gt;x&lt;/span&gt;",
            "&lt;a href=\"x?a=1\" title='a > b'&gt;link&lt;/a&gt;",
            "&lt;p style=\"a: b\"&gt;",
            "&lt;br class='x'/&gt;",
            "&lt;img src=\"a.png\" alt=\"\"&gt;",
        ];
        let risky = [
            "&lt;a title=\"&quot;&gt;x\"&gt;",
            "&lt;a href=\"x&amp;y\"&gt;",
            "&lt;a =\"x>y\"&gt;",
            "&lt;a b=c\"d\"&gt;",
            "&lt;a b==\"x\"&gt;",
            "&lt;a b = \"x\"&gt;",
            "&lt;a b=\"x",
            "\"",
            "'",
            "&lt;p x=y=\"a>b\"&gt;c&lt;/p&gt;",
            "&lt;p=\"a>b\"&gt;c",
            "a&lt;br=\"x\"&gt;b",
            "&lt;p-x&gt;",
            "a&lt;textarea&gt;&lt;p&gt;x&lt;/p&gt;&lt;/textarea&gt;",
            "&lt;iframe&gt;&lt;p&gt;&lt;/iframe&gt;",
            "&amp;lt;b&amp;gt;",
            "&#60;b&#62;",
            "<b>",
            "&lt;a href=&quot;x&quot;&gt;",
            "&lt;a href=\"x\"&gt;",
            "&lt;/a&gt;",
            "&lt;!-- c --&gt;",
            "&lt;script&gt;x&lt;/script&gt;",
            "&lt;/br&gt;",
            "&lt;/&gt;",
            "&bogus;",
            "&lt;p",
            "&lt;li&gt;",
        ];
        let mixed: Vec<&str> = plain.iter().chain(&risky).copied().collect();
        let mut rng = crate::test_random::Lcg::new(19);
        let (mut direct, mut copied) = (0, 0);
        for round in 0..40_000 {
            let count = (rng.next_u64() >> 59) as usize;
            let pieces: &[&str] = if round % 2 == 0 { &plain } else { &mixed };
            let raw = rng.text(pieces, count);
            match escaped_markup_lines(&raw) {
                Some(lines) => {
                    direct += 1;
                    assert_eq!(lines, unescaped_lines(&raw), "{raw:?}");
                }
                None => copied += 1,
            }
        }
        assert!(direct > 4_000 && copied > 4_000, "{direct} {copied}");
    }

    /// Tags with attributes, quotes where a tokenizer takes them as values
    /// and where it does not, and names it reads otherwise than the
    /// scanner: whatever the fast reader and the scanner accept, they read
    /// as html5ever reads the unescaped copy (the rest goes to html5ever).
    #[test]
    fn tags_are_read_as_the_parser_reads_them() {
        let pieces = [
            "&lt;p&gt;Role&lt;/p&gt;",
            "&lt;ul&gt;&lt;li&gt;a&lt;/li&gt;&lt;li&gt;c&lt;/li&gt;&lt;/ul&gt;",
            "&lt;br&gt;",
            "&lt;b&gt;Perks:&lt;/b&gt;",
            "text",
            " ",
            "&lt;span class=\"ql-cursor\"&gt;x&lt;/span&gt;",
            "&lt;a href=\"x?a=1\" title='a > b'&gt;link&lt;/a&gt;",
            "&lt;p style=\"a: b\"&gt;",
            "&lt;br class='x'/&gt;",
            "&lt;img src=\"a.png\" alt=\"\"&gt;",
            "&lt;p x=y=\"a>b\"&gt;c&lt;/p&gt;",
            "&lt;p=\"a>b\"&gt;c",
            "&lt;br=\"x\"&gt;",
            "&lt;p-x&gt;y&lt;/p-x&gt;",
            "&lt;a b = \"x>y\"&gt;",
            "&lt;a ='x>y'&gt;",
            "&lt;a b=c\"d>e\"&gt;",
            "&lt;textarea&gt;&lt;p&gt;x&lt;/p&gt;&lt;/textarea&gt;",
            "&lt;iframe&gt;&lt;p&gt;&lt;/iframe&gt;",
            "&lt;title&gt;t&lt;/title&gt;",
            "&lt;xmp&gt;&lt;b&gt;&lt;/xmp&gt;",
        ];
        let mut rng = crate::test_random::Lcg::new(37);
        let (mut direct, mut scanned) = (0, 0);
        for _ in 0..20_000 {
            let count = (rng.next_u64() >> 62) as usize + 1;
            let raw = rng.text(&pieces, count);
            // Text alone has no tags to read.
            let Ok(copy) = as_html(&raw) else { continue };
            let parsed = parsed_lines(&copy);
            if let Some(lines) = escaped_markup_lines(&raw) {
                direct += 1;
                assert_eq!(lines, parsed, "{raw:?}");
            }
            let mut w = LineWriter::default();
            if scan_tags(&copy, !has_block_markup(&copy), &mut w) == Markup::WellFormed {
                scanned += 1;
                w.flush();
                assert_eq!(w.lines, parsed, "{raw:?}");
            }
        }
        assert!(direct > 3_000 && scanned > 3_000, "{direct} {scanned}");
    }

    #[test]
    fn escaped_html_is_unescaped_once() {
        let d = decode(
            "&lt;strong&gt;&lt;u&gt;The Role&lt;br&gt;&lt;br&gt;&lt;/u&gt;&lt;/strong&gt;Text &amp;amp; more&lt;ul&gt;&lt;li&gt;One &lt;/li&gt;&lt;li&gt;Two&lt;/li&gt;&lt;/ul&gt;",
            1 << 20,
        );
        assert_eq!(
            texts(&d),
            vec![
                ("The Role", LineKind::Text, true),
                ("Text & more", LineKind::Text, false),
                ("One", LineKind::Item, false),
                ("Two", LineKind::Item, false),
            ]
        );
    }

    #[test]
    fn numeric_references_that_make_escaped_tags_are_unescaped_again() {
        let input = format!(
            "&lt;b&gt;x&lt;/b&gt;{}",
            "&#38;lt;p&#38;gt;y&#38;lt;/p&#38;gt;".repeat(3)
        );
        let html = as_html(&input).expect("markup");
        assert_eq!(html, "<b>x</b><p>y</p><p>y</p><p>y</p>");
    }

    #[test]
    fn double_escaped_html() {
        let d = decode("A&amp;lt;br&amp;gt;B", 1 << 20);
        assert_eq!(d.plain_text(), "A\nB");
    }

    #[test]
    fn plain_text_keeps_lines_and_bullets() {
        let d = decode(
            "Intro line\r\n\r\n• first\n- second\n1. third\na) fourth\n-5% is not a bullet",
            1 << 20,
        );
        assert_eq!(
            texts(&d),
            vec![
                ("Intro line", LineKind::Text, false),
                ("first", LineKind::Item, false),
                ("second", LineKind::Item, false),
                ("third", LineKind::Item, false),
                ("fourth", LineKind::Item, false),
                ("-5% is not a bullet", LineKind::Text, false),
            ]
        );
    }

    #[test]
    fn scripts_dropped_and_whitespace_normalized() {
        let d = decode(
            "<p>a\u{200b}b\u{a0}  c</p><script>alert(1)</script><style>p{}</style><p>d</p>",
            1 << 20,
        );
        assert_eq!(d.plain_text(), "ab c\nd");
    }

    #[test]
    fn nfc_normalized() {
        let d = decode("<p>Cafe\u{301}</p>", 1 << 20);
        assert_eq!(d.plain_text(), "Café");
    }

    #[test]
    fn nested_lists_flatten_in_order() {
        let d = decode(
            "<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b</li></ul>",
            1 << 20,
        );
        let items: Vec<_> = d.lines.iter().map(|l| (l.text.as_str(), l.kind)).collect();
        assert_eq!(
            items,
            vec![
                ("a", LineKind::Item),
                ("a1", LineKind::Item),
                ("a2", LineKind::Item),
                ("b", LineKind::Item)
            ]
        );
    }

    #[test]
    fn partly_bold_line_is_not_emphasized() {
        let d = decode(
            "<p><b>Location:</b> Austin, TX</p><p><b>Requirements:</b></p>",
            1 << 20,
        );
        assert_eq!(
            texts(&d),
            vec![
                ("Location: Austin, TX", LineKind::Text, false),
                ("Requirements:", LineKind::Text, true)
            ]
        );
    }

    #[test]
    fn deep_nesting_and_truncation_do_not_panic() {
        let deep = "<div>".repeat(100_000) + "x";
        let d = decode(&deep, 1 << 20);
        assert_eq!(d.plain_text(), "x");
        let d = decode("<p>héllo wörld</p>", 6);
        assert!(d.truncated);
    }

    #[test]
    fn tag_scanner_agrees_with_the_parser_on_sane_html() {
        let html = "<p><b>Role:</b></p><p>We build <i>things</i>.<br>Daily.</p><ul><li>one</li><li>two<br>lines</li></ul><script>x<y</script><h2>Perks</h2>";
        let mut parsed = LineWriter::default();
        parse_tags(html, false, &mut parsed);
        parsed.flush();
        let mut scanned = LineWriter::default();
        scan_tags(html, false, &mut scanned);
        scanned.flush();
        assert_eq!(parsed.lines, scanned.lines);
        assert_eq!(parsed.lines.len(), 6);
    }

    /// `LineWriter::text` against the definition the plain-text path
    /// uses (`push_normalized`, character by character): whitespace
    /// collapses to one space, invisible characters vanish, a newline may
    /// end the line; the visible count is the bytes that are not spaces.
    #[test]
    fn text_runs_agree_with_the_character_by_character_definition() {
        fn by_char(text: &str, newline_breaks: bool) -> Vec<(String, usize)> {
            let parts: Vec<&str> = if newline_breaks {
                text.split('\n').collect()
            } else {
                vec![text]
            };
            let lines = parts.into_iter().map(|part| {
                let mut line = String::new();
                push_normalized(&mut line, part);
                let visible = line.len() - line.matches(' ').count();
                (line, visible)
            });
            lines.filter(|(line, _)| !line.is_empty()).collect()
        }
        // The whole text through `text` and `flush`, as the scanner does.
        fn by_writer(text: &str, newline_breaks: bool) -> (Vec<Line>, usize) {
            let mut w = LineWriter::default();
            w.text(text, newline_breaks);
            let visible = w.plain_chars;
            w.flush();
            (w.lines, visible)
        }
        let alphabet = [
            "a", "Z", "7", ".", " ", "  ", "\n", "\t", "\r", "\u{a0}", "\u{2003}", "\u{200b}",
            "\u{ad}", "\u{1}", "\u{7f}", "é", "•", "日本", "abcdefgh", "ab cd ef", "x y",
        ];
        let mut rng = crate::test_random::Lcg::new(7);
        for round in 0..50_000 {
            let text = rng.text(&alphabet, round % 40);
            for newline_breaks in [false, true] {
                let expected = by_char(&text, newline_breaks);
                let (lines, visible) = by_writer(&text, newline_breaks);
                let finished: Vec<Line> = expected
                    .iter()
                    .filter_map(|(l, _)| finish_line(l, LineKind::Text, false, false))
                    .collect();
                assert_eq!(lines, finished, "{text:?} newline_breaks={newline_breaks}");
                // One line, still open at the end: its visible count.
                if !newline_breaks || !text.contains('\n') {
                    let all = expected.last().map_or(0, |(_, v)| *v);
                    assert_eq!(visible, all, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn newlines_break_lines_only_without_block_markup() {
        let inline_only = decode("<b>Requirements</b>\nPython\n<i>SQL</i> and more", 1 << 20);
        assert_eq!(
            texts(&inline_only),
            [
                ("Requirements", LineKind::Text, true),
                ("Python", LineKind::Text, false),
                ("SQL and more", LineKind::Text, false),
            ]
        );
        let with_blocks = decode("<p><b>Requirements</b>\nPython\nSQL</p>", 1 << 20);
        assert_eq!(
            texts(&with_blocks),
            [("Requirements Python SQL", LineKind::Text, false)]
        );
    }

    #[test]
    fn pathological_nesting_takes_the_linear_path() {
        assert!(nesting_exceeds(&"<div>".repeat(300), MAX_PARSER_DEPTH));
        assert!(!nesting_exceeds(&"<li>".repeat(300), MAX_PARSER_DEPTH));
        assert!(!nesting_exceeds(
            &"<div></div>".repeat(300),
            MAX_PARSER_DEPTH
        ));
        // A quote the scanner reads as opening a value, before deep nesting:
        // the scan gives up, and the nesting still keeps html5ever out.
        let hostile = format!("<a b'>{}", "<div>".repeat(50_000));
        let scanned = scan_tags(&hostile, false, &mut LineWriter::default());
        assert_eq!(scanned, Markup::NeedsRepair);
        assert!(!needs_parser(&hostile, scanned));
        let d = decode(&("<b>".repeat(50_000) + "bold"), 1 << 20);
        assert_eq!(d.plain_text(), "bold");
    }

    #[test]
    fn entities() {
        assert_eq!(
            unescape_entities("a &amp; b &#39;c&#x27; &bogus; &"),
            "a & b 'c' &bogus; &"
        );
        assert_eq!(unescape_entities("&#0;"), "&#0;");
    }
}
