//! The `/metrics` exposition parses as Prometheus text format, with every
//! label value the worker knows in advance already present.

use posting_enricher::enrich::{Outcomes, StageOutcome, WarningCode};
use posting_enricher::telemetry::Metrics;

#[test]
fn metrics_parse_as_prometheus_text_format() {
    let m = Metrics::new();
    m.init_topics(&["postings.raw".to_string()]);
    m.consumed.with_label_values(&["postings.raw"]).inc_by(3);
    m.record_outcomes(
        &Outcomes {
            sections: StageOutcome::Ok,
            skills: StageOutcome::Ok,
            geo: StageOutcome::Absent,
            salary: StageOutcome::Failed,
        },
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
