//! The education stage: the lowest degree a role accepts ("BS/MS" →
//! bachelor, "MS or PhD" → master, "High School diploma or GED" → high
//! school), whether it is only preferred, whether equivalent experience
//! may stand in for it, and its field.
//!
//! Order of evidence: a degree the requirement lines ask for; else
//! `educationRequirements` (or a credential in `qualifications`); else a
//! degree that is only preferred. A credential off the scale (a licence, a
//! certificate, "Qualified Teacher Status") gives nothing.

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::patterns::Patterns;
use super::phrases::Phrases;
use super::requirement_lines::{self, Reading, RequirementLine, Standing};
use super::sections::Section;
use super::stage::{StageOutcome, Staged};

/// A level of education, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    None,
    HighSchool,
    Associate,
    Bachelor,
    Master,
    Doctorate,
}

/// `enrichment.education`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Education {
    pub level: EducationLevel,
    /// The degree is asked for only as a preference.
    pub preferred_only: bool,
    /// "or equivalent experience", `experienceInPlaceOfEducation: true`.
    pub equivalent_experience_accepted: bool,
    /// The field as written ("Computer Science or related field").
    pub field: Option<String>,
    /// The line, or `educationRequirements.credentialCategory=...`.
    pub evidence: String,
}

/// The structured fields the stage reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stated<'a> {
    pub education_requirements: Option<&'a RawValue>,
    pub qualifications: Option<&'a RawValue>,
    pub experience_in_place_of_education: Option<&'a RawValue>,
}

/// Degree names, one pattern per level. Abbreviations are upper case and
/// count only before what follows a degree ("BS/MS", "MS in", "BS+",
/// "MS or PhD"), so "MS Office" and "BA" the business analyst are not
/// degrees.
static DEGREE: LazyLock<Patterns> = LazyLock::new(|| {
    let abbreviation_end = r"(?:\s*(?:/|\+|,|\)|\bin\b|\bdegree|\bor\b|\band\b)|$)";
    // One pattern per entry of PATTERN_LEVELS, in its order. ASCII classes
    // and case folding (`(?-u)`) keep the DFA small.
    let patterns = [
        r"(?-u)(?i:no (?:formal )?(?:degree|education) (?:is )?required)".to_string(),
        r"(?-u)(?i:\bph\.?\s?d\b|\bdoctorate|\bdoctoral)|\bPhD".to_string(),
        format!(
            r"(?-u)(?i:\bmaster(?:(?:'|’)s|s(?:'|’)?|\s+(?:of|degree))|\bgraduate degree|\badvanced degree|\bpost-?graduate degree|\bmba\b|\bm\.sc?\.)|\bM\.?Sc?{abbreviation_end}"
        ),
        r"(?-u)(?i:\bassociate(?:'|’)?s? degree|\bassociates degree)".to_string(),
        format!(
            r"(?-u)(?i:\bbachelor|\bb\.s\.|\bb\.a\.|\bb\.sc\b|\bb\.?tech\b|\bundergraduate degree|\b(?:4|four)[- ]year (?:college |university )?degree)|\bB[SA]c?{abbreviation_end}|\bBE\b\s+in\b"
        ),
        // A degree without a level: a bachelor's, unless the line names one.
        r"(?-u)(?i:\b(?:college|university|tertiary|academic|technical|engineering|science|related|relevant) degree|\bdegree (?:in|from)\b)".to_string(),
        r"(?-u)(?i:\bhigh school|\bged\b|\bsecondary school)".to_string(),
    ];
    let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
    Patterns::new(&patterns).expect("the degree patterns compile")
});

/// What a line naming a degree contains (a cheap test before the
/// pattern; at most 32 for the fast searcher).
static DEGREE_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "achelor",
        "ACHELOR",
        "Master",
        "master",
        "MASTER",
        "BS ",
        "BS/",
        "BS+",
        "BSc",
        "B.S",
        "b.s.",
        "BA ",
        "BA/",
        "B.A",
        "MS ",
        "MS/",
        "MSc",
        "M.S",
        "MBA",
        "PhD",
        "Ph.",
        "PHD",
        "octor",
        "egree",
        "EGREE",
        "igh school",
        "igh School",
        "GED",
        "econdary",
        "ssociate",
        "B.Tech",
        "ducation",
    ])
    .expect("degree words")
});

/// The level of each degree pattern (`None`: a degree without a level).
const PATTERN_LEVELS: [Option<EducationLevel>; 7] = [
    Some(EducationLevel::None),
    Some(EducationLevel::Doctorate),
    Some(EducationLevel::Master),
    Some(EducationLevel::Associate),
    Some(EducationLevel::Bachelor),
    None,
    Some(EducationLevel::HighSchool),
];

/// Words that show a line outside a requirement list asks for its degree.
static REQUIREMENT_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::ascii_case_insensitive(&[
        "degree",
        "require",
        "equivalent",
        "minimum",
        "must",
        "diploma",
    ])
    .expect("requirement words")
});

/// Words that make a degree something the employer offers, not asks for.
static NOT_REQUIRED_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::ascii_case_insensitive(&["tuition", "reimburs"]).expect("not required words")
});

/// Wordings that accept experience in place of the degree. "or equivalent
/// education" does not.
static EQUIVALENT_EXPERIENCE: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::ascii_case_insensitive(&[
        "equivalent",
        "in lieu",
        "similar experience",
        "similar through experience",
        "combination of education and experience",
    ])
    .expect("equivalent experience")
});

/// Where a degree's field ends: "in Computer Science or related field" up
/// to its alternative, its qualifier or the next clause.
static FIELD_ENDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::ascii_case_insensitive(&[
        " or equivalent",
        " or its equivalent",
        "(",
        ";",
        ". ",
        " preferred",
        " required",
        " is ",
        " with ",
        " and/or ",
        ":",
        " from ",
    ])
    .expect("field ends")
});

/// The education stage. Ok with a level; absent otherwise (a credential
/// off the scale, such as a licence, is not a failure).
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(sections: &[Section], stated: Stated<'_>) -> Staged<Option<Education>> {
    let in_place = stated
        .experience_in_place_of_education
        .is_some_and(|raw| raw.get().trim() == "true");
    let (required, preferred) = from_text(sections);
    let structured = || {
        stated
            .education_requirements
            .map(|raw| (raw, "educationRequirements"))
            .into_iter()
            .chain(stated.qualifications.map(|raw| (raw, "qualifications")))
            .find_map(|(raw, key)| from_structured(raw, key))
    };
    let mut education = required
        .map(Found::education)
        .or_else(structured)
        .or_else(|| preferred.map(Found::education));
    if let Some(education) = &mut education {
        education.equivalent_experience_accepted |= in_place;
    }
    let outcome = if education.is_some() {
        StageOutcome::Ok
    } else {
        StageOutcome::Absent
    };
    Staged::new(education, outcome)
}

/// A line's degree: the line, its lowest level and where that level's cue
/// starts.
struct Found<'a>(RequirementLine<'a>, EducationLevel, usize);

impl Found<'_> {
    /// The field, its qualifiers and its evidence, read only for the
    /// line that is used.
    fn education(self) -> Education {
        let Found(line, level, cue_at) = self;
        Education {
            level,
            preferred_only: line.standing == Standing::Preferred,
            equivalent_experience_accepted: accepts_equivalent_experience(line.text),
            field: field(&line.text[cue_at..]),
            evidence: line.text.to_string(),
        }
    }
}

/// The lowest degree of the firmest lines that name one: (required,
/// only preferred).
fn from_text(sections: &[Section]) -> (Option<Found<'_>>, Option<Found<'_>>) {
    // The best required line and the best preferred one, each kept: a
    // required degree anywhere outranks a preferred one in a list.
    let mut best: [Option<Found<'_>>; 2] = [None, None];
    for reading in Reading::LISTS_FIRST {
        // A degree a list requires is the firmest there is.
        if best[0].is_some() {
            break;
        }
        for line in requirement_lines::lines_with(sections, &DEGREE_WORDS, reading) {
            let Some((level, cue_at)) = lowest_level(line.text) else {
                continue;
            };
            let says = |words: &Phrases| words.occurs_in(line.text.as_bytes());
            if says(&NOT_REQUIRED_WORDS) || (!line.listed && !says(&REQUIREMENT_WORDS)) {
                continue;
            }
            let line = line.graded();
            let slot = &mut best[usize::from(line.standing == Standing::Preferred)];
            let better = match slot {
                None => true,
                Some(Found(held, held_level, _)) => {
                    line.rank() < held.rank() || (line.rank() == held.rank() && level < *held_level)
                }
            };
            if better {
                *slot = Some(Found(line, level, cue_at));
            }
        }
    }
    let [required, preferred] = best;
    (required, preferred)
}

/// The lowest level a text names, and where the cue for it starts; a
/// degree without a level ("Degree in Physics") is a bachelor's when the
/// text names no level ("Master's degree in CS, related degree" is a
/// master's).
fn lowest_level(text: &str) -> Option<(EducationLevel, usize)> {
    let mut unnamed = None;
    let mut lowest: Option<(EducationLevel, usize)> = None;
    for m in DEGREE.find_iter(text) {
        match PATTERN_LEVELS[m.pattern] {
            None => unnamed = unnamed.or(Some((EducationLevel::Bachelor, m.start))),
            Some(level) if lowest.is_none_or(|(held, _)| level < held) => {
                lowest = Some((level, m.start));
            }
            Some(_) => {}
        }
    }
    lowest.or(unnamed)
}

fn accepts_equivalent_experience(line: &str) -> bool {
    let starts_with = |text: &str, word: &str| {
        text.get(..word.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(word))
    };
    EQUIVALENT_EXPERIENCE.occurrences(line.as_bytes()).any(|m| {
        let rest = line[m.end..].trim_start();
        !(starts_with(rest, "education") || starts_with(rest, "degree"))
    })
}

/// The field of the degree named at the start of `from_cue`: "Bachelor's
/// degree in Computer Science or related field." → "Computer Science or
/// related field".
fn field(from_cue: &str) -> Option<String> {
    // "in" must belong to this degree, not to a later clause: " in "
    // starts at byte 40 at the latest. ASCII lower case keeps the offsets.
    let start = from_cue[..from_cue.floor_char_boundary(44)]
        .to_ascii_lowercase()
        .find(" in ")?;
    let rest = &from_cue[start + 4..];
    let end = FIELD_ENDS
        .occurrences(rest.as_bytes())
        .map(|m| m.start)
        .min()
        .unwrap_or(rest.len());
    let field = rest[..end]
        .trim()
        .trim_end_matches(['.', ',', ' '])
        .trim_start_matches("a ")
        .trim_start_matches("an ")
        .trim();
    (!field.is_empty() && field.len() <= 160).then(|| field.to_string())
}

/// `educationRequirements` or `qualifications`: a credential object
/// (`credentialCategory`, field in `about`), a text, or a list of either.
fn from_structured(raw: &RawValue, key: &str) -> Option<Education> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    items.iter().find_map(|item| match item {
        Value::Object(fields) => {
            let category = fields.get("credentialCategory")?.as_str()?;
            let (level, _) = lowest_level(category).or_else(|| category_level(category))?;
            Some(Education {
                level,
                preferred_only: false,
                equivalent_experience_accepted: false,
                field: fields
                    .get("about")
                    .and_then(Value::as_str)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                evidence: format!("{key}.credentialCategory={category}"),
            })
        }
        // Free text in `qualifications` is usually skills, not a degree.
        Value::String(text) if key == "educationRequirements" => {
            let (level, cue_at) = lowest_level(text)?;
            Some(Education {
                level,
                preferred_only: requirement_lines::is_preference(text),
                equivalent_experience_accepted: accepts_equivalent_experience(text),
                field: field(&text[cue_at..]),
                evidence: format!("{key}={}", text.trim()),
            })
        }
        _ => None,
    })
}

/// schema.org's credential categories as feeds write them: "bachelor
/// degree", "Secondary School/High School", "associate degree".
fn category_level(category: &str) -> Option<(EducationLevel, usize)> {
    let lower = category.to_lowercase();
    let level = if lower.contains("doctor") {
        EducationLevel::Doctorate
    } else if lower.contains("master") || lower.contains("postgraduate") {
        EducationLevel::Master
    } else if lower.contains("bachelor") {
        EducationLevel::Bachelor
    } else if lower.contains("associate") {
        EducationLevel::Associate
    } else if lower.contains("high school") || lower.contains("secondary") {
        EducationLevel::HighSchool
    } else {
        return None;
    };
    Some((level, 0))
}

/// Compiles the stage's pattern now rather than on the first posting.
pub(crate) fn prepare() {
    LazyLock::force(&DEGREE);
    LazyLock::force(&DEGREE_WORDS);
    LazyLock::force(&REQUIREMENT_WORDS);
    LazyLock::force(&NOT_REQUIRED_WORDS);
    LazyLock::force(&EQUIVALENT_EXPERIENCE);
    LazyLock::force(&FIELD_ENDS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::requirement_lines::section;
    use crate::enrich::sections::SectionKind;
    use EducationLevel::{Associate, Bachelor, Doctorate, HighSchool, Master};

    fn education(text: &str) -> Option<Education> {
        run(
            &[section(SectionKind::Requirements, text)],
            Stated::default(),
        )
        .value
    }

    #[test]
    fn the_lowest_accepted_degree_is_the_level() {
        for (line, want) in [
            ("• BS/MS in Computer Science or Equivalent", Bachelor),
            (
                "• Bachelors, Masters, or PhD Degree in Machine Learning",
                Bachelor,
            ),
            ("• Masters' or PhD in Computer Science", Master),
            ("• M.S. or higher in a quantitative field", Master),
            ("• Ph.D. or Masters in a quantitative field", Master),
            (
                "• Must have at least a High School diploma or GED",
                HighSchool,
            ),
            (
                "• BS+ with concentration in quantitative discipline",
                Bachelor,
            ),
            (
                "• Degree in Computer Engineering or a related field",
                Bachelor,
            ),
            ("• minimum of a B.S. Degree", Bachelor),
            ("• PhD in Physics", Doctorate),
            ("• Associate's degree with 6 years of experience", Associate),
            ("• Masters or PHD Degree in Statistics", Master),
            (
                "• Master’s degree in computer science, related degree",
                Master,
            ),
            ("• Scrum Master certification; degree in Physics", Bachelor),
        ] {
            let got = education(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(got.level, want, "{line}");
        }
    }

    #[test]
    fn a_required_degree_anywhere_outranks_a_preferred_one() {
        let sections = [
            section(SectionKind::Preferred, "• Master's degree"),
            section(SectionKind::Role, "A bachelor's degree is required."),
        ];
        let got = run(&sections, Stated::default()).value.expect("a degree");
        assert_eq!((got.level, got.preferred_only), (Bachelor, false));
    }

    #[test]
    fn abbreviations_that_are_not_degrees_are_not_read() {
        assert_eq!(education("• Proficiency with MS Office and Excel"), None);
        assert_eq!(education("• 3 years as a BA on agile teams"), None);
    }

    #[test]
    fn preference_equivalence_and_field_are_read() {
        let got = education("• BS in Computer Science or equivalent technical experience")
            .expect("a degree");
        assert!(got.equivalent_experience_accepted);
        assert!(!got.preferred_only);
        assert_eq!(got.field.as_deref(), Some("Computer Science"));
        let got = education("• BS or MS degree in Computer Science preferred").expect("a degree");
        assert!(got.preferred_only);
        assert_eq!(got.field.as_deref(), Some("Computer Science"));
        let got = education("• Bachelor's Degree in Computer Science (or equivalent education)")
            .expect("a degree");
        assert!(
            !got.equivalent_experience_accepted,
            "education, not experience"
        );
    }

    #[test]
    fn structured_requirements_count_unless_the_text_requires_a_degree() {
        let raw: Box<RawValue> = serde_json::from_str(
            r#"{"@type": "EducationalOccupationalCredential", "credentialCategory": "bachelor degree"}"#,
        )
        .unwrap();
        let stated = Stated {
            education_requirements: Some(&raw),
            ..Stated::default()
        };
        let preferred_master = [section(SectionKind::Preferred, "• Master's degree")];
        let got = run(&preferred_master, stated).value.expect("structured");
        assert_eq!((got.level, got.preferred_only), (Bachelor, false));
        assert_eq!(
            got.evidence,
            "educationRequirements.credentialCategory=bachelor degree"
        );
        let required_phd = [section(SectionKind::Requirements, "• PhD in Chemistry")];
        assert_eq!(run(&required_phd, stated).value.unwrap().level, Doctorate);
        let text: Box<RawValue> =
            serde_json::from_str(r#""Secondary School/High School""#).unwrap();
        let stated = Stated {
            education_requirements: Some(&text),
            ..Stated::default()
        };
        assert_eq!(run(&[], stated).value.unwrap().level, HighSchool);
    }

    #[test]
    fn degrees_the_employer_offers_or_mentions_in_passing_are_not_required() {
        let sections = [
            section(SectionKind::Benefits, "• Tuition for your Master's degree"),
            section(SectionKind::Role, "Our team has PhD scientists."),
        ];
        assert_eq!(run(&sections, Stated::default()).value, None);
    }
}
