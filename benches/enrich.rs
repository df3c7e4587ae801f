//! Criterion benches of the core on real corpus postings (every 10th line
//! of ../shared/corpus/linkedin-2021.jsonl.gz, 768 postings). Throughput is
//! reported per posting, on one thread.

use std::io::BufRead;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use posting_enricher::enrich::{
    EnrichOptions, Enricher, GeoOptions, description, geo, sections, skills,
};
use posting_enricher::pipeline::Pipeline;
use posting_enricher::posting::Location;
use posting_enricher::posting::{self, DecodeOptions};
use posting_enricher::record::RecordContext;
use posting_enricher::reference::GeoData;

fn sample() -> Vec<Vec<u8>> {
    let path = std::env::var_os("POSTING_ENRICHER_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("corpus/linkedin-2021.jsonl.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .split(b'\n')
        .map(|l| l.expect("read corpus"))
        .filter(|l| l.len() > 2)
        .step_by(10)
        .collect()
}

fn benches(c: &mut Criterion) {
    let lines = sample();
    let n = lines.len() as u64;
    let opts = DecodeOptions::default();
    let ctx = RecordContext {
        source: None,
        enriched_at: "2026-11-29T00:00:00Z",
    };
    let mut group = c.benchmark_group("core");
    group.throughput(Throughput::Elements(n));
    group.sample_size(20);

    group.bench_function("json_parse_serialize_floor", |b| {
        b.iter(|| {
            for l in &lines {
                let v: serde_json::Value = serde_json::from_slice(l).expect("json");
                std::hint::black_box(serde_json::to_vec(&v).expect("ser"));
            }
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            for l in &lines {
                let doc = posting::locate(l, &opts).expect("locate");
                std::hint::black_box(posting::parse(&doc).expect("parse").title.is_some());
            }
        })
    });
    let descriptions: Vec<String> = lines
        .iter()
        .map(|l| {
            let doc = posting::locate(l, &opts).expect("locate");
            posting::parse(&doc)
                .expect("parse")
                .description
                .unwrap_or_default()
                .into_owned()
        })
        .collect();
    group.bench_function("description_decode", |b| {
        b.iter(|| {
            for d in &descriptions {
                std::hint::black_box(description::decode(d, 256 * 1024));
            }
        })
    });
    let decoded: Vec<_> = descriptions
        .iter()
        .map(|d| description::decode(d, 256 * 1024))
        .collect();
    group.bench_function("sections_segment", |b| {
        b.iter(|| {
            for d in &decoded {
                std::hint::black_box(sections::segment(&d.lines, None, None));
            }
        })
    });
    let taxonomy = skills::Taxonomy::shared().expect("skills taxonomy");
    let segmented: Vec<_> = decoded
        .iter()
        .map(|d| (sections::segment(&d.lines, None, None), d.plain_text()))
        .collect();
    group.bench_function("skills", |b| {
        b.iter(|| {
            for (s, text) in &segmented {
                std::hint::black_box(taxonomy.skills(s, text, None));
            }
        })
    });
    // Issue #3's figure: decode + parse + segment + classify + skills.
    group.bench_function("sections", |b| {
        b.iter(|| {
            for d in &descriptions {
                let decoded = description::decode(d, 256 * 1024);
                let text = decoded.plain_text();
                let s = sections::segment(&decoded.lines, None, None);
                std::hint::black_box(taxonomy.skills(&s, &text, None));
            }
        })
    });
    let data = GeoData::shared().expect("reference data");
    let locations: Vec<Location> = lines
        .iter()
        .flat_map(|l| {
            let doc = posting::locate(l, &opts).expect("locate");
            posting::parse(&doc).expect("parse").locations
        })
        .collect();
    let geo_opts = GeoOptions::default();
    group.bench_function("geo", |b| {
        b.iter(|| {
            for loc in &locations {
                std::hint::black_box(geo::run(
                    &data,
                    &geo_opts,
                    std::slice::from_ref(loc),
                    Some("2021-08-21T04:00:20.000Z"),
                ));
            }
        })
    });
    print_geo_percentiles(&data, &geo_opts, &locations);
    let enricher = Enricher::with_shared_data(EnrichOptions::default()).expect("reference data");
    group.bench_function("decode_enrich", |b| {
        b.iter(|| {
            for l in &lines {
                let doc = posting::locate(l, &opts).expect("locate");
                let view = posting::parse(&doc).expect("parse");
                std::hint::black_box(enricher.enrich(&view));
            }
        })
    });
    let pipeline = Pipeline::with_defaults().expect("reference data");
    group.bench_function("pipeline_process", |b| {
        b.iter(|| {
            for l in &lines {
                std::hint::black_box(pipeline.process(l, &ctx).expect("enriched"));
            }
        })
    });
    group.finish();
}

/// Criterion reports means; the geo targets are per-location percentiles,
/// so time each lookup on its own (5 rounds over the sample) and print them.
fn print_geo_percentiles(data: &GeoData, opts: &GeoOptions, locations: &[Location]) {
    let mut ns: Vec<u128> = Vec::with_capacity(locations.len() * 5);
    for _ in 0..5 {
        for loc in locations {
            let t = std::time::Instant::now();
            std::hint::black_box(geo::run(
                data,
                opts,
                std::slice::from_ref(loc),
                Some("2021-08-21T04:00:20.000Z"),
            ));
            ns.push(t.elapsed().as_nanos());
        }
    }
    ns.sort_unstable();
    let pct = |p: f64| ns[((ns.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!(
        "geo per location over {} lookups: p50 {:.2} us, p90 {:.2} us, p99 {:.2} us, max {:.2} us; reference data load {:?}",
        ns.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
        data.load_time
    );
}

criterion_group!(core, benches);
criterion_main!(core);
