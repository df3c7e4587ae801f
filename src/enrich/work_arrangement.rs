//! The work-arrangement stage: remote, hybrid or on-site, and where a
//! remote worker may live. It tells a consumer whether the geocoded point
//! is a workplace or only an office address.
//!
//! In order: the text saying hybrid; `jobLocationType: TELECOMMUTE`
//! (remote, with the regions of `applicantLocationRequirements`); the
//! text saying remote or on-site in words that speak of this job; and, when
//! the posting names a concrete workplace (an address with a locality) and
//! its text says nothing of remote work at all, on-site by default.
//! Precision first: text that mentions remote work without saying this job
//! is remote ("many of our roles can be remote") gives nothing.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::phrases::Phrases;
use super::stage::{StageOutcome, Staged};
use crate::reference::Countries;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrangement {
    Remote,
    Hybrid,
    OnSite,
}

/// Where the arrangement was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrangementSource {
    Structured,
    Text,
    /// A concrete workplace and no word of remote work.
    Default,
}

/// `enrichment.work_arrangement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkArrangement {
    pub value: Arrangement,
    pub source: ArrangementSource,
    /// The field, the line of text, or the workplace that decided.
    pub evidence: String,
    /// ISO 3166-1 codes a remote worker may live in
    /// (`applicantLocationRequirements`).
    pub regions: Vec<String>,
}

/// What the stage reads.
pub struct Input<'a> {
    pub job_location_type: Option<&'a RawValue>,
    pub applicant_location_requirements: Option<&'a RawValue>,
    pub title: Option<&'a str>,
    /// The description as plain text.
    pub text: &'a str,
    /// The first stated workplace locality, if any.
    pub locality: Option<&'a str>,
    pub countries: &'a Countries,
}

/// The work-arrangement stage. Ok with a value; absent otherwise (a
/// posting that says nothing usable is not an error).
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(input: &Input<'_>) -> Staged<Option<WorkArrangement>> {
    let found = arrangement(input);
    let outcome = if found.is_some() {
        StageOutcome::Ok
    } else {
        StageOutcome::Absent
    };
    Staged::new(found, outcome)
}

fn arrangement(input: &Input<'_>) -> Option<WorkArrangement> {
    let title_hit = input.title.and_then(strongest_cue);
    let text_hit = strongest_cue(input.text);
    let text = |value, evidence: &str| WorkArrangement {
        value,
        source: ArrangementSource::Text,
        evidence: evidence.to_string(),
        regions: Vec::new(),
    };
    let said = |kind: Cue| {
        [title_hit, text_hit]
            .into_iter()
            .flatten()
            .find(|hit| hit.cue == kind)
    };
    if let Some(hit) = said(Cue::Hybrid) {
        return Some(text(Arrangement::Hybrid, hit.line));
    }
    if let Some(hit) = said(Cue::NotRemote) {
        return Some(text(Arrangement::OnSite, hit.line));
    }
    if let Some(stated) = input.job_location_type.and_then(telecommute) {
        return Some(WorkArrangement {
            value: Arrangement::Remote,
            source: ArrangementSource::Structured,
            evidence: format!("jobLocationType={stated}"),
            regions: input
                .applicant_location_requirements
                .map(|raw| regions(raw, input.countries))
                .unwrap_or_default(),
        });
    }
    if let Some(hit) = said(Cue::Remote) {
        return Some(text(Arrangement::Remote, hit.line));
    }
    if let Some(hit) = said(Cue::OnSite) {
        return Some(text(Arrangement::OnSite, hit.line));
    }
    // Any word of remote work that did not decide leaves it open.
    if said(Cue::Mention).is_some() {
        return None;
    }
    let locality = input.locality.map(str::trim).filter(|l| !l.is_empty())?;
    Some(WorkArrangement {
        value: Arrangement::OnSite,
        source: ArrangementSource::Default,
        evidence: format!("jobLocation addressLocality={locality}"),
        regions: Vec::new(),
    })
}

/// What a cue phrase says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Hybrid,
    NotRemote,
    Remote,
    OnSite,
    /// Remote work mentioned, not said of this job.
    Mention,
}

/// Cue phrases (lower case; matched in any ASCII case as whole words).
/// The strongest cue in a text decides (the order of `Cue`).
const CUES: &[(Cue, &str)] = &[
    (Cue::Hybrid, "hybrid role"),
    (Cue::Hybrid, "hybrid position"),
    (Cue::Hybrid, "hybrid work"),
    (Cue::Hybrid, "hybrid schedule"),
    (Cue::Hybrid, "hybrid model"),
    (Cue::Hybrid, "hybrid working"),
    (Cue::Hybrid, "hybrid remote"),
    (Cue::Hybrid, "remote/hybrid"),
    (Cue::NotRemote, "not a remote"),
    (Cue::NotRemote, "not a hybrid or remote"),
    (Cue::NotRemote, "not remote"),
    (Cue::NotRemote, "no remote"),
    (Cue::NotRemote, "remote work is not"),
    (Cue::NotRemote, "not eligible for remote"),
    (Cue::Remote, "100% remote"),
    (Cue::Remote, "fully remote"),
    (Cue::Remote, "(remote)"),
    (Cue::Remote, "- remote"),
    (Cue::Remote, "remote position"),
    (Cue::Remote, "remote role"),
    (Cue::Remote, "remote opportunity"),
    (Cue::Remote, "remote job"),
    (Cue::Remote, "this role is remote"),
    (Cue::Remote, "this position is remote"),
    (Cue::Remote, "position is remote"),
    (Cue::Remote, "role is remote"),
    (Cue::Remote, "remote in the u.s"),
    (Cue::Remote, "remote in the us"),
    (Cue::Remote, "remote within"),
    (Cue::Remote, "work from anywhere"),
    (Cue::Remote, "from anywhere in"),
    (Cue::OnSite, "on-site role"),
    (Cue::OnSite, "onsite role"),
    (Cue::OnSite, "on-site position"),
    (Cue::OnSite, "onsite position"),
    (Cue::OnSite, "office based"),
    (Cue::OnSite, "office-based"),
    (Cue::OnSite, "in-office"),
    (Cue::OnSite, "must be able to work at our"),
    (Cue::OnSite, "must be willing to work onsite"),
    (Cue::OnSite, "must be willing to work on-site"),
    (Cue::OnSite, "work onsite"),
    (Cue::OnSite, "work on-site"),
    (Cue::Mention, "remote"),
    (Cue::Mention, "remotely"),
    (Cue::Mention, "work from home"),
    (Cue::Mention, "working from home"),
    (Cue::Mention, "telecommute"),
    (Cue::Mention, "telework"),
];

/// Every cue holds one of these words: the lines without one are skipped
/// (tested against the cue table).
const KEYWORDS: [&str; 10] = [
    "remote",
    "hybrid",
    "anywhere",
    "on-site",
    "onsite",
    "office",
    "work at our",
    "from home",
    "telecommut",
    "telework",
];

/// The cue table and its keywords, over ASCII-lowered text.
struct CueSearch {
    cues: Phrases,
    keywords: Phrases,
}

fn cue_search() -> Option<&'static CueSearch> {
    static SEARCH: OnceLock<Option<CueSearch>> = OnceLock::new();
    SEARCH
        .get_or_init(|| {
            let phrases: Vec<&str> = CUES.iter().map(|(_, p)| *p).collect();
            Some(CueSearch {
                cues: Phrases::new(&phrases).ok()?,
                keywords: Phrases::new(&KEYWORDS).ok()?,
            })
        })
        .as_ref()
}

/// The strongest cue in `text` (whole words, any ASCII case), with its line.
#[derive(Clone, Copy)]
struct Hit<'t> {
    cue: Cue,
    line: &'t str,
}

fn strongest_cue(text: &str) -> Option<Hit<'_>> {
    let search = cue_search()?;
    // Lowering ASCII keeps every byte offset, so a line of `lower` is the
    // same range of `text`.
    let lower = text.to_ascii_lowercase();
    search
        .keywords
        .lines_containing(&lower)
        .flat_map(|range| {
            let line = lower.get(range.clone()).unwrap_or_default().as_bytes();
            search
                .cues
                .whole_word_occurrences(line)
                .filter_map(move |m| CUES.get(m.phrase).map(|(cue, _)| (*cue, range.clone())))
                .collect::<Vec<_>>()
        })
        .min_by_key(|(cue, _)| *cue as u8)
        .and_then(|(cue, range)| {
            Some(Hit {
                cue,
                line: text.get(range)?.trim(),
            })
        })
}

/// `jobLocationType` when it says TELECOMMUTE (one value or a list).
fn telecommute(raw: &RawValue) -> Option<String> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let says = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("telecommute"))
    };
    let found = match &value {
        Value::Array(items) => items.iter().any(says),
        other => says(other),
    };
    found.then(|| "TELECOMMUTE".to_string())
}

/// The countries of `applicantLocationRequirements` (a `Country` or
/// `AdministrativeArea` with a name or code, a bare string, or a list),
/// as ISO 3166-1 codes; names that resolve to none are left out.
fn regions(raw: &RawValue, countries: &Countries) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(raw.get()) else {
        return Vec::new();
    };
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut out: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(s.as_str()),
            Value::Object(map) => map
                .get("name")
                .or_else(|| map.get("identifier"))
                .and_then(Value::as_str),
            _ => None,
        })
        .filter_map(|name| countries.resolve(name.trim()).map(String::from))
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::GeoData;

    fn raw(json: &str) -> Box<RawValue> {
        serde_json::from_str(json).expect("JSON")
    }

    fn arrangement_of(
        job_location_type: Option<&str>,
        title: &str,
        text: &str,
        locality: Option<&str>,
    ) -> Option<WorkArrangement> {
        let geo = GeoData::shared().expect("reference data");
        let jlt = job_location_type.map(raw);
        let alr = raw(r#"{"@type": "Country", "name": "United States"}"#);
        run(&Input {
            job_location_type: jlt.as_deref(),
            applicant_location_requirements: Some(&alr),
            title: Some(title),
            text,
            locality,
            countries: &geo.countries,
        })
        .value
    }

    #[test]
    fn every_cue_holds_a_keyword() {
        for (_, cue) in CUES {
            assert!(KEYWORDS.iter().any(|k| cue.contains(k)), "{cue:?}");
        }
    }

    #[test]
    fn telecommute_is_remote_with_its_regions_unless_the_text_says_hybrid() {
        let w = arrangement_of(
            Some("\"TELECOMMUTE\""),
            "Engineer",
            "Build things.",
            Some("Austin"),
        )
        .unwrap();
        assert_eq!(
            (w.value, w.source),
            (Arrangement::Remote, ArrangementSource::Structured)
        );
        assert_eq!(w.regions, ["US"]);
        let w = arrangement_of(
            Some("[\"TELECOMMUTE\"]"),
            "Engineer",
            "Intro.\nThis is a Hybrid Role: three days in the office.",
            None,
        )
        .unwrap();
        assert_eq!(
            (w.value, w.source),
            (Arrangement::Hybrid, ArrangementSource::Text)
        );
        assert_eq!(
            w.evidence,
            "This is a Hybrid Role: three days in the office."
        );
    }

    #[test]
    fn the_text_and_title_say_remote_or_on_site_of_this_job() {
        let w = arrangement_of(None, "Data Engineer (Remote)", "SQL.", Some("Boston")).unwrap();
        assert_eq!(
            (w.value, w.source),
            (Arrangement::Remote, ArrangementSource::Text)
        );
        let w = arrangement_of(
            None,
            "Analyst",
            "This is not a hybrid or remote role.",
            Some("Boston"),
        )
        .unwrap();
        assert_eq!(w.value, Arrangement::OnSite);
        let w = arrangement_of(
            None,
            "Analyst",
            "Must be able to work at our HQ in Pasadena.",
            None,
        )
        .unwrap();
        assert_eq!(
            (w.value, w.source),
            (Arrangement::OnSite, ArrangementSource::Text)
        );
        assert_eq!(
            arrangement_of(None, "Analyst", "We are 100%REMOTEX friendly", None),
            None,
            "whole words"
        );
    }

    #[test]
    fn a_workplace_is_on_site_by_default_unless_remote_work_is_mentioned() {
        let w = arrangement_of(None, "Nurse", "Care for patients.", Some("Missoula")).unwrap();
        assert_eq!(
            (w.value, w.source),
            (Arrangement::OnSite, ArrangementSource::Default)
        );
        assert_eq!(w.evidence, "jobLocation addressLocality=Missoula");
        assert_eq!(
            arrangement_of(
                None,
                "Nurse",
                "Many of our roles can be done remotely.",
                Some("Missoula")
            ),
            None
        );
        assert_eq!(
            arrangement_of(None, "Nurse", "Care for patients.", None),
            None
        );
    }
}
