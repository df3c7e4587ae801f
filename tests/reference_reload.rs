//! Reference data reloaded while the worker runs (issue #26), against
//! Apache Kafka: records made before and after an FX rates file changes
//! carry the old and the new rates and versions, a broken file leaves the
//! old rates in use and is counted, SIGHUP reloads when the interval is
//! off, and no record mixes versions.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use common::kafka::{
    Broker, IN, OUT, WorkerProcess, WorkerSetup, corpus_inputs, produce, read_all, setup, topics,
};
use posting_enricher::reference::versions::content_version;
use rdkafka::Message;

const RATES: &str = include_str!("../config/fx-rates.toml");

/// The shipped rates file with USD per euro set to `usd`, dated `date`.
fn rates(date: &str, usd: &str) -> String {
    RATES
        .lines()
        .map(|l| {
            if l.starts_with("date = ") {
                format!("date = \"{date}\"")
            } else if l.starts_with("USD = ") {
                format!("USD = {usd}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replaces `path` the way a refresh job does: a new file renamed over it.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// `n` postings paid 100,000 EUR a year, numbered from `from`.
fn postings(from: usize, n: usize) -> Vec<Vec<u8>> {
    (from..from + n)
        .map(|i| {
            format!(
                r#"{{"@type":"JobPosting","identifier":"fx-{i}","title":"Engineer {i}","description":"Build things.","baseSalary":{{"@type":"MonetaryAmount","currency":"EUR","value":{{"@type":"QuantitativeValue","value":100000,"unitText":"YEAR"}}}}}}"#
            )
            .into_bytes()
        })
        .collect()
}

fn produce_postings(addr: &str, values: &[Vec<u8>]) {
    produce(addr, IN, &corpus_inputs(values));
}

/// Per record: (its title's number, the rates' version, the rate date its
/// salary says it used, the reporting mid in USD).
fn records(addr: &str, want: usize) -> Vec<(usize, String, String, f64)> {
    let read = read_all(addr, OUT, want, Duration::from_secs(60));
    assert_eq!(read.len(), want, "records read");
    let mut out: Vec<(usize, String, String, f64)> = read
        .iter()
        .map(|m| {
            let r: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let title = r["posting"]["title"].as_str().unwrap();
            let n = title.trim_start_matches("Engineer ").parse().unwrap();
            let reporting = &r["enrichment"]["salary"]["reporting"];
            (
                n,
                r["enricher"]["reference"]["fx_rates"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                reporting["rate_date"].as_str().unwrap_or("").to_string(),
                reporting["mid"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    out.sort_by_key(|r| r.0);
    out
}

/// The version `/metrics` shows for the rates.
fn fx_version_shown(worker: &WorkerProcess) -> Option<String> {
    worker.metrics().lines().find_map(|l| {
        let rest =
            l.strip_prefix("posting_enricher_reference_info{file=\"fx_rates\",version=\"")?;
        Some(rest.split('"').next()?.to_string())
    })
}

/// The rates files written in a test, by the version a record names: what
/// each record's figure must have been made with.
#[derive(Default)]
struct Written(HashMap<String, f64>);

impl Written {
    /// `rates(date, usd)`, remembered by its version.
    fn rates(&mut self, date: &str, usd: &str) -> String {
        let text = rates(date, usd);
        let version = format!("{date} {}", content_version(text.as_bytes()));
        self.0.insert(version, usd.parse().unwrap());
        text
    }
}

/// Every record was made wholly with one of the files written: its figure
/// is the one that file's rate gives, and its rate date is that file's.
fn assert_unmixed(written: &Written, records: &[(usize, String, String, f64)]) {
    for (n, version, rate_date, mid) in records {
        let usd = written
            .0
            .get(version)
            .unwrap_or_else(|| panic!("record {n}: version {version} of no file written"));
        assert!(
            version.starts_with(&format!("{rate_date} sha256:")),
            "record {n}: version {version} with rate date {rate_date}"
        );
        assert_eq!(
            mid.round(),
            (100_000.0 * usd).round(),
            "record {n}: {version}"
        );
    }
}

/// The worker is running, ready, and stopped nothing.
fn assert_unharmed(worker: &mut WorkerProcess) {
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "{}",
        worker.log_text()
    );
    assert_eq!(worker.get("/health/ready").map(|r| r.0), Some(200));
    assert_eq!(worker.metric("posting_enricher_stopped_partitions"), 0.0);
    assert_eq!(
        worker.metric("posting_enricher_records_dead_lettered_total"),
        0.0
    );
}

/// A broker, a rates file (the shipped rates) and a worker reading it,
/// checking every `reload_interval`.
struct Running {
    broker: Broker,
    addr: String,
    fx: std::path::PathBuf,
    written: Written,
    worker: WorkerProcess,
}

fn start(name: &str, reload_interval: &str) -> Running {
    let broker = Broker::start(name);
    topics(&broker);
    let addr = broker.addr();
    let fx = broker.dir.join("fx-rates.toml");
    let mut written = Written::default();
    std::fs::write(&fx, written.rates("2026-10-30", "1.1172")).unwrap();
    let extra = format!(
        "[enrich.salary]\nfx_rates_file = \"{}\"\n[reference]\nreload_interval = \"{reload_interval}\"\n",
        fx.display()
    );
    let s = WorkerSetup {
        extra: &extra,
        ..setup(&addr, &broker.dir)
    };
    let worker = WorkerProcess::start(&s, "w");
    Running {
        broker,
        addr,
        fx,
        written,
        worker,
    }
}

#[test]
fn changed_rates_are_used_for_later_records_and_a_broken_file_is_not() {
    let Running {
        broker: _broker,
        addr,
        fx,
        mut written,
        mut worker,
    } = start("fx-reload", "1s");
    produce_postings(&addr, &postings(0, 30));
    let before = records(&addr, 30);
    assert!(before.iter().all(|r| r.2 == "2026-10-30"), "{before:?}");
    let old_version = before[0].1.clone();
    assert_eq!(fx_version_shown(&worker), Some(old_version.clone()));

    // A new day's rates: in use from the next check on.
    replace(&fx, &written.rates("2026-11-02", "1.2"));
    worker.wait_until("the new rates in use", Duration::from_secs(30), || {
        fx_version_shown(&worker).is_some_and(|v| v.starts_with("2026-11-02 "))
    });
    assert_eq!(
        worker.metric("posting_enricher_reference_reloads_total"),
        1.0
    );
    produce_postings(&addr, &postings(30, 30));
    let all = records(&addr, 60);
    assert_unmixed(&written, &all);
    assert!(all[..30].iter().all(|r| r.1 == old_version));
    assert!(all[30..].iter().all(|r| r.2 == "2026-11-02"));

    // A broken file: the rates in use stay, the failure is counted once.
    replace(&fx, &rates("2026-11-03", "-1.3"));
    worker.wait_until("the failure counted", Duration::from_secs(30), || {
        worker.metric("posting_enricher_reference_reload_failures_total") >= 1.0
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        worker.metric("posting_enricher_reference_reload_failures_total"),
        1.0,
        "a bad file is counted once, not at every check"
    );
    assert_eq!(
        worker.metric("posting_enricher_reference_reload_failing"),
        1.0
    );
    assert!(fx_version_shown(&worker).is_some_and(|v| v.starts_with("2026-11-02 ")));
    produce_postings(&addr, &postings(60, 30));
    let all = records(&addr, 90);
    assert_unmixed(&written, &all);
    assert!(all[60..].iter().all(|r| r.2 == "2026-11-02"));
    let log = std::fs::read_to_string(&worker.log).unwrap();
    assert_eq!(
        log.matches("a reference file did not load").count(),
        1,
        "logged once: {log}"
    );
    assert_unharmed(&mut worker);

    // Fixed: loaded at the next check, and no longer failing.
    replace(&fx, &written.rates("2026-11-03", "1.3"));
    worker.wait_until("the fixed rates in use", Duration::from_secs(30), || {
        fx_version_shown(&worker).is_some_and(|v| v.starts_with("2026-11-03 "))
    });
    assert_eq!(
        worker.metric("posting_enricher_reference_reload_failing"),
        0.0
    );
}

/// Records are produced without a pause while the rates change four
/// times: each record's figure is the one its named rates give.
#[test]
fn no_record_mixes_rates_while_they_change_under_load() {
    let Running {
        broker: _broker,
        addr,
        fx,
        mut written,
        mut worker,
    } = start("fx-load", "1s");
    const BATCHES: usize = 40;
    const EACH: usize = 50;
    let producer = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            for b in 0..BATCHES {
                produce_postings(&addr, &postings(b * EACH, EACH));
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };
    for (i, usd) in ["1.2", "1.25", "1.3", "1.35"].iter().enumerate() {
        std::thread::sleep(Duration::from_millis(1300));
        replace(&fx, &written.rates(&format!("2026-11-0{}", i + 2), usd));
    }
    producer.join().unwrap();
    let all = records(&addr, BATCHES * EACH);
    assert_unmixed(&written, &all);
    let versions: std::collections::HashSet<&str> = all.iter().map(|r| r.1.as_str()).collect();
    println!(
        "{} records, {} versions of the rates among them, {} reloads",
        all.len(),
        versions.len(),
        worker.metric("posting_enricher_reference_reloads_total")
    );
    assert!(
        versions.len() >= 3,
        "the rates changed while records were made: {versions:?}"
    );
    assert_unharmed(&mut worker);
}

#[test]
fn sighup_reloads_when_the_interval_is_off() {
    let Running {
        broker: _broker,
        addr,
        fx,
        mut written,
        mut worker,
    } = start("fx-sighup", "0s");
    produce_postings(&addr, &postings(0, 10));
    records(&addr, 10);
    replace(&fx, &written.rates("2026-11-03", "1.3"));
    // No checks without the signal: still the old rates.
    std::thread::sleep(Duration::from_secs(3));
    produce_postings(&addr, &postings(10, 10));
    let all = records(&addr, 20);
    assert!(all.iter().all(|r| r.2 == "2026-10-30"), "{all:?}");
    worker.signal("-HUP");
    worker.wait_until("the new rates in use", Duration::from_secs(30), || {
        fx_version_shown(&worker).is_some_and(|v| v.starts_with("2026-11-03 "))
    });
    produce_postings(&addr, &postings(20, 10));
    let all = records(&addr, 30);
    assert_unmixed(&written, &all);
    assert!(all[20..].iter().all(|r| r.2 == "2026-11-03"));
    assert_unharmed(&mut worker);
}
