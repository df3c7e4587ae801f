//! Description lines to typed sections: where the headings are, and what
//! kind of section each heading opens.
//!
//! Heading detection follows what a careful reader sees (an `<hN>`, a short
//! all-bold line, a short line ending in a colon, a short Title Case line
//! followed by text), never a label–value line ("Location: Austin, TX") nor
//! the job title repeated. Kinds come from the heading via the rule table in
//! `rules.rs`, and from the body where the heading says little.

use super::classify::is_label_value;
use super::classify::{self, HeadingClass};
use super::{Section, SectionKind};
use crate::enrich::description::{Line, LineKind};
use crate::enrich::stage::{StageOutcome, Staged};

/// Longest heading, in characters, for each way a heading can be marked.
const MAX_MARKED_HEADING_CHARS: usize = 100;

const MAX_PLAIN_HEADING_CHARS: usize = 60;

const MAX_PLAIN_HEADING_WORDS: usize = 9;

/// The sections stage: the description's lines as typed sections. Ok when
/// at least one section has a kind other than `other`; absent without
/// description text; failed otherwise.
pub fn run(lines: &[Line], title: Option<&str>, company: Option<&str>) -> Staged<Vec<Section>> {
    let sections = segment(lines, title, company);
    let outcome = if sections.iter().any(|s| s.kind != SectionKind::Other) {
        StageOutcome::Ok
    } else if lines.is_empty() {
        StageOutcome::Absent
    } else {
        StageOutcome::Failed
    };
    Staged::new(sections, outcome)
}

/// Cuts lines into sections and classifies them. `title` and `company` are
/// the posting's: the title repeated is not a heading, and a heading or
/// intro naming the company is about the company.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn segment(lines: &[Line], title: Option<&str>, company: Option<&str>) -> Vec<Section> {
    let title = title.map(Title::new);
    let title = title.as_ref();
    // Headings first, so that each section's text is allocated once.
    let heads: Vec<bool> = (0..lines.len())
        .map(|i| {
            lines
                .get(i)
                .is_some_and(|line| is_heading(line, lines.get(i + 1), title))
                && !is_leading_banner(i, lines, title)
        })
        .collect();
    let body_len = |from: usize| -> usize {
        lines
            .iter()
            .zip(&heads)
            .skip(from)
            .take_while(|(_, head)| !**head)
            .map(|(l, _)| l.text.len() + "\n• ".len())
            .sum()
    };
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section {
        kind: SectionKind::Other,
        heading: None,
        text: String::new(),
        items: Vec::new(),
    };
    for (i, (line, &head)) in lines.iter().zip(&heads).enumerate() {
        if head {
            // "Required" + "Qualifications" in two bold runs is one heading.
            if let Some(first) = current.heading.as_deref()
                && current.text.is_empty()
                && continues_heading(first, &line.text)
            {
                let joined = format!("{first} {}", clean_heading(&line.text));
                current.heading = Some(joined);
                continue;
            }
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
        if current.text.is_empty() {
            current.text.reserve(body_len(i));
        } else {
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
    // Normalized once, compared with every heading and the intro.
    let company = company.map(classify::normalize);
    for s in &mut sections {
        s.kind = classify(s, company.as_deref());
        unmarked_items(s);
    }
    sections
}

/// The posting's title as written and without its qualifier ("Machine
/// Learning Engineer" for "Machine Learning Engineer - Remote"), worked
/// out once per posting.
struct Title<'a> {
    full: &'a str,
    short: &'a str,
}

impl<'a> Title<'a> {
    fn new(title: &'a str) -> Title<'a> {
        let full = title.trim();
        let short = [" - ", " (", ", ", " | ", " – "]
            .iter()
            .filter_map(|sep| find_short(full, sep))
            .min()
            .and_then(|at| full.get(..at))
            .unwrap_or(full)
            .trim();
        Title { full, short }
    }

    /// Whether `text` repeats the title.
    fn is_repeated_in(&self, text: &str) -> bool {
        let text = text.trim_end_matches(':').trim();
        self.full.eq_ignore_ascii_case(text)
            || (!self.short.is_empty() && self.short.eq_ignore_ascii_case(text))
    }
}

/// A bold first line that names no kind, right before the first real
/// heading (a link such as "Employee Applicant Privacy Notice", a banner or
/// tagline): text, not a heading.
fn is_leading_banner(i: usize, lines: &[Line], title: Option<&Title>) -> bool {
    let (Some(line), Some(next)) = (lines.get(i), lines.get(i + 1)) else {
        return false;
    };
    i == 0
        && line.emphasized
        && classify::classify_heading(Some(&line.text)) == HeadingClass::Generic(SectionKind::Other)
        && is_heading(next, lines.get(i + 2), title)
}

/// Lines under a list-like heading that read as items though unmarked
/// (Apple's "Key Qualifications"): at least three short lines, none a
/// sentence, a lead-in or a label.
fn unmarked_items(section: &mut Section) {
    use SectionKind::*;
    if !section.items.is_empty()
        || !matches!(
            section.kind,
            Requirements | Preferred | Responsibilities | Benefits
        )
    {
        return;
    }
    let lines: Vec<&str> = section.text.lines().collect();
    let listy = lines.len() >= 3
        && lines.iter().all(|l| {
            l.split_whitespace().count() <= 25
                && !l.ends_with(['.', '!', '?', ':'])
                && !is_label_value(l)
        });
    if !listy {
        return;
    }
    section.items = lines.iter().map(|l| l.to_string()).collect();
    section.text = lines
        .iter()
        .map(|l| format!("• {l}"))
        .collect::<Vec<_>>()
        .join("\n");
}

/// A heading cut in two ("Required" / "Qualifications"): a one-word
/// qualifier followed by a one-word section noun.
fn continues_heading(first: &str, second: &str) -> bool {
    const QUALIFIERS: [&str; 9] = [
        "required",
        "minimum",
        "preferred",
        "basic",
        "desired",
        "additional",
        "key",
        "experience",
        "education",
    ];
    const NOUNS: [&str; 5] = [
        "qualifications",
        "requirements",
        "skills",
        "experience",
        "responsibilities",
    ];
    if !QUALIFIERS.iter().any(|q| first.eq_ignore_ascii_case(q)) {
        return false;
    }
    let second = second.trim().trim_end_matches([':', '：']).trim();
    NOUNS.iter().any(|n| second.eq_ignore_ascii_case(n))
}

fn clean_heading(text: &str) -> String {
    text.trim()
        .trim_end_matches([':', '：', '-', '–', '—'])
        .trim()
        .to_string()
}

fn is_heading(line: &Line, next: Option<&Line>, title: Option<&Title>) -> bool {
    if line.kind == LineKind::Item {
        return false;
    }
    let text = line.text.trim();
    // Long lines are never headings: decide them before any closer look.
    if text.len() > 4 * MAX_MARKED_HEADING_CHARS {
        return false;
    }
    let chars = text.chars().count();
    if !(3..=MAX_MARKED_HEADING_CHARS).contains(&chars) {
        return false;
    }
    let ends_with_colon = text.ends_with(':') || text.ends_with('：');
    // Most body lines: plain, long or ending like a sentence.
    if !(line.heading_tag || line.emphasized || ends_with_colon)
        && (chars > MAX_PLAIN_HEADING_CHARS || ends_like_sentence(text))
    {
        return false;
    }
    if title.is_some_and(|t| t.is_repeated_in(text)) || is_never_a_heading(text) {
        return false;
    }
    if is_label_value(text) {
        return false;
    }
    let words = text.split_whitespace().count();
    if line.heading_tag || line.emphasized {
        // "Why Awardco?", "Apply Now!" are headings; a bold sentence is not.
        let short_call = text.ends_with(['?', '!'])
            && words <= 8
            && !contains_short(text, ". ")
            && !contains_short(text, "? ")
            && !contains_short(text, "! ");
        let sentence = ends_like_sentence(text) && !ends_with_colon && !short_call;
        return chars <= MAX_MARKED_HEADING_CHARS && !sentence && next.is_some()
            || (line.heading_tag && chars <= MAX_MARKED_HEADING_CHARS);
    }
    let next_is_item = next.is_some_and(|n| n.kind == LineKind::Item);
    if ends_with_colon {
        // A lead-in to a list may be longer than other plain headings.
        let before_colon = text.trim_end_matches([':', '：']);
        return (words <= 8 && chars <= MAX_PLAIN_HEADING_CHARS && next.is_some())
            || (next_is_item
                && words <= 12
                && chars <= MAX_MARKED_HEADING_CHARS
                && !contains_short(before_colon, ". ")
                && !contains_short(before_colon, "? "));
    }
    if chars > MAX_PLAIN_HEADING_CHARS || words > MAX_PLAIN_HEADING_WORDS {
        return false;
    }
    if ends_like_sentence(text) {
        return false;
    }
    // Asked only when the layout leaves the question open.
    let kind = || match classify::classify_heading(Some(text)) {
        HeadingClass::Kind(k) if k != SectionKind::Other => Some(k),
        _ => None,
    };
    // A short Title Case or ALL CAPS line on its own, with a body after it;
    // before a bold sub-heading only when it names a kind ("Requirements"
    // over "Must-Have").
    if looks_like_title_case(text) {
        return next.is_some_and(|n| {
            !n.emphasized
                || n.kind == LineKind::Item
                || kind().is_some_and(|k| {
                    words <= 3 || classify::classify_heading(Some(&n.text)) == HeadingClass::Kind(k)
                })
        });
    }
    // "Nice to have" in sentence case, right before its list.
    words <= 5 && next_is_item && kind().is_some()
}

/// Lines a reader never takes for a heading: contact details, recruiter
/// signatures, ATS footers, employment terms, a quote's tail.
fn is_never_a_heading(text: &str) -> bool {
    // An e-mail address or a link ("Your Life @ IBM" is neither).
    let email = text.contains('@')
        && text.split_whitespace().any(|w| {
            w.split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        });
    if email || contains_short(text, "http") || contains_short(text, "www.") {
        return true;
    }
    if text.contains('-') && text.matches(" - ").count() >= 2 {
        return true;
    }
    if text.starts_with(['”', '’', '»', ')', ']']) {
        return true;
    }
    classify::is_footer_or_terms(text)
}

/// `needle` in a short text such as a heading candidate: a window scan
/// costs less than setting up a substring searcher for every line.
fn contains_short(text: &str, needle: &str) -> bool {
    find_short(text, needle).is_some()
}

/// Where `needle` first is in a short text (as `str::find`).
fn find_short(text: &str, needle: &str) -> Option<usize> {
    text.as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
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
    if classify::classify_heading(last.heading.as_deref())
        == HeadingClass::Kind(SectionKind::EqualOpportunity)
    {
        return;
    }
    let Some(pos) = last.text.rfind('\n') else {
        return;
    };
    let tail = &last.text[pos + 1..];
    if tail.starts_with("• ") || !classify::is_equal_opportunity_text(tail) {
        return;
    }
    // A diversity paragraph right before the statement belongs with it.
    let text = &last.text;
    let mut start = pos + 1;
    while start > 0 {
        let prev_end = start - 1;
        let prev_start = text[..prev_end].rfind('\n').map_or(0, |p| p + 1);
        let line = &text[prev_start..prev_end];
        let statement = is_diversity_text(line) || classify::is_equal_opportunity_text(line);
        if line.starts_with("• ") || !statement {
            break;
        }
        start = prev_start;
    }
    if start == 0 && last.heading.is_none() {
        // The whole untitled section is the statement: its body decides.
        return;
    }
    // Under a heading of another kind ("About Us" holding only the EEO
    // paragraph) the heading stays, empty, and the statement is split off.
    let eeo = Section {
        kind: SectionKind::EqualOpportunity,
        heading: None,
        text: text[start..].to_string(),
        items: Vec::new(),
    };
    last.text.truncate(start.saturating_sub(1));
    sections.push(eeo);
}

fn is_diversity_text(line: &str) -> bool {
    // ASCII lowering finds the same: of the characters Unicode lowers to
    // ASCII, the Kelvin sign gives a "k" and "İ" an "i" followed by a
    // combining dot, and no phrase holds a "k" or ends in an "i".
    let lower = line.to_ascii_lowercase();
    [
        "commitment to diversity",
        "inclusion and diversity",
        "diversity and inclusion",
        "diverse and inclusive",
    ]
    .iter()
    .any(|c| lower.contains(c))
}

fn classify(section: &Section, company: Option<&str>) -> SectionKind {
    match classify::classify_heading_for(section.heading.as_deref(), company) {
        HeadingClass::Kind(kind) => kind,
        HeadingClass::Generic(default) => {
            classify::classify_body(section, default, company).unwrap_or(default)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::description::decode;

    fn sections(html: &str) -> Vec<Section> {
        segment(&decode(html, 1 << 20).lines, Some("Data Engineer"), None)
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

    #[test]
    fn label_value_looks_only_at_the_label_window() {
        // The reference: the first colon anywhere, within 40 bytes.
        let whole_line = |text: &str| match text.find([':', '：']) {
            Some(pos) => {
                !text[pos..]
                    .trim_start_matches([':', '：'])
                    .trim()
                    .is_empty()
                    && pos <= 40
            }
            None => false,
        };
        let long_label = format!("{}: value", "x".repeat(40));
        let too_long = format!("{}: value", "x".repeat(41));
        let late_colon = format!("{} then: value", "word ".repeat(30));
        let cases = [
            "Location: Austin, TX",
            "Requirements:",
            "Requirements:   ",
            "Lieu：Paris",
            "Lieu： ",
            "No colon at all here",
            "",
            ":",
            "::value",
            "é: accented label",
            long_label.as_str(),
            too_long.as_str(),
            late_colon.as_str(),
            "ééééééééééééééééééééé：x",
            "éééééééééééééééééééé：x",
        ];
        for case in cases {
            assert_eq!(is_label_value(case), whole_line(case), "{case:?}");
        }
        assert!(is_label_value(&long_label));
        assert!(!is_label_value(&too_long));
    }
}
