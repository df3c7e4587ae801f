//! A posting's description, from whatever the feed sends (HTML, HTML
//! entity-escaped once or twice, plain text) to a list of [`Line`]s: the
//! blocks, `<br>`-separated lines and list items a reader sees, with the
//! emphasis that makes a line look like a heading. Sections and plain text
//! are built from these lines.
//!
//! Not for: deciding what is a heading (see `sections`).

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

mod element;
mod entities;
mod escaped_markup;
mod html_repair;
mod line;
mod line_writer;
mod tag_scanner;
#[cfg(test)]
mod tests;

use super::stage::{StageOutcome, Staged};
use super::warning::{Warning, WarningCode};
pub use entities::unescape_entities;
use entities::{Escapes, is_tag_start, unescape_into};
pub use escaped_markup::escaped_markup_lines;
use html_repair::{needs_parser, parse_tags};
pub use line::{Decoded, Line, LineKind};
use line_writer::{LineWriter, finish_line, push_normalized};
use tag_scanner::{Markup, has_block_markup, scan_tags};

/// The description step every text stage reads from: the decoded lines,
/// with a warning when the description was cut at `max_bytes` or has no
/// text. Its outcome is not a metric of its own: a missing description
/// shows as `sections` and `skills` absent.
pub fn run(raw: &str, max_bytes: usize) -> Staged<Decoded> {
    let decoded = decode(raw, max_bytes);
    let mut warnings = Vec::new();
    if decoded.truncated {
        warnings.push(Warning::new(
            WarningCode::DescriptionTruncated,
            format!(
                "description of {} bytes cut at {max_bytes} (enrich.description.max_bytes)",
                raw.len()
            ),
        ));
    }
    let outcome = if decoded.lines.is_empty() {
        warnings.push(Warning::new(
            WarningCode::DescriptionMissing,
            "no description text",
        ));
        StageOutcome::Absent
    } else {
        StageOutcome::Ok
    };
    Staged::with_warnings(decoded, outcome, warnings)
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

fn cap(s: &str, max: usize) -> (&str, bool) {
    (&s[..s.floor_char_boundary(max)], s.len() > max)
}

/// Tag-like openings: `<p`, `</li`, `<br` ... and their escaped forms.
struct TagCount {
    /// `<p`
    real: usize,
    escapes: Escapes,
}

impl TagCount {
    fn escaped(&self) -> usize {
        self.escapes.once + self.escapes.twice
    }
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
