//! The `/metrics` exposition parses as Prometheus text format, with every
//! label value the worker knows in advance already present.

use posting_enricher::enrich::{Outcomes, Stage, StageOutcome, WarningCode};
use posting_enricher::telemetry::Metrics;

#[test]
fn metrics_parse_as_prometheus_text_format() {
    let m = Metrics::new();
    m.init_topics(&["postings.raw".to_string()]);
    m.consumed.with_label_values(&["postings.raw"]).inc_by(3);
    m.record_outcomes(
        &Outcomes::default()
            .with(Stage::Sections, StageOutcome::Ok)
            .with(Stage::Skills, StageOutcome::Ok)
            .with(Stage::Salary, StageOutcome::Failed),
        &[WarningCode::ALL[0]],
    );
    m.processing_seconds.observe(0.004);
    m.consumer_lag
        .with_label_values(&["postings.raw", "0"])
        .set(12);
    let text = String::from_utf8(m.render()).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("valid Prometheus text format");
    assert!(
        scrape.samples.len() > 50,
        "{} samples",
        scrape.samples.len()
    );
    let value = |name: &str, label: (&str, &str)| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && s.labels.get(label.0) == Some(label.1))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        value(
            "posting_enricher_records_consumed_total",
            ("topic", "postings.raw")
        ),
        Some(3.0)
    );
    assert_eq!(
        value("posting_enricher_consumer_lag_records", ("partition", "0")),
        Some(12.0)
    );
    assert!(
        value(
            "posting_enricher_enrichment_outcomes_total",
            ("outcome", "failed")
        )
        .is_some()
    );
    for s in &scrape.samples {
        assert!(
            s.metric.starts_with("posting_enricher_") || s.metric.starts_with("process_"),
            "{}",
            s.metric
        );
    }
    assert!(
        scrape.docs.values().all(|help| !help.is_empty()),
        "every metric has help text"
    );
    for process in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
    ] {
        assert!(
            scrape.samples.iter().any(|s| s.metric == process),
            "{process}"
        );
    }
}

#[path = "common/latency.rs"]
mod latency;

/// The e2e bench reads the worker's latency quantiles from this histogram:
/// its reading must find the buckets and land each quantile in the bucket
/// that holds it, and exact samples counted into the same bounds must give
/// the same estimate.
#[test]
fn latency_quantiles_are_read_from_the_processing_histogram() {
    let m = Metrics::new();
    // 90 records at 4 ms, 9 at 40 ms, 1 at 400 ms.
    let samples: Vec<f64> = std::iter::repeat_n(0.004, 90)
        .chain(std::iter::repeat_n(0.04, 9))
        .chain([0.4])
        .collect();
    for s in &samples {
        m.processing_seconds.observe(*s);
    }
    let text = String::from_utf8(m.render()).unwrap();
    let buckets = latency::histogram_buckets(&text, "posting_enricher_processing_seconds");
    assert!(buckets.len() > 10, "{buckets:?}");
    assert_eq!(buckets.last(), Some(&(f64::INFINITY, 100.0)));
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
    );

    let p50 = latency::bucket_quantile(&buckets, 0.5);
    let p99 = latency::bucket_quantile(&buckets, 0.99);
    assert!((0.0025..=0.005).contains(&p50), "p50 {p50}");
    assert!((0.025..=0.05).contains(&p99), "p99 {p99}");
    assert!(latency::bucket_quantile(&buckets, 1.0) >= 0.25);

    let counted = latency::into_buckets(&samples, &buckets);
    assert_eq!(counted, buckets);
    assert_eq!(latency::exact_quantile(&samples, 0.5), 0.004);
    assert_eq!(latency::exact_quantile(&samples, 0.99), 0.04);
    assert_eq!(latency::exact_quantile(&samples, 1.0), 0.4);
}

/// The e2e bench's CPU reading: it grows while this process computes, and
/// a process that does not exist reads as zero.
#[test]
fn cpu_seconds_grow_while_the_process_computes() {
    let pid = std::process::id();
    let start = latency::cpu_seconds(pid);
    let began = std::time::Instant::now();
    let mut x = 0u64;
    while latency::cpu_seconds(pid) - start < 0.05 {
        for i in 0..100_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert!(
            began.elapsed() < std::time::Duration::from_secs(30),
            "no CPU time counted after 30 s of computing"
        );
    }
    assert_eq!(latency::cpu_seconds(u32::MAX), 0.0);
}
