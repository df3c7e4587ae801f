//! The seniority stage: a posting's level, from the title's cue first
//! ("Senior", "Sr.", "Staff Engineer", "Lead", "Head of", "VP", "Junior",
//! "Intern"), then from the text naming the role's level ("We are looking
//! for a Senior ...", "seeking a Mid-Level ..."), else from the years of
//! experience the experience stage read (up to 1 → entry, under 5 → mid,
//! 5 and more → senior).
//!
//! A "Product", "Project" or "Account Manager" manages a product, a
//! project or accounts, not people: the word "Manager" is a cue only
//! without such a word before it. Numbered levels ("Engineer II") are not
//! cues: companies number them differently.

use std::sync::LazyLock;

use serde::Serialize;

use super::experience::Experience;
use super::patterns::Patterns;
use super::phrases::Phrases;
use super::stage::{StageOutcome, Staged};
use super::title_words;

/// A seniority level, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeniorityLevel {
    Intern,
    Entry,
    Mid,
    Senior,
    Lead,
    Manager,
    Director,
    Executive,
}

/// Where the level was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SenioritySource {
    Title,
    /// The description names the role's level.
    Text,
    /// The years of experience required.
    Experience,
}

/// `enrichment.seniority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seniority {
    pub level: SeniorityLevel,
    pub source: SenioritySource,
    /// The title, the text's sentence, or the experience stage's evidence.
    pub evidence: String,
}

/// Words before "Manager" that make it someone who manages a thing, not
/// people.
const NOT_PEOPLE: [&str; 16] = [
    "product",
    "project",
    "program",
    "programme",
    "account",
    "accounts",
    "case",
    "property",
    "category",
    "brand",
    "portfolio",
    "relationship",
    "territory",
    "content",
    "community",
    "release",
];

/// Words after "Staff" that make it a rank ("Staff Software Engineer"),
/// not the staff ("Staff Accountant", "Staff Nurse").
const STAFF_RANKS: [&str; 12] = [
    "engineer",
    "software",
    "data",
    "scientist",
    "developer",
    "machine",
    "ml",
    "research",
    "product",
    "designer",
    "architect",
    "security",
];

/// The text naming the level of the role it describes: "looking for a
/// Senior", "seeking a Mid-Level", "As a Senior", "Title: Senior", "a
/// senior-level role".
/// Two patterns: a level before the role, and a level of a "role".
static TEXT_LEVEL: LazyLock<Patterns> = LazyLock::new(|| {
    let level = r"(?:senior|sr|mid[- ]level|junior|entry[- ]level|lead|principal)";
    let before_role = format!(
        r"(?i-u)\b(?:(?:looking for|seeking|hiring|title:)\s+(?:an?\s+|our\s+next\s+)?|as\s+an?\s+){level}\b"
    );
    let of_role = r"(?i-u)\b(?:senior|mid|junior|entry)[- ]level\s+(?:role|position)";
    Patterns::new(&[&before_role, of_role]).expect("the text level patterns compile")
});

/// [`TEXT_LEVEL`]'s pattern of a level before the role.
const LEVEL_BEFORE_ROLE: usize = 0;

/// The seniority stage. Ok with a level; absent otherwise.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(
    title: Option<&str>,
    text: &str,
    experience: Option<&Experience>,
) -> Staged<Option<Seniority>> {
    let from_title = title.and_then(|title| {
        title_level(title).map(|level| Seniority {
            level,
            source: SenioritySource::Title,
            evidence: title.to_string(),
        })
    });
    let seniority = from_title.or_else(|| text_level(text, title)).or_else(|| {
        experience.map(|e| Seniority {
            level: years_level(e.years_min.0),
            source: SenioritySource::Experience,
            evidence: e.evidence.clone(),
        })
    });
    let outcome = if seniority.is_some() {
        StageOutcome::Ok
    } else {
        StageOutcome::Absent
    };
    Staged::new(seniority, outcome)
}

/// What a line naming the role's level contains (a cheap test before the
/// pattern).
static TEXT_LEVEL_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "looking for",
        "Looking for",
        "seeking",
        "Seeking",
        "hiring",
        "Hiring",
        "itle:",
        "As a",
        "as a",
        "level role",
        "level position",
        "Level role",
        "Level position",
    ])
    .expect("text level words")
});

/// The first level the text names for this posting's role, with the
/// sentence as evidence. A level before a role ("looking for a Senior
/// Machine Learning Engineer") counts only when one of the role's next
/// three words is in the title: a "Data Scientist 1" posting whose team
/// is "seeking a Sr. Analyst" names another job.
fn text_level(text: &str, title: Option<&str>) -> Option<Seniority> {
    let title = title.unwrap_or("");
    let (line, m) = TEXT_LEVEL_WORDS.lines_containing(text).find_map(|range| {
        let line = &text[range];
        TEXT_LEVEL
            .find_iter(line)
            .find(|m| {
                m.pattern != LEVEL_BEFORE_ROLE
                    || title.is_empty()
                    || names_the_title_role(&line[m.end..], title)
            })
            .map(|m| (line, m))
    })?;
    let words = line[m.start..m.end].to_ascii_lowercase();
    // The level's word: the last of a level before the role ("mid level":
    // the last two), the first of a level of a role.
    let word = if m.pattern == LEVEL_BEFORE_ROLE {
        let mut words = words.rsplit(char::is_whitespace);
        match words.next() {
            Some("level") => words.next(),
            last => last,
        }
    } else {
        words.split(['-', ' ']).next()
    }?;
    let level = if word.starts_with("mid") {
        SeniorityLevel::Mid
    } else if word.starts_with("junior") || word.starts_with("entry") {
        SeniorityLevel::Entry
    } else if word == "lead" {
        SeniorityLevel::Lead
    } else {
        SeniorityLevel::Senior
    };
    // The sentence around the words ("Sr." does not end it).
    let is_end = |c: char| matches!(c, '\n' | '.' | '!' | '?');
    let start = line[..m.start].rfind(is_end).map_or(0, |i| i + 1);
    let after = m.end + usize::from(line[m.end..].starts_with('.'));
    let end = line[after..]
        .find(is_end)
        .map_or(line.len(), |i| after + i + 1);
    Some(Seniority {
        level,
        source: SenioritySource::Text,
        evidence: line[start..end].trim().to_string(),
    })
}

/// Whether one of the first three words of `role` is a word of `title`.
fn names_the_title_role(role: &str, title: &str) -> bool {
    title_words::with_lowercase_words(title, |title_words| {
        title_words::with_lowercase_words(role, |role_words| {
            role_words.iter().take(3).any(|w| title_words.contains(w))
        })
    })
}

fn years_level(years: f64) -> SeniorityLevel {
    if years <= 1.0 {
        SeniorityLevel::Entry
    } else if years < 5.0 {
        SeniorityLevel::Mid
    } else {
        SeniorityLevel::Senior
    }
}

/// The level a title's words name, the highest cue first ("Senior
/// Director" is a director, "Lead Product Manager" a lead), except that an
/// intern is an intern whatever else the title says ("Product Manager
/// Intern") below a director ("Director, Intern Program").
fn title_level(title: &str) -> Option<SeniorityLevel> {
    title_words::with_lowercase_words(title, level_of_words)
}

/// The level a title's lower-case words name.
fn level_of_words(words: &[&str]) -> Option<SeniorityLevel> {
    use SeniorityLevel::*;
    let has = |w: &str| words.contains(&w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p == [a, b]);
    let follows =
        |w: &str, after: &[&str]| words.windows(2).any(|p| p[0] == w && after.contains(&p[1]));
    // In consulting titles ("... - Consulting - Manager") "Manager" is a
    // rank on the career ladder, not a sign of reports.
    let people_manager = !has("consulting")
        && words.iter().enumerate().any(|(i, w)| {
            (*w == "manager" || *w == "mgr") && (i == 0 || !NOT_PEOPLE.contains(&words[i - 1]))
        });
    let level = if has("chief")
        || has("vp")
        || has("svp")
        || has("evp")
        || pair("vice", "president")
        || ["ceo", "cto", "cfo", "coo", "cio", "ciso", "cmo"]
            .iter()
            .any(|w| has(w))
    {
        Executive
    } else if has("director") || pair("head", "of") {
        Director
    } else if has("intern") || has("internship") || pair("co", "op") {
        Intern
    } else if people_manager {
        Manager
    } else if (has("lead") && !follows("lead", &["generation"]))
        || has("leader")
        || has("supervisor")
    {
        Lead
    } else if has("senior")
        || has("sr")
        || has("principal")
        || has("prin")
        || has("distinguished")
        || follows("staff", &STAFF_RANKS)
    {
        Senior
    } else if has("junior")
        || has("jr")
        || has("trainee")
        || has("apprentice")
        || pair("entry", "level")
        || pair("new", "grad")
        || pair("early", "career")
        || has("graduate")
        || has("associate")
    {
        Entry
    } else {
        return None;
    };
    Some(level)
}

/// Compiles the stage's pattern now rather than on the first posting.
pub(crate) fn prepare() {
    LazyLock::force(&TEXT_LEVEL);
    LazyLock::force(&TEXT_LEVEL_WORDS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::experience::Years;
    use SeniorityLevel::*;

    #[test]
    fn title_cues_decide() {
        for (title, want) in [
            ("Senior Software Engineer", Some(Senior)),
            ("Sr. Data Scientist", Some(Senior)),
            ("Staff Software Engineer, ML", Some(Senior)),
            ("Staff Accountant", None),
            ("Principal Engineer", Some(Senior)),
            ("Lead Frontend Developer", Some(Lead)),
            ("Lead Generation Specialist", None),
            ("Engineering Manager", Some(Manager)),
            ("Tax Manager", Some(Manager)),
            ("Senior Product Manager", Some(Senior)),
            ("Project Manager", None),
            ("Fullstack Engineer - Consulting - Manager", None),
            ("Head of Data", Some(Director)),
            ("Senior Director, Engineering", Some(Director)),
            ("VP of Engineering", Some(Executive)),
            ("Chief Technology Officer", Some(Executive)),
            ("Junior Developer", Some(Entry)),
            ("Software Engineer, Associate", Some(Entry)),
            ("Software Engineering Intern", Some(Intern)),
            ("Product Manager Intern", Some(Intern)),
            ("Director, Intern Program", Some(Director)),
            ("Software Engineer II", None),
        ] {
            assert_eq!(title_level(title), want, "{title}");
        }
    }

    #[test]
    fn years_decide_without_a_title_cue() {
        let experience = |years: f64| Experience {
            years_min: Years(years),
            years_max: None,
            preferred_only: false,
            evidence: "line".into(),
        };
        for (years, want) in [(0.0, Entry), (1.0, Entry), (3.0, Mid), (5.0, Senior)] {
            let got = run(Some("Data Scientist"), "", Some(&experience(years)));
            let got = got.value.expect("a level");
            assert_eq!((got.level, got.source), (want, SenioritySource::Experience));
        }
        let got = run(Some("Senior Data Scientist"), "", Some(&experience(1.0)));
        assert_eq!(got.value.unwrap().level, Senior, "the title first");
        let none = run(Some("Data Scientist"), "", None);
        assert_eq!(none.outcome, StageOutcome::Absent);
    }

    #[test]
    fn a_level_the_text_gives_another_job_is_not_this_one_s() {
        let text = "The Partner Checkout Analytics team is seeking a Sr. Analyst to join.";
        assert_eq!(text_level(text, Some("Data Scientist 1")), None);
        let got = text_level(text, Some("Senior Analyst")).expect("the same role");
        assert_eq!(
            got.evidence,
            "The Partner Checkout Analytics team is seeking a Sr. Analyst to join."
        );
    }

    #[test]
    fn the_text_naming_the_level_comes_before_the_years() {
        let text = "About us\nWeston is seeking a Mid-Level Air Scientist to join us.\nMore";
        let got = run(Some("Air Scientist"), text, None)
            .value
            .expect("a level");
        assert_eq!((got.level, got.source), (Mid, SenioritySource::Text));
        assert_eq!(
            got.evidence,
            "Weston is seeking a Mid-Level Air Scientist to join us."
        );
        for (text, want) in [
            (
                "We are looking for a Senior Machine Learning Engineer",
                Some(Senior),
            ),
            ("This position will be a senior level role.", Some(Senior)),
            ("As a Lead, you will", Some(Lead)),
            ("We are looking for a Sr. Engineer", Some(Senior)),
            ("As a leading provider of software", None),
            ("Serve as lead author on papers", None),
            ("We are seeking candidates who love data", None),
        ] {
            assert_eq!(text_level(text, None).map(|s| s.level), want, "{text}");
        }
    }
}
