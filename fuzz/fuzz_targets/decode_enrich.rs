//! Decode + enrich + record encoding on hostile input: any panic, hang or
//! sanitizer report is a bug. Inputs are shaped by
//! `posting_enricher::fuzz_input` (raw record, or one field of a posting).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use posting_enricher::fuzz_input::record_from_fuzz_input;
use posting_enricher::pipeline::Pipeline;
use posting_enricher::record::RecordContext;

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| Pipeline::with_defaults().expect("reference data loads"))
}

fuzz_target!(|data: &[u8]| {
    let record = record_from_fuzz_input(data);
    let ctx = RecordContext {
        source: None,
        enriched_at: "2026-11-29T00:00:00Z",
    };
    // Enriched or rejected with a reason: both fine; a panic is not.
    let _ = pipeline().process(&record, &ctx);
});
