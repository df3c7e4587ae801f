//! The built binary, driven the way a user drives it.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posting-enricher"));
    // Keep the user's environment from changing what the tests see.
    for (k, _) in std::env::vars() {
        if k.starts_with("POSTING_ENRICHER") {
            c.env_remove(k);
        }
    }
    c
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("posting-enricher-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn sample_input() -> Vec<u8> {
    let seed = std::fs::read(common::shared_dir().join("seed/posting.json")).expect("seed");
    let mut input = Vec::new();
    input.extend_from_slice(seed.trim_ascii());
    input.extend_from_slice(b"\n{}\n\nnot json\n");
    input.extend_from_slice(b"{\"@type\":\"Organization\",\"name\":\"x\"}\n\xff\xfe\n");
    for line in common::corpus_lines().iter().take(20) {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    input
}

fn lines(out: &[u8]) -> Vec<serde_json::Value> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each output line is JSON"))
        .collect()
}

fn run_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&data));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread").expect("write stdin");
    out
}

/// `validate-config` on one file.
fn validate_config(cfg: &Path) -> Output {
    bin().arg("validate-config").arg(cfg).output().expect("run")
}

/// Fails with the command's stderr unless it exited 0.
fn assert_succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_sample_run(out: &Output, rejects: &Path) {
    assert_succeeded(out);
    let records = lines(&out.stdout);
    assert_eq!(records.len(), 1 + 20, "the seed and 20 corpus postings");
    assert_eq!(records[0]["id"], "Tesla:99253");
    let rejected = lines(&std::fs::read(rejects).expect("rejects file"));
    let got: Vec<(u64, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap_or(0),
                r["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "no_posting_fields"),
            (3, "empty"),
            (4, "invalid_json"),
            (5, "not_a_posting"),
            (6, "invalid_utf8"),
        ]
    );
    assert_eq!(rejected[2]["original"], "not json");
    assert_eq!(rejected[4]["original_base64"], "//4=");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("read 26, enriched 21, rejected 5"),
        "{stderr}"
    );
    assert!(stderr.contains("invalid_json 1"), "{stderr}");
}

/// Runs `enrich --rejects` on a file and checks the sample's results.
fn enrich_file_and_check(input: &Path, rejects_name: &str) {
    let rejects = tmp(rejects_name);
    let out = bin()
        .args(["enrich", "--rejects"])
        .arg(&rejects)
        .arg(input)
        .output()
        .expect("run");
    check_sample_run(&out, &rejects);
}

#[test]
fn enrich_a_file() {
    let input = tmp("sample.jsonl");
    std::fs::write(&input, sample_input()).expect("write input");
    enrich_file_and_check(&input, "file-rejects.jsonl");
}

#[test]
fn enrich_stdin_and_gzip() {
    let rejects = tmp("stdin-rejects.jsonl");
    let out = run_with_stdin(
        bin().args(["enrich", "--rejects"]).arg(&rejects),
        &sample_input(),
    );
    check_sample_run(&out, &rejects);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&sample_input()).expect("gzip");
    let input = tmp("sample.jsonl.gz");
    std::fs::write(&input, gz.finish().expect("gzip")).expect("write");
    enrich_file_and_check(&input, "gz-rejects.jsonl");
}

#[test]
fn output_keeps_input_order_on_all_threads_and_is_reproducible() {
    let corpus = common::corpus_path();
    let run = |threads: &str| {
        let out = bin()
            .args([
                "enrich",
                "-q",
                "--threads",
                threads,
                "--enriched-at",
                common::FIXED_TIME,
            ])
            .arg(&corpus)
            .output()
            .expect("run");
        assert!(out.status.success());
        out.stdout
    };
    let parallel = run("0");
    let single = run("1");
    assert_eq!(parallel.iter().filter(|&&b| b == b'\n').count(), 7683);
    assert!(
        parallel == single,
        "output differs between 1 thread and all cores"
    );
    // Input order: the postings come out in corpus order.
    let lines = common::corpus_lines();
    let expected_first: serde_json::Value = serde_json::from_slice(&lines[0]).expect("json");
    let first: serde_json::Value =
        serde_json::from_slice(parallel.split(|&b| b == b'\n').next().expect("line"))
            .expect("json");
    assert_eq!(first["posting"], expected_first);
    let expected_last: serde_json::Value = serde_json::from_slice(&lines[7684]).expect("json");
    let last: serde_json::Value =
        serde_json::from_slice(parallel.split(|&b| b == b'\n').nth(7682).expect("line"))
            .expect("json");
    assert_eq!(last["posting"], expected_last);
}

#[test]
fn missing_input_file_fails_with_a_message() {
    let out = bin()
        .args(["enrich", "/nonexistent/input.jsonl"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/input.jsonl"), "{stderr}");
}

/// Review finding (23rd session): the lines read before an input error
/// were still in the reader's batch and were dropped with it, so the inputs
/// before a missing or corrupt file left no output.
#[test]
fn an_input_error_keeps_the_records_of_the_lines_before_it() {
    let good = tmp("before-the-error.jsonl");
    let corpus = common::corpus_lines();
    let three: Vec<u8> = corpus[..3]
        .iter()
        .flat_map(|l| [&l[..], b"\n"].concat())
        .collect();
    std::fs::write(&good, three).expect("write input");
    let out = bin()
        .args(["enrich", "-q"])
        .arg(&good)
        .arg("/nonexistent/second.jsonl")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/second.jsonl"), "{stderr}");
    assert_eq!(lines(&out.stdout).len(), 3, "{stderr}");
}

/// Review finding (23rd session): a line was read whole before its size
/// was checked, so one line of gigabytes (an export without newlines)
/// took that much memory. A line over `decode.max_record_bytes` is now
/// skipped as it is read, rejected as `too_large` with its real size, and
/// not copied into the rejects file.
#[test]
fn a_line_over_the_size_limit_is_skipped_as_it_is_read() {
    let corpus = common::corpus_lines();
    let long = format!("{{\"description\":\"{}\"}}", "x".repeat(300_000));
    let mut input = Vec::new();
    for line in [&corpus[0][..], long.as_bytes(), &corpus[1][..]] {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    let file = tmp("one-long-line.jsonl");
    std::fs::write(&file, &input).expect("write input");
    let rejects = tmp("long-line-rejects.jsonl");
    let cfg = tmp("small-records.toml");
    std::fs::write(&cfg, "[decode]\nmax_record_bytes = 65536\n").expect("write config");
    let out = bin()
        .arg("--config")
        .arg(&cfg)
        .args(["enrich", "-q", "--rejects"])
        .arg(&rejects)
        .arg(&file)
        .output()
        .expect("run");
    assert_succeeded(&out);
    assert_eq!(lines(&out.stdout).len(), 2);
    let rejected = lines(&std::fs::read(&rejects).expect("rejects"));
    assert_eq!(rejected.len(), 1);
    let r = &rejected[0];
    assert_eq!(r["reason"], "too_large");
    assert_eq!(r["line"], 2);
    let detail = r["detail"].as_str().unwrap();
    assert!(detail.contains(&long.len().to_string()), "{detail}");
    assert!(
        r.get("original").is_none() && r.get("original_base64").is_none(),
        "{r}"
    );
}

#[test]
fn config_errors_name_key_and_file() {
    let cfg = tmp("bad.toml");
    std::fs::write(&cfg, "[decode]\nmax_record_bytez = 10\n").expect("write");
    let out = bin()
        .arg("--config")
        .arg(&cfg)
        .args(["enrich"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("max_record_bytez") && stderr.contains("bad.toml"),
        "{stderr}"
    );

    let out = validate_config(&cfg);
    assert_eq!(out.status.code(), Some(2));

    let out = bin()
        .args(["validate-config", "config/default.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run");
    assert_succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("config/default.toml: ok"));

    let out = bin()
        .args(["validate-config", "config/default.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("POSTING_ENRICHER__ENRICH__SALARY__HOURS_PER_WEEK", "many")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("POSTING_ENRICHER__ENRICH__SALARY__HOURS_PER_WEEK")
    );
}

#[test]
fn config_and_env_change_the_output() {
    let cfg = tmp("fixed.toml");
    std::fs::write(
        &cfg,
        "[output]\ninclude_posting = false\nenriched_at = \"2020-01-01T00:00:00Z\"\n",
    )
    .expect("write");
    let seed = std::fs::read(common::shared_dir().join("seed/posting.json")).expect("seed");
    let out = run_with_stdin(
        bin()
            .arg("--config")
            .arg(&cfg)
            .args(["enrich", "-q"])
            .env("POSTING_ENRICHER__ENRICH__SALARY__HOURS_PER_WEEK", "20"),
        &seed,
    );
    assert_succeeded(&out);
    let r = &lines(&out.stdout)[0];
    assert_eq!(r["posting"], serde_json::Value::Null);
    assert_eq!(r["enricher"]["enriched_at"], "2020-01-01T00:00:00Z");
}

#[test]
fn demo_accounts_for_every_sample_posting_and_exits_0() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_posting-enricher"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let figure = |label: &str| -> u64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .and_then(|rest| rest.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` line in:\n{stdout}"))
    };
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/postings.jsonl"),
    )
    .unwrap();
    let lines = sample.lines().filter(|l| !l.is_empty()).count() as u64;
    assert_eq!(figure("consumed"), lines);
    assert_eq!(figure("enriched"), lines - 2);
    assert_eq!(figure("dead-lettered"), 2);
    assert_eq!(figure("  invalid_json"), 1);
    assert_eq!(figure("  no_posting_fields"), 1);
    assert!(stdout.contains("postings/s"));
    assert!(
        stdout.contains("\"enrichment\""),
        "pretty-prints one record"
    );
    assert!(stdout.contains(&format!("http://127.0.0.1:{port}/metrics")));
}

/// `fx-rates` turns the ECB's CSV as published into a rates file the worker
/// loads (its version in `validate-config` and in every record), and
/// writes nothing from a file the worker would refuse.
#[test]
fn fx_rates_writes_what_the_worker_loads_and_refuses_what_it_would_not() {
    let ecb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ecb/eurofxref.csv");
    let out = tmp("fx-rates.toml");
    let _ = std::fs::remove_file(&out);
    let done = bin()
        .args(["fx-rates", "--from"])
        .arg(&ecb)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_succeeded(&done);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("date = \"2026-10-30\""), "{written}");
    assert!(written.contains("USD = 1.1172"), "{written}");
    assert!(
        written.contains("Source: European Central Bank"),
        "{written}"
    );

    // The worker's own check loads it and names its version.
    let config = tmp("fx-config.toml");
    std::fs::write(
        &config,
        format!("[enrich.salary]\nfx_rates_file = \"{}\"\n", out.display()),
    )
    .unwrap();
    let checked = bin().arg("validate-config").arg(&config).output().unwrap();
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{said}");
    let version = format!(
        "# fx_rates = 2026-10-30 {}",
        posting_enricher::reference::versions::content_version(written.as_bytes())
    );
    assert!(said.contains(&version), "{said}");

    // Records made with it say so.
    let input = tmp("fx-input.jsonl");
    std::fs::write(&input, sample_input()).unwrap();
    let enriched = bin()
        .arg("--config")
        .arg(&config)
        .args(["enrich", "-q"])
        .arg(&input)
        .output()
        .unwrap();
    let first = &lines(&enriched.stdout)[0];
    assert_eq!(
        first["enricher"]["reference"]["fx_rates"].as_str(),
        version.strip_prefix("# fx_rates = ")
    );

    // A broken CSV: exit 1, the file in place untouched.
    let broken = tmp("eurofxref-broken.csv");
    std::fs::write(
        &broken,
        "Date, USD, JPY, \n30 October 2026, 1.1172, -175.68, \n",
    )
    .unwrap();
    let refused = bin()
        .args(["fx-rates", "--from"])
        .arg(&broken)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("the rate for JPY is \"-175.68\""), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), written);

    // Rates without the reporting currency: refused too.
    std::fs::write(&broken, "Date, JPY, \n30 October 2026, 175.68, \n").unwrap();
    let refused = bin()
        .args(["fx-rates", "--from"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("do not quote USD"));

    // A rates file the worker cannot load: validate-config fails naming it.
    std::fs::write(&out, "date = \"2026-10-30\"\n[rates\n").unwrap();
    let checked = bin().arg("validate-config").arg(&config).output().unwrap();
    assert_eq!(checked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&checked.stderr).contains("fx_rates"));
}

/// `enrich.stages.skip`: the skipped stages' fields are null (skills
/// empty) and counted as skipped; every other field, warnings included,
/// is what a full run gives (seniority too, which reads the years of the
/// skipped experience stage); sections and geo cannot be skipped.
#[test]
fn skipped_stages_leave_their_fields_empty_and_the_rest_unchanged() {
    let input = tmp("skip-input.jsonl");
    std::fs::write(&input, sample_input()).expect("write input");
    let run = |cfg: Option<&Path>| {
        let mut cmd = bin();
        if let Some(cfg) = cfg {
            cmd.arg("--config").arg(cfg);
        }
        let out = cmd
            .args(["enrich", "--enriched-at", "2026-11-29T00:00:00Z"])
            .arg(&input)
            .output()
            .expect("run");
        assert_succeeded(&out);
        out
    };
    let full = run(None);
    let cfg = tmp("skip.toml");
    std::fs::write(
        &cfg,
        "[enrich.stages]\nskip = [\"skills\", \"experience\", \"language\"]\n",
    )
    .expect("write");
    let skipped = run(Some(&cfg));

    let skipped_fields = ["skills", "experience", "language"];
    let (full_records, skipped_records) = (lines(&full.stdout), lines(&skipped.stdout));
    assert_eq!(full_records.len(), skipped_records.len());
    let mut had_values = [0; 3];
    let mut seniority_from_years = 0;
    for (f, s) in full_records.iter().zip(&skipped_records) {
        let (f, s) = (&f["enrichment"], &s["enrichment"]);
        for (i, field) in skipped_fields.iter().enumerate() {
            let empty = if *field == "skills" {
                serde_json::json!([])
            } else {
                serde_json::Value::Null
            };
            if f[field] != empty {
                had_values[i] += 1;
            }
            assert_eq!(s[field], empty, "{field}");
        }
        if f["seniority"]["source"] == "experience" {
            seniority_from_years += 1;
        }
        let others = |e: &serde_json::Value| {
            let mut e = e.clone();
            for field in skipped_fields {
                e.as_object_mut().expect("object").remove(field);
            }
            e
        };
        assert_eq!(others(f), others(s));
    }
    assert!(
        had_values.iter().all(|&n| n > 5),
        "the full run fills each skipped field on most postings: {had_values:?}"
    );
    assert!(
        seniority_from_years > 0,
        "some seniority comes from the years, so the check above covers it"
    );
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    assert!(
        stderr.contains("language  ok 0, absent 0, failed 0, skipped 21"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&full.stderr).contains("skipped"),
        "a full run prints no skipped counts"
    );

    std::fs::write(&cfg, "[enrich.stages]\nskip = [\"geo\"]\n").expect("write");
    let out = validate_config(&cfg);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("enrich.stages.skip"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
