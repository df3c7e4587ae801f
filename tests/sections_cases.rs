//! Sections against 44 corpus descriptions read by a person
//! (tests/data/sections-cases.toml; how they were read:
//! docs/sections-corpus-report.md §9). Every case must match exactly
//! (headings, kinds, item counts, in order) unless it names a known gap;
//! known gaps are printed so that the remaining work stays visible.

mod common;

use std::collections::BTreeSet;

use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    line: usize,
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

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sections-cases.toml"
    );
    let text = std::fs::read_to_string(path).expect("read sections-cases.toml");
    toml::from_str::<Cases>(&text)
        .expect("parse sections-cases.toml")
        .case
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
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let lines = common::corpus_lines();
    let pipeline = common::pipeline();
    let ctx = common::context();
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    let mut kinds_checked = BTreeSet::new();
    let mut passed = 0;
    for case in &cases {
        let line = lines
            .get(case.line - 1)
            .unwrap_or_else(|| panic!("{}: no corpus line {}", case.id, case.line));
        let enriched = pipeline
            .process(line, &ctx)
            .unwrap_or_else(|r| panic!("{} (line {}) rejected: {r}", case.id, case.line));
        let record: serde_json::Value = serde_json::from_slice(&enriched.json).expect("JSON");
        let got = record["enrichment"]["description"]["sections"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let diffs = differences(&case.sections, &got);
        let label = format!("{} · line {} ({})", case.id, case.line, case.covers);
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
    assert!(passed >= 37, "only {passed} cases match");
}
