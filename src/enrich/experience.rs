//! The experience stage: the years of experience a role requires ("5+
//! years" → 5; "3-5 years" → 3 to 5; "two years", "six (6) years", "6
//! months"), read from the requirement sections first (see
//! [`requirement_lines`](super::requirement_lines)), else from
//! `experienceRequirements` (`monthsOfExperience` or its text).
//!
//! A figure counts when the words around it say it is experience ("of
//! experience", "as a data engineer", "proven track record", "Experience:
//! 1 year"). It does not count when it is the company's history ("for over
//! 20 years we have ..."), a duration ("within 2 years", "a 2-year
//! degree"), or a substitute for a degree ("BS in CS or 5+ years of
//! industry experience", where the degree is the requirement). Of several
//! figures, the largest of the firmest lines is the role's: "5+ years of
//! Java; 3+ years of SQL" asks for 5.

use std::sync::LazyLock;

use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::patterns::Patterns;
use super::phrases::Phrases;
use super::requirement_lines::{self, Reading, RequirementLine, Standing};
use super::sections::Section;
use super::stage::{StageOutcome, Staged};

/// A number of years: whole years are written as integers, "6 months" as
/// 0.5.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Years(pub f64);

impl Serialize for Years {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Every figure is checked against 0..=MOST_YEARS where it is read.
        debug_assert!(self.0.is_finite() && self.0 >= 0.0, "{}", self.0);
        if self.0.fract() == 0.0 && self.0 >= 0.0 {
            s.serialize_u64(self.0 as u64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

/// `enrichment.experience`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experience {
    pub years_min: Years,
    pub years_max: Option<Years>,
    /// No figure is required, only preferred ("3+ years preferred").
    pub preferred_only: bool,
    /// The line, or `experienceRequirements.monthsOfExperience=60`.
    pub evidence: String,
}

/// The words a line stating a period contains (a cheap test before the
/// pattern).
static PERIOD_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "year", "Year", "YEAR", "yr", "Yr", "YR", "month", "Month", "MONTH",
    ])
    .expect("period words")
});

/// The words of a line saying no experience is needed.
static NO_EXPERIENCE_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "未経験",
        "no experience",
        "No experience",
        "no prior experience",
        "No prior experience",
    ])
    .expect("no-experience words")
});

/// The most years read as a requirement: larger figures are company
/// history or typos.
const MOST_YEARS: f64 = 40.0;

/// "5+ years", "3-5 yrs", "3 to 5 years", "two (2) years", "6 months"
/// (read by [`read_figure`]).
static FIGURE: LazyLock<Patterns> = LazyLock::new(|| {
    let number = r"(?:\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)";
    let pattern = format!(
        r"(?i-u)\b{number}\s*(?:\(\s*\d{{1,2}}\s*\)\s*)?(?:\+|plus)?\s*(?:(?:-|–|—|to)\s*{number}\s*(?:\(\s*\d{{1,2}}\s*\)\s*)?\+?\s*)?-?\s*(?:years?|yrs?|months?)\b"
    );
    Patterns::new(&[&pattern]).expect("the figure pattern compiles")
});

/// Words after a figure that make it experience wherever the line stands.
static EXPERIENCE_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "experience",
        "exp.",
        "expertise",
        "track record",
        "background",
    ])
    .expect("experience words")
});

/// How the words after a figure begin when, in a requirement list, they
/// describe experience: "4+ years as a data engineer", "3 years in
/// software development".
const LISTED_LEADS: [&str; 12] = [
    "of ",
    "in ",
    "as ",
    "working",
    "developing",
    "building",
    "programming",
    "hands-on",
    "professional",
    "industry",
    "relevant",
    "related",
];

/// How the words after a figure begin when it is not experience.
const NOT_EXPERIENCE_LEADS: [&str; 12] = [
    "old",
    "of age",
    "degree",
    "college",
    "university",
    "program",
    "warranty",
    "ago",
    "contract",
    "from",
    "later",
    "term",
];

/// Words just before a figure that make it a duration or the company's
/// history ("We have over 10 years of experience in staffing").
static NOT_EXPERIENCE_BEFORE: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "within",
        "every",
        "next",
        "past",
        "last",
        "first",
        "after",
        "for over",
        "for more than",
        "for nearly",
        "celebrating",
        "celebrated",
        "founded",
        "we have",
        "we've",
        "our ",
        "company has",
        "has over",
        "have over",
    ])
    .expect("not experience before")
});

/// Words that name a degree, to tell "BS or 5 years" (a substitute) from
/// "5 years" (a requirement).
static DEGREE_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "degree",
        "bachelor",
        "bachelors",
        "b.s",
        "bs ",
        "master",
        "masters",
        "m.s",
        "phd",
        "diploma",
        "ged",
    ])
    .expect("degree words")
});

/// The experience stage. Ok with a figure; absent otherwise.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(sections: &[Section], stated: Option<&RawValue>) -> Staged<Option<Experience>> {
    let (from_text, substitute_seen) = from_text(sections);
    // Feeds fill `monthsOfExperience` from the text's figure, so when that
    // figure only replaces a degree the structured one does too.
    let experience = from_text.or_else(|| {
        (!substitute_seen)
            .then(|| stated.and_then(from_structured))
            .flatten()
    });
    let outcome = if experience.is_some() {
        StageOutcome::Ok
    } else {
        StageOutcome::Absent
    };
    Staged::new(experience, outcome)
}

/// The role's figure from the description's requirement lines, and
/// whether a figure that only replaces a degree was seen.
fn from_text(sections: &[Section]) -> (Option<Experience>, bool) {
    let mut best: Option<(RequirementLine<'_>, Years, Option<Years>)> = None;
    let mut substitute_seen = false;
    for reading in Reading::LISTS_FIRST {
        // Years a list requires are the firmest there are (and with a
        // figure found, whether another only replaces a degree no longer
        // matters).
        if best.is_some_and(|(held, _, _)| held.standing == Standing::Required) {
            break;
        }
        for line in requirement_lines::lines_with(sections, &PERIOD_WORDS, reading) {
            let (found, substitute) = figures(line.text, line.listed);
            substitute_seen |= substitute;
            if found.is_empty() {
                continue;
            }
            let line = line.graded();
            for (min, max) in found {
                let better = match &best {
                    None => true,
                    Some((held, held_min, _)) => {
                        line.rank() < held.rank() || (line.rank() == held.rank() && min > *held_min)
                    }
                };
                if better {
                    best = Some((line, min, max));
                }
            }
        }
    }
    let none_needed = || {
        requirement_lines::lines_with(sections, &NO_EXPERIENCE_WORDS, Reading::All)
            .map(|line| line.text)
            .find(|line| says_no_experience_needed(line))
    };
    let experience = match (best, best.is_none().then(none_needed).flatten()) {
        (Some((line, years_min, years_max)), _) => Some(Experience {
            years_min,
            years_max,
            preferred_only: line.standing == Standing::Preferred,
            evidence: line.text.to_string(),
        }),
        (None, Some(line)) => Some(Experience {
            years_min: Years(0.0),
            years_max: None,
            preferred_only: false,
            evidence: line.to_string(),
        }),
        (None, None) => None,
    };
    (experience, substitute_seen)
}

/// "Inexperienced applicants welcome": no experience asked for.
fn says_no_experience_needed(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.contains("未経験")
        || [
            "no experience required",
            "no experience necessary",
            "no experience needed",
            "no prior experience",
        ]
        .iter()
        .any(|cue| lower.contains(cue))
}

/// The experience figures a line states, as (minimum, maximum) years,
/// and whether it states one that only replaces a degree. `listed`: the
/// line is in a requirement list, where "3 years in software development"
/// says experience without the word.
fn figures(line: &str, listed: bool) -> (Vec<(Years, Option<Years>)>, bool) {
    let lower = line.to_ascii_lowercase();
    let mut substitute = false;
    let found = FIGURE
        .find_iter(line)
        .filter_map(|m| {
            let before = &lower[..m.start];
            let after = lower[m.end..]
                .trim_start_matches(['\'', '’', 's', ')', ':', ' '])
                .trim_start();
            if !is_experience(before, after, listed) {
                return None;
            }
            if is_degree_substitute(before) {
                substitute |= listed;
                return None;
            }
            let (min, max) = read_figure(&lower[m.start..m.end])?;
            if min > MOST_YEARS || max.is_some_and(|max| max < min || max > MOST_YEARS) {
                return None;
            }
            Some((Years(min), max.map(Years)))
        })
        .collect();
    (found, substitute)
}

/// Whether the words around a figure make it years of experience.
fn is_experience(before: &str, after: &str, listed: bool) -> bool {
    if NOT_EXPERIENCE_LEADS
        .iter()
        .any(|w| starts_with_word(after, w))
    {
        return false;
    }
    let near_before = tail(before, 24);
    if contains_word(near_before, &NOT_EXPERIENCE_BEFORE) {
        return false;
    }
    let window = head(after, 70);
    EXPERIENCE_WORDS.occurs_in(window.as_bytes())
        || (listed && LISTED_LEADS.iter().any(|w| after.starts_with(w)))
        // "Experience: 3 years", "Training Experience - 1year".
        || (after.is_empty() || after.starts_with(['.', ';', ',']))
            && tail(before, 40).contains("experience")
}

/// "B.S. in a relevant field or 5+ years of industry experience": the
/// figure follows "or" after a degree, so it replaces the degree.
fn is_degree_substitute(before: &str) -> bool {
    let near = tail(before, 20);
    let Some(or_at) = near.rfind(" or ") else {
        let near = near.trim_end();
        return (near == "or" || near.ends_with(" or")) && has_degree_word(before);
    };
    let after_or = &near[or_at..];
    let before_or = &before[..before.len() - near.len() + or_at];
    !has_degree_word(after_or) && has_degree_word(before_or)
}

fn has_degree_word(text: &str) -> bool {
    contains_word(text, &DEGREE_WORDS)
}

/// Whether one of `words` occurs in `text` at the start of a word ("our "
/// in "our team", not in "your team"), and, when it ends in a letter or
/// digit, at the end of one too ("last", not "elasticsearch").
fn contains_word(text: &str, words: &Phrases) -> bool {
    words.occurrences(text.as_bytes()).any(|m| {
        let starts = text[..m.start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        starts && ends_word(&text[m.end..], &text[m.start..m.end])
    })
}

/// Whether `text` begins with `word` as a whole word (see [`contains_word`]).
fn starts_with_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word)
        .is_some_and(|rest| ends_word(rest, word))
}

/// Whether a match of `word` followed by `rest` ends a word (always, for a
/// cue ending in a space or punctuation).
fn ends_word(rest: &str, word: &str) -> bool {
    !word.ends_with(|c: char| c.is_alphanumeric())
        || rest.chars().next().is_none_or(|c| !c.is_alphanumeric())
}

/// The last `n` bytes of `text`, from a character boundary.
fn tail(text: &str, n: usize) -> &str {
    let mut start = text.len().saturating_sub(n);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The first `n` bytes of `text`, to a character boundary.
fn head(text: &str, n: usize) -> &str {
    let mut end = n.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Years to a tenth ("7 months" → 0.6).
fn tenths(years: f64) -> f64 {
    (years * 10.0).round() / 10.0
}

/// The years of a lower-case text [`FIGURE`] matched: its first number
/// and, in a range, its second, both in years. A number in parentheses
/// repeats the one before it ("two (2)").
fn read_figure(figure: &str) -> Option<(f64, Option<f64>)> {
    let per_year = if figure.trim_end().trim_end_matches('s').ends_with("month") {
        12.0
    } else {
        1.0
    };
    let (mut min, mut max) = (None, None);
    let mut in_parentheses = false;
    let mut rest = figure;
    while let Some(first) = rest.chars().next() {
        // A token: a number ("3", "1.5"), a word ("two", "years") or one
        // other character.
        let len = if first.is_ascii_digit() {
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))
        } else if first.is_ascii_alphabetic() {
            // Words may be glued together ("twoyears", "toten"): the
            // figure word the run starts with, else the whole run.
            let run = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            FIGURE_WORDS
                .iter()
                .find(|(word, _)| rest[..run].starts_with(word))
                .map_or(Some(run), |(word, _)| Some(word.len()))
        } else {
            Some(first.len_utf8())
        }
        .unwrap_or(rest.len());
        let (token, after) = rest.split_at(len);
        rest = after;
        match first {
            '(' => in_parentheses = true,
            ')' => in_parentheses = false,
            _ if in_parentheses => {}
            _ => match (number(token.trim_end_matches('.')), min) {
                (Some(n), None) => min = Some(tenths(n / per_year)),
                (Some(n), Some(_)) if max.is_none() => max = Some(tenths(n / per_year)),
                _ => {}
            },
        }
    }
    Some((min?, max))
}

/// The words [`FIGURE`] matches, with their numbers; a word that begins
/// another comes after it ("years" before "year").
const FIGURE_WORDS: [(&str, Option<f64>); 22] = [
    ("one", Some(1.0)),
    ("two", Some(2.0)),
    ("three", Some(3.0)),
    ("four", Some(4.0)),
    ("five", Some(5.0)),
    ("six", Some(6.0)),
    ("seven", Some(7.0)),
    ("eight", Some(8.0)),
    ("nine", Some(9.0)),
    ("ten", Some(10.0)),
    ("eleven", Some(11.0)),
    ("twelve", Some(12.0)),
    ("fifteen", Some(15.0)),
    ("twenty", Some(20.0)),
    ("plus", None),
    ("to", None),
    ("years", None),
    ("year", None),
    ("yrs", None),
    ("yr", None),
    ("months", None),
    ("month", None),
];

/// A lower-case number, in digits or a word.
fn number(word: &str) -> Option<f64> {
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        return word.parse::<f64>().ok();
    }
    FIGURE_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .and_then(|(_, n)| *n)
}

/// `experienceRequirements`: `{"monthsOfExperience": 60}` (a number or its
/// text), or a text such as "Minimum 3 years experience as a software
/// engineer"; the first of a list.
fn from_structured(raw: &RawValue) -> Option<Experience> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let value = match value {
        Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
        other => other,
    };
    match &value {
        Value::Object(fields) => {
            let months = match fields.get("monthsOfExperience")? {
                Value::Number(n) => n.as_f64()?,
                Value::String(s) => s.trim().parse::<f64>().ok()?,
                _ => return None,
            };
            let years = tenths(months / 12.0);
            (0.0..=MOST_YEARS).contains(&years).then(|| Experience {
                years_min: Years(years),
                years_max: None,
                preferred_only: false,
                evidence: format!("experienceRequirements.monthsOfExperience={months}"),
            })
        }
        Value::String(text) => {
            let (min, max) = figures(text, true)
                .0
                .into_iter()
                .max_by(|a, b| a.0.0.total_cmp(&b.0.0))?;
            Some(Experience {
                years_min: min,
                years_max: max,
                preferred_only: requirement_lines::is_preference(text),
                evidence: format!("experienceRequirements={}", text.trim()),
            })
        }
        _ => None,
    }
}

/// Compiles the stage's pattern now rather than on the first posting.
pub(crate) fn prepare() {
    LazyLock::force(&FIGURE);
    LazyLock::force(&PERIOD_WORDS);
    LazyLock::force(&NO_EXPERIENCE_WORDS);
    LazyLock::force(&EXPERIENCE_WORDS);
    LazyLock::force(&NOT_EXPERIENCE_BEFORE);
    LazyLock::force(&DEGREE_WORDS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::requirement_lines::section;
    use crate::enrich::sections::SectionKind;

    fn listed(text: &str) -> Vec<Section> {
        vec![section(SectionKind::Requirements, text)]
    }

    fn years(text: &str) -> Option<(f64, Option<f64>, bool)> {
        run(&listed(text), None)
            .value
            .map(|e| (e.years_min.0, e.years_max.map(|y| y.0), e.preferred_only))
    }

    #[test]
    fn stated_figures_are_read() {
        for (line, want) in [
            ("• 5+ years of experience in Java", (5.0, None)),
            (
                "• 3-5 years of C++ development experience.",
                (3.0, Some(5.0)),
            ),
            ("• 5 -10 years of hands-on engineering", (5.0, Some(10.0))),
            ("• Two years of programming experience.", (2.0, None)),
            ("• 3+years’ experience with Java or Python", (3.0, None)),
            ("• 4+ years as a data engineer", (4.0, None)),
            ("• Experience : Training Experience - 1year", (1.0, None)),
            ("• six (6) years of relevant experience", (6.0, None)),
            ("• 6 months of retail experience", (0.5, None)),
            ("• 5+ years programming experience", (5.0, None)),
            ("• Your background: 5+ years of Go", (5.0, None)),
            ("• Elasticsearch: 3+ years of experience", (3.0, None)),
            (
                "• Project experience (~1 year) working in Java",
                (1.0, None),
            ),
            ("• 2 to 4 years of experience in sales", (2.0, Some(4.0))),
            (
                "• two (2) to four (4) years of related experience",
                (2.0, Some(4.0)),
            ),
            ("• 3 – 5 yrs experience with Kafka", (3.0, Some(5.0))),
            ("• 1.5 years of customer service experience", (1.5, None)),
            ("• 18 months of warehouse experience", (1.5, None)),
            ("• Twoyears of experience in retail", (2.0, None)),
            ("• twoto four years of experience", (2.0, Some(4.0))),
            ("• 2 toten years of experience", (2.0, Some(10.0))),
            ("• Tenyrs experience", (10.0, None)),
        ] {
            let (min, max, _) = years(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!((min, max), want, "{line}");
        }
    }

    #[test]
    fn the_largest_figure_of_the_firmest_lines_is_the_role_s() {
        let text = "• 3+ years of SQL\n• 5+ years of Java\n• 8+ years of Go preferred";
        assert_eq!(years(text), Some((5.0, None, false)));
        // A requirement anywhere outranks a preference in a list.
        let sections = [
            section(SectionKind::Preferred, "• 8+ years of Go"),
            section(SectionKind::Role, "You bring 4+ years of experience."),
        ];
        let got = run(&sections, None).value.expect("a figure");
        assert_eq!((got.years_min, got.preferred_only), (Years(4.0), false));
        assert_eq!(
            years("• We prefer someone with a minimum of 3 years of experience"),
            Some((3.0, None, true))
        );
    }

    #[test]
    fn history_durations_and_degree_substitutes_are_not_requirements() {
        for line in [
            "• For over 20 years we have delivered software",
            "• You will be promoted within 2 years",
            "• A 2-year degree in nursing",
            "• B.S., M.S. or PhD in relevant field or 5+ years of industry experience",
            "• Bachelor's degree OR 1-year full-time experience",
            "• Must be 18 years old",
        ] {
            assert_eq!(years(line), None, "{line}");
        }
        // The degree comes with the years, not instead of them.
        assert_eq!(
            years("• 7 years of experience with a Bachelor's degree"),
            Some((7.0, None, false))
        );
    }

    #[test]
    fn outside_a_requirement_list_the_word_experience_is_needed() {
        let role = vec![section(
            SectionKind::Role,
            "You will spend 3 years in Paris.\nYou bring 4+ years of experience.",
        )];
        let got = run(&role, None).value.expect("a figure");
        assert_eq!(got.years_min, Years(4.0));
        assert_eq!(got.evidence, "You bring 4+ years of experience.");
    }

    #[test]
    fn structured_months_are_read_when_the_text_is_silent() {
        let raw: Box<RawValue> = serde_json::from_str(
            r#"{"@type": "OccupationalExperienceRequirements", "monthsOfExperience": "60"}"#,
        )
        .unwrap();
        let got = run(&listed("• Python"), Some(&raw)).value.expect("months");
        assert_eq!(got.years_min, Years(5.0));
        assert_eq!(
            serde_json::to_string(&got.years_min).unwrap(),
            "5",
            "whole years are integers"
        );
        let got = run(&listed("• 2+ years of Python"), Some(&raw)).value;
        assert_eq!(got.unwrap().years_min, Years(2.0), "the text wins");
        let raw: Box<RawValue> =
            serde_json::from_str(r#""Minumum 3 years experience as a software engineer""#).unwrap();
        let got = run(&[], Some(&raw)).value.expect("text");
        assert_eq!(got.years_min, Years(3.0));
        assert_eq!(run(&[], None).outcome, StageOutcome::Absent);
    }

    #[test]
    fn inexperienced_applicants_welcome_is_zero_years() {
        let got = run(&listed("• 未経験者大歓迎"), None).value.expect("zero");
        assert_eq!(got.years_min, Years(0.0));
    }
}
