//! The `posting-enricher` command line: the binary's edge, where errors
//! become messages and exit codes.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use posting_enricher::config::{Config, ConfigError};
use posting_enricher::reference::ecb;
use posting_enricher::reference::money::FxRates;
use posting_enricher::telemetry::logging;
use posting_enricher::worker::replay;

mod cli;
use posting_enricher::offline::{self, Input, RunOptions};

#[derive(Parser)]
#[command(
    name = "posting-enricher",
    version,
    about = "Enriches schema.org JobPosting events: description sections, geo, salary."
)]
struct Cli {
    /// Config file (TOML); every setting and its default: config/default.toml.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "POSTING_ENRICHER_CONFIG"
    )]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Kafka worker: consume raw postings, produce enriched records
    /// and dead letters, commit delivered offsets; serve /metrics and health.
    Run,
    /// Copy dead letters back to an input topic (with replay headers), so
    /// they are enriched again under the current config and version.
    ReplayDlq {
        /// Dead-letter topic to read (default: kafka.dead_letter_topic).
        #[arg(long, value_name = "TOPIC")]
        from_topic: Option<String>,
        /// Topic to copy to (default: the first of kafka.input_topics).
        #[arg(long, value_name = "TOPIC")]
        to_topic: Option<String>,
        /// Only dead letters with this reason code (repeatable).
        #[arg(long = "reason", value_name = "CODE")]
        reasons: Vec<String>,
        /// Only this dead-letter partition.
        #[arg(long)]
        partition: Option<i32>,
        /// Only offsets >= N.
        #[arg(long, value_name = "N")]
        from_offset: Option<i64>,
        /// Only offsets <= N.
        #[arg(long, value_name = "N")]
        to_offset: Option<i64>,
        /// Only dead letters written at or after TIME (RFC 3339).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only dead letters written at or before TIME (RFC 3339).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Refuse records already replayed this many times.
        #[arg(long, default_value_t = 3)]
        max_replays: u32,
        /// Count what would be replayed; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The whole pipeline with no Kafka: an in-process cluster, the shipped
    /// sample postings, the real worker; prints a summary and one record.
    Demo {
        /// Keep the worker (and /metrics) running after the sample is done.
        #[arg(long)]
        keep_running: bool,
        /// Address of /metrics and the health endpoints.
        #[arg(long, default_value = "127.0.0.1:9464")]
        listen: String,
    },
    /// Enrich JSON Lines from files (plain or .gz) or stdin to stdout, in input order.
    Enrich {
        /// Input files; `-` or none reads stdin.
        #[arg(value_name = "INPUT")]
        inputs: Vec<String>,
        /// Write rejected lines (line number, reason code, detail, original) here as JSON Lines.
        #[arg(long, value_name = "FILE")]
        rejects: Option<PathBuf>,
        /// Fixed `enricher.enriched_at` (RFC 3339) for reproducible output; overrides output.enriched_at.
        #[arg(long, value_name = "TIME")]
        enriched_at: Option<String>,
        /// Enrichment threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Never show the progress line (it is shown only when stderr is a terminal).
        #[arg(long)]
        no_progress: bool,
        /// Print no summary on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Turn the ECB's reference-rate CSV (the daily eurofxref.csv or the
    /// history eurofxref-hist.csv, as published) into a rates file for
    /// enrich.salary.fx_rates_file; refuses a file the worker would refuse.
    FxRates {
        /// The ECB's CSV.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Where to write the rates (replaced atomically: a worker reading
        /// it never sees half a file); stdout when not given.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check a config file (defaults, the file, then POSTING_ENRICHER__* variables) and the reference files it names; print the effective config and the reference data versions; exit non-zero on error.
    ValidateConfig {
        /// The file to check (or --config).
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

/// Exit code for unusable configuration (as for usage errors).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            let code = if err.downcast_ref::<ConfigError>().is_some() {
                EXIT_CONFIG
            } else {
                1
            };
            eprintln!("posting-enricher: error: {err:#}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run => {
            let config = Config::load(cli.config.as_deref(), std::env::vars())?;
            logging::init(config.telemetry.log_format, &config.telemetry.log_level);
            cli::shell::run_worker(config)
        }
        Command::ReplayDlq {
            from_topic,
            to_topic,
            reasons,
            partition,
            from_offset,
            to_offset,
            since,
            until,
            max_replays,
            dry_run,
        } => {
            let config = Config::load(cli.config.as_deref(), std::env::vars())?;
            logging::init(config.telemetry.log_format, &config.telemetry.log_level);
            let millis = |flag: &str, t: Option<String>| -> anyhow::Result<Option<i64>> {
                t.map(|t| {
                    humantime::parse_rfc3339_weak(&t)
                        .map_err(|e| anyhow::anyhow!("{flag} {t:?}: {e}"))
                        .and_then(|at| {
                            Ok(at.duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64)
                        })
                })
                .transpose()
            };
            let opts = replay::ReplayOptions {
                from_topic: from_topic.unwrap_or_else(|| config.kafka.dead_letter_topic.clone()),
                to_topic: to_topic.unwrap_or_else(|| config.kafka.input_topics[0].clone()),
                filter: replay::Filter {
                    reasons,
                    partition,
                    from_offset,
                    to_offset,
                    from_time_ms: millis("--since", since)?,
                    to_time_ms: millis("--until", until)?,
                },
                max_replays,
                dry_run,
            };
            let summary = replay::replay(&config, &opts).context("replay-dlq")?;
            let replayed: u64 = summary.replayed.values().sum();
            println!(
                "{} {replayed} of {} dead letters from {} to {}; skipped by filter {}; refused (replayed {} times already) {}",
                if dry_run { "would replay" } else { "replayed" },
                summary.read,
                opts.from_topic,
                opts.to_topic,
                summary.skipped,
                max_replays,
                summary.refused
            );
            for (reason, n) in &summary.replayed {
                println!("  {reason:<20}{n}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            keep_running,
            listen,
        } => cli::demo::run(keep_running, listen),
        Command::ValidateConfig { file } => {
            let path = file.or(cli.config);
            let config = Config::load(path.as_deref(), std::env::vars())?;
            let origin = path.map_or_else(|| "defaults".to_string(), |p| p.display().to_string());
            let pipeline = config
                .pipeline()
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("loading reference data")?;
            println!("{origin}: ok");
            print!(
                "{}",
                toml::to_string(&config.redacted()).context("printing the effective config")?
            );
            println!("\n# reference data in use (enricher.reference in every record)");
            for (name, version) in pipeline.reference().entries() {
                println!("# {name} = {version}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::FxRates { from, out } => {
            let config = Config::load(cli.config.as_deref(), std::env::vars())?;
            let text = std::fs::read_to_string(&from)
                .with_context(|| format!("reading {}", from.display()))?;
            let fx = ecb::rates_from_ecb_csv(&text)
                .with_context(|| format!("{} is not the ECB's reference rates", from.display()))?;
            // The loader's own checks, on the very text written.
            let toml = fx.to_toml();
            FxRates::from_toml(&toml).map_err(|e| anyhow::anyhow!("{e}"))?;
            let reporting = &config.enrich.salary.reporting_currency;
            if !fx.rates.contains_key(reporting) {
                anyhow::bail!(
                    "the rates of {} do not quote {reporting}, the reporting currency (enrich.salary.reporting_currency)",
                    fx.date
                );
            }
            match out {
                Some(path) => {
                    write_atomically(&path, toml.as_bytes())
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "posting-enricher fx-rates: {} rates of {} written to {}",
                        fx.rates.len(),
                        fx.date,
                        path.display()
                    );
                }
                None => print!("{toml}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Enrich {
            inputs,
            rejects,
            enriched_at,
            threads,
            no_progress,
            quiet,
        } => {
            let mut config = Config::load(cli.config.as_deref(), std::env::vars())?;
            if let Some(at) = enriched_at {
                config.output.enriched_at = at;
                config.validate("--enriched-at")?;
            }
            logging::init(config.telemetry.log_format, &config.telemetry.log_level);
            let pipeline = config
                .pipeline()
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("loading reference data")?;
            let inputs: Vec<Input> = if inputs.is_empty() {
                vec![Input::Stdin]
            } else {
                inputs.iter().map(|a| Input::from_arg(a)).collect()
            };
            let mut rejects_file = match &rejects {
                Some(path) => Some(BufWriter::new(File::create(path).with_context(|| {
                    format!("cannot create rejects file {}", path.display())
                })?)),
                None => None,
            };
            let stdout = io::stdout().lock();
            let mut out = BufWriter::with_capacity(1 << 20, stdout);
            let opts = RunOptions {
                threads,
                enriched_at: Some(config.output.enriched_at.clone()).filter(|s| !s.is_empty()),
                progress: !no_progress && !quiet && io::stderr().is_terminal(),
                max_line_bytes: config.decode.max_record_bytes,
                ..RunOptions::default()
            };
            let summary = offline::run(
                &inputs,
                &pipeline,
                &mut out,
                rejects_file.as_mut().map(|w| w as &mut dyn io::Write),
                &opts,
            );
            let summary = match summary {
                Ok(s) => s,
                // A closed stdout (`| head`) is the reader's choice, not a failure.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
                Err(e) => return Err(e).context("enrich"),
            };
            if opts.progress {
                eprintln!();
            }
            if !quiet {
                eprint!("posting-enricher enrich: {summary}");
                if rejects.is_none() && summary.rejected_total() > 0 {
                    eprintln!("  (rejected lines were not kept: use --rejects FILE)");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes `bytes` to a new file beside `path` and renames it over `path`:
/// a reader sees the old file or the new one, never a part.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
