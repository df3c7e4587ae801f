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
    /// Longest line read into memory (`decode.max_record_bytes`): a longer
    /// one is skipped as it is read and rejected as `too_large`.
    pub max_line_bytes: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 0,
            batch_lines: 256,
            enriched_at: None,
            progress: false,
            max_line_bytes: crate::posting::DecodeOptions::default().max_record_bytes,
        }
    }
}

struct Line {
    input: usize,
    number: u64,
    /// The line without its end; empty for one over the size limit.
    bytes: Vec<u8>,
    /// The length of a line over the size limit, which was not kept.
    skipped: Option<u64>,
}

/// One rejected input line, as written to the rejects file.
#[derive(Serialize)]
struct RejectLine<'a> {
    input: &'a str,
    line: u64,
    reason: &'static str,
    detail: &'a str,
    /// The original line, when it is valid UTF-8 (none for a line over
    /// the size limit, which was not kept).
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
    let max_line = opts.max_line_bytes;
    let reader_inputs = inputs.to_vec();
    let reader = std::thread::Builder::new()
        .name("read".into())
        .spawn(move || read_batches(&reader_inputs, batch_lines, max_line, &tx))?;

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
                .map(|line| match line.skipped {
                    Some(length) => Err(Rejection::too_large(length, max_line)),
                    None => pipeline.process_guarded(&line.bytes, &context),
                })
                .collect()
        });
        for (line, result) in batch.iter().zip(results) {
            summary.read += 1;
            summary.bytes += line.skipped.unwrap_or(line.bytes.len() as u64);
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
    max_line: usize,
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
            let skipped = match read_line(&mut reader, max_line, &mut bytes) {
                Ok(LineRead::End) => break,
                Ok(LineRead::Kept) => None,
                Ok(LineRead::TooLong(length)) => Some(length),
                Err(e) => {
                    let e = io::Error::new(e.kind(), format!("reading {}: {e}", input.name()));
                    return fail(batch, e);
                }
            };
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
                skipped,
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

/// What [`read_line`] found.
#[derive(Debug, PartialEq)]
enum LineRead {
    /// The end of the input.
    End,
    /// A line, in the buffer with its end.
    Kept,
    /// A line over the limit, of this many bytes before its "\n", read to
    /// its end without being kept.
    TooLong(u64),
}

/// Reads one line (with its end) into `bytes`, keeping at most `max` bytes
/// of its content.
fn read_line(reader: &mut dyn BufRead, max: usize, bytes: &mut Vec<u8>) -> io::Result<LineRead> {
    // The content, and "\r\n" after it.
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(2);
    if (&mut *reader).take(limit).read_until(b'\n', bytes)? == 0 {
        return Ok(LineRead::End);
    }
    // Its length: the bytes before its "\n"; its content: without "\r\n".
    let before_end = bytes.strip_suffix(b"\n");
    let ended = before_end.is_some();
    let line = before_end.unwrap_or(bytes);
    let content = line.strip_suffix(b"\r").unwrap_or(line);
    if content.len() <= max {
        return Ok(LineRead::Kept);
    }
    let kept = line.len() as u64;
    bytes.clear();
    let rest = if ended { 0 } else { skip_line(reader)? };
    Ok(LineRead::TooLong(kept + rest))
}

/// Reads past the rest of a line, keeping nothing: the bytes before its
/// end.
fn skip_line(reader: &mut dyn BufRead) -> io::Result<u64> {
    let mut skipped = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            // As `read_until` does.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(skipped);
        }
        match memchr::memchr(b'\n', buf) {
            Some(at) => {
                reader.consume(at + 1);
                return Ok(skipped + at as u64);
            }
            None => {
                let n = buf.len();
                reader.consume(n);
                skipped += n as u64;
            }
        }
    }
}

fn write_reject(
    w: &mut dyn Write,
    input: &str,
    line: &Line,
    rejection: &Rejection,
) -> io::Result<()> {
    // A line over the size limit was not kept: nothing to copy.
    let kept = line.skipped.is_none();
    let text = std::str::from_utf8(&line.bytes).ok().filter(|_| kept);
    let record = RejectLine {
        input,
        line: line.number,
        reason: rejection.reason.code(),
        detail: &rejection.detail,
        original: text,
        original_base64: (kept && text.is_none())
            .then(|| base64::engine::general_purpose::STANDARD.encode(&line.bytes)),
    };
    serde_json::to_writer(&mut *w, &record)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of random text, read with a small buffer and a small
    /// limit, is kept exactly when it fits, and otherwise reported with
    /// its length; the lines after it are read as before.
    #[test]
    fn lines_are_kept_when_they_fit_and_measured_when_they_do_not() {
        let pieces = ["a", "bc", "\n", "\r\n", "\r", "é", "xxxxxxxx"];
        let mut rng = crate::test_random::Lcg::new(7);
        for _ in 0..3_000 {
            let count = (rng.next_u64() >> 58) as usize;
            let text = rng.text(&pieces, count);
            let max = (rng.next_u64() >> 60) as usize;
            let expected: Vec<(Vec<u8>, LineRead)> = text
                .split_inclusive('\n')
                .map(|line| {
                    let content = line.strip_suffix('\n').unwrap_or(line);
                    let content = content.strip_suffix('\r').unwrap_or(content);
                    if content.len() <= max {
                        (line.as_bytes().to_vec(), LineRead::Kept)
                    } else {
                        let length = line.strip_suffix('\n').unwrap_or(line).len();
                        (Vec::new(), LineRead::TooLong(length as u64))
                    }
                })
                .collect();
            let mut reader = BufReader::with_capacity(3, text.as_bytes());
            let mut seen = Vec::new();
            loop {
                let mut bytes = Vec::new();
                match read_line(&mut reader, max, &mut bytes).unwrap() {
                    LineRead::End => break,
                    found => seen.push((bytes, found)),
                }
            }
            assert_eq!(seen.len(), expected.len(), "{text:?} max {max}");
            assert_eq!(seen, expected, "{text:?} max {max}");
        }
    }
}
