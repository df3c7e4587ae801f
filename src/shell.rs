//! The `run` command's async shell: telemetry server, signals, and the
//! worker loop on a thread of its own.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info, warn};

use posting_enricher::config::Config;
use posting_enricher::pipeline::Pipeline;
use posting_enricher::telemetry::{Health, Metrics, http};
use posting_enricher::worker::{self, Shutdown, WorkerError};

/// Grace beyond `worker.shutdown_timeout` before the process exits anyway
/// (a broker that is gone can make closing the consumer hang).
const HARD_STOP_GRACE: Duration = Duration::from_secs(5);

pub fn run_worker(config: Config) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("shell")
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(config))
}

async fn run_async(config: Config) -> anyhow::Result<ExitCode> {
    let effective = serde_json::to_string(&config.redacted()).unwrap_or_default();
    info!(version = posting_enricher::record::ENRICHER_VERSION, config = %effective, "starting");
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health::new());
    let listener = TcpListener::bind(&config.telemetry.listen)
        .await
        .with_context(|| {
            format!(
                "telemetry.listen {}: cannot listen",
                config.telemetry.listen
            )
        })?;
    info!(listen = %listener.local_addr().map_or_else(|_| config.telemetry.listen.clone(), |a| a.to_string()), "serving /metrics, /health/live, /health/ready");
    tokio::spawn(http::serve(listener, metrics.clone(), health.clone()));

    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;

    let shutdown = Arc::new(Shutdown::new(Config::duration(
        &config.worker.shutdown_timeout,
    )));
    let mut task = {
        let (metrics, health, shutdown) = (metrics.clone(), health.clone(), shutdown.clone());
        tokio::task::spawn_blocking(move || -> Result<worker::RunSummary, anyhow::Error> {
            let pipeline = Pipeline::new(
                config.decode_options(),
                config.enrich_options(),
                config.output_options(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("loading reference data")?;
            Ok(worker::run(
                &config,
                Arc::new(pipeline),
                metrics,
                health,
                shutdown,
            )?)
        })
    };

    let finished = tokio::select! {
        r = &mut task => Some(r),
        _ = terminate.recv() => None,
        _ = interrupt.recv() => None,
    };
    let result = match finished {
        Some(r) => r,
        None => {
            shutdown.request();
            health.set_shutting_down();
            info!(timeout = ?shutdown.timeout(), "signal received: draining and committing (a second signal exits at once)");
            tokio::select! {
                r = &mut task => r,
                _ = terminate.recv() => {
                    warn!("second signal: exiting without draining");
                    return Ok(ExitCode::from(130));
                }
                _ = interrupt.recv() => {
                    warn!("second signal: exiting without draining");
                    return Ok(ExitCode::from(130));
                }
                _ = tokio::time::sleep(shutdown.timeout() + HARD_STOP_GRACE) => {
                    error!("shutdown did not finish within worker.shutdown_timeout; exiting");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    };
    let summary = match result.context("worker thread")? {
        Ok(summary) => summary,
        Err(e) => {
            if let Some(WorkerError::Unsupported(_) | WorkerError::MissingTopics(_)) =
                e.downcast_ref::<WorkerError>()
            {
                error!(error = %e, "cannot run");
            }
            return Err(e);
        }
    };
    let dead: u64 = summary.dead_lettered.values().sum();
    info!(
        consumed = summary.consumed,
        enriched = summary.enriched,
        dead_lettered = dead,
        undelivered = summary.undelivered,
        seconds = summary.elapsed.as_secs_f64(),
        "stopped"
    );
    if summary.undelivered > 0 {
        warn!(
            undelivered = summary.undelivered,
            "records not acknowledged before the deadline were not committed; they will be consumed again"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
