//! The occupation stage: every posting coded to an ISCO-08 unit group and,
//! where one fits, an ESCO occupation, from what the posting says it is.
//!
//! In order: an ISCO-08 code the feed sends in `occupationalCategory`; else
//! the title, cut into parts and normalized ([`title`]), each part looked up
//! whole in the project's title table and ESCO's labels ([`index`]), then
//! without its leading words ("observability platform engineer" →
//! "platform engineer"). A label ESCO files in several unit groups is
//! decided by the description (the group whose occupations' labels it
//! names most), else left uncoded.
//!
//! Precision first: a title that names no occupation gives null, not a
//! guess. `confidence` is the share of such codes that were right in the
//! tuning half of the hand-coded postings (docs/occupation.md).

mod index;
mod title;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::stage::{StageOutcome, Staged};
pub use index::OccupationIndex;
use index::{Entry, Found};

/// An ISCO-08 group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IscoGroup {
    pub code: String,
    pub label: String,
}

/// An ESCO occupation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscoOccupation {
    pub uri: String,
    pub label: String,
}

/// The title as the occupation it names, and what qualified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NormalizedTitle {
    pub normalized: String,
    pub qualifiers: Vec<String>,
}

/// What decided the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OccupationSource {
    #[serde(rename = "occupationalCategory")]
    OccupationalCategory,
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "title+description")]
    TitleAndDescription,
}

/// `enrichment.occupation`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occupation {
    pub isco08: IscoGroup,
    pub esco: Option<EscoOccupation>,
    pub title: Option<NormalizedTitle>,
    pub confidence: f64,
    pub source: OccupationSource,
    pub evidence: String,
}

/// How a title part was matched, best first; each has its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    /// The whole part, in the title table or one ESCO unit group; in the
    /// title's first part.
    WholeFirst,
    /// The same in a later part.
    WholeLater,
    /// The part without its leading (or else trailing) words.
    Tail,
    /// A label in several unit groups, decided by the description.
    ByDescription,
}

impl Match {
    /// About the share right in the tuning half (docs/occupation.md); a
    /// title table row found whole in the first part has its own.
    fn confidence(self) -> f64 {
        match self {
            Match::WholeFirst => 0.8,
            Match::WholeLater => 0.7,
            Match::Tail => 0.6,
            Match::ByDescription => 0.5,
        }
    }
}

/// ESCO's "software tester" (2519): a developer title with a part that
/// names testing ("Software Engineer, Test") is a tester's job.
const SOFTWARE_TESTER: (&str, &str) = ("2519", "106f79e4-6264-45f1-9e7a-297435cd684b");
/// Parts that name testing.
const TESTING: [&str; 3] = ["test", "testing", "quality assurance"];

/// Builds the index (called once at start).
pub fn prepare() {
    title::prepare();
    let _ = OccupationIndex::shared();
}

/// The occupation stage. Ok with a code; absent otherwise (a posting
/// without a title or whose title names no occupation).
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(
    title: Option<&str>,
    category: Option<&RawValue>,
    text: &str,
) -> Staged<Option<Occupation>> {
    let index = OccupationIndex::shared();
    let parts = title.map(title::parts).unwrap_or_default();
    let normalized = normalized_title(&parts, 0);
    if let Some(code) = category.and_then(isco_code_in)
        && let Some(label) = index.group_label(&code)
    {
        let occupation = Occupation {
            isco08: IscoGroup {
                code: code.clone(),
                label: label.to_string(),
            },
            esco: None,
            title: normalized,
            confidence: 0.95,
            source: OccupationSource::OccupationalCategory,
            evidence: format!("occupationalCategory={code}"),
        };
        return Staged::new(Some(occupation), StageOutcome::Ok);
    }
    let Some((mut found, how, part)) = best_match(index, &parts, text) else {
        return Staged::new(None, StageOutcome::Absent);
    };
    if found.isco08 == "2512"
        && parts
            .iter()
            .enumerate()
            .any(|(i, p)| i != part && TESTING.contains(&p.text().as_str()))
    {
        found = Decided {
            isco08: SOFTWARE_TESTER.0,
            esco: index.occupation_id(SOFTWARE_TESTER.1),
            confidence: None,
        };
    }
    let source = if how == Match::ByDescription {
        OccupationSource::TitleAndDescription
    } else {
        OccupationSource::Title
    };
    let esco = found
        .esco
        .and_then(|n| index.occupation(n))
        .map(|o| EscoOccupation {
            uri: format!("http://data.europa.eu/esco/occupation/{}", o.id),
            label: o.label.to_string(),
        });
    let occupation = Occupation {
        isco08: IscoGroup {
            code: found.isco08.to_string(),
            label: index.group_label(found.isco08).unwrap_or("").to_string(),
        },
        esco,
        title: normalized_title(&parts, part),
        confidence: found.confidence.unwrap_or_else(|| how.confidence()),
        source,
        evidence: format!("title: '{}'", title.unwrap_or("").trim()),
    };
    Staged::new(Some(occupation), StageOutcome::Ok)
}

/// The title as the occupation its part `n` names, with the qualifiers
/// of every part before it and its own ("AI/ML - Sr Data Scientist": "data
/// scientist", qualifiers "senior").
fn normalized_title(parts: &[title::TitlePart], n: usize) -> Option<NormalizedTitle> {
    let part = parts.get(n).or_else(|| parts.first())?;
    let mut qualifiers: Vec<String> = Vec::new();
    for q in parts
        .iter()
        .take(n)
        .chain([part])
        .flat_map(|p| &p.qualifiers)
    {
        if !qualifiers.contains(q) {
            qualifiers.push(q.clone());
        }
    }
    Some(NormalizedTitle {
        normalized: part.text(),
        qualifiers,
    })
}

/// What an entry is once an ambiguous one is decided: the unit group
/// whose occupations' labels the description names most.
struct Decided {
    isco08: &'static str,
    esco: Option<u32>,
    /// The title table row's, for a whole first part.
    confidence: Option<f64>,
}

/// The best match over the title's parts: the best kind, then the earliest
/// part.
fn best_match(
    index: &OccupationIndex,
    parts: &[title::TitlePart],
    text: &str,
) -> Option<(Decided, Match, usize)> {
    let mut best: Option<(Decided, Match, usize)> = None;
    for (i, part) in parts.iter().enumerate() {
        let whole = if i == 0 {
            Match::WholeFirst
        } else {
            Match::WholeLater
        };
        let n = part.words.len();
        let found = (part.all_words != part.words)
            .then(|| lookup(index, &part.all_words, text, whole))
            .flatten()
            .or_else(|| lookup(index, &part.words, text, whole))
            .or_else(|| {
                // Without leading words, keeping two at least ("platform
                // engineer"), or one the title table names ("nurse"); then
                // without trailing words ("site reliability engineer ctj").
                let tails = (1..n).map(|k| &part.words[k..]);
                let heads = (1..n).rev().map(|k| &part.words[..k]);
                tails.chain(heads).find_map(|words| {
                    let entry = index.get(&words.join(" "))?;
                    if words.len() < 2 && entry.found != Found::Table {
                        return None;
                    }
                    decide(index, entry, text, Match::Tail)
                })
            });
        if let Some((decided, how)) = found
            && best.as_ref().is_none_or(|(_, b, _)| how < *b)
        {
            best = Some((decided, how, i));
        }
    }
    best
}

fn lookup(
    index: &OccupationIndex,
    words: &[String],
    text: &str,
    how: Match,
) -> Option<(Decided, Match)> {
    let entry = index.get(&words.join(" "))?;
    // One word names an occupation only as a preferred label or a title
    // table row ("electrician", "nurse"; not "general" or "supervisor").
    if words.len() < 2 && !entry.preferred {
        return None;
    }
    decide(index, entry, text, how)
}

/// An entry as a code: ambiguous ones by the description, or none.
fn decide(
    index: &OccupationIndex,
    entry: &Entry,
    text: &str,
    how: Match,
) -> Option<(Decided, Match)> {
    if entry.found != Found::Ambiguous {
        return Some((
            Decided {
                isco08: entry.isco08,
                esco: entry.esco,
                confidence: entry.confidence.filter(|_| how == Match::WholeFirst),
            },
            how,
        ));
    }
    let lower = text.to_lowercase();
    let named = |n: u32| {
        index
            .occupation(n)
            .map_or(0, |o| lower.matches(&o.label.to_lowercase()).count())
    };
    let mut scored: Vec<(usize, &'static str, u32)> = entry
        .candidates
        .iter()
        .map(|&(code, n)| (named(n), code, n))
        .collect();
    scored.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
    match scored.as_slice() {
        [(top, code, n), rest @ ..] if *top > 0 && rest.first().is_none_or(|r| r.0 < *top) => {
            Some((
                Decided {
                    isco08: code,
                    esco: Some(*n),
                    confidence: None,
                },
                Match::ByDescription,
            ))
        }
        _ => None,
    }
}

/// An ISCO-08 unit group code the feed sends: "2512", "2512 - Software
/// developers", "ISCO-08 2512", 2512, or a `CategoryCode` whose `codeValue`
/// is one and whose `inCodeSet` names ISCO (or nothing). SOC and O*NET-SOC
/// codes ("15-1132.00") and codes of other sets are not ISCO: no crosswalk
/// ships, so they code nothing.
fn isco_code_in(category: &RawValue) -> Option<String> {
    let value: Value = serde_json::from_str(category.get()).ok()?;
    let (code, set) = match &value {
        Value::String(s) => (s.clone(), String::new()),
        Value::Number(n) => (n.to_string(), String::new()),
        Value::Object(o) => (
            match o.get("codeValue") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return None,
            },
            o.get("inCodeSet")
                .and_then(|s| s.as_str().or_else(|| s.get("name").and_then(Value::as_str)))
                .unwrap_or("")
                .to_ascii_lowercase(),
        ),
        _ => return None,
    };
    if !set.is_empty() && !set.contains("isco") {
        return None;
    }
    let code = code.trim();
    let lower = code.to_ascii_lowercase();
    // "ISCO-08 2512", "isco 2512": the code is the last run of digits.
    let rest = if let Some(after) = lower.strip_prefix("isco") {
        let after = after.trim_start_matches(['-', ' ']);
        let after = after.strip_prefix("08").unwrap_or(after);
        &code[code.len() - after.len()..]
    } else {
        code
    };
    let rest = rest.trim_start_matches([' ', ':', '-']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    // Four digits, then nothing, or a name after a space or " - "; not
    // "15-1132" (SOC) or "2512.00".
    let after = &rest[digits.len()..];
    let clean_end = after.is_empty() || after.starts_with(' ');
    (digits.len() == 4 && clean_end).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(title: &str) -> Option<String> {
        run(Some(title), None, "").value.map(|o| o.isco08.code)
    }

    #[test]
    fn titles_as_written_are_coded() {
        assert_eq!(
            code("Sr. SWE II - Remote (US) #12345").as_deref(),
            Some("2512")
        );
        assert_eq!(
            code("Senior Site Reliability Engineer (SRE)").as_deref(),
            Some("2522")
        );
        assert_eq!(code("Per Diem ICU Nurse (RN)").as_deref(), Some("2221"));
        assert_eq!(
            code("Data Scientist - Instagram Stories").as_deref(),
            Some("2120")
        );
    }

    #[test]
    fn the_normalized_title_is_the_part_that_names_the_occupation() {
        let o = run(Some("AI/ML - Sr Data Scientist, Siri Data"), None, "")
            .value
            .unwrap();
        let title = o.title.unwrap();
        assert_eq!(title.normalized, "data scientist");
        assert_eq!(title.qualifiers, ["senior"]);
    }

    #[test]
    fn a_developer_title_with_a_testing_part_is_a_tester() {
        assert_eq!(code("Sr. Software Engineer, Test").as_deref(), Some("2519"));
    }

    #[test]
    fn one_word_names_an_occupation_only_as_a_preferred_label_or_a_table_row() {
        // ESCO lists "general" as an alternative label of a military rank,
        // "products" of a packer; "assistant principal" is a label whole.
        assert_eq!(code("General Contractor"), None);
        assert_eq!(code("Senior Manager, Products"), None);
        assert_eq!(code("Assistant Principal").as_deref(), Some("1345"));
        assert_eq!(code("Electrician").as_deref(), Some("7411"));
        assert_eq!(code("Staff Nurse").as_deref(), Some("2221"));
    }

    #[test]
    fn isco_codes_are_read_in_the_shapes_feeds_send() {
        let code_of = |json: &str| isco_code_in(&RawValue::from_string(json.into()).unwrap());
        assert_eq!(code_of("\"ISCO-08 2512\"").as_deref(), Some("2512"));
        assert_eq!(
            code_of("\"2512 - Software developers\"").as_deref(),
            Some("2512")
        );
        assert_eq!(code_of("2512").as_deref(), Some("2512"));
        assert_eq!(
            code_of(r#"{"@type":"CategoryCode","codeValue":"2512","inCodeSet":"ISCO-08"}"#)
                .as_deref(),
            Some("2512")
        );
        assert_eq!(code_of(r#"{"codeValue":"5415","inCodeSet":"NAICS"}"#), None);
        assert_eq!(code_of("\"15-1132.00\""), None);
        assert_eq!(code_of("\"2512.00\""), None);
    }

    #[test]
    fn a_title_that_names_no_occupation_is_null() {
        assert_eq!(code("Telecommute from anywhere in USA!"), None);
        assert_eq!(code(""), None);
    }

    #[test]
    fn an_isco_code_the_feed_sends_is_used_and_soc_is_not() {
        let isco = RawValue::from_string("\"2512\"".into()).unwrap();
        let o = run(Some("Ninja"), Some(&isco), "").value.unwrap();
        assert_eq!(o.isco08.code, "2512");
        assert_eq!(o.source, OccupationSource::OccupationalCategory);
        let soc = RawValue::from_string("\"15-1132.00 Software Developers\"".into()).unwrap();
        assert_eq!(run(Some("Ninja"), Some(&soc), "").value, None);
    }
}
