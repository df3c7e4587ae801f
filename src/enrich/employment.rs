//! The employment stage: the kinds of employment a posting offers, from
//! schema.org's `employmentType` (`FULL_TIME`, `CONTRACTOR`, and the
//! spellings feeds use: "Full-time", "Per Diem", "Contract", "正社員"), else
//! from the title ("Volunteer ...", "... Intern").
//!
//! Precision first: a value that names no kind ("icleddy") gives nothing,
//! and the description's wording is not read (in the labelled set, the
//! text contradicted the structured type as often as it added to it).

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::stage::{StageOutcome, Staged};
use super::title_words;

/// One kind of employment (`enrichment.employment.types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    FullTime,
    PartTime,
    Contract,
    Temporary,
    Internship,
    Volunteer,
    PerDiem,
    Other,
}

/// Where the types were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentSource {
    Structured,
    /// The title ("Volunteer Classroom Speaker").
    Text,
}

/// `enrichment.employment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Employment {
    pub types: Vec<EmploymentType>,
    pub source: EmploymentSource,
    /// The field as stated (`employmentType=FULL_TIME`) or the title.
    pub evidence: String,
}

/// The employment stage. Ok with at least one type; failed when
/// `employmentType` was given but names no kind; absent otherwise.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(employment_type: Option<&RawValue>, title: Option<&str>) -> Staged<Option<Employment>> {
    let stated = employment_type.map(stated_values).unwrap_or_default();
    let mut types: Vec<EmploymentType> = stated.iter().flat_map(|v| types_in(v)).collect();
    // "Permanent / Full Time": the hours say more than "other".
    if types.iter().any(|t| *t != EmploymentType::Other) {
        types.retain(|t| *t != EmploymentType::Other);
    }
    types.sort_unstable();
    types.dedup();
    // Read only when the field names no kind, or only `OTHER` (which a
    // title such as "Volunteer Speaker" says more about).
    let title_kind = if types.is_empty() || types == [EmploymentType::Other] {
        title.and_then(title_type)
    } else {
        None
    };
    if title_kind.is_some() {
        types.clear();
    }
    if !types.is_empty() {
        let employment = Employment {
            types,
            source: EmploymentSource::Structured,
            evidence: format!("employmentType={}", stated.join(", ")),
        };
        return Staged::new(Some(employment), StageOutcome::Ok);
    }
    if let (Some(title), Some(kind)) = (title, title_kind) {
        let employment = Employment {
            types: vec![kind],
            source: EmploymentSource::Text,
            evidence: title.to_string(),
        };
        return Staged::new(Some(employment), StageOutcome::Ok);
    }
    let outcome = if stated.is_empty() {
        StageOutcome::Absent
    } else {
        StageOutcome::Failed
    };
    Staged::new(None, outcome)
}

/// The strings of `employmentType`: one, or a list.
fn stated_values(raw: &RawValue) -> Vec<String> {
    let text = |v: &Value| {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Ok(value) => text(&value).into_iter().collect(),
        Err(_) => Vec::new(),
    }
}

/// The kinds one stated value names: "FULL_TIME", "Full-time",
/// "Permanent / Full Time" (each part on its own), and, when a part as a
/// whole names none, its words: "Full Time Permanent".
fn types_in(value: &str) -> Vec<EmploymentType> {
    let key = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    value
        .split(['/', ',', ';', '|'])
        .flat_map(|part| match spelled_type(&key(part)) {
            Some(kind) => vec![kind],
            None => part
                .split_whitespace()
                .filter_map(|word| spelled_type(&key(word)))
                .collect(),
        })
        .collect()
}

/// A stated value, lower case with only its letters and digits.
fn spelled_type(key: &str) -> Option<EmploymentType> {
    use EmploymentType::*;
    Some(match key {
        "fulltime" | "full" | "fte" | "正社員" => FullTime,
        "parttime" | "part" => PartTime,
        "contractor" | "contract" | "contracttohire" | "freelance" | "freelancer" => Contract,
        "temporary" | "temp" | "seasonal" | "casual" => Temporary,
        "intern" | "internship" | "trainee" | "apprenticeship" => Internship,
        "volunteer" => Volunteer,
        "perdiem" => PerDiem,
        "other" | "permanent" => Other,
        _ => return None,
    })
}

/// A kind the title names: "Volunteer Classroom Speaker" (first word),
/// "Software Engineering Intern" (last word), "Summer Internship",
/// "Part-Time Cashier".
fn title_type(title: &str) -> Option<EmploymentType> {
    title_words::with_lowercase_words(title, type_of_words)
}

/// The kind a title's lower-case words name.
fn type_of_words(words: &[&str]) -> Option<EmploymentType> {
    let has = |w: &str| words.contains(&w);
    // "Volunteer Speaker" is a volunteer; a "Volunteer Coordinator" is
    // staff, and an "Intern Recruiter" recruits interns.
    if words.first() == Some(&"volunteer")
        && words.len() > 1
        && words.get(1) != Some(&"coordinator")
    {
        Some(EmploymentType::Volunteer)
    } else if has("internship") || words.last() == Some(&"intern") {
        Some(EmploymentType::Internship)
    } else if words.windows(2).any(|p| p == ["part", "time"]) || has("parttime") {
        Some(EmploymentType::PartTime)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EmploymentType::*;

    fn run_json(stated: &str, title: Option<&str>) -> Staged<Option<Employment>> {
        let raw: Box<RawValue> = serde_json::from_str(stated).expect("JSON");
        run(Some(&raw), title)
    }

    fn types(s: &Staged<Option<Employment>>) -> Vec<EmploymentType> {
        s.value
            .as_ref()
            .map(|e| e.types.clone())
            .unwrap_or_default()
    }

    #[test]
    fn schema_org_values_and_feed_spellings_are_read() {
        for (stated, want) in [
            ("\"FULL_TIME\"", vec![FullTime]),
            ("\"CONTRACTOR\"", vec![Contract]),
            ("\"Per Diem\"", vec![PerDiem]),
            ("\"Full-time\"", vec![FullTime]),
            ("\"正社員\"", vec![FullTime]),
            ("\"Permanent\"", vec![Other]),
            ("\"Permanent / Full Time\"", vec![FullTime]),
            ("[\"FULL_TIME\", \"TEMPORARY\"]", vec![FullTime, Temporary]),
            ("\"INTERN\"", vec![Internship]),
            ("\"Full Time Permanent\"", vec![FullTime]),
        ] {
            let s = run_json(stated, None);
            assert_eq!(types(&s), want, "{stated}");
            assert_eq!(s.outcome, StageOutcome::Ok);
            assert_eq!(s.value.unwrap().source, EmploymentSource::Structured);
        }
    }

    #[test]
    fn a_value_that_names_no_kind_gives_nothing() {
        let s = run_json("\"icleddy\"", Some("Truck Driver"));
        assert_eq!(s.value, None);
        assert_eq!(s.outcome, StageOutcome::Failed);
        let s = run(None, Some("Truck Driver"));
        assert_eq!(s.outcome, StageOutcome::Absent);
    }

    #[test]
    fn the_title_is_read_when_the_field_says_nothing() {
        let s = run_json("\"OTHER\"", Some("Volunteer Virtual Classroom Speaker"));
        assert_eq!(types(&s), [Volunteer], "the title says more than OTHER");
        let s = run_json("\"FULL_TIME\"", Some("Volunteer Coordinator"));
        assert_eq!(types(&s), [FullTime], "a kind in the field decides");
        let s = run(None, Some("Volunteer Virtual Classroom Speaker"));
        assert_eq!(types(&s), [Volunteer]);
        assert_eq!(s.value.unwrap().source, EmploymentSource::Text);
        let s = run(None, Some("Data Science Intern"));
        assert_eq!(types(&s), [Internship]);
        let s = run(None, Some("Summer Internship - Data"));
        assert_eq!(types(&s), [Internship]);
        assert_eq!(run(None, Some("Intern Recruiter")).value, None);
        assert_eq!(run(None, Some("Volunteer Coordinator")).value, None);
        let s = run(None, Some("Internal Auditor"));
        assert_eq!(s.value, None, "a word, not a prefix");
    }
}
