//! Pay in description text, on real phrasings from the corpus
//! (`tests/data/salary-phrasings.tsv`: corpus line, snippet, expected).
//! Precision is the contract: no "not pay" phrasing may yield a figure, and
//! every figure taken must be the expected one. Recall is measured and
//! held above a floor.

use posting_enricher::enrich::salary::PayUnit;
use posting_enricher::enrich::salary::description_text::find_all;

struct Row {
    line: u32,
    snippet: String,
    is_pay: bool,
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<PayUnit>,
    /// The ISO 3166-2 subdivision the statement is limited to, where the
    /// row names one.
    scope: Option<String>,
}

fn rows() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/salary-phrasings.tsv"
    );
    let text = std::fs::read_to_string(path).expect("phrasings table");
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert!(c.len() >= 7, "bad row {l:?}");
            Row {
                line: c[0].parse().expect("line number"),
                snippet: c[1].to_string(),
                is_pay: c[2] == "yes",
                min: c[3].parse().ok(),
                max: c[4].parse().ok(),
                unit: PayUnit::parse(c[5]),
                scope: c.get(8).filter(|s| !s.is_empty()).map(|s| s.to_string()),
            }
        })
        .collect()
}

/// The shipped reference rates, as the enricher uses them.
fn usd_per_unit(code: &str) -> Option<f64> {
    let money = posting_enricher::reference::money::MoneyData::embedded().expect("rates");
    money.fx.rate(code, "USD")
}

#[test]
fn description_pay_phrasings_from_the_corpus() {
    let rows = rows();
    assert!(rows.iter().filter(|r| r.is_pay).count() >= 20);
    assert!(rows.iter().filter(|r| !r.is_pay).count() >= 20);
    let (mut taken, mut right, mut pay_rows) = (0, 0, 0);
    let mut wrong = Vec::new();
    for r in &rows {
        // The table judges phrasings, not where a posting is: a row's
        // statement is read whatever its scope; a row stating several is
        // not one phrasing read.
        let mut all = find_all(&r.snippet, None, &usd_per_unit);
        let got = (all.len() == 1).then(|| all.remove(0));
        if r.is_pay {
            pay_rows += 1;
        }
        let Some(p) = got else {
            if r.is_pay {
                println!("missed: line {}: {:?}", r.line, r.snippet);
            }
            continue;
        };
        taken += 1;
        let ok = r.is_pay
            && r.min.is_none_or(|m| (m - p.min).abs() < 0.01)
            && r.max.is_none_or(|m| (m - p.max).abs() < 0.01)
            && (r.unit.is_none() || p.unit.is_none() || r.unit == p.unit)
            && (r.scope.is_none()
                || r.scope.as_deref() == p.scope.as_ref().map(|s| s.subdivision.as_str()));
        if ok {
            right += 1;
        } else {
            println!("wrong: line {}: {:?}", r.line, r.snippet);
            wrong.push(format!(
                "line {}: {:?} -> {} - {} {:?} {:?}",
                r.line, r.snippet, p.min, p.max, p.unit, p.scope
            ));
        }
    }
    let recall = f64::from(right) / f64::from(pay_rows);
    println!("taken {taken}, right {right}, pay rows {pay_rows}, recall {recall:.2}");
    assert!(wrong.is_empty(), "wrong extractions:\n{}", wrong.join("\n"));
    assert!(recall >= 0.90, "recall {recall:.2}");
}
