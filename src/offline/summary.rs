//! Counts of an offline run and their human-readable summary (stderr).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::time::Duration;

use crate::enrich::StageOutcome;
use crate::pipeline::Enriched;
use crate::posting::Rejection;

#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub read: u64,
    pub bytes: u64,
    pub enriched: u64,
    pub rejected: BTreeMap<&'static str, u64>,
    /// (stage, outcome) -> postings.
    pub outcomes: BTreeMap<(&'static str, &'static str), u64>,
    pub warnings: BTreeMap<&'static str, u64>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    pub(crate) fn count_enriched(&mut self, e: &Enriched) {
        self.enriched += 1;
        for (stage, outcome) in e.outcomes.by_stage() {
            *self.outcomes.entry((stage, outcome.as_str())).or_default() += 1;
        }
        for w in &e.warnings {
            *self.warnings.entry(w.as_str()).or_default() += 1;
        }
    }

    pub(crate) fn count_rejected(&mut self, r: &Rejection) {
        *self.rejected.entry(r.reason.code()).or_default() += 1;
    }

    pub(crate) fn print_progress(&self, elapsed: Duration) {
        let rate = self.read as f64 / elapsed.as_secs_f64().max(1e-9);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} read, {} enriched, {:.0} postings/s   ",
            self.read, self.enriched, rate
        );
        let _ = err.flush();
    }

    pub fn postings_per_second(&self) -> f64 {
        self.read as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        writeln!(
            f,
            "read {}, enriched {}, rejected {} in {:.2} s: {:.0} postings/s, {:.1} MB/s",
            self.read,
            self.enriched,
            self.rejected_total(),
            secs,
            self.postings_per_second(),
            self.bytes as f64 / 1e6 / secs.max(1e-9),
        )?;
        if !self.rejected.is_empty() {
            let parts: Vec<String> = self
                .rejected
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(f, "  rejected by reason: {}", parts.join(", "))?;
        }
        for stage in crate::enrich::STAGES {
            let count = |o: &StageOutcome| self.outcomes.get(&(stage, o.as_str())).copied();
            let parts: Vec<String> = StageOutcome::ALL
                .iter()
                // A stage that ran on every posting was skipped on none.
                .filter(|o| **o != StageOutcome::Skipped || count(o).is_some())
                .map(|o| format!("{} {}", o.as_str(), count(o).unwrap_or(0)))
                .collect();
            writeln!(f, "  {stage:<9} {}", parts.join(", "))?;
        }
        if !self.warnings.is_empty() {
            let parts: Vec<String> = self
                .warnings
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(f, "  warnings: {}", parts.join(", "))?;
        }
        Ok(())
    }
}
