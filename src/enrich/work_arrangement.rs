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
    let title = input.title.map(cues_in).unwrap_or_default();
    let body = cues_in(input.text);
    let regions = || {
        input
            .applicant_location_requirements
            .map(|raw| regions(raw, input.countries))
            .unwrap_or_default()
    };
    let from_text = |hit: Hit<'_>| {
        let value = hit.cue.arrangement()?;
        Some(WorkArrangement {
            value,
            source: ArrangementSource::Text,
            evidence: hit.line.to_string(),
            regions: if value == Arrangement::OnSite {
                Vec::new()
            } else {
                regions()
            },
        })
    };
    // The title speaks of this job alone: a cue there decides.
    if let Some(hit) = title.strongest.filter(|h| h.cue != Cue::Mention) {
        return from_text(hit);
    }
    let said = |kind: Cue| body.strongest.filter(|hit| hit.cue == kind);
    if let Some(hit) = said(Cue::Hybrid).or_else(|| said(Cue::NotRemote)) {
        return from_text(hit);
    }
    if let Some(stated) = input.job_location_type.and_then(telecommute) {
        return Some(WorkArrangement {
            value: Arrangement::Remote,
            source: ArrangementSource::Structured,
            evidence: format!("jobLocationType={stated}"),
            regions: regions(),
        });
    }
    if let Some(hit) = said(Cue::Remote) {
        return from_text(hit);
    }
    // An on-site cue counts only when the text never mentions remote work
    // ("remote and in-office options as you like" leaves it open).
    if let Some(hit) = said(Cue::OnSite)
        && !body.mentions_remote
    {
        return from_text(hit);
    }
    // Any word of remote work that did not decide leaves it open.
    if body.mentions_remote || title.mentions_remote {
        return None;
    }
    let locality = input.locality.map(str::trim).filter(|l| !l.is_empty())?;
    // "Remote" or "Anywhere" written as the locality is no workplace.
    if ["remote", "anywhere", "virtual", "home"]
        .iter()
        .any(|w| locality.eq_ignore_ascii_case(w))
    {
        return None;
    }
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

impl Cue {
    fn arrangement(self) -> Option<Arrangement> {
        match self {
            Cue::Hybrid => Some(Arrangement::Hybrid),
            Cue::NotRemote | Cue::OnSite => Some(Arrangement::OnSite),
            Cue::Remote => Some(Arrangement::Remote),
            Cue::Mention => None,
        }
    }
}

/// Cue phrases (lower case; matched in any ASCII case as whole words).
/// The strongest cue in a text decides (the order of `Cue`).
const CUES: &[(Cue, &str)] = &[
    (Cue::Hybrid, "hybrid work"),
    (Cue::Hybrid, "hybrid schedule"),
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
    (Cue::Remote, "this role is remote"),
    (Cue::Remote, "this position is remote"),
    (Cue::Remote, "position is remote"),
    (Cue::Remote, "role is remote"),
    (Cue::Remote, "remote in the u.s"),
    (Cue::Remote, "remote in the us"),
    (Cue::Remote, "remote within"),
    (Cue::Remote, "work from anywhere"),
    (Cue::OnSite, "on-site role"),
    (Cue::OnSite, "onsite role"),
    (Cue::OnSite, "on-site position"),
    (Cue::OnSite, "onsite position"),
    (Cue::OnSite, "office based"),
    (Cue::OnSite, "office-based"),
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
    (Cue::Mention, "telecommuting"),
    (Cue::Mention, "telework"),
    (Cue::Mention, "teleworking"),
    (Cue::Mention, "work-from-home"),
    (Cue::Mention, "wfh"),
    (Cue::Mention, "hybrid"),
];

/// Every cue holds one of these words: the lines without one are skipped
/// (tested against the cue table).
const KEYWORDS: [&str; 12] = [
    "remote",
    "wfh",
    "hybrid",
    "anywhere",
    "on-site",
    "onsite",
    "office",
    "work at our",
    "from home",
    "from-home",
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

/// A cue phrase found, with its line.
#[derive(Clone, Copy)]
struct Hit<'t> {
    cue: Cue,
    line: &'t str,
}

/// What a text's cues say: the strongest, and whether any mentions remote
/// work (or hybrid, or working from home) at all.
#[derive(Default)]
struct Cues<'t> {
    strongest: Option<Hit<'t>>,
    mentions_remote: bool,
}

/// The cues of `text` (whole words, any ASCII case).
fn cues_in(text: &str) -> Cues<'_> {
    let Some(search) = cue_search() else {
        return Cues::default();
    };
    // Lowering ASCII keeps every byte offset, so a line of `lower` is the
    // same range of `text`.
    let lower = text.to_ascii_lowercase();
    let mut cues = Cues::default();
    for range in search.keywords.lines_containing(&lower) {
        let line = lower.get(range.clone()).unwrap_or_default().as_bytes();
        for m in search.cues.whole_word_occurrences(line) {
            let Some((cue, _)) = CUES.get(m.phrase) else {
                continue;
            };
            cues.mentions_remote |= *cue == Cue::Mention;
            if cues
                .strongest
                .is_none_or(|held| (*cue as u8) < (held.cue as u8))
            {
                cues.strongest = Some(Hit {
                    cue: *cue,
                    line: text.get(range.clone()).unwrap_or_default().trim(),
                });
            }
        }
    }
    cues
}

/// Builds the cue tables now rather than on the first posting.
pub(crate) fn prepare() {
    cue_search();
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
    out.sort_unstable();
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
            "Intro.\nThis is a Hybrid Work schedule: three days in the office.",
            None,
        )
        .unwrap();
        assert_eq!(
            (w.value, w.source),
            (Arrangement::Hybrid, ArrangementSource::Text)
        );
        assert_eq!(
            w.evidence,
            "This is a Hybrid Work schedule: three days in the office."
        );
        assert_eq!(w.regions, ["US"]);
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
