//! The worker run in-process through its library entry point (for the
//! mock-cluster tests), with its metrics and shutdown handle.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use posting_enricher::config::Config;
use posting_enricher::pipeline::{Pipeline, SharedPipeline};
use posting_enricher::telemetry::{Health, Metrics};
use posting_enricher::worker::{self, RunSummary, Shutdown};

pub struct Running {
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub shutdown: Arc<Shutdown>,
    pub thread: JoinHandle<Result<RunSummary, worker::WorkerError>>,
}

/// Validates `config` and runs the worker on a thread of its own.
pub fn start(config: Config) -> Running {
    config.validate("test").unwrap();
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health::new());
    let shutdown = Arc::new(Shutdown::new(Duration::from_secs(10)));
    let (m, h, s) = (metrics.clone(), health.clone(), shutdown.clone());
    let thread = std::thread::spawn(move || {
        let pipeline = Arc::new(SharedPipeline::new(Pipeline::with_defaults().unwrap()));
        worker::run(&config, pipeline, m, h, s)
    });
    Running {
        metrics,
        health,
        shutdown,
        thread,
    }
}

/// Looks at `ok` every 20 ms for `duration`; fails the test at the first
/// look that is false, with `why` of the number of looks before it.
pub fn holds_for(duration: Duration, mut ok: impl FnMut() -> bool, why: impl Fn(usize) -> String) {
    let until = Instant::now() + duration;
    let mut looks = 0;
    while Instant::now() < until {
        assert!(ok(), "{}", why(looks));
        looks += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `ok` every 100 ms; fails the test after `timeout`.
pub fn wait(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
