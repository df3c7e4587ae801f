//! Sections against descriptions read by a person.
//!
//! - tests/data/sections-cases.toml: 44 corpus descriptions (how they were
//!   read: docs/sections-corpus-report.md §9). Every case must match
//!   exactly (headings, kinds, item counts, in order) unless it names a
//!   known gap; known gaps are printed so that the remaining work stays
//!   visible.
//! - tests/data/sections-cases-new.toml: 25 more (15 of `corpus/more/`,
//!   10 drawn at random), labelled before any rule change for issue #25.
//!   Over all 69, the headings found and the kinds of those found are
//!   scored (recall, precision, kind accuracy).
//! - tests/data/sections-cases-held.toml: 20 drawn at random and labelled
//!   from the postings alone; scored once as a held-back set, then tuned
//!   on, so now scored with the others (89 in all).
//! - tests/data/sections-cases-held2.toml: 30 more drawn at random and
//!   labelled after that tuning; scored once as a held-back set, then
//!   tuned on, so now scored with the others (119 in all).
//! - tests/data/sections-cases-held3.toml: 30 more drawn at random and
//!   labelled from the postings alone while the rules were tuned on the
//!   second set, never tuned on: the fair figure for postings the rules
//!   have not seen, scored on its own.

mod common;

use std::collections::BTreeSet;

use posting_enricher::pipeline::Pipeline;
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    /// 1-based line of the LinkedIn corpus; or `file` and `record`.
    line: Option<usize>,
    /// A file under `corpus/` ("more/x.jsonl") and its 0-based line.
    file: Option<String>,
    record: Option<usize>,
    covers: String,
    #[serde(default)]
    known_gap: Option<String>,
    sections: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    heading: Option<String>,
    kind: String,
    #[serde(default)]
    alt_kinds: Vec<String>,
    items: Option<usize>,
    text_starts_with: Option<String>,
}

fn cases(file: &str) -> Vec<Case> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    toml::from_str::<Cases>(&text)
        .unwrap_or_else(|e| panic!("parse {path}: {e}"))
        .case
}

impl Case {
    /// Where the posting is, for messages.
    fn source(&self) -> String {
        match (&self.line, &self.file, &self.record) {
            (Some(line), _, _) => format!("line {line}"),
            (None, Some(file), Some(record)) => format!("{file}:{record}"),
            _ => panic!("{}: neither a line nor a file and record", self.id),
        }
    }

    /// The posting's raw bytes.
    fn posting(&self, corpus: &[Vec<u8>]) -> Vec<u8> {
        match (&self.line, &self.file, &self.record) {
            (Some(line), _, _) => corpus
                .get(line - 1)
                .unwrap_or_else(|| panic!("{}: no corpus line {line}", self.id))
                .clone(),
            (None, Some(file), Some(record)) => {
                let path = common::shared_dir().join("corpus").join(file);
                let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                text.split(|&b| b == b'\n')
                    .nth(*record)
                    .unwrap_or_else(|| panic!("{}: no record {record} in {file}", self.id))
                    .to_vec()
            }
            _ => panic!("{}: neither a line nor a file and record", self.id),
        }
    }

    /// The sections the pipeline makes of the posting.
    fn sections(&self, corpus: &[Vec<u8>], pipeline: &Pipeline) -> Vec<serde_json::Value> {
        let enriched = pipeline
            .process(&self.posting(corpus), &common::context())
            .unwrap_or_else(|r| panic!("{} ({}) rejected: {r}", self.id, self.source()));
        let record: serde_json::Value = serde_json::from_slice(&enriched.json).expect("JSON");
        record["enrichment"]["description"]["sections"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// Differences between what a reader sees and the output, in words.
fn differences(expected: &[Expected], got: &[serde_json::Value]) -> Vec<String> {
    let mut diffs = Vec::new();
    if expected.len() != got.len() {
        diffs.push(format!(
            "{} sections expected, {} produced: {:?}",
            expected.len(),
            got.len(),
            got.iter()
                .map(|s| (s["heading"].as_str(), s["kind"].as_str()))
                .collect::<Vec<_>>()
        ));
    }
    for (i, (e, g)) in expected.iter().zip(got).enumerate() {
        let heading = g["heading"].as_str();
        if heading != e.heading.as_deref() {
            diffs.push(format!(
                "#{i}: heading {heading:?}, expected {:?}",
                e.heading
            ));
        }
        let kind = g["kind"].as_str().unwrap_or("");
        if kind != e.kind && !e.alt_kinds.iter().any(|k| k == kind) {
            diffs.push(format!(
                "#{i} {heading:?}: kind {kind}, expected {}",
                e.kind
            ));
        }
        let items = g["items"].as_array().map_or(0, Vec::len);
        if e.items.is_some_and(|n| n != items) {
            diffs.push(format!(
                "#{i} {heading:?}: {items} items, expected {:?}",
                e.items
            ));
        }
        if let Some(start) = &e.text_starts_with
            && !g["text"].as_str().unwrap_or("").starts_with(start.as_str())
        {
            diffs.push(format!(
                "#{i} {heading:?}: text does not start with {start:?}"
            ));
        }
    }
    diffs
}

#[test]
fn sections_match_what_a_reader_sees_in_44_corpus_postings() {
    let cases = cases("sections-cases.toml");
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let lines = common::corpus_lines();
    let pipeline = common::pipeline();
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    let mut kinds_checked = BTreeSet::new();
    let mut passed = 0;
    for case in &cases {
        let got = case.sections(&lines, &pipeline);
        let diffs = differences(&case.sections, &got);
        let label = format!("{} · {} ({})", case.id, case.source(), case.covers);
        match (&case.known_gap, diffs.is_empty()) {
            (gap, true) => {
                if gap.is_some() {
                    eprintln!("{label}: matches now; remove its known_gap");
                }
                passed += 1;
                kinds_checked.extend(case.sections.iter().map(|s| s.kind.clone()));
            }
            (Some(why), false) => gaps.push(format!(
                "{label}\n    gap: {why}\n    {}",
                diffs.join("\n    ")
            )),
            (None, false) => failures.push(format!("{label}\n    {}", diffs.join("\n    "))),
        }
    }
    eprintln!(
        "sections cases: {passed} of {} match exactly; {} known gaps:\n{}",
        cases.len(),
        gaps.len(),
        gaps.join("\n")
    );
    assert!(
        failures.is_empty(),
        "cases that no longer match:\n{}",
        failures.join("\n")
    );
    // The matching cases cover every kind.
    for kind in [
        "about_company",
        "role",
        "responsibilities",
        "requirements",
        "preferred",
        "benefits",
        "compensation",
        "equal_opportunity",
        "application",
        "other",
    ] {
        assert!(
            kinds_checked.contains(kind),
            "no matching case has a {kind} section"
        );
    }
    assert!(passed >= 38, "only {passed} cases match");
}

/// Headings found and their kinds, over every labelled posting.
#[derive(Default)]
struct HeadingScore {
    labelled: usize,
    produced: usize,
    /// Labelled headings the output has, in order.
    found: usize,
    /// Of those, the ones of the labelled kind (or an accepted one).
    kind_right: usize,
    wrong_kinds: Vec<String>,
}

impl HeadingScore {
    /// Matches labelled and produced headings by their text, in order
    /// (each labelled heading takes the next produced one with its text).
    fn add(&mut self, case: &Case, got: &[serde_json::Value]) {
        let produced: Vec<(&str, &str)> = got
            .iter()
            .filter_map(|s| Some((s["heading"].as_str()?, s["kind"].as_str().unwrap_or(""))))
            .collect();
        self.produced += produced.len();
        let mut from = 0;
        for expected in &case.sections {
            let Some(heading) = &expected.heading else {
                continue;
            };
            self.labelled += 1;
            let Some(at) = produced[from..].iter().position(|(h, _)| h == heading) else {
                continue;
            };
            let kind = produced[from + at].1;
            from += at + 1;
            self.found += 1;
            if kind == expected.kind || expected.alt_kinds.iter().any(|k| k == kind) {
                self.kind_right += 1;
            } else {
                self.wrong_kinds.push(format!(
                    "{} ({}): {heading:?} is {kind}, labelled {}",
                    case.id,
                    case.source(),
                    expected.kind
                ));
            }
        }
    }

    fn ratio(part: usize, whole: usize) -> f64 {
        part as f64 / whole.max(1) as f64
    }

    /// (recall, precision, kind accuracy)
    fn figures(&self) -> (f64, f64, f64) {
        (
            Self::ratio(self.found, self.labelled),
            Self::ratio(self.found, self.produced),
            Self::ratio(self.kind_right, self.found),
        )
    }

    fn print(&self, name: &str) {
        let (recall, precision, kinds) = self.figures();
        eprintln!(
            "{name}: {} labelled headings, {} produced, {} found: recall {recall:.3}, precision {precision:.3}, kind right {} ({kinds:.3})",
            self.labelled, self.produced, self.found, self.kind_right,
        );
    }

    /// Prints the wrong kinds and asserts the figures' floors.
    fn assert_floors(&self, floors: Floors) {
        eprintln!("wrong kinds:\n  {}", self.wrong_kinds.join("\n  "));
        let (recall, precision, kinds) = self.figures();
        assert!(recall >= floors.recall, "heading recall {recall:.3}");
        assert!(
            precision >= floors.precision,
            "heading precision {precision:.3}"
        );
        assert!(kinds >= floors.kinds, "kind accuracy {kinds:.3}");
    }
}

struct Floors {
    recall: f64,
    precision: f64,
    kinds: f64,
}

/// Issue #25's measure: how many labelled headings are found, how many
/// found are labelled, and how often a found heading has its kind, over
/// the 44 reviewed postings, the 25 labelled for #25 and the first two
/// sets held back (all tuned on now). The floors are the figures over the
/// 119 after the rule changes made for the second held-back set (the
/// issue asks ≥ 0.92 for the kinds, with recall and precision not
/// dropping).
#[test]
fn heading_kinds_over_119_tuning_postings() {
    let reviewed = cases("sections-cases.toml");
    let new = cases("sections-cases-new.toml");
    let held = cases("sections-cases-held.toml");
    let held2 = cases("sections-cases-held2.toml");
    assert!(new.len() >= 25, "only {} new cases", new.len());
    assert!(
        held.len() >= 20 && held2.len() >= 30,
        "only {} and {} cases of the first two held-back sets",
        held.len(),
        held2.len()
    );
    assert!(
        new.iter().filter(|c| c.file.is_some()).count() >= 15,
        "fewer than 15 cases from corpus/more"
    );
    let lines = common::corpus_lines();
    let pipeline = common::pipeline();
    let mut scores: [(&str, HeadingScore); 6] = Default::default();
    scores[0].0 = "reviewed 44";
    scores[1].0 = "new 25";
    scores[2].0 = "first held-back 20";
    scores[3].0 = "second held-back 30";
    scores[4].0 = "the first 89";
    scores[5].0 = "all 119";
    for (set, cases) in [(0, &reviewed), (1, &new), (2, &held), (3, &held2)] {
        for case in cases {
            let got = case.sections(&lines, &pipeline);
            scores[set].1.add(case, &got);
            if set < 3 {
                scores[4].1.add(case, &got);
            }
            scores[5].1.add(case, &got);
        }
    }
    for (name, s) in &scores {
        s.print(name);
    }
    scores[4].1.assert_floors(FIRST_89_FLOORS);
    scores[5].1.assert_floors(TUNING_FLOORS);
}

/// The figures over the first 89 after #25's rule changes, unchanged by
/// the later ones: 409 of 435 labelled headings found, 409 of 421
/// produced labelled, 397 of 409 kinds right.
const FIRST_89_FLOORS: Floors = Floors {
    recall: 0.94,
    precision: 0.97,
    kinds: 0.97,
};

/// The figures over all 119 after the rule changes for the second
/// held-back set: 544 of 581 labelled headings found, 544 of 571 produced
/// labelled, 529 of 544 kinds right (lower recall and precision than the
/// first 89's because the second set's are: 0.925 and 0.900).
const TUNING_FLOORS: Floors = Floors {
    recall: 0.93,
    precision: 0.95,
    kinds: 0.97,
};

/// Issue #25's check on postings the rules were not tuned on: 30 drawn at
/// random (seed 2703) and labelled from the postings alone while the rules
/// were changed for the second set (tests/data/sections-cases-held3.md).
/// Scored once, when the rules were done; the floors are that scoring's
/// figures.
#[test]
fn heading_kinds_over_30_held_back_postings() {
    let held = cases("sections-cases-held3.toml");
    assert!(held.len() >= 30, "only {} held-back cases", held.len());
    let lines = common::corpus_lines();
    let pipeline = common::pipeline();
    let mut score = HeadingScore::default();
    for case in &held {
        score.add(case, &case.sections(&lines, &pipeline));
    }
    score.print("held-back 30");
    score.assert_floors(HELD_BACK_FLOORS);
}

/// The third held-back set as scored once: 154 of 163 labelled headings
/// found, 154 of 160 produced labelled, 144 of 154 kinds right. (The
/// second set, scored once before it was tuned on: 0.925, 0.900, 0.933.)
const HELD_BACK_FLOORS: Floors = Floors {
    recall: 0.94,
    precision: 0.96,
    kinds: 0.93,
};
