//! What every enrichment stage shares: the one list of stages, the outcome
//! each reports for a posting, and the shape of what a stage returns.
//! Metric labels, the offline summary and `STAGES` all follow [`Stage::ALL`].

use serde::{Deserialize, Serialize};

use super::warning::{Warning, WarningCode};

/// An enrichment stage, named as in metrics (`stage` label), summaries and
/// `enrich.stages.skip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Sections,
    Skills,
    Geo,
    Salary,
    Lifecycle,
    Employment,
    WorkArrangement,
    Experience,
    Education,
    Seniority,
    Language,
    Occupation,
}

impl Stage {
    /// Every stage, in the order metrics and summaries list them.
    pub const ALL: [Stage; 12] = [
        Stage::Sections,
        Stage::Skills,
        Stage::Geo,
        Stage::Salary,
        Stage::Lifecycle,
        Stage::Employment,
        Stage::WorkArrangement,
        Stage::Experience,
        Stage::Education,
        Stage::Seniority,
        Stage::Language,
        Stage::Occupation,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Stage::Sections => "sections",
            Stage::Skills => "skills",
            Stage::Geo => "geo",
            Stage::Salary => "salary",
            Stage::Lifecycle => "lifecycle",
            Stage::Employment => "employment",
            Stage::WorkArrangement => "work_arrangement",
            Stage::Experience => "experience",
            Stage::Education => "education",
            Stage::Seniority => "seniority",
            Stage::Language => "language",
            Stage::Occupation => "occupation",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// The enrichment stages' names, as metric labels.
pub const STAGES: [&str; Stage::ALL.len()] = {
    let mut names = [""; Stage::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Stage::ALL[i].name();
        i += 1;
    }
    names
};

impl Stage {
    /// Whether a config may switch the stage off. Sections and geo feed
    /// the stages after them (the requirement lines, the salary's country,
    /// the lifecycle's time zone) and stay on.
    pub const fn can_skip(self) -> bool {
        !matches!(self, Stage::Sections | Stage::Geo)
    }
}

/// `[enrich.stages]`: which stages run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StagesOptions {
    /// Stages switched off: their fields are null (skills: empty) in every
    /// record and their outcome is `skipped`, for pipelines that do not
    /// use a field and would rather have the time (each stage's cost is
    /// in docs/performance.md). Seniority still reads the years of
    /// experience when only the experience field is switched off.
    pub skip: Vec<Stage>,
}

impl StagesOptions {
    pub fn runs(&self, stage: Stage) -> bool {
        !self.skip.contains(&stage)
    }
}

/// How one stage went for one posting (a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageOutcome {
    /// The stage produced a result.
    Ok,
    /// The posting gave the stage nothing to work from.
    Absent,
    /// The posting had input for the stage, but it could not be used.
    Failed,
    /// The stage is switched off (`enrich.stages.skip`).
    Skipped,
}

impl StageOutcome {
    pub const ALL: [StageOutcome; 4] = [
        StageOutcome::Ok,
        StageOutcome::Absent,
        StageOutcome::Failed,
        StageOutcome::Skipped,
    ];

    /// The usual judgement: ok with a value; failed without one when a
    /// warning says the input was there but unusable (`failure_codes`);
    /// absent otherwise.
    pub fn judged(has_value: bool, warnings: &[Warning], failure_codes: &[WarningCode]) -> Self {
        if has_value {
            StageOutcome::Ok
        } else if warnings.iter().any(|w| failure_codes.contains(&w.code)) {
            StageOutcome::Failed
        } else {
            StageOutcome::Absent
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            StageOutcome::Ok => "ok",
            StageOutcome::Absent => "absent",
            StageOutcome::Failed => "failed",
            StageOutcome::Skipped => "skipped",
        }
    }
}

/// What a stage made of one posting: its value, how it went, and its
/// warnings (in the order the record lists them).
#[derive(Debug, Clone, PartialEq)]
pub struct Staged<T> {
    pub value: T,
    pub outcome: StageOutcome,
    pub warnings: Vec<Warning>,
}

impl<T> Staged<T> {
    pub fn new(value: T, outcome: StageOutcome) -> Self {
        Staged {
            value,
            outcome,
            warnings: Vec::new(),
        }
    }

    pub fn with_warnings(value: T, outcome: StageOutcome, warnings: Vec<Warning>) -> Self {
        Staged {
            value,
            outcome,
            warnings,
        }
    }

    /// The value and the outcome; the warnings join `warnings`.
    pub fn into_parts(self, warnings: &mut Vec<Warning>) -> (T, StageOutcome) {
        warnings.extend(self.warnings);
        (self.value, self.outcome)
    }
}

/// Every stage's outcome for one posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcomes([StageOutcome; Stage::ALL.len()]);

impl Default for Outcomes {
    /// Every stage absent.
    fn default() -> Self {
        Outcomes([StageOutcome::Absent; Stage::ALL.len()])
    }
}

impl Outcomes {
    /// Each stage's outcome from `outcome_of`.
    pub fn from_fn(outcome_of: impl Fn(Stage) -> StageOutcome) -> Self {
        Outcomes(Stage::ALL.map(outcome_of))
    }

    pub fn get(&self, stage: Stage) -> StageOutcome {
        self.0[stage.index()]
    }

    pub fn set(&mut self, stage: Stage, outcome: StageOutcome) {
        self.0[stage.index()] = outcome;
    }

    /// The same outcomes with `stage`'s set (for building them in one expression).
    #[must_use]
    pub fn with(mut self, stage: Stage, outcome: StageOutcome) -> Self {
        self.set(stage, outcome);
        self
    }

    /// Each stage's name and outcome, in [`Stage::ALL`] order.
    pub fn by_stage(&self) -> impl Iterator<Item = (&'static str, StageOutcome)> + '_ {
        Stage::ALL.iter().map(|&s| (s.name(), self.get(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_listed_once_in_index_order() {
        for (i, stage) in Stage::ALL.iter().enumerate() {
            assert_eq!(stage.index(), i);
            assert_eq!(STAGES[i], stage.name());
        }
        let outcomes = Outcomes::default().with(Stage::Geo, StageOutcome::Failed);
        assert_eq!(outcomes.get(Stage::Geo), StageOutcome::Failed);
        assert_eq!(outcomes.get(Stage::Salary), StageOutcome::Absent);
        assert_eq!(outcomes.by_stage().count(), Stage::ALL.len());
    }
}
