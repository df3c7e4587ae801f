//! Random and mutated input through decode + enrich: never a panic, always
//! a record or a typed rejection.

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;

fn corpus_sample() -> &'static Vec<Vec<u8>> {
    static SAMPLE: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SAMPLE.get_or_init(|| common::corpus_lines().into_iter().step_by(97).collect())
}

fn process(bytes: &[u8]) {
    let pipeline = common::pipeline();
    match pipeline.process(bytes, &common::context()) {
        Ok(e) => {
            serde_json::from_slice::<serde_json::Value>(&e.json)
                .expect("a record is always valid JSON");
        }
        Err(r) => assert!(!r.reason.code().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        process(&bytes);
    }

    #[test]
    fn mutated_corpus_lines_never_panic(
        index in 0usize..80,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..12),
    ) {
        let sample = corpus_sample();
        let mut line = sample[index % sample.len()].clone();
        for (at, byte, op) in edits {
            if line.is_empty() { break; }
            let i = at.index(line.len());
            match op {
                0 => line[i] = byte,
                1 => line.insert(i, byte),
                2 => { line.remove(i); }
                _ => line.truncate(i),
            }
        }
        process(&line);
    }

    #[test]
    fn arbitrary_descriptions_never_panic(desc in "(<[a-z/!]{0,6}>|&[a-z#0-9]{0,6};?|[^<&]{0,20}|\\n|&lt;[a-z/]{0,4}&gt;){0,60}") {
        let posting = serde_json::json!({"@type": "JobPosting", "title": "t", "description": desc});
        process(posting.to_string().as_bytes());
    }
}

#[test]
fn hostile_descriptions_are_handled() {
    let cases = [
        "<div>".repeat(100_000),
        "<b>".repeat(50_000),
        "<li>".repeat(50_000),
        "&lt;".repeat(100_000),
        "x".repeat(1_000_000),
        "<p>".to_string() + &"a ".repeat(300_000),
    ];
    for desc in cases {
        let posting = serde_json::json!({"@type": "JobPosting", "title": "t", "description": desc});
        let bytes = posting.to_string().into_bytes();
        let opts = posting_enricher::posting::DecodeOptions {
            max_record_bytes: 4 << 20,
            ..Default::default()
        };
        let pipeline =
            posting_enricher::pipeline::Pipeline::new(opts, Default::default(), Default::default())
                .expect("data");
        let e = pipeline
            .process(&bytes, &common::context())
            .expect("enriched");
        let r: serde_json::Value = serde_json::from_slice(&e.json).expect("JSON");
        // Over the description cap: cut with a warning, never rejected.
        if bytes.len() > 256 * 1024 {
            assert!(
                r["enrichment"]["warnings"]
                    .as_array()
                    .expect("warnings")
                    .iter()
                    .any(|w| w["code"] == "description_truncated")
            );
        }
    }
}

/// Inputs the fuzzer found (scripts/fuzz copies crashes here), plus
/// hand-made hostile ones in the same format, replayed through the same
/// shaping as the fuzz target: each must be enriched or rejected, never
/// panic.
#[test]
fn fuzz_regression_inputs_are_handled() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read tests/data/fuzz-regressions")
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression inputs in {dir}");
    for path in &files {
        let data = std::fs::read(path).expect("read input");
        let record = posting_enricher::fuzz_input::record_from_fuzz_input(&data);
        process(&record);
    }
}
