//! The offline runner behind `posting-enricher enrich`: JSON Lines from
//! files (plain or gzip, detected by content) or stdin, through the same
//! [`Pipeline`] as the Kafka worker, to stdout in input order.
//!
//! One reader thread cuts the input into batches; each batch is enriched on
//! all cores (rayon keeps the order) and written before the next one. Not
//! for: anything Kafka.

mod summary;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Instant, SystemTime};

use base64::Engine as _;
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use serde::Serialize;

use crate::pipeline::{Enriched, Pipeline};
use crate::posting::Rejection;
use crate::record::RecordContext;
pub use summary::Summary;

/// Where input lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// `-` is stdin; anything else a file path.
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::File(PathBuf::from(arg))
        }
    }

    fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }

    fn open(&self) -> io::Result<Box<dyn BufRead + Send>> {
        let raw: Box<dyn Read + Send> = match self {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(p) => Box::new(File::open(p).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", p.display()))
            })?),
        };
        let mut buffered = BufReader::with_capacity(256 * 1024, raw);
        // gzip by its magic bytes, whatever the file is called.
        let is_gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        Ok(if is_gzip {
            Box::new(BufReader::with_capacity(
                256 * 1024,
                MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        })
    }
}

/// How the offline run behaves (not how records are enriched).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads for enrichment; 0 means one per core.
    pub threads: usize,
    /// Lines enriched together; bigger batches amortize thread hand-off.
    pub batch_lines: usize,
    /// Fixed `enriched_at`; `None` stamps each batch with the current time.
    pub enriched_at: Option<String>,
    /// Print a progress line to stderr after each batch.
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 0,
            batch_lines: 256,
            enriched_at: None,
            progress: false,
        }
    }
}

struct Line {
    input: usize,
    number: u64,
    bytes: Vec<u8>,
}

/// One rejected input line, as written to the rejects file.
#[derive(Serialize)]
struct RejectLine<'a> {
    input: &'a str,
    line: u64,
    reason: &'static str,
    detail: &'a str,
    /// The original line, when it is valid UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    original: Option<&'a str>,
    /// The original bytes, base64, when they are not valid UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    original_base64: Option<String>,
}

/// Runs the pipeline over `inputs`, writing records to `out` and rejected
/// lines to `rejects`. Input and output errors end the run; bad records
/// never do.
pub fn run(
    inputs: &[Input],
    pipeline: &Pipeline,
    out: &mut dyn Write,
    mut rejects: Option<&mut dyn Write>,
    opts: &RunOptions,
) -> io::Result<Summary> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .thread_name(|i| format!("enrich-{i}"))
        .build()
        .map_err(io::Error::other)?;
    let names: Vec<String> = inputs.iter().map(Input::name).collect();
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<Line>>>(2);
    let batch_lines = opts.batch_lines.max(1);
    let reader_inputs = inputs.to_vec();
    let reader = std::thread::Builder::new()
        .name("read".into())
        .spawn(move || read_batches(&reader_inputs, batch_lines, &tx))?;

    let mut summary = Summary::default();
    let mut line_out = Vec::with_capacity(64 * 1024);
    for batch in rx {
        let batch = batch?;
        let stamp = match &opts.enriched_at {
            Some(fixed) => fixed.clone(),
            None => humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        };
        let context = RecordContext {
            source: None,
            enriched_at: &stamp,
        };
        let results: Vec<Result<Enriched, Rejection>> = pool.install(|| {
            batch
                .par_iter()
                .map(|line| pipeline.process_guarded(&line.bytes, &context))
                .collect()
        });
        for (line, result) in batch.iter().zip(results) {
            summary.read += 1;
            summary.bytes += line.bytes.len() as u64;
            match result {
                Ok(enriched) => {
                    summary.count_enriched(&enriched);
                    line_out.clear();
                    line_out.extend_from_slice(&enriched.json);
                    line_out.push(b'\n');
                    out.write_all(&line_out)?;
                }
                Err(rejection) => {
                    summary.count_rejected(&rejection);
                    if let Some(w) = rejects.as_deref_mut() {
                        write_reject(w, &names[line.input], line, &rejection)?;
                    }
                }
            }
        }
        if opts.progress {
            summary.print_progress(started.elapsed());
        }
    }
    out.flush()?;
    if let Some(w) = rejects {
        w.flush()?;
    }
    reader
        .join()
        .map_err(|_| io::Error::other("the reader thread panicked"))?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Reads `inputs` in batches of lines. An input error ends the reading,
/// after the lines read before it: their records are written first.
fn read_batches(
    inputs: &[Input],
    batch_lines: usize,
    tx: &mpsc::SyncSender<io::Result<Vec<Line>>>,
) {
    let mut batch = Vec::with_capacity(batch_lines);
    let fail = |batch: Vec<Line>, e: io::Error| {
        if batch.is_empty() || tx.send(Ok(batch)).is_ok() {
            let _ = tx.send(Err(e));
        }
    };
    for (index, input) in inputs.iter().enumerate() {
        let mut reader = match input.open() {
            Ok(r) => r,
            Err(e) => return fail(batch, e),
        };
        let mut number = 0;
        loop {
            let mut bytes = Vec::new();
            match reader.read_until(b'\n', &mut bytes) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    let e = io::Error::new(e.kind(), format!("reading {}: {e}", input.name()));
                    return fail(batch, e);
                }
            }
            number += 1;
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            batch.push(Line {
                input: index,
                number,
                bytes,
            });
            if batch.len() >= batch_lines {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_lines));
                if tx.send(Ok(full)).is_err() {
                    return; // the consumer stopped (output error)
                }
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Ok(batch));
    }
}

fn write_reject(
    w: &mut dyn Write,
    input: &str,
    line: &Line,
    rejection: &Rejection,
) -> io::Result<()> {
    let text = std::str::from_utf8(&line.bytes).ok();
    let record = RejectLine {
        input,
        line: line.number,
        reason: rejection.reason.code(),
        detail: &rejection.detail,
        original: text,
        original_base64: match text {
            Some(_) => None,
            None => Some(base64::engine::general_purpose::STANDARD.encode(&line.bytes)),
        },
    };
    serde_json::to_writer(&mut *w, &record)?;
    w.write_all(b"\n")
}
