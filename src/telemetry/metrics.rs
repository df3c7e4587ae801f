//! Every metric the worker exports, defined in one place with its help text.
//! Prometheus conventions: one prefix (`posting_enricher_`), base units
//! (seconds, bytes), `_total` for counters.

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::enrich::{Outcomes, Stage, StageOutcome, WarningCode};
use crate::posting::RejectReason;

pub use crate::enrich::STAGES;

pub struct Metrics {
    registry: Registry,
    pub consumed: IntCounterVec,
    pub produced: IntCounterVec,
    pub dead_lettered: IntCounterVec,
    pub outcomes: IntCounterVec,
    pub warnings: IntCounterVec,
    pub processing_seconds: Histogram,
    pub enrichment_seconds: Histogram,
    pub in_flight: IntGauge,
    pub in_flight_bytes: IntGauge,
    pub assigned_partitions: IntGauge,
    pub stopped_partitions: IntGauge,
    pub rebalances: IntCounterVec,
    pub commits: IntCounter,
    pub commit_failures: IntCounter,
    pub delivery_failures: IntCounterVec,
    pub delivery_retries: IntCounter,
    pub transactions_aborted: IntCounter,
    pub producer_renewals: IntCounter,
    pub transaction_open_records: IntGauge,
    pub transaction_open_bytes: IntGauge,
    pub broker_up: IntGauge,
    pub consumer_lag: IntGaugeVec,
    pub ready: IntGauge,
    pub start_time: Gauge,
    pub reference_info: IntGaugeVec,
    pub reference_reloads: IntCounter,
    pub reference_reload_failures: IntCounterVec,
    pub reference_reload_failing: IntGaugeVec,
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let metric = IntCounter::new(name, help).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let metric = IntGauge::new(name, help).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

fn histogram(registry: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    let metric = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
        .expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

/// 10 µs to ~40 s in steps of about ×2.5: resolves the core's microseconds
/// and a broker's seconds in one histogram.
fn latency_buckets() -> Vec<f64> {
    let mut buckets = Vec::new();
    let mut b = 1e-5;
    while b < 60.0 {
        buckets.push(b);
        buckets.push(b * 2.5);
        buckets.push(b * 5.0);
        b *= 10.0;
    }
    buckets
}

impl Metrics {
    /// The metric definitions are constants: a failure to build one is a
    /// programming error caught by the tests, never a data-path panic.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let r = &registry;
        let m = Metrics {
            consumed: counter_vec(
                r,
                "posting_enricher_records_consumed_total",
                "Records consumed from the input topics.",
                &["topic"],
            ),
            produced: counter_vec(
                r,
                "posting_enricher_records_produced_total",
                "Enriched records acknowledged by the broker, by input topic.",
                &["topic"],
            ),
            dead_lettered: counter_vec(
                r,
                "posting_enricher_records_dead_lettered_total",
                "Dead-letter records acknowledged by the broker, by input topic and reason code.",
                &["topic", "reason"],
            ),
            outcomes: counter_vec(
                r,
                "posting_enricher_enrichment_outcomes_total",
                "Enrichment outcome per stage (ok: a result; absent: nothing to work from; failed: input that could not be used; skipped: switched off by enrich.stages.skip).",
                &["stage", "outcome"],
            ),
            warnings: counter_vec(
                r,
                "posting_enricher_enrichment_warnings_total",
                "Warnings on enriched records, by code.",
                &["code"],
            ),
            processing_seconds: histogram(
                r,
                "posting_enricher_processing_seconds",
                "Time from consuming a record to the broker acknowledging its output.",
                latency_buckets(),
            ),
            enrichment_seconds: histogram(
                r,
                "posting_enricher_enrichment_seconds",
                "Core time per record: decode, enrich and encode.",
                latency_buckets(),
            ),
            in_flight: gauge(
                r,
                "posting_enricher_in_flight_records",
                "Records consumed and not yet acknowledged by the broker.",
            ),
            in_flight_bytes: gauge(
                r,
                "posting_enricher_in_flight_bytes",
                "Bytes of the records handed to the producer and not yet acknowledged (bounded by worker.max_in_flight_bytes).",
            ),
            assigned_partitions: gauge(
                r,
                "posting_enricher_assigned_partitions",
                "Input partitions assigned to this worker.",
            ),
            stopped_partitions: gauge(
                r,
                "posting_enricher_stopped_partitions",
                "Partitions stopped after a delivery failed delivery_retries times; tried again after worker.stopped_partition_retry (need attention).",
            ),
            rebalances: counter_vec(
                r,
                "posting_enricher_rebalances_total",
                "Consumer group rebalance events by kind (assign, revoke, lost, error).",
                &["kind"],
            ),
            commits: counter(
                r,
                "posting_enricher_commits_total",
                "Offset commits made: synchronous ones acknowledged by the group coordinator, asynchronous ones sent (their outcome is not reported; offsets are re-sent every 5 s).",
            ),
            commit_failures: counter(
                r,
                "posting_enricher_commit_failures_total",
                "Offset commits that failed (re-sent at the next interval).",
            ),
            delivery_failures: counter_vec(
                r,
                "posting_enricher_delivery_failures_total",
                "Produce requests that failed, by librdkafka error.",
                &["error"],
            ),
            delivery_retries: counter(
                r,
                "posting_enricher_delivery_retries_total",
                "Times a partition was read again from a failed delivery (that record and those after it are sent again, in order).",
            ),
            transactions_aborted: counter(
                r,
                "posting_enricher_transactions_aborted_total",
                "Exactly-once: transactions aborted (their records are read again).",
            ),
            producer_renewals: counter(
                r,
                "posting_enricher_producer_renewals_total",
                "Exactly-once: transactional producers replaced by a new one after an abort (its sequences start afresh).",
            ),
            transaction_open_records: gauge(
                r,
                "posting_enricher_transaction_open_records",
                "Exactly-once: input records in the open transaction (produced, not yet committed).",
            ),
            transaction_open_bytes: gauge(
                r,
                "posting_enricher_transaction_open_bytes",
                "Exactly-once: bytes of the records written in the open transaction (a transaction commits once they reach worker.max_in_flight_bytes).",
            ),
            broker_up: gauge(
                r,
                "posting_enricher_broker_up",
                "1 while at least one broker connection is up, else 0.",
            ),
            consumer_lag: {
                let g = IntGaugeVec::new(
                    Opts::new(
                        "posting_enricher_consumer_lag_records",
                        "Records between the committed offset and the end of each assigned partition (librdkafka statistics).",
                    ),
                    &["topic", "partition"],
                )
                .expect("valid metric");
                r.register(Box::new(g.clone()))
                    .expect("metric registered once");
                g
            },
            ready: gauge(
                r,
                "posting_enricher_ready",
                "1 when the worker is ready (connected, assigned or waiting for an assignment, not shutting down).",
            ),
            start_time: {
                let g = Gauge::new(
                    "posting_enricher_start_time_seconds",
                    "Start time of the process since the Unix epoch.",
                )
                .expect("valid metric");
                r.register(Box::new(g.clone()))
                    .expect("metric registered once");
                g
            },
            reference_info: {
                let g = IntGaugeVec::new(
                    Opts::new(
                        "posting_enricher_reference_info",
                        "The version of each reference data set in use (enricher.reference in the records); the value is always 1.",
                    ),
                    &["file", "version"],
                )
                .expect("valid metric");
                r.register(Box::new(g.clone()))
                    .expect("metric registered once");
                g
            },
            reference_reloads: counter(
                r,
                "posting_enricher_reference_reloads_total",
                "Reference data reloaded after a configured file changed.",
            ),
            reference_reload_failures: counter_vec(
                r,
                "posting_enricher_reference_reload_failures_total",
                "Changed reference files that did not load (the data in use stays), once per bad content.",
                &["file"],
            ),
            reference_reload_failing: {
                let g = IntGaugeVec::new(
                    Opts::new(
                        "posting_enricher_reference_reload_failing",
                        "1 while a configured reference file on disk does not load (the data in use is older than the file), else 0.",
                    ),
                    &["file"],
                )
                .expect("valid metric");
                r.register(Box::new(g.clone()))
                    .expect("metric registered once");
                g
            },
            registry,
        };
        for file in [crate::enrich::FX_RATES, crate::enrich::SKILLS] {
            m.reference_reload_failures.with_label_values(&[file]);
            m.reference_reload_failing.with_label_values(&[file]);
        }
        let info = IntGaugeVec::new(
            Opts::new(
                "posting_enricher_build_info",
                "Build facts; the value is always 1.",
            ),
            &["version", "rustc", "librdkafka", "schema_version"],
        )
        .expect("valid metric");
        info.with_label_values(&[
            crate::record::ENRICHER_VERSION,
            env!("POSTING_ENRICHER_RUSTC"),
            &rdkafka::util::get_rdkafka_version().1,
            &crate::record::SCHEMA_VERSION.to_string(),
        ])
        .set(1);
        let _ = m.registry.register(Box::new(info));
        #[cfg(target_os = "linux")]
        {
            let _ = m.registry.register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ));
        }
        // Every label value known in advance is exported from the start, so
        // dashboards and alerts see zeros rather than gaps.
        for stage in Stage::ALL {
            for outcome in StageOutcome::ALL {
                if outcome != StageOutcome::Skipped || stage.can_skip() {
                    m.outcomes
                        .with_label_values(&[stage.name(), outcome.as_str()]);
                }
            }
        }
        for code in WarningCode::ALL {
            m.warnings.with_label_values(&[code.as_str()]);
        }
        if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            m.start_time.set(now.as_secs_f64());
        }
        m
    }

    /// Pre-creates the per-topic series of the input topics.
    pub fn init_topics(&self, topics: &[String]) {
        for topic in topics {
            self.consumed.with_label_values(&[topic]);
            self.produced.with_label_values(&[topic]);
            for reason in RejectReason::ALL {
                self.dead_lettered
                    .with_label_values(&[topic, reason.code()]);
            }
        }
    }

    /// Shows `new` as the reference data in use instead of `old`: the new
    /// series first, then the old ones removed, so no scrape sees none.
    pub fn set_reference(
        &self,
        old: Option<&crate::reference::versions::ReferenceVersions>,
        new: &crate::reference::versions::ReferenceVersions,
    ) {
        for (file, version) in new.entries() {
            self.reference_info
                .with_label_values(&[file, version.as_str()])
                .set(1);
        }
        for (file, version) in old.map(|o| o.entries()).unwrap_or_default() {
            if new.get(file) != Some(version.as_str()) {
                let _ = self
                    .reference_info
                    .remove_label_values(&[file, version.as_str()]);
            }
        }
    }

    pub fn record_outcomes(&self, outcomes: &Outcomes, warnings: &[WarningCode]) {
        for (stage, outcome) in outcomes.by_stage() {
            self.outcomes
                .with_label_values(&[stage, outcome.as_str()])
                .inc();
        }
        for code in warnings {
            self.warnings.with_label_values(&[code.as_str()]).inc();
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * 1024);
        // Encoding into a Vec cannot fail on I/O; a failure would mean an
        // invalid metric, which the tests rule out.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_the_prefix_and_help_and_renders() {
        let m = Metrics::new();
        m.init_topics(&["in".to_string()]);
        m.consumed.with_label_values(&["in"]).inc();
        let text = String::from_utf8(m.render()).unwrap();
        for line in text.lines().filter(|l| l.starts_with("# HELP ")) {
            let name = line.split_whitespace().nth(2).unwrap();
            assert!(
                name.starts_with("posting_enricher_") || name.starts_with("process_"),
                "{name}"
            );
        }
        let mut names = Vec::new();
        for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let mut parts = line.split_whitespace().skip(2);
            let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
            assert_eq!(kind == "counter", name.ends_with("_total"), "{line}");
            if name.starts_with("posting_enricher_") {
                names.push(name.to_string());
                // Base units in names: seconds, bytes, or counts.
                assert!(!name.contains("_ms") && !name.contains("millis"), "{name}");
                if kind == "histogram" {
                    assert!(name.ends_with("_seconds"), "{name}");
                }
            }
        }
        names.sort();
        assert_eq!(
            names,
            [
                "posting_enricher_assigned_partitions",
                "posting_enricher_broker_up",
                "posting_enricher_build_info",
                "posting_enricher_commit_failures_total",
                "posting_enricher_commits_total",
                "posting_enricher_delivery_retries_total",
                "posting_enricher_enrichment_outcomes_total",
                "posting_enricher_enrichment_seconds",
                "posting_enricher_enrichment_warnings_total",
                "posting_enricher_in_flight_bytes",
                "posting_enricher_in_flight_records",
                "posting_enricher_processing_seconds",
                "posting_enricher_producer_renewals_total",
                "posting_enricher_ready",
                "posting_enricher_records_consumed_total",
                "posting_enricher_records_dead_lettered_total",
                "posting_enricher_records_produced_total",
                "posting_enricher_reference_reload_failing",
                "posting_enricher_reference_reload_failures_total",
                "posting_enricher_reference_reloads_total",
                "posting_enricher_start_time_seconds",
                "posting_enricher_stopped_partitions",
                "posting_enricher_transaction_open_bytes",
                "posting_enricher_transaction_open_records",
                "posting_enricher_transactions_aborted_total",
            ],
            "vectors without a series yet are not exposed"
        );
        assert!(text.contains("posting_enricher_records_consumed_total{topic=\"in\"} 1"));
        assert!(text.contains(
            "posting_enricher_records_dead_lettered_total{reason=\"no_posting_fields\",topic=\"in\"} 0"
        ));
        assert!(text.contains("posting_enricher_build_info{"));
        assert!(text.contains(
            "posting_enricher_enrichment_outcomes_total{outcome=\"failed\",stage=\"salary\"} 0"
        ));
    }

    #[test]
    fn latency_buckets_resolve_microseconds_to_seconds() {
        let b = latency_buckets();
        assert!(b.first().is_some_and(|&x| x <= 1e-5));
        assert!(b.last().is_some_and(|&x| x >= 30.0));
        assert!(b.windows(2).all(|w| w[0] < w[1]));
    }
}
