//! Typed sections of a description: the types here, the rule tables in
//! [`rules`], heading and body classification in [`classify`], and the
//! split of description lines into sections in [`segment`].

mod classify;
mod rules;
mod segment;

use serde::Serialize;

pub(crate) use classify::prepare;
pub use classify::{
    HeadingClass, classify_heading, classify_heading_for, is_tech_stack, normalize,
};
pub use segment::segment;

use super::description::Line;
use super::stage::{StageOutcome, Staged};

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

/// "Location: Austin, TX", "Salary: $50k": a label, a colon, then a value.
pub(crate) fn is_label_value(text: &str) -> bool {
    // The first colon counts only within 40 bytes, so a paragraph is not
    // read to its end looking for one.
    let bytes = text.as_bytes();
    let window = bytes.get(..=MAX_LABEL_BYTES).unwrap_or(bytes);
    let first_colon = window.iter().enumerate().position(|(i, &b)| {
        b == b':'
            || (b == 0xEF
                && bytes
                    .get(i..)
                    .is_some_and(|r| r.starts_with("：".as_bytes())))
    });
    first_colon
        .and_then(|pos| text.get(pos..))
        .is_some_and(|rest| !rest.trim_start_matches([':', '：']).trim().is_empty())
}

/// Where a label's colon may be at the latest ("Years of experience:").
const MAX_LABEL_BYTES: usize = 40;
