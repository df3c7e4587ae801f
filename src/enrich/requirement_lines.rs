//! The description lines that can state what a role requires, graded by
//! where they stand, for the experience and education stages.
//!
//! A requirement is read from the requirement and preferred sections
//! first; the role, responsibilities and unheaded text only when those say
//! nothing (a "Senior ... with 5+ years" paragraph in a posting without
//! headings). The company, benefits, pay, equal-opportunity and
//! application sections are never read: "for over 20 years we have ..." and
//! "tuition for your Master's" are not requirements.

use std::sync::LazyLock;

use super::phrases::Phrases;
use super::sections::{Section, SectionKind};

/// How firmly a line asks for something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Required,
    /// In a preferred section, or marked "preferred", "a plus", "desired".
    Preferred,
}

/// A line that holds a stage's cue word, not yet graded: grading reads
/// the line for preference words, which only the few lines that state
/// something need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateLine<'a> {
    /// The line, without its list bullet.
    pub text: &'a str,
    /// In a requirement or preferred section, rather than in the role,
    /// responsibilities or unheaded text.
    pub listed: bool,
    /// In a preferred section.
    preferred_section: bool,
}

impl<'a> CandidateLine<'a> {
    /// The line with its standing.
    pub fn graded(self) -> RequirementLine<'a> {
        let standing = if self.preferred_section || is_preference(self.text) {
            Standing::Preferred
        } else {
            Standing::Required
        };
        RequirementLine {
            text: self.text,
            standing,
            listed: self.listed,
        }
    }
}

/// One line that may state a requirement, graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequirementLine<'a> {
    /// The line, without its list bullet.
    pub text: &'a str,
    pub standing: Standing,
    /// In a requirement or preferred section, rather than in the role,
    /// responsibilities or unheaded text.
    pub listed: bool,
}

impl RequirementLine<'_> {
    /// Orders lines by how much their statement counts: a requirement
    /// anywhere before a preference, and within each, a requirement or
    /// preferred section before the role and unheaded text.
    pub fn rank(&self) -> (Standing, bool) {
        (self.standing, !self.listed)
    }
}

/// Words that make a line a preference rather than a requirement.
static PREFERENCE_CUES: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::ascii_case_insensitive(&[
        "prefer",
        "a plus",
        "nice to have",
        "nice-to-have",
        "desired",
        "desirable",
        "ideally",
        "bonus",
        "not essential",
        "advantage",
    ])
    .expect("preference cues")
});

/// Whether the line marks what it asks for as a preference. Only its
/// first sentence, outside parentheses, counts: "5+ years of Rails (React
/// preferred)" and "5+ years of analytics. Preferably in retail." require
/// the years.
pub fn is_preference(line: &str) -> bool {
    let first_sentence = line.split(". ").next().unwrap_or(line);
    let mut depth = 0usize;
    first_sentence
        .split_inclusive(['(', ')'])
        .filter(|part| {
            let outside = depth == 0;
            match part.as_bytes().last() {
                Some(b'(') => depth += 1,
                Some(b')') => depth = depth.saturating_sub(1),
                _ => {}
            }
            outside
        })
        .any(|part| PREFERENCE_CUES.occurs_in(part.as_bytes()))
}

/// Which sections a reading visits. A stage reads the requirement lists
/// first and the rest only when the lists do not settle it: a requirement
/// in a list outranks every other line (see [`RequirementLine::rank`]), so
/// once one is found the role and unheaded text (most of a description)
/// need no search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The requirement and preferred sections.
    Lists,
    /// The role, responsibilities and unheaded text.
    Others,
    /// Both, in the description's order.
    All,
}

impl Reading {
    /// The lists, then the rest: the order a stage that ranks lines takes.
    pub const LISTS_FIRST: [Reading; 2] = [Reading::Lists, Reading::Others];
}

/// The lines of the sections that `reading` visits that contain one of
/// `cues` (the stage's cheap test for lines worth reading), in section
/// order.
pub fn lines_with<'a>(
    sections: &'a [Section],
    cues: &'a Phrases,
    reading: Reading,
) -> impl Iterator<Item = CandidateLine<'a>> + 'a {
    sections.iter().flat_map(move |section| {
        // (listed, preferred by its section)
        let grade = match section.kind {
            SectionKind::Requirements => Some((true, false)),
            SectionKind::Preferred => Some((true, true)),
            SectionKind::Role | SectionKind::Responsibilities | SectionKind::Other => {
                Some((false, false))
            }
            SectionKind::AboutCompany
            | SectionKind::Benefits
            | SectionKind::Compensation
            | SectionKind::EqualOpportunity
            | SectionKind::Application => None,
        }
        .filter(|&(listed, _)| match reading {
            Reading::Lists => listed,
            Reading::Others => !listed,
            Reading::All => true,
        });
        grade
            .into_iter()
            .flat_map(move |(listed, preferred_section)| {
                cues.lines_containing(&section.text)
                    .filter_map(move |range| {
                        let text = section.text[range]
                            .trim_start_matches(['•', '-', '*', ' '])
                            .trim();
                        if text.is_empty() {
                            return None;
                        }
                        Some(CandidateLine {
                            text,
                            listed,
                            preferred_section,
                        })
                    })
            })
    })
}

/// A section with only a kind and a body, for the stages' tests.
#[cfg(test)]
pub(crate) fn section(kind: SectionKind, text: &str) -> Section {
    Section {
        kind,
        heading: None,
        text: text.to_string(),
        items: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preference_is_the_first_sentence_s_outside_parentheses() {
        assert!(is_preference("BS in CS (or related) is preferred"));
        assert!(is_preference("Nice to have: Go"));
        assert!(!is_preference("2+ years of Rails (React preferred)"));
        assert!(!is_preference(
            "5+ years of analytics. Preferably in retail."
        ));
    }

    #[test]
    fn lines_are_graded_by_section_and_wording_and_read_lists_first() {
        let sections = [
            section(SectionKind::AboutCompany, "For over 20 years we have grown"),
            section(SectionKind::Role, "You will lead"),
            section(
                SectionKind::Requirements,
                "• 5+ years of Java\n• MS preferred",
            ),
            section(SectionKind::Preferred, "• Go experience"),
            section(SectionKind::Benefits, "Tuition for a Master's degree"),
        ];
        let cues = Phrases::new(&["years", "MS", "Master", "Go", "lead"]).unwrap();
        let read = |readings: &[Reading]| -> Vec<(&str, Standing, bool)> {
            readings
                .iter()
                .flat_map(|&r| lines_with(&sections, &cues, r))
                .map(|l| l.graded())
                .map(|l| (l.text, l.standing, l.listed))
                .collect()
        };
        let (lead, java, ms, go) = (
            ("You will lead", Standing::Required, false),
            ("5+ years of Java", Standing::Required, true),
            ("MS preferred", Standing::Preferred, true),
            ("Go experience", Standing::Preferred, true),
        );
        assert_eq!(read(&[Reading::All]), [lead, java, ms, go]);
        assert_eq!(read(&Reading::LISTS_FIRST), [java, ms, go, lead]);
    }
}
