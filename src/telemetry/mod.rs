//! What operators see: Prometheus metrics, health probes, logs.

pub mod health;
pub mod http;
pub mod logging;
pub mod metrics;

pub use health::Health;
pub use metrics::Metrics;
