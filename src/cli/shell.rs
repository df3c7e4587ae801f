//! The `run` command's async shell: telemetry server, signals, and the
//! worker loop on a thread of its own.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{debug, error, info, warn};

use posting_enricher::config::Config;
use posting_enricher::enrich::ReferenceFiles;
use posting_enricher::pipeline::SharedPipeline;
use posting_enricher::reload::Reloader;
use posting_enricher::telemetry::{Health, Metrics, http};
use posting_enricher::worker::{self, Shutdown, WorkerError};

/// Grace beyond `worker.shutdown_timeout` before the process exits anyway
/// (a broker that is gone can make closing the consumer hang). The exit is
/// `process::exit`: returning would wait for the worker thread.
const HARD_STOP_GRACE: Duration = Duration::from_secs(2);

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("shell")
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run_worker(config: Config) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let telemetry = Telemetry::new(&config);
        run(config, &telemetry).await.map(|(code, _)| code)
    })
}

/// What the worker shares with the endpoints and whoever asks it to stop.
pub struct Telemetry {
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub shutdown: Arc<Shutdown>,
}

impl Telemetry {
    pub fn new(config: &Config) -> Self {
        Telemetry {
            metrics: Arc::new(Metrics::new()),
            health: Arc::new(Health::new()),
            shutdown: Arc::new(Shutdown::new(config.worker.shutdown_timeout)),
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Checks the reference files every `interval` (never when zero) and on
/// every SIGHUP, for as long as the worker runs.
async fn watch_reference(
    reloader: Arc<Reloader>,
    interval: Duration,
    mut hangup: tokio::signal::unix::Signal,
) {
    let mut ticks = (!interval.is_zero()).then(|| {
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        let tick = async {
            match ticks.as_mut() {
                Some(t) => {
                    t.tick().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let asked = tokio::select! {
            _ = tick => {
                if !reloader.watches_files() {
                    continue;
                }
                false
            }
            received = hangup.recv() => {
                if received.is_none() {
                    return;
                }
                info!("SIGHUP: checking the reference files");
                true
            }
        };
        let r = reloader.clone();
        match tokio::task::spawn_blocking(move || r.check()).await {
            // Reloads and new failures are logged by the check itself; a
            // SIGHUP always gets an answer.
            Ok(checked) if asked && checked.reloaded.is_none() => {
                if checked.refused.is_empty() {
                    info!("SIGHUP: the reference files are as in use");
                } else {
                    let refused: Vec<String> = checked
                        .refused
                        .iter()
                        .map(|(file, error)| format!("{file}: {error}"))
                        .collect();
                    warn!(refused = %refused.join("; "), "SIGHUP: reference files not loaded; the data in use stays");
                }
            }
            Ok(_) => debug!("reference files checked"),
            Err(e) => warn!(error = %e, "checking the reference files failed"),
        }
    }
}

/// The `run` command: serves the endpoints, runs the worker until a signal
/// (or `telemetry.shutdown` is requested by the caller), and reports.
pub async fn run(
    config: Config,
    telemetry: &Telemetry,
) -> anyhow::Result<(ExitCode, Option<worker::RunSummary>)> {
    // First: from here on SIGHUP asks for a reference check (handled once
    // the worker runs) instead of ending the process. The worker does not
    // stop when its terminal hangs up; SIGTERM and SIGINT stop it.
    let hangup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let effective = serde_json::to_string(&config.redacted()).unwrap_or_default();
    info!(version = posting_enricher::record::ENRICHER_VERSION, config = %effective, "starting");
    let (metrics, health, shutdown) = (
        telemetry.metrics.clone(),
        telemetry.health.clone(),
        telemetry.shutdown.clone(),
    );
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

    let mut task = {
        let (metrics, health, shutdown) = (metrics.clone(), health.clone(), shutdown.clone());
        tokio::task::spawn_blocking(move || -> Result<worker::RunSummary, anyhow::Error> {
            let files = ReferenceFiles::read(&config.enrich)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("loading reference data")?;
            let pipeline = config
                .pipeline_from_files(&files)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("loading reference data")?;
            let pipeline = Arc::new(SharedPipeline::new(pipeline));
            let reloader = Reloader::new(config.clone(), pipeline.clone(), metrics.clone(), files);
            info!(
                reference = pipeline.current().reference().json(),
                "reference data loaded"
            );
            // Stops with the worker, however the worker ends.
            let _reloads = AbortOnDrop(tokio::runtime::Handle::current().spawn(watch_reference(
                Arc::new(reloader),
                config.reference.reload_interval,
                hangup,
            )));
            Ok(worker::run(&config, pipeline, metrics, health, shutdown)?)
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
                    std::process::exit(130);
                }
                _ = interrupt.recv() => {
                    warn!("second signal: exiting without draining");
                    std::process::exit(130);
                }
                _ = tokio::time::sleep(shutdown.timeout() + HARD_STOP_GRACE) => {
                    error!("shutdown did not finish within worker.shutdown_timeout; exiting");
                    std::process::exit(1);
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
        return Ok((ExitCode::from(1), Some(summary)));
    }
    Ok((ExitCode::SUCCESS, Some(summary)))
}
