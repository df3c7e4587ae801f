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
