//! Description lines to typed sections: where the headings are, and what
//! kind of section each heading opens.
//!
//! Heading detection follows what a careful reader sees (an `<hN>`, a short
//! all-bold line, a short line ending in a colon, a short Title Case line
//! followed by text), never a label–value line ("Location: Austin, TX") nor
//! the job title repeated. Kinds come from the heading via the rule table in
//! `section_rules.rs`, and from the body where the heading says little.

use serde::Serialize;

use super::description::{Line, LineKind};
use super::section_rules::{self, HeadingClass};

/// The kind of a section. Part of the output contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    AboutCompany,
    Role,
    Responsibilities,
    Requirements,
    Preferred,
    Benefits,
    Compensation,
    EqualOpportunity,
    Application,
    Other,
}

impl SectionKind {
    pub const ALL: [SectionKind; 10] = [
        SectionKind::AboutCompany,
        SectionKind::Role,
        SectionKind::Responsibilities,
        SectionKind::Requirements,
        SectionKind::Preferred,
        SectionKind::Benefits,
        SectionKind::Compensation,
        SectionKind::EqualOpportunity,
        SectionKind::Application,
        SectionKind::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SectionKind::AboutCompany => "about_company",
            SectionKind::Role => "role",
            SectionKind::Responsibilities => "responsibilities",
            SectionKind::Requirements => "requirements",
            SectionKind::Preferred => "preferred",
            SectionKind::Benefits => "benefits",
            SectionKind::Compensation => "compensation",
            SectionKind::EqualOpportunity => "equal_opportunity",
            SectionKind::Application => "application",
            SectionKind::Other => "other",
        }
    }
}

/// One section of a description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    /// `None` for text before the first heading.
    pub heading: Option<String>,
    /// The body as plain text (items as "• " lines).
    pub text: String,
    pub items: Vec<String>,
}

/// Longest heading, in characters, for each way a heading can be marked.
const MAX_MARKED_HEADING_CHARS: usize = 100;
const MAX_PLAIN_HEADING_CHARS: usize = 60;
const MAX_PLAIN_HEADING_WORDS: usize = 9;

/// Cuts lines into sections and classifies them.
pub fn segment(lines: &[Line], title: Option<&str>) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section {
        kind: SectionKind::Other,
        heading: None,
        text: String::new(),
        items: Vec::new(),
    };
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1);
        if is_heading(line, next, title) {
            if current.heading.is_some() || !current.text.is_empty() {
                sections.push(std::mem::replace(
                    &mut current,
                    Section {
                        kind: SectionKind::Other,
                        heading: None,
                        text: String::new(),
                        items: Vec::new(),
                    },
                ));
            }
            current.heading = Some(clean_heading(&line.text));
            continue;
        }
        if !current.text.is_empty() {
            current.text.push('\n');
        }
        if line.kind == LineKind::Item {
            current.text.push_str("• ");
            current.items.push(line.text.clone());
        }
        current.text.push_str(&line.text);
    }
    if current.heading.is_some() || !current.text.is_empty() {
        sections.push(current);
    }
    split_trailing_eeo(&mut sections);
    for s in &mut sections {
        s.kind = classify(s);
    }
    sections
}

fn clean_heading(text: &str) -> String {
    text.trim()
        .trim_end_matches([':', '：', '-', '–', '—'])
        .trim()
        .to_string()
}

fn is_heading(line: &Line, next: Option<&Line>, title: Option<&str>) -> bool {
    if line.kind == LineKind::Item {
        return false;
    }
    let text = line.text.trim();
    let chars = text.chars().count();
    if chars < 3 {
        return false;
    }
    if title.is_some_and(|t| t.trim().eq_ignore_ascii_case(text.trim_end_matches(':'))) {
        return false;
    }
    let ends_with_colon = text.ends_with(':') || text.ends_with('：');
    if is_label_value(text) {
        return false;
    }
    if line.heading_tag || line.emphasized {
        let sentence = ends_like_sentence(text) && !ends_with_colon;
        return chars <= MAX_MARKED_HEADING_CHARS && !sentence && next.is_some()
            || (line.heading_tag && chars <= MAX_MARKED_HEADING_CHARS);
    }
    let words = text.split_whitespace().count();
    if chars > MAX_PLAIN_HEADING_CHARS || words > MAX_PLAIN_HEADING_WORDS {
        return false;
    }
    if ends_with_colon {
        return words <= 8 && next.is_some();
    }
    // A short Title Case or ALL CAPS line on its own, with a body after it.
    let followed_by_body = next.is_some_and(|n| !n.emphasized || n.kind == LineKind::Item);
    followed_by_body && !ends_like_sentence(text) && looks_like_title_case(text)
}

/// "Location: Austin, TX", "Salary: $50k": a label, a colon, then a value.
fn is_label_value(text: &str) -> bool {
    match text.find([':', '：']) {
        Some(pos) => {
            let value = text[pos..].trim_start_matches([':', '：']).trim();
            !value.is_empty() && pos <= 40
        }
        None => false,
    }
}

fn ends_like_sentence(text: &str) -> bool {
    text.ends_with(['.', '!', '?', ',', ';', '。'])
}

/// Words that stay lower case in Title Case.
const MINOR_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "is", "of", "on", "or",
    "our", "the", "to", "with", "you", "your", "we", "this", "that", "are", "be", "it", "its",
    "will", "what", "who", "do", "&",
];

fn looks_like_title_case(text: &str) -> bool {
    let mut words = 0;
    let mut capitalized = 0;
    for (i, word) in text.split_whitespace().enumerate() {
        let Some(first) = word.chars().find(|c| c.is_alphabetic()) else {
            continue;
        };
        words += 1;
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        let minor = i > 0 && MINOR_WORDS.iter().any(|m| m.eq_ignore_ascii_case(bare));
        if first.is_uppercase() || minor {
            capitalized += 1;
        }
    }
    words >= 1 && capitalized == words && text.chars().any(|c| c.is_uppercase())
}

/// An equal-opportunity paragraph at the end of another section becomes a
/// section of its own.
fn split_trailing_eeo(sections: &mut Vec<Section>) {
    let Some(last) = sections.last_mut() else {
        return;
    };
    if section_rules::classify_heading(last.heading.as_deref())
        == HeadingClass::Kind(SectionKind::EqualOpportunity)
    {
        return;
    }
    let Some(pos) = last.text.rfind('\n') else {
        return;
    };
    let tail = &last.text[pos + 1..];
    if tail.starts_with("• ") || !section_rules::is_equal_opportunity_text(tail) {
        return;
    }
    let eeo = Section {
        kind: SectionKind::EqualOpportunity,
        heading: None,
        text: tail.to_string(),
        items: Vec::new(),
    };
    last.text.truncate(pos);
    sections.push(eeo);
}

fn classify(section: &Section) -> SectionKind {
    match section_rules::classify_heading(section.heading.as_deref()) {
        HeadingClass::Kind(kind) => kind,
        HeadingClass::Generic(default) => section_rules::classify_body(section).unwrap_or(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::description::decode;

    fn sections(html: &str) -> Vec<Section> {
        segment(&decode(html, 1 << 20).lines, Some("Data Engineer"))
    }

    #[test]
    fn bold_and_colon_headings() {
        let s = sections(
            "<p>Intro text here.</p><p><b>Requirements:</b></p><ul><li>SQL</li></ul><p><b>Location:</b> Austin, TX</p>",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].heading, None);
        assert_eq!(s[1].heading.as_deref(), Some("Requirements"));
        assert_eq!(s[1].kind, SectionKind::Requirements);
        assert_eq!(s[1].items, vec!["SQL"]);
        assert!(s[1].text.ends_with("Location: Austin, TX"));
    }

    #[test]
    fn heading_followed_by_heading_is_empty_section() {
        let s = sections("<h2>About Us</h2><h3>Benefits</h3><p>Dental.</p>");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].heading.as_deref(), Some("About Us"));
        assert!(s[0].text.is_empty());
        assert_eq!(s[1].kind, SectionKind::Benefits);
    }

    #[test]
    fn repeated_title_is_not_a_heading() {
        let s = sections("<p><b>Data Engineer</b></p><p>We build pipelines.</p>");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].heading, None);
    }

    #[test]
    fn plain_title_case_heading() {
        let s = sections("Intro.\nWhat You Will Be Doing\n- build things\n- fix things");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].heading.as_deref(), Some("What You Will Be Doing"));
        assert_eq!(s[1].kind, SectionKind::Responsibilities);
        assert_eq!(s[1].items.len(), 2);
    }

    #[test]
    fn trailing_eeo_paragraph_is_split_off() {
        let s = sections(
            "<p><b>Benefits</b></p><p>Dental.</p><p>Acme is an equal opportunity employer and values diversity.</p>",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].kind, SectionKind::EqualOpportunity);
        assert_eq!(s[0].text, "Dental.");
    }
}
