//! Lines as a reader sees them, written from the text and the element
//! openings and closings of either HTML path: whitespace collapsed,
//! invisible characters dropped, emphasis and headings measured, list
//! markers read, NFC.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::element::Element;
use super::line::{Line, LineKind};
use crate::text_scan;

#[derive(Default)]
pub(super) struct LineWriter {
    pub(super) lines: Vec<Line>,
    pub(super) current: String,
    pub(super) emphasized_chars: usize,
    pub(super) plain_chars: usize,
    pub(super) heading_chars: usize,
    pub(super) pending_space: bool,
    pub(super) emphasis_depth: u32,
    pub(super) heading_depth: u32,
    pub(super) item_depth: u32,
    pub(super) hidden: u32,
    /// The current line began inside an `<li>`.
    pub(super) current_is_item: bool,
}

impl LineWriter {
    /// Room for the lines and the longest line of a typical description
    /// up front, rather than growing them a step at a time (measured in
    /// docs/performance.md).
    pub(super) fn sized_for(html: &str) -> LineWriter {
        LineWriter {
            lines: Vec::with_capacity(html.len() / 128),
            current: String::with_capacity(html.len().min(1024)),
            ..LineWriter::default()
        }
    }

    pub(super) fn space(&mut self) {
        self.pending_space = true;
    }

    pub(super) fn open(&mut self, element: Element) {
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

    pub(super) fn close(&mut self, element: Element) {
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

    pub(super) fn text(&mut self, text: &str, newline_breaks: bool) {
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
    pub(super) fn push_counted(&mut self, s: &str, visible: usize) {
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

    pub(super) fn flush(&mut self) {
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
/// of the text.
pub(super) fn visible_run(text: &str, start: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let (mut at, mut spaces) = (start, 0);
    loop {
        let (end, run_spaces) = text_scan::printable_ascii_run(bytes, at);
        at = end;
        spaces += run_spaces;
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

pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

/// Zero-width and formatting characters that carry nothing for a reader.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}'
    ) || (c.is_control() && c != '\t')
}

/// Appends `raw` with whitespace collapsed and invisible characters removed.
pub(super) fn push_normalized(out: &mut String, raw: &str) {
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
pub(super) const BULLETS: [char; 9] = ['•', '·', '-', '*', '▪', '●', '◦', '‣', '–'];

/// Builds the final line: NFC, and a plain-text bullet or numbering marker
/// turns a text line into an item (the marker removed).
pub(super) fn finish_line(
    text: &str,
    kind: LineKind,
    emphasized: bool,
    heading_tag: bool,
) -> Option<Line> {
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
pub(super) fn is_nfc(text: &str) -> bool {
    // ASCII is always NFC; `is_ascii` checks a word at a time.
    if text.is_ascii() {
        return true;
    }
    let bytes = text.as_bytes();
    let mut from = 0;
    // A lead byte from 0xCC up starts a character from U+0300 up.
    while let Some(start) = bytes
        .get(from..)
        .and_then(|b| b.iter().position(|&b| b >= 0xCC))
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

/// Characters below this are NFC alone and have combining class 0.
pub(super) const NFC_BELOW: char = '\u{300}';

/// The text after a list marker: a bullet, `o `, `1.`, `1)`, `a)`.
pub(super) fn strip_item_marker(text: &str) -> Option<&str> {
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
