//! The worker on a SASL_SSL listener of Apache Kafka (SCRAM-SHA-512 over
//! TLS, with a certificate authority and a broker certificate the test
//! makes): the password comes from an environment variable and is never
//! printed; a wrong one ends the worker naming authentication once its
//! grace period is over; a credential rotated on the broker while the
//! worker retries lets it in.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::broker::SaslSsl;
use common::kafka::{
    Broker, IN, WorkerProcess, WorkerSetup, corpus_inputs, loss, produce, setup, stop_cleanly,
    topics, wait_committed_to_end_within,
};

const USER: &str = "enricher";
const PASSWORD: &str = "s3cret-Pa55word-from-env";
const PASSWORD_VAR: &str = "POSTING_ENRICHER__KAFKA__COMMON__SASL_PASSWORD";

fn sasl_broker(name: &str) -> Broker {
    let broker = Broker::start_with_sasl_ssl(
        name,
        SaslSsl {
            user: USER.into(),
            password: PASSWORD.into(),
        },
    );
    topics(&broker);
    broker
}

/// The worker's settings for the SASL_SSL listener (no password: that
/// comes from the environment).
fn sasl_settings(broker: &Broker, grace: &str) -> String {
    format!(
        "[kafka]\nauth_failure_grace = \"{grace}\"\n\n[kafka.common]\n\"security.protocol\" = \"SASL_SSL\"\n\"sasl.mechanism\" = \"SCRAM-SHA-512\"\n\"sasl.username\" = \"{USER}\"\n\"ssl.ca.location\" = \"{}\"\n",
        broker.tls.as_ref().unwrap().ca_pem.display()
    )
}

fn sasl_setup<'a>(sasl_addr: &'a str, dir: &'a std::path::Path, extra: &'a str) -> WorkerSetup<'a> {
    WorkerSetup {
        extra,
        ..setup(sasl_addr, dir)
    }
}

fn assert_not_printed(text: &str, secret: &str, what: &str) {
    assert!(!text.contains(secret), "{what} shows the password:\n{text}");
}

#[test]
fn the_worker_enriches_over_sasl_ssl_with_the_password_from_the_environment() {
    let broker = sasl_broker("sasl-ok");
    let addr = broker.addr();
    let sasl_addr = broker.sasl_addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..300]));
    let extra = sasl_settings(&broker, "2m");
    let s = sasl_setup(&sasl_addr, &broker.dir, &extra);
    let mut worker = WorkerProcess::start_with_env(&s, "w", &[(PASSWORD_VAR, PASSWORD)]);
    // Committed offsets are read over the plaintext listener.
    wait_committed_to_end_within(&worker, &addr, Duration::from_secs(120));
    let metrics = worker.metrics();
    stop_cleanly(&mut worker);
    let (_, expected, missing, _) = loss(&addr);
    assert_eq!(expected.len(), 300);
    assert_eq!(missing, 0);
    let log = std::fs::read_to_string(&worker.log).unwrap();
    assert!(log.contains("SASL_SSL"), "the effective config is logged");
    assert_not_printed(&log, PASSWORD, "the worker's log");
    assert_not_printed(&metrics, PASSWORD, "/metrics");
}

#[test]
fn a_wrong_password_exits_1_naming_authentication_without_printing_it() {
    let broker = sasl_broker("sasl-wrong");
    let sasl_addr = broker.sasl_addr();
    let extra = sasl_settings(&broker, "5s");
    let s = sasl_setup(&sasl_addr, &broker.dir, &extra);
    let wrong = "not-the-Pa55word-at-all";
    let started = Instant::now();
    let mut worker = WorkerProcess::start_with_env(&s, "w", &[(PASSWORD_VAR, wrong)]);
    let status = worker
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("still running: {}", worker.log_text()));
    let log = std::fs::read_to_string(&worker.log).unwrap();
    println!(
        "wrong password: exit {:?} after {:.1} s",
        status.code(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(status.code(), Some(1), "{}", worker.log_text());
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "gave up before its grace period"
    );
    assert!(
        log.to_lowercase().contains("authentication"),
        "the exit does not name authentication:\n{}",
        worker.log_text()
    );
    assert_not_printed(&log, wrong, "the worker's log");
}

/// A credential rotation: the worker starts with the new password before
/// the broker knows it, retries within its grace period, and gets in once
/// the broker's credential is changed.
#[test]
fn a_credential_rotated_while_the_worker_retries_lets_it_in() {
    let broker = sasl_broker("sasl-rotate");
    let addr = broker.addr();
    let sasl_addr = broker.sasl_addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..60]));
    let extra = sasl_settings(&broker, "2m");
    let s = sasl_setup(&sasl_addr, &broker.dir, &extra);
    let rotated = "rotated-Pa55word-2";
    let mut worker = WorkerProcess::start_with_env(&s, "w", &[(PASSWORD_VAR, rotated)]);
    worker.wait_until("authentication failing", Duration::from_secs(30), || {
        std::fs::read_to_string(&worker.log)
            .unwrap_or_default()
            .to_lowercase()
            .contains("authentication")
    });
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "one failed authentication ended the worker: {}",
        worker.log_text()
    );
    assert_eq!(worker.get("/health/ready").map(|r| r.0), Some(503));
    let credential = format!("SCRAM-SHA-512=[iterations=4096,password={rotated}]");
    broker.tool(
        "org.apache.kafka.tools.ConfigCommand",
        &[
            "--bootstrap-server",
            &addr,
            "--alter",
            "--add-config",
            &credential,
            "--entity-type",
            "users",
            "--entity-name",
            USER,
        ],
    );
    wait_committed_to_end_within(&worker, &addr, Duration::from_secs(120));
    stop_cleanly(&mut worker);
    let log = std::fs::read_to_string(&worker.log).unwrap();
    assert_not_printed(&log, rotated, "the worker's log");
}

/// `validate-config` with a password from the environment, and a config
/// file with a syntax error on the password's line: neither prints it.
#[test]
fn validate_config_never_prints_a_password_not_even_in_a_syntax_error() {
    let dir = common::broker::unique_dir("sasl-validate");
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "[kafka.common]\n\"security.protocol\" = \"SASL_SSL\"\n\"sasl.username\" = \"svc-user-42\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_posting-enricher"))
        .args(["validate-config"])
        .arg(&good)
        .env(PASSWORD_VAR, PASSWORD)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_not_printed(&text, PASSWORD, "validate-config");
    assert_not_printed(
        &text,
        "svc-user-42",
        "validate-config (sasl.username is sensitive)",
    );

    let broken = dir.join("broken.toml");
    std::fs::write(
        &broken,
        format!("[kafka.common]\n\"sasl.password\" = \"{PASSWORD}\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_posting-enricher"))
        .args(["validate-config"])
        .arg(&broken)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("line 2"), "the error names the line: {text}");
    assert_not_printed(&text, PASSWORD, "a TOML syntax error");
    let _ = std::fs::remove_dir_all(dir);
}
