//! Liveness and readiness, as Kubernetes probes see them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A loop that has not turned for this long is reported dead, unless
/// `telemetry.stall_timeout` says otherwise. Every wait inside the loop
/// (a rebalance's, a transaction call's) beats at least every few seconds.
const DEFAULT_STALL: Duration = Duration::from_secs(120);

#[derive(Debug)]
pub struct Health {
    started: AtomicBool,
    broker_up: AtomicBool,
    shutting_down: AtomicBool,
    /// When the worker loop last turned: milliseconds since `origin`. A
    /// monotonic clock, so a step of the wall clock (NTP, a VM resumed)
    /// neither fails a healthy worker nor hides a stalled one.
    heartbeat: AtomicU64,
    origin: Instant,
    stall_millis: AtomicU64,
    /// Why the worker cannot make progress although connected (stopped
    /// partitions, authentication failing, nothing acknowledged).
    stalled: Mutex<Option<String>>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            started: AtomicBool::new(false),
            broker_up: AtomicBool::new(false),
            shutting_down: AtomicBool::new(false),
            heartbeat: AtomicU64::new(0),
            origin: Instant::now(),
            stall_millis: AtomicU64::new(millis(DEFAULT_STALL)),
            stalled: Mutex::new(None),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Health {
    pub fn new() -> Self {
        let h = Health::default();
        h.beat();
        h
    }

    /// The worker subscribed to its topics.
    pub fn set_started(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    pub fn set_broker_up(&self, up: bool) -> bool {
        self.broker_up.swap(up, Ordering::Relaxed)
    }

    pub fn broker_up(&self) -> bool {
        self.broker_up.load(Ordering::Relaxed)
    }

    /// `telemetry.stall_timeout`.
    pub fn set_stall_timeout(&self, timeout: Duration) {
        self.stall_millis
            .store(millis(timeout).max(1_000), Ordering::Relaxed);
    }

    /// Why the worker cannot make progress (None: it can).
    pub fn set_stalled(&self, reason: Option<String>) {
        *self.stalled.lock().unwrap_or_else(|e| e.into_inner()) = reason;
    }

    pub fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Called by the worker loop on every turn.
    pub fn beat(&self) {
        self.heartbeat
            .store(millis(self.origin.elapsed()), Ordering::Relaxed);
    }

    /// `Err(reason)` when the process should be restarted.
    pub fn live(&self) -> Result<(), String> {
        self.live_at(millis(self.origin.elapsed()))
    }

    /// [`Health::live`] at `now`, milliseconds since `origin`.
    fn live_at(&self, now: u64) -> Result<(), String> {
        let age = now.saturating_sub(self.heartbeat.load(Ordering::Relaxed));
        if age > self.stall_millis.load(Ordering::Relaxed) {
            return Err(format!("worker loop stalled for {} s", age / 1_000));
        }
        Ok(())
    }

    /// `Err(reason)` when the worker is not doing its job: starting,
    /// shutting down, without a broker, or unable to make progress.
    pub fn ready(&self) -> Result<(), String> {
        if self.shutting_down.load(Ordering::Relaxed) {
            Err("shutting down".into())
        } else if !self.started.load(Ordering::Relaxed) {
            Err("starting".into())
        } else if !self.broker_up.load(Ordering::Relaxed) {
            Err("broker unreachable".into())
        } else if let Some(reason) = self
            .stalled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            Err(reason)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_started_connected_and_not_shutting_down() {
        let h = Health::new();
        assert_eq!(h.ready(), Err("starting".into()));
        h.set_started();
        assert_eq!(h.ready(), Err("broker unreachable".into()));
        h.set_broker_up(true);
        assert_eq!(h.ready(), Ok(()));
        h.set_stalled(Some("partitions stopped".into()));
        assert_eq!(h.ready(), Err("partitions stopped".into()));
        h.set_stalled(None);
        assert_eq!(h.ready(), Ok(()));
        h.set_shutting_down();
        assert_eq!(h.ready(), Err("shutting down".into()));
        assert!(h.live().is_ok());
        h.beat();
        let thirty_seconds_later = h.heartbeat.load(Ordering::Relaxed) + 30_000;
        assert!(h.live_at(thirty_seconds_later).is_ok());
        h.set_stall_timeout(Duration::from_secs(20));
        assert!(
            h.live_at(thirty_seconds_later).is_err(),
            "stalled longer than the configured 20 s"
        );
    }
}
