//! The analytics fields (issue #24) against the hand labels in
//! `tests/data/analytics-labels.jsonl` (how they were made:
//! `tests/data/analytics-labels.md`). Rules are tuned on the `tune` half;
//! the figures that count, and the targets asserted, are on the `held`
//! half. Run with `--nocapture` for the table in docs/analytics-fields.md.

mod common;

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
    common::labelled_records("analytics-labels.jsonl")
        .into_iter()
        .map(|(label, record)| Case {
            split: label["split"].as_str().expect("split").to_string(),
            source: label["source"].as_str().expect("source").to_string(),
            record,
            label,
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

/// Whether, for one posting, the label states the fact, we gave a value,
/// and ours is right.
struct Judgement {
    stated: bool,
    given: bool,
    right: bool,
}

/// One field's judgement of a posting.
type Judge = fn(&Case) -> Judgement;

/// The same value, or both absent.
fn judge_equal(stated: &Value, given: &Value) -> Judgement {
    Judgement {
        stated: !stated.is_null(),
        given: !given.is_null(),
        right: !stated.is_null() && stated == given,
    }
}

fn judge_date(case: &Case, key: &str) -> Judgement {
    let stated = case.label["lifecycle"]["value"][key]
        .as_str()
        .and_then(stated_date);
    let given = case.record["enrichment"]["lifecycle"][key].as_str();
    Judgement {
        stated: stated.is_some(),
        given: given.is_some(),
        right: matches!((given, &stated), (Some(g), Some(s)) if same_date(g, s)),
    }
}

fn sorted_strings(v: &Value) -> Value {
    match v.as_array() {
        Some(items) => {
            let mut items = items.clone();
            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            Value::Array(items)
        }
        None => Value::Null,
    }
}

/// The years as numbers (5 and 5.0 alike), both ends.
fn years(v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    serde_json::json!([v["years_min"].as_f64(), v["years_max"].as_f64()])
}

/// Every field scored, with its targets on the held-back half: (name,
/// judge, fewest labels to judge by, precision, recall).
const FIELDS: [(&str, Judge, u32, f64, f64); 8] = [
    (
        "lifecycle.posted_at",
        |c| judge_date(c, "posted_at"),
        20,
        0.95,
        0.95,
    ),
    (
        "lifecycle.valid_through",
        |c| judge_date(c, "valid_through"),
        20,
        0.95,
        0.95,
    ),
    (
        "employment.types",
        |c| {
            judge_equal(
                &sorted_strings(&c.label["employment_types"]["value"]),
                &sorted_strings(&c.record["enrichment"]["employment"]["types"]),
            )
        },
        40,
        0.95,
        0.80,
    ),
    (
        "work_arrangement",
        |c| {
            judge_equal(
                &c.label["work_arrangement"]["value"],
                &c.record["enrichment"]["work_arrangement"]["value"],
            )
        },
        40,
        0.95,
        0.80,
    ),
    (
        "seniority.level",
        |c| {
            judge_equal(
                &c.label["seniority"]["value"],
                &c.record["enrichment"]["seniority"]["level"],
            )
        },
        30,
        0.90,
        0.80,
    ),
    (
        "experience.years",
        |c| {
            judge_equal(
                &years(&c.label["experience"]["value"]),
                &years(&c.record["enrichment"]["experience"]),
            )
        },
        30,
        0.90,
        0.80,
    ),
    (
        "education.level",
        |c| {
            judge_equal(
                &c.label["education"]["value"]["level"],
                &c.record["enrichment"]["education"]["level"],
            )
        },
        30,
        0.95,
        0.80,
    ),
    (
        "language",
        |c| {
            judge_equal(
                &c.label["language"]["value"],
                &c.record["enrichment"]["language"],
            )
        },
        40,
        0.95,
        0.80,
    ),
];

fn score(cases: &[Case], split: &str, judge: Judge) -> Score {
    let mut score = Score::default();
    for case in cases.iter().filter(|c| c.split == split) {
        let j = judge(case);
        score.add(&case.source, j.stated, j.given, j.right);
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

/// Prints both halves' table and checks the targets on the held-back one.
fn check(names: &[&str]) {
    let cases = cases();
    assert_eq!(cases.len(), 139, "the labelled set");
    let fields: Vec<_> = FIELDS.iter().filter(|f| names.contains(&f.0)).collect();
    assert_eq!(fields.len(), names.len(), "every field named is scored");
    for split in ["tune", "held"] {
        let scores: Vec<_> = fields
            .iter()
            .map(|(name, judge, ..)| (*name, score(&cases, split, *judge)))
            .collect();
        print(split, &scores);
    }
    for (name, judge, fewest, precision, recall) in fields {
        let held = score(&cases, "held", *judge);
        assert!(held.stated >= *fewest, "{name}: too few labels to judge");
        assert!(
            held.precision() >= *precision,
            "{name}: precision {:.2}",
            held.precision()
        );
        assert!(
            held.recall() >= *recall,
            "{name}: recall {:.2}",
            held.recall()
        );
    }
}

#[test]
fn lifecycle_agrees_with_the_held_back_labels() {
    check(&["lifecycle.posted_at", "lifecycle.valid_through"]);
}

#[test]
fn employment_types_agree_with_the_held_back_labels() {
    check(&["employment.types"]);
}

#[test]
fn work_arrangement_agrees_with_the_held_back_labels() {
    check(&["work_arrangement"]);
}

#[test]
fn seniority_agrees_with_the_held_back_labels() {
    check(&["seniority.level"]);
}

#[test]
fn experience_agrees_with_the_held_back_labels() {
    check(&["experience.years"]);
}

#[test]
fn education_agrees_with_the_held_back_labels() {
    check(&["education.level"]);
}

#[test]
fn language_agrees_with_the_held_back_labels() {
    check(&["language"]);
}
