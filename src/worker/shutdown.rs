//! The shutdown request shared by the signal handler and the worker loop.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Shutdown {
    requested: AtomicBool,
    deadline: Mutex<Option<Instant>>,
    timeout: Duration,
}

impl Shutdown {
    /// `timeout`: how long draining may take once requested.
    pub fn new(timeout: Duration) -> Self {
        Shutdown {
            requested: AtomicBool::new(false),
            deadline: Mutex::new(None),
            timeout,
        }
    }

    /// Asks the worker to stop; returns false when it was already asked.
    pub fn request(&self) -> bool {
        let first = !self.requested.swap(true, Ordering::SeqCst);
        if first {
            let mut deadline = self.deadline.lock().unwrap_or_else(|e| e.into_inner());
            *deadline = Some(Instant::now() + self.timeout);
        }
        first
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// When draining must be over (only once requested).
    pub fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_sets_the_deadline() {
        let s = Shutdown::new(Duration::from_secs(30));
        assert!(!s.is_requested() && s.deadline().is_none());
        assert!(s.request());
        let d = s.deadline().unwrap();
        assert!(!s.request(), "second request reports itself");
        assert_eq!(s.deadline(), Some(d));
        assert!(d > Instant::now() + Duration::from_secs(29));
    }
}
