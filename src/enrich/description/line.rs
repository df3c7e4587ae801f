//! What decoding makes of a description: its visual lines, and the
//! plain text built from them.

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
