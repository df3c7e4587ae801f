//! Golden test: the seed posting's whole record, compared field by field
//! with `tests/golden/seed.enriched.json`. Regenerate deliberately with
//! `UPDATE_GOLDEN=1 cargo test --test golden` and review the diff.

mod common;

use std::path::PathBuf;

#[test]
fn seed_posting_matches_golden_record() {
    let actual = common::seed_record();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/seed.enriched.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let pretty = serde_json::to_string_pretty(&actual).expect("print") + "\n";
        std::fs::write(&path, pretty).expect("write golden");
    }
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("golden file exists"))
            .expect("golden is JSON");
    let mut diffs = Vec::new();
    diff("", &golden, &actual, &mut diffs);
    assert!(
        diffs.is_empty(),
        "record differs from {} (UPDATE_GOLDEN=1 to accept):\n{}",
        path.display(),
        diffs.join("\n")
    );
}

/// JSON pointers where two values differ, with both values (short).
fn diff(at: &str, want: &serde_json::Value, got: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value::{Array, Object};
    match (want, got) {
        (Object(w), Object(g)) => {
            for k in w.keys().chain(g.keys().filter(|k| !w.contains_key(*k))) {
                let null = serde_json::Value::Null;
                diff(
                    &format!("{at}/{k}"),
                    w.get(k).unwrap_or(&null),
                    g.get(k).unwrap_or(&null),
                    out,
                );
            }
        }
        (Array(w), Array(g)) if w.len() == g.len() => {
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                diff(&format!("{at}/{i}"), a, b, out);
            }
        }
        (w, g) if w != g => {
            let short = |v: &serde_json::Value| v.to_string().chars().take(120).collect::<String>();
            out.push(format!(
                "  {at}: golden {} != actual {}",
                short(w),
                short(g)
            ));
        }
        _ => {}
    }
}

#[test]
fn seed_posting_facts() {
    let r = common::seed_record();
    let sections = r["enrichment"]["description"]["sections"]
        .as_array()
        .expect("sections");
    let summary: Vec<(&str, &str, usize)> = sections
        .iter()
        .map(|s| {
            (
                s["heading"].as_str().unwrap_or(""),
                s["kind"].as_str().unwrap_or(""),
                s["items"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert_eq!(summary[0], ("The Role", "role", 3));
    assert_eq!(
        (summary[1].0, summary[1].2),
        ("More Broadly We Are Looking For Experts In These Fields", 5)
    );
    assert_eq!(summary[2], ("Requirements", "requirements", 6));
    assert_eq!(sections[2]["items"][0], "Expert level Python Skills");
    let salary = &r["enrichment"]["salary"];
    assert_eq!(salary["source"], "estimatedSalary");
    assert_eq!(salary["currency"], "USD");
    assert_eq!(salary["unit"], "YEAR");
    assert_eq!(
        (salary["min"].as_f64(), salary["max"].as_f64()),
        (Some(96400.0), Some(126000.0))
    );
    assert_eq!(salary["annual"]["mid"].as_f64(), Some(111200.0));
    let occupation = &r["enrichment"]["occupation"];
    assert_eq!(occupation["isco08"]["code"], "2512");
    assert_eq!(
        occupation["title"]["normalized"],
        "machine learning engineer"
    );
    assert_eq!(r["id"], "Tesla:99253");
    assert_eq!(r["enricher"]["enriched_at"], common::FIXED_TIME);
    assert_eq!(
        r["enrichment"]["geo"]["point"]["lat"].as_f64(),
        Some(37.445103)
    );
}
