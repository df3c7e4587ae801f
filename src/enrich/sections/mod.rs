//! Typed sections of a description: the types here; the rule tables
//! (`rules.rs`), heading and body classification (`classify.rs`) and the
//! stage that splits description lines into sections (`segment.rs`) use
//! them, and this module only re-exports what they offer.

mod classify;
mod rules;
mod segment;

use serde::Serialize;

pub(crate) use classify::prepare;
pub use classify::{
    HeadingClass, classify_heading, classify_heading_for, is_tech_stack, normalize,
};
pub use segment::{run, segment};

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
