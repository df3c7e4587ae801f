//! The analytics fields (issue #24) against the hand labels in
//! `tests/data/analytics-labels.jsonl` (how they were made:
//! `tests/data/analytics-labels.md`). Rules are tuned on the `tune` half;
//! the figures that count, and the targets asserted, are on the `held`
//! half. Run with `--nocapture` for the table in docs/analytics-fields.md.

mod common;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

/// One labelled posting: its label row and the record the pipeline wrote.
struct Case {
    split: String,
    source: String,
    label: Value,
    record: Value,
}

fn cases() -> Vec<Case> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/analytics-labels.jsonl");
    let text = std::fs::read_to_string(path).expect("labels");
    let corpus = common::corpus_lines();
    let more: HashMap<String, Vec<u8>> = common::more_lines()
        .into_iter()
        .map(|(file, line, bytes)| (format!("more:{file}:{line}"), bytes))
        .collect();
    let pipeline = common::pipeline();
    let ctx = common::context();
    text.lines()
        .map(|line| {
            let label: Value = serde_json::from_str(line).expect("label row");
            let source = label["source"].as_str().expect("source").to_string();
            let bytes = match source.strip_prefix("corpus:") {
                Some(n) => corpus[n.parse::<usize>().expect("line number") - 1].clone(),
                None => more
                    .get(&source)
                    .unwrap_or_else(|| panic!("{source} not in corpus/more"))
                    .clone(),
            };
            let enriched = pipeline
                .process(&bytes, &ctx)
                .unwrap_or_else(|r| panic!("{source}: {r:?}"));
            Case {
                split: label["split"].as_str().expect("split").to_string(),
                source,
                record: serde_json::from_slice(&enriched.json).expect("record JSON"),
                label,
            }
        })
        .collect()
}

/// Precision and recall of one field on one half: `judge` says, per
/// posting, whether the label states the fact, whether we gave a value,
/// and whether ours is right.
#[derive(Default, Debug)]
struct Score {
    stated: u32,
    given: u32,
    right: u32,
    wrong: Vec<String>,
}

impl Score {
    fn add(&mut self, source: &str, stated: bool, given: bool, right: bool) {
        self.stated += u32::from(stated);
        self.given += u32::from(given);
        if given && right {
            self.right += 1;
        } else if given || stated {
            self.wrong.push(source.to_string());
        }
    }

    fn precision(&self) -> f64 {
        if self.given == 0 {
            1.0
        } else {
            f64::from(self.right) / f64::from(self.given)
        }
    }

    fn recall(&self) -> f64 {
        if self.stated == 0 {
            1.0
        } else {
            f64::from(self.right) / f64::from(self.stated)
        }
    }
}

/// A labelled date as the feed wrote it, read loosely: an instant when it
/// names its zone, else the naive time (a date alone at midnight).
enum Stated {
    Instant(DateTime<Utc>),
    Naive(NaiveDateTime),
}

fn stated_date(raw: &str) -> Option<Stated> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(Stated::Instant(t.with_timezone(&Utc)));
    }
    if let Ok(t) = DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(Stated::Instant(t.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(Stated::Naive(t));
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(Stated::Naive)
}

/// Ours agrees with the stated date: the same instant when it names its
/// zone; else within a day of the naive reading (its local time zone and
/// the end-of-day reading of a closing date move it by hours, not days).
fn same_date(ours: &str, stated: &Stated) -> bool {
    let Ok(ours) = DateTime::parse_from_rfc3339(ours).map(|t| t.with_timezone(&Utc)) else {
        return false;
    };
    match stated {
        Stated::Instant(t) => ours == *t,
        Stated::Naive(t) => (ours.naive_utc() - *t).num_hours().abs() <= 24,
    }
}

fn lifecycle_scores(cases: &[Case], split: &str) -> [(&'static str, Score); 2] {
    let mut posted = Score::default();
    let mut closes = Score::default();
    for case in cases.iter().filter(|c| c.split == split) {
        let label = &case.label["lifecycle"]["value"];
        let ours = &case.record["enrichment"]["lifecycle"];
        for (key, score) in [("posted_at", &mut posted), ("valid_through", &mut closes)] {
            let stated = label[key].as_str().and_then(stated_date);
            let given = ours[key].as_str();
            let right = match (given, &stated) {
                (Some(g), Some(s)) => same_date(g, s),
                _ => false,
            };
            score.add(&case.source, stated.is_some(), given.is_some(), right);
        }
    }
    [
        ("lifecycle.posted_at", posted),
        ("lifecycle.valid_through", closes),
    ]
}

fn employment_score(cases: &[Case], split: &str) -> Score {
    let mut score = Score::default();
    for case in cases.iter().filter(|c| c.split == split) {
        let sorted = |v: &Value| -> Option<Vec<String>> {
            let mut types: Vec<String> = v
                .as_array()?
                .iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect();
            types.sort();
            Some(types)
        };
        let stated = sorted(&case.label["employment_types"]["value"]);
        let given = sorted(&case.record["enrichment"]["employment"]["types"]);
        let right = stated.is_some() && stated == given;
        score.add(&case.source, stated.is_some(), given.is_some(), right);
    }
    score
}

fn work_arrangement_score(cases: &[Case], split: &str) -> Score {
    let mut score = Score::default();
    for case in cases.iter().filter(|c| c.split == split) {
        let stated = case.label["work_arrangement"]["value"].as_str();
        let given = case.record["enrichment"]["work_arrangement"]["value"].as_str();
        score.add(
            &case.source,
            stated.is_some(),
            given.is_some(),
            stated.is_some() && stated == given,
        );
    }
    score
}

fn print(split: &str, scores: &[(&str, Score)]) {
    println!("| field ({split}) | stated | given | right | precision | recall |");
    println!("|---|---|---|---|---|---|");
    for (name, s) in scores {
        println!(
            "| {name} | {} | {} | {} | {:.2} | {:.2} |",
            s.stated,
            s.given,
            s.right,
            s.precision(),
            s.recall()
        );
        if !s.wrong.is_empty() {
            println!("  wrong or missing: {}", s.wrong.join(", "));
        }
    }
}

#[test]
fn lifecycle_agrees_with_the_held_back_labels() {
    let cases = cases();
    assert_eq!(cases.len(), 139, "the labelled set");
    print("tune", &lifecycle_scores(&cases, "tune"));
    let held = lifecycle_scores(&cases, "held");
    print("held", &held);
    for (name, score) in &held {
        assert!(score.stated > 20, "{name}: too few labels to judge");
        assert!(
            score.precision() >= 0.95,
            "{name}: precision {:.2}",
            score.precision()
        );
        assert!(
            score.recall() >= 0.95,
            "{name}: recall {:.2}",
            score.recall()
        );
    }
}

#[test]
fn employment_types_agree_with_the_held_back_labels() {
    let cases = cases();
    print(
        "tune",
        &[("employment.types", employment_score(&cases, "tune"))],
    );
    let held = employment_score(&cases, "held");
    print("held", &[("employment.types", held)]);
    let held = employment_score(&cases, "held");
    assert!(held.stated > 40, "too few labels to judge");
    assert!(
        held.precision() >= 0.95,
        "precision {:.2}",
        held.precision()
    );
    assert!(held.recall() >= 0.80, "recall {:.2}", held.recall());
}

#[test]
fn work_arrangement_agrees_with_the_held_back_labels() {
    let cases = cases();
    print(
        "tune",
        &[("work_arrangement", work_arrangement_score(&cases, "tune"))],
    );
    let held = work_arrangement_score(&cases, "held");
    print(
        "held",
        &[("work_arrangement", work_arrangement_score(&cases, "held"))],
    );
    assert!(held.stated > 40, "too few labels to judge");
    assert!(
        held.precision() >= 0.95,
        "precision {:.2}",
        held.precision()
    );
    assert!(held.recall() >= 0.80, "recall {:.2}", held.recall());
}
