//! Liveness and readiness, as Kubernetes probes see them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A loop that has not turned for this long is reported dead (the longest
/// legitimate pause is a rebalance wait, bounded by `worker.revoke_timeout`).
const STALL_SECONDS: u64 = 120;

#[derive(Debug, Default)]
pub struct Health {
    started: AtomicBool,
    broker_up: AtomicBool,
    shutting_down: AtomicBool,
    /// Unix seconds of the last turn of the worker loop.
    heartbeat: AtomicU64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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

    pub fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Called by the worker loop on every turn.
    pub fn beat(&self) {
        self.heartbeat.store(now_secs(), Ordering::Relaxed);
    }

    /// `Err(reason)` when the process should be restarted.
    pub fn live(&self) -> Result<(), String> {
        let age = now_secs().saturating_sub(self.heartbeat.load(Ordering::Relaxed));
        if age > STALL_SECONDS {
            return Err(format!("worker loop stalled for {age} s"));
        }
        Ok(())
    }

    /// `Err(reason)` when the worker should get no traffic / is not yet useful.
    pub fn ready(&self) -> Result<(), &'static str> {
        if self.shutting_down.load(Ordering::Relaxed) {
            Err("shutting down")
        } else if !self.started.load(Ordering::Relaxed) {
            Err("starting")
        } else if !self.broker_up.load(Ordering::Relaxed) {
            Err("broker unreachable")
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
        assert_eq!(h.ready(), Err("starting"));
        h.set_started();
        assert_eq!(h.ready(), Err("broker unreachable"));
        h.set_broker_up(true);
        assert_eq!(h.ready(), Ok(()));
        h.set_shutting_down();
        assert_eq!(h.ready(), Err("shutting down"));
        assert!(h.live().is_ok());
        h.heartbeat.store(0, Ordering::Relaxed);
        assert!(h.live().is_err());
    }
}
