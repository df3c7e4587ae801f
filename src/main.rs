//! The `posting-enricher` command line: the binary's edge, where errors
//! become messages and exit codes.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use posting_enricher::config::{Config, ConfigError};
use posting_enricher::telemetry::logging;

mod demo;
mod shell;
use posting_enricher::offline::{self, Input, RunOptions};
use posting_enricher::pipeline::Pipeline;

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
    /// Check a config file (defaults, the file, then POSTING_ENRICHER__* variables); exit non-zero on error.
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
            shell::run_worker(config)
        }
        Command::Demo {
            keep_running,
            listen,
        } => demo::run(keep_running, listen),
        Command::ValidateConfig { file } => {
            let path = file.or(cli.config);
            let config = Config::load(path.as_deref(), std::env::vars())?;
            let origin = path.map_or_else(|| "defaults".to_string(), |p| p.display().to_string());
            println!("{origin}: ok");
            print!(
                "{}",
                toml::to_string(&config.redacted()).context("printing the effective config")?
            );
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
            let pipeline = Pipeline::new(
                config.decode_options(),
                config.enrich_options(),
                config.output_options(),
            )
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
