//! The whole LinkedIn corpus and the other feeds through the core: counts,
//! rejections, schema validity, determinism.

mod common;

use std::collections::BTreeMap;

use posting_enricher::enrich::{SectionKind, WarningCode};
use posting_enricher::posting::RejectReason;

#[test]
fn corpus_enriches_7683_and_rejects_2_and_every_record_validates() {
    let lines = common::corpus_lines();
    assert_eq!(lines.len(), 7685);
    let pipeline = common::pipeline();
    let validator = common::validator();
    let ctx = common::context();
    let mut rejected = Vec::new();
    let mut enriched = 0;
    for (i, line) in lines.iter().enumerate() {
        match pipeline.process(line, &ctx) {
            Ok(e) => {
                enriched += 1;
                let record: serde_json::Value =
                    serde_json::from_slice(&e.json).expect("record is JSON");
                let errors: Vec<String> = validator
                    .iter_errors(&record)
                    .map(|e| format!("{e} at {}", e.instance_path))
                    .collect();
                assert!(errors.is_empty(), "line {}: {errors:?}", i + 1);
                // The posting is copied unchanged.
                let original: serde_json::Value =
                    serde_json::from_slice(line).expect("line is JSON");
                assert_eq!(record["posting"], original, "line {}", i + 1);
                assert_eq!(record["id"].as_str(), Some(e.id.as_str()));
            }
            Err(r) => rejected.push((i + 1, r.reason)),
        }
    }
    assert_eq!(enriched, 7683);
    assert_eq!(
        rejected,
        vec![
            (106, RejectReason::NoPostingFields),
            (1543, RejectReason::Empty)
        ]
    );
}

#[test]
fn every_posting_from_other_feeds_is_enriched_and_valid() {
    let pipeline = common::pipeline();
    let validator = common::validator();
    let ctx = common::context();
    let lines = common::more_lines();
    assert_eq!(lines.len(), 39);
    for (file, n, line) in &lines {
        let e = pipeline
            .process(line, &ctx)
            .unwrap_or_else(|r| panic!("{file}:{n} rejected: {r}"));
        let record: serde_json::Value = serde_json::from_slice(&e.json).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&record)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{file}:{n}: {errors:?}");
    }
}

/// The record writer spells the enrichment by hand (strings, skills, the
/// first location copied for `geo`): on real postings it must be the bytes
/// serde writes from the same `Enrichment`.
#[test]
fn records_carry_the_enrichment_exactly_as_serde_writes_it() {
    use posting_enricher::enrich::Enricher;
    use posting_enricher::posting::{self, DecodeOptions};
    use posting_enricher::record::Record;

    let enricher = Enricher::with_shared_data(Default::default()).expect("reference data");
    let ctx = common::context();
    let corpus = common::corpus_lines();
    let more = common::more_lines();
    let lines = corpus
        .iter()
        .step_by(7)
        .chain(more.iter().map(|(_, _, line)| line));
    let (mut checked, mut with_locations, mut with_skills) = (0, 0, 0);
    for line in lines {
        let Ok(doc) = posting::locate(line, &DecodeOptions::default()) else {
            continue;
        };
        let Ok(view) = posting::parse(&doc) else {
            continue;
        };
        let enrichment = enricher.enrich(&view);
        let mut ours = Vec::new();
        Record {
            id: "id",
            fingerprint: "fingerprint",
            posting: None,
            enrichment: &enrichment,
            context: &ctx,
            reference: enricher.reference().json(),
        }
        .write_json(&mut ours)
        .expect("write");
        let serde = serde_json::to_string(&enrichment).expect("serialize");
        let ours = String::from_utf8(ours).expect("UTF-8");
        let expected = format!(",\"enrichment\":{serde},\"enricher\":");
        assert!(
            ours.contains(&expected),
            "record differs from serde:\n{ours}\nserde:\n{serde}"
        );
        checked += 1;
        with_locations += usize::from(!enrichment.locations.is_empty());
        with_skills += usize::from(!enrichment.skills.is_empty());
    }
    assert!(checked > 1_100, "{checked}");
    assert!(with_locations > 1_000, "{with_locations}");
    assert!(with_skills > 500, "{with_skills}");
}

#[test]
fn same_input_gives_byte_identical_output() {
    let lines = common::corpus_lines();
    let pipeline = common::pipeline();
    let ctx = common::context();
    let run = || -> Vec<u8> {
        let mut out = Vec::new();
        for line in lines.iter().take(1500) {
            if let Ok(e) = pipeline.process(line, &ctx) {
                out.extend_from_slice(&e.json);
                out.push(b'\n');
            }
        }
        out
    };
    let first = run();
    assert!(!first.is_empty());
    assert!(first == run(), "two runs differ");
}

#[test]
fn schema_lists_exactly_the_codes_and_kinds_of_the_code() {
    let schema = common::schema();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .expect("enum")
            .iter()
            .map(|s| s.as_str().expect("string").to_string())
            .collect()
    };
    let warning_codes = strings(&schema["$defs"]["warning"]["properties"]["code"]["enum"]);
    let expected: Vec<String> = WarningCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(warning_codes, expected);
    let kinds = strings(&schema["$defs"]["section"]["properties"]["kind"]["enum"]);
    let expected: Vec<String> = SectionKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    assert_eq!(kinds, expected);
}

#[test]
fn schema_rejects_wrong_types_and_missing_fields() {
    let record = common::seed_record();
    let validator = common::validator();
    assert!(validator.is_valid(&record));
    type Mutation = Box<dyn Fn(&mut serde_json::Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "missing id",
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("id");
            }),
        ),
        (
            "schema_version 2",
            Box::new(|r| r["schema_version"] = 2.into()),
        ),
        ("id as number", Box::new(|r| r["id"] = 5.into())),
        (
            "unknown top-level field",
            Box::new(|r| r["extra"] = true.into()),
        ),
        (
            "section kind unknown",
            Box::new(|r| r["enrichment"]["description"]["sections"][0]["kind"] = "misc".into()),
        ),
        (
            "items not strings",
            Box::new(|r| {
                r["enrichment"]["description"]["sections"][0]["items"] = serde_json::json!([1])
            }),
        ),
        (
            "salary min as string",
            Box::new(|r| r["enrichment"]["salary"]["min"] = "96400".into()),
        ),
        (
            "salary unit lower case",
            Box::new(|r| r["enrichment"]["salary"]["unit"] = "year".into()),
        ),
        (
            "lat out of range",
            Box::new(|r| r["enrichment"]["geo"]["point"]["lat"] = 91.into()),
        ),
        (
            "warnings missing",
            Box::new(|r| {
                r["enrichment"].as_object_mut().unwrap().remove("warnings");
            }),
        ),
        (
            "enriched_at not a time",
            Box::new(|r| r["enricher"]["enriched_at"] = "yesterday".into()),
        ),
        (
            "fingerprint short",
            Box::new(|r| r["fingerprint"] = "abc".into()),
        ),
    ];
    for (what, mutate) in mutations {
        let mut bad = record.clone();
        mutate(&mut bad);
        assert!(
            !validator.is_valid(&bad),
            "schema accepted a record with {what}"
        );
    }
}

/// Figures printed for the issue note (run with --nocapture).
#[test]
fn corpus_outcome_counts() {
    let pipeline = common::pipeline();
    let ctx = common::context();
    let mut stages: BTreeMap<String, u64> = BTreeMap::new();
    for line in common::corpus_lines() {
        if let Ok(e) = pipeline.process(&line, &ctx) {
            for (stage, o) in e.outcomes.by_stage() {
                *stages.entry(format!("{stage}.{}", o.as_str())).or_default() += 1;
            }
        }
    }
    println!("{stages:#?}");
    // Every corpus posting has coordinates and a description.
    assert_eq!(stages.get("geo.ok"), Some(&7683));
    assert_eq!(stages.get("sections.absent"), None);
}

/// Geo agreement with the stated address over the corpus (issue #5
/// targets: country >= 99.9% of postings, subdivision >= 99.5% of US
/// postings). Every disagreement is printed for the note.
#[test]
fn geo_agrees_with_stated_address() {
    let pipeline = common::pipeline();
    let ctx = common::context();
    let (mut country_stated, mut country_agree) = (0u32, 0u32);
    let (mut us_region_stated, mut us_region_agree) = (0u32, 0u32);
    for (i, line) in common::corpus_lines().iter().enumerate() {
        let Ok(e) = pipeline.process(line, &ctx) else {
            continue;
        };
        let r: serde_json::Value = serde_json::from_slice(&e.json).expect("JSON");
        let g = &r["enrichment"]["geo"];
        let a = &g["address_agreement"];
        let show = || {
            format!(
                "line {}: point {} -> {} {} ({}); stated {}",
                i + 1,
                g["point"],
                g["country"]["alpha2"],
                g["subdivision"]["code"],
                g["place"]["name"],
                g["address"]
            )
        };
        if let Some(ok) = a["country"].as_bool() {
            country_stated += 1;
            if ok {
                country_agree += 1
            } else {
                println!("country disagrees: {}", show())
            }
        }
        if g["address"]["country"] == "US"
            && let Some(ok) = a["subdivision"].as_bool()
        {
            us_region_stated += 1;
            if ok {
                us_region_agree += 1
            } else {
                println!("US subdivision disagrees: {}", show())
            }
        }
    }
    let country = f64::from(country_agree) / f64::from(country_stated);
    let region = f64::from(us_region_agree) / f64::from(us_region_stated);
    println!(
        "country agreement {country_agree}/{country_stated} = {:.3}%",
        country * 100.0
    );
    println!(
        "US subdivision agreement {us_region_agree}/{us_region_stated} = {:.3}%",
        region * 100.0
    );
    assert!(country_stated >= 7600, "{country_stated}");
    assert!(country >= 0.999, "{country}");
    assert!(region >= 0.995, "{region}");
}

/// The fast tag scanner must give exactly the parser's lines whenever it
/// claims the markup is well-formed; and it should claim so for most of
/// the corpus (else the fast path buys nothing).
#[test]
fn fast_scanner_agrees_with_html5ever_on_the_corpus() {
    use posting_enricher::enrich::description::{as_html, parsed_lines, scanned_lines};
    let (mut html_docs, mut fast) = (0, 0);
    for (i, desc) in descriptions(common::corpus_lines().iter()) {
        let Ok(html) = as_html(&desc) else { continue };
        html_docs += 1;
        if let Some(scanned) = scanned_lines(&html) {
            fast += 1;
            assert_eq!(scanned, parsed_lines(&html), "corpus line {}", i + 1);
        }
    }
    println!("fast path taken for {fast} of {html_docs} HTML descriptions");
    assert!(
        fast * 10 >= html_docs * 8,
        "fast path for only {fast} of {html_docs}"
    );
}

/// Escaped markup read where it lies must give exactly the lines of its
/// unescaped copy, and be read so for most of the corpus.
#[test]
fn escaped_markup_is_read_as_its_unescaped_copy() {
    use posting_enricher::enrich::description::{escaped_markup_lines, unescaped_lines};
    let more = common::more_lines();
    let corpus = common::corpus_lines();
    let lines = corpus.iter().chain(more.iter().map(|(_, _, line)| line));
    let (mut total, mut direct) = (0, 0);
    for (i, desc) in descriptions(lines) {
        total += 1;
        if let Some(read) = escaped_markup_lines(&desc) {
            direct += 1;
            assert_eq!(read, unescaped_lines(&desc), "input line {}", i + 1);
        }
    }
    println!("escaped markup read directly for {direct} of {total} descriptions");
    assert!(
        direct * 10 >= total * 9,
        "read directly for only {direct} of {total}"
    );
}

/// The description of every input line that has one, with the line's index.
fn descriptions<'a>(lines: impl Iterator<Item = &'a Vec<u8>>) -> Vec<(usize, String)> {
    let opts = posting_enricher::posting::DecodeOptions::default();
    lines
        .enumerate()
        .filter_map(|(i, line)| {
            let doc = posting_enricher::posting::locate(line, &opts).ok()?;
            let view = posting_enricher::posting::parse(&doc).ok()?;
            Some((i, view.description?.into_owned()))
        })
        .collect()
}
