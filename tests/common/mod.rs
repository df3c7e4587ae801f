//! Shared helpers for integration tests: where the shared corpus is, and
//! the output schema.
#![allow(dead_code)] // each test binary uses a different subset

pub mod broker;
pub mod kafka;
pub mod worker;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use posting_enricher::pipeline::Pipeline;
use posting_enricher::record::RecordContext;

/// A fixed `enriched_at` so that records are reproducible.
pub const FIXED_TIME: &str = "2026-11-29T00:00:00Z";

pub fn context() -> RecordContext<'static> {
    RecordContext {
        source: None,
        enriched_at: FIXED_TIME,
    }
}

/// `../shared` beside the checkout, or `$POSTING_ENRICHER_SHARED`.
/// A missing corpus fails the test: it is never skipped.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("POSTING_ENRICHER_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    assert!(
        dir.join("corpus/linkedin-2021.jsonl.gz").is_file(),
        "the shared corpus is missing at {} (set POSTING_ENRICHER_SHARED)",
        dir.display()
    );
    dir
}

pub fn corpus_path() -> PathBuf {
    shared_dir().join("corpus/linkedin-2021.jsonl.gz")
}

/// Every line of the LinkedIn corpus, without its newline.
pub fn corpus_lines() -> Vec<Vec<u8>> {
    let file = std::fs::File::open(corpus_path()).expect("open corpus");
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
    reader
        .split(b'\n')
        .map(|l| l.expect("read corpus line"))
        .collect()
}

/// Every line of `corpus/more/*.jsonl`, with its file name and line number.
pub fn more_lines() -> Vec<(String, usize, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_dir().join("corpus/more"))
        .expect("read corpus/more")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read(&f).expect("read file");
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if !line.iter().all(u8::is_ascii_whitespace) {
                out.push((name.clone(), i + 1, line.to_vec()));
            }
        }
    }
    out
}

/// A hand-label file (`tests/data/<file>`, one JSON object per line with
/// a `source` of "corpus:<line>" or "more:<file>:<line>"): each label with
/// the record the pipeline makes of its posting.
pub fn labelled_records(file: &str) -> Vec<(serde_json::Value, serde_json::Value)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(path).expect("labels");
    let corpus = corpus_lines();
    let more: std::collections::HashMap<String, Vec<u8>> = more_lines()
        .into_iter()
        .map(|(file, line, bytes)| (format!("more:{file}:{line}"), bytes))
        .collect();
    let pipeline = pipeline();
    let ctx = context();
    text.lines()
        .map(|line| {
            let label: serde_json::Value = serde_json::from_str(line).expect("label row");
            let source = label["source"].as_str().expect("source");
            let bytes = match source.strip_prefix("corpus:") {
                Some(n) => &corpus[n.parse::<usize>().expect("line number") - 1],
                None => more
                    .get(source)
                    .unwrap_or_else(|| panic!("{source} not in corpus/more")),
            };
            let enriched = pipeline
                .process(bytes, &ctx)
                .unwrap_or_else(|r| panic!("{source}: {r:?}"));
            let record = serde_json::from_slice(&enriched.json).expect("record JSON");
            (label, record)
        })
        .collect()
}

pub fn schema() -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/enriched-posting.v1.json");
    serde_json::from_slice(&std::fs::read(path).expect("read schema")).expect("schema is JSON")
}

pub fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("schema compiles")
}

pub fn pipeline() -> Pipeline {
    Pipeline::with_defaults().expect("reference data loads")
}

/// The seed posting (../shared/seed/posting.json) enriched, as JSON.
pub fn seed_record() -> serde_json::Value {
    let seed = std::fs::read(shared_dir().join("seed/posting.json")).expect("seed");
    let e = pipeline()
        .process(&seed, &context())
        .expect("seed enriches");
    serde_json::from_slice(&e.json).expect("JSON")
}
