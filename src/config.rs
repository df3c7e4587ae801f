//! Typed configuration: defaults, then a TOML file, then environment
//! variables `POSTING_ENRICHER__<SECTION>__<KEY>` (nested sections add more
//! `__<NAME>` parts; lists are comma-separated). Unknown keys and invalid
//! values are errors that name the key and where it came from.
//!
//! Every setting is documented, with its default, in `config/default.toml`;
//! a test keeps that file and [`Config::default`] identical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::enrich::EnrichOptions;
use crate::pipeline::OutputOptions;
use crate::posting::DecodeOptions;

/// librdkafka properties the worker sets itself; a config that sets them
/// would silently break the delivery guarantee.
pub const MANAGED_PROPERTIES: &[&str] = &[
    "bootstrap.servers",
    "group.id",
    "group.protocol",
    "group.instance.id",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "partition.assignment.strategy",
    "transactional.id",
    "enable.idempotence",
    "isolation.level",
];

/// The consumer's statistics interval (librdkafka's property), and the
/// values a config may give it: the worker sets 5000. Readiness and the lag
/// gauges are read from these reports, so "0" (off) or a rare report would
/// silently blind them.
pub const STATISTICS_INTERVAL: &str = "statistics.interval.ms";
pub const STATISTICS_INTERVAL_MS: std::ops::RangeInclusive<u32> = 1_000..=60_000;

/// Consumer properties the KIP-848 group protocol does not take (the broker
/// decides them): librdkafka refuses to create a consumer that sets them
/// under `group.protocol=consumer`.
pub const CLASSIC_ONLY_PROPERTIES: &[&str] = &[
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "partition.assignment.strategy",
    "group.protocol.type",
];

/// librdkafka properties it marks sensitive (`_RK_SENSITIVE` in
/// rdkafka_conf.c of the bundled librdkafka): never printed.
pub const SENSITIVE_PROPERTIES: &[&str] = &[
    "ssl.key.location",
    "ssl.key.password",
    "ssl.key.pem",
    "ssl_key",
    "ssl.ca.pem",
    "ssl.keystore.password",
    "sasl.username",
    "sasl.password",
    "sasl.oauthbearer.config",
    "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.assertion.private.key.file",
    "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.private.key.pem",
];

/// Prefix of environment overrides.
pub const ENV_PREFIX: &str = "POSTING_ENRICHER__";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub decode: DecodeOptions,
    pub output: OutputConfig,
    pub enrich: EnrichOptions,
    pub kafka: KafkaConfig,
    pub worker: WorkerConfig,
    pub telemetry: TelemetryConfig,
    pub reference: ReferenceConfig,
}

/// `[reference]`: when the worker reads its reference files again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferenceConfig {
    /// How often `run` checks the configured reference files
    /// (`enrich.salary.fx_rates_file`, `enrich.skills.taxonomy_file`) for a
    /// change; "0s" checks only on SIGHUP.
    #[serde(with = "humantime_serde")]
    pub reload_interval: Duration,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        ReferenceConfig {
            reload_interval: Duration::from_secs(60),
        }
    }
}

/// How records reach the output topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Commit an input offset only after its output is acknowledged; a crash
    /// can produce a record twice, never lose one.
    #[serde(rename = "at-least-once")]
    AtLeastOnce,
    /// Transactional producer with the consumed offsets in the transaction.
    #[serde(rename = "exactly-once")]
    ExactlyOnce,
}

/// The consumer-group protocol (librdkafka's `group.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupProtocol {
    /// JoinGroup/SyncGroup with cooperative-sticky assignment.
    Classic,
    /// KIP-848: the broker assigns, members heartbeat (Kafka 4.0+).
    Consumer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    pub brokers: String,
    pub group_id: String,
    pub input_topics: Vec<String>,
    pub output_topic: String,
    pub dead_letter_topic: String,
    pub delivery: Delivery,
    /// Exactly-once: the producer's `transactional.id`, unique per running
    /// instance and stable across its restarts (a restarted instance fences
    /// its zombie). Empty: "posting-enricher-<group>-<host name>".
    pub transactional_id: String,
    /// The consumer-group protocol: the classic one (cooperative-sticky
    /// assignment on the client) or KIP-848's (`consumer`, Kafka 4.0+).
    pub group_protocol: GroupProtocol,
    /// Static membership (`group.instance.id`), e.g. a StatefulSet pod's
    /// name: a member that comes back within its session timeout gets its
    /// partitions back without a rebalance. Empty: dynamic membership.
    pub group_instance_id: String,
    /// How long authentication may keep failing (a credential being
    /// rotated) before the worker exits.
    #[serde(with = "humantime_serde")]
    pub auth_failure_grace: Duration,
    /// librdkafka properties for both clients (TLS, SASL).
    pub common: BTreeMap<String, String>,
    /// librdkafka consumer properties, passed through (fetch sizes; TLS and
    /// SASL too, though `common` says them once).
    pub consumer: BTreeMap<String, String>,
    /// librdkafka producer properties, passed through.
    pub producer: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "localhost:9092".into(),
            group_id: "posting-enricher".into(),
            input_topics: vec!["postings.raw".into()],
            output_topic: "postings.enriched".into(),
            dead_letter_topic: "postings.dead-letter".into(),
            delivery: Delivery::AtLeastOnce,
            transactional_id: String::new(),
            group_protocol: GroupProtocol::Classic,
            group_instance_id: String::new(),
            auth_failure_grace: Duration::from_secs(2 * 60),
            common: BTreeMap::new(),
            consumer: BTreeMap::new(),
            producer: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    pub max_in_flight: u64,
    pub batch_size: u64,
    pub threads: u64,
    #[serde(with = "humantime_serde")]
    pub commit_interval: Duration,
    #[serde(with = "humantime_serde")]
    pub revoke_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    pub delivery_retries: u64,
    #[serde(with = "humantime_serde")]
    pub retry_backoff_max: Duration,
    /// How long a partition stays stopped (its delivery failed after every
    /// retry) before it is tried again.
    #[serde(with = "humantime_serde")]
    pub stopped_partition_retry: Duration,
    /// Records in flight are also bounded by their bytes (the produced
    /// records librdkafka holds until the broker acknowledges them;
    /// exactly-once: a transaction commits once its records reach it).
    pub max_in_flight_bytes: u64,
    /// Readiness fails when records wait for the broker and none has been
    /// acknowledged (or, exactly-once, committed) for this long.
    #[serde(with = "humantime_serde")]
    pub progress_timeout: Duration,
    /// Exactly-once: most records in one transaction (it also ends after
    /// `commit_interval`, or once its records reach `max_in_flight_bytes`).
    pub transaction_records: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            max_in_flight: 1_000,
            batch_size: 256,
            threads: 0,
            commit_interval: Duration::from_secs(1),
            revoke_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            delivery_retries: 5,
            retry_backoff_max: Duration::from_secs(10),
            stopped_partition_retry: Duration::from_secs(5 * 60),
            max_in_flight_bytes: 64 * 1024 * 1024,
            progress_timeout: Duration::from_secs(60),
            transaction_records: 1_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    pub listen: String,
    pub log_format: LogFormat,
    pub log_level: String,
    #[serde(with = "humantime_serde")]
    pub summary_interval: Duration,
    /// `/health/live` fails when the worker loop has not turned for this long.
    #[serde(with = "humantime_serde")]
    pub stall_timeout: Duration,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            listen: "0.0.0.0:9464".into(),
            log_format: LogFormat::Auto,
            log_level: "info".into(),
            summary_interval: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    pub include_posting: bool,
    pub enriched_at: String,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            include_posting: true,
            enriched_at: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    /// JSON lines (production).
    Json,
    /// Human-readable lines (terminals).
    Text,
}

/// A configuration problem, naming the key and where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("{origin}: `{key}` {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}

impl Config {
    /// Defaults, then `file` (if any), then overrides from `env`, validated.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (config, origin) = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                (
                    Config::from_toml(&text).map_err(|message| ConfigError::Parse {
                        path: path.to_path_buf(),
                        message,
                    })?,
                    path.display().to_string(),
                )
            }
            None => (Config::default(), "defaults".to_string()),
        };
        let (config, env_vars) = config.with_env(env)?;
        let origin = if env_vars.is_empty() {
            origin
        } else {
            format!("{origin} with {}", env_vars.join(", "))
        };
        config.validate(&origin)?;
        Ok(config)
    }

    /// Parses TOML text; missing keys take their defaults. An error names
    /// the line and column and never quotes the text: the line may hold a
    /// password.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end();
            let Some(span) = e.span() else {
                return message.to_string();
            };
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before.len() - start + 1;
            // A type error quotes the value ("invalid type: integer `...`"):
            // not on the line of a secret.
            let line_text = text
                .get(start..)
                .and_then(|t| t.lines().next())
                .unwrap_or_default();
            let key = line_text.split('=').next().unwrap_or_default();
            let key = key.trim().trim_matches('"');
            if is_secret_property(key) {
                format!("line {line}, column {column}: invalid value for {key} (not shown)")
            } else if !key.is_empty() && !key.contains([' ', '[', '#']) {
                format!("line {line}, column {column}, `{key}`: {message}")
            } else {
                format!("line {line}, column {column}: {message}")
            }
        })
    }

    /// Applies `POSTING_ENRICHER__...` variables. Each value is read as the
    /// type of the setting it replaces. Returns the names of the variables used.
    fn with_env(
        self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Config, Vec<String>), ConfigError> {
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        if vars.is_empty() {
            return Ok((self, Vec::new()));
        }
        vars.sort();
        let mut table = toml::Table::try_from(&self).map_err(|e| ConfigError::Env {
            var: String::new(),
            message: e.to_string(),
        })?;
        for (var, value) in &vars {
            let err = |message: String| ConfigError::Env {
                var: var.clone(),
                message,
            };
            let path: Vec<String> = var[ENV_PREFIX.len()..]
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect();
            let (last, parents) = path
                .split_last()
                .ok_or_else(|| err("names no setting".into()))?;
            let mut section = &mut table;
            // librdkafka property names are dotted; variables cannot be.
            if parents == ["kafka", "consumer"]
                || parents == ["kafka", "producer"]
                || parents == ["kafka", "common"]
            {
                let property = last.replace('_', ".");
                if let Some(toml::Value::Table(kafka)) = section.get_mut("kafka")
                    && let Some(toml::Value::Table(props)) = kafka.get_mut(&parents[1])
                {
                    props.insert(property, toml::Value::String(value.clone()));
                    continue;
                }
                return Err(err("no section `kafka`".into()));
            }
            for part in parents {
                section = match section.get_mut(part) {
                    Some(toml::Value::Table(t)) => t,
                    _ => return Err(err(format!("no section `{}`", path.join(".")))),
                };
            }
            let current = section
                .get(last)
                .ok_or_else(|| err(format!("unknown setting `{}`", path.join("."))))?;
            let parsed = typed_like(current, value).map_err(err)?;
            section.insert(last.clone(), parsed);
        }
        let config =
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Env {
                var: vars
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                message: e.to_string(),
            })?;
        Ok((config, vars.into_iter().map(|(k, _)| k).collect()))
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| {
            Err(ConfigError::Invalid {
                origin: origin.to_string(),
                key: key.to_string(),
                message,
            })
        };
        if self.decode.max_record_bytes == 0 {
            return invalid("decode.max_record_bytes", "must be at least 1".into());
        }
        let reload = self.reference.reload_interval;
        if !reload.is_zero() && reload < Duration::from_secs(1) {
            return invalid(
                "reference.reload_interval",
                "must be \"0s\" (only on SIGHUP) or at least 1s (each check reads the files whole)"
                    .into(),
            );
        }
        if let Some(stage) = self.enrich.stages.skip.iter().find(|s| !s.can_skip()) {
            return invalid(
                "enrich.stages.skip",
                format!(
                    "{:?} cannot be skipped: sections and geo feed the stages after them",
                    stage.name()
                ),
            );
        }
        if !(4..=128).contains(&self.decode.max_depth) {
            return invalid(
                "decode.max_depth",
                format!(
                    "{} is not within 4 (a posting with a location nests 3 deep) and 128 (serde_json reads no deeper)",
                    self.decode.max_depth
                ),
            );
        }
        if let Some(p) = &self.decode.envelope_pointer
            && !p.starts_with('/')
        {
            return invalid(
                "decode.envelope_pointer",
                format!("{p:?} is not a JSON pointer (it must start with `/`, e.g. \"/payload\")"),
            );
        }
        if !self.output.enriched_at.is_empty()
            && humantime::parse_rfc3339(&self.output.enriched_at).is_err()
        {
            return invalid(
                "output.enriched_at",
                format!(
                    "{:?} is not an RFC 3339 UTC time such as \"2026-11-29T07:00:00Z\"",
                    self.output.enriched_at
                ),
            );
        }
        if self.enrich.description.max_bytes == 0 {
            return invalid("enrich.description.max_bytes", "must be at least 1".into());
        }
        let s = &self.enrich.salary;
        if !(s.hours_per_week > 0.0 && s.hours_per_week <= 168.0) {
            return invalid(
                "enrich.salary.hours_per_week",
                format!("{} is not between 0 and 168", s.hours_per_week),
            );
        }
        if !(s.weeks_per_year > 0.0 && s.weeks_per_year <= 53.0) {
            return invalid(
                "enrich.salary.weeks_per_year",
                format!("{} is not between 0 and 53", s.weeks_per_year),
            );
        }
        if s.reporting_currency.len() != 3
            || !s.reporting_currency.chars().all(|c| c.is_ascii_uppercase())
        {
            return invalid(
                "enrich.salary.reporting_currency",
                format!(
                    "{:?} is not an ISO 4217 code such as \"USD\"",
                    s.reporting_currency
                ),
            );
        }
        if !(s.plausible_min >= 0.0 && s.plausible_min < s.plausible_max) {
            return invalid(
                "enrich.salary.plausible_min",
                format!(
                    "{} must be at least 0 and below plausible_max ({})",
                    s.plausible_min, s.plausible_max
                ),
            );
        }
        let g = &self.enrich.geo;
        for (key, value, max) in [
            ("enrich.geo.coast_snap_km", g.coast_snap_km, 100.0),
            ("enrich.geo.centroid_km", g.centroid_km, 50.0),
            ("enrich.geo.locality_match_km", g.locality_match_km, 500.0),
        ] {
            if !(0.0..=max).contains(&value) {
                return invalid(key, format!("{value} is not between 0 and {max}"));
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.telemetry.log_level).is_err() {
            return invalid(
                "telemetry.log_level",
                format!(
                    "{:?} is not a level or filter such as \"info\"",
                    self.telemetry.log_level
                ),
            );
        }
        if self
            .telemetry
            .listen
            .parse::<std::net::SocketAddr>()
            .is_err()
        {
            return invalid(
                "telemetry.listen",
                format!(
                    "{:?} is not an address such as \"0.0.0.0:9464\"",
                    self.telemetry.listen
                ),
            );
        }
        let k = &self.kafka;
        for (key, value) in [
            ("kafka.brokers", &k.brokers),
            ("kafka.group_id", &k.group_id),
            ("kafka.output_topic", &k.output_topic),
            ("kafka.dead_letter_topic", &k.dead_letter_topic),
        ] {
            if value.trim().is_empty() {
                return invalid(key, "must not be empty".into());
            }
        }
        if k.input_topics.is_empty() || k.input_topics.iter().any(|t| t.trim().is_empty()) {
            return invalid("kafka.input_topics", "must name at least one topic".into());
        }
        for topic in [&k.output_topic, &k.dead_letter_topic] {
            if k.input_topics.contains(topic) {
                return invalid(
                    "kafka.input_topics",
                    format!(
                        "{topic:?} is also an output topic: the worker would read its own output"
                    ),
                );
            }
        }
        for (section, props) in [
            ("kafka.common", &k.common),
            ("kafka.consumer", &k.consumer),
            ("kafka.producer", &k.producer),
        ] {
            for key in props.keys() {
                if MANAGED_PROPERTIES.contains(&key.as_str()) {
                    return invalid(
                        &format!("{section}.\"{key}\""),
                        "is set by the worker (it decides commits and delivery; group.protocol and group.instance.id are kafka.group_protocol and kafka.group_instance_id); see docs/decisions.md".into(),
                    );
                }
                if k.group_protocol == GroupProtocol::Consumer
                    && section != "kafka.producer"
                    && CLASSIC_ONLY_PROPERTIES.contains(&key.as_str())
                {
                    return invalid(
                        &format!("{section}.\"{key}\""),
                        "is not taken under kafka.group_protocol = \"consumer\" (KIP-848: the broker's group.consumer.* settings decide it)".into(),
                    );
                }
            }
        }
        if let Some(value) = k.consumer.get(STATISTICS_INTERVAL)
            && !value
                .trim()
                .parse::<u32>()
                .is_ok_and(|ms| STATISTICS_INTERVAL_MS.contains(&ms))
        {
            return invalid(
                &format!("kafka.consumer.\"{STATISTICS_INTERVAL}\""),
                format!(
                    "{value:?} is not whole milliseconds from {} to {}: readiness (broker up, partitions assigned but not read) and the lag gauges come from the consumer's statistics",
                    STATISTICS_INTERVAL_MS.start(),
                    STATISTICS_INTERVAL_MS.end()
                ),
            );
        }
        if k.group_instance_id.trim() != k.group_instance_id {
            return invalid(
                "kafka.group_instance_id",
                "must not start or end with whitespace".into(),
            );
        }
        let w = &self.worker;
        if w.max_in_flight_bytes < 1024 * 1024 {
            return invalid(
                "worker.max_in_flight_bytes",
                format!("{} is below 1 MiB", w.max_in_flight_bytes),
            );
        }
        if w.max_in_flight == 0 || w.batch_size == 0 {
            return invalid(
                "worker.max_in_flight",
                "max_in_flight and batch_size must be at least 1".into(),
            );
        }
        if k.delivery == Delivery::ExactlyOnce {
            let transaction = self.transaction_timeout();
            // The commit itself takes time on top of the interval, more when
            // a broker is slow: half the timeout leaves room for it.
            if w.commit_interval > transaction / 2 {
                return invalid(
                    "worker.commit_interval",
                    format!(
                        "{} is more than half of transaction.timeout.ms ({} ms): under exactly-once a transaction stays open that long, and the broker aborts one open longer than its timeout",
                        humantime::format_duration(w.commit_interval),
                        transaction.as_millis()
                    ),
                );
            }
            if w.commit_interval >= w.progress_timeout {
                return invalid(
                    "worker.progress_timeout",
                    format!(
                        "{} must be longer than worker.commit_interval ({}): under exactly-once, records count as progress when their transaction commits",
                        humantime::format_duration(w.progress_timeout),
                        humantime::format_duration(w.commit_interval)
                    ),
                );
            }
        }
        for (key, value) in [
            ("worker.commit_interval", w.commit_interval),
            ("worker.revoke_timeout", w.revoke_timeout),
            ("worker.shutdown_timeout", w.shutdown_timeout),
            ("worker.retry_backoff_max", w.retry_backoff_max),
            ("worker.stopped_partition_retry", w.stopped_partition_retry),
            ("worker.progress_timeout", w.progress_timeout),
            ("kafka.auth_failure_grace", k.auth_failure_grace),
            (
                "telemetry.summary_interval",
                self.telemetry.summary_interval,
            ),
            ("telemetry.stall_timeout", self.telemetry.stall_timeout),
        ] {
            if value.is_zero() {
                return invalid(key, "must be longer than zero".into());
            }
        }
        Ok(())
    }

    /// How long the broker lets a transaction stay open: the producer's
    /// `transaction.timeout.ms` (or `kafka.common`'s), librdkafka's default
    /// of 60 s when neither sets it.
    pub fn transaction_timeout(&self) -> Duration {
        let k = &self.kafka;
        let ms = k
            .producer
            .get("transaction.timeout.ms")
            .or_else(|| k.common.get("transaction.timeout.ms"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(60_000);
        Duration::from_millis(ms)
    }

    /// A copy safe to log or print: secret librdkafka properties (passwords,
    /// private keys, OAuth secrets) replaced by `[redacted]`.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        for props in [
            &mut c.kafka.common,
            &mut c.kafka.consumer,
            &mut c.kafka.producer,
        ] {
            for (key, value) in props.iter_mut() {
                if is_secret_property(key) {
                    *value = "[redacted]".into();
                }
            }
        }
        c
    }

    /// The core configured by this config (loads the reference data once
    /// per process).
    pub fn pipeline(
        &self,
    ) -> Result<crate::pipeline::Pipeline, std::sync::Arc<crate::reference::DataError>> {
        crate::pipeline::Pipeline::new(
            self.decode.clone(),
            self.enrich.clone(),
            self.output_options(),
        )
    }

    /// The pipeline with these reference files' data (a reload).
    pub fn pipeline_from_files(
        &self,
        files: &crate::enrich::ReferenceFiles,
    ) -> Result<crate::pipeline::Pipeline, std::sync::Arc<crate::reference::DataError>> {
        crate::pipeline::Pipeline::from_files(
            self.decode.clone(),
            self.enrich.clone(),
            self.output_options(),
            files,
        )
    }

    pub fn output_options(&self) -> OutputOptions {
        OutputOptions {
            include_posting: self.output.include_posting,
        }
    }
}

/// librdkafka properties that carry secrets: those librdkafka marks
/// sensitive, and any whose name says password, secret or key material
/// (properties added by a later librdkafka, or misspelled ones that would
/// still be printed).
pub fn is_secret_property(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SENSITIVE_PROPERTIES.contains(&key.as_str())
        || [
            "password",
            "secret",
            "passphrase",
            "key.pem",
            "sasl.jaas",
            "private",
        ]
        .iter()
        .any(|s| key.contains(s))
}

/// Reads an environment value as the TOML type of the value it replaces.
fn typed_like(current: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    use toml::Value as V;
    let raw = raw.trim();
    Ok(match current {
        V::String(_) => V::String(raw.to_string()),
        V::Integer(_) => V::Integer(
            raw.parse()
                .map_err(|_| format!("{raw:?} is not a whole number"))?,
        ),
        V::Float(_) => V::Float(
            raw.parse()
                .map_err(|_| format!("{raw:?} is not a number"))?,
        ),
        V::Boolean(_) => V::Boolean(match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => return Err(format!("{raw:?} is not true or false")),
        }),
        V::Array(items) => {
            let like = items.first().cloned().unwrap_or(V::String(String::new()));
            V::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| typed_like(&like, s))
                    .collect::<Result<_, _>>()?,
            )
        }
        V::Table(_) => return Err("names a section, not a setting".to_string()),
        V::Datetime(_) => return Err("datetime settings cannot be set from the environment".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_TOML: &str = include_str!("../config/default.toml");

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn default_toml_is_the_defaults_and_lists_every_key() {
        let parsed = Config::from_toml(DEFAULT_TOML).unwrap();
        assert_eq!(parsed, Config::default());
        fn keys(prefix: &str, t: &toml::Table, out: &mut Vec<String>) {
            for (k, v) in t {
                let path = format!("{prefix}{k}");
                match v {
                    toml::Value::Table(inner) => keys(&format!("{path}."), inner, out),
                    _ => out.push(path),
                }
            }
        }
        let (mut in_file, mut in_code) = (Vec::new(), Vec::new());
        keys("", &toml::from_str(DEFAULT_TOML).unwrap(), &mut in_file);
        keys(
            "",
            &toml::Table::try_from(Config::default()).unwrap(),
            &mut in_code,
        );
        in_file.sort();
        in_code.sort();
        assert_eq!(
            in_file, in_code,
            "config/default.toml must document every setting"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml("[decode]\nmax_record_bytez = 5\n").unwrap_err();
        assert!(err.contains("max_record_bytez"), "{err}");
        assert!(
            err.contains("max_record_bytes"),
            "suggests the valid keys: {err}"
        );
    }

    /// Review finding: a TOML error printed the offending line, so a
    /// malformed `sasl.password` line was shown; and redaction missed
    /// properties librdkafka marks sensitive.
    #[test]
    fn errors_and_redaction_never_show_a_secret() {
        let err = Config::from_toml("[kafka.common]\n\"sasl.password\" = \"hunter2\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = Config::from_toml("[kafka.consumer]\n\"sasl.password\" = 31337\n").unwrap_err();
        assert!(!err.contains("31337"), "{err}");
        let mut c = Config::default();
        for key in SENSITIVE_PROPERTIES {
            c.kafka
                .common
                .insert((*key).to_string(), "s3cret-value".into());
            c.kafka
                .producer
                .insert((*key).to_string(), "s3cret-value".into());
        }
        let shown = toml::to_string(&c.redacted()).unwrap();
        assert!(!shown.contains("s3cret-value"), "{shown}");
        assert!(shown.contains("sasl.username"), "the key stays visible");
    }

    #[test]
    fn kip_848_refuses_the_settings_the_broker_decides() {
        let mut c = Config::default();
        c.kafka.group_protocol = GroupProtocol::Consumer;
        c.kafka
            .consumer
            .insert("session.timeout.ms".into(), "6000".into());
        let e = c.validate("x").unwrap_err().to_string();
        assert!(
            e.contains("session.timeout.ms") && e.contains("KIP-848"),
            "{e}"
        );
        c.kafka.consumer.clear();
        assert!(c.validate("x").is_ok());
        c.kafka
            .common
            .insert("group.instance.id".into(), "pod-0".into());
        let e = c.validate("x").unwrap_err().to_string();
        assert!(e.contains("kafka.group_instance_id"), "{e}");
    }

    #[test]
    fn an_invalid_duration_is_an_error_naming_its_key() {
        let err = Config::from_toml("[worker]\nshutdown_timeout = \"soon\"\n").unwrap_err();
        assert!(err.contains("shutdown_timeout"), "{err}");
        let err = Config::from_toml("[telemetry]\nstall_timeout = 120\n").unwrap_err();
        assert!(err.contains("stall_timeout"), "{err}");
        let e = Config::default()
            .with_env(env(&[(
                "POSTING_ENRICHER__WORKER__COMMIT_INTERVAL",
                "often",
            )]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("POSTING_ENRICHER__WORKER__COMMIT_INTERVAL"),
            "{e}"
        );
        let (c, _) = Config::default()
            .with_env(env(&[(
                "POSTING_ENRICHER__WORKER__COMMIT_INTERVAL",
                "250ms",
            )]))
            .unwrap();
        assert_eq!(c.worker.commit_interval, Duration::from_millis(250));
    }

    #[test]
    fn empty_text_means_an_optional_setting_is_unset() {
        let c = Config::from_toml("[decode]\nenvelope_pointer = \"/payload\"\n").unwrap();
        assert_eq!(c.decode.envelope_pointer.as_deref(), Some("/payload"));
        let c = Config::from_toml("[enrich.salary]\nfx_rates_file = \"\"\n").unwrap();
        assert_eq!(c.enrich.salary.fx_rates_file, None);
        let (c, _) = Config::default()
            .with_env(env(&[(
                "POSTING_ENRICHER__ENRICH__SALARY__FX_RATES_FILE",
                "/etc/fx.toml",
            )]))
            .unwrap();
        assert_eq!(
            c.enrich.salary.fx_rates_file.as_deref(),
            Some(Path::new("/etc/fx.toml"))
        );
    }

    #[test]
    fn wrong_type_is_named() {
        let err = Config::from_toml("[output]\ninclude_posting = \"yes\"\n").unwrap_err();
        assert!(err.contains("include_posting"), "{err}");
    }

    #[test]
    fn env_overrides_with_types() {
        let (c, used) = Config::default()
            .with_env(env(&[
                ("POSTING_ENRICHER__DECODE__MAX_RECORD_BYTES", "2048"),
                ("POSTING_ENRICHER__ENRICH__SALARY__HOURS_PER_WEEK", "37.5"),
                ("POSTING_ENRICHER__OUTPUT__INCLUDE_POSTING", "false"),
                ("UNRELATED", "x"),
            ]))
            .unwrap();
        assert_eq!(c.decode.max_record_bytes, 2048);
        assert_eq!(c.enrich.salary.hours_per_week, 37.5);
        assert!(!c.output.include_posting);
        assert_eq!(used.len(), 3);
    }

    #[test]
    fn env_errors_name_the_variable() {
        let e = Config::default()
            .with_env(env(&[(
                "POSTING_ENRICHER__DECODE__MAX_RECORD_BYTES",
                "lots",
            )]))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("POSTING_ENRICHER__DECODE__MAX_RECORD_BYTES"),
            "{e}"
        );
        let e = Config::default()
            .with_env(env(&[("POSTING_ENRICHER__DECODE__NOPE", "1")]))
            .unwrap_err();
        assert!(e.to_string().contains("decode.nope"), "{e}");
    }

    #[test]
    fn skipped_stages_from_the_environment_and_the_ones_that_cannot_be() {
        let (c, _) = Config::default()
            .with_env(env(&[(
                "POSTING_ENRICHER__ENRICH__STAGES__SKIP",
                "language, work_arrangement",
            )]))
            .unwrap();
        use crate::enrich::Stage;
        assert_eq!(
            c.enrich.stages.skip,
            [Stage::Language, Stage::WorkArrangement]
        );
        assert!(c.validate("env").is_ok());
        let e = Config::default()
            .with_env(env(&[(
                "POSTING_ENRICHER__ENRICH__STAGES__SKIP",
                "sections",
            )]))
            .unwrap()
            .0
            .validate("env")
            .unwrap_err();
        assert!(e.to_string().contains("enrich.stages.skip"), "{e}");
        assert!(
            Config::default()
                .with_env(env(&[(
                    "POSTING_ENRICHER__ENRICH__STAGES__SKIP",
                    "langauge"
                )]))
                .is_err(),
            "a misspelt stage is refused"
        );
    }

    #[test]
    fn librdkafka_properties_from_env_and_secrets_redacted() {
        let (c, _) = Config::default()
            .with_env(env(&[
                (
                    "POSTING_ENRICHER__KAFKA__CONSUMER__SASL_PASSWORD",
                    "hunter2",
                ),
                (
                    "POSTING_ENRICHER__KAFKA__PRODUCER__COMPRESSION_TYPE",
                    "zstd",
                ),
                ("POSTING_ENRICHER__KAFKA__INPUT_TOPICS", "a, b"),
            ]))
            .unwrap();
        assert_eq!(c.kafka.consumer["sasl.password"], "hunter2");
        assert_eq!(c.kafka.producer["compression.type"], "zstd");
        assert_eq!(c.kafka.input_topics, ["a", "b"]);
        let shown = toml::to_string(&c.redacted()).unwrap();
        assert!(
            !shown.contains("hunter2") && shown.contains("[redacted]"),
            "{shown}"
        );
        assert!(shown.contains("zstd"));
    }

    #[test]
    fn exactly_once_commits_well_inside_the_transaction_timeout_and_the_progress_timeout() {
        let eos = |extra: &str| {
            Config::from_toml(&format!("[kafka]\ndelivery = \"exactly-once\"\n{extra}")).unwrap()
        };
        // Defaults: a commit every second, transactions time out after 60 s.
        assert!(eos("").validate("x").is_ok());
        assert!(
            eos("[worker]\ncommit_interval = \"30s\"\nprogress_timeout = \"60s\"\n")
                .validate("x")
                .is_ok()
        );
        // A transaction open longer than the broker allows is aborted by it:
        // nothing would ever commit.
        let e = eos("[worker]\ncommit_interval = \"90s\"\nprogress_timeout = \"5m\"\n")
            .validate("x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("worker.commit_interval") && e.contains("transaction.timeout.ms"),
            "{e}"
        );
        let e = eos("[kafka.producer]\n\"transaction.timeout.ms\" = \"20000\"\n[worker]\ncommit_interval = \"15s\"\n")
            .validate("x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("transaction.timeout.ms"), "{e}");
        // Readiness counts an open transaction as no progress yet.
        let e = eos("[worker]\ncommit_interval = \"20s\"\nprogress_timeout = \"20s\"\n")
            .validate("x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("worker.progress_timeout"), "{e}");
        // At-least-once commits in the background of the acknowledgements:
        // neither bound applies.
        let alo =
            Config::from_toml("[worker]\ncommit_interval = \"90s\"\nprogress_timeout = \"20s\"\n")
                .unwrap();
        assert!(alo.validate("x").is_ok());
    }

    #[test]
    fn the_nesting_limit_stays_within_what_the_parsers_read() {
        // Review finding (22nd session): no upper bound. The posting's
        // readers recurse into arrays, and serde_json stops at 128 levels
        // anyway: a larger limit only let deeper values reach the readers.
        for (depth, ok) in [(3, false), (4, true), (64, true), (128, true), (129, false)] {
            let mut c = Config::default();
            c.decode.max_depth = depth;
            match c.validate("x") {
                Ok(()) => assert!(ok, "{depth} taken"),
                Err(e) => {
                    assert!(!ok, "{depth} refused: {e}");
                    assert!(e.to_string().contains("decode.max_depth"), "{e}");
                }
            }
        }
    }

    #[test]
    fn the_consumers_statistics_interval_is_kept_within_what_health_needs() {
        // Readiness (broker up, partitions assigned but not read) and the lag
        // gauges come from the consumer's statistics: switched off or rare,
        // they would silently stop telling.
        for (value, ok) in [
            ("0", false),
            ("500", false),
            ("1000", true),
            ("5000", true),
            ("60000", true),
            ("60001", false),
            ("five", false),
        ] {
            let mut c = Config::default();
            c.kafka
                .consumer
                .insert("statistics.interval.ms".into(), value.into());
            match c.validate("x") {
                Ok(()) => assert!(ok, "{value} taken"),
                Err(e) => {
                    assert!(!ok, "{value} refused: {e}");
                    let e = e.to_string();
                    assert!(e.contains("statistics.interval.ms"), "{e}");
                    assert!(e.contains("readiness"), "{e}");
                }
            }
        }
    }

    #[test]
    fn worker_settings_are_checked() {
        let mut c = Config::default();
        c.kafka
            .consumer
            .insert("enable.auto.commit".into(), "true".into());
        let e = c.validate("x").unwrap_err().to_string();
        assert!(e.contains("enable.auto.commit"), "{e}");
        let mut c = Config::default();
        c.kafka.input_topics = vec!["postings.enriched".into()];
        assert!(c.validate("x").is_err(), "reading its own output");
        let mut c = Config::default();
        c.worker.shutdown_timeout = Duration::ZERO;
        let e = c.validate("x").unwrap_err().to_string();
        assert!(e.contains("worker.shutdown_timeout"), "{e}");
        let c = Config::from_toml(
            "[kafka]\nbrokers = \"b:9092\"\ngroup_id = \"g\"\ninput_topics = [\"in\"]\n[telemetry]\nlisten = \"127.0.0.1:9000\"\n",
        )
        .unwrap();
        assert!(c.validate("x").is_ok());
        assert_eq!(c.worker.shutdown_timeout, Duration::from_secs(30));
    }

    #[test]
    fn invalid_values_are_named() {
        let mut c = Config::default();
        c.decode.envelope_pointer = Some("payload".into());
        let e = c.validate("test.toml").unwrap_err().to_string();
        assert!(
            e.contains("test.toml") && e.contains("decode.envelope_pointer"),
            "{e}"
        );
        let mut c = Config::default();
        c.enrich.salary.reporting_currency = "usd".into();
        assert!(c.validate("x").is_err());
        let mut c = Config::default();
        c.output.enriched_at = "yesterday".into();
        assert!(c.validate("x").is_err());
    }
}
